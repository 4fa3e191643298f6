"""Pick the tags an editor would, from words already segmented once.

A candidate is a content word, a phrase of adjacent words that editors use as a tag
(from the tag model or the corpus vocabulary), or a phrase the article itself repeats
(水运/工程 -> 水运工程). Each is scored by

    salience  = (weighted frequency) ** FREQ_POWER * idf ** IDF_POWER_BODY
                (title words count TITLE_WEIGHT, lead words LEAD_WEIGHT, section headings
                HEADING_WEIGHT, others 1; a headline word the story repeats counts double)
    editor    = max(1, keyphraseness / base rate) ** PRIOR_POWER_BODY   (tag model)
    score     = salience / max salience * editor + ASSOC_WEIGHT_BODY * P(tag | the article's words)

A full article (a body to count in) is ranked by the long-text ranker (body.py, learned from tagged
news bodies) where it is confident, and by this formula plus a little of the ranker's say for the rest
(TagScorer._score_article). A headline alone (no body to count in) is ranked by the tag model's learned ranker
(ranker.py): which title words editors tag, and which tags the title implies without
saying them (比特币 -> 数字货币); without a ranker, the same formula with the editors'
prior at full strength (PRIOR_POWER, ASSOC_WEIGHT) stands in.
Numbers, dates, single characters, English fragments and boilerplate never become tags;
a candidate inside a chosen one (宝山 / 宝山区) collapses into it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from xinwen.analysis.lexicon import stopwords
from xinwen.analysis.segment import Segmented, Tagged
from xinwen.analysis.stats import CorpusStats
from xinwen.analysis.tags.body import CACHE_MAX, score_body
from xinwen.analysis.tags.model import MAX_NGRAM, TagModel
from xinwen.analysis.tags.ranker import FEATURES, HeadlineScores, score_title

CONTENT_POS = frozenset({"n", "nr", "ns", "nt", "nz", "nw", "vn", "an", "nrt", "nrfg", "s", "j", "l", "i", "eng", "x"})
PHRASE_POS = frozenset({"n", "nr", "ns", "nt", "nz", "nw", "vn", "an", "nrt", "nrfg", "j", "l", "eng", "x", "v", "a"})
_NUMERIC = re.compile(r"^[\d.,%\-+:/·_]+$|^[\d.,%\-+]*[\d一二三四五六七八九十百千万亿两几]+[年月日号时分秒个多余万亿元岁次名家项例人]+$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORDLIKE = re.compile(r"^[\w\u4e00-\u9fff]+$")
_ENG = re.compile(r"^[A-Za-z][A-Za-z0-9\-+.]*$")
_BOILERPLATE = re.compile(r"(?:记者|通讯员|编辑|消息|报道|客户端|新闻网|联播|日电|讯)$|^(?:央视|新华社|本报|本台)")

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 1.5
LEAD_CHARS = 120
FREQ_POWER = 1.0
IDF_POWER = 1.0
PRIOR_POWER = 1.0  # title only: the editors' prior decides
PRIOR_POWER_BODY = 0.05  # with a body, frequency in the text is the stronger evidence
IDF_POWER_BODY = 0.4
ASSOC_WEIGHT = 1.2
ASSOC_WEIGHT_BODY = 0.3  # with a body, what the text says matters more than what usually goes with it
ASSOC_WORDS = 40  # the title and the first words of the body imply associated tags
MIN_PHRASE_REPEATS = 2
COHESION = 0.9  # a repeated phrase is a term when its parts occur mostly inside it
TITLE_BODY_BONUS = 1.0
NEST_RATIO = 0.7
TITLE_PHRASES = True  # a two-word phrase of the title that the body repeats is a term
VERB_FACTOR = 0.6  # a plain verb (创新, 扶贫) counts less than a noun
HEADING_WEIGHT = 3.0  # a short line without end punctuation: a section heading
_PLACE_SUFFIX = "区市县省镇"
CONFIDENT = 0.4  # a full article: the long-text ranker's candidates at least this likely come first
# (a ranker learned from a house's own archive carries its own: 0, the ranker alone picks; learn.py)
SALIENCE_SCALE = 0.99  # ... then the salience formula's, scaled below the ranker's (1 + p)
UNSURE_WEIGHT = 0.5  # ... plus this share of the ranker's probability
NESTED_APART = 2  # a word inside a chosen name may be chosen too when the story uses it this often apart


def _body_weights(tokens: Tagged) -> list[float]:
    """Per token: lead words and section headings weigh more than the rest of the body."""
    weights: list[float] = []
    line_start = 0
    chars = 0
    for i, (word, _) in enumerate(tokens + [("\n", "x")]):
        if "\n" in word:
            line = "".join(w for w, _ in tokens[line_start:i]).strip()
            heading = 0 < len(line) <= 24 and line[-1] not in "。！？!?；;…”\"）)"
            for j in range(line_start, i):
                w = HEADING_WEIGHT if heading else (LEAD_WEIGHT if chars < LEAD_CHARS else 1.0)
                weights.append(w)
                chars += len(tokens[j][0])
            if i < len(tokens):
                weights.append(1.0)
            line_start = i + 1
    return weights


_TAGGABLE_CACHE: dict[str, bool] = {}


def _token_info(word: str, pos: str, scorer: TagScorer) -> tuple[float, bool]:
    """(weight factor as a single-word candidate, whether it can be part of a phrase), cached
    on the tag model (the factor depends on it)."""
    run = pos in PHRASE_POS and word not in scorer._stop and _WORDLIKE.match(word) is not None
    got = (scorer.single_factor(word, pos), run)
    cache = scorer.model.token_cache
    if len(cache) > CACHE_MAX:
        cache.clear()
    cache[(word, pos)] = got
    return got


def _taggable(term: str) -> bool:
    got = _TAGGABLE_CACHE.get(term)
    if got is None:
        got = is_taggable(term)
        if len(_TAGGABLE_CACHE) > CACHE_MAX:
            _TAGGABLE_CACHE.clear()
        _TAGGABLE_CACHE[term] = got
    return got


def _absorb_nested(
    cands: dict[str, _Candidate], scores: dict[str, float], keep: Callable[[str], bool]
) -> None:
    """A word that occurs (almost) only inside a longer candidate (活血汤 in 补肾活血汤) is that
    candidate: the longer one takes the better score and the word leaves, unless editors
    use the word as a tag of its own (`keep`: 博物馆 stays beside 中国航海博物馆)."""
    for term, c in cands.items():
        if len(term) < 3 or term not in scores:
            continue
        for size in range(2, len(term)):
            for i in range(len(term) - size + 1):
                part = term[i : i + size]
                p = cands.get(part)
                if p is not None and part in scores and c.count >= NEST_RATIO * p.count and not keep(part):
                    scores[term] = max(scores[term], scores.pop(part))


def _collapse_places(cands: dict[str, _Candidate]) -> None:
    """宝山 and 宝山区 in one article are one candidate: counts go to the more frequent form."""
    for term in [t for t in cands if len(t) >= 3 and t[-1] in _PLACE_SUFFIX]:
        short = term[:-1]
        if short in cands and term in cands:
            a, b = cands[short], cands[term]
            keep, drop = (short, term) if a.count >= b.count else (term, short)
            k, d = cands[keep], cands.pop(drop)
            k.weight += d.weight
            k.count += d.count
            k.in_title |= d.in_title
            k.title_count += d.title_count


@dataclass(slots=True)
class _Candidate:
    weight: float = 0.0  # weighted frequency
    count: int = 0
    in_title: bool = False
    title_count: int = 0
    parts: int = 1  # tokens joined
    ends: tuple[str, str] = ("", "")  # first and last token of a phrase


def is_candidate(word: str, pos: str) -> bool:
    """A single word that may become a tag on its own."""
    if len(word) < 2 or pos not in CONTENT_POS or word in stopwords():
        return False
    return is_taggable(word)


def is_taggable(term: str) -> bool:
    """Not a number, date, English fragment or boilerplate word."""
    if len(term) < 2 or _NUMERIC.match(term) or _BOILERPLATE.search(term):
        return False
    if _CJK.search(term):
        return True
    # Latin-only terms: acronyms and names (NBA, SUV, Facebook), not short fragments (PI, ab)
    return bool(_ENG.match(term)) and (len(term) >= 3 and (term.isupper() or term[0].isupper()))


class TagScorer:
    """Scores the candidates of one segmented article."""

    def __init__(self, stats: CorpusStats, model: TagModel) -> None:
        self.stats = stats
        self.model = model
        self._stop = stopwords()

    def candidates(self, seg: Segmented) -> dict[str, _Candidate]:
        cands: dict[str, _Candidate] = defaultdict(_Candidate)
        phrases: dict[str, _Candidate] = defaultdict(_Candidate)
        self._scan(seg.title, [TITLE_WEIGHT] * len(seg.title), True, cands, phrases)
        self._scan(seg.body, _body_weights(seg.body), False, cands, phrases)
        if phrases:
            counts = Counter(w for w, _ in seg.title)
            counts.update(w for w, _ in seg.body)
            for term, c in phrases.items():
                # a phrase is a term when it repeats and its parts rarely occur without it
                in_body = c.count - c.title_count
                repeats = in_body >= MIN_PHRASE_REPEATS + (c.parts > 2) or (
                    TITLE_PHRASES and c.title_count and in_body >= 1 and c.parts == 2
                )
                if repeats and c.count >= COHESION * min(counts[c.ends[0]], counts[c.ends[1]]):
                    cands[term] = c
        _collapse_places(cands)
        return cands

    def _scan(
        self, tokens: Tagged, weights: list[float], in_title: bool,
        cands: dict[str, _Candidate], phrases: dict[str, _Candidate],
    ) -> None:
        """Count single words, and phrases of up to MAX_NGRAM tokens starting at each token:
        known tags or vocabulary, or runs of content words (kept later if they repeat)."""
        known = self.model.tags
        vocab = self.stats.vocabulary_set
        prefixes = self.model.prefixes()
        vprefixes = self.stats.vocabulary_prefixes()
        cache = self.model.token_cache
        info = [cache.get(t) or _token_info(t[0], t[1], self) for t in tokens]
        n = len(tokens)
        for i in range(n):
            word = tokens[i][0]
            factor, run = info[i]
            weight = weights[i]
            if factor:
                c = cands[word]
                c.weight += weight * factor
                c.count += 1
                c.in_title |= in_title
                c.title_count += in_title
            if not run and word not in prefixes and word not in vprefixes:
                continue
            term = word
            for j in range(i + 1, min(i + MAX_NGRAM, n)):
                nxt = tokens[j][0]
                term += nxt
                run = run and info[j][1]
                if (term in known or term in vocab) and _taggable(term):
                    c = cands[term]
                elif run and len(term) <= 10 and len(word) + len(nxt) > 2 and _taggable(term):
                    c = phrases[term]
                else:
                    c = None
                if c is not None:
                    c.weight += weight
                    c.count += 1
                    c.in_title |= in_title
                    c.title_count += in_title
                    c.parts = j - i + 1
                    c.ends = (word, nxt)
                if not run and term not in prefixes and term not in vprefixes:
                    break

    def single_factor(self, word: str, pos: str) -> float:
        """How much one occurrence of a single word counts (0: not a candidate)."""
        if is_candidate(word, pos):
            return 1.0
        if len(word) < 2 or word in self._stop or not is_taggable(word):
            return 0.0
        # words that editors do tag (扶贫, 健身): trust the tag model
        if self._editor_term(word):
            return 1.0
        return VERB_FACTOR if pos == "v" and len(word) == 2 else 0.0

    def ranks_headline(self, seg: Segmented) -> bool:
        """A headline alone, scored by the model's learned ranker (`score` gives log-odds then)."""
        ranker = self.model.ranker
        return not seg.body and bool(ranker) and tuple(ranker.get("features", ())) == FEATURES

    def _editor_term(self, term: str) -> bool:
        """Editors of the archive use the term as a tag more often than the average word."""
        return self.model.is_tag(term) and self.model.keyphraseness(term) > self.model.base_rate

    def _idf(self, term: str, c: _Candidate) -> float:
        """IDF; a phrase unknown to the statistics is taken as rare as its rarest part, plus one."""
        if c.parts > 1 and not self.stats.knows(term):
            return max(self.stats.idf(c.ends[0]), self.stats.idf(c.ends[1])) + 1.0
        return self.stats.idf(term)

    def score(self, seg: Segmented) -> dict[str, float]:
        """Each candidate's score, higher is better: a full article's by the long-text ranker
        (body.py: the probability that an editor tags it), a headline's by the headline ranker
        (log-odds), else by the salience formula above."""
        if seg.body and self.model.long_text_ranker() is not None:
            return self._score_article(seg)
        if self.ranks_headline(seg):
            return score_title(seg.title, self.model, self.stats, _taggable)
        return self._salience(seg)

    def _score_article(self, seg: Segmented) -> dict[str, float]:
        """A full article: the candidates the long-text ranker is confident an editor tags (probability
        at least CONFIDENT, or the threshold the ranker carries) first, scored 1 + p; the rest of the k by
        the salience formula, scaled below 1, plus UNSURE_WEIGHT times the ranker's probability. The ranker
        learned from tagged news bodies which names and terms a story is about; when it is unsure, the
        words the story develops most are the safer guess (a house that tags topics, not names). A ranker
        learned from a house's own archive alone may carry the threshold 0: it picks all three."""
        ranked = score_body(seg, self.model, self.stats)
        threshold = (self.model.body_ranker or {}).get("confident", CONFIDENT)
        confident = {t: 1.0 + p for t, p in ranked.items() if p >= threshold}
        if len(choose(confident, 3)) >= 3:
            return confident
        salience = self._salience(seg)
        top = max(salience.values(), default=0.0) or 1.0
        scores = ArticleScores((t, SALIENCE_SCALE * max(v, 0.0) / top) for t, v in salience.items())
        for t, p in ranked.items():  # the rest: salience, and a little of the ranker's say
            if p < threshold:
                scores[t] = scores.get(t, 0.0) + UNSURE_WEIGHT * p
        scores.update(confident)
        # a word the story develops on its own may stand beside the name that holds it (博物馆 beside
        # 中国航海博物馆 when the story speaks of 博物馆 apart from it; never 区块 beside 区块链)
        text = "".join(w for w, _ in seg.title) + "\n" + "".join(w for w, _ in seg.body)
        scores.nested = frozenset(
            t for t in salience
            if t not in confident and any(t in c and _apart(text, t, c) for c in confident)
        )
        return scores

    def _salience(self, seg: Segmented) -> dict[str, float]:
        """The salience formula of the module's docstring (no learned ranker)."""
        cands = self.candidates(seg)
        model = self.model
        has_body = bool(seg.body)
        idf_power = IDF_POWER_BODY if has_body else IDF_POWER
        prior_power = PRIOR_POWER_BODY if has_body else PRIOR_POWER
        salience: dict[str, float] = {}
        for term, c in cands.items():
            salience[term] = c.weight**FREQ_POWER * self._idf(term, c) ** idf_power
            if has_body and c.in_title and c.count > c.title_count:
                salience[term] *= 1.0 + TITLE_BODY_BONUS  # the headline's word that the story develops
        top = max(salience.values(), default=0.0) or 1.0
        base = model.base_rate or 0.1
        scores: dict[str, float] = {}
        for term, s in salience.items():
            ratio = model.keyphraseness(term) / base
            if has_body:  # frequency in the text outweighs "editors of the archive rarely pick it"
                ratio = max(ratio, 1.0)
            editor = ratio**prior_power if model.n_docs else 1.0
            scores[term] = s / top * editor
        _absorb_nested(cands, scores, self._editor_term)
        assoc_weight = ASSOC_WEIGHT_BODY if has_body else ASSOC_WEIGHT
        if model.assoc and assoc_weight:
            words = [w for w, _ in seg.title] + [w for w, _ in seg.body[:ASSOC_WORDS]]
            for tag, p in model.associated(words).items():
                if is_taggable(tag):
                    scores[tag] = scores.get(tag, 0.0) + assoc_weight * p
        return scores


def pick_tags(seg: Segmented, stats: CorpusStats, k: int = 3, model: TagModel | None = None) -> list[str]:
    """The k best tags of a segmented article."""
    scores = TagScorer(stats, model if model is not None else TagModel.default()).score(seg)
    return choose(scores, k)


def overlaps(a: str, b: str) -> bool:
    """One inside the other (宝山 / 宝山区), or one running on into the other
    (单纯收缩期 / 收缩期高血压) by at least two characters."""
    if a in b or b in a:
        return True
    n = min(len(a), len(b))
    return any(a[-k:] == b[:k] or b[-k:] == a[:k] for k in range(2, n))


def _apart(text: str, part: str, name: str) -> bool:
    """`part` occurs outside `name` at least NESTED_APART times, and as often as half the name's."""
    outside = text.count(part) - text.count(name) * name.count(part)
    return outside >= max(NESTED_APART, text.count(name) / 2)


class ArticleScores(dict):
    """Scores of a full article's candidates; `nested`: the words editors tag on their own that may be
    chosen beside a chosen name holding them."""

    nested: frozenset[str] = frozenset()


def choose(scores: dict[str, float], k: int) -> list[str]:
    """Best first; a candidate overlapping a chosen one is skipped, except among a headline's
    ranker scores (ranker.HeadlineScores), where nested tags are what editors pick, and an article's
    `nested` words inside a chosen name (ArticleScores)."""
    if isinstance(scores, HeadlineScores):
        return sorted(scores, key=lambda w: (-scores[w], w))[:k]
    nested = scores.nested if isinstance(scores, ArticleScores) else frozenset()
    chosen: list[str] = []
    for term in sorted(scores, key=lambda w: (-scores[w], w)):
        low = term.lower()  # (OPPO and Oppo, two candidates of the text as it writes them, are one tag)
        if any(overlaps(low, c.lower()) and not (term in nested and term in c) for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == k:
            break
    return chosen

"""New-word discovery: adjacent tokens that recur together become one term.

A run of 2-3 adjacent tokens (专精/特新, 科创/中心) is a new word when, over the corpus,

- it recurs (at least `min_count` times),
- it is cohesive: pointwise mutual information of its parts is high (the parts occur
  together far more often than chance), taken at the weakest split point, and
- it is free: the tokens just before and just after it vary (left/right entropy), so it is
  a unit used in many contexts rather than part of a longer fixed phrase.

Works on already-segmented text (the corpus is segmented once); only runs of Chinese
tokens are considered, and runs that start or end with a stop word or a one-character
function word are skipped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from xinwen.analysis.lexicon import stopwords

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
# one-character tokens that glue to anything: never at the edge of a new word
_FUNCTION = frozenset("的了在是和与及或也都就而被把对从向为以于之其这那个着过等年月日同愿将")
# prepositions, conjunctions, particles, pronouns, adverbs, numerals, measure words, locatives
_BREAK_POS = frozenset({"p", "c", "u", "uj", "ul", "uz", "uv", "ud", "ug", "r", "d", "m", "q", "f", "y", "e", "o"})


@dataclass(frozen=True, slots=True)
class NewWord:
    word: str
    count: int
    pmi: float
    entropy: float  # min(left entropy, right entropy)


def _runs(
    tokens: list[str] | list[tuple[str, str]], is_word: Callable[[str], bool], joins: dict | None = None
) -> Iterable[list[str]]:
    """Runs of adjacent Chinese tokens; with parts of speech, function words end a run too. `joins`
    remembers, per (token, part of speech), whether it can be inside a run (a corpus repeats its tokens)."""
    joins = {} if joins is None else joins
    run: list[str] = []
    for tok in tokens:
        ok = joins.get(tok)
        if ok is None:
            t, pos = tok if isinstance(tok, tuple) else (tok, "")
            # a part of speech is only trusted for dictionary words (特新 in 专精/特新 is guessed as "d")
            ok = joins[tok] = bool(_HAN.match(t)) and not (pos in _BREAK_POS and is_word(t))
        if ok:
            run.append(tok[0] if isinstance(tok, tuple) else tok)
        else:
            if len(run) > 1:
                yield run
            run = []
    if len(run) > 1:
        yield run


def _entropy(counter: Counter[str] | dict[str, int]) -> float:
    total = sum(counter.values())
    if not total:
        return 0.0
    return -sum(c / total * math.log(c / total) for c in counter.values())


def discover(
    documents: Iterable[list[str] | list[tuple[str, str]]],
    *,
    min_count: int = 5,
    min_pmi: float = 4.0,
    min_entropy: float = 1.2,
    max_chars: int = 6,
    known: frozenset[str] | None = None,
    is_word: Callable[[str], bool] | None = None,
) -> list[NewWord]:
    """New words in a corpus of token lists (or (word, part of speech) lists), most frequent first.
    A large corpus needs more repeats: at least one in 2,000 documents. `is_word`: whether the
    segmenter's dictionary has a word (default: jieba's own)."""
    if is_word is None:
        from xinwen.analysis.segment import PLAIN

        is_word = PLAIN.has_word
    stop = stopwords()
    uni: Counter[str] = Counter()
    grams: Counter[tuple[str, ...]] = Counter()
    runs_all: list[list[str]] = []
    n_docs = 0
    joins: dict = {}
    tokens_seen: list[str] = []
    seen: list[tuple[str, ...]] = []
    for tokens in documents:
        n_docs += 1
        for run in _runs(tokens, is_word, joins):
            runs_all.append(run)
            tokens_seen.extend(run)
            seen.extend(zip(run, run[1:], strict=False))
            seen.extend(zip(run, run[1:], run[2:], strict=False))
    uni.update(tokens_seen)  # counted once, in C, instead of a Counter.update per run
    grams.update(seen)
    del tokens_seen, seen
    total = sum(uni.values()) or 1

    def edge_ok(tok: str) -> bool:
        return tok not in stop and not (len(tok) == 1 and tok in _FUNCTION)

    min_count = max(min_count, n_docs // 2000)
    cands: dict[tuple[str, ...], float] = {}
    edges: dict[str, bool] = {}
    for g, c in grams.items():
        if c < min_count:
            continue
        first, last = edges.get(g[0]), edges.get(g[-1])
        if first is None:
            first = edges[g[0]] = edge_ok(g[0])
        if last is None:
            last = edges[g[-1]] = edge_ok(g[-1])
        if not (first and last):
            continue
        size = sum(map(len, g))
        if size > max_chars or size < 3:
            continue
        # cohesion at the weakest split: log P(g) / (P(left) P(right))
        pmi = math.inf
        for k in range(1, len(g)):
            left = grams[g[:k]] if k > 1 else uni[g[0]]
            right = grams[g[k:]] if len(g) - k > 1 else uni[g[-1]]
            pmi = min(pmi, math.log(c * total / (left * right)))
        if pmi >= min_pmi:
            cands[g] = pmi
    if not cands:
        return []
    left_nb: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    right_nb: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    firsts = {g[0] for g in cands}
    for run in runs_all:
        if firsts.isdisjoint(run):  # no candidate starts in this run
            continue
        for n in (2, 3):
            for i in range(len(run) - n + 1):
                if run[i] in firsts and (g := tuple(run[i : i + n])) in cands:
                    left_nb[g][run[i - 1] if i else "<s>"] += 1
                    right_nb[g][run[i + n] if i + n < len(run) else "</s>"] += 1
    found: list[NewWord] = []
    for g, pmi in cands.items():
        word = "".join(g)
        if (known and word in known) or is_word(word):
            continue
        ent = min(_entropy(left_nb[g]), _entropy(right_nb[g]))
        if ent >= min_entropy:
            found.append(NewWord(word, grams[g], round(pmi, 3), round(ent, 3)))
    found.sort(key=lambda w: (-w.count, w.word))
    return _drop_contained(found)


def _drop_contained(words: list[NewWord]) -> list[NewWord]:
    """A found word inside a longer found word about as frequent is a fragment of it."""
    longest: dict[str, int] = {}  # substring -> highest count of a longer found word containing it
    for w in words:
        n = len(w.word)
        for size in range(3, n):
            for i in range(n - size + 1):
                part = w.word[i : i + size]
                longest[part] = max(longest.get(part, 0), w.count)
    return [w for w in words if longest.get(w.word, 0) < 0.8 * w.count]

"""Tags of a full article (a title and a body to count in): whole-name candidates and their features.

A story of 900 characters names dozens of things; the tag is the one it is *about*, written whole:
区块链 rather than 区块, 中钢协 rather than 钢协, 吴文璟 rather than 吴文. Candidates come from

- the segmenter's words (content parts of speech; Latin names such as iPhone, 5G, QQ);
- runs of 2-4 words that are a known tag (tag model) or a learned word (corpus vocabulary);
- character runs the story repeats (褚橙, 链尚优, 吴文璟, 资管新规, 小程序): maximal repeats, whatever
  the segmenter made of them, neither begun nor ended by a function character (的, 了, 是 ...);
- surface patterns: 《titles》, names ending in 集团/公司/协会/银行/..., a surname and one more
  character after a two-character name the story repeats, a brand before a Latin model name
  (红米Note7, 三星Galaxy S10), a Latin name with its numbers (Note 7 Pro).

Numbers, dates and figures with their units (256gb售, 64GB) never qualify. The MAX_CANDIDATES likeliest
by a cheap prior (title, lead, repeats) each get a row of BODY_FEATURES: where the term occurs (title,
lead, headings, spread over paragraphs), how often, how rare in general (IDF), what kind of word it is
(part of speech, surname, organization suffix, Latin), how it nests with the other candidates (the
longer unit holding it, the shorter inside it), whether it starts clauses (a subject), how often
editors tag it when it occurs (the tag model: tnews editors, and a site's own archive when one was
learned, learn.py) and the headline's words. The long-text ranker (`TagModel.body_ranker`, boosted
trees walked by ranker.Ranker) turns each row into the log-odds that an editor tags the term.

Speed matters (this runs on every ingested article): per-token facts are cached, and the per-term
counts are str.count / str.find calls (C) over the lower-cased text gathered into numpy columns.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate

import numpy as np

from xinwen.analysis.lexicon import general_idf, stopwords
from xinwen.analysis.segment import Segmented, Tagged
from xinwen.analysis.stats import CorpusStats
from xinwen.analysis.tags.model import TagModel

# where a candidate came from (a bit each; one candidate may come from several)
SOURCES = ("word", "known", "repeat", "latin", "book", "org", "name", "house", "run", "part")
SRC = {name: 1 << i for i, name in enumerate(SOURCES)}
POS_GROUPS = ("n", "nr", "ns", "nt", "nz", "v", "vn", "eng", "a", "l", "j", "i", "m", "other", "none")
BODY_FEATURES = (
    "count", "log_count", "count_rel", "title", "title_count", "title_pos", "title_share", "title_word",
    "first_rel", "first_abs", "last_rel", "spread", "lead", "lead_count", "paras", "paras_rel", "heading",
    "idf", "idf_known", "tfidf_rel", "tfidf_rank", "count_rank", "kp_rank", "idf_rank", "first_rank", "prior_rank", "length", "cjk_share", "latin", "digit",
    "kp", "log_present", "log_popular", "is_tag", "kp_rel",
    "sup_share", "sup_len", "sub_share", "bound", "clause_start", "before_de", "quoted", "aligned",
    "starts_word", "ends_word", "surname", "org_suffix", "place_suffix", "doc_len", "title_len", "title_names", "n_cands", "title_clause", "title_colon", "assoc", "assoc_rank",
    "kind_count_rank", "kind_first_rank", "kind_size",
    "house_kp", "house_seen", "house_tagged",
) + tuple("src_" + s for s in SOURCES) + tuple("pos_" + p for p in POS_GROUPS)  # fmt: skip
COL = {name: i for i, name in enumerate(BODY_FEATURES)}
_SRC0 = COL["src_" + SOURCES[0]]

# parts of speech that never make a single-word candidate: particles, prepositions, conjunctions,
# pronouns, adverbs, measure words, locatives, time words, modal and onomatopoeic words, affixes
_NO_POS = frozenset({"u", "uj", "ul", "uz", "ug", "uv", "ud", "p", "c", "r", "rr", "rz", "d", "q", "f", "t", "tg",
                     "y", "e", "o", "zg", "k", "h", "b", "z", "df", "dg", "mq", "x"})
# parts of speech that never end a term of several words: verbs and the function words (预计投产后新增)
_NO_END_POS = _NO_POS | {"v", "vd", "vi", "vg", "ad", "ag"}
_POS_GROUP = {p: p for p in POS_GROUPS} | {"nrt": "nr", "nrfg": "nr", "nw": "nz", "an": "a", "ad": "a", "ng": "n",
                                            "vd": "v", "vg": "v", "vi": "v", "s": "n"}
_PERSON_POS = frozenset({"nr", "nrfg", "nrt"})
_NAME_POS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "eng"})
# characters that neither begin nor end a term found as a repeated run
_END_CHARS = frozenset("的了是在和与及等也都就还又被把将对为从向以而且或并之其这那个有不上下来去到说着过们我你他她它"
                       "要会能可很最更已所于给让使由该每各某些此但却则如若即便乃亦吗呢吧啊呀么地得")
_START_CHARS = frozenset("的了是在和与及等也都就还又被把将对为从向以而且或并之其这那着过们到说给让使由该此但却则如若即"
                         "地得个于已很更最")
ORG_SUFFIXES = ("集团", "公司", "协会", "银行", "大学", "医院", "学院", "研究院", "委员会", "基金会", "联盟", "学会",
                "商会", "电视台", "研究所", "实验室", "工作室", "事务所", "俱乐部", "控股", "证券", "保险")
_PLACE_SUFFIX = frozenset("省市县区镇乡村州")
# the most common Chinese surnames, in census order (general knowledge, not learned from any tags)
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂"
    "章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解"
    "牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎"
    "甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_UNIT = re.compile(r"\d(?:\.\d+)?\s*(?:gb|tb|mb|kb|mah|mm|cm|km|kg|mg|ml|hz|ghz|mhz|nm|kw|mp|fps|万|亿|元|寸|英寸|"
                   r"米|克|吨|年|月|日|号|时|分|秒|个|岁|次|人|家|%|‰)")
_NUMERIC = re.compile(r"^[\d.,%\-+:/·_ ]+$|^[\d.,%\-+]*[\d一二三四五六七八九十百千万亿两几]+[年月日号时分秒个多余万亿元岁次名家项例人]+$")
_LATIN = re.compile(r"[a-z0-9][a-z0-9+\-.]*(?: [a-z0-9][a-z0-9+\-.]*){0,2}")
_BOOK = re.compile(r"《([^《》\n]{1,20})》")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_BOILERPLATE = re.compile(
    r"(?:记者|通讯员|编辑|消息|报道|客户端|新闻网|联播|日电|[日报网社电]讯|来源|责编|图片)$|^(?:讯|央视|新华社|本报|本台|原标题)"
    # a person the story does not name (林先生, 金女士, 张某): a stand-in, not a subject
    r"|^.{1,2}(?:先生|女士|小姐|某某|某)$"
)
_PARA = re.compile(r"\n+|(?<![a-z0-9]) (?![a-z0-9])")
_CLAUSE = re.compile(r"[，。！？；：、\n“”\"（）()《》【】 ,!?;:]+")
_BREAK = frozenset("，。！？；：、\n“”\"（）()《》【】 ,.!?;:")
LEAD_CHARS = 150
ASSOC_WORDS = 60  # the body's first words that, with the headline's, imply tags (tag model associations)
MAX_REPEAT = 8  # the longest character run looked for as a repeat
MAX_ORG = 16  # ... or when it ends as an organization's name does (深圳市锐巽自动化设备有限公司)
COHESIVE_MIN = 3  # occurrences of a repeated run that may end in a verb when its ends seldom occur alone
MAX_CANDIDATES = 32  # candidates ranked per article (the likeliest by a cheap prior)
CACHE_MAX = 100_000  # entries in each per-term cache: a long ingest's memory stays flat


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


_PLAUSIBLE: dict[str, bool] = {}


def plausible(term: str) -> bool:
    """A term that may be a tag: not a number, a date, a figure with its unit (256gb, 64gb售), boilerplate
    (记者, 新华社) or a Latin fragment without a letter."""
    got = _PLAUSIBLE.get(term)
    if got is None:
        got = _plausible(term)
        if len(_PLAUSIBLE) > CACHE_MAX:
            _PLAUSIBLE.clear()
        _PLAUSIBLE[term] = got
    return got


def _plausible(term: str) -> bool:
    if len(term) < 2 or _NUMERIC.match(term) or _BOILERPLATE.search(term) or term.strip() != term:
        return False
    if any(c.isdigit() for c in term):
        letters = sum(c.isascii() and c.isalpha() for c in term)
        if not letters and not any(map(_cjk, term)):
            return False
        if term[0].isdigit():  # 256gb, 64gb售, 3年, 20倍杠杆, 2019中国: a figure, its unit, the next word
            rest = term.lstrip("0123456789.")
            if not rest or not (rest[0].isascii() and rest[0].isalpha()) or _UNIT.search(term):
                return False
    if term.isascii():
        return any(c.isalpha() for c in term)
    return True


def repeats(text: str, min_count: int = 2, max_len: int = MAX_REPEAT) -> dict[str, int]:
    """Maximal runs of 2..max_len CJK characters that occur at least min_count times in `text`: a run
    is dropped when a run one character longer holding it occurs as often (褚橙 stays when the story
    says 褚橙创始人 once and 褚橙 three times; 链尚 goes when it is always 链尚优).

    A repeated run is made of repeated two-character runs, so only the stretches of the text where
    every two-character run repeats are searched, and their longer runs are counted there."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if len(codes) < 2:
        return {}
    cjk = (codes >= 0x4E00) & (codes <= 0x9FFF)
    both = np.flatnonzero(cjk[:-1] & cjk[1:])  # where a two-character CJK run starts
    keys = (codes[both].astype(np.int64) << 21) | codes[both + 1]  # ordered as the two-character strings
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    common = counts >= min_count
    if not common.any():
        return {}
    out = {chr(k >> 21) + chr(k & 0x1FFFFF): int(c) for k, c in zip(uniq[common].tolist(), counts[common].tolist(),
                                                                      strict=True)}
    level = np.zeros(len(codes) + 1, dtype=np.int8)  # 1 where the two-character run starting there repeats
    level[both[common[inverse]]] = 1
    edges = np.flatnonzero(np.diff(level, prepend=0))  # starts and ends of the stretches of repeated runs
    stretches = [text[i : j + 1] for i, j in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True)]
    # a run of k characters occurs min_count times only if both its runs of k - 1 do: grow level by level.
    # Every occurrence of such a run lies inside one stretch, so counting the runs of the stretches counts
    # them in the whole text, in one pass (a str.count per run was quadratic on long texts); str.count
    # counts occurrences that do not overlap, which differs only for a run that overlaps itself (哈哈哈)
    survivors = set(out)
    for k in range(3, max_len + 1):
        stretches = [st for st in stretches if len(st) >= k]  # every two-character run in them repeats
        counted: dict[str, int] = {}
        for st in stretches:
            for a in range(len(st) - k + 1):
                g = st[a : a + k]
                if g in counted:
                    counted[g] += 1
                elif g[:-1] in survivors and g[1:] in survivors:
                    counted[g] = 1
        for g in [g for g, c in counted.items() if c >= min_count and _overlaps_itself(g)]:
            counted[g] = text.count(g)
        survivors = {g for g, c in counted.items() if c >= min_count}
        if not survivors:
            break
        for g in sorted(survivors):
            c = counted[g]
            for part in (g[:-1], g[1:]):
                if out.get(part) == c:
                    del out[part]
            out[g] = c
    return out


def _overlaps_itself(run: str) -> bool:
    """A run whose start is also its end (哈哈哈, 一对一对): two occurrences of it may overlap."""
    return run.find(run[0], 1) >= 0 and any(run[:i] == run[-i:] for i in range(1, len(run)))


_TOKEN: dict[tuple[str, str], tuple[str, bool, bool]] = {}


def _token(word: str, pos: str, stop: frozenset[str]) -> tuple[str, bool, bool]:
    """(lower-cased word, a candidate on its own, a part of an org name), cached."""
    lw = word.lower()
    single = len(lw) >= 2 and lw not in stop and pos not in _NO_POS and plausible(lw)
    part = (pos not in _NO_POS and lw not in stop and lw.strip() == lw and lw not in _BREAK and lw != ""
            and (not any(c.isdigit() for c in lw) or plausible(lw)))
    got = (lw, single, part)
    if len(_TOKEN) > CACHE_MAX:
        _TOKEN.clear()
    _TOKEN[(word, pos)] = got
    return got


class _Doc:
    """The lower-cased text of one article, its paragraphs, lead and headings."""

    __slots__ = ("title", "body", "text", "paras", "lead", "headings", "clauses")

    def __init__(self, title: str, body: str) -> None:
        self.title = title.lower()
        self.body = body.lower()
        self.text = self.title + "\n" + self.body
        self.paras = np.array([0] + [m.end() for m in _PARA.finditer(self.body)])
        ends = list(self.paras[1:]) + [len(self.body)]
        heads = []
        for a, b in zip(self.paras, ends, strict=True):
            if b - a <= 26:
                line = self.body[a:b].strip()
                if line and line[-1] not in "。！？!?；;…”\"）),，":
                    heads.append(line)
        self.headings = "\n".join(heads)
        self.lead = self.body[:LEAD_CHARS]
        # the start of every clause, marked: a term that begins clauses is often their subject
        self.clauses = "\x00" + "\x00".join(_CLAUSE.split(self.text))


def body_candidates(
    seg: Segmented, model: TagModel, stats: CorpusStats
) -> tuple[list[str], np.ndarray, list[str]]:
    """Candidates of an article (lower-cased), their feature rows (BODY_FEATURES) and how each is
    written in the text (iPhone, not iphone)."""
    title = "".join(w for w, _ in seg.title)
    body = "".join(w for w, _ in seg.body)
    doc = _Doc(title, body)
    stop = stopwords()
    src: dict[str, int] = {}
    pos_of: dict[str, str] = {}
    aligned: Counter[str] = Counter()
    shown: dict[str, str] = {}
    tokens: Tagged = seg.title + [("\n", "x")] + seg.body
    cache = _TOKEN
    info = [cache.get(t) or _token(t[0], t[1], stop) for t in tokens]
    words = [i[0] for i in info]
    n_tok = len(tokens)
    tags, vocab, house = model.tags, stats.vocabulary_set, model.house_tags
    prefixes, vprefixes = model.prefixes(), stats.vocabulary_prefixes()
    w_word, w_known, w_org, w_name, w_house = SRC["word"], SRC["known"], SRC["org"], SRC["name"], SRC["house"]
    n_title = len(seg.title)
    singles = [lw for lw, single, _ in info if single]
    aligned.update(singles)
    pos_of = dict(zip(reversed(words), (p for _, p in reversed(tokens)), strict=True))  # first occurrence's
    for lw in dict.fromkeys(singles):
        src[lw] = w_word | (w_house if lw in house else 0)
        shown[lw] = lw
    for (w, _), (lw, single, _) in zip(tokens, info, strict=True):
        if single and w != lw:
            shown[lw] = w  # as the text writes it (iPhone)
    # two or three content words in a row: the title's weigh 100 (a term the title has and the body repeats)
    part = [i[2] for i in info]
    runs: Counter[str] = Counter()

    pos = [p for _, p in tokens]
    for i in [i for i in range(n_tok - 1) if part[i] and part[i + 1]]:
        pair = words[i] + words[i + 1]
        weight = 100 if i < n_title else 1
        if pos[i + 1] not in _NO_END_POS:
            runs[pair] += weight
        if i + 2 < n_tok and part[i + 2] and pos[i + 2] not in _NO_END_POS:
            runs[pair + words[i + 2]] += weight
    for i in [i for i, lw in enumerate(words) if lw in prefixes or lw in vprefixes]:
        term = words[i]  # runs of words that are a known term
        for j in range(i + 1, min(i + 4, n_tok)):
            term += words[j]
            if term in tags or term in vocab or term in house:
                if plausible(term) and term not in stop:
                    aligned[term] += 1
                    src[term] = src.get(term, 0) | w_known | (w_house if term in house else 0)
                    shown.setdefault(term, "".join(t[0] for t in tokens[i : j + 1]))
            if term not in prefixes and term not in vprefixes:
                break
    for i in [i for i, lw in enumerate(words) if part[i] and lw.endswith(ORG_SUFFIXES)]:
        term = words[i]  # the name before the suffix: up to three words inside the clause
        for j in range(i - 1, max(i - 4, -1), -1):
            if not part[j]:
                break
            term = words[j] + term
            if len(term) >= 3 and plausible(term):
                src[term] = src.get(term, 0) | w_org
    for i in [i for i, (w, p) in enumerate(tokens) if p in _PERSON_POS and len(w) == 2 and w[0] in SURNAMES]:
        nxt = words[i + 1] if i + 1 < n_tok else ""
        if len(nxt) == 1 and _cjk(nxt) and nxt not in _END_CHARS:
            src[words[i] + nxt] = src.get(words[i] + nxt, 0) | w_name  # 吴文 + 璟, kept if it repeats
    # a run of words the story repeats, or that the headline has and the body repeats (水运/工程)
    w_run = SRC["run"]
    for term, k in runs.items():
        in_body = k % 100
        if (in_body >= 2 or (k >= 100 and in_body)) and len(term) <= 10 and plausible(term):
            src[term] = src.get(term, 0) | w_run
            aligned[term] += in_body + k // 100
    w_part = SRC["part"]  # the dictionary words inside a long headline word (实名 in 实名制)
    has_word = _has_word()
    for w, _ in seg.title:
        if len(w) >= 3 and _cjk(w[0]):
            for size in (2, 3):
                for a in range(len(w) - size + 1):
                    sub = w[a : a + size]
                    if sub != w and has_word(sub) and sub not in stop and sub[0] not in _START_CHARS:
                        src[sub] = src.get(sub, 0) | w_part
    w_repeat = SRC["repeat"]
    offsets = list(accumulate(map(len, words), initial=0))
    starts = {o: i for i, o in enumerate(offsets[:-1])}
    ends_at = {o: i for i, o in enumerate(offsets[1:])}
    for g, k in repeats(doc.text, max_len=MAX_ORG).items():
        if len(g) > MAX_REPEAT and not g.endswith(ORG_SUFFIXES):
            continue  # a long run the story repeats is a name only when it names an organization
        if (g[0] not in _START_CHARS and g[-1] not in _END_CHARS and g not in stop and plausible(g)
                and _whole_words(doc.text, g, starts, ends_at, pos, k)):
            src[g] = src.get(g, 0) | w_repeat
    text = doc.text
    if _ASCII_LETTER.search(text):
        raw = title + "\n" + body
        w_latin = SRC["latin"]
        for m in _LATIN.finditer(text):
            t = m.group().strip(" .-+")
            if len(t) >= 2 and plausible(t):
                src[t] = src.get(t, 0) | w_latin
                shown.setdefault(t, raw[m.start() : m.start() + len(t)])
                k = m.start()  # a brand written just before the model name: 红米note7, 三星galaxy s10
                for size in (2, 3):
                    brand = text[k - size : k] if k >= size else ""
                    if brand and brand in src and all(map(_cjk, brand)):
                        src[brand + t] = src.get(brand + t, 0) | w_latin
                        shown.setdefault(brand + t, raw[k - size : k] + shown[t])
    if "《" in text:
        w_book = SRC["book"]
        for m in _BOOK.finditer(text):
            t = m.group(1).strip()
            if plausible(t):
                src[t] = src.get(t, 0) | w_book
    return features(doc, seg, src, pos_of, aligned, shown, model, stats, set(offsets))


def features(
    doc: _Doc, seg: Segmented, src: dict[str, int], pos_of: dict[str, str], aligned: Counter[str],
    shown: dict[str, str], model: TagModel, stats: CorpusStats, bounds: set[int],
) -> tuple[list[str], np.ndarray, list[str]]:
    """The feature rows of the likeliest MAX_CANDIDATES candidates."""
    text, body, title, lead = doc.text, doc.body, doc.title, doc.lead
    terms = list(src)  # in the order found (repeats() sorts its own: the same in every process)
    counts = np.fromiter(map(text.count, terms), dtype=np.float64, count=len(terms))
    in_title = np.fromiter((t in title for t in terms), dtype=np.float64, count=len(terms))
    in_lead = np.fromiter((t in lead for t in terms), dtype=np.float64, count=len(terms))
    special = np.fromiter(((src[t] & _STRONG) != 0 for t in terms), dtype=np.float64, count=len(terms))
    lengths = np.fromiter(map(len, terms), dtype=np.float64, count=len(terms))
    # a cheap prior keeps the candidates worth ranking: in the title, in the lead, repeated, a pattern
    prior = counts + 3.0 * in_title + 1.5 * in_lead + 2.0 * special + 0.1 * np.minimum(lengths, 8)
    prior[counts == 0] = -1.0
    order = np.lexsort((np.arange(len(terms)), -prior))[:MAX_CANDIDATES]
    order = order[prior[order] > 0]
    terms = [terms[i] for i in order]
    m = len(terms)
    rows = np.zeros((m, len(BODY_FEATURES)))
    if not m:
        return [], rows, []
    c = counts[order]
    tc = np.fromiter(map(title.count, terms), dtype=np.float64, count=m)
    first = np.fromiter(map(body.find, terms), dtype=np.float64, count=m)
    last = np.fromiter(map(body.rfind, terms), dtype=np.float64, count=m)
    n = float(len(body) or 1)
    found = first >= 0
    p_first = np.searchsorted(doc.paras, first, side="right")
    p_last = np.searchsorted(doc.paras, last, side="right")
    static = _term_rows(terms, model, stats)
    idf = static[:, 0]
    tfidf = c * idf
    keep = set(terms)
    sup_c = np.zeros(m)
    sup_l = np.zeros(m)
    sub_c = np.zeros(m)
    index = {t: r for r, t in enumerate(terms)}
    for r, t in enumerate(terms):  # nesting: the longest candidate holding a term, the one inside it
        lt = len(t)
        for size in range(2, lt):
            for a in range(lt - size + 1):
                part = t[a : a + size]
                if part in keep:
                    q = index[part]
                    if c[r] > sup_c[q]:
                        sup_c[q] = c[r]
                        sup_l[q] = lt
                    sub_c[r] = max(sub_c[r], c[q])
    base = model.base_rate or 0.1
    kp = static[:, 1]
    title_words = {w.lower() for w, _ in seg.title}
    title_names = sum(1 for w, p in seg.title if p in _NAME_POS and len(w) >= 2)
    src_bits = np.fromiter((src[t] for t in terms), dtype=np.int64, count=m)
    clause = np.fromiter(map(doc.clauses.count, ("\x00" + t for t in terms)), dtype=np.float64, count=m)
    de = np.fromiter(map(text.count, (t + "的" for t in terms)), dtype=np.float64, count=m)
    quoted = np.fromiter(map(text.count, ("“" + t + "”" for t in terms)), dtype=np.float64, count=m)
    col = COL
    rows[:, col["count"]] = c
    rows[:, col["log_count"]] = np.log1p(c)
    rows[:, col["count_rel"]] = c / c.max()
    rows[:, col["title"]] = tc > 0
    rows[:, col["title_count"]] = tc
    rows[:, col["title_pos"]] = np.where(
        tc > 0, np.fromiter(map(title.find, terms), dtype=np.float64, count=m) / (len(title) or 1), 1.0)
    rows[:, col["title_share"]] = tc / c
    rows[:, col["title_word"]] = [t in title_words for t in terms]
    rows[:, col["first_rel"]] = np.where(found, first / n, 1.0)
    rows[:, col["first_abs"]] = np.where(found, np.minimum(first, 2000) / 2000, 1.0)
    rows[:, col["last_rel"]] = np.where(found, last / n, 0.0)
    rows[:, col["spread"]] = np.where(found, (last - first) / n, 0.0)
    rows[:, col["lead"]] = found & (first < LEAD_CHARS)
    rows[:, col["lead_count"]] = np.fromiter(map(lead.count, terms), dtype=np.float64, count=m)
    rows[:, col["paras"]] = np.where(found, p_last - p_first + 1, 0)
    rows[:, col["paras_rel"]] = rows[:, col["paras"]] / len(doc.paras)
    if doc.headings:
        rows[:, col["heading"]] = np.fromiter(map(doc.headings.count, terms), dtype=np.float64, count=m)
    rows[:, col["idf"]] = idf / 12.0
    rows[:, col["tfidf_rel"]] = tfidf / (tfidf.max() or 1.0)
    rows[:, col["tfidf_rank"]] = _ranks(-tfidf)
    rows[:, col["count_rank"]] = _ranks(-c)
    rows[:, _STATIC_COLS] = static[:, 2:]
    rows[:, col["kp"]] = kp
    rows[:, col["kp_rank"]] = _ranks(-kp)
    rows[:, col["idf_rank"]] = _ranks(-idf)
    rows[:, col["first_rank"]] = _ranks(np.where(found, first, n + 1) - 1000 * (tc > 0))
    rows[:, col["prior_rank"]] = np.log1p(np.arange(m))  # the candidates come in the prior's order
    rows[:, col["kp_rel"]] = kp / base
    rows[:, col["sup_share"]] = sup_c / c
    rows[:, col["sup_len"]] = sup_l / 12
    rows[:, col["sub_share"]] = sub_c / c
    # how bound its ends are: a term (资管新规) is most of the occurrences of its first and last two
    # characters; a chance run (了解侵权人家庭) is a small share of them
    heads = np.fromiter(map(text.count, (t[:2] for t in terms)), dtype=np.float64, count=m)
    tails = np.fromiter(map(text.count, (t[-2:] for t in terms)), dtype=np.float64, count=m)
    rows[:, col["bound"]] = c / np.maximum(np.minimum(heads, tails), 1.0)
    rows[:, col["clause_start"]] = clause / c
    rows[:, col["before_de"]] = de / c
    rows[:, col["quoted"]] = quoted / c
    rows[:, col["aligned"]] = [aligned.get(t, 0) for t in terms] / c
    at = np.fromiter(map(text.find, terms), dtype=np.int64, count=m)
    rows[:, col["starts_word"]] = [int(a) in bounds for a in at]
    rows[:, col["ends_word"]] = [int(a) + len(t) in bounds for a, t in zip(at, terms, strict=True)]
    rows[:, col["doc_len"]] = np.log1p(n) / 10
    rows[:, col["title_len"]] = len(title) / 40
    rows[:, col["title_names"]] = title_names
    rows[:, col["n_cands"]] = m / MAX_CANDIDATES
    # the headline's clauses: a term opening one (谢卫：..., ...资管新规过渡期) or said before a colon
    clauses = "\x00" + "\x00".join(_CLAUSE.split(title))
    rows[:, col["title_clause"]] = np.fromiter(map(clauses.count, ("\x00" + t for t in terms)), dtype=np.float64,
                                               count=m)
    colon = title.split("：", 1)[0] if "：" in title else (title.split(":", 1)[0] if ":" in title else "")
    if colon:
        rows[:, col["title_colon"]] = [t in colon for t in terms]
    # the tags editors give headlines with the article's first words (tnews): what they imply it is about
    implied = model.associated(w.lower() for w, _ in seg.title + seg.body[:ASSOC_WORDS])
    if implied:
        a = np.fromiter((implied.get(t, 0.0) for t in terms), dtype=np.float64, count=m)
        rows[:, col["assoc"]] = a
        rows[:, col["assoc_rank"]] = _ranks(-a)
    else:
        rows[:, col["assoc_rank"]] = np.log1p(m)
    # among candidates of the same kind (person, place, organization, Latin, other): the most mentioned
    # person is more likely the subject than the third most mentioned noun
    kind = np.fromiter((_kind(t, pos_of.get(t)) for t in terms), dtype=np.int64, count=m)
    for name, key in (("kind_count_rank", -c), ("kind_first_rank", np.where(found, first, n + 1) - 1000 * (tc > 0))):
        order = np.lexsort((key, kind))
        sorted_kind = kind[order]
        group_start = np.searchsorted(sorted_kind, sorted_kind, side="left")
        ranks = np.empty(m)
        ranks[order] = np.arange(m) - group_start
        rows[:, col[name]] = np.log1p(ranks)
    rows[:, col["kind_size"]] = np.log1p(np.bincount(kind, minlength=5)[kind])
    if model.house_tags:
        rows[:, col["house_kp"]], rows[:, col["house_seen"]], rows[:, col["house_tagged"]] = model.house_features(terms)
    for k in range(len(SOURCES)):
        rows[:, _SRC0 + k] = (src_bits >> k) & 1
    none = col["pos_none"]
    for r, t in enumerate(terms):
        p = pos_of.get(t)
        rows[r, col["pos_" + _POS_GROUP.get(p, "other")] if p is not None else none] = 1.0
    return terms, rows, [shown.get(t, t) for t in terms]


# the columns of a term's features that do not depend on the article, in _term_rows' order after idf and kp
_STATIC = ("idf_known", "length", "cjk_share", "latin", "digit", "log_present", "log_popular", "is_tag", "surname",
           "org_suffix", "place_suffix")
_STATIC_COLS = [COL[name] for name in _STATIC]


def _term_rows(terms: list[str], model: TagModel, stats: CorpusStats) -> np.ndarray:
    """Per term: its IDF, keyphraseness and the _STATIC columns, which depend on the term, the tag model
    and the statistics only; cached on the statistics for one model (a term recurs across articles)."""
    held = stats.term_rows
    if held is None or held[0] is not model:
        held = stats.term_rows = (model, {})
    cache: dict[str, tuple[float, ...]] = held[1]
    out = []
    for t in terms:
        got = cache.get(t)
        if got is None:
            got = (stats.idf(t), model.keyphraseness(t), float(t in general_idf()[0] or t in stats.df),
                   min(len(t), 12) / 12, sum(map(_cjk, t)) / len(t), float(t.isascii()),
                   float(any(ch.isdigit() for ch in t)), float(np.log1p(model.present.get(t, 0))),
                   float(np.log1p(model.popularity(t))), float(t in model.tags),
                   float(t[0] in SURNAMES and 2 <= len(t) <= 3), float(t.endswith(ORG_SUFFIXES)),
                   float(t[-1] in _PLACE_SUFFIX))
            if len(cache) > CACHE_MAX:
                cache.clear()
            cache[t] = got
        out.append(got)
    return np.array(out, dtype=np.float64).reshape(len(terms), 2 + len(_STATIC))


def _cohesive(text: str, term: str, count: int) -> bool:
    """A run the story repeats at least COHESIVE_MIN times whose two ends seldom occur without it (携号转网:
    携号 and 转网 are the run at least half the times the text has them): a name, whatever parts of
    speech the segmenter gave its words (转网 a verb, 现代 a time word, 向上 an adverb)."""
    return count >= COHESIVE_MIN and 2 * count >= max(text.count(term[:2]), text.count(term[-2:]))


def _whole_words(text: str, term: str, starts: dict[int, int], ends: dict[int, int], pos: list[str],
                 count: int = 0) -> bool:
    """Most occurrences of a repeated run begin and end where the segmenter's words do, and it neither
    begins with a function word nor ends with a verb or one: a run that cuts words (业项目 of 产业/项目,
    高校毕业生就业创 of 就业/创业) is a fragment, one that ends in a verb (预计投产后新增) a clause, unless
    it is cohesive (its `count` occurrences make a name of its words whatever their parts of speech)."""
    size, at, whole, seen = len(term), text.find(term), 0, 0
    cohesive = None
    while at >= 0:
        seen += 1
        first, last = starts.get(at), ends.get(at + size)
        if first is not None and last is not None:
            if pos[first] not in _NO_POS and (first == last or pos[last] not in _NO_END_POS):
                whole += 1
            else:
                if cohesive is None:
                    cohesive = _cohesive(text, term, count)
                whole += cohesive
        at = text.find(term, at + 1)
    return 2 * whole >= seen and whole > 0


def _kind(term: str, pos: str | None) -> int:
    """0 a person, 1 a place, 2 an organization, 3 a Latin name, 4 anything else."""
    if pos in _PERSON_POS or (pos is None and 2 <= len(term) <= 3 and term[0] in SURNAMES):
        return 0
    if pos == "ns" or term[-1] in _PLACE_SUFFIX:
        return 1
    if pos == "nt" or term.endswith(ORG_SUFFIXES):
        return 2
    return 3 if term.isascii() else 4


def _ranks(values: np.ndarray) -> np.ndarray:
    """log(1 + rank) of each value among the article's candidates, smallest first (ties by order)."""
    return np.log1p(np.argsort(np.argsort(values, kind="stable"), kind="stable"))


def _has_word():  # type: ignore[no-untyped-def]
    from xinwen.analysis.segment import PLAIN

    return PLAIN.has_word


_STRONG = SRC["book"] | SRC["repeat"] | SRC["latin"] | SRC["house"]


def score_body(seg: Segmented, model: TagModel, stats: CorpusStats) -> dict[str, float]:
    """P(an editor tags it) of each candidate of a full article, by the model's long-text ranker, keyed
    by the candidate as the text writes it."""
    terms, rows, shown = body_candidates(seg, model, stats)
    if not terms:
        return {}
    logits = model.long_text_ranker().scores(rows)
    probs = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
    return dict(zip(shown, probs.tolist(), strict=True))

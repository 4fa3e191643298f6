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


@dataclass
class RunCounts:
    """What new-word discovery counts over a corpus (or a shard of one): token and 2-3 token run counts,
    and the documents seen. Shards' counts add up (`+`), so discovery can be a map and a reduction."""

    uni: Counter[str]
    grams: Counter[tuple[str, ...]]
    n_docs: int

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(self.uni + other.uni, self.grams + other.grams, self.n_docs + other.n_docs)


@dataclass
class Neighbours:
    """The tokens seen just before and after each candidate (shards' neighbours add up too)."""

    left: dict[tuple[str, ...], Counter[str]]
    right: dict[tuple[str, ...], Counter[str]]

    def __add__(self, other: Neighbours) -> Neighbours:
        left = defaultdict(Counter, {g: Counter(c) for g, c in self.left.items()})
        right = defaultdict(Counter, {g: Counter(c) for g, c in self.right.items()})
        for g, c in other.left.items():
            left[g].update(c)
        for g, c in other.right.items():
            right[g].update(c)
        return Neighbours(left, right)


def _all_runs(documents: Iterable[list[str] | list[tuple[str, str]]], is_word: Callable[[str], bool]
              ) -> tuple[list[list[str]], int]:
    runs_all: list[list[str]] = []
    n_docs = 0
    joins: dict = {}
    for tokens in documents:
        n_docs += 1
        runs_all.extend(_runs(tokens, is_word, joins))
    return runs_all, n_docs


def count_runs(runs: list[list[str]], n_docs: int) -> RunCounts:
    """Token and 2-3 token run counts (counted once, in C, over one list each)."""
    tokens_seen: list[str] = []
    seen: list[tuple[str, ...]] = []
    for run in runs:
        tokens_seen.extend(run)
        seen.extend(zip(run, run[1:], strict=False))
        seen.extend(zip(run, run[1:], run[2:], strict=False))
    return RunCounts(Counter(tokens_seen), Counter(seen), n_docs)


def candidates(counts: RunCounts, *, min_count: int = 5, min_pmi: float = 4.0, max_chars: int = 6
               ) -> dict[tuple[str, ...], float]:
    """Runs that recur (at least one in 2,000 documents, and min_count) and are cohesive (PMI at the
    weakest split), without a stop word or function word at either end: gram -> PMI."""
    stop = stopwords()
    uni, grams = counts.uni, counts.grams
    total = sum(uni.values()) or 1

    def edge_ok(tok: str) -> bool:
        return tok not in stop and not (len(tok) == 1 and tok in _FUNCTION)

    min_count = max(min_count, counts.n_docs // 2000)
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
    return cands


def neighbours(runs: list[list[str]], cands: dict[tuple[str, ...], float]) -> Neighbours:
    """The tokens just before and after each candidate in the runs."""
    left_nb: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    right_nb: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    firsts = {g[0] for g in cands}
    for run in runs:
        if firsts.isdisjoint(run):  # no candidate starts in this run
            continue
        for n in (2, 3):
            for i in range(len(run) - n + 1):
                if run[i] in firsts and (g := tuple(run[i : i + n])) in cands:
                    left_nb[g][run[i - 1] if i else "<s>"] += 1
                    right_nb[g][run[i + n] if i + n < len(run) else "</s>"] += 1
    return Neighbours(left_nb, right_nb)


def new_words(
    counts: RunCounts, cands: dict[tuple[str, ...], float], nbs: Neighbours, *, min_entropy: float = 1.2,
    known: frozenset[str] | None = None, is_word: Callable[[str], bool] | None = None,
) -> list[NewWord]:
    """The candidates that are free (varied neighbours on both sides) and not known words, most frequent
    first, fragments of longer ones dropped."""
    if is_word is None:
        from xinwen.analysis.segment import PLAIN

        is_word = PLAIN.has_word
    found: list[NewWord] = []
    for g, pmi in cands.items():
        word = "".join(g)
        if (known and word in known) or is_word(word):
            continue
        ent = min(_entropy(nbs.left.get(g, {})), _entropy(nbs.right.get(g, {})))
        if ent >= min_entropy:
            found.append(NewWord(word, counts.grams[g], round(pmi, 3), round(ent, 3)))
    found.sort(key=lambda w: (-w.count, w.word))
    return _drop_contained(found)


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
    segmenter's dictionary has a word (default: jieba's own). (In one process; the same steps run as a
    map and a reduction over shards in analysis/cluster.py.)"""
    if is_word is None:
        from xinwen.analysis.segment import PLAIN

        is_word = PLAIN.has_word
    runs, n_docs = _all_runs(documents, is_word)
    counts = count_runs(runs, n_docs)
    cands = candidates(counts, min_count=min_count, min_pmi=min_pmi, max_chars=max_chars)
    if not cands:
        return []
    return new_words(counts, cands, neighbours(runs, cands), min_entropy=min_entropy, known=known, is_word=is_word)


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

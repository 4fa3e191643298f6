"""The precise check that two texts are copies of one story (after MinHash found them as candidates).

A copy keeps most of the other's text: a new date, a source or editor line, 5-10% of the
characters changed, or cut to 70% of its length. So the test is containment, not only
Jaccard: the share of the shorter text's character trigrams found in the longer one
(CONTAINMENT), with the shorter at least MIN_SIZE_RATIO of the longer.

Chinese news is full of templates (state visits, obituaries, meeting notices) whose texts
share 70-90% of their trigrams and are different stories. What tells them apart is what a
copy keeps and a template changes: the figures and the names. When each text has a number
the other lacks, or each repeats a name (person, place, organisation) the other never
mentions, they are two stories. A copy may lose figures or names (cut, or a changed
character) but does not bring in others, so the loss is on one side only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

CONTAINMENT = 0.7
MIN_SIZE_RATIO = 0.5
MIN_CHARS = 50  # shorter texts (after normalization) take no part in copy detection

_WORD_CHARS = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|(?<=第)[〇零一二三四五六七八九十百千两]+|[〇零一二三四五六七八九十百千两]+(?=届)")
_WORK_TITLE = re.compile(r"《([^》]{1,40})》")
_ENTITY_POS = frozenset({"nr", "nrt", "nrfg", "ns", "nt"})


def normalize(text: str) -> str:
    """NFKC, letters and digits only (punctuation, spaces and line breaks dropped)."""
    return "".join(_WORD_CHARS.findall(unicodedata.normalize("NFKC", text)))


def trigrams(norm: str) -> set[str]:
    return {norm[i : i + 3] for i in range(len(norm) - 2)} if len(norm) >= 3 else ({norm} if norm else set())


@dataclass
class CopyCheck:
    """The measurements behind a verdict."""

    containment: float
    size_ratio: float
    number_conflict: bool = False
    name_conflict: bool = False  # names or titles of works

    @property
    def is_copy(self) -> bool:
        return (self.containment >= CONTAINMENT and self.size_ratio >= MIN_SIZE_RATIO
                and not self.number_conflict and not self.name_conflict)


class Text:
    """A text prepared once for many comparisons."""

    __slots__ = ("raw", "norm", "grams", "_numbers", "_names", "_titles")

    def __init__(self, raw: str) -> None:
        self.raw = unicodedata.normalize("NFKC", raw)
        self.norm = normalize(raw)
        self.grams = trigrams(self.norm)
        self._numbers: list[str] | None = None
        self._names: set[str] | None = None
        self._titles: set[str] | None = None

    @property
    def titles(self) -> set[str]:
        """Titles of works, laws and documents in 《》."""
        if self._titles is None:
            self._titles = set(_WORK_TITLE.findall(self.raw))
        return self._titles

    @property
    def numbers(self) -> list[str]:
        """Figures, and ordinals written in Chinese (三 of 第三, 十四 of 十四届)."""
        if self._numbers is None:
            self._numbers = _NUMBER.findall(self.raw)
        return self._numbers

    @property
    def names(self) -> set[str]:
        """Names (people, places, organisations) the text mentions at least twice."""
        if self._names is None:
            import rjieba

            counts = Counter(w for w, pos in rjieba.tag(self.raw) if pos in _ENTITY_POS and len(w) >= 2)
            self._names = {w for w, n in counts.items() if n >= 2}
        return self._names


def eligible(text: str) -> bool:
    """Whether a body is long enough to take part in copy detection."""
    return len(normalize(text)) >= MIN_CHARS


def compare(a: Text | str, b: Text | str) -> CopyCheck:
    """Measure whether `a` and `b` are copies of one story (see the module text)."""
    ta = a if isinstance(a, Text) else Text(a)
    tb = b if isinstance(b, Text) else Text(b)
    if not ta.grams or not tb.grams:
        return CopyCheck(0.0, 0.0)
    small, large = sorted((len(ta.grams), len(tb.grams)))
    check = CopyCheck(len(ta.grams & tb.grams) / small, small / large)
    if check.containment < CONTAINMENT or check.size_ratio < MIN_SIZE_RATIO:
        return check
    check.number_conflict = number_conflict(ta.numbers, tb.numbers)
    if not check.number_conflict:
        only_a = [w for w in ta.names if w not in tb.raw] + _unmatched_titles(ta, tb)
        only_b = [w for w in tb.names if w not in ta.raw] + _unmatched_titles(tb, ta)
        check.name_conflict = bool(only_a and only_b)
    return check


def _unmatched_titles(a: Text, b: Text) -> list[str]:
    """Titles in 《》 of `a` that `b` neither contains nor has a close variant of (a changed character)."""
    out = []
    for t in a.titles:
        if t in b.raw:
            continue
        if any(len(set(t) & set(u)) >= 0.5 * max(len(t), len(u)) for u in b.titles):
            continue
        out.append(t)
    return out


def is_copy(a: Text | str, b: Text | str) -> bool:
    return compare(a, b).is_copy


def number_conflict(a: list[str], b: list[str]) -> bool:
    """Each side has a figure the other lacks. The last figure of a text may be cut short
    (a copy cut at 70% can end in "20" where the other has "2024")."""
    missing_a = Counter(a) - Counter(b)
    missing_b = Counter(b) - Counter(a)
    if not missing_a or not missing_b:
        return False
    for last, other in ((a[-1] if a else None, missing_b), (b[-1] if b else None, missing_a)):
        own = missing_a if other is missing_b else missing_b
        if last is not None and own[last] > 0:
            longer = next((x for x in other if x != last and x.startswith(last)), None)
            if longer is not None:
                own[last] -= 1
                other[longer] -= 1
    return sum(v for v in missing_a.values() if v > 0) > 0 and sum(v for v in missing_b.values() if v > 0) > 0

"""The precise check that two texts are copies of one story (after MinHash found them as candidates).

A copy keeps most of the other's text: a new date, a source or editor line, 5-10% of the
characters changed, or cut to 70% of its length. So the test is containment, not only
Jaccard: the share of the shorter text's character trigrams found in the longer one
(CONTAINMENT), with the shorter at least MIN_SIZE_RATIO of the longer.

Chinese news is full of templates (state visits, obituaries, meeting notices) whose texts
share 70-90% of their trigrams and are different stories. What tells them apart is what a
copy keeps and a template changes: the figures and the names. When each text has a number
the other lacks, or each repeats a two-character run (a name: 菲佐 twice in one, 斯特勒 twice
in the other; jieba does not know most foreign names, so no part-of-speech test) that the
other never has, or each names a work in 《》 the other does not, they are two stories. A
copy may lose some of these (cut, or a changed character) but does not bring in others, so
the loss is on one side only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from xinwen.text import fold_width

CONTAINMENT = 0.7
MIN_SIZE_RATIO = 0.5
MIN_CHARS = 50  # shorter texts (after normalization) take no part in copy detection

_WORD_CHARS = re.compile(r"\w+")
_CN = "〇零一二三四五六七八九十百千两"
# figures, and numbers written in Chinese when whole: ordinals (第二十八届 -> 二十八; a changed
# character leaves 第二十X届, which is none, or X十八届 -> 十八, part of one), sessions (三次会议),
# years (二〇二四年)
_NUMBER = re.compile(rf"\d+(?:\.\d+)?|(?<=第)[{_CN}]+(?=[次届期轮批号个条项章节集名位天年])|[{_CN}]+(?=届)"
                     rf"|[{_CN}]+(?=次(?:全体)?会议)|[〇零一二三四五六七八九]{{4}}(?=年)")
_CN_NUMBER = re.compile(rf"^[{_CN}]+$")
_WORK_TITLE = re.compile(r"《([^》]{1,40})》")


_BITS = np.int64(21)  # a code point fits in 21 bits: runs of characters are packed into one int64
_LOW = np.int64((1 << 21) - 1)


def normalize(text: str) -> str:
    """Full-width folded, letters and digits only (punctuation, spaces and line breaks dropped)."""
    return "".join(_WORD_CHARS.findall(fold_width(text)))


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
    """A text prepared once for many comparisons (character runs as packed integers, numpy)."""

    __slots__ = ("raw", "norm", "codes", "grams", "_numbers", "_repeated", "_repeated3", "_titles", "_chars")

    def __init__(self, raw: str) -> None:
        self.raw = fold_width(raw)
        self.norm = "".join(_WORD_CHARS.findall(self.raw))
        self.codes = np.frombuffer(self.norm.encode("utf-32-le"), dtype="<u4").astype(np.int64)
        c = self.codes
        if len(c) >= 3:
            self.grams = _sorted_unique((c[:-2] << (2 * _BITS)) | (c[1:-1] << _BITS) | c[2:])
        else:
            self.grams = c[:1].copy()
        self._numbers: list[str] | None = None
        self._repeated: np.ndarray | None = None
        self._repeated3: np.ndarray | None = None
        self._titles: set[str] | None = None
        self._chars: np.ndarray | None = None

    @property
    def chars(self) -> np.ndarray:
        if self._chars is None:
            self._chars = _sorted_unique(self.codes)
        return self._chars

    @property
    def titles(self) -> set[str]:
        """Titles of works, laws and documents in 《》."""
        if self._titles is None:
            self._titles = set(_WORK_TITLE.findall(self.raw))
        return self._titles

    @property
    def ends_in_number(self) -> bool:
        """Whether the last figure sits in the last tenth of the text (where a cut would fall)."""
        if not self.numbers:
            return False
        last = self.numbers[-1]
        return self.norm.rfind(last) + len(last) >= 0.9 * len(self.norm)

    @property
    def numbers(self) -> list[str]:
        """Figures, and ordinals written in Chinese (三 of 第三次, 十四 of 十四届)."""
        if self._numbers is None:
            self._numbers = _NUMBER.findall(self.raw)
        return self._numbers

    @property
    def repeated(self) -> np.ndarray:
        """Two-character runs the text has at least twice (what a story repeats: its names), packed."""
        if self._repeated is None:
            c = self.codes
            self._repeated = _twice((c[:-1] << _BITS) | c[1:]) if len(c) >= 2 else c[:0]
        return self._repeated

    @property
    def repeated3(self) -> np.ndarray:
        """Three-character runs the text has at least twice, packed."""
        if self._repeated3 is None:
            c = self.codes
            self._repeated3 = _twice((c[:-2] << (2 * _BITS)) | (c[1:-1] << _BITS) | c[2:]) if len(c) >= 3 else c[:0]
        return self._repeated3


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (several times faster on short arrays than numpy's hashing unique)."""
    v = np.sort(values)
    return v[np.concatenate(([True], v[1:] != v[:-1]))] if len(v) else v


def _twice(runs: np.ndarray) -> np.ndarray:
    """The values that occur at least twice, sorted."""
    v = np.sort(runs)
    return _sorted_unique(v[1:][v[1:] == v[:-1]]) if len(v) > 1 else v[:0]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values in sorted_set (both int64; the set sorted and unique)."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def eligible(text: str) -> bool:
    """Whether a body is long enough to take part in copy detection."""
    return len(normalize(text)) >= MIN_CHARS


def compare(a: Text | str, b: Text | str) -> CopyCheck:
    """Measure whether `a` and `b` are copies of one story (see the module text)."""
    ta = a if isinstance(a, Text) else Text(a)
    tb = b if isinstance(b, Text) else Text(b)
    if not len(ta.grams) or not len(tb.grams):
        return CopyCheck(0.0, 0.0)
    small, large = sorted((len(ta.grams), len(tb.grams)))
    if small / large < MIN_SIZE_RATIO:
        return CopyCheck(0.0, small / large)
    shared = int(_member(ta.grams, tb.grams).sum())
    check = CopyCheck(shared / small, small / large)
    if check.containment < CONTAINMENT or check.size_ratio < MIN_SIZE_RATIO:
        return check
    check.number_conflict = number_conflict(ta.numbers, tb.numbers, ta.ends_in_number, tb.ends_in_number)
    if not check.number_conflict:
        strong_a, weak_a = _unmatched_repeats(ta, tb)
        strong_b, weak_b = _unmatched_repeats(tb, ta)
        strong_a += len(_unmatched_titles(ta, tb))
        strong_b += len(_unmatched_titles(tb, ta))
        check.name_conflict = bool(strong_a and (strong_b or weak_b) or strong_b and weak_a)
    return check


def _unmatched_repeats(a: Text, b: Text) -> tuple[int, int]:
    """What `a` repeats and `b` never has: a name (菲佐 twice against 斯特勒 twice), as (strong, weak)
    evidence. Strong: runs of two characters neither of which `b` uses, and runs of three with a
    character `b` never uses; a changed character keeps its neighbours (院息 for 信息), and the same
    change twice in the same three characters does not happen by chance. Weak: runs of two with one
    character `b` never uses (卡尼 against 阿尔巴尼斯; or 院息 twice, by chance)."""
    two = a.repeated
    first, second = _member(two >> _BITS, b.chars), _member(two & _LOW, b.chars)
    three = a.repeated3
    in_b = [_member((three >> (k * _BITS)) & _LOW, b.chars) for k in range(3)]
    strong = int((~first & ~second).sum()) + int((~(in_b[0] & in_b[1] & in_b[2])).sum())
    weak = int((first != second).sum())
    return strong, weak


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


def number_conflict(a: list[str], b: list[str], a_cut: bool = False, b_cut: bool = False) -> bool:
    """Each side has a figure the other lacks. The last figure of a text may be cut short when
    it ends the text (a copy cut at 70% can end in "20" where the other has "2024"); `a_cut`
    and `b_cut` say whether that can be so."""
    missing_a = Counter(a) - Counter(b)
    missing_b = Counter(b) - Counter(a)
    if not missing_a or not missing_b:
        return False
    # a Chinese ordinal with a changed character reads as part of itself (二十八 -> 十八)
    for x in list(missing_a):
        if _CN_NUMBER.match(x):
            part = next((y for y in missing_b if missing_b[y] > 0 and _CN_NUMBER.match(y) and (x in y or y in x)),
                        None)
            if part is not None:
                n = min(missing_a[x], missing_b[part])
                missing_a[x] -= n
                missing_b[part] -= n
    for last, other, cut in ((a[-1] if a else None, missing_b, a_cut), (b[-1] if b else None, missing_a, b_cut)):
        own = missing_a if other is missing_b else missing_b
        if cut and last is not None and own[last] > 0:
            longer = next((x for x in other if x != last and x.startswith(last)), None)
            if longer is not None:
                own[last] -= 1
                other[longer] -= 1
    return sum(v for v in missing_a.values() if v > 0) > 0 and sum(v for v in missing_b.values() if v > 0) > 0

"""The precise check that two texts are copies of one story (after MinHash found them as candidates).

A copy keeps the story's text, but not exactly: a portal cuts it (an excerpt, cut anywhere), adds
a source line, an editor line or share prompts, prints it in Traditional script or with full-width
digits, moves paragraphs, and OCR or typing changes a character here and there, inside figures
and names too (2023 -> 20的3). A template is another story in the same words: a state visit, an
obituary, a session of a congress, a personnel notice, a daily report, with other names and
figures in the same places. The check tells them apart by aligning the two texts and looking at
what stands in the same slot, not by comparing sets of figures or names (a stray character in a
figure makes "a figure the other lacks" on both sides, just as a template does).

1. Both texts are taken in their copy form (xinwen.analysis.fingerprint: Simplified, half-width,
   header and footer lines dropped, white space dropped, each punctuation mark as a placeholder,
   so that changing a character, punctuation or not, never shifts the text).
2. Cheap filters: the shorter at least MIN_SIZE_RATIO of the longer (a 40% excerpt is a copy),
   and at least CONTAINMENT of the shorter's character trigrams in the longer; and not so much of
   the shorter in long stretches sharing no trigram with the longer (`_apart`) that the coverage
   (step 3) could not be reached. Then, on the runs of anchors alone (step 3), the signs no noise
   rate explains (another figure in a slot, a name changed twice: `_certain`) end the check early;
   not a figure where the runs go on one or two diagonals over, away from figures, again and again
   (characters inserted or deleted at random: `_shifted`), which step 4 weighs.
3. Alignment (`_align`): anchors are trigrams found exactly once in each text; anchors one after
   another on one diagonal (the same offset between the texts) form runs; runs are extended along
   their diagonal while the texts stay mostly alike, past a character one text has and the other
   lacks (a changed line break), never past a line break the other text does not have there;
   stretches of the shorter text still left out are placed where most of their trigrams agree
   (text whose every trigram recurs has no anchors). A run is compared character by character:
   a changed character is a one-character slot between equal neighbours. Between two runs that
   follow each other in both texts, a short difference (MAX_SLOT) is a slot too (a name of another
   length, an inserted word), and so is a longer one (LONG_SLOT) between runs on nearly one diagonal
   whose characters are mostly the same on both sides (noise thick in a few words); elsewhere the
   alignment jumps (a moved paragraph, a cut). A short run far off the diagonal of the runs around it,
   inside a line, strays (`_unstray`: a phrase printed twice, characters inserted or deleted in one
   printing, has trigrams once in each text at different printings) and is dropped.
   Coverage: the share of the shorter text's letters and digits inside runs and slots (up to
   COVERAGE_SLACK left out where paragraphs were cut or moved do not count), at least MIN_COVERAGE:
   another story that shares some sentences has long stretches outside.
4. Template evidence (`_evidence`), slot by slot. Noise is measured on the pair itself: the share
   of aligned characters changed alone (one here, one there), and the share inserted or deleted
   alone (a slot of one character against none, not in a figure), and each sign weighs as far as
   noise at those rates would rarely make it (`_Noise`: the likeliest edits that make one side of a
   slot of the other, by weighted edit distance, and how often noise makes them). A pair with no
   character inserted or deleted alone (a template) weighs every slot as changed characters only:
   - figure: a figure where the other has another figure (3日 / 23日, 0.5 / 0.6): the digits around
     the slot are all digits on both sides (a figure broken by a stray character, 20的3, is none)
     and not two figures the other text has too (swapped by a misalignment). Strong; a figure that
     digits inserted or deleted make of the other (1/10, 2023/203), as often as noise would do that
     to the text's digits; a digit changed into another amid noise (2024年|宝山区 / 域2025|宝山), strong.
   - number: a Chinese number where the other has another, where numbers are counted (第二 / 第三,
     三次会议 / 四次会议, 十四届 / 十五届); noise makes one when it changes a numeral into another,
     or deletes one.
   - changed: several characters changed in a row (a name of the same length, 吴政隆 / 谌贻琴), unless
     characters inserted and deleted a few apart make it likelier (方珍视兰 / 中方珍视).
   - repeated: the same change of two or more characters at two places (夏巴兹 ... 夏巴兹 / 塔里克 ...
     塔里克): random changes do not repeat. Strong.
   - length: a replacement of another length (汪洋 / 王沪宁): changing characters keeps the length,
     unless the other text had white space there. Strong, as far as the insertions and deletions
     measured would rarely make it (行保持 / 保 is noise where they are frequent).
   - inserted: two or more letters or digits on one side only, found nowhere in the other. Weak,
     unless the insertions measured make it likely.
   - moved: the alignment jumps in the middle of lines in both texts (a rewrite moves clauses; a
     copy moves whole paragraphs). Weak.
   The pair is a template when the weights reach TEMPLATE_EVIDENCE (one strong sign, or two weak).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from xinwen.analysis.fingerprint import BREAK, PLACEHOLDER, SPACE, copy_form, form_arrays, word_chars

CONTAINMENT = 0.45  # character trigrams of the shorter found in the longer (a cheap filter)
MIN_SIZE_RATIO = 0.35
COVERAGE_SLACK = 8  # letters and digits of the shorter text left out at seams that do not count
MIN_COVERAGE = 0.9  # the shorter's share inside aligned runs and slots
MIN_CHARS = 50  # shorter texts (letters and digits of the copy form) take no part in copy detection
MAX_SLOT = 16  # a longer difference between two aligned runs is no slot (unless alike: LONG_SLOT)
LONG_SLOT = 4 * MAX_SLOT
FILL_MIN = 12  # a stretch of the shorter text left out this long is looked for again
FILL_MAX_OCCURRENCES = 4
FILL_VOTES = 3
SPACE_REACH = 3
BREAK_REACH = 12  # a line break this near a jump of the alignment makes it a seam (paragraphs may start alike)
MAX_HOPS = 8  # characters one text has and the other lacks, passed over when extending a run
HOP_MIN = 5  # characters alike that a run must go on for after such a character
QUICK = 48  # characters _reach compares in Python before numpy takes over
EDIT_MAX = 400  # a slot longer than this is not taken apart into edits (every character changed)
LONG_CHANGE = 3  # characters changed in a row, in place, that can be a sign (when noise would not do it)
SPARE_SEARCH = 2  # characters one side of a slot has more, placed by trying every way (beyond: not placed)
MIN_RATE = 0.01  # the noise rate assumed at least
CN_SHARE = 0.018  # share of Chinese numerals (一二三 …) among the characters of news text
# a sign's weight: strong when noise makes it with a chance below the first, weak below the second
CHANGED_CHANCE = (0.0005, 0.005)
NUMBER_CHANCE = (0.005, 0.05)
WEIGHT_STRONG = 2
WEIGHT_WEAK = 1
TEMPLATE_EVIDENCE = 2

_BITS = np.int64(21)  # a code point fits in 21 bits: runs of characters are packed into one int64
_PLACE = ord(PLACEHOLDER)
_CN_DIGITS = "〇零一二三四五六七八九十百千万两"
_COUNTERS = set("次届年月日号期批个名位岁周天项条件家座轮种类回")  # what a Chinese number counts, after it
_ORDINAL = "第"
_FIGURES = re.compile(f"[0-9]+|[{_CN_DIGITS}]+")


def normalize(text: str) -> str:
    """The copy form of a text without its placeholders: letters and digits only."""
    return copy_form(text).replace(PLACEHOLDER, "")


def trigrams(norm: str) -> set[str]:
    return {norm[i : i + 3] for i in range(len(norm) - 2)} if len(norm) >= 3 else ({norm} if norm else set())


def eligible(text: str | Text) -> bool:
    """Whether a body (or a body prepared as a Text) is long enough to take part in copy detection."""
    if isinstance(text, Text):
        return int((text.codes != _PLACE).sum()) >= MIN_CHARS
    return word_chars(copy_form(text)) >= MIN_CHARS


@dataclass
class Slot:
    """One place where the aligned texts differ: a[a_start:a_end] stands where b[b_start:b_end] does."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    before: int = 0  # alike characters trimmed off before and after (a stretch between two runs)
    after: int = 0
    moved: bool = False  # no slot: the alignment jumps here, in the middle of lines


@dataclass
class CopyCheck:
    """The measurements behind a verdict."""

    containment: float
    size_ratio: float
    coverage: float = 0.0
    gap: int = 0  # the longest stretch of the shorter text outside the alignment
    evidence: int = 0  # template evidence, in weights
    signs: list[str] = field(default_factory=list)  # the template signs found: "figure 3/23", ...

    @property
    def number_conflict(self) -> bool:
        """A figure or Chinese number where the other has another."""
        return any(s.startswith(("figure", "number")) for s in self.signs)

    @property
    def name_conflict(self) -> bool:
        """Other words in the same place: a name changed, repeated, of another length."""
        return any(s.startswith(("repeated", "length", "changed")) for s in self.signs)

    @property
    def is_copy(self) -> bool:
        return (self.containment >= CONTAINMENT and self.size_ratio >= MIN_SIZE_RATIO
                and self.coverage >= MIN_COVERAGE and self.evidence < TEMPLATE_EVIDENCE)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (several times faster on short arrays than numpy's hashing unique)."""
    v = np.sort(values)
    return v[np.concatenate(([True], v[1:] != v[:-1]))] if len(v) else v


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values in sorted_set (both int64; the set sorted and unique)."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


class Text:
    """A text prepared once for many comparisons: its copy form as code points, its trigrams packed
    into integers (numpy), where it had white space, and, when first aligned, the trigrams it has
    exactly once."""

    __slots__ = ("raw", "codes", "packed", "grams", "_kind", "_form", "_spaces", "_lines", "_once", "_once_pos",
                 "_figures", "_line_list")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        all_codes, kind = form_arrays(raw)
        space = (kind == SPACE) | (kind == BREAK)
        if space.any():
            self.codes = all_codes[~space]
            self._kind: np.ndarray | None = kind  # where the white space was: spaces and lines, when needed
        else:
            self.codes = all_codes
            self._kind = None
        c = self.codes
        if len(c) >= 3:
            self.packed = (c[:-2] << (2 * _BITS)) | (c[1:-1] << _BITS) | c[2:]
        else:
            self.packed = c[:1].copy()
        self.grams = _sorted_unique(self.packed)
        # what only the alignment needs is made when first used: most candidates fail the cheap filters
        self._form: str | None = None
        self._spaces: np.ndarray | None = None
        self._lines: np.ndarray | None = None
        self._once: np.ndarray | None = None
        self._once_pos: np.ndarray | None = None
        self._figures: set[str] | None = None
        self._line_list: list[int] | None = None

    @property
    def form(self) -> str:
        """The copy form as a string."""
        if self._form is None:
            self._form = self.codes.astype("<u4").tobytes().decode("utf-32-le")
        return self._form

    @property
    def spaces(self) -> np.ndarray:
        """spaces[i]: white space characters before the form's character i (spaces[len]: all of them)."""
        if self._spaces is None:
            self._spaces = self._before(self._kind, (SPACE, BREAK))
        return self._spaces

    @property
    def lines(self) -> np.ndarray:
        """lines[i]: line breaks before the form's character i (lines[len]: all of them)."""
        if self._lines is None:
            self._lines = self._before(self._kind, (BREAK,))
        return self._lines

    def _before(self, kind: np.ndarray | None, kinds: tuple[int, ...]) -> np.ndarray:
        if kind is None:
            return np.zeros(len(self.codes) + 1, dtype=np.int64)
        kept = (kind != SPACE) & (kind != BREAK)
        marked = np.isin(kind, kinds)
        return np.concatenate((np.cumsum(marked)[kept], [int(marked.sum())]))

    @property
    def cn_share(self) -> float:
        """The share of its characters that are Chinese numerals."""
        return sum(self.form.count(c) for c in _CN_DIGITS) / max(len(self.form), 1)

    @property
    def figures(self) -> set[str]:
        """Its figures (runs of digits) and Chinese numbers."""
        if self._figures is None:
            self._figures = set(_FIGURES.findall(self.form))
        return self._figures

    def once(self) -> tuple[np.ndarray, np.ndarray]:
        """The trigrams found exactly once (sorted) and where they start."""
        if self._once is None or self._once_pos is None:
            order = np.argsort(self.packed, kind="stable")
            g = self.packed[order]
            if len(g):
                change = g[1:] != g[:-1]
                single = np.concatenate(([True], change)) & np.concatenate((change, [True]))
            else:
                single = np.zeros(0, dtype=bool)
            self._once, self._once_pos = g[single], order[single]
        return self._once, self._once_pos

    def line_list(self) -> list[int]:
        """`lines` as a Python list (for character-by-character work)."""
        if self._line_list is None:
            self._line_list = self.lines.tolist()
        return self._line_list

    def space_within(self, start: int, end: int) -> int:
        """White space characters the text had between its characters start - 1 and end."""
        return int(self.spaces[end] - (self.spaces[start - 1] if start > 0 else 0))

    def near_break(self, start: int, end: int) -> bool:
        """Whether the text had a line break within BREAK_REACH characters of the stretch start:end."""
        return bool(self.lines[min(len(self.form), end + BREAK_REACH)] > self.lines[max(0, start - BREAK_REACH)])

    def breaks_inside(self, start: int, end: int) -> bool:
        """Whether the text had a line break between two characters of start:end."""
        return end - start >= 2 and bool(self.lines[end - 1] > self.lines[start])

    def breaks(self, start: int, end: int) -> tuple[int, int]:
        """Line breaks the text had right before its character `start`, and after it up to `end`."""
        before = int(self.lines[start] - (self.lines[start - 1] if start > 0 else 0))
        return before, int(self.lines[end] - self.lines[start])


def compare(a: Text | str, b: Text | str) -> CopyCheck:
    """Measure whether `a` and `b` are copies of one story (see the module text)."""
    ta = a if isinstance(a, Text) else Text(a)
    tb = b if isinstance(b, Text) else Text(b)
    if not len(ta.grams) or not len(tb.grams):
        return CopyCheck(0.0, 0.0)
    ratio = min(len(ta.codes), len(tb.codes)) / max(len(ta.codes), len(tb.codes))
    if ratio < MIN_SIZE_RATIO:
        return CopyCheck(0.0, ratio)
    shared = int(_member(ta.grams, tb.grams).sum())
    check = CopyCheck(shared / min(len(ta.grams), len(tb.grams)), ratio)
    if check.containment < CONTAINMENT:
        return check
    if len(ta.codes) > len(tb.codes):
        ta, tb = tb, ta  # the shorter first: coverage is its share, and what is left of it is looked for again
    words = ta.codes != _PLACE
    n_words = int(words.sum())
    apart = _apart(ta, tb, words)
    if apart > (1 - MIN_COVERAGE) * n_words + COVERAGE_SLACK:
        # long stretches of the shorter with no trigram in the other: no run passes them and no slot holds
        # them, so the coverage cannot reach MIN_COVERAGE (stories that share some sentences)
        check.coverage = 1 - apart / n_words
        return check
    anchored = _anchor_runs(ta, tb)
    if len(anchored):
        # other figures, or the same name changed twice, inside the runs of anchors alone: signs that no
        # noise rate explains, found before the costlier extension of the runs (templates come up as
        # candidates again and again: a daily report's every earlier day)
        certain = _certain(ta, tb, _merged(_run_slots(ta, tb, anchored)), _shifted(ta, anchored))
        if len(certain) * WEIGHT_STRONG >= TEMPLATE_EVIDENCE:
            covered = _covered(anchored, len(ta.codes))
            check.coverage = int((covered & words).sum()) / n_words if n_words else 0.0
            check.gap = _longest_false(covered)
            check.evidence, check.signs = len(certain) * WEIGHT_STRONG, certain
            return check
    slots, covered = _align(ta, tb, anchored)
    slack = min(COVERAGE_SLACK, _at_seams(ta, ~covered & words))
    check.coverage = min(1.0, (int((covered & words).sum()) + slack) / n_words) if n_words else 0.0
    check.gap = _longest_false(covered)
    # weighed whatever the coverage: two stories that share a frame (an excerpt of it matches both) are
    # told apart by what stands in their common slots (xinwen.linking.copies keeps them in two clusters)
    check.evidence, check.signs = _evidence(ta, tb, slots, int(covered.sum()))
    return check


def _apart(a: Text, b: Text, words: np.ndarray) -> int:
    """Letters and digits of `a` in stretches longer than MAX_SLOT where no trigram of `a` is one of `b`'s."""
    if len(a.codes) < 3:
        return 0
    found = _member(a.packed, b.grams)
    touched = np.zeros(len(a.codes), dtype=bool)  # a character inside some trigram `b` has
    touched[:-2] |= found
    touched[1:-1] |= found
    touched[2:] |= found
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (~touched).astype(np.int8), [0]))))
    starts, ends = edges[::2], edges[1::2]
    long = (ends - starts) > MAX_SLOT
    if not long.any():
        return 0
    counts = np.concatenate(([0], np.cumsum(words)))
    return int((counts[ends[long]] - counts[starts[long]]).sum())


def is_copy(a: Text | str, b: Text | str) -> bool:
    return compare(a, b).is_copy


# -- alignment ---------------------------------------------------------------------------------

def _at_seams(text: Text, left_out: np.ndarray) -> int:
    """How many of the characters left out are in stretches that begin or end at a line break or an end of
    the text: what a cut or a moved paragraph leaves unaligned (a template differs inside its lines)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], left_out.astype(np.int8), [0]))))
    total = 0
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if start == 0 or end == len(left_out) or text.lines[start] > text.lines[start - 1] \
                or text.lines[end] > text.lines[end - 1]:
            total += end - start
    return total


def _longest_false(mask: np.ndarray) -> int:
    """The longest run of False in a boolean array."""
    if not len(mask):
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate(([True], mask, [True])).astype(np.int8)))
    return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0


def _align(a: Text, b: Text, anchored: np.ndarray | None = None) -> tuple[list[Slot], np.ndarray]:
    """The slots of the two texts' alignment, and which characters of `a` (the shorter) are aligned
    (`anchored`: the runs of anchors, when already found)."""
    runs = _unstray(a, b, _extend(a, b, _anchor_runs(a, b) if anchored is None else anchored))
    in_a = _covered(runs, len(a.codes))
    if in_a.mean() < MIN_COVERAGE and len(a.codes) >= FILL_MIN:
        more = _fill(a, b, runs, in_a)
        if len(more):
            runs = _unstray(a, b, _extend(a, b, _ordered(np.concatenate((runs, more)))))
            in_a = _covered(runs, len(a.codes))
    if not len(runs):
        return [], in_a
    slots = _run_slots(a, b, runs)
    for s in _between_slots(a, b, runs):
        in_a[s.a_start - s.before : s.a_end + s.after] = True  # the whole stretch between the runs
        if s.a_end > s.a_start or s.b_end > s.b_start or s.moved:
            slots.append(s)
    return _merged(slots), in_a


def _merged(slots: list[Slot]) -> list[Slot]:
    """The slots in the order of `a`, those that touch in both texts as one (罗文 against 长星 inside a run,
    right after 信 that one text has more: 罗文 against 信长星)."""
    out: list[Slot] = []
    for s in sorted(slots, key=lambda s: (s.a_start, s.b_start, s.a_end)):
        last = out[-1] if out else None
        if last is not None and not last.moved and not s.moved and s.a_start == last.a_end \
                and s.b_start == last.b_end:
            out[-1] = Slot(last.a_start, s.a_end, last.b_start, s.b_end, last.before, s.after)
        else:
            out.append(s)
    return out


def _unstray(a: Text, b: Text, runs: np.ndarray) -> np.ndarray:
    """The runs without those that stray: a short run (MAX_SLOT) far off the diagonal of the runs either side
    of it, which go on (within MAX_HOPS) on one diagonal with a stretch of about its length between them in
    `b` too, inside one line in both texts, of mostly the same characters (`_alike_stretch`). A phrase the
    story prints twice, with characters inserted or deleted in one printing, has trigrams found once in
    each text but at different printings; what stands in its place is a slot. (A short line moved between
    two others is no stray, nor a phrase moved where the other text has another.)"""
    if len(runs) < 3:
        return runs
    prev, run, nxt = runs[:-2], runs[1:-1], runs[2:]
    a_gap = nxt[:, 0] - prev[:, 1]
    b_gap = nxt[:, 0] + nxt[:, 2] - prev[:, 1] - prev[:, 2]
    stray = ((np.abs(nxt[:, 2] - prev[:, 2]) <= MAX_HOPS) & (np.abs(run[:, 2] - prev[:, 2]) > MAX_HOPS)
             & (a_gap <= MAX_SLOT) & (b_gap >= 0) & (np.abs(a_gap - b_gap) <= MAX_HOPS))
    if not stray.any():
        return runs
    a0, a1 = np.maximum(prev[:, 1] - 1, 0), nxt[:, 0]
    b0, b1 = np.maximum(prev[:, 1] + prev[:, 2] - 1, 0), np.minimum(nxt[:, 0] + nxt[:, 2], len(b.codes))
    stray &= (a.lines[a1] == a.lines[a0]) & (b.lines[b1] == b.lines[b0])
    for k in np.flatnonzero(stray).tolist():  # and what stands in its place is mostly the same characters
        p, n = runs[k].tolist(), runs[k + 2].tolist()
        stray[k] = _alike_stretch(a.form[p[1] : n[0]], b.form[p[1] + p[2] : n[0] + n[2]], 0)
    if not stray.any():
        return runs
    return runs[~np.concatenate(([False], stray, [False]))]


def _covered(runs: np.ndarray, n: int) -> np.ndarray:
    """Which of n characters of `a` the runs cover."""
    mask = np.zeros(n, dtype=bool)
    for start, end, _ in runs.tolist():
        mask[start:end] = True
    return mask


def _ordered(runs: np.ndarray) -> np.ndarray:
    """Runs in the order of `a`, each ending where the next starts at the latest."""
    runs = runs[np.argsort(runs[:, 0], kind="stable")]
    runs[:-1, 1] = np.minimum(runs[:-1, 1], runs[1:, 0])
    return runs[runs[:, 1] > runs[:, 0]]


def _fill(a: Text, b: Text, runs: np.ndarray, in_a: np.ndarray) -> np.ndarray:
    """More runs, for stretches of `a` left out (FILL_MIN characters or more): text whose every trigram
    recurs (a paragraph printed twice in one story) has no anchors, and, moved, no neighbour to be
    reached from. Each stretch goes where most of its trigrams agree on one diagonal, among the
    places of `b` no run covers (a trigram found up to FILL_MAX_OCCURRENCES times there)."""
    in_b = np.zeros(len(b.codes), dtype=bool)
    for start, end, d in runs.tolist():
        in_b[start + d : end + d] = True
    free = np.flatnonzero(~(in_b[:-2] | in_b[1:-1] | in_b[2:])) if len(b.codes) >= 3 else np.empty(0, np.int64)
    if not len(free):
        return np.empty((0, 3), dtype=np.int64)
    order = np.argsort(b.packed[free], kind="stable")
    values, places = b.packed[free][order], free[order]
    edges = np.flatnonzero(np.diff(np.concatenate(([1], in_a.astype(np.int8), [1]))))
    out = []
    for q0, q1 in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if q1 - q0 < FILL_MIN:
            continue
        q = np.arange(q0, q1 - 2)
        lo = np.searchsorted(values, a.packed[q], side="left")
        n = np.minimum(np.searchsorted(values, a.packed[q], side="right") - lo, FILL_MAX_OCCURRENCES)
        if not n.sum():
            continue
        at = np.arange(int(n.sum())) + np.repeat(lo - (np.cumsum(n) - n), n)
        qs = np.repeat(q, n)
        d = places[at] - qs
        diagonals, votes = np.unique(d, return_counts=True)
        best = int(np.argmax(votes))
        if votes[best] < FILL_VOTES:
            continue
        on = qs[d == diagonals[best]]
        out.append((int(on.min()), int(on.max()) + 3, int(diagonals[best])))
    return np.array(out, dtype=np.int64).reshape(-1, 3)


def _anchor_runs(a: Text, b: Text) -> np.ndarray:
    """Runs of anchors as rows (a_start, a_end, diagonal), in the order of `a`: anchors are trigrams found
    once in each text, a run is anchors one after another on one diagonal (an anchor alone on its
    diagonal is a coincidence, dropped), from the first anchor's start to the last one's end."""
    ka, pa = a.once()
    kb, pb = b.once()
    _, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    if len(ia) < 2:
        return np.empty((0, 3), dtype=np.int64)
    order = np.argsort(pa[ia])
    i, j = pa[ia][order], pb[ib][order]
    d = j - i
    keep = np.concatenate(([False], d[1:] == d[:-1])) | np.concatenate((d[:-1] == d[1:], [False]))
    i, d = i[keep], d[keep]
    if not len(i):
        return np.empty((0, 3), dtype=np.int64)
    first = np.flatnonzero(np.concatenate(([True], d[1:] != d[:-1])))
    last = np.concatenate((first[1:], [len(i)])) - 1
    runs = np.stack((i[first], i[last] + 3, d[first]), axis=1)
    # runs on different diagonals may overlap by a trigram's tail: the later one starts where it starts
    runs[:-1, 1] = np.minimum(runs[:-1, 1], runs[1:, 0])
    return runs[runs[:, 1] > runs[:, 0]]


def _extend(a: Text, b: Text, runs: np.ndarray) -> np.ndarray:
    """Each run extended along its diagonal while the texts go on mostly alike, then past a character or
    two that one text has and the other lacks, up to the neighbouring runs: text whose trigrams all
    recur (a headline repeated in the story, two near-identical paragraphs) has no anchors of its
    own, and a character changed where the other text had a line break shifts the diagonal."""
    out: list[tuple[int, int, int]] = []
    n_a, n_b = len(a.codes), len(b.codes)
    for k in range(len(runs)):
        start, end, d = (int(v) for v in runs[k])
        lo = out[-1][1] if out else 0
        hi = int(runs[k + 1, 0]) if k + 1 < len(runs) else n_a
        left: list[tuple[int, int, int]] = []
        start -= _reach(a, b, start, d, lo, -1)
        s, sd = start, d
        for _ in range(MAX_HOPS):
            hop = max(((_reach(a, b, e, nd, lo, -1), e, nd) for e, nd in
                       ((s, sd - 1), (s, sd - 2), (s - 1, sd + 1), (s - 2, sd + 2)) if lo <= e and 0 <= e + nd <= n_b),
                      default=(0, 0, 0))
            if hop[0] < HOP_MIN:
                break
            left.append((hop[1] - hop[0], hop[1], hop[2]))
            s, sd = hop[1] - hop[0], hop[2]
        out += left[::-1]
        end += _reach(a, b, end, d, hi, 1)
        out.append((start, end, d))
        e, ed = end, d
        for _ in range(MAX_HOPS):
            hop = max(((_reach(a, b, s2, nd, hi, 1), s2, nd) for s2, nd in
                       ((e, ed + 1), (e, ed + 2), (e + 1, ed - 1), (e + 2, ed - 2)) if s2 <= hi and 0 <= s2 + nd <= n_b),
                      default=(0, 0, 0))
            if hop[0] < HOP_MIN:
                break
            out.append((hop[1], hop[1] + hop[0], hop[2]))
            e, ed = hop[1] + hop[0], hop[2]
    return np.array(out, dtype=np.int64).reshape(-1, 3)


def _reach(a: Text, b: Text, at: int, d: int, limit: int, step: int) -> int:
    """How far the texts stay alike on diagonal d from `at` (exclusive of `at` when going left, step -1)
    towards `limit` in `a`, within both texts, and not past a line break that the other text does not
    have there (a run that went on into the next paragraph of one text would pass a seam).

    Most calls end within a few characters (a hop tried and not taken), so the first QUICK characters
    are compared in Python first; numpy takes over for a longer stretch."""
    if step > 0:
        stop = min(limit, len(b.codes) - d)
        if stop <= at:
            return 0
        n = _reach_quick(a, b, at, d, min(stop, at + QUICK), 1, at + QUICK >= stop)
        if n is not None:
            return n
        # breaks before the characters at + 1 .. stop - 1 (one before the first is where the run left off)
        seam = np.flatnonzero(np.diff(a.lines[at:stop]) != np.diff(b.lines[at + d : stop + d]))
        stop = at + 1 + int(seam[0]) if len(seam) else stop
        return _alike(a.codes[at:stop] == b.codes[at + d : stop + d])
    stop = max(limit, -d)
    if stop >= at:
        return 0
    n = _reach_quick(a, b, at, d, max(stop, at - QUICK), -1, at - QUICK <= stop)
    if n is not None:
        return n
    seam = np.flatnonzero(np.diff(a.lines[stop:at]) != np.diff(b.lines[stop + d : at + d]))
    stop = stop + 1 + int(seam[-1]) if len(seam) else stop
    return _alike((a.codes[stop:at] == b.codes[stop + d : at + d])[::-1])


def _reach_quick(a: Text, b: Text, at: int, d: int, end: int, step: int, whole: bool) -> int | None:
    """_reach over the window from `at` to `end` (inside both texts), in Python: the answer when the stretch
    ends inside the window (at a seam, or where three of four characters differ) or the window is the
    `whole` stretch, else None."""
    la, lb = a.line_list(), b.line_list()
    if step > 0:
        lo, hi = at, end
        for i in range(lo, hi - 1):  # a seam: a line break between i and i + 1 in one text only
            if la[i + 1] - la[i] != lb[i + d + 1] - lb[i + d]:
                hi = i + 1
                break
        x, y = a.form[lo:hi], b.form[lo + d : hi + d]
        seam = hi < end
    else:
        lo, hi = end, at
        for i in range(hi - 1, lo, -1):
            if la[i] - la[i - 1] != lb[i + d] - lb[i + d - 1]:
                lo = i
                break
        x, y = a.form[lo:hi][::-1], b.form[lo + d : hi + d][::-1]
        seam = lo > end
    differ = [u != v for u, v in zip(x, y, strict=True)]
    n = len(differ)
    bad = False
    if differ.count(True) >= 3:  # (fewer: no four of which three differ)
        for i in range(n - 3):
            if differ[i] + differ[i + 1] + differ[i + 2] + differ[i + 3] >= 3:
                n, bad = i, True
                break
    if not bad and not seam and not whole:
        return None  # alike to the end of the window: the stretch may go on
    while n and differ[n - 1]:
        n -= 1
    return n


def _alike(equal: np.ndarray) -> int:
    """How long a stretch of compared characters stays alike from its start: up to the first four of
    which three differ, less the differing characters at its end."""
    n = len(equal)
    if n >= 4:
        differ = np.concatenate(([0], np.cumsum(~equal)))
        bad = np.flatnonzero(differ[4:] - differ[:-4] >= 3)
        n = int(bad[0]) if len(bad) else n
    while n and not equal[n - 1]:
        n -= 1
    return n


def _run_slots(a: Text, b: Text, runs: np.ndarray) -> list[Slot]:
    """Characters that differ inside runs, neighbours grouped: slots of the same length on each side."""
    lengths = runs[:, 1] - runs[:, 0]
    total = int(lengths.sum())
    pos = np.arange(total) + np.repeat(runs[:, 0] - (np.cumsum(lengths) - lengths), lengths)
    other = pos + np.repeat(runs[:, 2], lengths)
    at = np.flatnonzero(a.codes[pos] != b.codes[other])
    if not len(at):
        return []
    run_of = np.repeat(np.arange(len(runs)), lengths)
    breaks = np.concatenate(([True], (at[1:] != at[:-1] + 1) | (run_of[at[1:]] != run_of[at[:-1]])))
    starts = at[breaks]
    ends = np.concatenate((at[np.flatnonzero(breaks)[1:] - 1], [at[-1]])) + 1
    return [Slot(int(pos[s]), int(pos[s]) + e - s, int(other[s]), int(other[s]) + e - s)
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def _jump(a: Text, b: Text, a0: int, a1: int, b0: int, b1: int) -> Slot:
    """Where the alignment leaves one run for another that is not next to it in `b`: an empty slot, marked
    `moved` when no line break is near in `a` and near an end in `b` (a copy moves paragraphs, whole or
    cut; a rewrite moves clauses inside them)."""
    moved = not a.near_break(a0, a1) and not (b.near_break(b0, b0) and b.near_break(b1, b1))
    if moved:  # the texts alike across the jump on either diagonal: a phrase printed twice, no move
        moved = not (_alike_at(a, b, a1 - 4, b1 - 4) or _alike_at(a, b, a0, b0))
    return Slot(a1, a1, b1, b1, moved=moved)


def _alike_at(a: Text, b: Text, i: int, j: int, n: int = 4) -> bool:
    """Whether a[i:i+n] and b[j:j+n] agree on all but one character."""
    if i < 0 or j < 0 or i + n > len(a.codes) or j + n > len(b.codes):
        return False
    return int((a.codes[i : i + n] == b.codes[j : j + n]).sum()) >= n - 1


def _alike_stretch(x: str, y: str, shift: int) -> bool:
    """Whether a stretch longer than MAX_SLOT between two runs is still one slot: the runs go on nearly one
    diagonal (within MAX_HOPS), the stretch is at most LONG_SLOT long on each side, and most characters of
    the longer are found in the other (noise thick in a few words, which left no run there)."""
    if abs(shift) > MAX_HOPS or max(len(x), len(y)) > LONG_SLOT:
        return False
    common = sum((Counter(x) & Counter(y)).values())
    return common * 3 >= max(len(x), len(y)) * 2


def _between_slots(a: Text, b: Text, runs: np.ndarray) -> list[Slot]:
    """The stretches between runs that follow each other in both texts, when both are short (MAX_SLOT),
    trimmed of what they start and end with alike (the slot may be empty then)."""
    out = []
    for k in range(len(runs) - 1):
        a0, a1 = int(runs[k, 1]), int(runs[k + 1, 0])
        b0, b1 = a0 + int(runs[k, 2]), a1 + int(runs[k + 1, 2])
        if b1 < b0:  # the next run starts inside this one in b: this one ends earlier on both sides
            if b0 - b1 > 2:
                out.append(_jump(a, b, a0, a1, b0, b1))  # b goes back: a moved paragraph, or text moved
                continue
            a0 -= b0 - b1
            b0 = b1
        long = a1 - a0 > MAX_SLOT or b1 - b0 > MAX_SLOT
        if a1 < a0 or (long and not _alike_stretch(a.form[a0:a1], b.form[b0:b1], runs[k + 1, 2] - runs[k, 2])):
            out.append(_jump(a, b, a0, a1, b0, b1))
            continue
        if a1 - a0 == b1 - b0 and not long:  # the same length: compared in place, as inside a run
            differ = np.flatnonzero(a.codes[a0:a1] != b.codes[b0:b1])
            if len(differ):
                groups = np.split(differ, np.flatnonzero(np.diff(differ) > 1) + 1)
                out += [Slot(a0 + int(g[0]), a0 + int(g[-1]) + 1, b0 + int(g[0]), b0 + int(g[-1]) + 1) for g in groups]
            out.append(Slot(a0, a0, b0, b0, before=0, after=a1 - a0))  # the stretch, for the coverage
            continue
        x, y = a.form[a0:a1], b.form[b0:b1]
        p = 0
        while p < min(len(x), len(y)) and x[p] == y[p]:
            p += 1
        q = 0
        while q < min(len(x), len(y)) - p and x[len(x) - 1 - q] == y[len(y) - 1 - q]:
            q += 1
        out.append(Slot(a0 + p, a1 - q, b0 + p, b1 - q, before=p, after=q))
    return out


# -- what the slots say --------------------------------------------------------------------------

def _token(form: str, start: int, end: int, kind: str) -> tuple[int, int]:
    """The slot's stretch extended over neighbouring characters of the same kind ("digit" or "cn")."""
    ok = _is_digit if kind == "digit" else _is_cn
    while start > 0 and ok(form[start - 1]):
        start -= 1
    while end < len(form) and ok(form[end]):
        end += 1
    return start, end


def _in_number(form: str, at: int) -> bool:
    """Whether the character at `at` is a digit or a Chinese numeral next to another of its kind."""
    ok = _is_digit if _is_digit(form[at]) else _is_cn if _is_cn(form[at]) else None
    return ok is not None and ((at > 0 and ok(form[at - 1])) or (at + 1 < len(form) and ok(form[at + 1])))


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_cn(ch: str) -> bool:
    return ch in _CN_DIGITS


def _counted(form: str, start: int, end: int) -> bool:
    """Whether a Chinese number stands where a number is read: 第 before it, or a counter after it."""
    return (start > 0 and form[start - 1] == _ORDINAL) or (end < len(form) and form[end] in _COUNTERS)


def _figure(a: Text, b: Text, s: Slot, kind: str) -> tuple[str, str] | None:
    """The two figures (kind "digit") or counted Chinese numbers ("cn") the slot holds, when it holds one on
    each side and they differ; a figure with a stray character in it is none."""
    ok = _is_digit if kind == "digit" else _is_cn
    x, y = a.form[s.a_start : s.a_end], b.form[s.b_start : s.b_end]
    if not all(map(ok, x)) or not all(map(ok, y)):
        return None
    a0, a1 = _token(a.form, s.a_start, s.a_end, kind)
    b0, b1 = _token(b.form, s.b_start, s.b_end, kind)
    ta, tb = a.form[a0:a1], b.form[b0:b1]
    if not ta or not tb or ta == tb:
        return None
    if kind == "cn" and not (_counted(a.form, a0, a1) and _counted(b.form, b0, b1)):
        return None
    return ta, tb


def _evidence(a: Text, b: Text, slots: list[Slot], aligned: int) -> tuple[int, list[str]]:
    """Template evidence in the slots (see the module text): its weight and the signs.

    What noise does is measured on the pair itself: `rate`, the share of aligned characters changed
    in place. Noise changes each character with that chance, into one drawn about as often as
    characters occur in Chinese text; a sign counts as far as noise at that rate would rarely make it
    (its chance, `_tail`, below STRONG_CHANCE or WEAK_CHANCE of the kind)."""
    signs: list[str] = []
    weight = 0
    numbers: dict[str, set[tuple[int, int]]] = {}
    words: dict[tuple[str, str], set[tuple[int, int]]] = {}
    # noise changes characters one here, one there: its rate is measured on the lone changed characters
    # (the changed names and figures of a template, several characters each, do not count); at rate r a
    # changed character stands alone with chance (1 - r)**2, which the estimate undoes
    changed = sum(1 for s in slots if s.a_end - s.a_start == 1 and s.b_end - s.b_start == 1 and not s.moved)
    lone = min((changed + 1) / max(aligned, 1), 0.25)  # one more: a short text's few changes say little
    rate = max(lone / (1 - lone) ** 2, MIN_RATE)
    # characters inserted or deleted one here, one there (a slot of one character against none): their rate,
    # measured the same way but without the one more: a pair with none, as templates, weighs a slot of
    # another length as before (no insertion or deletion explains it). An insertion or deletion ends a run
    # (another diagonal), and the next must be HOP_MIN characters on to stand alone. A digit or a Chinese
    # numeral next to another does not count: it may be what a template has more in a figure (3日 / 23日),
    # the very sign weighed against this rate
    indels = sum(1 for s in slots if s.a_end - s.a_start + s.b_end - s.b_start == 1 and not s.moved
                 and not (_in_number(a.form, s.a_start) if s.a_end > s.a_start else _in_number(b.form, s.b_start)))
    indel_rate = _undo_grouping(indels / max(aligned, 1), 2 * HOP_MIN)
    noise = _Noise(aligned, rate, indel_rate)
    # figures that digits inserted or deleted make one of the other (1/10, 2023/203)
    indel_figures: dict[tuple[str, str], set[tuple[int, int]]] = {}
    pairs: list[str] = []  # slots with two or more letters or digits changed in a row

    def changed_run(x: str, y: str) -> int:
        """The weight of characters changed in a row in place (k in a row: about aligned * rate**k such runs
        by chance), or of characters inserted and others deleted a few apart (方珍视兰/中方珍视) when that is
        likelier; two or more changed in place (not by insertions and deletions) join `pairs`."""
        k = _changed_run(x, y)
        in_place = aligned * rate ** k
        chance = noise.likeliest(x, y, in_place) if k >= 2 else 1.0
        if k >= 2 and (chance == in_place or chance < CHANGED_CHANCE[1]):
            pairs.append(f"{x}/{y}")
        return _sign(signs, f"changed {x}/{y}", chance, CHANGED_CHANCE) if k >= LONG_CHANGE else 0

    for s in slots:
        if s.a_end - s.a_start == 1 and s.b_end - s.b_start == 1:  # most slots: one character changed
            x, y = a.form[s.a_start], b.form[s.b_start]
            if not (_is_digit(x) and _is_digit(y)) and not (_is_cn(x) and _is_cn(y)):
                continue  # no figure, no number, no name: noise (counted above)
        if s.moved:
            signs.append(f"moved {a.form[max(0, s.a_start - 4) : s.a_start + 4]}")
            weight += WEIGHT_WEAK
            continue
        x, y = a.form[s.a_start : s.a_end], b.form[s.b_start : s.b_end]
        fig = _figure(a, b, s, "digit")
        if fig:
            if fig[0] not in b.figures or fig[1] not in a.figures:  # else two figures swapped: misaligned
                _, inserted, digits = noise.edits(*fig)
                if inserted and not digits:  # likelier made by inserting and deleting digits than changing one
                    indel_figures.setdefault(fig, set()).add((s.a_start, s.b_start))
                else:
                    signs.append(f"figure {fig[0]}/{fig[1]}")
                    weight += WEIGHT_STRONG
            continue
        num = _figure(a, b, s, "cn")
        if num:
            if num[0] not in b.figures or num[1] not in a.figures:
                numbers.setdefault(f"{num[0]}/{num[1]}", set()).add((s.a_start, s.b_start))
            continue
        if len(x) == len(y):  # characters changed in place
            weight += changed_run(x, y)
            if PLACEHOLDER not in x and PLACEHOLDER not in y:
                words.setdefault((x, y), set()).add((s.a_start, s.b_start))
            continue
        # a character changed where the other had a space or a line break lengthens a slot: noise (where
        # the alignment puts the extra character among changed ones is a guess: white space near it counts)
        if len(x) < len(y):
            spare = a.space_within(max(0, s.a_start - SPACE_REACH), min(len(a.form), s.a_end + SPACE_REACH))
        else:
            spare = b.space_within(max(0, s.b_start - SPACE_REACH), min(len(b.form), s.b_end + SPACE_REACH))
        if abs(len(x) - len(y)) <= spare:
            weight += changed_run(x, y)  # a long change with a space in it is still a long change
            continue
        if a.breaks(s.a_start, s.a_end) != b.breaks(s.b_start, s.b_end):
            continue  # a seam between paragraphs (moved, or cut), not one slot
        if a.breaks_inside(s.a_start - s.before, s.a_end + s.after) or \
                b.breaks_inside(s.b_start - s.before, s.b_end + s.after):
            continue  # a line where the other has another line: lines moved (a headline, away from its story)
        wx, wy = x.replace(PLACEHOLDER, ""), y.replace(PLACEHOLDER, "")
        if wx and wy and max(len(wx), len(wy)) >= 2:
            # changing characters keeps the length: only insertions and deletions make another, and as far
            # as those measured on the pair would make this one (行保持/保, 连任马/任), it is noise
            chance = noise.chance(x, y)
            changes, inserted, digits = noise.edits(x, y)
            if digits:  # a digit changed into another amid noise (2024年|宝山区 / 域2025|宝山): another figure
                signs.append(f"figure {x}/{y}")
                weight += WEIGHT_STRONG
            elif chance < CHANGED_CHANCE[1]:
                signs.append(f"length {x}/{y}")
                weight += WEIGHT_STRONG if chance < CHANGED_CHANCE[0] else WEIGHT_WEAK
            elif changes and changes + inserted >= 2:
                pairs.append(f"{x}/{y}")  # a word replaced by one of another length (贵州/青), as noise would
        elif not (wx and wy) and len(wx or wy) >= 2:
            if (x or y) not in (b.form if x else a.form):  # not a piece moved from elsewhere
                weight += min(WEIGHT_WEAK, _sign(signs, f"inserted {x or y}", noise.chance(x, y),
                                                 CHANGED_CHANCE))
    if numbers:
        # noise makes a Chinese number another when it changes one of its characters into one of them
        places = sum(_distinct(p) for p in numbers.values())
        # or deletes one of its characters (inserting one next to a number is rarer: not counted)
        chance = _tail(a.cn_share * (changed * CN_SHARE + indels / 2), places)
        for num in numbers:
            weight += _sign(signs, f"number {num}", chance, NUMBER_CHANCE)
    if len(pairs) >= 2:
        # several words changed, each of two characters or more (罗文/信长星, 河北/江苏, 河北/青海): noise changes
        # two characters in a row about aligned * rate**2 times (rate: of characters changed, inserted or
        # deleted). (One such change alone says little.)
        weight += _sign(signs, f"changed {' '.join(pairs[:3])}",
                        _tail(aligned * (rate + indel_rate) ** 2, len(pairs)), CHANGED_CHANCE)
    if indel_figures:
        # noise makes a figure another by inserting or deleting digits: as often as it makes such a slot,
        # among the text's digits
        digits = sum(1 for ch in a.form if _is_digit(ch))
        likeliest = max(noise.chance(x, y) for x, y in indel_figures)
        chance = _tail(likeliest * digits / noise.aligned, sum(_distinct(p) for p in indel_figures.values()))
        weight += _sign(signs, "figure " + " ".join(f"{x}/{y}" for x, y in list(indel_figures)[:3]), chance,
                        NUMBER_CHANCE)
    for (x, y), places in words.items():
        # the same change of two or more characters at two places or more: a name. (The same change of one
        # character may be a systematic misreading, 己 for 已, or a script variant: no sign.)
        if len(x) >= 2 and _distinct(places) >= 2:
            signs.append(f"repeated {x}/{y}")
            weight += WEIGHT_STRONG
    return weight, signs


def _undo_grouping(lone: float, reach: int) -> float:
    """The rate r of random events when `lone` of the characters hold one with no other within reach / 2
    characters either side: lone = r * (1 - r)**reach, solved for r (the smaller root; at most the rate at
    which lone events are the most frequent, 1 / (reach + 1))."""
    if lone <= 0:
        return 0.0
    top = 1 / (reach + 1)
    r = lone
    for _ in range(30):
        r = min(lone / (1 - r) ** reach, top)
    return r


class _Noise:
    """Noise measured on a pair: characters changed (`rate`) and inserted or deleted (`indel_rate`), each
    at random places; what it makes of a slot, and how often (`chance`)."""

    def __init__(self, aligned: int, rate: float, indel_rate: float) -> None:
        self.aligned = max(aligned, 1)
        self.rate = rate
        self.indel_rate = indel_rate
        self.change_cost = -math.log(rate)
        self.indel_cost = -math.log(indel_rate) if indel_rate > 0 else math.inf
        self._edits: dict[tuple[str, str], tuple[int, int, int]] = {}

    def edits(self, x: str, y: str) -> tuple[int, int, int]:
        """The likeliest way noise made y of x: (characters changed, characters inserted or deleted, digits
        changed into other digits), by weighted edit distance (each edit costs minus the log of its rate),
        the characters of one paired with those of the other at most MAX_HOPS places further than the
        difference in length."""
        if self.indel_cost == math.inf or max(len(x), len(y)) > EDIT_MAX:
            return min(len(x), len(y)), abs(len(x) - len(y)), 0  # every character changed, the rest inserted
        if (x, y) in self._edits:
            return self._edits[x, y]
        ic, cc = self.indel_cost, self.change_cost
        band = abs(len(x) - len(y)) + MAX_HOPS
        far = (math.inf, 0, 0, 0)
        prev = [(j * ic, 0, j, 0) if j <= band else far for j in range(len(y) + 1)]
        for i in range(1, len(x) + 1):
            cur = [(i * ic, 0, i, 0) if i <= band else far]
            u_ch = x[i - 1]
            for j in range(1, len(y) + 1):
                if abs(i - j) > band:
                    cur.append(far)
                    continue
                d = prev[j - 1]
                v_ch = y[j - 1]
                if u_ch == v_ch:
                    best = d
                else:
                    best = (d[0] + cc, d[1] + 1, d[2], d[3] + (_is_digit(u_ch) and _is_digit(v_ch)))
                up, left = prev[j], cur[j - 1]
                if up[0] + ic < best[0]:
                    best = (up[0] + ic, up[1], up[2] + 1, up[3])
                if left[0] + ic < best[0]:
                    best = (left[0] + ic, left[1], left[2] + 1, left[3])
                cur.append(best)
            prev = cur
        self._edits[x, y] = out = prev[-1][1], prev[-1][2], prev[-1][3]
        return out

    def chance(self, x: str, y: str) -> float:
        """About how many slots like x/y noise makes in the aligned text: its edits at their rates, the first
        at any place, the others anywhere within the slot."""
        changes, indels, _ = self.edits(x, y)
        events = changes + indels
        if not events:
            return 1.0
        if indels and not self.indel_rate:
            return 0.0
        span = max(len(x), len(y), events)
        return (self.aligned * self.rate**changes * self.indel_rate**indels
                * math.comb(max(span - 1, 0), events - 1))

    def likeliest(self, x: str, y: str, in_place: float) -> float:
        """The chance of the slot x/y as noise: `in_place` (its characters changed where they stand), or
        that of insertions and deletions making it, when likelier."""
        return max(in_place, self.chance(x, y)) if self.indel_rate else in_place


def _changed_run(x: str, y: str) -> int:
    """The most letters or digits changed in a row, in place, between two stretches: what a name of the
    same length replaced by another changes. A changed punctuation mark is no part of a name; when one
    stretch is longer (a character changed where the other had white space), the extra characters are
    taken out where they leave the fewest changes (up to SPARE_SEARCH of them; beyond, every character
    of the shorter counts as changed)."""
    if len(x) != len(y):
        long, short = (x, y) if len(x) > len(y) else (y, x)
        extra = len(long) - len(short)
        if extra > SPARE_SEARCH:
            return len(short)
        best = None
        for out in combinations(range(len(long)), extra):
            kept = "".join(ch for i, ch in enumerate(long) if i not in out)
            differ = sum(u != v for u, v in zip(kept, short, strict=True))
            if best is None or differ < best[0]:
                best = (differ, kept)
        assert best is not None
        x, y = best[1], short
    run = longest = 0
    for u, v in zip(x, y, strict=True):
        run = run + 1 if u != v and u != PLACEHOLDER and v != PLACEHOLDER else 0
        longest = max(longest, run)
    return longest


def _shifted(a: Text, anchored: np.ndarray) -> bool:
    """Whether runs of anchors go on one or two diagonals over, away from figures (a template's figure of
    another length shifts the diagonal too), at MIN_RATE of the characters or more: characters inserted
    or deleted at random, which may make another figure of a figure (`_evidence` weighs it)."""
    if len(anchored) - 1 < MIN_RATE * len(a.codes):  # too few runs for that many shifts
        return False
    steps = np.abs(np.diff(anchored[:, 2]))
    small = (steps >= 1) & (steps <= 2)
    if small.sum() < MIN_RATE * len(a.codes):
        return False
    digits = np.concatenate(([0], np.cumsum((a.codes >= 48) & (a.codes <= 57))))
    start, end = np.maximum(anchored[:-1, 1] - 1, 0), np.minimum(anchored[1:, 0] + 1, len(a.codes))
    clear = digits[np.maximum(end, start)] == digits[start]
    return int((small & clear).sum()) >= MIN_RATE * len(a.codes)


def _certain(a: Text, b: Text, slots: list[Slot], shifted: bool = False) -> list[str]:
    """The signs among these slots that weigh the same whatever the noise: another figure in the same place
    (unless characters were inserted and deleted at random, `shifted`), and the same change of two or more
    characters at two places (as `_evidence` finds them)."""
    signs = []
    words: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for s in slots:
        x, y = a.form[s.a_start : s.a_end], b.form[s.b_start : s.b_end]
        if len(x) != len(y) or s.moved:
            continue
        if len(x) == 1 and not (_is_digit(x) and _is_digit(y)):
            continue  # a lone changed character: noise, or part of a name (which `_evidence` weighs)
        fig = _figure(a, b, s, "digit")
        if fig:
            if (fig[0] not in b.figures or fig[1] not in a.figures) and not shifted:
                signs.append(f"figure {fig[0]}/{fig[1]}")
            continue
        if _figure(a, b, s, "cn"):
            continue  # a Chinese number: weighed against the noise rate
        if len(x) >= 2 and PLACEHOLDER not in x and PLACEHOLDER not in y:
            words.setdefault((x, y), set()).add((s.a_start, s.b_start))
    return signs + [f"repeated {x}/{y}" for (x, y), places in words.items() if _distinct(places) >= 2]


def _sign(signs: list[str], sign: str, chance: float, limits: tuple[float, float]) -> int:
    """The weight of a sign that noise makes with this chance (strong below limits[0], weak below
    limits[1]), noted in `signs` when it has one."""
    weight = WEIGHT_STRONG if chance < limits[0] else WEIGHT_WEAK if chance < limits[1] else 0
    if weight:
        signs.append(sign)
    return weight


def _tail(mean: float, k: int) -> float:
    """P(X >= k) for X Poisson with this mean: the chance of k or more events expected `mean` times."""
    if k <= 0:
        return 1.0
    term = total = math.exp(-mean)
    for i in range(1, k):
        term *= mean / i
        total += term
    return max(0.0, 1.0 - total)


def _distinct(places: set[tuple[int, int]]) -> int:
    """Places that differ in both texts (a repeated paragraph of one aligned twice is one place)."""
    return min(len({p for p, _ in places}), len({q for _, q in places}))

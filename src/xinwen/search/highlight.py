"""Highlighted snippets: the window of an article's body where the query's words are densest.

Matched words are wrapped in MARK_OPEN / MARK_CLOSE (U+E000 / U+E001, private-use characters that
never occur in news text; any already there are removed first). `to_html` escapes the text and turns
the marks into <mark>; `to_brackets` into 【】 for a terminal.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
WINDOW = 120  # characters of body shown around the matches
LEAD = 12  # context kept before the first match when the window does not start a sentence
MAX_MATCHES = 5000  # enough to choose a window in any real article; bounds the work on a hostile one
_STRIP_MARKS = str.maketrans("", "", MARK_OPEN + MARK_CLOSE)
_SENTENCE_START = "。！？!?；;\n"


def matcher(strings: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all strings, longest first (so 上海交通大学 wins over 上海); case-insensitive
    when a string has Latin letters."""
    alts = tuple(sorted({s for s in strings if s}, key=lambda s: (-len(s), s)))
    return _compile(alts) if alts else None


@lru_cache(maxsize=512)
def _compile(alts: tuple[str, ...]) -> re.Pattern[str]:
    flags = re.IGNORECASE if any(ch.isascii() and ch.isalpha() for s in alts for ch in s) else 0
    return re.compile("|".join(re.escape(s) for s in alts), flags)


def _strip(text: str) -> str:
    if MARK_OPEN in text or MARK_CLOSE in text:
        return text.translate(_STRIP_MARKS)
    return text


def mark(text: str, pattern: re.Pattern[str] | None) -> str:
    """Wrap every match in the marks."""
    text = _strip(text)
    if pattern is None:
        return text
    return pattern.sub(lambda m: MARK_OPEN + m.group() + MARK_CLOSE, text)


def best_window(
    body: str,
    pattern: re.Pattern[str] | None,
    groups: Mapping[str, str] | None = None,
    *,
    width: int = WINDOW,
) -> str | None:
    """The `width`-character window of `body` holding the most distinct query words (then the most
    matches), marked; starts at a sentence start when one is close, "…" where text was cut.
    None when nothing matches in the body."""
    body = _strip(body)
    if pattern is None:
        return None
    keys = {k.lower(): v for k, v in (groups or {}).items()}
    matches: list[tuple[int, int, str]] = []
    for m in pattern.finditer(body):
        word = m.group().lower()
        matches.append((m.start(), m.end(), keys.get(word, word)))
        if len(matches) >= MAX_MATCHES:
            break
    if not matches:
        return None
    # two pointers: for a window starting at match i, the matches that end inside it
    best = (-1, -1, 0)  # (distinct words, matches, index of the first match)
    counts: Counter[str] = Counter()
    j = 0
    for i, (start, _, key) in enumerate(matches):
        if j < i:
            j = i
            counts.clear()
        while j < len(matches) and matches[j][1] <= start + width - LEAD:
            counts[matches[j][2]] += 1
            j += 1
        if (len(counts), j - i) > best[:2]:
            best = (len(counts), j - i, i)
        if j > i:
            counts[key] -= 1
            if not counts[key]:
                del counts[key]
    first = matches[best[2]][0]
    begin = _window_start(body, first)
    end = min(len(body), begin + width)
    window = body[begin:end].replace("\n", " ").strip()
    text = mark(window, pattern)
    return ("…" if begin > 0 else "") + text + ("…" if end < len(body) else "")


def _window_start(body: str, first: int) -> int:
    """Begin at the sentence the first match is in when it starts close by, else a little before."""
    floor = max(0, first - 3 * LEAD)
    for k in range(first - 1, floor - 1, -1):
        if body[k] in _SENTENCE_START:
            return k + 1
    if floor == 0:
        return 0
    return max(0, first - LEAD)


_MARKED = re.compile(re.escape(MARK_OPEN) + "(.*?)" + re.escape(MARK_CLOSE), re.S)


def to_html(text: str) -> str:
    """Escape, then wrap what sat between the marks in <mark>; a stray mark is dropped."""
    marked = _MARKED.sub(lambda m: "<mark>" + m.group(1) + "</mark>", html.escape(text, quote=True))
    return _strip(marked)


def to_brackets(text: str) -> str:
    """The marks as 【】, for plain text."""
    return text.replace(MARK_OPEN, "【").replace(MARK_CLOSE, "】")


def plain(text: str) -> str:
    """The text without marks."""
    return _strip(text)

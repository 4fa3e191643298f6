"""The search query language, parsed into plain data (a backend compiles it: store/fts5.py for SQLite).

What a user can type::

    绿色低碳 宝山            words, AND-ed (when no article has them all: any of them, ranked by BM25)
    "长江经济带"             an exact phrase (“中文引号” too)
    -会议  -"新闻联播"        exclude a word or a phrase
    tag:低碳  -tag:会议       articles with (without) a computed tag; several tag: filters must all hold
    source:新华社            articles from a source (several source: filters: any of them)
    origin:新华社            articles credited to an outlet (来源：新华社, 据新华社电, …; several: any of them)
    from:2024-01-01 to:2024-06-30   published in a date range (inclusive; also since:/until:,
                                    2024-06 for a month, 2024 for a year)

Nothing a user types is syntax of the backend's search engine: a word is a word, and `AND`, `OR`,
`NOT`, `NEAR`, `*`, `^`, `:` and brackets are plain text. Words are segmented the way the index was (the
collection's segmenter), so 上海交通大学 finds articles that wrote 上海 / 交通 / 大学 apart, and 交通大学
finds 上海交通大学 (its parts are indexed too, see `Segmenter.search_terms`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from xinwen.analysis.lexicon import stopwords
from xinwen.analysis.origin import normalize_outlet
from xinwen.analysis.segment import PLAIN, Segmenter
from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.text import is_cjk, normalize

MAX_WORDS = 32  # more would only slow the search down

_OPEN_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "＂": "＂"}
_FILTER_KEYS = {
    "tag": "tag", "标签": "tag",
    "source": "source", "来源": "source",
    "origin": "origin", "出处": "origin",
    "from": "from", "since": "from",
    "to": "to", "until": "to",
}  # fmt: skip
_KEY = re.compile(r"([A-Za-z]+|标签|来源|出处)[:：]")
_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_YEAR = re.compile(r"(\d{4})\s*年?$")


@dataclass
class Word:
    """One word of a query as the index holds it, with the dictionary parts that can stand for it."""

    text: str
    parts: list[str] = field(default_factory=list)  # a cover of `text` by shorter words; [] when none
    adjacent: bool = False  # the parts must follow each other (a typed word the segmenter splits)

    def strings(self) -> list[str]:
        """What to mark in text for this word."""
        return [self.text, *self.parts]


@dataclass
class Phrase:
    """A quoted phrase: its words narrow the index lookup, the exact string is then required."""

    text: str
    words: list[Word]


@dataclass
class Query:
    """A parsed query: words and phrases to find, what to exclude, and filters."""

    text: str
    words: list[Word] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    exclude_words: list[Word] = field(default_factory=list)
    exclude_phrases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    exclude_sources: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # outlets the story is credited to (normalized)
    exclude_origins: list[str] = field(default_factory=list)
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before (exclusive)
    notes: list[str] = field(default_factory=list)  # what was read differently from how it was typed

    @property
    def has_text(self) -> bool:
        """Whether there is anything to look up in the full-text index."""
        return bool(self.words or any(p.words for p in self.phrases))

    @property
    def has_filters(self) -> bool:
        """Whether anything but words narrows the search (tags, sources, dates, phrases, exclusions)."""
        return bool(self.tags or self.exclude_tags or self.sources or self.exclude_sources or self.origins
                    or self.exclude_origins or self.since
                    or self.until or self.phrases or self.exclude_phrases or self.exclude_words)

    def typed_words(self) -> list[str]:
        """The positive words as typed (of the query and of its phrases), before any split into parts."""
        return [w.text for p in self.phrases for w in p.words] + [w.text for w in self.words]

    def highlight_terms(self, text: str) -> dict[str, str]:
        """What to mark in one article (`text`: its title and body, lowercased): each string -> the query
        word or phrase it stands for. A word's parts are marked only where the word itself is absent."""
        out = {p.text: p.text for p in self.phrases}
        for w in [*(w for p in self.phrases for w in p.words), *self.words]:
            if w.adjacent or not w.parts or w.text.lower() in text:
                out.setdefault(w.text, w.text)
            else:
                for part in w.parts:
                    out.setdefault(part, w.text)
        return out


def parse_query(text: str, segmenter: Segmenter | None = None) -> Query:
    """Read what a user typed, segmenting as `segmenter` (the collection's; default jieba's own
    dictionary) does. Never raises: what cannot be used is noted in `Query.notes`."""
    seg = segmenter or PLAIN
    text = text if isinstance(text, str) else str(text)
    text = normalize(text.replace("\x00", " "))[:1000]
    q = Query(text=text)
    for negative, key, value, quoted in _tokens(text):
        if key:
            _apply_filter(q, key, value, negative, quoted, seg)
        elif quoted:
            _add_phrase(q, value, negative, seg)
        elif negative:
            words = query_words(value, seg)
            if len(words) == 1:
                q.exclude_words.append(words[0])
            elif words:
                _add_phrase(q, value, True, seg)
        else:
            _add_words(q, value, seg)
    _drop_stopwords(q)
    if q.since and q.until and q.since >= q.until:
        q.notes.append("from: is not before to:; nothing can match")
    return q


def _tokens(text: str) -> list[tuple[bool, str | None, str, bool]]:
    """(negative, filter key or None, value, quoted) for each piece of the query."""
    out: list[tuple[bool, str | None, str, bool]] = []
    i, n = 0, len(text)
    pending_not = False
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negative, pending_not = pending_not, False
        if text[i] in "-－" and i + 1 < n and not text[i + 1].isspace():
            negative = True
            i += 1
        key = None
        m = _KEY.match(text, i)
        if m and m.group(1).lower() in _FILTER_KEYS:
            key = _FILTER_KEYS[m.group(1).lower()]
            i = m.end()
        if i < n and text[i] in _OPEN_QUOTES:
            close = _OPEN_QUOTES[text[i]]
            end = _find_close(text, i + 1, close)
            value, i = text[i + 1 : end], end + 1
            out.append((negative, key, value.strip(), True))
            continue
        end = i
        while end < n and not text[end].isspace() and not (end > i and text[end] in _OPEN_QUOTES):
            end += 1
        value, i = text[i:end], end
        if value == "NOT" and not key and not negative:
            pending_not = True  # `NOT x` reads as `-x`
            continue
        if value in ("AND", "OR") and not key:
            continue  # words are AND-ed already, and fall back to OR when nothing has them all
        out.append((negative, key, value, False))
    return out


def _find_close(text: str, start: int, close: str) -> int:
    """Where the closing quote is; an unbalanced quote runs to the end of the query."""
    for j in range(start, len(text)):
        if text[j] == close or (close == "”" and text[j] == '"') or (close == '"' and text[j] == "”"):
            return j
    return len(text)


def _apply_filter(q: Query, key: str, value: str, negative: bool, quoted: bool, seg: Segmenter) -> None:
    if not value:
        q.notes.append(f"{key}: without a value was ignored")
        return
    if key == "tag":
        (q.exclude_tags if negative else q.tags).append(value)
    elif key == "source":
        (q.exclude_sources if negative else q.sources).append(value)
    elif key == "origin":  # as stored: normalized (中新网 finds 中国新闻网)
        (q.exclude_origins if negative else q.origins).append(normalize_outlet(value) or value)
    else:
        try:
            start, end = date_range(value)
        except OutOfRange:
            q.notes.append(f"{key}:{value} is beyond any date xinwen can count with; ignored")
            return
        except DateError:
            q.notes.append(f"{key}:{value} is not a date (try {key}:2024-01-31); searched as words")
            _add_words(q, value, seg)
            return
        if negative:
            q.notes.append(f"-{key}: is not supported; read as {key}:")
        if key == "from":
            q.since = start if q.since is None else max(q.since, start)
        else:
            q.until = end if q.until is None else min(q.until, end)


def date_range(value: str) -> tuple[datetime, datetime]:
    """The span a date names: a day, a month (2024-06) or a year (2024); times name an instant.
    DateError for what is not a date, or names one beyond year 9998 or before year 2."""
    try:
        return _date_range(value)
    except (OverflowError, ValueError) as e:  # 9999-12-31 + one day, a year 0
        raise OutOfRange(f"{value!r} is outside the dates xinwen can count with") from e
    except DateError as e:
        if re.match(r"\s*9999", normalize(value)):  # the end of 9999 is past datetime's last day
            raise OutOfRange(f"{value!r} is outside the dates xinwen can count with") from e
        raise


class OutOfRange(DateError):
    """A real date, but one xinwen cannot count with (a filter on it would hold every article or none)."""


def _date_range(value: str) -> tuple[datetime, datetime]:
    v = normalize(value).strip()
    if m := _YEAR_MONTH.match(v):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise DateError(f"no month {month} in {value!r}")
        start = parse_date(f"{year:04d}-{month:02d}-01")
        nxt = parse_date(f"{year + month // 12:04d}-{month % 12 + 1:02d}-01")
        return start, nxt
    if m := _YEAR.match(v):
        year = int(m.group(1))
        return parse_date(f"{year:04d}-01-01"), parse_date(f"{year + 1:04d}-01-01")
    start = parse_date(v)
    has_time = any(ch in v for ch in ":时点") or (start.hour, start.minute, start.second) != (0, 0, 0)
    return start, (start if has_time else start + timedelta(days=1))


def _add_phrase(q: Query, value: str, negative: bool, seg: Segmenter) -> None:
    phrase = _squeeze(value)
    words = query_words(phrase, seg)
    if not words:
        if phrase:
            q.notes.append(f'"{phrase}" has no words to search for; ignored')
        return
    if negative:
        q.exclude_phrases.append(phrase)
    else:
        q.phrases.append(Phrase(phrase, words))


def _add_words(q: Query, value: str, seg: Segmenter) -> None:
    seen = {w.text for w in q.words}
    for w in query_words(value, seg):
        if w.text in seen:
            continue
        if len(q.words) >= MAX_WORDS:
            if not any("words" in n for n in q.notes):
                q.notes.append(f"only the first {MAX_WORDS} words were searched for")
            return
        seen.add(w.text)
        q.words.append(w)


def _drop_stopwords(q: Query) -> None:
    """One-character function words (的, 在, 和) add nothing to AND and cost time: dropped, unless the
    query has nothing else."""
    stop = stopwords()
    content = [w for w in q.words if not (len(w.text) == 1 and w.text in stop)]
    if content or q.phrases:
        q.words = content


def _squeeze(phrase: str) -> str:
    """One space between words; none between two Chinese characters (绿色 低碳 -> 绿色低碳)."""
    phrase = " ".join(phrase.split())
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", phrase)


def query_words(text: str, segmenter: Segmenter | None = None) -> list[Word]:
    """The words of some query text, segmented the way the index was, each with its parts.

    A short Chinese chunk typed on its own that the segmenter cuts into single characters (中美, 两国:
    words only in context) stays one word, found as itself or as its characters side by side."""
    seg = segmenter or PLAIN
    pieces = [w.strip() for w in seg.cut(text)]
    pieces = [w for w in pieces if w and any(ch.isalnum() for ch in w)]
    chunk = text.strip()
    if 1 < len(pieces) == len(chunk) <= 4 and all(is_cjk(ch) for ch in chunk):
        return [Word(chunk, pieces, adjacent=True)]
    return [Word(w, list(word_parts(w, seg))) for w in pieces]


def word_parts(word: str, segmenter: Segmenter | None = None) -> tuple[str, ...]:
    """The fewest dictionary words of 2-3 characters that together are a Chinese word of three or more
    characters: 上海交通大学 -> 上海 交通 大学. () when the word is short, not Chinese, or no such
    split exists (a lone character would match too much, and cost a long read of the index)."""
    is_word = (segmenter or PLAIN).has_word
    n = len(word)
    if n < 3 or not all(is_cjk(ch) for ch in word):
        return ()
    best: list[tuple[str, ...] | None] = [None] * (n + 1)  # best[i]: fewest parts making word[:i]
    best[0] = ()
    for i in range(n):
        head = best[i]
        if head is None:
            continue
        for size in (2, 3):
            j = i + size
            if j <= n and size < n and is_word(word[i:j]):
                tail = best[j]
                if tail is None or len(head) + 1 < len(tail):
                    best[j] = (*head, word[i:j])
    return best[n] or ()

"""RSS and Atom feeds via feedparser: one Article per item/entry.

feedparser is handed the feed's bytes as a file object, never a string: given a string that looks like a
URL or names a file, it would fetch or open it itself (outside xinwen's fetcher and its limits)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from xinwen.article import Article, Problem
from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.readers.html import strip_html
from xinwen.text import normalize

_ENTRY_START = re.compile(r"<(?:\w+:)?(?:item|entry)[\s>/]")


def sniff(text: str) -> bool:
    head = text[:4096].lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head


def _entry_lines(text: str) -> list[int]:
    lines, pos, line = [], 0, 1
    for m in _ENTRY_START.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        lines.append(line)
    return lines


def _published(entry: Any) -> tuple[datetime | None, str | None]:
    """(date, problem message)."""
    raw = entry.get("published") or entry.get("updated") or entry.get("created")
    if not raw:
        return None, None
    try:
        return parse_date(raw), None
    except DateError as e:
        with warnings.catch_warnings():  # feedparser warns about its published/updated aliasing
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        if parsed:  # feedparser knows more date dialects; its result is UTC
            return datetime(*parsed[:6], tzinfo=UTC), None
        return None, f"{e.message}; stored without a date"


def read_feed(text: str, name: str) -> Iterator[Article | Problem]:
    """Yield one Article per feed item (RSS) or entry (Atom)."""
    import io

    import feedparser

    parsed = feedparser.parse(io.BytesIO(text.encode("utf-8")), resolve_relative_uris=False, sanitize_html=True)
    if not parsed.entries:
        why = f": {parsed.get('bozo_exception')}" if parsed.get("bozo") else ""
        yield Problem(name, None, None, f"feed has no items{why}")
        return
    source = normalize(parsed.feed.get("title", "")) or None
    lines = _entry_lines(text)
    for n, entry in enumerate(parsed.entries):
        line = lines[n] if n < len(lines) else None
        title = strip_html(entry.get("title", ""))
        contents = entry.get("content") or []
        body = strip_html(contents[0].get("value", "") if contents else entry.get("summary", ""))
        if not title and not body:
            yield Problem(name, line, "title", "feed item has neither a title nor text")
            continue
        extra: dict[str, Any] = {}
        if not title:
            from xinwen.readers.records import derive_title

            title, extra["title_derived"] = derive_title(body), True
        published, problem = _published(entry)
        if problem:
            yield Problem(name, line, "published", problem)
        tags = []
        for tag in entry.get("tags") or []:
            term = normalize(tag.get("term") or tag.get("label") or "")
            if term and term not in tags:
                tags.append(term)
        if entry.get("author"):
            extra["author"] = normalize(entry["author"])
        link = entry.get("link") or ""
        if not link.startswith("http") and str(entry.get("id", "")).startswith("http"):
            link = entry["id"]  # an Atom entry whose only address is its id
        yield Article(
            title=title,
            body=body,
            url=link or None,
            source=source,
            published=published,
            source_tags=tags,
            extra=extra,
            read_from=f"{name}:{line}" if line else f"{name}:{n + 1}",
        )

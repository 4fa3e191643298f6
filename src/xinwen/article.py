"""The `Article` record every layer passes around, and the `Problem` a reader reports."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Problem:
    """A record a reader could not use: where it was and why."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        if self.field:
            where += f" field {self.field!r}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RelatedRef:
    """An entry of a source's own related list (as printed by the source)."""

    title: str
    tags: list[str] = field(default_factory=list)
    snippet: str = ""
    id: str | None = None


@dataclass
class Article:
    """One news article.

    `tags` and `snippet` are computed by xinwen. What the source itself said is
    kept apart in `source_tags` and `source_related` and never reused as the
    computed answer.
    """

    title: str
    body: str = ""
    id: str = ""
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    snippet: str = ""
    source_tags: list[str] = field(default_factory=list)
    source_related: list[RelatedRef] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    read_from: str | None = None  # "file:line" where the record was read
    # provenance, read from the text and the record (xinwen.analysis.provenance): the outlet the story is
    # credited to (来源：新华社, 据人民日报报道, a dateline, the canonical URL's site), the date of the event
    # it tells of, and the evidence for both ({"origin": {...}, "event": {...}})
    origin: str | None = None
    event_date: date | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = make_id(self.title, self.published, self.url)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        d["event_date"] = self.event_date.isoformat() if self.event_date else None
        return d


def content_hash(a: Article) -> str:
    """What makes a record 'the same' on a second ingest."""
    key = json.dumps(
        [a.title, a.body, a.published.isoformat() if a.published else None, a.url, a.source, a.category,
         a.source_tags, [r.title for r in a.source_related], a.extra],
        ensure_ascii=False, sort_keys=True, default=str,
    )
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def normalize_for_id(text: str) -> str:
    """NFKC, no white space: two printings of the same title hash alike."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def make_id(title: str, published: datetime | None = None, url: str | None = None) -> str:
    """Stable id: the url when given, else a hash of normalized title + published."""
    if url:
        key = "url:" + url.strip()
    else:
        key = normalize_for_id(title) + "|" + (published.isoformat() if published else "")
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

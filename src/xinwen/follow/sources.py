"""What `xinwen watch` follows, and what it remembers between runs.

A source is a URL (a feed, a sitemap or sitemap index, a robots.txt, a home or section page: which one is
told by what it serves), a folder (files dropped into it are read as `xinwen ingest` reads them), or a
SOURCES.toml that lists them:

    every = 600                      # seconds between polls, for the sources below that do not say

    [[source]]
    url = "https://www.example.com.cn/rss.xml"
    every = 300
    name = "example"                 # how `xinwen sources` shows it (default: the URL or folder)

    [[source]]
    url = "https://www.example.com.cn/sitemap_index.xml"
    max_per_poll = 50                # articles fetched per poll (default 100); the rest wait in a queue
    max_age_days = 7                 # links dated longer ago are not fetched (default 30; 0: any age)

    [[source]]
    path = "incoming/"               # relative to the SOURCES.toml

The state is one JSON document, saved in the store as fitted state "sources.json" (atomically, after
every poll and every article): per source its last poll and success, consecutive failures, last error,
articles found per day and the queue of links found but not yet read; the addresses already read (seen,
with the day they were first seen; kept SEEN_DAYS); the ETag / Last-Modified of each feed and sitemap.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from xinwen.errors import StoreError, XinwenError

STATE = "sources.json"
STATE_VERSION = 1
DEFAULT_EVERY = 600.0
DEFAULT_MAX_PER_POLL = 100
DEFAULT_MAX_AGE = 30.0
SEEN_DAYS = 120  # an address read longer ago is forgotten (the store still knows its article by its URL)
DAYS_KEPT = 60  # articles-per-day counts kept per source
MAX_QUEUE = 5000  # links waiting per source; more wait for a later poll
MAX_VALIDATORS = 5000  # ETags / Last-Modified kept (feeds and sitemaps; the least recently used go first)
MAX_TRIES = 3  # fetches of one article that fail for now before it is given up


class SourceError(XinwenError):
    """A source that cannot be used as given (a SOURCES.toml that does not parse, an entry without url)."""


@dataclass
class Source:
    """One thing to follow."""

    key: str  # the URL as given, or the folder's absolute path
    name: str = ""
    every: float = DEFAULT_EVERY
    max_per_poll: int = DEFAULT_MAX_PER_POLL
    max_age_days: float = DEFAULT_MAX_AGE  # links dated longer ago are not fetched (0: any age)

    @property
    def is_folder(self) -> bool:
        return not self.key.startswith(("http://", "https://"))

    @property
    def label(self) -> str:
        return self.name or self.key


def is_url(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


def parse_sources(args: list[str], *, every: float = DEFAULT_EVERY, max_per_poll: int = DEFAULT_MAX_PER_POLL,
                  max_age_days: float = DEFAULT_MAX_AGE) -> list[Source]:
    """Sources from the command line: URLs, folders and SOURCES.toml files (SourceError for anything else);
    the options are the defaults of those a SOURCES.toml does not set."""
    out: dict[str, Source] = {}
    base = Source("", every=every, max_per_poll=max_per_poll, max_age_days=max_age_days)
    for arg in args:
        if is_url(arg):
            found = [replace(base, key=arg.strip())]
        elif Path(arg).is_dir():
            found = [replace(base, key=str(Path(arg).resolve()))]
        elif Path(arg).is_file() and arg.lower().endswith(".toml"):
            found = read_toml(Path(arg), base)
        else:
            raise SourceError(f"{arg!r} is not an http(s) URL, a folder or a SOURCES.toml")
        for s in found:
            out.setdefault(s.key, s)
    return list(out.values())


def read_toml(path: Path, base: Source | None = None) -> list[Source]:
    """The sources a SOURCES.toml lists (see the module's docstring); `base` holds the defaults."""
    base = base or Source("")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"cannot read: {e}", file=str(path)) from e
    except tomllib.TOMLDecodeError as e:
        raise SourceError(f"not valid TOML: {e}", file=str(path)) from e
    defaults = {}
    for key in ("every", "max_per_poll", "max_age_days"):
        defaults[key] = _number(doc.get(key, getattr(base, key)), key, path, zero=key == "max_age_days")
    entries = doc.get("source", doc.get("sources", []))
    if not isinstance(entries, list) or not entries:
        raise SourceError("lists no sources: add [[source]] tables, each with url = \"...\" or path = \"...\"",
                          file=str(path))
    out = []
    for n, entry in enumerate(entries, 1):
        where = f"source {n}"
        if not isinstance(entry, dict):
            raise SourceError(f"{where} is not a table", file=str(path))
        unknown = set(entry) - {"url", "path", "name", *defaults}
        if unknown:
            raise SourceError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}", file=str(path))
        url, folder = entry.get("url"), entry.get("path")
        if isinstance(url, str) and is_url(url):
            key = url.strip()
        elif isinstance(folder, str) and folder.strip():
            p = Path(folder).expanduser()
            p = p if p.is_absolute() else path.parent / p
            if not p.is_dir():
                raise SourceError(f"{where}: {folder!r} is not a folder", file=str(path))
            key = str(p.resolve())
        else:
            raise SourceError(f"{where} needs url = \"http(s)://...\" or path = \"folder\"", file=str(path))
        name = entry.get("name", "")
        values = {k: _number(entry.get(k, v), f"{where}: {k}", path, zero=k == "max_age_days")
                  for k, v in defaults.items()}
        out.append(Source(key, name if isinstance(name, str) else str(name), values["every"],
                          int(values["max_per_poll"]), values["max_age_days"]))
    return out


def _number(value: Any, what: str, path: Path, *, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (value == 0 and not zero):
        raise SourceError(f"{what} must be a number above 0, not {value!r}", file=str(path))
    return float(value)


# -- state ----------------------------------------------------------------------------------------------
def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def today() -> date:
    """Today in UTC: the day articles are counted under."""
    return datetime.now(UTC).date()


@dataclass
class SourceState:
    """What is known of one source."""

    key: str
    name: str = ""
    kind: str = ""  # feed | sitemap | robots | page | folder, as last seen
    every: float = DEFAULT_EVERY
    first_poll: str | None = None
    last_poll: str | None = None
    last_success: str | None = None
    failures: int = 0  # consecutive
    last_error: str | None = None
    articles: int = 0  # new articles ingested from it, all told
    days: dict[str, int] = field(default_factory=dict)  # YYYY-MM-DD (UTC) -> new articles that day
    queue: list[dict[str, Any]] = field(default_factory=list)  # {"url", "title", "published", "tries"}
    given_up: int = 0  # articles that could not be read (gone, refused, no article in the page)
    last_problem: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # a folder's files read: path -> "mtime_ns:size"

    def count_article(self, day: str | None = None) -> None:
        day = day or today().isoformat()
        self.articles += 1
        self.days[day] = self.days.get(day, 0) + 1

    def per_day(self, days: int = 7, on: date | None = None) -> float:
        """New articles per day over the `days` days up to `on` (default: today; fewer when the source is
        younger)."""
        day = on or today()
        first = self.first_day()
        span = days if first is None else max(1, min(days, (day - first).days + 1))
        recent = sum(n for d, n in self.days.items() if 0 <= (day - date.fromisoformat(d)).days < span)
        return recent / span

    def first_day(self) -> date | None:
        known = list(self.days) + ([self.first_poll[:10]] if self.first_poll else [])
        try:
            return min(date.fromisoformat(d) for d in known) if known else None
        except ValueError:
            return None

    def health(self) -> str:
        if self.last_poll is None:
            return "new"
        return "failing" if self.failures else "ok"


@dataclass
class WatchState:
    """Everything `watch` remembers, as one JSON document in the store."""

    sources: dict[str, SourceState] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)  # address -> day first read
    validators: dict[str, dict[str, str]] = field(default_factory=dict)  # address -> etag / last_modified

    @classmethod
    def from_bytes(cls, data: bytes | None, where: str = STATE) -> WatchState:
        if not data:
            return cls()
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            version = int(doc.get("version", 0))
            if version > STATE_VERSION:
                raise StoreError(f"written by a newer xinwen (state version {version}); upgrade xinwen", file=where)
            sources = {k: SourceState(**v) for k, v in (doc.get("sources") or {}).items()}
            return cls(sources, dict(doc.get("seen") or {}), dict(doc.get("validators") or {}))
        except StoreError:
            raise
        except (ValueError, TypeError, AttributeError) as e:
            raise StoreError(f"the watch state is damaged ({e}); delete it to start afresh", file=where) from e

    def to_bytes(self) -> bytes:
        self.prune()
        doc = {"version": STATE_VERSION, "sources": {k: asdict(v) for k, v in self.sources.items()},
               "seen": self.seen, "validators": self.validators}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def source(self, src: Source) -> SourceState:
        state = self.sources.get(src.key)
        if state is None:
            state = self.sources[src.key] = SourceState(src.key)
        state.name, state.every = src.name, src.every
        return state

    def mark_seen(self, *urls: str | None) -> None:
        day = today().isoformat()
        for url in urls:
            if url:
                self.seen.setdefault(url, day)

    def prune(self, day: date | None = None) -> None:
        """Forget addresses read more than SEEN_DAYS ago, day counts older than DAYS_KEPT, and the validators
        beyond MAX_VALIDATORS (the least recently used)."""
        day = day or today()
        cut_seen = (day - timedelta(days=SEEN_DAYS)).isoformat()
        cut_days = (day - timedelta(days=DAYS_KEPT)).isoformat()
        if any(d < cut_seen for d in self.seen.values()):
            self.seen = {u: d for u, d in self.seen.items() if d >= cut_seen}
        if len(self.validators) > MAX_VALIDATORS:
            for url in list(self.validators)[: len(self.validators) - MAX_VALIDATORS]:
                del self.validators[url]
        for s in self.sources.values():
            if any(d < cut_days for d in s.days):
                s.days = {d: n for d, n in s.days.items() if d >= cut_days}


def read_state(store: Any) -> WatchState:
    """The watch state kept in a store (empty when there is none)."""
    return WatchState.from_bytes(store.read_state(STATE), f"{store.location} ({STATE})")


def write_state(store: Any, state: WatchState) -> None:
    """Save the watch state in the store, replacing the old one whole or not at all."""
    data = state.to_bytes()
    with store.write_state(STATE) as fh:
        fh.write(data)

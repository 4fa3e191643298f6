"""Read news from files, folders and URLs, whatever the format.

Every reader yields `Article | Problem`: a bad record becomes a Problem naming file,
line and field, and reading goes on; a file that cannot be read at all becomes one
Problem with line None.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from xinwen.article import Article, Problem
from xinwen.encoding import decode_bytes
from xinwen.errors import ReadError
from xinwen.readers import feed, html, page
from xinwen.readers.csv import read_csv
from xinwen.readers.jsonl import read_jsonl, write_jsonl
from xinwen.readers.page import write_page

__all__ = ["FORMATS", "detect_format", "read", "read_bytes", "read_one", "write_jsonl", "write_page"]

Item = Article | Problem

_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv", ".tsv": "csv", ".tab": "csv",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
    ".rss": "feed", ".atom": "feed",
    ".txt": "page",
}  # fmt: skip
FORMATS: dict[str, Callable[[str, str], Iterator[Item]]] = {
    "jsonl": read_jsonl,
    "csv": read_csv,
    "html": html.read_html,
    "feed": feed.read_feed,
    "page": page.read_page,
}
GZIP_MAGIC = b"\x1f\x8b"
FETCH_TIMEOUT = 30.0
MAX_GZIP_BYTES = 2 << 30


def _suffix(name: str) -> str:
    base = name.lower().split("?", 1)[0].split("#", 1)[0]
    if base.endswith(".gz"):
        base = base[:-3]
    dot = base.rfind(".")
    return base[dot:] if dot > base.rfind("/") else ""


def _looks_csv(text: str) -> bool:
    """At least two lines that split into the same number (>= 2) of fields."""
    import csv
    import io

    lines = [x for x in text[:8192].split("\n")[:6] if x.strip()]
    if len(lines) < 2:
        return False
    if len(lines) == 6:
        lines = lines[:5]  # the last one may be cut short
    for sep in (",", "\t", ";", "|"):
        counts = {len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)}
        if len(counts) == 1 and counts.pop() >= 2:
            return True
    return False


def detect_format(name: str, text: str) -> str:
    """The reader for a file: by extension (`.gz` ignored), then by sniffing the text.

    Returns one of FORMATS' keys; raises ReadError(file=name) when neither tells.
    """
    ext = _suffix(name)
    fmt = _EXTENSIONS.get(ext)
    if fmt:
        return fmt
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if ext == ".xml" or head.startswith("<"):
        if feed.sniff(head):
            return "feed"
        if html.sniff(head):
            return "html"
    elif head[:1] in "[{":
        return "jsonl"
    elif page.sniff(head):
        return "page"
    elif _looks_csv(head):
        return "csv"
    raise ReadError(
        "unknown format: not JSON Lines, JSON, CSV/TSV, HTML, RSS/Atom or a news page "
        "(name the file .jsonl, .json, .csv, .tsv, .html, .rss, .atom or .txt)",
        file=name,
    )


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, MAX_GZIP_BYTES)
        while d.eof and d.unused_data:  # concatenated gzip members
            rest = d.unused_data
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += d.decompress(rest, MAX_GZIP_BYTES)
        if not d.eof:
            raise ReadError("gzip data is truncated", file=name)
        return out
    except zlib.error as e:
        raise ReadError(f"bad gzip data: {e}", file=name) from e


def read_bytes(data: bytes, name: str, *, fmt: str | None = None, url: str | None = None) -> Iterator[Item]:
    """Read one file's content. `name` (a path or URL) names problems and, unless `fmt`
    (a FORMATS key) is given, picks the format with the content."""
    try:
        if data[:2] == GZIP_MAGIC:
            data = _gunzip(data, name)
        text = decode_bytes(data, name=name)
        if not text.strip():
            raise ReadError("empty file", file=name)
        fmt = fmt if fmt in FORMATS else detect_format(name, text)
    except ReadError as e:
        yield Problem(name, e.line, e.field, e.message)
        return
    if fmt == "html":
        yield from html.read_html(text, name, url=url)
    else:
        yield from FORMATS[fmt](text, name)


def _is_url(path: str | Path) -> bool:
    return isinstance(path, str) and path.lower().startswith(("http://", "https://"))


def _fetch(url: str) -> Iterator[Item]:
    import httpx

    try:
        response = httpx.get(
            url, timeout=FETCH_TIMEOUT, follow_redirects=True, headers={"User-Agent": "xinwen (news reader)"}
        )
    except httpx.HTTPError as e:
        yield Problem(url, None, None, f"cannot fetch: {e}")
        return
    if response.status_code >= 400:
        yield Problem(url, None, None, f"cannot fetch: HTTP {response.status_code} {response.reason_phrase}")
        return
    fmt = None
    if _suffix(url) not in _EXTENSIONS:  # let the content type pick the format when the URL does not
        ctype = response.headers.get("content-type", "").lower()
        for key, kind in (
            ("html", "html"),
            ("rss", "feed"),
            ("atom", "feed"),
            ("json", "jsonl"),
            ("csv", "csv"),
            ("tab-separated", "csv"),
        ):
            if key in ctype:
                fmt = kind
                break
    yield from read_bytes(response.content, url, fmt=fmt, url=str(response.url))


def read_one(path: str | Path) -> Iterator[Item]:
    """Read one file (or URL)."""
    if _is_url(path):
        yield from _fetch(str(path))
        return
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        yield Problem(name, None, None, "no such file")
        return
    except IsADirectoryError:
        yield from read([path])
        return
    except OSError as e:
        yield Problem(name, None, None, f"cannot read: {e.strerror or e}")
        return
    yield from read_bytes(data, name)


# In a folder these are skipped without a word; named on their own they are reported.
SKIPPED_IN_FOLDERS = frozenset(
    ".md .rst .py .pyc .png .jpg .jpeg .gif .webp .svg .pdf .zip .db .sqlite .db-wal .db-shm".split()
)


def _walk(folder: Path) -> Iterator[Path]:
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.name.startswith(".") or child.suffix.lower() in SKIPPED_IN_FOLDERS:
            continue
        if child.is_dir():
            yield from _walk(child)
        elif child.is_file():
            yield child


def read(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Read files, folders (recursively, sorted; hidden files and SKIPPED_IN_FOLDERS
    extensions skipped) and http(s) URLs, yielding Article | Problem."""
    if isinstance(paths, str | Path):
        paths = [paths]
    for path in paths:
        if not _is_url(path) and Path(path).is_dir():
            for file in _walk(Path(path)):
                yield from read_one(file)
        else:
            yield from read_one(path)

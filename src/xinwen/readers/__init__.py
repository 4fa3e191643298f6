"""1 READ: news from files, folders and URLs, whatever the format.

Every reader yields `Article | Problem`: a bad record becomes a Problem naming file, line and field, and
reading goes on; a file that cannot be read at all becomes one Problem with line None. Whatever goes
wrong inside a reader (a JSON line nested 100,000 deep, a parser's own exception) is such a Problem too,
and the next record or file is read.

Files are streamed: JSON Lines and CSV are read a line at a time (a .gz decompressed as it is read, its
size and compression ratio checked as it streams, a truncated one keeping every record before the
break); the formats that need a whole document (HTML, feeds, JSON documents, news pages) are read whole
up to the record limit. URLs go through one fetcher with a size limit and a deadline (fetch.py).
Nothing is fetched or opened that the user did not name. Limits: xinwen.limits.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from xinwen.article import Article, Problem
from xinwen.encoding import choose_codec
from xinwen.errors import ReadError
from xinwen.limits import Limits, limits
from xinwen.readers import feed, html, page
from xinwen.readers.csv import read_csv, read_csv_lines
from xinwen.readers.jsonl import read_jsonl, read_jsonl_lines, streamable, write_jsonl
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
HEAD = 1 << 16  # bytes looked at to choose the encoding and the format
CHUNK = 1 << 20
RAW_CHUNK = 1 << 16  # compressed bytes fed at a time: the ratio check sees what was really used
BOMB_AFTER = 16 << 20  # decompressed bytes after which the compression ratio is checked


def _suffix(name: str) -> str:
    base = name.lower().split("?", 1)[0].split("#", 1)[0]
    if base.endswith(".gz"):
        base = base[:-3]
    dot = base.rfind(".")
    return base[dot:] if dot > base.rfind("/") else ""


def _looks_csv(text: str) -> bool:
    """At least two lines that split into the same number (>= 2) of fields."""
    import csv

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


# -- byte streams ------------------------------------------------------------------------
class Truncated(ReadError):
    """A compressed stream ended before its end (the records before the break were read)."""


class _Gunzip(io.RawIOBase):
    """A .gz decompressed as it is read (concatenated members too), never past the limits: the total
    decompressed size, and the compression ratio once past BOMB_AFTER (a decompression bomb)."""

    def __init__(self, raw: IO[bytes], name: str, bounds: Limits) -> None:
        self.raw, self.name, self.bounds = raw, name, bounds
        self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.pending = b""
        self.consumed = 0
        self.produced = 0
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending and not self.done:
            self._more()
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def _more(self) -> None:
        if self.z.eof:  # a member ended: the next one starts in what is left, or in what comes
            data = self.z.unused_data
            if not data:
                data = self._raw()
                if not data:
                    self.done = True
                    return
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            data = self.z.unconsumed_tail or self._raw()
            if not data:
                self.done = True
                raise Truncated(f"gzip data is truncated after {self.produced:,} bytes; the records before the "
                                "break were read", file=self.name)
        try:
            out = self.z.decompress(data, CHUNK)
        except zlib.error as e:
            raise ReadError(f"bad gzip data: {e}", file=self.name) from e
        self.produced += len(out)
        if self.produced > self.bounds.decompressed_bytes:
            raise ReadError(f"decompresses to more than {self.bounds.decompressed_bytes:,} bytes (limit "
                            "decompressed_bytes); stopped there", file=self.name)
        if self.produced > BOMB_AFTER and self.produced > self.bounds.compression_ratio * max(1, self.consumed):
            raise ReadError(f"decompresses more than {self.bounds.compression_ratio} times its size: a "
                            "decompression bomb (limit compression_ratio); refused", file=self.name)
        self.pending += out

    def _raw(self) -> bytes:
        data = self.raw.read(RAW_CHUNK)
        self.consumed += len(data)
        return data


class _Peekable(io.RawIOBase):
    """A raw stream whose first bytes were already read (the head): they are read again first."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _lines(stream: IO[bytes], name: str, codec: str, bounds: Limits) -> Iterator[tuple[int, str] | Problem]:
    """(line number, text) of each line, or a Problem for a line that is too long or not in the codec
    (decoded anyway, bad bytes replaced); a stream that breaks ends with a Problem."""
    decode = codecs.getincrementaldecoder(codec)
    number = 0
    try:
        while True:
            raw = stream.readline(CHUNK)
            if not raw:
                return
            number += 1
            if not raw.endswith(b"\n") and len(raw) >= CHUNK:  # a long line: its pieces, up to the limit
                parts, size = [raw], len(raw)
                while not parts[-1].endswith(b"\n"):
                    more = stream.readline(CHUNK)
                    if not more:
                        break
                    size += len(more)
                    if size > bounds.record_bytes:
                        parts = []
                        while more and not more.endswith(b"\n"):  # skip the rest of the line
                            more = stream.readline(CHUNK)
                        break
                    parts.append(more)
                if not parts:
                    yield Problem(name, number, None, f"line longer than {bounds.record_bytes:,} bytes (limit "
                                  "record_bytes); skipped")
                    continue
                raw = b"".join(parts)
            try:
                yield number, decode().decode(raw, final=True)
            except UnicodeDecodeError as e:
                yield Problem(name, number, None, f"bytes that are not {codec} ({e.reason}); read with them "
                              "replaced by U+FFFD")
                yield number, decode(errors="replace").decode(raw, final=True)
    except ReadError as e:
        yield Problem(name, number + 1 if isinstance(e, Truncated) else None, None, e.message)
    except (OSError, EOFError) as e:
        yield Problem(name, number + 1, None, f"cannot read on: {e}")


def _read_stream(raw: IO[bytes], name: str, bounds: Limits, *, fmt: str | None = None,
                 url: str | None = None) -> Iterator[Item]:
    """Read one file's content from a binary stream (decompressed first when it is gzip)."""
    head = raw.read(HEAD)
    stream: IO[bytes] = _Peekable(head, raw)
    if head[:2] == GZIP_MAGIC:
        stream = _Gunzip(stream, name, bounds)
        head = stream.read(HEAD) or b""
        stream = _Peekable(head, stream)
    stream = io.BufferedReader(stream, CHUNK)  # type: ignore[arg-type]
    codec = choose_codec(head, name=name)
    text_head = head.decode(codec, errors="ignore")
    if len(head) < HEAD and not text_head.strip():
        raise ReadError("empty file", file=name)
    fmt = fmt if fmt in FORMATS else detect_format(name, text_head)
    by_line = not codec.startswith(("utf-16", "utf-32"))  # where a line ends is a byte \n
    if by_line and (fmt == "csv" or (fmt == "jsonl" and streamable(text_head))):
        lines = _lines(stream, name, codec, bounds)
        yield from (read_csv_lines(lines, name) if fmt == "csv" else read_jsonl_lines(lines, name))
        return
    data = stream.read(bounds.record_bytes + 1)
    if len(data) > bounds.record_bytes:
        raise ReadError(f"a {fmt} document larger than {bounds.record_bytes:,} bytes (limit record_bytes)", file=name)
    text = data.decode(codec, errors="replace")
    if fmt == "html":
        yield from html.read_html(text, name, url=url)
    else:
        yield from FORMATS[fmt](text, name)


def _guarded(items: Iterator[Item], name: str) -> Iterator[Item]:
    """A reader's items; whatever goes wrong inside it becomes one Problem for the file, never more."""
    try:
        yield from items
    except ReadError as e:
        yield Problem(e.file or name, e.line, e.field, e.message)
    except (MemoryError, RecursionError) as e:
        yield Problem(name, None, None, f"cannot read the rest: {type(e).__name__}")
    except Exception as e:  # a parser's own exception: one file, never the whole run
        yield Problem(name, None, None, f"cannot read the rest: {type(e).__name__}: {e}")


def read_bytes(data: bytes, name: str, *, fmt: str | None = None, url: str | None = None) -> Iterator[Item]:
    """Read one file's content. `name` (a path or URL) names problems and, unless `fmt`
    (a FORMATS key) is given, picks the format with the content."""
    yield from _guarded(_read_stream(io.BytesIO(data), name, limits(), fmt=fmt, url=url), name)


def _is_url(path: str | Path) -> bool:
    return isinstance(path, str) and path.lower().startswith(("http://", "https://"))


def read_one(path: str | Path) -> Iterator[Item]:
    """Read one file (or URL)."""
    if _is_url(path):
        from xinwen.readers.fetch import fetch

        got = fetch(str(path), limits())
        if isinstance(got, Problem):
            yield got
        else:
            yield from read_bytes(got.content, str(path), fmt=got.format, url=got.url)
        return
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        yield Problem(name, None, None, "no such file")
        return
    except OSError as e:
        yield Problem(name, None, None, f"cannot read: {e.strerror or e}")
        return
    if stat.S_ISDIR(info.st_mode):
        yield from read([path])
        return
    if not stat.S_ISREG(info.st_mode):
        yield Problem(name, None, None, "not a regular file (a pipe, socket or device); skipped")
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115  (closed below, after the generator is done)
    except OSError as e:
        yield Problem(name, None, None, f"cannot read: {e.strerror or e}")
        return
    with fh:
        yield from _guarded(_read_stream(fh, name, limits()), name)


# In a folder these are skipped without a word; named on their own they are reported.
SKIPPED_IN_FOLDERS = frozenset(
    ".md .rst .py .pyc .png .jpg .jpeg .gif .webp .svg .pdf .zip .db .sqlite .db-wal .db-shm".split()
)


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[Path | Problem]:
    """Files under a folder, sorted; a folder met twice (a symbolic link loop) is skipped with a note."""
    try:
        info = folder.stat()
    except OSError as e:
        yield Problem(str(folder), None, None, f"cannot read the folder: {e.strerror or e}")
        return
    if (info.st_dev, info.st_ino) in seen:
        yield Problem(str(folder), None, None, "a folder already read (a symbolic link loop); skipped")
        return
    seen.add((info.st_dev, info.st_ino))
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as e:
        yield Problem(str(folder), None, None, f"cannot list the folder: {e.strerror or e}")
        return
    for child in children:
        if child.name.startswith(".") or child.suffix.lower() in SKIPPED_IN_FOLDERS:
            continue
        try:
            mode = child.stat().st_mode
        except OSError:
            yield Problem(str(child), None, None, "a broken link or unreadable entry; skipped")
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(child, seen)
        elif stat.S_ISREG(mode):
            yield child
        else:
            yield Problem(str(child), None, None, "not a regular file (a pipe, socket or device); skipped")


def read(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Read files, folders (recursively, sorted; hidden files and SKIPPED_IN_FOLDERS
    extensions skipped) and http(s) URLs, yielding Article | Problem."""
    if isinstance(paths, str | Path):
        paths = [paths]
    for path in paths:
        if not _is_url(path) and Path(path).is_dir():
            for file in _walk(Path(path), set()):
                if isinstance(file, Problem):
                    yield file
                else:
                    yield from read_one(file)
        else:
            yield from read_one(path)

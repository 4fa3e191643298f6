"""The one way xinwen fetches a URL: httpx, streamed, never past the limits.

Two callers share this code: `fetch(url, limits)`, the one-shot read of a URL the user named (`xinwen
ingest URL`), and the polite fetcher of `xinwen watch` (xinwen.follow.fetcher), which adds per-host pacing,
robots.txt, conditional requests and retries around the same two pieces:

- `request`: one HTTP exchange, no redirect followed. The body (after its Content-Encoding is undone, a
  bounded piece at a time) may hold at most `fetch_bytes`; the exchange, connection and every byte of the
  body, must end by its deadline: no single wait may last longer, and the deadline is checked between
  pieces of the body, so a server that sends a byte every few seconds is cut off one byte after the
  deadline, not kept forever. Only a 2xx answer's body is read.
- `follow`: redirects, followed one hop at a time through a caller's `send` (so that the polite fetcher can
  check robots.txt and pace each host on every hop), at most MAX_REDIRECTS, never to an address that is not
  http(s), and never around a loop.

Readers never fetch on their own (feeds are parsed from bytes), so every network read goes through here.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from xinwen import __version__
from xinwen.article import Problem
from xinwen.limits import Limits

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"xinwen/{__version__} (news reader; +https://pypi.org/project/xinwen/)"
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TYPES = (("html", "html"), ("rss", "feed"), ("atom", "feed"), ("xml", "feed"), ("json", "jsonl"),
          ("csv", "csv"), ("tab-separated", "csv"))


def _decoded(response) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    """The body as it arrives, its gzip or deflate Content-Encoding undone a bounded piece at a time (httpx
    would inflate a whole network read at once: a compression bomb in one read)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes()  # identity (or an encoding httpx knows and we did not ask for)
        return
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    z = zlib.decompressobj(wbits)
    first = True
    for raw in response.iter_raw():
        data = raw
        while data:
            try:
                out = z.decompress(data, 1 << 16)
            except zlib.error:
                if not (first and wbits == zlib.MAX_WBITS):
                    raise
                z = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent without its zlib header
                out = z.decompress(data, 1 << 16)
            first = False
            yield out
            data = z.unconsumed_tail
            if z.eof and z.unused_data:  # another gzip member
                data, z = z.unused_data, zlib.decompressobj(wbits)
    yield z.flush()


@dataclass
class Fetched:
    """One answer: where it came from (after redirects), its body (2xx only) and what the server said."""

    url: str
    content: bytes
    content_type: str = ""
    format: str | None = None  # a reader's name when the URL does not say it and the content type does
    status: int = 200
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased

    @property
    def not_modified(self) -> bool:
        """A 304: the server says the copy we hold (our ETag / Last-Modified) is still current."""
        return self.status == 304


@dataclass
class FetchProblem(Problem):
    """A fetch that failed, with what a caller needs to decide whether to try again: the HTTP status (None
    when there was no answer) and whether trying later cannot help (404, 410, robots.txt says no, a wrong
    content type, an answer over the size limit, a redirect loop)."""

    status: int | None = None
    permanent: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The fields every Problem has (an ingest report's shape does not change)."""
        d = asdict(self)
        d.pop("status")
        d.pop("permanent")
        return d

    def plain(self) -> Problem:
        return Problem(self.file, self.line, self.field, self.message)


def problem(url: str, message: str, *, status: int | None = None, permanent: bool = False) -> FetchProblem:
    return FetchProblem(url, None, None, f"cannot fetch: {message}", status=status, permanent=permanent)


def new_client(bounds: Limits) -> httpx.Client:
    """A client that follows no redirect itself (see `follow`), says who we are and asks only for the
    encodings `_decoded` undoes."""
    import httpx

    return httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
                        timeout=httpx.Timeout(bounds.fetch_seconds))


def format_of(content_type: str) -> str | None:
    """A reader's name for a content type (None when it does not say)."""
    ctype = content_type.lower()
    return next((kind for key, kind in _TYPES if key in ctype), None)


def request(client: httpx.Client, url: str, bounds: Limits, *, headers: Mapping[str, str] | None = None,
            deadline: float | None = None) -> Fetched | FetchProblem:
    """One GET of `url`, no redirect followed: a 2xx answer with its body, any other answer without one
    (its status and headers say what happened), or the FetchProblem that kept it (no answer in time, a body
    over `fetch_bytes`, a broken connection or compression)."""
    import httpx

    deadline = time.monotonic() + bounds.fetch_seconds if deadline is None else deadline
    late = problem(url, f"no complete answer within {bounds.fetch_seconds:g} s (limit fetch_seconds)")
    wait = deadline - time.monotonic()
    if wait <= 0:
        return late
    try:
        with client.stream("GET", url, headers=dict(headers or {}), timeout=httpx.Timeout(wait)) as response:
            answer = {k.lower(): v for k, v in response.headers.items()}
            ctype = answer.get("content-type", "").lower()
            got = Fetched(str(response.url), b"", ctype, format_of(ctype), response.status_code,
                          response.reason_phrase, answer)
            if not 200 <= response.status_code < 300:
                return got
            parts, size = [], 0
            stream = _decoded(response)
            while True:
                if time.monotonic() > deadline:
                    return late
                try:
                    chunk = next(stream)
                except StopIteration:
                    break
                size += len(chunk)
                if size > bounds.fetch_bytes:
                    return problem(url, f"the answer is larger than {bounds.fetch_bytes:,} bytes (limit fetch_bytes)",
                                   status=response.status_code, permanent=True)
                parts.append(chunk)
            got.content = b"".join(parts)
            return got
    except httpx.TimeoutException:
        return late
    except httpx.HTTPError as e:
        return problem(url, str(e) or type(e).__name__)
    except zlib.error as e:
        return problem(url, f"the answer's compression is broken ({e})", permanent=True)
    except (ValueError, OSError) as e:  # a URL httpx cannot use; a socket error it does not wrap
        return problem(url, str(e) or type(e).__name__)


def follow(url: str, send: Callable[[str], Fetched | FetchProblem], *,
           max_redirects: int = MAX_REDIRECTS) -> Fetched | FetchProblem:
    """`send(url)`, then `send` again at each redirect's Location: the first answer that is not a redirect,
    or a FetchProblem naming `url` (a redirect loop, more than `max_redirects`, a Location that is not
    http(s), or whatever a hop's `send` reported)."""
    hops = [url]
    current = url
    while True:
        got = send(current)
        if isinstance(got, Problem):
            note = "" if current == url else f" (redirected to {current})"
            return FetchProblem(url, None, None, got.message + note, status=getattr(got, "status", None),
                                permanent=getattr(got, "permanent", False))
        if got.status not in REDIRECTS:
            return got
        location = got.headers.get("location", "").strip()
        if not location:
            return problem(url, f"HTTP {got.status} redirect without a Location", status=got.status)
        target = urljoin(current, location).split("#", 1)[0]
        if urlsplit(target).scheme not in ("http", "https"):
            return problem(url, f"redirected to {target!r}, which is not an http(s) address", status=got.status,
                           permanent=True)
        if target in hops:
            return problem(url, "a redirect loop: " + " -> ".join([*hops[hops.index(target):], target]),
                           status=got.status, permanent=True)
        if len(hops) > max_redirects:
            return problem(url, f"more than {max_redirects} redirects", status=got.status, permanent=True)
        hops.append(target)
        current = target


def fetch(url: str, bounds: Limits) -> Fetched | Problem:
    """The body of a URL the user named, or the Problem that kept it: redirects followed (at most
    MAX_REDIRECTS), the whole exchange within `fetch_seconds` and `fetch_bytes`."""
    deadline = time.monotonic() + bounds.fetch_seconds
    try:
        with new_client(bounds) as client:
            got = follow(url, lambda u: request(client, u, bounds, deadline=deadline))
    except (ValueError, OSError) as e:
        return Problem(url, None, None, f"cannot fetch: {e}")
    if isinstance(got, FetchProblem):
        return got.plain()
    if not 200 <= got.status < 300:
        return Problem(url, None, None, f"cannot fetch: HTTP {got.status} {got.reason}".rstrip())
    return got

"""The one way xinwen fetches a URL the user named: httpx, streamed, never past the limits.

The body (after its Content-Encoding is undone) may hold at most `fetch_bytes`; the whole exchange,
connection and every byte of the body, must end within `fetch_seconds`: no single wait may last longer,
and the deadline is checked between pieces of the body, so a server that sends a byte every few seconds is
cut off one byte after the deadline, not kept forever; redirects are followed, at most MAX_REDIRECTS.
Readers never fetch on their own (feeds are parsed from bytes), so every network read goes through here.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from xinwen import __version__
from xinwen.article import Problem
from xinwen.limits import Limits

USER_AGENT = f"xinwen/{__version__} (news reader; +https://pypi.org/project/xinwen/)"
MAX_REDIRECTS = 5
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
    url: str  # where the content came from, after redirects
    content: bytes
    content_type: str = ""
    format: str | None = None  # a reader's name when the URL does not say it and the content type does


def fetch(url: str, bounds: Limits) -> Fetched | Problem:
    """The body of a URL, or the Problem that kept it."""
    import httpx

    deadline = time.monotonic() + bounds.fetch_seconds
    try:
        with httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS,
                          headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
                          timeout=httpx.Timeout(bounds.fetch_seconds)) as client, \
                client.stream("GET", url) as response:
            if response.status_code >= 400:
                return Problem(url, None, None, f"cannot fetch: HTTP {response.status_code} {response.reason_phrase}")
            parts, size = [], 0
            stream = _decoded(response)
            while True:
                if time.monotonic() > deadline:
                    return Problem(url, None, None, f"cannot fetch: no complete answer within {bounds.fetch_seconds:g} "
                                   "s (limit fetch_seconds)")
                try:
                    chunk = next(stream)
                except StopIteration:
                    break
                size += len(chunk)
                if size > bounds.fetch_bytes:
                    return Problem(url, None, None, f"cannot fetch: the answer is larger than {bounds.fetch_bytes:,} "
                                   "bytes (limit fetch_bytes)")
                parts.append(chunk)
            ctype = response.headers.get("content-type", "").lower()
            fmt = next((kind for key, kind in _TYPES if key in ctype), None)
            return Fetched(str(response.url), b"".join(parts), ctype, fmt)
    except httpx.TimeoutException:
        return Problem(url, None, None, f"cannot fetch: no complete answer within {bounds.fetch_seconds:g} s "
                       "(limit fetch_seconds)")
    except httpx.TooManyRedirects:
        return Problem(url, None, None, f"cannot fetch: more than {MAX_REDIRECTS} redirects")
    except httpx.HTTPError as e:
        return Problem(url, None, None, f"cannot fetch: {e}")
    except zlib.error as e:
        return Problem(url, None, None, f"cannot fetch: the answer's compression is broken ({e})")
    except (ValueError, OSError) as e:  # a URL httpx cannot use; a socket error it does not wrap
        return Problem(url, None, None, f"cannot fetch: {e}")

"""The polite fetcher: how `xinwen watch` reads other people's sites.

Every request goes through readers/fetch.py (`request` and `follow`: the limits fetch_bytes and
fetch_seconds, bounded decompression, bounded redirects, the User-Agent xinwen/<version>). Around it:

- per host, at most `concurrency` requests at once (1 by default) and at least `min_delay` seconds from the
  end of one request to the start of the next (more when robots.txt asks for a Crawl-delay, up to
  `max_crawl_delay`);
- robots.txt, fetched through this same fetcher and read with urllib.robotparser, is obeyed for every
  address, redirects included (RFC 9309: a robots.txt that is missing (4xx) allows everything; one that
  cannot be read (5xx, no answer) stops the host for now);
- conditional requests: the ETag and Last-Modified of each address's last answer are sent back, so an
  unchanged feed costs one 304 and no body (`validators`, which the caller keeps between runs);
- 429 and 503 are retried (`retries` times) after the Retry-After the server gives (seconds or a date), else
  after a doubling backoff; a Retry-After longer than `max_wait` is not slept through: the host is left
  alone until then and the fetch fails for now;
- 404 and 410 give up at once (permanent); the content type is checked against what was asked for (an
  image, a video or a PDF where a page or a feed was expected is reported, and not read as text).

`text(fetched)` decodes a body: valid UTF-8 as UTF-8, else the charset the server or the page declares (GB2312
and GBK read as their superset GB18030) when the bytes are in it, else xinwen.encoding's detection.
"""

from __future__ import annotations

import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from xinwen.errors import ReadError
from xinwen.limits import Limits, limits
from xinwen.readers.fetch import (
    MAX_REDIRECTS,
    USER_AGENT,
    Fetched,
    FetchProblem,
    follow,
    new_client,
    problem,
    request,
)

if TYPE_CHECKING:
    import httpx

RETRY_STATUSES = frozenset({429, 503})
GONE = frozenset({404, 410})
ROBOTS_BYTES = 512 << 10  # RFC 9309: a crawler reads at least 500 KiB of a robots.txt
# what each kind of fetch may be answered with; media, fonts and documents are never text
EXPECT = {
    "html": ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml"),
    "feed": ("xml", "rss", "atom", "json", "text/"),
    "sitemap": ("xml", "text/", "gzip"),
    "robots": ("text/",),
    "any": (),
}
EXPECT_WORDS = {"html": "an HTML page", "feed": "a feed", "sitemap": "a sitemap", "robots": "a robots.txt",
                "any": "a text document"}
NEVER_TEXT = ("image/", "audio/", "video/", "font/", "model/", "application/pdf", "application/zip",
              "application/x-rar", "application/vnd.", "application/msword", "application/x-shockwave-flash")
MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
         (b"%PDF", "application/pdf"), (b"PK\x03\x04", "application/zip"), (b"ID3", "audio/mpeg"))
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
WESTERN = frozenset({"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"})
CODEC_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
                 "gb_2312-80": "gb18030", "csgb2312": "gb18030", "big5": "big5hkscs", "x-euc-tw": "big5hkscs"}


@dataclass
class Politeness:
    """How gently a site is read (see the module's docstring)."""

    min_delay: float = 1.0
    concurrency: int = 1
    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 60.0
    max_crawl_delay: float = 30.0
    robots_ttl: float = 3600.0
    robots_retry: float = 300.0
    max_redirects: int = MAX_REDIRECTS


@dataclass
class _Host:
    """One host's pacing: its slots, when the next request may start, and its robots.txt."""

    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    not_before: float = 0.0  # a Retry-After longer than max_wait: nothing until then
    robots: RobotFileParser | None = None
    robots_until: float = 0.0
    robots_problem: FetchProblem | None = None
    crawl_delay: float = 0.0  # robots.txt's Crawl-delay for us, bounded


class Fetcher:
    """A polite HTTP fetcher for many hosts (thread-safe; one httpx client, one pacing state per host).

    `validators`: address -> {"etag": ..., "last_modified": ...} of the last full answer, sent back as
    If-None-Match / If-Modified-Since; the caller may keep the dict between runs. `sleep`: how waits are
    made (tests pass one that records them); `stop`: an event that cuts long waits short (Ctrl-C)."""

    def __init__(self, bounds: Limits | None = None, politeness: Politeness | None = None, *,
                 validators: dict[str, dict[str, str]] | None = None,
                 sleep: Callable[[float], object] | None = None, stop: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bounds = bounds or limits()
        self.politeness = politeness or Politeness()
        self.validators: dict[str, dict[str, str]] = {} if validators is None else validators
        self.stop = stop or threading.Event()
        self._sleep = sleep
        self.clock = clock
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self.requests = 0  # HTTP requests sent (robots.txt and retries included)

    # -- life -------------------------------------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = new_client(self.bounds)
            return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self, seconds: float) -> bool:
        """Wait; False when stopping cut the wait short."""
        if seconds <= 0:
            return not self.stop.is_set()
        if self._sleep is not None:
            self._sleep(seconds)
            return not self.stop.is_set()
        return not self.stop.wait(seconds)

    # -- the one public verb ----------------------------------------------------------------------------
    def get(self, url: str, *, expect: str = "any", conditional: bool = True) -> Fetched | FetchProblem:
        """The answer for `url` (a 2xx with its body, or a 304 when `conditional` and nothing changed), or
        the FetchProblem that kept it; redirects followed, each hop checked against robots.txt. Only a
        conditional fetch keeps the answer's validators (a page read once needs none)."""
        if urlsplit(url).scheme not in ("http", "https"):
            return problem(url, "not an http(s) address", permanent=True)

        def hop(u: str) -> Fetched | FetchProblem:
            allowed = self.allowed(u)
            if allowed is not True:
                return allowed
            return self._send(u, conditional=conditional)

        got = follow(url, hop, max_redirects=self.politeness.max_redirects)
        if isinstance(got, FetchProblem):
            return got
        if got.status == 304:
            return got
        if got.status in GONE:
            return problem(url, f"HTTP {got.status} {got.reason}".rstrip() + "; given up", status=got.status,
                           permanent=True)
        if not 200 <= got.status < 300:
            permanent = 400 <= got.status < 500 and got.status not in RETRY_STATUSES | {408}
            return problem(url, f"HTTP {got.status} {got.reason}".rstrip(), status=got.status, permanent=permanent)
        wrong = wrong_type(got, expect)
        if wrong:
            return problem(url, wrong, status=got.status, permanent=True)
        if conditional:
            self._remember(got)
        return got

    # -- robots.txt -------------------------------------------------------------------------------------
    def allowed(self, url: str) -> bool | FetchProblem:
        """True when robots.txt lets us fetch `url`; else the FetchProblem that says why not."""
        host = self._host(url)
        now = self.clock()
        if host.robots is None or now >= host.robots_until:
            if host.robots_problem is not None and now < host.robots_until:
                return replace(host.robots_problem, file=url)
            self._read_robots(url, host)
        if host.robots is None:
            assert host.robots_problem is not None
            return replace(host.robots_problem, file=url)
        if not host.robots.can_fetch(USER_AGENT, url):
            return problem(url, "robots.txt does not allow xinwen to fetch this address", permanent=True)
        return True

    def robots(self, url: str) -> RobotFileParser | None:
        """The robots.txt rules of `url`'s host (read when not yet known); None when unreadable."""
        self.allowed(url)
        return self._host(url).robots

    def _read_robots(self, url: str, host: _Host) -> None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        bounds = replace(self.bounds, fetch_bytes=min(self.bounds.fetch_bytes, ROBOTS_BYTES))
        got = follow(robots_url, lambda u: self._send(u, conditional=False, bounds=bounds))
        rules = RobotFileParser(robots_url)
        now = self.clock()
        if isinstance(got, FetchProblem) and got.status == 200:  # over 512 KiB: no rules we could read
            rules.allow_all = True
        elif isinstance(got, FetchProblem) or got.status >= 500 or got.status == 429:
            why = got.message.removeprefix("cannot fetch: ") if isinstance(got, FetchProblem) else f"HTTP {got.status}"
            host.robots, host.robots_until = None, now + self.politeness.robots_retry
            host.robots_problem = problem(url, f"robots.txt cannot be read ({why}); the site is left alone for now",
                                          status=getattr(got, "status", None))
            return
        elif 400 <= got.status < 500:
            rules.allow_all = True  # no robots.txt: everything is allowed
        else:
            try:
                rules.parse(text(got, name=robots_url, bounds=bounds).splitlines())
            except ReadError:  # not text: nothing in it forbids anything (RFC 9309: parse what can be parsed)
                rules.allow_all = True
        delay = rules.crawl_delay(USER_AGENT)
        if delay:
            host.crawl_delay = min(float(delay), self.politeness.max_crawl_delay)
        host.robots, host.robots_problem, host.robots_until = rules, None, now + self.politeness.robots_ttl

    # -- one request, paced and retried -----------------------------------------------------------------
    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host(threading.BoundedSemaphore(max(1, self.politeness.concurrency)))
            return host

    def _delay(self, host: _Host) -> float:
        return max(self.politeness.min_delay, host.crawl_delay)

    def _send(self, url: str, *, conditional: bool, bounds: Limits | None = None) -> Fetched | FetchProblem:
        """One GET of `url` (no redirect followed), paced for its host and retried on 429 and 503."""
        host = self._host(url)
        bounds = bounds or self.bounds
        for attempt in range(self.politeness.retries + 1):
            with host.slots:
                with host.lock:
                    now = self.clock()
                    if host.not_before - now > self.politeness.max_wait:
                        return problem(url, f"the server asked to be left alone for {host.not_before - now:.0f} s "
                                       "more", status=429)
                    start = max(now, host.next_start, host.not_before)
                    host.next_start = start + self._delay(host)  # the next request's turn, at the earliest
                if start > now and not self.wait(start - now):
                    return problem(url, "stopped")
                headers = self._conditional(url) if conditional else {}
                try:
                    self.requests += 1
                    got = request(self.client, url, bounds, headers=headers)
                finally:  # the delay runs from the end of this request
                    with host.lock:
                        host.next_start = max(host.next_start, self.clock() + self._delay(host))
            if isinstance(got, FetchProblem) or got.status not in RETRY_STATUSES:
                return got
            pause = retry_after(got.headers.get("retry-after"), self.politeness.backoff * 2 ** attempt)
            if pause > self.politeness.max_wait:
                with host.lock:
                    host.not_before = self.clock() + pause
                return problem(url, f"HTTP {got.status}; the server asks to come back in {pause:.0f} s",
                               status=got.status)
            if attempt == self.politeness.retries:
                break
            if not self.wait(pause):
                return problem(url, f"HTTP {got.status}; stopped before retrying", status=got.status)
        return got

    def _conditional(self, url: str) -> dict[str, str]:
        known = self.validators.get(url) or {}
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def _remember(self, got: Fetched) -> None:
        """Keep the validators of a full answer (under the address that gave them)."""
        etag, modified = got.headers.get("etag"), got.headers.get("last-modified")
        self.validators.pop(got.url, None)  # (re)inserted last: the dict runs from least to most recently used
        if etag or modified:
            self.validators[got.url] = {k: v for k, v in (("etag", etag), ("last_modified", modified)) if v}

    def forget(self, url: str) -> None:
        """Drop what we know of `url`'s last answer, so the next fetch gets it whole (its content could not
        be used, and a 304 would hide it for good)."""
        self.validators.pop(url, None)


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); `default` when absent or bad."""
    if not value or not value.strip():
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return default
    return max(0.0, when.timestamp() - time.time())


def wrong_type(got: Fetched, expect: str) -> str | None:
    """Why an answer is not what was asked for (None when it is): media where text was expected, or a type
    that is none of what `expect` allows."""
    ctype = got.content_type.split(";", 1)[0].strip().lower()
    sniffed = next((kind for magic, kind in MAGIC if got.content.startswith(magic)), None)
    if expect == "sitemap" and got.content.startswith(b"\x1f\x8b"):
        return None  # a gzipped sitemap (sitemap.xml.gz)
    what = EXPECT_WORDS.get(expect, "a text document")
    if sniffed or ctype.startswith(NEVER_TEXT):
        return f"expected {what}, the server sent {sniffed or ctype}"
    allowed = EXPECT.get(expect, ())
    if ctype and ctype != "application/octet-stream" and allowed and not any(a in ctype for a in allowed):
        return f"expected {what}, the server sent {ctype}"
    return None


def gunzipped(data: bytes, bounds: Limits, name: str) -> bytes:
    """A gzipped body (sitemap.xml.gz) decompressed, never past fetch_bytes."""
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = z.decompress(data, bounds.fetch_bytes + 1)
    except zlib.error as e:
        raise ReadError(f"bad gzip data: {e}", file=name) from e
    if len(out) > bounds.fetch_bytes:
        raise ReadError(f"decompresses to more than {bounds.fetch_bytes:,} bytes (limit fetch_bytes)", file=name)
    return out


def declared_charset(got: Fetched) -> str | None:
    """The charset the answer declares: its Content-Type, else an XML declaration or a <meta> in its head."""
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", got.content_type, re.IGNORECASE)
    found = m.group(1) if m else None
    if not found:
        head = got.content[:4096]
        m2 = _XML_ENCODING.match(head) or _CHARSET.search(head)
        found = m2.group(1).decode("ascii", "ignore") if m2 else None
    return found.lower() if found else None


def text(got: Fetched, *, name: str | None = None, bounds: Limits | None = None) -> str:
    """The body as text. Bytes that are valid UTF-8 are UTF-8, whatever the page says (saved and converted
    pages keep a <meta charset=gb2312> over UTF-8 bytes; GBK text is almost never valid UTF-8); else the
    charset the server or the page declares, when the bytes really are in it (GB2312 and GBK read as their
    superset GB18030; a Latin-1 or ASCII declaration is a server's default, not the page's); else detected
    (xinwen.encoding.decode_bytes). ReadError for binary data."""
    import codecs

    from xinwen.encoding import decode_bytes

    data = got.content
    if data.startswith(b"\x1f\x8b"):
        data = gunzipped(data, bounds or limits(), name or got.url)
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data, name=name or got.url)  # a byte order mark says it all
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(got)
    if declared and declared not in WESTERN:
        codec = CODEC_ALIASES.get(declared, declared)
        try:
            codecs.lookup(codec)
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass  # an unknown or wrong declaration (a GBK page that says utf-8): detect instead
    return decode_bytes(data, name=name or got.url)

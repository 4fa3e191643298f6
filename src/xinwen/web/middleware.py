"""The ASGI layers in front of the views, outermost first: security headers on every response, load
shedding, (CORS, when origins are allowed), and HTTP caching.

They are plain ASGI callables, not Starlette's BaseHTTPMiddleware: that one costs a task and a stream per
request, which on a busy two-core machine is a sizable part of serving a cached page.

- `SecurityHeaders`: the Content-Security-Policy and its kin on every response, whichever layer made it.
- `LoadShedder`: at most `limit` requests in flight in this worker process; one more is answered 503 with
  `Retry-After` at once, before any work, instead of joining a queue that only grows (a client retrying
  later, or a proxy trying another server, beats a page that arrives after the reader left).
- `HTTPCache`: for GET and HEAD of the pages: an ETag from the database state (the store's change token)
  and the request (path, query, JSON or HTML), so `If-None-Match` is answered 304 before any view runs;
  `Cache-Control`; and the rendered response kept per process (`ResponseCache`) and served again while
  the database stands still.

  When a write moves the token, the process's in-memory indexes (doc values, related vectors, copy
  index) must catch up before a page of the new state can be made: 50-200 ms, during which every view
  would wait. So the first request to see the new token refreshes them (`refresh`) and then answers from
  the new state; requests that arrive meanwhile get the page of the state before, when one is kept (with
  its own ETag: it is what that ETag names), instead of waiting. A page may so lag a write by the time a
  refresh takes; the request that refreshes, and every one after, see the write.

  With `max_stale` (`xinwen serve --max-stale SECONDS`, off by default), a page kept from the state
  before a write is served for that many seconds after the write, and made again in the background, one
  page at a time (stale-while-revalidate, as a CDN does): a write no longer makes every reader's page a
  miss at once (at 100,000 articles, with an ingest committing every few seconds, that burst of misses
  queued every request for up to a second). Readers may so see a page up to `max_stale` seconds behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from xinwen import staleness
from xinwen.errors import XinwenError
from xinwen.web.cache import CachedResponse, ResponseCache
from xinwen.web.responses import SECURITY_HEADERS, error, prefers_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("xinwen.web")
RETRY_AFTER = 1  # seconds a shed client is asked to wait
UNCACHED_PREFIXES = ("/static/", "/api/")  # static files carry their own validators; writes are never cached
MAX_REVALIDATING = 256  # pages waiting to be made again in the background, per process (more: made on request)


class SecurityHeaders:
    """Adds the security headers to every response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class LoadShedder:
    """At most `limit` requests in flight; the next is a 503 with Retry-After, answered at once.

    With `balance` (a server of several worker processes sharing the port), a response that leaves more
    than `balance` requests in flight here closes its keep-alive connection (`Connection: close`): the
    client's next request opens a new one, which the worker that accepts first takes, mostly an idle
    one. Keep-alive connections otherwise stay with the worker that accepted them, and one holding more
    of them queues its requests while another core idles (measured at 100,000 articles, 300 requests/s:
    0.70 and 0.34 cores)."""

    def __init__(self, app: ASGIApp, limit: int, balance: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.balance = balance
        self.in_flight = 0
        self.shed = 0
        self.handed_over = 0  # connections closed to rebalance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:  # (one event loop per process: no lock needed)
            self.shed += 1
            response = error(Request(scope), 503, "the server is busy; try again in a moment",
                             headers={"Retry-After": str(RETRY_AFTER)})
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            if self.balance is None:
                await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, self._balancing(send))
        finally:
            self.in_flight -= 1

    def _balancing(self, send: Send) -> Send:
        async def balancing(message: Message) -> None:
            if (message["type"] == "http.response.start" and self.balance is not None
                    and self.in_flight > self.balance):
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"connection" for k, _ in headers):
                    message["headers"] = [*headers, (b"connection", b"close")]
                    self.handed_over += 1
            await send(message)
        return balancing


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match compared weakly (RFC 9110 13.1.2); '*' is left to the view (it is rare)."""
    tag = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == tag for t in header.split(","))


class HTTPCache:
    """ETag, Cache-Control, 304 on If-None-Match, and rendered pages reused while the database stands."""

    def __init__(self, app: ASGIApp, *, token: Callable[[], int], identity: str, cache: ResponseCache,
                 max_age: int = 0, refresh: Callable[[], None] | None = None, max_stale: float = 0) -> None:
        self.app = app
        self.token = token
        self.identity = identity  # what else a page depends on: xinwen's version, which database file
        self.cache = cache
        self.cache_control = (f"public, max-age={max_age}" if max_age else "no-cache").encode()
        self.refresh = refresh  # brings the in-memory indexes up to the store's state (in a thread)
        self.fresh: int | None = None  # the last token the indexes were refreshed for
        self.refreshing: int | None = None  # the token a refresh is under way for
        # stale-while-revalidate: seconds after a write during which the page of the state before is
        # still served while it is made again in the background (0: never)
        self.max_stale = max_stale
        self.seen: OrderedDict[int, float] = OrderedDict()  # when this process first saw each token
        self.revalidating: set[tuple[str, str, str]] = set()
        self._one_at_a_time: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.revalidated = 0
        self.clock = time.monotonic
        self._watch: asyncio.Task[None] | None = None

    async def _refreshed(self, token: int) -> bool:
        """Refresh the indexes for `token` unless they are (True), or wait for nobody when another request is
        at it already (False: the caller may answer from the state before)."""
        if self.refresh is None or (self.fresh is not None and token <= self.fresh):
            return True
        if self.refreshing is not None and token <= self.refreshing:
            return False
        self.refreshing = token
        try:
            await run_in_threadpool(self.refresh)
            self.fresh = max(self.fresh or 0, token)
        except Exception as exc:  # noqa: BLE001 - the view meets the same trouble and answers it
            log.warning("could not refresh the indexes: %s", exc)
        finally:
            if self.refreshing == token:
                self.refreshing = None
        return True

    # -- stale-while-revalidate ------------------------------------------------------------------
    def _within_max_stale(self, token: int, key: tuple[str, str, str]) -> CachedResponse | None:
        """The page of an earlier state, when the write that made it stale is at most max_stale seconds
        old (as this process first saw the tokens after it)."""
        now = self.clock()
        self.note_token(token)
        got = self.cache.stale_of(token, key)
        if got is None:
            return None
        response, made = got
        since = min((t for tok, t in self.seen.items() if tok > made), default=None)
        return response if since is not None and now - since <= self.max_stale else None

    def note_token(self, token: int) -> None:
        """Remember when this process first saw `token` (a write's time, to within the watch's second)."""
        if token not in self.seen:
            self.seen[token] = self.clock()
            while len(self.seen) > 64:
                self.seen.popitem(last=False)

    async def _watch_tokens(self) -> None:
        """Look at the change token every second, so a write is dated when it happens, not when the next
        reader comes (a page of the state before is then not served long after the write)."""
        while True:
            await asyncio.sleep(1.0)
            try:
                self.note_token(self.token())
            except (XinwenError, sqlite3.Error):
                pass

    def _revalidate_later(self, scope: Scope, key: tuple[str, str, str]) -> None:
        """Make the page again for the newest state in the background, one page at a time per process
        (a write makes every kept page stale at once: made on the requests' path they would all queue)."""
        if key in self.revalidating or len(self.revalidating) >= MAX_REVALIDATING:
            return
        self.revalidating.add(key)
        task = asyncio.get_running_loop().create_task(self._revalidate(dict(scope), key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _revalidate(self, scope: Scope, key: tuple[str, str, str]) -> None:
        try:
            if self._one_at_a_time is None:
                self._one_at_a_time = asyncio.Semaphore(1)
            async with self._one_at_a_time:
                token = self.token()
                if self.cache.peek(token, key):
                    return  # a request made it meanwhile
                await self._refreshed(token)
                behind = staleness.watch()
                scope = {**scope, "method": "GET"}
                validators = self.validators(token, scope, key[0])

                async def receive() -> Message:
                    return {"type": "http.request", "body": b"", "more_body": False}

                async def send(message: Message) -> None:
                    return None

                await self._call_and_keep(scope, receive, send, token, key, validators, behind)
                self.revalidated += 1
        except Exception as exc:  # noqa: BLE001 - a page that fails is made again by its next request
            log.warning("could not make %s again: %s", key[1], exc)
        finally:
            self.revalidating.discard(key)

    def validators(self, token: int, scope: Scope, representation: str) -> list[tuple[bytes, bytes]]:
        """ETag, Cache-Control and Vary of the page `scope` asks for at `token`, in that order."""
        etag = self.etag(token, scope, representation)
        return [(b"etag", etag.encode()), (b"cache-control", self.cache_control), (b"vary", b"Accept")]

    def etag(self, token: int, scope: Scope, representation: str) -> str:
        key = f"{self.identity}|{token}|{representation}|{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
        return '"' + hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=12).hexdigest() + '"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or scope["path"].startswith(UNCACHED_PREFIXES)):
            await self.app(scope, receive, send)
            return
        try:
            token = self.token()
        except (XinwenError, sqlite3.Error):  # the view meets the same trouble and answers it properly
            await self.app(scope, receive, send)
            return
        behind = staleness.watch()  # the view may read an index a write behind: then nothing is kept
        query = scope.get("query_string", b"").decode("latin-1")
        fmt = next((v for k, v in parse_qsl(query) if k == "format"), None) if "format" in query else None
        representation = "json" if prefers_json(fmt, _header(scope, b"accept")) else "html"
        validators = self.validators(token, scope, representation)
        etag = validators[0][1].decode()
        condition = _header(scope, b"if-none-match")
        if condition and _etag_matches(condition, etag):
            await send({"type": "http.response.start", "status": 304, "headers": validators})
            await send({"type": "http.response.body", "body": b""})
            return
        key = (representation, scope["path"], query)
        hit = self.cache.get(token, key)
        stale = None
        if self.max_stale > 0 and (self._watch is None or self._watch.done()):
            self._watch = asyncio.get_running_loop().create_task(self._watch_tokens())
        if hit is None and self.max_stale > 0:
            stale = self._within_max_stale(token, key)
            if stale is not None:  # served as it was; made again for `token` in the background
                self._revalidate_later(scope, key)
        if hit is None and stale is None and not await self._refreshed(token):
            stale = self.cache.stale(token, key)  # another request is refreshing: the page of the state before
        if stale is not None:
            self.cache.served_stale()
            hit = stale
            if condition:
                etag = next((v.decode("latin-1") for k, v in hit.headers if k == b"etag"), "")
                if etag and _etag_matches(condition, etag):
                    headers = [(k, v) for k, v in hit.headers if k in (b"etag", b"cache-control", b"vary")]
                    await send({"type": "http.response.start", "status": 304, "headers": headers})
                    await send({"type": "http.response.body", "body": b""})
                    return
        if hit is not None:
            await send({"type": "http.response.start", "status": hit.status, "headers": hit.headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else hit.body})
            return
        await self._call_and_keep(scope, receive, send, token, key, validators, behind)

    async def _call_and_keep(self, scope: Scope, receive: Receive, send: Send, token: int,
                             key: tuple[str, str, str], validators: list[tuple[bytes, bytes]],
                             behind: list[bool]) -> None:
        """Run the view; a 200 gets the validators (and, for GET, is kept); other answers are not stored,
        nor is a page made from indexes a write behind (it has no ETag: the token's names the newer page)."""
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        keep = scope["method"] == "GET"
        size = 0

        async def capture(message: Message) -> None:
            nonlocal status, headers, keep, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"etag", b"cache-control")]
                if status == 200 and behind[0]:
                    keep = False
                    headers.append((b"cache-control", b"no-store"))
                elif status == 200:
                    headers += validators[:2]
                    if not any(k.lower() == b"vary" for k, _ in headers):
                        headers.append(validators[2])
                else:
                    keep = False
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > self.cache.max_entry:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and keep:
                    self.cache.put(token, key, CachedResponse(status, headers, b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)


def database_identity(path: str) -> str:
    """The database file as the ETags name it: its device and inode (a restored backup is another file),
    and xinwen's version (another version may render a page differently)."""
    import xinwen

    try:
        st = os.stat(path)
        where = f"{st.st_dev}:{st.st_ino}"
    except OSError:
        where = path
    return f"{xinwen.__version__}|{where}"

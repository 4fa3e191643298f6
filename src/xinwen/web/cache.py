"""What one worker process keeps between requests: page parts and whole pages, per database state.

A page of a collection that has not changed is the same page. Both caches here are keyed by the store's
change token (a number every write raises, in any process): while it stands, a part or a page is computed
once and then reused; when it moves, everything kept is dropped at once, so nothing stale is ever served
and nothing dead is kept. Both are bounded (least recently used dropped first) so a crawler walking every
article cannot grow them without end.

- `PartCache`: the expensive parts of a page (related articles, trends, the home page's trending tags,
  a search's hits and facets), computed once even when many threads ask at the same moment (the others
  wait for the first and share its result: after a write, a burst of readers does the work once).
- `ResponseCache`: whole rendered responses (status, headers, body), bounded by bytes, consulted by the
  HTTP cache middleware before any view runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from xinwen import staleness

T = TypeVar("T")
_MISS = object()
WAIT_SECONDS = 30.0  # how long a thread waits for another computing the same part before computing it itself


class PartCache:
    """At most `size` values computed from one database state (the change token)."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._token: int | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _align(self, token: int) -> bool:
        """Move to `token` when it is newer (dropping all); False when it is older than what is kept (a
        request that read the token just before a write): such a request computes without the cache."""
        if self._token is None or token > self._token:
            self._data.clear()
            self._token = token
        return token == self._token

    def get(self, token: int, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for `key` at `token`, computed by `compute` only when no thread has it or is at it."""
        with self._lock:
            if not self._align(token):
                return compute()
            value = self._data.get(key, _MISS)
            if value is not _MISS:
                self._data.move_to_end(key)
                self.hits += 1
                return value  # type: ignore[no-any-return]
            self.misses += 1
            event = self._pending.get(key)
            owner = event is None
            if owner:
                event = self._pending[key] = threading.Event()
        assert event is not None
        if not owner:
            event.wait(WAIT_SECONDS)
            with self._lock:
                value = self._data.get(key, _MISS) if self._token == token else _MISS
            # the first failed (its exception went to its own request) or the token moved: compute here
            return value if value is not _MISS else compute()  # type: ignore[no-any-return]
        try:
            value = compute()
            with self._lock:
                if self._token == token and not staleness.marked():  # (not a part made a write behind)
                    self._data[key] = value
                    while len(self._data) > self.size:
                        self._data.popitem(last=False)
            return value  # type: ignore[no-any-return]
        finally:
            with self._lock:
                self._pending.pop(key, None)
            event.set()

    def __len__(self) -> int:
        return len(self._data)


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64


class ResponseCache:
    """Whole responses of one database state, at most `max_bytes` of them (one at most an eighth); those of
    the state before are kept aside (`stale`) until the next one comes."""

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max(1, max_bytes // 8)
        self._data: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self._previous: dict[Hashable, CachedResponse] = {}
        self._bytes = 0
        self._token: int | None = None
        self._previous_token: int | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = self.stale_hits = 0

    def stale(self, token: int, key: Hashable) -> CachedResponse | None:
        """The newest response kept for `key` from a state before `token` (served while the indexes of
        `token` are being refreshed, see middleware.HTTPCache)."""
        got = self.stale_of(token, key)
        return got[0] if got is not None else None

    def stale_of(self, token: int, key: Hashable) -> tuple[CachedResponse, int] | None:
        """`stale`, with the token of the state the response was made for."""
        with self._lock:
            if self._token is not None and self._token < token:
                hit, made = self._data.get(key), self._token
            elif self._token == token and self._previous_token is not None:
                hit, made = self._previous.get(key), self._previous_token
            else:
                hit = None
            return None if hit is None else (hit, made)

    def served_stale(self) -> None:
        """Count a response of an earlier state that was served (the caller decides whether it may be)."""
        with self._lock:
            self.stale_hits += 1

    def peek(self, token: int, key: Hashable) -> bool:
        """Whether a response of `token` is kept for `key` (not counted as a hit or a miss)."""
        with self._lock:
            return self._token == token and key in self._data

    def get(self, token: int, key: Hashable) -> CachedResponse | None:
        with self._lock:
            if self._token != token:
                self.misses += 1
                return None
            hit = self._data.get(key)
            if hit is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return hit

    def put(self, token: int, key: Hashable, response: CachedResponse) -> None:
        if response.size > self.max_entry:
            return
        with self._lock:
            if self._token is None or token > self._token:
                self._previous, self._previous_token = dict(self._data), self._token
                self._data = OrderedDict()
                self._bytes = 0
                self._token = token
            if token != self._token:
                return
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._data[key] = response
            self._bytes += response.size
            while self._bytes > self.max_bytes and self._data:
                _, dropped = self._data.popitem(last=False)
                self._bytes -= dropped.size

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)

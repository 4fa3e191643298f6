"""Answers made from in-memory indexes a write behind the store.

A collection's in-memory indexes (the doc values behind facets and trends, the related vectors) catch up
with the store after each write, which at 100,000 articles takes a few hundred milliseconds. A server
does not make its readers wait for that: while one thread brings an index up to date, the others read the
index as it was (`collection.wait_for_indexes = False`). What they computed is then one write behind,
and must not be kept as the page of the newer state: the server `watch`es each request, an index read
while another thread refreshes it `mark`s the request, and the caches leave marked results out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_MARK: ContextVar[list[bool] | None] = ContextVar("xinwen_stale_read", default=None)


def watch() -> list[bool]:
    """Watch the work that follows in this context (the threads it runs in too): [True] once it has read
    an index a write behind."""
    flag = [False]
    _MARK.set(flag)
    return flag


def mark() -> None:
    """The work under way read an index a write behind the store."""
    flag = _MARK.get()
    if flag is not None:
        flag[0] = True


def marked() -> bool:
    flag = _MARK.get()
    return bool(flag and flag[0])


@contextmanager
def refreshing(lock: threading.Lock | threading.RLock, *, wait: bool) -> Iterator[bool]:
    """Hold `lock` to bring an index up to date (True); or, unless `wait`, when another thread holds it
    already, False at once (the caller reads the index as it was, and the work under way is marked)."""
    if not lock.acquire(blocking=wait):
        mark()
        yield False
        return
    try:
        yield True
    finally:
        lock.release()

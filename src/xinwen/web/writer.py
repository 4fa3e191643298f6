"""Where a server worker's writes run: a process of its own, so that readers never wait for a writer.

Analyzing a batch of articles is seconds of Python; done on one of the worker's threads it would hold the
GIL that the readers' threads need, and every page of that worker would wait for it (p95 200 ms for
readers at 100 requests/s while batches of 100 were posted, against 15 ms in a process of its own). So
each worker process that takes writes starts one writer process (spawned: a fork of a threaded server is
unsafe) with its own writable Collection, at a lower CPU priority (nice 10) than the readers, and hands
it each write; the worker's event loop awaits the answer without holding a thread. SQLite orders the writes of all writer processes; the readers see each
one when the change token moves.

An in-memory database cannot be shared with another process: its writes run on a thread of the worker.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from starlette.concurrency import run_in_threadpool

from xinwen.collection import Collection
from xinwen.errors import StoreError

_collection: Collection | None = None  # the writer process's own


WRITER_NICE = 10  # the writer yields the CPU to its server's readers (they share a session: nice counts there)


def _open(db: str) -> None:
    """The writer process's initializer: a lower CPU priority than the readers', and its writable collection."""
    import os

    global _collection
    try:
        os.nice(WRITER_NICE)
    except OSError:
        pass
    _collection = Collection(db)


def _get() -> Collection:
    assert _collection is not None, "not in a writer process"
    return _collection


def warm_writer() -> bool:
    """Load the analyzer and the copy index before the first write needs them."""
    c = _get()
    c.copy_detector.ensure_ready()
    return True


def ingest_records(records: list[dict[str, Any]], name: str, fit: bool) -> dict[str, Any]:
    return _get().ingest_records(records, name=name, fit=fit).to_dict()


def ingest_lines(lines: list[tuple[int, str]], fit: bool) -> dict[str, Any]:
    """JSON Lines as `xinwen ingest` reads them (writes.checked_lines), analyzed here (workers=1: the
    server's processes have the cores already)."""
    from xinwen.web.writes import checked_lines

    return _get().ingest_items(checked_lines(lines), workers=1, progress=False, fit=fit).to_dict()


def delete(article_id: str) -> bool:
    return _get().delete(article_id)


class Writer:
    """Runs writes in this worker's writer process (or, for an in-memory database, on a thread with the
    worker's own collection)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.db = collection.location
        self.in_process = self.db == ":memory:"
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the writer process now and let it load what a write needs (the first POST does not wait)."""
        if self.in_process or self._pool is not None:
            return
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_open,
                                         initargs=(self.db,))
        self._pool.submit(warm_writer)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) in the writer process; a writer that died (killed, out of memory) is started again
        for the next write, and this one is answered 503."""
        if self.in_process:
            global _collection
            _collection = self.collection
            return await run_in_threadpool(fn, *args)
        self.start()
        assert self._pool is not None
        try:
            return await asyncio.wrap_future(self._pool.submit(fn, *args))
        except BrokenProcessPool as exc:
            self.close()
            raise StoreError("the writer process stopped before the write was done; send it again") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

"""Ingest: read sources, analyze new or changed articles, store them in batches, and check each batch
for copies of stored stories (linking/copies.py) in the same transaction.

With workers, the worker processes analyze while this process reads, writes and checks copies: the
next batch is handed to them before the one they finished is written, so reading, analysis and the
single writer overlap.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tqdm import tqdm

from xinwen.analysis.pipeline import Analysis, Analyzer
from xinwen.analysis.provenance import attribute
from xinwen.analysis.stats import CorpusStats
from xinwen.article import Article, Problem, content_hash
from xinwen.errors import StoreError
from xinwen.linking.copies import CopyDetector
from xinwen.store.base import ArticleWrite, Store, Written

# One transaction per batch. Every commit makes a server reading the collection bring its indexes up to
# date and make its pages again, so a batch is large: with 1,024 articles a server at 300 req/s during an
# ingest of 5,000 stories kept p95 at 46-85 ms, against 87-116 ms with 256, at the same ingest speed and
# memory (bench/bench_load.py; README, "Ingest beside the server"). A slow source (URLs, a feed) still
# commits every BATCH_SECONDS.
BATCH_SIZE = 1024
BATCH_SECONDS = 10.0
T = TypeVar("T")
_clock = time.monotonic
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)  # how far in the future a publish time may lie (time zones, embargoes)


@dataclass
class IngestReport:
    """Counts of one ingest, and every problem met, each naming file, line and field."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    written: set[int] = field(default_factory=set, repr=False)  # keys of the articles this ingest wrote

    def merged(self, other: IngestReport) -> IngestReport:
        """This report and another, added up (an ingest of several kinds of input)."""
        return IngestReport(
            self.read + other.read, self.added + other.added, self.updated + other.updated,
            self.unchanged + other.unchanged, self.rejected + other.rejected, self.problems + other.problems,
            self.written | other.written,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("written")
        d["problems"] = [p.to_dict() for p in self.problems]
        return d


_worker_analyzer: Analyzer | None = None


def _init_worker(stats: bytes, parent: int) -> None:
    global _worker_analyzer  # one per worker process: that process's analyzer
    _die_with(parent)
    _worker_analyzer = Analyzer(CorpusStats.from_bytes(stats))


def _die_with(parent: int) -> None:
    """End this worker process when the ingest that started it ends, even by kill -9. A worker left
    behind waits for work forever, holding what it inherited open: the ingest's PostgreSQL connections
    (a session holding the write lock: every other writer would wait for it) and the fit lock (the next
    ingest would wait for it). Linux: prctl(PR_SET_PDEATHSIG); elsewhere nothing is done."""
    import ctypes
    import signal

    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the ingest died before the signal was asked for
        os._exit(1)


def _analyze_in_worker(articles: list[Article]) -> list[Analysis | str]:
    assert _worker_analyzer is not None
    return [analyze_one(_worker_analyzer, a) for a in articles]


def analyze_one(analyzer: Analyzer, article: Article) -> Analysis | str:
    """The article's analysis (tags and snippet written onto it), or why it could not be analyzed: one
    article's trouble (a text no analyzer expected) must not stop the others."""
    try:
        return analyzer.apply(article)
    except (MemoryError, RecursionError) as e:
        return type(e).__name__
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def plausible_dates(items: Iterable[Article | Problem]) -> Iterator[Article | Problem]:
    """Articles with a publish time before 1900 or more than a day ahead lose it (and say so): such a
    time is a typo or a placeholder, and trends would span centuries for it."""
    latest = datetime.now(UTC) + AHEAD
    for item in items:
        if isinstance(item, Article) and item.published is not None:
            when = item.published if item.published.tzinfo else item.published.replace(tzinfo=UTC)
            if not EARLIEST <= when <= latest:
                file, _, line = (item.read_from or "").rpartition(":")
                yield Problem(file or item.read_from or "", int(line) if line.isdigit() else None, "published",
                              f"publish time {item.published.isoformat()} is not plausible (before 1900 or more "
                              "than a day ahead); stored without a date")
                item.extra["published_refused"] = item.published.isoformat()
                item.published = None
        yield item


def show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("XINWEN_NO_PROGRESS")


def batched_records(items: Iterable[T], size: int, seconds: float | None = None) -> Iterator[list[T]]:
    """The items in lists of `size`; with `seconds`, a list is also ended when it has been filling that
    long (checked as each item arrives)."""
    batch: list[T] = []
    started = 0.0
    for item in items:
        if not batch and seconds is not None:
            started = _clock()
        batch.append(item)
        if len(batch) >= size or (seconds is not None and _clock() - started >= seconds):
            yield batch
            batch = []
    if batch:
        yield batch


def ingest(
    store: Store,
    analyzer: Analyzer,
    copies: CopyDetector,
    items: Iterable[Article | Problem],
    *,
    workers: int = 1,
    progress: bool | None = None,
) -> IngestReport:
    """Store what is new or changed of what a reader yields; one transaction per batch.

    An interrupted ingest leaves every committed batch in place, and a rerun skips
    what is already stored unchanged, so it completes the work.
    """
    report = IngestReport()
    seen_lines: set[str] = set()
    refused = 0  # records read but not stored (analysis or storage refused them)
    copies.ensure_ready()  # load or rebuild the copy index before any batch
    pool = (ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(analyzer.stats.to_bytes(), os.getpid()))
            if workers > 1 else None)
    bar = tqdm(desc="ingest", unit=" articles", disable=not (show_progress() if progress is None else progress))
    pending: tuple[list[Article], dict[str, str], list] | None = None
    try:
        for batch in batched_records(plausible_dates(items), BATCH_SIZE, BATCH_SECONDS):
            articles: list[Article] = []
            for item in batch:
                if isinstance(item, Problem):
                    report.problems.append(item)
                else:
                    articles.append(item)
                    if item.read_from:
                        seen_lines.add(item.read_from)
            report.read += len(articles)
            todo, hashes = _new_or_changed(store, articles, report)
            futures = _submit(pool, todo)
            if pending is not None:  # write the batch the workers finished while they take this one
                refused += _store_analyzed(store, copies, analyzer, pending, report)
                pending = None
            if futures is None:
                refused += _store_batch(store, copies, todo, hashes, [analyze_one(analyzer, a) for a in todo], report)
            else:
                pending = (todo, hashes, futures)
            bar.update(len(articles))
        if pending is not None:
            refused += _store_analyzed(store, copies, analyzer, pending, report)
    finally:
        bar.close()
        if pool:
            pool.shutdown(cancel_futures=True)
    report.rejected = refused + sum(
        1 for p in report.problems if p.line is None or f"{p.file}:{p.line}" not in seen_lines
    )
    return report


WORKER_CHUNK = 32  # articles a worker analyzes per task


def _submit(pool: ProcessPoolExecutor | None, todo: list[Article]) -> list | None:
    """Hand a batch to the workers in chunks; None when there are none (or the pool broke: this process
    analyzes from then on)."""
    if pool is None:
        return None
    try:
        return [pool.submit(_analyze_in_worker, todo[i : i + WORKER_CHUNK]) for i in range(0, len(todo), WORKER_CHUNK)]
    except Exception:
        return None


def _new_or_changed(store: Store, articles: list[Article], report: IngestReport) -> tuple[list[Article], dict]:
    """The batch's articles that are not stored as they are (the later of two with one id), and their
    content hashes; the rest count as unchanged."""
    unique: dict[str, Article] = {}
    for a in articles:
        unique[a.id] = a
    hashes = {a.id: content_hash(a) for a in unique.values()}
    known = store.known_hashes(list(hashes))
    todo = [a for a in unique.values() if known.get(a.id) != hashes[a.id]]
    report.unchanged += len(articles) - len(todo)
    return todo, hashes


def _store_analyzed(
    store: Store, copies: CopyDetector, analyzer: Analyzer, pending: tuple, report: IngestReport
) -> int:
    """Store a batch the workers analyzed (their analyses written onto the articles here); a chunk whose
    worker died (killed, out of memory) is analyzed here instead, one article at a time."""
    todo, hashes, futures = pending
    results: list[Analysis | str] = []
    for i, f in enumerate(futures):
        try:
            results += f.result()
        except Exception:  # a broken worker: this process analyzes what it had
            results += [analyze_one(analyzer, a) for a in todo[i * WORKER_CHUNK : (i + 1) * WORKER_CHUNK]]
    for a, r in zip(todo, results, strict=True):
        if not isinstance(r, str):
            a.tags, a.snippet = r.tags, r.snippet
    return _store_batch(store, copies, todo, hashes, results, report)


def _store_batch(
    store: Store,
    copies: CopyDetector,
    todo: list[Article],
    hashes: dict[str, str],
    results: list[Analysis | str],
    report: IngestReport,
) -> int:
    """Store one analyzed batch in one transaction; returns how many of its records were refused. A
    record that could not be analyzed or stored is a Problem naming it, and the others are stored."""
    writes = []
    refused = 0
    for a, r in zip(todo, results, strict=True):
        if isinstance(r, str):
            report.problems.append(_problem(a, None, f"cannot analyze: {r}; record skipped"))
            refused += 1
        else:
            writes.append(ArticleWrite(a, hashes[a.id], r.title_terms, r.body_terms, r.fingerprint, r.tag_weights))
    return refused + _store_writes(store, copies, writes, report)


def _store_writes(store: Store, copies: CopyDetector, writes: list[ArticleWrite], report: IngestReport) -> int:
    """Write a batch in one transaction with its copy check; a record the store cannot take is retried
    alone and named. Returns how many were refused."""
    refused = 0
    if not writes:
        return refused
    for w in writes:  # provenance: tens of microseconds, from the text alone; nothing to lose a record over
        try:
            attribute(w.article)
        except Exception:  # an attribution that cannot be read is none
            w.article.origin, w.article.event_date, w.article.provenance = None, None, {}
    try:
        written = _write(store, copies, writes)
    except StoreError:
        raise  # the store itself is in trouble (locked, read-only, full): not one record's fault
    except Exception:  # one record the store cannot take: store the others one by one, name that one
        written = []
        for w in writes:
            try:
                written += _write(store, copies, [w])
            except StoreError:
                raise
            except Exception as e:
                report.problems.append(_problem(w.article, None, f"cannot store: {type(e).__name__}: {e}; "
                                                "record skipped"))
                refused += 1
    new = sum(1 for w in written if w.is_new)
    report.added += new
    report.updated += len(written) - new
    report.written.update(w.key for w in written)
    return refused


def ingest_analyzed(
    store: Store, copies: CopyDetector, rows: Iterable, *, progress: bool | None = None
) -> IngestReport:
    """Store articles analyzed elsewhere (`xinwen analyze`: (article, title terms, body terms, fingerprint,
    tag weights, content hash) rows), new or changed ones only, with the copy check; nothing is analyzed."""
    report = IngestReport()
    copies.ensure_ready()
    bar = tqdm(desc="ingest", unit=" articles", disable=not (show_progress() if progress is None else progress))
    refused = 0
    try:
        for batch in batched_records(rows, BATCH_SIZE, BATCH_SECONDS):
            report.read += len(batch)
            latest = {row[0].id: row for row in batch}  # the same id twice: the later row wins
            known = store.known_hashes(list(latest))
            writes = [ArticleWrite(a, chash, tt, bt, fp, tw) for a, tt, bt, fp, tw, chash in latest.values()
                      if known.get(a.id) != chash]
            report.unchanged += len(batch) - len(writes)
            refused += _store_writes(store, copies, writes, report)
            bar.update(len(batch))
    finally:
        bar.close()
    report.rejected = refused
    return report


def _write(store: Store, copies: CopyDetector, writes: list[ArticleWrite]) -> list[Written]:
    with store.transaction():  # the batch and its copy links commit together
        written = store.upsert(writes)
        copies.on_stored(written)
    return written


def _problem(a: Article, field: str | None, message: str) -> Problem:
    """A Problem at the place the article was read from ("file:line")."""
    file, _, line = (a.read_from or "").rpartition(":")
    return Problem(file or a.read_from or a.id, int(line) if line.isdigit() else None, field, message)

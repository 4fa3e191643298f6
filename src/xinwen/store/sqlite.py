"""The SQLite backend: one file, WAL, numbered migrations, and every line of SQL xinwen runs on it.

One connection per thread (a server's request threads read side by side; SQLite's WAL lets them read
while a writer commits). Transactions are explicit (`transaction()`), so a batch of articles, their
tags, index terms and copy links commit together. `change_token()` is a generation number in `meta`
that every write transaction raises, so any connection, in any process, can tell that its caches are
stale.

Fitted state (corpus statistics, related vectors) lives beside the database file, as DB.<name>, each
replaced atomically (written to a temporary file, then renamed).

Search: the articles' segmented words are indexed by an external-content FTS5 table with the
unicode61 tokenizer (space-joined words; store/fts5.py compiles a parsed query), and the speed tricks
that need SQLite's planner to be told (INDEXED BY, a cost model for sorting by time) are here.
"""

from __future__ import annotations

import contextlib
import io
import json
import mmap
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from xinwen.article import Article, RelatedRef
from xinwen.errors import NotFound, StoreError
from xinwen.store import fts5
from xinwen.store.base import (
    ArticleVersion,
    ArticleWrite,
    ClusterFacts,
    CopyInput,
    DocColumns,
    StoredArticle,
    TagUpdate,
    TermsRow,
    Written,
)
from xinwen.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from xinwen.search.query import Query

ARTICLE_COLUMNS = (
    "rowid, id, url, source, category, title, body, published, tags, snippet, "
    "source_tags, source_related, extra, read_from, origin, event_date, provenance"
)
VERSION_COLUMNS = "version, title, body, url, source, category, published, source_tags, extra, content_hash, stored_at, replaced_at"
CHUNK = 500  # values bound in one `IN (...)`
TITLE_WEIGHT = 5.0  # BM25: the title weighs this many times the body
BODY_WEIGHT = 1.0
JOIN_COST = 6.0  # us to read one match's date from its row (behind the body), for sorting by time
SCAN_COST = 0.12  # us to step over one entry of the date index


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """Slices of at most `size` values, for `IN (...)` lists SQLite can bind."""
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def joined_ints(joined: str | None) -> np.ndarray:
    """SQLite's group_concat of integers as an array (one string read instead of a Python row each)."""
    return np.array(joined.split(","), dtype=np.int64) if joined else np.zeros(0, dtype=np.int64)


def _joined_floats(joined: str | None) -> np.ndarray:
    return np.array(joined.split(","), dtype=np.float64) if joined else np.zeros(0, dtype=np.float64)


class SQLiteStore:
    """The articles of one collection in one SQLite file (or in memory, for ":memory:")."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        self.location = self.path
        self.readonly = readonly
        self.memory = self.path == ":memory:"
        if readonly and not self.memory and not Path(self.path).exists():
            raise StoreError("no database here; run `xinwen ingest PATH` first", file=self.path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._state: dict[str, bytes] = {}  # fitted state of an in-memory database
        self._shared: sqlite3.Connection | None = None
        conn = self.conn
        try:
            self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"not a usable xinwen database: {exc}", file=self.path) from exc
        except BaseException:
            self.close()
            raise

    # -- connections -----------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (an in-memory database has one, shared by all threads)."""
        if self.memory:
            if self._shared is None:
                self._shared = self._connect()
            return self._shared
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            self._local.depth = 0
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database: {exc}", file=self.path) from exc
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"not a usable xinwen database: {exc}", file=self.path) from exc
        with self._lock:
            self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
        self._shared = None

    # -- transactions ------------------------------------------------------------
    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0)) if not self.memory else int(getattr(self, "_mdepth", 0))

    def _set_depth(self, depth: int) -> None:
        if self.memory:
            self._mdepth = depth
        else:
            self._local.depth = depth

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self.conn
        depth = self._depth()
        if depth:
            self._set_depth(depth + 1)
            try:
                yield
            finally:
                self._set_depth(depth)
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._write_error(exc) from exc
        self._set_depth(1)
        try:
            yield
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, full, damaged: the store's trouble
                raise self._write_error(exc) from exc
            raise
        finally:
            self._set_depth(0)

    def _write_error(self, exc: sqlite3.Error) -> StoreError:
        if "readonly" in str(exc):
            return StoreError("the database cannot be written here (a read-only file or folder)", file=self.path)
        return StoreError(f"cannot write: {exc}", file=self.path)

    def change_token(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def rewrite_token(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'rewritten'").fetchone()
        return int(row[0]) if row else 0

    def _rewritten(self) -> None:
        """Mark the open transaction as one that changes articles stored before (see rewrite_token)."""
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rewritten', "
                          "(SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'generation'))")

    @contextlib.contextmanager
    def exclusive(self, name: str, *, wait: bool = True) -> Iterator[bool]:
        """Hold the lock `name` against every process and thread (see base.Store.exclusive): an flock on
        the file DB.<name>.lock beside the database (released by the system when the process dies); a
        lock of this store object for an in-memory database, or where flock does not exist."""
        held: dict[str, int] = self._local.__dict__.setdefault("held", {})
        if held.get(name):
            held[name] += 1
            try:
                yield True
            finally:
                held[name] -= 1
            return
        try:
            import fcntl
        except ImportError:  # not a POSIX system: one process at a time is all that can be promised
            fcntl = None  # type: ignore[assignment]
        if self.memory or fcntl is None:
            with self._lock:
                lock = self.__dict__.setdefault("_named_locks", {}).setdefault(name, threading.Lock())
            if not lock.acquire(blocking=wait):
                yield False
                return
            held[name] = 1
            try:
                yield True
            finally:
                held.pop(name, None)
                lock.release()
            return
        path = f"{self.path}.{name}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot take the {name} lock: {exc.strerror or exc}", file=path) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            held[name] = 1
            try:
                yield True
            finally:
                held.pop(name, None)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- schema --------------------------------------------------------------------
    def schema_version(self) -> int:
        return self._schema_version(self.conn)

    @staticmethod
    def _schema_version(conn: sqlite3.Connection) -> int:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
            return 0
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = self._schema_version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database schema version {version} is newer than this xinwen ({SCHEMA_VERSION}); upgrade xinwen",
                file=self.path,
            )
        for number in range(version, SCHEMA_VERSION):
            try:
                conn.execute("BEGIN IMMEDIATE")
                for statement in _statements(MIGRATIONS[number]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(number + 1),)
                )
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if "readonly" not in str(exc):
                    raise
                raise StoreError(
                    f"database schema version {version} is older than this xinwen ({SCHEMA_VERSION}) and the file "
                    "cannot be written here to upgrade it; open it once where it can be written (for example "
                    "`xinwen fit --db PATH`), or use the xinwen that wrote it",
                    file=self.path,
                ) from exc
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    # -- meta and fitted state -----------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction():
            if value is None:
                self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def state_path(self, name: str) -> Path | None:
        """Where fitted state `name` is kept (None for an in-memory database)."""
        return None if self.memory else Path(f"{self.path}.{name}")

    def read_state(self, name: str) -> bytes | None:
        data = self.map_state(name)
        return None if data is None else bytes(data)

    def map_state(self, name: str) -> memoryview | None:
        path = self.state_path(name)
        if path is None:
            data = self._state.get(name)
            return None if data is None else memoryview(data)
        try:
            with open(path, "rb") as fh:  # the map outlives the file handle (and a later replacement of the file)
                if not os.fstat(fh.fileno()).st_size:
                    return memoryview(b"")
                try:
                    return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
                except (OSError, ValueError):  # a file system that cannot map files: read it
                    return memoryview(fh.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read fitted state: {getattr(exc, 'strerror', None) or exc}",
                             file=str(path)) from exc

    @contextlib.contextmanager
    def write_state(self, name: str) -> Iterator[IO[bytes]]:
        path = self.state_path(name)
        if path is None:
            buffer = io.BytesIO()
            yield buffer
            self._state[name] = buffer.getvalue()
            return
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"cannot save fitted state: {exc.strerror or exc}", file=str(path)) from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()

    # -- writing articles --------------------------------------------------------------
    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in chunks(ids):
            for row in self.conn.execute(f"SELECT id, content_hash FROM articles WHERE id IN ({_marks(chunk)})", chunk):
                out[row[0]] = row[1]
        return out

    def upsert(self, writes: Sequence[ArticleWrite]) -> list[Written]:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        out: list[Written] = []
        with self.transaction():
            conn = self.conn
            for w in writes:
                a = w.article
                row = conn.execute("SELECT rowid, title, body, published, url FROM articles WHERE id=?",
                                   (a.id,)).fetchone()
                values = _row_values(w, now)
                if row is None:
                    cur = conn.execute(
                        f"INSERT INTO articles (id, {_WRITTEN}) VALUES ({_marks(values)}, ?)", (a.id, *values)
                    )
                    key = int(cur.lastrowid or 0)
                else:
                    key = int(row[0])
                    self._rewritten()
                    if tuple(row[1:]) != _text_of(a):  # a new text: the one it replaces becomes a version
                        conn.execute(
                            "INSERT INTO article_versions (article, version, title, body, url, source, category, "
                            "published, source_tags, extra, content_hash, stored_at, replaced_at) "
                            "SELECT rowid, (SELECT coalesce(max(version), 0) + 1 FROM article_versions "
                            "WHERE article = ?), title, body, url, source, category, published, source_tags, extra, "
                            "content_hash, ingested_at, ? FROM articles WHERE rowid = ?",
                            (key, now, key),
                        )
                    conn.execute(
                        f"UPDATE articles SET {', '.join(c + '=?' for c in _WRITTEN.split(', '))} WHERE rowid=?",
                        (*values, key),
                    )
                self._write_tags(key, a.tags)
                out.append(Written(key, w, row is None))
        return out

    def _write_tags(self, key: int, tags: Sequence[str]) -> None:
        """The article's tags (once each), with its publication time (written before them)."""
        self.conn.execute("DELETE FROM article_tags WHERE article=?", (key,))
        self.conn.executemany(
            "INSERT INTO article_tags (article, rank, tag, published_ts) "
            "SELECT rowid, ?, ?, published_ts FROM articles WHERE rowid = ?",
            [(i, t, key) for i, t in enumerate(dict.fromkeys(tags))],
        )

    def delete(self, ids: Sequence[str]) -> list[int]:
        keys: list[int] = []
        with self.transaction():
            for chunk in chunks(ids):
                found = [r[0] for r in self.conn.execute(
                    f"SELECT rowid FROM articles WHERE id IN ({_marks(chunk)})", chunk)]
                if found:
                    self._rewritten()
                    self.conn.execute(f"DELETE FROM articles WHERE rowid IN ({_marks(found)})", found)
                keys += found
        return keys

    def set_provenance(self, articles: Sequence[StoredArticle]) -> None:
        if not articles:
            return
        with self.transaction():
            self._rewritten()
            self.conn.executemany(
                "UPDATE articles SET origin=?, event_date=?, provenance=? WHERE rowid=?",
                [(s.article.origin, s.article.event_date.isoformat() if s.article.event_date else None,
                  json.dumps(s.article.provenance, ensure_ascii=False, default=str), s.key) for s in articles],
            )

    def versions(self, key: int) -> list[ArticleVersion]:
        row = self.conn.execute("SELECT id FROM articles WHERE rowid=?", (key,)).fetchone()
        if row is None:
            return []
        return [_version(r, row[0]) for r in self.conn.execute(
            f"SELECT {VERSION_COLUMNS} FROM article_versions WHERE article=? ORDER BY version", (key,))]

    def set_tags(self, updates: Sequence[TagUpdate]) -> None:
        now = datetime.now(UTC).isoformat(timespec="microseconds")  # a retag is a write: indexes resync it
        with self.transaction():
            self._rewritten()
            for u in updates:
                self.conn.execute(
                    "UPDATE articles SET tags=?, snippet=?, tag_weights=coalesce(?, tag_weights), ingested_at=? "
                    "WHERE rowid=?",
                    (json.dumps(u.tags, ensure_ascii=False), u.snippet,
                     json.dumps(u.tag_weights, ensure_ascii=False) if u.tag_weights is not None else None, now,
                     u.key),
                )
                self._write_tags(u.key, u.tags)

    # -- reading articles ----------------------------------------------------------------
    def count(self, after: int | None = None) -> int:
        if after is not None:
            return int(self.conn.execute("SELECT count(*) FROM articles WHERE rowid > ?", (after,)).fetchone()[0])
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, article_id: str) -> StoredArticle:
        row = self.conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id=?", (article_id,)).fetchone()
        if row is None:
            raise NotFound(f"no article with id {article_id!r}")
        return _stored(row)

    def key_of(self, article_id: str) -> int | None:
        row = self.conn.execute("SELECT rowid FROM articles WHERE id=?", (article_id,)).fetchone()
        return None if row is None else int(row[0])

    def get_many(self, keys: Sequence[int]) -> dict[int, StoredArticle]:
        out: dict[int, StoredArticle] = {}
        for chunk in chunks(keys):
            for row in self.conn.execute(
                    f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE rowid IN ({_marks(chunk)})", chunk):
                out[row["rowid"]] = _stored(row)
        return out

    def list_articles(
        self, *, tag: str | None = None, since: float | None = None, until: float | None = None,
        limit: int = 20, offset: int = 0,
    ) -> list[StoredArticle]:
        where, args = [], []
        if since is not None:
            where.append("published_ts >= ?")
            args.append(since)
        if until is not None:
            where.append("published_ts < ?")
            args.append(until)
        # NULLs sort lowest in SQLite, so DESC puts undated articles last and the date index serves the order
        if tag:  # the tag's rows in its index by time, then those articles
            sql = ("SELECT article FROM article_tags WHERE tag = ?" + "".join(" AND " + w for w in where)
                   + " ORDER BY published_ts DESC, article DESC LIMIT ? OFFSET ?")
            keys = [r[0] for r in self.conn.execute(sql, (tag, *args, limit, offset))]
            stored = self.get_many(keys)
            return [stored[k] for k in keys if k in stored]
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY published_ts DESC, rowid DESC LIMIT ? OFFSET ?"
        return [_stored(r) for r in self.conn.execute(sql, (*args, limit, offset))]

    def _batches(self, columns: str, batch: int = 2000) -> Iterator[sqlite3.Row]:
        """Rows in rowid order, read in batches (a long read holds no lock between them)."""
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT {columns} FROM articles WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1]["rowid"]

    def iter_articles(self) -> Iterator[StoredArticle]:
        for row in self._batches(ARTICLE_COLUMNS):
            yield _stored(row)

    def keys(self) -> np.ndarray:
        return np.sort(joined_ints(self.conn.execute("SELECT group_concat(rowid) FROM articles").fetchone()[0]))

    # -- what the in-memory indexes are built from ---------------------------------------
    def iter_terms(self) -> Iterator[TermsRow]:
        for row in self._batches("rowid, title_terms, body_terms, tag_weights, ingested_at"):
            yield _terms(row)

    def terms_of(self, keys: Sequence[int]) -> dict[int, TermsRow]:
        out: dict[int, TermsRow] = {}
        for chunk in chunks(keys):
            for row in self.conn.execute(
                "SELECT rowid, title_terms, body_terms, tag_weights, ingested_at FROM articles "
                f"WHERE rowid IN ({_marks(chunk)})", chunk,
            ):
                out[row[0]] = _terms(row)
        return out

    def keys_written_since(self, stamp: str) -> np.ndarray:
        return joined_ints(self.conn.execute(
            "SELECT group_concat(rowid) FROM articles WHERE ingested_at > ?", (stamp,)).fetchone()[0])

    def doc_columns(self, after: int = 0) -> DocColumns:
        conn = self.conn
        try:
            size = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM articles").fetchone()[0]) + 1
            if after > 0:  # a few new articles: their rows, by key
                return self._doc_columns_after(size, after)
            # read from covering indexes, rowids joined into one string per value (a Python row per article
            # would cost ~1.5 us each; the table's rows hold the body and would be read whole)
            sources = _groups(conn.execute(
                "SELECT source, group_concat(rowid) FROM articles INDEXED BY articles_source "
                "WHERE source IS NOT NULL GROUP BY source"))
            categories = _groups(conn.execute(
                "SELECT category, group_concat(rowid) FROM articles INDEXED BY articles_category "
                "WHERE category IS NOT NULL GROUP BY category"))
            keys, stamps = conn.execute(
                "SELECT group_concat(rowid), group_concat(published_ts) FROM articles "
                "INDEXED BY articles_published WHERE published_ts IS NOT NULL").fetchone()
            tags = _groups(conn.execute(
                "SELECT tag, group_concat(article) FROM article_tags INDEXED BY article_tags_tag GROUP BY tag"))
            origins = _groups(conn.execute(
                "SELECT origin, group_concat(rowid) FROM articles INDEXED BY articles_origin "
                "WHERE origin IS NOT NULL GROUP BY origin"))
        except sqlite3.Error as exc:  # a locked or damaged database, or a dropped index
            raise StoreError(f"cannot read facet values: {exc}", file=self.path) from exc
        return DocColumns(size, sources, categories, tags, joined_ints(keys), _joined_floats(stamps), origins)

    def _doc_columns_after(self, size: int, after: int) -> DocColumns:
        rows = self.conn.execute(
            "SELECT rowid, source, category, origin, published_ts FROM articles WHERE rowid > ? ORDER BY rowid",
            (after,)).fetchall()
        # the new articles' tags by the primary key, grouped here (GROUP BY tag made SQLite scan the whole
        # tag index in tag order: 24 ms at 100,000 articles for each commit, in every server worker)
        tags = _keys_by_value(self.conn.execute("SELECT article, tag FROM article_tags WHERE article > ?", (after,)))

        def grouped(column: int) -> list[tuple[str, np.ndarray]]:
            return _keys_by_value((r[0], r[column]) for r in rows)

        dated = [(int(r[0]), float(r[4])) for r in rows if r[4] is not None]
        return DocColumns(size, grouped(1), grouped(2), tags, np.array([k for k, _ in dated], dtype=np.int64),
                          np.array([t for _, t in dated], dtype=np.float64), grouped(3))

    # -- copy detection ------------------------------------------------------------------
    def iter_copy_inputs(self) -> Iterator[CopyInput]:
        for row in self._batches("rowid, body, fingerprint"):
            sig = np.frombuffer(row["fingerprint"], dtype=np.uint64) if row["fingerprint"] else None
            yield CopyInput(row["rowid"], row["body"] or "", sig)

    def set_fingerprints(self, pairs: Sequence[tuple[int, np.ndarray]]) -> None:
        with self.transaction():
            self.conn.executemany("UPDATE articles SET fingerprint=? WHERE rowid=?",
                                  [(sig.astype(np.uint64).tobytes(), key) for key, sig in pairs])

    def copy_signatures(self, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
        rows = self.conn.execute(
            "SELECT c.article, a.fingerprint FROM copy_index c JOIN articles a ON a.rowid = c.article "
            "WHERE c.article > ? ORDER BY c.article", (after,)
        ).fetchall()
        keys = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return keys, np.empty((0, 0), dtype=np.uint64)
        sigs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint64).reshape(len(rows), -1)
        return keys, sigs

    def max_copy_key(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(article), 0) FROM copy_index").fetchone()[0])

    def add_to_copy_index(self, key: int) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO copy_index (article) VALUES (?)", (key,))

    def remove_from_copy_index(self, key: int) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM copy_index WHERE article=?", (key,))

    def clear_copies(self) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM duplicate_of")
            self.conn.execute("DELETE FROM copy_index")

    def bodies(self, keys: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for chunk in chunks(keys):
            out.update((r[0], r[1] or "") for r in self.conn.execute(
                f"SELECT rowid, body FROM articles WHERE rowid IN ({_marks(chunk)})", chunk))
        return out

    def canonicals(self, keys: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for chunk in chunks(keys):
            out.update(self.conn.execute(
                f"SELECT article, canonical FROM duplicate_of WHERE article IN ({_marks(chunk)})", chunk).fetchall())
        return out

    def cluster_keys(self, canonicals: Sequence[int]) -> set[int]:
        out: set[int] = set()
        for chunk in chunks(canonicals):
            out.update(r[0] for r in self.conn.execute(
                f"SELECT article FROM duplicate_of WHERE canonical IN ({_marks(chunk)})", chunk))
        return out

    def cluster_facts(self, keys: Sequence[int]) -> list[ClusterFacts]:
        out = []
        for chunk in chunks(keys):
            out += [ClusterFacts(r[0], r[1], int(r[2] or 0)) for r in self.conn.execute(
                f"SELECT rowid, published_ts, length(body) FROM articles WHERE rowid IN ({_marks(chunk)})", chunk)]
        return out

    def set_cluster(self, members: Sequence[int], canonical: int) -> None:
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO duplicate_of (article, canonical) VALUES (?, ?)",
                                  [(m, canonical) for m in members])

    def unlink(self, keys: Sequence[int]) -> None:
        with self.transaction():
            for chunk in chunks(keys):
                self.conn.execute(f"DELETE FROM duplicate_of WHERE article IN ({_marks(chunk)})", chunk)

    def members(self, canonical: int) -> list[int]:
        rows = self.conn.execute(
            "SELECT d.article FROM duplicate_of d JOIN articles a ON a.rowid = d.article WHERE d.canonical=? "
            "ORDER BY d.article != d.canonical, a.published_ts IS NULL, a.published_ts, d.article", (canonical,)
        ).fetchall()
        return [r[0] for r in rows]

    def largest_clusters(self, limit: int | None = None) -> list[int]:
        sql = ("SELECT d.canonical, count(*) AS n FROM duplicate_of d JOIN articles a ON a.rowid = d.canonical "
               "GROUP BY d.canonical ORDER BY n DESC, a.published_ts IS NULL, a.published_ts DESC, d.canonical")
        args: tuple = ()
        if limit is not None:
            sql += " LIMIT ?"
            args = (int(limit),)
        return [r[0] for r in self.conn.execute(sql, args)]

    # -- full-text search ----------------------------------------------------------------
    def _search(self, sql: str, params: Sequence[object]) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # a locked or damaged database, never the user's query
            raise StoreError(f"search failed: {exc}", file=self.path) from exc

    def match_count(self, query: Query, mode: str) -> int:
        match = fts5.match(query, mode)
        where, args = _filters(query)
        if match and not where:  # the index alone can answer
            return int(self._search("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (match,))[0][0])
        sql, params = _source(match, where, args)
        return int(self._search("SELECT count(*) " + sql, params)[0][0])

    def match_keys(self, query: Query, mode: str) -> np.ndarray:
        match = fts5.match(query, mode)
        where, args = _filters(query)
        if match and not where:  # one joined string: a Python row per match costs more than the lookup
            rows = self._search("SELECT group_concat(rowid) FROM articles_fts WHERE articles_fts MATCH ?", (match,))
        else:
            sql, params = _source(match, where, args)
            rows = self._search("SELECT group_concat(a.rowid) " + sql, params)
        return joined_ints(rows[0][0])

    def title_matches(self, query: Query, limit: int) -> list[tuple[int, str]]:
        match = fts5.title_match(query)
        if not match:
            return []
        where, args = _filters(query)
        sql, params = _source(match, where, args)
        rows = self._search(f"SELECT a.rowid, a.title {sql} ORDER BY length(a.title), a.rowid DESC LIMIT ?",
                            (*params, limit))
        return [(int(r[0]), str(r[1])) for r in rows]

    def ranked(self, query: Query, mode: str, skip: Sequence[int], limit: int) -> list[tuple[int, float]]:
        match = fts5.match(query, mode)
        if not match or limit <= 0:
            return []
        where, args = _filters(query)
        score = f"bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})"
        not_seen = f" AND {{}}rowid NOT IN ({_marks(skip)})" if skip else ""
        if where:
            sql, params = _source(match, where, args)
            sql = f"SELECT a.rowid, {score} AS s {sql}{not_seen.format('a.')} ORDER BY s, a.rowid LIMIT ?"
        else:  # the index alone can rank
            sql = (f"SELECT rowid, {score} AS s FROM articles_fts WHERE articles_fts MATCH ?{not_seen.format('')} "
                   "ORDER BY s, rowid LIMIT ?")
            params = [match]
        rows = self._search(sql, (*params, *skip, limit))
        return [(int(r[0]), -float(r[1])) for r in rows]

    def newest(
        self, query: Query, mode: str | None, limit: int, offset: int, total: int | None = None
    ) -> list[int]:
        match = fts5.match(query, mode) if mode else None
        where, args = _filters(query)
        by_time = "a.published_ts IS NULL, a.published_ts DESC, a.rowid DESC"
        if match:
            if total is None:
                total = self.match_count(query, mode or "all")
            size = int(self.conn.execute("SELECT coalesce(max(rowid), 1) FROM articles").fetchone()[0])
            if total and total * JOIN_COST > (offset + limit) * size / total * SCAN_COST:
                # many matches: walk the date index newest first until the page is full
                sql = (f"SELECT a.rowid FROM articles a INDEXED BY articles_published WHERE a.rowid IN "
                       f"(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
                       f"{''.join(' AND ' + w for w in where)} ORDER BY a.published_ts DESC, a.rowid DESC "
                       "LIMIT ? OFFSET ?")
                rows = self._search(sql, (match, *args, limit, offset))
                if len(rows) == limit:
                    return [int(r[0]) for r in rows]
                # the date index holds dated articles only: the rest of the page is undated ones
        sql, params = _source(match, where, args)
        rows = self._search(f"SELECT a.rowid {sql} ORDER BY {by_time} LIMIT ? OFFSET ?", (*params, limit, offset))
        return [int(r[0]) for r in rows]


# -- SQL for a parsed query ---------------------------------------------------------------
def _filters(q: Query) -> tuple[list[str], list[object]]:
    """Conditions on `articles a` for everything in the query that is not a word to look up."""
    where: list[str] = []
    args: list[object] = []
    for tag in q.tags:
        where.append("a.rowid IN (SELECT article FROM article_tags WHERE tag = ?)")
        args.append(tag)
    for tag in q.exclude_tags:
        where.append("a.rowid NOT IN (SELECT article FROM article_tags WHERE tag = ?)")
        args.append(tag)
    for column, wanted, unwanted in (("source", q.sources, q.exclude_sources),
                                     ("origin", q.origins, q.exclude_origins)):
        if wanted:  # any of them
            where.append(f"a.{column} IN ({_marks(wanted)})")
            args.extend(wanted)
        for value in unwanted:
            where.append(f"a.{column} IS NOT ?")
            args.append(value)
    if q.since:
        where.append("a.published_ts >= ?")
        args.append(q.since.timestamp())
    if q.until:
        where.append("a.published_ts < ?")
        args.append(q.until.timestamp())
    for phrase in q.phrases:
        where.append("(instr(lower(a.title), ?) > 0 OR instr(lower(a.body), ?) > 0)")
        args.extend([phrase.text.lower()] * 2)
    for phrase in q.exclude_phrases:
        where.append("NOT (instr(lower(a.title), ?) > 0 OR instr(lower(a.body), ?) > 0)")
        args.extend([phrase.lower()] * 2)
    if q.exclude_words and not q.has_text:
        where.append("a.rowid NOT IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        args.append(" OR ".join(fts5.quote(w.text) for w in q.exclude_words))
    return where, args


def _source(match: str | None, where: list[str], args: list[object]) -> tuple[str, list[object]]:
    """FROM ... WHERE ... for the matching articles, as `articles a` (joined to the index when words)."""
    conds = list(where)
    params: list[object] = list(args)
    if match:
        sql = "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        conds.insert(0, "articles_fts MATCH ?")
        params.insert(0, match)
    else:
        sql = "FROM articles a"
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    return sql, params


# -- rows <-> records ----------------------------------------------------------------------
def _statements(script: str) -> list[str]:
    """Split a migration into statements (trigger bodies hold semicolons)."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf))
    return out


def _text_of(a: Article) -> tuple:
    """What makes a new version: the title, body, publish time and URL as stored (a change elsewhere in
    the record, such as its source tags or extra fields, is an update without one)."""
    return (a.title, a.body, a.published.isoformat() if a.published else None, a.url)


_WRITTEN = (
    "url, source, category, title, body, published, published_ts, tags, snippet, source_tags, source_related, "
    "extra, read_from, origin, event_date, provenance, title_terms, body_terms, fingerprint, content_hash, "
    "ingested_at, tag_weights"
)


def _row_values(w: ArticleWrite, now: str) -> tuple:
    article = w.article
    return (
        article.url,
        article.source,
        article.category,
        article.title,
        article.body,
        article.published.isoformat() if article.published else None,
        article.published.timestamp() if article.published else None,
        json.dumps(article.tags, ensure_ascii=False),
        article.snippet,
        json.dumps(article.source_tags, ensure_ascii=False),
        json.dumps([r.__dict__ for r in article.source_related], ensure_ascii=False),
        json.dumps(article.extra, ensure_ascii=False, default=str),
        article.read_from,
        article.origin,
        article.event_date.isoformat() if article.event_date else None,
        json.dumps(article.provenance, ensure_ascii=False, default=str),
        w.title_terms,
        w.body_terms,
        np.asarray(w.fingerprint).astype(np.uint64).tobytes(),
        w.content_hash,
        now,
        json.dumps(w.tag_weights, ensure_ascii=False),
    )


def _json(text: str | None) -> Any:
    """A JSON column's value; the empty list and object, most articles' related, extra and provenance,
    without the parser."""
    if not text or text == "{}":
        return {}
    return [] if text == "[]" else json.loads(text)


def _stored(row: sqlite3.Row) -> StoredArticle:
    published = datetime.fromisoformat(row["published"]) if row["published"] else None
    article = Article(
        id=row["id"],
        url=row["url"],
        source=row["source"],
        category=row["category"],
        title=row["title"],
        body=row["body"],
        published=published,
        tags=_json(row["tags"]),
        snippet=row["snippet"],
        source_tags=_json(row["source_tags"]),
        source_related=[RelatedRef(**r) for r in _json(row["source_related"])],
        extra=_json(row["extra"]),
        read_from=row["read_from"],
        origin=row["origin"],
        event_date=date.fromisoformat(row["event_date"]) if row["event_date"] else None,
        provenance=_json(row["provenance"]),
    )
    return StoredArticle(int(row["rowid"]), article)


def _version(row: sqlite3.Row, article_id: str) -> ArticleVersion:
    published = datetime.fromisoformat(row["published"]) if row["published"] else None
    article = Article(
        id=article_id, url=row["url"], source=row["source"], category=row["category"], title=row["title"],
        body=row["body"], published=published, source_tags=json.loads(row["source_tags"]),
        extra=json.loads(row["extra"]),
    )
    return ArticleVersion(int(row["version"]), article, row["content_hash"], row["stored_at"], row["replaced_at"])


def _weights(text: str | None) -> dict[str, float]:
    """Stored tag weights ({} when the article was stored before they were kept)."""
    try:
        got = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): float(v) for k, v in got.items()} if isinstance(got, dict) else {}


def _terms(row: sqlite3.Row) -> TermsRow:
    return TermsRow(int(row[0]), row[1] or "", row[2] or "", _weights(row[3]), row[4] or "")


def _keys_by_value(pairs: Iterable[tuple[int, str | None]]) -> list[tuple[str, np.ndarray]]:
    """(key, value) pairs -> each value with the keys that have it (pairs without a value left out)."""
    by: dict[str, list[int]] = {}
    for key, value in pairs:
        if value is not None:
            by.setdefault(value, []).append(int(key))
    return [(v, np.array(k, dtype=np.int64)) for v, k in by.items()]


def _groups(rows: Iterable[tuple[str, str]]) -> list[tuple[str, np.ndarray]]:
    return [(value, joined_ints(keys)) for value, keys in rows if value]

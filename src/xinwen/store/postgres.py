"""The PostgreSQL backend: one database (`postgresql://user@host/dbname`), shared by many processes and
machines, and every line of SQL xinwen runs on it. psycopg 3 with a connection pool.

Connections: each call takes a connection from the pool for as long as it runs (a server's threads run
side by side, a generator holds none between its batches); a transaction keeps its thread's connection
until it ends. Every statement outside a transaction sees every write committed before it, from any
process, so a reader never needs a restart to see new articles. A pooled connection the server has
dropped (a restart) is replaced, and the read or the start of the transaction tried once more.

Writers: a write transaction (`transaction()`, which every write verb opens or joins) first takes the
store's write lock (a transaction-level advisory lock), then raises the generation number in `meta`
before it commits; `change_token()` reads that number. Writers therefore take turns in the few
milliseconds a batch spends in the database (analysis, the expensive part of ingest, runs outside),
which is what keeps many ingest processes honest:
- an article is inserted or updated by id (`INSERT ... ON CONFLICT (id) DO UPDATE`): never doubled;
- new keys come from the sequence `article_keys` (CACHE 1) and only for ids not yet stored (an update
  spends no key), inside the lock, so keys grow in commit order and the in-memory indexes, arrays
  indexed by key, stay dense;
- copy detection reads the copy index inside the batch's transaction, after the lock: it sees every
  article the other writers committed (CopyDetector picks up keys above the last it saw), so a copy in
  one stream of an article in the other is clustered, whichever batch commits first;
- `ingested_at` (what the related vectors catch up from) is the server's clock read inside the lock:
  later commits always carry later stamps.
`exclusive(name)` is a session-level advisory lock for work that must run once at a time (`fit`).

Fitted state lives in the table `state` (bytea), replaced by one statement (atomic).

Search: the store's segmented words are indexed as tsvectors in the `simple` configuration's terms,
written as literals by store/postgres_text.py (PostgreSQL's own parser would cut Chinese differently
under every locale): `search.tsv` (title and body) and `search.title_tsv` (title) hold the tokens and
the pairs of tokens that follow each other, each with a GIN index that answers every match exactly, so
that no match reads an article's vector; `search.lead_tsv` (title weighted A, the body's first 64
tokens B, kept in the row) and `search.rank_tsv` (title A, body B) hold positions, for ranking. The
query language is the SQLite backend's (store/fts5.py), compiled to tsqueries by postgres_text.py;
filters (tag:, source:, from:/to:, phrases, -word) are the same SQL conditions as there. Where the two
backends differ:
- a long word's parts (上海 交通 大学 for 上海交通大学) match one right after another, in order (pairs of
  tokens in the index); FTS5 takes them anywhere within 10 tokens of each other, in any order. A word
  of several tokens (COVID-19) matches where it is written as one word; FTS5 also where its tokens stand
  side by side as separate words. (tsquery's `<N>` phrase operators would say what FTS5 says, but a
  GIN index cannot check positions: PostgreSQL then reads the vector of every article that has the
  parts at all, hundreds of milliseconds for common words in 100,000 articles.)
- relevance (`ranked`): `ts_rank_cd`, cover density with the title weighing 1.0 and the body 0.2,
  divided by 1 + the log of the article's length, instead of BM25 with the title 5 times the body; and
  when more than RANK_POOL articles match, the final order is computed for the RANK_POOL (at least four
  times the page) that rank best over their title and lead (by ts_rank: cheaper). Given the same matches, counts, facets,
  the title tier (every word in the title, shortest title first) and the order by time are the same;
  the order of the rest can differ (bench/bench_backends.py measures the top-10 overlap).
- a token is indexed with at most 255 positions, none past position 16383, tokens of more than 512
  characters are not indexed, and an article's distinct tokens hold at most 250,000 characters
  (PostgreSQL's tsvector limits); FTS5 keeps everything.
- text columns cannot hold NUL: a NUL character in a stored field is dropped (readers already remove
  control characters from titles and bodies).
- phrase filters compare lowercased text with ASCII-only folding, as SQLite's lower() does.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from xinwen.article import Article, RelatedRef
from xinwen.errors import NotFound, StoreError
from xinwen.store import postgres_text as pgtext
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
from xinwen.store.postgres_schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import psycopg

    from xinwen.search.query import Query

T = TypeVar("T")
SCHEMES = ("postgresql://", "postgres://")
POOL_SIZE = int(os.environ.get("XINWEN_PG_POOL_SIZE", "8"))  # connections one process opens at most
LOCK_TIMEOUT = "10min"  # how long a writer waits for the write lock before it gives up
RANK_WEIGHTS = "{0, 0, 0.2, 1.0}"  # ts_rank_cd weights of D, C, B (body), A (title)
RANK_NORMALIZATION = 1  # divide by 1 + log(length)
RANK_POOL = 200  # matches ranked over the whole article, the best by their title and lead
BATCH = 2000  # rows read at a time by the iterators

ARTICLE_COLUMNS = (
    "key, id, url, source, category, title, body, published, tags, snippet, source_tags, source_related, "
    "extra, read_from, origin, event_date, provenance"
)
VERSION_COLUMNS = (
    "version, title, body, url, source, category, published, source_tags, extra, content_hash, stored_at, replaced_at"
)
_UTC_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
TERMS_COLUMNS = (
    "key, title_terms, body_terms, tag_weights, "
    "to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
)


def is_dsn(location: str) -> bool:
    """Whether `location` names a PostgreSQL database (a postgresql:// or postgres:// URL)."""
    return location.strip().lower().startswith(SCHEMES)


def redacted(dsn: str) -> str:
    """The DSN without its password (what the store shows as its location)."""
    if is_dsn(dsn):
        parts = urlsplit(dsn.strip())
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            netloc = f"{userinfo.split(':', 1)[0]}@{host}"
        query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("password="))
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return re.sub(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", dsn)


def _clean(text: str | None) -> str | None:
    """Text as PostgreSQL can hold it (no NUL character)."""
    return text.replace("\x00", "") if text and "\x00" in text else text


def _ints(values: Sequence[Any]) -> list[int]:
    return [int(v) for v in values]


def _keys(values: Sequence[int] | None) -> np.ndarray:
    return np.array(values, dtype=np.int64) if values else np.zeros(0, dtype=np.int64)


class PostgresStore:
    """The articles of one collection in one PostgreSQL database (the schema its search_path names)."""

    def __init__(self, dsn: str, *, readonly: bool = False, pool_size: int | None = None) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError("a PostgreSQL database needs psycopg 3: pip install 'xinwen[postgres]'",
                             file=redacted(dsn)) from exc
        self.dsn = dsn.strip()
        self.location = redacted(self.dsn)
        self.readonly = readonly
        self._local = threading.local()
        self._pool: Any = None
        settings = psycopg.conninfo.conninfo_to_dict(self.dsn) if self.dsn else {}
        self._connect_args: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in settings:
            self._connect_args["connect_timeout"] = 10
        if "application_name" not in settings:
            self._connect_args["application_name"] = "xinwen"
        try:
            conn = psycopg.connect(self.dsn, **self._connect_args)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {_first_line(exc)}", file=self.location) from exc
        try:
            schema = conn.execute("SELECT current_schema()").fetchone()
            if not schema or schema[0] is None:
                raise StoreError("no schema to use: the search_path names none that exists", file=self.location)
            self._schema = str(schema[0])
            self._write_lock = self._lock_key("write")
            self._migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(f"not a usable xinwen database: {_first_line(exc)}", file=self.location) from exc
        finally:
            conn.close()
        self._pool = ConnectionPool(
            self.dsn, min_size=1, max_size=max(2, pool_size or POOL_SIZE), kwargs=self._connect_args,
            configure=_configure, open=False, name="xinwen",
            num_workers=1,
        )
        try:
            self._pool.open(wait=True, timeout=30)
        except Exception as exc:
            self._pool.close()
            raise StoreError(f"cannot connect to PostgreSQL: {_first_line(exc)}", file=self.location) from exc

    # -- connections -------------------------------------------------------------
    def _lock_key(self, name: str) -> int:
        """A 64-bit advisory lock key for `name` in this store's schema."""
        digest = hashlib.blake2b(f"xinwen:{self._schema}:{name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        """This thread's transaction's connection, or one from the pool for as long as the block runs."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        import psycopg

        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:  # a read failed: the server or the connection is in trouble
            raise StoreError(f"PostgreSQL: {_first_line(exc)}", file=self.location) from exc
        except _pool_errors() as exc:
            raise StoreError(f"no connection to PostgreSQL: {_first_line(exc)}", file=self.location) from exc

    def _read(self, fn: Callable[[psycopg.Connection], T]) -> T:
        """fn(connection) on this thread's transaction's connection, or on one from the pool; a pooled
        connection the server has dropped (a restart) is replaced and the read tried once more (the pool
        does not test a connection before lending it: that would cost a round trip a call)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return fn(conn)
        import psycopg

        for attempt in (1, 2):
            try:
                with self._pool.connection() as conn:
                    return fn(conn)
            except psycopg.OperationalError as exc:
                if attempt == 1 and _connection_lost(exc, conn):
                    self._pool.check()  # its other connections are likely gone too: replace them
                    continue
                raise StoreError(f"PostgreSQL: {_first_line(exc)}", file=self.location) from exc
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL: {_first_line(exc)}", file=self.location) from exc
            except _pool_errors() as exc:
                raise StoreError(f"no connection to PostgreSQL: {_first_line(exc)}", file=self.location) from exc
        raise AssertionError("unreachable")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first value of the first row (None when there is no row)."""
        row = self._read(lambda conn: conn.execute(sql, params, binary=True).fetchone())
        return None if row is None else row[0]

    def _all(self, sql: str, params: Sequence[Any] = (), binary: bool = True) -> list[tuple]:
        return self._read(lambda conn: conn.execute(sql, params, binary=binary).fetchall())

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=5)

    # -- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        depth = int(getattr(self._local, "depth", 0))
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        import psycopg

        for attempt in (1, 2):  # a pooled connection the server dropped (a restart) is replaced once
            stack = contextlib.ExitStack()
            conn = None
            try:
                conn = stack.enter_context(self._pool.connection())
                stack.enter_context(conn.transaction())
                conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._write_lock,))
            except (psycopg.Error, *_pool_errors()) as exc:
                with contextlib.suppress(Exception):
                    stack.__exit__(type(exc), exc, exc.__traceback__)
                if attempt == 1 and _connection_lost(exc, conn):
                    self._pool.check()  # its other connections are likely gone too: replace them
                    continue
                raise self._write_error(exc) from exc
            break
        try:
            with stack:
                assert conn is not None
                self._local.conn, self._local.depth, self._local.copy_pending = conn, 1, []
                try:
                    yield
                    self._flush_copy_index(conn)
                finally:
                    self._local.conn, self._local.depth, self._local.copy_pending = None, 0, []
                conn.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'generation'")
        except _store_errors() as exc:  # the store's trouble (connection, rights, space), not a record's
            raise self._write_error(exc) from exc

    def _write_error(self, exc: Exception) -> StoreError:
        import psycopg

        if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction | psycopg.errors.InsufficientPrivilege):
            return StoreError(f"the database cannot be written here: {_first_line(exc)}", file=self.location)
        return StoreError(f"cannot write: {_first_line(exc)}", file=self.location)

    def change_token(self) -> int:
        value = self._one("SELECT value FROM meta WHERE key = 'generation'")
        return int(value) if value is not None else 0

    def rewrite_token(self) -> int:
        value = self._one("SELECT value FROM meta WHERE key = 'rewritten'")
        return int(value) if value is not None else 0

    @staticmethod
    def _rewritten(conn: psycopg.Connection) -> None:
        """Mark the open transaction as one that changes articles stored before (see rewrite_token)."""
        conn.execute("INSERT INTO meta (key, value) SELECT 'rewritten', (value::bigint + 1)::text FROM meta "
                     "WHERE key = 'generation' ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")

    @contextlib.contextmanager
    def exclusive(self, name: str, *, wait: bool = True) -> Iterator[bool]:
        """Hold the lock `name` against every process using this database (a session-level advisory lock
        on a connection of its own, released when the block ends or the process dies). Yields True once
        held; with wait=False, False at once when another holds it. Reentrant within one thread."""
        held: dict[str, int] = self._local.__dict__.setdefault("held", {})
        if held.get(name):
            held[name] += 1
            try:
                yield True
            finally:
                held[name] -= 1
            return
        key = self._lock_key("exclusive:" + name)
        try:
            conn = self._pool.getconn()
        except _pool_errors() as exc:
            raise StoreError(f"no connection to PostgreSQL: {_first_line(exc)}", file=self.location) from exc
        try:
            try:
                if wait:
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                    got = True
                else:
                    got = bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0])
            except _store_errors() as exc:
                raise StoreError(f"cannot take the {name} lock: {_first_line(exc)}", file=self.location) from exc
            if not got:
                yield False
                return
            held[name] = 1
            try:
                yield True
            finally:
                held.pop(name, None)
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        finally:
            self._pool.putconn(conn)

    def optimize(self) -> None:
        """VACUUM (ANALYZE) the tables: after a bulk load, so that the planner knows how common each
        word is and index-only scans need not visit the rows (autovacuum gets there too, later). Not
        part of the Store protocol."""
        with self._conn() as conn:
            for table in ("articles", "search", "article_tags", "copy_index", "duplicate_of"):
                conn.execute(f"VACUUM (ANALYZE) {table}")

    # -- schema -----------------------------------------------------------------------
    def schema_version(self) -> int:
        return self._read(_schema_version)

    def _migrate(self, conn: psycopg.Connection) -> None:
        import psycopg

        version = _schema_version(conn)
        if version > SCHEMA_VERSION:
            raise self._newer(version)
        if version == SCHEMA_VERSION:
            return
        if self.readonly and version == 0:
            raise StoreError("no xinwen database here; run `xinwen ingest --db DSN PATH` first", file=self.location)
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key("migrate"),))
                version = _schema_version(conn)  # another process may have migrated while we waited
                if version > SCHEMA_VERSION:
                    raise self._newer(version)
                for number in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[number]:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (str(number + 1),))
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction) as exc:
            raise StoreError(
                f"database schema version {version} is older than this xinwen ({SCHEMA_VERSION}) and cannot be "
                f"upgraded with these rights ({_first_line(exc)}); open it once as a role that may change the "
                "schema, or use the xinwen that wrote it", file=self.location) from exc

    def _newer(self, version: int) -> StoreError:
        return StoreError(
            f"database schema version {version} is newer than this xinwen ({SCHEMA_VERSION}); upgrade xinwen",
            file=self.location)

    # -- meta and fitted state ----------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        value = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction(), self._conn() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = %s", (key,))
            else:
                conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s) "
                             "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (key, _clean(value)))

    def read_state(self, name: str) -> bytes | None:
        data = self._one("SELECT data FROM state WHERE name = %s", (name,))
        return None if data is None else bytes(data)

    def map_state(self, name: str) -> memoryview | None:
        data = self.read_state(name)  # (in the database: its bytes, read once)
        return None if data is None else memoryview(data)

    @contextlib.contextmanager
    def write_state(self, name: str) -> Iterator[IO[bytes]]:
        buffer = io.BytesIO()
        yield buffer
        import psycopg

        try:  # one statement on a connection of its own: the old state or the new, whole
            with self._pool.connection() as conn:
                conn.execute(
                    "INSERT INTO state (name, data, saved_at) VALUES (%s, %b, clock_timestamp()) "
                    "ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, saved_at = EXCLUDED.saved_at",
                    (name, buffer.getvalue()))
        except (psycopg.Error, *_pool_errors()) as exc:
            raise StoreError(f"cannot save fitted state {name}: {_first_line(exc)}", file=self.location) from exc

    # -- writing articles ------------------------------------------------------------------
    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = self._all("SELECT id, content_hash FROM articles WHERE id = ANY(%s::text[])",
                         ([_clean(i) for i in ids],))
        return {r[0]: r[1] for r in rows}

    def upsert(self, writes: Sequence[ArticleWrite]) -> list[Written]:
        if not writes:
            return []
        with self.transaction(), self._conn() as conn:
            last: dict[str, int] = {}  # id -> the batch's last write of it (the one stored)
            for i, w in enumerate(writes):
                last[_clean(w.article.id) or ""] = i
            ids = list(last)
            known = dict(conn.execute("SELECT id, key FROM articles WHERE id = ANY(%s::text[])", (ids,)).fetchall())
            new_ids = [i for i in ids if i not in known]
            if new_ids:
                fresh = [r[0] for r in conn.execute(
                    "SELECT nextval('article_keys') FROM generate_series(1, %s)", (len(new_ids),))]
                known.update(zip(new_ids, sorted(fresh), strict=True))
            now = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # inside the write lock
            final = [writes[last[i]] for i in ids]
            keys = [int(known[i]) for i in ids]
            if len(new_ids) < len(ids):
                self._rewritten(conn)
            # a new text of a stored article: the one it replaces becomes a version
            conn.execute(
                f"INSERT INTO article_versions ({VERSION_COLUMNS.replace('version, ', 'article, version, ')}) "
                "SELECT a.key, coalesce((SELECT max(v.version) FROM article_versions v WHERE v.article = a.key), 0) "
                "+ 1, a.title, a.body, a.url, a.source, a.category, a.published, a.source_tags, a.extra, "
                f"a.content_hash, {_UTC_TEXT.format('a.ingested_at')}, {_UTC_TEXT.format('%s::timestamptz')} "
                "FROM articles a JOIN unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) "
                "AS u(id, t, b, p, l) ON a.id = u.id WHERE (a.title, a.body, a.published, a.url) IS DISTINCT FROM "
                "(u.t, u.b, u.p, u.l)",  # a new title, body, publish time or URL: see store/sqlite.py _text_of
                (now, ids, [_clean(w.article.title) or "" for w in final], [_clean(w.article.body) or "" for w in final],
                 [w.article.published.isoformat() if w.article.published else None for w in final],
                 [_clean(w.article.url) for w in final]),
            )
            columns = [list(c) for c in zip(*(_row_values(w) for w in final), strict=True)]
            stored = conn.execute(
                f"INSERT INTO articles (key, id, {', '.join(_WRITTEN)}, ingested_at) "
                f"SELECT u.*, %s FROM unnest(%s::bigint[], %s::text[], {_ARRAY_CASTS}) AS u "
                "ON CONFLICT (id) DO UPDATE SET "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_WRITTEN, "ingested_at"))
                + " RETURNING id, key",
                (now, keys, ids, *columns),
            ).fetchall()
            known.update(stored)  # a key another writer gave the id first (the lock makes this moot)
            keys = [int(known[i]) for i in ids]
            self._write_search(conn, keys, final)
            self._write_tags(conn, keys, [[_clean(t) or "" for t in w.article.tags] for w in final])
            out: list[Written] = []
            unseen = set(new_ids)  # the first write of a new id is the one that inserted it
            for w in writes:
                i = _clean(w.article.id) or ""
                out.append(Written(int(known[i]), w, i in unseen))
                unseen.discard(i)
            return out

    @staticmethod
    def _write_search(conn: psycopg.Connection, keys: list[int], writes: Sequence[ArticleWrite]) -> None:
        vectors = [pgtext.vectors(_clean(w.title_terms) or "", _clean(w.body_terms) or "") for w in writes]
        conn.execute(
            "INSERT INTO search (article, source, category, published_ts, title_len, title_tsv, tsv, lead_tsv, "
            "rank_tsv, origin) SELECT k, s, c, p, n, t::tsvector, x::tsvector, l::tsvector, r::tsvector, o FROM "
            "unnest(%s::bigint[], %s::text[], %s::text[], %s::float8[], %s::int[], %s::text[], %s::text[], "
            "%s::text[], %s::text[], %s::text[]) AS u(k, s, c, p, n, t, x, l, r, o) "
            "ON CONFLICT (article) DO UPDATE SET source = EXCLUDED.source, category = EXCLUDED.category, "
            "origin = EXCLUDED.origin, "
            "published_ts = EXCLUDED.published_ts, title_len = EXCLUDED.title_len, title_tsv = EXCLUDED.title_tsv, "
            "tsv = EXCLUDED.tsv, lead_tsv = EXCLUDED.lead_tsv, rank_tsv = EXCLUDED.rank_tsv",
            (keys, [_clean(w.article.source) for w in writes], [_clean(w.article.category) for w in writes],
             [w.article.published.timestamp() if w.article.published else None for w in writes],
             [len(w.article.title or "") for w in writes], [v.title for v in vectors], [v.text for v in vectors],
             [v.lead for v in vectors], [v.rank for v in vectors], [_clean(w.article.origin) for w in writes]),
        )

    @staticmethod
    def _write_tags(conn: psycopg.Connection, keys: list[int], tags: list[list[str]]) -> None:
        conn.execute("DELETE FROM article_tags WHERE article = ANY(%s::bigint[])", (keys,))
        rows = [(k, i, t) for k, ts in zip(keys, tags, strict=True) for i, t in enumerate(dict.fromkeys(ts))]
        if rows:
            a, r, t = zip(*rows, strict=True)
            # only for stored articles (a retag may meet one another process has deleted meanwhile), with
            # their publication time (a tag's articles newest first come from the tags' index)
            conn.execute("INSERT INTO article_tags (article, rank, tag, published_ts) SELECT u.*, a.published_ts "
                         "FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS u(k, r, t) JOIN articles a ON a.key = u.k",
                         (list(a), list(r), list(t)))

    def delete(self, ids: Sequence[str]) -> list[int]:
        if not ids:
            return []
        with self.transaction(), self._conn() as conn:
            self._flush_copy_index(conn)
            cleaned = [_clean(i) or "" for i in ids]
            gone = dict(conn.execute("DELETE FROM articles WHERE id = ANY(%s::text[]) RETURNING id, key",
                                     (cleaned,)).fetchall())
            if gone:
                self._rewritten(conn)
        return [int(gone[i]) for i in dict.fromkeys(cleaned) if i in gone]

    def set_tags(self, updates: Sequence[TagUpdate]) -> None:
        if not updates:
            return
        final = {int(u.key): u for u in updates}
        keys = list(final)
        with self.transaction(), self._conn() as conn:
            now = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # a retag is a write: indexes resync it
            self._rewritten(conn)
            conn.execute(
                "UPDATE articles AS a SET tags = u.tags, snippet = u.snippet, tag_weights = coalesce(u.w, a.tag_weights), "
                "ingested_at = %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS u(k, tags, snippet, w) "
                "WHERE a.key = u.k",
                (now, keys, [json.dumps(final[k].tags, ensure_ascii=False) for k in keys],
                 [_clean(final[k].snippet) or "" for k in keys],
                 [json.dumps(final[k].tag_weights, ensure_ascii=False) if final[k].tag_weights is not None else None
                  for k in keys]),
            )
            self._write_tags(conn, keys, [[_clean(t) or "" for t in final[k].tags] for k in keys])

    def set_provenance(self, articles: Sequence[StoredArticle]) -> None:
        if not articles:
            return
        keys = [int(x.key) for x in articles]
        origins = [_clean(x.article.origin) for x in articles]
        with self.transaction(), self._conn() as conn:
            self._rewritten(conn)
            conn.execute(
                "UPDATE articles AS a SET origin = u.o, event_date = u.e, provenance = u.p "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS u(k, o, e, p) WHERE a.key = u.k",
                (keys, origins,
                 [x.article.event_date.isoformat() if x.article.event_date else None for x in articles],
                 [_clean(json.dumps(x.article.provenance, ensure_ascii=False, default=str)) for x in articles]),
            )
            conn.execute("UPDATE search AS s SET origin = u.o FROM unnest(%s::bigint[], %s::text[]) AS u(k, o) "
                         "WHERE s.article = u.k", (keys, origins))

    def versions(self, key: int) -> list[ArticleVersion]:
        rows = self._all(f"SELECT a.id, {', '.join('v.' + c for c in VERSION_COLUMNS.split(', '))} "
                         "FROM article_versions v JOIN articles a ON a.key = v.article WHERE v.article = %s "
                         "ORDER BY v.version", (int(key),))
        return [_version(r) for r in rows]

    # -- reading articles --------------------------------------------------------------------
    def count(self, after: int | None = None) -> int:
        if after is not None:
            return int(self._one("SELECT count(*) FROM articles WHERE key > %s", (int(after),)))
        return int(self._one("SELECT count(*) FROM articles"))

    def get(self, article_id: str) -> StoredArticle:
        rows = self._all(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = %s", (_clean(article_id),))
        if not rows:
            raise NotFound(f"no article with id {article_id!r}")
        return _stored(rows[0])

    def key_of(self, article_id: str) -> int | None:
        key = self._one("SELECT key FROM articles WHERE id = %s", (_clean(article_id),))
        return None if key is None else int(key)

    def get_many(self, keys: Sequence[int]) -> dict[int, StoredArticle]:
        if not len(keys):
            return {}
        rows = self._all(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE key = ANY(%s::bigint[])", (_ints(keys),))
        return {int(r[0]): _stored(r) for r in rows}

    def list_articles(
        self, *, tag: str | None = None, since: float | None = None, until: float | None = None,
        limit: int = 20, offset: int = 0,
    ) -> list[StoredArticle]:
        where, args = [], []
        if since is not None:
            where.append("a.published_ts >= %s")
            args.append(float(since))
        if until is not None:
            where.append("a.published_ts < %s")
            args.append(float(until))
        if tag:  # the tag's rows in its index by time (named `a`: the time filters apply to them), then those articles
            keys = [r[0] for r in self._all(
                "SELECT article FROM article_tags a WHERE tag = %s" + "".join(" AND " + w for w in where)
                + " ORDER BY published_ts DESC NULLS LAST, article DESC LIMIT %s OFFSET %s",
                (_clean(tag), *args, int(limit), int(offset)))]
            stored = self.get_many(keys)
            return [stored[k] for k in keys if k in stored]
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles a"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.published_ts DESC NULLS LAST, a.key DESC LIMIT %s OFFSET %s"
        return [_stored(r) for r in self._all(sql, (*args, int(limit), int(offset)))]

    def _batches(self, columns: str, batch: int = BATCH) -> Iterator[tuple]:
        """Rows in key order, read in batches (no connection is held between them)."""
        last = -(2**63)
        while True:
            rows = self._all(f"SELECT {columns} FROM articles WHERE key > %s ORDER BY key LIMIT %s", (last, batch))
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def iter_articles(self) -> Iterator[StoredArticle]:
        for row in self._batches(ARTICLE_COLUMNS):
            yield _stored(row)

    def keys(self) -> np.ndarray:
        return _keys(self._one("SELECT array_agg(key ORDER BY key) FROM articles"))

    # -- what the in-memory indexes are built from ---------------------------------------------
    def iter_terms(self) -> Iterator[TermsRow]:
        for row in self._batches(TERMS_COLUMNS):
            yield _terms(row)

    def terms_of(self, keys: Sequence[int]) -> dict[int, TermsRow]:
        if not len(keys):
            return {}
        rows = self._all(f"SELECT {TERMS_COLUMNS} FROM articles WHERE key = ANY(%s::bigint[])", (_ints(keys),))
        return {int(r[0]): _terms(r) for r in rows}

    def keys_written_since(self, stamp: str) -> np.ndarray:
        return _keys(self._one("SELECT array_agg(key ORDER BY key) FROM articles WHERE ingested_at > %s::timestamptz",
                               (stamp,)))

    def doc_columns(self, after: int = 0) -> DocColumns:
        def read(conn: psycopg.Connection) -> tuple:
            def run(sql: str) -> list[tuple]:
                return conn.execute(sql, (after,) if after > 0 else None, binary=True).fetchall()

            newer = "article > %s AND " if after > 0 else ""  # a few new articles: their rows, by key
            size = int(run("SELECT coalesce(max(key), 0) FROM articles" + (" WHERE key > %s" if after > 0 else ""))[0][0])
            size = max(size, after) + 1
            sources = run(f"SELECT source, array_agg(article) FROM search WHERE {newer}source IS NOT NULL GROUP BY source")
            categories = run(f"SELECT category, array_agg(article) FROM search "
                             f"WHERE {newer}category IS NOT NULL GROUP BY category")
            dated = run(f"SELECT array_agg(article), array_agg(published_ts) FROM search "
                        f"WHERE {newer}published_ts IS NOT NULL")[0]
            tags = run("SELECT tag, array_agg(article) FROM article_tags "
                       + ("WHERE article > %s " if after > 0 else "") + "GROUP BY tag")
            origins = run(f"SELECT origin, array_agg(article) FROM search WHERE {newer}origin IS NOT NULL GROUP BY origin")
            return size, sources, categories, dated, tags, origins

        size, sources, categories, (keys, stamps), tags, origins = self._read(read)
        return DocColumns(size, _groups(sources), _groups(categories), _groups(tags), _keys(keys),
                          np.array(stamps, dtype=np.float64) if stamps else np.zeros(0, dtype=np.float64),
                          _groups(origins))

    # -- copy detection -----------------------------------------------------------------------
    def iter_copy_inputs(self) -> Iterator[CopyInput]:
        for key, body, sig in self._batches("key, body, fingerprint"):
            yield CopyInput(int(key), body or "", np.frombuffer(bytes(sig), dtype=np.uint64) if sig else None)

    def set_fingerprints(self, pairs: Sequence[tuple[int, np.ndarray]]) -> None:
        if not pairs:
            return
        with self.transaction(), self._conn() as conn:
            conn.execute(
                "UPDATE articles AS a SET fingerprint = u.f FROM unnest(%s::bigint[], %s::bytea[]) AS u(k, f) "
                "WHERE a.key = u.k",
                ([int(k) for k, _ in pairs], [np.asarray(s).astype(np.uint64).tobytes() for _, s in pairs]))

    def _flush_copy_index(self, conn: psycopg.Connection) -> None:
        """Write the copy index entries this transaction has added so far (they are gathered: copy
        detection adds one per stored article, and a round trip each would cost more than the check)."""
        pending: list[int] = getattr(self._local, "copy_pending", [])
        if pending:
            conn.execute("INSERT INTO copy_index (article) SELECT unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
                         (sorted(set(pending)),))
            pending.clear()

    def copy_signatures(self, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
        def read(conn: psycopg.Connection) -> list[tuple]:
            self._flush_copy_index(conn)
            return conn.execute("SELECT c.article, a.fingerprint FROM copy_index c JOIN articles a ON a.key = "
                                "c.article WHERE c.article > %s ORDER BY c.article", (int(after),), binary=True).fetchall()

        rows = self._read(read)
        keys = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return keys, np.empty((0, 0), dtype=np.uint64)
        sigs = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.uint64).reshape(len(rows), -1)
        return keys, sigs

    def max_copy_key(self) -> int:
        def read(conn: psycopg.Connection) -> int:
            self._flush_copy_index(conn)
            return int(conn.execute("SELECT coalesce(max(article), 0) FROM copy_index").fetchone()[0])

        return self._read(read)

    def add_to_copy_index(self, key: int) -> None:
        if getattr(self._local, "conn", None) is not None:  # in a transaction: written with the next read or
            self._local.copy_pending.append(int(key))     # write of the copy index, or at commit
            return
        with self.transaction():
            self._local.copy_pending.append(int(key))

    def remove_from_copy_index(self, key: int) -> None:
        with self.transaction(), self._conn() as conn:
            self._flush_copy_index(conn)
            conn.execute("DELETE FROM copy_index WHERE article = %s", (int(key),))

    def clear_copies(self) -> None:
        with self.transaction(), self._conn() as conn:
            self._local.copy_pending.clear()
            conn.execute("DELETE FROM duplicate_of")
            conn.execute("DELETE FROM copy_index")

    def bodies(self, keys: Sequence[int]) -> dict[int, str]:
        if not len(keys):
            return {}
        rows = self._all("SELECT key, body FROM articles WHERE key = ANY(%s::bigint[])", (_ints(keys),))
        return {int(k): b or "" for k, b in rows}

    def canonicals(self, keys: Sequence[int]) -> dict[int, int]:
        if not len(keys):
            return {}
        rows = self._all("SELECT article, canonical FROM duplicate_of WHERE article = ANY(%s::bigint[])",
                         (_ints(keys),))
        return {int(a): int(c) for a, c in rows}

    def cluster_keys(self, canonicals: Sequence[int]) -> set[int]:
        if not len(canonicals):
            return set()
        rows = self._all("SELECT article FROM duplicate_of WHERE canonical = ANY(%s::bigint[])", (_ints(canonicals),))
        return {int(r[0]) for r in rows}

    def cluster_facts(self, keys: Sequence[int]) -> list[ClusterFacts]:
        if not len(keys):
            return []
        rows = self._all("SELECT key, published_ts, char_length(body) FROM articles WHERE key = ANY(%s::bigint[])",
                         (_ints(keys),))
        return [ClusterFacts(int(k), p, int(n or 0)) for k, p, n in rows]

    def set_cluster(self, members: Sequence[int], canonical: int) -> None:
        if not len(members):
            return
        with self.transaction(), self._conn() as conn:
            conn.execute(
                "INSERT INTO duplicate_of (article, canonical) SELECT m, %s FROM unnest(%s::bigint[]) AS m "
                "ON CONFLICT (article) DO UPDATE SET canonical = EXCLUDED.canonical",
                (int(canonical), sorted(set(_ints(members)))))

    def unlink(self, keys: Sequence[int]) -> None:
        if not len(keys):
            return
        with self.transaction(), self._conn() as conn:
            conn.execute("DELETE FROM duplicate_of WHERE article = ANY(%s::bigint[])", (_ints(keys),))

    def members(self, canonical: int) -> list[int]:
        rows = self._all(
            "SELECT d.article FROM duplicate_of d JOIN articles a ON a.key = d.article WHERE d.canonical = %s "
            "ORDER BY d.article <> d.canonical, a.published_ts IS NULL, a.published_ts, d.article", (int(canonical),))
        return [int(r[0]) for r in rows]

    def largest_clusters(self, limit: int | None = None) -> list[int]:
        rows = self._all(
            "SELECT d.canonical FROM duplicate_of d JOIN articles a ON a.key = d.canonical GROUP BY d.canonical, a.key "
            "ORDER BY count(*) DESC, a.published_ts IS NULL, a.published_ts DESC, d.canonical LIMIT %s",
            (None if limit is None else int(limit),))
        return [int(r[0]) for r in rows]

    # -- full-text search ------------------------------------------------------------------------
    def match_count(self, query: Query, mode: str) -> int:
        sql, params = _source(pgtext.match(query, mode), query)
        return int(self._one("SELECT count(*) " + sql, params))

    def match_keys(self, query: Query, mode: str) -> np.ndarray:
        sql, params = _source(pgtext.match(query, mode), query)
        return _keys(self._one("SELECT array_agg(s.article) " + sql, params))

    def title_matches(self, query: Query, limit: int) -> list[tuple[int, str]]:
        title = pgtext.title_match(query)
        if not title or limit <= 0:
            return []
        where, args = _filters(query, title=True)
        where.insert(0, "s.title_tsv @@ %s::tsquery")
        args.insert(0, title)
        excluded = pgtext.exclusions(query)
        if excluded:  # no excluded word anywhere (as FTS5's `{title_terms}: (...) NOT (...)`)
            where.append(_NOT_MATCHING)
            args.append(excluded)
        # the first `limit` by title length, then their titles: joined before the sort, every match's
        # title was read (1,786 for 会见 总统 at 100,000 articles)
        inner = "FROM search s JOIN articles a ON a.key = s.article" if _q_phrases(query) else "FROM search s"
        rows = self._all(
            f"SELECT p.article, t.title FROM (SELECT s.article, s.title_len {inner} WHERE " + " AND ".join(where)
            + " ORDER BY s.title_len, s.article DESC LIMIT %s) AS p JOIN articles t ON t.key = p.article "
            "ORDER BY p.title_len, p.article DESC", (*args, int(limit)))
        return [(int(k), str(t)) for k, t in rows]

    def ranked(self, query: Query, mode: str, skip: Sequence[int], limit: int) -> list[tuple[int, float]]:
        """Two passes: the matches ranked by term frequency over their title and lead (a small vector kept
        in the row; ts_rank, half the cost of cover density over thousands of matches), then the best
        RANK_POOL of those (at least four times `limit`) ranked again by cover density over the whole
        article. When no more than that many articles match, the order is exact."""
        match = pgtext.match(query, mode)
        ranking = pgtext.rank_query(query, mode)
        if not match or not ranking or limit <= 0:
            return []
        sql, params = _source(match, query)
        if len(skip):
            sql += " AND s.article <> ALL(%s::bigint[])"
            params.append(_ints(skip))
        rank = f"ts_rank_cd(%s::float4[], {{}}, %s::tsquery, {RANK_NORMALIZATION})"
        first = f"ts_rank(%s::float4[], s.lead_tsv, %s::tsquery, {RANK_NORMALIZATION})"
        rows = self._all(
            f"SELECT p.article, {rank.format('p.rank_tsv')} AS r FROM ("
            f"SELECT s.article, s.rank_tsv {sql} ORDER BY {first} DESC, s.article DESC "
            "LIMIT %s) AS p ORDER BY r DESC, p.article LIMIT %s",
            (RANK_WEIGHTS, ranking, *params, RANK_WEIGHTS, ranking, max(RANK_POOL, 4 * int(limit)), int(limit)))
        return [(int(k), float(r)) for k, r in rows]

    def newest(
        self, query: Query, mode: str | None, limit: int, offset: int, total: int | None = None
    ) -> list[int]:
        sql, params = _source(pgtext.match(query, mode) if mode else None, query)
        rows = self._all(f"SELECT s.article {sql} ORDER BY s.published_ts DESC NULLS LAST, s.article DESC "
                         "LIMIT %s OFFSET %s", (*params, int(limit), int(offset)))
        return [int(r[0]) for r in rows]


# -- connections ------------------------------------------------------------------------------
def _configure(conn: psycopg.Connection) -> None:
    """Settings of every pooled connection: a plan for each query's own words (a generic plan cannot tell
    a rare word from a common one), and no JIT compilation (it costs more than a search takes)."""
    conn.execute("SET plan_cache_mode = force_custom_plan")
    conn.execute("SET jit = off")


def _schema_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _connection_lost(exc: BaseException, conn: psycopg.Connection | None) -> bool:
    """The connection is gone (the server restarted or ended the session), not the statement refused:
    worth one more try on a fresh connection."""
    if isinstance(exc, _pool_errors()):  # no connection to be had: trying again only waits again
        return False
    if conn is not None and (conn.closed or getattr(conn, "broken", False)):
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, Exception) and (state is None or state.startswith(("08", "57P")))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _pool_errors() -> tuple[type[Exception], ...]:
    from psycopg_pool import PoolClosed, PoolTimeout

    return (PoolTimeout, PoolClosed)


def _store_errors() -> tuple[type[Exception], ...]:
    """Errors that are the store's trouble, not one record's: a lost or refused connection, a full disk,
    a lock not granted, missing rights, a read-only server."""
    import psycopg

    return (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction,
            *_pool_errors())


# -- SQL for a parsed query ---------------------------------------------------------------------
# excluded words: the index's matches, subtracted (a condition on s.tsv itself would read every
# candidate's vector)
_NOT_MATCHING = "s.article NOT IN (SELECT x.article FROM search x WHERE x.tsv @@ %s::tsquery)"
_PHRASE = "(strpos(lower(a.title COLLATE \"C\"), %s) > 0 OR strpos(lower(a.body COLLATE \"C\"), %s) > 0)"


def _q_phrases(q: Query) -> bool:
    """Whether the query's conditions read `articles a` (a phrase is looked for in the title and body)."""
    return bool(q.phrases or q.exclude_phrases)


def _filters(q: Query, *, title: bool = False) -> tuple[list[str], list[object]]:
    """Conditions on `search s` (and `articles a`, for phrases) for everything in the query that is not a
    word to look up."""
    where: list[str] = []
    args: list[object] = []
    for tag in q.tags:
        where.append("EXISTS (SELECT 1 FROM article_tags t WHERE t.article = s.article AND t.tag = %s)")
        args.append(_clean(tag))
    for tag in q.exclude_tags:
        where.append("NOT EXISTS (SELECT 1 FROM article_tags t WHERE t.article = s.article AND t.tag = %s)")
        args.append(_clean(tag))
    for column, wanted, unwanted in (("source", q.sources, q.exclude_sources),
                                     ("origin", q.origins, q.exclude_origins)):
        if wanted:  # any of them
            where.append(f"s.{column} = ANY(%s::text[])")
            args.append([_clean(v) for v in wanted])
        for value in unwanted:
            where.append(f"s.{column} IS DISTINCT FROM %s")
            args.append(_clean(value))
    if q.since:
        where.append("s.published_ts >= %s")
        args.append(q.since.timestamp())
    if q.until:
        where.append("s.published_ts < %s")
        args.append(q.until.timestamp())
    for phrase in q.phrases:
        where.append(_PHRASE)
        args.extend([_clean(phrase.text.lower())] * 2)
    for text in q.exclude_phrases:
        where.append("NOT " + _PHRASE)
        args.extend([_clean(text.lower())] * 2)
    if q.exclude_words and not q.has_text and not title:
        excluded = pgtext.exclusions(q)
        if excluded:
            where.append(_NOT_MATCHING)
            args.append(excluded)
    return where, args


def _source(match: str | None, q: Query) -> tuple[str, list[object]]:
    """FROM ... WHERE ... for the matching articles, as `search s` (joined to `articles a` for phrases)."""
    where, args = _filters(q)
    if match:
        where.insert(0, "s.tsv @@ %s::tsquery")
        args.insert(0, match)
    sql = "FROM search s"
    if _q_phrases(q):
        sql += " JOIN articles a ON a.key = s.article"
    if where:
        sql += " WHERE " + " AND ".join(where)
    else:
        sql += " WHERE true"
    return sql, args


# -- rows <-> records -----------------------------------------------------------------------------
_WRITTEN = ("url", "source", "category", "title", "body", "published", "published_ts", "tags", "snippet",
            "source_tags", "source_related", "extra", "read_from", "origin", "event_date", "provenance",
            "title_terms", "body_terms", "fingerprint",
            "content_hash", "tag_weights")
_TYPES = {"published_ts": "float8", "fingerprint": "bytea"}
_ARRAY_CASTS = ", ".join(f"%s::{_TYPES.get(c, 'text')}[]" for c in _WRITTEN)


def _row_values(w: ArticleWrite) -> tuple:
    """The values of _WRITTEN for one write."""
    a = w.article
    return (
        _clean(a.url),
        _clean(a.source),
        _clean(a.category),
        _clean(a.title) or "",
        _clean(a.body) or "",
        a.published.isoformat() if a.published else None,
        a.published.timestamp() if a.published else None,
        json.dumps(a.tags, ensure_ascii=False),
        _clean(a.snippet) or "",
        json.dumps(a.source_tags, ensure_ascii=False),
        json.dumps([r.__dict__ for r in a.source_related], ensure_ascii=False),
        json.dumps(a.extra, ensure_ascii=False, default=str),
        _clean(a.read_from),
        _clean(a.origin),
        a.event_date.isoformat() if a.event_date else None,
        _clean(json.dumps(a.provenance, ensure_ascii=False, default=str)),
        _clean(w.title_terms) or "",
        _clean(w.body_terms) or "",
        np.asarray(w.fingerprint).astype(np.uint64).tobytes(),
        w.content_hash,
        json.dumps(w.tag_weights, ensure_ascii=False),
    )


def _stored(row: tuple) -> StoredArticle:
    (key, id_, url, source, category, title, body, published, tags, snippet, source_tags, source_related, extra,
     read_from, origin, event_date, provenance) = row
    article = Article(
        id=id_,
        url=url,
        source=source,
        category=category,
        title=title,
        body=body,
        published=datetime.fromisoformat(published) if published else None,
        tags=json.loads(tags),
        snippet=snippet,
        source_tags=json.loads(source_tags),
        source_related=[RelatedRef(**r) for r in json.loads(source_related)],
        extra=json.loads(extra),
        read_from=read_from,
        origin=origin,
        event_date=date.fromisoformat(event_date) if event_date else None,
        provenance=json.loads(provenance or "{}"),
    )
    return StoredArticle(int(key), article)


def _version(row: tuple) -> ArticleVersion:
    (id_, version, title, body, url, source, category, published, source_tags, extra, chash, stored_at,
     replaced_at) = row
    article = Article(
        id=id_, url=url, source=source, category=category, title=title, body=body,
        published=datetime.fromisoformat(published) if published else None, source_tags=json.loads(source_tags),
        extra=json.loads(extra),
    )
    return ArticleVersion(int(version), article, chash, stored_at, replaced_at)


def _weights(text: str | None) -> dict[str, float]:
    try:
        got = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): float(v) for k, v in got.items()} if isinstance(got, dict) else {}


def _terms(row: tuple) -> TermsRow:
    return TermsRow(int(row[0]), row[1] or "", row[2] or "", _weights(row[3]), row[4] or "")


def _groups(rows: list[tuple]) -> list[tuple[str, np.ndarray]]:
    return [(value, _keys(keys)) for value, keys in rows if value]

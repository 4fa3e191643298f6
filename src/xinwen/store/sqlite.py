"""SQLite store: one file, WAL, schema version recorded and migrated, batches in one transaction."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from xinwen.analysis.pipeline import Analysis
from xinwen.article import Article, RelatedRef
from xinwen.errors import NotFound, StoreError
from xinwen.store.schema import MIGRATIONS, SCHEMA_VERSION

ARTICLE_COLUMNS = (
    "rowid, id, url, source, category, title, body, published, tags, snippet, "
    "source_tags, source_related, extra, origin"
)


@dataclass
class StoredArticle:
    """An article as stored: the record plus its row number in the database."""

    rowid: int
    article: Article


def content_hash(a: Article) -> str:
    """What makes a record 'the same' on a second ingest."""
    key = json.dumps(
        [a.title, a.body, a.published.isoformat() if a.published else None, a.url, a.source, a.category,
         a.source_tags, [r.title for r in a.source_related], a.extra],
        ensure_ascii=False, sort_keys=True, default=str,
    )
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


class SQLiteStore:
    """The articles of one collection in one SQLite file."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        if readonly and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError("no database here; run `xinwen ingest PATH` first", file=self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database: {exc}", file=self.path) from exc
        self.conn.row_factory = sqlite3.Row
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a usable xinwen database: {exc}", file=self.path) from exc

    # -- schema ----------------------------------------------------------
    def schema_version(self) -> int:
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if not has_meta:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database schema version {version} is newer than this xinwen ({SCHEMA_VERSION}); upgrade xinwen",
                file=self.path,
            )
        for number in range(version, SCHEMA_VERSION):
            try:
                self.conn.execute("BEGIN")
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(number + 1),)
                )
                self.conn.commit()
            except sqlite3.OperationalError as exc:
                self.conn.rollback()
                if "readonly" not in str(exc):
                    raise
                raise StoreError(
                    f"database schema version {version} is older than this xinwen ({SCHEMA_VERSION}) and the file "
                    "cannot be written here to upgrade it; open it once where it can be written (for example "
                    "`xinwen fit --db PATH`), or use the xinwen that wrote it",
                    file=self.path,
                ) from exc
            except BaseException:
                self.conn.rollback()
                raise

    def retag_needed(self) -> bool:
        """Articles were stored by an older xinwen without what a retag computes (tag weights)."""
        return self.conn.execute("SELECT 1 FROM meta WHERE key='retag_needed'").fetchone() is not None

    def retagged(self) -> None:
        """Every article has been retagged (`Collection.retag`)."""
        with self.conn:
            self.conn.execute("DELETE FROM meta WHERE key='retag_needed'")

    def close(self) -> None:
        self.conn.close()

    # -- writing ---------------------------------------------------------
    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """content_hash of those ids already stored."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT id, content_hash FROM articles WHERE id IN ({marks})", chunk):
                out[row[0]] = row[1]
        return out

    def upsert_batch(
        self,
        items: Sequence[tuple[Article, Analysis, str]],
        on_stored: Callable[[list[tuple[int, Article, Analysis, bool]]], None] | None = None,
    ) -> tuple[int, int]:
        """Insert or replace a batch in one transaction; returns (added, updated).

        `on_stored` gets [(rowid, article, analysis, is_new), ...] inside the same transaction
        (the near-duplicate check uses it, so a batch and its copy links commit together)."""
        added = updated = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        stored: list[tuple[int, Article, Analysis, bool]] = []
        with self.conn:
            for article, analysis, chash in items:
                row = self.conn.execute("SELECT rowid FROM articles WHERE id=?", (article.id,)).fetchone()
                values = _row_values(article, analysis, chash, now)
                if row is None:
                    cur = self.conn.execute(
                        "INSERT INTO articles (id, url, source, category, title, body, published, published_ts, "
                        "tags, snippet, source_tags, source_related, extra, origin, title_terms, body_terms, "
                        "fingerprint, content_hash, ingested_at, tag_weights) VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (article.id, *values),
                    )
                    rowid = cur.lastrowid
                    added += 1
                else:
                    rowid = row[0]
                    self.conn.execute(
                        "UPDATE articles SET url=?, source=?, category=?, title=?, body=?, published=?, "
                        "published_ts=?, tags=?, snippet=?, source_tags=?, source_related=?, extra=?, origin=?, "
                        "title_terms=?, body_terms=?, fingerprint=?, content_hash=?, ingested_at=?, tag_weights=? "
                        "WHERE rowid=?",
                        (*values, rowid),
                    )
                    updated += 1
                self._write_tags(rowid, article.tags)
                stored.append((int(rowid or 0), article, analysis, row is None))
            if on_stored is not None:
                on_stored(stored)
        return added, updated

    def _write_tags(self, rowid: int | None, tags: Sequence[str]) -> None:
        self.conn.execute("DELETE FROM article_tags WHERE article=?", (rowid,))
        self.conn.executemany(
            "INSERT INTO article_tags (article, rank, tag) VALUES (?, ?, ?)",
            [(rowid, i, t) for i, t in enumerate(tags)],
        )

    def set_tags(self, updates: Sequence[tuple]) -> None:
        """Replace computed tags and snippets (after a refit): (rowid, tags, snippet), or
        (rowid, tags, snippet, tag weights) to replace the weights too."""
        with self.conn:
            for rowid, tags, snippet, *weights in updates:
                self.conn.execute(
                    "UPDATE articles SET tags=?, snippet=?, tag_weights=coalesce(?, tag_weights) WHERE rowid=?",
                    (json.dumps(tags, ensure_ascii=False), snippet,
                     json.dumps(weights[0], ensure_ascii=False) if weights else None, rowid),
                )
                self._write_tags(rowid, tags)

    # -- reading ---------------------------------------------------------
    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, article_id: str) -> StoredArticle:
        row = self.conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id=?", (article_id,)).fetchone()
        if row is None:
            raise NotFound(f"no article with id {article_id!r}")
        return row_to_stored(row)

    def get_many(self, rowids: Sequence[int]) -> dict[int, StoredArticle]:
        out: dict[int, StoredArticle] = {}
        for i in range(0, len(rowids), 500):
            chunk = list(rowids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE rowid IN ({marks})", chunk):
                out[row["rowid"]] = row_to_stored(row)
        return out

    def list_articles(
        self,
        *,
        tag: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[StoredArticle]:
        where, args = [], []
        if tag:
            where.append("rowid IN (SELECT article FROM article_tags WHERE tag=?)")
            args.append(tag)
        if since:
            where.append("published_ts >= ?")
            args.append(since.timestamp())
        if until:
            where.append("published_ts < ?")
            args.append(until.timestamp())
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # NULLs sort lowest in SQLite, so DESC puts undated articles last and the date index serves the order
        sql += " ORDER BY published_ts DESC, rowid DESC LIMIT ? OFFSET ?"
        return [row_to_stored(r) for r in self.conn.execute(sql, (*args, limit, offset))]

    def iter_all(self, columns: str = ARTICLE_COLUMNS, batch: int = 2000) -> Iterator[sqlite3.Row]:
        """All rows in rowid order, read in batches (for fitting and exports)."""
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT {columns} FROM articles WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1]["rowid"]

    def fingerprints(self) -> Iterator[tuple[int, np.ndarray]]:
        for row in self.iter_all("rowid, fingerprint"):
            if row["fingerprint"] is not None:
                yield row["rowid"], np.frombuffer(row["fingerprint"], dtype=np.uint64)


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


def _row_values(article: Article, analysis: Analysis, chash: str, now: str) -> tuple:
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
        article.origin,
        analysis.title_terms,
        analysis.body_terms,
        analysis.fingerprint.astype(np.uint64).tobytes(),
        chash,
        now,
        json.dumps(analysis.tag_weights, ensure_ascii=False),
    )


def row_to_stored(row: sqlite3.Row) -> StoredArticle:
    published = datetime.fromisoformat(row["published"]) if row["published"] else None
    article = Article(
        id=row["id"],
        url=row["url"],
        source=row["source"],
        category=row["category"],
        title=row["title"],
        body=row["body"],
        published=published,
        tags=json.loads(row["tags"]),
        snippet=row["snippet"],
        source_tags=json.loads(row["source_tags"]),
        source_related=[RelatedRef(**r) for r in json.loads(row["source_related"])],
        extra=json.loads(row["extra"]),
        origin=row["origin"],
    )
    return StoredArticle(row["rowid"], article)

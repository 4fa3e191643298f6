"""Per-article values held in memory (what a search engine calls doc values): source, section
(category), publication time, month and tags of every article as numpy arrays indexed by rowid. Search facets and tag trends
are counted from them with a gather and a bincount.

Counting in SQL means a row lookup per article, and the publication time sits behind the body, on
overflow pages: tens of milliseconds for ten thousand search matches, seconds for trends over
100,000 articles. The arrays are read once from covering indexes (0.3 s for 100,000 articles) and
read again when the database has changed (another connection committed, or this one wrote).

Days, weeks and months are counted in China Standard Time (UTC+8), the zone dates without one are
read in, and the zone of the from:/to: filters.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterable, Sequence

import numpy as np

from xinwen.errors import StoreError
from xinwen.store.sqlite import SQLiteStore

FACET_SIZE = 20
TZ_OFFSET = 8 * 3600  # China Standard Time


class DocValues:
    """Each article's source, section, publication time, month and tags, indexed by rowid (codes: -1 for none)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.version = _version(conn)
        size = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM articles").fetchone()[0]) + 1
        # read from covering indexes, rowids joined into one string per value (a Python row per article
        # would cost ~1.5 us each; the table's rows hold the body and would be read whole)
        self.sources, self.source_of = _grouped(conn.execute(
            "SELECT source, group_concat(rowid) FROM articles INDEXED BY articles_source "
            "WHERE source IS NOT NULL GROUP BY source"), size)
        self.categories, self.category_of = _grouped(conn.execute(
            "SELECT category, group_concat(rowid) FROM articles INDEXED BY articles_category "
            "WHERE category IS NOT NULL GROUP BY category"), size)
        rowids, stamps = conn.execute(
            "SELECT group_concat(rowid), group_concat(published_ts) FROM articles INDEXED BY articles_published "
            "WHERE published_ts IS NOT NULL").fetchone()
        rowids, stamps = joined_ints(rowids), _floats(stamps)
        keep = (rowids >= 0) & (rowids < size)
        self.ts_of = np.full(size, np.nan)
        self.ts_of[rowids[keep]] = stamps[keep]
        self.months, self.month_of = _months(rowids[keep], stamps[keep], size)
        self.tags, (articles, codes) = _pairs(conn.execute(
            "SELECT tag, group_concat(article) FROM article_tags INDEXED BY article_tags_tag GROUP BY tag"), size)
        order = np.argsort(articles, kind="stable")
        articles, codes = articles[order], codes[order]
        # the column of each tag in its article's row: its position among that article's tags
        column = np.arange(len(articles)) - np.searchsorted(articles, articles, side="left")
        self.tags_of = np.full((size, int(column.max()) + 1 if len(column) else 1), -1, dtype=np.int32)
        self.tags_of[articles, column] = codes

    def count(self, rowids: Sequence[int], k: int = FACET_SIZE) -> dict[str, list[tuple[str, int]]]:
        """Facets of these articles: the k commonest tags and sources, and every month (newest first)."""
        ids = np.asarray(rowids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self.source_of))]
        return {
            "tags": _top(self.tags, self.tags_of[ids].ravel(), k),
            "sources": _top(self.sources, self.source_of[ids], k),
            "months": sorted(_top(self.months, self.month_of[ids], len(self.months)), reverse=True),
        }


_cache: weakref.WeakKeyDictionary[SQLiteStore, DocValues] = weakref.WeakKeyDictionary()


def doc_values(store: SQLiteStore) -> DocValues:
    """The store's doc values, read again when the database has changed since."""
    try:
        values = _cache.get(store)
        if values is None or values.version != _version(store.conn):
            values = DocValues(store.conn)
            _cache[store] = values
    except sqlite3.Error as exc:  # a locked or damaged database
        raise StoreError(f"cannot read facet values: {exc}", file=store.path) from exc
    return values


def _version(conn: sqlite3.Connection) -> tuple[int, int]:
    return int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes


def joined_ints(joined: str | None) -> np.ndarray:
    """SQLite's group_concat of integers as an array (one string read instead of a Python row each)."""
    return np.array(joined.split(","), dtype=np.int64) if joined else np.zeros(0, dtype=np.int64)


def _floats(joined: str | None) -> np.ndarray:
    return np.array(joined.split(","), dtype=np.float64) if joined else np.zeros(0, dtype=np.float64)


def _pairs(rows: Iterable[tuple[str, str]], size: int) -> tuple[list[str], tuple[np.ndarray, np.ndarray]]:
    """(value, "rowid,rowid,...") rows -> sorted values, and (rowids, value codes) arrays."""
    groups = sorted((v, joined_ints(ids)) for v, ids in rows if v)
    names = [v for v, _ in groups]
    if not groups:
        return names, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
    rowids = np.concatenate([ids for _, ids in groups])
    codes = np.repeat(np.arange(len(groups), dtype=np.int32), [len(ids) for _, ids in groups])
    keep = (rowids >= 0) & (rowids < size)
    return names, (rowids[keep], codes[keep])


def _grouped(rows: Iterable[tuple[str, str]], size: int) -> tuple[list[str], np.ndarray]:
    """One value per article: a code per rowid, -1 where none."""
    names, (rowids, codes) = _pairs(rows, size)
    of = np.full(size, -1, dtype=np.int32)
    of[rowids] = codes
    return names, of


def _months(rowids: np.ndarray, stamps: np.ndarray, size: int) -> tuple[list[str], np.ndarray]:
    """Month codes of publication times, in China Standard Time like the from:/to: filters."""
    of = np.full(size, -1, dtype=np.int32)
    if not len(rowids):
        return [], of
    months = (stamps + TZ_OFFSET).astype("int64").astype("datetime64[s]").astype("datetime64[M]")
    unique, codes = np.unique(months, return_inverse=True)
    of[rowids] = codes
    return [str(m) for m in unique], of


def _top(names: list[str], codes: np.ndarray, k: int) -> list[tuple[str, int]]:
    codes = codes[codes >= 0]
    if not len(codes) or k <= 0:
        return []
    counts = np.bincount(codes, minlength=len(names))
    nonzero = np.flatnonzero(counts)
    order = nonzero[np.lexsort((nonzero, -counts[nonzero]))][:k]  # most first, ties by name (names sorted)
    return [(names[i], int(counts[i])) for i in order]

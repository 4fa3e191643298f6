"""Per-article values held in memory (what a search engine calls doc values): source, section
(category), publication time, month and tags of every article as numpy arrays indexed by the article's
key. Search facets, tag trends and the related-article signals are counted from them with a gather and a
bincount.

Counting in the database means a row lookup per article: tens of milliseconds for ten thousand
search matches, seconds for trends over 100,000 articles. The store hands the columns over grouped
by value (store.doc_columns(); 0.3 s for 100,000 articles in SQLite), and `DocValuesCache` reads them
again when the store's change token moves.

Days, weeks and months are counted in China Standard Time (UTC+8), the zone dates without one are
read in, and the zone of the from:/to: filters.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from xinwen.store.base import DocColumns, Store

FACET_SIZE = 20
TZ_OFFSET = 8 * 3600  # China Standard Time


class DocValues:
    """Each article's source, section, publication time, month and tags, indexed by key (codes: -1 for none)."""

    def __init__(self, columns: DocColumns, token: int = 0) -> None:
        self.token = token
        size = columns.size
        self.sources, self.source_of = _grouped(columns.sources, size)
        self.categories, self.category_of = _grouped(columns.categories, size)
        self.origins, self.origin_of = _grouped(columns.origins, size)
        keys, stamps = columns.published_keys, columns.published_ts
        keep = (keys >= 0) & (keys < size)
        self.ts_of = np.full(size, np.nan)
        self.ts_of[keys[keep]] = stamps[keep]
        self.months, self.month_of = _months(keys[keep], stamps[keep], size)
        self.tags, (articles, codes) = _pairs(columns.tags, size)
        order = np.argsort(articles, kind="stable")
        articles, codes = articles[order], codes[order]
        # the column of each tag in its article's row: its position among that article's tags
        column = np.arange(len(articles)) - np.searchsorted(articles, articles, side="left")
        self.tags_of = np.full((size, int(column.max()) + 1 if len(column) else 1), -1, dtype=np.int32)
        self.tags_of[articles, column] = codes
        self._tag_code: dict[str, int] | None = None

    def tag_code(self, tag: str) -> int:
        """The code of a tag (-2 when no article has it)."""
        if self._tag_code is None:
            self._tag_code = {t: i for i, t in enumerate(self.tags)}
        return self._tag_code.get(tag, -2)

    def count(self, keys: Sequence[int], k: int = FACET_SIZE) -> dict[str, list[tuple[str, int]]]:
        """Facets of these articles: the k commonest tags, sources and origins (the outlets stories are
        credited to), and every month (newest first)."""
        ids = np.asarray(keys, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self.source_of))]
        return {
            "tags": _top(self.tags, self.tags_of[ids].ravel(), k),
            "sources": _top(self.sources, self.source_of[ids], k),
            "origins": _top(self.origins, self.origin_of[ids], k),
            "months": sorted(_top(self.months, self.month_of[ids], len(self.months)), reverse=True),
        }


class DocValuesCache:
    """A store's doc values, read again when its change token has moved."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._values: DocValues | None = None
        self._lock = threading.Lock()

    def get(self) -> DocValues:
        token = self.store.change_token()
        values = self._values
        if values is not None and values.token == token:
            return values
        with self._lock:
            values = self._values
            if values is None or values.token != token:
                values = self._values = DocValues(self.store.doc_columns(), token)
        return values


def _pairs(groups: list[tuple[str, np.ndarray]], size: int) -> tuple[list[str], tuple[np.ndarray, np.ndarray]]:
    """(value, keys) groups -> sorted values, and (keys, value codes) arrays."""
    groups = sorted((v, keys) for v, keys in groups if v)
    names = [v for v, _ in groups]
    if not groups:
        return names, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
    keys = np.concatenate([k for _, k in groups])
    codes = np.repeat(np.arange(len(groups), dtype=np.int32), [len(k) for _, k in groups])
    keep = (keys >= 0) & (keys < size)
    return names, (keys[keep], codes[keep])


def _grouped(groups: list[tuple[str, np.ndarray]], size: int) -> tuple[list[str], np.ndarray]:
    """One value per article: a code per key, -1 where none."""
    names, (keys, codes) = _pairs(groups, size)
    of = np.full(size, -1, dtype=np.int32)
    of[keys] = codes
    return names, of


def _months(keys: np.ndarray, stamps: np.ndarray, size: int) -> tuple[list[str], np.ndarray]:
    """Month codes of publication times, in China Standard Time like the from:/to: filters."""
    of = np.full(size, -1, dtype=np.int32)
    if not len(keys):
        return [], of
    months = (stamps + TZ_OFFSET).astype("int64").astype("datetime64[s]").astype("datetime64[M]")
    unique, codes = np.unique(months, return_inverse=True)
    of[keys] = codes
    return [str(m) for m in unique], of


def _top(names: list[str], codes: np.ndarray, k: int) -> list[tuple[str, int]]:
    codes = codes[codes >= 0]
    if not len(codes) or k <= 0:
        return []
    counts = np.bincount(codes, minlength=len(names))
    nonzero = np.flatnonzero(counts)
    order = nonzero[np.lexsort((nonzero, -counts[nonzero]))][:k]  # most first, ties by name (names sorted)
    return [(names[i], int(counts[i])) for i in order]

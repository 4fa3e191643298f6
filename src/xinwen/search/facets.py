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

import io
import json
import threading
import zipfile
from collections.abc import Sequence
from typing import IO

import numpy as np

from xinwen import staleness
from xinwen.errors import StoreError
from xinwen.store.base import DocColumns, Store

FACET_SIZE = 20
TZ_OFFSET = 8 * 3600  # China Standard Time
STATE = "docvalues.npz"  # the doc values a writer saved: a process's first read takes them up from there
SAVED = "docvalues_saved"  # meta: the rewrite token and article count of the snapshot saved last
SNAPSHOT_VERSION = 1
SNAPSHOT_MIN = 20_000  # articles below which reading them all costs about what loading a snapshot does
_ARRAYS = ("source_of", "category_of", "origin_of", "ts_of", "month_of", "tags_of")
_NAMES = ("sources", "categories", "origins", "months", "tags")


class DocValues:
    """Each article's source, section, publication time, month and tags, indexed by key (codes: -1 for none)."""

    def __init__(self, columns: DocColumns, token: int = 0, rewritten: int = 0) -> None:
        self.token = token
        self.rewritten = rewritten  # the store's rewrite token when these were read
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

    @property
    def size(self) -> int:
        """One more than the largest key held."""
        return len(self.source_of)

    def extended(self, delta: DocColumns, token: int, rewritten: int) -> DocValues:
        """These values with the articles of `delta` added (store.doc_columns(after=self.size - 1): keys
        above every key here), as a new object: readers of this one are not disturbed. Equal to what a full
        read of the store would give; costs a copy of the arrays, not a read of every article."""
        new = object.__new__(DocValues)
        new.token, new.rewritten = token, rewritten
        size = max(delta.size, self.size)
        new.sources, new.source_of = _merge(self.sources, self.source_of, delta.sources, size)
        new.categories, new.category_of = _merge(self.categories, self.category_of, delta.categories, size)
        new.origins, new.origin_of = _merge(self.origins, self.origin_of, delta.origins, size)
        keys, stamps = delta.published_keys, delta.published_ts
        keep = (keys >= self.size) & (keys < size)
        keys, stamps = keys[keep], stamps[keep]
        new.ts_of = _padded(self.ts_of, size, np.nan)
        new.ts_of[keys] = stamps
        months = _month_names(stamps)
        by_month: dict[str, list[int]] = {}
        for k, m in zip(keys.tolist(), months, strict=True):
            by_month.setdefault(m, []).append(k)
        new.months, new.month_of = _merge(self.months, self.month_of, [(m, np.array(k)) for m, k in by_month.items()],
                                          size)
        new.tags, remap = _merged_names(self.tags, [t for t, _ in delta.tags])
        old = remap[self.tags_of] if remap is not None else self.tags_of
        code = {t: i for i, t in enumerate(new.tags)} if remap is not None else self._codes()
        pairs = sorted((int(k), code[t]) for t, ks in delta.tags for k in ks.tolist() if self.size <= k < size)
        width = old.shape[1]
        rows: dict[int, list[int]] = {}
        for k, c in pairs:
            rows.setdefault(k, []).append(c)
        width = max([width, *(len(r) for r in rows.values())])
        new.tags_of = np.full((size, width), -1, dtype=np.int32)
        new.tags_of[: len(old), : old.shape[1]] = old
        for k, r in rows.items():
            new.tags_of[k, : len(r)] = r
        new._tag_code = code if remap is not None else self._tag_code
        return new

    def save(self, fh: IO[bytes], count: int) -> None:
        """Write these values (numpy's .npz, no pickles) for a store of `count` articles, all covered."""
        meta = {"version": SNAPSHOT_VERSION, "rewritten": self.rewritten, "count": count,
                **{name: getattr(self, name) for name in _NAMES}}
        np.savez(fh, meta=np.array(json.dumps(meta, ensure_ascii=False)),
                 **{name: getattr(self, name) for name in _ARRAYS})

    @classmethod
    def load(cls, data: bytes) -> tuple[DocValues, int]:
        """Values saved by `save`, and the count of articles they were saved for (ValueError when the
        data is not such values)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                if meta.get("version") != SNAPSHOT_VERSION:
                    raise ValueError(f"doc values of version {meta.get('version')}")
                new = object.__new__(cls)
                new.token, new.rewritten, new._tag_code = 0, int(meta["rewritten"]), None
                for name in _NAMES:
                    setattr(new, name, list(meta[name]))
                for name in _ARRAYS:
                    setattr(new, name, f[name])
        except (OSError, KeyError, TypeError, zipfile.BadZipFile) as exc:
            raise ValueError(f"unreadable doc values: {exc}") from exc
        sizes = {len(getattr(new, name)) for name in _ARRAYS}
        if len(sizes) != 1:
            raise ValueError("doc values of different lengths")
        return new, int(meta["count"])

    def _codes(self) -> dict[str, int]:
        if self._tag_code is None:
            self._tag_code = {t: i for i, t in enumerate(self.tags)}
        return self._tag_code

    def tag_code(self, tag: str) -> int:
        """The code of a tag (-2 when no article has it)."""
        return self._codes().get(tag, -2)

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
    """A store's doc values, brought up to date when its change token has moved: by reading only the
    articles added since, when none stored before has changed (the store's rewrite token stands still:
    the usual case while an ingest or a crawler adds news), else by reading them all again."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._values: DocValues | None = None
        self._lock = threading.Lock()
        self.wait = True  # False: while another thread refreshes them, the values as they were (staleness)
        self.full_reads = 0  # reads of every article's values (the rest took up a snapshot or what was added)

    def get(self) -> DocValues:
        token = self.store.change_token()
        values = self._values
        if values is not None and values.token == token:
            return values
        with staleness.refreshing(self._lock, wait=self.wait or values is None) as held:
            if not held:
                return values  # type: ignore[return-value]  # (only when there are values)
            values = self._values
            if values is None or values.token != token:
                # the rewrite token first, then the change token, then the values: a write that lands in
                # between moves the change token again, and the next call looks once more
                rewritten = self.store.rewrite_token()
                token = self.store.change_token()
                if values is None:
                    values = self._snapshot(rewritten)
                if values is not None and values.rewritten == rewritten:
                    values = values.extended(self.store.doc_columns(after=values.size - 1), token, rewritten)
                else:
                    values = DocValues(self.store.doc_columns(), token, rewritten)
                    self.full_reads += 1
                self._values = values
        return values

    def _snapshot(self, rewritten: int) -> DocValues | None:
        """The values a writer saved, when no article stored before has changed since (the rewrite token
        stands where it stood then) and they cover every article the store holds but those added since;
        else None (the store's values are read whole)."""
        data = self.store.read_state(STATE)
        if data is None:
            return None
        try:
            values, count = DocValues.load(data)
        except ValueError:
            return None
        if values.rewritten != rewritten or self.store.count() != count + self.store.count(after=values.size - 1):
            return None  # changed since, or saved beside another database (a restored backup)
        return values

    def save(self) -> bool:
        """Save the store's values, up to date, for the next process to take up (a collection of
        SNAPSHOT_MIN articles or more), unless the one saved last still holds and lacks less than a tenth
        (readers add what it lacks: a crawler's or the write API's every few articles rewrite nothing);
        False when nothing was saved."""
        # the count first: were articles added before the values are read, the snapshot covers more than
        # it says, and the next process, finding the sum wrong, reads them all (never the other way round)
        count = self.store.count()
        if count < SNAPSHOT_MIN:
            return False
        saved = (self.store.get_meta(SAVED) or "").split()
        if (len(saved) == 2 and int(saved[0]) == self.store.rewrite_token()
                and count - int(saved[1]) < max(SNAPSHOT_MIN, int(saved[1]) // 10)):
            return False
        values = self.get()
        try:
            with self.store.write_state(STATE) as fh:
                values.save(fh, count)
            self.store.set_meta(SAVED, f"{values.rewritten} {count}")
        except StoreError:
            return False
        return True


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


def _padded(values: np.ndarray, size: int, fill: float | int) -> np.ndarray:
    """A copy of `values`, grown to `size` with `fill`."""
    out = np.full(size, fill, dtype=values.dtype)
    out[: len(values)] = values
    return out


def _merged_names(names: list[str], more: list[str]) -> tuple[list[str], np.ndarray | None]:
    """The sorted names with `more` added, and the old codes -> new codes (indexed by old code; code -1
    maps to -1 through the last entry); None when nothing was added."""
    known = set(names)
    extra = sorted({m for m in more if m and m not in known})
    if not extra:
        return names, None
    merged = sorted(names + extra)
    index = {n: i for i, n in enumerate(merged)}
    return merged, np.array([index[n] for n in names] + [-1], dtype=np.int32)


def _merge(names: list[str], of: np.ndarray, groups: list[tuple[str, np.ndarray]], size: int
           ) -> tuple[list[str], np.ndarray]:
    """One value per article (as _grouped gives), with the values of new articles (`groups`) added."""
    merged, remap = _merged_names(names, [v for v, _ in groups])
    out = _padded(remap[of] if remap is not None else of, size, -1)
    index = {n: i for i, n in enumerate(merged)} if groups else {}
    for value, keys in groups:
        if value:
            keys = keys[(keys >= len(of)) & (keys < size)]
            out[keys] = index[value]
    return merged, out


def _month_names(stamps: np.ndarray) -> list[str]:
    """'YYYY-MM' of publication times, in China Standard Time."""
    months = (stamps + TZ_OFFSET).astype("int64").astype("datetime64[s]").astype("datetime64[M]")
    return [str(m) for m in months]


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

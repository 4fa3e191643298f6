"""The related-article vectors of one store: loaded from its fitted state ("related.npz"), or fitted on
every stored article when there is none, and brought up to date with the store when its change token
moves (articles stored or changed since are transformed with the fitted vocabulary, deleted ones
dropped; the state is saved again once SAVE_AFTER articles were added that way)."""

from __future__ import annotations

import copy
import secrets
import threading

import numpy as np

from xinwen import staleness
from xinwen.errors import StoreError
from xinwen.linking.vectors import SAVE_AFTER, ArticleVectors
from xinwen.store.base import Store

STATE = "related.npz"
FITTED = "related_fitted"  # meta: names the fit saved last, so that other processes load it


class RelatedModel:
    """A store's article vectors, kept in step with it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._vectors: ArticleVectors | None = None
        self._token: int | None = None
        self._rewritten: int | None = None  # the store's rewrite token at the last sync
        self._fitted: str | None = None  # which fit the vectors are (the store's FITTED value when loaded)
        self._lock = threading.RLock()
        self.wait = True  # False: while another thread syncs them, the vectors as they were (staleness)

    def fit(self) -> ArticleVectors:
        """Fit the vectors on every stored article and save them as the store's fitted state."""
        with self._lock:
            token = self.store.change_token()
            rewritten = self.store.rewrite_token()  # (before the articles are read: a rewrite meanwhile is seen)
            latest = [""]

            def rows():  # type: ignore[no-untyped-def]  # read twice: the fit holds no article's text
                for row in self.store.iter_terms():
                    latest[0] = max(latest[0], row.stamp)
                    yield row.key, (row.title_terms, row.body_terms), row.tag_weights

            vectors = ArticleVectors.fit_stream(rows, total=self.store.count())
            vectors.synced_at = latest[0]
            vectors.rewritten = self._rewritten = rewritten
            if self._save(vectors):
                # every other process holding vectors loads these at its next sync (see current)
                self._fitted = secrets.token_hex(8)
                try:
                    self.store.set_meta(FITTED, self._fitted)
                except StoreError:
                    pass
            self._vectors, self._token = vectors, token
            return vectors

    def current(self) -> ArticleVectors:
        """The fitted vectors (loaded, or fitted when there are none), up to date with the store."""
        token = self.store.change_token()
        vectors = self._vectors
        if vectors is not None and token == self._token:
            return vectors
        with staleness.refreshing(self._lock, wait=self.wait or vectors is None) as held:
            if not held:
                return vectors  # type: ignore[return-value]  # (only when there are vectors)
            # which fit the store saved last (read before the file: a fit saving meanwhile is seen next time)
            fitted = self.store.get_meta(FITTED) if self._vectors is None or self._token != token else self._fitted
            if self._vectors is not None and fitted != self._fitted:
                self._vectors = None  # fitted again by another process (`xinwen fit`): load those
            if self._vectors is None:
                saved = self._load()
                if saved is None:
                    return self.fit()
                self._vectors, self._fitted = saved, fitted
                self._rewritten = saved.rewritten  # what was synced with the store when they were saved
            if self._token != token:
                self._sync(self._vectors)  # (replaces self._vectors when anything changed)
                self._token = token
            return self._vectors

    def _load(self) -> ArticleVectors | None:
        """The saved vectors, or None when there are none or they are of another version or unreadable:
        they are made from the stored articles alone, so they are fitted again (and saved over)."""
        data = self.store.map_state(STATE)  # (mapped where the store can: only what queries touch is read)
        if data is None:
            return None
        try:
            return ArticleVectors.load(data, where=f"{self.store.location} ({STATE})")
        except StoreError:
            return None

    def _save(self, vectors: ArticleVectors) -> bool:
        try:
            with self.store.write_state(STATE) as fh:
                vectors.save(fh)
        except StoreError:
            return False  # a read-only place: the vectors are made in memory next time too
        return True

    def _appended(self, v: ArticleVectors) -> list[int] | None:
        """The articles written since the vectors were synced, when nothing stored before has changed or
        gone since (the store's rewrite token stood still: only new articles were added, an ingest's
        commits) and they are all there is (a writer that took its time stamp before another's and
        committed after it is missed by the stamp: then None, and `_sync` compares every stored key)."""
        if not v.synced_at:
            return None
        written = np.unique(self.store.keys_written_since(v.synced_at))
        at = np.searchsorted(v.keys, written)  # (the keys are sorted: no hashing of all 100,000 of them)
        held = at < len(v.keys)
        held[held] = v.keys[at[held]] == written[held]
        new = written[~held]
        if len(v) + len(new) != self.store.count():
            return None
        return sorted(new.tolist())

    def _sync(self, v: ArticleVectors) -> None:
        """Vectors for articles stored or changed since the fit; drop those deleted."""
        rewritten = self.store.rewrite_token()  # first: a rewrite landing meanwhile is seen next time
        todo = self._appended(v) if rewritten == self._rewritten else None
        if todo is not None:
            keep = np.ones(len(v), dtype=bool)
        else:
            stored = self.store.keys()
            changed = self.store.keys_written_since(v.synced_at) if v.synced_at else np.zeros(0, dtype=np.int64)
            keep = np.isin(v.keys, stored) & ~np.isin(v.keys, changed)
            todo = sorted(set(np.setdiff1d(stored, v.keys[keep]).tolist()))
        self._rewritten = rewritten
        if not todo and keep.all():
            return
        rows = self.store.terms_of(todo)
        todo = [k for k in todo if k in rows]  # deleted meanwhile
        docs = [(rows[k].title_terms, rows[k].body_terms) for k in todo]
        weights = [rows[k].tag_weights for k in todo]
        latest = max([v.synced_at, *(rows[k].stamp for k in todo)])
        # updated as a copy, swapped in whole: a request ranking meanwhile keeps the vectors it started with
        new = copy.copy(v)
        new.update(keep, todo, docs, weights)
        new.synced_at = latest
        new.rewritten = rewritten
        self._vectors = new
        if len(todo) >= SAVE_AFTER and not getattr(self.store, "readonly", False):
            self._save(new)  # (a reader, such as each of a server's workers, leaves the file to the writers)

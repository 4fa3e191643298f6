"""Clusters of copies of one story, found at ingest time.

Each stored article whose body is long enough takes part (table copy_index); its MinHash
signature is the article's fingerprint (xinwen.analysis.fingerprint). When a batch is
stored, every new or changed article is looked up in an LSH index over those signatures,
candidates whose signatures agree on at least MIN_SIGNATURE_SIMILARITY of their values are
checked on the text (xinwen.copycheck), and the article joins the clusters of the copies it
has. A cluster's canonical article is the earliest published; on a tie (or no date), the
longest body; then the first stored. It is recomputed whenever a member joins or leaves,
so an earlier printing that arrives later becomes the canonical one.

The LSH index lives in memory: it is built from the stored signatures the first time a
process needs it (about a second for 100,000 articles) and picks up what other processes
stored since. Table duplicate_of holds each member's canonical article and persists.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from xinwen.analysis.fingerprint import (
    BANDS,
    FINGERPRINT_VERSION,
    NUM_PERM,
    band_keys,
    band_keys_many,
    fingerprint,
    is_empty,
)
from xinwen.article import Article
from xinwen.copycheck import Text, compare, eligible
from xinwen.store.sqlite import ARTICLE_COLUMNS, SQLiteStore, row_to_stored

if TYPE_CHECKING:
    from xinwen.analysis.pipeline import Analysis

INDEX_VERSION = 1  # bump to recluster every stored article on next use
MIN_SIGNATURE_SIMILARITY = 0.2
MAX_CHECKS = 30  # text checks per new article, most similar signatures first
MAX_BUCKET = 200  # articles read from one LSH bucket (boilerplate shares buckets)
TEXT_CACHE = 4096  # stored bodies kept prepared for the text check
_PREFIX = 20
_SHIFT = np.uint64(64 - _PREFIX)


@dataclass
class Cluster:
    """Copies of one story: the canonical printing and the others."""

    canonical: Article
    copies: list[Article]


class MinHashIndex:
    """LSH over MinHash signatures: sorted band keys, plus a small dict of recent additions."""

    def __init__(self) -> None:
        self.rowids: list[int] = []
        self.position: dict[int, int] = {}
        self.sigs = np.empty((0, NUM_PERM), dtype=np.uint32)
        self.alive = np.empty(0, dtype=bool)
        self.keys = np.empty(0, dtype=np.uint64)  # sorted
        self.key_pos = np.empty(0, dtype=np.int64)  # position of each key's article
        self.starts = np.zeros((1 << _PREFIX) + 1, dtype=np.int64)
        self.recent: dict[int, list[int]] = {}
        self.recent_count = 0

    def __len__(self) -> int:
        return int(self.alive.sum())

    def load(self, rowids: Sequence[int], sigs: np.ndarray) -> None:
        """Replace the contents with these articles (signatures as an (n, NUM_PERM) array)."""
        self.rowids = list(rowids)
        self.position = {r: i for i, r in enumerate(self.rowids)}
        self.sigs = sigs.astype(np.uint32).reshape(len(self.rowids), NUM_PERM)
        self.alive = np.ones(len(self.rowids), dtype=bool)
        self._rebuild_keys()

    def _rebuild_keys(self) -> None:
        n = len(self.rowids)
        if n == 0:
            self.keys = np.empty(0, dtype=np.uint64)
            self.key_pos = np.empty(0, dtype=np.int64)
        else:
            keys = band_keys_many(self.sigs[:n]).ravel()
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            self.key_pos = (order // BANDS).astype(np.int64)
        # where each 20-bit key prefix starts: a lookup is two reads and a short scan, not a binary search
        self.starts = np.searchsorted(self.keys >> _SHIFT, np.arange((1 << _PREFIX) + 1, dtype=np.uint64))
        self.recent = {}
        self.recent_count = 0

    def add(self, rowid: int, sig: np.ndarray) -> None:
        if rowid in self.position:
            self.remove(rowid)
        pos = len(self.rowids)
        self.rowids.append(rowid)
        self.position[rowid] = pos
        if pos >= len(self.sigs):
            grown = np.empty((max(1024, 2 * len(self.sigs)), NUM_PERM), dtype=np.uint32)
            grown[: len(self.sigs)] = self.sigs
            self.sigs = grown
            alive = np.zeros(len(grown), dtype=bool)
            alive[: len(self.alive)] = self.alive
            self.alive = alive
        self.sigs[pos] = sig.astype(np.uint32)
        self.alive[pos] = True
        for key in band_keys(sig).tolist():
            self.recent.setdefault(key, []).append(pos)
        self.recent_count += 1
        if self.recent_count > max(4096, len(self.rowids) // 8):
            self._rebuild_keys()

    def remove(self, rowid: int) -> None:
        pos = self.position.pop(rowid, None)
        if pos is not None:
            self.alive[pos] = False

    def candidates(self, sig: np.ndarray) -> list[tuple[int, float]]:
        """(rowid, estimated Jaccard similarity) of articles sharing a band, most similar first."""
        qkeys = band_keys(sig)
        found: list[np.ndarray] = []
        if len(self.keys):
            prefix = (qkeys >> _SHIFT).astype(np.int64)
            lo = self.starts[prefix]
            lengths = np.minimum(self.starts[prefix + 1] - lo, MAX_BUCKET)
            total = int(lengths.sum())
            if total:  # the ranges lo[i]:lo[i]+lengths[i], concatenated without a Python loop
                at = np.arange(total) + np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
                same = self.keys[at] == np.repeat(qkeys, lengths)
                found.append(self.key_pos[at[same]])
        for key in qkeys.tolist():
            hit = self.recent.get(key)
            if hit:
                found.append(np.asarray(hit[:MAX_BUCKET], dtype=np.int64))
        pos = np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
        if not len(pos):
            return []
        pos = pos[np.concatenate(([True], pos[1:] != pos[:-1]))]
        pos = pos[self.alive[pos]]
        if not len(pos):
            return []
        sim = (self.sigs[pos] == sig.astype(np.uint32)[None, :]).mean(axis=1)
        keep = sim >= MIN_SIGNATURE_SIMILARITY
        pos, sim = pos[keep], sim[keep]
        order = np.argsort(-sim, kind="stable")
        return [(self.rowids[p], float(s)) for p, s in zip(pos[order].tolist(), sim[order].tolist(), strict=True)]


class DuplicateIndex:
    """Copy detection for one store: the in-memory LSH plus the clusters in the database."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.lsh = MinHashIndex()
        self.seen_max = 0  # highest copy_index rowid this process knows about
        self.loaded = False
        self._texts: dict[int, Text] = {}  # rowid -> prepared body, oldest first

    # -- building --------------------------------------------------------
    def ensure_ready(self) -> None:
        """Load the LSH from stored signatures; recluster everything when the index is outdated."""
        conn = self.store.conn
        row = conn.execute("SELECT value FROM meta WHERE key='duplicates_version'").fetchone()
        wanted = f"{INDEX_VERSION}.{FINGERPRINT_VERSION}"
        if row is None or row[0] != wanted:
            self.rebuild(refingerprint=row is None or row[0].split(".")[-1] != str(FINGERPRINT_VERSION))
            self.loaded = True
            return
        if not self.loaded:
            self._load_from(0, replace=True)
            self.loaded = True
        else:
            self._load_from(self.seen_max, replace=False)

    def _load_from(self, after: int, *, replace: bool) -> None:
        """Signatures of indexed articles with rowid > after (what other processes stored, too)."""
        top = self.store.conn.execute("SELECT max(article) FROM copy_index").fetchone()[0] or 0
        if not replace and top <= self.seen_max:
            return
        rows = self.store.conn.execute(
            "SELECT c.article, a.fingerprint FROM copy_index c JOIN articles a ON a.rowid = c.article "
            "WHERE c.article > ? ORDER BY c.article", (after,)
        ).fetchall()
        rowids = [r[0] for r in rows]
        sigs = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint64).reshape(len(rows), NUM_PERM)
                if rows else np.empty((0, NUM_PERM), dtype=np.uint64))
        if replace:
            self.lsh.load(rowids, sigs)
        else:
            for r, s in zip(rowids, sigs, strict=True):
                if r not in self.lsh.position:
                    self.lsh.add(r, s)
        self.seen_max = max(self.seen_max, top)

    def rebuild(self, *, refingerprint: bool = False) -> None:
        """Recluster every stored article (in rowid order, as if ingested again)."""
        from xinwen.analysis.segment import segment

        conn = self.store.conn
        self.lsh = MinHashIndex()
        self.seen_max = 0
        self._texts = {}
        outer = conn.in_transaction
        try:
            conn.execute("DELETE FROM duplicate_of")
            conn.execute("DELETE FROM copy_index")
            batch: list[tuple[int, str, np.ndarray]] = []
            for row in self.store.iter_all("rowid, body, fingerprint"):
                sig = np.frombuffer(row["fingerprint"], dtype=np.uint64) if row["fingerprint"] else None
                if refingerprint or sig is None or len(sig) != NUM_PERM:
                    sig = fingerprint(segment("", row["body"] or "").body_words())
                    conn.execute("UPDATE articles SET fingerprint=? WHERE rowid=?",
                                 (sig.astype(np.uint64).tobytes(), row["rowid"]))
                batch.append((row["rowid"], row["body"] or "", sig))
            self._check(batch)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('duplicates_version', ?)",
                         (f"{INDEX_VERSION}.{FINGERPRINT_VERSION}",))
        except BaseException:
            if not outer:
                conn.rollback()
            self.loaded = False
            raise
        if not outer:
            conn.commit()

    # -- ingest ------------------------------------------------------------
    def on_stored(self, stored: Sequence[tuple[int, Article, Analysis, bool]]) -> None:
        """The ingest hook (inside the batch's transaction): index and cluster new or changed articles."""
        self.ensure_ready()
        changed = [rowid for rowid, _, _, is_new in stored if not is_new]
        for rowid in changed:
            self._leave(rowid)
        items = [(rowid, a.body or "", np.asarray(analysis.fingerprint)) for rowid, a, analysis, _ in stored]
        try:
            self._check(items)
        except BaseException:
            self.loaded = False  # the transaction rolls back; reload from the database next time
            raise

    def _check(self, items: Iterable[tuple[int, str, np.ndarray]]) -> None:
        conn = self.store.conn
        for rowid, body, sig in items:
            if is_empty(sig) or not eligible(body):
                continue
            cands = [(r, s) for r, s in self.lsh.candidates(sig) if r != rowid][:MAX_CHECKS]
            matches: list[int] = []
            if cands:
                text = Text(body)
                texts = self._texts_of([r for r, _ in cands])
                matches = [r for r, _ in cands if r in texts and compare(text, texts[r]).is_copy]
                matches = self._confirm_with_canonicals(text, matches)
            conn.execute("INSERT OR IGNORE INTO copy_index (article) VALUES (?)", (rowid,))
            self.lsh.add(rowid, sig)
            self.seen_max = max(self.seen_max, rowid)
            if matches:
                self._join(rowid, matches)

    def _confirm_with_canonicals(self, text: Text, matches: list[int]) -> list[int]:
        """Keep the matches whose cluster's canonical article is a copy too: a story joins a
        cluster through its first printing, so that templates do not chain clusters together."""
        if not matches:
            return matches
        heads = cluster_of(self.store, matches)
        unchecked = {h for h in heads.values() if h not in matches}
        if not unchecked:
            return matches
        texts = self._texts_of(sorted(unchecked))
        good = {h for h in unchecked if h in texts and compare(text, texts[h]).is_copy}
        return [m for m in matches if heads.get(m, m) in matches or heads.get(m, m) in good]

    def _texts_of(self, rowids: list[int]) -> dict[int, Text]:
        """Stored bodies prepared for the text check (the recently checked ones kept: templates and
        much-copied stories come up again and again)."""
        out = {r: self._texts[r] for r in rowids if r in self._texts}
        missing = [r for r in rowids if r not in out]
        if missing:
            for r, body in _bodies(self.store, missing).items():
                out[r] = self._texts[r] = Text(body)
            while len(self._texts) > TEXT_CACHE:
                self._texts.pop(next(iter(self._texts)))
        return out

    def _join(self, rowid: int, matches: list[int]) -> None:
        conn = self.store.conn
        heads = {rowid, *matches}
        marks = ",".join("?" * len(heads))
        heads |= {r[0] for r in conn.execute(
            f"SELECT canonical FROM duplicate_of WHERE article IN ({marks})", list(heads))}
        marks = ",".join("?" * len(heads))
        members = set(heads) | {r[0] for r in conn.execute(
            f"SELECT article FROM duplicate_of WHERE canonical IN ({marks})", list(heads))}
        self._set_cluster(members)

    def _leave(self, rowid: int) -> None:
        """A changed article leaves its cluster (and is checked again as if new)."""
        conn = self.store.conn
        row = conn.execute("SELECT canonical FROM duplicate_of WHERE article=?", (rowid,)).fetchone()
        self.lsh.remove(rowid)
        self._texts.pop(rowid, None)
        conn.execute("DELETE FROM copy_index WHERE article=?", (rowid,))
        if row is None:
            return
        conn.execute("DELETE FROM duplicate_of WHERE article=?", (rowid,))
        rest = {r[0] for r in conn.execute("SELECT article FROM duplicate_of WHERE canonical=?", (row[0],))}
        self._set_cluster(rest)

    def _set_cluster(self, members: set[int]) -> None:
        conn = self.store.conn
        marks = ",".join("?" * len(members))
        if len(members) < 2:
            if members:
                conn.execute(f"DELETE FROM duplicate_of WHERE article IN ({marks})", list(members))
            return
        rows = conn.execute(
            f"SELECT rowid, published_ts, length(body) FROM articles WHERE rowid IN ({marks})", list(members)
        ).fetchall()
        canonical = min(rows, key=lambda r: (r[1] is None, r[1] or 0.0, -(r[2] or 0), r[0]))[0]
        conn.executemany("INSERT OR REPLACE INTO duplicate_of (article, canonical) VALUES (?, ?)",
                         [(m, canonical) for m in members])


def _bodies(store: SQLiteStore, rowids: Sequence[int]) -> dict[int, str]:
    marks = ",".join("?" * len(rowids))
    return {r[0]: r[1] or "" for r in store.conn.execute(
        f"SELECT rowid, body FROM articles WHERE rowid IN ({marks})", list(rowids))}


_INDEXES: weakref.WeakKeyDictionary[SQLiteStore, DuplicateIndex] = weakref.WeakKeyDictionary()


def index_for(store: SQLiteStore) -> DuplicateIndex:
    """The copy-detection state of this store (one per open store, kept while it is open)."""
    index = _INDEXES.get(store)
    if index is None:
        index = _INDEXES[store] = DuplicateIndex(store)
    return index


def check_stored(store: SQLiteStore, stored: Sequence[tuple[int, Article, Analysis, bool]]) -> None:
    """Ingest hook: pass as `on_stored` to SQLiteStore.upsert_batch."""
    index_for(store).on_stored(stored)


# -- queries -------------------------------------------------------------
def cluster_of(store: SQLiteStore, rowids: Sequence[int]) -> dict[int, int]:
    """rowid -> canonical rowid, for those of `rowids` that belong to a cluster."""
    out: dict[int, int] = {}
    for i in range(0, len(rowids), 500):
        chunk = list(rowids[i : i + 500])
        marks = ",".join("?" * len(chunk))
        out.update(store.conn.execute(
            f"SELECT article, canonical FROM duplicate_of WHERE article IN ({marks})", chunk).fetchall())
    return out


def members(store: SQLiteStore, canonical: int) -> list[int]:
    """Rowids of a cluster, the canonical first, then by publication date."""
    rows = store.conn.execute(
        "SELECT d.article FROM duplicate_of d JOIN articles a ON a.rowid = d.article WHERE d.canonical=? "
        "ORDER BY d.article != d.canonical, a.published_ts IS NULL, a.published_ts, d.article", (canonical,)
    ).fetchall()
    return [r[0] for r in rows]


def copies(store: SQLiteStore, article_id: str) -> list[Article]:
    """The other members of the article's cluster, canonical first ([] when it has no copies)."""
    index_for(store).ensure_ready()
    base = store.get(article_id)
    head = cluster_of(store, [base.rowid]).get(base.rowid)
    if head is None:
        return []
    ids = [r for r in members(store, head) if r != base.rowid]
    stored = store.get_many(ids)
    return [stored[r].article for r in ids if r in stored]


def duplicates(store: SQLiteStore, *, limit: int | None = None) -> list[Cluster]:
    """Every cluster of copies, largest first (then the canonical's date, newest first)."""
    index_for(store).ensure_ready()
    sql = ("SELECT d.canonical, count(*) AS n FROM duplicate_of d JOIN articles a ON a.rowid = d.canonical "
           "GROUP BY d.canonical ORDER BY n DESC, a.published_ts IS NULL, a.published_ts DESC, d.canonical")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    heads = [r[0] for r in store.conn.execute(sql)]
    clusters = []
    for head in heads:
        ids = members(store, head)
        marks = ",".join("?" * len(ids))
        rows = {r["rowid"]: row_to_stored(r).article for r in store.conn.execute(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE rowid IN ({marks})", ids)}
        arts = [rows[r] for r in ids if r in rows]
        if len(arts) >= 2:
            clusters.append(Cluster(arts[0], arts[1:]))
    return clusters

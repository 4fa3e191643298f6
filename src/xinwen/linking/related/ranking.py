"""Related articles ranked: candidates from each signal's best, six signals mixed by the weights,
pseudo-relevance feedback, one article per cluster of copies, each with its reason."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from xinwen.article import Article
from xinwen.errors import QueryError
from xinwen.linking.related.model import RelatedModel
from xinwen.linking.related.reasons import SparseRow, reason, title_key
from xinwen.linking.related.sections import Sections, extended, same_section
from xinwen.linking.related.weights import RelatedWeights
from xinwen.linking.vectors import ArticleVectors
from xinwen.search.facets import DocValues
from xinwen.store.base import Store


@dataclass
class RelatedHit:
    """A related article, its score, and why: shared_tags, shared_terms, text, signals."""

    article: Article
    score: float
    reason: dict = field(default_factory=dict)


# -- ranking ---------------------------------------------------------------
@dataclass
class RelatedQuery:
    """What a ranking compares the stored articles with: a stored article's vectors, or free text's."""

    dense: np.ndarray
    lexical: sp.csr_matrix  # 1 x V
    tag_vec: sp.csr_matrix  # 1 x tags
    n_terms: int
    tags: list[str]
    published_ts: float | None
    exclude: set[int]
    title: str = ""  # the article's own title: a hit with the same one is the same story
    key: int | None = None  # the stored article's (its section), None for free text
    section: str | None = None  # its section, stored or the nearest centroid's (set by the ranking)


def rank(
    store: Store, v: ArticleVectors, values: DocValues, section_of: Callable[[int], Sections], q: RelatedQuery,
    k: int, w: RelatedWeights,
) -> list[RelatedHit]:
    """The k best related articles for the query (`section_of(least)`: the stored articles' sections)."""
    if k < 1:
        raise QueryError(f"k must be at least 1, not {k}")
    n = len(v)
    if n == 0:
        return []
    c = min(w.candidates, n)
    # each signal's best c articles are the candidates; the work stays on the articles a signal reaches
    parts = []
    lex = np.zeros(n, dtype=np.float32)
    if q.lexical.nnz:
        positions, scores = v.lexical_hits(q.lexical)
        lex[positions] = scores
        parts.append(_best(positions, scores, c))
    dense = np.zeros(n, dtype=np.float32)
    # dense counts from dense_from distinct terms on (the shorter text's): below, skip it altogether
    use_dense = bool(v.dims) and bool(np.any(q.dense)) and q.n_terms > w.dense_from
    if use_dense:
        # numpy's own loop, not BLAS: a threaded BLAS matrix-vector product spins its threads against
        # each other when the process has fewer free cores than BLAS threads (a server's workers, a
        # process pinned to one core: 15 ms instead of 1 at 100,000 articles)
        dense = np.einsum("ij,j->i", v.dense, q.dense.astype(np.float32, copy=False))
        parts.append(np.argpartition(-dense, c - 1)[:c])
    tagged = np.zeros(n, dtype=np.float32)
    if w.topics > 0 and q.tag_vec.nnz and v.tags.shape[1] and q.n_terms < w.dense_terms:
        hits = (q.tag_vec @ v.tag_postings).tocsr()  # same width: tag rows span the whole tag vocabulary
        tagged[hits.indices] = hits.data
        parts.append(_best(hits.indices, hits.data, c))
    if not parts:
        return []
    cand_pos = np.unique(np.concatenate(parts)).astype(np.int64)
    if q.exclude:
        cand_pos = cand_pos[~np.isin(v.keys[cand_pos], np.fromiter(q.exclude, dtype=np.int64))]
    if not len(cand_pos):
        return []
    keys = v.keys[cand_pos].tolist()
    fewest = np.minimum(v.n_terms[cand_pos], q.n_terms)
    conf = np.clip((fewest - w.dense_from) / (w.dense_terms - w.dense_from), 0.0, 1.0)
    signals = {
        "lexical": lex[cand_pos],
        "dense": dense[cand_pos] * conf,
        "tags": _tag_overlap(values, q.tags, v.keys[cand_pos]),
        # a headline's few words say little: its tag candidates (implied ones too) speak for it
        "topics": (1.0 - conf) * tagged[cand_pos],
        "recency": _closeness(values, q.published_ts, v.keys[cand_pos], w.recency_days),
    }
    if w.section > 0 and values.categories:
        signals["section"], q.section = same_section(
            values, v, section_of(max(1, w.section_min)), q.key, q.lexical, q.dense, cand_pos)
    else:
        signals["section"], q.section = np.zeros(len(cand_pos), dtype=np.float32), None
    score = _combine(w, signals)
    if w.feedback > 0 and use_dense:
        top = np.argsort(-score, kind="stable")[: w.feedback_k]
        expanded = q.dense + w.feedback * v.dense[cand_pos[top]].mean(axis=0)
        expanded /= np.linalg.norm(expanded) or 1.0
        signals["dense"] = (v.dense[cand_pos] @ expanded) * conf
        score = _combine(w, signals)
    ranked = np.argsort(-score, kind="stable").tolist()
    heads: dict[int, int] = {}
    looked = 0  # the candidates, in score order, whose clusters were looked up (a few times k at a time)

    def head(i: int) -> int:
        nonlocal looked
        if i >= looked:
            upto = max(i + 1, looked + 4 * k + 16)
            heads.update(store.canonicals([keys[j] for j in ranked[looked:upto]]))
            looked = upto
        return heads.get(keys[ranked[i]], keys[ranked[i]])

    best: dict[int, int] = {}  # cluster (or article) -> index into cand_pos of its best member
    order = iter(range(len(ranked)))
    seen_titles = {title_key(q.title)} if q.title else set()
    out: list[RelatedHit] = []
    while len(out) < k:
        # the next groups in score order; a few spare ones, as a headline printed twice is one story
        batch: list[tuple[int, int]] = []
        for rank_i in order:
            group, i = head(rank_i), ranked[rank_i]
            if group in q.exclude or group in best:
                continue
            best[group] = i
            batch.append((group, i))
            if len(batch) >= k - len(out) + 2:
                break
        if not batch:
            break
        out += _hits(store, v, q, batch, cand_pos, signals, score, seen_titles, k - len(out))
    return out


def _hits(
    store: Store, v: ArticleVectors, q: RelatedQuery, batch: list[tuple[int, int]], cand_pos: np.ndarray,
    signals: dict[str, np.ndarray], score: np.ndarray, seen_titles: set[str], room: int,
) -> list[RelatedHit]:
    """Related hits of (group, candidate index) pairs, best first, skipping a title already shown (a
    headline printed twice, too short for the copy check, is one story)."""
    stored = store.get_many([group for group, _ in batch])
    out = []
    for group, i in batch:
        article = stored[group].article if group in stored else None
        if article is None:
            continue
        seen = title_key(article.title)
        if seen and seen in seen_titles:
            continue
        seen_titles.add(seen)
        gpos = v.position(group)
        at = gpos if gpos is not None else int(cand_pos[i])
        row, tag_row = _row(v.lexical, at), _row(v.tags, at)
        sig = {name: round(float(values[i]), 4) for name, values in signals.items()}
        out.append(RelatedHit(article, float(score[i]), reason(v, q, row, tag_row, article.tags, sig)))
        if len(out) >= room:
            break
    return out


def _row(m: sp.csr_matrix, i: int) -> SparseRow:
    """Row i of a CSR matrix as its column indices and values (views: m[i] builds a matrix, 0.3 ms)."""
    a, b = int(m.indptr[i]), int(m.indptr[i + 1])
    return SparseRow(m.indices[a:b], m.data[a:b])


def _best(indices: np.ndarray, values: np.ndarray, c: int) -> np.ndarray:
    """The (at most) c indices with the highest values."""
    if len(indices) <= c:
        return indices
    return indices[np.argpartition(-values, c - 1)[:c]]


def _combine(w: RelatedWeights, signals: dict[str, np.ndarray]) -> np.ndarray:
    return (w.lexical * signals["lexical"] + w.dense * signals["dense"] + w.tags * signals["tags"]
            + w.topics * signals["topics"] + w.recency * signals["recency"] + w.section * signals["section"])


def _tag_overlap(values: DocValues, tags: list[str], keys: np.ndarray) -> np.ndarray:
    """Jaccard overlap of `tags` with each article's computed tags (from the in-memory doc values)."""
    out = np.zeros(len(keys), dtype=np.float32)
    if not tags or not len(keys):
        return out
    q = np.array(sorted({values.tag_code(t) for t in tags}))
    inside = keys < len(values.tags_of)
    theirs = np.full((len(keys), values.tags_of.shape[1]), -1, dtype=np.int32)
    theirs[inside] = values.tags_of[keys[inside]]
    shared = np.isin(theirs, q[q >= 0]).sum(axis=1)
    union = len(set(tags)) + (theirs >= 0).sum(axis=1) - shared
    np.divide(shared, union, out=out, where=union > 0)
    return out


def _closeness(values: DocValues, ts: float | None, keys: np.ndarray, days: float) -> np.ndarray:
    """exp(-days apart / days) between `ts` and each article's publication time; 0 when either has none."""
    out = np.zeros(len(keys), dtype=np.float32)
    if ts is None or days <= 0 or not len(keys):
        return out
    inside = keys < len(values.ts_of)
    theirs = np.full(len(keys), np.nan)
    theirs[inside] = values.ts_of[keys[inside]]
    known = ~np.isnan(theirs)
    out[known] = np.exp(-np.abs(theirs[known] - ts) / 86400.0 / days)
    return out


class RelatedFinder:
    """Related articles of one store: its vectors (RelatedModel), its doc values, and the sections
    learned from them (made again when either changes)."""

    def __init__(self, store: Store, model: RelatedModel, doc_values: Callable[[], DocValues]) -> None:
        self.store = store
        self.model = model
        self.doc_values = doc_values
        self._sections: Sections | None = None
        self._sections_lock = threading.Lock()

    def _sections_for(self, values: DocValues, v: ArticleVectors) -> Callable[[int], Sections]:
        def get(least: int) -> Sections:
            key = (values.token, len(v), v.synced_at, least)
            got = self._sections
            if got is None or got.key != key:
                with self._sections_lock:  # one thread works them out; the others take its result
                    got = self._sections
                    if got is None or got.key != key:
                        got = self._sections = extended(got, values, v, least, key)
            return got
        return get

    def related(self, article_id: str, *, k: int = 5, weights: RelatedWeights | None = None) -> list[RelatedHit]:
        """Articles related to a stored one (its copies left out), best first."""
        vectors = self.model.current()
        base = self.store.get(article_id)
        pos = vectors.position(base.key)
        if pos is None:
            row = self.store.terms_of([base.key])[base.key]
            dense, lexical, n_terms = vectors.transform([(row.title_terms, row.body_terms)])
            dense, n = dense[0], int(n_terms[0])
            tag_vec = vectors.tag_rows([row.tag_weights], grow=False)
        else:
            dense, lexical, n = vectors.dense[pos], vectors.lexical[pos], int(vectors.n_terms[pos])
            tag_vec = vectors.tags[pos]
        exclude = {base.key}
        head = self.store.canonicals([base.key]).get(base.key)
        if head is not None:
            exclude |= self.store.cluster_keys([head])
        a = base.article
        published = a.published.timestamp() if a.published else None
        query = RelatedQuery(dense, lexical, tag_vec, n, list(a.tags), published, exclude, a.title, base.key)
        values = self.doc_values()
        return rank(self.store, vectors, values, self._sections_for(values, vectors), query, k,
                    weights or RelatedWeights.default())

    def related_text(
        self, analysis: object, *, k: int = 5, weights: RelatedWeights | None = None
    ) -> list[RelatedHit]:
        """Stored articles related to free text, given its analysis (pipeline.Analysis)."""
        vectors = self.model.current()
        dense, lexical, n_terms = vectors.transform(
            [(analysis.title_terms, analysis.body_terms)])  # type: ignore[attr-defined]
        tag_vec = vectors.tag_rows([analysis.tag_weights], grow=False)  # type: ignore[attr-defined]
        query = RelatedQuery(dense[0], lexical, tag_vec, int(n_terms[0]), list(analysis.tags),  # type: ignore[attr-defined]
                             None, set())
        values = self.doc_values()
        return rank(self.store, vectors, values, self._sections_for(values, vectors), query, k,
                    weights or RelatedWeights.default())

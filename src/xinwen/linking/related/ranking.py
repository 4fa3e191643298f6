"""Related articles ranked: candidates from each signal's best, six signals mixed by the weights,
pseudo-relevance feedback, one article per cluster of copies, each with its reason."""

from __future__ import annotations

import threading
from collections import OrderedDict
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
    key: int = -1  # the stored article's key


# -- ranking ---------------------------------------------------------------
MEMO_SIZE = 1024  # articles whose ranking a finder keeps (least recently asked dropped first)
MEMO_CANDIDATES = 64  # the best candidates kept of each
MEMO_APPEND = 5000  # appended articles scored alone at most (or a tenth of all): more, and all are ranked


@dataclass
class _Memo:
    """A ranking kept: for the vectors of `lineage` when they had `n` rows."""

    lineage: object
    n: int
    weights: RelatedWeights
    top: Scored  # the best candidates, down to `boundary` (those below it are not kept: -inf, all are)
    boundary: float
    reached: float  # the lowest score the choice of the hits looked at
    hits: list[RelatedHit]
    threshold: float  # the last hit's score (-inf when fewer than k were found)
    exclude: set[int]
    heads: dict[int, int]  # the hits' clusters then
    learned: object  # the sections' centroids then (None: no section signal)


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
    _weights: tuple[dict[int, float], dict[int, float]] | None = field(default=None, repr=False)

    def weights(self) -> tuple[dict[int, float], dict[int, float]]:
        """Its tag candidates' and its terms' weights by column (what each hit's reason looks up)."""
        if self._weights is None:
            self._weights = (dict(zip(self.tag_vec.indices.tolist(), self.tag_vec.data.tolist(), strict=True)),
                             dict(zip(self.lexical.indices.tolist(), self.lexical.data.tolist(), strict=True)))
        return self._weights


def rank(
    store: Store, v: ArticleVectors, values: DocValues, section_of: Callable[[int], Sections], q: RelatedQuery,
    k: int, w: RelatedWeights,
) -> list[RelatedHit]:
    """The k best related articles for the query (`section_of(least)`: the stored articles' sections)."""
    if k < 1:
        raise QueryError(f"k must be at least 1, not {k}")
    scored = score_all(v, values, section_of, q, w)
    return select(store, v, q, k, scored)[0] if scored is not None else []


@dataclass
class Scored:
    """Candidates of one query: their positions in the vectors, each signal's value, the mixed score; and
    what scoring more articles for the same query the same way needs (the query's dense vector after
    feedback, its section)."""

    pos: np.ndarray
    signals: dict[str, np.ndarray]
    score: np.ndarray
    dense_query: np.ndarray | None  # None: too few terms for the dense signal
    section: str | None
    # feedback: the first ranking's score an article must beat to be among the feedback_k its query was
    # moved towards (inf: no feedback); of articles scored later, the best first-ranking score
    feedback_floor: float = np.inf
    first_best: float = -np.inf

    def best(self, m: int) -> Scored:
        """The m best candidates, best first."""
        order = np.argsort(-self.score, kind="stable")[:m]
        return Scored(self.pos[order], {name: s[order] for name, s in self.signals.items()}, self.score[order],
                      self.dense_query, self.section, self.feedback_floor)

    def __add__(self, other: Scored) -> Scored:
        return Scored(np.concatenate([self.pos, other.pos]),
                      {name: np.concatenate([s, other.signals[name]]) for name, s in self.signals.items()},
                      np.concatenate([self.score, other.score]), self.dense_query, self.section, self.feedback_floor)

    def __len__(self) -> int:
        return len(self.pos)


def score_all(
    v: ArticleVectors, values: DocValues, section_of: Callable[[int], Sections], q: RelatedQuery, w: RelatedWeights,
) -> Scored | None:
    """The candidates (each signal's best `w.candidates` of every stored article), scored; None when
    there are none."""
    n = len(v)
    if n == 0:
        return None
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
        dense = _dot(v.dense, q.dense)
        parts.append(np.argpartition(-dense, c - 1)[:c])
    tagged = np.zeros(n, dtype=np.float32)
    if _use_topics(v, q, w):
        hits = (q.tag_vec @ v.tag_postings).tocsr()  # same width: tag rows span the whole tag vocabulary
        tagged[hits.indices] = hits.data
        parts.append(_best(hits.indices, hits.data, c))
    if not parts:
        return None
    cand_pos = np.unique(np.concatenate(parts)).astype(np.int64)
    if q.exclude:
        cand_pos = cand_pos[~np.isin(v.keys[cand_pos], np.fromiter(q.exclude, dtype=np.int64))]
    if not len(cand_pos):
        return None
    conf = _confidence(v, q, w, cand_pos)
    signals = _signals(v, values, section_of, q, w, cand_pos, lex[cand_pos], dense[cand_pos] * conf,
                       tagged[cand_pos], conf)
    score = _combine(w, signals)
    dense_query, floor = (q.dense if use_dense else None), np.inf
    if w.feedback > 0 and use_dense:
        top = np.argsort(-score, kind="stable")[: w.feedback_k]
        floor = float(score[top[-1]]) if len(top) >= w.feedback_k else -np.inf
        expanded = q.dense + w.feedback * v.dense[cand_pos[top]].mean(axis=0)
        expanded /= np.linalg.norm(expanded) or 1.0
        signals["dense"] = (v.dense[cand_pos] @ expanded) * conf
        score = _combine(w, signals)
        dense_query = expanded
    return Scored(cand_pos, signals, score, dense_query, q.section, floor)


def score_among(
    v: ArticleVectors, values: DocValues, section_of: Callable[[int], Sections], q: RelatedQuery, w: RelatedWeights,
    rows: slice, like: Scored,
) -> Scored:
    """The articles at positions `rows` scored for the query as `like` scored its candidates (the same
    dense query after feedback, the same section): every one of them a candidate. What an earlier
    ranking lacks when articles were appended since."""
    pos = np.arange(len(v), dtype=np.int64)[rows]
    if q.exclude and len(pos):
        pos = pos[~np.isin(v.keys[pos], np.fromiter(q.exclude, dtype=np.int64))]
    empty = np.zeros(len(pos), dtype=np.float32)
    if not len(pos):
        return Scored(pos, {name: empty for name in like.signals}, empty, like.dense_query, like.section)
    lex = _row_dots(v.lexical, pos, q.lexical) if q.lexical.nnz else empty
    conf = _confidence(v, q, w, pos)
    rows_dense = v.dense[pos]
    dense = _dot(rows_dense, like.dense_query) * conf if like.dense_query is not None else empty
    tagged = empty
    if _use_topics(v, q, w):
        tagged = _row_dots(v.tags, pos, q.tag_vec)
    signals = _signals(v, values, section_of, q, w, pos, lex, dense, tagged, conf)
    first_best = -np.inf
    if like.feedback_floor < np.inf:  # how they rank before feedback: would one join the feedback set?
        first = dict(signals, dense=_dot(rows_dense, q.dense) * conf)
        first_best = float(_combine(w, first).max())
    return Scored(pos, signals, _combine(w, signals), like.dense_query, like.section, like.feedback_floor,
                  first_best)


def _row_dots(m: sp.csr_matrix, pos: np.ndarray, x: sp.csr_matrix) -> np.ndarray:
    """The dot product of each of the rows `pos` (ascending) of a CSR matrix with the 1 x width row x
    (scipy's product converts and checks more than these few hundred rows cost)."""
    weights = np.zeros(m.shape[1], dtype=np.float32)
    weights[x.indices] = x.data
    a, b = int(pos[0]), int(pos[-1]) + 1
    lo, hi = int(m.indptr[a]), int(m.indptr[b])
    products = m.data[lo:hi] * weights[m.indices[lo:hi]]
    rows = np.repeat(np.arange(b - a), np.diff(m.indptr[a: b + 1]))
    return np.bincount(rows, weights=products, minlength=b - a)[pos - a].astype(np.float32)


_ONE_BLAS_THREAD = False


def blas_on_one_thread() -> None:
    """Say that this process keeps BLAS to one thread (each of a server's workers does): the products of
    the stored vectors with a query then go to BLAS, twice as fast as numpy's own loop."""
    global _ONE_BLAS_THREAD
    _ONE_BLAS_THREAD = True


def _dot(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """m @ x. Unless BLAS is known to run on one thread, numpy's own loop: a threaded BLAS matrix-vector
    product spins its threads against each other when the process has fewer free cores than BLAS threads
    (a process pinned to one core, or beside others: 15 ms instead of 1 at 100,000 articles)."""
    x = x.astype(np.float32, copy=False)
    return m @ x if _ONE_BLAS_THREAD else np.einsum("ij,j->i", m, x)


def _use_topics(v: ArticleVectors, q: RelatedQuery, w: RelatedWeights) -> bool:
    return bool(w.topics > 0 and q.tag_vec.nnz and v.tags.shape[1] and q.n_terms < w.dense_terms)


def _confidence(v: ArticleVectors, q: RelatedQuery, w: RelatedWeights, pos: np.ndarray) -> np.ndarray:
    """How far the dense signal counts for each candidate: by the distinct terms of the shorter text."""
    fewest = np.minimum(v.n_terms[pos], q.n_terms)
    return np.clip((fewest - w.dense_from) / (w.dense_terms - w.dense_from), 0.0, 1.0)


def _signals(
    v: ArticleVectors, values: DocValues, section_of: Callable[[int], Sections], q: RelatedQuery, w: RelatedWeights,
    pos: np.ndarray, lexical: np.ndarray, dense: np.ndarray, tagged: np.ndarray, conf: np.ndarray,
) -> dict[str, np.ndarray]:
    keys = v.keys[pos]
    signals = {
        "lexical": lexical,
        "dense": dense,
        "tags": _tag_overlap(values, q.tags, keys),
        # a headline's few words say little: its tag candidates (implied ones too) speak for it
        "topics": (1.0 - conf) * tagged,
        "recency": _closeness(values, q.published_ts, keys, w.recency_days),
    }
    if w.section > 0 and values.categories:
        signals["section"], q.section = same_section(
            values, v, section_of(max(1, w.section_min)), q.key, q.lexical, q.dense, pos)
    else:
        signals["section"], q.section = np.zeros(len(pos), dtype=np.float32), None
    return signals


def select(
    store: Store, v: ArticleVectors, q: RelatedQuery, k: int, scored: Scored
) -> tuple[list[RelatedHit], float]:
    """The k best of the scored candidates: one article per cluster of copies (its best-scored member), no
    title shown twice; and the lowest score looked at (what chose them were the candidates down to it)."""
    cand_pos, signals, score = scored.pos, scored.signals, scored.score
    keys = v.keys[cand_pos].tolist()
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
    reached = -np.inf if len(ranked) else np.inf
    while len(out) < k:
        # the next groups in score order; a few spare ones, as a headline printed twice is one story
        batch: list[tuple[int, int]] = []
        reached = -np.inf  # (the candidates run out, unless a batch fills)
        for rank_i in order:
            group, i = head(rank_i), ranked[rank_i]
            reached = float(score[i])
            if group in q.exclude or group in best:
                continue
            best[group] = i
            batch.append((group, i))
            if len(batch) >= k - len(out) + 2:
                break
        if not batch:
            break
        out += _hits(store, v, q, batch, cand_pos, signals, score, seen_titles, k - len(out))
    return out, reached


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
        out.append(RelatedHit(article, float(score[i]), reason(v, q, row, tag_row, article.tags, sig), group))
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
        self._memo: OrderedDict[tuple[int, int], _Memo] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.memo_hits = self.memo_extended = self.memo_misses = 0

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
        if weights is not None:
            return rank(self.store, vectors, values, self._sections_for(values, vectors), query, k, weights)
        return self._remembered(vectors, values, query, k, RelatedWeights.default())

    def _remembered(
        self, v: ArticleVectors, values: DocValues, q: RelatedQuery, k: int, w: RelatedWeights
    ) -> list[RelatedHit]:
        """`rank`, kept per article: when the vectors have only grown since (an ingest's commits append
        articles; nothing stored before changed), the articles appended are scored alone and merged with
        the best candidates kept. The kept hits are served again when none of the new articles beats
        the last of them and their clusters and the article's own did not change."""
        if k < 1:
            raise QueryError(f"k must be at least 1, not {k}")
        assert q.key is not None
        memo_key = (q.key, k)
        with self._memo_lock:
            memo = self._memo.get(memo_key)
        sections = self._sections_for(values, v)
        # sections learned again (not only extended) may place the articles kept elsewhere
        learned = sections(max(1, w.section_min)).centroids if w.section > 0 and values.categories else None
        n = len(v)
        new = None
        if (memo is not None and memo.lineage is v.lineage and memo.n <= n and memo.weights == w
                and memo.learned is learned and n - memo.n <= max(MEMO_APPEND, n // 10)):
            new = score_among(v, values, sections, q, w, slice(memo.n, n), memo.top)
            if new.first_best >= memo.top.feedback_floor:
                new = None  # one of them moves the query (feedback): every score changes
        if memo is not None and new is not None:
            heads = self.store.canonicals([h.key for h in memo.hits])
            if (q.exclude == memo.exclude and (not len(new) or float(new.score.max()) < memo.threshold)
                    and heads == memo.heads):
                self.memo_hits += 1  # nothing new among them, nor among the clusters: the same hits
                self._keep(memo_key, v, w, memo.top + new, memo.hits, memo.reached, memo.boundary, q, learned, heads)
                return memo.hits
            q.section = memo.top.section
            merged = memo.top + new
            hits, reached = select(self.store, v, q, k, merged)
            if reached > memo.boundary:  # every candidate down to where the choice went is kept
                self.memo_extended += 1
                self._keep(memo_key, v, w, merged, hits, reached, memo.boundary, q, learned)
                return hits
        self.memo_misses += 1
        scored = score_all(v, values, sections, q, w)
        if scored is None:
            return []
        hits, reached = select(self.store, v, q, k, scored)
        self._keep(memo_key, v, w, scored, hits, reached, -np.inf, q, learned)
        return hits

    def _keep(
        self, memo_key: tuple[int, int], v: ArticleVectors, w: RelatedWeights, scored: Scored,
        hits: list[RelatedHit], reached: float, boundary: float, q: RelatedQuery, learned: object,
        heads: dict[int, int] | None = None,
    ) -> None:
        """Keep the candidates down to where the choice went and MEMO_CANDIDATES more (the lowest score
        kept is the boundary below which candidates are missing)."""
        m = min(len(scored), int(np.count_nonzero(scored.score >= reached)) + MEMO_CANDIDATES)
        top = scored.best(m)
        if m < len(scored):
            boundary = max(boundary, float(top.score[-1]))
        keys = [h.key for h in hits]
        if heads is None:
            heads = self.store.canonicals(keys) if keys else {}
        memo = _Memo(
            lineage=v.lineage, n=len(v), weights=w, top=top, boundary=boundary, reached=reached, hits=hits,
            threshold=min(h.score for h in hits) if len(hits) >= memo_key[1] else -np.inf,
            exclude=set(q.exclude), heads=heads, learned=learned,
        )
        with self._memo_lock:
            self._memo[memo_key] = memo
            self._memo.move_to_end(memo_key)
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)

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

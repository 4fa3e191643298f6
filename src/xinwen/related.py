"""Related articles: what a reader would open next, each with the reason.

Six signals, each in [0, 1] (dense may dip below 0), summed with configurable weights
(RelatedWeights; `xinwen related --weights`, or $XINWEN_RELATED_WEIGHTS):

- lexical (0.45): more-like-this, the cosine of the two articles' top TF-IDF terms
  (xinwen.vectors; IDF fitted on the stored corpus, title words counted twice).
- dense (0.45): cosine of the LSA vectors fitted on the stored corpus. An LSA vector made
  from a few words is noise, so this weight grows from 0 at dense_from distinct terms (of the
  shorter of the two articles) to full at dense_terms: a headline alone leans on its words.
- tags (0.30): Jaccard overlap of the computed tags.
- topics (2.0): cosine of the two articles' tag candidates weighted by the tagger's confidence
  (`Analysis.tag_weights`: the best 15, tags a headline implies but does not say too; xinwen.vectors).
  Three chosen tags of two headlines seldom meet, their candidates often do; a long article's words
  say more, so this weight falls from full at dense_from distinct terms to 0 at dense_terms (the
  dense signal's ramp, reversed).
- recency (0.05): closeness in time, exp(-days apart / recency_days); 0 when a date is missing
  (and for free text, which has none).
- section (0.05): 1 when both articles are in the same section of the publisher (the `category` a
  record brings, as in a CMS export). An article without one (free text too) takes the section whose
  centroid is nearest to it (TF-IDF and LSA cosines added), once at least two sections have section_min
  articles each (a nearest-centroid classifier learned from the collection's own sections); 0 when
  there are none.

Feedback (1.0): the dense signal is computed a second time for a query moved towards the mean
LSA vector of the first ranking's top feedback_k (Rocchio's pseudo-relevance feedback), which
keeps a story's neighbours on its topic.

Candidates are the best `candidates` by the lexical, the dense and (for short texts) the topics
signal, all scored on the five. The article's own copies are left out, and each cluster of copies appears once,
as its canonical printing (xinwen.duplicates).

The weights were chosen on sina800 and tnews dev titles (cnews1000 held out) and are reported on sina800,
cnews1000 and tnews by `xinwen eval related`.
"""

from __future__ import annotations

import json
import math
import os
import re
import weakref
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from xinwen.article import Article
from xinwen.docvalues import DocValues, doc_values
from xinwen.duplicates import cluster_of
from xinwen.errors import QueryError, StoreError
from xinwen.store.sqlite import SQLiteStore
from xinwen.vectors import SAVE_AFTER, ArticleVectors, doc_terms

WEIGHTS_ENV = "XINWEN_RELATED_WEIGHTS"
_MINOR = re.compile(r"^(\d+(\.\d+)?|\w)$")  # figures and single characters: not shown as shared terms


@dataclass
class RelatedWeights:
    """How much each signal counts, and the constants that shape them (see the module text)."""

    lexical: float = 0.45
    dense: float = 0.45
    tags: float = 0.30
    topics: float = 2.0
    recency: float = 0.05
    section: float = 0.05
    section_min: int = 5
    recency_days: float = 30.0
    dense_from: int = 10
    dense_terms: int = 40
    candidates: int = 100
    feedback: float = 1.0
    feedback_k: int = 10

    @classmethod
    def parse(cls, text: str | None) -> RelatedWeights:
        """Defaults overridden by "name=value,name=value" (e.g. "lexical=0.6,tags=0")."""
        weights = cls()
        names = {f.name: f.type for f in fields(cls)}
        for part in (text or "").split(","):
            if not part.strip():
                continue
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in names:
                raise QueryError(f"unknown related weight {name!r}; known: {', '.join(names)}")
            try:
                number = float(value)
            except ValueError:
                raise QueryError(f"related weight {name} needs a number, not {value.strip()!r}") from None
            if not math.isfinite(number) or number < 0:
                raise QueryError(f"related weight {name} must be a finite number >= 0, not {value.strip()}")
            setattr(weights, name, int(number) if names[name] == "int" else number)
        weights.candidates = max(1, weights.candidates)
        weights.dense_terms = max(weights.dense_from + 1, weights.dense_terms)
        return weights

    @classmethod
    def default(cls) -> RelatedWeights:
        return cls.parse(os.environ.get(WEIGHTS_ENV))


@dataclass
class RelatedHit:
    """A related article, its score, and why: shared_tags, shared_terms, text, signals."""

    article: Article
    score: float
    reason: dict = field(default_factory=dict)


# -- the fitted vectors of a store ----------------------------------------------
@dataclass
class _Loaded:
    vectors: ArticleVectors
    path: str | None
    state: tuple = ()


_MODELS: weakref.WeakKeyDictionary[SQLiteStore, _Loaded] = weakref.WeakKeyDictionary()


def model_path(db_path: str) -> str | None:
    return None if db_path == ":memory:" else db_path + ".related.npz"


def fit_vectors(store: SQLiteStore, path: str | None) -> ArticleVectors:
    """Fit the vectors on every stored article and save them at `path` (None: keep in memory)."""
    rowids, docs, weights, latest = [], [], [], ""
    for row in store.iter_all("rowid, title_terms, body_terms, ingested_at, tag_weights"):
        rowids.append(row["rowid"])
        docs.append(doc_terms(row["title_terms"], row["body_terms"]))
        weights.append(_weights(row["tag_weights"]))
        latest = max(latest, row["ingested_at"] or "")
    vectors = ArticleVectors.fit(rowids, docs, tag_weights=weights)
    vectors.synced_at = latest
    if path:
        vectors.save(path)
    _MODELS[store] = _Loaded(vectors, path, _db_state(store))
    return vectors


def vectors_for(store: SQLiteStore, path: str | None) -> ArticleVectors:
    """The fitted vectors (loaded, or fitted when there are none), brought up to date with the store."""
    loaded = _MODELS.get(store)
    if loaded is None:
        if path and Path(path).exists() and (saved := _load_or_none(path)) is not None:
            loaded = _MODELS[store] = _Loaded(saved, path)
        else:
            fit_vectors(store, path)
            return _MODELS[store].vectors
    state = _db_state(store)
    if state != loaded.state:
        _sync(store, loaded)
        loaded.state = state
    return loaded.vectors


def _load_or_none(path: str) -> ArticleVectors | None:
    """The saved vectors, or None when the file is of another version or unreadable: they are made
    from the stored articles alone, so they are fitted again (and saved over it)."""
    try:
        return ArticleVectors.load(path)
    except StoreError:
        return None


def _db_state(store: SQLiteStore) -> tuple:
    """Changes when another connection commits or this one writes (cheap: no table is read)."""
    return int(store.conn.execute("PRAGMA data_version").fetchone()[0]), store.conn.total_changes


def _sync(store: SQLiteStore, loaded: _Loaded) -> None:
    """Vectors for articles stored or changed since the fit; drop those deleted."""
    v = loaded.vectors
    db = np.array([r[0] for r in store.conn.execute("SELECT rowid FROM articles ORDER BY rowid")], dtype=np.int64)
    changed = {r[0] for r in store.conn.execute(
        "SELECT rowid FROM articles WHERE ingested_at > ?", (v.synced_at,))} if v.synced_at else set()
    keep = np.isin(v.rowids, db) & ~np.isin(v.rowids, np.array(sorted(changed), dtype=np.int64))
    todo = sorted(set(np.setdiff1d(db, v.rowids[keep]).tolist()))
    if not todo and keep.all():
        return
    docs, weights, latest = [], [], v.synced_at
    for i in range(0, len(todo), 500):
        chunk = todo[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = {r[0]: r for r in store.conn.execute(
            f"SELECT rowid, title_terms, body_terms, ingested_at, tag_weights FROM articles WHERE rowid IN ({marks})",
            chunk)}
        for r in chunk:
            docs.append(doc_terms(rows[r][1], rows[r][2]))
            weights.append(_weights(rows[r][4]))
            latest = max(latest, rows[r][3] or "")
    v.update(keep, todo, docs, weights)
    v.synced_at = latest
    if loaded.path and len(todo) >= SAVE_AFTER:
        try:
            v.save(loaded.path)
        except OSError:
            pass  # a read-only place: the vectors are rebuilt in memory next time too


# -- ranking ---------------------------------------------------------------
@dataclass
class _Query:
    dense: np.ndarray
    lexical: sp.csr_matrix  # 1 x V
    tag_vec: sp.csr_matrix  # 1 x tags
    n_terms: int
    tags: list[str]
    published_ts: float | None
    exclude: set[int]
    title: str = ""  # the article's own title: a hit with the same one is the same story
    rowid: int | None = None  # the stored article's (its section), None for free text
    section: str | None = None  # its section, stored or the nearest centroid's (set by _rank)


def related(
    store: SQLiteStore, article_id: str, *, k: int = 5, weights: RelatedWeights | None = None,
    path: str | None = None,
) -> list[RelatedHit]:
    """Articles related to a stored one (its copies left out), best first."""
    vectors = vectors_for(store, path)
    base = store.get(article_id)
    pos = vectors.position(base.rowid)
    if pos is None:
        row = store.conn.execute("SELECT title_terms, body_terms, tag_weights FROM articles WHERE rowid=?",
                                 (base.rowid,)).fetchone()
        dense, lexical, n_terms = vectors.transform([doc_terms(row[0], row[1])])
        dense, lexical, n = dense[0], lexical, int(n_terms[0])
        tag_vec = vectors.tag_rows([_weights(row[2])], grow=False)
    else:
        dense, lexical, n = vectors.dense[pos], vectors.lexical[pos], int(vectors.n_terms[pos])
        tag_vec = vectors.tags[pos]
    exclude = {base.rowid}
    head = cluster_of(store, [base.rowid]).get(base.rowid)
    if head is not None:
        exclude |= {r[0] for r in store.conn.execute("SELECT article FROM duplicate_of WHERE canonical=?", (head,))}
    published = base.article.published.timestamp() if base.article.published else None
    query = _Query(dense, lexical, tag_vec, n, list(base.article.tags), published, exclude, base.article.title,
                   base.rowid)
    return _rank(store, vectors, query, k, weights or RelatedWeights.default())


def related_text(
    store: SQLiteStore, analyzer: object, text: str, *, k: int = 5, weights: RelatedWeights | None = None,
    path: str | None = None,
) -> list[RelatedHit]:
    """Stored articles related to free text (segmented and tagged like an ingested body)."""
    if not text or not text.strip():
        raise QueryError("no text to find related articles for")
    vectors = vectors_for(store, path)
    analysis = analyzer.analyze(Article(title="", body=text))  # type: ignore[attr-defined]
    dense, lexical, n_terms = vectors.transform([doc_terms(analysis.title_terms, analysis.body_terms)])
    tag_vec = vectors.tag_rows([analysis.tag_weights], grow=False)
    query = _Query(dense[0], lexical, tag_vec, int(n_terms[0]), list(analysis.tags), None, set())
    return _rank(store, vectors, query, k, weights or RelatedWeights.default())


def _rank(store: SQLiteStore, v: ArticleVectors, q: _Query, k: int, w: RelatedWeights) -> list[RelatedHit]:
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
        hits = (q.lexical @ v.postings).tocsr()
        lex[hits.indices] = hits.data
        parts.append(_best(hits.indices, hits.data, c))
    dense = np.zeros(n, dtype=np.float32)
    # dense counts from dense_from distinct terms on (the shorter text's): below, skip it altogether
    use_dense = bool(v.dims) and bool(np.any(q.dense)) and q.n_terms > w.dense_from
    if use_dense:
        dense = v.dense @ q.dense
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
        cand_pos = cand_pos[~np.isin(v.rowids[cand_pos], np.fromiter(q.exclude, dtype=np.int64))]
    if not len(cand_pos):
        return []
    rowids = v.rowids[cand_pos].tolist()
    values = doc_values(store)
    fewest = np.minimum(v.n_terms[cand_pos], q.n_terms)
    conf = np.clip((fewest - w.dense_from) / (w.dense_terms - w.dense_from), 0.0, 1.0)
    signals = {
        "lexical": lex[cand_pos],
        "dense": dense[cand_pos] * conf,
        "tags": _tag_overlap(values, q.tags, v.rowids[cand_pos]),
        # a headline's few words say little: its tag candidates (implied ones too) speak for it
        "topics": (1.0 - conf) * tagged[cand_pos],
        "recency": _closeness(values, q.published_ts, v.rowids[cand_pos], w.recency_days),
    }
    signals["section"], q.section = _same_section(values, v, q, cand_pos, w)
    score = _combine(w, signals)
    if w.feedback > 0 and use_dense:
        top = np.argsort(-score, kind="stable")[: w.feedback_k]
        expanded = q.dense + w.feedback * v.dense[cand_pos[top]].mean(axis=0)
        expanded /= np.linalg.norm(expanded) or 1.0
        signals["dense"] = (v.dense[cand_pos] @ expanded) * conf
        score = _combine(w, signals)
    heads = cluster_of(store, rowids)
    best: dict[int, int] = {}  # cluster (or article) -> index into cand_pos of its best member
    order = iter(np.argsort(-score, kind="stable").tolist())
    seen_titles = {_title_key(q.title)} if q.title else set()
    out: list[RelatedHit] = []
    while len(out) < k:
        # the next groups in score order; a few spare ones, as a headline printed twice is one story
        batch: list[tuple[int, int]] = []
        for i in order:
            group = heads.get(rowids[i], rowids[i])
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
    store: SQLiteStore, v: ArticleVectors, q: _Query, batch: list[tuple[int, int]], cand_pos: np.ndarray,
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
        key = _title_key(article.title)
        if key and key in seen_titles:
            continue
        seen_titles.add(key)
        gpos = v.position(group)
        row = v.lexical[gpos] if gpos is not None else v.lexical[int(cand_pos[i])]
        sig = {name: round(float(values[i]), 4) for name, values in signals.items()}
        tag_row = v.tags[gpos] if gpos is not None else v.tags[int(cand_pos[i])]
        out.append(RelatedHit(article, float(score[i]), _reason(v, q, row, tag_row, article.tags, sig)))
        if len(out) >= room:
            break
    return out


def _title_key(title: str) -> str:
    """A title without spaces and punctuation, to know one printed twice."""
    return "".join(ch for ch in title if ch.isalnum()).lower()


def _weights(text: str | None) -> dict[str, float]:
    """The stored tag weights of an article ({} when it was stored before they were kept)."""
    try:
        got = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): float(v) for k, v in got.items()} if isinstance(got, dict) else {}


def _best(indices: np.ndarray, values: np.ndarray, c: int) -> np.ndarray:
    """The (at most) c indices with the highest values."""
    if len(indices) <= c:
        return indices
    return indices[np.argpartition(-values, c - 1)[:c]]


def _combine(w: RelatedWeights, signals: dict[str, np.ndarray]) -> np.ndarray:
    return (w.lexical * signals["lexical"] + w.dense * signals["dense"] + w.tags * signals["tags"]
            + w.topics * signals["topics"] + w.recency * signals["recency"] + w.section * signals["section"])


def _tag_overlap(values: DocValues, tags: list[str], rowids: np.ndarray) -> np.ndarray:
    """Jaccard overlap of `tags` with each article's computed tags (from the in-memory doc values)."""
    out = np.zeros(len(rowids), dtype=np.float32)
    if not tags or not len(rowids):
        return out
    q = np.array(sorted({_tag_code(values, t) for t in tags}))
    inside = rowids < len(values.tags_of)
    theirs = np.full((len(rowids), values.tags_of.shape[1]), -1, dtype=np.int32)
    theirs[inside] = values.tags_of[rowids[inside]]
    shared = np.isin(theirs, q[q >= 0]).sum(axis=1)
    union = len(set(tags)) + (theirs >= 0).sum(axis=1) - shared
    np.divide(shared, union, out=out, where=union > 0)
    return out


def _tag_code(values: DocValues, tag: str) -> int:
    index = _TAG_CODES.get(values)
    if index is None:
        index = _TAG_CODES[values] = {t: i for i, t in enumerate(values.tags)}
    return index.get(tag, -2)


_TAG_CODES: weakref.WeakKeyDictionary[DocValues, dict[str, int]] = weakref.WeakKeyDictionary()


@dataclass
class _Sections:
    """Each stored article's section, stored or guessed, for the vectors and doc values it came from."""

    key: tuple
    of: np.ndarray  # per vector position: its section code (stored, else the nearest centroid's), -1 none
    codes: np.ndarray  # section code of each centroid row (none: fewer than two sections to learn from)
    centroids: sp.csr_matrix  # (sections, V): unit rows of TF-IDF, each cut to its CENTROID_TERMS best terms
    dense: np.ndarray  # (sections, dims): unit rows of LSA vectors

    def guess(self, lexical: sp.csr_matrix, dense: np.ndarray) -> np.ndarray:
        """The section of the nearest centroid (TF-IDF and LSA cosines added) of each row; -1 when none."""
        out = np.full(lexical.shape[0], -1, dtype=np.int32)
        if not len(self.codes):
            return out
        for i in range(0, len(out), 20_000):
            sims = (lexical[i : i + 20_000] @ self.centroids.T).toarray() + dense[i : i + 20_000] @ self.dense.T
            out[i : i + 20_000] = np.where(sims.max(axis=1) > 0, self.codes[np.argmax(sims, axis=1)], -1)
        return out


CENTROID_TERMS = 5000
_SECTIONS: weakref.WeakKeyDictionary[ArticleVectors, _Sections] = weakref.WeakKeyDictionary()


def _sections(values: DocValues, v: ArticleVectors, least: int) -> _Sections:
    """The stored articles' sections: their own, else that of the nearest centroid among the sections
    with at least `least` articles, when there are two such (a nearest-centroid classifier, Rocchio's,
    learned from the collection's own sections). Cached until the vectors or the database change."""
    key = (values.version, len(v), v.synced_at, least)
    got = _SECTIONS.get(v)
    if got is not None and got.key == key:
        return got
    inside = v.rowids < len(values.category_of)
    of = np.full(len(v), -1, dtype=np.int32)
    of[inside] = values.category_of[v.rowids[inside]]
    counts = np.bincount(of[of >= 0], minlength=len(values.categories))
    big = np.flatnonzero(counts >= least).astype(np.int32)
    rows, dense = [], []
    for code in big if len(big) >= 2 else []:
        members = np.flatnonzero(of == code)
        d = v.dense[members].mean(axis=0)
        dense.append(d / (np.linalg.norm(d) or 1.0))
        mean = np.asarray(v.lexical[members].mean(axis=0)).ravel()
        keep = np.argpartition(-mean, min(CENTROID_TERMS, len(mean)) - 1)[:CENTROID_TERMS]
        row = np.zeros_like(mean)
        row[keep] = mean[keep]
        rows.append(sp.csr_matrix(row / (np.linalg.norm(row) or 1.0)))
    got = _Sections(key, of, big if rows else np.zeros(0, dtype=np.int32),
                    sp.vstack(rows).tocsr() if rows else sp.csr_matrix((0, v.lexical.shape[1])),
                    np.array(dense, dtype=np.float32).reshape(len(dense), v.dims))
    missing = np.flatnonzero(of < 0)
    if len(missing):
        of[missing] = got.guess(v.lexical[missing], v.dense[missing])
    _SECTIONS[v] = got
    return got


def _same_section(
    values: DocValues, v: ArticleVectors, q: _Query, cand_pos: np.ndarray, w: RelatedWeights
) -> tuple[np.ndarray, str | None]:
    """1 where a candidate is in the query's section (stored, or the nearest centroid's), else 0;
    and the query's section."""
    none = np.zeros(len(cand_pos), dtype=np.float32)
    if w.section <= 0 or not values.categories:
        return none, None
    sections = _sections(values, v, max(1, w.section_min))
    pos = v.position(q.rowid) if q.rowid is not None else None
    if pos is not None:
        mine = int(sections.of[pos])
    elif q.rowid is not None and q.rowid < len(values.category_of) and values.category_of[q.rowid] >= 0:
        mine = int(values.category_of[q.rowid])
    else:
        mine = int(sections.guess(q.lexical, q.dense[None, :])[0])
    if mine < 0:
        return none, None
    return (sections.of[cand_pos] == mine).astype(np.float32), values.categories[mine]


def _closeness(values: DocValues, ts: float | None, rowids: np.ndarray, days: float) -> np.ndarray:
    """exp(-days apart / days) between `ts` and each article's publication time; 0 when either has none."""
    out = np.zeros(len(rowids), dtype=np.float32)
    if ts is None or days <= 0 or not len(rowids):
        return out
    inside = rowids < len(values.ts_of)
    theirs = np.full(len(rowids), np.nan)
    theirs[inside] = values.ts_of[rowids[inside]]
    known = ~np.isnan(theirs)
    out[known] = np.exp(-np.abs(theirs[known] - ts) / 86400.0 / days)
    return out


def _reason(
    v: ArticleVectors, q: _Query, row: sp.csr_matrix, tag_row: sp.csr_matrix, tags: list[str], signals: dict
) -> dict:
    shared_tags = [t for t in q.tags if t in tags]
    mine = dict(zip(q.tag_vec.indices.tolist(), q.tag_vec.data.tolist(), strict=True))
    names = v.tag_vocabulary
    topics = [names[j] for _, j in sorted(((mine[j] * float(x), j) for j, x in
                                           zip(tag_row.indices.tolist(), tag_row.data.tolist(), strict=True)
                                           if j in mine), reverse=True)]
    shared_topics = [t for t in topics if t not in shared_tags][:3]
    qi, qd = q.lexical.indices, q.lexical.data
    weight = dict(zip(qi.tolist(), qd.tolist(), strict=True))
    products = [(weight[j] * float(x), j) for j, x in zip(row.indices.tolist(), row.data.tolist(), strict=True)
                if j in weight]
    terms = [t for t in (v.vocabulary[j] for _, j in sorted(products, reverse=True)) if not _MINOR.match(t)][:5]
    shared_terms = [t for t in terms if not any(t != o and t in o for o in terms)]  # 宝山 inside 宝山区
    parts = []
    if shared_terms:
        parts.append("都讲到" + "、".join(shared_terms))
    if shared_tags:
        parts.append("共同标签：" + "、".join(shared_tags))
    if shared_topics and signals.get("topics", 0) > 0:
        parts.append("话题相近：" + "、".join(shared_topics))
    section = q.section if signals.get("section", 0) > 0 else None
    if section:
        parts.append("同栏目：" + section)
    if not parts:
        parts.append("主题相近")
    return {"shared_tags": shared_tags, "shared_terms": shared_terms, "shared_topics": shared_topics,
            "section": section, "text": "；".join(parts), "signals": signals}

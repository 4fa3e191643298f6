"""Each stored article's section for the section signal: the publisher's own (the `category` a record
brings), else the section whose centroid is nearest (TF-IDF and LSA cosines added), once at least two
sections have enough articles to learn from (Rocchio's nearest-centroid classifier)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from xinwen.linking.vectors import ArticleVectors
from xinwen.search.facets import DocValues

CENTROID_TERMS = 5000
RELEARN_AFTER = 0.1  # the centroids are learned again once the articles appended since are this share more


@dataclass
class Sections:
    """Each stored article's section, stored or guessed, for the vectors and doc values it came from."""

    key: tuple
    of: np.ndarray  # per vector position: its section code (stored, else the nearest centroid's), -1 none
    codes: np.ndarray  # section code of each centroid row (none: fewer than two sections to learn from)
    centroids: sp.csr_matrix  # (sections, V): unit rows of TF-IDF, each cut to its CENTROID_TERMS best terms
    dense: np.ndarray  # (sections, dims): unit rows of LSA vectors
    # what `extended` checks: the doc values' sections and rewrite token, and how many articles the
    # centroids were learned from
    names: tuple[str, ...] = ()
    rewritten: int = -1
    learned: int = 0
    vocabulary: list[str] | None = None  # the vectors' (a refit makes a new one: the centroids are of the old)

    def guess(self, lexical: sp.csr_matrix, dense: np.ndarray) -> np.ndarray:
        """The section of the nearest centroid (TF-IDF and LSA cosines added) of each row; -1 when none."""
        out = np.full(lexical.shape[0], -1, dtype=np.int32)
        if not len(self.codes):
            return out
        for i in range(0, len(out), 20_000):
            sims = (lexical[i : i + 20_000] @ self.centroids.T).toarray() + dense[i : i + 20_000] @ self.dense.T
            out[i : i + 20_000] = np.where(sims.max(axis=1) > 0, self.codes[np.argmax(sims, axis=1)], -1)
        return out


def extended(prev: Sections | None, values: DocValues, v: ArticleVectors, least: int, key: tuple) -> Sections:
    """`prev` with the articles appended to the vectors since (an ingest's): their sections, stored or
    guessed from the centroids learned before, when no stored article changed meanwhile (the store's
    rewrite token, the names of the sections) and the appended are fewer than RELEARN_AFTER of those
    the centroids were learned from; else learned again (`sections`: 0.15 s at 100,000 articles, which
    every commit of an ingest made each server worker pay)."""
    n = len(prev.of) if prev is not None else 0
    if (prev is None or prev.key[3] != least or prev.rewritten != values.rewritten
            or prev.names != tuple(values.categories) or prev.vocabulary is not v.vocabulary or not 0 < n <= len(v)
            or len(v) - prev.learned > RELEARN_AFTER * prev.learned):
        return sections(values, v, least)  # (its key is `key`: the same four values)
    new_keys = v.keys[n:]
    of = np.full(len(new_keys), -1, dtype=np.int32)
    inside = new_keys < len(values.category_of)
    of[inside] = values.category_of[new_keys[inside]]
    missing = np.flatnonzero(of < 0)
    if len(missing):
        of[missing] = prev.guess(v.lexical[n + missing], v.dense[n + missing])
    return Sections(key, np.concatenate([prev.of, of]), prev.codes, prev.centroids, prev.dense, prev.names,
                    prev.rewritten, prev.learned, prev.vocabulary)


def sections(values: DocValues, v: ArticleVectors, least: int) -> Sections:
    """The stored articles' sections: their own, else that of the nearest centroid among the sections
    with at least `least` articles, when there are two such (a nearest-centroid classifier, Rocchio's,
    learned from the collection's own sections)."""
    inside = v.keys < len(values.category_of)
    of = np.full(len(v), -1, dtype=np.int32)
    of[inside] = values.category_of[v.keys[inside]]
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
    got = Sections((values.token, len(v), v.synced_at, least), of, big if rows else np.zeros(0, dtype=np.int32),
                    sp.vstack(rows).tocsr() if rows else sp.csr_matrix((0, v.lexical.shape[1])),
                    np.array(dense, dtype=np.float32).reshape(len(dense), v.dims), tuple(values.categories),
                    values.rewritten, len(v), v.vocabulary)
    missing = np.flatnonzero(of < 0)
    if len(missing):
        of[missing] = got.guess(v.lexical[missing], v.dense[missing])
    return got


def same_section(
    values: DocValues, v: ArticleVectors, sections: Sections, key: int | None, lexical: sp.csr_matrix,
    dense: np.ndarray, cand_pos: np.ndarray,
) -> tuple[np.ndarray, str | None]:
    """1 where a candidate is in the section of the query (the stored article `key`, or free text:
    its vectors), stored or the nearest centroid's, else 0; and the query's section."""
    none = np.zeros(len(cand_pos), dtype=np.float32)
    pos = v.position(key) if key is not None else None
    if pos is not None:
        mine = int(sections.of[pos])
    elif key is not None and key < len(values.category_of) and values.category_of[key] >= 0:
        mine = int(values.category_of[key])
    else:
        mine = int(sections.guess(lexical, dense[None, :])[0])
    if mine < 0:
        return none, None
    return (sections.of[cand_pos] == mine).astype(np.float32), values.categories[mine]

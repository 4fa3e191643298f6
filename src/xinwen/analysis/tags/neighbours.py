"""Tags of similar headlines: a nearest-neighbour vote over the tagged archive.

Most editor tags of a headline are not in it (a tnews title holds about a quarter of its
tags). Titles that share character runs (single characters and 2-character runs) and
segmented words with it (TF-IDF, cosine) were often tagged alike, so each of the K most similar archive titles votes for its tags
with its similarity. The votes become features of the headline ranker (ranker.py)
and bring in candidates the title never says.

What ships inside the tag model is each archive title's tags and its hashed counts of
character runs and words (`encode_titles`), never the titles' text; the index is built on first use, never at import.
"""

from __future__ import annotations

import base64

import numpy as np
from scipy import sparse

K = 80  # neighbours that vote
K_NEAR = 10  # the closest of them, whose vote is also counted apart
WORDS = True  # segmented words count beside the character runs


N_FEATURES = 1 << 20  # hashed character runs (murmurhash3, stable across versions)


def _hasher():  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char", ngram_range=(1, 2), n_features=N_FEATURES, alternate_sign=False, norm=None,
        dtype=np.float32,
    )


def _word_hasher():  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import HashingVectorizer

    # a word is hashed with a mark in front, apart from a character run of the same text
    return HashingVectorizer(
        analyzer=lambda words: ["\x1f" + w for w in words if w.strip()], n_features=N_FEATURES,
        alternate_sign=False, norm=None, dtype=np.float32,
    )


def hashed_counts(titles: list[str], words: list[list[str]] | None = None) -> sparse.csr_matrix:
    """Counts of hashed character runs of each title, plus of its words when given."""
    x = _hasher().transform(titles).tocsr()
    if words is not None:
        x = (x + _word_hasher().transform(words)).tocsr()
    return x


def encode_titles(titles: list[str], words: list[list[str]] | None = None) -> dict:
    """What ships of the archive: each title as counts of hashed character runs (and words),
    never its text."""
    x = hashed_counts(titles, words)
    # a run in only one title has no weight (idf 0 below): leave it out, the votes stay the same
    df = np.bincount(x.indices, minlength=x.shape[1])
    x.data[df[x.indices] < 2] = 0
    x.eliminate_zeros()
    x.sort_indices()
    return {
        "n_features": N_FEATURES, "words": words is not None,
        "indptr": _b64(x.indptr.astype(np.uint32)),
        # hashed run ids are below 2**24: three bytes each
        "indices24": _b64(np.ascontiguousarray(x.indices.astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3])),
        "counts": _b64(np.minimum(x.data, 255).astype(np.uint8)),
    }


def _decode(enc: dict) -> sparse.csr_matrix:
    indptr = _unb64(enc["indptr"], np.uint32).astype(np.int64)
    if "indices24" in enc:
        b = _unb64(enc["indices24"], np.uint8).reshape(-1, 3).astype(np.int32)
        indices = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    else:
        indices = _unb64(enc["indices"], np.uint32).astype(np.int32)
    counts = _unb64(enc["counts"], np.uint8).astype(np.float32)
    return sparse.csr_matrix((counts, indices, indptr), shape=(len(indptr) - 1, int(enc["n_features"])))


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(a.tobytes()).decode("ascii")


def _unb64(text: str, dtype: type) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def _top(idx: np.ndarray, val: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k most similar rows, by similarity, ties by row (deterministic): a short
    list is picked first (every row at least as similar as the k-th), so that only it is sorted."""
    if len(val) > 4 * k:
        kth = np.partition(val, len(val) - k)[len(val) - k]
        short = np.flatnonzero(val >= kth)
        return short[np.lexsort((idx[short], -val[short]))[:k]]
    return np.lexsort((idx, -val))[:k]


class NeighbourIndex:
    """TF-IDF over character runs (single characters and pairs) and, when given, words (all
    hashed; sublinear tf; runs in fewer than 2 titles ignored; cosine) over archive titles,
    with each title's tags."""

    def __init__(self, titles: list[str], tags: list[list[str]], words: list[list[str]] | None = None) -> None:
        self.words = words is not None
        self._build(hashed_counts(titles, words) if titles else None, tags)

    @classmethod
    def from_encoded(cls, encoded: dict, tags: list[list[str]]) -> NeighbourIndex:
        index = cls.__new__(cls)
        index.words = bool(encoded.get("words"))
        index._build(_decode(encoded), tags)
        return index

    def _build(self, counts: sparse.csr_matrix | None, tags: list[list[str]]) -> None:
        self.tags = tags
        if counts is None or counts.shape[0] == 0:
            self.matrix = None
            return
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = ((np.log((1 + n) / (1 + df)) + 1) * (df >= 2)).astype(np.float32)
        # terms x titles, so that one title's similarities are a row times this matrix
        self.matrix = self._weigh(counts).T.tocsr()

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        m = counts.tocsr().astype(np.float32)
        m.data = 1 + np.log(m.data)
        m = m.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sparse.diags((1 / norms).astype(np.float32)) @ m

    def votes_many(
        self, texts: list[str], words: list[list[str]] | None = None, exclude: list[np.ndarray] | None = None
    ) -> list[dict[str, tuple[float, float, float, float]]]:
        """Per text: tag -> (share of the neighbours' similarity that votes for it, best
        similarity of a neighbour carrying it, share of the neighbours carrying it, share of
        the K_NEAR closest neighbours' similarity). `words`: each text's words (used when the
        index counts words). `exclude`: per text, rows that may not vote."""
        if self.matrix is None or not texts:
            return [{} for _ in texts]
        query = hashed_counts(texts, (words or [[] for _ in texts]) if self.words else None)
        sims = (self._weigh(query) @ self.matrix).tocsr()
        out = []
        for i in range(len(texts)):
            lo, hi = sims.indptr[i], sims.indptr[i + 1]
            idx, val = sims.indices[lo:hi], sims.data[lo:hi]
            if exclude is not None and len(exclude[i]):
                keep = ~np.isin(idx, exclude[i])
                idx, val = idx[keep], val[keep]
            top = _top(idx, val, K)
            total = float(val[top].sum()) or 1.0
            near = float(val[top[:K_NEAR]].sum()) or 1.0
            votes: dict[str, list[float]] = {}
            for rank, j in enumerate(top):
                s = float(val[j])
                for tag in self.tags[idx[j]]:
                    v = votes.setdefault(tag, [0.0, 0.0, 0.0, 0.0])
                    v[0] += s
                    v[1] = max(v[1], s)
                    v[2] += 1
                    if rank < K_NEAR:
                        v[3] += s
            n = len(top) or 1
            out.append({t: (v[0] / total, v[1], v[2] / n, v[3] / near) for t, v in votes.items()})
        return out

    def votes(self, text: str, words: list[str] | None = None) -> dict[str, tuple[float, float, float, float]]:
        return self.votes_many([text], [words] if words is not None else None)[0]

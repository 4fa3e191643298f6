"""Tags of similar headlines: a nearest-neighbour vote over the tagged archive.

Most editor tags of a headline are not in it (a tnews title holds about a quarter of its
tags). Titles that share character runs with it (single characters and 2-character runs, TF-IDF, cosine)
were often tagged alike, so each of the K most similar archive titles votes for its tags
with its similarity. The votes become two features of the headline ranker (tagranker.py)
and bring in candidates the title never says.

The archive titles and their tags ship inside the tag model; the index is built on first
use (about a second), never at import.
"""

from __future__ import annotations

import numpy as np

K = 80  # neighbours that vote


class NeighbourIndex:
    """Character n-gram TF-IDF over archive titles, with each title's tags."""

    def __init__(self, titles: list[str], tags: list[list[str]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.tags = tags
        self.vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32
        )
        # terms x titles, so that one title's similarities are a row times this matrix
        self.matrix = self.vectorizer.fit_transform(titles).T.tocsr() if titles else None

    def votes_many(self, texts: list[str], exclude: list[np.ndarray] | None = None) -> list[dict[str, tuple[float, float]]]:
        """Per text: tag -> (share of the neighbours' similarity that votes for it, best
        similarity of a neighbour carrying it). `exclude`: per text, rows that may not vote."""
        if self.matrix is None or not texts:
            return [{} for _ in texts]
        sims = (self.vectorizer.transform(texts) @ self.matrix).tocsr()
        out = []
        for i in range(len(texts)):
            lo, hi = sims.indptr[i], sims.indptr[i + 1]
            idx, val = sims.indices[lo:hi], sims.data[lo:hi]
            if exclude is not None and len(exclude[i]):
                keep = ~np.isin(idx, exclude[i])
                idx, val = idx[keep], val[keep]
            top = np.lexsort((idx, -val))[:K]  # by similarity, ties by row: deterministic
            total = float(val[top].sum()) or 1.0
            votes: dict[str, list[float]] = {}
            for j in top:
                s = float(val[j])
                for tag in self.tags[idx[j]]:
                    v = votes.setdefault(tag, [0.0, 0.0])
                    v[0] += s
                    v[1] = max(v[1], s)
            out.append({t: (v[0] / total, v[1]) for t, v in votes.items()})
        return out

    def votes(self, text: str) -> dict[str, tuple[float, float]]:
        return self.votes_many([text])[0]

"""TextRank's core: PageRank over a small weighted undirected graph (the summaries' sentence graph).
numpy, a fixed number of iterations."""

from __future__ import annotations

import numpy as np

DAMPING = 0.85
ITERATIONS = 15


def pagerank(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Scores of n nodes for the undirected weighted edges (src[i], dst[i], weight[i])."""
    if n == 0:
        return np.zeros(0)
    s = np.concatenate([src, dst])
    d = np.concatenate([dst, src])
    w = np.concatenate([weight, weight]).astype(float)
    out = np.bincount(s, weights=w, minlength=n)
    out[out == 0] = 1.0
    share = w / out[s]
    score = np.ones(n)
    for _ in range(ITERATIONS):
        score = (1 - DAMPING) + DAMPING * np.bincount(d, weights=share * score[s], minlength=n)
    return score

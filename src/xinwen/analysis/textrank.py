"""TextRank: PageRank over a small weighted graph, shared by tags (word graph) and summaries
(sentence graph). numpy, a fixed number of iterations, no per-call dictionary churn."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

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


def word_rank(sequence: Sequence[Hashable | None], window: int = 5) -> dict[Hashable, float]:
    """TextRank of the items of a token sequence (None marks a token that is not a node):
    items co-occurring within `window` tokens are linked. Scores scaled to max 1."""
    ids: dict[Hashable, int] = {}
    pos: list[int] = []
    node: list[int] = []
    for i, item in enumerate(sequence):
        if item is None:
            continue
        pos.append(i)
        node.append(ids.setdefault(item, len(ids)))
    if not ids:
        return {}
    pairs: dict[tuple[int, int], int] = {}
    for a in range(len(node)):
        pa, na = pos[a], node[a]
        for b in range(a + 1, len(node)):
            if pos[b] - pa >= window:
                break
            nb = node[b]
            if na != nb:
                key = (na, nb) if na < nb else (nb, na)
                pairs[key] = pairs.get(key, 0) + 1
    if not pairs:
        return {item: 1.0 for item in ids}
    edges = np.array(list(pairs), dtype=np.int64)
    score = pagerank(len(ids), edges[:, 0], edges[:, 1], np.fromiter(pairs.values(), dtype=float))
    top = score.max() or 1.0
    return {item: float(score[i] / top) for item, i in ids.items()}

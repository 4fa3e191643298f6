"""Near-duplicate fingerprints: MinHash over word shingles of the body."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
SHINGLE = 3
_SEED = 7


def shingles(words: list[str], size: int = SHINGLE) -> set[bytes]:
    """Overlapping runs of `size` content words (white space and punctuation dropped)."""
    content = [w for w in words if w.strip() and (w.isalnum() or len(w) > 1)]
    if len(content) < size:
        return {"".join(content).encode("utf-8")} if content else set()
    return {"\x1f".join(content[i : i + size]).encode("utf-8") for i in range(len(content) - size + 1)}


def fingerprint(words: list[str]) -> np.ndarray:
    """MinHash signature (uint64 array of NUM_PERM values) of the body's word shingles."""
    m = MinHash(num_perm=NUM_PERM, seed=_SEED)
    sh = shingles(words)
    if sh:
        m.update_batch(list(sh))
    return m.hashvalues.astype(np.uint64)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)

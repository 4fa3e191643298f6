"""Near-duplicate fingerprints: MinHash over word shingles of the body, and the LSH band keys.

The signature is NUM_PERM minima of a multiply-shift hash family over the body's word
bigrams (words with a letter or digit in them; punctuation and white space dropped).
Everything is derived from fixed constants (no process-seeded `hash()`, no RNG stream),
so a signature stored by one process is comparable with one computed by any other.

Cost: a word's hash is cached; shingle hashes are combined with integer arithmetic and
the NUM_PERM minima come from one (NUM_PERM x shingles) numpy operation, so a 400-character
story costs about 0.1 ms (bench/bench_dups.py).

Banding: BANDS bands of ROWS values each. Two texts become candidates when any band is
equal, with probability 1 - (1 - J**ROWS)**BANDS for Jaccard similarity J: 0.998 at
J = 0.3 (a copy with 10% of its characters changed is about 0.4), 0.47 at J = 0.1.
Candidates are then filtered on the signatures and checked on the text (xinwen.linking.copies).
"""

from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np

FINGERPRINT_VERSION = 2  # 1: datasketch over word trigrams (skeleton); 2: this module
NUM_PERM = 128
ROWS = 2
BANDS = NUM_PERM // ROWS
SHINGLE = 2
EMPTY = np.uint64(0xFFFFFFFF)  # every value of an empty text's signature

_CONTENT = re.compile(r"\w")
_MASK64 = (1 << 64) - 1


def _constants(label: str, n: int) -> np.ndarray:
    out = []
    for i in range(n):
        digest = hashlib.blake2b(f"xinwen-minhash-{label}-{i}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "little"))
    return np.array(out, dtype=np.uint64)


_A = _constants("a", NUM_PERM) | np.uint64(1)  # odd multipliers
_B = _constants("b", NUM_PERM)
_BAND_SALT = _constants("band", BANDS)

_word_hash: dict[str, int] = {}  # word -> crc32, or -1 for a word without letters or digits


def _hash_word(w: str) -> int:
    h = _word_hash.get(w)
    if h is None:
        if len(_word_hash) > 2_000_000:
            _word_hash.clear()
        h = _word_hash[w] = zlib.crc32(w.encode("utf-8")) if _CONTENT.search(w) else -1
    return h


def content_words(words: list[str]) -> list[str]:
    """The words that count: those with a letter or digit (punctuation and spaces dropped)."""
    return [w for w in words if _CONTENT.search(w)]


def shingle_hashes(words: list[str], size: int = SHINGLE) -> np.ndarray:
    """64-bit hashes of the runs of `size` content words (one run of them all when fewer)."""
    hs = [h for h in map(_hash_word, words) if h >= 0]
    if not hs:
        return np.empty(0, dtype=np.uint64)
    if len(hs) < size:
        combined = [0]
        for h in hs:
            combined[0] = (combined[0] * 0x100000001B3 + h) & _MASK64
        return np.array(combined, dtype=np.uint64)
    arr = np.array(hs, dtype=np.uint64)
    out = arr[: len(arr) - size + 1].copy()
    for k in range(1, size):
        out = (out << np.uint64(32)) ^ (out >> np.uint64(32)) ^ arr[k : len(arr) - size + 1 + k]
    return out  # repeats are harmless: a minimum over a multiset is the minimum over its set


MINHASH_CHUNK = 8192  # shingles hashed at once: memory stays at NUM_PERM x this, whatever the body


def minhash(hashes: np.ndarray) -> np.ndarray:
    """NUM_PERM minima of (a*x + b mod 2**64) >> 32 over the shingle hashes (uint64 values < 2**32),
    taken over chunks of MINHASH_CHUNK shingles."""
    if hashes.size == 0:
        return np.full(NUM_PERM, EMPTY, dtype=np.uint64)
    out = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(0, hashes.size, MINHASH_CHUNK):
            part = hashes[i : i + MINHASH_CHUNK]
            mixed = (_A[:, None] * part[None, :] + _B[:, None]) >> np.uint64(32)
            np.minimum(out, mixed.min(axis=1), out=out)
    return out


def fingerprint(words: list[str]) -> np.ndarray:
    """MinHash signature (NUM_PERM uint64 values) of the body's word shingles."""
    return minhash(shingle_hashes(words))


def is_empty(signature: np.ndarray) -> bool:
    return bool(np.all(signature == EMPTY))


def band_keys(signature: np.ndarray) -> np.ndarray:
    """BANDS 64-bit keys, one per band (its ROWS values, salted with the band number)."""
    sig = signature.astype(np.uint64).reshape(BANDS, ROWS)
    key = sig[:, 0]
    for r in range(1, ROWS):
        key = (key << np.uint64(32)) | sig[:, r]
    return key ^ _BAND_SALT


def band_keys_many(signatures: np.ndarray) -> np.ndarray:
    """band_keys for each row of an (n, NUM_PERM) array: (n, BANDS)."""
    sig = signatures.astype(np.uint64).reshape(len(signatures), BANDS, ROWS)
    key = sig[:, :, 0]
    for r in range(1, ROWS):
        key = (key << np.uint64(32)) | sig[:, :, r]
    return key ^ _BAND_SALT[None, :]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)

"""The copy check's in-memory LSH at a large collection's size: its memory, loading it, adding to it and
looking up in it, as an ingest into a collection of that size does.

    python bench/bench_lsh.py                                   # 1,000,000 signatures, 100,000 added
    python bench/bench_lsh.py --stored 200000 --added 20000     # smaller
    PYTHONPATH=OTHER/src python bench/bench_lsh.py              # another xinwen's LSH, the same input

The signatures are made as bench_million's articles would have them: families of about 50 printings of one
story (random MinHash values, each printing changing a share of them), so band keys repeat within a family.
Printed: the resident memory the index holds after loading (the process's growth, signatures included),
the peak of the whole run, the load time, the time of each addition (as `CopyDetector` makes one per new
article; merges of the recent additions included) and of each lookup.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from xinwen.analysis.fingerprint import NUM_PERM
from xinwen.linking.copies import MinHashIndex


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def signatures(n: int, rng: np.random.Generator, family: int = 50) -> np.ndarray:
    roots = rng.integers(0, 2**32, (max(1, n // family), NUM_PERM), dtype=np.uint32)
    sigs = roots[rng.integers(0, len(roots), n)]
    changed = rng.random(sigs.shape) < rng.choice([0.05, 0.6], n)[:, None]  # reprints and stories sharing a lead
    sigs[changed] = rng.integers(0, 2**32, int(changed.sum()), dtype=np.uint32)
    return sigs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=1_000_000)
    ap.add_argument("--added", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=2000)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    sigs = signatures(args.stored + args.added, rng)
    base = rss_mb()
    index = MinHashIndex()
    t0 = time.perf_counter()
    index.load(list(range(args.stored)), sigs[: args.stored])
    load_s = time.perf_counter() - t0
    loaded = rss_mb() - base
    t0 = time.perf_counter()
    for k in range(args.stored, args.stored + args.added):
        index.add(k, sigs[k])
    add_s = time.perf_counter() - t0
    grown = rss_mb() - base
    probes = sigs[rng.integers(0, len(sigs), args.lookups)]
    t0 = time.perf_counter()
    found = sum(len(index.candidates(p)) for p in probes)
    look_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.stored:,} signatures: loaded in {load_s:.2f} s, holding {loaded:,.0f} MB; "
          f"{args.added:,} added at {1e6 * add_s / args.added:.0f} us each, holding {grown:,.0f} MB; "
          f"lookups {1e6 * look_s / args.lookups:.0f} us each ({found / args.lookups:.1f} found); "
          f"peak of the process {peak:,.0f} MB (the signatures alone: {sigs.nbytes / 2**20:,.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

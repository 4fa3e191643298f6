"""What a reader pays to see new articles: the doc values (facets, trends, related signals) brought up to
date after each committed batch, by reading only the articles added (DocValuesCache, ours) beside reading
every article again (the anchor: what every reader did on every commit before), same database, same run.

    nice python bench/bench_refresh.py --db /tmp/big.db            # a copy of it is used; 100k articles or more
    python bench/bench_refresh.py --db big.db --batch 256 --rounds 10

The database is copied first (its side files too), then `--rounds` batches of `--batch` new stories
(xinwenlianbo stories under new ids) are ingested one after another; after each, both refreshes run in
this process and their time is printed, with the ratio of the medians. CPU time (process_time) is printed
beside wall time: the machine may be shared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from xinwen import Collection
from xinwen.search.facets import DocValues, DocValuesCache

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "xinwenlianbo.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a SQLite xinwen database to copy (the larger the better)")
    ap.add_argument("--batch", type=int, default=256, help="new stories a commit")
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xinwen-refresh-"))
    db = folder / "copy.db"
    for src in Path(args.db).parent.glob(Path(args.db).name + "*"):
        shutil.copy(src, folder / src.name.replace(Path(args.db).name, "copy.db"))
    with gzip.open(SHARED, "rt", encoding="utf-8") as f:
        stories = [json.loads(line) for _, line in zip(range(args.batch * args.rounds), f, strict=False)]
    with Collection(str(db)) as c:
        print(f"{c.count():,} articles in {db}", flush=True)
        cache = DocValuesCache(c.store)
        t0 = time.perf_counter()
        cache.get()
        print(f"first load: {time.perf_counter() - t0:.3f} s", flush=True)
        rows = []
        for r in range(args.rounds):
            batch = [dict(s, id=f"refresh-{r}-{s.get('id', i)}") for i, s in enumerate(
                stories[r * args.batch : (r + 1) * args.batch])]
            c.ingest_records(batch, name=f"batch {r}", fit=False)
            w0, p0 = time.perf_counter(), time.process_time()
            ours = cache.get()
            w1, p1 = time.perf_counter(), time.process_time()
            DocValues(c.store.doc_columns(), c.store.change_token(), c.store.rewrite_token())
            w2, p2 = time.perf_counter(), time.process_time()
            assert ours.size >= c.count()
            rows.append((w1 - w0, p1 - p0, w2 - w1, p2 - p1))
            print(f"batch {r + 1}: ours {1000 * (w1 - w0):7.1f} ms ({1000 * (p1 - p0):6.1f} CPU)   "
                  f"full read {1000 * (w2 - w1):7.1f} ms ({1000 * (p2 - p1):6.1f} CPU)", flush=True)
        ours_ms = statistics.median(r[0] for r in rows) * 1000
        full_ms = statistics.median(r[2] for r in rows) * 1000
        print(f"median: ours {ours_ms:.1f} ms, full read {full_ms:.1f} ms: {full_ms / ours_ms:.1f}x less per commit",
              flush=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`xinwen analyze` on a Dask LocalCluster with 1 and 2 workers over the whole xinwenlianbo corpus (cut into
8 shards): articles/s and the scaling ratio, beside jieba.analyse.extract_tags alone over the same texts.

    nice python bench/bench_analyze.py [--shards 8] [--workers 1,2] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

XWLB = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    if not XWLB.exists():
        print(f"missing {XWLB}", file=sys.stderr)
        return 1
    from xinwen.analysis.cluster import analyze

    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()][: args.limit]
    n = len(lines)
    with tempfile.TemporaryDirectory() as tmp:
        shard_dir = Path(tmp) / "shards"
        shard_dir.mkdir()
        for i in range(args.shards):
            (shard_dir / f"s{i:02d}.jsonl").write_text("".join(lines[i :: args.shards]), encoding="utf-8")
        import logging

        import jieba
        import jieba.analyse

        jieba.setLogLevel(logging.WARNING)
        jieba.analyse.extract_tags("预热")
        t0 = time.perf_counter()
        for line in lines:
            r = json.loads(line)
            jieba.analyse.extract_tags((r.get("title") or "") + "\n" + (r.get("body") or ""), topK=3)
        anchor = time.perf_counter() - t0
        print(f"{n:,} stories in {args.shards} shards")
        print(f"{'':34} {'seconds':>8} {'articles/s':>11} {'x jieba':>8} {'x 1 worker':>11}")
        print(f"{'jieba.analyse.extract_tags alone':34} {anchor:8.1f} {n / anchor:11.0f} {1.0:8.2f}")
        first = None
        for w in [int(x) for x in args.workers.split(",")]:
            t0 = time.perf_counter()
            report = analyze([str(shard_dir)], Path(tmp) / f"out{w}", workers=w)
            seconds = time.perf_counter() - t0
            first = first or seconds
            assert report.articles == n, report.to_dict()
            print(f"{f'xinwen analyze --workers {w}':34} {seconds:8.1f} {n / seconds:11.0f} {anchor / seconds:8.2f} "
                  f"{first / seconds:11.2f}   ({', '.join(f'{k} {v} s' for k, v in report.seconds.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

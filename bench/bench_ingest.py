"""Ingest throughput: the whole xinwenlianbo corpus into a new database, end to end (read, analyze, store,
index, copy check, the end-of-ingest fit), beside jieba.analyse.extract_tags alone over the same texts,
same run, as ratios.

    nice python bench/bench_ingest.py                      # all 19,876 stories, --workers 1 and all cores
    nice python bench/bench_ingest.py --limit 5000 --workers 1
    nice python bench/bench_ingest.py --src ../other-checkout/src   # the same run on another version
    nice python bench/bench_ingest.py --incremental 1000   # 1,000 new stories into the rest vs. into nothing
    nice python bench/bench_ingest.py --incremental 1000 --base BIG.db   # ... into a copy of an existing collection

xinwen runs as users run it, `python -m xinwen.cli ingest FILE --db NEW --json`, in a child process, so
its wall time and its peak memory (the largest resident set of that process or any of its workers) are
measured from outside. The anchor, jieba's TF-IDF keyword extraction (which segments each text itself),
runs in another child process on the same texts (title + body), one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from timing import copy_db, held_ids  # noqa: E402

XWLB = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"

ANCHOR = """
import json, sys, time, logging
import jieba, jieba.analyse
jieba.setLogLevel(logging.WARNING)
jieba.analyse.extract_tags("预热")
texts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
t0 = time.perf_counter()
for r in texts:
    jieba.analyse.extract_tags((r.get("title") or "") + "\\n" + (r.get("body") or ""), topK=3)
print(time.perf_counter() - t0)
"""


RUNNER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)
seconds = time.perf_counter() - t0
sys.stderr.write(proc.stderr)
print(json.dumps({"rc": proc.returncode, "seconds": seconds, "out": proc.stdout,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of one command, run from a fresh process of its own so that the peak is
    the largest resident set of that command or any of its workers, and of nothing else."""
    proc = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(cmd)], capture_output=True, text=True, env=env)
    got = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {"rc": proc.returncode}
    if got["rc"]:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return got["seconds"], got["peak_kb"] / 1024, got["out"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N stories")
    ap.add_argument("--workers", default=f"1,{os.cpu_count() or 1}", help="worker counts to run, comma-separated")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the xinwen source tree to run")
    ap.add_argument("--incremental", type=int, default=0, metavar="N",
                    help="instead: the last N stories ingested into a collection of all the others, beside the same N "
                         "into an empty one (the issue's target: no more than 1.5x)")
    ap.add_argument("--base", type=Path, default=None, metavar="DB",
                    help="with --incremental: ingest into a copy of this collection (the 100,000-article one "
                         "bench_backends.py builds, say) the N corpus stories it does not hold")
    args = ap.parse_args()
    if not XWLB.exists():
        print(f"missing {XWLB}", file=sys.stderr)
        return 1
    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()][: args.limit]
    mb = sum(len((((r := json.loads(x)).get("title") or "") + "\n" + (r.get("body") or "")).encode("utf-8"))
             for x in lines) / 2**20
    env = dict(os.environ, PYTHONPATH=str(args.src.resolve()), XINWEN_NO_PROGRESS="1")
    if args.incremental:
        if args.base:
            return incremental_base(args.base, lines, args.incremental, env)
        return incremental(lines, args.incremental, env)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "xinwenlianbo.jsonl"
        corpus.write_text("".join(lines), encoding="utf-8")
        seconds, _, out = child([sys.executable, "-c", ANCHOR, str(corpus)], env)
        anchor_s = float(out.strip().splitlines()[-1])
        n = len(lines)
        print(f"{n:,} stories, {mb:.1f} MB of text; xinwen from {args.src}; {os.cpu_count()} cores")
        print(f"{'':38} {'seconds':>8} {'articles/s':>11} {'MB/s':>7} {'peak MB':>8} {'x jieba':>8}")
        print(f"{'jieba.analyse.extract_tags alone':38} {anchor_s:8.1f} {n / anchor_s:11.0f} {mb / anchor_s:7.2f} "
              f"{'':>8} {1.0:8.2f}")
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            db = Path(tmp) / f"w{workers}.db"
            seconds, peak, out = child([sys.executable, "-m", "xinwen.cli", "ingest", str(corpus), "--db", str(db),
                                        "--workers", str(workers), "--json"], env)
            report = json.loads(out)
            assert report["added"] == n - report["rejected"] - report["unchanged"], report
            label = f"xinwen ingest --workers {workers} (end to end)"
            print(f"{label:38} {seconds:8.1f} {n / seconds:11.0f} {mb / seconds:7.2f} {peak:8.0f} "
                  f"{anchor_s / seconds:8.2f}")
    return 0


def incremental(lines: list[str], n: int, env: dict[str, str]) -> int:
    """The last n stories into a collection of the others, and into an empty one: seconds and ratio."""
    base, new = lines[:-n], lines[-n:]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "base.jsonl").write_text("".join(base), encoding="utf-8")
        (folder / "new.jsonl").write_text("".join(new), encoding="utf-8")
        ingest = [sys.executable, "-m", "xinwen.cli", "ingest"]
        built, _, _ = child([*ingest, str(folder / "base.jsonl"), "--db", str(folder / "big.db"), "--json"], env)
        print(f"a collection of {len(base):,} stories built in {built:.0f} s; then {n:,} new stories:")
        into_big, peak_big, out = child([*ingest, str(folder / "new.jsonl"), "--db", str(folder / "big.db"), "--json"],
                                        env)
        assert json.loads(out)["added"] == n
        into_empty, peak_empty, _ = child([*ingest, str(folder / "new.jsonl"), "--db", str(folder / "empty.db"),
                                           "--json"], env)
        print(f"  into the {len(base):,}-story collection: {into_big:6.1f} s, peak {peak_big:.0f} MB")
        print(f"  into an empty one:                  {into_empty:6.1f} s, peak {peak_empty:.0f} MB")
        print(f"  ratio {into_big / into_empty:.2f} (target <= 1.5)")
    return 0


def incremental_base(base: Path, lines: list[str], n: int, env: dict[str, str]) -> int:
    """n corpus stories that `base` does not hold, into a copy of it and into an empty collection."""
    if not base.exists():
        raise SystemExit(f"--base {base}: no such database")
    held = held_ids(base)
    new = [line for line in lines if json.loads(line)["id"] not in held][-n:]
    if len(new) < n:
        raise SystemExit(f"--base {base}: only {len(new)} corpus stories are not in it")
    with tempfile.TemporaryDirectory(dir=base.parent) as tmp:
        folder = Path(tmp)
        (folder / "new.jsonl").write_text("".join(new), encoding="utf-8")
        big = copy_db(base, folder / "big.db")
        ingest = [sys.executable, "-m", "xinwen.cli", "ingest", str(folder / "new.jsonl"), "--json", "--db"]
        into_big, peak_big, out = child([*ingest, str(big)], env)
        assert json.loads(out)["added"] == n, out
        into_empty, peak_empty, _ = child([*ingest, str(folder / "empty.db")], env)
        print(f"{n:,} new stories:")
        print(f"  into a copy of the {len(held):,}-story {base.name}: {into_big:6.1f} s, peak {peak_big:.0f} MB")
        print(f"  into an empty one: {into_empty:6.1f} s, peak {peak_empty:.0f} MB")
        print(f"  ratio {into_big / into_empty:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

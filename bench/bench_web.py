"""Web benchmark: each page served by the app (FastAPI test client, HTML and JSON) beside the anchor, the
Collection call(s) the page is made from, same database, same run. The ratio is what the web layer adds.

    nice python bench/bench_web.py                  # the sample page + 2,000 xinwenlianbo stories + the
                                                    # hostile article of tests/conftest.py (1 MB body)
    nice python bench/bench_web.py --stories 0      # no ../shared needed

The database is built once under --work (default /tmp/xinwen-bench-web) and reused; --rebuild starts over.
Times are medians (and p95) of --repeat requests after one warm-up, on whatever cores the machine gives.
The first row, a static file, is the cost of a request through the test client with no view at all.

HTML and JSON are measured with the server's caches off (every request computes its page, as the first
reader after a write does); "HTML cached" with them on, as `xinwen serve` runs: the page kept for the
database state and served again (bench/bench_load.py measures the whole server under load).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import hostile_record  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from xinwen.collection import Collection  # noqa: E402
from xinwen.web.app import create_app  # noqa: E402
from xinwen.web.settings import ServeSettings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"


def build(work: Path, stories: int, rebuild: bool) -> Path:
    db = work / f"web-{stories}.db"
    if db.exists() and not rebuild:
        return db
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob(f"web-{stories}.db*"):
        old.unlink()
    records = [hostile_record()]
    if stories:
        with gzip.open(SHARED, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        records += rows[:: max(1, len(rows) // stories)][:stories]
    jsonl = work / f"web-{stories}.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    started = time.perf_counter()
    with Collection(db) as c:
        c.ingest([str(ROOT / "src/xinwen/data/news-page.txt"), str(jsonl)], progress=False)
        print(f"built {db}: {c.count()} articles in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--work", type=Path, default=Path("/tmp/xinwen-bench-web"))
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    if args.stories and not SHARED.exists():
        sys.exit(f"{SHARED} is missing; use --stories 0")
    db = build(args.work, args.stories, args.rebuild)
    c = Collection(db, readonly=True)
    uncached = ServeSettings(db=str(db), response_cache_bytes=0, part_cache_entries=0)
    client = TestClient(create_app(str(db), collection=c, settings=uncached, warm_up=False))
    cached_client = TestClient(create_app(str(db), collection=c, settings=ServeSettings(db=str(db)), warm_up=False))
    sample = next(a.id for a in c.list(limit=c.count()) if a.title.startswith("上海宝山"))
    tag = c.get(sample).tags[0]
    newest = max(a.published for a in c.list(limit=20) if a.published)
    recent = (newest - timedelta(days=70)).date().isoformat()  # what the home page asks trends for

    views: list[tuple[str, str, Callable[[], object]]] = [
        ("(HTTP floor: a static file)", "/static/favicon.svg", lambda: None),
        ("home", "/", lambda: (c.count(), c.list(limit=20),
                               c.trends(period="week", top=12, tags=[], since=recent))),
        ("article", f"/articles/{sample}", lambda: (c.get(sample), c.related(sample, k=5), c.copies(sample))),
        ("article 1 MB hostile", "/articles/hostile-1",
         lambda: (c.get("hostile-1"), c.related("hostile-1", k=5), c.copies("hostile-1"))),
        ("tag", f"/tags/{tag}", lambda: (c.list(tag=tag, limit=11), c.cooccurring(tag, k=12))),
        ("search 低碳", "/search?q=低碳", lambda: c.search("低碳", limit=10)),
        ("search 低碳 page 2, by time", "/search?q=低碳&page=2&sort=time",
         lambda: c.search("低碳", limit=10, offset=10, sort="time")),
        ("trends (month)", "/trends", lambda: c.trends(period="month", top=8)),
        ("duplicates", "/duplicates", lambda: c.duplicates(limit=100)),
    ]

    print(f"{c.count()} articles; median (p95) ms of {args.repeat} requests; anchor = the Collection call(s)")
    print(f"{'page':30} {'anchor':>16} {'HTML':>16} {'JSON':>16} {'HTML/anchor':>12} {'HTML cached':>16} {'KB':>7}")
    for name, path, anchor in views:
        a50, a95 = timed(anchor, args.repeat)
        h50, h95 = timed(lambda p=path: client.get(p).raise_for_status(), args.repeat)
        j50, j95 = timed(lambda p=path: client.get(p, headers={"Accept": "application/json"}).raise_for_status(),
                         args.repeat)
        c50, c95 = timed(lambda p=path: cached_client.get(p).raise_for_status(), args.repeat)
        size = len(client.get(path).content) / 1024
        print(f"{name:30} {a50:8.1f} ({a95:5.1f}) {h50:8.1f} ({h95:5.1f}) {j50:8.1f} ({j95:5.1f}) "
              f"{f'{h50 / a50:.1f}x' if a50 > 0.01 else '-':>12} {c50:8.1f} ({c95:5.1f}) {size:7.0f}")


if __name__ == "__main__":
    main()

"""A million articles on one machine: build a 1,000,000-article collection with `xinwen ingest` as a user
runs it, then measure what readers wait for at that size.

    nice python bench/bench_million.py                           # make the input, ingest it, query it
    nice python bench/bench_million.py --articles 20000          # a smaller run of the same
    python bench/bench_million.py --phase query --work /tmp/xinwen-million   # only the queries, again

Input (`make`): N articles resampled from the 19,876 xinwenlianbo stories, streamed to a gzipped JSON Lines
file, each with a new id, one of five sources and a random time in 2016-2026. Each takes a random story's
title and lead; three in ten are reprints of that story (its paragraphs, one of them sometimes dropped, an
editor's line added: the copy check puts them in a cluster), the others go on with one or two paragraphs
of each of two other random stories, about a fifth of their digits changed (so two of them share a lead
and nothing else, and are not copies). Every story is drawn about 50 times at a million.

Ingest (`ingest`): `xinwen ingest FILE --db DB --json --workers W` (W default: the machine's cores) in a
child process, timed from outside, with the peak resident set of it and its workers; then the database
and side-file sizes. jieba.analyse.extract_tags alone over the first 20,000 of the same texts gives the
anchor's articles/s, same run.

Queries (`query`), on the built collection:
- cold: one CLI command in a fresh process, as a user types it (start-up, opening the collection and
  whatever it loads for that command, the answer): `search`, `related`, `list --tag`, `trends`, the
  median of 5 runs each;
- warm: p50 / p95 of each through the Python API in one process that opened the collection once (what
  a server worker answers), after one untimed call of each kind; the first call's time reported apart.
Queries: two words of a random article's title (as bench_search.py makes them); related for random
stored ids; `list --tag` for tags drawn from the 1,000 commonest; trends by week over everything and by
month over a random year.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import ANCHOR, child  # noqa: E402
from bench_search import make_query  # noqa: E402
from timing import pct  # noqa: E402

XWLB = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
SOURCES = ["新华社", "人民日报", "央视网", "光明日报", "经济日报"]
EDITORS = ["王伟", "李娜", "张敏", "刘洋", "陈静"]
START = 1451606400.0  # 2016-01-01 UTC
END = 1787000000.0  # 2026-08
DIGIT = re.compile(r"\d")


def make(out: Path, n: int, seed: int = 1) -> float:
    """Write n resampled articles to out (gzipped JSON Lines); returns MB of text written."""
    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        stories = [json.loads(line) for line in fh if line.strip()]
    paras = [[p for p in (s.get("body") or "").split("\n") if p.strip()] for s in stories]
    rng = random.Random(seed)

    def nudge(m: re.Match[str]) -> str:
        return str(rng.randrange(10)) if rng.random() < 0.2 else m.group(0)

    chars = 0
    tmp = out.with_suffix(".part")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as fh:
        for k in range(n):
            i = rng.randrange(len(stories))
            own = paras[i]
            if rng.random() < 0.3:  # a reprint
                body = list(own)
                if len(body) > 2 and rng.random() < 0.5:
                    del body[rng.randrange(1, len(body))]
                text = "\n".join(body + [f"（责任编辑：{rng.choice(EDITORS)}）"])
            else:
                lead = next((j for j, p in enumerate(own) if len(p) >= 40), 0)  # past a dateline (央视网消息)
                body = own[: lead + 1]
                for _ in range(2):
                    other = paras[rng.randrange(len(paras))]
                    body += rng.sample(other, min(len(other), rng.choice((1, 2))))
                text = DIGIT.sub(nudge, "\n".join(body))
            ts = START + rng.random() * (END - START)
            record = {
                "id": f"m{k:07d}",
                "title": stories[i]["title"],
                "body": text,
                "source": SOURCES[rng.randrange(len(SOURCES))],
                "published": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ts + 8 * 3600)),
            }
            chars += len(record["title"]) + 1 + len(text)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(out)
    return chars * 3 / 2**20  # CJK text is 3 bytes a character in UTF-8


def sizes(db: Path) -> dict[str, int]:
    return {f.name: f.stat().st_size for f in sorted(db.parent.glob(db.name + "*")) if f.is_file()}


def anchor(corpus: Path, n: int, env: dict[str, str]) -> float:
    """jieba's articles/s over the first n texts of corpus (one core, a child process)."""
    plain = corpus.with_name("anchor.jsonl")
    with gzip.open(corpus, "rt", encoding="utf-8") as fh, plain.open("w", encoding="utf-8") as out:
        for _, line in zip(range(n), fh, strict=False):
            out.write(line)
    _, _, got = child([sys.executable, "-c", ANCHOR, str(plain)], env)
    plain.unlink()
    return n / float(got.strip().splitlines()[-1])


def ingest(work: Path, corpus: Path, workers: int, env: dict[str, str], resume: bool = False) -> dict:
    """Ingest the corpus into a new collection; with `resume`, into the collection a stopped ingest left, where
    the ingest skips what is stored and goes on. Each run is noted in WORK/runs.json when it starts; a run that
    was stopped lasted until it last wrote the collection's files. The time is the runs' sum."""
    db = work / "million.db"
    runs_path = work / "runs.json"
    runs = json.loads(runs_path.read_text()) if resume and runs_path.exists() else []
    if not resume:
        for old in work.glob("million.db*"):
            old.unlink()
    for run in runs:
        if "seconds" not in run:  # stopped: it ran until its last commit
            run["seconds"], run["peak_mb"], run["stopped"] = _last_commit(db) - run["started"], None, True
    runs.append({"started": time.time(), "stored_before": _stored(db)})
    runs_path.write_text(json.dumps(runs, indent=1))
    seconds, peak, out = child([sys.executable, "-m", "xinwen.cli", "ingest", str(corpus), "--db", str(db),
                                "--workers", str(workers), "--json"], env)
    report = json.loads(out)
    runs[-1].update(seconds=seconds, peak_mb=peak, added=report["added"])
    runs_path.write_text(json.dumps(runs, indent=1))
    return {"seconds": sum(r["seconds"] for r in runs), "peak_mb": max(r["peak_mb"] or 0 for r in runs),
            "workers": workers, "runs": runs, "report": {k: v for k, v in report.items() if k != "problems"},
            "problems": len(report.get("problems", [])), "sizes": sizes(db), "copies": copies(db)}


def _stored(db: Path) -> int:
    return int(_row(db, "SELECT count(*) FROM articles")[0] or 0) if db.exists() else 0


def _last_commit(db: Path) -> float:
    """When the collection's files were last written (a commit, the fitted state)."""
    return max((f.stat().st_mtime for f in db.parent.glob(db.name + "*") if f.is_file()), default=time.time())


def _row(db: Path, sql: str) -> tuple:
    """The one row a query of the collection answers (opened read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()
    finally:
        conn.close()


def copies(db: Path) -> dict[str, int]:
    """Articles the copy check put in a cluster (as copies of another), and the clusters."""
    n, clusters = _row(db, "SELECT count(*), count(DISTINCT canonical) FROM duplicate_of")
    return {"copies": n, "clusters": clusters}


def workload(db: Path, n: int, seed: int = 5) -> dict[str, list]:
    """Queries for each kind, drawn from the stored collection."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        top = conn.execute("SELECT max(rowid) FROM articles").fetchone()[0]
        picked = []
        while len(picked) < n:
            row = conn.execute("SELECT id, title FROM articles WHERE rowid = ?", (rng.randint(1, top),)).fetchone()
            if row:
                picked.append(row)
        tags = [t for (t,) in conn.execute(
            "SELECT tag FROM article_tags GROUP BY tag ORDER BY count(*) DESC LIMIT 1000")]
    finally:
        conn.close()
    queries = [q for _, title in picked if (q := make_query(title, rng))][:n]
    years = [str(y) for y in range(2016, 2026)]
    return {
        "search": queries,
        "related": [i for i, _ in picked],
        "list --tag": [rng.choice(tags) for _ in range(n)],
        "trends": [("week", None, None) if k % 2 == 0 else ("month", f"{y}-01-01", f"{y}-12-31")
                   for k, y in enumerate(rng.choice(years) for _ in range(n))],
    }


def cold(db: Path, work: dict[str, list], env: dict[str, str], runs: int = 5) -> dict[str, float]:
    """Median wall seconds of one CLI command in a fresh process, for each kind."""
    cli = [sys.executable, "-m", "xinwen.cli"]
    commands = {
        "search": lambda k: [*cli, "search", work["search"][k], "--db", str(db), "--json"],
        "related": lambda k: [*cli, "related", work["related"][k], "--db", str(db), "--json"],
        "list --tag": lambda k: [*cli, "list", "--tag", work["list --tag"][k], "--db", str(db), "--json"],
        "trends": lambda k: [*cli, "trends", "--db", str(db), "--json"],
    }
    got = {}
    for kind, make_cmd in commands.items():
        times = []
        for k in range(runs):
            t0 = time.perf_counter()
            subprocess.run(make_cmd(k), check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - t0)
        got[kind] = statistics.median(times)
    return got


def warm(db: Path, work: dict[str, list]) -> dict[str, dict[str, float]]:
    """First-call seconds, then p50 / p95 ms of each kind through the API of one opened collection."""
    sys.path.insert(0, str(ROOT / "src"))
    from xinwen.collection import Collection

    got: dict[str, dict[str, float]] = {}
    t0 = time.perf_counter()
    with Collection(db, readonly=True) as c:
        opened = time.perf_counter() - t0
        calls = {
            "search": lambda q: c.search(q, limit=10),
            "related": lambda i: c.related(i, k=5),
            "list --tag": lambda t: c.list(tag=t, limit=20),
            "trends": lambda p: c.trends(period=p[0], since=p[1], until=p[2]),
        }
        for kind, call in calls.items():
            items = work[kind]
            t0 = time.perf_counter()
            call(items[0])
            first = time.perf_counter() - t0
            times = []
            for item in items[1:]:
                t0 = time.perf_counter()
                call(item)
                times.append((time.perf_counter() - t0) * 1000)
            got[kind] = {"first_s": first, "p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "n": len(times)}
    got["open"] = {"seconds": opened}
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/xinwen-million"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--phase", choices=["all", "make", "ingest", "query"], default="all")
    ap.add_argument("--resume", action="store_true",
                    help="go on with an ingest that was stopped (its runs so far are in WORK/runs.json) "
                         "instead of starting a new collection")
    ap.add_argument("--queries", type=int, default=200, help="warm queries of each kind")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the xinwen source tree to run")
    args = ap.parse_args()
    if not XWLB.exists():
        print(f"missing {XWLB}", file=sys.stderr)
        return 1
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / f"resampled{args.articles}.jsonl.gz"
    results_path = args.work / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    env = dict(os.environ, PYTHONPATH=str(args.src.resolve()), XINWEN_NO_PROGRESS="1")
    if args.phase in ("all", "make") or not corpus.exists():
        t0 = time.perf_counter()
        mb = make(corpus, args.articles)
        results["input"] = {"articles": args.articles, "text_mb": mb, "file_bytes": corpus.stat().st_size,
                            "seconds": time.perf_counter() - t0}
        print(f"{args.articles:,} resampled articles, {mb:,.0f} MB of text, in {corpus}", flush=True)
    if args.phase in ("all", "ingest"):
        sample = min(20_000, args.articles)
        results["anchor_articles_s"] = anchor(corpus, sample, env)
        results["ingest"] = ingest(args.work, corpus, args.workers, env, args.resume)
        results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        ing = results["ingest"]
        rate = args.articles / ing["seconds"]
        print(f"xinwen ingest --workers {ing['workers']}: {ing['seconds']:,.0f} s, {rate:,.0f} articles/s "
              f"({rate / results['anchor_articles_s']:.2f}x jieba's {results['anchor_articles_s']:,.0f}/s on "
              f"the first {sample:,}), peak {ing['peak_mb']:,.0f} MB; {ing['report']}; {ing['copies']}")
        for name, size in ing["sizes"].items():
            print(f"  {name:32} {size / 2**20:10,.1f} MB")
    if args.phase in ("all", "query"):
        db = args.work / "million.db"
        work = workload(db, args.queries + 1)
        results["cold_s"] = cold(db, work, env)
        results["warm"] = warm(db, work)
        results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        print(f"opening the collection (API): {results['warm']['open']['seconds']:.2f} s")
        print(f"{'':12} {'CLI, fresh process':>19} {'first API call':>15} {'p50 ms':>8} {'p95 ms':>8}")
        for kind in ("search", "related", "list --tag", "trends"):
            w = results["warm"][kind]
            print(f"{kind:12} {results['cold_s'][kind]:17.2f} s {w['first_s']:13.2f} s {w['p50_ms']:8.1f} "
                  f"{w['p95_ms']:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

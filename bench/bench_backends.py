"""SQLite beside PostgreSQL: the same resampled articles stored in each backend, same run.

    nice python bench/bench_backends.py --pg postgresql://xinwen@127.0.0.1:5432/postgres
    nice python bench/bench_backends.py --articles 20000 --queries 300 --related 200
    eval "$(.ci/postgres.sh)" && nice python bench/bench_backends.py    # a throwaway server ($XINWEN_TEST_PG_DSN)

--pg names a server and a role that may create databases: the bench makes its own there
(xinwen_bench_<N>, xinwen_bench_writers_1, xinwen_bench_writers_2), and the SQLite files under --work
(default /tmp/xinwen-bench). Built collections are reused until --rebuild.

Articles: resampled from the 19,876 xinwenlianbo stories as bench/bench_search.py does: each takes a
random story's title, tags and paragraphs (shuffled after the first), one paragraph of another random
story, a random date in 2016-2026 and one of five sources; index terms are the real pipeline's (segment
+ search_terms), per paragraph. The stories are analyzed once with the real Analyzer (tags, tag
weights, title terms; cached under --work), the fingerprint is the MinHash of the article's own words.

Measured, for each backend:
- store write: the articles stored in batches of 256 as `xinwen ingest` stores them (upsert and the
  copy check, one transaction per batch), from the analyses made beforehand: the part of ingest a
  backend does (analysis costs the same whatever the store); then the related vectors' fit.
- search: `Collection.search(q, limit=10)` end to end (parse, count, facets, title tier, ranked page,
  highlights) for two-word queries (words of a random article's title), every query once untimed
  first; p50 / p95 wall clock, the backends taking turns query by query.
- related: `Collection.related(id, k=5)` for random stored articles (the first call, which loads the
  saved vectors, reported apart).
- overlap: for each query, the share of SQLite's top 10 (ids) that PostgreSQL returns too, averaged;
  the same for related articles' top 5.
Writers (PostgreSQL): the first --writer-stories xinwenlianbo stories through `xinwen ingest --workers 1
--no-fit` (the whole pipeline: read, analyze, store, copy check) by one process into a new database,
then split in two halves by two processes at once into another; articles/s of each, and a check that
both hold every story once.

The client is pinned to one CPU; the server runs wherever the system puts it (on this 2-core machine,
beside the client).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pickle
import random
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_search import make_query  # noqa: E402
from timing import pct, pin_one_core  # noqa: E402

from xinwen.article import Article, content_hash  # noqa: E402
from xinwen.collection import Collection  # noqa: E402
from xinwen.store.base import ArticleWrite  # noqa: E402

XWLB = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
SOURCES = ["新华社", "人民日报", "央视网", "光明日报", "经济日报"]
BATCH = 256


# -- the source stories, analyzed once ---------------------------------------------------------
_analyzer = None


def _init() -> None:
    global _analyzer
    from xinwen.analysis.pipeline import Analyzer

    _analyzer = Analyzer()


def _analyze(story: dict) -> tuple:
    """(title, tags, tag weights, title terms, paragraphs, their terms, their words) of one story."""
    assert _analyzer is not None
    seg = _analyzer.segmenter
    r = _analyzer.analyze(Article(title=story["title"], body=story["body"]))
    paras = [p for p in story["body"].split("\n") if p.strip()]
    words = [seg.cut(p) for p in paras]
    terms = [" ".join(t for t in seg.search_terms(w) if t.strip()) for w in words]
    return story["title"], r.tags, r.tag_weights, r.title_terms, paras, terms, words


def stories(work: Path) -> list[tuple]:
    cache = work / "backends-stories.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        raw = [json.loads(line) for line in fh]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1, initializer=_init) as pool:
        out = list(pool.map(_analyze, raw, chunksize=64))
    print(f"analyzed the {len(out):,} source stories once in {time.perf_counter() - t0:.0f} s (cached in {cache})")
    cache.write_bytes(pickle.dumps(out))
    return out


def resampled(source: list[tuple], n: int, seed: int = 100) -> list[ArticleWrite]:
    """n articles as bench_search.py resamples them (see the module text), with what ingest would store."""
    from datetime import UTC, datetime

    from xinwen.analysis.fingerprint import fingerprint

    rng = random.Random(seed)
    start, span = 1451606400.0, 1787000000.0 - 1451606400.0  # 2016-01-01 .. 2026-08
    out = []
    for k in range(n):
        title, tags, weights, title_terms, paras, terms, words = source[rng.randrange(len(source))]
        other = source[rng.randrange(len(source))]
        order = list(range(len(paras)))
        rest = order[1:]
        rng.shuffle(rest)
        chosen = order[:1] + rest
        body_p = [paras[i] for i in chosen]
        body_t = [terms[i] for i in chosen]
        body_w = [w for i in chosen for w in words[i]]
        if other[4]:
            j = rng.randrange(len(other[4]))
            body_p.append(other[4][j])
            body_t.append(other[5][j])
            body_w += other[6][j]
        published = datetime.fromtimestamp(start + rng.random() * span, UTC)
        a = Article(id=f"r{k}", title=title, body="\n".join(body_p), published=published, tags=list(tags),
                    source=SOURCES[rng.randrange(len(SOURCES))], snippet=body_p[0][:120] if body_p else "")
        out.append(ArticleWrite(a, content_hash(a), title_terms, " ".join(body_t), fingerprint(body_w),
                                dict(weights)))
    return out


# -- CPU time: the client's, and the PostgreSQL server processes' serving it ----------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def server_pids(c: Collection) -> list[int]:
    """The server processes serving this collection's PostgreSQL database (none for SQLite); they run on
    this machine, so /proc tells their CPU time."""
    if not c.db_path.startswith("postgresql://"):
        return []
    import psycopg

    with psycopg.connect(c.db_path, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()").fetchall()
    return [int(r[0]) for r in rows]


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each process has used so far (those gone are left out)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


class ServerCPU:
    """The CPU time the server processes of a collection use between `start` and `stop` (those the pool
    opens meanwhile counted from zero; a process that ends meanwhile is lost: the pool keeps them)."""

    def __init__(self, c: Collection) -> None:
        self.c = c
        self.before: dict[int, float] = {}

    def start(self) -> None:
        self.before = cpu_of(server_pids(self.c))

    def stop(self) -> float:
        after = cpu_of(server_pids(self.c))
        return sum(v - self.before.get(pid, 0.0) for pid, v in after.items())


# -- building each backend -----------------------------------------------------------------------
def build(location: str, writes: list[ArticleWrite], info_path: Path) -> dict:
    """Store the articles as ingest does (batches, copy check), then fit the related vectors; what each
    step took is saved in `info_path` as soon as it is done (a failed fit does not cost the writing)."""
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    with Collection(location) as c:
        store, copies = c.store, c.copy_detector
        if "write_s" not in info:
            copies.ensure_ready()
            server = ServerCPU(c)
            server.start()
            t0, cpu0 = time.perf_counter(), time.process_time()
            for i in range(0, len(writes), BATCH):
                with store.transaction():
                    written = store.upsert(writes[i : i + BATCH])
                    copies.on_stored(written)
                if (i // BATCH + 1) % 40 == 0:  # about every 10,000 articles
                    print(f"    {location.split('/')[-1]}: {i + BATCH:,} stored, {time.perf_counter() - t0:.0f} s",
                          flush=True)
            info["write_s"] = time.perf_counter() - t0
            info["write_cpu_s"] = time.process_time() - cpu0
            info["write_server_cpu_s"] = server.stop()
            t0 = time.perf_counter()
            if hasattr(store, "optimize"):
                store.optimize()  # PostgreSQL: VACUUM ANALYZE after a bulk load
            info["vacuum_s"] = time.perf_counter() - t0
            info_path.write_text(json.dumps(info))
        if "fit_s" not in info:
            t0, cpu0 = time.perf_counter(), time.process_time()
            c.fit_vectors()
            info["fit_s"] = time.perf_counter() - t0
            info["fit_cpu_s"] = time.process_time() - cpu0
        info.update(articles=c.count(), clusters=len(c.duplicates()))
        info_path.write_text(json.dumps(info))
        return info


def collections(args: argparse.Namespace, writes_of) -> tuple[str, str, dict]:  # type: ignore[no-untyped-def]
    from xinwen.store.postgres_admin import create_database, database_exists, with_database

    n = args.articles
    sqlite_db = args.work / f"backends{n}.db"
    pg_name = f"xinwen_bench_{n}"
    pg_db = with_database(args.pg, pg_name)
    infos = {name: args.work / f"backends{n}.{name}.json" for name in ("sqlite", "postgres")}
    if args.rebuild or not sqlite_db.exists():
        infos["sqlite"].unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm", ".stats.json", ".related.npz", ".fit.lock"):
            Path(str(sqlite_db) + suffix).unlink(missing_ok=True)
    if args.rebuild or not database_exists(args.pg, pg_name):
        infos["postgres"].unlink(missing_ok=True)
        create_database(args.pg, pg_name, replace=True)
    writes: list[ArticleWrite] | None = None
    info = {}
    for name, location in (("sqlite", str(sqlite_db)), ("postgres", pg_db)):
        done = json.loads(infos[name].read_text()) if infos[name].exists() else {}
        if "fit_s" not in done:
            if writes is None and "write_s" not in done:
                writes = writes_of()
            info[name] = build(location, writes or [], infos[name])
            got = info[name]
            print(f"built {name}: {got['articles']:,} articles, store write {got['write_s']:.1f} s "
                  f"({got['articles'] / got['write_s']:.0f}/s), related fit {got['fit_s']:.1f} s")
        else:
            info[name] = done
    return str(sqlite_db), pg_db, info


# -- timing ---------------------------------------------------------------------------------------
def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def overlap(a: list[str], b: list[str]) -> float | None:
    if not a and not b:
        return None
    return len(set(a) & set(b)) / max(len(a), len(b))


def compare(args: argparse.Namespace, sqlite_db: str, pg_db: str) -> None:
    print("  " + pin_one_core())
    with Collection(sqlite_db) as lite, Collection(pg_db) as pg:
        both = {"sqlite": lite, "postgres": pg}
        titles = [a.title for a in lite.list(limit=20000)]
        rng = random.Random(5)
        queries: list[str] = []
        while len(queries) < args.queries:
            q = make_query(rng.choice(titles), rng, sizes=(2,))
            if q:
                queries.append(q)
        first = {name: timed(c.doc_values)[0] for name, c in both.items()}
        print("  doc values read into memory once per process: "
              + ", ".join(f"{name} {ms:.0f} ms" for name, ms in first.items()))
        for q in queries:  # warm caches and the segmenter: every query once, untimed
            for c in both.values():
                c.search(q, limit=10)
        wall: dict[str, list[float]] = {name: [] for name in both}
        hits: dict[str, list[list[str]]] = {name: [] for name in both}
        totals: dict[str, list[int]] = {name: [] for name in both}
        cpu: dict[str, dict[str, float]] = {"search": {}, "related": {}}  # ms a call, client + server
        client = {name: 0.0 for name in both}
        servers = {name: ServerCPU(c) for name, c in both.items()}
        for server in servers.values():
            server.start()
        for q in queries:
            for name, c in both.items():
                cpu0 = time.process_time()
                ms, r = timed(lambda c=c, q=q: c.search(q, limit=10))
                client[name] += time.process_time() - cpu0
                wall[name].append(ms)
                hits[name].append([h.article.id for h in r.hits])
                totals[name].append(r.total)
        for name, server in servers.items():
            cpu["search"][name] = (client[name] + server.stop()) * 1000 / len(queries)
        same_total = sum(a == b for a, b in zip(totals["sqlite"], totals["postgres"], strict=True))
        search_overlap = [o for o in (overlap(a, b) for a, b in zip(hits["sqlite"], hits["postgres"], strict=True))
                          if o is not None]
        identical = sum(a == b for a, b in zip(hits["sqlite"], hits["postgres"], strict=True))
        # related: random stored articles
        ids = [a.id for a in lite.list(limit=args.articles)]
        picks = random.Random(9).sample(ids, min(args.related, len(ids)))
        load = {name: timed(lambda c=c: c.related(picks[0], k=5))[0] for name, c in both.items()}
        rel_wall: dict[str, list[float]] = {name: [] for name in both}
        rel_hits: dict[str, list[list[str]]] = {name: [] for name in both}
        client = {name: 0.0 for name in both}
        for server in servers.values():
            server.start()
        for i in picks:
            for name, c in both.items():
                cpu0 = time.process_time()
                ms, got = timed(lambda c=c, i=i: c.related(i, k=5))
                client[name] += time.process_time() - cpu0
                rel_wall[name].append(ms)
                rel_hits[name].append([h.article.id for h in got])
        for name, server in servers.items():
            cpu["related"][name] = (client[name] + server.stop()) * 1000 / len(picks)
        rel_overlap = [o for o in (overlap(a, b) for a, b in zip(rel_hits["sqlite"], rel_hits["postgres"],
                                                                     strict=True)) if o is not None]
    print(f"\n{len(queries)} two-word queries (median matches {statistics.median(totals['sqlite']):.0f}, "
          f"max {max(totals['sqlite']):,}); {len(picks)} related lookups (first call, loading the vectors: "
          + ", ".join(f"{n} {ms:.0f} ms" for n, ms in load.items()) + ")")
    print(f"{'ms (wall)':22} {'sqlite p50':>11} {'sqlite p95':>11} {'pg p50':>8} {'pg p95':>8} {'target p95':>11}"
          f" {'CPU ms/call sqlite':>19} {'pg (client+server)':>19}")
    for label, data, target, part in (("search + facets", wall, 20, "search"), ("related k=5", rel_wall, 30, "related")):
        s, p = data["sqlite"], data["postgres"]
        print(f"{label:22} {pct(s, 50):11.2f} {pct(s, 95):11.2f} {pct(p, 50):8.2f} {pct(p, 95):8.2f} "
              f"{'<= ' + str(target):>11} {cpu[part]['sqlite']:19.2f} {cpu[part]['postgres']:19.2f}")
    print(f"search: the same total in {same_total}/{len(queries)} queries; top-10 overlap "
          f"{statistics.mean(search_overlap):.3f} (identical top 10 in {identical}/{len(queries)})")
    print(f"related: top-5 overlap {statistics.mean(rel_overlap):.3f}")


# -- writers --------------------------------------------------------------------------------------
def writers(args: argparse.Namespace) -> None:
    from xinwen.store.postgres_admin import create_database

    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        raw = [json.loads(line) for _, line in zip(range(args.writer_stories), fh, strict=False)]
    folder = args.work / "writers"
    folder.mkdir(exist_ok=True)
    files = {}
    for name, part in (("all", raw), ("first", raw[::2]), ("second", raw[1::2])):
        files[name] = folder / f"{name}.jsonl"
        files[name].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
    env = {**os.environ, "XINWEN_NO_PROGRESS": "1",  # the ingests run this checkout's xinwen
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}

    def ingest(path: Path, dsn: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "xinwen.cli", "ingest", str(path), "--db", dsn,
                                 "--workers", "1", "--no-fit", "--json"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    rows = []
    for label, parts in (("one writer", ["all"]), ("two writers at once", ["first", "second"])):
        dsn = create_database(args.pg, f"xinwen_bench_writers_{len(parts)}", replace=True)
        Collection(dsn).close()  # the schema, made before the clock starts
        t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = [ingest(files[p], dsn) for p in parts]
        outs = [p.communicate() for p in procs]
        seconds = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
        for proc, (_out, err) in zip(procs, outs, strict=True):
            if proc.returncode:
                raise SystemExit(f"ingest failed: {err[-2000:]}")
        with Collection(dsn) as c:
            stored, clusters = c.count(), len(c.duplicates())
        rows.append((label, len(raw) / seconds, seconds, cpu, stored, clusters))
    print(f"\nwriters into PostgreSQL: the first {len(raw):,} xinwenlianbo stories, `xinwen ingest --workers 1 "
          "--no-fit` per writer (read, analyze, store, copy check)")
    print(f"{'':22} {'articles/s':>11} {'seconds':>8} {'CPU s':>7} {'stored':>7} {'clusters':>9}")
    for label, rate, seconds, cpu, stored, clusters in rows:
        print(f"{label:22} {rate:11.1f} {seconds:8.1f} {cpu:7.0f} {stored:7d} {clusters:9d}")
    print(f"two writers / one: {rows[1][1] / rows[0][1]:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default=os.environ.get("XINWEN_BENCH_PG_DSN") or os.environ.get("XINWEN_TEST_PG_DSN"),
                    help="a PostgreSQL server's DSN, as a role that may create databases "
                         "(default: $XINWEN_BENCH_PG_DSN, else $XINWEN_TEST_PG_DSN)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/xinwen-bench"))
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--related", type=int, default=200)
    ap.add_argument("--writer-stories", type=int, default=8000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--only", choices=["compare", "writers"], help="run one part only")
    args = ap.parse_args()
    if not args.pg:
        print("no PostgreSQL server: give --pg DSN (or run `eval \"$(.ci/postgres.sh)\"` first)", file=sys.stderr)
        return 1
    if not XWLB.exists():
        print(f"missing {XWLB}", file=sys.stderr)
        return 1
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XINWEN_NO_PROGRESS", "1")
    if args.only != "writers":
        sqlite_db, pg_db, info = collections(
            args, lambda: resampled(stories(args.work), args.articles))
        n = info["sqlite"]["articles"]
        print(f"{n:,} resampled articles in each backend; store write (upsert + copy check, batches of {BATCH}):")
        for name, got in info.items():
            cpu = f"CPU {got.get('write_cpu_s', 0):.0f} s client"
            if got.get("write_server_cpu_s"):
                cpu += f" + {got['write_server_cpu_s']:.0f} s server"
            print(f"  {name:9} {got['write_s']:7.1f} s  {got['articles'] / got['write_s']:7.0f} articles/s ({cpu});  "
                  f"related fit {got['fit_s']:5.1f} s;  {got['clusters']:,} clusters of copies")
        compare(args, sqlite_db, pg_db)
    if args.only != "compare":
        writers(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Search benchmarks: ours beside the anchors (LIKE scanning, FTS5's trigram tokenizer), same input, same run.

    nice python bench/bench_search.py quality   # 200 title queries on the 19,876 xinwenlianbo stories
    nice python bench/bench_search.py speed     # two-word queries over 100,000 resampled stories

Databases are built once under --work (default /tmp/xinwen-bench) and reused; --rebuild starts over.

quality: the whole xinwenlianbo corpus is ingested with the real pipeline (`Collection.ingest`). From the
stories whose title is unique in the corpus (a title printed on many days, like 国内联播快讯, cannot name
one story), a seeded draw takes 200; each query is 2 or 3 distinct words (jieba, two or more characters,
not stopwords) of the story's own title, in random order. Reported: the share with the story in the top
10 (and top 1, MRR), for ours, for LIKE scanning (every word in title or body; ranked by how many words
the title holds, then newest) and for a trigram FTS5 index over title and body (ranked by BM25 over the
words of 3+ characters; shorter words, which trigram MATCH cannot look up, as LIKE filters on it).
`--set tune` draws a disjoint set of stories, for choosing weights without looking at the reported set;
`--words run` takes a run of 2-3 content words in the title's order instead (a half-remembered headline).
Last line: how far any ranking that sees only the query can go on the draw (see `bounds`).

speed: 100,000 articles resampled from xinwenlianbo: each takes a random story's title, tags and
paragraphs (shuffled after the first), one paragraph of another random story, and a random date in
2016-2026; index terms are those of the real pipeline (segment + search_terms), per paragraph. Queries
are two words of a random article's title. Timed on one core (the process is pinned to one CPU):
`Collection.search` end to end (parse, count, facets, ranked page, highlights) and without facets;
LIKE scanning on the same database as the anchor. Also index size and build time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from timing import pct, pin_one_core  # noqa: E402

from xinwen.analysis.lexicon import stopwords  # noqa: E402
from xinwen.analysis.segment import PLAIN, cut  # noqa: E402
from xinwen.collection import Collection  # noqa: E402

XWLB = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"


# -- queries -----------------------------------------------------------------
def title_words(title: str) -> list[str]:
    stop = stopwords()
    out: list[str] = []
    for w in cut(title):
        w = w.strip()
        if len(w) >= 2 and any(ch.isalnum() for ch in w) and w not in stop and w not in out:
            out.append(w)
    return out


def make_query(title: str, rng: random.Random, sizes: tuple[int, ...] = (2, 3), words: str = "random") -> str | None:
    """2-3 of the title's content words: any, in random order ("random"), or a run of them in the
    title's order ("run": what a reader who half remembers a headline types)."""
    ws = title_words(title)
    k = rng.choice([s for s in sizes if s <= len(ws)] or [0])
    if not k:
        return None
    if words == "run":
        start = rng.randrange(len(ws) - k + 1)
        return " ".join(ws[start : start + k])
    return " ".join(rng.sample(ws, k))


# -- the real corpus -----------------------------------------------------------
def real_db(work: Path, rebuild: bool) -> Path:
    db = work / "xwlb.db"
    if db.exists() and not rebuild:
        return db
    for suffix in ("", "-wal", "-shm", ".stats.json"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    with Collection(db) as c:
        report = c.ingest([XWLB], progress=False)
    print(f"built {db}: {report.added} stories in {time.perf_counter() - t0:.0f} s (the full ingest pipeline)")
    return db


def add_trigram(conn, table: str = "tri") -> float:  # type: ignore[no-untyped-def]
    """A trigram FTS5 index over articles(title, body); returns build seconds (0 when already there)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name=?", (table,)).fetchone():
        return 0.0
    t0 = time.perf_counter()
    conn.execute(
        f"CREATE VIRTUAL TABLE {table} USING fts5(title, body, content='articles', content_rowid='rowid', "
        "tokenize='trigram')"
    )
    conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
    conn.commit()
    return time.perf_counter() - t0


def like_top(conn, words: list[str], k: int = 10) -> list[str]:  # type: ignore[no-untyped-def]
    """Anchor: every word in title or body (LIKE), ranked by how many the title holds, then newest."""
    conds = " AND ".join("(title LIKE ? OR body LIKE ?)" for _ in words)
    title_hits = " + ".join("(title LIKE ?)" for _ in words)
    pats = [f"%{w}%" for w in words]
    sql = f"SELECT id FROM articles WHERE {conds} ORDER BY {title_hits} DESC, published_ts DESC LIMIT {k}"
    return [r[0] for r in conn.execute(sql, [*(p for p in pats for _ in (0, 1)), *pats])]


def trigram_top(conn, words: list[str], k: int = 10) -> list[str]:  # type: ignore[no-untyped-def]
    """Anchor: trigram FTS5; words of 3+ characters through MATCH (BM25), shorter ones as LIKE on it."""
    long = [w for w in words if len(w) >= 3]
    short = [w for w in words if len(w) < 3]
    conds, args = [], []
    if long:
        conds.append("tri MATCH ?")
        args.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long))
    for w in short:
        conds.append("(tri.title LIKE ? OR tri.body LIKE ?)")
        args += [f"%{w}%"] * 2
    order = "bm25(tri, 5.0, 1.0)" if long else "a.published_ts DESC"
    sql = (f"SELECT a.id FROM tri JOIN articles a ON a.rowid = tri.rowid WHERE {' AND '.join(conds)} "
           f"ORDER BY {order} LIMIT {k}")
    return [r[0] for r in conn.execute(sql, args)]


def quality(args: argparse.Namespace) -> None:
    db = real_db(args.work, args.rebuild)
    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        stories = [json.loads(line) for line in fh]
    unique = _unique(stories)
    rng = random.Random(2024)
    rng.shuffle(unique)
    pool = unique[:200] if args.set == "test" else unique[200:200 + args.n]
    picks = []
    qrng = random.Random(7)
    for s in pool:
        q = make_query(s["title"], qrng, words=args.words)
        if q:
            picks.append((s["id"], q))
        if len(picks) >= args.n:
            break
    with Collection(db, readonly=True) as c:
        tri_s = add_trigram(c.store.conn)
        if tri_s:
            print(f"trigram index built in {tri_s:.1f} s")
        results = {"xinwen": [], "LIKE": [], "trigram": []}
        times = {name: [] for name in results}
        misses = []
        for sid, q in picks:
            words = q.split()
            methods = [
                ("xinwen", lambda q=q: [h.article.id for h in c.search(q, limit=10, facets=False).hits]),
                ("LIKE", lambda w=words: like_top(c.store.conn, w)),
                ("trigram", lambda w=words: trigram_top(c.store.conn, w)),
            ]
            for name, fn in methods[: 1 if args.no_anchors else 3]:
                t0 = time.perf_counter()
                ids = fn()
                times[name].append(time.perf_counter() - t0)
                results[name].append(ids.index(sid) + 1 if sid in ids else 0)
            if not results["xinwen"][-1]:
                misses.append((sid, q))
    n = len(picks)
    print(f"\n{n} queries of 2-3 words from a story's own title ({args.set} set; {len(unique)} stories "
          f"have a unique title of {len(stories)}); is the story in the top 10?")
    print(f"{'method':10} {'top10':>7} {'top1':>7} {'MRR':>7} {'ms p50':>8} {'ms p95':>8}")
    for name, ranks in results.items():
        if not ranks:
            continue
        top10 = sum(1 for r in ranks if r) / n
        top1 = sum(1 for r in ranks if r == 1) / n
        mrr = sum(1 / r for r in ranks if r) / n
        ms = [t * 1000 for t in times[name]]
        print(f"{name:10} {top10:7.3f} {top1:7.3f} {mrr:7.3f} {pct(ms, 50):8.2f} {pct(ms, 95):8.2f}")
    base = sum(1 for r in results["xinwen"] if r) / n
    for name in () if args.no_anchors else ("LIKE", "trigram"):
        other = sum(1 for r in results[name] if r) / n
        print(f"xinwen / {name} top-10 share: {base / other if other else float('inf'):.2f}x")
    print(bounds(stories, picks, args.words))
    if args.show_misses:
        for sid, q in misses:
            print("  miss:", sid, q)


def bounds(stories: list[dict], picks: list[tuple[str, str]], mode: str = "random") -> str:
    """How far any ranking that sees only the query can go: many titles hold all the words of a query.

    "ambiguous": the share of queries whose words are all in more than 10 titles. "bound": the
    expected top-10 share of the best ranking under the draw itself (2-3 of the title's n content words
    taken uniformly, so a title with n words yields a given query with probability ~ 1/C(n, k)), ties
    broken at random: about what a ranking that sees only the query can expect."""
    from math import comb

    words = {s["id"]: title_words(s["title"]) for s in stories}
    ambiguous = expected = 0.0
    for sid, q in picks:
        ws = q.split()
        k = len(ws)
        if mode == "run":  # a title yields each of its n - k + 1 runs alike
            likelihood = {i: sum(t[j : j + k] == ws for j in range(len(t) - k + 1)) / (len(t) - k + 1)
                          for i, t in words.items() if all(w in t for w in ws)}
            likelihood = {i: v for i, v in likelihood.items() if v}
        else:
            likelihood = {i: 1 / comb(len(t), k) for i, t in words.items() if all(w in t for w in ws)}
        ambiguous += len(likelihood) > 10
        mine = likelihood.get(sid, 0.0)
        better = sum(1 for v in likelihood.values() if v > mine)
        ties = sum(1 for v in likelihood.values() if v == mine)
        expected += 0.0 if better >= 10 or not ties else min(1.0, (10 - better) / ties)
    n = len(picks)
    return (f"queries whose words are in more than 10 titles: {ambiguous / n:.3f}; expected top-10 share of "
            f"the ideal ranking under the draw's own model (ties at random): {expected / n:.3f}")


def _unique(stories: list[dict]) -> list[dict]:
    from collections import Counter

    counts = Counter(s["title"] for s in stories)
    return [s for s in stories if counts[s["title"]] == 1 and s["body"].strip()]


# -- speed on 100,000 ----------------------------------------------------------
def resampled_db(work: Path, n: int, rebuild: bool) -> tuple[Path, dict]:
    db = work / f"search{n // 1000}k.db"
    info_path = Path(str(db) + ".build.json")
    if db.exists() and info_path.exists() and not rebuild:
        return db, json.loads(info_path.read_text())
    for suffix in ("", "-wal", "-shm", ".stats.json", ".build.json"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    source = real_db(work, False)
    t0 = time.perf_counter()
    with Collection(source, readonly=True) as c:
        rows = [(r["title"], r["body"], r["tags"], r["title_terms"])
                for r in c.store.conn.execute("SELECT title, body, tags, title_terms FROM articles")]
    stories = []
    for title, body, tags, title_terms in rows:
        paras = [p for p in body.split("\n") if p.strip()]
        terms = [" ".join(t for t in PLAIN.search_terms(cut(p)) if t.strip()) for p in paras]
        stories.append((title, tags, title_terms, paras, terms))
    seg_s = time.perf_counter() - t0
    rng = random.Random(100)
    start = 1451606400.0  # 2016-01-01 UTC
    span = 1787000000.0 - start  # to 2026-08
    with Collection(db) as c:
        conn = c.store.conn
        t0 = time.perf_counter()
        with c.store.transaction():
            for k in range(n):
                title, tags, title_terms, paras, terms = stories[rng.randrange(len(stories))]
                other = stories[rng.randrange(len(stories))]
                order = list(range(len(paras)))
                rest = order[1:]
                rng.shuffle(rest)
                body_p = [paras[i] for i in order[:1] + rest]
                body_t = [terms[i] for i in order[:1] + rest]
                if other[3]:
                    j = rng.randrange(len(other[3]))
                    body_p.append(other[3][j])
                    body_t.append(other[4][j])
                ts = start + rng.random() * span
                published = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ts + 8 * 3600))
                cur = conn.execute(
                    "INSERT INTO articles (id, source, title, body, published, published_ts, tags, snippet, "
                    "title_terms, body_terms, content_hash, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (f"r{k}", "xinwenlianbo", title, "\n".join(body_p), published, ts, tags,
                     body_p[0][:120] if body_p else "", title_terms, " ".join(body_t), str(k), published),
                )
                conn.executemany("INSERT INTO article_tags (article, rank, tag) VALUES (?,?,?)",
                                 [(cur.lastrowid, i, t) for i, t in enumerate(json.loads(tags))])
        insert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        rebuild_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        optimize_s = time.perf_counter() - t0
        index_bytes = sum(
            conn.execute(f"SELECT coalesce(sum(length(block)), 0) FROM articles_fts_{t}").fetchone()[0]
            for t in ("data",)
        ) + conn.execute("SELECT coalesce(sum(length(sz)), 0) FROM articles_fts_docsize").fetchone()[0]
        terms_bytes = conn.execute(
            "SELECT sum(length(CAST(title_terms AS BLOB)) + length(CAST(body_terms AS BLOB))) FROM articles"
        ).fetchone()[0]
        text_bytes = conn.execute(
            "SELECT sum(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))) FROM articles"
        ).fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    info = {
        "articles": n, "segment_s": seg_s, "insert_with_triggers_s": insert_s, "fts_rebuild_s": rebuild_s,
        "fts_optimize_s": optimize_s, "index_bytes": index_bytes, "terms_bytes": terms_bytes,
        "text_bytes": text_bytes, "db_bytes": db.stat().st_size,
    }
    info_path.write_text(json.dumps(info))
    return db, info


def speed(args: argparse.Namespace) -> None:
    db, info = resampled_db(args.work, args.articles, args.rebuild)
    mb = 1 / 1e6
    print(f"{info['articles']:,} resampled articles in {db} ({info['db_bytes'] * mb:.0f} MB file)")
    print(f"  text {info['text_bytes'] * mb:.0f} MB; index terms {info['terms_bytes'] * mb:.0f} MB; "
          f"FTS5 index {info['index_bytes'] * mb:.0f} MB")
    print(f"  build: segmenting the 19,876 source stories {info['segment_s']:.1f} s; inserting "
          f"{info['articles']:,} rows with the FTS triggers {info['insert_with_triggers_s']:.1f} s; "
          f"FTS rebuild from scratch {info['fts_rebuild_s']:.1f} s; optimize {info['fts_optimize_s']:.1f} s")
    print("  " + pin_one_core())
    with Collection(db, readonly=True) as c:
        titles = [r[0] for r in c.store.conn.execute("SELECT title FROM articles ORDER BY rowid LIMIT 20000")]
        rng = random.Random(5)
        queries: list[str] = []
        while len(queries) < args.queries:
            q = make_query(rng.choice(titles), rng, sizes=(2,))
            if q:
                queries.append(q)
        t0 = time.perf_counter()
        c.doc_values()
        print(f"  facet values read into memory once per process: {(time.perf_counter() - t0) * 1000:.0f} ms")
        for q in queries:  # warm the page cache and the segmenter: every query once, untimed
            c.search(q)
        rows = []
        totals: list[int] = []
        for label, kwargs in (("xinwen search, no facets", {"facets": False}), ("xinwen search + facets", {}),
                              ("xinwen, by time, no facets", {"facets": False, "sort": "time"})):
            wall, cpu = [], []
            c.analyzer.segmenter._content.clear()  # titles' words worked out again: a query is seldom repeated
            for q in queries:
                t0, c0 = time.perf_counter(), time.process_time()
                r = c.search(q, limit=10, **kwargs)
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - t0) * 1000)
                totals.append(r.total)
            rows.append((label, len(queries), wall, cpu))
        wall, cpu = [], []
        for q in queries[: args.like_queries]:
            t0, c0 = time.perf_counter(), time.process_time()
            like_top(c.store.conn, q.split())
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
        rows.append(("anchor: LIKE scan", len(wall), wall, cpu))
    print(f"\ntwo-word queries (words of a random article's title), median matches {statistics.median(totals):.0f}"
          f", max {max(totals):,}; wall clock and CPU time (the machine is shared: CPU time is the steadier)")
    print(f"{'method':26} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'cpu p50':>8} {'cpu p95':>8}")
    for label, n, wall, cpu in rows:
        print(f"{label:26} {n:5d} {pct(wall, 50):8.2f} {pct(wall, 95):8.2f} {pct(wall, 99):8.2f} {max(wall):8.2f} "
              f"{pct(cpu, 50):8.2f} {pct(cpu, 95):8.2f}")
    ours, like = rows[0][2], rows[-1][2]
    print(f"LIKE / xinwen (no facets): p50 {pct(like, 50) / pct(ours, 50):.0f}x slower, "
          f"p95 {pct(like, 95) / pct(ours, 95):.0f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["quality", "speed"])
    ap.add_argument("--work", type=Path, default=Path("/tmp/xinwen-bench"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--n", type=int, default=200, help="quality: queries")
    ap.add_argument("--set", choices=["test", "tune"], default="test")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--words", choices=["random", "run"], default="random",
                    help="quality: any 2-3 title words in random order (default), or a run of them in title order")
    ap.add_argument("--no-anchors", action="store_true", help="quality: time only ours (for tuning)")
    ap.add_argument("--title-weight", type=float, help="override xinwen.store.sqlite.TITLE_WEIGHT (for tuning)")
    ap.add_argument("--articles", type=int, default=100_000, help="speed: resampled articles")
    ap.add_argument("--queries", type=int, default=1000, help="speed: queries timed")
    ap.add_argument("--like-queries", type=int, default=30, help="speed: queries timed for the LIKE anchor")
    args = ap.parse_args()
    if not XWLB.exists():
        print(f"missing {XWLB}", file=sys.stderr)
        return 1
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XINWEN_NO_PROGRESS", "1")
    if args.title_weight is not None:
        import xinwen.store.sqlite

        xinwen.store.sqlite.TITLE_WEIGHT = args.title_weight
    quality(args) if args.what == "quality" else speed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

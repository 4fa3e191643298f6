"""Related-articles speed over 100,000 stored articles: ours beside TF-IDF cosine, same input, same run.

    nice python bench/bench_related.py [--queries 1000] [--work /tmp/xinwen-bench] [--rebuild]
    nice python bench/bench_related.py --corpus headlines   # 100,000 stored headlines instead

The 100,000 articles (built once under --work and reused; bench_dups.py uses the same database):
the 19,876 xinwenlianbo stories as they are, and 80,124 generated from them: each takes the title,
date (plus 0-27 days) and first sentence of a random story, then 5-9 sentences drawn from three
other stories of the same month, in random order (about 400 characters, like the real ones; text
that reads like news of that month, but no article is a copy of another). Everything is ingested
with the real pipeline (`Collection.ingest`: segmentation, tags, fingerprints and the copy check);
then the related vectors are fitted as `xinwen fit` does (its corpus statistics and retagging are
skipped: they do not change what is timed here).

--corpus headlines: the first 100,000 titles of tnews, nlpcc2017_headlines and thucnews_titles_20k (in
that order), each stored as a headline alone: where the topics signal (the tag candidates a headline
implies) does the work. Building it runs the headline tagger on each (~10 ms): about half an hour.

Timed on one core (the process is pinned to one CPU), over the same random stored articles:
- xinwen: `Collection.related(id, k=5)` end to end (vectors, candidates, tags and dates, clusters,
  the five articles read back, reasons). The first call loads the saved vectors: reported apart.
- anchor: TF-IDF cosine over the same segmented words (sublinear tf; the matrix built beforehand,
  not timed): one sparse row times the 100,000 x V matrix, then the top 5.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from timing import pct, pin_one_core  # noqa: E402

from xinwen.collection import Collection  # noqa: E402

XWLB = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
N_ARTICLES = 100_000
_SENTENCE = re.compile(r"(?<=[。！？])")


def stories() -> list[dict]:
    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def generated(real: list[dict], n: int, seed: int = 100) -> list[dict]:
    """n articles made of sentences of xinwenlianbo stories of the same month (see the module text)."""
    from datetime import date, timedelta

    rng = random.Random(seed)
    by_month: dict[str, list[dict]] = defaultdict(list)
    for s in real:
        if len(s["body"]) > 100:
            by_month[s["date"][:7]].append(s)
    months = sorted(by_month)
    sentences = {s["id"]: [x.strip() for x in _SENTENCE.split(s["body"]) if len(x.strip()) > 8] for s in real}
    out = []
    for i in range(n):
        pool = by_month[rng.choice(months)]
        head, *others = rng.sample(pool, 4) if len(pool) >= 4 else [rng.choice(pool)] * 4
        mixed = [x for o in others for x in sentences[o["id"]]]
        body = (sentences[head["id"]] or [head["body"][:60]])[:1] + rng.sample(mixed, min(len(mixed), rng.randint(5, 9)))
        day = date.fromisoformat(head["date"]) + timedelta(days=rng.randint(0, 27))
        out.append({"id": f"gen-{i}", "title": head["title"], "date": day.isoformat(), "body": "\n".join(body)})
    return out


def headlines(n: int) -> list[dict]:
    """The first n titles of the headline data sets, as records with a title alone."""
    out: list[dict] = []
    for name in ("tnews", "nlpcc2017_headlines", "thucnews_titles_20k"):
        with gzip.open(XWLB.parent / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                out.append({"id": r["id"], "title": r["title"]})
                if len(out) >= n:
                    return out
    return out


def bench_db(work: Path, rebuild: bool = False, corpus: str = "stories") -> Path:
    """The 100,000-article database (built on first use; see the module text)."""
    db = work / ("related100k.db" if corpus == "stories" else "related100k-headlines.db")
    info = Path(str(db) + ".build.json")
    if db.exists() and info.exists() and not rebuild:
        return db
    work.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", ".stats.json", ".related.npz", ".build.json"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    if corpus == "headlines":
        records = headlines(N_ARTICLES)
    else:
        real = stories()
        records = [{k: s[k] for k in ("id", "title", "date", "body")} for s in real]
        records += generated(real, N_ARTICLES - len(records))
    source = work / f"{db.stem}.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    t0 = time.perf_counter()
    with Collection(db) as c:
        report = c.ingest([source], progress=None, fit=False)
        t1 = time.perf_counter()
        c.fit_vectors()
        t2 = time.perf_counter()
        clusters = len(c.duplicates())
    source.unlink()
    build = {"articles": report.added, "ingest_s": round(t1 - t0, 1), "fit_vectors_s": round(t2 - t1, 1),
             "clusters_of_copies": clusters, "db_mb": round(db.stat().st_size / 2**20),
             "vectors_mb": round(Path(str(db) + ".related.npz").stat().st_size / 2**20, 1)}
    info.write_text(json.dumps(build))
    print(f"built {db}: {build}")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/xinwen-bench"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--corpus", choices=["stories", "headlines"], default="stories")
    args = parser.parse_args()
    db = bench_db(args.work, args.rebuild, args.corpus)
    print("build:", Path(str(db) + ".build.json").read_text())
    print(pin_one_core())
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    with Collection(db, readonly=True) as c:
        rows = c.store.conn.execute("SELECT rowid, id, title_terms, body_terms FROM articles ORDER BY rowid").fetchall()
        ids = [r[1] for r in rows]
        rng = random.Random(11)
        picks = rng.sample(range(len(ids)), args.queries)
        t0 = time.perf_counter()
        c.related(ids[picks[0]], k=5)
        first = time.perf_counter() - t0
        ours = []
        for i in picks:
            t0 = time.perf_counter()
            hits = c.related(ids[i], k=5)
            ours.append((time.perf_counter() - t0) * 1000)
            assert hits and all(h.reason for h in hits)
    word = re.compile(r"\w")
    docs = [[w for w in (r[2] + " " + r[3]).split() if word.search(w)] for r in rows]
    del rows
    x = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit_transform(docs)
    xt = x.T.tocsr()
    anchor = []
    for i in picks:
        t0 = time.perf_counter()
        sims = (x[i] @ xt).toarray().ravel()
        sims[i] = -1.0
        top = np.argpartition(-sims, 5)[:5]
        top = top[np.argsort(-sims[top])]
        anchor.append((time.perf_counter() - t0) * 1000)
    print(f"\nrelated, k=5, {args.queries} stored articles of {len(ids):,} (first call, loading the vectors: "
          f"{first * 1000:.0f} ms)")
    print(f"{'method':28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, t in (("xinwen Collection.related", ours), ("TF-IDF cosine (anchor)", anchor)):
        print(f"{name:28} {pct(t, 50):8.2f} {pct(t, 95):8.2f} {pct(t, 99):8.2f}")
    print(f"xinwen / anchor p95: {pct(ours, 95) / pct(anchor, 95):.2f}   target: p95 <= 20 ms")


if __name__ == "__main__":
    main()

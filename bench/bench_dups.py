"""Cost of the duplicate check per ingested article: ours beside datasketch MinHash LSH, same input, same run.

    nice python bench/bench_dups.py [--articles 1000] [--work /tmp/xinwen-bench] [--rebuild] [--kinds tuned] [--no-anchor]

Over the 100,000-article database of bench_related.py (built there on first use), 1,000 new
articles arrive: 500 copies of stored xinwenlianbo stories (the edits `xinwen eval dups` calls
"tuned", or copies of the kinds named by --kinds: replace5, excerpt, traditional, combined …) and
500 generated like the database's own. Each is segmented (not timed: ingest segments once for
everything), stored, then timed on one core:
- xinwen: the fingerprint (character trigrams of the copy form, MinHash) and the copy check of `xinwen.linking.copies`
  (LSH candidates, signature filter, text check, cluster update) for that article, as ingest
  runs it. The in-memory LSH is loaded from the stored signatures first (reported apart).
  Everything is rolled back at the end: the database stays as it was.
- anchor: datasketch (the skeleton's fingerprint): MinHash(num_perm=128) over word trigrams,
  then MinHashLSH(threshold=0.5) query and insert, with the 100,000 stored articles inserted
  beforehand (not timed).
Both report how many of the 500 copies they link to their original (the anchor: as a candidate).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_related import bench_db, generated, stories  # noqa: E402
from timing import pct, pin_one_core  # noqa: E402

from xinwen.analysis.fingerprint import fingerprint  # noqa: E402
from xinwen.analysis.segment import segment  # noqa: E402
from xinwen.collection import Collection  # noqa: E402
from xinwen.evaluation.dups import KINDS, plant  # noqa: E402


def datasketch_signature(words: list[str]):  # type: ignore[no-untyped-def]
    from datasketch import MinHash

    content = [w for w in words if w.strip() and any(ch.isalnum() for ch in w)]
    m = MinHash(num_perm=128, seed=7)
    sh = {"\x1f".join(content[i : i + 3]).encode() for i in range(max(1, len(content) - 2))}
    m.update_batch(list(sh))
    return m


class _RolledBack(Exception):
    """Leaves the store's transaction, undoing what the bench wrote."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/xinwen-bench"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--kinds", default="tuned", help=f"kinds of copies, some of {','.join(KINDS)}")
    parser.add_argument("--no-anchor", action="store_true",
                        help="time xinwen alone (the anchor segments and fingerprints every stored article first)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if not set(kinds) <= set(KINDS):
        parser.error(f"--kinds: some of {','.join(KINDS)}")
    db = bench_db(args.work, args.rebuild)
    print(pin_one_core())
    real = stories()
    rng = random.Random(21)
    chars = [ch for s in real[:3000] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    half = args.articles // 2
    copies = [plant(s, kinds[i % len(kinds)], rng, chars, i)
              for i, s in enumerate(rng.sample([s for s in real if len(s["body"]) > 100], half))]
    fresh = [dict(g, id=f"new-{g['id']}") for g in generated(real, args.articles - half, seed=999)]
    new = [p.copy for p in copies] + fresh
    rng.shuffle(new)
    words = {a["id"]: segment("", a["body"]).body_words() for a in new}

    with Collection(db) as c:
        store = c.store
        index = c.copy_detector
        t0 = time.perf_counter()
        index.ensure_ready()
        load_s = time.perf_counter() - t0
        conn = store.conn
        stored = dict(conn.execute("SELECT id, rowid FROM articles"))
        ours_fp, ours_check = [], []
        rowid_of = {}
        try:
            with store.transaction():  # rolled back at the end: the database stays as built
                for a in new:
                    cur = conn.execute(
                        "INSERT INTO articles (id, title, body, published, published_ts, content_hash, ingested_at) "
                        "VALUES (?, ?, ?, ?, strftime('%s', ?), 'bench', 'bench')",
                        (a["id"], a["title"], a["body"], a["date"], a["date"]))
                    rowid_of[a["id"]] = cur.lastrowid
                    t0 = time.perf_counter()
                    sig = fingerprint(words[a["id"]])
                    t1 = time.perf_counter()
                    conn.execute("UPDATE articles SET fingerprint=? WHERE rowid=?", (sig.tobytes(), cur.lastrowid))
                    t2 = time.perf_counter()
                    index._check([(cur.lastrowid, a["body"], sig)])
                    t3 = time.perf_counter()
                    ours_fp.append((t1 - t0) * 1000)
                    ours_check.append((t3 - t2) * 1000)
                heads = dict(conn.execute("SELECT article, canonical FROM duplicate_of"))
                found = sum(1 for p in copies if heads.get(rowid_of[p.copy["id"]]) is not None
                            and heads.get(rowid_of[p.copy["id"]]) == heads.get(stored[p.original]))
                raise _RolledBack
        except _RolledBack:
            pass
        n_stored = len(stored)
        signatures = [(r[0], r[1]) for r in conn.execute("SELECT id, body FROM articles")]

    total = [f + c for f, c in zip(ours_fp, ours_check, strict=True)]
    rows = [("xinwen fingerprint (MinHash)", ours_fp, ""), ("xinwen copy check (LSH + text)", ours_check, ""),
            ("xinwen total", total, f"{found}/{half}")]
    anchor: list[float] = []
    if not args.no_anchor:
        anchor, anchor_found, fill_s = run_anchor(signatures, new, words, copies)
        rows.append(("datasketch MinHash + LSH (anchor)", anchor, f"{anchor_found}/{half} as candidates"))
    print(f"\n{len(new)} new articles ({half} copies of stored stories) into {n_stored:,} stored; "
          f"LSH loaded from stored signatures in {load_s:.2f} s"
          + (f" (datasketch filled in {fill_s:.0f} s)" if anchor else ""))
    print(f"{'ms per article':34} {'median':>8} {'p95':>8} {'mean':>8}   copies linked")
    for name, t, note in rows:
        print(f"{name:34} {pct(t, 50):8.3f} {pct(t, 95):8.3f} {statistics.mean(t):8.3f}   {note}")
    if anchor:
        print(f"xinwen / anchor median: {pct(total, 50) / pct(anchor, 50):.2f}   target: median <= 1 ms")


def run_anchor(signatures: list, new: list, words: dict, copies: list) -> tuple[list[float], int, float]:
    """The anchor over the same articles: per-article ms, copies whose original is a candidate, fill seconds."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    t0 = time.perf_counter()
    with lsh.insertion_session() as session:
        for aid, body in signatures:
            session.insert(aid, datasketch_signature(segment("", body or "").body_words()))
    fill_s = time.perf_counter() - t0
    anchor = []
    anchor_found = 0
    originals = {p.copy["id"]: p.original for p in copies}
    for a in new:
        t0 = time.perf_counter()
        m = datasketch_signature(words[a["id"]])
        cands = lsh.query(m)
        lsh.insert(a["id"], m)
        anchor.append((time.perf_counter() - t0) * 1000)
        anchor_found += originals.get(a["id"]) in cands
    return anchor, anchor_found, fill_s


if __name__ == "__main__":
    main()

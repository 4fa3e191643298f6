"""Tagging speed: xinwen beside jieba.analyse.extract_tags, same stories, same run, one core.

    python bench/bench_tags.py [--n 2000] [--headlines]

Input: the first N xinwenlianbo stories (../shared/data/xinwenlianbo.jsonl.gz), title and
body. Anchor: jieba.analyse.extract_tags(title + "\\n" + body, topK=3), which segments the
text again on every call. xinwen: segment once (rjieba, with parts of speech) and pick the
tags from those tokens; the full analysis (tags + snippet + fingerprint + index terms,
what ingest runs) is shown too, and the tags of a collection whose `xinwen fit` learned a ranker of its own
from its tagged articles (sohu_keywords_dev as a new site's archive: there the ranker alone picks, with no
salience pass).
Dictionaries and models are loaded before timing; each is the best of two passes.
--headlines: the first N tnews dev titles instead (no body), tagged by the learned headline
ranker (neighbour vote over the tagged archive, boosted trees), against the same anchor.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xinwen.analysis.pipeline import Analyzer  # noqa: E402
from xinwen.analysis.segment import segment  # noqa: E402
from xinwen.analysis.tags import pick_tags  # noqa: E402
from xinwen.article import Article  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
TNEWS = ROOT.parent / "shared" / "data" / "tnews.jsonl.gz"


def timed(fn, items, repeat: int = 2) -> float:
    """Best of `repeat` passes (the first pass also fills per-word caches)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - t0)
    return best


def house_model(analyzer: Analyzer):  # type: ignore[no-untyped-def]
    """The tag model `xinwen fit` learns from sohu_keywords_dev as the archive of a site new to xinwen (the
    shipped ranker trained without that set as the prior, as `xinwen eval tags --archive` has it); None
    without the data set."""
    from xinwen.analysis.tags.learn import learn_from_archive, with_house
    from xinwen.evaluation.datasets import DatasetMissing
    from xinwen.evaluation.tags import SOHU_KEYS, SOHU_KEYWORDS, sohu_articles

    try:
        archive = sohu_articles(SOHU_KEYWORDS)
    except DatasetMissing:
        return None
    prior = with_house(analyzer.model, {}, analyzer.model.body_ranker["without"][SOHU_KEYS[SOHU_KEYWORDS]])
    model, _ = learn_from_archive(archive, prior, analyzer.stats, held_out=False)
    return model


def main() -> int:
    ap = argparse.ArgumentParser(description="tagging speed, xinwen vs jieba")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--headlines", action="store_true", help="tnews dev titles (no body) instead of stories")
    args = ap.parse_args()
    data = TNEWS if args.headlines else DATA
    if not data.exists():
        print(f"missing {data}", file=sys.stderr)
        return 1
    stories = []
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if args.headlines and r["split"] != "dev":
                continue
            stories.append(Article(title=r["title"], body=r.get("body", ""), id=r["id"]))
            if len(stories) >= args.n:
                break
    import jieba
    import jieba.analyse

    jieba.setLogLevel(60)
    jieba.analyse.extract_tags("预热")
    analyzer = Analyzer()
    analyzer.analyze(Article(title="预热", body="预热。"))
    analyzer.analyze(Article(title="预热"))  # the headline ranker's neighbour index, built on first use
    mb = sum(len((a.title + "\n" + a.body).encode("utf-8")) for a in stories) / 1e6

    rows = [
        ("jieba.analyse.extract_tags (anchor)", timed(lambda a: jieba.analyse.extract_tags(
            (a.title + "\n" + a.body).strip(), topK=3), stories)),
        ("xinwen segment once + tags", timed(lambda a: pick_tags(
            segment(a.title, a.body), analyzer.stats, 3, analyzer.model), stories)),
        ("xinwen full analysis (tags, snippet, fingerprint, index terms)", timed(analyzer.analyze, stories)),
    ]
    house = None if args.headlines else house_model(analyzer)
    if house is not None:
        rows.append((f"xinwen segment once + tags, a house's {house.body_ranker['kind']} ranker", timed(
            lambda a: pick_tags(segment(a.title, a.body), analyzer.stats, 3, house), stories)))
    anchor = rows[0][1]
    print(f"{len(stories)} {'tnews dev titles' if args.headlines else 'xinwenlianbo stories'}, {mb:.2f} MB")
    print(f"{'':<64} {'ms/story':>9} {'stories/s':>10} {'MB/s':>6} {'time vs anchor':>15}")
    for name, secs in rows:
        print(f"{name:<64} {secs * 1000 / len(stories):>9.3f} {len(stories) / secs:>10.0f} "
              f"{mb / secs:>6.2f} {secs / anchor:>14.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

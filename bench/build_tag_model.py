"""Build the editor-tag model shipped in src/xinwen/data/tagmodel.json.gz.

It is fitted on the tnews *train* split only (../shared/data/tnews.jsonl.gz, split ==
"train"); dev is kept for `xinwen eval tags`. Run from the repository root:

    python bench/build_tag_model.py                  # writes src/xinwen/data/tagmodel.json.gz
    python bench/build_tag_model.py --holdout 0.2 --out /tmp/tm.json.gz
        # fit on 80% of train, for tuning on the other 20% (also train)
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

from xinwen.analysis.segment import cut  # noqa: E402
from xinwen.analysis.tagmodel import MODEL_FILE, build_tag_model  # noqa: E402

TNEWS = ROOT.parent / "shared" / "data" / "tnews.jsonl.gz"


def train_titles(path: Path, holdout: float) -> list[tuple[str, list[str]]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    train = [(r["title"], r["keywords"]) for r in recs if r["split"] == "train"]
    if holdout:
        keep = int(len(train) * (1 - holdout))
        train = train[:keep]
    return train


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tnews", type=Path, default=TNEWS)
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "xinwen" / "data" / MODEL_FILE)
    ap.add_argument("--holdout", type=float, default=0.0, help="leave out the last share of train")
    args = ap.parse_args()
    if not args.tnews.exists():
        print(f"missing {args.tnews}: the tnews data set is needed to build the model", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    titles = train_titles(args.tnews, args.holdout)
    model = build_tag_model((cut(title), tags) for title, tags in titles)
    model.save(args.out)
    print(
        f"{len(titles)} train titles ({model.n_docs} tagged): {len(model.tags)} tags, "
        f"{len(model.assoc)} words with associations, base rate {model.base_rate}; "
        f"{args.out.stat().st_size / 1e6:.2f} MB in {time.perf_counter() - t0:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

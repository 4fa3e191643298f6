"""Build the tag models shipped in src/xinwen/data, or a site's own from its tagged archive.

The headline model (tagmodel.json.gz) is fitted on the tnews *train* split only
(../shared/data/tnews.jsonl.gz, split == "train"); dev is kept for `xinwen eval tags`. The long-text
ranker (bodyranker.json.gz, --body) is fitted on the tagged Sohu bodies (sohu_entities_dev and
sohu_keywords_dev), with one ranker more per cross-validation fold, trained without it, which
`xinwen eval tags` tags that fold with. --archive is the user's path: learn a site's house style
from its own tagged articles (any file xinwen reads whose records carry tags/keywords): trees boosted
from the shipped model as the prior, or a ranker of its own, whichever tags the archive better in
cross-validation on it (analysis/tags/learn.py, learn_from_archive), and save the model for
$XINWEN_TAG_MODEL. Run from the repository root:

    python bench/build_tag_model.py                  # writes src/xinwen/data/tagmodel.json.gz
    python bench/build_tag_model.py --holdout 0.2 --out /tmp/tm.json.gz
        # fit on 80% of train and report on the other 20% (also train), for tuning
    python bench/build_tag_model.py --body           # writes src/xinwen/data/bodyranker.json.gz
    python bench/build_tag_model.py --archive export.jsonl --out site.json.gz
        # learn from a tagged archive; says what it learned and measured on a held-out fifth

Two parts: counts (keyphraseness, word -> tag associations) over all train titles, and
the headline ranker's weights, fitted with cross-fitting: the titles of each of FOLDS
folds are featurized with counts and neighbour votes (tagneighbours.py) from the other folds, so the ranker learns how the
counts behave on titles they have not seen (as on a user's new articles).
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

import numpy as np  # noqa: E402

from xinwen.analysis.segment import segment  # noqa: E402
from xinwen.analysis.stats import CorpusStats  # noqa: E402
from xinwen.analysis.tags import neighbours as tagneighbours  # noqa: E402
from xinwen.analysis.tags.model import BODY_RANKER_FILE, MODEL_FILE, build_tag_model  # noqa: E402
from xinwen.analysis.tags.neighbours import NeighbourIndex  # noqa: E402
from xinwen.analysis.tags.ranker import fit_ranker, fit_trees, training_rows  # noqa: E402
from xinwen.analysis.tags.scorer import _taggable  # noqa: E402

TNEWS = ROOT.parent / "shared" / "data" / "tnews.jsonl.gz"
FOLDS = 4
TREES = True  # boosted trees over the ranker's features (else logistic regression)


def train_titles(path: Path, hold_out_first: int = 0) -> list[tuple[str, list[str]]]:
    """(title, tags) of the train split, without the first `hold_out_first` titles with >= 3 tags
    (the ones `xinwen eval related` measures related articles on)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    held = {r["id"] for r in [r for r in recs if len(r["keywords"]) >= 3][:hold_out_first]}
    return [(r["title"], r["keywords"]) for r in recs if r["split"] == "train" and r["id"] not in held]


def fit(titles: list[tuple[str, list[str]]]):
    """Counts on all `titles`, ranker weights by cross-fitting over them."""
    tagged = [(segment(t, "").title, tags) for t, tags in titles]
    words = [([w for w, _ in seg], tags) for seg, tags in tagged]
    stats = CorpusStats()
    xs, ys = [], []
    for k in range(FOLDS):
        model_k = build_tag_model(w for i, w in enumerate(words) if i % FOLDS != k)
        others = [i for i, (_, tags) in enumerate(titles) if i % FOLDS != k and tags]
        index_k = NeighbourIndex(
            [titles[i][0] for i in others], [titles[i][1] for i in others],
            [words[i][0] for i in others] if tagneighbours.WORDS else None,
        )  # fmt: skip
        held = [i for i in range(len(titles)) if i % FOLDS == k and titles[i][1]]
        votes = index_k.votes_many([titles[i][0] for i in held], [words[i][0] for i in held])
        x, y = training_rows(
            ((tagged[i][0], tagged[i][1], v) for i, v in zip(held, votes, strict=True)), model_k, stats, _taggable
        )
        xs.append(x)
        ys.append(y)
    model = build_tag_model(words)
    keep = [i for i, (_, tags) in enumerate(titles) if tags]
    model.neighbours = {"titles": [titles[i][0] for i in keep], "tags": [titles[i][1] for i in keep]}
    if tagneighbours.WORDS:
        model.neighbours["words"] = [words[i][0] for i in keep]
    x, y = np.vstack(xs), np.concatenate(ys)
    model.ranker = fit_trees(x, y) if TREES else fit_ranker(x, y)
    return model


def report(model, held: list[tuple[str, list[str]]]) -> str:
    from xinwen.analysis.tags import pick_tags

    stats = CorpusStats()
    f1 = hits = 0.0
    rows = [(t, g) for t, g in held if len(g) >= 3]
    for title, gold in rows:
        pred = pick_tags(segment(title, ""), stats, 3, model)
        h = len(set(pred) & set(gold))
        hits += h
        p, r = h / 3, h / len(gold)
        f1 += 2 * p * r / (p + r) if h else 0.0
    return f"held-out train titles with >= 3 tags: n={len(rows)} hits={int(hits)} F1@3={f1 / max(len(rows), 1):.4f}"


def build_body_ranker(out: Path) -> int:
    """The long-text ranker on both Sohu sets, and one per fold trained without it (learn.fold_of)."""
    from xinwen.analysis.tags.learn import FOLDS, article_key, featurize, fit_body_ranker, fold_of
    from xinwen.analysis.tags.learn import with_house as plain
    from xinwen.analysis.tags.model import TagModel
    from xinwen.evaluation.tags import SOHU_KEYS, sohu_articles

    t0 = time.perf_counter()
    base = plain(TagModel.default(), {}, None)  # features need the headline model's counts only
    examples = []
    sizes = {}
    for name, key in SOHU_KEYS.items():
        arts = sohu_articles(name)
        sizes[key] = len(arts)
        examples += featurize([(article_key(a, i, key), a) for i, a in enumerate(arts)], base)
    print(f"featurized {len(examples)} articles in {time.perf_counter() - t0:.1f} s")
    ranker = fit_body_ranker(examples)
    ranker["folds"] = [fit_body_ranker([e for e in examples if fold_of(e.key) != k]) for k in range(FOLDS)]
    # one more per data set, trained without any of it: the prior a site's own archive starts from when
    # `xinwen eval tags --archive` learns that data set's house style (the shipped model never saw the site)
    ranker["without"] = {key: fit_body_ranker([e for e in examples if not e.key.startswith(key + ":")])
                         for key in SOHU_KEYS.values()}
    ranker["trained_on"] = sizes
    ranker["fold_key"] = "zlib.crc32('data set key:record id') % 5"
    data = json.dumps(ranker, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    with open(out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
        fh.write(data)
    print(f"long-text ranker: {len(ranker['trees'])} trees, {FOLDS} fold rankers, "
          f"{out.stat().st_size / 1e6:.2f} MB in {time.perf_counter() - t0:.1f} s -> {out}")
    return 0


def learn_archive(path: Path, out: Path | None) -> int:
    """The user's path: learn a house style from a tagged archive and save the model."""
    from xinwen.analysis.tags.learn import learn_from_archive
    from xinwen.article import Article
    from xinwen.readers import read

    articles = [a for a in read([str(path)]) if isinstance(a, Article)]
    model, report = learn_from_archive(articles)
    print(report.summary())
    if out is not None and report.trees:
        model.save(out)
        print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB): XINWEN_TAG_MODEL={out} xinwen ingest ...")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tnews", type=Path, default=TNEWS)
    ap.add_argument("--body", action="store_true", help="build the long-text ranker (bodyranker.json.gz)")
    ap.add_argument("--archive", type=Path, help="learn from a tagged archive (any file xinwen reads)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--holdout", type=float, default=0.0, help="leave out the last share of train and report on it")
    ap.add_argument("--hold-out-first", type=int, default=0, metavar="N",
                    help="leave out the first N tnews titles with >= 3 tags (for `xinwen eval related` on them; "
                         "use with --out and $XINWEN_TAG_MODEL)")
    args = ap.parse_args()
    data = ROOT / "src" / "xinwen" / "data"
    if args.body:
        return build_body_ranker(args.out or data / BODY_RANKER_FILE)
    if args.archive:
        return learn_archive(args.archive, args.out)
    args.out = args.out or data / MODEL_FILE
    if not args.tnews.exists():
        print(f"missing {args.tnews}: the tnews data set is needed to build the model", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    titles = train_titles(args.tnews, args.hold_out_first)
    keep = int(len(titles) * (1 - args.holdout))
    model = fit(titles[:keep])
    model.held_out_first = args.hold_out_first
    model.save(args.out)
    print(
        f"{keep} train titles ({model.n_docs} tagged): {len(model.tags)} tags, "
        f"{len(model.assoc)} words with associations, base rate {model.base_rate}; "
        f"{args.out.stat().st_size / 1e6:.2f} MB in {time.perf_counter() - t0:.1f} s -> {args.out}"
    )
    if args.holdout:
        print(report(model, titles[keep:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Why one shipped long-text ranker cannot meet both Sohu targets: the two sets tag in different styles.

    python bench/tag_styles.py

Trains the long-text ranker (the shipped features and trees, learn.fit_body_ranker) on the entity set
alone, the keyword set alone and both (the shipped way), each cross-validated as `xinwen eval tags`
folds them (learn.fold_of: every article tagged by a ranker trained without its fold), and tags the
articles two ways: the shipped selection (the ranker's confident candidates, the salience formula for
the rest) and the ranker alone (its threshold 0, as a house's own ranker carries it). Prints F1@3 on
each set and the sample page's hits (tagged by the ranker trained on all of the training set). A
ranker trained on one house's tags serves that house and fails the other; the pooled one is between
the two. `xinwen fit` learns a collection's own style instead (learn.learn_from_archive).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xinwen.analysis.tags.learn import (  # noqa: E402
    FOLDS,
    article_key,
    f1_at_k,
    featurize,
    fit_body_ranker,
    fold_of,
    with_house,
)
from xinwen.analysis.tags.model import TagModel  # noqa: E402
from xinwen.evaluation.datasets import DatasetMissing, page_articles  # noqa: E402
from xinwen.evaluation.tags import (  # noqa: E402
    SOHU_KEYS,
    TagDataset,
    cross_validated_tags,
    sohu_articles,
    xinwen_tags,
)

TRAINED_ON = {"entities": ("sohu-entities",), "keywords": ("sohu-keywords",),
              "both (shipped)": ("sohu-entities", "sohu-keywords")}
SELECTIONS = {"shipped selection": {}, "ranker alone": {"confident": 0.0}}


def main() -> int:
    t0 = time.perf_counter()
    try:
        sets = {key: sohu_articles(name) for name, key in SOHU_KEYS.items()}
    except DatasetMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    base = TagModel.default()
    plain = with_house(base, {}, None)  # features need the headline model's counts only
    examples = []
    for key, articles in sets.items():
        examples += featurize([(article_key(a, i, key), a) for i, a in enumerate(articles)], plain)
    page = page_articles()
    print(f"{'trained on':<16} {'tags chosen by':<18} {'entities F1@3':>13} {'keywords F1@3':>13} {'page hits':>9}")
    for name, trained_on in TRAINED_ON.items():
        mine = [e for e in examples if e.key.split(":", 1)[0] in trained_on]
        folds = [fit_body_ranker([e for e in mine if fold_of(e.key) != k]) for k in range(FOLDS)]
        whole = fit_body_ranker(mine)
        for label, extra in SELECTIONS.items():
            f1 = {}
            for key, articles in sets.items():
                tags = cross_validated_tags(TagDataset(key, key, articles, cross_validated=True),
                                            folds=[{**f, **extra} for f in folds])
                f1[key] = sum(f1_at_k(t, {g.lower() for g in a.source_tags})
                              for t, a in zip(tags, articles, strict=True)) / len(articles)
            tags = xinwen_tags(page, with_house(base, {}, {**whole, **extra}))
            hits = sum(len(set(t) & set(a.source_tags)) for t, a in zip(tags, page, strict=True))
            print(f"{name:<16} {label:<18} {f1['sohu-entities']:>13.3f} {f1['sohu-keywords']:>13.3f} {hits:>6}/18")
    print(f"targets: entities >= 0.50, keywords >= 0.42, page >= 9/18 ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

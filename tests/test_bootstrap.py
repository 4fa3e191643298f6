"""The 95% bootstrap intervals that `xinwen eval tags` and `xinwen eval related` print beside
their scores, and the tnews sample size that --limit sets."""

from __future__ import annotations

import numpy as np
import pytest

from xinwen.evaluation import related as eval_related
from xinwen.evaluation import tags as eval_tags
from xinwen.evaluation.bootstrap import interval


def test_an_interval_holds_the_mean_and_narrows_as_the_sample_grows():
    rng = np.random.default_rng(7)
    big = rng.binomial(1, 0.3, size=4000).astype(float)
    small = big[:100]
    lo, hi = interval(big)
    assert lo < big.mean() < hi
    slo, shi = interval(small)
    assert slo < small.mean() < shi
    # the width of a mean's interval shrinks like 1/sqrt(n): 40x the articles, about 1/6 the width
    assert (hi - lo) < (shi - slo) / 4
    assert interval(big) == (lo, hi)  # seeded: the same report run to run


def test_an_interval_of_equal_values_is_that_value_and_of_none_is_nan():
    assert interval([0.5] * 30) == (0.5, 0.5)
    lo, hi = interval([])
    assert np.isnan(lo) and np.isnan(hi)


def test_tag_scores_carry_the_interval_of_their_f1():
    gold = [["低碳", "样板", "创新"], ["创业", "郊区", "全域"], ["海洋", "中国", "博物馆"], ["活动", "创业", "金山"]]
    perfect = eval_tags.score([g[:] for g in gold], gold, 1.0)
    assert perfect.f1 == 1.0 and perfect.f1_ci == (1.0, 1.0)
    mixed = eval_tags.score([["低碳", "绿色", "宝山区"], ["园区", "创业", "上海"], ["航海", "博物馆", "中国"],
                             ["金山", "活动", "就业创业"]], gold, 1.0)
    lo, hi = mixed.f1_ci
    assert lo < mixed.f1 < hi
    assert mixed.to_dict()["f1_ci"] == [round(lo, 4), round(hi, 4)]
    line = next(ln for ln in eval_tags.format_report(eval_tags.TagReport(
        [{"name": "page", "n": 4, **{s: mixed.to_dict() for s in ("xinwen", "jieba-tfidf", "jieba-textrank")}}]
    )).splitlines() if ln.startswith("page"))
    assert f"{lo:.3f}-{hi:.3f}" in line


def test_related_precision_per_article_and_its_interval():
    labels = {"a": "体育", "b": "体育", "c": "娱乐", "d": "体育", "e": "娱乐", "f": "体育"}
    ds = eval_related.RelatedDataset("toy", [{"id": i} for i in labels], labels)
    neighbours = {i: [j for j in labels if j != i][:5] for i in labels}
    values = eval_related.precisions(ds, neighbours)
    assert values[0] == pytest.approx(3 / 5)  # a: b c d e f -> b, d, f are 体育
    assert values[2] == pytest.approx(1 / 5)  # c: a b d e f -> e alone is 娱乐
    assert eval_related.precision(ds, neighbours) == pytest.approx(sum(values) / 6)
    measured = eval_related._measured(ds, neighbours, 0.001, 5)
    lo, hi = measured["p_at_k_ci"]
    assert lo <= measured["p_at_k"] <= hi and measured["ms"] == 1.0


def test_limit_sets_how_many_tnews_dev_titles_are_scored(shared):
    found, missing = eval_tags.load_datasets()
    tnews = next(d for d in found if "tnews" in d.name)
    assert len(tnews.articles) == eval_tags.TNEWS_LIMIT == 2000 and not missing
    found, _ = eval_tags.load_datasets(limit=2500)  # beyond the anchors' 2,000: a narrower interval
    assert len(next(d for d in found if "tnews" in d.name).articles) == 2500
    assert len(next(d for d in found if "csl" in d.name).articles) == 1822  # all it has

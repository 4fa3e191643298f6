"""`xinwen eval tags`: computed tags against editors' tags, beside jieba on the same input.

For each data set, xinwen's tags come from the public path (`Collection.tag`, what
`xinwen tag` runs, with no fitted corpus: the shipped model and general IDF), and
jieba's TF-IDF and TextRank (`jieba.analyse`, the anchor) get the same text: title and
body joined by a line end. Scores are exact string matches in the top k:
P@k and R@k averaged over articles, F1@k the mean of per-article F1, with its 95% bootstrap
interval over the articles (how much another sample of the same size could differ).
tnews dev: the first 2,000 titles with >= 3 tags (as the anchors in SOURCES.md), or the first
--limit N of its 6,580.

Full articles (sohu_entities_dev: human-annotated core entities; sohu_keywords_dev: the site's own
keywords) are what the long-text ranker was trained on, so they are scored cross-validated: each
article is tagged by the public path with the ranker of its fold (shipped in bodyranker.json.gz,
trained without that fold: learn.fold_of), matched case-insensitively (5g = 5G). With --archive,
beside it `xinwen-unseen`: each fold tagged by the ranker trained without any of that data set (a site
new to xinwen), and `xinwen+archive`: that ranker after `learn_from_archive` on the set's other folds,
what the site gets once `xinwen fit` has learned its own tagged archive (the gain is the difference).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xinwen.analysis.tags.model import TagModel
from xinwen.article import Article
from xinwen.evaluation import datasets
from xinwen.evaluation.bootstrap import interval
from xinwen.evaluation.datasets import DatasetMissing

K = 3
TNEWS_LIMIT = 2000  # the anchor figures in SOURCES.md use the first 2,000


@dataclass
class Score:
    """Top-k agreement with the gold tags over a data set."""

    n: int = 0
    hits: int = 0
    p: float = 0.0
    r: float = 0.0
    f1: float = 0.0
    ms: float = 0.0  # per article
    f1_ci: tuple[float, float] = (0.0, 0.0)  # 95% bootstrap interval of f1

    def to_dict(self) -> dict[str, Any]:
        return {"p": round(self.p, 4), "r": round(self.r, 4), "f1": round(self.f1, 4),
                "f1_ci": [round(v, 4) for v in self.f1_ci], "ms": round(self.ms, 3), "hits": self.hits}


def score(predicted: list[list[str]], gold: list[list[str]], seconds: float, k: int = K) -> Score:
    s = Score(n=len(gold))
    if not gold:
        return s
    f1s = []
    for pred, g in zip(predicted, gold, strict=True):
        h = len(set(pred[:k]) & set(g))
        p, r = h / k, h / len(g) if g else 0.0
        s.hits += h
        s.p += p
        s.r += r
        f1s.append(2 * p * r / (p + r) if h else 0.0)
    s.p /= s.n
    s.r /= s.n
    s.f1 = sum(f1s) / s.n
    s.f1_ci = interval(f1s)
    s.ms = seconds * 1000 / s.n
    return s


@dataclass
class TagDataset:
    key: str  # a short stable name (what the quality floors name)
    name: str
    articles: list[Article]
    note: str = ""
    cross_validated: bool = False  # tagged by fold models (the ranker was trained on this data set)


@dataclass
class TagReport:
    datasets: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"datasets": self.datasets, "missing": self.missing}


def load_datasets(limit: int | None = None) -> tuple[list[TagDataset], list[str]]:
    """The sample page (always), tnews dev titles with >= 3 tags, csl abstracts with 2-8 keywords."""
    found = [TagDataset("page", "page (sample news page, 6 stories, 18 printed tags)",
                        datasets.page_articles()[:limit])]
    missing = []
    loaders: list[tuple[str, str, Callable[[], list[Article]]]] = [
        ("tnews-dev", "tnews dev titles (>= 3 tags)", lambda: datasets.tnews_dev(3, limit or TNEWS_LIMIT)),
        ("csl", "csl abstracts (2-8 keywords)", lambda: datasets.csl_abstracts(2, 8, limit)),
        ("sohu-entities", "sohu entities (full articles, cross-validated)", lambda: sohu_articles(SOHU_ENTITIES, limit)),
        ("sohu-keywords", "sohu keywords (full articles, cross-validated)", lambda: sohu_articles(SOHU_KEYWORDS, limit)),
    ]
    for key, name, load in loaders:
        try:
            found.append(TagDataset(key, name, load(), cross_validated=key.startswith("sohu")))
        except DatasetMissing as exc:
            missing.append(str(exc))
    return found, missing


SOHU_ENTITIES = "sohu_entities_dev.jsonl.gz"
SOHU_KEYWORDS = "sohu_keywords_dev.jsonl.gz"
SOHU_KEYS = {SOHU_ENTITIES: "sohu-entities", SOHU_KEYWORDS: "sohu-keywords"}


def sohu_articles(name: str, limit: int | None = None) -> list[Article]:
    """Full Sohu articles with their human or house tags as `source_tags` (read as `xinwen tag` reads a
    JSONL record); `id` is the record's id."""
    out = []
    for r in datasets.records(name):
        out.append(datasets.as_read({"id": str(r["id"]), "title": r["title"], "body": r["body"]}, r["keywords"],
                                    name))
        if limit and len(out) >= limit:
            break
    return out


def fold_keys(ds_key: str, articles: list[Article]) -> list[str]:
    """The keys the long-text ranker's folds are drawn from (learn.fold_of), as bench/build_tag_model.py
    made them: data set key and record id."""
    from xinwen.analysis.tags.learn import article_key

    return [article_key(a, i, ds_key) for i, a in enumerate(articles)]


def xinwen_tags(articles: list[Article], model: TagModel | None = None) -> list[list[str]]:
    """The public path: a Collection without a fitted corpus tags the articles, as `xinwen tag` does;
    with `model`, the same analyzer (no fitted corpus) with that tag model."""
    copies = [Article(title=a.title, body=a.body, id=a.id) for a in articles]
    if model is not None:
        from xinwen.analysis.pipeline import Analyzer

        analyzer = Analyzer(model=model)
        return [analyzer.analyze(a).tags for a in copies]
    from xinwen.collection import Collection

    with Collection(":memory:") as c:
        return [a.tags for a in c.tag(copies) if isinstance(a, Article)]


def cross_validated_tags(
    ds: TagDataset, archive: bool = False, unseen: bool = False, folds: list[dict] | None = None
) -> list[list[str]]:
    """Tags of each article by the public path with the long-text ranker of its fold (trained without
    it); with `unseen`, the ranker trained without any of the data set (a site new to xinwen); with
    `archive`, that one after learning the site's house from the rest of the data set (its other folds).
    `folds`: other rankers, one per fold, in place of the shipped ones (bench/tag_styles.py)."""
    from xinwen.analysis.tags.learn import FOLDS, fold_of, learn_from_archive, with_house
    from xinwen.analysis.tags.model import TagModel

    base = TagModel.default()
    folds = folds or (base.body_ranker or {}).get("folds")
    if not folds:
        raise DatasetMissing(f"{ds.key}: the shipped long-text ranker has no fold models to cross-validate with")
    keys = fold_keys(ds.key, ds.articles)
    out: list[list[str]] = [[] for _ in ds.articles]
    for k in range(FOLDS):
        mine = [i for i, key in enumerate(keys) if fold_of(key) == k]
        if not mine:
            continue
        model = with_house(base, {}, folds[k])
        if archive or unseen:  # a site's archive: the ranker that never saw this data set ...
            prior = (base.body_ranker or {}).get("without", {}).get(ds.key) or folds[k]
            model = with_house(base, {}, prior)
        if archive:  # ... taught by the data set's other folds
            rest = [a for key, a in zip(keys, ds.articles, strict=True) if fold_of(key) != k]
            model, _ = learn_from_archive(rest, model, held_out=False)
        for i, tags in zip(mine, xinwen_tags([ds.articles[i] for i in mine], model), strict=True):
            out[i] = tags
    return out


def _jieba(method: str) -> Callable[[str], list[str]]:
    import jieba
    import jieba.analyse

    jieba.setLogLevel(60)
    jieba.analyse.extract_tags("预热")  # load dictionaries outside the timing
    fn = jieba.analyse.extract_tags if method == "tfidf" else jieba.analyse.textrank
    return lambda text: fn(text, topK=K)


def _lower(tags: list[list[str]]) -> list[list[str]]:
    return [[t.lower() for t in ts] for ts in tags]


def evaluate_dataset(ds: TagDataset, archive: bool = False) -> dict[str, Any]:
    gold = [a.source_tags for a in ds.articles]
    fix = _lower if ds.cross_validated else (lambda tags: tags)  # the Sohu sets match case-insensitively
    gold = fix(gold)
    out: dict[str, Any] = {"key": ds.key, "name": ds.name, "n": len(ds.articles)}
    t0 = time.perf_counter()
    ours = cross_validated_tags(ds) if ds.cross_validated else xinwen_tags(ds.articles)
    out["xinwen"] = score(fix(ours), gold, time.perf_counter() - t0).to_dict()
    if ds.cross_validated and archive:
        for label, kind in (("xinwen-unseen", {"unseen": True}), ("xinwen+archive", {"archive": True})):
            t0 = time.perf_counter()
            ours = cross_validated_tags(ds, **kind)
            out[label] = score(fix(ours), gold, time.perf_counter() - t0).to_dict()
    texts = [a.title + "\n" + a.body if a.body else a.title for a in ds.articles]
    for label, method in (("jieba-tfidf", "tfidf"), ("jieba-textrank", "textrank")):
        fn = _jieba(method)
        t0 = time.perf_counter()
        pred = [fn(t) for t in texts]
        out[label] = score(fix(pred), gold, time.perf_counter() - t0).to_dict()
    return out


def evaluate_tags(limit: int | None = None, archive: bool = False) -> TagReport:
    """Every tag data set present on this machine; the missing ones are named in `missing`. With
    `archive`, the full-article sets also as a site's own archive: each fold tagged after
    `learn_from_archive` on the set's other folds, starting from the ranker trained without that set
    (`xinwen+archive`, what `xinwen fit` gives a collection of such tagged articles)."""
    found, missing = load_datasets(limit)
    xinwen_tags([Article(title="预热", body="预热")])  # load the model and dictionaries outside the timing
    return TagReport([evaluate_dataset(ds, archive) for ds in found], missing)


def format_report(report: TagReport) -> str:
    lines = [f"{'data set':<44} {'n':>5}  {'system':<15} {'hits':>5} {'P@3':>6} {'R@3':>6} {'F1@3':>6} "
             f"{'95% interval':>13} {'ms/art':>7}"]
    for d in report.datasets:
        for system in ("xinwen", "xinwen-unseen", "xinwen+archive", "jieba-tfidf", "jieba-textrank"):
            if system not in d:
                continue
            s = d[system]
            name, n = (d["name"], str(d["n"])) if system == "xinwen" else ("", "")
            lo, hi = s["f1_ci"]
            lines.append(f"{name:<44} {n:>5}  {system:<15} {s['hits']:>5} {s['p']:>6.3f} {s['r']:>6.3f} "
                         f"{s['f1']:>6.3f} {f'{lo:.3f}-{hi:.3f}':>13} {s['ms']:>7.2f}")
    for m in report.missing:
        lines.append(f"missing data set: {m}")
    return "\n".join(lines)

"""`xinwen eval tags`: computed tags against editors' tags, beside jieba on the same input.

For each data set, xinwen's tags come from the public path (`Collection.tag`, what
`xinwen tag` runs, with no fitted corpus: the shipped model and general IDF), and
jieba's TF-IDF and TextRank (`jieba.analyse`, the anchor) get the same text: title and
body joined by a line end. Scores are exact string matches in the top k:
P@k and R@k averaged over articles, F1@k the mean of per-article F1, with its 95% bootstrap
interval over the articles (how much another sample of the same size could differ).
tnews dev: the first 2,000 titles with >= 3 tags (as the anchors in SOURCES.md), or the first
--limit N of its 6,580.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    ]
    for key, name, load in loaders:
        try:
            found.append(TagDataset(key, name, load()))
        except DatasetMissing as exc:
            missing.append(str(exc))
    return found, missing


def xinwen_tags(articles: list[Article]) -> list[list[str]]:
    """The public path: a Collection without a fitted corpus tags the articles, as `xinwen tag` does."""
    from xinwen.collection import Collection

    with Collection(":memory:") as c:
        copies = [Article(title=a.title, body=a.body, id=a.id) for a in articles]
        return [a.tags for a in c.tag(copies) if isinstance(a, Article)]


def _jieba(method: str) -> Callable[[str], list[str]]:
    import jieba
    import jieba.analyse

    jieba.setLogLevel(60)
    jieba.analyse.extract_tags("预热")  # load dictionaries outside the timing
    fn = jieba.analyse.extract_tags if method == "tfidf" else jieba.analyse.textrank
    return lambda text: fn(text, topK=K)


def evaluate_dataset(ds: TagDataset) -> dict[str, Any]:
    gold = [a.source_tags for a in ds.articles]
    out: dict[str, Any] = {"key": ds.key, "name": ds.name, "n": len(ds.articles)}
    t0 = time.perf_counter()
    ours = xinwen_tags(ds.articles)
    out["xinwen"] = score(ours, gold, time.perf_counter() - t0).to_dict()
    texts = [a.title + "\n" + a.body if a.body else a.title for a in ds.articles]
    for label, method in (("jieba-tfidf", "tfidf"), ("jieba-textrank", "textrank")):
        fn = _jieba(method)
        t0 = time.perf_counter()
        pred = [fn(t) for t in texts]
        out[label] = score(pred, gold, time.perf_counter() - t0).to_dict()
    return out


def evaluate_tags(limit: int | None = None) -> TagReport:
    """Every tag data set present on this machine; the missing ones are named in `missing`."""
    found, missing = load_datasets(limit)
    xinwen_tags([Article(title="预热", body="预热")])  # load the model and dictionaries outside the timing
    return TagReport([evaluate_dataset(ds) for ds in found], missing)


def format_report(report: TagReport) -> str:
    lines = [f"{'data set':<44} {'n':>5}  {'system':<15} {'hits':>5} {'P@3':>6} {'R@3':>6} {'F1@3':>6} "
             f"{'95% interval':>13} {'ms/art':>7}"]
    for d in report.datasets:
        for system in ("xinwen", "jieba-tfidf", "jieba-textrank"):
            s = d[system]
            name, n = (d["name"], str(d["n"])) if system == "xinwen" else ("", "")
            lo, hi = s["f1_ci"]
            lines.append(f"{name:<44} {n:>5}  {system:<15} {s['hits']:>5} {s['p']:>6.3f} {s['r']:>6.3f} "
                         f"{s['f1']:>6.3f} {f'{lo:.3f}-{hi:.3f}':>13} {s['ms']:>7.2f}")
    for m in report.missing:
        lines.append(f"missing data set: {m}")
    return "\n".join(lines)

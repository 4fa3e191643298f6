"""`xinwen eval related`: related articles against labels, beside TF-IDF cosine on the same input.

Each data set becomes a JSONL file in a temporary folder, is ingested into a new collection
with the public API (`Collection.ingest`, which fits the corpus statistics and the related-
articles vectors as `xinwen ingest` does), and every article asks `Collection.related(id, k=5)`.
A neighbour is right when it has the same category (sina800, cnews1000) or shares an editor
tag (tnews titles); the labels are never ingested. The anchor gets the same records and the
same text (title and body): cosine of TF-IDF (sublinear tf) over jieba.lcut tokens that
contain a letter or digit, what Elasticsearch's more_like_this approximates. Each precision
comes with its 95% bootstrap interval over the articles (evaluation/bootstrap.py).

tnews: the first 10,000 titles with >= 3 tags are all in the train split, the one the
shipped tag model (xinwen.analysis.tagmodel) learned editors' tags from, so computed tags
would carry those very titles' gold tags. There the tag signals are switched off
(tags=0, topics=0) and related sees the words only, unless the tag model in use
($XINWEN_TAG_MODEL) says it was built without them (`python bench/build_tag_model.py
--hold-out-first 10000`): then the default weights run. tnews dev titles, which no tag model
saw, run with the default weights.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xinwen.errors import XinwenError
from xinwen.evaluation import datasets
from xinwen.evaluation.bootstrap import interval
from xinwen.evaluation.datasets import DatasetMissing
from xinwen.linking.related import RelatedWeights

K = 5
TNEWS_FIRST = 10_000


@dataclass
class RelatedDataset:
    """Records to ingest (without their labels) and each record's label."""

    name: str
    records: list[dict[str, Any]]
    labels: dict[str, Any]  # id -> category (str) or tags (frozenset)
    weights: RelatedWeights | None = None
    note: str = ""
    queries: set[str] | None = None  # the ids asked about (None: every record)
    key: str = ""  # a short stable name (what the quality floors name)

    def asked(self) -> list[dict[str, Any]]:
        return [r for r in self.records if self.queries is None or r["id"] in self.queries]

    def text(self, record: dict[str, Any]) -> str:
        return record.get("text") or "\n".join(x for x in (record.get("title"), record.get("body")) if x)

    def right(self, a: str, b: str) -> bool:
        la, lb = self.labels[a], self.labels[b]
        return bool(la & lb) if isinstance(la, frozenset) else la == lb


@dataclass
class RelatedReport:
    datasets: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"k": K, "datasets": self.datasets, "missing": self.missing}


# -- data sets -----------------------------------------------------------------
def _categories(name: str, fields: tuple[str, ...], limit: int | None) -> tuple[list[dict], dict[str, Any]]:
    recs, labels = [], {}
    for r in datasets.records(name):
        recs.append({f: r[f] for f in ("id", *fields)})
        labels[r["id"]] = r["category"]
        if limit and len(recs) >= limit:
            break
    return recs, labels


def _half_sections(name: str, fields: tuple[str, ...], limit: int | None) -> RelatedDataset:
    """A collection where every other article of each category keeps it as its section (as a CMS export
    has it) and the rest come without one; the articles without a section are asked about, so that
    their section is guessed (the nearest section centroid), never read."""
    recs, labels = _categories(f"{name}.jsonl.gz", fields, limit)
    seen: dict[str, int] = {}
    asked = set()
    for r in recs:
        n = seen[labels[r["id"]]] = seen.get(labels[r["id"]], 0) + 1
        if n % 2:
            r["category"] = labels[r["id"]]
        else:
            asked.add(r["id"])
    return RelatedDataset(f"{name} half sectioned (same category)", recs, labels,
                          queries=asked, note="sections given for every other article of a category; "
                                              "P@5 over the articles without one")


def _tnews(split: str | None, n: int, limit: int | None) -> tuple[list[dict], dict[str, Any]]:
    recs, labels = [], {}
    for r in datasets.records("tnews.jsonl.gz"):
        if len(r["keywords"]) >= 3 and (split is None or r["split"] == split):
            recs.append({"id": r["id"], "title": r["title"]})
            labels[r["id"]] = frozenset(r["keywords"])
            if len(recs) >= min(n, limit or n):
                break
    return recs, labels


def load_datasets(limit: int | None = None, names: Iterable[str] | None = None) -> tuple[list[RelatedDataset], list[str]]:
    """sina800, cnews1000, each with half its articles sectioned, tnews (first 10,000 with >= 3 tags),
    tnews dev (>= 3 tags)."""
    loaders: dict[str, Callable[[], RelatedDataset]] = {
        "sina800": lambda: RelatedDataset(
            "sina800 (same category)", *_categories("sina800.jsonl.gz", ("title", "body"), limit)),
        "cnews1000": lambda: RelatedDataset(
            "cnews1000 (same category)", *_categories("cnews1000.jsonl.gz", ("text",), limit)),
        "sina800-sections": lambda: _half_sections("sina800", ("title", "body"), limit),
        "cnews1000-sections": lambda: _half_sections("cnews1000", ("text",), limit),
        "tnews": lambda: RelatedDataset(
            "tnews first 10,000 titles with >= 3 tags (share a tag)", *_tnews(None, TNEWS_FIRST, limit),
            **_tnews_first_weights()),
        "tnews-dev": lambda: RelatedDataset(
            "tnews dev titles with >= 3 tags (share a tag)", *_tnews("dev", TNEWS_FIRST, limit),
            note="dev split: default weights (the tag model never saw these titles)"),
    }
    found, missing = [], []
    for key in names or loaders:
        if key not in loaders:
            raise XinwenError(f"unknown data set {key!r}; known: {', '.join(loaders)}")
        try:
            found.append(loaders[key]())
            found[-1].key = key
        except DatasetMissing as exc:
            missing.append(str(exc))
    return found, missing


def held_out_first() -> int:
    """How many of the first tnews titles with >= 3 tags the tag model in use was built without
    (recorded by bench/build_tag_model.py --hold-out-first N; 0 for the shipped model)."""
    from xinwen.analysis.pipeline import active_tag_model

    return active_tag_model().held_out_first


def _tnews_first_weights() -> dict[str, Any]:
    if held_out_first() >= TNEWS_FIRST:
        return {"note": "train split, but the tag model in use ($XINWEN_TAG_MODEL) was built without these "
                        "titles: default weights"}
    return {"weights": RelatedWeights.parse("tags=0,topics=0"),
            "note": "train split: the tag signals are off (the shipped tag model learned these titles' tags)"}


# -- measuring ---------------------------------------------------------------------
def xinwen_neighbours(ds: RelatedDataset, k: int = K) -> tuple[dict[str, list[str]], float]:
    """Ingest the records into a new collection and ask related(id) for each; (ids, seconds per query)."""
    from xinwen.collection import Collection

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ds.records), encoding="utf-8")
        with Collection(Path(tmp) / "eval.db") as c:
            c.ingest([path], progress=False)
            start = time.perf_counter()
            asked = ds.asked()
            out = {r["id"]: [h.article.id for h in c.related(r["id"], k=k, weights=ds.weights)] for r in asked}
            seconds = time.perf_counter() - start
    return out, seconds / max(1, len(asked))


def anchor_neighbours(ds: RelatedDataset, k: int = K) -> tuple[dict[str, list[str]], float]:
    """TF-IDF cosine over jieba tokens (the anchor); (ids, seconds per query, fit included)."""
    import logging

    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba.setLogLevel(logging.WARNING)
    start = time.perf_counter()
    word = re.compile(r"\w")
    docs = [[w for w in jieba.lcut(ds.text(r)) if word.search(w)] for r in ds.records]
    x = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit_transform(docs)
    ids = [r["id"] for r in ds.records]
    out: dict[str, list[str]] = {}
    for i in range(0, len(ids), 1000):
        sims = (x[i : i + 1000] @ x.T).toarray()
        for j in range(sims.shape[0]):
            sims[j, i + j] = -np.inf
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        for j, row in enumerate(top):
            out[ids[i + j]] = [ids[t] for t in row]
    return out, (time.perf_counter() - start) / max(1, len(ids))


def precisions(ds: RelatedDataset, neighbours: dict[str, list[str]], k: int = K) -> list[float]:
    """Per article, the share of its k neighbours that are right (missing ones count wrong)."""
    out = []
    for r in ds.asked():
        got = neighbours.get(r["id"], [])[:k]
        out.append(sum(ds.right(r["id"], b) for b in got if b in ds.labels) / k)
    return out


def precision(ds: RelatedDataset, neighbours: dict[str, list[str]], k: int = K) -> float:
    """Mean over articles of the share of the k neighbours that are right (missing ones count wrong)."""
    values = precisions(ds, neighbours, k)
    return sum(values) / max(1, len(values))


def _measured(ds: RelatedDataset, neighbours: dict[str, list[str]], seconds: float, k: int) -> dict[str, Any]:
    values = precisions(ds, neighbours, k)
    return {"p_at_k": round(sum(values) / max(1, len(values)), 4),
            "p_at_k_ci": [round(v, 4) for v in interval(values)], "ms": round(seconds * 1000, 3)}


def evaluate_dataset(ds: RelatedDataset, k: int = K) -> dict[str, Any]:
    ours, ours_s = xinwen_neighbours(ds, k)
    anchor, anchor_s = anchor_neighbours(ds, k)
    return {
        "key": ds.key, "name": ds.name, "n": len(ds.asked()), "note": ds.note,
        "xinwen": _measured(ds, ours, ours_s, k),
        "tfidf-cosine": _measured(ds, anchor, anchor_s, k),
    }


def evaluate_related(limit: int | None = None, names: Iterable[str] | None = None) -> RelatedReport:
    found, missing = load_datasets(limit, names)
    return RelatedReport([evaluate_dataset(ds) for ds in found], missing)


def format_report(report: RelatedReport) -> str:
    lines = [f"{'data set':58} {'n':>6}  {'xinwen P@5':>10} {'95% interval':>13}  {'TF-IDF cos':>10}  {'ratio':>6}  "
             f"{'ms/query':>8}"]
    for d in report.datasets:
        ours, anchor = d["xinwen"]["p_at_k"], d["tfidf-cosine"]["p_at_k"]
        ratio = ours / anchor if anchor else float("nan")
        lo, hi = d["xinwen"]["p_at_k_ci"]
        lines.append(f"{d['name'][:58]:58} {d['n']:>6}  {ours:>10.4f} {f'{lo:.3f}-{hi:.3f}':>13}  {anchor:>10.4f}  "
                     f"{ratio:>6.2f}  {d['xinwen']['ms']:>8.2f}")
        if d.get("note"):
            lines.append(f"    {d['note']}")
    return "\n".join(lines)

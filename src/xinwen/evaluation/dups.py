"""`xinwen eval dups`: copies planted among the whole xinwenlianbo corpus, found or not.

1,000 stories (bodies of at least copycheck.MIN_CHARS characters) are copied, each with a
new date (30-400 days later) and one of: no change to the text, 5-10% of its Chinese
characters replaced by others drawn from the corpus, or cut to 70% of its length; each
copy also gets a source line on top and an editor line at the end, each with chance 1/2.
Figures are left alone (a reprint keeps its facts). The copies are shuffled into the
corpus, so about half arrive before their original, and everything is ingested into a new
collection with the public API; `Collection.duplicates()` is then read back.

- recall: planted copies in the same cluster as their original.
- precision: of the other articles clustered with a planted copy, those that are its
  original or a story whose text is the original's (character-trigram Jaccard >= 0.9,
  measured directly: the corpus prints some stories twice).
- canonical: clusters holding a copy and its original whose canonical is not the copy.

The anchor gets the same corpus and copies: TF-IDF (sublinear tf) cosine over jieba tokens,
a copy's partners being the stories at cosine >= ANCHOR_THRESHOLD.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from xinwen.evaluation import datasets
from xinwen.evaluation.bootstrap import interval, ratio_interval
from xinwen.linking.copycheck import MIN_CHARS, normalize, trigrams

N_PLANTED = 1000
SEED = 4
ANCHOR_THRESHOLD = 0.8
TWIN_JACCARD = 0.9
SOURCE_LINES = ["来源：新华网", "（来源：人民日报客户端）", "来源：央视新闻客户端", "本文来源：光明网", "转自：中国新闻网"]
EDITOR_LINES = ["（责任编辑：王晓明）", "责任编辑：李娜", "【编辑：张伟】", "（编辑：陈静　审核：刘洋）"]
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Planted:
    copy: dict[str, Any]  # the record ingested
    original: str  # id of the story copied
    edits: tuple[str, ...]


def plant_copy(story: dict[str, Any], rng: random.Random, chars: Sequence[str], n: int = 0) -> Planted:
    """A republished copy of `story` (a xinwenlianbo record) with the edits described above."""
    kind = rng.choice(["none", "change", "cut"])
    edits = [] if kind == "none" else [kind]
    body = story["body"]
    if kind == "change":
        body = change_characters(body, rng.uniform(0.05, 0.10), rng, chars)
    elif kind == "cut":
        body = body[: int(len(body) * 0.7)]
    if rng.random() < 0.5:
        body = rng.choice(SOURCE_LINES) + "\n" + body
        edits.append("source")
    if rng.random() < 0.5:
        body = body + "\n" + rng.choice(EDITOR_LINES)
        edits.append("editor")
    day = date.fromisoformat(story["date"]) + timedelta(days=rng.randint(30, 400))
    record = {"id": f"copy{n}-{story['id']}", "title": story["title"], "date": day.isoformat(), "body": body}
    return Planted(record, story["id"], ("new date", *edits))


def change_characters(text: str, share: float, rng: random.Random, chars: Sequence[str]) -> str:
    """Replace `share` of the Chinese characters of `text` at random places."""
    places = [i for i, ch in enumerate(text) if _CJK.match(ch)]
    out = list(text)
    for i in rng.sample(places, int(round(len(places) * share))):
        out[i] = rng.choice(chars)
    return "".join(out)


@dataclass
class DupsReport:
    n_corpus: int = 0
    n_planted: int = 0
    xinwen: dict[str, Any] = field(default_factory=dict)
    anchor: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"corpus": "xinwenlianbo", "n_corpus": self.n_corpus, "n_planted": self.n_planted,
                "xinwen": self.xinwen, "tfidf-cosine": self.anchor, "missing": self.missing}


def planted_corpus(n: int = N_PLANTED, limit: int | None = None, seed: int = SEED
                   ) -> tuple[list[dict[str, Any]], list[Planted]]:
    stories = list(datasets.records("xinwenlianbo.jsonl.gz"))
    if limit:
        stories = stories[:limit]
    rng = random.Random(seed)
    chars = [ch for s in stories[:3000] for ch in s["body"] if _CJK.match(ch)]
    pool = [s for s in stories if len(normalize(s["body"])) >= MIN_CHARS]
    picked = rng.sample(pool, min(n, len(pool)))
    return stories, [plant_copy(s, rng, chars, i) for i, s in enumerate(picked)]


def twins(stories: list[dict[str, Any]], ids: set[str]) -> dict[str, set[str]]:
    """For each id in `ids`: the stories whose text is the same (trigram Jaccard >= TWIN_JACCARD)."""
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, s in enumerate(stories):
        for g in trigrams(normalize(s["body"])):
            rows.append(r)
            cols.append(vocab.setdefault(g, len(vocab)))
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(stories), len(vocab)))
    sizes = np.asarray(m.sum(axis=1)).ravel()
    where = {s["id"]: i for i, s in enumerate(stories)}
    order = sorted(ids)
    rows_of = np.array([where[sid] for sid in order], dtype=np.int64)
    out: dict[str, set[str]] = {}
    for start in range(0, len(order), 500):
        part = rows_of[start : start + 500]
        inter = (m[part] @ m.T).toarray()
        jac = inter / np.maximum(sizes[part][:, None] + sizes[None, :] - inter, 1)
        for k, i in enumerate(part.tolist()):
            out[order[start + k]] = {stories[j]["id"] for j in np.flatnonzero(jac[k] >= TWIN_JACCARD) if j != i}
    return out


def score(clusters: dict[str, list[str]], planted: list[Planted], truth: dict[str, set[str]]) -> dict[str, Any]:
    """clusters: article id -> ids of its cluster (canonical first)."""
    found: list[float] = []
    rights: list[float] = []
    pairs: list[float] = []
    canonical_ok = canonical_n = 0
    for p in planted:
        group = clusters.get(p.copy["id"], [])
        others = [x for x in group if x != p.copy["id"]]
        found.append(float(p.original in others))
        ok = {p.original} | truth.get(p.original, set())
        rights.append(sum(1 for x in others if x in ok))
        pairs.append(len(others))
        if p.original in others:
            canonical_n += 1
            canonical_ok += group[0] != p.copy["id"]
    right, total = int(sum(rights)), int(sum(pairs))
    return {"recall": round(sum(found) / max(1, len(planted)), 4),
            "recall_ci": [round(v, 4) for v in interval(found)],
            "precision": round(right / max(1, total), 4),
            "precision_ci": [round(v, 4) for v in ratio_interval(rights, pairs)] if total else [1.0, 1.0],
            "pairs_right": right, "pairs_wrong": total - right,
            "canonical_not_the_copy": round(canonical_ok / max(1, canonical_n), 4)}


def evaluate_dups(n: int = N_PLANTED, limit: int | None = None) -> DupsReport:
    from xinwen.collection import Collection
    from xinwen.evaluation.datasets import DatasetMissing

    try:
        stories, planted = planted_corpus(n, limit)
    except DatasetMissing as exc:
        return DupsReport(missing=[str(exc)])
    records = [{k: s[k] for k in ("id", "title", "date", "body", "url") if k in s} for s in stories]
    stream = records + [p.copy for p in planted]
    random.Random(SEED + 1).shuffle(stream)
    truth = twins(stories, {p.original for p in planted})
    report = DupsReport(len(stories), len(planted))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in stream), encoding="utf-8")
        with Collection(Path(tmp) / "dups.db") as c:
            start = time.perf_counter()
            c.ingest([path], progress=False, fit=False)
            seconds = time.perf_counter() - start
            clusters: dict[str, list[str]] = {}
            all_clusters = c.duplicates()
            for cl in all_clusters:
                ids = [cl.canonical.id] + [a.id for a in cl.copies]
                for i in ids:
                    clusters[i] = ids
    planted_ids = {p.copy["id"] for p in planted}
    natural = [cl for cl in all_clusters if not ({cl.canonical.id} | {a.id for a in cl.copies}) & planted_ids]
    report.xinwen = score(clusters, planted, truth) | {
        "clusters_without_planted_copies": len(natural), "ingest_ms_per_article": round(seconds * 1000 / len(stream), 3)}
    report.anchor = anchor_score(stories, planted, truth)
    return report


def anchor_score(stories: list[dict[str, Any]], planted: list[Planted], truth: dict[str, set[str]]) -> dict[str, Any]:
    import logging

    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba.setLogLevel(logging.WARNING)
    word = re.compile(r"\w")
    docs = [[w for w in jieba.lcut(s["body"]) if word.search(w)] for s in stories]
    docs += [[w for w in jieba.lcut(p.copy["body"]) if word.search(w)] for p in planted]
    x = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit_transform(docs)
    n = len(stories)
    ids = [s["id"] for s in stories] + [p.copy["id"] for p in planted]
    sims = (x[n:] @ x.T).toarray()
    clusters = {}
    for k, p in enumerate(planted):
        sims[k, n + k] = -1.0
        clusters[p.copy["id"]] = [p.copy["id"]] + [ids[j] for j in np.flatnonzero(sims[k] >= ANCHOR_THRESHOLD)]
    out = score(clusters, planted, truth)
    out.pop("canonical_not_the_copy")
    return out | {"threshold": ANCHOR_THRESHOLD}


def format_report(report: DupsReport) -> str:
    x, a = report.xinwen, report.anchor
    lines = [f"xinwenlianbo: {report.n_corpus} stories, {report.n_planted} planted copies",
             f"{'':24} {'recall':>8} {'precision':>10} {'pairs right/wrong':>18}"]
    for name, d in (("xinwen", x), (f"TF-IDF cosine >= {ANCHOR_THRESHOLD}", a)):
        lines.append(f"{name:24} {d['recall']:>8.4f} {d['precision']:>10.4f} "
                     f"{str(d['pairs_right']) + '/' + str(d['pairs_wrong']):>18}")
    lines.append(f"canonical is not the copy: {x['canonical_not_the_copy']:.4f}; clusters without planted "
                 f"copies: {x['clusters_without_planted_copies']}; ingest {x['ingest_ms_per_article']} ms/article")
    return "\n".join(lines)

"""`xinwen eval search`: can a reader find a story again from a few words of its headline?

The xinwenlianbo stories (the first `limit`, or all) are ingested into a new collection with the public
API. From the stories whose title is unique among them (a title printed on many days, like 国内联播快讯,
cannot name one story), a seeded draw takes `queries`; each query is 2 or 3 distinct words (jieba, two or
more characters, not stop words) of the story's own title, in random order. Reported: the share of
queries with the story in the top 10 (with its 95% bootstrap interval), in the top 1, and the mean
reciprocal rank, beside the anchor: LIKE scanning (every word in the title or body; ranked by how many
the title holds, then newest), what a site without a search engine does.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinwen.evaluation import datasets
from xinwen.evaluation.bootstrap import interval

N_QUERIES = 200
DRAW_SEED = 2024
QUERY_SEED = 7


def title_words(title: str) -> list[str]:
    """The distinct words of a title a reader might type: two or more characters, not stop words."""
    from xinwen.analysis.lexicon import stopwords
    from xinwen.analysis.segment import cut

    stop = stopwords()
    out: list[str] = []
    for w in cut(title):
        w = w.strip()
        if len(w) >= 2 and any(ch.isalnum() for ch in w) and w not in stop and w not in out:
            out.append(w)
    return out


def make_query(title: str, rng: random.Random, sizes: tuple[int, ...] = (2, 3), words: str = "random") -> str | None:
    """2-3 of the title's content words: any, in random order ("random"), or a run of them in the
    title's order ("run": what a reader who half remembers a headline types)."""
    ws = title_words(title)
    k = rng.choice([s for s in sizes if s <= len(ws)] or [0])
    if not k:
        return None
    if words == "run":
        start = rng.randrange(len(ws) - k + 1)
        return " ".join(ws[start : start + k])
    return " ".join(rng.sample(ws, k))


def unique_titles(stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stories whose title no other story has (and that have a body)."""
    counts = Counter(s["title"] for s in stories)
    return [s for s in stories if counts[s["title"]] == 1 and s["body"].strip()]


def draw_queries(stories: list[dict[str, Any]], n: int = N_QUERIES, words: str = "random",
                 offset: int = 0) -> list[tuple[str, str]]:
    """(story id, query) for n stories with a unique title (the draw after the first `offset`)."""
    unique = unique_titles(stories)
    random.Random(DRAW_SEED).shuffle(unique)
    qrng = random.Random(QUERY_SEED)
    picks = []
    for s in unique[offset:]:
        q = make_query(s["title"], qrng, words=words)
        if q:
            picks.append((s["id"], q))
        if len(picks) >= n:
            break
    return picks


def like_top(stories: list[dict[str, Any]], words: list[str], k: int = 10) -> list[str]:
    """The anchor, what `LIKE '%word%'` does: every word in the title or body, ranked by how many the
    title holds, then newest (the stories' `date`, ISO text)."""
    found = []
    for s in stories:
        title, body = s.get("title") or "", s.get("body") or ""
        if all(w in title or w in body for w in words):
            found.append((sum(w in title for w in words), str(s.get("date") or ""), s["id"]))
    found.sort(reverse=True)
    return [i for _, _, i in found[:k]]


@dataclass
class SearchReport:
    n_stories: int = 0
    n_queries: int = 0
    xinwen: dict[str, Any] = field(default_factory=dict)
    anchor: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"corpus": "xinwenlianbo", "n_stories": self.n_stories, "n_queries": self.n_queries,
                "xinwen": self.xinwen, "like": self.anchor, "missing": self.missing}


def _measured(ranks: list[int], seconds: list[float]) -> dict[str, Any]:
    n = max(1, len(ranks))
    found = [1.0 if r else 0.0 for r in ranks]
    return {"top10": round(sum(found) / n, 4), "top10_ci": [round(v, 4) for v in interval(found)],
            "top1": round(sum(1 for r in ranks if r == 1) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
            "ms": round(1000 * sum(seconds) / n, 3)}


def evaluate_search(limit: int | None = None, queries: int = N_QUERIES) -> SearchReport:
    from xinwen.collection import Collection

    try:
        stories = []
        for r in datasets.records("xinwenlianbo.jsonl.gz"):
            stories.append(r)
            if limit and len(stories) >= limit:
                break
    except datasets.DatasetMissing as exc:
        return SearchReport(missing=[str(exc)])
    picks = draw_queries(stories, queries)
    report = SearchReport(len(stories), len(picks))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stories.jsonl"
        path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in stories), encoding="utf-8")
        with Collection(Path(tmp) / "search.db") as c:
            c.ingest([path], progress=False)
            c.search("预热")  # load the segmenter and the doc values outside the timing
            ours, anchor, ours_s, anchor_s = [], [], [], []
            for sid, q in picks:
                t0 = time.perf_counter()
                ids = [h.article.id for h in c.search(q, limit=10, facets=False).hits]
                ours_s.append(time.perf_counter() - t0)
                ours.append(ids.index(sid) + 1 if sid in ids else 0)
                t0 = time.perf_counter()
                ids = like_top(stories, q.split())
                anchor_s.append(time.perf_counter() - t0)
                anchor.append(ids.index(sid) + 1 if sid in ids else 0)
    report.xinwen = _measured(ours, ours_s)
    report.anchor = _measured(anchor, anchor_s)
    return report


def format_report(report: SearchReport) -> str:
    lines = [f"xinwenlianbo: {report.n_stories} stories, {report.n_queries} queries of 2-3 words from a story's "
             "own title; is the story in the top 10?",
             f"{'method':14} {'top10':>7} {'95% interval':>13} {'top1':>7} {'MRR':>7} {'ms/query':>9}"]
    for name, d in (("xinwen", report.xinwen), ("LIKE scanning", report.anchor)):
        lo, hi = d["top10_ci"]
        lines.append(f"{name:14} {d['top10']:7.3f} {f'{lo:.3f}-{hi:.3f}':>13} {d['top1']:7.3f} {d['mrr']:7.3f} "
                     f"{d['ms']:9.2f}")
    return "\n".join(lines)

"""Corpus-wide analysis on a Dask cluster: `xinwen analyze INPUT... --out DIR`.

The inputs are split into shards (each file is one; a folder gives its files) and every step is a map
over the shards on the cluster's workers, with the corpus statistics as reductions:

1. new words: each shard's token-run counts (newwords.RunCounts), summed; the candidates chosen from the
   sum; each shard's candidate neighbours, summed; the new words chosen from those (the same steps as
   newwords.discover in one process, so the same words for the same corpus);
2. document frequencies: each shard counted with the new words and the user's, summed (CorpusStats);
3. analysis: each shard's articles analyzed with those statistics (tags, snippet, fingerprint, index
   terms, tag weights: what `xinwen ingest` computes) and written as one Parquet file.

DIR then holds part-NNNNN.parquet files and xinwen-analysis.json (the statistics, the shards, the
problems met). `xinwen ingest DIR` stores it into either backend without analyzing again. Each worker
builds its Analyzer once per process (loading the tag model takes a second or two).

Without a scheduler address a LocalCluster of `workers` processes runs on this machine.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from xinwen.analysis.newwords import (
    Neighbours,
    RunCounts,
    _all_runs,
    candidates,
    count_runs,
    neighbours,
    new_words,
)
from xinwen.analysis.stats import CorpusStats
from xinwen.article import Article, Problem, RelatedRef, content_hash
from xinwen.errors import XinwenError

MANIFEST = "xinwen-analysis.json"
FORMAT_VERSION = 1
COLUMNS = ("id", "title", "body", "url", "source", "published", "category", "tags", "snippet", "source_tags",
           "source_related", "extra", "read_from", "title_terms", "body_terms", "fingerprint", "tag_weights",
           "content_hash")


@dataclass
class AnalyzeReport:
    shards: int = 0
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_words: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    out: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"shards": self.shards, "articles": self.articles, "new_words": self.new_words,
                "problems": [p.to_dict() for p in self.problems], "seconds": self.seconds, "out": self.out}


def shards(inputs: list[str]) -> list[str]:
    """Every file the inputs name (a folder's files, sorted, as `xinwen ingest` reads them)."""
    from xinwen.readers import _walk

    out: list[str] = []
    for path in inputs:
        p = Path(path)
        if p.is_dir():
            out += [str(f) for f in _walk(p, set()) if not isinstance(f, Problem)]
        elif p.exists():
            out.append(str(p))
        else:
            raise XinwenError("no such file or folder", file=path)
    return out


def _articles(path: str) -> tuple[list[Article], list[Problem]]:
    from xinwen.ingest import plausible_dates
    from xinwen.readers import read

    articles, problems = [], []
    for item in plausible_dates(read([path])):
        (problems if isinstance(item, Problem) else articles).append(item)
    return articles, problems


@lru_cache(maxsize=4)
def _segmenter(words: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from xinwen.analysis.segment import Segmenter

    return Segmenter.with_words(words)


# -- the maps (each runs on a worker, on one shard) -----------------------------------------------------
def shard_runs(path: str, user_words: tuple[str, ...], chars: int) -> RunCounts:
    from xinwen.analysis.segment import PLAIN

    articles, _ = _articles(path)
    tagged = (PLAIN.tag(a.title or "") + PLAIN.tag((a.body or "")[:chars]) for a in articles)
    runs, n = _all_runs(tagged, _segmenter(user_words).has_word)
    return count_runs(runs, n)


def shard_neighbours(path: str, user_words: tuple[str, ...], chars: int, cands: dict) -> Neighbours:
    from xinwen.analysis.segment import PLAIN

    articles, _ = _articles(path)
    tagged = (PLAIN.tag(a.title or "") + PLAIN.tag((a.body or "")[:chars]) for a in articles)
    runs, _ = _all_runs(tagged, _segmenter(user_words).has_word)
    return neighbours(runs, cands)


def shard_df(path: str, words: tuple[str, ...], chars: int) -> tuple[Counter, int]:
    cut = _segmenter(words).cut
    articles, _ = _articles(path)
    df: Counter[str] = Counter()
    for a in articles:
        df.update(set(cut(a.title or "") + cut((a.body or "")[:chars])))
    return df, len(articles)


@lru_cache(maxsize=2)
def _analyzer(stats: bytes):  # type: ignore[no-untyped-def]
    from xinwen.analysis.pipeline import Analyzer

    return Analyzer(CorpusStats.from_bytes(stats))


def shard_analyze(path: str, stats: bytes, out: str, number: int) -> dict[str, Any]:
    """Analyze one shard with the statistics and write it as part-NNNNN.parquet; returns its counts and
    problems."""
    from xinwen.ingest import analyze_one

    analyzer = _analyzer(stats)
    articles, problems = _articles(path)
    rows: dict[str, list] = {c: [] for c in COLUMNS}
    for a in articles:
        chash = content_hash(a)  # of the record as read, as ingest computes it
        r = analyze_one(analyzer, a)
        if isinstance(r, str):
            problems.append(_problem(a, f"cannot analyze: {r}; record skipped"))
            continue
        values = {
            "id": a.id, "title": a.title, "body": a.body, "url": a.url, "source": a.source,
            "published": a.published.isoformat() if a.published else None, "category": a.category,
            "tags": list(a.tags), "snippet": a.snippet, "source_tags": list(a.source_tags),
            "source_related": json.dumps([ref.__dict__ for ref in a.source_related], ensure_ascii=False),
            "extra": json.dumps(a.extra, ensure_ascii=False, default=str), "read_from": a.read_from,
            "title_terms": r.title_terms, "body_terms": r.body_terms,
            "fingerprint": r.fingerprint.astype("uint64").tobytes(),
            "tag_weights": json.dumps(r.tag_weights, ensure_ascii=False), "content_hash": chash,
        }
        for c in COLUMNS:
            rows[c].append(values[c])
    _write_parquet(rows, Path(out) / f"part-{number:05d}.parquet")
    return {"shard": path, "articles": len(rows["id"]), "problems": [p.to_dict() for p in problems]}


def _problem(a: Article, message: str) -> Problem:
    file, _, line = (a.read_from or "").rpartition(":")
    return Problem(file or a.id, int(line) if line.isdigit() else None, None, message)


def _write_parquet(rows: dict[str, list], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"tags": pa.list_(pa.string()), "source_tags": pa.list_(pa.string()), "fingerprint": pa.binary()}
    table = pa.table({c: pa.array(rows[c], type=types.get(c, pa.string())) for c in COLUMNS})
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


# -- the driver ----------------------------------------------------------------------------------------------
def analyze(
    inputs: list[str], out: str | Path, *, scheduler: str | None = None, workers: int | None = None,
    user_words: list[str] | None = None, discover_words: bool = True,
) -> AnalyzeReport:
    """Analyze the inputs on a Dask cluster (the scheduler at `scheduler`, else a LocalCluster of
    `workers` processes) into `out`."""
    try:
        import pyarrow  # noqa: F401
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise XinwenError(f"xinwen analyze needs Dask and pyarrow ({exc.name} is missing): "
                          "pip install 'xinwen[scale]'") from exc

    from xinwen.analysis.lexicon import env_user_words
    from xinwen.limits import limits

    paths = shards(inputs)
    if not paths:
        raise XinwenError("nothing to analyze: the inputs hold no files")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("part-*.parquet"):
        old.unlink()
    user = tuple(user_words or ()) + tuple(env_user_words())
    chars = limits().analyzed_chars
    report = AnalyzeReport(shards=len(paths), out=str(out_dir))
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        t0 = time.perf_counter()
        vocabulary: list[str] = []
        if discover_words:
            counts = _sum(client.gather(client.map(shard_runs, paths, [user] * len(paths), [chars] * len(paths),
                                                   pure=False)))
            cands = candidates(counts)
            if cands:
                shared = client.scatter(cands, broadcast=True, hash=False)  # once to every worker
                nbs = _sum(client.gather(client.map(shard_neighbours, paths, [user] * len(paths),
                                                    [chars] * len(paths), [shared] * len(paths), pure=False)))
                found = new_words(counts, cands, nbs, known=frozenset(user), is_word=_segmenter(user).has_word)
                vocabulary = [w.word for w in found]
        report.seconds["new_words"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        # scattered once and passed by position: a large keyword argument of client.map becomes a task of
        # its own whose key is the argument's name, which distributed 2026.8 fails to schedule
        words = client.scatter(tuple(user) + tuple(vocabulary), broadcast=True, hash=False)
        parts = client.gather(client.map(shard_df, paths, [words] * len(paths), [chars] * len(paths), pure=False))
        df: Counter[str] = Counter()
        n = 0
        for part_df, part_n in parts:
            df.update(part_df)
            n += part_n
        if n >= 1000:  # as CorpusStats.fit: a word seen once weighs like an unseen one
            df = Counter({w: c for w, c in df.items() if c > 1})
        stats = CorpusStats(n, dict(df), vocabulary, list(user_words or []))
        report.seconds["statistics"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        data = stats.to_bytes()
        shared = client.scatter(data, broadcast=True, hash=False)
        done = client.gather(client.map(shard_analyze, paths, [shared] * len(paths), [str(out_dir)] * len(paths),
                                        list(range(len(paths))), pure=False))
        report.seconds["analysis"] = round(time.perf_counter() - t0, 2)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    for d in done:
        report.articles += d["articles"]
        report.problems += [Problem(**p) for p in d["problems"]]
    report.new_words = len(vocabulary)
    manifest = {"format": "xinwen-analysis", "version": FORMAT_VERSION, "stats": json.loads(data),
                "shards": [{"input": d["shard"], "file": f"part-{i:05d}.parquet", "articles": d["articles"]}
                           for i, d in enumerate(done)],
                "problems": [p.to_dict() for p in report.problems]}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return report


def _sum(parts: list) -> Any:
    """The reduction: shards' counts added up."""
    total = None
    for part in parts:
        total = part if total is None else total + part
    return total


# -- reading it back -------------------------------------------------------------------------------------
def is_analysis(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def load_analysis(path: str | Path) -> tuple[CorpusStats, list[Problem], list[Path]]:
    """The statistics, the problems and the Parquet files of an analysis folder."""
    folder = Path(path)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise XinwenError(f"cannot read the analysis: {exc}", file=str(folder / MANIFEST)) from exc
    if manifest.get("format") != "xinwen-analysis" or manifest.get("version") != FORMAT_VERSION:
        raise XinwenError("not an analysis of this xinwen (run `xinwen analyze` again)", file=str(folder / MANIFEST))
    stats = CorpusStats.from_bytes(json.dumps(manifest["stats"]).encode("utf-8"), str(folder / MANIFEST))
    problems = [Problem(**p) for p in manifest.get("problems", [])]
    return stats, problems, [folder / s["file"] for s in manifest["shards"]]


def analyzed_rows(files: list[Path]):  # type: ignore[no-untyped-def]
    """(Article, title terms, body terms, fingerprint, tag weights, content hash) of every analyzed
    article, a Parquet row group at a time."""
    import numpy as np
    import pyarrow.parquet as pq

    from xinwen.dates import parse_date

    for file in files:
        pf = pq.ParquetFile(file)
        for group in range(pf.num_row_groups):
            table = pf.read_row_group(group).to_pydict()
            for i in range(len(table["id"])):
                r = {c: table[c][i] for c in COLUMNS}
                a = Article(
                    id=r["id"], title=r["title"], body=r["body"] or "", url=r["url"], source=r["source"],
                    published=parse_date(r["published"]) if r["published"] else None, category=r["category"],
                    tags=list(r["tags"] or []), snippet=r["snippet"] or "", source_tags=list(r["source_tags"] or []),
                    source_related=[RelatedRef(**x) for x in json.loads(r["source_related"] or "[]")],
                    extra=json.loads(r["extra"] or "{}"), read_from=r["read_from"],
                )
                yield (a, r["title_terms"] or "", r["body_terms"] or "",
                       np.frombuffer(r["fingerprint"], dtype=np.uint64), json.loads(r["tag_weights"] or "{}"),
                       r["content_hash"])

"""The evaluation data sets, shared by every `xinwen eval` sub-command.

The real corpora live in ../shared/data next to the repository (SOURCES.md there says
where each comes from); $XINWEN_SHARED_DATA names another folder. The sample news page
ships with the package, so evaluations that use it always run. Records become
`Article`s whose `source_tags` hold the gold tags, so the evaluation runs the same
public tagging path as `xinwen tag` on the same records.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from xinwen.article import Article
from xinwen.errors import XinwenError

SHARED_ENV = "XINWEN_SHARED_DATA"


class DatasetMissing(XinwenError):
    """An evaluation data set is not on this machine."""


def shared_data_dir() -> Path | None:
    """../shared/data beside the repository (or $XINWEN_SHARED_DATA), None when absent."""
    candidates = []
    if os.environ.get(SHARED_ENV):
        candidates.append(Path(os.environ[SHARED_ENV]))
    here = Path(__file__).resolve()
    candidates += [here.parents[3].parent / "shared" / "data", Path.cwd().parent / "shared" / "data",
                   Path.cwd() / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or DatasetMissing naming where it was looked for."""
    folder = shared_data_dir()
    if folder is None:
        raise DatasetMissing(f"{name}: no ../shared/data folder here (set ${SHARED_ENV} to the folder)")
    path = folder / name
    if not path.is_file():
        raise DatasetMissing(f"{name}: not found in {folder}")
    return path


def records(name: str) -> Iterator[dict[str, Any]]:
    """The JSON records of one ../shared/data file (e.g. "tnews.jsonl.gz")."""
    path = shared_file(name)
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def sample_page_path() -> Path:
    return Path(str(resources.files("xinwen").joinpath("data/news-page.txt")))


def page_articles() -> list[Article]:
    """Every story of the shipped sample page, its printed tags as `source_tags`.

    The related stories are printed with a ~250-character snippet only; that snippet is
    their body here, as it is for anyone who reads the page."""
    from xinwen.readers import read

    return [a for a in read([sample_page_path()]) if isinstance(a, Article)]


def as_read(record: dict[str, Any], gold: list[str], file: str) -> Article:
    """The Article the JSONL reader makes of `record` (same cleanup as `xinwen tag` on a file),
    with the gold tags as its source tags."""
    from xinwen.readers.records import to_article

    article, problems = to_article(record, file, 0)
    if article is None:
        raise XinwenError(f"unusable record {record.get('id')}: {'; '.join(map(str, problems))}", file=file)
    article.source_tags = list(gold)
    return article


def tnews_dev(min_tags: int = 3, limit: int | None = None) -> list[Article]:
    """tnews dev titles (no body) with at least `min_tags` editor tags."""
    out = []
    for r in records("tnews.jsonl.gz"):
        if r["split"] == "dev" and len(r["keywords"]) >= min_tags:
            out.append(as_read({"id": r["id"], "title": r["title"]}, r["keywords"], "tnews.jsonl.gz"))
            if limit and len(out) >= limit:
                break
    return out


def csl_abstracts(min_keywords: int = 2, max_keywords: int = 8, limit: int | None = None) -> list[Article]:
    """csl scientific abstracts (title + abstract as body) with 2-8 author keywords
    (the ~20-keyword records were generated automatically and are left out)."""
    out = []
    for r in records("csl.jsonl.gz"):
        if min_keywords <= len(r["keywords"]) <= max_keywords:
            out.append(as_read({"id": r["id"], "title": r["title"], "body": r["abstract"]}, r["keywords"],
                               "csl.jsonl.gz"))
            if limit and len(out) >= limit:
                break
    return out

"""The Python API: a `Collection` of articles in one database. The CLI, REST API and web UI mirror it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from tqdm import tqdm

from xinwen.analysis.pipeline import Analyzer
from xinwen.analysis.stats import CorpusStats, read_user_dict
from xinwen.analysis.summary import summarize
from xinwen.article import Article, Problem
from xinwen.duplicates import Cluster, copies, duplicates
from xinwen.errors import XinwenError
from xinwen.ingest import IngestReport, ingest, show_progress
from xinwen.related import RelatedHit, RelatedWeights, fit_vectors, model_path, related, related_text
from xinwen.search import SearchResult, search
from xinwen.store.sqlite import SQLiteStore, row_to_stored
from xinwen.trends import Trends, cooccurring, trends

DEFAULT_DB = "xinwen.db"


def default_db() -> str:
    return os.environ.get("XINWEN_DB") or DEFAULT_DB


class Collection:
    """A news collection stored in one SQLite file, with its fitted corpus statistics beside it."""

    def __init__(self, db: str | Path | None = None, *, readonly: bool = False) -> None:
        self.db_path = str(db or default_db())
        self.store = SQLiteStore(self.db_path, readonly=readonly)
        self.stats_path = self.db_path + ".stats.json"
        self._analyzer: Analyzer | None = None

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- analysis --------------------------------------------------------
    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            stats = CorpusStats.load(self.stats_path) if Path(self.stats_path).exists() else None
            self._analyzer = Analyzer(stats)
        return self._analyzer

    def fit(
        self, *, progress: bool | None = None, user_dict: str | Path | None = None, discover: bool = True
    ) -> CorpusStats:
        """Fit corpus statistics on the stored articles (document frequencies, new words found in
        them, the words of `user_dict`), save them beside the database, and retag every article.
        The user dictionary is kept in the statistics, so a later fit without it keeps its words."""
        user_words = read_user_dict(user_dict) if user_dict else list(self.analyzer.stats.user_words)
        rows = self.store.iter_all("rowid, title, body")
        stats = CorpusStats.fit_texts(
            ((r["title"] or "", r["body"] or "") for r in rows), discover_words=discover, user_words=user_words
        )
        stats.save(self.stats_path)
        self._analyzer = Analyzer(stats)
        self.retag(progress=progress)
        fit_vectors(self.store, model_path(self.db_path))  # related articles: TF-IDF + LSA (DB.related.npz)
        return stats

    def retag(self, *, progress: bool | None = None) -> int:
        """Recompute tags and snippets of all stored articles with the current statistics."""
        updates = []
        n = 0
        bar = tqdm(desc="tag", total=self.count(), unit=" articles",
                   disable=not (show_progress() if progress is None else progress))
        for row in self.store.iter_all():
            article = row_to_stored(row).article
            updates.append((row["rowid"], *self.analyzer.tag(article)))
            if len(updates) >= 1000:
                self.store.set_tags(updates)
                n += len(updates)
                bar.update(len(updates))
                updates = []
        self.store.set_tags(updates)
        bar.update(len(updates))
        bar.close()
        self.store.retagged()
        return n + len(updates)

    def tag(self, articles: Iterable[Article | Problem]) -> Iterator[Article | Problem]:
        """Analyze articles without storing them (tags and snippet filled in)."""
        for item in articles:
            if isinstance(item, Article):
                self.analyzer.apply(item)
            yield item

    def summary(self, article_id: str, n: int = 3) -> list[str]:
        """An n-sentence extractive summary of a stored article (TextRank with a lead prior)."""
        return summarize(self.get(article_id), n)

    # -- ingest ----------------------------------------------------------
    def ingest(
        self, paths: Iterable[str | Path], *, workers: int = 1, progress: bool | None = None, fit: bool = True
    ) -> IngestReport:
        """Read, analyze and store; then refit corpus statistics when the corpus has grown a lot."""
        report = ingest(
            self.store, self.analyzer, [str(p) for p in paths], workers=workers,
            stats_path=self.stats_path, progress=progress,
        )
        if fit and report.added + report.updated and self._stale():
            self.fit(progress=progress)
        return report

    def _stale(self) -> bool:
        n = self.count()
        fitted = self.analyzer.stats.n_docs
        return n >= 50 and n > 1.5 * fitted

    # -- queries ---------------------------------------------------------
    def count(self) -> int:
        return self.store.count()

    def get(self, article_id: str) -> Article:
        return self.store.get(article_id).article

    def list(
        self, *, tag: str | None = None, since: datetime | None = None, limit: int = 20, offset: int = 0
    ) -> list[Article]:
        return [s.article for s in self.store.list_articles(tag=tag, since=since, limit=limit, offset=offset)]

    def search(
        self, query: str, *, limit: int = 10, offset: int = 0, sort: str = "relevance", facets: bool = True
    ) -> SearchResult:
        """Full-text search in the query language of `xinwen.query` (words, "phrases", -exclusions,
        tag:, source:, from:, to:); hits, the total, and facets (tags, sources, months) over all matches."""
        return search(self.store, query, limit=limit, offset=offset, sort=sort, facets=facets)

    def trends(
        self,
        *,
        period: str = "week",
        top: int = 10,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        tags: list[str] | None = None,
        min_count: int = 3,
    ) -> Trends:
        """Tag counts per day, week or month (the `top` tags, or `tags`), and the tags rising in the latest
        period against the one before; a date given as text is inclusive (until=2024-06-30 holds that day)."""
        return trends(self.store, period=period, top=top, since=since, until=until, tags=tags,
                      min_count=min_count)

    def cooccurring(self, tag: str, *, k: int = 10) -> list[tuple[str, int]]:
        """Tags computed for the same articles as `tag`, with how many articles have both."""
        return cooccurring(self.store, tag, k=k)

    def related(
        self, article_id: str, *, k: int = 5, weights: RelatedWeights | None = None
    ) -> list[RelatedHit]:
        """The k articles a reader would open next, each with its reason (shared tags, top shared
        terms, per-signal scores); the article's copies are left out and each cluster of copies
        appears once. `weights` (default: $XINWEN_RELATED_WEIGHTS or RelatedWeights()) tunes the mix."""
        return related(self.store, article_id, k=k, weights=weights, path=model_path(self.db_path))

    def related_text(
        self, text: str, *, k: int = 5, weights: RelatedWeights | None = None
    ) -> list[RelatedHit]:
        """Stored articles related to free text, as `related` does for a stored article."""
        return related_text(self.store, self.analyzer, text, k=k, weights=weights, path=model_path(self.db_path))

    def copies(self, article_id: str) -> list[Article]:
        """Other printings of the same story (its duplicate cluster), the canonical one first."""
        return copies(self.store, article_id)

    def duplicates(self, *, limit: int | None = None) -> list[Cluster]:
        """Clusters of copies: the canonical printing (earliest published) and its copies."""
        return duplicates(self.store, limit=limit)

    def export(self, fmt: str, out: IO[str]) -> int:
        """Write every stored article as `page` (the news-page format) or `jsonl`."""
        from xinwen.readers import write_jsonl, write_page

        articles = [row_to_stored(r).article for r in self.store.iter_all()]
        if fmt == "jsonl":
            write_jsonl(articles, out)
        elif fmt == "page":
            write_page(articles, out)
        else:
            raise XinwenError(f"unknown export format {fmt!r}; use page or jsonl")
        return len(articles)

"""The Python API: a `Collection` of articles in one store. The CLI, REST API and web UI mirror it.

Read this first. One method per user verb; each one calls the stage that does the work:
readers/ (1 read) -> analysis/ (2 analyze) -> linking/ (3 link) -> search/ (4 find), over a store
(store/base.py: SQLite by default). The collection owns everything it keeps in memory for a store (the
analyzer and its segmenter, the doc values behind facets and trends, the related-article vectors, the
copy index); each is refreshed from the store's change token, never from module-level state.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from xinwen.article import Article, Problem
from xinwen.errors import NotFound, QueryError, XinwenError

if TYPE_CHECKING:
    import numpy as np

    from xinwen.analysis.pipeline import Analyzer
    from xinwen.analysis.provenance import Provenance
    from xinwen.analysis.stats import CorpusStats
    from xinwen.ingest import IngestReport
    from xinwen.linking.copies import Cluster, CopyDetector
    from xinwen.linking.related import RelatedFinder, RelatedHit, RelatedWeights
    from xinwen.search.engine import SearchResult
    from xinwen.search.facets import DocValues, DocValuesCache
    from xinwen.search.trends import Trends
    from xinwen.store.base import ArticleVersion, Store, StoredArticle

DEFAULT_DB = "xinwen.db"
STATS = "stats.json"  # the fitted corpus statistics, as the store's fitted state
FIT_PENDING = "fit_pending"  # meta: set while a fit runs
# FIT_PENDING once an ingest's fit has saved its statistics, followed by the last key stored before that fit:
# an ingest stopped after it is taken up with those statistics, and only the articles up to that key retagged
INGEST_FITTED = "ingest-fitted:"
PROVENANCE_NEEDED = "provenance_needed"  # meta: articles stored before provenance was kept (schema 6)
FIT_SAMPLE = 10_000  # articles the statistics of an ingest are fitted on
MIN_FIT = 50  # a smaller collection is analyzed with jieba's general statistics alone


def _head(items: Iterable[Article | Problem], n: int) -> tuple[list[Article | Problem], Iterator[Article | Problem]]:
    """The first items holding n articles (problems among them kept in place), and the rest."""
    it = iter(items)
    head: list[Article | Problem] = []
    count = 0
    for item in it:
        head.append(item)
        count += isinstance(item, Article)
        if count >= n:
            break
    return head, it


def default_db() -> str:
    return os.environ.get("XINWEN_DB") or DEFAULT_DB


def open_store(location: str, *, readonly: bool = False) -> Store:
    """The store at `location`, chosen by its form: a PostgreSQL database for a postgresql:// or
    postgres:// URL (`postgresql://user@host:5432/dbname`, as --db or $XINWEN_DB), else a SQLite file
    (or ":memory:")."""
    if location.strip().lower().startswith(("postgresql://", "postgres://")):
        from xinwen.store.postgres import PostgresStore

        return PostgresStore(location, readonly=readonly)
    from xinwen.store.sqlite import SQLiteStore

    return SQLiteStore(location, readonly=readonly)


class Collection:
    """A news collection in one store, with its fitted corpus statistics and in-memory indexes."""

    def __init__(self, db: str | Path | None = None, *, readonly: bool = False) -> None:
        from xinwen.linking.related import RelatedFinder, RelatedModel
        from xinwen.search.facets import DocValuesCache

        self.location = str(db or default_db())
        self.store: Store = open_store(self.location, readonly=readonly)
        self._analyzer: Analyzer | None = None
        self._facets: DocValuesCache = DocValuesCache(self.store)
        self._related: RelatedFinder = RelatedFinder(self.store, RelatedModel(self.store), self._facets.get)
        self._copies: CopyDetector | None = None

    @property
    def wait_for_indexes(self) -> bool:
        """Whether a read waits while another thread brings an in-memory index up to date after a write
        (True), or reads it as it was, a write behind, and says so (False: a server's readers; see
        xinwen.staleness)."""
        return self._facets.wait

    @wait_for_indexes.setter
    def wait_for_indexes(self, wait: bool) -> None:
        self._facets.wait = self._related.model.wait = wait

    @property
    def db_path(self) -> str:
        """Where the collection is (a file path for SQLite)."""
        return self.location

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- analysis --------------------------------------------------------
    @property
    def analyzer(self) -> Analyzer:
        """The analyzer with this collection's fitted statistics (and its segmenter)."""
        if self._analyzer is None:
            from xinwen.analysis.pipeline import Analyzer

            self._analyzer = Analyzer(self.stats())
        return self._analyzer

    def stats(self) -> CorpusStats | None:
        """The fitted corpus statistics, None before the first fit."""
        from xinwen.analysis.stats import CorpusStats

        data = self.store.read_state(STATS)
        return CorpusStats.from_bytes(data, f"{self.location} ({STATS})") if data is not None else None

    def fit(
        self, *, progress: bool | None = None, user_dict: str | Path | None = None, discover: bool = True
    ) -> CorpusStats:
        """Fit corpus statistics on the stored articles (document frequencies, new words found in
        them, the words of `user_dict`), save them as the collection's fitted state, and retag every
        article. The user dictionary is kept in the statistics, so a later fit without it keeps its words.
        One fit at a time: a fit (or an ingest that fits) in another process, on any machine, ends
        before this one begins (the store's "fit" lock: an advisory lock in PostgreSQL, a file lock
        beside a SQLite database)."""
        with self.store.exclusive("fit"):
            self._refresh_stats()
            return self._fit(progress=progress, user_dict=user_dict, discover=discover)

    def _refresh_stats(self) -> None:
        """Take up the statistics stored meanwhile (another process fitted them while this one waited)."""
        if self._analyzer is not None and self.store.read_state(STATS) != self._analyzer.stats.to_bytes():
            self._analyzer = None
            self._copies = None  # its segmenter is the analyzer's

    def _fit(self, *, progress: bool | None, user_dict: str | Path | None, discover: bool) -> CorpusStats:
        from xinwen.analysis.lexicon import read_user_dict
        from xinwen.analysis.pipeline import Analyzer
        from xinwen.analysis.stats import CorpusStats
        from xinwen.analysis.tags.learn import learn_house

        self.attribute_stored()
        user_words = read_user_dict(user_dict) if user_dict else list(self.analyzer.stats.user_words)
        # until the fit ends, the collection knows its fitted state may not match its articles: a fit
        # killed half way is finished by the next ingest, and every command says so meanwhile
        self.store.set_meta(FIT_PENDING, "1")
        stats = CorpusStats.fit_texts(
            ((s.article.title or "", s.article.body or "") for s in self.store.iter_articles()),
            discover_words=discover, user_words=user_words,
        )
        # the house style of the articles that carry their source's own tags (analysis/tags/learn.py)
        stats.house = learn_house((s.article for s in self.store.iter_articles()), stats)
        self._save_stats(stats, covers=self.count())
        self._analyzer = Analyzer(stats)
        self._copies = None  # its segmenter is the analyzer's
        self.retag(progress=progress)
        self.fit_vectors()
        self.store.set_meta(FIT_PENDING, None)
        self._facets.save()  # every article was retagged: what the next process reads would be all of them
        return stats

    def fit_pending(self) -> bool:
        """A fit began and did not end (the process was killed): tags and vectors may be half made."""
        return self.store.get_meta(FIT_PENDING) is not None

    def fit_vectors(self) -> None:
        """Refit the related-article vectors (TF-IDF + LSA) on every stored article and save them."""
        self._related.model.fit()

    def retag(self, keys: Iterable[int] | None = None, *, progress: bool | None = None) -> int:
        """Recompute tags, snippets and tag weights of stored articles (`keys`, default: all) with the
        current statistics; returns how many."""
        from tqdm import tqdm

        from xinwen.ingest import show_progress
        from xinwen.store.base import TagUpdate

        wanted = None if keys is None else sorted(set(keys))
        total = self.count() if wanted is None else len(wanted)
        bar = tqdm(desc="tag", total=total, unit=" articles",
                   disable=not (show_progress() if progress is None else progress))
        if wanted is None:
            stream = (s for s in self.store.iter_articles())
        else:
            stream = (s for i in range(0, len(wanted), 1000)
                      for s in self.store.get_many(wanted[i : i + 1000]).values())
        updates: list[TagUpdate] = []
        n = 0
        for stored in stream:
            tags, snippet, weights = self.analyzer.tag(stored.article)
            updates.append(TagUpdate(stored.key, tags, snippet, weights))
            if len(updates) >= 1000:
                self.store.set_tags(updates)
                n += len(updates)
                bar.update(len(updates))
                updates = []
        self.store.set_tags(updates)
        bar.update(len(updates))
        bar.close()
        if wanted is None:
            self.store.set_meta("retag_needed", None)
        return n + len(updates)

    def retag_if_changed(
        self, keys: list[int], *, force: bool = False, progress: bool | None = None, sample: int = 200,
        share: float = 0.05,
    ) -> int:
        """Retag stored articles tagged with earlier statistics, when the current ones really change their
        tags: when more than `share` of a seeded sample of them would get other tags (`force`: retag them
        all). Returns how many were retagged."""
        if not force:
            picked = random.Random(len(keys)).sample(keys, min(sample, len(keys)))
            stored = self.store.get_many(picked)
            changed = sum(1 for s in stored.values() if self.analyzer.tag(s.article)[0] != s.article.tags)
            if changed <= share * len(stored):
                return 0
        return self.retag(keys, progress=progress)

    def retag_needed(self) -> bool:
        """Articles were stored by an older xinwen without what a retag computes (tag weights)."""
        return self.store.get_meta("retag_needed") is not None

    def tag(self, articles: Iterable[Article | Problem]) -> Iterator[Article | Problem]:
        """Analyze articles without storing them (tags and snippet filled in)."""
        for item in articles:
            if isinstance(item, Article):
                self.analyzer.apply(item)
            yield item

    def summary(self, article_id: str, n: int = 3) -> list[str]:
        """An n-sentence extractive summary of a stored article (TextRank with a lead prior)."""
        return self.analyzer.summarize(self.get(article_id), n)

    # -- ingest ----------------------------------------------------------
    @property
    def copy_detector(self) -> CopyDetector:
        if self._copies is None:
            from xinwen.linking.copies import CopyDetector

            self._copies = CopyDetector(self.store, self.analyzer.segmenter)
        return self._copies

    def ingest(
        self, paths: Iterable[str | Path], *, workers: int | None = None, progress: bool | None = None,
        fit: bool = True,
    ) -> IngestReport:
        """Read, analyze and store (see `ingest_items`). A folder written by `xinwen analyze` is stored as it
        was analyzed (see `ingest_analysis`)."""
        from xinwen.analysis.cluster import is_analysis
        from xinwen.ingest import IngestReport
        from xinwen.readers import read

        paths = [str(p) for p in paths]
        analyses = [p for p in paths if is_analysis(p)]
        report = IngestReport() if analyses else None
        for folder in analyses:
            report = report.merged(self.ingest_analysis(folder, progress=progress))
        others = [p for p in paths if p not in analyses]
        if others or report is None:
            got = self.ingest_items(read(others), workers=workers, progress=progress, fit=fit)
            report = got if report is None else report.merged(got)
        return report

    def ingest_analysis(self, folder: str | Path, *, progress: bool | None = None) -> IngestReport:
        """Store a folder `xinwen analyze` wrote, without analyzing again: its articles with their tags,
        snippets, fingerprints and index terms, checked for copies as they are stored. Its corpus
        statistics become the collection's when the collection has none or has outgrown its own."""
        from xinwen.analysis.cluster import analyzed_rows, load_analysis
        from xinwen.analysis.pipeline import Analyzer
        from xinwen.ingest import ingest_analyzed

        stats, problems, files = load_analysis(folder)
        with contextlib.ExitStack() as fitting:
            adopt = self.analyzer.stats.n_docs == 0 or self._stale(self.count() + stats.n_docs)
            if adopt:  # taking up its statistics is a fit: one at a time (see `fit`)
                fitting.enter_context(self.store.exclusive("fit"))
                self._refresh_stats()
                adopt = self.analyzer.stats.n_docs == 0 or self._stale(self.count() + stats.n_docs)
            if adopt:
                self.store.set_meta(FIT_PENDING, "1")
                self._save_stats(stats, covers=self.count() + stats.n_docs)
                self._analyzer = Analyzer(stats)
                self._copies = None
            else:
                fitting.close()
            report = ingest_analyzed(self.store, self.copy_detector, analyzed_rows(files), progress=progress)
            report.problems = problems + report.problems
            report.rejected += sum(1 for p in problems if p.message.startswith("cannot analyze"))
            if adopt:
                self._save_stats(stats, covers=self.count())
                self.fit_vectors()
                self.store.set_meta(FIT_PENDING, None)
        return report

    def ingest_records(
        self, records: Iterable[dict], *, name: str = "records", fit: bool = True
    ) -> IngestReport:
        """Ingest records given as dicts (the fields `xinwen ingest` reads from JSON; a REST client's
        POST); problems name `name` and the record's position (1, 2, ...)."""
        from xinwen.readers.records import records_to_items

        return self.ingest_items(records_to_items(records, name), workers=1, progress=False, fit=fit)

    def ingest_items(
        self, items: Iterable[Article | Problem], *, workers: int | None = None, progress: bool | None = None,
        fit: bool = True,
    ) -> IngestReport:
        """Store what a reader yields (articles, and problems that go into the report), each article
        analyzed once.

        When the collection needs corpus statistics (it reaches 50 articles, has grown half as large again
        since its last fit, or a fit was interrupted), they are fitted first, on a sample (up to
        FIT_SAMPLE articles: the first ones of this input, then stored ones), so that every article is
        analyzed once, with them. Articles stored before are retagged only when the new statistics really
        change their tags (`retag_if_changed`). `workers` (default: the machine's cores) analyze in
        parallel while this process reads and writes."""
        from xinwen.ingest import ingest

        self.attribute_stored()
        workers = workers or os.cpu_count() or 1
        stream: Iterable[Article | Problem] = items
        before: np.ndarray | None = None
        resumed = False
        with contextlib.ExitStack() as fitting:
            if fit:
                head, stream = _head(items, FIT_SAMPLE)
                new = self._new_in(head)
                if self.fit_pending() or self._stale(self.count() + new):
                    # one fit at a time (see `fit`): wait for another process's fit, and its ingest, to
                    # end, then take up its statistics; a fit still pending once the lock is held was
                    # interrupted (its process died)
                    fitting.enter_context(self.store.exclusive("fit"))
                    self._refresh_stats()
                    resumed = self.fit_pending()
                    fitted_after = self._fitted_after()
                    if fitted_after is not None:
                        # an ingest that fitted its statistics, saved them and was stopped: go on with them,
                        # as it would have, and finish its retag of the articles stored before its fit (a
                        # fit again would retag every article it stored: hours, for a large first ingest)
                        stored = self.store.keys()
                        before = stored[stored <= fitted_after]
                    elif resumed or self._stale(self.count() + new):
                        self.store.set_meta(FIT_PENDING, "1")
                        before = self.store.keys()
                        self._fit_sample([x for x in head if isinstance(x, Article)], covers=self.count() + new)
                        self.store.set_meta(FIT_PENDING, f"{INGEST_FITTED}{int(before.max()) if len(before) else 0}")
                    else:
                        fitting.close()  # fitted by another process meanwhile: nothing to hold
                stream = itertools.chain(head, stream)
            report = ingest(self.store, self.analyzer, self.copy_detector, stream, workers=workers,
                            progress=progress)
            if before is not None:
                old = [int(k) for k in before if int(k) not in report.written]
                if old:
                    self.retag_if_changed(old, force=resumed, progress=progress)
                self._save_stats(self.analyzer.stats, covers=self.count())
                self.fit_vectors()
                self.store.set_meta(FIT_PENDING, None)
        if report.written or before is not None:
            self._facets.save()  # what every process's first search, trends or related read takes up
        return report

    def _fitted_after(self) -> int | None:
        """The last key stored before the fit of an ingest that saved its statistics and was stopped (None
        when no such ingest is pending)."""
        value = self.store.get_meta(FIT_PENDING) or ""
        if value.startswith(INGEST_FITTED) and value[len(INGEST_FITTED):].isdigit():
            return int(value[len(INGEST_FITTED):])
        return None

    def _new_in(self, head: list[Article | Problem]) -> int:
        """How many articles of the head are not stored as they are."""
        from xinwen.article import content_hash

        hashes = {a.id: content_hash(a) for a in head if isinstance(a, Article)}
        known = self.store.known_hashes(list(hashes))
        return sum(1 for i, h in hashes.items() if known.get(i) != h)

    def _fit_sample(self, head: list[Article], *, covers: int) -> CorpusStats:
        """Fit corpus statistics on the head of an input and, up to FIT_SAMPLE in all, stored articles;
        they become the analyzer's."""
        from xinwen.analysis.pipeline import Analyzer
        from xinwen.analysis.stats import CorpusStats

        user_words = list(self.analyzer.stats.user_words)
        chars = self.analyzer.analyzed_chars
        sample: dict[str, tuple[str, str]] = {}
        for a in head:
            sample[a.id] = (a.title or "", (a.body or "")[:chars])
        if len(sample) < FIT_SAMPLE:
            for s in self.store.iter_articles():
                if s.article.id not in sample:
                    sample[s.article.id] = (s.article.title or "", (s.article.body or "")[:chars])
                    if len(sample) >= FIT_SAMPLE:
                        break
        stats = CorpusStats.fit_texts(list(sample.values()), user_words=user_words)
        stats.house = self.analyzer.stats.house  # the house tag style the last `xinwen fit` learned stays
        self._save_stats(stats, covers=covers)
        self._analyzer = Analyzer(stats)
        self._copies = None  # its segmenter is the analyzer's
        return stats

    def _save_stats(self, stats: CorpusStats, *, covers: int) -> None:
        stats.covers = covers
        with self.store.write_state(STATS) as fh:
            fh.write(stats.to_bytes())

    def _stale(self, n: int | None = None) -> bool:
        """Whether a collection of n articles (default: this one) needs its statistics fitted again: it has
        50 or more and has grown half as large again since they were fitted."""
        n = self.count() if n is None else n
        return n >= MIN_FIT and n > 1.5 * self.analyzer.stats.covers

    def delete(self, article_id: str) -> bool:
        """Remove a stored article (it leaves its cluster of copies); False when there is none."""
        key = self.store.key_of(article_id)
        if key is None:
            return False
        with self.store.transaction():
            self.copy_detector.leave(key)
            self.store.delete([article_id])
        return True

    # -- queries ---------------------------------------------------------
    def count(self) -> int:
        return self.store.count()

    def get(self, article_id: str) -> Article:
        return self.store.get(article_id).article

    def list(
        self, *, tag: str | None = None, since: datetime | None = None, limit: int = 20, offset: int = 0
    ) -> list[Article]:
        """Stored articles, newest first (undated last), optionally with a tag or published since a time."""
        if limit < 0 or offset < 0:
            raise QueryError(f"limit and offset must be at least 0 (got {limit}, {offset})")
        stored = self.store.list_articles(tag=tag, since=since.timestamp() if since else None, limit=limit,
                                          offset=offset)
        return [s.article for s in stored]

    def doc_values(self) -> DocValues:
        """Each article's source, section, time and tags, held in memory (facets, trends, related)."""
        return self._facets.get()

    def search(
        self, query: str, *, limit: int = 10, offset: int = 0, sort: str = "relevance", facets: bool = True
    ) -> SearchResult:
        """Full-text search in the query language of `xinwen.search.query` (words, "phrases", -exclusions,
        tag:, source:, from:, to:); hits, the total, and facets (tags, sources, months) over all matches."""
        from xinwen.search.engine import search

        return search(self.store, query, limit=limit, offset=offset, sort=sort, facets=facets,
                      segmenter=self.analyzer.segmenter, doc_values=self._facets.get)

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
        from xinwen.search.trends import trends

        return trends(self._facets.get(), period=period, top=top, since=since, until=until, tags=tags,
                      min_count=min_count)

    def cooccurring(self, tag: str, *, k: int = 10) -> list[tuple[str, int]]:
        """Tags computed for the same articles as `tag`, with how many articles have both."""
        from xinwen.search.trends import cooccurring

        return cooccurring(self._facets.get(), tag, k=k)

    def related(
        self, article_id: str, *, k: int = 5, weights: RelatedWeights | None = None
    ) -> list[RelatedHit]:
        """The k articles a reader would open next, each with its reason (shared tags, top shared
        terms, per-signal scores); the article's copies are left out and each cluster of copies
        appears once. `weights` (default: $XINWEN_RELATED_WEIGHTS or RelatedWeights()) tunes the mix."""
        return self._related.related(article_id, k=k, weights=weights)

    def related_text(
        self, text: str, *, k: int = 5, weights: RelatedWeights | None = None
    ) -> list[RelatedHit]:
        """Stored articles related to free text, as `related` does for a stored article."""
        if not text or not text.strip():
            raise QueryError("no text to find related articles for")
        if k < 1:
            raise QueryError(f"k must be at least 1, not {k}")
        analysis = self.analyzer.analyze(Article(title="", body=text))
        return self._related.related_text(analysis, k=k, weights=weights)

    # -- provenance ------------------------------------------------------
    def versions(self, article_id: str) -> list[ArticleVersion]:
        """Every text the article has had, oldest first: version 1 the first one stored, the last one its
        current text (`replaced_at` None). An ingest that brings the same id (or URL) with other content
        keeps the text it replaces; nothing is overwritten without a trace."""
        from xinwen.article import content_hash
        from xinwen.store.base import ArticleVersion

        stored = self.store.get(article_id)
        earlier = self.store.versions(stored.key)
        current = ArticleVersion(len(earlier) + 1, stored.article, content_hash(stored.article),
                                 earlier[-1].replaced_at if earlier else None, None)
        return [*earlier, current]

    def version(self, article_id: str, n: int) -> ArticleVersion:
        """Version n (1 = the first text stored) of an article; NotFound when it has no such version."""
        got = self.versions(article_id)
        if not 1 <= n <= len(got):
            raise NotFound(f"article {article_id!r} has no version {n} (it has {len(got)})")
        return got[n - 1]

    def provenance(self, article_id: str) -> Provenance:
        """Where the article comes from: the outlet it is credited to, the date of the event it tells
        of, the first printing of its copy cluster, whether it is a republication (首发于 …), and how
        many texts it has had."""
        from xinwen.analysis.provenance import Provenance, first_printing, republished

        stored = self.store.get(article_id)
        a = stored.article
        cluster = [a.published] + ([x.published for x in self.copies(article_id)]
                                   if self.store.canonicals([stored.key]) else [])
        evidence = a.provenance or {}
        return Provenance(
            origin=a.origin, origin_evidence=evidence.get("origin"), event_date=a.event_date,
            event_evidence=evidence.get("event"), first_printing=first_printing(cluster),
            republished=republished(a, cluster), versions=len(self.store.versions(stored.key)) + 1,
        )

    def attribute_stored(self) -> int:
        """Read the provenance of articles stored before xinwen kept it (a database made before schema
        6), once; returns how many were read. Every writer does it on its first ingest or fit."""
        from xinwen.analysis.provenance import attribute

        if getattr(self.store, "readonly", False) or self.store.get_meta(PROVENANCE_NEEDED) is None:
            return 0
        n = 0
        batch: list[StoredArticle] = []
        for s in self.store.iter_articles():
            attribute(s.article)
            batch.append(s)
            if len(batch) >= 1000:
                self.store.set_provenance(batch)
                n += len(batch)
                batch = []
        self.store.set_provenance(batch)
        self.store.set_meta(PROVENANCE_NEEDED, None)
        return n + len(batch)

    def copies(self, article_id: str) -> list[Article]:
        """Other printings of the same story (its duplicate cluster), the canonical one first."""
        return self.copy_detector.copies(article_id)

    def duplicates(self, *, limit: int | None = None) -> list[Cluster]:
        """Clusters of copies: the canonical printing (earliest published) and its copies."""
        return self.copy_detector.clusters(limit=limit)

    def export(self, fmt: str, out: IO[str]) -> int:
        """Write every stored article as `page` (the news-page format) or `jsonl`."""
        from xinwen.readers import write_jsonl, write_page

        if fmt == "jsonl":
            return write_jsonl((s.article for s in self.store.iter_articles()), out)
        if fmt == "page":
            return write_page([s.article for s in self.store.iter_articles()], out)
        raise XinwenError(f"unknown export format {fmt!r}; use page or jsonl")

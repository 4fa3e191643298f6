"""The storage boundary: what the rest of xinwen asks of a backend, in domain verbs.

Every line of SQL lives behind this protocol (store/sqlite.py for SQLite; a new backend is one more
module that passes tests/test_store_conformance.py unchanged). Callers never see cursors or rows of
a driver: they get the dataclasses below, numpy arrays of keys, or plain values.

An article's `key` is the integer the store gave it when it was first stored. It never changes and
is never reused while the article exists; the in-memory indexes (facets, related vectors, copy
detection) are arrays indexed by it. The article's `id` (a string from the source or a hash) is
what users see.

`change_token()` changes whenever a write commits, from any process: caches built from the store
compare it instead of reading the store again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from xinwen.article import Article

if TYPE_CHECKING:
    from xinwen.search.query import Query


@dataclass
class StoredArticle:
    """An article as stored: the record and its key in the store."""

    key: int
    article: Article


@dataclass
class ArticleWrite:
    """One article of a batch to store, with what the analysis computed for it."""

    article: Article
    content_hash: str
    title_terms: str  # space-joined index terms of the title (search mode)
    body_terms: str
    fingerprint: np.ndarray  # MinHash signature (uint64)
    tag_weights: dict[str, float] = field(default_factory=dict)


@dataclass
class Written:
    """An article of a batch as the store wrote it: its key, and whether it was new."""

    key: int
    write: ArticleWrite
    is_new: bool


@dataclass(slots=True)
class TermsRow:
    """What the related-article vectors are made from: an article's index terms and tag weights."""

    key: int
    title_terms: str
    body_terms: str
    tag_weights: dict[str, float]
    stamp: str  # when the article was last written (ISO time; later writes sort later)


@dataclass
class ArticleVersion:
    """One text a stored article has had: `version` counts from 1 (the first text stored); `article`
    holds the record's fields as they were (title, body, url, source, category, published, source_tags,
    extra); `stored_at` when that text was last written, `replaced_at` when the next one took its place
    (ISO times; None for the current text)."""

    version: int
    article: Article
    content_hash: str
    stored_at: str | None = None
    replaced_at: str | None = None


@dataclass
class TagUpdate:
    """New computed tags, snippet and (when not None) tag weights of one stored article."""

    key: int
    tags: list[str]
    snippet: str
    tag_weights: dict[str, float] | None = None


@dataclass
class DocColumns:
    """The per-article values that facets, trends and related signals read, grouped by value:
    each (value, keys of the articles that have it). `size` is one more than the largest key."""

    size: int
    sources: list[tuple[str, np.ndarray]]
    categories: list[tuple[str, np.ndarray]]
    tags: list[tuple[str, np.ndarray]]
    published_keys: np.ndarray  # keys of dated articles
    published_ts: np.ndarray  # their publication times (POSIX seconds)
    origins: list[tuple[str, np.ndarray]] = field(default_factory=list)  # the outlets stories are credited to


@dataclass(slots=True)
class ClusterFacts:
    """What choosing a cluster's canonical article needs to know of one member."""

    key: int
    published_ts: float | None
    body_length: int


@dataclass
class CopyInput:
    """A stored article as copy detection reads it to rebuild its index."""

    key: int
    body: str
    fingerprint: np.ndarray | None


@runtime_checkable
class Store(Protocol):
    """A collection's articles, their search index, copy clusters and fitted state."""

    location: str  # what the user named (a file path, or a DSN without its password)

    # -- life ----------------------------------------------------------------
    def close(self) -> None: ...
    def transaction(self) -> AbstractContextManager[None]:
        """Every write inside commits together or not at all (nested: joins the outer one)."""
        ...
    def change_token(self) -> int:
        """Changes whenever a write commits (from any process or connection)."""
        ...
    def rewrite_token(self) -> int:
        """Changes whenever a write changes or deletes an article stored before (a new text, new tags, its
        provenance); adding new articles leaves it as it is. New articles always get keys above every
        stored one, so a reader whose rewrite token has not moved can read just those (`doc_columns(after)`)."""
        ...
    def schema_version(self) -> int: ...
    def exclusive(self, name: str, *, wait: bool = True) -> AbstractContextManager[bool]:
        """Hold the store-wide lock `name` for the block, against every process and thread that asks for
        the same name (work that must run once at a time, as `fit`). Yields True once held; with
        wait=False, yields False at once when another holds it (the block then skips its work).
        Reentrant in one thread; not to be first taken inside a transaction (a writer waiting for it
        while holding the write lock could wait for ever)."""
        ...

    # -- small named values and fitted state -------------------------------
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str | None) -> None:
        """Set (None: delete) a named value; joins the open transaction, else commits at once."""
        ...
    def read_state(self, name: str) -> bytes | None:
        """Fitted state saved under `name` (corpus statistics, related vectors), None when none."""
        ...
    def map_state(self, name: str) -> memoryview | None:
        """The same state as a read-only buffer: a memory map of its file where the store keeps one (its
        pages are read when used, and shared by every process that maps it), else its bytes."""
        ...
    def write_state(self, name: str) -> AbstractContextManager[IO[bytes]]:
        """A binary file to write fitted state into; it replaces the old state only when the block ends
        without an error (a crash leaves the old state whole)."""
        ...

    # -- articles --------------------------------------------------------------
    def count(self, after: int | None = None) -> int:
        """How many articles are stored (with a key above `after`, when given)."""
        ...
    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """content_hash of those ids that are stored."""
        ...
    def upsert(self, writes: Sequence[ArticleWrite]) -> list[Written]:
        """Insert or replace by id, in the open transaction (or one of its own)."""
        ...
    def delete(self, ids: Sequence[str]) -> list[int]:
        """Remove articles by id (with their tags, index entries and cluster links); their keys."""
        ...
    def set_provenance(self, articles: Sequence[StoredArticle]) -> None:
        """Store each article's origin, event_date and provenance (nothing else of it)."""
        ...
    def versions(self, key: int) -> list[ArticleVersion]:
        """The texts of an article that later ones replaced, oldest first ([] for none, or no article):
        `upsert` keeps the text it replaces whenever the title, body, publish time or URL changes (other
        fields of the record are updated without a version)."""
        ...
    def set_tags(self, updates: Sequence[TagUpdate]) -> None: ...
    def get(self, article_id: str) -> StoredArticle:
        """The article with this id; NotFound when there is none."""
        ...
    def get_many(self, keys: Sequence[int]) -> dict[int, StoredArticle]: ...
    def key_of(self, article_id: str) -> int | None: ...
    def list_articles(
        self, *, tag: str | None = None, since: float | None = None, until: float | None = None,
        limit: int = 20, offset: int = 0,
    ) -> list[StoredArticle]:
        """Newest first (undated last); since/until are POSIX seconds, until exclusive."""
        ...
    def iter_articles(self) -> Iterator[StoredArticle]:
        """Every article in key order, read in batches."""
        ...
    def keys(self) -> np.ndarray:
        """Every key, sorted."""
        ...

    # -- what the in-memory indexes are built from -----------------------------
    def iter_terms(self) -> Iterator[TermsRow]: ...
    def terms_of(self, keys: Sequence[int]) -> dict[int, TermsRow]: ...
    def keys_written_since(self, stamp: str) -> np.ndarray:
        """Keys of the articles written after `stamp` (a TermsRow.stamp)."""
        ...
    def doc_columns(self, after: int = 0) -> DocColumns:
        """The doc values of every article, or (after > 0) of the articles with a key above `after`: what
        was added since a reader loaded them, when nothing stored before has changed (`rewrite_token`)."""
        ...

    # -- copy detection -------------------------------------------------------
    def iter_copy_inputs(self) -> Iterator[CopyInput]: ...
    def set_fingerprints(self, pairs: Sequence[tuple[int, np.ndarray]]) -> None: ...
    def copy_signatures(self, after: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(keys, signatures) of the articles in the copy index with key > after, in key order."""
        ...
    def max_copy_key(self) -> int: ...
    def add_to_copy_index(self, key: int) -> None: ...
    def remove_from_copy_index(self, key: int) -> None: ...
    def clear_copies(self) -> None:
        """Empty the copy index and every cluster (before reclustering all)."""
        ...
    def bodies(self, keys: Sequence[int]) -> dict[int, str]: ...
    def canonicals(self, keys: Sequence[int]) -> dict[int, int]:
        """key -> its cluster's canonical key, for those keys that are in a cluster."""
        ...
    def cluster_keys(self, canonicals: Sequence[int]) -> set[int]:
        """Every member (canonicals included) of the clusters with these canonical keys."""
        ...
    def cluster_facts(self, keys: Sequence[int]) -> list[ClusterFacts]: ...
    def set_cluster(self, members: Sequence[int], canonical: int) -> None: ...
    def unlink(self, keys: Sequence[int]) -> None:
        """Take these articles out of their clusters."""
        ...
    def members(self, canonical: int) -> list[int]:
        """A cluster's keys: the canonical first, then by publication time."""
        ...
    def largest_clusters(self, limit: int | None = None) -> list[int]:
        """Canonical keys, largest cluster first, then newest."""
        ...

    # -- full-text search over a parsed query (see xinwen.search.engine) --------------
    def match_count(self, query: Query, mode: str) -> int:
        """How many articles match (mode "all": every word; "any": at least one)."""
        ...
    def match_keys(self, query: Query, mode: str) -> np.ndarray:
        """The keys of every matching article."""
        ...
    def title_matches(self, query: Query, limit: int) -> list[tuple[int, str]]:
        """(key, title) of matching articles with every word in the title, shortest title first."""
        ...
    def ranked(self, query: Query, mode: str, skip: Sequence[int], limit: int) -> list[tuple[int, float]]:
        """(key, relevance) of the best matches by BM25 (title weighing more), leaving out `skip`."""
        ...
    def newest(
        self, query: Query, mode: str | None, limit: int, offset: int, total: int | None = None
    ) -> list[int]:
        """Keys of matching articles, newest first (mode None: the query's filters alone); `total`, when
        the caller knows how many match, helps choose how to read them."""
        ...

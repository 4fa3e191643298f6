"""Full-text search: the query language of query.py, filters, facets (tags, sources, months) with
counts, sorting by relevance or time, pagination, and highlighted snippets. The policy is here; the
store (store/base.py) looks the parsed query up in its index.

Ranking: articles with every query word in the title come first (`title_order`: words standing alone in
the title, then fewer title words), then the others by BM25, the title weighing more than the body. All
words are required; when no article has them all, any of them will do (`SearchResult.mode` says which
happened). Each hit says which of the two it is (`SearchHit.match`: "title" or "text") beside its score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from xinwen.analysis.segment import PLAIN, Segmenter
from xinwen.article import Article
from xinwen.errors import QueryError
from xinwen.search.facets import DocValues
from xinwen.search.highlight import best_window, mark, matcher
from xinwen.search.query import Query, parse_query
from xinwen.store.base import Store

SORTS = ("relevance", "time")
MAX_LIMIT = 1000
MAX_OFFSET = 100_000  # deeper pages are asked for by crawlers, not readers; each costs a longer read
TITLE_RERANK = 50  # titles holding every query word, shortest first, that title_order reorders


@dataclass
class SearchHit:
    """One article found, its relevance score (higher is better) and its text with matched words marked."""

    article: Article
    score: float  # BM25 of text hits; a title hit's score says how much of its title the query is
    highlight: str  # the best window of the body, matched words between MARK_OPEN and MARK_CLOSE
    title_highlight: str = ""  # the title, marked the same way
    key: int = 0
    match: str = "text"  # "title": every word is in the title (these come first); "text": elsewhere too


@dataclass
class SearchResult:
    """One page of hits, how many articles match in all, and facets over all of them."""

    query: Query
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    mode: str = "none"  # "all" words, "any" word (fallback), "filter" (no words), "none" (empty query)
    sort: str = "relevance"
    limit: int = 10
    offset: int = 0

    @property
    def notes(self) -> list[str]:
        """What in the query was read differently from how it was typed."""
        return self.query.notes

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)


def search(
    store: Store,
    query: str | Query,
    *,
    limit: int = 10,
    offset: int = 0,
    sort: str = "relevance",
    facets: bool = True,
    segmenter: Segmenter | None = None,
    doc_values: Callable[[], DocValues] | None = None,
) -> SearchResult:
    """Run a query (see query.py) segmented as `segmenter` does (the collection's: the index was made
    with it); `facets=False` skips the facet counts, which `doc_values` provides."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use relevance or time")
    if not 0 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"limit must be 0..{MAX_LIMIT} and offset 0..{MAX_OFFSET} (got {limit}, {offset})")
    seg = segmenter or PLAIN
    q = query if isinstance(query, Query) else parse_query(query, seg)
    result = SearchResult(query=q, sort=sort, limit=limit, offset=offset)
    if not q.has_text and not q.has_filters:
        return result
    mode: str | None = "all" if q.has_text else None
    result.mode = mode or "filter"
    want_keys = facets and doc_values is not None
    matches = store.match_keys(q, mode or "all") if want_keys else None
    total = len(matches) if matches is not None else store.match_count(q, mode or "all")
    if not total and mode and len(q.words) > 1:
        mode = result.mode = "any"
        matches = store.match_keys(q, mode) if want_keys else None
        total = len(matches) if matches is not None else store.match_count(q, mode)
    result.total = total
    if not total:
        return result
    if matches is not None and doc_values is not None:
        result.facets = doc_values().count(matches)
    rows = _page(store, q, mode, sort, limit, offset, total, seg)
    result.hits = _hits(store, q, rows)
    return result


def _page(
    store: Store, q: Query, mode: str | None, sort: str, limit: int, offset: int, total: int, seg: Segmenter
) -> list[tuple[int, float, str]]:
    """(key, score, "title" or "text") of the page's hits, best first."""
    if mode is None or sort == "time":  # score 0: the order is the time
        return [(k, 0.0, "text") for k in store.newest(q, mode, limit, offset, total)]
    # relevance: articles with every word in the title first (the TITLE_RERANK shortest titles, put in
    # order by title_order); then the others by BM25. The first tier needs no BM25, which costs a pass
    # over every matching article, so a page it fills is cheap.
    want = offset + limit
    first: list[tuple[int, float, str]] = []
    if mode == "all":
        rows = store.title_matches(q, max(want, TITLE_RERANK))
        first = [(k, s, "title") for k, s in title_order(q.typed_words(), rows, seg)[:want]]
        if len(first) >= want:
            return first[offset:]
    rest = store.ranked(q, mode, [k for k, _, _ in first], want - len(first))
    return (first + [(k, s, "text") for k, s in rest])[offset:]


def title_order(
    words: list[str], rows: list[tuple[int, str]], segmenter: Segmenter | None = None
) -> list[tuple[int, float]]:
    """Order articles whose title holds every query word, best first, each with a score in (0, 1]: how
    much of its title the query is.

    First the titles where more of the query's words stand as words of their own (二十 in 二十年, not
    inside 二十大; 中国 as a word, not inside 中国式), then the titles with fewer content words: a headline
    made of little more than the query is about it, where a long one mentions it among much else (the
    title field's length norm, made steep: for a query of k of a title's n words, about 1/C(n, k) of
    such titles' queries are this one). Then the titles that hold the words in the order typed, the
    shorter title, the later stored."""
    seg = segmenter or PLAIN
    typed = [w.lower() for w in words]
    wanted = set(typed)
    keyed = []
    for key, title in rows:
        own = seg.content_words(title)
        whole = sum(1 for w in wanted if w in own) / len(wanted) if wanted else 1.0
        keyed.append((-whole, len(own), -_in_order(title.lower(), typed), len(title), -key, whole))
    keyed.sort()
    return [(-k[4], round(0.5 * k[5] + 0.5 / (1 + k[1]), 4)) for k in keyed]


def _in_order(title: str, words: list[str]) -> bool:
    """The words appear in the title in the order typed."""
    at = -1
    for w in words:
        at = title.find(w, at + 1)
        if at < 0:
            return False
    return True


# -- hits ------------------------------------------------------------------
def _hits(store: Store, q: Query, rows: list[tuple[int, float, str]]) -> list[SearchHit]:
    stored = store.get_many([r[0] for r in rows])
    hits = []
    for key, score, match in rows:
        if key not in stored:  # deleted between the two queries
            continue
        a = stored[key].article
        groups = q.highlight_terms((a.title + "\n" + a.body).lower())
        pattern = matcher(groups)
        window = best_window(a.body, pattern, groups)
        if window is None:
            window = mark(a.snippet or a.body[:120], pattern)
        hits.append(SearchHit(a, score, window, mark(a.title, pattern), key, match))
    return hits

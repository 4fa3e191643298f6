"""Full-text search over the FTS5 index of segmented words: the query language of `xinwen.query`,
filters, facets (tags, sources, months) with counts, sorting by relevance or time, pagination, and
highlighted snippets.

Ranking: articles with every query word in the title come first (`title_order`: words standing alone in
the title, then fewer title words), then the others by BM25 with the title weighing TITLE_WEIGHT times the
body. All words are required; when no article has them all, any of them will do (`SearchResult.mode`
says which happened).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from xinwen.analysis.segment import cut
from xinwen.analysis.stats import stopwords
from xinwen.article import Article
from xinwen.docvalues import doc_values, joined_ints
from xinwen.errors import QueryError, StoreError
from xinwen.highlight import best_window, mark, matcher
from xinwen.query import Query, parse_query, quote
from xinwen.store.sqlite import SQLiteStore

TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0
SORTS = ("relevance", "time")
MAX_LIMIT = 1000
JOIN_COST = 6.0  # us to read one match's date from its row (behind the body), for sorting by time
SCAN_COST = 0.12  # us to step over one entry of the date index
TIER_BONUS = 1000.0  # added to the score per tier above the last, so scores fall down the page
_WORDLIKE = re.compile(r"\w")
TITLE_RERANK = 50  # titles holding every query word, shortest first, that title_order reorders


@dataclass
class SearchHit:
    """One article found, its BM25 score (higher is better) and its text with matched words marked."""

    article: Article
    score: float
    highlight: str  # the best window of the body, matched words between MARK_OPEN and MARK_CLOSE
    title_highlight: str = ""  # the title, marked the same way
    rowid: int = 0


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
    store: SQLiteStore,
    query: str | Query,
    *,
    limit: int = 10,
    offset: int = 0,
    sort: str = "relevance",
    facets: bool = True,
) -> SearchResult:
    """Run a query (see `xinwen.query`); `facets=False` skips the facet counts."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use relevance or time")
    if not 0 <= limit <= MAX_LIMIT or offset < 0:
        raise QueryError(f"limit must be 0..{MAX_LIMIT} and offset at least 0 (got {limit}, {offset})")
    q = query if isinstance(query, Query) else parse_query(query)
    result = SearchResult(query=q, sort=sort, limit=limit, offset=offset)
    where, args = _filters(q)
    if not q.has_text and not where:
        return result
    try:
        match = q.match("all")
        result.mode = "all" if match else "filter"
        matches = _matches(store, match, where, args, facets)
        if not _count(matches) and match and len(q.words) > 1:
            match = q.match("any")
            result.mode = "any"
            matches = _matches(store, match, where, args, facets)
        result.total = _count(matches)
        if not result.total:
            return result
        if facets:
            result.facets = doc_values(store).count(matches)  # type: ignore[arg-type]
        title_all = title_match(q) if result.mode == "all" else None
        rows = _page(store, match, where, args, sort, limit, offset, title_all, result.total, q.typed_words())
    except sqlite3.OperationalError as exc:  # a locked or damaged database, never the user's query
        raise StoreError(f"search failed: {exc}", file=store.path) from exc
    result.hits = _hits(store, q, rows)
    return result


# -- SQL -------------------------------------------------------------------
def _filters(q: Query) -> tuple[list[str], list[object]]:
    """Conditions on `articles a` for everything in the query that is not a word to look up."""
    where: list[str] = []
    args: list[object] = []
    for tag in q.tags:
        where.append("a.rowid IN (SELECT article FROM article_tags WHERE tag = ?)")
        args.append(tag)
    for tag in q.exclude_tags:
        where.append("a.rowid NOT IN (SELECT article FROM article_tags WHERE tag = ?)")
        args.append(tag)
    if q.sources:
        where.append(f"a.source IN ({','.join('?' * len(q.sources))})")
        args.extend(q.sources)
    for source in q.exclude_sources:
        where.append("a.source IS NOT ?")
        args.append(source)
    if q.since:
        where.append("a.published_ts >= ?")
        args.append(q.since.timestamp())
    if q.until:
        where.append("a.published_ts < ?")
        args.append(q.until.timestamp())
    for phrase in q.phrases:
        where.append("(instr(lower(a.title), ?) > 0 OR instr(lower(a.body), ?) > 0)")
        args.extend([phrase.text.lower()] * 2)
    for phrase in q.exclude_phrases:
        where.append("NOT (instr(lower(a.title), ?) > 0 OR instr(lower(a.body), ?) > 0)")
        args.extend([phrase.lower()] * 2)
    if q.exclude_words and not q.has_text:
        where.append("a.rowid NOT IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        args.append(" OR ".join(quote(w.text) for w in q.exclude_words))
    return where, args


def _source(match: str | None, where: list[str], args: list[object]) -> tuple[str, list[object]]:
    """FROM ... WHERE ... for the matching articles, as `articles a` (joined to the index when words)."""
    conds = list(where)
    params: list[object] = list(args)
    if match:
        sql = "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        conds.insert(0, "articles_fts MATCH ?")
        params.insert(0, match)
    else:
        sql = "FROM articles a"
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    return sql, params


def _matches(
    store: SQLiteStore, match: str | None, where: list[str], args: list[object], rowids: bool
) -> int | np.ndarray:
    """How many articles match, or (rowids=True) which: for the facets, and their length is the total."""
    if match and not where:  # the index alone can answer
        if rowids:  # one joined string: a Python row per match costs more than the index lookup
            joined = store.conn.execute(
                "SELECT group_concat(rowid) FROM articles_fts WHERE articles_fts MATCH ?", (match,)).fetchone()[0]
            return joined_ints(joined)
        return int(store.conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                                      (match,)).fetchone()[0])
    sql, params = _source(match, where, args)
    if rowids:
        return joined_ints(store.conn.execute("SELECT group_concat(a.rowid) " + sql, params).fetchone()[0])
    return int(store.conn.execute("SELECT count(*) " + sql, params).fetchone()[0])


def _count(matches: int | np.ndarray) -> int:
    return matches if isinstance(matches, int) else len(matches)


def _page(
    store: SQLiteStore,
    match: str | None,
    where: list[str],
    args: list[object],
    sort: str,
    limit: int,
    offset: int,
    title_all: str | None,
    total: int,
    q_words: list[str],
) -> list[tuple[int, float]]:
    by_time = "a.published_ts IS NULL, a.published_ts DESC, a.rowid DESC"
    if not match:
        sql, params = _source(None, where, args)
        rows = store.conn.execute(
            f"SELECT a.rowid, 0.0 {sql} ORDER BY {by_time} LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [(r[0], 0.0) for r in rows]
    if sort == "time":  # score 0: the order is the time
        if total * JOIN_COST > (offset + limit) * _size(store) / total * SCAN_COST:
            # many matches: walk the date index newest first until the page is full
            sql = (f"SELECT a.rowid FROM articles a INDEXED BY articles_published WHERE a.rowid IN "
                   f"(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
                   f"{''.join(' AND ' + w for w in where)} ORDER BY a.published_ts DESC, a.rowid DESC LIMIT ? OFFSET ?")
            params = [match, *args]
        else:  # few: read their dates and sort
            sql, params = _source(match, where, args)
            sql = f"SELECT a.rowid {sql} ORDER BY {by_time} LIMIT ? OFFSET ?"
        return [(r[0], 0.0) for r in store.conn.execute(sql, (*params, limit, offset))]
    # relevance: articles with every word in the title first (the TITLE_RERANK shortest titles, put in
    # order by title_order); then the others by BM25. The first tier needs no BM25, which costs a pass
    # over every matching article, so a page it fills is cheap.
    want = offset + limit
    first: list[tuple[int, float]] = []
    if title_all:
        sql, params = _source(title_all, where, args)
        rows = store.conn.execute(
            f"SELECT a.rowid, a.title {sql} ORDER BY length(a.title), a.rowid DESC LIMIT ?",
            (*params, max(want, TITLE_RERANK)),
        ).fetchall()
        first = title_order(q_words, rows)[:want]
        if len(first) >= want:
            return first[offset:]
    seen = [r for r, _ in first]
    not_seen = f" AND {{}}rowid NOT IN ({','.join('?' * len(seen))})" if seen else ""
    if where:
        sql, params = _source(match, where, args)
        sql = f"SELECT a.rowid, {_score()} AS s {sql}{not_seen.format('a.')} ORDER BY s, a.rowid LIMIT ?"
    else:  # the index alone can rank
        sql = (f"SELECT rowid, {_score()} AS s FROM articles_fts WHERE articles_fts MATCH ?{not_seen.format('')} "
               "ORDER BY s, rowid LIMIT ?")
        params = [match]
    rows = store.conn.execute(sql, (*params, *seen, want - len(first))).fetchall()
    return (first + [(r[0], -float(r[1])) for r in rows])[offset:]


def title_order(words: list[str], rows: list[tuple[int, str]]) -> list[tuple[int, float]]:
    """Order articles whose title holds every query word, best first, with their scores.

    First the titles where more of the query's words stand as words of their own (二十 in 二十年, not
    inside 二十大; 中国 as a word, not inside 中国式), then the titles with fewer content words: a headline
    made of little more than the query is about it, where a long one mentions it among much else (the
    title field's length norm, made steep: for a query of k of a title's n words, about 1/C(n, k) of
    such titles' queries are this one). Then the titles that hold the words in the order typed, the
    shorter title, the later stored."""
    typed = [w.lower() for w in words]
    wanted = set(typed)
    keyed = []
    for rowid, title in rows:
        own = content_words(title)
        whole = sum(1 for w in wanted if w in own) / len(wanted) if wanted else 1.0
        keyed.append((-whole, len(own), -_in_order(title.lower(), typed), len(title), -rowid, whole))
    keyed.sort()
    return [(-key[4], 2 * TIER_BONUS + TIER_BONUS * (0.5 * key[5] + 0.5 / (1 + key[1]))) for key in keyed]


def _in_order(title: str, words: list[str]) -> bool:
    """The words appear in the title in the order typed."""
    at = -1
    for w in words:
        at = title.find(w, at + 1)
        if at < 0:
            return False
    return True


@lru_cache(maxsize=16384)
def content_words(title: str) -> frozenset[str]:
    """The distinct words of a title that a query could be made of: two or more characters, not stop words."""
    stop = stopwords()
    return frozenset(w for w in cut(title.lower()) if len(w) >= 2 and w not in stop and _WORDLIKE.search(w))


def _size(store: SQLiteStore) -> int:
    return int(store.conn.execute("SELECT coalesce(max(rowid), 1) FROM articles").fetchone()[0])


def _score() -> str:
    return f"bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})"


def title_match(q: Query) -> str | None:
    """Every word in the title (and no excluded word anywhere), as one FTS5 expression."""
    groups = q.word_groups()
    if not groups:
        return None
    expr = "{title_terms} : (" + " AND ".join(groups) + ")"
    excluded = q.exclude_match()
    return f"{expr} NOT ({excluded})" if excluded else expr


# -- hits ------------------------------------------------------------------
def _hits(store: SQLiteStore, q: Query, rows: list[tuple[int, float]]) -> list[SearchHit]:
    stored = store.get_many([r[0] for r in rows])
    hits = []
    for rowid, score in rows:
        if rowid not in stored:  # deleted between the two queries
            continue
        a = stored[rowid].article
        groups = q.highlight_terms((a.title + "\n" + a.body).lower())
        pattern = matcher(groups)
        window = best_window(a.body, pattern, groups)
        if window is None:
            window = mark(a.snippet or a.body[:120], pattern)
        hits.append(SearchHit(a, score, window, mark(a.title, pattern), rowid))
    return hits


def fts_expression(terms: list[str], op: str = "AND") -> str:
    """Quote each term so that nothing in it is FTS syntax, and join them with AND or OR."""
    if op not in ("AND", "OR"):
        raise QueryError(f"unknown operator {op!r}")
    return f" {op} ".join(quote(t) for t in terms if t)

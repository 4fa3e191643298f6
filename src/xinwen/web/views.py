"""The pages of the web UI, each with its JSON twin: thin views over the `Collection` of the app.

Every view calls the collection, builds one result object (xinwen.results) and hands it to `respond`.
They are plain functions, run on the server's worker threads side by side: the store gives each thread
its own connection, and the collection's in-memory indexes refresh themselves from the change token.

What costs milliseconds (an article's related reading and copies, the home page's trending tags, a
search's hits and facets, trends, a tag's page, the clusters of copies) is computed once per database
state and kept in the process's `PartCache` (`part`): the next reader of the same page, in HTML or in
JSON, gets it from there until a write moves the change token. Every parameter is bounded (query length,
page size, page number, id length), so no request asks for unbounded work.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator

from xinwen import results as m
from xinwen.article import Article
from xinwen.collection import Collection
from xinwen.errors import NotFound
from xinwen.web.cache import PartCache
from xinwen.web.render import line_chart
from xinwen.web.responses import HTML_OR_JSON, respond

PER_PAGE = 10
MAX_QUERY = 500
MAX_ID = 1000  # characters of an article id or a tag in a path
T = TypeVar("T")

router = APIRouter()
FormatParam = Annotated[Literal["json", "html"] | None, Query(
    alias="format", description="json: the page's JSON twin (as Accept: application/json asks); html: the page")]


def collection(request: Request) -> Collection:
    return request.app.state.collection  # type: ignore[no-any-return]


def part(request: Request, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per database state (the change token) and key, in this process."""
    parts: PartCache = request.app.state.parts
    return parts.get(collection(request).store.change_token(), key, compute)


def compose_query(q: str, filters: m.SearchFilters) -> str:
    """q plus the filters in the search engine's query language (tag:, source:, origin:, from:, to:)."""
    parts = [q.strip()] if q.strip() else []

    def term(key: str, value: str) -> str:
        return f'{key}:"{value}"' if re.search(r'[\s"]', value) else f"{key}:{value}"

    if filters.tag:
        parts.append(term("tag", filters.tag))
    if filters.source:
        parts.append(term("source", filters.source))
    if filters.origin:
        parts.append(term("origin", filters.origin))
    if filters.month:
        year, month = (int(x) for x in filters.month.split("-"))
        last = calendar.monthrange(year, month)[1]
        parts.append(f"from:{filters.month}-01 to:{filters.month}-{last:02d}")
    return " ".join(parts)


def iso_day(value: object) -> object:
    """A day as YYYY-MM-DD text only (pydantic alone would take 0 as 1970-01-01, a Unix time)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("expected a date, YYYY-MM-DD")
    return value


def _get(path: str, model: type, summary: str):  # type: ignore[no-untyped-def]
    """A page at `path`, answering GET and HEAD (the same, without the body; the schema shows GET)."""
    return router.api_route(path, methods=["GET", "HEAD"], response_model=model, responses=HTML_OR_JSON,
                            summary=summary)


@_get("/", m.HomePage, "Latest articles, trending tags")
def home(
    request: Request, limit: int = Query(20, ge=1, le=100, description="how many latest articles"),
    fmt: FormatParam = None,
) -> Response:
    c = collection(request)

    def home_page() -> m.HomePage:
        latest = c.list(limit=limit)
        return m.HomePage(count=c.count(), articles=[m.summary(a) for a in latest],
                          trending=trending_tags(c, latest))

    return respond(request, "home.html", part(request, ("home", limit), home_page))


def trending_tags(c: Collection, latest: list[Article]) -> list[m.RisingTag]:
    """Tags rising in the latest week against the week before; where too few articles make a week
    say little (a small collection), the latest month, then any growth at all; else the most
    frequent tags of the latest articles."""
    published = [a.published for a in latest if a.published]
    if published:
        since = (max(published) - timedelta(days=70)).date().isoformat()
        for period, min_count in (("week", 3), ("month", 2), ("month", 1)):
            t = c.trends(period=period, top=12, since=since, tags=[], min_count=min_count)
            rising = [m.rising_tag(r) for r in t.rising]
            if len(rising) >= 5:
                break
        if rising:
            return rising
    counts = Counter(t for a in latest for t in a.tags)
    return [m.RisingTag(tag=t, now=n, before=0, ratio=float(n)) for t, n in counts.most_common(12)]


@_get("/articles/{article_id:path}", m.ArticlePage,
      "One article (or ?version=N: one of its earlier texts), its provenance, related reading, copies and versions")
def article(
    request: Request, article_id: str = Path(max_length=MAX_ID, description="the article's id"),
    k: int = Query(5, ge=1, le=20, description="how many related articles"),
    version: int | None = Query(None, ge=1, le=1_000_000, description="one of the article's texts (1: the first stored)"),
    fmt: FormatParam = None,
) -> Response:
    c = collection(request)

    def reading() -> tuple[list[m.RelatedArticle], list[m.ArticleSummary], Any, list[Any]]:
        """Related articles, copies, provenance and versions (not the article itself: a 1 MB body is
        not worth keeping)."""
        copies = [x for x in c.copies(article_id) if x.id != article_id]
        copy_ids = {x.id for x in copies}  # (the library leaves them out already; never show a story twice)
        related = [h for h in c.related(article_id, k=k) if h.article.id not in copy_ids]
        return ([m.related_article(h) for h in related], [m.summary(x) for x in copies], c.provenance(article_id),
                c.versions(article_id))

    a = c.get(article_id)
    related, copies, prov, versions = part(request, ("article", article_id, k), reading)
    n = version or len(versions)
    if n > len(versions):
        raise NotFound(f"article {article_id!r} has no version {n} (it has {len(versions)})")
    shown = versions[n - 1]
    text = a if n == len(versions) else shown.article
    changes = m.version_changes(versions[n - 2], shown) if n > 1 else []
    return respond(request, "article.html", m.ArticlePage(
        article=m.full(text, prov, n), related=related, copies=copies,
        versions=m.versions_out(article_id, versions, bodies=False).versions,
        changes=[m.ChangeOut(op=ch.op, text=ch.text) for ch in changes]))


@_get("/tags/{tag:path}", m.TagPage, "A tag's articles and the tags that occur with it")
def tag_page(
    request: Request, tag: str = Path(max_length=MAX_ID, description="the tag"),
    page: int = Query(1, ge=1, le=10_000, description="10 articles a page"), fmt: FormatParam = None,
) -> Response:
    c = collection(request)

    def tag_result() -> m.TagPage:
        rows = c.list(tag=tag, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
        co = c.cooccurring(tag, k=12)
        if not rows and page == 1 and not co:
            raise NotFound(f"no article is tagged {tag!r}")
        return m.TagPage(
            tag=tag, page=page, has_next=len(rows) > PER_PAGE, articles=[m.summary(a) for a in rows[:PER_PAGE]],
            cooccurring=[m.TagCount(tag=t, count=n) for t, n in co],
        )

    return respond(request, "tag.html", part(request, ("tag", tag, page), tag_result))


@_get("/search", m.SearchPage, "Full-text search with filters, facets, highlights and pages")
def search_page(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY, description="words (all, else any), \"phrases\", -exclusions, "
                   "tag:, source:, origin:, from:, to:"),
    tag: str | None = Query(None, max_length=100, description="only articles with this tag"),
    source: str | None = Query(None, max_length=200, description="only articles from this source"),
    origin: str | None = Query(None, max_length=200,
                               description="only articles credited to this outlet (来源：…, 据…电)"),
    month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                              description="only articles published in this month, YYYY-MM"),
    sort: Literal["relevance", "time"] = Query("relevance", description="relevance (BM25) or newest first"),
    page: int = Query(1, ge=1, le=100, description="10 hits a page (the first 1,000 hits)"),
    fmt: FormatParam = None,
) -> Response:
    filters = m.SearchFilters(tag=tag or None, source=source or None, origin=origin or None, month=month or None)
    query = compose_query(q, filters)

    def search_result() -> m.SearchPage:
        result = collection(request).search(query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, sort=sort)
        return m.SearchPage(
            q=q, query=query, filters=filters, sort=sort, page=page, per_page=PER_PAGE, total=result.total,
            pages=max(1, math.ceil(result.total / PER_PAGE)), mode=result.mode, notes=list(result.notes),
            hits=[m.search_hit(h) for h in result.hits], facets=m.facets(result),
        )

    return respond(request, "search.html", part(request, ("search", q, query, sort, page), search_result))


@_get("/trends", m.TrendsPage, "Tag counts over time, and rising tags")
def trends_page(
    request: Request,
    period: Literal["day", "week", "month"] = Query("month", description="the length of a period"),
    top: int = Query(8, ge=1, le=12, description="how many of the most frequent tags to draw"),
    since: Annotated[date | None, BeforeValidator(iso_day), Query(description="first day counted, YYYY-MM-DD")] = None,
    until: Annotated[date | None, BeforeValidator(iso_day),
                     Query(description="last day counted (inclusive), YYYY-MM-DD")] = None,
    fmt: FormatParam = None,
) -> Response:
    def trends_result() -> tuple[m.TrendsPage, dict[str, Any], dict[str, dict[str, int]]]:
        trends = collection(request).trends(  # dates as text: whole days, both ends inclusive
            period=period, top=top, since=since.isoformat() if since else None,
            until=until.isoformat() if until else None)
        page = m.trends_page(trends)
        series = {t: [(p.period, p.count) for p in pts] for t, pts in page.series.items()}
        return page, line_chart(series), {t: dict(pts) for t, pts in series.items()}

    page, chart, table = part(request, ("trends", period, top, since, until), trends_result)
    return respond(request, "trends.html", page, chart=chart, table=table)


@_get("/duplicates", m.DuplicatesPage, "Clusters of copies of the same story")
def duplicates_page(
    request: Request, limit: int = Query(100, ge=1, le=1000, description="how many clusters"),
    fmt: FormatParam = None,
) -> Response:
    def clusters() -> m.DuplicatesPage:
        return m.DuplicatesPage(clusters=[m.cluster(cl) for cl in collection(request).duplicates(limit=limit)])

    return respond(request, "duplicates.html", part(request, ("duplicates", limit), clusters))

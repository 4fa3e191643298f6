"""The pages of the web UI, each with its JSON twin: thin views over the `Collection` of the app.

Every view calls the collection, builds one result object (xinwen.results) and hands it to `respond`.
They are plain functions, run on the server's worker threads side by side: the store gives each thread
its own connection, and the collection's in-memory indexes refresh themselves from the change token.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from xinwen import results as m
from xinwen.article import Article
from xinwen.collection import Collection
from xinwen.errors import NotFound
from xinwen.web.render import line_chart
from xinwen.web.responses import HTML_OR_JSON, respond

PER_PAGE = 10
MAX_QUERY = 500

router = APIRouter()
FormatParam = Annotated[Literal["json", "html"] | None, Query(
    alias="format", description="json: the page's JSON twin (as Accept: application/json asks); html: the page")]


def collection(request: Request) -> Collection:
    return request.app.state.collection


def compose_query(q: str, filters: m.SearchFilters) -> str:
    """q plus the filters in the search engine's query language (tag:, source:, from:, to:)."""
    parts = [q.strip()] if q.strip() else []

    def term(key: str, value: str) -> str:
        return f'{key}:"{value}"' if re.search(r'[\s"]', value) else f"{key}:{value}"

    if filters.tag:
        parts.append(term("tag", filters.tag))
    if filters.source:
        parts.append(term("source", filters.source))
    if filters.month:
        year, month = (int(x) for x in filters.month.split("-"))
        last = calendar.monthrange(year, month)[1]
        parts.append(f"from:{filters.month}-01 to:{filters.month}-{last:02d}")
    return " ".join(parts)


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
    latest = c.list(limit=limit)
    return respond(request, "home.html", m.HomePage(
        count=c.count(), articles=[m.summary(a) for a in latest], trending=trending_tags(c, latest),
    ))


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


@_get("/articles/{article_id:path}", m.ArticlePage, "One article, its related reading and its copies")
def article(
    request: Request, article_id: str, k: int = Query(5, ge=1, le=20, description="how many related articles"),
    fmt: FormatParam = None,
) -> Response:
    c = collection(request)
    a = c.get(article_id)
    copies = [x for x in c.copies(article_id) if x.id != a.id]
    copy_ids = {x.id for x in copies}  # (the library leaves them out already; never show a story twice)
    related = [h for h in c.related(article_id, k=k) if h.article.id not in copy_ids]
    return respond(request, "article.html", m.ArticlePage(
        article=m.full(a), related=[m.related_article(h) for h in related], copies=[m.summary(x) for x in copies],
    ))


@_get("/tags/{tag:path}", m.TagPage, "A tag's articles and the tags that occur with it")
def tag_page(
    request: Request, tag: str, page: int = Query(1, ge=1, le=10_000, description="10 articles a page"),
    fmt: FormatParam = None,
) -> Response:
    c = collection(request)
    rows = c.list(tag=tag, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    co = c.cooccurring(tag, k=12)
    if not rows and page == 1 and not co:
        raise NotFound(f"no article is tagged {tag!r}")
    return respond(request, "tag.html", m.TagPage(
        tag=tag, page=page, has_next=len(rows) > PER_PAGE, articles=[m.summary(a) for a in rows[:PER_PAGE]],
        cooccurring=[m.TagCount(tag=t, count=n) for t, n in co],
    ))


@_get("/search", m.SearchPage, "Full-text search with filters, facets, highlights and pages")
def search_page(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY, description="words (all, else any), \"phrases\", -exclusions, "
                   "tag:, source:, from:, to:"),
    tag: str | None = Query(None, max_length=100, description="only articles with this tag"),
    source: str | None = Query(None, max_length=200, description="only articles from this source"),
    month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                              description="only articles published in this month, YYYY-MM"),
    sort: Literal["relevance", "time"] = Query("relevance", description="relevance (BM25) or newest first"),
    page: int = Query(1, ge=1, le=1000, description="10 hits a page"),
    fmt: FormatParam = None,
) -> Response:
    filters = m.SearchFilters(tag=tag or None, source=source or None, month=month or None)
    query = compose_query(q, filters)
    result = collection(request).search(query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, sort=sort)
    return respond(request, "search.html", m.SearchPage(
        q=q, query=query, filters=filters, sort=sort, page=page, per_page=PER_PAGE, total=result.total,
        pages=max(1, math.ceil(result.total / PER_PAGE)), mode=result.mode, notes=list(result.notes),
        hits=[m.search_hit(h) for h in result.hits], facets=m.facets(result),
    ))


@_get("/trends", m.TrendsPage, "Tag counts over time, and rising tags")
def trends_page(
    request: Request,
    period: Literal["day", "week", "month"] = Query("month", description="the length of a period"),
    top: int = Query(8, ge=1, le=12, description="how many of the most frequent tags to draw"),
    since: Annotated[date | None, Query(description="first day counted, YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day counted (inclusive), YYYY-MM-DD")] = None,
    fmt: FormatParam = None,
) -> Response:
    trends = collection(request).trends(  # dates as text: whole days, both ends inclusive
        period=period, top=top, since=since.isoformat() if since else None, until=until.isoformat() if until else None)
    page = m.trends_page(trends)
    series = {t: [(p.period, p.count) for p in pts] for t, pts in page.series.items()}
    return respond(request, "trends.html", page, chart=line_chart(series),
                   table={t: dict(pts) for t, pts in series.items()})


@_get("/duplicates", m.DuplicatesPage, "Clusters of copies of the same story")
def duplicates_page(
    request: Request, limit: int = Query(100, ge=1, le=1000, description="how many clusters"),
    fmt: FormatParam = None,
) -> Response:
    clusters = collection(request).duplicates(limit=limit)
    return respond(request, "duplicates.html", m.DuplicatesPage(clusters=[m.cluster(cl) for cl in clusters]))

"""The web UI and REST API: a thin FastAPI layer over `xinwen.collection.Collection`.

Each view calls the Collection, builds one response object (web/models.py) and either returns it as JSON
(when the request prefers `application/json`) or renders it with a Jinja2 template. /openapi.json
documents those objects; /docs renders that schema on the server, offline (no CDN assets).
"""

from __future__ import annotations

import calendar
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinwen.article import Article
from xinwen.collection import Collection
from xinwen.errors import NotFound, XinwenError
from xinwen.search.engine import SearchHit
from xinwen.web import models as m
from xinwen.web.apidocs import reference
from xinwen.web.render import STATIC, highlight_html, line_chart, make_environment

log = logging.getLogger("xinwen.web")

PER_PAGE = 10
T = TypeVar("T")
HTML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "HTML page, or JSON with Accept: application/json"},
    400: {"model": m.ErrorOut, "description": "a parameter that cannot be used as given"},
    404: {"model": m.ErrorOut, "description": "no such article or page"},
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def wants_json(request: Request) -> bool:
    """True when the Accept header prefers application/json to text/html."""
    quality = {"application/json": 0.0, "text/html": 0.0}
    for part in request.headers.get("accept", "").split(","):
        media, *params = [s.strip() for s in part.split(";")]
        if media in quality:
            q = 1.0
            for p in params:
                if p.startswith("q="):
                    try:
                        q = float(p[2:])
                    except ValueError:
                        q = 0.0
            quality[media] = max(quality[media], q)
    return quality["application/json"] > 0 and quality["application/json"] >= quality["text/html"]


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


def create_app(db: str, *, collection: Collection | None = None) -> FastAPI:
    """The app over the collection in `db` (opened read-only), or over `collection` when given."""
    app = FastAPI(
        title="xinwen",
        description="Chinese news, tagged, summarized, linked and searchable. Every HTML page has a JSON "
        "twin: the same path requested with `Accept: application/json`.",
        docs_url=None, redoc_url=None,  # /docs is served below, offline
    )
    c = collection or Collection(db, readonly=True)
    app.state.collection = c
    lock = threading.Lock()

    def call(method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a Collection method, one at a time: the server runs views on several threads and the
        collection holds one SQLite connection (and in-memory indexes it loads on first use)."""
        with lock:
            return method(*args, **kwargs)
    env = make_environment()
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    def respond(
        request: Request, template: str, page: BaseModel, *, status: int = 200, **extra: Any
    ) -> Response:
        if wants_json(request):
            response: Response = JSONResponse(page.model_dump(mode="json"), status_code=status)
        else:
            html = env.get_template(template).render(
                page=page, request=request, params=dict(request.query_params), **extra
            )
            response = HTMLResponse(html, status_code=status)
        response.headers["Vary"] = "Accept"
        return response

    def error(request: Request, status: int, message: str) -> Response:
        return respond(request, "error.html", m.ErrorOut(error=message, status=status), status=status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(XinwenError)
    async def xinwen_error(request: Request, exc: XinwenError) -> Response:
        return error(request, 404 if isinstance(exc, NotFound) else 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            problems.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg")))
        return error(request, 400, "bad parameter " + "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return error(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return error(request, 500, f"internal error ({type(exc).__name__}); the server log has the details")

    @app.get("/", response_model=m.HomePage, responses=HTML_OR_JSON, summary="Latest articles, trending tags")
    def home(
        request: Request, limit: int = Query(20, ge=1, le=100, description="how many latest articles")
    ) -> Response:
        latest = call(c.list, limit=limit)
        return respond(request, "home.html", m.HomePage(
            count=call(c.count), articles=[m.summary(a) for a in latest], trending=trending_tags(latest),
        ))

    def trending_tags(latest: list[Article]) -> list[m.RisingTag]:
        """Tags rising in the latest week against the week before; where too few articles make a week
        say little (a small collection), the latest month, then any growth at all; else the most
        frequent tags of the latest articles."""
        published = [a.published for a in latest if a.published]
        if published:
            since = (max(published) - timedelta(days=70)).date().isoformat()
            for period, min_count in (("week", 3), ("month", 2), ("month", 1)):
                t = call(c.trends, period=period, top=12, since=since, tags=[], min_count=min_count)
                rising = [m.rising_tag(r) for r in t.rising]
                if len(rising) >= 5:
                    break
            if rising:
                return rising
        counts = Counter(t for a in latest for t in a.tags)
        return [m.RisingTag(tag=t, now=n, before=0, ratio=float(n)) for t, n in counts.most_common(12)]

    @app.get("/articles/{article_id:path}", response_model=m.ArticlePage, responses=HTML_OR_JSON,
             summary="One article, its related reading and its copies")
    def article(
        request: Request, article_id: str, k: int = Query(5, ge=1, le=20, description="how many related articles")
    ) -> Response:
        a = call(c.get, article_id)
        copies = [x for x in call(c.copies, article_id) if x.id != a.id]
        copy_ids = {x.id for x in copies}  # (the library leaves them out already; never show a story twice)
        related = [h for h in call(c.related, article_id, k=k) if h.article.id not in copy_ids]
        return respond(request, "article.html", m.ArticlePage(
            article=m.full(a), related=[m.related_article(h) for h in related],
            copies=[m.summary(x) for x in copies],
        ))

    @app.get("/tags/{tag:path}", response_model=m.TagPage, responses=HTML_OR_JSON,
             summary="A tag's articles and the tags that occur with it")
    def tag_page(
        request: Request, tag: str, page: int = Query(1, ge=1, le=10_000, description="10 articles a page")
    ) -> Response:
        rows = call(c.list, tag=tag, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
        co = call(c.cooccurring, tag, k=12)
        if not rows and page == 1 and not co:
            raise NotFound(f"no article is tagged {tag!r}")
        return respond(request, "tag.html", m.TagPage(
            tag=tag, page=page, has_next=len(rows) > PER_PAGE,
            articles=[m.summary(a) for a in rows[:PER_PAGE]],
            cooccurring=[m.TagCount(tag=t, count=n) for t, n in co],
        ))

    @app.get("/search", response_model=m.SearchPage, responses=HTML_OR_JSON,
             summary="Full-text search with filters, facets, highlights and pages")
    def search_page(
        request: Request,
        q: str = Query("", max_length=500, description="words (all, else any), \"phrases\", -exclusions, "
                       "tag:, source:, from:, to:"),
        tag: str | None = Query(None, max_length=100, description="only articles with this tag"),
        source: str | None = Query(None, max_length=200, description="only articles from this source"),
        month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                  description="only articles published in this month, YYYY-MM"),
        sort: Literal["relevance", "time"] = Query("relevance", description="relevance (BM25) or newest first"),
        page: int = Query(1, ge=1, le=1000, description="10 hits a page"),
    ) -> Response:
        filters = m.SearchFilters(tag=tag or None, source=source or None, month=month or None)
        query = compose_query(q, filters)
        result = call(c.search, query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, sort=sort)
        return respond(request, "search.html", m.SearchPage(
            q=q, query=query, filters=filters, sort=sort, page=page, per_page=PER_PAGE, total=result.total,
            pages=max(1, math.ceil(result.total / PER_PAGE)), mode=result.mode, notes=list(result.notes),
            hits=[search_hit(h) for h in result.hits],
            facets={key: [m.FacetValue(value=str(v), count=int(n)) for v, n in values]
                    for key, values in result.facets.items()},
        ))

    def search_hit(h: SearchHit) -> m.SearchHitOut:
        title = h.title_highlight or h.article.title
        return m.SearchHitOut(
            article=m.summary(h.article), score=float(h.score), highlight=h.highlight,
            highlight_html=str(highlight_html(h.highlight)), title_highlight=title,
            title_html=str(highlight_html(title)),
        )

    @app.get("/trends", response_model=m.TrendsPage, responses=HTML_OR_JSON,
             summary="Tag counts over time, and rising tags")
    def trends_page(
        request: Request,
        period: Literal["day", "week", "month"] = Query("month", description="the length of a period"),
        top: int = Query(8, ge=1, le=12, description="how many of the most frequent tags to draw"),
        since: Annotated[date | None, Query(description="first day counted, YYYY-MM-DD")] = None,
        until: Annotated[date | None, Query(description="last day counted (inclusive), YYYY-MM-DD")] = None,
    ) -> Response:
        trends = call(c.trends, period=period, top=top,  # dates as text: whole days, both ends inclusive
                      since=since.isoformat() if since else None, until=until.isoformat() if until else None)
        series = {t: [(str(p)[:10], int(n)) for p, n in pts] for t, pts in trends.series.items()}
        page = m.TrendsPage(
            period=period,
            series={t: [m.TrendPoint(period=p, count=n) for p, n in pts] for t, pts in series.items()},
            rising=[m.rising_tag(r) for r in trends.rising],
        )
        return respond(request, "trends.html", page, chart=line_chart(series),
                       table={t: dict(pts) for t, pts in series.items()})

    @app.get("/duplicates", response_model=m.DuplicatesPage, responses=HTML_OR_JSON,
             summary="Clusters of copies of the same story")
    def duplicates_page(
        request: Request, limit: int = Query(100, ge=1, le=1000, description="how many clusters")
    ) -> Response:
        clusters = call(c.duplicates, limit=limit)
        return respond(request, "duplicates.html", m.DuplicatesPage(clusters=[
            m.ClusterOut(canonical=m.summary(cl.canonical), copies=[m.summary(x) for x in cl.copies])
            for cl in clusters
        ]))

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, less its 422 responses: a bad parameter is answered 400 here (ErrorOut)."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            for methods in schema.get("paths", {}).values():
                for op in methods.values():
                    op.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        api = app.openapi()
        html = env.get_template("docs.html").render(api=api, ref=reference(api), params={}, request=request)
        return HTMLResponse(html)

    return app

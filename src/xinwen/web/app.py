"""The web UI and REST API: a thin FastAPI layer over `xinwen.collection.Collection`.

The app holds one Collection (read-only, or writable when the server has a write token); the views
(views.py) are plain functions that FastAPI runs on its worker threads side by side, each thread reading
through its own store connection. Each view builds one result object (xinwen.results) and returns it as
JSON (when the request prefers `application/json`, or says `?format=json`) or renders it with a Jinja2
template. /openapi.json documents those objects; /docs renders that schema on the server, offline (no CDN
assets). The write API (writes.py) is off unless a token is configured.

`xinwen serve --workers N` runs N processes, each made by `app_from_env()` (uvicorn imports it by name);
each process loads the collection's in-memory indexes once (at start-up, `warm`) and refreshes them when
the store's change token moves. In front of the views (middleware.py): security headers on every
response, load shedding (503 + Retry-After past `max_in_flight` requests), CORS for named origins only,
and HTTP caching (ETag from the change token, 304, pages kept per database state).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

import xinwen
from xinwen.collection import Collection
from xinwen.errors import NotFound, QueryError, StoreError, XinwenError
from xinwen.web import views, writes
from xinwen.web.apidocs import reference
from xinwen.web.cache import PartCache, ResponseCache
from xinwen.web.middleware import HTTPCache, LoadShedder, SecurityHeaders, database_identity
from xinwen.web.render import STATIC, make_environment
from xinwen.web.responses import SECURITY_HEADERS, error, error_responses
from xinwen.web.settings import ServeSettings
from xinwen.web.writer import Writer

__all__ = ["SECURITY_HEADERS", "app_from_env", "create_app", "status_of"]

log = logging.getLogger("xinwen.web")
# requests in flight in one worker process above which its responses close their keep-alive connection, so
# that they reconnect to a less busy worker (LoadShedder); a worker keeping up has one or two
BALANCE_IN_FLIGHT = 4


def status_of(exc: XinwenError) -> int:
    """A user's mistake is 4xx; a store that cannot be read is the server's trouble (503)."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StoreError):
        return 503
    return 400


def warm(c: Collection, env: Any = None, *, freeze: bool = False) -> None:
    """Load what every page needs before the first reader asks (the doc values behind facets and trends,
    the related vectors, the copy index, the segmenter, the compiled templates), so no reader waits for
    it; a collection that cannot be warmed (empty, damaged) is served as it is and its pages say what is
    wrong. With `freeze` (a server's worker process), what was loaded is then moved out of the garbage
    collector's sight (`gc.freeze`): a full collection walks every object the process holds, and the
    analyzer's dictionaries alone make that a pause of 50-100 ms in the middle of somebody's request."""
    import gc

    if env is not None:
        for name in env.list_templates():
            env.get_template(name)
    try:
        c.doc_values()
        latest = c.list(limit=1)
        if latest:
            c.related(latest[0].id, k=1)
            c.copies(latest[0].id)
            c.search(latest[0].title[:8] or "新闻", limit=1)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the first request meets it and answers it
        log.warning("could not warm up %s: %s", c.location, exc)
    if freeze:
        gc.collect()
        gc.freeze()


def refresh(c: Collection) -> None:
    """Bring the collection's in-memory indexes up to the store's state (what the first view after a write
    would otherwise do while the others wait; see middleware.HTTPCache)."""
    c.doc_values()
    latest = c.list(limit=1)
    if latest:
        c.related(latest[0].id, k=1)
        c.copies(latest[0].id)


_preflight_scope: ContextVar[Any] = ContextVar("xinwen_preflight_scope", default=None)


class CORS(CORSMiddleware):
    """Starlette's CORS, whose refusal of a preflight is an error page like every other error."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        _preflight_scope.set(scope)
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Any) -> Response:
        response = super().preflight_response(request_headers)
        scope = _preflight_scope.get()
        if response.status_code == 400 and scope is not None:
            message = bytes(response.body).decode("utf-8", "replace")
            return error(Request(scope), 400, f"CORS preflight refused: {message}")
        return response


def create_app(db: str | None = None, *, collection: Collection | None = None,
               settings: ServeSettings | None = None, warm_up: bool = True, freeze_gc: bool = False) -> FastAPI:
    """The app over the collection in `db`, or over `collection` when given. `settings` (default: those of
    the environment, $XINWEN_API_TOKEN and kin, see web/settings.py) say whether writes are on, which
    origins CORS allows, and the bounds. Without a token the collection is opened read-only. `warm_up`:
    load the indexes at start-up (`warm`); `freeze_gc`: then freeze the heap (for a process that only
    serves: a test runner's heap is not to be frozen)."""
    settings = settings or ServeSettings.from_env(db)
    db = db or settings.db
    owned = collection is None
    c = collection or Collection(db, readonly=not settings.writes)
    c.wait_for_indexes = False  # readers answer from the indexes as they were while one thread refreshes them

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if freeze_gc:
            # a serving process: its requests are the parallelism. A BLAS pool of one thread per core under
            # each request thread only spins against the others (100,000 related vectors times one
            # query: 0.8 ms on one thread, 15 ms with two on a busy 2-core machine)
            from threadpoolctl import threadpool_limits

            from xinwen.linking.related.ranking import blas_on_one_thread

            threadpool_limits(1)
            blas_on_one_thread()
        if settings.writes:
            app.state.writer.start()  # (spawned before the heap is frozen: it starts from nothing anyway)
        if warm_up:
            await run_in_threadpool(lambda: warm(c, app.state.env, freeze=freeze_gc))
        yield
        await run_in_threadpool(app.state.writer.close)
        if owned:
            c.close()

    app = FastAPI(
        title="xinwen",
        version=xinwen.__version__,
        description="Chinese news, tagged, summarized, linked and searchable. Every HTML page has a JSON "
        "twin: the same path requested with `Accept: application/json`, or with `?format=json`. Pages carry "
        "an ETag (answered 304 to `If-None-Match`); a busy server answers 503 with `Retry-After`. The write "
        "API (`/api/articles`) is off unless the server has a token, and then needs `Authorization: Bearer`.",
        docs_url=None, redoc_url=None,  # /docs is served below, offline
        lifespan=lifespan,
    )
    app.state.collection = c
    app.state.settings = settings
    app.state.env = make_environment()
    app.state.parts = PartCache(settings.part_cache_entries)
    app.state.responses = ResponseCache(settings.response_cache_bytes)
    app.state.write_lock = anyio.Lock()  # one write at a time in this process (writes.py)
    app.state.writer = Writer(c)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(views.router)
    app.include_router(writes.router)

    # outermost last: security headers > load shedding > CORS > HTTP cache > the views
    app.add_middleware(HTTPCache, token=c.store.change_token, identity=database_identity(c.location),
                       cache=app.state.responses, max_age=settings.max_age, refresh=lambda: refresh(c),
                       max_stale=settings.max_stale)
    if settings.cors_origins:
        methods = ["GET", "HEAD", *(["POST", "DELETE"] if settings.writes else [])]
        app.add_middleware(CORS, allow_origins=list(settings.cors_origins), allow_methods=methods,
                           allow_headers=["Authorization", "Content-Type", "Accept", "If-None-Match"],
                           expose_headers=["ETag", "Retry-After"], max_age=600)
    app.add_middleware(LoadShedder, limit=settings.max_in_flight,
                       balance=BALANCE_IN_FLIGHT if settings.workers > 1 else None)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(XinwenError)
    async def xinwen_error(request: Request, exc: XinwenError) -> Response:
        if isinstance(exc, StoreError):
            log.error("store error serving %s: %s", request.url.path, exc)
        return error(request, status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            problems.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg")))
        return error(request, 400, str(QueryError("bad parameter " + "; ".join(problems))))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return error(request, exc.status_code, message, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return error(request, 500, f"internal error ({type(exc).__name__}); the server log has the details")

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, less its 422 responses (a bad parameter is answered 400 here, ErrorOut) and
        its HEAD operations (each page's HEAD is its GET without the body); with the write API's body
        (ArticleIn), and 405 and 503 on every operation (any route answers them)."""
        if app.openapi_schema is None:
            with warnings.catch_warnings():  # GET and HEAD of one route share an operation id; HEAD goes
                warnings.simplefilter("ignore", UserWarning)
                schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                     routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for methods in schema.get("paths", {}).values():
                methods.pop("head", None)
                for op in methods.values():
                    responses = op.setdefault("responses", {})
                    responses.pop("422", None)
                    for code, entry in error_responses(405, 503).items():
                        responses.setdefault(str(code), {
                            "description": entry["description"],
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}},
                                        **entry["content"]}})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            components["ArticleIn"] = writes.ArticleIn.model_json_schema(ref_template="#/components/schemas/{model}")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        api = app.openapi()
        html = app.state.env.get_template("docs.html").render(api=api, ref=reference(api), params={}, request=request)
        return HTMLResponse(html)

    return app


def app_from_env() -> FastAPI:
    """The app as `xinwen serve` configures it through the environment ($XINWEN_DB, $XINWEN_API_TOKEN or
    $XINWEN_API_TOKEN_FILE, $XINWEN_CORS_ORIGINS, ...: web/settings.py): what each worker process of
    `xinwen serve --workers N` runs (uvicorn's factory, `xinwen.web.app:app_from_env`)."""
    settings = ServeSettings.from_env()
    return create_app(settings.db, settings=settings, freeze_gc=True)

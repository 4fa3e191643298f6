"""The web UI and REST API: a thin FastAPI layer over `xinwen.collection.Collection`.

The app holds one Collection (opened read-only unless one is given); the views (views.py) are plain
functions that FastAPI runs on its worker threads side by side, each thread reading through its own
store connection. Each view builds one result object (xinwen.results) and returns it as JSON (when the
request prefers `application/json`, or says `?format=json`) or renders it with a Jinja2 template.
/openapi.json documents those objects; /docs renders that schema on the server, offline (no CDN assets).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import xinwen
from xinwen.collection import Collection
from xinwen.errors import NotFound, QueryError, StoreError, XinwenError
from xinwen.web import views
from xinwen.web.apidocs import reference
from xinwen.web.render import STATIC, make_environment
from xinwen.web.responses import error

log = logging.getLogger("xinwen.web")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def status_of(exc: XinwenError) -> int:
    """A user's mistake is 4xx; a store that cannot be read is the server's trouble (503)."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StoreError):
        return 503
    return 400


def create_app(db: str, *, collection: Collection | None = None) -> FastAPI:
    """The app over the collection in `db` (opened read-only), or over `collection` when given."""
    app = FastAPI(
        title="xinwen",
        version=xinwen.__version__,
        description="Chinese news, tagged, summarized, linked and searchable. Every HTML page has a JSON "
        "twin: the same path requested with `Accept: application/json`, or with `?format=json`.",
        docs_url=None, redoc_url=None,  # /docs is served below, offline
    )
    app.state.collection = collection or Collection(db, readonly=True)
    app.state.env = make_environment()
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(views.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

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
        its HEAD operations (each page's HEAD is its GET without the body)."""
        if app.openapi_schema is None:
            with warnings.catch_warnings():  # GET and HEAD of one route share an operation id; HEAD goes
                warnings.simplefilter("ignore", UserWarning)
                schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                     routes=app.routes)
            for methods in schema.get("paths", {}).values():
                methods.pop("head", None)
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
        html = app.state.env.get_template("docs.html").render(api=api, ref=reference(api), params={}, request=request)
        return HTMLResponse(html)

    return app

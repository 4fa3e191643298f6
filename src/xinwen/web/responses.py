"""One response per view: the page's result object (xinwen.results) as JSON when the client asks for it
(`Accept: application/json`, or `?format=json` for a link), else rendered with its Jinja2 template.

Errors are the same: `ErrorOut` as JSON, or the error page; never a traceback. The OpenAPI schema
documents both media types for every status a route can answer (`page_responses`, `ERROR_STATUSES`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from xinwen import results as m

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# what each error status means, as the schema documents it
ERROR_STATUSES: dict[int, str] = {
    400: "a parameter or body that cannot be used as given (the message names it)",
    401: "no bearer token (the write API needs `Authorization: Bearer <token>`)",
    403: "a wrong token, or writes are off on this server (no token configured)",
    404: "no such article or page",
    405: "the method is not allowed here (`Allow` lists those that are)",
    413: "the request body is larger than the server accepts",
    415: "a body of a media type the server does not read",
    503: "the server is busy (retry after the seconds in `Retry-After`) or cannot read its database",
}
_ERROR_CONTENT = {"text/html": {"schema": {"type": "string"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of these error statuses: ErrorOut as JSON, or the HTML error page."""
    return {s: {"model": m.ErrorOut, "content": dict(_ERROR_CONTENT), "description": ERROR_STATUSES[s]}
            for s in statuses}


PAGE_ERRORS = (400, 404, 503)
HTML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}},
          "description": "HTML page, or JSON with Accept: application/json (or ?format=json)"},
    304: {"description": "not modified: the page is what the client's `If-None-Match` names (no body)"},
    **error_responses(*PAGE_ERRORS),
}


def prefers_json(fmt: str | None, accept: str) -> bool:
    """True for format=json, or when the Accept header prefers application/json to text/html."""
    if fmt in ("json", "html"):
        return fmt == "json"
    quality = {"application/json": 0.0, "text/html": 0.0}
    for part in accept.split(","):
        media, *params = [s.strip() for s in part.split(";")]
        media = media.lower()
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


def wants_json(request: Request) -> bool:
    """True for ?format=json, or when the Accept header prefers application/json to text/html."""
    return prefers_json(request.query_params.get("format"), request.headers.get("accept", ""))


def respond(request: Request, template: str, page: BaseModel, *, status: int = 200, **extra: Any) -> Response:
    """The page as JSON or as HTML (its template gets `page`, the request and its query parameters)."""
    if wants_json(request):
        response: Response = JSONResponse(page.model_dump(mode="json"), status_code=status)
    else:
        params = {k: v for k, v in request.query_params.items() if k != "format"}
        html = request.app.state.env.get_template(template).render(page=page, request=request, params=params, **extra)
        response = HTMLResponse(html, status_code=status)
    response.headers["Vary"] = "Accept"
    return response


def prefers_html(request: Request) -> bool:
    """The client asked for HTML (text/html above application/json in Accept, or ?format=html)."""
    fmt = request.query_params.get("format")
    if fmt in ("json", "html"):
        return fmt == "html"
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept and not prefers_json(None, accept)


def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The error page or its JSON twin (the write API's errors are JSON unless HTML is asked for), with the
    security headers (a 500 leaves the app through Starlette's outermost middleware, past ours) and
    `Cache-Control: no-store`."""
    page = m.ErrorOut(error=message, status=status)
    if request.url.path.startswith("/api/") and not prefers_html(request):
        response: Response = JSONResponse(page.model_dump(mode="json"), status_code=status)
        response.headers["Vary"] = "Accept"
    else:
        response = respond(request, "error.html", page, status=status)
    for key, value in {**SECURITY_HEADERS, "Cache-Control": "no-store", **(headers or {})}.items():
        response.headers[key] = value
    return response

"""One response per view: the page's result object (xinwen.results) as JSON when the client asks for it
(`Accept: application/json`, or `?format=json` for a link), else rendered with its Jinja2 template."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from xinwen import results as m

HTML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}},
          "description": "HTML page, or JSON with Accept: application/json (or ?format=json)"},
    400: {"model": m.ErrorOut, "content": {"text/html": {}}, "description": "a parameter that cannot be used as given"},
    404: {"model": m.ErrorOut, "content": {"text/html": {}}, "description": "no such article or page"},
}


def wants_json(request: Request) -> bool:
    """True for ?format=json, or when the Accept header prefers application/json to text/html."""
    fmt = request.query_params.get("format")
    if fmt in ("json", "html"):
        return fmt == "json"
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


def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = respond(request, "error.html", m.ErrorOut(error=message, status=status), status=status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response

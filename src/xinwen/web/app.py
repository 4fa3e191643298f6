"""FastAPI app: an HTML page per view, with a JSON twin (Accept: application/json)."""

from __future__ import annotations

import html

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from xinwen.collection import Collection
from xinwen.errors import NotFound, XinwenError


def create_app(db: str) -> FastAPI:
    app = FastAPI(title="xinwen", description="Chinese news: tagged, summarized, linked and searchable.")
    collection = Collection(db, readonly=True)
    app.state.collection = collection

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    @app.exception_handler(XinwenError)
    async def xinwen_error(request: Request, exc: XinwenError):  # type: ignore[no-untyped-def]
        status = 404 if isinstance(exc, NotFound) else 400
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=status)
        return HTMLResponse(_page("出错了", f"<p>{html.escape(str(exc))}</p>"), status_code=status)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):  # type: ignore[no-untyped-def]
        articles = collection.list(limit=50)
        if wants_json(request):
            return JSONResponse({"articles": [a.to_dict() for a in articles]})
        items = "".join(
            f'<li><a href="/articles/{html.escape(a.id)}">{html.escape(a.title)}</a></li>' for a in articles
        )
        return _page("xinwen", f"<ul>{items}</ul>")

    @app.get("/articles/{article_id}", response_class=HTMLResponse)
    def article(article_id: str, request: Request):  # type: ignore[no-untyped-def]
        a = collection.get(article_id)
        if wants_json(request):
            return JSONResponse(a.to_dict())
        when = a.published.strftime("%Y-%m-%d %H:%M") if a.published else ""
        body = "".join(f"<p>{html.escape(p)}</p>" for p in a.body.split("\n") if p.strip())
        tags = " ".join(f"<span>{html.escape(t)}</span>" for t in a.tags)
        return _page(a.title, f"<p>发布时间: {when} {tags}</p>{body}")

    return app


def _page(title: str, content: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )

"""The write API, for a CMS or a crawler on another machine: add or correct articles, delete one.

- `POST /api/articles`: one JSON object (or an array of them), or JSON Lines for a batch
  (`Content-Type: application/x-ndjson`); the fields and the checks of `xinwen ingest`, and its per-record
  report (read, added, updated, unchanged, rejected, and every problem with its record's number).
- `DELETE /api/articles/{id}`.

Writes are off unless the server has a token ($XINWEN_API_TOKEN, or `xinwen serve --token-file FILE`);
then every write needs `Authorization: Bearer <token>`, compared in constant time (401 without one,
403 for a wrong one). Reads never need it. A body over the server's limit (Content-Length, or counted as
it arrives) is a 413 before it is read whole; more than `max_records` records is a 413 too.

Each worker process hands its writes, one at a time, to a writer process of its own (writer.py), so
that analyzing a batch holds neither a thread nor the GIL its readers need; SQLite orders the writes of
several processes, and readers never wait for any of them.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from xinwen.article import Article, Problem
from xinwen.errors import NotFound
from xinwen.web import writer
from xinwen.web.responses import error, error_responses
from xinwen.web.settings import ServeSettings

SOURCE_NAME = "POST /api/articles"  # how the report's problems name the request
JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines",
              "application/json-lines")
MAX_ID = 1000
T = TypeVar("T")

router = APIRouter(prefix="/api", tags=["write"])
bearer = HTTPBearer(auto_error=False, description="the server's write token ($XINWEN_API_TOKEN or --token-file)")
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]  # (for the schema; `refused` checks)


class ArticleIn(BaseModel):
    """One article as a CMS sends it: the fields `xinwen ingest` reads from JSON (the usual names shown;
    their aliases, such as headline, content or 发布时间, are read too, and other fields are kept as extra).
    A record needs a title or a body; an id makes a second POST of it an update. The fields shown are
    checked for their JSON types (a title must be text); the rest is `xinwen ingest`'s mapping and checks."""

    model_config = ConfigDict(extra="allow")
    id: StrictStr | StrictInt | StrictFloat | None = Field(None, description="the article's id; without one it is derived from the text")
    title: StrictStr | None = None
    body: StrictStr | list[StrictStr] | None = Field(None, description="the text (a list: its paragraphs)")
    date: StrictStr | StrictInt | StrictFloat | None = Field(
        None, description="publication time: 2024-04-14 02:15, ISO 8601, 2024年4月14日, a Unix time…")
    url: StrictStr | None = None
    source: StrictStr | None = None
    category: StrictStr | None = Field(None, description="the publisher's section")
    tags: list[StrictStr] | StrictStr | None = Field(None, description="the source's own tags (xinwen computes its own)")


def json_type(value: Any) -> str:
    """A value's JSON type, as a message names it."""
    for kind, name in ((bool, "true or false"), (int | float, "a number"), (str, "text"), (list, "a list"),
                       (dict, "an object")):
        if isinstance(value, kind):
            return name
    return "null"


def type_problem(record: dict[str, Any]) -> tuple[str | None, str] | None:
    """(field, message) when a field of ArticleIn has another JSON type than documented, else None."""
    try:
        ArticleIn.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc", ())
        field = str(loc[0]) if loc else None
        shown = {"id": "text or a number", "date": "text or a number (a Unix time)",
                 "body": "text or a list of texts", "tags": "text or a list of texts"}.get(field or "", "text")
        return field, f"should be {shown}, not {json_type(record.get(field) if field else None)}; record skipped"
    return None


class ProblemOut(BaseModel):
    file: str = Field(description=f"where the record came from: {SOURCE_NAME!r}")
    line: int | None = Field(None, description="the record's number in the request (a JSON Lines line number)")
    field: str | None = None
    message: str


class IngestReportOut(BaseModel):
    """What one POST did, as `xinwen ingest --json` reports it."""

    read: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[ProblemOut]


class DeletedOut(BaseModel):
    id: str
    deleted: bool


BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "one article (a JSON object), an array of them, or JSON Lines: one object a line",
        "content": {
            "application/json": {"schema": {"anyOf": [
                {"$ref": "#/components/schemas/ArticleIn"},
                {"type": "array", "items": {"$ref": "#/components/schemas/ArticleIn"}},
            ]}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "JSON Lines"}},
        },
    },
}


def settings(request: Request) -> ServeSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def refused(request: Request) -> Response | None:
    """Why this write may not go ahead (401, 403), or None when its bearer token is the server's."""
    token = settings(request).token
    if token is None:
        return error(request, 403, "writes are off on this server: start it with a token ($XINWEN_API_TOKEN or "
                                   "`xinwen serve --token-file FILE`) to allow them")
    scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return error(request, 401, "this needs the write token: send `Authorization: Bearer <token>`",
                     headers={"WWW-Authenticate": 'Bearer realm="xinwen"'})
    if not hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8")):
        return error(request, 403, "the token is not this server's write token",
                     headers={"WWW-Authenticate": 'Bearer realm="xinwen", error="invalid_token"'})
    return None


async def read_body(request: Request, limit: int) -> bytes | Response:
    """The whole body, or a 413 as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return error(request, 413, f"the body is {int(declared)} bytes; this server accepts at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return error(request, 413, f"the body is over {limit} bytes, the most this server accepts")
        chunks.append(chunk)
    return b"".join(chunks)


async def write(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in this worker's writer process (writer.py), one write at a time: writers waiting their
    turn hold no thread, and the writing holds no thread and no GIL of this process."""
    lock: anyio.Lock = request.app.state.write_lock
    async with lock:
        return await request.app.state.writer.run(fn, *args)  # type: ignore[no-any-return]


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield number, line


def _report(report: dict[str, Any]) -> Response:
    response = JSONResponse(IngestReportOut.model_validate(report).model_dump(mode="json"))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/articles", response_model=IngestReportOut, summary="Add or update articles (one, an array, or JSON Lines)",
    responses=error_responses(400, 401, 403, 413, 415, 503), openapi_extra=BODY_DOC,
)
async def post_articles(
    request: Request,
    fit: bool = Query(False, description="refit corpus statistics afterwards when the collection has grown by "
                      "half (as `xinwen ingest` does; slow on a large collection: `xinwen fit` can do it later)"),
    _token: BearerToken = None,
) -> Response:
    no = refused(request)
    if no is not None:
        return no
    s = settings(request)
    kind = media_type(request)
    if kind not in ("application/json", *JSON_LINES):
        return error(request, 415, f"send application/json (one article, or an array) or application/x-ndjson "
                                   f"(JSON Lines), not {kind or 'a body without a Content-Type'}")
    body = await read_body(request, s.max_body)
    if isinstance(body, Response):
        return body
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return error(request, 400, f"the body is not UTF-8 (byte {exc.start})")
    if kind == "application/json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return error(request, 400, f"bad JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        except RecursionError:
            return error(request, 400, "bad JSON: nested too deeply")
        if not isinstance(value, list | dict):
            return error(request, 400, f"expected a JSON object (or an array of them), got {type(value).__name__}")
        records = value if isinstance(value, list) else [value]
        if len(records) > s.max_records:
            return error(request, 413, f"{len(records)} records; this server takes at most {s.max_records} a request")
        for n, record in enumerate(records, 1):
            if not isinstance(record, dict):
                return error(request, 400, f"record {n}: expected a JSON object, got {type(record).__name__}")
            problem = type_problem(record)
            if problem is not None:
                return error(request, 400, f"record {n}: field {problem[0]!r}: {problem[1].split(';')[0]}")

        return _report(await write(request, writer.ingest_records, records, SOURCE_NAME, fit))

    lines = list(json_lines(text))
    if len(lines) > s.max_records:
        return error(request, 413, f"{len(lines)} records; this server takes at most {s.max_records} a request")

    return _report(await write(request, writer.ingest_lines, lines, fit))


def checked_lines(lines: list[tuple[int, str]]) -> Iterator[Article | Problem]:
    """What `xinwen ingest` reads from these JSON Lines (its reader: bad JSON is a problem of its line and
    the record is skipped), after the type check of ArticleIn: a record that fails it is a problem of its
    line too."""
    from xinwen.readers.jsonl import read_jsonl_lines

    def checked() -> Iterator[tuple[int, str] | Problem]:
        for number, line in lines:
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                value = None  # the reader names the trouble as `xinwen ingest` does
            problem = type_problem(value) if isinstance(value, dict) else None
            yield (number, line) if problem is None else Problem(SOURCE_NAME, number, problem[0], problem[1])

    return read_jsonl_lines(checked(), SOURCE_NAME)


@router.delete(
    "/articles/{article_id:path}", response_model=DeletedOut, summary="Delete an article",
    responses=error_responses(400, 401, 403, 404, 503),
)
async def delete_article(
    request: Request, article_id: str = Path(max_length=MAX_ID, description="the article's id"),
    _token: BearerToken = None,
) -> Response:
    no = refused(request)
    if no is not None:
        return no
    if not await write(request, writer.delete, article_id):
        raise NotFound(f"no article with id {article_id!r}")
    response = JSONResponse(DeletedOut(id=article_id, deleted=True).model_dump())
    response.headers["Cache-Control"] = "no-store"
    return response

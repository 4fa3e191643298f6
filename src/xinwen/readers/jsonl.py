"""JSON Lines (one object per line), and plain JSON: an array of objects, one object,
or an object holding the list under `articles`/`items`/`data`/`records`/`news`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from xinwen.article import Article, Problem
from xinwen.readers.records import to_article

_WRAPPERS = ("articles", "items", "data", "records", "news", "results")


def _record(value: Any, name: str, line: int) -> Iterator[Article | Problem]:
    if not isinstance(value, dict):
        yield Problem(name, line, None, f"expected a JSON object, got {type(value).__name__}")
        return
    article, problems = to_article(value, name, line)
    yield from problems
    if article is not None:
        yield article


def _bad_json(name: str, line: int, e: json.JSONDecodeError) -> Problem:
    return Problem(name, line, None, f"bad JSON: {e.msg} (column {e.colno}); record skipped")


def read_jsonl(text: str, name: str) -> Iterator[Article | Problem]:
    """Yield one Article (or Problem) per record."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        yield from _read_array(text, name)
        return
    loads = json.loads
    first = True
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            value = loads(line)
        except json.JSONDecodeError as e:
            if first and (whole := _whole_document(text)) is not None:  # one pretty-printed document
                yield from _read_document(whole, name)
                return
            first = False
            yield _bad_json(name, i + 1, e)
            continue
        if first and _is_wrapper(value):
            yield from _read_document(value, name)
            return
        first = False
        yield from _record(value, name, i + 1)


def _is_wrapper(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "title" not in value
        and any(isinstance(value.get(k), list) for k in _WRAPPERS)
    )


def _whole_document(text: str) -> Any | None:
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError:
        return None


def _read_document(value: Any, name: str) -> Iterator[Article | Problem]:
    if isinstance(value, dict):
        for key in _WRAPPERS:
            if isinstance(value.get(key), list):
                for n, item in enumerate(value[key]):
                    yield from _record(item, name, n + 1)
                return
    yield from _record(value, name, 1)


def _read_array(text: str, name: str) -> Iterator[Article | Problem]:
    """Decode the array element by element so that each record knows its line."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line, counted = 1 + text.count("\n", 0, pos), pos
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n:
            yield Problem(name, line, None, "bad JSON: the array is not closed")
            return
        if text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            yield Problem(
                name, e.lineno, None, f"bad JSON: {e.msg} (column {e.colno}); rest of the array skipped"
            )
            return
        yield from _record(value, name, line)


def write_jsonl(articles: Iterable[Article], fp: TextIO) -> int:
    """Write one JSON object per article (Article.to_dict); return how many."""
    n = 0
    for article in articles:
        fp.write(json.dumps(article.to_dict(), ensure_ascii=False))
        fp.write("\n")
        n += 1
    return n

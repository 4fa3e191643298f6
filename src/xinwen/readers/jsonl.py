"""JSON Lines (one object per line), and plain JSON: an array of objects, one object,
or an object holding the list under `articles`/`items`/`data`/`records`/`news`.

JSON Lines are read a line at a time (`read_jsonl_lines`); a JSON document (pretty-printed, or a
wrapper object) is read whole (`read_jsonl`). A JSON Lines file whose first line is an array is still
read line by line: the array is one bad record, unless it is the only line (a one-line array document).
"""

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
    try:
        article, problems = to_article(value, name, line)
    except (MemoryError, RecursionError) as e:
        yield Problem(name, line, None, f"cannot read the record: {type(e).__name__}; record skipped")
        return
    except Exception as e:  # whatever a hostile record does to the field mapping: that record only
        yield Problem(name, line, None, f"cannot read the record: {type(e).__name__}: {e}; record skipped")
        return
    yield from problems
    if article is not None:
        yield article


def _loads(line: str, name: str, number: int) -> tuple[Any, Problem | None]:
    """One JSON value, or the Problem it is."""
    try:
        return json.loads(line), None
    except json.JSONDecodeError as e:
        return None, _bad_json(name, number, e)
    except RecursionError:
        return None, Problem(name, number, None, "bad JSON: nested too deeply; record skipped")


def streamable(head: str) -> bool:
    """Whether JSON can be read a line at a time, from its first bytes: the first line is a whole JSON
    value that is not a wrapper object (or is too long to tell), not the start of a pretty-printed document."""
    text = head.lstrip("\ufeff \t\r\n")
    first, newline, _ = text.partition("\n")
    try:
        value = json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        return not newline  # a first line longer than the head: JSON Lines, most likely
    return not _is_wrapper(value)


def read_jsonl_lines(lines: Iterable[tuple[int, str] | Problem], name: str) -> Iterator[Article | Problem]:
    """Yield one Article (or Problem) per line of JSON Lines ((line number, text), or a Problem of the
    line reader, passed on)."""
    held: tuple[int, list] | None = None  # a first line that is an array: one bad record, or the whole file
    seen = False
    for item in lines:
        if isinstance(item, Problem):
            yield item
            continue
        number, line = item
        if not line.strip():
            continue
        value, problem = _loads(line, name, number)
        if problem is not None:
            yield problem
        elif not seen and isinstance(value, list):
            held = (number, value)
        else:
            if held is not None:
                yield Problem(name, held[0], None, "expected a JSON object, got an array (JSON Lines read line by "
                              "line); record skipped")
                held = None
            yield from _record(value, name, number)
        seen = True
    if held is not None:  # the only line: a JSON array document on one line
        for value in held[1]:
            yield from _record(value, name, held[0])


def _bad_json(name: str, line: int, e: json.JSONDecodeError) -> Problem:
    return Problem(name, line, None, f"bad JSON: {e.msg} (column {e.colno}); record skipped")


def read_jsonl(text: str, name: str) -> Iterator[Article | Problem]:
    """Yield one Article (or Problem) per record."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        yield from _read_array(text, name)
        return
    first = True
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        value, problem = _loads(line, name, i + 1)
        if problem is not None:
            if first and (whole := _whole_document(text)) is not None:  # one pretty-printed document
                yield from _read_document(whole, name)
                return
            first = False
            yield problem
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
    except (json.JSONDecodeError, RecursionError):
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
        except RecursionError:
            yield Problem(name, line, None, "bad JSON: nested too deeply; rest of the array skipped")
            return
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

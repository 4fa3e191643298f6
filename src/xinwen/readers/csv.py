"""CSV and TSV with a header row, read a line at a time. Problems give the file line a record starts on."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from xinwen.article import Article, Problem
from xinwen.readers.records import to_article

csv.field_size_limit(1 << 27)


def sniff_delimiter(text: str, name: str = "") -> str:
    """Tab for .tsv; else the delimiter csv.Sniffer finds in the first lines, else a comma."""
    base = name.lower().removesuffix(".gz")
    if base.endswith(".tsv") or base.endswith(".tab"):
        return "\t"
    sample = text[:8192]
    header = sample.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in ",\t;|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_csv(text: str, name: str) -> Iterator[Article | Problem]:
    """Yield one Article (or Problem) per row after the header."""
    yield from read_csv_lines(enumerate(text.splitlines(keepends=True), 1), name)


def read_csv_lines(lines: Iterable[tuple[int, str] | Problem], name: str) -> Iterator[Article | Problem]:
    """Yield one Article (or Problem) per row after the header, from (line number, text) pairs (a Problem
    of the line reader is passed on after the row it came in)."""
    pending: list[Problem] = []
    source = iter(lines)
    head: list[str] = []
    size = 0
    for item in source:  # the first lines, to choose the delimiter
        if isinstance(item, Problem):
            pending.append(item)
            continue
        head.append(item[1])
        size += len(item[1])
        if size >= 8192:
            break

    def texts() -> Iterator[str]:
        yield from head
        for item in source:
            if isinstance(item, Problem):
                pending.append(item)
            else:
                yield item[1]

    first = "".join(head).lstrip("\ufeff")
    if head:
        head[0] = head[0].lstrip("\ufeff")
    reader = csv.reader(texts(), delimiter=sniff_delimiter(first, name))
    try:
        header = next(reader)
    except StopIteration:
        yield from pending
        yield Problem(name, None, None, "empty CSV file")
        return
    except csv.Error as e:
        yield Problem(name, 1, None, f"bad CSV header: {e}")
        return
    header = [h.strip() for h in header]
    if len([h for h in header if h]) < 1:
        yield Problem(name, 1, None, "CSV header row is empty")
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            yield from pending
            return
        except csv.Error as e:
            yield from pending
            pending.clear()
            yield Problem(name, start, None, f"bad CSV row: {e}; row skipped")
            start = reader.line_num + 1
            continue
        yield from pending
        pending.clear()
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(
                name, line, None, f"row has {len(row)} fields, the header has {len(header)}; row skipped"
            )
            continue
        try:
            article, problems = to_article({h: v for h, v in zip(header, row, strict=True) if h}, name, line)
        except Exception as e:  # whatever one hostile row does to the field mapping: that row only
            yield Problem(name, line, None, f"cannot read the row: {type(e).__name__}: {e}; row skipped")
            continue
        yield from problems
        if article is not None:
            yield article

"""CSV and TSV with a header row. Problems give the file line a record starts on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

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
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text, name))
    try:
        header = next(reader)
    except StopIteration:
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
            return
        except csv.Error as e:
            yield Problem(name, start, None, f"bad CSV row: {e}; row skipped")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(
                name, line, None, f"row has {len(row)} fields, the header has {len(header)}; row skipped"
            )
            continue
        article, problems = to_article({h: v for h, v in zip(header, row, strict=True) if h}, name, line)
        yield from problems
        if article is not None:
            yield article

"""Commands that find articles and read the collection over time: search, trends."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from typing import Any

from xinwen.cli.output import add_db, add_json, article_summary, emit, open_collection
from xinwen.search.engine import SearchResult
from xinwen.search.highlight import MARK_CLOSE, MARK_OPEN, to_brackets
from xinwen.search.trends import PERIODS, Trends

QUERY_HELP = (
    'words (AND-ed; any of them when none has all), "a phrase", -word, -"phrase", tag:T, -tag:T, '
    "source:S, from:2024-01-01, to:2024-06-30 (also a month 2024-06 or a year)"
)
SPARKS = "▁▂▃▄▅▆▇█"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="full-text search with filters", description=QUERY_HELP)
    p.add_argument("query", nargs="+", help="the query; several arguments are joined with spaces")
    p.add_argument("--limit", type=int, default=10, help="hits per page (default 10)")
    p.add_argument("--offset", type=int, default=0, help="hits to skip, for the next pages")
    p.add_argument("--sort", choices=["relevance", "time"], default="relevance")
    p.add_argument("--facets", action="store_true",
                   help="also print tag, source and month counts (with --json: one object with hits and facets)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("trends", help="tag counts over time, rising tags, tags that occur together")
    p.add_argument("--period", choices=PERIODS, default="week")
    p.add_argument("--tag", action="append", help="show this tag (repeatable) and the tags that occur with it")
    p.add_argument("--top", type=int, default=10, help="tags in the series and in the rising list (default 10)")
    p.add_argument("--since", help="first date, e.g. 2024-01-01")
    p.add_argument("--until", help="last date, inclusive, e.g. 2024-06-30")
    p.add_argument("--min-count", type=int, default=3, help="articles a rising tag needs in the latest period")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_trends)


def hit_dict(h: Any) -> dict[str, Any]:
    """One hit as printed with --json; `highlight` keeps the U+E000/U+E001 marks around matched words."""
    return article_summary(h.article) | {"score": round(h.score, 4), "highlight": h.highlight}


def cmd_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with open_collection(args) as c:
        result = c.search(query, limit=args.limit, offset=args.offset, sort=args.sort, facets=args.facets)
    for note in result.notes:
        print(f"xinwen: {note}", file=sys.stderr)
    if args.json:
        if args.facets:
            emit({"query": query, "total": result.total, "mode": result.mode,
                  "hits": [hit_dict(h) for h in result.hits],
                  "facets": {k: [list(kv) for kv in v] for k, v in result.facets.items()}})
        else:
            for h in result.hits:
                emit(hit_dict(h))
        return 0
    _print_search(result, args.facets)
    return 0


def _print_search(result: SearchResult, facets: bool) -> None:
    marks = _terminal_marks()
    if result.mode == "any":
        print("(no article has all the words; showing articles with any of them)")
    first = result.offset + 1
    last = result.offset + len(result.hits)
    print(f"{result.total} found" + (f", {first}-{last} shown" if result.hits else ""))
    for h in result.hits:
        a = h.article
        when = a.published.strftime("%Y-%m-%d") if a.published else "----------"
        print(f"{a.id}  {when}  {h.score:6.2f}  {marks(h.title_highlight or a.title)}")
        print(f"    {marks(h.highlight)}")
    if facets:
        for name, values in result.facets.items():
            if values:
                print(f"{name}: " + "  ".join(f"{v} ({n})" for v, n in values))


def _terminal_marks():  # type: ignore[no-untyped-def]
    if sys.stdout.isatty():
        return lambda s: s.replace(MARK_OPEN, "\033[1;31m").replace(MARK_CLOSE, "\033[0m")
    return to_brackets


def cmd_trends(args: argparse.Namespace) -> int:
    with open_collection(args) as c:
        t = c.trends(period=args.period, top=args.top, since=args.since, until=args.until, tags=args.tag,
                     min_count=args.min_count)
        co = {tag: c.cooccurring(tag, k=args.top) for tag in args.tag or []}
    if args.json:
        out = {"period": t.period, "now": t.now, "before": t.before, "periods": t.periods,
               "articles": t.articles, "series": {k: [list(p) for p in v] for k, v in t.series.items()},
               "rising": t.rising}
        if co:
            out["cooccurring"] = {k: [list(p) for p in v] for k, v in co.items()}
        emit(out)
        return 0
    _print_trends(t, co)
    return 0


def _print_trends(t: Trends, co: dict[str, list[tuple[str, int]]]) -> None:
    if not t.periods:
        print("no dated articles in range")
        return
    print(f"{len(t.periods)} {t.period}s from {t.periods[0]} to {t.periods[-1]}, {sum(t.articles)} articles")
    if t.before:
        print(f"\nrising in the {t.period} of {t.now} against {t.before} "
              f"({t.articles[-1]} and {t.articles[-2]} articles):")
        width = max((display_width(r["tag"]) for r in t.rising), default=0)
        for r in t.rising:
            pad = " " * (width - display_width(r["tag"]))
            print(f"  {r['tag']}{pad} {r['before']:>4} -> {r['now']:<4} x{r['ratio']:.1f}")
        if not t.rising:
            print("  (none)")
    if t.series:
        width = max(display_width(k) for k in t.series)
        print(f"\narticles per {t.period} (the last {min(60, len(t.periods))}):")
        for tag, points in t.series.items():
            counts = [n for _, n in points][-60:]
            pad = " " * (width - display_width(tag))
            print(f"  {tag}{pad} {sparkline(counts)} {sum(n for _, n in points)}")
    for tag, pairs in co.items():
        print(f"\nwith {tag}: " + "  ".join(f"{other} ({n})" for other, n in pairs))


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sparkline(counts: list[int]) -> str:
    top = max(counts, default=0)
    if not top:
        return SPARKS[0] * len(counts)
    return "".join(SPARKS[min(len(SPARKS) - 1, n * (len(SPARKS) - 1) // top)] if n else " " for n in counts)

"""Commands that find articles and read the collection over time: search, trends."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from typing import TYPE_CHECKING

from xinwen.cli import UsageError, add_db, add_json, command, count, positive
from xinwen.cli.output import colour, emit, emit_all, open_collection

if TYPE_CHECKING:
    from xinwen.search.engine import SearchResult
    from xinwen.search.trends import Trends

QUERY_HELP = (
    'words (AND-ed; any of them when none has all), "a phrase", -word, -"phrase", tag:T, -tag:T, '
    "source:S, from:2024-01-01, to:2024-06-30 (also a month 2024-06 or a year)"
)
PERIODS = ("day", "week", "month")
SPARKS = "▁▂▃▄▅▆▇█"
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # xinwen.search.highlight's marks


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "search", "full-text search with filters", [
        "xinwen search 绿色低碳 宝山", "xinwen search 上海 -会议 tag:低碳 from:2024-01",
        'xinwen search "长江经济带" --sort time --limit 20', "xinwen search 低碳 --facets --json"],
        description="Full-text search. The query: " + QUERY_HELP)
    p.add_argument("query", nargs="*", help="the query; several arguments are joined with spaces (-word too)")
    p.add_argument("--limit", type=count, default=10, help="hits per page")
    p.add_argument("--offset", type=count, default=0, help="hits to skip, for the next pages")
    p.add_argument("--sort", choices=["relevance", "time"], default="relevance", help="the order of the hits")
    p.add_argument("--facets", action="store_true",
                   help="also count tags, sources and months over all matches (with --json: one more line, "
                   '{"facets": ...})')
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_search, take_extra=_query_words)

    p = command(sub, "trends", "tag counts over time, rising tags, tags that occur together", [
        "xinwen trends", "xinwen trends --period month --tag 低碳 --since 2024-01-01 --json"])
    p.add_argument("--period", choices=PERIODS, default="week", help="the length of a period")
    p.add_argument("--tag", action="append", help="show this tag (repeatable) and the tags that occur with it")
    p.add_argument("--top", type=count, default=10, help="tags in the series and in the rising list")
    p.add_argument("--since", metavar="DATE", help="first date, e.g. 2024-01-01")
    p.add_argument("--until", metavar="DATE", help="last date, inclusive, e.g. 2024-06-30")
    p.add_argument("--min-count", type=positive, default=3, help="articles a rising tag needs in the latest period")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_trends)


def _query_words(args: argparse.Namespace, extra: list[str]) -> bool:
    """`xinwen search 上海 -会议`: an exclusion argparse took for an unknown option is part of the query."""
    if any(e.startswith("--") for e in extra):
        return False
    args.query = [*args.query, *extra]
    return True


def cmd_search(args: argparse.Namespace) -> int:
    from xinwen import results

    query = " ".join(args.query)
    if not query.strip():
        raise UsageError("no query; give words to search for, e.g. xinwen search 绿色低碳")
    with open_collection(args) as c:
        result = c.search(query, limit=args.limit, offset=args.offset, sort=args.sort, facets=args.facets)
    for note in result.notes:
        print(f"xinwen: {note}", file=sys.stderr)
    if args.json:
        emit_all([results.search_hit(h) for h in result.hits])
        if args.facets:
            emit({"facets": {k: [v.model_dump() for v in vs] for k, vs in results.facets(result).items()},
                  "total": result.total, "mode": result.mode})
        return 0
    _print_search(result, args.facets)
    return 0


def _print_search(result: SearchResult, facets: bool) -> None:
    marks = _terminal_marks()
    if result.mode == "any" and result.total:
        print("(no article has all the words; showing articles with any of them)")
    first = result.offset + 1
    last = result.offset + len(result.hits)
    print(f"{result.total} found" + (f", {first}-{last} shown" if result.hits else ""))
    for h in result.hits:
        a = h.article
        when = a.published.strftime("%Y-%m-%d") if a.published else "----------"
        where = "标题" if h.match == "title" else "正文"
        print(f"{a.id}  {when}  {where}  {marks(h.title_highlight or a.title)}")
        print(f"    {marks(h.highlight)}")
    if facets:
        for name, values in result.facets.items():
            if values:
                print(f"{name}: " + "  ".join(f"{v} ({n})" for v, n in values))


def _terminal_marks():  # type: ignore[no-untyped-def]
    if colour():
        return lambda s: s.replace(MARK_OPEN, "\033[1;31m").replace(MARK_CLOSE, "\033[0m")
    return lambda s: s.replace(MARK_OPEN, "【").replace(MARK_CLOSE, "】")


def cmd_trends(args: argparse.Namespace) -> int:
    from xinwen import results
    from xinwen.errors import DateError

    with open_collection(args) as c:
        try:
            t = c.trends(period=args.period, top=args.top, since=args.since, until=args.until, tags=args.tag,
                         min_count=args.min_count)
        except DateError as exc:
            raise UsageError(f"--since/--until: {exc.message}") from None
        co = {tag: c.cooccurring(tag, k=args.top) for tag in args.tag or []}
    if args.json:
        emit(results.trends_page(t, co))
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

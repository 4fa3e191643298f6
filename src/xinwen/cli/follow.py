"""Commands that follow the news: watch (poll feeds, sitemaps, section pages and folders, ingest what is new)
and sources (each watched source's health)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from xinwen.cli import UsageError, add_db, add_json, command, positive

if TYPE_CHECKING:
    from xinwen.follow.watch import Event


def seconds(value: str) -> float:
    """An argparse type: seconds, above 0 and at most a week."""
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 < n <= 7 * 86400:
        raise argparse.ArgumentTypeError(f"{value} is out of range (above 0, at most 604800 seconds)")
    return n


def delay(value: str) -> float:
    """An argparse type: seconds from 0 to an hour."""
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 <= n <= 3600:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0 to 3600 seconds)")
    return n


def days(value: str) -> float:
    """An argparse type: days, 0 (no limit) to 100 years."""
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {value!r}") from None
    if not 0 <= n <= 36500:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0 to 36500 days)")
    return n


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "watch", "follow feeds, sitemaps, section pages and folders; ingest new articles as they appear", [
        "xinwen watch https://www.example.com.cn/rss.xml --every 300",
        "xinwen watch https://www.example.com.cn/robots.txt https://www.example.com.cn/china/",
        "xinwen watch SOURCES.toml --db news.db",
        "xinwen watch incoming/ --once --json"],
        description="Follow sources and ingest their new articles as they appear. A SOURCE is a feed (RSS, Atom,\n"
        "JSON), a sitemap or sitemap index, a robots.txt (its Sitemap: lines), a home or section page (its\n"
        "article links), a folder (new and changed files), or a SOURCES.toml listing them, each with its own\n"
        "interval. Sites are read politely: one request at a time per host, --delay between them, robots.txt\n"
        "obeyed, an unchanged feed costs a 304. What was read is remembered in the database, so a restart\n"
        "resumes where the last run stopped. Ctrl-C or SIGTERM stops after the current article.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="feed, sitemap, robots.txt or page URLs, folders, "
                   "SOURCES.toml files")
    p.add_argument("--every", type=seconds, default=600.0, metavar="SECONDS",
                   help="seconds between polls of a source (a SOURCES.toml entry may set its own)")
    p.add_argument("--once", action="store_true", help="poll each source once, read what it lists, and stop")
    p.add_argument("--max-per-poll", type=positive, default=100, metavar="N",
                   help="articles read per poll of a source (the rest wait for the next turn)")
    p.add_argument("--max-age", type=days, default=30.0, metavar="DAYS",
                   help="links dated longer ago than this are not read (0: any age)")
    p.add_argument("--delay", type=delay, default=1.0, metavar="SECONDS",
                   help="the least time between two requests to one host (robots.txt may ask for more)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_watch)

    p = command(sub, "sources", "each watched source's health: last success, failures, articles per day", [
        "xinwen sources", "xinwen sources --json --db news.db"])
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_sources)


def cmd_watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    from xinwen.cli.output import open_collection
    from xinwen.follow.fetcher import Fetcher, Politeness
    from xinwen.follow.sources import SourceError, parse_sources
    from xinwen.follow.watch import Watcher
    from xinwen.limits import limits

    try:
        sources = parse_sources(args.sources, every=args.every, max_per_poll=args.max_per_poll,
                                max_age_days=args.max_age)
    except SourceError as exc:
        if exc.file is None:  # an argument that is no source at all
            raise UsageError(exc.message) from None
        raise
    stop = threading.Event()
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        stop.set()
        print("xinwen watch: stopping after the current article", file=sys.stderr)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        with open_collection(args, readonly=False) as c, \
                Fetcher(limits(), Politeness(min_delay=args.delay), stop=stop) as fetcher:
            watcher = Watcher(c, sources, fetcher=fetcher, on_event=lambda e: _print_event(e, args.json), stop=stop)
            names = ", ".join(s.label for s in sources)
            if not args.json:
                print(f"watching {len(sources)} source{'s' if len(sources) != 1 else ''} into {c.location}: {names}"
                      + ("" if args.once else " (Ctrl-C stops)"), file=sys.stderr)
            watcher.run(once=args.once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not args.json:
        print(f"polls {watcher.polls}, failed {watcher.failed_polls}, articles added {watcher.added}", file=sys.stderr)
    return 1 if args.once and watcher.polls and watcher.failed_polls == watcher.polls else 0


def _print_event(e: Event, as_json: bool) -> None:
    from xinwen.cli.output import emit

    if as_json:
        emit(e.to_dict())
        sys.stdout.flush()
        return
    d = e.data
    if e.kind == "article" and d.get("status") in ("added", "updated"):
        copies = f"  (one of {d['copies'] + 1} printings)" if d.get("copies") else ""
        print(f"{'+' if d['status'] == 'added' else '~'} {d['id']}  {d['title']}  [{e.source}]{copies}", flush=True)
    elif e.kind == "article" and "file" in d:
        print(f"+ {d['file']}: added {d['added']}, updated {d['updated']}  [{e.source}]", flush=True)
    elif e.kind == "problem":
        where = d.get("url") or e.source
        print(f"xinwen: {where}: {d.get('message')}" + (" (will retry)" if d.get("retry") else ""), file=sys.stderr)
    elif e.kind == "poll" and d.get("status") == "failed":
        print(f"xinwen: {e.source}: poll failed ({d.get('failures')} in a row): {d.get('error')}", file=sys.stderr)
    elif e.kind == "poll":
        if d.get("not_modified"):
            what = "not modified"
        elif d.get("kind") == "folder":
            what = f"{d.get('files', 0)} files, {d.get('read', 0)} read"
        else:
            what = f"{d.get('kind')}: {d.get('links', 0)} links, {d.get('queued', 0)} new"
        print(f"polled {e.source}: {what}", file=sys.stderr)


def source_rows(state: Any) -> list[dict[str, Any]]:
    """One dict per source in a watch state: what `xinwen sources --json` prints."""
    rows = []
    for key, s in sorted(state.sources.items()):
        rows.append({"source": key, "name": s.name or None, "kind": s.kind or None, "health": s.health(),
                     "every": s.every, "last_poll": s.last_poll, "last_success": s.last_success,
                     "failures": s.failures, "last_error": s.last_error, "articles": s.articles,
                     "per_day": round(s.per_day(), 2), "queued": len(s.queue), "given_up": s.given_up,
                     "last_problem": s.last_problem})
    return rows


def cmd_sources(args: argparse.Namespace) -> int:
    from xinwen.cli.output import emit, open_collection
    from xinwen.follow.sources import read_state

    with open_collection(args) as c:
        state = read_state(c.store)
        location = c.location
    rows = source_rows(state)
    if args.json:
        for row in rows:
            emit(row)
        return 0
    if not rows:
        print(f"no sources watched in {location} yet (xinwen watch SOURCE... --db {location})", file=sys.stderr)
        return 0
    for r in rows:
        success = (r["last_success"] or "never").replace("T", " ").replace("+00:00", "Z")
        line = (f"{r['health']:<8} {r['name'] or r['source']}  [{r['kind'] or '?'}]  last success {success}, "
                f"failures {r['failures']}, {r['per_day']:g} articles/day ({r['articles']} in all), "
                f"queued {r['queued']}, given up {r['given_up']}")
        print(line)
        if r["last_error"]:
            print(f"         last error: {r['last_error']}")
    return 0

"""Commands that read, store, show and export articles: ingest, list, show, tag, fit, export."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from xinwen.cli import UsageError, add_db, add_json, add_nice, command, count, positive, yield_cpu_for
from xinwen.cli.output import article_line, colour, emit, emit_all, open_collection

if TYPE_CHECKING:
    from xinwen.article import Article, Problem
    from xinwen.results import VersionsOut


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "ingest", "read files, folders, .gz or URLs into the database", [
        "xinwen ingest news.jsonl.gz", "xinwen ingest feeds/ archive.csv --workers 2",
        "xinwen ingest https://example.com/rss.xml --json"])
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, .gz files or http(s) URLs")
    p.add_argument("--workers", type=positive, default=None,
                   help="processes that analyze articles (default: the machine's cores)")
    p.add_argument("--no-fit", action="store_true", help="do not refit corpus statistics afterwards")
    add_nice(p)
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_ingest)

    p = command(sub, "analyze", "analyze sharded inputs on a Dask cluster into Parquet, for `xinwen ingest DIR`", [
        "xinwen analyze archive/ --out analyzed/ --workers 2", "xinwen analyze a.jsonl.gz b.jsonl.gz --out analyzed/ "
        "--scheduler tcp://10.0.0.5:8786", "xinwen ingest analyzed/ --db news.db"],
        description="Analyze inputs on a Dask cluster: corpus statistics (new words, document frequencies) as "
        "a reduction over all shards (each input file is one), then every article's tags, snippet, fingerprint "
        "and index terms, written as Parquet into --out. `xinwen ingest DIR` stores them without analyzing again.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders (each file is one shard)")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write the analysis into")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--workers", type=positive, default=None,
                       help="worker processes of a local cluster (default: the machine's cores)")
    p.add_argument("--user-dict", metavar="FILE", help="words to keep whole (one a line; also $XINWEN_USER_DICT)")
    p.add_argument("--no-discover", action="store_true", help="do not learn new words from the corpus")
    add_json(p)
    p.set_defaults(func=cmd_analyze)

    p = command(sub, "list", "list stored articles, newest first", [
        "xinwen list --limit 5", "xinwen list --tag 低碳 --since 2024-01-01 --json"])
    p.add_argument("--tag", help="only articles with this computed tag")
    p.add_argument("--since", metavar="DATE", help="only articles published on or after, e.g. 2024-01-01")
    p.add_argument("--limit", type=count, default=20, help="how many")
    p.add_argument("--offset", type=count, default=0, help="how many to skip, for the next page")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_list)

    p = command(sub, "show", "show one article, where it comes from, and (--versions) every text it has had", [
        "xinwen show 15085e53e0238419", "xinwen show a0 --json", "xinwen show a0 --versions",
        "xinwen show a0 --version 1"])
    p.add_argument("id", help="the article's id (as `xinwen list` prints it)")
    p.add_argument("--versions", action="store_true",
                   help="list every text the article has had, oldest first, with what changed each time")
    p.add_argument("--version", type=positive, metavar="N", help="show the article's Nth text (1: the first stored)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_show)

    p = command(sub, "tag", "analyze articles without storing them (JSON Lines out)", [
        "xinwen tag page.txt", "cat news.jsonl | xinwen tag -"])
    p.add_argument("path", nargs="?", default="-", help="a file, folder or URL; - for standard input")
    add_db(p)
    p.set_defaults(func=cmd_tag)

    p = command(sub, "fit", "refit corpus statistics and the house tag style (from articles with their source's "
                "tags) on the stored articles and retag them", [
        "xinwen fit", "xinwen fit --user-dict words.txt"])
    p.add_argument("--user-dict", metavar="FILE", help="words to keep whole (one a line; also $XINWEN_USER_DICT)")
    p.add_argument("--no-discover", action="store_true", help="do not learn new words from the corpus")
    add_nice(p)
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_fit)

    p = command(sub, "export", "write all stored articles to standard output", [
        "xinwen export > all.jsonl", "xinwen export --format page > pages.txt"])
    p.add_argument("--format", choices=["page", "jsonl"], default="jsonl", help="the news-page format or JSON Lines")
    add_db(p)
    p.set_defaults(func=cmd_export)


def cmd_ingest(args: argparse.Namespace) -> int:
    yield_cpu_for(args)
    with open_collection(args, readonly=False) as c:
        report = c.ingest(args.paths, workers=args.workers, fit=not args.no_fit)
    if args.json:
        emit(report.to_dict())
    else:
        for p in report.problems:
            print(f"xinwen: {p}", file=sys.stderr)
        print(
            f"read {report.read}, added {report.added}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rejected {report.rejected}"
        )
    return 1 if report.read == 0 and report.problems else 0


def cmd_analyze(args: argparse.Namespace) -> int:
    import os

    from xinwen.analysis.cluster import analyze
    from xinwen.analysis.lexicon import read_user_dict

    words = read_user_dict(args.user_dict) if args.user_dict else None
    report = analyze(args.inputs, args.out, scheduler=args.scheduler, workers=args.workers or os.cpu_count() or 1,
                     user_words=words, discover_words=not args.no_discover)
    if args.json:
        emit(report.to_dict())
    else:
        for p in report.problems:
            print(f"xinwen: {p}", file=sys.stderr)
        print(f"analyzed {report.articles} articles from {report.shards} shards into {report.out} "
              f"({report.new_words} new words; " + ", ".join(f"{k} {v} s" for k, v in report.seconds.items()) + ")")
    return 0 if report.articles else 1


def parse_day(value: str, option: str):  # type: ignore[no-untyped-def]
    """A date option's value, or a usage error that says what was expected."""
    from xinwen.dates import parse_date
    from xinwen.errors import DateError

    try:
        return parse_date(value)
    except DateError as exc:
        raise UsageError(f"{option}: {exc.message}") from None


def cmd_list(args: argparse.Namespace) -> int:
    from xinwen import results

    since = parse_day(args.since, "--since") if args.since else None
    with open_collection(args) as c:
        articles = c.list(tag=args.tag, since=since, limit=args.limit, offset=args.offset)
    for a in articles:
        emit(results.summary(a)) if args.json else print(article_line(a))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from xinwen import results

    with open_collection(args) as c:
        if args.versions:
            out = results.versions_out(args.id, c.versions(args.id))
        else:
            prov = c.provenance(args.id)
            a = c.version(args.id, args.version).article if args.version else c.get(args.id)
    if args.versions:
        emit(out) if args.json else print_versions(out)
        return 0
    if args.json:
        emit(results.full(a, prov, args.version))
        return 0
    print(a.title + (f"    (version {args.version} of {prov.versions})" if args.version else ""))
    print(f"发布时间: {a.published.isoformat() if a.published else '-'}    来源: {a.source or '-'}")
    if not args.version:  # tags are computed for the current text only
        print(f"标签: {' '.join(a.tags) or '-'}    (source's own: {' '.join(a.source_tags) or '-'})")
    facts = []
    if prov.origin:
        facts.append(f"出处: {prov.origin}")
    if prov.event_date:
        facts.append(f"事件日期: {prov.event_date.isoformat()}")
    if prov.republished:
        facts.append(f"首发于 {prov.republished.original.isoformat()} (republished {prov.republished.days} days later)")
    if prov.versions > 1 and not args.version:
        facts.append(f"{prov.versions} versions (xinwen show {args.id} --versions)")
    if facts:
        print("    ".join(facts))
    if a.url:
        print(a.url)
    print()
    print(a.body)
    return 0


def print_versions(out: VersionsOut) -> None:
    """Each version's header, and what changed from the one before: [-removed-] {+added+}."""
    paint = colour()
    for v in out.versions:
        when = v.stored_at or "-"
        state = "current" if v.replaced_at is None else f"replaced {v.replaced_at}"
        print(f"version {v.version}  {when}  {state}" + (f"  {v.changed} characters changed" if v.changed else ""))
        if not v.changes:
            print(f"  {v.title}")
        else:
            shown = []
            for ch in v.changes:
                text = ch.text if ch.op != "=" else _ellipsize(ch.text)
                if ch.op == "-":
                    text = f"\033[31m[-{text}-]\033[0m" if paint else f"[-{text}-]"
                elif ch.op == "+":
                    text = f"\033[32m{{+{text}+}}\033[0m" if paint else f"{{+{text}+}}"
                shown.append(text)
            print("  " + "".join(shown).replace("\n", "\n  "))
        print()


def _ellipsize(text: str, keep: int = 20) -> str:
    """Unchanged text between edits, shortened to its ends."""
    return text if len(text) <= 2 * keep + 1 else text[:keep] + "…" + text[-keep:]


def cmd_tag(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xinwen import results
    from xinwen.article import Problem
    from xinwen.collection import Collection, default_db
    from xinwen.readers import read
    from xinwen.store.postgres import is_dsn

    items: list[Article | Problem] = _read_stdin() if args.path == "-" else list(read([args.path]))
    db = args.db or default_db()
    with Collection(db, readonly=True) if is_dsn(db) or Path(db).exists() else Collection(":memory:") as c:
        tagged = []
        for item in c.tag(items):
            if isinstance(item, Problem):
                print(f"xinwen: {item}", file=sys.stderr)
            else:
                tagged.append(results.summary(item))
    emit_all(tagged)
    return 0 if tagged else 1


def _read_stdin() -> list[Article | Problem]:
    from xinwen.errors import XinwenError
    from xinwen.readers import read_bytes

    data = sys.stdin.buffer.read()
    if not data.strip():
        raise XinwenError("nothing on standard input")
    return list(read_bytes(data, "<stdin>"))


def cmd_fit(args: argparse.Namespace) -> int:
    yield_cpu_for(args)
    with open_collection(args, readonly=False, retag_note=False) as c:
        stats = c.fit(user_dict=args.user_dict, discover=not args.no_discover)
        n = c.count()
    from xinwen.analysis.tags.learn import house_summary

    out = {"documents": stats.n_docs, "vocabulary": len(stats.df), "new_words": len(stats.vocabulary),
           "user_words": len(stats.user_words), "retagged": n,
           "house": (stats.house or {}).get("report")}  # what the collection's own tagged articles taught
    emit(out) if args.json else print(
        f"fitted on {stats.n_docs} articles, {len(stats.df)} words ({len(stats.vocabulary)} new: "
        f"{' '.join(stats.vocabulary[:10])}{' …' if len(stats.vocabulary) > 10 else ''}); retagged {n}"
        + (f"\nhouse style: {house_summary(stats.house)}" if stats.house else "")
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with open_collection(args) as c:
        c.export(args.format, sys.stdout)
    return 0

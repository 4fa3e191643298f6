"""Commands that read, store, show and export articles: ingest, list, show, tag, fit, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xinwen.article import Article, Problem
from xinwen.cli.output import add_db, add_json, article_line, article_summary, emit, open_collection
from xinwen.collection import Collection, default_db
from xinwen.dates import parse_date
from xinwen.errors import XinwenError
from xinwen.readers import read, read_bytes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="read files, folders, .gz or URLs into the database")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--workers", type=int, default=1, help="processes for analysis (default 1)")
    p.add_argument("--no-fit", action="store_true", help="do not refit corpus statistics afterwards")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("list", help="list stored articles, newest first")
    p.add_argument("--tag")
    p.add_argument("--since", help="a date, e.g. 2024-01-01")
    p.add_argument("--limit", type=int, default=20)
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one article")
    p.add_argument("id")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("tag", help="analyze articles without storing them (JSON Lines out)")
    p.add_argument("path", nargs="?", default="-", help="a file, folder or URL; - for standard input")
    add_db(p)
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("fit", help="refit corpus statistics on the stored articles and retag them")
    p.add_argument("--user-dict", metavar="FILE", help="words to keep whole (one a line; also $XINWEN_USER_DICT)")
    p.add_argument("--no-discover", action="store_true", help="do not learn new words from the corpus")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("export", help="write all stored articles to standard output")
    p.add_argument("--format", choices=["page", "jsonl"], default="jsonl")
    add_db(p)
    p.set_defaults(func=cmd_export)


def cmd_ingest(args: argparse.Namespace) -> int:
    with open_collection(args, readonly=False) as c:
        report = c.ingest(args.paths, workers=max(1, args.workers), fit=not args.no_fit)
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


def cmd_list(args: argparse.Namespace) -> int:
    since = parse_date(args.since) if args.since else None
    with open_collection(args) as c:
        for a in c.list(tag=args.tag, since=since, limit=args.limit):
            emit(article_summary(a)) if args.json else print(article_line(a))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_collection(args) as c:
        a = c.get(args.id)
    if args.json:
        d = a.to_dict()
        d.pop("origin", None)
        emit(d)
    else:
        print(a.title)
        print(f"发布时间: {a.published.isoformat() if a.published else '-'}    来源: {a.source or '-'}")
        print(f"标签: {' '.join(a.tags)}    (source's own: {' '.join(a.source_tags) or '-'})")
        if a.url:
            print(a.url)
        print()
        print(a.body)
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    if args.path == "-":
        items: list[Article | Problem] = list(_read_stdin())
    else:
        items = list(read([args.path]))
    db = args.db or default_db()
    with Collection(db, readonly=True) if Path(db).exists() else Collection(":memory:") as c:
        n = 0
        for item in c.tag(items):
            if isinstance(item, Problem):
                print(f"xinwen: {item}", file=sys.stderr)
                continue
            n += 1
            emit({"id": item.id, "title": item.title, "tags": item.tags, "snippet": item.snippet})
    return 0 if n else 1


def _read_stdin() -> list[Article | Problem]:
    data = sys.stdin.buffer.read()
    if not data.strip():
        raise XinwenError("nothing on standard input")
    return list(read_bytes(data, "<stdin>"))


def cmd_fit(args: argparse.Namespace) -> int:
    with open_collection(args, readonly=False, retag_note=False) as c:
        stats = c.fit(user_dict=args.user_dict, discover=not args.no_discover)
        n = c.count()
    out = {"documents": stats.n_docs, "vocabulary": len(stats.df), "new_words": len(stats.vocabulary),
           "user_words": len(stats.user_words), "retagged": n}
    emit(out) if args.json else print(
        f"fitted on {stats.n_docs} articles, {len(stats.df)} words ({len(stats.vocabulary)} new: "
        f"{' '.join(stats.vocabulary[:10])}{' …' if len(stats.vocabulary) > 10 else ''}); retagged {n}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with open_collection(args) as c:
        c.export(args.format, sys.stdout)
    return 0

"""Commands that find articles: search."""

from __future__ import annotations

import argparse

from xinwen.cli.output import add_db, add_json, article_summary, emit, open_collection


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="full-text search")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10)
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    with open_collection(args) as c:
        hits = c.search(args.query, limit=args.limit)
    for h in hits:
        d = article_summary(h.article.article) | {"score": round(h.score, 4), "highlight": h.highlight}
        if args.json:
            emit(d)
        else:
            print(f"{d['id']}  {h.score:7.3f}  {d['title']}\n    {h.highlight}")
    return 0

"""Commands that link articles: related."""

from __future__ import annotations

import argparse

from xinwen.cli.output import add_db, add_json, article_summary, emit, open_collection


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("related", help="articles related to a stored one, with the reason")
    p.add_argument("id")
    p.add_argument("-k", type=int, default=5, help="how many (default 5)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_related)


def cmd_related(args: argparse.Namespace) -> int:
    with open_collection(args) as c:
        hits = c.related(args.id, k=args.k)
    for h in hits:
        d = article_summary(h.article.article) | {"score": round(h.score, 4), "reason": h.reason}
        if args.json:
            emit(d)
        else:
            print(f"{d['id']}  {h.score:7.3f}  {d['title']}  ({h.reason})")
    return 0

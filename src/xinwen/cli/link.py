"""Commands that link articles: related, duplicates."""

from __future__ import annotations

import argparse
import sys

from xinwen.cli.output import add_db, add_json, article_summary, emit, open_collection
from xinwen.errors import XinwenError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "related", help="articles related to a stored one (or to --text), each with the reason",
        description="Related articles: more-like-this terms, LSA similarity, shared tags and time, "
        "mixed by weights (see xinwen.linking.related). An article's copies are left out; each cluster of "
        "copies appears once.",
    )
    p.add_argument("id", nargs="?", help="a stored article's id")
    p.add_argument("--text", help="free text instead of a stored article")
    p.add_argument("-k", type=int, default=5, help="how many (default 5)")
    p.add_argument("--weights", metavar="NAME=VALUE,...",
                   help="override signal weights, e.g. lexical=0.6,dense=0.3,tags=0.3,recency=0,section=0 "
                   "(default: $XINWEN_RELATED_WEIGHTS, else the built-in mix)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_related)

    p = sub.add_parser("duplicates", help="clusters of copies of one story: the canonical printing and its copies")
    p.add_argument("--limit", type=int, default=None, help="at most N clusters (largest first)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_duplicates)


def cmd_related(args: argparse.Namespace) -> int:
    from xinwen.linking.related import RelatedWeights

    if bool(args.id) == bool(args.text):
        raise XinwenError("give either an article ID or --text TEXT")
    if args.k < 1:
        raise XinwenError(f"-k must be at least 1, not {args.k}")
    weights = RelatedWeights.parse(args.weights) if args.weights else None
    with open_collection(args) as c:
        hits = c.related(args.id, k=args.k, weights=weights) if args.id else c.related_text(
            args.text, k=args.k, weights=weights)
    for h in hits:
        d = article_summary(h.article) | {"score": round(h.score, 4), "reason": h.reason}
        if args.json:
            emit(d)
        else:
            print(f"{d['id']}  {h.score:6.3f}  {d['title']}  ({h.reason.get('text', '')})")
    if not hits and not args.json:
        print("xinwen: nothing related found", file=sys.stderr)
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise XinwenError(f"--limit must be at least 1, not {args.limit}")
    with open_collection(args) as c:
        clusters = c.duplicates(limit=args.limit)
    for cl in clusters:
        if args.json:
            emit({"canonical": cl.canonical.id, "copies": [a.id for a in cl.copies]})
        else:
            when = cl.canonical.published.strftime("%Y-%m-%d") if cl.canonical.published else "----------"
            ids = " ".join(a.id for a in cl.copies)
            print(f"{cl.canonical.id}  {when}  {cl.canonical.title}  <- {len(cl.copies)} copies: {ids}")
    return 0

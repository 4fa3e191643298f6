"""Commands that link articles: related, duplicates."""

from __future__ import annotations

import argparse
import sys

from xinwen.cli import UsageError, add_db, add_json, command, positive
from xinwen.cli.output import emit_all, open_collection


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "related", "articles related to a stored one (or to --text), each with the reason",
        ["xinwen related 15085e53e0238419", 'xinwen related --text "宝山区推进绿色低碳转型" -k 10',
         "xinwen related a0 --weights lexical=0.6,dense=0.3 --json"],
        description="Related articles: more-like-this terms, LSA similarity, shared tags and time, "
        "mixed by weights (see xinwen.linking.related). An article's copies are left out; each cluster of "
        "copies appears once.",
    )
    p.add_argument("id", nargs="?", help="a stored article's id")
    p.add_argument("--text", help="free text instead of a stored article")
    p.add_argument("-k", type=positive, default=5, help="how many")
    p.add_argument("--weights", metavar="NAME=VALUE,...",
                   help="override signal weights, e.g. lexical=0.6,dense=0.3,tags=0.3,recency=0,section=0 "
                   "(default: $XINWEN_RELATED_WEIGHTS, else the built-in mix)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_related)

    p = command(sub, "duplicates", "clusters of copies of one story: the canonical printing and its copies",
                ["xinwen duplicates --limit 10", "xinwen duplicates --json"])
    p.add_argument("--limit", type=positive, default=None, help="at most N clusters, largest first (default: all)")
    add_db(p)
    add_json(p)
    p.set_defaults(func=cmd_duplicates)


def cmd_related(args: argparse.Namespace) -> int:
    from xinwen import results
    from xinwen.errors import QueryError
    from xinwen.linking.related import RelatedWeights

    if bool(args.id) == bool(args.text):
        raise UsageError("give either an article ID or --text TEXT")
    try:
        weights = RelatedWeights.parse(args.weights) if args.weights else None
    except QueryError as exc:
        raise UsageError(f"--weights: {exc}") from None
    with open_collection(args) as c:
        hits = c.related(args.id, k=args.k, weights=weights) if args.id else c.related_text(
            args.text, k=args.k, weights=weights)
    if args.json:
        emit_all([results.related_article(h) for h in hits])
        return 0
    for h in hits:
        print(f"{h.article.id}  {h.score:6.3f}  {h.article.title}  ({h.reason.get('text', '')})")
    if not hits:
        print("xinwen: nothing related found", file=sys.stderr)
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    from xinwen import results

    with open_collection(args) as c:
        clusters = c.duplicates(limit=args.limit)
    if args.json:
        emit_all([results.cluster(cl) for cl in clusters])
        return 0
    for cl in clusters:
        when = cl.canonical.published.strftime("%Y-%m-%d") if cl.canonical.published else "----------"
        ids = " ".join(a.id for a in cl.copies)
        print(f"{cl.canonical.id}  {when}  {cl.canonical.title}  <- {len(cl.copies)} copies: {ids}")
    return 0

"""`xinwen eval WHAT`: measure xinwen on real data beside an anchor, same input, same run.

Adding a sub-command is one function: decorate `add_X(evsub)` with `@subcommand`; it adds
its parser to `evsub` and sets `func`. (`tags` is here; `related` and `dups` follow the same shape.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from xinwen.cli.output import emit

SubcommandAdder = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
_SUBCOMMANDS: list[SubcommandAdder] = []


def subcommand(add: SubcommandAdder) -> SubcommandAdder:
    """Register a function that adds one `xinwen eval` sub-command."""
    _SUBCOMMANDS.append(add)
    return add


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure tags (and more) on real data beside the anchors")
    evsub = p.add_subparsers(dest="eval_command", metavar="WHAT")
    for add in _SUBCOMMANDS:
        add(evsub)

    def usage(args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return 2

    p.set_defaults(func=usage)


@subcommand
def add_tags(evsub: argparse._SubParsersAction) -> None:
    p = evsub.add_parser(
        "tags", help="tags vs. editors' tags (page, tnews dev, csl), beside jieba TF-IDF and TextRank"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, help="at most N articles per data set")
    p.set_defaults(func=cmd_eval_tags)


def cmd_eval_tags(args: argparse.Namespace) -> int:
    from xinwen.errors import XinwenError
    from xinwen.evaluation.tags import evaluate_tags, format_report

    if args.limit is not None and args.limit < 1:
        raise XinwenError(f"--limit must be at least 1, not {args.limit}")
    report = evaluate_tags(limit=args.limit)
    if args.json:
        emit(report.to_dict())
    else:
        print(format_report(report))
    for m in report.missing:
        print(f"xinwen: missing data set: {m}", file=sys.stderr)
    return 0

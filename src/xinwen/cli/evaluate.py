"""`xinwen eval WHAT`: measure xinwen on real data beside an anchor, same input, same run.

Adding a sub-command is one function: decorate `add_X(evsub)` with `@subcommand`; it adds
its parser to `evsub` and sets `func`. (`tags` is here; `related` and `dups` follow the same shape.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

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


def _common(p: argparse.ArgumentParser, limit_help: str = "at most N articles per data set") -> None:
    """--json and --limit, which every `xinwen eval` sub-command takes."""
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, help=limit_help)


def _show(args: argparse.Namespace, report: Any, text: Callable[[Any], str] | None) -> None:
    """The report as one JSON object (--json) or as `text` gives it, then each missing data set on stderr."""
    if args.json:
        emit(report.to_dict())
    elif text is not None:
        print(text(report))
    for m in report.missing:
        print(f"xinwen: missing data set: {m}", file=sys.stderr)


@subcommand
def add_tags(evsub: argparse._SubParsersAction) -> None:
    p = evsub.add_parser(
        "tags", help="tags vs. editors' tags (page, tnews dev, csl), beside jieba TF-IDF and TextRank"
    )
    _common(p)
    p.set_defaults(func=cmd_eval_tags)


def cmd_eval_tags(args: argparse.Namespace) -> int:
    from xinwen.errors import XinwenError
    from xinwen.evaluation.tags import evaluate_tags, format_report

    if args.limit is not None and args.limit < 1:
        raise XinwenError(f"--limit must be at least 1, not {args.limit}")
    report = evaluate_tags(limit=args.limit)
    _show(args, report, format_report)
    return 0


@subcommand
def add_related(evsub: argparse._SubParsersAction) -> None:
    p = evsub.add_parser(
        "related", help="related articles: same-category / shared-tag precision@5 beside TF-IDF cosine"
    )
    _common(p)
    p.add_argument("--datasets", default=None, metavar="A,B",
                   help="some of sina800,cnews1000,sina800-sections,cnews1000-sections,tnews,tnews-dev "
                   "(default: all)")
    p.set_defaults(func=cmd_eval_related)


def cmd_eval_related(args: argparse.Namespace) -> int:
    from xinwen.errors import XinwenError
    from xinwen.evaluation.related import evaluate_related, format_report

    if args.limit is not None and args.limit < 6:
        raise XinwenError(f"--limit must be at least 6 (five neighbours each), not {args.limit}")
    names = [n.strip() for n in args.datasets.split(",") if n.strip()] if args.datasets else None
    report = evaluate_related(limit=args.limit, names=names)
    _show(args, report, format_report)
    return 0 if report.datasets else 1


@subcommand
def add_dups(evsub: argparse._SubParsersAction) -> None:
    p = evsub.add_parser(
        "dups", help="copies planted among the xinwenlianbo corpus: recall and precision beside TF-IDF cosine"
    )
    _common(p, "only the first N stories of the corpus")
    p.add_argument("--planted", type=int, default=1000, help="how many copies to plant (default 1000)")
    p.set_defaults(func=cmd_eval_dups)


def cmd_eval_dups(args: argparse.Namespace) -> int:
    from xinwen.errors import XinwenError
    from xinwen.evaluation.dups import evaluate_dups, format_report

    if args.planted < 1 or (args.limit is not None and args.limit < 1):
        raise XinwenError("--planted and --limit must be at least 1")
    report = evaluate_dups(args.planted, args.limit)
    _show(args, report, None if report.missing else format_report)
    return 1 if report.missing else 0

"""`xinwen eval WHAT`: measure xinwen on real data beside an anchor, same input, same run; with --check,
against the quality floors (xinwen/data/quality_floors.json), failing below them.

Each sub-command is one entry of EVALUATIONS: its parser's options, and a function that runs it from
the parsed options and returns (report, text formatter).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from xinwen.cli import UsageError, command, count, positive
from xinwen.cli.output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "eval", "measure tags, related articles, copies and search on real data beside anchors", [
        "xinwen eval tags", "xinwen eval related --datasets sina800 --json", "xinwen eval dups --check"])
    evsub = p.add_subparsers(dest="eval_command", metavar="WHAT")

    q = _sub(evsub, "tags", "tags vs. editors' tags (page, tnews dev, csl, full Sohu articles cross-validated), "
             "beside jieba TF-IDF and TextRank", "xinwen eval tags --limit 500")
    q.add_argument("--archive", action="store_true",
                   help="also tag each full-article set as a site new to xinwen (xinwen-unseen: the ranker "
                   "trained without the set) and after learning its house style from its other folds as "
                   "`xinwen fit` does from a collection's tagged articles (xinwen+archive)")
    q.set_defaults(run=_run_tags)

    q = _sub(evsub, "related", "related articles: same-category / shared-tag precision@5 beside TF-IDF cosine",
             "xinwen eval related --datasets sina800,tnews-dev", limit_type=_at_least_6)
    q.add_argument("--datasets", default=None, metavar="A,B",
                   help="some of sina800,cnews1000,sina800-sections,cnews1000-sections,tnews,tnews-dev (default: all)")
    q.set_defaults(run=_run_related)

    q = _sub(evsub, "dups", "copies planted among the xinwenlianbo corpus: recall and precision beside TF-IDF cosine",
             "xinwen eval dups --limit 3000 --planted 300", limit_help="only the first N stories of the corpus")
    q.add_argument("--planted", type=positive, default=1000,
                   help="copies to plant of each kind (tuned, replace5, replace10, excerpt, reorder, traditional, "
                   "fullwidth, headers, combined, indel5, indel10)")
    q.set_defaults(run=_run_dups)

    q = _sub(evsub, "search", "find a story again from 2-3 words of its title, beside LIKE scanning",
             "xinwen eval search --limit 5000", limit_help="only the first N stories of the corpus")
    q.add_argument("--queries", type=positive, default=200, help="how many queries")
    q.set_defaults(run=_run_search)

    q = _sub(evsub, "dates", "event dates of hand-read stories, and republished stories planted among xinwenlianbo",
             "xinwen eval dates --planted 500", limit_help="stories of xinwenlianbo the republications are planted in")
    q.add_argument("--planted", type=positive, default=1000, help="stories re-dated a year later (text alone)")
    q.add_argument("--copies", type=count, default=200,
                   help="re-dated copies ingested beside their originals (0: skip that ingest)")
    q.set_defaults(run=_run_dates)

    def usage(args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return 2

    p.set_defaults(func=usage)


def _at_least_6(value: str) -> int:
    n = positive(value)
    if n < 6:
        raise argparse.ArgumentTypeError(f"{value}: at least 6 (five neighbours each)")
    return n


def _sub(evsub: argparse._SubParsersAction, name: str, help: str, example: str, *,
         limit_type: Callable[[str], int] = positive, limit_help: str = "at most N articles per data set"
         ) -> argparse.ArgumentParser:
    """A sub-command with --json, --limit and --check."""
    p = command(evsub, name, help, [example, f"xinwen eval {name} --check"])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=limit_type, default=None, help=limit_help + " (default: all)")
    p.add_argument("--check", action="store_true",
                   help="run at the sizes of the quality floors (xinwen/data/quality_floors.json) and fail "
                   "below them; the other size options are ignored")
    p.set_defaults(func=cmd_eval, eval_name=name)
    return p


def _run_tags(args: argparse.Namespace) -> tuple[Any, Callable[[Any], str]]:
    from xinwen.evaluation.tags import evaluate_tags, format_report

    return evaluate_tags(limit=args.limit, archive=getattr(args, "archive", False)), format_report


def _run_related(args: argparse.Namespace) -> tuple[Any, Callable[[Any], str]]:
    from xinwen.errors import XinwenError
    from xinwen.evaluation.related import evaluate_related, format_report

    names = [n.strip() for n in args.datasets.split(",") if n.strip()] if args.datasets else None
    try:
        return evaluate_related(limit=args.limit, names=names), format_report
    except XinwenError as exc:
        if "unknown data set" in exc.message:
            raise UsageError(f"--datasets: {exc.message}") from None
        raise


def _run_dups(args: argparse.Namespace) -> tuple[Any, Callable[[Any], str]]:
    from xinwen.evaluation.dups import evaluate_dups, format_report

    return evaluate_dups(args.planted, args.limit), format_report


def _run_search(args: argparse.Namespace) -> tuple[Any, Callable[[Any], str]]:
    from xinwen.evaluation.search import evaluate_search, format_report

    return evaluate_search(args.limit, args.queries), format_report


def _run_dates(args: argparse.Namespace) -> tuple[Any, Callable[[Any], str]]:
    from xinwen.evaluation.dates import evaluate_dates, format_report

    return evaluate_dates(planted=args.planted, copies=args.copies, limit=args.limit or 2000), format_report


def cmd_eval(args: argparse.Namespace) -> int:
    from xinwen.evaluation import checks

    if args.check:
        for key, value in checks.arguments(args.eval_name).items():
            setattr(args, key, value)
    report, text = args.run(args)
    data = report.to_dict()
    if args.check:
        results = checks.check(args.eval_name, data)
        if args.json:
            emit(data | {"checks": [c.to_dict() for c in results]})
        else:
            print(text(report) if not report.missing else "")
            print(checks.format_checks(results))
    elif args.json:
        emit(data)
    elif not report.missing or data.get("datasets"):
        print(text(report))
    for m in report.missing:
        print(f"xinwen: missing data set: {m}", file=sys.stderr)
    if args.check:
        return 0 if all(c.ok for c in results) else 1
    return 1 if report.missing and not data.get("datasets") else 0


"""The `xinwen` command: a thin shell over the Python API. One module per group of commands; each
defines its parsers with argparse alone and imports what a command needs only when it runs, so that
`xinwen --help` answers at once.

Exit status: 0 done, 1 a runtime error (a missing file, a damaged database: one line on stderr), 2 a
usage error (a bad option or value, from argparse or from our own checks), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

COMMAND_MODULES = ["core", "find", "link", "serve", "evaluate", "follow"]
PROG = "xinwen"


class UsageError(Exception):
    """A value the user gave that cannot be used (exit 2, like argparse's own errors)."""


class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and examples as written; every option's default shown."""


def build_parser() -> argparse.ArgumentParser:
    from xinwen import __version__

    parser = argparse.ArgumentParser(
        prog=PROG, description="Chinese news: read, tag, summarize, link and search.", formatter_class=Formatter,
        epilog="examples:\n  xinwen demo\n  xinwen ingest news/ --db news.db\n  xinwen search 绿色低碳 宝山 --db news.db\n"
        "\n`xinwen COMMAND --help` shows each command's options. NO_COLOR=1 turns off colour.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_db(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"xinwen.cli.{name}").register(sub)
    return parser


def add_db(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """--db, accepted before the command (`xinwen --db a.db list`) and after it (`xinwen list --db a.db`)."""
    p.add_argument(
        "--db", metavar="PATH", default=None if top else argparse.SUPPRESS,
        help="the collection's database (default: $XINWEN_DB, else ./xinwen.db)",
    )


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (JSON Lines for lists)")


def add_nice(p: argparse.ArgumentParser) -> None:
    """--nice: batch commands yield the CPU to a server reading the same collection (see xinwen.priority)."""
    from xinwen.priority import BATCH_NICE

    p.add_argument("--nice", type=nice_value, default=argparse.SUPPRESS, metavar="N",
                   help=f"CPU priority, as nice(1) (default: $XINWEN_BATCH_NICE, else {BATCH_NICE}: a server on "
                   "this machine stays fast, an idle machine gives the same speed); also lowers this terminal "
                   "session's share while it runs (Linux autogroup); 0: run as started")


def yield_cpu_for(args: argparse.Namespace) -> None:
    """Lower this command's priority as --nice (or $XINWEN_BATCH_NICE) says."""
    import os

    from xinwen.priority import BATCH_NICE, yield_cpu

    value = getattr(args, "nice", None)
    if value is None:
        env = os.environ.get("XINWEN_BATCH_NICE", "").strip()
        try:
            value = nice_value(env) if env else BATCH_NICE
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"$XINWEN_BATCH_NICE: {exc}") from None
    yield_cpu(value)


def nice_value(value: str) -> int:
    """An argparse type: a nice value from 0 to 19 (a batch command never asks for a higher priority)."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 0 <= n <= 19:
        raise argparse.ArgumentTypeError(f"{value} must be from 0 to 19")
    return n


def command(sub: argparse._SubParsersAction, name: str, help: str, examples: Sequence[str] = (),
            description: str | None = None) -> argparse.ArgumentParser:
    """A sub-command's parser with its examples in the epilog."""
    epilog = ("examples:\n" + "\n".join(f"  {e}" for e in examples)) if examples else None
    return sub.add_parser(name, help=help, description=description or help, epilog=epilog, formatter_class=Formatter)


def count(value: str) -> int:
    """An argparse type: a whole number from 0 to 1,000,000,000."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 0 <= n <= 1_000_000_000:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0 to 1000000000)")
    return n


def positive(value: str) -> int:
    """An argparse type: a whole number from 1 to 1,000,000,000."""
    n = count(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return n


def port(value: str) -> int:
    """An argparse type: a TCP port, 0 to 65535 (0: any free port)."""
    n = count(value)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535)")
    return n


def _check_text(argv: Sequence[str]) -> None:
    """Arguments that are not valid text (bytes that are not UTF-8 reach Python as lone surrogates)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"argument {arg.encode('utf-8', 'surrogateescape')!r} is not valid UTF-8") from None


def main(argv: Sequence[str] | None = None) -> int:
    from xinwen.errors import XinwenError

    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_text(args_list)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(args_list)
        if extra:
            take = getattr(args, "take_extra", None)
            if take is None or not take(args, extra):
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse: --help, --version (0) or a usage error (2)
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except XinwenError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (| head): leave quietly, and keep Python from complaining at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())

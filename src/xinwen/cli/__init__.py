"""The `xinwen` command: a thin shell over the Python API. One module per group of commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from xinwen.errors import XinwenError

# each module has register(subparsers); a command's handler is args.func(args) -> exit code
COMMAND_MODULES = ["core", "find", "link", "serve", "evaluate"]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="xinwen", description="Chinese news: read, tag, summarize, link and search."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"xinwen.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"xinwen.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except XinwenError as exc:
        print(f"xinwen: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("xinwen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

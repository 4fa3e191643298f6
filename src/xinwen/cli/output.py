"""Printing results: JSON Lines / one JSON object with --json, readable lines otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from xinwen.article import Article
from xinwen.collection import Collection, default_db


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="database file (default: $XINWEN_DB or ./xinwen.db)")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (JSON Lines for lists)")


def open_collection(args: argparse.Namespace, *, readonly: bool = True, retag_note: bool = True) -> Collection:
    """The collection of --db; `retag_note`: say when its articles wait for a retag (`xinwen fit`)."""
    c = Collection(args.db or default_db(), readonly=readonly)
    if retag_note and c.retag_needed():
        print(f"note: {c.db_path} holds articles stored by an older xinwen, without the tag candidates that "
              "related articles compare; run `xinwen fit` once to compute them", file=sys.stderr)
    return c


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def article_summary(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "published": a.published.isoformat() if a.published else None,
        "tags": a.tags,
        "source": a.source,
    }


def article_line(a: Article) -> str:
    when = a.published.strftime("%Y-%m-%d %H:%M") if a.published else "----------"
    return f"{a.id}  {when}  {a.title}  [{' '.join(a.tags)}]"

"""Printing results: with --json each result is the same object the REST API returns (xinwen.results),
one a line for lists (JSON Lines); without it, readable lines."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from xinwen.article import Article
    from xinwen.collection import Collection


def open_collection(args: argparse.Namespace, *, readonly: bool = True, retag_note: bool = True) -> Collection:
    """The collection of --db; `retag_note`: say when its articles wait for a retag (`xinwen fit`)."""
    from xinwen.collection import Collection, default_db

    c = Collection(args.db or default_db(), readonly=readonly)
    if retag_note and c.fit_pending():
        print(f"note: a fit of {c.location} was interrupted, so some tags and related articles may be of the "
              "fit before; run `xinwen fit` (or any ingest) to finish it", file=sys.stderr)
    elif retag_note and c.retag_needed():
        print(f"note: {c.location} holds articles stored by an older xinwen, without the tag candidates that "
              "related articles compare; run `xinwen fit` once to compute them", file=sys.stderr)
    return c


def emit(obj: Any) -> None:
    """One JSON value on one line (a result model as the REST API dumps it)."""
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def emit_all(models: list[BaseModel]) -> None:
    for model in models:
        emit(model)


def article_line(a: Article) -> str:
    when = a.published.strftime("%Y-%m-%d %H:%M") if a.published else "----------"
    return f"{a.id}  {when}  {a.title}  [{' '.join(a.tags)}]"


def colour() -> bool:
    """Whether to colour the output: a terminal, and NO_COLOR (https://no-color.org) not set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")

"""An article's provenance, read once when it is stored: the outlet it is credited to
(`analysis.origin`), the date of the event it tells of (`analysis.eventdate`), and the evidence for
both; and, at read time, whether it is a republication (`republished`): printed well after its event
or after the first printing of its copy cluster, which only the store knows and which changes as
copies arrive, so it is never stored.

About 60 microseconds an article: regular expressions over its header, footer and lead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from xinwen.analysis.eventdate import Republication, event_date, republication
from xinwen.analysis.origin import origin
from xinwen.article import Article


def attribute(article: Article) -> Article:
    """Set `article.origin`, `event_date` and `provenance` from its title, body, URL, source and
    publish time (all None/empty when the text says nothing); returns the article. A page's source line
    printed outside the body (`extra["credit"]`, readers/html.py) counts before the record's source
    and the URL."""
    found = origin(article.title, article.body, article.url, article.source)
    credit = article.extra.get("credit") if isinstance(article.extra, dict) else None
    if isinstance(credit, str) and (found is None or found.kind in ("record-source", "url")):
        printed = origin("", credit)  # the page's source line beside the story (readers/html.py)
        if printed is not None and printed.outlet:
            found = replace(printed, field="credit")
    event = event_date(article.title, article.body, article.published)
    article.origin = found.outlet if found else None
    article.event_date = event.date if event else None
    evidence: dict[str, Any] = {}
    if found is not None:
        evidence["origin"] = found.to_dict()
    if event is not None:
        evidence["event"] = event.to_dict()
    article.provenance = evidence
    return article


def first_printing(published: Iterable[datetime | date | None]) -> date | None:
    """The earliest publish date among a copy cluster's members (None when none is dated)."""
    days = [p.date() if isinstance(p, datetime) else p for p in published if p is not None]
    return min(days) if days else None


def republished(article: Article, cluster_published: Iterable[datetime | date | None] = ()) -> Republication | None:
    """Whether `article` is a republication (eventdate.republication): its publish date lies well after
    the first printing of its copy cluster (`cluster_published`: the publish times of its members) or
    after the event it tells of. None when it is not, or when it has no publish date."""
    return republication(article.published, article.event_date, first_printing(cluster_published))


# -- what changed between two versions ---------------------------------------------------------------------
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』)）]?\n*|\n+|$)")
CHAR_DIFF_LIMIT = 4_000  # sentences longer than this (either side) are shown as replaced whole


@dataclass(frozen=True)
class Change:
    """One run of a diff: `op` "=" (the same in both), "-" (only in the older text) or "+" (only in the
    newer), and its text."""

    op: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


def sentences(text: str) -> list[str]:
    """The text cut after each sentence end (。！？, with a closing quote and line breaks after it) and
    each line break; joined again they are the text."""
    return [s for s in _SENTENCE.findall(text) if s]


def diff(old: str, new: str) -> list[Change]:
    """What changed from `old` to `new`, character by character, as runs of kept, removed and added
    text (joining the "=" and "-" runs gives `old`, the "=" and "+" runs `new`). Sentences are aligned
    first and only changed ones are compared by character, so a long story costs little and an edit
    stays local."""
    out: list[Change] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = Change(op, out[-1].text + text)
        else:
            out.append(Change(op, text))

    a, b = sentences(old), sentences(new)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            add("=", left)
        elif tag == "replace" and len(left) <= CHAR_DIFF_LIMIT and len(right) <= CHAR_DIFF_LIMIT:
            for op, k1, k2, m1, m2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
                if op == "equal":
                    add("=", left[k1:k2])
                else:
                    add("-", left[k1:k2])
                    add("+", right[m1:m2])
        else:
            add("-", left)
            add("+", right)
    return out


def changed_chars(changes: list[Change]) -> int:
    """How many characters a diff removes or adds."""
    return sum(len(c.text) for c in changes if c.op != "=")


@dataclass
class Provenance:
    """Where a stored article comes from and how it has changed: the outlet it is credited to and the
    evidence (`origin`, `origin_evidence`), the event date and its evidence, the first printing of its
    copy cluster (the earliest publish date among its copies), whether it is a republication, and how
    many texts it has had (`versions`: 1 when never changed)."""

    origin: str | None
    origin_evidence: dict[str, Any] | None
    event_date: date | None
    event_evidence: dict[str, Any] | None
    first_printing: date | None
    republished: Republication | None
    versions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin, "origin_evidence": self.origin_evidence,
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "event_evidence": self.event_evidence,
            "first_printing": self.first_printing.isoformat() if self.first_printing else None,
            "republished": self.republished.to_dict() if self.republished else None, "versions": self.versions,
        }

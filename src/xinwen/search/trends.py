"""Tag trends over time: counts per day, week or month; tags rising against the period before; tags
that occur together.

A period is a calendar day, an ISO week starting on Monday, or a month, in China Standard Time (see
facets.py); each is named by the ISO date it starts on. Counts come from the in-memory doc
values (tens of milliseconds over 100,000 articles).

Rising compares the latest period in range ("now") with the one before it, as shares of the articles
published in each, so that a short latest period (a week that has only begun) is not read as a fall:
ratio = ((now + 1) / articles_now) / ((before + 1) / articles_before). A tag needs at least
`min_count` articles now, and more than before, to count as rising.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from xinwen.errors import QueryError
from xinwen.search.facets import TZ_OFFSET, DocValues
from xinwen.search.query import date_range

PERIODS = ("day", "week", "month")
SMOOTHING = 1.0
MIN_COUNT = 3
MAX_PERIODS = 1000  # periods in one answer: the latest ones when the range holds more
EARLIEST = -2208988800.0  # 1900-01-01 UTC: a publish time before it is a typo, counted nowhere
AHEAD = 86400.0  # nor one more than a day in the future
_EPOCH = date(1970, 1, 1)  # a Thursday: day d is in the ISO week starting on day 7 * ((d + 3) // 7) - 3


@dataclass
class Trends:
    """Tag counts per period for the chosen tags, and the tags rising in the latest period."""

    period: str
    series: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # tag -> [(period start, count)]
    rising: list[dict] = field(default_factory=list)  # {"tag", "now", "before", "ratio"}, most rising first
    periods: list[str] = field(default_factory=list)  # every period start in range, oldest first
    articles: list[int] = field(default_factory=list)  # articles published in each of those periods
    now: str | None = None  # the period rising looks at, and the one it compares with
    before: str | None = None
    notes: list[str] = field(default_factory=list)  # what was left out, and why


def as_range(since: datetime | str | None, until: datetime | str | None) -> tuple[float | None, float | None]:
    """Timestamps [since, until): a date given as text covers its whole day (month, year); DateError for
    text that is not a date."""
    lo = hi = None
    if since is not None:
        lo = (date_range(since)[0] if isinstance(since, str) else since).timestamp()
    if until is not None:
        hi = (date_range(until)[1] if isinstance(until, str) else until).timestamp()
    return lo, hi


def trends(
    dv: DocValues,
    *,
    period: str = "week",
    top: int = 10,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    tags: list[str] | None = None,
    min_count: int = MIN_COUNT,
) -> Trends:
    """Series for `tags` (default: the `top` most frequent in range) and the `top` rising tags."""
    if period not in PERIODS:
        raise QueryError(f"unknown period {period!r}; use day, week or month")
    if top < 0:
        raise QueryError("top must be at least 0")
    lo, hi = as_range(since, until)
    result = Trends(period=period)
    ts = dv.ts_of
    with np.errstate(invalid="ignore"):  # NaN: undated
        dated = (ts >= EARLIEST) & (ts <= time.time() + AHEAD)
        if lo is not None:
            dated &= ts >= lo
        if hi is not None:
            dated &= ts < hi
    ids = np.flatnonzero(dated)
    if not len(ids):
        return result
    index = period_index(ts[ids], period)
    last = int(index.max())
    if last - int(index.min()) >= MAX_PERIODS:  # keep the latest MAX_PERIODS periods
        keep = index > last - MAX_PERIODS
        result.notes.append(f"only the latest {MAX_PERIODS} {period}s are counted; ask for a longer period or "
                            "a shorter range for the rest")
        ids, index = ids[keep], index[keep]
    first = int(index.min())
    slot = index - first  # each article's period, 0 = the first in range
    n = int(slot.max()) + 1
    result.periods = [period_start(first + i, period) for i in range(n)]
    result.articles = np.bincount(slot, minlength=n).tolist()
    # one (tag code, period slot) pair per tag of each article in range
    tag_codes = dv.tags_of[ids]
    has = tag_codes >= 0
    codes = tag_codes[has]
    slots = np.broadcast_to(slot[:, None], tag_codes.shape)[has]
    if tags is None:
        totals = np.bincount(codes, minlength=len(dv.tags))
        chosen = _top_codes(totals, top)
        tags = [dv.tags[c] for c in chosen]
    code_of = {t: i for i, t in enumerate(dv.tags)}
    for tag in tags:
        c = code_of.get(tag)
        counts = np.bincount(slots[codes == c], minlength=n) if c is not None else np.zeros(n, dtype=np.int64)
        result.series[tag] = [(p, int(k)) for p, k in zip(result.periods, counts, strict=True)]
    result.now = result.periods[-1]
    if n > 1:
        result.before = result.periods[-2]
        result.rising = _rising(dv, codes, slots, n, result.articles, top, min_count)
    return result


def _rising(
    dv: DocValues, codes: np.ndarray, slots: np.ndarray, n: int, articles: list[int], top: int, min_count: int
) -> list[dict]:
    now = np.bincount(codes[slots == n - 1], minlength=len(dv.tags))
    before = np.bincount(codes[slots == n - 2], minlength=len(dv.tags))
    now_n, before_n = articles[-1], max(articles[-2], 1)
    out = []
    for c in np.flatnonzero((now >= min_count) & (now > before)):
        ratio = ((now[c] + SMOOTHING) / now_n) / ((before[c] + SMOOTHING) / before_n)
        out.append({"tag": dv.tags[c], "now": int(now[c]), "before": int(before[c]), "ratio": round(float(ratio), 3)})
    out.sort(key=lambda d: (-d["ratio"], -d["now"], d["tag"]))
    return out[:top]


def period_index(stamps: np.ndarray, period: str) -> np.ndarray:
    """The period each timestamp falls in: days, ISO weeks or months since 1970 (China Standard Time)."""
    days = np.floor((stamps + TZ_OFFSET) / 86400).astype(np.int64)
    if period == "day":
        return days
    if period == "week":
        return (days + 3) // 7
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def period_start(index: int, period: str) -> str:
    """The ISO date a period (as numbered by `period_index`) starts on."""
    if period == "day":
        return (_EPOCH + timedelta(days=index)).isoformat()
    if period == "week":
        return (_EPOCH + timedelta(days=7 * index - 3)).isoformat()
    return date(1970 + index // 12, index % 12 + 1, 1).isoformat()


def period_starts(first: str, last: str, period: str) -> list[str]:
    """Every period start from `first` to `last` (both period starts), oldest first."""
    out = [first]
    while out[-1] < last and len(out) < 100_000:
        d = date.fromisoformat(out[-1])
        if period == "day":
            out.append((d + timedelta(days=1)).isoformat())
        elif period == "week":
            out.append((d + timedelta(days=7)).isoformat())
        else:
            out.append(date(d.year + d.month // 12, d.month % 12 + 1, 1).isoformat())
    return out


def cooccurring(dv: DocValues, tag: str, *, k: int = 10) -> list[tuple[str, int]]:
    """The tags most often computed for the same articles as `tag`, with how many articles share both."""
    c = bisect_left(dv.tags, tag)  # the tags are sorted
    if c == len(dv.tags) or dv.tags[c] != tag:
        return []
    rows = dv.tags_of[(dv.tags_of == c).any(axis=1)]
    others = rows[(rows >= 0) & (rows != c)]
    counts = np.bincount(others, minlength=len(dv.tags))
    return [(dv.tags[i], int(counts[i])) for i in _top_codes(counts, k)]


def _top_codes(counts: np.ndarray, k: int) -> list[int]:
    """Codes of the k largest nonzero counts; ties by code, which is name order."""
    nonzero = np.flatnonzero(counts)
    return nonzero[np.lexsort((nonzero, -counts[nonzero]))][: max(k, 0)].tolist()

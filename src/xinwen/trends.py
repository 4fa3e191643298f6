"""Tag trends over time: counts per day, week or month; tags rising against the period before; tags
that occur together.

Periods are calendar periods of the date each source printed (its own time zone): a day, an ISO week
starting on Monday, a month; each is named by the ISO date it starts on.

Rising compares the latest period in range ("now") with the one before it, as shares of the articles
published in each, so that a short latest period (a week that has only begun) is not read as a fall:
ratio = ((now + 1) / articles_now) / ((before + 1) / articles_before). A tag must have at least
`min_count` articles now, and more than before, to count as rising.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from xinwen.errors import QueryError
from xinwen.query import date_range
from xinwen.store.sqlite import SQLiteStore

PERIODS = ("day", "week", "month")
_BUCKET = {
    "day": "substr(a.published, 1, 10)",
    "week": "date(substr(a.published, 1, 10), 'weekday 0', '-6 days')",
    "month": "substr(a.published, 1, 7) || '-01'",
}
SMOOTHING = 1.0
MIN_COUNT = 3


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


def as_range(since: datetime | str | None, until: datetime | str | None) -> tuple[float | None, float | None]:
    """Timestamps [since, until): a date given as text covers its whole day (month, year)."""
    lo = hi = None
    if since is not None:
        lo = (date_range(since)[0] if isinstance(since, str) else since).timestamp()
    if until is not None:
        hi = (date_range(until)[1] if isinstance(until, str) else until).timestamp()
    return lo, hi


def trends(
    store: SQLiteStore,
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
    bucket = _BUCKET[period]
    where, args = ["a.published IS NOT NULL"], []
    if lo is not None:
        where.append("a.published_ts >= ?")
        args.append(lo)
    if hi is not None:
        where.append("a.published_ts < ?")
        args.append(hi)
    cond = " AND ".join(where)
    conn = store.conn
    volume = dict(conn.execute(f"SELECT {bucket} AS p, count(*) FROM articles a WHERE {cond} GROUP BY p", args))
    volume.pop(None, None)
    result = Trends(period=period)
    if not volume:
        return result
    result.periods = period_starts(min(volume), max(volume), period)
    result.articles = [int(volume.get(p, 0)) for p in result.periods]
    if tags is None:
        tags = [r[0] for r in conn.execute(
            f"SELECT t.tag, count(*) AS n FROM article_tags t JOIN articles a ON a.rowid = t.article "
            f"WHERE {cond} GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?", (*args, top))]
    if tags:
        marks = ",".join("?" * len(tags))
        counts: dict[tuple[str, str], int] = {
            (r[0], r[1]): int(r[2]) for r in conn.execute(
                f"SELECT t.tag, {bucket} AS p, count(*) FROM article_tags t JOIN articles a ON a.rowid = t.article "
                f"WHERE {cond} AND t.tag IN ({marks}) GROUP BY t.tag, p", (*args, *tags))
        }
        result.series = {t: [(p, counts.get((t, p), 0)) for p in result.periods] for t in tags}
    result.now = result.periods[-1]
    if len(result.periods) > 1:
        result.before = result.periods[-2]
        result.rising = _rising(store, bucket, cond, args, result, top, min_count)
    return result


def _rising(
    store: SQLiteStore, bucket: str, cond: str, args: list, t: Trends, top: int, min_count: int
) -> list[dict]:
    now_n, before_n = t.articles[-1], t.articles[-2]
    # only the two periods' articles: a day of margin around them on the timestamp index, then exact
    lo = datetime.fromisoformat(t.before).timestamp() - 86400 * 2  # type: ignore[arg-type]
    hi = datetime.fromisoformat(next_start(t.now, t.period)).timestamp() + 86400 * 2  # type: ignore[arg-type]
    rows = store.conn.execute(
        f"SELECT t.tag, {bucket} AS p, count(*) FROM article_tags t JOIN articles a ON a.rowid = t.article "
        f"WHERE {cond} AND a.published_ts >= ? AND a.published_ts < ? AND p IN (?, ?) GROUP BY t.tag, p",
        (*args, lo, hi, t.now, t.before),
    ).fetchall()
    now: dict[str, int] = {}
    before: dict[str, int] = {}
    for tag, p, n in rows:
        (now if p == t.now else before)[tag] = int(n)
    out = []
    for tag, n in now.items():
        b = before.get(tag, 0)
        if n < min_count or n <= b or not now_n:
            continue
        ratio = ((n + SMOOTHING) / now_n) / ((b + SMOOTHING) / max(before_n, 1))
        out.append({"tag": tag, "now": n, "before": b, "ratio": round(ratio, 3)})
    out.sort(key=lambda d: (-d["ratio"], -d["now"], d["tag"]))
    return out[:top]


def period_starts(first: str, last: str, period: str) -> list[str]:
    """Every period start from `first` to `last` (both period starts), oldest first."""
    out = [first]
    while out[-1] < last and len(out) < 100_000:
        out.append(next_start(out[-1], period))
    return out


def next_start(start: str, period: str) -> str:
    d = date.fromisoformat(start)
    if period == "day":
        return (d + timedelta(days=1)).isoformat()
    if period == "week":
        return (d + timedelta(days=7)).isoformat()
    return date(d.year + d.month // 12, d.month % 12 + 1, 1).isoformat()


def cooccurring(store: SQLiteStore, tag: str, *, k: int = 10) -> list[tuple[str, int]]:
    """The tags most often computed for the same articles as `tag`, with how many articles share both."""
    rows = store.conn.execute(
        "SELECT o.tag, count(*) AS n FROM article_tags t JOIN article_tags o "
        "ON o.article = t.article AND o.tag != t.tag WHERE t.tag = ? GROUP BY o.tag ORDER BY n DESC, o.tag LIMIT ?",
        (tag, max(0, k)),
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]

"""HTML rendering: one Jinja2 environment with autoescape on for every template, and its filters.

Article text is data. Every value reaches HTML through autoescape; the only markup built here from data
is the search highlight, which is escaped first and only then has its marks turned into <mark>.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from xinwen.search.highlight import to_html

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Bidi controls that would reorder text outside their element; dropped where isolation is
# impossible (<title>).
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def highlight_html(text: str) -> Markup:
    """Escape, then wrap what sat between the highlight marks in <mark>; stray marks are dropped."""
    return Markup(to_html(text))


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs (blank lines and single line breaks both separate paragraphs)."""
    return [p.strip() for p in body.splitlines() if p.strip()]


def when(value: datetime | None, with_time: bool = True) -> str:
    """2024-04-14 02:15, or just the date when the source gave no time of day."""
    if value is None:
        return ""
    if not with_time or (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")


def urlpart(value: str) -> str:
    """One path segment: every reserved character quoted, '/' included."""
    return quote(str(value), safe="")


def safe_href(url: str | None) -> str | None:
    """Only http(s) links leave the site; a javascript: or data: url from a source is not a link."""
    if url and re.match(r"(?i)https?://", url.strip()):
        return url.strip()
    return None


def plain_title(text: str) -> str:
    return _BIDI.sub("", text)


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """'?a=1&b=2' from params with changes applied; None and '' values are left out."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name
        auto_reload=False,  # templates ship with the package: no stat of each file at every render
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        highlight=highlight_html, paragraphs=paragraphs, when=when, urlpart=urlpart,
        safe_href=safe_href, plain_title=plain_title,
    )
    env.globals.update(query_string=query_string)
    return env


# -- the trends chart: an SVG drawn on the server -------------------------------------------------
PALETTE = ["#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#ba4a00", "#2e4053",
           "#a93226", "#1f618d", "#b7950b", "#6c3483"]


def line_chart(
    series: dict[str, list[tuple[str, int]]], *, width: int = 760, height: int = 320
) -> dict[str, Any]:
    """Geometry for an SVG line chart: one polyline per tag over the union of periods."""
    left, right, top, bottom = 40, 12, 12, 34
    periods = sorted({p for points in series.values() for p, _ in points})
    peak = max((c for points in series.values() for _, c in points), default=0)
    ystep = _nice_step(peak / 5) if peak else 0
    ymax = ystep * -(-peak // ystep) if peak else 0  # peak rounded up to a whole step
    inner_w, inner_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (inner_w * i / (len(periods) - 1) if len(periods) > 1 else inner_w / 2)

    def y(v: float) -> float:
        return top + inner_h - (inner_h * v / ymax if ymax else 0)

    index = {p: i for i, p in enumerate(periods)}
    lines = []
    for n, (tag, points) in enumerate(series.items()):
        counts = dict(points)
        coords = [(x(index[p]), y(counts.get(p, 0))) for p in periods]
        lines.append({
            "tag": tag, "color": PALETTE[n % len(PALETTE)], "total": sum(counts.values()),
            "points": " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords),
            "dots": [{"x": round(cx, 1), "y": round(cy, 1), "period": p, "count": counts.get(p, 0)}
                     for (cx, cy), p in zip(coords, periods, strict=True)] if len(periods) <= 40 else [],
        })
    step = max(1, len(periods) // 6)
    monthly = all(p.endswith("-01") for p in periods)
    xticks = [{"x": round(x(i), 1), "label": periods[i][:7] if monthly else periods[i],
               "anchor": "end" if x(i) > width - right - 40 else "middle"}  # the last label stays inside
              for i in range(0, len(periods), step)]
    yticks = [{"y": round(y(v), 1), "label": str(v)} for v in range(0, ymax + 1, ystep)] if ymax else []
    return {
        "width": width, "height": height, "left": left, "right": width - right, "top": top,
        "bottom": height - bottom, "lines": lines, "xticks": xticks, "yticks": yticks, "periods": periods,
    }


def _nice_step(rough: float) -> int:
    """The smallest of 1, 2, 5 x 10^k at or above `rough` (at least 1): a whole-number tick step."""
    scale = 1
    while True:
        for m in (1, 2, 5):
            if m * scale >= rough:
                return m * scale
        scale *= 10

"""Publish dates as news sources print them, read by hand (regex), fast.

Every result is timezone-aware. A time printed without a zone is taken to be in
`default_tz` (Asia/Shanghai unless told otherwise); a printed zone is kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xinwen.errors import DateError

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

# full-width digits, colon, slash, dot, dash, plus, space -> ASCII
_FOLD = str.maketrans("０１２３４５６７８９：／．－＋　\xa0", "0123456789:/.-+  ")

_TIME = (
    r"(?:\s*[T ]?\s*(?P<ampm1>上午|下午|晚上|凌晨|早上|中午)?\s*"
    r"(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.(?P<frac>\d{1,6})\d*)?秒?)?分?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|(?:UTC|GMT)\s*[+-]\d{1,2}(?::?\d{2})?|CST|北京时间)?"

# 2024-04-14 02:15, 2024/4/14, 2024.4.14, 2023年7月6日 14:30, 2023年07月06日14:30:05
_NUMERIC = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[(（]?\s*(?:星期|周)[一二三四五六日天]\s*[)）]?)?" + _TIME + _ZONE + r"$"
)
# Apr 14, 2024 02:15 AM; April 14, 2024; 14 April 2024
_ENGLISH = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?"
    r"(?:(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon2>[a-z]{3,9})\.?)"
    r",?\s+(?P<y>\d{4})\s*,?" + _TIME + _ZONE + r"$",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[T ]?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$")
_EPOCH = re.compile(r"\d{10}(?:\d{3})?(?:\.\d+)?$")
_ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")

_LABEL = re.compile(r"^(?:发布时间|发表时间|发布日期|更新时间|时间|日期|发布于|发表于)\s*[:：]?\s*")

_PM_WORDS = {"下午", "晚上"}
_AM_WORDS = {"上午", "凌晨", "早上"}

FORMATS_HELP = (
    "expected a date like 2024-04-14 02:15, 2024-04-14T02:15:00+08:00, 2023年7月6日 14:30, "
    "2024/4/14, 20240414, Apr 14, 2024 02:15 AM, Sun, 14 Apr 2024 02:15:00 GMT or epoch seconds"
)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise DateError(f"unknown time zone {name!r}") from e


def _tzinfo(tz: str | None, default: ZoneInfo) -> timezone | ZoneInfo:
    if not tz or tz in ("CST", "北京时间"):  # CST in Chinese sources is China Standard Time
        return _zone("Asia/Shanghai") if tz else default
    if tz in ("Z", "UTC", "GMT"):
        return UTC
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", tz)
    if not m:
        raise DateError(f"unknown time zone {tz!r}")
    sign = -1 if m.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))


def _hour(h: int, ampm: str | None, word: str | None) -> int:
    if ampm:
        pm = ampm[0] in "Pp"
        if not 1 <= h <= 12:
            raise ValueError(f"hour {h} with {ampm}")
        return (h % 12) + (12 if pm else 0)
    if word in _PM_WORDS and h < 12:
        return h + 12
    if word == "中午" and h < 6:
        return h + 12
    if word in _AM_WORDS and h == 12:
        return 0
    return h


def _build(g: dict[str, str | None], month: int, default: ZoneInfo) -> datetime:
    hour = _hour(int(g["H"] or 0), g.get("ampm"), g.get("ampm1"))
    micro = int((g.get("frac") or "0").ljust(6, "0")) if g.get("frac") else 0
    return datetime(
        int(g["y"] or 0), month, int(g["d"] or g.get("d2") or 0),
        hour, int(g["M"] or 0), int(g["S"] or 0), micro,
        tzinfo=_tzinfo(g.get("tz"), default),
    )  # fmt: skip


def parse_date(text: str, *, default_tz: str = "Asia/Shanghai") -> datetime:
    """Read one date/time string into an aware datetime; raise DateError if it cannot be read."""
    if not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            text = repr(text)
        else:
            raise DateError(f"not a date: {text!r}")
    s = _LABEL.sub("", text.translate(_FOLD).strip())
    if not s:
        raise DateError("empty date")
    default = _zone(default_tz)
    try:
        if _ISO_SHAPE.match(s):  # fast path: the common machine formats
            d = datetime.fromisoformat(s)
            return d if d.tzinfo else d.replace(tzinfo=default)
        if _EPOCH.match(s):
            value = float(s)
            if len(s.split(".")[0]) == 13:
                value /= 1000
            return datetime.fromtimestamp(value, tz=default)
        if m := _COMPACT.match(s):
            return _build(m.groupdict(), int(m.group("m")), default)
        if m := _NUMERIC.match(s):
            return _build(m.groupdict(), int(m.group("m")), default)
        if m := _ENGLISH.match(s):
            name = (m.group("mon") or m.group("mon2")).lower()
            month = MONTHS.get(name[:4] if name[:4] == "sept" else name[:3])
            if month is None or (len(name) > 3 and not _full_month(name)):
                raise DateError(f"unknown month {name!r} in {text!r}")
            return _build(m.groupdict(), month, default)
        if "," in s or re.match(r"\d{1,2} [A-Za-z]{3} \d{4}", s):  # RFC 822 / RFC 2822, as RSS prints
            d = parsedate_to_datetime(s)
            return d if d.tzinfo else d.replace(tzinfo=UTC)
    except DateError:
        raise
    except (ValueError, TypeError, OverflowError, IndexError) as e:
        raise DateError(f"not a valid date {text!r}: {e}") from e
    raise DateError(f"cannot read date {text!r}; {FORMATS_HELP}")


_FULL_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def _full_month(name: str) -> bool:
    return name in _FULL_NAMES or name == "sept"

"""A news page's headline and publish time, read from what the page prints first and its markup second.

Headline: the printed line (h1-h6, a bold line, a title div; up to four lines of one element, as when a
headline is broken by <br>) that the page's <title> or og:title contains, the longest one, at least half
the <title> without its site names; where the printed headline carries a badge before the <title> text
(原创), the <title> text. Where nothing printed matches (a <title> that names only the site or section),
the heading nearest before the body (`heading_before`); else the <title> without its site names.

Publish time (`find_published`): the time printed near the headline (from just before it to the body)
beats everything, since meta tags are often generic, date-only or the time of a later edit; then a time
labelled as published anywhere outside comments and link lists (发布时间：…); then meta tags with a time;
then script variables (JSON-LD datePublished, publishDate, pubtime, WeChat's epoch `ct`); then a date
without a time (printed between headline and body, labelled, or in markup; never a date inside the
story), made exact by any evidence with a time on that day. A printed time to the minute takes its
seconds from markup that agrees with it. Times labelled as updates or page generation (更新, 修改, 生成)
are never publish times, and only visible text counts as printed (a meta attribute that says
页面生成时间 is not). A year-less printed time (09-30 22:46) takes its year from the markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.readers.extract import Line, Page
from xinwen.text import fold_width, normalize

SH = ZoneInfo("Asia/Shanghai")
LINE_CHARS = 300  # of each line, the part searched for a printed date (dates are not deep in paragraphs)

# meta names (name=, property= or itemprop=, lower-cased) that carry the publish time, best first
DATE_META = (
    "article:published_time", "og:published_time", "og:release_date", "datepublished", "publishdate",
    "pubdate", "publish_time", "publishtime", "og:time", "apub:time", "firstpublishedtime",
    "weibo: article:create_at", "dc.date.issued", "dc.date", "time.datetime", "date", "datecreated",
    "article:modified_time",
    "dateupdate", "weibo: article:update_at",
)  # fmt: skip
TITLE_META = ("og:title", "twitter:title", "title", "headline", "sharetitle", "share_title")
_TITLE_CLASS = re.compile(r"title|headline|biaoti|\btit\b|-tit\b|_tit\b|heading", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def flat(text: str) -> str:
    """A text for comparing headlines: width folded, white space removed, lower case."""
    return _SPACE.sub("", fold_width(text)).lower()


def join_lines(parts: Sequence[str]) -> str:
    """Lines of one headline joined: without a space between Chinese characters, with one otherwise."""
    out = ""
    for part in parts:
        if out and not (_CJK.match(out[-1]) or _CJK.match(part[0])):
            out += " "
        out += part
    return out


# -- headline -------------------------------------------------------------------------------------------
_SITE_SUFFIX = re.compile(r"(?:\s+[-–—|·]\s+|--|__|[_|\-–—])([^_|\-–—]{1,20})$")
_SPACED_SITE = re.compile(
    r"\s+(\S{2,20}(?:网|网站|官网|门户|频道|在线|新闻|报|日报|晚报|电视台|中心|办事处|政府|委员会|局|厅|医院|"
    r"研究院|学院|大学|学校|公司|集团|协会|学会))$"
)


def clean_title(title: str) -> str:
    """Drop site names a <title> carries: `标题_网易新闻`, `标题-新华网`, `标题 | 站名`."""
    title = normalize(title)
    while (m := _SITE_SUFFIX.search(title)) and len(title[: m.start()].strip()) >= 6:
        title = title[: m.start()].strip()
    return title


def clean_page_title(title: str, site: str | None = None) -> str:
    """A <title> as a headline when nothing printed matches it: site names after a separator, and an
    organization's or site's name after a plain space (`标题 某某医院`), dropped."""
    title = clean_title(title)
    if site and title.endswith(site) and len(title) > len(site) + 6:
        title = title[: -len(site)].rstrip(" -_|·")
    if (m := _SPACED_SITE.search(title)) and len(title[: m.start()]) >= 8:
        title = title[: m.start()]
    return title


def page_refs(tree: Any, meta: dict[str, str]) -> list[str]:
    """What the page says its title is, outside the printed text: <title>, og:title and the like."""
    refs = [normalize(" ".join(t.text_content() for t in tree.iter("title")))]
    refs += [normalize(meta[k]) for k in TITLE_META if meta.get(k)]
    return [r for r in dict.fromkeys(refs) if r]


def _runs(page: Page, limit: int = 4) -> list[tuple[str, int, int, Line]]:
    """(text, first line index, last line index, first line) of each line and of each run of up to
    `limit` consecutive lines of one element (a headline broken by <br>)."""
    out = []
    lines = page.lines
    for i, line in enumerate(lines):
        if line.chars > 120:
            continue
        parts = [line.text]
        out.append((line.text, i, i, line))
        for j in range(i + 1, min(i + limit, len(lines))):
            if lines[j].owner is not line.owner or lines[j].chars > 80 or lines[j].bold != line.bold:
                break
            parts.append(lines[j].text)
            out.append((join_lines(parts), i, j, line))
    return out


def _rank(line: Line) -> int:
    """2 for a heading (h1-h6, a title class), 1 for a bold line, else 0."""
    owner = line.owner
    words = f"{owner.get('class') or ''} {owner.get('id') or ''}"
    return 2 if line.heading or _TITLE_CLASS.search(words) else int(line.bold)


def _headingish(line: Line) -> bool:
    """Whether a line looks like a heading (h1-h6, a title class, bold)."""
    return _rank(line) > 0


def find_title(page: Page, refs: list[str]) -> tuple[str, int] | None:
    """The printed headline that the page's <title>/og:title contains (or that contains one of them
    after a short badge), and its line index; None where none does."""
    if not refs:
        return None
    targets = [(flat(r), flat(clean_title(r)), r) for r in refs]
    best: tuple[tuple, str, int] | None = None
    for text, index, _last, line in _runs(page):
        f = flat(text)
        if len(f) < 5:
            continue
        for whole, cleaned, ref in targets:
            if f in whole and len(f) >= max(5, 0.5 * len(cleaned)):
                found, size = text, len(f)
            elif cleaned in f and len(cleaned) >= 5 and len(f) - len(cleaned) <= 6 and _headingish(line):
                found, size = clean_title(ref), len(cleaned)
            else:
                continue
            key = (line.link_share < 0.5, size, _rank(line) == 2, -index)
            if best is None or key > best[0]:
                best = (key, found, index)
    return (best[1], best[2]) if best else None


_NOT_HEADLINE = re.compile(
    r"^[（(【\[]?\s*(?:原标题|原题|来源|作者|记者|编辑|责任编辑|发布|时间|日期|图为|图：|图/|摄影|当前位置|您的位置|首页)"
)
_DATE_ONLY = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|\d{1,2}:\d{2}")


def heading_before(page: Page, index: int, window: int = 60) -> tuple[str, int] | None:
    """The headline where the <title> names none: among the heading-like lines (h1-h6 and title classes,
    then bold lines; the lines of one element joined, as a headline broken by <br>) in the `window`
    lines before line `index`, h1 first, the nearest first; bylines, dates, captions and 原标题 lines are
    not headlines."""
    best: tuple[tuple, str, int] | None = None
    lo = max(0, index - window)
    for text, i, last, line in _runs(page):
        if not lo <= i or last >= index or line.link_share >= 0.5 or not _headingish(line):
            continue
        size = len(flat(text))
        if not 6 <= size <= 80 or _NOT_HEADLINE.match(text) or _DATE_ONLY.search(text):
            continue
        level = 7 - int(line.owner.tag[1]) if line.owner.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 0
        key = (_rank(line), level, size >= 10, last, size)
        if best is None or key > best[0]:
            best = (key, text, last)
    return (best[1], best[2]) if best else None


# -- publish time ---------------------------------------------------------------------------------------
_TIME_PART = r"(?P<H>[01]?\d|2[0-3])\s*[:：]\s*(?P<M>[0-5]\d)(?:\s*[:：]\s*(?P<S>[0-5]\d))?(?!\d)"
_PRINTED_TIME = re.compile(
    r"(?<![\d:])(?:(?P<y>(?:19|20)\d\d)\s*(?:[-/.年]|\s)\s*|(?P<y2>\d\d)[-/.])?"
    r"(?P<m>1[0-2]|0?[1-9])\s*[-/.月]\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*日?\s*"
    r"(?:[(（]?\s*(?:星期|周)[一二三四五六日天]\s*[)）]?)?\s*" + _TIME_PART
)
_PRINTED_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>1[0-2]|0?[1-9])\s*[-/.月]\s*(?P<d>3[01]|[12]\d|0?[1-9])"
    r"(?:\s*日|(?![\d]))"
)
_NOT_PUBLISHED = re.compile(r"(?:更新|修改|修订|生成|截至|截止|编辑于|统计|访问|浏览)\S{0,4}\s*[:：]?\s*$")
_LABEL = re.compile(r"(?:发布|发表|首发|刊发|出版|时间|日期|发布于|发表于)\s*[:：]?\s*$")
_DIGIT = re.compile(r"\d")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|T\d{2}|^\d{10}(?:\d{3})?$")
_DASHED = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})-(\d{1,2}:\d{2})")  # 2007-08-20-23:59:59
_SCRIPT_KEYS = re.compile(
    r"""(?<![\w.$])["']?(datePublished|publishDate|publish_?[Tt]ime|pub_?[Dd]ate|pub_?[Tt]ime|"""
    r"""first_?[Pp]ublish(?:ed)?_?[Tt]ime|create_?[Tt]ime|ctime|ct)["']?\s*[:=]\s*["']?"""
    r"""([0-9][0-9\-/:. T+Z年月日]{7,30})"""
)
_EPOCH_ONLY = frozenset({"ct", "ctime", "createTime", "create_time", "create_Time", "createtime"})


def _year_for(month: int, day: int, others: list[datetime]) -> int | None:
    """The year of a year-less printed date: that of markup on the same day, else of any markup."""
    for when in others:
        local = when.astimezone(SH)
        if (local.month, local.day) == (month, day):
            return local.year
    return others[0].astimezone(SH).year if others else None


def _printed(match: re.Match[str], others: list[datetime]) -> datetime | None:
    """The time a `_PRINTED_TIME` match says (a two-digit year is 20xx), or None."""
    g = match.groupdict()
    month, day = int(g["m"]), int(g["d"])
    if g.get("y"):
        year = int(g["y"])
    elif g.get("y2"):
        year = 2000 + int(g["y2"])
    else:
        year = _year_for(month, day, others)
        if year is None:
            return None
    try:
        return datetime(
            year, month, day, int(g.get("H") or 0), int(g.get("M") or 0), int(g.get("S") or 0), tzinfo=SH
        )
    except ValueError:
        return None


def _parse(value: str) -> datetime | None:
    """A markup date value (2007-08-20-23:59:59 too), or None when unreadable or outside 1990-2100."""
    value = _DASHED.sub(r"\1 \2", value.strip())
    try:
        when = parse_date(value)
    except DateError:
        return None
    return when if 1990 <= when.year <= 2100 else None


def meta_times(meta: dict[str, str]) -> list[tuple[datetime, bool]]:
    """(time, whether it has a time of day) of each publish-time meta tag, best first."""
    out = []
    for key in DATE_META:
        if key in meta and (when := _parse(meta[key])):
            out.append((when, bool(_HAS_TIME.search(meta[key]))))
    return out


def script_times(scripts: str) -> list[tuple[datetime, bool]]:
    """(time, has a time of day) of the publish-time variables in the page's scripts, in order."""
    out = []
    for m in _SCRIPT_KEYS.finditer(scripts):
        key, value = m.group(1), m.group(2).strip().rstrip(".")
        if key in _EPOCH_ONLY and not re.fullmatch(r"\d{10}(?:\d{3})?", value):
            continue
        if when := _parse(value):
            out.append((when, bool(_HAS_TIME.search(value))))
    return out


def _context_ok(text: str, start: int) -> bool:
    """Whether what precedes a printed time does not call it an update or generation time."""
    return not _NOT_PUBLISHED.search(text[max(0, start - 12) : start])


def printed_times(lines: Sequence[Line], others: list[datetime]) -> list[tuple[datetime, int, bool]]:
    """(time, line index, labelled as published) of every date with a time of day printed in these
    lines (the lines joined, so that a time split over elements is found), update times left out."""
    text, starts = "", []
    for line in lines:
        if _DIGIT.search(line.text, 0, LINE_CHARS):
            starts.append((len(text), line.index))
            text += line.text[:LINE_CHARS] + " "
    out = []
    for m in _PRINTED_TIME.finditer(text):
        if not _context_ok(text, m.start()) or not (when := _printed(m, others)):
            continue
        index = next(i for pos, i in reversed(starts) if pos <= m.start())
        labelled = bool(_LABEL.search(text[max(0, m.start() - 8) : m.start()]))
        out.append((when, index, labelled))
    return out


def printed_dates(lines: Sequence[Line]) -> list[tuple[datetime, int, bool]]:
    """(date, line index, labelled) of every full date (year, month, day) printed in these lines."""
    out = []
    for line in lines:
        head = line.text[:LINE_CHARS]
        for m in _PRINTED_DATE.finditer(head):
            if not _context_ok(head, m.start()):
                continue
            try:
                when = datetime(int(m.group("y")), int(m.group("m")), int(m.group("d")), tzinfo=SH)
            except ValueError:
                continue
            labelled = bool(_LABEL.search(head[max(0, m.start() - 8) : m.start()]))
            out.append((when, line.index, labelled))
    return out


def find_published(
    page: Page,
    meta: dict[str, str],
    scripts: str,
    anchor: int | None,
    body_start: int | None,
) -> datetime | None:
    """The publish time, by the order of evidence in the module's docstring. `anchor` is the headline's
    line index (or None), `body_start` the body's first line index (or None). A printed time to the
    minute takes its seconds from markup that agrees with it to the minute."""
    metas, scripted = meta_times(meta), script_times(scripts)
    exact = [w for w, has in metas + scripted if has]
    when = _published(page, metas, scripted, anchor, body_start)
    if when is not None and when.second == 0:
        minute = when.astimezone(SH).replace(second=0, microsecond=0)
        for other in exact:
            if other.astimezone(SH).replace(second=0, microsecond=0) == minute:
                return other
    return when


def _published(
    page: Page,
    metas: list[tuple[datetime, bool]],
    scripted: list[tuple[datetime, bool]],
    anchor: int | None,
    body_start: int | None,
) -> datetime | None:
    """The publish time by the order of evidence, before the seconds are filled in."""
    exact = [w for w, has in metas + scripted if has]
    others = exact + [w for w, _ in metas + scripted]
    lines = page.lines
    # 1. printed near the headline: from a few lines before it to the body's start
    if anchor is not None or body_start is not None:
        lo = max(0, (anchor if anchor is not None else body_start or 0) - 3)
        hi = body_start if body_start is not None and body_start > lo else lo + 25
        hi = min(hi, lo + 40, len(lines))
        near = printed_times(lines[lo:hi], others)
        center = anchor if anchor is not None else lo
        after = [t for t in near if t[1] >= center]
        if after:
            return after[0][0]
        if near:
            return near[-1][0]
    everywhere = printed_times([ln for ln in lines if not ln.noise and ln.link_share < 0.5], others)
    # 2. labelled anywhere but in comments and link lists (发布时间：…)
    for when, _index, labelled in everywhere:
        if labelled:
            return when
    # 3. meta tags, 4. script variables, with a time of day
    if exact:
        return exact[0]
    # 5. a date alone: between the headline and the body, labelled, or meta/script (never one in the story);
    #    made exact by a time on that day
    dates = printed_dates(lines)
    day: datetime | None = None
    if dates:
        center = anchor if anchor is not None else (body_start or 0)
        end = body_start if body_start is not None and body_start > center else center + 25
        near_dates = [d for d in dates if center - 3 <= d[1] < end]
        labelled = [d for d in dates if d[2]]
        if near_dates or labelled:
            day = (near_dates or labelled)[0][0]
    if day is None and (metas or scripted):
        day = (metas + scripted)[0][0]
    if day is None and everywhere:
        return everywhere[0][0]
    if day is None:
        return None
    for when in exact + [w for w, _, _ in everywhere]:
        if when.astimezone(SH).date() == day.astimezone(SH).date():
            return when
    return day

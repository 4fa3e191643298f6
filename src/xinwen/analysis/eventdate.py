"""The date of the event a news story tells of, read from its text, and whether the story is a republication.

A story's publish time says when a page went out; a newsroom wants to know when the thing it reports
happened, and whether a page is last year's story printed again. Chinese news states the event's date in a
few fixed ways, which this module reads:

- a dateline: 新华社北京6月1日电, 中新网杭州６月１９日电, ２０１２年７月１８日北京讯, 中广网遂川６月１３日消息,
  （搜狐体育 ４月２２日广州报道）: the report's date;
- a full date: 2010年4月24日, 二〇一二年六月一日, 2008年九月九号 (上午/下午/晚/19:00 after it, 当地时间 before);
- a month and day without a year: 7月6日举行的… It is read in the publish year; when that would put it
  more than `PLAN_WINDOW_DAYS` after publication, a past event is meant and it is read in the year before
  (a CMS republishing last July's story in April: the sample page); nearer, or with words of a plan
  (将于, 拟, 起, 距…还有), it is a plan, not the event reported;
- a day of the month alone: 李强27日在京会见, 当地时间11日: the publish month, or the month before when the
  day is after the publish day;
- a relative day: 今天/今日/今晨/今晚/即日起 (0), 昨天/昨日/昨晚/昨夜 (-1), 前天/前日/前晚 (-2), 明天/明日 (+1),
  read against the dateline's date when the story has one, else against the publish date; with a date in
  brackets after it (今天（5月15日）) the bracketed date is read;
- a labelled date in an event notice: 时间：2009年6月25日上午11:00.

The main event's date is the first one of the lead (the sentences at the top of the body; after a
dateline, its first sentence, and the next when that opens with its date) that is not a side date. Side
dates are told by the words around them: deadlines and periods (截至…, …以来, 自…, …前, …止, 起施行,
6月1日至8月31日), plans (将于, 拟, 预计, 定于, anything after publication), looks back (去年7月23日,
今年5月10日 weeks before publication, 在此之前，…), dates inside a 《title》. Three refinements:
- when the first time expression of the lead is vague (近日, 日前, 近期, 上周, 今年以来, 上半年, 7月初,
  2021年，), the main event has no stated day and the function abstains (None) rather than return a side
  date further on (日前，森永乳业宣布召回。记者昨日向超市查询…: None). After a stretch of time rather
  than a day some days ago (最近, 近期, 2007年8月起, not 近日, 日前, 上周), the next sentence, or a date
  opening its clause within two sentences, can still state it (最近，楼市备受关注。…2009年8月1日，样板间开放);
- a date that says when something was said (6日发表声明说，…基地5日晚遭到袭击, 据媒体8日报道，…7日晚发生)
  gives way to the date of the event reported in the same sentence;
- a lead that opens with history (2019年5月7日，总书记…。五年来，…; 2022年9月26日，管道爆炸。…记者8日发表
  文章) tells of the later news: the history date gives way to a date near publication in the next two
  sentences, and to nothing (None) when those are vague or count the years since (五年来, 一周年).

A relative day without a publish date or dateline, or a month and day without a year, cannot be placed:
only dates with a year count then.

`republication` flags a story printed more than `FIRST_PRINTING_AFTER_DAYS` after the first printing of its
copy cluster, or more than `EVENT_AFTER_DAYS` after the date of the event it tells of.

Everything is a handful of precompiled regular expressions over the first few hundred characters of the
body, some tens of microseconds per article: it runs at ingest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

# A date at most this many days after the reference (the dateline or publish date) is still the event's
# (明天（10月1日）出版的《人民日报》, time zones).
FUTURE_SLACK_DAYS = 1
# A month and day without a year that would lie up to this many days after publication is a plan (an
# announcement of a meeting, a rule taking effect); further ahead, it is last year's day: news reports
# past events, and plans announced without a year are rarely more than two months ahead.
PLAN_WINDOW_DAYS = 60
# A date with a year more than this many days before the reference that opens the lead is history when
# the next sentences bring the news (2019年5月7日，…讲话。五年来，…).
HISTORY_DAYS = 60
# How many characters of the body are read for the main event's date: a dateline in the first
# DATELINE_CHARS, the lead in the LEAD_CHARS after it, a labelled date (时间：…) in the first LABEL_CHARS.
DATELINE_CHARS = 200
LEAD_CHARS = 300
LABEL_CHARS = 1500
# A story printed more than FIRST_PRINTING_AFTER_DAYS after the first printing of its copy cluster, or
# more than EVENT_AFTER_DAYS after its event date, is a republication. Copies of a story are syndicated
# within days, so a month marks a reprint. The event date is a reading of the text, and papers do report
# events weeks late (a meeting made public after a month and a half, a feature on a month-old rescue:
# 4-7 weeks in sogou400's hand-read stories), so the text alone needs three months: a CMS that prints
# last year's story again (the sample page: 9 months) is still far beyond that.
FIRST_PRINTING_AFTER_DAYS = 30
EVENT_AFTER_DAYS = 90

# -- the text the expressions run over: full-width digits, letters and punctuation folded to ASCII, one
# character for one, so that every offset found is an offset into the original text
_WIDE = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " ", "\xa0": " "})

_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_SP = "[ \u3000]{0,2}"
_YEAR = rf"(?P<y>(?:19|20)\d{{2}}|[〇零○一二][〇零○一二三四五六七八九]{{3}}){_SP}年{_SP}的?"
_MONTH = rf"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]){_SP}月{_SP}"
_DAY = rf"(?P<d>3[01]|[12]\d|0?[1-9]|三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九]){_SP}(?P<dm>日|号)"
_PREFIX = r"(?P<pre>(?:当地|北京|美东|东部|格林尼治|日本|伦敦|华盛顿|纽约)时间 ?|今年 ?|去年 ?|前年 ?|明年 ?)?"
_REL = (r"(?P<rel>今天|今日|今晨|今早|今晚|今夜|昨天|昨日|昨晚|昨夜|昨晨|前天|前日|前晚|明天|明日|即日(?=起))"
        r"(?!头条|说法|关注|美国|俄罗斯|中国|印度|亚洲|视点|话题|之星|之|黄花|世界|时代)")
# an explicit date in brackets right after a relative day: 今天（5月15日）, 昨晚(8月29日), 今天（12日）
_BRACKET = (rf"(?:{_SP}[(（](?P<by>(?:19|20)\d{{2}} ?年 ?)?(?P<bm>1[0-2]|0?[1-9]) ?月 ?(?P<bd>3[01]|[12]\d|0?[1-9]) ?日"
            rf"[^)）]{{0,6}}[)）]|{_SP}[(（](?P<bd2>3[01]|[12]\d|0?[1-9]) ?日[)）])?")
_VAGUE = (
    r"(?P<vague>近日|日前|近期|最近(?=[,，]|几|一段|一周|一个|两|三)|前不久|不久前|连日来|近来|这几天|这些天|前些天|"
    r"前段时间|近段时间|近一段时间|上周[一二三四五六日末]?|本周[一二三四五六日末]?|这周|上个?星期[一二三四五六日天]?|"
    r"上个?月|本月|这个月|今年以来|年初以来|入[春夏秋冬]以来|[今去]年上半年|上半年|下半年|前三季度|"
    r"[今去]年前?[一二三四]季度|第?[一二三四]季度|[今去]年前[一二三四五六七八九十两]+个?月|前[一二三四五六七八九十两]+个?月|"
    r"[今去]年[初底末]|年[初底末]|月[初底末]|多年来|近年来|近年|[一二三四五六七八九十百几两]+年来|以来|"
    r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]) ?月(?:初|中旬|上旬|下旬|底|末|份|中)|"
    r"(?:19|20)\d{2} ?年 ?(?:1[0-2]|0?[1-9]) ?月(?! ?\d)|"
    r"(?:(?:19|20)\d{2} ?年|今年|去年)(?=[,，、 ]))"
)
_TOKEN = re.compile(
    r"(?=[0-9〇零○一二三四五六七八九十百几两当北美东格日伦华纽今去前明昨即近最不连这上本入多年月第以])"
    rf"(?:(?P<date>{_PREFIX}(?<![\d.\-/])(?:{_YEAR})?(?:{_MONTH})?{_DAY})"
    rf"|(?P<relx>(?:(?:当地|北京)时间 ?)?{_REL}{_BRACKET})"
    rf"|{_VAGUE})"
)
# a dateline: agency and place, the date, then 电/讯/消息 (新华社北京6月1日电, 中国网６月１１日讯), or a
# bracketed byline's 报道 ((搜狐体育 陶冶 ４月２２日广州报道))
_DATELINE = re.compile(
    rf"(?<![\d.])(?:{_YEAR})?(?:{_MONTH})?{_DAY}[\u4e00-\u9fff]{{0,6}}?(?P<suffix>电|讯|消息|报道)(?!息|号)"
)
_DATELINE_HINT = re.compile(r"日[\u4e00-\u9fff]{0,6}?(?:电|讯|消息|报道)")  # a literal first: a fast scan
# a labelled date in an event notice (时间：2010年12月2日); the label may carry a word before 时间
_LABEL = re.compile(r"(?:^|[\s|,，。;；:：])(?P<lab>[\u4e00-\u9fff]{0,4}(?:时间|日期))\s{0,2}[:：]\s{0,3}")
_NOT_EVENT_LABEL = re.compile(r"发布|发稿|更新|编辑|来源|截止|报名|报道|出版|录入|修改|上传|入住|交房|有效|开奖|兑奖")

# the words around a date that make it a side date
_SIDE_BEFORE = re.compile(
    r"(?:截至|截止|截止到|截止至|至|到|直到|直至|迄今|早在|将于|将在|将|拟于|拟在|拟|定于|计划于|计划在|计划|"
    r"预计于|预计在|预计|有望于|有望在|有望|预定|原定|曾于|曾在|曾|上一次|上次|此前|每年|每月|每逢|每|"
    r"不晚于|最迟|最晚|须在|需在|应在)\s*$"
)
_DEADLINE_BEFORE = re.compile(r"(?:截止|截至|期限|有效期|到期)[^,，。;；]{0,5}$")  # 兑奖截止日为…
_TIME_OF_DAY = r"(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|晚间|晚|夜间|夜里|深夜|零时)"
_SIDE_AFTER = re.compile(
    rf"(?: ?(?:{_TIME_OF_DAY}|[\d:：]+|[0-9一二三四五六七八九十点时分许]+))?\s*"
    r"(?:起施行|起实施|起执行|起生效|起正式|起开始|施行|实施|生效|前(?!往|来|夕|后|方|线|锋|沿|景|任|身|所|列|进)|"
    r"以前|之前|前后|之后|以后|后(?![,，]?[\u4e00-\u9fff]{0,2}[说称表示])|止|为止|截止|到期|届满|期间|至今|"
    r"开始施行|正式施行|正式实施|正式生效|到来之际|之际|以来|左右(?=[\u4e00-\u9fff])|入住|交房|交付|出生)"
)
_LOOKING_BACK = re.compile(r"(?:在此之前|此前|之前|早在|去年|前年|当年|那年|那时)[,，] ?$")  # 在此之前，5月1日，…
_STARTING = re.compile(r" ?[^\s,，。]{0,8}?起")  # 6月1日(零时)起 …: a plan when it lies ahead
_FUTURE_WORDS = re.compile(r"将|即将|拟|预计|计划|届时|有望|准备|打算|距")
# a period: 6月1日至8月31日, 2012年11月8日至2022年8月底 (a short span, 18日至19日, is one event)
_RANGE = re.compile(r" ?(?:至|到|—|－|-|～|~) ?(?:(?P<ry>(?:19|20)\d{2}) ?年 ?)?(?:(?P<rm>1[0-2]|0?[1-9]) ?月 ?)?"
                    r"(?:(?P<rd>3[01]|[12]\d|0?[1-9]) ?日|(?P<rv>底|末|初|中旬|下旬|上旬))?")
_PERIOD_DAYS = 10
# a day of the month that is a count, not a date: 3日游, 30日内, 5日均线, 近3日, 每月15日, 连续5日
_NOT_A_DAY_AFTER = re.compile(r"(?:内|以内|之内|游|均|间|来|余|多|制|工作日|元|天|期|夜(?!间|里)|日)")
_NOT_A_DAY_BEFORE = re.compile(r"(?:近|连续|每|第|数|几|个|共|历时|为期|用时|未来|过去|前|后|这|那|的|逾|超过|约)$")
# a date that says when something was said or reported: 6日发表声明说，…5日晚遭到袭击 (the event is the 5th)
_REPORTING = re.compile(r"[^,，。;；!！?？]{0,10}?(?:表示|称|说|报道|发表声明|声明|宣布|透露|证实|指出|通报|披露|"
                        r"发布消息)|[^,，。;；!！?？]{0,20}?(?:获悉|了解到|得知)")
# a date that opens its clause as its time (2009年8月1日，… / 昨天上午，…)
_ADVERBIAL = re.compile(rf"{_TIME_OF_DAY}?[\d:：时点分许半左右]*\s*[,，]")
# years counted since a date: the date is history (五年来, 一周年, 至今)
_SINCE = re.compile(r"[一二三四五六七八九十百几两\d]+ ?(?:年来|周年)|一年来|至今|这一天|那一天")
_NOW = re.compile(r"目前|如今|现在|当前|眼下")  # …桥梁垮塌。目前，灾害调查评估工作已经结束: the news is now
_PERIOD_STOP = re.compile(r"[。!！?？]")  # a sentence's end (line ends also end headings and bylines)
# vague words for a day some days ago (the event's, unstated), as against a stretch of time (最近, 近期, 今年以来)
_POINT_VAGUE = re.compile(r"近日|日前|前不久|不久前|这几天|这些天|前些天|上周|本周|这周|上个?星期")
_FULL_STOP = re.compile(r"[。!！?？\n]")
_SENTENCE_END = re.compile(r"[。!！?？;；\n]")
_BOUNDARIES = re.compile(r"(?:[。!！?？][”’\"')）]?|\n)(?:[\s。!！?？]*\n)?")
_CLAUSE_END = re.compile(r"[,，;；。!！?？\n]")
_LAST_CLAUSE = re.compile(r"[^,，;；。!！?？\n]*$")
_BOOK_TITLE = re.compile(r"《[^《》\n]{0,80}》")
_OPENER = re.compile(r"[\s?？]*(?:(?:当地|北京)时间 ?|今年 ?)?")
_NEEDS_FOLDING = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # full-width digits or letters


@dataclass(frozen=True)
class EventDate:
    """The date of a story's main event, the words that state it and where they are.

    `field` is "body" or "title" (the title is read only when there is no body); `start`/`end` index the
    date expression itself in that field; `evidence` is that expression with the rest of its clause (a
    phrase to show); `kind` says how the date was stated: "dateline", "labelled", "date" (with a year),
    "month-day", "day" or "relative"; `confidence` is a rough 0-1 figure by kind."""

    date: date
    evidence: str
    start: int
    end: int
    field: str
    kind: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["date"] = self.date.isoformat()
        return d


@dataclass(frozen=True)
class Republication:
    """A story printed well after its first printing or its event: `original` is the date to show as
    首发于 (the first printing's date when that flagged it, else the event date), `reason`
    "first-printing" or "event-date", `days` how far the publish date lies after `original`."""

    original: date
    reason: str
    days: int

    def to_dict(self) -> dict[str, Any]:
        return {"original": self.original.isoformat(), "reason": self.reason, "days": self.days}


_CONFIDENCE = {"dateline": 0.9, "labelled": 0.9, "date": 0.95, "month-day": 0.9, "day": 0.85, "relative": 0.85}
_REL_DAYS = {"今": 0, "昨": -1, "前": -2, "明": 1, "即": 0}


@dataclass
class _Found:
    """One time expression: `kind` "vague", "none" (not a date after all) or how it states a date;
    `value` the date (None when it cannot be placed); `side` whether its words make it a side date."""

    kind: str
    start: int
    end: int
    value: date | None
    side: bool


def _fold(text: str) -> str:
    """Full-width digits, letters and punctuation as ASCII, one character for one (offsets stay); only
    when the text has full-width digits or letters: the expressions take either form of punctuation."""
    return text.translate(_WIDE) if _NEEDS_FOLDING.search(text) else text


def _as_date(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def _number(text: str | None) -> int | None:
    """An Arabic or Chinese numeral as an int (2012, 二〇一二, 十二, 二十一, 三十); None when absent."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if "十" in text:
        head, _, tail = text.partition("十")
        return (_CN_DIGIT.get(head, 1) if head else 1) * 10 + (_CN_DIGIT.get(tail, 0) if tail else 0)
    value = 0
    for ch in text:
        if ch not in _CN_DIGIT:
            return None
        value = value * 10 + _CN_DIGIT[ch]
    return value


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_before(ref: date, day: int) -> date | None:
    y, m = (ref.year, ref.month - 1) if ref.month > 1 else (ref.year - 1, 12)
    return _make(y, m, day)


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """The words of the clause before a match (at most 12 characters) and after it (at most 24)."""
    before = _LAST_CLAUSE.search(text, max(0, start - 12), start).group()
    after = text[end : end + 24]
    m = _CLAUSE_END.search(after)
    return before, after[: m.start()] if m else after


def _clause_before(text: str, start: int) -> str:
    """The clause before a match, up to 30 characters (将分别于2023年3月5日和3月4日…: 将 is far back)."""
    return _LAST_CLAUSE.search(text, max(0, start - 30), start).group()


_YEAR_ONLY = re.compile(r"((?:19|20)\d{2}) ?年(?! ?(?:1[0-2]|0?[1-9]) ?月)(?!\d)")


def _year_in_sentence(text: str, start: int) -> int | None:
    """The year named earlier in the same sentence, when one is (2012年伦敦奥运会将于7月27日开幕)."""
    head = text[max(0, start - 40) : start]
    cut = max(head.rfind(c) for c in "。!！?？\n")
    years = _YEAR_ONLY.findall(head, cut + 1)
    return int(years[-1]) if years else None


def _is_period(after: str, y: int | None, mo: int | None, d: int, ref: date | None) -> bool:
    """Whether `after` continues the date into a period longer than a short event (至8月31日, 至2022年8月底)."""
    m = _RANGE.match(after)
    if not m or not (m.group("rd") or m.group("rv")):
        return False
    if m.group("rv"):
        return True  # …至8月底: a stretch of weeks
    year = int(m.group("ry")) if m.group("ry") else (y or (ref.year if ref else 2000))
    start = _make(y or year, mo or (ref.month if ref else 1), d)
    end = _make(year, int(m.group("rm")) if m.group("rm") else (mo or (ref.month if ref else 1)), int(m.group("rd")))
    if start is None or end is None:
        return False
    if end < start:  # 12月28日至1月3日
        end = _make(end.year + 1, end.month, end.day) or end
    return (end - start).days > _PERIOD_DAYS


def _resolve_date(m: re.Match[str], text: str, ref: date | None) -> _Found:
    """A date expression (Y年M月D日, M月D日, D日) placed against `ref` (the dateline or publish date)."""
    start, end = m.span("date")
    pre = (m.group("pre") or "").strip()
    y, mo, d = _number(m.group("y")), _number(m.group("m")), _number(m.group("d")) or 0
    before, after = _context(text, start, end)
    kind = "date" if y else "month-day" if mo else "day"
    if kind == "day" and (m.group("dm") == "号" or not m.group("d").isdigit() or _NOT_A_DAY_AFTER.match(after)
                          or _NOT_A_DAY_BEFORE.search(text, max(0, start - 2), start)):
        return _Found("none", start, end, None, True)
    if not before and _LOOKING_BACK.search(text, max(0, start - 8), start):
        before = "此前"
    side = bool(_SIDE_BEFORE.search(before) or _DEADLINE_BEFORE.search(before) or _SIDE_AFTER.match(after))
    side = side or "以来" in after or (before.endswith("自") and "起" not in after and "开始" not in after)
    side = side or _is_period(after, y, mo, d, ref)
    starting = bool(_STARTING.match(after))
    planned = bool(_FUTURE_WORDS.search(_clause_before(text, start)) or _FUTURE_WORDS.search(after[:12])
                   or starting)
    if y is None and mo is not None and ref is not None and not pre:
        y = _year_in_sentence(text, start)  # 2026年高考全国统考于6月7日开始举行: the sentence's year
    value: date | None = None
    if y is not None and mo is not None:
        value = _make(y, mo, d)
    elif mo is not None and ref is not None:
        if pre.startswith("去年"):  # last year's: the event only when it was days ago (去年12月31日 in January)
            value = _make(ref.year - 1, mo, d)
            side = side or value is None or (ref - value).days > 31
        elif pre.startswith(("前年", "明年")):
            value, side = _make(ref.year + (-2 if pre.startswith("前年") else 1), mo, d), True
        else:
            value = _make(ref.year, mo, d)
            if value is not None and pre.startswith("今年"):
                # 今年5月10日，…: weeks back, a look back (of last week one writes 10日 or 上周)
                side = side or (ref - value).days > 7
            elif value is not None and (value - ref).days > FUTURE_SLACK_DAYS:
                if planned or side or (value - ref).days <= PLAN_WINDOW_DAYS:
                    side = True  # a plan this year
                else:  # a past event months "ahead": last year's (a story printed again, or a look back)
                    value = _make(ref.year - 1, mo, d)
    elif mo is None and ref is not None:
        if d <= ref.day + FUTURE_SLACK_DAYS:
            value = _make(ref.year, ref.month, d)
        elif planned or side:
            value, side = _make(ref.year, ref.month, d), True
        else:
            value = _month_before(ref, d)
    if value is not None and ref is not None and (value - ref).days > FUTURE_SLACK_DAYS:
        side = True  # a plan, not the event reported
    if value is not None and ref is not None and starting and (ref - value).days > 7:
        side = True  # 自2023年1月1日起…: since when a rule has applied, not the news
    return _Found(kind, start, end, value, side)


def _resolve_relative(m: re.Match[str], text: str, ref: date | None) -> _Found:
    """A relative day (今天, 昨晚 …), with the date in brackets after it when there is one."""
    start, end = m.span("relx")
    rel = m.group("rel")
    before, after = _context(text, start, end)
    # 截至今天17时 is a count as of today: today is the news
    side = bool(_SIDE_BEFORE.search(before) and not before.endswith(("截至", "截止", "截止到", "到", "至")))
    side = side or bool(_SIDE_AFTER.match(after)) or "以来" in after
    if rel.startswith("今天") and after.startswith("的") and not m.group("bm"):
        return _Found("none", start, end, None, True)  # 今天的中国: today in general, not a day
    value: date | None = None
    if m.group("bm"):  # the date in brackets says it outright
        mo, d = int(m.group("bm")), int(m.group("bd"))
        if m.group("by"):
            value = _make(int(m.group("by")[:4]), mo, d)
        elif ref is not None:  # the year that puts it nearest the day the words name (明天（1月1日）on 12-31)
            named = ref + timedelta(days=_REL_DAYS[rel[0]])
            options = [v for v in (_make(named.year + dy, mo, d) for dy in (-1, 0, 1)) if v is not None]
            value = min(options, key=lambda v: abs((v - named).days)) if options else None
            if value is not None and (value - ref).days > FUTURE_SLACK_DAYS + 1:
                value = _make(value.year - 1, mo, d)  # "today" cannot lie ahead: a day last year
    elif ref is not None:
        value = ref + timedelta(days=_REL_DAYS[rel[0]])
        if m.group("bd2") and int(m.group("bd2")) != value.day:
            value = None
    return _Found("relative", start, end, value, side)


def _dateline(norm: str, published: date | None) -> tuple[_Found | None, int]:
    """The dateline near the top of the body, and where the text after it begins."""
    hint = _DATELINE_HINT.search(norm, 0, DATELINE_CHARS)
    m = _DATELINE.search(norm, max(0, hint.start() - 14), hint.end()) if hint else None
    if not m:
        return None, 0
    # a dateline opens the story: only an agency, a place or a bracketed byline before it
    head = norm[: m.start()]
    last = max(head.rfind(c) for c in "。!！?？；;\n")
    if last >= 0 and m.start() - last > 14:
        return None, 0
    if m.group("suffix") == "报道" and max(head.rfind("("), head.rfind("（")) <= max(last, head.rfind(")"), head.rfind("）")):
        return None, 0  # 据媒体8日报道 is a report's date; (搜狐体育 4月22日广州报道) is a byline's
    y, mo, d = _number(m.group("y")), _number(m.group("m")), _number(m.group("d")) or 0
    if m.group("dm") != "日" or not (mo or m.group("d").isdigit()):
        return None, 0  # 华龙一号核电…: a name, not a date
    value: date | None = None
    if y and mo:
        value = _make(y, mo, d)
    elif mo and published is not None:
        value = _make(published.year, mo, d)
        if value is not None and (value - published).days > FUTURE_SLACK_DAYS:
            value = _make(published.year - 1, mo, d)
    elif published is not None:
        value = _make(published.year, published.month, d) if d <= published.day + 1 else _month_before(published, d)
    return _Found("dateline", m.start(), m.end(), value, False), m.end()


def _labelled(body: str) -> _Found | None:
    """时间：2009年6月25日 in an event notice (a full date only)."""
    if "时间" not in body[:LABEL_CHARS] and "日期" not in body[:LABEL_CHARS]:
        return None
    norm = _fold(body[:LABEL_CHARS])
    for m in _LABEL.finditer(norm):
        if _NOT_EVENT_LABEL.search(m.group("lab")):
            continue
        t = _TOKEN.match(norm, m.end())
        if t and t.group("date") and t.group("y") and t.group("m"):
            value = _make(_number(t.group("y")) or 0, _number(t.group("m")) or 0, _number(t.group("d")) or 0)
            if value is not None:
                return _Found("labelled", t.start("date"), t.end("date"), value, False)
    return None


def _tokens(norm: str, begin: int, stop: int, ref: date | None) -> Iterator[_Found]:
    """Every time expression in norm[begin:stop], placed and classified; none inside a 《title》
    (《2025年数字化绿色化协同转型发展工作要点》 names a document, it does not date an event)."""
    titles = [t.span() for t in _BOOK_TITLE.finditer(norm, begin, stop)] if "《" in norm[begin:stop] else []
    for m in _TOKEN.finditer(norm, begin, stop):
        if titles and any(a < m.start() < b for a, b in titles):
            continue
        if m.group("date"):
            yield _resolve_date(m, norm, ref)
        elif m.group("relx"):
            yield _resolve_relative(m, norm, ref)
        else:
            yield _Found("vague", m.start(), m.end(), None, False)


def _adverbial(norm: str, found: _Found, begin: int) -> bool:
    """Whether a date opens its clause as the clause's time (…。2009年8月1日，合立方的样板间…)."""
    head = norm[max(begin, found.start - 6) : found.start]
    head = re.sub(r"(?:当地|北京)时间 ?$|今年 ?$", "", head)
    opens = not head or head[-1] in "。!！?？;；\n,，:：)） "
    return opens and bool(_ADVERBIAL.match(norm, found.end))


def _opens_sentence(norm: str, start: int) -> bool:
    """Whether the expression at `start` opens its sentence (当地时间 or 今年 may come first)."""
    head = norm[max(0, start - 8) : start]
    cut = max(head.rfind(c) for c in "。!！?？\n")
    return cut >= 0 and _OPENER.fullmatch(head[cut + 1 :]) is not None


def _sentences_end(norm: str, pos: int, stop: int, n: int) -> int:
    """Where the n-th sentence end after `pos` lies (or `stop`)."""
    for _ in range(n):
        m = _FULL_STOP.search(norm, pos, stop)
        if not m:
            return stop
        pos = m.end()
    return pos


def _scan(norm: str, begin: int, stop: int, ref: date | None, lead_end: int | None = None
          ) -> tuple[_Found | None, bool]:
    """The main event's expression in norm[begin:stop], and whether the lead's time is vague.

    The first expression that is not a side date is the main event's (past `lead_end`, the end of the
    sentence after a dateline, only one that opens its sentence). When a vague one (近日, 上周) comes
    first, the main event has no stated day. Only after a stretch of time (最近, 近期, 2007年8月起, not a day
    some days ago like 近日 or 日前) can the sentence right after it, or a date that opens its clause within
    two sentences, still state one: the vague words then set the scene (最近，楼市备受关注。…2009年8月1日，…).
    Expressions are read as far as needed: most stories are decided by their first."""
    source = (f for f in _tokens(norm, begin, stop, ref) if f.kind != "none" and not f.side)
    seen: list[_Found] = []

    def following(k: int, until: int) -> Iterator[_Found]:
        """The expressions after the k-th that start before `until`."""
        i = k + 1
        while True:
            if i >= len(seen):
                nxt = next(source, None)
                if nxt is None:
                    return
                seen.append(nxt)
            if seen[i].start >= until:
                return
            yield seen[i]
            i += 1

    vague_at: int | None = None
    point = False
    k = -1
    while True:
        k += 1
        if k >= len(seen):
            nxt = next(source, None)
            if nxt is None:
                return None, vague_at is not None
            seen.append(nxt)
        found = seen[k]
        if lead_end is not None and found.start >= lead_end and not _opens_sentence(norm, found.start):
            continue
        if found.kind == "vague":
            vague_at = found.start
            point = _POINT_VAGUE.match(norm, found.start) is not None
            continue
        old = found.value is not None and ref is not None and (ref - found.value).days > HISTORY_DAYS
        if old and found.kind == "date" and _PERIOD_STOP.search(norm, begin, found.start):
            continue  # …战旗讲述着那场战役：1943年3月18日…: a date of years ago past the lead sentence is history
        if vague_at is not None:
            if old or point:
                # 日前，森永乳业宣布召回…。记者昨日向超市查询: a day "a few days ago" is the news' (日前, 近日,
                # 上周); only a stretch of time (最近，楼市备受关注) can be the scene a dated event follows
                continue
            between = len(_BOUNDARIES.findall(norm, vague_at, found.start))
            attributive = norm[found.start - 1 : found.start] == "于" or "的" in norm[found.end : found.end + 6]
            if not (between == 1 and not attributive or between <= 2 and _adverbial(norm, found, begin)):
                continue  # 近日，…惹来骂声。这篇发表于5月11日的文章…: a side detail of a vague event
        if found.value is not None and _REPORTING.match(norm, found.end):
            end = _SENTENCE_END.search(norm, found.end, stop)
            for other in following(k, end.start() if end else stop):
                if other.kind != "vague" and other.value is not None and 0 <= (found.value - other.value).days <= 31:
                    return other, False  # 6日发表声明说，…基地5日晚遭到袭击: the event reported
        if found.kind == "date" and found.value is not None:
            end = _sentences_end(norm, found.end, stop, 2)
            return _after_history(norm, found, list(following(k, end)), end, ref)
        return found, False


def _after_history(norm: str, found: _Found, window: list[_Found], end: int, ref: date | None
                   ) -> tuple[_Found | None, bool]:
    """A lead that opens with a date of years ago and then tells the news (see the module's docstring);
    `window` holds the expressions of the two sentences after it, which end at `end`."""
    assert found.value is not None
    if ref is None:  # 1987年9月14日，我国发出首封电子邮件。2009年1月6日上午，…: history, then news
        for other in window:
            if other.kind == "date" and other.value is not None and (other.value - found.value).days > 366:
                return other, False
        return found, False
    if (ref - found.value).days <= HISTORY_DAYS:
        return found, False
    for other in window:
        if other.kind == "vague":
            return None, True  # …事故，造成54人死亡。日前，国务院审议通过了调查报告: the news is vague
        if other.value is not None and abs((ref - other.value).days) <= HISTORY_DAYS:
            return other, False
    if _SINCE.search(norm, found.end, end) or _NOW.search(norm, found.end, end):
        return None, True  # 2019年5月7日，总书记…讲话。五年来，…: years counted since; or 目前，…
    return found, False


def event_date(title: str, body: str, published: date | datetime | None = None) -> EventDate | None:
    """The date of the main event `title`/`body` tells of, or None when the story does not state one
    (or states it vaguely: 近日, 上周, 今年以来). Relative dates are read against the dateline's date,
    else against `published`; without either, only dates with a year count. The title is read only when
    there is no body."""
    pub = _as_date(published)
    field, text = ("body", body) if body and body.strip() else ("title", title or "")
    norm = _fold(text[: DATELINE_CHARS + LEAD_CHARS])
    line, after_line = _dateline(norm, pub)
    ref = line.value if line is not None and line.value is not None else pub
    stop = min(len(norm), after_line + LEAD_CHARS)
    # after a dateline, the lead sentence dates the event when it is not the dateline's day; the next
    # sentence only when it opens with its date (…一文引起重视。9日上午，顺河政府回应称…)
    lead_end = None
    if line is not None:
        lead_end = _sentences_end(norm, after_line, stop, 1)
        stop = _sentences_end(norm, lead_end, stop, 1)
    found, vague = _scan(norm, after_line, stop, ref, lead_end)
    if found is None:
        # the lead's words are vague, or silent; an event notice's 时间：… still states the day
        found = _labelled(text) or (None if vague else line)
    if found is None or found.value is None:
        return None
    confidence = _CONFIDENCE[found.kind] - (0.1 if found.start - after_line > 150 else 0.0)
    return EventDate(found.value, _phrase(text, found.start, found.end), found.start, found.end, field, found.kind,
                     round(confidence, 2))


def _phrase(text: str, start: int, end: int, limit: int = 30) -> str:
    """The expression found and the rest of its clause, as evidence to show."""
    tail = text[end : end + limit]
    m = _CLAUSE_END.search(tail)
    return (text[start:end] + (tail[: m.start()] if m else tail)).strip()


def republication(published: date | datetime | None, event: EventDate | date | datetime | None,
                  first_printing: date | datetime | None = None) -> Republication | None:
    """Whether a story published at `published` is a republication: printed more than
    FIRST_PRINTING_AFTER_DAYS after the first printing of its copy cluster (`first_printing`, the earliest
    publish date among its copies), or more than EVENT_AFTER_DAYS after the date of the event it tells of
    (`event`, from `event_date`). None when it is not, or when there is no publish date to judge by."""
    pub = _as_date(published)
    if pub is None:
        return None
    first = _as_date(first_printing)
    if first is not None and (pub - first).days > FIRST_PRINTING_AFTER_DAYS:
        return Republication(first, "first-printing", (pub - first).days)
    when = event.date if isinstance(event, EventDate) else _as_date(event)
    if when is not None and (pub - when).days > EVENT_AFTER_DAYS:
        return Republication(when, "event-date", (pub - when).days)
    return None


def is_republished(published: date | datetime | None, event: EventDate | date | datetime | None,
                   first_printing: date | datetime | None = None) -> bool:
    """`republication(published, event, first_printing) is not None`: see there."""
    return republication(published, event, first_printing) is not None

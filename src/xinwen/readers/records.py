"""Field mapping shared by the JSON and CSV readers: one flat record -> one Article."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from xinwen.article import Article, Problem, RelatedRef
from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.text import normalize

# Aliases per Article field, in order of preference (keys are compared lower-cased).
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "标题", "题目"),
    "body": ("body", "content", "text", "article", "正文", "内容", "abstract", "摘要"),
    "published": (
        "published", "date", "time", "pubdate", "pub_date", "publish_time", "published_at",
        "datetime", "created_at", "发布时间", "时间", "日期",
    ),
    "url": ("url", "link", "链接", "网址"),
    "source": ("source", "site", "media", "来源", "媒体"),
    "tags": ("tags", "keywords", "关键词", "标签"),
    "id": ("id",),
    "category": ("category", "label", "分类", "类别"),
}  # fmt: skip
_ROLE = {alias: role for role, aliases in FIELDS.items() for alias in aliases}
# xinwen's own output (write_jsonl) carries these; read them back as they were.
_OWN = ("source_tags", "source_related", "snippet", "extra", "read_from", "origin", "event_date", "provenance")

TAG_SPLIT = re.compile(r"[,，|;；、\s]+")


def split_tags(value: Any) -> list[str]:
    """A tag list from a list or from a string separated by , ， | ; 、 or white space."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else TAG_SPLIT.split(str(value))
    out: list[str] = []
    for item in items:
        tag = normalize(str(item)) if item is not None else ""
        if tag and tag not in out:
            out.append(tag)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return normalize(value)
    if isinstance(value, list | tuple):
        return normalize("\n\n".join(str(v) for v in value if v is not None))
    return normalize(str(value))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def to_article(rec: dict[str, Any], file: str, line: int) -> tuple[Article | None, list[Problem]]:
    """Map one record to an Article. Problems are returned alongside; the Article is
    None only when the record has neither a title nor a body."""
    chosen: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    own: dict[str, Any] = {}
    for key, value in rec.items():
        k = key.strip().lower() if isinstance(key, str) else str(key)
        role = _ROLE.get(k)
        if k in _OWN:
            own[k] = value
        elif role is None:
            extra[key] = value
        elif _empty(value):
            continue
        elif role not in chosen or FIELDS[role].index(k) < FIELDS[role].index(chosen[role][0]):
            if role in chosen:
                extra[chosen[role][2]] = chosen[role][1]
            chosen[role] = (k, value, key)
        else:
            extra[key] = value
    get = {role: v for role, (_k, v, _key) in chosen.items()}
    problems: list[Problem] = []
    title, body = _text(get.get("title")), _text(get.get("body"))
    if not title and not body:
        return None, [Problem(file, line, "title", "record has neither a title nor a body")]
    if not title:
        title = derive_title(body)
        extra["title_derived"] = True
    published = None
    if "published" in get:
        try:
            published = parse_date(get["published"])
        except DateError as e:
            problems.append(Problem(file, line, "published", f"{e.message}; stored without a date"))
    if isinstance(own.get("extra"), dict):
        extra = {**own["extra"], **extra}
    if "source_tags" in own:  # our own output: `tags` are computed tags there
        source_tags, tags = split_tags(own["source_tags"]), split_tags(get.get("tags"))
    else:
        source_tags, tags = split_tags(get.get("tags")), []
    related = []
    for ref in own.get("source_related") or []:
        if isinstance(ref, dict) and ref.get("title"):
            related.append(
                RelatedRef(
                    _text(ref["title"]), split_tags(ref.get("tags")), _text(ref.get("snippet")), ref.get("id")
                )
            )
    url = str(get["url"]).strip() if "url" in get else None
    article = Article(
        title=title,
        body=body,
        id=str(get["id"]).strip() if "id" in get else "",
        url=url or None,
        source=_text(get.get("source")) or None,
        published=published,
        category=_text(get.get("category")) or None,
        tags=tags,
        snippet=_text(own.get("snippet")),
        source_tags=source_tags,
        source_related=related,
        extra=extra,
        read_from=f"{file}:{line}",
    )
    return article, problems


def records_to_items(records: Iterable[Any], name: str) -> Iterator[Article | Problem]:
    """Articles (and problems) of records given as dicts, numbered from 1 in `name`."""
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            yield Problem(name, n, None, f"expected a JSON object, got {type(rec).__name__}")
            continue
        try:
            article, problems = to_article(rec, name, n)
        except Exception as e:  # one hostile record: that record only
            yield Problem(name, n, None, f"cannot read the record: {type(e).__name__}: {e}; record skipped")
            continue
        yield from problems
        if article is not None:
            yield article


# --- titles for records that run the title into the body (THUCNews / cnews) ---

_OUTLETS = (
    "新浪(?:体育|娱乐|财经|科技|教育|游戏|房产|家居|时尚|女性|汽车|新闻)?|本报|晨报|新报|新快报|南方日报|"
    "广州日报|羊城晚报|京华时报|新京报|北京晨报|北京青年报|北京商报|北京考试报|扬子晚报|华西都市报|信息时报|"
    "第一财经日报|每日经济新闻|经济观察报|上海证券报|中国证券报|证券时报|证券日报|21世纪经济报道|"
    "东方早报|每经|新华网|新华社|人民网|中新网|中新社|中国新闻网|中广网|央视网|全景网|环球网|国际在线|中国日报网|"
    "搜狐[\u4e00-\u9fff]{0,2}|网易[\u4e00-\u9fff]{0,2}|腾讯[\u4e00-\u9fff]{0,2}|凤凰网[\u4e00-\u9fff]{0,2}"
)
_DATE_CN = r"(?:\d{4}年)?(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})日"
_MARKERS = re.compile(
    # 新华网北京7月26日电, 新浪体育讯, 据新华社电, 新快报(微博)讯
    rf"据?(?:{_OUTLETS})(?:\(微博\))?\s*(?:[\u4e00-\u9fff]{{0,8}}?{_DATE_CN})?\s*"
    r"(?:讯|电|消息|报道|[（(]记者)"
    rf"|(?:{_OUTLETS})?(?:实习|见习)?记者(?=\s|昨|今|日前|近日|获悉|从|了解|走访|[\u4e00-\u9fff]{{2,3}}\s)"
    r"|[□⊙\-—]?本报记者|[（(【\[]\s*记者|记者[：:]|文/|作者[：:]|导语[：:]|编辑(?:点评|观点)[：:]"
    r"|[\u4e00-\u9fff]{0,2}简介[：:]|核心提示|主持人[：:]|摘要[：:]"
    rf"|北京时间|当地时间|{_DATE_CN}(?:消息|电|讯)|据[^，。！？]{{1,15}}?(?:报道|消息|透露)"
    rf"|[【（(](?:ZOL|中关村在线|太平洋电脑网|IT168|PConline|天极网)"
    # 2008年，吴尊以… / 11月28日，记者从…: a date opens the body
    rf"|\d{{4}}年[^，。！？\s]{{0,6}}，|(?<!\d){_DATE_CN}[^，。！？\s]{{0,4}}，"
    r"|[\u4e00-\u9fff]{2,4}报(?=[（(]记者)|[\u4e00-\u9fff]{2,3}时间(?=\d)|【"
    r"|(?:随着|近日|日前|昨日|昨天|记者从|据悉|据了解|截至|为了)"
)
_PICTURE = re.compile(r"[(（](?:组图|图|图文|视频)[)）]")
_CLAUSE_END = re.compile(r"[，。！？；!?;\n]")
_SENTENCE_END = re.compile(r"[。\n]")
_BOOK = re.compile(r"《[^》]{1,20}》")
TITLE_MAX = 30


def derive_title(text: str) -> str:
    """A title for text whose title runs into the body with no separator.

    Cut before the first dateline marker (新浪体育讯, 本报讯, 新华网北京7月26日电,
    北京时间, 本报记者, 据…报道, 导语：, …) or after a (图)/(组图) mark when one occurs
    within the first 60 characters (and at least 4 in); otherwise take the first
    clause and cut it at a word boundary to at most 30 characters.
    """
    end = _SENTENCE_END.search(text, 0, 60)
    head = text[: end.start() if end else 60]  # a title does not run past a full stop
    cuts = []
    if pic := _PICTURE.search(head, 4):
        cuts.append(pic.end())
    if m := _MARKERS.search(head, 4):
        cuts.append(m.start())
    if (book := _BOOK.match(head)) and (again := head.find(book.group(), book.end() + 4)) > 0:
        cuts.append(again)  # 《失落时空II》沟通玩家积极更新《失落时空II》至…: the body names it again
    if len(head) > 12 and (again := head.find(head[:6], 6)) > 0:
        cuts.append(again)  # the body starts by repeating the title
    if cuts and min(cuts) <= TITLE_MAX + 10:
        return text[: min(cuts)].strip(" -—□⊙:：")
    end = _CLAUSE_END.search(text)
    clause = text[: end.start()] if end else text
    if len(clause) <= TITLE_MAX:
        return clause.strip()
    return _cut_words(clause, TITLE_MAX)


def _cut_words(text: str, limit: int) -> str:
    import rjieba

    out = ""
    for token in rjieba.cut(text[: limit + 12]):
        if len(out) + len(token) > limit:
            break
        out += token
    return (out or text[:limit]).strip()

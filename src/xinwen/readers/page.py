"""The news-page text format (see xinwen/data/news-page.txt).

    标题标签1|标签2|标签3            title with the source's 3 tags, the first glued on
    (blank)
    发布时间:Apr 14, 2024 02:15 AM
    (blank)
    body paragraphs, blank lines between
    (blank)
    related title标签1|标签2|标签3   each related entry: its header line printed twice,
    related title标签1|标签2|标签3
    (blank)
    snippet (~250 characters)

Several pages may share a file, separated by a line `---`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TextIO

from xinwen.article import Article, Problem, RelatedRef, make_id
from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.text import normalize

_DATE_LINE = re.compile(r"^\s*(?:发布时间|发表时间|时间|日期)\s*[:：]\s*(.*?)\s*$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WORDISH = re.compile(r"^[\w\u4e00-\u9fff]+$")
PAGE_BREAK = "---"
TAGS_PER_HEADER = 3


def sniff(text: str) -> bool:
    """First line, a blank line, then a line starting with 发布时间."""
    lines = text.lstrip("\ufeff\n\r \t").split("\n", 3)
    return len(lines) >= 3 and not lines[1].strip() and lines[2].lstrip().startswith("发布时间")


# --- the header line ----------------------------------------------------------------


def split_header(line: str) -> tuple[str, list[str]]:
    """`title` + `tag1|tag2|tag3` -> (title, [tag1, tag2, tag3]).

    The first tag is glued to the title. It is taken as the last 1..3 word tokens of
    what precedes the first `|`, choosing the run that is a dictionary word and looks
    like the other tags (length, number of tokens); on a tie, the shortest run.
    """
    line = line.strip()
    if "|" not in line:
        return line, []
    head, *rest = line.rsplit("|", TAGS_PER_HEADER - 1)
    rest = [t.strip() for t in rest]
    head = head.strip()
    first = _glued_tag(head, [t for t in rest if t])
    if not first:
        return head, [t for t in rest if t]
    return head[: len(head) - len(first)], [first] + [t for t in rest if t]


def _glued_tag(head: str, others: list[str]) -> str:
    import rjieba

    tokens = rjieba.cut(head)
    if len(tokens) < 2:
        return ""
    lengths = [len(t) for t in others] or [2]
    shapes = [len(rjieba.cut(t)) for t in others] or [1]
    best, best_score = "", None
    for j in range(1, min(3, len(tokens) - 1) + 1):
        cand = "".join(tokens[-j:])
        if not _WORDISH.match(cand):
            break  # tags hold no punctuation or spaces: stop at the title's last mark
        score = 0
        score += 2 if rjieba.has_word(cand) else 0
        score += 2 if cand in others else 0
        score += 1 if min(lengths) <= len(cand) <= max(lengths) else 0
        score += 1 if j in shapes else 0
        score -= 2 if len(cand) == 1 and min(lengths) > 1 else 0
        score -= 2 if cand.isdigit() else 0
        if best_score is None or score > best_score:
            best, best_score = cand, score
    return best


def format_header(title: str, tags: list[str]) -> str:
    return title + "|".join(tags)


def format_time(published: datetime) -> str:
    """`Apr 14, 2024 02:15 AM`, in Asia/Shanghai time."""
    from xinwen.dates import _zone

    d = published.astimezone(_zone("Asia/Shanghai")) if published.tzinfo else published
    hour, half = d.hour % 12 or 12, "PM" if d.hour >= 12 else "AM"
    return f"{_MONTHS[d.month - 1]} {d.day:02d}, {d.year} {hour:02d}:{d.minute:02d} {half}"


# --- reading ------------------------------------------------------------------------


def read_page(text: str, name: str) -> Iterator[Article | Problem]:
    """Yield the main article of each page, then its related entries as articles."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    start = 0
    for i, line in enumerate(lines + [PAGE_BREAK]):
        if line.strip() == PAGE_BREAK:
            if any(x.strip() for x in lines[start:i]):
                yield from _one_page(lines[start:i], start, name)
            start = i + 1


def _one_page(lines: list[str], offset: int, name: str) -> Iterator[Article | Problem]:
    n = len(lines)
    i = 0
    while i < n and not lines[i].strip():
        i += 1
    head_no = offset + i + 1
    title, tags = split_header(normalize(lines[i]))
    if not title:
        yield Problem(name, head_no, "title", "page has an empty title line")
        return
    i += 1
    while i < n and not lines[i].strip():
        i += 1
    published = None
    m = _DATE_LINE.match(lines[i]) if i < n else None
    if m:
        try:
            published = parse_date(m.group(1))
        except DateError as e:
            yield Problem(name, offset + i + 1, "published", f"{e.message}; stored without a date")
        i += 1
    else:
        yield Problem(name, head_no, "published", "no 发布时间 line after the title; stored without a date")
    related_at = [k for k in range(i, n - 1) if lines[k].strip() and lines[k] == lines[k + 1]]
    body_end = related_at[0] if related_at else n
    related: list[tuple[int, Article]] = []
    for r, k in enumerate(related_at):
        end = related_at[r + 1] if r + 1 < len(related_at) else n
        r_title, r_tags = split_header(normalize(lines[k]))
        snippet = normalize("\n".join(lines[k + 2 : end]))
        rid = make_id(r_title)
        related.append(
            (
                k,
                Article(
                    title=r_title, body=snippet, id=rid, source_tags=r_tags, read_from=f"{name}:{offset + k + 1}"
                ),
            )
        )
    main = Article(
        title=title,
        body=normalize("\n".join(lines[i:body_end])),
        published=published,
        source_tags=tags,
        source_related=[RelatedRef(a.title, list(a.source_tags), a.body, a.id) for _k, a in related],
        read_from=f"{name}:{head_no}",
    )
    yield main
    for _k, article in related:
        yield article


# --- writing ------------------------------------------------------------------------


def format_page(article: Article) -> str:
    parts = [format_header(article.title, article.source_tags), ""]
    if article.published:
        parts += ["发布时间:" + format_time(article.published), ""]
    parts.append(article.body)
    for ref in article.source_related:
        header = format_header(ref.title, ref.tags)
        parts += ["", header, header, "", ref.snippet]
    return "\n".join(parts)


def write_page(articles: Iterable[Article], fp: TextIO) -> int:
    """Write articles in the news-page format; return the number of pages written.

    An article that another one lists among its related entries is written inside
    that page, not again as a page of its own. Pages are separated by a `---` line.
    """
    articles = list(articles)
    listed = {ref.id for a in articles for ref in a.source_related if ref.id}
    mains = [a for a in articles if a.id not in listed] or articles[:1]
    fp.write(("\n" + PAGE_BREAK + "\n").join(format_page(a) for a in mains))
    return len(mains)

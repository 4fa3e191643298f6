"""Article HTML pages: headline, publish time and body of a Chinese news page.

The page is parsed once (stray </html> and </body> tags, which make libxml2 drop everything after them,
are removed first) and its visible text cut into lines (`extract.page_lines`). The headline and the
publish time come from what the page prints, checked against its markup (`pagemeta`); the body is the
densest run of punctuated, unlinked prose, trimmed of bylines, editor and copyright lines, share prompts,
related lists and comment boxes (`extract`). Only when the visible text holds no prose is hidden text
read too, and only when that holds none either is trafilatura asked; a page that prints no date gets
the one in its URL, else htmldate's guess.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from xinwen.article import Article, Problem
from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.readers.extract import body_text, extract_body, page_lines, trim
from xinwen.readers.pagemeta import (
    DATE_META,
    SH,
    clean_page_title,
    clean_title,
    find_published,
    find_title,
    heading_before,
    page_refs,
)
from xinwen.readers.records import derive_title
from xinwen.text import normalize

__all__ = ["DATE_META", "clean_title", "extract_article", "read_html", "sniff", "strip_html"]

for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.ERROR)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_STRAY_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|section|article)\s*>")
_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_SENTENCE_END = re.compile(r"[。！？!?]|[.](?:\s|$)")
SCRIPT_CHARS = 1 << 20  # script text searched for publish-time variables


def sniff(text: str) -> bool:
    """Whether a text looks like an HTML document."""
    head = text[:2048].lstrip().lower()
    return (
        head.startswith("<!doctype html") or "<html" in head or ("<head" in head and "<body" in text.lower())
    )


def strip_html(fragment: str) -> str:
    """Text of an HTML fragment (feed summaries): paragraphs kept as line breaks."""
    if "<" not in fragment and "&" not in fragment:
        return normalize(fragment)
    text = _BREAK.sub("\n", _SCRIPT.sub("", fragment))
    return normalize(htmllib.unescape(_TAG.sub("", text)))


def parse(text: str) -> Any:
    """The page's tree. A </html> or </body> before the end makes libxml2 drop what follows (gov.cn
    pages close their header's </html> early); without them it closes the document itself."""
    import lxml.html

    text = _STRAY_END.sub("", _XML_DECL.sub("", text, count=1))
    return lxml.html.fromstring(text)


def _meta(tree: Any) -> dict[str, str]:
    """The page's meta tags (name=, property= or itemprop=, lower-cased) and, as "time.datetime", the
    first <time datetime=...> element."""
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        content = el.get("content")
        if key and content and content.strip():
            out.setdefault(key.strip().lower(), content.strip())
    for el in tree.iter("time"):
        if (value := el.get("datetime")) and value.strip():
            out.setdefault("time.datetime", value.strip())
            break
    return out


@dataclass
class Extracted:
    """What a page says: headline, publish time, body, its meta tags and <link rel> targets."""

    title: str
    published: datetime | None
    body: str
    meta: dict[str, str]
    links: dict[str, str | None]
    credit: str | None = None  # a source line printed beside the story, outside its body (来源：观察者网)


def extract_article(text: str, url: str | None = None) -> Extracted:
    """Headline, publish time and body of one page (raises lxml's errors for text that is not HTML).

    The headline is looked for first (a printed line the <title> names); the body is the best prose
    container after it, or, where the headline found is not followed by the page's prose, anywhere, and
    the headline is then the heading nearest before that body. The publish time is read around the
    headline (`pagemeta.find_published`), else from the page's URL, else htmldate's guess."""
    tree = parse(text)
    meta = _meta(tree)
    links = {(el.get("rel") or "").lower(): el.get("href") for el in tree.iter("link")}
    scripts = "\n".join(s.text or "" for s in tree.iter("script"))[:SCRIPT_CHARS]
    refs = page_refs(tree, meta)
    for hidden in (False, True):  # a page that hides its story until a script shows it: read hidden text too
        page = page_lines(tree, hidden=hidden)
        found = find_title(page, refs)
        lines, trusted = extract_body(page, found[1] if found else None)
        if any(ln.stops for ln in lines):
            break
    anchor: int | None = None
    if found and trusted:
        title, anchor = found
    elif (story := trim(lines)) and (near := heading_before(page, story[0].index + 1)):
        title, anchor = near
        lines = [ln for ln in lines if ln.index > anchor]
    elif found:
        title = found[0]
    else:
        title = clean_page_title(refs[0], meta.get("og:site_name")) if refs else ""
    lines = trim(lines, title)
    credit = _credit(page, anchor, lines)
    body = body_text(lines) or _trafilatura_body(text, url)
    published = find_published(page, meta, scripts, anchor, lines[0].index if lines else None)
    if published is None:
        page_url = links.get("canonical") or meta.get("og:url") or url
        published = url_date(page_url) if page_url else None
    if published is None:
        published = _htmldate(tree)
    return Extracted(normalize(title), published, body, meta, links, credit)


CREDIT_LINES = 12  # lines between the headline and the body, and after the body, read for a source line
_CREDIT = re.compile(r"(?:来源|稿源|文章来源|本文来源|出处)\s*[:：]|转自|本文来自|据\S{2,8}报道")


def _credit(page: Any, anchor: int | None, lines: list[Any]) -> str | None:
    """The page's source line outside the body (the byline block under the headline, or the lines the
    body's end was cut from): the first line near the story that credits an outlet, as printed."""
    if not lines:
        return None
    start = anchor + 1 if anchor is not None else max(0, lines[0].index - CREDIT_LINES)
    near = page.lines[start : lines[0].index][-CREDIT_LINES:] + page.lines[lines[-1].index + 1 :][:CREDIT_LINES]
    for line in near:
        text = line.text.strip()
        found = _CREDIT.search(text) if len(text) <= 120 else None
        if found:  # from the credit on: 2019-09-26 12:11来源：证券时报网 作者：…
            return normalize(text[found.start() :])
    return None


_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?!\d)")


def url_date(url: str) -> datetime | None:
    """The date in an article URL (/2019-09-07/, /20190907/, /2019/09/07/), where the page gives none."""
    path = urlsplit(url.strip()).path
    if not (m := _URL_DATE.search(path)):
        return None
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=SH)
    except ValueError:
        return None


def _htmldate(tree: Any) -> datetime | None:
    """htmldate's guess (a date without a time): the last resort, for pages that print no date."""
    from htmldate import find_date

    try:
        found = find_date(tree, extensive_search=False, original_date=True)
        return parse_date(found) if found else None
    except (DateError, ValueError, TypeError):
        return None


def _trafilatura_body(text: str, url: str | None) -> str:
    """trafilatura's text of the page: the second opinion where no prose block was found, kept only when
    it is prose (a sentence end, 20 characters) rather than a menu."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(text, url=url, with_metadata=False, include_comments=False)
    except Exception:  # a third-party extractor's own failure: no body rather than no article
        return ""
    body = normalize(doc.text or "") if doc else ""
    return body if len(body) >= 20 and _SENTENCE_END.search(body) else ""


def read_html(text: str, name: str, url: str | None = None) -> Iterator[Article | Problem]:
    """Yield the one article of an HTML page (or a Problem when it has no article text)."""
    import lxml.etree

    try:
        page = extract_article(text, url)
    except (ValueError, lxml.etree.ParserError) as e:
        yield Problem(name, None, None, f"cannot parse HTML: {e}")
        return
    title, body, meta = page.title, page.body, page.meta
    if not title and not body:
        yield Problem(name, None, "title", "no article found in the page (no title, no text)")
        return
    if not body:
        yield Problem(name, None, "body", "no article text found in the page; stored with the title only")
    page_url = page.links.get("canonical") or meta.get("og:url") or url
    source = meta.get("og:site_name") or meta.get("application-name")
    if not source and page_url and page_url.startswith("http"):
        source = urlsplit(page_url.strip()).hostname
    yield Article(
        title=title or derive_title(body),
        body=body,
        url=page_url.strip() if page_url and page_url.strip().startswith("http") else url,
        source=normalize(source) if source else None,
        published=page.published,
        extra=({"title_derived": True} if not title else {}) | ({"credit": page.credit} if page.credit else {}),
        read_from=f"{name}:1",
    )

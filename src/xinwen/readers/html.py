"""Article HTML pages: body text via trafilatura; title, date, url and site from the
page's own markup where it says them more exactly."""

from __future__ import annotations

import html as htmllib
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from xinwen.article import Article, Problem
from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.readers.records import derive_title
from xinwen.text import normalize

for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.ERROR)

# meta names (name=, property= or itemprop=, lower-cased) that carry the publish time, best first
DATE_META = (
    "article:published_time", "og:published_time", "og:release_date", "datepublished", "publishdate",
    "pubdate", "publish_time", "publishtime", "og:time", "apub:time", "firstpublishedtime",
    "weibo: article:create_at", "dc.date.issued", "dc.date", "date", "datecreated", "article:modified_time",
    "dateupdate", "weibo: article:update_at",
)  # fmt: skip
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"(?:\s+[-–—|]\s+|--|__|[_|\-–—])([^_|\-–—]{1,20})$")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|section|article)\s*>")
_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")


def sniff(text: str) -> bool:
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


def clean_title(title: str) -> str:
    """Drop site names a <title> carries: `标题_网易新闻`, `标题-新华网`, `标题 | 站名`."""
    title = normalize(title)
    while (m := _SITE_SUFFIX.search(title)) and len(title[: m.start()].strip()) >= 6:
        title = title[: m.start()].strip()
    return title


def _meta(tree: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        content = el.get("content")
        if key and content and content.strip():
            out.setdefault(key.strip().lower(), content.strip())
    return out


def _title(tree: Any, meta: dict[str, str]) -> str:
    page_title = normalize(" ".join(t.text_content() for t in tree.iter("title")))
    for h1 in tree.iter("h1"):
        text = normalize(h1.text_content())
        if len(text) >= 4 and page_title.startswith(text):
            return text
    if page_title:
        return clean_title(page_title)
    return normalize(meta.get("og:title") or "")


_PRINTED = re.compile(
    r"(?<!\d)((?:19|20)\d\d)\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?\s*(\d{1,2}:\d{2}(?::\d{2})?)(?!\d)"
)


def _published(meta: dict[str, str], raw: str, tree: Any) -> datetime | None:
    """The meta tags' publish time; else the first date with a time printed in the
    page (outside scripts); else htmldate's guess (a date without a time)."""
    for key in DATE_META:
        if key in meta:
            try:
                return parse_date(meta[key])
            except DateError:
                continue
    visible = _SCRIPT.sub("", raw)
    for m in _PRINTED.finditer(visible):
        try:
            return parse_date(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d} {m.group(4)}")
        except DateError:
            continue
    from htmldate import find_date

    found = find_date(tree, extensive_search=True, original_date=True)
    return parse_date(found) if found else None


def read_html(text: str, name: str, url: str | None = None) -> Iterator[Article | Problem]:
    """Yield the one article of an HTML page (or a Problem when it has no article text)."""
    import lxml.html
    import trafilatura

    text = _XML_DECL.sub("", text, count=1)
    try:
        tree = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError) as e:
        yield Problem(name, None, None, f"cannot parse HTML: {e}")
        return
    meta = _meta(tree)
    links = {(el.get("rel") or "").lower(): el.get("href") for el in tree.iter("link")}
    # trafilatura's own metadata pass (htmldate) is slow; the page's markup is read here instead
    try:
        doc = trafilatura.bare_extraction(text, url=url, with_metadata=False, include_comments=False)
    except Exception as e:  # a third-party extractor: one odd page must not stop a folder
        yield Problem(name, None, "body", f"cannot extract the article text: {e}")
        return
    title = _title(tree, meta)
    body = normalize(doc.text or "") if doc else ""
    if not title and not body:
        yield Problem(name, None, "title", "no article found in the page (no title, no text)")
        return
    if not body:
        yield Problem(name, None, "body", "no article text found in the page; stored with the title only")
    try:
        published = _published(meta, text, tree)
    except DateError as e:
        yield Problem(name, None, "published", f"{e.message}; stored without a date")
        published = None
    page_url = links.get("canonical") or meta.get("og:url") or url
    source = meta.get("og:site_name") or meta.get("application-name")
    if not source and page_url and page_url.startswith("http"):
        source = urlsplit(page_url.strip()).hostname
    yield Article(
        title=title or derive_title(body),
        body=body,
        url=page_url.strip() if page_url and page_url.strip().startswith("http") else url,
        source=normalize(source) if source else None,
        published=published,
        extra={"title_derived": True} if not title else {},
        origin=f"{name}:1",
    )

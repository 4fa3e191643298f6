"""Article links out of what a site publishes: RSS/Atom/JSON feeds, sitemaps (index, news sitemap, plain text
list), robots.txt Sitemap: lines, and home or section pages. Everything here parses text already fetched
(through the polite fetcher): nothing reads the network.

A feed lists articles by intent, so its links are kept as they are (canonicalized); a sitemap's are kept
unless their address says they are not articles (tag, list, video pages: urls.article_shape); a page's
links must look like articles (an article's address, a headline for text) and stay on the page's site.
trafilatura's helpers are used where they read text: `extract_robots_sitemaps` for robots.txt and
`determine_feed` for the feeds a page advertises; its link checks are not (they refuse IP addresses and
ports, which a local mirror or a test server has).
"""

from __future__ import annotations

import io
import json
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from xinwen.dates import parse_date
from xinwen.errors import DateError
from xinwen.follow.urls import article_shape, canonicalize, same_site
from xinwen.text import normalize

MAX_LINKS = 50_000  # a sitemap holds at most 50,000 addresses (sitemaps.org); a feed or page far fewer
_SITEMAP_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:urlset|sitemapindex)\b")
_FEED_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:rss|feed|RDF)\b")
_XML_START = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*|<\?[^>]*\?>\s*)*<", re.DOTALL)


@dataclass
class Link:
    """An article address found, with what the listing said about it."""

    url: str
    title: str = ""
    published: datetime | None = None


@dataclass
class Found:
    """What one document holds: its kind, article links, sitemaps to read next (a sitemap index,
    robots.txt) and feeds it advertises (a page's <link rel=alternate>)."""

    kind: str  # feed | sitemap | robots | page
    links: list[Link] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)


def kind_of(text: str, url: str, content_type: str = "") -> str:
    """feed, sitemap, robots or page, from the content first and the address and type after."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    path = urlsplit(url).path.lower()
    if path.endswith("/robots.txt"):
        return "robots"
    if head.startswith("{") and '"items"' in text[:1 << 20]:
        return "feed"  # a JSON feed (jsonfeed.org)
    if _XML_START.match(head) or head.startswith("<"):
        body = head[:4096]
        if _SITEMAP_ROOT.search(body):
            return "sitemap"
        if _FEED_ROOT.search(body) and "<html" not in body.lower():
            return "feed"
        return "page"
    if all(line.strip().startswith(("http://", "https://")) for line in head.splitlines()[:20] if line.strip()) \
            and head.strip():
        return "sitemap"  # a text sitemap: one address a line
    if "html" in content_type:
        return "page"
    return "unknown"


def discover(text: str, url: str, content_type: str = "") -> Found:
    """The links of one fetched document (`url` is where it came from, after redirects)."""
    kind = kind_of(text, url, content_type)
    if kind == "feed":
        return Found("feed", feed_links(text, url))
    if kind == "sitemap":
        links, children = sitemap_links(text, url)
        return Found("sitemap", links, children)
    if kind == "robots":
        return Found("robots", sitemaps=robots_sitemaps(text, url))
    if kind == "page":
        return Found("page", page_links(text, url), feeds=page_feeds(text, url))
    return Found(kind)


def _date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        return parse_date(value.strip())
    except (DateError, ValueError, OverflowError):
        return None


# -- feeds ----------------------------------------------------------------------------------------------
def feed_links(text: str, base: str) -> list[Link]:
    """The items of an RSS, Atom or JSON feed, in the feed's order, each once."""
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        return _json_feed(text, base)
    import feedparser

    # bytes, never a string: given one that names a file or URL, feedparser would open or fetch it itself
    parsed = feedparser.parse(io.BytesIO(text.encode("utf-8")), resolve_relative_uris=False, sanitize_html=False)
    out: dict[str, Link] = {}
    for entry in parsed.entries[:MAX_LINKS]:
        link = entry.get("link") or ""
        if not link and str(entry.get("id", "")).startswith("http"):
            link = entry["id"]  # an Atom entry whose only address is its id
        url = canonicalize(link, base) if link else None
        if url is None or url in out:
            continue
        with warnings.catch_warnings():  # feedparser warns about its published/updated aliasing
            warnings.simplefilter("ignore", DeprecationWarning)
            raw = entry.get("published") or entry.get("updated")
            parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
        published = _date(raw)
        if published is None and parsed_time:
            published = datetime(*parsed_time[:6], tzinfo=UTC)
        out[url] = Link(url, normalize(entry.get("title", "")), published)
    return list(out.values())


def _json_feed(text: str, base: str) -> list[Link]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return []
    items = doc.get("items") if isinstance(doc, dict) else None
    out: dict[str, Link] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if not link and str(item.get("id", "")).startswith(("http://", "https://")):
            link = item["id"]  # an id is an address only when it says so
        url = canonicalize(link, base) if isinstance(link, str) else None
        if url is None or url in out:
            continue
        title = item.get("title") if isinstance(item.get("title"), str) else ""
        when = item.get("date_published") or item.get("date_modified")
        out[url] = Link(url, normalize(title), _date(when) if isinstance(when, str) else None)
        if len(out) >= MAX_LINKS:
            break
    return list(out.values())


# -- sitemaps -------------------------------------------------------------------------------------------
def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def sitemap_links(text: str, base: str) -> tuple[list[Link], list[str]]:
    """(article links, child sitemaps) of an XML sitemap, a sitemap index or a text sitemap. A news
    sitemap's <news:title> and <news:publication_date> (else <lastmod>) come with each link; links to other
    sites and links whose address says they are no article (tags, lists, video) are left out; child
    sitemaps come newest first (by their <lastmod>)."""
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        urls = [canonicalize(line.strip()) for line in text.splitlines()[:MAX_LINKS] if line.strip()]
        return [Link(u) for u in dict.fromkeys(urls) if u and _keep(u, base)], []
    import lxml.etree

    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(text.lstrip("\ufeff \t\r\n").encode("utf-8"), parser)
    except lxml.etree.XMLSyntaxError:
        return [], []
    if root is None:
        return [], []
    links: dict[str, Link] = {}
    children: list[tuple[str, str]] = []
    for el in root.iter():
        name = _local(el.tag)
        if name not in ("url", "sitemap"):
            continue
        values: dict[str, str] = {}
        for child in el.iter():
            key = _local(child.tag)
            if key in ("loc", "lastmod", "publication_date", "title") and key not in values and child.text:
                values[key] = child.text.strip()
        loc = canonicalize(values.get("loc", ""))
        if not loc:
            continue
        if name == "sitemap":
            children.append((values.get("lastmod", ""), loc))
        elif loc not in links and _keep(loc, base):
            when = _date(values.get("publication_date")) or _date(values.get("lastmod"))
            links[loc] = Link(loc, normalize(values.get("title", "")), when)
        if len(links) + len(children) >= MAX_LINKS:
            break
    ordered = [u for _, u in sorted(children, key=lambda c: c[0], reverse=True)]
    return list(links.values()), list(dict.fromkeys(ordered))


def _keep(url: str, base: str) -> bool:
    return same_site(url, base) and article_shape(url)[0]


def robots_sitemaps(text: str, base: str) -> list[str]:
    """The sitemaps a robots.txt names on its Sitemap: lines."""
    from trafilatura.sitemaps import extract_robots_sitemaps

    if len(text) <= 10_000:  # trafilatura reads no longer one (it takes one that long for a redirect's page)
        found = extract_robots_sitemaps(text, base)
    else:
        found = [line.split(":", 1)[1].strip() for line in text.splitlines()
                 if line.split("#", 1)[0].strip().lower().startswith("sitemap:")]
    return [u for u in dict.fromkeys(canonicalize(x, base) for x in found) if u]


# -- pages ----------------------------------------------------------------------------------------------
def page_links(text: str, base: str) -> list[Link]:
    """The article links of a home or section page: on its site, shaped like articles, with headline text;
    in page order, each once (with the longest text any of its links has)."""
    import lxml.etree

    from xinwen.readers.html import parse

    try:
        tree = parse(text)
    except (ValueError, lxml.etree.ParserError):
        return []
    base_el = next(iter(tree.iter("base")), None)
    page_base = base
    if base_el is not None and base_el.get("href"):
        page_base = canonicalize(base_el.get("href"), base) or base
    out: dict[str, Link] = {}
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = canonicalize(href, page_base)
        if url is None or not same_site(url, base):
            continue
        text_of = normalize(a.text_content() or "") or normalize(a.get("title") or "")
        ok, _ = article_shape(url, text_of)
        if not ok:
            continue
        if url not in out or len(text_of) > len(out[url].title):
            out[url] = Link(url, text_of)
        if len(out) >= MAX_LINKS:
            break
    return list(out.values())


def page_feeds(text: str, base: str) -> list[str]:
    """The feeds a page advertises (<link rel=alternate type=application/rss+xml>, feed-like links)."""
    from trafilatura.feeds import FeedParameters, determine_feed

    host = urlsplit(base).hostname or ""
    try:
        found = determine_feed(text, FeedParameters(base, host, base))
    except Exception:  # a third-party helper's own failure: no feeds rather than no page
        return []
    return [u for u in dict.fromkeys(canonicalize(x, base) for x in found) if u and same_site(u, base)]

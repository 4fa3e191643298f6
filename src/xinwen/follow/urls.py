"""Article addresses: one spelling per page, and whether an address looks like an article at all.

Canonical form (`canonicalize`): resolved against the page it was found on, scheme and host lower-cased,
the default port, the fragment and tracking parameters (utm_*, spm, from, share and click ids, ...)
dropped, raw spaces and non-ASCII characters percent-encoded. Nothing else is rewritten: which of a
mobile and a desktop twin (m.sina.cn, news.sina.com.cn) is the article is decided by the page itself,
its <link rel=canonical> (readers/html.py), once it is fetched; a guess from host names would be wrong
somewhere.

Article or not (`article_shape`), by general rules rather than per-site lists: never a media or download
file, a login, search, tag, topic, list, video, gallery or ad address, a paginated list, or a site's front
or section index; an article address carries a date (/2024/06/01/, /20240601/, 2024-06-01), a long numeric
id (6+ digits, in the path or an id= parameter), a long letters-and-digits id (10+), or names a page
(.html, .shtml, .htm) that is not an index and not a word (a digit in it, or a slug of 3+ words: not
dl.html or accessibility.htm); on a section page, its link text is a headline (5+ characters),
not a menu word.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING = frozenset("""
spm scm from frm fr wfr f tt_from share_token share_from shareid share_id sharer_sharetime sharer_shareid
sharer_shareinfo sharer_shareinfo_first wxshare_count isappinstalled nsukey scene clicktime enterid
fbclid gclid dclid yclid msclkid igshid twclid mc_cid mc_eid _hsenc _hsmi ncid ocid cmpid ref referer refer
referrer source_from track_id trackid ad_id
""".split())
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")

MEDIA = frozenset("""
jpg jpeg png gif webp svg bmp ico tif tiff avif heic mp4 m4v m3u8 flv avi mov wmv mkv webm ts mp3 m4a wav aac
ogg flac pdf zip rar 7z gz tgz bz2 apk ipa exe dmg msi doc docx xls xlsx ppt pptx csv css js json xml rss atom
txt swf woff woff2 ttf
""".split())
# path segments and host labels that name what is not an article
NOT_ARTICLE_SEGMENTS = frozenset("""
tag tags topic topics category categories catalog list lists search s-search login logon logout signin signup
register reg user users member members account accounts passport sso video videos vod v-list live tv
photo photos pic pics picture pictures gallery galleries album albums slide slides image images img ad ads adv
advert adverts advertising promo about aboutus about-us contact contactus help faq download downloads app apps
rss feed feeds sitemap comment comments author authors special zhuanti zt page pages index more archive
archives shop mall cart static assets client demo act activity dl
""".split())
NOT_ARTICLE_HOSTS = frozenset("""
login passport sso account accounts reg register ad ads adm adx click video v tv live photo photos pic pics
slide img image images static cdn download app apps shop mall so search comment weibo mail email help service
kefu pay vip
""".split())
INDEX_STEMS = re.compile(r"^(?:index|default|home|main|list|more|search|sitemap)(?:[_-]\d+)?$", re.IGNORECASE)
LIST_STEM = re.compile(r"^(?:list|index|page|p)[_-]?\d+$", re.IGNORECASE)
PAGE_EXT = frozenset({"html", "shtml", "htm", "xhtml", "php", "asp", "aspx", "jsp", "do"})
DATE_IN_PATH = re.compile(
    r"(?:^|[/_-])(?:19|20)\d{2}(?:[/_-]?(?:0[1-9]|1[0-2])[/_-]?(?:0[1-9]|[12]\d|3[01])|[/_-]?(?:0[1-9]|1[0-2])/)"
    r"(?=$|[/_.-]|\d)"
)
LONG_NUMBER = re.compile(r"\d{6,}")
MIXED_ID = re.compile(r"^(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{10,}$")
ID_PARAMS = frozenset({"id", "aid", "docid", "newsid", "articleid", "article_id", "contentid", "cid", "nid", "tid",
                       "itemid", "p", "mid", "sn"})
PAGINATION_PARAMS = frozenset({"page", "pageno", "pagenum", "page_no", "pn", "pg", "offset", "start"})
MIN_HEADLINE = 5
SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "ac", "co", "mil", "int"})
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/%:@!$'()*+,;=-._~?"


def canonicalize(url: str, base: str | None = None) -> str | None:
    """The one spelling of an address (see the module's docstring); None when it is not http(s)."""
    url = (url or "").strip().replace("\\", "/")
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    query = urlencode(kept, doseq=True, safe=_QUERY_SAFE) if kept else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def _tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING or low.startswith(TRACKING_PREFIXES)


def site_of(host: str) -> str:
    """The registrable part of a host name (news.sina.com.cn -> sina.com.cn, www.163.com -> 163.com), by
    the common rule that a two-letter country code after com/net/org/gov/edu/ac/co is one suffix; an IP
    address or a one-label host is its own site."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Whether two addresses belong to one site (news.sina.com.cn and finance.sina.com.cn do)."""
    ha, hb = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    return bool(ha) and site_of(ha) == site_of(hb)


def article_shape(url: str, text: str | None = None) -> tuple[bool, str]:
    """(whether the address looks like one article, why). `text`: the link's text on a section page (None
    when the link comes from a feed or sitemap, which list articles by intent)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False, "not an http(s) address"
    if host.split(".")[0] in NOT_ARTICLE_HOSTS:
        return False, f"a {host.split('.')[0]} host"
    segments = [s for s in parts.path.lower().split("/") if s]
    last = segments[-1] if segments else ""
    stem, _, ext = last.rpartition(".") if "." in last else (last, "", "")
    if ext in MEDIA:
        return False, f"a .{ext} file"
    for s in segments[:-1] + ([stem] if stem else []):
        if s in NOT_ARTICLE_SEGMENTS:
            return False, f"a {s} address"
    query = dict(parse_qsl(parts.query.lower(), keep_blank_values=True))
    if any(k in PAGINATION_PARAMS for k in query):
        return False, "a paginated list"
    if "keyword" in query or "q" in query or "wd" in query:
        return False, "a search"
    if stem and (INDEX_STEMS.match(stem) or LIST_STEM.match(stem)):
        return False, "an index page"
    dated = bool(DATE_IN_PATH.search(parts.path))
    numbered = bool(LONG_NUMBER.search(parts.path)) or any(
        k in ID_PARAMS and LONG_NUMBER.fullmatch(v or "") for k, v in query.items())
    coded = bool(stem and MIXED_ID.match(stem)) or any(bool(MIXED_ID.match(s)) for s in segments[-2:])
    # a page name alone is an article's only when it is not a word: it holds a digit or is a slug of words
    page = ext in PAGE_EXT and bool(re.search(r"\d", stem) or len(re.split(r"[-_]", stem)) >= 3)
    if text is not None:
        headline = len("".join(text.split()))
        if headline and headline < MIN_HEADLINE:
            return False, "a short link text (a menu)"
        if not headline and not (dated or numbered):
            return False, "a link without text"
    if dated:
        return True, "a date in the address"
    if numbered:
        return True, "a long number in the address"
    if coded:
        return True, "an id in the address"
    if page and ext in ("html", "shtml", "htm", "xhtml"):
        return True, "a page address"
    if not segments or parts.path.endswith("/"):
        return False, "a front or section page"
    return False, "no date, id or page name in the address"

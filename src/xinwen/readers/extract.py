"""The article body of a Chinese news page, found by text and punctuation density.

A page is read once into *lines*: the visible text of each block element (split at <br>), in document
order, each with its owner element, how much of it is link text and how much prose punctuation it has
(`page_lines`). Article prose is long, punctuated and seldom a link; menus, headline lists, share bars,
time stamps and footers are short, unpunctuated, dated or links. Each line gets a value (positive for
prose, negative for links, labels and stamps, `line_value`); an element's score is the sum over the
lines inside it, so the best container is the smallest element that holds the most prose and the fewest
links (`extract_body`). Three more pieces of evidence: lines before the headline count against a
container, and a container whose prose starts far below the headline is discounted (the story follows
its headline); lines in elements whose class or id say comment / recommend / footer / share, and lists
of teaser cards (a linked headline and a summary, repeated, `mark_teasers`) are noise, left out of the
body. Within the container, leading lines that are not the story (bylines, 原标题, a repeated headline,
a summary box, labels) and trailing ones (责任编辑, 来源, 版权, 扫一扫, 相关阅读 and what follows it,
credits) are cut (`trim`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from xinwen.text import normalize

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure "
    "footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p pre section table "
    "tbody thead tfoot td th tr ul caption summary legend".split()
)
SKIP_TAGS = frozenset(
    "script style noscript iframe object embed svg canvas template select textarea button input head title "
    "meta link map area audio video source option math".split()
)
GAP = 40  # lines between headline and story at which a container's score is halved
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
EMPHASIS = frozenset("strong b".split())
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# class / id words of blocks that are not the article: comments, recommendations, site chrome (always
# noise), and sharing, sidebars, ads (noise unless the element also says it holds the article's text)
NOISE = re.compile(
    r"(?<![a-z])(?:comment|reply|recommend|related|relate|footer|foot|nav|menu|breadcrumb|crumb|copyright|"
    r"hot[-_]?(?:news|list)|rank|login|tuijian|xiangguan|pinglun|guess|more[-_]?news|statement|disclaimer)",
    re.IGNORECASE,
)
SOFT_NOISE = re.compile(
    r"(?<![a-z])(?:share|sharing|side|sidebar|banner|advert|ads?(?![a-z])|toolbar|popup|modal|qrcode|erweima|"
    r"author[-_]?(?:info|card)|profile|follow|reward|praise)",
    re.IGNORECASE,
)
CONTENT = re.compile(r"artic|artibody|content|body|main|text|txt|detail|zoom|rich_media|entry", re.IGNORECASE)
# prose punctuation: a line with it is prose (a caption, a label, a menu or "电话：…" has none)
_PUNCT = re.compile(r"[，。！？；、…!?;]|(?<!\d)[,.](?!\d)")
_STOPS = re.compile(r"[。！？!?…]")
_SPACE = re.compile(r"\s+")
# a line that is only a time: 3小时前, 昨天 12:30, 2019-09-09 19:32 (comment lists and headline lists)
_STAMP = re.compile(
    r"^(?:\d+\s*(?:秒|分钟|小时|天|周|个月|年)前|刚刚|今天|昨天|前天)?\s*"
    r"(?:(?:\d{2,4}[-/.年])?\d{1,2}[-/.月]\d{1,2}日?)?\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?$"
)


@dataclass
class Line:
    """One line of a page's visible text, with where it sits and what it looks like."""

    text: str
    owner: Any  # the nearest block element
    index: int  # position in the page's lines
    chars: int  # characters, white space aside
    link_chars: int  # of which inside <a>
    punct: int  # sentence punctuation marks
    stops: int  # sentence ends (。！？)
    heading: bool = False  # inside h1-h6
    bold: bool = False  # wholly inside strong/b
    noise: bool = False  # inside an element whose class/id says comment, share, footer...
    value: float = 0.0

    @property
    def link_share(self) -> float:
        """The share of the line's characters that are link text."""
        return self.link_chars / self.chars if self.chars else 0.0


@dataclass
class Page:
    """The visible lines of a page and the elements they belong to."""

    lines: list[Line]
    parents: dict[Any, Any] = field(default_factory=dict)  # element -> parent, for the owners' ancestors
    chains: dict[Any, list[Any]] = field(default_factory=dict)  # owner -> [owner, parent, ..., root]

    def chain(self, el: Any) -> list[Any]:
        """The element and its ancestors, innermost first (kept: many lines share an owner)."""
        out = self.chains.get(el)
        if out is None:
            out = self.chains[el] = []
            while el is not None:
                out.append(el)
                el = self.parents.get(el)
        return out


def _hidden(el: Any) -> bool:
    """Whether an element is not shown (display:none, visibility:hidden, hidden, aria-hidden)."""
    attrib = el.attrib
    if not attrib:
        return False
    style = attrib.get("style")
    return bool(style and _HIDDEN.search(style)) or "hidden" in attrib or attrib.get("aria-hidden") == "true"


def _noisy(el: Any) -> bool:
    """Whether an element's class or id says it is not the article (comments, related, footer...)."""
    words = f"{el.get('class') or ''} {el.get('id') or ''}"
    if not words.strip():
        return False
    return bool(NOISE.search(words)) or (bool(SOFT_NOISE.search(words)) and not CONTENT.search(words))


class _Walker:
    """The state of one walk over a tree: the line being built and what encloses it."""

    __slots__ = (
        "lines",
        "pieces",
        "chars",
        "links",
        "bold_chars",
        "owners",
        "link",
        "heading",
        "bold",
        "noise",
    )

    def __init__(self, root: Any) -> None:
        self.lines: list[Line] = []
        self.pieces: list[str] = []
        self.chars = self.links = self.bold_chars = 0
        self.owners: list[Any] = [root]
        self.link = self.heading = self.bold = self.noise = 0

    def add(self, text: str | None) -> None:
        """Add a text node to the line being built, counting its characters (link and bold ones apart)."""
        if not text:
            return
        self.pieces.append(text)
        if text.isspace():
            return
        n = len(text) if " " not in text and "\n" not in text else len("".join(text.split()))
        self.chars += n
        if self.link:
            self.links += n
        if self.bold:
            self.bold_chars += n

    def flush(self) -> None:
        """End the line being built: keep it when it has text."""
        if not self.pieces:
            return
        chars, links, bold = self.chars, self.links, self.bold_chars
        raw = "".join(self.pieces)
        self.pieces.clear()
        self.chars = self.links = self.bold_chars = 0
        if not chars:
            return
        text = normalize(" ".join(raw.split()))
        if not text:
            return
        owner = self.owners[-1]
        self.lines.append(Line(
            text=text, owner=owner, index=len(self.lines), chars=chars, link_chars=min(links, chars),
            punct=len(_PUNCT.findall(text)), stops=len(_STOPS.findall(text)),
            heading=self.heading > 0 or owner.tag in HEADINGS, bold=bold >= chars, noise=self.noise > 0,
        ))  # fmt: skip


def page_lines(root: Any, *, hidden: bool = False) -> Page:
    """Walk the tree once (no recursion: pages nest deep) and cut its visible text into lines: block
    elements and <br> end a line; scripts, styles, forms' controls and (unless `hidden`) hidden elements
    are not text."""
    w = _Walker(root)
    parents: dict[Any, Any] = {}
    noisy: set[Any] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        el, leaving = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if leaving:
            if tag in BLOCK_TAGS:
                w.flush()
                w.owners.pop()
            if tag == "a":
                w.link -= 1
            elif tag in HEADINGS:
                w.heading -= 1
            elif tag in EMPHASIS:
                w.bold -= 1
            if el in noisy:
                w.noise -= 1
            w.add(el.tail)
            continue
        if not tag or tag in SKIP_TAGS or (not hidden and _hidden(el)):
            if el is not root:
                w.add(el.tail)
            continue
        if tag == "br":
            w.flush()
            w.add(el.tail)
            continue
        if tag in BLOCK_TAGS:
            w.flush()
            w.owners.append(el)
        if tag == "a":
            w.link += 1
        elif tag in HEADINGS:
            w.heading += 1
        elif tag in EMPHASIS:
            w.bold += 1
        if (el.get("class") or el.get("id")) and _noisy(el):
            noisy.add(el)
            w.noise += 1
        w.add(el.text)
        stack.append((el, True))
        for child in reversed(el):
            parents[child] = el
            stack.append((child, False))
    w.flush()
    return Page(w.lines, parents)


# -- line values and the container -------------------------------------------------------------------------
def line_value(line: Line) -> float:
    """How much a line says 'article text here': its characters when it is punctuated prose and not a
    link, a penalty for link text, a small one for short unpunctuated lines (labels, dates, menu items)."""
    text_chars = line.chars - line.link_chars
    if line.link_share > 0.5:
        return -0.8 * line.chars
    if line.chars <= 20 and _STAMP.match(line.text):  # a time stamp: each comment or list entry has one
        return -25.0
    if line.punct == 0:
        return -min(line.chars, 20) * 0.5 if line.chars < 40 else 0.2 * text_chars
    value = float(text_chars) - 2.0 * line.link_chars
    if line.stops == 0 and line.chars < 20:
        value *= 0.3
    return value


def mark_teasers(page: Page) -> None:
    """Mark as noise the lines of lists of teasers (recommendation cards, headline lists with summaries):
    three or more sibling elements of two to six lines, each with one linked headline and some prose.
    A story's paragraphs are not cut into such units; a feed of other stories is."""
    stats: dict[Any, list[int]] = {}  # element -> [lines, linked headlines, prose lines]
    for line in page.lines:
        head = line.link_share > 0.5 and line.chars >= 6
        prose = line.punct > 0 and line.link_share <= 0.5 and line.chars >= 15
        for el in page.chain(line.owner):
            s = stats.get(el)
            if s is None:
                s = stats[el] = [0, 0, 0]
            s[0] += 1
            s[1] += head
            s[2] += prose
    cards = [el for el, (n, heads, prose) in stats.items() if 2 <= n <= 6 and heads == 1 and prose >= 1]
    per_parent: dict[Any, int] = {}
    for el in cards:
        parent = page.parents.get(el)
        per_parent[parent] = per_parent.get(parent, 0) + 1
    teasers = {el for el in cards if per_parent[page.parents.get(el)] >= 3}
    if teasers:
        for line in page.lines:
            if any(el in teasers for el in page.chain(line.owner)):
                line.noise = True


def container_scores(
    page: Page, start: int = 0
) -> tuple[dict[Any, float], dict[Any, float], dict[Any, int], dict[Any, int]]:
    """Every element's score (the sum of its lines' values, noise lines counted against it) over the whole
    page and with the lines before `start` also counted against it, each element's depth, and the index
    of its first prose line at or after `start`."""
    whole: dict[Any, float] = {}
    after: dict[Any, float] = {}
    depth: dict[Any, int] = {}
    first: dict[Any, int] = {}  # each element's first prose line after `start`
    for line in page.lines:
        # a noise line (comments, teasers, share bars) neither helps nor much hurts the element around it: the
        # story's container may hold it, and it is left out of the body
        value = -0.1 * line.chars if line.noise else line.value
        late = -abs(value) if line.index < start else value
        chain = page.chain(line.owner)
        if chain[0] not in depth:
            for d, el in enumerate(chain):
                depth.setdefault(el, len(chain) - d)
        for el in chain:
            whole[el] = whole.get(el, 0.0) + value
            after[el] = after.get(el, 0.0) + late
        if late > 0 and line.index >= start:
            for el in chain:
                first.setdefault(el, line.index)
    return whole, after, depth, first


def _best(scores: dict[Any, float], depth: dict[Any, int]) -> tuple[Any | None, float]:
    """The highest-scoring element, the deepest among equals, and its score."""
    if not scores:
        return None, 0.0
    best = max(scores, key=lambda el: (round(scores[el], 3), depth[el]))
    return best, scores[best]


# -- trimming ---------------------------------------------------------------------------------------------
_KEY = re.compile(r"[\s·•|｜:：\-—_>》<《【】\[\]]+")
# lines that end an article: from one of them on, the page is the site's, not the story's
_END_MARK = re.compile(
    r"^(?:相关阅读|相关推荐|相关新闻|相关文章|相关报道|相关链接|相关专题|相关资讯|延伸阅读|延伸推荐|推荐阅读|热门推荐|"
    r"热点推荐|猜你喜欢|为你推荐|大家都在看|热门文章|热门评论|最新评论|网友评论|精彩评论|热门跟帖|发表评论|我要评论|"
    r"全部评论|更多精彩|更多阅读|更多新闻|今日推荐|往期回顾|往期推荐|精彩推荐|编辑推荐|此前报道|点击进入专题|正文已结束|"
    r"责任编辑|责编|阅读数|阅读量|分享到|分享至|扫一扫|打开app|下载客户端|上一篇|下一篇)",
    re.IGNORECASE,
)
# label words that open an editor, source, credit, byline or site-footer line
_LABELS = (
    r"责任编辑|责编|编辑|主编|审核|审校|校对|来源|稿源|文章来源|信息来源|图片来源|资料来源|作者|撰稿|撰文|执笔|采写|"
    r"记者|通讯员|摄影|摄像|供稿|声明|免责声明|原标题|原题|本文原标题|标签|关键词|关键字|tags?|文|图|文图|图文|文/图|"
    r"地址|电话|邮编|传真|邮箱|e-?mail|主办|承办|协办|技术支持|备案|网站地图|联系我们"
)
_LABEL_LINE = re.compile(rf"^[【\[（(]?\s*(?:{_LABELS})\s*(?:于|为)?\s*[:：/|丨]", re.IGNORECASE)
# the site speaking: copyright, sharing, QR codes, app downloads, reprint terms
_CHROME = re.compile(
    r"版权所有|all rights reserved|copyright|©|扫一扫|扫码|二维码|分享到|分享至|关注公众号|关注我们|欢迎关注|"
    r"点击关注|请关注|下载客户端|客户端下载|打开客户端|本文来自|本文系|本文为|未经授权|不得转载|转载请|禁止转载|"
    r"阅读原文|原文链接|返回\S{0,6}首页|正文已结束|进行评论|图片均来自|图片来自网络|来源[:：]?网络|原题为|原标题为",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"记者|通讯员|编辑|摄影|校对|实习生|供稿|作者|编译|整理")
_CREDIT = re.compile(
    r"^[（(【\[][^。！？]{0,30}[）)】\]]$|^[（(]?完[）)]?$|^[-—]+\s*end\s*[-—]+$", re.IGNORECASE
)
# what the site appends to the story's last paragraph: 返回首页>>, （完）, (文/图 某某), 【编辑：某某】
_TRAILING = re.compile(
    r"\s*(?:返回\S{0,8}(?:首页|顶部|列表|目录)\s*[>»]*|【纠错】|【打印】|\[打印\]|【关闭】|[（(]完[）)]|"
    r"[（(【\[]\s*(?:文|图|文/图|文图|编辑|责任编辑|责编|记者|通讯员|来源|作者|摄影)\s*[:：/|\s]"
    r"[^（）()【】\[\]。！？]{1,24}[）)】\]])\s*$"
)
# lines that open a body without being the story
_LEAD_MARK = re.compile(
    r"^[【\[（(]?\s*(?:(?:原标题|原题|本文原标题|摘要|导读|导语|编者按|编前语|核心提示|内容提要|划重点|提要)|"
    r"(?:发布时间|发布日期|发表时间|更新时间|发表于|发布于|时间|日期|字号|字体|阅读|浏览|点击)\s*(?:[:：]|\d))"
)
_HAS_DATE = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|\d{1,2}:\d{2}")
_SUMMARY = re.compile(
    r"summary|abstract|introduction|digest|zhaiyao|daoyu|daodu|lead(?![a-z])", re.IGNORECASE
)
_DATE_LINE = re.compile(r"^[\d\s年月日:：/.\-]+(?:星期.|周.)?[\d\s:：]*$")


def _end_mark(line: Line) -> bool:
    """A short line that announces what follows the story: related lists, comments, the editor."""
    return line.chars <= 40 and bool(_END_MARK.match(_KEY.sub("", line.text)))


def _byline(line: Line) -> bool:
    """A short line without a sentence end that names reporters, editors, photographers."""
    return line.stops == 0 and line.chars <= 40 and bool(_BYLINE.search(line.text))


def _is_tail_line(line: Line) -> bool:
    """Whether a line at a body's end is the site's or a credit rather than the story."""
    text = line.text
    if line.link_share > 0.5:
        return True
    if line.chars < 150 and _LABEL_LINE.match(text):
        return True
    if line.chars < 120 and _CHROME.search(text):
        return True
    if _byline(line) or (line.chars <= 32 and _CREDIT.match(text)):
        return True
    return line.punct == 0 and line.chars <= 20  # a caption, a label, a name


def _is_lead_line(line: Line, title: str | None, rest: int) -> bool:
    """Whether a line at a body's start is a byline, a label, a date, a subtitle, the headline again, or
    a summary box before a longer story (`rest`: the characters of the lines after it)."""
    text = line.text
    flat = _SPACE.sub("", text) if line.chars <= 200 else ""
    if title and line.chars <= len(title) + 12 and _SPACE.sub("", title) in flat:
        return True
    if (
        _SUMMARY.search(f"{line.owner.get('class') or ''} {line.owner.get('id') or ''}")
        and rest > 2 * line.chars
    ):
        return True
    if line.link_share > 0.5 or _DATE_LINE.match(text) or (line.heading and line.stops == 0):
        return True
    if line.stops == 0 and line.chars <= 80 and _HAS_DATE.search(text):  # 发表于2014-08-24 21:30 | 来源…
        return True
    if line.chars < 150 and (_LEAD_MARK.match(text) or _LABEL_LINE.match(text)):
        return True
    if _byline(line) or (line.chars < 120 and _CHROME.search(text)):
        return True
    return line.punct == 0 and line.chars <= 30


def _strip_trailing(line: Line) -> Line:
    """The line without what the site appended to it (返回首页>>, （完）, a credit in brackets)."""
    text = line.text
    while (m := _TRAILING.search(text, max(0, len(text) - 80))) and m.start() > 0:
        text = text[: m.start()]
    if text == line.text:
        return line
    return replace(line, text=text, chars=len(_SPACE.sub("", text)))


def trim(lines: list[Line], title: str | None = None) -> list[Line]:
    """Cut what is not the story: everything from an end marker (相关阅读, 热门评论, 责任编辑...) once
    most of the story has been told (an early one, heading links before the story, goes alone), leading
    bylines/labels/subtitles/repeated headline/summary box, trailing editor/source/copyright/credit
    lines and what the site appended to the last paragraph."""
    total = sum(ln.chars for ln in lines if ln.stops)
    out: list[Line] = []
    seen = 0
    for line in lines:
        if _end_mark(line):
            if seen >= 0.4 * total:
                break
            continue  # a list of links before the story (相关新闻：…): the marker goes, the story stays
        out.append(line)
        if line.stops:
            seen += line.chars
    rest = sum(ln.chars for ln in out)
    while out and _is_lead_line(out[0], title, rest - out[0].chars):
        label = out[0].chars <= 6 and _LEAD_MARK.match(out[0].text)
        rest -= out.pop(0).chars
        while label and out and out[0].owner.tag == "li":  # 划重点： and its bullets
            rest -= out.pop(0).chars
    while out:
        out[-1] = _strip_trailing(out[-1])
        if not _is_tail_line(out[-1]):
            break
        out.pop()
    return out


def extract_body(page: Page, title_index: int | None = None) -> tuple[list[Line], bool]:
    """The lines of the article's body (the best container's lines, untrimmed), and whether the headline
    at `title_index` was believed: a body starts after its headline, so lines before it count against
    a container, unless that leaves far less prose than the page has (the 'headline' was elsewhere)."""
    mark_teasers(page)
    for line in page.lines:
        line.value = line_value(line)
    start = title_index + 1 if title_index is not None else 0
    whole, after, depth, first = container_scores(page, start)
    container, score = _best(whole, depth)
    trusted = False
    if title_index is not None:
        # the story follows its headline: a container whose prose starts far below it is less likely
        near = {
            el: v * GAP / (GAP + first.get(el, len(page.lines)) - start) for el, v in after.items() if v > 0
        }
        late, _ = _best(near, depth)
        if late is not None and after[late] >= 0.5 * score:
            container, trusted = late, True
    if container is None:
        return [], trusted
    first = start if trusted else 0
    chosen = []
    for line in page.lines[first:]:
        if line.noise or (line.link_share > 0.5 and not (line.stops and line.chars >= 50)):
            continue  # comment boxes, share bars; links (a headline list), unless a whole linked paragraph
        el = line.owner
        while el is not None and el is not container:
            el = page.parents.get(el)
        if el is container:
            chosen.append(line)
    return chosen, trusted


def body_text(lines: list[Line]) -> str:
    """The body as text: one line per paragraph."""
    return normalize("\n".join(ln.text for ln in lines))

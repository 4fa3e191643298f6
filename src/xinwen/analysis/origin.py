"""Where a story comes from, read from its text and its record: the outlet it is credited to.

Chinese news says who first printed a story in a few fixed ways, read here in this order (the first
found wins; the rest are kept in `Origin.also`):

1. a source line, in the header or the footer: 来源：新华社, （来源：人民日报客户端）, 本文来源：光明网,
   文章来源：渤海早报, 稿源：经济日报, 转自：中国新闻网, 转载自“来电生活”, 本文来自澎湃新闻, 摘自：新京报,
   opening a line or a clause or inside brackets (not 图片来源, 数据来源, 资料来源, 消息来源: those credit a
   picture or a figure, not the story; not 灵感来源于…, 来自北京的游客);
2. an agency's attribution: 据新华社电, 据中新社电;
3. a dateline naming the outlet whose reporter wrote it: 新华社北京6月1日电, 中新网杭州６月１９日电,
   新浪体育讯 (a portal's channel: 新浪), 新京报讯, 中广网遂川６月１３日消息 (本报讯 names no one); a known
   outlet is found even where a headline runs into the body (…曾到贵州香港旅游中新网5月28日电);
4. a lead that retells another outlet's report: 据人民日报报道，… / 据《钱江晚报》报道，… at the top of
   the body (further in, 据X报道 cites a source for one fact, and does not make X the story's origin);
5. the record's own `source` field, when it names an outlet;
6. the canonical URL: its site, named when it is a known one (news.cn -> 新华网, people.com.cn -> 人民网),
   else the host itself.

Outlet names are normalized (`normalize_outlet`): full-width letters folded, quotes and brackets and
trailing words dropped (客户端, 微信公众号, 官方微博, 网站, 记者…, 编辑…), and aliases joined (中新网 ->
中国新闻网, 中新社 -> 中国新闻社, 新华通讯社 -> 新华社, 央视新闻客户端 -> 央视新闻, 南都 -> 南方都市报).
A source line that names no one (来源：网络, 来源：本站) counts as none.

原标题：… (the title the story had at its origin) is read wherever it stands and returned with the outlet,
or alone when no outlet is named.

Regular expressions over the first and last `EDGE_CHARS` characters of the body: attributions stand in
the header or the footer; some tens of microseconds per article.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

EDGE_CHARS = 400  # header and footer: how much of each end of the body is read

# aliases -> the outlet's usual name
_ALIASES = {
    "新华通讯社": "新华社", "新华社客户端": "新华社", "xinhua": "新华社", "新华社电": "新华社",
    "新华": "新华网", "xinhuanet": "新华网", "新华网客户端": "新华网",
    "中新社": "中国新闻社", "中新网": "中国新闻网", "中新": "中国新闻网", "中国新闻网站": "中国新闻网",
    "人民日报社": "人民日报", "人民日报客户端": "人民日报", "人民日报微博": "人民日报", "人民": "人民网",
    "人民网-人民日报": "人民日报",
    "央视新闻客户端": "央视新闻", "央视新闻微博": "央视新闻", "cctv": "央视", "中央电视台": "央视",
    "中央广播电视总台": "央视", "总台": "央视", "央视网消息": "央视网",
    "光明日报社": "光明日报", "经济日报社": "经济日报", "南都": "南方都市报", "南都网": "南方都市报",
    "澎湃": "澎湃新闻", "澎湃新闻客户端": "澎湃新闻", "界面": "界面新闻", "中广网": "央广网", "中国广播网": "央广网",
    "央广网": "央广网", "环球网": "环球网", "参考消息网": "参考消息", "新浪网": "新浪", "搜狐网": "搜狐",
    "网易新闻": "网易", "腾讯网": "腾讯", "腾讯新闻": "腾讯", "凤凰网": "凤凰网", "中国日报网": "中国日报网",
    "中国日报": "中国日报", "求是网": "求是网", "求是杂志": "求是", "千龙": "千龙网",
}
# the canonical URL's site -> the outlet (the longest matching suffix wins)
_DOMAINS = {
    "news.cn": "新华网", "xinhuanet.com": "新华网", "xinhua.org": "新华网", "people.com.cn": "人民网",
    "paper.people.com.cn": "人民日报", "cctv.com": "央视网", "cctv.cn": "央视网", "news.cctv.com": "央视网",
    "chinanews.com": "中国新闻网", "chinanews.com.cn": "中国新闻网", "gmw.cn": "光明网", "ce.cn": "中国经济网",
    "cnr.cn": "央广网", "chinadaily.com.cn": "中国日报网", "huanqiu.com": "环球网", "thepaper.cn": "澎湃新闻",
    "jiemian.com": "界面新闻", "caixin.com": "财新网", "bjnews.com.cn": "新京报", "sina.com.cn": "新浪",
    "sina.cn": "新浪", "sohu.com": "搜狐", "163.com": "网易", "qq.com": "腾讯", "ifeng.com": "凤凰网",
    "yahoo.com": "雅虎", "cn.yahoo.com": "中国雅虎", "youth.cn": "中国青年网", "cyol.com": "中青在线",
    "qstheory.cn": "求是网", "81.cn": "中国军网", "gov.cn": "中国政府网", "china.com.cn": "中国网",
    "china.com": "中华网", "takungpao.com": "大公网", "dzwww.com": "大众网", "eastday.com": "东方网",
    "rednet.cn": "红网", "southcn.com": "南方网", "ynet.com": "北青网", "cankaoxiaoxi.com": "参考消息",
    "stcn.com": "证券时报网", "cs.com.cn": "中证网", "cnstock.com": "中国证券网", "yicai.com": "第一财经",
    "21jingji.com": "21世纪经济报道", "nbd.com.cn": "每日经济新闻", "guancha.cn": "观察者网",
    "qianlong.com": "千龙网", "cri.cn": "国际在线", "chinaxiaokang.com": "中国小康网",
}
# sites where anyone publishes (public accounts, self-media): the site is not who printed the story
_PLATFORMS = ("mp.weixin.qq.com", "baijiahao.baidu.com", "mbd.baidu.com", "toutiao.com", "weibo.com", "weibo.cn",
              "zhihu.com", "douban.com", "kuaibao.qq.com", "new.qq.com/omn", "www.sohu.com/a", "m.sohu.com/a")
# words that end an outlet's name in a source line (作者, 编辑 … follow it)
_NAME_STOP = re.compile(
    r"[\s\u3000,，。;；:：!！?？、|/\\()（）\[\]【】<>〈〉「」『』“”\"'‘’]|作者|记者|编辑|责编|责任编辑|审核|校对|"
    r"通讯员|实习生|摄影|摄|图|日期|时间|发布|原标题|原文|链接|http|www\.|\d{4}[-年./]|我要评论|相关新闻|相关阅读|"
    r"点击|分享|返回|打印|关闭|收藏|评论"
)
_QUOTED = re.compile(r"[^“\"《「]{0,3}[“\"《「]([^”\"》」]{1,20})[”\"》」]")
_TRAILING = re.compile(r"官方$|(?:官方)?(?:客户端|微信公众号|微信公众平台|公众号|微信号|官方微信|官方微博|微博|微信|官网|网站|"
                       r"APP|App|app|电子版|数字报|头条号|百家号|抖音号)$")
_CHANNEL = re.compile(r"\s*[-－—_|·]\s*[\u4e00-\u9fff]{1,8}(?:频道|栏目|专栏)$")
_GENERIC = re.compile(r"^(?:网络|互联网|网友|网上|本站|本网|本报|本台|本刊|综合|综合报道|综合消息|转载|原创|未知|"
                      r"本站原创|本网原创|原创稿件|原创文章|"
                      r"网络整理|网友投稿|投稿|自媒体|作者|编辑|各地|多家媒体|媒体|外媒|港媒|台媒|新闻|消息|不详|晚报|晨报|日报|早报|"
                      r"商报|时报)$")
_KNOWN = set(_ALIASES) | set(_ALIASES.values()) | set(_DOMAINS.values()) | {
    "新华社", "新华网", "人民网", "人民日报", "央视网", "央视新闻", "中国新闻网", "中国新闻社", "光明网", "光明日报",
    "经济日报", "中国日报", "新京报", "南方都市报", "南方日报", "广州日报", "北京日报", "北京青年报", "解放日报",
    "文汇报", "新民晚报", "羊城晚报", "扬子晚报", "钱江晚报", "齐鲁晚报", "华西都市报", "楚天都市报", "澎湃新闻",
    "中国青年报", "法制日报", "法治日报", "工人日报", "农民日报", "科技日报", "参考消息", "环球时报", "第一财经",
    "中国台湾网", "台海网", "千龙网", "东方网", "红网", "大河网", "华龙网", "东南网", "北青网", "中国网", "中国经济网",
    "新快报", "京华时报", "北京晨报", "北京晚报", "信息时报", "南方周末", "华商报", "成都商报", "现代快报", "潇湘晨报",
    "重庆晨报", "东方早报", "都市快报", "大河报", "半岛都市报", "三湘都市报", "燕赵都市报", "华夏时报", "中国证券报",
    "上海证券报", "证券时报", "经济观察报", "第一财经日报", "中国经营报", "未来网", "人民政协报", "检察日报",
    "人民法院报", "中国纪检监察报", "学习时报", "中国教育报", "健康报", "中国妇女报", "中国经济时报", "中华工商时报",
    "大公报", "联合早报", "中央社", "凤凰卫视", "天津日报", "河北日报", "湖北日报", "浙江日报", "新华日报", "四川日报",
    "重庆日报", "今晚报", "深圳特区报", "深圳商报", "深圳晚报", "长江日报", "辽宁日报", "南方农村报", "东北网",
    "南方网", "西部网", "大众网", "齐鲁网", "荆楚网", "金羊网", "四川在线", "浙江在线", "海外网", "中国军网",
}
_LEADING_VERB = re.compile(r"^(?:据|来自|转自|摘自|选自)")
_LETTERS = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_OWN_PAPER = re.compile("本报|本台|本刊|本网")  # 本报北京6月1日电 names no one
_CREDIT_WORDS = ("来源", "稿源", "出处", "来自", "转自", "转载", "摘自", "选自", "编译自")
_NEEDS_FOLDING = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # full-width digits or letters
_WIDE = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " ", "\xa0": " "})

# 1. a source line: the label (opening a line or a clause, or inside brackets), then the name
_SOURCE_LINE = re.compile(
    r"(?=[本文新稿原内信来出转摘选编])(?:^|(?<=[\s(（【\[<〈,，。;；|:：!！?？]))"
    r"(?P<label>(?:本文|文章|新闻|稿件|原文|内容|信息)?(?:来源|稿源|出处|来自)\s*[:：]|"
    r"(?:本文|文章|原文)(?:来源|来自)|(?:本文|文章|原文)?(?:转载自|转自)\s*[:：]?|(?:摘自|选自|编译自)\s*[:：])"
    r"\s*[“\"《]?(?P<name>[^\n]{1,40})"
)
# 2. 据新华社电, 据中新社北京电
_AGENCY = re.compile(r"据(?P<name>[\u4e00-\u9fff]{2,6}?(?:社|网))(?:[\u4e00-\u9fff]{0,4}?)(?:\d{1,2}月)?(?:\d{1,2}日)?电")
# 3. a dateline: outlet, place, date, 电/讯/消息 (新华社北京6月1日电, 中新网3月10日电); without a date, the
# outlet right before 讯 or 消息 (新浪体育讯, 新京报讯, 央视网消息)
_OUTLET_END = (r"(?:通讯社|新闻社|社|网|日报|晚报|早报|时报|商报|都市报|报|电视台|广播电台|电台|台|新闻|体育|娱乐|科技|财经|"
               r"房产|地产|汽车|教育|游戏|军事|时尚|健康|旅游|读书|韩娱|南都|晨报)")
_DATELINE = re.compile(
    rf"(?P<name>[\u4e00-\u9fffA-Za-z0-9]{{0,8}}{_OUTLET_END})(?:[\u4e00-\u9fff]{{0,6}}?"
    r"(?:(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{1,2}日)(?:电|讯|消息)|(?:讯|消息)(?=[\s:：(（\[【]))"
)
# 4. a lead that retells a report: 据人民日报报道，… / 据《钱江晚报》报道
_ACCORDING = re.compile(
    r"据(?P<pre>[\u4e00-\u9fff]{0,4}?)(?:《(?P<book>[^》]{1,20})》|(?P<known>"
    + "|".join(sorted((re.escape(k) for k in _KNOWN if re.fullmatch(r"[\u4e00-\u9fff]{2,}", k)), key=len, reverse=True))
    + r")|(?P<name>[\u4e00-\u9fffA-Za-z]{2,10}?"
    rf"{_OUTLET_END}))(?:[\u4e00-\u9fff]{{0,4}}?)(?:\d{{1,2}}月)?(?:\d{{1,2}}日)?(?:报道|消息|电)"
)
_ORIGINAL_TITLE = re.compile(r"原(?:文)?标题\s*[:：]\s*(?P<title>[^\n]{1,80})")
_TITLE_END = re.compile(r"[\n)）】\]]|。|\s{2,}|(?:来源|作者|编辑|记者)[:：]")


@dataclass(frozen=True)
class Origin:
    """The outlet a story is credited to and the words that say so.

    `outlet` is the normalized name (None when only an original title is given); `kind` how it was
    read: "source-line", "agency", "dateline", "according-to", "record-source" or "url"; `evidence` the
    words as they stand (the URL for "url"); `field` "body", "title", "source" or "url", and
    `start`/`end` where `evidence` lies in it; `original_title` the story's title at its origin
    (原标题：…); `also` other outlets the attribution names (a dateline's agency when a source line
    credits another), normalized, in the order found."""

    outlet: str | None
    kind: str
    evidence: str
    field: str
    start: int
    end: int
    original_title: str | None = None
    also: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["also"] = list(self.also)
        return d


def normalize_outlet(name: str | None) -> str | None:
    """An outlet's usual name (人民日报客户端 -> 人民日报, 中新网 -> 中国新闻网, “央视新闻” -> 央视新闻), or None
    when `name` names no one (网络, 本站, an empty string)."""
    if not name:
        return None
    text = name.translate(_WIDE).strip()
    quoted = _QUOTED.match(text)
    if quoted:  # 转载自来“来电生活”: the quoted name
        text = quoted.group(1)
    text = text.strip("“”\"'‘’《》〈〉「」『』[]【】()（） ")
    m = _NAME_STOP.search(text)
    if m:
        text = text[: m.start()]
    text = _LEADING_VERB.sub("", text).strip()
    text = _CHANNEL.sub("", text).strip()  # 人民网-文化频道: the outlet, not its section
    for _ in range(2):
        text = _TRAILING.sub("", text).strip()
    key = text.lower() if text.isascii() else text
    text = _ALIASES.get(key, text)
    if not text or len(text) > 20 or _GENERIC.match(text) or not _LETTERS.search(text):
        return None
    return text


def _on(host: str, path: str, platform: str) -> bool:
    """Whether host + path lies on `platform` ("site" or "site/path-prefix"; subdomains of site too)."""
    site, _, prefix = platform.partition("/")
    if host != site and not host.endswith("." + site):
        return False
    return not prefix or path == "/" + prefix or path.startswith("/" + prefix + "/")


def outlet_of_url(url: str | None) -> str | None:
    """The outlet a page's site belongs to (https://www.news.cn/… -> 新华网), else its host (example.org);
    None when `url` is not an http(s) URL, or is on a platform where anyone publishes (a WeChat public
    account, 百家号, 头条号, a 搜狐号 page: the platform did not print the story)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host or "." not in host:
        return None
    if any(_on(host, parts.path, p) for p in _PLATFORMS):
        return None
    labels = host.split(".")
    for i in range(len(labels) - 1):
        name = _DOMAINS.get(".".join(labels[i:]))
        if name:
            return name
    return host[4:] if host.startswith("www.") else host


def original_title(body: str) -> tuple[str, int, int] | None:
    """原标题：… : the title and where it stands in `body`."""
    m = _ORIGINAL_TITLE.search(body)
    if not m:
        return None
    raw = m.group("title")
    cut = _TITLE_END.search(raw)
    title = (raw[: cut.start()] if cut else raw).strip().strip("《》“”\"")
    return (title, m.start(), m.start("title") + len(title)) if title else None


def _edges(body: str) -> list[tuple[int, int]]:
    """The header and the footer of the body (the whole of a short one)."""
    if len(body) <= 2 * EDGE_CHARS:
        return [(0, len(body))]
    return [(0, EDGE_CHARS), (len(body) - EDGE_CHARS, len(body))]


def _source_lines(body: str) -> list[tuple[str, int, int]]:
    """Every credited outlet of a source line: (name, start, end)."""
    out: list[tuple[str, int, int]] = []
    for a, b in _edges(body):
        edge = body[a:b]
        if not any(w in edge for w in _CREDIT_WORDS):
            continue  # most stories credit no one: a substring test is far cheaper than the expression
        for m in _SOURCE_LINE.finditer(body, a, b):
            name = normalize_outlet(m.group("name"))
            if name:
                raw = m.group("name")
                cut = _NAME_STOP.search(raw.translate(_WIDE), 1)
                out.append((name, m.start(), m.start("name") + (cut.start() if cut else len(raw))))
    return out


def _from_text(body: str) -> list[tuple[str, str, int, int]]:
    """Outlets the body credits, strongest kind first: (outlet, kind, start, end)."""
    found: list[tuple[str, str, int, int]] = [(n, "source-line", s, e) for n, s, e in _source_lines(body)]
    head = body[:EDGE_CHARS]
    if _NEEDS_FOLDING.search(head):
        head = head.translate(_WIDE)  # one character for one: offsets stay
    for m in _AGENCY.finditer(head):
        name = normalize_outlet(m.group("name"))
        if name:
            found.append((name, "agency", m.start(), m.end()))
    m = _DATELINE.search(head, 0, 160)
    if m and _opens(head, m.start()):
        raw = m.group("name")
        known = _known_inside(m.group())  # the name, or the place after it (…香港旅游中新网5月28日电)
        at = m.start() + (known[0] if known else 0)
        # an unknown name only when it opens a line or a clause (a title run into the body can end in 网)
        opens = m.start() == 0 or head[m.start() - 1] in "\n \t(（[【,，。:：|"
        if not _OWN_PAPER.search(raw) and (known or opens):
            name = normalize_outlet(known[1] if known else raw)
            if name:
                found.append((name, "dateline", at, m.end()))
    m = _ACCORDING.search(head, 0, 120)
    if m and _opens(head, m.start(), slack=30):
        known = None if m.group("book") or m.group("known") else _known_inside(m.group())  # not 中国新闻
        name = normalize_outlet(m.group("book") or m.group("known") or (known[1] if known else m.group("name")))
        if name:
            found.append((name, "according-to", m.start(), m.end()))
    return found


def _known_inside(name: str) -> tuple[int, str] | None:
    """The first known outlet in `name`, longest first, and where it starts (新华社烟台 -> 新华社: a
    dateline's place may end like an outlet's name; 典再度受青睐新华网 -> 新华网: a title run into the body)."""
    for i in range(len(name) - 1):
        for k in range(min(len(name) - i, 12), 1, -1):
            if name[i : i + k] in _KNOWN:
                return i, name[i : i + k]
    return None


def _opens(text: str, start: int, slack: int = 16) -> bool:
    """Whether `start` lies at the top of the story: at most a caption line, a byline or `slack`
    characters of the first sentence before it."""
    head = text[:start]
    cut = max(head.rfind(c) for c in "。!！?？\n")
    return start - cut - 1 <= slack


def origin(title: str, body: str, url: str | None = None, source: str | None = None) -> Origin | None:
    """The outlet the story is credited to (see the module's docstring for the order read), or None
    when neither its text nor its record names one."""
    body = body or ""
    credits = _from_text(body)
    also: list[str] = []
    for name, *_ in credits:
        if name not in also:
            also.append(name)
    titled = original_title(body)
    orig = titled[0] if titled else None
    if orig is None and title:  # a headline may carry it: 新标题（原标题：旧标题）
        in_title = original_title(title)
        orig = in_title[0] if in_title else None
    if credits:
        name, kind, start, end = credits[0]
        return Origin(name, kind, body[start:end].strip(), "body", start, end, orig,
                      tuple(a for a in also if a != name))
    named = normalize_outlet(source) if source and _CJK.search(source) else None
    if named:
        return Origin(named, "record-source", source or "", "source", 0, len(source or ""), orig)
    site = outlet_of_url(url)
    if site:
        return Origin(site, "url", url or "", "url", 0, len(url or ""), orig)
    if titled:
        return Origin(None, "original-title", body[titled[1] : titled[2]], "body", titled[1], titled[2], orig)
    return None

"""Following the news (xinwen.follow, `xinwen watch`, `xinwen sources`): link discovery, the polite fetcher and
the watch loop, every network read against a local server on 127.0.0.1 (the `site` fixture) that serves feeds,
sitemaps and section pages made here and the saved pages of ../shared/pages. No test reaches the internet,
and no test asserts how long something took (lower bounds only: a wait that must have happened)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xinwen.article import Article, make_id
from xinwen.collection import Collection
from xinwen.follow.discover import discover, feed_links, kind_of, page_links, robots_sitemaps, sitemap_links
from xinwen.follow.fetcher import Fetcher, Politeness, retry_after, text
from xinwen.follow.sources import Source, SourceError, WatchState, parse_sources, read_state, read_toml
from xinwen.follow.urls import article_shape, canonicalize, same_site, site_of
from xinwen.follow.watch import Watcher
from xinwen.limits import Limits
from xinwen.readers import read_bytes, read_one
from xinwen.readers.fetch import FetchProblem, fetch

ROOT = Path(__file__).resolve().parents[1]
WAIT = 120.0  # the longest a test waits for anything (only so that a broken build cannot hang)
RUNNER = ("import sys, xinwen.cli as cli\n"
          "if 'follow' not in cli.COMMAND_MODULES: cli.COMMAND_MODULES.append('follow')\n"
          "sys.exit(cli.main(sys.argv[1:]))")

SENTENCES = [
    "记者从市交通运输局获悉，新开通的地铁线路日均客流已突破十万人次。",
    "该项目总投资约二十亿元，预计将于明年年底全面建成投入使用。",
    "气象部门提醒，未来三天本市将出现持续降雨天气，请市民注意出行安全。",
    "据介绍，今年以来全区新增就业岗位一万两千个，城镇登记失业率保持低位。",
    "专家表示，推动绿色低碳转型需要政策、技术和市场三方面协同发力。",
    "活动现场，来自各地的两百多名选手同台竞技，展示了扎实的专业功底。",
    "目前，全市已建成社区养老服务站三百余个，基本实现街道全覆盖。",
    "农业农村部门数据显示，夏粮收购进度快于去年同期，粮价总体平稳。",
    "学校负责人说，新校区将新增学位两千个，缓解周边适龄儿童入学压力。",
    "警方提醒广大群众，接到陌生来电要求转账时务必提高警惕，谨防诈骗。",
    "博物馆此次展出文物一百二十件套，其中多件为首次公开亮相。",
    "医院新建的急诊大楼启用后，抢救床位数量将增加一倍以上。",
    "该企业研发的新型电池能量密度提升百分之二十，成本下降明显。",
    "今年上半年，全省外贸进出口总额同比增长百分之八点五。",
    "河道整治工程完工后，沿岸将新增滨水绿道十五公里，供市民休闲健身。",
    "图书馆延长开放时间至晚上十点，满足读者夜间阅读需求。",
    "文旅部门推出十条精品旅游线路，串联起城市的历史文化街区。",
    "比赛最终以二比一结束，主队凭借下半场的两粒进球逆转取胜。",
    "市场监管部门开展专项检查，共抽检食品样品五百余批次。",
    "科研团队历时五年攻关，成功突破关键材料的制备工艺难题。",
    "新修订的条例将于下月起施行，对违规停车行为加大处罚力度。",
    "园区内入驻企业已达三百家，形成了较为完整的产业链条。",
    "志愿者们利用周末时间走进社区，为老年人讲解智能手机使用方法。",
    "供电公司表示，迎峰度夏期间将加强设备巡检，确保电网安全运行。",
    "据统计，假期期间全市接待游客超过三百万人次，旅游收入同比增长。",
    "乡村振兴示范村建设稳步推进，村容村貌焕然一新。",
    "高速公路改扩建工程进入冲刺阶段，届时通行能力将大幅提升。",
    "会议强调，要持续优化营商环境，切实帮助中小企业纾困解难。",
    "消防部门组织开展高层建筑灭火救援演练，检验应急处置能力。",
    "新能源汽车销量持续走高，充电桩建设也在加快布局。",
    "大学生创业园为入园团队提供免费办公场地和创业指导服务。",
    "考古人员在遗址中发现大量陶器残片，为研究古代聚落提供了新材料。",
    "水务集团完成老旧管网改造四十公里，供水稳定性显著提高。",
    "演出季期间，剧院将上演话剧、歌剧、舞剧等二十余台剧目。",
    "环保部门监测数据显示，本月空气质量优良天数比例达到九成。",
    "菜篮子工程保障了蔬菜供应，主要品种价格较上月小幅回落。",
    "社区卫生服务中心开设家庭医生签约服务，居民可在线预约。",
    "体育公园改造后新增篮球场、足球场和儿童游乐设施。",
    "金融机构加大对小微企业信贷支持，贷款利率进一步下降。",
    "铁路部门增开临时旅客列车，满足暑期学生和游客出行需求。",
]


def title_of(i: int) -> str:
    return f"第{i}号新闻：本市多项民生工程取得新进展"


def article_page(i: int, *, title: str | None = None, published: str = "2024-06-01 08:30", head: str = "",
                 charset: str = "utf-8") -> str:
    """A Chinese news page: site menu, headline, printed time, seven sentences of prose, footer."""
    paras = "".join(f"<p>{s}</p>" for s in random.Random(i).sample(SENTENCES, 7))
    title = title or title_of(i)
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_测试新闻网</title>{head}</head>'
            '<body><div class="nav"><a href="/">首页</a> <a href="/china/">国内</a></div>'
            f'<div class="article"><h1>{title}</h1><div class="info"><span>{published}</span> 来源：测试新闻网</div>'
            f'<div class="content">{paras}</div></div><div class="footer">版权所有 测试新闻网</div></body></html>')


def rss(items: list[tuple[str, str]], title: str = "测试新闻网", date: str = "Sat, 01 Jun 2024 08:30:00 +0800") -> bytes:
    """An RSS 2.0 feed of (title, link) items, each published at `date`."""
    body = "".join(f"<item><title>{t}</title><link>{u}</link><pubDate>{date}</pubDate></item>" for t, u in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://example/</link>{body}</channel></rss>").encode()


class Pages:
    """Routes on the local site that count what they serve: hits per path, full answers, 304s, and the
    request headers of each hit."""

    def __init__(self, site) -> None:  # type: ignore[no-untyped-def]
        self.site = site
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.headers: dict[str, list[dict[str, str]]] = {}
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.site.url(path)

    def _hit(self, h) -> str:  # type: ignore[no-untyped-def]
        path = h.path.split("?")[0]
        with self.lock:
            self.hits[path] += 1
            self.headers.setdefault(path, []).append({k.lower(): v for k, v in h.headers.items()})
        return path

    def route(self, path: str, fn: Callable) -> str:
        """Serve `fn(handler)` at path, counting each hit."""

        def answer(h) -> None:  # type: ignore[no-untyped-def]
            self._hit(h)
            fn(h)

        self.site.routes[path] = answer
        return self.url(path)

    def add(self, path: str, body: bytes | Callable[[], bytes], ctype: str = "text/html; charset=utf-8",
            *, etag: Callable[[], str] | str | None = None, **headers: str) -> str:
        """Serve a body (or what a function returns at each hit); with `etag`, a matching If-None-Match is
        answered 304 without a body."""

        def answer(h) -> None:  # type: ignore[no-untyped-def]
            path = self._hit(h)
            tag = etag() if callable(etag) else etag
            if tag and h.headers.get("If-None-Match") == tag:
                with self.lock:
                    self.not_modified[path] += 1
                send(h, 304, b"", ctype, ETag=tag)
                return
            data = body() if callable(body) else body
            extra = dict(headers, **({"ETag": tag} if tag else {}))
            send(h, 200, data, ctype, **extra)

        self.site.routes[path] = answer
        return self.url(path)


def send(h, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers: str) -> None:  # type: ignore[no-untyped-def]
    h.send_response(status)
    if status != 304:
        h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in headers.items():
        h.send_header(k.replace("_", "-"), v)
    h.end_headers()
    if body:
        h.wfile.write(body)


def quick(**kw: object) -> Fetcher:
    """A fetcher that does not make the tests wait (no pacing; tiny backoff)."""
    return Fetcher(Limits(), Politeness(**{"min_delay": 0.0, "backoff": 0.01, **kw}))  # type: ignore[arg-type]


def wait_until(check: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


# -- 1. addresses ---------------------------------------------------------------------------------------
def test_canonical_addresses_drop_tracking_fragments_and_default_ports() -> None:
    c = canonicalize
    assert c("HTTP://News.Sina.com.cn:80/c/2024-06-01/doc-iabc1234.shtml?from=wap&utm_source=x&spm=1.2#comments") \
        == "http://news.sina.com.cn/c/2024-06-01/doc-iabc1234.shtml"
    assert c("/a/100001.html?id=7&utm_medium=feed&fbclid=zz", "https://www.example.com.cn/china/") \
        == "https://www.example.com.cn/a/100001.html?id=7"
    assert c("../2024/06/01/中文 标题.html", "https://x.cn/news/list/") == \
        "https://x.cn/news/2024/06/01/%E4%B8%AD%E6%96%87%20%E6%A0%87%E9%A2%98.html"
    assert c("https://x.cn/a%20b.html") == c("https://x.cn/a b.html")  # one spelling either way
    assert c("https://x.cn") == "https://x.cn/" and c("https://x.cn:8443/a") == "https://x.cn:8443/a"
    for bad in ("javascript:void(0)", "mailto:a@b.cn", "ftp://x.cn/a", "http://", "http://[bad"):
        assert c(bad) is None, bad


def test_same_site_by_registrable_domain() -> None:
    assert site_of("news.sina.com.cn") == "sina.com.cn" and site_of("www.163.com") == "163.com"
    assert site_of("127.0.0.1") == "127.0.0.1" and site_of("www.gov.cn") == "www.gov.cn"
    assert same_site("https://news.sina.com.cn/a", "https://finance.sina.com.cn/b")
    assert not same_site("https://news.sina.com.cn/a", "https://news.qq.com/b")
    assert not same_site("https://www.163.com/a", "https://www.126.com/a")


@pytest.mark.parametrize("url,text,ok", [
    # articles: a date, a long number, an id, a page name
    ("https://news.sina.com.cn/c/2024-06-01/doc-inaxyzab1234567.shtml", None, True),
    ("http://politics.people.com.cn/n1/2019/0615/c1001-31138473.html", None, True),
    ("http://www.xinhuanet.com/politics/2019-06/15/c_1124627384.htm", None, True),
    ("https://www.guancha.cn/internation/2019_06_15_505945.shtml", None, True),
    ("https://www.163.com/news/article/J5K4ABCD0512D3VR.html", None, True),
    ("https://news.ifeng.com/c/7nQ5oxz9kfa", None, True),
    ("https://baijiahao.baidu.com/s?id=1636437234444&wfr=spider", None, True),
    ("https://www.thepaper.cn/newsDetail_forward_12345678", None, True),
    ("https://www.example.com.cn/news/shenzhen-metro-opens.html", "深圳地铁新线今日开通运营", True),
    # not articles: lists, tags, video, images, login, ads, menus, pagination, front and section pages
    ("https://news.sina.com.cn/china/", "国内新闻频道首页", False),
    ("https://www.example.com.cn/", None, False),
    ("https://www.example.com.cn/china/index_2.shtml", "下一页的新闻列表", False),
    ("https://www.example.com.cn/tag/低碳", "低碳相关的全部报道", False),
    ("https://www.example.com.cn/video/2024/06/01/123456.html", "视频：地铁新线开通", False),
    ("https://v.qq.com/x/page/a1234567890.html", "视频：地铁新线开通", False),
    ("https://www.example.com.cn/2024/06/01/photo.jpg", None, False),
    ("https://passport.example.com.cn/login?next=/2024/06/01/123456.html", "登录后查看全文内容", False),
    ("https://ad.example.com.cn/click/2024/123456789", "广告：限时优惠进行中", False),
    ("https://www.example.com.cn/2024/06/01/123456.html", "更多", False),
    ("https://www.example.com.cn/news/list.php?page=3", "第三页的所有新闻", False),
    ("https://www.example.com.cn/search?q=地铁&id=1234567", "搜索地铁相关新闻", False),
    ("https://www.example.com.cn/about/contact", "联系我们的编辑部", False),
    ("http://mail.163.com/client/dl.html", "免费下载网易官方手机邮箱应用", False),
    ("http://www.qq.com/demo/accessibility.htm", "无障碍说明页面", False),
    ("https://www.example.com.cn/news/comfinanceweb.shtml", "投资热点尽在新浪财经APP", False),
])
def test_article_shape(url: str, text: str | None, ok: bool) -> None:
    assert article_shape(url, text)[0] is ok, article_shape(url, text)


# -- 2. discovery ---------------------------------------------------------------------------------------
BASE = "https://news.example.com.cn/"


def test_feed_links_from_rss_atom_and_json_feeds() -> None:
    feed = rss([("一", "https://news.example.com.cn/2024/06/01/100001.html?utm_source=rss&amp;spm=a.b"),
                ("二", "/2024/06/01/100002.html"),
                ("一again", "https://news.example.com.cn/2024/06/01/100001.html#comments")]).decode()
    links = feed_links(feed, BASE + "rss.xml")
    assert [x.url for x in links] == [BASE + "2024/06/01/100001.html", BASE + "2024/06/01/100002.html"]
    assert links[0].title == "一" and links[0].published and links[0].published.isoformat() == "2024-06-01T08:30:00+08:00"
    atom = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            '<entry><title>甲</title><link rel="alternate" href="https://news.example.com.cn/a/200001.html"/>'
            '<updated>2024-06-02T10:00:00Z</updated></entry>'
            '<entry><title>乙</title><id>https://news.example.com.cn/a/200002.html</id></entry></feed>')
    assert kind_of(atom, BASE + "atom") == "feed"
    assert [x.url for x in discover(atom, BASE + "atom").links] == [BASE + "a/200001.html", BASE + "a/200002.html"]
    jf = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://news.example.com.cn/a/300001.html", "title": "丙",
         "date_published": "2024-06-03T09:00:00+08:00"}, {"id": "2"}, "junk"]})
    (only,) = discover(jf, BASE + "feed.json").links
    assert only.url == BASE + "a/300001.html" and only.title == "丙" and only.published is not None


def test_sitemap_links_from_index_news_sitemap_text_and_robots() -> None:
    index = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             '<sitemap><loc>https://news.example.com.cn/sitemap-2024-05.xml</loc><lastmod>2024-05-31</lastmod></sitemap>'
             '<sitemap><loc>https://news.example.com.cn/sitemap-news.xml</loc><lastmod>2024-06-01</lastmod></sitemap>'
             "</sitemapindex>")
    found = discover(index, BASE + "sitemap_index.xml")
    assert found.kind == "sitemap" and not found.links
    assert found.sitemaps == [BASE + "sitemap-news.xml", BASE + "sitemap-2024-05.xml"]  # newest first
    news = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            "<url><loc>https://news.example.com.cn/2024/06/01/100001.html</loc><news:news><news:publication>"
            "<news:name>测试</news:name><news:language>zh</news:language></news:publication>"
            "<news:publication_date>2024-06-01T08:30:00+08:00</news:publication_date>"
            "<news:title>地铁新线开通</news:title></news:news></url>"
            "<url><loc>https://news.example.com.cn/tag/metro/</loc></url>"
            "<url><loc>https://elsewhere.com/2024/06/01/999999.html</loc></url>"
            "<url><loc>https://finance.example.com.cn/2024/06/01/100003.html</loc><lastmod>2024-06-01</lastmod></url>"
            "</urlset>")
    links, children = sitemap_links(news, BASE + "sitemap-news.xml")
    assert not children
    assert [(x.url, x.title) for x in links] == [(BASE + "2024/06/01/100001.html", "地铁新线开通"),
                                                 ("https://finance.example.com.cn/2024/06/01/100003.html", "")]
    assert links[0].published and links[0].published.hour == 8
    plain = "https://news.example.com.cn/2024/06/01/100001.html\nhttps://news.example.com.cn/2024/06/01/100002.html\n"
    assert len(discover(plain, BASE + "sitemap.txt").links) == 2
    robots = "User-agent: *\nDisallow: /admin/\nSitemap: https://news.example.com.cn/sitemap_index.xml\nsitemap: /s2.xml\n"
    assert robots_sitemaps(robots, BASE + "robots.txt") == [BASE + "sitemap_index.xml", BASE + "s2.xml"]
    assert discover(robots, BASE + "robots.txt").kind == "robots"
    assert sitemap_links("<urlset><url><loc>&xxe;</loc></url>", BASE) == ([], [])  # no entities, no network


def section_page(links: list[tuple[str, str]], *, head: str = "") -> str:
    anchors = "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in links)
    return f"<!DOCTYPE html><html><head><title>国内新闻_测试新闻网</title>{head}</head><body><ul>{anchors}</ul></body></html>"


def test_section_page_links_keep_articles_and_drop_navigation() -> None:
    page = section_page([
        ("/", "首页"), ("/china/", "国内"), ("/china/index_2.shtml", "下一页"), ("/tag/metro/", "地铁相关的全部报道"),
        ("/video/2024/06/01/100009.html", "视频：地铁新线开通运营"), ("/2024/06/01/pic.jpg", "高清组图：地铁新线"),
        ("https://passport.example.com.cn/login", "登录之后发表评论"), ("https://ad.example.com.cn/x/123456789", "广告广告广告广告"),
        ("https://other.com/2024/06/01/100010.html", "其他网站的新闻标题"), ("javascript:void(0)", "打开客户端阅读"),
        ("/2024/06/01/100001.html?spm=home.list&from=index", "地铁新线今日开通运营"),
        ("https://news.example.com.cn/2024/06/01/100001.html", ""),  # the same story's picture link
        ("https://finance.example.com.cn/2024-06-01/doc-iabcdef1234.shtml", "上半年外贸进出口同比增长"),
        ("/2024/06/01/100002.html", "更多"),
    ])
    links = page_links(page, BASE + "china/")
    assert [(x.url, x.title) for x in links] == [
        (BASE + "2024/06/01/100001.html", "地铁新线今日开通运营"),
        ("https://finance.example.com.cn/2024-06-01/doc-iabcdef1234.shtml", "上半年外贸进出口同比增长")]
    advertised = section_page([], head='<link rel="alternate" type="application/rss+xml" href="/rss.xml">')
    assert discover(advertised, BASE).feeds == [BASE + "rss.xml"]


def test_links_on_saved_pages_are_article_links(shared) -> None:
    """Real pages' related and recommended lists: what is kept looks like an article, what is dropped
    includes the site menus."""
    kept = dropped = 0
    for path in sorted((shared / "pages").glob("*/*.html"))[:30]:
        page = path.read_text(encoding="utf-8", errors="replace")
        base = "https://www.163.com/" if "163" in path.parts[-2] else f"https://www.{path.parts[-2]}.com/"
        links = page_links(page, base)
        for link in links:
            assert article_shape(link.url, link.title)[0] and same_site(link.url, base), link
        kept += len(links)
        dropped += page.count("<a ") - len(links)
    assert kept > 50 and dropped > kept
    page = (shared / "pages" / "163" / "1.html").read_text(encoding="utf-8")
    links = [x.url for x in page_links(page, "https://www.163.com/")]
    assert sum("news.163.com/19/09" in u for u in links) >= 30  # the story lists
    assert not [u for u in links if "mail.163.com" in u or "/special/" in u or u.endswith("163.com/")]


# -- 3. the polite fetcher ------------------------------------------------------------------------------
def test_an_unchanged_feed_costs_a_304(site) -> None:
    pages = Pages(site)
    feed = pages.add("/rss.xml", rss([("一", "/2024/06/01/100001.html")]), "application/rss+xml", etag='"v1"')
    pages.route("/lm.xml", lambda h: send(h, 304) if h.headers.get("If-Modified-Since") == "Sat, 01 Jun 2024 00:00:00 GMT"
                else send(h, 200, b"<rss></rss>", "application/rss+xml", Last_Modified="Sat, 01 Jun 2024 00:00:00 GMT"))
    with quick() as f:
        first = f.get(feed, expect="feed")
        second = f.get(feed, expect="feed")
        assert not isinstance(first, FetchProblem) and first.status == 200 and b"100001" in first.content
        assert not isinstance(second, FetchProblem) and second.not_modified and second.content == b""
        assert pages.headers["/rss.xml"][1]["if-none-match"] == '"v1"' and pages.not_modified["/rss.xml"] == 1
        a, b = f.get(pages.url("/lm.xml")), f.get(pages.url("/lm.xml"))
        assert a.status == 200 and b.status == 304  # type: ignore[union-attr]
        assert f.get(feed, conditional=False).status == 200  # type: ignore[union-attr]
        assert f.validators[feed] == {"etag": '"v1"'}


def test_503_is_retried_until_it_succeeds(site) -> None:
    pages = Pages(site)
    answers = iter([503, 503, 200])
    url = pages.route("/busy.html", lambda h: send(h, next(answers), article_page(1).encode()))
    waits: list[float] = []
    f = Fetcher(Limits(), Politeness(min_delay=0, backoff=0.01), sleep=lambda s: (waits.append(s), time.sleep(s)))
    got = f.get(url, expect="html")
    assert not isinstance(got, FetchProblem) and got.status == 200 and pages.hits["/busy.html"] == 3
    assert waits == [0.01, 0.02]  # a doubling backoff where the server gave no Retry-After
    always = pages.route("/down.html", lambda h: send(h, 503))
    got = f.get(always, expect="html")
    assert isinstance(got, FetchProblem) and got.status == 503 and not got.permanent  # try again later
    assert pages.hits["/down.html"] == 4  # the first try and 3 retries, no more
    f.close()


def test_retry_after_is_honoured_and_bounded(site) -> None:
    pages = Pages(site)
    arrived: list[float] = []
    answers = iter([(429, {"Retry_After": "1"}), (200, {})])

    def limited(h) -> None:  # type: ignore[no-untyped-def]
        arrived.append(time.monotonic())
        status, headers = next(answers)
        send(h, status, article_page(2).encode(), **headers)

    url = pages.route("/limited.html", limited)
    waits: list[float] = []
    f = Fetcher(Limits(), Politeness(min_delay=0), sleep=lambda s: (waits.append(s), time.sleep(s)))
    got = f.get(url, expect="html")
    assert not isinstance(got, FetchProblem) and got.status == 200
    assert waits == [1.0] and arrived[1] - arrived[0] >= 1.0  # it did wait what the server asked
    pages.route("/later.html", lambda h: send(h, 503, Retry_After="3600"))
    got = f.get(pages.url("/later.html"))
    assert isinstance(got, FetchProblem) and "come back in 3600 s" in got.message and waits == [1.0]
    got = f.get(pages.url("/limited.html"))  # the host asked to be left alone: nothing is sent until then
    assert isinstance(got, FetchProblem) and "left alone" in got.message and pages.hits["/limited.html"] == 2
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 5.0) == 0.0 and retry_after("soon", 5.0) == 5.0
    f.close()


def test_404_and_410_give_up_at_once(site) -> None:
    pages = Pages(site)
    pages.route("/gone.html", lambda h: send(h, 410))
    with quick() as f:
        for path in ("/missing.html", "/gone.html"):
            got = f.get(pages.url(path), expect="html")
            assert isinstance(got, FetchProblem) and got.permanent and got.status in (404, 410), got
            assert "given up" in got.message
        assert pages.hits["/gone.html"] == 1


def test_an_oversize_answer_is_refused(site) -> None:
    pages = Pages(site)
    url = pages.add("/big.html", b"<html>" + b"x" * 50_000 + b"</html>")
    with Fetcher(Limits(fetch_bytes=10_000), Politeness(min_delay=0)) as f:
        got = f.get(url, expect="html")
    assert isinstance(got, FetchProblem) and got.permanent and "larger than 10,000 bytes" in got.message


def test_robots_txt_is_obeyed(site) -> None:
    pages = Pages(site)
    pages.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n\nUser-agent: xinwen\nDisallow: /private/\n"
              b"Disallow: /not-for-xinwen/\n", "text/plain")
    for path in ("/private/a.html", "/not-for-xinwen/a.html", "/public/a.html", "/moved.html"):
        pages.add(path, article_page(3).encode())
    pages.route("/moved.html", lambda h: send(h, 302, Location="/private/a.html"))
    with quick() as f:
        for path in ("/private/a.html", "/not-for-xinwen/a.html", "/moved.html"):
            got = f.get(pages.url(path), expect="html")
            assert isinstance(got, FetchProblem) and got.permanent and "robots.txt does not allow" in got.message
        assert not f.get(pages.url("/public/a.html"), expect="html").content == b""  # type: ignore[union-attr]
    assert pages.hits["/private/a.html"] == pages.hits["/not-for-xinwen/a.html"] == 0  # never asked for
    assert pages.hits["/robots.txt"] == 1  # read once per host
    assert pages.headers["/public/a.html"][0]["user-agent"].startswith("xinwen/")


def test_a_robots_txt_that_cannot_be_read_leaves_the_host_alone(site) -> None:
    pages = Pages(site)
    pages.route("/robots.txt", lambda h: send(h, 500))
    pages.add("/a.html", article_page(3).encode())
    with quick() as f:
        got = f.get(pages.url("/a.html"), expect="html")
        assert isinstance(got, FetchProblem) and not got.permanent and "robots.txt cannot be read" in got.message
    assert pages.hits["/a.html"] == 0


def test_redirects_are_bounded_and_a_loop_is_stopped(site) -> None:
    pages = Pages(site)
    pages.route("/loop-a", lambda h: send(h, 302, Location="/loop-b"))
    pages.route("/loop-b", lambda h: send(h, 301, Location=pages.url("/loop-a")))
    for i in range(8):
        pages.route(f"/hop{i}", lambda h, i=i: send(h, 302, Location=f"/hop{i + 1}"))
    pages.route("/to-file", lambda h: send(h, 302, Location="file:///etc/passwd"))
    pages.add("/hop8", article_page(4).encode())
    with quick() as f:
        got = f.get(pages.url("/loop-a"))
        assert isinstance(got, FetchProblem) and got.permanent and "redirect loop" in got.message
        got = f.get(pages.url("/hop0"))
        assert isinstance(got, FetchProblem) and "more than 5 redirects" in got.message
        got = f.get(pages.url("/hop4"))  # 4 redirects are fine
        assert not isinstance(got, FetchProblem) and got.url == pages.url("/hop8")
        got = f.get(pages.url("/to-file"))
        assert isinstance(got, FetchProblem) and "not an http(s) address" in got.message
    assert pages.hits["/loop-a"] == 1 and pages.hits["/loop-b"] == 1
    one_shot = fetch(pages.url("/loop-a"), Limits())  # `xinwen ingest URL` shares the implementation
    assert not isinstance(one_shot, FetchProblem) and "redirect loop" in one_shot.message
    moved = fetch(pages.url("/hop6"), Limits())
    assert moved.url == pages.url("/hop8") and b"<h1>" in moved.content  # type: ignore[union-attr]


def test_a_wrong_content_type_is_reported(site) -> None:
    pages = Pages(site)
    jpeg = b"\xff\xd8\xff\xe0" + bytes(2000)
    pages.add("/2024/06/01/100001.html", jpeg, "image/jpeg")
    pages.add("/2024/06/01/100002.html", b"\x89PNG\r\n\x1a\n" + bytes(100), "text/html")  # a lying type
    pages.add("/doc.pdf", b"%PDF-1.4 ...", "application/pdf")
    pages.add("/feed", rss([]), "application/rss+xml")
    with quick() as f:
        for path, sent in (("/2024/06/01/100001.html", "image/jpeg"), ("/2024/06/01/100002.html", "image/png"),
                           ("/doc.pdf", "application/pdf")):
            got = f.get(pages.url(path), expect="html")
            assert isinstance(got, FetchProblem) and got.permanent, got
            assert f"expected an HTML page, the server sent {sent}" in got.message
        got = f.get(pages.url("/feed"), expect="html")
        assert isinstance(got, FetchProblem) and "application/rss+xml" in got.message
        assert not isinstance(f.get(pages.url("/feed"), expect="feed"), FetchProblem)


def test_a_gbk_page_is_decoded(site) -> None:
    title = "国务院办公厅关于印发城市更新行动方案的通知"
    page = article_page(5, title=title, charset="gbk")
    gbk = page.encode("gbk")
    pages = Pages(site)
    cases = {
        "/gbk-header.html": "text/html; charset=GBK",  # the server says so
        "/gbk-meta.html": "text/html",  # only the page's <meta charset> says so
        "/gbk-lie.html": "text/html; charset=utf-8",  # the server says utf-8, wrongly
        "/gbk-latin1.html": "text/html; charset=ISO-8859-1",  # a server's default
    }
    for path, ctype in cases.items():
        pages.add(path, gbk, ctype)
    pages.add("/gbk-bare.html", gbk.replace(b'<meta charset="gbk">', b""), "text/html")  # nothing says so
    pages.add("/utf8-says-gb2312.html", article_page(5, title=title, charset="gb2312").encode("utf-8"))
    with quick() as f:
        for path in [*cases, "/gbk-bare.html", "/utf8-says-gb2312.html"]:
            got = f.get(pages.url(path), expect="html")
            assert not isinstance(got, FetchProblem)
            decoded = text(got)
            assert title in decoded and "来源：测试新闻网" in decoded, path
            (article,) = read_bytes(decoded.encode("utf-8"), got.url, fmt="html", url=got.url)
            assert isinstance(article, Article) and article.title == title and "地铁" not in article.title


def test_one_host_is_read_one_request_at_a_time_with_a_delay_between(site) -> None:
    pages = Pages(site)
    spans: list[tuple[float, float]] = []
    busy = [0, 0]  # now, most at once
    lock = threading.Lock()

    def slow(h) -> None:  # type: ignore[no-untyped-def]
        with lock:
            busy[0] += 1
            busy[1] = max(busy[1], busy[0])
        start = time.monotonic()
        time.sleep(0.05)
        send(h, 200, article_page(6).encode())
        with lock:
            busy[0] -= 1
            spans.append((start, time.monotonic()))

    pages.route("/slow.html", slow)
    f = Fetcher(Limits(), Politeness(min_delay=0.2))
    threads = [threading.Thread(target=f.get, args=(pages.url("/slow.html"),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    f.close()
    spans.sort()
    assert busy[1] == 1 and len(spans) == 4
    assert all(b[0] - a[1] >= 0.19 for a, b in zip(spans, spans[1:], strict=False)), spans


def test_crawl_delay_in_robots_txt_slows_us_down(site) -> None:
    pages = Pages(site)
    pages.add("/robots.txt", b"User-agent: *\nCrawl-delay: 2\n", "text/plain")
    pages.add("/a.html", article_page(7).encode())
    waits: list[float] = []
    with Fetcher(Limits(), Politeness(min_delay=0), sleep=waits.append) as f:
        f.get(pages.url("/a.html"))
        f.get(pages.url("/a.html"))
    assert waits and waits[-1] > 1.5  # the second request waited for the site's Crawl-delay


# -- 4. sources and state -------------------------------------------------------------------------------
def test_sources_toml_lists_sources_with_their_own_intervals(tmp_path) -> None:
    (tmp_path / "drop").mkdir()
    toml = tmp_path / "SOURCES.toml"
    toml.write_text('every = 900\n\n[[source]]\nurl = "https://news.example.com.cn/rss.xml"\nevery = 120\n'
                    'name = "示例"\n\n[[source]]\nurl = "https://news.example.com.cn/robots.txt"\nmax_age_days = 0\n\n'
                    '[[source]]\npath = "drop"\n', encoding="utf-8")
    feed, robots, drop = read_toml(toml)
    assert (feed.key, feed.every, feed.name) == ("https://news.example.com.cn/rss.xml", 120.0, "示例")
    assert robots.every == 900.0 and robots.max_age_days == 0 and not robots.is_folder
    assert drop.is_folder and drop.key == str((tmp_path / "drop").resolve())
    both = parse_sources([str(toml), "https://news.example.com.cn/rss.xml", str(tmp_path / "drop")], every=60)
    assert len(both) == 3  # each source once
    for bad, why in (('[[source]]\nurl = "ftp://x"\n', "needs url"), ("[[source]]\nurl = \n", "not valid TOML"),
                     ('[[source]]\nurl = "https://a.cn/"\nevery = -1\n', "above 0"), ("every = 5\n", "lists no sources"),
                     ('[[source]]\nurl = "https://a.cn/"\nintervl = 5\n', "unknown key")):
        toml.write_text(bad, encoding="utf-8")
        with pytest.raises(SourceError, match=why):
            read_toml(toml)
    with pytest.raises(SourceError, match="not an http"):
        parse_sources(["news.example.com.cn/rss.xml"])


def test_watch_state_round_trips_and_prunes() -> None:
    state = WatchState()
    st = state.source(Source("https://a.cn/rss.xml", name="a"))
    st.count_article("2024-06-01")
    state.mark_seen("https://a.cn/1.html")
    state.seen["https://a.cn/old.html"] = "2000-01-01"
    again = WatchState.from_bytes(state.to_bytes())
    assert "https://a.cn/old.html" not in again.seen and "https://a.cn/1.html" in again.seen
    assert again.sources["https://a.cn/rss.xml"].name == "a"
    from xinwen.errors import StoreError

    with pytest.raises(StoreError, match="damaged"):
        WatchState.from_bytes(b"{not json")
    with pytest.raises(StoreError, match="newer xinwen"):
        WatchState.from_bytes(b'{"version": 99}')


# -- 5. watch ---------------------------------------------------------------------------------------------
class Newsroom:
    """A site that publishes: article pages at /2024/06/01/<100000 + i>.html and an RSS feed of them, whose
    ETag changes when an article is published."""

    def __init__(self, site, *, feed_path: str = "/rss.xml") -> None:  # type: ignore[no-untyped-def]
        self.pages = Pages(site)
        self.published: list[int] = []
        self.feed_path = feed_path
        self.feed = self.pages.add(feed_path, self._feed, "application/rss+xml; charset=utf-8",
                                   etag=lambda: f'"{len(self.published)}"')

    def path(self, i: int) -> str:
        return f"/2024/06/01/{100000 + i}.html"

    def url(self, i: int) -> str:
        return self.pages.url(self.path(i))

    def publish(self, *numbers: int, route: Callable | None = None) -> None:
        for i in numbers:
            if route is not None:
                self.pages.route(self.path(i), route(i))
            else:
                self.pages.add(self.path(i), article_page(i).encode())
            self.published.append(i)

    def _feed(self) -> bytes:
        from email.utils import format_datetime

        now = format_datetime(datetime.now(UTC))  # published now: well within watch's --max-age
        return rss([(title_of(i), self.url(i) + "?utm_source=rss") for i in reversed(self.published)], date=now)


def stored_urls(db: Path) -> list[str]:
    with Collection(db, readonly=True) as c:
        return sorted(s.article.url or "" for s in c.store.iter_articles())


def test_watch_follows_a_site_that_publishes_while_it_is_watched(site, tmp_path) -> None:
    room = Newsroom(site)
    room.publish(1, 2, 3)
    db = tmp_path / "news.db"
    stop = threading.Event()
    events: list = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with Collection(db) as c, Fetcher(Limits(), Politeness(min_delay=0), stop=stop) as f:
                Watcher(c, [Source(room.feed, every=0.2)], fetcher=f, on_event=events.append, stop=stop).run()
        except BaseException as e:  # pragma: no cover - reported below
            failures.append(e)

    def added() -> list[str]:
        return [e.data["id"] for e in list(events) if e.kind == "article" and e.data["status"] == "added"]

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        wait_until(lambda: len(added()) == 3 or bool(failures), "the first three articles")
        wait_until(lambda: room.pages.not_modified[room.feed_path] >= 2 or bool(failures), "an unchanged feed")
        room.publish(4, 5)  # while watched
        wait_until(lambda: len(added()) == 5 or bool(failures), "the two new articles")
    finally:
        stop.set()
        watcher.join(WAIT)
    assert not failures and not watcher.is_alive()
    assert sorted(added()) == sorted(make_id("", None, room.url(i)) for i in range(1, 6))
    assert stored_urls(db) == sorted(room.url(i) for i in range(1, 6))
    assert all(room.pages.hits[room.path(i)] == 1 for i in range(1, 6))  # each article fetched once
    with Collection(db, readonly=True) as c:
        state = read_state(c.store)
        article = c.get(make_id("", None, room.url(4)))
    st = state.sources[room.feed]
    assert st.articles == 5 and st.failures == 0 and st.kind == "feed" and not st.queue
    assert article.title == title_of(4) and article.published and article.tags


def test_watch_once_reads_robots_sitemaps_and_section_pages_each_article_once(site, tmp_path) -> None:
    pages = Pages(site)
    base = pages.url("/")
    art = {i: f"/2024/06/0{i}/{100000 + i}.html" for i in range(1, 6)}
    for i, path in art.items():
        pages.add(path, article_page(i, published=f"2024-06-0{i} 08:30").encode())
    # a mobile twin whose page names the desktop address as canonical, and a copy of article 1 elsewhere
    pages.add("/m/2024/06/01/100001.html", article_page(1, published="2024-06-01 08:30", head=(
        f'<link rel="canonical" href="{pages.url(art[1])}">')).encode())
    pages.add("/2024/06/09/200001.html", article_page(1, title="转载：" + title_of(1),
                                                      published="2024-06-09 10:00").encode())
    pages.add("/robots.txt", f"User-agent: *\nDisallow: /private/\nSitemap: {base}sitemap_index.xml\n".encode(), "text/plain")
    pages.add("/sitemap_index.xml", (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}sitemap-news.xml</loc></sitemap><sitemap><loc>{base}sitemap-old.xml.gz</loc></sitemap>"
        "</sitemapindex>").encode(), "application/xml")
    import gzip

    urls = "".join(f"<url><loc>{pages.url(p)}</loc></url>" for p in (art[1], art[2], "/private/2024/06/01/9.html",
                                                                      "/tag/x/"))
    pages.add("/sitemap-news.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
              "application/xml", etag='"s1"')
    pages.add("/sitemap-old.xml.gz", gzip.compress(
        f"<urlset><url><loc>{pages.url(art[3])}</loc></url></urlset>".encode()), "application/x-gzip")
    pages.add("/china/", section_page([("/", "首页"), (art[2] + "?spm=a.b&from=china", "第2号新闻：本市多项民生工程"),
                                       (art[4], "第4号新闻：本市多项民生工程"), ("/china/index_2.shtml", "下一页"),
                                       ("/m/2024/06/01/100001.html", "第1号新闻：本市多项民生工程（手机版）")]).encode())
    pages.add("/rss.xml", rss([("五", pages.url(art[5])), ("转载", pages.url("/2024/06/09/200001.html")),
                               ("gone", pages.url("/2024/06/01/100404.html"))]), "application/rss+xml")
    db = tmp_path / "news.db"
    events: list = []
    sources = [Source(pages.url(p), max_age_days=0) for p in ("/robots.txt", "/china/", "/rss.xml")]
    with Collection(db) as c, quick() as f:
        Watcher(c, sources, fetcher=f, on_event=events.append).run(once=True)
        copies = c.copies(make_id("", None, pages.url(art[1])))
        state = read_state(c.store)
    assert stored_urls(db) == sorted([pages.url(p) for p in art.values()] + [pages.url("/2024/06/09/200001.html")])
    assert all(pages.hits[p] == 1 for p in art.values())  # each article once, though listed up to three times
    assert pages.hits["/m/2024/06/01/100001.html"] == 1 and pages.hits["/private/2024/06/01/9.html"] == 0
    assert [a.url for a in copies] == [pages.url("/2024/06/09/200001.html")]  # found a copy, kept apart
    assert {s.kind for s in state.sources.values()} == {"robots", "page", "feed"}
    assert state.sources[pages.url("/rss.xml")].given_up == 1  # the 404
    problems = [e.data["message"] for e in events if e.kind == "problem"]
    assert any("HTTP 404" in p for p in problems) and any("robots.txt does not allow" in p for p in problems)


def test_a_failing_source_fails_alone(site, tmp_path) -> None:
    room = Newsroom(site)
    room.publish(1, 2)
    pages = room.pages
    pages.route("/broken.xml", lambda h: send(h, 500))
    pages.add("/picture.xml", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/rss.xml"  # nothing listens there
    sources = [Source(pages.url("/broken.xml")), Source(closed), Source(pages.url("/picture.xml")), Source(room.feed)]
    db = tmp_path / "news.db"
    for _ in range(2):
        with Collection(db) as c, quick() as f:
            Watcher(c, sources, fetcher=f).run(once=True)
    with Collection(db, readonly=True) as c:
        state = read_state(c.store)
    assert stored_urls(db) == sorted(room.url(i) for i in (1, 2))
    good = state.sources[room.feed]
    assert good.failures == 0 and good.articles == 2 and good.last_success
    for s in sources[:3]:
        bad = state.sources[s.key]
        assert bad.failures == 2 and bad.last_success is None and bad.health() == "failing"
    assert "HTTP 500" in state.sources[pages.url("/broken.xml")].last_error
    assert "image/png" in state.sources[pages.url("/picture.xml")].last_error


def test_links_left_out_of_a_full_queue_are_found_again(site, tmp_path, monkeypatch) -> None:
    import xinwen.follow.watch as watch

    monkeypatch.setattr(watch, "MAX_QUEUE", 2)
    room = Newsroom(site)
    room.publish(1, 2, 3)
    db = tmp_path / "news.db"
    with Collection(db) as c, quick() as f:
        events: list = []
        watcher = Watcher(c, [Source(room.feed, max_per_poll=1)], fetcher=f, on_event=events.append)
        watcher.run(once=True)  # queues 3 and 2 (the newest first), reads 3; 1 had no room
        assert [e.data.get("left_out") for e in events if e.kind == "poll"] == [1]
        assert room.feed not in read_state(c.store).validators  # so the next poll reads the feed whole
        for _ in range(2):
            Watcher(c, [Source(room.feed, max_per_poll=1)], fetcher=f).run(once=True)
    assert stored_urls(db) == sorted(room.url(i) for i in (1, 2, 3))
    assert room.pages.not_modified[room.feed_path] == 1  # once everything was queued, the feed cost a 304


def test_a_page_that_breaks_the_reader_is_given_up_alone(site, tmp_path, monkeypatch) -> None:
    room = Newsroom(site)
    room.publish(1, 2, 3)
    import xinwen.readers

    real = xinwen.readers.read_bytes

    def breaks_on_2(data, name, **kw):  # type: ignore[no-untyped-def]
        if name == room.url(2):
            raise RuntimeError("a parser's own failure")
        return real(data, name, **kw)

    monkeypatch.setattr(xinwen.readers, "read_bytes", breaks_on_2)
    db = tmp_path / "news.db"
    with Collection(db) as c, quick() as f:
        Watcher(c, [Source(room.feed)], fetcher=f).run(once=True)
        st = read_state(c.store).sources[room.feed]
    assert stored_urls(db) == sorted(room.url(i) for i in (1, 3))
    assert st.given_up == 1 and "a parser's own failure" in (st.last_problem or "") and st.failures == 0


def test_a_folder_source_reads_new_and_changed_files(tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.jsonl").write_text(json.dumps({"title": "甲新闻", "body": "甲" * 80, "url": "https://a.cn/1.html"},
                                             ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "news.db"
    source = Source(str(drop))
    with Collection(db) as c:
        events: list = []
        Watcher(c, [source], fetcher=quick(), on_event=events.append).run(once=True)
        assert c.count() == 1
        (drop / "b.html").write_text(article_page(8), encoding="utf-8")
        (drop / ".hidden.jsonl").write_text('{"title": "不读"}\n', encoding="utf-8")
        Watcher(c, [source], fetcher=quick(), on_event=events.append).run(once=True)
        assert c.count() == 2
        polls = [e.data for e in events if e.kind == "poll"]
        assert [p["read"] for p in polls] == [1, 1]  # the second poll read only the new file
        assert read_state(c.store).sources[source.key].articles == 2


# -- 6. the commands --------------------------------------------------------------------------------------
@pytest.fixture
def cli(monkeypatch):
    """xinwen.cli.main with the follow commands registered (until they are in COMMAND_MODULES)."""
    import xinwen.cli as cli_module

    if "follow" not in cli_module.COMMAND_MODULES:
        monkeypatch.setattr(cli_module, "COMMAND_MODULES", [*cli_module.COMMAND_MODULES, "follow"])
    return cli_module.main


def test_watch_and_sources_commands(site, tmp_path, cli, capsys) -> None:
    room = Newsroom(site)
    room.publish(1, 2)
    db = str(tmp_path / "news.db")
    assert cli(["watch", room.feed, "--once", "--delay", "0", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n+ ") + out.startswith("+ ") == 2 and title_of(1) in out and "polled" in err
    assert cli(["sources", "--db", db, "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["source"] == room.feed and row["health"] == "ok" and row["articles"] == 2 and row["per_day"] == 2
    assert row["failures"] == 0 and row["kind"] == "feed" and row["last_success"]
    assert cli(["sources", "--db", db]) == 0
    assert "ok" in capsys.readouterr().out
    assert cli(["watch", room.feed, "--once", "--json", "--delay", "0", "--db", db]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [{"event": "poll", "source": room.feed, "status": "ok", "kind": "feed", "not_modified": True,
                      "links": 0, "queued": 0}]
    assert cli(["watch", "not-a-source", "--db", db]) == 2  # usage errors
    assert cli(["watch", room.feed, "--every", "0", "--db", db]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err
    bad = tmp_path / "SOURCES.toml"
    bad.write_text("[[source]]\nurl = 1\n", encoding="utf-8")
    assert cli(["watch", str(bad), "--once", "--db", db]) == 1  # a runtime error, one line, no traceback
    err = capsys.readouterr().err
    assert "SOURCES.toml" in err and "Traceback" not in err
    assert cli(["watch", pages_url_that_fails(room), "--once", "--delay", "0", "--db", db]) == 1


def pages_url_that_fails(room: Newsroom) -> str:
    room.pages.route("/down.xml", lambda h: send(h, 500))
    return room.pages.url("/down.xml")


def watch_process(db: Path, *sources: str, once: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-c", RUNNER, "watch", *sources, "--db", str(db), "--delay", "0", "--every", "0.5", "--json"]
    return subprocess.Popen(args + (["--once"] if once else []), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), XINWEN_NO_PROGRESS="1"))


def blocking(reached: threading.Event, release: threading.Event, first_only: bool = True):  # type: ignore[no-untyped-def]
    """A route maker whose page answers only after `release` (the first time), having set `reached`."""

    def make(i: int):  # type: ignore[no-untyped-def]
        def answer(h) -> None:  # type: ignore[no-untyped-def]
            if not (first_only and reached.is_set()):
                reached.set()
                release.wait(WAIT)
            send(h, 200, article_page(i).encode())

        return answer

    return make


def test_watch_killed_mid_poll_and_restarted_loses_and_doubles_nothing(site, tmp_path) -> None:
    room = Newsroom(site)
    reached, release = threading.Event(), threading.Event()
    room.publish(1, 2, 3)
    room.publish(4, route=blocking(reached, release))  # the watcher is killed while it fetches this one
    room.publish(5, 6, 7, 8)
    db = tmp_path / "news.db"
    proc = watch_process(db, room.feed)
    try:
        assert reached.wait(WAIT), proc.stderr.read().decode() if proc.poll() is not None else "no fetch of article 4"
        proc.send_signal(signal.SIGKILL)
        proc.wait(WAIT)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    # the feed lists the newest first: 8, 7, 6 and 5 were read before 4, and stored
    assert stored_urls(db) == sorted(room.url(i) for i in (5, 6, 7, 8))
    again = watch_process(db, room.feed, once=True)
    out, err = again.communicate(timeout=WAIT)
    assert again.returncode == 0, err.decode()
    assert stored_urls(db) == sorted(room.url(i) for i in range(1, 9))  # nothing lost, nothing twice
    assert [room.pages.hits[room.path(i)] for i in range(1, 9)] == [1, 1, 1, 2, 1, 1, 1, 1]
    assert room.pages.not_modified[room.feed_path] == 1  # the restart found the feed unchanged: its queue was kept
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert [e["url"] for e in events if e["event"] == "article"] == [room.url(i) for i in (4, 3, 2, 1)]
    with Collection(db, readonly=True) as c:
        state = read_state(c.store)
        assert c.count() == 8
    st = state.sources[room.feed]
    assert st.articles == 8 and not st.queue and all(room.url(i) in state.seen for i in range(1, 9))


def test_sigterm_stops_after_the_current_article(site, tmp_path) -> None:
    room = Newsroom(site)
    reached, release = threading.Event(), threading.Event()
    room.publish(1, 2)
    room.publish(3, route=blocking(reached, release))  # read second: the feed lists 4, 3, 2, 1
    room.publish(4)
    db = tmp_path / "news.db"
    proc = watch_process(db, room.feed)
    try:
        assert reached.wait(WAIT), "no fetch of article 3"
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # let the signal land while the fetch is still waiting (it is not a timed assertion)
        release.set()
        out, err = proc.communicate(timeout=WAIT)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
    assert stored_urls(db) == sorted(room.url(i) for i in (3, 4))  # the current article was finished
    assert room.pages.hits[room.path(2)] == room.pages.hits[room.path(1)] == 0  # and nothing after it started
    with Collection(db, readonly=True) as c:
        queue = [e["url"] for e in read_state(c.store).sources[room.feed].queue]
    assert queue == [room.url(i) for i in (2, 1)]  # what is left waits for the next run


def test_a_second_watcher_of_one_collection_is_refused(site, tmp_path) -> None:
    room = Newsroom(site)
    reached, release = threading.Event(), threading.Event()
    room.publish(1, route=blocking(reached, release))
    db = tmp_path / "news.db"
    first = watch_process(db, room.feed)
    try:
        assert reached.wait(WAIT), "no fetch of article 1"
        second = watch_process(db, room.feed, once=True)
        out, err = second.communicate(timeout=WAIT)
        assert second.returncode == 1 and "another xinwen watch" in err.decode() and "Traceback" not in err.decode()
    finally:
        release.set()
        first.kill()
        first.wait(WAIT)
    again = watch_process(db, room.feed, once=True)  # the lock went with the process
    assert again.wait(WAIT) == 0, again.stderr.read().decode() if again.stderr else ""
    assert stored_urls(db) == [room.url(1)]


def test_saved_pages_served_over_http_are_fetched_decoded_and_extracted(shared, site, tmp_path) -> None:
    """Saved pages of real sites, one of them re-encoded in GBK (served with charset=gbk) and three that say
    gb2312 over UTF-8 bytes: the watcher stores what reading the saved file stores."""
    files = [shared / "pages" / p for p in ("people/1.html", "qq/2.html", "163/9.html", "sina/1.html",
                                            "thepaper/1.html", "xinhuanet/1.html", "ifeng/1.html", "guancha/2.html")]
    pages = Pages(site)
    expected = {}
    for n, path in enumerate(files):
        data = path.read_bytes()
        route = f"/2019/06/15/{200000 + n}.html"
        if n == 3:  # the sina page, as a GBK site would send it
            html = data.decode("utf-8").replace('charset="utf-8"', 'charset="gbk"')
            pages.add(route, html.encode("gb18030"), "text/html; charset=gbk")
        else:
            pages.add(route, data, "text/html")
        (article,) = [x for x in read_one(path) if isinstance(x, Article)]
        expected[route] = article
    pages.add("/rss.xml", rss([(a.title, pages.url(r)) for r, a in expected.items()]), "application/rss+xml")
    db = tmp_path / "news.db"
    with Collection(db) as c, quick() as f:
        Watcher(c, [Source(pages.url("/rss.xml"), max_age_days=0)], fetcher=f).run(once=True)
        stored = {s.article.title: s.article for s in c.store.iter_articles()}
    assert len(stored) == len(files)
    for route, want in expected.items():
        got = stored.get(want.title)
        assert got is not None, (route, want.title)
        assert got.body == want.body and got.published == want.published, route

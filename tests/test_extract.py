"""Article extraction from HTML pages (xinwen.readers.html, .extract, .pagemeta): hand-written pages for
each rule, and the 62 saved pages of ../shared/pages against what a person read on them
(tests/data/pages_expected.json), scored by the rules of bench/bench_extract.py."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from xinwen.article import Article, Problem
from xinwen.readers import read_bytes
from xinwen.readers.html import extract_article, read_html, url_date
from xinwen.readers.pagemeta import clean_page_title, meta_times

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import bench_extract as bench  # noqa: E402  (the comparison rules live with the bench, in one place)

SH = ZoneInfo("Asia/Shanghai")
EXPECTED = {
    e["page"]: e for e in json.loads((ROOT / "tests" / "data" / "pages_expected.json").read_text("utf-8"))
}
# issue 18's targets, of 62 pages (every page has an expected date)
TARGETS = {"title": 60, "date": 55, "start": 59, "end": 58, "clean": 58}

PROSE = [
    "十年来，从国家到沿江省市，把修复长江生态环境摆在压倒性位置，共抓大保护、不搞大开发。",
    "长江经济带生态环境保护发生了转折性变化，经济社会发展取得历史性成就，干流水质连续多年稳定达到二类。",
    "沿江各地持续推进污染治理和生态修复，长江十年禁渔取得阶段性成效，江豚等珍稀物种频频现身。",
    "专家表示，下一步还要在流域统筹、系统治理上下功夫，让一江清水绵延后世、惠泽人民。",
]


def page(body: str, head: str = "", title: str = "长江经济带生态环境持续改善_新闻中心_某某网") -> str:
    """A news page: a menu, the given body markup, a sidebar of headlines and a footer."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{head}</head><body>
<div class="nav"><a href="/">首页</a> | <a href="/n">新闻</a> | <a href="/s">体育</a> | <a href="/f">财经</a></div>
{body}
<div class="side"><h3>热点新闻</h3><ul>
<li><a href="/1">多地出台新政支持新能源汽车消费</a></li><li><a href="/2">今年前三季度外贸进出口稳中向好</a></li>
<li><a href="/3">秋粮收获进度过半 丰收在望</a></li></ul></div>
<div class="footer">关于我们 | 联系我们 | 版权所有 某某网 Copyright © 2024 All Rights Reserved</div>
</body></html>"""


def paragraphs(lines: list[str] = PROSE) -> str:
    return "".join(f"<p>{p}</p>" for p in lines)


def one(html: str, name: str = "t.html") -> Article:
    (article,) = list(read_html(html, name))
    assert isinstance(article, Article)
    return article


# --- the body -------------------------------------------------------------------------------------------
def test_body_is_the_prose_not_the_menu_sidebar_or_footer() -> None:
    a = one(page(f'<h1>长江经济带生态环境持续改善</h1><div class="article">{paragraphs()}</div>'))
    assert a.title == "长江经济带生态环境持续改善"
    assert a.body.split("\n") == PROSE


def test_trailing_editor_copyright_share_and_related_cut() -> None:
    tail = (
        "<p>（责任编辑：王小明）</p><p>版权所有，未经授权不得转载。</p><p>扫一扫，关注我们的微信公众号</p>"
        "<p>分享到：微博 微信 QQ空间</p><h3>相关阅读</h3><ul><li><a href='/9'>长江禁渔一周年：江豚回来了</a></li>"
        "<li>长江沿线城市群发展规划出台，多地积极响应，推进一体化发展迈出新步伐。</li></ul>"
    )
    a = one(page(f"<h1>长江经济带生态环境持续改善</h1><div class='content'>{paragraphs()}{tail}</div>"))
    assert a.body.endswith(PROSE[-1])
    assert not bench.boilerplate(a.body)


def test_comment_box_after_the_story_is_not_body() -> None:
    comments = "".join(
        f'<div class="comment-item"><span class="user">网友{i}</span><p>这篇报道写得很好，希望长江越来越美，'
        f"我们每个人都应该为保护母亲河出一份力。</p><span>{i}小时前</span><a>回复</a></div>"
        for i in range(12)
    )
    body = (f'<h1>长江经济带生态环境持续改善</h1><div class="main"><div class="text">{paragraphs()}</div>'
            f'<div class="comment-list"><h3>网友评论</h3>{comments}</div></div>')  # fmt: skip
    a = one(page(body))
    assert a.body.split("\n") == PROSE


def test_comment_list_without_class_names_is_cut_at_its_heading() -> None:
    comments = "".join(f"<div><p>这篇报道写得很好，希望长江越来越美，大家一起努力保护母亲河。</p><p>{i}小时前</p></div>"
                       for i in range(3))  # fmt: skip
    a = one(page(f"<h1>长江经济带生态环境持续改善</h1><div>{paragraphs()}<h3>热门评论</h3>{comments}</div>"))
    assert a.body.endswith(PROSE[-1]) and "评论" not in a.body


CARDS = "".join(
    f'<div class="item"><h4><a href="/{i}">某地推进生态修复工程取得新进展之{i}</a></h4><p>近日，某地生态修复工程'
    f"取得新进展，当地群众纷纷点赞，表示生活环境越来越好。</p><span>{i + 1}小时前</span></div>"
    for i in range(6)
)


@pytest.mark.parametrize(
    "body",
    [
        f'<div class="wrap"><div class="article-content">{paragraphs()}</div><div class="list">{CARDS}</div></div>',
        f"<div>{paragraphs()}{CARDS}</div>",  # the feed in the story's own element, without a heading
    ],
)
def test_feed_of_teaser_cards_is_not_body(body: str) -> None:
    """A linked headline, a summary and a time, repeated: other stories, however much prose they hold."""
    assert one(page(f"<h1>长江经济带生态环境持续改善</h1>{body}")).body.split("\n") == PROSE


def test_story_opening_with_a_label_word_is_kept() -> None:
    story = ["时间回到十年前，长江沿岸不少地方还是另一番景象，化工厂林立，污水直排。", *PROSE]
    a = one(page(f"<h1>长江经济带生态环境持续改善</h1><div class='text'>{paragraphs(story)}</div>"))
    assert a.body.split("\n") == story


def test_leading_byline_dateline_summary_and_original_title_cut() -> None:
    lead = ("<p>原标题：长江生态环境明显好转</p><p>来源：某某日报 作者：李华</p><p>2024-04-14 10:30</p>"
            "<div class='summary'>长江经济带生态环境持续改善，干流水质稳定达到二类。</div>")  # fmt: skip
    a = one(page(f"<h1>长江经济带生态环境持续改善</h1><div class='article'>{lead}{paragraphs()}</div>"))
    assert a.body.split("\n") == PROSE


def test_related_links_before_the_story_do_not_end_it() -> None:
    related = "<p><b>相关新闻：</b></p><p><a href='/1'>长江禁渔一周年：江豚回来了</a></p>"
    a = one(page(f"<h1>长江经济带生态环境持续改善</h1><div class='article'>{related}{paragraphs()}</div>"))
    assert a.body.split("\n") == PROSE


def test_site_text_appended_to_the_last_paragraph_is_cut() -> None:
    text = paragraphs(PROSE[:-1]) + f"<p>{PROSE[-1]}（完）<a href='/'>返回首页&gt;&gt;</a></p>"
    a = one(page(f"<h1>长江经济带生态环境持续改善</h1><div class='article'>{text}</div>"))
    assert a.body.endswith(PROSE[-1])


def test_stray_html_end_tag_before_the_article() -> None:
    """gov.cn pages close the header's </html> early; libxml2 would drop the article after it."""
    html = page(f"</div></html><!--end header--><h1>长江经济带生态环境持续改善</h1>"
                f"<div class='pages_content'>{paragraphs()}</div>")  # fmt: skip
    a = one(html)
    assert a.body.split("\n") == PROSE


def test_story_hidden_until_a_script_shows_it_is_still_read() -> None:
    a = one(
        page(
            f'<h1>长江经济带生态环境持续改善</h1><div class="article" style="display:none">{paragraphs()}</div>'
        )
    )
    assert a.body.split("\n") == PROSE


def test_no_prose_falls_back_to_a_title_only_problem() -> None:
    html = "<html><head><title>某某网首页</title></head><body><a href='/1'>新闻</a> <a href='/2'>体育</a></body></html>"
    items = list(read_html(html, "index.html"))
    assert isinstance(items[0], Problem) and items[0].field == "body"
    assert isinstance(items[1], Article) and items[1].title == "某某网首页" and items[1].body == ""


def test_not_html_is_a_problem_not_a_traceback() -> None:
    (problem,) = list(read_bytes(b"<html></html>", "empty.html"))
    assert isinstance(problem, Problem)


# --- the headline ---------------------------------------------------------------------------------------
def test_title_is_the_printed_headline_named_by_the_title_tag() -> None:
    body = (f'<div class="crumb">首页 &gt; 新闻中心</div><div class="tit">长江经济带生态环境持续改善</div>'
            f'<div class="article">{paragraphs()}</div>')  # fmt: skip
    assert one(page(body, title="某某网-长江经济带生态环境持续改善")).title == "长江经济带生态环境持续改善"


def test_title_from_the_heading_when_the_title_tag_is_generic() -> None:
    """A <title> that names only the section (新闻动态--学会官网): the heading above the story."""
    body = f"<h3>首页 - 新闻动态</h3><h5>长江经济带生态环境持续改善</h5><div>{paragraphs()}</div>"
    a = one(page(body, title="新闻动态--中国某某学会官网"))
    assert a.title == "长江经济带生态环境持续改善" and a.body.split("\n") == PROSE


def test_title_headline_broken_by_br_is_joined() -> None:
    body = ("<p align='center'><strong>全国人民代表大会常务委员会<br>关于批准某某决议</strong><br>"
            f"（2007年6月29日通过）</p>{paragraphs()}")  # fmt: skip
    a = one(page(body, title="全国人民代表大会常务委员会关于批准某某决议__公报_中国政府网"))
    assert a.title == "全国人民代表大会常务委员会关于批准某某决议"


def test_title_badge_before_the_headline_dropped() -> None:
    body = f'<h2 class="title"><span>原创</span>长江经济带生态环境持续改善</h2><div>{paragraphs()}</div>'
    assert one(page(body, title="长江经济带生态环境持续改善")).title == "长江经济带生态环境持续改善"


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("顺德区大良街道党工委委员一行到众创金融街开展调研工作 东区办事处_中山网",
         "顺德区大良街道党工委委员一行到众创金融街开展调研工作"),
        ("多地项目连环爆雷 狂奔的龙湖集团暗伤曝露", "多地项目连环爆雷 狂奔的龙湖集团暗伤曝露"),
        ("长江经济带生态环境持续改善 | 某某网", "长江经济带生态环境持续改善"),
    ],
)  # fmt: skip
def test_clean_page_title(raw: str, clean: str) -> None:
    assert clean_page_title(raw) == clean


# --- the publish time -----------------------------------------------------------------------------------
def test_printed_time_beats_date_only_meta() -> None:
    head = '<meta name="publishdate" content="2019-06-15">'
    body = f"<h1>长江经济带生态环境持续改善</h1><div class='info'>2019年06月15日08:18 来源：某某网</div>{paragraphs()}"
    assert one(page(body, head)).published == datetime(2019, 6, 15, 8, 18, tzinfo=SH)


def test_printed_time_beats_a_later_meta_time_and_takes_matching_seconds() -> None:
    head = ('<meta property="article:published_time" content="2019-09-07T06:52:51+08:00">'
            '<meta name="weibo: article:create_at" content="2019-09-07 04:04:43">')  # fmt: skip
    body = f"<h1>长江经济带生态环境持续改善</h1><div><span>2019年09月07日 04:04</span></div>{paragraphs()}"
    assert one(page(body, head)).published == datetime(2019, 9, 7, 4, 4, 43, tzinfo=SH)


def test_time_split_over_elements_and_update_time_ignored() -> None:
    body = ("<h1>长江经济带生态环境持续改善</h1><div><div>2019</div><div>09/07</div><div>19:02</div></div>"
            f"<p>最后更新：2019-09-07 21:30</p>{paragraphs()}")  # fmt: skip
    assert one(page(body)).published == datetime(2019, 9, 7, 19, 2, tzinfo=SH)


def test_page_generation_time_in_a_meta_attribute_is_not_the_publish_time() -> None:
    head = ('<meta name="others" content="页面生成时间 2023-10-23 11:23:36">'
            '<meta name="firstpublishedtime" content="2007-08-20-23:59:59">')  # fmt: skip
    body = f"<h1>长江经济带生态环境持续改善</h1>{paragraphs()}"
    assert one(page(body, head)).published == datetime(2007, 8, 20, 23, 59, 59, tzinfo=SH)


def test_dashed_date_time_in_meta_parses() -> None:
    ((when, has_time),) = meta_times({"firstpublishedtime": "2007-08-20-23:59:59"})
    assert when == datetime(2007, 8, 20, 23, 59, 59, tzinfo=SH) and has_time


def test_year_less_printed_time_takes_the_year_from_markup() -> None:
    head = '<meta itemprop="dateUpdate" content="2019-10-08 12:00:57">'
    body = f"<h2>长江经济带生态环境持续改善</h2><div><span>10-08</span><span>12:00</span></div>{paragraphs()}"
    assert one(page(body, head)).published == datetime(2019, 10, 8, 12, 0, 57, tzinfo=SH)


def test_dates_inside_the_story_are_not_publish_dates() -> None:
    text = paragraphs(["2019年2月27日下午，" + PROSE[0], *PROSE[1:]]) + "<p>发布日期：2019-03-06</p>"
    assert one(page(f"<b>长江经济带生态环境持续改善</b>{text}")).published == datetime(2019, 3, 6, tzinfo=SH)


def test_script_time_where_nothing_is_printed() -> None:
    head = '<script>var msg_title = "x"; var ct = "1581517074";</script>'
    assert one(page(f"<h1>长江经济带生态环境持续改善</h1>{paragraphs()}", head)).published == datetime(
        2020, 2, 12, 22, 17, 54, tzinfo=SH
    )


def test_url_date_as_the_last_resort() -> None:
    assert url_date("https://news.example.com/2019-09-07/doc-1.shtml") == datetime(2019, 9, 7, tzinfo=SH)
    assert url_date("https://ol.example.com/news/201909/1220000.shtml") is None


# --- the 62 saved pages ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _scores(pages: Path) -> dict[str, dict[str, bool | None]]:
    out = {}
    for expected, text in bench.load(pages):
        x = extract_article(text)
        out[expected["page"]] = bench.score(bench.Answer(x.title, x.published, x.body), expected)
    return out


@pytest.fixture
def pages(shared: Path) -> Path:
    if not (shared / "pages").is_dir():
        pytest.skip(f"../shared/pages not present: the saved-page tests need {shared / 'pages'}")
    return shared / "pages"


@pytest.mark.parametrize("column", list(TARGETS))
def test_saved_pages_meet_the_targets(pages: Path, column: str) -> None:
    """Each column of issue 18's table reaches its target (xinwen's measured figures: bench_extract.py)."""
    scores = _scores(pages)
    assert len(scores) == 62
    wrong = sorted(p for p, s in scores.items() if s[column] is False)
    assert len(scores) - len(wrong) >= TARGETS[column], f"{column} wrong on {wrong}"


@pytest.mark.parametrize(
    "name, column",
    [
        ("sina/5.html", "end"),  # ended in the site footer (新浪公司 版权所有)
        ("163/1.html", "end"), ("163/5.html", "end"), ("guancha/3.html", "end"),  # comment boxes, 延伸推荐
        ("wechat/1.html", "start"), ("toutiao/2.html", "start"), ("mingridapan/1.html", "start"),  # wrong block
        ("other/1.html", "start"), ("other/1.html", "end"),  # lost after a stray </html>
        ("gsc/1.html", "title"), ("zsnews/1.html", "title"), ("mingridapan/1.html", "title"),
        ("people/1.html", "date"), ("other/1.html", "date"), ("sina/sina.html", "date"), ("qq/qq.html", "date"),
        ("huanqiu/1.html", "clean"), ("njxfhn/1.html", "clean"), ("csdn/1.html", "clean"),
    ],
)  # fmt: skip
def test_saved_pages_named_in_the_issue(pages: Path, name: str, column: str) -> None:
    assert _scores(pages)[name][column], f"{name}: {column} wrong"


def test_saved_page_through_the_reader(pages: Path) -> None:
    """The gov.cn page read as a file: title, meta-only publish time, the one-paragraph body."""
    (article,) = list(read_bytes((pages / "other" / "1.html").read_bytes(), "other/1.html"))
    want = EXPECTED["other/1.html"]
    assert article.title == want["title"]
    assert article.published == datetime(2007, 8, 20, 23, 59, 59, tzinfo=SH)
    assert article.body.startswith("第十届全国人民代表大会常务委员会第二十八次会议")
    assert article.body.endswith("批准2007年末国债余额限额调整为53365.53亿元。")

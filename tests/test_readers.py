"""Readers: the news-page format, JSON Lines/JSON, CSV/TSV, HTML, RSS/Atom, files,
folders, .gz and URLs; and the real data in ../shared."""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime
from importlib.resources import files
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from xinwen.article import Article, Problem, make_id
from xinwen.errors import ReadError
from xinwen.readers import detect_format, read, read_bytes, read_one, write_jsonl, write_page
from xinwen.readers.page import format_time, split_header
from xinwen.readers.records import derive_title, split_tags, to_article

SAMPLE = files("xinwen").joinpath("data/news-page.txt")
SH = ZoneInfo("Asia/Shanghai")

MAIN_TITLE = "上海宝山以非常之力求突破、再提升,打造全市绿色低碳转型样板"
RELATED = [
    ("为何纷纷将上海郊区这个园区选为“梦开始的地方”?,留学生归国创业", ["全域", "创业", "郊区"]),
    ("预计投产后新增产值约50亿元,莘庄工业区7个重大产业项目集中开工", ["产业", "制造业", "项目"]),
    ("上海这一“工程”为何生生不息,30年", ["方法", "服务", "上海"]),
    ("年轻人面临三种求职困境?上海金山举行高校毕业生就业创业主题日活动", ["活动", "创业", "金山"]),
    ("中国航海博物馆户外空间首次免费夜间开放,航海重器展览上新", ["海洋", "中国", "博物馆"]),
]


def split(items: list) -> tuple[list[Article], list[Problem]]:
    return [x for x in items if isinstance(x, Article)], [x for x in items if isinstance(x, Problem)]


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


# --- the news-page format -----------------------------------------------------------


@pytest.fixture(scope="module")
def page_items() -> list:
    with SAMPLE.open("rb") as f:
        return list(read_bytes(f.read(), "news-page.txt"))


def test_page_main_article(page_items: list) -> None:
    articles, problems = split(page_items)
    assert problems == []
    assert len(articles) == 6
    main = articles[0]
    assert main.title == MAIN_TITLE
    assert main.source_tags == ["创新", "低碳", "样板"]
    assert main.published == datetime(2024, 4, 14, 2, 15, tzinfo=SH)
    assert main.published.isoformat() == "2024-04-14T02:15:00+08:00"
    assert main.body.startswith("深入贯彻落实市委全会精神,7月6日举行的八届宝山区委六次全会审议通过")
    assert main.body.endswith("支持区内龙头企业发行绿色债券。")
    assert "\n\n聚创新:加快打造创新研发矩阵\n\n" in main.body
    assert main.body.count("\n\n") == 21  # 22 paragraphs
    assert main.read_from == "news-page.txt:1"
    assert main.id == make_id(MAIN_TITLE, main.published)


def test_page_related(page_items: list) -> None:
    main, *related = split(page_items)[0]
    assert [(r.title, r.tags) for r in main.source_related] == RELATED
    assert [(a.title, a.source_tags) for a in related] == RELATED
    for ref, article in zip(main.source_related, related, strict=True):
        assert ref.id == article.id == make_id(ref.title)
        assert ref.snippet == article.body
        assert article.published is None
        assert 240 <= len(article.body) <= 260
    assert related[0].body.startswith("尽管只有28岁,但山东小伙薛云浩已是个“创业老兵”。")
    assert related[-1].body.endswith("助力推动海洋文")
    assert [a.read_from for a in related] == [f"news-page.txt:{n}" for n in (49, 54, 59, 64, 69)]


def test_page_round_trip_is_byte_exact(page_items: list) -> None:
    articles = split(page_items)[0]
    out = io.StringIO()
    assert write_page(articles, out) == 1
    assert out.getvalue() == sample_text()
    again = split(list(read_bytes(out.getvalue().encode(), "again.txt")))[0]
    assert [(a.title, a.source_tags, a.published, a.body, a.id) for a in again] == [
        (a.title, a.source_tags, a.published, a.body, a.id) for a in articles
    ]


def test_write_page_any_order(page_items: list) -> None:
    articles = split(page_items)[0]
    out = io.StringIO()
    write_page(articles[::-1], out)  # related ones first: still written inside the main page
    assert out.getvalue() == sample_text()


def test_write_page_several_pages() -> None:
    a = Article(
        title="第一篇",
        body="正文一。",
        source_tags=["甲", "乙", "丙"],
        published=datetime(2024, 1, 2, 15, 4, tzinfo=SH),
    )
    b = Article(title="第二篇", body="正文二。")
    out = io.StringIO()
    assert write_page([a, b], out) == 2
    assert (
        out.getvalue()
        == "第一篇甲|乙|丙\n\n发布时间:Jan 02, 2024 03:04 PM\n\n正文一。\n---\n第二篇\n\n正文二。"
    )
    articles, problems = split(list(read_bytes(out.getvalue().encode(), "two.txt")))
    assert [x.title for x in articles] == ["第一篇", "第二篇"]
    assert articles[0].published == a.published
    assert [(p.line, p.field) for p in problems] == [(7, "published")]  # the second page has no date


@pytest.mark.parametrize(
    "header, title, tags",
    [
        (
            "上海宝山以非常之力求突破、再提升,打造全市绿色低碳转型样板创新|低碳|样板",
            MAIN_TITLE,
            ["创新", "低碳", "样板"],
        ),
        *[(t + "|".join(g), t, g) for t, g in RELATED],
        ("没有标签的标题", "没有标签的标题", []),
        ("棱镜|数据业大整顿新闻|监管|数据", "棱镜|数据业大整顿", ["新闻", "监管", "数据"]),
    ],
)
def test_split_header(header: str, title: str, tags: list[str]) -> None:
    assert split_header(header) == (title, tags)


def test_format_time() -> None:
    assert format_time(datetime(2024, 4, 14, 2, 15, tzinfo=SH)) == "Apr 14, 2024 02:15 AM"
    assert format_time(datetime(2024, 4, 14, 12, 5, tzinfo=SH)) == "Apr 14, 2024 12:05 PM"
    assert format_time(datetime(2024, 4, 13, 18, 15, tzinfo=ZoneInfo("UTC"))) == "Apr 14, 2024 02:15 AM"


def test_page_without_date_line() -> None:
    text = "标题在这里新闻|时政|北京\n\n第一段正文。\n\n第二段正文。"
    articles, problems = split(list(read_bytes(text.encode(), "nodate.txt")))
    assert [(p.file, p.line, p.field) for p in problems] == [("nodate.txt", 1, "published")]
    assert "stored without a date" in problems[0].message
    assert articles[0].title == "标题在这里"
    assert articles[0].body == "第一段正文。\n\n第二段正文。"
    assert articles[0].published is None


def test_page_bad_date_and_crlf() -> None:
    text = "标题新闻|时政|北京\r\n\r\n发布时间:不知道哪天\r\n\r\n正文。\r\n"
    articles, problems = split(list(read_bytes(text.encode(), "bad.txt")))
    assert [(p.line, p.field) for p in problems] == [(3, "published")]
    assert articles[0].body == "正文。" and articles[0].published is None


def test_page_sniffed_without_extension() -> None:
    assert detect_format("stdin", sample_text()) == "page"


# --- JSON Lines / JSON --------------------------------------------------------------


def test_bad_jsonl_keeps_good_records(data_dir: Path) -> None:
    name = str(data_dir / "bad.jsonl")
    articles, problems = split(list(read([name])))
    assert [a.id for a in articles] == ["ok-1", "baddate-1", "ok-2"]
    assert [(p.file, p.line, p.field) for p in problems] == [
        (name, 2, None),
        (name, 3, "title"),
        (name, 4, "published"),
        (name, 7, None),
    ]
    assert problems[0].message.startswith("bad JSON")
    assert "neither a title nor a body" in problems[1].message
    assert "stored without a date" in problems[2].message
    assert "expected a JSON object" in problems[3].message
    dated = {a.id: a.published for a in articles}
    assert dated["baddate-1"] is None and dated["ok-1"] == datetime(2024, 4, 14, tzinfo=SH)
    ok2 = articles[2]
    assert (ok2.body, ok2.source, ok2.source_tags, ok2.read_from) == (
        "另一段正文。",
        "新华网",
        ["时政", "外交"],
        f"{name}:5",
    )


def test_bom_jsonl(data_dir: Path) -> None:
    articles, problems = split(list(read([data_dir / "bom.jsonl"])))
    assert problems == []
    assert articles[0].id == "bom-1" and articles[0].url == "http://example.com/a/1"
    assert articles[1].title == "VIP车厢 试运行"  # full-width letters and space folded
    assert articles[1].body == "深圳地铁将设立VIP头等车厢，票价为2倍。"
    assert articles[1].published.isoformat() == "2024-04-14T02:15:00+08:00"
    assert articles[1].source_tags == ["地铁", "深圳"]


def test_json_array_object_and_wrapper() -> None:
    arr = json.dumps([{"title": "甲", "body": "一"}, {"title": "乙"}], ensure_ascii=False, indent=2)
    assert [(a.title, a.read_from) for a in read_bytes(arr.encode(), "a.json")] == [
        ("甲", "a.json:2"),
        ("乙", "a.json:6"),
    ]
    obj = json.dumps({"title": "丙", "body": "二"}, ensure_ascii=False, indent=2)
    assert [a.title for a in read_bytes(obj.encode(), "b.json")] == ["丙"]
    wrapped = json.dumps({"articles": [{"title": "丁"}, {"headline": "戊"}]}, ensure_ascii=False)
    assert [a.title for a in read_bytes(wrapped.encode(), "c.json")] == ["丁", "戊"]
    cut = list(read_bytes(b'[{"title": "a"},\n {"title": ', "d.json"))
    assert isinstance(cut[0], Article) and isinstance(cut[1], Problem) and cut[1].line == 2


def test_jsonl_round_trip(page_items: list) -> None:
    articles = split(page_items)[0]
    out = io.StringIO()
    assert write_jsonl(articles, out) == 6
    again = split(list(read_bytes(out.getvalue().encode(), "x.jsonl")))[0]
    strip = [{k: v for k, v in a.to_dict().items() if k != "read_from"} for a in articles]
    assert [{k: v for k, v in a.to_dict().items() if k != "read_from"} for a in again] == strip


# --- records ------------------------------------------------------------------------


def test_field_aliases_and_extra() -> None:
    rec = {
        "ID": 7,
        "Headline": " 标题 ",
        "正文": "内容",
        "pub_date": "2024/4/14",
        "link": "http://x/1",
        "media": "某报",
        "keywords": "甲，乙|丙;丁、戊 己",
        "label": "体育",
        "split": "train",
        "abstract": "摘要",
    }
    article, problems = to_article(rec, "f", 3)
    assert problems == [] and article is not None
    assert (article.id, article.title, article.body, article.url, article.source, article.category) == (
        "7",
        "标题",
        "内容",
        "http://x/1",
        "某报",
        "体育",
    )
    assert article.published.date().isoformat() == "2024-04-14"
    assert article.source_tags == ["甲", "乙", "丙", "丁", "戊", "己"]
    assert article.extra == {"split": "train", "abstract": "摘要"}  # a second body field is kept aside
    assert article.read_from == "f:3"


def test_split_tags() -> None:
    assert split_tags(["a", " b ", "", None, "a"]) == ["a", "b"]
    assert split_tags("x , y，z") == ["x", "y", "z"]
    assert split_tags(None) == []


@pytest.mark.parametrize(
    "text, title",
    [
        (
            "湖人1消息比赢球开心10倍 小拜膝伤无碍季后赛复出新浪体育讯北京时间4月12日，在和马刺的比赛中",
            "湖人1消息比赢球开心10倍 小拜膝伤无碍季后赛复出",
        ),
        ("基金开户数年后首周增幅超四成本报讯 (记者 吴倩) 股市大热", "基金开户数年后首周增幅超四成"),
        ("台湾南投县发生5.3级地震新华网北京7月26日电 据国家地震台网测定", "台湾南投县发生5.3级地震"),
        ("民间资金持续拉动温州房价(图)朱国栋/文2009年8月、9月以来", "民间资金持续拉动温州房价(图)"),
        ("组图：房地产美女老总搭配真人秀导语：她是典型的豪放派", "组图：房地产美女老总搭配真人秀"),
        (
            "吴尊不再走偶像路线：我本来就不是大明星2008年，吴尊以电影新人的姿态",
            "吴尊不再走偶像路线：我本来就不是大明星",
        ),
        (
            "《失落时空II》沟通玩家积极更新《失落时空II》至9月10日内测开服以来，得到",
            "《失落时空II》沟通玩家积极更新",
        ),
        ("很短的一句话，然后是正文。", "很短的一句话"),
    ],
)
def test_derive_title(text: str, title: str) -> None:
    assert derive_title(text) == title


def test_derive_title_caps_long_clauses() -> None:
    text = (
        "这是一个没有任何分隔标记而且非常非常长的句子"
        + "它会一直写下去直到超过三十个字为止然后才有逗号，后面是正文。"
    )
    title = derive_title(text)
    assert 10 <= len(title) <= 30 and text.startswith(title)


def test_text_only_record_gets_a_title() -> None:
    article, problems = to_article({"id": "c", "text": "标题部分新浪娱乐讯 正文部分。"}, "f", 1)
    assert problems == [] and article is not None
    assert (article.title, article.body, article.extra) == (
        "标题部分",
        "标题部分新浪娱乐讯 正文部分。",
        {"title_derived": True},
    )


# --- CSV / TSV ----------------------------------------------------------------------


def test_gbk_csv(data_dir: Path) -> None:
    articles, problems = split(list(read([data_dir / "gbk.csv"])))
    assert problems == []
    assert [a.title for a in articles] == [
        "上海发布新一轮稳增长政策",
        "北京：地铁新线开通，市民出行更便捷",
        "杭州亚运会筹备工作进入冲刺阶段",
    ]
    first = articles[0]
    assert first.published.isoformat() == "2023-07-06T14:30:00+08:00"
    assert (first.source, first.category, first.source_tags) == ("解放日报", "财经", ["经济", "上海", "政策"])
    assert articles[1].source_tags == ["地铁", "交通", "北京"]
    assert [a.read_from.rsplit(":", 1)[1] for a in articles] == ["2", "3", "4"]


def test_csv_problems_use_file_lines(data_dir: Path) -> None:
    name = str(data_dir / "news.csv")
    articles, problems = split(list(read([name])))
    assert [a.id for a in articles] == ["c1", "c3", "c5"]
    assert [(p.file, p.line, p.field) for p in problems] == [
        (name, 4, "title"),
        (name, 5, "published"),
        (name, 6, None),
    ]
    assert "row has 8 fields" in problems[2].message
    c1 = articles[0]
    assert (
        c1.body == "老旧小区改造后，居民生活环境明显改善。\n加装电梯惠及上千户家庭。"
    )  # a quoted, two-line cell
    assert c1.source_tags == ["城市", "改造"] and c1.extra == {"split": "train"}
    assert articles[1].published is None and articles[1].read_from == f"{name}:5"


def test_tsv(data_dir: Path) -> None:
    (article,) = list(read([data_dir / "news.tsv"]))
    assert (article.title, article.body, article.source) == (
        "制表符分隔的新闻",
        "正文内容，包含逗号，也没关系。",
        "测试来源",
    )


# --- feeds --------------------------------------------------------------------------


def test_rss(data_dir: Path) -> None:
    name = str(data_dir / "feed.rss")
    items = list(read([name]))
    articles, problems = split(items)
    assert [a.title for a in articles] == ["国务院常务会议部署稳就业举措", "日期坏掉的条目"]
    first = articles[0]
    assert first.url == "http://example.com/news/1" and first.source == "测试新闻频道"
    assert first.published.isoformat() == "2024-04-14T02:15:00+00:00"
    assert first.body == "会议指出，要多措并举稳定就业。\n加大对重点群体的帮扶力度。"
    assert first.source_tags == ["就业", "国务院"]
    assert articles[1].body == "正文 & 更多内容" and articles[1].published is None
    assert [(p.line, p.field) for p in problems] == [(15, "published"), (21, "title")]
    assert first.read_from == f"{name}:7"


def test_atom(data_dir: Path) -> None:
    articles, problems = split(list(read([data_dir / "feed.atom"])))
    assert problems == []
    first, second = articles
    assert first.title == "嫦娥六号完成月背采样" and first.url == "http://example.com/atom/1"
    assert first.published.isoformat() == "2024-06-02T06:23:00+08:00"
    assert first.body == "嫦娥六号着陆器和上升器组合体完成月球背面采样。"
    assert first.source_tags == ["航天", "探月"] and first.source == "Atom 测试源"
    assert second.url == "http://example.com/atom/2" and second.body == "这是一段摘要。"


# --- HTML (hand-written; the real pages are tested below) ---------------------------

ARTICLE_HTML = """<!DOCTYPE html><html><head><meta charset="gbk">
<title>长江经济带生态环境持续改善_新闻中心_某某网</title>
<link rel="canonical" href="https://news.example.com/2024/0414/a1.html">
<meta property="og:site_name" content="某某网"><meta name="pubdate" content="2024-04-14 10:30">
</head><body><div class="nav">首页 | 新闻 | 体育</div><h1>长江经济带生态环境持续改善</h1>
<div class="article">
<p>十年来，从国家到沿江省市，把修复长江生态环境摆在压倒性位置，共抓大保护、不搞大开发。</p>
<p>长江经济带生态环境保护发生了转折性变化，经济社会发展取得历史性成就。干流水质连续多年稳定达到二类。</p>
<p>沿江各地持续推进污染治理和生态修复，长江十年禁渔取得阶段性成效，江豚等珍稀物种频频现身。</p></div>
<div class="footer">版权所有 某某网</div></body></html>"""


def test_html_article() -> None:
    (article,) = list(read_bytes(ARTICLE_HTML.encode("gbk"), "a1.html"))
    assert article.title == "长江经济带生态环境持续改善"
    assert article.url == "https://news.example.com/2024/0414/a1.html" and article.source == "某某网"
    assert article.published == datetime(2024, 4, 14, 10, 30, tzinfo=SH)
    assert article.body.startswith("十年来，从国家到沿江省市")
    assert article.body.endswith("江豚等珍稀物种频频现身。")
    assert "首页" not in article.body and "版权所有" not in article.body


def test_html_without_article() -> None:
    (problem,) = list(read_bytes(b"<html><body></body></html>", "e.html"))
    assert isinstance(problem, Problem) and problem.file == "e.html" and problem.field == "title"


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("法国全国大罢工再次严重影响交通-新华网", "法国全国大罢工再次严重影响交通"),
        (
            "女童眼睛被塞几十片纸，“无法用科学解释”_凤凰网资讯_凤凰网",
            "女童眼睛被塞几十片纸，“无法用科学解释”",
        ),
        ("山西品牌丝路行（南美站）正式启动 - 山西省人民政府门户网站", "山西品牌丝路行（南美站）正式启动"),
        ("1-10月德清县固定资产投资结构趋稳趋优", "1-10月德清县固定资产投资结构趋稳趋优"),
    ],
)
def test_clean_title(raw: str, clean: str) -> None:
    from xinwen.readers.html import clean_title

    assert clean_title(raw) == clean


# --- whole files: empty, binary, unknown, formats, folders, gzip, URLs ---------------


@pytest.mark.parametrize(
    "file, words",
    [("empty.jsonl", "empty file"), ("blank.txt", "empty file"), ("binary.dat", "binary file, not text")],
)
def test_unreadable_files(data_dir: Path, file: str, words: str) -> None:
    (problem,) = list(read([data_dir / file]))
    assert isinstance(problem, Problem)
    assert problem.file == str(data_dir / file) and problem.line is None
    assert words in problem.message


def test_missing_and_unknown(tmp_path: Path) -> None:
    (missing,) = list(read_one(tmp_path / "nope.jsonl"))
    assert missing.message == "no such file"
    (tmp_path / "notes.md").write_text("# 标题\n\n一些说明文字。\n", encoding="utf-8")
    (unknown,) = list(read([tmp_path / "notes.md"]))
    assert "unknown format" in unknown.message and unknown.file.endswith("notes.md")


@pytest.mark.parametrize(
    "name, text, fmt",
    [
        ("a.jsonl", "", "jsonl"),
        ("a.ndjson.gz", "", "jsonl"),
        ("a.json", "", "jsonl"),
        ("a.csv", "", "csv"),
        ("a.TSV", "", "csv"),
        ("a.htm", "", "html"),
        ("a.rss", "", "feed"),
        ("a.atom", "", "feed"),
        ("a.txt", "", "page"),
        ("a.xml", "<?xml version='1.0'?><rss version='2.0'>", "feed"),
        ("a.xml", "<feed xmlns='http://www.w3.org/2005/Atom'>", "feed"),
        ("stdin", "\ufeff  <!DOCTYPE html><html><body>x</body></html>", "html"),
        ("stdin", '{"title": "x"}\n', "jsonl"),
        ("stdin", "[{}]", "jsonl"),
        ("stdin", "title,body\n甲,乙\n丙,丁\n", "csv"),
        ("stdin", "title\tbody\n甲\t乙\n", "csv"),
        ("data", "标题\n\n发布时间:2024-04-14\n\n正文", "page"),
    ],
)
def test_detect_format(name: str, text: str, fmt: str) -> None:
    assert detect_format(name, text) == fmt


def test_detect_format_unknown() -> None:
    with pytest.raises(ReadError) as info:
        detect_format("notes", "just some words\nand more words")
    assert info.value.file == "notes" and "unknown format" in info.value.message


def test_gzip_by_extension_and_by_magic(tmp_path: Path) -> None:
    payload = '{"title": "压缩的新闻", "body": "正文"}\n'.encode()
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(payload))
    (tmp_path / "b").write_bytes(gzip.compress(payload))  # no extension: magic bytes and sniffing
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(payload)[:20])
    items = list(read([tmp_path / "a.jsonl.gz", tmp_path / "b", tmp_path / "c.jsonl.gz"]))
    assert [a.title for a in items[:2]] == ["压缩的新闻", "压缩的新闻"]
    assert items[0].read_from == f"{tmp_path / 'a.jsonl.gz'}:1"
    assert isinstance(items[2], Problem) and "gzip" in items[2].message


def test_folder_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "2.jsonl").write_text('{"title": "二"}\n', encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"title": "一"}\n', encoding="utf-8")
    (tmp_path / "c.csv").write_text("title\n三\n", encoding="utf-8")
    (tmp_path / ".secret.jsonl").write_text('{"title": "隐藏"}\n', encoding="utf-8")
    (tmp_path / ".hidden" / "x.jsonl").write_text('{"title": "隐藏"}\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("# 说明\n", encoding="utf-8")
    assert [a.title for a in read([tmp_path])] == ["一", "二", "三"]
    assert [a.title for a in read(str(tmp_path))] == ["一", "二", "三"]  # a lone path works too


def test_url_is_fetched(site) -> None:
    api = site.content("/api/news", '{"title": "远程新闻", "body": "正文"}\n'.encode(), "application/json")
    items = list(read([api, site.url("/missing")]))
    assert items[0].title == "远程新闻" and items[0].read_from == f"{api}:1"
    assert isinstance(items[1], Problem) and items[1].file == site.url("/missing")
    assert "HTTP 404" in items[1].message


def test_url_network_error(site) -> None:
    url = site.url("/feed.rss")
    site.close()  # nothing listens there any more
    (problem,) = list(read([url]))
    assert problem.message.startswith("cannot fetch") and problem.line is None and problem.file == url


# --- real data in ../shared ----------------------------------------------------------

# (articles, problems, articles without a date, articles with an empty body) per file
SHARED_COUNTS = {
    "cnews1000.jsonl.gz": (1000, 0, 1000, 0),
    "csl.jsonl.gz": (2000, 0, 2000, 0),
    "nlpcc2017_headlines.jsonl.gz": (36000, 0, 36000, 36000),
    "sina800.jsonl.gz": (800, 0, 800, 0),
    "sogou400.jsonl.gz": (400, 0, 167, 70),
    "thucnews_titles_20k.jsonl.gz": (20000, 0, 20000, 20000),
    "tnews.jsonl.gz": (63360, 0, 63360, 63360),
    "xinwenlianbo.jsonl.gz": (19876, 0, 0, 282),
}


@pytest.mark.parametrize("file", sorted(SHARED_COUNTS))
def test_shared_data_reads_cleanly(shared: Path, file: str) -> None:
    articles, problems = split(list(read([shared / "data" / file])))
    undated = sum(a.published is None for a in articles)
    no_body = sum(not a.body for a in articles)
    assert (len(articles), len(problems), undated, no_body) == SHARED_COUNTS[file]
    assert all(a.title for a in articles)
    assert all(a.read_from and a.read_from.startswith(str(shared / "data" / file) + ":") for a in articles)
    assert len({a.id for a in articles}) == len(articles)  # source ids are kept and unique


def test_shared_fields(shared: Path) -> None:
    csl = next(iter(read([shared / "data" / "csl.jsonl.gz"])))
    assert csl.id == "csl-dev-0" and csl.body.startswith("采用修正的Rodrigues参数(MRP)")
    assert csl.source_tags and "keywords_raw" in csl.extra and csl.extra["split"] == "dev"
    tnews = list(islice(read([shared / "data" / "tnews.jsonl.gz"]), 2))[1]
    assert tnews.source_tags[:2] == ["商赢环球股份有限公司", "年度报告"] and tnews.category == "news_finance"
    sogou = next(iter(read([shared / "data" / "sogou400.jsonl.gz"])))
    assert sogou.title == "深圳地铁将设立VIP头等车厢 买双倍票可享坐票"
    assert sogou.url == "http://gongyi.sohu.com/20120706/n347457739.shtml"
    assert sogou.published == datetime(2012, 7, 6, tzinfo=SH) and sogou.extra["site_section"] == "gongyi"


def test_shared_cnews_titles(shared: Path) -> None:
    articles = list(read([shared / "data" / "cnews1000.jsonl.gz"]))
    assert all(a.extra.get("title_derived") for a in articles)
    assert all(a.body.startswith(a.title) for a in articles)
    assert all(4 <= len(a.title) <= 40 for a in articles)
    titles = [a.title for a in articles[:30]]
    assert titles[0] == "湖人1消息比赢球开心10倍 小拜膝伤无碍季后赛复出"
    assert titles[3] == "基金专家建议：投资者宜把握股债轮动机会"
    assert titles[13] == "基金开户数年后首周增幅超四成"
    assert titles[14] == "台湾南投县发生5.3级地震"
    assert titles[17] == "秦刚引用走火入魔回答金正云访华传言问题"
    assert titles[25] == "最高法公布5起重大制贩毒品案 6人被执行死刑"
    assert titles[28] == "莫少聪低调接演动作新片 京郊秘密骑马练功(图)"


def test_shared_xinwenlianbo_reads_whole(shared: Path) -> None:
    """(How fast is bench's business: bench/bench_ingest.py times the whole ingest beside jieba.)"""
    items = list(read([shared / "data" / "xinwenlianbo.jsonl.gz"]))
    assert len(items) == 19876 and all(isinstance(a, Article) for a in items)
    assert items[-1].read_from.endswith(":19876")


# expected title, publish time, url (None: the page names none) and a sentence of the body
PAGES = {
    "sina/sina.html": (
        "最强“中国芯”本月商用 华为抢跑5G芯片大战",
        "2019-09-07T04:04:43+08:00",  # printed 04:04 (weibo create_at has the seconds); not og 06:52
        "https://news.sina.com.cn/c/2019-09-07/doc-iicezzrq4076655.shtml",
        "用户对性能永无止境的追求，让芯片领域迎来了巅峰对决。",
    ),
    "163/7.html": (
        "亚马逊海外购“限时快闪店”登陆拼多多",
        "2019-11-25T11:01:53+08:00",
        None,
        "新京报讯（记者 陆一夫）",
    ),
    "ifeng/ifeng.html": (
        "董又霖主持首秀状况百出大方道歉：会继续努力",
        "2019-09-07T08:05:32+08:00",
        "https://ent.ifeng.com/c/7pldiU65MNU",
        "据台媒报道，艺人董又霖6日晚间主持某大型时尚活动",
    ),
    "xinhuanet/1.html": (
        "法国全国大罢工再次严重影响交通",
        "2019-12-10T07:57:40+08:00",
        None,
        "法国9日再次爆发全国跨行业大罢工，反对政府进行退休制度改革",
    ),
    "gamersky/gamersky.html": (
        "逆水寒再按照这个速度研发下去 应该马上就要收到律师函了！",
        "2019-09-05T11:10:52+08:00",  # printed 11:10, seconds from its JSON-LD pubDate
        "https://ol.gamersky.com/news/201909/1220000.shtml",
        "《逆水寒》每周的版本更新都安排在周四",
    ),
    "thepaper/1.html": (
        "共享充电宝涨价告别1元时代：是“收割韭菜”还是回归理性",
        "2019-09-24T09:10:00+08:00",
        None,
        "共享充电宝涨价",
    ),
    "baijiahao/2.html": (
        "日本最后一家传呼机公司停止服务，殡仪馆为BB机送终",
        "2019-09-30T22:46:13+08:00",
        None,
        "日本现存的唯一一家提供传呼机服务的营运商将正式终止服务",
    ),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_shared_html_pages(shared: Path, page: str) -> None:
    title, published, url, sentence = PAGES[page]
    items = list(read([shared / "pages" / page]))
    (article,) = items
    assert isinstance(article, Article)
    assert article.title == title
    assert article.published.isoformat() == published
    assert article.url == url
    assert sentence in article.body
    assert article.read_from == f"{shared / 'pages' / page}:1"


def test_shared_pages_folder(shared: Path) -> None:
    articles, problems = split(list(read([shared / "pages"])))
    assert problems == []  # SOURCES.md is skipped in a folder
    assert len(articles) == 62
    assert all(a.title and a.body and a.published for a in articles)

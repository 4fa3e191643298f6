"""Where a story comes from (xinwen.analysis.origin): source lines, agencies, datelines, 据X报道, the record's
source and URL, and 原标题.

Real snippets are copied from the corpora in ../shared (sogou400, sohu_keywords_dev, sohu_entities_dev,
cnews1000); generated stories put headers and footers (source lines, editor lines, share prompts, 原标题)
on a body, as a portal reprinting a story does."""

from __future__ import annotations

import random

import pytest

from xinwen.analysis.origin import Origin, normalize_outlet, origin, original_title, outlet_of_url

BODY = ("国务院总理李强27日在京会见新加坡总理黄循财。李强表示，中方愿同新方一道，深化各领域务实合作，"
        "推动两国关系不断迈上新台阶。黄循财表示，新方高度重视对华关系，愿继续加强经贸、人文等领域交流合作。")


# -- real snippets -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "outlet", "kind"),
    [
        ("…此案仍在审理中。记者　刘俊　（来源：广州日报）", "广州日报", "source-line"),
        ("来源：南方网\n　　在彭丹的一处办公室见到她，她包裹得很严实。", "南方网", "source-line"),
        ("…相关消息。\n\n来源：参考消息微信公众号", "参考消息", "source-line"),
        ("…模拟家庭使用场景所测得结果。（本文转载自来“来电生活”）", "来电生活", "source-line"),
        ("…不复存在。”\xa0\xa0\xa0 文章来源：渤海早报我要评论", "渤海早报", "source-line"),
        ("…吧。 (本文来源：人民网 ) ", "人民网", "source-line"),
        ("…的骨干。\u3000（来源：中国新闻网）", "中国新闻网", "source-line"),
        ("据新华社电　国土资源部公布了５起违法违规案件。", "新华社", "agency"),
        ("新华网联合国６月７日电（记者王雷危玮）联合国７日发布的年中报告说，", "新华网", "dateline"),
        ("中新网３月１１日电 据台湾《中国时报》报道，泰国籍女配偶孙金玉20年来照顾瘫痪的丈夫。", "中国新闻网", "dateline"),
        ("中新社香港3月9日电 香港特区政府公布了新的施政报告。", "中国新闻社", "dateline"),
        ("南都讯 记者周松柏　昨日早晨，湛江遂溪县发生一起恶性伤害案件。", "南方都市报", "dateline"),
        ("新浪体育讯　北京时间11月7日，热火回到主场迎战篮网。", "新浪", "dateline"),
        ("中广网遂川６月１３日消息（记者胡啸）６月１１日，遂川县公安局抓获嫌疑人。", "央广网", "dateline"),
        ("央视网消息\n（新闻联播）：国务院总理李强27日在京会见新加坡总理黄循财。", "央视网", "dateline"),
        ("台湾确诊第10例甲型流感病例 曾到贵州香港旅游中新网5月28日电 据“中央社”报道，", "中国新闻网", "dateline"),
        ("据《钱江晚报》报道 前天中午12时48分，浙江平阳县公安局指挥中心接到报警。", "钱江晚报", "according-to"),
        ("据人民日报报道，全国已建成高质量数据集12万个。", "人民日报", "according-to"),
    ],
)
def test_real_snippets(body: str, outlet: str, kind: str) -> None:
    found = origin("标题", body)
    assert found is not None
    assert (found.outlet, found.kind) == (outlet, kind)
    assert found.evidence and found.evidence in body and body[found.start : found.end] == found.evidence


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        "图片来源：重庆晚报\n" + BODY,  # credits a picture
        BODY + "（数据来源：国家统计局）",  # credits a figure
        "一位来自北京的游客说，" + BODY,  # "from", not a credit
        "央视网消息（新闻联播）：据美国媒体报道，" + BODY,  # a source cited, by an outlet that says who it is
        BODY + "\n来源：网络",  # names no one
        "本报讯（记者 王五）" + BODY,  # the paper's own reporter, unnamed
        "那时候上网还需要插电话线，" + BODY,
        "资金来源为省统筹扶贫日募集资金。" + BODY,
    ],
)
def test_not_an_attribution(body: str) -> None:
    found = origin("标题", body)
    assert found is None or found.kind == "dateline" and found.outlet == "央视网"


def test_source_line_beats_dateline() -> None:
    body = "新华社北京6月1日电（记者 张三）" + BODY + "\n（来源：人民日报客户端）\n（责任编辑：王晓明）"
    found = origin("", body)
    assert found is not None
    assert (found.outlet, found.kind) == ("人民日报", "source-line")
    assert found.also == ("新华社",)
    assert found.to_dict()["also"] == ["新华社"]


def test_original_title() -> None:
    body = "新闻原标题：１１岁女孩下水勇救小弟弟\n本报记者　黄轶涵　尽管事情已经过去１０多天了……"
    assert original_title(body) == ("１１岁女孩下水勇救小弟弟", 2, 18)
    assert body[2:18] == "原标题：１１岁女孩下水勇救小弟弟"
    found = origin("１１岁女孩勇救５岁溺水男孩", body)
    assert found is not None and found.outlet is None and found.kind == "original-title"
    assert found.original_title == "１１岁女孩下水勇救小弟弟"
    with_source = origin("新标题", "（原标题：《旧的标题》）\n" + BODY + "\n来源：光明网")
    assert with_source is not None and with_source.outlet == "光明网" and with_source.original_title == "旧的标题"
    in_title = origin("新标题（原标题：旧的标题）", BODY + "\n来源：光明网")
    assert in_title is not None and in_title.original_title == "旧的标题"


def test_record_source_and_url() -> None:
    assert origin("", BODY, url="https://www.news.cn/politics/2024-06/27/c_1.htm").outlet == "新华网"  # type: ignore[union-attr]
    by_url = origin("", BODY, url="http://gongyi.sohu.com/20120706/n347457739.shtml")
    assert by_url is not None and (by_url.outlet, by_url.kind, by_url.field) == ("搜狐", "url", "url")
    assert origin("", BODY, url="https://example.org/a").outlet == "example.org"  # type: ignore[union-attr]
    assert origin("", BODY, url="javascript:alert(1)") is None
    by_source = origin("", BODY, url="https://www.news.cn/x", source="人民日报客户端")
    assert by_source is not None and (by_source.outlet, by_source.kind) == ("人民日报", "record-source")
    # a source field that names no outlet (a data set's own label) falls through to the URL
    assert origin("", BODY, url="http://news.sohu.com/a", source="SogouCS news_sohusite_xml.smarty").outlet == "搜狐"  # type: ignore[union-attr]
    # the text wins over the record
    assert origin("", BODY + "\n来源：光明网", url="https://www.news.cn/x").outlet == "光明网"  # type: ignore[union-attr]
    assert origin("", "", None, None) is None


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("人民日报客户端", "人民日报"), ("央视新闻客户端", "央视新闻"), ("“央视新闻”微信公众号", "央视新闻"),
        ("中新网", "中国新闻网"), ("中新社", "中国新闻社"), ("新华通讯社", "新华社"), ("南都", "南方都市报"),
        ("光明网 作者：张三", "光明网"), ("新京报 编辑：李四", "新京报"), ("《经济参考报》", "经济参考报"),
        ("摘自新京报", "新京报"), ("ＣＣＴＶ", "央视"), ("澎湃新闻客户端", "澎湃新闻"), ("网络", None), ("本站", None),
        ("", None), (None, None), ("益农信息社官方", "益农信息社"),
    ],
)
def test_normalize_outlet(raw: str | None, normalized: str | None) -> None:
    assert normalize_outlet(raw) == normalized


def test_outlet_of_url() -> None:
    assert outlet_of_url("https://paper.people.com.cn/rmrb/html/2024-06/01/nw.htm") == "人民日报"
    assert outlet_of_url("https://www.people.com.cn/") == "人民网"
    assert outlet_of_url("https://news.cctv.com/2024/06/01/ARTI.shtml") == "央视网"
    assert outlet_of_url("http://www.chinanews.com.cn/gn/2024/06-01/1.shtml") == "中国新闻网"
    assert outlet_of_url("not a url") is None and outlet_of_url(None) is None
    # a platform where anyone publishes did not print the story; the outlet's own pages on it did
    for url in ("http://mp.weixin.qq.com/s?__biz=MzI2&mid=26", "https://www.sohu.com/a/123_456",
                "https://baijiahao.baidu.com/s?id=1", "https://m.weibo.cn/status/1", "https://new.qq.com/omn/2019/x.html"):
        assert outlet_of_url(url) is None, url
    assert outlet_of_url("https://news.sohu.com/20190101/n1.shtml") == "搜狐"
    assert outlet_of_url("https://news.qq.com/a/1.htm") == "腾讯"
    assert outlet_of_url("https://weibo.com.example.org/x") == "weibo.com.example.org"


# -- generated headers and footers -------------------------------------------------------------------------
OUTLETS = [("新华社", "新华社"), ("人民日报", "人民日报"), ("人民日报客户端", "人民日报"), ("央视新闻客户端", "央视新闻"),
           ("光明网", "光明网"), ("中国新闻网", "中国新闻网"), ("中新网", "中国新闻网"), ("新京报", "新京报"),
           ("澎湃新闻", "澎湃新闻"), ("经济日报", "经济日报"), ("环球时报", "环球时报"), ("南方都市报", "南方都市报"),
           ("新华网", "新华网"), ("央视网", "央视网"), ("参考消息", "参考消息")]
HEADERS = ["来源：{x}", "（来源：{x}）", "本文来源：{x}", "文章来源：{x}", "稿源：{x}", "转自：{x}", "转载自{x}", "本文来自{x}",
           "来源: {x}", "【来源：{x}】", "来源：{x} 作者：张伟", "来源：{x}　编辑：李娜"]
EDITORS = ["（责任编辑：王晓明）", "责任编辑：李娜", "【编辑：张伟】", "（编辑：陈静　审核：刘洋）", ""]
PROMPTS = ["点击关注，获取更多资讯", "分享到微信朋友圈", "扫码下载客户端", ""]


def test_generated_headers_and_footers() -> None:
    rng = random.Random(19)
    for _ in range(400):
        raw, outlet = rng.choice(OUTLETS)
        line = rng.choice(HEADERS).format(x=raw)
        editor, prompt = rng.choice(EDITORS), rng.choice(PROMPTS)
        if rng.random() < 0.5:
            body = "\n".join(p for p in (line, BODY, editor, prompt) if p)
        else:
            body = "\n".join(p for p in (BODY, prompt, line, editor) if p)
        title = None
        if rng.random() < 0.3:
            title = "旧标题" + str(rng.randrange(100))
            body += f"\n（原标题：{title}）"
        found = origin("新标题", body)
        assert isinstance(found, Origin), body
        assert (found.outlet, found.kind) == (outlet, "source-line"), body
        assert found.original_title == title, body
        assert body[found.start : found.end] == found.evidence


def test_generated_according_to() -> None:
    for raw, outlet in OUTLETS:
        for template in ("据{x}报道，", "据《{x}》报道，", "据{x}消息，", "据{x}6月1日报道，"):
            body = template.format(x=raw) + BODY
            found = origin("", body)
            if outlet in ("新华社", "新华网", "中国新闻网", "央视网"):
                assert found is not None and found.outlet == outlet, body
            elif raw.endswith("客户端"):
                continue
            else:
                assert found is not None and (found.outlet, found.kind) == (outlet, "according-to"), body


# -- real data ---------------------------------------------------------------------------------------------
@pytest.mark.realdata
def test_corpora(shared) -> None:
    import gzip
    import json

    def records(name: str):
        with gzip.open(shared / "data" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    outlets: dict[str, int] = {}
    for r in records("sohu_keywords_dev.jsonl.gz"):
        found = origin(r["title"], r["body"], r.get("source_url"))
        if found is not None and found.outlet:
            outlets[found.outlet] = outlets.get(found.outlet, 0) + 1
            assert len(found.outlet) <= 20
    assert outlets.get("中国新闻网", 0) >= 20  # 中新网…电 datelines
    stories = records("xinwenlianbo.jsonl.gz")
    cctv = [origin(r["title"], r["body"], r.get("url")) for r in (next(stories) for _ in range(500))]
    assert sum(1 for o in cctv if o is not None and o.outlet == "央视网") >= 490

"""Analysis on real text: snippet, tags, fingerprint, index terms."""

from __future__ import annotations

from pathlib import Path

import xinwen
from xinwen.analysis.fingerprint import fingerprint, similarity
from xinwen.analysis.pipeline import Analyzer
from xinwen.analysis.segment import PLAIN, cut
from xinwen.analysis.snippet import make_snippet
from xinwen.article import Article

SAMPLE = Path(xinwen.__file__).parent / "data" / "news-page.txt"
BODY = SAMPLE.read_text(encoding="utf-8").split("\n\n")


def test_snippet_ends_at_sentence_end_and_is_short():
    body = "\n".join(BODY[2:6])
    s = make_snippet("标题", body)
    assert s.startswith("深入贯彻落实市委全会精神")
    assert len(s) <= 120
    assert s[-1] in "。！？”"


def test_snippet_skips_cctv_dateline():
    body = "央视网消息\n（新闻联播）：长江是中华民族的母亲河，也是中华民族发展的重要支撑。党的十八大以来，长江经济带发展上升为重大国家战略。"
    s = make_snippet("共护一江水", body)
    assert s.startswith("长江是中华民族的母亲河")
    assert "新闻联播" not in s


def test_snippet_of_one_long_sentence_is_cut_at_a_clause():
    sentence = "，".join(["宝山区绿色低碳转型样板区建设取得初步成效"] * 12) + "。"
    s = make_snippet("t", sentence)
    assert len(s) <= 120 and s.endswith("…")


def test_search_terms_include_parts_of_long_words():
    terms = PLAIN.search_terms(cut("上海交通大学"))
    assert "上海交通大学" in terms and "交通" in terms and "大学" in terms


def test_tags_on_main_sample_article_are_content_words():
    title = "上海宝山以非常之力求突破、再提升,打造全市绿色低碳转型样板"
    body = "\n".join(BODY[2:])
    tags = Analyzer().analyze(Article(title=title, body=body)).tags
    assert len(tags) == 3
    assert "低碳" in tags
    for t in tags:
        assert len(t) >= 2 and not t.isdigit()


def test_fingerprint_survives_small_edits_and_separates_stories():
    body = "\n".join(BODY[2:8])
    words = cut(body)
    copy = cut("编辑：张三\n" + body.replace("宝山区", "宝山", 2))
    other = cut("6月30日，上海市莘庄工业区举行2023年重大产业项目集中开工仪式，福斯特、军健君泽等7个制造业项目同时开工。")
    assert similarity(fingerprint(words), fingerprint(copy)) > 0.8
    assert similarity(fingerprint(words), fingerprint(other)) < 0.1

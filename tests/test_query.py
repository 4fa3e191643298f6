"""The query language: what a user types, read into words, phrases, exclusions and filters."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xinwen.errors import DateError
from xinwen.search.query import date_range, parse_query, word_parts
from xinwen.store import fts5

SH = ZoneInfo("Asia/Shanghai")


def words(q):
    return [w.text for w in q.words]


def test_words_are_segmented_like_the_index():
    q = parse_query("宝山绿色低碳转型")
    assert words(q) == ["宝山", "绿色", "低碳", "转型"]
    assert fts5.match(q) == '"宝山" AND "绿色" AND "低碳" AND "转型"'
    assert fts5.match(q, "any") == '("宝山" OR "绿色" OR "低碳" OR "转型")'


def test_long_word_also_matches_its_parts_close_together():
    assert word_parts("上海交通大学") == ("上海", "交通", "大学")
    assert word_parts("宝山区") == ()  # 宝山 + 区: a lone character is no part
    assert word_parts("国民经济") == ("国民", "经济")
    assert word_parts("长江") == () and word_parts("COVID") == ()
    (w,) = parse_query("上海交通大学").words
    assert fts5.word(w) == '("上海交通大学" OR NEAR("上海" "交通" "大学", 10))'


def test_phrases_exclusions_and_filters():
    q = parse_query('"长江 经济带" -会议 -"新闻 联播" tag:低碳 -tag:会议 source:新华社 from:2024-01-01 to:2024-06')
    assert [p.text for p in q.phrases] == ["长江经济带"]  # spaces between Chinese characters dropped
    assert [w.text for w in q.phrases[0].words] == ["长江", "经济带"]
    assert words(q) == []
    assert [w.text for w in q.exclude_words] == ["会议"]
    assert q.exclude_phrases == ["新闻联播"]
    assert q.tags == ["低碳"] and q.exclude_tags == ["会议"] and q.sources == ["新华社"]
    assert q.since == datetime(2024, 1, 1, tzinfo=SH)
    assert q.until == datetime(2024, 7, 1, tzinfo=SH)  # to: a month covers all of it
    assert fts5.match(q).endswith('NOT ("会议")')
    assert q.notes == []


def test_chinese_quotes_colons_and_full_width_forms():
    q = parse_query("“绿色低碳”宝山 标签：低碳 来源：人民日报 －会议")
    assert [p.text for p in q.phrases] == ["绿色低碳"]
    assert words(q) == ["宝山"]
    assert q.tags == ["低碳"] and q.sources == ["人民日报"]
    assert [w.text for w in q.exclude_words] == ["会议"]


def test_to_date_is_inclusive_and_times_are_instants():
    start, end = date_range("2024-06-30")
    assert (start, end) == (datetime(2024, 6, 30, tzinfo=SH), datetime(2024, 7, 1, tzinfo=SH))
    assert date_range("2024年6月")[1] == datetime(2024, 7, 1, tzinfo=SH)
    assert date_range("2023-12")[1] == datetime(2024, 1, 1, tzinfo=SH)
    assert date_range("2024")[0] == datetime(2024, 1, 1, tzinfo=SH)
    start, end = date_range("2024-06-30 14:30")
    assert start == end == datetime(2024, 6, 30, 14, 30, tzinfo=SH)
    with pytest.raises(DateError):
        date_range("2024-13")


def test_a_bad_date_is_searched_as_words_with_a_note():
    q = parse_query("from:yesterday 长江")
    assert q.since is None and words(q) == ["yesterday", "长江"]
    assert "from:yesterday is not a date" in q.notes[0]
    q = parse_query("from:2024-06-01 to:2024-01-01 长江")
    assert any("not before" in n for n in q.notes)


def test_operators_are_read_as_a_user_means_them():
    q = parse_query("NOT 会议 低碳 OR 宝山 AND 转型")
    assert words(q) == ["低碳", "宝山", "转型"]
    assert [w.text for w in q.exclude_words] == ["会议"]


def test_function_words_are_dropped_unless_alone():
    assert words(parse_query("长江的鱼")) == ["长江", "鱼"]
    assert words(parse_query("的")) == ["的"]


def test_fts_syntax_is_text():
    q = parse_query('title_terms:长江 NEAR(a b) "x" * ^y {col}: AND')
    expr = fts5.match(q)
    assert "title_terms" in expr and '"NEAR"' in expr
    assert fts5.quote('a"b') == '"a""b"'


@pytest.mark.parametrize(
    "text",
    ['"', '""', '"unbalanced 长江', "-", "--", "- -", "-\"\"", "tag:", "tag:\"", "from:", "to:x",
     "😀🔥", "\x00", "\u200b", "\ue000x\ue001", "NOT", "NOT -", "AND OR NOT NEAR", "*", "^", "(((", ")",
     "'; DROP TABLE articles; --", "a" * 5000, "长" * 3000, "from:99999-99-99", "to:0000-00-00",
     "source:\"a b\" -source:c", "“未闭合", "tag:“低碳”"],
)
def test_hostile_inputs_parse_and_make_valid_fts(text):
    q = parse_query(text)
    _check_fts(q)


def test_random_strings_never_break_the_parser_or_fts():
    alphabet = list('"“”「」-－:：()*^{}[]+~,.;\'\\/ \t\n') + list("长江经济带宝山低碳上海交通大学的") + [
        "tag:", "source:", "from:", "to:", "NEAR", "AND", "OR", "NOT", "2024-01-01", "😀", "\x00", "a", "Z9"]
    rng = random.Random(5)
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        _check_fts(parse_query(text))


def _check_fts(q) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, b)")
    conn.execute("INSERT INTO t VALUES ('长江 经济带 宝山 低碳 上海 交通 大学 上海交通大学', 'x')")
    for mode in ("all", "any"):
        expr = fts5.match(q, mode)
        if expr is not None:
            conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expr,)).fetchone()
    if fts5.exclusions(q):
        conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts5.exclusions(q),)).fetchone()


def test_a_typed_word_only_context_makes_one_word_stays_one():
    q = parse_query("中美 关系")
    assert words(q) == ["中美", "关系"]  # not 中 (a function word, dropped) and 美
    assert fts5.word(q.words[0]) == '("中美" OR "中 美")'
    assert words(parse_query("长江的鱼")) == ["长江", "鱼"]  # a longer chunk is still cut into words


def test_a_very_long_query_is_cut_with_a_note():
    q = parse_query(" ".join(f"词{i}" for i in range(100)))
    assert len(q.words) == 32 and any("first 32 words" in n for n in q.notes)

"""Property tests (hypothesis): whatever bytes a reader is given and whatever text the query parser is
given, the answer is articles or xinwen's own problems, never another exception; and a parsed query
always compiles to a valid FTS5 expression."""

from __future__ import annotations

import gzip
import json
import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinwen.article import Article, Problem
from xinwen.readers import FORMATS, read_bytes
from xinwen.search.query import parse_query
from xinwen.store import fts5

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NEWSY = st.sampled_from(list("新闻宝山低碳发布时间标题正文，。：“”|\n\r\t {}[]\",:<>/-0123456789abc"))


def _only_articles_and_problems(data: bytes, name: str, fmt: str | None = None) -> None:
    for item in read_bytes(data, name, fmt=fmt):
        assert isinstance(item, Article | Problem), item
        if isinstance(item, Problem):
            assert item.file and item.message


@SETTINGS
@given(data=st.binary(max_size=2000), fmt=st.sampled_from([None, *FORMATS]))
def test_any_bytes_in_any_reader(data, fmt):
    _only_articles_and_problems(data, "x.bin", fmt)


@SETTINGS
@given(text=st.text(NEWSY, max_size=400), fmt=st.sampled_from(list(FORMATS)))
def test_newsy_text_in_every_reader(text, fmt):
    _only_articles_and_problems(text.encode("utf-8"), f"x.{fmt}", fmt)
    _only_articles_and_problems(text.encode("gb18030", errors="replace"), f"x.{fmt}", fmt)


@SETTINGS
@given(records=st.lists(st.dictionaries(st.sampled_from(["title", "body", "date", "id", "tags", "url", "标题"]),
                                        st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(),
                                                  st.lists(st.text(max_size=5), max_size=3)), max_size=5),
                        max_size=8),
       gz=st.booleans())
def test_json_records_of_any_shape(records, gz):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    _only_articles_and_problems(gzip.compress(data) if gz else data, "x.jsonl.gz" if gz else "x.jsonl")


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_query_parses_and_compiles(text):
    q = parse_query(text)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title_terms, body_terms)")
    conn.execute("INSERT INTO t VALUES ('长江 经济带 宝山', '低碳 上海')")
    for expr in (fts5.match(q, "all"), fts5.match(q, "any"), fts5.title_match(q), fts5.exclusions(q)):
        if expr is not None:
            conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expr,)).fetchone()


def _repeats_by_brute_force(text: str, min_count: int, max_len: int) -> dict[str, int]:
    """Every CJK run of 2..max_len characters counted (two-character runs overlapping, as a Counter of
    pairs counts them; longer ones with str.count), then those a run one longer holding it matches
    dropped, shortest first, in sorted order: the definition repeats() speeds up."""
    cjk = [("\u4e00" <= c <= "\u9fff") for c in text]
    pairs: dict[str, int] = {}
    for i in range(len(text) - 1):
        if cjk[i] and cjk[i + 1]:
            pairs[text[i : i + 2]] = pairs.get(text[i : i + 2], 0) + 1
    out = {g: c for g, c in sorted(pairs.items()) if c >= min_count}
    runs = {text[i : i + k] for k in range(3, max_len + 1) for i in range(len(text) - k + 1)
            if all(cjk[i : i + k])}
    for g in sorted(runs, key=lambda g: (len(g), g)):
        c = text.count(g)
        if c >= min_count:  # its two-character runs then repeat too: it lies in a stretch repeats() searches
            for part in (g[:-1], g[1:]):
                if out.get(part) == c:
                    del out[part]
            out[g] = c
    return out


@SETTINGS
@given(text=st.lists(st.sampled_from(["褚橙", "链尚优", "褚橙链尚优", "甜", "好", "，", "ab", "链尚", "优甜", "橙链", "1",
                                     "哈", "哈哈哈", "一对一对"]),  # runs that overlap themselves
                     max_size=40).map("".join),
       min_count=st.integers(2, 3), max_len=st.integers(3, 9))
def test_repeated_runs_are_those_of_the_brute_force_definition(text, min_count, max_len):
    from xinwen.analysis.tags.body import repeats

    got = repeats(text, min_count, max_len)
    want = _repeats_by_brute_force(text, min_count, max_len)
    assert got == want and list(got) == list(want)

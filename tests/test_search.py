"""Full-text search on the sample page, small written records and a slice of xinwenlianbo: ranking,
filters, facets, highlights, pages, FTS kept in sync, and hostile queries."""

from __future__ import annotations

import gzip
import json
import random
import sqlite3
from pathlib import Path

import pytest
from conftest import run_sql

import xinwen
from xinwen.cli import main
from xinwen.collection import Collection
from xinwen.errors import QueryError
from xinwen.search.highlight import MARK_CLOSE, MARK_OPEN, best_window, mark, matcher, plain, to_html

SAMPLE = Path(xinwen.__file__).parent / "data" / "news-page.txt"
MAIN_TITLE = "上海宝山以非常之力求突破、再提升,打造全市绿色低碳转型样板"

RECORDS = [
    {"id": "sjtu", "title": "上海交通大学举行毕业典礼", "date": "2024-06-28", "source": "新民晚报",
     "body": "6月28日，上海交通大学2024年毕业典礼举行，近万名毕业生走出校园。"},
    {"id": "split", "title": "上海 交通大学 新校区开工", "date": "2024-05-10", "source": "解放日报",
     "body": "位于闵行的新校区今日开工建设，预计三年后投入使用。"},
    {"id": "xjtu", "title": "西安交通大学发布科研成果", "date": "2024-03-02", "source": "新华社",
     "body": "西安交通大学科研团队在新能源材料领域取得突破。"},
    {"id": "metro", "title": "上海地铁新线路开通", "date": "2024-01-15", "source": "新民晚报",
     "body": "上海地铁又一条新线路开通运营，城市交通更加便利，沿线大学城的学生出行更方便。"},
    {"id": "yangtze", "title": "长江经济带生态环境持续改善", "date": "2023-12-20", "source": "新华社",
     "body": "长江经济带各省市共抓大保护、不搞大开发，长江生态环境保护发生转折性变化。"},
    {"id": "meeting", "title": "长江保护工作会议召开", "date": "2023-11-05", "source": "新华社",
     "body": "会议强调，要持续推进长江保护修复攻坚，经济社会发展与生态保护相协调。"},
]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def ids(result) -> list[str]:
    return [h.article.id for h in result.hits]


def _small(location: str, tmp: Path) -> Collection:
    c = Collection(location)
    c.ingest([_write_jsonl(tmp / "news.jsonl", RECORDS)], fit=False, progress=False)
    return c


@pytest.fixture(scope="module")
def small(module_databases, tmp_path_factory):
    """The records above, for tests that only read (on each backend)."""
    with _small(module_databases.new("small"), tmp_path_factory.mktemp("small")) as c:
        yield c


@pytest.fixture
def fresh(databases, tmp_path):
    """The records above, for a test that changes them."""
    with _small(databases.new(), tmp_path) as c:
        yield c


@pytest.fixture(scope="module")
def page_db(module_databases):
    db = module_databases.new("page")
    with Collection(db) as c:
        c.ingest([SAMPLE], progress=False)
    return db


@pytest.fixture(scope="module")
def xwlb(module_databases, tmp_path_factory):
    """The first 400 xinwenlianbo stories (real data; skipped when ../shared is absent)."""
    src = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
    if not src.exists():
        pytest.skip(f"../shared not present: needs {src}")
    tmp = tmp_path_factory.mktemp("xwlb")
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        stories = [json.loads(line) for _, line in zip(range(400), fh, strict=False)]
    db = module_databases.new("xwlb")
    with Collection(db) as c:
        c.ingest([_write_jsonl(tmp / "x.jsonl", stories)], fit=False, progress=False)
    return db, stories


# -- the sample page -------------------------------------------------------------
def test_sample_page_low_carbon_finds_the_main_story_with_marks_and_facets(page_db):
    with Collection(page_db, readonly=True) as c:
        r = c.search("低碳")
    assert r.mode == "all" and r.total == len(r.hits) >= 1
    top = r.hits[0]
    assert top.article.title == MAIN_TITLE
    assert f"{MARK_OPEN}低碳{MARK_CLOSE}" in top.highlight
    assert f"{MARK_OPEN}低碳{MARK_CLOSE}" in top.title_highlight
    assert plain(top.highlight).strip("…") in top.article.body.replace("\n", " ")
    assert set(r.facets) == {"tags", "sources", "origins", "months"}
    assert ("2024-04", 1) in r.facets["months"]
    assert sum(n for _, n in r.facets["months"]) <= r.total
    for tag, n in r.facets["tags"]:
        assert n == sum(tag in h.article.tags for h in r.hits)


def test_sample_page_pages_partition_the_results(page_db):
    with Collection(page_db, readonly=True) as c:
        everything = c.search("上海", limit=50)
        assert everything.total == len(everything.hits) >= 3
        pages = [c.search("上海", limit=2, offset=o) for o in range(0, everything.total, 2)]
        assert all(p.total == everything.total for p in pages)
        assert [i for p in pages for i in ids(p)] == ids(everything)
        assert c.search("上海", limit=2, offset=everything.total).hits == []
        scores = [h.score for h in everything.hits]
        assert scores == sorted(scores, reverse=True)
        by_time = c.search("上海", limit=50, sort="time")
        assert sorted(ids(by_time)) == sorted(ids(everything))
        dated = [h.article.published is not None for h in by_time.hits]
        assert dated == sorted(dated, reverse=True) and dated[0]  # the undated last


# -- segmentation both ways, phrases, exclusions, filters --------------------------
def test_long_word_and_its_parts_find_each_other(small):
    assert {"sjtu", "split"} <= set(ids(small.search("交通大学")))
    both = ids(small.search("上海交通大学"))
    assert both[:2] == ["sjtu", "split"]  # the whole word ranks first; text that wrote it apart still found
    assert "xjtu" not in both  # 西安交通大学 is not 上海交通大学


def test_a_quoted_phrase_is_exact(small):
    r = small.search('"上海交通大学"')
    assert ids(r) == ["sjtu"] and r.total == 1
    assert f"{MARK_OPEN}上海交通大学{MARK_CLOSE}" in r.hits[0].highlight
    loose = set(ids(small.search("长江 生态")))
    exact = set(ids(small.search('"长江生态"')))
    assert exact == {"yangtze"} and exact < loose


def test_exclusions(small):
    assert set(ids(small.search("长江"))) == {"yangtze", "meeting"}
    assert ids(small.search("长江 -会议")) == ["yangtze"]
    assert ids(small.search('长江 -"共抓大保护"')) == ["meeting"]
    only = small.search("-长江 -上海")
    assert only.mode == "filter" and ids(only) == ["xjtu"]


def test_only_exclusions_list_the_rest_newest_first(small):
    r = small.search("-长江", limit=50)
    assert r.mode == "filter"
    assert set(ids(r)) == {"sjtu", "split", "xjtu", "metro"}
    dates = [h.article.published for h in r.hits]
    assert dates == sorted(dates, reverse=True)


def test_filters_tag_source_and_dates(small):
    r = small.search("交通 source:新民晚报")
    assert set(ids(r)) == {"sjtu", "metro"}
    assert all(h.article.source == "新民晚报" for h in r.hits)
    assert r.facets["sources"] == [("新民晚报", 2)]
    assert set(ids(small.search("交通 -source:新民晚报"))) == {"split", "xjtu"}
    assert ids(small.search("大学 from:2024-05-10 to:2024-06-27")) == ["split"]  # to: is inclusive of its day
    assert set(ids(small.search("大学 from:2024-05-10 to:2024-06-28"))) == {"split", "sjtu"}
    assert set(ids(small.search("from:2024-01 to:2024-03"))) == {"metro", "xjtu"}
    tag = small.get("yangtze").tags[0]
    tagged = small.search(f"tag:{tag}")
    assert "yangtze" in ids(tagged) and all(tag in h.article.tags for h in tagged.hits)
    assert "yangtze" not in ids(small.search(f"长江 -tag:{tag}"))


def test_and_falls_back_to_or_ranked(small):
    r = small.search("长江 完全不存在的词汇")
    assert r.mode == "any"
    assert set(ids(r)) == {"yangtze", "meeting"}
    strict = small.search("长江 会议")
    assert strict.mode == "all" and ids(strict) == ["meeting"]


def test_sort_by_time_and_facet_months(small):
    r = small.search("交通", sort="time", limit=10)
    dates = [h.article.published for h in r.hits]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    assert dict(r.facets["months"]) == {"2024-06": 1, "2024-05": 1, "2024-03": 1, "2024-01": 1}
    with pytest.raises(QueryError):
        small.search("交通", sort="random")
    with pytest.raises(QueryError):
        small.search("交通", limit=-1)


# -- the index follows the table ---------------------------------------------------
def test_index_follows_updates_and_deletes(fresh, tmp_path):
    small = fresh
    assert ids(small.search("毕业典礼")) == ["sjtu"]
    changed = [dict(RECORDS[0], title="上海交通大学举行开学典礼", body="新生入学，开学典礼在闵行校区举行。")]
    report = small.ingest([_write_jsonl(tmp_path / "changed.jsonl", changed)], fit=False, progress=False)
    assert report.updated == 1
    assert small.search("毕业典礼").total == 0
    assert ids(small.search("开学典礼")) == ["sjtu"]
    run_sql(small.db_path, "DELETE FROM articles WHERE id = 'sjtu'")
    assert small.search("开学典礼").total == 0
    assert small.search("上海交通大学").total == 1
    if not small.db_path.startswith("postgresql://"):
        small.store.conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")


# -- hostile input -----------------------------------------------------------------
HOSTILE = [
    '"', '""', '"unbalanced 长江', "长江\"", "-", "--长江", "-\"\"", "tag:", 'tag:"', "from:", "to:x", "from:2024-13-45",
    "😀🔥", "长江😀", "\x00", "\ue000交通\ue001", "NOT", "NOT -", "AND OR NOT NEAR", "NEAR(长江 生态, 2)", "*", "长*",
    "^长江", "title_terms:长江", "body_terms : 长江", "articles_fts:x", "{title_terms body_terms}:长江", "(((", ")",
    "'; DROP TABLE articles; --", "' OR 1=1 --", "%", "_", "\\", "a" * 3000, "长江" * 600, "source:", "-tag:x -source:y",
    "tag:%' OR '1'='1", "from:2024-06-01 to:2024-01-01 长江", "\u202e长江\u202c", "\t\n\r", " ", "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_fail(small, text):
    for sort in ("relevance", "time"):
        r = small.search(text, sort=sort, limit=5, offset=1)
        assert r.total >= len(r.hits) and isinstance(r.facets, dict)
        for h in r.hits:
            assert h.highlight.count(MARK_OPEN) == h.highlight.count(MARK_CLOSE)


def test_random_queries_never_fail(small):
    pieces = list('"“”-－:：()*^{}[]+~,.;\'\\/% _') + [
        "长江", "交通", "大学", "上海", "生态", "tag:", "source:", "from:", "to:", "2024-01-01", "NEAR", "NOT",
        "OR", "AND", "😀", "\x00", " ", " ", "title_terms", "rowid", "SELECT",
    ]
    rng = random.Random(11)
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        r = small.search(text, limit=3, sort=rng.choice(["relevance", "time"]))
        assert r.total >= len(r.hits)


def test_cli_search_json_and_hostile(capsys, small):
    db = small.db_path
    assert main(["search", "交通", "大学", "--db", db, "--json", "--limit", "2"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    for d in lines:
        assert {"article", "score", "match", "highlight", "title_highlight"} <= d.keys()
        assert {"id", "title", "published", "tags"} <= d["article"].keys()
        assert MARK_OPEN in d["highlight"] + d["title_highlight"]
    assert main(["search", "交通", "--db", db, "--json", "--offset", "3", "--sort", "time"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main(["search", "交通", "--db", db, "--json", "--facets"]) == 0
    *hits, obj = [json.loads(x) for x in capsys.readouterr().out.splitlines()]  # facets: a line of their own
    assert len(hits) == 4 and all("article" in h for h in hits)
    assert obj["total"] == 4 and set(obj["facets"]) == {"tags", "sources", "origins", "months"}
    assert all({"value", "count"} == v.keys() for vs in obj["facets"].values() for v in vs)
    for text in ['"', "from:nonsense 长江", "NEAR(", "'; DROP TABLE articles; --"]:
        assert main(["search", text, "--db", db]) == 0
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
    assert main(["search", "长江", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 found") and "【长江】" in out


# -- highlights --------------------------------------------------------------------
def test_best_window_prefers_the_passage_with_all_words():
    body = "长江" + "。其他内容" * 40 + "。长江生态保护修复取得成效，生态环境持续改善。" + "后文" * 80
    w = best_window(body, matcher(["长江", "生态"]))
    assert f"{MARK_OPEN}长江{MARK_CLOSE}{MARK_OPEN}生态{MARK_CLOSE}" in w
    assert w.startswith("…") and w.endswith("…") and len(plain(w)) <= 122
    assert best_window("没有匹配", matcher(["长江"])) is None


def test_marks_in_text_are_removed_and_html_is_escaped():
    text = "<script>alert(1)</script>长江\ue001\ue000"
    marked = mark(text, matcher(["长江"]))
    assert marked.count(MARK_OPEN) == marked.count(MARK_CLOSE) == 1
    assert to_html(marked) == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>长江</mark>"


# -- real data -------------------------------------------------------------------
def test_real_stories_are_found_by_their_title_words(xwlb):
    db, stories = xwlb
    from collections import Counter

    counts = Counter(s["title"] for s in stories)
    rng = random.Random(3)
    picks = [s for s in stories if counts[s["title"]] == 1 and s["body"].strip()]
    rng.shuffle(picks)
    found = tried = 0
    with Collection(db, readonly=True) as c:
        for s in picks[:40]:
            words = [w.text for w in c.search(s["title"], limit=0, facets=False).query.words if len(w.text) > 1]
            if len(words) < 2:
                continue
            tried += 1
            r = c.search(" ".join(rng.sample(words, 2)), limit=10, facets=False)
            found += s["id"] in ids(r)
            assert r.total >= len(r.hits)
    assert tried >= 30 and found / tried >= 0.8


def test_real_facets_count_every_match_and_highlights_mark_the_body(xwlb):
    db, _ = xwlb
    with Collection(db, readonly=True) as c:
        r = c.search("经济 发展", limit=20)
        assert r.total > 20
        assert sum(n for _, n in r.facets["months"]) == r.total
        everything = c.search("经济 发展", limit=1000, facets=False)
        assert len(everything.hits) == r.total
        top_tag, n = r.facets["tags"][0]
        assert n == sum(top_tag in h.article.tags for h in everything.hits)
        assert c.search(f"经济 发展 tag:{top_tag}", facets=False).total == n
        for h in r.hits:
            assert MARK_OPEN in h.highlight or MARK_OPEN in h.title_highlight
            assert h.highlight.count(MARK_OPEN) == h.highlight.count(MARK_CLOSE)
        month = r.facets["months"][0][0]
        assert c.search(f"经济 发展 from:{month} to:{month}").total == r.facets["months"][0][1]


def test_a_damaged_index_is_a_store_error_not_a_traceback(tmp_path):
    db = tmp_path / "x.db"
    with Collection(db) as c:
        c.ingest([_write_jsonl(tmp_path / "n.jsonl", RECORDS[:2])], fit=False, progress=False)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE articles_fts")
    conn.commit()
    conn.close()
    with Collection(db) as c:
        with pytest.raises(xinwen.errors.XinwenError, match="search failed"):
            c.search("交通")


def test_facets_follow_new_articles(fresh, tmp_path):
    before = fresh.search("交通")
    assert dict(before.facets["sources"]) == {"新民晚报": 2, "解放日报": 1, "新华社": 1}
    extra = [{"id": "extra", "title": "城市交通新规发布", "date": "2022-02-02", "source": "人民日报",
              "body": "新规明确了城市交通管理的要求。"}]
    fresh.ingest([_write_jsonl(tmp_path / "extra.jsonl", extra)], fit=False, progress=False)
    after = fresh.search("交通")
    assert after.total == before.total + 1
    assert dict(after.facets["sources"])["人民日报"] == 1
    assert ("2022-02", 1) in after.facets["months"]
    run_sql(fresh.db_path, "DELETE FROM articles WHERE id = 'extra'")
    assert "人民日报" not in dict(fresh.search("交通").facets["sources"])


def test_typed_words_the_segmenter_splits_still_find_text(fresh, tmp_path):
    extra = [{"id": "sino", "title": "中美经贸磋商取得新进展", "date": "2024-02-02", "body": "双方同意继续保持沟通。"},
             {"id": "two", "title": "两国元首举行会谈", "date": "2024-02-03", "body": "两国元首就双边关系交换意见。"}]
    fresh.ingest([_write_jsonl(tmp_path / "extra.jsonl", extra)], fit=False, progress=False)
    assert ids(fresh.search("中美 磋商")) == ["sino"]
    assert ids(fresh.search("两国 会谈")) == ["two"]
    assert "sino" not in ids(fresh.search("磋商 -中美"))


TITLE_RECORDS = [
    # all three hold 中国 and 现代化 in the title; only the last has 中国 as a word of its own (not inside 中国式)
    {"id": "series", "title": "中国式现代化万千气象", "date": "2024-03-01", "body": "系列报道。"},
    {"id": "long", "title": "奋力谱写中国式现代化建设新篇章 各地干部群众热议发展新机遇新作为", "date": "2024-03-02",
     "body": "各地干部群众表示。"},
    {"id": "farm", "title": "【奋进中国式现代化】中国农业现代化加快推进", "date": "2024-03-03",
     "body": "农业农村现代化建设取得新进展。"},
    # both hold 会见 and 总统 as words; the shorter headline (fewer words) is more about them
    {"id": "meets", "title": "国家主席会见印度尼西亚总统", "date": "2024-04-01", "body": "会见在人民大会堂举行。"},
    {"id": "busy", "title": "国家主席会见印度尼西亚总统 出席经贸合作论坛开幕式并发表主旨演讲", "date": "2024-04-02",
     "body": "会见后出席论坛。"},
]


def test_title_words_standing_alone_and_short_headlines_rank_first(databases, tmp_path):
    with Collection(databases.new("t")) as c:
        c.ingest([_write_jsonl(tmp_path / "t.jsonl", TITLE_RECORDS)], fit=False, progress=False)
        # 中国 is a word of its own only in "farm": it leads, though its title is not the shortest
        assert ids(c.search("中国 现代化", facets=False))[0] == "farm"
        assert ids(c.search("会见 总统", facets=False))[:2] == ["meets", "busy"]
        hits = c.search("会见 总统", facets=False).hits
        assert hits[0].score > hits[1].score

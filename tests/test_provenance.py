"""Provenance as a user meets it (issue 19): the outlet a story is credited to, stored, faceted and
filtered on; the event date and republished stories (首发于); every earlier text of an article kept as a
version, with what changed; and a database of schema 5 carried over. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from xinwen import Collection
from xinwen.analysis.provenance import changed_chars, diff, sentences
from xinwen.cli import main
from xinwen.store.schema import MIGRATIONS

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "xinwen" / "data" / "news-page.txt"
MAIN_ID = "15085e53e0238419"  # the sample page's main story (宝山, 发布时间 2024-04-14 for a meeting of 2023-07-06)

STORY = ("来源：中新网\n中新网上海3月2日电 上海市宝山区今天召开全区重点项目推进大会，会议通报了去年全区经济运行情况，"
         "全区规模以上工业总产值同比增长5.2%，固定资产投资完成额增长12.1%。会议要求，各部门要围绕绿色低碳转型目标，"
         "加快推进南大智慧城、吴淞创新城等重点区域建设，确保今年一季度实现开门红。宝山区负责人表示，将进一步优化营商环境，"
         "为企业提供全生命周期服务，推动一批重大产业项目早开工、早投产、早见效。")


def records(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_diff_keeps_both_texts_and_stays_local() -> None:
    old = "第一句不变。第二句里有个数字是5.2%。\n第三段也不变。"
    new = "第一句不变。第二句里有个数字是5.3%，另加一句。\n第三段也不变。新增结尾！"
    changes = diff(old, new)
    assert "".join(c.text for c in changes if c.op != "+") == old
    assert "".join(c.text for c in changes if c.op != "-") == new
    assert [c.text for c in changes if c.op == "-"] == ["2"] and ("+", "，另加一句") in [(c.op, c.text) for c in changes]
    assert changed_chars(diff(old, old)) == 0
    assert "".join(sentences(new)) == new and len(sentences(new)) == 4
    long_old, long_new = "甲" * 9000 + "。", "乙" * 9000 + "。"  # over the character-diff limit: replaced whole
    assert [c.op for c in diff(long_old, long_new)] == ["-", "+"]


def test_the_sample_pages_story_is_flagged_republished(databases, tmp_path: Path) -> None:
    with Collection(databases.new()) as c:
        c.ingest([str(SAMPLE)], progress=False)
        prov = c.provenance(MAIN_ID)
        assert prov.event_date == date(2023, 7, 6)
        assert prov.republished is not None and prov.republished.original == date(2023, 7, 6)
        assert prov.republished.reason == "event-date" and prov.versions == 1
        assert c.get(MAIN_ID).event_date == date(2023, 7, 6)
        related = [a for a in c.list(limit=10) if a.id != MAIN_ID]
        assert related and all(c.provenance(a.id).republished is None for a in related)  # no date stated


def test_a_later_printing_of_a_copy_is_republished_after_the_first(databases, tmp_path: Path) -> None:
    rows = [
        {"id": "first", "title": "宝山召开重点项目推进大会", "body": STORY, "published": "2024-03-02 10:00"},
        {"id": "again", "title": "宝山召开重点项目推进大会", "body": STORY + "\n责任编辑：王小明",
         "published": "2025-03-20 09:00"},
    ]
    with Collection(databases.new()) as c:
        c.ingest([records(tmp_path / "copies.jsonl", rows)], progress=False)
        assert [a.id for a in c.copies("again")] == ["first"]
        late = c.provenance("again")
        assert late.first_printing == date(2024, 3, 2)
        assert late.republished is not None and late.republished.reason == "first-printing"
        assert late.republished.original == date(2024, 3, 2) and late.republished.days == 383
        assert c.provenance("first").republished is None
        assert late.origin == "中国新闻网" and late.origin_evidence and late.origin_evidence["kind"] == "source-line"


def test_origin_is_faceted_and_filtered(databases, tmp_path: Path) -> None:
    rows = [
        {"id": "x1", "title": "宝山重点项目开工", "body": STORY},
        {"id": "x2", "title": "上海发布一季度经济数据", "body": "据新华社电 上海一季度经济运行稳中向好，工业生产加快。"},
        {"id": "x3", "title": "宝山举办文化活动", "body": "本报讯 宝山区昨天举办文化活动，吸引众多市民参加。"},
    ]
    with Collection(databases.new()) as c:
        c.ingest([records(tmp_path / "o.jsonl", rows)], progress=False)
        assert [c.get(i).origin for i in ("x1", "x2", "x3")] == ["中国新闻网", "新华社", None]
        assert [h.article.id for h in c.search("origin:中新网")] == ["x1"]  # the alias, normalized
        assert [h.article.id for h in c.search("宝山 -origin:中国新闻网")] == ["x3"]
        assert dict(c.search("origin:新华社").facets["origins"]) == {"新华社": 1}
        assert dict(c.search("宝山").facets["origins"]) == {"中国新闻网": 1}


def test_a_changed_text_is_kept_as_a_version(databases, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = {"id": "v1", "title": "宝山召开重点项目推进大会", "body": STORY, "published": "2024-03-02"}
    fixed = dict(first, body=STORY.replace("增长5.2%", "增长5.3%"))
    db = databases.new()
    with Collection(db) as c:
        assert c.ingest([records(tmp_path / "a.jsonl", [first])], progress=False).added == 1
        report = c.ingest([records(tmp_path / "b.jsonl", [fixed])], progress=False)
        assert report.updated == 1
        assert c.ingest([records(tmp_path / "c.jsonl", [fixed])], progress=False).unchanged == 1  # no new version
        versions = c.versions("v1")
        assert [v.version for v in versions] == [1, 2] and versions[-1].replaced_at is None
        assert versions[0].article.body == STORY and versions[1].article.body == fixed["body"]
        assert c.version("v1", 1).article.body == STORY and c.provenance("v1").versions == 2
        with pytest.raises(Exception, match="no version 3"):
            c.version("v1", 3)

    assert main(["show", "v1", "--versions", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "version 1" in out and "version 2" in out and "[-2-]{+3+}" in out and "2 characters changed" in out
    assert main(["show", "v1", "--version", "1", "--db", db]) == 0
    assert "增长5.2%" in capsys.readouterr().out
    assert main(["show", "v1", "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == 2 and shown["provenance"]["versions"] == 2 and shown["origin"] == "中国新闻网"
    assert main(["show", "v1", "--version", "3", "--db", db]) == 1


def test_the_article_page_shows_versions_changes_and_first_printing(databases, tmp_path: Path) -> None:
    from xinwen.web.app import create_app

    first = {"id": "w1", "title": "宝山召开重点项目推进大会", "body": STORY, "published": "2024-03-02"}
    fixed = dict(first, body=STORY.replace("增长12.1%", "增长12.4%"))
    db = databases.new()
    with Collection(db) as c:
        c.ingest([str(SAMPLE), records(tmp_path / "a.jsonl", [first])], progress=False)
        c.ingest([records(tmp_path / "b.jsonl", [fixed])], progress=False)
    with TestClient(create_app(db)) as client:
        page = client.get(f"/articles/{MAIN_ID}").text
        assert "首发于" in page and "2023-07-06" in page
        got = client.get("/articles/w1", params={"format": "json"}).json()
        assert [v["version"] for v in got["versions"]] == [1, 2] and got["article"]["version"] == 2
        assert {"op": "-", "text": "1"} in got["changes"] and {"op": "+", "text": "4"} in got["changes"]
        old = client.get("/articles/w1", params={"version": 1, "format": "json"}).json()
        assert old["article"]["version"] == 1 and "12.1%" in old["article"]["body"] and old["changes"] == []
        html = client.get("/articles/w1").text
        assert "<del>1</del><ins>4</ins>" in html and "第 1 版" in html
        assert "共 2 版" in client.get("/articles/w1", params={"version": 1}).text
        assert client.get("/articles/w1", params={"version": 3}).status_code == 404
        facets = client.get("/search", params={"q": "宝山", "format": "json"}).json()["facets"]
        assert {"value": "中国新闻网", "count": 1} in facets["origins"]
        only = client.get("/search", params={"q": "宝山", "origin": "中国新闻网", "format": "json"}).json()
        assert [h["article"]["id"] for h in only["hits"]] == ["w1"]


def test_a_schema_5_database_is_carried_over(tmp_path: Path) -> None:
    """A database xinwen wrote before provenance was kept: its `origin` column (where each record was read)
    becomes `read_from`, and the next writer reads every stored article's provenance."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for script in MIGRATIONS[:5]:
        conn.executescript(script)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '5')")
    conn.execute(
        "INSERT INTO articles (id, title, body, published, published_ts, origin, content_hash, ingested_at) "
        "VALUES ('old', '宝山召开重点项目推进大会', ?, '2024-03-02T00:00:00+08:00', 1709308800, 'feed.jsonl:3', "
        "'h', '2024-03-02T00:00:00+00:00')", (STORY,))
    conn.commit()
    conn.close()
    with Collection(str(db)) as c:
        old = c.get("old")
        assert old.read_from == "feed.jsonl:3" and old.origin is None
        assert c.attribute_stored() == 1
        assert c.get("old").origin == "中国新闻网" and c.get("old").event_date == date(2024, 3, 2)
        assert c.attribute_stored() == 0  # once
        assert [h.article.id for h in c.search("origin:中国新闻网")] == ["old"]


PAGE = """<html><head><title>宝山召开重点项目推进大会_观察者网</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/a">国内</a></div>
<h1>宝山召开重点项目推进大会</h1>
<div class="byline">2024-03-02 10:08:11 字号：A- A A+ 来源：观察者网</div>
<div class="content"><p>上海市宝山区今天召开全区重点项目推进大会，会议通报了去年全区经济运行情况，全区规模以上工业总产值同比增长5.2%。</p>
<p>会议要求，各部门要围绕绿色低碳转型目标，加快推进南大智慧城、吴淞创新城等重点区域建设，确保今年一季度实现开门红。</p>
<p>宝山区负责人表示，将进一步优化营商环境，为企业提供全生命周期服务，推动一批重大产业项目早开工、早投产、早见效。</p></div>
<div class="footer">责任编辑：王小明</div></body></html>"""


def test_a_pages_printed_source_line_beside_the_story_is_its_origin(tmp_path: Path) -> None:
    from xinwen.analysis.provenance import attribute
    from xinwen.readers import read

    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    (article,) = [a for a in read([str(page)]) if not hasattr(a, "message")]
    assert "来源" not in article.body and article.extra["credit"] == "来源：观察者网"
    attribute(article)
    assert article.origin == "观察者网" and article.provenance["origin"]["field"] == "credit"


def test_saved_pages_are_credited_to_the_outlet_they_print(shared: Path) -> None:
    from xinwen.analysis.provenance import attribute
    from xinwen.readers import read

    def outlet(page: str) -> str | None:
        (article,) = [a for a in read([str(shared / "pages" / page)]) if not hasattr(a, "message")]
        return attribute(article).origin

    assert outlet("guancha/guancha.html") == "观察者网"
    assert outlet("stcn/1.html") == "证券时报网"  # 2019-09-26 12:11来源：证券时报网作者：李在山
    assert outlet("people/1.html") == "人民网"  # 来源：人民网-文化频道: the outlet, not its channel
    assert outlet("xinhuanet/1.html") == "新华社"  # the dateline in the story before the page's 来源：新华网
    assert outlet("zyyfy/1.html") is None  # 来源：本站原创 names no one
    assert outlet("wechat/2.html") is None  # a public account: not 腾讯

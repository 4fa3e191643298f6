"""The REST API and the HTML pages, through FastAPI's test client, over a database built from real data
(the sample page, a planted earlier printing of its main story, a hostile article, and a few hundred
xinwenlianbo stories from ../shared when present; see `web_db` in conftest.py; each test that asks for `web`, `client` or
`collection` runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

import lxml.html
import pytest
from conftest import WebDB, make_web_db
from fastapi.testclient import TestClient

from xinwen import results as m
from xinwen.collection import Collection
from xinwen.web.app import create_app
from xinwen.web.render import highlight_html

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def web(backend, web_db, module_databases, tmp_path_factory) -> WebDB:
    """The web tests' database (conftest.py's `web_db`) in each backend: the same records in PostgreSQL."""
    if backend == "sqlite":
        return web_db
    return make_web_db(module_databases.new(), tmp_path_factory.mktemp("web-pg"))


@pytest.fixture(scope="module")
def client(web) -> Iterator[TestClient]:
    app = create_app(str(web.path))
    with TestClient(app) as tc:
        yield tc
    app.state.collection.close()


@pytest.fixture(scope="module")
def collection(web) -> Iterator[Collection]:
    with Collection(web.path, readonly=True) as c:
        yield c


def page(client: TestClient, path: str, status: int = 200) -> lxml.html.HtmlElement:
    r = client.get(path)
    assert r.status_code == status, (path, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert "Traceback" not in r.text
    return lxml.html.fromstring(r.text)


def data(client: TestClient, path: str, status: int = 200) -> dict:
    r = client.get(path, headers=JSON)
    assert r.status_code == status, (path, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["vary"] == "Accept"
    return r.json()


def text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def test_home_lists_latest_articles_trending_tags_and_a_search_box(client, collection):
    home = data(client, "/")
    assert home["count"] == collection.count()
    latest = [a.id for a in collection.list(limit=20)]
    assert [a["id"] for a in home["articles"]] == latest
    dates = [a["published"] for a in home["articles"] if a["published"]]
    assert dates == sorted(dates, reverse=True)
    assert home["trending"], "no trending tags"
    for t in home["trending"][:3]:  # every trending tag leads to a tag page with articles
        assert data(client, f"/tags/{quote(t['tag'], safe='')}")["articles"]

    doc = page(client, "/")
    assert doc.xpath("//form[@action='/search']//input[@name='q']")
    titles = [text(a) for a in doc.xpath("//section[@aria-labelledby='latest']//h2/a")]
    assert titles == [a.title for a in collection.list(limit=20)]
    tag_links = doc.xpath("//aside//a[@class='tag']/@href")
    assert tag_links and all(h.startswith("/tags/") for h in tag_links)


def test_article_page_shows_the_article_and_related_reading_with_reasons(client, collection, web):
    a = collection.get(web.sample_id)
    doc = page(client, f"/articles/{web.sample_id}")
    assert text(doc.xpath("//article/h1")[0]) == a.title
    byline = text(doc.xpath("//p[contains(@class, 'byline')]")[0])
    assert "发布时间：2024-04-14 02:15" in byline and ("来源：" in byline) == bool(a.source)
    tag_hrefs = doc.xpath("//ul[contains(@class, 'story-tags')]//a/@href")
    assert tag_hrefs == [f"/tags/{quote(t, safe='')}" for t in a.tags]
    paragraphs = [p.text_content() for p in doc.xpath("//div[@class='body']/p")]
    assert paragraphs == [p.strip() for p in a.body.splitlines() if p.strip()]

    twin = data(client, f"/articles/{web.sample_id}")
    assert twin["article"]["body"] == a.body and twin["article"]["tags"] == a.tags
    assert twin["related"], "no related articles for the sample page's main story"
    related_items = doc.xpath("//section[@class='related']//li[@class='item']")
    assert len(related_items) == len(twin["related"])
    for item, r in zip(related_items, twin["related"], strict=True):
        assert set(r["reason"]) >= {"shared_tags", "shared_terms"}
        assert r["article"]["id"] != web.sample_id
        assert item.xpath(".//h3/a/@href") == [f"/articles/{quote(r['article']['id'], safe='')}"]
        assert text(item.xpath(".//h3/a")[0]) == r["article"]["title"]
        assert [text(t) for t in item.xpath(".//a[@class='tag']")] == r["article"]["tags"]
        why = text(item.xpath(".//p[@class='why']")[0])
        assert why.startswith("相关原因")
        for word in (r["reason"].get("shared_tags") or [])[:2]:
            assert word in why or r["reason"].get("text")
        if r["article"]["snippet"]:
            assert text(item.xpath(".//p[@class='snippet']")[0]) == " ".join(r["article"]["snippet"].split())


def test_copies_of_the_same_story_are_listed_apart(client, web):
    twin = data(client, f"/articles/{web.sample_id}")
    copy_ids = [c["id"] for c in twin["copies"]]
    assert web.copy_id in copy_ids, "the planted earlier printing is not listed as a copy"
    assert not {r["article"]["id"] for r in twin["related"]} & set(copy_ids)
    doc = page(client, f"/articles/{web.sample_id}")
    section = doc.xpath("//section[@class='copies']")[0]
    assert text(section.xpath("h2")[0]) == "其他来源"
    assert f"/articles/{web.copy_id}" in section.xpath(".//a/@href")


def test_tag_page_lists_its_articles_and_cooccurring_tags(client, collection):
    tag = collection.get(collection.list(limit=1)[0].id).tags[0]
    twin = data(client, f"/tags/{quote(tag, safe='')}")
    assert twin["articles"] and all(tag in a["tags"] for a in twin["articles"])
    assert [a["id"] for a in twin["articles"]] == [a.id for a in collection.list(tag=tag, limit=10)]
    assert [(t["tag"], t["count"]) for t in twin["cooccurring"]] == [
        tuple(x) for x in collection.cooccurring(tag, k=12)
    ]
    assert twin["cooccurring"] and tag not in [t["tag"] for t in twin["cooccurring"]]
    doc = page(client, f"/tags/{quote(tag, safe='')}")
    assert tag in text(doc.xpath("//h1")[0])
    # a tag with reserved characters is one path segment, and an unknown tag is a 404 naming it
    err = data(client, "/tags/" + quote("a/b?c#d", safe=""), status=404)
    assert "a/b?c#d" in err["error"]


def test_search_highlights_facets_filters_sorting_and_pages(client, web):
    res = data(client, "/search?q=低碳")
    assert res["total"] > 0 and res["hits"]
    assert web.sample_id in [h["article"]["id"] for h in data(client, "/search?q=低碳+宝山")["hits"]]
    for h in res["hits"]:
        assert "<mark>" in h["highlight_html"] + h["title_html"]
    doc = page(client, "/search?q=低碳")
    assert doc.xpath("//ol[contains(@class, 'hits')]//mark")
    assert doc.xpath("//input[@name='q']/@value")[0] == "低碳"
    assert set(res["facets"]) >= {"tags", "sources", "months"}
    tag = next(f["value"] for f in res["facets"]["tags"] if f["value"] != "低碳")
    facet_count = next(f["count"] for f in res["facets"]["tags"] if f["value"] == tag)
    narrowed = data(client, f"/search?q=低碳&tag={quote(tag)}")
    assert narrowed["total"] == facet_count
    assert all(tag in h["article"]["tags"] for h in narrowed["hits"])
    assert f"tag:{tag}" in narrowed["query"]
    month = res["facets"]["months"][0]["value"]
    in_month = data(client, f"/search?q=低碳&month={month}")
    assert in_month["total"] == res["facets"]["months"][0]["count"]
    assert all(h["article"]["published"].startswith(month) for h in in_month["hits"])
    by_time = data(client, "/search?q=低碳&sort=time")
    stamps = [datetime.fromisoformat(h["article"]["published"]) for h in by_time["hits"]]
    assert stamps == sorted(stamps, reverse=True)
    if res["total"] > 10:
        second = data(client, "/search?q=低碳&page=2")
        assert second["page"] == 2 and second["pages"] == res["pages"]
        assert not {h["article"]["id"] for h in second["hits"]} & {h["article"]["id"] for h in res["hits"]}
        assert page(client, "/search?q=低碳").xpath("//nav[@class='pager']//a[@rel='next']/@href")


def test_highlight_is_escaped_before_marking(client, web):
    assert str(highlight_html("<b>\ue000低碳\ue001</b>\ue000")) == "&lt;b&gt;<mark>低碳</mark>&lt;/b&gt;"
    res = data(client, "/search?q=危险标题")
    hit = next(h for h in res["hits"] if h["article"]["id"] == web.hostile_id)
    assert "&lt;script&gt;" in hit["title_html"] and "<script" not in hit["title_html"]
    doc = page(client, "/search?q=危险标题")
    assert not doc.xpath("//script") and doc.xpath("//mark")


HOSTILE_QUERIES = [
    '"', '""', '"未闭合', "*", "AND", "OR NOT", "NEAR(低碳", "低碳 NEAR/2 宝山", "'; DROP TABLE articles; --",
    "<script>alert(1)</script>", "tag:", "tag:\"", "source:\"<b>\"", "from:notadate", "to:2024-99-99", "-",
    "-低碳", "--", "\x00", "\u202e", "😀", "^低碳", "低碳:", "(((", "a" * 500, "低碳 " * 100, "%", "\\", "{{7*7}}",
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_search_strings_never_break_the_page(client, q):
    for headers in ({}, JSON):
        r = client.get("/search", params={"q": q}, headers=headers)
        assert r.status_code in (200, 400), (q, r.status_code, r.text[:200])
        assert "Traceback" not in r.text
        if headers:
            body = r.json()
            assert ("hits" in body) if r.status_code == 200 else body["error"]
        else:
            assert "<script>alert" not in r.text
            assert not lxml.html.fromstring(r.text).xpath("//script")


@pytest.mark.parametrize("path, name", [
    ("/search?q=x&page=0", "page"), ("/search?q=x&page=abc", "page"), ("/search?q=x&sort=random", "sort"),
    ("/search?q=x&month=2024-13", "month"), ("/search?q=" + "x" * 501, "q"), ("/trends?period=year", "period"),
    ("/trends?since=yesterday", "since"), ("/?limit=100000", "limit"), ("/articles/x?k=-1", "k"),
])
def test_bad_parameters_are_400_with_a_message(client, path, name):
    err = data(client, path, status=400)
    assert err["status"] == 400 and name in err["error"]
    doc = page(client, path, status=400)
    assert name in text(doc.xpath("//p[@class='message']")[0])


def test_not_found_is_a_message_not_a_traceback(client):
    err = data(client, "/articles/no-such-id", status=404)
    assert err == {"error": "no article with id 'no-such-id'", "status": 404}
    doc = page(client, "/articles/no-such-id", status=404)
    assert "no-such-id" in text(doc.xpath("//p[@class='message']")[0])
    assert data(client, "/no/such/page", status=404)["error"] == "no such page"
    page(client, "/no/such/page", status=404)
    r = client.get("/tags/" + quote('<script>alert(1)</script>"><img src=x onerror=alert(2)>', safe=""))
    assert r.status_code == 404 and "&lt;script&gt;alert(1)" in r.text
    assert not lxml.html.fromstring(r.text).xpath("//script | //img")


def test_hostile_article_renders_as_text(client, collection, web):
    a = collection.get(web.hostile_id)
    assert len(a.body.encode("utf-8")) >= 1_000_000
    r = client.get(f"/articles/{web.hostile_id}")
    assert r.status_code == 200
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "&lt;script&gt;window.__xinwen_pwned" in r.text and "<script>window" not in r.text
    doc = lxml.html.fromstring(r.text)
    assert not doc.xpath("//script | //svg | //img | //iframe | //object")
    assert not [attr for el in doc.iter() if isinstance(el.tag, str) for attr in el.attrib if attr.startswith("on")]
    assert not [h for h in doc.xpath("//@href") if not h.startswith(("/", "#", "http://", "https://"))]
    assert text(doc.xpath("//article/h1")[0]) == " ".join(a.title.split())
    assert "{{ 7*7 }}" in r.text and "49" not in text(doc.xpath("//div[@class='body']/p[4]")[0])
    shown = "\n".join(p.text_content() for p in doc.xpath("//div[@class='body']/p"))
    assert shown == "\n".join(p.strip() for p in a.body.splitlines() if p.strip())
    for kept in ("😀", "🎉", "🇨🇳", "\u2067", "עברית"):  # (the reader drops U+200D, U+202E and their kin)
        assert kept in a.body and kept in shown
    assert not doc.xpath("//a[@class='orig']"), "a javascript: url became a link"
    assert data(client, f"/articles/{web.hostile_id}")["article"]["body"] == a.body


def test_every_page_has_a_json_twin_in_the_openapi_schema(client, web):
    api = client.get("/openapi.json").json()
    ops = [op for methods in api["paths"].values() for op in methods.values()]
    assert all("422" not in op["responses"] and "400" in op["responses"] for op in ops)  # bad input is 400
    views = {
        "/": m.HomePage, f"/articles/{web.sample_id}": m.ArticlePage, "/tags/低碳": m.TagPage,
        "/search?q=低碳": m.SearchPage, "/trends": m.TrendsPage, "/duplicates": m.DuplicatesPage,
    }
    for path, model in views.items():
        model.model_validate(data(client, path))
        page(client, path)
        route = {"/": "/", "/search?q=低碳": "/search", "/trends": "/trends", "/duplicates": "/duplicates"}.get(
            path, "/articles/{article_id}" if path.startswith("/articles") else "/tags/{tag}")
        content = api["paths"][route]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/html"}
        assert content["application/json"]["schema"]["$ref"].endswith("/" + model.__name__)


def test_docs_render_the_schema_offline(client):
    doc = page(client, "/docs")
    paths = set(client.get("/openapi.json").json()["paths"])
    shown = {text(c) for c in doc.xpath("//section[@class='endpoint']/h3/code")}
    assert shown == paths
    assert not doc.xpath("//script")
    external = [u for u in doc.xpath("//link/@href | //img/@src") if not u.startswith("/")]
    assert not external, "the docs page must not load anything from another host"


def test_trends_chart(client, web):
    if not web.corpus:
        pytest.skip("../shared not present: trends need the xinwenlianbo stories")
    twin = data(client, "/trends?period=month&top=5")
    assert 0 < len(twin["series"]) <= 5
    doc = page(client, "/trends?period=month&top=5")
    lines = doc.xpath("//figure[@class='chart']/svg//polyline")
    assert len(lines) == len(twin["series"])
    legend = [text(a) for a in doc.xpath("//ul[@class='legend']//a")]
    assert legend == list(twin["series"])
    for points in twin["series"].values():
        assert [p["period"] for p in points] == sorted(p["period"] for p in points)


def test_duplicates_page_lists_the_planted_copy(client, web):
    twin = data(client, "/duplicates")
    cluster = next(c for c in twin["clusters"] if web.sample_id in
                   [c["canonical"]["id"], *(x["id"] for x in c["copies"])])
    assert cluster["canonical"]["id"] == web.copy_id, "the earliest printing should be canonical"
    doc = page(client, "/duplicates")
    assert f"/articles/{web.copy_id}" in doc.xpath("//li[@class='cluster']/h2/a/@href")


def test_empty_database_serves_every_page(tmp_path):
    Collection(tmp_path / "empty.db").close()
    app = create_app(str(tmp_path / "empty.db"))
    with TestClient(app) as empty:
        for path in ("/", "/search?q=低碳", "/search", "/trends", "/duplicates", "/docs"):
            page(empty, path)
        assert data(empty, "/")["count"] == 0
        assert data(empty, "/search?q=低碳")["total"] == 0
        data(empty, "/tags/低碳", status=404)
        data(empty, "/articles/x", status=404)
    app.state.collection.close()


def test_unexpected_errors_are_a_page_not_a_traceback(tmp_path, web_db, monkeypatch):
    import sqlite3

    shutil.copy(web_db.path, tmp_path / "broken.db")
    app = create_app(str(tmp_path / "broken.db"))

    def fails(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")  # what no view expects

    monkeypatch.setattr(app.state.collection.store, "count", fails)
    with TestClient(app, raise_server_exceptions=False) as broken:
        r = broken.get("/", headers=JSON)
        assert r.status_code == 500 and r.json()["error"].startswith("internal error")
        r = broken.get("/")
        assert r.status_code == 500 and "Traceback" not in r.text and "服务器出错了" in r.text


def test_demo_and_serve_commands(tmp_path, capsys):
    import socket

    from xinwen.cli import main

    db = tmp_path / "demo.db"
    assert main(["demo", "--no-serve", "--db", str(db)]) == 0
    assert "demo database" in capsys.readouterr().out
    with Collection(db, readonly=True) as c:
        assert c.count() == 6 and any(a.title.startswith("上海宝山") for a in c.list())
    assert main(["serve", "--db", str(tmp_path / "missing.db")]) == 1
    assert "no database here" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--db", str(db), "--port", str(port)]) == 1
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


# -- fuzzing: schemathesis against /openapi.json ------------------------------------------------------------
FUZZ_TOKEN = "fuzz-token-0123456789abcdef"


@pytest.fixture(scope="module")
def fuzz_schema(web_db, tmp_path_factory):
    """The schema of an app with writes on, over a copy of the web tests' database (the fuzzer writes)."""
    schemathesis = pytest.importorskip("schemathesis")
    from xinwen.web.settings import ServeSettings

    folder = tmp_path_factory.mktemp("fuzz")
    for f in web_db.path.parent.glob(web_db.path.name + "*"):
        shutil.copy(f, folder / f.name)
    db = folder / web_db.path.name
    app = create_app(str(db), settings=ServeSettings(db=str(db), token=FUZZ_TOKEN))
    config = schemathesis.Config.from_dict({"auth": {"openapi": {"HTTPBearer": {"bearer": FUZZ_TOKEN}}}})
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


try:
    import schemathesis
    from hypothesis import HealthCheck, settings

    fuzzed = schemathesis.pytest.from_fixture("fuzz_schema")

    @pytest.mark.slow
    @fuzzed.parametrize()
    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def test_fuzzed_requests_never_fail_the_server_or_the_schema(case):
        """Every route, with generated (valid and invalid) parameters and bodies: no 500, and every answer
        is documented (status, media type, headers) and matches its schema."""
        case.call_and_validate()
except ImportError:  # pragma: no cover - the fuzz test needs schemathesis

    @pytest.mark.skip(reason="schemathesis is not installed (pip install 'schemathesis==4.32.5')")
    def test_fuzzed_requests_never_fail_the_server_or_the_schema():
        """Skipped: see the test above."""

"""The write API (POST /api/articles, DELETE /api/articles/{id}) through FastAPI's test client: off without a
token, then guarded by it; the fields, checks and per-record report of `xinwen ingest`; size limits; and
readers seeing each write at once (the change token moves, the caches follow)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from xinwen.collection import Collection
from xinwen.web.app import create_app
from xinwen.web.settings import ServeSettings

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Accept": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}

STORY = {
    "id": "cms-1", "title": "宝山区推进绿色低碳发展", "date": "2024-05-01 08:00", "source": "宝山报",
    "body": "宝山区近日召开推进会，部署绿色低碳发展工作。会议要求，加快产业结构调整，推动节能减排，"
            "建设低碳社区。区委书记在会上指出，要把绿色低碳作为高质量发展的重要抓手。",
}


def copy_db(src: Path, folder: Path) -> Path:
    for f in src.parent.glob(src.name + "*"):
        if not f.name.endswith(("-wal", "-shm")):
            shutil.copy(f, folder / f.name)
    return folder / src.name


@pytest.fixture
def db(web_db, tmp_path) -> Path:
    """A copy of the web tests' database, for each test to write to."""
    return copy_db(web_db.path, tmp_path)


def make_client(db: Path, **settings) -> TestClient:
    app = create_app(str(db), settings=ServeSettings(db=str(db), **settings), warm_up=False)
    return TestClient(app)


@pytest.fixture
def client(db) -> Iterator[TestClient]:
    with make_client(db, token=TOKEN) as tc:
        yield tc


def test_writes_are_off_without_a_token(db):
    with make_client(db) as tc:
        r = tc.post("/api/articles", json=STORY, headers=AUTH)
        assert r.status_code == 403 and "writes are off" in r.json()["error"]
        assert tc.delete("/api/articles/cms-1", headers=AUTH).status_code == 403
        assert tc.get("/", headers=JSON).status_code == 200  # reads are open
        assert "content-security-policy" in r.headers and r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("header, status", [
    (None, 401), ("Basic dXNlcjpwYXNz", 401), ("Bearer", 401), ("Bearer wrong-token-0123456789", 403),
    (f"bearer {TOKEN}x", 403), (f"Bearer {TOKEN[:-1]}", 403),
])
def test_a_write_needs_the_servers_bearer_token(client, header, status):
    headers = {"Authorization": header} if header else {}
    r = client.post("/api/articles", json=STORY, headers=headers)
    assert r.status_code == status and r.json()["status"] == status
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.delete("/api/articles/cms-1", headers=headers)
    assert r.status_code == status
    assert client.get("/articles/cms-1", headers=JSON).status_code == 404  # nothing was written


def test_post_one_article_then_read_it_update_it_and_delete_it(client):
    count = client.get("/", headers=JSON).json()["count"]
    r = client.post("/api/articles", json=STORY, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == {"read": 1, "added": 1, "updated": 0, "unchanged": 0, "rejected": 0, "problems": []}
    assert r.headers["cache-control"] == "no-store"
    page = client.get("/articles/cms-1", headers=JSON).json()
    assert page["article"]["title"] == STORY["title"] and page["article"]["tags"]
    assert client.get("/", headers=JSON).json()["count"] == count + 1
    assert client.post("/api/articles", json=STORY, headers=AUTH).json()["unchanged"] == 1
    changed = {**STORY, "title": "宝山区加快绿色低碳转型"}
    assert client.post("/api/articles", json=changed, headers=AUTH).json()["updated"] == 1
    assert client.get("/articles/cms-1", headers=JSON).json()["article"]["title"] == changed["title"]
    r = client.delete("/api/articles/cms-1", headers=AUTH)
    assert r.status_code == 200 and r.json() == {"id": "cms-1", "deleted": True}
    assert client.get("/articles/cms-1", headers=JSON).status_code == 404
    r = client.delete("/api/articles/cms-1", headers=AUTH)
    assert r.status_code == 404 and "cms-1" in r.json()["error"]


def test_a_batch_in_json_lines_gets_the_report_xinwen_ingest_gives(client, db, tmp_path):
    lines = [
        json.dumps({**STORY, "id": "batch-1"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "batch-3", "title": "", "body": ""}),
        json.dumps({"id": "batch-4", "title": "无日期的稿件", "body": "正文。", "date": "明天下午"}, ensure_ascii=False),
        "",
        json.dumps({"id": "batch-6", "title": "标题", "body": "正文", "tags": "a,b"}, ensure_ascii=False),
    ]
    text = "\n".join(lines) + "\n"
    r = client.post("/api/articles", content=text.encode(), headers={**AUTH, **NDJSON})
    assert r.status_code == 200, r.text
    report = r.json()

    path = tmp_path / "batch.jsonl"  # the same records through `xinwen ingest`'s path, into another copy
    path.write_text(text, encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    with Collection(copy_db(db, other)) as c:
        expected = c.ingest([str(path)], progress=False, fit=False).to_dict()
    for key in ("read", "added", "updated", "unchanged", "rejected"):
        assert report[key] == expected[key], key
    assert [(p["line"], p["field"], p["message"]) for p in report["problems"]] == [
        (p["line"], p["field"], p["message"]) for p in expected["problems"]]
    assert {p["file"] for p in report["problems"]} == {"POST /api/articles"}
    assert report["added"] == 3 and report["rejected"] == 2
    assert client.get("/articles/batch-6", headers=JSON).status_code == 200


def test_an_array_of_articles_and_records_of_the_wrong_type(client):
    r = client.post("/api/articles", json=[{**STORY, "id": "arr-1"}, {**STORY, "id": "arr-2"}], headers=AUTH)
    assert r.status_code == 200 and r.json()["added"] == 2
    r = client.post("/api/articles", json=[{**STORY, "id": "arr-3"}, {"title": 5}], headers=AUTH)
    assert r.status_code == 400 and r.json()["error"] == "record 2: field 'title': should be text, not a number"
    assert client.get("/articles/arr-3", headers=JSON).status_code == 404  # a bad document stores nothing
    line = json.dumps({"id": "ln-1", "title": ["not", "text"]})
    r = client.post("/api/articles", content=line.encode(), headers={**AUTH, **NDJSON})
    assert r.status_code == 200 and r.json()["rejected"] == 1
    assert r.json()["problems"][0]["field"] == "title" and r.json()["problems"][0]["line"] == 1
    for body in ("42", '"text"', "null"):
        r = client.post("/api/articles", content=body.encode(), headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 400 and "expected a JSON object" in r.json()["error"]
    r = client.post("/api/articles", content=b"{bad", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("bad JSON")
    r = client.post("/api/articles", content=b"\xff\xfe{}", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]


def test_other_media_types_are_refused(client):
    r = client.post("/api/articles", content=b"title=x", headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/x-ndjson" in r.json()["error"]
    r = client.post("/api/articles", content=b"{}", headers=AUTH)
    assert r.status_code == 415


def test_size_limits(db):
    with make_client(db, token=TOKEN, max_body=2000, max_records=3) as tc:
        big = {**STORY, "body": "长" * 2000}
        r = tc.post("/api/articles", json=big, headers=AUTH)
        assert r.status_code == 413 and "at most 2000" in r.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b" " * 500

        r = tc.post("/api/articles", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 413
        four = "\n".join(json.dumps({"title": f"t{i}", "body": "b"}) for i in range(4))
        r = tc.post("/api/articles", content=four.encode(), headers={**AUTH, **NDJSON})
        assert r.status_code == 413 and "at most 3" in r.json()["error"]
        r = tc.post("/api/articles", json=[{"title": "t"}] * 4, headers=AUTH)
        assert r.status_code == 413


def test_a_write_moves_the_etag_and_the_cached_pages(client):
    home = client.get("/", headers=JSON)
    etag = home.headers["etag"]
    assert client.get("/", headers={**JSON, "If-None-Match": etag}).status_code == 304
    client.post("/api/articles", json={**STORY, "id": "etag-1", "date": "2099-01-01"}, headers=AUTH)
    after = client.get("/", headers={**JSON, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.json()["count"] == home.json()["count"] + 1
    search = client.get("/search", params={"q": "宝山 绿色低碳"}, headers=JSON).json()
    assert "etag-1" in [h["article"]["id"] for h in search["hits"]]


def test_the_schema_documents_the_write_api(client):
    api = client.get("/openapi.json").json()
    post = api["paths"]["/api/articles"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    assert {"200", "400", "401", "403", "413", "415", "503"} <= set(post["responses"])
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/IngestReportOut")
    assert post["security"] == [{"HTTPBearer": []}]
    assert api["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "ArticleIn" in api["components"]["schemas"]
    delete = api["paths"]["/api/articles/{article_id}"]["delete"]
    assert {"200", "401", "403", "404"} <= set(delete["responses"])
    assert set(delete["responses"]["404"]["content"]) == {"application/json", "text/html"}

"""Serving a newsroom: `xinwen serve --workers N` as users start it, the settings it passes its workers,
HTTP caching (ETag from the change token, 304), load shedding, CORS, bounds, and the per-process caches."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from xinwen.collection import Collection
from xinwen.errors import XinwenError
from xinwen.web.app import create_app
from xinwen.web.cache import CachedResponse, PartCache, ResponseCache
from xinwen.web.settings import ServeSettings, parse_size

TOKEN = "serve-token-0123456789abcdef"
JSON = {"Accept": "application/json"}


def copy_db(src: Path, folder: Path) -> Path:
    import shutil

    for f in src.parent.glob(src.name + "*"):
        if not f.name.endswith(("-wal", "-shm")):
            shutil.copy(f, folder / f.name)
    return folder / src.name


@pytest.fixture(scope="module")
def client(web_db) -> Iterator[TestClient]:
    with TestClient(create_app(str(web_db.path), settings=ServeSettings(db=str(web_db.path)))) as tc:
        yield tc


# -- settings -------------------------------------------------------------------------------------------------
def test_settings_from_the_environment(tmp_path, monkeypatch):
    for name in ("XINWEN_API_TOKEN", "XINWEN_API_TOKEN_FILE", "XINWEN_CORS_ORIGINS", "XINWEN_MAX_IN_FLIGHT"):
        monkeypatch.delenv(name, raising=False)
    s = ServeSettings.from_env("x.db")
    assert s.db == "x.db" and not s.writes and s.cors_origins == () and s.max_in_flight == 64
    monkeypatch.setenv("XINWEN_API_TOKEN", TOKEN)
    monkeypatch.setenv("XINWEN_CORS_ORIGINS", "https://cms.example.com/, http://localhost:3000")
    monkeypatch.setenv("XINWEN_MAX_IN_FLIGHT", "8")
    s = ServeSettings.from_env("x.db")
    assert s.token == TOKEN and s.writes and TOKEN not in repr(s)
    assert s.cors_origins == ("https://cms.example.com", "http://localhost:3000") and s.max_in_flight == 8
    token_file = tmp_path / "token"
    token_file.write_text("file-token-0123456789abcdef\n")
    monkeypatch.setenv("XINWEN_API_TOKEN_FILE", str(token_file))
    assert ServeSettings.from_env("x.db").token == "file-token-0123456789abcdef"  # the file wins
    token_file.write_text("short\n")
    with pytest.raises(XinwenError, match="too short"):
        ServeSettings.from_env("x.db")
    monkeypatch.delenv("XINWEN_API_TOKEN_FILE")
    monkeypatch.setenv("XINWEN_MAX_IN_FLIGHT", "none")
    with pytest.raises(XinwenError, match="XINWEN_MAX_IN_FLIGHT"):
        ServeSettings.from_env("x.db")
    assert parse_size("16M", "x") == 16 << 20 and parse_size("512k", "x") == 512 << 10
    with pytest.raises(XinwenError):
        parse_size("lots", "x")


def test_serve_refuses_bad_options_with_one_line(web_db, tmp_path, capsys, monkeypatch):
    from xinwen.cli import main

    monkeypatch.delenv("XINWEN_API_TOKEN", raising=False)
    db = str(web_db.path)
    assert main(["serve", "--db", db, "--token-file", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert "cannot read the token file" in err and "Traceback" not in err
    (tmp_path / "short").write_text("secret\n")
    assert main(["serve", "--db", db, "--token-file", str(tmp_path / "short")]) == 1
    assert "too short" in capsys.readouterr().err
    assert main(["serve", "--db", db, "--cors-origin", "cms.example.com"]) == 2
    assert "not an origin" in capsys.readouterr().err
    assert main(["serve", "--db", db, "--workers", "0"]) == 2
    assert "XINWEN_API_TOKEN_FILE" not in os.environ and "XINWEN_CORS_ORIGINS" not in os.environ


# -- xinwen serve --workers 2, over real HTTP ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(entry))
    return out


@pytest.fixture(scope="module")
def served(web_db, tmp_path_factory) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    """`xinwen serve --workers 2 --token-file FILE` on a copy of the web tests' database."""
    folder = tmp_path_factory.mktemp("served")
    db = copy_db(web_db.path, folder)
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n")
    port = free_port()
    log = (folder / "serve.log").open("w")
    env = {k: v for k, v in os.environ.items() if k not in ("XINWEN_API_TOKEN", "XINWEN_API_TOKEN_FILE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xinwen.cli", "serve", "--db", str(db), "--port", str(port), "--workers", "2",
         "--token-file", str(token_file)], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                pytest.fail(f"xinwen serve exited: {(folder / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, db, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_serve_runs_worker_processes(served):
    base, _db, proc = served
    workers = [p for p in children(proc.pid) if "python" in Path(f"/proc/{p}/exe").resolve().name]
    assert len(workers) >= 2, "xinwen serve --workers 2 should run two worker processes"
    r = httpx.get(base + "/")
    assert r.status_code == 200 and "server" not in r.headers  # (uvicorn's name is not announced)
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_etag_and_304_over_http(served):
    base, _db, _proc = served
    first = httpx.get(base + "/trends", headers=JSON)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache" and first.headers["vary"] == "Accept"
    with httpx.Client() as c:  # new connections: either worker answers the same ETag
        for _ in range(6):
            again = c.get(base + "/trends", headers={**JSON, "If-None-Match": etag, "Connection": "close"})
            assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    head = httpx.head(base + "/trends", headers=JSON)
    assert head.status_code == 200 and head.headers["etag"] == etag and not head.content


def test_a_post_is_seen_by_every_worker(served):
    base, _db, _proc = served
    story = {"id": "served-1", "title": "上海宝山举办低碳生活节", "date": "2024-06-01",
             "body": "上海宝山区举办低碳生活节，市民参与垃圾分类、绿色出行等活动，体验低碳生活方式。"}
    r = httpx.post(base + "/api/articles", json=story, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.json()["added"] == 1
    assert httpx.post(base + "/api/articles", json=story).status_code == 401
    for _ in range(8):  # fresh connections, spread over the workers
        r = httpx.get(base + "/articles/served-1", headers={**JSON, "Connection": "close"})
        assert r.status_code == 200 and r.json()["article"]["title"] == story["title"]


def test_an_ingest_by_another_process_shows_without_a_restart(served):
    base, db, _proc = served
    before = httpx.get(base + "/", headers=JSON).json()["count"]
    with Collection(db) as c:
        c.ingest_records([{"id": "other-process-1", "title": "另一个进程写入的稿件", "body": "正文内容。"}],
                         name="test", fit=False)
    for _ in range(6):
        r = httpx.get(base + "/", headers={**JSON, "Connection": "close"})
        assert r.json()["count"] == before + 1
    assert httpx.get(base + "/articles/other-process-1", headers=JSON).status_code == 200


def test_readers_do_not_wait_for_a_writer(served):
    """While another process holds the database's write lock, every page still answers (a reader that
    waited for the writer would wait out SQLite's busy timeout and answer 503)."""
    base, db, _proc = served
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        writer.execute("UPDATE meta SET value = value WHERE key = 'generation'")
        for path in ("/", "/search?q=低碳", "/search?q=宝山&sort=time", "/trends?period=week", "/duplicates",
                     "/tags/低碳"):
            r = httpx.get(base + path, headers=JSON, timeout=60)
            assert r.status_code == 200, (path, r.text[:200])
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# -- HTTP caching --------------------------------------------------------------------------------------------
def test_etags_name_the_path_query_and_representation(client):
    tags = {}
    for path, headers in [("/", {}), ("/", JSON), ("/?format=json", {}), ("/?limit=5", {}), ("/trends", {})]:
        r = client.get(path, headers=headers)
        assert r.status_code == 200 and r.headers["etag"].startswith('"')
        tags[(path, tuple(headers.items()))] = r.headers["etag"]
        assert client.get(path, headers=headers).headers["etag"] == r.headers["etag"]  # stable
    assert len(set(tags.values())) == len(tags)
    etag = client.get("/").headers["etag"]
    for condition in (etag, f"W/{etag}", f'"other", {etag}'):
        r = client.get("/", headers={"If-None-Match": condition})
        assert r.status_code == 304 and r.headers["etag"] == etag and r.content == b""
        assert "content-security-policy" in r.headers
    assert client.get("/", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/", headers={**JSON, "If-None-Match": etag}).status_code == 200  # the JSON twin differs


def test_errors_are_never_cached(client):
    for path in ("/articles/no-such-id", "/search?page=0", "/no/such/page"):
        r = client.get(path, headers=JSON)
        assert r.status_code in (400, 404) and "etag" not in r.headers
        assert r.headers["cache-control"] == "no-store"
        assert "content-security-policy" in r.headers


def test_pages_are_reused_until_the_database_changes(web_db, tmp_path):
    db = copy_db(web_db.path, tmp_path)
    app = create_app(str(db), settings=ServeSettings(db=str(db), max_age=30), warm_up=False)
    with TestClient(app) as tc, Collection(db) as writer:
        first = tc.get("/", headers=JSON)
        assert first.headers["cache-control"] == "public, max-age=30"
        hits = app.state.responses.hits
        again = tc.get("/", headers=JSON)
        assert again.content == first.content and app.state.responses.hits == hits + 1
        head = tc.head("/", headers=JSON)
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == first.headers["etag"]
        writer.ingest_records([{"id": "cache-1", "title": "缓存之后的新稿件", "body": "正文。"}],
                              name="test", fit=False)
        after = tc.get("/", headers=JSON)
        assert after.headers["etag"] != first.headers["etag"]
        assert after.json()["count"] == first.json()["count"] + 1
        assert tc.get("/articles/cache-1", headers=JSON).status_code == 200


# -- load shedding, CORS, bounds ------------------------------------------------------------------------------------
def test_overload_is_answered_503_with_retry_after_at_once(web_db):
    app = create_app(str(web_db.path), settings=ServeSettings(db=str(web_db.path), max_in_flight=1), warm_up=False)
    entered, release = threading.Event(), threading.Event()

    def slow() -> dict:
        entered.set()
        release.wait(60)
        return {"done": True}

    app.router.add_api_route("/slow-for-test", slow)
    with TestClient(app) as tc:
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(tc.get("/slow-for-test").status_code))
        worker.start()
        try:
            assert entered.wait(60)
            for headers in (JSON, {}):
                r = tc.get("/", headers=headers)
                assert r.status_code == 503 and r.headers["retry-after"] == "1"
                assert "content-security-policy" in r.headers
            assert tc.get("/", headers=JSON).json() == {"error": "the server is busy; try again in a moment",
                                                       "status": 503}
            assert "服务器出错了" in tc.get("/").text
        finally:
            release.set()
            worker.join()
        assert results == [200]
        assert tc.get("/", headers=JSON).status_code == 200  # and serves again once it has room


def test_cors_is_off_unless_origins_are_named(web_db, client):
    origin = {"Origin": "https://cms.example.com"}
    assert "access-control-allow-origin" not in client.get("/", headers=origin).headers
    settings = ServeSettings(db=str(web_db.path), cors_origins=("https://cms.example.com",), token=TOKEN)
    with TestClient(create_app(str(web_db.path), settings=settings, warm_up=False)) as tc:
        r = tc.get("/", headers={**JSON, **origin})
        assert r.headers["access-control-allow-origin"] == "https://cms.example.com"
        assert "etag" in r.headers["access-control-expose-headers"].lower()
        other = tc.get("/", headers={**JSON, "Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers
        pre = tc.options("/api/articles", headers={**origin, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "authorization, content-type"})
        assert pre.status_code == 200 and "POST" in pre.headers["access-control-allow-methods"]
        refused = tc.options("/api/articles", headers={"Origin": "https://evil.example.com",
                                                       "Access-Control-Request-Method": "POST", **JSON})
        assert refused.status_code == 400 and refused.json()["error"].startswith("CORS preflight refused")


@pytest.mark.parametrize("path, name", [
    ("/articles/" + "x" * 1001, "article_id"), ("/tags/" + "t" * 1001, "tag"), ("/search?q=" + "q" * 501, "q"),
    ("/search?q=x&page=101", "page"), ("/tags/x?page=10001", "page"), ("/duplicates?limit=1001", "limit"),
    ("/?limit=101", "limit"), ("/articles/x?k=21", "k"), ("/trends?top=13", "top"), ("/trends?until=0", "until"),
])
def test_every_parameter_is_bounded(client, path, name):
    r = client.get(path, headers=JSON)
    assert r.status_code == 400 and name in r.json()["error"]


def test_a_server_without_articles_warms_up_and_serves(tmp_path):
    Collection(tmp_path / "empty.db").close()
    with TestClient(create_app(str(tmp_path / "empty.db"), settings=ServeSettings(db=str(tmp_path / "empty.db")))) as tc:
        assert tc.get("/", headers=JSON).json()["count"] == 0


# -- the per-process caches -------------------------------------------------------------------------------------------
def test_part_cache_computes_once_per_token_and_key():
    cache = PartCache(size=3)
    calls: list[str] = []

    def compute(value: str):
        return lambda: calls.append(value) or value

    assert cache.get(1, "a", compute("a1")) == "a1"
    assert cache.get(1, "a", compute("a2")) == "a1" and calls == ["a1"]
    assert cache.get(2, "a", compute("a3")) == "a3"  # the token moved: computed again
    assert cache.get(1, "a", compute("old")) == "old"  # an older token: computed, not kept
    assert cache.get(2, "a", compute("a4")) == "a3"
    for key in "bcd":
        cache.get(2, key, compute(key))
    assert len(cache) == 3 and cache.get(2, "a", compute("a5")) == "a5"  # least recently used went first


def test_part_cache_shares_one_computation_between_threads():
    cache = PartCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(60)
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get(7, "k", slow)))
    first.start()
    assert started.wait(60)
    others = [threading.Thread(target=lambda: results.append(cache.get(7, "k", slow))) for _ in range(4)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join()
    assert results == [42] * 5 and calls == [1]


def test_part_cache_does_not_keep_failures():
    cache = PartCache()

    def fails() -> int:
        raise XinwenError("no")

    with pytest.raises(XinwenError):
        cache.get(1, "k", fails)
    assert cache.get(1, "k", lambda: 5) == 5


def test_response_cache_is_bounded_by_bytes():
    cache = ResponseCache(max_bytes=8000)
    big = CachedResponse(200, [], b"x" * 1100)
    assert cache.max_entry == 1000
    cache.put(1, "big", big)
    assert cache.get(1, "big") is None  # over an eighth of the cache: not kept
    page = CachedResponse(200, [(b"content-type", b"text/html")], b"x" * 900)
    for i in range(20):
        cache.put(1, i, page)
    assert cache.bytes <= 8000 and cache.get(1, 19) is page and cache.get(1, 0) is None
    assert cache.get(2, 19) is None
    cache.put(2, "new", page)
    assert len(cache) == 1 and cache.get(1, 19) is None


def test_while_one_request_refreshes_the_indexes_others_get_the_page_before():
    """After a write, the first request refreshes the indexes and answers from the new state; one that comes
    meanwhile is answered at once from the state before (with that state's ETag) rather than waiting."""
    import asyncio

    from xinwen.web.middleware import HTTPCache

    state = {"token": 1}
    started, release = threading.Event(), threading.Event()
    release.set()

    def refresh() -> None:
        started.set()
        release.wait(60)

    async def page(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": f"{scope['path']} at {state['token']}".encode()})

    cache = HTTPCache(page, token=lambda: state["token"], identity="test", cache=ResponseCache(), refresh=refresh)

    async def get(path: str, etag: str = "") -> tuple[int, bytes, str]:
        sent: list[dict] = []
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
                 "headers": [(b"if-none-match", etag.encode())] if etag else []}

        async def send(message: dict) -> None:
            sent.append(message)

        await cache(scope, None, send)  # type: ignore[arg-type]
        headers = dict(sent[0]["headers"])
        return sent[0]["status"], sent[1]["body"], headers.get(b"etag", b"").decode()

    async def scenario() -> None:
        status, body, old_etag = await get("/")
        assert (status, body) == (200, b"/ at 1")
        state["token"] = 2  # a write
        release.clear()
        started.clear()
        first = asyncio.create_task(get("/"))
        while not started.is_set():
            await asyncio.sleep(0.01)
        assert await get("/") == (200, b"/ at 1", old_etag)  # the page before, at once
        assert (await get("/", etag=old_etag))[0] == 304
        assert (await get("/other"))[1] == b"/other at 2"  # nothing kept before: made from the new state
        release.set()
        status, body, new_etag = await first
        assert (status, body) == (200, b"/ at 2") and new_etag != old_etag
        assert await get("/") == (200, b"/ at 2", new_etag)

    asyncio.run(scenario())


# -- readers do not wait for an index refresh ---------------------------------------------------------------------
def test_a_servers_reads_do_not_wait_for_another_threads_refresh_and_say_they_are_behind(web_db, tmp_path):
    """After a write, while one thread brings the related vectors and the doc values up to date, a server's
    other readers answer at once from them as they were and are marked a write behind (a collection that
    waits, as the CLI's does, would block here); once the refresh is done they see the write, unmarked."""
    from xinwen import staleness

    db = copy_db(web_db.path, tmp_path)
    with Collection(db) as c, Collection(db) as writer:
        c.wait_for_indexes = False
        before = [h.article.id for h in c.related(web_db.sample_id, k=3)]
        count = c.doc_values().size
        writer.ingest_records([{"id": "behind-1", "title": "宝山区新建低碳样板社区", "body": "宝山区低碳社区建设。"}],
                              name="test", fit=False)
        model, facets = c._related.model, c._facets
        with model._lock, facets._lock:  # another thread's refresh under way: held here from another thread
            done = threading.Event()
            out: dict = {}

            def read() -> None:
                flag = staleness.watch()
                out["related"] = [h.article.id for h in c.related(web_db.sample_id, k=3)]
                out["size"] = c.doc_values().size
                out["behind"] = flag[0]
                done.set()

            threading.Thread(target=read).start()
            assert done.wait(10), "a reader waited for another thread's refresh"
        assert out == {"related": before, "size": count, "behind": True}
        flag = staleness.watch()
        assert c.doc_values().size > count and not flag[0]
        assert len(c._related.model.current()) == c.count() and not flag[0]


def test_what_is_made_a_write_behind_is_not_kept():
    """A page part or a page made from indexes a write behind is answered, but neither kept in the part
    cache nor in the response cache, and the response has no ETag (the token's names the newer page)."""
    import asyncio

    from xinwen import staleness
    from xinwen.web.middleware import HTTPCache

    parts = PartCache()
    staleness.watch()
    assert parts.get(1, "a", lambda: staleness.mark() or "behind") == "behind" and len(parts) == 0
    staleness.watch()
    assert parts.get(1, "a", lambda: "fresh") == "fresh" and len(parts) == 1

    behind = {"now": True}

    async def page(scope, receive, send) -> None:
        if behind["now"]:
            staleness.mark()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"page"})

    responses = ResponseCache()
    cache = HTTPCache(page, token=lambda: 1, identity="test", cache=responses)

    async def get() -> dict:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await cache({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []},
                    None, send)  # type: ignore[arg-type]
        return dict(sent[0]["headers"])

    headers = asyncio.run(get())
    assert b"etag" not in headers and headers[b"cache-control"] == b"no-store" and len(responses) == 0
    behind["now"] = False
    headers = asyncio.run(get())
    assert b"etag" in headers and len(responses) == 1


def _asgi_get(app, path: str = "/", etag: str = "") -> tuple[int, dict, bytes]:
    """One GET through an ASGI callable: status, headers, body."""
    import asyncio

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
             "headers": [(b"if-none-match", etag.encode())] if etag else []}

    async def run() -> None:
        await app(scope, receive, send)
        await asyncio.sleep(0.05)  # (what the app left to run in the background)
        for task in list(getattr(app, "_tasks", ())):
            await task

    asyncio.run(run())
    return sent[0]["status"], dict(sent[0].get("headers", [])), sent[1]["body"] if len(sent) > 1 else b""


def test_with_max_stale_a_write_serves_the_page_before_and_makes_the_new_one_in_the_background():
    """--max-stale: after a write, the page kept from before it is answered at once (with its own ETag)
    while it is made again in the background; the next reader gets the new page. Once the write is older
    than max_stale, a page kept from before it is no longer served: it is made on the request."""
    from xinwen.web.middleware import HTTPCache

    clock = {"now": 1000.0}
    state = {"token": 1}
    made: list[int] = []

    async def page(scope, receive, send) -> None:
        made.append(state["token"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": f"{scope['path']} at {state['token']}".encode()})

    cache = HTTPCache(page, token=lambda: state["token"], identity="test", cache=ResponseCache(), max_stale=5)
    cache.clock = lambda: clock["now"]
    status, headers, body = _asgi_get(cache)
    assert (status, body, made) == (200, b"/ at 1", [1])
    old_etag = headers[b"etag"].decode()
    state["token"] = 2  # a write
    status, headers, body = _asgi_get(cache)
    assert (status, body) == (200, b"/ at 1") and headers[b"etag"].decode() == old_etag  # at once, as it was
    assert made == [1, 2] and cache.revalidated == 1  # made again meanwhile, in the background
    status, headers, body = _asgi_get(cache)
    assert body == b"/ at 2" and headers[b"etag"].decode() != old_etag and made == [1, 2]
    assert _asgi_get(cache, etag=old_etag)[0] == 200  # the old ETag names a page no longer current
    _asgi_get(cache, "/other")
    state["token"] = 3
    cache.note_token(3)  # (what the server's watch of the token does every second)
    clock["now"] += 6  # the write is older than max_stale when the next reader comes
    status, _, body = _asgi_get(cache, "/other")
    assert body == b"/other at 3" and made[-1] == 3 and cache.revalidated == 1  # made on the request


def test_max_stale_is_off_unless_asked(web_db, tmp_path, monkeypatch):
    monkeypatch.delenv("XINWEN_MAX_STALE", raising=False)
    assert ServeSettings.from_env(str(web_db.path)).max_stale == 0
    monkeypatch.setenv("XINWEN_MAX_STALE", "5")
    assert ServeSettings.from_env(str(web_db.path)).max_stale == 5
    monkeypatch.setenv("XINWEN_MAX_STALE", "-1")
    with pytest.raises(XinwenError, match="XINWEN_MAX_STALE"):
        ServeSettings.from_env(str(web_db.path))


def test_a_busy_worker_hands_keep_alive_connections_over():
    """With several worker processes, a response that leaves more than `balance` requests in flight in its
    process closes its connection (the client reconnects, and the worker that accepts first takes it);
    below that, and with one process, connections are kept."""
    import asyncio

    from xinwen.web.middleware import LoadShedder

    async def page(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    for balance, in_flight, closes in ((4, 0, False), (4, 4, True), (None, 10, False)):
        shedder = LoadShedder(page, limit=64, balance=balance)
        shedder.in_flight = in_flight  # the others this process is working on
        sent: list[dict] = []

        async def send(message: dict, sent=sent) -> None:
            sent.append(message)

        asyncio.run(shedder({"type": "http", "method": "GET", "path": "/", "headers": []}, None, send))
        assert ((b"connection", b"close") in sent[0]["headers"]) is closes, (balance, in_flight)

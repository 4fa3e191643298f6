"""Shared fixtures. `shared` is the ../shared folder of real data next to the repository."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"

# tests that run `xinwen ingest` or `fit` in this process would lower the whole test run's priority (and
# its session's) for the rest of it: they run as started; tests/test_priority.py checks the default
os.environ.setdefault("XINWEN_BATCH_NICE", "0")


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"../shared not present: the real-data tests need {SHARED}")
    return SHARED


@pytest.fixture
def data_dir() -> Path:
    return DATA


# -- the web tests' database (tests/test_web_api.py, tests/test_browser.py) ----------------------------
HOSTILE_BODY_BYTES = 1_000_000


@dataclass
class WebDB:
    """A database built once per session, and the ids the web tests look for in it."""

    path: Path | str  # a SQLite file (web_db), or a PostgreSQL DSN (tests/test_web_api.py's `web`)
    sample_id: str  # the sample page's main story (宝山)
    copy_id: str  # an earlier printing of that story, planted with another date and source
    hostile_id: str  # script tags, event attributes, a 1 MB body, emoji, right-to-left text
    corpus: bool  # whether a few hundred xinwenlianbo stories from ../shared are in it


def hostile_record() -> dict:
    attacks = [
        '<script>window.__xinwen_pwned = "body"</script>',
        "<img src=x onerror=\"window.__xinwen_pwned = 'img'\">",
        '"><svg onload="window.__xinwen_pwned = 1"></svg>',
        '<a href="javascript:window.__xinwen_pwned = 1">点我</a> {{ 7*7 }} {% raw %}',
        "\u2067עברית من اليمين إلى اليسار 右到左\u2069 然后是中文。\u2067没有结束的隔离",
        "表情：😀🎉👨‍👩‍👧‍👦🇨🇳 结束。",
        "超长不换行：" + "长" * 20_000,
    ]
    filler = "这一段用来把正文撑到一兆字节，检验页面在很长的正文下依然安全、快速地显示😀。"
    paragraphs = list(attacks)
    while len("\n".join(paragraphs).encode("utf-8")) < HOSTILE_BODY_BYTES:
        paragraphs.append(filler * 20)
    return {
        "id": "hostile-1",
        "title": '<script>window.__xinwen_pwned = "title"</script>危险标题<img src=x onerror=alert(1)>'
        " \u2067עברית\u2069 😀",
        "body": "\n".join(paragraphs),
        "date": "2024-01-02 09:30",
        "source": '<b onmouseover="window.__xinwen_pwned = 1">来源</b>',
        "url": "javascript:window.__xinwen_pwned = 1",
        "tags": ["<script>x</script>", "a/b?c#d"],
    }


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> WebDB:
    folder = tmp_path_factory.mktemp("web")
    return make_web_db(folder / "web.db", folder)


def make_web_db(location: Path | str, folder: Path) -> WebDB:
    """The web tests' database at `location` (a SQLite file or a PostgreSQL DSN); `folder` for its input."""
    from xinwen.article import Article
    from xinwen.collection import Collection
    from xinwen.readers import read

    sample_path = ROOT / "src" / "xinwen" / "data" / "news-page.txt"
    main = next(a for a in read([str(sample_path)]) if isinstance(a, Article))
    planted = {
        "id": "planted-copy",
        "title": main.title,
        "source": "解放日报",
        "date": "2023-07-07 08:00",
        "body": "（记者 李文）" + main.body.replace("宝山区委书记陈杰", "区委书记陈杰") + "\n（编辑：王芳）",
    }
    records = [planted, hostile_record()]
    corpus = (SHARED / "data" / "xinwenlianbo.jsonl.gz").exists()
    if corpus:
        import gzip

        with gzip.open(SHARED / "data" / "xinwenlianbo.jsonl.gz", "rt", encoding="utf-8") as f:
            stories = [json.loads(line) for line in f]
        # stories about 低碳 (the browser walk searches it) and a spread over the whole time range (trends)
        picked = {s["id"]: s for s in [s for s in stories if "低碳" in s["title"]][:40] + stories[::80]}
        records += picked.values()
    jsonl = folder / "web.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with Collection(location) as c:
        report = c.ingest([str(sample_path), str(jsonl)], progress=False)
        assert not report.rejected, report.problems
    return WebDB(location, main.id, "planted-copy", "hostile-1", corpus)


# -- the store backends every store test runs against (tests/test_store_conformance.py) ------------------
BACKENDS = ["sqlite", "sqlite-memory", "postgres"]
PG_DSN_VAR = "XINWEN_TEST_PG_DSN"  # a PostgreSQL server the tests may create databases on (.ci/postgres.sh)


def pg_dsn() -> str:
    """The test server's DSN; skips the test (with the reason) when there is none or psycopg is missing."""
    import os

    dsn = os.environ.get(PG_DSN_VAR, "")
    if not dsn:
        pytest.skip(f"${PG_DSN_VAR} is not set: no PostgreSQL server to test against (.ci/postgres.sh starts one)")
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        pytest.skip("psycopg 3 and psycopg_pool are not installed (pip install 'psycopg[binary]' psycopg_pool)")
    return dsn


class PGDatabases:
    """Fresh, empty databases on the test server, dropped again by `drop_all`."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.made: list[str] = []

    def new(self) -> str:
        """A new database's DSN."""
        import uuid

        from xinwen.store.postgres_admin import create_database

        name = f"xinwen_test_{uuid.uuid4().hex[:12]}"
        dsn = create_database(self.dsn, name)
        self.made.append(name)
        return dsn

    def drop_all(self) -> None:
        from xinwen.store.postgres_admin import drop_database

        for name in self.made:
            drop_database(self.dsn, name)
        self.made = []


@pytest.fixture
def pg_databases():
    """Makes fresh PostgreSQL databases (skips without a test server); drops them after the test."""
    dbs = PGDatabases(pg_dsn())
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path):
    """Makes new, empty stores of one backend; `reopen=store` opens the same one again (skipped where a
    backend cannot, as an in-memory database). "postgres" runs when $XINWEN_TEST_PG_DSN names a server,
    each new store in a database of its own, dropped after the test; else it skips with the reason."""
    made = []
    databases = PGDatabases(pg_dsn()) if request.param == "postgres" else None
    dsns: dict[int, str] = {}

    def make(reopen=None):
        if request.param == "postgres":
            from xinwen.store.postgres import PostgresStore

            assert databases is not None
            dsn = dsns[id(reopen)] if reopen is not None else databases.new()
            if reopen is not None:
                reopen.close()
            store = PostgresStore(dsn)
            dsns[id(store)] = dsn
        elif request.param == "sqlite-memory":
            from xinwen.store.sqlite import SQLiteStore

            if reopen is not None:
                pytest.skip("an in-memory database cannot be opened again")
            store = SQLiteStore(":memory:")
        else:
            from xinwen.store.sqlite import SQLiteStore

            path = reopen.location if reopen is not None else str(tmp_path / f"store{len(made)}.db")
            if reopen is not None:
                reopen.close()
            store = SQLiteStore(path)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
    if databases is not None:
        databases.drop_all()


@pytest.fixture
def store(store_factory):
    return store_factory()


# -- the backends a whole Collection runs on (the search, related, duplicates, trends, CLI and web tests) --
COLLECTION_BACKENDS = ["sqlite", "postgres"]


class Databases:
    """New, empty databases of one backend, as `--db` takes them: a SQLite file in `folder`, or a fresh
    PostgreSQL database on the test server (all dropped again by `close`)."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self.pg = PGDatabases(pg_dsn()) if backend == "postgres" else None

    def new(self, name: str = "x") -> str:
        """A new database's location (`name` names the SQLite file)."""
        if self.pg is not None:
            return self.pg.new()
        return str(self.folder / f"{name}.db")

    def copy(self, location: str) -> str:
        """A new database holding what `location` holds, fitted state included (no collection may have
        it open: PostgreSQL copies a database only while no one is connected to it)."""
        if self.pg is not None:
            import uuid

            from xinwen.store.postgres_admin import create_database

            name = f"xinwen_test_{uuid.uuid4().hex[:12]}"
            new = create_database(self.pg.dsn, name, template=location.rsplit("/", 1)[1])
            self.pg.made.append(name)
            return new
        import shutil
        import sqlite3

        new = self.new(f"copy{len(list(self.folder.glob('copy*.db')))}")
        conn = sqlite3.connect(location)
        try:
            conn.execute("VACUUM INTO ?", (new,))
        finally:
            conn.close()
        for state in Path(location).parent.glob(Path(location).name + ".*"):
            if not state.name.endswith(("-wal", "-shm")):
                shutil.copy(state, new + state.name[len(Path(location).name):])
        return new

    def close(self) -> None:
        if self.pg is not None:
            self.pg.drop_all()


def run_sql(location: str, sql: str) -> None:
    """Run one statement on a collection's database behind xinwen's back (as another program, or damage,
    might): psycopg for a postgresql:// location, sqlite3 for a file."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]
        return
    import sqlite3

    conn = sqlite3.connect(location)
    try:
        with conn:
            conn.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="module", params=COLLECTION_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend a test's collections live in: every test that asks for it (or for `databases` or
    `module_databases`) runs once on SQLite and once on PostgreSQL. "postgres" skips with the reason when
    $XINWEN_TEST_PG_DSN names no server. Module-scoped, so a module's shared collections are built once
    per backend."""
    if request.param == "postgres":
        pg_dsn()
    return request.param


@pytest.fixture
def databases(backend: str, tmp_path: Path):
    """Makes new databases of the test's backend; dropped after the test."""
    dbs = Databases(backend, tmp_path)
    yield dbs
    dbs.close()


@pytest.fixture(scope="module")
def module_databases(backend: str, tmp_path_factory: pytest.TempPathFactory):
    """Makes new databases of the backend for a module's shared collections; dropped after the module."""
    dbs = Databases(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield dbs
    dbs.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that reads ../shared is `realdata` (select or deselect it with -m)."""
    for item in items:
        if "shared" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)


# -- a local HTTP server for the fetch tests: no test reaches the internet -------------------------------
class LocalSite:
    """Routes of a server on 127.0.0.1: path -> function(handler) that writes the whole answer."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.routes: dict = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                route = site.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def content(self, path: str, body: bytes, content_type: str = "text/plain", **headers: str) -> str:
        """Serve a fixed answer at path; returns its URL."""

        def answer(h) -> None:  # type: ignore[no-untyped-def]
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                h.send_header(k.replace("_", "-"), v)
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = answer
        return self.url(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = LocalSite()
    yield s
    s.close()

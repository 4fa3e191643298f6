"""The PostgreSQL backend beyond the store protocol (tests/test_store_conformance.py asks that of it):
many writers into one database, the `exclusive` lock, the query compiler, and the whole Collection API
on PostgreSQL beside SQLite on the same records.

The tests that need a server skip with the reason when $XINWEN_TEST_PG_DSN is unset (`eval
"$(.ci/postgres.sh)"` starts a throwaway one); the real-data ones need ../shared as well."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from xinwen.article import Article, content_hash
from xinwen.search.query import parse_query
from xinwen.store import postgres_text as pgtext
from xinwen.store.base import ArticleWrite

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "xinwen" / "data" / "news-page.txt"


def stories(shared: Path) -> list[dict]:
    with gzip.open(shared / "data" / "xinwenlianbo.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def planted_copy(story: dict, new_id: str, *, days_earlier: int = 1) -> dict:
    """Another printing of a story: a byline and an editor's line added, another source, printed earlier
    (so that it becomes its cluster's canonical article when it arrives second)."""
    date = datetime.fromisoformat(story["date"]) - timedelta(days=days_earlier)
    return {"id": new_id, "title": story["title"], "date": date.date().isoformat(), "source": "解放日报",
            "body": "（记者 李文）" + story["body"] + "\n（编辑：王芳）"}


# -- no server needed ----------------------------------------------------------------------------
def test_migrations_are_numbered_as_sqlites():
    from xinwen.store import postgres_schema, schema

    assert postgres_schema.SCHEMA_VERSION == schema.SCHEMA_VERSION  # version N means the same in both


def test_the_dsn_is_shown_without_its_password():
    from xinwen.store.postgres import is_dsn, redacted

    assert redacted("postgresql://news:s3cret@db.example:5432/xinwen?password=x&sslmode=require") == (
        "postgresql://news@db.example:5432/xinwen?sslmode=require")
    assert redacted("host=db password='a b' dbname=x") == "host=db password=*** dbname=x"
    assert is_dsn("postgres://u@h/db") and is_dsn("PostgreSQL://u@h/db") and not is_dsn("news.db")


def test_index_terms_are_tokens_pairs_and_positions():
    v = pgtext.vectors("上海 交通 大学 COVID-19", "记者 ， 中 美 上海")
    assert v.title.split() == ["'上海'", "'交通'", "'大学'", "'covid'", "'19'", "'上海_交通'", "'交通_大学'",
                               "'covid_19'"]  # punctuation is no token; case folded; pairs of parts
    assert "'中_美'" in v.text.split() and "'美_上海'" not in v.text  # one character beside two: no pair
    assert v.rank.startswith("'上海':1A,") and "'记者':" in v.rank and "_" not in v.rank
    assert v.rank.count("B") == 4 and v.lead == v.rank  # a short body is all lead
    long = pgtext.vectors("", "一 " * 300)
    assert long.rank.count(",") == 254 and long.lead.count(",") == pgtext.LEAD_TOKENS - 1


def test_nothing_typed_becomes_tsquery_syntax():
    import re

    expr = pgtext.match(parse_query("a'b | c & !d:* <-> (e) x\\y"), "all")
    assert expr is not None
    lexemes = re.findall(r"'((?:[^']|'')*)'", expr)
    assert sorted(lexemes) == ["a", "b", "c", "d", "e", "x", "y"]  # every token a quoted lexeme
    rest = re.sub(r"'(?:[^']|'')*'", "", expr)
    assert set(rest) <= set("()&| ")  # and nothing else but the operators the compiler writes
    long = pgtext.word(parse_query("上海交通大学").words[0])
    assert long == "('上海交通大学' | ('上海_交通' & '交通_大学'))"
    assert pgtext.word(parse_query("中美").words[0]) == "('中美' | ('中_美'))"
    assert pgtext.rank_query(parse_query("上海交通大学 -宝山")) == "('上海交通大学' | ('上海' & '交通' & '大学'))"


def test_exclusive_holds_against_another_opening_of_the_store(tmp_path: Path):
    from xinwen.store.sqlite import SQLiteStore

    first, second = SQLiteStore(tmp_path / "x.db"), SQLiteStore(tmp_path / "x.db")
    try:
        check_exclusive(first, second)
    finally:
        first.close()
        second.close()


def check_exclusive(first, second) -> None:  # type: ignore[no-untyped-def]
    """`first` holds "fit"; `second` (another opening of the same store, as another process would have)
    cannot take it until `first` lets go; a waiting taker gets it then; the lock is reentrant."""
    with first.exclusive("fit") as held:
        assert held
        with first.exclusive("fit") as again:  # reentrant in one thread
            assert again
        with second.exclusive("fit", wait=False) as got:
            assert not got
        with second.exclusive("other", wait=False) as other:  # another name is another lock
            assert other
        taken = threading.Event()

        def waiter() -> None:
            with second.exclusive("fit"):
                taken.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        assert not taken.is_set()  # still held here (set only after the block below ends)
    thread.join()
    assert taken.is_set()
    with second.exclusive("fit", wait=False) as got:
        assert got


def test_fit_runs_once_at_a_time(databases, monkeypatch: pytest.MonkeyPatch):
    """Two collections on one database (two processes on two machines, in real life) fit at once: the
    second fit waits for the first to end (the store's "fit" lock) and never runs beside it. On SQLite
    and on PostgreSQL."""
    import time

    from xinwen.analysis.stats import CorpusStats
    from xinwen.collection import Collection

    db = databases.new()
    with Collection(db) as c:
        c.ingest([str(SAMPLE)], progress=False, fit=False)
    real = CorpusStats.fit_texts
    guard, running, most = threading.Lock(), [0], [0]

    def fit_texts(*args, **kwargs):  # type: ignore[no-untyped-def]
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.5)  # a window in which a second fit would run beside this one
            return real(*args, **kwargs)
        finally:
            with guard:
                running[0] -= 1

    monkeypatch.setattr(CorpusStats, "fit_texts", staticmethod(fit_texts))
    errors: list[BaseException] = []

    def fit() -> None:
        try:
            with Collection(db) as c:
                c.fit(progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and most[0] == 1
    with Collection(db) as c:
        assert not c.fit_pending() and c.stats() is not None and c.stats().n_docs == c.count() == 6


# -- a server ------------------------------------------------------------------------------------------
def test_exclusive_on_postgres(pg_databases):
    from xinwen.store.postgres import PostgresStore

    dsn = pg_databases.new()
    first, second = PostgresStore(dsn), PostgresStore(dsn)
    try:
        check_exclusive(first, second)
    finally:
        first.close()
        second.close()


def test_open_store_follows_the_url_scheme(pg_databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from xinwen.collection import Collection, open_store
    from xinwen.errors import StoreError
    from xinwen.store.postgres import PostgresStore
    from xinwen.store.sqlite import SQLiteStore

    dsn = pg_databases.new()
    with pytest.raises(StoreError, match="no xinwen database here"):
        open_store(dsn, readonly=True)  # nothing to read: as for a missing SQLite file
    for url in (dsn, dsn.replace("postgresql://", "postgres://", 1)):
        store = open_store(url)
        assert isinstance(store, PostgresStore) and "@" in store.location
        store.close()
    lite = open_store(str(tmp_path / "x.db"))
    assert isinstance(lite, SQLiteStore)
    lite.close()
    monkeypatch.setenv("XINWEN_DB", dsn)
    with Collection() as c:
        assert isinstance(c.store, PostgresStore) and c.count() == 0
    with pytest.raises(StoreError, match="cannot connect"):
        open_store(dsn.rsplit("/", 1)[0] + "/no_such_database_here")


def test_writers_in_threads_lose_and_double_nothing(pg_databases):
    """Four stores (four pools, as four processes would have) write overlapping batches at once."""
    from xinwen.store.postgres import PostgresStore

    dsn = pg_databases.new()
    stores = [PostgresStore(dsn) for _ in range(4)]

    def write(i: str, n: int) -> ArticleWrite:
        a = Article(id=i, title=f"标题 {i}", body=f"正文 {n}", tags=["共同", f"标签{n % 7}"])
        return ArticleWrite(a, content_hash(a), f"标题 {i}", f"正文 {n} 共同", np.zeros(128, dtype=np.uint64))

    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for batch in range(10):  # ids 0..59 by every writer, in different orders, plus its own
                ids = [f"s{(batch * 6 + j + w * 13) % 60}" for j in range(6)] + [f"w{w}-{batch}"]
                stores[w].upsert([write(i, batch) for i in ids])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors
        store = stores[0]
        assert store.count() == 60 + 40
        assert store.keys().tolist() == list(range(1, 101))  # no key spent on an update: dense
        assert store.match_count(parse_query("共同"), "all") == 100
        cols = store.doc_columns()
        assert sorted(dict(cols.tags)["共同"].tolist()) == list(range(1, 101))
    finally:
        for s in stores:
            s.close()


def test_a_store_outlives_its_connections(pg_databases):
    """The server ends every session (as a restart does): the next read and the next write get fresh
    connections from the pool instead of failing."""
    from xinwen.store.postgres import PostgresStore
    from xinwen.store.postgres_admin import drop_connections

    dsn = pg_databases.new()
    store = PostgresStore(dsn)
    try:
        store.set_meta("k", "1")
        assert drop_connections(pg_databases.dsn, dsn.rsplit("/", 1)[1]) >= 1
        assert store.get_meta("k") == "1"
        drop_connections(pg_databases.dsn, dsn.rsplit("/", 1)[1])
        store.set_meta("k", "2")
        assert store.get_meta("k") == "2"
    finally:
        store.close()


def test_a_retag_skips_an_article_deleted_meanwhile(pg_databases):
    """Another process deletes an article between a retag's read and its write: the others are retagged."""
    from xinwen.store.base import TagUpdate
    from xinwen.store.postgres import PostgresStore

    dsn = pg_databases.new()
    mine, theirs = PostgresStore(dsn), PostgresStore(dsn)
    try:
        a, b = (Article(id=i, title=f"标题{i}", body="正文") for i in "ab")
        written = mine.upsert([ArticleWrite(x, content_hash(x), x.title, "正文", np.zeros(128, dtype=np.uint64))
                               for x in (a, b)])
        theirs.delete(["a"])
        mine.set_tags([TagUpdate(w.key, ["新"], "摘要") for w in written])
        assert mine.get("b").article.tags == ["新"] and mine.count() == 1
    finally:
        mine.close()
        theirs.close()


@pytest.mark.slow
def test_two_ingest_processes_into_one_database(shared: Path, pg_databases, tmp_path: Path):
    """Two `xinwen ingest` processes write into one database at once: real stories, the same records in
    both streams, and copies planted across the streams (each stream holds earlier printings of the
    other's stories). Every article is stored once, the copies are clustered, search finds what is
    stored, and a reader opened before the ingests sees it all without reopening."""
    from xinwen.collection import Collection

    every = stories(shared)[::50][:560]
    a_stream, b_stream = every[0::2], every[1::2]
    planted = {}  # copy id -> original id
    for i in range(6):
        for mine, theirs, tag in ((a_stream, b_stream, "a"), (b_stream, a_stream, "b")):
            original = [s for s in theirs if len(s["body"]) >= 200][i * 30 + 3]  # long enough to compare
            copy = planted_copy(original, f"copy-{tag}-{i}")
            mine.append(copy)
            planted[copy["id"]] = original["id"]
    both = a_stream[:25]
    b_stream += both  # the same records in both streams: stored once
    distinct = {r["id"] for r in a_stream + b_stream}

    dsn = pg_databases.new()
    reader = Collection(dsn)  # opened (and the schema made) before the writers start
    assert reader.count() == 0 and reader.search("新闻").total == 0
    env = {**os.environ, "XINWEN_NO_PROGRESS": "1"}
    cmd = [sys.executable, "-m", "xinwen.cli", "ingest", "--workers", "1", "--no-fit", "--json"]
    procs = [
        subprocess.Popen([*cmd, str(jsonl(tmp_path / "a.jsonl", a_stream)), "--db", dsn], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        subprocess.Popen([*cmd, str(jsonl(tmp_path / "b.jsonl", b_stream))], env={**env, "XINWEN_DB": dsn},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
    ]
    reports = []
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    try:
        assert all(r["rejected"] == 0 for r in reports)
        assert sum(r["added"] for r in reports) == len(distinct)
        assert reader.count() == len(distinct)  # the same Collection: no restart
        assert reader.store.keys().tolist() == list(range(1, len(distinct) + 1))
        stored_ids = {s.article.id for s in reader.store.iter_articles()}
        assert stored_ids == distinct

        for copy_id, original_id in planted.items():  # clustered across the streams, the earlier first
            copies = [a.id for a in reader.copies(original_id)]
            assert copies[0] == copy_id, (copy_id, original_id, copies)
        clusters = reader.duplicates()
        assert {c.canonical.id for c in clusters} >= set(planted)

        # the index holds every stored article once: counts agree with the stored words
        rows = list(reader.store.iter_terms())
        for word in ("习近平", "经济", "会议", "合作"):
            expected = sum(1 for r in rows if word in f" {r.title_terms} {r.body_terms} ".split())
            assert reader.store.match_count(parse_query(word), "all") == expected, word
        story = a_stream[40]
        hits = reader.search(story["title"], limit=10).hits
        assert story["id"] in [h.article.id for h in hits]

        # the CLI reads the same database through --db
        out = subprocess.run([sys.executable, "-m", "xinwen.cli", "search", "经济", "--db", dsn, "--json", "--facets",
                              "--limit", "5"], env=env, capture_output=True, text=True, check=True).stdout
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert lines[-1]["total"] == reader.search("经济").total and len(lines) == 6
    finally:
        reader.close()


@pytest.mark.slow
def test_the_collection_api_on_postgres_matches_sqlite(shared: Path, pg_databases, tmp_path: Path):
    """Ingest, search, list, show, related, trends, duplicates, delete and export through the Collection
    API on PostgreSQL, each beside SQLite on the same records."""
    from xinwen.collection import Collection
    from xinwen.readers import read

    main = next(a for a in read([str(SAMPLE)]) if isinstance(a, Article))
    corpus = stories(shared)
    picked = {s["id"]: s for s in [s for s in corpus if "低碳" in s["title"]][:30] + corpus[::250]}
    records = [planted_copy({"id": main.id, "title": main.title, "date": "2024-04-14", "body": main.body},
                            "planted-copy", days_earlier=2), *picked.values()]
    paths = [str(SAMPLE), str(jsonl(tmp_path / "more.jsonl", records))]
    pg = Collection(pg_databases.new())
    lite = Collection(tmp_path / "lite.db")
    try:
        for c in (lite, pg):
            report = c.ingest(paths, progress=False)  # with the end-of-ingest fit: stats, retag, vectors
            assert not report.rejected, report.problems
        assert pg.count() == lite.count() > 80
        assert pg.stats() is not None and pg.stats().n_docs == lite.stats().n_docs

        def ids(articles) -> list[str]:  # type: ignore[no-untyped-def]
            return [a.id for a in articles]

        assert ids(pg.list(limit=50)) == ids(lite.list(limit=50))
        assert ids(pg.list(tag="低碳", limit=50)) == ids(lite.list(tag="低碳", limit=50))
        since = datetime.fromisoformat("2020-01-01T00:00:00+08:00")
        assert ids(pg.list(since=since, limit=20, offset=3)) == ids(lite.list(since=since, limit=20, offset=3))
        assert pg.get(main.id) == lite.get(main.id)

        for query in ("低碳", "绿色 低碳", "宝山 开工", "低碳 -宝山", '"绿色低碳"', "低碳 tag:低碳",
                      "source:解放日报", "低碳 from:2020-01 to:2023", "上海交通大学", "中美", "tag:低碳 -低碳",
                      "a'b | c & !d:* <-> (e)"):
            mine, theirs = pg.search(query, limit=10), lite.search(query, limit=10)
            assert (mine.total, mine.mode, mine.facets) == (theirs.total, theirs.mode, theirs.facets), query
            title_tier = [h.article.id for h in theirs.hits if h.match == "title"]
            assert [h.article.id for h in mine.hits][: len(title_tier)] == title_tier, query
            assert {h.article.id for h in mine.hits} <= set(ids(lite.list(limit=1000)))
            by_time = pg.search(query, limit=10, sort="time"), lite.search(query, limit=10, sort="time")
            assert [h.article.id for h in by_time[0].hits] == [h.article.id for h in by_time[1].hits], query
        marked = pg.search("低碳", limit=3).hits
        assert marked and all("\ue000" in h.highlight + h.title_highlight for h in marked)

        assert [(h.article.id, round(h.score, 6)) for h in pg.related(main.id, k=5)] == [
            (h.article.id, round(h.score, 6)) for h in lite.related(main.id, k=5)]
        text = "上海宝山推进绿色低碳转型"
        assert ids(h.article for h in pg.related_text(text, k=3)) == ids(h.article for h in lite.related_text(text, k=3))
        assert ids(pg.copies(main.id)) == ids(lite.copies(main.id)) == ["planted-copy"]
        assert [(c.canonical.id, ids(c.copies)) for c in pg.duplicates()] == [
            (c.canonical.id, ids(c.copies)) for c in lite.duplicates()]
        for period in ("day", "week", "month"):
            assert pg.trends(period=period) == lite.trends(period=period)
        assert pg.cooccurring("低碳") == lite.cooccurring("低碳")
        assert pg.summary(main.id, n=2) == lite.summary(main.id, n=2)

        import io

        exported = [io.StringIO(), io.StringIO()]
        assert pg.export("jsonl", exported[0]) == lite.export("jsonl", exported[1])
        assert exported[0].getvalue() == exported[1].getvalue()

        assert pg.delete("planted-copy") and lite.delete("planted-copy")
        assert pg.copies(main.id) == [] and pg.count() == lite.count()
        assert [c.canonical.id for c in pg.duplicates()] == [c.canonical.id for c in lite.duplicates()]
        assert pg.search("宝山").total == lite.search("宝山").total
    finally:
        pg.close()
        lite.close()


def test_serve_with_workers_reads_postgres_and_sees_new_articles(pg_databases, tmp_path: Path):
    """`xinwen serve --db postgresql://... --workers 2` (the URL reaches the workers as it is, not as a
    file path) answers pages and /search, and an article another process stores afterwards is served
    without a restart."""
    import signal
    import socket
    import time

    import httpx

    from xinwen.collection import Collection

    dsn = pg_databases.new()
    with Collection(dsn) as c:
        c.ingest([str(SAMPLE)], progress=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "xinwen.cli", "serve", "--db", dsn, "--port", str(port),
                             "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def count() -> int:
        return int(httpx.get(base + "/", headers={"Accept": "application/json"}, timeout=10).json()["count"])

    try:
        for _ in range(600):  # until it listens
            if proc.poll() is not None:
                pytest.fail(f"xinwen serve exited: {(tmp_path / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert count() == 6
        found = httpx.get(base + "/search", params={"q": "低碳", "format": "json"}, timeout=10).json()
        assert found["total"] >= 1 and found["hits"][0]["article"]["title"].startswith("上海宝山")
        new = {"id": "served-new", "title": "新华书店开展全民阅读活动", "body": "全民阅读活动在各地新华书店举行。"}
        with Collection(dsn) as c:  # another process's write, in real life
            c.ingest([str(jsonl(tmp_path / "new.jsonl", [new]))], progress=False, fit=False)
        seen = [count() for _ in range(4)]  # new connections: either worker
        assert seen == [7] * 4
        found = httpx.get(base + "/search", params={"q": "全民阅读", "format": "json"}, timeout=10).json()
        assert [h["article"]["id"] for h in found["hits"]] == ["served-new"]
        assert httpx.get(base + "/articles/served-new", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_a_database_of_schema_7_gets_its_tag_rows_dated_and_lists_tags_by_time(pg_databases):
    """Migration 8 on a database that holds articles: each tag row takes its article's publication time,
    so the tag's listing (read from the tags' time index) is newest first, undated last."""
    import psycopg

    from xinwen.store.postgres import PostgresStore
    from xinwen.store.postgres_schema import MIGRATIONS, SCHEMA_VERSION

    dsn = pg_databases.new()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statements in MIGRATIONS[:7]:
            for statement in statements:
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '7') "
                     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
        for key, ts in ((1, 1713032100.0), (2, None), (3, 1717200000.0)):
            conn.execute("INSERT INTO articles (key, id, title, body, published_ts, content_hash, ingested_at) "
                         "VALUES (%s, %s, '标题', '正文', %s, 'h', now())", (key, f"a{key}", ts))
            conn.execute("INSERT INTO article_tags (article, rank, tag) VALUES (%s, 0, '低碳')", (key,))
    store = PostgresStore(dsn)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert [s.article.id for s in store.list_articles(tag="低碳")] == ["a3", "a1", "a2"]
        assert [s.article.id for s in store.list_articles(tag="低碳", limit=1, offset=1)] == ["a1"]
    finally:
        store.close()

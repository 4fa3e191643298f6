"""SQLite store: schema version, idempotent ingest, transactions, FTS kept in sync."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from xinwen.collection import Collection
from xinwen.errors import StoreError
from xinwen.store.schema import MIGRATIONS, SCHEMA_VERSION


def _write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")


RECORDS = [
    {"id": f"a{i}", "title": t, "body": b, "date": "2024-04-14"}
    for i, (t, b) in enumerate(
        [
            ("宝山打造绿色低碳转型样板区", "宝山区委全会审议通过关于建设全市绿色低碳转型样板区的实施意见。"),
            ("莘庄工业区7个重大产业项目集中开工", "福斯特、军健君泽、澳华内镜等7个制造业项目同时开工。"),
            ("中国航海博物馆首次夜间开放", "探秘深蓝：中国海洋科考与深潜展在中国航海博物馆正式开展。"),
        ]
    )
]


def test_schema_version_recorded_and_wal(tmp_path):
    db = tmp_path / "x.db"
    with Collection(db) as c:
        assert c.store.schema_version() == SCHEMA_VERSION
        assert c.store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "x.db"
    Collection(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Collection(db)


def test_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="bad.db"):
        Collection(bad)


def test_ingest_twice_adds_nothing_and_changes_are_updates(tmp_path):
    src = tmp_path / "news.jsonl"
    _write_jsonl(src, RECORDS)
    with Collection(tmp_path / "x.db") as c:
        r1 = c.ingest([src])
        assert (r1.read, r1.added, r1.updated, r1.unchanged) == (3, 3, 0, 0)
        r2 = c.ingest([src])
        assert (r2.read, r2.added, r2.updated, r2.unchanged) == (3, 0, 0, 3)
        changed = [dict(RECORDS[0], body=RECORDS[0]["body"] + "新增一句。"), *RECORDS[1:]]
        _write_jsonl(src, changed)
        r3 = c.ingest([src])
        assert (r3.added, r3.updated, r3.unchanged) == (0, 1, 2)
        assert c.count() == 3
        assert c.get("a0").body.endswith("新增一句。")


def test_fts_follows_updates_and_deletes(tmp_path):
    src = tmp_path / "news.jsonl"
    _write_jsonl(src, RECORDS)
    with Collection(tmp_path / "x.db") as c:
        c.ingest([src])
        assert [h.article.id for h in c.search("航海博物馆").hits] == ["a2"]
        _write_jsonl(src, [dict(RECORDS[2], title="中国海事馆首次夜间开放", body="海事馆展览开展。")])
        c.ingest([src])
        assert c.search("航海博物馆").hits == []
        assert [h.article.id for h in c.search("海事馆").hits] == ["a2"]
        with c.store.conn:
            c.store.conn.execute("DELETE FROM articles WHERE id='a2'")
        assert c.search("海事馆").hits == []
        c.store.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")


def test_interrupted_ingest_keeps_committed_batches_and_rerun_completes(tmp_path, monkeypatch):
    import xinwen.ingest as ingest_mod

    records = [
        {"id": f"n{i}", "title": f"第{i}条新闻：宝山区绿色低碳转型", "body": f"正文{i}。宝山区推进低碳转型。"}
        for i in range(10)
    ]
    src = tmp_path / "news.jsonl"
    _write_jsonl(src, records)
    monkeypatch.setattr(ingest_mod, "BATCH_SIZE", 4)
    calls = {"n": 0}
    real = ingest_mod._store_batch

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_mod, "_store_batch", failing)
    db = tmp_path / "x.db"
    with Collection(db) as c, pytest.raises(KeyboardInterrupt):
        c.ingest([src])
    monkeypatch.setattr(ingest_mod, "_store_batch", real)
    with Collection(db) as c:
        assert c.count() == 4
        report = c.ingest([src])
        assert (report.added, report.unchanged) == (6, 4)
        assert c.count() == 10


def test_a_batch_ends_at_its_size_or_when_it_has_filled_for_its_seconds(monkeypatch):
    """Large batches (few commits for a server to catch up with), but a slow source still commits."""
    import xinwen.ingest as ingest_mod

    clock = {"now": 0.0}
    monkeypatch.setattr(ingest_mod, "_clock", lambda: clock["now"])

    def arriving(gaps):  # an item after each gap (seconds), as a slow feed delivers them
        for i, gap in enumerate(gaps):
            clock["now"] += gap
            yield i

    assert list(ingest_mod.batched_records(arriving([0.1] * 7), 3, 10.0)) == [[0, 1, 2], [3, 4, 5], [6]]
    # the second item arrives 6 s after the first, the third 5 s later: the batch has filled for 11 s
    assert list(ingest_mod.batched_records(arriving([1, 6, 5, 1, 1]), 100, 10.0)) == [[0, 1, 2], [3, 4]]
    assert list(ingest_mod.batched_records(arriving([60] * 3), 100)) == [[0, 1, 2]]  # no time bound


def test_list_is_newest_first_with_undated_last_and_uses_the_date_index(tmp_path):
    src = tmp_path / "news.jsonl"
    records = [
        dict(RECORDS[0], date="2024-04-14"),
        dict(RECORDS[1], date=None),
        dict(RECORDS[2], date="2024-06-01"),
    ]
    _write_jsonl(src, records)
    with Collection(tmp_path / "x.db") as c:
        c.ingest([src])
        seen: list[str] = []
        c.store.conn.set_trace_callback(seen.append)
        assert [a.id for a in c.list()] == ["a2", "a0", "a1"]
        c.store.conn.set_trace_callback(None)
        listing = next(q for q in seen if "ORDER BY" in q)
        plan = " ".join(str(r[-1]) for r in c.store.conn.execute("EXPLAIN QUERY PLAN " + listing))
        assert "articles_published" in plan and "TEMP B-TREE" not in plan


def test_workers_store_the_same_analysis_as_one_process(tmp_path):
    import xinwen

    sample = Path(xinwen.__file__).parent / "data" / "news-page.txt"
    results = []
    for workers in (1, 2):
        with Collection(tmp_path / f"w{workers}.db") as c:
            report = c.ingest([sample], workers=workers)
            assert report.added == 6
            results.append(sorted((a.id, tuple(a.tags), a.snippet) for a in c.list(limit=10)))
    assert results[0] == results[1]


def test_an_older_database_that_cannot_be_written_says_how_to_upgrade_it(tmp_path, monkeypatch):
    """A file opened read-only (root ignores file modes, so SQLite's mode=ro stands in for a file the
    user may not write) with an older schema: a clear error, and the file left as it was."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)  # schema 3, as an xinwen of that time made it: before the section index
    conn.execute("PRAGMA journal_mode=WAL")
    for script in MIGRATIONS[:3]:
        conn.executescript(script)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '3')")
    conn.executemany("INSERT INTO articles (id, title, body, published, content_hash, ingested_at) "
                     "VALUES (?, ?, ?, ?, 'h', '2024-04-14T00:00:00+00:00')",
                     [(r["id"], r["title"], r["body"], r["date"]) for r in RECORDS])
    conn.commit()
    conn.close()
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: connect(f"file:{path}?mode=ro", uri=True, **kw))
    with pytest.raises(StoreError, match=r"older than this xinwen .*cannot be written.*xinwen fit") as err:
        Collection(db, readonly=True)
    assert "old.db" in str(err.value)
    monkeypatch.setattr(sqlite3, "connect", connect)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "3"
    with Collection(db) as c:  # where it can be written, it is upgraded and keeps its articles
        assert c.store.schema_version() == SCHEMA_VERSION and c.count() == len(RECORDS)


def test_a_tags_listing_comes_from_the_tags_time_index_also_in_a_database_made_before_it(tmp_path):
    """Schema 8 keeps each tag row's publication time: a database of schema 7 gets it filled in when
    opened, and a tag's listing is then read from the index by time, with no sort of all its articles."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for script in MIGRATIONS[:7]:
        conn.executescript(script)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '7')")
    for i, (r, date) in enumerate(zip(RECORDS, ["2024-04-14", None, "2024-06-01"], strict=True)):
        ts = datetime.fromisoformat(date).timestamp() if date else None
        conn.execute("INSERT INTO articles (rowid, id, title, body, published, published_ts, tags, content_hash, "
                     "ingested_at) VALUES (?, ?, ?, ?, ?, ?, '[\"低碳\"]', 'h', '2024-04-14T00:00:00+00:00')",
                     (i + 1, r["id"], r["title"], r["body"], date, ts))
        conn.execute("INSERT INTO article_tags (article, rank, tag) VALUES (?, 0, '低碳')", (i + 1,))
    conn.commit()
    conn.close()
    with Collection(db) as c:
        assert c.store.schema_version() == SCHEMA_VERSION
        seen: list[str] = []
        c.store.conn.set_trace_callback(seen.append)
        assert [a.id for a in c.list(tag="低碳")] == ["a2", "a0", "a1"]
        c.store.conn.set_trace_callback(None)
        listing = next(q for q in seen if "ORDER BY" in q)
        plan = " ".join(str(r[-1]) for r in c.store.conn.execute("EXPLAIN QUERY PLAN " + listing))
        assert "article_tags_time" in plan and "TEMP B-TREE" not in plan

"""Doc values kept up to date by reading only what was added (search/facets.py, DocValuesCache): after any
run of writes, what the cache holds equals a full read of the store, on every backend; a write that
changes an article stored before (new tags, a new text, a deletion) makes the next read a full one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from xinwen.article import Article, content_hash
from xinwen.search.facets import DocValues, DocValuesCache
from xinwen.store.base import ArticleWrite, Store, TagUpdate

T0 = datetime(2024, 1, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SOURCES = ["新华社", "人民日报", None, "央视新闻"]
TAGS = ["低碳", "宝山", "开工", "博物馆", "航海", "经济", "会议"]


def write(n: int, *, tags: list[str] | None = None, source: str | None = "", body: str = "") -> ArticleWrite:
    a = Article(id=f"a{n}", title=f"第{n}篇", body=body or f"第{n}篇的正文", published=T0 + timedelta(days=11 * n),
                source=SOURCES[n % 4] if source == "" else source, category=["时政", "经济", None][n % 3],
                tags=tags if tags is not None else [TAGS[(n * 3 + i) % 7] for i in range(n % 4)])
    a.origin = ["新华社", None, "中国新闻网"][n % 3]
    return ArticleWrite(a, content_hash(a), a.title, a.body, np.arange(128, dtype=np.uint64), {})


def same(a: DocValues, b: DocValues) -> None:
    assert (a.sources, a.categories, a.origins, a.months, a.tags) == (b.sources, b.categories, b.origins, b.months,
                                                                      b.tags)
    for name in ("source_of", "category_of", "origin_of", "month_of", "tags_of"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.ts_of, b.ts_of, equal_nan=True)
    keys = np.arange(a.size)
    assert a.count(keys) == b.count(keys)
    assert [a.tag_code(t) for t in [*TAGS, "新标签", "没有"]] == [b.tag_code(t) for t in [*TAGS, "新标签", "没有"]]


def fresh(store: Store) -> DocValues:
    return DocValues(store.doc_columns(), store.change_token(), store.rewrite_token())


def test_added_articles_are_read_alone_and_equal_a_full_read(store: Store) -> None:
    cache = DocValuesCache(store)
    store.upsert([write(n) for n in range(1, 6)])
    first = cache.get()
    same(first, fresh(store))
    before = first.tags_of.copy()
    for batch in ([write(n) for n in range(6, 9)],  # new sources, months and tags
                  [write(9, tags=["新标签", "低碳", "宝山", "经济", "会议"], source="新来源")],  # a wider row
                  [write(10, tags=[], source=None)]):
        store.upsert(batch)
        got = cache.get()
        assert got is not first and got.rewritten == first.rewritten  # extended, not read again
        same(got, fresh(store))
    assert np.array_equal(first.tags_of, before)  # the values a reader held were not touched
    assert cache.get() is cache.get()  # nothing written: the same object


def test_a_change_to_a_stored_article_reads_everything_again(store: Store) -> None:
    cache = DocValuesCache(store)
    store.upsert([write(n) for n in range(1, 8)])
    values = cache.get()
    for change in (
        lambda: store.set_tags([TagUpdate(store.key_of("a2") or 0, ["会议", "新话题"], "摘要")]),
        lambda: store.upsert([write(3, body="改过的正文", source="改过的来源")]),
        lambda: store.delete(["a4"]),
        lambda: store.upsert([write(20)]),  # after the deletion: an addition is read alone again
    ):
        token = store.rewrite_token()
        change()
        got = cache.get()
        assert (got.rewritten != values.rewritten) == (store.rewrite_token() != token)
        same(got, fresh(store))
        values = got


def test_a_saved_snapshot_is_taken_up_with_what_was_added_since_and_equals_a_full_read(
    store: Store, monkeypatch
) -> None:
    """A writer saves the values (facets.STATE); another process's first read takes them up and reads only
    the articles added since, and ends where a full read does. A snapshot that no longer holds (an
    article changed since, or it was saved beside another database) is not used, nor is a damaged one."""
    import xinwen.search.facets as facets

    monkeypatch.setattr(facets, "SNAPSHOT_MIN", 5)
    store.upsert([write(n) for n in range(1, 4)])
    assert not DocValuesCache(store).save() and store.read_state(facets.STATE) is None  # too few to bother
    store.upsert([write(n) for n in range(4, 9)])
    assert DocValuesCache(store).save()
    store.upsert([write(9, tags=["新标签", "低碳", "宝山", "经济", "会议"], source="新来源"), write(10)])
    reader = DocValuesCache(store)
    same(reader.get(), fresh(store))
    assert reader.full_reads == 0  # the snapshot and the two added since

    saved = store.read_state(facets.STATE)
    store.set_tags([TagUpdate(store.key_of("a2") or 0, ["会议"], "摘要")])  # changes a stored article
    reader = DocValuesCache(store)
    same(reader.get(), fresh(store))
    assert reader.full_reads == 1

    assert DocValuesCache(store).save()
    store.delete(["a10"])
    store.upsert([write(11)])
    for snapshot in (store.read_state(facets.STATE), saved, b"not a snapshot"):
        with store.write_state(facets.STATE) as fh:
            fh.write(snapshot or b"")
        reader = DocValuesCache(store)
        same(reader.get(), fresh(store))
        assert reader.full_reads == 1, snapshot[:20] if snapshot else snapshot


def test_a_snapshot_that_covers_other_articles_than_the_store_holds_is_not_used(store: Store, monkeypatch) -> None:
    """Saved when the store held other articles under the same rewrite token (a backup put back beside newer
    state files): the counts do not add up, and the values are read whole."""
    import xinwen.search.facets as facets

    monkeypatch.setattr(facets, "SNAPSHOT_MIN", 2)
    store.upsert([write(n) for n in range(1, 6)])
    values = fresh(store)
    with store.write_state(facets.STATE) as fh:
        values.save(fh, count=9)  # claims nine articles
    reader = DocValuesCache(store)
    same(reader.get(), fresh(store))
    assert reader.full_reads == 1


def test_an_ingest_leaves_a_snapshot_that_the_next_process_takes_up(tmp_path, monkeypatch) -> None:
    import json

    import xinwen.search.facets as facets
    from xinwen.collection import Collection

    monkeypatch.setattr(facets, "SNAPSHOT_MIN", 5)
    src = tmp_path / "news.jsonl"
    src.write_text("".join(json.dumps({"id": f"n{i}", "title": f"宝山区第{i}个低碳项目开工",
                                       "body": f"宝山区今天有第{i}个绿色低碳项目开工。", "date": f"2024-04-{i + 1:02d}"},
                                      ensure_ascii=False) + "\n" for i in range(8)), encoding="utf-8")
    with Collection(tmp_path / "x.db") as c:
        c.ingest([src], progress=False, fit=False)
    snapshot = tmp_path / f"x.db.{facets.STATE}"
    saved = snapshot.read_bytes()
    with Collection(tmp_path / "x.db") as c:  # one more article: readers add it, the snapshot stays
        c.ingest_records([{"id": "n9", "title": "宝山区又一个低碳项目开工", "body": "宝山区绿色低碳项目开工。",
                           "date": "2024-05-01"}], fit=False)
    assert snapshot.read_bytes() == saved
    with Collection(tmp_path / "x.db", readonly=True) as c:
        trends = c.trends(period="month", min_count=1)
        assert c._facets.full_reads == 0
        with Collection(tmp_path / "other.db") as full:
            full.ingest([src], progress=False, fit=False)
            full.ingest_records([{"id": "n9", "title": "宝山区又一个低碳项目开工", "body": "宝山区绿色低碳项目开工。",
                                  "date": "2024-05-01"}], fit=False)
            (tmp_path / f"other.db.{facets.STATE}").unlink()
        with Collection(tmp_path / "other.db", readonly=True) as full:
            assert full.trends(period="month", min_count=1) == trends and full._facets.full_reads == 1

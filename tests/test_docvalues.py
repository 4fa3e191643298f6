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

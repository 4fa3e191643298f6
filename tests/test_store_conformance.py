"""The Store protocol (xinwen/store/base.py), asked of every backend the same way: each test here talks
to a store only through the protocol's verbs, never SQL, so a new backend joins by adding itself to the
`store` fixture (tests/backends.py) and passing this file unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from xinwen.article import Article, content_hash
from xinwen.errors import NotFound, StoreError
from xinwen.search.query import parse_query
from xinwen.store.base import ArticleWrite, Store, TagUpdate
from xinwen.store.schema import SCHEMA_VERSION

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 4, 14, 2, 15, tzinfo=SH)


def write(i: str, title: str, body: str, *, days: int = 0, tags: tuple[str, ...] = (), source: str | None = None,
          category: str | None = None, dated: bool = True) -> ArticleWrite:
    """An article whose title and body are given as their words, space-joined: the index terms."""
    a = Article(id=i, title=title.replace(" ", ""), body=body.replace(" ", ""),
                published=T0 + timedelta(days=days) if dated else None, tags=list(tags), source=source,
                category=category, snippet=body[:20])
    sig = np.arange(128, dtype=np.uint64) + np.uint64(sum(map(ord, i)))
    return ArticleWrite(a, content_hash(a), title, body, sig, {t: 1.0 for t in tags})


ARTICLES = [
    write("a", "宝山 绿色 低碳 转型", "宝山区 委 全会 审议 通过 绿色 低碳 转型 样板区 实施 意见", days=0,
          tags=("低碳", "宝山"), source="新华社", category="时政"),
    write("b", "莘庄 工业区 项目 开工", "福斯特 军健 澳华 内镜 等 制造业 项目 同时 开工 低碳", days=1,
          tags=("开工",), source="人民日报", category="经济"),
    write("c", "航海 博物馆 夜间 开放", "探秘 深蓝 中国 海洋 科考 深潜 展 开展", days=2,
          tags=("博物馆",), source="新华社", category="文化"),
    write("d", "没有 日期 的 低碳 报道", "这 是 一篇 没有 日期 的 报道", tags=("低碳",), dated=False),
]


@pytest.fixture
def filled(store: Store) -> Store:
    written = store.upsert(ARTICLES)
    assert [w.is_new for w in written] == [True] * 4
    return store


def key(store: Store, i: str) -> int:
    k = store.key_of(i)
    assert k is not None
    return k


def test_a_new_store_is_empty_and_current(store: Store):
    assert store.count() == 0 and store.schema_version() == SCHEMA_VERSION
    assert list(store.iter_articles()) == [] and len(store.keys()) == 0
    assert store.doc_columns().size >= 1
    assert store.match_count(parse_query("宝山"), "all") == 0


def test_upsert_inserts_then_updates_by_id(filled: Store):
    assert filled.count() == 4
    before = key(filled, "a")
    changed = write("a", "宝山 绿色 低碳 转型 新", "改过 的 正文", tags=("转型",))
    (w,) = filled.upsert([changed])
    assert not w.is_new and w.key == before and filled.count() == 4
    got = filled.get("a").article
    assert got.body == "改过的正文" and got.tags == ["转型"]
    assert filled.known_hashes(["a", "b", "zzz"]) == {"a": changed.content_hash, "b": ARTICLES[1].content_hash}


def test_get_list_and_iterate(filled: Store):
    a = filled.get("a")
    assert a.article.title == "宝山绿色低碳转型" and a.article.published == T0 and a.article.source == "新华社"
    assert a.article.category == "时政" and a.article.tags == ["低碳", "宝山"]
    with pytest.raises(NotFound):
        filled.get("nope")
    assert filled.key_of("nope") is None
    keys = [key(filled, i) for i in "abcd"]
    assert sorted(filled.get_many(keys)) == sorted(keys) and filled.get_many([]) == {}
    assert [s.article.id for s in filled.list_articles()] == ["c", "b", "a", "d"]  # newest first, undated last
    assert [s.article.id for s in filled.list_articles(tag="低碳")] == ["a", "d"]
    since = (T0 + timedelta(days=1)).timestamp()
    assert [s.article.id for s in filled.list_articles(since=since)] == ["c", "b"]
    assert [s.article.id for s in filled.list_articles(until=since)] == ["a"]
    assert [s.article.id for s in filled.list_articles(limit=2, offset=1)] == ["b", "a"]
    assert [s.article.id for s in filled.iter_articles()] == list("abcd")  # key order
    assert filled.keys().tolist() == sorted(keys)


def test_a_tags_articles_are_listed_by_the_time_they_have_now(filled: Store):
    """A tag's listing follows its articles' publication times as they change (a re-published story moves
    up), keeps undated ones last, pages, filters by time, and follows a retag."""
    more = [write(f"t{i}", f"低碳 报道 {i}", "低碳 正文", days=10 + i, tags=("低碳",)) for i in range(4)]
    filled.upsert(more)

    def listed(**kw) -> list[str]:  # type: ignore[no-untyped-def]
        return [s.article.id for s in filled.list_articles(tag="低碳", **kw)]

    assert listed() == ["t3", "t2", "t1", "t0", "a", "d"]
    assert listed(limit=2, offset=3) == ["t0", "a"]
    assert listed(since=(T0 + timedelta(days=11)).timestamp(), until=(T0 + timedelta(days=13)).timestamp()) == [
        "t2", "t1"]
    filled.upsert([write("a", "宝山 绿色 低碳 转型", "重新 发布", days=20, tags=("低碳", "低碳"))])  # re-published
    assert listed() == ["a", "t3", "t2", "t1", "t0", "d"]
    filled.upsert([write("t3", "低碳 报道 3", "低碳 正文", tags=("低碳",), dated=False)])  # its date withdrawn
    assert listed() == ["a", "t2", "t1", "t0", "t3", "d"]  # undated: the later stored first
    filled.set_tags([TagUpdate(key(filled, "t1"), ["开工"], "")])
    assert listed() == ["a", "t2", "t0", "t3", "d"]
    assert [s.article.id for s in filled.list_articles(tag="开工")] == ["t1", "b"]


def test_a_failed_transaction_leaves_nothing(filled: Store):
    token = filled.change_token()
    with pytest.raises(RuntimeError), filled.transaction():
        filled.upsert([write("e", "新 文章", "正文")])
        filled.set_tags([TagUpdate(key(filled, "a"), ["别的"], "")])
        raise RuntimeError("crash in the middle")
    assert filled.count() == 4 and filled.key_of("e") is None and filled.get("a").article.tags == ["低碳", "宝山"]
    assert filled.change_token() == token
    with filled.transaction():  # nested blocks join the outer one
        with filled.transaction():
            filled.upsert([write("e", "新 文章", "正文")])
        filled.set_meta("x", "1")
    assert filled.count() == 5 and filled.get_meta("x") == "1" and filled.change_token() != token


def test_every_write_moves_the_change_token(filled: Store):
    seen = {filled.change_token()}
    filled.set_tags([TagUpdate(key(filled, "a"), ["新标签"], "新摘要", {"新标签": 0.5})])
    seen.add(filled.change_token())
    filled.delete(["b"])
    seen.add(filled.change_token())
    filled.upsert([write("b", "又 来了", "正文")])
    seen.add(filled.change_token())
    assert len(seen) == 4


def test_set_tags_keeps_weights_unless_given(filled: Store):
    k = key(filled, "a")
    filled.set_tags([TagUpdate(k, ["新标签"], "新摘要")])
    a = filled.get("a").article
    assert a.tags == ["新标签"] and a.snippet == "新摘要"
    assert filled.terms_of([k])[k].tag_weights == {"低碳": 1.0, "宝山": 1.0}
    filled.set_tags([TagUpdate(k, ["新标签"], "新摘要", {"新标签": 0.5})])
    assert filled.terms_of([k])[k].tag_weights == {"新标签": 0.5}
    assert [s.article.id for s in filled.list_articles(tag="新标签")] == ["a"]
    assert not filled.list_articles(tag="宝山")


def test_delete_takes_everything_of_the_article_with_it(filled: Store):
    a, b = key(filled, "a"), key(filled, "b")
    filled.add_to_copy_index(a)
    filled.add_to_copy_index(b)
    filled.set_cluster([a, b], a)
    assert filled.delete(["a", "nope"]) == [a]
    assert filled.count() == 3 and filled.key_of("a") is None
    assert filled.match_count(parse_query("宝山"), "all") == 0
    assert not filled.list_articles(tag="宝山")
    assert filled.canonicals([a, b]) == {}  # no link to or from a deleted article is left
    keys, _ = filled.copy_signatures()
    assert a not in keys.tolist()


def test_terms_and_what_changed_since(filled: Store):
    rows = list(filled.iter_terms())
    assert [r.key for r in rows] == sorted(r.key for r in rows) and len(rows) == 4
    a = key(filled, "a")
    assert filled.terms_of([a])[a].title_terms == "宝山 绿色 低碳 转型"
    stamp = max(r.stamp for r in rows)
    assert filled.keys_written_since(stamp).tolist() == []
    filled.upsert([write("b", "改 了", "改 了")])
    assert filled.keys_written_since(stamp).tolist() == [key(filled, "b")]


def test_doc_columns_group_values_by_article(filled: Store):
    cols = filled.doc_columns()
    keys = {i: key(filled, i) for i in "abcd"}
    assert cols.size > max(keys.values())
    sources = {v: sorted(k.tolist()) for v, k in cols.sources}
    assert sources == {"新华社": sorted([keys["a"], keys["c"]]), "人民日报": [keys["b"]]}
    assert {v: k.tolist() for v, k in cols.categories} == {"时政": [keys["a"]], "经济": [keys["b"]], "文化": [keys["c"]]}
    tags = {v: sorted(k.tolist()) for v, k in cols.tags}
    assert tags["低碳"] == sorted([keys["a"], keys["d"]])
    dated = dict(zip(cols.published_keys.tolist(), cols.published_ts.tolist(), strict=True))
    assert dated == {keys["a"]: T0.timestamp(), keys["b"]: (T0 + timedelta(days=1)).timestamp(),
                     keys["c"]: (T0 + timedelta(days=2)).timestamp()}


def test_meta_and_fitted_state(store: Store):
    assert store.get_meta("k") is None
    store.set_meta("k", "v")
    assert store.get_meta("k") == "v"
    store.set_meta("k", None)
    assert store.get_meta("k") is None
    assert store.read_state("model.bin") is None
    with store.write_state("model.bin") as fh:
        fh.write(b"one")
    assert store.read_state("model.bin") == b"one"
    with pytest.raises(RuntimeError), store.write_state("model.bin") as fh:
        fh.write(b"half of two")
        raise RuntimeError("crash while saving")
    assert store.read_state("model.bin") == b"one"  # the old state is whole
    assert store.map_state("gone.bin") is None
    mapped = store.map_state("model.bin")
    assert mapped is not None and bytes(mapped) == b"one" and mapped.readonly
    with store.write_state("model.bin") as fh:  # replaced while a reader holds the old one mapped
        fh.write(b"two, longer")
    assert bytes(mapped) == b"one" and bytes(store.map_state("model.bin") or b"") == b"two, longer"
    with store.write_state("empty.bin"):
        pass
    empty = store.map_state("empty.bin")
    assert empty is not None and bytes(empty) == b""


def test_copy_index_and_clusters(filled: Store):
    a, b, c = key(filled, "a"), key(filled, "b"), key(filled, "c")
    for k in (a, b, c):
        filled.add_to_copy_index(k)
    keys, sigs = filled.copy_signatures()
    assert keys.tolist() == [a, b, c] and sigs.shape == (3, 128) and filled.max_copy_key() == c
    assert filled.copy_signatures(after=a)[0].tolist() == [b, c]
    assert np.array_equal(sigs[0], ARTICLES[0].fingerprint)
    filled.set_fingerprints([(a, np.zeros(128, dtype=np.uint64))])
    assert filled.copy_signatures()[1][0].tolist() == [0] * 128
    assert {x.key: x.fingerprint is not None for x in filled.iter_copy_inputs()}[a]
    filled.set_cluster([a, b, c], b)
    assert filled.canonicals([a, b, c]) == {a: b, b: b, c: b}
    assert filled.cluster_keys([b]) == {a, b, c}
    assert filled.members(b)[0] == b and sorted(filled.members(b)) == sorted([a, b, c])
    assert filled.largest_clusters() == [b] and filled.largest_clusters(limit=0) == []
    facts = {f.key: f for f in filled.cluster_facts([a, b])}
    assert facts[a].published_ts == T0.timestamp() and facts[a].body_length == len(ARTICLES[0].article.body)
    assert filled.bodies([a]) == {a: ARTICLES[0].article.body}
    filled.unlink([c])
    assert filled.canonicals([c]) == {} and filled.cluster_keys([b]) == {a, b}
    filled.remove_from_copy_index(c)
    assert filled.copy_signatures()[0].tolist() == [a, b]
    filled.clear_copies()
    assert filled.canonicals([a, b]) == {} and filled.max_copy_key() == 0


def test_search_over_a_parsed_query(filled: Store):
    a, b, d = key(filled, "a"), key(filled, "b"), key(filled, "d")
    q = parse_query("低碳")
    assert filled.match_count(q, "all") == 3 and sorted(filled.match_keys(q, "all").tolist()) == sorted(
        [a, b, d])
    assert [k for k, _ in filled.title_matches(q, 10)] == [a, d]  # every word in the title, shortest title first
    ranked = filled.ranked(q, "all", [], 10)
    assert {k for k, _ in ranked} == {a, b, d} and all(s > 0 for _, s in ranked)
    assert ranked[-1][0] == b  # only in the body: the title weighs more
    assert [k for k, _ in filled.ranked(q, "all", [a], 10)] == [k for k, _ in ranked if k != a]
    assert filled.newest(q, "all", 10, 0) == [b, a, d] and filled.newest(q, "all", 1, 1) == [a]
    both = parse_query("宝山 开工")
    assert filled.match_count(both, "all") == 0 and filled.match_count(both, "any") == 2
    assert filled.match_count(parse_query("低碳 -宝山"), "all") == 2
    assert filled.match_count(parse_query("低碳 tag:宝山"), "all") == 1
    assert filled.match_count(parse_query("低碳 -tag:宝山"), "all") == 2
    assert filled.match_count(parse_query("低碳 source:人民日报"), "all") == 1
    assert filled.match_count(parse_query("低碳 -source:人民日报"), "all") == 2
    assert filled.match_count(parse_query('"绿色 低碳"'), "all") == 1
    assert filled.match_count(parse_query('低碳 -"没有 日期"'), "all") == 2
    assert filled.match_count(parse_query("低碳 from:2024-04-15"), "all") == 1
    assert filled.match_count(parse_query("低碳 to:2024-04-14"), "all") == 1
    assert filled.newest(parse_query("source:新华社"), None, 10, 0) == [key(filled, "c"), a]
    assert filled.newest(parse_query("-宝山 tag:低碳"), None, 10, 0) == [d]


def test_a_store_refuses_a_newer_schema(store_factory):
    store = store_factory()
    store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer"):
        store_factory(reopen=store)


def test_a_new_text_keeps_the_one_it_replaces_as_a_version(filled: Store):
    k = key(filled, "a")
    assert filled.versions(k) == []
    filled.upsert([ARTICLES[0]])  # the same text again: no version
    assert filled.versions(k) == []
    second = write("a", "宝山 绿色 低碳 转型", "更正 后 的 正文 第一 版", tags=("更正",))
    third = write("a", "宝山 绿色 低碳 转型 样板", "更正 后 的 正文 第二 版")
    filled.upsert([second])
    filled.upsert([third])
    got = filled.versions(k)
    assert [v.version for v in got] == [1, 2]
    assert got[0].article.body == "宝山区委全会审议通过绿色低碳转型样板区实施意见" and got[0].article.source == "新华社"
    assert got[0].article.published == T0 and got[0].article.id == "a"
    assert got[1].article.body == "更正后的正文第一版" and got[1].content_hash == second.content_hash
    assert got[0].replaced_at and got[0].stored_at and got[0].replaced_at <= got[1].replaced_at
    assert filled.get("a").article.body == "更正后的正文第二版"
    assert filled.versions(key(filled, "b")) == []
    retagged = write("b", "莘庄 工业区 项目 开工", "福斯特 军健 澳华 内镜 等 制造业 项目 同时 开工 低碳", days=1,
                     tags=("工业区",), source="另一个来源", category="经济")
    filled.upsert([retagged])  # the same title, body, time and URL: updated without a version
    assert filled.get("b").article.source == "另一个来源" and filled.versions(key(filled, "b")) == []
    filled.delete(["a"])
    assert filled.versions(k) == []


def test_provenance_is_stored_faceted_and_filtered(filled: Store):
    from datetime import date

    a = filled.get("a")
    a.article.origin, a.article.event_date = "人民日报", date(2023, 7, 6)
    a.article.provenance = {"origin": {"outlet": "人民日报", "kind": "source-line"}}
    c = filled.get("c")
    c.article.origin = "人民日报"
    filled.set_provenance([a, c])
    got = filled.get("a").article
    assert got.origin == "人民日报" and got.event_date == date(2023, 7, 6) and got.provenance["origin"]["kind"] == "source-line"
    assert got.body == ARTICLES[0].article.body and got.tags == ["低碳", "宝山"]  # nothing else touched
    origins = dict(filled.doc_columns().origins)
    assert sorted(origins["人民日报"].tolist()) == sorted([key(filled, "a"), key(filled, "c")])
    assert filled.match_count(parse_query("origin:人民日报"), "all") == 2
    assert filled.match_count(parse_query("低碳 origin:人民日报"), "all") == 1
    assert filled.match_count(parse_query("低碳 -origin:人民日报"), "all") == 2
    written = write("e", "新 的 稿件", "来源 人民日报")
    written.article.origin = "人民日报"
    filled.upsert([written])  # an upsert writes what the article carries
    assert filled.match_count(parse_query("origin:人民日报"), "all") == 3


def test_state_is_read_where_it_cannot_be_mapped(tmp_path, monkeypatch):
    """A file system that cannot map files (mmap fails) still serves the fitted state, read whole."""
    import mmap

    from xinwen.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    with store.write_state("model.bin") as fh:
        fh.write(b"state")

    def refuse(*_args, **_kw):  # type: ignore[no-untyped-def]
        raise OSError(19, "No such device")

    monkeypatch.setattr(mmap, "mmap", refuse)
    got = store.map_state("model.bin")
    assert got is not None and bytes(got) == b"state"
    store.close()

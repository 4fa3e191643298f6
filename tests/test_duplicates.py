"""Copies of one story: found at ingest on real xinwenlianbo stories, templates kept apart, the
canonical rule, persistence across sessions, and the CLI."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from xinwen.analysis.fingerprint import fingerprint, similarity
from xinwen.cli import main
from xinwen.collection import Collection
from xinwen.evaluation.dups import KINDS, change_characters, plant, plant_copy
from xinwen.linking.copycheck import compare


def stories(shared: Path, n: int | None = None, title: str | None = None) -> list[dict]:
    out = []
    with gzip.open(shared / "data" / "xinwenlianbo.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if title is None or re.search(title, r["title"]):
                out.append({k: r[k] for k in ("id", "title", "date", "body")})
            if n and len(out) >= n:
                break
    return out


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def clusters(c: Collection) -> dict[str, list[str]]:
    out = {}
    for cl in c.duplicates():
        ids = [cl.canonical.id] + [a.id for a in cl.copies]
        for i in ids:
            out[i] = ids
    return out


SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, list[dict]]:
    """500 stories and 40 copies of them (every kind of edit), copies shuffled in before and after."""
    if not (SHARED / "data" / "xinwenlianbo.jsonl.gz").is_file():
        pytest.skip(f"../shared not present: the real-data tests need {SHARED}")
    base = stories(SHARED, 500)
    rng = random.Random(7)
    chars = [ch for s in base for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    pool = [s for s in base if len(s["body"]) >= 150]
    copies = [plant_copy(s, rng, chars, i) for i, s in enumerate(rng.sample(pool, 40))]
    stream = base + [p.copy for p in copies]
    random.Random(8).shuffle(stream)
    folder = tmp_path_factory.mktemp("dups")
    db = folder / "d.db"
    with Collection(db) as c:
        c.ingest([write(folder / "s.jsonl", stream)], progress=False, fit=False)
    return db, copies, base


def test_planted_copies_are_found_whatever_the_edit(planted):
    db, copies, _ = planted
    kinds = {e for p in copies for e in p.edits}
    assert {"change", "cut", "source", "editor"} <= kinds
    with Collection(db) as c:
        groups = clusters(c)
    missed = [(p.copy["id"], p.edits) for p in copies if p.original not in groups.get(p.copy["id"], [])]
    assert len(missed) <= 1, missed


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """400 stories and 5 copies of each kind of `xinwen eval dups` (changed characters anywhere, excerpts,
    moved paragraphs, Traditional script, full-width forms, headers and footers, all of them), shuffled in."""
    if not (SHARED / "data" / "xinwenlianbo.jsonl.gz").is_file():
        pytest.skip(f"../shared not present: the real-data tests need {SHARED}")
    base = stories(SHARED, 400)
    rng = random.Random(17)
    chars = [ch for s in base for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    pool = [s for s in base if len(s["body"]) >= 150]
    copies = [plant(s, kind, rng, chars, i) for kind in KINDS if kind != "tuned"
              for i, s in enumerate(rng.sample(pool, 5))]
    stream = base + [p.copy for p in copies]
    random.Random(18).shuffle(stream)
    folder = tmp_path_factory.mktemp("noisy")
    db = folder / "n.db"
    with Collection(db) as c:
        c.ingest([write(folder / "s.jsonl", stream)], progress=False, fit=False)
    return db, copies


def test_copies_under_noise_are_found_at_ingest(noisy):
    """Through the whole path (the copy-form MinHash, the LSH, the text check, the clusters)."""
    db, copies = noisy
    with Collection(db) as c:
        groups = clusters(c)
    missed = [(p.copy["id"], p.kind) for p in copies if p.original not in groups.get(p.copy["id"], [])]
    assert len(missed) <= 1, missed
    wrong = [(p.copy["id"], x) for p in copies for x in groups.get(p.copy["id"], [])
             if x not in (p.copy["id"], p.original) and not x.startswith("copy-")]
    assert not wrong, wrong


def test_canonical_is_the_earliest_printing(planted):
    db, copies, base = planted
    dates = {s["id"]: s["date"] for s in base} | {p.copy["id"]: p.copy["date"] for p in copies}
    with Collection(db) as c:
        for cl in c.duplicates():
            ids = [cl.canonical.id] + [a.id for a in cl.copies]
            assert dates[cl.canonical.id] == min(dates[i] for i in ids)
        # copies(): the others of its cluster, canonical first
        p = copies[0]
        assert [a.id for a in c.copies(p.copy["id"])][0] == p.original
        assert p.copy["id"] in [a.id for a in c.copies(p.original)]


def test_unrelated_stories_are_not_merged(planted):
    """Apart from planted copies, the 500 stories form almost no clusters, and none of different dates
    and different texts (the corpus repeats some stories word for word on the next day)."""
    db, copies, _ = planted
    planted_ids = {p.copy["id"] for p in copies}
    with Collection(db) as c:
        natural = [cl for cl in c.duplicates() if not ({cl.canonical.id} | {a.id for a in cl.copies}) & planted_ids]
        for cl in natural:
            for a in cl.copies:
                assert compare(cl.canonical.body, a.body).containment >= 0.7
    assert len(natural) <= 3


def test_template_stories_stay_apart(shared, tmp_path):
    """State-visit ceremonies and obituaries share most of their text but are different stories: other
    figures and names in the same places tell them apart."""
    records = stories(shared, title=r"举行仪式欢迎.*访华|同志逝世$")
    assert len(records) > 100
    with Collection(tmp_path / "t.db") as c:
        c.ingest([write(tmp_path / "t.jsonl", records)], progress=False, fit=False)
        assert c.duplicates() == []


def test_a_later_earlier_printing_becomes_canonical_and_the_index_persists(shared, tmp_path):
    """The copy is ingested first (new date, source line, 8% of the characters changed); a later
    session, which must rebuild the LSH from stored signatures, ingests the original: it joins the
    copy's cluster as its canonical."""
    story = next(s for s in stories(shared, 300) if len(s["body"]) > 400)
    rng = random.Random(1)
    copy = dict(story, id="reprint", date="2026-09-01",
                body="来源：人民网\n" + change_characters(story["body"], 0.08, rng, "的一是在不了有和人这中大为"))
    others = stories(shared, 300)[:200]
    with Collection(tmp_path / "p.db") as c:
        c.ingest([write(tmp_path / "a.jsonl", [r for r in others if r["id"] != story["id"]] + [copy])],
                 progress=False, fit=False)
        assert c.copies("reprint") == []
    with Collection(tmp_path / "p.db") as c:
        c.ingest([write(tmp_path / "b.jsonl", [story])], progress=False, fit=False)
        [cl] = [cl for cl in c.duplicates() if "reprint" in [cl.canonical.id] + [a.id for a in cl.copies]]
        assert cl.canonical.id == story["id"] and [a.id for a in cl.copies] == ["reprint"]


def test_same_date_the_longest_body_is_canonical_and_a_changed_article_leaves(shared, tmp_path):
    story = next(s for s in stories(shared, 300) if len(s["body"]) > 400)
    short = dict(story, id="short", body=story["body"][: int(len(story["body"]) * 0.75)])
    full = dict(story, id="full")
    with Collection(tmp_path / "c.db") as c:
        c.ingest([write(tmp_path / "a.jsonl", [short, full])], progress=False, fit=False)
        [cl] = c.duplicates()
        assert cl.canonical.id == "full" and [a.id for a in cl.copies] == ["short"]
        # the short one is rewritten into another story: it leaves the cluster, which dissolves
        other = next(s for s in stories(shared, 300) if s["id"] != story["id"] and len(s["body"]) > 300)
        c.ingest([write(tmp_path / "b.jsonl", [dict(short, body=other["body"])])], progress=False, fit=False)
        assert c.duplicates() == [] and c.copies("full") == []


def test_fingerprint_similarity_follows_the_text(shared):
    body = next(s["body"] for s in stories(shared, 50) if len(s["body"]) > 400)
    import rjieba

    words = rjieba.cut(body)
    assert similarity(fingerprint(words), fingerprint(words)) == 1.0
    assert similarity(fingerprint(words), fingerprint(words[: int(len(words) * 0.7)])) > 0.5
    other = rjieba.cut(next(s["body"] for s in stories(shared, 50)[::-1] if len(s["body"]) > 400))
    assert similarity(fingerprint(words), fingerprint(other)) < 0.2
    assert fingerprint([]).tolist() == fingerprint(["。", " "]).tolist()  # no content words: the empty signature


def test_cli_duplicates_json(planted, capsys):
    db, copies, _ = planted
    assert main(["duplicates", "--db", str(db), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines and all(set(x) == {"canonical", "copies"} and x["copies"] for x in lines)
    found = {a["id"] for x in lines for a in [x["canonical"], *x["copies"]]}
    assert sum(p.copy["id"] in found for p in copies) >= len(copies) - 1
    assert main(["duplicates", "--db", str(db), "--limit", "0"]) == 2  # a usage error
    assert "at least 1" in capsys.readouterr().err


def test_lsh_finds_the_same_text_and_nothing_for_another():
    """The in-memory LSH (loaded as from stored signatures, then added to) on the shipped sample page."""
    import numpy as np
    import rjieba

    from xinwen.linking.copies import MinHashIndex

    page = (Path(__file__).resolve().parents[1] / "src" / "xinwen" / "data" / "news-page.txt").read_text("utf-8")
    paragraphs = [p for p in page.split("\n") if len(p) > 150]
    sigs = [fingerprint(rjieba.cut(p)) for p in paragraphs[:4]]
    index = MinHashIndex()
    index.load([10, 11], np.stack(sigs[:2]))
    assert index.candidates(sigs[0])[0] == (10, 1.0)
    assert index.candidates(sigs[2]) == []  # another paragraph: no band in common, or too few values
    index.add(12, sigs[2])
    assert index.candidates(sigs[2])[0] == (12, 1.0)
    index.remove(12)
    assert index.candidates(sigs[2]) == []


def test_lsh_lookups_are_those_of_fully_sorted_keys_when_buckets_overflow(monkeypatch):
    """The LSH groups its band keys by prefix (a radix sort) instead of sorting the 64-bit keys; a lookup
    must find exactly what it found in fully sorted keys, also where a prefix holds more keys than a lookup
    reads (MAX_BUCKET). Made likely here with 10-bit prefixes and a bucket of 20, over families of
    signatures that share bands."""
    import numpy as np

    import xinwen.linking.copies as copies_mod
    from xinwen.analysis.fingerprint import BANDS, NUM_PERM, band_keys_many
    from xinwen.linking.copies import MinHashIndex

    monkeypatch.setattr(copies_mod, "_PREFIX", 10)
    monkeypatch.setattr(copies_mod, "_SHIFT", np.uint64(54))
    monkeypatch.setattr(copies_mod, "MAX_BUCKET", 20)
    rng = np.random.default_rng(7)
    roots = rng.integers(0, 2**32, (12, NUM_PERM), dtype=np.uint32)
    sigs = roots[rng.integers(0, len(roots), 300)].copy()
    changed = rng.random(sigs.shape) < 0.3  # each printing keeps about 0.7 ** 2 of its bands
    sigs[changed] = rng.integers(0, 2**32, int(changed.sum()), dtype=np.uint32)
    index = MinHashIndex()
    index.load(list(range(100, 400)), sigs)
    assert (np.diff(index.starts) > 20).sum() >= 8  # overflowing prefixes were made

    full = MinHashIndex()  # the same contents, the keys fully sorted as before
    full.load(list(range(100, 400)), sigs)
    keys = band_keys_many(sigs).ravel()
    order = np.argsort(keys, kind="stable")
    full.keys, full.key_pos = keys[order], order // BANDS
    full.starts = np.searchsorted(full.keys >> np.uint64(54), np.arange(1025, dtype=np.uint64))
    found = [index.candidates(sig) for sig in sigs]
    assert found == [full.candidates(sig) for sig in sigs]
    assert sum(map(len, found)) > 2 * len(sigs)  # the families were found, not only each printing itself


def test_lsh_additions_merged_into_the_grouped_keys_are_as_a_rebuild_would_have_them(monkeypatch):
    """Articles added one by one go into a small dict, merged into the grouped band keys every RECENT: the
    arrays must then be exactly those a rebuild of everything makes (the order inside a prefix's range, and
    the key order of ranges that overflow, decide what a lookup reads), with the same lookups; between
    merges a lookup finds all that a rebuild's would. Small prefixes, buckets and RECENT make overflowing ranges and many merges; some articles are
    added again (a changed text) and some removed."""
    import numpy as np

    import xinwen.linking.copies as copies_mod
    from xinwen.analysis.fingerprint import NUM_PERM
    from xinwen.linking.copies import MinHashIndex

    monkeypatch.setattr(copies_mod, "_PREFIX", 10)
    monkeypatch.setattr(copies_mod, "_SHIFT", np.uint64(54))
    monkeypatch.setattr(copies_mod, "MAX_BUCKET", 20)
    monkeypatch.setattr(copies_mod, "RECENT", 37)
    monkeypatch.setattr(copies_mod, "_CHUNK", 50)
    rng = np.random.default_rng(11)
    roots = rng.integers(0, 2**32, (10, NUM_PERM), dtype=np.uint32)
    sigs = roots[rng.integers(0, len(roots), 400)].copy()
    changed = rng.random(sigs.shape) < 0.3
    sigs[changed] = rng.integers(0, 2**32, int(changed.sum()), dtype=np.uint32)
    index = MinHashIndex()
    index.load(list(range(100)), sigs[:100])
    merges = 0
    for i in range(100, 400):
        key = i if i % 17 else i - 50  # now and then a stored article again, with another text
        index.add(key, sigs[i])
        if i % 29 == 0:
            index.remove(i - 3)
        merges += index.recent_from == len(index.articles)
        rebuilt = MinHashIndex()
        rebuilt.load(index.articles, index.sigs[: len(index.articles)])
        rebuilt.alive = index.alive[: len(index.articles)].copy()
        probe = sigs[rng.integers(0, i + 1)]
        found, expected = index.candidates(probe), rebuilt.candidates(probe)
        if index.recent_from == len(index.articles):
            assert found == expected
            assert index.keys.tolist() == rebuilt.keys.tolist()
            assert index.key_pos.tolist() == rebuilt.key_pos.tolist()
            assert index.starts.tolist() == rebuilt.starts.tolist()
        else:  # the dict of recent additions reads a key's own list: all a rebuild finds, and more
            assert set(expected) <= set(found)
    assert merges >= 8
    assert (np.diff(index.starts) > 20).sum() >= 5  # ranges overflowed, and were kept in key order


def test_a_new_printing_of_a_clustered_story_is_compared_once_per_cluster(shared, tmp_path, monkeypatch):
    """Five printings of a story (5% of characters changed in each) form one cluster; a sixth is checked
    against one of them, not all five, and joins the same cluster (the same as checking every one)."""
    import xinwen.linking.copies as copies_mod

    rng = random.Random(3)
    story = next(s for s in stories(shared, 200) if len(s["body"]) >= 400)
    chars = [ch for ch in story["body"] if "\u4e00" <= ch <= "\u9fff"]
    printings = [dict(story, id=f"p{i}", body=change_characters(story["body"], 0.05, rng, chars))
                 for i in range(6)]
    others = [s for s in stories(shared, 60) if s["id"] != story["id"]][:40]

    def cluster_after_the_sixth(skip: bool) -> tuple[list[str], int]:
        db = tmp_path / f"c{skip}.db"
        with Collection(db) as c:
            c.ingest([write(tmp_path / "first.jsonl", others + printings[:5])], progress=False, fit=False)
            assert sorted(clusters(c)["p0"]) == [f"p{i}" for i in range(5)]
            calls = {"n": 0}
            real = copies_mod.compare

            def counting(a, b):  # type: ignore[no-untyped-def]
                calls["n"] += 1
                return real(a, b)

            monkeypatch.setattr(copies_mod, "compare", counting)
            if not skip:  # every candidate checked, as before
                monkeypatch.setattr(copies_mod.CopyDetector, "_matches", lambda self, text, cands, verdicts: [
                    k for k in cands if (o := self._texts_of([k]).get(k)) is not None and counting(text, o).is_copy])
            c.ingest([write(tmp_path / "sixth.jsonl", printings[5:])], progress=False, fit=False)
            monkeypatch.undo()
            return sorted(clusters(c)["p5"]), calls["n"]

    every, checked_all = cluster_after_the_sixth(skip=False)
    once, checked_once = cluster_after_the_sixth(skip=True)
    assert once == every == [f"p{i}" for i in range(6)]
    assert checked_all >= 5  # the five printings were all candidates
    assert checked_once <= 2  # one printing, and at most the canonical's own check

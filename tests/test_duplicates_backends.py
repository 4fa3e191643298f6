"""Copies of one story on each backend (SQLite, PostgreSQL: the `backend` fixture in conftest.py):
planted copies clustered at ingest, the earliest printing canonical, the copy index kept by the store
across sessions, a changed or deleted article leaving its cluster, and `xinwen duplicates`.

tests/test_duplicates.py holds the copy-detection rules themselves (templates, fingerprints, the LSH);
these check that each store keeps what they decide."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from xinwen.cli import main
from xinwen.collection import Collection
from xinwen.evaluation.dups import change_characters, plant_copy

XWLB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"


def first_stories(n: int) -> list[dict]:
    if not XWLB.is_file():
        pytest.skip(f"../shared not present: the real-data tests need {XWLB}")
    with gzip.open(XWLB, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(n), fh, strict=False)]
    return [{k: r[k] for k in ("id", "title", "date", "body")} for r in rows]


def jsonl(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def cluster_of(c: Collection, article_id: str) -> list[str]:
    """The ids of the article's cluster, canonical first ([] when it has no copies)."""
    for cl in c.duplicates():
        ids = [cl.canonical.id] + [a.id for a in cl.copies]
        if article_id in ids:
            return ids
    return []


@pytest.fixture(scope="module")
def planted(module_databases, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list, dict[str, str]]:
    """250 stories and 15 copies of them (every kind of edit), the copies shuffled in among them."""
    base = first_stories(250)
    rng = random.Random(17)
    chars = [ch for s in base for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    copies = [plant_copy(s, rng, chars, i) for i, s in enumerate(rng.sample([s for s in base if len(s["body"]) >= 150],
                                                                             15))]
    stream = base + [p.copy for p in copies]
    random.Random(18).shuffle(stream)
    db = module_databases.new("planted")
    with Collection(db) as c:
        c.ingest([jsonl(tmp_path_factory.mktemp("planted") / "s.jsonl", stream)], progress=False, fit=False)
    dates = {r["id"]: r["date"] for r in stream}
    return db, copies, dates


def test_planted_copies_are_clustered_with_the_earliest_printing_first(planted):
    db, copies, dates = planted
    with Collection(db, readonly=True) as c:
        clusters = c.duplicates()
        missed = [p.copy["id"] for p in copies if p.original not in cluster_of(c, p.copy["id"])]
        assert len(missed) <= 1, missed
        for cl in clusters:
            ids = [cl.canonical.id] + [a.id for a in cl.copies]
            assert dates[cl.canonical.id] == min(dates[i] for i in ids) and len(set(ids)) == len(ids)
        p = next(p for p in copies if p.copy["id"] not in missed)
        assert p.original in [a.id for a in c.copies(p.copy["id"])]
        assert p.copy["id"] in [a.id for a in c.copies(p.original)]
        # the clusters are the store's: answering them never loads the signatures (a server worker would
        # hold them all and take up every commit's)
        assert len(c.copy_detector.lsh) == 0 and not c.copy_detector.loaded


def test_cli_duplicates_json(planted, capsys):
    db, copies, _ = planted
    assert main(["duplicates", "--db", db, "--json", "--limit", "100"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines and all(set(x) == {"canonical", "copies"} and x["copies"] for x in lines)
    found = {a["id"] for x in lines for a in [x["canonical"], *x["copies"]]}
    assert sum(p.copy["id"] in found for p in copies) >= len(copies) - 1
    sizes = [1 + len(x["copies"]) for x in lines]
    assert sizes == sorted(sizes, reverse=True)  # the largest clusters first


def test_the_copy_index_outlives_the_session_and_an_earlier_printing_takes_over(databases, tmp_path):
    """A reprint (new date, a source line, 8% of its characters changed) is stored first; a later session
    (its LSH loaded from the store's signatures) stores the original, which becomes the canonical."""
    others, elsewhere = first_stories(120)[:80], first_stories(120)[80:]
    story = next(s for s in others if len(s["body"]) > 400)
    rng = random.Random(1)
    reprint = dict(story, id="reprint", date="2026-09-01",
                   body="来源：人民网\n" + change_characters(story["body"], 0.08, rng, "的一是在不了有和人这中大为"))
    db = databases.new()
    with Collection(db) as c:
        c.ingest([jsonl(tmp_path / "a.jsonl", [s for s in others if s["id"] != story["id"]] + [reprint])],
                 progress=False, fit=False)
        assert c.copies("reprint") == []
    with Collection(db) as c:
        c.ingest([jsonl(tmp_path / "b.jsonl", [story])], progress=False, fit=False)
        assert cluster_of(c, "reprint") == [story["id"], "reprint"]
        # the reprint is rewritten into a story not stored: it leaves, and the cluster dissolves
        other = next(s for s in elsewhere if len(s["body"]) > 300)
        c.ingest([jsonl(tmp_path / "c.jsonl", [dict(reprint, body=other["body"])])], progress=False, fit=False)
        assert cluster_of(c, story["id"]) == [] and c.copies("reprint") == []


def test_a_deleted_canonical_hands_its_cluster_on(databases, tmp_path):
    """Three printings of one story on three dates: deleting the earliest makes the next its canonical."""
    story = next(s for s in first_stories(60) if len(s["body"]) > 400)
    printings = [dict(story, id=f"p{i}", date=f"2024-05-0{i + 1}", body=prefix + story["body"])
                 for i, prefix in enumerate(["", "（记者 李文）", "来源：新华社\n"])]
    with Collection(databases.new()) as c:
        c.ingest([jsonl(tmp_path / "p.jsonl", printings[::-1])], progress=False, fit=False)
        assert cluster_of(c, "p2") == ["p0", "p1", "p2"]
        assert c.delete("p0")
        assert cluster_of(c, "p2") == ["p1", "p2"] and [a.id for a in c.copies("p2")] == ["p1"]

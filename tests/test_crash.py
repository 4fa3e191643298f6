"""kill -9 during an ingest, the end-of-ingest fit included: the database is intact every time, and the next
ingest ends with the articles, tags, clusters and fitted state of a run that was never interrupted."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from xinwen.collection import Collection
from xinwen.linking.vectors import ArticleVectors

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
N_STORIES = 600
KILLS = 6  # kill points, each anywhere from start-up to the end of the fit (10 took 4 minutes of CI)


def ingest(db: Path, src: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "xinwen.cli", "ingest", str(src), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), XINWEN_NO_PROGRESS="1"))


def state(db: Path) -> dict:
    """Everything a finished ingest leaves: articles with their tags and snippets, clusters, fitted state."""
    with Collection(db, readonly=True) as c:
        articles = {s.article.id: (s.article.tags, s.article.snippet) for s in c.store.iter_articles()}
        clusters = sorted((cl.canonical.id, sorted(a.id for a in cl.copies)) for cl in c.duplicates())
        stats = json.loads(c.store.read_state("stats.json") or b"{}")
        vectors = ArticleVectors.load(c.store.read_state("related.npz") or b"")
        assert not c.fit_pending()
    return {"articles": articles, "clusters": clusters, "stats": stats, "vectors": vectors}


def same_vectors(a: ArticleVectors, b: ArticleVectors) -> bool:
    return (a.vocabulary == b.vocabulary and np.array_equal(a.keys, b.keys) and np.allclose(a.dense, b.dense, atol=1e-5)
            and (a.lexical != b.lexical).nnz == 0 and a.tag_vocabulary == b.tag_vocabulary)


def test_kill_9_at_random_points_then_one_more_ingest_ends_as_a_clean_run(shared, tmp_path):
    src = tmp_path / "stories.jsonl"
    with gzip.open(shared / "data" / "xinwenlianbo.jsonl.gz", "rt", encoding="utf-8") as fh:
        lines = [line for _, line in zip(range(N_STORIES), fh, strict=False)]
    src.write_text("".join(lines), encoding="utf-8")
    clean_db = tmp_path / "clean.db"
    t0 = time.perf_counter()
    proc = ingest(clean_db, src)
    assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()
    took = time.perf_counter() - t0
    clean = state(clean_db)
    assert len(clean["articles"]) == N_STORIES and clean["stats"]["n_docs"] == N_STORIES
    rng = random.Random(13)
    for k in range(KILLS):
        db = tmp_path / f"killed{k}.db"
        proc = ingest(db, src)
        time.sleep(rng.uniform(0.5, took))  # anywhere from start-up to the end of the fit
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if db.exists():
            with sqlite3.connect(db) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        proc = ingest(db, src)
        assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()
        got = state(db)
        assert got["articles"] == clean["articles"], k
        assert got["clusters"] == clean["clusters"] and got["stats"] == clean["stats"], k
        assert same_vectors(got["vectors"], clean["vectors"]), k


def test_an_ingest_stopped_after_its_fit_goes_on_with_that_fit(shared, tmp_path, monkeypatch):
    """An ingest stopped after its fit saved the statistics (a session's end, a kill) is taken up with them,
    as it would have gone on: the next ingest neither fits again nor retags the articles it stored, and
    ends as one ingest that was never stopped."""
    import xinwen.ingest as ingest_module
    from xinwen.article import Article

    with gzip.open(shared / "data" / "xinwenlianbo.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(300), fh, strict=False)]

    def articles() -> list[Article]:
        return [Article(id=r["id"], title=r["title"], body=r["body"]) for r in rows]

    monkeypatch.setattr(ingest_module, "BATCH_SIZE", 100)
    with Collection(tmp_path / "clean.db") as c:
        c.ingest_items(articles(), workers=1, progress=False)
        clean = {s.article.id: s.article.tags for s in c.store.iter_articles()}
        clean_stats = c.analyzer.stats.to_dict()
    real = ingest_module._store_batch
    calls = {"n": 0}

    def stopping(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # after two batches were committed
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_store_batch", stopping)
    with Collection(tmp_path / "stopped.db") as c, pytest.raises(KeyboardInterrupt):
        c.ingest_items(articles(), workers=1, progress=False)
    monkeypatch.setattr(ingest_module, "_store_batch", real)
    retagged: list[int] = []
    with Collection(tmp_path / "stopped.db") as c:
        assert c.fit_pending() and c.count() == 200
        monkeypatch.setattr(Collection, "_fit_sample", lambda *a, **k: pytest.fail("fitted again"))
        monkeypatch.setattr(Collection, "retag", lambda self, keys=None, **k: retagged.extend(keys or []) or 0)
        report = c.ingest_items(articles(), workers=1, progress=False)
        assert report.added == 100 and report.unchanged == 200 and not retagged and not c.fit_pending()
        assert {s.article.id: s.article.tags for s in c.store.iter_articles()} == clean
        assert c.analyzer.stats.to_dict() == clean_stats

"""`xinwen analyze` on a Dask LocalCluster of two workers: the corpus statistics as a reduction over the
shards equal the in-process fit, every article's analysis equals the in-process analysis with those
statistics, and `xinwen ingest DIR` stores the result without analyzing again (copies across shards
still clustered)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from xinwen.analysis.cluster import analyze, analyzed_rows, load_analysis
from xinwen.analysis.pipeline import Analyzer
from xinwen.analysis.stats import CorpusStats
from xinwen.cli import main
from xinwen.collection import Collection
from xinwen.readers import read

pytestmark = pytest.mark.slow
N = 240


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
    if not shared.exists():
        pytest.skip(f"../shared not present: needs {shared}")
    with gzip.open(shared, "rt", encoding="utf-8") as fh:
        stories = [json.loads(line) for _, line in zip(range(N), fh, strict=False)]
    copy = dict(stories[5], id="copy-of-5", date="2024-12-01", body="来源：新华网\n" + stories[5]["body"])
    folder = tmp_path_factory.mktemp("shards")
    for i in range(3):
        part = stories[i * N // 3 : (i + 1) * N // 3] + ([copy] if i == 2 else [])
        (folder / f"part{i}.jsonl").write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in part),
                                               encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def analysis(shards: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("analysis")
    report = analyze([str(shards)], out, workers=2)
    assert report.shards == 3 and report.articles == N + 1 and not report.problems
    return out


def test_the_reduction_equals_the_in_process_fit(shards, analysis):
    stats, problems, files = load_analysis(analysis)
    articles = [a for a in read([shards]) if not hasattr(a, "message")]
    local = CorpusStats.fit_texts([(a.title, a.body) for a in articles])
    assert stats.vocabulary == local.vocabulary and stats.df == local.df and stats.n_docs == local.n_docs == N + 1
    assert not problems and len(files) == 3


def test_every_article_is_analyzed_as_in_process(shards, analysis):
    stats, _, files = load_analysis(analysis)
    analyzer = Analyzer(stats)
    originals = {a.id: a for a in read([shards]) if not hasattr(a, "message")}
    seen = 0
    for article, title_terms, body_terms, fp, weights, _ in analyzed_rows(files):
        mine = analyzer.analyze(originals[article.id])
        assert article.tags == mine.tags and article.snippet == mine.snippet, article.id
        assert title_terms == mine.title_terms and body_terms == mine.body_terms
        assert np.array_equal(fp, mine.fingerprint) and weights == mine.tag_weights
        assert article.title == originals[article.id].title and article.published == originals[article.id].published
        seen += 1
    assert seen == N + 1


def test_ingest_stores_the_analysis_without_analyzing(analysis, tmp_path, monkeypatch, capsys):
    def no_analysis(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("ingest of an analysis must not analyze")

    monkeypatch.setattr(Analyzer, "analyze", no_analysis)
    db = str(tmp_path / "x.db")
    assert main(["ingest", str(analysis), "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == N + 1 and report["rejected"] == 0
    assert main(["ingest", str(analysis), "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == N + 1
    with Collection(db, readonly=True) as c:
        assert c.count() == N + 1 and c.stats().n_docs == N + 1
        assert [a.id for a in c.copies("copy-of-5")]  # a copy in another shard joined its original's cluster
        assert c.search("新闻联播").total > 0

"""`xinwen eval tags`: the JSON shape, missing data sets, and no special path for evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xinwen.cli import main
from xinwen.evaluation import datasets
from xinwen.evaluation.tags import score, xinwen_tags

SYSTEMS = ("xinwen", "jieba-tfidf", "jieba-textrank")


def test_eval_tags_json_shape(shared, capsys):
    assert main(["eval", "tags", "--json", "--limit", "12"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [d["name"] for d in report["datasets"]]
    assert len(names) == 5
    assert any("page" in n for n in names) and any("tnews" in n for n in names) and any("csl" in n for n in names)
    assert sum("sohu" in n and "cross-validated" in n for n in names) == 2  # full articles, fold models
    for d in report["datasets"]:
        assert d["n"] == (6 if "page" in d["name"] else 12)
        for system in SYSTEMS:
            s = d[system]
            assert set(s) >= {"p", "r", "f1", "f1_ci", "ms", "hits"}
            assert 0 <= s["p"] <= 1 and 0 <= s["r"] <= 1 and 0 <= s["f1"] <= 1 and s["ms"] > 0
            assert s["f1_ci"][0] <= s["f1"] <= s["f1_ci"][1]
    page = next(d for d in report["datasets"] if "page" in d["name"])
    assert page["xinwen"]["hits"] >= page["jieba-tfidf"]["hits"]
    assert report["missing"] == []


def test_eval_tags_without_shared_data_names_what_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(datasets, "shared_data_dir", lambda: None)
    assert main(["eval", "tags", "--limit", "6"]) == 0
    out = capsys.readouterr()
    assert "page" in out.out and "xinwen" in out.out  # the page ships with the package
    assert "tnews.jsonl.gz" in out.err and "csl.jsonl.gz" in out.err
    assert "missing data set" in out.err


def test_eval_without_subcommand_prints_usage(capsys):
    assert main(["eval"]) == 2
    assert "tags" in capsys.readouterr().err


def test_xinwen_tag_on_plain_csl_jsonl_matches_the_eval(shared, tmp_path: Path, capsys, monkeypatch):
    articles = datasets.csl_abstracts(2, 8, limit=40)
    plain = tmp_path / "csl.jsonl"
    wanted = {a.id for a in articles}
    rows = [
        {"id": r["id"], "title": r["title"], "body": r["abstract"]}
        for r in datasets.records("csl.jsonl.gz") if r["id"] in wanted
    ]
    plain.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.delenv("XINWEN_DB", raising=False)
    assert main(["tag", str(plain), "--db", str(tmp_path / "none.db")]) == 0
    cli = {d["id"]: d["tags"] for d in map(json.loads, capsys.readouterr().out.splitlines())}
    evaluated = dict(zip([a.id for a in articles], xinwen_tags(articles), strict=True))
    assert cli == evaluated
    gold = [a.source_tags for a in articles]
    assert score([cli[a.id] for a in articles], gold, 1.0).f1 == score(list(evaluated.values()), gold, 1.0).f1


def test_score_counts_exact_matches_in_the_top_k():
    s = score([["低碳", "创新", "宝山"], ["a", "b", "c"]], [["低碳", "样板", "创新"], ["x", "y"]], 0.002)
    assert s.hits == 2 and s.n == 2
    assert s.p == pytest.approx((2 / 3 + 0) / 2)
    assert s.r == pytest.approx((2 / 3 + 0) / 2)
    assert s.f1 == pytest.approx((2 / 3) / 2)
    assert s.ms == pytest.approx(1.0)


def test_eval_tags_rejects_a_limit_below_one(capsys):
    assert main(["eval", "tags", "--limit", "0"]) == 2  # a usage error, as argparse says it
    assert "--limit" in capsys.readouterr().err


def test_eval_tags_archive_adds_the_unseen_and_learned_rows_on_full_articles(shared, capsys):
    assert main(["eval", "tags", "--json", "--limit", "12", "--archive"]) == 0
    report = json.loads(capsys.readouterr().out)
    full = [d for d in report["datasets"] if d["key"].startswith("sohu")]
    assert len(full) == 2
    for d in full:
        for system in ("xinwen", "xinwen-unseen", "xinwen+archive"):
            assert 0 <= d[system]["f1"] <= 1 and d[system]["f1_ci"][0] <= d[system]["f1"] <= d[system]["f1_ci"][1]
    assert all("xinwen+archive" not in d for d in report["datasets"] if not d["key"].startswith("sohu"))

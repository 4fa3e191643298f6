"""The quality floors (xinwen/data/quality_floors.json): every `xinwen eval WHAT --check` passes on the
real data in ../shared. Slow (about three minutes in all) and needing the data: marked so."""

from __future__ import annotations

import json

import pytest

from xinwen.cli import main
from xinwen.evaluation import checks

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.mark.parametrize("evaluation", ["tags", "related", "dups", "search", "dates"])
def test_quality_stays_above_its_floors(evaluation, shared, capsys):
    code = main(["eval", evaluation, "--check", "--json"])
    out = json.loads(capsys.readouterr().out)
    failed = [c for c in out["checks"] if not c["ok"]]
    assert code == 0 and not failed, failed
    assert len(out["checks"]) == sum(len(m) for m in checks.floors()[evaluation]["floors"].values())


def test_a_figure_below_its_floor_fails_the_check():
    report = {"datasets": [{"key": "tnews-dev", "xinwen": {"f1": 0.1}}, {"key": "page", "xinwen": {"hits": 12}}]}
    got = {(c.dataset, c.metric): c.ok for c in checks.check("tags", report)}
    assert got == {("page", "hits"): True, ("tnews-dev", "f1"): False, ("csl", "f1"): False,  # csl: missing
                   ("sohu-entities", "f1"): False, ("sohu-keywords", "f1"): False}

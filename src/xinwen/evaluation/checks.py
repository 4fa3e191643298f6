"""Quality floors: `xinwen eval tags|related|dups|search --check` runs the evaluation at the sizes the
floors were measured at and fails (exit 1) when a figure falls below its floor.

The floors live in one file, xinwen/data/quality_floors.json: for each evaluation, the arguments it runs
with and, per data set, the lowest value each metric may take. A floor is the lower end of the 95%
bootstrap interval of the figure measured when it was set, so what another draw of the same size could
give passes and a real loss does not. CI runs every check (tests/test_quality.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

FLOORS_FILE = "quality_floors.json"
OVERALL = "all"  # the data-set key of an evaluation that reports one set of figures (dups, search)


@dataclass
class Check:
    evaluation: str
    dataset: str
    metric: str
    measured: float | None  # None: the data set or metric was not in the report
    floor: float

    @property
    def ok(self) -> bool:
        return self.measured is not None and self.measured >= self.floor

    def to_dict(self) -> dict[str, Any]:
        return {"evaluation": self.evaluation, "dataset": self.dataset, "metric": self.metric,
                "measured": self.measured, "floor": self.floor, "ok": self.ok}


@lru_cache(maxsize=1)
def floors() -> dict[str, Any]:
    text = resources.files("xinwen").joinpath("data/" + FLOORS_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def arguments(evaluation: str) -> dict[str, Any]:
    """The arguments the floors of an evaluation were measured with."""
    return dict(floors()[evaluation]["args"])


def figures(evaluation: str, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """data set -> xinwen's figures, from an evaluation's report (as its to_dict gives it)."""
    if "datasets" in report:
        return {d["key"]: d["xinwen"] for d in report["datasets"] if d.get("key")}
    out = {OVERALL: report.get("xinwen", {})}
    out |= {kind: d["xinwen"] for kind, d in report.get("kinds", {}).items()}  # dups: each kind of copy
    return out | report.get("negatives", {})  # dups: pairs of different stories ("apart")


def check(evaluation: str, report: dict[str, Any]) -> list[Check]:
    got = figures(evaluation, report)
    out = []
    for dataset, metrics in floors()[evaluation]["floors"].items():
        for metric, floor in metrics.items():
            value = got.get(dataset, {}).get(metric)
            out.append(Check(evaluation, dataset, metric, float(value) if value is not None else None, float(floor)))
    return out


def format_checks(checks: list[Check]) -> str:
    lines = [f"{'evaluation':10} {'data set':20} {'metric':20} {'measured':>9} {'floor':>8}  result"]
    for c in checks:
        value = "missing" if c.measured is None else f"{c.measured:.4f}"
        lines.append(f"{c.evaluation:10} {c.dataset:20} {c.metric:20} {value:>9} {c.floor:>8.4f}  "
                     f"{'ok' if c.ok else 'BELOW THE FLOOR'}")
    return "\n".join(lines)

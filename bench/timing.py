"""Timing helpers shared by the benchmarks: percentiles and pinning to one core."""

from __future__ import annotations

import os


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def pin_one_core() -> str:
    """Run this process on one CPU (the targets are per core); says what it did."""
    try:
        cpu = sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned"

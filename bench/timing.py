"""Helpers shared by the benchmarks: percentiles, pinning to one core, and copying or reading a collection."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path


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


def copy_db(base: Path, dest: Path) -> Path:
    """A copy of the SQLite collection `base` with its side files (DB.related.npz, DB.stats.json, ...) at
    `dest`, replacing whatever was there."""
    for old in dest.parent.glob(dest.name + "*"):
        old.unlink()
    for f in base.parent.glob(base.name + "*"):
        if not f.name.endswith(("-wal", "-shm")):
            shutil.copy(f, dest.parent / (dest.name + f.name[len(base.name):]))
    return dest


def held_ids(db: Path) -> set[str]:
    """The ids of the articles a SQLite collection holds (opened read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM articles")}
    finally:
        conn.close()

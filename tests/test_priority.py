"""Batch commands (ingest, fit) run at a lower CPU priority, and their session's share is put back after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xinwen.priority import session_nice

DATA = Path(__file__).parent / "data"


def _run(code: str, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Python code in a session of its own (as from another terminal), so this test run's session is
    untouched; $XINWEN_BATCH_NICE only when the test gives it (conftest sets it for the other tests)."""
    base = {k: v for k, v in os.environ.items() if k != "XINWEN_BATCH_NICE"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          start_new_session=True, env={**base, "XINWEN_NO_PROGRESS": "1", **(env or {})})


def test_yield_cpu_lowers_process_and_session_then_puts_the_session_back() -> None:
    if session_nice() is None:
        pytest.skip("this kernel has no autogroups (/proc/self/autogroup): only the process's nice applies")
    out = _run("import os; from xinwen.priority import yield_cpu, session_nice as s\n"
               "r = yield_cpu(7); print(os.nice(0), s()); r(); print(s())")
    assert out.returncode == 0, out.stderr
    during, after = out.stdout.splitlines()
    base = os.nice(0)
    assert during == f"{max(base, 7)} 7"
    assert after == "0"


def test_yield_cpu_never_raises_a_priority() -> None:
    out = _run("import os; os.nice(max(0, 12 - os.nice(0))); before = os.nice(0)\n"
               "from xinwen.priority import yield_cpu; yield_cpu(5); print(before, os.nice(0))")
    assert out.returncode == 0, out.stderr
    before, after = out.stdout.split()
    assert int(before) >= 12
    assert after == before


@pytest.mark.parametrize(("extra", "env", "expected"), [
    ([], {}, 10),
    (["--nice", "0"], {}, 0),
    (["--nice", "3"], {"XINWEN_BATCH_NICE": "15"}, 3),
    ([], {"XINWEN_BATCH_NICE": "15"}, 15),
])
def test_ingest_runs_at_the_batch_priority(tmp_path: Path, extra: list[str], env: dict[str, str],
                                           expected: int) -> None:
    db = tmp_path / "n.db"
    argv = ["ingest", str(DATA / "news.csv"), "--db", str(db), "--workers", "1", "--json", *extra]
    out = _run("import os, sys; from xinwen.cli import main\n"
               f"rc = main({argv!r}); print('NICE', os.nice(0), file=sys.stderr); sys.exit(rc)", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["added"] > 0  # it did ingest
    assert f"NICE {max(os.nice(0), expected)}" in out.stderr


def test_a_bad_batch_priority_is_a_usage_error(tmp_path: Path) -> None:
    out = _run("from xinwen.cli import main; import sys\n"
               f"sys.exit(main(['ingest', {str(DATA / 'news.csv')!r}, '--db', {str(tmp_path / 'n.db')!r}]))",
               env={"XINWEN_BATCH_NICE": "-5"})
    assert out.returncode == 2
    assert "$XINWEN_BATCH_NICE: -5 must be from 0 to 19" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "n.db").exists()  # refused before anything was opened

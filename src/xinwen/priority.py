"""Batch work yields the CPU to interactive work: `xinwen ingest` and `xinwen fit` run at a lower priority.

An ingest is bulk CPU work: on an idle machine a lower priority costs it nothing, and on a machine that
also serves (`xinwen serve` on the same collection, the usual case) it keeps the readers' pages fast
while the articles go in. Two things decide who gets a core on Linux:
- the process's nice value, which the analysis workers inherit (`os.nice`);
- its session's (autogroup's) nice value: Linux first shares the CPU between sessions, so a server
  started from another terminal, or by a service manager, takes no notice of a plain `nice` on the ingest.
  The session's value is raised only while the command runs and put back when it ends.
A service manager's own weighting (systemd's CPUWeight=) works above both and is unaffected.
"""

from __future__ import annotations

import atexit
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

BATCH_NICE = 10  # the default for ingest and fit: about a tenth of a nice-0 process's share when both want a core
_AUTOGROUP = Path("/proc/self/autogroup")


def session_nice() -> int | None:
    """This session's autogroup nice value, or None where the kernel has no autogroups (or hides them)."""
    try:
        m = re.search(r"nice\s+(-?\d+)", _AUTOGROUP.read_text())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def yield_cpu(nice: int = BATCH_NICE) -> Callable[[], None]:
    """Run this process (and what it starts later) at `nice`, and its session at least at `nice` too.

    Never raises a priority: a value at or below the current one changes nothing. Returns a function
    that puts the session's value back (it also runs at exit); the process's own nice value stays, as
    only a privileged process could lower it again, and the process is about to end anyway.
    """
    if nice <= 0:
        return lambda: None
    try:
        current = os.nice(0)
        if current < nice:
            os.nice(nice - current)
    except OSError:  # not permitted here (some sandboxes): run as we are
        pass
    before = session_nice()
    if before is None or before >= nice:
        return lambda: None
    if not _set_session_nice(nice):
        return lambda: None
    done = False

    def restore() -> None:
        nonlocal done
        if not done:
            done = True
            _set_session_nice(before)

    atexit.register(restore)
    return restore


def _set_session_nice(value: int) -> bool:
    """Write the session's nice value; the kernel takes one change per 0.1 s from unprivileged processes
    (EAGAIN), so a refusal is tried again once after that."""
    for attempt in range(2):
        try:
            _AUTOGROUP.write_text(str(value))
            return True
        except BlockingIOError:
            if attempt == 0:
                time.sleep(0.11)
        except OSError:
            return False
    return False

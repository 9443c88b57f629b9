"""What processes that are gone (a ``kill -9``) left behind: folders and files named with their pid, removed.

The runner's snapshots and kernel-socket folders and the Dask workers' scratch folders carry the pid of the process
that made them; one rule finds those of dead processes and removes them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["pid_alive", "remove_stale"]


def pid_alive(pid: int) -> bool:
    """True while a process ``pid`` exists (also one of another user, which this process may not signal)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove ``folder/<prefix><pid>*`` left by processes that are gone; never this process's own."""
    if not folder.is_dir():
        return
    for p in folder.glob(prefix + "*"):
        pid = p.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

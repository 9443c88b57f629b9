"""What a test asks a worker process about itself (a module that imports nothing of the package's data layer)."""

from __future__ import annotations

import os
import sys


def worker_state() -> dict:
    """The worker's pid, parent, name, fork server, whether a kernel is started ahead and pandas is imported."""
    from analysis.reporting.workers import _WORKER

    server = _WORKER.get("forkserver")
    with open("/proc/self/comm", encoding="utf-8") as f:
        name = f.read().strip()
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "name": name,
        "server": server.pid if server is not None else None,
        "server_type": type(server).__name__,
        "spare": _WORKER.get("next") is not None,
        "pandas": "pandas" in sys.modules,
    }

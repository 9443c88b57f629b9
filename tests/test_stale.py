"""What dead processes left behind is removed; what live ones (and this one) hold is kept."""

from __future__ import annotations

import os
import subprocess
import sys

from analysis.reporting.stale import pid_alive, remove_stale


def test_only_the_folders_and_files_of_dead_processes_go(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    gone = int(dead.stdout)  # a process that has exited (and been reaped)
    assert not pid_alive(gone) and pid_alive(os.getpid())
    (tmp_path / f"analysis-dask-{gone}-run1").mkdir()
    (tmp_path / f"analysis-dask-{gone}-run1" / "x.ipynb").write_text("{}")
    (tmp_path / f"analysis-dask-{gone}-run2.part").write_text("")  # a file, too
    (tmp_path / f"analysis-dask-{os.getpid()}-run1").mkdir()  # this process's own
    (tmp_path / "analysis-dask-notapid-run1").mkdir()  # not named by a pid: not ours to judge
    (tmp_path / f"other-{gone}").mkdir()  # another prefix
    remove_stale(tmp_path, "analysis-dask-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"analysis-dask-{os.getpid()}-run1", "analysis-dask-notapid-run1", f"other-{gone}"]
    )
    remove_stale(tmp_path / "missing", "x-")  # a folder that does not exist: nothing to do

"""The fork server's warm-up: it leaves nothing a report could see, and a warmed kernel draws the same charts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from analysis.reporting import forkserver as fs

# In a new interpreter set up as the fork server is (the inline backend named, the report libraries imported): what a
# kernel forked from it could see, before and after the warm-up.
PROBE = textwrap.dedent(
    """
    import json, os, sys, threading
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    for name in ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "seaborn", "analysis.reporting.charts"):
        __import__(name)
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib import colors

    def seen():
        return {
            "rc": repr(sorted(mpl.rcParams.items())),
            "colour codes": repr(sorted(colors.get_named_colors_mapping().items())),
            "figures": plt.get_fignums(),
            "threads": threading.active_count(),
            "tasks": len(os.listdir("/proc/self/task")),
            "open files": sorted(os.listdir("/proc/self/fd")),
            "backend chosen": "matplotlib_inline.backend_inline" in sys.modules or plt._backend_mod is not None,
            "ipython shell": "IPython.core.interactiveshell" in sys.modules
            and sys.modules["IPython.core.interactiveshell"].InteractiveShell.initialized(),
        }

    before = seen()
    from analysis.reporting.forkserver import _warm_up, WARM_UP
    failed = _warm_up(tuple(entry.partition(":")[0] for entry in WARM_UP))
    from matplotlib import font_manager
    print(json.dumps({"before": before, "after": seen(), "failed": failed,
                      "fonts cached": font_manager._get_font.cache_info().currsize,
                      "lookups cached": font_manager.FontManager._findfont_cached.cache_info().currsize}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_warm_up_leaves_nothing_a_report_could_see():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=300
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] == []
    before, after = result["before"], result["after"]
    # the settings, colours, figures, threads (Python's and the OS's: numpy's BLAS may have its own from the
    # import, none new), open files: all as they were
    assert after == before
    assert after["threads"] == 1
    assert after["figures"] == [] and not after["backend chosen"] and not after["ipython shell"]
    assert result["fonts cached"] == 0  # no font file left open, to be shared by every forked kernel
    assert result["lookups cached"] > 0  # what it was for: the style's font lookups, cached once


def test_the_warm_up_runs_only_what_was_preloaded(monkeypatch):
    ran = []
    monkeypatch.setattr(fs, "WARM_UP", ("json:dumps", "no_such_module_x:f"))
    monkeypatch.setattr(json, "dumps", lambda *a, **k: ran.append("json"))
    assert fs._warm_up(("numpy",)) == [] and ran == []  # json was not preloaded: not run
    assert fs._warm_up(("json",)) == [] and ran == ["json"]
    assert fs._warm_up(("no_such_module_x",)) == ["no_such_module_x:f"]  # a failure is reported, not raised

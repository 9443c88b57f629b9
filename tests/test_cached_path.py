"""A run whose reports all come from the cache imports no papermill, nbformat or jsonschema; what replaces them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.reporting import notebook_json

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("papermill", "nbformat", "nbconvert", "nbclient", "jsonschema", "jupyter_client", "weasyprint")


def _python(code: str, cwd: Path = ROOT) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_declared_parameters_are_papermills(path):
    import papermill

    assert notebook_json.declared_parameters(path) == papermill.inspect_notebook(str(path))


def test_declared_parameters_of_awkward_cells(tmp_path):
    import nbformat
    import papermill
    from nbformat.v4 import new_code_cell, new_notebook

    source = (
        "# a comment line\n"
        "a = 1\n"
        "b: int = 2  # help for b\n"
        "c = [1,\n"
        "     2]  # the help of a list over lines\n"
        "d = 'x' # type: str the help\n"
        "e == f = 3\n"  # two '=' : papermill skips the line
        "\n"
        'g: "list[int]" = []\n'
        "h = {'k': 1}  # dict\n"
    )
    nb = new_notebook(
        cells=[new_code_cell("x = 0"), new_code_cell(source, metadata={"tags": ["parameters"]})],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    path = tmp_path / "odd.ipynb"
    nbformat.write(nb, path)
    ours = notebook_json.declared_parameters(path)
    assert ours == papermill.inspect_notebook(str(path))
    assert list(ours) == ["a", "b", "c", "d", "g", "h"]
    assert ours["c"] == {
        "name": "c",
        "inferred_type_name": "None",
        "default": "[1,2]",
        "help": "the help of a list over lines",
    }
    assert ours["d"]["inferred_type_name"] == "str" and ours["d"]["help"] == "the help"


def test_no_parameters_cell_means_none(tmp_path):
    path = tmp_path / "plain.ipynb"
    path.write_text(
        json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1"}], "metadata": {}})
    )
    assert notebook_json.declared_parameters(path) == {}
    assert notebook_json.title(path) is None


def test_rfc3987_syntax_waits_until_a_format_is_checked():
    seen = _python(
        "import sys, json\n"
        "import analysis.reporting, nbformat, papermill\n"
        "before = 'lark' in sys.modules\n"
        "import jsonschema\n"
        "v = jsonschema.Draft7Validator({'format': 'iri'}, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)\n"
        "bad, good = len(list(v.iter_errors('http://a b'))), len(list(v.iter_errors('http://ab')))\n"
        "print(json.dumps([before, bad, good, 'lark' in sys.modules]))\n"
    )
    # nbformat and papermill imported without compiling the grammars (lark unused); an iri check still works
    assert seen == [False, 1, 0, True]


def test_installed_versions_read_as_the_metadata_parser_reads_them():
    from importlib import metadata

    from analysis.reporting.provenance import _name_version

    for dist in metadata.distributions():
        if dist.metadata:
            assert _name_version(dist) == (dist.metadata["Name"] or "", dist.version)


def test_the_cache_check_imports_none_of_jupyter():
    seen = _python(
        "import sys, json\n"
        "from pathlib import Path\n"
        "from analysis.reporting import runner, batch\n"
        "nbs = Path('notebooks')\n"
        "runner._check_kernel('python3')\n"
        "params = {n: sorted(batch.notebook_parameters(nbs / f'{n}.ipynb')) for n in ('overview', 'benchmark')}\n"
        "titles = [runner._title(nbs, n) for n in ('overview', 'benchmark')]\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    assert seen == []


@pytest.mark.slow
def test_a_cached_run_imports_no_papermill(tmp_path):
    batch = tmp_path / "one.yaml"
    batch.write_text("name: one\nmunicipalities: [706]\nfunction_areas: ['5.38.50']\nnotebooks: [overview]\n")
    run = (
        "import sys, json\n"
        "from analysis.reporting.batch import load_batch\n"
        "from analysis.reporting.runner import run_batch\n"
        f"s = run_batch(load_batch({str(batch)!r}), reports_dir={str(tmp_path / 'reports')!r}, progress=False)\n"
        f"print(json.dumps([s.counts(), [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    first = _python(run)
    assert first[0]["ok"] == 1  # executed (in a worker: the driver imports none of it either)
    second = _python(run)
    assert second == [{"ok": 0, "cached": 1, "failed": 0}, []]

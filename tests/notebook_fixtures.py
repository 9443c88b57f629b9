"""Tiny notebooks and batches for testing the report pipeline, written on the fly (no kernel needed to write them)."""

import concurrent.futures as cf
import contextlib
from collections.abc import Iterator
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis.reporting.batch import Batch, load_batch

KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}

PARAMETERS = (
    "municipality_code: int = 706  # kommunekode\n"
    'function_code: str = "5.38.50"  # function area\n'
    "first_year: int = 2018  # first year\n"
    "last_year: int = 2025  # last year"
)

#: The parameters plus the warehouse the runner names and a marker file (tests of killed kernels and workers).
MARKER_PARAMETERS = PARAMETERS + (
    "\n"
    'warehouse: str = ""  # the warehouse file\n'
    'marker: str = ""  # a file: absent, the report kills its worker and makes it'
)


def write_notebook(
    folder: Path, name: str, body: str, title: str = "Testrapport", parameters: str = PARAMETERS
) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("Indledning."),
            new_code_cell(parameters, metadata={"tags": ["parameters"]}),
            new_code_cell(body),
        ],
        metadata={**KERNEL, "analysis": {"title": title}},
    )
    path = folder / f"{name}.ipynb"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def hello(folder: Path) -> Path:
    return write_notebook(
        folder, "hello", 'print(f"Kommune {municipality_code}, funktion {function_code}, {last_year}")'
    )


def fragile(folder: Path) -> Path:
    body = 'if municipality_code == 165:\n    raise ValueError("ingen data for Albertslund")\nprint("ok")'
    return write_notebook(folder, "fragile", body, title="Skrøbelig")


def marker_notebook(folder: Path, name: str, body: str) -> Path:
    """A notebook with :data:`MARKER_PARAMETERS`, titled by its name."""
    return write_notebook(folder, name, body, title=name.capitalize(), parameters=MARKER_PARAMETERS)


def small_batch(
    tmp: Path, notebooks_dir: Path, name: str, municipalities: list[int], **keys
) -> tuple[Batch, Path]:
    """A batch file ``<tmp>/<name>.yaml`` of the municipalities x 5.38.50 (HTML and PDF unless ``formats``), loaded."""
    data = {
        "name": name,
        "municipalities": municipalities,
        "function_areas": ["5.38.50"],
        "formats": ["html", "pdf"],
        **keys,
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_batch(path, defaults=tmp / "none.yaml", notebooks_dir=notebooks_dir), path


def printed(folder: Path, rel: str) -> list[str]:
    """The text each code cell of an executed notebook printed (``rel``: its path under ``folder``)."""
    nb = nbformat.read(folder / rel, as_version=4)
    return [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def stdout(path: Path) -> list[str]:
    """The text an executed notebook's code cells wrote to stdout, one item per output."""
    nb = nbformat.read(path, as_version=4)
    return [
        o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stdout"
    ]


def report_spec(notebook: Path, out: Path, cwd: Path) -> dict:
    """The job a worker's ``_run_job`` takes: execute ``notebook`` into ``out`` (an .ipynb) and render its HTML."""
    return {
        "input": str(notebook),
        "output_ipynb": str(out),
        "rel": out.stem,
        "parameters": {},
        "kernel_name": "python3",
        "timeout": 120,
        "cwd": str(cwd),
        "formats": ["html"],
        "meta": {
            "title": "Testrapport",
            "municipality_code": 706,
            "municipality": "Syddjurs",
            "function_code": "5.38.50",
            "function_name": "Botilbud",
            "data_period": "2018-2025",
            "run_date": "2026-01-01",
            "run_id": "test",
        },
    }


@contextlib.contextmanager
def spawned_worker(folder: Path, fork_kernels: bool = True) -> Iterator[cf.ProcessPoolExecutor]:
    """A pool of one spawned (not forked) worker with a kernel started ahead, working in ``folder``.

    Its kernels' sockets are in ``folder/s`` (made here); it watches no parent process. With ``fork_kernels`` its
    kernels are forked from its kernel fork server where the platform allows. Yields the
    ``concurrent.futures.ProcessPoolExecutor``, shut down (waiting for the worker) on leaving.
    """
    import multiprocessing

    from analysis.reporting.workers import _init_worker

    sockets = folder / "s"
    sockets.mkdir()
    ctx = multiprocessing.get_context("spawn")
    args = ("python3", True, str(folder), None, str(sockets), None, fork_kernels)
    with cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker, initargs=args) as pool:
        yield pool

"""Tiny notebooks for testing the report pipeline, written on the fly (no kernel needed to write them)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

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


def write_notebook(folder: Path, name: str, body: str, title: str = "Testrapport") -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("Indledning."),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
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

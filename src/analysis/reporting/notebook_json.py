"""Read notebooks as plain JSON, for the runner's driver: no nbformat, no papermill, no jsonschema.

The driver of a batch only needs a notebook's title, its declared parameters and an executed report's headline.
Importing nbformat and papermill for that costs more than all the rest of a run whose reports all come from the
cache; the workers, which execute and render, import them once each.

:func:`declared_parameters` gives what ``papermill.inspect_notebook`` gives for a Python notebook (the same
parsing of the cell tagged ``parameters``; ``tests/test_notebook_json.py`` holds the two equal on every notebook
of the project and on edge cases); a notebook in another language is handed to papermill itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["cells", "declared_parameters", "read", "title"]

#: papermill's PythonTranslator.PARAMETER_PATTERN (papermill 2.x), so that both parse a cell alike.
_PARAMETER = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*(?P<value>.*?)"
    r"(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$"
)

_MEMO: dict[tuple[str, int, int], dict[str, Any]] = {}


def read(path: str | Path, *, memo: bool = True) -> dict[str, Any]:
    """The notebook at ``path`` as parsed JSON.

    With ``memo`` it is read once per process while the file is unchanged (for the batch's own notebooks); treat
    the result as read-only then, it is shared between calls.
    """
    p = Path(path)
    if not memo:
        with open(p, encoding="utf-8") as f:
            return json.load(f)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _MEMO:
        with open(p, encoding="utf-8") as f:
            _MEMO[key] = json.load(f)
    return _MEMO[key]


def cells(path: str | Path) -> Any:
    """An executed notebook's cells, as an object with ``.cells`` (what :func:`headline.from_notebook` reads)."""
    return SimpleNamespace(cells=read(path, memo=False).get("cells", []))


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def title(path: str | Path) -> str | None:
    """The report title a notebook declares in its metadata (``metadata.analysis.title``), or None."""
    return (read(path).get("metadata", {}).get("analysis") or {}).get("title") or None


def _flatten(accumulator: list[str]) -> str:
    """One definition spread over lines, as one line: comments dropped but on the last line (its help)."""
    flat = ""
    for line in accumulator[:-1]:
        flat += line[: line.index("#")].strip() if "#" in line else line.strip()
    if accumulator:
        flat += accumulator[-1].strip()
    return flat


def _inspect_python(source: str) -> dict[str, dict[str, str]]:
    """The inspection of papermill's PythonTranslator on a cell's source, as ``inspect_notebook`` returns it."""
    groups: list[str] = []
    accumulator: list[str] = []
    for line in source.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        n_equal = line.count("=")
        if n_equal > 0:
            groups.append(_flatten(accumulator))
            accumulator = []
            if n_equal > 1:  # papermill warns and skips such a line
                continue
        accumulator.append(line)
    groups.append(_flatten(accumulator))
    out: dict[str, dict[str, str]] = {}
    for definition in groups:
        match = _PARAMETER.match(definition) if definition else None
        if match is None or match["target"] is None:
            continue
        type_name = str(match["annotation"] or match["type_comment"] or None)
        name = match["target"].strip()
        out[name] = {
            "name": name,
            "inferred_type_name": type_name.strip(),
            "default": str(match["value"]).strip(),
            "help": str(match["help"] or "").strip(),
        }
    return out


def declared_parameters(path: str | Path) -> dict[str, dict[str, str]]:
    """The parameters a notebook declares in its first cell tagged ``parameters``, as papermill infers them.

    Returns ``{name: {"name", "inferred_type_name", "default", "help"}}``, in the cell's order; empty when no
    cell is tagged ``parameters``.
    """
    nb = read(path)
    cell = next(
        (c for c in nb.get("cells", []) if "parameters" in (c.get("metadata", {}).get("tags") or [])), None
    )
    if cell is None:
        return {}
    if (nb.get("metadata", {}).get("language_info") or {}).get("name") != "python":
        import papermill  # another language: papermill's own translator

        return papermill.inspect_notebook(str(path))
    return _inspect_python(_source(cell))

"""What each report notebook needs in the warehouse, checked before any kernel starts.

Each report notebook declares its needs in its metadata, ``metadata.analysis.requires``: a list of requirements,
each met when *one* of its tables has the columns named and rows for the municipality (and the function area, when
the table has a ``function_code`` column and one is given)::

    {"what": "befolkningstal (FOLK1A)",
     "tables": ["municipalities"],
     "columns": ["municipality_code", "year", "population_18_64"],
     "load": "analysis fetch statbank eller analysis load statbank FIL --table FOLK1A"}

:func:`check_requirements` answers with one problem per requirement not met, in Danish, naming what is missing and
the command that loads it, e.g. ``'befolkningstal (FOLK1A) mangler for kommune 706: analysis fetch statbank eller
analysis load statbank FIL --table FOLK1A'``. For a batch, :func:`check_jobs` checks every job against one
:func:`table_summary` of the warehouse, and :func:`require_jobs` raises :class:`~analysis.errors.DataError` with the
problems: the runner is meant to call it after expanding the batch and before any kernel starts.

What a notebook can do without is not declared: the reports degrade and say what is missing (budgets, activity;
the overview also the population).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analysis import paths
from analysis.errors import ConfigurationError, DataError

__all__ = [
    "Requirement",
    "TableInfo",
    "check_jobs",
    "check_requirements",
    "require_jobs",
    "requirements_of",
    "table_summary",
]


@dataclass(frozen=True)
class Requirement:
    """One need of a notebook: one of ``tables`` with ``columns`` and rows for the municipality.

    Attributes
    ----------
    what : str
        What it is, in Danish, as the problem names it ('befolkningstal (FOLK1A)').
    tables : tuple of str
        Warehouse tables any one of which meets the need.
    columns : tuple of str
        The columns the table must have.
    load : str
        The command(s) that load it.
    """

    what: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]
    load: str


@dataclass(frozen=True)
class TableInfo:
    """What the check needs to know of one warehouse table.

    Attributes
    ----------
    columns : frozenset of str
        Its columns.
    keys : frozenset of tuple
        The (municipality_code, function_code) pairs it has rows for with every required column not null;
        function_code is None for a table without that column.
    """

    columns: frozenset[str]
    keys: frozenset[tuple[int, str | None]]


def requirements_of(notebook: str | Path) -> list[Requirement]:
    """The requirements a notebook declares in ``metadata.analysis.requires`` (empty when it declares none).

    Parameters
    ----------
    notebook : str or pathlib.Path
        A notebook file, or the name of a report notebook in ``notebooks/`` ('benchmark' or 'benchmark.ipynb').

    Raises
    ------
    ConfigurationError
        When the notebook cannot be found or a requirement lacks ``what``, ``tables`` or ``load``.
    """
    path = Path(notebook)
    if not path.is_file():
        name = path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb"
        path = paths.notebooks_dir() / name
    if not path.is_file():
        raise ConfigurationError(f"notebook {notebook} not found (looked in {paths.notebooks_dir()})")
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("analysis", {})
    out = []
    for i, item in enumerate(meta.get("requires", [])):
        missing = [k for k in ("what", "tables", "load") if not item.get(k)]
        if missing:
            raise ConfigurationError(
                f"{path.name}: metadata.analysis.requires[{i}] lacks {', '.join(missing)}; found {item}"
            )
        out.append(
            Requirement(
                what=str(item["what"]),
                tables=tuple(item["tables"]),
                columns=tuple(item.get("columns", ())),
                load=str(item["load"]),
            )
        )
    return out


def table_summary(
    con: duckdb.DuckDBPyConnection, requirements: list[Requirement] | None = None
) -> dict[str, TableInfo]:
    """Columns and (municipality, function) keys of the warehouse tables the requirements name.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse.
    requirements : list of Requirement, optional
        Whose tables to summarise (default: every table in the warehouse's main schema).

    Returns
    -------
    dict of str to TableInfo
        Only tables that exist.
    """
    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    wanted: dict[str, set[str]] = {}
    for req in requirements or []:
        for t in req.tables:
            wanted.setdefault(t, set()).update(req.columns)
    if requirements is None:
        wanted = {t: set() for t in existing}
    out = {}
    for table, required in wanted.items():
        if table not in existing:
            continue
        columns = frozenset(
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
                [table],
            ).fetchall()
        )
        if "municipality_code" not in columns or not set(required) <= columns:
            out[table] = TableInfo(columns, frozenset())
            continue
        function = "function_code" if "function_code" in columns else "NULL"
        not_null = " AND ".join(f'"{c}" IS NOT NULL' for c in sorted(required)) or "TRUE"
        rows = con.execute(
            f'SELECT DISTINCT municipality_code, {function} FROM "{table}" WHERE {not_null}'
        ).fetchall()
        out[table] = TableInfo(columns, frozenset((int(m), f) for m, f in rows if m is not None))
    return out


def _met(req: Requirement, info: TableInfo | None, municipality_code: int, function_code: str | None) -> bool:
    if info is None or not set(req.columns) <= info.columns:
        return False
    if "function_code" in info.columns and function_code is not None:
        return (int(municipality_code), function_code) in info.keys
    return any(m == int(municipality_code) for m, _ in info.keys)


def check_requirements(
    con_or_table_summary: duckdb.DuckDBPyConnection | Mapping[str, TableInfo],
    notebook: str | Path,
    municipality_code: int,
    function_code: str | None = None,
) -> list[str]:
    """The problems that stop a notebook from being made for a municipality (empty when none), in Danish.

    Call it for each job of a batch before any kernel starts; a non-empty list refuses the job.

    Parameters
    ----------
    con_or_table_summary : duckdb.DuckDBPyConnection or mapping of str to TableInfo
        The warehouse, or :func:`table_summary` of it (to summarise once for a batch of many jobs).
    notebook : str or pathlib.Path
        The notebook (as :func:`requirements_of`).
    municipality_code : int
        The municipality the report is about.
    function_code : str, optional
        The function area; a table with a ``function_code`` column must have rows for it.

    Returns
    -------
    list of str
        One sentence per requirement not met: what is missing and the command that loads it.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> check_requirements(con, "overview", 706, "5.38.50")[0]  # doctest: +ELLIPSIS
    'regnskab (REGK31) mangler for kommune 706 og funktion 5.38.50: analysis fetch statbank eller ...'
    """
    requirements = requirements_of(notebook)
    if isinstance(con_or_table_summary, Mapping):
        summary = con_or_table_summary
    else:
        summary = table_summary(con_or_table_summary, requirements)
    problems = []
    for req in requirements:
        if any(_met(req, summary.get(t), municipality_code, function_code) for t in req.tables):
            continue
        where = f"kommune {int(municipality_code)}"
        if function_code is not None and any(t in _FUNCTION_TABLES for t in req.tables):
            where += f" og funktion {function_code}"
        problems.append(f"{req.what} mangler for {where}: {req.load}")
    return problems


_FUNCTION_TABLES = frozenset({"accounts", "activity", "budgets", "ledger"})


def check_jobs(
    con: duckdb.DuckDBPyConnection, jobs: Iterable, notebooks_dir: str | Path | None = None
) -> list[str]:
    """The problems of every job of a batch, each prefixed by the report it stops (empty when none).

    Meant for the runner, after expanding the batch and before any kernel starts: the warehouse is summarised
    once, however many jobs there are.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse the notebooks will read.
    jobs : iterable of analysis.reporting.batch.Job
        ``notebook``, ``municipality_code`` and ``function_code`` ('' for a notebook not about one area).
    notebooks_dir : str or pathlib.Path, optional
        Where the notebooks are (default ``notebooks/`` of the project).

    Returns
    -------
    list of str
        E.g. ``'benchmark 751 5.38.50: befolkningstal (FOLK1A) mangler for kommune 751: analysis fetch ...'``.
    """
    jobs = list(jobs)
    folder = Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir()
    needs = {job.notebook: requirements_of(folder / f"{job.notebook}.ipynb") for job in jobs}
    union = [r for reqs in needs.values() for r in reqs]
    summary = table_summary(con, union) if union else {}
    problems = []
    for job in jobs:
        if not needs[job.notebook]:
            continue
        function = job.function_code or None
        label = " ".join(str(x) for x in (job.notebook, job.municipality_code, job.function_code) if x)
        for problem in check_requirements(
            summary, folder / f"{job.notebook}.ipynb", job.municipality_code, function
        ):
            problems.append(f"{label}: {problem}")
    return problems


def require_jobs(
    con: duckdb.DuckDBPyConnection, jobs: Iterable, notebooks_dir: str | Path | None = None
) -> None:
    """Refuse a batch whose warehouse lacks what its notebooks need (:func:`check_jobs`), before any kernel starts.

    Raises
    ------
    DataError
        Naming every report that cannot be made, what is missing and the command that loads it.
    """
    problems = check_jobs(con, jobs, notebooks_dir)
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise DataError(
            f"the warehouse lacks what {len(problems)} report(s) need; load it first: " + "; ".join(shown)
        )

"""What each report notebook needs in the warehouse, checked before any kernel starts.

Each report notebook declares its needs in its metadata, ``metadata.analysis.requires``: a list of requirements,
each met when *one* of its tables has the columns named and rows for the municipality (and the function area, when
the table has a ``function_code`` column and one is given)::

    {"what": "regnskab (REGK31)",
     "tables": ["accounts", "activity"],
     "columns": ["municipality_code", "year", "function_code", "spending_dkk"],
     "load": "analysis fetch statbank eller analysis load statbank FIL --table REGK31"}

The column ``residents`` (:data:`analysis.benchmark.RESIDENTS_COLUMN`) stands for the column of the report's own
resident group (:func:`analysis.benchmark.resident_group` of its function code, or of its main function for a
notebook about a whole main function): ``population_0_17`` for 5.28, ``population_18_64`` for 5.38 and the rest, as
:func:`analysis.benchmark.per_resident_basis` divides by. A requirement naming it says so when it is not met::

    {"what": "befolkningstal (FOLK1A)",
     "tables": ["municipalities"],
     "columns": ["municipality_code", "year", "residents"],
     "load": "indlæs befolkningen med alle aldre: analysis fetch statbank eller ... --table FOLK1A med ALDER=*"}

:func:`check_requirements` answers with one problem per requirement not met, in Danish, naming what is missing and
the command that loads it, e.g. ``'regnskab (REGK31) mangler for kommune 706 og funktion 5.38.50: analysis fetch
statbank eller analysis load statbank FIL --table REGK31'``, or for the residents of a 5.28 report
``'befolkningstal (FOLK1A) for 0-17-årige (population_0_17) mangler for kommune 706: funktion 5.28.22 måles pr.
0-17-årig; indlæs befolkningen med alle aldre: ...'``. A command that takes the municipality's code is declared with
``KOMMUNEKODE`` (:data:`MUNICIPALITY_PLACEHOLDER`) and given with the code of the municipality whose data is
missing, ready to copy: ``'sager (cases) mangler for kommune 706: indlæs sagsudtrækket: analysis load cases FIL
--mapping parameters/mappings/cases.yaml --municipality 706'``. For a batch, :func:`check_jobs` checks every job
against one :func:`table_summary` of the warehouse, and :func:`require_jobs` raises
:class:`~analysis.errors.DataError` with the problems: the runner is meant to call it after expanding the batch and
before any kernel starts.

What a notebook can do without is not declared: the reports degrade and say what is missing (budgets, activity;
the overview also the population).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from analysis import paths
from analysis.benchmark import ADULTS, RESIDENT_GROUP, RESIDENTS_COLUMN, resident_group
from analysis.errors import ConfigurationError, DataError

__all__ = [
    "MUNICIPALITY_PLACEHOLDER",
    "Requirement",
    "TableInfo",
    "check_jobs",
    "check_requirements",
    "for_function",
    "require_jobs",
    "requirements_of",
    "table_summary",
]


MUNICIPALITY_PLACEHOLDER = "KOMMUNEKODE"
"""Stands for the municipality's code in a requirement's ``load``; a problem of a municipality gives its code."""


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
        The columns the table must have, each with a value in a row for the municipality; ``residents`` stands for
        the column of the report's resident group until :func:`for_function` puts it in.
    load : str
        The command(s) that load it; :data:`MUNICIPALITY_PLACEHOLDER` where the command takes the municipality's
        code (``--municipality KOMMUNEKODE``).
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
        The (municipality_code, function_code) pairs it has rows for; function_code is None for a table without
        that column.
    filled : mapping of str to frozenset of tuple
        For each summarised column, the pairs with a value (not null) in it in at least one of their rows.
    """

    columns: frozenset[str]
    keys: frozenset[tuple[int, str | None]]
    filled: Mapping[str, frozenset[tuple[int, str | None]]] = field(default_factory=dict)


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


def for_function(requirement: Requirement, function_code: str | None) -> Requirement:
    """The requirement with ``residents`` replaced by the column of ``function_code``'s resident group.

    The group is :func:`analysis.benchmark.resident_group`'s (aged 0-17 for 5.28, 18-64 for 5.38 and the rest;
    also without a function code); ``what`` then names the group and its column, and ``load`` first says what
    the function is measured per. A requirement without ``residents`` is returned as it is.

    Parameters
    ----------
    requirement : Requirement
        As :func:`requirements_of` reads it.
    function_code : str or None
        The report's function code ('5.28.22') or main function ('5.28').

    Examples
    --------
    >>> req = Requirement("befolkningstal (FOLK1A)", ("municipalities",), ("year", "residents"), "analysis fetch")
    >>> kids = for_function(req, "5.28.22")
    >>> kids.columns, kids.what
    (('year', 'population_0_17'), 'befolkningstal (FOLK1A) for 0-17-årige (population_0_17)')
    >>> kids.load
    'funktion 5.28.22 måles pr. 0-17-årig; analysis fetch'
    >>> for_function(req, "5.38.50").columns
    ('year', 'population_18_64')
    """
    if RESIDENTS_COLUMN not in requirement.columns:
        return requirement
    group = resident_group(function_code or "")
    load = (
        f"funktion {function_code} måles pr. {group.singular}; {requirement.load}" if function_code else None
    )
    return replace(
        requirement,
        what=f"{requirement.what} for {group.plural} ({group.column})",
        columns=tuple(group.column if c == RESIDENTS_COLUMN else c for c in requirement.columns),
        load=load or requirement.load,
    )


_GROUP_COLUMNS = tuple(dict.fromkeys(g.column for g in (ADULTS, *RESIDENT_GROUP.values())))
"""The columns ``residents`` can stand for, each summarised so that one summary serves reports of any group."""


def _summarised_columns(requirement: Requirement) -> set[str]:
    columns = set(requirement.columns)
    if RESIDENTS_COLUMN in columns:
        columns = (columns - {RESIDENTS_COLUMN}) | set(_GROUP_COLUMNS)
    return columns


def table_summary(
    con: duckdb.DuckDBPyConnection, requirements: list[Requirement] | None = None
) -> dict[str, TableInfo]:
    """Columns and (municipality, function) keys of the warehouse tables the requirements name.

    One query per table, however many requirements name it. A requirement's ``residents`` has every resident
    group's column summarised (``population_18_64`` and ``population_0_17``), so the summary serves reports of
    any function area.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse.
    requirements : list of Requirement, optional
        Whose tables and columns to summarise (default: every column of every table in the warehouse's main
        schema).

    Returns
    -------
    dict of str to TableInfo
        Only tables that exist; of their columns only those the requirements name.
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
            wanted.setdefault(t, set()).update(_summarised_columns(req))
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
        if "municipality_code" not in columns:
            out[table] = TableInfo(columns, frozenset())
            continue
        summarised = sorted(columns if requirements is None else required & columns)
        function = "function_code" if "function_code" in columns else "NULL"
        filled = "".join(f', bool_or("{c}" IS NOT NULL)' for c in summarised)
        rows = con.execute(
            f'SELECT municipality_code, {function}{filled} FROM "{table}" '
            "WHERE municipality_code IS NOT NULL GROUP BY ALL"
        ).fetchall()
        keys = [(int(r[0]), r[1]) for r in rows]
        out[table] = TableInfo(
            columns,
            frozenset(keys),
            {
                c: frozenset(k for k, r in zip(keys, rows, strict=True) if r[2 + i])
                for i, c in enumerate(summarised)
            },
        )
    return out


def _met(req: Requirement, info: TableInfo | None, municipality_code: int, function_code: str | None) -> bool:
    if info is None or not set(req.columns) <= info.columns:
        return False
    unsummarised = [c for c in req.columns if c not in info.filled]
    if unsummarised:
        raise ValueError(
            f"the table summary lacks the column(s) {', '.join(unsummarised)} of the requirement {req.what}: "
            "summarise the warehouse for the requirements checked (table_summary(con, requirements))"
        )

    def met(key: tuple[int, str | None]) -> bool:
        return key in info.keys and all(key in info.filled[c] for c in req.columns)

    if "function_code" in info.columns and function_code is not None:
        return met((int(municipality_code), function_code))
    return any(met(key) for key in info.keys if key[0] == int(municipality_code))


def check_requirements(
    con_or_table_summary: duckdb.DuckDBPyConnection | Mapping[str, TableInfo],
    notebook: str | Path,
    municipality_code: int,
    function_code: str | None = None,
    main_function: str | None = None,
) -> list[str]:
    """The problems that stop a notebook from being made for a municipality (empty when none), in Danish.

    Call it for each job of a batch before any kernel starts; a non-empty list refuses the job. A requirement of
    ``residents`` asks for the column of the report's own resident group (:func:`for_function`): a 5.28 report
    needs ``population_0_17``, a 5.38 report ``population_18_64``.

    Parameters
    ----------
    con_or_table_summary : duckdb.DuckDBPyConnection or mapping of str to TableInfo
        The warehouse, or :func:`table_summary` of it (to summarise once for a batch of many jobs).
    notebook : str or pathlib.Path
        The notebook (as :func:`requirements_of`).
    municipality_code : int
        The municipality the report is about.
    function_code : str, optional
        The function area; a table with a ``function_code`` column must have rows for it, and its resident group
        is the one ``residents`` stands for.
    main_function : str, optional
        For a notebook about a whole main function ('5.28'), without ``function_code``: whose resident group
        ``residents`` stands for (default: the residents aged 18-64).

    Returns
    -------
    list of str
        One sentence per requirement not met: what is missing and the command that loads it, with the
        municipality's code for :data:`MUNICIPALITY_PLACEHOLDER` (``--municipality 706``), so that it can be copied.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> check_requirements(con, "overview", 706, "5.38.50")[0]  # doctest: +ELLIPSIS
    'regnskab (REGK31) mangler for kommune 706 og funktion 5.38.50: analysis fetch statbank eller ...'
    """
    group_of = function_code or main_function
    requirements = [for_function(r, group_of) for r in requirements_of(notebook)]
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
        load = req.load.replace(MUNICIPALITY_PLACEHOLDER, str(int(municipality_code)))
        problems.append(f"{req.what} mangler for {where}: {load}")
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
        ``notebook``, ``municipality_code`` and ``function_code`` ('' for a notebook not about one area; then a
        ``main_function`` parameter, of the job or else the notebook's default, gives the resident group).
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
    per_resident = {name for name, reqs in needs.items() if any(RESIDENTS_COLUMN in r.columns for r in reqs)}
    defaults = {name: _default_main_function(folder / f"{name}.ipynb") for name in per_resident}
    problems = []
    for job in jobs:
        if not needs[job.notebook]:
            continue
        function = job.function_code or None
        path = folder / f"{job.notebook}.ipynb"
        main = None
        if not function and job.notebook in per_resident:
            main = job.parameters.get("main_function") or defaults[job.notebook]
        label = " ".join(str(x) for x in (job.notebook, job.municipality_code, job.function_code) if x)
        for problem in check_requirements(summary, path, job.municipality_code, function, main):
            problems.append(f"{label}: {problem}")
    return problems


def _default_main_function(path: Path) -> str | None:
    """The default of the ``main_function`` parameter the notebook declares ('5.28'; None when it declares none)."""
    from analysis.reporting.notebook_json import declared_parameters

    default = declared_parameters(path).get("main_function", {}).get("default")
    return default.strip("\"'") or None if isinstance(default, str) else None


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

"""``analysis fetch statbank``: what the reports need from Statistikbanken, downloaded and loaded.

For the years asked (``--years 2018-2025``) and all 98 municipalities:

- ``FOLK1A``: the population on 1 January (the first quarter) by age, every other variable at its total;
- ``ARE207``: the area (km²), for the population density;
- ``REGK31``: the accounts for the functions of main function 5.38 (and the main function), dranst 1, ART "I alt
  (netto)", PRISENHED 1.000 kr.;
- ``BUDK32``: the budgets, selected the same way;
- ``HAND01``: full-time services per quarter by type of service.

The variables' codes are taken from each table's ``tableinfo`` (so a table that gains a function or a year is
fetched as it is); a year a table does not have yet is left out and said. One request at a time; a failed request
is retried with a growing pause (see :class:`~analysis.data.statbank.Client`). Every response is kept in a cache
folder beside the warehouse (``own.duckdb`` -> ``own.statbank-cache/``), written under a temporary name and renamed,
so that a fetch interrupted (Ctrl-C, a lost connection) continues where it stopped; loading is all or nothing per
file, and a file loaded before changes nothing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analysis.data import reference
from analysis.data.loads import LoadResult, function_code
from analysis.data.statbank.client import Client, StatbankError
from analysis.data.statbank.loading import load
from analysis.data.statbank.parse import _role
from analysis.data.statbank.tables import _unit_of
from analysis.errors import InputError

__all__ = ["FETCH_TABLES", "FetchResult", "cache_folder", "fetch", "parse_years"]

#: The tables fetched, in the order they are loaded (ARE207 after FOLK1A sets the density of the loaded years;
#: HAND01 needs the accounts).
FETCH_TABLES = ("FOLK1A", "ARE207", "REGK31", "BUDK32", "HAND01")


@dataclass
class FetchResult:
    """What a fetch did.

    Attributes
    ----------
    cache : Path
        The folder of downloaded responses.
    downloaded, cached : int
        Responses downloaded now, and found in the cache from an earlier (perhaps interrupted) fetch.
    requests : int
        HTTP requests sent (retries included).
    loads : list of LoadResult
        One per file loaded.
    notes : list of str
        Years a table does not have, and other remarks.
    """

    cache: Path
    downloaded: int = 0
    cached: int = 0
    requests: int = 0
    loads: list[LoadResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_years(text: str) -> list[int]:
    """Years from '2018-2025', '2024' or '2018,2020-2021'.

    >>> parse_years("2018-2020"), parse_years("2024"), parse_years("2018, 2020-2021")
    ([2018, 2019, 2020], [2024], [2018, 2020, 2021])
    """
    years: set[int] = set()
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?", part)
        if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
            raise InputError(f"--years: expected years such as 2018-2025 or 2024, found {part!r}")
        years.update(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
    return sorted(years)


def cache_folder(warehouse: str | os.PathLike) -> Path:
    """The cache of downloaded responses beside a warehouse: ``data/own.duckdb`` -> ``data/own.statbank-cache``."""
    path = Path(warehouse)
    return path.with_name(f"{path.stem}.statbank-cache")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _tableinfo(client: Client, table: str, cache: Path) -> tuple[dict, bool]:
    file = cache / f"tableinfo_{table}.json"
    if file.exists():
        try:
            info = json.loads(file.read_text(encoding="utf-8"))
            client._info[table.upper()] = info
            return info, True
        except ValueError:
            file.unlink()  # a damaged entry is fetched again
    info = client.tableinfo(table)
    _write(file, json.dumps(info, ensure_ascii=False))
    return info, False


def _variable(info: dict, test: Callable[[dict], bool]) -> dict | None:
    return next((v for v in info.get("variables", []) if test(v)), None)


def _time(info: dict) -> dict:
    var = _variable(info, lambda v: v.get("time") or str(v["id"]).casefold() == "tid")
    if var is None:
        raise StatbankError(f"table {info.get('id')} has no time variable in its tableinfo")
    return var


#: The main functions whose functions the accounts and budgets are fetched for: the adult area (5.38) and the
#: family area (5.28, children and young people with special needs).
MAIN_FUNCTIONS = ("5.38", "5.28")


def _of_main_functions(value: dict) -> bool:
    """A FUNKTION value of a main function in :data:`MAIN_FUNCTIONS` (its functions and the main function itself).

    By label or code: '5.38.50 Botilbud ...' or '53850'; '5.28 Tilbud til børn og unge ...' or '528'.
    """
    text, code = str(value["text"]).strip(), str(value["id"]).strip()
    found = function_code(text) or function_code(code)
    if found and any(found.startswith(f"{m}.") for m in MAIN_FUNCTIONS):
        return True
    return any(re.match(rf"^0?{m[0]}\.?{m[2:]}(?!\d|\.\d)", text) for m in MAIN_FUNCTIONS)


def _requests(table: str, info: dict, years: Sequence[int], notes: list[str]) -> list[tuple[str, dict]]:
    """(part, variables) of each request for a table: one per year."""
    area = _variable(info, lambda v: _role(str(v["id"])) == "area")
    if area is None:
        raise StatbankError(f"table {table} has no area variable (OMRÅDE) in its tableinfo")
    ours = {int(c) for c in reference.municipalities()["municipality_code"]}
    codes = [str(v["id"]) for v in area["values"] if str(v["id"]).isdigit() and int(v["id"]) in ours]
    common: dict[str, list[str]] = {area["id"]: codes}
    time = _time(info)
    available = [str(v["id"]) for v in time["values"]]

    def values(
        var_id: str, keep: Callable[[dict], bool], what: str, prefer: Callable[[dict], bool] | None = None
    ) -> list[str]:
        """The codes to ask for; with ``prefer``, exactly one (the preferred one, else the first that fits)."""
        var = _variable(info, lambda v: str(v["id"]).casefold() == var_id.casefold())
        if var is None:
            raise StatbankError(f"table {table} has no variable {var_id} in its tableinfo")
        fits = [v for v in var["values"] if keep(v)]
        if not fits:
            raise StatbankError(f"table {table}, variable {var['id']}: no value for {what} in its tableinfo")
        if prefer is not None:
            fits = ([v for v in fits if prefer(v)] or fits)[:1]
        chosen = [str(v["id"]) for v in fits]
        common[var["id"]] = chosen
        return chosen

    if table in ("REGK31", "BUDK32"):
        values("FUNKTION", _of_main_functions, "the functions of 5.38 and 5.28")
        values(
            "DRANST",
            lambda v: str(v["id"]) == "1" or str(v["text"]).startswith("1 "),
            "dranst 1",
            prefer=lambda v: str(v["id"]) == "1",
        )
        values(
            "ART",
            lambda v: str(v["id"]).upper() == "TOT" or "i alt (netto)" in str(v["text"]).casefold(),
            "the net total, I alt (netto)",
            prefer=lambda v: str(v["id"]).upper() == "TOT",
        )
        values(
            "PRISENHED",
            lambda v: _unit_of(str(v["text"])) == "1000",
            "1.000 kr.",
            prefer=lambda v: re.search(r"løbende|current", str(v["text"]), flags=re.IGNORECASE) is not None,
        )
    elif table == "FOLK1A":
        values("ALDER", lambda v: True, "every age")
    elif table.startswith("HAND"):
        service = _variable(info, lambda v: any("§" in str(x["text"]) for x in v.get("values", [])))
        if service is None:
            raise StatbankError(f"table {table} has no variable of types of service (§) in its tableinfo")
        common[service["id"]] = ["*"]
    elif table == "ARE207":
        for var in info.get("variables", []):
            if var is area or var is time:
                continue
            km = [
                str(v["id"])
                for v in var["values"]
                if "km" in str(v["text"]).casefold() and not re.search(r"pr\.|per", str(v["text"]).casefold())
            ]
            if km:
                common[var["id"]] = km[:1]
    out = []
    for year in years:
        if table == "FOLK1A":
            periods = [p for p in available if p == f"{year}K1"]
        elif table.startswith("HAND"):
            periods = [p for p in available if re.fullmatch(rf"{year}K[1-4]", p)]
        else:
            periods = [p for p in available if p == str(year)]
        if not periods:
            notes.append(f"{table} has no {year} in Statistikbanken (it has {available[0]}-{available[-1]})")
            continue
        out.append((str(year), {**common, time["id"]: periods}))
    if table == "ARE207" and not out and available:
        latest = [p for p in available if p.isdigit() and int(p) <= max(years)] or available[-1:]
        notes.append(f"ARE207: the areas of {latest[-1]} stand for the years asked")
        out.append((latest[-1], {**common, time["id"]: latest[-1:]}))
    return out


def fetch(
    con: duckdb.DuckDBPyConnection,
    years: Sequence[int],
    *,
    cache: str | os.PathLike,
    client: Client | None = None,
    tables: Sequence[str] = FETCH_TABLES,
    progress: Callable[[str], None] | None = None,
) -> FetchResult:
    """Download the tables the reports need for ``years`` (all 98 municipalities) and load them.

    Parameters
    ----------
    con
        A writable connection to the warehouse.
    years
        The years (e.g. ``range(2018, 2026)``).
    cache
        The folder for downloaded responses (see :func:`cache_folder`); created when missing.
    client
        The API client (default: ``Client()``, which honours ``ANALYSIS_STATBANK_URL``).
    tables
        The tables, in load order (default :data:`FETCH_TABLES`).
    progress
        Called with a line of progress per request and load (e.g. ``print``).

    Returns
    -------
    FetchResult

    Raises
    ------
    StatbankError
        When the API cannot be reached (no internet) or refuses a request, after the retries; what was
        downloaded stays in the cache for the next attempt.
    """
    say = progress or (lambda line: None)
    client = client or Client()
    folder = Path(cache)
    folder.mkdir(parents=True, exist_ok=True)
    result = FetchResult(cache=folder)
    plan: list[tuple[str, str, dict, Path]] = []
    for table in tables:
        info, was_cached = _tableinfo(client, table, folder)
        say(f"{table}: table information {'from the cache' if was_cached else 'downloaded'}")
        for part, variables in _requests(table, info, years, result.notes):
            plan.append((table, part, variables, folder / f"{table}_{part}.csv"))
    for i, (table, part, variables, file) in enumerate(plan, start=1):
        if file.exists():
            result.cached += 1
            say(f"[{i}/{len(plan)}] {table} {part}: in the cache")
            continue
        text = client.data(table, variables, format="CSV")
        _write(file, text)
        result.downloaded += 1
        say(f"[{i}/{len(plan)}] {table} {part}: downloaded ({len(text.encode('utf-8')) / 1000:,.1f} kB)")
    for i, (table, part, _, file) in enumerate(plan, start=1):
        if sum(1 for line in file.read_text(encoding="utf-8-sig").splitlines() if line.strip()) < 2:
            result.notes.append(f"{table} {part}: Statistikbanken returned no rows")
            continue
        loaded = load(con, file, table)
        result.loads.append(loaded)
        say(
            f"[{i}/{len(plan)}] {table} {part}: {loaded.status}, {loaded.rows_loaded:,} rows of '{loaded.target}'"
        )
    result.requests = client.requests
    return result

"""The data model: every warehouse table, its columns, types, units and meaning, in one place.

This module is the single source of truth for the warehouse. The DuckDB DDL (:func:`ddl`), the validation at the
boundary (:func:`validate`) and the schema documentation in ``docs/schema.md`` (:func:`to_markdown`, kept in step
by a test) are all derived from :data:`TABLES`.

Conventions
-----------
- Money is in DKK (whole kroner, current prices), net operating spending (dranst 1, "I alt (netto)").
- Quantities are full-year persons (helårspersoner): a person served all year counts 1, half a year 0.5.
- Rates are full-year persons per 1,000 residents aged 18-64.
- Function codes are strings like ``'5.38.50'`` (the ministry's chart of accounts), paragraphs strings like
  ``'§108'`` (Social Services Act unless prefixed, e.g. ``'SUL §141'`` for the Health Act).
- ``person_id`` is a keyed pseudonym (see :mod:`analysis.privacy`); a CPR number never enters the warehouse, and
  validation refuses any CPR-shaped value in any text column.

Validation errors name the source, the row, the column, what was expected and what was found, and the load that
raised them changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from analysis.data import reference
from analysis.errors import InputError
from analysis.privacy import CPR_PATTERN, mask_cpr

__all__ = [
    "DATE_YEARS",
    "Column",
    "SchemaError",
    "Table",
    "TABLES",
    "ddl",
    "municipality_codes",
    "table",
    "to_markdown",
    "validate",
]

FUNCTION_CODE_PATTERN = r"^\d\.\d{2}\.\d{2}$"
SECTORS = ("employment", "children_families", "adults_social", "health")
PROVIDERS = ("internal", "external")
#: An activity row may say 'unknown' where its source has no internal/external split (Statistikbanken's HAND01).
ACTIVITY_PROVIDERS = (*PROVIDERS, "unknown")
#: What a line of the managers' expectations template says (table ``expectations``).
EXPECTATION_KINDS = ("start", "end", "change")

#: The years a date may fall in, at the schema and in the file loaders (:func:`analysis.data.values.parse_dates`);
#: the year 9999 of an open end (``31-12-9999``) is read as no end before (:func:`analysis.data.values.is_open_end`).
DATE_YEARS = (1800, 2199)

_DUCKDB_TYPES = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "date": "DATE", "bool": "BOOLEAN"}
_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "date": "a date (YYYY-MM-DD)",
    "bool": "true or false",
}


class SchemaError(InputError):
    """Raised when data does not fit the warehouse schema; nothing of the load was written.

    Attributes
    ----------
    source : str
        The file or source name the data came from.
    row : int or None
        The row number in the source (1-based data rows, or as counted by the loader's ``first_row``).
    column : str or None
        The offending column.
    expected : str
        What was expected.
    found : str or None
        What was found, as shown to the user: a value (quoted when text), or ``found_text`` verbatim when the
        error describes rather than shows what it found (e.g. "no such column", or a value that is person data).

    Every part (source, column, expected, found) has its CPR-shaped numbers masked as ``[CPR]``
    (:func:`analysis.privacy.mask_cpr`), whichever loader raised the error: a CPR number in a cell, a heading or a
    file name never reaches a message (the first six digits, the birth date, are person data too).
    """

    def __init__(
        self,
        source: str,
        expected: str,
        *,
        row: int | None = None,
        column: str | None = None,
        found: object = None,
        found_text: str | None = None,
    ):
        source, column, expected = mask_cpr(source), mask_cpr(column), mask_cpr(expected)
        self.source, self.row, self.column, self.expected = source, row, column, expected
        if found_text is not None:
            self.found = mask_cpr(found_text)
        else:
            self.found = (
                None if found is None else mask_cpr(repr(found) if isinstance(found, str) else str(found))
            )
        where = [source]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        message = f"{', '.join(where)}: expected {expected}"
        if self.found is not None:
            message += f", found {self.found}"
        super().__init__(message)


@dataclass(frozen=True)
class Column:
    """One column of a warehouse table.

    ``dtype`` is one of ``int``, ``float``, ``str``, ``date``, ``bool``. ``allowed`` enumerates valid values,
    ``pattern`` is a regular expression text must match, ``minimum``/``maximum`` bound numbers (inclusive).
    """

    name: str
    dtype: str
    unit: str
    meaning: str
    nullable: bool = False
    allowed: tuple | Callable[[], tuple] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def allowed_values(self) -> tuple | None:
        """The enumerated valid values, resolving lazily computed ones."""
        return self.allowed() if callable(self.allowed) else self.allowed


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row: ``ok(df)`` returns a boolean Series, True where the row is valid."""

    columns: tuple[str, ...]
    expected: str
    ok: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Table:
    """A warehouse table: its columns, primary key and row rules."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        """The column names in warehouse order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@cache
def municipality_codes() -> tuple[int, ...]:
    """The 98 municipality codes of Statistics Denmark, ascending (from the package's reference list)."""
    return tuple(sorted(int(c) for c in reference.municipalities()["municipality_code"]))


def _municipality(meaning: str = "Statistics Denmark's 3-digit municipality code (kommunekode)") -> Column:
    return Column("municipality_code", "int", "code", meaning, allowed=municipality_codes)


def _year() -> Column:
    return Column("year", "int", "calendar year", "Accounting year", minimum=2000, maximum=2100)


def _function_code() -> Column:
    return Column(
        "function_code",
        "str",
        "code",
        "Function in the ministry's chart of accounts, dotted (e.g. '5.38.50')",
        pattern=FUNCTION_CODE_PATTERN,
    )


def _paragraph(nullable: bool = False) -> Column:
    return Column(
        "paragraph",
        "str",
        "text",
        "Section of the law the service is granted under (e.g. '§108')",
        nullable=nullable,
    )


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "municipalities",
            "One row per municipality and year: structural indicators used to compare municipalities.",
            (
                _municipality(),
                Column(
                    "municipality", "str", "name", "Municipality name as in Statistics Denmark's nomenclature"
                ),
                Column("region", "str", "name", "Region, e.g. 'Region Midtjylland'"),
                Column(
                    "municipality_group",
                    "str",
                    "name",
                    "Statistics Denmark's municipality group (kommunegruppe), e.g. 'Landkommuner'",
                ),
                _year(),
                Column("population", "int", "persons", "Residents on 1 January", minimum=0),
                Column("population_18_64", "int", "persons", "Residents aged 18-64 on 1 January", minimum=0),
                Column(
                    "population_0_17",
                    "int",
                    "persons",
                    "Residents aged 0-17 on 1 January (the yardstick of main function 5.28, children and young "
                    "people); empty in a warehouse loaded before it was added (load FOLK1A again)",
                    nullable=True,
                    minimum=0,
                ),
                Column(
                    "socioeconomic_index",
                    "float",
                    "index, 1.0 = national average",
                    "Socio-economic index; above 1 means a heavier socio-economic burden",
                    minimum=0,
                ),
                Column(
                    "population_density",
                    "float",
                    "residents per km²",
                    "Residents per square kilometre of land",
                    minimum=0,
                ),
            ),
            key=("municipality_code", "year"),
        ),
        Table(
            "socioeconomic_index",
            "The ministry's socio-economic index per municipality and year (Indenrigs- og Boligministeriets "
            "socioøkonomiske indeks, as published for the equalisation scheme), loaded by `analysis load "
            "socioeconomic`; a file replaces the index of the years it holds. When loaded, the benchmark compares "
            "peers on it (the report's year, else the latest year before) instead of the illustrative index of "
            "`municipalities`.",
            (
                _municipality(),
                Column(
                    "year",
                    "int",
                    "calendar year",
                    "The year the index is published for (udligningsår)",
                    minimum=2000,
                    maximum=2100,
                ),
                Column(
                    "socioeconomic_index",
                    "float",
                    "index, 1.0 = national average",
                    "Socio-economic index; above 1 means a heavier socio-economic burden (published also as "
                    "100 = national average, stored divided by 100)",
                    minimum=0,
                ),
            ),
            key=("municipality_code", "year"),
        ),
        Table(
            "function_areas",
            "The function areas (funktioner) of the chart of accounts the workbench analyses.",
            (
                _function_code(),
                Column(
                    "name", "str", "text", "Danish name as in the chart of accounts (konteringsvejledningen)"
                ),
                _paragraph(),
                Column(
                    "paragraphs",
                    "str",
                    "text",
                    "All sections of the law the area covers, as written in Danish",
                ),
            ),
            key=("function_code",),
        ),
        Table(
            "accounts",
            "Annual accounts: net operating spending per municipality, year and function.",
            (
                _municipality(),
                _year(),
                _function_code(),
                Column("spending_dkk", "float", "DKK", "Net operating spending (dranst 1, I alt netto)"),
            ),
            key=("municipality_code", "year", "function_code"),
        ),
        Table(
            "budgets",
            "Annual corrected budgets per municipality, year and function.",
            (
                _municipality(),
                _year(),
                _function_code(),
                Column("budget_dkk", "float", "DKK", "Corrected annual budget, net operating"),
            ),
            key=("municipality_code", "year", "function_code"),
        ),
        Table(
            "activity",
            "Activity and spending per paragraph and provider type; spending sums to the area's accounts.",
            (
                _municipality(),
                _year(),
                _function_code(),
                _paragraph(),
                Column(
                    "provider",
                    "str",
                    "category",
                    "'internal' (the municipality's own offers) or 'external' (other municipalities, regions, "
                    "private); 'unknown' where the source has no split (Statistikbanken's HAND01)",
                    allowed=ACTIVITY_PROVIDERS,
                ),
                Column("full_year_persons", "float", "full-year persons", "Quantity served", minimum=0),
                Column("spending_dkk", "float", "DKK", "Net operating spending on this activity"),
            ),
            key=("municipality_code", "year", "function_code", "paragraph", "provider"),
        ),
        Table(
            "capacity",
            "Places (pladser) in the municipality's own offers per year and function; with the internal full-year "
            "persons of the activity table they give the occupancy of own places.",
            (
                _municipality(),
                _year(),
                _function_code(),
                Column(
                    "places",
                    "float",
                    "places",
                    "Places in the municipality's own offers, yearly average",
                    minimum=0,
                ),
            ),
            key=("municipality_code", "year", "function_code"),
        ),
        Table(
            "ledger",
            "Monthly ledger: postings summed per municipality, function, year and month; months sum to the accounts.",
            (
                _municipality(),
                _function_code(),
                _year(),
                Column(
                    "month", "int", "month number", "Month of posting, 1 = January", minimum=1, maximum=12
                ),
                Column("spending_dkk", "float", "DKK", "Postings of the month, net"),
            ),
            key=("municipality_code", "function_code", "year", "month"),
        ),
        Table(
            "cases",
            "Person-level cases from the case systems of the four sectors, pseudonymised on ingest.",
            (
                Column(
                    "case_id",
                    "str",
                    "identifier",
                    "Case number in the source system, unique per municipality",
                ),
                Column("person_id", "str", "pseudonym", "Keyed pseudonym of the person's CPR number"),
                _municipality("Paying municipality"),
                Column(
                    "sector", "str", "category", "Sector that grants and pays the service", allowed=SECTORS
                ),
                Column("measure", "str", "text", "The measure or service (Danish)"),
                _paragraph(nullable=True),
                Column(
                    "function_code",
                    "str",
                    "code",
                    "Function in the chart of accounts the case is paid on (e.g. '5.38.50'); empty when unknown",
                    nullable=True,
                    pattern=FUNCTION_CODE_PATTERN,
                ),
                Column("provider", "str", "category", "'internal' or 'external'", allowed=PROVIDERS),
                Column("start_date", "date", "date", "First day of the service"),
                Column(
                    "end_date", "date", "date", "Last day of the service; empty while running", nullable=True
                ),
                Column(
                    "monthly_cost_dkk",
                    "float",
                    "DKK per month",
                    "Monthly cost registered on the person; empty when not CPR-registered",
                    nullable=True,
                    minimum=0,
                ),
                Column(
                    "cpr_registered",
                    "bool",
                    "flag",
                    "True when the spending is registered on the person's CPR number in the finance system",
                ),
                Column(
                    "planned_end_date",
                    "date",
                    "date",
                    "Last day the service is granted for (bevilget til); empty when open-ended",
                    nullable=True,
                ),
                Column(
                    "age_at_start_year",
                    "int",
                    "years",
                    "The person's age in whole years on 1 January of the year the case starts (0 when born that "
                    "year), derived at ingest from a birth date or the CPR number, which are not stored; the age "
                    "on 1 January of year Y is this + (Y - start year). Empty when unknown",
                    nullable=True,
                    minimum=0,
                    maximum=130,
                ),
            ),
            key=("municipality_code", "case_id"),
            rules=(
                RowRule(
                    ("start_date", "end_date"),
                    "end_date on or after start_date",
                    lambda d: d["end_date"].isna() | (d["end_date"] >= d["start_date"]),
                ),
                RowRule(
                    ("cpr_registered", "monthly_cost_dkk"),
                    "a monthly_cost_dkk on every CPR-registered case",
                    lambda d: ~d["cpr_registered"] | d["monthly_cost_dkk"].notna(),
                ),
                RowRule(
                    ("start_date", "planned_end_date"),
                    "planned_end_date on or after start_date",
                    lambda d: d["planned_end_date"].isna() | (d["planned_end_date"] >= d["start_date"]),
                ),
            ),
        ),
        Table(
            "expectations",
            "Managers' expectations for the disposition (forventninger): expected starts, ends and need changes "
            "per area, from the template loaded by `analysis load expectations`; a file replaces the expectations "
            "of the areas it holds.",
            (
                _municipality(),
                _function_code(),
                Column(
                    "line",
                    "int",
                    "number",
                    "Line of the expectation within its area in the file, from 1",
                    minimum=1,
                ),
                Column(
                    "kind",
                    "str",
                    "category",
                    "'start' (expected new cases), 'end' (an expected end) or 'change' (a change of need)",
                    allowed=EXPECTATION_KINDS,
                ),
                Column(
                    "date",
                    "date",
                    "date",
                    "start: first day of the service; end: last day paid; change: first day at the new cost",
                ),
                Column(
                    "case_id",
                    "str",
                    "identifier",
                    "The case an end or change concerns (its case number); empty for starts and unnamed ends",
                    nullable=True,
                ),
                Column(
                    "cases",
                    "int",
                    "cases",
                    "Number of cases the line is about (1 for a named case)",
                    minimum=1,
                ),
                Column(
                    "monthly_cost_dkk",
                    "float",
                    "DKK per month",
                    "start and unnamed end: the cost of each case; change: the change of the monthly cost (may be "
                    "negative); empty for the end of a named case (its own cost)",
                    nullable=True,
                ),
                Column("note", "str", "text", "The manager's note (Danish)", nullable=True),
                Column(
                    "entered_date",
                    "date",
                    "date",
                    "When the expectation was entered; empty: known from the start (used to avoid look-ahead)",
                    nullable=True,
                ),
            ),
            key=("municipality_code", "function_code", "line"),
            rules=(
                RowRule(
                    ("kind", "monthly_cost_dkk"),
                    "a monthly_cost_dkk on every start and change",
                    lambda d: ~d["kind"].isin(["start", "change"]) | d["monthly_cost_dkk"].notna(),
                ),
                RowRule(
                    ("kind", "case_id", "monthly_cost_dkk"),
                    "an end either of a named case (case_id) or with a monthly_cost_dkk",
                    lambda d: (d["kind"] != "end") | d["case_id"].notna() | d["monthly_cost_dkk"].notna(),
                ),
                RowRule(
                    ("kind", "case_id"),
                    "no case_id on a start (a new case has no case number yet)",
                    lambda d: (d["kind"] != "start") | d["case_id"].isna(),
                ),
            ),
        ),
        Table(
            "programme_members",
            "Membership of cross-sector programmes, pseudonymised on ingest.",
            (
                Column("person_id", "str", "pseudonym", "Keyed pseudonym of the person's CPR number"),
                _municipality(),
                Column("programme", "str", "name", "Name of the cross-sector programme"),
                Column("joined", "date", "date", "Date the person joined the programme"),
                Column("left", "date", "date", "Date the person left; empty while a member", nullable=True),
            ),
            key=("person_id", "programme", "joined"),
            rules=(
                RowRule(
                    ("joined", "left"),
                    "left on or after joined",
                    lambda d: d["left"].isna() | (d["left"] >= d["joined"]),
                ),
            ),
        ),
        Table(
            "budget_assumptions",
            "Budget assumptions (budgetforudsætninger), append-only: one version per run of `analysis budget`, "
            "a quantity and a price per function, paragraph and provider; earlier versions are never changed.",
            (
                _municipality(),
                Column("year", "int", "calendar year", "Budget year", minimum=2000, maximum=2100),
                _function_code(),
                _paragraph(),
                Column("provider", "str", "category", "'internal' or 'external'", allowed=PROVIDERS),
                Column("full_year_persons", "float", "full-year persons", "Quantity assumption", minimum=0),
                Column("price_dkk", "float", "DKK per full-year person", "Price assumption", minimum=0),
                Column("amount_dkk", "float", "DKK", "Budget need: full_year_persons × price_dkk"),
                Column(
                    "version", "int", "number", "Version of the municipality's budget year, from 1", minimum=1
                ),
                Column("created_at", "str", "ISO 8601 time, UTC", "When the version was recorded"),
                Column(
                    "inputs",
                    "str",
                    "JSON",
                    "What the version was computed from: base year, index, growth, decisions, peers",
                ),
            ),
            key=("municipality_code", "year", "function_code", "paragraph", "provider", "version"),
            rules=(
                RowRule(
                    ("full_year_persons", "price_dkk", "amount_dkk"),
                    "amount_dkk equal to full_year_persons × price_dkk (to the krone)",
                    lambda d: (d["amount_dkk"] - d["full_year_persons"] * d["price_dkk"]).abs() < 1.0,
                ),
            ),
        ),
        Table(
            "followup_journal",
            "The journal of monthly follow-ups (budgetopfølgning), append-only: what was reported for each area "
            "and month; a re-run on unchanged data records nothing, changed data a new version.",
            (
                _municipality(),
                Column("year", "int", "calendar year", "Year followed up", minimum=2000, maximum=2100),
                Column(
                    "month",
                    "int",
                    "month number",
                    "Last booked month of the follow-up",
                    minimum=1,
                    maximum=12,
                ),
                _function_code(),
                Column("budget_dkk", "float", "DKK", "The year's corrected budget"),
                Column(
                    "budget_to_date_dkk",
                    "float",
                    "DKK",
                    "The budget periodised to the end of the month by the area's usual monthly profile",
                ),
                Column("booked_dkk", "float", "DKK", "Booked from January to the end of the month"),
                Column("forecast_dkk", "float", "DKK", "Year-end forecast"),
                Column(
                    "lower_dkk",
                    "float",
                    "DKK",
                    "Lower bound of the 80 % interval; empty if not computed",
                    nullable=True,
                ),
                Column(
                    "upper_dkk",
                    "float",
                    "DKK",
                    "Upper bound of the 80 % interval; empty if not computed",
                    nullable=True,
                ),
                Column("method", "str", "name", "The forecast method chosen (analysis.forecast)"),
                Column(
                    "full_year_persons",
                    "float",
                    "full-year persons",
                    "Quantity the forecast pays for; empty without activity data",
                    nullable=True,
                ),
                Column(
                    "price_dkk",
                    "float",
                    "DKK per full-year person",
                    "Price of the forecast (forecast / quantity); empty without a quantity",
                    nullable=True,
                ),
                Column(
                    "budget_version",
                    "int",
                    "number",
                    "Version of budget_assumptions measured against; empty when none was recorded",
                    nullable=True,
                ),
                Column(
                    "total_forecast_dkk",
                    "float",
                    "DKK",
                    "Year-end forecast of all the municipality's areas of the month (the sum of their forecasts; "
                    "the same on each of its rows); empty in a version recorded before it was added",
                    nullable=True,
                ),
                Column(
                    "total_lower_dkk",
                    "float",
                    "DKK",
                    "Lower bound of the total's 80 % interval (from the areas' back-tested errors summed per "
                    "year, not the sum of their bounds); empty if not computed",
                    nullable=True,
                ),
                Column(
                    "total_upper_dkk",
                    "float",
                    "DKK",
                    "Upper bound of the total's 80 % interval; empty if not computed",
                    nullable=True,
                ),
                Column("version", "int", "number", "Version of the municipality's month, from 1", minimum=1),
                Column("created_at", "str", "ISO 8601 time, UTC", "When the version was recorded"),
                Column(
                    "data_fingerprint",
                    "str",
                    "hash",
                    "Fingerprint of the rows read (ledger to the month, budgets, accounts, activity, assumptions)",
                ),
            ),
            key=("municipality_code", "year", "month", "function_code", "version"),
        ),
        Table(
            "population_projection",
            "A population projection (befolkningsfremskrivning) by municipality, year and age, e.g. Statistics "
            "Denmark's FRKM1YY, from `analysis load projection`; a file replaces the municipalities it holds.",
            (
                _municipality(),
                Column(
                    "year",
                    "int",
                    "calendar year",
                    "Year (population on 1 January)",
                    minimum=2000,
                    maximum=2100,
                ),
                Column(
                    "age_from",
                    "int",
                    "years of age",
                    "First age of the row (a single age or a group)",
                    minimum=0,
                ),
                Column(
                    "age_to", "int", "years of age", "Last age of the row (125 for an open top)", minimum=0
                ),
                Column("persons", "float", "persons", "Projected residents, both sexes", minimum=0),
                Column("source", "str", "name", "The projection, e.g. 'FRKM125' or the file's name"),
            ),
            key=("municipality_code", "year", "age_from"),
            rules=(
                RowRule(
                    ("age_from", "age_to"),
                    "age_to at or above age_from",
                    lambda d: d["age_to"] >= d["age_from"],
                ),
            ),
        ),
    )
}


def table(name: str) -> Table:
    """The table called ``name``; an unknown name gets a message with the nearest valid one."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown table '{name}'{_suggest(name, TABLES)}; tables: {', '.join(TABLES)}"
        ) from None


def _suggest(value, valid) -> str:
    """' (did you mean ...?)' with the nearest valid value: by size for numbers, by spelling for text."""
    valid = list(valid)
    if (
        valid
        and all(isinstance(v, int | float) for v in valid)
        and isinstance(value, int | float | np.number)
    ):
        near = [min(valid, key=lambda v: (abs(v - value), v))]
    else:
        near = difflib.get_close_matches(str(value), [str(v) for v in valid], n=1)
    return f" (did you mean '{near[0]}'?)" if near else ""


def ddl(t: Table) -> str:
    """The DuckDB ``CREATE TABLE`` statement of table ``t``."""
    cols = []
    for c in t.columns:
        line = f'"{c.name}" {_DUCKDB_TYPES[c.dtype]}' + ("" if c.nullable else " NOT NULL")
        cols.append(line)
    cols.append(f"PRIMARY KEY ({', '.join(t.key)})")
    return f"CREATE TABLE IF NOT EXISTS {t.name} (\n    " + ",\n    ".join(cols) + "\n)"


def _bad(mask: pd.Series) -> int | None:
    """Position of the first True in ``mask``, or None."""
    hits = np.flatnonzero(mask.to_numpy(dtype=bool))
    return int(hits[0]) if len(hits) else None


def _coerce(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    """Convert ``series`` to the column's type; returns (converted, mask of values that failed to convert)."""
    present = series.notna()
    if col.dtype in ("int", "float"):
        values = pd.to_numeric(series, errors="coerce")
        if values.dtype == bool:
            values = values.astype(float)
        failed = present & values.isna()
        if col.dtype == "int":
            fractional = values.notna() & (values != np.floor(values.fillna(0)))
            failed = failed | fractional
            out = values.where(~failed).astype("Int64")
        else:
            failed = failed | (values.notna() & ~np.isfinite(values.astype(float)))
            out = values.astype(float)
        return out, failed
    if col.dtype == "str":
        ok = series.map(lambda v: isinstance(v, str))
        return series.where(present, None).astype(object), present & ~ok
    if col.dtype == "date":
        out = _dates(series)
        # a year outside DATE_YEARS (e.g. 9999, 3024) is refused here, not left to fail the conversion to
        # nanoseconds (pandas' OutOfBoundsDatetime past 2262) or to reach the warehouse
        outside = _outside_years(out)
        return out.mask(outside).astype("datetime64[ns]"), (present & out.isna()) | outside
    if col.dtype == "bool":
        mapped = series.map(_to_bool)
        return mapped.astype("boolean"), present & mapped.isna()
    raise ValueError(f"unknown dtype {col.dtype!r}")  # pragma: no cover - schema definition error


def _dates(series: pd.Series) -> pd.Series:
    """Dates, datetimes or ISO text (``YYYY-MM-DD``) as datetimes of any year; NaT where empty or not one."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.to_datetime(series)
    text = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _outside_years(dates: pd.Series) -> pd.Series:
    """True for a date whose year is outside :data:`DATE_YEARS`."""
    years = dates.dt.year
    return dates.notna() & ((years < DATE_YEARS[0]) | (years > DATE_YEARS[1]))


def _to_bool(value) -> bool | None:
    """``True``/``False``, 1/0 or the text true/false/1/0 as a bool; anything else None."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    return None


def validate(df: pd.DataFrame, table_name: str, source: str, *, first_row: int = 1) -> pd.DataFrame:
    """Check ``df`` against the schema of ``table_name`` and return it typed and in warehouse column order.

    Parameters
    ----------
    df
        The rows to load, one column per warehouse column (names as in the schema).
    table_name
        The warehouse table the rows are for.
    source
        The file or source name used in error messages.
    first_row
        The number the first row of ``df`` has in the source (e.g. 2 for a CSV with a header line), so that
        errors point at the source's own row numbers.

    Raises
    ------
    SchemaError
        At the first problem found, naming source, row, column, what was expected and what was found.
    """
    t = table(table_name)
    expected_cols = t.column_names
    for name in df.columns:
        if name not in expected_cols:
            raise SchemaError(
                source,
                f"only the columns of table '{t.name}' ({', '.join(expected_cols)}){_suggest(name, expected_cols)}",
                column=str(name),
                found_text="an unexpected column",
            )
    df = df.reset_index(drop=True)
    for col in t.columns:
        if col.name not in df.columns:
            if not col.nullable:
                raise SchemaError(
                    source,
                    f"a column '{col.name}' for table '{t.name}'",
                    column=col.name,
                    found_text="no such column",
                )
            df[col.name] = None  # an optional column may be left out: all empty
    out = {}
    for col in t.columns:
        raw = df[col.name]
        values, failed = _coerce(raw, col)
        i = _bad(failed)
        if i is not None:
            expected = _EXPECTED[col.dtype]
            if col.dtype == "date" and _outside_years(_dates(raw.iloc[[i]])).iloc[0]:
                expected = f"a date (YYYY-MM-DD) in the years {DATE_YEARS[0]}-{DATE_YEARS[1]}"
            raise SchemaError(source, expected, row=i + first_row, column=col.name, found=raw.iloc[i])
        if not col.nullable:
            i = _bad(values.isna())
            if i is not None:
                raise SchemaError(
                    source, f"a value ({col.unit})", row=i + first_row, column=col.name, found_text="empty"
                )
        allowed = col.allowed_values()
        if allowed is not None:
            i = _bad(values.notna() & ~values.isin(allowed))
            if i is not None:
                shown = ", ".join(repr(a) for a in allowed[:6]) + (", ..." if len(allowed) > 6 else "")
                raise SchemaError(
                    source,
                    f"one of {shown}{_suggest(values.iloc[i], allowed)}",
                    row=i + first_row,
                    column=col.name,
                    found=raw.iloc[i],
                )
        if col.pattern is not None:
            i = _bad(values.notna() & ~values.astype("string").str.match(col.pattern).fillna(False))
            if i is not None:
                raise SchemaError(
                    source,
                    f"text matching {col.pattern}",
                    row=i + first_row,
                    column=col.name,
                    found=raw.iloc[i],
                )
        if col.minimum is not None:
            i = _bad(values.notna() & (values < col.minimum))
            if i is not None:
                raise SchemaError(
                    source,
                    f"at least {col.minimum:g} ({col.unit})",
                    row=i + first_row,
                    column=col.name,
                    found=raw.iloc[i],
                )
        if col.maximum is not None:
            i = _bad(values.notna() & (values > col.maximum))
            if i is not None:
                raise SchemaError(
                    source,
                    f"at most {col.maximum:g} ({col.unit})",
                    row=i + first_row,
                    column=col.name,
                    found=raw.iloc[i],
                )
        if col.dtype == "str":
            i = _bad(values.notna() & values.astype("string").str.contains(CPR_PATTERN).fillna(False))
            if i is not None:
                raise SchemaError(
                    source,
                    "no CPR number (pseudonymise person data before loading)",
                    row=i + first_row,
                    column=col.name,
                    found_text="a CPR-shaped value",
                )
        out[col.name] = values
    typed = pd.DataFrame(out)
    for rule in t.rules:
        i = _bad(~rule.ok(typed).fillna(True).astype(bool))
        if i is not None:
            found = ", ".join(f"{c}={_show(typed[c].iloc[i])}" for c in rule.columns)
            raise SchemaError(
                source, rule.expected, row=i + first_row, column=rule.columns[-1], found_text=found
            )
    dup = typed.duplicated(list(t.key), keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = typed.iloc[rows[0]][list(t.key)]
        same = [int(r) + first_row for r in rows if (typed.iloc[r][list(t.key)] == first).all()]
        key = ", ".join(f"{k}={_show(v)}" for k, v in first.items())
        raise SchemaError(
            source,
            f"one row per key ({', '.join(t.key)})",
            row=same[1],
            column=t.key[-1],
            found_text=f"the same key as row {same[0]} ({key})",
        )
    return typed


def _show(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "empty"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


#: The warehouse's bookkeeping tables (made by :mod:`analysis.data.loads`), described in ``docs/schema.md``.
BOOKKEEPING = [
    "## Bookkeeping tables",
    "",
    "Made by the loaders (`analysis.data.loads`); the data-quality report reads `_loads` and `_findings`.",
    "",
    "- `_meta`: key/value facts about the warehouse (`kind`: `sample` or `own data`, the generator version ...).",
    "- `_loads`: one row per load: load_id, loaded_at, kind (`statbank`, `ledger`, `cases`, `expectations`, "
    "`socioeconomic`, `projection`), source (file name), "
    "sha256 (of the file's bytes), options (JSON: table id, mapping fingerprint, municipality, period), target "
    "(the table written), municipality_code, rows_read, rows_loaded, rows_new, rows_changed, rows_removed, "
    "rows_skipped, skipped and notes (JSON), undone_at (when `analysis undo` undid it; empty while in force).",
    "- `_findings`: the data-quality findings of the loads in force (load_id, kind, source, municipality_code, "
    "check, count, unit, examples, note); `_findings_history` keeps those a later load of the same file replaced "
    "(replaced_by: that load).",
    "- `_history_<table>` (one per table above): load_id, change, then the table's columns. `before`: a row the "
    "load replaced or removed, as it was; `after`: the key of a row the load wrote. `analysis undo LOAD_ID` "
    "deletes the `after` keys and restores the `before` rows.",
    "",
]


def to_markdown(tables: Mapping[str, Table] = TABLES) -> str:
    """The schema as Markdown: one section per table with column, type, unit and meaning."""
    parts = [
        "# Warehouse schema",
        "",
        "Generated from `src/analysis/data/schema.py` (`analysis schema`).",
        "",
    ]
    for t in tables.values():
        parts += [f"## `{t.name}`", "", t.description, "", f"Key: {', '.join(t.key)}.", ""]
        parts += ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        for c in t.columns:
            typ = c.dtype + (", may be empty" if c.nullable else "")
            meaning = c.meaning.replace("|", "\\|")
            allowed = c.allowed_values()
            if allowed is not None and len(allowed) <= 6:
                meaning += " (" + " / ".join(f"`{a}`" for a in allowed) + ")"
            parts.append(f"| `{c.name}` | {typ} | {c.unit} | {meaning} |")
        for r in t.rules:
            parts.append(f"\nRule: {r.expected}.")
        parts.append("")
    parts += BOOKKEEPING
    return "\n".join(parts)

"""From Statistikbanken's tables to warehouse rows: REGK31, BUDK32, FOLK1A, HAND01 and ARE207.

Each function takes :func:`analysis.data.statbank.read`'s frame (and what it needs from the warehouse, as frames)
and returns :class:`Converted`: the rows, what was left out and why, notes, findings and the source of each
structural feature. Nothing here opens a file or the warehouse but the HAND01 mapping (``parameters/statbank/``,
else the package's default copy).

Units are never bypassed: amounts in 1.000 kr. become kroner; kroner per resident become kroner with the FOLK1A
population of the municipality and year (passed in; refused naming FOLK1A when missing); ``unit`` (``--unit``)
applies only to a PRISENHED in kroner whose label does not say its unit (a file with codes only).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.data import reference
from analysis.data.loads import Finding
from analysis.data.schema import SchemaError
from analysis.data.statbank.parse import _TOTALS
from analysis.data.yamlfiles import decode_yaml, safe_load
from analysis.errors import ConfigurationError
from analysis.paths import parameters_dir

__all__ = [
    "Converted",
    "HAND_FUNCTIONS",
    "hand_mapping",
    "paragraph",
    "service",
    "to_accounts",
    "to_activity",
    "to_areas",
    "to_budgets",
    "to_municipalities",
]

#: Sources of the structural features, as a report names them.
SOURCE_FOLK1A = "Danmarks Statistik, FOLK1A (befolkningen 1. januar)"
SOURCE_ARE207 = "Danmarks Statistik, ARE207 (areal)"
SOURCE_REFERENCE_AREA = "værktøjets referenceliste over kommunerne (areal, afrundet)"
SOURCE_REFERENCE_INDEX = "værktøjets illustrative referenceliste (ikke et officielt indeks)"


@dataclass
class Converted:
    """Warehouse rows made from a Statistics Denmark table, with what was left out and why.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows, with the warehouse table's columns.
    table : str
        The warehouse table.
    skipped : dict
        Observations not loaded, by reason.
    notes : list of str
        Assumptions made and what the table cannot fill.
    findings : list of Finding
        Data-quality findings (e.g. a year of HAND01 with missing quarters).
    sources : pandas.DataFrame or None
        For ``municipalities``: municipality_code, year, feature, source of each structural feature.
    """

    frame: pd.DataFrame
    table: str
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sources: pd.DataFrame | None = None


def _skip(skipped: dict[str, int], reason: str, n: int) -> None:
    if n:
        skipped[reason] = skipped.get(reason, 0) + int(n)


def _label(df: pd.DataFrame, column: str, value: str) -> str:
    """The label of a code (JSON-stat), or the value itself."""
    return df.attrs.get("labels", {}).get(column, {}).get(value, value)


def _municipalities_only(df: pd.DataFrame, skipped: dict[str, int]) -> pd.DataFrame:
    keep = df["area_level"] == "municipality"
    _skip(skipped, "the whole country, regions and other areas (not municipalities)", (~keep).sum())
    return df[keep]


def _select(
    df: pd.DataFrame,
    column: str,
    wanted: Any,
    description: str,
    skipped: dict[str, int],
    name: str,
) -> pd.DataFrame:
    """Keep the rows whose ``column`` is the wanted value (a predicate on code or label); refuse when none is."""
    if column not in df.columns:
        return df
    values = df[column]
    ok = values.map(lambda v: bool(wanted(str(v)) or wanted(_label(df, column, str(v)))))
    if not ok.any():
        found = ", ".join(repr(v) for v in sorted(values.unique())[:6])
        raise SchemaError(name, description, column=column.upper(), found_text=found)
    _skip(skipped, f"other {column.upper()} values (only {description} is loaded)", (~ok).sum())
    return df[ok]


def _file_row(df: pd.DataFrame, label: Any) -> int | None:
    """The file row of the row ``label`` of :func:`~analysis.data.statbank.read`'s result, None where unknown."""
    rows = df.attrs.get("rows")
    if rows is None or not isinstance(label, int | np.integer) or not 0 <= int(label) < len(rows):
        return None
    return int(rows[int(label)]) if rows[int(label)] >= 0 else None


def _refuse_negative(df: pd.DataFrame, expected: str, name: str) -> None:
    """Refuse the first negative count (persons, services), naming its file row: a count below 0 is no count."""
    negative = (df["value"] < 0).to_numpy()
    if negative.any():
        at = df.index[negative][0]
        raise SchemaError(
            name, expected, row=_file_row(df, at), column="INDHOLD", found_text=f"{df.loc[at, 'value']:.15g}"
        )


def _refuse_total_unlike_ages(
    df: pd.DataFrame, totals: pd.Series, summed: pd.Series, all_ages: pd.Series, name: str
) -> None:
    """Refuse a FOLK1A age total that is not the sum of the ages 0-125 given beside it.

    Statistics Denmark's total is that sum; a file where they differ was edited or joined, and which of the two
    is the population is not guessed. Totals beside some ages only (18-64) cannot be checked, and are used.
    """
    for (code, year), total in totals.items():
        if all_ages.get((code, year), 0) != len(FOLK1A_AGES) or abs(total - summed[(code, year)]) < 0.5:
            continue
        at = df[(df["_age"] == "total") & (df["municipality_code"] == code) & (df["_year"] == year)].index[0]
        raise SchemaError(
            name,
            "the age total to be the sum of the ages 0-125 (which of the two is the population is not guessed)",
            row=_file_row(df, at),
            column="INDHOLD",
            found_text=f"{total:.15g} for {code} in {year}, while the ages sum to {summed[(code, year)]:.15g}",
        )


def _is_total(v: str) -> bool:
    return v.strip().casefold() in _TOTALS or v.strip().casefold().startswith(("i alt", "total"))


_VARIABLE = {"municipality_code": "OMRÅDE", "function_code": "FUNKTION", "period": "TID", "value": "INDHOLD"}


def _require(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    for col in columns:
        if col not in df.columns:
            raise SchemaError(
                name, f"the variable {_VARIABLE[col]}", column=_VARIABLE[col], found_text="none"
            )


# ---------------------------------------------------------------------------------------------------------------
# Amounts: REGK31 and BUDK32


def _unit_of(label: str) -> str | None:
    """'per_resident', '1000', '1e6', '1' from a PRISENHED label, or None when it does not say."""
    t = label.casefold()
    if re.search(r"pr\.? indbygger|per capita|per inhabitant|per resident", t):
        return "per_resident"
    if re.search(r"1\.000 kr|1000 kr|dkk 1[.,]?000|1[.,]000 dkk", t):
        return "1000"
    if re.search(r"mio\.? kr|dkk (1 )?million|dkk mio", t):
        return "1e6"
    if re.search(r"\bkr\b|\bdkk\b", t):
        return "1"
    return None


def _unit(
    df: pd.DataFrame,
    prisenhed: str | None,
    unit: float | None,
    name: str,
    skipped: dict[str, int],
    notes: list[str],
) -> tuple[pd.DataFrame, float | str]:
    """Keep one PRISENHED; return the rows and the factor to DKK, or 'per_resident'."""
    if "prisenhed" not in df.columns:
        if unit is None:
            notes.append("no PRISENHED variable: amounts read as 1.000 kr. (REGK31's and BUDK32's unit)")
            unit = 1000.0
        return df, float(unit)
    values = sorted(df["prisenhed"].unique())

    def text(v: str) -> str:
        return _label(df, "prisenhed", v)

    kinds = {v: _unit_of(text(v)) for v in values}
    if prisenhed is not None:
        chosen = [v for v in values if v == prisenhed or text(v).casefold() == prisenhed.casefold()]
        if not chosen:
            raise SchemaError(
                name,
                f"a PRISENHED '{prisenhed}'",
                column="PRISENHED",
                found_text=", ".join(repr(v) for v in values),
            )
    else:
        chosen = [v for v in values if kinds[v] == "1000"]
        if not chosen:
            chosen = [v for v in values if kinds[v] in ("1", "1e6")]
        if not chosen:
            chosen = [v for v in values if kinds[v] == "per_resident"]
        if not chosen and len(values) == 1 and unit is not None:
            chosen = values
        if not chosen or len(chosen) > 1:
            raise SchemaError(
                name,
                "one PRISENHED in 1.000 kr. (PRISENHED doubles every row; choose one with --prisenhed, and give "
                "--unit when the file has codes only)",
                column="PRISENHED",
                found_text=", ".join(repr(v) for v in values),
            )
    keep = chosen[0]
    kind = kinds[keep]
    if kind == "per_resident":
        if unit is not None:
            raise SchemaError(
                name,
                "--unit only for a PRISENHED in kroner; kroner per resident are converted to kroner with the "
                "FOLK1A population in the warehouse (leave --unit out)",
                column="PRISENHED",
                found=text(keep),
            )
        factor: float | str = "per_resident"
    elif kind is not None:
        factor = {"1000": 1000.0, "1e6": 1e6, "1": 1.0}[kind]
        if unit is not None and float(unit) != factor:
            raise SchemaError(
                name,
                f"--unit {unit:g} to agree with the PRISENHED's own unit ({factor:g} kr.); leave --unit out",
                column="PRISENHED",
                found=text(keep),
            )
    elif unit is not None:
        factor = float(unit)
        notes.append(f"PRISENHED {keep!r} read as {unit:g} kr. per unit (--unit)")
    else:
        raise SchemaError(
            name,
            "a PRISENHED whose unit can be read (1.000 kr., kr., kr. pr. indbygger), or --unit for a file with "
            "codes only",
            column="PRISENHED",
            found=keep,
        )
    mask = df["prisenhed"] == keep
    _skip(skipped, "the other PRISENHED (each row is given in two units)", (~mask).sum())
    return df[mask], factor


def _annual(df: pd.DataFrame, name: str) -> pd.Series:
    other = [p for p in df["period"] if not (p.freqstr.startswith("Y") or p.freqstr.startswith("A"))]
    if other:  # quarters or months of amounts for a year: summing them, or taking one, would be a guess
        first = other[0]
        shown = (
            f"{first.year}K{first.quarter}"
            if first.freqstr.startswith("Q")
            else f"{first.year}M{first.month:02d}"
        )
        what = "quarters" if first.freqstr.startswith("Q") else "months"
        raise SchemaError(
            name,
            "yearly time codes (2024): the accounts and budgets are yearly; download the table by year",
            column="TID",
            found_text=f"{what} ({shown})",
        )
    return df["period"].map(lambda p: p.year).astype(int)


def _population_factor(
    frame: pd.DataFrame, population: pd.DataFrame | None, name: str
) -> tuple[np.ndarray, list[str]]:
    """Residents of each row's municipality and year, from the FOLK1A rows in ``population``; refuse if missing."""
    keys = frame[["municipality_code", "year"]]
    pop = (
        population[["municipality_code", "year", "population"]].astype(
            {"municipality_code": int, "year": int}
        )
        if population is not None and len(population)
        else pd.DataFrame({"municipality_code": [], "year": [], "population": []}, dtype=int)
    )
    merged = keys.merge(pop, on=["municipality_code", "year"], how="left")
    missing = merged[merged["population"].isna()][["municipality_code", "year"]].drop_duplicates()
    if len(missing):
        shown = ", ".join(f"{c} in {y}" for c, y in missing.head(5).itertuples(index=False))
        years = ", ".join(str(y) for y in sorted(missing["year"].unique()))
        raise SchemaError(
            name,
            "the population of each municipality and year in the warehouse, to turn kroner per resident into "
            f"kroner: load FOLK1A for {years} first (analysis load statbank FILE --table FOLK1A)",
            column="PRISENHED",
            found_text=f"no population for {shown}{' ...' if len(missing) > 5 else ''}",
        )
    notes = [
        "amounts in kroner per resident were multiplied by the FOLK1A population on 1 January of the year; "
        "Statistics Denmark rounds the amounts per resident, so the kroner are approximate (up to half a krone "
        "per resident)"
    ]
    return merged["population"].to_numpy(dtype=float), notes


def _money(
    df: pd.DataFrame,
    target: str,
    *,
    prisenhed: str | None,
    unit: float | None,
    name: str,
    population: pd.DataFrame | None,
) -> Converted:
    _require(df, ("municipality_code", "function_code", "period", "value"), name)
    skipped: dict[str, int] = {}
    notes: list[str] = []
    df = _municipalities_only(df, skipped)
    level = df["function_code"].map(lambda c: isinstance(c, str) and c.count(".") == 2)
    _skip(skipped, "totals and main functions (only functions such as 5.38.50 are loaded)", (~level).sum())
    df = df[level]
    df = _select(
        df,
        "dranst",
        lambda v: v == "1" or v.startswith("1 ") or "drift" in v.casefold() or "operating" in v.casefold(),
        "DRANST 1 (drift, operating accounts)",
        skipped,
        name,
    )
    df = _select(
        df,
        "art",
        lambda v: v.upper() == "TOT" or _is_total(v) or "netto" in v.casefold(),
        "ART 'I alt (netto)' (net total)",
        skipped,
        name,
    )
    if "dranst" not in df.columns:
        notes.append("no DRANST variable: read as operating accounts (dranst 1)")
    if "art" not in df.columns:
        notes.append("no ART variable: read as the net total ('I alt (netto)')")
    df, factor = _unit(df, prisenhed, unit, name, skipped, notes)
    missing = df["value"].isna()
    _skip(skipped, "no value ('..': missing or suppressed)", missing.sum())
    df = df[~missing]
    frame = pd.DataFrame(
        {
            "municipality_code": df["municipality_code"].astype(int).to_numpy(),
            "year": _annual(df, name).to_numpy(),
            "function_code": df["function_code"].to_numpy(),
        }
    )
    if factor == "per_resident":
        residents, more = _population_factor(frame, population, name)
        notes.extend(more)
        frame[target] = np.round(df["value"].to_numpy() * residents, 2)
    else:
        frame[target] = np.round(df["value"].to_numpy() * float(factor), 2)
    return Converted(frame, "", skipped, notes)


def to_accounts(
    df: pd.DataFrame,
    *,
    prisenhed: str | None = None,
    unit: float | None = None,
    name: str = "REGK31",
    population: pd.DataFrame | None = None,
) -> Converted:
    """Rows of table ``accounts`` from REGK31 (municipal accounts by area, function, dranst, art and price unit).

    Keeps municipalities (not the whole country, the regions or municipality groups), functions (not totals or
    main functions), dranst 1 (operating) and ART "I alt (netto)", and one PRISENHED: the one in 1.000 kr. when
    the file has it, else one in kroner, else kroner per resident (converted with ``population``).

    Parameters
    ----------
    df
        :func:`~analysis.data.statbank.read`'s result.
    prisenhed
        The PRISENHED to keep (code or label), when the file has more than one and none reads as 1.000 kr.
    unit
        DKK per unit of the kept PRISENHED (1000 for 1.000 kr.), only when its label does not say (codes only);
        refused for kroner per resident and when it contradicts the label.
    name
        Source name for errors.
    population
        Residents (municipality_code, year, population: the warehouse's FOLK1A rows), needed for kroner per
        resident.
    """
    out = _money(df, "spending_dkk", prisenhed=prisenhed, unit=unit, name=name, population=population)
    out.table = "accounts"
    return out


def to_budgets(
    df: pd.DataFrame,
    *,
    prisenhed: str | None = None,
    unit: float | None = None,
    name: str = "BUDK32",
    population: pd.DataFrame | None = None,
) -> Converted:
    """Rows of table ``budgets`` from BUDK32 (municipal budgets), selected as :func:`to_accounts` does.

    BUDK32 holds the budgets as adopted (the original budget); the warehouse's ``budget_dkk`` is meant to be the
    corrected budget, which Statistics Denmark does not publish: replace the rows with your own corrected budget
    where you have it.
    """
    out = _money(df, "budget_dkk", prisenhed=prisenhed, unit=unit, name=name, population=population)
    out.table = "budgets"
    out.notes.append(
        "BUDK32 holds the adopted (original) budgets; the workbench's budgets are corrected budgets, so budget "
        "deviations read against the original budget"
    )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Population: FOLK1A, and the area for the density: ARE207


def _age(v: str) -> int | None | str:
    """An age in whole years from '18 år', '18' or '18 years'; 'total' for a total; None otherwise."""
    if _is_total(v) or v.strip().upper() == "IALT":
        return "total"
    m = re.match(r"^(\d{1,3})(?:\s*(år|years?))?$", v.strip(), flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


#: The single ages of FOLK1A (0-125 years): without the age total, every one must be in the file.
FOLK1A_AGES = range(0, 126)


def to_areas(df: pd.DataFrame, *, name: str = "ARE207") -> Converted:
    """Areas of the municipalities (km²) from ARE207 (or any file of OMRÅDE, TID and INDHOLD in km²).

    Returns a Converted whose frame has municipality_code, year and area_km2 (table ``_areas``, kept beside the
    warehouse tables for the densities of later FOLK1A loads). A variable of units (ENHED) keeps the value in
    km² (not residents per km² or hectares).
    """
    _require(df, ("municipality_code", "period", "value"), name)
    skipped: dict[str, int] = {}
    df = _municipalities_only(df, skipped)
    for col in [c for c in df.columns if c not in ("municipality_code", "area_level", "period", "value")]:
        labels = df[col].map(lambda v, c=col, d=df: _label(d, c, str(v)).casefold())
        if labels.str.contains("km").any():
            df = _select(
                df,
                col,
                lambda v: "km" in v.casefold() and not re.search(r"pr\.|per", v.casefold()),
                f"{col.upper()} in km²",
                skipped,
                name,
            )
        else:
            df = _select(df, col, _is_total, f"the total of {col.upper()}", skipped, name)
    missing = df["value"].isna()
    _skip(skipped, "no value ('..': missing or suppressed)", missing.sum())
    df = df[~missing]
    bad = df["value"] <= 0
    if bad.any():
        at = df.index[bad.to_numpy()][0]
        raise SchemaError(
            name,
            "an area above 0 km²",
            row=_file_row(df, at),
            column="INDHOLD",
            found_text=f"{df.loc[at, 'value']:.15g}",
        )
    frame = pd.DataFrame(
        {
            "municipality_code": df["municipality_code"].astype(int).to_numpy(),
            "year": df["period"].map(lambda p: p.year).astype(int).to_numpy(),
            "area_km2": df["value"].to_numpy(dtype=float),
        }
    ).drop_duplicates(["municipality_code", "year"], keep="last")
    return Converted(frame.reset_index(drop=True), "_areas", skipped, [f"areas in km² from {name}"])


def _area_for(areas: pd.DataFrame | None, code: int, year: int) -> tuple[float, str] | None:
    """The area of a municipality in a year (else the nearest year) from loaded areas, with its source."""
    if areas is None or not len(areas):
        return None
    mine = areas[areas["municipality_code"] == code]
    if not len(mine):
        return None
    distance = (mine["year"] - year).abs() + (mine["year"] > year) * 0.5  # an earlier year before a later one
    row = mine.loc[distance.idxmin()]
    source = str(row["source"]) if "source" in mine.columns else SOURCE_ARE207
    return float(row["area_km2"]), source


def to_municipalities(
    df: pd.DataFrame, *, name: str = "FOLK1A", areas: pd.DataFrame | None = None
) -> Converted:
    """Rows of table ``municipalities`` from FOLK1A (population on the first day of the quarter, by area and age).

    ``population`` is the age total (else the sum of every single age 0-125), ``population_18_64`` the sum of
    ages 18 to 64 and ``population_0_17`` the sum of ages 0 to 17 (the yardstick of 5.28; left empty, with a
    note, for a municipality and year whose extract lacks one of those ages), on 1 January (the first quarter;
    years without a first quarter are left out). Every other
    variable (sex, KØN; marital status, CIVILSTAND) must be at its total: an extract for one sex or one marital
    status is refused, not taken as the population. ``population_density`` is the population per km² of the area
    in ``areas`` (ARE207, the year or the nearest), else of the package's reference list. Name, region and
    municipality group come from the reference list, and so does ``socioeconomic_index``, which there is
    illustrative. The source of each feature is in ``Converted.sources``.

    Parameters
    ----------
    df
        :func:`~analysis.data.statbank.read`'s result.
    name
        Source name for errors.
    areas
        municipality_code, year, area_km2 (and source) of loaded areas (:func:`to_areas`), or None.
    """
    _require(df, ("municipality_code", "period", "value"), name)
    if "alder" not in df.columns:
        raise SchemaError(name, "the variable ALDER (age)", column="ALDER", found_text="none")
    skipped: dict[str, int] = {}
    notes = [
        "name, region, municipality group and socio-economic index from the package's reference list "
        "(the index there is illustrative: load the ministry's with analysis load socioeconomic FILE, and the "
        "benchmark chooses peers on that)"
    ]
    df = _municipalities_only(df, skipped)
    for col in df.columns:
        if col in ("municipality_code", "area_level", "period", "value", "alder"):
            continue
        values = df[col].map(lambda v, c=col, d=df: _label(d, c, str(v)))
        if not values.map(_is_total).any() and not df[col].map(lambda v: _is_total(str(v))).any():
            shown = ", ".join(repr(v) for v in sorted(values.unique())[:4])
            raise SchemaError(
                name,
                f"{col.upper()} at its total ('I alt'): the population of a municipality counts everyone, and an "
                f"extract for part of it (one {col.upper()}) is not its population",
                column=col.upper(),
                found_text=shown,
            )
        df = _select(df, col, _is_total, f"the total of {col.upper()}", skipped, name)
    freq = {p.freqstr for p in df["period"]}
    if any(f.startswith("Q") for f in freq):
        first = df["period"].map(lambda p: p.quarter == 1)
        _skip(skipped, "quarters other than the first (population on 1 January is used)", (~first).sum())
        df = df[first]
    elif not all(f.startswith(("Y", "A")) for f in freq):
        raise SchemaError(
            name, "quarters (2024K1) or years", column="TID", found_text=", ".join(sorted(freq))
        )
    age_of = {
        v: (_age(str(v)) if _age(str(v)) is not None else _age(_label(df, "alder", v)))
        for v in df["alder"].unique()
    }
    ages = df["alder"].map(age_of)
    bad = ages.isna()
    if bad.any():
        raise SchemaError(
            name,
            "ages such as '18 år' or 'Alder i alt'",
            row=_file_row(df, df.index[bad.to_numpy()][0]),
            column="ALDER",
            found=str(df.loc[bad, "alder"].iloc[0]),
        )
    year_of = {p: p.year for p in df["period"].unique()}
    df = df.assign(_age=ages, _year=df["period"].map(year_of))
    if df["value"].isna().any():
        raise SchemaError(
            name,
            "a population count in every row",
            row=_file_row(df, df.index[df["value"].isna().to_numpy()][0]),
            column="INDHOLD",
            found_text="'..'",
        )
    _refuse_negative(df, "a number of residents, 0 or more", name)
    fraction = (df["value"] != df["value"].round()).to_numpy()
    if fraction.any():
        at = df.index[fraction][0]
        raise SchemaError(
            name,
            "a whole number of residents (a count with decimals may be a number written with a thousands "
            "separator, 1,234 for 1234)",
            row=_file_row(df, at),
            column="INDHOLD",
            found_text=f"{df.loc[at, 'value']:.15g}",
        )
    keys = ["municipality_code", "_year"]
    is_total = (df["_age"] == "total").to_numpy()
    single = df[~is_total].assign(_n=lambda d: d["_age"].astype(int))
    totals = df[is_total].groupby(keys)["value"].first()
    summed = single.groupby(keys)["value"].sum()
    working = single[single["_n"].between(18, 64)].groupby(keys)["value"].sum()
    working_ages = single[single["_n"].between(18, 64)].groupby(keys)["_n"].nunique()
    young = single[single["_n"].between(0, 17)].groupby(keys)["value"].sum()
    young_ages = single[single["_n"].between(0, 17)].groupby(keys)["_n"].nunique()
    all_ages = single[single["_n"].between(0, 125)].groupby(keys)["_n"].nunique()
    groups = df.groupby(keys).size().index
    for code, year in groups:
        has_total = (code, year) in totals.index
        complete = (
            working_ages.get((code, year), 0) == 47 if has_total else all_ages.get((code, year), 0) == 126
        )
        if not complete:
            present = set(single.loc[(single["municipality_code"] == code) & (single["_year"] == year), "_n"])
            needed = range(18, 65) if has_total else FOLK1A_AGES
            missing = [a for a in needed if a not in present]
            what = (
                "every age from 18 to 64 (ALDER=*)"
                if has_total
                else "the age total or every age 0-125 (ALDER=*)"
            )
            raise SchemaError(
                name,
                what,
                column="ALDER",
                found_text=f"no {', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''} for "
                f"{code} in {year}",
            )
    _refuse_total_unlike_ages(df, totals, summed, all_ages, name)
    population = totals.reindex(groups).fillna(summed.reindex(groups))
    rows = [
        (
            int(code),
            int(year),
            round(float(pop)),
            round(float(working.get((code, year), 0.0))),
            round(float(young[(code, year)])) if young_ages.get((code, year), 0) == 18 else None,
        )
        for (code, year), pop in population.items()
    ]
    base = pd.DataFrame(
        rows, columns=["municipality_code", "year", "population", "population_18_64", "population_0_17"]
    ).astype({"population_0_17": "Int64"})
    if base["population_0_17"].isna().any():
        notes.append(
            "residents aged 0-17 left empty where the extract lacks one of the ages 0-17 (ALDER=* gives them; "
            "the benchmark of 5.28, children and young people, needs them)"
        )
    ref = reference.municipalities()
    frame = base.merge(ref, on="municipality_code", how="left")
    area, area_source = [], []
    for code, year, ref_area in frame[["municipality_code", "year", "area_km2"]].itertuples(index=False):
        found = _area_for(areas, int(code), int(year))
        area.append(found[0] if found else float(ref_area))
        area_source.append(found[1] if found else SOURCE_REFERENCE_AREA)
    frame["population_density"] = np.round(frame["population"] / np.asarray(area), 1)
    if SOURCE_REFERENCE_AREA in area_source:
        notes.append(
            "population density from the areas of the package's reference list (rounded; load ARE207 for "
            "Statistics Denmark's areas)"
        )
    frame = frame[
        [
            "municipality_code",
            "municipality",
            "region",
            "municipality_group",
            "year",
            "population",
            "population_18_64",
            "population_0_17",
            "socioeconomic_index",
            "population_density",
        ]
    ]
    keys = frame[["municipality_code", "year"]]
    sources = pd.concat(
        [
            keys.assign(feature="population", source=SOURCE_FOLK1A),
            keys.assign(feature="population_18_64", source=SOURCE_FOLK1A),
            keys.assign(feature="population_0_17", source=SOURCE_FOLK1A),
            keys.assign(feature="population_density", source=[f"{SOURCE_FOLK1A}; {s}" for s in area_source]),
            keys.assign(feature="socioeconomic_index", source=SOURCE_REFERENCE_INDEX),
        ],
        ignore_index=True,
    )
    return Converted(frame, "municipalities", skipped, notes, sources=sources)


# ---------------------------------------------------------------------------------------------------------------
# Activity: HAND01


#: The package's default HAND01 mapping (package data, so that an installed package has it).
DEFAULT_HAND_MAPPING = "hand01.yaml"


def hand_mapping_source(path: str | Path | None = None) -> tuple[str, str]:
    """Where the HAND01 mapping is read from and its text: ``path``, else the project's, else the package's.

    The project's ``parameters/statbank/hand01.yaml`` is the documented file a user edits or replaces; the
    package ships the same table as its default (``analysis/data/statbank/hand01.yaml``, read with
    :mod:`importlib.resources`), used when the project has no such file (a plain ``pip install``).

    Returns
    -------
    tuple of str
        The name shown in messages (a path, or ``analysis/data/statbank/hand01.yaml (the package's default)``)
        and the file's text.

    Raises
    ------
    ConfigurationError
        When ``path`` is given and does not exist.
    """
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigurationError(f"no HAND01 mapping {p} (the mapping of types of service to functions)")
        return str(p), _hand_text(str(p), p.read_bytes())
    project = parameters_dir() / "statbank" / "hand01.yaml"
    if project.exists():
        return str(project), _hand_text(str(project), project.read_bytes())
    default = resources.files("analysis.data.statbank").joinpath(DEFAULT_HAND_MAPPING)
    name = f"analysis/data/statbank/{DEFAULT_HAND_MAPPING} (the package's default)"
    return name, _hand_text(name, default.read_bytes())


def _hand_text(name: str, raw: bytes) -> str:
    """The text of a HAND01 mapping as every YAML file is read (:func:`analysis.data.yamlfiles.decode_yaml`).

    UTF-8 with or without a byte-order mark (Notepad's, Excel's); a file in Windows-1252 (the Danish Windows
    encoding) is refused naming the file and the line, not a bare ``UnicodeDecodeError``.
    """
    try:
        return decode_yaml(raw)
    except yaml.YAMLError as e:
        raise ConfigurationError(f"{name}: not valid YAML ({' '.join(str(e).split())})") from None


def hand_mapping(path: str | Path | None = None) -> pd.DataFrame:
    """The mapping of HAND01's types of service to functions: paragraph, contains (tuple), function_code, service.

    Read from ``path``, else ``parameters/statbank/hand01.yaml``, else the package's default copy of it
    (:func:`hand_mapping_source`); each rule and its source is documented in the file.

    Raises
    ------
    ConfigurationError
        When the file is missing or a rule lacks a paragraph or a function code like '5.38.50'.
    """
    return _hand_mapping(*hand_mapping_source(path))


_HAND_KEYS = ("paragraph", "function_code", "contains", "service")


@cache
def _hand_mapping(name: str, text: str) -> pd.DataFrame:
    p = Path(name.split(" (")[0])
    try:
        data = safe_load(text, p.name) or {}
    except yaml.YAMLError as e:
        raise ConfigurationError(f"{p.name}: not valid YAML ({' '.join(str(e).split())})") from None
    if not isinstance(data, dict) or not isinstance(data.get("services") or [], list):
        raise ConfigurationError(
            f"{p.name}: expected a list 'services' of rules, found {type(data).__name__}"
        )
    rules = []
    for i, rule in enumerate(data.get("services") or [], start=1):
        if not isinstance(rule, dict):
            raise ConfigurationError(
                f"{p.name}, rule {i}: expected a rule {{paragraph, function_code, contains, service}}, found {rule!r}"
            )
        unknown = [k for k in rule if k not in _HAND_KEYS]
        if unknown:  # e.g. 'contain': ignored, the rule would take every service of its paragraph
            near = difflib.get_close_matches(str(unknown[0]), _HAND_KEYS, n=1, cutoff=0.6)
            raise ConfigurationError(
                f"{p.name}, rule {i}: unknown key {unknown[0]!r}"
                f"{f' (did you mean {near[0]!r}?)' if near else ''}; expected {', '.join(_HAND_KEYS)}"
            )
        para, code = str(rule.get("paragraph", "")).strip(), str(rule.get("function_code", "")).strip()
        if not re.fullmatch(r"(SUL )?§\d+( ?[a-z])?", para) or not re.fullmatch(r"\d\.\d{2}\.\d{2}", code):
            raise ConfigurationError(
                f"{p.name}, rule {i}: expected a paragraph such as '§108' and a function_code such as '5.38.50', "
                f"found {para!r} and {code!r}"
            )
        words = rule.get("contains") or []
        words = [words] if isinstance(words, str) else words  # one word or phrase, not its letters
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ConfigurationError(
                f"{p.name}, rule {i}: contains: expected a list of words such as [botilbudslignende], found "
                f"{rule.get('contains')!r}"
            )
        contains = tuple(w.strip().casefold() for w in words)
        for j, (earlier_para, earlier_words, _, _) in enumerate(rules, start=1):
            if earlier_para == para and set(earlier_words) <= set(contains):
                raise ConfigurationError(
                    f"{p.name}, rule {i} ({para}, function {code}) can never apply: rule {j} before it takes "
                    f"every {para} service it would (rules are tried in order; put the narrower rule first)"
                )
        rules.append((para, contains, code, str(rule.get("service", ""))))
    if not rules:
        raise ConfigurationError(f"{p.name}: expected a list 'services' of rules, found none")
    return pd.DataFrame(rules, columns=["paragraph", "contains", "function_code", "service"])


#: Paragraph -> function of the mapping's rules without further conditions (for reading; the YAML is the source).
HAND_FUNCTIONS = {
    "§108": "5.38.50",
    "§107": "5.38.52",
    "§85": "5.38.38",
    "§103": "5.38.58",
    "§104": "5.38.59",
    "§97": "5.38.53",
}


#: A paragraph's letter ('§ 82 a', '§ 101 a'), not the 'i' of '§ 108 i lov om social service'.
_LETTER = r"(?:\s?([a-z])(?=\s*(?:\)|,|$|\si\s+(?:lov\b|[Ss]ervicelov))))?"  # "§ 85 a i Serviceloven"


def paragraph(label: str) -> str | None:
    """The paragraph a type of service is given under, as its label says: '§108', '§82 a', 'SUL §141'.

    The paragraph in parentheses at the end ("(§ 108 i lov om social service)", "(§108)") wins over paragraphs
    named earlier ("fx §§ 83, 85"); a label that names only one paragraph gives that one. None when the label
    names none; several paragraphs and none in parentheses are ambiguous and refused by the caller.

    >>> paragraph("Længerevarende botilbud inkl. tilknyttede ydelser fx §§ 83, 85 (§ 108 i lov om social service)")
    '§108'
    >>> paragraph("Kontant tilskud efter §95 til ansættelse af hjælpere (§§83,84) (§95)")
    '§95'
    >>> paragraph("§ 104 Aktivitets- og samværstilbud"), paragraph("Ydelser i alt")
    ('§104', None)
    """
    text = label.strip()
    if re.search(r"(sundhedslov|\bsul\b)\w*\s*§\s*141", text, flags=re.IGNORECASE):
        return "SUL §141"
    groups = re.findall(r"\(\s*§\s*(\d+)" + _LETTER + r"([^()]*)\)", text)
    if groups:
        law = [
            g for g in groups if re.search(r"lov om social service|serviceloven", g[2], flags=re.IGNORECASE)
        ]
        number, letter, _ = (law or groups)[-1]
        return f"§{number}" + (f" {letter.strip()}" if letter.strip() else "")
    numbers = re.findall(r"§+\s*(\d+)" + _LETTER, text)
    distinct = {f"§{n}" + (f" {ltr.strip()}" if ltr.strip() else "") for n, ltr in numbers}
    for listed in re.findall(r"§§\s*(\d+(?:\s*(?:,|og|and|-|til)\s*\d+)+)", text):
        distinct.update(f"§{n}" for n in re.findall(r"\d+", listed))  # '§§ 83 og 85' names two paragraphs
    if len(distinct) == 1:
        return distinct.pop()
    if not distinct:
        return None
    return "ambiguous"


def service(label: str, mapping: pd.DataFrame | None = None) -> tuple[str, str] | None:
    """(function_code, paragraph) of a type of service by the mapping; None when its paragraph has no rule.

    >>> service("Socialpædagogisk støtte i botilbudslignende tilbud (§ 85 i lov om social service)")
    ('5.38.51', '§85')
    >>> service("Øvrig socialpædagogisk støtte (§ 85 i lov om social service)")
    ('5.38.38', '§85')
    """
    para = paragraph(label)
    if para is None or para == "ambiguous":
        return None
    rules = hand_mapping() if mapping is None else mapping
    text = label.casefold()
    for rule_para, contains, code, _ in rules.itertuples(index=False):
        if rule_para == para and all(w in text for w in contains):
            return code, para
    return None


def _incomplete_years(rows: pd.DataFrame) -> tuple[list[Finding], list[str]]:
    """Findings and a note for the loaded years of HAND01 with fewer than 4 quarters."""
    notes = [
        "HAND01 counts full-time services per quarter; a year's full-year persons are the mean of its quarters"
    ]
    findings = []
    short = rows[rows["quarters"] < 4]
    for code, g in short.groupby("municipality_code"):
        years = sorted(set(g["year"]))
        findings.append(
            Finding(
                check="incomplete_quarters",
                count=len(years),
                unit="år",
                examples=[
                    f"{y}: {int(g.loc[g['year'] == y, 'quarters'].min())} af 4 kvartaler" for y in years
                ][:5],
                note="helårspersoner er gennemsnittet af de kvartaler, der er tal for",
                municipality_code=int(code),
            )
        )
    if len(short):
        n = short["municipality_code"].nunique()
        notes.append(
            "years with quarters missing (full-year persons are the mean of the quarters present): "
            f"{', '.join(map(str, sorted(set(short['year']))))} ({n} {'municipality' if n == 1 else 'municipalities'})"
        )
    return findings, notes


def to_activity(
    df: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    provider: str | None = None,
    name: str = "HAND01",
    mapping: pd.DataFrame | None = None,
) -> Converted:
    """Rows of table ``activity`` from HAND01 (full-time services per quarter by municipality and type of service).

    What it fills: ``full_year_persons``: a type of service's full-time services of the year's quarters, averaged
    (a year with quarters missing is averaged over those present and flagged in the findings and notes); yearly
    figures (another HAND table) are taken as they are. The paragraph is the one the label gives in parentheses
    (:func:`paragraph`), mapped to a function by ``parameters/statbank/hand01.yaml`` (:func:`hand_mapping`).
    ``spending_dkk`` is the function's accounts in ``accounts`` (load REGK31 first), split between the paragraphs
    of one function in proportion to full-year persons.

    What it cannot fill: the split between internal and external providers (the rows get ``provider``, default
    'unknown'); prices per paragraph within one function (the split makes them equal).

    Parameters
    ----------
    df
        :func:`~analysis.data.statbank.read`'s result.
    accounts
        Warehouse accounts (municipality_code, year, function_code, spending_dkk).
    provider
        ``internal``, ``external`` or None (``unknown``: the table has no provider split).
    name
        Source name for errors.
    mapping
        The mapping (:func:`hand_mapping`'s frame); default the one under ``parameters/``.
    """
    provider = provider or "unknown"
    if provider not in ("internal", "external", "unknown"):
        raise ValueError(f"provider must be 'internal', 'external' or left out, not {provider!r}")
    _require(df, ("municipality_code", "period", "value"), name)
    rules = hand_mapping() if mapping is None else mapping
    skipped: dict[str, int] = {}
    standard = {"municipality_code", "area_level", "function_code", "period", "value"}

    def names_paragraphs(c: str) -> bool:
        return bool(df[c].map(lambda v: "§" in _label(df, c, str(v)) or "§" in str(v)).any())

    candidates = [c for c in df.columns if c not in standard and names_paragraphs(c)]
    if not candidates:
        raise SchemaError(
            name,
            "a variable whose values name paragraphs, such as 'Længerevarende botilbud (§ 108 i lov om social "
            "service)'",
            found_text=f"the variables {', '.join(c.upper() for c in df.columns if c not in standard)}",
        )
    var = candidates[0]
    df = _municipalities_only(df, skipped)
    for col in df.columns:
        if col in standard or col == var:
            continue
        df = _select(df, col, _is_total, f"the total of {col.upper()}", skipped, name)
    labels = df[var].map(lambda v: _label(df, var, str(v)))
    ambiguous = labels[labels.map(paragraph) == "ambiguous"]
    if len(ambiguous):
        raise SchemaError(
            name,
            "a type of service whose paragraph is given in parentheses, e.g. '(§ 108 i lov om social service)'",
            row=_file_row(df, ambiguous.index[0]),
            column=var.upper(),
            found=ambiguous.iloc[0],
        )
    mapped = labels.map(lambda v: service(v, rules))
    outside = mapped.isna()
    unmapped = sorted({p for p in (paragraph(v) for v in labels[outside]) if p})
    _skip(
        skipped,
        "types of service without a paragraph of main function 5.38 in parameters/statbank/hand01.yaml (totals"
        + (f"; {', '.join(unmapped)}" if unmapped else "")
        + ")",
        outside.sum(),
    )
    df, mapped = df[~outside], mapped[~outside]
    missing = df["value"].isna()
    _skip(skipped, "no value ('..': missing or suppressed)", missing.sum())
    df, mapped = df[~missing], mapped[~missing]
    _refuse_negative(df, "a number of services, 0 or more", name)
    kinds = {p.freqstr for p in df["period"]}
    quarterly = bool(kinds) and all(k.startswith("Q") for k in kinds)
    if kinds and not quarterly and not all(k.startswith(("Y", "A")) for k in kinds):
        raise SchemaError(
            name, "quarters (2024K1) or years (2024)", column="TID", found_text=", ".join(sorted(kinds))
        )
    persons = pd.DataFrame(
        {
            "municipality_code": df["municipality_code"].astype(int).to_numpy(),
            "year": df["period"].map(lambda p: p.year).astype(int).to_numpy(),
            "quarter": df["period"].map(lambda p: p.quarter if quarterly else 0).astype(int).to_numpy(),
            "function_code": [m[0] for m in mapped],
            "paragraph": [m[1] for m in mapped],
            "value": df["value"].to_numpy(dtype=float),
        }
    )
    keys = ["municipality_code", "year", "function_code"]
    findings: list[Finding] = []
    notes: list[str] = []
    by_quarter = persons.groupby(keys + ["paragraph", "quarter"], as_index=False)["value"].sum()
    grouped = by_quarter.groupby(keys + ["paragraph"], as_index=False).agg(
        full_year_persons=("value", "mean"), quarters=("quarter", "nunique")
    )
    persons = grouped
    acc = (
        accounts[keys + ["spending_dkk"]] if len(accounts) else pd.DataFrame(columns=keys + ["spending_dkk"])
    )
    merged = persons.merge(acc.astype({"municipality_code": int, "year": int}), on=keys, how="left")
    no_accounts = merged["spending_dkk"].isna()
    _skip(
        skipped,
        "no accounts for the municipality, function and year in the warehouse (load REGK31 first)",
        no_accounts.sum(),
    )
    merged = merged[~no_accounts].copy()
    if quarterly:
        findings, more = _incomplete_years(merged)
        notes += more
    total = merged.groupby(keys)["full_year_persons"].transform("sum")
    count = merged.groupby(keys)["full_year_persons"].transform("size")
    share = np.where(total > 0, merged["full_year_persons"] / total.where(total > 0, 1), 1 / count)
    merged["spending_dkk"] = np.round(merged["spending_dkk"] * share, 2)
    merged["full_year_persons"] = np.round(merged["full_year_persons"], 4)
    merged["provider"] = provider
    frame = merged[
        [
            "municipality_code",
            "year",
            "function_code",
            "paragraph",
            "provider",
            "full_year_persons",
            "spending_dkk",
        ]
    ]
    notes += [
        f"the rows have provider '{provider}'"
        + (
            "; the table has no split between internal and external providers"
            if provider == "unknown"
            else ""
        ),
        "spending is the function's accounts, split between its paragraphs in proportion to full-year persons",
    ]
    return Converted(frame.reset_index(drop=True), "activity", skipped, notes, findings)

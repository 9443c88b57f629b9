"""Reading what Statistikbanken gives a user: the API's responses and the statbank.dk web downloads.

:func:`read` turns a file (or its text or bytes) into a tidy DataFrame, one row per observation, whatever the
layout:

``api-csv``
    The API's ``CSV`` and ``BULK`` formats: ``;``-separated, UTF-8 (CSV with a byte-order mark), a heading line
    with the variables' ids (``OMRÅDE;FUNKTION;...;TID;INDHOLD``), values as labels ("København", "5.38.50
    Botilbud til længerevarende ophold") or codes (101, 53850), decimal commas in Danish, ``..`` for a missing
    or suppressed value.
``jsonstat``
    The API's ``JSONSTAT`` (JSON-stat version 1, the ``dataset`` object; version 2 is read too).
``web-csv``
    statbank.dk's "Gem som CSV" download: no heading line, comma- or semicolon-separated, fields quoted or not,
    Latin-1 (Windows-1252) or UTF-8, the value in the last column. The columns are recognised by their values
    (an area, a function, a dranst, an art, a price unit, an age, a sex, a marital status, a type of service, a
    time code); a file without a time column gets its period from ``year`` (``--year``) or from its name
    (``REGK31_2024.csv``, ``2024 regk31.csv``).
``web-matrix``
    statbank.dk's matrix (the table as the web page shows it): title lines (Danish or English: "Kommunernes
    regnskaber ... efter område, funktion, ... og tid"), a heading line of periods over the value columns, row
    labels in the first columns (a label left blank repeats the one above).

statbank.dk's Excel download (``.xlsx``, one sheet) is read as the CSV of its cells, in the layouts above (the
matrix, or a table with a heading line): a number cell is its number, and errors name the sheet's row.

A layout it cannot read is refused with a message that lists the layouts above.

Columns of the result: ``municipality_code`` (Statistics Denmark's area code as an integer: a municipality's
3-digit code, 0 for the whole country, 81-85 for the regions) and ``area_level`` (``municipality``, ``region``,
``country``, ``landsdel``, ``group`` (a municipality group) or ``other``) from ``OMRÅDE``; ``function_code``
('5.38.50', or '5.38' for a main function, empty for a total) from ``FUNKTION``; ``period`` (a pandas Period:
2024, 2024Q1, 2024-01 from the time codes 2024, 2024K1, 2024M01) from ``TID``; ``value`` (float, NaN for ``..``)
from ``INDHOLD``; every other variable as a lower-case column with the text as given (``dranst``, ``art``,
``prisenhed``, ``alder``, ``køn``, ``civilstand``, ``ydelsestype``; in a web download a column of totals only is
``total_N``). ``df.attrs`` holds ``labels`` (JSON-stat's codes -> labels), ``source``, ``layout`` and ``title``
(the title lines of a matrix, else empty).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import loads, reference
from analysis.data.loads import function_code
from analysis.data.schema import SchemaError

__all__ = ["LAYOUTS", "period", "read", "year_from_name"]

#: The layouts :func:`read` reads, as its refusal lists them.
LAYOUTS = (
    "the API's CSV or BULK (a heading line such as OMRÅDE;FUNKTION;TID;INDHOLD)",
    "the API's JSON-stat",
    "statbank.dk's 'Gem som CSV' without a heading line (comma or semicolon, quoted or not, Latin-1 or UTF-8, the "
    "value in the last column, the year in a column, from --year or from the file name)",
    "statbank.dk's matrix with title lines (Danish or English) and a heading line of periods",
    "statbank.dk's Excel download (.xlsx, one sheet) of the matrix or of a table with a heading line",
)

_REGIONS = {
    "region nordjylland": 81,
    "north denmark region": 81,
    "region midtjylland": 82,
    "central denmark region": 82,
    "region syddanmark": 83,
    "region of southern denmark": 83,
    "region hovedstaden": 84,
    "capital region of denmark": 84,
    "region sjælland": 85,
    "region zealand": 85,
}
_COUNTRY = {"hele landet", "danmark", "all denmark", "denmark", "i alt", "total"}
_OTHER_AREAS = {"christiansø": 411}
#: The codes of the municipality groups (kommunegrupper) in the accounts and budget tables' area variable:
#: 910 Hovedstadskommuner, 920 Storbykommuner, 930 Provinsbykommuner, 940 Oplandskommuner, 960 Landkommuner.
_GROUP_CODES = {910, 920, 930, 940, 960}
_GROUPS = {
    "hovedstadskommuner",
    "storbykommuner",
    "provinsbykommuner",
    "oplandskommuner",
    "landkommuner",
    "capital municipalities",
    "metropolitan municipalities",
    "provincial municipalities",
    "commuter municipalities",
    "rural municipalities",
}
_TOTALS = {"tot", "i alt", "ialt", "total", "alder i alt", "age, total", "køn i alt", "sex, total", "alle"}


@cache
def _municipality_names() -> dict[str, int]:
    ref = reference.municipalities()
    names = {
        str(n).casefold(): int(c) for n, c in zip(ref["municipality"], ref["municipality_code"], strict=True)
    }
    names["copenhagen"] = 101
    return names


@cache
def _municipality_codes() -> frozenset[int]:
    return frozenset(int(c) for c in reference.municipalities()["municipality_code"])


def _level(code: int) -> str:
    if code == 0:
        return "country"
    if 81 <= code <= 85:
        return "region"
    if code in _municipality_codes():
        return "municipality"
    if 1 <= code <= 11:
        return "landsdel"
    if code in _OTHER_AREAS.values():
        return "other"
    if code in _GROUP_CODES:
        return "group"
    return ""


def _area(value: str) -> tuple[int | None, str]:
    """(area code, level) of an OMRÅDE value: a code, 'code label', or a name; ('', '') when unknown."""
    text = str(value).strip()
    m = re.match(r"^(\d{1,3})(?:\s+\S.*)?$", text)
    if m:
        code = int(m.group(1))
        level = _level(code)
        if level == "group":  # a municipality group has no code of its own in the warehouse, as by name
            return None, "group"
        return (code, level) if level else (None, "")
    key = re.sub(r"\s+kommune$", "", text.casefold()).strip()
    if key in _COUNTRY:
        return 0, "country"
    if key in _REGIONS:
        return _REGIONS[key], "region"
    if key in _municipality_names():
        return _municipality_names()[key], "municipality"
    official = reference.municipality_named(text)  # 'Københavns Kommune', 'Bornholms Regionskommune', 'Århus'
    if official is not None:
        return official, "municipality"
    if key in _OTHER_AREAS:
        return _OTHER_AREAS[key], "other"
    if key.startswith(("landsdel", "province ")):
        return None, "landsdel"
    if key in _GROUPS:
        return None, "group"
    return None, ""


def period(code: str) -> pd.Period | None:
    """The pandas Period of a Statistics Denmark time code, or None when it is not one.

    >>> period("2024"), period("2024K1"), period("2024M01")
    (Period('2024', 'Y-DEC'), Period('2024Q1', 'Q-DEC'), Period('2024-01', 'M'))
    >>> period("januar 2024") is None
    True
    """
    text = str(code).strip()
    if re.fullmatch(r"\d{4}", text):
        return pd.Period(text, freq="Y")
    m = re.fullmatch(r"(\d{4})[KQ]([1-4])", text)
    if m:
        return pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")
    m = re.fullmatch(r"(\d{4})M(\d{2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        return pd.Period(f"{m.group(1)}-{m.group(2)}", freq="M")
    return None


_ROLE = {
    "område": "area",
    "omraade": "area",
    "omrade": "area",
    "region": "area",
    "area": "area",
    "kommune": "area",
    "komk": "area",
    "regi07a": "area",  # BUDK32's area variable (Kommune), where REGK31 has OMRÅDE
    "regi07": "area",
    "funktion": "function",
    "function": "function",
    "tid": "time",
    "time": "time",
    "indhold": "value",
    "content": "value",
    "value": "value",
}


def _role(name: str) -> str | None:
    return _ROLE.get(str(name).strip().casefold())


def _column_name(name: str) -> str:
    return re.sub(r"\W+", "_", str(name).strip().casefold()).strip("_")


def read(
    source: str | os.PathLike | bytes, *, name: str | None = None, year: int | str | None = None
) -> pd.DataFrame:
    """A Statistikbanken file or response as a tidy DataFrame (see the module docstring for layouts and columns).

    Parameters
    ----------
    source
        A file (any layout of the module docstring), or its text or bytes.
    name
        The name used in error messages; default the file's name, else "the Statistics Denmark response".
    year
        The period (a year such as 2024, or a time code such as ``2024K1``) of a web download without a time
        column; default the one the file name gives. Refused for a file with a time column of its own.

    Returns
    -------
    pandas.DataFrame
        One row per observation; ``df.attrs`` as the module docstring says.

    Raises
    ------
    SchemaError
        Naming the source, the row (the file's line) and the column: a layout it cannot read (listing those it
        reads), an unknown area name, a time code of another form, a value that is not a number.
    """
    text, name, file_name = _text(source, name)
    title: list[str] = []
    if text.lstrip().startswith("{"):
        raw, labels = _jsonstat(text, name)
        rows: list[int | None] = [None] * len(raw)
        layout = "jsonstat"
    else:
        labels = {}
        header = _api_header(text)
        if header is None:
            _refuse_heading_without_values(text, name)
        if header is not None:
            raw, rows = _csv(text, name, header)
            layout = "api-csv"
            if raw.empty:
                raise SchemaError(
                    name, "rows of data below the heading line", found_text="the heading line only"
                )
        else:
            raw, rows, layout, title = _web(text, name)
        if "TID" not in raw.columns and not any(_role(c) == "time" for c in raw.columns):
            given = year if year is not None else year_from_name(file_name)
            if given is None:
                raise SchemaError(
                    name,
                    "a time column, --year YEAR, or a year in the file name (e.g. REGK31_2024.csv)",
                    column="TID",
                    found_text="none of these",
                )
            if period(str(given)) is None:
                raise SchemaError(name, "a year such as 2024 (or a time code 2024K1)", found=str(given))
            named = year_from_name(file_name)
            if year is not None and named is not None and period(named) != period(str(year)):
                raise SchemaError(
                    name,
                    f"--year {year} to agree with the year of the file's name ({named}); which one is right is not "
                    "guessed: rename the file or correct --year",
                    column="TID",
                    found_text=f"--year {year} and a name that says {named}",
                )
            raw.insert(len(raw.columns) - 1, "TID", str(given))
        elif year is not None:
            raise SchemaError(
                name,
                "--year only for a file without a time column",
                column="TID",
                found_text="a time column in the file",
            )
    df = _tidy(raw, name, rows)
    _refuse_repeated_observations(df, name, rows)
    df.attrs["labels"] = {_column_name(k): v for k, v in labels.items() if _role(k) is None}
    df.attrs["source"] = name
    df.attrs["layout"] = layout
    df.attrs["title"] = " ".join(title)
    # the file row of each row (by its index label), for errors of the table loaders; -1 where unknown (JSON-stat)
    df.attrs["rows"] = np.array([-1 if r is None else int(r) for r in rows], dtype=np.int64)
    return df


def _refuse_repeated_observations(df: pd.DataFrame, name: str, rows: list[int | None]) -> None:
    """Refuse one observation given twice (``706`` and ``Syddjurs``, a row pasted twice).

    Which of the two is meant is not guessed, and a sum of the two would count it twice.

    Rows that no loader reads are left out of the check: areas without a code (municipality groups and landsdele by
    name) and totals of the functions (no function code), whose labels differ while their codes are empty.
    """
    keys = [c for c in df.columns if c not in ("value", "area_level")]
    if not keys:
        return
    read = pd.Series(True, index=df.index)
    for col in ("municipality_code", "function_code"):
        if col in df.columns:
            read &= df[col].notna()
    sub = df[read]
    repeated = sub.duplicated(keys, keep=False)
    if not repeated.any():
        return
    first = sub[repeated].iloc[0]
    same = sub[repeated][(sub[repeated][keys] == first[keys]).all(axis=1)]
    a, b = (rows[df.index.get_loc(i)] for i in same.index[:2])
    shown = ", ".join(f"{k}={first[k]}" for k in keys)
    values = " and ".join(f"{v:.15g}" if pd.notna(v) else "'..'" for v in same["value"].iloc[:2])
    raise SchemaError(
        name,
        "each observation once (which of two is meant is not guessed, and a sum would count it twice)",
        row=b,
        found_text=f"the same observation as {'row ' + str(a) if a is not None else 'an earlier one'} ({shown}; "
        f"values {values})",
    )


def year_from_name(file_name: str | None) -> str | None:
    """The period a file's name gives (``REGK31_2024.csv`` -> '2024', ``folk1a 2024K1.csv`` -> '2024K1').

    None when the name has none, or more than one (``REGK31_2023_2024.csv``: ambiguous, so not guessed).

    >>> year_from_name("REGK31_2024.csv"), year_from_name("2024-hand01.csv"), year_from_name("x_2023_2024.csv")
    ('2024', '2024', None)
    """
    if not file_name:
        return None
    stem = Path(file_name).stem
    found = set(re.findall(r"(?<!\d)((?:19|20)\d{2}(?:[KQ][1-4]|M\d{2})?)(?!\d)", stem, flags=re.IGNORECASE))
    found = {f.upper().replace("Q", "K") for f in found}
    return found.pop() if len(found) == 1 else None


def _text(source: str | os.PathLike | bytes, name: str | None) -> tuple[str, str, str | None]:
    """(text, name for errors, the file's name or None); an Excel workbook as the CSV of its sheet."""
    if isinstance(source, bytes):
        name = name or "the Statistics Denmark response"
        return (_excel_text(source, name) if source[:4] == _ZIP else _decode(source, name)), name, None
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and len(source) < 4096
        and Path(source).suffix
        and Path(source).exists()
    ):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        if path.is_dir():
            raise SchemaError(name or path.name, "a file", found_text="a folder")
        raw = path.read_bytes()
        if path.suffix.lower() == ".xls" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise SchemaError(
                name or path.name,
                "a .xlsx workbook or a CSV file",
                found_text="an old Excel file (.xls): save it as .xlsx, or download the table as CSV",
            )
        if raw[:4] == _ZIP or path.suffix.lower() in (".xlsx", ".xlsm"):
            return _excel_text(raw, name or path.name), name or path.name, path.name
        try:  # UTF-8, else Windows-1252; UTF-8 mixed with Windows-1252 refused naming the row (not garbled)
            text, _ = loads.read_text(path)
        except SchemaError as e:
            first = raw.split(b"\n", 1)[0].decode("utf-8", "replace")
            column = e.column if _api_header(first) else None  # a web download's first line holds values
            raise SchemaError(
                name or path.name, e.expected, row=e.row, column=column, found_text=e.found
            ) from None
        return text.lstrip("\ufeff"), name or path.name, path.name
    return str(source).lstrip("\ufeff"), name or "the Statistics Denmark response", None


_ZIP = b"PK\x03\x04"  # an .xlsx workbook is a zip archive


def _excel_cell(value: object) -> str:
    """A cell as statbank.dk's CSV writes it: whole numbers without decimals, others with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not np.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return " ".join(str(value).split())  # a line break inside a cell would shift the rows' numbers


def _excel_text(raw: bytes, name: str) -> str:
    """statbank.dk's Excel download as ';'-separated text, one line per row of its sheet.

    The matrix, or a table with a heading line, is then read like the CSV download, and errors name the sheet's rows.
    """
    import openpyxl  # only for a workbook: the CSV path does not pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise SchemaError(
            name, "an Excel workbook (.xlsx)", found_text=f"a file Excel cannot read ({e})"
        ) from None
    try:
        sheets = [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]
    finally:
        book.close()
    filled = [(title, rows) for title, rows in sheets if any(any(c is not None for c in r) for r in rows)]
    if len(filled) != 1:
        raise SchemaError(
            name,
            "one sheet with the table (as statbank.dk's Excel download has)",
            found_text=f"{len(filled)} sheets with cells"
            + (f": {', '.join(t for t, _ in filled)}" if filled else ""),
        )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    rows = filled[0][1]
    width = max(len(r) for r in rows)
    for row in rows:
        cells = [_excel_cell(c) for c in row] + [""] * (width - len(row))
        if not any(cells[1:]):  # a title or source line (or a blank one): one cell, as in the CSV download
            cells = cells[:1] if cells and cells[0] else []
        writer.writerow(cells) if cells else out.write("\n")
    return out.getvalue()


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252 (statbank.dk's web downloads); a byte in neither refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as e:
        raise SchemaError(
            name,
            "text in UTF-8 or Windows-1252",
            row=raw[: e.start].count(b"\n") + 1,
            found_text=f"a byte that is neither ({raw[e.start : e.start + 1]!r})",
        ) from None


def _api_header(text: str) -> str | None:
    """The delimiter of an API CSV/BULK response (its first line names INDHOLD and TID), else None."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    for sep in (";", "\t", ","):
        cells = [c.strip().strip('"').casefold() for c in first.split(sep)]
        roles = {_role(c) for c in cells}
        if len(cells) > 1 and "value" in roles:
            return sep
    return None


def _refuse_heading_without_values(text: str, name: str) -> None:
    """A heading line of variable ids (OMRÅDE;TID;...) without INDHOLD is an API file missing its values."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    for sep in (";", "\t", ","):
        cells = [c.strip().strip('"') for c in first.split(sep)]
        roles = [_role(c) for c in cells]
        if len(cells) > 1 and sum(r is not None for r in roles) >= 2:
            raise SchemaError(
                name,
                "a column INDHOLD with the values (Statistics Denmark's CSV or BULK format, header line first)",
                column="INDHOLD",
                found_text=f"the columns {', '.join(cells)}",
            )


def _csv(text: str, name: str, sep: str) -> tuple[pd.DataFrame, list[int]]:
    lines = text.lstrip("\ufeff").splitlines()
    df, rows = loads.parse_csv("\n".join(lines), sep, name)
    df.columns = [str(c).strip().strip('"') for c in df.columns]
    first: dict[str, str] = {}
    # a variable twice, or two of one role (OMRÅDE and KOMK): which one is meant is not guessed
    for c in df.columns:
        key = _role(c) or _column_name(c)
        if key in first:
            raise SchemaError(
                name,
                "each variable once in the heading line (which of two columns is meant is not guessed)",
                row=1,
                column=c,
                found_text=f"the columns {first[key]!r} and {c!r}, both "
                + (f"the {key}" if _role(c) else "of one name"),
            )
        first[key] = c
    heading = [c.casefold() for c in df.columns]
    first_cells = df.iloc[:, 0].astype(str).str.strip().str.strip('"').str.lstrip("\ufeff").str.casefold()
    for i in np.flatnonzero(
        (first_cells == heading[0]).to_numpy()
    ):  # only rows that begin as the heading does
        cells = df.iloc[i]
        if [str(v).strip().strip('"').lstrip("\ufeff").casefold() for v in cells] == heading:
            raise SchemaError(
                name,
                "the heading line once, at the top (two downloads joined into one file?); load each download "
                "by itself",
                row=int(rows[i]),
                found_text="the heading line again",
            )
    roles = {c: _role(c) for c in df.columns}
    if "time" not in roles.values():
        if len(df.columns) == 2:  # OMRÅDE;INDHOLD without a time: the period from --year or the name
            return df, rows
        raise SchemaError(
            name, "a time column TID", column="TID", found_text=f"the columns {', '.join(df.columns)}"
        )
    return df, rows


# ---------------------------------------------------------------------------------------------------------------
# statbank.dk web downloads

_SEX = {"mænd", "kvinder", "men", "women", "males", "females", "male", "female"}
_MARITAL = {
    "ugift",
    "gift/separeret",
    "enke/enkemand",
    "fraskilt",
    "never married",
    "married/separated",
    "widowed",
    "divorced",
}
_DRANST = re.compile(
    r"^([1-7](\s|$)|drift|statsrefusion|anlæg|renter|finans|operating|capital|state refund|interest)",
    re.IGNORECASE,
)
_ART = re.compile(r"netto|brutto|udgift|indtægt|\bnet\b|expenditure|revenue|income|\bgross\b", re.IGNORECASE)
_PRICE_UNIT = re.compile(r"\bkr\b|dkk|indbygger|capita|inhabitant|priser|prices", re.IGNORECASE)
_TITLE_WORDS = {
    "regnskab": "accounts",
    "accounts": "accounts",
    "budget": "budgets",
    "befolkning": "population",
    "population": "population",
    "fuldtidsydelser": "services",
    "handicapydelser": "services",  # HAND01: "Handicapydelser efter område, ydelsestype og tid"
    "full-time services": "services",
    "areal": "area",
    "area": "area",
}


def _is_total_text(v: str) -> bool:
    t = v.strip().casefold()
    return t in _TOTALS or t.startswith(("i alt", "total", "alder i alt", "age, total"))


def _kind(values: list[str]) -> str | None:
    """The variable a column of a web download holds, from its values; None when none fits."""
    vals = [v.strip() for v in values if v.strip()]
    if not vals:
        return None
    folded = [v.casefold() for v in vals]
    if all(period(v) is not None for v in vals):
        return "TID"
    if any("§" in v for v in vals):
        return "YDELSESTYPE"
    areas = [_area(v) for v in vals]
    if all(level for _, level in areas) and any(level in ("municipality", "region") for _, level in areas):
        return "OMRÅDE"
    ages = [_age_text(v) for v in vals]
    if all(a is not None for a in ages) and any(a != "total" for a in ages):
        return "ALDER"

    def fn(v: str) -> str | None:
        if function_code(v):
            return "function"
        if re.match(r"^(\d)\.(\d{2})(?!\d)(?:\s|$)", v) or v.casefold().startswith(
            ("hovedkonto", "main account")
        ):
            return "main"
        return "total" if _is_total_text(v) else None

    kinds = [fn(v) for v in vals]
    if all(kinds) and "function" in kinds:
        return "FUNKTION"
    if all(_PRICE_UNIT.search(v) for v in vals):
        return "PRISENHED"
    if all(_DRANST.match(v) for v in vals):
        return "DRANST"
    if all(_ART.search(v) or _is_total_text(v) for v in vals) and any(_ART.search(v) for v in vals):
        return "ART"
    if all(f in _SEX or _is_total_text(f) for f in folded) and any(f in _SEX for f in folded):
        return "KØN"
    if all(f in _MARITAL or _is_total_text(f) for f in folded) and any(f in _MARITAL for f in folded):
        return "CIVILSTAND"
    if all(_is_total_text(v) for v in vals):
        return "TOTAL"
    return None


def _age_text(v: str) -> int | str | None:
    if _is_total_text(v) or v.strip().upper() == "IALT":
        return "total"
    m = re.match(r"^(\d{1,3})\s*(år|years?)$", v.strip(), flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


def _layout_error(name: str, why: str, row: int | None = None) -> SchemaError:
    return SchemaError(
        name,
        "one of the layouts it reads: " + "; ".join(LAYOUTS),
        row=row,
        found_text=why,
    )


def _records(text: str, name: str) -> tuple[list[list[str]], list[int], str]:
    """The file's non-blank records (cells stripped), their line numbers and the delimiter."""
    lines = text.lstrip("\ufeff").splitlines()
    best: tuple[int, str] = (0, ";")
    for sep in (";", ",", "\t"):
        counts = []
        for line in lines[:50]:  # line by line, so that one bad quote does not hide the delimiter
            try:
                counts += [len(r) for r in csv.reader([line], delimiter=sep, strict=True)]
            except csv.Error:
                continue
        common = max(set(counts), key=counts.count) if counts else 0
        if common > best[0]:
            best = (common, sep)
    sep = best[1]
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=sep, strict=True)
    records, numbers = [], []
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            if any(cells):
                records.append(cells)
                numbers.append(reader.line_num)
    except csv.Error as e:
        raise SchemaError(name, "well-formed CSV", row=reader.line_num, found_text=str(e)) from None
    return records, numbers, sep


def _is_value(v: str) -> bool:
    v = v.strip()
    return (
        v in ("..", "...", ":", "")
        or loads.parse_amount(v, ",") is not None
        or (loads.parse_amount(v, ".") is not None)
    )


def _web(text: str, name: str) -> tuple[pd.DataFrame, list[int | None], str, list[str]]:
    """A statbank.dk web download (heading-less CSV or matrix) as raw cells with the API's column names."""
    records, numbers, sep = _records(text, name)
    if not records:
        raise SchemaError(name, "rows of data", found_text="an empty file")
    # the table's width: the most frequent number of fields of the lines with two cells or more (title and
    # footnote lines have one, and in a small table they may be the most frequent)
    lengths = [len(r) for r in records if sum(1 for c in r if c) > 1] or [len(r) for r in records]
    width = max(set(lengths), key=lambda n: (lengths.count(n), n))
    if width < 2:
        raise _layout_error(name, "one column only")

    def is_table(cells: list[str]) -> bool:
        return len(cells) == width and sum(1 for c in cells if c) > 1

    first_row = next((i for i, cells in enumerate(records) if is_table(cells)), None)
    if first_row is None:
        raise _layout_error(name, f"no line with {width} fields")
    if first_row > 0 and _one_period_heading(records[first_row - 1], width):
        first_row -= 1  # a matrix's heading over one period: blank cells and the period over the values
    last_row = max(i for i, cells in enumerate(records) if is_table(cells))
    title = [" ".join(c for c in cells if c) for cells in records[:first_row]]
    body = list(zip(records[first_row : last_row + 1], numbers[first_row : last_row + 1], strict=True))
    for cells, line in body:
        if len(cells) != width:
            raise SchemaError(
                name,
                f"{width} fields on every line of the table",
                row=line,
                found_text=f"{len(cells)} fields",
            )
    first = body[0][0]
    n = next((i for i, c in enumerate(first) if c and period(c) is not None), None)
    if (
        n is not None
        and all(period(c) is not None for c in first[n:] if c)
        and all(not c or (_area(c)[1] == "" and not _is_value(c) and _kind([c]) is None) for c in first[:n])
    ):
        return _matrix(body, n, name, title)
    return _long(body, name, title, split_decimals=sep == "," and '"' not in text)


def _one_period_heading(cells: list[str], width: int) -> bool:
    """Whether a line is a matrix's heading over one period (``;;;;;2024``): blank but for a period at the end."""
    filled = [i for i, c in enumerate(cells) if c]
    return len(cells) == width and filled == [width - 1] and period(cells[-1]) is not None


def _classify(columns: list[list[str]], name: str, lines: list[int]) -> list[str]:
    names: list[str] = []
    totals = 0
    for i, values in enumerate(columns):
        kind = _kind(values)
        if kind is None:
            shown = ", ".join(repr(v) for v in list(dict.fromkeys(v for v in values if v))[:4])
            raise _layout_error(
                name,
                f"column {i + 1} holds values it cannot place ({shown}): not an area, function, dranst, art, price "
                "unit, age, sex, marital status, type of service or time code",
                row=lines[0] if lines else None,
            )
        if kind == "TOTAL":
            totals += 1
            kind = f"TOTAL_{totals}"
        if kind in names:
            raise _layout_error(name, f"columns {names.index(kind) + 1} and {i + 1} both look like {kind}")
        names.append(kind)
    return names


def _values_column(values: list[str], name: str, lines: list[int]) -> None:
    for v, line in zip(values, lines, strict=True):
        if not _is_value(v):
            raise _layout_error(name, f"a last column of values, found {v!r}", row=line)


def _long(
    body: list[tuple[list[str], int]], name: str, title: list[str], *, split_decimals: bool = False
) -> tuple[pd.DataFrame, list[int | None], str, list[str]]:
    lines = [line for _, line in body]
    cells = [c for c, _ in body]
    width = len(cells[0])
    _values_column([r[-1] for r in cells], name, lines)
    columns = [[r[i] for r in cells] for i in range(width - 1)]
    names = _classify(columns, name, lines)
    before = columns[-1] if columns else []
    if (
        split_decimals  # ',' between unquoted fields: '3,8' is two fields, or one value with a decimal comma
        and names
        and names[-1] != "TID"
        and all(re.fullmatch(r"\d+", v) for v in before)
        and all(re.fullmatch(r"\d+", r[-1]) for r in cells)
    ):
        a, b = cells[0][-2], cells[0][-1]
        raise SchemaError(
            name,
            "a file that reads one way: with ',' between fields and no quotes, the last two fields may be one "
            f"value with a decimal comma ({a},{b}) or a {names[-1]} {a} and the value {b}; download it with ';' "
            "as separator, or with quotes ('Gem som CSV')",
            row=lines[0],
            found_text=f"{a!r} and {b!r}",
        )
    raw = pd.DataFrame({n: col for n, col in zip(names, columns, strict=True)}, dtype=object)
    raw["INDHOLD"] = [r[-1] for r in cells]
    return raw, list(lines), "web-csv", title


def _matrix(
    body: list[tuple[list[str], int]], lead: int, name: str, title: list[str]
) -> tuple[pd.DataFrame, list[int | None], str, list[str]]:
    heading = body[0][0]
    periods = [c for c in heading[lead:]]
    if not all(period(p) is not None for p in periods if p):
        raise _layout_error(name, "a heading line of periods over the value columns", row=body[0][1])
    data = body[1:]
    if not data:
        raise _layout_error(name, "rows of data under the heading line of periods")
    for cells, line in data:
        if not any(cells[:lead]) and cells[lead:] == heading[lead:]:
            raise SchemaError(
                name,
                "the heading line once, at the top (two downloads joined into one file?); load each download "
                "by itself",
                row=line,
                found_text="the heading line of periods again",
            )
    # a label left blank repeats the one above
    filled: list[list[str]] = []
    previous = [""] * lead
    for cells, _ in data:
        labels = [c if c else previous[i] for i, c in enumerate(cells[:lead])]
        previous = labels
        filled.append(labels + cells[lead:])
    lines = [line for _, line in data]
    columns = [[r[i] for r in filled] for i in range(lead)]
    names = _classify(columns, name, lines) if lead else []
    rows, numbers = [], []
    for r, line in zip(filled, lines, strict=True):
        for j, p in enumerate(periods):
            if not p:
                continue
            v = r[lead + j]
            if not _is_value(v):
                raise SchemaError(name, "a number, or '..' for a missing value", row=line, column=p, found=v)
            rows.append(r[:lead] + [p, v])
            numbers.append(line)
    raw = pd.DataFrame(rows, columns=[*names, "TID", "INDHOLD"], dtype=object)
    return raw, list(numbers), "web-matrix", title


def title_kind(title: str) -> str | None:
    """What a matrix title says the table holds: 'accounts', 'budgets', 'population', 'services', 'area'."""
    t = title.casefold()
    for word, kind in _TITLE_WORDS.items():
        if word in t:
            return kind
    return None


def _jsonstat(text: str, name: str) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise SchemaError(name, "JSON-stat (valid JSON)", found_text=str(e)) from None
    ds = data.get("dataset", data) if isinstance(data, dict) else None
    if not isinstance(ds, dict) or "dimension" not in ds or "value" not in ds:
        raise SchemaError(name, "a JSON-stat dataset with 'dimension' and 'value'", found_text="other JSON")
    dims = ds["dimension"]
    ids = ds.get("id") or dims.get("id")
    sizes = ds.get("size") or dims.get("size")
    if not ids or not sizes or len(ids) != len(sizes):
        raise SchemaError(name, "JSON-stat dimension ids and sizes", found_text="none or of unequal length")
    codes, labels = [], {}
    for dim_id, size in zip(ids, sizes, strict=True):
        cat = dims[dim_id].get("category", {})
        index = cat.get("index")
        label = cat.get("label", {})
        if isinstance(index, dict):
            order = sorted(index, key=index.get)
        elif isinstance(index, list):
            order = list(index)
        else:
            order = list(label)
        if len(order) != size:
            raise SchemaError(
                name, f"{size} categories as the size says", column=dim_id, found_text=f"{len(order)}"
            )
        codes.append([str(c) for c in order])
        labels[dim_id] = {str(k): str(v) for k, v in label.items()}
    n = int(np.prod(sizes))
    values = ds["value"]
    flat = [values.get(str(i)) for i in range(n)] if isinstance(values, dict) else list(values)
    if len(flat) != n:
        raise SchemaError(
            name, f"{n} values (the product of the sizes)", column="value", found_text=str(len(flat))
        )
    grid = np.indices(sizes).reshape(len(sizes), -1)
    df = pd.DataFrame({dim_id: np.asarray(codes[k], dtype=object)[grid[k]] for k, dim_id in enumerate(ids)})
    df["INDHOLD"] = ["" if v is None else str(v) for v in flat]
    drop = [
        d for d, s in zip(ids, sizes, strict=True) if s == 1 and d.casefold() in ("contentscode", "contents")
    ]
    df = df.drop(columns=drop)
    time = (ds.get("role") or dims.get("role") or {}).get("time") or []
    for t in time:
        if t in df.columns and _role(t) != "time":
            df = df.rename(columns={t: "TID"})
    return df, labels


def _tidy(raw: pd.DataFrame, name: str, rows: list[int | None]) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    values = raw[[c for c in raw.columns if _role(c) == "value"][0]]
    decimal = "," if values.str.contains(",", regex=False).any() else "."
    for col in raw.columns:
        role = _role(col)
        series = raw[col].astype(str).str.strip()
        if role == "area":
            seen_area: dict[str, tuple[int | None, str]] = {}
            parsed = [seen_area[v] if v in seen_area else seen_area.setdefault(v, _area(v)) for v in series]
            for (_, level), v, row in zip(parsed, series, rows, strict=True):
                if not level:
                    near = difflib.get_close_matches(
                        v.casefold(), list(_municipality_names()), n=1, cutoff=0.7
                    )
                    hint = f" (did you mean '{near[0].title()}'?)" if near else ""
                    raise SchemaError(
                        name,
                        f"a municipality, region or 'Hele landet' by code or name{hint}",
                        row=row,
                        column=col,
                        found=v,
                    )
            out["municipality_code"] = pd.array([c for c, _ in parsed], dtype="Int64")
            out["area_level"] = [lv for _, lv in parsed]
        elif role == "function":
            codes = []
            seen_code: dict[str, str | None] = {}
            for v, row in zip(series, rows, strict=True):
                if v in seen_code:
                    codes.append(seen_code[v])
                    continue
                code = function_code(v)
                if code is None:
                    m = re.match(r"^(\d)\.?(\d{2})(?!\d)(?:\s|$)", v)
                    if m:
                        code = f"{m.group(1)}.{m.group(2)}"
                    elif v.casefold() in _TOTALS or v.casefold().startswith(("i alt", "hovedkonto")):
                        code = None
                    else:
                        raise SchemaError(
                            name,
                            "a function code or label such as '5.38.50 Botilbud ...' or 53850",
                            row=row,
                            column=col,
                            found=v,
                        )
                seen_code[v] = code
                codes.append(code)
            out["function_code"] = pd.Series(codes, index=raw.index, dtype=object)
        elif role == "time":
            periods = []
            seen_period: dict[str, pd.Period | None] = {}
            for v, row in zip(series, rows, strict=True):
                p = seen_period[v] if v in seen_period else seen_period.setdefault(v, period(v))
                if p is None:
                    raise SchemaError(
                        name, "a time code such as 2024, 2024K1 or 2024M01", row=row, column=col, found=v
                    )
                periods.append(p)
            kinds = {p.freqstr for p in periods}
            if len(kinds) > 1:
                raise SchemaError(
                    name, "time codes of one kind", column=col, found_text=", ".join(sorted(kinds))
                )
            out["period"] = pd.Series(periods, index=raw.index)
        elif role == "value":
            numbers = []
            if (
                decimal == "."
            ):  # no decimal comma anywhere: '100.000' may be 100 or 100.000 (Danish thousands)
                dotted = series.str.fullmatch(r"-?\d{1,3}(\.\d{3})+").fillna(False).to_numpy(dtype=bool)
                if dotted.any():
                    k = int(np.argmax(dotted))
                    raise SchemaError(
                        name,
                        "a number that reads one way (with a decimal comma, e.g. 100000 or 100,5; a dot followed by "
                        "three digits may be a Danish thousands separator or a decimal point)",
                        row=rows[k],
                        column=col,
                        found=series.iloc[k],
                    )
            plain = r"-?\d+(,\d+)?" if decimal == "," else r"-?\d+(\.\d+)?"
            simple = series.str.fullmatch(plain).fillna(False).to_numpy(dtype=bool)
            fast = pd.to_numeric(series.where(simple, "0").str.replace(",", ".", regex=False)).to_numpy(
                dtype=float
            )
            for v, row, is_simple, x in zip(series, rows, simple, fast, strict=True):
                if is_simple:
                    numbers.append(x)
                    continue
                if v in ("..", "", "...", ":"):
                    numbers.append(np.nan)
                    continue
                x = loads.parse_amount(v, decimal)
                if x is None:
                    raise SchemaError(
                        name, "a number, or '..' for a missing value", row=row, column=col, found=v
                    )
                numbers.append(x)
            out["value"] = pd.Series(numbers, index=raw.index, dtype=float)
        else:
            out[_column_name(col)] = series.to_numpy(dtype=object)
    front = [c for c in ("municipality_code", "area_level", "function_code") if c in out.columns]
    back = [c for c in ("period", "value") if c in out.columns]
    return out[front + [c for c in out.columns if c not in front + back] + back]

"""Loading users' own files: reading them, Danish numbers and dates, column mappings, and the record of every load.

The loaders (:mod:`analysis.data.statbank`, :mod:`analysis.data.ledger`, :mod:`analysis.data.case_extract`) turn a
file into warehouse rows; this module holds what they share.

Reading
    :func:`read_file` reads CSV (``;``, ``,`` or tab, detected from the header line; UTF-8 with or without a BOM,
    else Windows-1252) or Excel (``.xlsx``). :func:`parse_amounts` reads amounts with a decimal comma and thousands
    dots (``1.234.567,89``, ``-1.234,5``, ``1.234,50-``); :func:`parse_dates` reads Danish dates (``31-01-2025``,
    ``31.01.2025``, ``31/01/2025``) and ISO dates; :func:`function_code` reads function codes written with or
    without dots (``5.38.50``, ``53850``, ``5.38.50.001``, ``5.38.50 Botilbud ...``).
Mappings
    :func:`read_mapping` reads the small YAML file that says which column of an export holds what (see
    ``parameters/mappings/``), and refuses unknown keys with the nearest valid one.
The record of loads
    :func:`write` validates warehouse rows with :func:`analysis.data.schema.validate` and writes them, the record of
    the load (table ``_loads``: file name, SHA-256, rows read, loaded and skipped) and the load's data-quality
    findings (table ``_findings``) in ONE transaction: a file lands completely or not at all. A file whose rows are
    all in the warehouse already, loaded before with the same options, is reported as unchanged and nothing is
    written, so loading the same file twice changes nothing.

Errors are :class:`~analysis.data.schema.SchemaError`: they name the file, the row as a spreadsheet shows it (the
header is row 1), the column as the file calls it, what was expected and what was found. A value that looks like a
CPR number is never repeated in an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml

from analysis.data import reference
from analysis.data.schema import TABLES, SchemaError, validate
from analysis.data.warehouse import create_schema, fetch_one, read_meta, write_meta
from analysis.privacy import CPR_PATTERN, mask_cpr

__all__ = [
    "FINDINGS_TABLE",
    "FileFormat",
    "Finding",
    "LOADS_TABLE",
    "LoadResult",
    "OWN_DATA_KIND",
    "ColumnMapping",
    "SourceTable",
    "ensure_tables",
    "file_sha256",
    "function_code",
    "kr",
    "parse_amount",
    "parse_amounts",
    "parse_csv",
    "parse_date",
    "parse_dates",
    "previous_loads",
    "read_file",
    "read_mapping",
    "remap_error",
    "select_columns",
    "shown",
    "write",
]

LOADS_TABLE = "_loads"
FINDINGS_TABLE = "_findings"
#: The ``_meta`` kind of a warehouse that holds users' data (the sample's is ``sample``).
OWN_DATA_KIND = "own data"

_CPR = re.compile(CPR_PATTERN)

_LOADS_DDL = f"""CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (
    load_id BIGINT PRIMARY KEY,
    loaded_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    options VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    municipality_code BIGINT,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_new BIGINT NOT NULL,
    rows_changed BIGINT NOT NULL,
    rows_removed BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    skipped VARCHAR NOT NULL,
    notes VARCHAR NOT NULL
)"""

_FINDINGS_DDL = f"""CREATE TABLE IF NOT EXISTS {FINDINGS_TABLE} (
    load_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    municipality_code BIGINT,
    "check" VARCHAR NOT NULL,
    "count" BIGINT,
    unit VARCHAR NOT NULL,
    examples VARCHAR NOT NULL,
    note VARCHAR NOT NULL
)"""


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Finding:
    """One data-quality check on one file or table: how many hits, in what unit, with a few examples.

    Attributes
    ----------
    check : str
        The check's id, a key of :data:`analysis.data.quality.CHECKS` (e.g. ``"negative_posting"``).
    count : int or None
        Number of hits (postings, cases, months ...); ``None`` when the check could not be made (see ``note``).
    unit : str
        What is counted, in Danish (``"posteringer"``, ``"sager"``, ``"måneder"``).
    examples : list of str
        A few hits, described without person data (row numbers, case numbers, pseudonyms, amounts).
    note : str
        Why the check was not made, or a remark on the hits.
    municipality_code : int or None
        The municipality the hits belong to.
    """

    check: str
    count: int | None
    unit: str
    examples: list[str] = field(default_factory=list)
    note: str = ""
    municipality_code: int | None = None


@dataclass
class LoadResult:
    """What a load did; :meth:`describe` says it in a few lines for the command line.

    Attributes
    ----------
    kind : str
        ``statbank``, ``ledger`` or ``cases``.
    source : str
        The file name (without its folder).
    target : str
        The warehouse table written.
    status : str
        ``loaded`` or ``unchanged`` (the same file with the same options was loaded before and every row is in the
        warehouse already: nothing was written).
    rows_read : int
        Data rows read from the file.
    rows_loaded : int
        Warehouse rows written (after aggregation, e.g. postings summed per month).
    new, changed, removed : int
        Warehouse rows added, replaced with other values, and removed (a ledger file replaces the months of each
        function and year it holds).
    skipped : dict
        Rows of the file not loaded, by reason (e.g. ``{"uden CPR-nummer": 3}``).
    findings : list of Finding
        The data-quality findings of the file.
    notes : list of str
        Remarks for the user (assumptions made, what the file could not fill).
    """

    kind: str
    source: str
    target: str
    status: str = "loaded"
    rows_read: int = 0
    rows_loaded: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_id: int | None = None

    def describe(self) -> str:
        """A few lines for the command line: what was loaded, skipped and found."""
        if self.status == "unchanged":
            return (
                f"{self.source}: unchanged; this file was loaded before and its {self.rows_loaded:,} rows of "
                f"table '{self.target}' are all in the warehouse. Nothing was written."
            )
        else:
            lines = [
                f"{self.source}: {self.rows_read:,} rows read; {self.rows_loaded:,} rows of table '{self.target}' "
                f"loaded ({self.new:,} new, {self.changed:,} changed, {self.removed:,} removed)."
            ]
        for reason, n in self.skipped.items():
            lines.append(f"  skipped {n:,} rows: {reason}")
        hits = [f for f in self.findings if f.count]
        if hits:
            lines.append(
                "  data-quality findings (the report: analysis run parameters/batches/data-quality.yaml):"
            )
            for f in hits:
                lines.append(f"    {f.check}: {f.count:,} {f.unit}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Errors


def kr(x: float) -> str:
    """An amount in Danish notation for examples in findings.

    >>> kr(-1234567.891)
    '-1.234.567,89 kr.'
    """
    return f"{x:,.2f}".translate(str.maketrans({",": ".", ".": ","})) + " kr."


def shown(value: Any) -> dict[str, Any]:
    """Keyword arguments for :class:`SchemaError` that show ``value``, unless it looks like a CPR number.

    >>> shown("abc")
    {'found': 'abc'}
    >>> shown("010203-1234")
    {'found_text': 'a CPR-shaped value (not shown)'}
    """
    if isinstance(value, str) and _CPR.search(value):
        return {"found_text": "a CPR-shaped value (not shown)"}
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return {"found_text": "empty"}
    return {"found": value}


def remap_error(
    error: SchemaError, rows: Sequence[int] | None = None, columns: Mapping[str, str] | None = None
) -> SchemaError:
    """The same error with the file's own row number and column name.

    Parameters
    ----------
    error
        An error raised on rows numbered from 1 (``first_row=1``).
    rows
        The file row of each of those rows (e.g. after rows were skipped).
    columns
        Warehouse column -> the file's column name.
    """
    row = error.row
    if row is not None and rows is not None and 1 <= row <= len(rows):
        row = int(rows[row - 1])
    column = error.column
    if column is not None and columns and column in columns:
        column = f"{columns[column]}"
    found = error.found
    m = re.match(r"^the same key as row (\d+)", found or "")
    if m and rows is not None and 1 <= int(m.group(1)) <= len(rows):
        found = found.replace(m.group(0), f"the same key as row {int(rows[int(m.group(1)) - 1])}", 1)
    return SchemaError(error.source, error.expected, row=row, column=column, found_text=found)


# ---------------------------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class FileFormat:
    """How to read a file; every field has a sensible default for Danish exports.

    Attributes
    ----------
    sheet : str or int or None
        Excel: the sheet's name or position (0 = the first).
    skip_rows : int
        Lines (rows) above the header to skip, e.g. a title line the finance system writes.
    encoding : str or None
        CSV: the text encoding; by default UTF-8 (with or without a BOM), else Windows-1252.
    delimiter : str or None
        CSV: the field separator; by default the most frequent of ``;``, ``,`` and tab in the header line.
    decimal : str or None
        ``","`` (Danish: ``1.234,50``) or ``"."`` (``1,234.50``); by default ``","`` unless the separator is ``,``.
    date_format : str or None
        A ``strftime`` format such as ``%d-%m-%Y``; by default Danish dates (day first) and ISO dates are read.
    """

    sheet: str | int | None = None
    skip_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    date_format: str | None = None


_EXCEL = (".xlsx", ".xlsm")
_TEXT = (".csv", ".txt", ".tsv")


@dataclass
class SourceTable:
    """A file read into a DataFrame: its cells (text for CSV, typed cells for Excel) and where it came from."""

    df: pd.DataFrame
    source: str
    row_numbers: np.ndarray
    delimiter: str | None
    decimal: str
    notes: list[str]

    def rows(self) -> np.ndarray:
        """The file's row number of each data row (the header is row 1; blank lines count)."""
        return self.row_numbers


def read_file(path: str | os.PathLike, fmt: FileFormat | None = None) -> SourceTable:
    """Read a CSV or Excel file into a DataFrame of cells; no value is converted yet.

    Parameters
    ----------
    path
        A ``.csv``/``.txt``/``.tsv`` or ``.xlsx`` file.
    fmt
        How to read it (see :class:`FileFormat`).

    Raises
    ------
    SchemaError
        For a file of another kind, an empty file, or lines with a different number of fields than the header.
    FileNotFoundError
        When there is no such file.
    """
    fmt = fmt or FileFormat()
    path = Path(path)
    source = path.name
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix in _EXCEL:
        try:
            df = pd.read_excel(
                path,
                sheet_name=fmt.sheet if fmt.sheet is not None else 0,
                dtype=object,
                skiprows=fmt.skip_rows,
            )
        except ValueError as e:  # unknown sheet
            raise SchemaError(source, f"a sheet {fmt.sheet!r}", found_text=str(e)) from None
        except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not Excel
            raise SchemaError(
                source, "an Excel workbook (.xlsx)", found_text=f"a file Excel cannot read ({e})"
            ) from None
        df = df.astype(object).where(df.notna(), None)
        numbers = np.arange(len(df)) + fmt.skip_rows + 2
        delimiter = None
        decimal = fmt.decimal or ","
    elif suffix in _TEXT:
        raw = path.read_bytes()
        text, encoding_note = _decode(raw, fmt.encoding, source)
        if encoding_note:
            notes.append(encoding_note)
        lines = text.splitlines()
        body = lines[fmt.skip_rows :]
        if not [ln for ln in body if ln.strip()]:
            raise SchemaError(source, "a header line and rows of data", found_text="an empty file")
        header = body[0]
        delimiter = fmt.delimiter or _sniff(header)
        decimal = fmt.decimal or ("." if delimiter == "," else ",")
        df, numbers = parse_csv("\n".join(body), delimiter, source, line_offset=fmt.skip_rows)
        df = df.astype(object).where(df != "", None)
        numbers = np.asarray(numbers)
    elif suffix == ".xls":
        raise SchemaError(
            source, "a .xlsx workbook or a CSV file", found_text="an old Excel file (.xls): save it as .xlsx"
        )
    else:
        raise SchemaError(
            source, "a .csv, .txt or .xlsx file", found_text=f"a '{suffix or 'no suffix'}' file"
        )
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise SchemaError(source, "rows of data below the header", found_text="a header only")
    return SourceTable(df.reset_index(drop=True), source, numbers, delimiter, decimal, notes)


def parse_csv(
    text: str, delimiter: str, source: str, *, line_offset: int = 0
) -> tuple[pd.DataFrame, list[int]]:
    """Split CSV text into a DataFrame of text cells and the line number of each row.

    Blank lines are skipped; a line with another number of fields than the header is refused.

    Parameters
    ----------
    text
        The CSV text, header line first.
    delimiter
        The field separator.
    source
        The file's name, for errors.
    line_offset
        Lines above ``text`` in the file (e.g. skipped title lines), so that line numbers are the file's.

    Raises
    ------
    SchemaError
        Naming the line and the number of fields found.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise SchemaError(source, "a header line and rows of data", found_text="an empty file") from None
    rows, numbers = [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise SchemaError(
                    source,
                    f"{len(header)} fields separated by '{_name(delimiter)}' as in the header",
                    row=reader.line_num + line_offset,
                    found_text=f"{len(row)} fields",
                )
            rows.append(row)
            numbers.append(reader.line_num + line_offset)
    except csv.Error as e:
        raise SchemaError(
            source, "well-formed CSV", row=reader.line_num + line_offset, found_text=str(e)
        ) from None
    return pd.DataFrame(rows, columns=header, dtype=object), numbers


def _decode(raw: bytes, encoding: str | None, source: str) -> tuple[str, str | None]:
    if encoding:
        try:
            return raw.decode(encoding), None
        except (UnicodeDecodeError, LookupError) as e:
            raise SchemaError(source, f"text in the encoding {encoding}", found_text=str(e)) from None
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "not UTF-8; read as Windows-1252 (the Danish Windows encoding)"


def _sniff(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ";"


def _name(delimiter: str) -> str:
    return {"\t": "tab"}.get(delimiter, delimiter)


# ---------------------------------------------------------------------------------------------------------------
# Values


def is_missing(v: Any) -> bool:
    """True for None, NaN/NaT and blank text: a cell the file left empty."""
    return v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip())


_AMOUNT = {
    ",": re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$"),
    ".": re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$"),
}


def parse_amount(value: Any, decimal: str = ",") -> float | None:
    """One amount as a float, or None when it cannot be read (NaN when empty).

    >>> parse_amount("1.234.567,89")
    1234567.89
    >>> parse_amount("-1.234,5"), parse_amount("1.234,50-"), parse_amount("(12,00)")
    (-1234.5, -1234.5, -12.0)
    >>> parse_amount("1,234.5", decimal=".")
    1234.5
    >>> parse_amount("12,3,4") is None
    True
    """
    if is_missing(value):
        return float("nan")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    text = re.sub(r"(?i)^(kr\.?|dkk)|(kr\.?|dkk)$", "", text)
    sign = 1.0
    if text.startswith("(") and text.endswith(")"):
        sign, text = -1.0, text[1:-1]
    if text.endswith("-"):
        sign, text = -sign, text[:-1]
    if text.startswith(("-", "+", "\u2212")):
        sign, text = (-sign if text[0] != "+" else sign), text[1:]
    m = _AMOUNT[decimal].match(text)
    if not m:
        return None
    whole = m.group(1).replace("." if decimal == "," else ",", "")
    return sign * float(f"{whole}.{m.group(2) or 0}")


def parse_amounts(
    values: pd.Series, *, decimal: str, source: str, column: str, rows: Sequence[int], required: bool = True
) -> pd.Series:
    """Read a column of amounts (see :func:`parse_amount`); the first unreadable or missing one raises.

    Parameters
    ----------
    values
        The cells.
    decimal
        ``","`` or ``"."``.
    source, column, rows
        The file, its column name and the row number of each cell, for errors.
    required
        Refuse empty cells.

    Returns
    -------
    pandas.Series
        Floats (DKK as written in the file); NaN where empty and not required.
    """
    out = []
    for v, row in zip(values, rows, strict=True):
        x = parse_amount(v, decimal)
        if x is None:
            example = "1.234.567,89" if decimal == "," else "1,234,567.89"
            raise SchemaError(
                source,
                f"an amount like {example} or -1234{decimal}5",
                row=int(row),
                column=column,
                **shown(v),
            )
        if required and np.isnan(x):
            raise SchemaError(source, "an amount", row=int(row), column=column, found_text="empty")
        out.append(x)
    return pd.Series(out, index=values.index, dtype=float)


DATE_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%y", "%d.%m.%y", "%d/%m/%y", "%Y%m%d")


def parse_date(value: Any, date_format: str | None = None) -> dt.date | None:
    """One date, Danish (day first) or ISO; None when it cannot be read, NaT-like None for empty handled by caller.

    >>> parse_date("31-01-2025"), parse_date("31.01.2025"), parse_date("2025-01-31")
    (datetime.date(2025, 1, 31), datetime.date(2025, 1, 31), datetime.date(2025, 1, 31))
    >>> parse_date("31-01-2025 00:00:00")
    datetime.date(2025, 1, 31)
    >>> parse_date("01-31-2025") is None
    True
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)
    for f in (date_format,) if date_format else DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, f).date()
        except ValueError:
            continue
    return None


def parse_dates(
    values: pd.Series,
    *,
    source: str,
    column: str,
    rows: Sequence[int],
    date_format: str | None = None,
    required: bool = True,
) -> pd.Series:
    """Read a column of dates (see :func:`parse_date`); the first unreadable or missing one raises.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (NaT where empty and not required).
    """
    out = []
    for v, row in zip(values, rows, strict=True):
        if is_missing(v):
            if required:
                raise SchemaError(source, "a date", row=int(row), column=column, found_text="empty")
            out.append(pd.NaT)
            continue
        d = parse_date(v, date_format)
        if d is None:
            expected = (
                f"a date in the form {date_format}" if date_format else "a date like 31-01-2025 or 31.01.2025"
            )
            raise SchemaError(source, expected, row=int(row), column=column, **shown(v))
        out.append(pd.Timestamp(d))
    return pd.Series(pd.to_datetime(out), index=values.index).astype("datetime64[ns]")


_FUNCTION = re.compile(r"^\s*0?(\d)[.\- ]?(\d{2})[.\- ]?(\d{2})(?!\d)(?:$|[.\- ,;:]|\s)")


def function_code(value: Any) -> str | None:
    """A function code in the dotted form of the chart of accounts, or None when the value is not one.

    >>> [function_code(v) for v in ("5.38.50", "53850", "053850", 53850, "5.38.50.001", "5.38.50 Botilbud")]
    ['5.38.50', '5.38.50', '5.38.50', '5.38.50', '5.38.50', '5.38.50']
    >>> function_code("538501234") is None, function_code("Botilbud") is None
    (True, True)
    """
    if isinstance(value, bool) or is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    m = _FUNCTION.match(str(value))
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else None


def parse_function_codes(
    values: pd.Series, *, source: str, column: str, rows: Sequence[int], required: bool = True
) -> list[str | None]:
    """Each value as a dotted function code (see :func:`function_code`); None for an empty optional one.

    Raises
    ------
    SchemaError
        Naming the file's row and column, for a value that is not a function code (or an empty required one).
    """
    codes: list[str | None] = []
    for v, row in zip(values, rows, strict=True):
        code = function_code(v)
        if code is None and (required or not is_missing(v)):
            expected = "a function code such as 5.38.50 or 53850" + ("" if required else ", or nothing")
            raise SchemaError(source, expected, row=int(row), column=column, **shown(v))
        codes.append(code)
    return codes


# ---------------------------------------------------------------------------------------------------------------
# Mappings


@dataclass
class ColumnMapping:
    """A column mapping read from YAML (see ``parameters/mappings/``).

    Attributes
    ----------
    source : str
        The mapping file's name, for errors.
    sha256 : str
        Its fingerprint (a load with another mapping is another load).
    format : FileFormat
        How to read the files it describes.
    columns : dict
        Warehouse field -> the export's column name.
    constants : dict
        Warehouse field -> one value for every row (for what the export does not have).
    values : dict
        Warehouse field -> {value in the export: value in the warehouse}.
    options : dict
        Further settings of the loader (e.g. ``missing_cpr``).
    """

    source: str
    sha256: str
    format: FileFormat
    columns: dict[str, str]
    constants: dict[str, Any]
    values: dict[str, dict[Any, Any]]
    options: dict[str, Any]


_FORMAT_KEYS = ("sheet", "skip_rows", "encoding", "delimiter", "decimal", "date_format")


def _suggest(value: str, valid: Sequence[str]) -> str:
    near = difflib.get_close_matches(str(value), list(valid), n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


def read_mapping(
    path: str | os.PathLike,
    *,
    fields: Sequence[str],
    required: Sequence[Sequence[str]],
    options: Mapping[str, Any],
) -> ColumnMapping:
    """Read and check a mapping file.

    Parameters
    ----------
    path
        The YAML file.
    fields
        The warehouse fields a mapping may name under ``columns``, ``constants`` and ``values``.
    required
        Groups of fields of which at least one must be given in ``columns`` or ``constants``, e.g.
        ``[["date"], ["amount", "debit"]]``.
    options
        The loader's further top-level keys and their defaults.

    Raises
    ------
    SchemaError
        Naming the mapping file and the key, with the nearest valid key.
    """
    path = Path(path)
    source = path.name
    if not path.exists():
        raise FileNotFoundError(f"no such mapping file: {path}")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig")) or {}
    except yaml.YAMLError as e:
        raise SchemaError(source, "valid YAML", found_text=str(e).replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise SchemaError(source, "keys such as format, columns, constants", found_text="no keys")
    top = ("format", "columns", "constants", "values", *options)
    for key in data:
        if key not in top:
            raise SchemaError(
                source,
                f"only the keys {', '.join(top)}{_suggest(key, top)}",
                column=str(key),
                found_text="an unknown key",
            )
    fmt = data.get("format") or {}
    for key in fmt:
        if key not in _FORMAT_KEYS:
            raise SchemaError(
                source,
                f"format keys {', '.join(_FORMAT_KEYS)}{_suggest(key, _FORMAT_KEYS)}",
                column=f"format.{key}",
                found_text="an unknown key",
            )
    if fmt.get("decimal") not in (None, ",", "."):
        raise SchemaError(source, "',' or '.'", column="format.decimal", **shown(fmt["decimal"]))
    sections = {}
    for section in ("columns", "constants", "values"):
        part = data.get(section) or {}
        if not isinstance(part, dict):
            raise SchemaError(source, "keys naming warehouse fields", column=section, found_text=repr(part))
        for key in part:
            if key not in fields:
                raise SchemaError(
                    source,
                    f"one of the fields {', '.join(fields)}{_suggest(key, fields)}",
                    column=f"{section}.{key}",
                    found_text="an unknown field",
                )
        sections[section] = {k: v for k, v in part.items() if v is not None}
    for section, part in (("columns", sections["columns"]), ("values", sections["values"])):
        for key, value in part.items():
            want = str if section == "columns" else dict
            if not isinstance(value, want):
                expected = "a column name" if section == "columns" else "a table of value: warehouse value"
                raise SchemaError(source, expected, column=f"{section}.{key}", found=str(value))
    for group in required:
        if not any(g in sections["columns"] or g in sections["constants"] for g in group):
            raise SchemaError(
                source,
                f"a column for '{group[0]}' under columns"
                + (f" (or one of {', '.join(group[1:])})" if len(group) > 1 else ""),
                column="columns",
                found_text="none",
            )
    opts = {k: data.get(k, default) for k, default in options.items()}
    return ColumnMapping(
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        format=FileFormat(**{k: fmt.get(k) for k in _FORMAT_KEYS if fmt.get(k) is not None}),
        columns=sections["columns"],
        constants=sections["constants"],
        values=sections["values"],
        options=opts,
    )


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def select_columns(table: SourceTable, mapping: ColumnMapping) -> pd.DataFrame:
    """The mapped columns of a file under their warehouse names, with constants and translated values.

    Raises
    ------
    SchemaError
        When a mapped column is not in the file (naming the file's columns), or a value has no translation.
    """
    df = table.df
    by_norm = {_norm(c): c for c in df.columns}
    out = pd.DataFrame(index=df.index)
    for target, name in mapping.columns.items():
        actual = name if name in df.columns else by_norm.get(_norm(name))
        if actual is None:
            raise SchemaError(
                table.source,
                f"a column '{name}' (columns.{target} in {mapping.source}); the file's columns are "
                f"{', '.join(df.columns)}{_suggest(name, list(df.columns))}",
                column=name,
                found_text="no such column",
            )
        out[target] = df[actual]
    for target, value in mapping.constants.items():
        if target not in out.columns:
            out[target] = value
    for target, table_ in mapping.values.items():
        if target not in out.columns:
            continue
        lookup = {_norm(k): v for k, v in table_.items()}
        valid = sorted({str(v) for v in table_.values()})
        translated = []
        for v, row in zip(out[target], table.rows(), strict=True):
            if is_missing(v):
                translated.append(None)
                continue
            if str(v) in valid:  # already the warehouse's value
                translated.append(v)
                continue
            key = _norm(v)
            if key not in lookup:
                raise SchemaError(
                    table.source,
                    f"one of {', '.join(repr(k) for k in table_)} (values.{target} in {mapping.source})"
                    f"{_suggest(str(v), [str(k) for k in table_])}",
                    row=int(row),
                    column=mapping.columns.get(target, target),
                    **shown(v),
                )
            translated.append(lookup[key])
        out[target] = pd.Series(translated, index=out.index, dtype=object)
    return out


# ---------------------------------------------------------------------------------------------------------------
# The record of loads


def municipality_column(
    df: pd.DataFrame,
    municipality_code: int | None,
    *,
    source: str,
    mapping_source: str,
    rows: Sequence[int],
    column: str,
) -> list[int]:
    """The municipality code of each row of a ledger or case file.

    From the file's ``municipality_code`` column (a code, or a text that starts with one, e.g. '706 Syddjurs'),
    else the code given (``--municipality`` or the mapping's constant). A code given on the command line must
    agree with every row of the file.

    Raises
    ------
    SchemaError
        For no municipality at all, a value that is not one of the 98 codes (naming its row), or a file that
        disagrees with the code given.
    """
    valid = set(reference.municipalities()["municipality_code"])
    if "municipality_code" not in df.columns:
        if municipality_code is None or int(municipality_code) not in valid:
            raise SchemaError(
                source,
                "a municipality: --municipality CODE, a column (columns.municipality_code) or a constant "
                f"(constants.municipality_code) in {mapping_source}",
                column="municipality_code",
                found_text="none" if municipality_code is None else str(municipality_code),
            )
        return [int(municipality_code)] * len(df)
    munis = []
    for v, row in zip(df["municipality_code"], rows, strict=True):
        code = parse_amount(v, ".")
        if code is None or np.isnan(code) or not float(code).is_integer() or int(code) not in valid:
            text = str(v).strip()
            code = int(text[:3]) if text[:3].isdigit() and int(text[:3]) in valid else None
            if code is None:
                raise SchemaError(
                    source,
                    "a municipality code of Statistics Denmark (3 digits, e.g. 706)",
                    row=int(row),
                    column=column,
                    **shown(v),
                )
        munis.append(int(code))
    if municipality_code is not None and any(m != municipality_code for m in munis):
        other = next(m for m in munis if m != municipality_code)
        raise SchemaError(
            source,
            f"municipality {municipality_code} as given on the command line",
            column=column,
            found=str(other),
        )
    return munis


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse tables, ``_meta``, ``_loads`` and ``_findings`` where they do not exist yet."""
    create_schema(con)
    con.execute(_LOADS_DDL)
    con.execute(_FINDINGS_DDL)


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Mark a new warehouse as holding own data and give it the reference list of function areas."""
    if not read_meta(con).get("kind"):
        write_meta(con, {"kind": OWN_DATA_KIND})
    if fetch_one(con, "SELECT count(*) FROM function_areas")[0] == 0:
        areas = validate(reference.function_areas(), "function_areas", "the package's reference list")
        con.register("_areas", areas)
        try:
            con.execute("INSERT INTO function_areas SELECT * FROM _areas")
        finally:
            con.unregister("_areas")


def _diff(
    con: duckdb.DuckDBPyConnection, table: str, partition: Sequence[str] | None
) -> tuple[int, int, int]:
    """(new, changed, removed) rows if ``_incoming`` were written to ``table``."""
    t = TABLES[table]
    key = " AND ".join(f't."{k}" = i."{k}"' for k in t.key)
    other = [c for c in t.column_names if c not in t.key]
    distinct = " OR ".join(f't."{c}" IS DISTINCT FROM i."{c}"' for c in other) or "FALSE"
    new, changed = fetch_one(
        con,
        f'SELECT count(*) FILTER (WHERE t."{t.key[0]}" IS NULL), '
        f'count(*) FILTER (WHERE t."{t.key[0]}" IS NOT NULL AND ({distinct})) '
        f"FROM _incoming i LEFT JOIN {table} t ON {key}",
    )
    removed = 0
    if partition:
        part = " AND ".join(f't."{p}" = p."{p}"' for p in partition)
        cols = ", ".join(f'"{p}"' for p in partition)
        removed = fetch_one(
            con,
            f"SELECT count(*) FROM {table} t SEMI JOIN (SELECT DISTINCT {cols} FROM _incoming) p ON {part} "
            f"ANTI JOIN _incoming i ON {key}",
        )[0]
    return int(new), int(changed), int(removed)


def write(
    con: duckdb.DuckDBPyConnection,
    table: str,
    df: pd.DataFrame,
    *,
    kind: str,
    source: str,
    sha256: str,
    options: Mapping[str, Any],
    rows_read: int,
    municipality_code: int | None = None,
    partition: Sequence[str] | None = None,
    findings: Sequence[Finding] = (),
    skipped: Mapping[str, int] | None = None,
    notes: Sequence[str] = (),
    rows: Sequence[int] | None = None,
    columns: Mapping[str, str] | None = None,
) -> LoadResult:
    """Validate warehouse rows and write them with the record of the load, all in one transaction.

    Parameters
    ----------
    con
        A writable connection.
    table
        The warehouse table.
    df
        Its rows.
    kind, source, sha256
        The loader (``statbank``, ``ledger``, ``cases``), the file's name and its SHA-256.
    options
        The load's options (table id, municipality, mapping fingerprint ...): the same file with other options is
        another load.
    rows_read
        Data rows read from the file.
    municipality_code
        The municipality the file is about, when it is about one.
    partition
        Columns whose combinations in ``df`` the file replaces completely (rows of those combinations that are
        not in ``df`` are removed); ``None`` replaces rows with the same key only (upsert).
    findings
        The file's data-quality findings; they replace the findings of an earlier load of a file of the same name.
    skipped
        Rows not loaded, by reason.
    notes
        Remarks for the user.
    rows, columns
        The file's row of each row of ``df`` and the file's name of each column, so that a validation error points
        into the file.

    Returns
    -------
    LoadResult

    Raises
    ------
    SchemaError
        When the rows break the schema; nothing is written.
    """
    # text columns as plain objects (pandas 3 infers its string dtype, which the validator's checks mix with bools)
    df = df.astype({c: object for c in df.columns if pd.api.types.is_string_dtype(df[c].dtype)})
    try:
        typed = validate(df, table, source)
    except SchemaError as e:
        raise remap_error(e, rows, columns) from None
    ensure_tables(con)
    t = TABLES[table]
    opts = json.dumps(dict(options), sort_keys=True, default=str)
    result = LoadResult(
        kind=kind,
        source=source,
        target=table,
        rows_read=rows_read,
        rows_loaded=len(typed),
        skipped=dict(skipped or {}),
        findings=list(findings),
        notes=list(notes),
    )
    con.register("_incoming", typed)
    try:
        result.new, result.changed, result.removed = _diff(con, table, partition)
        seen = fetch_one(
            con,
            f"SELECT load_id FROM {LOADS_TABLE} WHERE sha256 = ? AND kind = ? AND options = ? "
            "ORDER BY load_id DESC LIMIT 1",
            [sha256, kind, opts],
        )
        if seen is not None and result.new == result.changed == result.removed == 0:
            result.status, result.load_id = "unchanged", int(seen[0])
            return result
        con.execute("BEGIN TRANSACTION")
        try:
            _prepare(con)
            key = " AND ".join(f'{t.name}."{k}" = _incoming."{k}"' for k in t.key)
            if partition:
                cols = ", ".join(f'"{p}"' for p in partition)
                match = " AND ".join(f'{t.name}."{p}" = _p."{p}"' for p in partition)
                con.execute(
                    f"DELETE FROM {t.name} USING (SELECT DISTINCT {cols} FROM _incoming) _p WHERE {match}"
                )
            con.execute(f"DELETE FROM {t.name} USING _incoming WHERE {key}")
            names = ", ".join(f'"{c}"' for c in t.column_names)
            con.execute(f"INSERT INTO {t.name} ({names}) SELECT {names} FROM _incoming")
            load_id = int(fetch_one(con, f"SELECT coalesce(max(load_id), 0) + 1 FROM {LOADS_TABLE}")[0])
            con.execute(
                f"INSERT INTO {LOADS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    load_id,
                    dt.datetime.now().replace(microsecond=0),
                    kind,
                    source,
                    sha256,
                    opts,
                    table,
                    municipality_code,
                    rows_read,
                    len(typed),
                    result.new,
                    result.changed,
                    result.removed,
                    sum(result.skipped.values()),
                    json.dumps(result.skipped, ensure_ascii=False),
                    json.dumps(result.notes, ensure_ascii=False),
                ],
            )
            con.execute(f"DELETE FROM {FINDINGS_TABLE} WHERE source = ? AND kind = ?", [source, kind])
            for f in result.findings:
                con.execute(
                    f"INSERT INTO {FINDINGS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        load_id,
                        kind,
                        source,
                        f.municipality_code if f.municipality_code is not None else municipality_code,
                        f.check,
                        f.count,
                        f.unit,
                        json.dumps([mask_cpr(e) for e in f.examples], ensure_ascii=False),
                        mask_cpr(f.note),
                    ],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        result.load_id = load_id
    finally:
        con.unregister("_incoming")
    return result


def previous_loads(con: duckdb.DuckDBPyConnection, municipality_code: int | None = None) -> pd.DataFrame:
    """The record of loads (newest first), optionally those about one municipality or about all (national data).

    Returns
    -------
    pandas.DataFrame
        The columns of ``_loads``; empty (with those columns) when nothing was ever loaded.
    """
    try:
        if municipality_code is None:
            return con.execute(f"SELECT * FROM {LOADS_TABLE} ORDER BY load_id DESC").df()
        return con.execute(
            f"SELECT * FROM {LOADS_TABLE} WHERE municipality_code = ? OR municipality_code IS NULL "
            "ORDER BY load_id DESC",
            [int(municipality_code)],
        ).df()
    except duckdb.CatalogException:
        cols = re.findall(r"^\s+(\w+) ", _LOADS_DDL, flags=re.M)
        return pd.DataFrame(columns=cols)

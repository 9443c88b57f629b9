"""Loading users' own files: reading them, Danish numbers and dates, column mappings, and the record of every load.

The loaders (:mod:`analysis.data.statbank`, :mod:`analysis.data.ledger`, :mod:`analysis.data.case_extract`) turn a
file into warehouse rows; this module holds what they share.

Reading
    :func:`open_table` opens CSV (``;``, ``,`` or tab, detected from the header line; UTF-8 with or without a BOM,
    UTF-16 with a BOM, else Windows-1252) or Excel (``.xlsx``) and reads it in chunks; :func:`read_file` reads it
    whole. Reading is strict: a quote never closed, a record over several lines, another number of fields than the
    header, a NUL byte (UTF-16 without a BOM), UTF-8 mixed with Windows-1252 and a declared encoding that does not
    fit are refused, naming the row and the column. :func:`parse_amounts` reads amounts with a decimal comma and
    thousands dots (``1.234.567,89``, ``-1.234,5``, ``1.234,50-``) and refuses an amount whose sign is written
    twice (``(1.234,00-)``) or that reads two ways where the decimal mark was not declared (``100.000`` in a
    comma-separated file); :func:`parse_dates` reads Danish dates (``31-01-2025``, ``31.01.2025``,
    ``31/01/2025``) and ISO dates; :func:`function_code` reads function codes written with or without dots
    (``5.38.50``, ``53850``, ``5.38.50.001``, ``5.38.50 Botilbud ...``). Each distinct value is parsed once.
Mappings
    :func:`read_mapping` reads the small YAML file that says which column of an export holds what (see
    ``parameters/mappings/``), and refuses unknown keys with the nearest valid one.
The record of loads
    :func:`write` validates warehouse rows and writes them, the record of the load (table ``_loads``: file name,
    SHA-256, rows read, loaded and skipped), the load's data-quality findings (table ``_findings``) and every row
    it replaces or removes (table ``_history_<table>``) in ONE transaction: a file lands completely or not at
    all. A file whose rows are all in the warehouse already, loaded before with the same options, is reported as
    unchanged and nothing is written; a file whose bytes were loaded before as another table is refused.
    :func:`undo` restores the warehouse as it was before a load.

Errors are :class:`~analysis.data.schema.SchemaError`: they name the file, the row as a spreadsheet shows it (the
header is row 1), the column as the file calls it, what was expected and what was found. A value that looks like a
CPR number is never repeated in an error.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from analysis.errors import InputError
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
    "history_table",
    "open_table",
    "previous_loads",
    "read_file",
    "read_mapping",
    "read_text",
    "remap_error",
    "select_columns",
    "shown",
    "undo",
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
    """A file read into a DataFrame: its cells (text for CSV, typed cells for Excel) and where it came from.

    Attributes
    ----------
    decimal_declared : bool
        True when the decimal mark was given (the mapping's ``format.decimal``), False when it was taken from the
        delimiter; an amount such as ``100.000`` is then refused as ambiguous where the mark may be ``.``.
    sha256 : str or None
        The file's SHA-256 (hex), computed while reading.
    """

    df: pd.DataFrame
    source: str
    row_numbers: np.ndarray
    delimiter: str | None
    decimal: str
    notes: list[str]
    decimal_declared: bool = True
    sha256: str | None = None

    def rows(self) -> np.ndarray:
        """The file's row number of each data row (the header is row 1; blank lines count)."""
        return self.row_numbers


#: Rows per chunk when a CSV file is read in chunks (:meth:`TableReader.chunks`).
CHUNK_ROWS = 100_000
_BLOCK = 1 << 20
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# UTF-8 encodings of the Latin-1 letters (æ, ø, å, é ...): in a Windows-1252 file they would read as 'Ã¦', 'Ã¸'
_UTF8_LATIN = re.compile(rb"\xc3[\x80-\xbf]")


_SHOWN = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


@dataclass
class TableReader:
    """An opened CSV or Excel file: its header, format and fingerprint, read row by row in chunks.

    Made by :func:`open_table`. A CSV file is checked byte by byte first (encoding, NUL bytes, SHA-256, line count)
    and then parsed in chunks of :data:`CHUNK_ROWS` rows, so that a file of millions of rows never sits in memory as
    text; :meth:`chunks` yields each chunk's cells and the file's row number of each row.
    """

    path: Path
    source: str
    fmt: FileFormat
    columns: list[str]
    delimiter: str | None
    decimal: str
    decimal_declared: bool
    encoding: str | None
    sha256: str
    size: int
    lines: int
    notes: list[str]
    _excel: pd.DataFrame | None = None

    def chunks(
        self, rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """Yield (cells, row numbers) for up to ``rows`` data rows at a time.

        Parameters
        ----------
        rows
            Data rows per chunk.
        progress
            Called after each chunk with the bytes of the file read so far.

        Raises
        ------
        SchemaError
            For a malformed line (a quote never closed, a field that runs over several lines, another number of
            fields than the header), naming the row and the column; or a file without data rows.
        """
        if self._excel is not None:
            numbers = np.arange(len(self._excel)) + self.fmt.skip_rows + 2
            if progress:
                progress(self.size)
            yield self._excel, numbers
            return
        n = 0
        with open(self.path, encoding=self.encoding, newline="") as f:
            for _ in range(self.fmt.skip_rows):
                f.readline()
            batches = _record_batches(
                f,
                self.delimiter or ";",
                self.source,
                line_offset=self.fmt.skip_rows,
                lines=self.lines,
                batch_rows=rows,
                line_at=self._line,
            )
            next(batches)  # the header, read by open_table
            for numbers, batch in batches:
                n += len(batch)
                yield self._frame(batch), np.asarray(numbers, dtype=np.int64)
                if progress:
                    progress(f.buffer.tell())
        if n == 0:
            raise SchemaError(self.source, "rows of data below the header", found_text="a header only")
        if progress:
            progress(self.size)

    def _line(self, number: int) -> str:
        """The file's line ``number`` (1 = the first line), for errors."""
        with open(self.path, encoding=self.encoding, newline="") as f:
            return next(itertools.islice(f, number - 1, None), "")

    def _frame(self, batch: list[list[str]]) -> pd.DataFrame:
        df = pd.DataFrame(batch, columns=self.columns, dtype=object)
        return df.where(df != "", None)

    def read(self) -> SourceTable:
        """The whole file as one :class:`SourceTable` (for files of modest size)."""
        parts = list(self.chunks())
        df = pd.concat([p[0] for p in parts], ignore_index=True) if len(parts) > 1 else parts[0][0]
        numbers = np.concatenate([p[1] for p in parts])
        return SourceTable(
            df.reset_index(drop=True),
            self.source,
            numbers,
            self.delimiter,
            self.decimal,
            self.notes,
            decimal_declared=self.decimal_declared,
            sha256=self.sha256,
        )


def open_table(path: str | os.PathLike, fmt: FileFormat | None = None) -> TableReader:
    """Open a CSV or Excel file for reading: check its bytes and read its header (see :class:`TableReader`).

    Raises
    ------
    SchemaError
        For a file of another kind, an empty file, text that is not in the declared or detected encoding (e.g.
        UTF-16 from Excel's "Unicode text" without a byte-order mark, or UTF-8 mixed with Windows-1252), naming
        the row and the column.
    FileNotFoundError
        When there is no such file.
    """
    fmt = fmt or FileFormat()
    path = Path(path)
    source = path.name
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
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
        df.columns = [str(c).strip() for c in df.columns]
        if df.empty:
            raise SchemaError(source, "rows of data below the header", found_text="a header only")
        return TableReader(
            path=path,
            source=source,
            fmt=fmt,
            columns=list(df.columns),
            delimiter=None,
            decimal=fmt.decimal or ",",
            decimal_declared=fmt.decimal is not None,
            encoding=None,
            sha256=file_sha256(path),
            size=path.stat().st_size,
            lines=len(df) + 1 + fmt.skip_rows,
            notes=[],
            _excel=df.reset_index(drop=True),
        )
    if suffix == ".xls":
        raise SchemaError(
            source, "a .xlsx workbook or a CSV file", found_text="an old Excel file (.xls): save it as .xlsx"
        )
    if suffix not in _TEXT:
        raise SchemaError(
            source, "a .csv, .txt or .xlsx file", found_text=f"a '{suffix or 'no suffix'}' file"
        )
    scan = _scan(path, fmt)
    with open(path, encoding=scan.encoding, newline="") as f:
        for _ in range(fmt.skip_rows):
            f.readline()
        first = f.readline()
        if not first.strip():
            rest = f.read(1 << 16)
            if not rest.strip():
                raise SchemaError(source, "a header line and rows of data", found_text="an empty file")
            raise SchemaError(
                source,
                f"the header line at row {fmt.skip_rows + 1} (format.skip_rows: {fmt.skip_rows})",
                row=fmt.skip_rows + 1,
                found_text="a blank line",
            )
    delimiter = fmt.delimiter or _sniff(first)
    with open(path, encoding=scan.encoding, newline="") as f:
        for _ in range(fmt.skip_rows):
            f.readline()
        header = next(_record_batches(f, delimiter, source, line_offset=fmt.skip_rows))[1][0]
    return TableReader(
        path=path,
        source=source,
        fmt=fmt,
        columns=header,
        delimiter=delimiter,
        decimal=fmt.decimal or ("." if delimiter == "," else ","),
        decimal_declared=fmt.decimal is not None,
        encoding=scan.encoding,
        sha256=scan.sha256,
        size=scan.size,
        lines=scan.lines,
        notes=[scan.note] if scan.note else [],
    )


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
        For a file of another kind, an empty file, a file not in the declared or detected encoding, a quote that
        is never closed, a field running over several lines, or lines with a different number of fields than the
        header (see :func:`open_table`).
    FileNotFoundError
        When there is no such file.
    """
    return open_table(path, fmt).read()


def read_text(path: str | os.PathLike, fmt: FileFormat | None = None) -> tuple[str, list[str]]:
    """A text file's content with the checks of :func:`open_table` on its bytes (for loaders that parse text).

    Returns
    -------
    (str, list of str)
        The text (line breaks as in the file, a BOM removed) and notes (e.g. the encoding it was read in).

    Raises
    ------
    SchemaError
        For text that is not in the declared or detected encoding (UTF-16 without a byte-order mark, UTF-8 mixed
        with Windows-1252 ...), naming the row and the column.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    scan = _scan(path, fmt or FileFormat())
    with open(path, encoding=scan.encoding, newline="") as f:
        return f.read(), [scan.note] if scan.note else []


@dataclass
class _Scanned:
    encoding: str
    note: str | None
    sha256: str
    size: int
    lines: int


def _scan(path: Path, fmt: FileFormat) -> _Scanned:
    """One pass over the bytes: SHA-256, line count, and the encoding checked (declared) or detected."""
    source = path.name
    with open(path, "rb") as f:
        head = f.read(4)
    bom = next((enc for mark, enc in _BOMS if head.startswith(mark)), None)
    declared = fmt.encoding
    if declared:
        try:
            name = _codec(declared)
            codecs.lookup(declared)
        except LookupError:
            raise SchemaError(
                source,
                "a known text encoding such as utf-8 or cp1252",
                column="format.encoding",
                found=declared,
            ) from None
        if bom is not None and not (
            name == _codec(bom) or (bom == "utf-8-sig" and name == "utf-8") or name.startswith(_codec(bom))
        ):
            raise SchemaError(
                source,
                f"text in the declared encoding {declared} (format.encoding)",
                row=1,
                found_text=f"a {bom.upper().replace('-SIG', '')} byte-order mark at the start of the file"
                + (" (Excel's 'Unicode text')" if bom == "utf-16" else ""),
            )
        encoding = "utf-8-sig" if name == "utf-8" else declared
        candidates = [encoding]
    elif bom is not None:
        candidates = [bom]
    else:
        candidates = ["utf-8", "cp1252"]
    wide = _codec(candidates[0]).startswith(("utf-16", "utf-32"))
    h = hashlib.sha256()
    mark = next((m for m, _ in _BOMS if head.startswith(m)), b"")
    plain = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le" if mark == b"\xff\xfe" else "utf-16-be"}
    # the byte-order mark is skipped, so that error offsets count from the file's first byte
    decoder = codecs.getincrementaldecoder(
        plain.get(_codec(candidates[0]), candidates[0]) if mark else candidates[0]
    )()
    encoding = candidates[0]
    skip = len(mark)
    offset = 0  # bytes before the current block
    lines = 0
    last_cr = False
    non_ascii_ok = False  # valid UTF-8 beyond ASCII seen
    note = None
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
            if not wide:
                nul = block.find(b"\x00")
                if nul >= 0:
                    at = offset + nul
                    raise _encoding_error(
                        path,
                        fmt,
                        at,
                        encoding,
                        "a NUL byte: the file looks like UTF-16 (Excel's 'Unicode text') without a byte-order "
                        "mark; save it as 'CSV UTF-8' or declare format: encoding: utf-16-le in the mapping",
                        declared,
                    )
            pending = len(getattr(decoder, "buffer", b""))
            try:
                decoder.decode(block[skip:] if offset == 0 else block)
            except UnicodeDecodeError as e:
                bad = max(offset + (skip if offset == 0 else 0) - pending + e.start, 0)
                if declared or encoding != "utf-8":
                    raise _encoding_error(
                        path,
                        fmt,
                        bad,
                        encoding,
                        f"a byte that is not {declared or _SHOWN.get(encoding, encoding)} ({e.reason})",
                        declared,
                    ) from None
                if non_ascii_ok or not block[: max(bad - offset, 0)].isascii():
                    raise _encoding_error(
                        path,
                        fmt,
                        bad,
                        encoding,
                        "a byte that is not UTF-8 in a file that is UTF-8 elsewhere (UTF-8 mixed with "
                        "Windows-1252); save the file again in one encoding",
                        declared,
                    ) from None
                encoding = "cp1252"
                note = "not UTF-8; read as Windows-1252 (the Danish Windows encoding)"
                decoder = codecs.getincrementaldecoder("cp1252")()
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as e2:
                    raise _encoding_error(
                        path, fmt, offset + e2.start, encoding, f"a byte that is not {encoding}", declared
                    ) from None
            if encoding == "cp1252" and not declared:
                m = _UTF8_LATIN.search(block)
                if m:
                    raise _encoding_error(
                        path,
                        fmt,
                        offset + m.start(),
                        encoding,
                        "UTF-8 text (e.g. 'Ã¦' for 'æ') in a file that is not UTF-8 elsewhere (UTF-8 mixed with "
                        "Windows-1252); save the file again in one encoding",
                        declared,
                    )
            elif not non_ascii_ok and not block.isascii():
                non_ascii_ok = True
            if wide:
                lines = 0  # counted on the decoded text below
            else:
                crlf = block.count(b"\r\n") + (1 if last_cr and block.startswith(b"\n") else 0)
                lines += block.count(b"\n") + block.count(b"\r") - crlf
                last_cr = block.endswith(b"\r")
            offset += len(block)
    if offset and not wide:
        with open(path, "rb") as f:
            f.seek(offset - 1)
            if f.read(1) not in (b"\n", b"\r"):
                lines += 1  # a last line without a line break
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _encoding_error(
            path, fmt, max(offset - 1, 0), encoding, f"text cut off inside a character ({encoding})", declared
        ) from None
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a BOM, if any, is not part of the header
    if wide:
        with open(path, encoding=encoding, newline="") as f:
            lines = sum(1 for _ in f)
        note = f"read as {'UTF-16' if 'utf-16' in _codec(encoding) else encoding} (Excel's 'Unicode text')"
    return _Scanned(encoding, note, h.hexdigest(), offset, lines)


def _encoding_error(
    path: Path, fmt: FileFormat, at: int, encoding: str, found: str, declared: str | None
) -> SchemaError:
    """An error naming the row and the column of byte ``at``."""
    with open(path, "rb") as f:
        start = max(at - (1 << 16), 0)
        f.seek(start)
        before = f.read(at - start)
        f.seek(0)
        header_bytes = f.read(1 << 16)
    with open(path, "rb") as f:
        row = 1
        while True:
            chunk = f.read(min(_BLOCK, at - f.tell()))
            if not chunk:
                break
            row += chunk.count(b"\n")
    line = before[before.rfind(b"\n") + 1 :].decode(encoding if encoding != "cp1252" else "cp1252", "replace")
    text = header_bytes.decode("utf-8-sig", "replace").splitlines()
    header_line = text[fmt.skip_rows] if len(text) > fmt.skip_rows else ""
    delimiter = fmt.delimiter or _sniff(header_line.replace("\x00", ""))
    header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    position = len(next(csv.reader([line.replace("\x00", "")], delimiter=delimiter), [""])) - 1
    column = header[position] if 0 <= position < len(header) and row > fmt.skip_rows + 1 else None
    if declared:
        expected = f"text in the declared encoding {declared} (format.encoding)"
    elif encoding in ("utf-8-sig", "utf-16"):
        expected = f"text in {_SHOWN[encoding]}, as the byte-order mark at the start of the file says"
    else:
        expected = "text in UTF-8 or Windows-1252"
    return SchemaError(path.name, expected, row=row, column=column, found_text=found)


def _record_batches(
    f: Iterable[str],
    delimiter: str,
    source: str,
    *,
    line_offset: int = 0,
    lines: int | None = None,
    batch_rows: int = CHUNK_ROWS,
    line_at: Callable[[int], str] | None = None,
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The header (first, as a batch of one) and then batches of data records with their row numbers.

    Every malformed line raises a :class:`SchemaError` naming its row (and column where it can). Blank lines are
    skipped (but counted). A record must lie on one line: a quoted field that runs over several lines is almost
    always a quote that was never closed, and would swallow the rows below it. With ``lines`` (the file's line
    count), a file whose records end elsewhere than on its last line is refused. ``line_at(n)`` gives the n-th line
    of ``f`` (for naming the column of a bad quote).
    """
    reader = csv.reader(f, delimiter=delimiter, strict=True)
    width = -1
    last = line_offset  # the file line where the previous record ended
    rows: list[list[str]] = []
    numbers: list[int] = []
    header: list[str] | None = None
    try:
        for row in reader:
            end = reader.line_num + line_offset
            if end - last != 1:  # a record over several lines: a quoted field holds a line break
                start = last + 1
                cell = next((i for i, c in enumerate(row) if "\n" in c or "\r" in c), None)
                raise SchemaError(
                    source,
                    "one line per row (no line breaks inside quotes)",
                    row=start,
                    column=(header[cell] if header and cell is not None and cell < len(header) else None),
                    found_text=f"a quoted field that runs over lines {start}-{end}: a quote that was not closed "
                    "where it should have been, or a line break inside a text",
                )
            last = end
            if len(row) == width:
                if row[0] or "".join(row).strip():
                    rows.append(row)
                    numbers.append(end)
                    if len(rows) >= batch_rows:
                        yield numbers, rows
                        rows, numbers = [], []
                continue
            if not row or not "".join(row).strip():
                continue
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in row]
                width = len(header)
                yield [end], [header]
                continue
            raise SchemaError(
                source,
                f"{width} fields separated by '{_name(delimiter)}' as in the header",
                row=end,
                found_text=f"{len(row)} fields",
            )
    except csv.Error as e:
        start = last + 1
        text = line_at(start - line_offset) if line_at else ""
        position = _bad_quote_field(text, delimiter)
        column = header[position] if header and position is not None and position < len(header) else None
        unclosed = "unexpected end of data" in str(e) or "EOF" in str(e)
        raise SchemaError(
            source,
            'well-formed CSV: every quote (") closed in the field it opens',
            row=start,
            column=column,
            found_text=(
                f"a quote that is never closed (the rest of the file, lines {start}-"
                f"{reader.line_num + line_offset}, would run into one field)"
                if unclosed
                else f"a malformed quote ({e})"
            ),
        ) from None
    if header is None:
        raise SchemaError(source, "a header line and rows of data", found_text="an empty file")
    if rows:
        yield numbers, rows
    if lines is not None and reader.line_num + line_offset != lines:
        raise SchemaError(
            source,
            f"{lines:,} lines as counted in the file",
            row=reader.line_num + line_offset,
            found_text=f"records ending at line {reader.line_num + line_offset:,} (a line break the CSV reader "
            "did not see as one, e.g. a lone carriage return inside a field)",
        )


def _bad_quote_field(line: str, delimiter: str, quote: str = '"') -> int | None:
    """The field (0-based) of ``line`` whose quote is never closed or is followed by other than the delimiter.

    None when the line's quotes are well formed.
    """
    field_no, i, n = 0, 0, len(line.rstrip("\r\n"))
    text = line.rstrip("\r\n")
    at_start, quoted = True, False
    while i < n:
        c = text[i]
        if quoted:
            if c == quote:
                if i + 1 < n and text[i + 1] == quote:
                    i += 2
                    continue
                if i + 1 < n and text[i + 1] != delimiter:
                    return field_no
                quoted = False
            i += 1
            continue
        if c == delimiter:
            field_no, at_start = field_no + 1, True
        elif c == quote and at_start:
            quoted, at_start = True, False
        else:
            at_start = False
        i += 1
    return field_no if quoted else None


def parse_csv(
    text: str, delimiter: str, source: str, *, line_offset: int = 0
) -> tuple[pd.DataFrame, list[int]]:
    """Split CSV text into a DataFrame of text cells and the line number of each row.

    Blank lines are skipped; a line with another number of fields than the header, a quote never closed and a
    field running over several lines are refused (see :func:`open_table`).

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
        Naming the line (and the column where it can) and what was found.
    """
    text_lines = text.splitlines(keepends=True)
    batches = _record_batches(
        io.StringIO(text, newline=""),
        delimiter,
        source,
        line_offset=line_offset,
        batch_rows=1 << 62,
        line_at=lambda n: text_lines[n - 1] if 0 < n <= len(text_lines) else "",
    )
    header = next(batches)[1][0]
    rows: list[list[str]] = []
    numbers: list[int] = []
    for n, r in batches:
        rows += r
        numbers += n
    return pd.DataFrame(rows, columns=header, dtype=object), numbers


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


def _amount_text(value: Any) -> str:
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    return re.sub(r"(?i)^(kr\.?|dkk)|(kr\.?|dkk)$", "", text)


def parse_amount(value: Any, decimal: str = ",") -> float | None:
    """One amount as a float, or None when it cannot be read (NaN when empty).

    A sign is written once: a leading minus, a trailing minus or parentheses. An amount that carries two of them
    (``(1.234,00-)``, ``-(5)``) is not read (None) rather than guessed.

    >>> parse_amount("1.234.567,89")
    1234567.89
    >>> parse_amount("-1.234,5"), parse_amount("1.234,50-"), parse_amount("(12,00)")
    (-1234.5, -1234.5, -12.0)
    >>> parse_amount("1,234.5", decimal=".")
    1234.5
    >>> parse_amount("12,3,4") is None, parse_amount("(1.234,00-)") is None
    (True, True)
    """
    if is_missing(value):
        return float("nan")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = _amount_text(value)
    signs = 0
    if text.startswith("(") and text.endswith(")"):
        signs, text = signs + 1, text[1:-1]
    if text.endswith("-"):
        signs, text = signs + 1, text[:-1]
    if text.startswith(("-", "+", "\u2212")):
        signs, text = signs + (text[0] != "+"), text[1:]
        if text.startswith("(") or text.endswith(")"):
            return None
    if signs > 1 or not text:
        return None
    m = _AMOUNT[decimal].match(text)
    if not m:
        return None
    whole = m.group(1).replace("." if decimal == "," else ",", "")
    return (-1.0 if signs else 1.0) * float(f"{whole}.{m.group(2) or 0}")


def _two_signs(value: Any) -> bool:
    text = _amount_text(value) if isinstance(value, str) else ""
    marks = (text.startswith("(") and text.endswith(")")) + text.rstrip(")").endswith("-")
    marks += text.lstrip("(").startswith(("-", "\u2212"))
    return marks > 1


#: An amount that reads differently with a decimal point and with a decimal comma (100.000 or 1,234).
_AMBIGUOUS = re.compile(r"^[-+\u2212(]*\d{1,3}[.,]\d{3}[-)]*$")


def _codes(values: pd.Series | Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """``pandas.factorize`` of the cells: the position of each cell's value among the distinct values.

    Parsing each distinct value once keeps a column of millions of cells fast; the distinct values are in the order
    they first appear, so the first bad one is also the first bad row.
    """
    arr = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    return codes, list(uniques)


def _first_row(codes: np.ndarray, bad: Sequence[int], rows: Sequence[int]) -> tuple[int, int]:
    """(position, file row) of the first cell whose code is in ``bad`` (-1: an empty cell)."""
    hit = np.flatnonzero(np.isin(codes, np.asarray(list(bad), dtype=codes.dtype)))[0]
    return int(hit), int(np.asarray(rows)[hit])


_PLAIN = {
    ",": r"(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?",
    ".": r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?",
}
_FAST = {d: re.compile(rf"-?{n}|{n}-").fullmatch for d, n in _PLAIN.items()}
_TRAILING_MINUS = re.compile(r"^(.*)-$", re.M)
_AMBIGUOUS_LINE = re.compile(r"^-?\d{1,3}[.,]\d{3}-?$", re.M)


def _fast_amounts(values: Any, decimal: str, *, required: bool, ambiguous: bool) -> np.ndarray | None:
    """The amounts of a column of plain text amounts (``1.234,50``, ``-12``, ``1.234,50-``) read at C speed.

    None when any cell is of another form (blank, spaces, ``kr.``, parentheses, a number from Excel ...), when a
    required cell is empty, or (with ``ambiguous``) when an amount could be read two ways: :func:`parse_amounts`
    then reads cell by cell, with its errors.
    """
    arr = np.asarray(values, dtype=object)
    missing = pd.isna(arr)
    if missing.any():
        if required:
            return None
        cells = arr[~missing]
    else:
        cells = arr
    match = _FAST[decimal]
    try:
        if not all(map(match, cells)):
            return None
    except TypeError:  # a cell that is not text
        return None
    joined = "\n".join(cells)
    if ambiguous and _AMBIGUOUS_LINE.search(joined):
        return None
    joined = joined.replace(".", "").replace(",", ".") if decimal == "," else joined.replace(",", "")
    joined = _TRAILING_MINUS.sub(r"-\1", joined)
    out = np.full(len(arr), np.nan)
    if len(cells):
        out[~missing] = np.array(joined.split("\n"), dtype=float)
    return out


def parse_amounts(
    values: pd.Series,
    *,
    decimal: str,
    source: str,
    column: str,
    rows: Sequence[int],
    required: bool = True,
    decimal_declared: bool = True,
) -> pd.Series:
    """Read a column of amounts (see :func:`parse_amount`); the first unreadable, ambiguous or missing one raises.

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
    decimal_declared
        False when the decimal mark was taken from the delimiter (a comma-separated file reads ``.`` as the decimal
        mark): an amount such as ``100.000`` or ``1,234`` could then be either, and is refused.

    Returns
    -------
    pandas.Series
        Floats (DKK as written in the file); NaN where empty and not required.
    """
    fast = _fast_amounts(
        values, decimal, required=required, ambiguous=not decimal_declared and decimal == "."
    )
    if fast is not None:
        return pd.Series(fast, index=values.index if isinstance(values, pd.Series) else None, dtype=float)
    codes, uniques = _codes(values)
    parsed = np.empty(len(uniques), dtype=float)
    bad: dict[int, str] = {}
    for i, v in enumerate(uniques):
        x = parse_amount(v, decimal)
        if x is None:
            bad[i] = "unreadable"
            x = np.nan
        elif (
            not decimal_declared
            and decimal == "."
            and isinstance(v, str)
            and _AMBIGUOUS.match(_amount_text(v))
        ):
            bad[i] = "ambiguous"
        elif required and np.isnan(x):
            bad[i] = "empty"
        parsed[i] = x
    if required and (codes == -1).any():
        bad[-1] = "empty"
    if bad:
        pos, row = _first_row(codes, bad, rows)
        kind = bad[int(codes[pos])]
        v = values.iloc[pos] if isinstance(values, pd.Series) else values[pos]
        if kind == "empty":
            raise SchemaError(source, "an amount", row=row, column=column, found_text="empty")
        if kind == "ambiguous":
            text = _amount_text(v)
            point, comma = parse_amount(text, "."), parse_amount(text, ",")
            raise SchemaError(
                source,
                f"an amount whose decimal mark is known ('{text}' is {kr(point)} with a decimal point and "
                f"{kr(comma)} with a decimal comma); say which with format: decimal: ',' (1.234,50) or '.' "
                "(1,234.50) in the mapping",
                row=row,
                column=column,
                **shown(v),
            )
        if _two_signs(v):
            raise SchemaError(
                source,
                "an amount with one sign (a leading or trailing minus, or parentheses)",
                row=row,
                column=column,
                found_text=f"'{str(v).strip()}', whose sign is written twice",
            )
        example = "1.234.567,89" if decimal == "," else "1,234,567.89"
        raise SchemaError(
            source, f"an amount like {example} or -1234{decimal}5", row=row, column=column, **shown(v)
        )
    out = np.full(len(codes), np.nan)
    known = codes >= 0
    out[known] = parsed[codes[known]]
    return pd.Series(out, index=values.index if isinstance(values, pd.Series) else None, dtype=float)


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
    codes, uniques = _codes(values)
    parsed: list[Any] = []
    bad: dict[int, str] = {}
    for i, v in enumerate(uniques):
        if is_missing(v):
            parsed.append(pd.NaT)
            if required:
                bad[i] = "empty"
            continue
        d = parse_date(v, date_format)
        if d is None:
            bad[i] = "unreadable"
            parsed.append(pd.NaT)
        else:
            parsed.append(pd.Timestamp(d))
    if required and (codes == -1).any():
        bad[-1] = "empty"
    if bad:
        pos, row = _first_row(codes, bad, rows)
        if bad[int(codes[pos])] == "empty":
            raise SchemaError(source, "a date", row=row, column=column, found_text="empty")
        expected = (
            f"a date in the form {date_format}" if date_format else "a date like 31-01-2025 or 31.01.2025"
        )
        v = values.iloc[pos] if isinstance(values, pd.Series) else values[pos]
        raise SchemaError(source, expected, row=row, column=column, **shown(v))
    table = np.asarray(
        pd.to_datetime(pd.Series(parsed, dtype="datetime64[ns]")).to_numpy(), dtype="datetime64[ns]"
    )
    out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    known = codes >= 0
    out[known] = table[codes[known]]
    return pd.Series(out, index=values.index if isinstance(values, pd.Series) else None)


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
    codes, uniques = _codes(values)
    parsed = [function_code(v) for v in uniques]
    bad = {
        i
        for i, (v, c) in enumerate(zip(uniques, parsed, strict=True))
        if c is None and (required or not is_missing(v))
    }
    if required and (codes == -1).any():
        bad.add(-1)
    if bad:
        pos, row = _first_row(codes, bad, rows)
        v = values.iloc[pos] if isinstance(values, pd.Series) else values[pos]
        expected = "a function code such as 5.38.50 or 53850" + ("" if required else ", or nothing")
        raise SchemaError(source, expected, row=row, column=column, **shown(v))
    table = np.asarray([*parsed, None], dtype=object)
    return list(table[codes])


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
    codes, uniques = _codes(df["municipality_code"])
    parsed: list[int | None] = []
    for v in uniques:
        code = parse_amount(v, ".")
        if code is None or np.isnan(code) or not float(code).is_integer() or int(code) not in valid:
            text = str(v).strip()
            code = int(text[:3]) if text[:3].isdigit() and int(text[:3]) in valid else None
        parsed.append(None if code is None else int(code))
    bad = {i for i, c in enumerate(parsed) if c is None} | ({-1} if (codes == -1).any() else set())
    if bad:
        pos, row = _first_row(codes, bad, rows)
        raise SchemaError(
            source,
            "a municipality code of Statistics Denmark (3 digits, e.g. 706)",
            row=row,
            column=column,
            **shown(df["municipality_code"].iloc[pos]),
        )
    munis = np.asarray(parsed, dtype=np.int64)[codes].tolist()
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


def history_table(table: str) -> str:
    """The history table of a warehouse table: every row a load replaced or removed, and the keys it wrote."""
    return f"_history_{table}"


def _history_ddl(table: str) -> str:
    t = TABLES[table]
    cols = ", ".join(f'"{c.name}" {_DUCKDB.get(c.dtype, "VARCHAR")}' for c in t.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {history_table(table)} (load_id BIGINT NOT NULL, change VARCHAR NOT NULL, "
        f"{cols})"
    )


_DUCKDB = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "date": "DATE", "bool": "BOOLEAN"}

_FINDINGS_HISTORY_DDL = f"""CREATE TABLE IF NOT EXISTS {FINDINGS_TABLE}_history (
    replaced_by BIGINT NOT NULL,
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


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse tables, ``_meta``, ``_loads``, ``_findings`` and the history tables where missing.

    A warehouse made before loads could be undone gets the column ``_loads.undone_at``.
    """
    create_schema(con)
    con.execute(_LOADS_DDL)
    con.execute(f"ALTER TABLE {LOADS_TABLE} ADD COLUMN IF NOT EXISTS undone_at TIMESTAMP")
    con.execute(_FINDINGS_DDL)
    con.execute(_FINDINGS_HISTORY_DDL)
    for name in TABLES:
        con.execute(_history_ddl(name))
        for c in TABLES[name].columns:  # a history table made before a column was added gets it
            sql_type = _DUCKDB.get(c.dtype, "VARCHAR")
            con.execute(f'ALTER TABLE {history_table(name)} ADD COLUMN IF NOT EXISTS "{c.name}" {sql_type}')


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


def _before_sql(table: str, scope: Sequence[str] | None) -> str:
    """The rows of ``table`` that writing ``_incoming`` replaces.

    Those with the same keys, and (with a scope) every row matching a row of ``_scope`` on the scope's columns.
    """
    t = TABLES[table]
    key = " AND ".join(f't."{k}" = i."{k}"' for k in t.key)
    sql = f"SELECT t.* FROM {table} t SEMI JOIN _incoming i ON {key}"
    if scope:
        match = " AND ".join(f't."{c}" = s."{c}"' for c in scope)
        sql = f"{sql} UNION SELECT t.* FROM {table} t SEMI JOIN _scope s ON {match}"
    return sql


def _diff(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int]:
    """(new, changed, removed) rows if ``_incoming`` were written to ``table`` replacing ``_before``."""
    t = TABLES[table]
    key = " AND ".join(f'b."{k}" = i."{k}"' for k in t.key)
    other = [c for c in t.column_names if c not in t.key]
    distinct = " OR ".join(f'b."{c}" IS DISTINCT FROM i."{c}"' for c in other) or "FALSE"
    new, changed = fetch_one(
        con,
        f'SELECT count(*) FILTER (WHERE b."{t.key[0]}" IS NULL), '
        f'count(*) FILTER (WHERE b."{t.key[0]}" IS NOT NULL AND ({distinct})) '
        f"FROM _incoming i LEFT JOIN _before b ON {key}",
    )
    key_bi = " AND ".join(f'b."{k}" = i."{k}"' for k in t.key)
    removed = fetch_one(con, f"SELECT count(*) FROM _before b ANTI JOIN _incoming i ON {key_bi}")[0]
    return int(new), int(changed), int(removed)


def _option_table(options: str) -> str | None:
    try:
        value = json.loads(options).get("table")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


def _same_file_as_another_table(
    con: duckdb.DuckDBPyConnection, sha256: str, kind: str, table: str, opts: str, source: str
) -> None:
    """Refuse a file whose bytes were loaded before (and not undone) as another table."""
    earlier = con.execute(
        f"SELECT load_id, loaded_at, kind, target, options, source FROM {LOADS_TABLE} "
        "WHERE sha256 = ? AND undone_at IS NULL ORDER BY load_id",
        [sha256],
    ).fetchall()
    mine = (kind, table, _option_table(opts))
    for load_id, loaded_at, e_kind, e_target, e_opts, e_source in earlier:
        theirs = (e_kind, e_target, _option_table(e_opts))
        if theirs != mine:
            as_what = (
                f"table '{e_target}'" + (f" ({theirs[2]})" if theirs[2] else "") + f" by the {e_kind} loader"
            )
            raise SchemaError(
                source,
                "a file not loaded before as another table (one file holds one table); if the earlier load was "
                f"wrong, undo it first: analysis undo {load_id}",
                found_text=f"the same bytes (SHA-256 {sha256[:12]}…) as {e_source}, loaded as {as_what} in load "
                f"{load_id} at {loaded_at:%Y-%m-%d %H:%M}",
            )


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
    scope: pd.DataFrame | None = None,
    findings: Sequence[Finding] = (),
    skipped: Mapping[str, int] | None = None,
    notes: Sequence[str] = (),
    rows: Sequence[int] | None = None,
    columns: Mapping[str, str] | None = None,
) -> LoadResult:
    """Validate warehouse rows and write them with the record of the load, all in one transaction.

    Every row the load replaces or removes is copied into the table's history table (:func:`history_table`)
    with the load's id, together with the keys of the rows it writes, so that :func:`undo` can restore the table.

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
    scope
        Rows of some of the table's columns: every warehouse row that matches one of them is replaced (removed
        unless ``df`` holds its key), e.g. the (municipality, function, year, month) of a declared period. Used
        instead of ``partition``.
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
        When the rows break the schema, or the same file was loaded before as another table; nothing is written.
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
    _same_file_as_another_table(con, sha256, kind, table, opts, source)
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
    if scope is None and partition:
        scope = typed[list(partition)].drop_duplicates()
    scope_cols = list(scope.columns) if scope is not None else None
    con.register("_incoming", typed)
    if scope is not None:
        con.register("_scope", scope.reset_index(drop=True))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _before AS {_before_sql(table, scope_cols)}")
        result.new, result.changed, result.removed = _diff(con, table)
        seen = fetch_one(
            con,
            f"SELECT load_id FROM {LOADS_TABLE} WHERE sha256 = ? AND kind = ? AND options = ? "
            "AND undone_at IS NULL ORDER BY load_id DESC LIMIT 1",
            [sha256, kind, opts],
        )
        if seen is not None and result.new == result.changed == result.removed == 0:
            result.status, result.load_id = "unchanged", int(seen[0])
            return result
        names = ", ".join(f'"{c}"' for c in t.column_names)
        keys = ", ".join(f'"{k}"' for k in t.key)
        con.execute("BEGIN TRANSACTION")
        try:
            _prepare(con)
            load_id = int(fetch_one(con, f"SELECT coalesce(max(load_id), 0) + 1 FROM {LOADS_TABLE}")[0])
            hist = history_table(table)
            con.execute(
                f"INSERT INTO {hist} (load_id, change, {names}) SELECT ?, 'before', {names} FROM _before",
                [load_id],
            )
            con.execute(
                f"INSERT INTO {hist} (load_id, change, {keys}) SELECT ?, 'after', {keys} FROM _incoming",
                [load_id],
            )
            match = " AND ".join(f'{t.name}."{k}" = _before."{k}"' for k in t.key)
            con.execute(f"DELETE FROM {t.name} USING _before WHERE {match}")
            con.execute(f"INSERT INTO {t.name} ({names}) SELECT {names} FROM _incoming")
            con.execute(
                f"INSERT INTO {LOADS_TABLE} (load_id, loaded_at, kind, source, sha256, options, target, "
                "municipality_code, rows_read, rows_loaded, rows_new, rows_changed, rows_removed, rows_skipped, "
                "skipped, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            con.execute(
                f"INSERT INTO {FINDINGS_TABLE}_history SELECT ?, * FROM {FINDINGS_TABLE} WHERE source = ? AND kind = ?",
                [load_id, source, kind],
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
        if scope is not None:
            con.unregister("_scope")
        con.execute("DROP TABLE IF EXISTS _before")
    return result


def _conflicts(con: duckdb.DuckDBPyConnection, load_id: int, table: str) -> list[int]:
    """Later loads, not undone, that wrote or replaced a row with a key that load ``load_id`` wrote or replaced."""
    t = TABLES[table]
    hist = history_table(table)
    key = " AND ".join(f'a."{k}" = b."{k}"' for k in t.key)
    rows = con.execute(
        f"SELECT DISTINCT b.load_id FROM {hist} a JOIN {hist} b ON {key} "
        f"JOIN {LOADS_TABLE} l ON l.load_id = b.load_id "
        "WHERE a.load_id = ? AND b.load_id > ? AND l.undone_at IS NULL ORDER BY 1",
        [load_id, load_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


def undo(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, Any]:
    """Restore the warehouse as it was before load ``load_id``, in one transaction.

    The rows the load wrote are deleted, the rows it replaced or removed come back from the history table, the
    data-quality findings it replaced come back, and the load is marked undone (``_loads.undone_at``); it stays
    in the record. An undone load is not undone twice.

    The rule: a load can be undone as long as no later load that is still in force wrote, replaced or removed one
    of the same rows (the same key). Otherwise undo those later loads first, newest first; the error names them.

    Returns
    -------
    dict
        load_id, source, target, restored (rows brought back) and deleted (rows the load had written).

    Raises
    ------
    InputError
        For an unknown or already undone load, or one that later loads built on.
    """
    ensure_tables(con)
    row = fetch_one(
        con,
        f"SELECT source, target, undone_at, loaded_at FROM {LOADS_TABLE} WHERE load_id = ?",
        [int(load_id)],
    )
    if row is None:
        known = [r[0] for r in con.execute(f"SELECT load_id FROM {LOADS_TABLE} ORDER BY 1").fetchall()]
        raise InputError(
            f"no load {load_id} in this warehouse; the loads are "
            + (", ".join(map(str, known)) if known else "none")
            + " (analysis loads lists them)"
        )
    source, table, undone_at, loaded_at = row
    if undone_at is not None:
        raise InputError(f"load {load_id} ({source}) was undone already, at {undone_at:%Y-%m-%d %H:%M}")
    if table not in TABLES:
        raise InputError(f"load {load_id} ({source}) wrote table '{table}', which this version does not know")
    kept = fetch_one(con, f"SELECT count(*) FROM {history_table(table)} WHERE load_id = ?", [int(load_id)])[0]
    loaded = fetch_one(con, f"SELECT rows_loaded FROM {LOADS_TABLE} WHERE load_id = ?", [int(load_id)])[0]
    if kept == 0 and loaded:
        raise InputError(
            f"load {load_id} ({source}, {loaded_at:%Y-%m-%d %H:%M}) was made before loads kept the rows they replace, "
            "so it cannot be undone; load the earlier files again instead"
        )
    later = _conflicts(con, int(load_id), table)
    if later:
        raise InputError(
            f"load {load_id} ({source}) cannot be undone while later loads that changed the same rows of table "
            f"'{table}' are in force: {', '.join(map(str, later))}. Undo those first, newest first "
            f"(analysis undo {later[-1]})"
        )
    t = TABLES[table]
    hist = history_table(table)
    names = ", ".join(f'"{c}"' for c in t.column_names)
    match = " AND ".join(f'{t.name}."{k}" = h."{k}"' for k in t.key)
    deleted = fetch_one(
        con, f"SELECT count(*) FROM {hist} WHERE load_id = ? AND change = 'after'", [int(load_id)]
    )[0]
    restored = fetch_one(
        con, f"SELECT count(*) FROM {hist} WHERE load_id = ? AND change = 'before'", [int(load_id)]
    )[0]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"DELETE FROM {t.name} USING (SELECT * FROM {hist} WHERE load_id = {int(load_id)} AND change = 'after') h "
            f"WHERE {match}"
        )
        con.execute(
            f"INSERT INTO {t.name} ({names}) SELECT {names} FROM {hist} WHERE load_id = ? AND change = 'before'",
            [int(load_id)],
        )
        # its findings go; those it replaced come back unless a later load of the file has its own by now
        con.execute(f"DELETE FROM {FINDINGS_TABLE} WHERE load_id = ?", [int(load_id)])
        cols = 'load_id, kind, source, municipality_code, "check", "count", unit, examples, note'
        con.execute(
            f"INSERT INTO {FINDINGS_TABLE} SELECT {cols} FROM {FINDINGS_TABLE}_history h WHERE replaced_by = ? "
            f"AND NOT EXISTS (SELECT 1 FROM {FINDINGS_TABLE} f WHERE f.source = h.source AND f.kind = h.kind)",
            [int(load_id)],
        )
        con.execute(
            f"DELETE FROM {FINDINGS_TABLE}_history WHERE replaced_by = ? OR load_id = ?",
            [int(load_id), int(load_id)],
        )
        con.execute(
            f"UPDATE {LOADS_TABLE} SET undone_at = ? WHERE load_id = ?",
            [dt.datetime.now().replace(microsecond=0), int(load_id)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {
        "load_id": int(load_id),
        "source": source,
        "target": table,
        "restored": int(restored),
        "deleted": int(deleted),
    }


def previous_loads(
    con: duckdb.DuckDBPyConnection, municipality_code: int | None = None, *, include_undone: bool = False
) -> pd.DataFrame:
    """The record of loads (newest first), optionally those about one municipality or about all (national data).

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        Only the loads about this municipality and those about all municipalities.
    include_undone
        Also the loads that were undone (``undone_at`` set); by default only the loads in force.

    Returns
    -------
    pandas.DataFrame
        The columns of ``_loads``; empty (with those columns) when nothing was ever loaded.
    """
    try:
        df = con.execute(f"SELECT * FROM {LOADS_TABLE} ORDER BY load_id DESC").df()
    except duckdb.CatalogException:
        cols = re.findall(r"^\s+(\w+) ", _LOADS_DDL, flags=re.M)
        return pd.DataFrame(columns=cols)
    if municipality_code is not None:
        df = df[df["municipality_code"].isna() | (df["municipality_code"] == int(municipality_code))]
    if not include_undone and "undone_at" in df.columns:
        df = df[df["undone_at"].isna()]
    return df.reset_index(drop=True)

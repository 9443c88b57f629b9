"""Reading users' files: CSV and Excel, in chunks or whole, strictly.

:func:`open_table` opens CSV (``;``, ``,`` or tab, detected from the header line; UTF-8 with or without a BOM,
UTF-16 with a BOM, else Windows-1252) or Excel (``.xlsx``) and reads it in chunks; :func:`read_file` reads it whole.
Reading is strict: a quote never closed, a record over several lines, another number of fields than the header, a
NUL byte (UTF-16 without a BOM), UTF-8 mixed with Windows-1252 and a declared encoding that does not fit are
refused, naming the row (as a spreadsheet shows it: the header is row 1) and the column. CPR-shaped values are
never repeated in an error.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.schema import SchemaError
from analysis.privacy import mask_cpr

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


def _cell(row: int, col: int) -> str:
    """A cell's name as Excel shows it: ``F7``."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _heading_key(name: object) -> str:
    """A heading as the mappings compare it: case and spaces do not count."""
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def _has_headings(found: Sequence[object], headings: Sequence[str]) -> bool:
    cells = {_heading_key(c) for c in found if c is not None}
    return all(_heading_key(h) in cells for h in headings)


@dataclass
class _Workbook:
    """What the workbook says beyond its cells' values: the sheet to read and notes for the user."""

    sheet: str | int
    notes: list[str]


def _check_workbook(path: Path, source: str, fmt: FileFormat, headings: Sequence[str] | None) -> _Workbook:
    """Choose the sheet, and refuse formulas Excel never computed; note hidden rows.

    With no ``format.sheet``, a workbook of one sheet (empty sheets aside) is read; of several, the one sheet whose
    heading row holds every mapped heading (``headings``), else refused naming the sheets: reading the first sheet
    of several used to load whichever sheet came first. A formula cell without a saved value (a workbook written by
    a program and never opened in Excel) reads as empty: refused naming the cell. Rows hidden in Excel are read like
    the others, with a note naming them.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=False)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not Excel
        raise SchemaError(
            source, "an Excel workbook (.xlsx)", found_text=f"a file Excel cannot read ({e})"
        ) from None
    header_row = fmt.skip_rows + 1
    sheets = [
        ws for ws in wb.worksheets if ws.max_row > 1 or ws.max_column > 1 or ws.cell(1, 1).value is not None
    ]
    if fmt.sheet is not None:
        names = wb.sheetnames
        if isinstance(fmt.sheet, int) and not isinstance(fmt.sheet, bool):
            if not 0 <= fmt.sheet < len(names):
                raise SchemaError(
                    source,
                    f"a sheet number 0-{len(names) - 1} (format.sheet; 0 is the first)",
                    found=fmt.sheet,
                )
            ws = wb.worksheets[fmt.sheet]
        elif str(fmt.sheet) in names:
            ws = wb[str(fmt.sheet)]
        else:
            raise SchemaError(
                source,
                f"a sheet {fmt.sheet!r} (format.sheet); the workbook's sheets are "
                + ", ".join(f"'{n}'" for n in names),
                found_text="no such sheet",
            )
    elif len(sheets) <= 1:
        ws = sheets[0] if sheets else wb.worksheets[0]
    else:
        listed = ", ".join(f"'{w.title}'" for w in sheets)
        fitting = (
            [w for w in sheets if _has_headings(next(w.iter_rows(min_row=header_row, max_row=header_row,
                                                               values_only=True), ()), headings)]
            if headings
            else []
        )  # fmt: skip
        if len(fitting) != 1:
            why = (
                f"{len(fitting)} of them ({', '.join(repr(w.title) for w in fitting)}) have the mapped headings"
                if len(fitting) > 1
                else "none of them has all the mapped headings in its heading row"
                if headings
                else "which one holds the data is not known"
            )
            raise SchemaError(
                source,
                "one sheet to read: say which with format: sheet: NAME in the mapping",
                found_text=f"{len(sheets)} sheets ({listed}); {why}",
            )
        ws = fitting[0]
    notes = []
    if len(sheets) > 1:
        notes.append(f"read the sheet '{ws.title}' of the workbook's {len(sheets)} sheets")
    formulas = [
        (c.row, c.column)
        for row in ws.iter_rows(min_row=header_row)
        for c in row
        if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("="))
    ]
    if formulas:
        values = openpyxl.load_workbook(path, data_only=True, read_only=True)[ws.title]
        cached = {
            (r, c): v
            for r, row in enumerate(values.iter_rows(min_row=header_row, values_only=True), start=header_row)
            for c, v in enumerate(row, start=1)
        }
        missing = [(r, c) for r, c in formulas if cached.get((r, c)) is None]
        if missing:
            r, c = missing[0]
            heading = ws.cell(header_row, c).value
            raise SchemaError(
                source,
                "cells with values: a formula's value is saved only when Excel computes it; open the workbook in "
                "Excel and save it, or paste the values",
                row=r,
                column=str(heading).strip() if heading is not None and r > header_row else None,
                found_text=f"a formula without a saved value in cell {_cell(r, c)}"
                + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""),
            )
    hidden = [r for r, d in ws.row_dimensions.items() if d.hidden and r > header_row and r <= ws.max_row]
    if hidden:
        shown_rows = ", ".join(map(str, hidden[:10])) + (", ..." if len(hidden) > 10 else "")
        notes.append(
            f"{len(hidden)} row(s) hidden in Excel (rows {shown_rows}) of sheet '{ws.title}' were read like the "
            "others"
        )
    return _Workbook(ws.title, notes)


def open_table(
    path: str | os.PathLike, fmt: FileFormat | None = None, *, headings: Sequence[str] | None = None
) -> TableReader:
    """Open a CSV or Excel file for reading: check its bytes and read its header (see :class:`TableReader`).

    Parameters
    ----------
    path
        The file.
    fmt
        How to read it (see :class:`FileFormat`).
    headings
        Excel: the headings the loader's mapping names; a workbook of several sheets is read from the one sheet
        that has them all (see :func:`_check_workbook`).

    Raises
    ------
    SchemaError
        For a file of another kind, an empty file, text that is not in the declared or detected encoding (e.g.
        UTF-16 from Excel's "Unicode text" without a byte-order mark, or UTF-8 mixed with Windows-1252), naming
        the row and the column; a workbook of several sheets none or several of which fit, a formula cell
        without a saved value.
    FileNotFoundError
        When there is no such file.
    """
    fmt = fmt or FileFormat()
    path = Path(path)
    source = source_name(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {mask_cpr(str(path))}")
    suffix = path.suffix.lower()
    if suffix in _EXCEL:
        book = _check_workbook(path, source, fmt, headings)
        try:
            df = pd.read_excel(path, sheet_name=book.sheet, dtype=object, skiprows=fmt.skip_rows)
        except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not Excel
            raise SchemaError(
                source, "an Excel workbook (.xlsx)", found_text=f"a file Excel cannot read ({e})"
            ) from None
        df = df.astype(object).where(df.notna(), None)
        df.columns = [str(c).strip() for c in df.columns]
        if any(re.search(r"\.\d+$", c) for c in df.columns):  # pandas renames a heading seen before 'X.1'
            raw = pd.read_excel(
                path,
                sheet_name=book.sheet,
                header=None,
                nrows=1,
                skiprows=fmt.skip_rows,
                dtype=object,
            )
            _refuse_duplicate_headings(
                source, [None if pd.isna(c) else c for c in raw.iloc[0]], fmt.skip_rows + 1
            )
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
            notes=book.notes,
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
    _refuse_duplicate_headings(source, header, fmt.skip_rows + 1)
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


def _refuse_duplicate_headings(source: str, headings: list, row: int) -> None:
    """Refuse a heading written twice (blank headings aside): which of the two columns is meant is not guessed."""
    seen: dict[str, int] = {}
    for i, heading in enumerate(headings, start=1):
        text = "" if heading is None else str(heading).strip().lstrip("\ufeff")
        if not text:
            continue
        if text in seen:
            raise SchemaError(
                source,
                "each heading once (which of two columns of one heading is meant is not guessed); rename one of "
                "them in the file",
                row=row,
                column=text,
                found_text=f"the heading in columns {seen[text]} and {i}",
            )
        seen[text] = i


def read_file(
    path: str | os.PathLike, fmt: FileFormat | None = None, *, headings: Sequence[str] | None = None
) -> SourceTable:
    """Read a CSV or Excel file into a DataFrame of cells; no value is converted yet.

    Parameters
    ----------
    path
        A ``.csv``/``.txt``/``.tsv`` or ``.xlsx`` file.
    fmt
        How to read it (see :class:`FileFormat`).
    headings
        Excel: the mapped headings, by which the sheet of a workbook of several is chosen (:func:`open_table`).

    Raises
    ------
    SchemaError
        For a file of another kind, an empty file, a file not in the declared or detected encoding, a quote that
        is never closed, a field running over several lines, or lines with a different number of fields than the
        header (see :func:`open_table`).
    FileNotFoundError
        When there is no such file.
    """
    return open_table(path, fmt, headings=headings).read()


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
        raise FileNotFoundError(f"no such file: {mask_cpr(str(path))}")
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
    source = source_name(path)
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
            elif (
                declared and not wide and not _codec(declared).startswith("utf") and _UTF8_LATIN.search(block)
            ):
                m = _UTF8_LATIN.search(block)
                raise _encoding_error(
                    path,
                    fmt,
                    offset + m.start(),
                    encoding,
                    f"UTF-8 text: {m.group().decode('utf-8')!r} written in UTF-8 reads as "
                    f"{m.group().decode(declared, 'replace')!r} in {declared}; the file is UTF-8, so remove "
                    "format.encoding from the mapping (or write utf-8)",
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
    # the header in the file's own encoding: a Windows-1252 heading 'Beløb' was named 'Bel\ufffdb'
    head_encoding = "utf-8-sig" if _codec(encoding).startswith("utf") else encoding
    text = header_bytes.decode(head_encoding, "replace").splitlines()
    header_line = text[fmt.skip_rows] if len(text) > fmt.skip_rows else ""
    delimiter = fmt.delimiter or _sniff(header_line.replace("\x00", ""))
    header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    position = max(len(next(csv.reader([line.replace("\x00", "")], delimiter=delimiter), [""])) - 1, 0)
    column = header[position] if 0 <= position < len(header) and row > fmt.skip_rows + 1 else None
    if declared:
        expected = f"text in the declared encoding {declared} (format.encoding)"
    elif encoding in ("utf-8-sig", "utf-16"):
        expected = f"text in {_SHOWN[encoding]}, as the byte-order mark at the start of the file says"
    else:
        expected = "text in UTF-8 or Windows-1252"
    return SchemaError(source_name(path), expected, row=row, column=column, found_text=found)


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


def source_name(path: str | os.PathLike) -> str:
    """A file's name as errors, notes and table ``_loads`` show it: a CPR-shaped number in it masked as ``[CPR]``.

    >>> source_name("udtræk/sager 010185-1234.csv")
    'sager [CPR].csv'
    """
    return str(mask_cpr(Path(path).name))


def _sniff(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ";"


def _name(delimiter: str) -> str:
    return {"\t": "tab"}.get(delimiter, delimiter)


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

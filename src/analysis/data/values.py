"""Values of users' files: Danish amounts, dates, function codes and municipality codes, and how errors show them.

:func:`parse_amounts` reads amounts with a decimal comma and thousands dots (``1.234.567,89``, ``-1.234,5``,
``1.234,50-``) and refuses an amount whose sign is written twice (``(1.234,00-)``) or that reads two ways where the
decimal mark was not declared (``100.000`` in a comma-separated file); :func:`parse_dates` reads Danish dates
(``31-01-2025``, ``31.01.2025``, ``31/01/2025``) and ISO dates; :func:`function_code` reads function codes written
with or without dots (``5.38.50``, ``53850``, ``5.38.50.001``, ``5.38.50 Botilbud ...``);
:func:`municipality_column` the municipality of each row. Each distinct value is parsed once.

Errors are :class:`~analysis.data.schema.SchemaError`; :func:`shown` keeps a CPR-shaped value out of them and
:func:`remap_error` gives an error the file's own row number and column name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import reference
from analysis.data.schema import DATE_YEARS, SchemaError
from analysis.privacy import CPR_PATTERN

_CPR = re.compile(CPR_PATTERN)


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
    """Whether a text amount writes its sign more than once: two of a leading minus, a trailing minus, parentheses.

    >>> [_two_signs(t) for t in ("(-5)", "-(5)", "(5)-", "--5", "5--", "-5-", "-5", "(5)", "5-", "(5", "5")]
    [True, True, True, True, True, True, False, False, False, False, False]
    """
    text = _amount_text(value) if isinstance(value, str) else ""
    lead = re.match(r"^[-\u2212(]*", text).group()
    trail = re.search(r"[-)]*$", text).group()
    if len(lead) == len(text):  # no digits: nothing to sign
        return False
    minus = lead.count("-") + lead.count("\u2212") + trail.count("-")
    return minus + ("(" in lead and ")" in trail) > 1


#: The digits of an amount that reads differently with a decimal point and with a decimal comma (100.000 or
#: 1,234): one to three digits, one mark, three digits. Both paths of :func:`parse_amounts` refuse it by this.
_TWO_WAYS = r"\d{1,3}[.,]\d{3}"
#: An amount that reads two ways, with any sign (``-100.000``, ``(1,234)``, ``100.000-``).
_AMBIGUOUS = re.compile(rf"^[-+\u2212(]*{_TWO_WAYS}[-)]*$")


def _two_ways_error(value: Any, *, beside_numbers: bool, source: str, row: int, column: str) -> SchemaError:
    """The refusal of an amount that reads two ways: its value with a decimal point and with a decimal comma.

    Parameters
    ----------
    value
        The cell (a text that :data:`_AMBIGUOUS` matches).
    beside_numbers
        The cell is a text in a column of Excel number cells (the mark then follows from no declaration at all).
    source, row, column
        The file, its row and its column name.
    """
    text = _amount_text(value)
    point, comma = parse_amount(text, "."), parse_amount(text, ",")
    if beside_numbers:
        return SchemaError(
            source,
            f"amounts as numbers, as the other cells of the column are: the text '{text}' is {kr(comma)} "
            f"with a decimal comma and {kr(point)} with a decimal point; enter it as a number, or say "
            "which with format: decimal: ',' or '.' in the mapping",
            row=row,
            column=column,
            found_text=f"the text '{text}'",
        )
    return SchemaError(
        source,
        f"an amount whose decimal mark is known ('{text}' is {kr(point)} with a decimal point and "
        f"{kr(comma)} with a decimal comma); say which with format: decimal: ',' (1.234,50) or '.' "
        "(1,234.50) in the mapping",
        row=row,
        column=column,
        **shown(value),
    )


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
    ",": r"(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d{1,2})?",
    ".": r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?",
}
_FAST = {d: re.compile(rf"-?{n}|{n}-").fullmatch for d, n in _PLAIN.items()}
_TRAILING_MINUS = re.compile(r"^(.*)-$", re.M)
#: :data:`_AMBIGUOUS` for the plain cells of the fast path, joined one to a line.
_AMBIGUOUS_LINE = re.compile(rf"^-?{_TWO_WAYS}-?$", re.M)


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
    if (np.abs(out) >= 1e9).any():  # a ten-digit amount may be a CPR number: read cell by cell
        return None
    return out


def _cpr_number(value: Any) -> bool:
    """Whether a number cell (from Excel) holds the ten digits of a CPR number, such as 1503851234.

    >>> _cpr_number(1503851234), _cpr_number(1503851234.0), _cpr_number(1503851234.5), _cpr_number("1503851234")
    (True, True, False, False)
    >>> _cpr_number(3213851234), _cpr_number(-1503851234)
    (False, True)
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    x = abs(float(value))
    return bool(1e9 <= x < 1e10 and x.is_integer() and _CPR.fullmatch(str(int(x))))


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
    """Read a column of amounts (see :func:`parse_amount`); the first unreadable, ambiguous, CPR-shaped or empty raises.

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
    # a column of Excel number cells with a text such as '2.000' among them: the text was typed or pasted in, and
    # reads as 2.000,00 kr. with a decimal comma and 2,00 kr. with a decimal point
    numbers = any(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) for v in uniques
    )
    for i, v in enumerate(uniques):
        x = parse_amount(v, decimal)
        if (isinstance(v, str) and _CPR.search(v)) or _cpr_number(v):
            # a CPR number in a column mapped as amounts (150385-1234, or 1503851234 read as 1.503.851.234 kr.)
            bad[i] = "cpr"
            x = np.nan
        elif x is None:
            bad[i] = "unreadable"
            x = np.nan
        elif (
            not decimal_declared
            and (decimal == "." or numbers)
            and isinstance(v, str)
            and _AMBIGUOUS.match(_amount_text(v))
        ):
            bad[i] = "text beside numbers" if numbers and decimal != "." else "ambiguous"
        elif required and np.isnan(x):
            bad[i] = "empty"
        elif np.isfinite(x) and abs(x * 100 - round(x * 100)) > 1e-6 * max(1.0, abs(x)):
            bad[i] = "decimals"  # more than øre: rounding it would change the amount without a word
        parsed[i] = x
    if required and (codes == -1).any():
        bad[-1] = "empty"
    if bad:
        pos, row = _first_row(codes, bad, rows)
        kind = bad[int(codes[pos])]
        v = values.iloc[pos] if isinstance(values, pd.Series) else values[pos]
        if kind == "empty":
            raise SchemaError(source, "an amount", row=row, column=column, found_text="empty")
        if kind == "cpr":
            raise SchemaError(
                source,
                "an amount, not a CPR number (a ten-digit number that reads as one is never stored; check that the "
                "mapping names the column of amounts, and write an amount of a billion kroner or more with "
                "thousands separators or øre)",
                row=row,
                column=column,
                found_text="a CPR-shaped value (not shown)",
            )
        if kind == "decimals":
            raise SchemaError(
                source,
                "an amount in kroner and øre (at most 2 decimals; it would otherwise be rounded)",
                row=row,
                column=column,
                **shown(v if isinstance(v, str) else repr(float(v))),
            )
        if kind in ("ambiguous", "text beside numbers"):
            raise _two_ways_error(
                v, beside_numbers=kind == "text beside numbers", source=source, row=row, column=column
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

    Digits without separators are read only as the format's fields written out in full (``20250131``): strptime
    splits ``202512`` as 2025-1-2 and ``201224`` (20-12-24 without dashes) as 2012-2-4, which is refused instead.

    >>> parse_date("20250131"), parse_date("202512"), parse_date("201224")
    (datetime.date(2025, 1, 31), None, None)
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
            d = dt.datetime.strptime(text, f).date()
        except ValueError:
            continue
        if _ADJACENT_FIELDS.search(f) and d.strftime(f) != text:
            continue  # fields without a separator between them: only their full width tells where one ends
        return d
    return None


#: Two date fields with nothing between them (``%Y%m%d``), which strptime splits however the digits allow.
_ADJACENT_FIELDS = re.compile(r"%[dmyY]%[dmyY]")
#: Excel's serial day number of 31-12-9999 (its last date); Excel shows day n as 30-12-1899 + n from day 61 on.
_EXCEL_LAST_SERIAL = 2958465
_EXCEL_DAY_0 = dt.date(1899, 12, 30)
#: An Excel serial date as text: 45658, 45658,0, 45658.25; or 2958465, Excel's 31-12-9999 (an open end)
_NUMBER_TEXT = re.compile(rf"^(?:\d{{5}}|{_EXCEL_LAST_SERIAL})(?:[.,]\d+)?$")


def not_a_date(value: Any) -> str | None:
    """What an error says it found when a date's cell holds a number (an Excel serial date), else None.

    Excel keeps a date as its serial day number (45658 is 01-01-2025) and shows it as a date only where the cell is
    formatted as one; a column formatted as a number or general gives the number (``45658``), and a CSV saved from
    it the text (``'45658'``). Which date was meant is not guessed: the cell is refused with this description. A
    number in the years 1800-2199 is called a year, and 6 or 7 digits (``201224``) a date without separators.

    >>> not_a_date(45658).split("; ")[0]
    '45658, a number, not a date: it looks like an Excel serial date (Excel shows it as 01-01-2025)'
    >>> not_a_date("45658,0").startswith("'45658,0', a number, not a date: it looks like an Excel serial date")
    True
    >>> not_a_date(2025), not_a_date("31-01-2025"), not_a_date("Botilbud")
    ('2025, a year, not a date: write the whole date (31-01-2025)', None, None)
    """
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        x = float(value)
        shown_as = str(int(x)) if x.is_integer() else repr(x)
    elif isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        x = float(value.strip().replace(",", "."))
        shown_as = repr(value.strip())
    elif isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        x = float(value.strip())
        shown_as = repr(value.strip())
        if not DATE_YEARS[0] <= x <= DATE_YEARS[1]:
            return None
    elif isinstance(value, str) and re.fullmatch(r"\d{6,7}", value.strip()):
        return (
            f"{value.strip()!r}, digits without separators, which do not tell the day, the month and the year apart; "
            "write the date as dd-mm-yyyy (31-01-2025) or yyyymmdd (20250131)"
        )
    else:
        return None
    if not np.isfinite(x) or _CPR.search(shown_as):
        return None
    if x.is_integer() and DATE_YEARS[0] <= x <= DATE_YEARS[1]:
        return f"{shown_as}, a year, not a date: write the whole date (31-01-{int(x)})"
    if not 1 <= x <= _EXCEL_LAST_SERIAL:
        return f"{shown_as}, a number, not a date"
    excel = f" (Excel shows it as {_EXCEL_DAY_0 + dt.timedelta(days=int(x)):%d-%m-%Y})" if x >= 61 else ""
    return (
        f"{shown_as}, a number, not a date: it looks like an Excel serial date{excel}; format the column as a date "
        "in Excel, or export it as text dd-mm-yyyy"
    )


#: The year case systems write for an end that is not set (``31-12-9999``); read as no end where ``open_end``
#: allows it. The years any other date may fall in are :data:`DATE_YEARS` (from the schema, which holds them too).
OPEN_END_YEAR = 9999


def is_open_end(value: Any, date_format: str | None = None) -> bool:
    """True for an end date in the year :data:`OPEN_END_YEAR`: the case systems' "no end" (``31-12-9999``).

    The one test of an open end, for the file loaders (:func:`parse_dates` with ``open_end``) and for a direct
    caller of :func:`analysis.data.cases.ingest_cases` alike. ``value`` is a cell in any form :func:`parse_date`
    reads (a date, a datetime, ``31-12-9999``, ``9999-12-31``); an empty or unreadable cell is no open end.

    >>> is_open_end("31-12-9999"), is_open_end("9999-12-31"), is_open_end(dt.date(9999, 12, 31))
    (True, True, True)
    >>> is_open_end("31-12-2025"), is_open_end(None), is_open_end("no date")
    (False, False, False)
    """
    if is_missing(value):
        return False
    d = parse_date(value, date_format)
    return d is not None and d.year == OPEN_END_YEAR


_TWO_DIGIT_YEAR = re.compile(r"^\s*\d{1,2}[-./]\d{1,2}[-./]\d{2}(?!\d)")
_SLASH = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")


def _slash_numbers(value: Any) -> tuple[int, int, int] | None:
    """The first and second number and the year (two digits read as 20xx) of a slash date; None for another value.

    >>> _slash_numbers("03/04/25"), _slash_numbers("31-01-2025")
    ((3, 4, 2025), None)
    """
    m = _SLASH.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    year = int(m.group(3))
    return int(m.group(1)), int(m.group(2)), year + 2000 if year < 100 else year


def _slash_order(uniques: Sequence[Any]) -> tuple[str | None, int | None]:
    """How a column's slash dates are written: ('day', None), ('month', i) or ('ambiguous', i), or (None, None).

    Dashes and dots are Danish (day first); a slash is also how US dates are written (month first), so a slash
    date whose day and month are both 12 or less (``03/04/2025``) reads two ways unless another slash date of the
    column has a first number above 12 (``31/01/2025``: day first). ``i`` is the distinct value that decides.
    """
    day_first = month_first = ambiguous = None
    for i, v in enumerate(uniques):
        numbers = _slash_numbers(v)
        if numbers is None:
            continue
        a, b, _ = numbers
        if a > 12 >= b:
            day_first = i if day_first is None else day_first
        elif b > 12 >= a:
            month_first = i if month_first is None else month_first
        elif a != b and ambiguous is None:
            ambiguous = i
    if month_first is not None:
        return "month", month_first
    if day_first is not None:
        return "day", None
    if ambiguous is not None:
        return "ambiguous", ambiguous
    return None, None


def parse_dates(
    values: pd.Series,
    *,
    source: str,
    column: str,
    rows: Sequence[int],
    date_format: str | None = None,
    required: bool = True,
    open_end: bool = False,
    private: bool = False,
) -> pd.Series:
    """Read a column of dates (see :func:`parse_date`); the first unreadable, ambiguous or missing one raises.

    With ``private`` (a birth date: person data) an error names the row and the column but never the value.

    Slash dates are read day first only where the column shows it (see :func:`_slash_order`): ``03/04/2025`` in a
    column without a slash date such as ``31/01/2025`` is refused as ambiguous, and a column with ``01/31/2025``
    (month first) is refused, unless the mapping declares ``format: date_format``. A date outside the years
    :data:`DATE_YEARS` is refused; with ``open_end`` (an end date), a date in the year 9999 (``31-12-9999``, the
    case systems' "no end") is read as no end (NaT) and counted in ``attrs["open_ends"]``.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (NaT where empty and not required, and for an open end).
    """
    codes, uniques = _codes(values)
    order, decider = (None, None) if date_format else _slash_order(uniques)
    parsed: list[Any] = []
    bad: dict[int, str] = {}
    open_ends: set[int] = set()
    for i, v in enumerate(uniques):
        if is_missing(v):
            parsed.append(pd.NaT)
            if required:
                bad[i] = "empty"
            continue
        d = parse_date(v, date_format)
        if d is not None and private and not date_format and _TWO_DIGIT_YEAR.match(str(v)):
            d = None  # a birth date '01-02-60': 1960 or 2060? (strptime's %y made it 2060, and the age 0)
        if d is None:
            bad[i] = "unreadable"
            parsed.append(pd.NaT)
        elif open_end and is_open_end(d):
            open_ends.add(i)
            parsed.append(pd.NaT)
        elif not DATE_YEARS[0] <= d.year <= DATE_YEARS[1]:
            bad[i] = "out of range"
            parsed.append(pd.NaT)
        else:
            parsed.append(pd.Timestamp(d))
    if order in ("month", "ambiguous"):
        bad[decider] = order
    if required and (codes == -1).any():
        bad[-1] = "empty"
    if bad:
        pos, row = _first_row(codes, bad, rows)
        kind = bad[int(codes[pos])]
        v = values.iloc[pos] if isinstance(values, pd.Series) else values[pos]
        if kind == "empty":
            raise SchemaError(source, "a date", row=row, column=column, found_text="empty")
        number = not_a_date(v) if kind == "unreadable" else None
        if private:
            raise SchemaError(
                source,
                "a date like 31-01-2025, 31.01.2025 or 2025-01-31 with the year in four digits (a slash date only "
                "where the column shows the day first), in the years 1800-2199",
                row=row,
                column=column,
                found_text="a number, not a date (not shown: it is person data); if it is an Excel serial date, "
                "format the column as a date in Excel, or export it as text dd-mm-yyyy"
                if number and "Excel" in number
                else "a value that is not one (not shown: it is person data)",
            )
        declare = (
            "write the dates as 03-04-2025 or 2025-04-03, or declare the order with format: date_format: "
            "'%d/%m/%Y' (day first) or '%m/%d/%Y' (month first) in the mapping"
        )
        if kind in ("month", "ambiguous") and not _CPR.search(str(v)):
            a, b, y = _slash_numbers(str(v))
            if kind == "month":
                raise SchemaError(
                    source,
                    f"a date with the day first (31/01/2025); {declare}",
                    row=row,
                    column=column,
                    found_text=f"'{str(v).strip()}', which has the month first (a US date: {_day_month(b, a, y)})",
                )
            raise SchemaError(
                source,
                f"a date that reads one way; {declare}",
                row=row,
                column=column,
                found_text=f"'{str(v).strip()}', which is {_day_month(a, b, y)} with the day first (Danish) and "
                f"{_day_month(b, a, y)} with the month first (US), and no slash date of the column tells which",
            )
        if kind == "out of range":
            expected = f"a date in the years {DATE_YEARS[0]}-{DATE_YEARS[1]}"
            if open_end:
                expected += f" (an open end is left empty or written 31-12-{OPEN_END_YEAR})"
            raise SchemaError(source, expected, row=row, column=column, **shown(v))
        expected = (
            f"a date in the form {date_format}" if date_format else "a date like 31-01-2025 or 31.01.2025"
        )
        if number:
            raise SchemaError(source, expected, row=row, column=column, found_text=number)
        raise SchemaError(source, expected, row=row, column=column, **shown(v))
    table = np.asarray(
        pd.to_datetime(pd.Series(parsed, dtype="datetime64[ns]")).to_numpy(), dtype="datetime64[ns]"
    )
    out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    known = codes >= 0
    out[known] = table[codes[known]]
    result = pd.Series(out, index=values.index if isinstance(values, pd.Series) else None)
    result.attrs["open_ends"] = int(np.isin(codes, list(open_ends)).sum()) if open_ends else 0
    return result


_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _day_month(day: int, month: int, year: int) -> str:
    """A date as ``3 April 2025`` (English, as the errors are; not the locale's month names)."""
    return f"{day} {_MONTH_NAMES[month - 1]} {year}"


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


_CODE_FIRST = re.compile(r"^\s*(\d{3})(?:\s|[-–:,;]|$)")


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
            # a code that starts a text ('706 Syddjurs', '706 - Syddjurs'); not the first 3 digits of a longer
            # number or of '706.5' (7060 is no municipality, and 1010 is not 101 København)
            m = _CODE_FIRST.match(str(v))
            code = int(m.group(1)) if m and int(m.group(1)) in valid else None
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


def optional_dates(
    df: pd.DataFrame,
    name: str,
    *,
    columns: Mapping[str, str],
    source: str,
    rows: Sequence[int],
    date_format: str | None = None,
) -> pd.Series:
    """:func:`parse_dates` of the optional field ``name`` (empty cells allowed), or all NaT when the file lacks it.

    Parameters
    ----------
    df
        The file's rows, columns renamed to field names.
    name
        The field.
    columns
        Field name -> the file's column name, for messages.
    source, rows, date_format
        As for :func:`parse_dates`.
    """
    return Fields(df, source, rows, columns, date_format).dates(name, required=False)


def optional_amounts(
    df: pd.DataFrame,
    name: str,
    *,
    columns: Mapping[str, str],
    source: str,
    rows: Sequence[int],
    decimal: str,
    decimal_declared: bool = True,
) -> pd.Series:
    """:func:`parse_amounts` (DKK) of the optional field ``name`` (empty cells allowed), or all NaN without it.

    Parameters
    ----------
    df, name, columns, source, rows
        As for :func:`optional_dates`.
    decimal, decimal_declared
        As for :func:`parse_amounts`.
    """
    return Fields(df, source, rows, columns, decimal=decimal, decimal_declared=decimal_declared).amounts(
        name, required=False
    )


def parse_codes(
    values: pd.Series,
    parse: Callable[[Any], Any],
    *,
    source: str,
    column: str,
    rows: Sequence[int],
    expected: str,
) -> np.ndarray:
    """Each value through ``parse`` (once per distinct value); empty stays None; a value ``parse`` rejects raises.

    Parameters
    ----------
    values
        The column's cells.
    parse
        A value -> its code, or None when it is not one (e.g. :func:`analysis.data.ledger.art_code`).
    source, column, rows
        As for :func:`parse_dates`.
    expected
        What the error says was expected.

    Raises
    ------
    SchemaError
        Naming the file's row and column of the first value that is not a code.
    """
    codes, uniques = _codes(values)
    parsed = [parse(v) if not is_missing(v) else None for v in uniques]
    bad = {i for i, (v, p) in enumerate(zip(uniques, parsed, strict=True)) if p is None and not is_missing(v)}
    if bad:
        pos, row = _first_row(codes, bad, rows)
        raise SchemaError(source, expected, row=row, column=column, **shown(values.iloc[pos]))
    table = np.asarray([*parsed, None], dtype=object)
    return table[codes]


@dataclass(frozen=True)
class Fields:
    """A file's mapped cells with what every error must name, for the loaders' parsing of fields.

    The loaders (ledger, case extracts, expectations) parse each field the same way: the field's column, parsed
    strictly with an error that names the file, the row as a spreadsheet shows it and the column as the file calls
    it; an optional field the file lacks gives its default (NaN, NaT or None). One object holds the file's side
    (its name, row numbers, column names, date format, decimal mark) so that each field is one call.

    Parameters
    ----------
    df
        The file's rows, columns renamed to field names (:func:`analysis.data.mappings.select_columns`).
    source
        The file, as errors name it.
    rows
        The file row of each row of ``df`` (the header is row 1).
    columns
        Field name -> the file's column name; a field not named is called by its own name.
    date_format
        The mapping's date format, if any (see :func:`parse_date`).
    decimal, decimal_declared
        The decimal mark of the file's amounts and whether the file or mapping declared it (see
        :func:`parse_amounts`).
    """

    df: pd.DataFrame
    source: str
    rows: Sequence[int]
    columns: Mapping[str, str]
    date_format: str | None = None
    decimal: str = ","
    decimal_declared: bool = True

    @classmethod
    def of(
        cls, table: Any, df: pd.DataFrame, columns: Mapping[str, str], date_format: str | None = None
    ) -> Fields:
        """The fields of a whole file as read (a :class:`~analysis.data.reading.SourceTable`)."""
        return cls(
            df, table.source, table.rows(), columns, date_format, table.decimal, table.decimal_declared
        )

    def has(self, name: str) -> bool:
        """True when the file has the field ``name``."""
        return name in self.df.columns

    def column(self, name: str) -> str:
        """The file's name of the field's column."""
        return self.columns.get(name, name)

    def cells(self, name: str) -> pd.Series:
        """The field's cells as read, or all None when the file lacks it."""
        if self.has(name):
            return self.df[name]
        return pd.Series([None] * len(self.df), index=self.df.index, dtype=object)

    def texts(self, name: str) -> pd.Series:
        """The field's cells as stripped text; None where empty or when the file lacks the field."""
        return self.cells(name).map(lambda v: None if is_missing(v) else str(v).strip()).astype(object)

    def dates(
        self, name: str, *, required: bool = True, open_end: bool = False, private: bool = False
    ) -> pd.Series:
        """:func:`parse_dates` of the field; an optional one may be empty, and is all NaT when the file lacks it."""
        if not required and not self.has(name):
            out = pd.Series(pd.NaT, index=self.df.index, dtype="datetime64[ns]")
            out.attrs["open_ends"] = 0
            return out
        return parse_dates(
            self.df[name],
            source=self.source,
            column=self.column(name),
            rows=self.rows,
            date_format=self.date_format,
            required=required,
            open_end=open_end,
            private=private,
        )

    def amounts(self, name: str, *, required: bool = True) -> pd.Series:
        """:func:`parse_amounts` (DKK) of the field; an optional one may be empty, and is all NaN without it."""
        if not required and not self.has(name):
            return pd.Series(np.nan, index=self.df.index)
        return parse_amounts(
            self.df[name],
            decimal=self.decimal,
            source=self.source,
            column=self.column(name),
            rows=self.rows,
            required=required,
            decimal_declared=self.decimal_declared,
        )

    def function_codes(self, name: str = "function_code", *, required: bool = True) -> list[str | None]:
        """:func:`parse_function_codes` of the field; an optional one may be empty, and is all None without it."""
        if not required and not self.has(name):
            return [None] * len(self.df)
        return parse_function_codes(
            self.df[name], source=self.source, column=self.column(name), rows=self.rows, required=required
        )

    def codes(self, name: str, parse: Callable[[Any], Any], expected: str) -> np.ndarray:
        """:func:`parse_codes` of the optional field ``name``; all None when the file lacks it."""
        if not self.has(name):
            return np.full(len(self.df), None, dtype=object)
        return parse_codes(
            self.df[name],
            parse,
            source=self.source,
            column=self.column(name),
            rows=self.rows,
            expected=expected,
        )

    def municipalities(self, municipality_code: int | None, mapping_source: str) -> list[int]:
        """:func:`municipality_column`: each row's municipality, from the file's column or the code given."""
        return municipality_column(
            self.df,
            municipality_code,
            source=self.source,
            mapping_source=mapping_source,
            rows=self.rows,
            column=self.column("municipality_code"),
        )

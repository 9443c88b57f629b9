"""Danish numbers, amounts, percentages and dates: the one place that writes them, with one rounding rule.

Every report formats numbers, amounts, percentages and dates through this module, so that all reports read
the same way: thousands separated by '.', decimals by ',' ('1.234.567', '1.234,5'), Danish month names
written in lower case ('22. november 2026'), amounts with Danish unit abbreviations ('1.234,5 mio. kr.').

Nothing here depends on the operating system's locale: the separators and month names are written out in
this module, so a report looks the same on a server without a Danish locale installed.

Conventions
-----------
Missing values
    ``None``, ``NaN``, ``pandas.NA``, ``NaT`` and infinite values are formatted as :data:`NA` (an en dash,
    '–'), the usual mark for "no figure" in a Danish table; pass ``na=""`` to get an empty string instead.
Rounding
    Numbers are rounded half away from zero on the number as it is written (its shortest ``repr``), as a
    reader rounds by hand: ``fmt_number(0.5) == '1'``, ``fmt_number(2.5) == '3'``,
    ``fmt_number(-2.5) == '-3'`` and ``fmt_number(1.005, 2) == '1,01'``. (Python's ``round`` and
    ``format`` round half to even on the binary value and would give '0', '2', '-2' and '1,00'.)
Signs
    Negative numbers carry an ASCII hyphen-minus ('-1.234,6'), which every font and spreadsheet reads. A
    value that rounds to zero is written without a sign ('0,0', never '-0,0'). A change or a gap is written
    with ``sign=True``: a positive value gets a '+' ('+1,2 mio. kr.'), a negative one its '-', and a value
    that rounds to zero none ('0,0 mio. kr.', never '+0,0').
Spaces
    The space between a number and its unit ('12,3 %', '1,2 mio. kr.') is an ordinary space; HTML tables made
    by :func:`table_html` keep numeric cells on one line.

Examples
--------
>>> fmt_number(1234567)
'1.234.567'
>>> fmt_number(-1234.56, 1)
'-1.234,6'
>>> fmt_dkk(1_234_500_000)
'1.234,5 mio. kr.'
>>> fmt_pct(0.123)
'12,3 %'
>>> fmt_month(2025, 1)
'januar 2025'
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import sys
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MONTHS_DA",
    "MONTHS_DA_SHORT",
    "NA",
    "TIME_ZONE",
    "danish_clock",
    "fmt_date",
    "fmt_dkk",
    "fmt_dkk_number",
    "fmt_month",
    "fmt_number",
    "fmt_pct",
    "in_sentence",
]

NA = "–"
"""Text shown for a missing value (an en dash, U+2013)."""

MONTHS_DA = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]
"""Danish month names, January first, in lower case as Danish writes them."""

MONTHS_DA_SHORT = [
    "jan.",
    "feb.",
    "mar.",
    "apr.",
    "maj",
    "jun.",
    "jul.",
    "aug.",
    "sep.",
    "okt.",
    "nov.",
    "dec.",
]
"""Short Danish month names for chart axes ('maj' is a whole word and takes no full stop)."""

_DKK_UNITS: dict[str, tuple[int, str, int]] = {
    # unit: (divisor, suffix, default decimals)
    "kr": (1, "kr.", 0),
    "t": (1_000, "t.kr.", 0),
    "mio": (1_000_000, "mio. kr.", 1),
    "mia": (1_000_000_000, "mia. kr.", 1),
}


# Numbers ---------------------------------------------------------------------------------------------


def _to_decimal(x: Any) -> Decimal | None:
    """Return ``x`` as an exact :class:`~decimal.Decimal`, or ``None`` when it is missing or not finite."""
    if x is None:
        return None
    if isinstance(x, str | bytes):
        raise TypeError(f"cannot format text {x!r} as a number; convert it first")
    if isinstance(x, Decimal):
        return x if x.is_finite() else None
    if isinstance(x, bool):
        return Decimal(int(x))
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    try:
        f = float(x)
    except (TypeError, ValueError):
        # pandas.NA and pandas.NaT refuse float(); anything else is a caller's mistake.
        if _is_pandas_missing(x):
            return None
        raise TypeError(f"cannot format {type(x).__name__} {x!r} as a number") from None
    if not math.isfinite(f):
        return None
    # repr gives the shortest text that reads back as the same float: round what a reader sees.
    return Decimal(repr(f))


def _is_pandas_missing(x: Any) -> bool:
    """True for pandas' missing values (``pd.NA``, ``pd.NaT``); never imports pandas.

    A value of pandas' types exists only in a process that has imported pandas: where it has not (a report's
    worker formatting its title block), nothing can be one, and importing pandas to ask would cost the
    process about half a second.
    """
    pd = sys.modules.get("pandas")
    if pd is None:
        return False
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _format_decimal(d: Decimal, decimals: int, sign: bool = False) -> str:
    """Format an exact decimal with Danish separators, rounding half away from zero; '+' for >0 with ``sign``."""
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    with localcontext() as ctx:
        ctx.prec = max(28, d.adjusted() + decimals + 4)
        q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q.is_zero():
        q = abs(q)  # no '-0,0'
    text = f"{q:,.{decimals}f}"  # '1,234.5' (English separators)
    plus = "+" if sign and q > 0 else ""  # the rounded value decides: no '+0,0'
    return plus + text.translate(str.maketrans({",": ".", ".": ","}))


def fmt_number(x: Any, decimals: int = 0, na: str = NA, *, sign: bool = False) -> str:
    """Format a number the Danish way: '1.234.567', '1.234,5', '-12,0'.

    Parameters
    ----------
    x : int, float, Decimal, numpy scalar or None
        The number, in whatever unit the caller shows (no scaling is done here).
    decimals : int, default 0
        Number of decimals shown; rounding is half away from zero (see the module docstring).
    na : str, default :data:`NA` ('–')
        Text for a missing or non-finite value (None, NaN, pandas.NA, ±inf).
    sign : bool, default False
        Write a '+' before a positive value (a change or a gap): ``'+1,2'``; none before one that rounds to 0.

    Returns
    -------
    str
        The formatted number, e.g. ``'1.234.567'``.

    Examples
    --------
    >>> fmt_number(1234567)
    '1.234.567'
    >>> fmt_number(-1234.56, 1)
    '-1.234,6'
    >>> fmt_number(2.5)
    '3'
    >>> fmt_number(float("nan"))
    '–'
    >>> fmt_number(1.24, 1, sign=True)
    '+1,2'
    """
    d = _to_decimal(x)
    if d is None:
        return na
    return _format_decimal(d, decimals, sign)


def fmt_dkk(
    x: Any, unit: str = "mio", decimals: int | None = None, na: str = NA, *, sign: bool = False
) -> str:
    """Format an amount in Danish kroner with a Danish unit: '1.234,5 mio. kr.'.

    Parameters
    ----------
    x : number or None
        The amount in DKK (kroner, not thousands or millions).
    unit : {'mio', 'mia', 't', 'kr'}, default 'mio'
        Unit shown: 'mio' millions ('mio. kr.'), 'mia' billions ('mia. kr.'), 't' thousands ('t.kr.'),
        'kr' kroner ('kr.'). The amount is divided by 1e6, 1e9, 1e3 or 1 accordingly.
    decimals : int, optional
        Decimals shown. Default: 1 for 'mio' and 'mia', 0 for 't' and 'kr'.
    na : str, default :data:`NA` ('–')
        Text for a missing value.
    sign : bool, default False
        A signed amount (a gap, a change): '+' before a positive one (``'+1,2 mio. kr.'``), '-' before a negative
        one (``'-0,4 mio. kr.'``), no sign when it rounds to zero (``'0,0 mio. kr.'``).

    Returns
    -------
    str
        E.g. ``'1.234,5 mio. kr.'``, ``'1.234 t.kr.'``, ``'1.234 kr.'``.

    Examples
    --------
    >>> fmt_dkk(1_234_500_000)
    '1.234,5 mio. kr.'
    >>> fmt_dkk(1_234_400, unit="t")
    '1.234 t.kr.'
    >>> fmt_dkk(1234, unit="kr")
    '1.234 kr.'
    >>> fmt_dkk(5_600_000_000, unit="mia")
    '5,6 mia. kr.'
    >>> fmt_dkk(1_249_999, sign=True)
    '+1,2 mio. kr.'
    """
    scaled = _scaled_dkk(x, unit, decimals, sign)
    return na if scaled is None else f"{scaled[0]} {scaled[1]}"


def _scaled_dkk(x: Any, unit: str, decimals: int | None, sign: bool) -> tuple[str, str] | None:
    """The amount ``x`` (DKK) written in ``unit``, and the unit's suffix; None when ``x`` is missing."""
    try:
        divisor, suffix, default_decimals = _DKK_UNITS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {sorted(_DKK_UNITS)}, got {unit!r}") from None
    d = _to_decimal(x)
    if d is None:
        return None
    scaled = d / Decimal(divisor) if divisor != 1 else d
    return _format_decimal(scaled, default_decimals if decimals is None else decimals, sign), suffix


def fmt_dkk_number(
    x: Any, unit: str = "mio", decimals: int | None = None, na: str = NA, *, sign: bool = False
) -> str:
    """An amount in DKK written in a unit but without it: '1.234,5' for 1.234.500.000 kr. in 'mio'.

    For table columns whose caption or heading names the unit ('Mio. kr.'); the rounding and the sign are those
    of :func:`fmt_dkk`.

    Parameters
    ----------
    x : number or None
        The amount in DKK (kroner).
    unit : {'mio', 'mia', 't', 'kr'}, default 'mio'
        The unit the amount is divided into (1e6, 1e9, 1e3 or 1).
    decimals : int, optional
        Decimals shown. Default: 1 for 'mio' and 'mia', 0 for 't' and 'kr'.
    na : str, default :data:`NA` ('–')
        Text for a missing value.
    sign : bool, default False
        '+' before a positive amount, none when it rounds to zero (as :func:`fmt_dkk`).

    Returns
    -------
    str
        E.g. ``'1.234,5'``.

    Examples
    --------
    >>> fmt_dkk_number(1_234_500_000)
    '1.234,5'
    >>> fmt_dkk_number(1_000_000, sign=True)
    '+1,0'
    >>> fmt_dkk_number(-12_345, unit="t")
    '-12'
    """
    scaled = _scaled_dkk(x, unit, decimals, sign)
    return na if scaled is None else scaled[0]


def fmt_pct(x: Any, decimals: int = 1, na: str = NA, *, sign: bool = False) -> str:
    """Format a fraction as a Danish percentage: 0.123 -> '12,3 %'.

    Parameters
    ----------
    x : number or None
        The share as a fraction (0.123 means 12.3 per cent).
    decimals : int, default 1
        Decimals of the percentage shown.
    na : str, default :data:`NA` ('–')
        Text for a missing value.
    sign : bool, default False
        '+' before a positive percentage (a change): ``'+12,3 %'``; none when it rounds to zero.

    Returns
    -------
    str
        E.g. ``'12,3 %'`` (Danish puts a space before the per cent sign).

    Examples
    --------
    >>> fmt_pct(0.123)
    '12,3 %'
    >>> fmt_pct(-0.05, 0)
    '-5 %'
    """
    d = _to_decimal(x)
    if d is None:
        return na
    return f"{_format_decimal(d * 100, decimals, sign)} %"


# Dates -----------------------------------------------------------------------------------------------


def _to_date(d: Any) -> dt.date | None:
    if d is None or _is_pandas_missing(d):
        return None
    if isinstance(d, str):
        return dt.date.fromisoformat(d[:10])
    if isinstance(d, dt.datetime):  # includes pandas.Timestamp
        return d.date()
    if isinstance(d, dt.date):
        return d
    if hasattr(d, "year") and hasattr(d, "month") and hasattr(d, "day"):
        return dt.date(int(d.year), int(d.month), int(d.day))
    raise TypeError(f"cannot format {type(d).__name__} {d!r} as a date")


TIME_ZONE = "Europe/Copenhagen"
"""The time zone of a Danish reader's clock (CET, UTC+1; CEST, UTC+2 in summer)."""


def danish_clock(moment: dt.datetime) -> dt.datetime:
    """A moment as a Danish reader's clock shows it (:data:`TIME_ZONE`), for a run's date and time.

    A moment with a zone (the runner's are) is converted, so that a run on a machine set to UTC does not date a
    report started at 23.30 UTC on 3 December to the 3rd when it is 00.30 on the 4th in Copenhagen. A naive
    moment is taken as it is, and so is any moment where there is no time zone database (a bare container): then
    the machine's own clock.

    Parameters
    ----------
    moment : datetime.datetime
        The moment, with or without a zone.

    Returns
    -------
    datetime.datetime
        The moment in Europe/Copenhagen (aware), or ``moment`` itself.

    Examples
    --------
    >>> danish_clock(dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.timezone.utc)).isoformat()
    '2026-12-04T00:30:00+01:00'
    >>> danish_clock(dt.datetime(2026, 12, 3, 23, 30)).isoformat()
    '2026-12-03T23:30:00'
    """
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(ZoneInfo(TIME_ZONE))
    except ZoneInfoNotFoundError:
        return moment


def fmt_date(d: Any, na: str = NA) -> str:
    """Format a date the Danish way: '22. november 2026'.

    Parameters
    ----------
    d : datetime.date, datetime.datetime, pandas.Timestamp, ISO string or None
        The date; a time of day is ignored.
    na : str, default :data:`NA` ('–')
        Text for a missing date (None, NaT).

    Returns
    -------
    str
        Day with a full stop, month name in lower case, year: ``'22. november 2026'``.

    Examples
    --------
    >>> fmt_date(dt.date(2026, 11, 22))
    '22. november 2026'
    >>> fmt_date("2025-01-05")
    '5. januar 2025'
    """
    date = _to_date(d)
    if date is None:
        return na
    return f"{date.day}. {MONTHS_DA[date.month - 1]} {date.year}"


def fmt_month(year: Any, month: int | None = None, short: bool = False, na: str = NA) -> str:
    """Format a month the Danish way: 'januar 2025' (or 'jan. 2025' with ``short=True``).

    Parameters
    ----------
    year : int or date-like
        The year (then ``month`` is required), or anything with ``year`` and ``month`` attributes
        (datetime.date, pandas.Timestamp, pandas.Period), or an ISO string 'YYYY-MM[-DD]'.
    month : int, optional
        Month number, 1-12, when ``year`` is an int.
    short : bool, default False
        Use the short month names of :data:`MONTHS_DA_SHORT`, for chart axes.
    na : str, default :data:`NA` ('–')
        Text for a missing value.

    Returns
    -------
    str
        E.g. ``'januar 2025'``.

    Examples
    --------
    >>> fmt_month(2025, 1)
    'januar 2025'
    >>> fmt_month(dt.date(2025, 5, 17), short=True)
    'maj 2025'
    """
    if month is None:
        if year is None or _is_pandas_missing(year):
            return na
        if isinstance(year, str):
            y, m = int(year[:4]), int(year[5:7])
        elif hasattr(year, "year") and hasattr(year, "month"):
            y, m = int(year.year), int(year.month)
        else:
            raise TypeError(f"fmt_month needs (year, month) or a date-like value, got {year!r}")
    else:
        y, m = int(year), int(month)
    if not 1 <= m <= 12:
        raise ValueError(f"month must be 1-12, got {m}")
    names = MONTHS_DA_SHORT if short else MONTHS_DA
    return f"{names[m - 1]} {y}"


# Names inside a sentence ---------------------------------------------------------------------------------


def in_sentence(name: str) -> str:
    """A name as it is written inside a Danish sentence: its first letter lowered only where the capital is the name's.

    Danish writes common nouns in lower case, so a name such as "Pris- og lønindeks for kommunale
    serviceudgifter", capitalised because it stands alone (a heading, a YAML ``name:``), reads "... i faste priser
    (pris- og lønindeks for kommunale serviceudgifter)" inside a sentence. The rule:

    - the first letter is lowered when the first word is a capital followed by lower-case letters only (up to the
      first space, hyphen or slash), and the second word, if any, does not also begin with a capital;
    - the name is kept as it is when its first word is an abbreviation or holds another capital or a digit
      ("P/L-indeks", "PL-indeks", "KL's pris- og lønskøn", "BNP-deflator"), or when the first two words both begin
      with a capital (a proper name: "Danmarks Statistiks nettoprisindeks");
    - nothing after the first letter is ever changed (``str.lower`` also made "(KL)" into "(kl)").

    A name that begins with a one-word proper name ("Danmarks prisindeks") cannot be told from a common noun by
    its spelling and would be lowered: write such a name so that it does not begin the name.

    Parameters
    ----------
    name : str
        The name as written on its own.

    Returns
    -------
    str
        The name for the middle of a sentence.

    Examples
    --------
    >>> in_sentence("Pris- og lønindeks for kommunale serviceudgifter")
    'pris- og lønindeks for kommunale serviceudgifter'
    >>> in_sentence("P/L-indeks"), in_sentence("KL's pris- og lønskøn")
    ('P/L-indeks', "KL's pris- og lønskøn")
    >>> in_sentence("Pris- og lønindeks (KL)")
    'pris- og lønindeks (KL)'
    >>> in_sentence("Danmarks Statistiks nettoprisindeks")
    'Danmarks Statistiks nettoprisindeks'
    """
    words = name.split()
    if not words:
        return name
    first = words[0]
    head = first
    for stop in ("-", "/"):
        head = head.split(stop, 1)[0]
    if not (head[:1].isupper() and len(head) > 1 and head[1:].isalpha() and head[1:].islower()):
        return name
    if len(words) > 1 and words[1][:1].isupper():
        return name
    return name[:1].lower() + name[1:]

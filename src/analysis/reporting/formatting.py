"""Danish number and date formatting, chart style and HTML tables: the one module for the look of numbers.

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
    value that rounds to zero is written without a sign ('0,0', never '-0,0').
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
import html
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "FIGSIZE",
    "MONTHS_DA",
    "MONTHS_DA_SHORT",
    "NA",
    "OWN_COLOUR",
    "PALETTE",
    "PEER_COLOUR",
    "danish_formatter",
    "dkk_axis",
    "fmt_date",
    "fmt_dkk",
    "fmt_month",
    "fmt_number",
    "fmt_pct",
    "number_axis",
    "pct_axis",
    "set_style",
    "show",
    "summary_box",
    "table_html",
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

# Chart style -----------------------------------------------------------------------------------------

OWN_COLOUR = "#1f4e79"
"""Colour of the own municipality in charts (dark blue, the colour of the report's headings)."""

PEER_COLOUR = "#b4bcc6"
"""Colour of the comparison municipalities (a light blue-grey that recedes behind the own municipality)."""

PALETTE = ["#1f4e79", "#5b9bd5", "#c55a11", "#70883a", "#8e6c8a", "#7f7f7f"]
"""Small palette for series that are not own-versus-peers: dark blue, light blue, rust, olive, plum, grey."""

FIGSIZE = (6.7, 3.8)
"""Default figure size in inches: 6.7 in (170 mm), the text width of an A4 page (210 mm less margins)."""

_FONT_PREFERENCE = ["Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans"]


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
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _format_decimal(d: Decimal, decimals: int) -> str:
    """Format an exact decimal with Danish separators, rounding half away from zero."""
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    with localcontext() as ctx:
        ctx.prec = max(28, d.adjusted() + decimals + 4)
        q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q.is_zero():
        q = abs(q)  # no '-0,0'
    text = f"{q:,.{decimals}f}"  # '1,234.5' (English separators)
    return text.translate(str.maketrans({",": ".", ".": ","}))


def fmt_number(x: Any, decimals: int = 0, na: str = NA) -> str:
    """Format a number the Danish way: '1.234.567', '1.234,5', '-12,0'.

    Parameters
    ----------
    x : int, float, Decimal, numpy scalar or None
        The number, in whatever unit the caller shows (no scaling is done here).
    decimals : int, default 0
        Number of decimals shown; rounding is half away from zero (see the module docstring).
    na : str, default :data:`NA` ('–')
        Text for a missing or non-finite value (None, NaN, pandas.NA, ±inf).

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
    """
    d = _to_decimal(x)
    if d is None:
        return na
    return _format_decimal(d, decimals)


def fmt_dkk(x: Any, unit: str = "mio", decimals: int | None = None, na: str = NA) -> str:
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
    """
    try:
        divisor, suffix, default_decimals = _DKK_UNITS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {sorted(_DKK_UNITS)}, got {unit!r}") from None
    d = _to_decimal(x)
    if d is None:
        return na
    scaled = d / Decimal(divisor) if divisor != 1 else d
    return f"{_format_decimal(scaled, default_decimals if decimals is None else decimals)} {suffix}"


def fmt_pct(x: Any, decimals: int = 1, na: str = NA) -> str:
    """Format a fraction as a Danish percentage: 0.123 -> '12,3 %'.

    Parameters
    ----------
    x : number or None
        The share as a fraction (0.123 means 12.3 per cent).
    decimals : int, default 1
        Decimals of the percentage shown.
    na : str, default :data:`NA` ('–')
        Text for a missing value.

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
    return f"{_format_decimal(d * 100, decimals)} %"


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


# Charts ----------------------------------------------------------------------------------------------


def _auto_decimals(values: Any, max_decimals: int = 3) -> int:
    """Fewest decimals (0 to ``max_decimals``) that show every tick value exactly."""
    vals = [float(v) for v in values if math.isfinite(float(v))]
    if not vals:
        return 0
    scale = max(abs(v) for v in vals) or 1.0
    for decimals in range(max_decimals + 1):
        if all(abs(v - round(v, decimals)) <= 1e-9 * scale for v in vals):
            return decimals
    return max_decimals


def danish_formatter(scale: float = 1.0, decimals: int | None = None, suffix: str = "") -> Any:
    """Make a matplotlib tick formatter that writes Danish numbers.

    Parameters
    ----------
    scale : float, default 1.0
        Tick values are divided by this before formatting (1e6 shows DKK as millions).
    decimals : int, optional
        Decimals shown. Default: the fewest that show every tick on the axis exactly (0 for 0, 250, 500;
        1 for 0, 0.5, 1.0).
    suffix : str, default ''
        Text appended to every tick label, e.g. ' %'.

    Returns
    -------
    matplotlib.ticker.Formatter
        A formatter for ``axis.set_major_formatter``; ``format_ticks(values)`` gives the labels of a
        set of ticks.

    Examples
    --------
    >>> f = danish_formatter(scale=1e6, decimals=1)
    >>> f(1_234_500_000)
    '1.234,5'
    >>> danish_formatter(scale=1e6).format_ticks([0, 500_000, 1_000_000])
    ['0,0', '0,5', '1,0']
    """
    from matplotlib.ticker import Formatter

    class _DanishFormatter(Formatter):
        def __init__(self) -> None:
            self.scale = scale
            self.decimals = decimals
            self.suffix = suffix
            self._tick_values: list[float] = []

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            self._tick_values = [float(v) for v in locs]

        def _decimals_for(self, x: float) -> int:
            if self.decimals is not None:
                return self.decimals
            values = self._tick_values or [x]
            return _auto_decimals([v / self.scale for v in values])

        def __call__(self, x: float, pos: int | None = None) -> str:
            d = _to_decimal(x)
            if d is None:
                return ""
            scaled = d / Decimal(repr(float(self.scale))) if self.scale != 1 else d
            return _format_decimal(scaled, self._decimals_for(x)) + self.suffix

        def format_data_short(self, value: float) -> str:
            return self(value)

    return _DanishFormatter()


def _axes_for(ax: Axes, axis: str) -> list[Any]:
    if axis == "x":
        return [ax.xaxis]
    if axis == "y":
        return [ax.yaxis]
    if axis == "both":
        return [ax.xaxis, ax.yaxis]
    raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")


def _set_label(axis_obj: Any, label: str | bool | None, unit_text: str) -> None:
    if label is False:
        return
    if label is None or label is True or label == "":
        axis_obj.set_label_text(unit_text)
    else:
        axis_obj.set_label_text(f"{label} ({unit_text})" if unit_text else str(label))


def dkk_axis(
    ax: Axes,
    axis: str = "y",
    unit: str = "mio",
    decimals: int | None = None,
    label: str | bool | None = None,
) -> Axes:
    """Show an axis of DKK amounts as Danish numbers in a unit, e.g. ticks '0', '2,5', '5' (mio. kr.).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose data are amounts in DKK (kroner).
    axis : {'y', 'x', 'both'}, default 'y'
        Which axis to format.
    unit : {'mio', 'mia', 't', 'kr'}, default 'mio'
        Unit of the tick labels (see :func:`fmt_dkk`); ticks carry the number only, the axis label the unit.
    decimals : int, optional
        Decimals on the ticks; default the fewest that show every tick exactly.
    label : str or bool, optional
        Axis label. None (default): the unit alone ('mio. kr.'), replacing a column name put there by
        seaborn. A string: that text with the unit in brackets ('Udgifter (mio. kr.)'). False: leave the
        label as it is.

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, for chaining.
    """
    try:
        divisor, suffix, _ = _DKK_UNITS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {sorted(_DKK_UNITS)}, got {unit!r}") from None
    for axis_obj in _axes_for(ax, axis):
        axis_obj.set_major_formatter(danish_formatter(scale=divisor, decimals=decimals))
        _set_label(axis_obj, label, suffix)
    return ax


def number_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> Axes:
    """Show an axis with Danish numbers ('1.234', '0,5'); the label is left as it is.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    axis : {'y', 'x', 'both'}, default 'y'
        Which axis to format.
    decimals : int, optional
        Decimals on the ticks; default the fewest that show every tick exactly (0 for whole numbers).

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, for chaining.
    """
    for axis_obj in _axes_for(ax, axis):
        axis_obj.set_major_formatter(danish_formatter(decimals=decimals))
    return ax


def pct_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> Axes:
    """Show an axis of fractions as Danish percentages: 0.125 -> '12,5 %'.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose data are fractions (0.1 means 10 per cent).
    axis : {'y', 'x', 'both'}, default 'y'
        Which axis to format.
    decimals : int, optional
        Decimals of the percentage; default the fewest that show every tick exactly.

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, for chaining.
    """
    for axis_obj in _axes_for(ax, axis):
        axis_obj.set_major_formatter(danish_formatter(scale=0.01, decimals=decimals, suffix=" %"))
    return ax


def _available_fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _FONT_PREFERENCE if name in installed] or ["DejaVu Sans"]


def _set_retina_figures() -> None:
    """Have IPython embed figures as double-resolution PNGs shown at their size (no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - both come with ipykernel
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def set_style(retina: bool = True) -> None:
    """Set the one chart style of all reports: calm, print-friendly, A4-wide figures.

    Sets seaborn's white-grid theme with :data:`PALETTE`, a sans-serif font from the report's font stack
    that is installed (Helvetica Neue, Arial, Liberation Sans, else DejaVu Sans), light horizontal grid
    lines, no top and right spines, and figures :data:`FIGSIZE` wide (the A4 text width). Figures are
    drawn at 96 dpi, the CSS pixel, so that a figure shows at its size in inches on screen and on paper:
    its 9 pt text prints at 9 pt. Decimal commas come from the formatters (:func:`dkk_axis`,
    :func:`number_axis`, :func:`pct_axis`), never from an OS locale. Call it once, at the top of a report
    notebook, before plotting.

    Parameters
    ----------
    retina : bool, default True
        In a Jupyter kernel, embed figures as PNGs of twice the resolution (192 dpi) shown at their size,
        sharp in print and on high-density screens.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt  # noqa: F401 - activates the inline backend first, so our rc wins
    import seaborn as sns

    if retina:
        _set_retina_figures()
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": _available_fonts() + list(mpl.rcParams["font.sans-serif"]),
            "figure.figsize": FIGSIZE,
            "figure.dpi": 96,
            "savefig.dpi": 192,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.bbox": "tight",
            "font.size": 9,
            "axes.titlesize": 10.5,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.titlecolor": "#1a3a5f",
            "axes.labelsize": 9,
            "axes.labelcolor": "#333333",
            "axes.edgecolor": "#8a949e",
            "axes.linewidth": 0.8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "axes.axisbelow": True,
            "grid.color": "#dde2e7",
            "grid.linewidth": 0.6,
            "xtick.labelsize": 8.5,
            "ytick.labelsize": 8.5,
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "legend.fontsize": 8.5,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
            "axes.formatter.use_locale": False,
        }
    )


# Tables ----------------------------------------------------------------------------------------------


_IDENTIFIER_SUFFIXES = ("år", "aar", "year", "kode", "code", "nr", "nr.", "id")


def _is_identifier(name: Any) -> bool:
    """Whether an integer column holds identifiers (years, codes) rather than quantities, by its name."""
    text = _label(name).strip().lower().replace("_", " ")
    return any(text == s or text.endswith(" " + s) for s in _IDENTIFIER_SUFFIXES)


def _plain_text(v: Any) -> str:
    return "" if v is None or _is_pandas_missing(v) else str(v)


def _default_formatter(series: pd.Series, name: Any) -> tuple[Callable[[Any], str], bool]:
    """Pick a formatter for a column by dtype; return it and whether the column is numeric."""
    import pandas as pd
    from pandas.api import types as pdt

    dtype = series.dtype
    if pdt.is_bool_dtype(dtype):
        return (lambda v: "" if _is_pandas_missing(v) else ("Ja" if v else "Nej")), False
    if pdt.is_integer_dtype(dtype):
        if _is_identifier(name):
            return _plain_text, True
        return (lambda v: fmt_number(v, 0)), True
    if pdt.is_float_dtype(dtype):
        finite = series[pd.notna(series)]
        whole = bool(len(finite)) and bool(((finite % 1) == 0).all())
        decimals = 0 if whole else 1
        return (lambda v: fmt_number(v, decimals)), True
    if pdt.is_datetime64_any_dtype(dtype):
        return (lambda v: fmt_date(v, na="")), False
    return _plain_text, False


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value if v is not None and str(v) != "")
    return "" if value is None else str(value)


def table_html(
    df: pd.DataFrame,
    formats: Mapping[Any, Callable[[Any], str]] | None = None,
    caption: str | None = None,
    index: bool = False,
    numeric_align_right: bool = True,
) -> str:
    """Render a DataFrame as an HTML table with Danish numbers, for a report.

    Default formats by column type: integers with thousands separators ('12.345'), except integer columns
    named like identifiers (ending in 'år', 'year', 'kode', 'code', 'nr', 'id'), which are written as they
    are ('2025', '101'); floats with no decimals when every value is whole, else one ('1.234,5'); dates
    as '22. november 2026'; booleans as 'Ja'/'Nej'; anything else as text. ``formats`` overrides the
    default per column. Missing numbers show as :data:`NA` ('–'), missing text as an empty cell. All text is
    HTML-escaped. Numeric columns are right-aligned, header included. The table has the CSS class
    ``report-table`` (styled by the report stylesheet) and carries its alignment inline too, so that it
    reads the same in JupyterLab.

    Parameters
    ----------
    df : pandas.DataFrame
        The data; column names become the header (levels of a MultiIndex are joined by spaces).
    formats : mapping of column name to callable, optional
        Formatter per column, taking a cell value and returning text, e.g.
        ``{"Udgift": fmt_dkk, "Andel": fmt_pct, "Pr. borger": functools.partial(fmt_dkk, unit="kr")}``.
    caption : str, optional
        Table caption, shown above the table.
    index : bool, default False
        Show the DataFrame's index as the first column(s), as row headers written as plain text
        (index values are labels: years, codes, names).
    numeric_align_right : bool, default True
        Right-align numeric columns (those of numeric dtype, whether or not ``formats`` formats them).

    Returns
    -------
    str
        The HTML of one ``<table>`` element; display it in a notebook with ``IPython.display.HTML``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Kommune": ["Aarhus"], "År": [2025], "Udgift": [1234567.0]})
    >>> html = table_html(df, formats={"Udgift": fmt_dkk})
    >>> "1,2 mio. kr." in html and ">2025<" in html and 'class="report-table"' in html
    True
    """
    formats = dict(formats or {})
    unknown = [c for c in formats if c not in df.columns]
    if unknown:
        raise KeyError(f"formats names columns not in the DataFrame: {unknown}")

    columns: list[tuple[str, list[str], bool, bool]] = []  # (header, cells, numeric, is_row_header)
    if index:
        for level in range(df.index.nlevels):
            values = df.index.get_level_values(level)
            name = df.index.names[level]
            numeric = values.dtype.kind in "iuf"
            columns.append((_label(name), [_plain_text(v) for v in values], numeric, True))
    for pos in range(df.shape[1]):
        name = df.columns[pos]
        series = df.iloc[:, pos]
        default, numeric = _default_formatter(series, name)
        fmt = formats.get(name, default)
        columns.append((_label(name), [fmt(v) for v in series.tolist()], numeric, False))

    def attrs(numeric: bool, header: bool = False) -> str:
        if not numeric_align_right:
            return ""
        if numeric and header:  # a column heading may wrap, so that a wide table fits the A4 page
            return ' style="text-align: right"'
        if numeric:
            return ' class="num" style="text-align: right; white-space: nowrap"'
        return ' style="text-align: left"'

    esc = html.escape
    out = ['<table class="report-table">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>")
    for header, _cells, numeric, _row_header in columns:
        out.append(f'<th scope="col"{attrs(numeric, header=True)}>{esc(header)}</th>')
    out.append("</tr></thead><tbody>")
    for row in range(len(df)):
        out.append("<tr>")
        for _header, cells, numeric, row_header in columns:
            if row_header:
                out.append(f'<th scope="row"{attrs(numeric)}>{esc(cells[row])}</th>')
            else:
                out.append(f"<td{attrs(numeric)}>{esc(cells[row])}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def summary_box(items: Sequence[tuple[str, str]], title: str | None = None) -> str:
    """HTML of the box of headline figures at the top of a report.

    Parameters
    ----------
    items : sequence of (label, text)
        Each becomes one line: the label in bold, then the text (both HTML-escaped), e.g.
        ``("Udgift 2025", "97,0 mio. kr., 32,4 % mere end i 2018.")``.
    title : str, optional
        A heading inside the box.

    Returns
    -------
    str
        A ``<div class="summary-box">`` (styled by the report stylesheet); display it with ``IPython.display.HTML``.

    Examples
    --------
    >>> summary_box([("Pris", "1.429 t.kr. pr. helårsperson")])
    '<div class="summary-box"><ul><li><b>Pris:</b> 1.429 t.kr. pr. helårsperson</li></ul></div>'
    """
    head = f"<p><b>{html.escape(title)}</b></p>" if title else ""
    lines = "".join(f"<li><b>{html.escape(label)}:</b> {html.escape(text)}</li>" for label, text in items)
    return f'<div class="summary-box">{head}<ul>{lines}</ul></div>'


def confidential_notice(text: str = "Fortroligt: indeholder personhenførbare oplysninger") -> str:
    """HTML that marks a report as confidential: a banner where it is shown and a line on every printed page.

    The banner is a ``<div class="confidential-notice">``; the line is a print rule (``@page``, bottom left) that
    WeasyPrint and browsers put on every page of the PDF, the first included. Show it once, near the top of a
    report that holds person-level data.

    Parameters
    ----------
    text : str, default 'Fortroligt: indeholder personhenførbare oplysninger'
        The notice (Danish).

    Returns
    -------
    str
        A ``<style>`` element and the banner; display it with ``IPython.display.HTML``.

    Examples
    --------
    >>> "@bottom-left" in confidential_notice() and "Fortroligt" in confidential_notice()
    True
    """
    css_text = text.replace("\\", "\\\\").replace('"', '\\"')
    style = (
        '<style>@page { @bottom-left { content: "' + css_text + '"; font-size: 8pt; font-weight: bold; '
        "font-family: 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif; "
        "color: #a4262c; vertical-align: top; padding-top: 4mm; } }"
        ".confidential-notice { border: 2px solid #a4262c; color: #a4262c; font-weight: bold; "
        "padding: 0.4em 0.8em; margin: 0.6em 0; }</style>"
    )
    return style + f'<div class="confidential-notice">{html.escape(text)}</div>'


def show(fig: Any) -> None:
    """Show a finished chart in the notebook at this point; nothing when there is no chart (None).

    Chart functions of the reports return their figure detached from pyplot (closed), so that it appears once,
    where this is called, and not again at the end of the cell.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or None
        The chart.
    """
    if fig is not None:
        from IPython.display import display

        display(fig)


def figure_html(fig: Any, alt: str) -> str:
    """A matplotlib figure as an HTML image shown at its own size (a PNG of twice the resolution, embedded).

    The figure is closed afterwards.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    alt : str
        The image's alternative text (Danish), HTML-escaped here.

    Returns
    -------
    str
        An ``<img>`` element with a ``data:`` URL.
    """
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=192, bbox_inches=None)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    width = f"{fig.get_figwidth()}in"
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="width: {width}; max-width: 100%">'


def section_html(heading: str, *parts: str, level: int = 3, text: str | None = None) -> str:
    """A heading and its parts as one block that the PDF keeps together on a page.

    Parameters
    ----------
    heading : str
        The heading (plain text, HTML-escaped here).
    *parts : str
        HTML shown under it (tables, figures, :func:`summary_box`); empty strings are left out.
    level : int, default 3
        The heading level (2 or 3).
    text : str, optional
        A paragraph of plain text (HTML-escaped) shown between the heading and the parts.

    Returns
    -------
    str
        A ``<div style="break-inside: avoid">``.

    Examples
    --------
    >>> section_html("Fund", "<p>x</p>", text="A & B")
    '<div style="break-inside: avoid"><h3>Fund</h3><p>A &amp; B</p><p>x</p></div>'
    """
    head = f"<h{level}>{html.escape(heading)}</h{level}>"
    para = f"<p>{html.escape(text)}</p>" if text else ""
    return f'<div style="break-inside: avoid">{head}{para}{"".join(p for p in parts if p)}</div>'

"""HTML pieces of the reports: tables with Danish numbers, summary boxes, sections, the confidentiality notice."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from analysis.danish import _is_pandas_missing, fmt_date, fmt_number

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    import pandas as pd

__all__ = ["confidential_notice", "section_html", "summary_box", "table_html"]

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
    >>> from analysis.danish import fmt_dkk
    >>> df = pd.DataFrame({"Kommune": ["Aarhus"], "År": [2025], "Udgift": [1234567.0]})
    >>> out = table_html(df, formats={"Udgift": fmt_dkk})
    >>> "1,2 mio. kr." in out and ">2025<" in out and 'class="report-table"' in out
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

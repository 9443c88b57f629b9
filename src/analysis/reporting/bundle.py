"""One committee document and one Excel annex from a run folder: ``analysis bundle RUN_FOLDER --municipality CODE``.

What is bound
-------------
The run's ``manifest.json`` lists every report with its files. For one municipality the bundle takes its area
report (a report without a function code, e.g. ``notebooks/area.ipynb``) and its per-area reports (with a function
code, in function-code order), as rendered by the run; reports that failed are left out and named on the cover.

The PDF (:func:`bind_pdf`), with pypdf:

1. a cover (title, municipality, data period, run date and id) and a table of contents with the page numbers of the
   bound document, both made with WeasyPrint;
2. the area report without its method section: it opens with the summary and recommendations;
3. the per-area reports, whole;
4. an annex: the area report's method section. The run's HTML of the area report is split at the mark the report
   shows before its method (:data:`ANNEX_MARK`) and both parts are rendered again with WeasyPrint (a forced page
   break inside the notebook's output boxes is not honoured by WeasyPrint, so the PDF cannot be cut by pages).

Every page gets "Samlet side N af M" bottom left (each report keeps its own "Side X af Y" bottom right), and the
PDF has bookmarks. The front matter is rendered twice when needed, so the page numbers in the table of contents are
those of the final document.

The workbook (:func:`write_workbook`), with openpyxl. Design: the tables are taken from the *executed notebooks*
the run keeps beside each report, not recomputed: every table a report shows is an HTML ``<table
class="report-table">`` made by :func:`analysis.reporting.formatting.table_html`, so the workbook holds exactly what
the reports show (same caption, same headings, same rounding, suppressed cells still suppressed) and the notebooks
stay as thin as they are. Each table becomes one sheet: row 1 the caption, row 2 the column headings, then the rows.
A cell whose text is a number as the formatting helpers write it ('1.234,5', '12,3 mio. kr.', '-4,0 %', '2025') is
written as that number with an Excel number format that shows it the same way ('#,##0.0" mio. kr."', '0.0%'); Excel
stores formats in its own notation and shows them with the reader's separators, so Danish Excel shows '1.234,5'.
Anything else ('<5', '..', names) stays text; '–' (no value) becomes an empty cell. A first sheet, "Indhold", lists
the sheets with their report and caption; a sheet is named by its number and its report ("3 Samlet" for the area
report, "12 5.38.50" for an area).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from analysis.errors import InputError

__all__ = [
    "ANNEX_MARK",
    "METHOD_HEADING",
    "BundleResult",
    "ReportFile",
    "Table",
    "bind_pdf",
    "bundle",
    "parse_number",
    "report_files",
    "split_annex",
    "tables_of_notebook",
    "write_workbook",
]

METHOD_HEADING = "Metode og data"
"""The heading of a report's method section."""


@dataclass(frozen=True)
class ReportFile:
    """One report of the run: its notebook, area and files (absolute paths)."""

    notebook: str
    title: str
    function_code: str
    function_name: str
    pdf: Path
    ipynb: Path

    @property
    def label(self) -> str:
        """The report's entry in the table of contents."""
        if self.function_code:
            return f"{self.function_code} {self.function_name}".strip()
        return self.title


@dataclass(frozen=True)
class Table:
    """A table of a report: caption, column headings and rows of cell texts."""

    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class BundleResult:
    """What :func:`bundle` wrote."""

    pdf: Path
    workbook: Path
    pages: int
    sheets: list[str]
    contents: list[tuple[str, int]]
    left_out: list[str]


# Finding the reports ------------------------------------------------------------------------------------------


def report_files(
    run_dir: str | Path, municipality_code: int
) -> tuple[dict[str, Any], list[ReportFile], list[str]]:
    """The manifest, the municipality's reports with a PDF (area reports first) and the reports left out.

    Raises
    ------
    InputError
        If the folder has no ``manifest.json``, or it lists no report of the municipality with a PDF (saying which
        municipalities it does hold).
    """
    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise InputError(
            f"{run_dir}: no manifest.json; give the folder of one run (reports/<batch>/<run id>)"
        )
    manifest = json.loads(path.read_text("utf-8"))
    reports = manifest.get("reports", [])
    mine = [r for r in reports if int(r["municipality_code"]) == int(municipality_code)]
    usable, left_out = [], []
    for r in mine:
        files = r.get("files", {})
        label = f"{r['notebook']} {r.get('function_code') or ''}".strip()
        if r.get("status") not in ("ok", "cached") or "pdf" not in files:
            left_out.append(f"{label} ({'fejlet' if r.get('status') == 'failed' else 'ingen PDF'})")
            continue
        pdf = run_dir / files["pdf"]
        ipynb = run_dir / files.get("ipynb", str(Path(files["pdf"]).with_suffix(".ipynb")))
        if not pdf.is_file():
            raise InputError(f"{run_dir}: the manifest lists {files['pdf']}, which is not in the folder")
        usable.append(
            ReportFile(
                notebook=r["notebook"],
                title=r.get("title") or r["notebook"],
                function_code=r.get("function_code") or "",
                function_name=r.get("function_name") or "",
                pdf=pdf,
                ipynb=ipynb,
            )
        )
    if not usable:
        held = sorted({int(r["municipality_code"]) for r in reports if r.get("files", {}).get("pdf")})
        raise InputError(
            f"{run_dir}: no report of municipality {municipality_code} with a PDF; the run holds PDFs for "
            f"{', '.join(map(str, held)) or 'no municipality'} (run the batch with formats [html, pdf])"
        )
    usable.sort(key=lambda f: (f.function_code != "", f.function_code, f.notebook))
    return manifest, usable, left_out


# PDF ----------------------------------------------------------------------------------------------------------

_FRONT_CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm; }
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; font-size: 10.5pt; color: #1d2329; }
.cover { height: 230mm; display: flex; flex-direction: column; justify-content: center; break-after: page; }
.cover h1 { font-size: 24pt; color: #1f4e79; margin: 0 0 6mm 0; }
.cover p { margin: 1.5mm 0; }
.sample { margin-top: 10mm; padding: 3mm; border: 1px solid #c55a11; color: #c55a11; }
h2 { font-size: 15pt; color: #1f4e79; }
table.toc { width: 100%; border-collapse: collapse; }
table.toc td { padding: 1.6mm 0; border-bottom: 1px dotted #b4bcc6; }
table.toc td.page { text-align: right; width: 20mm; }
"""


def _front_html(cover: dict[str, str], contents: list[tuple[str, int]]) -> str:
    esc = html.escape
    lines = "".join(f"<p>{esc(line)}</p>" for line in cover["lines"])
    sample = f'<p class="sample">{esc(cover["sample"])}</p>' if cover.get("sample") else ""
    rows = "".join(f'<tr><td>{esc(label)}</td><td class="page">{page}</td></tr>' for label, page in contents)
    return (
        f"<html><head><meta charset='utf-8'><style>{_FRONT_CSS}</style></head><body>"
        f"<div class='cover'><h1>{esc(cover['title'])}</h1>{lines}{sample}</div>"
        f"<h2>Indhold</h2><table class='toc'>{rows}</table></body></html>"
    )


def _stamp_html(pages: int) -> str:
    css = (
        "@page { size: A4; margin: 22mm 18mm 20mm 18mm; @bottom-left { content: 'Samlet side ' counter(page) "
        "' af ' counter(pages); font-family: 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif; "
        "font-size: 8pt; color: #5a6470; vertical-align: top; padding-top: 4mm; } }"
        " div { break-after: page; height: 1px; } div:last-child { break-after: auto; }"
    )
    return f"<html><head><style>{css}</style></head><body>{'<div></div>' * pages}</body></html>"


def _weasy_pdf(markup: str) -> bytes:
    from analysis.reporting.render import _quiet_logs, import_weasyprint

    weasyprint = import_weasyprint()

    with _quiet_logs():
        return weasyprint.HTML(string=markup).write_pdf()


ANNEX_MARK = 'class="annex-break"'
"""The element a report shows before its method section (:func:`analysis.reporting.area_page.annex_break`)."""
_CELL_OPEN = re.compile(r'<div\b[^>]*\bclass="jp-Cell ')
"""The opening tag of a notebook cell's element in nbconvert's HTML."""


def split_annex(markup: str) -> tuple[str, str] | None:
    """Split a rendered report's HTML at its annex mark: (the report without the method, the method alone).

    The method is the notebook cell holding :data:`ANNEX_MARK` and every cell after it; the second document keeps
    the head (the stylesheet) but not the title block. None when the report has no mark.
    """
    at = markup.find(ANNEX_MARK)
    if at < 0:
        return None
    # the cell's element, whatever the order of its attributes (nbconvert writes the id first)
    cells = [m.start() for m in _CELL_OPEN.finditer(markup, 0, at)]
    cell = cells[-1] if cells else -1
    end = markup.rfind("</main>")
    body_open = re.search(r"<body[^>]*>", markup)
    if cell < 0 or end < cell or body_open is None:
        return None
    tail = markup[end:]
    return markup[:cell] + tail, markup[: body_open.end()] + "<main>" + markup[cell:end] + tail


def _report_pdfs(report: ReportFile) -> tuple[Any, Any | None]:
    """The report's PDF, or, for an area report with an annex mark, its body and its method rendered apart."""
    from pypdf import PdfReader

    html_path = report.pdf.with_suffix(".html")
    if not report.function_code and html_path.is_file():
        parts = split_annex(html_path.read_text("utf-8"))
        if parts is not None:
            return tuple(PdfReader(io.BytesIO(_weasy_pdf(part))) for part in parts)
    return PdfReader(str(report.pdf)), None


def bind_pdf(
    reports: list[ReportFile], cover: dict[str, Any], out_path: str | Path
) -> tuple[int, list[tuple[str, int]]]:
    """Bind the reports into one PDF (see the module docstring); returns its page count and the contents.

    Parameters
    ----------
    reports : list of ReportFile
        Area reports first, then per-area reports (as :func:`report_files` orders them).
    cover : dict
        ``title``, ``lines`` (list of str under it) and optionally ``sample`` (a notice).
    out_path : str or pathlib.Path
        Where to write the PDF.

    Returns
    -------
    (int, list of (str, int))
        The number of pages, and each entry of the table of contents with its page (1 = the cover).
    """
    from pypdf import PdfReader, PdfWriter

    parts: list[tuple[str, Any, range]] = []  # (label, reader, pages)
    annex: list[tuple[str, Any, range]] = []
    for report in reports:
        reader, method = _report_pdfs(report)
        parts.append((report.label, reader, range(len(reader.pages))))
        if method is not None:
            label = f"Bilag: {METHOD_HEADING.lower()}, {report.label[:1].lower() + report.label[1:]}"
            annex.append((label, method, range(len(method.pages))))
    parts += annex

    front_pages, front = 2, b""
    # the contents' page numbers depend on the front matter's length, which depends on them
    for _ in range(3):
        page, contents = front_pages + 1, []
        for label, _reader, pages in parts:
            contents.append((label, page))
            page += len(pages)
        front = _weasy_pdf(_front_html(cover, contents))
        actual = len(PdfReader(io.BytesIO(front)).pages)
        if actual == front_pages:
            break
        front_pages = actual
    total = front_pages + sum(len(pages) for _label, _reader, pages in parts)
    stamps = PdfReader(io.BytesIO(_weasy_pdf(_stamp_html(total)))).pages

    writer = PdfWriter()
    for p in PdfReader(io.BytesIO(front)).pages:
        writer.add_page(p)
    for (label, reader, pages), (_label, first) in zip(parts, contents, strict=True):
        for i in pages:
            writer.add_page(reader.pages[i])
        writer.add_outline_item(title=label, page_number=first - 1)
    for i, page in enumerate(writer.pages):
        page.merge_page(stamps[i])
    writer.add_metadata({"/Title": cover["title"]})
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".part")
    with partial.open("wb") as f:
        writer.write(f)
    partial.replace(out_path)
    return total, contents


# Tables -------------------------------------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Collects the ``report-table`` tables of an HTML fragment: caption, headings and cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._table: dict[str, Any] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and "report-table" in classes:
            self._table = {"caption": "", "headers": [], "rows": []}
        elif self._table is None:
            return
        elif tag == "caption":
            self._in_caption = True
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self._table["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._table is None:
            return
        if tag == "caption":
            self._in_caption = False
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).replace("\u00ad", "").strip()
            (self._table["headers"] if self._in_head else self._table["rows"][-1]).append(text)
            self._cell = None
        elif tag == "table":
            t = self._table
            self.tables.append(Table(t["caption"].strip(), t["headers"], [r for r in t["rows"] if r]))
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._table is None:
            return
        if self._in_caption:
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def tables_of_notebook(path: str | Path) -> list[Table]:
    """Every ``report-table`` in the HTML outputs of an executed notebook, in the order shown."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    parser = _TableParser()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html")
            if markup:
                parser.feed("".join(markup) if isinstance(markup, list) else markup)
    return parser.tables


_NUMBER = re.compile(
    r"^(?P<sign>[+\-\u2212]?)(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<dec>\d+))?"
    r"(?P<unit>| %| mio\. kr\.| mia\. kr\.| t\.kr\.| kr\.)$"
)
_UNIT_FORMATS = {
    "": "",
    " mio. kr.": '" mio. kr."',
    " mia. kr.": '" mia. kr."',
    " t.kr.": '" t.kr."',
    " kr.": '" kr."',
}


def parse_number(text: str) -> tuple[float, str] | None:
    """A cell text as the formatting helpers write numbers, as (value, Excel number format); None if not a number.

    The value is the number shown (a percentage as a fraction: '12,3 %' is 0.123). Thousands use '.', decimals ','
    (the helpers' Danish notation, the only one the reports write); the format is in Excel's notation.

    Examples
    --------
    >>> parse_number("1.234,5 mio. kr.")
    (1234.5, '#,##0.0" mio. kr."')
    >>> parse_number("-4,0 %")
    (-0.04, '0.0%')
    >>> parse_number("2025"), parse_number("<5"), parse_number("5.38.50")
    ((2025.0, '0'), None, None)
    """
    m = _NUMBER.match(text.strip())
    if not m:
        return None
    digits = m["int"].replace(".", "")
    decimals = m["dec"] or ""
    value = float(f"{digits}.{decimals}" if decimals else digits)
    if m["sign"] in ("-", "\u2212"):
        value = -value
    places = "." + "0" * len(decimals) if decimals else ""
    if m["unit"] == " %":
        return round(value / 100, len(decimals) + 2), f"0{places}%"
    grouped = "." in m["int"] or (len(digits) > 3 and m["unit"] != "")
    body = f"#,##0{places}" if grouped or m["unit"] else f"0{places}"
    return value, body + _UNIT_FORMATS[m["unit"]]


def _sheet_name(index: int, report: ReportFile, used: set[str]) -> str:
    base = f"{index} {report.function_code or 'Samlet'}"[:31]
    name, n = base, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def write_workbook(reports: list[ReportFile], out_path: str | Path, title: str) -> list[str]:
    """Write every table of the reports into one workbook, one sheet per table (see the module docstring).

    Returns
    -------
    list of str
        The sheet names, "Indhold" first.

    Raises
    ------
    InputError
        If an executed notebook is missing from the run folder.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    index = workbook.active
    index.title = "Indhold"
    index.append([title])
    index["A1"].font = Font(bold=True, size=13)
    index.append(["Ark", "Rapport", "Tabel"])
    for cell in index[2]:
        cell.font = Font(bold=True)
    used, number = {"Indhold"}, 0
    for report in reports:
        if not report.ipynb.is_file():
            raise InputError(
                f"{report.ipynb}: the executed notebook of {report.label} is not in the run folder"
            )
        for table in tables_of_notebook(report.ipynb):
            number += 1
            sheet = workbook.create_sheet(_sheet_name(number, report, used))
            index.append([sheet.title, report.label, table.caption])
            sheet.append([table.caption])
            sheet["A1"].font = Font(bold=True)
            sheet.append(table.headers)
            for cell in sheet[2]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="bottom")
            for row in table.rows:
                values, formats = [], []
                for text in row:
                    parsed = parse_number(text) if text != "–" else (None, "")
                    values.append(text if parsed is None else parsed[0])
                    formats.append("" if parsed is None else parsed[1])
                sheet.append(values)
                for cell, number_format in zip(sheet[sheet.max_row], formats, strict=False):
                    if number_format:
                        cell.number_format = number_format
            for i, header in enumerate(table.headers):
                width = max([len(header)] + [len(r[i]) for r in table.rows if i < len(r)])
                sheet.column_dimensions[sheet.cell(row=2, column=i + 1).column_letter].width = min(
                    60, width + 2
                )
    index.column_dimensions["A"].width = 16
    index.column_dimensions["B"].width = 50
    index.column_dimensions["C"].width = 90
    out_path = Path(out_path)
    workbook.save(out_path)
    return workbook.sheetnames


# Both ---------------------------------------------------------------------------------------------------------


def bundle(run_dir: str | Path, municipality_code: int, names: dict[int, str] | None = None) -> BundleResult:
    """Bind one municipality's reports of a run into ``<slug>_samlet.pdf`` and ``<slug>_tabeller.xlsx`` in the folder.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        The folder of one run (with ``manifest.json``).
    municipality_code : int
        The municipality.
    names : dict, optional
        Official names by code for the cover (default: the name the manifest gives).

    Raises
    ------
    InputError
        As :func:`report_files` and :func:`write_workbook`.
    """
    from analysis.reporting.batch import _slug

    run_dir = Path(run_dir)
    manifest, reports, left_out = report_files(run_dir, municipality_code)
    entry = next(r for r in manifest["reports"] if int(r["municipality_code"]) == int(municipality_code))
    name = (names or {}).get(int(municipality_code)) or entry.get("municipality") or str(municipality_code)
    batch = manifest.get("batch", {})
    params = entry.get("parameters", {})
    period = (
        f"{params['first_year']}-{params['last_year']}"
        if "first_year" in params and "last_year" in params
        else ""
    )
    from analysis.reporting.formatting import danish_clock, fmt_date

    started = manifest.get("started", "")
    # the date on a Danish reader's clock: a run started at 23.30 UTC is dated the next day in Copenhagen
    run_date = danish_clock(dt.datetime.fromisoformat(started)).date() if started else None

    lines = [name]
    if period:
        lines.append(f"Data: regnskabsårene {period}")
    lines.append(f"Kørt {fmt_date(run_date)} · kørsels-id {manifest.get('run_id', '')}" if run_date else "")
    lines.append(
        f"{len(reports)} rapporter: området samlet og {sum(1 for r in reports if r.function_code)} områder"
    )
    if left_out:
        lines.append("Ikke med (fejlet eller uden PDF): " + ", ".join(left_out))
    sample = ""
    if str(manifest.get("inputs", {}).get("warehouse", "")).startswith("sample"):
        sample = "Eksempeldata: tallene er syntetiske og beskriver ikke kommunens faktiske forhold."
    title = batch.get("title") or "Rapporter"
    slug = _slug(name)
    pdf_path, xlsx_path = run_dir / f"{slug}_samlet.pdf", run_dir / f"{slug}_tabeller.xlsx"
    pages, contents = bind_pdf(
        reports, {"title": title, "lines": [x for x in lines if x], "sample": sample}, pdf_path
    )
    sheets = write_workbook(reports, xlsx_path, title if name in title else f"{title}: {name}")
    return BundleResult(pdf_path, xlsx_path, pages, sheets, contents, left_out)

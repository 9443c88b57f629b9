"""The committee document and the Excel annex, from a hand-made run folder: pages, contents, sheets, known cells."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis.cli import main
from analysis.errors import InputError
from analysis.reporting import area_page
from analysis.reporting import bundle as bd
from analysis.reporting import formatting as fmt


def _pdf(path, pages: list[str]) -> None:
    import weasyprint

    body = "".join(f'<div style="break-after: page"><h2>{p}</h2><p>Tekst.</p></div>' for p in pages[:-1])
    body += f"<div><h2>{pages[-1]}</h2><p>Tekst.</p></div>"
    weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf(path)


def _notebook(path, tables: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": t}) for t in tables]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("tekst")]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    (run / "area").mkdir()
    (run / "benchmark").mkdir()
    _pdf(run / "area" / "706.pdf", ["Sammenfatning", "Området i tal", bd.METHOD_HEADING])
    # the run's HTML of the area report, with the mark before its method: the bundle renders the two parts apart
    (run / "area" / "706.html").write_text(
        "<html><head><style>h2 { color: navy }</style></head><body class='jp-Notebook'><main>"
        '<div class="jp-Cell one" style="break-after: page"><h2>Sammenfatning</h2></div>'
        '<div class="jp-Cell two"><h2>Området i tal</h2></div>'
        f'<div class="jp-Cell three">{area_page.annex_break()}<h2>{bd.METHOD_HEADING}</h2><p>Regler.</p></div>'
        "</main></body></html>",
        "utf-8",
    )
    _pdf(run / "benchmark" / "706_5.38.50.pdf", ["Botilbud side 1", "Botilbud side 2"])
    money = pd.DataFrame({"Område": ["5.38.50 Botilbud", "I alt"], "Udgift": [12_345_678.0, 1_234_500_000.0]})
    shares = pd.DataFrame({"År": [2025], "Antal": ["<5"], "Andel": [-0.04], "Pris": [float("nan")]})
    area_tables = [
        fmt.table_html(money, formats={"Udgift": fmt.fmt_dkk}, caption="Udgiften fordelt på område, 2025"),
        fmt.table_html(shares, formats={"Andel": fmt.fmt_pct}, caption="Små grupper"),
    ]
    _notebook(run / "area" / "706.ipynb", area_tables)
    per_area = pd.DataFrame({"Kommune": ["Syddjurs"], "Helårspersoner pr. 1.000": [2.75]})
    _notebook(run / "benchmark" / "706_5.38.50.ipynb", [fmt.table_html(per_area, caption="Nøgletal")])

    def report(notebook, code, name, rel, status="ok"):
        files = {"ipynb": f"{rel}.ipynb", "pdf": f"{rel}.pdf"} if status == "ok" else {}
        return {
            "notebook": notebook,
            "title": "Området samlet" if not code else "Pris og mængde",
            "municipality_code": 706,
            "municipality": "Syddjurs",
            "function_code": code,
            "function_name": name,
            "parameters": {"first_year": 2018, "last_year": 2025},
            "status": status,
            "files": files,
        }

    manifest = {
        "run_id": "20261201-000000-abcdef",
        "started": "2026-12-01T23:30:00+00:00",  # 00.30 on 2 December in Copenhagen
        "batch": {"title": "Benchmark af botilbud"},
        "inputs": {"warehouse": "sample.duckdb"},
        "reports": [
            report("benchmark", "5.38.50", "Botilbud til længerevarende ophold", "benchmark/706_5.38.50"),
            report("area", "", "", "area/706"),
            report("benchmark", "5.38.52", "Botilbud til midlertidigt ophold", "", status="failed"),
        ],
    }
    (run / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return run


@pytest.fixture(scope="module")
def result(run_dir):
    return bd.bundle(run_dir, 706, {706: "Syddjurs Kommune"})


def test_the_bound_pdf_has_cover_contents_summary_first_and_the_method_as_annex(result):
    reader = PdfReader(str(result.pdf))
    # cover + contents, area report without its method page (2), the per-area report (2), the annex (1)
    assert len(reader.pages) == result.pages == 7
    assert result.contents == [
        ("Området samlet", 3),
        ("5.38.50 Botilbud til længerevarende ophold", 5),
        ("Bilag: metode og data, området samlet", 7),
    ]
    cover, contents = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "Syddjurs Kommune" in cover and "Eksempeldata" in cover and "benchmark 5.38.52 (fejlet)" in cover
    assert "Kørt 2. december 2026" in cover  # the run's date on the Danish clock, not the UTC date
    assert "5.38.50 Botilbud til længerevarende ophold 5" in contents
    assert "Bilag: metode og data, området samlet 7" in contents
    assert "Sammenfatning" in reader.pages[2].extract_text()
    assert "Botilbud side 1" in reader.pages[4].extract_text()
    last = reader.pages[6].extract_text()
    assert bd.METHOD_HEADING in last and "Regler." in last and "Samlet side 7 af 7" in last
    assert bd.METHOD_HEADING not in reader.pages[3].extract_text()  # the area report's body ends before it
    assert [item.title for item in reader.outline][0] == "Området samlet"


def test_the_workbook_has_one_sheet_per_table_with_numbers_as_numbers(result):
    wb = load_workbook(result.workbook)
    assert wb.sheetnames == result.sheets == ["Indhold", "1 Samlet", "2 Samlet", "3 5.38.50"]
    sheet = wb["1 Samlet"]
    assert sheet["A1"].value == "Udgiften fordelt på område, 2025"
    assert [c.value for c in sheet[2]] == ["Område", "Udgift"]
    assert sheet["B3"].value == pytest.approx(12.3) and sheet["B3"].number_format == '#,##0.0" mio. kr."'
    assert sheet["B4"].value == pytest.approx(1234.5)
    small = wb["2 Samlet"]
    assert small["A3"].value == 2025 and small["A3"].number_format == "0"
    assert small["B3"].value == "<5"  # suppressed stays suppressed, as text
    assert small["C3"].value == pytest.approx(-0.04) and small["C3"].number_format == "0.0%"
    assert small["D3"].value is None  # '–': no value
    assert wb["3 5.38.50"]["B3"].value == pytest.approx(2.8)
    assert wb["Indhold"]["C5"].value == "Nøgletal"


def test_split_annex_finds_the_cell_whatever_the_order_of_its_attributes():
    # nbconvert 7 writes a cell's id before its class; the split used to look for '<div class="jp-Cell ' only
    # and, not finding it, bound the area report without its annex
    markup = (
        "<html><head><style>s</style></head><body><header>t</header><main>"
        '<div id="cell-id=a" class="jp-Cell jp-CodeCell">body</div>'
        '<div id="cell-id=b" class="jp-Cell jp-CodeCell"><div class="annex-break"></div></div>'
        '<div id="cell-id=c" class="jp-Cell jp-CodeCell">method</div></main></body></html>'
    )
    report, method = bd.split_annex(markup)
    assert report == (
        "<html><head><style>s</style></head><body><header>t</header><main>"
        '<div id="cell-id=a" class="jp-Cell jp-CodeCell">body</div></main></body></html>'
    )
    assert method == (
        "<html><head><style>s</style></head><body><main>"
        '<div id="cell-id=b" class="jp-Cell jp-CodeCell"><div class="annex-break"></div></div>'
        '<div id="cell-id=c" class="jp-Cell jp-CodeCell">method</div></main></body></html>'
    )


def test_split_annex_without_a_mark_is_none():
    assert bd.split_annex("<html><body><main><div class='jp-Cell x'>a</div></main></body></html>") is None


def test_parse_number_refuses_what_is_not_a_number():
    assert bd.parse_number("5.38.50") is None
    assert bd.parse_number("1.23") is None  # not a Danish thousands group
    assert bd.parse_number("12.345") == (12345.0, "#,##0")
    assert bd.parse_number("+22,8 mio. kr.") == (22.8, '#,##0.0" mio. kr."')


def test_the_command_and_its_errors(run_dir, capsys, tmp_path):
    assert main(["bundle", str(run_dir), "--municipality", "706"]) == 0
    assert "(7 pages)" in capsys.readouterr().out
    assert main(["bundle", str(run_dir), "--municipality", "101"]) == 2
    assert "no report of municipality 101 with a PDF; the run holds PDFs for 706" in capsys.readouterr().err
    with pytest.raises(InputError, match="no manifest.json"):
        bd.report_files(tmp_path, 706)

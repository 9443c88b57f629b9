"""Every report kind rendered on the sample: no CPR-shaped string in any output, no count of 1-4 citizens shown.

One batch of every report notebook for 706 Syddjurs (HTML and PDF), scanned file by file: the HTML (without
embedded images), the PDF's text, the executed notebooks (sources, outputs, errors), the manifest and the index.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analysis.privacy import find_cpr
from tests.test_crosssector import _notebook_text, _Tables, _without_images, pdf_text

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
#: Table headings of columns that count citizens (persons, members, residents), not full-year equivalents.
CITIZEN_COLUMNS = re.compile(
    r"^(borgere|deltagere|beboere|personer|heraf deltagere|borgere med sag.*)$", re.I
)


def citizen_cells(html: str) -> list[tuple[str, str, str]]:
    """(column, row, value) of each cell in a column of citizens."""
    parser = _Tables()
    parser.feed(html)
    out = []
    for rows in parser.tables:
        if not rows:
            continue
        for j, heading in enumerate(rows[0]):
            if CITIZEN_COLUMNS.match(heading.replace("\xad", "")):
                out += [(heading, r[0], r[j]) for r in rows[1:] if j < len(r)]
    return out


def small_citizen_cells(html: str) -> list[tuple[str, str, str]]:
    """(column, row, value) of each cell of 1-4 in a column of citizens."""
    return [cell for cell in citizen_cells(html) if re.fullmatch(r"[1-4]", cell[2])]


def test_the_scan_finds_what_it_looks_for():
    # a CPR number in an HTML page, a small count in a column of citizens; 0, '<5' and full-year equivalents pass
    page = (
        "<p>Sag for 010203-1234</p><table><tr><th>Sektor</th><th>Borgere</th><th>Helårspersoner</th></tr>"
        "<tr><td>A</td><td>3</td><td>1,5</td></tr><tr><td>B</td><td>&lt;5</td><td>2</td></tr>"
        "<tr><td>C</td><td>0</td><td>4</td></tr></table>"
    )
    assert find_cpr(_without_images(page)) == ["010203-1234"]
    assert small_citizen_cells(page) == [("Borgere", "A", "3")]


@pytest.fixture(scope="module")
def every_report(tmp_path_factory, sample_path):
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    tmp = tmp_path_factory.mktemp("all")
    data = {
        "name": "all",
        "municipalities": [706],
        "function_areas": ["5.38.50"],
        "notebooks": NOTEBOOKS,
        "formats": ["html", "pdf"],
        "parameters": {
            "last_year": 2025,
            "as_of_month": 9,
            "budget_year": 2026,
            "decisions_file": "parameters/budget/decisions-example.yaml",
            "offer_file": "parameters/offers/example-offer.yaml",
        },
    }
    path = tmp / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    batch = load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml")
    summary = run_batch(batch, batch_file=path, reports_dir=tmp / "reports", progress=False)
    failed = [(r.notebook, r.error) for r in summary.reports if r.status != "ok"]
    assert not failed
    return summary.folder


@pytest.mark.slow
def test_no_output_of_any_report_holds_a_cpr_number(every_report):
    files = sorted(p for p in every_report.rglob("*") if p.is_file())
    kinds = {p.parent.name for p in files if p.suffix == ".html" and p.name != "index.html"}
    assert kinds == set(NOTEBOOKS)  # every report kind was rendered and is scanned
    for path in files:
        if path.suffix == ".pdf":
            text = pdf_text(path.read_bytes())
            assert "Syddjurs" in text  # the extractor read it
            text = text.replace("\n", "")  # a number split over two runs would still be found
        elif path.suffix == ".ipynb":
            text = _notebook_text(path)
        else:
            text = _without_images(path.read_text("utf-8"))
        assert find_cpr(text) == [], path


@pytest.mark.slow
def test_no_report_shows_a_count_of_one_to_four_citizens(every_report):
    pages = sorted(every_report.rglob("*.html"))
    scanned = {
        p.parent.name: len(citizen_cells(p.read_text("utf-8"))) for p in pages if p.name != "index.html"
    }
    # every report was scanned, and the three that count citizens in a table were read as such (a heading that
    # no longer matched CITIZEN_COLUMNS left the scan nothing to find)
    assert set(scanned) == set(NOTEBOOKS)
    assert {name for name, n in scanned.items() if n} == {"area", "cross_sector", "staffing"}
    for path in pages:
        assert small_citizen_cells(path.read_text("utf-8")) == [], path

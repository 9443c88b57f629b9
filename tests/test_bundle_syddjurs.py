"""End to end: the Syddjurs batch (area report and three housing areas) run and bound into one PDF and a workbook."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis.cli import main
from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch
from tests.test_area_notebook import _quantity_effects

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_one_command_gives_the_bound_pdf_and_the_workbook(tmp_path, sample_path, capsys):
    data = yaml.safe_load((ROOT / "parameters" / "batches" / "bdo-botilbud.yaml").read_text("utf-8"))
    data.update(
        {"formats": ["html", "pdf"], "parameters": {**data.get("parameters", {}), "first_year": 2022}}
    )
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    summary = run_batch(
        load_batch(path, defaults=tmp_path / "none.yaml"),
        batch_file=path,
        reports_dir=tmp_path / "reports",
        progress=False,
    )
    assert not summary.failed, [r.error for r in summary.failed]
    assert main(["bundle", str(summary.folder), "--municipality", "706"]) == 0
    capsys.readouterr()

    reader = PdfReader(str(summary.folder / "syddjurs-kommune_samlet.pdf"))
    contents = reader.pages[1].extract_text()
    lines = [x for x in contents.splitlines() if x and x[-1].isdigit() and not x.startswith("Samlet side")]
    labels = [line.rsplit(" ", 1)[0] for line in lines]
    pages = [int(line.rsplit(" ", 1)[1]) for line in lines]
    assert labels[0].startswith("Området samlet") and labels[1].startswith("5.38.50")
    assert labels[-1].startswith("Bilag: metode og data")
    assert pages == sorted(pages) and pages[0] == 3 and pages[-1] == len(reader.pages)
    # each entry's page is where its report starts: the area report with its summary, the annex with the method
    assert "Sammenfatning og anbefalinger" in reader.pages[pages[0] - 1].extract_text()
    assert "Syddjurs Kommune: botilbud til længerevarende ophold" in reader.pages[pages[1] - 1].extract_text()
    annex = reader.pages[pages[-1] - 1].extract_text()
    assert "Metode og data" in annex and "Botilbud samlet" in annex
    assert "Metode og data\n" not in reader.pages[pages[0]].extract_text()

    wb = load_workbook(summary.folder / "syddjurs-kommune_tabeller.xlsx")
    assert wb.sheetnames[0] == "Indhold" and len(wb.sheetnames) > 10
    substitution = next(wb[n] for n in wb.sheetnames if str(wb[n]["A1"].value).startswith("Botilbud: mængde"))
    assert substitution["A3"].value == "5.38.50 Botilbud til længerevarende ophold"
    # the quantity effects in mio. kr. with one decimal, as the package computes them (see test_area_notebook)
    effect = _quantity_effects(sample_path)
    assert substitution["E3"].value == pytest.approx(round(effect["5.38.50"] / 1e6, 1))
    assert substitution["E5"].value == pytest.approx(round(effect["5.38.52"] / 1e6, 1))
    assert substitution["E3"].number_format == '#,##0.0" mio. kr."'

"""Rendering executed notebooks as HTML and PDF reports (no kernel: outputs are built by hand)."""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import html as html_lib
import json
import logging
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.reporting.render import (
    METADATA_KEY,
    TEMPLATE_NAME,
    TEMPLATES_DIR,
    ReportMeta,
    render_html,
    render_pdf,
)

# A 1 x 1 PNG
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
    )
).decode()

META = ReportMeta(
    title="Benchmark af botilbud",
    municipality_code=751,
    municipality="Aarhus",
    function_code="5.38.50",
    function_name="Botilbud til længerevarende ophold (§ 108)",
    data_period="2018-2025",
    run_date=dt.date(2026, 11, 22),
    run_id="7f3a2c1",
)


def _notebook(table_rows: int = 3) -> nbformat.NotebookNode:
    rows = "".join(f"<tr><td>Kommune {i}</td><td>{i}.000</td></tr>" for i in range(table_rows))
    table = f"<table><thead><tr><th>Kommune</th><th>Udgift</th></tr></thead><tbody>{rows}</tbody></table>"
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Udgifter\n\nEn kort indledning om **udgifterne**."),
            new_code_cell(
                "SOURCE_MARKER = 1\nprint('hej fra koden')",
                execution_count=1,
                outputs=[
                    new_output("stream", name="stdout", text="hej fra koden\n"),
                    new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
                    new_output("display_data", data={"text/html": table, "text/plain": "tabel"}),
                ],
            ),
            new_code_cell(
                "REMOVED_SOURCE = 2",
                execution_count=2,
                metadata={"tags": ["remove_cell"]},
                outputs=[new_output("stream", name="stdout", text="REMOVED_OUTPUT\n")],
            ),
            new_code_cell(
                "1 / 0",
                execution_count=3,
                outputs=[
                    new_output(
                        "error",
                        ename="ZeroDivisionError",
                        evalue="division by zero",
                        traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
                    )
                ],
            ),
        ]
    )
    nb.metadata[METADATA_KEY] = META.to_dict()
    return nb


def _text(html: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def _title_block(html: str) -> str:
    match = re.search(r'<header class="report-titleblock">(.*?)</header>', html, re.DOTALL)
    assert match, "no title block"
    return _text(match.group(1))


@pytest.fixture(scope="module")
def rendered() -> str:
    return render_html(_notebook())


# --- ReportMeta -------------------------------------------------------------------------------------


def test_report_meta_round_trip():
    data = META.to_dict()
    assert data["run_date"] == "2026-11-22"
    json.dumps(data)  # JSON-ready, for notebook metadata
    assert ReportMeta.from_dict(data) == META
    assert ReportMeta.from_notebook(_notebook()) == META


def test_report_meta_from_notebook_coerces_and_complains():
    nb = _notebook()
    nb.metadata[METADATA_KEY]["municipality_code"] = "751"
    assert ReportMeta.from_notebook(nb).municipality_code == 751
    del nb.metadata[METADATA_KEY]["run_id"]
    with pytest.raises(ValueError, match="run_id"):
        ReportMeta.from_notebook(nb)
    with pytest.raises(ValueError, match=METADATA_KEY):
        ReportMeta.from_notebook(new_notebook())


# --- HTML -------------------------------------------------------------------------------------------


def test_template_directory_inherits_lab():
    conf = json.loads((TEMPLATES_DIR / TEMPLATE_NAME / "conf.json").read_text(encoding="utf-8"))
    assert conf["base_template"] == "lab"
    assert (TEMPLATES_DIR / TEMPLATE_NAME / "static" / "report.css").is_file()


def test_html_hides_code(rendered):
    assert "SOURCE_MARKER" not in rendered
    assert "print(" not in rendered
    assert "In&nbsp;[" not in rendered and "Out[" not in rendered
    assert '<div class="jp-CodeMirrorEditor' not in rendered and 'jp-InputArea-editor"' not in rendered
    assert "hej fra koden" in rendered  # the stream output stays


def test_html_shows_markdown_outputs_and_errors(rendered):
    text = _text(rendered)
    assert "En kort indledning om <strong>udgifterne</strong>." in rendered
    assert "data:image/png;base64," in rendered
    assert 'alt="Figur"' in rendered
    assert "Kommune 2" in text and "2.000" in text
    assert "ZeroDivisionError" in text and "division by zero" in text


def test_html_removes_tagged_cells(rendered):
    assert "REMOVED_SOURCE" not in rendered and "REMOVED_OUTPUT" not in rendered


def test_html_title_block(rendered):
    block = _title_block(rendered)
    assert "Benchmark af botilbud" in block
    assert "Kommune: 751 Aarhus" in block
    assert "Funktion: 5.38.50 Botilbud til længerevarende ophold (§ 108)" in block
    assert "Dataperiode: 2018-2025" in block
    assert "Kørselsdato: 22. november 2026" in block
    assert "Kørsels-id: 7f3a2c1" in block
    assert "<title>Benchmark af botilbud</title>" in rendered


def test_html_is_danish_and_self_contained(rendered):
    assert re.search(r'<html[^>]*\blang="da"', rendered)
    external = re.findall(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", rendered, re.IGNORECASE)
    assert external == []
    assert re.search(r"url\(\s*[\"']?(?:https?:)?//", rendered) is None
    assert "<script src" not in rendered and "<link" not in rendered
    # Not even a web address in a comment: nothing that looks like a CDN is left
    assert "http://" not in rendered and "https://" not in rendered
    for cdn in ("MathJax.Hub", "require.min.js", "unpkg.com", "cdnjs", "googleapis", "mermaid.esm"):
        assert cdn not in rendered


def test_html_carries_the_print_stylesheet(rendered):
    css = "".join(re.findall(r"<style[^>]*>(.*?)</style>", rendered, re.DOTALL))
    assert "size: A4" in css
    assert 'content: "Side " counter(page) " af " counter(pages)' in css
    assert "string-set: report-title content()" in css
    assert "string-set: report-municipality content()" in css
    assert 'content: "Kørsels-id " string(report-run-id)' in css
    assert "display: table-header-group" in css
    assert re.search(r"\.jp-OutputArea-child[^{]*\{\s*break-inside: auto", css)
    # our rules come after JupyterLab's, so they win the cascade
    assert css.rindex("break-inside: avoid-page") < css.rindex("break-inside: auto")


def test_html_escapes_metadata():
    meta = ReportMeta(**{**META.to_dict(), "run_date": META.run_date, "title": "Udgifter <script>x</script>"})
    html = render_html(_notebook(), meta)
    assert "<script>x</script>" not in html
    assert "Udgifter &lt;script&gt;x&lt;/script&gt;" in html


def test_render_html_leaves_notebook_alone_and_accepts_a_path(tmp_path):
    nb = _notebook()
    before = copy.deepcopy(nb)
    html = render_html(nb, META)
    assert nb == before
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, path)
    assert render_html(path) == html


# --- PDF --------------------------------------------------------------------------------------------


def _layout(html: str) -> tuple[list[str], list[tuple[float, float]]]:
    """Text and size (CSS px) of each page laid out by WeasyPrint, margin boxes (header, footer) included."""
    from analysis.reporting.render import pdf_document

    document = pdf_document(html)  # as render_pdf lays it out: the print stylesheets
    texts = []
    for page in document.pages:
        parts, stack = [], [page._page_box]
        while stack:
            box = stack.pop()
            if hasattr(box, "text"):
                parts.append(box.text)
            stack.extend(reversed(getattr(box, "children", None) or []))
        texts.append(" ".join(parts))
    return texts, [(page.width, page.height) for page in document.pages]


@pytest.mark.slow
def test_render_pdf(tmp_path):
    html = render_html(_notebook(table_rows=120))  # long enough to run over pages
    pdf = tmp_path / "report.pdf"
    level_before = logging.getLogger("weasyprint").level
    render_pdf(html, pdf)
    assert logging.getLogger("weasyprint").level == level_before
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000
    assert not list(tmp_path.glob("*.part"))

    pages, sizes = _layout(html)
    n = len(pages)
    assert n >= 2
    width_mm, height_mm = (round(v * 25.4 / 96) for v in sizes[0])
    assert (width_mm, height_mm) == (210, 297)  # A4
    assert "Side 1 af" in pages[0]
    assert f"Side {n} af {n}" in pages[-1]
    # running header from page 2: title and municipality left, run id right
    assert "Benchmark af botilbud · 751 Aarhus" in pages[1]
    assert "Kørsels-id 7f3a2c1" in pages[1]
    # the long table repeats its header row on the next page
    continuation = next(p for p in pages[1:] if "Kommune 119" in p)
    assert "Kommune Udgift" in continuation


def test_the_pdf_is_laid_out_with_the_print_stylesheets_and_keeps_the_report_s_own():
    from analysis.reporting.render import _print_html

    html = render_html(_notebook())
    head = html.split("</head>")[0]
    assert head.count("<style") >= 3  # JupyterLab's, its theme's and report.css, for the screen
    printed = _print_html(html)
    assert "<style" not in printed.split("</head>")[0]
    # the body keeps all its text but the headings' hidden "¶" links (see test_the_lean_print_html_...)
    body, printed_body = html.split("</head>")[1], printed.split("</head>")[1]
    assert "anchor-link" in body and "anchor-link" not in printed_body
    assert _text(printed_body).split() == [word for word in _text(body).split() if word != "¶"]
    nb = _notebook()
    own = "<style>.mine { color: red }</style><p class='mine'>x</p>"
    nb.cells.append(new_code_cell("x", outputs=[new_output("display_data", data={"text/html": own})]))
    assert ".mine { color: red }" in _print_html(render_html(nb))


@pytest.mark.slow
def test_the_confidential_notice_is_on_every_pdf_page():
    from analysis.reporting.html import confidential_notice

    nb = _notebook(table_rows=120)
    notice = new_output("display_data", data={"text/html": confidential_notice()})
    nb.cells.insert(1, new_code_cell("notice", outputs=[notice]))
    pages, _ = _layout(render_html(nb, META))
    assert len(pages) >= 2
    # the banner once in the text, and the @page rule's line on each page, the first included
    assert pages[0].count("Fortroligt: indeholder personhenførbare oplysninger") == 2
    assert all("Fortroligt: indeholder personhenførbare oplysninger" in p for p in pages[1:])


# --- The sample notice ---------------------------------------------------------------------------------


def test_a_report_from_the_sample_says_so_on_its_first_page(tmp_path):
    from analysis.reporting.render import SAMPLE_NOTICE

    assert SAMPLE_NOTICE == "Eksempeldata: tallene er syntetiske og ikke kommunens regnskab"
    sample_meta = dataclasses.replace(META, sample=True)
    html = render_html(_notebook(), sample_meta)
    title_block = html[html.index('<header class="report-titleblock">') : html.index("</header>")]
    assert '<p class="report-sample-notice">' + SAMPLE_NOTICE + ".</p>" in title_block
    # a report from own data says nothing of the kind
    own = render_html(_notebook(), META)
    assert 'class="report-sample-notice"' not in own and "Eksempeldata" not in own
    # round trip through the notebook's metadata, and older metadata without the field still reads
    assert ReportMeta.from_dict(sample_meta.to_dict()) == sample_meta
    old = META.to_dict()
    del old["sample"]
    assert ReportMeta.from_dict(old).sample is False
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:  # poppler-utils; the HTML assertions above hold either way
        return
    pdf = tmp_path / "r.pdf"
    render_pdf(html, pdf)
    first_page = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert SAMPLE_NOTICE in " ".join(first_page.split())


# --- The PDF's own stylesheet and markup: the same layout, less work ------------------------------------


def _boxes(document) -> list[tuple]:
    """Every box of every page: its type, place, size and text, rounded to 1/100 px.

    Empty text of no width (left of white space after an image at the end of a line) draws nothing and is left out.
    """
    out = []
    for number, page in enumerate(document.pages):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            geometry = tuple(
                round(getattr(box, name, 0) or 0, 2)
                for name in ("position_x", "position_y", "width", "height")
            )
            if getattr(box, "text", None) != "" or geometry[2] != 0:
                out.append((number, type(box).__name__, geometry, getattr(box, "text", None)))
            stack.extend(reversed(getattr(box, "children", None) or []))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("preformatted", [True, False], ids=["with-pre", "without-pre"])
def test_the_lean_print_html_and_resolved_stylesheets_lay_the_pdf_out_as_before(preformatted):
    """pdf_document against the route it replaced: the HTML with only its head's stylesheets dropped, laid
    out with print.css and report.css as written (var() resolved by WeasyPrint per element)."""
    import pandas as pd
    import weasyprint

    from analysis.reporting import render
    from analysis.reporting.html import summary_box, table_html

    # markdown with headings, an image, tables (pandas' and table_html's), a summary box; with printed text and
    # an error (<pre>: the white space between tags is kept) or without (it is dropped)
    nb = _notebook(table_rows=60)
    if not preformatted:
        nb.cells[1].outputs = [o for o in nb.cells[1].outputs if o.output_type != "stream"]
        del nb.cells[3]
    df = pd.DataFrame(
        {"Kommune": ["Aarhus", "Odense"] * 20, "År": [2025] * 40, "Udgift": [1234567.5, 9.0] * 20}
    )
    nb.cells.append(new_markdown_cell("## Tabel\n\nTal i *kroner*.\n\n- et punkt\n- et andet"))
    box = summary_box([("Pris", "1.429 t.kr."), ("Mængde", "2,75")], title="Nøgletal")
    nb.cells.append(
        new_code_cell(
            "t",
            outputs=[
                new_output("display_data", data={"text/html": box}),
                new_output("display_data", data={"text/html": table_html(df, caption="T")}),
            ],
        )
    )
    html = render_html(nb, META)
    head = re.search(r"<head\b.*?</head>", html, re.DOTALL)
    old_html = (
        html[: head.start()]
        + re.sub(r"<style\b.*?</style>", "", head[0], flags=re.DOTALL)
        + html[head.end() :]
    )
    old_sheets = [weasyprint.CSS(string=p.read_text("utf-8")) for p in (render.PRINT_CSS, render.REPORT_CSS)]
    old = weasyprint.HTML(string=old_html, url_fetcher=render._offline_fetcher(weasyprint)).render(
        stylesheets=old_sheets
    )
    assert ("<pre" in html) is preformatted
    new = render.pdf_document(html)
    assert len(new.pages) == len(old.pages) >= 2
    assert _boxes(new) == _boxes(old)


def test_resolved_print_css_writes_in_the_page_wide_custom_properties():
    from analysis.reporting.render import PRINT_CSS, REPORT_CSS, resolved_print_css

    first = (
        ":root { --a: #123456; --b: var(--a); --own: 1px } p { color: var(--b); border: var(--own) solid }"
    )
    second = (
        "@media print { :root { --own: 2px } } @media screen { :root { --a: red } }"
        " .x { --local: 3px } td { margin: var(--local); padding: var(--missing, 4px); width: var(--none) }"
    )
    a, b = resolved_print_css([first, second])
    # --b names --a; --own's print value (2px, later) wins; the screen's --a does not apply to print
    assert "p { color: #123456; border: 2px solid }" in a
    # a name an element sets itself, a fallback, an undefined name: left to WeasyPrint
    assert "margin: var(--local); padding: var(--missing, 4px); width: var(--none)" in b
    # the reports' own stylesheets have no var() left
    shipped = resolved_print_css([PRINT_CSS.read_text("utf-8"), REPORT_CSS.read_text("utf-8")])
    assert [text.count("var(--") for text in shipped] == [0, 0]
    assert 'font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif' in shipped[1]


def test_lift_images_serves_each_embedded_image_once_from_memory():
    from analysis.reporting.render import _lift_images

    png = base64.b64decode(PNG)
    html = (
        f'<p><img alt="Figur" src="data:image/png;base64,{PNG}"><img src="data:image/png;base64,{PNG}"></p>'
    )
    lifted, images = _lift_images(html)
    (url,) = images  # the same picture twice: one address, as with the data: URL
    assert url.startswith("analysis-image:") and images[url] == (png, "image/png")
    assert lifted == f'<p><img alt="Figur" src="{url}"><img src="{url}"></p>'
    svg = '<img src="data:image/svg+xml;base64,PHN2Zy8+">'  # only PNG and JPEG are lifted
    assert _lift_images(svg) == (svg, {})


def test_render_pdf_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    import gc

    html = render_html(_notebook())
    assert gc.isenabled()
    render_pdf(html, tmp_path / "a.pdf")
    assert gc.isenabled()
    gc.disable()
    try:
        render_pdf(html, tmp_path / "b.pdf")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_fonts_are_subset_to_the_same_bytes_without_reading_the_layout_tables_they_drop(monkeypatch):
    """WeasyPrint's fontTools subsetting (its options), the original Subsetter.subset against the one render sets up."""
    import io
    from pathlib import Path

    import matplotlib
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from analysis.reporting import render

    render._pdf_setup()
    patched = subset.Subsetter.subset
    assert patched._analysis_drop_first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the font's head.modified, else the time of saving
    # DejaVu Sans, WeasyPrint's usual font here: GSUB, GPOS and a legacy kern table
    data = (Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf").read_bytes()
    read: list[str] = []
    real_read = TTFont._readTable

    def spy(self, tag):
        read.append(tag)
        return real_read(self, tag)

    monkeypatch.setattr(TTFont, "_readTable", spy)

    def subset_bytes(method, drop_layout: bool) -> bytes:
        options = subset.Options(
            retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True, hinting=False,
            desubroutinize=True, notdef_outline=False,
        )  # fmt: skip
        if drop_layout:
            options.drop_tables += ["GSUB", "GPOS", "SVG"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=[0, 36, 37, 68, 69, 70])  # .notdef, A, B, a, b, c
        font = TTFont(io.BytesIO(data))
        method(subsetter, font)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()

    read.clear()
    new = subset_bytes(patched, drop_layout=True)
    assert not {"GSUB", "GPOS", "kern"} & set(read)  # dropped unread
    old = subset_bytes(patched._analysis_original, drop_layout=True)
    assert {"GSUB", "GPOS"} <= set(read)  # fontTools itself reads them first
    assert new == old
    for tag in ("GSUB", "GPOS", "kern"):  # kern goes with GPOS, as fontTools drops it
        assert tag not in TTFont(io.BytesIO(new))
    # a subsetting that keeps the layout tables is left as it is
    kept = subset_bytes(patched, drop_layout=False)
    assert kept == subset_bytes(patched._analysis_original, drop_layout=False)
    assert "GPOS" in TTFont(io.BytesIO(kept))


def test_print_html_gives_table_html_s_cells_their_alignment_as_a_class():
    import pandas as pd

    from analysis.reporting import render
    from analysis.reporting.html import table_html

    table = table_html(pd.DataFrame({"Kommune": ["Aarhus"], "Udgift": [1.5]}))
    page = f"<html><head><style>p {{}}</style></head><body>{table}</body></html>"
    lean = render._print_html(page)
    assert "style=" not in lean
    assert '<th scope="col" class="al">Kommune</th><th scope="col" class="ar">Udgift</th>' in lean
    assert '<td class="al">Aarhus</td><td class="num">1,5</td>' in lean
    # print.css says what the inline style said, and wins as it did
    css = render.PRINT_CSS.read_text("utf-8")
    assert (
        ".al {\n  text-align: left !important;\n}" in css
        and ".ar {\n  text-align: right !important;\n}" in css
    )


def test_lean_ua_css_keeps_what_a_report_s_markup_can_match():
    from analysis.reporting.render import lean_ua_css

    sheet = (
        "[hidden], head, input[type=hidden i] { display: none }\n"
        "td, th, td[hidden] { display: table-cell }\n"
        "[dir=rtl i] dd { margin-right: 0 }\n"
        ":link { color: blue }\n"
        ":link, :visited, u { text-decoration: underline }\n"
        "::marker { white-space: pre }\n"
        "::footnote-call { content: counter(footnote) }\n"
        "button, input { border: 1px solid black }\n"
        ":is(dir, ol, ul) :is(dir, ol, ul) { margin-top: 0 }\n"
        "@page { margin: 75px; @top-left { text-align: left } }\n"
        '@counter-style disc { system: cyclic; symbols: •; suffix: " " }'
    )
    assert lean_ua_css(sheet).splitlines() == [
        "head { display: none }",
        "td, th { display: table-cell }",
        "a[href] { color: blue }",
        "a[href], u { text-decoration: underline }",
        "li::marker { white-space: pre }",
        ":is(dir, ol, ul) :is(dir, ol, ul) { margin-top: 0 }",
        "@page { margin: 75px; @top-left { text-align: left } }",
        '@counter-style disc { system: cyclic; symbols: •; suffix: " " }',
    ]


def test_the_lean_user_agent_sheet_is_used_where_it_can_be_and_weasyprint_s_own_elsewhere(monkeypatch):
    import weasyprint

    from analysis.reporting import render

    lean_class = render._lean_html()
    assert lean_class is not None and issubclass(
        lean_class, weasyprint.HTML
    )  # this WeasyPrint: the lean sheet
    (lean_sheet,) = lean_class(string="<p>x</p>")._ua_stylesheets()
    assert lean_sheet is not weasyprint.HTML(string="<p>x</p>")._ua_stylesheets()[0]
    used = []
    real_init = weasyprint.HTML.__init__

    def spy(self, *args, **kwargs):
        used.append(type(self))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "__init__", spy)
    body = "<p>Tekst</p><ul><li>et punkt</li></ul>"
    render.pdf_document(f"<html><head></head><body>{body}</body></html>")
    # a page with what the lean sheet leaves out (here a direction) gets WeasyPrint's own
    render.pdf_document(f'<html><head></head><body><p dir="rtl">x</p>{body}</body></html>')
    assert used == [lean_class, weasyprint.HTML]
    # a WeasyPrint of another version, or without the private hook: its own sheet, the same pages
    monkeypatch.setattr(weasyprint, "__version__", "99.0")
    assert render._lean_html_class(weasyprint) is None
    monkeypatch.setattr(weasyprint, "__version__", "70.0")
    assert render._lean_html_class(weasyprint) is not None
    monkeypatch.delattr(weasyprint.HTML, "_ua_stylesheets")
    assert render._lean_html_class(weasyprint) is None


@pytest.mark.slow
def test_the_lean_user_agent_sheet_lays_a_report_out_as_weasyprint_s_own(monkeypatch):
    import pandas as pd

    from analysis.reporting import render
    from analysis.reporting.html import summary_box, table_html

    nb = _notebook(table_rows=40)
    df = pd.DataFrame({"Kommune": ["Aarhus", "Odense"] * 15, "Udgift": [1234567.5, 9.0] * 15})
    markdown = (
        "## Tabel\n\nTal i *kroner*, se [kilden](https://example.org).\n\n1. et\n2. to\n   - under\n\n---"
    )
    nb.cells.append(new_markdown_cell(markdown))
    box = summary_box([("Pris", "1.429 t.kr.")], title="Nøgletal")
    nb.cells.append(
        new_code_cell(
            "t",
            outputs=[
                new_output("display_data", data={"text/html": box}),
                new_output("display_data", data={"text/html": table_html(df, caption="T")}),
            ],
        )
    )
    html = render_html(nb, META)
    lean = render.pdf_document(html)
    monkeypatch.setattr(render, "_lean_html", lambda: None)  # WeasyPrint's own user-agent sheet
    full = render.pdf_document(html)
    assert len(lean.pages) == len(full.pages) >= 2
    assert _boxes(lean) == _boxes(full)


def _dom(page: str) -> tuple:
    """An HTML page as a browser reads it: each element's name, attributes (a class as its words) and content.

    White space alone between two tags counts as one newline or one space (it shows as one space, if at all),
    except inside <pre> and <textarea>.
    """
    import tinyhtml5  # WeasyPrint's HTML parser

    def walk(element, keep: bool) -> tuple:
        keep = keep or element.tag in ("pre", "textarea")
        attrs = dict(element.attrib)
        if "class" in attrs:
            attrs["class"] = " ".join(attrs["class"].split())
        content = [element.text or ""]
        for child in element:
            content += [walk(child, keep), child.tail or ""]
        if not keep:
            content = [
                ("\n" if "\n" in c else " ") if isinstance(c, str) and c and not c.strip(" \t\n\r\f") else c
                for c in content
            ]
        return element.tag, tuple(sorted(attrs.items())), tuple(c for c in content if c != "")

    return walk(tinyhtml5.parse(page, namespace_html_elements=False), False)


def test_the_html_has_the_elements_attributes_and_text_of_nbconvert_s_own_export():
    """render_html (nbconvert's template without its BeautifulSoup pass) against HTMLExporter as it is."""
    import pandas as pd
    from nbconvert import HTMLExporter

    from analysis.reporting import render
    from analysis.reporting.html import table_html

    nb = _notebook()
    markdown = (
        "## Afsnit\n\nTekst med `kode`, *kursiv* og et billede: ![Kort](data:image/png;base64," + PNG + ")"
    )
    nb.cells.append(new_markdown_cell(markdown))
    raw_img = f'<div><img src="data:image/png;base64,{PNG}" width=2><br>linje&nbsp;to</div>'
    df = pd.DataFrame({"Kommune": ["Aarhus"], "Udgift": [1.5]})
    nb.cells.append(
        new_code_cell(
            "t",
            outputs=[
                new_output("display_data", data={"text/html": raw_img}),
                new_output("display_data", data={"text/html": table_html(df)}),
            ],
        )
    )
    exporter = render._exporter()
    assert type(exporter) is not HTMLExporter and isinstance(exporter, HTMLExporter)
    own = render_html(nb)
    stock = HTMLExporter(
        config=exporter.config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        log=render._exporter_log(),
    )
    resources = {"metadata": {"name": META.title}, METADATA_KEY: exporter_title_block(META)}
    before = render._postprocess(stock.from_notebook_node(nb, resources=resources)[0])
    assert _dom(own) == _dom(before)
    assert (
        own.count('alt="Figur"') == 2 and 'alt="Kort"' in own
    )  # the chart and the raw <img>; markdown's own
    assert own.count('tabindex="0"') == before.count('tabindex="0"') > 0
    assert own != before  # written out as the template wrote it, not as BeautifulSoup did


def exporter_title_block(meta: ReportMeta) -> dict:
    """The title block render_html hands the template."""
    from analysis.reporting.formatting import fmt_date

    return meta.to_dict() | {"run_date_text": fmt_date(meta.run_date), "sample_notice": ""}


def test_accessible_adds_alt_text_and_focus_where_missing():
    from analysis.reporting.render import _accessible

    page = (
        '<img src="a.png"><img alt="Kort" src="b.png"><IMG\nsrc="c.png"/><imgx src="d">'
        '<div class="jp-Cell-inputWrapper"><div class="jp-RenderedImage jp-OutputArea-output ">'
        '<div class="jp-OutputArea-output" tabindex="-1"><div class="jp-OutputArea-child">'
    )
    assert _accessible(page) == (
        '<img alt="Figur" src="a.png"><img alt="Kort" src="b.png"><IMG alt="Figur"\nsrc="c.png"/><imgx src="d">'
        '<div class="jp-Cell-inputWrapper" tabindex="0">'
        '<div class="jp-RenderedImage jp-OutputArea-output " tabindex="0">'
        '<div class="jp-OutputArea-output" tabindex="-1"><div class="jp-OutputArea-child">'
    )


def test_another_nbconvert_exports_with_its_own_html_exporter(monkeypatch):
    import nbconvert
    from nbconvert import HTMLExporter

    from analysis.reporting import render

    assert render._report_exporter_class() is not HTMLExporter
    monkeypatch.setattr(nbconvert, "version_info", (8, 0, 0))
    assert render._report_exporter_class() is HTMLExporter


@pytest.mark.parametrize(
    "page",
    [
        '<html><head><meta charset="utf-8"/>\n<style type="text/css">\np { color: red }</style>\n<title>t</title>'
        "<style>a {}</style></head><body><header>x</header><style>b {}</style></body></html>",
        "<HTML><HEAD><STYLE>p {}</STYLE><title>t</title></HEAD><body>x</body></HTML>",  # upper case
        "<html><head><style>p {}</style><Style>q {}</Style></head><body>x</body></html>",  # mixed case
        "<html><head><title>t</title><style>p {}</head><body>x</body></html>",  # a style not closed
        "<html><head><styles>p</styles></head><body>x</body></html>",  # not a style element
        "<html><head id=h><style>p {}</style></head><body>x</body></html>",  # attributes on head
        "<html><body>no head</body></html>",
    ],
)
def test_the_head_s_stylesheets_are_dropped_as_the_regular_expressions_did(page):
    from analysis.reporting import render

    match = render._HEAD_RE.search(page)
    expected = (
        (0, 0, None)
        if match is None
        else (match.start(), match.end(), render._HEAD_STYLE_RE.sub("", match[0]))
    )
    assert render._head_without_styles(page) == expected


@pytest.mark.parametrize(
    "page",
    [
        "<style>a/*x*/{}</style><p>/*kept*/</p><style type='text/css'>b{}/* y */</style>",
        "<STYLE x>/* */p{}</Style> <style>q{}",  # upper case; a style not closed
        "<style><style>/*c*/</style>/*d*/</style>",  # a second opening tag inside
        '<img src="data:image/png;base64,AAAA" alt="x"><img src=x><img\nALT = "y" src=a>',
        '<img src="data:image/png;base64,AAalt" width=2\n alt=q><img src="data:image/png;base64,QQ" class="">',
        '<img alt="No description has been provided for this image" src="a.png">',
    ],
)
def test_postprocess_and_alt_text_as_the_regular_expressions_did(page):
    from analysis.reporting import render

    style = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
    comment = re.compile(r"/\*.*?\*/", re.DOTALL)
    expected = style.sub(lambda m: m[1] + comment.sub("", m[2]) + m[3], page)
    expected = expected.replace('alt="No description has been provided for this image"', 'alt="Figur"')
    assert render._postprocess(page) == expected
    no_alt = re.compile(r"<img(?=[\s/>])(?![^>]*\salt\s*=)", re.IGNORECASE)
    assert render._accessible(page) == no_alt.sub(lambda m: f'{m[0]} alt="Figur"', page)


def test_letters_outside_ascii_are_written_as_letters_and_markup_references_kept():
    # nbconvert's markdown renderer wrote a heading's 'å' as '&#229;': the cross-sector report's text search for
    # 'Månedlig opfølgning 2025' failed although a browser showed it
    from analysis.reporting.render import _characters

    nb = new_notebook(
        cells=[new_markdown_cell("### Månedlig opfølgning 2025\n\nPå tværs af sektorer: 5 < 7.")]
    )
    nb.metadata[METADATA_KEY] = META.to_dict()
    html = render_html(nb)
    assert ">Månedlig opfølgning 2025" in html and "På tværs af sektorer: 5 &lt; 7." in html
    assert "&#229;" not in html and "&#248;" not in html
    assert (
        _characters("&#229;&#xE6;&#XF8; &#60;b&#62; &#38; &#x3c; &#55296;")
        == "åæø &#60;b&#62; &#38; &#x3c; &#55296;"
    )


def test_references_in_comments_scripts_and_styles_are_left_as_a_browser_reads_them():
    # a browser reads no character reference in a comment or in the text of <script> and <style>: a stylesheet's
    # content: "&#229;" shows those six characters, a script's string has them; nbconvert's BeautifulSoup pass left
    # them so, and only the paragraph's '&#229;' is the letter 'å'
    from analysis.reporting.render import _characters

    raw = (
        '<style>p::after { content: "&#229;" }</style><STYLE media="print">b { content: "&#xE6;" }</STYLE>'
        '<script type="module">const s = "&#248;";</script><!-- &#230; -->'
    )
    assert _characters(raw) == raw
    page = raw + "<p>&#229;<stylesheet>&#xE6;</stylesheet></p><!-- &#248; --><p>&#248;</p><script>&#229;"
    assert _characters(page) == (
        raw + "<p>å<stylesheet>æ</stylesheet></p><!-- &#248; --><p>ø</p><script>&#229;"
    )


def _dejavu_sans() -> bytes:
    from pathlib import Path

    import matplotlib

    return (Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf").read_bytes()


def _outlines(font_data: bytes, components: bool = False) -> dict[int, tuple]:
    """The glyphs a text can refer to, by id: each one's contours' end points and coordinates, components resolved.

    Glyphs that serve as components of others (the ring of "å") are left out unless ``components``: a subsetter
    may renumber them.
    """
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_data))
    glyf = font["glyf"]
    order = font.getGlyphOrder()
    parts = set()
    if not components:
        parts = {c.glyphName for name in order if glyf[name].isComposite() for c in glyf[name].components}
    found = {}
    for gid, name in enumerate(order):
        glyph = glyf[name]
        if glyph.numberOfContours and name not in parts:
            coordinates, ends, _ = glyph.getCoordinates(glyf)
            found[gid] = (tuple(ends), tuple(coordinates))
    return found


def test_harfbuzz_subset_keeps_the_glyphs_asked_for_under_their_ids_and_nothing_after_them():
    import io

    from fontTools.ttLib import TTFont

    from analysis.reporting.render import harfbuzz_subset

    full = _dejavu_sans()
    cmap = TTFont(io.BytesIO(full)).getBestCmap()
    names = TTFont(io.BytesIO(full)).getGlyphOrder()
    wanted = {names.index(cmap[ord(c)]) for c in "Aøå5"}  # A, ø, å (a and a ring), 5
    font = harfbuzz_subset(full, 0, wanted, hinting=False, notdef=False)
    original = _outlines(full, components=True)
    kept = _outlines(font)
    assert set(kept) == wanted  # .notdef without its outline, as WeasyPrint asks
    assert all(kept[gid] == original[gid] for gid in wanted)  # the same outlines, under the same ids
    subset = TTFont(io.BytesIO(font))
    # the empty glyphs after the last one used are cut; å's ring (a component, id 668) is renumbered to follow it
    assert subset["maxp"].numGlyphs == max(wanted) + 2
    ring = subset["glyf"][subset.getGlyphOrder()[names.index("aring")]].components[1].glyphName
    assert subset.getGlyphID(ring) == max(wanted) + 1
    assert not {"GSUB", "GPOS"} & set(subset.keys())
    assert len(font) < len(full) / 20
    with_notdef = harfbuzz_subset(full, 0, wanted, hinting=False, notdef=True)
    assert set(_outlines(with_notdef)) == wanted | {0}
    with pytest.raises(RuntimeError):
        harfbuzz_subset(b"not a font", 0, [1], hinting=False, notdef=False)


def _embedded_fonts(pdf_bytes: bytes) -> list[bytes]:
    import io

    from pypdf import PdfReader

    fonts = []
    reader = PdfReader(io.BytesIO(pdf_bytes))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                file = descendant.get_object()["/FontDescriptor"].get_object().get("/FontFile2")
                if file is not None:
                    fonts.append(file.get_object().get_data())
    return fonts


@pytest.mark.slow
def test_pdf_fonts_are_subset_by_harfbuzz_to_the_outlines_fonttools_gives(monkeypatch, tmp_path):
    from weasyprint.pdf import fonts as pdf_fonts

    from analysis.reporting import render

    render._pdf_setup()
    patched = pdf_fonts.Font._fonttools_subset
    assert patched._analysis_uharfbuzz
    # the route taken without the system's HarfBuzz-Subset (where it is installed, WeasyPrint uses that instead)
    monkeypatch.setattr(pdf_fonts, "harfbuzz_subset", None)
    html = (
        "<html><body><h1>Æblegrød på Ærø</h1>"
        "<p>1.234,5 mio. kr. – <b>fed</b> og <i>kursiv</i> §108</p></body></html>"
    )
    calls = []
    real = render.harfbuzz_subset
    monkeypatch.setattr(render, "harfbuzz_subset", lambda *a, **k: calls.append(1) or real(*a, **k))
    render.render_pdf(html, tmp_path / "hb.pdf")
    assert len(calls) >= 2  # regular, bold (and italic) faces
    monkeypatch.setattr(pdf_fonts.Font, "_fonttools_subset", patched._analysis_original)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    render.render_pdf(html, tmp_path / "ft.pdf")
    by_harfbuzz = [_outlines(f) for f in _embedded_fonts((tmp_path / "hb.pdf").read_bytes())]
    by_fonttools = [_outlines(f) for f in _embedded_fonts((tmp_path / "ft.pdf").read_bytes())]
    assert len(by_harfbuzz) == len(by_fonttools) == len(calls)
    assert by_harfbuzz == by_fonttools  # the same glyphs, ids and outlines per face
    assert all(len(glyphs) >= 5 for glyphs in by_harfbuzz)


@pytest.mark.slow
def test_a_font_harfbuzz_refuses_is_subset_by_fonttools(monkeypatch, tmp_path):
    from weasyprint.pdf import fonts as pdf_fonts

    from analysis.reporting import render

    render._pdf_setup()
    monkeypatch.setattr(pdf_fonts, "harfbuzz_subset", None)  # WeasyPrint's route without HarfBuzz-Subset

    def refuse(*args, **kwargs):
        raise RuntimeError("Subsetting failed")

    monkeypatch.setattr(render, "harfbuzz_subset", refuse)
    render.render_pdf("<html><body><p>Ærø 12,5</p></body></html>", tmp_path / "a.pdf")
    fonts = _embedded_fonts((tmp_path / "a.pdf").read_bytes())
    assert len(fonts) == 2  # the body's font and the footer's
    # subset all the same (the whole of DejaVu Sans is 756 kB)
    assert all(len(font) < 100_000 for font in fonts)
    # "Ærø 12,5" and "Side 1 af 1": seven glyphs each (a space has no outline)
    assert sorted(len(_outlines(font)) for font in fonts) == [7, 7]


_IMPORT_PROBE = r"""
import subprocess, sys
spawned = []
real_init = subprocess.Popen.__init__
def spy(self, args, *a, **k):
    spawned.append(args if isinstance(args, str) else " ".join(map(str, args)))
    real_init(self, args, *a, **k)
subprocess.Popen.__init__ = spy
if sys.argv[1] == "fail-once":  # the first import of WeasyPrint's library bindings fails, as without a soname
    import importlib.abc
    class FailOnce(importlib.abc.MetaPathFinder):
        done = False
        def find_spec(self, name, path=None, target=None):
            if name == "weasyprint.text.ffi" and not FailOnce.done:
                FailOnce.done = True
                raise OSError("cannot load library 'libgobject-2.0.so.0'")
            return None
    sys.meta_path.insert(0, FailOnce())
from analysis.reporting.render import import_weasyprint
weasyprint = import_weasyprint()
import ctypes.util
assert ctypes.util.find_library.__module__ == "ctypes.util"  # the library search is put back
pdf = weasyprint.HTML(string="<p>Ærø</p>").write_pdf()
print(len(spawned), pdf[:5].decode())
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="ctypes runs gcc and ld to find libraries on Linux"
)
@pytest.mark.parametrize(
    ("how", "expected"),
    [("fast", "0 %PDF-"), ("fail-once", "some")],
)
def test_weasyprint_is_imported_without_ctypes_running_compilers(how, expected):
    """import_weasyprint runs no ldconfig, gcc or ld; a failed try is done again the usual way, which runs them."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, how], capture_output=True, text=True, check=True, timeout=120
    )
    spawned, pdf = result.stdout.split()
    assert pdf == "%PDF-"
    if expected == "some":
        assert int(spawned) >= 3  # the usual search, the compiler runs among it
    else:
        assert f"{spawned} {pdf}" == expected
    assert "WeasyPrint could not import" not in result.stdout


_WARM_PROBE = r"""
import hashlib, sys
from analysis.reporting import render
if sys.argv[1] == "warm":
    render.warm_up()
    # what it made is kept for the process: the exporter, the print stylesheets and the fonts
    assert render._exporter.cache_info().currsize == 1 and render._pdf_setup.cache_info().currsize == 1
html = render.render_html(sys.argv[2])
render.render_pdf(html, sys.argv[3])
print(hashlib.sha256(html.encode()).hexdigest())
"""


@pytest.mark.slow
def test_a_warmed_up_process_renders_a_report_to_the_same_bytes(tmp_path):
    """The zygote's warm-up leaves nothing in the HTML or PDF of the next report: both are the same bytes."""
    notebook = tmp_path / "report.ipynb"
    nbformat.write(_notebook(table_rows=40), notebook)
    hashes = {}
    for how in ("cold", "warm"):
        done = subprocess.run(
            [sys.executable, "-c", _WARM_PROBE, how, str(notebook), str(tmp_path / f"{how}.pdf")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        hashes[how] = done.stdout.split()[-1]
    assert hashes["warm"] == hashes["cold"]
    assert (tmp_path / "warm.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()


def test_warm_up_never_raises(monkeypatch):
    from analysis.reporting import render

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts on this machine")

    monkeypatch.setattr(render, "render_html", broken)
    assert render.warm_up() is None  # the first report then pays for it, as before

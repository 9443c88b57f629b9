"""The index page of a run, for a steering group: per municipality its reports, each with its headline figure.

Per municipality the reports stand in the order a reader takes them (:data:`REPORT_ORDER`: overview before
benchmark, then area, forecast, cross-sector, data quality, budget, follow-up), each with the figure its notebook
published (:mod:`analysis.reporting.headline`) and links to HTML and PDF. Failures are listed first, clearly; the
run's details (status, duration, reuse, executed notebooks, manifest id) sit behind a fold (``<details>``).
Self-contained HTML (inline CSS, no scripts, nothing fetched), in Danish.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.danish import danish_clock
from analysis.data.reference import official_names
from analysis.reporting.formatting import fmt_date, fmt_number
from analysis.reporting.headline import Headline
from analysis.reporting.render import SAMPLE_NOTICE  # the same words as each report's first page

if TYPE_CHECKING:
    from analysis.reporting.batch import Batch
    from analysis.reporting.results import RunSummary

__all__ = [
    "INCOMPLETE_TEXT",
    "REPORT_ORDER",
    "SAMPLE_NOTICE",
    "ordered",
    "write_incomplete_index",
    "write_index",
]

#: What the index of a run says while its manifest is not final (the run goes on, or was killed).
INCOMPLETE_TEXT = (
    "Ufuldstændig kørsel: kørslen er ikke afsluttet, eller den blev afbrudt. Rapporterne her kan mangle eller være "
    "halvfærdige. Kør batchen igen; de rapporter, der blev færdige, genbruges."
)

#: The order of the reports of one municipality on the index (notebook names); others follow, by name.
REPORT_ORDER = (
    "overview",
    "benchmark",
    "area",
    "forecast",
    "cross_sector",
    "data_quality",
    "budget",
    "followup",
)

_STATUS = {"ok": "Færdig", "cached": "Genbrugt", "failed": "Fejlet"}
_FILES = (("html", "HTML"), ("pdf", "PDF"))

_CSS = """
:root { --blue: #1f4e79; --text: #222; --muted: #5a6470; --rule: #c9d1da; --zebra: #f3f6f9; --red: #a4262c; }
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--text); margin: 0;
       line-height: 1.5; }
header { background: var(--blue); color: #fff; padding: 24px 32px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 600; }
header p { margin: 0; color: #d6e2ef; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 32px 48px; }
h2 { color: #1a3a5f; font-size: 20px; margin: 30px 0 8px; border-bottom: 2px solid var(--blue); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th { text-align: left; border-bottom: 2px solid #8a949e; padding: 6px 8px; }
td { border-bottom: 1px solid var(--rule); padding: 8px; vertical-align: top; }
table.details tbody tr:nth-child(even) { background: var(--zebra); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.report { width: 34%; }
td.report b { display: block; }
td.report span, .headline span { color: var(--muted); font-size: 13px; }
td.figure { width: 50%; }
.headline .label { display: block; color: var(--muted); font-size: 13px; }
.headline .value { display: block; font-size: 21px; font-weight: 600; color: #1a3a5f;
                   font-variant-numeric: tabular-nums; }
.headline .text { display: block; color: var(--text); font-size: 13px; }
td.links { white-space: nowrap; text-align: right; }
.status-failed { color: var(--red); font-weight: 600; }
.status-cached { color: var(--muted); }
.summary { display: flex; gap: 24px; margin: 12px 0; }
.summary div { background: var(--zebra); padding: 10px 16px; border-radius: 4px; }
.summary b { display: block; font-size: 22px; color: #1a3a5f; }
.error { font-family: Menlo, Consolas, monospace; font-size: 12px; white-space: pre-wrap; color: var(--red); }
.failures { margin: 18px 0 0; padding: 4px 16px 12px; border-left: 5px solid var(--red); background: #fbe9ea; }
.failures h2 { color: var(--red); border: none; margin-top: 10px; }
details.run { margin-top: 36px; border-top: 1px solid var(--rule); padding-top: 8px; }
details.run summary { cursor: pointer; color: var(--blue); font-weight: 600; font-size: 16px; }
footer { color: var(--muted); font-size: 12px; margin-top: 12px; }
.notice { margin: 18px 0 0; padding: 10px 14px; border-left: 5px solid #e0a800; background: #fff4ce;
          color: #5c4300; font-weight: 600; }
.notice.incomplete { border-color: var(--red); background: #fbe9ea; color: var(--red); }
a { color: var(--blue); }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _seconds(r) -> str:
    total = sum(r.seconds.values()) if r.seconds else 0.0
    return fmt_number(total, 1) + " s"


def _notebook_link(r) -> str:
    return f'<a href="{_e(r.files["ipynb"])}">Kørt notebook</a>' if "ipynb" in r.files else ""


def _rank(r) -> tuple:
    """Sort key of a report within its municipality: :data:`REPORT_ORDER`, then name, then function area."""
    known = r.notebook in REPORT_ORDER
    return (0 if known else 1, REPORT_ORDER.index(r.notebook) if known else 0, r.notebook, r.function_code)


def ordered(reports: list) -> list[tuple[tuple[int, str], list]]:
    """The reports grouped by municipality (in code order), each group in :data:`REPORT_ORDER`.

    Returns
    -------
    list of ((municipality_code, municipality), list of ReportResult)
    """
    groups: dict[tuple[int, str], list] = {}
    for r in sorted(reports, key=lambda r: r.municipality_code):
        groups.setdefault((r.municipality_code, r.municipality), []).append(r)
    return [(key, sorted(rs, key=_rank)) for key, rs in groups.items()]


def _figure(r) -> str:
    """The headline cell of a report: label, figure and sentence; the failure, or a dash when none."""
    if r.status == "failed":
        return '<span class="status-failed">Fejlet: rapporten blev ikke lavet (se fejlene øverst).</span>'
    if not r.headline:
        return '<span class="headline"><span class="text">–</span></span>'
    h = Headline.from_dict(r.headline, r.title)
    value = h.value_text()
    parts = [f'<span class="label">{_e(h.label)}</span>']
    if value:
        parts.append(f'<span class="value">{_e(value)}</span>')
    if h.text:
        parts.append(f'<span class="text">{_e(h.text)}</span>')
    return f'<div class="headline">{"".join(parts)}</div>'


def _municipality_section(key: tuple[int, str], reports: list) -> str:
    code, name = key
    name = official_names().get(code, name)  # 'Københavns Kommune', 'Bornholms Regionskommune'
    rows = []
    for r in reports:
        links = " · ".join(f'<a href="{_e(r.files[k])}">{label}</a>' for k, label in _FILES if k in r.files)
        rows.append(
            f'<tr><td class="report"><b>{_e(r.title)}</b><span>{_e(r.function_code)} {_e(r.function_name)}'
            f'</span></td><td class="figure">{_figure(r)}</td><td class="links">{links}</td></tr>'
        )
    return (
        f'<section class="municipality" id="m{code}"><h2>{_e(name)} <small>({code})</small></h2>'
        f'<table class="reports"><tbody>{"".join(rows)}</tbody></table></section>'
    )


def _failures(reports: list) -> str:
    failures = [r for r in reports if r.status == "failed"]
    if not failures:
        return ""
    items = "".join(
        f"<tr><td>{r.municipality_code} {_e(r.municipality)}</td><td>{_e(r.function_code)}</td>"
        f'<td>{_e(r.title)}</td><td class="error">{_e(r.error)}</td><td>{_notebook_link(r)}</td></tr>'
        for r in failures
    )
    n = len(failures)
    return (
        f'<div class="failures"><h2>Fejl: {n} {"rapport" if n == 1 else "rapporter"} blev ikke lavet</h2>'
        "<p>Disse analyser fejlede og er ikke gengivet som rapporter. Den kørte notebook er gemt "
        "med fejlen, så en konsulent kan se, hvor den stoppede.</p>"
        "<table><thead><tr><th>Kommune</th><th>Funktion</th><th>Analyse</th><th>Fejl</th><th></th></tr></thead>"
        f"<tbody>{items}</tbody></table></div>"
    )


def _run_details(summary: RunSummary, manifest: dict[str, Any]) -> str:
    """The fold with the run log: counts, each report's status, duration, reuse and executed notebook."""
    counts = summary.counts()
    rows = []
    for (_, _), reports in ordered(summary.reports):
        for r in reports:
            status = _STATUS[r.status]
            if r.status == "cached" and r.cached_from:
                status += f" (fra kørsel {_e(r.cached_from)})"
            rows.append(
                f"<tr><td>{r.municipality_code} {_e(r.municipality)}</td><td>{_e(r.function_code)}</td>"
                f'<td>{_e(r.title)}</td><td class="status-{r.status}">{status}</td>'
                f'<td class="num">{_seconds(r)}</td><td>{_notebook_link(r)}</td></tr>'
            )
    code = manifest["code"]
    commit = (code.get("git_commit") or "ukendt")[:10] + (
        " (med lokale ændringer)" if code.get("git_dirty") else ""
    )
    return f"""<details class="run"><summary>Kørselsdetaljer (til konsulenter)</summary>
<div class="summary">
<div><b>{len(summary.reports)}</b>rapporter</div>
<div><b>{counts["ok"]}</b>kørt</div>
<div><b>{counts["cached"]}</b>genbrugt</div>
<div><b>{counts["failed"]}</b>fejlet</div>
<div><b>{fmt_number(summary.seconds, 0)} s</b>samlet tid</div>
</div>
<table class="details"><thead><tr><th>Kommune</th><th>Funktion</th><th>Analyse</th><th>Status</th><th>Varighed</th>
<th>Kørt notebook</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody></table>
<footer>Manifest {_e(summary.run_id)} · kode {_e(commit)}, pakke {_e(code.get("package"))}. Parametre, inddata
og versioner står i <a href="manifest.json">manifest.json</a>.</footer>
</details>"""


def _danish_time(started: dt.datetime) -> str:
    """'4. december 2026 kl. 02.23': a moment as a Danish reader's clock shows it (Europe/Copenhagen).

    A time with a zone (the runner's are) is converted, so that a run on a machine set to UTC does not print
    its UTC clock as if it were Danish time; a naive time is taken as it is.
    """
    started = danish_clock(started)  # without a time zone database (a bare container) the machine's own clock
    return f"{fmt_date(started.date())} kl. {started:%H.%M}"


def write_index(path: Path, batch: Batch, summary: RunSummary, manifest: dict[str, Any]) -> None:
    """Write the run's ``index.html``: per municipality its reports with their headline figures."""
    started = dt.datetime.fromisoformat(manifest["started"])
    title = batch.title or batch.name
    inputs = manifest.get("inputs", {})
    notices = ""
    if inputs.get("sample"):
        notices += f'<p class="notice sample">{_e(SAMPLE_NOTICE)}.</p>\n'
    if inputs.get("changed_during_run"):
        notices += (
            '<p class="notice">Data i lageret blev ændret under kørslen. Alle rapporter her bygger på de samme data: '
            "et øjebliksbillede taget ved kørslens start. Kør batchen igen for at få de nye data med.</p>\n"
        )
    sections = "\n".join(_municipality_section(key, reports) for key, reports in ordered(summary.reports))
    n = len(summary.reports)
    when = _danish_time(started)
    page = f"""<!DOCTYPE html>
<html lang="da">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body>
<header><h1>{_e(title)}</h1>
<p>{n} {"rapport" if n == 1 else "rapporter"} · {when} · kørsel {_e(summary.run_id)}</p></header>
<main>
{notices}{_failures(summary.reports)}
{sections}
{_run_details(summary, manifest)}
</main></body></html>
"""
    _write(path, page)


def _write(path: Path, page: str) -> None:
    """Write under a temporary name and rename, so a reader never sees half a page."""
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)


def write_incomplete_index(path: Path, batch: Batch, run_id: str, started: dt.datetime) -> None:
    """Write the index of a run that has started and not finished: it says so, and lists nothing as done."""
    title = batch.title or batch.name
    page = f"""<!DOCTYPE html>
<html lang="da">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} (ufuldstændig kørsel)</title><style>{_CSS}</style></head>
<body>
<header><h1>{_e(title)}</h1>
<p>Kørsel {_e(run_id)} · {_danish_time(started)}</p></header>
<main>
<p class="notice incomplete">{_e(INCOMPLETE_TEXT)}</p>
</main></body></html>
"""
    _write(path, page)

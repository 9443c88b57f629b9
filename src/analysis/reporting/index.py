"""The index page of a run: every report with its municipality, function area, status, duration and links.

Self-contained HTML (inline CSS, no scripts, nothing fetched), in Danish, for a steering group to open.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.reporting.formatting import fmt_date, fmt_number
from analysis.reporting.render import SAMPLE_NOTICE  # the same words as each report's first page

if TYPE_CHECKING:
    from analysis.reporting.batch import Batch
    from analysis.reporting.results import RunSummary

__all__ = ["INCOMPLETE_TEXT", "SAMPLE_NOTICE", "write_incomplete_index", "write_index"]

#: What the index of a run says while its manifest is not final (the run goes on, or was killed).
INCOMPLETE_TEXT = (
    "Ufuldstændig kørsel: kørslen er ikke afsluttet, eller den blev afbrudt. Rapporterne her kan mangle eller være "
    "halvfærdige. Kør batchen igen; de rapporter, der blev færdige, genbruges."
)

_STATUS = {"ok": "Færdig", "cached": "Genbrugt", "failed": "Fejlet"}
_FILES = (("html", "HTML"), ("pdf", "PDF"), ("ipynb", "Notebook"))

_CSS = """
:root { --blue: #1f4e79; --text: #222; --muted: #5a6470; --rule: #c9d1da; --zebra: #f3f6f9; --red: #a4262c; }
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--text); margin: 0;
       line-height: 1.5; }
header { background: var(--blue); color: #fff; padding: 24px 32px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 600; }
header p { margin: 0; color: #d6e2ef; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 32px 48px; }
h2 { color: #1a3a5f; font-size: 19px; margin: 28px 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th { text-align: left; border-bottom: 2px solid #8a949e; padding: 6px 8px; }
td { border-bottom: 1px solid var(--rule); padding: 6px 8px; vertical-align: top; }
tbody tr:nth-child(even) { background: var(--zebra); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status-failed { color: var(--red); font-weight: 600; }
.status-cached { color: var(--muted); }
.summary { display: flex; gap: 24px; margin: 16px 0 4px; }
.summary div { background: var(--zebra); padding: 10px 16px; border-radius: 4px; }
.summary b { display: block; font-size: 22px; color: #1a3a5f; }
.error { font-family: Menlo, Consolas, monospace; font-size: 12px; white-space: pre-wrap; color: var(--red); }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
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
    return f'<a href="{_e(r.files["ipynb"])}">Notebook</a>' if "ipynb" in r.files else ""


def write_index(path: Path, batch: Batch, summary: RunSummary, manifest: dict[str, Any]) -> None:
    """Write the run's ``index.html``."""
    counts = summary.counts()
    started = dt.datetime.fromisoformat(manifest["started"])
    title = batch.title or batch.name
    rows = []
    for r in sorted(summary.reports, key=lambda r: (r.municipality_code, r.function_code, r.notebook)):
        links = " · ".join(f'<a href="{_e(r.files[k])}">{label}</a>' for k, label in _FILES if k in r.files)
        status = _STATUS[r.status]
        if r.status == "cached" and r.cached_from:
            status += f" (fra {_e(r.cached_from)})"
        rows.append(
            f"<tr><td>{r.municipality_code} {_e(r.municipality)}</td>"
            f"<td>{_e(r.function_code)} {_e(r.function_name)}</td><td>{_e(r.title)}</td>"
            f'<td class="status-{r.status}">{status}</td><td class="num">{_seconds(r)}</td><td>{links}</td></tr>'
        )
    failures = [r for r in summary.reports if r.status == "failed"]
    failure_html = ""
    if failures:
        items = "".join(
            f"<tr><td>{r.municipality_code} {_e(r.municipality)}</td><td>{_e(r.function_code)}</td>"
            f'<td>{_e(r.title)}</td><td class="error">{_e(r.error)}</td><td>{_notebook_link(r)}</td></tr>'
            for r in failures
        )
        failure_html = (
            "<h2>Fejl</h2><p>Disse analyser fejlede og er ikke gengivet som rapporter. Den kørte notebook er gemt "
            "med fejlen, så en konsulent kan se, hvor den stoppede.</p>"
            "<table><thead><tr><th>Kommune</th><th>Funktion</th><th>Analyse</th><th>Fejl</th><th></th></tr></thead>"
            f"<tbody>{items}</tbody></table>"
        )
    inputs = manifest.get("inputs", {})
    notices = ""
    if inputs.get("sample"):
        notices += f'<p class="notice sample">{_e(SAMPLE_NOTICE)}.</p>\n'
    if inputs.get("changed_during_run"):
        notices += (
            '<p class="notice">Data i lageret blev ændret under kørslen. Alle rapporter her bygger på de samme data: '
            "et øjebliksbillede taget ved kørslens start. Kør batchen igen for at få de nye data med.</p>\n"
        )
    code = manifest["code"]
    commit = (code.get("git_commit") or "ukendt")[:10] + (
        " (med lokale ændringer)" if code.get("git_dirty") else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="da">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body>
<header><h1>{_e(title)}</h1>
<p>Kørsel {_e(summary.run_id)} · {fmt_date(started.date())} kl. {started:%H.%M}</p></header>
<main>
{notices}<div class="summary">
<div><b>{len(summary.reports)}</b>rapporter</div>
<div><b>{counts["ok"]}</b>kørt</div>
<div><b>{counts["cached"]}</b>genbrugt</div>
<div><b>{counts["failed"]}</b>fejlet</div>
<div><b>{fmt_number(summary.seconds, 0)} s</b>samlet tid</div>
</div>
{failure_html}
<h2>Rapporter</h2>
<table><thead><tr><th>Kommune</th><th>Funktion</th><th>Analyse</th><th>Status</th><th>Varighed</th>
<th>Filer</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody></table>
<footer>Kode {_e(commit)}, pakke {_e(code.get("package"))}. Parametre, inddata og versioner står i
<a href="manifest.json">manifest.json</a>.</footer>
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
<p>Kørsel {_e(run_id)} · {fmt_date(started.date())} kl. {started:%H.%M}</p></header>
<main>
<p class="notice incomplete">{_e(INCOMPLETE_TEXT)}</p>
</main></body></html>
"""
    _write(path, page)

"""The outcome of a batch: one :class:`ReportResult` per report and the run's :class:`RunSummary`.

Plain data, shared by the runner (which fills it), the index page (which shows it) and the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ReportResult", "RunSummary"]


@dataclass
class ReportResult:
    """The outcome of one report."""

    notebook: str
    title: str
    municipality_code: int
    municipality: str
    function_code: str
    function_name: str
    parameters: dict[str, Any]
    status: str  # "ok", "failed" or "cached"
    files: dict[str, str] = field(default_factory=dict)  # format -> path relative to the run folder
    seconds: dict[str, float] = field(default_factory=dict)  # execute, html, pdf
    error: str | None = None
    cache_key: str = ""
    cached_from: str | None = None  # run id of the run that produced a reused report
    headline: dict[str, Any] | None = None  # what the notebook published (analysis.reporting.headline)


@dataclass
class RunSummary:
    """The outcome of a run."""

    run_id: str
    folder: Path
    reports: list[ReportResult]
    seconds: float

    @property
    def failed(self) -> list[ReportResult]:
        """The reports that failed."""
        return [r for r in self.reports if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        """How many reports ended in each status."""
        out = {"ok": 0, "cached": 0, "failed": 0}
        for r in self.reports:
            out[r.status] += 1
        return out

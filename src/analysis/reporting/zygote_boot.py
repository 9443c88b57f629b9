"""Imported by a batch's zygote, and only there: importing this module imports the libraries of the workers.

multiprocessing's fork server imports the modules it is given by name before it forks; this one is its only
name, and its import runs :func:`analysis.reporting.zygote.preload` (which never raises) and records it in the
batch's trace. Nothing else imports it.
"""

from __future__ import annotations

from analysis.reporting import zygote as _zygote

_failed = _zygote.preload()

from analysis.reporting.workers import trace as _trace  # noqa: E402 - preloaded above

_trace("zygote_ready", failed=_failed)

"""The report pipeline: batch files, the papermill runner, rendering to HTML and PDF, Danish formatting."""

from analysis.reporting.lazy_imports import defer_rfc3987_syntax

# Before anything imports nbformat (and so jsonschema): its rfc3987_syntax costs seconds at import, unused here.
defer_rfc3987_syntax()

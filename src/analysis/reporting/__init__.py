"""The report pipeline: batch files, the papermill runner, rendering to HTML and PDF, Danish formatting."""

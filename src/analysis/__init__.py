"""Analysis workbench for the economics of Denmark's specialised social sector.

Subpackages and modules
-----------------------
data
    The data model (schema), the embedded DuckDB warehouse, the deterministic national sample and the loaders.
privacy
    CPR pseudonymisation and small-group suppression.
reporting
    The report pipeline: batch files, papermill runner, rendering to HTML and PDF, Danish formatting.
cli
    The ``analysis`` command line.
"""

__version__ = "0.1.0"

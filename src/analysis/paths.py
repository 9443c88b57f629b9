"""Where things are: the project folder, ``parameters/``, ``notebooks/``, ``reports/`` and the data folder.

The one place that knows the layout. The project folder is the checkout the package runs from (editable
install, src layout) or, for a plain install, the current working directory. The data folder (default
warehouse, pseudonymisation key) is ``data/`` in the checkout, or ``$XDG_DATA_HOME/analysis`` for a plain
install; ``ANALYSIS_WAREHOUSE`` moves it beside the warehouse it names.

This module imports nothing of the package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "WAREHOUSE_ENV",
    "checkout_root",
    "data_dir",
    "notebooks_dir",
    "parameters_dir",
    "project_root",
    "reports_dir",
    "sample_warehouse_path",
]

#: The environment variable that names the warehouse file.
WAREHOUSE_ENV = "ANALYSIS_WAREHOUSE"


def checkout_root() -> Path | None:
    """The checkout this package runs from (src layout), or None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").exists() and (root / "src" / "analysis").is_dir() else None


def project_root() -> Path:
    """The project folder (``notebooks/``, ``parameters/``, ``reports/``): the checkout, else the CWD."""
    return checkout_root() or Path.cwd()


def parameters_dir() -> Path:
    """The ``parameters/`` folder: defaults, batches, mappings, thresholds and indices."""
    return project_root() / "parameters"


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of report notebooks."""
    return project_root() / "notebooks"


def reports_dir() -> Path:
    """The ``reports/`` folder where runs are written."""
    return project_root() / "reports"


def data_dir() -> Path:
    """The folder of the default warehouse and the pseudonymisation key file."""
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env).expanduser().parent
    root = checkout_root()
    if root is not None:
        return root / "data"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "analysis"


def sample_warehouse_path() -> Path:
    """Where the embedded sample warehouse is built (never a path named by ``ANALYSIS_WAREHOUSE``)."""
    root = checkout_root()
    if root is not None:
        return root / "data" / "sample.duckdb"
    return (
        Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "analysis" / "sample.duckdb"
    )

"""Read the average unit costs of services that are not CPR-registered (``parameters/unit_costs.yaml``)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from analysis.data.yamlfiles import read_yaml_mapping
from analysis.errors import ConfigurationError
from analysis.paths import parameters_dir

__all__ = ["FILE_SOURCE_KEY", "UNIT_COSTS_FILE", "read_unit_costs"]

#: The file's name in ``parameters/``.
UNIT_COSTS_FILE = "unit_costs.yaml"


#: The top-level key of a file-level source: where the figures of entries without their own ``source`` come from.
FILE_SOURCE_KEY = "source"
_ENTRY_KEYS = ("dkk_per_month", "source")


def read_unit_costs(path: str | Path | None = None) -> pd.DataFrame:
    """Average unit costs of services that are not CPR-registered, from a YAML parameter file.

    The file maps each measure (as named in the cases) to ``dkk_per_month`` and ``source`` (where the figure
    comes from or what it assumes); a report prints the source beside each figure, so a figure without one is
    refused::

        Støtte- og kontaktperson:
          dkk_per_month: 5000
          source: "5.38.53 §99: national price 60.000 kr. per full-year person / 12"

    A file whose figures share one origin may say so once, in a top-level ``source`` (text); it covers the entries
    without a ``source`` of their own, which may then be a bare amount::

        source: "Regnskab 2024: nettoudgift / helårspersoner / 12"
        Støtte- og kontaktperson: 5200
        Alkoholbehandling: {dkk_per_month: 6100, source: "Aftale med Behandlingscentret 2025"}

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The file; by default ``parameters/unit_costs.yaml`` of the project (empty text counts as the default).

    Returns
    -------
    pandas.DataFrame
        Indexed by measure: dkk_per_month (DKK per month), source (text, never empty).

    Raises
    ------
    ConfigurationError
        Naming the file and the measure, when the file is missing or is not a mapping, an entry lacks a positive
        ``dkk_per_month``, has a key other than ``dkk_per_month`` and ``source``, or has no source (neither its
        own nor the file's), or the file's ``source`` is not text.
    """
    path = parameters_dir() / UNIT_COSTS_FILE if path is None or str(path) == "" else Path(path)
    data = read_yaml_mapping(
        path, "unit-cost", expected="measures mapped to dkk_per_month and source", empty={}
    )
    file_source = data.pop(FILE_SOURCE_KEY, None)
    if file_source is not None and not _is_text(file_source):
        raise ConfigurationError(
            f"{path}: {FILE_SOURCE_KEY}: expected the source of the file's unit costs (text), found "
            f"{file_source!r} (the key '{FILE_SOURCE_KEY}' is the file's source; no measure can be named so)"
        )
    rows = []
    for measure, entry in data.items():
        entry = entry if isinstance(entry, dict) else {"dkk_per_month": entry}
        unknown = [k for k in entry if k not in _ENTRY_KEYS]
        if unknown:
            near = difflib.get_close_matches(str(unknown[0]), _ENTRY_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise ConfigurationError(
                f"{path}: {measure}: unknown key {unknown[0]!r}{hint}; expected dkk_per_month and source"
            )
        value = entry.get("dkk_per_month")
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigurationError(
                f"{path}: {measure}: dkk_per_month must be a positive amount (DKK per month), found {value!r}"
            )
        source = entry.get("source")
        if source is None and file_source is not None:
            source = file_source
        if not _is_text(source):
            found = "no source" if source is None else f"source {source!r}"
            raise ConfigurationError(
                f"{path}: {measure}: expected a source (text: where the {value:g} DKK per month comes from or what "
                f"it assumes; the report prints it beside the figure), found {found}; give the entry a source, "
                f"or the file a top-level '{FILE_SOURCE_KEY}' that covers its entries"
            )
        rows.append({"measure": str(measure), "dkk_per_month": float(value), "source": source.strip()})
    return pd.DataFrame(rows, columns=["measure", "dkk_per_month", "source"]).set_index("measure")


def _is_text(value: object) -> bool:
    """Whether ``value`` is text that says something (not empty, not only blanks)."""
    return isinstance(value, str) and bool(value.strip())

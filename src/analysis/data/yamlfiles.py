"""Reading a YAML file of ``parameters/`` (or a user's YAML file): one rule for what can be wrong with the file itself.

A missing file, a file that is not YAML and one whose top level is not a mapping are each refused with one line that
names the file; what the keys must hold is the reader's to check (:mod:`analysis.data.thresholds`,
:mod:`analysis.data.price_index`, :mod:`analysis.data.unit_costs`, :mod:`analysis.data.offers`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from analysis.errors import AnalysisError, ConfigurationError

__all__ = ["read_yaml_mapping"]


def read_yaml_mapping(
    path: Path,
    what: str,
    *,
    expected: str = "a mapping of keys",
    error: type[AnalysisError] = ConfigurationError,
    empty: dict[str, Any] | None = None,
) -> dict[Any, Any]:
    """The top-level mapping of a YAML file.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message of a missing file (``'no such <what> file'``).
    expected
        What the top level must be, for the message of a file that is not a mapping.
    error
        The kind of error: :class:`~analysis.errors.ConfigurationError` for ``parameters/``,
        :class:`~analysis.errors.InputError` for a file the user names.
    empty
        What an empty file means; default None: an empty file is refused like any other that is not a mapping.

    Raises
    ------
    AnalysisError
        Of kind ``error``, naming the file: ``'<path>: no such <what> file'``, ``'<path>: not valid YAML (...)'`` or
        ``'<path>: expected <expected>, found ...'``.
    """
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise error(f"{path}: no such {what} file") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if data is None and empty is not None:
        return dict(empty)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise error(f"{path}: expected {expected}, found {found}")
    return data

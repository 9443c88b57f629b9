"""A report's headline figure: published by its notebook, read back by the runner, shown in the run's index.

A report notebook states its one figure for a steering group with one call, near its end::

    fmt.headline("Forskel til sammenligningskommuner", gap_dkk, "Udgift 2025: 80,1 mio. kr.")

(:func:`publish`, also exported by :mod:`analysis.reporting.formatting`). The call displays an output of the
MIME type :data:`MIME_TYPE` only; the runner renders the report without it (:func:`without`), so the figure stays
out of the report's HTML and PDF (which state it in their own words), while it travels in the executed notebook. The
runner reads it with :func:`from_notebook` into the report's result and manifest, and the index shows it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from analysis.danish import fmt_dkk, fmt_number
from analysis.errors import DataError, InputError

__all__ = ["MIME_TYPE", "Headline", "from_notebook", "publish", "without"]

#: The MIME type of the output :func:`publish` displays.
MIME_TYPE = "application/vnd.analysis.headline+json"


@dataclass(frozen=True)
class Headline:
    """One report's headline figure.

    Attributes
    ----------
    label : str
        What the figure is, Danish ('Forskel til sammenligningskommuner').
    value_dkk : float or None
        The figure in DKK (current or the report's fixed prices); None when the figure is not an amount or
        could not be computed (the text then says why).
    text : str
        One Danish sentence beside the figure.
    value : float or None
        A figure that is not an amount (a count, a percentage point), with its ``unit``.
    unit : str
        Danish unit of ``value`` ('fund', 'helårspersoner').
    signed : bool
        Whether ``value_dkk`` is a signed amount (a gap, a deviation, a gain: '+1,2 mio. kr.', '-0,4 mio. kr.')
        rather than a level ('80,1 mio. kr.'). True unless the notebook says otherwise.
    """

    label: str
    value_dkk: float | None = None
    text: str = ""
    value: float | None = None
    unit: str = ""
    signed: bool = True

    def value_text(self) -> str:
        """The figure as the index shows it: '+29,7 mio. kr.', '-1,2 mio. kr.', '80,1 mio. kr.' (a level), '12 fund'.

        A signed amount is written by :func:`analysis.danish.fmt_dkk` with ``sign=True`` ('+' when positive, no
        sign when it rounds to 0,0); '' when the headline has no figure.
        """
        if self.value_dkk is not None:
            return fmt_dkk(self.value_dkk, unit="mio", sign=self.signed)
        if self.value is not None:
            decimals = 0 if float(self.value).is_integer() else 1
            return f"{fmt_number(self.value, decimals)} {self.unit}".strip()
        return ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the output's data and the manifest's entry)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "the headline") -> Headline:
        """Check and build a headline from :meth:`to_dict`'s form; a malformed one raises DataError."""
        if not isinstance(data, dict) or not isinstance(data.get("label"), str) or not data["label"].strip():
            raise DataError(f"{where}: expected a headline with a non-empty 'label', found {data!r}")
        known = {"label", "value_dkk", "value", "unit", "text", "signed"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DataError(f"{where}: unknown headline field(s) {unknown}; expected {sorted(known)}")
        for key in ("value_dkk", "value"):
            v = data.get(key)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
            ):
                raise DataError(f"{where}: headline '{key}' must be a finite number or null, found {v!r}")
        for key in ("unit", "text"):
            if not isinstance(data.get(key, ""), str):
                raise DataError(f"{where}: headline '{key}' must be text, found {data[key]!r}")
        if not isinstance(data.get("signed", True), bool):
            raise DataError(f"{where}: headline 'signed' must be true or false, found {data['signed']!r}")
        return cls(**data)


def _number(x: Any, name: str) -> float | None:
    """``x`` as a float; None for None and NaN (a figure that could not be computed); refuses anything else."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        raise InputError(f"headline: {name} must be a number, found {x!r}") from None
    if isinstance(x, bool | str):
        raise InputError(f"headline: {name} must be a number, found {x!r}")
    if math.isnan(f):
        return None
    if math.isinf(f):
        raise InputError(f"headline: {name} must be finite, found {x!r}")
    return f


def publish(
    label: str,
    value_dkk: float | None = None,
    text: str = "",
    *,
    value: float | None = None,
    unit: str = "",
    signed: bool = True,
) -> None:
    """Publish the report's headline figure from its notebook: call once, near the end.

    Displays an output of MIME type :data:`MIME_TYPE` (nothing visible in the rendered report); the runner reads
    it from the executed notebook into the report's result and the index.

    Parameters
    ----------
    label : str
        What the figure is, Danish, e.g. 'Forskel til sammenligningskommuner'.
    value_dkk : float, optional
        The figure in DKK (kr., not mio.). NaN is taken as "could not be computed" and shown as no figure.
    text : str
        One Danish sentence beside the figure.
    value, unit : float and str, optional
        A figure that is not an amount (e.g. ``value=12, unit="fund"``); not together with ``value_dkk``.
    signed : bool, default True
        ``value_dkk`` is a gap, a deviation or a gain, shown with its sign ('+1,2 mio. kr.'); pass False for a
        level such as a year's spending ('80,1 mio. kr.').

    Raises
    ------
    InputError
        For an empty label, a value that is not a number, or both ``value_dkk`` and ``value``.
    """
    from IPython.display import display

    if not isinstance(label, str) or not label.strip():
        raise InputError(f"headline: label must be a non-empty text, found {label!r}")
    if value_dkk is not None and value is not None:
        raise InputError("headline: give value_dkk (an amount) or value with unit, not both")
    if not isinstance(text, str) or not isinstance(unit, str):
        raise InputError(f"headline: text and unit must be text, found {text!r} and {unit!r}")
    if not isinstance(signed, bool):
        raise InputError(f"headline: signed must be True or False, found {signed!r}")
    h = Headline(
        label.strip(), _number(value_dkk, "value_dkk"), text.strip(), _number(value, "value"), unit, signed
    )
    display({MIME_TYPE: h.to_dict()}, raw=True)


def from_notebook(nb: Any) -> Headline | None:
    """The headline an executed notebook published, or None when it published none.

    Parameters
    ----------
    nb : nbformat.NotebookNode or path
        The executed notebook, or the path of its ``.ipynb``.

    Raises
    ------
    DataError
        When the notebook published more than one headline (which one is meant cannot be told) or a malformed one.
    """
    where = "the notebook"
    if isinstance(nb, str | Path):
        import nbformat  # only here: the runner passes the cells it read as JSON, without importing nbformat

        where = str(Path(nb).name)
        nb = nbformat.read(nb, as_version=4)
    found = [
        out["data"][MIME_TYPE]
        for cell in nb.cells
        if cell.get("cell_type") == "code"
        for out in cell.get("outputs", [])
        if MIME_TYPE in out.get("data", {})
    ]
    if not found:
        return None
    if len(found) > 1:
        raise DataError(f"{where}: {len(found)} headlines published; a report publishes exactly one")
    return Headline.from_dict(dict(found[0]), where)


def without(nb: Any) -> Any:
    """A copy of notebook ``nb`` without its headline outputs; ``nb`` itself is not modified.

    For rendering: nbconvert would warn of an output type it cannot show.
    """
    import copy

    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if MIME_TYPE not in o.get("data", {})]
    return out

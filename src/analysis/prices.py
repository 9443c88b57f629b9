"""Fixed prices: restate kroner of several years in the prices of one year with a price-and-wage index.

Pure pandas. The index (a :class:`pandas.Series` of index values by year, any base) comes from the caller; in
the workbench it is the P/L index of municipal service expenditure in ``parameters/price_index.yaml``, read by
:func:`analysis.data.price_index.read_price_index`.

A value of year *t* in the prices of the base year *b* is ``value x index(b) / index(t)``: 100 kr. of 2018 at an
index that has risen 23 % by 2025 are 123 kr. in 2025 prices ("faste 2025-priser"). Amounts (DKK) and prices
(DKK per full-year person) are restated; counts of persons and residents are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["price_factors", "to_fixed_prices"]


def price_factors(index: pd.Series, years: Iterable[int], base_year: int) -> pd.Series:
    """The factor that turns kroner of each year into kroner of ``base_year``.

    Parameters
    ----------
    index : pandas.Series
        Price-and-wage index values (any base, positive) indexed by year (int).
    years : iterable of int
        The years to restate.
    base_year : int
        The year whose prices are used.

    Returns
    -------
    pandas.Series
        ``index[base_year] / index[year]`` (dimensionless, 1.0 in the base year), indexed by the distinct
        ``years`` in ascending order.

    Raises
    ------
    ValueError
        If the index lacks the base year or one of the years (named, with the years the index covers), or holds a
        value that is missing or not positive.

    Examples
    --------
    >>> index = pd.Series({2023: 100.0, 2024: 104.0, 2025: 106.08})
    >>> price_factors(index, [2023, 2025], 2025).round(4).tolist()
    [1.0608, 1.0]
    """
    values = pd.Series(index, dtype=float)
    values.index = values.index.astype(int)
    bad = values[~(values > 0)]
    if not bad.empty:
        raise ValueError(f"the price index must be positive; not so for {', '.join(map(str, bad.index))}")
    wanted = sorted({int(y) for y in years})
    missing = [y for y in [int(base_year), *wanted] if y not in values.index]
    if missing:
        covered = f"{values.index.min()}-{values.index.max()}" if len(values) else "no years"
        raise ValueError(
            f"the price index has no value for {', '.join(map(str, sorted(set(missing))))} "
            f"(it covers {covered}); extend it to restate these years in {base_year} prices"
        )
    return (values[int(base_year)] / values.loc[wanted]).rename("factor")


def to_fixed_prices(
    frame: pd.DataFrame,
    index: pd.Series,
    base_year: int,
    columns: Sequence[str] = ("spending_dkk",),
    year_column: str = "year",
) -> pd.DataFrame:
    """Restate the kroner columns of a frame in the prices of ``base_year``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a year column (e.g. the warehouse tables ``activity``, ``accounts``, ``budgets``).
    index : pandas.Series
        Price-and-wage index by year (see :func:`price_factors`).
    base_year : int
        The year whose prices are used (e.g. the last year of a report).
    columns : sequence of str, default ("spending_dkk",)
        The DKK columns to restate; other columns are left as they are.
    year_column : str, default "year"
        The column holding the year.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with ``columns`` multiplied by the factor of their row's year (floats); an empty frame
        is returned as it is.

    Raises
    ------
    ValueError
        If a column is missing, or as :func:`price_factors` (a year outside the index).
    """
    missing = [c for c in (year_column, *columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame to restate in fixed prices lacks column(s) {', '.join(missing)}")
    out = frame.copy()
    if out.empty:
        return out
    factors = price_factors(index, out[year_column].astype(int).unique(), base_year)
    factor = out[year_column].astype(int).map(factors).to_numpy()
    for column in columns:
        out[column] = out[column].astype(float) * factor
    return out

"""What the data cover ("data til og med"): the latest booked month, and whether a year is closed.

One notion for every report: the **latest booked month** in the ledger decides.

- The latest booked month is the latest (year, month) with a row in the ``ledger`` frame given (filter it to
  the municipality, or the municipality and function area, the report is about).
- A year is **closed** when the ledger has a booked month in December of that year or in a later year. The
  accounts of a closed year are final; those of an open year are not, whatever the ``accounts`` table holds
  (a report says "bogført til og med september 2025", never "regnskabet for 2025").
- Without a ledger (a warehouse of Statistics Denmark's tables only), the accounts decide: a year the
  ``accounts`` frame holds is closed, and the latest booked month is December of its last year.

Use::

    from analysis import period
    p = period.data_period(ledger, accounts)      # frames from analysis.data.queries
    p.is_closed(2025)                             # False when the ledger ends in September 2025
    p.period_text(2018, 2025)                     # '2018-2025 (2025 til og med september)'
    p.through_text()                              # 'september 2025'

The module takes frames and returns values; it opens no file and no warehouse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from analysis.danish import MONTHS_DA, fmt_month
from analysis.errors import InputError

__all__ = ["DataPeriod", "data_period"]


@dataclass(frozen=True)
class DataPeriod:
    """The latest booked month of the data, and which years are closed.

    Attributes
    ----------
    latest_year, latest_month : int or None
        The latest booked month (month 1-12); None when neither ledger nor accounts hold a row.
    source : str
        What decided: ``'ledger'``, ``'accounts'`` (no ledger rows) or ``'none'``.
    accounts_years : tuple of int
        The years the accounts frame holds (sorted).
    """

    latest_year: int | None
    latest_month: int | None
    source: str
    accounts_years: tuple[int, ...] = ()

    def months_booked(self, year: int) -> int:
        """Months of ``year`` booked: 12 for a closed year, the latest month in its year, 0 for a later year."""
        if self.latest_year is None or year > self.latest_year:
            return 0
        if year < self.latest_year:
            return 12
        return int(self.latest_month or 0)

    def is_closed(self, year: int) -> bool:
        """Whether ``year`` is closed: booked through December (its accounts are final)."""
        return self.months_booked(year) == 12

    def closed_years(self, years: Iterable[int]) -> list[int]:
        """The closed years among ``years``, in their order."""
        return [int(y) for y in years if self.is_closed(int(y))]

    def open_year_texts(self, first_year: int, last_year: int) -> list[str]:
        """The years of ``first_year..last_year`` that are not closed, as :meth:`year_text` states them."""
        return [self.year_text(y) for y in range(first_year, last_year + 1) if not self.is_closed(y)]

    @property
    def last_closed_year(self) -> int | None:
        """The latest closed year (None when no year is closed)."""
        if self.latest_year is None:
            return None
        return self.latest_year if self.latest_month == 12 else self.latest_year - 1

    @property
    def provisional_accounts_years(self) -> list[int]:
        """Years the accounts frame holds although the ledger has not closed them (their figures are not final)."""
        return [y for y in self.accounts_years if not self.is_closed(y)]

    def through_text(self) -> str:
        """The latest booked month in Danish, e.g. ``'september 2025'`` ('ingen data' when there is none)."""
        if self.latest_year is None or self.latest_month is None:
            return "ingen data"
        return fmt_month(self.latest_year, self.latest_month)

    def year_text(self, year: int) -> str:
        """A year as a report states it: ``'2024'`` when closed, ``'2025 til og med september'`` when open.

        ``'2026 (intet bogført)'`` for a year without a booked month.
        """
        n = self.months_booked(year)
        if n == 12:
            return str(year)
        if n == 0:
            return f"{year} (intet bogført)"
        return f"{year} til og med {MONTHS_DA[n - 1]}"

    def period_text(self, first_year: int, last_year: int) -> str:
        """The data period of a report, e.g. ``'2018-2024'`` or ``'2018-2025 (2025 til og med september)'``.

        Parameters
        ----------
        first_year, last_year : int
            The years the report covers.
        """
        years = str(first_year) if first_year == last_year else f"{first_year}-{last_year}"
        if self.is_closed(last_year):
            return years
        return f"{years} ({self.year_text(last_year)})"

    def check_month(self, year: int, month: int) -> None:
        """Refuse a report month later than the latest booked month (an as-of month the data do not reach).

        Raises
        ------
        InputError
            When month ``month`` of ``year`` is after the latest booked month.
        """
        if not 1 <= month <= 12:
            raise InputError(f"month must be 1-12, got {month}")
        if self.months_booked(year) < month:
            raise InputError(
                f"the ledger is booked through {self.through_text()} ({self.latest_year}-{self.latest_month}), "
                f"not through month {month} of {year}; choose an earlier month or load the later postings"
            )


def data_period(
    ledger: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    municipality_code: int | None = None,
) -> DataPeriod:
    """The latest booked month and the closed years of the data (see the module docstring).

    Parameters
    ----------
    ledger : pandas.DataFrame, optional
        The ``ledger`` table (``year``, ``month`` and, with ``municipality_code``, that column), filtered to
        what the report is about.
    accounts : pandas.DataFrame, optional
        The ``accounts`` table (``year``); decides only when the ledger has no row.
    municipality_code : int, optional
        Keep only this municipality's rows of both frames.

    Returns
    -------
    DataPeriod

    Raises
    ------
    InputError
        When a frame lacks the columns needed, or holds a month outside 1-12.

    Examples
    --------
    >>> led = pd.DataFrame({"year": [2024] * 12 + [2025] * 9, "month": [*range(1, 13), *range(1, 10)]})
    >>> p = data_period(led, pd.DataFrame({"year": [2024, 2025]}))
    >>> p.is_closed(2024), p.is_closed(2025), p.through_text(), p.provisional_accounts_years
    (True, False, 'september 2025', [2025])
    >>> p.period_text(2018, 2025)
    '2018-2025 (2025 til og med september)'
    """

    def own(df: pd.DataFrame | None, columns: tuple[str, ...], name: str) -> pd.DataFrame | None:
        if df is None:
            return None
        need = columns + (("municipality_code",) if municipality_code is not None else ())
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise InputError(f"the {name} frame lacks the column(s) {', '.join(missing)}")
        if municipality_code is not None:
            df = df[df["municipality_code"] == municipality_code]
        return df

    led = own(ledger, ("year", "month"), "ledger")
    acc = own(accounts, ("year",), "accounts")
    acc_years = tuple(sorted(int(y) for y in acc["year"].dropna().unique())) if acc is not None else ()
    if led is not None and len(led):
        bad = led[~led["month"].between(1, 12)]
        if len(bad):
            raise InputError(f"the ledger frame holds month {bad['month'].iloc[0]}; months are 1-12")
        index = led["year"].astype(int) * 12 + led["month"].astype(int) - 1
        latest = int(index.max())
        return DataPeriod(latest // 12, latest % 12 + 1, "ledger", acc_years)
    if acc_years:
        return DataPeriod(acc_years[-1], 12, "accounts", acc_years)
    return DataPeriod(None, None, "none", acc_years)

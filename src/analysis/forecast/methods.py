"""Year-end forecast methods of the finance units (regnskabsprognose), vectorised across series and years.

One interface for every method: ``method.remaining(ctx) -> array (N, 12 - m)``, the expected spending (DKK) of
each remaining month of the year for ``N`` rows (series x years) at once, given a :class:`YearContext` at the
month-of-year origin ``m`` (1-11: months January..m are booked). The year-end total is
``ctx.ytd.sum(axis=1) + remaining.sum(axis=1)``. A method that cannot forecast a row (no history, no budget,
a zero profile) returns NaN for it.

The context only holds what was known at the origin: the booked months of the current year (``ytd`` has just
``m`` columns), the complete previous years, the year's budget and the commitments from the cases table as of
the end of month ``m``. So no method can look ahead, by construction.

Domain methods
--------------
run_rate (forbrugsprocent)
    Every remaining month as the average booked month: ``ytd / m``; total = ``ytd * 12 / m``.
last_year_profile (sidste års forbrugsmønster)
    ``total = ytd / c_m`` where ``c_m`` is the share of last year's total booked in January..m; the remaining
    total is spread as last year's months ``m+1..12``.
average_profile (gennemsnitligt forbrugsmønster)
    As ``last_year_profile`` with the mean monthly shares of the last ``n_years`` years (default 3; each
    year's shares are its months divided by its total, years with a total of 0 or missing months are skipped).
budget (budgetbaseret)
    The remaining months are spent at the budget's monthly pace: ``total = ytd + B (12 - m) / 12``;
    equivalently the budget plus the year-to-date deviation from its pro-rata, ``B + (ytd - B m / 12)``. The
    deviation so far is carried to year end but not extrapolated (extrapolating it would give the run-rate).
seasonal_naive (sæsonnaiv)
    The remaining months as the same months last year.
disposition (disponering)
    The commitments from the cases table as of the end of month ``m`` (see
    :mod:`analysis.forecast.disposition`): running cases x monthly cost for the remaining months, plus
    expected starts, less expected ends.

Statistical methods (Theta, ETS, ARIMA) are wrapped by :class:`StatisticalAdapter`: they are fitted to the
monthly series of all previous years and the booked months, and forecast the remaining ``12 - m`` months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.forecast.statistical import ARIMAMethod, ETSMethod, StatisticalMethod, ThetaMethod

__all__ = [
    "AverageProfile",
    "BudgetBased",
    "Disposition",
    "DomainMethod",
    "LastYearProfile",
    "RunRate",
    "SeasonalNaive",
    "StatisticalAdapter",
    "YearContext",
    "default_methods",
]

MONTHS = 12


@dataclass(frozen=True)
class YearContext:
    """What is known at a forecast origin, for ``N`` rows (a row is one series in one year).

    Attributes
    ----------
    ytd : numpy.ndarray
        Shape ``(N, m)``: booked spending (DKK) of January..m of the current year.
    history : numpy.ndarray
        Shape ``(N, H, 12)``: monthly spending (DKK) of the ``H`` previous years, oldest first, most recent
        last; NaN where a year is not available.
    budget : numpy.ndarray or None
        Shape ``(N,)``: the year's (corrected) budget in DKK; NaN where unknown.
    commitments : numpy.ndarray or None
        Shape ``(N, 12 - m)``: expected spending (DKK) of the remaining months from the cases known at the
        origin (see :func:`analysis.forecast.disposition.commitment_paths`).
    """

    ytd: np.ndarray
    history: np.ndarray
    budget: np.ndarray | None = None
    commitments: np.ndarray | None = None

    def __post_init__(self):
        if self.ytd.ndim != 2 or not 1 <= self.ytd.shape[1] <= MONTHS - 1:
            raise ValueError(f"ytd must have shape (N, m) with m in 1..11, got {self.ytd.shape}")
        if (
            self.history.ndim != 3
            or self.history.shape[0] != self.ytd.shape[0]
            or self.history.shape[2] != 12
        ):
            raise ValueError(f"history must have shape (N, H, 12), got {self.history.shape}")

    @property
    def m(self) -> int:
        """The origin: number of booked months (1-11)."""
        return self.ytd.shape[1]

    @property
    def n_rows(self) -> int:
        """Number of rows ``N``."""
        return self.ytd.shape[0]

    @property
    def remaining_months(self) -> int:
        """Months left of the year, ``12 - m``."""
        return MONTHS - self.m


@dataclass(frozen=True)
class DomainMethod:
    """A year-end forecast method. Subclasses implement :meth:`remaining`.

    Attributes
    ----------
    name : str
        Short identifier used in tables.
    label_da : str
        Danish label for reports.
    """

    name: str
    label_da: str

    def remaining(self, ctx: YearContext) -> np.ndarray:
        """Expected spending (DKK) of each remaining month, shape ``(N, 12 - m)``; NaN where not possible."""
        raise NotImplementedError

    def remaining_many(self, contexts: list[YearContext]) -> list[np.ndarray]:
        """:meth:`remaining` for several origins at once (the back-test's 11); a method may share the work."""
        return [self.remaining(ctx) for ctx in contexts]

    def year_end(self, ctx: YearContext) -> np.ndarray:
        """Forecast year-end total (DKK), shape ``(N,)``."""
        return ctx.ytd.sum(axis=1) + self.remaining(ctx).sum(axis=1)


def _profile_remaining(ctx: YearContext, shares: np.ndarray) -> np.ndarray:
    """Spread ``ytd / c_m`` over the remaining months by ``shares`` (N, 12), each row summing to 1."""
    m = ctx.m
    c_m = shares[:, :m].sum(axis=1)
    ytd = ctx.ytd.sum(axis=1)
    ok = np.isfinite(c_m) & (c_m > 1e-9) & (c_m < 1 + 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(ok, ytd / np.where(ok, c_m, 1.0), np.nan)
    rest = shares[:, m:]
    return total[:, None] * rest


def _year_shares(years: np.ndarray) -> np.ndarray:
    """Monthly shares of each year's total, shaped like ``years``; NaN where the total is not positive."""
    total = years.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, years / total, np.nan)


@dataclass(frozen=True)
class RunRate(DomainMethod):
    """Linear run-rate (forbrugsprocent): every remaining month as the average booked month."""

    name: str = "run_rate"
    label_da: str = "Forbrugsprocent (lineær fremskrivning)"

    def remaining(self, ctx: YearContext) -> np.ndarray:  # noqa: D102
        avg = ctx.ytd.sum(axis=1) / ctx.m
        return np.repeat(avg[:, None], ctx.remaining_months, axis=1)


@dataclass(frozen=True)
class AverageProfile(DomainMethod):
    """Average monthly profile of the last ``n_years`` complete years (gennemsnitligt forbrugsmønster).

    Attributes
    ----------
    n_years : int
        Number of most recent previous years whose monthly shares are averaged (default 3).
    """

    name: str = "average_profile"
    label_da: str = "Gennemsnitligt forbrugsmønster (3 år)"
    n_years: int = 3

    def remaining(self, ctx: YearContext) -> np.ndarray:  # noqa: D102
        recent = ctx.history[:, -self.n_years :, :]
        shares = _year_shares(recent)
        valid = np.isfinite(shares).all(axis=2)
        count = valid.sum(axis=1)
        mean = np.where(valid[:, :, None], shares, 0.0).sum(axis=1) / np.maximum(count, 1)[:, None]
        mean = np.where(count[:, None] > 0, mean, np.nan)
        return _profile_remaining(ctx, mean)


@dataclass(frozen=True)
class LastYearProfile(AverageProfile):
    """Last year's monthly profile (sidste års forbrugsmønster): ``total = ytd / share booked by month m``."""

    name: str = "last_year_profile"
    label_da: str = "Sidste års forbrugsmønster"
    n_years: int = 1


@dataclass(frozen=True)
class BudgetBased(DomainMethod):
    """Budget-based: the remaining months at the budget's monthly pace, ``B / 12`` each (budgetbaseret).

    The year-end total is ``B + (ytd - B m / 12)``: the budget plus the year-to-date deviation from its
    pro-rata.
    """

    name: str = "budget"
    label_da: str = "Budget korrigeret for afvigelse hidtil"

    def remaining(self, ctx: YearContext) -> np.ndarray:  # noqa: D102
        budget = np.full(ctx.n_rows, np.nan) if ctx.budget is None else np.asarray(ctx.budget, dtype=float)
        return np.repeat((budget / MONTHS)[:, None], ctx.remaining_months, axis=1)


@dataclass(frozen=True)
class SeasonalNaive(DomainMethod):
    """Seasonal naive: the remaining months as the same months last year (sæsonnaiv)."""

    name: str = "seasonal_naive"
    label_da: str = "Samme måneder som sidste år"

    def remaining(self, ctx: YearContext) -> np.ndarray:  # noqa: D102
        return ctx.history[:, -1, ctx.m :].copy()


@dataclass(frozen=True)
class Disposition(DomainMethod):
    """Disposition (disponering): commitments from the cases table as of the origin, see ``disposition``."""

    name: str = "disposition"
    label_da: str = "Disponering (kendte sager)"

    def remaining(self, ctx: YearContext) -> np.ndarray:  # noqa: D102
        if ctx.commitments is None:
            return np.full((ctx.n_rows, ctx.remaining_months), np.nan)
        return np.asarray(ctx.commitments, dtype=float)


@dataclass(frozen=True)
class StatisticalAdapter(DomainMethod):
    """Use a statistical model as a year-end method: fit on all previous years plus the booked months.

    Rows are grouped by how many complete previous years they have (the most recent run of years without
    missing months); each group is fitted in one vectorised call. Rows with fewer than ``min_months`` months
    of data get NaN.

    Attributes
    ----------
    model : StatisticalMethod
        The model, e.g. :class:`~analysis.forecast.statistical.ThetaMethod`.
    min_months : int
        Fewest monthly values (months) to fit on.
    """

    name: str = ""
    label_da: str = ""
    model: StatisticalMethod = field(default_factory=ThetaMethod)
    min_months: int = 12

    def __post_init__(self):
        if not self.name:
            object.__setattr__(self, "name", self.model.name)
        if not self.label_da:
            object.__setattr__(self, "label_da", self.model.label_da)

    def _rows(self, ctx: YearContext):
        """The rows of ``ctx`` that can be fitted and their series: ``(row indices, list of 1-D arrays)``."""
        n, h_years, _ = ctx.history.shape
        complete = np.isfinite(ctx.history).all(axis=2)  # (N, H)
        # number of complete years counted back from the most recent
        run = np.cumprod(complete[:, ::-1], axis=1).sum(axis=1)
        ytd_ok = np.isfinite(ctx.ytd).all(axis=1)
        idx = np.flatnonzero(ytd_ok & (run * MONTHS + ctx.m >= self.min_months))
        series = [np.concatenate([ctx.history[i, h_years - run[i] :, :].ravel(), ctx.ytd[i]]) for i in idx]
        return idx, series

    def remaining(self, ctx: YearContext) -> np.ndarray:  # noqa: D102
        return self.remaining_many([ctx])[0]

    def remaining_many(self, contexts: list[YearContext]) -> list[np.ndarray]:
        """Every origin's rows in one call of the model (``forecast_many``): one vectorised pass for ETS."""
        parts = [self._rows(ctx) for ctx in contexts]
        series = [y for _, ys in parts for y in ys]
        outs = [np.full((ctx.n_rows, ctx.remaining_months), np.nan) for ctx in contexts]
        if not series:
            return outs
        h = max(ctx.remaining_months for ctx in contexts)
        f = self.model.forecast_many(series, h)
        a = 0
        for out, (idx, ys) in zip(outs, parts, strict=True):
            out[idx] = f[a : a + len(ys), : out.shape[1]]
            a += len(ys)
        return outs


def default_methods(statistical: bool = True) -> list[DomainMethod]:
    """The standard set of year-end methods, domain methods first.

    Parameters
    ----------
    statistical : bool
        Include Theta, ETS and ARIMA (slower: about 100-1000 times the domain methods' cost).

    Returns
    -------
    list of DomainMethod
    """
    methods: list[DomainMethod] = [
        RunRate(),
        LastYearProfile(),
        AverageProfile(),
        BudgetBased(),
        SeasonalNaive(),
        Disposition(),
    ]
    if statistical:
        methods += [
            StatisticalAdapter(model=ThetaMethod()),
            StatisticalAdapter(model=ETSMethod()),
            StatisticalAdapter(model=ARIMAMethod()),
        ]
    return methods

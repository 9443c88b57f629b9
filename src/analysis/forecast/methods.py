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
The default ETS (:class:`YearlyETS`) chooses its model once a year, at January, and re-estimates only that
model's parameters at the later origins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.forecast.statistical import (
    ETS_MODELS,
    ARIMAMethod,
    ETSMethod,
    StatisticalMethod,
    ThetaMethod,
    ets_fit,
    length_blocks,
)

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
    "YearlyETS",
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


_ETS_NAMES = {f"ETS({e},{t},{s})": i for i, (e, t, s) in enumerate(ETS_MODELS)}
_ETS_CHUNK = 64  # rows per ets_fit pass (its memory grows with rows x parameter columns)
_ETS_FIXED_CHUNK = 256  # rows per pass of one given model (a few parameter columns each)
_M_ERROR = tuple(m for m in ETS_MODELS if m[0] == "M")
_A_ERROR = tuple(m for m in ETS_MODELS if m[0] == "A")


def _ets_passes(
    series: list[np.ndarray], h: int, chunk: int = _ETS_CHUNK, **rowwise
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~analysis.forecast.statistical.ets_fit` on series of any lengths, in passes of similar lengths.

    ``rowwise`` holds per-series arrays (``allowed``, ``start``) split with the series; ``rounds``,
    ``start_step``, ``models``, ``polish`` and ``polish_iters`` are passed on. Returns the forecasts
    ``(len(series), h)``, the chosen model's index in :data:`~analysis.forecast.statistical.ETS_MODELS` (-1 where
    no model could be fitted) and the parameters ``(len(series), 4)``.
    """
    scalar = {
        k: rowwise.pop(k)
        for k in ("rounds", "start_step", "models", "polish", "polish_iters")
        if k in rowwise
    }
    f = np.empty((len(series), h))
    model = np.full(len(series), -1)
    params = np.full((len(series), 4), np.nan)
    for idx, y, lengths in length_blocks(series, chunk):
        fit = ets_fit(y, h, lengths=lengths, **scalar, **{k: v[idx] for k, v in rowwise.items()})
        f[idx] = fit.forecast
        model[idx] = [_ETS_NAMES.get(str(name), -1) for name in fit.model]
        params[idx] = fit.params
    return f, model, params


@dataclass(frozen=True)
class YearlyETS(StatisticalAdapter):
    """ETS as a year-end method, its model chosen once a year, at the year's first origin.

    At the first origin of the year at which a row can be fitted (January, once the row has a complete
    earlier year) the model is chosen by AICc and its parameters estimated
    (:func:`~analysis.forecast.statistical.ets_fit`), on the complete earlier years and the booked months; at
    every origin of the year (January's too) that model's parameters are then re-estimated on the months known
    at the origin by ``refit_rounds`` rounds of the pattern search, started from January's with the step
    ``refit_step``, and it forecasts the rest of the year. With ``refit_rounds = 0`` the parameters are kept:
    the model's level, slope and seasonal states are run on through the months booked since January. Where the
    model cannot be used at a later origin (a month booked at zero or below under a multiplicative model) that
    origin chooses afresh, as :class:`ETSMethod`.

    The candidates (``error_by_sign``): for a strictly positive series the multiplicative-error models of
    :data:`~analysis.forecast.statistical.ETS_MODELS`, for any other the additive-error ones. The two error
    types share the state equations, so with the same parameters they forecast the same; they differ in the
    errors the likelihood weighs, and monthly spending is positive with errors that grow with its level. With
    ``error_by_sign=False`` all 15 compete.

    Nothing after an origin is used: the choice is made at or before every origin of its year. On the sample's
    domain series the yearly choice is at least as accurate as choosing the model at every origin
    (``StatisticalAdapter(model=ETSMethod())``, about five times the cost in the area report's back-test: 15
    models at 77 origins instead of 9 at 7): see docs/forecast.md, Speed. With ``error_by_sign=False``,
    ``choice_rounds=None``, ``choice_polish_iters=None`` and ``refit_rounds=0`` a choice month's forecast is
    :class:`ETSMethod`'s.

    Attributes
    ----------
    refit_rounds : int
        Rounds of the pattern search re-estimating the parameters at each origin (0: kept as chosen).
    refit_step : float
        The first step of that search in the unit cube of the parameters.
    choice_months : tuple of int
        The origins at which the model is chosen afresh (1: January); an origin uses the latest at or before
        it.
    choice_rounds : int or None
        Rounds of the pattern search of the choice (None: ``ets_fit``'s default, 24); the parameters are
        re-estimated at every origin anyway when ``refit_rounds > 0``.
    choice_polish_iters : int or None
        Newton iterations of the polish of the choice's best three models (``ets_fit``'s ``polish_iters``;
        None: its default, 12). The re-estimations at the origins are not polished: a few rounds of the
        pattern search from January's polished parameters.
    error_by_sign : bool
        Multiplicative-error candidates for a strictly positive series, additive-error ones otherwise.
    """

    name: str = "ets"
    label_da: str = ""
    model: StatisticalMethod = field(default_factory=ETSMethod)
    refit_rounds: int = 8
    refit_step: float = 0.0125
    choice_months: tuple[int, ...] = (1,)
    choice_rounds: int | None = 12
    choice_polish_iters: int | None = 4
    error_by_sign: bool = True

    def _choose(self, heads: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The model (index in ``ETS_MODELS``, -1 if none) and parameters chosen on each series."""
        model = np.full(len(heads), -1)
        params = np.full((len(heads), 4), np.nan)
        kw = {} if self.choice_rounds is None else {"rounds": self.choice_rounds}
        if self.choice_polish_iters is not None:
            kw["polish_iters"] = self.choice_polish_iters
        positive = np.array([bool((x > 0).all()) for x in heads])
        everything = np.ones(len(heads), dtype=bool)
        groups = [(positive, _M_ERROR), (~positive, _A_ERROR)] if self.error_by_sign else [(everything, None)]
        for rows, models in groups:
            i = np.flatnonzero(rows)
            if len(i):
                _, model[i], params[i] = _ets_passes(
                    [heads[j] for j in i], 1, **kw, **({} if models is None else {"models": models})
                )
        return model, params

    def remaining_many(self, contexts: list[YearContext]) -> list[np.ndarray]:
        """Every origin's rows: one choice per row and year (shared by its origins), then one pass for all."""
        outs = [np.full((ctx.n_rows, ctx.remaining_months), np.nan) for ctx in contexts]
        parts = [(ctx.m, *self._rows(ctx)) for ctx in contexts]
        series = [y for _, _, ys in parts for y in ys]
        if not series:
            return outs
        # the series as known at the latest choice month at or before the origin (the same for the origins
        # up to the next choice month; the origin itself where none can be fitted before it)
        heads, head_of = {}, []
        for m, _, ys in parts:
            for y in ys:
                years = (len(y) - m) // MONTHS
                fit_from = max(1, self.min_months - years * MONTHS)
                c = max((c for c in self.choice_months if fit_from <= c <= m), default=m)
                head = y[: years * MONTHS + c]
                head_of.append(heads.setdefault((len(head), head.tobytes()), len(heads)))
        model, params = self._choose([np.frombuffer(b) for _, b in heads])
        model, params = model[head_of], params[head_of]
        h = max(ctx.remaining_months for ctx in contexts)
        f = np.full((len(series), h), np.nan)
        fixed = np.flatnonzero(model >= 0)
        if len(fixed):
            allowed = np.zeros((len(fixed), len(ETS_MODELS)), dtype=bool)
            allowed[np.arange(len(fixed)), model[fixed]] = True
            f[fixed], used, _ = _ets_passes(
                [series[i] for i in fixed],
                h,
                chunk=_ETS_FIXED_CHUNK,
                allowed=allowed,
                start=params[fixed],
                rounds=self.refit_rounds,
                start_step=self.refit_step,
                polish=0,  # a short local re-estimation from January's parameters, already polished there
            )
            fixed = fixed[used >= 0]
        afresh = np.setdiff1d(np.arange(len(series)), fixed)
        if len(afresh):
            f[afresh] = _ets_passes([series[i] for i in afresh], h)[0]
        a = 0
        for out, (_, idx, ys) in zip(outs, parts, strict=True):
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
            YearlyETS(),
            StatisticalAdapter(model=ARIMAMethod()),
        ]
    return methods

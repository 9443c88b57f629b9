"""ETS with its model chosen once a year (``YearlyETS``) and ``ets_fit``'s fixed-model and warm-start options."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.forecast.methods import StatisticalAdapter, YearContext, YearlyETS
from analysis.forecast.statistical import ETS_MODELS, ETSMethod, ets_fit

PATTERN = np.array([0.6, 0.8, 1.0, 1.0, 1.1, 1.2, 0.5, 0.9, 1.0, 1.1, 1.2, 1.6])


def seasonal_years(n_series: int = 3, n_years: int = 5, seed: int = 11) -> np.ndarray:
    """Positive monthly spending (DKK), ``(S, Y, 12)``: a season, growth and noise."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(1e6, 5e6, (n_series, 1, 1)) * 1.03 ** np.arange(n_years)[None, :, None]
    return level * PATTERN * np.exp(rng.normal(0, 0.05, (n_series, n_years, 12)))


def contexts(years: np.ndarray) -> list[YearContext]:
    """The 11 origins of the last year, as the back-test builds them."""
    return [YearContext(ytd=years[:, -1, :m], history=years[:, :-1, :]) for m in range(1, 12)]


PLAIN = {"error_by_sign": False, "choice_rounds": None, "choice_polish_iters": None, "refit_rounds": 0}
# ETSMethod's choice, kept


def test_a_choice_month_is_the_per_origin_choice():
    """Where the choice is made (January; July too if asked) it is ETSMethod's fit of the same months."""
    years = seasonal_years()
    ctxs = contexts(years)
    every = StatisticalAdapter(model=ETSMethod()).remaining_many(ctxs)
    yearly = YearlyETS(**PLAIN).remaining_many(ctxs)
    np.testing.assert_allclose(yearly[0], every[0], rtol=1e-9)
    # later origins are the January model run on, not a new choice: they differ from the per-origin path
    assert not np.allclose(yearly[8], every[8], rtol=1e-6)
    twice = YearlyETS(**PLAIN, choice_months=(1, 7)).remaining_many(ctxs)
    for m in (1, 7):
        np.testing.assert_allclose(twice[m - 1], every[m - 1], rtol=1e-9)
    np.testing.assert_allclose(twice[5], yearly[5], rtol=1e-9)  # June still runs on January's model


def test_every_origin_of_the_year_refits_the_model_chosen_in_january():
    """The default: January's choice among the multiplicative-error models (the series is positive), whose
    parameters are re-estimated at each origin from January's; the same calls of ets_fit made by hand."""
    years = seasonal_years()
    s = years.shape[0]
    flat = years.reshape(s, -1)
    m_error = tuple(m for m in ETS_MODELS if m[0] == "M")
    january = ets_fit(flat[:, : 4 * 12 + 1], 1, models=m_error, rounds=12, polish_iters=4)
    assert all(name.startswith("ETS(M,") for name in january.model)
    allowed = np.array([[f"ETS({e},{t},{x})" == name for e, t, x in ETS_MODELS] for name in january.model])
    rem = YearlyETS().remaining_many(contexts(years))
    for m in (1, 5, 11):
        fit = ets_fit(flat[:, : 4 * 12 + m], 12 - m, allowed=allowed, start=january.params, rounds=8,
                      start_step=0.0125, polish=0)  # fmt: skip
        assert (fit.model == january.model).all()
        np.testing.assert_allclose(rem[m - 1], fit.forecast, rtol=1e-9)


def test_a_later_origin_runs_the_january_model_on_by_hand():
    """Simple exponential smoothing chosen in January and kept (``refit_rounds=0``): later origins filter the
    booked months with its alpha.

    One complete year and then January..m: 13 months at the choice, too short for a seasonal model. The series
    is level with noise, so the choice is a model without trend or season (asserted); its forecast at origin
    ``m`` is the level after the recursion ``l_t = alpha y_t + (1 - alpha) l_{t-1}`` through month ``m``, from
    the heuristic initial level (the intercept at t = 0 of the straight line through the first 10 months).
    """
    rng = np.random.default_rng(5)
    y = 1e6 * (1 + rng.normal(0, 0.05, 24))
    years = y.reshape(1, 2, 12)
    fit = ets_fit(y[None, :13], 1)
    assert fit.model[0] in ("ETS(A,N,N)", "ETS(M,N,N)")
    alpha = fit.params[0, 0]
    t = np.arange(1.0, 11.0)
    slope = np.polyfit(t, y[:10], 1)[0]
    level = y[:10].mean() - slope * t.mean()
    m = 7
    for value in y[: 12 + m]:
        level = alpha * value + (1 - alpha) * level
    rem = YearlyETS(**PLAIN).remaining(YearContext(ytd=years[:, -1, :m], history=years[:, :-1, :]))
    np.testing.assert_allclose(rem[0], np.full(12 - m, level), rtol=1e-9)


def test_a_row_the_model_cannot_take_later_chooses_afresh():
    """A month booked below zero after January rules out a multiplicative model: that origin chooses anew."""
    years = seasonal_years(n_series=1)
    first = ets_fit(np.concatenate([years[0, :-1].ravel(), years[0, -1, :1]])[None], 1)
    assert first.model[0].startswith("ETS(M")  # January's series is positive: a multiplicative model ...
    years[0, -1, 3] = -5e4  # ... and April is a correction below zero
    ctxs = contexts(years)
    yearly = YearlyETS().remaining_many(ctxs)
    every = StatisticalAdapter(model=ETSMethod()).remaining_many(ctxs)
    for m in range(4, 12):  # the origins that have booked April: the per-origin choice among additive models
        np.testing.assert_allclose(yearly[m - 1], every[m - 1], rtol=1e-9)
    assert np.isfinite(np.concatenate(yearly, axis=1)).all()


def test_refitting_at_later_origins_fits_at_least_as_well_as_not():
    """Re-estimating the parameters from January's can only raise the likelihood of the longer series."""
    years = seasonal_years()
    s = years.shape[0]
    y = years.reshape(s, -1)[:, :-3]  # through September of the last year
    first = ets_fit(years.reshape(s, -1)[:, : 4 * 12 + 1], 1)
    allowed = np.array([[f"ETS({e},{t},{x})" == name for e, t, x in ETS_MODELS] for name in first.model])
    kept = ets_fit(y, 3, allowed=allowed, start=first.params, rounds=0)
    refit = ets_fit(y, 3, allowed=allowed, start=first.params, rounds=12, start_step=0.0125)
    assert (kept.model == first.model).all() and (refit.model == first.model).all()
    assert (refit.aicc <= kept.aicc + 1e-9).all()
    assert (refit.aicc < kept.aicc - 1e-6).any()


def test_ets_fit_start_with_no_rounds_reproduces_the_fit():
    """The fitted parameters given back as ``start`` with ``rounds=0``: the same model, forecast and AICc."""
    y = seasonal_years().reshape(3, -1)
    fit = ets_fit(y, 6)
    allowed = np.array([[f"ETS({e},{t},{x})" == name for e, t, x in ETS_MODELS] for name in fit.model])
    again = ets_fit(y, 6, allowed=allowed, start=fit.params, rounds=0)
    assert (again.model == fit.model).all()
    np.testing.assert_allclose(again.forecast, fit.forecast, rtol=1e-9)
    np.testing.assert_allclose(again.params, fit.params, rtol=1e-9)
    np.testing.assert_allclose(again.aicc, fit.aicc, rtol=1e-9)


def test_ets_fit_allowed_restricts_the_choice_and_checks_its_shape():
    y = seasonal_years().reshape(3, -1)
    allowed = np.zeros((3, len(ETS_MODELS)), dtype=bool)
    allowed[:, ETS_MODELS.index(("A", "N", "N"))] = True
    assert (ets_fit(y, 2, allowed=allowed).model == "ETS(A,N,N)").all()
    with pytest.raises(ValueError, match="allowed must have shape"):
        ets_fit(y, 2, allowed=allowed[:2])
    with pytest.raises(ValueError, match="start must have shape"):
        ets_fit(y, 2, start=np.zeros((3, 3)))

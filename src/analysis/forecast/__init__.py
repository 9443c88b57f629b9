"""Year-end forecasts per area (regnskabsprognose) and a general-purpose monthly forecaster.

Modules
-------
``methods``
    The year-end methods of the finance units (run-rate, profiles, budget-based, seasonal naive, disposition)
    and an adapter for the statistical models, all with one vectorised interface.
statistical
    Theta, ETS and ARIMA in numpy, vectorised across series.
disposition
    Commitments from the cases table as of a date (running cases, expected starts and ends).
backtest
    Back-testing of every method at each month of every past year; error measures and summaries.
select
    The method per series (the combination unless one method is significantly better) with a Danish reason, and
    the year-end forecast with an 80 % interval.
total
    The sum of several areas' year-end forecasts with an interval from their back-tested errors summed per year.
drift
    The deviation of the forecast from the budget split into quantity drift and price drift.
area
    One area's year-end forecast as of a month: everything the forecast report shows, as frames.
auto
    :func:`auto_forecast` (contract): any monthly series, method chosen by rolling-origin back-testing.
metrics
    APE, sMAPE and MASE.
"""

from analysis.forecast.area import AreaForecast, area_forecast
from analysis.forecast.auto import AutoForecastResult, auto_forecast
from analysis.forecast.backtest import BacktestResult, LedgerPanel, backtest, ledger_panel
from analysis.forecast.disposition import case_months, commitment_rates, commitments
from analysis.forecast.drift import forecast_drift, split_drift
from analysis.forecast.methods import (
    AverageProfile,
    BudgetBased,
    Disposition,
    DomainMethod,
    LastYearProfile,
    RunRate,
    SeasonalNaive,
    StatisticalAdapter,
    YearContext,
    YearlyETS,
    default_methods,
)
from analysis.forecast.select import forecast_paths, forecast_year, reason_da, select_methods
from analysis.forecast.statistical import ARIMAMethod, ETSMethod, ThetaMethod

__all__ = [
    "ARIMAMethod",
    "AreaForecast",
    "AutoForecastResult",
    "AverageProfile",
    "BacktestResult",
    "BudgetBased",
    "Disposition",
    "DomainMethod",
    "ETSMethod",
    "LastYearProfile",
    "LedgerPanel",
    "RunRate",
    "SeasonalNaive",
    "StatisticalAdapter",
    "ThetaMethod",
    "YearContext",
    "YearlyETS",
    "area_forecast",
    "auto_forecast",
    "backtest",
    "case_months",
    "commitment_rates",
    "commitments",
    "default_methods",
    "forecast_drift",
    "forecast_paths",
    "forecast_year",
    "ledger_panel",
    "reason_da",
    "select_methods",
    "split_drift",
]

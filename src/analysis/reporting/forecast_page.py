"""The forecast report's text and tables, from an :class:`~analysis.forecast.area.AreaForecast`.

``notebooks/forecast.ipynb`` calls these and shows what they return; every figure and sentence with a number
in the report is made here (the charts are in :mod:`analysis.reporting.forecast_charts`).

Amounts are shown in mio. kr., with one decimal from 50 mio. kr. up and two below (:func:`amount_decimals`).

The choice of method (:meth:`ForecastReport.choice_text`) names the chosen method's error at the report month
and states the selection rule's evidence: the combination is used unless a single method hit significantly
better in the earlier years (the mean difference in percentage points and its uncertainty).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from analysis.forecast.area import AreaForecast
from analysis.forecast.disposition import MAX_EXPLAINED_SHARE, MIN_EXPLAINED_SHARE
from analysis.forecast.select import reason_da
from analysis.period import DataPeriod, data_period
from analysis.reporting import formatting as fmt

__all__ = ["ForecastReport", "amount_decimals", "span_text"]


def amount_decimals(forecast_dkk: float) -> int:
    """Decimals of mio. kr. in the report: 1 from 50 mio. kr. up, else 2 (the smaller areas)."""
    return 1 if abs(forecast_dkk) >= 50e6 else 2


def span_text(lower_dkk: float, upper_dkk: float, decimals: int, unit: bool = True) -> str:
    """An interval in mio. kr., e.g. ``'96,3-99,6 mio. kr.'`` (``'96,3-99,6'`` without the unit).

    Missing bounds (fewer than 3 back-tested years) give ``'ikke beregnet (for få år)'`` (with the unit) or
    :data:`~analysis.reporting.formatting.NA`.

    >>> span_text(96_312_000, 99_649_000, 1)
    '96,3-99,6 mio. kr.'
    >>> span_text(float("nan"), float("nan"), 1, unit=False)
    '–'
    """
    if not (np.isfinite(lower_dkk) and np.isfinite(upper_dkk)):
        return "ikke beregnet (for få år)" if unit else fmt.NA
    lo = fmt.fmt_number(lower_dkk / 1e6, decimals)
    hi = fmt.fmt_dkk(upper_dkk, decimals=decimals) if unit else fmt.fmt_number(upper_dkk / 1e6, decimals)
    return f"{lo}-{hi}"


def _sentence(text: str) -> str:
    """``text`` ending in one full stop (an amount ending in 'kr.' takes no second one)."""
    return text if text.endswith(".") else text + "."


@dataclass
class ForecastReport:
    """What the forecast report says about one area's forecast.

    Parameters
    ----------
    fc : AreaForecast
        The forecast.
    municipality : str
        The municipality's name as the report's heading writes it (e.g. 'Syddjurs Kommune').
    area_name : str
        The function area's Danish name.
    paragraphs : str
        The area's paragraphs, e.g. '§ 108'.
    stored : DataPeriod
        The latest booked month of the municipality's ledger in the warehouse (:func:`analysis.period.data_period`);
        the forecast uses the months up to ``fc.month`` only.
    first_year : int
        The first year of the data used.
    is_sample : bool
        Whether the warehouse is the synthetic sample.
    price_index : str
        The price-and-wage index the budget price was raised with and its source, in Danish (e.g. 'pris- og
        lønindeks for kommunale serviceudgifter (...)'); empty when the forecast had none.
    """

    fc: AreaForecast
    municipality: str
    area_name: str
    paragraphs: str
    stored: DataPeriod
    first_year: int
    is_sample: bool = False
    price_index: str = ""

    # ------------------------------------------------------------------ basics

    @property
    def decimals(self) -> int:
        """Decimals of mio. kr. (see :func:`amount_decimals`)."""
        return amount_decimals(self.fc.forecast_dkk)

    def mio(self, x: float) -> str:
        """An amount in mio. kr. with the report's decimals."""
        return fmt.fmt_dkk(x, decimals=self.decimals)

    def signed_mio(self, x: float) -> str:
        """An amount in mio. kr. with its sign, e.g. '+1,25 mio. kr.' ('0,00 mio. kr.' has none)."""
        return fmt.fmt_dkk(x, decimals=self.decimals, sign=True)

    @property
    def month_name(self) -> str:
        """The origin month in Danish, e.g. 'september'."""
        return fmt.MONTHS_DA[self.fc.month - 1]

    @property
    def used(self) -> DataPeriod:
        """The data period the forecast uses: the ledger as known at the end of the origin month."""
        return data_period(pd.DataFrame({"year": [self.fc.year], "month": [self.fc.month]}))

    @property
    def title(self) -> str:
        """The report's heading: municipality, area and paragraphs."""
        return f"{self.municipality}: {self.area_name.lower()} ({self.paragraphs})"

    @property
    def period_text(self) -> str:
        """The data period, e.g. '2018-2025 (2025 til og med september)'."""
        return self.used.period_text(self.first_year, self.fc.year)

    # ------------------------------------------------------------------ headline

    def data_text(self) -> str:
        """The headline's sentence on the data period and what the warehouse holds beyond the origin."""
        fc = self.fc
        text = (
            f"bogføringen januar {self.first_year} til og med {fmt.fmt_month(fc.year, fc.month)}; "
            f"{fc.year} er ikke afsluttet i de data, prognosen bygger på."
        )
        later = self.stored.months_booked(fc.year) > fc.month or (
            self.stored.latest_year is not None and self.stored.latest_year > fc.year
        )
        if later:
            text += (
                f" Lageret har bogføring til og med {self.stored.through_text()}; prognosen ser bort fra de "
                f"senere måneder, som var den lavet ved udgangen af {self.month_name}."
            )
        return text

    def deviation_text(self) -> str:
        """The forecast against the budget, or that there is no budget."""
        fc = self.fc
        dev = fc.forecast_dkk - fc.budget_dkk
        if not (np.isfinite(dev) and fc.budget_dkk):
            return f"Der er intet budget for {fc.year} i data."
        side = "over" if dev > 0 else "under"
        return _sentence(
            f"Prognosen ligger {self.mio(abs(dev))} ({fmt.fmt_pct(abs(dev) / fc.budget_dkk)}) {side} "
            f"budgettet på {self.mio(fc.budget_dkk)}"
        )

    def headline_text(self) -> str:
        """The index's sentence beside the deviation: forecast and budget, not the deviation itself.

        The index shows the deviation in mio. kr. with one decimal; the sentence gives the two amounts it is the
        difference of (with the report's decimals) and the deviation in per cent, so that no amount stands twice
        with two roundings.
        """
        fc = self.fc
        dev = fc.forecast_dkk - fc.budget_dkk
        if not (np.isfinite(dev) and fc.budget_dkk):
            return f"Der er intet budget for {fc.year} i data. Bogføring til og med {self.month_name}."
        return (
            f"Prognose {self.mio(fc.forecast_dkk)} mod budget {self.mio(fc.budget_dkk)} "
            f"({fmt.fmt_pct(dev / fc.budget_dkk, sign=True)}), bogføring til og med {self.month_name}."
        )

    def split_text(self) -> str:
        """The headline's quantity and price split, or why the deviation is not split."""
        d = self.fc.split
        if d is None:
            return f"Afvigelsen deles ikke i mængde og pris. {self.no_split_reason()}"
        return (
            f"{self.signed_mio(d['quantity_drift_dkk'])} fra antallet af helårspersoner "
            f"({fmt.fmt_number(d['forecast_quantity'], 1)} mod {fmt.fmt_number(d['budget_quantity'], 1)} i "
            f"budgettet), {self.signed_mio(d['price_drift_dkk'])} fra prisen pr. helårsperson "
            f"({self.price(d['forecast_price_dkk'])} mod {self.price(d['budget_price_dkk'])}"
            f"{', faste ' + str(self.fc.year) + '-priser' if self.price_index else ''})."
        )

    def no_split_reason(self) -> str:
        """Why the deviation cannot be split into quantity and price (the coverage test, in Danish)."""
        fc = self.fc
        cov = fc.coverage
        prev = fc.year - 1
        if cov is None or cov["reason"] == "no_activity":
            return f"Der er ingen helårspersoner for {prev} i aktivitetsdata, så budgettets pris kendes ikke."
        if cov["reason"] == "no_cases":
            return (
                f"Der er ingen sager på området i sagsdata, så antallet af helårspersoner i {fc.year} kendes "
                "ikke før regnskabet."
            )
        if cov["reason"] == "not_covered":
            tol = fmt.fmt_pct(cov["tolerance"], 0)
            return (
                f"Sagsdata dækker ikke området: sagerne giver {fmt.fmt_number(cov['case_persons'], 1)} "
                f"helårspersoner i {prev} mod {fmt.fmt_number(cov['activity_persons'], 1)} i aktivitetsdata "
                f"({fmt.fmt_pct(abs(cov['ratio'] - 1), 0)} {'flere' if cov['ratio'] > 1 else 'færre'}; der kræves "
                f"højst {tol} forskel), så antallet af helårspersoner "
                f"i {fc.year} kendes ikke før regnskabet."
            )
        return f"Der er ingen pris pr. helårsperson for {prev} eller intet budget for {fc.year}."

    def choice_text(self) -> str:
        """Why the method was chosen: how close it hit at the report month, and the selection rule's evidence.

        The rule (:func:`~analysis.forecast.select.select_methods`): the combination, unless the best single
        method hit significantly better in the earlier years; the sentence gives the mean difference in
        percentage points and its uncertainty, never two rounded errors side by side.
        """
        fc = self.fc
        frame = fc.backtest.frame
        at = frame[(frame["method"] == fc.method) & (frame["month"] == fc.month)]
        text = reason_da(fc.label_da, at["ape_pct"].to_numpy(dtype=float), fc.month)
        rule = fc.selection.get("rule_text")
        return f"{text}. {rule}." if isinstance(rule, str) and rule else text + "."

    def summary_items(self) -> list[tuple[str, str]]:
        """The headline box: data period, forecast, budget, quantity and price, method, booked so far."""
        fc = self.fc
        items = [("Data", self.data_text())]
        if self.is_sample:
            items.append(("Eksempeldata", "tallene er syntetiske og ikke kommunens regnskab."))
        items += [
            (
                f"Prognose for {fc.year}",
                f"{self.mio(fc.forecast_dkk)} (80 %-interval "
                f"{span_text(fc.lower_dkk, fc.upper_dkk, self.decimals)}), ud fra bogføringen til og med "
                f"{self.month_name}.",
            ),
            ("Mod budgettet", self.deviation_text()),
            ("Mængde og pris", self.split_text()),
            ("Valgt metode", self.choice_text()),
        ]
        booked = f"{self.mio(fc.ytd_dkk)}"
        if fc.budget_dkk and np.isfinite(fc.budget_dkk):
            booked += f", {fmt.fmt_pct(fc.ytd_dkk / fc.budget_dkk)} af budgettet"
        items.append((f"Bogført til og med {self.month_name}", _sentence(booked)))
        return items

    def summary_html(self) -> str:
        """The headline box as HTML."""
        return fmt.summary_box(self.summary_items())

    # ------------------------------------------------------------------ tables

    def as_of_frame(self) -> pd.DataFrame:
        """The forecast as of each month so far (mio. kr.), with the Danish column names shown."""
        t = self.fc.as_of.reset_index()
        d = self.decimals
        return pd.DataFrame(
            {
                "Måned": [fmt.MONTHS_DA[k - 1].capitalize() for k in t["month"]],
                "Bogført i måneden": t["actual_dkk"] / 1e6,
                "Bogført i alt": t["ytd_dkk"] / 1e6,
                "Prognose for året": t["forecast_dkk"] / 1e6,
                "80 %-interval": [
                    span_text(lo, hi, d, unit=False)
                    for lo, hi in zip(t["lower_dkk"], t["upper_dkk"], strict=True)
                ],
                "Mod budget": t["deviation_dkk"] / 1e6,
            }
        )

    def as_of_table(self) -> str:
        """HTML of :meth:`as_of_frame`, its caption giving the budget."""
        one = partial(fmt.fmt_number, decimals=self.decimals)
        return fmt.table_html(
            self.as_of_frame(),
            caption=f"Mio. kr. Budget {self.fc.year}: {self.mio(self.fc.budget_dkk)}",
            formats={
                "Bogført i måneden": one,
                "Bogført i alt": one,
                "Prognose for året": one,
                "Mod budget": partial(fmt.fmt_number, decimals=self.decimals, sign=True),
            },
        )

    @property
    def compared_text(self) -> str:
        """The back-tested years the comparison covers, e.g. '2020-2024'."""
        years = self.fc.compared_years
        return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])

    def methods_frame(self) -> pd.DataFrame:
        """One row per method, lowest mean error first: this year's forecast (mio. kr.), interval and errors."""
        mt = self.fc.methods.sort_values("mean_ape_pct", kind="stable")
        d = self.decimals
        return pd.DataFrame(
            {
                "Metode": [
                    f"{lab} (valgt)" if s else lab
                    for lab, s in zip(mt["label_da"], mt["selected"], strict=True)
                ],
                f"Prognose {self.fc.year}": (mt["forecast_dkk"] / 1e6).to_numpy(),
                "80 %-interval": [
                    span_text(lo, hi, d, unit=False)
                    for lo, hi in zip(mt["lower_dkk"], mt["upper_dkk"], strict=True)
                ],
                "Alle måneder": (mt["mean_ape_pct"] / 100).to_numpy(),
                f"I {self.month_name}": (mt["ape_at_month_pct"] / 100).to_numpy(),
                "Måned for måned": (mt["mean_smape_pct"] / 100).to_numpy(),
            }
        )

    def methods_table(self) -> str:
        """HTML of :meth:`methods_frame`."""
        return fmt.table_html(
            self.methods_frame(),
            caption=(
                f"Prognose og interval i mio. kr.; gennemsnitlig afvigelse i de afprøvede år {self.compared_text}"
            ),
            formats={
                f"Prognose {self.fc.year}": partial(fmt.fmt_number, decimals=self.decimals),
                "Alle måneder": fmt.fmt_pct,
                f"I {self.month_name}": fmt.fmt_pct,
                "Måned for måned": fmt.fmt_pct,
            },
        )

    def split_frame(self) -> pd.DataFrame | None:
        """Budget and forecast as persons x price, and the split of the difference; None where not split."""
        d = self.fc.split
        if d is None:
            return None
        rows = [
            ("Budget", d["budget_quantity"], d["budget_price_dkk"], d["budget_dkk"]),
            ("Prognose", d["forecast_quantity"], d["forecast_price_dkk"], d["forecast_dkk"]),
            (
                "Forskel",
                d["forecast_quantity"] - d["budget_quantity"],
                d["forecast_price_dkk"] - d["budget_price_dkk"],
                d["deviation_dkk"],
            ),
            ("Heraf mængde", d["forecast_quantity"] - d["budget_quantity"], np.nan, d["quantity_drift_dkk"]),
            ("Heraf pris", np.nan, d["forecast_price_dkk"] - d["budget_price_dkk"], d["price_drift_dkk"]),
        ]
        return pd.DataFrame(rows, columns=["", "Helårspersoner", "Pris pr. helårsperson", "Udgift"])

    def budget_price_text(self) -> str:
        """How the budget price was set: last year's price, raised with the P/L index when there was one."""
        d, prev = self.fc.split if self.fc.split is not None else self.fc.drift, self.fc.year - 1
        if d is None or not self.price_index or "price_factor" not in d:
            return f"prisen pr. helårsperson i {prev} uden fremskrivning"
        return (
            f"prisen pr. helårsperson i {prev} ({self.price(d['last_year_price_dkk'])}) fremskrevet til faste "
            f"{self.fc.year}-priser med pris- og lønudviklingen ({fmt.fmt_pct(d['price_factor'] - 1, sign=True)}): "
            f"{self.price(d['budget_price_dkk'])}"
        )

    def price_method_text(self) -> str:
        """The method section's line on the budget price: last year's, raised with which index (or not)."""
        prev = self.fc.year - 1
        if not self.price_index:
            return f"Budgetprisen er prisen i {prev} uden fremskrivning"
        return f"Budgetprisen er prisen i {prev} fremskrevet til faste {self.fc.year}-priser med {self.price_index}"

    def price(self, x: float) -> str:
        """A price per full-year person in t.kr.; one decimal below 1.000 t.kr., so small differences show."""
        d = self.fc.split if self.fc.split is not None else self.fc.drift
        small = d is not None and abs(float(d.get("budget_price_dkk", np.nan))) < 1e6
        return fmt.fmt_dkk(x, unit="t", decimals=1 if small else 0)

    def split_intro(self) -> str:
        """The sentence before the split table: the convention and the coverage test that allowed it."""
        fc, d, cov = self.fc, self.fc.split, self.fc.coverage
        if d is None:
            return f"Afvigelsen deles ikke i mængde og pris. {self.no_split_reason()}"
        prev = fc.year - 1
        return (
            f"Sagsdata dækker området: sagerne giver {fmt.fmt_number(cov['case_persons'], 1)} helårspersoner i "
            f"{prev} mod {fmt.fmt_number(cov['activity_persons'], 1)} i aktivitetsdata (højst "
            f"{fmt.fmt_pct(cov['tolerance'], 0)} forskel kræves). Budgettet læses som antal helårspersoner "
            f"gange budgetprisen: {_sentence(self.budget_price_text())} Prognosens antal er de "
            f"{fmt.fmt_number(d['last_year_quantity'], 1)} helårspersoner i {prev} ganget med udviklingen i "
            f"sagerne: {fmt.fmt_pct(d['caseload_index'] - 1, sign=True)} sagsmåneder i år "
            "(bogførte og forventede) mod sidste år. Mængdeafvigelsen er forskellen i antal gange budgetprisen, "
            "prisafvigelsen forskellen i pris gange prognosens antal."
        )

    def split_table(self) -> str:
        """HTML of :meth:`split_frame`, or an empty string where the deviation is not split."""
        frame = self.split_frame()
        if frame is None:
            return ""
        formats = {
            "Helårspersoner": lambda x: fmt.fmt_number(x, 1),
            "Pris pr. helårsperson": self.price,
            "Udgift": self.mio,
        }
        return fmt.table_html(frame, formats=formats)

    # ------------------------------------------------------------------ method notes

    def disposition_text(self) -> str:
        """The method section's line on the disposition (known cases)."""
        if not self.fc.uses_cases:
            return "sagsdata dækker ikke området, så metoden indgår ikke."
        text = (
            "løbende sager, som de var kendt ved månedens udgang, gange månedlig pris for resten af året plus "
            "forventede nye sager og afgange ud fra de seneste 12 måneder."
        )
        share = getattr(self.fc, "explained_share", None)
        if share is not None and np.isfinite(share):
            months = "januar" if self.fc.month == 1 else f"januar-{fmt.MONTHS_DA[self.fc.month - 1]}"
            text += (
                f" Afstemt mod bogføringen forklarer sagernes månedlige priser {fmt.fmt_pct(share, 0)} af de "
                f"bogførte udgifter på området i {months} {self.fc.year}. For resten (fx fællesudgifter og "
                "posteringer uden cpr-nummer) opregnes disponeringen med den andel af det bogførte, sagerne "
                f"forklarede i de samme måneder sidste år, når den ligger mellem {fmt.fmt_pct(MIN_EXPLAINED_SHARE, 0)} "
                f"og {fmt.fmt_pct(MAX_EXPLAINED_SHARE, 0)} (ellers uopregnet)."
            )
        if self.is_sample:
            text += " I eksempeldata er sagerne dannet, så de forklarer omkring 90 % af bogføringen."
        return text

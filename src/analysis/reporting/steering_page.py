"""The steering-models report of one municipality (notebooks/steering_models.ipynb).

Reads one function area's cases and activity from the warehouse (:func:`read_demand`), replays the years under the
three models (:mod:`analysis.steering_models`) and writes the comparison in Danish: the six criteria side by side,
the parties' results year by year, and a chart of paid capacity against demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pandas as pd

from analysis import steering_models as sm
from analysis.danish import fmt_dkk, fmt_number
from analysis.data import queries
from analysis.errors import DataError
from analysis.reporting.html import table_html

__all__ = [
    "SteeringResult",
    "compute",
    "criteria_table",
    "demand_figure",
    "method_text",
    "read_demand",
    "summary_items",
    "years_table",
]

mio = partial(fmt_dkk, unit="mio")
#: Smallest number of citizens shown for a month (rendered tables and charts suppress smaller groups).
MIN_GROUP = 5


def read_demand(
    con, municipality_code: int, function_code: str, years: tuple[int, int], provider: str = "internal"
):
    """Monthly residents (from cases) and the rate per resident-month (from activity) of one function area.

    Residents of a month are the distinct persons with a case of the function area and provider running in it
    (:func:`analysis.steering_models.monthly_residents`); the rate is the year's spending of the provider divided by
    its full-year persons and 12 (:func:`analysis.steering_models.resident_rates`).

    Returns
    -------
    pandas.DataFrame
        ``year``, ``month``, ``residents``, ``rate_dkk``.

    Raises
    ------
    DataError
        When the warehouse holds no cases or no activity for a year of the period.
    """
    cases = queries.cases(con, municipality_codes=[municipality_code], function_codes=[function_code])
    if cases.empty:
        raise DataError(
            f"the warehouse holds no cases of municipality {municipality_code} on {function_code}"
        )
    activity = queries.activity(
        con, function_codes=[function_code], years=years, municipality_codes=[municipality_code]
    )
    rates = sm.resident_rates(activity, function_code, provider)
    missing = sorted(set(range(years[0], years[1] + 1)) - set(rates.year))
    if missing:
        raise DataError(f"activity: no {provider} spending on {function_code} for {missing}")
    residents = sm.monthly_residents(cases, provider, years)
    return residents.merge(rates, on="year", how="left")


@dataclass(frozen=True)
class SteeringResult:
    """The replay, the years, the measured comparison and the six criteria."""

    demand: pd.DataFrame
    replayed: pd.DataFrame
    years: pd.DataFrame
    compared: pd.DataFrame
    criteria: pd.DataFrame
    threshold: float


def compute(demand: pd.DataFrame, threshold: float) -> SteeringResult:
    """Replay and compare (see :mod:`analysis.steering_models`)."""
    replayed = sm.replay(demand, threshold)
    compared = sm.compare(replayed)
    return SteeringResult(
        demand, replayed, sm.yearly_results(replayed), compared, sm.criteria(compared), threshold
    )


def _figure_text(measure: str, value) -> str:
    if isinstance(value, str):
        return value
    if "(kr.)" in measure:
        return mio(value)
    if "måneder" in measure and value != value:
        return "ingen ændringer"
    return fmt_number(value, 1)


def criteria_table(r: SteeringResult) -> str:
    """The six criteria (seven rows: predictability for each party) side by side, as HTML."""
    c = r.criteria
    models = list(sm.MODELS.values())
    shown = pd.DataFrame(
        {
            "Kriterium": c.criterion,
            "Målt eller vurderet": c.kind.map({"målt": "Målt", "vurdering": "Vurdering"}),
            # the figures carry their unit (mio. kr.); the measures' "(kr.)" is for the frame's own DKK values
            "Mål": c.measure.str.replace(" (kr.)", "", regex=False).replace("", "–"),
            **{m: [_figure_text(ms, v) for ms, v in zip(c.measure, c[m], strict=True)] for m in models},
        }
    )
    return table_html(shown, caption="De seks kriterier; forudsigelighed er målt for hver part")


def years_table(r: SteeringResult) -> str:
    """Each year: the deviation and who carries it in each model (DKK; positive = a cost to the party), as HTML."""
    y = r.years.pivot(index="year", columns="model", values="provider_dkk")
    a = r.years.pivot(index="year", columns="model", values="authority_dkk")
    dev = r.years[r.years.model == "bum"].set_index("year").deviation_dkk
    shown = pd.DataFrame({"År": dev.index, "Afvigelse": dev.to_numpy()})
    for key, name in sm.MODELS.items():
        shown[f"{name}: myndighed"] = -a[key].to_numpy()
        shown[f"{name}: udfører"] = -y[key].to_numpy()
    return table_html(
        shown,
        formats={col: mio for col in shown.columns if col != "År"},
        caption="Hvem bærer afvigelsen: udgift ud over budgettet (negativ: et mindreforbrug, der bliver hos parten)",
    )


def demand_figure(r: SteeringResult):
    """Residents and paid capacity month by month under each model; None when a month has 1-4 residents.

    The figure is returned closed (detached from pyplot); the notebook shows it with ``formatting.show``.
    """
    d = r.demand
    if ((d.residents > 0) & (d.residents < MIN_GROUP)).any():
        return None
    import matplotlib.pyplot as plt

    from analysis.reporting.charts import FIGSIZE, PALETTE, number_axis

    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 3.2))
    x = pd.PeriodIndex.from_fields(year=d.year, month=d.month, freq="M").to_timestamp()
    ax.plot(x, d.residents.to_numpy(), color="black", lw=2, label="Beboere (efterspørgsel)")
    for i, (key, name) in enumerate(sm.MODELS.items()):
        m = r.replayed[r.replayed.model == key]
        ax.step(
            x, m.paid_capacity.to_numpy(), where="post", color=PALETTE[i + 1], lw=1.2, label=f"Betalt: {name}"
        )
    number_axis(ax)
    ax.set_ylabel("Beboere pr. måned")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    plt.close(fig)  # shown once, where the notebook calls fmt.show
    return fig


def summary_items(r: SteeringResult) -> list[tuple[str, str]]:
    """One Danish sentence per model: who carries the deviation, how fast capacity follows, settlements."""
    c = r.compared.set_index("model")
    total = float(r.years[r.years.model == "bum"].deviation_dkk.sum())
    first, last = int(r.years.year.min()), int(r.years.year.max())
    items = [
        (
            "Afvigelse",
            f"udgiften efter efterspørgslen lå {mio(abs(total))} {'over' if total >= 0 else 'under'} budgetterne "
            f"{first}-{last} tilsammen; modellerne fordeler den forskelligt mellem myndighed og udfører",
        )
    ]
    for key, name in sm.MODELS.items():
        x = c.loc[key]
        if x.lag_months != x.lag_months:
            lag = "har ingen ændringer at følge i perioden"
        elif x.lag_months == 0:
            lag = "følger efterspørgslen i samme måned"
        else:
            lag = f"følger efterspørgslen efter {fmt_number(x.lag_months, 1)} måneder i gennemsnit"
        settlements = fmt_number(x.settlements_per_year, 0 if x.settlements_per_year % 1 == 0 else 1)
        items.append(
            (
                name,
                f"myndigheden bærer {mio(x.authority_carries_dkk)}, udføreren {mio(x.provider_carries_dkk)}; "
                f"den betalte kapacitet {lag}; {settlements} "
                f"{'afregning' if x.settlements_per_year == 1 else 'afregninger'} om året",
            )
        )
    return items


def method_text(r: SteeringResult, function_name: str, is_sample: bool) -> str:
    """The report's 'Metode og data' section (Markdown, Danish)."""
    text = (
        "## Metode og data\n\n"
        f"- **Efterspørgsel:** antal beboere pr. måned på {function_name.lower()} hos kommunens egne tilbud, talt "
        "i sagsdata som de forskellige personer med en sag, der løber i måneden (startet senest den sidste dag og "
        "ikke afsluttet før den første).\n"
        "- **Takst:** årets udgift til kommunens egne tilbud i aktivitetsdata delt med antal helårspersoner og 12 "
        "måneder. Udførerens udgift er beboere gange takst: taksten antages at dække udgiften til en beboer.\n"
        "- **Budget:** myndigheden budgetterer i alle tre modeller med antal beboere i måneden før årets start "
        "(det første år: årets januar) gange årets takst.\n"
        "- **Takstafregning (BUM):** myndigheden betaler hver måned taksten for månedens beboere; en afregning om "
        "måneden.\n"
        "- **Fast ramme:** myndigheden betaler budgettet, uanset efterspørgslen; en afregning om året.\n"
        f"- **Ramme med regulering:** som den faste ramme, men når en måneds beboere afviger med mere end "
        f"{fmt_number(r.threshold * 100, 1)} % fra dem, rammen betaler for, betaler den for månedens beboere fra "
        "næste måned; uden efterregulering. En afregning ved årets start og en ved hver regulering.\n"
        "- **Hvem bærer afvigelsen:** myndighedens del er betalingen ud over budgettet, udførerens del er udgiften "
        "ud over betalingen; de to giver tilsammen afvigelsen.\n"
        "- **Forudsigelighed:** spredningen (standardafvigelsen) på hver parts årsresultat over årene.\n"
        "- **Dynamik:** for hver måned, hvor antal beboere ændrer sig, antal måneder til den betalte kapacitet igen "
        "er inden for en halv beboer af efterspørgslen; en ændring, der ikke følges før periodens slutning, tæller "
        "månederne til slutningen.\n"
        "- **Vurderinger:** retfærdighed i forhold til støttebehov og dialog kan tallene ikke måle; tabellen viser "
        "værktøjets vurdering, som styregruppen bør drøfte."
    )
    if is_sample:
        text += " Tallene er dannede eksempeldata, ikke en kommunes regnskab."
    return text

"""The text and the chart of the budget report (``notebooks/budget.ipynb``), from a computed budget.

The tables are :func:`analysis.reporting.rounds.budget_tables`; this module writes the heading, the summary box,
the bridge chart and the 'Metode og data' section in Danish, so that the notebook only calls and shows them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis import budget as budget_model
from analysis.danish import fmt_dkk, fmt_number, fmt_pct
from analysis.data.reference import municipalities, official_name
from analysis.reporting import charts

__all__ = [
    "bridge_figure",
    "heading",
    "headline_text",
    "method_text",
    "peer_names",
    "persons",
    "summary_items",
]

mio = partial(fmt_dkk, unit="mio")


def _signed(x: float) -> str:
    """An amount in mio. kr. with its sign, e.g. '+1,2 mio. kr.'."""
    return fmt_dkk(x, unit="mio", sign=True)


def persons(result: budget_model.BudgetResult) -> float:
    """Full-year persons of the budget year in total (all areas, paragraphs and providers)."""
    return float(budget_model.area_summary(result).full_year_persons.iloc[-1])


def peer_names() -> dict[int, str]:
    """The short name of every municipality by code (e.g. ``{706: 'Syddjurs'}``), for the peers' caption."""
    ref = municipalities()
    return dict(zip(ref["municipality_code"].astype(int), ref["municipality"], strict=True))


def heading(result: budget_model.BudgetResult) -> str:
    """The report's heading, e.g. 'Budgetforudsætninger 2026: Syddjurs Kommune' (the official name)."""
    return f"Budgetforudsætninger {result.year}: {official_name(result.municipality_code)}"


def summary_items(
    result: budget_model.BudgetResult, recorded: pd.Series | None, versions: pd.DataFrame | None = None
) -> list[tuple[str, str]]:
    """The report's summary box as (label, Danish sentence) pairs.

    Parameters
    ----------
    result : BudgetResult
        From :func:`analysis.reporting.rounds.compute_budget`.
    recorded : pandas.Series or None
        :func:`analysis.reporting.rounds.recorded_budget_version` (``version``, ``created_at``), None when the
        journal does not hold these assumptions.
    versions : pandas.DataFrame, optional
        :func:`analysis.reporting.rounds.budget_versions` (``version``, ``created_at``, ``amount_dkk``): the
        version these assumptions replace, or the latest version where it is not the one shown, is named.
    """
    y = result.year
    step = budget_model.bridge_steps(result).set_index("step").dkk
    demography = f"demografi {_signed(step.demography_dkk)}"
    if result.demography_assumed:
        growth = result.inputs.get("population_growth", 0.0)
        # no population figure for the budget year: the step is an assumption, not a measured change
        demography = (
            f"demografi ikke opgjort (intet befolkningstal for {y}; regnet som uændret)"
            if not growth
            else f"demografi {_signed(step.demography_dkk)} (antaget {fmt_pct(growth)} vækst om året; intet "
            f"befolkningstal for {y})"
        )
    drift = (
        f"drift (regnskab {result.base_year} mod budget {y - 1}) {_signed(step.drift_dkk)}, "
        if "drift_dkk" in step.index
        # no budget of last year (for an area or all): the bridge starts at the actual, the drift is not measured
        else f"drift ikke opgjort (budget {y - 1} mangler for et eller flere områder); fra regnskab {result.base_year} "
        f"{mio(step.base_dkk)}: "
    )
    items = [
        (f"Budgetbehov {y}", f"{mio(result.total_dkk)} til {fmt_number(persons(result), 1)} helårspersoner"),
        (
            "Heraf",
            f"{drift}udvikling (trend) {_signed(step.trend_dkk)}, {demography}, pris og løn "
            f"{_signed(step.prices_dkk)}, beslutninger {_signed(step.decisions_dkk)}",
        ),
        ("Registreret", _recorded_text(result, recorded, versions)),
    ]
    last = step.get("last_budget_dkk")
    if last is not None:
        change = result.total_dkk - last
        items.insert(
            1, (f"Mod budget {y - 1}", f"{_signed(change)} ({fmt_pct(change / last)}) fra {mio(last)}")
        )
    return items


def _recorded_text(
    result: budget_model.BudgetResult, recorded: pd.Series | None, versions: pd.DataFrame | None
) -> str:
    """Which recorded version holds the assumptions shown, the one it replaces, or the latest one if not these."""
    v = versions if versions is not None and len(versions) else None
    latest = v.iloc[-1] if v is not None else None
    follow = (
        f"den seneste registrerede version, som opfølgningen måler mod, er version {int(latest.version)} fra "
        f"{str(latest.created_at)[:10]} ({mio(latest.amount_dkk)})."
        if latest is not None
        else ""
    )
    if recorded is None:
        if latest is None:
            return (
                "ikke registreret endnu: forudsætningerne er ikke gemt som en version i værktøjets journal."
            )
        return (
            f"ikke registreret: forudsætningerne er ikke gemt som en version i værktøjets journal; {follow}"
        )
    text = (
        f"version {recorded.version} af budgetforudsætningerne for {result.year} ({recorded.created_at[:10]})"
    )
    if latest is not None and int(latest.version) != int(recorded.version):
        return f"{text}, men {follow}"
    before = v[v["version"] < int(recorded.version)] if v is not None else None
    if before is None or before.empty:
        return f"{text}."
    p = before.iloc[-1]
    return (
        f"{text}; den erstatter version {int(p.version)} fra {str(p.created_at)[:10]} ({mio(p.amount_dkk)}, "
        f"{_signed(result.total_dkk - p.amount_dkk)} nu)."
    )


def bridge_figure(result: budget_model.BudgetResult) -> Figure:
    """Floating bars from last year's budget (or the base year's actual) step by step to the budget need.

    The first and last bars (levels) are grey, increases rust, decreases olive; the axis (mio. kr.) starts above
    zero, at 90 % of the lowest level.
    """
    steps = budget_model.bridge_steps(result)
    fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], 3.0))
    ends = [0, len(steps) - 1]
    colour = [
        charts.PALETTE[5] if i in ends else charts.PALETTE[2] if v > 0 else charts.PALETTE[3]
        for i, v in enumerate(steps.dkk)
    ]
    low = steps[["start_dkk", "end_dkk"]].min(axis=1)
    ax.bar(range(len(steps)), (steps.end_dkk - steps.start_dkk).abs(), bottom=low, color=colour, width=0.6)
    ax.set_xticks(range(len(steps)), steps.short, fontsize=7.5)
    charts.dkk_axis(ax, unit="mio")
    ax.set_ylim(steps.end_dkk.min() * 0.9, steps.end_dkk.max() * 1.03)
    plt.close(fig)
    return fig


def method_text(
    result: budget_model.BudgetResult, names: dict[str, str], decisions_file: str, is_sample: bool
) -> str:
    """The report's 'Metode og data' section (Markdown, Danish).

    Parameters
    ----------
    result : BudgetResult
        Its ``inputs`` give the trend years, the price and population growth (fractions a year) and the step
        toward the peers.
    names : dict
        Danish name per function code (for the areas without a trend).
    decisions_file : str
        The decisions file as given to the report; empty for none.
    is_sample : bool
        Whether the warehouse holds the generated sample (adds a sentence saying so).
    """
    i = result.inputs
    trend_years, base = i["trend_years"], result.base_year
    trend = f"over de {trend_years} år til og med {base}" if trend_years else "ikke brugt (ingen år valgt)"
    if i["trend_missing"]:
        trend += (
            "; uden trend (for få år i data): "
            + ", ".join(names.get(c, c) for c in i["trend_missing"]).lower()
        )
    prices = (
        "fra pris- og lønindekset for kommunale serviceudgifter, det samme som rapporternes faste priser."
        if i["price_index"]
        else f"en antaget vækst på {fmt_pct(i['price_growth'])} om året (værktøjets antagelse, ikke et officielt "
        "skøn; brug KL's pris- og lønskøn, når det foreligger)."
    )
    peers = (
        f"budgettet tager {fmt_pct(i['peer_step'], 0)} af vejen mod deres niveau, hvor kommunen ligger over."
        if i["peer_step"]
        else "de vises kun til sammenligning."
    )
    return (
        "## Metode og data\n\n"
        f"- **Grundlag:** aktivitetsdata (helårspersoner og udgift pr. paragraf og leverandør) for {base}; "
        "prisen er udgiften delt med antal helårspersoner.\n"
        f"- **Udvikling (trend):** den årlige ændring i antal helårspersoner pr. indbygger på 18-64 år, {trend}.\n"
        f"- **Demografi:** antal indbyggere på 18-64 år efter {budget_model.demography_text_da(result)}.\n"
        f"- **Pris og løn:** faktor {fmt_number(i['price_factor'], 4)}, {prices}\n"
        f"- **Sammenligningskommuner:** de {len(i.get('peer_codes') or [])} kommuner, der ligner mest på "
        f"strukturelle kendetegn i {base}; {peers}\n"
        "- **Beslutninger:** "
        + (
            f"fra beslutningsfilen {Path(decisions_file).name}, i filens rækkefølge."
            if decisions_file
            else "ingen."
        )
        + (" Tallene er dannede eksempeldata, ikke en kommunes regnskab." if is_sample else "")
    )


def headline_text(result: budget_model.BudgetResult) -> str:
    """The sentence beside the headline figure, e.g. 'Til 123,4 helårspersoner.'."""
    return f"Til {fmt_number(persons(result), 1)} helårspersoner."

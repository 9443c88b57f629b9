"""The text and the chart of the follow-up report (``notebooks/followup.ipynb``), from a follow-up report.

The tables are :func:`analysis.reporting.rounds.followup_tables`; this module writes the heading, the summary box,
the chart of the forecast month by month and the 'Metode og data' section in Danish, so that the notebook only
calls and shows them.
"""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from analysis.danish import MONTHS_DA, MONTHS_DA_SHORT, fmt_dkk, fmt_pct
from analysis.data.reference import official_name
from analysis.reporting import charts
from analysis.reporting.rounds import FollowupReport

__all__ = [
    "deviation_dkk",
    "heading",
    "headline_text",
    "history_figure",
    "method_text",
    "month_name",
    "previous_month_name",
    "summary_items",
]

mio = partial(fmt_dkk, unit="mio")


def _signed(x: float) -> str:
    """An amount in mio. kr. with its sign, e.g. '+1,2 mio. kr.'."""
    return fmt_dkk(x, unit="mio", sign=True)


def month_name(month: int) -> str:
    """The Danish name of ``month`` (1-12), e.g. 'september'."""
    return MONTHS_DA[month - 1]


def previous_month_name(month: int) -> str:
    """The Danish name of the month before ``month``; 'måneden før' for January."""
    return MONTHS_DA[month - 2] if month > 1 else "måneden før"


def deviation_dkk(rep: FollowupReport) -> float:
    """The year's forecast less the budget, all areas (DKK; positive: the forecast is above the budget)."""
    tot = rep.rows.iloc[-1]
    return float(tot.forecast_dkk - tot.budget_dkk)


def heading(municipality_code: int, year: int, month: int) -> str:
    """The report's heading, e.g. 'Syddjurs Kommune: opfølgning til og med september 2025' (the official name)."""
    return f"{official_name(municipality_code)}: opfølgning til og med {month_name(month)} {year}"


def summary_items(rep: FollowupReport, names: dict[str, str], year: int, month: int) -> list[tuple[str, str]]:
    """The report's summary box as (label, Danish sentence) pairs.

    Parameters
    ----------
    rep : FollowupReport
        :func:`analysis.reporting.rounds.followup_report`; its last row of ``rows`` is the total.
    names : dict
        Danish name per function code (for the area that moved most).
    year, month : int
        The year followed up and its last booked month (1-12).
    """
    tot = rep.rows.iloc[-1]
    dev = deviation_dkk(rep)
    items = [
        (
            f"Prognose for {year}",
            f"{mio(tot.forecast_dkk)}, {_signed(dev)} ({fmt_pct(dev / tot.budget_dkk)}) mod budgettet",
        ),
        (
            f"Bogført til og med {month_name(month)}",
            f"{mio(tot.booked_dkk)} mod {mio(tot.budget_to_date_dkk)} i budgettet til dato",
        ),
    ]
    if rep.budget_version is not None:
        split = (
            f"{_signed(tot.quantity_dkk)} fra antallet af helårspersoner, {_signed(tot.price_effect_dkk)} fra "
            f"prisen, {_signed(tot.budget_gap_dkk)} fra budget mod forudsætninger (version {rep.budget_version})"
        )
        areas = rep.rows.iloc[:-1]
        if "unsplit_dkk" in areas and areas["unsplit_dkk"].notna().any():
            # the rest of the deviation, so that the parts add up to it: areas the assumptions do not split
            n = int(areas["unsplit_dkk"].notna().sum())
            split += (
                f"; {_signed(tot.unsplit_dkk)} ikke delt ({n} {'område' if n == 1 else 'områder'} uden "
                "budgetforudsætninger eller helårspersoner)"
            )
        items.append(("Afvigelsen", split))
    if rep.previous is not None:
        top = rep.moved.iloc[0]
        quantity, price = abs(np.nan_to_num(top.quantity_dkk)), abs(np.nan_to_num(top.price_effect_dkk))
        cause = "mængde" if quantity >= price else "pris"
        change = f"prognosen i alt {_signed(rep.moved.change_dkk.sum())}; mest {names[top.name].lower()}"
        items.append(
            (f"Siden {previous_month_name(month)}", f"{change} ({_signed(top.change_dkk)}, mest {cause})")
        )
    items.append(("Journal", _journal_text(rep)))
    return items


def _journal_text(rep: FollowupReport) -> str:
    """Whether the journal holds the month as shown, and the version it replaced or that is out of date."""
    e = rep.earlier
    if rep.recorded:
        text = f"version {rep.version}, registreret {rep.created_at[:10]}"
        if e is not None:
            change = float(rep.rows.iloc[-1].forecast_dkk - e.forecast_dkk)
            text += (
                f"; erstatter version {int(e.version)} fra {str(e.created_at)[:10]} med prognosen "
                f"{mio(e.forecast_dkk)} ({_signed(change)} nu), lavet af data eller forudsætninger, der er ændret "
                "siden"
            )
        return text
    if e is None:
        return "ikke journaliseret: måneden er ikke gemt i værktøjets journal"
    return (
        f"ikke journaliseret med de nuværende data: journalens version {int(e.version)} fra "
        f"{str(e.created_at)[:10]} (prognose {mio(e.forecast_dkk)}) er lavet af data eller forudsætninger, der er "
        "ændret siden; kør analysis followup for at registrere en ny version"
    )


def history_figure(rep: FollowupReport) -> Figure | None:
    """The year's forecast as reported month by month (line) against the budget (mio. kr.); None before a record."""
    h = rep.history
    if h.empty:
        return None
    fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], 2.6))
    ax.plot(
        h.month, h.forecast_dkk, marker="o", color=charts.OWN_COLOUR, label="Årsprognose, som rapporteret"
    )
    ax.axhline(rep.rows.iloc[-1].budget_dkk, color=charts.PALETTE[2], linewidth=1.2, label="Budget")
    ax.set_xticks(range(1, 12), MONTHS_DA_SHORT[:11])
    ax.set_xlim(0.5, 11.5)
    charts.dkk_axis(ax, unit="mio")
    ax.legend(frameon=False, fontsize=8)
    plt.close(fig)
    return fig


def method_text(year: int, month: int, is_sample: bool) -> str:
    """The report's 'Metode og data' section (Markdown, Danish).

    Parameters
    ----------
    year, month : int
        The year followed up and its last booked month (1-12).
    is_sample : bool
        Whether the warehouse holds the generated sample (adds a sentence saying so).
    """
    return (
        "## Metode og data\n\n"
        "- **Budget til dato:** årets korrigerede budget gange den andel af årets forbrug, områdets bogføring "
        f"plejer at nå til og med {month_name(month)} (gennemsnit af de seneste tre hele år), ikke en tolvtedel pr. "
        "måned.\n"
        "- **Prognosen:** prognosemotorens metode pr. område (kombinationen af de metoder, der har ramt bedst i "
        "de tidligere år, medmindre én metode har ramt signifikant bedre), med 80 %-interval. I alt er summen af "
        "områdernes prognoser; dens interval er lavet af områdernes afvigelser lagt sammen år for år i de "
        "tidligere år (så områder, der plejer at trække hver sin vej, udligner hinanden), ikke af områdernes "
        "grænser lagt sammen; journalen registrerer også intervallet for i alt (en opfølgning, der blev registreret, "
        "før journalen fik det, viser intet interval for i alt).\n"
        "- **Mængde og pris:** prognosens helårspersoner er sidste års gange udviklingen i sagerne (hvor der er "
        "sager), ellers sidste års; forudsætningerne er den seneste registrerede version af budgetforudsætningerne.\n"
        "- **Journalen:** hver opfølgning registreres med et fingeraftryk af de data, den bygger på (bogføringen til "
        f"og med måneden og i de tidligere år, prognosen læser, budgetter, aktivitet og sager, regnskab og "
        f"forudsætninger for {year}); uændrede data giver ingen ny "
        "version, ændrede data en ny, og de gamle bevares. Sammenligningen med sidste måned bruger den "
        "journaliserede opfølgning, ikke en ny beregning."
        + (" Tallene er dannede eksempeldata, ikke en kommunes regnskab." if is_sample else "")
    )


def headline_text(rep: FollowupReport, month: int) -> str:
    """The sentence beside the headline figure: the forecast against the budget and the last booked month."""
    tot = rep.rows.iloc[-1]
    return (
        f"Årsprognose {mio(tot.forecast_dkk)} mod budget {mio(tot.budget_dkk)}, bogføring til og med "
        f"{month_name(month)}."
    )

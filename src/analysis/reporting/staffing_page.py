"""The staffing report of one offer (notebooks/staffing.ipynb) and the text of ``analysis staffing``.

Glue between :mod:`analysis.data.offers` (the offer file) and :mod:`analysis.managers` (the figures): it computes
every figure once (:func:`compute`) and writes them in Danish, as lines for the terminal (:func:`text_lines`) and
as HTML tables for the report (:func:`tables`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from analysis import managers
from analysis.danish import MONTHS_DA, fmt_dkk, fmt_dkk_number, fmt_number, fmt_pct
from analysis.data.offers import Offer
from analysis.errors import InputError
from analysis.privacy import (
    SHOWN,
    column_view,
    disclosed_cells,
    secure_marks,
    suppression_marks,
    table_view,
    weighted_total,
    weighted_total_discloses,
)
from analysis.reporting.html import table_html
from analysis.reporting.suppression import suppressed_table_html, table_note_html

__all__ = [
    "IncomeDisclosure",
    "StaffingResult",
    "compute",
    "income_disclosure",
    "income_range_text",
    "method_text",
    "summary_items",
    "tables",
    "text_lines",
    "week_ranges",
    "weeks_figure",
]

kr = partial(fmt_dkk, unit="kr")
#: Smallest group of citizens shown in a table (a level with 1-4 residents is hidden, '<5').
MIN_GROUP = 5
hours = partial(fmt_number, decimals=1)


@dataclass(frozen=True)
class IncomeDisclosure:
    """What the report may show of the offer's income without giving a hidden level's residents away.

    Attributes
    ----------
    marks : pandas.Series
        The income table's suppression marks per row (levels, then 'I alt'), :func:`analysis.privacy.suppression_marks`
        checked with the what-if rows (:func:`income_disclosure`).
    exact : bool
        The total income (and the what-if table's incomes) may be shown exactly.
    count_shown : bool
        The total number of residents is shown (False only when the total itself is hidden).
    low, high : float or None
        With ``exact`` False: the least and the most the income can be for the distributions of the hidden
        residents consistent with the shown counts (DKK a year; public, since it follows from shown figures only);
        None when that cannot be worked out (counts that are not whole residents).
    months_exact : bool
        The monthly table's incomes may be shown.
    hidden_scenarios : tuple of int
        The what-if scenarios (positions in the offer's list) the report leaves out: a row in which residents
        leave a hidden level tells that it has at least that many, and these would give a level's count away
        whatever else is hidden (e.g. 4 residents leaving a level shown as '<5').
    """

    marks: pd.Series
    exact: bool
    count_shown: bool = True
    low: float | None = None
    high: float | None = None
    months_exact: bool = True
    hidden_scenarios: tuple[int, ...] = ()


def _whole(values) -> bool:
    return all(float(v).is_integer() for v in values)


def _months_exact(monthly: pd.DataFrame | None, rates: pd.DataFrame) -> bool:
    """Whether the monthly incomes may be shown beside each month's residents (see :func:`income_disclosure`)."""
    if monthly is None:
        return True
    weights = dict(enumerate(rates.rate_dkk.tolist()))
    for n in sorted(set(monthly.residents)):
        if 0 < n < MIN_GROUP:
            continue  # the month's residents and income are hidden anyway
        if not _whole([n]):
            return False
        # the month shows its residents and its income, nothing per level: each level holds 0 to n
        view = column_view([range(int(n) + 1)] * len(weights), int(n))
        if weighted_total_discloses(*view, weights, MIN_GROUP):
            return False
    return True


def income_disclosure(
    income: pd.DataFrame | None,
    rates: pd.DataFrame | None,
    scenarios=(),
    monthly: pd.DataFrame | None = None,
) -> IncomeDisclosure | None:
    """Decide which income figures the report may show (the rule of 'Metode og data', privacy).

    The income table shows the residents per level with levels of 1-4 residents hidden ('<5', and a level beside
    them 'x'); the rates per level are published. The what-if table beside it tells that a level residents leave
    from has at least that many: the table's marks are checked with that fact by the search of
    :func:`analysis.privacy.secure_marks` (the two tables' joint view), and a what-if row that would still give
    a hidden level away is left out of the what-if table. The total income is then shown exactly only when no
    distribution of the residents consistent with that view has an income that, with the rates, gives a hidden
    level away (:func:`analysis.privacy.weighted_total`, decided from the shown figures alone). Otherwise the
    income is shown as the range it lies in over those distributions, and the what-if table without incomes (its
    changes are rate differences, public). The monthly incomes, beside the residents per month and the rates,
    would show each month's distribution on levels: they are shown only when no distribution of that month's
    residents has an income giving a level of 1-4 residents away. (The monthly table and the income table share
    no figure: the months' residents are not the levels' residents, so there is nothing to search jointly.)

    Parameters
    ----------
    income : pandas.DataFrame or None
        :func:`analysis.managers.offer_income` (levels, then 'I alt').
    rates : pandas.DataFrame or None
        :func:`analysis.managers.level_rates`.
    scenarios : sequence of mappings
        The offer's what-if scenarios (``from_level``, ``count``).
    monthly : pandas.DataFrame, optional
        :func:`analysis.managers.monthly_income`.

    Returns
    -------
    IncomeDisclosure or None
        None without rates.
    """
    if rates is None:
        return None
    months_exact = _months_exact(monthly, rates)
    if income is None:
        return IncomeDisclosure(pd.Series(dtype=object), exact=True, months_exact=months_exact)
    levels = income.iloc[:-1]
    counts = income.residents.reset_index(drop=True)
    total_row = len(income) - 1
    marks = suppression_marks(counts, MIN_GROUP, total_row=total_row)
    whole = _whole(income.residents)
    # the what-if rows: residents leave a level from which at least that many can leave. Each scenario's fact
    # joins the search in turn; one that would give a hidden level away whatever else is hidden is left out
    row_of = {level: i for i, level in enumerate(levels.level)}
    relations: list = []
    hidden_scenarios = []
    for j, s in enumerate(scenarios):
        if s.get("from_level") is None or s["from_level"] not in row_of or not whole:
            continue
        fact = ({row_of[s["from_level"]]: 1}, int(s.get("count", 1)), None)
        if not (marks != SHOWN).any():
            relations.append(fact)
            continue
        view = {"total_row": total_row, "relations": [*relations, fact]}
        secured = secure_marks(counts, marks, MIN_GROUP, **view)
        if disclosed_cells(counts, secured, MIN_GROUP, **view):
            hidden_scenarios.append(j)
        else:
            relations.append(fact)
            marks = secured
    view = {"total_row": total_row, "relations": relations}
    hidden = (marks.iloc[:-1] != SHOWN).any()
    result = functools.partial(
        IncomeDisclosure, marks, months_exact=months_exact, hidden_scenarios=tuple(hidden_scenarios)
    )
    if not hidden:
        return result(exact=True)
    if marks.iloc[-1] != SHOWN or not whole:
        return result(exact=False, count_shown=marks.iloc[-1] == SHOWN)
    domains, constraints = table_view(counts, marks, MIN_GROUP, **view)
    rate = levels.rate_dkk.tolist()
    weights = {k: rate[k[1]] for k in domains}
    offset = sum(
        float(n) * r
        for i, (n, r) in enumerate(zip(levels.residents, rate, strict=True))
        if ("", i, "count") not in domains
    )
    total = weighted_total(domains, constraints, weights, MIN_GROUP, offset=offset)
    if total is not None and not total.disclosed:
        return result(exact=True)
    low, high = (None, None) if total is None else (total.low, total.high)
    return result(exact=False, low=low, high=high)


@dataclass(frozen=True)
class StaffingResult:
    """Every figure of one offer's report: the weeks, the year's summary and the allocation model's tables."""

    offer: Offer
    lost_shares: pd.Series
    weeks: pd.DataFrame
    summary: pd.Series
    mean_hourly_cost_dkk: float
    average_weekly_hours: float
    rates: pd.DataFrame | None
    income: pd.DataFrame | None
    what_if: pd.DataFrame | None
    monthly: pd.DataFrame | None = None
    disclosure: IncomeDisclosure | None = None


def compute(offer: Offer, municipality_code: int | None = None) -> StaffingResult:
    """Every figure of the report for one offer.

    Parameters
    ----------
    offer : Offer
        The offer (:func:`analysis.data.offers.read_offer`).
    municipality_code : int, optional
        The municipality the report is for; refused when the offer names another one.
    """
    if municipality_code is not None and offer.municipality_code != municipality_code:
        raise InputError(
            f"the offer {offer.offer!r} belongs to municipality {offer.municipality_code}, not {municipality_code}; "
            "give the offer file of that municipality"
        )
    lost = managers.weekly_lost_shares(offer.lost_share, offer.holiday_weeks)
    weeks = managers.staffing_weeks(
        offer.wage_budget_dkk, offer.groups, lost, offer.substitute_hourly_cost_dkk
    )
    summary = managers.staffing_summary(
        offer.wage_budget_dkk, offer.groups, weeks, offer.substitute_hourly_cost_dkk
    )
    g = offer.groups
    paid = g.paid_hours_per_week.sum()
    mean_cost = (
        float((g.paid_hours_per_week * g.hourly_cost_dkk).sum() / paid)
        if paid
        else float(g.hourly_cost_dkk.mean())
    )
    rates = income = table = monthly = None
    if offer.hourly_rate_dkk is not None:
        rates = managers.level_rates(
            offer.levels, offer.hourly_rate_dkk, offer.overhead_share, offer.overhead_per_resident_dkk
        )
        if not offer.residents.empty:
            income = managers.offer_income(rates, offer.residents)
            table = managers.what_if(rates, offer.residents, offer.scenarios)
        if not offer.residents_by_month.empty:
            monthly = managers.monthly_income(rates, offer.residents_by_month)
    return StaffingResult(
        offer,
        lost,
        weeks,
        summary,
        mean_cost,
        managers.weekly_hours(offer.wage_budget_dkk, mean_cost, offer.lost_share),
        rates,
        income,
        table,
        monthly,
        income_disclosure(income, rates, offer.scenarios, monthly),
    )


def week_ranges(weeks: pd.DataFrame) -> pd.DataFrame:
    """The weeks table with runs of consecutive weeks of the same figures joined into one row ('Uge 1-6').

    Returns the columns of :func:`analysis.managers.staffing_weeks` with ``week`` replaced by ``weeks`` (text) and
    a column ``n_weeks``.
    """
    values = weeks.drop(columns="week").round(6)
    new_run = (values != values.shift()).any(axis=1)
    run = new_run.cumsum()
    rows = []
    for _, part in weeks.groupby(run, sort=True):
        first, last = int(part.week.iloc[0]), int(part.week.iloc[-1])
        row = part.iloc[0].drop("week").to_dict()
        rows.append(
            {"weeks": f"Uge {first}" if first == last else f"Uge {first}-{last}", "n_weeks": len(part), **row}
        )
    return pd.DataFrame(rows)


def text_lines(r: StaffingResult) -> list[str]:
    """The figures of the offer in Danish, one line each, for the terminal."""
    o, s = r.offer, r.summary
    lines = [
        f"{o.offer}, {o.year}: lønbudget {kr(o.wage_budget_dkk)}",
        f"  Timer på gulvet i gennemsnit: {hours(r.average_weekly_hours)} timer pr. uge "
        f"(lønbudgettet / {kr(r.mean_hourly_cost_dkk)} pr. time x {fmt_pct(1 - o.lost_share)} / 52 uger)",
        f"  Fast personale: {hours(s.paid_hours_year / 52)} betalte timer pr. uge, {hours(s.floor_hours_per_week)} "
        f"timer på gulvet pr. uge i gennemsnit, {kr(s.permanent_dkk)} om året",
        f"  Plads til vikarer: {kr(s.substitute_room_dkk)} = {hours(s.substitute_room_hours)} vikartimer om året",
        f"  Vikarbehov efter vagtplanen: {hours(s.substitute_need_hours)} timer = {kr(s.substitute_need_dkk)}; "
        f"{'overskud' if s.balance_dkk >= 0 else 'underskud'} {kr(abs(s.balance_dkk))}",
        f"  Vagtplanen kræver et lønbudget på {kr(s.roster_budget_dkk)}",
        "  Uge for uge (betalte timer, timer på gulvet, vagtplan, vikarbehov, plads til vikarer):",
    ]
    for w in week_ranges(r.weeks).itertuples():
        lines.append(
            f"    {w.weeks:<10} {hours(w.paid_hours):>8} {hours(w.floor_hours):>8} {hours(w.planned_hours):>8} "
            f"{hours(w.substitute_need_hours):>8} {hours(w.substitute_room_hours):>8}   "
            f"(fravær {fmt_pct(w.lost_share)})"
        )
    if r.rates is not None:
        lines.append("  Takst pr. støttebehovsniveau (pr. borger og år):")
        for x in r.rates.itertuples():
            lines.append(
                f"    {x.level:<10} {hours(x.hours_per_week):>6} timer pr. uge  {kr(x.rate_dkk):>14}"
            )
    # the income as the report shows it (income_disclosure): exact, as a range, or not at all, never more
    d = r.disclosure
    if r.income is not None:
        residents = _residents(r.income.residents.iloc[-1])
        if d is None or d.exact:
            lines.append(f"  Indtægt i alt: {kr(r.income.income_dkk.iloc[-1])} for {residents} borgere")
        elif not d.count_shown or d.low is None:
            lines.append(
                "  Indtægt i alt: vises ikke, fordi den ville vise fordelingen på de skjulte niveauer "
                "(niveauer med færre end 5 borgere)"
            )
        else:
            lines.append(
                f"  Indtægt i alt: {income_range_text(d)} for {residents} borgere (den præcise indtægt ville vise "
                "fordelingen på de skjulte niveauer med færre end 5 borgere)"
            )
    if r.monthly is not None:
        x = r.monthly
        counts = pd.Series([*x.residents, x.residents.sum()])
        total_shown = suppression_marks(counts, MIN_GROUP, total_row=len(x)).iloc[-1] == SHOWN
        if (d is None or d.months_exact) and total_shown:
            lines.append(f"  Indtægt efter beboerne måned for måned: {kr(x.income_dkk.sum())} i året")
        else:
            lines.append(
                "  Indtægt efter beboerne måned for måned: vises ikke (sammen med taksterne ville den vise, hvor "
                "mange beboere der er på hvert niveau)"
            )
    if r.what_if is not None:
        for x in _shown_what_if(r).iloc[1:].itertuples():
            lines.append(f"    {x.scenario}: {fmt_dkk(x.change_dkk, unit='kr', sign=True)} om året")
    return lines


def tables(r: StaffingResult) -> dict[str, str]:
    """The report's tables as HTML: 'weeks', 'groups', 'rates', 'income', 'what_if' (the last three may be '')."""
    w = week_ranges(r.weeks)
    weeks = pd.DataFrame(
        {
            "Uger": w.weeks,
            "Fravær": w.lost_share,
            "Betalte timer": w.paid_hours,
            "Timer på gulvet": w.floor_hours,
            "Vagtplan": w.planned_hours,
            "Vikarbehov": w.substitute_need_hours,
            "Plads til vikarer": w.substitute_room_hours,
            "Udækket": w.uncovered_hours,
        }
    )
    hour_cols = ["Betalte timer", "Timer på gulvet", "Vagtplan", "Vikarbehov", "Plads til vikarer", "Udækket"]
    out = {
        "weeks": table_html(
            weeks,
            formats={"Fravær": fmt_pct, **{c: hours for c in hour_cols}},
            caption="Timer pr. uge; uger med samme tal er slået sammen",
        )
    }
    g = r.offer.groups
    out["groups"] = table_html(
        pd.DataFrame(
            {
                "Personalegruppe": g.staff_group,
                "Timepris": g.hourly_cost_dkk,
                "Betalte timer pr. uge": g.paid_hours_per_week,
                "Vagtplan, timer pr. uge": g.planned_hours_per_week,
                "Løn om året": g.paid_hours_per_week * g.hourly_cost_dkk * managers.WEEKS,
            }
        ),
        formats={
            "Timepris": kr,
            "Løn om året": kr,
            "Betalte timer pr. uge": hours,
            "Vagtplan, timer pr. uge": hours,
        },
    )
    out["rates"] = out["income"] = out["what_if"] = out["months"] = ""
    if r.rates is not None:
        x = r.rates
        out["rates"] = table_html(
            pd.DataFrame(
                {
                    "Niveau": x.level,
                    "Støttetimer pr. uge": x.hours_per_week,
                    "Personale": x.staff_dkk,
                    "Overhead": x.overhead_dkk,
                    "Takst pr. år": x.rate_dkk,
                    "Takst pr. døgn": x.rate_per_day_dkk,
                }
            ),
            formats={
                "Støttetimer pr. uge": hours,
                "Personale": kr,
                "Overhead": kr,
                "Takst pr. år": kr,
                "Takst pr. døgn": kr,
            },
        )
    d = r.disclosure
    if r.income is not None:
        x = r.income
        exact = d is None or d.exact
        shown = pd.DataFrame(
            {"Niveau": x.level, "Borgere": x.residents, "Takst pr. år": x.rate_dkk, "Indtægt": x.income_dkk}
        )
        caption = "Indtægt efter beboernes niveauer; i alt-rækkens takst er gennemsnittet pr. beboer"
        income_format, notes = kr, []
        if not exact:
            # the total income and the mean rate would give the hidden levels away (income_disclosure): the
            # total's cell is NaN, written as the range, which follows from the shown counts and the rates alone
            shown.loc[len(x) - 1, ["Takst pr. år", "Indtægt"]] = float("nan")
            range_text = income_range_text(d)

            def income_format(v, range_text=range_text):
                return range_text if pd.isna(v) else kr(v)

            caption = "Indtægt efter beboernes niveauer"
            notes = [
                "Den samlede indtægt vises som det interval, den ligger i for alle fordelinger af de skjulte "
                "beboere; den præcise indtægt ville sammen med taksterne vise fordelingen på de skjulte niveauer."
            ]
        out["income"] = suppressed_table_html(
            shown,
            d.marks
            if d is not None
            else suppression_marks(x.residents.reset_index(drop=True), MIN_GROUP, total_row=len(x) - 1),
            MIN_GROUP,
            columns=["Borgere", "Indtægt"],
            count_columns=["Borgere"],
            formats={
                "Borgere": partial(fmt_number, decimals=1),
                "Takst pr. år": kr,
                "Indtægt": income_format,
            },
            caption=caption,
            notes=notes,
        )
    if r.what_if is not None:
        x = _shown_what_if(r)
        table = pd.DataFrame(
            {
                "Hvad hvis": x.scenario,
                "Borgere": x.residents,
                "Indtægt": x.income_dkk,
                "Ændring": x.change_dkk,
            }
        )
        caption = "Hvad hvis: indtægten om året, når borgere skifter niveau, kommer til eller flytter"
        if d is not None and not d.exact:
            # each row's income is today's income plus the change: shown only as the change (rates, public)
            table = table.drop(columns="Indtægt" if d.count_shown else ["Indtægt", "Borgere"])
            caption = "Hvad hvis: ændringen i indtægten om året, når borgere skifter niveau, kommer til eller flytter"
        out["what_if"] = table_html(
            table,
            formats={
                c: f
                for c, f in {
                    "Borgere": partial(fmt_number, decimals=1),
                    "Indtægt": kr,
                    "Ændring": partial(fmt_dkk, unit="kr", sign=True),
                }.items()
                if c in table.columns
            },
            caption=caption,
        ) + table_note_html(
            [
                "Scenarier, hvor beboere flytter fra et skjult niveau, vises ikke, når de ville vise, hvor mange "
                "beboere niveauet har."
            ]
            if d is not None and d.hidden_scenarios
            else []
        )
    if r.monthly is not None:
        x = r.monthly
        months_exact = d is None or d.months_exact
        shown = pd.DataFrame(
            {
                "Måned": [MONTHS_DA[m - 1].capitalize() for m in x.month] + ["I alt"],
                "Beboere": [*x.residents, float("nan")],
                "Indtægt": [*x.income_dkk, x.income_dkk.sum()],
            }
        )
        counts = pd.Series([*x.residents, x.residents.sum()])
        caption = "Indtægt måned for måned efter beboernes niveauer (årstaksten / 12 pr. beboer og måned)"
        notes = []
        if not months_exact:
            shown = shown.iloc[:-1].drop(columns="Indtægt")
            counts = counts.iloc[:-1]
            caption = "Beboere måned for måned"
            notes = [
                "Indtægten pr. måned vises ikke: sammen med taksterne ville den vise, hvor mange beboere der er "
                "på hvert niveau."
            ]
        out["months"] = suppressed_table_html(
            shown,
            suppression_marks(counts, MIN_GROUP, total_row=len(x) if months_exact else None),
            MIN_GROUP,
            columns=["Beboere", "Indtægt"] if months_exact else ["Beboere"],
            count_columns=["Beboere"],
            formats={"Beboere": partial(fmt_number, decimals=1), "Indtægt": kr}
            if months_exact
            else {"Beboere": partial(fmt_number, decimals=1)},
            caption=caption,
            notes=notes,
        )
    return out


def _shown_what_if(r: StaffingResult) -> pd.DataFrame:
    """The what-if rows the report shows: today, and the scenarios :func:`income_disclosure` does not leave out."""
    hidden = set() if r.disclosure is None else {1 + j for j in r.disclosure.hidden_scenarios}
    return r.what_if[[i not in hidden for i in range(len(r.what_if))]]


def _full_year_note(r: StaffingResult) -> str:
    """' (helårsvirkning af beboerne nu; i 2026 bor der 16-17, ...)' when the months' residents differ, else ''.

    The income is the year's rates for the residents as they are now; when the residents month by month are
    others (someone moves in or out during the year), it is not the year's income, and the headline says so.
    """
    if r.monthly is None or r.monthly.empty or r.income is None:
        return ""
    now = float(r.income.residents.iloc[-1])
    months = r.monthly.residents.astype(float)
    if (months == now).all():
        return ""
    low, high = _residents(months.min()), _residents(months.max())
    span = low if low == high else f"{low}-{high}"
    return (
        f" (helårsvirkning af beboerne nu; i {r.offer.year} bor der {span} beboere, "
        f"{fmt_number(months.mean(), 2)} i gennemsnit: se beboerne måned for måned)"
    )


def _residents(n: float) -> str:
    """A number of residents: '20', or '19,5' for full-year equivalents."""
    return fmt_number(n, 0 if float(n).is_integer() else 1)


def income_range_text(d: IncomeDisclosure) -> str:
    """The income as the shown range ('5.774.160–6.862.720 kr.'), or a word when there is none."""
    if d.low is None or d.high is None:
        return "vises ikke"
    if round(d.low) == round(d.high):
        return kr(d.low)
    return f"{fmt_dkk_number(d.low, 'kr')}–{kr(d.high)}"


def weeks_figure(weeks: pd.DataFrame):
    """Bars of the own staff's hours on the floor and the substitute room per week, the roster as a line (closed)."""
    import matplotlib.pyplot as plt

    from analysis.reporting.charts import FIGSIZE, PALETTE, number_axis

    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 3.0))
    ax.bar(weeks.week, weeks.floor_hours, color=PALETTE[0], width=0.8, label="Fast personale på gulvet")
    ax.bar(
        weeks.week,
        weeks.substitute_room_hours,
        bottom=weeks.floor_hours,
        color=PALETTE[2],
        width=0.8,
        label="Plads til vikarer",
    )
    ax.step(weeks.week, weeks.planned_hours, where="mid", color=PALETTE[5], label="Vagtplan")
    ax.set_xlabel("Uge")
    ax.set_xlim(0.4, managers.WEEKS + 0.6)
    number_axis(ax)
    ax.set_ylabel("Timer pr. uge")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8, frameon=False)
    plt.close(fig)  # detached from pyplot: shown once, where the notebook calls fmt.show
    return fig


def summary_items(r: StaffingResult) -> list[tuple[str, str]]:
    """The report's summary box: (label, Danish sentence) pairs."""
    o, s = r.offer, r.summary
    items = [
        ("Lønbudget", f"{kr(o.wage_budget_dkk)} i {o.year}"),
        (
            "Timer på gulvet",
            f"{hours(r.average_weekly_hours)} timer pr. uge i gennemsnit over 52 uger, hvis hele lønbudgettet går "
            f"til timer til gennemsnitlig {kr(r.mean_hourly_cost_dkk)} i timen og {fmt_pct(o.lost_share)} af "
            "timerne går til ferie, fravær og uddannelse",
        ),
        (
            "Fast personale",
            f"{hours(s.paid_hours_year / managers.WEEKS)} betalte timer og {hours(s.floor_hours_per_week)} timer på "
            f"gulvet pr. uge i gennemsnit; løn {kr(s.permanent_dkk)} om året",
        ),
        (
            "Vikarer",
            f"plads til {hours(max(s.substitute_room_hours, 0))} vikartimer ({kr(max(s.substitute_room_dkk, 0))}); "
            f"vagtplanen kræver {hours(s.substitute_need_hours)} vikartimer ({kr(s.substitute_need_dkk)})",
        ),
        (
            "Vagtplanens lønbudget",
            f"{kr(s.roster_budget_dkk)}: "
            + (
                f"lønbudgettet giver et overskud på {kr(s.balance_dkk)}"
                if s.balance_dkk >= 0
                else f"lønbudgettet mangler {kr(-s.balance_dkk)}"
            ),
        ),
    ]
    if r.income is not None:
        d = r.disclosure
        if d is None or d.exact:
            text = (
                f"{kr(r.income.income_dkk.iloc[-1])} om året fra {_residents(r.income.residents.iloc[-1])} "
                "beboere efter deres støttebehov" + _full_year_note(r)
            )
        elif not d.count_shown or d.low is None:
            text = "vises ikke, fordi den ville vise fordelingen på de skjulte niveauer (se Metode og data)"
        else:
            text = (
                f"{income_range_text(d)} om året fra {_residents(r.income.residents.iloc[-1])} beboere efter "
                "deres støttebehov"
                + _full_year_note(r)
                + "; den præcise indtægt ville vise fordelingen på de "
                "skjulte niveauer"
            )
        items.append(("Indtægt", text))
    return items


def method_text(r: StaffingResult, offer_file: str) -> str:
    """The report's 'Metode og data' section (Markdown, Danish)."""
    o = r.offer
    holidays = ", ".join(f"uge {w} ({fmt_pct(v, 0)})" for w, v in sorted(o.holiday_weeks.items()))
    others = r.lost_shares[~r.lost_shares.index.isin(list(o.holiday_weeks))]
    text = (
        "## Metode og data\n\n"
        f"- **Grundlag:** tilbudsfilen {Path(offer_file).name}: lønbudget, personalegrupper med timepris "
        "(inklusive pension og tillæg), det faste personales betalte timer og vagtplanens timer pr. uge.\n"
        f"- **Fravær:** {fmt_pct(o.lost_share)} af årets betalte timer går til ferie, fravær og uddannelse; "
        + (
            f"i ferieugerne {holidays}, i de øvrige uger {fmt_pct(others.iloc[0])}, så året i alt giver "
            f"{fmt_pct(o.lost_share)}.\n"
            if o.holiday_weeks and len(others)
            else "lige meget hver uge.\n"
        )
        + "- **Vikarbehov:** for hver personalegruppe og uge vagtplanens timer minus gruppens timer på gulvet, "
        "når det er positivt; en gruppes overskud dækker ikke en anden gruppes mangel. Vikartimer koster "
        f"{kr(o.substitute_hourly_cost_dkk)} i timen.\n"
        "- **Plads til vikarer:** lønbudgettet minus det faste personales løn (52 uger), delt med vikartimeprisen "
        "og fordelt på ugerne efter vikarbehovet.\n"
        "- **Vagtplanens lønbudget:** det faste personales løn plus årets vikarbehov til vikartimeprisen.\n"
        "- **Timer på gulvet i gennemsnit:** lønbudgettet delt med den gennemsnitlige timepris (vægtet med de "
        "betalte timer), gange andelen af timerne, der ikke går tabt, delt med 52 uger.\n"
    )
    if r.rates is not None:
        text += (
            f"- **Takster:** timepris {kr(o.hourly_rate_dkk)} gange støttetimer pr. uge gange 52, plus "
            f"{fmt_pct(o.overhead_share)} til ledelse, administration og bygning og {kr(o.overhead_per_resident_dkk)} "
            "pr. beboer om året; døgntaksten er årstaksten delt med 365.\n"
        )
    d = r.disclosure
    if r.income is not None and d is not None and (d.marks != SHOWN).any():
        text += (
            "- **Diskretion, niveauer:** niveauer med 1-4 beboere vises som '<5'. Kan et skjult niveau regnes ud af "
            "tabellens øvrige tal (beboerne i alt, de viste niveauer) og hvad-hvis-tabellens scenarier (et "
            "scenarie, hvor beboere flytter fra et niveau, viser, at niveauet har mindst så mange), skjules også "
            "et andet niveau (x). Det er kontrolleret ved at gennemgå alle fordelinger af beboerne, der passer "
            "med de viste tal.\n"
        )
    if r.income is not None and d is not None and not d.exact:
        text += (
            "- **Diskretion, indtægt:** den præcise indtægt vises ikke. Fordelingen på niveauer er skjult, fordi "
            "taksterne er offentlige: sammen "
            "med antallet af beboere i alt og de viste niveauer ville den præcise samlede indtægt vise, hvor mange "
            "beboere der er på de skjulte niveauer. Derfor vises den samlede indtægt kun som det interval, den "
            "ligger i for alle fordelinger af de skjulte beboere, der passer med tabellens tal"
            + (f" ({income_range_text(d)})" if d.low is not None and d.count_shown else "")
            + ", og hvad-hvis-tabellen viser kun ændringerne (taksternes forskelle), ikke indtægten.\n"
        )
    if r.income is not None and d is not None and d.hidden_scenarios:
        text += (
            "- **Diskretion, hvad hvis:** scenarier, der sammen med indtægtstabellen ville vise antallet på et "
            "niveau med 1-4 beboere, uanset hvad der ellers skjules, vises ikke "
            f"({len(d.hidden_scenarios)} af {len(r.what_if) - 1}).\n"
        )
    if r.monthly is not None and d is not None and not d.months_exact:
        text += (
            "- **Diskretion, måned for måned:** indtægten pr. måned vises ikke. Sammen med månedens antal beboere og "
            "taksterne ville den vise månedens fordeling på niveauer, også niveauer med 1-4 beboere.\n"
        )
    if o.example:
        text += "\nTallene er et opdigtet eksempel, ikke et rigtigt tilbud."
    return text

"""The cross-sector report's text and tables: Danish sentences and HTML from the analysis' frames.

Every table of ``notebooks/cross_sector.ipynb`` is made here from a :class:`analysis.crosssector.CrossSectorReport`
(or the frame it holds), with the persons behind each cell attached, so that small groups are hidden in one way
(:func:`analysis.privacy.suppression_marks`, written by :func:`analysis.reporting.suppression.suppressed_table_html`).
The headline (:func:`headline_items`) states each headline number once, with its definition and caveat.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.crosssector.costs import SECTOR_NAMES, TOTAL
from analysis.privacy import (
    COMPLEMENT,
    SHOWN,
    given_away,
    joint_view,
    secure_marks,
    secure_tables,
    share_mask,
    suppression_marks,
)
from analysis.reporting.formatting import fmt_dkk, fmt_month, fmt_number, fmt_pct, summary_box, table_html
from analysis.reporting.suppression import suppressed_table_html, table_note_html

if TYPE_CHECKING:  # pragma: no cover
    from analysis.crosssector import CrossSectorReport

__all__ = [
    "RULES_DA",
    "by_sectors_table",
    "candidate_table",
    "change_table",
    "definite_count",
    "evaluation_persons_note",
    "evaluation_table",
    "evidence_da",
    "follow_marks",
    "follow_table",
    "headline_html",
    "headline_items",
    "method_text",
    "outcome_table",
    "score_marks",
    "score_table",
    "sector_label",
    "sector_marks",
    "sector_table",
    "sharing_marks",
    "sharing_table",
    "small_count",
]

TOTAL_DA = "I alt"
#: The distribution rules as a sentence ends: "fordelt ...".
RULES_DA = {
    "baseline_share": "i forhold til hver sektors andel af nulpunktet",
    "savings": "i forhold til, hvor besparelserne opstod",
}
_mio = functools.partial(fmt_dkk, unit="mio")
_tkr = functools.partial(fmt_dkk, unit="t")
_kr = functools.partial(fmt_number, decimals=0)
#: Signed changes and differences ('+24,4 %', '+12,9 mio. kr.', '+11.519.844'; no sign when they round to zero).
_pct_signed = functools.partial(fmt_pct, sign=True)
_mio_signed = functools.partial(fmt_dkk, unit="mio", sign=True)
_kr_signed = functools.partial(fmt_number, decimals=0, sign=True)
_SECTORS_DA = {**SECTOR_NAMES, TOTAL: TOTAL_DA}


def _view(*, at_most=None, unique_total: bool = False, relations=None) -> dict:
    """The view of a report table of persons with a total row 'I alt' that is public (see :func:`_secure`)."""
    view = {"total_row": TOTAL_DA, "public_totals": True, "unique_total": unique_total}
    if at_most:
        view["at_most"] = at_most
    if relations:
        view["relations"] = relations
    return view


def _hide_small_totals(counts: pd.DataFrame | pd.Series, marks, min_group: int):
    """The marks with every column about fewer than ``min_group`` persons in all (its total) hidden whole."""
    if isinstance(counts, pd.Series):
        if 0 < counts.loc[TOTAL_DA] < min_group:
            return pd.Series(COMPLEMENT, index=marks.index, name=marks.name)
        return marks
    for c in counts.columns:
        if 0 < counts.loc[TOTAL_DA, c] < min_group:
            marks[c] = COMPLEMENT
    return marks


def _secure_tables(tables: dict, links: list, min_group: int, start: dict | None = None) -> dict:
    """:func:`_secure` for several tables of the report searched together, linked by ``links``.

    ``tables`` maps a name to (counts, view); each table's marks start from ``start`` (a mapping of name to
    marks) or :func:`analysis.privacy.suppression_marks`, and :func:`analysis.privacy.secure_tables` hides more
    until the tables' joint view (their cells, totals, relations and the links between them) gives no small
    group away.
    """
    start = {
        name: (
            counts,
            (start or {}).get(name, suppression_marks(counts, min_group, total_row=TOTAL_DA)),
            view,
        )
        for name, (counts, view) in tables.items()
    }
    marks = secure_tables(start, links, min_group)
    marks = {name: _hide_small_totals(counts, marks[name], min_group) for name, (counts, _) in tables.items()}
    # a small group that its public totals give away whatever else is hidden (1 and 5 under a total of 6: the 5
    # hidden beside the 1, the 0 beside them too, and still only 1 + 5 + 0 fits) has its column hidden whole,
    # like a column about fewer than min_group persons in all (its total, public elsewhere): no suppression inside
    # it could keep its persons from being worked out (a table of one such column is not shown). The check leaves
    # out the columns hidden whole: they tell nothing, not even that a cell is 0 or at least min_group
    checked, kept = {}, set()
    for name, (counts, view) in tables.items():
        frame = counts.to_frame("count") if isinstance(counts, pd.Series) else counts
        m = marks[name].to_frame("count") if isinstance(marks[name], pd.Series) else marks[name]
        keep = [c for c in frame.columns if not (m[c] == COMPLEMENT).all()]
        if not keep:
            continue
        kept |= {(name, c) for c in keep}
        v = dict(view)
        v["at_most"] = [(x, y) for x, y in view.get("at_most", []) if x in keep and y in keep]
        v["relations"] = [
            r
            for r in view.get("relations", [])
            if all((cell[1] if isinstance(cell, tuple) else "count") in keep for cell in r[0])
        ]
        checked[name] = (frame[keep], m[keep], v)
    links = [k for k in links if all((cell[0], cell[2]) in kept for cell in k[0])]
    for name, _, col in given_away(*joint_view(checked, links, min_group), min_group) or []:
        if isinstance(marks[name], pd.Series):
            marks[name] = pd.Series(COMPLEMENT, index=marks[name].index, name=marks[name].name)
        else:
            marks[name][col] = COMPLEMENT
    return marks


def _secure(
    counts: pd.DataFrame | pd.Series,
    min_group: int,
    *,
    at_most: list[tuple[str, str]] | None = None,
    unique_total: bool = False,
    relations: list | None = None,
) -> pd.DataFrame | pd.Series:
    """Marks of a report table of persons with a total row 'I alt', checked against what the whole report shows.

    :func:`analysis.privacy.suppression_marks` hides the small groups and a second cell beside each; then
    :func:`analysis.privacy.secure_tables` searches every count consistent with the table and hides more until no
    small group can be worked out, knowing what an onlooker knows from the rest of the report: every total is
    public (the headline and the text give the members, the followed, those active, and the sector table and the
    table by number of sectors give all persons), members are at most the persons of their row (``at_most``),
    and where the total counts each person once over sectors (``unique_total``) each sector is at most the
    total and the sectors sum to at least it; ``relations`` are further facts of other tables
    (:func:`analysis.privacy.table_view`). Tables whose cells other tables tell about are searched together
    (:func:`_sector_tables`); the others share only their totals with the rest of the report, which the view
    already holds as known.
    """
    view = _view(at_most=at_most, unique_total=unique_total, relations=relations)
    return _secure_tables({"": (counts, view)}, [], min_group)[""]


def _too_few(persons: pd.Series, min_group: int, who: str) -> str | None:
    """The sentence shown instead of a table whose total is 1 to ``min_group - 1`` persons, else None."""
    total = int(persons.loc[TOTAL_DA])
    if 0 < total < min_group:
        return table_note_html(
            [f"Tabellen vises ikke: den bygger på færre end {min_group} {who}, så ingen fordeling kan vises."]
        )
    return None


def small_count(n: int, min_group: int = 5) -> str:
    """A number of persons in a sentence: the number, or 'færre end 5' for a group of 1 to ``min_group - 1``.

    >>> small_count(12), small_count(3), small_count(0)
    ('12', 'færre end 5', '0')
    """
    n = int(n)
    return f"færre end {min_group}" if 0 < n < min_group else str(n)


def definite_count(n: int, min_group: int = 5) -> str:
    """'de 52' before a noun of persons, or 'færre end 5' for a group of 1 to ``min_group - 1`` (no 'de').

    >>> definite_count(52), definite_count(3)
    ('de 52', 'færre end 5')
    """
    return f"færre end {min_group}" if 0 < int(n) < min_group else f"de {int(n)}"


def sector_label(n: int, or_more: bool = False) -> str:
    """A group of persons by number of sectors, in Danish.

    >>> sector_label(1), sector_label(2), sector_label(3, or_more=True)
    ('1 sektor', '2 sektorer', '3 eller flere sektorer')
    """
    if or_more:
        return f"{n} eller flere sektorer"
    return f"{n} sektor" if n == 1 else f"{n} sektorer"


def _signed_pct(x: float) -> str:
    return fmt_pct(x, sign=True)


# Headline ---------------------------------------------------------------------------------------------------


def headline_items(report: CrossSectorReport, min_group: int = 5) -> list[tuple[str, str]]:
    """The headline of the report: each figure once, with its definition and caveat.

    Members are counted by :func:`analysis.crosssector.membership` (active in the report month, ever, followed);
    the realised gain of the year-end distribution and the estimated effect of the evaluation are two different
    figures and are said to be so: the gain is a before-after figure and not the programme's effect.

    Parameters
    ----------
    report : CrossSectorReport
        From :func:`analysis.crosssector.cross_sector_report`.
    min_group : int, default 5
        Smallest group shown (persons): the follow-up and the effect are left out for fewer, and a count of 1 to
        ``min_group - 1`` persons reads 'færre end 5' (:func:`small_count`); beside such a count of members
        active or left, the members ever (their sum) are not given.

    Returns
    -------
    list of (str, str)
        Label and sentence(s), Danish, for :func:`analysis.reporting.formatting.summary_box`.
    """
    m, ev = report.membership, report.evaluation.summary
    month = fmt_month(report.as_of)
    items = []
    small = lambda n: 0 < int(n) < min_group  # noqa: E731
    count = functools.partial(small_count, min_group=min_group)
    if small(m["active"]) or small(m["left"]):
        # all who have been with are those with and those who left: beside a hidden one of them it is left out
        left = count(m["left"]) if m["left"] else "ingen"
        who = f"{count(m['active'])} borgere er med i programmet i {month}, og {left} er udtrådt."
    else:
        who = f"{count(m['active'])} borgere er med i programmet i {month}; i alt {count(m['ever'])} har været med"
        who += f" ({count(m['left'])} er udtrådt)." if m["left"] else "."
    if m["followed"]:
        followed = f"færre end {min_group} deltagere" if small(m["followed"]) else f"de {m['followed']}"
        who += f" Evalueringen omfatter {followed}, der har været med i mindst 12 måneder"
        who += f" (heraf {count(m['followed_left'])}, der siden er udtrådt)." if m["followed_left"] else "."
    items.append(("Deltagere", who))
    if int(ev["matched"]) >= min_group:
        change, comp, effect = ev["change_share"], ev["comparison_change_share"], ev["effect_dkk"]
        items.append(
            (
                "Før og efter",
                f"De evaluerede deltageres udgift {'faldt' if change < 0 else 'steg'} {fmt_pct(abs(change))} fra "
                f"året før indtræden til året efter ({_mio(ev['baseline_dkk'])} til {_mio(ev['actual_dkk'])} om "
                f"året). Lignende borgere uden for programmet: {'fald' if comp < 0 else 'stigning'} på "
                f"{fmt_pct(abs(comp))} over de samme måneder. Den skønnede virkning er en forskel i kroner, ikke "
                "forskellen mellem de to procenter ganget med nulpunktet.",
            )
        )
        items.append(
            (
                "Skønnet virkning",
                f"{_mio(abs(effect))} {'lavere' if effect < 0 else 'højere'} udgift om året, end hvis deltagerne "
                f"havde fulgt de lignende borgere (95 %-interval cirka {_mio(ev['effect_low_dkk'])} til "
                f"{_mio(ev['effect_high_dkk'])}); evidensen er {ev['grade']}.",
            )
        )
    gain = report.sharing.loc[TOTAL, "gain_dkk"]
    items.append(
        (
            f"Realiseret gevinst {report.closed}",
            f"{_mio(gain)} mod nulpunktet i de måneder af {report.closed}, deltagerne var med, fordelt "
            f"{RULES_DA[report.rule]}. Det er et før-efter-tal og ikke programmets virkning: det rummer også det "
            "fald, der ville være kommet uden programmet (se Skønnet virkning)."
            if gain >= 0
            else f"{_mio(-gain)} højere udgift end nulpunktet i de måneder af {report.closed}, deltagerne var med "
            f"(et tab), fordelt {RULES_DA[report.rule]}. Det er et før-efter-tal og ikke programmets virkning.",
        )
    )
    fu = report.follow.loc[TOTAL]
    if fu["persons"] >= min_group:
        items.append(
            (
                f"Opfølgning {report.as_of.year}",
                f"Forventet {_mio(fu['expected_dkk'])} i {report.as_of.year} for de {int(fu['persons'])}, der er "
                f"med i {month}, mod {_mio(fu['last_year_dkk'])} for de samme borgere i {report.as_of.year - 1} "
                f"({_signed_pct(fu['change_share'])}).",
            )
        )
    items.append(
        (
            "Målgruppe",
            f"{small_count(report.eligible_persons, min_group)} borgere uden for programmet har fået hjælp fra "
            f"mindst {report.min_sectors} sektorer de seneste 12 måneder.",
        )
    )
    return items


def headline_html(report: CrossSectorReport, min_group: int = 5) -> str:
    """The headline as a summary box (HTML), see :func:`headline_items`."""
    return summary_box(headline_items(report, min_group))


def evidence_da(summary: pd.Series, min_group: int = 5) -> str:
    """A plain Danish statement of what the evaluation shows and how strong the evidence is.

    Parameters
    ----------
    summary : pandas.Series
        :attr:`analysis.crosssector.Evaluation.summary`.
    min_group : int, default 5
        The report's small-group threshold (persons): with fewer matched members no effect is stated.

    Returns
    -------
    str
        Three to four sentences, Danish, amounts in mio. kr.
    """
    n, members = int(summary["matched"]), int(summary["members"])
    if n < min_group:
        return (
            "Evidensen er utilstrækkelig: for få deltagere kunne sammenlignes med lignende borgere uden for "
            "programmet til, at en effekt kan opgøres."
        )
    change, comp = summary["change_share"], summary["comparison_change_share"]
    effect, low, high = summary["effect_dkk"], summary["effect_low_dkk"], summary["effect_high_dkk"]
    text = [
        f"Deltagernes udgifter ændrede sig med {fmt_pct(change)} fra året før til året efter indtræden; "
        f"lignende borgere uden for programmet ændrede sig med {fmt_pct(comp)} over de samme måneder."
    ]
    if comp < 0:
        # 'også' only when the members' spending fell too
        text.append(
            f"At {'også ' if change < 0 else ''}sammenligningsgruppens udgifter faldt, viser at en del af et fald "
            "kommer af sig selv, når borgere udvælges i et år med høje udgifter (regression mod gennemsnittet)."
        )
    text.append(
        f"Deltagernes ændring i kroner minus de lignende borgeres giver {fmt_dkk(abs(effect))} "
        f"{'lavere' if effect < 0 else 'højere'} udgift om året "
        f"for de {n} af {members} deltagere, der kunne sammenlignes (95 %-interval cirka {fmt_dkk(low)} til "
        f"{fmt_dkk(high)})."
    )
    reasons = [r for r in str(summary.get("reasons", "")).split(",") if r]
    if not reasons:
        text.append(
            "Evidensen er moderat: intervallet udelukker nul, og grupperne lignede hinanden før indtræden, men "
            "deltagerne er udvalgt efter en faglig vurdering og ikke ved lodtrækning, så forskelle, som data ikke "
            "viser (fx motivation), kan forklare en del."
        )
    else:
        why = []
        if "few" in reasons:
            why.append(f"kun {n} deltagere kunne sammenlignes")
        if "balance" in reasons:
            mb, cb = summary["member_baseline_per_person_dkk"], summary["comparison_baseline_per_person_dkk"]
            why.append(
                f"deltagerne kostede før indtræden {fmt_dkk(mb)} om året pr. person mod {fmt_dkk(cb)} i "
                "sammenligningsgruppen, så grupperne ligner ikke hinanden nok"
            )
        if "interval" in reasons:
            why.append("intervallet rummer nul")
        text.append(
            "Evidensen er svag: "
            + "; ".join(why)
            + ". Tallet er et skøn over retningen, ikke en dokumenteret effekt; før-efter-tallet alene må ikke "
            "læses som programmets gevinst."
        )
    return " ".join(text)


# Tables -----------------------------------------------------------------------------------------------------


def _sector_tables(
    overview: pd.DataFrame | None, by_sectors: pd.DataFrame | None, min_group: int
) -> dict[str, pd.DataFrame | pd.Series]:
    """The marks of the sector table ('sector') and the table by number of sectors ('by'), searched together.

    The two tables tell about the same persons: the persons summed over the four sectors (the sector table's
    rows) are the persons of each group by number of sectors times its number (3 to 4 times in an open '3 eller
    flere'). The search holds both tables and that link at once (:func:`analysis.privacy.secure_tables`), so
    that neither table lets a hidden group of the other be worked out; where a table has nothing left to hide
    for a group of its own that the other gives away, a cell of the other table is hidden. The table by number
    of sectors starts from its marks as it was checked alone before (as if the sum over sectors were known), so
    that it never hides less than then. Without one of the tables the other is checked alone, the sector table
    as if the sum over its sectors were known.
    """
    tables: dict = {}
    links: list = []
    if overview is not None:
        t = overview.rename(index=_SECTORS_DA)
        counts = pd.DataFrame({"Borgere": t["persons"], "Deltagere": t["member_persons"]})
        sectors = {(label, "Borgere"): 1 for label in counts.index if label != TOTAL_DA}
        over = int(counts.drop(index=TOTAL_DA)["Borgere"].sum())
        relations = [(sectors, over, over)] if by_sectors is None else None
        tables["sector"] = (
            counts,
            _view(at_most=[("Deltagere", "Borgere")], unique_total=True, relations=relations),
        )
    if by_sectors is not None:
        by = _by_sectors_frame(by_sectors)["persons"]
        tables["by"] = (by, _view())
        if overview is not None:
            groups = [k for k in by_sectors.index if k != TOTAL]
            label = dict(zip(by_sectors.index, by.index, strict=True))
            weight_low = {label[k]: int(k) for k in groups}
            weight_high = {label[k]: (4 if bool(by_sectors.loc[k, "or_more"]) else int(k)) for k in groups}
            summed = {("sector", r, "Borgere"): 1 for r in tables["sector"][0].index if r != TOTAL_DA}
            low = {("by", lab, "count"): -w for lab, w in weight_low.items()}
            high = {("by", lab, "count"): -w for lab, w in weight_high.items()}
            links = [({**summed, **low}, 0, None), ({**summed, **high}, None, 0)]
            # the table by number of sectors starts from its marks as it was checked alone before the joint
            # search, as if the persons summed over sectors (over) were known: it never hides less than then
            alone = _view(relations=[(weight_low, None, over), (weight_high, over, None)])
            marks = secure_marks(by, suppression_marks(by, min_group, total_row=TOTAL_DA), min_group, **alone)
            return _secure_tables(tables, links, min_group, start={"by": marks})
    return _secure_tables(tables, links, min_group)


def sector_marks(
    overview: pd.DataFrame, min_group: int = 5, by_sectors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Marks of the sector table's persons ('Borgere') and members ('Deltagere'), Danish labels, total last.

    A person may be served by several sectors, so the total counts each once (see :func:`_secure`); the members
    of a sector are at most its persons; and the table is searched together with the table by number of sectors
    beside it (``by_sectors``, see :func:`_sector_tables`; without it the persons summed over the sectors are
    taken as known).
    """
    return _sector_tables(overview, by_sectors, min_group)["sector"]


def sector_table(
    overview: pd.DataFrame,
    min_group: int = 5,
    caption: str | None = None,
    by_sectors: pd.DataFrame | None = None,
) -> str:
    """The year's cost per sector (:func:`analysis.crosssector.sector_summary`) as a report table.

    The persons, cost and its two parts rest on the sector's persons; the members' columns on its members.
    ``by_sectors``: the table by number of sectors shown beside it (:func:`sector_marks`).
    """
    t = overview.rename(index=_SECTORS_DA)
    table = pd.DataFrame(
        {
            "Borgere": t["persons"],
            "Udgift": t["cost_dkk"],
            "heraf CPR-registreret": t["registered_dkk"],
            "heraf gennemsnitspriser": t["average_dkk"],
            "Deltagere": t["member_persons"],
            "Deltagernes udgift": t["member_cost_dkk"],
        }
    ).rename_axis("Sektor")
    marks = sector_marks(overview, min_group, by_sectors)
    marks = pd.DataFrame(
        {c: marks["Borgere"] for c in table.columns[:4]} | {c: marks["Deltagere"] for c in table.columns[4:]}
    )
    money = {
        c: _mio for c in ["Udgift", "heraf CPR-registreret", "heraf gennemsnitspriser", "Deltagernes udgift"]
    }
    return suppressed_table_html(
        table,
        marks,
        min_group,
        count_columns=["Borgere", "Deltagere"],
        formats=money,
        index=True,
        caption=caption,
    )


def _by_sectors_frame(by_sectors: pd.DataFrame) -> pd.DataFrame:
    labels = {
        k: (TOTAL_DA if k == TOTAL else sector_label(int(k), bool(by_sectors.loc[k, "or_more"])))
        for k in by_sectors.index
    }
    return by_sectors.rename(index=labels)


def by_sectors_marks(
    by_sectors: pd.DataFrame, min_group: int = 5, overview: pd.DataFrame | None = None
) -> pd.Series:
    """The marks of each group of :func:`analysis.crosssector.by_number_of_sectors` (Danish labels, total last).

    With ``overview`` (:func:`analysis.crosssector.sector_summary` of the same year, the sector table beside it)
    the two tables are searched together (:func:`_sector_tables`): the persons summed over the four sectors are
    the persons of each group times its number of sectors (between 3 and 4 times for '3 eller flere'), so that
    two hidden groups with a shown total are not left to be solved from their sum and that weighted sum.
    """
    return _sector_tables(overview, by_sectors, min_group)["by"]


def by_sectors_table(
    by_sectors: pd.DataFrame, min_group: int = 5, overview: pd.DataFrame | None = None
) -> str:
    """Persons and cost by number of sectors (:func:`analysis.crosssector.by_number_of_sectors`) as a table.

    ``overview``: the sector table's frame, whose persons per sector the check counts in (:func:`by_sectors_marks`).
    """
    t = _by_sectors_frame(by_sectors)
    table = pd.DataFrame(
        {
            "Borgere": t["persons"],
            "Andel af borgerne": t["share_of_persons"],
            "Udgift": t["cost_dkk"],
            "Andel af udgiften": t["share_of_cost"],
            "Udgift pr. borger": t["cost_per_person_dkk"],
        }
    ).rename_axis("Antal sektorer")
    formats = {
        "Andel af borgerne": fmt_pct,
        "Andel af udgiften": fmt_pct,
        "Udgift": _mio,
        "Udgift pr. borger": _tkr,
    }
    marks = by_sectors_marks(by_sectors, min_group, overview)
    return suppressed_table_html(
        table, marks, min_group, count_columns=["Borgere"], formats=formats, index=True
    )


def _score_counts(distribution: pd.DataFrame) -> pd.DataFrame:
    d = distribution.set_index("label")
    members = d.get("members", 0)  # a distribution made without members has none
    counts = pd.DataFrame({"Borgere": d["persons"], "heraf deltagere": members})
    counts.loc[TOTAL_DA] = counts.sum()
    return counts.astype(int).rename_axis("Score")


def score_marks(distribution: pd.DataFrame, min_group: int = 5) -> pd.DataFrame:
    """Marks of the score table's persons and members per interval (total 'I alt' last); the chart uses them too.

    The members of an interval are at most its persons: a members' count shown beside a hidden persons' count
    bounds it from below, which the check counts in (see :func:`_secure`).
    """
    return _secure(_score_counts(distribution), min_group, at_most=[("heraf deltagere", "Borgere")])


def score_table(distribution: pd.DataFrame, min_group: int = 5) -> str:
    """Persons by complexity score (:func:`analysis.crosssector.score_distribution`) as a table with a total."""
    d = distribution.set_index("label")
    table = pd.DataFrame(
        {
            "Borgere": d["persons"],
            "heraf deltagere": d["members"],
            "Udgift pr. borger": d["cost_per_person_dkk"],
        }
    )
    persons = int(d["persons"].sum())
    table.loc[TOTAL_DA] = [persons, d["members"].sum(), d["cost_dkk"].sum() / max(persons, 1)]
    table = table.astype({"Borgere": int, "heraf deltagere": int}).rename_axis("Score")
    marks = score_marks(distribution, min_group)
    marks["Udgift pr. borger"] = marks["Borgere"]
    return suppressed_table_html(
        table,
        marks,
        min_group,
        count_columns=["Borgere", "heraf deltagere"],
        formats={"Udgift pr. borger": _tkr},
        index=True,
        caption="Udgift pr. borger er udgiften i de 12 måneder",
    )


def candidate_table(candidates: pd.DataFrame) -> str:
    """The ranked candidate list (:func:`analysis.crosssector.candidate_list`): persons under pseudonym."""
    table = candidates.rename(
        columns={
            "rank": "Nr.",
            "person_id": "Pseudonym",
            "sectors": "Sektorer",
            "services": "Samtidige ydelser",
            "cost_dkk": "Udgift 12 mdr.",
            "score": "Score",
        }
    )
    formats = {"Udgift 12 mdr.": _tkr, "Score": functools.partial(fmt_number, decimals=1)}
    return table_html(table, formats=formats)


def evaluation_marks(cohort: pd.DataFrame, min_group: int = 5) -> pd.DataFrame:
    """Marks of the evaluation table: members' columns by members, the comparison's by the fewer of both."""
    c = cohort.rename(index=_SECTORS_DA)
    both = np.minimum(c["persons"], c["comparison_persons"])
    persons = _secure(c["persons"], min_group, unique_total=True)
    marks = pd.DataFrame({col: persons for col in ["Deltagere", "Før (nulpunkt)", "Efter", "Ændring"]})
    compared = suppression_marks(both, min_group, total_row=TOTAL_DA)
    # the comparison's columns rest on the fewer of members and comparisons; a sector whose members are hidden
    # hides them too
    compared = compared.where(persons == SHOWN, persons)
    for col in ["Sammenligning", "Sammenligning, kr.", "Skønnet virkning"]:
        marks[col] = compared
    return marks


EVALUATION_NOTE_DA = (
    "Skønnet virkning er en forskel i kroner: for hver deltager med sammenligningspersoner deltagerens ændring "
    "minus gennemsnittet af sammenligningspersonernes ændring, lagt sammen over deltagerne (det fratrukne står i "
    "kolonnen Sammenligning, kr.). Sammenligning i procent er sammenligningspersonernes ændring i forhold til deres "
    "eget nulpunkt, der i en sektor kan være et andet end deltagernes, fordi de er fundet ud fra udgiften i alle "
    "sektorer tilsammen; virkningen er derfor ikke forskellen mellem de to procenter ganget med deltagernes nulpunkt."
)


def evaluation_persons_note(matched: int, min_group: int = 5, members: int | None = None) -> str:
    """The note under the evaluation table on whom a sector's row counts (Danish).

    A sector's Deltagere, Før, Efter and Ændring are the members with a cost in the sector in either period; its
    Sammenligning, kr. and Skønnet virkning sum over all ``matched`` members (persons), also those without a
    cost there, whose effect is 0 less their comparisons' change. With 1 to ``min_group - 1`` matched members
    their number is not shown, and the note says so and why. With none matched the note says that no member
    could be compared, because no comparison persons were found for any (or, with ``members`` 0, that there are
    no evaluated members), so that the two columns are empty (:func:`evaluation_table` shows "–"): no estimate.
    """
    text = (
        "Deltagere i en sektor er de evaluerede deltagere med udgift i sektoren før eller efter indtræden; Før, "
        "Efter og Ændring er deres udgift. "
    )
    if int(matched) == 0:
        why = (
            "Der er ingen evaluerede deltagere"
            if members is not None and int(members) == 0
            else "Ingen af de evaluerede deltagere kunne sammenlignes, fordi der ikke blev fundet lignende borgere "
            "uden for programmet til nogen af dem"
        )
        return (
            text
            + f"{why}; Sammenligning, kr. og Skønnet virkning er derfor tomme (–): der er intet skøn over virkningen."
        )
    hidden = int(matched) < min_group
    who = "de evaluerede deltagere" if hidden else f"{int(matched)} evaluerede deltagere"
    text += (
        f"Sammenligning, kr. og Skønnet virkning omfatter alle {who} med sammenligningspersoner, også dem uden "
        "udgift i sektoren: for dem er virkningen minus sammenligningspersonernes ændring i sektoren (et fald hos "
        "sammenligningspersonerne tæller som en højere udgift)."
    )
    if hidden:
        text += (
            f" Hvor mange de er, vises ikke: de er færre end {min_group}, og grupper med færre end {min_group} "
            "borgere vises ikke."
        )
    return text


def evaluation_table(evaluation, min_group: int = 5, prices: str = "løbende priser") -> str:
    """Baseline against actual per sector beside the comparison group (:attr:`Evaluation.cohort`).

    ``prices`` names the prices of the amounts in the caption (:attr:`CrossSectorReport.evaluation_prices`).
    """
    c = evaluation.cohort.rename(index=_SECTORS_DA)
    ev = evaluation.summary
    table = pd.DataFrame(
        {
            "Deltagere": c["persons"],
            "Før (nulpunkt)": c["baseline_dkk"],
            "Efter": c["actual_dkk"],
            "Ændring": c["change_share"],
            "Sammenligning": c["comparison_change_share"],
            "Sammenligning, kr.": c["comparison_change_dkk"],
            "Skønnet virkning": c["effect_dkk"],
        }
    ).rename_axis("Sektor")
    if int(ev["matched"]) == 0:  # sums over no one: not an estimate of 0 kr., none at all
        table[["Sammenligning", "Sammenligning, kr.", "Skønnet virkning"]] = np.nan
    formats = {"Før (nulpunkt)": _mio, "Efter": _mio, "Ændring": _pct_signed, "Sammenligning": _pct_signed}
    formats["Sammenligning, kr."] = formats["Skønnet virkning"] = _mio_signed
    caption = (
        f"Udgift om året i {prices}; ændring i procent, sammenligningens også i kr. (summen over deltagerne af "
        f"deres sammenligningspersoners ændring). {small_count(ev['members'], min_group)} deltagere og "
        f"{small_count(ev['comparison_persons'], min_group)} sammenligningspersoner"
    )
    if (few := _too_few(c["persons"], min_group, "evaluerede deltagere")) is not None:
        return few
    marks = evaluation_marks(evaluation.cohort, min_group)
    return suppressed_table_html(
        table,
        marks,
        min_group,
        count_columns=["Deltagere"],
        formats=formats,
        index=True,
        caption=caption,
        notes=[EVALUATION_NOTE_DA, evaluation_persons_note(ev["matched"], min_group, ev["members"])],
    )


def _comparison_share_marks(changes: pd.DataFrame, min_group: int) -> pd.Series:
    """Marks of the change table's comparison shares (index as ``changes``, total last).

    A comparison share is the weighted share of the matched pairs (each member's comparisons weigh 1 in all) in
    a group; with the matched members and the k comparisons per member the text gives, it tells the number of
    pairs in the group, so it describes the comparison persons behind them (citizens outside the programme). It
    is hidden ('..') when 1 to ``min_group - 1`` different comparison persons are in the group, or outside it (a
    share of 96 % of 6 persons tells about the sixth), and all are hidden when there are fewer than
    ``min_group`` comparison persons in all. The shares sum to 100 %, so one hidden share beside shown ones
    could be read off: then the shown share of the fewest persons is hidden too ('x'). The members' shares and
    counts do not enter: a member's group is its own change, a comparison's group the comparison's own.
    """
    inner = [k for k in changes.index if k != TOTAL]
    marks = pd.Series(SHOWN, index=changes.index, dtype=object)
    if "comparison_persons" not in changes.columns:  # the persons behind the shares unknown: none is shown
        return marks.where(marks.index == TOTAL, "small")
    persons, others = changes["comparison_persons"], changes["comparison_others"]
    if 0 < persons.loc[TOTAL] < min_group:
        return marks.where(marks.index == TOTAL, "small")
    small = lambda x: (x > 0) & (x < min_group)  # noqa: E731
    for k in inner:
        if small(persons.loc[k]) or small(others.loc[k]):
            marks.loc[k] = "small"
    hidden = [k for k in inner if marks.loc[k] != SHOWN]
    if len(hidden) == 1:
        shown = [k for k in inner if marks.loc[k] == SHOWN]
        if shown:
            pick = min(shown, key=lambda k: (0 if persons.loc[k] > 0 else 1, persons.loc[k]))
            marks.loc[pick] = COMPLEMENT
    return marks


def change_table(changes: pd.DataFrame, min_group: int = 5) -> str:
    """How many members' costs fell, stayed or rose (:func:`analysis.crosssector.change_distribution`).

    The members' counts and shares are hidden by the members (:func:`_secure`), the comparison group's shares
    by the comparison persons behind them (:func:`_comparison_share_marks`).
    """
    t = changes.rename(
        index={
            "fell": "Faldt mere end 10 %",
            "same": "Inden for ±10 %",
            "rose": "Steg mere end 10 %",
            TOTAL: TOTAL_DA,
        }
    )
    table = pd.DataFrame(
        {"Deltagere": t["persons"], "Andel": t["share"], "Sammenligningsgruppe, andel": t["comparison_share"]}
    ).rename_axis("Samlet udgift, efter mod før")
    if (few := _too_few(t["persons"], min_group, "evaluerede deltagere")) is not None:
        return few
    persons = _secure(t["persons"], min_group)
    compared = _comparison_share_marks(changes, min_group).set_axis(t.index)
    marks = pd.DataFrame({"Deltagere": persons, "Andel": persons, "Sammenligningsgruppe, andel": compared})
    return suppressed_table_html(
        table,
        marks,
        min_group,
        count_columns=["Deltagere"],
        formats={"Andel": fmt_pct, "Sammenligningsgruppe, andel": fmt_pct},
        index=True,
    )


def outcome_table(outcome: pd.DataFrame, min_group: int = 5) -> str:
    """Members and comparisons whose employment case ended (:func:`analysis.crosssector.outcome_summary`)."""
    o = outcome.rename(index={"members": "Deltagere", "comparison": "Sammenligningsgruppe"})
    table = pd.DataFrame(
        {"Borgere med sag ved indtræden": o["persons"], "Andel uden sag 12 måneder efter": o["share"]}
    ).rename_axis("Gruppe")
    small = (o["persons"] > 0) & (o["persons"] < min_group)
    marks = pd.DataFrame(
        {
            "Borgere med sag ved indtræden": np.where(small, "small", ""),
            "Andel uden sag 12 måneder efter": np.where(
                share_mask(o["ended"], o["persons"], min_group), "small", ""
            ),
        },
        index=o.index,
    )
    weighted = "comparison" in outcome.index and outcome.loc["comparison", "persons"] > 0
    return suppressed_table_html(
        table,
        marks,
        min_group,
        count_columns=["Borgere med sag ved indtræden"],
        formats={"Andel uden sag 12 måneder efter": fmt_pct},
        index=True,
        notes=[COMPARISON_SHARE_NOTE] if weighted else [],
    )


#: Under the outcome table: the comparison group's share is weighted (:func:`analysis.crosssector.outcome_summary`),
#: so it is no count out of the persons beside it (36,6 % of 20 persons).
COMPARISON_SHARE_NOTE = (
    "Sammenligningsgruppens andel er vægtet: hver deltagers sammenlignede borgere tæller tilsammen som én, så "
    "andelen er ikke et antal borgere ud af gruppens."
)


def sharing_marks(sharing: pd.DataFrame, min_group: int = 5) -> pd.Series:
    """Marks of the year-end distribution's sectors (members counted once in the total); the chart uses them."""
    return _secure(sharing.rename(index=_SECTORS_DA)["persons"], min_group, unique_total=True)


def sharing_table(sharing: pd.DataFrame, closed: int, min_group: int = 5) -> str:
    """The year-end distribution (:func:`analysis.crosssector.year_end_distribution`) in whole kroner."""
    s = sharing.rename(index=_SECTORS_DA)
    table = pd.DataFrame(
        {
            "Deltagere": s["persons"],
            "Nulpunkt": s["baseline_dkk"],
            "Faktisk": s["actual_dkk"],
            "Realiseret gevinst": s["gain_dkk"],
            "Andel af nettogevinst": s["share_dkk"],
            "Omfordeling": s["transfer_dkk"],
        }
    ).rename_axis("Sektor")
    if (few := _too_few(s["persons"], min_group, "deltagere")) is not None:
        return few
    marks = sharing_marks(sharing, min_group)
    formats = {col: _kr for col in table.columns[1:]} | {"Omfordeling": _kr_signed}
    return suppressed_table_html(
        table,
        marks,
        min_group,
        count_columns=["Deltagere"],
        formats=formats,
        index=True,
        caption=f"Kroner, {closed}",
    )


def follow_marks(follow: pd.DataFrame, min_group: int = 5) -> pd.Series:
    """Marks of the follow-up's sectors (members counted once in the total); the chart uses them."""
    return _secure(follow.rename(index=_SECTORS_DA)["persons"], min_group, unique_total=True)


def follow_table(follow: pd.DataFrame, year: int, month: int, min_group: int = 5) -> str:
    """The monthly follow-up (:func:`analysis.crosssector.follow_up`) per sector."""
    f = follow.rename(index=_SECTORS_DA)
    table = pd.DataFrame(
        {
            "Deltagere": f["persons"],
            "Realiseret": f["realised_dkk"],
            "Prognose": f["forecast_dkk"],
            f"Forventet {year}": f["expected_dkk"],
            f"Hele {year - 1}": f["last_year_dkk"],
            "Ændring": f["change_share"],
        }
    ).rename_axis("Sektor")
    formats = {col: _mio for col in table.columns[1:5]} | {"Ændring": _pct_signed}
    if (few := _too_few(f["persons"], min_group, "deltagere")) is not None:
        return few
    marks = follow_marks(follow, min_group)
    months_done = fmt_month(year, 1, short=True).split()[0] + "-" + fmt_month(year, month, short=True)
    caption = f"Realiseret {months_done}, prognose for resten af året; deltagere med udgift i sektoren"
    return suppressed_table_html(
        table, marks, min_group, count_columns=["Deltagere"], formats=formats, index=True, caption=caption
    )


# Method -----------------------------------------------------------------------------------------------------


_WEAK_REASONS_DA = {
    "few": "færre end 20 deltagere kan sammenlignes",
    "interval": "intervallet rummer nul",
    "balance": "grupperne ligner ikke hinanden før indtræden",
}
"""Why the evidence is weak, by :func:`analysis.crosssector.evaluation` reason code."""


def _grade_text(ev: pd.Series) -> str:
    """'moderat', or 'svag, fordi intervallet rummer nul': the grade with the reasons that made it weak.

    Without the reasons the grade alone (the standardised difference beside it must not read as the cause).
    """
    reasons = [_WEAK_REASONS_DA[r] for r in str(ev.get("reasons") or "").split(",") if r in _WEAK_REASONS_DA]
    if ev["grade"] != "svag" or not reasons:
        return str(ev["grade"])
    joined = reasons[0] if len(reasons) == 1 else f"{', '.join(reasons[:-1])} og {reasons[-1]}"
    return f"svag, fordi {joined}"


def _fewer_text(evaluation, min_group: int = 5, k: int = 5) -> str:
    """How many evaluated members got fewer than ``k`` comparison persons, and how many none (Danish sentence).

    A member's number of comparisons is 1 / its weight in :attr:`Evaluation.comparisons` (the weights of a
    member's comparisons add to 1); the unmatched are the evaluated members less the matched. No count of 1 to
    ``min_group - 1`` persons is printed (:func:`small_count`): with that few matched members their number is
    not given, nor the number without comparisons (the evaluated members less it, shown elsewhere), and the
    members with fewer than ``k`` are told as none, all or some of them; all but 1 to ``min_group - 1`` reads
    'alle på nær færre end 5'.
    """
    ev = evaluation.summary
    weights = evaluation.comparisons.groupby("member_id")["weight"].first()
    fewer = int(((1 / weights).round() < k).sum())
    matched, unmatched = int(ev["matched"]), int(ev["members"]) - int(ev["matched"])
    if matched == 0:
        if int(ev["members"]) == 0:
            return "Her var der ingen evaluerede deltagere at sammenligne."
        return (
            "Her blev der ikke fundet lignende borgere uden for programmet til nogen af de evaluerede deltagere, "
            "så ingen kunne sammenlignes."
        )
    if matched < min_group:
        text = f"Her kunne færre end {min_group} af de evaluerede deltagere sammenlignes, og "
        if fewer == 0:
            text += f"de fik alle {k}"
        else:
            text += f"de fik alle færre end {k}" if fewer == matched else f"nogle af dem fik færre end {k}"
        return text + ("; de øvrige fik ingen." if unmatched else ".")
    if fewer == 0:
        text = f"Her fik ingen af de {matched} sammenlignede deltagere færre end {k}"
    elif fewer == matched:
        text = f"Her fik alle {matched} sammenlignede deltagere færre end {k}"
    elif matched - fewer < min_group:
        text = (
            f"Her fik alle på nær færre end {min_group} af de {matched} sammenlignede deltagere færre end {k}"
        )
    else:
        text = (
            f"Her fik {small_count(fewer, min_group)} af de {matched} sammenlignede deltagere færre end {k}"
        )
    text += f", og {small_count(unmatched, min_group)} fik ingen." if unmatched else "."
    return text


def method_text(
    report: CrossSectorReport,
    municipality: str,
    programme: str,
    min_group: int = 5,
    show_persons: bool = False,
) -> str:
    """The section "Metode og data" (Markdown, Danish): data, costs, score, evaluation, sharing, discretion.

    ``show_persons`` says whether the report shows the candidate list (persons under pseudonym).
    """
    w, ev = report.weights, report.evaluation.summary
    units = "; ".join(
        f"{m}: {fmt_dkk(r.dkk_per_month, unit='kr')} pr. måned ({r.source or 'kilde ikke angivet'})"
        for m, r in report.unit_costs.iterrows()
    )
    rule_note = (
        " (hver sektor får samme andel af sit nulpunkt)."
        if report.rule == "baseline_share"
        else " (sektorer, hvis udgift steg, får dækket merudgiften; resten bliver, hvor besparelsen opstod)."
    )
    lines = [
        "## Metode og data",
        "",
        f"- **Data:** sager fra fagsystemerne i de fire sektorer for {municipality} og medlemmerne af {programme}, til "
        f"og med {fmt_month(report.as_of)}. Borgerne står under pseudonym (en nøglet omskrivning af CPR-nummeret); "
        "ingen CPR-numre indgår i data eller rapport.",
        "- **Udgift pr. borger og måned:** en CPR-registreret sag koster sin månedlige takst i hver måned, den "
        "løber; en måned, den kun løber en del af, tæller forholdsmæssigt efter dage. En løbende sag regnes til "
        "opgørelsesmåneden. Ydelser, der ikke registreres på CPR-nummer, regnes med gennemsnitspriser "
        f"({fmt_pct(report.average_share)} af udgiften i {report.closed}): {units}.",
        f"- **Kompleksitetsscore:** {fmt_number(w.sectors, 1)} point pr. sektor + {fmt_number(w.services, 1)} pr. "
        f"samtidig ydelse (flest i én måned) + {fmt_number(w.cost, 1)} pr. 100.000 kr., alt over de seneste 12 "
        f"måneder. Målgruppen er borgere uden for programmet med mindst {report.min_sectors} sektorer.",
        "- **Deltagere:** *med i programmet* i en måned er de, der er trådt ind og ikke udtrådt før måneden; *har "
        "været med* tæller alle, der er trådt ind til og med rapportens måned.",
        "- **Før og efter:** nulpunktet er de 12 kalendermåneder før indtrædelsesmåneden, efter er "
        "indtrædelsesmåneden og de 11 næste. Kun deltagere med 12 måneder efter indtræden indgår; deltagere, der "
        "senere er udtrådt, tæller med, så et frafald ikke får programmet til at se bedre ud.",
        f"- **Sammenligningsgruppe:** for hver deltager op til {report.k} borgere uden for programmet, der i måneden "
        "før deltagerens indtræden lå i samme kompleksitetsgruppe (tiendedele af scoren blandt borgere med "
        "udgifter) og var nærmest i udgift de 12 måneder før og i løbende månedlig udgift (logaritmisk afstand); har "
        "gruppen færre borgere uden for programmet, får deltageren dem alle, og uden nogen indgår deltageren ikke i "
        f"sammenligningen. {_fewer_text(report.evaluation, min_group, report.k)} En borger kan "
        "indgå for flere deltagere. Skønnet virkning er summen over deltagerne af deltagerens ændring i kroner om "
        "året minus gennemsnittet af de matchede borgeres ændring i kroner over de samme måneder (forskel i "
        "forskelle); den er ikke forskellen mellem de to procentvise ændringer, fordi de matchede borgere kan have et "
        "andet nulpunkt i en sektor end deltagerne. Intervallet er et tilnærmet 95 %-interval ud fra spredningen "
        "mellem deltagerne.",
        "- **Evidensens styrke:** højst *moderat*, fordi deltagerne ikke er udvalgt ved lodtrækning. Den er *svag*, "
        "når intervallet rummer nul, når færre end 20 deltagere kan sammenlignes, eller når grupperne ikke ligner "
        "hinanden før indtræden (standardiseret forskel i nulpunktet på 0,1 eller mere). Her: "
        f"{_grade_text(ev)} (standardiseret forskel {fmt_number(ev['balance_smd'], 2)}).",
        "- **Realiseret gevinst og skønnet virkning:** den realiserede gevinst er deltagernes nulpunkt minus deres "
        "faktiske udgift i årets måneder i programmet; den er grundlaget for fordelingen mellem sektorerne, men den "
        "er ikke programmets virkning. Den skønnede virkning trækker det fald fra, som lignende borgere havde uden "
        "programmet.",
        f"- **Fordeling ved årsafslutning:** nettogevinsten fordeles {RULES_DA[report.rule]}{rule_note} Afrunding "
        "til hele kroner med største-rest-metoden, så delene summer præcist til helheden.",
        "- **Prognose:** resten af året fremskrives for hver sektor ud fra deltagernes månedlige udgift de seneste "
        "36 måneder med værktøjets automatiske prognose, der vælger metode ved tilbageprøvning. Sidste år er de "
        "samme borgeres udgift hele året før.",
        "- **Udfald:** en afsluttet beskæftigelsessag er en tilnærmelse, ikke et mål for job eller uddannelse.",
        f"- **Diskretion:** ingen tabel eller figur viser tal for færre end {min_group} borgere. I en tabel står "
        f"antallet af borgere i en sådan gruppe som <{min_group} og dens beløb og andele som ..; kan gruppen regnes "
        "ud fra en total og de viste tal, skjules også andre grupper (markeret x), indtil ingen skjult gruppe kan "
        "regnes ud af tabellens viste tal og totaler sammen med rapportens øvrige tal (antallet af deltagere og "
        "borgere i overskriften og teksten, deltagere er højst lige så mange som borgerne i samme gruppe, og "
        "borgere efter antal sektorer gange antallet giver borgerne summeret over sektorerne; de to tabeller over "
        "sektorer er derfor kontrolleret sammen, som én). Det er kontrolleret ved at gennemgå alle fordelinger af "
        "de skjulte borgere, der passer med de viste tal; kan en skjult gruppe alligevel regnes ud, skjules hele "
        f"kolonnen. Små grupper i enden af en rækkefølge slås sammen (fx {sector_label(3, or_more=True)}). Celler "
        "med 0 borgere vises. Andele skjules, når tæller eller rest er under grænsen; sammenligningsgruppens "
        f"andele, når færre end {min_group} forskellige sammenligningspersoner ligger i gruppen eller uden for "
        "den. En figur, der udelader en gruppe, siger det under "
        "figuren. Et antal borgere i teksten, også et antal deltagere, står som færre end "
        f"{min_group}, når det er under grænsen; overskriften nævner da ikke, hvor mange der i alt har været med, "
        "hvis antallet med i programmet eller antallet udtrådte er under grænsen (det er summen af de to). Antal "
        f"på {min_group} eller flere vises præcist, så forskellen mellem to viste antal deltagere (fx evaluerede "
        "og sammenlignede) kan være under grænsen: deltagerne er programmets egen liste, som kommunen kender i "
        "forvejen."
        + (
            " Kandidatlisten viser enkelte borgere under pseudonym; derfor er rapporten fortrolig."
            if show_persons
            else " Rapporten viser ingen enkelte borgere."
        ),
        "- **Forbehold:** programmets egne udgifter til medarbejdere indgår ikke, kun udgifter registreret på "
        "sagerne. "
        + (
            "Alle beløb er i løbende priser."
            if report.evaluation_prices == "løbende priser"
            else f"Evalueringen (før og efter, sammenligningsgruppen) er i {report.evaluation_prices}, så pris- og "
            "lønudviklingen ikke tælles som en ændring i udgiften; oversigten, fordelingen ved årsafslutning og "
            "opfølgningen er i løbende priser, fordi de gør faktiske kroner op."
        ),
    ]
    return "\n".join(lines)

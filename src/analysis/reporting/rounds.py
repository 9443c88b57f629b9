"""The budget round and the monthly follow-up round: read the warehouse, compute, record.

The glue between the warehouse (:mod:`analysis.data`), the pure analyses (:mod:`analysis.budget`,
:mod:`analysis.followup`) and the append-only tables (:mod:`analysis.data.journal`), used by the commands
``analysis budget`` and ``analysis followup`` and by the notebooks ``budget`` and ``followup``, so that a report
shows what the command records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from analysis import budget as budget_model
from analysis import followup as fu
from analysis.danish import MONTHS_DA, NA, fmt_dkk, fmt_dkk_number, fmt_number, fmt_pct
from analysis.data import journal, queries
from analysis.data.yamlfiles import safe_load, yaml_text
from analysis.errors import InputError
from analysis.forecast import disposition
from analysis.forecast.backtest import COMBINATION
from analysis.reporting.html import table_html

__all__ = [
    "BudgetInputs",
    "FollowupReport",
    "FollowupRun",
    "budget_function_codes",
    "budget_inputs",
    "budget_tables",
    "budget_versions",
    "compute_budget",
    "compute_followup",
    "current_fingerprint",
    "disposition_text",
    "case_annex",
    "case_annex_table",
    "followup_report",
    "followup_tables",
    "read_decisions",
    "recorded_budget_version",
]

#: Peers shown beside the budget assumptions: the k municipalities most alike in structure (benchmark's knn).
PEER_K = 10


def read_decisions(path: str | Path | None) -> list[budget_model.Decision]:
    """The decisions listed in a YAML file (see ``parameters/budget/decisions-example.yaml``); none for None."""
    if path is None or str(path) == "":
        return []
    path = Path(path)
    try:
        data = safe_load(yaml_text(path), path.name)
    except FileNotFoundError:
        raise InputError(f"{path}: no such decisions file") from None
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML: {e}") from None
    return budget_model.parse_decisions(data, source=str(path))


@dataclass
class BudgetInputs:
    """The frames a budget is computed from (one municipality; peers' activity for the comparison)."""

    activity: pd.DataFrame
    budgets: pd.DataFrame
    municipalities: pd.DataFrame
    population: dict[int, float]
    peer_codes: list[int]
    peers: pd.DataFrame
    projection: dict[int, float] | None = None
    projection_source: str | None = None


def budget_function_codes() -> list[str]:
    """The function codes the budget report covers: every area of 5.38 (the adult areas) in the reference list."""
    from analysis.data import reference

    codes = reference.function_areas()["function_code"].astype(str)
    return sorted(codes[codes.str.startswith("5.38.")])


def budget_inputs(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    year: int,
    base_year: int | None = None,
    trend_years: int = 3,
) -> BudgetInputs:
    """Read what :func:`compute_budget` needs: activity, budgets and population of the municipality, the peers'."""
    from analysis.benchmark import select_peers

    base_year = year - 1 if base_year is None else base_year
    years = (base_year - max(trend_years, 0), base_year)
    munis = queries.municipalities(con)
    own = munis[munis["municipality_code"] == municipality_code]
    if own.empty:
        raise InputError(f"municipality {municipality_code} is not in the warehouse's municipalities table")
    population = dict(zip(own["year"].astype(int), own["population_18_64"].astype(float), strict=True))
    from analysis.data.projection import population_18_64

    projected, projection_source = population_18_64(
        queries.population_projection(con, municipality_codes=[municipality_code]), municipality_code
    )
    # the budget model is that of the adult areas (5.38), per resident aged 18-64: the children's areas (5.28,
    # per resident aged 0-17) are left out rather than measured on the wrong residents
    areas = budget_function_codes()
    activity = queries.activity(
        con, municipality_codes=[municipality_code], years=years, function_codes=areas
    )
    budgets = queries.budgets(
        con, municipality_codes=[municipality_code], years=(year - 1, year - 1), function_codes=areas
    )
    peer_codes: list[int] = []
    peers = pd.DataFrame(columns=["peer_price_dkk", "peer_rate", "peers"])
    if ((munis["year"] == base_year) & (munis["municipality_code"] != municipality_code)).any():
        peer_codes = [
            int(c) for c in select_peers(munis, municipality_code, base_year, k=PEER_K)["municipality_code"]
        ]
        peer_act = queries.activity(
            con, municipality_codes=peer_codes, years=(base_year, base_year), function_codes=areas
        )
        peers = budget_model.peer_levels(peer_act, munis, peer_codes, base_year)
    return BudgetInputs(
        activity, budgets, munis, population, peer_codes, peers, projected or None, projection_source
    )


def compute_budget(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    year: int,
    *,
    decisions: list[budget_model.Decision] | None = None,
    decisions_file: str | None = None,
    price_index: dict[int, float] | None = None,
    price_growth: float = budget_model.DEFAULT_PRICE_GROWTH,
    population_growth: float = 0.0,
    trend_years: int = 3,
    peer_step: float = 0.0,
    base_year: int | None = None,
) -> budget_model.BudgetResult:
    """The budget assumptions of ``year`` computed from the warehouse (see :func:`analysis.budget.budget_model`).

    ``base_year`` is the year of the actual the budget starts from; default ``year - 1``.
    """
    inp = budget_inputs(con, municipality_code, year, base_year=base_year, trend_years=trend_years)
    result = budget_model.budget_model(
        inp.activity,
        municipality_code,
        year,
        base_year=base_year,
        population=inp.population,
        population_growth=population_growth,
        projection=inp.projection,
        projection_source=inp.projection_source,
        price_index=price_index,
        price_growth=price_growth,
        trend_years=trend_years,
        decisions=decisions or [],
        budgets=inp.budgets,
        peers=inp.peers,
        peer_step=peer_step,
        decisions_source=str(decisions_file) if decisions_file else None,
    )
    result.inputs["peer_codes"] = inp.peer_codes
    result.inputs["decisions_file"] = Path(decisions_file).name if decisions_file else None
    return result


@dataclass
class FollowupRun:
    """A month's follow-up as computed now: its rows, the data's fingerprint, the assumptions used."""

    rows: pd.DataFrame
    fingerprint: str
    assumptions: pd.DataFrame


def compute_followup(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    year: int,
    month: int,
    first_year: int | None = None,
) -> FollowupRun:
    """The follow-up of ``month`` of ``year`` for every area, measured against the latest recorded assumptions."""
    years = (first_year or 2000, year)
    led = queries.ledger(con, municipality_codes=[municipality_code], years=years)
    budgets = queries.budgets(con, municipality_codes=[municipality_code], years=years)
    accounts = queries.accounts(con, municipality_codes=[municipality_code], years=(year, year))
    activity = queries.activity(con, municipality_codes=[municipality_code], years=years)
    cases = queries.cases(con, municipality_codes=[municipality_code])
    assumptions = journal.budget_assumptions(con, municipality_code, year)
    rows = fu.followup(
        led,
        budgets,
        municipality_code,
        year,
        month,
        activity=activity,
        cases=cases,
        assumptions=assumptions,
        first_year=first_year,
    )
    fingerprint = fu.data_fingerprint(
        municipality_code,
        year,
        month,
        led,
        budgets,
        accounts,
        activity,
        assumptions,
        cases=cases,
        first_year=years[0],
    )
    return FollowupRun(rows, fingerprint, assumptions)


def current_fingerprint(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    year: int,
    month: int,
    first_year: int | None = None,
) -> tuple[str, pd.DataFrame]:
    """The fingerprint of the data a follow-up of ``month`` would be made from now, and the assumptions it uses.

    The same data as :func:`compute_followup` reads with the same ``first_year`` (the earlier years' ledger,
    budgets and activity, and the cases, included), so that a corrected posting of an earlier year is a change.
    """
    years = (first_year or 2000, year)
    where = {"years": years, "municipality_codes": [municipality_code]}
    assumptions = journal.budget_assumptions(con, municipality_code, year)
    fingerprint = fu.data_fingerprint(
        municipality_code,
        year,
        month,
        queries.ledger(con, **where),
        queries.budgets(con, **where),
        queries.accounts(con, municipality_codes=[municipality_code], years=(year, year)),
        queries.activity(con, **where),
        assumptions,
        cases=queries.cases(con, municipality_codes=[municipality_code]),
        first_year=years[0],
    )
    return fingerprint, assumptions


@dataclass
class FollowupReport:
    """What the follow-up report shows, as frames (see :func:`followup_report`).

    Attributes
    ----------
    rows : pandas.DataFrame
        The month's follow-up per area with the split of :func:`analysis.followup.split_deviation` and a last row
        ``total`` (:func:`analysis.followup.with_total`).
    recorded : bool
        Whether the journal holds this follow-up (a version made from the data as they are now).
    version, created_at
        The journal's version and time (None when not recorded).
    previous : pandas.DataFrame or None
        The previous month's follow-up as recorded (latest version), None when none is recorded.
    moved : pandas.DataFrame
        :func:`analysis.followup.moved` of ``rows`` against ``previous``.
    history : pandas.DataFrame
        Every recorded month of the year (latest version each): ``month``, ``forecast_dkk``, ``booked_dkk``,
        ``budget_dkk``, ``budget_to_date_dkk`` summed over the areas, and ``version``.
    starts : pandas.DataFrame
        :func:`analysis.followup.starts_and_ends` of the month.
    budget_version : int or None
        The version of the budget assumptions measured against.
    scaling : pandas.DataFrame or None
        :func:`analysis.forecast.disposition.scaling_share` per function_code: the share of the booked spending
        the cases explained in the months after ``month`` a year earlier, which the disposition method is
        scaled by (None without cases).
    earlier : pandas.Series or None
        The month's other recorded version the report must mention (``version``, ``created_at``,
        ``forecast_dkk`` summed over the areas): when ``recorded``, the version before the one shown (made from
        other data or assumptions); when not, the latest version, which was made from data changed since. None
        when there is none.
    """

    rows: pd.DataFrame
    recorded: bool
    version: int | None
    created_at: str | None
    previous: pd.DataFrame | None
    moved: pd.DataFrame
    history: pd.DataFrame
    starts: pd.DataFrame
    budget_version: int | None
    scaling: pd.DataFrame | None = None
    earlier: pd.Series | None = None


def followup_report(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    year: int,
    month: int,
    first_year: int | None = None,
) -> FollowupReport:
    """The follow-up of ``month``: as recorded when the journal holds it for the data as they are, else computed.

    The comparison with the previous month always uses the previous month's recorded follow-up (never a
    recomputation).
    """
    fingerprint, assumptions = current_fingerprint(con, municipality_code, year, month, first_year)
    recorded = journal.followup_journal(con, municipality_code, year, month)
    is_recorded = not recorded.empty and (recorded["data_fingerprint"] == fingerprint).all()
    versions = journal.followup_journal(con, municipality_code, year, month, latest=False)
    versions = versions.groupby("version", as_index=False).agg(
        created_at=("created_at", "first"), forecast_dkk=("forecast_dkk", "sum")
    )
    if is_recorded:  # the version before the one shown
        versions = versions[versions["version"] < int(recorded["version"].iloc[0])]
    earlier = versions.iloc[-1] if len(versions) else None
    rows = recorded if is_recorded else compute_followup(con, municipality_code, year, month, first_year).rows
    previous = journal.followup_journal(con, municipality_code, year, month - 1) if month > 1 else None
    previous = None if previous is None or previous.empty else previous
    split = fu.with_total(fu.split_deviation(rows, assumptions))
    moved = fu.moved(rows, previous)
    every = journal.followup_journal(con, municipality_code, year)
    every = every[every["month"] <= month]
    sums = ["forecast_dkk", "booked_dkk", "budget_dkk", "budget_to_date_dkk"]
    history = every.groupby("month", as_index=False).agg(
        **{c: (c, "sum") for c in sums}, version=("version", "first")
    )
    cases = queries.cases(con, municipality_codes=[municipality_code])
    starts = fu.starts_and_ends(cases, municipality_code, year, month)
    scaling = _scaling(con, cases, municipality_code, year, month)
    return FollowupReport(
        rows=split,
        recorded=bool(is_recorded),
        version=int(recorded["version"].iloc[0]) if is_recorded else None,
        created_at=str(recorded["created_at"].iloc[0]) if is_recorded else None,
        previous=previous,
        moved=moved,
        history=history,
        starts=starts,
        budget_version=None if assumptions.empty else int(assumptions["version"].iloc[0]),
        scaling=scaling,
        earlier=earlier,
    )


def _scaling(con, cases: pd.DataFrame, municipality_code: int, year: int, month: int) -> pd.DataFrame | None:
    """The disposition's scaling share per function_code (see :attr:`FollowupReport.scaling`)."""
    cs = cases[cases["function_code"].notna()]
    if cs.empty:
        return None
    led = queries.ledger(con, municipality_codes=[municipality_code], years=(year - 1, year - 1))
    share = disposition.scaling_share(cs, led, year, month)
    return share.reset_index(level="municipality_code", drop=True)


def recorded_budget_version(
    con: duckdb.DuckDBPyConnection, result: budget_model.BudgetResult
) -> pd.Series | None:
    """The recorded version holding exactly these assumptions and inputs (``version``, ``created_at``), or None.

    The latest such version: an earlier one counts too (the assumptions of version 1 shown after version 2 was
    recorded are recorded, as version 1; :func:`budget_versions` says which version is the latest).
    """
    versions = budget_versions(con, result)
    for version in versions["version"].iloc[::-1]:
        rows = journal.budget_assumptions(con, result.municipality_code, result.year, version=int(version))
        if journal.same_budget(rows, result.assumptions, result.inputs):
            return rows[["version", "created_at"]].iloc[0]
    return None


def budget_versions(con: duckdb.DuckDBPyConnection, result: budget_model.BudgetResult) -> pd.DataFrame:
    """Every recorded version of the result's municipality and year: ``version``, ``created_at``, ``amount_dkk``."""
    return journal.budget_versions(con, result.municipality_code, result.year)


# The reports' tables ------------------------------------------------------------------------------------------

_PROVIDERS_DA = {"internal": "egen", "external": "ekstern"}

# The cell formats of the reports' tables, from analysis.danish (amounts in DKK; one rounding rule, one sign rule:
# '+' before a positive change, none before one that rounds to zero).
MIO = partial(fmt_dkk, unit="mio")  # '25,3 mio. kr.'
SIGNED_MIO = partial(fmt_dkk, unit="mio", sign=True)  # '+4,8 mio. kr.', '-0,4 mio. kr.'
TKR = partial(fmt_dkk, unit="t")  # '1.126 t.kr.'
KR = partial(fmt_dkk, unit="kr")  # '12.500 kr.'
MIO_NUMBER = partial(fmt_dkk_number, unit="mio")  # '15,5' in a table captioned 'Mio. kr.'
SIGNED_MIO_NUMBER = partial(fmt_dkk_number, unit="mio", sign=True)  # '+1,0'
ONE_DECIMAL = partial(fmt_number, decimals=1)  # full-year persons: '19,1'
TWO_DECIMALS = partial(fmt_number, decimals=2)  # persons per 1,000 residents: '1,25'


def budget_tables(
    result: budget_model.BudgetResult, names: dict[str, str], peer_names: dict[int, str]
) -> dict:
    """The budget report's tables as HTML: ``areas``, ``bridge``, ``decisions`` (None without), ``peers``, ``rows``.

    Parameters
    ----------
    result : BudgetResult
        From :func:`compute_budget`.
    names : dict
        Danish name per function code.
    peer_names : dict
        Name per municipality code (for the peers' caption).
    """
    y, base = result.year, result.base_year
    a = budget_model.area_summary(result, names)
    areas = pd.DataFrame(
        {
            "Område": a["name"],
            "Helårspersoner": a["full_year_persons"],
            "Pris pr. helårsperson": a["price_dkk"],
            f"Budgetbehov {y}": a["amount_dkk"],
            f"Budget {y - 1}": a["last_budget_dkk"],
            "Ændring": a["change_dkk"],
        }
    )
    formats = {
        "Helårspersoner": ONE_DECIMAL,
        "Pris pr. helårsperson": TKR,
        f"Budgetbehov {y}": MIO,
        f"Budget {y - 1}": MIO,
        "Ændring": SIGNED_MIO,
    }
    out = {"areas": table_html(areas, formats=formats)}
    s = budget_model.bridge_steps(result)
    ends = s.index.isin([0, len(s) - 1])
    labels, change = s["label"].copy(), s["dkk"].where(~ends)
    # a step the model did not measure or take is said so, not shown as a change of 0,0 mio. kr.
    demography, peers = s["step"] == "demography_dkk", s["step"] == "peers_dkk"
    if result.demography_assumed:
        growth = result.inputs.get("population_growth", 0.0)
        if not growth:
            labels[demography] = f"Demografi: ikke opgjort (intet befolkningstal for {y}; regnet som uændret)"
            change[demography] = np.nan
        else:
            labels[demography] = (
                f"Demografi: antaget {fmt_pct(growth)} vækst om året (intet befolkningstal for {y})"
            )
    if not result.inputs.get("peer_step"):
        labels[peers] = "Tilpasning mod sammenligningskommuner: ikke valgt"
        change[peers] = np.nan
    bridge = pd.DataFrame({"Trin": labels, "Ændring": change, "Niveau": s["end_dkk"]})
    out["bridge"] = table_html(bridge, formats={"Ændring": SIGNED_MIO, "Niveau": MIO})
    d = result.decisions
    out["decisions"] = None
    if not d.empty:
        dec = pd.DataFrame(
            {
                "Beslutning": d["text"],
                "Område": d["function_code"].map(names),
                "Paragraf": d["paragraph"],
                "Leverandør": d["provider"].map(_PROVIDERS_DA),
                "Virkning": d["effect_dkk"],
            }
        )
        out["decisions"] = table_html(dec, formats={"Virkning": SIGNED_MIO})
    p = a.iloc[:-1].set_index("function_code").join(result.areas[["rate", "peer_rate", "peer_price_dkk"]])
    peers = pd.DataFrame(
        {
            "Område": p["name"],
            "Pris": p["price_dkk"],
            "Pris, sml.": p["peer_price_dkk"],
            "Pr. 1.000 (18-64 år)": p["rate"],
            "Pr. 1.000, sml.": p["peer_rate"],
        }
    )
    codes = result.inputs.get("peer_codes") or []
    caption = "Sammenligningskommuner: " + (", ".join(peer_names.get(c, str(c)) for c in codes) or "ingen")
    out["peers"] = table_html(
        peers,
        formats={
            "Pris": TKR,
            "Pris, sml.": TKR,
            "Pr. 1.000 (18-64 år)": TWO_DECIMALS,
            "Pr. 1.000, sml.": TWO_DECIMALS,
        },
        caption=caption,
    )
    t = result.assumptions
    rows = pd.DataFrame(
        {
            "Funktion": t["function_code"],
            "Paragraf": t["paragraph"],
            "Leverandør": t["provider"].map(_PROVIDERS_DA),
            f"Helårspersoner {base}": t["base_persons"],
            f"Helårspersoner {y}": t["full_year_persons"],
            f"Pris {y}": t["price_dkk"],
            "Budgetbehov": t["amount_dkk"],
        }
    )
    formats = {
        f"Helårspersoner {base}": ONE_DECIMAL,
        f"Helårspersoner {y}": ONE_DECIMAL,
        f"Pris {y}": TKR,
        "Budgetbehov": MIO,
    }
    out["rows"] = table_html(rows, formats=formats)
    return out


def followup_tables(rep: FollowupReport, names: dict[str, str], month: int) -> dict:
    """The follow-up report's tables as HTML, keyed by section.

    ``areas``; ``split`` (None without assumptions); ``moved`` (None without a previous recorded follow-up);
    ``history`` (None before the first record); ``starts`` (counts; groups under 5 persons suppressed, with the
    complementary cells; None without cases).
    """
    from analysis import privacy

    names = {**names, fu.TOTAL: "I alt"}
    now, before = MONTHS_DA[month - 1], MONTHS_DA[month - 2] if month > 1 else ""
    r = rep.rows
    interval = [
        f"{MIO_NUMBER(lo)}-{MIO_NUMBER(hi)}" if np.isfinite(lo) else NA
        for lo, hi in zip(r["lower_dkk"], r["upper_dkk"], strict=True)
    ]
    areas = pd.DataFrame(
        {
            "Område": r["function_code"].map(names),
            "Budget": r["budget_dkk"],
            "Budget til dato": r["budget_to_date_dkk"],
            "Bogført til dato": r["booked_dkk"],
            "Prognose": r["forecast_dkk"],
            "80 %-interval": interval,
            "Afvigelse": r["forecast_dkk"] - r["budget_dkk"],
        }
    )
    formats = {c: MIO_NUMBER for c in ("Budget", "Budget til dato", "Bogført til dato", "Prognose")}
    out = {
        "areas": table_html(
            areas,
            formats={**formats, "Afvigelse": SIGNED_MIO_NUMBER},
            caption=f"Mio. kr. Budget til dato: til og med {now}, efter områdets sædvanlige forbrugsmønster",
        ),
        "split": None,
        "moved": None,
        "history": None,
    }
    if rep.budget_version is not None:
        is_area = r["function_code"] != fu.TOTAL
        unsplit = r["unsplit_dkk"] if "unsplit_dkk" in r else pd.Series(np.nan, index=r.index)
        some_unsplit = bool(unsplit[is_area].notna().any())
        assumed, forecast = r["assumed_persons"].copy(), r["full_year_persons"].copy()
        caption = f"Mio. kr. Budgetforudsætninger {r['year'].iloc[0]}, version {rep.budget_version}"
        if some_unsplit:
            # the total's persons of the areas split, so that the two persons columns compare the same areas
            split_areas = is_area & unsplit.isna()
            assumed[~is_area] = r.loc[split_areas, "assumed_persons"].sum()
            forecast[~is_area] = r.loc[split_areas, "full_year_persons"].sum()
            caption += (
                ". Ikke delt: afvigelsen på områder uden budgetforudsætninger eller uden prognosens helårspersoner; "
                "helårspersonerne i alt er de delte områders"
            )
        split = pd.DataFrame(
            {
                "Område": r["function_code"].map(names),
                "Helårspersoner, forudsat": assumed,
                "Helårspersoner, prognose": forecast,
                "Afvigelse": r["deviation_dkk"],
                "Mængde": r["quantity_dkk"],
                "Pris": r["price_effect_dkk"],
                "Budget mod forudsætninger": r["budget_gap_dkk"],
            }
        )
        if some_unsplit:
            split["Ikke delt"] = unsplit
        formats = {c: SIGNED_MIO_NUMBER for c in split.columns[3:]}
        out["split"] = table_html(
            split,
            formats={
                **formats,
                "Helårspersoner, forudsat": ONE_DECIMAL,
                "Helårspersoner, prognose": ONE_DECIMAL,
            },
            caption=caption,
        )
    if rep.previous is not None:
        m = rep.moved.copy()
        some_other = bool(m["other_dkk"].notna().any())  # an area without persons on both sides
        m.loc[fu.TOTAL] = m.sum(min_count=1)
        moved = pd.DataFrame(
            {
                "Område": m.index.map(names),
                f"Prognose {before}": m["previous_dkk"],
                f"Prognose {now}": m["current_dkk"],
                "Ændring": m["change_dkk"],
                "Heraf mængde": m["quantity_dkk"],
                "Heraf pris": m["price_effect_dkk"],
            }
        )
        signed = ["Ændring", "Heraf mængde", "Heraf pris"]
        caption = "Mio. kr."
        if some_other:
            moved["Heraf ikke delt"] = m["other_dkk"]
            signed.append("Heraf ikke delt")
            caption += " Ikke delt: ændringen på områder uden helårspersoner i begge måneder."
        moved[f"Bogført i {now}"] = m["booked_in_month_dkk"]
        formats = {c: MIO_NUMBER for c in moved.columns[1:]}
        formats |= {c: SIGNED_MIO_NUMBER for c in signed}
        out["moved"] = table_html(moved, formats=formats, caption=caption)
    h = rep.history
    if not h.empty:
        hist = pd.DataFrame(
            {
                "Måned": [MONTHS_DA[k - 1].capitalize() for k in h["month"]],
                "Bogført til dato": h["booked_dkk"],
                "Budget til dato": h["budget_to_date_dkk"],
                "Årsprognose": h["forecast_dkk"],
                "Version": h["version"],
            }
        )
        formats = {c: MIO_NUMBER for c in ("Bogført til dato", "Budget til dato", "Årsprognose")}
        out["history"] = table_html(hist, formats=formats, caption="Mio. kr., seneste version af hver måned")
    s = rep.starts.rename(
        index=names,
        columns={"started": "Startet", "ended": "Stoppet", "running": f"Løbende ved udgangen af {now}"},
    )
    out["starts"] = None
    if not s.empty:
        total = "I alt (summen af områderne)"
        s.loc[total] = s.sum()
        from analysis.reporting.suppression import suppressed_table_html

        # every column counts persons: a small group reads '<5', a cell hidden only to protect it 'x' (footnoted)
        out["starts"] = suppressed_table_html(
            s.rename_axis("Område"),
            privacy.suppression_marks(s, total_row=total).rename_axis("Område"),
            count_columns=list(s.columns),
            index=True,
        )
    return out


_EVENTS_DA = {"start": "Startet", "end": "Stoppet"}


def case_annex(con: duckdb.DuckDBPyConnection, municipality_code: int, year: int, month: int) -> pd.DataFrame:
    """The confidential annex's rows: the month's starts and ends case by case (:func:`analysis.followup.case_list`).

    Only for a report rendered with ``show_persons``: the rows name persons (under pseudonym).
    """
    cases = queries.cases(con, municipality_codes=[municipality_code])
    return fu.case_list(cases, municipality_code, year, month)


def case_annex_table(annex: pd.DataFrame, names: dict[str, str]) -> str | None:
    """The confidential annex as HTML: one row per case started or stopped, persons under pseudonym; None if none.

    Parameters
    ----------
    annex : pandas.DataFrame
        From :func:`case_annex`.
    names : dict
        Danish name per function code.
    """
    if annex.empty:
        return None
    from analysis.reporting import formatting as f

    table = pd.DataFrame(
        {
            "Område": annex["function_code"].map(lambda c: names.get(c, c)),
            "Hændelse": annex["event"].map(_EVENTS_DA),
            "Dato": annex["date"].map(f.fmt_date),
            "Pseudonym": annex["person_id"],
            "Paragraf": annex["paragraph"],
            "Leverandør": annex["provider"].map(_PROVIDERS_DA),
            "Månedlig pris": annex["monthly_cost_dkk"],
        }
    )
    return table_html(
        table,
        formats={"Månedlig pris": KR},
        caption=(
            "Månedlig pris: sagens udgift pr. måned. Borgerne står under pseudonym; kun kommunen, der har "
            "nøglen, kan slå dem op."
        ),
    )


def disposition_text(rep: FollowupReport, names: dict[str, str], year: int, month: int) -> str:
    """The Danish sentences on how the disposition method was scaled, for the areas whose forecast uses it.

    The disposition (commitments of the known cases) is divided by the share of the booked spending the cases
    explained in the same months a year earlier, unless that share is under 50 % or over 110 %
    (:mod:`analysis.forecast.disposition`); this says so for every area whose forecast is the disposition.
    """
    from analysis.reporting import formatting as f

    later = f"{f.MONTHS_DA[month]}-december {year - 1}" if month < 11 else f"december {year - 1}"
    rule = (
        "Disponeringen (kendte sager) opregnes med den andel af det bogførte, sagerne forklarede i de samme "
        f"måneder sidste år ({later}), når andelen ligger mellem "
        f"{f.fmt_pct(disposition.MIN_EXPLAINED_SHARE, 0)} og {f.fmt_pct(disposition.MAX_EXPLAINED_SHARE, 0)}; "
        "ellers bruges summen af sagernes forpligtelser uopregnet."
    )
    r = rep.rows
    used = [c for c in r.loc[r["method"] == "disposition", "function_code"] if c != fu.TOTAL]
    combined = [c for c in r.loc[r["method"] == COMBINATION, "function_code"] if c != fu.TOTAL]
    if not used:
        if not combined:
            return f"{rule} Ingen af områdernes prognoser bruger disponeringen i {f.MONTHS_DA[month - 1]}."
        # the combination is the mean of the best methods, which may include the disposition: the rows do not
        # say which, so 'no forecast uses it' could be false
        n = len(combined)
        return (
            f"{rule} Intet område har disponeringen alene som prognose i {f.MONTHS_DA[month - 1]}; "
            f"{'det område' if n == 1 else f'de {n} områder'}, der bruger kombinationen af de bedste metoder, kan "
            "have disponeringen med i kombinationen."
        )
    sc = rep.scaling if rep.scaling is not None else pd.DataFrame(columns=["share"])
    lines = []
    for code in used:
        share = float(sc["share"].get(code, np.nan)) if "share" in sc else np.nan
        lines.append(f"- **{names.get(code, code)}:** {disposition.scaling_text_da(share)}.")
    return f"{rule} Områder med disponering som prognose:\n\n" + "\n".join(lines)

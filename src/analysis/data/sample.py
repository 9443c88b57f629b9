"""A deterministic national sample: all 98 municipalities, main functions 5.38 and 5.28, years 2018-2025.

The sample lets the workbench be shown, tested and learnt without real data. The same seed gives identical
tables (person pseudonyms also depend on the pseudonymisation key, see :mod:`analysis.privacy`). Nothing in it is
real data about a municipality's spending or about a person; the municipality list is real.

Assumptions
-----------
Municipalities
    Real codes, names, regions and municipality groups (Statistics Denmark). Populations and areas are rounded
    public figures for 2024, projected to other years with a growth rate by municipality group (large cities
    +1.0 % a year, capital-area municipalities +0.6 %, provincial towns +0.4 %, commuter +0.2 %, rural -0.3 %).
    The share aged 18-64 is 70 % in København and Frederiksberg, 66 % in the large cities, 61 % in the capital
    area, 58 % in provincial towns, 56 % in commuter and 54 % in rural municipalities, 48 % on small islands, plus
    a fixed deviation of up to one point. The residents aged 0-17 (sample version 8, from a random stream of its
    own, ``[seed, 6]``, so no other figure moved) are 34 % of those aged 18-64 times a fixed deviation of up to
    3 %, kept within 18-23 % of the population (about 18 % in rural, 21 % in capital-area and 22-23 % in the large
    cities): the activity of 5.28 was drawn per resident aged 18-64, so children in proportion to adults keep its
    planted deviations when 5.28 is measured per resident aged 0-17. The socio-economic index is illustrative.
Activity (full-year persons and prices)
    Each function area has one or two paragraphs with a national rate (full-year persons per 1,000 residents aged
    18-64) and price (DKK per full-year person, 2024), see :data:`PARAGRAPHS`; e.g. §108 at 2.2 per 1,000 and DKK
    1.15 mio., §107 at 1.0 per 1,000 and DKK 1.55 mio. A municipality's expected rate is the national rate times
    its socio-economic index to the power 0.9, times a municipality effect (log-normal, sd 0.15) and a
    municipality-and-area effect (sd 0.20). Its price is the national price times a municipality effect (sd 0.06),
    a municipality-and-area effect (sd 0.08), and +5 % in Region Hovedstaden (wages). External providers cost
    about 15 % more than internal ones (log-normal, sd 0.10); small municipalities buy more places externally.
    Prices grow 3 % a year (pay and prices), rates by the area's own growth; every year adds noise. Full-year
    persons are drawn around the expected number (variance a tenth of the mean: placements run for years, so
    counts move slowly) and rounded to 0.1.
Planted deviations (so that a benchmark has something to find)
    706 Syddjurs: rate on 5.38.50 (§108) x 1.45 and price on 5.38.52 (§107) x 1.30; 165 Albertslund: price on
    5.38.50 x 1.25; 751 Aarhus: price on 5.38.51 x 0.85; 461 Odense: rate on 5.38.52 x 1.6.
Children and young people with special needs (main function 5.28)
    The five areas of 5.28 (:data:`FAMILY_PARAGRAPHS`) for every municipality, by the same model as 5.38 and
    with its rates drawn per 1,000 residents aged 18-64 (as in sample version 7, so the figures did not move;
    the analyses measure 5.28 per resident aged 0-17, where the same rates are about three times as high): foster
    families (5.28.22, barnets lov § 43, stk. 1, nr. 1-4) at 2.0 per 1,000 and DKK 0.42 mio. a year, children's
    homes (5.28.23) at 0.5 per 1,000 and DKK 1.35 mio., opholdssteder (5.28.20) at 0.7 and
    DKK 1.10 mio., secured institutions (5.28.24) at 0.06 and DKK 4.0 mio., supportive measures (5.28.21, § 32)
    at 5.0 and DKK 90,000. Planted: 706 Syddjurs places more children in children's homes (rate on 5.28.23 x
    1.45) and fewer in foster families (5.28.22 x 0.80), so the placements' substitution has something to show;
    190 Furesø: price on 5.28.20 x 1.25. The tables of 5.28 (activity, accounts, budgets, ledger) are drawn from
    a random stream of their own (``[seed, 4]``) and appended after those of 5.38, which therefore are exactly
    as in sample version 6. The case extracts hold no 5.28 cases.
Accounts, budgets
    An area's accounts are the sum of its activity spending (DKK, whole kroner). The corrected budget is the
    expected spending times a log-normal factor (median -2 %, sd 5 %): budgets tend to be a little short.
Capacity
    Own places on the housing areas 5.38.50-52: the internal full-year persons divided by an occupancy drawn per
    municipality and area between 80 % and 99 % (moving up to 2 points a year), rounded up to whole places.
Ledger
    Each year's accounts are spread over the months by a seasonal profile (January low from late postings,
    July low, December high from year-end accruals), a trend within the year, level shifts (a quarter of
    series-years shift by 5-20 % up or down from a month in March-October: a costly placement starts or ends),
    one-off postings (a fifth of series-years get a back payment or refund of 3-10 % of the year) and noise
    (sd 4 %). Months are whole kroner and sum exactly to the accounts; December takes the rounding remainder.
Cases and programmes
    Person-level cases in the four sectors for 165 Albertslund, 190 Furesø and 706 Syddjurs: one person for
    every 40 residents, each with a latent complexity that drives how many sectors and cases they have. Each
    municipality runs a cross-sector programme (see :data:`PROGRAMMES`) whose members were chosen among persons
    with cases in at least two sectors and high recent cost; membership shortens a third of the members'
    employment and children's cases that run beyond six months after joining, and adds the programme's own support
    (§85, paid from the programme's budget, no function). Children's measures are registered on the family's index
    person. A person never has two cases of one measure at the same time.
Cases on 5.38 (the disposition)
    The adult social and alcohol cases are simulated from the activity table, for every function, paragraph and
    provider month by month: the running cases follow the year's full-year persons, durations are drawn from the
    measure's range, and the monthly costs are scaled so that the cases pay :data:`CASE_COVERAGE` (90 %) of the
    area's spending each year. **Coverage**: the cases explain 85.8-93.9 % of the booked spending of every area
    and year 2018-2025 of the three municipalities (median 90.0 %); the rest stands for overheads and postings not
    on a person. About a third of the cases carry a planned end date (``planned_end_date``; temporary measures
    such as §107 more often): the actual end in half of them, else up to 3 months after or 6 before it.
    These cases carry the 5.38 function they are paid on; other sectors' cases leave it empty. The raw extract
    carries fictitious CPR numbers (valid-looking dates, random serials), which
    :func:`analysis.data.cases.ingest_cases` replaces by pseudonyms: no CPR number reaches the warehouse.
Ages
    The extract also carries a fictitious birth date per person (column ``birth_date``, drawn from a random
    stream of its own, ``[seed, 5]``, so that neither the CPR numbers nor anything else moves): persons with adult
    cases are aged 26-88 at the end of 2025, 15 % of them 65 or over; the others 20-70. The ingest turns it into
    the age on 1 January of each case's start year (``age_at_start_year``) and stores no birth date
    (:func:`analysis.data.cases.ingest_cases`). The birth date wins over the CPR number's date, which in the
    sample is random (its serials do not follow the century rule).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import reference
from analysis.data.cases import ingest_cases, ingest_programme_members
from analysis.data.warehouse import build_lock, connect, create_schema, load, read_meta, write_meta

log = logging.getLogger(__name__)

__all__ = ["PARAGRAPHS", "PROGRAMMES", "SAMPLE_VERSION", "SEED", "YEARS", "build", "ensure", "generate"]

SEED = 2025
YEARS = tuple(range(2018, 2026))
#: Bump when the generator changes: a warehouse built by an older version is rebuilt on first use.
SAMPLE_VERSION = "8"
CASE_MUNICIPALITIES = (165, 190, 706)
PROGRAMMES = {
    165: "Helhedsorienteret indsats for udsatte familier",
    190: "Tværgående borgerforløb",
    706: "Sammen om borgeren",
}


@dataclass(frozen=True)
class Paragraph:
    """National level of one paragraph of a function area (2024).

    Attributes
    ----------
    function_code, paragraph
        Where the activity is counted.
    rate
        Full-year persons per 1,000 residents aged 18-64.
    price
        DKK per full-year person, internal provider.
    external_share
        Typical share of full-year persons with external providers.
    rate_growth
        Yearly growth of the rate (fraction).
    """

    function_code: str
    paragraph: str
    rate: float
    price: float
    external_share: float
    rate_growth: float


PARAGRAPHS: tuple[Paragraph, ...] = (
    Paragraph("5.38.38", "§85", 7.0, 190_000, 0.15, 0.020),
    Paragraph("5.38.38", "§96", 0.15, 1_300_000, 0.30, 0.030),
    Paragraph("5.38.40", "§12", 2.0, 25_000, 0.10, 0.000),
    Paragraph("5.38.42", "§110", 0.6, 420_000, 0.40, 0.010),
    Paragraph("5.38.42", "§109", 0.1, 380_000, 0.60, 0.000),
    Paragraph("5.38.44", "SUL §141", 2.0, 70_000, 0.30, 0.000),
    Paragraph("5.38.45", "§101", 1.8, 110_000, 0.35, 0.010),
    Paragraph("5.38.50", "§108", 2.2, 1_150_000, 0.45, 0.015),
    Paragraph("5.38.51", "§85", 2.6, 620_000, 0.30, 0.030),
    Paragraph("5.38.52", "§107", 1.0, 1_550_000, 0.50, -0.005),
    Paragraph("5.38.53", "§97", 1.2, 75_000, 0.20, 0.010),
    Paragraph("5.38.53", "§99", 0.4, 60_000, 0.20, 0.000),
    Paragraph("5.38.58", "§103", 1.3, 160_000, 0.35, 0.000),
    Paragraph("5.38.59", "§104", 2.8, 190_000, 0.25, 0.010),
)

#: The areas of main function 5.28 (children and young people with special needs), same model and yardstick.
FAMILY_PARAGRAPHS: tuple[Paragraph, ...] = (
    Paragraph("5.28.20", "BL §43", 0.7, 1_100_000, 0.85, 0.000),
    Paragraph("5.28.21", "BL §32", 5.0, 90_000, 0.30, 0.020),
    Paragraph("5.28.22", "BL §43", 2.0, 420_000, 0.15, 0.010),
    Paragraph("5.28.23", "BL §43", 0.5, 1_350_000, 0.50, -0.010),
    Paragraph("5.28.24", "BL §63", 0.06, 4_000_000, 0.70, 0.000),
)
#: Planted deviations on 5.28 (as :data:`PLANTED`).
FAMILY_PLANTED = (
    (706, "5.28.23", "rate", 1.45),
    (706, "5.28.22", "rate", 0.80),
    (190, "5.28.20", "price", 1.25),
)

#: (municipality_code, function_code, "rate" | "price", factor)
PLANTED = (
    (706, "5.38.50", "rate", 1.45),
    (706, "5.38.52", "price", 1.30),
    (165, "5.38.50", "price", 1.25),
    (751, "5.38.51", "price", 0.85),
    (461, "5.38.52", "rate", 1.60),
)

_GROWTH = {
    "Hovedstadskommuner": 0.006,
    "Storbykommuner": 0.010,
    "Provinsbykommuner": 0.004,
    "Oplandskommuner": 0.002,
    "Landkommuner": -0.003,
}
_SHARE_18_64 = {
    "Hovedstadskommuner": 0.61,
    "Storbykommuner": 0.66,
    "Provinsbykommuner": 0.58,
    "Oplandskommuner": 0.56,
    "Landkommuner": 0.54,
}
_CHILDREN_PER_ADULT = 0.34  # residents aged 0-17 per resident aged 18-64
_SHARE_0_17 = (0.18, 0.23)  # the bounds of their share of the population
_INNER_CITY = (101, 147)
_SMALL_ISLANDS = (492, 563, 741, 825)
# January low (late postings), July low (holidays), December high (year-end accruals); mean 1.
_SEASON = np.array([0.80, 0.97, 1.00, 1.00, 1.00, 0.99, 0.93, 1.01, 1.02, 1.02, 1.01, 1.25])


def generate(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Generate the sample tables (``cases`` and ``programme_members`` as raw extracts with CPR numbers).

    Returns
    -------
    dict
        ``municipalities``, ``function_areas``, ``activity``, ``accounts``, ``budgets``, ``ledger`` in warehouse
        form, and ``raw_cases``, ``raw_programme_members``: the case system's extracts, with a ``cpr`` column
        instead of ``person_id``.
    """
    rng = np.random.default_rng(seed)
    munis = _municipalities(rng, np.random.default_rng([seed, 2]), np.random.default_rng([seed, 6]))
    activity, expected = _activity(rng, munis)
    accounts = activity.groupby(["municipality_code", "year", "function_code"], as_index=False)[
        "spending_dkk"
    ].sum()
    budgets = expected.assign(
        budget_dkk=np.round(expected["expected_dkk"] * rng.lognormal(-0.02, 0.05, len(expected)), -3)
    )[["municipality_code", "year", "function_code", "budget_dkk"]]
    ledger = _ledger(rng, accounts)
    raw_cases, raw_members = _cases(rng, munis, activity, np.random.default_rng([seed, 3]))
    raw_cases = _with_birth_dates(np.random.default_rng([seed, 5]), raw_cases)
    capacity = _capacity(np.random.default_rng([seed, 1]), activity)
    areas = reference.function_areas()
    # 5.28 from a stream of its own, appended: the tables of 5.38 stay exactly as they were
    family = np.random.default_rng([seed, 4])
    fam_activity, fam_expected = _activity(family, munis, FAMILY_PARAGRAPHS, FAMILY_PLANTED)
    fam_accounts = fam_activity.groupby(["municipality_code", "year", "function_code"], as_index=False)[
        "spending_dkk"
    ].sum()
    fam_budgets = fam_expected.assign(
        budget_dkk=np.round(
            fam_expected["expected_dkk"] * family.lognormal(-0.02, 0.05, len(fam_expected)), -3
        )
    )[["municipality_code", "year", "function_code", "budget_dkk"]]
    fam_ledger = _ledger(family, fam_accounts)
    activity = pd.concat([activity, fam_activity], ignore_index=True)
    accounts = pd.concat([accounts, fam_accounts], ignore_index=True)
    budgets = pd.concat([budgets, fam_budgets], ignore_index=True)
    ledger = pd.concat([ledger, fam_ledger], ignore_index=True)
    return {
        "municipalities": munis,
        "function_areas": areas,
        "activity": activity,
        "accounts": accounts,
        "budgets": budgets,
        "ledger": ledger,
        "capacity": capacity,
        "raw_cases": raw_cases,
        "raw_programme_members": raw_members,
    }


def _distinct(pop: np.ndarray) -> np.ndarray:
    """``pop`` (residents) with ties broken by adding one resident at a time to the later of two equal ones."""
    pop = pop.copy()
    seen: set[int] = set()
    for i in range(len(pop)):
        while pop[i] in seen:
            pop[i] += 1
        seen.add(int(pop[i]))
    return pop


def _municipalities(
    rng: np.random.Generator,
    spread: np.random.Generator | None = None,
    children: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Municipalities x years with plausible, distinct populations.

    The reference list's populations are rounded (twenty municipalities would share one figure, e.g. 24.000); each
    gets a share of up to 3 % added or taken (``spread``, a generator of its own so the other tables' random draws
    stay as they were) and a growth rate of its own within 0,2 percentage points of its group's, and remaining
    ties are broken by single residents. The residents aged 0-17 are drawn from ``children`` (a generator of its
    own, added in sample version 8): 34 % of those aged 18-64 (+-3 %), within 18-23 % of the population.
    """
    ref = reference.municipalities()
    spread = spread if spread is not None else np.random.default_rng([SEED, 2])
    share = ref["municipality_group"].map(_SHARE_18_64).to_numpy()
    share = np.where(ref["municipality_code"].isin(_INNER_CITY), 0.70, share)
    share = np.where(ref["municipality_code"].isin(_SMALL_ISLANDS), 0.48, share)
    share = share + rng.uniform(-0.01, 0.01, len(ref))
    base = ref["population_2024"].to_numpy() * (1 + spread.uniform(-0.03, 0.03, len(ref)))
    children = children if children is not None else np.random.default_rng([SEED, 6])
    young = np.clip(share * _CHILDREN_PER_ADULT * (1 + children.uniform(-0.03, 0.03, len(ref))), *_SHARE_0_17)
    growth = ref["municipality_group"].map(_GROWTH).to_numpy() + spread.uniform(-0.002, 0.002, len(ref))
    rows = []
    for year in YEARS:
        pop = _distinct(np.round(base * (1 + growth) ** (year - 2024)).astype(int))
        rows.append(
            pd.DataFrame(
                {
                    "municipality_code": ref["municipality_code"],
                    "municipality": ref["municipality"],
                    "region": ref["region"],
                    "municipality_group": ref["municipality_group"],
                    "year": year,
                    "population": pop,
                    "population_18_64": np.round(pop * share).astype(int),
                    "population_0_17": np.round(pop * young).astype(int),
                    "socioeconomic_index": ref["socioeconomic_index"],
                    "population_density": np.round(pop / ref["area_km2"].to_numpy(), 1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _activity(
    rng: np.random.Generator,
    munis: pd.DataFrame,
    paragraphs: tuple[Paragraph, ...] = PARAGRAPHS,
    planted: tuple = PLANTED,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity rows and the expected spending per municipality x year x area (for budgets)."""
    ref = reference.municipalities()
    codes = ref["municipality_code"].to_numpy()
    n = len(codes)
    areas = sorted({p.function_code for p in paragraphs})
    sei = ref["socioeconomic_index"].to_numpy()
    capital = (ref["region"] == "Region Hovedstaden").to_numpy()
    pop2024 = ref["population_2024"].to_numpy()
    rate_muni = rng.lognormal(0, 0.15, n)
    price_muni = rng.lognormal(0, 0.06, n)
    rate_area = {a: rng.lognormal(0, 0.20, n) for a in areas}
    price_area = {a: rng.lognormal(0, 0.08, n) for a in areas}
    for code, area, kind, factor in planted:
        i = int(np.flatnonzero(codes == code)[0])
        (rate_area if kind == "rate" else price_area)[area][i] *= factor
    # Small municipalities buy more places externally (log-odds shift of 0.5 per halving of population).
    ext_shift = -0.5 * np.log2(pop2024 / 50_000) + rng.normal(0, 0.3, n)
    pop18 = munis.pivot(index="municipality_code", columns="year", values="population_18_64").loc[codes]
    rows, expected = [], []
    for p in paragraphs:
        ext_premium = 1.15 * rng.lognormal(0, 0.10, n)
        logit = np.log(p.external_share / (1 - p.external_share)) + ext_shift
        ext_share = 1 / (1 + np.exp(-logit))
        base_rate = p.rate * sei**0.9 * rate_muni * rate_area[p.function_code]
        base_price = p.price * price_muni * price_area[p.function_code] * np.where(capital, 1.05, 1.0)
        for year in YEARS:
            t = year - 2024
            rate = base_rate * (1 + p.rate_growth) ** t * rng.lognormal(0, 0.03, n)
            price = base_price * 1.03**t * rng.lognormal(0, 0.02, n)
            persons_exp = rate * pop18[year].to_numpy() / 1000
            share = np.clip(ext_share + rng.normal(0, 0.03, n), 0.02, 0.98)
            for provider, part, unit_price in (
                ("internal", 1 - share, price),
                ("external", share, price * ext_premium),
            ):
                mean = persons_exp * part
                # variance a tenth of the mean: placements run for years, so counts move slowly
                persons = np.round(rng.gamma(np.maximum(mean, 1e-9) * 10, 0.1), 1)
                spending = np.round(persons * unit_price * rng.lognormal(0, 0.02, n))
                rows.append(
                    pd.DataFrame(
                        {
                            "municipality_code": codes,
                            "year": year,
                            "function_code": p.function_code,
                            "paragraph": p.paragraph,
                            "provider": provider,
                            "full_year_persons": persons,
                            "spending_dkk": spending,
                        }
                    )
                )
                expected.append(
                    pd.DataFrame(
                        {
                            "municipality_code": codes,
                            "year": year,
                            "function_code": p.function_code,
                            "expected_dkk": mean * unit_price,
                        }
                    )
                )
    activity = pd.concat(rows, ignore_index=True)
    activity = activity.sort_values(
        ["municipality_code", "year", "function_code", "paragraph", "provider"], ignore_index=True
    )
    exp = pd.concat(expected).groupby(["municipality_code", "year", "function_code"], as_index=False).sum()
    return activity, exp


#: Function areas of housing offers, where own capacity is counted in places.
CAPACITY_AREAS = ("5.38.50", "5.38.51", "5.38.52")


def _capacity(rng: np.random.Generator, activity: pd.DataFrame) -> pd.DataFrame:
    """Own places per municipality, year and housing area: internal full-year persons / occupancy, rounded up.

    Occupancy is drawn per municipality and area between 80 % and 99 %, and moves by up to 2 points a year.
    """
    internal = activity[(activity["provider"] == "internal") & activity["function_code"].isin(CAPACITY_AREAS)]
    df = internal.groupby(["municipality_code", "year", "function_code"], as_index=False)[
        "full_year_persons"
    ].sum()
    pairs = df[["municipality_code", "function_code"]].drop_duplicates().reset_index(drop=True)
    pairs["base"] = rng.uniform(0.80, 0.99, len(pairs))
    df = df.merge(pairs, on=["municipality_code", "function_code"])
    occupancy = np.clip(df["base"] + rng.uniform(-0.02, 0.02, len(df)), 0.75, 0.995)
    df["places"] = np.ceil(df["full_year_persons"] / occupancy)
    return df[["municipality_code", "year", "function_code", "places"]]


def _ledger(rng: np.random.Generator, accounts: pd.DataFrame) -> pd.DataFrame:
    """Spread each series-year's accounts over 12 months (see the module docstring)."""
    acc = accounts.sort_values(["municipality_code", "function_code", "year"], ignore_index=True)
    n = len(acc)
    months = np.arange(1, 13)
    w = np.tile(_SEASON, (n, 1))
    w *= 1 + rng.normal(0.03, 0.02, (n, 1)) * (months - 6.5) / 12  # trend within the year
    shift = rng.random(n) < 0.25
    start = rng.integers(3, 11, n)
    size = rng.uniform(0.05, 0.20, n) * rng.choice([-1, 1], n, p=[0.3, 0.7])
    w *= np.where(shift[:, None] & (months >= start[:, None]), 1 + size[:, None], 1)
    oneoff = rng.random(n) < 0.20
    month = rng.integers(1, 13, n)
    lump = rng.uniform(0.03, 0.10, n) * rng.choice([-1, 1], n, p=[0.3, 0.7]) * 12
    w[np.arange(n), month - 1] += np.where(oneoff, lump, 0) * w.mean(axis=1)
    w *= rng.lognormal(0, 0.04, (n, 12))
    w = np.maximum(w, 0.05)
    total = acc["spending_dkk"].to_numpy()
    monthly = np.round(total[:, None] * w / w.sum(axis=1, keepdims=True))
    monthly[:, 11] += total - monthly.sum(axis=1)
    return pd.DataFrame(
        {
            "municipality_code": np.repeat(acc["municipality_code"].to_numpy(), 12),
            "function_code": np.repeat(acc["function_code"].to_numpy(), 12),
            "year": np.repeat(acc["year"].to_numpy(), 12),
            "month": np.tile(months, n),
            "spending_dkk": monthly.ravel(),
        }
    )


# sector -> (measure, paragraph, monthly cost low/high in DKK, duration months low/high, P(external),
#            P(CPR-registered))
_MEASURES = {
    "employment": (
        ("Kontanthjælp", "AKL §25", 13_000, 17_000, 6, 36, 0.0, 1.0),
        ("Ressourceforløb", "LAB §68 b", 16_000, 20_000, 12, 48, 0.0, 1.0),
        ("Jobafklaringsforløb", "LAB §68 c", 15_000, 19_000, 6, 24, 0.0, 1.0),
        ("Mentorstøtte", "LAB §78", 3_000, 6_000, 3, 12, 0.5, 1.0),
    ),
    "children_families": (
        ("Anbringelse på døgninstitution", "SEL §52, stk. 3, nr. 7", 55_000, 75_000, 12, 60, 0.8, 1.0),
        ("Anbringelse i plejefamilie", "SEL §52, stk. 3, nr. 7", 25_000, 40_000, 12, 72, 0.3, 1.0),
        ("Familiebehandling", "SEL §52, stk. 3, nr. 3", 8_000, 15_000, 6, 18, 0.4, 1.0),
        ("Åben rådgivning", "SEL §11", 2_000, 5_000, 3, 12, 0.0, 0.0),
    ),
    "adults_social": (
        ("Botilbud til længerevarende ophold", "§108", 80_000, 130_000, 36, 120, 0.5, 1.0),
        ("Midlertidigt botilbud", "§107", 100_000, 160_000, 6, 30, 0.5, 1.0),
        ("Socialpædagogisk bistand", "§85", 8_000, 25_000, 6, 48, 0.2, 1.0),
        ("Beskyttet beskæftigelse", "§103", 10_000, 15_000, 12, 60, 0.3, 1.0),
        ("Aktivitets- og samværstilbud", "§104", 10_000, 18_000, 12, 60, 0.2, 0.7),
        ("Støtte- og kontaktperson", "§99", 3_000, 6_000, 6, 24, 0.0, 0.0),
        ("Stofmisbrugsbehandling", "§101", 6_000, 12_000, 3, 12, 0.4, 1.0),
    ),
    "health": (
        ("Hjemmesygepleje", "SUL §138", 3_000, 8_000, 3, 24, 0.0, 1.0),
        ("Genoptræning", "SUL §140", 2_000, 5_000, 2, 6, 0.0, 1.0),
        ("Alkoholbehandling", "SUL §141", 3_000, 6_000, 3, 12, 0.3, 0.0),
        ("Kommunal medfinansiering", None, 1_000, 4_000, 1, 6, 1.0, 1.0),
    ),
}
_SECTORS = tuple(_MEASURES)
#: The function of main function 5.38 a measure is paid on (other sectors' functions are left empty).
_CASE_FUNCTION = {
    "Botilbud til længerevarende ophold": "5.38.50",
    "Midlertidigt botilbud": "5.38.52",
    "Socialpædagogisk bistand": "5.38.38",
    "Beskyttet beskæftigelse": "5.38.58",
    "Aktivitets- og samværstilbud": "5.38.59",
    "Støtte- og kontaktperson": "5.38.53",
    "Stofmisbrugsbehandling": "5.38.45",
    "Alkoholbehandling": "5.38.44",
}
_FIRST = dt.date(2017, 1, 1)
_EXTRACT_DATE = dt.date(2025, 12, 31)


def _fake_cprs(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct fictitious CPR numbers (DDMMYY-SSSS): birth dates 1950-2004, random serials."""
    out: set[str] = set()
    span = (dt.date(2004, 12, 31) - dt.date(1950, 1, 1)).days
    result = []
    while len(result) < n:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, span)))
        cpr = f"{birth:%d%m%y}-{int(rng.integers(0, 10_000)):04d}"
        if cpr not in out:
            out.add(cpr)
            result.append(cpr)
    return result


def _with_birth_dates(rng: np.random.Generator, raw_cases: pd.DataFrame) -> pd.DataFrame:
    """``raw_cases`` with a fictitious ``birth_date`` (ISO text) per person (per CPR number), see the docstring.

    Persons with a case on 5.38 are aged 26-88 on 31 December 2025 (so 18 or over from 2017), 15 % of them 65 or
    over; the others 20-70. One draw per person, persons in the order of their first row.
    """
    persons = raw_cases.drop_duplicates("cpr")["cpr"].tolist()
    adult = set(raw_cases.loc[raw_cases["function_code"].fillna("").str.startswith("5.38."), "cpr"])
    older = rng.random(len(persons)) < 0.15
    age_adult = np.where(older, rng.uniform(65, 89, len(persons)), rng.uniform(26, 65, len(persons)))
    age_other = rng.uniform(20, 71, len(persons))
    births = {}
    for i, cpr in enumerate(persons):
        age = age_adult[i] if cpr in adult else age_other[i]
        births[cpr] = (_EXTRACT_DATE - dt.timedelta(days=int(age * 365.25))).isoformat()
    return raw_cases.assign(birth_date=raw_cases["cpr"].map(births))


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


#: (function_code, paragraph) -> measure, sector, duration in months low/high, P(planned end date)
_STREAMS = {
    ("5.38.38", "§85"): ("Socialpædagogisk bistand", "adults_social", 6, 48, 0.5),
    ("5.38.38", "§96"): ("Borgerstyret personlig assistance", "adults_social", 36, 120, 0.0),
    ("5.38.40", "§12"): ("Rådgivning og rådgivningsinstitutioner", "adults_social", 3, 12, 0.6),
    ("5.38.42", "§110"): ("Forsorgshjem", "adults_social", 2, 9, 0.3),
    ("5.38.42", "§109"): ("Krisecenter", "adults_social", 1, 5, 0.3),
    ("5.38.44", "SUL §141"): ("Alkoholbehandling", "health", 3, 12, 0.7),
    ("5.38.45", "§101"): ("Stofmisbrugsbehandling", "adults_social", 3, 12, 0.7),
    ("5.38.50", "§108"): ("Botilbud til længerevarende ophold", "adults_social", 36, 120, 0.0),
    ("5.38.51", "§85"): ("Bostøtte i botilbudslignende tilbud", "adults_social", 12, 72, 0.2),
    ("5.38.52", "§107"): ("Midlertidigt botilbud", "adults_social", 6, 30, 0.8),
    ("5.38.53", "§97"): ("Ledsageordning", "adults_social", 12, 60, 0.3),
    ("5.38.53", "§99"): ("Støtte- og kontaktperson", "adults_social", 6, 24, 0.5),
    ("5.38.58", "§103"): ("Beskyttet beskæftigelse", "adults_social", 12, 60, 0.2),
    ("5.38.59", "§104"): ("Aktivitets- og samværstilbud", "adults_social", 12, 60, 0.2),
}
#: The share of an area's booked spending the sample's cases explain (the rest: overheads, postings not on a
#: person); each stream of cases is scaled to it over the years, the years then vary around it.
CASE_COVERAGE = 0.90
#: The programme's own support (paid from the programme's budget, not on a 5.38 function).
PROGRAMME_MEASURE = "Koordineret forløbsstøtte"


def _month_start(index: int) -> dt.date:
    """The first day of month ``index`` (year * 12 + month - 1)."""
    return dt.date(index // 12, index % 12 + 1, 1)


def _stream_cases(rng: np.random.Generator, code: int, activity: pd.DataFrame) -> list[dict]:
    """The cases of 5.38 of one municipality, simulated month by month to match its activity.

    For every function, paragraph and provider the running cases are kept at the year's full-year persons
    (interpolated between mid-years): cases end at the end of their duration (drawn from the measure's range) and
    new cases start when fewer run than the target; when more run than the target, those nearest their end stop
    early. A case's monthly cost is the stream's price per full-year person of its start year / 12 with some
    spread (log-normal, sd 0.15); each stream's costs are then scaled so that its cases pay
    :data:`CASE_COVERAGE` of its spending over the years. Some cases carry a planned end date (``planned_end_date``,
    *bevilget til*): the actual end, or a few months off it.
    """
    first, last = _FIRST.year * 12, _EXTRACT_DATE.year * 12 + 11
    act = activity[activity["municipality_code"] == code]
    out: list[dict] = []
    for (function, paragraph, provider), g in act.groupby(
        ["function_code", "paragraph", "provider"], sort=True
    ):
        measure, sector, dlo, dhi, p_planned = _STREAMS[(function, paragraph)]
        g = g.set_index("year").sort_index()
        persons = g["full_year_persons"].reindex(range(_FIRST.year, YEARS[-1] + 1)).bfill().to_numpy()
        spending = g["spending_dkk"].reindex(range(_FIRST.year, YEARS[-1] + 1)).bfill().to_numpy()
        price = np.where(persons > 0, spending / np.maximum(persons, 1e-9), 0.0) / 12
        mid = np.arange(len(persons)) * 12 + 6
        target = np.interp(np.arange(last - first + 1), mid, persons)
        cases: list[list] = []  # [start, end (last month paid), cost]
        n0 = int(np.floor(target[0] + rng.random()))
        for _ in range(n0):  # the stock running on 1 January 2017 started earlier
            d = int(rng.integers(dlo, dhi + 1))
            s_ = first - int(rng.integers(0, d))
            cases.append([s_, s_ + d - 1, price[0] * rng.lognormal(0, 0.15)])
        for m in range(first, last + 1):
            running = [c for c in cases if c[0] <= m <= c[1]]
            want = int(np.floor(target[m - first] + rng.random()))
            if len(running) > want:
                for c in sorted(running, key=lambda c: c[1])[: len(running) - want]:
                    c[1] = m - 1  # stops early, at the end of last month
                    if c[1] < c[0]:
                        c[1] = c[0]
            for _ in range(max(want - len(running), 0)):
                y = (m - first) // 12
                cases.append([m, m + int(rng.integers(dlo, dhi + 1)) - 1, price[y] * rng.lognormal(0, 0.15)])
        # scale the costs so that the cases pay CASE_COVERAGE of the stream's spending in each of the sample's
        # years: a few rounds of scaling each case by the (months-weighted) mean factor of the years it pays in
        arr = np.array(cases, dtype=float).reshape(-1, 3)
        years = np.array(YEARS)
        lo_m, hi_m = years * 12, years * 12 + 11
        months = np.clip(
            np.minimum(arr[:, 1:2], hi_m[None, :]) - np.maximum(arr[:, 0:1], lo_m[None, :]) + 1, 0, None
        )  # (cases, years)
        want = CASE_COVERAGE * g["spending_dkk"].reindex(years).fillna(0.0).to_numpy()
        for _ in range(8):
            paid = (arr[:, 2:3] * months).sum(axis=0)
            f = np.where(paid > 0, want / np.where(paid > 0, paid, 1.0), 1.0)
            w = months.sum(axis=1)
            mean_log = np.where(
                w > 0, (months * np.log(np.maximum(f, 1e-6))[None, :]).sum(axis=1) / np.maximum(w, 1), 0
            )
            arr[:, 2] *= np.exp(mean_log)
        cases = [list(r) for r in arr]
        for start, end, cost in cases:
            start, end = int(start), int(end)
            planned = None
            if rng.random() < p_planned:
                off = 0 if rng.random() < 0.5 else int(rng.integers(-3, 7))
                planned = max(end - off, start)
            out.append(
                {
                    "municipality_code": code,
                    "sector": sector,
                    "measure": measure,
                    "paragraph": paragraph,
                    "function_code": function,
                    "provider": provider,
                    "start_date": _month_start(start),
                    "end_date": None if end >= last else _month_start(end + 1) - dt.timedelta(days=1),
                    "planned_end_date": None
                    if planned is None
                    else _month_start(planned + 1) - dt.timedelta(days=1),
                    "monthly_cost_dkk": float(round(cost, -2)),
                    "cpr_registered": True,
                }
            )
    return out


def _assign(
    rng: np.random.Generator,
    stream: list[dict],
    person_cases: list[list[dict]],
    adults: np.ndarray,
    weight: np.ndarray,
) -> list[int]:
    """The person of each stream case (an index into ``person_cases``; -1 where none is free).

    A person with adult cases (drawn by weight) who has no case of the same measure at the same time.
    """
    busy: dict[tuple[int, str], list[tuple[dt.date, dt.date]]] = {}
    for i, mine in enumerate(person_cases):
        for c in mine:
            busy.setdefault((i, c["measure"]), []).append((c["start_date"], c["end_date"] or dt.date.max))
    p = weight[adults] / weight[adults].sum() if len(adults) else np.array([])
    who = []
    for c in stream:
        a0, a1 = c["start_date"], c["end_date"] or dt.date.max
        chosen = -1
        for i in rng.choice(adults, size=min(8, len(adults)), replace=False, p=p) if len(adults) else []:
            spans = busy.get((int(i), c["measure"]), [])
            if all(a1 < b0 or b1 < a0 for b0, b1 in spans):
                chosen = int(i)
                break
        if chosen >= 0:
            busy.setdefault((chosen, c["measure"]), []).append((a0, a1))
        who.append(chosen)
    return who


def _cases(
    rng: np.random.Generator,
    munis: pd.DataFrame,
    activity: pd.DataFrame | None = None,
    stream_rng: np.random.Generator | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw case and programme extracts, with fictitious CPR numbers.

    The persons and their cases in the other sectors come from the person model (see the module docstring); the
    cases on 5.38 (adult social services and alcohol treatment) are simulated from the activity table
    (:func:`_stream_cases`) and handed to persons with adult cases, never two cases of one measure at once for
    one person.
    """
    stream_rng = stream_rng if stream_rng is not None else np.random.default_rng([SEED, 3])
    # sized by the reference list's (rounded) population, so the extracts do not move with the population spread
    pop = reference.municipalities().set_index("municipality_code")["population_2024"]
    days = (_EXTRACT_DATE - _FIRST).days
    case_rows, member_rows = [], []
    for code in CASE_MUNICIPALITIES:
        n = int(pop[code] // 40)
        cprs = _fake_cprs(rng, n)
        complexity = rng.gamma(1.2, 1.0, n)
        n_sectors = np.clip(1 + rng.poisson(complexity * 0.7), 1, 4)
        serial = 0
        adult = np.zeros(n, dtype=bool)
        person_cases: list[list[dict]] = []
        for i in range(n):
            mine = []
            sectors = rng.choice(len(_SECTORS), size=n_sectors[i], replace=False)
            for s in sorted(sectors):
                sector = _SECTORS[s]
                options = _MEASURES[sector]
                for _ in range(1 + rng.poisson(0.4 + 0.3 * complexity[i])):
                    measure, para, lo, hi, dlo, dhi, p_ext, p_cpr = options[rng.integers(len(options))]
                    start = _FIRST + dt.timedelta(days=int(rng.integers(0, days)))
                    start = dt.date(start.year, start.month, 1)
                    end = _add_months(start, int(rng.integers(dlo, dhi + 1))) - dt.timedelta(days=1)
                    cpr_registered = bool(rng.random() < p_cpr)
                    ext_draw, cost_draw = rng.random(), rng.uniform(lo, hi)
                    if activity is not None and (sector == "adults_social" or measure == "Alkoholbehandling"):
                        adult[i] = True
                        continue  # 5.38 cases come from the activity streams (see _stream_cases)
                    earlier = [c for c in mine if c["measure"] == measure]
                    if earlier:  # the same measure again: after the earlier one, never at the same time
                        if any(c["end_date"] is None for c in earlier):
                            continue
                        after = max(c["end_date"] for c in earlier) + dt.timedelta(days=1)
                        after = _add_months(after, 1) if after.day != 1 else after
                        if after > start:
                            end = _add_months(after, _months_overlap(start, end, start, end)) - dt.timedelta(
                                days=1
                            )
                            start = after
                        if start > _EXTRACT_DATE:
                            continue
                    serial += 1
                    mine.append(
                        {
                            "cpr": cprs[i],
                            "case_id": f"{code}-{serial:06d}",
                            "municipality_code": code,
                            "sector": sector,
                            "measure": measure,
                            "paragraph": para,
                            "provider": "external" if ext_draw < p_ext else "internal",
                            "start_date": start,
                            "end_date": None if end > _EXTRACT_DATE else end,
                            "monthly_cost_dkk": float(round(cost_draw, -2)) if cpr_registered else None,
                            "cpr_registered": cpr_registered,
                        }
                    )
            person_cases.append(mine)
        # Programme members: at least two sectors, chosen by cost in the year before a join date.
        joined = [dt.date(2022, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 900, n)]
        joined = [dt.date(d.year, d.month, 1) for d in joined]
        score = np.array(
            [
                _cost_in_year_before(cases, joined[i]) * (len({c["sector"] for c in cases}) >= 2)
                for i, cases in enumerate(person_cases)
            ]
        )
        n_members = int(round(n * 0.06))
        members = np.argsort(-score * rng.uniform(0.7, 1.3, n), kind="stable")[:n_members]
        for i in sorted(members):
            left = None
            if rng.random() < 0.25:
                left = _add_months(joined[i], int(rng.integers(6, 24))) - dt.timedelta(days=1)
                left = None if left > _EXTRACT_DATE else left
            member_rows.append(
                {
                    "cpr": cprs[i],
                    "municipality_code": code,
                    "programme": PROGRAMMES[code],
                    "joined": joined[i],
                    "left": left,
                }
            )
            _programme_effect(rng, person_cases[i], joined[i])
            serial += 1
            person_cases[i].append(
                {
                    "cpr": cprs[i],
                    "case_id": f"{code}-{serial:06d}",
                    "municipality_code": code,
                    "sector": "adults_social",
                    "measure": PROGRAMME_MEASURE if activity is not None else "Socialpædagogisk bistand",
                    "paragraph": "§85",
                    "provider": "internal",
                    "start_date": joined[i],
                    "end_date": None,
                    "monthly_cost_dkk": float(round(rng.uniform(6_000, 12_000), -2)),
                    "cpr_registered": True,
                }
            )
        if activity is not None:
            stream = _stream_cases(stream_rng, code, activity)
            who = _assign(stream_rng, stream, person_cases, np.flatnonzero(adult), complexity + 0.1)
            for c, i in zip(stream, who, strict=True):
                if i < 0:  # nobody free: a person of their own
                    taken = set(cprs)
                    cpr = _fake_cprs(stream_rng, 1)[0]
                    while cpr in taken:
                        cpr = _fake_cprs(stream_rng, 1)[0]
                    cprs.append(cpr)
                    person_cases.append([])
                    i = len(person_cases) - 1
                serial += 1
                person_cases[i].append({"cpr": cprs[i], "case_id": f"{code}-{serial:06d}", **c})
        case_rows.extend(c for cases in person_cases for c in cases)
    raw_cases = pd.DataFrame(case_rows)
    by_measure = raw_cases["measure"].map(_CASE_FUNCTION)
    if "function_code" in raw_cases.columns:  # the streams' cases carry theirs
        by_measure = raw_cases["function_code"].where(raw_cases["function_code"].notna(), by_measure)
    raw_cases["function_code"] = by_measure.astype(object).where(by_measure.notna(), None)
    if "planned_end_date" not in raw_cases.columns:
        raw_cases["planned_end_date"] = None
    raw_cases = raw_cases.sort_values(["municipality_code", "case_id"], ignore_index=True)
    for col in ("start_date", "end_date", "planned_end_date"):
        raw_cases[col] = raw_cases[col].map(lambda d: d.isoformat() if isinstance(d, dt.date) else None)
    raw_members = pd.DataFrame(member_rows)
    for col in ("joined", "left"):
        raw_members[col] = raw_members[col].map(lambda d: d.isoformat() if d is not None else None)
    return raw_cases, raw_members


def _cost_in_year_before(cases: list[dict], joined: dt.date) -> float:
    """Registered cost (DKK) of ``cases`` in the 12 months before ``joined``."""
    lo = _add_months(joined, -12)
    total = 0.0
    for c in cases:
        if not c["cpr_registered"]:
            continue
        end = c["end_date"] or _EXTRACT_DATE
        months = _months_overlap(c["start_date"], end, lo, joined - dt.timedelta(days=1))
        total += months * c["monthly_cost_dkk"]
    return total


def _months_overlap(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date) -> int:
    """Whole months two date ranges share, counting months by their first day."""
    s, e = max(a0, b0), min(a1, b1)
    if e < s:
        return 0
    return (e.year - s.year) * 12 + e.month - s.month + 1


def _programme_effect(rng: np.random.Generator, cases: list[dict], joined: dt.date) -> None:
    """Shorten a third of a member's employment and children's cases that run beyond six months after joining."""
    horizon = _add_months(joined, 6)
    for c in cases:
        end = c["end_date"] or _EXTRACT_DATE
        runs_on = (
            c["sector"] in ("employment", "children_families") and c["start_date"] < joined and end > horizon
        )
        if runs_on and rng.random() < 1 / 3:  # draw only for cases that run on
            c["end_date"] = _add_months(joined, int(rng.integers(3, 7))) - dt.timedelta(days=1)


def build(path: str | os.PathLike, seed: int = SEED) -> dict[str, int]:
    """Build the sample warehouse at ``path`` (replacing it atomically); returns the row count of each table.

    The raw case extracts pass through the same ingest as users' extracts: CPR numbers are pseudonymised
    before anything is written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tables = generate(seed)
    tables["cases"] = ingest_cases(tables.pop("raw_cases"), source="sample case extract")
    tables["programme_members"] = ingest_programme_members(
        tables.pop("raw_programme_members"), source="sample programme extract"
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    counts = {}
    con = connect(tmp, read_only=False)
    try:
        create_schema(con)
        for name in (
            "municipalities",
            "function_areas",
            "accounts",
            "budgets",
            "activity",
            "ledger",
            "capacity",
            "cases",
            "programme_members",
        ):
            counts[name] = load(con, name, tables[name], source=f"sample {name}", mode="replace")
        write_meta(
            con,
            {
                "kind": "sample",
                "sample_version": SAMPLE_VERSION,
                "seed": str(seed),
                "years": f"{YEARS[0]}-{YEARS[-1]}",
            },
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    log.debug("Built the sample warehouse %s in %.1f s", path, time.perf_counter() - started)
    return counts


def is_current(path: Path, seed: int = SEED) -> bool | None:
    """True if ``path`` holds a sample of this version and seed, False if an outdated sample, None if not a sample."""
    if not path.exists():
        return False
    con = connect(path, read_only=True)
    try:
        meta = read_meta(con)
    finally:
        con.close()
    return meta_is_current(meta, seed)


def meta_is_current(meta: dict[str, str], seed: int = SEED) -> bool | None:
    """:func:`is_current` of a warehouse whose metadata (:func:`~analysis.data.warehouse.read_meta`) is ``meta``."""
    if meta.get("kind") != "sample":
        return None
    return meta.get("sample_version") == SAMPLE_VERSION and meta.get("seed") == str(seed)


def ensure(path: str | os.PathLike, seed: int = SEED) -> None:
    """Build the sample at ``path`` unless it already holds a current sample or a warehouse of other data."""
    path = Path(path)
    if path.exists() and is_current(path, seed) is not False:
        return
    with build_lock(path):
        if path.exists() and is_current(path, seed) is not False:
            return  # another process built it while we waited
        log.info("Building the sample warehouse %s (first use, or the sample generator changed) ...", path)
        build(path, seed)

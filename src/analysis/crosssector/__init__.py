"""Cross-sector cost tracing (tværgående økonomi): persons' costs across sectors, target group, effect, sharing.

For citizens and families served by several sectors at once (employment, children and families, adults/social,
health), this package follows each person's whole cost, month by month, and answers the questions of a
municipality running a cross-sector programme: whom to include (a complexity score and a ranked candidate list),
whether the programme pays off (baseline against actual, beside a matched comparison group), how to share the
realised gain between the sector budgets at year end (the Albertslund model), and how the year is going (realised
cost so far plus a forecast for the rest of the year against last year, Furesø's figure).

Pure pandas on warehouse-shaped frames (tables ``cases`` and ``programme_members``, see
:mod:`analysis.data.schema`) and parameters passed in: nothing here opens a file or the warehouse. The notebook
reads them (:func:`analysis.data.queries.cases`, :func:`analysis.data.programmes.programme_members`,
:func:`analysis.data.unit_costs.read_unit_costs`). Everything here works on pseudonyms (``person_id``); nothing is
suppressed here: the report suppresses small groups when it shows the figures (:mod:`analysis.privacy`,
:mod:`analysis.reporting.crosssector_tables`).

Modules, by job
---------------
:mod:`~analysis.crosssector.costs`
    Each person's cost per sector and month; the year's overview per sector and by number of sectors.
:mod:`~analysis.crosssector.targeting`
    The complexity score, its bands and distribution, the ranked candidate list.
:mod:`~analysis.crosssector.evaluation`
    Baseline against actual, the matched comparison group, the evaluation (difference in differences).
:mod:`~analysis.crosssector.sharing`
    The year-end distribution of the realised gain among the sectors (Albertslund).
:mod:`~analysis.crosssector.followup`
    The monthly follow-up: realised so far, forecast for the rest of the year, last year (Furesø).
:mod:`~analysis.crosssector.report`
    The report's figures computed once from the inputs (:func:`cross_sector_report`), with the one definition of
    each headline number (members at the report month, members ever, realised gain, estimated effect).

Conventions
-----------
Months
    Costs are counted by calendar month (``pandas.Period``, frequency M). A case costs its monthly amount in
    every month it runs; a month it runs only part of is prorated by days (``proration="days"``: 10 of 30 days
    cost a third) or counted whole (``proration="whole"``). A case with no end date runs to the end of the data
    (``end``, by default the month of the latest date in the cases).
CPR-registered and average costs
    A CPR-registered case costs its ``monthly_cost_dkk``. A case that is not CPR-registered costs the average
    unit cost of its measure (DKK per month, from ``parameters/unit_costs.yaml`` read by the notebook); the two
    are kept apart (``registered_dkk``, ``average_dkk``) so that a report can say how much rests on averages.
Periods around joining
    The baseline (nulpunktsmåling) is the 12 calendar months before the month of joining; the actual period is
    the month of joining and the 11 after it, cut at the end of the data. Amounts are compared per month and
    shown per year (x 12), so that a shorter actual period is comparable. Members who left the programme stay
    in the evaluation (intention to treat).
Signs
    ``change`` is actual less baseline (negative: costs fell); ``gain`` is baseline less actual (positive: a
    saving).
"""

from analysis.crosssector.costs import (
    SECTOR_NAMES,
    SECTORS,
    TOTAL,
    by_number_of_sectors,
    data_end,
    person_month_costs,
    sector_summary,
)
from analysis.crosssector.evaluation import (
    Evaluation,
    baseline_actual,
    change_distribution,
    employment_outcome,
    evaluate,
    followed_members,
    match_comparison,
    outcome_summary,
)
from analysis.crosssector.followup import follow_up
from analysis.crosssector.report import CrossSectorReport, cross_sector_report, membership
from analysis.crosssector.sharing import DISTRIBUTION_RULES, largest_remainder, year_end_distribution
from analysis.crosssector.targeting import (
    ComplexityWeights,
    candidate_list,
    complexity,
    complexity_bands,
    score_distribution,
)

__all__ = [
    "DISTRIBUTION_RULES",
    "SECTORS",
    "SECTOR_NAMES",
    "TOTAL",
    "ComplexityWeights",
    "CrossSectorReport",
    "Evaluation",
    "baseline_actual",
    "by_number_of_sectors",
    "candidate_list",
    "change_distribution",
    "complexity",
    "complexity_bands",
    "cross_sector_report",
    "data_end",
    "employment_outcome",
    "evaluate",
    "follow_up",
    "followed_members",
    "largest_remainder",
    "match_comparison",
    "membership",
    "outcome_summary",
    "person_month_costs",
    "score_distribution",
    "sector_summary",
    "year_end_distribution",
]

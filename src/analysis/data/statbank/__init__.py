"""Statistics Denmark's Statistikbank: the API client, readers of every layout a user gets, loaders and the fetch.

The package has one module per job; every public name is available from here as before.

:mod:`~analysis.data.statbank.client`
    :class:`Client` for the API's ``tableinfo`` and ``data`` endpoints (``https://api.statbank.dk/v1`` unless
    ``ANALYSIS_STATBANK_URL`` names another), polite (one request at a time, retries with back-off) and clear
    when there is no internet connection.
:mod:`~analysis.data.statbank.parse`
    :func:`read`: the API's CSV, BULK and JSON-stat, and statbank.dk's web downloads (CSV without a heading line,
    the matrix with title lines), as one tidy frame.
:mod:`~analysis.data.statbank.tables`
    :func:`to_accounts` (REGK31), :func:`to_budgets` (BUDK32), :func:`to_municipalities` (FOLK1A),
    :func:`to_activity` (HAND01, by the mapping ``parameters/statbank/hand01.yaml``) and :func:`to_areas`
    (ARE207): warehouse rows, with units never bypassed.
:mod:`~analysis.data.statbank.loading`
    :func:`load`: a file into the warehouse, after checking that it is the table it is loaded as;
    :func:`feature_sources`: where each structural feature came from.
:mod:`~analysis.data.statbank.fetching`
    :func:`fetch`: what the reports need, for all 98 municipalities, downloaded (resumably, into a cache beside
    the warehouse) and loaded: ``analysis fetch statbank --years 2018-2025``.

>>> client = Client()                                                        # doctest: +SKIP
>>> text = client.data("FOLK1A", {"OMRÅDE": "*", "ALDER": "*", "Tid": "2025K1"})  # doctest: +SKIP
"""

from analysis.data.statbank.client import BASE_URL_ENV, DEFAULT_BASE_URL, Client, StatbankError
from analysis.data.statbank.fetching import FetchResult, cache_folder, fetch, parse_years
from analysis.data.statbank.loading import TABLES, feature_sources, load, table_kind
from analysis.data.statbank.parse import LAYOUTS, period, read, year_from_name
from analysis.data.statbank.tables import (
    HAND_FUNCTIONS,
    Converted,
    hand_mapping,
    paragraph,
    service,
    to_accounts,
    to_activity,
    to_areas,
    to_budgets,
    to_municipalities,
)

__all__ = [
    "BASE_URL_ENV",
    "Client",
    "Converted",
    "DEFAULT_BASE_URL",
    "FetchResult",
    "HAND_FUNCTIONS",
    "LAYOUTS",
    "StatbankError",
    "TABLES",
    "cache_folder",
    "feature_sources",
    "fetch",
    "hand_mapping",
    "load",
    "paragraph",
    "parse_years",
    "period",
    "read",
    "service",
    "table_kind",
    "to_accounts",
    "to_activity",
    "to_areas",
    "to_budgets",
    "to_municipalities",
    "year_from_name",
]

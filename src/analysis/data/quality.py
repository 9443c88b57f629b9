"""Data quality: the checks behind the report ``notebooks/data_quality.ipynb``.

Two kinds of check feed the report (:func:`findings`):

Checks made when a file is loaded, kept with the load (table ``_findings``)
    On ledger exports (:mod:`analysis.data.ledger`): unknown or retired function codes, postings on the wrong type
    of account, negative postings, duplicate postings (counted in postings). On case extracts
    (:mod:`analysis.data.case_extract`): cases without a CPR number and cases that end before they start (both
    skipped on ingest and counted here), unknown or retired function codes (counted in cases), CPR numbers with an
    impossible date (counted in cases) and CPR-shaped numbers masked in free text (counted in cells). They need the
    file: the warehouse keeps months, not postings, never a row without a pseudonym, and never a CPR number.
Checks made on the warehouse when the report runs
    Missing months in the ledger, and spending without activity (:func:`missing_months`,
    :func:`spending_without_activity`), for the function areas the workbench analyses (table ``function_areas``).
    The plausibility of the cases (:func:`overlapping_cases`, :func:`future_starts`,
    :func:`costs_without_registration`): the same measure twice at once for one person, cases starting after the
    report's last year, and monthly costs on cases not registered on the person's CPR number.

Every finding is counted and comes with a few examples that carry no person data: row numbers, voucher and case
numbers, amounts, dates; never a CPR number or a person's pseudonym. :func:`findings` masks both once more in
everything it returns (:func:`analysis.privacy.mask_person_data`), also in findings a warehouse kept from before.

The sample with known faults that the report's tests use (and a demo of the report with findings) is built by
``tests/faults.py``::

    python -m tests.faults inject data/dq-demo.duckdb
    ANALYSIS_WAREHOUSE=data/dq-demo.duckdb analysis run parameters/batches/data-quality.yaml
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from analysis.danish import fmt_dkk, fmt_month, fmt_number, fmt_pct
from analysis.data import loads
from analysis.data.loads import FINDINGS_TABLE, LOADS_TABLE, Finding
from analysis.data.warehouse import fetch_one
from analysis.privacy import mask_person_data

__all__ = [
    "CHECKS",
    "SERIES_CHECKS",
    "Check",
    "costs_without_registration",
    "count_text",
    "explain_rows",
    "files_intro",
    "files_table",
    "findings",
    "findings_table",
    "headline",
    "method_lines",
    "reconcile_ledger",
    "report_findings",
    "series_breaks",
    "future_starts",
    "loaded_files",
    "missing_months",
    "overlapping_cases",
    "reason_da",
    "spending_without_activity",
    "summary",
]


@dataclass(frozen=True)
class Check:
    """One data-quality check as the report presents it.

    Attributes
    ----------
    title : str
        Danish name shown in the report.
    kinds : tuple of str
        Where its findings come from: ``ledger`` or ``cases`` files, or ``warehouse`` (computed on the warehouse).
    method : str
        Danish description for the report's "Metode og data".
    """

    title: str
    kinds: tuple[str, ...]
    method: str


CHECKS: dict[str, Check] = {
    "unknown_function": Check(
        "Ukendte funktionskoder",
        ("ledger", "cases"),
        "funktionskoder, der ikke står i værktøjets liste over kontoplanens funktioner (en delvis liste over det "
        "sociale område og nabofunktionerne; en kode, der mangler, kan være gyldig).",
    ),
    "retired_function": Check(
        "Udgåede funktionskoder",
        ("ledger", "cases"),
        "funktionskoder brugt efter det sidste år, de måtte bruges (fx hovedfunktion 5.32, der udgik med "
        "budget 2018).",
    ),
    "wrong_account_type": Check(
        "Postering på forkert kontotype",
        ("ledger",),
        "finansudgifter (art 6) på en driftsfunktion på hovedkonto 0-6, statsrefusion (art 8.6) uden for dranst 2, "
        "og udgiftsarter (0-5) på en ren indtægtsfunktion. Kræver en art-kolonne i bogføringsfilen.",
    ),
    "negative_posting": Check(
        "Negative posteringer",
        ("ledger",),
        "posteringer med negativt beløb på en udgiftsart (0-5) eller uden art: tilbageførsler og refusioner, der "
        "bør kunne forklares. Negative beløb på indtægtsarter er normale og tælles ikke.",
    ),
    "duplicate_posting": Check(
        "Dobbelte posteringer",
        ("ledger",),
        "posteringer, der er ens i alle indlæste kolonner (funktion, dato, beløb, art, dranst, bilagsnummer og "
        "tekst); hver ekstra kopi tælles.",
    ),
    "missing_months": Check(
        "Manglende måneder",
        ("warehouse",),
        "måneder uden bogføring på et analyseret funktionsområde mellem funktionens første måned og den seneste "
        "måned med bogføring i kommunen, inden for rapportens år.",
    ),
    "missing_cpr": Check(
        "Sager uden CPR-nummer",
        ("cases",),
        "sager i sagsudtrækket uden CPR-nummer. De kan ikke pseudonymiseres eller kobles til personens øvrige "
        "sager og springes over ved indlæsning; de tælles her.",
    ),
    "end_before_start": Check(
        "Sager, der slutter før de starter",
        ("cases",),
        "sager med en slutdato før startdatoen; de springes over ved indlæsning og tælles her.",
    ),
    "cpr_invalid_date": Check(
        "CPR-numre med umulig dato",
        ("cases",),
        "sager, hvis CPR-nummer ikke begynder med en mulig dato (fx 31. april eller måned 13). Sagerne indlæses "
        "med pseudonym som andre; CPR-nummeret bør rettes i fagsystemet. Erstatningsnumre (dag + 60) tælles også.",
    ),
    "cpr_in_text": Check(
        "CPR-numre i fritekst",
        ("cases",),
        "felter med fritekst (ydelse, paragraf), der rummer et tal formet som et CPR-nummer (dag og måned, to "
        "cifre for året, evt. bindestreg, mellemrum, skråstreg eller punktum og fire cifre). Tallet erstattes af "
        "[CPR] ved indlæsning og gemmes aldrig; fritekst i fagsystemet bør ikke rumme CPR-numre.",
    ),
    "overlapping_cases": Check(
        "Overlappende sager om samme ydelse",
        ("warehouse",),
        "sager, der løber samtidig med en tidligere startet sag om samme ydelse for samme person (mindst én fælles "
        "dag; slutdatoen regnes med): mulige dobbeltregistreringer. På børne- og familieområdet kan søskendes "
        "sager stå på familiens indeksperson; fordelingen på sektorer står i bemærkningen.",
    ),
    "future_start": Check(
        "Sager, der starter efter rapportens sidste år",
        ("warehouse",),
        "sager med en startdato efter 31. december i rapportens sidste år: planlagte sager eller tastefejl i "
        "datoen.",
    ),
    "cost_without_registration": Check(
        "Udgift uden CPR-registrering",
        ("warehouse",),
        "sager med en månedlig udgift, som ikke er registreret på personens CPR-nummer i økonomisystemet. "
        "Krydssektoranalysen bruger da ydelsens gennemsnitspris i stedet for udgiften.",
    ),
    "incomplete_quarters": Check(
        "År med manglende kvartaler i HAND01",
        ("statbank",),
        "år, hvor Danmarks Statistiks HAND01 (fuldtidsydelser pr. kvartal) mangler tal for et eller flere "
        "kvartaler for kommunen ('..'). Helårspersonerne er da gennemsnittet af de kvartaler, der er tal for. "
        "Kontrollen vises kun, når aktiviteten er indlæst fra en HAND-tabel.",
    ),
    "spending_without_activity": Check(
        "Udgift uden aktivitet",
        ("warehouse",),
        "år og funktionsområder med udgift (regnskab, ellers bogføring), men ingen helårspersoner i "
        "aktivitetstabellen, så pris og mængde ikke kan beregnes.",
    ),
}

_KIND_NAME = {
    "ledger": "bogføringsfil",
    "cases": "sagsudtræk",
    "members": "deltagerliste",
    "statbank": "Danmarks Statistik",
}
"""The kinds of load (``_loads.kind``) in Danish, as the headline names a file; ``members`` is a cross-sector
programme's member list (``analysis load members``, table ``programme_members``)."""
_NOT_LOADED = {
    "ledger": "ingen bogføringsfil indlæst for kommunen",
    "cases": "intet sagsudtræk indlæst for kommunen",
}


def _mio(x: float) -> str:
    return fmt_dkk(x, "mio", 1)


def _month(year: int, month: int) -> str:
    return fmt_month(year, month, short=True)


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        fetch_one(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])[0]
    )


def missing_months(
    con: duckdb.DuckDBPyConnection, municipality_code: int, years: tuple[int, int], examples: int = 5
) -> Finding:
    """Months without postings on an analysed function area, between its first month and the latest month.

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        The municipality.
    years
        First and last year looked at.
    examples
        Examples kept.
    """
    df = con.execute(
        "SELECT function_code, year, month FROM ledger WHERE municipality_code = ? AND year BETWEEN ? AND ? "
        "AND function_code IN (SELECT function_code FROM function_areas) ORDER BY 1, 2, 3",
        [int(municipality_code), int(years[0]), int(years[1])],
    ).df()
    if df.empty:
        return Finding("missing_months", None, "måneder", note="ingen bogføring i lageret for kommunen")
    index = df["year"] * 12 + df["month"] - 1
    end = int(index.max())
    missing: list[tuple[str, int]] = []
    for code, g in df.assign(_i=index).groupby("function_code", sort=True):
        have = set(g["_i"])
        missing += [(code, i) for i in range(int(g["_i"].min()), end + 1) if i not in have]
    shown: dict[str, list[str]] = {}
    for code, i in missing:
        shown.setdefault(code, []).append(_month(i // 12, i % 12 + 1))
    ex = [
        f"{code}: {', '.join(months[:6])}{' ...' if len(months) > 6 else ''}"
        for code, months in shown.items()
    ]
    latest = _month(end // 12, end % 12 + 1)
    return Finding(
        "missing_months", len(missing), "måneder", ex[:examples], f"seneste måned med bogføring: {latest}"
    )


def spending_without_activity(
    con: duckdb.DuckDBPyConnection, municipality_code: int, years: tuple[int, int], examples: int = 5
) -> Finding:
    """Years and analysed function areas with spending (accounts, else ledger) but no full-year persons.

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        The municipality.
    years
        First and last year looked at.
    examples
        Examples kept.
    """
    params = [int(municipality_code), int(years[0]), int(years[1])]
    spending = con.execute(
        """
        WITH acc AS (
            SELECT year, function_code, spending_dkk FROM accounts
            WHERE municipality_code = ? AND year BETWEEN ? AND ?
        ), led AS (
            SELECT year, function_code, sum(spending_dkk) AS spending_dkk FROM ledger
            WHERE municipality_code = ? AND year BETWEEN ? AND ? GROUP BY ALL
        )
        SELECT year, function_code, coalesce(acc.spending_dkk, led.spending_dkk) AS spending_dkk
        FROM acc FULL JOIN led USING (year, function_code)
        WHERE function_code IN (SELECT function_code FROM function_areas)
        ORDER BY year, function_code
        """,
        params + params,
    ).df()
    persons = con.execute(
        "SELECT year, function_code, sum(full_year_persons) AS persons FROM activity "
        "WHERE municipality_code = ? AND year BETWEEN ? AND ? GROUP BY ALL",
        params,
    ).df()
    if spending.empty:
        note = "ingen udgift i lageret for kommunen"
        return Finding("spending_without_activity", None, "funktioner og år", note=note)
    merged = spending.merge(persons, on=["year", "function_code"], how="left")
    hits = merged[(merged["spending_dkk"].abs() > 0) & ~(merged["persons"].fillna(0) > 0)]
    ex = [
        f"{r.function_code} i {r.year}: {_mio(r.spending_dkk)} uden helårspersoner" for r in hits.itertuples()
    ]
    note = "ingen aktivitetsdata i lageret for kommunen" if persons.empty else ""
    return Finding("spending_without_activity", len(hits), "funktioner og år", ex[:examples], note)


_SECTOR_NAMES = {
    "employment": "beskæftigelse",
    "children_families": "børn og familie",
    "adults_social": "voksne",
    "health": "sundhed",
}


def _cases(con: duckdb.DuckDBPyConnection, municipality_code: int) -> pd.DataFrame:
    """The municipality's cases (no person data leaves this module: examples use case numbers only)."""
    if not _table_exists(con, "cases"):
        return pd.DataFrame()
    return con.execute(
        "SELECT case_id, person_id, sector, measure, start_date, end_date, monthly_cost_dkk, cpr_registered "
        "FROM cases WHERE municipality_code = ? ORDER BY case_id",
        [int(municipality_code)],
    ).df()


_NO_CASES = "ingen sager i lageret for kommunen"


def _period(start: object, end: object) -> str:
    return f"{pd.Timestamp(start):%d.%m.%Y}-" + ("" if pd.isna(end) else f"{pd.Timestamp(end):%d.%m.%Y}")


def overlapping_cases(
    con: duckdb.DuckDBPyConnection, municipality_code: int, years: tuple[int, int], examples: int = 5
) -> Finding:
    """Cases that run at the same time as an earlier-started case of the same person and measure.

    Per person and measure the cases are taken in order of start date (then case number); a case counts when it
    starts on or before the latest end date of the cases before it (a running case has no end). So a measure
    registered twice counts once, three times at once twice; a case that starts the day after the other ends does
    not count. The examples name the two case numbers, never the person.

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        The municipality.
    years
        Not used (every case of the municipality is checked); for the common signature of the checks.
    examples
        Examples kept.
    """
    cases = _cases(con, municipality_code)
    if cases.empty:
        return Finding("overlapping_cases", None, "sager", note=_NO_CASES)
    keys = ["person_id", "measure"]
    cases = cases.sort_values([*keys, "start_date", "case_id"], kind="stable").reset_index(drop=True)
    start = pd.to_datetime(cases["start_date"]).astype("datetime64[us]")
    never = pd.Timestamp("9999-12-31").as_unit("us")
    end = (
        pd.to_datetime(cases["end_date"]).astype("datetime64[us]").fillna(never)
    )  # a running case never ends
    groups = [cases[k] for k in keys]
    latest_before = end.groupby(groups).cummax().groupby(groups).shift()  # latest end of the earlier cases
    hit = (start <= latest_before).fillna(False).to_numpy(dtype=bool)
    ex = []
    for i in cases.index[hit].to_series().sort_values(key=lambda i: cases.loc[i, "case_id"])[:examples]:
        a = cases.loc[i]
        earlier = cases.loc[: i - 1]
        same = earlier[(earlier["person_id"] == a.person_id) & (earlier["measure"] == a.measure)]
        b = same.loc[end[same.index].idxmax()]  # the earlier case that runs the longest (the first such)
        ex.append(
            f"sag {a.case_id} ({_period(a.start_date, a.end_date)}) og sag {b.case_id} "
            f"({_period(b.start_date, b.end_date)}): {a.measure}"
        )
    per_sector = cases.loc[hit, "sector"].value_counts()
    note = "; ".join(f"{_SECTOR_NAMES.get(k, k)}: {int(n)}" for k, n in per_sector.sort_index().items())
    return Finding("overlapping_cases", int(hit.sum()), "sager", ex, note)


def future_starts(
    con: duckdb.DuckDBPyConnection, municipality_code: int, years: tuple[int, int], examples: int = 5
) -> Finding:
    """Cases whose start date is after 31 December of the report's last year (``years[1]``).

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        The municipality.
    years
        First and last year of the report; only the last is used.
    examples
        Examples kept.
    """
    cases = _cases(con, municipality_code)
    if cases.empty:
        return Finding("future_start", None, "sager", note=_NO_CASES)
    limit = pd.Timestamp(int(years[1]), 12, 31)
    hits = cases[pd.to_datetime(cases["start_date"]) > limit]
    ex = [
        f"sag {r.case_id}: start {pd.Timestamp(r.start_date):%d.%m.%Y} ({r.measure})"
        for r in hits.itertuples()
    ]
    note = f"rapportens sidste år: {int(years[1])}" if len(hits) else ""
    return Finding("future_start", len(hits), "sager", ex[:examples], note)


def costs_without_registration(
    con: duckdb.DuckDBPyConnection, municipality_code: int, years: tuple[int, int], examples: int = 5
) -> Finding:
    """Cases with a monthly cost that are not registered on the person's CPR number (``cpr_registered`` false).

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        The municipality.
    years
        Not used (every case is checked); for the common signature of the checks.
    examples
        Examples kept.
    """
    cases = _cases(con, municipality_code)
    if cases.empty:
        return Finding("cost_without_registration", None, "sager", note=_NO_CASES)
    registered = cases["cpr_registered"].astype("boolean").fillna(False).astype(bool)
    hits = cases[~registered & cases["monthly_cost_dkk"].notna()]
    ex = [
        f"sag {r.case_id}: {loads.kr(float(r.monthly_cost_dkk))} pr. måned ({r.measure})"
        for r in hits.itertuples()
    ]
    total = float(hits["monthly_cost_dkk"].sum())
    note = f"i alt {loads.kr(total)} pr. måned" if len(hits) else ""
    return Finding("cost_without_registration", len(hits), "sager", ex[:examples], note)


def findings(
    con: duckdb.DuckDBPyConnection, municipality_code: int, years: tuple[int, int], examples: int = 5
) -> pd.DataFrame:
    """Every check for one municipality: the findings recorded at load and those computed on the warehouse.

    Parameters
    ----------
    con
        A warehouse connection (read-only is enough).
    municipality_code
        The municipality.
    years
        First and last year of the checks made on the warehouse.
    examples
        Examples kept per finding.

    Returns
    -------
    pandas.DataFrame
        One row per check and source, in the order of :data:`CHECKS`: check, title, kind (``ledger``, ``cases`` or
        ``warehouse``), source (a file name, or "lageret"), count (``<NA>`` when the check could not be made), unit,
        examples (list of str), note, loaded_at (when the file was loaded; empty for warehouse checks). A check
        that could not be made has one row, with the kinds of file it needs joined by '/' (``ledger/cases``).
        CPR-shaped numbers and pseudonyms in source, examples and note are masked (``[CPR]``, ``[person]``).
    """
    recorded = pd.DataFrame()
    if _table_exists(con, FINDINGS_TABLE):
        recorded = con.execute(
            f'SELECT f.kind, f.source, f."check", f."count", f.unit, f.examples, f.note, l.loaded_at '
            f"FROM {FINDINGS_TABLE} f JOIN {LOADS_TABLE} l USING (load_id) "
            "WHERE f.municipality_code = ? ORDER BY l.loaded_at, f.source",
            [int(municipality_code)],
        ).df()
    computed = {
        "missing_months": missing_months(con, municipality_code, years, examples),
        "spending_without_activity": spending_without_activity(con, municipality_code, years, examples),
        "overlapping_cases": overlapping_cases(con, municipality_code, years, examples),
        "future_start": future_starts(con, municipality_code, years, examples),
        "cost_without_registration": costs_without_registration(con, municipality_code, years, examples),
    }
    hand = _hand_loads(con, municipality_code)
    rows = []
    for check_id, check in CHECKS.items():
        if check.kinds == ("statbank",):
            # made on every HAND table loaded with the municipality's activity (a load with no finding found
            # nothing); not applicable without one
            found = set(recorded.loc[recorded["check"] == check_id, "source"]) if len(recorded) else set()
            for source, loaded_at in hand:
                if source not in found:
                    rows.append(
                        (
                            check_id,
                            check.title,
                            "statbank",
                            f"{_KIND_NAME['statbank']} {source}",
                            0,
                            "år",
                            [],
                            "alle år har tal for fire kvartaler",
                            loaded_at,
                        )
                    )
            if not found:
                continue
        if check.kinds == ("warehouse",):
            f = computed[check_id]
            rows.append(
                (check_id, check.title, "warehouse", "lageret", f.count, f.unit, f.examples, f.note, pd.NaT)
            )
            continue
        mine = recorded[recorded["check"] == check_id] if len(recorded) else recorded
        if len(mine) == 0:
            note = "; ".join(_NOT_LOADED[k] for k in check.kinds)
            unit = "posteringer" if check.kinds[0] == "ledger" else "sager"
            rows.append((check_id, check.title, "/".join(check.kinds), "", None, unit, [], note, pd.NaT))
            continue
        for r in mine.itertuples():
            count = None if pd.isna(r.count) else int(r.count)
            rows.append(
                (
                    check_id,
                    check.title,
                    r.kind,
                    f"{_KIND_NAME.get(r.kind, r.kind)} {r.source}",
                    count,
                    r.unit,
                    json.loads(r.examples),
                    r.note,
                    r.loaded_at,
                )
            )
    out = pd.DataFrame(
        rows, columns=["check", "title", "kind", "source", "count", "unit", "examples", "note", "loaded_at"]
    )
    out["count"] = out["count"].astype("Int64")
    for col in ("source", "note"):
        out[col] = out[col].map(mask_person_data)
    out["examples"] = out["examples"].map(lambda ex: [mask_person_data(e) for e in ex])
    return out


def _hand_loads(con: duckdb.DuckDBPyConnection, municipality_code: int) -> list[tuple[str, object]]:
    """(source, loaded_at) of the HAND tables in force that wrote activity rows of the municipality."""
    if not (_table_exists(con, LOADS_TABLE) and _table_exists(con, "_history_activity")):
        return []
    undone = (
        "AND l.undone_at IS NULL"
        if "undone_at"
        in set(
            con.execute(
                f"SELECT column_name FROM information_schema.columns WHERE table_name = '{LOADS_TABLE}'"
            ).df()["column_name"]
        )
        else ""
    )
    found = con.execute(
        f"SELECT l.source, l.loaded_at FROM {LOADS_TABLE} l WHERE l.kind = 'statbank' AND l.target = 'activity' "
        f"{undone} AND EXISTS (SELECT 1 FROM _history_activity h WHERE h.load_id = l.load_id "
        "AND h.change = 'after' AND h.municipality_code = ?) ORDER BY l.loaded_at, l.source",
        [int(municipality_code)],
    ).fetchall()
    latest: dict[str, object] = {}
    for source, loaded_at in found:  # a file loaded again: its latest load
        latest[source] = loaded_at
    return list(latest.items())


def summary(found: pd.DataFrame) -> dict[str, object]:
    """Headline figures of :func:`findings`' result for the report's summary box.

    Returns
    -------
    dict
        checks (number of checks), checked (checks that could be made), with_findings (checks with at least one
        finding), total (findings in all, over all units), missing (what was not loaded, in Danish, e.g.
        ["en bogføringsfil"]), not_checked (number of checks not made).
    """
    counts = found.groupby("check", sort=False)["count"]
    made = counts.apply(lambda c: c.notna().any())
    hits = counts.apply(lambda c: bool((c.fillna(0) > 0).any()))
    missing = []
    kinds = found["kind"].str.split("/")
    for kind, text in (("ledger", "en bogføringsfil"), ("cases", "et sagsudtræk")):
        needs = kinds.map(lambda k, kind=kind: kind in k)
        if found.loc[needs, "count"].isna().any():
            missing.append(text)
    return {
        "checks": int(len(made)),
        "checked": int(made.sum()),
        "with_findings": int(hits.sum()),
        "total": int(found["count"].fillna(0).sum()),
        "missing": missing,
        "not_checked": int((~made).sum()),
    }


_SINGULAR = {
    "posteringer": "postering",
    "sager": "sag",
    "felter": "felt",
    "måneder": "måned",
    "funktioner og år": "funktion og år",
}


def count_text(count: object, unit: str) -> str:
    """A finding's count with its unit in Danish: '1 sag', '1.234 posteringer', 'ikke kontrolleret'.

    >>> count_text(1, "sager"), count_text(1234, "posteringer"), count_text(None, "sager")
    ('1 sag', '1.234 posteringer', 'ikke kontrolleret')
    """
    if count is None or pd.isna(count):
        return "ikke kontrolleret"
    n = int(count)
    return f"{n:,}".replace(",", ".") + " " + (_SINGULAR.get(unit, unit) if n == 1 else unit)


#: Danish for the reasons loaders give for rows they leave out (English on the command line).
_REASONS_DA = (
    (r"^the whole country, regions and other areas.*", "hele landet og regioner"),
    (r"^totals and main functions.*", "totaler og hovedfunktioner"),
    (r"^other (\w+) values.*", r"andre værdier af \1"),
    (r"^the other PRISENHED.*", "den anden prisenhed"),
    (r"^no value \('\.\.'.*", "ingen værdi ('..')"),
    (r"^quarters other than the first.*", "andre kvartaler end 1. kvartal"),
    (r"^types of service without a paragraph.*", "ydelser uden for 5.38"),
    (r"^no accounts for the municipality.*", "intet regnskab i lageret"),
    (r"^dranst other than 1.*", "dranst 2 og 3"),
    (r"^no CPR number.*", "uden CPR-nummer"),
    (r"^ends before it starts.*", "slutter før start"),
)


def reason_da(reason: str) -> str:
    """A loader's reason for leaving rows out, in Danish (the English text when no translation is known)."""
    for pattern, text in _REASONS_DA:
        if re.match(pattern, reason):
            return re.sub(pattern, text, reason)
    return reason


def loaded_files(con: duckdb.DuckDBPyConnection, municipality_code: int) -> pd.DataFrame:
    """The files loaded for the municipality and the national tables, newest first (empty for the sample).

    Returns
    -------
    pandas.DataFrame
        kind, source, loaded_at, rows_read, rows_loaded, rows_skipped, skipped (dict: reason in Danish -> rows),
        target.
    """
    df = loads.previous_loads(con, municipality_code)
    if df.empty:
        return df
    df = df.drop_duplicates(["kind", "source"], keep="first")
    df["source"] = df["source"].map(mask_person_data)
    df["skipped"] = df["skipped"].map(lambda text: {reason_da(k): v for k, v in json.loads(text).items()})
    return df[
        ["kind", "source", "loaded_at", "rows_read", "rows_loaded", "rows_skipped", "skipped", "target"]
    ]


# ---------------------------------------------------------------------------------------------------------------
# Checks across tables, the report's headline and its tables

#: Checks made on the warehouse across tables (after :data:`CHECKS`); :func:`report_findings` adds them.
SERIES_CHECKS: dict[str, Check] = {
    "ledger_vs_accounts": Check(
        "Bogføring mod regnskab",
        ("warehouse",),
        "årets bogføring (summen af månederne) mod regnskabet for hvert analyseret funktionsområde i de "
        "afsluttede år; en forskel på mere end 1.000 kr. tælles (Danmarks Statistiks regnskabstal er afrundet til "
        "hele 1.000 kr.). Et år, der ikke er afsluttet i bogføringen, afstemmes ikke.",
    ),
    "series_breaks": Check(
        "Brud i serierne",
        ("warehouse",),
        "år, hvor antallet af helårspersoner eller prisen pr. helårsperson i aktivitetstabellen ændrer sig mere "
        "end 10 % fra året før på et analyseret funktionsområde; et brud kan være en reel ændring, en ny "
        "opgørelse eller en fejl.",
    ),
}

RECONCILIATION_TOLERANCE_DKK = 1_000.0
"""Largest difference (DKK) between a year's ledger and its accounts counted as equal (rounding to 1.000 kr.)."""

BREAK_THRESHOLD = 0.10
"""A change from the year before larger than this share (10 %) in persons or price is a break in the series."""


def reconcile_ledger(
    ledger: pd.DataFrame,
    accounts: pd.DataFrame,
    closed_years: list[int] | None = None,
    tolerance_dkk: float = RECONCILIATION_TOLERANCE_DKK,
) -> pd.DataFrame:
    """The ledger's yearly total against the accounts, per function and year.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table (``function_code``, ``year``, ``month``, ``spending_dkk``) of one municipality.
    accounts : pandas.DataFrame
        The ``accounts`` table (``function_code``, ``year``, ``spending_dkk``) of the same municipality.
    closed_years : list of int, optional
        The years to reconcile (:meth:`analysis.period.DataPeriod.closed_years`); default every year of the
        ledger. Other years get the status ``open``.
    tolerance_dkk : float
        Largest difference counted as equal (DKK).

    Returns
    -------
    pandas.DataFrame
        One row per function and year of either table, sorted: ``function_code``, ``year``, ``ledger_dkk``
        (sum of the months; NaN without a month), ``months`` (months booked), ``accounts_dkk``,
        ``difference_dkk`` (ledger minus accounts) and ``status``: ``equal``, ``differs``, ``no_accounts``,
        ``no_ledger`` or ``open`` (a year not closed: not reconciled).

    Examples
    --------
    >>> led = pd.DataFrame({"function_code": "5.38.50", "year": 2024, "month": [1, 2], "spending_dkk": [10.0, 5e3]})
    >>> acc = pd.DataFrame({"function_code": ["5.38.50"], "year": [2024], "spending_dkk": [2e3]})
    >>> r = reconcile_ledger(led, acc).iloc[0]
    >>> float(r.difference_dkk), r.status
    (3010.0, 'differs')
    """
    led = ledger.groupby(["function_code", "year"]).agg(
        ledger_dkk=("spending_dkk", "sum"), months=("month", "nunique")
    )
    acc = accounts.groupby(["function_code", "year"])[["spending_dkk"]].sum()
    out = led.join(acc.rename(columns={"spending_dkk": "accounts_dkk"}), how="outer").reset_index()
    out["months"] = out["months"].fillna(0).astype(int)
    out["difference_dkk"] = out["ledger_dkk"] - out["accounts_dkk"]
    closed = set(out["year"]) if closed_years is None else set(closed_years)
    status = np.select(
        [
            ~out["year"].isin(closed),
            out["accounts_dkk"].isna(),
            out["ledger_dkk"].isna(),
            out["difference_dkk"].abs() > tolerance_dkk,
        ],
        ["open", "no_accounts", "no_ledger", "differs"],
        "equal",
    )
    out["status"] = status.astype(object)
    return out.sort_values(["function_code", "year"], ignore_index=True)


def reconciliation_finding(
    recon: pd.DataFrame, open_years: list[str] | None = None, examples: int = 5
) -> Finding:
    """The ledger-vs-accounts check as a finding: the function-years that differ, largest first.

    Parameters
    ----------
    recon : pandas.DataFrame
        :func:`reconcile_ledger`'s result.
    open_years : list of str, optional
        Danish texts of the years not reconciled (e.g. ``['2025 til og med september']``), for the note.
    examples : int
        Examples kept.
    """
    if recon.empty:
        return Finding(
            "ledger_vs_accounts", None, "funktioner og år", note="ingen bogføring i lageret for kommunen"
        )
    both = recon[recon["status"].isin(["equal", "differs"])]
    if both.empty:
        note = "ingen afsluttede år med både bogføring og regnskab"
        if open_years:
            note += f"; ikke afsluttet: {', '.join(open_years)}"
        return Finding("ledger_vs_accounts", None, "funktioner og år", note=note)
    hits = both[both["status"] == "differs"]
    hits = hits.reindex(hits["difference_dkk"].abs().sort_values(ascending=False).index)
    ex = [
        f"{r.function_code} i {r.year}: bogført {_dkk_text(r.ledger_dkk)}, regnskab {_dkk_text(r.accounts_dkk)} "
        f"(forskel {_dkk_text(r.difference_dkk, sign=True)}; {r.months} måneder bogført)"
        for r in hits.itertuples()
    ]
    years = sorted(both["year"].unique())
    note = (
        f"afstemt: {len(both)} funktioner og år i {years[0]}-{years[-1]}"
        if len(years) > 1
        else (f"afstemt: {len(both)} funktioner i {years[0]}")
    )
    if open_years:
        note += f"; ikke afstemt, fordi året ikke er afsluttet: {', '.join(open_years)}"
    return Finding("ledger_vs_accounts", len(hits), "funktioner og år", ex[:examples], note)


def series_breaks(activity: pd.DataFrame, threshold: float = BREAK_THRESHOLD) -> pd.DataFrame:
    """Years in which full-year persons or the price per person change more than ``threshold`` from the year before.

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table of one municipality (``function_code``, ``year``, ``full_year_persons``,
        ``spending_dkk``); paragraphs and providers are summed.
    threshold : float
        The share (0.10 = 10 %).

    Returns
    -------
    pandas.DataFrame
        One row per function and year with a year before it (consecutive years only): ``function_code``,
        ``year``, ``persons``, ``persons_before``, ``persons_change`` (share), ``price_dkk``, ``price_before_dkk``,
        ``price_change`` and ``is_break`` (either change larger than ``threshold`` in size).

    Examples
    --------
    >>> act = pd.DataFrame({"function_code": "5.38.50", "year": [2018, 2019], "full_year_persons": [100.0, 86.0],
    ...                     "spending_dkk": [100e6, 88e6]})
    >>> b = series_breaks(act).iloc[0]
    >>> int(b.year), round(float(b.persons_change), 2), round(float(b.price_change), 4), bool(b.is_break)
    (2019, -0.14, 0.0233, True)
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    y = activity.groupby(["function_code", "year"])[["full_year_persons", "spending_dkk"]].sum().reset_index()
    y = y.rename(columns={"full_year_persons": "persons"})
    y["price_dkk"] = y["spending_dkk"] / y["persons"].where(y["persons"] > 0)
    before = y.assign(year=y["year"] + 1)[["function_code", "year", "persons", "price_dkk"]]
    out = y.merge(before, on=["function_code", "year"], suffixes=("", "_before"))
    out = out.rename(columns={"price_dkk_before": "price_before_dkk"})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["persons_change"] = out["persons"] / out["persons_before"].where(out["persons_before"] > 0) - 1
        out["price_change"] = out["price_dkk"] / out["price_before_dkk"] - 1
    big = (out["persons_change"].abs() > threshold) | (out["price_change"].abs() > threshold)
    out["is_break"] = big.fillna(False).astype(bool)
    cols = [
        "function_code",
        "year",
        "persons",
        "persons_before",
        "persons_change",
        "price_dkk",
        "price_before_dkk",
    ]
    return out[[*cols, "price_change", "is_break"]].sort_values(["function_code", "year"], ignore_index=True)


def series_breaks_finding(breaks: pd.DataFrame, examples: int = 5) -> Finding:
    """The breaks in the series as a finding: the function-years with a break, largest change first."""
    if breaks.empty:
        return Finding(
            "series_breaks", None, "funktioner og år", note="ingen aktivitetsdata over to år i træk"
        )
    hits = breaks[breaks["is_break"]]
    size = np.maximum(hits["persons_change"].abs().fillna(0), hits["price_change"].abs().fillna(0))
    hits = hits.reindex(size.sort_values(ascending=False, kind="stable").index)
    ex = []
    for r in hits.itertuples():
        parts = []
        if abs(r.persons_change) > BREAK_THRESHOLD:
            parts.append(
                f"{_pct_text(r.persons_change)} helårspersoner ({_num(r.persons_before, 1)} til {_num(r.persons, 1)})"
            )
        if abs(r.price_change) > BREAK_THRESHOLD:
            parts.append(
                f"{_pct_text(r.price_change)} i pris ({_num(r.price_before_dkk / 1e3)} til "
                f"{_num(r.price_dkk / 1e3)} t.kr.)"
            )
        ex.append(f"{r.function_code} i {r.year}: {' og '.join(parts)}")
    years = sorted(breaks["year"].unique())
    note = f"undersøgt: {len(breaks)} funktioner og år i {years[0]}-{years[-1]}"
    return Finding("series_breaks", len(hits), "funktioner og år", ex[:examples], note)


def _num(x: float, decimals: int = 0) -> str:
    return fmt_number(x, decimals)


def _pct_text(x: float) -> str:
    return fmt_pct(x, 0, sign=True)


def _dkk_text(x: float, sign: bool = False) -> str:
    """An amount in kr. ('12.345 kr.'), in mio. kr. from 1 mio. kr. up ('92,4 mio. kr.')."""
    if abs(x) >= 1e6:
        return fmt_dkk(x, unit="mio", decimals=1, sign=sign)
    return fmt_dkk(x, unit="kr", sign=sign)


def report_findings(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    years: tuple[int, int],
    examples: int = 5,
    closed_years: list[int] | None = None,
    open_years: list[str] | None = None,
) -> pd.DataFrame:
    """Every check of the report: :func:`findings` and then the checks across tables of :data:`SERIES_CHECKS`.

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        The municipality.
    years
        First and last year of the checks made on the warehouse.
    examples
        Examples kept per finding.
    closed_years
        The closed years (:meth:`analysis.period.DataPeriod.closed_years`); only these are reconciled. Default
        every year of the ledger.
    open_years
        Danish texts of the years not closed, for the reconciliation's note (e.g. ``['2025 til og med september']``).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`findings` followed by one row per check of :data:`SERIES_CHECKS` (kind ``warehouse``).
    """
    params = [int(municipality_code), int(years[0]), int(years[1])]
    analysed = "function_code IN (SELECT function_code FROM function_areas)"
    where = f"WHERE municipality_code = ? AND year BETWEEN ? AND ? AND {analysed}"
    led = con.execute(f"SELECT function_code, year, month, spending_dkk FROM ledger {where}", params).df()
    acc = con.execute(f"SELECT function_code, year, spending_dkk FROM accounts {where}", params).df()
    act = con.execute(
        f"SELECT function_code, year, full_year_persons, spending_dkk FROM activity {where}", params
    ).df()
    computed = {
        "ledger_vs_accounts": reconciliation_finding(
            reconcile_ledger(led, acc, closed_years) if len(led) else pd.DataFrame(columns=["status"]),
            open_years,
            examples,
        ),
        "series_breaks": series_breaks_finding(series_breaks(act), examples),
    }
    rows = [
        (cid, check.title, "warehouse", "lageret", f.count, f.unit, f.examples, f.note, pd.NaT)
        for cid, check in SERIES_CHECKS.items()
        for f in [computed[cid]]
    ]
    extra = pd.DataFrame(
        rows, columns=["check", "title", "kind", "source", "count", "unit", "examples", "note", "loaded_at"]
    )
    extra["count"] = extra["count"].astype("Int64")
    return pd.concat([findings(con, municipality_code, years, examples), extra], ignore_index=True)


def headline(
    found: pd.DataFrame,
    files: pd.DataFrame | None = None,
    kind: str = "",
    period: str = "",
    provisional: list[int] | None = None,
) -> dict[str, object]:
    """The report's headline: checks run, with findings, and those that could not run and why.

    Parameters
    ----------
    found : pandas.DataFrame
        :func:`report_findings` (or :func:`findings`).
    files : pandas.DataFrame, optional
        :func:`loaded_files`, for the line on the municipality's own files (ledger, cases and member lists).
    kind : str
        The warehouse's kind (``_meta``: 'sample', 'sample with injected faults', 'own data').
    period : str
        The data period as :meth:`analysis.period.DataPeriod.period_text` states it, with the latest booked month,
        e.g. '2018-2025 (2025 til og med september)'.
    provisional : list of int, optional
        Years the accounts hold although the ledger has not closed them
        (:attr:`analysis.period.DataPeriod.provisional_accounts_years`).

    Returns
    -------
    dict
        ``title`` (Danish, e.g. '4 af 11 kontroller gennemført, 12 fund; 7 kunne ikke gennemføres'),
        ``items`` (list of (label, text) for the summary box: Kontroller, Fund, Ikke gennemført) and the figures of
        :func:`summary`.
    """
    s = summary(found)
    n, run, hits, total = s["checks"], s["checked"], s["with_findings"], s["total"]

    def checks(k: int) -> str:
        return f"{k} kontrol" if k == 1 else f"{k} kontroller"

    title = f"{run} af {checks(n)} gennemført, "
    title += f"{_num(total)} fund" if total else "ingen fund"
    if s["not_checked"]:
        title += f"; {s['not_checked']} kunne ikke gennemføres"
    items = [
        (
            "Kontroller",
            f"{run} af {n} gennemført"
            + (f", {s['not_checked']} kunne ikke gennemføres." if s["not_checked"] else "."),
        ),
        (
            "Fund",
            f"{_num(total)} i alt i {checks(hits)}"
            + (f"; {checks(run - hits)} uden fund." if run - hits else ".")
            if hits
            else f"ingen i de {checks(run)}, der blev gennemført.",
        ),
    ]
    if s["not_checked"]:
        made = found.groupby("check", sort=False)["count"].apply(lambda c: c.notna().any())
        names = found.drop_duplicates("check").set_index("check").loc[made[~made].index, "title"]
        why = " eller ".join(s["missing"]) if s["missing"] else "de filer, de kræver"
        notes = found[found["check"].isin(names.index) & (found["note"] != "")].drop_duplicates("check")
        data_notes = [f"{r.title}: {r.note}" for r in notes.itertuples() if r.kind == "warehouse"]
        file_checks = [
            t for c, t in names.items() if found.loc[found.check == c, "kind"].iloc[0] != "warehouse"
        ]
        parts = []
        if file_checks:
            # lower-case the first letter of a title in the sentence, but not of an abbreviation ("CPR-numre")
            listed = ", ".join(t if t[1:2].isupper() else t[0].lower() + t[1:] for t in file_checks)
            parts.append(
                f"{checks(len(file_checks))}, fordi der ikke er indlæst {why} for kommunen ({listed})"
            )
        if data_notes:
            parts.append(f"{checks(len(data_notes))} på lageret mangler data ({'; '.join(data_notes)})")
        text = "; ".join(parts)
        items.append(("Ikke gennemført", text + "."))
    if period:
        line = period + "."
        if provisional:
            years = ", ".join(map(str, provisional))
            line += f" Regnskabet for {years} i lageret er ikke endeligt: bogføringen har ikke lukket året."
        items.append(("Dataperiode", line))
    if kind:
        items.append(("Lageret", _STORE_DA.get(kind, kind) + "."))
    if kind.startswith("sample"):
        items.append(("Eksempeldata", "tallene er syntetiske og ikke kommunens regnskab."))
    if files is not None:
        own = files[files["kind"].isin(["ledger", "cases", "members"])] if len(files) else files
        text = "; ".join(
            f"{_KIND_NAME[r.kind]} {r.source} ({r.loaded_at:%d.%m.%Y})" for r in own.itertuples()
        )
        items.append(
            (
                "Indlæste filer",
                text + "." if text else "ingen bogføringsfil, sagsudtræk eller deltagerliste for kommunen.",
            )
        )
    return {"title": title, "items": items, **s}


_STORE_DA = {
    "sample": "eksempeldata",
    "sample with injected faults": "eksempeldata med bevidst indlagte fejl",
    "own data": "kommunens egne data",
}


def files_intro(files: pd.DataFrame) -> str:
    """The sentence before the table of loaded files, or what to do when none is loaded."""
    if len(files):
        return (
            "De seneste indlæsninger for kommunen og de landsdækkende tabeller. Rækker, der er sprunget over, er "
            "ikke med i lageret; forklaringen siger, hvordan filens rækker blev til lagerets."
        )
    return (
        "Der er ikke indlæst filer i lageret. Kontrollerne af bogføring og sager kan først gennemføres, når "
        "kommunens bogføringsfil og sagsudtræk er indlæst (se dokumentationen om kommunens egne data)."
    )


_KIND_LABEL = {
    "ledger": "Bogføring",
    "cases": "Sager",
    "warehouse": "Lageret",
    "ledger/cases": "Bogføring og sager",
}


def findings_table(found: pd.DataFrame) -> pd.DataFrame:
    """The report's table of findings: check, source, count with its unit, and details (examples and note).

    The source is the kind of data ('Bogføring', 'Sager', 'Lageret'), with the file's name where there are
    several files of one kind.
    """
    several = found[found["source"] != ""].groupby("kind")["source"].nunique()

    def source(kind: str, src: str) -> str:
        label = _KIND_LABEL.get(kind, kind)
        return f"{label}: {src.split(' ', 1)[-1]}" if several.get(kind, 0) > 1 else label

    return pd.DataFrame(
        {
            "Kontrol": found["title"].to_numpy(),
            "Kilde": [source(k, s) for k, s in zip(found["kind"], found["source"], strict=True)],
            "Antal": [count_text(c, u) for c, u in zip(found["count"], found["unit"], strict=True)],
            "Detaljer": [
                "; ".join(list(e) + ([n] if n else []))
                for e, n in zip(found["examples"], found["note"], strict=True)
            ],
        }
    )


_FILE_KIND_DA = {
    "ledger": "Bogføring",
    "cases": "Sager",
    "members": "Deltagerliste",
    "statbank": "Danmarks Statistik",
    "socioeconomic": "Socioøkonomisk indeks",
}
_LOADED_AS = {
    "ledger": ("posteringer", "lagt sammen til {n} månedsbeløb (én række pr. funktion og måned)"),
    "cases": ("sager", "indlæst som {n} sager"),
}


def explain_rows(
    kind: str, rows_read: int, rows_loaded: int, skipped: dict[str, int], target: str = ""
) -> str:
    """Why a file's rows and the warehouse's rows differ, in Danish: skipped rows by reason, then aggregation.

    Parameters
    ----------
    kind : str
        ``ledger``, ``cases`` or ``statbank``.
    rows_read, rows_loaded : int
        Data rows read from the file; warehouse rows written.
    skipped : dict
        Rows not loaded, by reason (Danish).
    target : str
        The warehouse table written.

    Examples
    --------
    >>> explain_rows("ledger", 534, 265, {})
    '534 posteringer lagt sammen til 265 månedsbeløb (én række pr. funktion og måned).'
    >>> explain_rows("cases", 10, 7, {"uden CPR-nummer": 3})
    '3 sprunget over (uden CPR-nummer: 3); de øvrige 7 indlæst som 7 sager.'
    """
    unit, loaded_as = _LOADED_AS.get(kind, ("rækker", "samlet til {n} rækker i tabellen " + (target or "")))
    n_skipped = sum(skipped.values())
    used = rows_read - n_skipped
    head = ""
    if n_skipped:
        reasons = "; ".join(f"{why}: {_num(n)}" for why, n in skipped.items())
        head = f"{_num(n_skipped)} sprunget over ({reasons}); de øvrige "
        subject = f"{_num(used)}"
    else:
        subject = f"{_num(used)} {unit}"
    if kind not in _LOADED_AS and used == rows_loaded:
        rest = f"{subject} indlæst én til én i tabellen {target}".rstrip()
    elif kind == "cases" and used != rows_loaded:
        gap = _num(abs(used - rows_loaded))
        rest = f"{subject} gav {_num(rows_loaded)} sager; forskellen på {gap} er ikke forklaret"
    else:
        rest = f"{subject} {loaded_as.format(n=_num(rows_loaded))}".rstrip()
    return (head + rest).strip() + "."


def files_table(files: pd.DataFrame) -> pd.DataFrame:
    """The report's table of loaded files (:func:`loaded_files`), each with the explanation of its row counts."""
    return pd.DataFrame(
        {
            "Fil": files["source"].to_numpy(),
            "Type": files["kind"].map(_FILE_KIND_DA).fillna(files["kind"]).to_numpy(),
            "Indlæst": [f"{d:%d.%m.%Y}" for d in files["loaded_at"]],
            "Rækker i filen": files["rows_read"].astype(int).to_numpy(),
            "Rækker i lageret": files["rows_loaded"].astype(int).to_numpy(),
            "Forklaring": [
                explain_rows(k, int(r), int(n), s, t)
                for k, r, n, s, t in zip(
                    files["kind"],
                    files["rows_read"],
                    files["rows_loaded"],
                    files["skipped"],
                    files["target"],
                    strict=True,
                )
            ],
        }
    )


def method_lines(checks: dict[str, Check] | None = None) -> str:
    """The report's list of checks with their methods, as Markdown lines ('  - *title:* method')."""
    checks = {**CHECKS, **SERIES_CHECKS} if checks is None else checks
    return "\n".join(f"  - *{c.title}:* {c.method}" for c in checks.values())

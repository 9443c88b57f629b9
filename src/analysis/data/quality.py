"""Data quality: the checks behind the report ``notebooks/data_quality.ipynb``, and a sample with known faults.

Two kinds of check feed the report (:func:`findings`):

Checks made when a file is loaded, kept with the load (table ``_findings``)
    On ledger exports (:mod:`analysis.data.ledger`): unknown or retired function codes, postings on the wrong type
    of account, negative postings, duplicate postings (counted in postings). On case extracts
    (:mod:`analysis.data.case_extract`): cases without a CPR number and cases that end before they start (both
    skipped on ingest and counted here), unknown or retired function codes (counted in cases). They need the file:
    the warehouse keeps months, not postings, and never a row without a pseudonym.
Checks made on the warehouse when the report runs
    Missing months in the ledger, and spending without activity (:func:`missing_months`,
    :func:`spending_without_activity`), for the function areas the workbench analyses (table ``function_areas``).

Every finding is counted and comes with a few examples that carry no person data: row numbers, voucher and case
numbers, pseudonyms, amounts.

:func:`inject_faults` copies the sample warehouse and loads a ledger export and a case extract with deliberately
injected faults through the real loaders, so that the report can be seen, and tested, with findings::

    python -m analysis.data.quality inject data/dq-demo.duckdb
    ANALYSIS_WAREHOUSE=data/dq-demo.duckdb analysis run parameters/batches/data-quality.yaml
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads
from analysis.data.loads import FINDINGS_TABLE, LOADS_TABLE, Finding
from analysis.data.warehouse import fetch_one

__all__ = [
    "CHECKS",
    "Check",
    "count_text",
    "findings",
    "inject_faults",
    "loaded_files",
    "missing_months",
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
    "spending_without_activity": Check(
        "Udgift uden aktivitet",
        ("warehouse",),
        "år og funktionsområder med udgift (regnskab, ellers bogføring), men ingen helårspersoner i "
        "aktivitetstabellen, så pris og mængde ikke kan beregnes.",
    ),
}

_KIND_NAME = {"ledger": "bogføringsfil", "cases": "sagsudtræk", "statbank": "Danmarks Statistik"}
_NOT_LOADED = {
    "ledger": "ingen bogføringsfil indlæst for kommunen",
    "cases": "intet sagsudtræk indlæst for kommunen",
}


def _mio(x: float) -> str:
    return f"{x / 1e6:,.1f}".translate(str.maketrans({",": ".", ".": ","})) + " mio. kr."


def _month(year: int, month: int) -> str:
    names = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]
    return f"{names[month - 1]} {year}"


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
    }
    rows = []
    for check_id, check in CHECKS.items():
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
    return out


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
    df["skipped"] = df["skipped"].map(lambda text: {reason_da(k): v for k, v in json.loads(text).items()})
    return df[
        ["kind", "source", "loaded_at", "rows_read", "rows_loaded", "rows_skipped", "skipped", "target"]
    ]


# ---------------------------------------------------------------------------------------------------------------
# A sample with known faults

_LEDGER_MAPPING = """\
columns:
  function_code: Funktion
  date: Bogføringsdato
  amount: Beløb
  art: Art
  dranst: Dranst
  posting_id: Bilagsnr.
  text: Tekst
"""

_CASES_MAPPING = """\
columns:
  cpr: CPR-nr.
  case_id: Sagsnr.
  sector: Forvaltning
  measure: Ydelse
  paragraph: Paragraf
  function_code: Funktion
  provider: Leverandør
  start_date: Startdato
  end_date: Slutdato
  monthly_cost_dkk: Månedlig udgift
  cpr_registered: CPR-registreret
values:
  sector: {Beskæftigelse: employment, Børn og familie: children_families, Voksne: adults_social, Sundhed: health}
  provider: {Intern: internal, Ekstern: external}
  cpr_registered: {Ja: true, Nej: false}
"""

_SECTOR_DA = {
    "employment": "Beskæftigelse",
    "children_families": "Børn og familie",
    "adults_social": "Voksne",
    "health": "Sundhed",
}


def _dk(x: float) -> str:
    return f"{x:,.2f}".translate(str.maketrans({",": ".", ".": ","}))


def _day(year: int, month: int, day: int | None = None) -> str:
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return f"{min(day or last, last):02d}-{month:02d}-{year}"


def _faulty_ledger(con: duckdb.DuckDBPyConnection, code: int, path: Path) -> dict[str, int]:
    """Write the municipality's 2024-2025 ledger as postings with known faults; return the expected counts."""
    months = con.execute(
        "SELECT function_code, year, month, spending_dkk FROM ledger WHERE municipality_code = ? "
        "AND year IN (2024, 2025) ORDER BY function_code, year, month",
        [code],
    ).df()
    rows: list[list[str]] = []
    voucher = 500000
    for r in months.itertuples():
        if (r.function_code, r.year) == ("5.38.59", 2024) and r.month in (6, 7):
            continue  # two missing months
        wages = round(r.spending_dkk * 0.6, 2)
        for art, amount, text in (
            ("1.0", wages, "Lønninger, egne tilbud"),
            ("4.7", round(r.spending_dkk - wages, 2), "Køb af pladser"),
        ):
            voucher += 1
            rows.append([str(voucher), _day(r.year, r.month), r.function_code, "1", art, _dk(amount), text])
    faults = [
        ("5.38.99", 2024, 3, "1", "4.7", 25_000.0, "Ukendt funktion"),
        ("5.38.99", 2024, 4, "1", "4.7", 25_000.0, "Ukendt funktion"),
        ("5.32.32", 2024, 5, "1", "4.7", 12_500.0, "Udgået funktion"),
        ("5.38.50", 2024, 2, "1", "6.5", 3_210.0, "Renter, forkert kontotype"),
        ("5.38.52", 2024, 9, "1", "8.6", -45_000.0, "Statsrefusion på dranst 1"),
        ("5.38.50", 2024, 10, "1", "4.7", -18_000.0, "Tilbageførsel"),
        ("5.38.45", 2025, 1, "1", "4.7", -7_500.0, "Tilbageførsel"),
        ("5.38.58", 2025, 2, "1", "4.7", -2_250.0, "Tilbageførsel"),
    ]
    for function, year, month, dranst, art, amount, text in faults:
        voucher += 1
        rows.append([str(voucher), _day(year, month, 15), function, dranst, art, _dk(amount), text])
    rows += [list(rows[0]), list(rows[len(rows) // 2])]  # two duplicate postings
    header = ["Bilagsnr.", "Bogføringsdato", "Funktion", "Dranst", "Art", "Beløb", "Tekst"]
    lines = [";".join(header)] + [";".join(r) for r in rows]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return {
        "unknown_function": 2,
        "retired_function": 1,
        "wrong_account_type": 2,
        "negative_posting": 3,
        "duplicate_posting": 2,
        "missing_months": 2,
    }


def _faulty_cases(code: int, seed: int, path: Path) -> dict[str, int]:
    """Write the municipality's case extract (from the sample generator) with known faults."""
    from analysis.data import sample

    raw = sample.generate(seed)["raw_cases"]
    raw = raw[raw["municipality_code"] == code].reset_index(drop=True)

    def date(v: object) -> str:
        return (
            ""
            if v is None or (isinstance(v, float) and np.isnan(v))
            else _day(*map(int, str(v)[:10].split("-")))
        )

    df = pd.DataFrame(
        {
            "CPR-nr.": raw["cpr"],
            "Sagsnr.": raw["case_id"],
            "Forvaltning": raw["sector"].map(_SECTOR_DA),
            "Ydelse": raw["measure"],
            "Paragraf": raw["paragraph"].fillna(""),
            "Funktion": raw["function_code"].fillna(""),
            "Leverandør": raw["provider"].map({"internal": "Intern", "external": "Ekstern"}),
            "Startdato": raw["start_date"].map(date),
            "Slutdato": raw["end_date"].map(date),
            "Månedlig udgift": raw["monthly_cost_dkk"].map(lambda x: "" if pd.isna(x) else _dk(x)),
            "CPR-registreret": raw["cpr_registered"].map({True: "Ja", False: "Nej"}),
        }
    ).astype(object)
    n = len(df)
    for i in (n // 7, n // 3, n // 2):  # three cases without a CPR number
        df.loc[i, "CPR-nr."] = ""
    for i in (n // 5, 2 * n // 3):  # two cases ending the day before they start
        start = dt.datetime.strptime(df.loc[i, "Startdato"], "%d-%m-%Y").date()
        df.loc[i, "Slutdato"] = (start - dt.timedelta(days=1)).strftime("%d-%m-%Y")
    adult = df.index[(df["Funktion"] != "") & ~df.index.isin([n // 7, n // 3, n // 2, n // 5, 2 * n // 3])]
    df.loc[adult[0], "Funktion"] = "5.38.97"  # a function code not in the chart of accounts
    df.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return {"missing_cpr": 3, "end_before_start": 2, "unknown_function": 1}


def inject_faults(
    out_path: str | os.PathLike,
    *,
    sample_path: str | os.PathLike | None = None,
    municipality_code: int = 706,
    workdir: str | os.PathLike | None = None,
) -> dict[tuple[str, str], int]:
    """Copy the sample warehouse and load a ledger export and a case extract with known faults into the copy.

    The faults, for ``municipality_code``: a ledger export of 2024-2025 (the sample's months as postings) with two
    postings on an unknown function (5.38.99), one on a retired one (5.32.32), two on the wrong type of account
    (art 6.5 on 5.38.50; art 8.6 on dranst 1), three negative expense postings, two duplicated postings, and two
    months missing (5.38.59, June and July 2024); a case extract with three cases without a CPR number, two ending
    before they start and one on an unknown function (5.38.97); and the activity of 5.38.40 in 2024 deleted
    (spending without activity). The files go through :mod:`analysis.data.ledger` and
    :mod:`analysis.data.case_extract` as users' files do.

    Parameters
    ----------
    out_path
        The new warehouse (overwritten).
    sample_path
        The sample warehouse to copy; default the default warehouse (built if needed), or a new sample when the
        default warehouse holds own data.
    municipality_code
        Which municipality gets the faults; it needs cases in the sample (165, 190 or 706).
    workdir
        Where the faulty files are written; default a temporary folder, removed afterwards.

    Returns
    -------
    dict
        (check, kind) -> the count the report must show, kind ``ledger``, ``cases`` or ``warehouse``.
    """
    from analysis.data import case_extract, ledger, sample
    from analysis.data.warehouse import connect, default_path, read_meta, write_meta

    if municipality_code not in sample.CASE_MUNICIPALITIES:
        codes = ", ".join(map(str, sample.CASE_MUNICIPALITIES))
        raise ValueError(
            f"municipality {municipality_code} has no cases in the sample; choose one of {codes}"
        )
    out_path = Path(out_path)
    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(workdir) if workdir is not None else Path(tmp.name)
    try:
        if sample_path is None:
            sample_path = default_path()
            if sample_path.exists() and sample.is_current(sample_path) is None:
                # the default warehouse holds own data (ANALYSIS_WAREHOUSE): build a sample beside the faulty files
                sample_path = folder / "sample.duckdb"
                sample.build(sample_path)
            else:
                sample.ensure(sample_path)
        out_path.unlink(missing_ok=True)
        shutil.copyfile(sample_path, out_path)
        con = connect(out_path, read_only=False)
        try:
            meta = read_meta(con)
            if meta.get("kind") != "sample":
                raise ValueError(f"{sample_path} is not a sample warehouse (kind {meta.get('kind')!r})")
            seed = int(meta.get("seed", sample.SEED))
            write_meta(con, {"kind": "sample with injected faults"})
            ledger_file = folder / f"bogfoering-{municipality_code}-med-fejl.csv"
            cases_file = folder / f"sager-{municipality_code}-med-fejl.csv"
            (folder / "ledger.yaml").write_text(_LEDGER_MAPPING, encoding="utf-8")
            (folder / "cases.yaml").write_text(_CASES_MAPPING, encoding="utf-8")
            expected_ledger = _faulty_ledger(con, municipality_code, ledger_file)
            expected_cases = _faulty_cases(municipality_code, seed, cases_file)
            ledger.load(  # an export of 2024-2025: the months it lacks are removed
                con,
                ledger_file,
                folder / "ledger.yaml",
                municipality_code=municipality_code,
                period="2024..2025",
            )
            case_extract.load(con, cases_file, folder / "cases.yaml", municipality_code=municipality_code)
            con.execute(
                "DELETE FROM activity WHERE municipality_code = ? AND year = 2024 AND function_code = '5.38.40'",
                [municipality_code],
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
    expected = {}
    for check, n in expected_ledger.items():
        expected[(check, "warehouse" if check == "missing_months" else "ledger")] = n
    for check, n in expected_cases.items():
        expected[(check, "cases")] = n
    expected[("spending_without_activity", "warehouse")] = 1
    return expected


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.data.quality inject OUT.duckdb``: a copy of the sample with known faults."""
    p = argparse.ArgumentParser(prog="python -m analysis.data.quality", description=main.__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser(
        "inject", help="copy the sample warehouse and load files with known faults into the copy"
    )
    i.add_argument("out", help="the new warehouse file (overwritten)")
    i.add_argument("--municipality", type=int, default=706, help="165, 190 or 706 (default 706)")
    args = p.parse_args(argv)
    try:
        expected = inject_faults(args.out, municipality_code=args.municipality)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: the sample with known faults for municipality {args.municipality}:")
    for (check, kind), n in expected.items():
        print(f"  {check:<27} {kind:<10} {n}")
    print(
        f"Render the report with\n  ANALYSIS_WAREHOUSE={args.out} analysis run parameters/batches/data-quality.yaml"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

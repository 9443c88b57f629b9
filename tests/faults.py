"""A copy of the sample warehouse with known data-quality faults: the data-quality report's test fixture and demo.

:func:`inject_faults` copies the sample warehouse and loads a ledger export and a case extract with deliberately
injected faults through the real loaders, so that the report can be seen, and tested, with findings. From the
project's root::

    python -m tests.faults inject data/dq-demo.duckdb
    ANALYSIS_WAREHOUSE=data/dq-demo.duckdb analysis run parameters/batches/data-quality.yaml

(Moved here from ``analysis.data.quality``, which holds the checks only.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.data.quality import CHECKS, overlapping_cases
from analysis.errors import AnalysisError

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
    # the months of 5.38 carry the faults; those of 5.28 (sample version 7) follow them at the end, without faults,
    # so the faults of 5.38 sit where they did before 5.28 came and the export still covers every function
    every = con.execute(
        "SELECT function_code, year, month, spending_dkk FROM ledger WHERE municipality_code = ? "
        "AND year IN (2024, 2025) ORDER BY function_code, year, month",
        [code],
    ).df()
    months = every[every["function_code"].str.startswith("5.38.")]
    family = every[~every["function_code"].str.startswith("5.38.")]
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
    for r in family.itertuples():
        wages = round(r.spending_dkk * 0.6, 2)
        for art, amount, text in (
            ("1.0", wages, "Lønninger, egne tilbud"),
            ("4.7", round(r.spending_dkk - wages, 2), "Køb af pladser"),
        ):
            voucher += 1
            rows.append([str(voucher), _day(r.year, r.month), r.function_code, "1", art, _dk(amount), text])
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
    faulty = [n // 7, n // 3, n // 2, n // 5, 2 * n // 3]
    adult = df.index[(df["Funktion"] != "") & ~df.index.isin(faulty)]
    df.loc[adult[0], "Funktion"] = "5.38.97"  # a function code not in the chart of accounts
    # New cases (case numbers above the sample's), each with a measure of its own unless it is the duplicate:
    running = df.index[(df["Slutdato"] == "") & (df["CPR-nr."] != "") & ~df.index.isin([*faulty, adult[0]])]
    base = df.loc[running[0]]
    added = [
        {**base, "Sagsnr.": f"{code}-900001"},  # the same measure registered twice at once
        {
            **base,
            "Sagsnr.": f"{code}-900002",
            "Ydelse": "Botilbud for 010203 1234",
            "Paragraf": "§108 cpr 010203/1234",
        },
        {**base, "Sagsnr.": f"{code}-900003", "Ydelse": "Planlagt botilbud", "Startdato": "01-03-2031"},
        {
            **base,
            "Sagsnr.": f"{code}-900004",
            "Ydelse": "Ledsagelse",
            "Månedlig udgift": "5.000,00",
            "CPR-registreret": "Nej",
        },
        {
            **base,
            "Sagsnr.": f"{code}-900005",
            "CPR-nr.": "310490-2202",
            "Ydelse": "Ledsageordning",
        },  # 31 April
    ]
    df = pd.concat([df, pd.DataFrame(added)], ignore_index=True)
    df.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return {
        "missing_cpr": 3,
        "end_before_start": 2,
        "unknown_function": 1,
        "cpr_in_text": 2,
        "cpr_invalid_date": 1,
        "future_start": 1,
        "cost_without_registration": 1,
    }


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
    before they start, one on an unknown function (5.38.97), and five new cases: a running case registered a
    second time (one more overlapping case than the sample has), two CPR numbers in the free text of one case
    (measure and paragraph), a case starting in 2031, a monthly cost on a case not CPR-registered, and a CPR
    number dated 31 April; and the activity of 5.38.40 in 2024 deleted (spending without activity). The files go
    through :mod:`analysis.data.ledger` and :mod:`analysis.data.case_extract` as users' files do.

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
            overlaps = overlapping_cases(con, municipality_code, (2018, 2025)).count + 1
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
        kind = "warehouse" if CHECKS[check].kinds == ("warehouse",) else "cases"
        expected[(check, kind)] = n
    expected[("spending_without_activity", "warehouse")] = 1
    expected[("overlapping_cases", "warehouse")] = overlaps
    return expected


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.faults inject OUT.duckdb``: a copy of the sample with known faults."""
    p = argparse.ArgumentParser(prog="python -m tests.faults", description=main.__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser(
        "inject", help="copy the sample warehouse and load files with known faults into the copy"
    )
    i.add_argument("out", help="the new warehouse file (overwritten)")
    i.add_argument("--municipality", type=int, default=706, help="165, 190 or 706 (default 706)")
    args = p.parse_args(argv)
    try:
        expected = inject_faults(args.out, municipality_code=args.municipality)
    except (AnalysisError, ValueError) as e:
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

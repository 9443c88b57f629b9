"""Faults a batch must survive or refuse in one line, before any worker starts (no kernel is executed here).

Each test makes its own small, broken input: a warehouse that is empty, random bytes, truncated, locked or named
wrongly; an output folder that is a file, read-only or full; a cache entry that is truncated or altered.
"""

from __future__ import annotations

import collections
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis.cli import main
from analysis.errors import DataError
from analysis.reporting import batch as batch_module
from analysis.reporting import runner
from analysis.reporting.runner import ReportResult, _cache_lookup, _cache_store, _check_writable
from tests.notebook_fixtures import hello


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder of its own (notebooks/, parameters/, reports/) with one batch of the hello notebook."""
    root = tmp_path / "project"
    hello(root / "notebooks")
    (root / "parameters" / "batches").mkdir(parents=True)
    (root / "parameters" / "unit_costs.yaml").write_text(
        "a: {dkk_per_month: 1, source: test}\n", encoding="utf-8"
    )
    batch = root / "parameters" / "batches" / "t.yaml"
    batch.write_text(
        yaml.safe_dump(
            {"name": "t", "municipalities": [706], "function_areas": ["5.38.50"], "notebooks": ["hello"]}
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(runner, "project_root", lambda: root)
    monkeypatch.setattr(batch_module, "project_root", lambda: root)
    return root, batch


def _run_cli(capsys, *args) -> tuple[int, str]:
    code = main(["run", *map(str, args), "--no-progress"])
    return code, capsys.readouterr().err


def _one_line(err: str) -> str:
    assert err.startswith("analysis: error: ") and "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err


def _nothing_started(root: Path) -> None:
    """No run folder, marker or snapshot was left (the refusal came before anything was written)."""
    reports = root / "reports"
    assert not list(reports.glob("t/*")) and not list(reports.glob("**/INCOMPLETE"))
    assert not list(reports.glob(".snapshots/*"))


# --- The warehouse ----------------------------------------------------------------------------------------------


def test_a_warehouse_without_what_a_notebook_needs_is_refused_before_any_kernel(project, tmp_path, capsys):
    import nbformat

    from analysis.data import connect, loads

    root, batch = project
    nb_path = root / "notebooks" / "hello.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.metadata["analysis"] = {
        "title": "Hej",
        "requires": [
            {
                "what": "befolkningstal (FOLK1A)",
                "tables": ["municipalities"],
                "columns": ["municipality_code", "year", "population_18_64"],
                "load": "analysis load statbank FIL --table FOLK1A",
            }
        ],
    }
    nbformat.write(nb, nb_path)
    own = tmp_path / "own.duckdb"
    con = connect(own, read_only=False)
    loads.ensure_tables(con)  # every table, no rows
    con.close()
    code, err = _run_cli(capsys, batch, "--warehouse", own)
    assert code == 2
    assert (
        "the warehouse lacks what 1 report(s) need; load it first: hello 706 5.38.50: befolkningstal (FOLK1A) "
        "mangler for kommune 706: analysis load statbank FIL --table FOLK1A"
    ) in _one_line(err)
    _nothing_started(root)


def test_a_5_28_report_without_the_residents_aged_0_17_is_refused_before_any_kernel(
    project, tmp_path, capsys
):
    import nbformat

    from analysis.data import connect, loads

    root, batch = project
    batch.write_text(
        yaml.safe_dump(
            {
                "name": "t",
                "municipalities": [706],
                "function_areas": ["5.38.50", "5.28.22"],
                "notebooks": ["hello"],
            }
        ),
        encoding="utf-8",
    )
    nb_path = root / "notebooks" / "hello.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.metadata["analysis"] = {
        "title": "Hej",
        "requires": [
            {
                "what": "befolkningstal (FOLK1A)",
                "tables": ["municipalities"],
                "columns": ["municipality_code", "year", "residents"],
                "load": "analysis load statbank FIL --table FOLK1A med ALDER=*",
            }
        ],
    }
    nbformat.write(nb, nb_path)
    own = tmp_path / "own.duckdb"
    con = connect(own, read_only=False)
    loads.ensure_tables(con)
    # FOLK1A loaded without the ages 0-17: the 18-64-year-olds of 5.38 are there, those of 5.28 are not
    con.execute(
        "INSERT INTO municipalities VALUES (706, 'Syddjurs', 'Region Midtjylland', 'Landkommuner', 2024, 43000, "
        "24000, NULL, 1.0, 62.0)"
    )
    con.close()
    code, err = _run_cli(capsys, batch, "--warehouse", own)
    assert code == 2
    assert (
        "the warehouse lacks what 1 report(s) need; load it first: hello 706 5.28.22: befolkningstal (FOLK1A) for "
        "0-17-årige (population_0_17) mangler for kommune 706: funktion 5.28.22 måles pr. 0-17-årig; analysis load "
        "statbank FIL --table FOLK1A med ALDER=*"
    ) in _one_line(err)
    _nothing_started(root)


def test_a_mistyped_warehouse_in_the_environment_is_refused_not_built(project, tmp_path, monkeypatch, capsys):
    root, batch = project
    typo = tmp_path / "own.duckbd"
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(typo))
    code, err = _run_cli(capsys, batch)
    assert code == 2
    assert f"no warehouse at {typo} (named by ANALYSIS_WAREHOUSE); check the name" in _one_line(err)
    assert not typo.exists()  # the sample was not built at the mistyped path
    _nothing_started(root)


def test_a_mistyped_warehouse_option_is_refused_not_built(project, tmp_path, capsys):
    root, batch = project
    typo = tmp_path / "sub" / "own.duckdb"
    code, err = _run_cli(capsys, batch, "--warehouse", typo)
    assert code == 2 and f"no warehouse at {typo} (named by --warehouse)" in _one_line(err)
    assert not typo.exists() and not typo.parent.exists()
    _nothing_started(root)


def test_tables_refuses_a_mistyped_warehouse_in_the_environment(tmp_path, monkeypatch, capsys):
    typo = tmp_path / "typo.duckdb"
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(typo))
    assert main(["tables"]) == 2
    assert f"no warehouse at {typo} (named by ANALYSIS_WAREHOUSE)" in _one_line(capsys.readouterr().err)
    assert not typo.exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "it is not a DuckDB database (an empty, truncated or damaged file, or another kind of file)"),
        (bytes(range(256)) * 400, "it is not a DuckDB database"),
    ],
    ids=["0-byte", "random-bytes"],
)
def test_an_empty_or_foreign_warehouse_is_one_line(project, tmp_path, capsys, content, expected):
    root, batch = project
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(content)
    code, err = _run_cli(capsys, batch, "--warehouse", bad)
    assert code == 2 and f"cannot open the warehouse {bad}: {expected}" in _one_line(err)
    assert bad.read_bytes() == content  # never "repaired" into a sample
    _nothing_started(root)


def test_a_truncated_warehouse_is_one_line(project, tmp_path, sample_path, capsys):
    root, batch = project
    data = Path(sample_path).read_bytes()
    bad = tmp_path / "truncated.duckdb"
    bad.write_bytes(data[: len(data) // 2])
    code, err = _run_cli(capsys, batch, "--warehouse", bad)
    assert code == 2
    line = _one_line(err)
    assert f"cannot read the warehouse {bad}: " in line and "truncated or damaged" in line
    _nothing_started(root)


def test_a_locked_warehouse_is_one_line(project, tmp_path, sample_path, capsys):
    root, batch = project
    own = tmp_path / "own.duckdb"
    shutil.copyfile(sample_path, own)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(120)",
            str(own),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        code, err = _run_cli(capsys, batch, "--warehouse", own)
    finally:
        holder.kill()
        holder.wait()
    assert code == 2
    assert f"cannot open the warehouse {own}: it is locked by process {holder.pid} (a load" in _one_line(err)
    _nothing_started(root)


# --- Output folders ---------------------------------------------------------------------------------------------


def test_an_output_folder_under_a_file_is_refused_before_anything_starts(project, tmp_path, capsys):
    root, batch = project
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = tmp_path / "afile" / "run"
    code, err = _run_cli(capsys, batch, "--output", out)
    assert code == 2
    assert f"cannot write the run folder {out}: a part of the path is a file, not a folder" in _one_line(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_before_anything_starts(project, tmp_path, capsys):
    root, batch = project
    out = tmp_path / "readonly"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, err = _run_cli(capsys, batch, "--output", out)
    finally:
        out.chmod(0o700)
    assert code == 2 and f"cannot write the run folder {out}: permission denied" in _one_line(err)
    assert not list(out.iterdir())


def test_a_full_output_disk_is_refused_before_anything_starts(project, tmp_path, capsys, monkeypatch):
    root, batch = project
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(runner, "_disk_usage", lambda folder: usage(10**9, 10**9 - 1_000_000, 1_000_000))
    started = []
    monkeypatch.setattr(runner, "_execute_all", lambda *a, **k: started.append(1))
    code, err = _run_cli(capsys, batch, "--output", tmp_path / "run")
    assert code == 2
    line = _one_line(err)
    assert (
        f"cannot write the run folder {tmp_path / 'run'}: the disk is full or nearly so (1.0 MB free" in line
    )
    assert not started and not (tmp_path / "run").exists()
    _nothing_started(root)


def test_the_reports_run_date_is_the_date_in_copenhagen_on_a_machine_set_to_utc(project, monkeypatch):
    import datetime as dt
    import time
    import types

    from analysis.reporting.formatting import fmt_date
    from analysis.reporting.render import ReportMeta

    root, batch = project

    class JustAfter23Utc(dt.datetime):
        @classmethod
        def now(
            cls, tz=None
        ):  # the machine's clock, set to UTC: 23.05 on 3 December, 00.05 on the 4th in Denmark
            return dt.datetime(2026, 12, 3, 23, 5)

    class Stop(Exception):
        pass

    seen = []

    def execute_nothing(specs, *args, **kwargs):
        seen.extend(specs.values() if isinstance(specs, dict) else specs)
        raise Stop

    monkeypatch.setattr(runner, "dt", types.SimpleNamespace(datetime=JustAfter23Utc))
    monkeypatch.setattr(runner, "_execute_all", execute_nothing)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        with pytest.raises(Stop):
            runner.run_batch(batch_module.load_batch(batch), reports_dir=root / "reports", progress=False)
    finally:
        monkeypatch.undo()
        time.tzset()
    (spec,) = seen
    # the report's title band (Kørselsdato) used to show the machine's date, 3 December
    assert spec["meta"]["run_date"] == "2026-12-04"
    assert fmt_date(ReportMeta.from_dict(spec["meta"]).run_date) == "4. december 2026"


def test_check_writable_names_the_folder_and_the_cause(tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot write the report cache .*f/c: a part of the path is a file"):
        _check_writable(tmp_path / "f" / "c", "report cache")
    _check_writable(tmp_path / "ok", "report cache")  # a writable folder passes and keeps no probe file
    assert list((tmp_path / "ok").iterdir()) == []


# --- The cache --------------------------------------------------------------------------------------------------


def _stored(tmp_path) -> tuple[Path, ReportResult]:
    run_dir, cache = tmp_path / "run", tmp_path / "cache"
    (run_dir / "hello").mkdir(parents=True)
    (run_dir / "hello" / "r.html").write_text("<p>2018-2025</p>", encoding="utf-8")
    (run_dir / "hello" / "r.ipynb").write_text("{}", encoding="utf-8")
    result = ReportResult(
        "hello", "T", 706, "Syddjurs", "5.38.50", "Botilbud", {}, "ok",
        files={"html": "hello/r.html", "ipynb": "hello/r.ipynb"}, seconds={"execute": 1.5}, cache_key="ab" * 32,
    )  # fmt: skip
    _cache_store(cache, run_dir, result, "run-1")
    return cache, result


def test_the_cache_holds_copies_never_links_to_a_run_folder(tmp_path):
    cache, result = _stored(tmp_path)
    entry = cache / "ab" / result.cache_key
    run_file, cached = tmp_path / "run" / "hello" / "r.html", entry / "r.html"
    assert cached.stat().st_nlink == 1 and cached.stat().st_ino != run_file.stat().st_ino
    run_file.write_text("<p>2018-2024</p>", encoding="utf-8")  # a later run writing into the folder
    hit = _cache_lookup(cache, result.cache_key)
    assert hit is not None and hit["run_id"] == "run-1" and hit["seconds"] == {"execute": 1.5}
    assert cached.read_text("utf-8") == "<p>2018-2025</p>"
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_truncated_cache_entry_is_a_miss_that_names_the_file(tmp_path, caplog):
    cache, result = _stored(tmp_path)
    entry = cache / "ab" / result.cache_key / "result.json"
    entry.write_text(entry.read_text("utf-8")[:40], encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert _cache_lookup(cache, result.cache_key) is None
    assert f"cache entry {entry} is unreadable (JSONDecodeError" in caplog.text


def test_a_cached_file_that_changed_or_went_is_a_miss(tmp_path, caplog):
    cache, result = _stored(tmp_path)
    cached = cache / "ab" / result.cache_key / "r.html"
    cached.write_text("<p>2018-2024</p>", encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert _cache_lookup(cache, result.cache_key) is None
    assert "r.html has changed since it was stored" in caplog.text
    cached.unlink()
    assert _cache_lookup(cache, result.cache_key) is None


def test_an_entry_of_the_older_hard_linking_cache_is_never_trusted(tmp_path):
    cache, result = _stored(tmp_path)
    entry = cache / "ab" / result.cache_key / "result.json"
    data = json.loads(entry.read_text("utf-8"))
    del data["format"], data["sha256"]  # what the runner wrote before it hashed its files
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert _cache_lookup(cache, result.cache_key) is None


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.EROFS, "it is on a read-only file system"),
        (errno.ENOSPC, "the disk is full"),
        (errno.EACCES, "permission denied"),
        (errno.ENOTDIR, "a part of the path is a file, not a folder"),
    ],
)
def test_file_system_errors_are_named_in_words(tmp_path, code, reason):
    error = runner._folder_error(tmp_path, OSError(code, os.strerror(code)), "run folder")
    assert str(error) == (
        f"cannot write the run folder {tmp_path}: {reason}; choose another folder (--output) or fix this one"
    )


def test_the_title_block_gives_the_month_of_an_open_year():
    assert runner._data_period({"first_year": 2018, "last_year": 2025}) == "2018-2025"
    assert (
        runner._data_period({"first_year": 2018, "last_year": 2025, "as_of_month": 9})
        == "2018-2025 (2025 til og med september)"
    )
    assert runner._data_period({"first_year": 2025, "last_year": 2025, "as_of_month": 1}) == (
        "2025 (2025 til og med januar)"
    )
    # month 12 closes the year (the cross-sector report allows it): no open-year note
    assert runner._data_period({"first_year": 2018, "last_year": 2025, "as_of_month": 12}) == "2018-2025"


@pytest.mark.parametrize(
    "command", [["budget", "--year", "2026"], ["followup", "--year", "2025", "--month", "9"]]
)
def test_budget_and_followup_refuse_a_mistyped_warehouse_and_build_nothing(
    tmp_path, monkeypatch, capsys, command
):
    typo = tmp_path / "own.duckbd"
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(typo))
    assert main([command[0], "--municipality", "706", *command[1:]]) == 2
    assert f"no warehouse at {typo} (named by ANALYSIS_WAREHOUSE); check the name" in _one_line(
        capsys.readouterr().err
    )
    assert not typo.exists()


def test_a_run_id_is_never_cpr_shaped():
    import datetime as dt

    from analysis.privacy import find_cpr
    from analysis.reporting.batch import Batch

    batch = Batch.model_validate(
        {"name": "t", "municipalities": [706], "function_areas": ["5.38.50"], "notebooks": ["hello"]}
    )
    # 22:12:18 reads as the date 22.12.18; a hash starting with four digits made '221218-7351' in a report
    for second in range(60):
        now = dt.datetime(2026, 12, 1, 22, 12, second)
        run_id = runner._new_run_id(batch, now)
        assert run_id.startswith(f"20261201-2212{second:02d}-r") and len(run_id) == 22
        assert find_cpr(f"Kørsels-id: {run_id}") == [], run_id

"""What produced a run: the code version, the package versions and fingerprints of the inputs.

These go into every run's ``manifest.json`` and into the cache key of every report, so that a report is reused only
when its notebook, parameters, inputs and code are all unchanged.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import analysis
from analysis.data.warehouse import fetch_one

__all__ = [
    "code_version",
    "environment_fingerprint",
    "file_sha256",
    "package_versions",
    "parameters_fingerprint",
    "stable_hash",
    "warehouse_fingerprint",
]

#: The packages whose versions a manifest records.
PACKAGES = (
    "analysis",
    "duckdb",
    "ipykernel",
    "matplotlib",
    "nbclient",
    "nbconvert",
    "numpy",
    "pandas",
    "papermill",
    "pydantic",
    "seaborn",
    "statsmodels",
    "weasyprint",
)


def stable_hash(obj: object) -> str:
    """SHA-256 of the canonical JSON of ``obj`` (sorted keys), as hex."""
    text = json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@cache
def code_version() -> dict[str, object]:
    """The version of the code: package version, git commit, and a hash of every file of the package.

    ``git_dirty`` says whether tracked files have uncommitted changes; the hash tells such edits apart.
    """
    package_dir = Path(analysis.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(package_dir.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"):
            h.update(p.relative_to(package_dir).as_posix().encode())
            h.update(p.read_bytes())
    commit, dirty = _git(package_dir)
    return {
        "package": analysis.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "source_sha256": h.hexdigest(),
    }


def _git(folder: Path) -> tuple[str | None, bool | None]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


def package_versions() -> dict[str, str]:
    """Python's version and those of the packages in :data:`PACKAGES` that are installed."""
    out = {"python": platform.python_version(), "platform": sys.platform}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def warehouse_fingerprint(con) -> dict[str, dict[str, object]]:
    """Per warehouse table: its row count and a content hash (order-independent; DuckDB's row hash summed).

    Any change of a value, a row added or removed changes the table's hash.

    Every table counts, the bookkeeping ones too (``_meta``, ``_loads``, ``_findings``, a load history): reports
    read them (the data-quality report prints ``_findings``; the sample notice comes from ``_meta``).
    """
    out = {}
    tables = [
        r[0]
        for r in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
    ]
    for qualified in tables:
        schema, name = qualified.split(".", 1)
        key = name if schema == "main" else qualified
        rows, digest = fetch_one(
            con, f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{schema}"."{name}" t'
        )
        out[key] = {"rows": int(rows), "hash": hashlib.sha256(str(digest).encode()).hexdigest()[:16]}
    return out


def parameters_fingerprint(folder: str | Path, *, exclude: tuple[str, ...] = ("batches",)) -> dict[str, str]:
    """SHA-256 of every file under ``parameters/`` (relative path -> hex), but the folders in ``exclude``.

    The package and the notebooks read files there (``unit_costs.yaml``, mappings, defaults, indices); hashing all
    of them is the simple rule that cannot miss one. Batch files are left out: a batch's effective parameters are
    part of each report's own key, and adding a batch must not make every cached report stale.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] not in exclude and "__pycache__" not in rel.parts:
            out[rel.as_posix()] = file_sha256(p)
    return out


@cache
def environment_fingerprint() -> str:
    """SHA-256 over Python's version and the name and version of every installed distribution.

    Any upgrade of a package a notebook imports (directly or not) changes it; cheaper to over-approximate
    than to miss the one that changed a chart.
    """
    names = sorted(
        f"{name.lower()}=={version}"
        for name, version in map(_name_version, metadata.distributions())
        if name is not None
    )
    return stable_hash([platform.python_version(), sys.platform, names])


def _name_version(dist: metadata.Distribution) -> tuple[str | None, str | None]:
    """A distribution's ``Name`` and ``Version`` from the head of its metadata file; (None, None) without one.

    The same values as ``dist.metadata['Name']`` and ``dist.version``, read without parsing the whole file as an
    e-mail message (which, over every installed distribution, costs more than a run whose reports are all cached).
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("")
    if not text:
        return None, None
    head: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first empty line
        key, sep, value = line.partition(":")
        if sep and not key[:1].isspace():
            head.setdefault(key.strip().lower(), value.strip())
    if not head:
        return None, None
    return head.get("name", ""), head.get("version")

"""The report cache: a finished report's files stored under its key, reused while every file hashes as stored.

An entry is ``<cache>/<key[:2]>/<key>/`` with the report's files and ``result.json`` (their SHA-256, the seconds
they took, the run that made them). Files go in and out by copy to a temporary name and rename, never by hard link,
so a later run writing into a run folder can never change a cached report; an entry appears whole or not at all.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from analysis.reporting.provenance import file_sha256
from analysis.reporting.results import ReportResult

log = logging.getLogger(__name__)

#: Bump when the layout of a cache entry or the content of its key changes: older entries are then misses.
CACHE_FORMAT = 2


def _copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` under a temporary name, then rename: never a hard link, never a half-written file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copyfile(src, partial)
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)


def _entry_dir(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / key


def _cache_lookup(cache_dir: Path, key: str) -> dict[str, Any] | None:
    """The cache entry of ``key`` when every one of its files is there and hashes as stored; else None (a miss).

    An unreadable, truncated or altered entry is a miss, logged with the file it concerns; the report is then
    executed again and the entry replaced.
    """
    folder = _entry_dir(cache_dir, key)
    entry = folder / "result.json"
    if not entry.exists():
        return None
    try:
        data = json.loads(entry.read_text("utf-8"))
        if data.get("format") != CACHE_FORMAT:
            return None  # written by an older runner (perhaps hard-linked to a run folder): never trusted
        files, hashes = data["files"], data["sha256"]
        for rel in files.values():
            name = Path(rel).name
            if file_sha256(folder / name) != hashes[name]:
                log.warning(
                    "cache entry %s: %s has changed since it was stored; executing again", folder, name
                )
                return None
        data["seconds"] = dict(data["seconds"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        log.warning("cache entry %s is unreadable (%s: %s); executing again", entry, type(e).__name__, e)
        return None
    return data


def _cache_store(cache_dir: Path, run_dir: Path, result: ReportResult, run_id: str) -> None:
    """Copy a finished report into the cache: files first, then ``result.json`` with their hashes, then rename.

    The entry appears whole or not at all (a folder renamed into place), so a run killed meanwhile leaves no
    half-entry that a later run would trust.
    """
    final = _entry_dir(cache_dir, result.cache_key)
    building = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        building.mkdir(parents=True)
        hashes = {}
        for rel in result.files.values():
            name = Path(rel).name
            _copy(run_dir / rel, building / name)
            hashes[name] = file_sha256(building / name)
        data = {
            "format": CACHE_FORMAT,
            "files": result.files,
            "sha256": hashes,
            "seconds": result.seconds,
            "run_id": result.cached_from or run_id,
        }
        (building / "result.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(building, final)
    except OSError as e:  # the cache is an optimisation: a report that cannot be stored is still a report
        log.warning("could not store %s in the cache %s: %s", result.files.get("html", ""), cache_dir, e)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)

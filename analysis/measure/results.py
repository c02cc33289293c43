"""Result files: provenance, atomic writes, stored references under analysis/data/measurements/."""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import subprocess
from pathlib import Path

from ..errors import CatalogError, require_name
from ..fileio import atomic_write_json
from ..sources import DATA_DIR, ROOT
from .backend import BACKENDS, Backend

MEASUREMENTS_DIR = DATA_DIR / "measurements"
SCHEMA_VERSION = 1


def _versions(backend: Backend) -> dict:
    import numpy

    versions: dict[str, object] = {"python": platform.python_version(), "numpy": numpy.__version__}
    try:
        from threadpoolctl import threadpool_info

        versions["blas"] = [
            {
                k: info.get(k)
                for k in (
                    "internal_api",
                    "version",
                    "threading_layer",
                    "architecture",
                    "num_threads",
                )
            }
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
    except ImportError:
        cfg = numpy.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        versions["blas"] = [{"name": blas.get("name"), "version": blas.get("version")}]
    if backend.is_gpu:
        versions["cupy"] = backend.xp.__version__
    return versions


def git_commit() -> str:
    """The checkout's HEAD commit, with "+dirty" when tracked files changed; "unknown" without
    git."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        commit = out.stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return (commit + ("+dirty" if dirty else "")) if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(backend: Backend, argv: list[str]) -> dict:
    """Where a run came from: ``backend``'s name and device, library versions, UTC date, git
    commit, and the command line rebuilt from ``argv`` (the CLI's arguments)."""
    return {
        "backend": backend.name,
        "device": backend.device_info(),
        "versions": _versions(backend),
        "date_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "git_commit": git_commit(),
        "command": "python -m analysis.measure " + " ".join(argv),
    }


def device_slug(backend: Backend) -> str:
    """``backend``'s device name lower-cased, runs of other characters as "-", at most 48 long
    (the last part of a measurement file's name)."""
    name = backend.device_info()["name"].lower()
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:48]


def reference_path(suite: str, backend_name: str) -> Path | None:
    """The stored reference file of ``suite`` for ``backend_name`` ('numpy' or 'cupy'), if any.

    An unknown suite or backend raises :class:`UnknownNameError` naming the known ones; a known
    suite with no committed run for that backend (e.g. no GPU run yet) gives None.
    """
    from .suites import load_all

    require_name("suite", suite, sorted(load_all()))
    require_name("backend_name", backend_name, BACKENDS)
    matches = sorted(MEASUREMENTS_DIR.glob(f"{suite}-{backend_name}-*.json"))
    return matches[0] if matches else None


def load(path: Path) -> dict:
    """The measurement file at ``path`` as a dict; raises ``ValueError`` unless it has the
    schema, suite, provenance and results keys."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in ("schema", "suite", "provenance", "results"):
        if key not in data:
            raise CatalogError(f"{path}: not a measurement file (missing {key!r})")
    return data


def reference(suite: str, backend_name: str = "numpy") -> dict | None:
    """The stored reference run of ``suite`` on ``backend_name`` ('numpy' or 'cupy'), or None
    when none has been committed (e.g. no GPU run yet).

    ``reference("bogus")`` raises :class:`UnknownNameError` listing the known suites.
    """
    path = reference_path(suite, backend_name)
    return None if path is None else load(path)


def write(
    path: Path, suite: str, quick: bool, prov: dict, results: dict, *, overwrite: bool
) -> None:
    """Write a result file atomically; an existing file is replaced only with ``overwrite``.

    ``path`` is the file, ``suite`` the suite's name, ``quick`` whether the quick plan ran,
    ``prov`` the ``provenance`` dict and ``results`` the suite's results (times [s]).
    """
    doc = {
        "schema": SCHEMA_VERSION,
        "suite": suite,
        "quick": quick,
        "provenance": prov,
        "results": results,
    }
    atomic_write_json(path, doc, overwrite=overwrite)

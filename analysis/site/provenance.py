"""Generates chapters/provenance.md: what ran, with which software, on which measurements.

The page holds three things: myst-nb's execution table of the notebooks (filled in by each
build), the Python and package versions of the build (the ``{package-versions}`` directive of
``_ext/build_info.py``), and every stored measurement file in ``analysis/data/measurements/``
with its provenance (suite, backend, device, date, git commit) and the figures drawn from it.
Which figure reads which file is not declared by hand: ``make figures`` records the files each
figure opens while it is built, in ``figures/index.json`` (a test rebuilds every figure and checks
the record). ``python -m analysis.site.provenance`` rewrites the page (``make
figures`` runs it); a test fails when the committed page is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..figures import registry
from ..sources import ROOT
from ..units import si
from . import pages

PAGE = ROOT / "chapters" / "provenance.md"
MEASUREMENTS_DIR = registry.MEASUREMENTS_DIR


def files_read_by(fig_id: str) -> list[str]:
    """Names of the measurement files that building figure ``fig_id`` opens (builds it)."""
    return registry.measurements_read_by(fig_id)


@cache
def figure_measurements() -> dict[str, list[str]]:
    """Figure id -> the measurement files it is drawn from (every registered figure).

    Read from ``figures/index.json``, which ``make figures`` writes while building each figure
    and which a test checks figure by figure; a figure missing from it is built and traced.
    """
    return registry.measurements_by_figure()


def measurement_files() -> list[Path]:
    """The stored measurement files (``analysis/data/measurements/*.json``), sorted by name."""
    return sorted(MEASUREMENTS_DIR.glob("*.json"))


def _device(device: dict) -> str:
    name = device.get("name", "unknown device")
    details = []
    if device.get("kind") == "gpu":
        if device.get("compute_capability"):
            details.append(f"compute capability {device['compute_capability']}")
        if device.get("memory_bytes"):
            details.append(si(device["memory_bytes"], "B") + " memory")
        if device.get("driver_version"):
            details.append(
                f"CUDA driver {device['driver_version']}, runtime {device.get('runtime_version')}"
            )
    else:
        if device.get("logical_cores"):
            details.append(f"{device['logical_cores']} logical cores")
        if device.get("last_level_cache_bytes"):
            details.append(si(device["last_level_cache_bytes"], "B") + " last-level cache")
        if device.get("memory_bytes"):
            details.append(si(device["memory_bytes"], "B") + " memory")
    return name + (f" ({', '.join(details)})" if details else "")


def _versions(versions: dict) -> str:
    parts = []
    for key, value in versions.items():
        if key == "blas" and isinstance(value, list):
            for lib in value:
                name = lib.get("internal_api") or lib.get("name") or "BLAS"
                parts.append(f"{name} {lib.get('version') or ''}".strip())
        elif not isinstance(value, dict | list):
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def measurements_section() -> str:
    """The page's measurements section (MyST): each stored file's suite, device, date, commit,
    software and command, and the figures drawn from it."""
    used_by: dict[str, list[str]] = {}
    for fig_id, names in figure_measurements().items():
        for name in names:
            used_by.setdefault(name, []).append(fig_id)
    files = measurement_files()
    lines = [
        "## Measurements behind the figures\n",
        "The stored reference measurements in `analysis/data/measurements/`, each written by "
        "`python -m analysis.measure` with its provenance, and the figures drawn from each "
        "(found by building every figure and recording the files it reads). The chapters show "
        "these stored runs beside a live run on the machine that builds the book.\n",
    ]
    if not files:
        lines.append(
            "No measurement file is stored yet: every figure is drawn from the sourced "
            "catalogs alone (see {doc}`appendix-data-sources`).\n"
        )
        return "\n".join(lines)
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        prov = doc.get("provenance", {})
        commit = str(prov.get("git_commit", "unknown"))
        dirty = " (with uncommitted changes)" if commit.endswith("+dirty") else ""
        date = str(prov.get("date_utc", "unknown date")).replace("T", " ").replace("+00:00", " UTC")
        figs = ", ".join(f"{{ref}}`{f} <fig-{f}>`" for f in used_by.get(path.name, [])) or "none"
        lines.append(
            f"### `{path.name}`\n\n"
            f"- Suite: `{doc.get('suite', '?')}`{' (quick run)' if doc.get('quick') else ''}, "
            f"backend `{prov.get('backend', '?')}`\n"
            f"- Device: {_device(prov.get('device', {}))}\n"
            f"- Measured: {date}, at commit `{commit.removesuffix('+dirty')[:12]}`{dirty}\n"
            f"- Software: {_versions(prov.get('versions', {}))}\n"
            f"- Command: `{prov.get('command', '?')}`\n"
            f"- Figures drawn from it: {figs}\n"
        )
    unused = [f for f, names in figure_measurements().items() if not names]
    lines.append(
        f"The other {len(unused)} figures are drawn from the sourced catalogs alone "
        "(see {doc}`appendix-data-sources`).\n"
    )
    return "\n".join(lines)


def render() -> str:
    """The whole page chapters/provenance.md, as MyST text."""
    sections = [
        "# Provenance\n",
        "What produced this website: the notebooks as executed by this build, the software "
        "it ran on, and the measurement files that the figures are drawn from. The page is "
        "generated by `python -m analysis.site.provenance` (run by `make figures`); a test fails if "
        "it is stale. The two tables of the first sections are filled in when the book is "
        "built, so they describe the build you are reading.\n",
        "## Notebook execution\n",
        "Every build executes every chapter on the machine that builds it (`execute_notebooks: "
        "force` in `_config.yml`), and the build fails on any error. Times are those of this "
        "build; the test suite separately re-executes every cell and compares it with the "
        "output stored in the notebook (nbval).\n",
        "```{nb-exec-table}\n```\n",
        "## Software\n",
        "The toolchain is pinned in `requirements.txt`, and every resolved dependency in "
        "`constraints.txt`; the versions installed where this page was built:\n",
        "```{package-versions}\n```\n",
        measurements_section(),
    ]
    return "\n".join(sections)


def main() -> int:
    """Rewrite chapters/provenance.md from :func:`render`; returns 0 [unitless], the CLI's exit
    code."""
    return pages.write(PAGE, render())


if __name__ == "__main__":
    raise SystemExit(main())

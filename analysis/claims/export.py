"""The ledger's exports: ``figures/claims.csv`` and ``figures/claims.json``.

``python -m analysis.claims [--out DIR]`` writes both (default ``figures/``); a test fails when
the committed exports are stale.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..fileio import atomic_write_bytes
from ..sources import ROOT
from .catalog import ledger

CSV_FIELDS = (
    "id",
    "topic",
    "chapter",
    "section",
    "quote",
    "value",
    "unit",
    "comparison",
    "claimed",
    "ratio",
    "verdict",
    "why",
    "assumptions",
    "sources",
    "sensitivity",
    "unswept",
)


def render_csv() -> bytes:
    """The ledger as CSV bytes (one row per claim; numbers in each claim's ``unit`` column)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in ledger():
        row = c.to_json()
        row["assumptions"] = json.dumps(row["assumptions"], sort_keys=True, ensure_ascii=False)
        row["sources"] = " ".join(row["sources"])
        row["sensitivity"] = json.dumps(
            [{k: v for k, v in x.items() if k != "points"} for x in row["sensitivity"]],
            ensure_ascii=False,
        )
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in CSV_FIELDS})
    return buf.getvalue().encode()


def render_json() -> bytes:
    """The ledger as JSON bytes (numbers in each claim's ``unit``)."""
    doc = [c.to_json() for c in ledger()]
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


EXPORTS = {"claims.csv": render_csv, "claims.json": render_json}


def export(outdir: Path = ROOT / "figures") -> list[Path]:
    """Write claims.csv and claims.json under ``outdir``; returns their paths."""
    paths = []
    for name, render in EXPORTS.items():
        path = Path(outdir) / name
        atomic_write_bytes(path, render())
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.claims`` (``argv``): export the ledger; returns [exit status]."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m analysis.claims", description="Export the claims ledger."
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "figures", help="output folder (default: figures/)"
    )
    args = parser.parse_args(argv)
    for path in export(args.out):
        print(f"wrote {path}")
    return 0

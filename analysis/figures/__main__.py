"""``python -m analysis.figures [--out DIR] [--only ID ...]``: export the registered figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UnknownNameError
from .registry import FIGURES_DIR, export_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.figures", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=FIGURES_DIR, help="output folder (default: figures/)"
    )
    parser.add_argument("--only", nargs="+", metavar="ID", help="export only these figure ids")
    args = parser.parse_args(argv)
    try:
        written = export_all(args.out, args.only)
    except UnknownNameError as err:
        print(f"error: --only: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: --out {args.out}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m analysis.measure --suite NAME [--out PATH] [--quick] [--overwrite]``.

Runs a measurement suite on this machine (CuPy on a usable GPU, NumPy otherwise) and writes one
JSON file per suite with provenance. A file that exists is never replaced without --overwrite;
an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import results
from .backend import BACKENDS, get_backend
from .suites import load_all


def parse_args(argv: list[str]) -> argparse.Namespace:
    suites = load_all()
    parser = argparse.ArgumentParser(
        prog="python -m analysis.measure",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--suite",
        required=True,
        choices=[*sorted(suites), "all"],
        help="which suite to run ('all' runs every suite)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="output file, or an existing folder to write <suite>-<backend>-<device>.json "
        "into (default folder: _build/measurements/)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and few repeats (seconds)"
    )
    parser.add_argument(
        "--backend", choices=BACKENDS, help="force a backend (default: cupy if a GPU is usable)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    suites = load_all()
    names = sorted(suites) if args.suite == "all" else [args.suite]
    try:
        backend = get_backend(args.backend)
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    slug = results.device_slug(backend)
    default_dir = results.ROOT / "_build" / "measurements"
    for name in names:
        if args.out is None or args.out.is_dir() or args.suite == "all":
            folder = args.out or default_dir
            path = folder / f"{name}-{backend.name}-{slug}.json"
        else:
            path = args.out
        if path.exists() and not args.overwrite:
            print(f"error: {path} exists; pass --overwrite to replace it", file=sys.stderr)
            return 2
        try:
            data = suites[name].run(backend, args.quick, not args.no_progress)
        except KeyboardInterrupt:
            print(f"\ninterrupted: nothing written for suite {name!r}", file=sys.stderr)
            return 130
        results.write(
            path,
            name,
            args.quick,
            results.provenance(backend, argv),
            data,
            overwrite=args.overwrite,
        )
        print(f"{name}: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

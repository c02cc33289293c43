"""``python -m analysis.measure --suite NAME [--out PATH] [--quick] [--overwrite]``.

Runs a measurement suite on this machine (CuPy on a usable GPU, NumPy otherwise) and writes one
JSON file per suite with provenance. A file that exists is never replaced without --overwrite;
an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..errors import AnalysisError, InvalidValueError
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
        help="output file (one suite), or a folder (an existing one, or a name ending in /, "
        "created) to write <suite>-<backend>-<device>.json into (default: _build/measurements/)",
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


def output_paths(
    out: str | None, names: list[str], backend_name: str, slug: str
) -> tuple[dict[str, Path], Path | None]:
    """Map each suite to the file it will write, and the folder to create (if any).

    ``--out`` is a folder when it ends with a path separator or is an existing folder (it is
    created if missing); otherwise it is one file, which only a single suite can write.
    Raises ``ValueError`` with a message for the user when ``--out`` cannot serve ``names``.
    """
    default_dir = results.ROOT / "_build" / "measurements"
    if out is None:
        folder: Path | None = default_dir
    elif out.endswith(("/", os.sep)) or Path(out).is_dir():
        folder = Path(out)
    else:
        folder = None
    if folder is not None:
        return {name: folder / f"{name}-{backend_name}-{slug}.json" for name in names}, folder
    assert out is not None  # a None --out always means the default folder
    if len(names) > 1:
        raise InvalidValueError(
            "--out",
            str(out),
            f"a folder, not a file: it names one file but --suite all writes {len(names)} files "
            f"({', '.join(names)}); give a folder instead, e.g. --out {Path(out).parent / 'runs'}/",
        )
    return {names[0]: Path(out)}, None


def check_writable(paths: dict[str, Path], folder: Path | None, overwrite: bool) -> list[str]:
    """Every problem with the output paths, found before any measuring starts (empty: all fine)."""
    problems = []
    if folder is not None and folder.exists() and not folder.is_dir():
        return [f"--out {folder}: exists and is not a folder"]
    for name, path in paths.items():
        if path.is_dir():
            problems.append(f"{path} is a folder; the {name} result needs a file name")
        elif path.exists() and not overwrite:
            problems.append(f"{path} exists; pass --overwrite to replace it")
        else:
            parent = path.parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
                fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
                os.close(fd)
                os.unlink(probe)
            except OSError as err:
                problems.append(f"cannot write {path}: {err.strerror or err}")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    suites = load_all()
    names = sorted(suites) if args.suite == "all" else [args.suite]
    try:
        backend = get_backend(args.backend)
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if backend.note:
        print(f"note: {backend.note}", file=sys.stderr)
    try:
        paths, folder = output_paths(args.out, names, backend.name, results.device_slug(backend))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    problems = check_writable(paths, folder, args.overwrite)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing measured: fix the output paths first", file=sys.stderr)
        return 2
    mode = "quick" if args.quick else "full"
    for name, path in paths.items():
        print(f"plan: {name} ({mode}, {backend.name}) -> {path}")
    for name, path in paths.items():
        try:
            data = suites[name].run(backend, args.quick, not args.no_progress)
        except KeyboardInterrupt:
            print(f"\ninterrupted: nothing written for suite {name!r}", file=sys.stderr)
            return 130
        prov = results.provenance(backend, argv)
        try:
            results.write(path, name, args.quick, prov, data, overwrite=args.overwrite)
        except FileExistsError:
            # Another run wrote the same path while this one measured: keep both results.
            spare = path.with_name(f"{path.stem}.{os.getpid()}{path.suffix}")
            results.write(spare, name, args.quick, prov, data, overwrite=False)
            print(
                f"error: {path} was written by another run meanwhile; this result is in {spare}",
                file=sys.stderr,
            )
            return 2
        except OSError as err:
            print(f"error: cannot write {path}: {err.strerror or err}", file=sys.stderr)
            return 2
        print(f"{name}: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

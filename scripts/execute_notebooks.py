"""Re-execute notebooks in place so that their stored outputs (which nbval verifies) are current.

Usage: python scripts/execute_notebooks.py chapters [more paths...]
Runs each notebook top to bottom in a fresh kernel from its own folder; fails on any error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for cell in nb.cells:  # keep diffs small: no per-run execution metadata
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)
    print(f"executed {path} in {time.perf_counter() - start:.1f} s")


def main(argv: list[str]) -> int:
    paths = []
    for arg in argv or ["chapters"]:
        p = Path(arg)
        paths += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    for path in paths:
        execute(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Generates chapters/rerun.md: how to rerun the book on a GPU, and what a rerun should print.

The steps are the README's (one wording, checked by a test); the suites and their time limits
are read from ``scripts/gpu-check.sh``, the CuPy wheel from ``requirements-gpu.txt``, the
targets (the ceilings a measurement on an H100 SXM or an H200 can approach but not pass) from
the hardware catalog, and the stored GPU reference from ``analysis/data/measurements/``: while
there is none, the page says "pending". ``python -m analysis.site.rerun`` rewrites the page
(``make figures``); a test fails when the committed page is stale.
"""

from __future__ import annotations

import json
import re

from .. import hardware, roofline
from ..errors import CatalogError
from ..sources import DATA_DIR, ROOT
from ..units import fmt_sig, si
from . import pages
from .pages import table

PAGE = ROOT / "chapters" / "rerun.md"
GPU_CHECK = ROOT / "scripts" / "gpu-check.sh"
REQUIREMENTS_GPU = ROOT / "requirements-gpu.txt"
MEASUREMENTS_DIR = DATA_DIR / "measurements"
TARGET_CHIPS = ("h100-sxm", "h200")

# The rerun, step by step. README.md's "Rerunning on a GPU" shows the same commands (a test
# compares them).
STEPS = (
    "make venv && .venv/bin/pip install -r requirements-gpu.txt",
    "make gpu-check OUT=gpu-results",
    "cp gpu-results/*.json analysis/data/measurements/",
    "make notebooks figures",
    "make book",
)


def suites() -> list[tuple[str, int]]:
    """(suite, time limit [s]) in the order ``scripts/gpu-check.sh`` runs them."""
    text = GPU_CHECK.read_text(encoding="utf-8")
    match = re.search(r"for spec in ([^;]+);", text)
    if not match:
        raise CatalogError(f"{GPU_CHECK}: no 'for spec in suite:limit ...;' loop found")
    return [(s.split(":")[0], int(s.split(":")[1])) for s in match.group(1).split()]


def cupy_wheel() -> str:
    """The CuPy requirement line of requirements-gpu.txt ('cupy-cuda12x==14.2.0')."""
    for line in REQUIREMENTS_GPU.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("cupy"):
            return line.strip()
    raise CatalogError(f"{REQUIREMENTS_GPU}: no cupy requirement")


def gpu_references() -> list[dict]:
    """Stored GPU measurement files (backend cupy), with the device they ran on."""
    out = []
    for path in sorted(MEASUREMENTS_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        prov = doc.get("provenance", {})
        if prov.get("backend") == "cupy":
            out.append(
                {
                    "file": path.name,
                    "suite": doc.get("suite", "?"),
                    "device": prov.get("device", {}).get("name", "?"),
                    "date": str(prov.get("date_utc", "?"))[:10],
                }
            )
    return out


def targets_table() -> str:
    """The ceilings of ``TARGET_CHIPS`` as a Markdown table: bandwidth [B/s], dense peak
    [FLOP/s], ridge [FLOP/B] and critical batch [rows], in bf16 and fp8, with sources."""
    rows = []
    for key in TARGET_CHIPS:
        acc = hardware.get(key)
        for dtype in ("bf16", "fp8"):
            if dtype not in acc.dtypes:
                continue
            peak = acc.peak_flops(dtype)
            rows.append(
                [
                    acc.name,
                    dtype,
                    si(acc.mem_bandwidth, "B/s"),
                    si(peak, "FLOP/s"),
                    fmt_sig(peak / acc.mem_bandwidth, 3),
                    fmt_sig(roofline.accelerator_critical_batch(acc, dtype), 3),
                    pages.cite(acc.source("mem_bandwidth")),
                ]
            )
    return table(
        [
            "Chip",
            "dtype",
            "Bandwidth ceiling",
            "Dense peak ceiling",
            "Ridge F/W (FLOP/B)",
            "Critical batch F b_w/(2W)",
            "Source",
        ],
        rows,
    )


def render() -> str:
    """The whole page chapters/rerun.md, as MyST text."""
    steps = "\n".join(STEPS)
    suite_rows = [
        [f"`{name}`", f"{limit} s", f"`{name}-cupy-<device>.json`"] for name, limit in suites()
    ]
    refs = gpu_references()
    if refs:
        stored = "The stored GPU reference runs:\n\n" + table(
            ["File", "Suite", "Device", "Measured"],
            [[f"`{r['file']}`", r["suite"], r["device"], r["date"]] for r in refs],
        )
    else:
        stored = (
            "**Pending.** No GPU run is stored yet in `analysis/data/measurements/`: the "
            "chapters show the stored CPU reference and the live run of the machine that builds "
            "the book. The first rerun copied in as above becomes the GPU reference, and this "
            "section then lists its files."
        )
    return "\n".join(
        [
            "# Rerunning on a GPU\n",
            "The chapters measure the machine that executes them: NumPy on a CPU, CuPy on an "
            "NVIDIA GPU. To rerun the book on a GPU and keep its measurements as the book's "
            "reference, run these commands from the repository's root (the same as in "
            "`README.md`):\n",
            "```bash\n" + steps + "\n```\n",
            f"`requirements-gpu.txt` installs `{cupy_wheel()}`, the wheel for CUDA 12 drivers; on "
            "a CUDA 13 driver (`nvidia-smi` shows the CUDA version) replace that line by the "
            "`cupy-cuda13x` wheel of the same version. `make gpu-check` installs nothing and "
            "needs no network; it runs the GPU tests and then each measurement suite with its "
            "own time limit, writing into `OUT`:\n",
            table(["Suite", "Time limit", "File written"], suite_rows) + "\n",
            "beside `nvidia-smi.txt` and `pytest-gpu.log`. Its first line names the device: "
            "`gpu-check: CuPy <version> on <device name>`.\n",
            "## What a rerun should print on an H100 or an H200\n",
            "The ceilings below are the catalog's datasheet figures; a measurement approaches "
            "them from below (a stream copy reaches a fraction of the bandwidth, a GEMM a "
            "fraction of the dense peak) and the chapters report the fraction they got. The "
            "knee of the batch sweep (where a decode-shaped matmul turns compute-bound) "
            "should sit near the critical batch.\n",
            targets_table() + "\n",
            "## Stored GPU reference\n",
            stored + "\n",
        ]
    )


def main() -> int:
    """Rewrite chapters/rerun.md from :func:`render`; returns 0 [unitless], the CLI's exit code."""
    return pages.write(PAGE, render())


if __name__ == "__main__":
    raise SystemExit(main())

"""Command line of the serving model: ``python -m analysis.serving`` prints the frontier."""

from __future__ import annotations

import argparse
import json
import sys

from . import hardware, models
from .serving import Prediction, frontier


def _table(points: list[Prediction]) -> str:
    head = ("n_gpus", "batch", "TTFT ms", "TPOT ms", "tok/s/user", "tok/s/GPU", "binding")
    rows = [
        (
            str(p.n_gpus), str(p.batch), f"{p.ttft_s * 1e3:.1f}", f"{p.tpot_s * 1e3:.2f}",
            f"{p.output_tokens_per_s_per_user:.1f}", f"{p.output_tokens_per_s_per_gpu:.0f}",
            p.binding,
        )
        for p in points
    ]  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.serving``: the frontier as a table or JSON; ``argv`` as on the command line.

    Returns [exit status].
    """
    ap = argparse.ArgumentParser(prog="python -m analysis.serving", description=main.__doc__)
    ap.add_argument("--model", required=True, help=f"catalog model: {', '.join(models.NAMES)}")
    ap.add_argument("--hardware", required=True, help=f"accelerator: {', '.join(hardware.NAMES)}")
    ap.add_argument("--n-gpus", type=int, nargs="+", default=[1, 2, 4, 8], help="group sizes")
    ap.add_argument("--dtype", default="bf16", help="weight dtype (bf16, fp8, fp4, ...)")
    ap.add_argument("--kv-dtype", default=None, help="KV cache dtype (default: --dtype)")
    ap.add_argument("--input", type=int, default=1024, help="input tokens per request")
    ap.add_argument("--output", type=int, default=256, help="output tokens per request")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args(argv)
    try:
        points = frontier(
            args.model, args.hardware, args.dtype, args.kv_dtype or args.dtype,
            args.input, args.output, tuple(args.n_gpus),
        )  # fmt: skip
    except (ValueError, LookupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([p.as_dict() for p in points], indent=1))
    else:
        print(_table(points))
    return 0

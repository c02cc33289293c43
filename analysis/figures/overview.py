"""The book's opening picture: compute against bandwidth for every accelerator in the catalog."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import hardware
from .registry import as_of, register
from .style import MARKERS, PALETTE

VENDOR_COLOR = {"NVIDIA": PALETTE[0], "AMD": PALETTE[1], "Google": PALETTE[2]}
RIDGE_LINES = (100, 300, 1000)  # FLOP/byte


def _half(acc: hardware.Accelerator) -> str:
    """The chip's 16-bit dtype: bf16, or fp16 where it publishes no bf16 rate (the Groq LPU)."""
    return "bf16" if "bf16" in acc.flops else "fp16"


def _sources() -> tuple[str, ...]:
    keys = set()
    for acc in hardware.all_accelerators():
        keys |= {acc.source("mem_bandwidth"), acc.source(f"flops:{_half(acc)}")}
    return tuple(sorted(keys))


@register(
    "accelerators-flops-vs-bandwidth",
    legible=True,
    title="Peak dense FLOP/s against memory bandwidth, every accelerator in the catalog",
    caption=(
        "Dense bf16 peak (filled; fp16 for the Groq LPU, which lists no bf16) and fp8 peak "
        "where the chip has it (hollow) against memory bandwidth (HBM; on-die SRAM for the "
        "Groq LPU), on log axes. Grey lines are constant FLOP per byte: a kernel whose "
        "arithmetic intensity (FLOP per byte moved) lies below a chip's ratio is limited by "
        "memory bandwidth, not arithmetic. Sources: vendor datasheets (see Data sources). "
        + as_of("hardware")
    ),
    sources=_sources(),
    chapter="intro",
)
def accelerators_flops_vs_bandwidth() -> plt.Figure:
    """Draw the figure ``accelerators-flops-vs-bandwidth``: Peak dense FLOP/s against memory
    bandwidth, every accelerator in the catalog."""
    fig, ax = plt.subplots()
    accs = hardware.all_accelerators()
    bw = np.array([a.mem_bandwidth for a in accs])
    lo, hi = bw.min() / 1.6, bw.max() * 1.6
    xs = np.geomspace(lo, hi, 50)
    for ratio in RIDGE_LINES:
        ax.plot(xs / 1e12, ratio * xs / 1e12, color="0.6", lw=0.8, zorder=1)
        ax.annotate(
            f"{ratio} FLOP/B",
            (xs[-1] / 1e12, ratio * xs[-1] / 1e12),
            fontsize=8,
            color="0.4",
            ha="right",
            va="bottom",
        )
    vendors: dict[str, object] = {}
    for i, acc in enumerate(accs):
        color = VENDOR_COLOR.get(acc.vendor, PALETTE[3])
        marker = MARKERS[i % len(MARKERS)]
        x = acc.mem_bandwidth / 1e12
        ax.scatter(
            x,
            acc.peak_flops(_half(acc)) / 1e12,
            color=color,
            marker=marker,
            s=45,
            zorder=3,
            label=acc.name,
        )
        if "fp8" in acc.flops:
            ax.scatter(
                x,
                acc.peak_flops("fp8") / 1e12,
                facecolor="none",
                edgecolor=color,
                marker=marker,
                s=45,
                zorder=3,
            )
        vendors.setdefault(acc.vendor, color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Memory bandwidth (TB/s, decimal)")
    ax.set_ylabel("Dense peak (TFLOP/s)")
    ax.set_title("Arithmetic outruns memory on every chip")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=1, borderaxespad=0.0)
    ax.set_ylim(100, 3e4)
    return fig

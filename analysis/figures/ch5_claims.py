"""Chapter 5 figure: every numeric claim of the source against its recomputation."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .. import claims
from .registry import register
from .style import MARKERS, PALETTE

VERDICT_STYLE = {  # colour, marker
    "holds": (PALETTE[2], MARKERS[0]),
    "holds to order of magnitude": (PALETTE[5], MARKERS[1]),
    "overstated": (PALETTE[1], MARKERS[2]),
    "understated": (PALETTE[3], MARKERS[4]),
    "depends on assumptions": (PALETTE[4], MARKERS[3]),
    "not checkable": ("0.45", MARKERS[6]),
}


def _plotted() -> list[tuple[claims.Claim, float, float]]:
    """(claim, recomputed, stated) for every claim with two positive numbers to compare."""
    return [
        (c, c.value, c.claimed)
        for c in claims.ledger()
        if c.value is not None and c.claimed is not None and c.value > 0 and c.claimed > 0
    ]


@register(
    "claims-claimed-vs-recomputed",
    title="The source's numbers against the book's recomputations",
    caption=(
        "Left: each point is one quantitative claim of the source text: the number the source "
        "states against the number this book recomputes, on log axes spanning "
        "the joules of a transistor switch to the bytes of a fleet's KV cache. On the diagonal the "
        "two agree; the shaded band is a factor of sqrt(10) either way, the ledger's 'order of "
        "magnitude'. Right: the ratio of stated to recomputed, claim by claim. Colour and marker give "
        "the verdict. A bound ('< 1000') is drawn at the bound; a bound that holds can lie far off 1."
    ),
    sources=("source-text",),
    chapter="chapters/05-claims",
)
def claimed_vs_recomputed() -> plt.Figure:
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.5, 6.0), width_ratios=[1.15, 1])
    points = _plotted()
    band = math.sqrt(10)
    lo = min(min(value, stated) for _, value, stated in points) / 10
    hi = max(max(value, stated) for _, value, stated in points) * 10
    xs = np.geomspace(lo, hi, 20)
    ax.fill_between(xs, xs / band, xs * band, color="0.9", zorder=0)
    ax.plot(xs, xs, color="0.5", lw=0.8, zorder=1)
    for c, value, stated in points:
        color, marker = VERDICT_STYLE[c.verdict]
        ax.scatter(value, stated, color=color, marker=marker, s=36, zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Recomputed by this book (each claim in its own unit)")
    ax.set_ylabel("Stated by the source (same unit)")
    ax.set_title("Stated against recomputed")

    # Right: the ratio, claim by claim, where the disagreements are visible.
    ordered_points = sorted(points, key=lambda p: p[0].id, reverse=True)
    ordered = [c for c, _, _ in ordered_points]
    ratios = [stated / value for _, value, stated in ordered_points]
    span = max(max(max(ratios), 1 / min(ratios)) * 2, 20)
    bx.axvspan(1 / band, band, color="0.9", zorder=0)
    bx.axvline(1, color="0.5", lw=0.8, zorder=1)
    for y, (c, r) in enumerate(zip(ordered, ratios, strict=True)):
        color, marker = VERDICT_STYLE[c.verdict]
        bx.scatter(r, y, color=color, marker=marker, s=36, zorder=3)
    bx.set_yticks(range(len(ordered)), [c.id for c in ordered], fontsize=8)
    bx.set_xscale("log")
    bx.set_xlim(1 / span, span)
    bx.set_xlabel("Stated ÷ recomputed")
    bx.set_title("How far each claim is off")
    bx.grid(axis="y", alpha=0.15)
    handles: list[Artist] = [
        Line2D([], [], color=col, marker=mk, ls="", label=v)
        for v, (col, mk) in VERDICT_STYLE.items()
    ]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="0.9", label="within a factor √10"))
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.06))
    return fig

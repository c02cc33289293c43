"""Chapter 7 (claims ledger) figure: every numeric claim of the source against its recomputation."""

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
    legible=True,
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
    chapter="chapters/07-claims",
)
def claimed_vs_recomputed() -> plt.Figure:
    """Draw figure ``claims-claimed-vs-recomputed``:

    The source's numbers against the book's recomputations.
    """
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
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8)
    return fig


TORNADO_CLAIMS = 10  # the claims whose value moves most over their assumption ranges


def _moved() -> list[claims.Claim]:
    """Claims with a stated number and a sensitivity, ordered by how far their value moves."""
    swept = [
        c
        for c in claims.ledger()
        if c.sensitivity and c.claimed is not None and c.value is not None and c.value > 0
    ]

    def spread(c: claims.Claim) -> float:
        vs = [v for x in c.sensitivity for v in x.values if v > 0]
        return max(vs) / min(vs)

    return sorted(swept, key=spread, reverse=True)[:TORNADO_CLAIMS]


@register(
    "claims-sensitivity",
    legible=True,
    title="How far each verdict moves across its assumptions",
    caption=(
        "For the claims whose recomputed value moves most, each bar spans the stated ÷ recomputed "
        "ratio as one assumption runs over its plausible range (hardware generation, precision, "
        "model, architecture, context, batch, price date, memory level), the others held at the "
        "ledger's base point; the marker is the base. An architecture bar puts today's designs "
        "(chapter 3) in place of the source's own per-instance figure, so it need not contain the "
        "marker. The shaded band is the claim's own tolerance and the lighter band a "
        "factor of √10 for claims stated as an order of magnitude. A bar that leaves the band on "
        "one side and not the other is a verdict that flips: 'depends on assumptions'."
    ),
    sources=("source-text",),
    chapter="chapters/07-claims",
)
def sensitivity_tornado() -> plt.Figure:
    """Draw figure ``claims-sensitivity``: How far each verdict moves across its assumptions."""
    moved = _moved()
    rows = [(c, x) for c in moved for x in c.sensitivity if len(x.values) >= 2]
    fig, ax = plt.subplots(figsize=(9.0, 0.34 * len(rows) + 1.6))
    band = math.sqrt(10)
    labels = []
    for y, (c, x) in enumerate(reversed(rows)):
        stated, base = float(c.claimed or 0), float(c.value or 0)  # both > 0: see _moved
        ratios = [stated / v for v in x.values if v > 0]
        color, marker = VERDICT_STYLE[c.verdict]
        tol = 1 + c.tolerance
        ax.barh(y, math.log10(tol) * 2, left=-math.log10(tol), height=0.8, color="0.88", zorder=0)
        if c.order_of_magnitude:
            ax.barh(
                y, math.log10(band) * 2, left=-math.log10(band), height=0.8, color="0.95", zorder=-1
            )
        lo, hi = math.log10(min(ratios)), math.log10(max(ratios))
        ax.plot([lo, hi], [y, y], color=color, lw=5, solid_capstyle="butt", zorder=2)
        ax.scatter(math.log10(stated / base), y, color="k", marker=marker, s=22, zorder=3)
        labels.append(f"{c.id} · {x.assumption}: {x.low} … {x.high}")
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.axvline(0, color="0.4", lw=0.8)
    span = max(abs(v) for v in ax.get_xlim())
    ax.set_xlim(-span, span)
    ticks = [t for t in range(-int(span), int(span) + 1)]
    ax.set_xticks(ticks, [f"{10.0**t:g}" for t in ticks])
    ax.set_xlabel("Stated ÷ recomputed (log scale; 1 = agreement)")
    ax.set_title("Sensitivity of the verdicts to their assumptions")
    from matplotlib.lines import Line2D

    used = dict.fromkeys(c.verdict for c in moved)
    handles = [Line2D([], [], color=VERDICT_STYLE[v][0], lw=5, label=v) for v in used]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.grid(axis="y", visible=False)
    return fig

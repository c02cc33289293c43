"""The book's figure style: Okabe-Ito colour-blind-safe palette, fixed fonts and sizes, no dates."""

from __future__ import annotations

import contextlib

import matplotlib as mpl
import matplotlib.collections
import matplotlib.text
import numpy as np
from cycler import cycler

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7",
    "#E69F00", "#56B4E9", "#F0E442", "#000000",
)  # fmt: skip
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

RC = {
    "figure.figsize": (7.0, 4.4),
    "figure.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "svg.hashsalt": "memory-not-arithmetic",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}


@contextlib.contextmanager
def context():
    """Context manager: matplotlib's settings (``RC``) for the book's figures inside the block."""
    with mpl.rc_context(RC):
        yield


# ---- legible at the displayed size (issue 18, item 8) ------------------------------------------
# The book's text column is about 7.5 in wide at 100 CSS px per inch (the PNG is exported at 2x
# and shown at half size); a figure wider than that is scaled down to fit, and so is its text.
DISPLAY_WIDTH_IN = 7.5
MIN_DISPLAYED_PT = 9.0
_INSIDE = (
    "upper right", "upper left", "lower left", "lower right", "center right", "center left",
    "lower center", "upper center",
)  # fmt: skip


def displayed_scale(width_in: float) -> float:
    """How much the page shrinks a figure ``width_in`` inches wide [dimensionless, <= 1]."""
    return min(1.0, DISPLAY_WIDTH_IN / width_in)


def _data_points(ax) -> np.ndarray:
    """Display coordinates of what an axes draws: line vertices (segments sampled) and markers."""
    pts = []
    for line in ax.get_lines():
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        xy = line.get_transform().transform(line.get_xydata())
        xy = xy[np.isfinite(xy).all(axis=1)]
        for a, b in zip(xy[:-1], xy[1:], strict=True):
            pts.append(a + np.linspace(0, 1, 24)[:, None] * (b - a))
        if len(xy):
            pts.append(xy)
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets())
        if (
            coll.get_visible()
            and offsets.size
            and not isinstance(coll, mpl.collections.PolyCollection)
        ):
            pts.append(coll.get_offset_transform().transform(offsets))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def legend_overlaps_data(ax, renderer) -> int:
    """How many drawn points [count] of ``ax`` lie under its legend (0: the legend is off the
    data), with boxes measured by ``renderer`` (the figure canvas's renderer)."""
    leg = ax.get_legend()
    if leg is None or not leg.get_visible():
        return 0
    box = leg.get_window_extent(renderer)
    pts = _data_points(ax)
    inside = (
        (pts[:, 0] >= box.x0)
        & (pts[:, 0] <= box.x1)
        & (pts[:, 1] >= box.y0)
        & (pts[:, 1] <= box.y1)
    )
    return int(inside.sum())


def legible(fig):
    """Make ``fig`` readable where the book shows it, without changing what it plots.

    Every text at least ``MIN_DISPLAYED_PT`` at the displayed size (the font floor grows with a
    figure wider than the column), the layout redone for the larger text (constrained layout),
    and every legend off the data: the first corner or edge of its axes that covers no drawn
    point, else below the axes (the figure grows by its height). Returns ``fig``.
    """
    floor = MIN_DISPLAYED_PT / displayed_scale(fig.get_figwidth())
    for text in fig.findobj(mpl.text.Text):
        if text.get_text() and text.get_fontsize() < floor:
            text.set_fontsize(floor)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or legend_overlaps_data(ax, renderer) == 0:
            continue
        for loc in _INSIDE:
            leg.set_loc(loc)
            fig.canvas.draw()
            if legend_overlaps_data(ax, renderer) == 0:
                break
        else:  # below the axes, as wide as they are, and the figure taller by as much
            leg.set_visible(False)  # where the axes' own labels end
            bottom = ax.get_tightbbox(renderer).y0
            leg.set_visible(True)
            box = ax.get_window_extent(renderer)
            leg.set_loc("upper center")
            leg.set_bbox_to_anchor((0.5, (bottom - box.y0) / box.height - 0.02), ax.transAxes)
            entries = len(leg.get_texts())
            ax_width = ax.get_window_extent(renderer).width
            for ncols in range(min(entries, 6), 0, -1):
                leg.set_ncols(ncols)
                if leg.get_window_extent(renderer).width <= 1.1 * ax_width:
                    break
            fig.set_figheight(
                fig.get_figheight() + leg.get_window_extent(renderer).height / fig.dpi
            )
    fig.set_layout_engine("constrained")  # room for the larger text and the legends below
    fig.canvas.draw()
    return fig

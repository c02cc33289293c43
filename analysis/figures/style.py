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
    _raise_fonts(fig, MIN_DISPLAYED_PT / displayed_scale(fig.get_figwidth()))
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
    # The page shows the exported width (tight bounding box), which the layout and the legends
    # set: raise the floor to it until the text no longer widens the figure.
    for _ in range(6):
        scale = displayed_scale(displayed_width_in(fig))
        # a shrunk figure gets 0.5% to spare: raising its text widens it, and shrinks it again
        floor = MIN_DISPLAYED_PT / scale * (1.005 if scale < 1 else 1.0)
        if not _raise_fonts(fig, floor):
            break
        fig.canvas.draw()
    return fig


def _raise_fonts(fig, floor: float) -> bool:
    """Every text of ``fig`` at least ``floor`` [pt], tick labels that matplotlib makes later
    included (``tick_params``); True if any text grew."""
    grew = False
    for text in fig.findobj(mpl.text.Text):
        if text.get_text() and text.get_fontsize() < floor - 1e-9:
            text.set_fontsize(floor)
            grew = True
    for ax in fig.axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            rc = mpl.rcParams["xtick.labelsize"] if name == "x" else mpl.rcParams["ytick.labelsize"]
            default = mpl.font_manager.FontProperties(size=rc).get_size_in_points()
            for which, ticks in (
                ("major", axis.get_major_ticks()),
                ("minor", axis.get_minor_ticks()),
            ):
                size = ticks[0].label1.get_fontsize() if ticks else default
                if size < floor - 1e-9:
                    ax.tick_params(axis=name, which=which, labelsize=floor)
                    grew = grew or bool(ticks)
    return grew


# ---- what the page shows: drawn texts, their boxes, their overlaps (issue 18, item 8) ---------
def displayed_width_in(fig) -> float:
    """Width of ``fig`` as exported [in]: ``savefig.bbox: tight`` crops (or grows) it to what is
    drawn, plus ``savefig.pad_inches`` on each side, as the PNG and SVG files are."""
    renderer = fig.canvas.get_renderer()
    if mpl.rcParams["savefig.bbox"] != "tight":
        return float(fig.get_figwidth())
    pad = mpl.rcParams["savefig.pad_inches"]
    return float(fig.get_tightbbox(renderer).width + 2 * pad)


def _tick_drawn(tick, axis) -> bool:
    lo, hi = sorted(axis.get_view_interval())
    loc = tick.get_loc()
    span = max(abs(hi - lo), 1e-300)
    return bool(np.isfinite(loc) and lo - 1e-9 * span <= loc <= hi + 1e-9 * span)


def drawn_texts(fig) -> list[mpl.text.Text]:
    """The texts of ``fig`` that a reader sees: visible, non-empty, inside the exported area;
    tick labels only for the ticks inside their axis' view (matplotlib keeps the others)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
                if not _tick_drawn(tick, axis):
                    hidden.update(id(t) for t in (tick.label1, tick.label2))
    area = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)

    def shown(t) -> bool:
        if not t.get_visible() or not t.get_text().strip() or id(t) in hidden:
            return False
        box = t.get_window_extent(renderer)
        return bool(box.width > 0 and box.overlaps(area))

    out = [t for t in fig.findobj(mpl.text.Text) if shown(t)]
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is not None and not leg.get_visible():
            gone = {id(t) for t in leg.get_texts()} | {id(leg.get_title())}
            out = [t for t in out if id(t) not in gone]
    for leg in fig.legends:
        if not leg.get_visible():
            gone = {id(t) for t in leg.get_texts()} | {id(leg.get_title())}
            out = [t for t in out if id(t) not in gone]
    return out


def text_corners(text, renderer) -> np.ndarray:
    """The four display-space corners [px] of ``text``'s rotated box (not its axis-aligned hull),
    as ``renderer`` (the figure canvas's) lays it out."""
    hull = text.get_window_extent(renderer)
    angle = np.deg2rad(text.get_rotation())
    rotation = text.get_rotation()
    text.set_rotation(0)
    flat = text.get_window_extent(renderer)
    text.set_rotation(rotation)
    w, h = flat.width / 2, flat.height / 2
    c, s = np.cos(angle), np.sin(angle)
    local = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
    centre = np.array([(hull.x0 + hull.x1) / 2, (hull.y0 + hull.y1) / 2])
    return centre + local @ np.array([[c, s], [-s, c]])


def _separated(a: np.ndarray, b: np.ndarray, margin: float) -> bool:
    # separating-axis test for two convex quadrilaterals, with a tolerance of ``margin`` px
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            normal = np.array([-edge[1], edge[0]])
            norm = np.hypot(*normal)
            if norm == 0:
                continue
            normal = normal / norm
            pa, pb = a @ normal, b @ normal
            if pa.max() - margin <= pb.min() or pb.max() - margin <= pa.min():
                return True
    return False


def text_overlaps(fig, margin_px: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of drawn texts of ``fig`` whose rotated boxes overlap by more than ``margin_px`` [px]."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    corners = [text_corners(t, renderer) for t in texts]
    return [
        (texts[i].get_text(), texts[j].get_text())
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if not _separated(corners[i], corners[j], margin_px)
    ]


def texts_over_data(fig) -> list[str]:
    """Drawn texts inside an axes of ``fig`` that cover a drawn data point of it (tick labels,
    titles and legends excluded: they sit outside the data or are placed off it by :func:`legible`)."""
    renderer = fig.canvas.get_renderer()
    out = []
    texts = {id(t) for t in drawn_texts(fig)}
    for ax in fig.axes:
        pts = _data_points(ax)
        if not len(pts):
            continue
        for t in ax.texts:
            if id(t) not in texts:
                continue
            box = t.get_window_extent(renderer)
            inside = (
                (pts[:, 0] >= box.x0)
                & (pts[:, 0] <= box.x1)
                & (pts[:, 1] >= box.y0)
                & (pts[:, 1] <= box.y1)
            )
            if inside.any():
                out.append(t.get_text())
    return out

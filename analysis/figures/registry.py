"""A registry of the book's figures and their deterministic export to SVG, PNG (2x) and PDF.

Each figure is a function returning a matplotlib Figure, registered with a stable id, a
caption, the BibTeX keys of its data sources and the chapter that shows it. Exports carry no
dates and a fixed SVG hash salt, so rerunning ``make figures`` rewrites identical bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..errors import UnknownNameError  # noqa: E402
from ..fileio import atomic_write_bytes  # noqa: E402
from ..sources import ROOT, check_source  # noqa: E402
from . import style  # noqa: E402

FIGURES_DIR = ROOT / "figures"
FORMATS = ("svg", "png", "pdf")
PNG_DPI = 200  # 2x the 100-dpi screen size of the figures


@dataclass(frozen=True)
class FigureSpec:
    id: str
    title: str
    caption: str
    sources: tuple[str, ...]  # BibTeX keys of the data shown
    chapter: str  # the chapter file that shows it, e.g. "chapters/01-asymmetry"
    func: Callable[[], plt.Figure]
    legible: bool = False  # style.legible after drawing: text >= 9 pt shown, legends off the data

    def files(self) -> dict[str, str]:
        return {fmt: f"{self.id}.{fmt}" for fmt in FORMATS}


REGISTRY: dict[str, FigureSpec] = {}


def register(
    id: str,
    *,
    title: str,
    caption: str,
    sources: tuple[str, ...],
    chapter: str,
    legible: bool = False,
):
    """Decorator: register a figure function under a stable ``id`` (lowercase, dashes).

    ``legible=True`` passes the drawn figure through ``style.legible`` (text at least 9 pt at
    the displayed size, constrained layout, legends moved off the data).
    """

    def wrap(func: Callable[[], plt.Figure]) -> Callable[[], plt.Figure]:
        if id in REGISTRY:
            raise ValueError(f"figure id {id!r} registered twice")
        REGISTRY[id] = FigureSpec(id, title, caption, tuple(sources), chapter, func, legible)
        return func

    return wrap


def spec(id: str) -> FigureSpec:
    _load_all()
    try:
        return REGISTRY[id]
    except KeyError:
        raise UnknownNameError("figure", id, sorted(REGISTRY)) from None


def make(id: str) -> plt.Figure:
    """Build the figure ``id`` with the book's style."""
    fig_spec = spec(id)
    with style.context():
        fig = fig_spec.func()
        return style.legible(fig) if fig_spec.legible else fig


def png_bytes(id: str) -> bytes:
    """The figure as PNG at the export resolution, exactly as ``make figures`` writes it."""
    import io

    fig = make(id)
    buf = io.BytesIO()
    with style.context():
        fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def show(id: str):
    """Display figure ``id`` in a chapter: the same PNG that ``make figures`` exports.

    Returns an IPython Image (the notebook's backend stays Agg, so nothing is drawn twice).
    """
    from IPython.display import Image

    return Image(data=png_bytes(id), format="png", retina=True)


def as_of(catalog: str) -> str:
    """A caption's "Data as of" sentence: the newest row of ``catalog`` (see site.pages.data_as_of).

    ``catalog`` is 'api-prices', 'gpu-rentals' or 'hardware'; an unknown one raises
    UnknownNameError naming the known ones.
    """
    from ..site.pages import data_as_of

    newest = data_as_of(catalog)
    return f"Data as of {newest.date} (newest row: {newest.row})."


def gallery_label(id: str) -> str:
    """The gallery's anchor of figure ``id`` (``chapters/gallery.html#fig-<id>``)."""
    return f"fig-{id}"


def chapter_label(id: str) -> str:
    """The label of figure ``id`` where a chapter shows it: ``{numref}`figure-<id>``` refers to it."""
    return f"figure-{id}"


def alt_text(id: str) -> str:
    """The figure's alt text: its registry caption on one line."""
    return " ".join(spec(id).caption.split())


def figure_md(id: str, *, glued: bool = True, figures_path: str = "../figures") -> str:
    """The MyST block that shows figure ``id`` as a numbered, captioned, linked figure.

    ``glued=True`` (a chapter notebook): a ``{glue:figure}`` of the image that
    :func:`glue_figure` glued under the figure's id, so the chapter shows what its own run
    drew. ``glued=False`` (a plain markdown page such as ``intro.md``): a ``{figure}`` of the
    exported SVG under ``figures_path``. Either way the caption and the alt text are the
    registry's, the label is :func:`chapter_label` (Sphinx numbers it "Figure <chapter>.<n>",
    the number the gallery prints) and the caption ends with a link to the gallery entry. A
    test checks that every chapter's block is exactly this text.
    """
    fig_spec = spec(id)
    head = f"{{glue:figure}} {id}" if glued else f"{{figure}} {figures_path}/{id}.svg"
    return "\n".join(
        [
            f"```{head}",
            f":name: {chapter_label(id)}",
            f":alt: {alt_text(id)}",
            "",
            f"**{fig_spec.title}.** "
            + " ".join(fig_spec.caption.split())
            + f" {{ref}}`Downloads and citation <{gallery_label(id)}>`.",
            "```",
        ]
    )


def glue_figure(id: str) -> None:
    """Glue figure ``id`` (the exported PNG's bytes) under its id for :func:`figure_md`'s block."""
    from myst_nb import glue

    glue(id, show(id), display=False)


def render(id: str) -> dict[str, bytes]:
    """The figure's bytes in every export format, deterministically."""
    import io

    fig = make(id)
    out = {}
    metadata = {
        "svg": {"Date": None, "Creator": None},
        "png": {"Software": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    }
    with style.context():
        for fmt in FORMATS:
            buf = io.BytesIO()
            fig.savefig(
                buf, format=fmt, dpi=PNG_DPI if fmt == "png" else None, metadata=metadata[fmt]
            )
            out[fmt] = buf.getvalue()
    plt.close(fig)
    return out


def index_entry(fig_spec: FigureSpec) -> dict:
    entry = asdict(fig_spec)
    entry.pop("func")
    entry.pop("legible")
    entry["sources"] = list(fig_spec.sources)
    entry["files"] = fig_spec.files()
    return entry


def render_index() -> bytes:
    _load_all()
    entries = [index_entry(REGISTRY[i]) for i in sorted(REGISTRY)]
    return (json.dumps(entries, indent=2, ensure_ascii=False) + "\n").encode()


def export_all(outdir: Path = FIGURES_DIR, ids: list[str] | None = None) -> list[Path]:
    """Write every registered figure (or ``ids``) and ``index.json`` into ``outdir``."""
    _load_all()
    ids = list(ids or sorted(REGISTRY))
    for id in ids:  # every id is checked before anything is written
        spec(id)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for id in ids:
        for source in spec(id).sources:
            check_source(source, f"figure {id}")
        for fmt, data in render(id).items():
            path = outdir / f"{id}.{fmt}"
            atomic_write_bytes(path, data)
            written.append(path)
    index = outdir / "index.json"
    atomic_write_bytes(index, render_index())
    written.append(index)
    return written


def _load_all() -> None:
    """Import every figure module so that its figures register themselves."""
    from . import chapters  # noqa: F401

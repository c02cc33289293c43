"""A registry of the book's figures and their deterministic export to SVG, PNG (2x) and PDF.

Each figure is a function returning a matplotlib Figure, registered with a stable id, a
caption, the BibTeX keys of its data sources and the chapter that shows it. Exports carry no
dates and a fixed SVG hash salt, so rerunning ``make figures`` rewrites identical bytes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..errors import DefinitionError, InvalidValueError, UnknownNameError  # noqa: E402
from ..fileio import atomic_write_bytes  # noqa: E402
from ..sources import DATA_DIR, ROOT, check_source  # noqa: E402
from . import style  # noqa: E402

FIGURES_DIR = ROOT / "figures"
MEASUREMENTS_DIR = DATA_DIR / "measurements"
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
        """Export format -> the file name it is written to (``<id>.svg``, ``.png``, ``.pdf``)."""
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

    ``title`` names the figure, ``caption`` is its registry caption (the alt text too),
    ``sources`` the BibTeX keys of the data it shows, ``chapter`` the chapter file that shows
    it (e.g. "chapters/01-asymmetry").

    ``legible=True`` passes the drawn figure through ``style.legible`` (text at least 9 pt at
    the displayed size, constrained layout, legends moved off the data).
    """

    def wrap(func: Callable[[], plt.Figure]) -> Callable[[], plt.Figure]:
        if id in REGISTRY:
            raise DefinitionError(f"figure id {id!r} registered twice")
        REGISTRY[id] = FigureSpec(id, title, caption, tuple(sources), chapter, func, legible)
        return func

    return wrap


def spec(id: str) -> FigureSpec:
    """The registry entry of figure ``id``; an unknown id raises UnknownNameError listing them."""
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
    """Figure ``id`` as PNG at the export resolution, exactly as ``make figures`` writes it."""
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
    """Figure ``id``'s alt text: its registry caption on one line."""
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


_opened: set[Path] | None = None  # measurement files opened while a figure is built
_hooked = False


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], str | bytes | os.PathLike):
        path = Path(os.fsdecode(args[0])).resolve()
        if path.parent == MEASUREMENTS_DIR.resolve() and path.suffix == ".json":
            _opened.add(path)


@contextmanager
def _tracing() -> Iterator[set[Path]]:
    """Record the stored measurement files opened inside the block (an audit hook on open).

    Which figure reads which measurement is never declared by hand: it is what building the
    figure opened. A failed open is still an open, so a figure that looks for a missing file
    lists it.
    """
    global _opened, _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # permanent, but inert while _opened is None
        _hooked = True
    opened: set[Path] = set()
    _opened = opened
    try:
        yield opened
    finally:
        _opened = None


def measurements_read_by(id: str) -> list[str]:
    """Names of the measurement files (in ``analysis/data/measurements/``) figure ``id`` reads."""
    with _tracing() as opened:
        fig = make(id)
    plt.close(fig)
    return sorted(p.name for p in opened)


def render_traced(id: str) -> tuple[dict[str, bytes], list[str]]:
    """Figure ``id``'s bytes in every export format (see :func:`render`) and the measurement
    files that building it read (see :func:`measurements_read_by`), from one build."""
    import io

    with _tracing() as opened:
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
    return out, sorted(p.name for p in opened)


def render(id: str) -> dict[str, bytes]:
    """Figure ``id``'s bytes in every export format (format -> bytes), deterministically."""
    return render_traced(id)[0]


def index_entry(fig_spec: FigureSpec, measurements: Sequence[str] = ()) -> dict:
    """The entry of ``fig_spec`` (a registered figure) in ``figures/index.json``;
    ``measurements``: the files it reads."""
    entry = asdict(fig_spec)
    entry.pop("func")
    entry.pop("legible")
    entry["sources"] = list(fig_spec.sources)
    entry["files"] = fig_spec.files()
    entry["measurements"] = list(measurements)
    return entry


def render_index(measurements: Mapping[str, Sequence[str]]) -> bytes:
    """``figures/index.json``: every registered figure, with the measurement files it reads.

    ``measurements`` maps a figure id to the files that building it read (from
    :func:`render_traced`); every registered id must be in it.
    """
    _load_all()
    missing = sorted(set(REGISTRY) - set(measurements))
    if missing:
        raise InvalidValueError(
            "measurements", f"missing figures {missing}", "one list of files per registered figure"
        )
    entries = [index_entry(REGISTRY[i], measurements[i]) for i in sorted(REGISTRY)]
    return (json.dumps(entries, indent=2, ensure_ascii=False) + "\n").encode()


def committed_measurements(index: Path = FIGURES_DIR / "index.json") -> dict[str, list[str]]:
    """Figure id -> measurement files, as recorded in a written ``index.json`` (``{}`` if none).

    The record is checked figure by figure by the test that rebuilds each committed figure, so
    pages that list it (the provenance page) need not build every figure again.
    """
    if not index.is_file():
        return {}
    return {e["id"]: list(e.get("measurements", [])) for e in json.loads(index.read_text())}


def measurements_by_figure(
    index: Path = FIGURES_DIR / "index.json", traced: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """Figure id -> the measurement files it reads, for every registered figure.

    ``traced`` (files just recorded while drawing) first, else what ``index`` records, else the
    figure is built now and traced: a figure is built only when nothing has recorded it.
    """
    _load_all()
    traced = traced or {}
    recorded = committed_measurements(index)
    out = {}
    for id in sorted(REGISTRY):
        if id in traced:
            out[id] = list(traced[id])
        elif id in recorded:
            out[id] = recorded[id]
        else:
            out[id] = measurements_read_by(id)
    return out


def export_all(outdir: Path = FIGURES_DIR, ids: list[str] | None = None) -> list[Path]:
    """Write every registered figure (or ``ids``) and ``index.json`` into ``outdir``."""
    _load_all()
    ids = list(ids or sorted(REGISTRY))
    for id in ids:  # every id is checked before anything is written
        spec(id)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    read: dict[str, list[str]] = {}
    for id in ids:
        for source in spec(id).sources:
            check_source(source, f"figure {id}")
        rendered, read[id] = render_traced(id)
        for fmt, data in rendered.items():
            path = outdir / f"{id}.{fmt}"
            atomic_write_bytes(path, data)
            written.append(path)
    index = outdir / "index.json"
    # figures not drawn this time (--only) keep what the index last recorded, else are traced
    atomic_write_bytes(index, render_index(measurements_by_figure(index, read)))
    written.append(index)
    return written


def _load_all() -> None:
    """Import every figure module so that its figures register themselves."""
    from . import chapters  # noqa: F401

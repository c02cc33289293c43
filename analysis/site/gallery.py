"""Generates chapters/gallery.md: every registered figure, downloadable and citable.

For each figure in the registry: its title, the figure itself, its id and caption, the
chapter that shows it, its sources as citations, download links for the SVG, the 2x PNG and
the PDF that ``make figures`` exports, and a "cite this figure" block (text and BibTeX) under
the stable anchor ``gallery.html#fig-<id>``. ``python -m analysis.site.gallery`` rewrites the page
(``make figures`` runs it); a test fails when the committed page is stale.
"""

from __future__ import annotations

import re

from ..errors import require_text
from ..figures import registry
from ..sources import ROOT
from . import citation, pages

PAGE = ROOT / "chapters" / "gallery.md"
PAGE_PATH = "chapters/gallery.html"  # where the page lands in the built site


def label(fig_id: str) -> str:
    """The figure's stable MyST label and HTML anchor."""
    require_text("fig_id", fig_id)
    return f"fig-{fig_id}"


def _chapter_order(chapter: str) -> tuple[int, str]:
    return (0, "") if chapter == "intro" else (1, chapter)


def ordered_specs() -> list[registry.FigureSpec]:
    """Every registered figure, by chapter (the introduction first), then in registration order."""
    registry._load_all()
    specs = list(registry.REGISTRY.values())
    return sorted(specs, key=lambda s: _chapter_order(s.chapter))  # sorted() is stable


def _fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def figure_section(spec: registry.FigureSpec, meta: citation.BookMeta) -> str:
    anchor = label(spec.id)
    text, bib = citation.cite_figure(meta, spec.id, spec.title, f"{PAGE_PATH}#{anchor}")
    files = spec.files()
    sources = "{cite:p}`" + ",".join(spec.sources) + "`"
    fence = _fence(spec.caption)
    lines = [
        f"({anchor})=",
        f"## {spec.title}",
        "",
        f"{fence}{{figure}} ../figures/{files['svg']}",
        f":alt: {spec.title}",
        ":width: 100%",
        "",
        spec.caption,
        fence,
        "",
        f"Figure id\n: `{spec.id}`, shown in {{doc}}`/{spec.chapter}`",
        "",
        f"Sources\n: {sources}",
        "",
        "Download\n: "
        + f"{{download}}`SVG <../figures/{files['svg']}>` · "
        + f"{{download}}`PNG, 2× (200 dpi) <../figures/{files['png']}>` · "
        + f"{{download}}`PDF <../figures/{files['pdf']}>`",
        "",
        "Cite this figure\n: " + text,
        "",
        "```bibtex",
        bib,
        "```",
        "",
    ]
    return "\n".join(lines)


def render() -> str:
    meta = citation.book_meta()
    specs = ordered_specs()
    head = [
        "# Figure gallery\n",
        f"Every figure of the book, {len(specs)} in all, with its caption, its sources and its "
        "files. The figures are drawn by functions in `analysis/figures/`; `make figures` "
        "exports each as SVG, PNG at twice screen resolution (200 dpi) and PDF, byte for byte "
        "reproducibly, and writes their captions and sources to "
        "{download}`figures/index.json <../figures/index.json>`. This page is generated from the "
        "same registry by `python -m analysis.site.gallery`; a test fails if it is stale. Each "
        "figure keeps its anchor, `gallery.html#fig-<id>`, for as long as its id exists. "
        "The figures are licensed CC BY 4.0: cite them as shown under each one, and see "
        "{doc}`provenance` for the measurement files they are drawn from.\n",
    ]
    return "\n".join(head) + "\n" + "\n".join(figure_section(s, meta) for s in specs)


def main() -> int:
    return pages.write(PAGE, render())


if __name__ == "__main__":
    raise SystemExit(main())

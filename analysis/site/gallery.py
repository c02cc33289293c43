"""Generates chapters/gallery.md: every registered figure, downloadable and citable.

For each figure in the registry: its title, the figure itself, its id and caption, the
chapter that shows it, its sources as citations, download links for the SVG, the 2x PNG and
the PDF that ``make figures`` exports, and a "cite this figure" block (text and BibTeX) under
the stable anchor ``gallery.html#fig-<id>``. ``python -m analysis.site.gallery`` rewrites the page
(``make figures`` runs it); a test fails when the committed page is stale.
"""

from __future__ import annotations

import json
import re

import yaml

from ..errors import require_text
from ..figures import registry
from ..sources import ROOT
from . import citation, pages

PAGE = ROOT / "chapters" / "gallery.md"
PAGE_PATH = "chapters/gallery.html"  # where the page lands in the built site


def label(fig_id: str) -> str:
    """The stable MyST label and HTML anchor of figure ``fig_id``."""
    require_text("fig_id", fig_id)
    return registry.gallery_label(fig_id)


# a chapter shows a figure with registry.figure_md: "```{glue:figure} <id>" or
# "```{figure} <path>/<id>.svg", then ":name: figure-<id>"
_SHOWN = re.compile(r"^`{3,}\{(?:glue:)?figure\}[^\n]*\n:name: figure-([a-z0-9-]+)$", re.MULTILINE)


def _markdown_of(doc: str) -> str:
    """The markdown a document's figures come from, in reading order."""
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{doc}{suffix}"
        if path.is_file():
            break
    else:
        return ""
    text = path.read_text(encoding="utf-8")
    if suffix == ".md":
        return text
    cells = json.loads(text)["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def figure_numbers() -> dict[str, str]:
    """Figure id -> the number Sphinx gives it where a page shows it ('3.1'; '1' on the landing).

    Sphinx's numfig numbers figures per chapter in the toc's numbered part (chapter number,
    then the figure's position in the chapter) and per page elsewhere; this follows the same
    rule from ``_toc.yml`` and the pages' sources, so the gallery prints the number a reader
    sees in the chapter (a site test compares the two in the built HTML).
    """
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs: list[tuple[str, int | None]] = [(toc["root"], None)]
    chapter = 0
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            if part.get("numbered"):
                chapter += 1
            docs.append(
                (
                    re.sub(r"\.(md|ipynb)$", "", entry["file"]),
                    chapter if part.get("numbered") else None,
                )
            )
    numbers: dict[str, str] = {}
    for doc, number in docs:
        for k, fig_id in enumerate(_SHOWN.findall(_markdown_of(doc)), start=1):
            numbers.setdefault(fig_id, f"{number}.{k}" if number else str(k))
    return numbers


def _chapter_order(chapter: str) -> tuple[int, str]:
    return (0, "") if chapter == "intro" else (1, chapter)


def ordered_specs() -> list[registry.FigureSpec]:
    """Every registered figure, by chapter (the introduction first), then by its number there.

    A figure no page shows yet follows its chapter's numbered ones, in registration order.
    """
    registry._load_all()
    numbers = figure_numbers()

    def key(s: registry.FigureSpec) -> tuple:
        n = numbers.get(s.id)
        return (_chapter_order(s.chapter), tuple(int(x) for x in n.split(".")) if n else (10**6,))

    return sorted(registry.REGISTRY.values(), key=key)  # sorted() is stable


def _fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def figure_section(
    spec: registry.FigureSpec, meta: citation.BookMeta, number: str | None = None
) -> str:
    """The gallery entry of figure ``spec`` (MyST): the figure, its id, sources, downloads and
    how to cite it from the book ``meta`` describes; ``number`` is the number the chapter gives
    it ('3.1'), or None where no chapter numbers it."""
    anchor = label(spec.id)
    text, bib = citation.cite_figure(meta, spec.id, spec.title, f"{PAGE_PATH}#{anchor}")
    files = spec.files()
    sources = "{cite:p}`" + ",".join(spec.sources) + "`"
    fence = _fence(spec.caption)
    lines = [
        f"({anchor})=",
        f"## Figure {number}. {spec.title}" if number else f"## {spec.title}",
        "",
        f"{fence}{{figure}} ../figures/{files['svg']}",
        f":alt: {spec.title}",
        ":width: 100%",
        "",
        spec.caption,
        fence,
        "",
        f"Figure id\n: `{spec.id}`, shown in {{doc}}`/{spec.chapter}`"
        + (f" as {{numref}}`Figure %s <{registry.chapter_label(spec.id)}>`" if number else ""),
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
    """The whole page chapters/gallery.md, as MyST text."""
    meta = citation.book_meta()
    numbers = figure_numbers()
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
    return (
        "\n".join(head)
        + "\n"
        + "\n".join(figure_section(s, meta, numbers.get(s.id)) for s in specs)
    )


def main() -> int:
    """Rewrite chapters/gallery.md from :func:`render`; returns 0 [unitless], the CLI's exit
    code."""
    return pages.write(PAGE, render())


if __name__ == "__main__":
    raise SystemExit(main())

"""Ends every page of the HTML book with "How to cite this page": plain text and BibTeX.

The citation is built by ``analysis.site.citation`` from CITATION.cff (title, authors, version,
year) and the page's own title and path, so no chapter carries its own citation and none can
go stale. The block goes into the HTML body only (``html-page-context``): the search index and
the LaTeX/PDF output do not repeat it on every page. Once ``html.baseurl`` is set in
``_config.yml`` the citation gives the page's absolute URL; until then its path in the book.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from sphinx.application import Sphinx


def _add_block(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is None or "body" not in context or pagename in app.config.cite_page_exclude:
        return
    from analysis.site import citation

    meta = citation.book_meta(Path(app.srcdir) / "CITATION.cff", Path(app.srcdir) / "_config.yml")
    path = app.builder.get_target_uri(pagename)
    if pagename == app.config.root_doc:
        heading = "How to cite this book"
        text, bibtex = citation.cite_book(meta, path)
    else:
        heading = "How to cite this page"
        title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title") or pagename))
        text, bibtex = citation.cite_page(meta, title, path)
    code = app.builder.highlighter.highlight_block(bibtex, "bibtex")
    context["body"] += (
        '\n<section class="cite-this-page" id="how-to-cite-this-page">\n'
        f'<p class="rubric">{heading}</p>\n'
        f'<p class="cite-this-page-text">{html.escape(text)}</p>\n'
        f"{code}\n</section>\n"
    )


def setup(app: Sphinx) -> dict:
    app.add_config_value("cite_page_exclude", [], "html")
    app.connect("html-page-context", _add_block)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

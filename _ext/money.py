"""Dollar amounts read as money on every page, however the Markdown that carries them was written.

MyST's ``dollarmath`` pairs any two ``$`` signs of a paragraph, so prose such as "$1.25 for the
input tokens and $0.03 for the output" becomes one inline formula, ``1.25 for the input tokens and
``, set in italics and run together by MathJax. The rule that the parser cannot apply, because it
reads the source before it knows what is a price, is applied here to the parsed document: an
inline math node whose TeX

* starts with an amount (``1.25``, ``2,000``, ``0.5``), not followed by a letter or a TeX
  operator (``2N``, ``2^{10}``, ``2 \\times`` stay maths), and
* holds no TeX commands (no backslash, ``^``, ``_`` or braces), and
* ends in white space (the closing ``$`` opened the next price) or reads as prose (two words),

is a misparsed price: it is put back as the text it was written as, ``$`` + TeX + ``$``. The
characters after the closing ``$`` (the next amount) are already text, so the sentence comes out
exactly as written.

The bibliography (``sphinxcontrib-bibtex`` via pybtex) keeps BibTeX's escapes ``\\$ \\% \\& \\#
\\_`` as literal backslashes in its text: they are removed from its text nodes.

``price_like_math`` is the test; ``tests/test_site.py`` checks it on examples and the browser test
checks that no typeset formula on any page is a price.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

AMOUNT = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?|^\d+(?:\.\d+)?")
TEX = re.compile(r"[\\^_{}]")
WORDS = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")
BIBTEX_ESCAPE = re.compile(r"\\([$%&#_])")
CODE = (nodes.literal, nodes.literal_block, nodes.raw, nodes.math, nodes.math_block)


def price_like_math(tex: str) -> bool:
    """True when inline maths ``tex`` (between two ``$``) is really prose that began with a price."""
    match = AMOUNT.match(tex)
    if not match or TEX.search(tex):
        return False
    rest = tex[match.end() :]
    if rest[:1].isalpha() and not re.match(r"[KMBT](?![A-Za-z0-9])", rest):  # 2N, 3x: maths
        return False
    return tex != tex.rstrip() or bool(WORDS.search(rest))


def restore_prices(doctree: nodes.Node) -> int:
    """Replace price-like inline math nodes by the text they were written as; returns how many."""
    fixed = 0
    for node in list(doctree.findall(nodes.math)):
        tex = node.astext()
        if price_like_math(tex):
            node.parent.replace(node, nodes.Text(f"${tex}$"))
            fixed += 1
    return fixed


def _in_code(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, CODE):
            return True
        parent = parent.parent
    return False


def unescape_bibtex(doctree: nodes.Node) -> int:
    """Drop BibTeX's backslash escapes (``\\$`` and the like) from prose text nodes."""
    fixed = 0
    for text in list(doctree.findall(nodes.Text)):
        if "\\" in text and BIBTEX_ESCAPE.search(text) and not _in_code(text):
            text.parent.replace(text, nodes.Text(BIBTEX_ESCAPE.sub(r"\1", str(text))))
            fixed += 1
    for ref in doctree.findall(nodes.reference):  # a citation's hover text: the entry itself
        title = ref.get("reftitle")
        if title and BIBTEX_ESCAPE.search(title):
            ref["reftitle"] = BIBTEX_ESCAPE.sub(r"\1", title)
            fixed += 1
    return fixed


def _on_read(app: Sphinx, doctree: nodes.document) -> None:
    restore_prices(doctree)


def _on_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    # glue and the bibliography are filled in by post-transforms, after doctree-read
    restore_prices(doctree)
    unescape_bibtex(doctree)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _on_read)
    app.connect("doctree-resolved", _on_resolved)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

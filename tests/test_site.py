"""Checks of the built HTML that need no browser: offline assets, citations, generated pages.

They read ``_build/html`` (``make book``), so they carry the ``browser`` marker and run with
the browser test, after the site build (``make browser``); ``BOOK_HTML`` points them at
another built site.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.figures import registry
from analysis.site import gallery
from analysis.site.pages import toc_documents

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
RESOURCE_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "icon",
}

pytestmark = pytest.mark.browser


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(path: Path) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


@pytest.fixture(scope="module")
def pages() -> list[Path]:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make book` first (make test does)")
    return sorted(
        p
        for p in SITE.rglob("*.html")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(SITE).parts)
    )


def test_every_page_of_the_toc_was_built(pages):
    built = {p.relative_to(SITE).with_suffix("").as_posix() for p in pages}
    assert set(toc_documents()) <= built, set(toc_documents()) - built


def test_no_page_loads_anything_from_the_network(pages):
    offenders = []
    for page in pages:
        for tag, attrs in tags(page):
            rel = set(attrs.get("rel", "").lower().split())
            urls = (
                [attrs.get("src", "")]
                if tag in {"script", "img", "iframe", "source", "audio", "video", "embed"}
                else []
            )
            if tag == "link" and rel & RESOURCE_RELS:
                urls.append(attrs.get("href", ""))
            if tag == "object":
                urls.append(attrs.get("data", ""))
            offenders += [
                f"{page.relative_to(SITE)}: <{tag}> {u}" for u in urls if EXTERNAL.match(u)
            ]
    assert not offenders, "\n".join(offenders)


def test_no_stylesheet_imports_from_the_network():
    offenders = []
    for css in sorted((SITE / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(
            r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")\s]+)", text
        ):
            offenders.append(f"{css.relative_to(SITE)}: {match.group(1)}")
    assert not offenders, "\n".join(offenders)


def test_no_inline_cdn_loader_for_thebe(pages):
    # sphinx-thebe declares THEBE_JS_URL (a CDN) twice: a script error; _ext/offline_site drops it
    assert not [p for p in pages if "THEBE_JS_URL" in p.read_text(encoding="utf-8")]


def test_math_pages_use_the_bundled_mathjax(pages):
    with_math = [p for p in pages if 'class="math' in p.read_text(encoding="utf-8")]
    for page in with_math:
        srcs = [
            a.get("src", "")
            for t, a in tags(page)
            if t == "script" and "mathjax" in a.get("src", "")
        ]
        assert len(srcs) == 1, (page, srcs)
        local = (page.parent / srcs[0].split("?")[0]).resolve()
        assert local.is_relative_to(SITE / "_static" / "mathjax") and local.is_file(), (page, srcs)
    assert (SITE / "_static" / "mathjax" / "input" / "tex" / "extensions").is_dir()


def test_every_page_says_how_to_cite_it():
    for name in toc_documents():
        html = (SITE / f"{name}.html").read_text(encoding="utf-8")
        assert 'class="cite-this-page"' in html, name
        assert ("@book{" if name == toc_documents()[0] else "@incollection{") in re.sub(
            r"<[^>]+>", "", html
        ), name


def test_gallery_anchors_and_downloads():
    registry._load_all()
    page = SITE / "chapters" / "gallery.html"
    ids = {a.get("id") for _, a in tags(page)}
    missing = [i for i in registry.REGISTRY if gallery.label(i) not in ids]
    assert not missing, f"gallery has no anchor for {missing}"
    downloads = [
        a["href"] for t, a in tags(page) if t == "a" and "_downloads/" in a.get("href", "")
    ]
    assert len(downloads) >= 3 * len(registry.REGISTRY) + 1  # svg, png, pdf each, and index.json
    for href in downloads:
        assert (page.parent / href).resolve().is_file(), href


def test_provenance_page_has_execution_table_and_versions():
    text = re.sub(
        r"<[^>]+>", " ", (SITE / "chapters" / "provenance.html").read_text(encoding="utf-8")
    )
    assert "Installed in this build" in text and "differs" not in text
    assert "Run Time (s)" in text, "the execution table is missing"
    if (SITE / ".stored-outputs").exists():
        pytest.skip(
            "site built from the stored outputs (make test, after nbval): the execution table is "
            "filled in only by a build that executes the chapters (make book)"
        )
    notebooks = [f for f in toc_documents() if (ROOT / f"{f}.ipynb").is_file()]
    for name in notebooks:
        assert name in text, f"{name} missing from the execution table"


def test_notebook_chapters_offer_their_ipynb():
    for name in [f for f in toc_documents() if (ROOT / f"{f}.ipynb").is_file()]:
        page = SITE / f"{name}.html"
        hrefs = [a.get("href", "") for t, a in tags(page) if t == "a"]
        ipynb = [h for h in hrefs if h.endswith(".ipynb")]
        assert ipynb, f"{name}: no .ipynb download link"
        assert all((page.parent / h).resolve().is_file() for h in ipynb), ipynb


def test_one_citation_style_in_text_and_bibliography():
    """Author-year labels with a/b, the same in the text and in the list; no numbered labels."""
    bib = (SITE / "chapters" / "bibliography.html").read_text(encoding="utf-8")
    labels = set(
        re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span', bib)
    )
    assert labels, "the bibliography lists no labelled entries"
    assert not [lab for lab in labels if re.fullmatch(r"\d+", lab)], "numbered labels"
    assert all(re.search(r"(\d{4}[a-z]?|n\.d\.)$", lab) for lab in labels), sorted(labels)[:5]
    years = [re.search(r"(\d{4})([a-z]?)$", lab) for lab in labels]
    lettered = {lab[:-1] for lab, m in zip(labels, years, strict=True) if m and m.group(2)}
    for stem in lettered:  # a/b only where two entries share author and year
        assert f"{stem}a" in labels and f"{stem}b" in labels, stem
    cited = []
    for name in toc_documents():
        html = (SITE / f"{name}.html").read_text(encoding="utf-8")
        for span in re.findall(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', html):
            cited += re.findall(r">([^<>]+)</a>", span)
    assert cited, "no citation in the text"
    assert set(cited) <= labels, sorted(set(cited) - labels)[:5]


def test_every_claim_has_its_anchor_in_the_ledger():
    from analysis import claims

    page = SITE / "chapters" / "07-claims.html"
    ids = {a.get("id") for _, a in tags(page)}
    hrefs = {a.get("href", "") for t, a in tags(page) if t == "a"}
    for c in claims.ledger():
        assert claims.anchor(c.id) in ids, f"07-claims.html has no element with id {c.id.lower()}"
        assert f"#{claims.anchor(c.id)}" in hrefs, f"the ledger table does not link {c.id}"


def _plain(text: str) -> str:
    """HTML text without entities and Sphinx's smart quotes, for comparing with the registry."""
    import html

    text = html.unescape(text)
    return text.translate({0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"'})


def _text(path: Path) -> str:
    raw = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
    return _plain(raw)


def test_chapter_figures_are_numbered_as_the_gallery_says():
    """Sphinx's number in the chapter's caption is the one the gallery prints (issue 18, item 2)."""
    numbers = gallery.figure_numbers()
    assert numbers, "no page shows a figure through registry.figure_md"
    gallery_text = _text(SITE / "chapters" / "gallery.html")
    for fig_id, number in numbers.items():
        spec = registry.spec(fig_id)
        page = SITE / f"{spec.chapter}.html"
        ids = {a.get("id") for _, a in tags(page)}
        assert registry.chapter_label(fig_id) in ids, (spec.chapter, fig_id)
        assert f"Figure {number} " in _text(page), (
            f"{spec.chapter}: no 'Figure {number}' ({fig_id})"
        )
        assert f"Figure {number}. {spec.title}" in gallery_text, fig_id
        alts = [_plain(a.get("alt", "")) for t, a in tags(page) if t == "img"]
        assert registry.alt_text(fig_id) in alts, f"{fig_id}: alt text is not its caption"

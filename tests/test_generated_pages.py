"""The generated pages of the website: the figure gallery and the provenance page, and citations.

Both pages are written by ``make figures`` from the package; like the Data-sources appendix,
a committed page that differs from what the package renders now is stale.
"""

from __future__ import annotations

import re

import yaml

from analysis.figures import registry
from analysis.site import citation, gallery, provenance
from analysis.sources import BIB_PATH, ROOT


def test_gallery_is_fresh():
    assert gallery.PAGE.read_text(encoding="utf-8") == gallery.render(), (
        "chapters/gallery.md is stale: run `make figures`"
    )


def test_provenance_page_is_fresh():
    assert provenance.PAGE.read_text(encoding="utf-8") == provenance.render(), (
        "chapters/provenance.md is stale: run `make figures`"
    )


def test_gallery_covers_every_registered_figure_with_files_and_citation():
    registry._load_all()
    page = gallery.render()
    for fig_id, spec in registry.REGISTRY.items():
        assert f"({gallery.label(fig_id)})=" in page, fig_id
        for fmt in registry.FORMATS:
            assert f"../figures/{fig_id}.{fmt}>`" in page, (fig_id, fmt)
        assert f"@misc{{memory-not-arithmetic-fig-{fig_id}," in page
        assert "{cite:p}`" + ",".join(spec.sources) + "`" in page


def test_gallery_labels_are_not_defined_elsewhere():
    # the gallery owns the labels fig-<id>; a chapter naming its own figure so breaks the build
    registry._load_all()
    labels = {gallery.label(i) for i in registry.REGISTRY}
    sources = [
        ROOT / "intro.md",
        *sorted((ROOT / "chapters").glob("*.md")),
        *sorted((ROOT / "chapters").glob("*.ipynb")),
    ]
    pattern = re.compile(r"(?::name:\s*|\()(fig-[a-z0-9-]+)(?:\)=)?")
    for path in sources:
        if path == gallery.PAGE:
            continue
        clash = set(pattern.findall(path.read_text(encoding="utf-8"))) & labels
        assert not clash, f"{path.relative_to(ROOT)} defines {sorted(clash)}, the gallery's anchors"


def test_provenance_lists_every_measurement_file():
    page = provenance.render()
    assert "{nb-exec-table}" in page and "{package-versions}" in page
    for path in provenance.measurement_files():
        assert f"### `{path.name}`" in page


def test_measurement_tracing_finds_files_a_figure_reads(monkeypatch):
    import contextlib
    import json

    import matplotlib.pyplot as plt

    fake = provenance.MEASUREMENTS_DIR / "no-such-suite-numpy-test.json"

    def figure():
        with contextlib.suppress(FileNotFoundError):
            json.loads(fake.read_text())
        return plt.figure()

    monkeypatch.setitem(
        registry.REGISTRY,
        "tracing-test",
        registry.FigureSpec("tracing-test", "t", "c", ("this-book",), "intro", figure),
    )
    # a failed open is still an open: the audit hook sees the attempt
    assert provenance.files_read_by("tracing-test") == [fake.name]


def _bib_field(entry: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\s*=\s*\{{(.*)\}},?\s*$", entry, re.MULTILINE)
    assert match, name
    return match.group(1).replace("{", "").replace("}", "")


def test_book_bibtex_entry_matches_citation_cff():
    meta = citation.book_meta()
    text = BIB_PATH.read_text(encoding="utf-8")
    entry = text[text.index("@misc{this-book,") :]
    entry = entry[: entry.index("\n}") + 2]
    assert _bib_field(entry, "title") == meta.title
    assert _bib_field(entry, "author") == " and ".join(meta.authors)
    assert _bib_field(entry, "year") == meta.year
    assert f"Version {meta.version}." in _bib_field(entry, "note")


def test_citation_cff_is_complete():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in (
        "cff-version",
        "message",
        "title",
        "authors",
        "version",
        "date-released",
        "license",
    ):
        assert cff.get(key), key
    assert cff["preferred-citation"]["title"] == cff["title"]
    assert str(cff["preferred-citation"]["version"]) == str(cff["version"])


def test_citations_are_balanced_bibtex():
    meta = citation.book_meta()
    for text, entry in (
        citation.cite_book(meta, "intro.html"),
        citation.cite_page(meta, "1 · Asymmetry & 50% of $x_1$", "chapters/01-asymmetry.html"),
        citation.cite_figure(meta, "ch1-x", "A title", "chapters/gallery.html#fig-ch1-x"),
    ):
        assert meta.title in text
        assert entry.count("{") == entry.count("}")
        assert re.match(r"@\w+\{[a-z0-9-]+,\n", entry)
        assert "\\&" in entry or "&" not in entry
    _, page = citation.cite_page(meta, "50% & more", "chapters/x.html")
    assert "50\\% \\& more" in page

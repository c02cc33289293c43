"""The generated pages of the website and the code behind them, without building the site.

The gallery, provenance, notation, calculator and rerun pages (and the calculator's exported
laws and catalogs) are written by ``make figures`` from the package; like the Data-sources
appendix, a committed file that differs from what the package renders now is stale. Also here:
citations with and without a base URL, "data as of", and the local Sphinx extensions' rules for
dollar amounts and citation labels.
"""

from __future__ import annotations

import re
import sys

import pytest
import sympy as sp
import yaml

from analysis.errors import UnknownNameError
from analysis.figures import registry
from analysis.site import appendix, calculator, citation, gallery, notation, provenance, rerun
from analysis.site.pages import CATALOGS, data_as_of
from analysis.sources import BIB_PATH, DATA_DIR, ROOT

sys.path.insert(0, str(ROOT / "_ext"))  # the book's local Sphinx extensions
import citation_style  # noqa: E402
import money  # noqa: E402


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


# ---- citations with a base URL ------------------------------------------------------------------
def _meta_with_baseurl(tmp_path, baseurl: str) -> citation.BookMeta:
    config = tmp_path / "_config.yml"
    config.write_text(yaml.safe_dump({"html": {"baseurl": baseurl}}), encoding="utf-8")
    return citation.book_meta(ROOT / "CITATION.cff", config)


def test_citations_use_the_base_url_when_one_is_set(tmp_path):
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    if (cff.get("preferred-citation") or {}).get("url") or cff.get("url"):
        pytest.skip("CITATION.cff sets its own url, which takes precedence over html.baseurl")
    meta = _meta_with_baseurl(tmp_path, "https://example.org/book/")
    assert meta.url == "https://example.org/book"
    text, entry = citation.cite_figure(meta, "x", "T", "chapters/gallery.html#fig-x")
    assert "https://example.org/book/chapters/gallery.html#fig-x" in text
    assert "url          = {https://example.org/book/chapters/gallery.html#fig-x}" in entry
    text, _ = citation.cite_page(meta, "P", "chapters/02-vram.html")
    assert text.endswith("https://example.org/book/chapters/02-vram.html")
    registry._load_all()
    spec = next(iter(registry.REGISTRY.values()))
    section = gallery.figure_section(spec, meta)
    assert f"https://example.org/book/chapters/gallery.html#fig-{spec.id}" in section


def test_citations_fall_back_to_relative_paths_without_a_base_url(tmp_path):
    meta = _meta_with_baseurl(tmp_path, "")
    if meta.url:
        pytest.skip("CITATION.cff sets a url")
    text, entry = citation.cite_page(meta, "P", "chapters/02-vram.html")
    assert text.endswith(" chapters/02-vram.html") and "://" not in entry


# ---- the notation page ---------------------------------------------------------------------------
def test_notation_page_is_fresh():
    assert notation.PAGE.read_text(encoding="utf-8") == notation.render(), (
        "chapters/notation.md is stale: run `make figures`"
    )


def test_every_symbol_of_a_law_is_described():
    assert not notation.undocumented(), (
        f"add these (module, symbol) pairs to analysis/site/notation.py MEANINGS: "
        f"{notation.undocumented()}"
    )
    unused = set(notation.MEANINGS) - {(r.module, r.symbol) for r in notation.rows()}
    assert not unused, f"MEANINGS describes symbols no law uses: {sorted(unused)}"


def test_notation_flags_a_symbol_with_two_meanings():
    # Two rows printed alike with different meanings (as T once was: tokens per step in chapter
    # 1's roofline and the temperature of Landauer's limit in chapter 6) form a clash.
    rows = [
        notation.Row("T", "T", "roofline", "new tokens per step", "1", ("roofline",)),
        notation.Row("T", "T", "physics", "temperature", "K", ("physics",)),
        notation.Row("F", "F", "physics", "peak rate", "FLOP/s", ("physics",)),
    ]
    clash = notation.clashes(rows)
    assert list(clash) == ["T"]
    assert {r.module for r in clash["T"]} == {"roofline", "physics"}


def test_no_symbol_of_the_book_has_two_meanings():
    # issue 18, item 10: every law module's symbols, read from the sources (sympy caches
    # Symbol("T", positive=True) whatever it means), have one meaning each across the book
    clash = notation.clashes()
    assert not clash, {name: [f"{r.module}: {r.meaning}" for r in rs] for name, rs in clash.items()}
    assert "No symbol has two meanings." in notation.render()


# ---- the calculator's exports --------------------------------------------------------------------
def test_calculator_files_are_fresh():
    for path, text in calculator.rendered().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run `make figures`"
        )


def test_calculator_laws_are_printed_from_sympy():
    js = calculator.render_laws()
    for law in calculator.LAWS:
        assert f"  {law.name}: (" in js
        assert sp.jscode(law.expr) in js  # the printed law, not a hand-written twin
    assert "Math.max(" in js  # the roofline step: the slower of memory and arithmetic


def test_calculator_catalog_numbers_are_the_published_ones():
    data = calculator.data()
    # NVIDIA H100 SXM datasheet: 3.35 TB/s; dense bf16 989.4 TFLOP/s (1,979 with sparsity / 2)
    assert data["hardware"]["h100-sxm"]["mem_bandwidth"] == pytest.approx(3.35e12)
    assert data["hardware"]["h100-sxm"]["peak_flops"]["bf16"] == pytest.approx(989.4e12, rel=1e-3)
    # Meta's Llama 3 8B model card: 8.03B parameters
    assert data["models"]["llama-3-8b"]["n_params"] / 1e9 == pytest.approx(8.03, abs=0.005)
    # Mixtral 8x7B: 46.7B total, 12.9B active (Mistral AI's release post)
    assert data["models"]["mixtral-8x7b"]["n_params"] / 1e9 == pytest.approx(46.7, abs=0.05)
    assert data["models"]["mixtral-8x7b"]["n_active_params"] / 1e9 == pytest.approx(12.9, abs=0.05)
    assert data["dtype_bytes"]["fp4"] == 0.5


def test_usd_per_output_token_is_rent_times_step_over_batch():
    c, t, b = sp.symbols("c t B", positive=True)
    assert sp.simplify(calculator.USD_PER_OUTPUT_TOKEN - c * t / b) == 0


# ---- rerunning on a GPU ----------------------------------------------------------------------------
def test_rerun_page_is_fresh():
    assert rerun.PAGE.read_text(encoding="utf-8") == rerun.render(), (
        "chapters/rerun.md is stale: run `make figures`"
    )


def test_rerun_instructions_agree_everywhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    for step in rerun.STEPS:
        assert step in readme, f"README.md lacks the rerun step {step!r}"
    for step in rerun.STEPS[1:4]:
        assert step.split("  ")[0] in intro, f"intro.md lacks the rerun step {step!r}"
    wheel = rerun.cupy_wheel().split("==")[0]
    assert wheel == "cupy-cuda12x"
    for text in (readme, intro, rerun.render()):
        assert wheel in text and "cupy-cuda13x" in text
    assert [s for s, _ in rerun.suites()] == ["roofline", "sharing", "energy", "decode"]
    gpu_refs = rerun.gpu_references()
    assert ("Pending" in rerun.render()) == (not gpu_refs)


# ---- "data as of" ---------------------------------------------------------------------------------
def test_data_as_of_is_the_newest_row():
    raw = yaml.safe_load((DATA_DIR / "prices.yaml").read_text(encoding="utf-8"))
    assert data_as_of("api-prices").date == max(str(r["date"]) for r in raw)
    hw = yaml.safe_load((DATA_DIR / "hardware.yaml").read_text(encoding="utf-8"))
    assert data_as_of("hardware").date == str(max(v["year"] for v in hw.values()))
    market = yaml.safe_load((DATA_DIR / "market.yaml").read_text(encoding="utf-8"))
    rentals = market["gpu_rental_usd_per_hour"]
    assert data_as_of("gpu-rentals").date == max(str(r["date"]) for r in rentals)
    page = appendix.render()
    for name in CATALOGS:
        assert data_as_of(name).badge() in page
    with pytest.raises(UnknownNameError, match="catalog"):
        data_as_of("chips")


def test_appendix_explains_verified_false():
    page = appendix.render()
    assert "verified: false" in page
    assert "**verified: false** marks a figure" in page


# ---- dollar amounts and citation labels (the local Sphinx extensions) ------------------------------
@pytest.mark.parametrize(
    ("tex", "price"),
    [
        ("1.25 for the input tokens and ", True),  # "$1.25 for the input tokens and $0.03"
        ("10 per million (2023-11-06) = ", True),
        ("2,000 per month, or ", True),
        ("5M tokens cost ", True),
        ("2N + aL", False),
        ("2NBL + aBL(L+1)/2", False),
        ("2 h\\, d_h", False),
        ("0.30/0.01 = 30", False),
        ("2^{10}", False),
        ("B^*", False),
        ("1", False),
    ],
)
def test_price_like_math(tex, price):
    assert money.price_like_math(tex) is price


def test_restore_prices_gives_back_the_text_as_written():
    from docutils import nodes

    para = nodes.paragraph()
    para += [
        nodes.Text("Input costs "),
        nodes.math(text="1.25 for the input tokens and "),
        nodes.Text("0.03 for the output; "),
        nodes.math(text="2N + aL"),
    ]
    assert money.restore_prices(para) == 1
    assert (
        para.astext() == "Input costs $1.25 for the input tokens and $0.03 for the output; 2N + aL"
    )
    assert len(list(para.findall(nodes.math))) == 1


def test_bibtex_escapes_are_removed_outside_code():
    from docutils import nodes

    para = nodes.paragraph()
    para += [nodes.Text("gpt-3.5-turbo at \\$0.002, 50\\% off"), nodes.literal(text="a\\$b")]
    money.unescape_bibtex(para)
    assert para.astext() == "gpt-3.5-turbo at $0.002, 50% offa\\$b"


def test_author_year_labels_disambiguate_with_letters():
    from pybtex.database import parse_string

    bib = parse_string(
        """
        @misc{a, author={{OpenAI}}, title={One}, year={2023}}
        @misc{b, author={{OpenAI}}, title={Two}, year={2023}}
        @article{c, author={Kaplan, Jared and McCandlish, Sam and Henighan, Tom}, title={T}, year={2020}}
        @article{d, author={Pope, Reiner and Douglas, Sholto}, title={E}, year={2022}}
        """,
        "bibtex",
    )
    labels = list(citation_style.AuthorYearLabelStyle().format_labels(bib.entries.values()))
    assert labels == ["OpenAI 2023a", "OpenAI 2023b", "Kaplan et al. 2020", "Pope and Douglas 2022"]

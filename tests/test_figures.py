"""The figure registry: every figure sourced, exported byte-identically, committed files fresh."""

from __future__ import annotations

import json

import pytest

from analysis.errors import InvalidValueError
from analysis.figures import registry
from analysis.sources import ROOT, bib_entries

registry._load_all()
IDS = sorted(registry.REGISTRY)


def test_ids_are_stable_slugs():
    for fig_id in IDS:
        assert fig_id == fig_id.lower() and " " not in fig_id and "_" not in fig_id


@pytest.mark.parametrize("fig_id", IDS)
def test_figure_metadata(fig_id):
    spec = registry.spec(fig_id)
    assert spec.caption and spec.title
    assert spec.sources and set(spec.sources) <= set(bib_entries())
    assert (
        spec.chapter == "intro"
        or (ROOT / f"{spec.chapter}.ipynb").exists()
        or (ROOT / f"{spec.chapter}.md").exists()
    )


# Agg's anti-aliasing rounds a handful of edge pixels differently on different CPUs (SIMD
# paths), so a PNG rendered on another machine may differ in ~1e-4 of its pixels. The SVG and
# PDF are compared byte for byte; the PNG must match in size and in all but 0.1% of its pixels.
PNG_PIXEL_TOLERANCE = 1e-3


def _png_pixels_differing(a: bytes, b: bytes) -> float:
    import io

    import numpy as np
    from PIL import Image

    img_a, img_b = (np.asarray(Image.open(io.BytesIO(x)).convert("RGBA")) for x in (a, b))
    if img_a.shape != img_b.shape:
        return 1.0
    return float(np.any(img_a != img_b, axis=-1).mean())


@pytest.mark.parametrize("fig_id", IDS)
def test_committed_figure_is_fresh(fig_id):
    rendered, read = registry.render_traced(fig_id)
    # the index's record of what the figure is drawn from (the provenance page lists it)
    assert read == registry.committed_measurements().get(fig_id), (
        f"figures/index.json does not list the measurement files {fig_id} reads ({read}): "
        "run `make figures`"
    )
    for fmt, data in rendered.items():
        path = registry.FIGURES_DIR / f"{fig_id}.{fmt}"
        assert path.exists(), f"{path.name} missing: run `make figures`"
        committed = path.read_bytes()
        if fmt == "png" and committed != data:
            share = _png_pixels_differing(committed, data)
            assert share <= PNG_PIXEL_TOLERANCE, (
                f"{path.name} is stale ({share:.2%} of pixels differ): run `make figures`"
            )
        else:
            assert committed == data, f"{path.name} is stale: run `make figures`"


def test_rendering_is_deterministic():
    first = registry.render(IDS[0])
    assert registry.render(IDS[0]) == first


def test_index_is_fresh_and_complete():
    index = json.loads((registry.FIGURES_DIR / "index.json").read_text())
    assert [entry["id"] for entry in index] == IDS
    # the measurement lists are checked figure by figure in test_committed_figure_is_fresh
    recorded = registry.committed_measurements()
    assert (registry.FIGURES_DIR / "index.json").read_bytes() == registry.render_index(recorded)


def test_index_needs_every_figure_measurements():
    with pytest.raises(InvalidValueError, match="measurements"):
        registry.render_index({})


def test_no_orphan_figure_files():
    stems = {p.stem for p in registry.FIGURES_DIR.iterdir() if p.suffix in {".svg", ".png", ".pdf"}}
    assert stems <= set(IDS), f"files without a registered figure: {stems - set(IDS)}"


def test_unknown_figure_lists_known_ids():
    with pytest.raises(LookupError, match="accelerators-flops-vs-bandwidth"):
        registry.spec("no-such-figure")


def test_every_figure_module_is_listed():
    from analysis.figures import chapters

    folder = registry.FIGURES_DIR.parent / "analysis" / "figures"
    found = {p.stem for p in folder.glob("*.py")} - set(chapters.NOT_FIGURES)
    assert found == set(chapters.MODULES), f"add {found - set(chapters.MODULES)} to MODULES"


# ---- chapter figures: one block, one number (issue 18, item 2) ------------------------------
def _shown_blocks():
    """(page, figure id, the block as the page has it) for every figure a page shows."""
    import re

    from analysis.site import gallery
    from analysis.site.pages import toc_documents

    block = re.compile(r"^(`{3,})\{(?:glue:)?figure\}.*?^\1$", re.MULTILINE | re.DOTALL)
    for doc in toc_documents():
        text = gallery._markdown_of(doc)
        if doc == "chapters/gallery":
            continue
        for m in block.finditer(text):
            found = re.search(r"^:name: figure-([a-z0-9-]+)$", m.group(0), re.MULTILINE)
            assert found, f"{doc}: a figure without a figure-<id> name:\n{m.group(0)[:200]}"
            yield doc, found.group(1), m.group(0)


def test_every_shown_figure_is_the_registry_block():
    shown = list(_shown_blocks())
    assert shown
    for doc, fig_id, text in shown:
        glued = doc != "intro"
        want = registry.figure_md(
            fig_id, glued=glued, figures_path="../figures" if glued else "figures"
        )
        assert text == want, f"{doc}: the block of {fig_id} is not registry.figure_md({fig_id!r})"
        assert registry.spec(fig_id).chapter == doc, (fig_id, doc)


def test_gallery_numbers_follow_the_toc_and_the_chapters():
    import yaml

    from analysis.site import gallery

    numbers = gallery.figure_numbers()
    toc = yaml.safe_load((registry.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [c["file"] for p in toc["parts"] if p.get("numbered") for c in p["chapters"]]
    for doc, fig_id, _ in _shown_blocks():
        if doc in numbered:
            chapter, _, k = numbers[fig_id].partition(".")
            assert int(chapter) == numbered.index(doc) + 1 and int(k) >= 1, (
                fig_id,
                numbers[fig_id],
            )
        else:
            assert "." not in numbers[fig_id], (fig_id, numbers[fig_id])
    page = gallery.render()
    for fig_id, number in numbers.items():
        assert f"## Figure {number}. {registry.spec(fig_id).title}" in page, fig_id

"""The figure registry: every figure sourced, exported byte-identically, committed files fresh."""

from __future__ import annotations

import json

import pytest

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
    rendered = registry.render(fig_id)
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
    assert (registry.FIGURES_DIR / "index.json").read_bytes() == registry.render_index()


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

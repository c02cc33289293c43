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


def test_measurements_by_figure_prefers_traced_then_recorded_then_builds(tmp_path, monkeypatch):
    first, second, third, *rest = IDS
    index = tmp_path / "index.json"
    index.write_text(json.dumps([{"id": second, "measurements": ["recorded.json"]}]))
    built = []
    monkeypatch.setattr(
        registry, "measurements_read_by", lambda id: built.append(id) or ["built.json"]
    )
    traced = {first: ["traced.json"], **{id: [] for id in rest}}
    got = registry.measurements_by_figure(index, traced)
    assert got[first] == ["traced.json"] and got[second] == ["recorded.json"]
    assert got[third] == ["built.json"] and built == [third]  # only the unrecorded one is drawn


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


# ---- legible where the page shows it (issue 18, item 8) -----------------------------------------
def _drawn(fig_id):
    from analysis.figures import style

    with style.context():
        fig = registry.make(fig_id)
        width = style.displayed_width_in(fig)
        texts = style.drawn_texts(fig)
    return fig, width, texts


@pytest.mark.parametrize("fig_id", IDS)
def test_every_text_is_at_least_9_pt_at_the_displayed_size(fig_id):
    # The page shows the exported image (tight bounding box) at 100 CSS px per inch, scaled
    # down to the ~7.5-inch column when it is wider: a 10-inch figure shows its text at 75%.
    import matplotlib.pyplot as plt

    from analysis.figures import style

    fig, width, texts = _drawn(fig_id)
    scale = min(1.0, 7.5 / width)
    shown = {(round(t.get_fontsize() * scale, 2), t.get_text()[:40]) for t in texts}
    small = sorted((pt, text) for pt, text in shown if pt < 9.0)
    assert texts, f"{fig_id}: no text found"
    assert scale == style.displayed_scale(width)
    assert not small, f"{fig_id} ({width:.2f} in shown at {scale:.0%}): under 9 pt: {small[:6]}"
    # and the larger text has not squeezed a plot to a sliver (constrained layout gives way
    # silently): every axes at least 1.5 x 1.2 inches as shown
    squeezed = [
        (ax.get_title() or f"axes {i}", round(w, 2), round(h, 2))
        for i, ax in enumerate(fig.axes)
        if ax.get_visible() and ax.axison
        for box in [ax.get_window_extent(fig.canvas.get_renderer())]
        for w, h in [(box.width / fig.dpi * scale, box.height / fig.dpi * scale)]
        if w < 1.5 or h < 1.2
    ]
    plt.close(fig)
    assert not squeezed, f"{fig_id}: axes squeezed by the layout (in): {squeezed}"


def test_the_9_pt_check_sees_tick_labels_made_after_the_layout():
    # A 15-inch figure with 10-pt text is shown at half size (5 pt); legible() raises every
    # text, the tick labels that matplotlib makes at draw time included, to 9 pt shown.
    import matplotlib.pyplot as plt

    from analysis.figures import style

    with style.context():
        fig, ax = plt.subplots(figsize=(15.0, 4.0))
        ax.plot([1, 10, 100], [1, 2, 3], label="a line")
        ax.set_xscale("log")
        ax.set_xlabel("x label")
        ax.legend()
        before = [t.get_fontsize() for t in style.drawn_texts(fig)]
        assert min(before) * style.displayed_scale(style.displayed_width_in(fig)) < 9
        style.legible(fig)
        width = style.displayed_width_in(fig)
        shown = [t.get_fontsize() * style.displayed_scale(width) for t in style.drawn_texts(fig)]
    plt.close(fig)
    assert min(shown) >= 9.0


def test_overlap_check_uses_the_rotated_boxes():
    import matplotlib.pyplot as plt

    from analysis.figures import style

    with style.context():
        fig, ax = plt.subplots()
        ax.set_axis_off()
        ax.text(0.2, 0.5, "first label", fontsize=12)
        ax.text(0.22, 0.5, "second label", fontsize=12)  # on top of the first
        assert style.text_overlaps(fig) == [("first label", "second label")]
        plt.close(fig)
        # two long labels at 45 degrees, side by side: their axis-aligned hulls overlap, the
        # labels themselves do not
        fig, ax = plt.subplots()
        ax.set_axis_off()
        for x in (0.3, 0.4):
            ax.text(x, 0.5, "a long rotated label", rotation=45, ha="center", va="center")
        renderer = fig.canvas.get_renderer()
        a, b = (t.get_window_extent(renderer) for t in ax.texts)
        assert a.overlaps(b)
        assert style.text_overlaps(fig) == []
        ax.plot([0.3, 0.3], [0.45, 0.55])  # a line under the first label
        assert style.texts_over_data(fig) == ["a long rotated label"]
    plt.close(fig)


@pytest.mark.parametrize(
    "fig_id", [i for i in IDS if registry.spec(i).chapter == "chapters/04-serving"]
)
def test_serving_figures_labels_overlap_neither_each_other_nor_the_data(fig_id):
    # issue 18, item 8: the MLPerf limit's label was written across the frontier's curves
    import matplotlib.pyplot as plt

    from analysis.figures import style

    with style.context():
        fig = registry.make(fig_id)
        overlaps, over_data = style.text_overlaps(fig), style.texts_over_data(fig)
    plt.close(fig)
    assert not overlaps, f"{fig_id}: texts overlap: {overlaps}"
    assert not over_data, f"{fig_id}: texts over the data: {over_data}"

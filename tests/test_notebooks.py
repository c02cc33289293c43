"""Chapter notebooks: stored outputs, the standard kernel, and nbval markers only on live cells."""

from __future__ import annotations

import re

import nbformat
import pytest

from analysis.site.pages import toc_documents
from analysis.sources import ROOT

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
MARKER = re.compile(r"#\s*NBVAL_\w+")


def test_every_toc_document_exists():
    for name in toc_documents():
        assert (ROOT / f"{name}.ipynb").exists() or (ROOT / f"{name}.md").exists(), name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a chapter without code computes nothing"
    for cell in code:
        assert cell.execution_count is not None, f"unexecuted cell: {cell.source[:60]!r}"
        assert not any(o.get("output_type") == "error" for o in cell.outputs), cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_live_measurement_cells_escape_nbval(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        markers = MARKER.findall(cell.source)
        if markers:
            assert markers == ["# NBVAL_IGNORE_OUTPUT"], markers
            assert "get_backend" in cell.source, (
                "only a cell that measures this machine may be ignored"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_a_labelled_title(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.search(r"^\([\w-]+\)=\s*\n# ", first.source, re.MULTILINE)

"""The claims ledger: coverage, verdicts consistent with values, values from code, fresh exports."""

from __future__ import annotations

import ast
import csv
import io
import json
import re

import nbformat
import pytest

from analysis import claims
from analysis.claims import catalog as claims_catalog
from analysis.sources import ROOT, bib_entries

LEDGER = claims.ledger()


def test_at_least_twenty_claims_with_stable_unique_ids():
    ids = [c.id for c in LEDGER]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"C\d{2}", i) for i in ids)


@pytest.mark.parametrize("c", LEDGER, ids=lambda c: c.id)
def test_record_fields(c):
    assert c.verdict in claims.VERDICTS
    assert c.topic in claims.TOPICS
    assert c.quote and len(c.quote) <= 160, "quote only a short excerpt"
    assert c.why and isinstance(c.assumptions, dict)
    assert c.unit
    assert set(c.sources) <= set(bib_entries())


@pytest.mark.parametrize("c", LEDGER, ids=lambda c: c.id)
def test_quote_is_from_the_source(c):
    source = ROOT.parent / "shared" / "seed" / "000_2bf579b9673c4089.txt"
    if not source.exists():
        pytest.skip("the source text is not beside this checkout")
    text = " ".join(source.read_text().split())
    # Quotes may elide with "..." and insert an explanatory [bracket]; every other fragment is verbatim.
    for fragment in re.split(r"\s*(?:\.\.\.|\[[^\]]*\])\s*", c.quote):
        assert fragment.strip() in text, fragment


@pytest.mark.parametrize(
    "c", [c for c in LEDGER if c.verdict in claims.NUMERIC_VERDICTS], ids=lambda c: c.id
)
def test_numeric_verdicts_follow_the_rule(c):
    assert c.value is not None and c.claimed is not None
    assert c.verdict == claims.classify(
        c.value, c.claimed, c.tolerance, c.order_of_magnitude, c.comparison
    )


def test_every_section_label_exists_in_its_chapter():
    for c in LEDGER:
        nb = nbformat.read(ROOT / f"{c.chapter}.ipynb", as_version=4)
        labels = set()
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                labels |= set(re.findall(r"^\(([\w-]+)\)=\s*$", cell.source, re.MULTILINE))
        assert c.section in labels, f"{c.id}: no label ({c.section})= in {c.chapter}"


def _builder_calls():
    tree = ast.parse((ROOT / "analysis" / "claims" / "catalog.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"numeric", "judged"}:
            yield node


def test_values_come_from_code_not_literals():
    calls = list(_builder_calls())
    assert len(calls) >= 20
    for call in calls:
        kwargs = {k.arg: k.value for k in call.keywords}
        value = kwargs["value"]
        claim_id = getattr(call.args[0], "value", "a shared builder")
        is_literal = isinstance(value, ast.Constant) and value.value is not None
        assert not is_literal, f"{claim_id}: value is a literal"
        if isinstance(value, ast.BinOp):  # an expression must involve a computed name
            assert any(
                isinstance(n, ast.Name | ast.Attribute | ast.Call) for n in ast.walk(value)
            ), claim_id


def test_classify_examples():
    assert claims.classify(295, 1000, 0.25, False) == "overstated"
    assert claims.classify(295, 1000, 0.25, True) == "overstated"  # 3.4x > sqrt(10)
    assert claims.classify(400, 1000, 0.25, True) == "holds to order of magnitude"
    assert claims.classify(1.28, 1.25, 0.25, False) == "holds"
    assert claims.classify(1.1e-13, 1e-15, 0.25, True) == "understated"
    assert claims.classify(295, 1000, 0.25, False, "<") == "holds"
    assert claims.classify(0.4, 0.5, 0.25, False, ">") == "overstated"
    with pytest.raises(ValueError, match="positive"):
        claims.classify(0, 1, 0.25, False)
    with pytest.raises(ValueError, match="comparison"):
        claims.classify(1, 1, 0.25, False, "=")


def test_judged_rejects_numeric_verdicts():
    with pytest.raises(ValueError, match="judged"):
        claims.judged(
            "C99", "q", "vram", "s", verdict="holds", value=1, unit="x", why="w", assumptions={}
        )


def test_unknown_claim_lists_ids():
    with pytest.raises(LookupError, match="C01"):
        claims.get("C00")


@pytest.mark.parametrize("name", sorted(claims.EXPORTS))
def test_exports_are_fresh(name):
    path = ROOT / "figures" / name
    assert path.exists(), f"{name} missing: run `make figures`"
    assert path.read_bytes() == claims.EXPORTS[name](), f"{name} is stale: run `make figures`"


def test_exports_carry_the_fields():
    rows = list(csv.DictReader(io.StringIO(claims.render_csv().decode())))
    assert [r["id"] for r in rows] == [c.id for c in LEDGER]
    doc = json.loads(claims.render_json())
    for entry in doc:
        assert {
            "id",
            "quote",
            "topic",
            "assumptions",
            "value",
            "unit",
            "claimed",
            "verdict",
            "why",
        } <= entry.keys()


def test_builders_are_all_registered():
    builders = [
        name
        for name, obj in vars(claims_catalog).items()
        if callable(obj)
        and getattr(obj, "__module__", "") == claims_catalog.__name__
        and not name.startswith("_")
        and name not in claims_catalog.REGISTRY_API
    ]
    assert len(claims.BUILDERS) == len(builders)

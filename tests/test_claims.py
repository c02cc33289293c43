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
        pytest.skip(
            f"the source text is expected at {source} (the project's shared/seed/ folder "
            "beside the checkout); it is not there, so its quotes cannot be checked"
        )
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
        claim_id = getattr(call.args[0], "value", "a shared builder")
        if "recompute" in kwargs:  # the value is recompute(**base): a function, never a literal
            assert isinstance(kwargs["recompute"], ast.Name | ast.Attribute), claim_id
            assert "base" in kwargs and "ranges" in kwargs, claim_id
            continue
        value = kwargs["value"]
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


# ---- sensitivity: the rule sweeps declared ranges; verdicts flip by rule, never by hand -----------
SWEPT = [c for c in LEDGER if c.sensitivity]


def test_most_numeric_claims_declare_their_assumption_ranges():
    numeric_like = [c for c in LEDGER if c.claimed is not None and c.verdict != "not checkable"]
    assert len(SWEPT) >= 12 and len([c for c in numeric_like if c.sensitivity]) >= 12


@pytest.mark.parametrize("c", SWEPT, ids=lambda c: c.id)
def test_sensitivity_records_both_ends(c):
    for x in c.sensitivity:
        assert x.points[0][0] == x.low and x.points[-1][0] == x.high
        assert (x.value_low, x.value_high) == (x.points[0][1], x.points[-1][1])
        if c.claimed is not None and c.verdict != "not checkable" and x.value_low is not None:
            assert x.verdict_low == claims.classify(
                x.value_low, c.claimed, c.tolerance, c.order_of_magnitude, c.comparison
            )


@pytest.mark.parametrize(
    "c",
    [c for c in SWEPT if c.claimed is not None and c.verdict != "not checkable"],
    ids=lambda c: c.id,
)
def test_a_flip_inside_a_range_and_only_a_flip_makes_depends(c):
    base = claims.classify(c.value, c.claimed, c.tolerance, c.order_of_magnitude, c.comparison)
    flips = [x for x in c.sensitivity if x.flips_at is not None]
    for x in flips:
        flipped = next(vd for p, _, vd in x.points if p == x.flips_at)
        assert claims.flipped(base, flipped)
        assert x.assumption in c.why and "flips" in c.why
    assert (c.verdict == "depends on assumptions") == bool(flips)
    if not flips:
        assert c.verdict == base


def test_flipped_treats_order_of_magnitude_as_support():
    assert not claims.flipped("holds", "holds to order of magnitude")
    assert claims.flipped("holds", "overstated")
    assert claims.flipped("overstated", "understated")


def test_sweep_rejects_a_range_for_an_unset_assumption_and_a_one_point_range():
    with pytest.raises(ValueError, match="base"):
        claims.sweep(lambda x: x, {"x": 1.0}, {"y": (1, 2)})
    with pytest.raises(ValueError, match="low and a high"):
        claims.sweep(lambda x: x, {"x": 1.0}, {"x": (1.0,)})


def test_exports_carry_sensitivity():
    doc = {e["id"]: e for e in json.loads(claims.render_json())}
    fields = {"assumption", "low", "high", "value_low", "value_high", "verdict_low", "verdict_high"}
    assert all(fields <= s.keys() for e in doc.values() for s in e["sensitivity"])
    assert doc["C02"]["sensitivity"]


# ---- disputed verdicts (issue 14 item 11), each pinned to a published figure or hand derivation ----
def test_c02_k_reaches_1000_only_with_sparse_fp8():
    # H100 SXM: 989.4 TFLOP/s bf16 dense, 1,978.9 fp8 dense, x2 with 2:4 sparsity; 3.35 TB/s
    c = claims.get("C02")
    peak = next(x for x in c.sensitivity if x.assumption == "peak")
    assert peak.values == pytest.approx([989.4 / 3.35, 1978.9 / 3.35, 2 * 1978.9 / 3.35], rel=1e-3)
    assert [vd for _, _, vd in peak.points] == [
        "overstated",
        "holds to order of magnitude",
        "holds",
    ]
    assert c.verdict == "depends on assumptions"


def test_c04_instances_are_the_critical_batch():
    c = claims.get("C04")
    assert c.value == pytest.approx(989.4e12 * 2 / (2 * 3.35e12) * 1e12, rel=1e-3)
    sparse = next(x for x in c.sensitivity if x.assumption == "peak").value_high
    assert sparse == pytest.approx(2 * 1978.9e12 * 1 / (2 * 3.35e12) * 1e12, rel=1e-3)
    assert c.verdict == "depends on assumptions"


def test_c03_tests_the_quote_at_batch_1000():
    # Llama 3 70B, H100 bf16, batch 1000, 8K context: FLOPs 1000 (2 N + a 8193), bytes P + 1000 k 8193
    # with N = 69.5e9 matmul params, P = 141.1 GB, k = 327,680 B, a = 4 x 80 x 64 x 128.
    n, p_bytes, k, a = 69.50e9, 141.1e9, 327680, 4 * 80 * 64 * 128
    intensity = 1000 * (2 * n + a * 8193) / (p_bytes + 1000 * k * 8193)
    c = claims.get("C03")
    at_8k = next(x for x in c.sensitivity if x.assumption == "context").points[2]
    assert at_8k[0] == 8192
    assert at_8k[1] == pytest.approx(intensity / (989.4 / 3.35), rel=0.01)
    assert c.value == pytest.approx(1.0) and c.verdict == "depends on assumptions"


def test_c05_c07_c08_share_one_stated_deployment():
    for cid in ("C07", "C08"):
        assert claims.get(cid).assumptions["dtype"] == "fp8"  # as C05 was measured
    assert claims.get("C05").assumptions["weights"] == "fp8"
    # TensorRT-LLM performance overview, Llama 3.3 70B fp8, H100 TP2: 2,209 and 398 tokens/s/GPU
    c05 = claims.get("C05")
    assert (c05.sensitivity[0].value_low, c05.sensitivity[0].value_high) == (2209, 398)


def test_c15_with_attention_is_about_46x():
    # Llama 3 70B at 128K: 30 x (2 N + a L) / (2 N + a L / 2), N = 69.5e9, a = 2,621,440
    n2, a, ctx = 2 * 69.50e9, 4 * 80 * 64 * 128, 131072
    expected = 30 * (n2 + a * ctx) / (n2 + a * ctx / 2)
    c = claims.get("C15")
    ctx_range = next(x for x in c.sensitivity if x.assumption == "context")
    assert ctx_range.value_high == pytest.approx(expected, rel=0.01)
    assert 45 < ctx_range.value_high < 48
    assert c.verdict == "depends on assumptions"


def test_c23_rests_on_c22():
    assert claims.get("C22").verdict == "not checkable"
    assert claims.get("C23").verdict == "not checkable" and "C22" in claims.get("C23").why


def test_c27_holds_beyond_batch_1_and_flips_near_the_kv_shifted_critical_batch():
    c = claims.get("C27")
    batch = next(x for x in c.sensitivity if x.assumption == "batch")
    assert [vd for _, _, vd in batch.points][:3] == ["holds"] * 3  # batch 1, 16, 256
    assert batch.flips_at == 1024
    assert c.verdict == "depends on assumptions"


def test_every_claim_is_linked_to_its_anchored_note():
    # chapter 7's tables: [C02](#c02) in the table, (c02)= before the claim's note
    from analysis.claims import TOPICS, anchor, topic_markdown

    text = "\n".join(topic_markdown(t) for t in TOPICS)
    for c in claims.ledger():
        assert anchor(c.id) == c.id.lower()
        assert f"| [{c.id}](#{c.id.lower()}) |" in text, c.id
        assert f"({c.id.lower()})=\n**{c.id}**" in text, c.id


def test_ledger_table_of_an_unknown_topic_names_the_known_ones():
    from analysis.claims import topic_markdown
    from analysis.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="physics"):
        topic_markdown("astrology")

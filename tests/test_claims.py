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


# The claims without a sweep, each for a stated reason; every other claim is swept.
UNSWEPT = {
    # not checkable: no data here measures or bounds the quantity, so there is nothing to vary
    "C16": "not checkable: no measured rate of thought",
    "C22": "not checkable: no source estimates a practical density limit",
    "C23": "not checkable: divides C22's limit",
    # unit conversions of C16's stated 9 tokens/s: the only assumption is C16's (not checkable)
    "C17": "9 tokens/s x 3,600 s",
    "C18": "9 tokens/s x 8 h",
    "C28": "128,000 tokens / 9 tokens/s",
    # the quote names the model, the tokens and (through the model) its one catalog price
    "C29": "128,000 tokens at GPT-4 Turbo's input price",
    "C30": "1,000 tokens at GPT-4 Turbo's output price",
    # one TSMC 4N die (GH100) publishes an area: no second die to vary
    "C20": "GH100 only",
}


def test_every_claim_is_swept_or_says_why_not():
    assert {c.id for c in LEDGER if not c.sensitivity} == set(UNSWEPT)
    for c in LEDGER:
        assert bool(c.unswept) != bool(c.sensitivity), c.id
    not_checkable = {c.id for c in LEDGER if c.verdict == "not checkable"}
    assert not_checkable == {"C16", "C22", "C23"}
    for cid in not_checkable:
        assert claims.get(cid).unswept.startswith("Not checkable"), cid
    for cid in ("C17", "C18", "C28"):
        assert "C16" in claims.get(cid).unswept


def test_a_claim_needs_a_sweep_or_a_reason():
    with pytest.raises(ValueError, match="unswept"):
        claims.numeric(
            "C99", "q", "vram", "s", value=1.0, claimed=1.0, unit="u", why="w", assumptions={}
        )
    with pytest.raises(ValueError, match="both"):
        claims.numeric(
            "C99", "q", "vram", "s", claimed=1.0, unit="u", why="w", assumptions={},
            recompute=lambda x: x, base={"x": 1.0}, ranges={"x": (1.0, 2.0)}, unswept="none",
        )  # fmt: skip


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
    "c", [c for c in SWEPT if "testable_bound" in c.assumptions], ids=lambda c: c.id
)
def test_a_judged_claims_testable_bound_is_classified_at_every_point(c):
    comparison, limit = c.assumptions["testable_bound"]
    for x in c.sensitivity:
        for _, v, vd in x.points:
            assert vd == (None if v is None else claims.classify(v, limit, 0.0, False, comparison))


def test_bounds_hold_for_c01_and_c24_by_hand():
    # C01: one 8,192-token sequence over the H100's bf16 critical batch 989.4 / (2 x 3.35) x 2
    # = 295.3 is 27.7 (> 1: flop-limited). C24 at activity 0.1: 700 W / (0.1 x 80e9 x 1.98 GHz)
    # = 4.42e-17 J, 22x the stated 2e-18 J minimum (> 1).
    c01 = claims.get("C01")
    assert c01.value == pytest.approx(8192 / (989.4 / 3.35), rel=1e-3)
    assert all(vd == "holds" for x in c01.sensitivity for _, v, vd in x.points if v is not None)
    low = next(x for x in claims.get("C24").sensitivity if x.assumption == "activity")
    assert (low.low, low.verdict_low) == (0.1, "holds")


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
    assert all(bool(e["unswept"]) != bool(e["sensitivity"]) for e in doc.values())


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


# ---- sensitivity ends pinned to hand derivations (issue 14 item 12, issue 19) ---------------------
def _range(cid, assumption):
    return next(x for x in claims.get(cid).sensitivity if x.assumption == assumption)


GIB = 2**30


def test_c04_architecture_ends_and_the_designs_module_agree():
    # Critical batch on the H100 in bf16: F / (2 W) x b_w = 989.4e12 / (2 x 3.35e12) x 2 = 295.3.
    # MHA (GPT-3 175B): 96 layers x 2 (K, V) x 96 heads x 128 x 2 B = 4,718,592 B per token, so one
    # 131,072-token sequence holds 618.5 GB and 295.3 of them 1.826e14 B: 5.5x under 1e15.
    x = _range("C04", "architecture")
    assert x.high == "mha" and x.low == "mamba2"
    crit = 989.4e12 / (2 * 3.35e12) * 2
    assert x.value_high == pytest.approx(crit * 96 * 2 * 96 * 128 * 2 * 131_072, rel=1e-3)
    assert x.verdict_high == "overstated"  # 1e15 / 1.83e14 = 5.5 > sqrt(10)
    from analysis import designs

    by_key = {v.design.key: v.c04_kv_bytes for v in designs.verdicts()}
    for key, value, _ in x.points:
        assert value == pytest.approx(by_key[key], rel=1e-12)


def test_c09_model_and_chip_ends():
    # KV per instance = the bf16 weights (dynamic = static): GPUs = 1e6 x 2 P / HBM.
    # Llama 3 8B: 8,030,261,248 x 2 B / 80 GiB x 1e6 = 186,969 -> 1e6 overstates it 5.3x.
    # Llama 3 70B on an H100: 70,553,706,496 x 2 / 80 GiB x 1e6 = 1.643e6 (understated);
    # on an H200 (141 GiB): 1.643e6 x 80 / 141 = 932,033, within 25% of 1e6 (holds).
    model = _range("C09", "model")
    assert model.value_low == pytest.approx(8_030_261_248 * 2 / (80 * GIB) * 1e6, rel=1e-6)
    assert model.verdict_low == "overstated"
    c = claims.get("C09")
    assert c.value == pytest.approx(70_553_706_496 * 2 / (80 * GIB) * 1e6, rel=1e-6)
    chip = _range("C09", "accelerator")
    h200 = next(v for p, v, _ in chip.points if p == "h200")
    assert h200 == pytest.approx(70_553_706_496 * 2 / (141 * GIB) * 1e6, rel=1e-6)
    assert next(vd for p, _, vd in chip.points if p == "h200") == "holds"
    assert c.verdict == "depends on assumptions" and "model" in c.why and "flips" in c.why


def test_c11_reads_most_as_the_median_and_flips_on_chunked_attention():
    # Llama 4 Scout at its 10,485,760-token window: 12 full layers x 8 KV heads x 128 x 2 x 2 B
    # = 49,152 B per token, plus 36 chunked layers x 8,192 tokens x 4,096 B; over 215.54 GB of
    # bf16 weights: (10,485,760 x 49,152 + 36 x 8,192 x 4,096) / 215,539,722,240 = 2.397.
    x = _range("C11", "architecture")
    chunked = next(v for p, v, _ in x.points if p == "chunked")
    expected = (10_485_760 * 49_152 + 36 * 8_192 * 4_096) / 215_539_722_240
    assert chunked == pytest.approx(expected, rel=1e-6)
    assert next(vd for p, _, vd in x.points if p == "chunked") == "understated"  # not < 1
    c = claims.get("C11")
    assert c.value < 1 and c.verdict == "depends on assumptions"
    from analysis import designs

    by_key = {v.design.key: v.c11_ratio_full_context for v in designs.verdicts()}
    for key, value, _ in x.points:  # the designs module's verdict table, law by law
        assert value == pytest.approx(by_key[key], rel=1e-9)


def test_c14_with_each_chips_own_ratio():
    # ((KV + W) / KV) / R with KV = 10%: 10 / R. H200 bf16 dense: R = 989.4 / 4.8 = 206.1, ceiling
    # 4.85% (1% understates it); H100 fp8 2:4 sparse: R = 2 x 1978.9 / 3.35 = 1,181, ceiling
    # 0.847% (1% overstates it by 18%, outside the 10% tolerance).
    x = _range("C14", "alu_ratio")
    assert x.low == "h200 bf16 dense" and x.high == "h100-sxm fp8 2:4 sparse"
    assert x.value_low == pytest.approx(10 / (989.4 / 4.8), rel=1e-3)
    assert x.value_high == pytest.approx(10 / (2 * 1978.9 / 3.35), rel=1e-3)
    assert (x.verdict_low, x.verdict_high) == ("understated", "overstated")
    assert claims.get("C14").value == pytest.approx(0.01)


def test_c12_by_price_date():
    # 2023's three standard rows: gpt-3.5-turbo $2/$2, gpt-4 $30/$60, gpt-4-turbo $10/$30:
    # ratios 1, 2, 3, median 2, below the source's 3x-10x.
    x = _range("C12", "price_date")
    assert x.low == 2023 and x.value_low == 2.0 and x.verdict_low == "overstated"
    assert claims.get("C12").verdict == "depends on assumptions"


def test_c31_at_later_flagship_prices():
    # GPT-4.1 (2025-04-14): 128,000 x $2/M + 1,000 x $8/M = $0.264 for 1,000 / 9 / 60 = 1.852 min
    # of thought: $0.1426/min against $132,270 / 2,080 h / 60 = $1.060/min, 7.4x apart (> sqrt 10).
    x = _range("C31", "price_date")
    assert x.high.endswith("gpt-4.1-2025-04-14")
    assert x.value_high == pytest.approx(0.264 / (1000 / 9 / 60), rel=1e-6)
    assert x.verdict_high == "overstated"
    assert claims.get("C31").claimed == pytest.approx(132_270 / 2_080 / 60, rel=1e-6)


def test_c06_counts_the_cluster_not_the_run():
    # 24,000 vs 24,576 per cluster (2.3% off: holds); vs the 16,384 Llama 3 405B's pre-training used (46%
    # off: overstated).
    x = _range("C06", "count")
    assert (x.value_low, x.value_high) == (16_384, 24_576)
    assert (x.verdict_low, x.verdict_high) == ("overstated", "holds")


def test_c10_architecture_is_the_designs_dynamic_ratio():
    # 1e6 instances x ratio x 200 TB / 80 GiB (capacity) or x 40 tokens/s / 3.35 TB/s (bandwidth),
    # whichever binds; the ratio per design is its 128K state over its bf16 weights (designs).
    from analysis import designs

    x = _range("C10", "architecture")
    by_key = {v.design.key: v.c10_dynamic_ratio_128k for v in designs.verdicts()}
    for key, value, _ in x.points:
        r = by_key[key]
        assert value == pytest.approx(
            max(1e6 * r * 2e14 / (80 * GIB), 1e6 * 40 * r * 2e14 / 3.35e12), rel=1e-3
        )

"""Chapter 6 physics: checked against published values and hand arithmetic, never the code itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from sympy.physics import units as u

from analysis import claims, energy, physics, serving
from analysis.errors import UnknownNameError
from analysis.sources import ROOT, bib_entries


# ---- Landauer ---------------------------------------------------------------------------------------
def test_landauer_at_300k_is_the_published_2_87e_21_joules():
    assert physics.landauer_j(300.0) == pytest.approx(2.87e-21, rel=1e-3)


def test_landauer_with_sympy_units_gives_joules():
    # Independent route: SymPy's own Boltzmann constant and unit conversion.
    e = u.convert_to(u.boltzmann_constant * 300 * u.kelvin * sp.log(2), u.joule)
    assert float(e / u.joule) == pytest.approx(physics.landauer_j(300.0), rel=1e-9)


def test_landauer_scales_linearly_with_temperature():
    assert physics.landauer_j(600.0) == pytest.approx(2 * physics.landauer_j(300.0))


@pytest.mark.parametrize("bad", [-1.0, 0.0, float("nan"), float("inf")])
def test_non_physical_temperature_is_rejected(bad):
    with pytest.raises(ValueError, match="temperature_k"):
        physics.landauer_j(bad)


def test_the_law_is_k_t_ln2():
    assert sp.simplify(physics.LANDAUER - physics.k_B * physics.T * sp.log(2)) == 0
    assert "k_{B}" in physics.latex("landauer") and r"\log{\left(2 \right)}" in physics.latex(
        "landauer"
    )


# ---- density ----------------------------------------------------------------------------------------
def test_h100_density_is_9_8e9_per_cm2():
    # 80e9 transistors / 8.14 cm^2 (814 mm^2), Hopper whitepaper.
    assert physics.accelerator_density_per_cm2("h100-sxm") == pytest.approx(80e9 / 8.14, rel=1e-9)
    assert physics.accelerator_density_per_cm2("h100-sxm") == pytest.approx(9.8e9, rel=0.01)


def test_a100_density_by_hand():
    assert physics.accelerator_density_per_cm2("a100-sxm") == pytest.approx(54.2e9 / 8.26, rel=1e-9)


@pytest.mark.parametrize("area", [0.0, -814.0])
def test_zero_or_negative_area_is_rejected(area):
    with pytest.raises(ValueError, match="die_area_mm2"):
        physics.transistor_density_per_cm2(80e9, area)


def test_unpublished_die_area_names_the_field():
    with pytest.raises(physics.MissingSpecError, match="die_area_mm2"):
        physics.accelerator_density_per_cm2("b200")
    assert issubclass(physics.MissingSpecError, ValueError)


def test_density_table_only_lists_single_dies_with_areas():
    keys = {r.accelerator for r in physics.density_table()}
    assert {"a100-sxm", "h100-sxm"} <= keys and "b200" not in keys and "mi300x" not in keys


# ---- switching energy ------------------------------------------------------------------------------
def test_h100_switching_energy_by_hand():
    # 700 W / (80e9 transistors x 1.98e9 Hz x activity 1)
    assert physics.accelerator_switching_energy_j("h100-sxm") == pytest.approx(
        700 / (80e9 * 1.98e9)
    )


def test_switching_energy_is_inverse_in_activity():
    e = physics.switching_energy_j(700.0, 80e9, 1.98e9, np.array([1.0, 0.5, 0.1]))
    assert e == pytest.approx(700 / (80e9 * 1.98e9) * np.array([1, 2, 10]))


def test_switching_energy_units_are_joules():
    e = u.convert_to(700 * u.watt / (80e9 * 1.98e9 * u.hertz), u.joule)
    assert float(e / u.joule) == pytest.approx(physics.switching_energy_j(700.0, 80e9, 1.98e9))


@pytest.mark.parametrize("activity", [0.0, -0.1, 1.5])
def test_activity_outside_0_1_is_rejected(activity):
    with pytest.raises(ValueError, match=r"activity .* \(0, 1\]"):
        physics.switching_energy_j(700.0, 80e9, 1.98e9, activity)


def test_negative_power_is_rejected():
    with pytest.raises(ValueError, match="power_w"):
        physics.switching_energy_j(-1.0, 80e9, 1.98e9)


def test_missing_clock_names_the_field():
    with pytest.raises(physics.MissingSpecError, match="clock_hz"):
        physics.accelerator_switching_energy_j("b200")


# ---- board-level J/FLOP -------------------------------------------------------------------------
def test_h100_bf16_at_700w_is_0_71_pj_per_flop():
    assert physics.accelerator_j_per_flop("h100-sxm", "bf16") == pytest.approx(0.71e-12, rel=0.01)
    assert physics.accelerator_j_per_flop("h100-sxm", "bf16") == pytest.approx(700 / 989.4e12)


def test_fp8_halves_the_energy_per_flop_on_h100():
    assert physics.accelerator_j_per_flop("h100-sxm", "fp8") == pytest.approx(700 / 1978.9e12)


def test_board_table_skips_chips_without_power_and_cites_both_sources():
    rows = physics.board_table()
    assert not any(r.accelerator.startswith("tpu") for r in rows)  # Google publishes no chip power
    for r in rows:
        assert r.j_per_flop == pytest.approx(r.tdp_w / r.peak_flops)
        assert all(s in bib_entries() for s in r.sources)


def test_cmos_limit_is_one_over_4_7e15():
    assert physics.cmos_limit_j_per_flop() == pytest.approx(1 / 4.7e15)


def test_zero_flops_is_rejected():
    with pytest.raises(ValueError, match="flops"):
        physics.energy_per_flop_j(700.0, 0.0)


# ---- moving bits --------------------------------------------------------------------------------------
def test_keckler_wire_figure_reproduces_their_310_pj_for_256_bits_over_10_mm():
    assert 256 * physics.wire_energy_j(10.0) == pytest.approx(310e-12, rel=0.01)


def test_wire_energy_per_transition_is_240_fj_per_bit_mm():
    assert physics.wire_energy_j(1.0, "wire_40nm_pj_per_bit_mm") == pytest.approx(240e-15)


def test_negative_wire_length_is_rejected():
    with pytest.raises(ValueError, match="length_mm"):
        physics.wire_energy_j(-1.0)


def test_wire_energy_needs_a_per_mm_figure():
    with pytest.raises(ValueError, match="per bit per mm"):
        physics.wire_energy_j(1.0, "hbm2_pj_per_bit")


def test_unknown_constant_lists_known_ones():
    with pytest.raises(UnknownNameError, match="hbm2_pj_per_bit"):
        physics.constant("hbm9_pj_per_bit")


def test_pj_units_convert_to_joules():
    assert physics.constant("hbm2_pj_per_bit").joules == pytest.approx(3.97e-12)
    with pytest.raises(ValueError, match="not an energy"):
        _ = physics.constant("brain_power_w").joules


def test_ladder_is_sorted_and_every_rung_is_sourced():
    rungs = physics.ladder()
    assert [r.energy_j for r in rungs] == sorted(r.energy_j for r in rungs)
    assert rungs[0].kind == "limit" and rungs[0].energy_j == pytest.approx(2.87e-21, rel=1e-3)
    assert all(r.source in bib_entries() for r in rungs)
    ddr = next(r for r in rungs if "DDR" in r.label)
    assert ddr.energy_j == pytest.approx(1.3e-9 / 64)  # Horowitz: 1.3 nJ per 64-bit access


# ---- one ledger -----------------------------------------------------------------------------------
def test_physics_keeps_no_second_ledger_and_chapter_4_reads_the_claims():
    # Issue 14 item 10: a claim and its verdict live only in analysis.claims.
    assert not hasattr(physics, "SOURCE_CLAIMS") and not hasattr(physics, "verdicts")
    nb = (ROOT / "chapters" / "06-physics.ipynb").read_text()
    assert "physics.verdicts" not in nb and "SOURCE_CLAIMS" not in nb
    assert "claims.by_topic()" in nb


def test_physics_claims_against_published_figures():
    assert claims.get("C20").value == pytest.approx(
        80e9 / 8.14 / 1e10 * 1e10
    )  # GH100 80e9 / 814 mm²
    assert claims.get("C25").value == pytest.approx(1000 / 9e15)  # B200: 1 kW / 9 PFLOP/s fp4 dense
    # C24: 2e-18 J is 697x kT ln 2 at 300 K (no physical floor); its value is the room GH100 leaves
    # above it: 700 W / (80e9 transistors x 1.98 GHz) = 4.42e-18 J per switch at activity 1, 2.2x.
    c24 = claims.get("C24")
    assert f"{2e-18 / (1.380649e-23 * 300 * math.log(2)):.0f}x kT ln 2" in c24.why
    assert c24.value == pytest.approx(700 / (80e9 * 1.98e9) / 2e-18)
    at_01 = next(x for x in c24.sensitivity if x.assumption == "activity").value_low
    assert at_01 == pytest.approx(700 / (0.1 * 80e9 * 1.98e9) / 2e-18)
    # C26: a bit 'from RAM' is a DRAM access, 3.97 pJ/bit for HBM2 (O'Connor et al. 2017): the
    # source's 1e-12 J reads it about 4x low, beyond the sqrt(10) band.
    c26 = claims.get("C26")
    assert c26.value == pytest.approx(3.97e-12) and c26.verdict == "understated"
    ddr = next(x for x in c26.sensitivity if x.assumption == "memory").value_high
    assert ddr == pytest.approx(1.3e-9 / 64)  # Horowitz: 1.3 nJ per 64-bit DDR access


def test_c25_does_not_depend_on_precision_at_board_level():
    c25 = claims.get("C25")
    prec = next(x for x in c25.sensitivity if x.assumption == "precision")
    # B200 at 1 kW: dense fp4 9 PFLOP/s, fp8 4.5, bf16 2.25 (NVIDIA HGX B200 datasheet, dense)
    assert prec.values == pytest.approx([1000 / 9e15, 1000 / 4.5e15, 1000 / 2.25e15])
    assert {v for _, _, v in prec.points} == {"understated"}
    assert c25.verdict == "understated"


def test_cmos_gap_is_shown_only_like_with_like():
    for r in physics.board_table():
        if r.dtype == "fp4":
            assert r.gap_to_cmos_limit == pytest.approx(r.j_per_flop * 4.7e15)
        else:
            assert r.gap_to_cmos_limit is None


# ---- energy per token (top-down) ------------------------------------------------------------------
def test_energy_crossover_is_chapter_1s_critical_batch():
    assert energy.CROSSOVER_RATIO == 1
    # H100 SXM: 989.4 TFLOP/s bf16 dense, 3.35 TB/s, 2 bytes per weight (datasheet)
    assert energy.energy_crossover_batch("h100-sxm", "bf16") == pytest.approx(
        989.4e12 * 2 / (2 * 3.35e12)
    )


def test_llama3_8b_token_energy_at_batch_1_from_published_sizes():
    # Llama 3 8B: 8.03e9 parameters (model card), bf16 -> 16.06 GB read per token at batch 1;
    # memory-bound, so the step lasts 16.06 GB / 3.35 TB/s and the board draws 700 W for it.
    t = energy.energy_per_token("llama-3-8b", "h100-sxm", 1, 0, bound=True)
    assert t.total_j == pytest.approx(700 * 8.03e9 * 2 / 3.35e12, rel=2e-3)
    assert t.memory_share > 0.99


def test_llama3_8b_token_energy_at_batch_1_with_the_serving_step():
    # The same bytes at the serving model's achievable bandwidth: the H100's measured copy
    # fraction 0.866 (serving_results.yaml) x the calibrated whole-step share, plus the
    # fixed step overhead 0.2 ms and 32 calibrated layer overheads; 700 W for all of it.
    eng = serving.engine()
    step = 8.03e9 * 2 / (0.866 * eng.bandwidth_scale * 3.35e12) + 2.0e-4 + 32 * eng.layer_overhead_s
    t = energy.energy_per_token("llama-3-8b", "h100-sxm", 1, 0)
    assert t.step_s == pytest.approx(step, rel=3e-3)
    assert t.total_j == pytest.approx(700 * step, rel=3e-3)
    assert t.total_j > energy.energy_per_token("llama-3-8b", "h100-sxm", 1, 0, bound=True).total_j


def test_llama3_8b_at_batch_64_beside_ml_energy():
    # Weights 16.06 GB + 64 sequences x 1,025 positions x 131,072 B of KV (32 layers x 8 KV heads
    # x 128 x 2 (K, V) x 2 B), at 3.35 TB/s, 700 W, shared by 64 tokens.
    kv = 64 * 1025 * 131072
    expected = 700 * (8.03e9 * 2 + kv) / 3.35e12 / 64
    t = energy.energy_per_token("llama-3-8b", "h100-sxm", 64, 1024, bound=True)
    assert t.total_j == pytest.approx(expected, rel=2e-3)
    v3 = next(v for v in energy.validate() if "v3" in v.point.key)
    assert v3.bound_j == pytest.approx(expected, rel=2e-3)
    assert v3.predicted_j > v3.bound_j
    assert v3.ratio == pytest.approx(0.12 / v3.predicted_j)  # ML.ENERGY v3.0: 0.12 J measured


def test_memory_share_is_one_half_at_the_critical_batch_without_kv():
    # Weights dominate: bytes 2 N per step (+ each token's own new KV, 131,072 B), FLOPs 2 N per
    # token (+ one attended position); near-equal times at B = F b_w / (2 W).
    spec = energy.models.get("llama-3-8b")
    n = energy.roofline.matmul_params(spec)
    b = 989.4e12 * 2 / (2 * 3.35e12)
    t_mem = (spec.weight_bytes("bf16") + b * 131072) / 3.35e12
    t_flop = b * (2 * n + energy.roofline.attention_flops_per_position(spec)) / 989.4e12
    t = energy.energy_per_token("llama-3-8b", "h100-sxm", b, 0, bound=True)
    assert t.memory_share == pytest.approx(t_mem / (t_mem + t_flop))
    assert 0.45 < t.memory_share < 0.55


def test_kv_cache_keeps_energy_per_token_from_amortizing():
    short = energy.energy_per_token("llama-3-8b", "h100-sxm", 4096.0, 0, bound=True)
    long = energy.energy_per_token("llama-3-8b", "h100-sxm", 4096.0, 32768, bound=True)
    # memory-bound at 32K: each token pays its own 32,769 positions x 131,072 B at 3.35 TB/s
    per_token_kv_s = 32769 * 131072 / 3.35e12
    assert long.total_j > 700 * per_token_kv_s > short.total_j


def test_board_power_override_scales_energy():
    full = energy.energy_per_token("llama-3-8b", "h100-sxm", 8, 1024)
    half = energy.energy_per_token("llama-3-8b", "h100-sxm", 8, 1024, power_w=350.0)
    assert half.total_j == pytest.approx(full.total_j / 2)
    assert full.power_w == 700


def test_batch_below_one_is_rejected():
    with pytest.raises(ValueError, match="batch"):
        energy.energy_per_token("llama-3-8b", "h100-sxm", 0, 0)


def test_measured_points_are_sourced():
    pts = energy.measured_points()
    assert pts and all(p.source in bib_entries() for p in pts)
    quoted = [p for p in pts if p.power_w is None]
    assert {p.j_per_token for p in quoted} == {0.12, 0.20}


def test_digitized_ml_energy_points_agree_with_the_text_and_with_power_over_throughput():
    pts = {(p.model, p.batch): p for p in energy.digitized_points()}
    # the post's text: Llama 3.1 8B at batch 64 on H100, V3, 0.12 J per token
    assert pts[("llama-3.1-8b", 64)].j_per_token == pytest.approx(0.12, rel=0.01)
    # three figures read independently: energy per token = power / throughput at every point
    for p in pts.values():
        assert p.j_per_token == pytest.approx(p.power_w / p.output_tokens_per_s, rel=0.02), p.key
    assert min(b for _, b in pts) <= 16 and max(b for _, b in pts) >= 512
    assert {p.n_gpus for p in pts.values()} == {1, 4, 8}


def test_energy_validation_splits_into_power_and_time():
    # measured / predicted = (measured power / TDP) x (measured time / predicted time), within
    # the 2% to which the digitized energy equals the digitized power over throughput
    for v in energy.validate(input_tokens=512):
        if v.point.power_w is None:
            continue
        assert v.ratio == pytest.approx(v.power_ratio * v.time_ratio, rel=0.02)
        assert v.batch <= v.point.batch
        assert v.context == 512 + round(717 / 2)

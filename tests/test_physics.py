"""Chapter 4 physics: checked against published values and hand arithmetic, never the code itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from sympy.physics import units as u

from analysis import energy, physics
from analysis.errors import UnknownNameError
from analysis.sources import bib_entries


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


# ---- verdicts -------------------------------------------------------------------------------------
def test_verdicts_cover_the_six_figures_with_sources():
    vs = {v.key: v for v in physics.verdicts()}
    assert set(vs) == set(physics.SOURCE_CLAIMS)
    for v in vs.values():
        assert v.sources[0] == "source-text" and all(s in bib_entries() for s in v.sources)
        assert v.verdict and v.assumption and v.flips_if
    assert vs["density_4n_per_cm2"].ratio == pytest.approx(80e9 / 8.14 / 1e10)
    assert vs["flop_doable_j"].computed == pytest.approx(1000 / 9e15)  # B200: 1 kW / 9 PFLOP/s fp4
    assert vs["bit_1cm_j"].computed == pytest.approx(1.21e-12)
    assert vs["switch_limit_j"].computed == pytest.approx(
        2e-18 / (1.380649e-23 * 300 * math.log(2))
    )


# ---- energy per token ------------------------------------------------------------------------------
def test_crossover_ratio_is_hbm_streaming_power_over_board_power():
    expected = 8 * energy.W * energy.e_bit / energy.P_board
    assert sp.simplify(energy.CROSSOVER_RATIO - expected) == 0


def test_h100_energy_crossover_batch_by_hand():
    # 8 bits x 3.97 pJ x 2 bytes / (2 FLOP x 700 W / 989.4 TFLOP/s)
    expected = 8 * 3.97e-12 * 2 / (2 * 700 / 989.4e12)
    assert energy.energy_crossover_batch("h100-sxm", "bf16") == pytest.approx(expected)
    assert energy.hbm_streaming_power_w("h100-sxm") == pytest.approx(8 * 3.97e-12 * 3.35e12)
    ratio = energy.hbm_streaming_power_w("h100-sxm") / 700
    time_batch = 989.4e12 * 2 / (2 * 3.35e12)
    assert energy.energy_crossover_batch("h100-sxm") == pytest.approx(ratio * time_batch)


def test_llama3_8b_token_energy_at_batch_1_from_published_sizes():
    # Llama 3 8B: 8.03e9 parameters (model card), bf16 -> ~16.06 GB read per token at batch 1.
    t = energy.energy_per_token("llama-3-8b", "h100-sxm", 1, 0)
    assert t.memory_j == pytest.approx(8.03e9 * 2 * 8 * 3.97e-12, rel=2e-3)
    assert t.compute_j == pytest.approx(
        2 * 7.5e9 * 700 / 989.4e12, rel=0.01
    )  # ~7.5e9 matmul params
    assert t.memory_share > 0.95


def test_memory_energy_amortizes_with_batch_and_compute_does_not():
    t = energy.energy_per_token("llama-3-70b", "h100-sxm", np.array([1.0, 2.0, 1024.0]), 0)
    assert t.memory_j[0] / t.memory_j[1] == pytest.approx(2.0, rel=1e-3)
    assert t.compute_j[0] == pytest.approx(t.compute_j[2])
    assert t.memory_share[2] < 0.5 < t.memory_share[0]


def test_kv_cache_adds_energy_that_batch_cannot_amortize():
    short = energy.energy_per_token("llama-3-8b", "h100-sxm", 4096.0, 0)
    long = energy.energy_per_token("llama-3-8b", "h100-sxm", 4096.0, 32768)
    # Llama 3 8B caches 2 (K, V) x 32 layers x 8 KV heads x 128 x 2 B = 131,072 B per position
    extra = 32768 * 131072 * 8 * 3.97e-12
    assert long.memory_j - short.memory_j == pytest.approx(extra, rel=1e-9)


def test_time_bound_is_tdp_times_roofline_time():
    t = energy.energy_per_token("llama-3-8b", "h100-sxm", 1, 0)
    assert t.time_bound_j == pytest.approx(700 * t.bytes_per_token / 3.35e12)


def test_batch_below_one_is_rejected():
    with pytest.raises(ValueError, match="batch"):
        energy.energy_per_token("llama-3-8b", "h100-sxm", 0, 0)


def test_measured_points_are_sourced():
    pts = energy.measured_points()
    assert pts and all(p.source in bib_entries() for p in pts)
    assert {p.j_per_token for p in pts} == {0.12, 0.20}

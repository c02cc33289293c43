"""Chapter 3 pricing: laws against hand arithmetic and published figures, and clear errors."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from analysis import prices, pricing
from analysis.pricing import Deployment

QWEN = Deployment.of("qwen2.5-72b", "h100-sxm", 8)


def test_source_example_intended_reading_gives_one_percent():
    # "KV cache is 10% of RAM, alu_ratio 1000:1 -> 1%": ((0.1 + 0.9) / 0.1) / 1000 = 0.01.
    assert pricing.source_formula(0.1, 0.9, 1000) == pytest.approx(0.01)
    # As printed, (0.1 + 0.9 / 0.1) / 1000 = 9.1 / 1000, and it changes with the unit of RAM.
    assert pricing.source_formula(0.1, 0.9, 1000, as_printed=True) == pytest.approx(0.0091)
    assert pricing.source_formula(8e9, 72e9, 1000, as_printed=True) == pytest.approx(
        (8e9 + 9) / 1000
    )
    assert pricing.source_formula(8e9, 72e9, 1000) == pytest.approx(0.01)


def test_thirty_percent_infill_over_one_percent_is_thirty():
    assert pricing.ratio_from_utilizations(0.30, 0.01) == pytest.approx(30.0)


def test_source_formula_is_the_mha_bf16_ceiling():
    diff = pricing.CEILING_IN_SOURCE_TERMS - pricing.SOURCE_INTENDED
    assert sp.simplify(diff) == 0


def test_decode_step_reads_all_memory_when_full():
    # P = (1 - s) M and B = s M / (k L) give P + B k L = M.
    full = pricing.DECODE_BYTES.subs(pricing._FULL)
    assert sp.simplify(full - pricing.M) == 0


def test_memory_bound_ratio_hand_form():
    u_p, R, k, L, s, N, a = (
        pricing.u_p,
        pricing.R,
        pricing.k,
        pricing.L,
        pricing.s,
        pricing.N,
        pricing.a,
    )
    phi_in = 2 * N + a * (L + 1) / 2
    assert sp.simplify(pricing.COST_RATIO_MEMORY_BOUND - u_p * R * k * L / (s * phi_in)) == 0


def test_max_batch_hand_arithmetic():
    # Qwen2.5-72B: 80 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 327,680 B/token (HF config).
    assert QWEN.model.kv_bytes_per_token("bf16") == 327_680
    kv = 327_680 * 8192
    # 8 x H100 SXM "80 GB" = 8 x 80 GiB of HBM
    assert QWEN.max_batch(8192) == math.floor((8 * 80 * 2**30 - QWEN.weight_bytes) / kv)


def test_h100_ridge_matches_scaling_book():
    # jax-ml scaling book: 9.89e14 / 3.35e12 ~ 295 FLOP/byte for the H100 SXM in bf16.
    assert Deployment.of("llama-3-8b", "h100-sxm").ridge == pytest.approx(295, rel=0.01)


def test_memory_bound_decode_step_is_memory_over_bandwidth():
    cost = pricing.decode_cost(QWEN, 2.0, 32_768)
    assert cost.bound == "memory"
    step_bytes = QWEN.weight_bytes + cost.batch * QWEN.kv_bytes_per_sequence(32_768)
    assert cost.step_s == pytest.approx(step_bytes / (8 * 3.35e12))
    # Rent of 8 GPUs at $2/h for one step, shared by the batch's tokens.
    assert cost.usd_per_token == pytest.approx(8 * 2.0 / 3600 * cost.step_s / cost.batch)


def test_long_prefill_is_compute_bound_at_the_peak():
    cost = pricing.prefill_cost(QWEN, 2.0, 8192)
    assert cost.bound == "compute" and cost.utilization == pytest.approx(1.0)


def test_numbers_follow_the_law():
    ctx = 32_768
    v = pricing.law_inputs(QWEN)
    # The law takes memory as full; with the floor() batch, "memory" is what is actually used.
    kv = QWEN.max_batch(ctx) * QWEN.kv_bytes_per_sequence(ctx)
    s_used = kv / (kv + QWEN.weight_bytes)
    law = pricing.decode_utilization_memory_bound(s_used, v["N"], v["a"], v["k"], ctx, v["R"])
    assert pricing.decode_cost(QWEN, 1.0, ctx).utilization == pytest.approx(law, rel=1e-9)
    # and with the whole memory as M, the floor costs at most one sequence's share
    full = pricing.decode_utilization_memory_bound(
        QWEN.kv_share(ctx), v["N"], v["a"], v["k"], ctx, v["R"]
    )
    assert full == pytest.approx(law, rel=1 / QWEN.max_batch(ctx))


def test_ratio_is_independent_of_rent():
    a = (
        pricing.decode_cost(QWEN, 2.0, 16_384).usd_per_token
        / pricing.prefill_cost(QWEN, 2.0, 16_384).usd_per_token
    )
    b = (
        pricing.decode_cost(QWEN, 9.0, 16_384).usd_per_token
        / pricing.prefill_cost(QWEN, 9.0, 16_384).usd_per_token
    )
    assert a == pytest.approx(b) == pytest.approx(pricing.cost_ratio(QWEN, 16_384))


def test_ratio_rises_with_context():
    ratios = [pricing.cost_ratio(QWEN, n) for n in (2048, 8192, 32_768, 131_072)]
    assert all(x < y for x, y in zip(ratios, ratios[1:], strict=False))


@given(st.floats(0.01, 1.0), st.floats(1.0, 100.0))
def test_implied_utilization_inverts_the_ratio(u_p, ratio):
    u_d = pricing.implied_decode_utilization(ratio, u_p)
    assert pricing.ratio_from_utilizations(u_p, u_d) == pytest.approx(ratio)


def test_price_rows_have_dates_sources_and_ratios():
    s = pricing.ratio_summary()
    assert s.n_rows == len(prices.api_prices())
    # gpt-3.5-turbo launched at one rate: $0.002/1K for prompt and completion.
    assert s.lowest == pytest.approx(1.0)
    # Claude 3 Opus: $15 in, $75 out.
    assert prices.price("claude-3-opus-20240229").output_input_ratio == pytest.approx(5.0)
    assert s.lowest <= s.median <= s.highest


def test_rental_rows_sorted_and_known():
    rows = pricing.rental_rows("h100-sxm")
    assert [r["usd_per_gpu_hour"] for r in rows] == sorted(r["usd_per_gpu_hour"] for r in rows)
    # AWS p5.48xlarge: $98.32/h for 8 GPUs = $12.29/GPU-h.
    assert max(r["usd_per_gpu_hour"] for r in rows) == pytest.approx(98.32 / 8, abs=0.01)


def test_cache_rule_by_date():
    import datetime as dt

    assert pricing.cache_rule("OpenAI", dt.date(2024, 10, 1))["cached_input_fraction"] == 0.5
    assert pricing.cache_rule("Anthropic")["cache_write_fraction"] == 1.25


# ---- errors -------------------------------------------------------------------------------------
def test_context_longer_than_window():
    dep = Deployment.of("llama-3-70b", "h100-sxm", 8)
    with pytest.raises(ValueError, match="exceeds llama-3-70b's context window of 8,192"):
        pricing.decode_cost(dep, 2.0, 16_384)


def test_weights_that_do_not_fit():
    with pytest.raises(ValueError, match="do not fit.*n_gpus >= 2"):
        Deployment.of("llama-3-70b", "h100-sxm", 1)


def test_context_whose_kv_does_not_fit():
    dep = Deployment.of("llama-3.1-405b", "h100-sxm", 8, weight_dtype="fp8", compute_dtype="fp8")
    with pytest.raises(ValueError, match="less than one instance's KV cache"):
        Deployment.of("qwen2.5-72b", "h100-sxm", 2).max_batch(131_072)
    assert dep.max_batch(131_072) >= 1


@pytest.mark.parametrize("bad", [-2.0, 0.0, float("nan")])
def test_bad_rent(bad):
    with pytest.raises(ValueError, match="usd_per_gpu_hour"):
        pricing.decode_cost(QWEN, bad, 1024)


def test_bad_efficiency_and_batch():
    with pytest.raises(ValueError, match="efficiency"):
        pricing.prefill_cost(QWEN, 2.0, 1024, efficiency=1.5)
    with pytest.raises(ValueError, match="does not fit"):
        pricing.decode_cost(QWEN, 2.0, 131_072, batch=10_000)
    with pytest.raises(ValueError, match="n_gpus"):
        Deployment.of("llama-3-8b", "h100-sxm", 0)


def test_bad_dtype_and_names():
    with pytest.raises(ValueError, match="allowed"):
        Deployment.of("llama-3-8b", "h100-sxm", 1, weight_dtype="fp3")
    with pytest.raises(LookupError, match="known"):
        pricing.rental_rows("h900")
    with pytest.raises(ValueError, match="price_ratio"):
        pricing.implied_decode_utilization(-3, 0.4)


def test_context_for_ratio_brackets_the_ratio():
    n = pricing.context_for_ratio(QWEN, 5.0)
    assert pricing.cost_ratio(QWEN, n) >= 5.0 > pricing.cost_ratio(QWEN, n - 1)
    assert pricing.context_for_ratio(QWEN, 1e6) is None

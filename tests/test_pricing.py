"""Chapter 5 pricing: laws against hand arithmetic and published figures, and clear errors."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from analysis import prices, pricing, serving
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
    cost = pricing.decode_cost(QWEN, 2.0, 32_768, bound=True)
    assert cost.bound == "memory"
    step_bytes = QWEN.weight_bytes + cost.batch * QWEN.kv_bytes_per_sequence(32_768)
    assert cost.step_s == pytest.approx(step_bytes / (8 * 3.35e12))
    # Rent of 8 GPUs at $2/h for one step, shared by the batch's tokens.
    assert cost.usd_per_token == pytest.approx(8 * 2.0 / 3600 * cost.step_s / cost.batch)


def test_decode_step_comes_from_the_serving_model():
    # The same bytes at the achievable bandwidth (the H100's measured copy fraction 0.866 x the
    # calibrated whole-step share: serving_results.yaml), plus per layer two
    # ring all-reduces of the batch's bf16 activations over NVLink 4 (450 GB/s per direction,
    # 3 us per hop, 8 GPUs), the 0.2 ms step overhead and 80 calibrated layer overheads.
    eng = serving.engine()
    cost = pricing.decode_cost(QWEN, 2.0, 32_768)
    step_bytes = QWEN.weight_bytes + cost.batch * QWEN.kv_bytes_per_sequence(32_768)
    act = cost.batch * 8192 * 2
    allreduce = 2 * 7 / 8 * act / 450e9 + 8 * 3e-6
    step = (
        step_bytes / (8 * 0.866 * eng.bandwidth_scale * 3.35e12)
        + 80 * 2 * allreduce
        + 2.0e-4
        + 80 * eng.layer_overhead_s
    )
    assert cost.bound == "memory"
    assert cost.step_s == pytest.approx(step, rel=2e-3)
    assert cost.step_s > pricing.decode_cost(QWEN, 2.0, 32_768, bound=True).step_s


def test_long_prefill_is_compute_bound_at_the_peak():
    cost = pricing.prefill_cost(QWEN, 2.0, 8192, bound=True)
    assert cost.bound == "compute" and cost.utilization == pytest.approx(1.0)
    # with the serving step: the FLOPs at the H100's bf16 GEMM fraction 0.803 x the calibrated share,
    # plus per layer two ring all-reduces of every prompt token's bf16 activations over NVLink 4
    # (450 GB/s per direction, 3 us per hop, 8 GPUs), the step overhead and 80 layer overheads
    real = pricing.prefill_cost(QWEN, 2.0, 8192)
    eng = serving.engine()
    act = real.tokens_per_step * 8192 * 2
    step = (
        real.flops / (8 * 989.4e12 * 0.803 * eng.flops_scale)
        + 80 * 2 * (2 * 7 / 8 * act / 450e9 + 8 * 3e-6)
        + 2.0e-4
        + 80 * eng.layer_overhead_s
    )
    assert real.bound == "compute"
    assert real.step_s == pytest.approx(step, rel=2e-3)
    assert real.utilization < 0.803 * eng.flops_scale  # the all-reduces cost a share on top


def test_numbers_follow_the_law():
    ctx = 32_768
    v = pricing.law_inputs(QWEN)
    # The law takes memory as full; with the floor() batch, "memory" is what is actually used.
    kv = QWEN.max_batch(ctx) * QWEN.kv_bytes_per_sequence(ctx)
    s_used = kv / (kv + QWEN.weight_bytes)
    law = pricing.decode_utilization_memory_bound(s_used, v["N"], v["a"], v["k"], ctx, v["R"])
    assert pricing.decode_cost(QWEN, 1.0, ctx, bound=True).utilization == pytest.approx(
        law, rel=1e-9
    )
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
    assert s.n_rows == len([r for r in prices.api_prices() if r.tier == "standard"])
    assert pricing.ratio_summary(tiers=None).n_rows == len(prices.api_prices())
    # gpt-3.5-turbo launched at one rate: $0.002/1K for prompt and completion.
    assert s.lowest == pytest.approx(1.0)
    # Claude 3 Opus: $15 in, $75 out.
    assert prices.price("claude-3-opus-20240229").output_input_ratio == pytest.approx(5.0)
    assert s.lowest <= s.median <= s.highest


def test_rental_rows_sorted_and_known():
    rows = prices.rental_rows("h100-sxm")
    assert [r.usd_per_gpu_hour for r in rows] == sorted(r.usd_per_gpu_hour for r in rows)
    # AWS p5.48xlarge: $98.32/h for 8 GPUs = $12.29/GPU-h.
    assert max(r.usd_per_gpu_hour for r in rows) == pytest.approx(98.32 / 8, abs=0.01)
    assert {"h100-sxm", "h200", "b200", "mi300x"} <= set(prices.rented_gpus())


def test_current_rental_rows_as_transcribed():
    # runpod.io/pricing as transcribed 2026-09-25: H200 Community Cloud $3.59, B200 $5.98 per GPU-h;
    # lambda.ai: 1x B200 SXM6 $6.99.
    by = {(r.gpu, r.provider, r.usd_per_gpu_hour) for r in prices.rental_rows()}
    assert {("h200", "RunPod", 3.59), ("b200", "RunPod", 5.98), ("b200", "Lambda", 6.99)} <= by
    assert all(r.date.year >= 2026 for r in prices.rental_rows("b200"))


def test_cache_rule_by_date():
    import datetime as dt

    assert prices.cache_rule("OpenAI", dt.date(2024, 10, 1)).cached_input_fraction == 0.5
    assert prices.cache_rule("Anthropic").cache_write_fraction == 1.25


def test_anthropic_one_hour_cache_write_is_twice_input():
    # Anthropic's pricing table: Claude Sonnet 4 base input $3, 5m cache write $3.75, 1h write $6.
    five, hour = (
        prices.cache_rule("Anthropic", ttl_s=300),
        prices.cache_rule("Anthropic", ttl_s=3600),
    )
    assert (five.cache_write_fraction, hour.cache_write_fraction) == (1.25, 2.0)
    assert hour.cached_input_fraction == five.cached_input_fraction == 0.1
    assert 3.0 * hour.cache_write_fraction == 6.0
    with pytest.raises(ValueError, match="ttl_s"):
        prices.cache_rule("OpenAI", ttl_s=3600)


def test_dates_accept_iso_strings_or_refuse_clearly():
    import datetime as dt

    # Issue 15: both used to raise a raw TypeError (a date compared with a string).
    assert prices.price("gpt-4-turbo", "2024-01-01") == prices.price("gpt-4-turbo")
    assert prices.cache_rule("OpenAI", "2024-10-01").cached_input_fraction == 0.5
    for bad in ("01/01/2024", "", 20240101, 1.5):
        with pytest.raises(ValueError, match="ISO date"):
            prices.price("gpt-4-turbo", bad)
    with pytest.raises(ValueError, match="not a datetime"):
        prices.cache_rule("OpenAI", dt.datetime(2024, 10, 1, 12))
    with pytest.raises(ValueError, match="on or before 2023-01-01"):
        prices.price("gpt-4-turbo", "2023-01-01")


def test_catalog_records_are_immutable():
    # Issue 15: editing a rental row changed agents.example_setup()'s rent from 4.916 to 1000.
    import dataclasses

    row = prices.rental_rows("h100-sxm")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.usd_per_gpu_hour = 1000.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        prices.cache_rule("OpenAI").cached_input_fraction = 0.0
    assert isinstance(prices.rental_rows(), tuple)


# ---- exact ratios and tiers (issue 14 item 8) --------------------------------------------------
def test_ratio_exactly_three_counts_inside_the_range():
    # DeepSeek V3.1, 2025-09-05: $0.56 input, $1.68 output. In floats 1.68 / 0.56 is
    # 2.9999999999999996, which a float comparison drops from 3x-10x.
    row = prices.price("deepseek-chat", "2025-09-05")
    assert row.output_usd_per_mtok / row.input_usd_per_mtok < 3  # the float artefact
    assert row.output_input_ratio_exact == 3
    s = pricing.ratio_summary([row], tiers=None)
    assert s.share_in_3_to_10 == 1.0 and s.n_below_3 == 0


def test_ratio_summary_counts_exactly_by_hand():
    rows = [prices.price(m) for m in ("gpt-3.5-turbo", "gpt-4-turbo", "claude-3-opus-20240229")]
    rows.append(prices.price("deepseek-chat", "2025-09-05"))
    s = pricing.ratio_summary(rows)
    # Ratios 1, 3, 5, 3: three inside 3-10x (both 3s count), one below, none at 10.
    assert (s.n_rows, s.n_in_3_to_10, s.n_below_3, s.n_at_or_above_10) == (4, 3, 1, 0)
    assert s.median == 3.0 and s.lowest == 1.0 and s.highest == 5.0


def test_thinking_tier_reaches_ten():
    # Gemini 2.5 Flash preview: $0.15 input; $0.60 output without thinking, $3.50 with it.
    std = prices.price("gemini-2.5-flash-preview-04-17")
    think = prices.price("gemini-2.5-flash-preview-04-17", tier="thinking")
    assert std.output_input_ratio_exact == 4
    assert (
        think.output_input_ratio_exact == pytest.approx(3.50 / 0.15)
        and think.output_input_ratio > 10
    )
    everything = pricing.ratio_summary(tiers=None)
    assert think in everything.at_or_above_10
    assert all(r.tier == "standard" for r in pricing.ratio_summary().at_or_above_10)


def test_long_context_tiers_as_published():
    # Claude Sonnet 4/4.5 above 200K input tokens: $6 / $22.50; Gemini 2.5 Pro: $2.50 / $15.
    for model in ("claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929"):
        r = prices.price(model, tier="long-context")
        assert (r.input_usd_per_mtok, r.output_usd_per_mtok, r.min_prompt_tokens) == (
            6.0,
            22.5,
            200_000,
        )
        assert prices.price(model).output_input_ratio_exact == 5
    g = prices.price("gemini-2.5-pro", tier="long-context")
    assert (g.input_usd_per_mtok, g.output_usd_per_mtok) == (2.5, 15.0)
    with pytest.raises(ValueError, match="tiers: standard"):
        prices.price("gpt-4-turbo", tier="long-context")


def test_current_rows_as_published():
    # o3 after the 2025-06-10 cut: $2 / $8 (from $10 / $40); GPT-5: $1.25 / $10, cached $0.125;
    # Claude Opus 4.5: $5 / $25; Haiku 4.5: $1 / $5; Kimi K2: $0.60 miss, $0.15 hit, $2.50 out.
    assert prices.price("o3", "2025-06-09").input_usd_per_mtok == 10.0
    assert (prices.price("o3").input_usd_per_mtok, prices.price("o3").output_usd_per_mtok) == (
        2.0,
        8.0,
    )
    g5 = prices.price("gpt-5")
    assert (g5.input_usd_per_mtok, g5.output_usd_per_mtok, g5.cached_fraction) == (1.25, 10.0, 0.1)
    assert prices.price("claude-opus-4-5-20251101").output_input_ratio_exact == 5
    assert prices.price("claude-haiku-4-5-20251001").input_usd_per_mtok == 1.0
    k2 = prices.price("kimi-k2-0711-preview")
    assert (k2.input_usd_per_mtok, k2.cached_input_usd_per_mtok, k2.output_usd_per_mtok) == (
        0.6,
        0.15,
        2.5,
    )


def test_data_as_of_is_the_newest_row():
    newest = max(
        [r.date for r in prices.api_prices()]
        + [r.date for r in prices.rental_rows()]
        + [r.date for r in prices.cache_rules()]
    )
    assert prices.data_as_of() == newest
    assert prices.data_as_of("api") == max(r.date for r in prices.api_prices())
    with pytest.raises(LookupError, match="rental"):
        prices.data_as_of("bogus")


def test_bad_tiers():
    with pytest.raises(ValueError, match="tiers"):
        pricing.ratio_summary(tiers=("premium",))
    with pytest.raises(ValueError, match="tier 'premium' unknown"):
        prices.price("gpt-5", tier="premium")


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


def test_bad_bound_and_batch():
    with pytest.raises(TypeError, match="bound"):
        pricing.prefill_cost(QWEN, 2.0, 1024, bound=1.5)
    with pytest.raises(ValueError, match="does not fit"):
        pricing.decode_cost(QWEN, 2.0, 131_072, batch=10_000)
    with pytest.raises(ValueError, match="n_gpus"):
        Deployment.of("llama-3-8b", "h100-sxm", 0)


def test_bad_dtype_and_names():
    with pytest.raises(ValueError, match="allowed"):
        Deployment.of("llama-3-8b", "h100-sxm", 1, weight_dtype="fp3")
    with pytest.raises(LookupError, match="known"):
        prices.rental_rows("h900")
    with pytest.raises(ValueError, match="price_ratio"):
        pricing.implied_decode_utilization(-3, 0.4)
    with pytest.raises(ValueError, match="implies a decode utilization"):
        pricing.implied_decode_utilization(0.5, 0.6)  # issue 15: returned 1.2
    with pytest.raises(ValueError, match="n_matmul_params"):
        pricing.ratio_from_utilizations(0.6, 0.1, n_matmul_params=0)
    with pytest.raises(ValueError, match="context_tokens"):
        pricing.ratio_from_utilizations(0.6, 0.1, context_tokens=-5)


def test_context_for_ratio_brackets_the_ratio():
    n = pricing.context_for_ratio(QWEN, 5.0)
    assert pricing.cost_ratio(QWEN, n) >= 5.0 > pricing.cost_ratio(QWEN, n - 1)
    assert pricing.context_for_ratio(QWEN, 1e6) is None

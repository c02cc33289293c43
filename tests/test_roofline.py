"""Chapter 1 derivations against published anchors and hand-checkable arithmetic."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import sympy as sp

from analysis import hardware, models, roofline, sources
from analysis.errors import UnknownDTypeError
from analysis.measure import compare, results

H100 = hardware.get("h100-sxm")
A100 = hardware.get("a100-sxm")


# ---- published anchors ------------------------------------------------------------------------
def test_h100_ridge_matches_scaling_book():
    # JAX scaling book: 9.89e14 / 3.35e12 ~ 295 FLOP/byte for bf16 on H100.
    assert H100.critical_intensity("bf16") == pytest.approx(295, abs=0.5)
    # bf16 weights (2 bytes): the critical batch equals the ridge.
    assert roofline.accelerator_critical_batch(H100, "bf16") == pytest.approx(295.34, abs=0.01)


def test_a100_ridge():
    # 312 TFLOP/s over 2.039 TB/s ~ 153 FLOP/byte.
    assert roofline.accelerator_critical_batch(A100, "bf16") == pytest.approx(153.0, abs=0.05)


def test_kipply_a100_at_1_5_tbps():
    # kipply's "Transformer inference arithmetic": 312e12 / 1.5e12 = 208.
    assert roofline.critical_batch(312e12, 1.5e12, "bf16") == pytest.approx(208.0)


def test_int8_weights_halve_the_critical_batch():
    bf16 = roofline.accelerator_critical_batch(H100, "bf16")
    assert roofline.accelerator_critical_batch(H100, "bf16", "int8") == pytest.approx(bf16 / 2)
    assert roofline.accelerator_critical_batch(H100, "bf16", "int4") == pytest.approx(bf16 / 4)


def test_k_cases_h100():
    cases = {(c.compute_dtype, c.weight_dtype, c.sparse): c for c in roofline.k_cases("h100-sxm")}
    fp8 = cases[("fp8", "fp8", False)]
    assert fp8.ridge_flop_per_byte == pytest.approx(1978.9 / 3.35)  # ~590.7 FLOP/byte
    assert fp8.critical_batch == pytest.approx(1978.9 / 3.35 / 2)  # 1 byte/weight, 2 FLOP/weight
    assert cases[("fp8", "int4", False)].critical_batch == pytest.approx(1978.9 / 3.35 / 4)
    sparse = cases[("fp8", "fp8", True)]
    assert sparse.ridge_flop_per_byte == pytest.approx(2 * 1978.9 / 3.35)  # ~1181: the "1000"
    assert sparse.critical_batch == pytest.approx(fp8.critical_batch * 2)


def test_k_cases_skip_missing_dtypes():
    assert all(c.compute_dtype != "fp8" for c in roofline.k_cases("a100-sxm"))  # Ampere: no fp8


# ---- the sympy laws ---------------------------------------------------------------------------
def test_weights_limit_is_f_bw_over_2w():
    expected = roofline.F * roofline.b_w / (2 * roofline.W)
    assert sp.simplify(roofline.CRITICAL_BATCH_WEIGHTS - expected) == 0
    assert r"\frac{F b_{w}}{2 W}" in roofline.latex(roofline.CRITICAL_BATCH_WEIGHTS)


def test_exact_critical_batch_by_hand():
    # F/W = 10, d = f = 100, 2-byte weights and activations:
    # B = 10*100*100*2 / (2*100*100 - 10*200*2) = 200000 / 16000 = 12.5
    assert roofline.critical_batch(10.0, 1.0, "bf16", 100, 100) == pytest.approx(12.5)
    assert roofline.matmul_intensity(12.5, 100, 100, "bf16", "bf16") == pytest.approx(10.0)


def test_matmul_intensity_by_hand():
    # B=1, d=f=2, fp32: 2*1*2*2 = 8 FLOP over (4*4 + 1*4*4) = 32 bytes -> 0.25
    assert roofline.matmul_intensity(1, 2, 2, "fp32", "fp32") == pytest.approx(0.25)
    by_hand = 2 * roofline.d * roofline.f / ((roofline.d + roofline.f) * roofline.b_a)
    assert sp.simplify(roofline.MATMUL_INTENSITY_CEILING - by_hand) == 0


def test_critical_batch_rejects_unreachable_ridge():
    # fp32 100x100: intensity tends to 2*100*100/(200*4) = 25 FLOP/byte < ridge 1000.
    with pytest.raises(ValueError, match="never reaches the ridge"):
        roofline.critical_batch(1000.0, 1.0, "fp32", 100, 100)
    with pytest.raises(ValueError, match="both d_in and d_out"):
        roofline.critical_batch(10.0, 1.0, "fp32", 100)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "3"])
def test_bad_numbers_rejected(bad):
    with pytest.raises(ValueError):
        roofline.roofline_time_s(1.0, 1.0, bad, 1.0)
    with pytest.raises(ValueError):
        roofline.critical_batch(bad, 1.0, "bf16")


def test_unknown_dtype_rejected():
    with pytest.raises(UnknownDTypeError, match="allowed"):
        roofline.critical_batch(1e12, 1e12, "fp12")


def test_roofline_and_additive_time():
    # 10 FLOP at 5 FLOP/s = 2 s; 3 bytes at 1 B/s = 3 s
    assert roofline.roofline_time_s(10, 3, 5, 1) == 3
    assert roofline.additive_time_s(10, 3, 5, 1) == 5
    assert sp.Max(2, 3) == roofline.ROOFLINE_TIME.subs(
        {roofline.N_flop: 10, roofline.F: 5, roofline.N_byte: 3, roofline.W: 1}
    )


# ---- whole model --------------------------------------------------------------------------------
def test_decode_attention_intensity_is_gqa_group():
    g, b = roofline.g, roofline.b_kv
    assert sp.simplify(roofline.ATTENTION_DECODE_INTENSITY - 2 * g / b) == 0
    # Llama 3 70B: 64 query heads over 8 KV heads; bf16 KV -> 8 FLOP/byte; fp8 KV -> 16.
    m = models.get("llama-3-70b")
    assert roofline.decode_attention_intensity(m, "bf16") == pytest.approx(8.0)
    assert roofline.decode_attention_intensity(m, "fp8") == pytest.approx(16.0)
    assert roofline.decode_attention_intensity(models.get("gpt-3-175b")) == pytest.approx(
        1.0
    )  # MHA


def test_mla_attention_intensity_by_hand():
    # DeepSeek-V3 absorbed MLA: per head 2*(512+64) + 2*512 = 2176 FLOP per position; 128 heads;
    # cache 576 bf16 elements per layer -> 128 * 2176 / 1152 = 241.8 FLOP/byte.
    m = models.get("deepseek-v3")
    assert roofline.decode_attention_intensity(m) == pytest.approx(128 * 2176 / 1152)


def test_decode_at_batch_one_is_about_one_flop_per_byte():
    # bf16: 2 FLOP per multiplied parameter over 2 bytes per stored parameter.
    m = models.get("llama-3-70b")
    step = roofline.forward_step(m, 1, 1, 0)
    assert step.intensity == pytest.approx(roofline.matmul_params(m) / m.n_params, rel=1e-3)
    assert 0.95 < step.intensity < 1.0


def test_forward_step_by_hand():
    # Llama 3 70B decode, B=2, context 10: flops = 2*N*2 + a*2*(10 + 1); bytes = P + 2*k*11
    m = models.get("llama-3-70b")
    n, a = roofline.matmul_params(m), 4 * 80 * 64 * 128
    k = 2 * 80 * 8 * 128 * 2
    step = roofline.forward_step(m, 2, 1, 10)
    assert roofline.attention_flops_per_position(m) == a
    assert step.flops == pytest.approx(2 * n * 2 + a * 2 * 11)
    assert step.bytes == pytest.approx(m.weight_bytes("bf16") + 2 * k * 11)


def test_decode_ceiling_matches_large_batch():
    m = models.get("llama-3-70b")
    ctx = 4096
    ceiling = float(
        roofline.DECODE_INTENSITY_CEILING.subs(
            {
                roofline.N: roofline.matmul_params(m),
                roofline.k: m.kv_bytes_per_token("bf16"),
                roofline.a: roofline.attention_flops_per_position(m),
                roofline.L: ctx,
            }
        )
    )
    assert roofline.forward_step(m, 10**9, 1, ctx).intensity == pytest.approx(ceiling, rel=1e-3)
    assert ceiling < H100.critical_intensity("bf16")  # at 4K context decode never turns FLOP-bound


def test_prefill_is_flop_bound_and_decode_is_not():
    m = models.get("llama-3-70b")
    ridge = H100.critical_intensity("bf16")
    assert roofline.forward_step(m, 1, 4096, 0).intensity > 10 * ridge
    assert roofline.forward_step(m, 64, 1, 4096).intensity < ridge


def test_forward_step_rejects_bad_input():
    m = models.get("llama-3-8b")
    with pytest.raises(ValueError, match="batch"):
        roofline.forward_step(m, 0, 1, 10)
    with pytest.raises(ValueError, match="context"):
        roofline.forward_step(m, 1, 1, -5)
    with pytest.raises(UnknownDTypeError):
        roofline.forward_step(m, 1, 1, 10, kv_dtype="fp7")


# ---- MoE: the experts a step touches --------------------------------------------------------------
def test_experts_touched_by_hand():
    # One token touches exactly its k experts; two tokens of Mixtral (E=8, k=2) touch
    # 8 (1 - (3/4)^2) = 3.5 on average: 2 + 2 x 6/8 by counting the second token's new picks.
    assert roofline.expected_experts_touched(8, 2, 1) == pytest.approx(2.0)
    assert roofline.expected_experts_touched(8, 2, 2) == pytest.approx(2 + 2 * 6 / 8)
    assert roofline.expected_experts_touched(256, 8, 10**6) == pytest.approx(256.0)
    for batch in (1, 3, 17, 100, 5000):
        lo, hi = roofline.experts_touched_bounds(256, 8, batch)
        assert lo <= roofline.expected_experts_touched(256, 8, batch) <= hi
    assert roofline.experts_touched_bounds(256, 8, 3) == (8.0, 24.0)


def test_experts_touched_matches_simulated_uniform_routing():
    # Monte Carlo of the stated assumption (uniform k-subsets per token), independent of the law.
    rng = np.random.default_rng(0)
    e, k, batch = 64, 6, 20
    counts = [
        len({int(x) for _ in range(batch) for x in rng.choice(e, k, replace=False)})
        for _ in range(4000)
    ]
    assert np.mean(counts) == pytest.approx(
        roofline.expected_experts_touched(e, k, batch), rel=0.01
    )


def test_weight_read_complete_batch_by_hand():
    # DeepSeek-V3 (E=256, k=8): 95% of experts at ln(0.05) / ln(1 - 8/256) = 94.4 tokens.
    b95 = roofline.weight_read_complete_batch(256, 8, 0.95)
    assert b95 == pytest.approx(math.log(0.05) / math.log(1 - 8 / 256))
    assert roofline.expected_experts_touched(256, 8, b95) == pytest.approx(0.95 * 256)
    assert roofline.weight_read_complete_batch(8, 8) == 1.0
    with pytest.raises(ValueError, match="fraction"):
        roofline.weight_read_complete_batch(256, 8, 1.0)
    with pytest.raises(ValueError, match="top_k"):
        roofline.expected_experts_touched(8, 9, 1)
    with pytest.raises(ValueError, match="batch"):
        roofline.expected_experts_touched(8, 2, 0)


def test_moe_critical_batch_is_per_expert():
    # Each expert sees B k / E tokens: H100 bf16 (295 rows) x 256 / 8 for DeepSeek-V3.
    dense = roofline.critical_batch(H100.peak_flops("bf16"), H100.mem_bandwidth, "bf16")
    moe = roofline.moe_critical_batch(H100.peak_flops("bf16"), H100.mem_bandwidth, "bf16", 256, 8)
    assert moe == pytest.approx(dense * 32)


def test_deepseek_v3_reads_active_weights_at_batch_one_and_all_at_4096():
    # Published: 671B total, 37B active (DeepSeek-V3 report, arXiv 2412.19437).
    m = models.get("deepseek-v3")
    kv = m.kv_bytes_per_token("bf16")
    step1 = roofline.forward_step(m, 1, 1, 4096)
    assert step1.bytes == pytest.approx(37e9 * 2 + kv * 4097, rel=0.05)
    step_big = roofline.forward_step(m, 4096, 1, 0)
    assert step_big.bytes - 4096 * kv == pytest.approx(671e9 * 2, rel=0.02)


def test_mixtral_reads_about_13b_params_at_batch_one():
    # Published: 12.9B active of 46.7B (Mistral AI's Mixtral release post).
    m = models.get("mixtral-8x7b")
    weights = roofline.step_weight_bytes(m, 1, "bf16")
    assert weights / 2 == pytest.approx(12.9e9, rel=0.02)
    assert roofline.step_weight_bytes(m, 10**4, "bf16") == pytest.approx(m.weight_bytes("bf16"))


def test_dense_models_read_every_weight_at_any_batch():
    m = models.get("llama-3-8b")
    assert roofline.routed_expert_params(m) == 0
    assert roofline.step_weight_bytes(m, 1) == m.weight_bytes("bf16")


# ---- critical-batch table ------------------------------------------------------------------------
def test_table_covers_every_accelerator_and_dtype():
    rows = roofline.critical_batch_table()
    expected = {(a.key, dt) for a in hardware.all_accelerators() for dt in a.dtypes}
    assert {(r.accelerator, r.dtype) for r in rows} == expected
    for r in rows:
        nbytes = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "fp4": 0.5}[
            r.dtype
        ]
        assert r.critical_batch == pytest.approx(r.ridge_flop_per_byte * nbytes / 2)


def test_tpu_v5e_ridge():
    # 197 TFLOP/s over 819 GB/s ~ 240 FLOP/byte (the scaling book's TPU v5e figure).
    assert hardware.get("tpu-v5e").critical_intensity("bf16") == pytest.approx(240.5, abs=0.1)


# ---- training ----------------------------------------------------------------------------------
def test_llama3_mfu_matches_table_4():
    facts = sources.facts()
    peak = H100.peak_flops("bf16")
    for tflops, reported in (
        ("llama3_405b_mfu_8192gpu_tflops", "llama3_405b_mfu_8192gpu"),
        ("llama3_405b_mfu_16384gpu_tflops", "llama3_405b_mfu_16384gpu"),
        ("llama3_405b_mfu_16384gpu_131k_tflops", "llama3_405b_mfu_16384gpu_131k"),
    ):
        got = roofline.mfu(facts[tflops].value * 1e12, peak)
        assert got == pytest.approx(
            facts[reported].value, abs=0.01
        )  # TFLOP/s are rounded in the paper


def test_run_utilization_by_hand():
    # 3.8e25 FLOP over 30.84M H100-hours at 989.4 TFLOP/s = 0.346
    got = roofline.run_utilization(3.8e25, 30.84e6, 989.4e12)
    assert got == pytest.approx(3.8e25 / (30.84e6 * 3600 * 989.4e12))
    assert 0.34 < got < 0.35


def test_llama3_training_batch():
    tb = roofline.llama3_training_batch()
    assert tb.data_parallel == 64  # 8192 GPUs / (TP 8 x CP 1 x PP 16)
    assert tb.tokens_per_replica == pytest.approx(16e6 / 64)
    assert tb.ratio_sequence == pytest.approx(8192 / 295.343, rel=1e-4)


# ---- prediction against measurement ----------------------------------------------------------
def test_measured_knee_by_hand():
    # memory time 1.0 s at B=1; 64 s at B=1024 -> 1/16 s per row -> asymptotes cross at B=16.
    assert compare.measured_knee([1, 2, 1024], [1.0, 1.0, 64.0]) == pytest.approx(16.0)
    with pytest.raises(ValueError):
        compare.measured_knee([1], [1.0])


def synthetic_doc(backend="cupy", scale=1.1):
    """A measurement file whose times are exactly `scale` x the roofline (test fixture only)."""
    peak, bw, d = 100e9, 10e9, 1000
    points = []
    for b in (1, 4, 16, 64, 256, 1024):
        t = scale * max(2 * b * d * d / peak, (4 * d * d + 4 * b * 2 * d) / bw)
        points.append(
            {
                "batch": b,
                "flops": 2 * b * d * d,
                "timing": {"times_s": [t], "median_s": t, "iqr_s": 0.0},
            }
        )
    points.append({"batch": 4096, "error": "out of memory: OutOfMemoryError: fake"})
    gemm = {"d_in": d, "d_out": d, "weight_bytes": 4 * d * d, "points": points}
    return {
        "schema": 1,
        "suite": "roofline",
        "quick": False,
        "provenance": {"backend": backend, "device": {"name": "Synthetic GPU"}},
        "results": {
            "stream_read": {"bytes_per_s": bw},
            "copy": {"bytes_per_s": 2 * bw},
            "peak": {"fp32": {"flops_per_s": peak}, "fp16": {"flops_per_s": peak}},
            "gemm": {"fp32": gemm, "fp16": copy.deepcopy(gemm), "bf16": {"error": "cuBLAS failed"}},
        },
    }


def test_compare_gemm_on_synthetic_data():
    cmp_ = compare.compare_gemm(synthetic_doc(), "fp32")
    assert cmp_.median_abs_error == pytest.approx(1 - 1 / 1.1)  # predicted/measured = 1/1.1
    assert len(cmp_.skipped) == 1 and cmp_.batches[-1] == 1024
    # fp32 weights: B* = 100e9*1000*1000*4 / (2*1000*1000*10e9 - 100e9*2000*4) = 4e17/1.92e16
    assert cmp_.predicted_knee == pytest.approx(4e17 / 1.92e16)
    with pytest.raises(UnknownDTypeError):
        compare.compare_gemm(synthetic_doc(), "fp8")
    with pytest.raises(ValueError, match="cuBLAS failed"):
        compare.compare_gemm(synthetic_doc(), "bf16")


def test_gpu_reference_is_picked_up_when_present(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "MEASUREMENTS_DIR", tmp_path)
    assert results.reference("roofline", "cupy") is None
    (tmp_path / "roofline-cupy-synthetic-gpu.json").write_text(json.dumps(synthetic_doc()))
    doc = results.reference("roofline", "cupy")
    assert doc["provenance"]["device"]["name"] == "Synthetic GPU"
    from analysis.figures import ch1_asymmetry

    fig = ch1_asymmetry.gemm_prediction_figure(doc)
    assert len(fig.axes) == 2 and "Synthetic GPU" in fig._suptitle.get_text()


def test_stored_cpu_reference():
    doc = results.reference("roofline", "numpy")
    assert doc is not None, "the CPU reference JSON must be committed"
    prov, res = doc["provenance"], doc["results"]
    assert not doc["quick"] and prov["backend"] == "numpy" and prov["git_commit"]
    llc = res["sizes"]["last_level_cache_bytes"]
    sweep = res["gemm"]["fp32"]
    assert sweep["weight_bytes"] >= 4 * llc  # weights do not fit in the last-level cache
    assert res["stream_read"]["array_bytes"] >= 4 * llc
    batches = [p["batch"] for p in sweep["points"]]
    assert batches[0] == 1 and batches[-1] >= 4096
    cmp_ = compare.compare_gemm(doc, "fp32")
    assert math.isfinite(cmp_.median_abs_error) and cmp_.predicted_knee > 1


def test_summarize_and_diagnostics_on_synthetic_data():
    summary = compare.summarize(synthetic_doc())
    assert summary.device == "Synthetic GPU" and summary.read_bandwidth == 10e9
    assert set(summary.gemms) == {"fp32", "fp16"} and "cuBLAS failed" in summary.failed["bf16"]
    cmp_ = summary.gemms["fp32"]
    # every point is 1.1 x the roofline, on both sides of the knee (~20.8)
    assert cmp_.median_abs_error_where(True) == pytest.approx(1 - 1 / 1.1)
    assert cmp_.median_abs_error_where(False) == pytest.approx(1 - 1 / 1.1)
    # B=1: weights 4e6 bytes consumed in 1.1 * (4e6 + 8000) / 10e9 s
    assert cmp_.weight_bandwidth[0] == pytest.approx(4e6 / (1.1 * 4.008e6 / 10e9))
    # the same roofline with twice the bandwidth halves every memory-bound time
    assert cmp_.predicted_with_bandwidth(20e9)[0] == pytest.approx(cmp_.predicted_s[0] / 2)

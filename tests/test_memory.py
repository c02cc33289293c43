"""Chapter 2 memory and fleet sizing, against published values and hand arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import hardware, memory, models, roofline, sources
from analysis.errors import UnknownDTypeError, UnknownNameError
from analysis.models import ModelSpec

LLAMA70_KV_PER_TOKEN_BF16 = 2 * 80 * 8 * 128 * 2  # K and V x layers x kv heads x head_dim x bytes


def opt_13b() -> ModelSpec:
    """facebook/opt-13b config.json (the keys that size the model)."""
    return ModelSpec.from_hf_config(
        {
            "model_type": "opt",
            "hidden_size": 5120,
            "num_attention_heads": 40,
            "num_hidden_layers": 40,
            "ffn_dim": 20480,
            "vocab_size": 50272,
            "max_position_embeddings": 2048,
            "word_embed_proj_dim": 5120,
            "enable_bias": True,
            "do_layer_norm_before": True,
            "_name_or_path": "facebook/opt-13b",
        }
    )


# ---- published values ------------------------------------------------------------------------
def test_llama3_70b_kv_at_128k_is_42_9_gb():
    spec = models.get("llama-3-70b")
    assert spec.kv_bytes_per_token("bf16") == LLAMA70_KV_PER_TOKEN_BF16 == 327_680
    kv = spec.kv_cache_bytes(131_072, "bf16")
    assert round(kv / 1e9, 1) == 42.9  # widely quoted: ~42.9 GB (40 GiB) per 128K sequence
    assert kv == 40 * 2**30


def test_vllm_opt13b_request_is_1_6_gb():
    """vLLM paper (Kwon et al. 2023): 800 KB per token, up to 1.6 GB for a 2,048-token request."""
    spec = opt_13b()
    assert spec.kv_bytes_per_token("fp16") == 819_200  # facts.yaml: vllm_opt13b_kv_bytes_per_token
    assert (
        spec.kv_bytes_per_token("fp16") == sources.facts()["vllm_opt13b_kv_bytes_per_token"].value
    )
    kv = spec.kv_cache_bytes(2048, "fp16")
    assert kv / 2**30 == pytest.approx(1.5625)  # 800 KiB x 2048 = 1.5625 GiB, the paper's "1.6 GB"
    assert round(kv / 2**30, 1) == 1.6


def test_capacity_llama70_on_eight_h100_matches_hand_arithmetic():
    published_params = models.info("llama-3-70b").published_params.value
    static = published_params * 2  # bf16
    # 80 GB of HBM is 80 GiB: (687.2 - 141.1) / 42.95 = 12.7
    expected = math.floor((8 * 80 * 2**30 - static) / (327_680 * 131_072))
    limits = memory.serving_limits("llama-3-70b", "h100-sxm", 131_072, group_gpus=8)
    assert limits.capacity == expected == 12
    assert limits.instances_per_gpu == pytest.approx(12 / 8)


def test_fp8_halves_weights_and_kv():
    bf = memory.serving_limits("llama-3-70b", "h100-sxm", 8192, group_gpus=1, weight_dtype="fp8")
    # (85.90e9 - 70.55e9) / (163,840 x 8,192) = 11.4 instances on one GPU (80 GiB)
    assert bf.capacity == math.floor((80 * 2**30 - 70_553_706_496) / (163_840 * 8192)) == 11


def test_bandwidth_limit_matches_chapter1_roofline_step():
    """The solved bandwidth limit is the largest batch whose roofline step meets the speed."""
    spec, acc, g, s, ctx = models.get("llama-3-70b"), hardware.get("h100-sxm"), 2, 40.0, 8192
    limits = memory.serving_limits(spec, acc, ctx, group_gpus=g, tokens_per_s=s)
    # hand: (2 x 3.35e12 / 40 - 141.1e9) / (327,680 x 8,193) = 9.83
    assert limits.bandwidth == 9

    def step_s(batch):
        step = roofline.forward_step(spec, batch, 1, ctx)
        return roofline.roofline_time_s(
            step.flops, step.bytes, g * acc.peak_flops("bf16"), g * acc.mem_bandwidth
        )

    assert step_s(limits.bandwidth) <= 1 / s < step_s(limits.bandwidth + 1)


def test_compute_limit_is_far_above_memory_limits():
    limits = memory.serving_limits("llama-3-70b", "h100-sxm", 8192, group_gpus=8, tokens_per_s=40)
    assert limits.compute > 5 * max(limits.capacity, limits.bandwidth)
    # capacity (8 x 85.90e9 - 141.1e9) / 2.684e9 = 203; bandwidth (8 x 3.35e12 / 40 - 141.1e9)
    # / (327,680 x 8,193) = 197: with binary capacity the bandwidth limit binds first.
    assert (limits.capacity, limits.bandwidth) == (203, 197)
    assert limits.binding == "bandwidth"


def test_sliding_window_caps_dynamic_memory():
    short = memory.serving_limits("mistral-7b", "h100-sxm", 4096)
    long = memory.serving_limits("mistral-7b", "h100-sxm", 32_768)
    assert short.capacity == long.capacity  # window of 4,096 tokens


# ---- the source's scenarios ------------------------------------------------------------------------
def test_throughput_only_count_is_1_2_million():
    assert memory.throughput_only_instances(24_000, 2_000, 40) == 1_200_000


def test_cluster_instances_is_groups_times_instances():
    per_group = memory.serving_limits("llama-3-70b", "h100-sxm", 32_768, group_gpus=8).instances
    assert memory.cluster_instances("llama-3-70b", "h100-sxm", 24_000, 32_768) == 3000 * per_group


def test_ratio_fleet_100t_bf16_h100_is_24_million():
    fleet = memory.ratio_fleet(
        1e6, 1e14, 0.01, weight_dtype="bf16", accelerator="h100-sxm", tokens_per_s=40
    )
    # 1e6 instances x (1% of 200 TB = 2 TB) / 80 GiB = 23,283,064 GPUs; bandwidth: x 40 / 3.35 TB/s
    assert fleet.capacity_gpus == pytest.approx(1e6 * 2e12 / (80 * 2**30))
    assert fleet.bandwidth_gpus == pytest.approx(1e6 * 40 * 2e12 / 3.35e12)  # 23,880,597
    # 23.28 M by capacity < 23.88 M by bandwidth: at 80 GiB the bandwidth bound is the larger.
    assert fleet.binding == "bandwidth"
    assert fleet.gpus == pytest.approx(1e6 * 40 * 2e12 / 3.35e12)
    # max(200 TB / 80 GiB = 2,328.3, 40/s x 200 TB / 3.35 TB/s = 2,388.1), rounded up
    assert fleet.min_group_gpus == 2389


def test_ratio_fleet_h200_is_bandwidth_bound_at_40_tokens_per_s():
    fleet = memory.ratio_fleet(
        1e6, 1e14, 0.01, weight_dtype="fp8", accelerator="h200", tokens_per_s=40
    )
    assert fleet.gpus == pytest.approx(
        1e6 * 40 * 1e12 / 4.8e12
    )  # 40 x 1 TB / 4.8 TB/s per instance
    assert fleet.binding == "bandwidth"


def test_crossover_speed_is_bandwidth_over_memory():
    assert memory.crossover_speed("h100-sxm") == pytest.approx(3.35e12 / (80 * 2**30))  # 39.0/s
    assert memory.crossover_speed("h200") == pytest.approx(4.8e12 / (141 * 2**30))


def test_thousand_instances_of_one_tb_kv():
    assert memory.kv_only_gpus(1000, 1e12, "h100-sxm") == pytest.approx(
        11_641.5, abs=0.1
    )  # / 80 GiB


def test_context_for_half_share_llama70():
    ctx = memory.context_for_share("llama-3-70b", 0.5)
    assert ctx == pytest.approx(70_553_706_496 * 2 / 327_680)  # KV = weights at 430,626 tokens
    assert memory.ratio_from_share(0.5) == 1.0


def test_dynamic_share_hand_arithmetic():
    assert memory.dynamic_share(100.0, 25.0, 4) == pytest.approx(0.5)
    assert memory.dynamic_share(100.0, 1.0, 1) == pytest.approx(1 / 101)


def test_fleet_limit_is_approached_by_large_groups():
    """FLEET_GPUS_LIMIT is the g -> infinity limit of the exact fleet."""
    n, ctx = 1_000_000, 131_072
    limit = float(
        memory.FLEET_GPUS_LIMIT.subs(
            {
                memory.N_inst: n,
                memory.k: 327_680,
                memory.L: ctx,
                memory.u: 1,
                memory.M: 80 * 2**30,
                memory.s: 40,
                memory.W: 3.35e12,
            }
        )
    )
    fleet = memory.fleet_size("llama-3-70b", "h100-sxm", n, ctx, 40, group_gpus=4096)
    assert fleet.gpus == pytest.approx(limit, rel=0.01)
    assert fleet.gpus >= limit


# ---- properties ---------------------------------------------------------------------------------------
@given(st.integers(1, 131_072), st.integers(1, 131_072))
def test_capacity_monotonic_in_context(c1, c2):
    lo, hi = sorted((c1, c2))
    try:
        small = memory.serving_limits("llama-3-8b", "h100-sxm", hi, group_gpus=1).capacity
    except memory.InfeasibleServingError:
        return
    assert memory.serving_limits("llama-3-8b", "h100-sxm", lo, group_gpus=1).capacity >= small


@given(st.integers(1, 10_000), st.integers(1, 50))
def test_fleet_linear_in_instances(n, m):
    one = memory.fleet_size("llama-3-70b", "h200", n, 32_768, 20, group_gpus=4)
    per_group = one.limits.instances
    base = memory.fleet_size("llama-3-70b", "h200", per_group * n, 32_768, 20, group_gpus=4)
    scaled = memory.fleet_size("llama-3-70b", "h200", per_group * n * m, 32_768, 20, group_gpus=4)
    assert scaled.gpus == m * base.gpus  # whole groups: exactly linear
    assert (
        one.gpus <= memory.fleet_size("llama-3-70b", "h200", n + 1, 32_768, 20, group_gpus=4).gpus
    )


@given(st.floats(1e-4, 10.0), st.floats(1.0, 1e4))
def test_ratio_fleet_linear_in_ratio_and_instances(ratio, n):
    one = memory.ratio_fleet(n, 1e12, ratio, accelerator="b200")
    double = memory.ratio_fleet(2 * n, 1e12, 2 * ratio, accelerator="b200")
    assert double.gpus == pytest.approx(4 * one.gpus)


# ---- impossible configurations -------------------------------------------------------------------------
def test_weights_that_do_not_fit_the_group():
    with pytest.raises(memory.WeightsDoNotFitError, match="do not fit in a group of 1 GPU"):
        memory.serving_limits("llama-3-70b", "h100-sxm", 8192, group_gpus=1)
    with pytest.raises(ValueError, match="at least 2 GPUs"):
        memory.serving_limits("llama-3-70b", "h100-sxm", 8192, group_gpus=1)


def test_no_room_for_one_kv_cache():
    with pytest.raises(memory.NoRoomForKVError, match="less than one instance's KV cache"):
        memory.serving_limits("llama-3-70b", "h100-sxm", 131_072, group_gpus=2)


def test_unreachable_speed():
    with pytest.raises(memory.SpeedUnreachableError, match="unreachable"):
        memory.serving_limits("llama-3-70b", "h100-sxm", 8192, group_gpus=2, tokens_per_s=100)


def test_min_group():
    assert memory.min_group_gpus("llama-3-70b", "h100-sxm", 131_072) == 4
    assert memory.min_group_gpus("llama-3-70b", "h100-sxm", 131_072, weight_dtype="fp8") == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"group_gpus": 0}, "group_gpus must be an integer >= 1"),
        ({"group_gpus": 1.5}, "group_gpus must be an integer >= 1"),
        ({"group_gpus": True}, "group_gpus must be an integer >= 1"),
        ({"usable_fraction": 1.5}, r"usable_fraction must be in \(0, 1\]"),
        ({"tokens_per_s": -1}, "tokens_per_s must be > 0"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"group_gpus": 8} | kwargs
    with pytest.raises(ValueError, match=match):
        memory.serving_limits("llama-3-70b", "h100-sxm", 8192, **args)


def test_unknown_names_and_dtypes():
    with pytest.raises(UnknownNameError, match="known models"):
        memory.serving_limits("llama-9", "h100-sxm", 8192)
    with pytest.raises(UnknownNameError, match="known accelerators"):
        memory.serving_limits("llama-3-8b", "h1000", 8192)
    with pytest.raises(UnknownDTypeError, match="allowed"):
        memory.serving_limits("llama-3-8b", "h100-sxm", 8192, kv_dtype="fp7")
    with pytest.raises(ValueError, match="context_tokens must be > 0"):
        memory.serving_limits("llama-3-8b", "h100-sxm", 0)
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\)"):
        memory.context_for_share("llama-3-8b", 1.0)


# ---- issue 14 item 2: DeepSeek-V3 as it is run (fp8), MLA prefill non-absorbed ---------------------
def test_deepseek_v3_is_served_in_its_released_fp8():
    # The released checkpoint's config.json carries quantization_config.quant_method = "fp8".
    assert memory.released_weight_dtype("deepseek-v3") == "fp8"
    assert memory.released_weight_dtype("llama-3-70b") == "bf16"
    row = next(
        r
        for r in memory.instances_table(("deepseek-v3",), ("h200",), (8192,))
        if r.accelerator == "h200"
    )
    assert row.weight_dtype == "fp8" and row.instances_per_gpu is not None
    # 671e9 fp8 weight bytes (model card: 671 B parameters) in 8 x 141 GB leaves room for KV;
    # in bf16 (1.342 TB) they would not fit: 8 x 141 GB = 1.128 TB.
    assert 671e9 < 8 * 141e9 < 2 * 671e9
    bf16 = memory.instances_table(("deepseek-v3",), ("h200",), (8192,), dtype="bf16")[0]
    assert bf16.instances_per_gpu is None


def test_mla_prefill_counts_decompressed_heads_and_decode_the_absorbed_latent():
    from analysis import roofline

    ds = models.get("deepseek-v3")
    # DeepSeek-V3 config: 61 layers, 128 heads, kv_lora_rank 512, qk_rope 64, qk_nope 128, v 128.
    decode = 61 * 128 * (2 * (512 + 64) + 2 * 512)
    prefill = 61 * 128 * (2 * (128 + 64) + 2 * 128)
    assert roofline.attention_flops_per_position(ds) == decode == 16_990_208
    assert roofline.mla_decode_flops_per_position(ds) == decode
    assert roofline.attention_flops_per_position_prefill(ds) == prefill == 4_997_120
    l70 = models.get("llama-3-70b")  # not MLA: prefill and decode count the same heads
    assert roofline.attention_flops_per_position_prefill(
        l70
    ) == roofline.attention_flops_per_position(l70)
    with pytest.raises(ValueError, match="MLA"):
        roofline.mla_decode_flops_per_position(l70)


def test_mla_decode_attention_passes_the_h200_ridge():
    # Absorbed MLA: 16,990,208 FLOP per position against 61 x (512 + 64) x 2 B of bf16 latent KV;
    # H200: 989 TFLOP/s bf16 dense over 4.8 TB/s = 206 FLOP/byte (datasheet).
    from analysis import roofline

    intensity = 16_990_208 / (61 * 576 * 2)
    assert roofline.decode_attention_intensity(models.get("deepseek-v3"), "bf16") == pytest.approx(
        intensity
    )
    assert intensity > 989e12 / 4.8e12

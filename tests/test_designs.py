"""The designs chapter's laws: hand derivations and published numbers, never the code's output."""

from __future__ import annotations

import dataclasses
import math

import pytest
import sympy as sp

from analysis import designs, hardware, memory, models, roofline
from analysis.errors import ConfigError, InvalidValueError, UnknownNameError

CONTEXTS = (1, 127, 128, 2048, 2049, 8192, 8193, 32_768, 131_072, 1_048_576)


# ---- the hold and read laws --------------------------------------------------------------------
@pytest.mark.parametrize("name", models.NAMES + models.DESIGN_NAMES)
@pytest.mark.parametrize("context", CONTEXTS)
def test_hold_law_is_the_layer_by_layer_cache(name, context):
    # The sympy law (one window, constant state) against ModelSpec's per-layer sum.
    for kv in ("bf16", "fp8"):
        assert designs.hold_bytes(name, context, kv) == pytest.approx(
            models.get(name).kv_cache_bytes(context, kv), rel=1e-12
        )
        assert designs.read_bytes(name, context, kv) == pytest.approx(
            models.get(name).kv_read_bytes(context, kv), rel=1e-12
        )


def test_read_law_without_selection_is_the_hold_law():
    assert sp.simplify(designs.READ_BYTES.subs(designs.K, designs.L) - designs.HOLD_BYTES) == 0


def test_long_context_slopes():
    # Past every window only full layers grow: b e n_f per token; DSA reads only the indexer key.
    assert sp.simplify(designs.HOLD_SLOPE - designs.b * designs.e * designs.n_f) == 0
    assert sp.simplify(designs.READ_SLOPE - designs.b * designs.e_i * designs.n_f) == 0


def test_gqa_slope_llama3_70b():
    # 80 layers x 2 (K, V) x 8 KV heads x 128 x 2 B = 327,680 B per token.
    assert designs.hold_slope_bytes("llama-3-70b") == 327_680


def test_mamba2_state_nemotron_3_nano_by_hand():
    # config: mamba_num_heads 64, mamba_head_dim 64, ssm_state_size 128, n_groups 8,
    # conv_kernel 4, mamba_ssm_cache_dtype float32; 23 'M' blocks in hybrid_override_pattern.
    ssm = 64 * 64 * 128  # heads x head_dim x d_state
    conv = (4 - 1) * (64 * 64 + 2 * 8 * 128)  # last k-1 inputs over x, B, C channels
    m = models.get("nemotron-3-nano-30b-a3b")
    assert m.kinds.count("linear") == 23 and m.kinds.count("full") == 6
    assert m.kinds.count("mlp") == 23
    assert set(m.layer_state_elements) == {0, ssm + conv}
    assert m.state_bytes() == 23 * (ssm + conv) * 4
    # fp8 KV leaves the fp32 state alone: 6 attention layers x 2 x 2 KV heads x 128.
    kv_token = 6 * 2 * 2 * 128
    assert m.kv_cache_bytes(32_768, "fp8") == kv_token * 32_768 + 23 * (ssm + conv) * 4
    assert m.kv_cache_bytes(32_768, "bf16") == 2 * kv_token * 32_768 + 23 * (ssm + conv) * 4


def test_gated_deltanet_state_qwen3_next_by_hand():
    # linear_num_value_heads 32, key/value head dim 128, 16 key heads, conv kernel 4; a full
    # attention layer every 4th (12 of 48) with 2 KV heads of 256.
    state = 32 * 128 * 128 + (4 - 1) * (2 * 16 * 128 + 32 * 128)
    m = models.get("qwen3-next-80b-a3b")
    assert m.kinds.count("linear") == 36 and m.kinds[3] == "full" and m.kinds[:3] == ("linear",) * 3
    assert m.state_bytes() == 36 * state * 2
    assert m.kv_cache_bytes(131_072, "bf16") == 12 * 2 * 2 * 256 * 2 * 131_072 + 36 * state * 2


def test_lightning_attention_state_minimax_m1_by_hand():
    # attn_type_list: 7 lightning then 1 softmax, 10 times; 64 heads of 128; 8 KV heads.
    m = models.get("minimax-m1")
    assert m.kinds.count("full") == 10 and m.kinds[7] == "full"
    assert m.state_bytes() == 70 * 64 * 128 * 128 * 2
    assert m.kv_cache_bytes(1_000_000, "bf16") == 10 * 2 * 8 * 128 * 2 * 1_000_000 + m.state_bytes()


def test_dsa_holds_every_token_but_reads_top_k_by_hand():
    # MLA latent 512 + RoPE key 64, indexer key 128, top-k 2048, 61 layers, bf16.
    m = models.get("deepseek-v3.2")
    ctx = 131_072
    assert m.kv_cache_bytes(ctx, "bf16") == 61 * (512 + 64 + 128) * ctx * 2
    assert m.kv_read_bytes(ctx, "bf16") == 61 * ((512 + 64) * 2048 + 128 * ctx) * 2
    # Below top-k every token is read: read == hold.
    assert m.kv_read_bytes(2048, "bf16") == m.kv_cache_bytes(2048, "bf16")
    # V3 keeps no indexer key and reads all it holds.
    v3 = models.get("deepseek-v3")
    assert v3.kv_read_bytes(ctx) == v3.kv_cache_bytes(ctx) == 61 * 576 * ctx * 2


def test_context_for_equal_share_llama3_70b_by_hand():
    # bf16 weights 2 x 70,553,706,496 B over 327,680 B per token.
    assert designs.context_for_equal_share("llama-3-70b") == pytest.approx(
        2 * 70_553_706_496 / 327_680
    )


def test_context_for_equal_share_with_constant_state_by_hand():
    m = models.get("minimax-m1")
    per_token = 10 * 2 * 8 * 128 * 2
    expected = (m.weight_bytes("bf16") - m.state_bytes()) / per_token
    assert designs.context_for_equal_share(m) == pytest.approx(expected)
    # At that context the layer-by-layer cache equals the weights.
    assert m.kv_cache_bytes(round(expected)) == pytest.approx(m.weight_bytes("bf16"), rel=1e-6)


def test_context_for_bytes_rejects_sizes_inside_the_window():
    with pytest.raises(InvalidValueError, match="nbytes must be more than .* 128-token window"):
        designs.context_for_bytes("gpt-oss-120b", 1e6)  # less than its constant 128-token layers


def test_no_full_layer_never_reaches_equal_share():
    m = models.get("gpt-oss-20b")
    all_sliding = dataclasses.replace(m, layer_windows=(128,) * m.n_layers)
    assert designs.context_for_equal_share(all_sliding) is None


# ---- KV quantisation and the critical batch ----------------------------------------------------
def test_decode_critical_batch_by_hand():
    # Solve B (2N + a (L+1)) / (P + B k (L+1)) = F / W by hand: B = P R / (2N + (a - k R)(L+1)).
    spec, acc = models.get("llama-3.1-70b"), hardware.get("h200")
    R = acc.peak_flops("fp8") / acc.mem_bandwidth
    P, N = spec.weight_bytes("fp8"), roofline.matmul_params(spec)
    a = roofline.attention_flops_per_position(spec)
    for kv in ("bf16", "fp8", "int4"):
        k = spec.kv_bytes_per_token(kv)
        for ctx in (256, 1024):
            hand = P * R / (2 * N + (a - k * R) * (ctx + 1))
            got = designs.decode_critical_batch(spec, "h200", ctx, weight_dtype="fp8", kv_dtype=kv)
            assert got == (pytest.approx(hand) if hand > 0 else None)
        hand_ctx = 2 * N / (k * R - a) - 1
        assert designs.decode_critical_context(
            spec, "h200", weight_dtype="fp8", kv_dtype=kv
        ) == pytest.approx(hand_ctx)


def test_decode_critical_batch_is_none_past_the_critical_context():
    # Past L* = 2N / (k R - a) - 1 the denominator 2N + (a - k R)(L + 1) is negative: no batch
    # turns decode compute-bound, and the answer is None (not inf, not a negative batch).
    spec, acc = models.get("llama-3.1-70b"), hardware.get("h200")
    R = acc.peak_flops("fp8") / acc.mem_bandwidth
    N, a = roofline.matmul_params(spec), roofline.attention_flops_per_position(spec)
    k = spec.kv_bytes_per_token("bf16")
    l_star = 2 * N / (k * R - a) - 1
    past = math.ceil(l_star) + 1
    assert designs.decode_critical_batch(spec, "h200", past, weight_dtype="fp8") is None
    assert designs.decode_critical_batch(spec, "h200", math.floor(l_star), weight_dtype="fp8") > 0


def test_design_arguments_are_checked():
    with pytest.raises(InvalidValueError, match="context_tokens must be an integer >= 1"):
        designs.hold_bytes("llama-3-70b", 0.5)
    with pytest.raises(InvalidValueError, match="context_tokens.*finite float"):
        designs.read_bytes("llama-3-70b", 1e308)
    with pytest.raises(UnknownNameError, match="key: unknown design 'bogus'"):
        designs.design("bogus")
    with pytest.raises(TypeError, match="targets must be a non-empty tuple"):
        designs.lora_io_sum(models.get("llama-3-8b"), "q")
    with pytest.raises(TypeError, match="chip must be one of the accelerator names"):
        designs.table([])


def test_fp8_kv_roughly_doubles_the_critical_context():
    # L* + 1 = 2N / (k R - a): halving k more than doubles it (a > 0).
    ctx = {
        kv: designs.decode_critical_context(
            "llama-3.1-70b", "h200", weight_dtype="fp8", kv_dtype=kv
        )
        for kv in ("bf16", "fp8")
    }
    assert 2 < (ctx["fp8"] + 1) / (ctx["bf16"] + 1) < 2.2


# ---- multi-LoRA ------------------------------------------------------------------------------------
def test_adapter_bytes_llama31_8b_by_hand():
    # Per layer: q 4096+4096, k and v 4096+1024, o 4096+4096, gate/up 4096+14336, down 14336+4096.
    io = 2 * (4096 + 4096) + 2 * (4096 + 1024) + 3 * (4096 + 14336)
    assert designs.lora_io_sum(models.get("llama-3.1-8b")) == io
    assert designs.adapter_bytes("llama-3.1-8b", 16) == 16 * 32 * io * 2


def test_lora_paper_reduction_on_gpt3():
    # LoRA (Hu et al. 2021) abstract: "reduce the number of trainable parameters by 10,000
    # times" on GPT-3 175B; its Section 7.1 budget is r = 4 on W_q and W_v.
    adapter_params = designs.adapter_bytes("gpt-3-175b", 4, "fp16", ("q", "v")) / 2
    assert adapter_params == 96 * 2 * 4 * (12_288 + 12_288)
    assert models.get("gpt-3-175b").n_params / adapter_params == pytest.approx(1e4, rel=0.1)


def test_fine_tunes_full_copies_against_adapters_by_hand():
    spec, acc = models.get("llama-3.1-8b"), hardware.get("h200")
    w, kv = spec.weight_bytes("bf16"), spec.kv_cache_bytes(8192, "bf16")
    a = designs.adapter_bytes(spec, 16)
    for n in (1, 4, 8, 9, 64):
        got = designs.fine_tunes(spec, "h200", n, 8192)
        full_free, adapted_free = acc.mem_bytes - n * w, acc.mem_bytes - w - n * a
        assert got.full_copies_instances == (max(0, math.floor(full_free / kv)))
        assert got.adapters_instances == math.floor(adapted_free / kv)
    # H200: 141 GiB = 151,397,597,184 B. Nine 16.06 GB copies leave 6.85 GB: six 1.07 GB caches;
    # a tenth copy does not fit at all.
    assert designs.fine_tunes(spec, "h200", 9, 8192).full_copies_instances == 6
    assert designs.fine_tunes(spec, "h200", 10, 8192).full_copies_instances == 0


def test_lora_rejects_bad_input():
    with pytest.raises(UnknownNameError, match="known LoRA targets: q, k, v"):
        designs.lora_io_sum(models.get("llama-3.1-8b"), ("q", "lm_head"))
    with pytest.raises(ConfigError, match="dense GQA"):
        designs.adapter_bytes("deepseek-v3", 16)
    with pytest.raises(ValueError, match="rank"):
        designs.adapter_bytes("llama-3.1-8b", 0)


# ---- the chapter's table and verdicts --------------------------------------------------------------
def test_table_uses_chapter_2s_capacity_law():
    for row in designs.table():
        spec = models.get(row.design.model)
        for (ctx, kv), per_gpu in row.instances_per_gpu.items():
            lim = memory.serving_limits(
                spec, "h200", ctx, group_gpus=row.group_gpus, weight_dtype="fp8", kv_dtype=kv
            )
            assert per_gpu == lim.capacity / row.group_gpus
    # By hand for Llama 3 70B on one H200: (HBM - 70,553,706,496 B fp8 weights) // (327,680 x 32,768).
    gqa = next(r for r in designs.table() if r.design.key == "gqa")
    hbm = hardware.get("h200").mem_bytes
    assert gqa.group_gpus == 1
    assert gqa.instances_per_gpu[(32_768, "bf16")] == (hbm - 70_553_706_496) // (327_680 * 32_768)


def test_verdicts_follow_the_claims_assumptions():
    from analysis import claims

    c04 = claims.get("C04")
    n = c04.value / c04.assumptions["kv_per_instance_bytes"]  # the critical batch, ~295
    for v in designs.verdicts():
        spec = models.get(v.design.model)
        assert v.c04_kv_bytes == pytest.approx(n * spec.kv_cache_bytes(131_072))
        assert v.c10_dynamic_ratio_128k == pytest.approx(
            spec.kv_cache_bytes(131_072) / spec.weight_bytes("bf16")
        )


def test_unknown_design_lists_known():
    with pytest.raises(UnknownNameError, match="mamba2"):
        designs.design("rwkv")

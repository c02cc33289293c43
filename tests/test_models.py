"""ModelSpec against published parameter counts and KV sizes, and its handling of bad input."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import models
from analysis.errors import (
    ConfigError,
    MissingConfigKeyError,
    UnknownDTypeError,
    UnknownNameError,
    UnsupportedModelTypeError,
)
from analysis.models import ModelSpec
from analysis.sources import DATA_DIR


def config(name: str) -> dict:
    return json.loads((DATA_DIR / "models" / f"{name}.json").read_text())


# ---- published values ---------------------------------------------------------------------------
def test_llama3_8b_exact_parameter_count():
    # Hugging Face model page, safetensors: 8,030,261,248 parameters.
    assert models.get("llama-3-8b").n_params == 8_030_261_248


def test_llama3_70b_exact_parameter_count():
    assert models.get("llama-3-70b").n_params == 70_553_706_496


# Relative tolerance per model: 1% unless the published figure is rounded harder, or counts
# something the config does not describe.
TOTAL_TOLERANCE = {
    # "about 109B" is text + vision; the text model alone is 107.8B (1.1% less).
    "llama-4-scout": 0.015,
    # The report's 1.04T (three figures); the count from the config is 1.026T (1.3% less).
    "kimi-k2": 0.015,
}


@pytest.mark.parametrize("name", models.NAMES)
def test_total_parameters_match_model_card(name):
    published = models.info(name).published_params.value
    rel = TOTAL_TOLERANCE.get(name, 0.01)
    assert models.get(name).n_params == pytest.approx(published, rel=rel)


# Active parameters: (published, tolerance, counting). The model cards round to two figures
# (3.3B, 22B, 17B, 32B), hence the tolerances; gpt-oss counts active without the input
# embedding (its model card: "active parameters ... excluding the embedding").
ACTIVE = {
    "qwen3-30b-a3b": (3.3e9, 0.02, "all"),  # 3.353B
    "qwen3-235b-a22b": (22e9, 0.01, "all"),  # 22.19B
    "llama-4-scout": (17e9, 0.015, "all"),  # 17.17B
    "llama-4-maverick": (17e9, 0.015, "all"),  # 17.19B
    "gpt-oss-20b": (3.6e9, 0.005, "no-embedding"),  # 3.608B (card: 3.61B)
    "gpt-oss-120b": (5.1e9, 0.01, "no-embedding"),  # 5.133B (card: 5.13B)
    "deepseek-v3.1": (37e9, 0.02, "all"),  # 37.55B
    "kimi-k2": (32e9, 0.03, "all"),  # 32.86B; 31.69B without the embedding
}


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_active_parameters_match_model_card(name):
    published, rel, counting = ACTIVE[name]
    assert models.info(name).published_active_params.value == published
    m = models.get(name)
    active = m.n_active_params - (m.n_embedding_params if counting == "no-embedding" else 0)
    assert active == pytest.approx(published, rel=rel)


def test_gpt_oss_matches_the_model_card_papers_exact_counts():
    # gpt-oss model card (arXiv:2508.10925), Table 1: 116.83B / 5.13B and 20.91B / 3.61B.
    for name, total, active in (
        ("gpt-oss-120b", 116.83e9, 5.13e9),
        ("gpt-oss-20b", 20.91e9, 3.61e9),
    ):
        m = models.get(name)
        assert m.n_params == pytest.approx(total, abs=0.005e9)
        assert m.n_active_params - m.n_embedding_params == pytest.approx(active, abs=0.005e9)


@pytest.mark.parametrize(
    "name, non_embedding",
    [
        ("qwen3-8b", 6.95e9),
        ("qwen3-32b", 31.2e9),
        ("qwen3-30b-a3b", 29.9e9),
        ("qwen3-235b-a22b", 234e9),
    ],
)
def test_qwen3_non_embedding_counts_match_model_cards(name, non_embedding):
    # Qwen3 model cards: "Number of Parameters (Non-Embedding)", i.e. without embedding and head.
    m = models.get(name)
    parts = m.param_breakdown()
    assert m.n_params - parts["embedding"] - parts["lm_head"] == pytest.approx(
        non_embedding, rel=0.005
    )


def test_llama_3_1_shares_llama_3_architecture():
    # Llama 3.1 changed RoPE scaling and context, not the shapes: same exact safetensors counts.
    assert models.get("llama-3.1-8b").n_params == models.get("llama-3-8b").n_params
    assert models.get("llama-3.1-70b").n_params == models.get("llama-3-70b").n_params


def test_mixtral_active_parameters_match_release():
    # Mixtral release: 46.7B total, 12.9B used per token.
    assert models.get("mixtral-8x7b").n_active_params == pytest.approx(12.9e9, rel=0.01)


def test_deepseek_v3_active_parameters_match_report():
    # "671B total parameters with 37B activated for each token" — the report rounds down;
    # counting embeddings and the output head as active gives 37.55B (1.5% above).
    m = models.get("deepseek-v3")
    assert m.n_params == pytest.approx(671e9, rel=0.001)
    assert m.n_active_params == pytest.approx(37e9, rel=0.02)


def test_llama3_70b_kv_cache_per_token():
    # 2 (K,V) x 80 layers x 8 KV heads x 128 dims x 2 bytes = 327,680 bytes per token in bf16.
    assert models.get("llama-3-70b").kv_bytes_per_token("bf16") == 327_680


def test_llama3_70b_kv_at_128k_context():
    # 327,680 B x 131,072 tokens = 42.9 GB (decimal) in bf16.
    m = models.get("llama-3-70b")
    assert m.kv_cache_bytes(131_072, "bf16") / 1e9 == pytest.approx(42.95, abs=0.01)


def test_opt_13b_matches_vllm_paper():
    # vLLM paper (Kwon et al. 2023): OPT-13B stores 800 KB per token (2 x 5120 x 40 x 2 B)
    # and one 2,048-token request needs up to 1.6 GB of KV cache.
    opt = {
        "model_type": "opt", "hidden_size": 5120, "num_attention_heads": 40,
        "num_hidden_layers": 40, "ffn_dim": 20480, "vocab_size": 50272,
        "max_position_embeddings": 2048, "word_embed_proj_dim": 5120,
        "do_layer_norm_before": True, "enable_bias": True,
    }  # fmt: skip
    m = ModelSpec.from_hf_config(opt, name="opt-13b")
    assert m.kv_bytes_per_token("fp16") == 819_200
    assert m.kv_cache_bytes(2048, "fp16") / 1e9 == pytest.approx(1.68, abs=0.01)
    assert m.n_params == pytest.approx(12.85e9, rel=0.01)  # OPT paper Table 1: 13B


def test_deepseek_v3_mla_cache_is_latent_plus_rope_key():
    # MLA caches kv_lora_rank (512) + qk_rope_head_dim (64) elements per layer: 576 x 61 x 2 B.
    m = models.get("deepseek-v3")
    assert m.attention_kind == "MLA"
    assert m.kv_bytes_per_token("bf16") == 576 * 61 * 2


def test_gpt3_is_multi_head_attention():
    m = models.get("gpt-3-175b")
    assert m.attention_kind == "MHA"
    assert m.kv_bytes_per_token("fp16") == 2 * 96 * 12288 * 2  # 4.72 MB per token


def test_mqa_kv_is_one_head():
    cfg = config("llama-3-8b") | {"num_key_value_heads": 1}
    m = ModelSpec.from_hf_config(cfg)
    assert m.attention_kind == "MQA"
    assert m.kv_bytes_per_token("bf16") == 2 * 32 * 1 * 128 * 2


def test_mistral_sliding_window_caps_the_cache():
    m = models.get("mistral-7b")
    assert m.sliding_window == 4096
    assert m.kv_cache_bytes(32_768, "bf16") == m.kv_cache_bytes(4096, "bf16")
    assert m.kv_cache_bytes(1000, "bf16") == 1000 * m.kv_bytes_per_token("bf16")


def test_qwen2_has_qkv_bias_and_no_active_window():
    m = models.get("qwen2.5-72b")
    assert m.qkv_bias and not m.o_bias
    assert m.sliding_window is None


def test_weight_bytes_scale_with_dtype():
    m = models.get("llama-3-70b")
    assert m.weight_bytes("bf16") == 2 * m.n_params
    assert m.weight_bytes("fp8") == m.n_params
    assert m.weight_bytes("fp4") == (m.n_params + 1) // 2


def test_gpt2_style_config_without_model_type():
    gpt2 = {"n_layer": 12, "n_embd": 768, "n_head": 12, "vocab_size": 50257, "n_positions": 1024}
    m = ModelSpec.from_hf_config(gpt2)
    assert m.n_params == 124_439_808  # GPT-2 small, as counted by transformers


# ---- bad input ------------------------------------------------------------------------------------
def test_unknown_model_lists_known_names():
    with pytest.raises(UnknownNameError) as err:
        models.get("llama-4")
    assert "llama-3-70b" in str(err.value) and "deepseek-v3" in str(err.value)


def test_unknown_dtype_lists_allowed():
    with pytest.raises(UnknownDTypeError, match="allowed: fp32, tf32, bf16"):
        models.get("llama-3-8b").kv_bytes_per_token("fp12")


def test_missing_key_is_named():
    cfg = config("llama-3-70b")
    del cfg["intermediate_size"]
    with pytest.raises(MissingConfigKeyError, match="'intermediate_size'"):
        ModelSpec.from_hf_config(cfg)


def test_unsupported_model_type_names_supported():
    with pytest.raises(UnsupportedModelTypeError, match="'mamba'") as err:
        ModelSpec.from_hf_config({"model_type": "mamba"})
    for t in ("qwen3_moe", "gpt_oss", "llama4", "gemma2", "gemma3", "deepseek_v3", "kimi_k2"):
        assert t in str(err.value)
    assert err.value.supported == list(models.SUPPORTED_MODEL_TYPES)


def test_missing_key_inside_text_config_is_named():
    cfg = copy.deepcopy(config("llama-4-scout"))
    del cfg["text_config"]["num_local_experts"]
    with pytest.raises(MissingConfigKeyError, match="'num_local_experts'"):
        ModelSpec.from_hf_config(cfg)
    with pytest.raises(MissingConfigKeyError, match="'text_config'"):
        ModelSpec.from_hf_config({"model_type": "llama4"})


@pytest.mark.parametrize("name", ["qwen3-8b", "gpt-oss-120b", "llama-4-scout", "kimi-k2"])
def test_keys_counting_does_not_need_may_be_absent(name):
    cfg = copy.deepcopy(config(name))
    inner = cfg.get("text_config", cfg)
    for key in ("max_position_embeddings", "rope_theta", "rope_scaling", "torch_dtype"):
        inner.pop(key, None)
    m = ModelSpec.from_hf_config(cfg)
    assert m.max_context is None
    assert m.n_params == models.get(name).n_params


@pytest.mark.parametrize("value", [0, -8, 1.5, "32", True])
def test_non_positive_or_non_integer_sizes_raise_value_error(value):
    cfg = config("llama-3-8b") | {"num_hidden_layers": value}
    with pytest.raises(ValueError, match="num_hidden_layers"):
        ModelSpec.from_hf_config(cfg)


def test_heads_not_multiple_of_kv_heads():
    cfg = config("llama-3-8b") | {"num_key_value_heads": 5}
    with pytest.raises(ConfigError, match="multiple"):
        ModelSpec.from_hf_config(cfg)


def test_negative_context_raises():
    with pytest.raises(ValueError, match="context_tokens"):
        models.get("llama-3-8b").kv_cache_bytes(-1)


def test_config_must_be_a_dict():
    with pytest.raises(ConfigError, match="dict"):
        ModelSpec.from_hf_config("config.json")


# ---- properties ---------------------------------------------------------------------------------------
sizes = st.integers(min_value=1, max_value=64)


@st.composite
def llama_configs(draw):
    kv = draw(st.integers(1, 16))
    group = draw(st.integers(1, 8))
    head_dim = draw(st.sampled_from([32, 64, 128]))
    heads = kv * group
    return {
        "model_type": draw(st.sampled_from(["llama", "mistral", "qwen2", "mixtral"])),
        "hidden_size": heads * head_dim,
        "intermediate_size": draw(st.integers(1, 50_000)),
        "num_hidden_layers": draw(sizes),
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "vocab_size": draw(st.integers(1, 200_000)),
        "max_position_embeddings": draw(st.integers(1, 1 << 20)),
        "num_local_experts": (e := draw(st.integers(1, 16))),
        "num_experts_per_tok": draw(st.integers(1, e)),
        "tie_word_embeddings": draw(st.booleans()),
    }


@given(llama_configs(), st.sampled_from(["fp32", "bf16", "fp8", "fp4"]))
def test_valid_configs_obey_invariants(cfg, dtype):
    m = ModelSpec.from_hf_config(cfg)
    assert 0 < m.n_active_params <= m.n_params
    assert m.weight_bytes(dtype) >= m.n_params // 2
    # KV per token is linear in layers and in KV heads.
    doubled_layers = ModelSpec.from_hf_config(
        cfg | {"num_hidden_layers": 2 * cfg["num_hidden_layers"]}
    )
    assert doubled_layers.kv_elements_per_token == 2 * m.kv_elements_per_token
    per_head = m.kv_elements_per_token // m.n_kv_heads
    assert per_head == 2 * m.n_layers * m.head_dim


@st.composite
def mutated_configs(draw):
    cfg = copy.deepcopy(config(draw(st.sampled_from(models.NAMES))))
    key = draw(st.sampled_from(sorted(cfg)))
    action = draw(st.sampled_from(["delete", "replace"]))
    if action == "delete":
        del cfg[key]
    else:
        cfg[key] = draw(
            st.one_of(
                st.none(), st.integers(-5, 5), st.text(max_size=3), st.floats(), st.booleans()
            )
        )
    return cfg


@given(mutated_configs())
def test_invalid_configs_raise_only_documented_errors(cfg):
    try:
        m = ModelSpec.from_hf_config(cfg)
    except (ConfigError, ValueError):
        return
    assert m.n_params > 0 and m.kv_bytes_per_token("bf16") > 0


# ---- current families: structure and per-layer KV, derived by hand ------------------------------------
def test_gpt_oss_120b_kv_follows_each_layers_window():
    # 36 layers, 8 KV heads, head_dim 64: 2 x 8 x 64 x 2 B = 2,048 B per token per layer (bf16).
    # Even layers slide over 128 tokens, odd layers keep the context (layer_types).
    m = models.get("gpt-oss-120b")
    assert (m.n_layers, m.n_kv_heads, m.head_dim) == (36, 8, 64)
    assert m.windows == (128, None) * 18
    assert m.kv_bytes_per_token("bf16") == 36 * 2048 == 73_728
    assert m.kv_cache_bytes(100, "bf16") == 100 * 73_728  # inside every window
    assert m.kv_cache_bytes(32_768, "bf16") == 2048 * (18 * 32_768 + 18 * 128) == 1_212_678_144
    assert m.cached_tokens(32_768) == (32_768 + 128) // 2 == 16_448
    assert m.kv_cache_bytes(32_768, "bf16") == m.kv_bytes_per_token("bf16") * m.cached_tokens(
        32_768
    )


def test_gpt_oss_20b_structure():
    m = models.get("gpt-oss-20b")
    assert (m.n_layers, m.n_experts, m.n_experts_per_tok, m.n_windowed_layers) == (24, 32, 4, 12)
    assert m.attention_sinks and m.qkv_bias and m.o_bias and m.router_bias and m.expert_bias


def test_llama4_scout_chunked_layers_hold_at_most_a_chunk():
    # Three of every four layers use RoPE and attend within 8,192-token chunks; every 4th layer
    # (NoPE) attends to everything. 48 layers, 8 KV heads, head_dim 128: 4,096 B per token-layer.
    m = models.get("llama-4-scout")
    assert m.windows == (8192, 8192, 8192, None) * 12
    assert m.kv_cache_bytes(4096, "bf16") == 4096 * 48 * 4096
    assert m.kv_cache_bytes(131_072, "bf16") == 4096 * (12 * 131_072 + 36 * 8192) == 7_650_410_496


def test_llama4_moe_interleaving():
    scout, maverick = models.get("llama-4-scout"), models.get("llama-4-maverick")
    assert scout.n_moe_layers == 48  # interleave_moe_layer_step 1
    assert maverick.n_moe_layers == 24  # step 2: layers 1, 3, ..., 47
    assert maverick.moe_layer_ids == tuple(range(1, 48, 2))
    assert (scout.n_experts, maverick.n_experts, scout.n_shared_experts) == (16, 128, 1)
    assert scout.d_ff == 16_384 and scout.moe_d_ff == 8192  # dense MLP vs expert width


def test_qwen3_moe_sparse_step_and_mlp_only_layers():
    # A layer i is MoE if i is not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0.
    base = config("qwen3-30b-a3b")
    m = ModelSpec.from_hf_config(base)
    assert m.n_moe_layers == 48 and m.qk_norm
    d, ff, moe_ff, experts = 2048, 6144, 768, 128
    dense_mlp, moe_block = 3 * d * ff, experts * 3 * d * moe_ff + d * experts
    two_dense = ModelSpec.from_hf_config(base | {"mlp_only_layers": [0, 1]})
    assert two_dense.n_moe_layers == 46
    assert m.n_params - two_dense.n_params == 2 * (moe_block - dense_mlp)
    every_other = ModelSpec.from_hf_config(base | {"decoder_sparse_step": 2})
    assert every_other.moe_layer_ids == tuple(range(1, 48, 2))


def test_qwen3_qk_norm_parameters():
    # q_norm and k_norm: head_dim weights each, per layer (Qwen3-8B: 36 x 2 x 128).
    cfg = config("qwen3-8b")
    with_norm = models.get("qwen3-8b")
    assert with_norm.param_breakdown()["attention"] == 36 * (
        4096 * 4096 + 2 * 4096 * 1024 + 4096 * 4096 + 2 * 128
    )
    assert cfg["head_dim"] == 128 and not with_norm.qkv_bias


def test_kimi_k2_experts_and_first_dense_layer():
    m = models.get("kimi-k2")
    assert m.model_type == "kimi_k2" and m.attention_kind == "MLA"
    assert (m.n_experts, m.n_experts_per_tok, m.n_shared_experts) == (384, 8, 1)
    assert m.first_dense_layers == 1 and m.n_moe_layers == 60
    assert m.kv_bytes_per_token("bf16") == 61 * (512 + 64) * 2


def test_deepseek_v3_1_has_v3s_architecture():
    assert models.get("deepseek-v3.1").n_params == models.get("deepseek-v3").n_params


GEMMA2_9B = {  # google/gemma-2-9b config.json, the keys counting reads
    "model_type": "gemma2", "hidden_size": 3584, "intermediate_size": 14336,
    "num_hidden_layers": 42, "num_attention_heads": 16, "num_key_value_heads": 8,
    "head_dim": 256, "vocab_size": 256000, "sliding_window": 4096,
    "final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0,
}  # fmt: skip
GEMMA3_12B = {  # google/gemma-3-12b-it config.json (multimodal; text model in text_config)
    "model_type": "gemma3",
    "text_config": {
        "model_type": "gemma3_text", "hidden_size": 3840, "intermediate_size": 15360,
        "num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 8,
        "head_dim": 256, "sliding_window": 1024, "sliding_window_pattern": 6,
        "vocab_size": 262208,
    },
}  # fmt: skip


def test_gemma2_9b_count_and_alternating_window():
    # Hugging Face safetensors count for google/gemma-2-9b: 9,241,705,984. Soft-capping costs no
    # parameters. Even layers slide over 4,096 tokens: 21 of 42.
    m = ModelSpec.from_hf_config(GEMMA2_9B)
    assert m.n_params == 9_241_705_984
    assert m.n_windowed_layers == 21 and m.windows[:2] == (4096, None)
    per_layer_token = 2 * 8 * 256 * 2
    assert m.kv_cache_bytes(32_768, "bf16") == per_layer_token * (21 * 32_768 + 21 * 4096)


def test_gemma3_local_global_pattern():
    # Five local layers (1,024-token window) per global layer: 40 local, 8 global of 48.
    m = ModelSpec.from_hf_config(GEMMA3_12B)
    assert m.n_windowed_layers == 40 and m.windows[:6] == (1024,) * 5 + (None,)
    assert m.qk_norm and m.tied_embeddings and m.norms_per_layer == 4
    per_layer_token = 2 * 8 * 256 * 2
    assert m.kv_cache_bytes(131_072, "bf16") == per_layer_token * (8 * 131_072 + 40 * 1024)
    # Gemma 3 12B is "12B" with its 0.4B SigLIP vision encoder; the text model is 11.77B.
    assert m.n_params == pytest.approx(11.77e9, rel=0.001)


def test_mistral_with_explicit_head_dim():
    # Mistral-NeMo style: head_dim (128) is not hidden_size / heads (5120 / 32 = 160).
    cfg = config("mistral-7b") | {"hidden_size": 5120, "head_dim": 128, "sliding_window": None}
    m = ModelSpec.from_hf_config(cfg)
    assert m.head_dim == 128
    assert m.kv_bytes_per_token("bf16") == 2 * 32 * 8 * 128 * 2
    assert m.param_breakdown()["attention"] == 32 * (2 * 5120 * 4096 + 2 * 5120 * 1024)


def test_layer_types_must_match_layers():
    cfg = config("gpt-oss-20b") | {"layer_types": ["full_attention"] * 3}
    with pytest.raises(ConfigError, match="layer_types"):
        ModelSpec.from_hf_config(cfg)
    cfg = config("gpt-oss-20b") | {"layer_types": ["linear_attention"] * 24}
    with pytest.raises(ConfigError, match="allowed: full_attention"):
        ModelSpec.from_hf_config(cfg)


@pytest.mark.parametrize("name", models.NAMES)
@pytest.mark.parametrize("context", [1, 127, 128, 4096, 8193, 131_072])
def test_mean_cached_tokens_times_per_token_bytes_is_the_cache(name, context):
    # Callers (memory, roofline, energy) multiply kv_bytes_per_token by cached_tokens: that
    # product must be the layer-by-layer cache.
    m = models.get(name)
    assert m.kv_bytes_per_token("fp8") * m.cached_tokens(context) == pytest.approx(
        m.kv_cache_bytes(context, "fp8"), rel=1e-12
    )


def test_capacity_and_decode_bytes_use_the_per_layer_cache():
    from analysis import hardware, memory, roofline

    m = models.get("gpt-oss-120b")
    kv_32k = 2048 * (18 * 32_768 + 18 * 128)  # hand derivation above, bf16
    weights = 2 * m.n_params
    hbm = hardware.get("h200").mem_bytes
    limits = memory.serving_limits(m, "h200", 32_768, group_gpus=8)
    assert limits.capacity == int((8 * hbm - weights) // kv_32k)
    # Decode step: the weights 4 tokens touch (MoE read), each sequence its cache + one token's KV.
    step = roofline.forward_step(m, 4, 1, 32_768)
    assert step.bytes == pytest.approx(roofline.step_weight_bytes(m, 4) + 4 * (kv_32k + 73_728))


# ---- the designs chapter's families: state-space, linear- and sparse-attention hybrids ---------
@pytest.mark.parametrize("name", models.DESIGN_NAMES)
def test_design_total_parameters_match_published(name):
    # Nemotron 3 Nano: 31.6B (31.58B); Qwen3-Next: 80B (79.67B, the MTP layer not counted);
    # MiniMax-M1: 456B (456.09B); DeepSeek-V3.2: 685B with the 14B MTP module (671.88B here).
    published = models.info(name).published_params.value
    mtp = 14e9 if name == "deepseek-v3.2" else 0
    assert models.get(name).n_params == pytest.approx(published - mtp, rel=0.005)


def test_design_active_parameters_match_published():
    nano = models.get("nemotron-3-nano-30b-a3b")
    # Model card: 3.2B active without the embedding, 3.6B with it.
    assert nano.n_active_params - nano.n_embedding_params == pytest.approx(3.2e9, rel=0.01)
    assert nano.n_active_params == pytest.approx(3.6e9, rel=0.01)
    # MiniMax-01 report: 45.9B activated, which counts neither the embedding nor the head.
    mm = models.get("minimax-m1")
    parts = mm.param_breakdown(active=True)
    assert mm.n_active_params - parts["embedding"] - parts["lm_head"] == pytest.approx(
        45.9e9, rel=0.002
    )
    # Qwen3-Next "A3B": 3B activated to one significant figure (3.25B without embeddings).
    qn = models.get("qwen3-next-80b-a3b")
    qparts = qn.param_breakdown(active=True)
    assert round((qn.n_active_params - qparts["embedding"] - qparts["lm_head"]) / 1e9) == 3


def test_deepseek_v32_is_v3_plus_the_indexer_by_hand():
    # Per layer: wq_b 1536 x (64 x 128), wk 7168 x 128, k_norm weight + bias 2 x 128,
    # weights_proj 7168 x 64.
    indexer = 1536 * 64 * 128 + 7168 * 128 + 2 * 128 + 7168 * 64
    v32, v3 = models.get("deepseek-v3.2"), models.get("deepseek-v3")
    assert v32.n_params == v3.n_params + 61 * indexer
    assert v32.n_active_params == v3.n_active_params + 61 * indexer
    assert v32.index_topk == 2048 and v32.attention_kind == "MLA"


def test_nemotron_h_block_pattern():
    m = models.get("nemotron-3-nano-30b-a3b")
    pattern = config("nemotron-3-nano-30b-a3b")["hybrid_override_pattern"]
    kind = {"M": "linear", "*": "full", "-": "mlp", "E": "mlp"}
    assert m.kinds == tuple(kind[ch] for ch in pattern)
    assert m.cached_tokens(1000) == pytest.approx(6 * 1000 / 52)  # only 6 blocks keep tokens
    # Mamba-2 mixer by hand: in_proj d x (2 inner + 2 g N + H), conv (inner + 2 g N) x (k + 1),
    # dt_bias, A_log, D, gated norm, out_proj.
    d, inner, conv = 2688, 64 * 64, 64 * 64 + 2 * 8 * 128
    mixer = d * (2 * inner + 2 * 8 * 128 + 64) + conv * 5 + 3 * 64 + inner + inner * d
    assert m.param_breakdown()["mamba"] == 23 * mixer


def test_hybrid_kinds_and_windows_agree():
    for name in models.DESIGN_NAMES:
        m = models.get(name)
        for kind, window in zip(m.kinds, m.windows, strict=True):
            assert (window is None) == (kind == "full")
    scout = models.get("llama-4-scout")
    assert scout.kinds.count("chunked") == 36 and scout.kinds.count("full") == 12


@pytest.mark.parametrize(
    ("name", "key", "value", "match"),
    [
        ("nemotron-3-nano-30b-a3b", "hybrid_override_pattern", "M*", "hybrid_override_pattern"),
        ("nemotron-3-nano-30b-a3b", "mamba_ssm_cache_dtype", "float8", "mamba_ssm_cache_dtype"),
        ("qwen3-next-80b-a3b", "layer_types", ["sliding_attention"] * 48, "linear_attention"),
        ("minimax-m1", "attn_type_list", [0, 1], "attn_type_list"),
    ],
)
def test_hybrid_configs_reject_bad_keys(name, key, value, match):
    with pytest.raises(ConfigError, match=match):
        ModelSpec.from_hf_config(config(name) | {key: value})


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("nemotron-3-nano-30b-a3b", "ssm_state_size"),
        ("qwen3-next-80b-a3b", "linear_num_value_heads"),
        ("minimax-m1", "num_local_experts"),
        ("deepseek-v3.2", "index_head_dim"),
    ],
)
def test_hybrid_configs_name_a_missing_key(name, key):
    cfg = {k: v for k, v in config(name).items() if k != key}
    with pytest.raises(MissingConfigKeyError, match=key):
        ModelSpec.from_hf_config(cfg)


def test_with_full_attention_drops_the_recurrent_state():
    m = models.get("qwen3-next-80b-a3b").with_full_attention()
    assert m.state_bytes() == 0 and m.kinds == ("full",) * 48
    assert m.kv_cache_bytes(1000) == 48 * 2 * 2 * 256 * 2 * 1000


def test_design_models_stay_out_of_the_chapter_catalog():
    assert not set(models.DESIGN_NAMES) & {m.name for m in models.all_models()}
    assert [m.name for m in models.designs()] == list(models.DESIGN_NAMES)


def test_minimax_layer_types_form_counts_the_same():
    # transformers' MiniMax port (model_type "minimax") lists layer_types instead of
    # attn_type_list; the same architecture must count the same.
    cfg = config("minimax-m1")
    types = ["full_attention" if t else "linear_attention" for t in cfg.pop("attn_type_list")]
    ported = ModelSpec.from_hf_config(cfg | {"model_type": "minimax", "layer_types": types})
    assert ported.n_params == models.get("minimax-m1").n_params
    assert ported.kinds == models.get("minimax-m1").kinds

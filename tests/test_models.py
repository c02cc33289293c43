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


@pytest.mark.parametrize("name", models.NAMES)
def test_total_parameters_within_1_percent_of_model_card(name):
    published = models.info(name).published_params.value
    assert models.get(name).n_params == pytest.approx(published, rel=0.01)


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
    with pytest.raises(
        UnsupportedModelTypeError, match="llama, mistral, mixtral, qwen2, opt, gpt2, deepseek_v3"
    ):
        ModelSpec.from_hf_config({"model_type": "mamba"})


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

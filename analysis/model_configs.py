"""Hugging Face ``config.json`` -> ``ModelSpec``: one parser per family of ``model_type``.

Each parser reads only the keys that counting parameters and cache bytes needs; a key it needs
and the config lacks raises ``MissingConfigKeyError`` naming the key. Keys it does not need
(``max_position_embeddings``, RoPE settings, soft-capping, dropout) may be absent. Defaults are
the ones the family's ``transformers`` config class applies when the key is missing, and only
for keys that the released configs routinely leave out (noted where used).

Per-layer attention (``ModelSpec.layer_windows``): a sliding-window layer keeps at most its
window, a Llama 4 chunked layer at most ``attention_chunk_size`` tokens, a full layer the whole
context.
"""

from __future__ import annotations

import builtins
import dataclasses
from typing import Any

from . import models as _models
from .errors import (
    ConfigError,
    MissingConfigKeyError,
    UnsupportedModelTypeError,
    require_positive,
    require_text,
)

LLAMA_FAMILY = ("llama", "mistral", "mixtral", "qwen2")
# Multimodal wrappers whose language model sits in ``text_config``.
_WRAPPERS = {"llama4": "llama4_text", "gemma3": "gemma3_text"}
_LAYER_TYPES = ("full_attention", "sliding_attention", "chunked_attention")


class _Config:
    """Typed access to a config dict with errors that name the missing or bad key."""

    def __init__(self, raw: dict, model_type: str):
        self.raw, self.model_type = raw, model_type

    def int(self, key: str, default: object = ..., *, allow_zero: bool = False):
        if key not in self.raw or self.raw[key] is None:
            if default is ...:
                raise MissingConfigKeyError(key, self.model_type)
            return default
        value = self.raw[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key {key!r} must be an integer, got {value!r}")
        require_positive(f"config key {key!r}", value, allow_zero=allow_zero)
        return value

    def bool(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"config key {key!r} must be true or false, got {value!r}")
        return value

    def int_list(self, key: str, default: object = ...) -> list[builtins.int]:
        value = self.raw.get(key)
        if value is None:
            if default is ...:
                raise MissingConfigKeyError(key, self.model_type)
            return list(default)  # type: ignore[call-overload]
        if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in value
        ):
            raise ConfigError(f"config key {key!r} must be a list of integers, got {value!r}")
        return value


def _head_dim(c: _Config, d: int, heads: int) -> int:
    head_dim = c.int("head_dim", None)
    if head_dim is None:
        if d % heads:
            raise ConfigError(f"hidden_size {d} is not divisible by num_attention_heads {heads}")
        head_dim = d // heads
    return head_dim


def _layer_types(c: _Config, n_layers: int) -> list[str] | None:
    """``layer_types`` when the config lists them (checked against num_hidden_layers)."""
    types = c.raw.get("layer_types")
    if types is None:
        return None
    if not isinstance(types, list) or len(types) != n_layers:
        raise ConfigError(
            f"config key 'layer_types' must list one type per layer ({n_layers}), got {types!r}"
        )
    bad = sorted({t for t in types if t not in _LAYER_TYPES}, key=str)
    if bad:
        raise ConfigError(f"config key 'layer_types' has {bad}; allowed: {', '.join(_LAYER_TYPES)}")
    return types


def _windows(types: list[str], window: int | None, chunk: int | None = None) -> tuple:
    """Per-layer cap [tokens] from layer types; a sliding layer without a window is an error."""
    if "sliding_attention" in types and window is None:
        raise ConfigError("layer_types has sliding_attention layers but sliding_window is unset")
    caps = {"full_attention": None, "sliding_attention": window, "chunked_attention": chunk}
    return tuple(caps[t] for t in types)


def _common(c: _Config, name: str, **kw) -> _models.ModelSpec:
    """A ModelSpec from the keys every family shares; ``kw`` overrides (those keys are not read)."""
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    readers = {
        "n_layers": lambda: c.int("num_hidden_layers"),
        "n_kv_heads": lambda: c.int("num_key_value_heads", heads),
        "head_dim": lambda: _head_dim(c, d, heads),
        "d_ff": lambda: c.int("intermediate_size"),
        "vocab_size": lambda: c.int("vocab_size"),
        "max_context": lambda: c.int("max_position_embeddings", None),
        "tied_embeddings": lambda: c.bool("tie_word_embeddings", False),
    }
    fields = {k: read() for k, read in readers.items() if k not in kw}
    return _models.ModelSpec(
        name=name, model_type=c.model_type, d_model=d, n_heads=heads, **fields, **kw
    )


def _llama_family(c: _Config, name: str) -> _models.ModelSpec:
    is_qwen2, is_mixtral = c.model_type == "qwen2", c.model_type == "mixtral"
    window = c.int("sliding_window", None)
    if is_qwen2 and not c.bool("use_sliding_window", False):
        window = None  # Qwen2 configs carry a window value that is switched off
    return _common(
        c,
        name,
        qkv_bias=is_qwen2 or c.bool("attention_bias", False),  # Qwen2 always has q/k/v biases
        o_bias=c.bool("attention_bias", False),
        mlp_bias=c.bool("mlp_bias", False),
        sliding_window=window,
        n_experts=c.int("num_local_experts") if is_mixtral else 0,
        n_experts_per_tok=c.int("num_experts_per_tok") if is_mixtral else 0,
        moe_d_ff=c.int("intermediate_size") if is_mixtral else 0,
    )


def _qwen3(c: _Config, name: str) -> _models.ModelSpec:
    """Qwen3 dense and MoE: q/k RMSNorm per head, no q/k/v bias, optional sliding layers."""
    n_layers = c.int("num_hidden_layers")
    types = _layer_types(c, n_layers)
    window = c.int("sliding_window", None)
    if types is None:  # transformers' default: sliding from max_window_layers on, if switched on
        on = c.bool("use_sliding_window", False)
        first = c.int("max_window_layers", n_layers, allow_zero=True)
        types = [
            "sliding_attention" if on and i >= first else "full_attention" for i in range(n_layers)
        ]
    moe = {}
    if c.model_type == "qwen3_moe":
        step = c.int("decoder_sparse_step", 1)
        dense = set(c.int_list("mlp_only_layers", []))
        n_experts = c.int("num_experts")
        moe = {
            "n_experts": n_experts,
            "n_experts_per_tok": c.int("num_experts_per_tok"),
            "moe_d_ff": c.int("moe_intermediate_size"),
            "moe_layer_ids": tuple(
                i for i in range(n_layers) if i not in dense and (i + 1) % step == 0
            ),
        }
    bias = c.bool("attention_bias", False)
    return _common(
        c,
        name,
        qkv_bias=bias,
        o_bias=bias,
        qk_norm=True,
        layer_windows=_windows(types, window),
        **moe,
    )


def _gpt_oss(c: _Config, name: str) -> _models.ModelSpec:
    """gpt-oss: alternating full / sliding layers, attention sinks and biases, top-k MoE."""
    n_layers = c.int("num_hidden_layers")
    types = _layer_types(c, n_layers)
    if types is None:  # transformers' GptOssConfig default: sliding on even layers
        types = ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n_layers)]
    top_k = c.int("num_experts_per_tok", None) or c.int("experts_per_token")
    bias = c.bool("attention_bias", True)
    return _common(
        c,
        name,
        qkv_bias=bias,
        o_bias=bias,
        attention_sinks=True,
        layer_windows=_windows(types, c.int("sliding_window", None)),
        n_experts=c.int("num_local_experts"),
        n_experts_per_tok=top_k,
        moe_d_ff=c.int("intermediate_size"),
        moe_layer_ids=tuple(range(n_layers)),
        expert_bias=True,
        router_bias=True,
    )


def _llama4(c: _Config, name: str) -> _models.ModelSpec:
    """Llama 4 text model: interleaved MoE / dense layers, a shared expert, chunked attention.

    RoPE layers attend within ``attention_chunk_size`` chunks; NoPE layers (``no_rope_layers``
    entry 0; transformers' default: every 4th layer) attend to the whole context.
    """
    n_layers = c.int("num_hidden_layers")
    step = c.int("interleave_moe_layer_step", 1)
    moe_layers = c.int_list("moe_layers", range(step - 1, n_layers, step))
    interval = c.int("no_rope_layer_interval", 4)
    rope = c.int_list("no_rope_layers", []) or [
        int((i + 1) % interval != 0) for i in range(n_layers)
    ]
    if len(rope) != n_layers:
        raise ConfigError(f"config key 'no_rope_layers' must have {n_layers} entries")
    chunk = c.int("attention_chunk_size", None)
    types = ["chunked_attention" if r and chunk else "full_attention" for r in rope]
    return _common(
        c,
        name,
        d_ff=c.int("intermediate_size_mlp"),  # dense layers
        qkv_bias=c.bool("attention_bias", False),
        o_bias=c.bool("attention_bias", False),
        layer_windows=_windows(types, None, chunk),
        layer_kinds=tuple("chunked" if t == "chunked_attention" else "full" for t in types),
        n_experts=c.int("num_local_experts"),
        n_experts_per_tok=c.int("num_experts_per_tok"),
        n_shared_experts=1,
        moe_d_ff=c.int("intermediate_size"),
        moe_layer_ids=tuple(moe_layers),
    )


def _gemma(c: _Config, name: str) -> _models.ModelSpec:
    """Gemma 2 / 3: local (sliding) and global layers, four norms per layer, tied embeddings."""
    n_layers = c.int("num_hidden_layers")
    types = _layer_types(c, n_layers)
    if types is None:
        if c.model_type == "gemma2":  # Gemma2DecoderLayer: sliding on even layers
            types = [
                "sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n_layers)
            ]
        else:  # Gemma3TextConfig default: every 6th layer global
            pattern = c.int("sliding_window_pattern", 6)
            types = [
                "full_attention" if (i + 1) % pattern == 0 else "sliding_attention"
                for i in range(n_layers)
            ]
    extra = {}
    if c.model_type == "gemma3_text" and "vocab_size" not in c.raw:
        extra["vocab_size"] = 262_208  # Gemma3TextConfig default; multimodal configs omit it
    bias = c.bool("attention_bias", False)
    return _common(
        c,
        name,
        tied_embeddings=c.bool("tie_word_embeddings", True),
        qkv_bias=bias,
        o_bias=bias,
        qk_norm=c.model_type == "gemma3_text",
        norms_per_layer=4,
        layer_windows=_windows(types, c.int("sliding_window", None)),
        **extra,
    )


def _opt(c: _Config, name: str) -> _models.ModelSpec:
    d = c.int("hidden_size")
    bias = c.bool("enable_bias", True)
    return _common(
        c,
        name,
        n_kv_heads=c.int("num_attention_heads"),
        d_ff=c.int("ffn_dim"),
        gated_mlp=False,
        layer_norm=True,
        tied_embeddings=c.bool("tie_word_embeddings", True),
        qkv_bias=bias,
        o_bias=bias,
        mlp_bias=bias,
        learned_positions=c.int("max_position_embeddings") + 2,  # OPT offsets positions by 2
        embed_proj_dim=c.int("word_embed_proj_dim", d),
    )


def _gpt2(c: _Config, name: str) -> _models.ModelSpec:
    d, heads = c.int("n_embd"), c.int("n_head")
    context = c.int("n_positions", None) or c.int("n_ctx")
    return _models.ModelSpec(
        name=name,
        model_type="gpt2",
        n_layers=c.int("n_layer"),
        d_model=d,
        n_heads=heads,
        n_kv_heads=heads,
        head_dim=_head_dim(c, d, heads),
        d_ff=c.int("n_inner", 4 * d),
        vocab_size=c.int("vocab_size"),
        max_context=context,
        gated_mlp=False,
        layer_norm=True,
        tied_embeddings=c.bool("tie_word_embeddings", True),
        qkv_bias=True,
        o_bias=True,
        mlp_bias=True,
        learned_positions=context,
    )


def _deepseek_v3(c: _Config, name: str) -> _models.ModelSpec:
    """DeepSeek-V3 / V3.1 / R1 and Kimi K2 (``kimi_k2``): MLA and routed + shared experts."""
    return _common(
        c,
        name,
        head_dim=c.int("v_head_dim"),
        n_experts=c.int("n_routed_experts"),
        n_experts_per_tok=c.int("num_experts_per_tok"),
        n_shared_experts=c.int("n_shared_experts", 0, allow_zero=True),
        moe_d_ff=c.int("moe_intermediate_size"),
        first_dense_layers=c.int("first_k_dense_replace", 0, allow_zero=True),
        moe_layer_freq=c.int("moe_layer_freq", 1),
        router_bias=c.raw.get("topk_method") == "noaux_tc",  # e_score_correction_bias
        q_lora_rank=c.int("q_lora_rank", None),
        kv_lora_rank=c.int("kv_lora_rank"),
        qk_nope_head_dim=c.int("qk_nope_head_dim"),
        qk_rope_head_dim=c.int("qk_rope_head_dim"),
        v_head_dim=c.int("v_head_dim"),
        notes=(
            "multi-token-prediction module (num_nextn_predict_layers) not counted: "
            "it is used for training and speculative decoding, not in the main model",
        ),
    )


# ---- hybrids: state-space, linear-attention and sparse-attention layers ------------------------
_STATE_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def _state_dtype(c: _Config, key: str) -> str | None:
    value = c.raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in _STATE_DTYPES:
        raise ConfigError(
            f"config key {key!r} must be one of {sorted(_STATE_DTYPES)}, got {value!r}"
        )
    return _STATE_DTYPES[value]


def _gqa_params(d: int, heads: int, kv_heads: int, head_dim: int, bias: bool, q_mult: int = 1):
    """q (times ``q_mult``: Qwen3-Next's output gate doubles it), k, v and o projections."""
    q, kv = heads * head_dim, kv_heads * head_dim
    weights = d * q * q_mult + 2 * d * kv + q * d
    return weights + ((q * q_mult + 2 * kv + d) if bias else 0)


def _mlp(d: int, width: int, gated: bool, bias: bool = False) -> int:
    return (3 if gated else 2) * d * width + (
        (2 * width + d if gated else width + d) if bias else 0
    )


def _hybrid(c: _Config, name: str, kinds, states, parts, active, **kw) -> _models.ModelSpec:
    """A hybrid's spec: per-layer kinds and states, and the counts its parser derived."""
    windows = tuple(None if k == "full" else 0 for k in kinds)  # linear / mlp layers hold no tokens
    kw.setdefault("state_dtype", _STATE_DTYPES.get(str(c.raw.get("torch_dtype")), "bf16"))
    return _common(
        c,
        name,
        layer_windows=windows,
        layer_kinds=tuple(kinds),
        layer_state_elements=tuple(states),
        counted_params=tuple(parts.items()),
        counted_active_params=tuple(active.items()),
        **kw,
    )


def _nemotron_h(c: _Config, name: str) -> _models.ModelSpec:
    """Nemotron-H: one block per character of ``hybrid_override_pattern``.

    ``M`` Mamba-2 mixer, ``*`` attention (GQA, no RoPE), ``-`` MLP (squared ReLU, not gated),
    ``E`` MoE (routed + shared experts). Each block is one pre-norm plus its mixer, as in
    transformers' ``NemotronHBlock``. A Mamba-2 layer keeps a constant state per sequence: the
    SSM state (heads x head_dim x d_state) and the causal convolution's last ``conv_kernel - 1``
    inputs over its channels (inner width + 2 x groups x d_state), as vLLM's Mamba-2 cache does.
    """
    n_layers = c.int("num_hidden_layers")
    pattern = c.raw.get("hybrid_override_pattern")
    if not isinstance(pattern, str) or len(pattern) != n_layers or set(pattern) - set("M*-E"):
        raise ConfigError(
            f"config key 'hybrid_override_pattern' must be {n_layers} characters of M * - E, "
            f"got {pattern!r}"
        )
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv_heads = c.int("num_key_value_heads", heads)
    head_dim = c.int("head_dim", None) or c.int("attention_head_dim", None) or d // heads
    m_heads, m_head_dim = c.int("mamba_num_heads"), c.int("mamba_head_dim")
    groups, d_state, kernel = c.int("n_groups"), c.int("ssm_state_size"), c.int("conv_kernel")
    inner = m_heads * m_head_dim
    conv_dim = inner + 2 * groups * d_state
    proj_bias = c.bool("use_bias", False)
    mamba = (
        d * (inner + conv_dim + m_heads) + ((inner + conv_dim + m_heads) if proj_bias else 0)
        + conv_dim * kernel + (conv_dim if c.bool("use_conv_bias", True) else 0)
        + 3 * m_heads  # dt_bias, A_log, D
        + inner  # gated RMSNorm
        + inner * d + (d if proj_bias else 0)
    )  # fmt: skip
    mamba_state = m_heads * m_head_dim * d_state + (kernel - 1) * conv_dim
    attn = _gqa_params(d, heads, kv_heads, head_dim, c.bool("attention_bias", False))
    mlp_bias = c.bool("mlp_bias", False)
    mlp = _mlp(d, c.int("intermediate_size"), gated=False, bias=mlp_bias) if "-" in pattern else 0
    n_experts = top_k = routed = shared = 0
    if "E" in pattern:
        n_experts, top_k = c.int("n_routed_experts"), c.int("num_experts_per_tok")
        routed = _mlp(d, c.int("moe_intermediate_size"), gated=False, bias=mlp_bias)
        shared = c.int("n_shared_experts", 1, allow_zero=True) * _mlp(
            d, c.int("moe_shared_expert_intermediate_size"), gated=False, bias=mlp_bias
        )
    counts = {ch: pattern.count(ch) for ch in "M*-E"}
    vocab = c.int("vocab_size")
    tied = c.bool("tie_word_embeddings", False)
    parts = {
        "embedding": vocab * d,
        "attention": counts["*"] * attn,
        "mamba": counts["M"] * mamba,
        "norms": (n_layers + 1) * d,
        "mlp": counts["-"] * mlp,
        "experts": counts["E"] * (n_experts * routed + shared),
        "router": counts["E"] * (d * n_experts + n_experts),  # gate + e_score_correction_bias
        "lm_head": 0 if tied else vocab * d,
    }
    active = parts | {"experts": counts["E"] * (top_k * routed + shared)}
    kind = {"M": "linear", "*": "full", "-": "mlp", "E": "mlp"}
    return _hybrid(
        c,
        name,
        [kind[ch] for ch in pattern],
        [mamba_state if ch == "M" else 0 for ch in pattern],
        parts,
        active,
        n_kv_heads=kv_heads,
        head_dim=head_dim,
        d_ff=c.int("intermediate_size"),
        gated_mlp=False,
        state_dtype=_state_dtype(c, "mamba_ssm_cache_dtype")
        or _STATE_DTYPES.get(str(c.raw.get("torch_dtype")), "bf16"),
        n_experts=n_experts,
        n_experts_per_tok=top_k,
    )


def _qwen3_next(c: _Config, name: str) -> _models.ModelSpec:
    """Qwen3-Next: Gated DeltaNet layers with a gated-attention layer every
    ``full_attention_interval``; every layer's MLP is a MoE with one gated shared expert.

    A Gated DeltaNet layer keeps per sequence a recurrent state of value heads x key head dim x
    value head dim and its convolution's last ``linear_conv_kernel_dim - 1`` inputs over
    2 x key dim + value dim channels (vLLM's gated-delta-net cache).
    """
    n_layers = c.int("num_hidden_layers")
    types = c.raw.get("layer_types")
    if types is None:
        interval = c.int("full_attention_interval", 4)
        types = [
            "full_attention" if (i + 1) % interval == 0 else "linear_attention"
            for i in range(n_layers)
        ]
    if (
        not isinstance(types, list)
        or len(types) != n_layers
        or set(types) - {"full_attention", "linear_attention"}
    ):
        raise ConfigError(
            f"config key 'layer_types' must list {n_layers} of full_attention / "
            f"linear_attention, got {types!r}"
        )
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv_heads, head_dim = c.int("num_key_value_heads", heads), _head_dim(c, d, heads)
    k_heads, v_heads = c.int("linear_num_key_heads"), c.int("linear_num_value_heads")
    k_dim, v_dim = c.int("linear_key_head_dim"), c.int("linear_value_head_dim")
    kernel = c.int("linear_conv_kernel_dim")
    key, value = k_heads * k_dim, v_heads * v_dim
    conv_dim = 2 * key + value
    gdn = (
        d * (2 * key + 2 * value)  # in_proj_qkvz
        + d * 2 * v_heads  # in_proj_ba
        + conv_dim * kernel  # depthwise conv, no bias
        + 2 * v_heads  # dt_bias, A_log
        + v_dim  # gated RMSNorm over one head
        + value * d  # out_proj
    )
    gdn_state = v_heads * k_dim * v_dim + (kernel - 1) * conv_dim
    bias = c.bool("attention_bias", False)
    attn = _gqa_params(d, heads, kv_heads, head_dim, bias, q_mult=2) + 2 * head_dim  # q/k norm
    step = c.int("decoder_sparse_step", 1)
    dense = set(c.int_list("mlp_only_layers", []))
    n_experts = c.int("num_experts")
    moe_ids = [i for i in range(n_layers) if i not in dense and (i + 1) % step == 0]
    routed = _mlp(d, c.int("moe_intermediate_size"), gated=True)
    shared = _mlp(d, c.int("shared_expert_intermediate_size"), gated=True) + d  # + its gate
    top_k = c.int("num_experts_per_tok")
    n_full = types.count("full_attention")
    vocab = c.int("vocab_size")
    tied = c.bool("tie_word_embeddings", False)
    parts = {
        "embedding": vocab * d,
        "attention": n_full * attn,
        "linear_attention": (n_layers - n_full) * gdn,
        "norms": (2 * n_layers + 1) * d,
        "mlp": (n_layers - len(moe_ids)) * _mlp(d, c.int("intermediate_size"), gated=True),
        "experts": len(moe_ids) * (n_experts * routed + shared),
        "router": len(moe_ids) * d * n_experts,
        "lm_head": 0 if tied else vocab * d,
    }
    active = parts | {"experts": len(moe_ids) * (top_k * routed + shared)}
    full = [t == "full_attention" for t in types]
    return _hybrid(
        c,
        name,
        ["full" if f else "linear" for f in full],
        [0 if f else gdn_state for f in full],
        parts,
        active,
        n_kv_heads=kv_heads,
        head_dim=head_dim,
        qk_norm=True,
        n_experts=n_experts,
        n_experts_per_tok=top_k,
        moe_d_ff=c.int("moe_intermediate_size"),
        moe_layer_ids=tuple(moe_ids),
    )


def _minimax(c: _Config, name: str) -> _models.ModelSpec:
    """MiniMax-Text-01 / M1: lightning (linear) attention layers (``attn_type_list`` 0) and
    softmax GQA layers (1), a top-k MoE in every layer.

    A lightning-attention layer keeps per sequence one key-value state of heads x head_dim x
    head_dim (vLLM's linear-attention cache); its projections are fused q/k/v, an output gate,
    an RMSNorm over heads x head_dim, and the output projection, none with biases.
    """
    n_layers = c.int("num_hidden_layers")
    types = c.int_list("attn_type_list") if c.raw.get("attn_type_list") is not None else None
    if types is None:
        layer_types = c.raw.get("layer_types")
        if not isinstance(layer_types, list):
            raise MissingConfigKeyError("attn_type_list", c.model_type)
        types = [int(t == "full_attention") for t in layer_types]
    if len(types) != n_layers or set(types) - {0, 1}:
        raise ConfigError(
            f"config key 'attn_type_list' must list {n_layers} of 0 / 1, got {types!r}"
        )
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv_heads, head_dim = c.int("num_key_value_heads", heads), _head_dim(c, d, heads)
    inner = heads * head_dim
    lightning = 3 * d * inner + d * inner + inner + inner * d
    softmax = _gqa_params(d, heads, kv_heads, head_dim, False)
    n_experts, top_k = c.int("num_local_experts"), c.int("num_experts_per_tok")
    routed = _mlp(d, c.int("intermediate_size"), gated=True)
    shared = c.int("shared_intermediate_size", 0, allow_zero=True)
    shared_params = _mlp(d, shared, gated=True) + d if shared else 0  # + its sigmoid gate
    n_soft = sum(types)
    vocab = c.int("vocab_size")
    tied = c.bool("tie_word_embeddings", False)
    parts = {
        "embedding": vocab * d,
        "attention": n_soft * softmax,
        "linear_attention": (n_layers - n_soft) * lightning,
        "norms": (2 * n_layers + 1) * d,
        "experts": n_layers * (n_experts * routed + shared_params),
        "router": n_layers * d * n_experts,
        "lm_head": 0 if tied else vocab * d,
    }
    active = parts | {"experts": n_layers * (top_k * routed + shared_params)}
    return _hybrid(
        c,
        name,
        ["full" if t else "linear" for t in types],
        [0 if t else heads * head_dim * head_dim for t in types],
        parts,
        active,
        n_kv_heads=kv_heads,
        head_dim=head_dim,
        n_experts=n_experts,
        n_experts_per_tok=top_k,
        moe_d_ff=c.int("intermediate_size"),
        moe_layer_ids=tuple(range(n_layers)),
    )


def _deepseek_v32(c: _Config, name: str) -> _models.ModelSpec:
    """DeepSeek-V3.2: V3's MLA and experts plus DeepSeek sparse attention (DSA).

    The lightning indexer in every layer projects the query latent to ``index_n_heads`` heads
    of ``index_head_dim`` (wq_b), the hidden state to one key (wk, LayerNorm k_norm with bias)
    and to per-head weights (weights_proj); it caches that key for every token, and attention
    then reads only the ``index_topk`` tokens it selects (DeepSeek's reference inference code).
    """
    base = _deepseek_v3(c, name)
    idx_heads, idx_dim = c.int("index_n_heads"), c.int("index_head_dim")
    q_rank = c.int("q_lora_rank")
    indexer = q_rank * idx_heads * idx_dim + base.d_model * idx_dim + 2 * idx_dim
    indexer += base.d_model * idx_heads
    parts = base.param_breakdown() | {"indexer": base.n_layers * indexer}
    active = base.param_breakdown(active=True) | {"indexer": base.n_layers * indexer}
    return dataclasses.replace(
        base,
        index_topk=c.int("index_topk"),
        index_head_dim=idx_dim,
        counted_params=tuple(parts.items()),
        counted_active_params=tuple(active.items()),
    )


_PARSERS = {t: _llama_family for t in LLAMA_FAMILY} | {
    "qwen3": _qwen3,
    "qwen3_moe": _qwen3,
    "gpt_oss": _gpt_oss,
    "llama4_text": _llama4,
    "gemma2": _gemma,
    "gemma3_text": _gemma,
    "opt": _opt,
    "gpt2": _gpt2,
    "deepseek_v3": _deepseek_v3,
    "kimi_k2": _deepseek_v3,
    "nemotron_h": _nemotron_h,
    "qwen3_next": _qwen3_next,
    "minimax_m1": _minimax,
    "minimax": _minimax,
    "deepseek_v32": _deepseek_v32,
}
assert set(_PARSERS) | set(_WRAPPERS) == set(_models.SUPPORTED_MODEL_TYPES)


def parse_config(config: dict, name: str | None = None) -> _models.ModelSpec:
    """The ``ModelSpec`` of a config.json dict; see the module docstring for the rules.

    ``config`` is the parsed config.json; ``name`` names the model (default: the config's
    ``_name_or_path``, else its ``model_type``).
    """
    if not isinstance(config, dict):
        raise ConfigError(
            f"config must be a dict parsed from config.json, got {type(config).__name__}"
        )
    model_type = config.get("model_type")
    if model_type is None and {"n_layer", "n_embd", "n_head"} <= config.keys():
        model_type = "gpt2"
    supported = list(_models.SUPPORTED_MODEL_TYPES)
    if not isinstance(model_type, str) or model_type not in supported:
        raise UnsupportedModelTypeError(model_type, supported)
    if name is not None:
        require_text("name", name)
    name = name or str(config.get("_name_or_path") or model_type)
    raw: Any = config
    if model_type in _WRAPPERS:
        raw = config.get("text_config")
        if not isinstance(raw, dict):
            raise MissingConfigKeyError("text_config", model_type)
        model_type = _WRAPPERS[model_type]
    return _PARSERS[model_type](_Config(raw, model_type), name)

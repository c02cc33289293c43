"""Transformer architectures: parameter counts, weight bytes and KV-cache bytes per token.

A ``ModelSpec`` is built from a model's real Hugging Face ``config.json`` (``from_hf_config``).
Parameter counts follow the architecture: embeddings (plus learned positions), attention with
the family's biases, the MLP or the experts + router + shared experts, norms, and the output
head unless it is tied to the embedding. KV-cache sizes cover MHA, GQA, MQA and DeepSeek's MLA.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

import yaml

from .errors import (
    ConfigError,
    MissingConfigKeyError,
    UnknownNameError,
    UnsupportedModelTypeError,
    require_positive,
)
from .sources import DATA_DIR, Sourced, check_source
from .units import exact_bytes

NAMES = (
    "llama-3-8b", "llama-3-70b", "llama-3.1-405b", "llama-2-70b", "mistral-7b",
    "mixtral-8x7b", "deepseek-v3", "gpt-3-175b", "qwen2.5-72b",
)  # fmt: skip
LLAMA_FAMILY = ("llama", "mistral", "mixtral", "qwen2")
SUPPORTED_MODEL_TYPES = (*LLAMA_FAMILY, "opt", "gpt2", "deepseek_v3")


@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer, sized from its config. Counts are exact integers."""

    name: str
    model_type: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int  # width of the dense MLP
    vocab_size: int
    max_context: int
    gated_mlp: bool = True  # SwiGLU (gate, up, down) vs plain (fc1, fc2)
    layer_norm: bool = False  # LayerNorm (weight + bias) vs RMSNorm (weight only)
    tied_embeddings: bool = False
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    learned_positions: int = 0  # rows of a learned position table (0 with RoPE)
    embed_proj_dim: int | None = None  # OPT's word_embed_proj_dim when it differs from d_model
    sliding_window: int | None = None
    # Mixture of experts
    n_experts: int = 0
    n_experts_per_tok: int = 0
    n_shared_experts: int = 0
    moe_d_ff: int = 0
    first_dense_layers: int = 0
    moe_layer_freq: int = 1
    router_bias: bool = False
    # Multi-head latent attention (DeepSeek)
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    notes: tuple[str, ...] = field(default=(), compare=False)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_hf_config(cls, config: dict, name: str | None = None) -> ModelSpec:
        """Build from a Hugging Face config.json dict (Llama/Mistral/Mixtral/Qwen2, OPT, GPT-2, DeepSeek-V3)."""
        if not isinstance(config, dict):
            raise ConfigError(
                f"config must be a dict parsed from config.json, got {type(config).__name__}"
            )
        model_type = config.get("model_type")
        if model_type is None and {"n_layer", "n_embd", "n_head"} <= config.keys():
            model_type = "gpt2"
        if model_type not in SUPPORTED_MODEL_TYPES:
            raise UnsupportedModelTypeError(model_type, list(SUPPORTED_MODEL_TYPES))
        name = name or str(config.get("_name_or_path") or model_type)
        spec = _PARSERS[model_type](_Config(config, model_type), name)
        spec._validate()
        return spec

    def _validate(self) -> None:
        if self.n_heads % self.n_kv_heads:
            raise ConfigError(
                f"{self.name}: num_attention_heads ({self.n_heads}) must be a multiple of "
                f"num_key_value_heads ({self.n_kv_heads})"
            )
        if self.n_experts and not 0 < self.n_experts_per_tok <= self.n_experts:
            raise ConfigError(
                f"{self.name}: experts per token ({self.n_experts_per_tok}) must be in 1..{self.n_experts}"
            )
        if self.first_dense_layers > self.n_layers:
            raise ConfigError(f"{self.name}: first_k_dense_replace exceeds num_hidden_layers")

    # ---- attention and KV cache -----------------------------------------------------------
    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank is not None

    @property
    def attention_kind(self) -> str:
        """'MLA', 'MHA' (one KV head per query head), 'MQA' (one KV head) or 'GQA'."""
        if self.is_mla:
            return "MLA"
        if self.n_kv_heads == self.n_heads:
            return "MHA"
        return "MQA" if self.n_kv_heads == 1 else "GQA"

    @property
    def gqa_group(self) -> int:
        """Query heads that share one KV head (1 for MHA; all heads for MQA and MLA's latent)."""
        return self.n_heads if self.is_mla else self.n_heads // self.n_kv_heads

    @property
    def kv_elements_per_token(self) -> int:
        """Cached elements per token over all layers: K and V, or MLA's latent plus its RoPE key."""
        if self.is_mla:
            return self.n_layers * (self.kv_lora_rank + self.qk_rope_head_dim)
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim

    def kv_bytes_per_token(self, dtype: str = "bf16") -> int:
        """KV-cache bytes one token adds, over all layers."""
        return exact_bytes(self.kv_elements_per_token, dtype)

    def cached_tokens(self, context_tokens: int) -> int:
        """Tokens whose KV is held at a context length: capped by a sliding window if there is one."""
        require_positive("context_tokens", context_tokens, allow_zero=True)
        window = self.sliding_window
        return int(context_tokens if window is None else min(context_tokens, window))

    def kv_cache_bytes(self, context_tokens: int, dtype: str = "bf16") -> int:
        """KV-cache bytes of one sequence at ``context_tokens``."""
        return exact_bytes(self.kv_elements_per_token * self.cached_tokens(context_tokens), dtype)

    # ---- parameters -------------------------------------------------------------------------
    def _mlp_params(self, width: int) -> int:
        d = self.d_model
        if self.gated_mlp:
            return 3 * d * width + (2 * width + d if self.mlp_bias else 0)
        return 2 * d * width + (width + d if self.mlp_bias else 0)

    def _attention_params(self) -> int:
        d, h = self.d_model, self.n_heads
        if self.is_mla:
            qk_head = self.qk_nope_head_dim + self.qk_rope_head_dim
            if self.q_lora_rank:
                q = d * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * h * qk_head
            else:
                q = d * h * qk_head
            kv = (
                d * (self.kv_lora_rank + self.qk_rope_head_dim)  # kv_a_proj_with_mqa
                + self.kv_lora_rank  # kv_a_layernorm
                + self.kv_lora_rank * h * (self.qk_nope_head_dim + self.v_head_dim)  # kv_b_proj
            )
            return q + kv + h * self.v_head_dim * d
        q_out, kv_out = h * self.head_dim, self.n_kv_heads * self.head_dim
        weights = d * q_out + 2 * d * kv_out + q_out * d
        biases = (q_out + 2 * kv_out if self.qkv_bias else 0) + (d if self.o_bias else 0)
        return weights + biases

    def _norm_params(self) -> int:
        return 2 * self.d_model if self.layer_norm else self.d_model

    def _is_moe_layer(self, layer: int) -> bool:
        return (
            self.n_experts > 0
            and layer >= self.first_dense_layers
            and layer % self.moe_layer_freq == 0
        )

    @property
    def n_moe_layers(self) -> int:
        return sum(self._is_moe_layer(i) for i in range(self.n_layers))

    def param_breakdown(self, active: bool = False) -> dict[str, int]:
        """Parameters by component; ``active=True`` counts only the experts one token uses."""
        d, vocab = self.d_model, self.vocab_size
        embed_dim = self.embed_proj_dim or d
        parts = {"embedding": vocab * embed_dim + self.learned_positions * d}
        if embed_dim != d:  # OPT-350m style projections in and out of the model width
            parts["embedding"] += 2 * embed_dim * d
        parts["attention"] = self.n_layers * self._attention_params()
        parts["norms"] = (2 * self.n_layers + 1) * self._norm_params()
        n_moe = self.n_moe_layers
        parts["mlp"] = (self.n_layers - n_moe) * self._mlp_params(self.d_ff)
        if n_moe:
            routed = self.n_experts_per_tok if active else self.n_experts
            expert = self._mlp_params(self.moe_d_ff)
            parts["experts"] = n_moe * (routed + self.n_shared_experts) * expert
            parts["router"] = n_moe * (
                d * self.n_experts + (self.n_experts if self.router_bias else 0)
            )
        parts["lm_head"] = 0 if self.tied_embeddings else vocab * embed_dim
        return parts

    @property
    def n_params(self) -> int:
        """Total parameters."""
        return sum(self.param_breakdown().values())

    @property
    def n_active_params(self) -> int:
        """Parameters used per token: all of them for a dense model, the routed few for MoE."""
        return sum(self.param_breakdown(active=True).values())

    @property
    def n_embedding_params(self) -> int:
        """Input embedding (and position table): looked up, never multiplied."""
        return self.param_breakdown()["embedding"]

    def weight_bytes(self, dtype: str = "bf16") -> int:
        """Bytes of all weights stored in ``dtype``."""
        return exact_bytes(self.n_params, dtype)


# ---- config parsing --------------------------------------------------------------------------
class _Config:
    """Typed access to a config dict with errors that name the missing or bad key."""

    def __init__(self, raw: dict, model_type: str):
        self.raw, self.model_type = raw, model_type

    def int(self, key: str, default: object = ..., *, allow_zero: bool = False) -> int:
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
        if not isinstance(value, bool):
            raise ConfigError(f"config key {key!r} must be true or false, got {value!r}")
        return value


def _head_dim(c: _Config, d: int, heads: int) -> int:
    head_dim = c.int("head_dim", None)
    if head_dim is None:
        if d % heads:
            raise ConfigError(f"hidden_size {d} is not divisible by num_attention_heads {heads}")
        head_dim = d // heads
    return head_dim


def _llama_family(c: _Config, name: str) -> ModelSpec:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    is_qwen2, is_mixtral = c.model_type == "qwen2", c.model_type == "mixtral"
    window = c.int("sliding_window", None)
    if is_qwen2 and not c.bool("use_sliding_window", False):
        window = None  # Qwen2 configs carry a window value that is switched off
    return ModelSpec(
        name=name,
        model_type=c.model_type,
        n_layers=c.int("num_hidden_layers"),
        d_model=d,
        n_heads=heads,
        n_kv_heads=c.int("num_key_value_heads", heads),
        head_dim=_head_dim(c, d, heads),
        d_ff=c.int("intermediate_size"),
        vocab_size=c.int("vocab_size"),
        max_context=c.int("max_position_embeddings"),
        tied_embeddings=c.bool("tie_word_embeddings", False),
        qkv_bias=is_qwen2 or c.bool("attention_bias", False),  # Qwen2 always has q/k/v biases
        o_bias=c.bool("attention_bias", False),
        mlp_bias=c.bool("mlp_bias", False),
        sliding_window=window,
        n_experts=c.int("num_local_experts") if is_mixtral else 0,
        n_experts_per_tok=c.int("num_experts_per_tok") if is_mixtral else 0,
        moe_d_ff=c.int("intermediate_size") if is_mixtral else 0,
    )


def _opt(c: _Config, name: str) -> ModelSpec:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    bias = c.bool("enable_bias", True)
    return ModelSpec(
        name=name,
        model_type="opt",
        n_layers=c.int("num_hidden_layers"),
        d_model=d,
        n_heads=heads,
        n_kv_heads=heads,
        head_dim=_head_dim(c, d, heads),
        d_ff=c.int("ffn_dim"),
        vocab_size=c.int("vocab_size"),
        max_context=c.int("max_position_embeddings"),
        gated_mlp=False,
        layer_norm=True,
        tied_embeddings=c.bool("tie_word_embeddings", True),
        qkv_bias=bias,
        o_bias=bias,
        mlp_bias=bias,
        learned_positions=c.int("max_position_embeddings") + 2,  # OPT offsets positions by 2
        embed_proj_dim=c.int("word_embed_proj_dim", d),
    )


def _gpt2(c: _Config, name: str) -> ModelSpec:
    d, heads = c.int("n_embd"), c.int("n_head")
    context = c.int("n_positions", None) or c.int("n_ctx")
    return ModelSpec(
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


def _deepseek_v3(c: _Config, name: str) -> ModelSpec:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    return ModelSpec(
        name=name,
        model_type="deepseek_v3",
        n_layers=c.int("num_hidden_layers"),
        d_model=d,
        n_heads=heads,
        n_kv_heads=c.int("num_key_value_heads", heads),
        head_dim=c.int("v_head_dim"),
        d_ff=c.int("intermediate_size"),
        vocab_size=c.int("vocab_size"),
        max_context=c.int("max_position_embeddings"),
        tied_embeddings=c.bool("tie_word_embeddings", False),
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
            "it is used for training and speculative decoding, not in the 671B main model",
        ),
    )


_PARSERS = {t: _llama_family for t in LLAMA_FAMILY} | {
    "opt": _opt,
    "gpt2": _gpt2,
    "deepseek_v3": _deepseek_v3,
}


# ---- catalog -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogModel:
    """Provenance of a catalog model: its config's origin and its published parameter counts."""

    name: str
    display_name: str
    config_source: Sourced  # value: the Hugging Face repo or paper the config comes from
    published_params: Sourced
    published_active_params: Sourced | None


@cache
def _catalog() -> dict[str, tuple[ModelSpec, CatalogModel]]:
    meta = yaml.safe_load((DATA_DIR / "models.yaml").read_text(encoding="utf-8"))
    out = {}
    for name in NAMES:
        raw = meta[name]
        where = f"models.yaml[{name}]"
        config = json.loads((DATA_DIR / "models" / f"{name}.json").read_text(encoding="utf-8"))
        spec = ModelSpec.from_hf_config(config, name=name)
        recs = {
            k: Sourced.from_yaml(raw[k], f"{where}.{k}")
            for k in ("config", "published_params", "published_active_params")
            if raw.get(k) is not None
        }
        for k, rec in recs.items():
            check_source(rec.source, f"{where}.{k}")
        info = CatalogModel(
            name,
            raw["display_name"],
            recs["config"],
            recs["published_params"],
            recs.get("published_active_params"),
        )
        out[name] = (spec, info)
    return out


def get(name: str) -> ModelSpec:
    """The catalog model ``name``; an unknown name raises listing the known ones."""
    try:
        return _catalog()[name][0]
    except (KeyError, TypeError):
        raise UnknownNameError("model", name, list(NAMES)) from None


def info(name: str) -> CatalogModel:
    """Provenance of catalog model ``name``."""
    get(name)
    return _catalog()[name][1]


def all_models() -> list[ModelSpec]:
    return [spec for spec, _ in _catalog().values()]

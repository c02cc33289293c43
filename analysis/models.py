"""Transformer architectures: parameter counts, weight bytes and KV-cache bytes per token.

A ``ModelSpec`` is built from a model's real Hugging Face ``config.json`` (``from_hf_config``).
Parameter counts follow the architecture: embeddings (plus learned positions), attention with
the family's biases, the MLP or the experts + router + shared experts, norms, and the output
head unless it is tied to the embedding. KV-cache sizes cover MHA, GQA, MQA and DeepSeek's MLA.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from functools import cache, cached_property

import yaml

from .errors import (
    ConfigError,
    UnknownNameError,
    require_bool,
    require_count,
)
from .sources import DATA_DIR, Sourced, check_source
from .units import exact_bytes

NAMES = (
    "llama-3-8b", "llama-3-70b", "llama-3.1-405b", "llama-2-70b", "mistral-7b",
    "mixtral-8x7b", "deepseek-v3", "gpt-3-175b", "qwen2.5-72b",
    "llama-3.1-8b", "llama-3.1-70b", "llama-4-scout", "llama-4-maverick", "qwen3-8b",
    "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b", "gpt-oss-20b", "gpt-oss-120b",
    "deepseek-v3.1", "kimi-k2",
)  # fmt: skip
# Models of the designs chapter (state-space, linear-attention and sparse-attention hybrids).
# ``get`` and ``info`` know them; ``all_models()`` (the catalog that chapters 1-5 tabulate)
# does not, so adding a design does not move those chapters' numbers.
DESIGN_NAMES = ("nemotron-3-nano-30b-a3b", "qwen3-next-80b-a3b", "minimax-m1", "deepseek-v3.2")
# The config.json model_types that ModelSpec.from_hf_config reads (parsers: model_configs.py).
SUPPORTED_MODEL_TYPES = (
    "llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe", "gpt_oss", "llama4",
    "llama4_text", "gemma2", "gemma3", "gemma3_text", "deepseek_v3", "kimi_k2", "opt", "gpt2",
    "nemotron_h", "qwen3_next", "minimax_m1", "minimax", "deepseek_v32",
)  # fmt: skip
# What a layer keeps per sequence: "full" (every token), "sliding" / "chunked" (at most its
# window), "linear" (a constant recurrent state: Mamba-2, Gated DeltaNet, lightning attention),
# "mlp" (nothing: an MLP or MoE block counted as its own layer, as Nemotron-H does).
LAYER_KINDS = ("full", "sliding", "chunked", "linear", "mlp")


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
    max_context: int | None  # max_position_embeddings; None when the config omits it
    gated_mlp: bool = True  # SwiGLU (gate, up, down) vs plain (fc1, fc2)
    layer_norm: bool = False  # LayerNorm (weight + bias) vs RMSNorm (weight only)
    tied_embeddings: bool = False
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    learned_positions: int = 0  # rows of a learned position table (0 with RoPE)
    embed_proj_dim: int | None = None  # OPT's word_embed_proj_dim when it differs from d_model
    sliding_window: int | None = None  # one window for every layer (Mistral 7B)
    # Per-layer attention span: tokens a layer keeps at most (None = the whole context). Empty
    # means every layer keeps ``sliding_window`` (or everything when that is None).
    layer_windows: tuple[int | None, ...] = ()
    qk_norm: bool = False  # per-head RMSNorm weights on q and k (Qwen3, Gemma 3)
    attention_sinks: bool = False  # one learned logit per head (gpt-oss)
    norms_per_layer: int = 2  # Gemma 2/3 add pre/post feed-forward norms: 4
    # Mixture of experts
    n_experts: int = 0
    n_experts_per_tok: int = 0
    n_shared_experts: int = 0
    moe_d_ff: int = 0
    first_dense_layers: int = 0
    moe_layer_freq: int = 1
    moe_layer_ids: tuple[int, ...] | None = None  # explicit MoE layers (Qwen3-MoE, Llama 4)
    expert_bias: bool = False  # biases inside each expert's MLP (gpt-oss)
    router_bias: bool = False
    # Multi-head latent attention (DeepSeek)
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    # Hybrids: per-layer kind (LAYER_KINDS; empty: "full" / "sliding" from the windows) and the
    # constant recurrent state each layer keeps per sequence [elements] (empty: none).
    layer_kinds: tuple[str, ...] = ()
    layer_state_elements: tuple[int, ...] = ()
    state_dtype: str = "bf16"  # dtype the recurrent state is kept in (not the KV cache's dtype)
    # DeepSeek sparse attention (DSA): each step reads the top-k selected tokens' latents; the
    # lightning indexer keeps its own key (index_head_dim elements) per token and layer.
    index_topk: int | None = None
    index_head_dim: int = 0
    # Parameter counts a parser derived layer by layer, for layouts that the uniform
    # attention + MLP stack below cannot describe (hybrids); empty: count the uniform stack.
    counted_params: tuple[tuple[str, int], ...] = ()
    counted_active_params: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_hf_config(cls, config: dict, name: str | None = None) -> ModelSpec:
        """Build from a Hugging Face config.json dict (``model_configs.SUPPORTED_MODEL_TYPES``).

        ``config`` is the parsed config.json; ``name`` names the model (default: the config's
        ``_name_or_path``, else its ``model_type``). An unsupported ``model_type`` raises
        ``UnsupportedModelTypeError`` naming the supported set; a key that counting needs and
        the config lacks raises ``MissingConfigKeyError``.
        """
        from .model_configs import parse_config

        spec = parse_config(config, name)
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
        for what, per_layer in (
            ("layer types", self.layer_windows),
            ("layer kinds", self.layer_kinds),
            ("layer states", self.layer_state_elements),
        ):
            if per_layer and len(per_layer) != self.n_layers:
                raise ConfigError(
                    f"{self.name}: {len(per_layer)} {what} for num_hidden_layers = {self.n_layers}"
                )
        bad = sorted(set(self.layer_kinds) - set(LAYER_KINDS))
        if bad:
            raise ConfigError(f"{self.name}: layer kinds {bad}; allowed: {', '.join(LAYER_KINDS)}")

    # ---- attention and KV cache -----------------------------------------------------------
    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention (DeepSeek): the config sets ``kv_lora_rank``."""
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
        """Query heads that share one KV head [count] (1 for MHA; all heads for MQA and for
        MLA's latent)."""
        return self.n_heads if self.is_mla else self.n_heads // self.n_kv_heads

    @property
    def kv_elements_per_layer_token(self) -> int:
        """Cached elements [elements] one token adds in one layer: K and V, or MLA's latent +
        RoPE key (+ the DSA indexer's key)."""
        if self.is_mla:  # + the DSA indexer's key (0 without DSA)
            assert (
                self.kv_lora_rank is not None and self.qk_rope_head_dim is not None
            )  # MLA has both
            return self.kv_lora_rank + self.qk_rope_head_dim + self.index_head_dim
        return 2 * self.n_kv_heads * self.head_dim

    @property
    def kv_elements_per_token(self) -> int:
        """Cached elements [elements] per token over all layers (every layer inside its window)."""
        return self.n_layers * self.kv_elements_per_layer_token

    def kv_bytes_per_token(self, dtype: str = "bf16") -> int:
        """KV-cache bytes [B] one token adds over all layers, at a context inside every window.

        ``dtype`` is the KV cache's element type (``units.DTYPES``: fp32 ... fp4).

        For hybrids this is per attention layer times all layers: multiply it by
        ``cached_tokens`` (which averages in the layers that hold no tokens) for the token part
        of the cache; the constant recurrent state is ``state_bytes``.
        """
        return exact_bytes(self.kv_elements_per_token, dtype)

    @property
    def windows(self) -> tuple[int | None, ...]:
        """Tokens each layer keeps at most [tokens]; None for a layer that keeps the context."""
        return self.layer_windows or (self.sliding_window,) * self.n_layers

    @property
    def kinds(self) -> tuple[str, ...]:
        """Each layer's kind (``LAYER_KINDS``)."""
        if self.layer_kinds:
            return self.layer_kinds
        return tuple("full" if w is None else "sliding" for w in self.windows)

    def n_layers_of(self, kind: str) -> int:
        """Layers [count] of ``kind`` (one of ``LAYER_KINDS``)."""
        if kind not in LAYER_KINDS:
            raise UnknownNameError("layer kind", kind, list(LAYER_KINDS))
        return self.kinds.count(kind)

    @property
    def state_elements(self) -> int:
        """Constant recurrent state of one sequence over all layers [elements]."""
        return sum(self.layer_state_elements)

    def state_bytes(self) -> int:
        """Constant recurrent-state bytes [B] of one sequence, kept in ``state_dtype``.

        KV-cache quantisation (``--kv-cache-dtype`` in vLLM) leaves this state alone: it stays
        in the model's dtype, or the one the config names (``mamba_ssm_cache_dtype``).
        """
        return exact_bytes(self.state_elements, self.state_dtype)

    @property
    def n_windowed_layers(self) -> int:
        """Layers [count] whose cache is capped by a sliding window or an attention chunk.

        A hybrid's linear-state and MLP-only layers hold no tokens but are not windowed:
        ``n_layers_of("linear")`` and ``n_layers_of("mlp")`` count them.
        """
        return sum(kind in ("sliding", "chunked") for kind in self.kinds)

    def layer_cached_tokens(self, context_tokens: int) -> tuple[int, ...]:
        """Tokens [tokens] each layer holds at ``context_tokens``: min(context, its window)."""
        ctx = require_count("context_tokens", context_tokens, minimum=0)
        return tuple(ctx if w is None else min(ctx, w) for w in self.windows)

    def cached_tokens(self, context_tokens: int) -> int | float:
        """Tokens [tokens] whose KV a layer holds at ``context_tokens``, averaged over layers.

        ``kv_bytes_per_token(dtype) * cached_tokens(c) == kv_cache_bytes(c, dtype)``: callers
        that multiply per-token bytes (or attention FLOPs per position) by this number get the
        per-layer truth. An int when the mean is whole (always, without hybrid layers).
        """
        held = sum(self.layer_cached_tokens(context_tokens))
        return held // self.n_layers if held % self.n_layers == 0 else held / self.n_layers

    def with_full_attention(self) -> ModelSpec:
        """The same model with every layer keeping the whole context (the no-window counterfactual)."""
        return dataclasses.replace(
            self,
            name=f"{self.name} (all layers full)",
            layer_windows=(None,) * self.n_layers,
            sliding_window=None,
            layer_kinds=(),
            layer_state_elements=(),
            index_topk=None,
        )

    def kv_gain_limit(self) -> float:
        """Long-context limit of full-attention KV over this model's KV [unitless]: layers /
        full layers (inf when no layer keeps the whole context)."""
        n_full = self.n_layers_of("full")
        return math.inf if n_full == 0 else self.n_layers / n_full

    def kv_cache_bytes(self, context_tokens: int, dtype: str = "bf16") -> int:
        """Bytes [B] one sequence HOLDS at ``context_tokens`` [tokens]: the KV cache layer by
        layer, in ``dtype`` (``units.DTYPES``), plus any constant recurrent state (capacity)."""
        held = sum(self.layer_cached_tokens(context_tokens))
        return exact_bytes(self.kv_elements_per_layer_token * held, dtype) + self.state_bytes()

    def kv_read_bytes(self, context_tokens: int, dtype: str = "bf16") -> int:
        """Bytes [B] of that state one decode step READS for one sequence (bandwidth).

        ``context_tokens`` [tokens] is the sequence's context, ``dtype`` the KV cache's element
        type (``units.DTYPES``).

        Equal to ``kv_cache_bytes`` except under DeepSeek sparse attention, where each layer
        reads the latents of at most ``index_topk`` selected tokens and the indexer scans its
        own key of every held token.
        """
        if self.index_topk is None:
            return self.kv_cache_bytes(context_tokens, dtype)
        per_layer = self.layer_cached_tokens(context_tokens)
        latent = self.kv_elements_per_layer_token - self.index_head_dim
        read = sum(latent * min(t, self.index_topk) + self.index_head_dim * t for t in per_layer)
        return exact_bytes(read, dtype) + self.state_bytes()

    # ---- parameters -------------------------------------------------------------------------
    def _mlp_params(self, width: int) -> int:
        d = self.d_model
        if self.gated_mlp:
            return 3 * d * width + (2 * width + d if self.mlp_bias else 0)
        return 2 * d * width + (width + d if self.mlp_bias else 0)

    def _attention_params(self) -> int:
        d, h = self.d_model, self.n_heads
        if self.is_mla:
            # an MLA config sets all four (from_hf_config requires them)
            assert self.kv_lora_rank is not None and self.qk_rope_head_dim is not None
            assert self.qk_nope_head_dim is not None and self.v_head_dim is not None
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
        extras = (2 * self.head_dim if self.qk_norm else 0) + (h if self.attention_sinks else 0)
        return weights + biases + extras

    def _norm_params(self) -> int:
        return 2 * self.d_model if self.layer_norm else self.d_model

    def _is_moe_layer(self, layer: int) -> bool:
        if self.moe_layer_ids is not None:
            return self.n_experts > 0 and layer in self.moe_layer_ids
        return (
            self.n_experts > 0
            and layer >= self.first_dense_layers
            and layer % self.moe_layer_freq == 0
        )

    @cached_property
    def n_moe_layers(self) -> int:
        """Layers [count] whose MLP is a mixture of experts (0 for a dense model)."""
        return sum(self._is_moe_layer(i) for i in range(self.n_layers))

    def param_breakdown(self, active: bool = False) -> dict[str, int]:
        """Parameters by component [count]; ``active=True`` counts only the experts one token
        uses (embedding, attention, norms, mlp, experts, router, lm_head)."""
        require_bool("active", active)
        # a spec is frozen, so each breakdown is computed once (the serving model asks often)
        return dict(self._breakdowns[bool(active)])

    @cached_property
    def _breakdowns(self) -> tuple[dict[str, int], dict[str, int]]:
        return self._breakdown(False), self._breakdown(True)

    def _breakdown(self, active: bool) -> dict[str, int]:
        if self.counted_params:
            return dict(self.counted_active_params if active else self.counted_params)
        d, vocab = self.d_model, self.vocab_size
        embed_dim = self.embed_proj_dim or d
        parts = {"embedding": vocab * embed_dim + self.learned_positions * d}
        if embed_dim != d:  # OPT-350m style projections in and out of the model width
            parts["embedding"] += 2 * embed_dim * d
        parts["attention"] = self.n_layers * self._attention_params()
        parts["norms"] = (self.norms_per_layer * self.n_layers + 1) * self._norm_params()
        n_moe = self.n_moe_layers
        parts["mlp"] = (self.n_layers - n_moe) * self._mlp_params(self.d_ff)
        if n_moe:
            routed = self.n_experts_per_tok if active else self.n_experts
            expert = self._mlp_params(self.moe_d_ff)
            if self.expert_bias and not self.mlp_bias:
                expert += 2 * self.moe_d_ff + d if self.gated_mlp else self.moe_d_ff + d
            parts["experts"] = n_moe * (routed + self.n_shared_experts) * expert
            parts["router"] = n_moe * (
                d * self.n_experts + (self.n_experts if self.router_bias else 0)
            )
        parts["lm_head"] = 0 if self.tied_embeddings else vocab * embed_dim
        return parts

    @property
    def n_params(self) -> int:
        """Total parameters [count]."""
        return sum(self.param_breakdown().values())

    @property
    def n_active_params(self) -> int:
        """Parameters used per token [count]: all of them for a dense model, the routed few
        for MoE."""
        return sum(self.param_breakdown(active=True).values())

    @property
    def n_embedding_params(self) -> int:
        """Input embedding (and position table) parameters [count]: looked up, never multiplied."""
        return self.param_breakdown()["embedding"]

    def weight_bytes(self, dtype: str = "bf16") -> int:
        """Bytes [B] of all weights stored in ``dtype`` (``units.DTYPES``), rounded up."""
        return exact_bytes(self.n_params, dtype)


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
    for name in NAMES + DESIGN_NAMES:
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
    if not isinstance(name, str) or name not in NAMES + DESIGN_NAMES:
        raise UnknownNameError("model", name, list(NAMES + DESIGN_NAMES), argument="name")
    return _catalog()[name][0]


def info(name: str) -> CatalogModel:
    """Provenance of catalog model ``name``."""
    get(name)
    return _catalog()[name][1]


def all_models() -> list[ModelSpec]:
    """The catalog of chapters 1-5 (``NAMES``); the designs chapter's models are ``designs()``."""
    return [get(name) for name in NAMES]


def designs() -> list[ModelSpec]:
    """The designs chapter's models (``DESIGN_NAMES``)."""
    return [get(name) for name in DESIGN_NAMES]

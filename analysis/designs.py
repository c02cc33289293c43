"""The designs chapter: the state a sequence carries, architecture by architecture.

Chapter 2 sizes a sequence's dynamic memory as ``k L``: every layer keeps one key-value entry
per token. Today's designs change that term. Each law below is one sympy expression; numbers
come from its lambdified form, and tests check those against the layer-by-layer accounting in
``models.ModelSpec`` and against hand derivations.

Symbols (all per sequence):
``L`` context tokens; ``e`` cached elements per token in one attention layer (2 h_kv d_h for
MHA/GQA/MQA, the latent + RoPE key (+ the DSA indexer's key) for MLA); ``b`` bytes per KV
element; ``n_f`` layers that keep every token; ``n_w`` layers capped at ``w`` tokens (sliding or
chunked); ``S`` elements of constant recurrent state (Mamba-2, Gated DeltaNet, lightning
attention) kept at ``b_s`` bytes each; ``k_top`` tokens DeepSeek sparse attention selects per step;
``e_i`` of the ``e`` elements that are the indexer's own key.

HOLD is what a sequence occupies (capacity); READ is what one decode step moves (bandwidth).
The two differ only under sparse attention: ``READ`` with ``k_top = L`` is ``HOLD``.

Capacity (instances that fit) is not re-derived here: it is ``memory.serving_limits`` with the
model spec, which calls ``ModelSpec.kv_cache_bytes`` (the HOLD of this module, layer by layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from . import claims, hardware, memory, models, roofline
from .errors import (
    ConfigError,
    InvalidTypeError,
    InvalidValueError,
    require_count,
    require_dtype,
    require_finite_result,
    require_instance,
    require_name,
    require_positive,
)
from .models import ModelSpec
from .units import DTYPES, dtype_bytes

L, e, b, n_f, n_w, w, S, b_s, e_i = sp.symbols("L e b n_f n_w w S b_s e_i", positive=True)
K = sp.Symbol("k_top", positive=True)  # not the source's K (FLOP/byte ratio): tokens selected

# ---- laws: the state a sequence holds and reads ------------------------------------------------
HOLD_BYTES = b * e * (n_f * L + n_w * sp.Min(L, w)) + b_s * S
READ_BYTES = b * (n_f * ((e - e_i) * sp.Min(L, K) + e_i * L) + n_w * e * sp.Min(L, w)) + b_s * S
# Bytes each further token adds once the context is past every window: only full layers grow.
HOLD_SLOPE = sp.limit(sp.diff(HOLD_BYTES, L), L, sp.oo)
READ_SLOPE = sp.limit(sp.diff(READ_BYTES, L), L, sp.oo)
# The context at which one sequence holds as many bytes as the weights (P): the seed's
# "dynamic = 50% of the RAM" for one instance (C09), past every window.
P = roofline.P
CONTEXT_FOR_EQUAL_SHARE = sp.solve(sp.Eq(HOLD_BYTES.subs(sp.Min(L, w), w), P), L)[0]

# ---- laws: KV quantisation and the critical batch ----------------------------------------------
# Decode at context L: chapter 1's step (one new token) against the ridge F / W. The batch at
# which decode turns compute-bound, and the context beyond which no batch does.
DECODE_CRITICAL_BATCH = sp.solve(
    sp.Eq(roofline.DECODE_INTENSITY, roofline.RIDGE_INTENSITY), roofline.B
)[0]
DECODE_CRITICAL_CONTEXT = sp.solve(sp.Eq(1 / DECODE_CRITICAL_BATCH, 0), roofline.L)[0]

# ---- laws: multi-LoRA --------------------------------------------------------------------------
# LoRA adds B A (B: d_out x r, A: r x d_in) to an adapted matrix: r (d_in + d_out) parameters.
r, n_l, D_io, n_ft, b_w, P_w, A_b = sp.symbols("r n_l D_io N_ft b_w P_w A_b", positive=True)
ADAPTER_BYTES = r * n_l * D_io * b_w  # D_io: sum of d_in + d_out over the adapted matrices
STATIC_FULL_COPIES = n_ft * P_w  # N fine-tunes as N full weight copies
STATIC_ADAPTERS = P_w + n_ft * A_b  # one base copy + N adapters

_hold = sp.lambdify((L, e, b, n_f, n_w, w, S, b_s), HOLD_BYTES, "math")
_read = sp.lambdify((L, e, b, n_f, n_w, w, S, b_s, K, e_i), READ_BYTES, "math")
_equal_share = sp.lambdify((P, e, b, n_f, n_w, w, S, b_s), CONTEXT_FOR_EQUAL_SHARE, "math")
_crit_batch = sp.lambdify(
    (roofline.P, roofline.N, roofline.a, roofline.k, roofline.L, roofline.F, roofline.W),
    DECODE_CRITICAL_BATCH,
    "math",
)
_crit_context = sp.lambdify(
    (roofline.N, roofline.a, roofline.k, roofline.F, roofline.W), DECODE_CRITICAL_CONTEXT, "math"
)
_adapter = sp.lambdify((r, n_l, D_io, b_w), ADAPTER_BYTES, "math")
_full_copies = sp.lambdify((n_ft, P_w), STATIC_FULL_COPIES, "math")
_adapters = sp.lambdify((n_ft, P_w, A_b), STATIC_ADAPTERS, "math")


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr`` (one of this module's sympy laws), for display in the book."""
    return sp.latex(require_instance("expr", expr, sp.Basic, "a sympy expression"))


# ---- the symbols of one model --------------------------------------------------------------------
@dataclass(frozen=True)
class StateShape:
    """The law's symbols for one model (one window value: every catalog model has at most one)."""

    e: int  # elements per token per attention layer
    n_f: int
    n_w: int
    w: int  # the window (0 when no layer is windowed)
    S: int  # constant state elements
    b_s: float  # bytes per state element
    K: int | None  # tokens sparse attention reads per step (None: all, no selection)
    e_i: int  # indexer key elements per token per layer


def shape(spec: ModelSpec) -> StateShape:
    """The symbols of ``HOLD_BYTES`` / ``READ_BYTES`` for ``spec`` (from its per-layer kinds).

    Counts in [elements], [layers] and [tokens], ``b_s`` in [bytes per element]; ``K`` is None
    when the model reads every token it holds (no sparse selection).
    """
    spec = require_instance("spec", spec, ModelSpec, "a ModelSpec (models.get(name))")
    windows = {
        wd
        for wd, kind in zip(spec.windows, spec.kinds, strict=True)
        if kind in ("sliding", "chunked") and wd is not None  # a windowed layer has its window
    }
    if len(windows) > 1:
        raise ConfigError(
            f"{spec.name}: the law takes one window size; its layers have {sorted(windows)}"
        )
    return StateShape(
        e=spec.kv_elements_per_layer_token,
        n_f=spec.n_layers_of("full"),
        n_w=spec.n_layers_of("sliding") + spec.n_layers_of("chunked"),
        w=windows.pop() if windows else 0,
        S=spec.state_elements,
        b_s=float(dtype_bytes(spec.state_dtype)),
        K=spec.index_topk,
        e_i=spec.index_head_dim,
    )


def _resolve(model: object) -> ModelSpec:
    if isinstance(model, str):
        return models.get(require_name("model", model, models.NAMES + models.DESIGN_NAMES))
    return require_instance("model", model, ModelSpec, "a catalog model name or a ModelSpec")


def _dtypes(**dtypes: object) -> None:
    """Check each dtype argument by name; only ``compute_dtype`` may be None (the weights')."""
    for name, value in dtypes.items():
        if not (name == "compute_dtype" and value is None):
            require_dtype(name, value, DTYPES)


def _accelerator(accelerator: object) -> hardware.Accelerator:
    return hardware.get(require_name("accelerator", accelerator, hardware.NAMES))


def _context(context_tokens: object) -> int:
    return require_count("context_tokens", context_tokens)


def _finite(value: float, context_tokens: int) -> float:
    return require_finite_result(value, "context_tokens", context_tokens)


def hold_bytes(model: str | ModelSpec, context_tokens: int, kv_dtype: str = "bf16") -> float:
    """Bytes [B] one sequence holds at ``context_tokens`` [tokens] (``HOLD_BYTES``).

    ``model``: a catalog name or a ModelSpec; ``kv_dtype``: the cache's dtype.
    """
    context_tokens = _context(context_tokens)
    _dtypes(kv_dtype=kv_dtype)
    s = shape(_resolve(model))
    b_kv = float(dtype_bytes(kv_dtype))
    held = _hold(float(context_tokens), s.e, b_kv, s.n_f, s.n_w, s.w, s.S, s.b_s)
    return _finite(held, context_tokens)


def read_bytes(model: str | ModelSpec, context_tokens: int, kv_dtype: str = "bf16") -> float:
    """Bytes [B] of that state one decode step at ``context_tokens`` [tokens] reads (``READ_BYTES``).

    ``model``: a catalog name or a ModelSpec; ``kv_dtype``: the cache's dtype.
    """
    context_tokens = _context(context_tokens)
    _dtypes(kv_dtype=kv_dtype)
    s = shape(_resolve(model))
    k_read = context_tokens if s.K is None else min(s.K, context_tokens)  # K = L: no selection
    read = _read(
        float(context_tokens), s.e, float(dtype_bytes(kv_dtype)), s.n_f, s.n_w, s.w, s.S, s.b_s,
        k_read, s.e_i,
    )  # fmt: skip
    return _finite(read, context_tokens)


def hold_slope_bytes(model: str | ModelSpec, kv_dtype: str = "bf16") -> float:
    """Bytes [B/token] each token adds past every window (``HOLD_SLOPE`` = b e n_f).

    ``model``: a catalog name or a ModelSpec; ``kv_dtype``: the cache's dtype.
    """
    _dtypes(kv_dtype=kv_dtype)
    s = shape(_resolve(model))
    return float(HOLD_SLOPE.subs({b: float(dtype_bytes(kv_dtype)), e: s.e, n_f: s.n_f}))


def context_for_bytes(
    model: str | ModelSpec, nbytes: float, kv_dtype: str = "bf16"
) -> float | None:
    """Context [tokens] at which one sequence holds ``nbytes`` [B] (``CONTEXT_FOR_EQUAL_SHARE``
    with P = nbytes); None if it never does (no full-attention layer).

    Past every window (the law's branch); a context inside a window raises.

    ``model``: a catalog name or a ModelSpec; ``kv_dtype``: the cache's dtype.
    """
    require_positive("nbytes", nbytes)
    _dtypes(kv_dtype=kv_dtype)
    spec = _resolve(model)
    s = shape(spec)
    if s.n_f == 0:
        return None
    ctx = _equal_share(nbytes, s.e, float(dtype_bytes(kv_dtype)), s.n_f, s.n_w, s.w, s.S, s.b_s)
    if ctx < s.w:  # reached inside the window: the law's other branch (never for the catalog)
        at_window = hold_bytes(spec, max(s.w, 1), kv_dtype)
        raise InvalidValueError(
            "nbytes",
            nbytes,
            f"more than the {at_window:.4g} B {spec.name} holds at its {s.w}-token window "
            f"(nbytes = {nbytes:.4g} B is reached inside it)",
        )
    return require_finite_result(ctx, "nbytes", nbytes)


def context_for_equal_share(
    model: str | ModelSpec, weight_dtype: str = "bf16", kv_dtype: str = "bf16"
) -> float | None:
    """Context [tokens] at which one sequence holds its model's weight bytes; None if never.

    ``model``: a catalog name or a ModelSpec; ``weight_dtype`` and ``kv_dtype``: the dtypes
    of its weights and its cache.
    """
    _dtypes(weight_dtype=weight_dtype, kv_dtype=kv_dtype)
    spec = _resolve(model)
    return context_for_bytes(spec, spec.weight_bytes(weight_dtype), kv_dtype)


# ---- KV quantisation -------------------------------------------------------------------------------
def decode_critical_batch(
    model: str | ModelSpec,
    accelerator: str,
    context_tokens: int,
    *,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    compute_dtype: str | None = None,
) -> float | None:
    """Batch [sequences] at which a decode step at ``context_tokens`` [tokens] turns compute-bound.

    None when the KV traffic keeps decode memory-bound at every batch (context past
    ``decode_critical_context``). Chapter 1's step accounting (``roofline.forward_step``):
    weights P once, per sequence k (L + 1) KV bytes and 2 N + a (L + 1) FLOPs.

    ``model``: a catalog name or a ModelSpec; ``accelerator``: a catalog chip;
    ``weight_dtype``, ``kv_dtype``; ``compute_dtype`` (default: the weight dtype) sets the peak.
    """
    spec = _resolve(model)
    context_tokens = _context(context_tokens)
    _dtypes(weight_dtype=weight_dtype, kv_dtype=kv_dtype, compute_dtype=compute_dtype)
    acc = _accelerator(accelerator)
    peak = acc.peak_flops(compute_dtype or weight_dtype)
    args = (
        spec.weight_bytes(weight_dtype),
        roofline.matmul_params(spec),
        roofline.attention_flops_per_position(spec),
        spec.kv_bytes_per_token(kv_dtype),
        spec.cached_tokens(context_tokens),
        peak,
        acc.mem_bandwidth,
    )
    batch = _finite(_crit_batch(*args), context_tokens)
    return None if batch <= 0 else batch


def decode_critical_context(
    model: str | ModelSpec,
    accelerator: str,
    *,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    compute_dtype: str | None = None,
) -> float | None:
    """Context [tokens] beyond which no batch makes decode compute-bound (None: at none).

    ``model``: a catalog name or a ModelSpec; ``accelerator``: a catalog chip;
    ``weight_dtype``, ``kv_dtype``; ``compute_dtype`` (default: the weight dtype) sets the peak.
    """
    spec = _resolve(model)
    _dtypes(weight_dtype=weight_dtype, kv_dtype=kv_dtype, compute_dtype=compute_dtype)
    acc = _accelerator(accelerator)
    peak = acc.peak_flops(compute_dtype or weight_dtype)
    ctx = _crit_context(
        roofline.matmul_params(spec),
        roofline.attention_flops_per_position(spec),
        spec.kv_bytes_per_token(kv_dtype),
        peak,
        acc.mem_bandwidth,
    )
    return None if ctx <= 0 else ctx


# ---- multi-LoRA ----------------------------------------------------------------------------------------
LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")


def _targets(targets: object) -> tuple[str, ...]:
    allowed = f"a non-empty tuple of LoRA targets among {', '.join(LORA_TARGETS)}"
    if not isinstance(targets, tuple | list) or not targets:
        raise InvalidTypeError("targets", targets, allowed)
    for t in targets:
        require_name("targets", t, LORA_TARGETS, kind="LoRA target")
    return tuple(targets)


def lora_io_sum(spec: ModelSpec, targets: tuple[str, ...] = LORA_TARGETS) -> int:
    """Sum of d_in + d_out [elements] over one layer's adapted matrices (dense GQA models).

    ``spec``: the model; ``targets``: which matrices of each layer carry an adapter.
    """
    spec = require_instance("spec", spec, ModelSpec, "a ModelSpec (models.get(name))")
    targets = _targets(targets)
    if spec.is_mla or spec.n_experts or spec.counted_params:
        raise ConfigError(
            f"{spec.name}: the LoRA sizing here covers dense GQA/MHA models only, "
            f"not {spec.attention_kind} / MoE / hybrid layouts"
        )
    d, q, kv, f = (
        spec.d_model,
        spec.n_heads * spec.head_dim,
        spec.n_kv_heads * spec.head_dim,
        spec.d_ff,
    )
    sizes = {
        "q": d + q,
        "k": d + kv,
        "v": d + kv,
        "o": q + d,
        "gate": d + f,
        "up": d + f,
        "down": f + d,
    }
    return sum(sizes[t] for t in targets)


def adapter_bytes(
    model: str | ModelSpec, rank: int, dtype: str = "bf16", targets: tuple[str, ...] = LORA_TARGETS
) -> float:
    """Bytes [B] of one LoRA adapter of ``rank`` [elements] on ``targets`` in every layer (``ADAPTER_BYTES``).

    ``model``: a catalog name or a ModelSpec; ``dtype``: the adapter's storage dtype.
    """
    rank = require_count("rank", rank)
    _dtypes(dtype=dtype)
    spec = _resolve(model)
    nbytes = _adapter(rank, spec.n_layers, lora_io_sum(spec, targets), float(dtype_bytes(dtype)))
    return require_finite_result(nbytes, "rank", rank)


@dataclass(frozen=True)
class FineTunes:
    """N fine-tunes of one model on one GPU group: full copies vs adapters."""

    n_fine_tunes: int
    full_copies_static_bytes: float
    adapters_static_bytes: float
    full_copies_instances: int  # sequences that fit (0: the copies alone do not fit)
    adapters_instances: int


def fine_tunes(
    model: str | ModelSpec,
    accelerator: str,
    n_fine_tunes: int,
    context_tokens: int,
    *,
    rank: int = 16,
    dtype: str = "bf16",
    group_gpus: int = 1,
) -> FineTunes:
    """Sequences of ``context_tokens`` [tokens] that N fine-tunes serve on one group of
    ``group_gpus`` [GPUs] (capacity); adapters of ``rank`` [elements], bytes in [B].

    Static bytes from ``STATIC_FULL_COPIES`` / ``STATIC_ADAPTERS``; the sequences that fit beside
    them from chapter 2's capacity law (``memory.group_limits``), one KV per sequence.

    ``model``: a catalog name or a ModelSpec; ``accelerator``: a catalog chip;
    ``n_fine_tunes`` [count] fine-tunes; ``dtype``: weights, adapters and KV.
    """
    n_fine_tunes = require_count("n_fine_tunes", n_fine_tunes)
    context_tokens = _context(context_tokens)
    group_gpus = require_count("group_gpus", group_gpus)
    _dtypes(dtype=dtype)
    spec = _resolve(model)
    acc = _accelerator(accelerator)
    weights = spec.weight_bytes(dtype)
    full = require_finite_result(_full_copies(n_fine_tunes, weights), "n_fine_tunes", n_fine_tunes)
    adapted = require_finite_result(
        _adapters(n_fine_tunes, weights, adapter_bytes(spec, rank, dtype)),
        "n_fine_tunes, rank",
        (n_fine_tunes, rank),
    )
    kv = spec.kv_cache_bytes(context_tokens, dtype)

    def fit(static: float) -> int:
        try:
            return memory.group_limits(
                static, kv, group_gpus=group_gpus, mem_bytes=acc.mem_bytes
            ).capacity
        except memory.InfeasibleServingError:
            return 0

    return FineTunes(n_fine_tunes, full, adapted, fit(full), fit(adapted))


# ---- the chapter's designs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    key: str
    label: str  # the design, in words
    model: str  # its representative catalog model


DESIGNS = (
    Design("mha", "MHA (every head keeps K and V)", "gpt-3-175b"),
    Design("gqa", "GQA (8 KV heads)", "llama-3-70b"),
    Design("mla", "MLA (one latent per token)", "deepseek-v3"),
    Design("sliding", "sliding-window hybrid (half the layers: 128 tokens)", "gpt-oss-120b"),
    Design("chunked", "chunked-attention hybrid (3 of 4 layers: 8K chunks)", "llama-4-scout"),
    Design("mamba2", "Mamba-2 hybrid (6 of 52 layers attend)", "nemotron-3-nano-30b-a3b"),
    Design("deltanet", "Gated DeltaNet hybrid (1 in 4 layers attends)", "qwen3-next-80b-a3b"),
    Design("lightning", "lightning-attention hybrid (1 in 8 layers attends)", "minimax-m1"),
    Design("dsa", "sparse attention (DSA, top-2048 per step)", "deepseek-v3.2"),
)
CHIPS = ("h100-sxm", "h200", "b200")  # capacities marked on the figure
TABLE_CONTEXTS = (32_768, 131_072)
TABLE_CHIP = "h200"
TABLE_WEIGHT_DTYPE = "fp8"  # every design fits a group of H200s in fp8; DeepSeek ships fp8
CONTEXTS = tuple(int(2**p) for p in range(10, 21))  # 1K .. 1M tokens


def design(key: str) -> Design:
    """The chapter's design ``key`` (mha, gqa, mla, sliding, chunked, mamba2, deltanet, ...)."""
    keys = [d.key for d in DESIGNS]
    return DESIGNS[keys.index(require_name("key", key, keys, kind="design"))]


@dataclass(frozen=True)
class DesignRow:
    design: Design
    group_gpus: int
    instances_per_gpu: dict[tuple[int, str], float]  # (context, kv dtype) -> instances / GPU
    hold_128k_bytes: float
    read_128k_bytes: float


def table(chip: str = TABLE_CHIP, weight_dtype: str = TABLE_WEIGHT_DTYPE) -> tuple[DesignRow, ...]:
    """Instances per GPU [instances] at 32K and 128K (bf16 and fp8 KV), from ``memory.serving_limits``.

    Each design runs on the smallest power-of-two group of ``chip`` that holds its weights and
    one 128K bf16 sequence (``memory.min_group_gpus``); ``weight_dtype`` is the weights'.
    """
    require_name("chip", chip, hardware.NAMES, kind="accelerator")
    _dtypes(weight_dtype=weight_dtype)
    return _table(chip, weight_dtype)


@cache
def _table(chip: str, weight_dtype: str) -> tuple[DesignRow, ...]:
    rows = []
    for d in DESIGNS:
        spec = models.get(d.model)
        g = memory.min_group_gpus(
            spec, chip, max(TABLE_CONTEXTS), weight_dtype=weight_dtype, kv_dtype="bf16"
        )
        per_gpu = {}
        for ctx in TABLE_CONTEXTS:
            for kv in ("bf16", "fp8"):
                lim = memory.serving_limits(
                    spec, chip, ctx, group_gpus=g, weight_dtype=weight_dtype, kv_dtype=kv
                )
                per_gpu[(ctx, kv)] = lim.capacity / g
        rows.append(DesignRow(d, g, per_gpu, hold_bytes(spec, 131_072), read_bytes(spec, 131_072)))
    return tuple(rows)


# ---- verdicts on the seed's claims -----------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    design: Design
    c04_kv_bytes: float  # KV that C04's instance count holds at 128K with this design
    c04_fraction_of_claim: float  # of the claimed 1000 x 1 TB
    c09_equal_share_context: float | None  # tokens where one sequence's KV equals its weights
    c09_within_window: bool  # reached inside the model's context window
    c10_dynamic_ratio_128k: float  # one sequence's state at 128K over its weights
    c11_ratio_full_context: float  # KV / weights at max_position_embeddings (C11's measure)


VERDICT_CONTEXT = 131_072


@cache
def verdicts() -> tuple[Verdict, ...]:
    """Per design: what the seed's C04, C09, C10 and C11 become (bf16 weights and KV, as the claims)."""
    c04 = claims.get("C04")
    instances = c04.value / c04.assumptions["kv_per_instance_bytes"]
    out = []
    for d in DESIGNS:
        spec = models.get(d.model)
        weights = spec.weight_bytes("bf16")
        hold = hold_bytes(spec, VERDICT_CONTEXT)
        ctx50 = context_for_equal_share(spec)
        max_ctx = spec.max_context or VERDICT_CONTEXT
        out.append(
            Verdict(
                d,
                instances * hold,
                instances * hold / c04.claimed,
                ctx50,
                ctx50 is not None and ctx50 <= max_ctx,
                hold / weights,
                hold_bytes(spec, max_ctx) / weights,
            )
        )
    return tuple(out)

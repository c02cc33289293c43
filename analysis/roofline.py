"""Chapter 1: why training and prefill are FLOP-bound while decode is bandwidth-bound.

Every law is one sympy expression defined here once; the book shows its LaTeX, and the
numbers, figures and tests use its ``sympy.lambdify`` form. FLOP/s are dense; bytes decimal.

Symbols: ``F`` peak FLOP/s, ``W`` memory bandwidth (bytes/s), ``B`` rows of a matmul (tokens
sharing one weight read), ``d x f`` the weight matrix, ``b_w`` / ``b_a`` bytes per weight /
activation element.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import hardware
from .errors import (
    InvalidValueError,
    UnknownDTypeError,
    require_bool,
    require_count,
    require_dtype,
    require_finite_result,
    require_fraction,
    require_instance,
    require_number,
    require_positive,
)
from .latex import latex as reader_latex
from .models import ModelSpec
from .sources import facts
from .units import DTYPES, dtype_bytes, exact_bytes

# ---- the roofline -------------------------------------------------------------------------------
F, W = sp.symbols("F W", positive=True)  # peak FLOP/s, memory bytes/s
N_flop, N_byte = sp.symbols("N_flop N_byte", positive=True)  # work and traffic of one kernel

ROOFLINE_TIME = sp.Max(N_flop / F, N_byte / W)  # perfect overlap of compute and memory
ADDITIVE_TIME = N_flop / F + N_byte / W  # no overlap: an upper bound, at most 2x the roofline
RIDGE_INTENSITY = F / W  # FLOP per byte at the roofline's corner (the source's "K")
ATTAINABLE_FLOPS = sp.Min(F, sp.Symbol("I", positive=True) * W)  # roofline: min(F, I W)

# ---- one (B x d) . (d x f) matmul -------------------------------------------------------------
B, d, f, b_w, b_a = sp.symbols("B d f b_w b_a", positive=True)
MATMUL_FLOPS = 2 * B * d * f  # one multiply and one add per weight per row
MATMUL_BYTES = d * f * b_w + B * (d + f) * b_a  # read weights and inputs once, write outputs
MATMUL_INTENSITY = MATMUL_FLOPS / MATMUL_BYTES
# Rows at which the matmul's intensity equals the ridge: below it memory-bound, above FLOP-bound.
CRITICAL_BATCH = sp.solve(sp.Eq(MATMUL_INTENSITY, RIDGE_INTENSITY), B)[0]
# Weights dominate the traffic when d, f >> B: the critical batch loses its d, f dependence.
CRITICAL_BATCH_WEIGHTS = sp.limit(sp.limit(CRITICAL_BATCH, d, sp.oo), f, sp.oo)
# The largest intensity any B reaches (B -> oo): the matmul never turns FLOP-bound above it.
MATMUL_INTENSITY_CEILING = sp.limit(MATMUL_INTENSITY, B, sp.oo)

# ---- a whole transformer forward step -------------------------------------------------------
# B sequences, T new tokens each, L tokens already cached per sequence. N matmul parameters per
# token, P weight bytes read per step, k KV bytes per cached token, a attention FLOPs per new
# token per attended position. New token i attends to L + i positions (causal).
N, P, T, L, k, a = sp.symbols("N P T_new L k a", positive=True)
FORWARD_FLOPS = 2 * N * B * T + a * B * (T * L + T * (T + 1) / 2)
FORWARD_BYTES = P + B * k * (L + T)  # weights once per step; read L cached, write T new KV
FORWARD_INTENSITY = FORWARD_FLOPS / FORWARD_BYTES
DECODE_INTENSITY = FORWARD_INTENSITY.subs(T, 1)
PREFILL_INTENSITY = FORWARD_INTENSITY.subs(L, 0)
# As B grows the weight read amortizes away but every sequence reads its own KV: a ceiling.
DECODE_INTENSITY_CEILING = sp.limit(DECODE_INTENSITY, B, sp.oo)

# ---- mixture of experts: the routed experts a step touches ------------------------------------
# B tokens in one step, each routed to k_E of E experts per MoE layer. Assumption (uniform,
# independent routing): each token picks a uniformly random k_E-subset, independently of the
# other tokens, so a given expert is missed by one token with probability 1 - k_E/E and by all B
# with (1 - k_E/E)^B. Real routers are skewed; whatever the routing, the touched count lies
# between EXPERTS_TOUCHED_MIN (every token picks the same experts) and EXPERTS_TOUCHED_MAX (no two
# tokens share one), and the uniform law sits between them.
E_x, k_E, q_E = sp.symbols("N_E k_E q_E", positive=True)  # experts, experts per token, fraction
EXPERTS_TOUCHED = E_x * (1 - (1 - k_E / E_x) ** B)
EXPERTS_TOUCHED_MIN = k_E
EXPERTS_TOUCHED_MAX = sp.Min(E_x, B * k_E)
# The batch at which the expected touched fraction reaches q_E: ln(1 - q_E) / ln(1 - k_E / E).
WEIGHT_READ_COMPLETE_BATCH = sp.solve(sp.Eq(EXPERTS_TOUCHED / E_x, q_E), B)[0]
# Bytes of weights one step reads: shared/dense weights P_s fully, the routed experts' P_e by
# the touched fraction (the same expectation in every MoE layer, so it applies to the sum).
P_s, P_e = sp.symbols("P_s P_e", nonnegative=True)
MOE_WEIGHT_BYTES = P_s + P_e * EXPERTS_TOUCHED / E_x
# Each routed expert's weights are shared by B k_E / E tokens on average (at large B): the
# routed matmuls turn FLOP-bound when that per-expert batch reaches the dense critical batch.
MOE_CRITICAL_BATCH = sp.solve(sp.Eq(B * k_E / E_x, CRITICAL_BATCH_WEIGHTS), B)[0]

# ---- decode attention (GQA) -------------------------------------------------------------------
# Per cached position and KV head: g query heads each do q.k and p.v (2 FLOP x head_dim each),
# against K and V of head_dim elements of b_kv bytes. Batch never enters: no weight is shared.
g, h_d, b_kv = sp.symbols("g h_d b_kv", positive=True)
ATTENTION_DECODE_INTENSITY = sp.simplify((g * 2 * 2 * h_d) / (2 * h_d * b_kv))

# ---- training ----------------------------------------------------------------------------------
D_tok, n_gpu, t_s, F_achieved = sp.symbols("D n_gpu t_run F_achieved", positive=True)
TRAINING_FLOPS = 6 * N * D_tok  # forward 2 + backward 4 FLOP per parameter per token
MFU = F_achieved / F  # model FLOP/s achieved per chip over the chip's dense peak
C_total = sp.Symbol("C", positive=True)  # a run's total model FLOPs
RUN_UTILIZATION_OF_TOTAL = C_total / (n_gpu * t_s * F)  # whole-run average, all overheads in
RUN_UTILIZATION = RUN_UTILIZATION_OF_TOTAL.subs(C_total, TRAINING_FLOPS)

_roofline_time = sp.lambdify((N_flop, N_byte, F, W), ROOFLINE_TIME, "math")
_additive_time = sp.lambdify((N_flop, N_byte, F, W), ADDITIVE_TIME, "math")
_critical_batch_weights = sp.lambdify((F, W, b_w), CRITICAL_BATCH_WEIGHTS, "math")
_matmul_ceiling = sp.lambdify((d, f, b_a), MATMUL_INTENSITY_CEILING, "math")
_mfu = sp.lambdify((F_achieved, F), MFU, "math")
_run_utilization = sp.lambdify((C_total, n_gpu, t_s, F), RUN_UTILIZATION_OF_TOTAL, "math")

_critical_batch = sp.lambdify((d, f, b_w, b_a, F, W), CRITICAL_BATCH, "math")
_matmul_intensity = sp.lambdify((B, d, f, b_w, b_a), MATMUL_INTENSITY, "numpy")
_matmul_flops = sp.lambdify((B, d, f), MATMUL_FLOPS, "numpy")
_matmul_bytes = sp.lambdify((B, d, f, b_w, b_a), MATMUL_BYTES, "numpy")
_forward = sp.lambdify((N, P, k, a, B, T, L), (FORWARD_FLOPS, FORWARD_BYTES), "numpy")
_experts_touched = sp.lambdify((E_x, k_E, B), EXPERTS_TOUCHED, "numpy")
_moe_weight_bytes = sp.lambdify((P_s, P_e, E_x, k_E, B), MOE_WEIGHT_BYTES, "numpy")
_weight_read_complete_batch = sp.lambdify((E_x, k_E, q_E), WEIGHT_READ_COMPLETE_BATCH, "numpy")
_moe_critical_batch = sp.lambdify((F, W, b_w, E_x, k_E), MOE_CRITICAL_BATCH, "math")


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr``, one of this module's expressions, for display in the book.

    Printed in a reader's order (:func:`analysis.latex.latex`): positive terms first, common
    factors of the negative ones taken out, no leading minus over a fraction [no unit].
    """
    return reader_latex(expr)


def _bytes(dtype: str, name: str = "dtype") -> float:
    return float(dtype_bytes(require_dtype(name, dtype, DTYPES)))


def _spec(value: object, name: str = "spec") -> ModelSpec:
    return require_instance(name, value, ModelSpec, "a ModelSpec (models.get(name))")


# ---- numbers from the laws ----------------------------------------------------------------------
def roofline_time_s(flops: float, nbytes: float, peak_flops: float, bandwidth: float) -> float:
    """max(``flops`` [FLOP] / ``peak_flops`` [FLOP/s], ``nbytes`` [bytes] / ``bandwidth`` [bytes/s]) [s], perfect overlap."""
    for name, v in (("flops", flops), ("nbytes", nbytes)):
        require_positive(name, v)
    require_positive("peak_flops", peak_flops)
    require_positive("bandwidth", bandwidth)
    return require_finite_result(
        float(_roofline_time(flops, nbytes, peak_flops, bandwidth)),
        "flops, nbytes, peak_flops, bandwidth",
        (flops, nbytes, peak_flops, bandwidth),
    )


def additive_time_s(flops: float, nbytes: float, peak_flops: float, bandwidth: float) -> float:
    """``flops`` [FLOP] / ``peak_flops`` [FLOP/s] + ``nbytes`` [bytes] / ``bandwidth`` [bytes/s]: the time [s] with no overlap."""
    roofline_time_s(flops, nbytes, peak_flops, bandwidth)  # validates
    return require_finite_result(
        float(_additive_time(flops, nbytes, peak_flops, bandwidth)),
        "flops, nbytes, peak_flops, bandwidth",
        (flops, nbytes, peak_flops, bandwidth),
    )


def _require_batch(batch, unit: str) -> None:
    """``batch``: one real number >= 1 or a non-empty array of finite ones, in ``unit``s (rows,
    tokens); fractional values are allowed (averages over steps)."""
    if np.ndim(batch) == 0 and not isinstance(batch, np.ndarray):
        require_number("batch", batch)
        if batch < 1:
            raise InvalidValueError("batch", batch, f">= 1 [{unit}s]")
        return
    counts = np.asarray(batch)
    if (
        counts.dtype.kind not in "iuf"
        or counts.size == 0
        or not np.isfinite(counts).all()
        or (counts < 1).any()
    ):
        raise InvalidValueError("batch", batch, f"finite {unit} counts >= 1")


def matmul_intensity(batch, d_in: int, d_out: int, weight_dtype: str, act_dtype: str):
    """FLOP per byte [FLOP/byte] of a (batch x d_in) . (d_in x d_out) matmul; ``batch`` may be an array.

    Weights in ``weight_dtype``, activations in ``act_dtype``.
    """
    require_count("d_in", d_in)
    require_count("d_out", d_out)
    b_w, b_a = _bytes(weight_dtype, "weight_dtype"), _bytes(act_dtype, "act_dtype")
    _require_batch(batch, "row")  # a real number of rows: the critical batch is one
    with np.errstate(over="ignore", invalid="ignore"):
        result = _matmul_intensity(np.asarray(batch, float), d_in, d_out, b_w, b_a)
    if not np.isfinite(result).all():
        raise InvalidValueError(
            "batch, d_in, d_out", (batch, d_in, d_out), "small enough for a finite intensity"
        )
    return result


def matmul_time_s(
    batch: float, d_in: int, d_out: int, dtype: str, peak_flops: float, bandwidth: float
) -> float:
    """Roofline time [s] of a (batch x d_in) . (d_in x d_out) matmul, weights and activations in ``dtype``.

    ``batch`` [rows], ``d_in`` and ``d_out`` [elements], ``peak_flops`` [FLOP/s], ``bandwidth``
    [bytes/s]: ``ROOFLINE_TIME`` of ``MATMUL_FLOPS`` and ``MATMUL_BYTES``.
    """
    require_count("batch", batch)
    require_count("d_in", d_in)
    require_count("d_out", d_out)
    nb = _bytes(dtype)
    return roofline_time_s(
        float(_matmul_flops(batch, d_in, d_out)),
        float(_matmul_bytes(batch, d_in, d_out, nb, nb)),
        peak_flops,
        bandwidth,
    )


def critical_batch(
    peak_flops: float,
    bandwidth: float,
    weight_dtype: str,
    d_in: int | None = None,
    d_out: int | None = None,
    act_dtype: str | None = None,
) -> float:
    """Rows per weight read [rows] at which a matmul turns FLOP-bound at ``peak_flops`` [FLOP/s] and ``bandwidth`` [bytes/s].

    Without ``d_in``/``d_out`` this is the weights-dominated limit F b_w / (2 W); with them the
    exact solution including activation traffic (``act_dtype`` defaults to ``weight_dtype``).
    """
    require_positive("peak_flops", peak_flops)
    require_positive("bandwidth", bandwidth)
    bw_ = _bytes(weight_dtype, "weight_dtype")
    if act_dtype is not None:
        _bytes(act_dtype, "act_dtype")
    if d_in is None and d_out is None:
        return require_finite_result(
            float(_critical_batch_weights(peak_flops, bandwidth, bw_)),
            "peak_flops, bandwidth",
            (peak_flops, bandwidth),
        )
    if d_in is None or d_out is None:
        raise InvalidValueError(
            "d_in, d_out",
            (d_in, d_out),
            "both d_in and d_out (or neither, for the weights-only limit)",
        )
    require_count("d_in", d_in)
    require_count("d_out", d_out)
    ba_ = _bytes(act_dtype or weight_dtype, "act_dtype" if act_dtype else "weight_dtype")
    ceiling = _matmul_ceiling(d_in, d_out, ba_)
    if peak_flops / bandwidth >= ceiling:
        raise InvalidValueError(
            "peak_flops / bandwidth",
            peak_flops / bandwidth,
            f"below {ceiling:.4g} FLOP/byte, the intensity a {d_in}x{d_out} matmul tends to as "
            "the batch grows (else it never reaches the ridge; use larger d_in, d_out)",
        )
    return require_finite_result(
        _critical_batch(d_in, d_out, bw_, ba_, peak_flops, bandwidth),
        "d_in, d_out, peak_flops, bandwidth",
        (d_in, d_out, peak_flops, bandwidth),
    )


def accelerator_critical_batch(
    acc: hardware.Accelerator,
    compute_dtype: str,
    weight_dtype: str | None = None,
    *,
    sparse: bool = False,
) -> float:
    """Critical batch [rows] on ``acc`` for ``compute_dtype`` FLOPs and ``weight_dtype`` weights.

    ``sparse=True`` uses the 2:4-sparsity marketing rate (2 x dense), for comparison only.
    """
    require_instance("acc", acc, hardware.Accelerator, "an Accelerator (hardware.get(name))")
    require_bool("sparse", sparse)
    if weight_dtype is not None:
        require_dtype("weight_dtype", weight_dtype, DTYPES)
    require_dtype("compute_dtype", compute_dtype, DTYPES)
    if compute_dtype not in acc.dtypes:
        raise UnknownDTypeError(compute_dtype, acc.dtypes, where=acc.key, argument="compute_dtype")
    peak = acc.peak_flops(compute_dtype) * (2 if sparse else 1)
    return critical_batch(peak, acc.mem_bandwidth, weight_dtype or compute_dtype)


@dataclass(frozen=True)
class CriticalRow:
    accelerator: str
    name: str
    dtype: str
    peak_flops: float
    bandwidth: float
    ridge_flop_per_byte: float  # F / W
    critical_batch: float  # F b_w / (2 W), weights in the compute dtype


def critical_batch_table() -> list[CriticalRow]:
    """Every accelerator x dtype in the catalog, weights stored in the compute dtype."""
    rows = []
    for acc in hardware.all_accelerators():
        for dt in acc.dtypes:
            peak = acc.peak_flops(dt)
            rows.append(
                CriticalRow(
                    acc.key,
                    acc.name,
                    dt,
                    peak,
                    acc.mem_bandwidth,
                    peak / acc.mem_bandwidth,
                    accelerator_critical_batch(acc, dt),
                )
            )
    return rows


@dataclass(frozen=True)
class KCase:
    label: str
    compute_dtype: str
    weight_dtype: str
    sparse: bool
    ridge_flop_per_byte: float
    critical_batch: float


K_CASES = (  # (compute, weights, sparse): what "K" could mean on one chip
    ("bf16", "bf16", False), ("fp8", "fp8", False), ("bf16", "int8", False),
    ("bf16", "int4", False), ("fp8", "int4", False), ("fp8", "fp8", True), ("int8", "int8", True),
)  # fmt: skip


def k_cases(accelerator: str = "h100-sxm") -> list[KCase]:
    """The source's K read every way on ``accelerator``: FLOP/byte and critical batch, dense and sparse."""
    acc = hardware.get(accelerator)
    out = []
    for comp, wt, sparse in K_CASES:
        if comp not in acc.flops:
            continue
        peak = acc.peak_flops(comp) * (2 if sparse else 1)
        label = f"{comp} compute, {wt} weights, {'2:4 sparse' if sparse else 'dense'}"
        out.append(
            KCase(
                label,
                comp,
                wt,
                sparse,
                peak / acc.mem_bandwidth,
                accelerator_critical_batch(acc, comp, wt, sparse=sparse),
            )
        )
    return out


# ---- a whole model --------------------------------------------------------------------------------
def matmul_params(spec: ModelSpec) -> int:
    """Parameters of ``spec`` multiplied per token [params]: active ones minus the embedding lookup."""
    _spec(spec)
    params = spec.n_active_params - spec.n_embedding_params
    if spec.tied_embeddings:  # the tied table is also the output head
        params += spec.vocab_size * (spec.embed_proj_dim or spec.d_model)
    return params


def attention_flops_per_position(spec: ModelSpec) -> int:
    """FLOPs one new token of ``spec`` spends per attended position, all layers (q.k and p.v) [FLOP].

    MLA is counted in its absorbed inference form, the form decode runs in: every head scores
    against the shared latent (kv_lora_rank) plus the RoPE key, and mixes values in the latent
    space. Prefill runs MLA non-absorbed: ``attention_flops_per_position_prefill``.
    """
    _spec(spec)
    if spec.kv_lora_rank is not None:  # spec.is_mla, spelled so the type checker narrows it
        per_head = _mla_decode(
            spec.kv_lora_rank, spec.qk_rope_head_dim
        )  # MLA_DECODE_FLOPS_PER_HEAD
    else:
        per_head = 2 * spec.head_dim + 2 * spec.head_dim
    return spec.n_layers * spec.n_heads * per_head


def _require_experts(n_experts, top_k) -> tuple[int, int]:
    experts = require_count("n_experts", n_experts)
    per_token = require_count("top_k", top_k, maximum=experts)
    return experts, per_token


def expected_experts_touched(n_experts: int, top_k: int, batch):
    """Expected routed experts [experts] that ``batch`` tokens touch in one MoE layer.

    E (1 - (1 - k/E)^B) under uniform, independent routing (``EXPERTS_TOUCHED``); any routing
    gives a count between ``top_k`` and min(E, B k) (``experts_touched_bounds``). ``batch``
    [tokens] may be an array.

    ``n_experts`` [experts] routed per layer, ``top_k`` [experts] chosen per token.
    """
    n_experts, top_k = _require_experts(n_experts, top_k)
    _require_batch(batch, "token")
    out = _experts_touched(float(n_experts), float(top_k), np.asarray(batch, float))
    return float(out) if np.ndim(out) == 0 else out


def experts_touched_bounds(n_experts: int, top_k: int, batch: int) -> tuple[float, float]:
    """(fewest, most) routed experts [experts] ``batch`` tokens can touch, whatever the routing.

    ``n_experts`` [experts] routed per layer, ``top_k`` [experts] chosen per token,
    ``batch`` [tokens].
    """
    n_experts, top_k = _require_experts(n_experts, top_k)
    require_positive("batch", batch)
    if batch < 1:
        raise InvalidValueError("batch", batch, ">= 1 [tokens]")
    lo = float(EXPERTS_TOUCHED_MIN.subs(k_E, top_k))
    hi = float(EXPERTS_TOUCHED_MAX.subs({E_x: n_experts, k_E: top_k, B: batch}))
    return lo, hi


def weight_read_complete_batch(n_experts: int, top_k: int, fraction: float = 0.95) -> float:
    """Tokens per step [tokens] at which the expected touched experts reach ``fraction`` of all.

    From ``WEIGHT_READ_COMPLETE_BATCH`` = ln(1 - q) / ln(1 - k/E) (uniform routing); 1 when
    every token uses every expert (k = E).

    ``n_experts`` [experts] routed per layer, ``top_k`` [experts] per token, ``fraction``
    [fraction] of them.
    """
    n_experts, top_k = _require_experts(n_experts, top_k)
    require_fraction("fraction", fraction, open_low=True, open_high=True)
    if top_k == n_experts:
        return 1.0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        batch = float(_weight_read_complete_batch(float(n_experts), float(top_k), float(fraction)))
    return require_finite_result(batch, "n_experts, top_k", (n_experts, top_k))


def moe_critical_batch(
    peak_flops: float, bandwidth: float, weight_dtype: str, n_experts: int, top_k: int
) -> float:
    """Tokens per step [tokens] at which a MoE layer's routed matmuls turn FLOP-bound.

    Each expert sees B k / E tokens on average, so the dense critical batch F b_w / (2 W) is
    multiplied by E / k (``MOE_CRITICAL_BATCH``).

    ``peak_flops`` [FLOP/s] and ``bandwidth`` [B/s] of the chip, ``weight_dtype`` of the
    experts, ``n_experts`` [experts] routed per layer, ``top_k`` [experts] per token.
    """
    require_positive("peak_flops", peak_flops)
    require_positive("bandwidth", bandwidth)
    n_experts, top_k = _require_experts(n_experts, top_k)
    return require_finite_result(
        _moe_critical_batch(
            peak_flops, bandwidth, _bytes(weight_dtype, "weight_dtype"), float(n_experts),
            float(top_k),
        ),
        "peak_flops, bandwidth",
        (peak_flops, bandwidth),
    )  # fmt: skip


def routed_expert_params(spec: ModelSpec) -> int:
    """Parameters [params] of all routed experts (shared experts excluded); 0 for a dense model.

    From the catalog's counts: total minus active experts is (E - k) routed experts per layer.

    ``spec``: the model.
    """
    _spec(spec)
    if not spec.n_experts:
        return 0
    every = spec.param_breakdown()["experts"]
    active = spec.param_breakdown(active=True)["experts"]
    spare = spec.n_experts - spec.n_experts_per_tok
    if spare == 0:
        return every  # k = E: every routed expert is used by every token (shared ones included)
    return (every - active) * spec.n_experts // spare


def step_weight_bytes(spec: ModelSpec, tokens: float, weight_dtype: str = "bf16") -> float:
    """Weight bytes [bytes] one step of ``tokens`` tokens reads (``MOE_WEIGHT_BYTES``).

    Dense models read every weight. MoE: shared and dense weights fully, the routed experts by
    the expected touched fraction (uniform routing): active weights at one token, all weights
    once the batch touches every expert.

    ``spec``: the model; ``weight_dtype``: the weights' storage dtype.
    """
    _spec(spec)
    require_positive("tokens", tokens)
    _bytes(weight_dtype, "weight_dtype")
    total = spec.weight_bytes(weight_dtype)
    routed = routed_expert_params(spec)
    if not routed:
        return float(total)
    routed_bytes = exact_bytes(routed, weight_dtype)
    return float(
        _moe_weight_bytes(
            total - routed_bytes,
            routed_bytes,
            float(spec.n_experts),
            float(spec.n_experts_per_tok),
            float(tokens),
        )
    )


@dataclass(frozen=True)
class ForwardStep:
    flops: float
    bytes: float

    @property
    def intensity(self) -> float:
        """Arithmetic intensity [FLOP/B]: the step's FLOPs over its bytes."""
        return self.flops / self.bytes


def forward_step(
    spec: ModelSpec,
    batch: float,  # sequences; fractional where a serving model averages over steps
    new_tokens: float,
    context: int,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
) -> ForwardStep:
    """FLOPs and HBM bytes of one forward step (activations assumed on-chip, fused kernels).

    Weights are read once per step: all of them for a dense model; for MoE the shared weights
    and the routed experts that the step's batch x new_tokens tokens are expected to touch
    (``step_weight_bytes``, uniform routing).

    ``spec``: the model; ``batch`` [sequences], ``new_tokens`` [tokens] each, ``context`` [tokens]
    cached per sequence; ``weight_dtype`` and ``kv_dtype`` set the bytes. Returns FLOPs [FLOP]
    and bytes [B].
    """
    _spec(spec)
    for name, v in (("batch", batch), ("new_tokens", new_tokens)):
        require_positive(name, v)
    context = require_count("context", context, minimum=0)
    _bytes(weight_dtype, "weight_dtype")
    _bytes(kv_dtype, "kv_dtype")
    cached = spec.cached_tokens(context)
    try:
        flops, nbytes = _forward(
            matmul_params(spec),
            step_weight_bytes(spec, batch * new_tokens, weight_dtype),
            spec.kv_bytes_per_token(kv_dtype),
            attention_flops_per_position(spec),
            batch,
            new_tokens,
            cached,
        )
        flops, nbytes = float(flops), float(nbytes)
    except OverflowError:  # an int count beyond the float range
        flops = nbytes = math.inf
    names = "batch, new_tokens, context"
    return ForwardStep(
        require_finite_result(flops, names, (batch, new_tokens, context)),
        require_finite_result(nbytes, names, (batch, new_tokens, context)),
    )


def decode_attention_intensity(spec: ModelSpec, kv_dtype: str = "bf16") -> float:
    """FLOP per KV byte of ``spec``'s decode attention [FLOP/byte]: 2 g / b_kv for GQA (``kv_dtype``)."""
    _spec(spec)
    require_dtype("kv_dtype", kv_dtype, DTYPES)
    return attention_flops_per_position(spec) / spec.kv_bytes_per_token(kv_dtype)


# ---- training ---------------------------------------------------------------------------------
# Llama 3 405B pre-training layout, Llama 3 paper Table 4 row 1 (8,192 GPUs), from facts.yaml.
# Data-parallel replicas = GPUs / (TP x CP x PP); the paper prints the batch as "16M" tokens.
LLAMA3_405B_LAYOUT = {
    part: facts()[f"llama3_405b_layout_{part}"]
    for part in (
        "gpus",
        "tensor_parallel",
        "context_parallel",
        "pipeline_parallel",
        "sequence_tokens",
        "batch_tokens",
    )
}


@dataclass(frozen=True)
class TrainingBatch:
    batch_tokens: float  # global tokens per optimizer step
    data_parallel: int
    tokens_per_replica: float  # tokens that share each weight shard's reads in one step
    sequence_tokens: int  # the smallest unit a micro-batch can hold
    critical_batch: float
    ratio_sequence: float  # one sequence's tokens over the critical batch


def llama3_training_batch(accelerator: str = "h100-sxm", dtype: str = "bf16") -> TrainingBatch:
    """Tokens that share one weight read in Llama 3 405B training, against the critical batch on ``accelerator`` in ``dtype``."""
    lay = {key: rec.value for key, rec in LLAMA3_405B_LAYOUT.items()}
    dp = int(lay["gpus"]) // int(
        lay["tensor_parallel"] * lay["context_parallel"] * lay["pipeline_parallel"]
    )
    crit = accelerator_critical_batch(hardware.get(accelerator), dtype)
    return TrainingBatch(
        lay["batch_tokens"],
        dp,
        lay["batch_tokens"] / dp,
        int(lay["sequence_tokens"]),
        crit,
        lay["sequence_tokens"] / crit,
    )


def mfu(achieved_flops: float, peak_flops: float) -> float:
    """Model FLOPs utilisation [fraction]: ``achieved_flops`` over ``peak_flops`` (dense) [FLOP/s]."""
    require_positive("achieved_flops", achieved_flops)
    require_positive("peak_flops", peak_flops)
    return float(_mfu(achieved_flops, peak_flops))


def run_utilization(total_flops: float, gpu_hours: float, peak_flops: float) -> float:
    """Whole-run utilisation [fraction]: ``total_flops`` [FLOP] over (``gpu_hours`` x 3600 s x ``peak_flops`` [FLOP/s])."""
    require_positive("total_flops", total_flops)
    require_positive("gpu_hours", gpu_hours)
    require_positive("peak_flops", peak_flops)
    return float(_run_utilization(total_flops, 1, gpu_hours * 3600.0, peak_flops))  # GPU-seconds


# ---- MLA: absorbed decode, non-absorbed prefill ----------------------------------------------------
# Per head and attended position. Absorbed (decode): q.k over the latent r plus the RoPE part
# d_rope, p.v in the latent space r. Non-absorbed (prefill): K and V are decompressed once per
# position, then q.k over d_nope + d_rope and p.v over d_v, as in multi-head attention. The
# up-projection itself is a weight matmul (kv_b_proj), counted once per token in the matmul
# parameters in both forms.
r_lat, d_rope, d_nope, d_v = sp.symbols("r d_rope d_nope d_v", positive=True)
MLA_DECODE_FLOPS_PER_HEAD = 2 * (r_lat + d_rope) + 2 * r_lat
MLA_PREFILL_FLOPS_PER_HEAD = 2 * (d_nope + d_rope) + 2 * d_v
# How many times cheaper a prefill position is than a decode position (no batch, no context in it).
MLA_PREFILL_SAVING = MLA_DECODE_FLOPS_PER_HEAD / MLA_PREFILL_FLOPS_PER_HEAD
_mla_prefill = sp.lambdify((d_nope, d_rope, d_v), MLA_PREFILL_FLOPS_PER_HEAD, "math")
_mla_decode = sp.lambdify((r_lat, d_rope), MLA_DECODE_FLOPS_PER_HEAD, "math")


def attention_flops_per_position_prefill(spec: ModelSpec) -> int:
    """FLOPs one prompt token of ``spec`` spends per attended position in prefill, all layers [FLOP].

    Equal to ``attention_flops_per_position`` except for MLA, which prefill runs non-absorbed
    (decompressed K/V: head dims qk_nope + qk_rope for q.k and v_head_dim for p.v), cheaper per
    position than the absorbed decode form when compute-bound.
    """
    if not _spec(spec).is_mla:
        return attention_flops_per_position(spec)
    per_head = _mla_prefill(spec.qk_nope_head_dim, spec.qk_rope_head_dim, spec.v_head_dim)
    return int(spec.n_layers * spec.n_heads * per_head)


def mla_decode_flops_per_position(spec: ModelSpec) -> int:
    """The absorbed form's FLOPs per attended position of ``spec`` from its law [FLOP] (MLA only)."""
    if not _spec(spec).is_mla:
        raise InvalidValueError(
            "spec", spec.name, f"an MLA model (its attention_kind is {spec.attention_kind!r})"
        )
    return int(spec.n_layers * spec.n_heads * _mla_decode(spec.kv_lora_rank, spec.qk_rope_head_dim))

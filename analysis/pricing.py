"""Chapter 5: what an input (prefill) and an output (decode) token cost, from rent and physics.

A deployment is one model replica on ``n`` accelerators (tensor parallel: FLOP/s, bandwidth and
memory add up). A token's cost is the rent of the deployment for the time of one step divided
by the tokens that step produces. The step time comes from the serving model
(``serving.step_time``: chapter 1's bytes and FLOPs at sourced achievable fractions of the peaks,
plus tensor-parallel all-reduces and per-step overheads; ``bound=True`` gives its roofline lower
bound, the max of compute time and memory time at the peaks); the batch is what memory allows at the context,
floor((memory - weights) / KV per sequence). Every law here is one sympy expression; the book
shows its LaTeX and the numbers below come from its lambdified form.

Conventions: FLOP/s dense; bytes decimal; prices in USD per million tokens (MTok).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from . import hardware, memory, models, prices, roofline, serving
from .errors import (
    InvalidTypeError,
    InvalidValueError,
    require_bool,
    require_count,
    require_dtype,
    require_finite_result,
    require_fraction,
    require_instance,
    require_name,
    require_positive,
)
from .hardware import Accelerator
from .latex import latex as reader_latex
from .models import ModelSpec
from .units import DTYPES

# ---- symbols ------------------------------------------------------------------------------------
# Reused from chapter 1: F peak FLOP/s, W bytes/s, N matmul parameters, P weight bytes, k KV bytes
# per token, a attention FLOPs per token per attended position, B batch, L context, T new tokens.
F, W, N, P, k, a, B, L, T = (
    roofline.F,
    roofline.W,
    roofline.N,
    roofline.P,
    roofline.k,
    roofline.a,
    roofline.B,
    roofline.L,
    roofline.T,
)
M = sp.Symbol("M", positive=True)  # memory of the deployment, bytes
s = sp.Symbol("s", positive=True)  # share of memory holding KV cache (the rest holds weights)
R = sp.Symbol("R", positive=True)  # accelerator FLOP per byte, F / W ("alu_ratio")
c = sp.Symbol("c", positive=True)  # rent of the deployment, USD per second
u_p, u_d = sp.symbols("u_p u_d", positive=True)  # achieved FLOP/s over peak: prefill, decode

# ---- one decode step and one prefill, from chapter 1's forward step --------------------------
# Decode: every sequence holds L tokens after this step and adds one: L - 1 cached positions.
DECODE_FLOPS = sp.expand(roofline.FORWARD_FLOPS.subs({T: 1, L: L - 1}))  # B (2N + a L)
DECODE_BYTES = sp.expand(roofline.FORWARD_BYTES.subs({T: 1, L: L - 1}))  # P + B k L
# Prefill: B prompts of L tokens each, nothing cached.
PREFILL_FLOPS = sp.expand(roofline.FORWARD_FLOPS.subs(L, 0).subs(T, L))
PREFILL_BYTES = roofline.FORWARD_BYTES.subs(L, 0).subs(T, L)
FLOPS_PER_OUTPUT_TOKEN = sp.simplify(DECODE_FLOPS / B)  # 2N + aL
FLOPS_PER_INPUT_TOKEN = sp.simplify(PREFILL_FLOPS / (B * L))  # 2N + a(L+1)/2

# ---- memory: the batch that fits -------------------------------------------------------------
BATCH_FROM_MEMORY = (M - P) / (
    k * L
)  # floor() of this in numbers: chapter 2's memory.CAPACITY_PER_GROUP
# Memory full of weights and KV: P = (1 - s) M and B = s M / (k L). Then one decode step reads
# the whole memory once (P + B k L = M) and does B (2N + aL) FLOPs.
_FULL = {P: (1 - s) * M, B: s * M / (k * L)}
DECODE_INTENSITY_FULL = sp.simplify((DECODE_FLOPS / DECODE_BYTES).subs(_FULL))
# As the batch grows without a memory limit, the weight read amortizes away (chapter 1).
DECODE_INTENSITY_CEILING = sp.limit(DECODE_FLOPS / DECODE_BYTES, B, sp.oo)  # (2N + aL)/(kL)
# Memory-bound decode utilization: intensity over the ridge R; compute-bound caps it at 1.
DECODE_UTILIZATION_MEMORY_BOUND = sp.simplify(DECODE_INTENSITY_FULL / R)  # s (2N + aL)/(k L R)
DECODE_UTILIZATION = sp.Min(1, DECODE_UTILIZATION_MEMORY_BOUND)

# ---- cost per token and the output/input ratio ----------------------------------------------
# Rent c buys F FLOP/s of peak; a phase at utilization u spends phi / (u F) seconds per token.
COST_PER_INPUT_TOKEN = c * FLOPS_PER_INPUT_TOKEN / (u_p * F)
COST_PER_OUTPUT_TOKEN = c * FLOPS_PER_OUTPUT_TOKEN / (u_d * F)
COST_RATIO = sp.simplify(COST_PER_OUTPUT_TOKEN / COST_PER_INPUT_TOKEN)  # (u_p/u_d) phi_out/phi_in
# With decode memory-bound at full memory (u_d = the expression above, F = R W):
COST_RATIO_MEMORY_BOUND = sp.simplify(
    COST_RATIO.subs(u_d, DECODE_UTILIZATION_MEMORY_BOUND)
)  # u_p R k L / (s phi_in)

# ---- the source's formula ----------------------------------------------------------------------
KV_src, WT_src = sp.symbols(
    "KV_RAM W_RAM", positive=True
)  # the source's max_KV_cache_RAM, weight_RAM
SOURCE_PRINTED = (KV_src + WT_src / KV_src) / R  # as printed: / binds before +
SOURCE_INTENDED = ((KV_src + WT_src) / KV_src) / R  # as its example evaluates it
# The ceiling in the source's terms: MHA in bf16 has a = k (2g/b_kv FLOP per KV byte, g = 1,
# b_kv = 2), and dense bf16 weights give 2N = P (2 FLOPs per 2-byte weight). One sequence's KV
# at its full context is k L.
SOURCE_CASE = {a: k, N: P / 2}
CEILING_IN_SOURCE_TERMS = sp.simplify(
    (DECODE_INTENSITY_CEILING / R).subs(SOURCE_CASE).subs(P, WT_src).subs(L, KV_src / k)
)
assert sp.simplify(CEILING_IN_SOURCE_TERMS - SOURCE_INTENDED) == 0  # the identity the book shows

_util_mb = sp.lambdify((s, N, a, k, L, R), DECODE_UTILIZATION_MEMORY_BOUND, "math")
_ratio = sp.lambdify((u_p, u_d, N, a, L), COST_RATIO, "math")
_src_printed = sp.lambdify((KV_src, WT_src, R), SOURCE_PRINTED, "math")
_src_intended = sp.lambdify((KV_src, WT_src, R), SOURCE_INTENDED, "math")


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr``, one of this module's expressions, for display in the book.

    Printed in a reader's order (:func:`analysis.latex.latex`): positive terms first, common
    factors of the negative ones taken out, no leading minus over a fraction [no unit].
    """
    return reader_latex(expr)


# ---- a deployment ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deployment:
    """One model replica on ``n_gpus`` identical accelerators, with its storage and compute dtypes."""

    model: ModelSpec
    accelerator: Accelerator
    n_gpus: int = 1
    weight_dtype: str = "bf16"
    kv_dtype: str = "bf16"
    compute_dtype: str = "bf16"

    def __post_init__(self):
        require_instance("model", self.model, ModelSpec, "a ModelSpec (models.get(name))")
        require_instance(
            "accelerator", self.accelerator, Accelerator, "an Accelerator (hardware.get(name))"
        )
        require_count("n_gpus", self.n_gpus)
        for name in ("weight_dtype", "kv_dtype"):
            require_dtype(name, getattr(self, name), DTYPES)
        require_dtype("compute_dtype", self.compute_dtype, self.accelerator.dtypes,
                      where=self.accelerator.key)  # fmt: skip
        if self.weight_bytes >= self.mem_bytes:
            need = math.floor(self.weight_bytes / self.accelerator.mem_bytes) + 1
            raise InvalidValueError(
                "n_gpus",
                self.n_gpus,
                f"enough GPUs for the weights: {self.model.name} weights "
                f"({self.weight_bytes / 1e9:.1f} GB in {self.weight_dtype}) do not fit in "
                f"{self.n_gpus} x {self.accelerator.key} ({self.mem_bytes / 1e9:.0f} GB); "
                f"use n_gpus >= {need} or a smaller weight_dtype",
            )

    @classmethod
    def of(cls, model: str, accelerator: str, n_gpus: int = 1, **dtypes: str) -> Deployment:
        """Build from catalog names: ``Deployment.of("qwen2.5-72b", "h100-sxm", 8)``.

        ``model`` and ``accelerator``: catalog names; ``n_gpus`` [GPUs]; ``dtypes``: weight_dtype, kv_dtype, compute_dtype.
        """
        require_name("model", model, models.NAMES + models.DESIGN_NAMES, kind="model")
        require_name("accelerator", accelerator, hardware.NAMES, kind="accelerator")
        return cls(models.get(model), hardware.get(accelerator), n_gpus, **dtypes)

    @property
    def peak_flops(self) -> float:
        """Dense peak of the group in the compute dtype [FLOP/s]."""
        return self.n_gpus * self.accelerator.peak_flops(self.compute_dtype)

    @property
    def bandwidth(self) -> float:
        """Memory bandwidth of the group [bytes/s]."""
        return self.n_gpus * self.accelerator.mem_bandwidth

    @property
    def mem_bytes(self) -> float:
        """Memory capacity of the group [bytes]."""
        return self.n_gpus * self.accelerator.mem_bytes

    @property
    def weight_bytes(self) -> int:
        """Weight bytes of one model copy [bytes]."""
        return self.model.weight_bytes(self.weight_dtype)

    @property
    def ridge(self) -> float:
        """FLOP per byte at the roofline's corner [FLOP/byte] (the source's alu_ratio)."""
        return self.peak_flops / self.bandwidth

    def label(self) -> str:
        """Model, GPUs and weight dtype in words."""
        """Display name, e.g. "Qwen2.5 72B on 8× NVIDIA H100 SXM5 80GB, bf16 weights"."""
        try:
            model = models.info(self.model.name).display_name
        except LookupError:  # a spec that is not in the catalog keeps its own name
            model = self.model.name
        return f"{model} on {self.n_gpus}× {self.accelerator.name}, {self.weight_dtype} weights"

    def check_context(self, context_tokens: int) -> int:
        """``context_tokens`` [tokens] if it is a whole number in 1..the model's window, else a clear error."""
        context_tokens = require_count("context_tokens", context_tokens)
        if self.model.max_context is not None and context_tokens > self.model.max_context:
            raise InvalidValueError(
                "context_tokens",
                context_tokens,
                f"at most {self.model.max_context:,}: {context_tokens:,} exceeds "
                f"{self.model.name}'s context window of {self.model.max_context:,} tokens",
            )
        return context_tokens

    def kv_bytes_per_sequence(self, context_tokens: int) -> int:
        """KV cache of one sequence of ``context_tokens`` [tokens] [bytes]."""
        return self.model.kv_cache_bytes(self.check_context(context_tokens), self.kv_dtype)

    def max_batch(self, context_tokens: int) -> int:
        """Sequences [sequences] of ``context_tokens`` [tokens] whose KV fits beside the weights: floor((M - P) / KV).

        Chapter 2's capacity limit (``memory.group_limits``), with all of HBM usable.
        """
        kv = self.kv_bytes_per_sequence(context_tokens)
        return memory.group_limits(
            self.weight_bytes, kv, group_gpus=self.n_gpus, mem_bytes=self.accelerator.mem_bytes
        ).capacity

    def serving_setup(self, bound: bool = False) -> serving.Setup:
        """This deployment as the serving model's ``Setup`` (``bound``: only roofline bounds are asked of it)."""
        require_bool("bound", bound)
        return serving.setup(
            self.model, self.accelerator, self.n_gpus, self.weight_dtype, self.kv_dtype,
            compute_dtype=self.compute_dtype, bound=bound,
        )  # fmt: skip

    def kv_share(self, context_tokens: int) -> float:
        """Share of memory [fraction] the KV takes at the largest batch that fits at ``context_tokens`` (the s of the laws)."""
        return (
            self.max_batch(context_tokens)
            * self.kv_bytes_per_sequence(context_tokens)
            / self.mem_bytes
        )


# ---- the cost of a phase -------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseCost:
    """One step of prefill or decode on a deployment, and what its tokens cost."""

    phase: str  # "prefill" or "decode"
    batch: int  # sequences in the step
    tokens_per_step: int
    step_s: float
    flops: float
    bytes: float
    utilization: float  # model FLOP/s achieved over the deployment's dense peak
    bound: str  # "memory" or "compute": which roofline term sets the step time
    usd_per_token: float

    @property
    def usd_per_mtok(self) -> float:
        """Cost [USD per 1e6 tokens]."""
        return self.usd_per_token * 1e6

    @property
    def tokens_per_s(self) -> float:
        """Throughput of the phase [tokens/s]."""
        return self.tokens_per_step / self.step_s


def usd_per_s(usd_per_gpu_hour: float, n_gpus: int = 1) -> float:
    """Rent of ``n_gpus`` GPUs at ``usd_per_gpu_hour`` [USD per GPU-hour], as [USD/s]."""
    require_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    require_count("n_gpus", n_gpus)
    return require_finite_result(
        usd_per_gpu_hour * n_gpus / 3600.0, "usd_per_gpu_hour, n_gpus", (usd_per_gpu_hour, n_gpus)
    )


def _phase(
    dep: Deployment,
    phase: str,
    batch: int,
    tokens: int,
    step,
    usd_per_gpu_hour: float,
) -> PhaseCost:
    step_s = step.total_s
    return PhaseCost(
        phase,
        batch,
        tokens,
        step_s,
        step.flops,
        step.bytes,
        utilization=step.flops / (dep.peak_flops * step_s),
        bound=step.binding,
        usd_per_token=usd_per_s(usd_per_gpu_hour, dep.n_gpus) * step_s / tokens,
    )


def prefill_cost(
    dep: Deployment,
    usd_per_gpu_hour: float,
    prompt_tokens: int,
    *,
    batch: int | None = None,
    bound: bool = False,
) -> PhaseCost:
    """Cost per input token of prefilling ``batch`` prompts of ``prompt_tokens`` (default: as many as fit).

    The step time is the serving model's (``serving.step_time``: sourced efficiencies,
    tensor-parallel all-reduces, per-step overheads); ``bound=True`` takes its roofline lower
    bound instead (dense peaks at full efficiency, nothing else).
    ``dep``: the deployment; ``usd_per_gpu_hour`` [USD per GPU-hour]; ``prompt_tokens`` [tokens]; ``batch`` [sequences]; costs in [USD per 1e6 tokens] (``usd_per_mtok``).
    """
    _check_phase_args(dep, usd_per_gpu_hour, bound)
    require_count("prompt_tokens", prompt_tokens)
    batch = (
        dep.max_batch(prompt_tokens) if batch is None else _check_batch(dep, batch, prompt_tokens)
    )
    step = serving.step_time(
        dep.serving_setup(bound), 0, 1, 0, float(batch * prompt_tokens),
        prompt_tokens=prompt_tokens, bound=bound,
    )  # fmt: skip
    return _phase(dep, "prefill", batch, batch * prompt_tokens, step, usd_per_gpu_hour)


def decode_cost(
    dep: Deployment,
    usd_per_gpu_hour: float,
    context_tokens: int,
    *,
    batch: int | None = None,
    bound: bool = False,
) -> PhaseCost:
    """Cost per output token when every sequence in the batch holds ``context_tokens`` (default batch: as many as fit).

    The step time is the serving model's (``serving.step_time``); ``bound=True``: its roofline
    lower bound. ``dep``: the deployment; ``usd_per_gpu_hour`` [USD per GPU-hour]; ``context_tokens`` [tokens]; ``batch`` [sequences]; costs in [USD per 1e6 tokens] (``usd_per_mtok``).
    """
    _check_phase_args(dep, usd_per_gpu_hour, bound)
    batch = (
        dep.max_batch(context_tokens) if batch is None else _check_batch(dep, batch, context_tokens)
    )
    step = serving.step_time(dep.serving_setup(bound), batch, 1, context_tokens - 1, bound=bound)
    return _phase(dep, "decode", batch, batch, step, usd_per_gpu_hour)


def _dep(dep: object) -> Deployment:
    return require_instance("dep", dep, Deployment, "a Deployment (Deployment.of(...))")


def _check_phase_args(dep: object, usd_per_gpu_hour: float, bound: bool) -> None:
    _dep(dep)
    require_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    require_bool("bound", bound)


def _check_batch(dep: Deployment, batch: int, context_tokens: int) -> int:
    batch = require_count("batch", batch)
    most = dep.max_batch(context_tokens)
    if batch > most:
        raise InvalidValueError(
            "batch",
            batch,
            f"at most {most}: batch {batch} does not fit at {context_tokens:,} tokens",
        )
    return batch


def cost_ratio(
    dep: Deployment,
    context_tokens: int,
    *,
    bound: bool = False,
) -> float:
    """Output over input cost per token at ``context_tokens`` (independent of the rent).

    Both step times from the serving model (``bound=True``: both at its roofline lower bound).
    ``dep``: the deployment; ``context_tokens`` [tokens]; returns [unitless].
    """
    _dep(dep)
    dep.check_context(context_tokens)
    require_bool("bound", bound)
    rent = 1.0  # cancels
    out = decode_cost(dep, rent, context_tokens, bound=bound).usd_per_token
    inp = prefill_cost(dep, rent, context_tokens, bound=bound).usd_per_token
    return out / inp


# ---- the laws as numbers -------------------------------------------------------------------------
def decode_utilization_memory_bound(
    kv_share: float,
    n_matmul_params: float,
    attn_flops_per_position: float,
    kv_bytes_per_token: float,
    context_tokens: float,
    ridge: float,
) -> float:
    """s (2N + aL) / (k L R): decode utilization with memory full and the step memory-bound.

    ``kv_share`` (s) [fraction], ``n_matmul_params`` (N) [params], ``attn_flops_per_position`` (a) [FLOP], ``kv_bytes_per_token`` (k) [bytes], ``context_tokens`` (L) [tokens], ``ridge`` (R) [FLOP/byte]; returns [fraction].
    """
    require_fraction("kv_share", kv_share, open_low=True)
    for name, v in (
        ("n_matmul_params", n_matmul_params),
        ("kv_bytes_per_token", kv_bytes_per_token),
        ("ridge", ridge),
    ):
        require_positive(name, v)
    require_count("context_tokens", context_tokens)
    require_positive("attn_flops_per_position", attn_flops_per_position, allow_zero=True)
    args = (kv_share, n_matmul_params, attn_flops_per_position, kv_bytes_per_token,
            context_tokens, ridge)  # fmt: skip
    try:
        value = _util_mb(*args)
    except (OverflowError, ZeroDivisionError):
        value = math.inf
    return require_finite_result(
        value, "n_matmul_params, attn_flops_per_position, kv_bytes_per_token, "
        "context_tokens, ridge", args[1:])  # fmt: skip


def law_inputs(dep: Deployment) -> dict[str, float]:
    """The symbols of the laws for ``dep``: N [params], a [FLOP per position], k [bytes/token], R [FLOP/byte]."""
    _dep(dep)
    return {
        "N": roofline.matmul_params(dep.model),
        "a": roofline.attention_flops_per_position(dep.model),
        "k": dep.model.kv_bytes_per_token(dep.kv_dtype),
        "R": dep.ridge,
    }


def decode_utilization_ceiling(dep: Deployment, context_tokens: int) -> float:
    """(2N + aL) / (k L R) [fraction] for ``dep`` at ``context_tokens`` = L: decode utilization with unlimited batch (s = 1)."""
    _dep(dep).check_context(context_tokens)
    v = law_inputs(dep)
    return decode_utilization_memory_bound(1.0, v["N"], v["a"], v["k"], context_tokens, v["R"])


def ratio_from_utilizations(
    prefill_utilization: float,
    decode_utilization: float,
    n_matmul_params: float = 1.0,
    attn_flops_per_position: float = 0.0,
    context_tokens: float = 1.0,
) -> float:
    """(u_p / u_d) x phi_out / phi_in; with the defaults the FLOP ratio is 1 and this is u_p / u_d.

    ``prefill_utilization`` and ``decode_utilization`` [fraction]; ``n_matmul_params`` [params], ``attn_flops_per_position`` [FLOP], ``context_tokens`` [tokens] give phi; returns [unitless].
    """
    require_fraction("prefill_utilization", prefill_utilization, open_low=True)
    require_fraction("decode_utilization", decode_utilization, open_low=True)
    require_positive("n_matmul_params", n_matmul_params)
    require_positive("attn_flops_per_position", attn_flops_per_position, allow_zero=True)
    require_count("context_tokens", context_tokens)
    args = (prefill_utilization, decode_utilization, n_matmul_params, attn_flops_per_position,
            context_tokens)  # fmt: skip
    try:
        value = _ratio(*args)
    except (OverflowError, ZeroDivisionError):
        value = math.inf
    return require_finite_result(
        value, "n_matmul_params, attn_flops_per_position, context_tokens", args[2:]
    )


def implied_decode_utilization(
    price_ratio: float, prefill_utilization: float, flops_ratio: float = 1.0
) -> float:
    """Decode utilization a price ratio implies if prices follow cost: u_d = u_p x (phi_out/phi_in) / ratio.

    ``price_ratio`` [unitless], ``prefill_utilization`` [fraction], ``flops_ratio`` (phi_out/phi_in) [unitless]; returns [fraction].
    """
    require_positive("price_ratio", price_ratio)
    require_fraction("prefill_utilization", prefill_utilization, open_low=True)
    require_positive("flops_ratio", flops_ratio)
    u_d = prefill_utilization * flops_ratio / price_ratio
    if not u_d <= 1:
        raise InvalidValueError(
            "price_ratio",
            price_ratio,
            f">= prefill_utilization x flops_ratio = {prefill_utilization * flops_ratio:.3g} "
            f"(else it implies a decode utilization of {u_d:.3g} > 1, which no utilization "
            "explains)",
        )
    return u_d


def source_formula(
    kv_ram: float, weight_ram: float, alu_ratio: float, *, as_printed: bool = False
) -> float:
    """The source's generation-efficiency bound: ((KV + W) / KV) / ratio, or as printed (KV + W/KV) / ratio.

    ``kv_ram`` and ``weight_ram`` [bytes] (any one unit), ``alu_ratio`` [FLOP/byte]; ``as_printed`` picks the source's printed form; returns [unitless].
    """
    require_positive("kv_ram", kv_ram)
    require_positive("weight_ram", weight_ram, allow_zero=True)
    require_positive("alu_ratio", alu_ratio)
    require_bool("as_printed", as_printed)
    return (_src_printed if as_printed else _src_intended)(kv_ram, weight_ram, alu_ratio)


# ---- price data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RatioSummary:
    """Output/input list-price ratios over a set of price rows, compared exactly (Fractions)."""

    n_rows: int
    lowest: float
    median: float
    highest: float
    share_in_3_to_10: float  # fraction of rows with 3 <= ratio <= 10 (exact comparison)
    n_in_3_to_10: int
    n_below_3: int
    n_at_or_above_10: int  # rows whose ratio reaches the source's top end (>= 10)
    at_or_above_10: tuple[prices.PriceRow, ...]  # those rows, highest ratio first
    tiers: tuple[str, ...]  # the tiers the rows were drawn from


def ratio_summary(rows=None, *, tiers: tuple[str, ...] | None = ("standard",)) -> RatioSummary:
    """Output/input price ratios over ``rows`` (default: the catalog) in ``tiers``.

    ``tiers``: which price tiers to include (``prices.TIERS``); None includes every row given.
    Ratios are exact fractions of the catalog's decimals, so a ratio of exactly 3 or 10 (e.g.
    $1.68 / $0.56) is inside the source's 3x-10x, never 2.9999999999999996.
    """
    allowed_tiers = f"None or a non-empty tuple of {', '.join(prices.TIERS)}"
    if tiers is not None:
        if not isinstance(tiers, tuple | list):
            raise InvalidTypeError("tiers", tiers, allowed_tiers)
        if not tiers or any(not isinstance(t, str) or t not in prices.TIERS for t in tiers):
            raise InvalidValueError("tiers", tiers, allowed_tiers)
    if rows is not None and (
        not isinstance(rows, tuple | list) or not all(isinstance(r, prices.PriceRow) for r in rows)
    ):
        raise InvalidTypeError("rows", rows, "None (the catalog) or a list of prices.PriceRow")
    rows = list(prices.api_prices() if rows is None else rows)
    if tiers is not None:
        rows = [r for r in rows if r.tier in tiers]
    if not rows:
        raise InvalidValueError("rows", rows, f"at least one price row in tiers {tiers!r}")
    ratios = sorted(r.output_input_ratio_exact for r in rows)
    n = len(ratios)
    median = ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2
    inside = sum(3 <= x <= 10 for x in ratios)
    top = sorted(
        (r for r in rows if r.output_input_ratio_exact >= 10),
        key=lambda r: r.output_input_ratio_exact,
        reverse=True,
    )
    return RatioSummary(
        n_rows=n,
        lowest=float(ratios[0]),
        median=float(median),
        highest=float(ratios[-1]),
        share_in_3_to_10=inside / n,
        n_in_3_to_10=inside,
        n_below_3=sum(x < 3 for x in ratios),
        n_at_or_above_10=len(top),
        at_or_above_10=tuple(top),
        tiers=tuple(sorted({r.tier for r in rows}, key=prices.TIERS.index)),
    )


def context_for_ratio(dep: Deployment, ratio: float, *, bound: bool = False) -> int | None:
    """Smallest context at which the derived output/input cost ratio reaches ``ratio`` (None if never).

    The ratio rises with context once decode is memory-bound; bisection over whole tokens.
    ``dep``: the deployment; ``bound``: as in ``cost_ratio``; ``ratio`` [unitless]; returns [tokens].
    """
    _dep(dep)
    require_positive("ratio", ratio)
    if dep.model.max_context is None:
        raise InvalidValueError(
            "dep", dep.model.name, "a deployment whose model states a context window to search"
        )
    lo, hi = 1, dep.model.max_context
    while hi > 1 and dep.mem_bytes - dep.weight_bytes < dep.kv_bytes_per_sequence(hi):
        hi //= 2  # the longest context at which one sequence still fits (within a factor of 2)
    if cost_ratio(dep, hi, bound=bound) < ratio:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if cost_ratio(dep, mid, bound=bound) >= ratio:
            hi = mid
        else:
            lo = mid + 1
    return lo

"""Chapter 2: static and dynamic memory, instances per GPU, and fleet sizing.

Static memory is the weights, held once per serving group of ``g`` GPUs; dynamic memory is each
instance's KV cache. A group serves as many instances as fit in its memory (capacity) and as
many as it can advance at ``s`` tokens/s each (bandwidth, and compute): each decode step reads
the weights once plus every instance's KV. That step time is chapter 1's roofline
(``roofline.ROOFLINE_TIME`` applied to ``roofline.FORWARD_FLOPS/BYTES`` at one new token), so the
symbols below are chapter 1's: ``P`` weight bytes, ``k`` KV bytes per token, ``L`` cached tokens,
``B`` instances (sequences) in the step, ``N`` matmul parameters, ``a`` attention FLOPs per
token per position, ``F`` and ``W`` one GPU's dense FLOP/s and bytes/s.

Capacities ``M`` are an accelerator's physical memory in bytes (``Accelerator.mem_bytes``: HBM is
binary-sized, so an H100's "80 GB" is 80 GiB = 85.9e9 B), of which a fraction ``u`` is usable;
bandwidths are decimal bytes/s. Every expression is defined once here; the book shows its LaTeX
and the numbers come from its ``lambdify`` form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from . import hardware, models, roofline
from .errors import (
    AnalysisError,
    InvalidTypeError,
    InvalidValueError,
    require_count,
    require_dtype,
    require_finite_result,
    require_instance,
    require_name,
    require_number,
    require_positive,
)
from .hardware import Accelerator
from .latex import latex as reader_latex
from .models import ModelSpec
from .sources import facts
from .units import DTYPES, dtype_bytes

P, k, L, B, N, a = roofline.P, roofline.k, roofline.L, roofline.B, roofline.N, roofline.a
F, W = roofline.F, roofline.W
# bytes/GPU, usable fraction, GPUs/group, tokens/s of one instance
M, u, g, s = sp.symbols("M_gpu u n_g v", positive=True)
# concurrent instances; the source's dynamic ratio (one instance's KV bytes over the weight
# bytes); one instance's KV share of (weights + that KV)
N_inst, rho, delta = sp.symbols("N_inst r_KV delta", positive=True)

# ---- memory -------------------------------------------------------------------------------------
DYNAMIC_BYTES = k * L  # one instance's KV cache
CAPACITY_PER_GROUP = (g * u * M - P) / DYNAMIC_BYTES  # instances that fit beside one weight copy
DYNAMIC_SHARE = B * DYNAMIC_BYTES / (P + B * DYNAMIC_BYTES)  # KV share of the memory in use
# Context at which one instance's KV is a share delta of (weights + that KV): the share at B=1.
CONTEXT_FOR_SHARE = sp.solve(sp.Eq(DYNAMIC_SHARE.subs(B, 1), delta), L)[0]

# ---- speed: chapter 1's roofline for one decode step of B instances on g GPUs -------------------
DECODE_FLOPS = roofline.FORWARD_FLOPS.subs(roofline.T, 1)
DECODE_BYTES = roofline.FORWARD_BYTES.subs(roofline.T, 1)  # weights once + every instance's KV
DECODE_TIME = roofline.ROOFLINE_TIME.xreplace(
    {roofline.N_flop: DECODE_FLOPS, roofline.N_byte: DECODE_BYTES, F: g * F, W: g * W}
)
BANDWIDTH_PER_GROUP = sp.solve(sp.Eq(DECODE_BYTES / (g * W), 1 / s), B)[0]
COMPUTE_PER_GROUP = sp.solve(sp.Eq(DECODE_FLOPS / (g * F), 1 / s), B)[0]
MAX_SPEED = 1 / DECODE_TIME.subs(B, 0)  # one instance can never beat reading the weights: g W / P

# ---- fleets ------------------------------------------------------------------------------------
FLEET_GPUS = g * sp.ceiling(N_inst / sp.floor(sp.Min(CAPACITY_PER_GROUP, BANDWIDTH_PER_GROUP)))
# Huge groups amortize the weights away: GPUs per instance tend to the KV's share of one GPU's
# memory, or of one GPU's bandwidth at s tokens/s, whichever is larger.
CAPACITY_GPUS_PER_INSTANCE = sp.limit(g / CAPACITY_PER_GROUP, g, sp.oo)
BANDWIDTH_GPUS_PER_INSTANCE = sp.limit(g / BANDWIDTH_PER_GROUP, g, sp.oo)
FLEET_GPUS_LIMIT = N_inst * sp.Max(CAPACITY_GPUS_PER_INSTANCE, BANDWIDTH_GPUS_PER_INSTANCE)
# Speed above which bandwidth, not capacity, binds a KV-dominated fleet (about W / M).
CROSSOVER_SPEED = sp.solve(sp.Eq(CAPACITY_GPUS_PER_INSTANCE, BANDWIDTH_GPUS_PER_INSTANCE), s)[0]
# Long contexts (L -> oo: the L cached tokens dominate the one being written): W / (u M).
CROSSOVER_SPEED_LONG_CONTEXT = sp.limit(CROSSOVER_SPEED, L, sp.oo)
# The source's "dynamic ratio": per-instance KV = rho x weight bytes (k L = rho P, long context).
RATIO_FLEET_GPUS_LIMIT = N_inst * sp.Max(
    *(
        sp.limit(per.subs(k, rho * P / L), L, sp.oo)
        for per in (CAPACITY_GPUS_PER_INSTANCE, BANDWIDTH_GPUS_PER_INSTANCE)
    )
)

_capacity = sp.lambdify((g, u, M, P, k, L), CAPACITY_PER_GROUP, "math")
_bandwidth = sp.lambdify((g, W, s, P, k, L), BANDWIDTH_PER_GROUP, "math")
_compute = sp.lambdify((g, F, s, N, a, L), COMPUTE_PER_GROUP, "math")
_share = sp.lambdify((B, P, k, L), DYNAMIC_SHARE, "math")
_context_for_share = sp.lambdify((delta, P, k), CONTEXT_FOR_SHARE, "math")
_ratio_fleet = sp.lambdify((N_inst, rho, P, u, M, s, W), RATIO_FLEET_GPUS_LIMIT, "math")
_crossover = sp.lambdify((W, u, M), CROSSOVER_SPEED_LONG_CONTEXT, "math")
_kv_gpus = sp.lambdify((k, L, u, M), CAPACITY_GPUS_PER_INSTANCE, "math")

# The source's scenario, in its own numbers (its claims, recomputed in the chapter).
SOURCE_CLUSTER_GPUS = facts()["source_cluster_gpus"]
SOURCE_GPU_TOKENS_PER_S = facts()["source_gpu_tokens_per_s"]
SOURCE_INSTANCE_TOKENS_PER_S = facts()["source_instance_tokens_per_s"]


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr``, one of this module's expressions, for display in the book.

    Printed in a reader's order (:func:`analysis.latex.latex`): positive terms first, common
    factors of the negative ones taken out, no leading minus over a fraction [no unit].
    """
    return reader_latex(expr)


class InfeasibleServingError(AnalysisError, ValueError):
    """A serving configuration that cannot run a single instance."""


class WeightsDoNotFitError(InfeasibleServingError):
    def __init__(self, static_bytes: float, group_gpus: int, usable_bytes: float):
        super().__init__(
            f"weights of {static_bytes / 1e9:.4g} GB do not fit in a group of {group_gpus} GPU(s) "
            f"with {usable_bytes / 1e9:.4g} GB usable; use a group of at least "
            f"{math.ceil(static_bytes / (usable_bytes / group_gpus))} GPUs or smaller weights"
        )


class NoRoomForKVError(InfeasibleServingError):
    def __init__(self, free_bytes: float, dynamic_bytes: float, group_gpus: int):
        super().__init__(
            f"after the weights a group of {group_gpus} GPU(s) has {free_bytes / 1e9:.4g} GB free, "
            f"less than one instance's KV cache of {dynamic_bytes / 1e9:.4g} GB; use a larger "
            f"group, a shorter context or a smaller KV dtype"
        )


class SpeedUnreachableError(InfeasibleServingError):
    def __init__(self, tokens_per_s: float, max_tokens_per_s: float, group_gpus: int):
        super().__init__(
            f"{tokens_per_s:g} tokens/s per instance is unreachable on a group of {group_gpus} "
            f"GPU(s): reading the weights alone caps one step at {max_tokens_per_s:.4g} tokens/s "
            f"(g W / P); use a larger group, smaller weights or a lower speed"
        )


def _require_int(name: str, value: int) -> int:
    return require_count(name, value)


def _require_fraction(name: str, value: float) -> float:
    require_number(name, value)
    if not 0 < value <= 1:
        raise InvalidValueError(name, value, "in (0, 1]")
    return value


def _floor(value: float, names: str, values: object) -> int:
    """floor() of a law's value, refusing inputs so large that the value is not a finite float."""
    return math.floor(require_finite_result(value, names, values))


def _require_names(name: str, value: object, known, kind: str) -> tuple[str, ...]:
    """A non-empty tuple or list of catalog names."""
    known = list(known)
    if not isinstance(value, tuple | list):
        raise InvalidTypeError(name, value, f"a tuple of {kind} names ({', '.join(known)})")
    if not value:
        raise InvalidValueError(name, value, f"a non-empty tuple of {kind} names")
    for item in value:
        require_name(name, item, known, kind=kind)
    return tuple(value)


# ---- numbers: one group --------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupLimits:
    """Most instances one serving group of ``group_gpus`` GPUs can hold and drive."""

    group_gpus: int
    capacity: int  # fit in memory beside one weight copy
    bandwidth: int | None  # can each advance at the speed (None: no speed asked)
    compute: int | None

    @property
    def instances(self) -> int:
        """Instances one group serves [instances]: the tightest of the three limits."""
        return min(v for v in (self.capacity, self.bandwidth, self.compute) if v is not None)

    @property
    def binding(self) -> str:
        """Which constraint sets ``instances``: 'capacity', 'bandwidth' or 'compute'."""
        # On a tie, report the first of capacity, bandwidth, compute: memory is the book's claim.
        limits = (
            ("capacity", self.capacity),
            ("bandwidth", self.bandwidth),
            ("compute", self.compute),
        )
        return next(name for name, v in limits if v == self.instances)

    @property
    def instances_per_gpu(self) -> float:
        """Instances per GPU [instances per GPU]."""
        return self.instances / self.group_gpus


def group_limits(
    static_bytes: float,
    dynamic_bytes: float,
    *,
    group_gpus: int,
    mem_bytes: float,
    usable_fraction: float = 1.0,
    tokens_per_s: float | None = None,
    bandwidth: float | None = None,
    kv_step_bytes: float | None = None,
    peak_flops: float | None = None,
    flops_per_token: float | None = None,
) -> GroupLimits:
    """Instances per group from raw numbers (bytes, bytes/s, FLOP/s).

    ``dynamic_bytes`` is one instance's KV; ``kv_step_bytes`` the KV one decode step moves per
    instance (default ``dynamic_bytes``). With ``tokens_per_s`` the bandwidth limit needs
    ``bandwidth``; the compute limit needs ``peak_flops`` and ``flops_per_token`` (per instance).
    ``static_bytes`` [bytes] (one weight copy), ``dynamic_bytes`` and ``kv_step_bytes`` [bytes], ``group_gpus`` [GPUs], ``mem_bytes`` [bytes] per GPU, ``usable_fraction`` [fraction], ``tokens_per_s`` [tokens/s], ``bandwidth`` [bytes/s] and ``peak_flops`` [FLOP/s] per GPU, ``flops_per_token`` [FLOP]; limits in [instances].
    """
    group_gpus = _require_int("group_gpus", group_gpus)
    require_positive("static_bytes", static_bytes, allow_zero=True)
    require_positive("dynamic_bytes", dynamic_bytes)
    require_positive("mem_bytes", mem_bytes)
    _require_fraction("usable_fraction", usable_fraction)
    for name, value in (
        ("tokens_per_s", tokens_per_s),
        ("bandwidth", bandwidth),
        ("kv_step_bytes", kv_step_bytes),
        ("peak_flops", peak_flops),
        ("flops_per_token", flops_per_token),
    ):
        if value is not None:
            require_positive(name, value)
    usable = require_finite_result(
        group_gpus * usable_fraction * mem_bytes, "group_gpus, mem_bytes", (group_gpus, mem_bytes)
    )
    if static_bytes > usable:
        raise WeightsDoNotFitError(static_bytes, group_gpus, usable)
    # k L = dynamic bytes: pass L = 1 so the sympy form takes the per-instance bytes directly.
    capacity = _floor(
        _capacity(group_gpus, usable_fraction, mem_bytes, static_bytes, dynamic_bytes, 1),
        "group_gpus, mem_bytes, dynamic_bytes",
        (group_gpus, mem_bytes, dynamic_bytes),
    )
    if capacity < 1:
        raise NoRoomForKVError(usable - static_bytes, dynamic_bytes, group_gpus)
    bw_limit = compute_limit = None
    if tokens_per_s is not None:
        require_positive("tokens_per_s", tokens_per_s)
        if bandwidth is None:
            raise InvalidValueError(
                "bandwidth", bandwidth, "the GPU's bandwidth [bytes/s] when tokens_per_s is given"
            )
        require_positive("bandwidth", bandwidth)
        step = (
            dynamic_bytes
            if kv_step_bytes is None
            else require_positive("kv_step_bytes", kv_step_bytes)
        )
        max_speed = group_gpus * bandwidth / static_bytes if static_bytes else math.inf
        bw_limit = _floor(
            _bandwidth(group_gpus, bandwidth, tokens_per_s, static_bytes, step, 0),
            "group_gpus, bandwidth, tokens_per_s, kv_step_bytes",
            (group_gpus, bandwidth, tokens_per_s, step),
        )
        if bw_limit < 1:
            raise SpeedUnreachableError(tokens_per_s, max_speed, group_gpus)
        if peak_flops is not None and flops_per_token is not None:
            require_positive("peak_flops", peak_flops)
            require_positive("flops_per_token", flops_per_token)
            # N = flops_per_token / 2 and a = 0: the sympy form with all FLOPs in one term.
            compute_limit = _floor(
                _compute(group_gpus, peak_flops, tokens_per_s, flops_per_token / 2, 0, 0),
                "group_gpus, peak_flops, tokens_per_s, flops_per_token",
                (group_gpus, peak_flops, tokens_per_s, flops_per_token),
            )
            if compute_limit < 1:
                raise SpeedUnreachableError(
                    tokens_per_s, group_gpus * peak_flops / flops_per_token, group_gpus
                )
    return GroupLimits(group_gpus, capacity, bw_limit, compute_limit)


def _resolve(
    model: str | ModelSpec, accelerator: str | Accelerator
) -> tuple[ModelSpec, Accelerator]:
    return _spec(model), _acc(accelerator)


def _spec(model: object) -> ModelSpec:
    if isinstance(model, str):
        require_name("model", model, models.NAMES + models.DESIGN_NAMES, kind="model")
        return models.get(model)
    return require_instance("model", model, ModelSpec, "a catalog model name or a ModelSpec")


def _acc(accelerator: object) -> Accelerator:
    if isinstance(accelerator, str):
        require_name("accelerator", accelerator, hardware.NAMES, kind="accelerator")
        return hardware.get(accelerator)
    return require_instance(
        "accelerator", accelerator, Accelerator, "a catalog accelerator name or an Accelerator"
    )


def _compute_dtype(acc: Accelerator, weight_dtype: str, compute_dtype: str | None) -> str:
    if compute_dtype is not None:
        return require_dtype("compute_dtype", compute_dtype, acc.dtypes, where=acc.key)
    return weight_dtype if weight_dtype in acc.flops else "bf16"  # e.g. int4 weights run in bf16


def serving_limits(
    model: str | ModelSpec,
    accelerator: str | Accelerator,
    context_tokens: int,
    *,
    group_gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str | None = None,
    tokens_per_s: float | None = None,
    compute_dtype: str | None = None,
    usable_fraction: float = 1.0,
) -> GroupLimits:
    """Instances of ``model`` one group of ``accelerator`` holds at ``context_tokens``.

    KV dtype defaults to the weight dtype. With ``tokens_per_s`` it also applies chapter 1's
    decode roofline: weights read once per step, each instance's KV (cached + 1 new token),
    and 2 N + a (L + 1) FLOPs per instance (``roofline.forward_step``'s accounting).
    ``group_gpus`` [GPUs]; ``weight_dtype``, ``kv_dtype``, ``compute_dtype``; ``context_tokens`` [tokens]; ``tokens_per_s`` [tokens/s]; ``usable_fraction`` [fraction]; limits in [instances].
    """
    spec, acc = _resolve(model, accelerator)
    require_dtype("weight_dtype", weight_dtype, DTYPES)
    if kv_dtype is not None:
        require_dtype("kv_dtype", kv_dtype, DTYPES)
    kv_dtype = kv_dtype or weight_dtype
    require_positive("context_tokens", context_tokens)
    context_tokens = require_count("context_tokens", context_tokens)
    group_gpus = _require_int("group_gpus", group_gpus)
    _require_fraction("usable_fraction", usable_fraction)
    if tokens_per_s is not None:
        require_positive("tokens_per_s", tokens_per_s)
    cached = spec.cached_tokens(context_tokens)
    per_token = spec.kv_bytes_per_token(kv_dtype)
    peak = acc.peak_flops(_compute_dtype(acc, weight_dtype, compute_dtype))
    flops = 2 * roofline.matmul_params(spec) + roofline.attention_flops_per_position(spec) * (
        cached + 1
    )
    return group_limits(
        spec.weight_bytes(weight_dtype),
        spec.kv_cache_bytes(context_tokens, kv_dtype),
        group_gpus=group_gpus,
        mem_bytes=acc.mem_bytes,
        usable_fraction=usable_fraction,
        tokens_per_s=tokens_per_s,
        bandwidth=acc.mem_bandwidth,
        kv_step_bytes=per_token * (cached + 1),
        peak_flops=peak,
        flops_per_token=flops,
    )


def min_group_gpus(
    model: str | ModelSpec,
    accelerator: str | Accelerator,
    context_tokens: int,
    *,
    weight_dtype: str = "bf16",
    kv_dtype: str | None = None,
    tokens_per_s: float | None = None,
    usable_fraction: float = 1.0,
    max_group: int = 1024,
) -> int:
    """Smallest power-of-two group (1, 2, 4, ...) that runs at least one instance.

    ``model``: catalog name or ModelSpec; ``accelerator``: catalog name or Accelerator; ``context_tokens`` [tokens] per instance; ``weight_dtype``, ``kv_dtype`` (default: the weight dtype); ``tokens_per_s`` [tokens/s] per instance; ``usable_fraction`` [fraction] of memory. ``max_group`` [GPUs]: the search's cap. Returns [GPUs].
    """
    _resolve(model, accelerator)
    max_group = require_count("max_group", max_group)
    group = 1
    while group <= max_group:
        try:
            serving_limits(
                model,
                accelerator,
                context_tokens,
                group_gpus=group,
                weight_dtype=weight_dtype,
                kv_dtype=kv_dtype,
                tokens_per_s=tokens_per_s,
                usable_fraction=usable_fraction,
            )
            return group
        except InfeasibleServingError:
            group *= 2
    raise InfeasibleServingError(f"no group of up to {max_group} GPUs runs one instance")


# ---- numbers: fleets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fleet:
    n_instances: int
    limits: GroupLimits

    @property
    def groups(self) -> int:
        """Model-parallel groups the fleet needs [groups]."""
        return -(-self.n_instances // self.limits.instances)

    @property
    def gpus(self) -> int:
        """GPUs the fleet needs [GPUs]."""
        return self.groups * self.limits.group_gpus

    @property
    def binding(self) -> str:
        """Which constraint sets the group's instances (see ``GroupLimits.binding``)."""
        return self.limits.binding


def fleet_size(
    model: str | ModelSpec,
    accelerator: str | Accelerator,
    n_instances: int,
    context_tokens: int,
    tokens_per_s: float,
    *,
    group_gpus: int = 8,
    weight_dtype: str = "bf16",
    kv_dtype: str | None = None,
    compute_dtype: str | None = None,
    usable_fraction: float = 1.0,
) -> Fleet:
    """GPUs for ``n_instances`` concurrent instances at ``tokens_per_s`` each (FLEET_GPUS).

    ``model``: catalog name or ModelSpec; ``accelerator``: catalog name or Accelerator; ``context_tokens`` [tokens] per instance; ``group_gpus`` [GPUs]; ``weight_dtype``, ``kv_dtype`` (default: the weight dtype), ``compute_dtype``; ``tokens_per_s`` [tokens/s] per instance; ``usable_fraction`` [fraction] of memory. Returns a ``Fleet`` ([groups], [GPUs]).
    """
    _require_int("n_instances", n_instances)
    require_positive("tokens_per_s", tokens_per_s)
    limits = serving_limits(
        model,
        accelerator,
        context_tokens,
        group_gpus=group_gpus,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        tokens_per_s=tokens_per_s,
        compute_dtype=compute_dtype,
        usable_fraction=usable_fraction,
    )
    return Fleet(n_instances, limits)


def cluster_instances(
    model: str | ModelSpec,
    accelerator: str | Accelerator,
    cluster_gpus: int,
    context_tokens: int,
    *,
    group_gpus: int = 8,
    weight_dtype: str = "bf16",
    kv_dtype: str | None = None,
    tokens_per_s: float | None = None,
    usable_fraction: float = 1.0,
) -> int:
    """Concurrent instances a cluster of ``cluster_gpus`` holds, split into groups of ``group_gpus``.

    Returns [instances]. ``model``: catalog name or ModelSpec; ``accelerator``: catalog name or Accelerator; ``context_tokens`` [tokens] per instance; ``group_gpus`` [GPUs]; ``weight_dtype``, ``kv_dtype`` (default: the weight dtype), ``compute_dtype``; ``tokens_per_s`` [tokens/s] per instance; ``usable_fraction`` [fraction] of memory.
    """
    cluster_gpus = _require_int("cluster_gpus", cluster_gpus)
    group_gpus = _require_int("group_gpus", group_gpus)
    limits = serving_limits(
        model,
        accelerator,
        context_tokens,
        group_gpus=group_gpus,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        tokens_per_s=tokens_per_s,
        usable_fraction=usable_fraction,
    )
    return (cluster_gpus // group_gpus) * limits.instances


def throughput_only_instances(
    cluster_gpus: float, gpu_tokens_per_s: float, instance_tokens_per_s: float
) -> float:
    """The source's count: cluster throughput over each instance's speed (memory ignored).

    ``cluster_gpus`` [GPUs], ``gpu_tokens_per_s`` [tokens/s per GPU], ``instance_tokens_per_s`` [tokens/s]; returns [instances].
    """
    for name, v in (
        ("cluster_gpus", cluster_gpus),
        ("gpu_tokens_per_s", gpu_tokens_per_s),
        ("instance_tokens_per_s", instance_tokens_per_s),
    ):
        require_positive(name, v)
    require_count("cluster_gpus", cluster_gpus)
    return require_finite_result(
        cluster_gpus * gpu_tokens_per_s / instance_tokens_per_s,
        "cluster_gpus, gpu_tokens_per_s",
        (cluster_gpus, gpu_tokens_per_s),
    )


# ---- dynamic share and the source's ratios -------------------------------------------------------
def dynamic_share(static_bytes: float, dynamic_bytes: float, instances: float = 1) -> float:
    """KV share [fraction] of the memory used by ``instances`` instances (``dynamic_bytes`` [bytes] each) beside one copy of ``static_bytes`` [bytes]."""
    require_positive("static_bytes", static_bytes, allow_zero=True)
    require_positive("dynamic_bytes", dynamic_bytes)
    require_positive("instances", instances)
    try:
        share = _share(instances, static_bytes, dynamic_bytes, 1)
    except (OverflowError, ZeroDivisionError):
        share = math.nan
    return require_finite_result(share, "dynamic_bytes, instances", (dynamic_bytes, instances))


def context_for_share(
    model: str | ModelSpec, share: float, *, weight_dtype: str = "bf16", kv_dtype: str | None = None
) -> float:
    """Context (tokens) at which one instance's KV is ``share`` of weights + KV (no window cap).

    ``model``: catalog name or ModelSpec; ``share`` [fraction]; ``weight_dtype``, ``kv_dtype``; returns [tokens].
    """
    spec = _spec(model)
    require_number("share", share)
    if not 0 < share < 1:
        raise InvalidValueError("share", share, "in (0, 1)")
    require_dtype("weight_dtype", weight_dtype, DTYPES)
    if kv_dtype is not None:
        require_dtype("kv_dtype", kv_dtype, DTYPES)
    return _context_for_share(
        share, spec.weight_bytes(weight_dtype), spec.kv_bytes_per_token(kv_dtype or weight_dtype)
    )


def ratio_from_share(share: float) -> float:
    """Dynamic ratio KV / weights [unitless] of one instance whose KV is ``share`` [fraction] of weights + KV."""
    require_number("share", share)
    if not 0 < share < 1:
        raise InvalidValueError("share", share, "in (0, 1)")
    return share / (1 - share)


@dataclass(frozen=True)
class RatioFleet:
    """Lower bound on a fleet when each instance's KV is ``dynamic_ratio`` x the weight bytes."""

    n_instances: float
    params: float
    dynamic_ratio: float
    weight_dtype: str
    accelerator: str
    tokens_per_s: float
    static_bytes: float
    dynamic_bytes: float  # per instance
    capacity_gpus: float  # N D / (u M): KV alone, weights amortized over huge groups
    bandwidth_gpus: float  # N s D / W
    min_group_gpus: int  # GPUs one weight copy needs (capacity and speed)

    @property
    def gpus(self) -> float:
        """GPUs the fleet needs [GPUs]: the larger of capacity and bandwidth."""
        return max(self.capacity_gpus, self.bandwidth_gpus)

    @property
    def binding(self) -> str:
        """'bandwidth' or 'capacity': which sets the GPU count."""
        return "bandwidth" if self.bandwidth_gpus > self.capacity_gpus else "capacity"


def ratio_fleet(
    n_instances: float,
    params: float,
    dynamic_ratio: float,
    *,
    weight_dtype: str = "bf16",
    accelerator: str = "h100-sxm",
    tokens_per_s: float = 40.0,
    usable_fraction: float = 1.0,
) -> RatioFleet:
    """RATIO_FLEET_GPUS_LIMIT: the fleet in the limit of groups so large the weights vanish.

    ``dynamic_ratio`` is read as per-instance KV bytes / weight bytes (the chapter discusses
    the other readings). The bound ignores weight copies; ``min_group_gpus`` says how large a
    group must be to hold one copy and read it ``tokens_per_s`` times a second.
    ``n_instances`` [instances], ``params`` [params] in ``weight_dtype``, ``dynamic_ratio`` [unitless], ``accelerator``: catalog name, ``tokens_per_s`` [tokens/s], ``usable_fraction`` [fraction]; the fleet in [GPUs].
    """
    for name, v in (
        ("n_instances", n_instances),
        ("params", params),
        ("dynamic_ratio", dynamic_ratio),
        ("tokens_per_s", tokens_per_s),
    ):
        require_positive(name, v)
    _require_fraction("usable_fraction", usable_fraction)
    require_dtype("weight_dtype", weight_dtype, DTYPES)
    acc = _acc(accelerator)
    static = params * float(dtype_bytes(weight_dtype))
    dyn = dynamic_ratio * static
    cap = n_instances * dyn / (usable_fraction * acc.mem_bytes)
    bw = n_instances * tokens_per_s * dyn / acc.mem_bandwidth
    require_finite_result(
        max(static, dyn, cap, bw),
        "n_instances, params, dynamic_ratio, tokens_per_s",
        (n_instances, params, dynamic_ratio, tokens_per_s),
    )
    total = _ratio_fleet(
        n_instances,
        dynamic_ratio,
        static,
        usable_fraction,
        acc.mem_bytes,
        tokens_per_s,
        acc.mem_bandwidth,
    )
    assert math.isclose(total, max(cap, bw), rel_tol=1e-12)  # the sympy limit is this max
    min_group = max(
        math.ceil(static / (usable_fraction * acc.mem_bytes)),
        math.ceil(tokens_per_s * static / acc.mem_bandwidth),
    )
    return RatioFleet(
        n_instances,
        params,
        dynamic_ratio,
        weight_dtype,
        accelerator,
        tokens_per_s,
        static,
        dyn,
        cap,
        bw,
        min_group,
    )


def crossover_speed(accelerator: str | Accelerator, usable_fraction: float = 1.0) -> float:
    """Speed per instance [tokens/s] above which bandwidth binds a KV-dominated fleet on ``accelerator``: W / (u M), u = ``usable_fraction``."""
    acc = _acc(accelerator)
    _require_fraction("usable_fraction", usable_fraction)
    return _crossover(acc.mem_bandwidth, usable_fraction, acc.mem_bytes)


def kv_only_gpus(
    n_instances: float,
    dynamic_bytes: float,
    accelerator: str | Accelerator = "h100-sxm",
    usable_fraction: float = 1.0,
) -> float:
    """GPUs whose whole memory holds the KV of ``n_instances`` (the '1000 x 1 TB' arithmetic).

    ``dynamic_bytes`` [bytes] per instance; ``accelerator``: catalog name or Accelerator; ``usable_fraction`` [fraction]; returns [GPUs].
    """
    acc = _acc(accelerator)
    require_positive("n_instances", n_instances)
    require_positive("dynamic_bytes", dynamic_bytes)
    _require_fraction("usable_fraction", usable_fraction)
    return require_finite_result(
        n_instances * _kv_gpus(dynamic_bytes, 1, usable_fraction, acc.mem_bytes),
        "n_instances, dynamic_bytes",
        (n_instances, dynamic_bytes),
    )


# ---- tables for the chapter -------------------------------------------------------------------------
def _beyond(context_tokens: int, spec: ModelSpec) -> bool:
    """Whether ``context_tokens`` [tokens] exceeds the config's window (False where none is stated)."""
    return spec.max_context is not None and context_tokens > spec.max_context


@dataclass(frozen=True)
class InstanceRow:
    model: str
    accelerator: str
    context_tokens: int
    group_gpus: int
    instances_per_gpu: float | None  # None: infeasible (reason says why)
    beyond_max_context: bool  # context longer than the model's config allows
    reason: str = ""
    weight_dtype: str = "bf16"  # weights and KV


RELEASED_QUANT_DTYPES = {"fp8": "fp8"}  # HF quantization_config.quant_method -> catalog dtype


def released_weight_dtype(name: str) -> str:
    """The dtype a catalog model's weights are released (and so served) in [dtype name].

    Read from its config.json: a ``quantization_config`` with ``quant_method: fp8`` (DeepSeek-V3's
    released checkpoint) means fp8; otherwise the weights are bf16.
    """
    import json

    from .sources import DATA_DIR

    require_name("name", name, models.NAMES + models.DESIGN_NAMES, kind="model")
    config = json.loads((DATA_DIR / "models" / f"{name}.json").read_text(encoding="utf-8"))
    method = str((config.get("quantization_config") or {}).get("quant_method", ""))
    return RELEASED_QUANT_DTYPES.get(method, "bf16")


def instances_table(
    model_names: tuple[str, ...],
    accelerators: tuple[str, ...],
    contexts: tuple[int, ...],
    *,
    group_gpus: int = 8,
    dtype: str | None = None,
) -> list[InstanceRow]:
    """Most concurrent instances per GPU for every model x accelerator x context.

    Weights and KV in ``dtype``; with None (the default) each model in the dtype its weights are
    released in (``released_weight_dtype``: DeepSeek-V3 in fp8, the others bf16).
    ``model_names`` and ``accelerators``: catalog names; ``contexts`` [tokens]; ``group_gpus`` [GPUs]; rows give [instances per GPU].
    """
    model_names = _require_names("model_names", model_names, models.NAMES + models.DESIGN_NAMES,
                                 "model")  # fmt: skip
    accelerators = _require_names("accelerators", accelerators, hardware.NAMES, "accelerator")
    if not isinstance(contexts, tuple | list) or not contexts:
        raise InvalidTypeError("contexts", contexts, "a non-empty tuple of context lengths")
    for ctx in contexts:
        require_count("contexts", ctx)
    group_gpus = _require_int("group_gpus", group_gpus)
    if dtype is not None:
        require_dtype("dtype", dtype, DTYPES)
    rows = []
    for name in model_names:
        spec = models.get(name)
        dt = dtype or released_weight_dtype(name)
        for acc in accelerators:
            for ctx in contexts:
                try:
                    per_gpu = serving_limits(
                        spec, acc, ctx, group_gpus=group_gpus, weight_dtype=dt
                    ).instances_per_gpu
                    reason = ""
                except InfeasibleServingError as err:
                    per_gpu, reason = None, type(err).__name__
                rows.append(
                    InstanceRow(name, acc, ctx, group_gpus, per_gpu, _beyond(ctx, spec), reason, dt)
                )
    return rows


def max_throughput_per_gpu(
    model: str | ModelSpec,
    accelerator: str | Accelerator,
    context_tokens: int,
    *,
    group_gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str | None = None,
    compute_dtype: str | None = None,
    usable_fraction: float = 1.0,
) -> float:
    """Output tokens/s per GPU with memory full of instances at ``context_tokens`` (no speed target).

    Chapter 1's decode roofline at the capacity batch: an upper bound on an offline benchmark.
    Returns [tokens/s per GPU]. ``model``: catalog name or ModelSpec; ``accelerator``: catalog name or Accelerator; ``context_tokens`` [tokens] per instance; ``group_gpus`` [GPUs]; ``weight_dtype``, ``kv_dtype`` (default: the weight dtype), ``compute_dtype``; ``usable_fraction`` [fraction] of memory.
    """
    spec, acc = _resolve(model, accelerator)
    require_dtype("weight_dtype", weight_dtype, DTYPES)
    if kv_dtype is not None:
        require_dtype("kv_dtype", kv_dtype, DTYPES)
    kv_dtype = kv_dtype or weight_dtype
    limits = serving_limits(
        spec,
        acc,
        context_tokens,
        group_gpus=group_gpus,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        usable_fraction=usable_fraction,
    )
    step = roofline.forward_step(spec, limits.capacity, 1, context_tokens, weight_dtype, kv_dtype)
    peak = acc.peak_flops(_compute_dtype(acc, weight_dtype, compute_dtype))
    step_s = roofline.roofline_time_s(
        step.flops, step.bytes, group_gpus * peak, group_gpus * acc.mem_bandwidth
    )
    return require_finite_result(
        limits.capacity / step_s / group_gpus, "context_tokens, group_gpus",
        (context_tokens, group_gpus),
    )  # fmt: skip

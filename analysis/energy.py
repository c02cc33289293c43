"""Energy per generated token, top-down: board power times the step's time, shared by the batch.

One consistent model, and only one. A decode step of ``B`` sequences reads the weights once and
each sequence's KV cache, and does chapter 1's FLOPs (``roofline.FORWARD_BYTES`` and
``roofline.FORWARD_FLOPS`` with one new token); it lasts the roofline time of that work
(``roofline.ROOFLINE_TIME``), and the board draws ``P_board`` for all of it. Per token:

    E_token = P_board x max(FLOPs / F, bytes / W) / B            [J]

``P_board`` is the board's TDP unless given: everything the board burns (HBM, datapath, static
power) is in it, counted once. (An earlier version added HBM pJ/bit on top of a J/FLOP that was
itself TDP / peak, which counted memory power twice.) The roofline time is a lower bound on the
real step and TDP an upper bound on the power, so the measured J/token sit beside the model
(``measured_points``) rather than being fitted to it.

Where the energy goes: the step's energy is charged to memory and arithmetic in proportion to
the time each would take alone, ``memory_share = t_mem / (t_mem + t_flop)``. With the weights
alone it falls to one half exactly at chapter 1's critical batch ``F b_w / (2 W)``: in the
top-down model the energy crossover and the time crossover are the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import hardware, models, physics, roofline
from .errors import (
    InvalidTypeError,
    InvalidValueError,
    require_count,
    require_dtype,
    require_fraction,
    require_instance,
    require_name,
    require_number,
    require_positive,
)
from .sources import Sourced
from .units import DTYPES, dtype_bytes

B, T, L, N, P, k, a = (
    roofline.B,
    roofline.T,
    roofline.L,
    roofline.N,
    roofline.P,
    roofline.k,
    roofline.a,
)
b_w, F, W = roofline.b_w, roofline.F, roofline.W
P_board = physics.P_board

# ---- the laws -------------------------------------------------------------------------------------
TOKEN_BYTES = sp.expand(roofline.FORWARD_BYTES.subs(T, 1) / B)  # P/B + k (L + 1)
TOKEN_FLOPS = sp.expand(roofline.FORWARD_FLOPS.subs(T, 1) / B)  # 2N + a (L + 1)
MEMORY_TIME = B * TOKEN_BYTES / W  # one step's HBM traffic at full bandwidth [s]
COMPUTE_TIME = B * TOKEN_FLOPS / F  # one step's FLOPs at the dense peak [s]
STEP_TIME = roofline.ROOFLINE_TIME.xreplace(
    {roofline.N_flop: B * TOKEN_FLOPS, roofline.N_byte: B * TOKEN_BYTES}
)
TOKEN_ENERGY = P_board * STEP_TIME / B  # [J per generated token]
MEMORY_SHARE = MEMORY_TIME / (MEMORY_TIME + COMPUTE_TIME)  # share of the energy charged to bytes
# Batch where bytes and FLOPs take equal time with the weights alone (k = 0, a = 0, P = N b_w):
ENERGY_CROSSOVER_BATCH = sp.solve(
    sp.Eq(MEMORY_SHARE.subs({k: 0, a: 0, P: N * b_w}), sp.Rational(1, 2)), B
)[0]
# ... which is chapter 1's critical batch of the weights: the ratio is exactly 1.
CROSSOVER_RATIO = sp.simplify(ENERGY_CROSSOVER_BATCH / roofline.CRITICAL_BATCH_WEIGHTS)

_token = sp.lambdify(
    (N, P, k, a, B, L, F, W, P_board),
    (TOKEN_ENERGY, MEMORY_TIME, COMPUTE_TIME, TOKEN_BYTES, TOKEN_FLOPS, MEMORY_SHARE),
    "numpy",
)
_crossover = sp.lambdify((F, W, b_w), ENERGY_CROSSOVER_BATCH, "math")

LAWS = {
    "token_energy": TOKEN_ENERGY, "memory_share": MEMORY_SHARE,
    "energy_crossover_batch": ENERGY_CROSSOVER_BATCH,
}  # fmt: skip


@dataclass(frozen=True)
class TokenEnergy:
    """One decode step's energy per generated token; arrays where ``batch`` was an array."""

    model: str
    accelerator: str
    dtype: str
    batch: np.ndarray | float  # [sequences]
    context: int  # [tokens]
    power_w: float  # board power charged for the whole step [W]
    bytes_per_token: np.ndarray | float  # [bytes]
    flops_per_token: np.ndarray | float  # [FLOP]
    memory_s: np.ndarray | float  # the step's HBM time [s]
    compute_s: np.ndarray | float  # the step's FLOP time at peak [s]
    total_j: np.ndarray | float  # [J per token]
    memory_share: np.ndarray | float  # share of total_j charged to moving bytes

    @property
    def step_s(self):
        """The step's roofline time [s]."""
        return np.maximum(self.memory_s, self.compute_s)

    @property
    def memory_j(self):
        """The memory share of the energy per token [J]."""
        return self.total_j * self.memory_share

    @property
    def compute_j(self):
        """The compute share of the energy per token [J]."""
        return self.total_j * (1 - self.memory_share)


def energy_per_token(
    model: str | models.ModelSpec,
    accelerator: str,
    batch,
    context: int,
    dtype: str = "bf16",
    kv_dtype: str | None = None,
    power_w: float | None = None,
) -> TokenEnergy:
    """Top-down J per generated token: ``power_w`` (default TDP) x roofline step time / batch.

    Parameters
    ----------
    model : catalog name or ModelSpec
    accelerator : catalog name
    batch : sequences per step [sequences], >= 1; may be an array
    context : cached tokens per sequence [tokens]
    dtype : weight and compute precision; kv_dtype : KV precision (default ``dtype``)
    power_w : board power for the whole step [W] (default the chip's TDP)

    Weights are charged at ``roofline.matmul_params`` FLOPs and ``weight_bytes`` per step (for MoE
    every expert: exact only at batches that touch all of them).
    """
    if isinstance(model, str):
        require_name("model", model, models.NAMES + models.DESIGN_NAMES, kind="model")
        spec = models.get(model)
    else:
        spec = require_instance("model", model, models.ModelSpec, "a model name or a ModelSpec")
    require_name("accelerator", accelerator, hardware.NAMES, kind="accelerator")
    acc = hardware.get(accelerator)
    require_dtype("dtype", dtype, DTYPES)
    if kv_dtype is not None:
        require_dtype("kv_dtype", kv_dtype, DTYPES)
    kv_dtype = kv_dtype or dtype
    if np.ndim(batch) == 0 and not isinstance(batch, np.ndarray):
        require_number("batch", batch)  # a real batch >= 1: bisection takes fractional ones
        batch_arr = np.asarray(float(batch))
    else:
        batch_arr = np.asarray(batch)
        if batch_arr.dtype.kind not in "iuf" or batch_arr.size == 0:
            raise InvalidTypeError("batch", batch, "a number or a non-empty array of batches")
        batch_arr = batch_arr.astype(float)
    if not np.all(np.isfinite(batch_arr)) or np.any(batch_arr < 1):
        raise InvalidValueError("batch", batch, "finite batches >= 1 [sequences]")
    context = require_count("context", context, minimum=0)
    power = physics._spec(acc, "tdp_w") if power_w is None else require_positive("power_w", power_w)
    cached = spec.cached_tokens(context)
    n, p = roofline.matmul_params(spec), spec.weight_bytes(dtype)
    kb, af = spec.kv_bytes_per_token(kv_dtype), roofline.attention_flops_per_position(spec)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            total, t_mem, t_flop, nbytes, flops, share = _token(
                n, p, kb, af, batch_arr, cached, acc.peak_flops(dtype), acc.mem_bandwidth, power
            )
    except OverflowError:
        total = np.inf
        t_mem = t_flop = nbytes = flops = share = 0.0
    if not all(np.all(np.isfinite(x)) for x in (total, t_mem, t_flop, nbytes, flops, share)):
        raise InvalidValueError(
            "batch, context", (batch, context), "small enough that the step is a finite float"
        )

    def out(x):
        x = np.broadcast_to(np.asarray(x, float), np.shape(batch_arr))
        return float(x) if np.ndim(x) == 0 else np.array(x, float)

    return TokenEnergy(
        spec.name,
        accelerator,
        dtype,
        out(batch_arr),
        int(context),
        float(power),
        out(nbytes),
        out(flops),
        out(t_mem),
        out(t_flop),
        out(total),
        out(share),
    )


def energy_crossover_batch(accelerator: str, dtype: str = "bf16") -> float:
    """Batch where the weights' bytes and FLOPs take equal time: F b_w / (2 W) [sequences].

    ``accelerator``: catalog name; ``dtype``: the weight and compute dtype.
    """
    require_name("accelerator", accelerator, hardware.NAMES, kind="accelerator")
    require_dtype("dtype", dtype, DTYPES)
    acc = hardware.get(accelerator)
    return float(_crossover(acc.peak_flops(dtype), acc.mem_bandwidth, float(dtype_bytes(dtype))))


def batch_for_memory_share(
    model: str | models.ModelSpec,
    accelerator: str,
    context: int,
    share: float = 0.5,
    dtype: str = "bf16",
    max_batch: float = 1e6,
) -> float | None:
    """Smallest batch at which the memory share of a token's energy falls to ``share`` [sequences].

    ``model`` on ``accelerator`` at ``context`` [tokens] per sequence in ``dtype``; ``share``
    [fraction]; the search stops at ``max_batch`` [sequences]. None when it never does (the KV
    per sequence keeps memory above ``share`` at any batch).
    """
    require_number("max_batch", max_batch)
    if max_batch < 1:
        raise InvalidValueError("max_batch", max_batch, ">= 1 [sequences]")
    require_fraction("share", share, open_low=True, open_high=True)
    lo, hi = 1.0, float(max_batch)
    f = lambda b: float(energy_per_token(model, accelerator, b, context, dtype).memory_share)  # noqa: E731
    if f(lo) <= share:
        return lo
    if f(hi) > share:
        return None
    for _ in range(200):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if f(mid) > share else (lo, mid)
        if hi / lo < 1 + 1e-9:
            break
    return hi


# ---- published measurements -------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasuredPoint:
    key: str
    model: str  # catalog model whose architecture matches
    accelerator: str
    batch: int
    j_per_token: float
    source: str
    note: str


MEASURED = (
    ("mlenergy_v3_llama31_8b_h100_b64_j_per_token", "llama-3-8b", "h100-sxm", 64),
    ("mlenergy_v2_llama31_8b_h100_b64_j_per_token", "llama-3-8b", "h100-sxm", 64),
)


def measured_points() -> list[MeasuredPoint]:
    """Published measured GPU energy per output token, with the catalog model they match."""
    out = []
    for key, model, acc, batch in MEASURED:
        q = physics.constant(key)
        out.append(MeasuredPoint(key, model, acc, batch, q.value, q.source, q.note or ""))
    return out


@dataclass(frozen=True)
class Validation:
    point: MeasuredPoint
    context: int  # assumed context of the prediction [tokens]
    predicted_j: float  # top-down at TDP [J per token]
    ratio: float  # measured / predicted


def validate(context: int = 1024, dtype: str = "bf16") -> list[Validation]:
    """Each published measurement beside the top-down prediction for the same model, GPU, batch.

    ``context`` [tokens] and ``dtype`` are the prediction's; energies in the rows are [J].
    """
    out = []
    for pt in measured_points():
        pred = float(energy_per_token(pt.model, pt.accelerator, pt.batch, context, dtype).total_j)
        out.append(Validation(pt, context, pred, pt.j_per_token / pred))
    return out


def measured_record(key: str) -> Sourced:
    """The physics constant ``key`` as a ``Sourced`` record (value in its catalog unit)."""
    require_name("key", key, [k for k, *_ in MEASURED], kind="measured record")
    q = physics.constant(key)
    return Sourced(q.value, q.source, q.note, q.estimate)

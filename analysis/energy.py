"""Energy per generated token, bottom-up: bytes moved times J/bit plus FLOPs times J/FLOP.

One decode step of a batch of ``B`` sequences reads the weights once and each sequence's KV
cache (chapter 1's ``roofline.FORWARD_BYTES`` with one new token), and does chapter 1's FLOPs.
Per generated token:

* memory energy  = bytes per token x 8 x e_bit  (DRAM access energy per bit, sourced)
* compute energy = FLOPs per token x e_flop     (board TDP / dense peak: an upper estimate,
  since it charges each FLOP with everything the board burns at its peak)

A second, independent estimate charges the board's TDP for the roofline time of the step (an
upper bound for a well-overlapped kernel at full power). Measured J/token sit beside both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import hardware, models, physics, roofline
from .errors import require_positive
from .sources import Sourced
from .units import dtype_bytes

BITS_PER_BYTE = 8
e_bit, e_flop = sp.symbols("e_bit e_flop", positive=True)  # J per DRAM bit, J per FLOP
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
MEMORY_ENERGY = BITS_PER_BYTE * e_bit * TOKEN_BYTES
COMPUTE_ENERGY = e_flop * TOKEN_FLOPS
TOKEN_ENERGY = MEMORY_ENERGY + COMPUTE_ENERGY
# Batch where reading weights costs as much energy as multiplying by them (no KV, no attention).
ENERGY_CROSSOVER_BATCH = sp.solve(sp.Eq(BITS_PER_BYTE * e_bit * P / B, 2 * N * e_flop), B)[0]
# With P = N b_w and e_flop = P_board / F, its ratio to chapter 1's time crossover F b_w / (2W)
# is the power that streaming HBM at full bandwidth costs, over the board's power.
CROSSOVER_RATIO = sp.simplify(
    ENERGY_CROSSOVER_BATCH.subs({P: N * b_w, e_flop: P_board / F}) / roofline.CRITICAL_BATCH_WEIGHTS
)
# TDP for the roofline time of one step, shared by B tokens.
TIME_ENERGY = P_board * roofline.ROOFLINE_TIME / B

_token = sp.lambdify(
    (N, P, k, a, B, L, e_bit, e_flop),
    (MEMORY_ENERGY, COMPUTE_ENERGY, TOKEN_BYTES, TOKEN_FLOPS),
    "numpy",
)
_crossover = sp.lambdify((e_bit, e_flop, P, N), ENERGY_CROSSOVER_BATCH, "math")

DEFAULT_BIT_ENERGY = "hbm2_pj_per_bit"


def bit_energy_j(key: str = DEFAULT_BIT_ENERGY) -> float:
    """J per bit moved from DRAM, from physics.yaml entry ``key`` (pJ/bit converted)."""
    q = physics.constant(key)
    if not q.unit.endswith("/bit"):
        raise ValueError(f"{key} is in {q.unit}; a DRAM access energy per bit is needed")
    return q.joules


@dataclass(frozen=True)
class TokenEnergy:
    model: str
    accelerator: str
    dtype: str
    batch: np.ndarray | float
    context: int
    bytes_per_token: np.ndarray | float
    flops_per_token: np.ndarray | float
    memory_j: np.ndarray | float
    compute_j: np.ndarray | float
    time_bound_j: np.ndarray | float  # TDP x roofline time / B

    @property
    def total_j(self):
        return self.memory_j + self.compute_j

    @property
    def memory_share(self):
        return self.memory_j / self.total_j


def energy_per_token(
    model: str | models.ModelSpec,
    accelerator: str,
    batch,
    context: int,
    dtype: str = "bf16",
    kv_dtype: str | None = None,
    bit_energy: str = DEFAULT_BIT_ENERGY,
) -> TokenEnergy:
    """Bottom-up J per generated token of a dense model; ``batch`` may be an array.

    Weights and arithmetic in ``dtype``, KV cache in ``kv_dtype`` (default ``dtype``). MoE models
    are charged for all their weights every step (exact only at batches that touch every expert).
    """
    spec = models.get(model) if isinstance(model, str) else model
    acc = hardware.get(accelerator)
    kv_dtype = kv_dtype or dtype
    batch_arr = np.asarray(batch, float)
    if not np.all(np.isfinite(batch_arr)) or np.any(batch_arr < 1):
        raise ValueError(f"batch must be >= 1 sequences, got {batch!r}")
    require_positive("context", context, allow_zero=True)
    e_f = physics.accelerator_j_per_flop(accelerator, dtype)
    e_b = bit_energy_j(bit_energy)
    cached = spec.cached_tokens(context)
    n, p = roofline.matmul_params(spec), spec.weight_bytes(dtype)
    kb, af = spec.kv_bytes_per_token(kv_dtype), roofline.attention_flops_per_position(spec)
    mem, comp, nbytes, flops = _token(n, p, kb, af, batch_arr, cached, e_b, e_f)
    flops = np.broadcast_to(flops, np.shape(nbytes)).astype(float)
    t_step = np.maximum(
        flops * batch_arr / acc.peak_flops(dtype), nbytes * batch_arr / acc.mem_bandwidth
    )
    time_bound = physics._spec(acc, "tdp_w") * t_step / batch_arr
    mem = np.asarray(mem, float)
    comp = np.broadcast_to(comp, mem.shape).astype(float)

    def out(x):
        return float(x) if np.ndim(x) == 0 else np.asarray(x, float)

    return TokenEnergy(
        spec.name,
        accelerator,
        dtype,
        out(batch_arr),
        int(context),
        out(nbytes),
        out(flops),
        out(mem),
        out(comp),
        out(time_bound),
    )


def energy_crossover_batch(
    accelerator: str, dtype: str = "bf16", bit_energy: str = DEFAULT_BIT_ENERGY
) -> float:
    """Batch where weight-read energy equals matmul energy: 8 e_bit b_w / (2 e_flop)."""
    e_f = physics.accelerator_j_per_flop(accelerator, dtype)
    b = float(dtype_bytes(dtype))
    return _crossover(bit_energy_j(bit_energy), e_f, b, 1.0)  # P / N = bytes per weight


def hbm_streaming_power_w(accelerator: str, bit_energy: str = DEFAULT_BIT_ENERGY) -> float:
    """Power of DRAM access energy at the full memory bandwidth: 8 e_bit W."""
    acc = hardware.get(accelerator)
    return BITS_PER_BYTE * bit_energy_j(bit_energy) * acc.mem_bandwidth


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


def measured_record(key: str) -> Sourced:
    q = physics.constant(key)
    return Sourced(q.value, q.source, q.note, q.estimate)

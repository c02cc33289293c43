"""Energy per generated token, top-down: board power times the step's time, shared by the batch.

One consistent model, and only one. A decode step of ``B`` sequences on ``n`` GPUs lasts the
serving model's step time ``t_step`` (``serving.step_time``: chapter 1's bytes and FLOPs at
sourced achievable fractions of the peaks, plus the group's all-reduces and the per-step
overheads), and every board draws ``P_board`` for all of it. Per token:

    E_token = n x P_board x t_step / B                             [J]

``P_board`` is the board's TDP unless given: everything the board burns (HBM, datapath, static
power) is in it, counted once. (An earlier version added HBM pJ/bit on top of a J/FLOP that was
itself TDP / peak, which counted memory power twice.) ``bound=True`` puts the roofline lower
bound of the same step in place of ``t_step`` (``max(FLOPs / F, bytes / W)``, chapter 1's
``roofline.ROOFLINE_TIME``): the floor at TDP. Published measured J/token sit beside the model
(``validate``), never fitted to it.

Where the energy goes: the step's energy is charged to memory and arithmetic in proportion to
the time each would take alone, ``memory_share = t_mem / (t_mem + t_flop)``. With the weights
alone and at the peaks it falls to one half exactly at chapter 1's critical batch
``F b_w / (2 W)``: in the top-down model the energy crossover and the time crossover are the same
batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import yaml

from . import hardware, memory, models, physics, roofline, serving
from .errors import (
    InvalidTypeError,
    InvalidValueError,
    require_bool,
    require_count,
    require_dtype,
    require_fraction,
    require_instance,
    require_name,
    require_number,
    require_positive,
)
from .sources import DATA_DIR, Sourced, check_source
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
t_step = sp.symbols("t_step", positive=True)
n_g = memory.g  # GPUs in one serving group: the same symbol as chapter 2's
TOKEN_ENERGY_STEP = n_g * P_board * t_step / B  # [J per generated token], t_step from serving
TOKEN_ENERGY = TOKEN_ENERGY_STEP.subs({t_step: STEP_TIME, n_g: 1})  # one GPU at its roofline bound
MEMORY_SHARE = MEMORY_TIME / (MEMORY_TIME + COMPUTE_TIME)  # share of the energy charged to bytes
# Batch where bytes and FLOPs take equal time with the weights alone (k = 0, a = 0, P = N b_w):
ENERGY_CROSSOVER_BATCH = sp.solve(
    sp.Eq(MEMORY_SHARE.subs({k: 0, a: 0, P: N * b_w}), sp.Rational(1, 2)), B
)[0]
# ... which is chapter 1's critical batch of the weights: the ratio is exactly 1.
CROSSOVER_RATIO = sp.simplify(ENERGY_CROSSOVER_BATCH / roofline.CRITICAL_BATCH_WEIGHTS)

_crossover = sp.lambdify((F, W, b_w), ENERGY_CROSSOVER_BATCH, "math")
_token_step = sp.lambdify((n_g, P_board, t_step, B), TOKEN_ENERGY_STEP, "math")

LAWS = {
    "token_energy": TOKEN_ENERGY, "token_energy_step": TOKEN_ENERGY_STEP,
    "memory_share": MEMORY_SHARE,
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
    power_w: float  # board power charged for the whole step [W], per GPU
    n_gpus: int  # GPUs in the group [GPUs]
    bytes_per_token: np.ndarray | float  # [bytes]
    flops_per_token: np.ndarray | float  # [FLOP]
    memory_s: np.ndarray | float  # the step's HBM time [s]
    compute_s: np.ndarray | float  # the step's FLOP time [s]
    step_s: np.ndarray | float  # the whole step [s]: serving.step_time (or its roofline bound)
    total_j: np.ndarray | float  # [J per token]
    memory_share: np.ndarray | float  # share of total_j charged to moving bytes

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
    *,
    n_gpus: int = 1,
    bound: bool = False,
) -> TokenEnergy:
    """Top-down J per generated token: ``n_gpus`` x ``power_w`` (default TDP) x step time / batch.

    Parameters
    ----------
    model : catalog name or ModelSpec
    accelerator : catalog name
    batch : sequences per step [sequences], >= 1; may be an array
    context : cached tokens per sequence [tokens]
    dtype : weight and compute precision; kv_dtype : KV precision (default ``dtype``)
    power_w : board power of each GPU for the whole step [W] (default the chip's TDP)
    n_gpus : GPUs in the tensor-parallel group [GPUs]
    bound : True for the roofline lower bound of the step (any chip); False (default) for the
        serving model's step time (chips with sourced serving efficiencies)

    The step is ``serving.step_time``: weights at the MoE read law, KV per sequence, FLOPs at the
    weights' and the KV's dtype rates.
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
    n_gpus = require_count("n_gpus", n_gpus)
    bound = require_bool("bound", bound)
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
    setup = serving.setup(spec, acc, n_gpus, dtype, kv_dtype, compute_dtype=dtype, bound=bound)
    flat = batch_arr.reshape(-1)
    cols: dict[str, list[float]] = {k: [] for k in ("j", "mem", "flop", "step", "by", "fl", "sh")}
    for b in flat:
        too_big = InvalidValueError(
            "batch, context", (batch, context), "small enough that the step is a finite float"
        )
        try:
            st = serving.step_time(setup, float(b), 1, context, bound=bound)
            j = _token_step(n_gpus, power, st.total_s, float(b))
        except OverflowError:
            raise too_big from None
        if not all(math.isfinite(x) for x in (j, st.bytes, st.flops, st.total_s)):
            raise too_big
        cols["j"].append(j)
        cols["mem"].append(st.memory_s)
        cols["flop"].append(st.compute_s)
        cols["step"].append(st.total_s)
        cols["by"].append(st.bytes / b)
        cols["fl"].append(st.flops / b)
        cols["sh"].append(st.memory_s / (st.memory_s + st.compute_s))

    def out(key):
        x = np.array(cols[key], float).reshape(np.shape(batch_arr))
        return float(x) if np.ndim(x) == 0 else x

    return TokenEnergy(
        spec.name,
        accelerator,
        dtype,
        float(batch_arr) if np.ndim(batch_arr) == 0 else np.array(batch_arr, float),
        int(context),
        float(power),
        n_gpus,
        out("by"),
        out("fl"),
        out("mem"),
        out("flop"),
        out("step"),
        out("j"),
        out("sh"),
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
    *,
    bound: bool = False,
) -> float | None:
    """Smallest batch at which the memory share of a token's energy falls to ``share`` [sequences].

    ``model`` on ``accelerator`` at ``context`` [tokens] per sequence in ``dtype``; ``share``
    [fraction]; the search stops at ``max_batch`` [sequences]. None when it never does (the KV
    per sequence keeps memory above ``share`` at any batch). ``bound``: as in
    ``energy_per_token`` (True: the shares of the roofline bound, where the crossover of the
    weights alone is chapter 1's critical batch exactly).
    """
    require_number("max_batch", max_batch)
    if max_batch < 1:
        raise InvalidValueError("max_batch", max_batch, ">= 1 [sequences]")
    require_fraction("share", share, open_low=True, open_high=True)
    lo, hi = 1.0, float(max_batch)
    bound = require_bool("bound", bound)

    def f(b: float) -> float:
        return float(
            energy_per_token(model, accelerator, b, context, dtype, bound=bound).memory_share
        )

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
    batch: int  # [sequences]: the server's maximum (max_num_seqs)
    j_per_token: float  # measured GPU energy per output token [J]
    source: str
    note: str
    n_gpus: int = 1  # [GPUs]
    weight_dtype: str = "bf16"
    power_w: float | None = None  # measured mean power of all the group's GPUs [W]
    output_tokens_per_s: float | None = None  # measured output throughput of the group [tokens/s]


# Quoted in the post's text (physics.yaml); the digitized series is in energy_results.yaml.
MEASURED = (
    ("mlenergy_v3_llama31_8b_h100_b64_j_per_token", "llama-3-8b", "h100-sxm", 64),
    ("mlenergy_v2_llama31_8b_h100_b64_j_per_token", "llama-3-8b", "h100-sxm", 64),
)


def _results() -> dict:
    raw = yaml.safe_load((DATA_DIR / "energy_results.yaml").read_text(encoding="utf-8"))
    check_source(raw["source"], "energy_results.yaml:source")
    check_source(raw["workload"]["output_tokens"]["source"], "energy_results.yaml:workload")
    return raw


def measured_points() -> list[MeasuredPoint]:
    """Published measured GPU energy per output token, with the catalog model they match.

    The two numbers quoted in the ML.ENERGY post's text, then the V3 series digitized from its
    figures (``energy_results.yaml``), each with its measured power [W] and throughput [tokens/s].
    """
    out = []
    for key, model, acc, batch in MEASURED:
        q = physics.constant(key)
        out.append(MeasuredPoint(key, model, acc, batch, q.value, q.source, q.note or ""))
    raw = _results()
    for row in raw["points"]:
        model, acc, g, wd, batch, j, power, tok_s = row
        key = f"mlenergy-v3-{model}-{acc}-x{g}-{wd}-b{batch}"
        note = f"{raw['engine']}, {raw['date']}; digitized from the post's figures"
        out.append(
            MeasuredPoint(
                key,
                model,
                acc,
                int(batch),
                float(j),
                raw["source"],
                note,
                int(g),
                wd,
                float(power),
                float(tok_s),
            )  # fmt: skip
        )
    return out


def digitized_points() -> list[MeasuredPoint]:
    """The ML.ENERGY V3 series (the points that carry power and throughput), by model and batch."""
    return [p for p in measured_points() if p.power_w is not None]


def mlenergy_output_tokens() -> Sourced:
    """Mean output length [tokens] of the ML.ENERGY V3 chat task, with its source."""
    r = _results()["workload"]["output_tokens"]
    return Sourced(int(r["value"]), r["source"], r.get("note"))


@dataclass(frozen=True)
class Validation:
    point: MeasuredPoint
    context: int  # mean context of the prediction [tokens]
    batch: int  # batch of the prediction [sequences]: the point's, or what fits if fewer
    predicted_j: float  # top-down at TDP, serving step time [J per token]
    bound_j: float  # top-down at TDP, roofline bound of the step [J per token]
    predicted_tokens_per_s: float  # the group's output throughput at that batch [tokens/s]
    ratio: float  # measured / predicted

    @property
    def error(self) -> float:
        """Signed relative error of the prediction [1]: predicted / measured - 1."""
        return self.predicted_j / self.point.j_per_token - 1

    @property
    def time_ratio(self) -> float | None:
        """Measured / predicted time per token [1] (predicted / measured throughput)."""
        t = self.point.output_tokens_per_s
        return None if t is None else self.predicted_tokens_per_s / t

    @property
    def power_ratio(self) -> float | None:
        """Measured power / the TDP the model charges [1]; ratio = power_ratio x time_ratio."""
        if self.point.power_w is None:
            return None
        tdp = physics._spec(hardware.get(self.point.accelerator), "tdp_w")
        return self.point.power_w / (tdp * self.point.n_gpus)


def validate(
    context: int = 1024, dtype: str | None = None, input_tokens: int | None = None
) -> list[Validation]:
    """Each published measurement beside the top-down prediction for the same model, GPU, batch.

    With ``input_tokens`` [tokens] the context is the serving model's mean I + O/2 with the
    ML.ENERGY chat task's mean output O (``mlenergy_output_tokens``), and the batch is capped at
    what fits at I + O (``serving.max_batch``: a server cannot run more sequences than its KV
    holds, whatever max_num_seqs says); otherwise every point is predicted at ``context``
    [tokens] and its own batch. ``dtype``: override each point's weight dtype. Energies in [J].
    """
    context = require_count("context", context, minimum=0)
    if dtype is not None:
        require_dtype("dtype", dtype, DTYPES)
    if input_tokens is not None:
        input_tokens = require_count("input_tokens", input_tokens, minimum=0)
    out_tok = mlenergy_output_tokens().value
    out = []
    for pt in measured_points():
        wd = dtype or pt.weight_dtype
        kv = "bf16" if wd in ("fp8", "fp4") else wd  # vLLM's default KV cache stays 16-bit
        s = serving.setup(pt.model, pt.accelerator, pt.n_gpus, wd, kv, compute_dtype=wd)
        b, ctx = pt.batch, context
        if input_tokens is not None:
            ctx = int(round(input_tokens + out_tok / 2))
            b = min(b, serving.max_batch(s, input_tokens, out_tok))
        e = energy_per_token(pt.model, pt.accelerator, b, ctx, wd, kv, n_gpus=pt.n_gpus)
        lo = energy_per_token(
            pt.model, pt.accelerator, b, ctx, wd, kv, n_gpus=pt.n_gpus, bound=True
        )
        pred = float(e.total_j)
        out.append(
            Validation(
                pt, ctx, b, pred, float(lo.total_j), b / float(e.step_s), pt.j_per_token / pred
            )  # fmt: skip
        )
    return out


def measured_record(key: str) -> Sourced:
    """The physics constant ``key`` as a ``Sourced`` record (value in its catalog unit)."""
    require_name("key", key, [k for k, *_ in MEASURED], kind="measured record")
    q = physics.constant(key)
    return Sourced(q.value, q.source, q.note, q.estimate)

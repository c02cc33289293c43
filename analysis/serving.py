"""Serving: time to first token, time per output token and the throughput-interactivity frontier.

``roofline.forward_step`` gives one step's FLOPs and HBM bytes; this module turns them into time
on a group of ``n`` GPUs: achievable fractions of the peaks (sourced constants, never fitted to
the validation points), tensor-parallel all-reduces, expert-parallel all-to-alls, and a fixed
per-step overhead. Continuous batching with chunked prefill, speculative decoding, the memory
capacity (chapter 2's model, ``memory.group_limits``) and a disaggregated prefill/decode split
build on that one step time.

Symbols: ``n`` GPUs in the group, ``F`` / ``W`` one GPU's dense FLOP/s and bytes/s, ``eta_F`` /
``eta_W`` the achievable fractions, ``beta`` the scale-up link bytes/s per direction per GPU,
``ell`` the per-hop latency [s], ``A`` bytes one GPU contributes to a collective, ``t_0`` the
fixed per-step overhead [s]. Every law is one sympy expression here; numbers, figures and tests
use its ``lambdify`` form.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from functools import cache

import sympy as sp
import yaml

from . import hardware, memory, models, roofline
from .errors import (
    CatalogError,
    InvalidTypeError,
    InvalidValueError,
    UnknownDTypeError,
    UnknownNameError,
    require_bool,
    require_count,
    require_finite_result,
    require_instance,
    require_name,
    require_number,
    require_positive,
)
from .hardware import Accelerator
from .models import ModelSpec
from .prices import RentalRow
from .prices import rental_rows as _rental_rows  # the one place prices enter this module
from .sources import DATA_DIR, Sourced, check_source, facts
from .units import DTYPES, dtype_bytes

ACT_DTYPE = "bf16"  # activations moved by the collectives

# ---- laws ---------------------------------------------------------------------------------------
n, beta, ell, A = sp.symbols("n beta ell A", positive=True)
F, W = roofline.F, roofline.W
eta_W, t_0 = sp.symbols("eta_W t_0", positive=True)
N_flop, N_byte, T_comm = sp.symbols("N_flop N_byte T_comm", nonnegative=True)

# Ring all-reduce of A bytes over n GPUs: reduce-scatter + all-gather move 2(n-1)/n A per GPU.
ALLREDUCE_TIME = 2 * (n - 1) / n * A / beta + n * ell
# All-to-all (expert-parallel dispatch or combine): (n-1)/n of each GPU's A bytes leave it.
ALLTOALL_TIME = (n - 1) / n * A / beta + n * ell
# One engine step on the group: a roofline per operator class, plus collectives and fixed costs.
# C_k [s] is class k's FLOPs at one GPU's achievable rate for its dtype (the dense peak times the
# measured GEMM fraction: matmuls in the weights' dtype, attention in the KV cache's), N_k its HBM
# bytes, read at the measured fraction eta_W of the datasheet bandwidth W. kappa_F and kappa_W
# are the shares of those microbenchmark rates a whole serving step keeps (calibrated). The
# classes run one after another (their kernels do not overlap), so the step is the sum of their
# rooflines, not the roofline of their sums: at a large batch the weight matmuls are
# compute-bound while attention still streams its KV. n_L layers cost t_L each besides.
C_peak, n_L, t_L = sp.symbols("C n_L t_L", nonnegative=True)
kappa_F, kappa_W = sp.symbols("kappa_F kappa_W", positive=True)
k_op, K_op = sp.symbols("k K", integer=True, positive=True)
C_k, N_k = sp.IndexedBase("C", nonnegative=True), sp.IndexedBase("N", nonnegative=True)
OPERATOR_TIME = sp.Max(C_peak / (n * kappa_F), N_byte / (n * kappa_W * eta_W * W))
STEP_TIME = (
    sp.Sum(OPERATOR_TIME.xreplace({C_peak: C_k[k_op], N_byte: N_k[k_op]}), (k_op, 1, K_op))
    + T_comm + t_0 + n_L * t_L
)  # fmt: skip
# The roofline bound (chapters 1, 5 and 6): C at the dense peak, every byte and FLOP overlapped,
# the datasheet bandwidth, no communication or overheads.
STEP_BOUND = sp.Max(C_peak / n, N_byte / (n * W))
OPERATOR_CLASSES = (
    "weights",
    "experts",
    "attention",
)  # k = 1..K: dense matmuls, routed experts, attention

# Speculative decoding: expected tokens per verify step for acceptance alpha, draft length gamma.
alpha, gamma = sp.symbols("alpha gamma", positive=True)
SPEC_TOKENS_PER_STEP = (1 - alpha ** (gamma + 1)) / (1 - alpha)

# Continuous batching in steady state: B requests decode one token per step each; a request
# ends every O/B steps on average, so B I / O prompt tokens enter per step (chunked prefill).
B, I_tok, O_tok = sp.symbols("B I O", positive=True)
PREFILL_TOKENS_PER_STEP = B * I_tok / O_tok
MEAN_CONTEXT = I_tok + O_tok / 2  # the decode context grows from I to I + O
# Requests of varied lengths: a request holds its slot for O steps, so the sequences in flight
# are the long ones (each weighted by O). With c_O the coefficient of variation of the output
# lengths and rho = E[I O] / (E[I] E[O]), the mean context of an in-flight sequence,
# (E[I O] + E[O^2] / 2) / E[O], and the mean room it holds, (E[I O] + E[O^2]) / E[O], are these;
# at c_O = 0 and rho = 1 (every request alike) they are I + O/2 and I + O.
c_O, rho_IO = sp.symbols("c_O rho", nonnegative=True)
IN_FLIGHT_CONTEXT = rho_IO * I_tok + O_tok * (1 + c_O**2) / 2
IN_FLIGHT_RESERVED = rho_IO * I_tok + O_tok * (1 + c_O**2)

# Disaggregated serving: prefill pool at R_p requests/s per GPU, decode pool at R_d; the share of
# GPUs in the prefill pool that makes both pools carry the same request rate.
R_p, R_d = sp.symbols("R_p R_d", positive=True)
PREFILL_GPU_SHARE = sp.solve(sp.Eq(sp.Symbol("x") * R_p, (1 - sp.Symbol("x")) * R_d), "x")[0]

# Dollars per million output tokens for a group of n GPUs rented at p $/GPU-hour.
p_hour, tok_s = sp.symbols("p tok_s", positive=True)
USD_PER_MILLION_TOKENS = p_hour * n / 3600 / tok_s * 10**6

_allreduce = sp.lambdify((n, A, beta, ell), ALLREDUCE_TIME, "math")
_alltoall = sp.lambdify((n, A, beta, ell), ALLTOALL_TIME, "math")
_operator = sp.lambdify((C_peak, N_byte, n, kappa_F, kappa_W, eta_W, W), OPERATOR_TIME, "math")
_bound = sp.lambdify((C_peak, N_byte, n, W), STEP_BOUND, "math")
_spec_tokens = sp.lambdify((alpha, gamma), SPEC_TOKENS_PER_STEP, "math")
_prefill_tokens = sp.lambdify((B, I_tok, O_tok), PREFILL_TOKENS_PER_STEP, "math")
_mean_context = sp.lambdify((I_tok, O_tok), MEAN_CONTEXT, "math")
_in_flight_context = sp.lambdify((I_tok, O_tok, c_O, rho_IO), IN_FLIGHT_CONTEXT, "math")
_in_flight_reserved = sp.lambdify((I_tok, O_tok, c_O, rho_IO), IN_FLIGHT_RESERVED, "math")
_prefill_share = sp.lambdify((R_p, R_d), PREFILL_GPU_SHARE, "math")
_usd_per_mtok = sp.lambdify((p_hour, n, tok_s), USD_PER_MILLION_TOKENS, "math")

LAWS = {
    "allreduce": ALLREDUCE_TIME,
    "alltoall": ALLTOALL_TIME,
    "step": STEP_TIME,
    "operator": OPERATOR_TIME,
    "bound": STEP_BOUND,
    "spec_tokens": SPEC_TOKENS_PER_STEP,
    "prefill_tokens": PREFILL_TOKENS_PER_STEP,
    "mean_context": MEAN_CONTEXT,
    "in_flight_context": IN_FLIGHT_CONTEXT,
    "in_flight_reserved": IN_FLIGHT_RESERVED,
    "prefill_share": PREFILL_GPU_SHARE,
    "usd_per_mtok": USD_PER_MILLION_TOKENS,
}

BINDINGS = ("memory", "compute", "communication", "capacity")
METRICS = ("output_tokens_per_s", "tokens_per_s_per_user", "batch_latency_s")
# MLPerf Inference's interactivity limits (Llama 2 70B Interactive: TTFT 450 ms, TPOT 40 ms).
MLPERF_INTERACTIVE_TPOT_S = facts()["mlperf_interactive_tpot_s"]
MLPERF_INTERACTIVE_TTFT_S = facts()["mlperf_interactive_ttft_s"]


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr``, one of this module's expressions, for display in the book."""
    return sp.latex(require_instance("expr", expr, sp.Basic, "a sympy expression"))


# ---- the laws as functions --------------------------------------------------------------------
def _require_gpus(n_gpus: int) -> int:
    return require_count("n_gpus", n_gpus)


def allreduce_time_s(n_gpus: int, nbytes: float, link_bandwidth: float, hop_latency_s: float):
    """Ring all-reduce [s] of ``nbytes`` [bytes] per GPU over ``n_gpus``; 0 on one GPU.

    ``link_bandwidth`` [bytes/s] per direction per GPU, ``hop_latency_s`` [s] per ring hop.
    """
    _require_gpus(n_gpus)
    require_positive("nbytes", nbytes, allow_zero=True)
    require_positive("link_bandwidth", link_bandwidth)
    require_positive("hop_latency_s", hop_latency_s, allow_zero=True)
    return _collective(_allreduce, n_gpus, nbytes, link_bandwidth, hop_latency_s)


def _collective(law, n_gpus, nbytes, link_bandwidth, hop_latency_s) -> float:
    if n_gpus == 1:
        return 0.0
    return require_finite_result(
        law(n_gpus, nbytes, link_bandwidth, hop_latency_s),
        "n_gpus, nbytes, link_bandwidth, hop_latency_s",
        (n_gpus, nbytes, link_bandwidth, hop_latency_s),
    )


def alltoall_time_s(n_gpus: int, nbytes: float, link_bandwidth: float, hop_latency_s: float):
    """All-to-all [s] over ``n_gpus`` where each holds ``nbytes`` [bytes] to scatter over ``link_bandwidth`` [bytes/s] at ``hop_latency_s`` [s]; 0 on one GPU."""
    _require_gpus(n_gpus)
    require_positive("nbytes", nbytes, allow_zero=True)
    require_positive("link_bandwidth", link_bandwidth)
    require_positive("hop_latency_s", hop_latency_s, allow_zero=True)
    return _collective(_alltoall, n_gpus, nbytes, link_bandwidth, hop_latency_s)


def _require_acceptance(acceptance: float) -> None:
    if not 0 <= require_number("acceptance", acceptance) < 1:
        raise InvalidValueError("acceptance", acceptance, "in [0, 1)")


def spec_tokens_per_step(acceptance: float, draft_tokens: int) -> float:
    """Expected tokens [tokens] one verify step yields: (1 - a^(g+1)) / (1 - a).

    ``acceptance`` in [0, 1) (probability each draft token is accepted), ``draft_tokens`` >= 0.
    """
    draft_tokens = require_count("draft_tokens", draft_tokens, minimum=0)
    _require_acceptance(acceptance)
    if acceptance == 0:
        return 1.0
    return require_finite_result(
        _spec_tokens(acceptance, draft_tokens), "draft_tokens", draft_tokens
    )


def prefill_tokens_per_step(batch: float, input_tokens: int, output_tokens: float) -> float:
    """Prompt tokens [tokens] entering each steady-state step: B I / O (``batch``, ``input_tokens``, ``output_tokens``)."""
    require_positive("batch", batch)
    input_tokens = require_count("input_tokens", input_tokens, minimum=0)
    require_positive("output_tokens", output_tokens)
    if not input_tokens:
        return 0.0
    return require_finite_result(
        _prefill_tokens(batch, input_tokens, output_tokens),
        "batch, input_tokens, output_tokens",
        (batch, input_tokens, output_tokens),
    )


def prefill_gpu_share(prefill_rate: float, decode_rate: float) -> float:
    """Share of GPUs [1] in the prefill pool that balances a disaggregated deployment (``prefill_rate``, ``decode_rate``).

    Rates [requests/s per GPU] of each pool running alone: R_d / (R_p + R_d).
    """
    require_positive("prefill_rate", prefill_rate)
    require_positive("decode_rate", decode_rate)
    return _prefill_share(prefill_rate, decode_rate)


def usd_per_million_tokens(usd_per_gpu_hour: float, n_gpus: int, tokens_per_s: float) -> float:
    """Cost [USD per 1e6 tokens] of output at ``tokens_per_s`` [tokens/s] on ``n_gpus`` rented at ``usd_per_gpu_hour``."""
    require_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    n_gpus = _require_gpus(n_gpus)
    require_positive("tokens_per_s", tokens_per_s)
    return require_finite_result(
        _usd_per_mtok(usd_per_gpu_hour, n_gpus, tokens_per_s),
        "usd_per_gpu_hour, n_gpus, tokens_per_s",
        (usd_per_gpu_hour, n_gpus, tokens_per_s),
    )


# ---- constants ---------------------------------------------------------------------------------
@cache
def _data() -> dict:
    return yaml.safe_load((DATA_DIR / "serving_results.yaml").read_text(encoding="utf-8"))


def _sourced(raw: dict, where: str) -> Sourced:
    rec = Sourced.from_yaml(raw, where)
    check_source(rec.source, where)
    return rec


@cache
def constants() -> dict[str, Sourced]:
    """The model's sourced constants: per-step overhead, hop latency, usable memory fraction."""
    c = _data()["constants"]
    keys = ("step_overhead_s", "hop_latency_s", "usable_memory_fraction")
    return {k: _sourced(c[k], f"serving_results.yaml:constants.{k}") for k in keys}


# A dtype without its own measured GEMM fraction runs at the fraction of the one that shares its
# tensor-core rate (fp16 with bf16, int8 with fp8).
SAME_RATE = {"fp16": "bf16", "int8": "fp8"}


def efficiency(accelerator: str) -> dict[str, Sourced]:
    """Achievable fractions [1] on ``accelerator``: ``bandwidth`` (of the datasheet HBM bandwidth)
    and ``flops_<dtype>`` (of that dtype's dense peak, one entry per measured dtype)."""
    table = _data()["constants"]["efficiency"]
    kind = "accelerator with serving efficiencies"
    return _efficiency(require_name("accelerator", accelerator, list(table), kind=kind))


@cache
def _efficiency(accelerator: str) -> dict[str, Sourced]:
    raw = _data()["constants"]["efficiency"][accelerator]
    where = f"serving_results.yaml:constants.efficiency.{accelerator}"
    if not isinstance(raw.get("flops"), dict) or not raw["flops"]:
        raise CatalogError(f"{where}.flops: a mapping of dtype -> {{value, source}} is required")
    out = {"bandwidth": _sourced(raw["bandwidth"], f"{where}.bandwidth")}
    for dt, rec in raw["flops"].items():
        if dt not in DTYPES:
            raise CatalogError(f"{where}.flops.{dt}: not a dtype; allowed: {list(DTYPES)}")
        out[f"flops_{dt}"] = _sourced(rec, f"{where}.flops.{dt}")
    for k, rec in out.items():
        if not 0 < float(rec.value) <= 1:
            raise CatalogError(f"{where}.{k}: a fraction in (0, 1] is required, got {rec.value!r}")
    return out


def flops_efficiency(accelerator: str, dtype: str) -> float:
    """Achievable fraction [1] of ``accelerator``'s dense ``dtype`` peak in a large GEMM (measured;
    fp16 and int8 share bf16's and fp8's entries). UnknownDTypeError if none was measured."""
    eff = efficiency(accelerator)
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise UnknownDTypeError(dtype, list(DTYPES))
    key = f"flops_{SAME_RATE.get(dtype, dtype)}"
    if key not in eff:
        measured = [k.removeprefix("flops_") for k in eff if k.startswith("flops_")]
        raise UnknownDTypeError(dtype, measured, where=f"{accelerator} (measured GEMM fractions)")
    return float(eff[key].value)


def mtp_accepted_tokens(layers: int) -> float:
    """Published mean tokens per step [tokens] of DeepSeek-R1 with ``layers`` MTP draft layers."""
    table = _data()["constants"]["speculative"]["mtp_accepted_tokens"]["value"]
    layers = require_count("layers", layers)
    if layers not in table:
        raise UnknownNameError("MTP depth", layers, [str(k) for k in table], argument="layers")
    return float(table[layers])


# ---- one step -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepTime:
    """One engine step on the group, split into its parts [s].

    ``compute_s`` and ``memory_s`` are the step's FLOP time and HBM time, each as if it ran
    alone; ``roofline_s`` is what the operators take together (``STEP_TIME``'s sum over operator
    classes of each one's roofline, or ``STEP_BOUND``'s overlapped max for a bound).
    ``compute_bound_s`` is the part of ``roofline_s`` spent in compute-bound operators.
    """

    compute_s: float
    memory_s: float
    communication_s: float
    overhead_s: float
    flops: float
    bytes: float
    roofline_s: float
    compute_bound_s: float
    # (C_k [s], N_k [bytes]) per operator class, in OPERATOR_CLASSES' order (the law's inputs)
    parts: tuple[tuple[float, float], ...] = ()

    @property
    def total_s(self) -> float:
        """Step time [s]: the operators' rooflines plus communication and overhead."""
        return self.roofline_s + self.communication_s + self.overhead_s

    @property
    def binding(self) -> str:
        """The largest part of the step: "memory", "compute" or "communication"."""
        parts = {
            "memory": self.roofline_s - self.compute_bound_s,
            "compute": self.compute_bound_s,
            "communication": self.communication_s,
        }
        return max(parts, key=parts.__getitem__)


@dataclass(frozen=True)
class Setup:
    """A model on a group: everything the step time needs besides the batch."""

    spec: ModelSpec
    acc: Accelerator
    n_gpus: int
    weight_dtype: str
    kv_dtype: str
    attention_dp: bool
    matmul_dtype: str | None = None  # None: the matmuls run in the weights' dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype the matmuls run in."""
        return self.matmul_dtype or self.weight_dtype

    @property
    def kv_replication(self) -> float:
        """Copies of each sequence's KV in the group [copies]: TP beyond the KV heads duplicates them."""
        if self.attention_dp:
            return 1.0
        kv_heads = 1 if self.spec.is_mla else self.spec.n_kv_heads
        return max(1.0, self.n_gpus / kv_heads)

    @property
    def weight_copies_bytes(self) -> float:
        """Bytes the group must hold for the weights [bytes] (attention-DP replicates the non-experts)."""
        total = float(self.spec.weight_bytes(self.weight_dtype))
        if not self.attention_dp:
            return total
        routed = float(_routed_bytes(self.spec, self.weight_dtype))
        return routed + (total - routed) * self.n_gpus


def _routed_bytes(spec: ModelSpec, dtype: str) -> float:
    return float(roofline.routed_expert_params(spec) * dtype_bytes(dtype))


def _setup(
    model, hardware_name, n_gpus, weight_dtype, kv_dtype, attention_dp=False,
    compute_dtype=None, sourced_efficiency=True,
) -> Setup:  # fmt: skip
    spec = models.get(model) if isinstance(model, str) else model
    if not isinstance(spec, ModelSpec):
        raise InvalidTypeError("model", model, "a catalog model name or a ModelSpec")
    acc = _accelerator(hardware_name)
    _require_gpus(n_gpus)
    dts = [("weight_dtype", weight_dtype), ("kv_dtype", kv_dtype)]
    if compute_dtype is not None:
        dts.append(("compute_dtype", compute_dtype))
    for name, dt in dts:
        if dt not in DTYPES:
            raise UnknownDTypeError(dt, list(DTYPES), where=name)
    # Only the matmuls' dtype needs the chip's arithmetic; KV (and weights under a separate
    # compute dtype) are storage, widened on load where the chip lacks the type (fp8 KV on A100).
    matmul = ("compute_dtype", compute_dtype) if compute_dtype is not None else dts[0]
    if matmul[1] not in acc.dtypes:
        raise UnknownDTypeError(matmul[1], list(acc.dtypes), where=f"{acc.key} ({matmul[0]})")
    if require_bool("attention_dp", attention_dp) and not spec.n_experts:
        raise InvalidValueError(
            "attention_dp", attention_dp, f"False for {spec.name}: it applies to MoE models only"
        )
    if sourced_efficiency:
        efficiency(acc.key)  # a chip without sourced efficiencies cannot be served here
    return Setup(spec, acc, n_gpus, weight_dtype, kv_dtype, bool(attention_dp), compute_dtype)


def setup(
    model: str | ModelSpec,
    hardware: str | Accelerator,
    n_gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    *,
    attention_dp: bool = False,
    compute_dtype: str | None = None,
    bound: bool = False,
) -> Setup:
    """A model on a group, checked, for ``step_time``: the one entry that pricing and energy use.

    ``model``: catalog name or ModelSpec; ``hardware``: catalog name or Accelerator; ``n_gpus``
    [GPUs]; ``weight_dtype``, ``kv_dtype`` and ``compute_dtype`` (the matmuls' dtype, default the
    weights'); ``attention_dp``: attention data-parallel (MoE only); ``bound``: the setup is only
    used for roofline bounds (``step_time(..., bound=True)``), so a chip without sourced serving
    efficiencies is accepted.
    """
    bound = require_bool("bound", bound)
    return _setup(
        model, hardware, n_gpus, weight_dtype, kv_dtype, attention_dp,
        compute_dtype, sourced_efficiency=not bound,
    )  # fmt: skip


def _accelerator(value: object) -> Accelerator:
    if isinstance(value, str):
        return hardware.get(require_name("hardware", value, hardware.NAMES, kind="accelerator"))
    return require_instance(
        "hardware", value, Accelerator, "a catalog accelerator name or an Accelerator"
    )


def _check_step(s, decode_seqs, new_tokens, context, prefill_tokens, eng, prompt_tokens) -> None:
    require_instance("s", s, Setup, "a serving Setup")
    require_positive("decode_seqs", decode_seqs, allow_zero=True)
    require_count("new_tokens", new_tokens)
    require_positive("context", context, allow_zero=True)
    require_positive("prefill_tokens", prefill_tokens, allow_zero=True)
    if decode_seqs == 0 and prefill_tokens == 0:
        raise InvalidValueError(
            "decode_seqs, prefill_tokens",
            (decode_seqs, prefill_tokens),
            "not both 0 (an empty step)",
        )
    _engine(eng)
    if prompt_tokens is not None:
        require_count("prompt_tokens", prompt_tokens)


def _finite_step(out: StepTime, decode_seqs, context, prefill_tokens) -> None:
    for value in (out.total_s, out.flops, out.bytes):
        require_finite_result(
            value, "decode_seqs, context, prefill_tokens", (decode_seqs, context, prefill_tokens)
        )


def _engine(eng: object) -> None:
    if eng is not None:
        require_instance("engine_constants", eng, Engine, "an Engine or None (the stored one)")


@dataclass(frozen=True)
class Engine:
    """The two engine constants calibrated on a named subset (``calibration`` in the YAML).

    ``layer_overhead_s`` [s]: fixed time per layer per step (kernel floors and launch gaps that
    no roofline term covers); ``flops_scale`` and ``bandwidth_scale`` [1]: the share of the
    microbenchmarks' efficiencies a whole serving step keeps (non-GEMM kernels, partial tiles,
    paged KV reads, scheduling).
    """

    layer_overhead_s: float = 0.0
    flops_scale: float = 1.0
    bandwidth_scale: float = 1.0


PLAIN = Engine()  # sourced constants only: nothing calibrated


def _calibration() -> dict:
    return _data()["calibration"]


def engine_families() -> tuple[str, ...]:
    """Engine families with their own calibrated constants (the YAML's ``calibration.families``)."""
    return tuple(_calibration()["families"])


DEFAULT_ENGINE = "tensorrt-llm"  # the engine the book's predictions assume (the YAML's default)


def engine(family: str | None = None) -> Engine:
    """The calibrated constants of engine ``family`` (default: the YAML's ``default``, TensorRT-LLM);
    a family without its own subset uses the one the YAML's ``stand_in`` names."""
    cal = _calibration()
    if family is None:
        family = cal["default"]
    known = [*cal["families"], *cal.get("stand_in", {})]
    family = require_name("family", family, known, kind="engine family")
    return _engine_of(cal.get("stand_in", {}).get(family, family))


@cache
def _engine_of(family: str) -> Engine:
    raw = _calibration()["families"][family]["values"]
    return Engine(
        float(raw["layer_overhead_s"]), float(raw["flops_scale"]), float(raw["bandwidth_scale"])
    )


def step_time(
    s: Setup,
    decode_seqs: float,
    new_tokens: int,
    context: float,
    prefill_tokens: float = 0.0,
    eng: Engine | None = None,
    prompt_tokens: int | None = None,
    *,
    bound: bool = False,
) -> StepTime:
    """One step: ``decode_seqs`` sequences add ``new_tokens`` each at ``context`` cached tokens,
    and ``prefill_tokens`` prompt tokens ride along. The prompt tokens belong to prompts of
    ``prompt_tokens`` tokens each (default: one prompt of ``prefill_tokens``), and each attends
    causally within its own prompt: the chunk costs ``prefill_tokens / prompt_tokens`` whole
    prompts' attention.
    ``s``: the setup (model, chip, group, dtypes); ``eng``: engine constants (default: stored).
    ``bound=True``: the roofline lower bound of the same bytes and FLOPs (the dense peaks at
    full efficiency, no communication, no overheads), the floor that chapters 1, 5 and 6 quote.
    Token counts [tokens], ``context`` [tokens]; the parts in [s].
    """
    _check_step(s, decode_seqs, new_tokens, context, prefill_tokens, eng, prompt_tokens)
    require_bool("bound", bound)
    spec, acc, g = s.spec, s.acc, s.n_gpus
    eng = engine() if eng is None else eng
    consts = constants()
    tokens = decode_seqs * new_tokens + prefill_tokens
    dense = float(spec.weight_bytes(s.weight_dtype)) - _routed_bytes(spec, s.weight_dtype)
    weights = roofline.step_weight_bytes(spec, tokens, s.weight_dtype)
    if s.attention_dp:  # each GPU reads its own full copy of the non-expert weights
        weights += dense * (g - 1)
        dense *= g
    n_mm = roofline.matmul_params(spec)
    # matmul parameters of the routed experts one token uses (k of E): the "experts" class
    n_exp = 0.0
    if spec.n_experts:
        n_exp = roofline.routed_expert_params(spec) * spec.n_experts_per_tok / spec.n_experts
    mm_flops = attn_flops = attn_bytes = 0.0
    if decode_seqs:
        fs = roofline.forward_step(
            spec, decode_seqs, new_tokens, round(context), s.weight_dtype, s.kv_dtype
        )
        w = roofline.step_weight_bytes(spec, decode_seqs * new_tokens, s.weight_dtype)
        mm = 2 * n_mm * decode_seqs * new_tokens  # FORWARD_FLOPS's matmul term
        mm_flops += mm
        attn_flops += fs.flops - mm
        attn_bytes += (fs.bytes - w) * s.kv_replication
    if prefill_tokens:
        prompt = max(1, round(prefill_tokens if prompt_tokens is None else prompt_tokens))
        scale = prefill_tokens / prompt  # whole prompts' worth of work in this step
        fp = roofline.forward_step(spec, 1, prompt, 0, s.weight_dtype, s.kv_dtype)
        w = roofline.step_weight_bytes(spec, prompt, s.weight_dtype)
        mm = 2 * n_mm * prompt
        mm_flops += mm * scale
        attn_flops += (fp.flops - mm) * scale
        attn_bytes += (fp.bytes - w) * s.kv_replication * scale
    comm = 0.0
    if g > 1 and not bound:
        link = acc.group_bandwidth_per_direction(g)
        hop = float(consts["hop_latency_s"].value)
        act = tokens * spec.d_model * float(dtype_bytes(ACT_DTYPE))
        n_moe = spec.n_moe_layers
        n_dense = spec.n_layers - n_moe
        if not s.attention_dp:  # attention output and (dense) MLP output all-reduced
            comm += n_dense * 2 * allreduce_time_s(g, act, link, hop)
            comm += n_moe * allreduce_time_s(g, act, link, hop)
        if n_moe:  # dispatch and combine of each token's top-k activations
            per_gpu = act * spec.n_experts_per_tok / g
            comm += n_moe * 2 * alltoall_time_s(g, per_gpu, link, hop)
    # attention runs in the KV dtype where the chip has it (fp8 attention on Hopper), else widened
    attn_dtype = s.kv_dtype if s.kv_dtype in acc.flops else s.compute_dtype
    mm_rate, attn_rate = acc.peak_flops(s.compute_dtype), acc.peak_flops(attn_dtype)
    if not bound:  # achievable rates: the measured GEMM fraction of each dtype's peak
        mm_rate *= flops_efficiency(acc.key, s.compute_dtype)
        attn_rate *= flops_efficiency(acc.key, attn_dtype)
    expert_flops = 2 * n_exp * tokens
    # (C_k [s at one GPU's rate], N_k [bytes]) per operator class, in OPERATOR_CLASSES' order
    ops = (
        ((mm_flops - expert_flops) / mm_rate, dense),
        (expert_flops / mm_rate, weights - dense),
        (attn_flops / attn_rate, attn_bytes),
    )
    c_s = sum(c for c, _ in ops)
    nbytes = weights + attn_bytes
    if bound:
        t0, k_f, eta_w, t_layer = 0.0, 1.0, 1.0, 0.0
        roof = _bound(c_s, nbytes, g, acc.mem_bandwidth)
        busy = roof if c_s >= nbytes / acc.mem_bandwidth else 0.0
    else:
        t0, t_layer = float(consts["step_overhead_s"].value), eng.layer_overhead_s
        k_f = eng.flops_scale
        eta_copy = float(efficiency(acc.key)["bandwidth"].value)  # the law's eta_W
        eta_w = eta_copy * eng.bandwidth_scale
        times = [
            _operator(c, b, g, k_f, eng.bandwidth_scale, eta_copy, acc.mem_bandwidth)
            for c, b in ops
        ]
        roof = sum(times)
        busy = sum(
            t for t, (c, b) in zip(times, ops, strict=True)
            if c / k_f >= b / (eta_w * acc.mem_bandwidth) and c > 0
        )  # fmt: skip
    out = StepTime(
        c_s / (g * k_f),
        nbytes / (g * eta_w * acc.mem_bandwidth),
        comm,
        t0 + spec.n_layers * t_layer,
        mm_flops + attn_flops,
        nbytes,
        roof,
        busy,
        ops,
    )
    _finite_step(out, decode_seqs, context, prefill_tokens)
    return out


# ---- capacity ----------------------------------------------------------------------------------
def max_batch(
    s: Setup, input_tokens: int, output_tokens: int, *, output_cv: float = 0.0,
    io_ratio: float = 1.0,
) -> int:  # fmt: skip
    """Largest batch [sequences] whose KV at ``input_tokens`` + ``output_tokens`` [tokens] fits beside the weights.

    Chapter 2's capacity law (``memory.group_limits``) with the usable fraction of memory the
    engine leaves to weights and KV. Each request holds room for its whole context, as an engine
    that admits only what it can finish without eviction does; KV duplicated by tensor
    parallelism counts once per copy. Lengths that vary (``output_cv``, ``io_ratio`` [1], as in
    ``in_flight_tokens``) make the in-flight requests the long ones, so each holds more room.
    """
    require_instance("s", s, Setup, "a serving Setup")
    _require_lengths(input_tokens, output_tokens)
    # I + O for requests alike (exactly: integer lengths, c_O = 0, rho = 1)
    held = round(in_flight_tokens(input_tokens, output_tokens, output_cv, io_ratio)[1])
    kv = s.spec.kv_cache_bytes(held, s.kv_dtype) * s.kv_replication
    usable = float(constants()["usable_memory_fraction"].value)
    return memory.group_limits(
        s.weight_copies_bytes,
        kv,
        group_gpus=s.n_gpus,
        mem_bytes=s.acc.mem_bytes,
        usable_fraction=usable,
    ).capacity


# ---- a prediction ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """Steady-state serving of one configuration (seconds, tokens/s)."""

    model: str
    hardware: str
    n_gpus: int
    weight_dtype: str
    kv_dtype: str
    batch: int
    input_tokens: int
    output_tokens: int
    ttft_s: float
    tpot_s: float
    tokens_per_step: float  # per sequence (1 without speculation)
    binding: str
    max_batch: int
    step: StepTime

    @property
    def output_tokens_per_s(self) -> float:
        """Output tokens of the whole group [tokens/s]."""
        return self.batch / self.tpot_s

    @property
    def output_tokens_per_s_per_gpu(self) -> float:
        """Output tokens per GPU [tokens/s per GPU]."""
        return self.output_tokens_per_s / self.n_gpus

    @property
    def output_tokens_per_s_per_user(self) -> float:
        """Output tokens one sequence sees [tokens/s per user]: 1 / TPOT."""
        return 1.0 / self.tpot_s

    def as_dict(self) -> dict:
        """The prediction as plain numbers, keys naming their units (``_s`` [s], ``_per_s`` [tokens/s])."""
        out = asdict(self)
        out.pop("step")
        out.update(
            output_tokens_per_s=self.output_tokens_per_s,
            output_tokens_per_s_per_gpu=self.output_tokens_per_s_per_gpu,
            output_tokens_per_s_per_user=self.output_tokens_per_s_per_user,
        )
        return out


def _require_spread(output_cv, io_ratio) -> None:
    if require_positive("output_cv", output_cv, allow_zero=True) > 100:
        raise InvalidValueError(
            "output_cv", output_cv, "at most 100 [1] (a coefficient of variation)"
        )
    if require_positive("io_ratio", io_ratio) > 100:
        raise InvalidValueError("io_ratio", io_ratio, "at most 100 [1] (E[I O] / (E[I] E[O]))")


def in_flight_tokens(
    input_tokens: float, output_tokens: float, output_cv: float = 0.0, io_ratio: float = 1.0
) -> tuple[float, float]:
    """(mean context, mean room held) [tokens] of an in-flight sequence in steady continuous
    batching, for requests of mean ``input_tokens`` and ``output_tokens`` whose output lengths
    vary by ``output_cv`` (coefficient of variation [1]) and with ``io_ratio`` = E[I O] / (E[I] E[O])
    [1] (``IN_FLIGHT_CONTEXT``, ``IN_FLIGHT_RESERVED``)."""
    require_positive("input_tokens", input_tokens, allow_zero=True)
    require_positive("output_tokens", output_tokens)
    _require_spread(output_cv, io_ratio)
    args = (input_tokens, output_tokens, output_cv, io_ratio)
    return (
        require_finite_result(_in_flight_context(*args), "input_tokens, output_tokens", args),
        require_finite_result(_in_flight_reserved(*args), "input_tokens, output_tokens", args),
    )


def _require_lengths(input_tokens, output_tokens) -> None:
    require_count("input_tokens", input_tokens, minimum=0)
    require_count("output_tokens", output_tokens)
    require_finite_result(
        float(input_tokens) + float(output_tokens), "input_tokens, output_tokens",
        (input_tokens, output_tokens),
    )  # fmt: skip


class BatchDoesNotFitError(memory.NoRoomForKVError):
    """A batch whose KV does not fit beside the weights (more than ``max_batch``)."""

    def __init__(self, batch: int, cap: int, context_tokens: int, n_gpus: int):
        memory.InfeasibleServingError.__init__(
            self,
            f"batch must be at most {cap}, got {batch}: the KV cache of more sequences of "
            f"{context_tokens} tokens does not fit beside the weights on {n_gpus} GPU(s) "
            "(batch=None picks the largest batch that fits)",
        )


def _check_speculation(draft_tokens, acceptance, accepted_tokens, draft_cost) -> None:
    require_count("draft_tokens", draft_tokens, minimum=0)
    if acceptance is not None:
        _require_acceptance(acceptance)
    if accepted_tokens is not None and require_number("accepted_tokens", accepted_tokens) < 1:
        raise InvalidValueError("accepted_tokens", accepted_tokens, ">= 1 [tokens per step]")
    if draft_cost is not None:
        require_positive("draft_cost", draft_cost)


def predict(
    model: str | ModelSpec,
    hardware: str | Accelerator,
    n_gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    batch: int | None = 1,
    input_tokens: int = 1024,
    output_tokens: int = 256,
    *,
    draft_tokens: int = 0,
    acceptance: float | None = None,
    accepted_tokens: float | None = None,
    draft_cost: float | None = None,
    attention_dp: bool = False,
    engine_constants: Engine | None = None,
    output_cv: float = 0.0,
    io_ratio: float = 1.0,
) -> Prediction:
    """TTFT, TPOT and throughput of ``model`` on ``n_gpus`` x ``hardware`` at ``batch``.

    ``batch=None`` is the largest batch that fits in memory (the max-throughput point). Steady
    continuous batching: each step decodes one token per sequence at the mean context I + O/2
    while B I / O prompt tokens enter as a chunk. TTFT is one step carrying the whole prompt
    beside the other B - 1 decodes. Speculation: ``draft_tokens`` (gamma) drafts per step with
    ``acceptance`` (alpha) or a published mean ``accepted_tokens`` per step; each draft costs
    ``draft_cost`` of a plain decode step (default: one layer's share, as for MTP).
    ``weight_dtype``, ``kv_dtype``: dtypes; ``batch`` [sequences]; ``input_tokens`` and ``output_tokens`` [tokens] (the means); ``attention_dp``: attention data-parallel across the group; ``engine_constants``: default the stored calibration; ``output_cv`` and ``io_ratio`` [1]: the spread of the request lengths (``in_flight_tokens``; 0 and 1: every request alike). Times in [s], rates in [tokens/s].
    """
    s = _setup(model, hardware, n_gpus, weight_dtype, kv_dtype, attention_dp)
    _require_lengths(input_tokens, output_tokens)
    _check_speculation(draft_tokens, acceptance, accepted_tokens, draft_cost)
    _engine(engine_constants)
    cap = max_batch(s, input_tokens, output_tokens, output_cv=output_cv, io_ratio=io_ratio)
    if batch is None:
        b = cap
    else:
        batch = require_count("batch", batch)
        if batch > cap:
            raise BatchDoesNotFitError(batch, cap, input_tokens + output_tokens, n_gpus)
        b = batch
    if draft_tokens:
        if accepted_tokens is not None:
            if not 1 <= accepted_tokens <= draft_tokens + 1:
                raise InvalidValueError(
                    "accepted_tokens",
                    accepted_tokens,
                    f"in [1, {draft_tokens + 1}] (draft_tokens + 1)",
                )
            per_step = float(accepted_tokens)
        elif acceptance is not None:
            per_step = spec_tokens_per_step(acceptance, draft_tokens)
        else:
            raise InvalidValueError(
                "acceptance",
                acceptance,
                "in [0, 1) (draft_tokens > 0 needs acceptance or accepted_tokens)",
            )
    else:
        per_step = 1.0
    ctx = in_flight_tokens(input_tokens, output_tokens, output_cv, io_ratio)[0]
    chunk = prefill_tokens_per_step(b, input_tokens, output_tokens / per_step)
    eng = engine_constants
    prompt = max(input_tokens, 1)
    verify = step_time(s, b, 1 + draft_tokens, ctx, chunk, eng, prompt)
    step_s = verify.total_s
    if draft_tokens:
        cost = (
            1.0 / s.spec.n_layers
            if draft_cost is None
            else require_positive("draft_cost", draft_cost)
        )
        step_s += draft_tokens * cost * step_time(s, b, 1, ctx, 0.0, eng).total_s
    tpot = step_s / per_step
    first = step_time(s, max(b - 1, 0), 1, ctx, float(max(input_tokens, 1)), eng)
    binding = verify.binding
    if batch is None and binding == "memory":
        binding = "capacity"  # more sequences would amortize the weights, but they do not fit
    name = s.spec.name if isinstance(model, ModelSpec) else model
    return Prediction(
        name, s.acc.key, n_gpus, weight_dtype, kv_dtype, b, input_tokens, output_tokens,
        first.total_s, tpot, per_step, binding, cap, verify,
    )  # fmt: skip


def static_batch_latency_s(
    model, hardware, n_gpus, weight_dtype, kv_dtype, batch, input_tokens, output_tokens,
    engine_constants: Engine | None = None,
) -> float:  # fmt: skip
    """Wall time [s] of one static batch: prefill all prompts in one step, then O - 1 decodes.

    ``model``, ``hardware``, ``n_gpus`` [GPUs], ``weight_dtype``, ``kv_dtype``, ``batch`` [sequences], ``input_tokens`` (I) and ``output_tokens`` (O) [tokens], ``engine_constants`` as in ``predict``.
    """
    s = _setup(model, hardware, n_gpus, weight_dtype, kv_dtype)
    _require_lengths(input_tokens, output_tokens)
    batch = require_count("batch", batch)
    _engine(engine_constants)
    eng = engine_constants
    prompt = max(input_tokens, 1)
    tokens = require_finite_result(float(batch) * prompt, "batch, input_tokens", (batch, prompt))
    prefill = step_time(s, 0, 1, 0, tokens, eng, prompt).total_s
    ctx = _mean_context(input_tokens, output_tokens)
    decode = step_time(s, batch, 1, ctx, 0.0, eng).total_s
    return prefill + (output_tokens - 1) * decode


# ---- throughput under a latency limit ----------------------------------------------------------
def max_throughput_within(
    model, hardware, n_gpus: int, weight_dtype: str, kv_dtype: str, input_tokens: int,
    output_tokens: int, tpot_limit_s: float, ttft_limit_s: float | None = None, *,
    engine_max_batch: int | None = None, attention_dp: bool = False,
    engine_constants: Engine | None = None, output_cv: float = 0.0, io_ratio: float = 1.0,
) -> Prediction:  # fmt: skip
    """The prediction at the largest batch whose TPOT is at most ``tpot_limit_s`` [s] (and TTFT at
    most ``ttft_limit_s`` [s], if given): the most throughput a latency limit allows, as MLPerf's
    Server and Interactive scenarios measure it.

    TPOT and TTFT grow with the batch, so the batch is found by bisection up to the largest that
    fits (or ``engine_max_batch`` [sequences], the engine's own cap). ``model``, ``hardware``,
    ``n_gpus`` [GPUs], ``weight_dtype``, ``kv_dtype``, ``input_tokens`` and ``output_tokens``
    [tokens], ``attention_dp``, ``engine_constants``, ``output_cv`` and ``io_ratio`` as in
    ``predict``. InvalidValueError if even batch 1 misses the limit.
    """
    require_positive("tpot_limit_s", tpot_limit_s)
    if ttft_limit_s is not None:
        require_positive("ttft_limit_s", ttft_limit_s)
    s = _setup(model, hardware, n_gpus, weight_dtype, kv_dtype, attention_dp)
    _require_lengths(input_tokens, output_tokens)
    cap = max_batch(s, input_tokens, output_tokens, output_cv=output_cv, io_ratio=io_ratio)
    if engine_max_batch is not None:
        cap = min(cap, require_count("engine_max_batch", engine_max_batch))
    args = (model, hardware, n_gpus, weight_dtype, kv_dtype)

    def at(b: int) -> Prediction:
        return predict(
            *args, b, input_tokens, output_tokens, attention_dp=attention_dp,
            engine_constants=engine_constants, output_cv=output_cv, io_ratio=io_ratio,
        )  # fmt: skip

    def ok(p: Prediction) -> bool:
        return p.tpot_s <= tpot_limit_s and (ttft_limit_s is None or p.ttft_s <= ttft_limit_s)

    best = at(1)
    if not ok(best):
        raise InvalidValueError(
            "tpot_limit_s, ttft_limit_s",
            (tpot_limit_s, ttft_limit_s),
            f"limits that batch 1 meets (its TPOT is {best.tpot_s:.4g} s, TTFT {best.ttft_s:.4g} s)",
        )
    lo, hi = 1, cap  # ok(lo) holds; find the largest ok batch in [lo, hi]
    if ok(top := at(hi)):
        return top
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(p := at(mid)):
            lo, best = mid, p
        else:
            hi = mid
    return best


# ---- the frontier ------------------------------------------------------------------------------
def _batches(cap: int) -> list[int]:
    out = [2**i for i in range(0, 20) if 2**i < cap]
    return [*out, cap]


def frontier(
    model,
    hardware,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    input_tokens: int = 1024,
    output_tokens: int = 256,
    n_gpus: tuple[int, ...] = (1, 2, 4, 8),
) -> list[Prediction]:
    """Pareto-optimal predictions over batch and ``n_gpus``: no other point is faster per user
    and cheaper per GPU at once. Sorted by tokens/s per user; group sizes that cannot hold the
    weights are skipped (all of them failing raises the capacity error).
    ``model``: catalog name or ModelSpec; ``hardware``: catalog name; ``weight_dtype``, ``kv_dtype``; ``input_tokens`` and ``output_tokens`` [tokens]; ``n_gpus`` [GPUs]; see ``Prediction`` for the units.
    """
    if not isinstance(n_gpus, tuple | list) or not n_gpus:
        raise InvalidTypeError("n_gpus", n_gpus, "a non-empty tuple of group sizes [GPUs]")
    for g in n_gpus:
        _require_gpus(g)
    points: list[Prediction] = []
    last_error: memory.InfeasibleServingError | None = None
    for g in n_gpus:
        try:
            cap = max_batch(
                _setup(model, hardware, g, weight_dtype, kv_dtype), input_tokens, output_tokens
            )
        except memory.InfeasibleServingError as e:
            last_error = e
            continue
        for b in _batches(cap):
            points.append(
                predict(model, hardware, g, weight_dtype, kv_dtype, b, input_tokens, output_tokens)
            )
    if not points:
        assert last_error is not None  # n_gpus is not empty: each size failed with an error
        raise last_error
    pareto = [
        p for p in points
        if not any(
            q.output_tokens_per_s_per_user >= p.output_tokens_per_s_per_user
            and q.output_tokens_per_s_per_gpu >= p.output_tokens_per_s_per_gpu
            and (q.output_tokens_per_s_per_user, q.output_tokens_per_s_per_gpu)
            != (p.output_tokens_per_s_per_user, p.output_tokens_per_s_per_gpu)
            for q in points
        )
    ]  # fmt: skip
    return sorted(pareto, key=lambda p: p.output_tokens_per_s_per_user)


# ---- disaggregated prefill / decode -------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    prefill_share: float  # share of GPUs in the prefill pool
    prefill_requests_per_s_per_gpu: float
    decode_requests_per_s_per_gpu: float
    requests_per_s_per_gpu: float  # of the whole balanced deployment


def disaggregated_split(
    model, hardware, n_gpus: int = 8, weight_dtype="bf16", kv_dtype="bf16",
    input_tokens=1024, output_tokens=256, prefill_tokens_per_step: int = 8192,
) -> Split:  # fmt: skip
    """GPU split between a prefill pool (steps of ``prefill_tokens_per_step`` prompt tokens) and a
    decode pool (largest batch that fits, no prefill) that carries equal request rates.
    ``model``: catalog name or ModelSpec; ``hardware``: catalog name; ``n_gpus`` [GPUs]; ``weight_dtype``, ``kv_dtype``; ``input_tokens``, ``output_tokens`` and ``prefill_tokens_per_step`` [tokens]; the split in [GPUs].
    """
    s = _setup(model, hardware, n_gpus, weight_dtype, kv_dtype)
    _require_lengths(input_tokens, output_tokens)
    require_count("input_tokens", input_tokens)  # a split needs a prompt to prefill
    require_count("prefill_tokens_per_step", prefill_tokens_per_step)
    pf = step_time(s, 0, 1, 0, float(prefill_tokens_per_step), None, input_tokens).total_s
    r_p = prefill_tokens_per_step / input_tokens / pf / n_gpus
    cap = max_batch(s, input_tokens, output_tokens)
    dec = step_time(s, cap, 1, _mean_context(input_tokens, output_tokens)).total_s
    r_d = cap / dec / output_tokens / n_gpus
    share = prefill_gpu_share(r_p, r_d)
    return Split(share, r_p, r_d, share * r_p)


# ---- prices ---------------------------------------------------------------------------------------
def rental_price(gpu: str) -> RentalRow | None:
    """Cheapest dated rental row for ``gpu`` (chapter 5's catalog), or None if it has none."""
    rows = _rental_rows(require_name("gpu", gpu, hardware.NAMES, kind="accelerator"))
    return rows[0] if rows else None


def usd_per_million_output_tokens(p: Prediction, usd_per_gpu_hour: float) -> float:
    """Cost [USD per 1e6 tokens] of prediction ``p``'s output at ``usd_per_gpu_hour`` [USD per GPU-hour]."""
    require_instance("p", p, Prediction, "a Prediction (serving.predict(...))")
    return usd_per_million_tokens(usd_per_gpu_hour, p.n_gpus, p.output_tokens_per_s)


# ---- command line ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.serving`` (``argv``): the frontier as a table or JSON; returns [exit status]."""
    from .serving_cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())

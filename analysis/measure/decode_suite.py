"""The decode suite: a whole transformer forward step, timed against ``roofline.forward_step``.

One run measures, on the same device and in the same process:
- the inputs of the prediction, with the roofline suite's kernels: a streaming read (bytes/s)
  and a square GEMM in the model's dtype (FLOP/s);
- a scaled Llama's decode step over the batch at a short context, over the context at a fixed
  batch, and its prefill over prompt lengths;
- a mixture-of-experts variant's decode step over the batch, with the experts each step touched.

Nothing is fitted: ``summarize`` predicts every point as max(FLOPs / GEMM rate, bytes /
bandwidth) from ``roofline.forward_step`` and the two rates measured in the same run.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .. import roofline
from ..models import ModelSpec
from . import compare, roofline_suite
from .backend import Backend
from .decode import DecodeModel, scaled_llama_config
from .kernels import cpu_threads, gemm, random_matrix, stream_read
from .suites import Progress, suite
from .timing import Timing, time_fn

# The decode step's knee: the batch at which FLOPs / F equals bytes / W (dense weights).
STEP_KNEE_BATCH = sp.solve(
    sp.Eq(
        roofline.FORWARD_FLOPS.subs(roofline.T, 1) / roofline.F,
        roofline.FORWARD_BYTES.subs(roofline.T, 1) / roofline.W,
    ),
    roofline.B,
)[0]
_step_knee_batch = sp.lambdify(
    (roofline.N, roofline.P, roofline.k, roofline.a, roofline.L, roofline.F, roofline.W),
    STEP_KNEE_BATCH,
    "math",
)
MEMORY_BOUND_TARGET = 0.15  # the target: median |error| where the step is memory-bound

# Model shapes. CPU: a scaled Llama of ~0.53 B parameters (fp32, 2.1 GB: ~63x the LLC of the
# reference CPU); GPU: Llama-70B widths at 8 layers (~7 B, fp16, 14 GB: wide enough that the
# step is not bound by kernel launches). Quick: the same structure, smaller.
SHAPES = {
    ("cpu", False): {
        "dense": dict(n_layers=16, d_model=1536, n_heads=12, n_kv_heads=2, d_ff=5120),
        "moe": dict(n_layers=8, d_model=1024, n_heads=8, n_kv_heads=2, d_ff=1408,
                    n_experts=16, top_k=2),
    },
    ("cpu", True): {
        "dense": dict(n_layers=8, d_model=1024, n_heads=8, n_kv_heads=2, d_ff=2816),
        "moe": dict(n_layers=4, d_model=768, n_heads=6, n_kv_heads=2, d_ff=1024,
                    n_experts=16, top_k=2),
    },
    ("gpu", False): {
        "dense": dict(n_layers=8, d_model=8192, n_heads=64, n_kv_heads=8, d_ff=28672),
        "moe": dict(n_layers=8, d_model=4096, n_heads=32, n_kv_heads=8, d_ff=14336,
                    n_experts=8, top_k=2),
    },
    ("gpu", True): {
        "dense": dict(n_layers=4, d_model=8192, n_heads=64, n_kv_heads=8, d_ff=28672),
        "moe": dict(n_layers=4, d_model=4096, n_heads=32, n_kv_heads=8, d_ff=14336,
                    n_experts=8, top_k=2),
    },
}  # fmt: skip
VOCAB = 32000


def plan(backend: Backend, quick: bool) -> dict:
    """Shapes, sweeps and repeats for ``backend``'s device (CPU or GPU; ``quick``: the short plan).

    Batches [sequences], contexts and prompt lengths [tokens], stream size [bytes], GEMM side
    [elements], repeats and warm-up runs [count].
    """
    kind = "gpu" if backend.is_gpu else "cpu"
    shapes = SHAPES[(kind, quick)]
    rp = roofline_suite.plan(backend, quick=True)  # stream array and square GEMM sizes
    if backend.is_gpu:
        batches = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        contexts = [128, 512, 2048, 8192] if quick else [128, 256, 512, 1024, 2048, 4096, 8192]
        prompts = [128, 512] if quick else [128, 512, 2048]
        moe_batches = [1, 2, 4, 8, 16, 32, 64, 128]
        ctx_batch, repeats, warmup = 16, 5 if quick else 10, 2
    else:
        batches = [1, 4, 16, 64] if quick else [1, 2, 4, 8, 16, 32, 64, 128, 256]
        contexts = [128, 1024, 4096] if quick else [128, 256, 512, 1024, 2048, 4096, 8192]
        prompts = [16, 64] if quick else [16, 64, 256]
        moe_batches = [1, 4, 16, 64] if quick else [1, 2, 4, 8, 16, 32, 64, 128]
        ctx_batch, repeats, warmup = 4, 3 if quick else 4, 1
    return {
        "dtype": "fp16" if backend.is_gpu else "fp32",
        "vocab_size": VOCAB,
        "dense": shapes["dense"],
        "moe": shapes["moe"],
        "short_context": 128,
        "batches": batches,
        "context_batch": ctx_batch,
        "contexts": contexts,
        "prompt_lengths": prompts,
        "moe_batches": moe_batches,
        "stream_bytes": rp["stream_bytes"],
        "peak_n": rp["peak_n"],
        "repeats": repeats,
        "warmup": warmup,
        "rule": (
            "decode at the short context over the batch; over the context at context_batch; "
            "prefill of one sequence per prompt length; stream read and square GEMM sized by "
            "the roofline suite's quick plan; every case timed once per round, round-robin"
        ),
    }


def spec_from(shape: dict, vocab_size: int, max_context: int, name: str) -> ModelSpec:
    """The ModelSpec of one of the plan's shapes (tied embeddings, Llama or Mixtral).

    ``shape`` is a plan's "dense" or "moe" dict, ``vocab_size`` [tokens] the vocabulary,
    ``max_context`` [tokens] the longest context, ``name`` the model's name.
    """
    cfg = scaled_llama_config(vocab_size=vocab_size, max_context=max_context, **shape)
    return ModelSpec.from_hf_config(cfg, name=name)


class _Case:
    def __init__(self, key: tuple, fn, meta: dict):
        self.key, self.fn, self.meta = key, fn, meta
        self.times: list[float] = []
        self.touched: list[list[int]] = []  # experts each timed MoE step touched, per layer


def _decode_case(model: DecodeModel, key, batch: int, context: int, rng) -> _Case:
    tokens = rng.integers(0, model.spec.vocab_size, batch)
    lengths = np.full(batch, context)
    touched: list[list[int]] = []

    def fn():
        model.reset(lengths)
        out = model.decode_step(tokens)
        if model.spec.n_experts:
            touched.append(list(model.touched_experts))
        return out

    case = _Case(key, fn, {"batch": batch, "context": context, "new_tokens": 1})
    case.touched = touched
    return case


def _prefill_case(model: DecodeModel, key, prompt: int, rng) -> _Case:
    tokens = rng.integers(0, model.spec.vocab_size, (1, prompt))

    def fn():
        model.reset()
        return model.prefill(tokens)

    return _Case(key, fn, {"batch": 1, "context": 0, "new_tokens": prompt})


def _rounds(backend: Backend, cases: list[_Case], sizes: dict, bar: Progress) -> None:
    for case in cases:
        time_fn(case.fn, backend, repeats=1, warmup=max(sizes["warmup"] - 1, 0))
    for r in range(sizes["repeats"]):
        for case in cases:
            case.times.extend(time_fn(case.fn, backend, repeats=1, warmup=0).times_s)
        bar.step(f"round {r + 1}/{sizes['repeats']}")


def _record(case: _Case) -> dict:
    rec = case.meta | {"timing": Timing(tuple(case.times)).to_json()}
    touched = getattr(case, "touched", None)
    if touched:
        per_step = [statistics.mean(t) for t in touched]
        rec["experts_touched_mean"] = statistics.mean(per_step)
    return rec


def run_plan(backend: Backend, sizes: dict, progress: bool = True) -> dict:
    """Measure everything ``sizes`` (from ``plan``) asks for on ``backend``; returns the results
    dict (times [s], bandwidth [bytes/s], GEMM rate [FLOP/s]). ``progress``: show a progress bar."""
    load_start = None if backend.is_gpu else os.getloadavg()[0]
    busy0, own0, wall0 = roofline_suite._busy_cpu_s(), time.process_time(), time.perf_counter()
    dtype, rng = sizes["dtype"], np.random.default_rng(7)
    out: dict = {"sizes": sizes, "threads": None if backend.is_gpu else cpu_threads()}
    bar = Progress(4 * sizes["repeats"], "decode rounds", progress)
    try:
        # 1. the prediction's inputs: bandwidth alone first (BLAS threads would steal its cores)
        nbytes = sizes["stream_bytes"] // 4 * 4
        x = random_matrix(backend, (nbytes // 4,), "fp32", seed=1)
        read = _Case(("stream_read",), stream_read(backend, x), {"bytes_moved": nbytes})
        n = sizes["peak_n"]
        a = random_matrix(backend, (n, n), dtype, seed=2)
        b = random_matrix(backend, (n, n), dtype, seed=3)
        peak = _Case(("peak",), gemm(backend, a, b, dtype), {"n": n, "flops": 2 * n**3})
        _rounds(backend, [read], sizes, bar)
        _rounds(backend, [peak], sizes, bar)
        rec = _record(read)
        out["stream_read"] = rec | {"bytes_per_s": nbytes / rec["timing"]["median_s"]}
        rec = _record(peak)
        out["peak"] = rec | {
            "dtype": dtype,
            "flops_per_s": rec["flops"] / rec["timing"]["median_s"],
        }
        del x, a, b, read, peak
        roofline_suite._free(backend)

        # 2. the dense model: batch sweep, context sweep, prefill, all interleaved
        short, contexts = sizes["short_context"], sizes["contexts"]
        max_ctx = max(max(contexts) + 1, short + 1, *sizes["prompt_lengths"])
        spec = spec_from(sizes["dense"], sizes["vocab_size"], max_ctx, "scaled-llama")
        base = DecodeModel(spec, backend, max_batch=1, max_context=1, dtype=dtype, seed=0)
        by_batch = base.with_cache(max(sizes["batches"]), short + 1)
        by_ctx = base.with_cache(sizes["context_batch"], max(contexts) + 1)
        cases = [_decode_case(by_batch, ("batch", bb), bb, short, rng) for bb in sizes["batches"]]
        cases += [
            _decode_case(by_ctx, ("context", c), sizes["context_batch"], c, rng) for c in contexts
        ]
        if sizes["prompt_lengths"]:  # an empty list skips the prefill sweep
            pre = base.with_cache(1, max(sizes["prompt_lengths"]))
            cases += [_prefill_case(pre, ("prefill", t), t, rng) for t in sizes["prompt_lengths"]]
        _rounds(backend, cases, sizes, bar)
        out["dense"] = {
            "config": scaled_llama_config(
                vocab_size=sizes["vocab_size"], max_context=max_ctx, **sizes["dense"]
            ),
            "n_params": spec.n_params,
            "weight_bytes_held": base.weight_bytes,
            "batch_sweep": [_record(c) for c in cases if c.key[0] == "batch"],
            "context_sweep": [_record(c) for c in cases if c.key[0] == "context"],
            "prefill": [_record(c) for c in cases if c.key[0] == "prefill"],
        }
        del base, by_batch, by_ctx, cases
        roofline_suite._free(backend)
        if not sizes["moe_batches"]:  # an empty list skips the MoE model
            return _finish(out, backend, load_start, busy0, own0, wall0)

        # 3. the MoE model: decode over the batch, with the experts each step touched
        moe_spec = spec_from(sizes["moe"], sizes["vocab_size"], short + 1, "scaled-moe")
        moe = DecodeModel(
            moe_spec, backend, max_batch=max(sizes["moe_batches"]), max_context=short + 1,
            dtype=dtype, seed=1,
        )  # fmt: skip
        cases = [_decode_case(moe, ("moe", bb), bb, short, rng) for bb in sizes["moe_batches"]]
        _rounds(backend, cases, sizes, bar)
        out["moe"] = {
            "config": scaled_llama_config(
                vocab_size=sizes["vocab_size"], max_context=short + 1, **sizes["moe"]
            ),
            "n_params": moe_spec.n_params,
            "n_active_params": moe_spec.n_active_params,
            "weight_bytes_held": moe.weight_bytes,
            "batch_sweep": [_record(c) for c in cases],
        }
        del moe, cases
        roofline_suite._free(backend)
    finally:
        bar.close()
    return _finish(out, backend, load_start, busy0, own0, wall0)


def _finish(out: dict, backend: Backend, load_start, busy0, own0, wall0) -> dict:
    if load_start is not None:  # other work on a shared CPU slows every kernel: say how much
        out["load_average_1m"] = {"start": load_start, "end": os.getloadavg()[0]}
        busy1 = roofline_suite._busy_cpu_s()
        if busy0 is not None and busy1 is not None:
            wall = time.perf_counter() - wall0
            other = max(0.0, (busy1 - busy0) - (time.process_time() - own0))
            out["cpu_contention"] = {
                "wall_s": wall,
                "other_processes_cpu_s": other,
                "other_processes_share": other / (wall * (os.cpu_count() or 1)),
            }
    return out


@suite("decode", "a whole decode step (batch, context, prefill, MoE) against forward_step")
def run(backend: Backend, quick: bool, progress: bool) -> dict:
    """The suite's entry point: ``run_plan`` of ``plan(backend, quick)`` on ``backend``, with a
    progress bar when ``progress``; returns the results dict (times [s], rates [bytes/s],
    [FLOP/s])."""
    return run_plan(backend, plan(backend, quick), progress)


# ---- prediction against measurement ----------------------------------------------------------
@dataclass(frozen=True)
class StepPoint:
    batch: int
    context: int
    new_tokens: int
    measured_s: float
    iqr_s: float
    predicted_s: float
    memory_bound: bool  # predicted: bytes / W >= FLOPs / F
    experts_touched: float | None = None  # measured mean per MoE layer
    experts_expected: float | None = None  # the law's expectation

    @property
    def rel_error(self) -> float:
        """(predicted - measured) / measured [fraction]; negative: the law predicts too fast."""
        return (self.predicted_s - self.measured_s) / self.measured_s


def _median_abs(points, memory_bound: bool | None = None) -> float | None:
    errs = [
        abs(p.rel_error) for p in points if memory_bound is None or p.memory_bound == memory_bound
    ]
    return statistics.median(errs) if errs else None


@dataclass(frozen=True)
class DecodeSummary:
    backend: str
    device: str
    dtype: str
    bandwidth: float  # measured streaming read [bytes/s]
    gemm_flops: float  # measured square GEMM [FLOP/s]
    dense_spec: ModelSpec
    moe_spec: ModelSpec | None  # None when the run skipped the MoE model
    batch: tuple[StepPoint, ...]
    context: tuple[StepPoint, ...]
    prefill: tuple[StepPoint, ...]
    moe: tuple[StepPoint, ...]
    contention: dict | None

    # whole-step errors
    @property
    def decode_points(self) -> tuple[StepPoint, ...]:
        """The dense decode points: the batch sweep, then the context sweep."""
        return self.batch + self.context

    @property
    def median_abs_error_memory_bound(self) -> float | None:
        """Median |error| [fraction] of the dense decode points predicted memory-bound (batch
        and context); None when no point is."""
        return _median_abs(self.decode_points, True)

    @property
    def median_abs_error_compute_bound(self) -> float | None:
        """Median |error| [fraction] of the dense decode points predicted compute-bound; None
        when no point is."""
        return _median_abs(self.decode_points, False)

    @property
    def confirms(self) -> bool:
        """The prediction holds on the memory-bound side within ``MEMORY_BOUND_TARGET``."""
        err = self.median_abs_error_memory_bound
        return err is not None and err <= MEMORY_BOUND_TARGET

    @property
    def verdict(self) -> str:
        """The memory-bound comparison in words: confirms or not, the error and the threshold
        [%]."""
        err = self.median_abs_error_memory_bound
        if err is None:
            return "no measured point is memory-bound"
        pct = f"{100 * err:.0f}%"
        if self.confirms:
            return (
                f"confirms the prediction within {pct} (threshold {100 * MEMORY_BOUND_TARGET:.0f}%)"
            )
        return f"does not confirm the prediction: off by {pct} (threshold {100 * MEMORY_BOUND_TARGET:.0f}%)"

    # the knee
    @property
    def predicted_knee(self) -> float:
        """Batch [rows] at which the predicted step turns FLOP-bound (``STEP_KNEE_BATCH``).

        ``inf`` when no batch does: if one sequence's KV read costs more time than its FLOPs
        (k L / W > (2 N + a L) / F), every added sequence adds more bytes than arithmetic and the
        law's denominator is not positive (a negative "knee" is no knee at all).
        """
        s, ctx = self.dense_spec, self.batch[0].context
        knee = float(
            _step_knee_batch(
                roofline.matmul_params(s),
                s.weight_bytes(self.dtype),
                s.kv_bytes_per_token(self.dtype),
                roofline.attention_flops_per_position(s),
                s.cached_tokens(ctx),
                self.gemm_flops,
                self.bandwidth,
            )
        )
        return knee if knee > 0 else math.inf

    @property
    def measured_knee(self) -> float:
        """Batch [rows] where the measured batch-1 time and the largest batch's time per
        row cross (``compare.measured_knee``)."""
        return compare.measured_knee(
            [p.batch for p in self.batch], [p.measured_s for p in self.batch]
        )

    # the KV read
    @property
    def kv_slope_measured_s_per_token(self) -> float:
        """Least-squares slope of the measured step time against context [s per cached token]."""
        x = np.array([p.context for p in self.context], float)
        y = np.array([p.measured_s for p in self.context])
        return float(np.polyfit(x, y, 1)[0])

    @property
    def kv_slope_predicted_s_per_token(self) -> float:
        """batch x kv_bytes_per_token / bandwidth [s per cached token]."""
        b = self.context[0].batch
        return b * self.dense_spec.kv_bytes_per_token(self.dtype) / self.bandwidth

    # prefill against decode
    @property
    def decode_per_token_s(self) -> float:
        """Batch-1 decode step at the short context: the cost of one generated token [s]."""
        return self.batch[0].measured_s / self.batch[0].batch

    @property
    def prefill_per_token_s(self) -> tuple[float, ...]:
        """Measured prefill time per prompt token, for each prompt length [s]."""
        return tuple(p.measured_s / p.new_tokens for p in self.prefill)

    @property
    def moe_median_abs_error(self) -> float | None:
        """Median |error| [fraction] of the MoE model's decode points; None without them."""
        return _median_abs(self.moe)


def _points(spec: ModelSpec, records: list[dict], dtype: str, flops_s: float, bw: float):
    pts = []
    for r in records:
        step = roofline.forward_step(spec, r["batch"], r["new_tokens"], r["context"], dtype, dtype)
        t_flop, t_byte = step.flops / flops_s, step.bytes / bw
        expected = None
        if spec.n_experts:
            expected = roofline.expected_experts_touched(
                spec.n_experts, spec.n_experts_per_tok, r["batch"] * r["new_tokens"]
            )
        pts.append(
            StepPoint(
                r["batch"],
                r["context"],
                r["new_tokens"],
                r["timing"]["median_s"],
                r["timing"]["iqr_s"],
                max(t_flop, t_byte),
                t_byte >= t_flop,
                r.get("experts_touched_mean"),
                expected,
            )
        )
    return tuple(pts)


def summarize(doc: dict) -> DecodeSummary:
    """Every measured step of a decode-suite run ``doc`` (its JSON: provenance and results)
    beside its roofline prediction (times [s])."""
    res = doc["results"]
    dtype = res["sizes"]["dtype"]
    bw, fl = res["stream_read"]["bytes_per_s"], res["peak"]["flops_per_s"]
    dense = ModelSpec.from_hf_config(res["dense"]["config"], name="scaled-llama")
    moe = None
    if "moe" in res:
        moe = ModelSpec.from_hf_config(res["moe"]["config"], name="scaled-moe")
    d = res["dense"]
    return DecodeSummary(
        doc["provenance"]["backend"],
        doc["provenance"]["device"]["name"],
        dtype,
        bw,
        fl,
        dense,
        moe,
        _points(dense, d["batch_sweep"], dtype, fl, bw),
        _points(dense, d["context_sweep"], dtype, fl, bw),
        _points(dense, d["prefill"], dtype, fl, bw),
        _points(moe, res["moe"]["batch_sweep"], dtype, fl, bw) if moe else (),
        res.get("cpu_contention"),
    )

"""The roofline suite: streaming-read and copy bandwidth, peak GEMM FLOP/s, and a GEMM sweep
over the batch B with weights several times larger than the last-level cache.

Nothing here fits anything: the chapter predicts each GEMM's time from the measured peak and
bandwidth (``analysis.measure.compare.compare_gemm``) and compares.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

from .backend import Backend
from .kernels import GEMM_DTYPES, copy, cpu_threads, gemm, random_matrix, stream_read
from .suites import Progress, suite
from .timing import Timing, time_fn

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}
# --quick sizes from at most this much cache: a VM may report a host's 480 MiB L3, and sizing
# from that made a "quick" run take 30 s and 6 GB. Full runs size from the reported cache.
QUICK_CACHE_CAP_BYTES = 64 * 2**20


def plan(backend: Backend, quick: bool) -> dict:
    """Sizes [bytes] from ``backend``'s device: arrays and weights a multiple of the last-level
    cache (``quick``: smaller multiples, the cache capped at ``QUICK_CACHE_CAP_BYTES``)."""
    reported_llc = backend.last_level_cache_bytes()
    llc = min(reported_llc, QUICK_CACHE_CAP_BYTES) if quick else reported_llc
    gpu = backend.is_gpu
    budget = backend.free_memory_bytes() // 4  # leave room for inputs, outputs and the OS
    # GPU arrays are 4x larger again: one pass must last long enough for event timing.
    stream_multiple = (4 if quick else 8) * (4 if gpu else 1)
    stream_bytes = min(stream_multiple * llc, budget) // 16 * 16
    weight_multiple = 4 if quick else 8 if gpu else 4
    largest = 16384 if gpu and not quick else 4096 if gpu or not quick else 256
    step = 4 if quick else 2
    batches = [step**i for i in range(int(round(math.log(largest, step))) + 1)]
    gemms = {}
    for dtype in GEMM_DTYPES[backend.name]:
        weight_bytes = min(weight_multiple * llc, budget)  # never more than free memory allows
        side = math.sqrt(weight_bytes / DTYPE_BYTES[dtype])
        dim = int(math.ceil(side / 512) * 512)  # multiples of 512 keep BLAS tiles full
        gemms[dtype] = {"d_in": dim, "d_out": dim}
    return {
        "last_level_cache_bytes": reported_llc,
        "sizing_cache_bytes": llc,
        "free_memory_budget_bytes": int(budget),
        "stream_bytes": int(stream_bytes),
        "gemm": gemms,
        "batches": batches,
        "peak_n": (4096 if quick else 8192) if gpu else (2048 if quick else 4096),
        "repeats": (5 if quick else 20) if gpu else (3 if quick else 7),
        "warmup": (1 if quick else 3) if gpu else 1,
        "rule": (
            f"C = LLC{' capped at 64 MiB (--quick)' if quick else ''}; stream array = "
            f"min({stream_multiple} x C, free/4); weights d x d with d = ceil(sqrt(min("
            f"{weight_multiple} x C, free/4) / bytes per element) / 512) x 512; peak = square GEMM"
        ),
    }


def _busy_cpu_s() -> float | None:
    """CPU seconds all processes have spent busy since boot (Linux /proc/stat), else None."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            ticks = [int(v) for v in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def _oom_errors(backend: Backend) -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (MemoryError,)
    if backend.is_gpu:
        errors += (backend.xp.cuda.memory.OutOfMemoryError,)
    return errors


def _free(backend: Backend) -> None:
    if backend.is_gpu:
        backend.xp.get_default_memory_pool().free_all_blocks()


class _Case:
    """One kernel to time: built once, then timed once per round (rounds interleave the cases)."""

    def __init__(self, key: tuple, fn, meta: dict):
        self.key, self.fn, self.meta = key, fn, meta
        self.times: list[float] = []


def _stream_cases(backend: Backend, sizes: dict) -> list[_Case]:
    nbytes = sizes["stream_bytes"] // 4 * 4
    x = random_matrix(backend, (nbytes // 4,), "fp32", seed=1)
    dst = backend.xp.empty_like(x)
    return [
        _Case(
            ("stream_read",),
            stream_read(backend, x),
            {"array_bytes": nbytes, "bytes_moved": nbytes},
        ),
        _Case(("copy",), copy(backend, x, dst), {"array_bytes": nbytes, "bytes_moved": 2 * nbytes}),
    ]


def _gemm_cases(backend: Backend, dtype: str, sizes: dict) -> tuple[list[_Case], dict]:
    n = sizes["peak_n"]
    a, b = (
        random_matrix(backend, (n, n), dtype, seed=2),
        random_matrix(backend, (n, n), dtype, seed=3),
    )
    cases = [_Case(("peak", dtype), gemm(backend, a, b, dtype), {"n": n, "flops": 2 * n**3})]
    shape = sizes["gemm"][dtype]
    d_in, d_out = shape["d_in"], shape["d_out"]
    w = random_matrix(backend, (d_in, d_out), dtype, seed=4)
    failed = []
    for batch in sizes["batches"]:
        try:
            x = random_matrix(backend, (batch, d_in), dtype, seed=5)
            fn = gemm(backend, x, w, dtype)
            fn()  # allocates the output now, so an out-of-memory shows up here
            cases.append(
                _Case(
                    ("gemm", dtype, batch), fn, {"batch": batch, "flops": 2 * batch * d_in * d_out}
                )
            )
        except _oom_errors(backend) as err:
            failed.append({"batch": batch, "error": f"out of memory: {type(err).__name__}: {err}"})
            _free(backend)
    sweep = {
        "d_in": d_in,
        "d_out": d_out,
        "weight_bytes": d_in * d_out * DTYPE_BYTES[dtype],
        "failed": failed,
    }
    return cases, sweep


def _run_rounds(backend: Backend, cases: list[_Case], sizes: dict, bar: Progress) -> None:
    """Warm every case up, then time each once per round, round-robin.

    Interleaving spreads any outside load (a shared CPU, a GPU clock change) over all cases
    instead of wiping out a contiguous stretch of the sweep; the median then filters it.
    """
    for case in cases:
        time_fn(case.fn, backend, repeats=1, warmup=max(sizes["warmup"] - 1, 0))
    for r in range(sizes["repeats"]):
        for case in cases:
            case.times.extend(time_fn(case.fn, backend, repeats=1, warmup=0).times_s)
        bar.step(f"round {r + 1}/{sizes['repeats']}")


def _record(case: _Case) -> dict:
    return case.meta | {"timing": Timing(tuple(case.times)).to_json()}


@suite("roofline", "streaming read and copy bandwidth, peak GEMM, GEMM sweep over batch B")
def run(backend: Backend, quick: bool, progress: bool) -> dict:
    """The suite's entry point: streaming read and copy, peak GEMM and the GEMM sweep over the
    batch on ``backend``, sized by ``plan(backend, quick)``, with a progress bar when
    ``progress``; returns the results dict (times [s], bandwidths [bytes/s], [FLOP/s])."""
    sizes = plan(backend, quick)
    load_start = None if backend.is_gpu else os.getloadavg()[0]
    busy0, own0, wall0 = _busy_cpu_s(), time.process_time(), time.perf_counter()
    cases = _stream_cases(backend, sizes)
    out: dict[str, Any] = {
        "sizes": sizes,
        "threads": None if backend.is_gpu else cpu_threads(),
        "stream_read": {},
        "copy": {},
        "peak": {},
        "gemm": {},
    }
    sweeps = {}
    for dtype in GEMM_DTYPES[backend.name]:
        try:
            dtype_cases, sweeps[dtype] = _gemm_cases(backend, dtype, sizes)
            cases += dtype_cases
        except _oom_errors(backend) as err:
            out["gemm"][dtype] = {"error": f"out of memory: {type(err).__name__}: {err}"}
            _free(backend)
        except Exception as err:  # e.g. a cuBLAS mode this GPU lacks: record it, keep going
            if not backend.is_gpu:
                raise
            out["gemm"][dtype] = {"error": f"{type(err).__name__}: {err}"}
            _free(backend)
    # Bandwidth kernels get their own rounds, before any BLAS call: OpenBLAS worker threads
    # busy-wait after each GEMM and take the cores that the threaded NumPy read needs (measured
    # on the reference CPU: 24 GB/s interleaved with GEMMs against 46 GB/s alone).
    n_bw = sum(case.key[0] in ("stream_read", "copy") for case in cases)
    bar = Progress(2 * sizes["repeats"], "roofline rounds", progress)
    try:
        _run_rounds(backend, cases[:n_bw], sizes, bar)
        _run_rounds(backend, cases[n_bw:], sizes, bar)
    finally:
        bar.close()
    points: dict[str, list] = {dt: [] for dt in sweeps}
    for case in cases:
        rec = _record(case)
        if case.key[0] in ("stream_read", "copy"):
            out[case.key[0]] = rec | {"bytes_per_s": rec["bytes_moved"] / rec["timing"]["median_s"]}
        elif case.key[0] == "peak":
            out["peak"][case.key[1]] = rec | {
                "flops_per_s": rec["flops"] / rec["timing"]["median_s"]
            }
        else:
            points[case.key[1]].append(rec)
    for dtype, sweep in sweeps.items():
        failed = sweep.pop("failed")
        out["gemm"][dtype] = sweep | {
            "points": sorted(points[dtype] + failed, key=lambda p: p["batch"])
        }
    if load_start is not None:  # other work on a shared CPU slows every kernel: say how much
        out["load_average_1m"] = {"start": load_start, "end": os.getloadavg()[0]}
        busy1 = _busy_cpu_s()
        if busy0 is not None and busy1 is not None:
            out["cpu_contention"] = {
                "wall_s": time.perf_counter() - wall0,
                "other_processes_cpu_s": max(0.0, (busy1 - busy0) - (time.process_time() - own0)),
            }
    return out

"""The energy suite: board (GPU) or package (CPU) energy while streaming memory and running a GEMM.

Three phases of fixed wall time: idle, a streaming read (chapter 1's kernel), a square GEMM.
Energy comes from NVML's total-energy counter on a GPU (its sampled power is kept as a
cross-check) and from RAPL package counters on a CPU. Measured J/byte and J/FLOP are reported
both in total and above the idle baseline. Where neither is readable the result says so and
carries no energy figure at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import require_finite_result, require_nonnegative, require_positive
from .backend import Backend
from .kernels import cpu_threads, gemm, random_matrix, stream_read
from .power import NvmlDevice, PowerSampler, RaplMeter, nvml_status, rapl_status
from .suites import Progress, suite
from .timing import time_fn

CHUNK_S = 0.25  # synchronise (and check the clock) about this often during a busy phase


def plan(backend: Backend, quick: bool) -> dict:
    """Phase lengths [s] and sizes [bytes] for ``backend``'s device (``quick``: shorter phases):
    arrays far larger than the last-level cache, GEMMs compute-bound."""
    llc = backend.last_level_cache_bytes()
    budget = backend.free_memory_bytes() // 4
    if backend.is_gpu:
        stream_bytes = min(max(16 * llc, 2 * 2**30), budget)
        n, dtype = 8192, "bf16"
        durations = (2.0, 4.0, 4.0) if quick else (5.0, 10.0, 10.0)
    else:
        stream_bytes = min(max(8 * llc, 256 * 2**20), budget)
        n, dtype = (1024 if quick else 2048), "fp32"
        durations = (1.0, 2.0, 2.0) if quick else (3.0, 6.0, 6.0)
    return {
        "stream_bytes": int(stream_bytes // 16 * 16),
        "gemm_n": n,
        "gemm_dtype": dtype,
        "idle_s": durations[0],
        "stream_s": durations[1],
        "gemm_s": durations[2],
        "last_level_cache_bytes": int(llc),
    }


def derive(energy_j: float, duration_s: float, idle_w: float, work: float) -> dict:
    """Energy per unit of work (byte or FLOP), in total and above the idle baseline.

    ``energy_j`` [J] and ``idle_w`` [W] are finite numbers >= 0; ``duration_s`` [s] and ``work``
    [bytes or FLOPs] finite numbers > 0. Returns J, s, W, work/s and J per unit of work.
    """
    require_nonnegative("energy_j", energy_j)
    require_positive("duration_s", duration_s)
    require_nonnegative("idle_w", idle_w)
    require_positive("work", work)
    mean_w = energy_j / duration_s
    above = energy_j - idle_w * duration_s
    names, values = "energy_j, duration_s, idle_w, work", (energy_j, duration_s, idle_w, work)
    for derived in (mean_w, above, work / duration_s, energy_j / work, above / work):
        require_finite_result(derived, names, values)
    return {
        "energy_j": energy_j,
        "duration_s": duration_s,
        "mean_w": mean_w,
        "above_idle_w": mean_w - idle_w,
        "rate_per_s": work / duration_s,
        "per_unit_total_j": energy_j / work,
        "per_unit_above_idle_j": above / work,
    }


class _Meter:
    """Energy over an interval from NVML's counter (or sampled power) or from RAPL."""

    def __init__(self, backend: Backend):
        self.nvml = self.rapl = None
        if backend.is_gpu:
            self.nvml = NvmlDevice(backend.xp.cuda.Device().id)
            self.method = (
                "nvml-energy-counter" if self.nvml.energy_j() is not None else "nvml-power-samples"
            )
        else:
            self.rapl = RaplMeter()
            self.method = "rapl-package-counters"

    def measure(self, body: Callable[[], float]) -> tuple[float, float, dict | None]:
        """Run ``body`` (returns its own duration, s); return (energy J, duration s, sampled power)."""
        if self.rapl is not None:
            self.rapl.start()
            duration = body()
            return self.rapl.stop(), duration, None
        assert self.nvml is not None  # _Meter refuses to build without RAPL or NVML
        sampler = PowerSampler(self.nvml.power_w, 0.02).start()
        e0 = self.nvml.energy_j()
        duration = body()
        e1 = self.nvml.energy_j()
        trace = sampler.stop()
        energy = (e1 - e0) if e0 is not None and e1 is not None else trace.energy_j
        return energy, duration, trace.to_json()

    def close(self) -> None:
        if self.nvml is not None:
            self.nvml.close()


class _Busy:
    """A body that runs ``fn`` back to back for ``duration_s``; it records the passes it made."""

    def __init__(self, backend: Backend, fn: Callable[[], object], duration_s: float):
        one = time_fn(fn, backend, repeats=3, warmup=1).median_s
        self.backend, self.fn, self.duration_s = backend, fn, duration_s
        self.chunk = max(1, int(CHUNK_S / max(one, 1e-9)))
        self.state = {"passes": 0}

    def __call__(self) -> float:
        self.backend.synchronize()
        t0 = time.perf_counter()
        while True:
            for _ in range(self.chunk):
                self.fn()
            self.backend.synchronize()
            self.state["passes"] += self.chunk
            if time.perf_counter() - t0 >= self.duration_s:
                return time.perf_counter() - t0


def _idle(duration_s: float) -> Callable[[], float]:
    def body() -> float:
        t0 = time.perf_counter()
        time.sleep(duration_s)
        return time.perf_counter() - t0

    return body


def _oom_errors(backend: Backend) -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (MemoryError,)
    if backend.is_gpu:
        errors += (backend.xp.cuda.memory.OutOfMemoryError,)
    return errors


def availability(backend: Backend) -> tuple[bool, str]:
    """Whether this backend's energy can be read here, and the reason or the method."""
    return nvml_status() if backend.is_gpu else rapl_status()


@suite("energy", "Energy per byte streamed and per FLOP, above idle (NVML on GPU, RAPL on CPU)")
def run(backend: Backend, quick: bool, progress: bool) -> dict:
    """The suite's entry point: idle, streaming and GEMM phases on ``backend``, sized by
    ``plan(backend, quick)``, with a progress bar when ``progress``; returns the results dict
    (times [s], power [W], energy [J], and energy per byte and per FLOP [J], in total and above
    idle), or why the energy counter cannot be read here."""
    ok, why = availability(backend)
    if not ok:
        return {
            "energy_measurable": False,
            "reason": why,
            "counter": "NVML" if backend.is_gpu else "RAPL (/sys/class/powercap)",
        }
    p = plan(backend, quick)
    xp = backend.xp
    bar = Progress(4, "energy", progress)
    meter = _Meter(backend)
    try:
        out = {"energy_measurable": True, "method": meter.method, "plan": p}
        if meter.nvml is not None:
            out["power_limit_w"] = meter.nvml.power_limit_w()
            out["nvml_device"] = meter.nvml.name
        elif meter.rapl is not None:
            out["rapl_domains"] = [d.name for d in meter.rapl.domains]
            out["cpu_threads"] = cpu_threads()
        n = p["gemm_n"]
        try:
            x = xp.ones(p["stream_bytes"] // 4, dtype=xp.float32)
            a = random_matrix(backend, (n, n), p["gemm_dtype"], seed=1)
            b = random_matrix(backend, (n, n), p["gemm_dtype"], seed=2)
        except _oom_errors(backend) as err:
            return out | {
                "energy_measurable": False,
                "reason": f"out of memory allocating the "
                f"arrays ({p['stream_bytes']} B stream, {n}x{n} GEMM): {err}",
            }
        stream_fn, gemm_fn = stream_read(backend, x), gemm(backend, a, b, p["gemm_dtype"])
        backend.synchronize()
        time.sleep(1.0)  # let clocks and power settle after allocation
        bar.step("idle")
        e_idle, t_idle, s_idle = meter.measure(_idle(p["idle_s"]))
        idle_w = e_idle / t_idle
        out["idle"] = {
            "energy_j": e_idle,
            "duration_s": t_idle,
            "mean_w": idle_w,
            "sampled": s_idle,
        }

        bar.step("stream read")
        body = _Busy(backend, stream_fn, p["stream_s"])
        e, t, s = meter.measure(body)
        nbytes = body.state["passes"] * x.nbytes
        out["stream_read"] = derive(e, t, idle_w, nbytes) | {
            "bytes_per_pass": int(x.nbytes),
            "passes": body.state["passes"],
            "bytes": nbytes,
            "unit": "byte",
            "sampled": s,
        }

        bar.step("gemm")
        body = _Busy(backend, gemm_fn, p["gemm_s"])
        e, t, s = meter.measure(body)
        flops = body.state["passes"] * 2.0 * n**3
        out["gemm"] = derive(e, t, idle_w, flops) | {
            "dtype": p["gemm_dtype"],
            "n": n,
            "passes": body.state["passes"],
            "flops": flops,
            "unit": "FLOP",
            "sampled": s,
        }
        bar.step("done")
        return out
    finally:
        meter.close()
        bar.close()

"""Measurements beside the laws: a roofline suite's GEMMs against their predicted times.

The predictions use the peak FLOP/s and the bandwidth measured in the same run (nothing fitted):
``compare_gemm`` for one dtype's sweep, ``summarize`` for a whole run, ``measured_knee`` for the
batch where the measured asymptotes cross.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np

from .. import roofline
from ..errors import InvalidValueError, MeasurementError, UnknownDTypeError, require_bool
from ..units import dtype_bytes


def _dtype_bytes(dtype: str) -> float:
    return float(dtype_bytes(dtype))


@dataclass(frozen=True)
class GemmComparison:
    dtype: str
    d_in: int
    d_out: int
    batches: tuple[int, ...]
    measured_s: tuple[float, ...]
    predicted_s: tuple[float, ...]
    peak_flops: float  # measured, dedicated compute-bound GEMM
    bandwidth: float  # measured streaming read
    predicted_knee: float  # critical batch from the measured peak and bandwidth
    measured_knee: float  # intersection of the measured asymptotes (see measured_knee)
    skipped: tuple[dict, ...]  # sweep points that failed (e.g. out of memory)

    @property
    def rel_errors(self) -> tuple[float, ...]:
        """(predicted - measured) / measured per batch [fraction]."""
        return tuple((p - m) / m for p, m in zip(self.predicted_s, self.measured_s, strict=True))

    @property
    def median_abs_error(self) -> float:
        """Median |relative error| over the sweep [fraction]."""
        return statistics.median(abs(e) for e in self.rel_errors)

    @property
    def knee_ratio(self) -> float:
        """measured / predicted knee [unitless] (1 = exact; the target is within a factor of 2)."""
        return self.measured_knee / self.predicted_knee

    def median_abs_error_where(self, memory_bound: bool) -> float:
        """Median |error| [fraction] below (``memory_bound``) or above the predicted knee (a diagnostic)."""
        require_bool("memory_bound", memory_bound)
        errs = [
            abs(e)
            for b, e in zip(self.batches, self.rel_errors, strict=True)
            if (b < self.predicted_knee) == memory_bound
        ]
        if not errs:
            raise MeasurementError(
                f"no measured batch on the {'memory' if memory_bound else 'compute'} side of the knee"
            )
        return statistics.median(errs)

    @property
    def weight_bandwidth(self) -> tuple[float, ...]:
        """Weight bytes over measured time per batch [bytes/s]: the rate each GEMM consumed W at."""
        nbytes = self.d_in * self.d_out * _dtype_bytes(self.dtype)
        return tuple(nbytes / t for t in self.measured_s)

    def predicted_with_bandwidth(self, bandwidth: float) -> tuple[float, ...]:
        """Times [s] of the same roofline with another measured ``bandwidth`` [bytes/s] (never fitted)."""
        return tuple(
            roofline.matmul_time_s(b, self.d_in, self.d_out, self.dtype, self.peak_flops, bandwidth)
            for b in self.batches
        )


def measured_knee(batches, times_s) -> float:
    """Where the measured asymptotes of ``times_s`` [s] over ``batches`` [rows] cross [rows], unfitted.

    Memory asymptote: the smallest batch's time, flat. Compute asymptote: the largest batch's
    time per row, times B. They cross at B = t(B_min) x B_max / t(B_max) (with B_min = 1).
    """
    batches, times_s = list(batches), list(times_s)
    if len(batches) < 2:
        raise InvalidValueError("batches", batches, "at least two batch sizes to locate a knee")
    i_lo, i_hi = int(np.argmin(batches)), int(np.argmax(batches))
    return times_s[i_lo] * batches[i_hi] / times_s[i_hi]


def compare_gemm(doc: dict, dtype: str) -> GemmComparison:
    """Predict every ``dtype`` GEMM of a roofline measurement ``doc`` (its JSON) from its measured peak and bandwidth."""
    res = doc["results"]
    sweeps = res.get("gemm", {})
    if dtype not in sweeps:
        raise UnknownDTypeError(dtype, sorted(sweeps), "the GEMM sweeps of this measurement")
    sweep = sweeps[dtype]
    if "error" in sweep:
        raise MeasurementError(f"GEMM sweep {dtype} failed on this run: {sweep['error']}")
    peak = res["peak"][dtype]["flops_per_s"]
    bw = res["stream_read"]["bytes_per_s"]
    d_in, d_out = sweep["d_in"], sweep["d_out"]
    ok = [p for p in sweep["points"] if "error" not in p]
    batches = tuple(p["batch"] for p in ok)
    measured = tuple(p["timing"]["median_s"] for p in ok)
    predicted = tuple(roofline.matmul_time_s(b, d_in, d_out, dtype, peak, bw) for b in batches)
    return GemmComparison(
        dtype,
        d_in,
        d_out,
        batches,
        measured,
        predicted,
        peak,
        bw,
        roofline.critical_batch(peak, bw, dtype, d_in, d_out, dtype),
        measured_knee(batches, measured),
        tuple(p for p in sweep["points"] if "error" in p),
    )


@dataclass(frozen=True)
class MeasurementSummary:
    backend: str
    device: str
    read_bandwidth: float  # bytes/s
    copy_bandwidth: float  # bytes moved (read + write) per second
    gemms: dict[str, GemmComparison]  # dtypes whose sweep ran
    failed: dict[str, str]  # dtype -> error recorded by the run


def summarize(doc: dict) -> MeasurementSummary:
    """Every GEMM sweep of a roofline measurement ``doc`` (its JSON) compared with its prediction."""
    res = doc["results"]
    gemms, failed = {}, {}
    for dt, sweep in res["gemm"].items():
        if "error" in sweep:
            failed[dt] = sweep["error"]
        else:
            gemms[dt] = compare_gemm(doc, dt)
    return MeasurementSummary(
        doc["provenance"]["backend"],
        doc["provenance"]["device"]["name"],
        res["stream_read"]["bytes_per_s"],
        res["copy"]["bytes_per_s"],
        gemms,
        failed,
    )

"""Timing with warm-up and repeats: CUDA events on GPU, perf_counter on CPU; median and spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..errors import require_count
from .backend import Backend


@dataclass(frozen=True)
class Timing:
    times_s: tuple[float, ...]  # every repeat, in order

    @property
    def median_s(self) -> float:
        """Median of the repeats [s]: the time reported."""
        return statistics.median(self.times_s)

    @property
    def min_s(self) -> float:
        """Fastest repeat [s]."""
        return min(self.times_s)

    @property
    def max_s(self) -> float:
        """Slowest repeat [s]."""
        return max(self.times_s)

    @property
    def iqr_s(self) -> float:
        """Interquartile range [s]: the spread reported beside the median (0 for one repeat)."""
        if len(self.times_s) < 2:
            return 0.0
        q = statistics.quantiles(self.times_s, n=4, method="inclusive")
        return q[2] - q[0]

    def to_json(self) -> dict:
        """The repeats and their statistics for a results file: times_s, median_s, iqr_s,
        min_s, max_s [s]."""
        return asdict(self) | {
            "median_s": self.median_s,
            "iqr_s": self.iqr_s,
            "min_s": self.min_s,
            "max_s": self.max_s,
        }


def time_fn(
    fn: Callable[[], object], backend: Backend, *, repeats: int = 10, warmup: int = 2
) -> Timing:
    """Run ``fn`` ``warmup`` [count] times untimed, then time ``repeats`` [count] runs one by one
    on ``backend`` (CUDA events on the GPU, perf_counter on the CPU); times [s]."""
    require_count("repeats", repeats)
    require_count("warmup", warmup, minimum=0)
    for _ in range(warmup):
        fn()
    backend.synchronize()
    times = []
    if backend.is_gpu:
        cp = backend.xp
        for _ in range(repeats):
            start, stop = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            times.append(cp.cuda.get_elapsed_time(start, stop) / 1e3)
    else:
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return Timing(tuple(times))

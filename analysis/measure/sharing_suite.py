"""Suite ``sharing``: decode attention for k branches over a shared prefix, per branch vs prefix once.

Sweeps the branch count k, the prefix length P and the suffix length S; for each point it
times both algorithms (median and spread over repeats), records the KV bytes each must read and
checks that their outputs agree. float32 on both backends; h heads of dimension D (MHA layout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import attention
from .backend import Backend
from .suites import Progress, suite
from .timing import Timing, time_fn

# (heads, head_dim, repeats, sweeps): sweeps vary one of k, prefix, suffix around a base point.
PLANS: dict[str, dict[str, Any]] = {
    "quick": dict(
        heads=4,
        head_dim=64,
        repeats=3,
        base=dict(k=4, prefix=1024, suffix=32),
        k=(1, 4),
        prefix=(256, 1024),
        suffix=(32, 128),
    ),
    "cpu": dict(
        heads=8,
        head_dim=128,
        repeats=9,
        base=dict(k=8, prefix=4096, suffix=128),
        k=(1, 2, 4, 8, 16, 32),
        prefix=(1024, 2048, 4096, 8192),
        suffix=(32, 128, 512, 2048),
    ),
    "gpu": dict(
        heads=8,
        head_dim=128,
        repeats=20,
        base=dict(k=16, prefix=16384, suffix=256),
        k=(1, 2, 4, 8, 16, 32, 64),
        prefix=(1024, 4096, 16384, 65536),
        suffix=(64, 256, 1024, 4096, 8192),
    ),
}
DTYPE = np.float32
CPU_CAP_BYTES = 2 * 10**9  # the machine is shared: private caches of at most 2 GB


def _points(plan: dict) -> list[tuple[str, dict[str, int]]]:
    out = []
    for axis in ("k", "prefix", "suffix"):
        for value in plan[axis]:
            out.append((axis, plan["base"] | {axis: value}))
    return out


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, MemoryError) or "OutOfMemory" in type(err).__name__


def measure_point(
    backend: Backend,
    k: int,
    prefix: int,
    suffix: int,
    heads: int,
    head_dim: int,
    repeats: int,
    llc_bytes: int,
    seed: int = 0,
) -> dict:
    """Time both algorithms at one (k, P, S) on ``backend`` and check that they agree.

    ``k`` branches [count], ``prefix`` P and ``suffix`` S [tokens], ``heads`` [count] of
    ``head_dim`` [elements]; ``repeats`` [count] interleaved runs; ``llc_bytes`` [bytes] the
    last-level cache; ``seed`` seeds the inputs. Returns times [s], bytes read [bytes],
    bandwidths [bytes/s] and the speed-ups [unitless].
    """
    xp = backend.xp
    inputs = attention.make_inputs(xp, k, prefix, suffix, heads, head_dim, DTYPE, seed)
    full_k, full_v = attention.private_caches(xp, inputs)
    q = inputs["q"]
    args = (inputs["prefix_k"], inputs["prefix_v"], inputs["suffix_k"], inputs["suffix_v"])
    a = backend.asnumpy(attention.per_branch(xp, q, full_k, full_v))
    b = backend.asnumpy(attention.prefix_once(xp, q, *args))
    # Interleave the two (one run each, back to back) so that load from other processes on a
    # shared machine falls on both alike; the pairwise ratios give the speed-up's spread.
    branch_s: list[float] = []
    once_s: list[float] = []
    for i in range(repeats):
        warm = 1 if i == 0 else 0
        branch_s += time_fn(
            lambda: attention.per_branch(xp, q, full_k, full_v), backend, repeats=1, warmup=warm
        ).times_s
        once_s += time_fn(
            lambda: attention.prefix_once(xp, q, *args), backend, repeats=1, warmup=warm
        ).times_s
    t_branch, t_once = Timing(tuple(branch_s)), Timing(tuple(once_s))
    ratios = Timing(tuple(x / y for x, y in zip(branch_s, once_s, strict=True)))
    nbytes = attention.bytes_read(k, prefix, suffix, heads, head_dim, np.dtype(DTYPE).itemsize)
    return {
        "k": k,
        "prefix": prefix,
        "suffix": suffix,
        "bytes_read": nbytes,
        "per_branch_fits_llc": nbytes["per_branch"] <= llc_bytes,
        "per_branch": t_branch.to_json(),
        "prefix_once": t_once.to_json(),
        "speedup_measured": ratios.median_s,  # median of the pairwise ratios
        "speedup_iqr": ratios.iqr_s,
        "speedup_of_medians": t_branch.median_s / t_once.median_s,
        "speedup_predicted": attention.predicted_speedup(k, prefix, suffix),
        "bandwidth_bytes_per_s": {
            "per_branch": nbytes["per_branch"] / t_branch.median_s,
            "prefix_once": nbytes["prefix_once"] / t_once.median_s,
        },
        "max_abs_diff": float(np.max(np.abs(a - b))),
    }


@suite("sharing", "shared-prefix decode attention: per-branch vs prefix read once, across k, P, S")
def run(backend: Backend, quick: bool, progress: bool) -> dict:
    """The suite's entry point: both attention algorithms across k, P and S on ``backend``
    (``quick``: the quick plan, else the GPU or CPU one), with a progress bar when ``progress``;
    returns the results dict (times [s], bandwidths [bytes/s], speed-ups [unitless])."""
    plan = PLANS["quick" if quick else ("gpu" if backend.is_gpu else "cpu")]
    heads, head_dim = plan["heads"], plan["head_dim"]
    itemsize = np.dtype(DTYPE).itemsize
    cap = backend.free_memory_bytes() // 4
    if not backend.is_gpu:
        cap = min(cap, CPU_CAP_BYTES)
    llc = backend.last_level_cache_bytes()
    points = _points(plan)
    bar = Progress(len(points), "sharing", progress)
    sweeps: dict[str, list] = {"k": [], "prefix": [], "suffix": []}
    try:
        for axis, p in points:
            bar.step(f"{axis} k={p['k']} P={p['prefix']} S={p['suffix']}")
            need = 2 * p["k"] * (p["prefix"] + p["suffix"]) * heads * head_dim * itemsize
            if need > cap:
                sweeps[axis].append(
                    p | {"skipped": f"private caches need {need} bytes > cap {cap}"}
                )
                continue
            try:
                sweeps[axis].append(
                    measure_point(
                        backend,
                        p["k"],
                        p["prefix"],
                        p["suffix"],
                        heads,
                        head_dim,
                        plan["repeats"],
                        llc,
                    )
                )
            except Exception as err:  # out of memory is reported, never a crash
                if not _is_oom(err):
                    raise
                sweeps[axis].append(p | {"error": f"out of memory: {err}"})
    finally:
        bar.close()
    return {
        "config": {
            "heads": heads,
            "head_dim": head_dim,
            "dtype": np.dtype(DTYPE).name,
            "itemsize_bytes": itemsize,
            "repeats": plan["repeats"],
            "base": plan["base"],
            "last_level_cache_bytes": llc,
            "cap_bytes": cap,
        },
        "sweeps": sweeps,
    }

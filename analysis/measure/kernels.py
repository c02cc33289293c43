"""Measurement kernels: streaming read, copy and GEMM, on NumPy (CPU) or CuPy (GPU).

Each kernel returns a zero-argument callable that does one pass, ready for ``time_fn``; on the
GPU it only launches (the timer's CUDA events bracket it). CUDA sources live in ``cuda/*.cu``.
bf16 has no CuPy dtype: it is stored as raw uint16 bits and multiplied by cuBLAS ``gemmEx``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import InvalidValueError, UnknownDTypeError
from .backend import Backend

CUDA_DIR = Path(__file__).resolve().parent / "cuda"
CUDA_SOURCES = {"stream_read_f4": "stream_read.cu", "copy_f4": "copy.cu"}
BLOCK_THREADS = 256
BLOCKS_PER_SM = 8  # 8 x 256 threads = 2048, the resident-thread limit of an SM since Volta
VEC_ELEMENTS = 4  # float4: 16-byte loads

GEMM_DTYPES = {"numpy": ("fp32",), "cupy": ("fp16", "bf16", "fp32")}
_NP_DTYPES = {"fp32": np.float32, "fp16": np.float16}

# cuBLAS / CUDA enum values (cuda_runtime_api.h, cublas_api.h); used if CuPy does not export them.
CUDA_R_16BF = 14
CUBLAS_COMPUTE_32F = 68
CUBLAS_GEMM_DEFAULT = -1


def cpu_threads() -> int:
    """CPU threads [count] this process may use (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@cache
def _pool(n: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=n, thread_name_prefix="measure")


def _chunks(x: np.ndarray, n: int) -> list[np.ndarray]:
    return np.array_split(x.reshape(-1), n)


def check_gemm_dtype(backend: Backend, dtype: str) -> str:
    """Return ``dtype`` if ``backend`` can time a GEMM in it (``GEMM_DTYPES``); else raise
    ``UnknownDTypeError`` listing the allowed ones."""
    allowed = GEMM_DTYPES[backend.name]
    if dtype not in allowed:
        raise UnknownDTypeError(dtype, list(allowed), f"GEMM on the {backend.name} backend")
    return dtype


# ---- bf16 as raw bits -----------------------------------------------------------------------------
def to_bf16_bits(xp, a):
    """float32 array ``a`` -> bf16 bit patterns (uint16), rounding to nearest even (finite
    inputs); ``xp`` is the array module (numpy or cupy)."""
    bits = xp.ascontiguousarray(a, dtype=xp.float32).view(xp.uint32)
    rounding = xp.uint32(0x7FFF) + ((bits >> 16) & xp.uint32(1))
    return ((bits + rounding) >> 16).astype(xp.uint16)


def from_bf16_bits(xp, bits):
    """bf16 bit patterns ``bits`` (uint16) -> float32, exactly; ``xp`` is the array module."""
    return (xp.asarray(bits).astype(xp.uint32) << 16).view(xp.float32)


# ---- arrays ---------------------------------------------------------------------------------------
def random_matrix(backend: Backend, shape: tuple[int, ...], dtype: str, seed: int = 0):
    """Standard-normal data in ``dtype`` (bf16 as uint16 bits), generated on ``backend``'s device.

    ``shape`` [elements per axis]; ``seed`` [unitless] seeds the generator; fp32, fp16, bf16.
    """
    xp = backend.xp
    if dtype not in ("fp32", "fp16", "bf16"):
        raise UnknownDTypeError(dtype, ["fp32", "fp16", "bf16"])
    rng = xp.random.default_rng(seed)
    a = rng.standard_normal(shape, dtype=xp.float32)
    if dtype == "bf16":
        return to_bf16_bits(xp, a)
    return a if dtype == "fp32" else a.astype(xp.float16)


# ---- streaming read -------------------------------------------------------------------------------
@cache
def _cuda_function(name: str):
    import cupy

    module = cupy.RawModule(code=(CUDA_DIR / CUDA_SOURCES[name]).read_text(encoding="utf-8"))
    return module.get_function(name)


def _grid(backend: Backend) -> int:
    sms = backend.xp.cuda.runtime.getDeviceProperties(backend.xp.cuda.Device().id)[
        "multiProcessorCount"
    ]
    return int(sms) * BLOCKS_PER_SM


def _check_vectorizable(x, what: str) -> int:
    if x.dtype.itemsize != 4 or x.size % VEC_ELEMENTS or not x.flags.c_contiguous:
        raise InvalidValueError(
            what,
            f"dtype {x.dtype}, size {x.size}",
            "a contiguous float32 array with a multiple of 4 elements",
        )
    return x.size // VEC_ELEMENTS


def stream_read(backend: Backend, x) -> Callable[[], object]:
    """One pass on ``backend`` that reads every byte of ``x`` (float32) and sums it.

    CPU: NumPy's SIMD sum over one chunk per core, in threads (NumPy releases the GIL), then the
    chunk sums are added. GPU: ``stream_read_f4`` with one partial sum per block. The callable
    returns the partial sums (host list or device array); ``read_sum`` turns them into a float.
    """
    if backend.is_gpu:
        n4 = _check_vectorizable(x, "stream_read")
        kernel, grid = _cuda_function("stream_read_f4"), _grid(backend)
        partial = backend.xp.empty(grid, dtype=backend.xp.float32)
        args = (x, np.uint64(n4), partial)
        return lambda: (kernel((grid,), (BLOCK_THREADS,), args), partial)[1]
    pool, chunks = _pool(cpu_threads()), _chunks(x, cpu_threads())
    return lambda: list(pool.map(np.sum, chunks))


def read_sum(backend: Backend, x) -> float:
    """The sum of ``x`` [the elements' unit] as computed by ``backend``'s streaming-read kernel
    (for correctness tests)."""
    partial = stream_read(backend, x)()
    return float(backend.xp.sum(backend.xp.asarray(partial, dtype=backend.xp.float64)))


# ---- copy -----------------------------------------------------------------------------------------
def copy(backend: Backend, src, dst) -> Callable[[], object]:
    """One pass on ``backend`` that copies float32 ``src`` into ``dst`` (bytes moved: 2 x
    src.nbytes)."""
    if src.shape != dst.shape or src.dtype != dst.dtype:
        raise InvalidValueError(
            "dst",
            f"{dst.shape}/{dst.dtype}",
            f"src's shape and dtype {src.shape}/{src.dtype} (copy needs equal shapes and dtypes)",
        )
    if backend.is_gpu:
        n4 = _check_vectorizable(src, "copy")
        kernel, grid = _cuda_function("copy_f4"), _grid(backend)
        args = (src, dst, np.uint64(n4))
        return lambda: kernel((grid,), (BLOCK_THREADS,), args)
    pool = _pool(cpu_threads())
    pairs = list(zip(_chunks(dst, cpu_threads()), _chunks(src, cpu_threads()), strict=True))
    return lambda: list(pool.map(lambda p: np.copyto(*p), pairs))


# ---- GEMM -----------------------------------------------------------------------------------------
def _bf16_gemm(backend: Backend, x, w, out) -> Callable[[], object]:
    """Row-major out(B x f) = x(B x d) . w(d x f) in bf16 with fp32 accumulation, via cublasGemmEx.

    cuBLAS is column-major: it computes out^T = w^T . x^T, where each row-major matrix already
    *is* its transpose in column-major order, so no transposes are needed.
    """
    import cupy
    from cupy.cuda import cublas, runtime

    rows, inner = x.shape
    cols = w.shape[1]
    bf16 = getattr(runtime, "CUDA_R_16BF", CUDA_R_16BF)
    compute = getattr(cublas, "CUBLAS_COMPUTE_32F", CUBLAS_COMPUTE_32F)
    one, zero = np.ones(1, np.float32), np.zeros(1, np.float32)  # host scalars (host pointer mode)
    handle = cupy.cuda.device.get_cublas_handle()
    no_t = cublas.CUBLAS_OP_N

    def run():
        cublas.gemmEx(
            handle,
            no_t,
            no_t,
            cols,
            rows,
            inner,
            one.ctypes.data,
            w.data.ptr,
            bf16,
            cols,
            x.data.ptr,
            bf16,
            inner,
            zero.ctypes.data,
            out.data.ptr,
            bf16,
            cols,
            compute,
            CUBLAS_GEMM_DEFAULT,
        )
        return out

    return run


def gemm(backend: Backend, x, w, dtype: str, out=None) -> Callable[[], object]:
    """One (B x d) . (d x f) product ``x`` . ``w`` into ``out`` on ``backend``, in ``dtype``
    (``GEMM_DTYPES``); bf16 operands are uint16 bit arrays. FLOPs per call: 2 B d f."""
    check_gemm_dtype(backend, dtype)
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0]:
        raise InvalidValueError(
            "x, w", f"shapes {x.shape} and {w.shape}", "(B x d) and (d x f) matrices"
        )
    xp = backend.xp
    if out is None:
        out = xp.empty((x.shape[0], w.shape[1]), dtype=x.dtype)
    if dtype == "bf16":
        return _bf16_gemm(backend, x, w, out)
    return lambda: xp.matmul(x, w, out=out)

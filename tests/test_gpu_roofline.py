"""GPU checks for chapter 1 (CuPy): kernels against NumPy, the suite end to end, H200 targets.

Run with ``pytest -m gpu tests/test_gpu_roofline.py`` on a machine with an NVIDIA GPU; the
conftest skips them elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis import hardware
from analysis.measure import compare, kernels, roofline_suite, time_fn

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    from analysis.measure import get_backend

    return get_backend("cupy")


def test_stream_read_kernel_sums(gpu):
    cp = gpu.xp
    x = kernels.random_matrix(gpu, (1 << 22,), "fp32", seed=1)
    expected = float(cp.asnumpy(x).astype(np.float64).sum())
    assert kernels.read_sum(gpu, x) == pytest.approx(expected, rel=1e-4, abs=1e-1)


def test_stream_read_rejects_unaligned_sizes(gpu):
    with pytest.raises(ValueError, match="multiple of 4"):
        kernels.stream_read(gpu, gpu.xp.ones(10, dtype=gpu.xp.float32))


def test_copy_kernel(gpu):
    cp = gpu.xp
    src = kernels.random_matrix(gpu, (1 << 20,), "fp32", seed=2)
    dst = cp.zeros_like(src)
    kernels.copy(gpu, src, dst)()
    gpu.synchronize()
    np.testing.assert_array_equal(cp.asnumpy(dst), cp.asnumpy(src))


def test_bf16_bits_match_numpy(gpu):
    x = np.random.default_rng(3).standard_normal(4096).astype(np.float32)
    got = gpu.xp.asnumpy(kernels.to_bf16_bits(gpu.xp, gpu.xp.asarray(x)))
    np.testing.assert_array_equal(got, kernels.to_bf16_bits(np, x))


@pytest.mark.parametrize("dtype", ["fp32", "fp16", "bf16"])
def test_gemm_against_numpy(gpu, dtype):
    cp = gpu.xp
    x = kernels.random_matrix(gpu, (37, 256), dtype, seed=4)
    w = kernels.random_matrix(gpu, (256, 200), dtype, seed=5)
    got = kernels.gemm(gpu, x, w, dtype)()
    if dtype == "bf16":  # reference: exact products of the bf16 inputs, output rounded to bf16
        xf, wf = (cp.asnumpy(kernels.from_bf16_bits(cp, a)).astype(np.float64) for a in (x, w))
        got = cp.asnumpy(kernels.from_bf16_bits(cp, got))
        rtol = 2.0**-7
    else:
        xf, wf = (cp.asnumpy(a).astype(np.float64) for a in (x, w))
        got = cp.asnumpy(got).astype(np.float64)
        rtol = 1e-4 if dtype == "fp32" else 2.0**-9
    expected = xf @ wf
    scale = np.abs(xf) @ np.abs(wf)  # error bound scales with the sum of |terms|
    assert np.all(np.abs(got - expected) <= rtol * scale + 1e-3)


def test_quick_suite_runs_and_predicts(gpu):
    out = roofline_suite.run(gpu, True, False)
    for dtype in kernels.GEMM_DTYPES["cupy"]:
        assert "error" not in out["gemm"][dtype], out["gemm"][dtype]
        assert all("timing" in p for p in out["gemm"][dtype]["points"])
    doc = {"results": out, "provenance": {"backend": "cupy"}}
    cmp_ = compare.compare_gemm(doc, "fp16")
    assert cmp_.predicted_knee > 1


def _is_h200(gpu) -> bool:
    return "H200" in gpu.device_info()["name"]


def test_h200_read_bandwidth_target(gpu):
    """Issue target: streaming read >= 90% of the 4.8 TB/s datasheet figure."""
    if not _is_h200(gpu):
        pytest.skip("target defined for an H200")
    n = 1 << 30  # 4 GiB of float32
    x = gpu.xp.ones(n, dtype=gpu.xp.float32)
    timing = time_fn(kernels.stream_read(gpu, x), gpu, repeats=20, warmup=3)
    assert 4 * n / timing.median_s >= 0.9 * hardware.get("h200").mem_bandwidth


def test_h200_fp16_gemm_target(gpu):
    """Issue target: fp16 GEMM at large B >= 80% of the 989 TFLOP/s dense peak."""
    if not _is_h200(gpu):
        pytest.skip("target defined for an H200")
    n = 8192
    a = kernels.random_matrix(gpu, (n, n), "fp16", seed=6)
    b = kernels.random_matrix(gpu, (n, n), "fp16", seed=7)
    timing = time_fn(kernels.gemm(gpu, a, b, "fp16"), gpu, repeats=10, warmup=3)
    assert 2 * n**3 / timing.median_s >= 0.8 * hardware.get("h200").peak_flops("fp16")

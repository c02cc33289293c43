"""The CuPy path of the shared-prefix attention kernels (skipped without an NVIDIA GPU)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.measure import attention

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cp():
    import cupy

    return cupy


@pytest.mark.parametrize(
    "dtype, rtol, atol", [(np.float64, 1e-12, 1e-13), (np.float32, 1e-5, 1e-6)]
)
@pytest.mark.parametrize("k, prefix, suffix", [(1, 64, 1), (5, 1000, 37), (32, 4096, 128)])
def test_cupy_matches_numpy(cp, dtype, rtol, atol, k, prefix, suffix):
    host = attention.make_inputs(np, k, prefix, suffix, 4, 64, dtype, seed=7)
    dev = attention.make_inputs(cp, k, prefix, suffix, 4, 64, dtype, seed=7)
    full_k, full_v = attention.private_caches(np, host)
    expected = attention.per_branch(np, host["q"], full_k, full_v)
    dk, dv = attention.private_caches(cp, dev)
    got_branch = cp.asnumpy(attention.per_branch(cp, dev["q"], dk, dv))
    got_once = cp.asnumpy(
        attention.prefix_once(
            cp, dev["q"], dev["prefix_k"], dev["prefix_v"], dev["suffix_k"], dev["suffix_v"]
        )
    )
    np.testing.assert_allclose(got_branch, expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(got_once, expected, rtol=rtol, atol=atol)


def test_quick_suite_on_cupy():
    from analysis.measure.backend import get_backend
    from analysis.measure.sharing_suite import run

    res = run(get_backend("cupy"), quick=True, progress=False)
    points = [p for sweep in res["sweeps"].values() for p in sweep]
    assert points and all(p["max_abs_diff"] < 1e-5 for p in points)

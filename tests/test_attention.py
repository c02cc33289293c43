"""Shared-prefix decode attention: both algorithms against an explicit softmax, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.measure import attention, reference
from analysis.measure.backend import get_backend
from analysis.measure.sharing_suite import run


def explicit(inputs):
    """Textbook attention, one branch and head at a time, in float64."""
    q = inputs["q"].astype(np.float64)
    k, h, dim = q.shape
    out = np.zeros((k, h, dim))
    for j in range(k):
        for head in range(h):
            keys = np.concatenate([inputs["prefix_k"][head], inputs["suffix_k"][j, head]]).astype(
                np.float64
            )
            vals = np.concatenate([inputs["prefix_v"][head], inputs["suffix_v"][j, head]]).astype(
                np.float64
            )
            scores = keys @ q[j, head] / math.sqrt(dim)
            p = np.exp(scores - scores.max())
            out[j, head] = (p / p.sum()) @ vals
    return out


def both(inputs):
    full_k, full_v = attention.private_caches(np, inputs)
    a = attention.per_branch(np, inputs["q"], full_k, full_v)
    b = attention.prefix_once(
        np,
        inputs["q"],
        inputs["prefix_k"],
        inputs["prefix_v"],
        inputs["suffix_k"],
        inputs["suffix_v"],
    )
    return a, b


dims = st.tuples(
    st.integers(1, 6),
    st.integers(1, 70),
    st.integers(1, 20),
    st.integers(1, 3),
    st.sampled_from([1, 8, 32]),
    st.integers(0, 2**32 - 1),
)


@given(dims)
def test_float64_exact_agreement(d):
    k, prefix, suffix, heads, head_dim, seed = d
    inputs = attention.make_inputs(np, k, prefix, suffix, heads, head_dim, np.float64, seed)
    a, b = both(inputs)
    ref = explicit(inputs)
    assert a.shape == b.shape == (k, heads, head_dim)
    np.testing.assert_allclose(a, ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(b, ref, rtol=1e-12, atol=1e-13)


@given(dims)
def test_float32_agreement(d):
    k, prefix, suffix, heads, head_dim, seed = d
    inputs = attention.make_inputs(np, k, prefix, suffix, heads, head_dim, np.float32, seed)
    a, b = both(inputs)
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, explicit(inputs), rtol=1e-5, atol=1e-6)


def test_large_scores_do_not_overflow():
    """The merge rescales by the running max, so scores of order 1e3 stay finite and exact."""
    inputs = attention.make_inputs(np, 3, 50, 7, 2, 16, np.float64, 1)
    inputs["q"] = inputs["q"] * 300.0
    a, b = both(inputs)
    assert np.isfinite(b).all()
    np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_merge_of_three_partials_is_the_full_softmax():
    rng = np.random.default_rng(3)
    scores, values = rng.normal(size=(4, 30)) * 5, rng.normal(size=(30, 6))
    parts = [
        attention._partial(np, scores[:, sl], lambda p, sl=sl: p @ values[sl])
        for sl in (slice(0, 7), slice(7, 8), slice(8, 30))
    ]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    np.testing.assert_allclose(
        attention.merge(np, parts), (p / p.sum(axis=1, keepdims=True)) @ values, rtol=1e-12
    )


def test_bytes_read_hand_arithmetic():
    # 8 heads x 128 dims x 2 (K, V) x 4 bytes = 8 KiB per token
    got = attention.bytes_read(k=4, prefix=1000, suffix=10, heads=8, head_dim=128, itemsize=4)
    assert got == {"per_branch": 4 * 1010 * 8192, "prefix_once": (1000 + 40) * 8192}
    assert attention.predicted_speedup(1, 1000, 10) == 1.0
    assert attention.predicted_speedup(16, 10**9, 1) == pytest.approx(16, rel=1e-6)


def test_make_inputs_rejects_bad_sizes():
    with pytest.raises(ValueError, match="suffix must be an integer >= 1"):
        attention.make_inputs(np, 2, 10, 0, 1, 8, np.float32)


def test_quick_suite_on_numpy():
    res = run(get_backend("numpy"), quick=True, progress=False)
    points = [p for sweep in res["sweeps"].values() for p in sweep]
    assert len(points) == 6
    for p in points:
        assert p["max_abs_diff"] < 1e-5
        assert len(p["per_branch"]["times_s"]) == res["config"]["repeats"]
        assert p["speedup_predicted"] == pytest.approx(
            attention.predicted_speedup(p["k"], p["prefix"], p["suffix"])
        )


def test_committed_cpu_reference():
    doc = reference("sharing", "numpy")
    assert doc is not None, (
        "run: python -m analysis.measure --suite sharing --out analysis/data/measurements/..."
    )
    assert not doc["quick"]
    prov = doc["provenance"]
    assert prov["backend"] == "numpy" and prov["device"]["name"] and prov["versions"]["numpy"]
    points = [
        p
        for sweep in doc["results"]["sweeps"].values()
        for p in sweep
        if "error" not in p and "skipped" not in p
    ]
    assert len(points) >= 10
    for p in points:
        assert p["max_abs_diff"] < 1e-4
        assert p["bytes_read"] == attention.bytes_read(
            p["k"],
            p["prefix"],
            p["suffix"],
            doc["results"]["config"]["heads"],
            doc["results"]["config"]["head_dim"],
            4,
        )

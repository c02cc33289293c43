"""Decode attention for k branches that share a prefix: per branch, and prefix read once.

Layout (one decode token per branch, h heads of dimension D, written for any array module xp):
  q                      (k, h, D)      each branch's new query
  prefix_k, prefix_v     (h, P, D)      the shared prefix's keys and values, stored once
  suffix_k, suffix_v     (k, h, S, D)   each branch's own keys and values
  full_k, full_v         (k, h, P+S, D) private caches: every branch holds its own prefix copy

``per_branch`` attends over private caches (k GEMVs that each read the prefix). ``prefix_once``
scores all k queries against the prefix in one batched product (the prefix is read once), then
merges the prefix and suffix softmax partials exactly with their log-sum-exp statistics:
for partials (m_i, l_i, o_i) = (max score, sum of exp(score - m_i), normalized output),
  out = sum_i exp(m_i - m) l_i o_i / sum_i exp(m_i - m) l_i,  m = max_i m_i.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InvalidValueError, require_count

# KV bytes each algorithm reads (per token, per branch): n private copies of L_p + U, or the
# prefix once plus n suffixes. Their ratio is the speed-up when both run at full memory bandwidth.
# Printed as chapter 2's sharing laws print them: n branches behind an L_p-token prefix, U tokens
# of their own each.
k_b, P_t, S_t = sp.symbols("n L_p U", positive=True)
BYTES_PER_BRANCH = k_b * (P_t + S_t)
BYTES_PREFIX_ONCE = P_t + k_b * S_t
SPEEDUP = BYTES_PER_BRANCH / BYTES_PREFIX_ONCE
SPEEDUP_LIMIT = sp.limit(SPEEDUP, P_t, sp.oo)  # n: a long prefix is read n times less
_speedup = sp.lambdify((k_b, P_t, S_t), SPEEDUP, "math")


@dataclass(frozen=True)
class Partial:
    """Softmax partial over a slice of positions: max score, sum of exp, normalized output."""

    m: object  # (..., h) or matching batch shape
    total: object  # sum of exp(score - m)
    o: object  # (..., D)


def _partial(xp, scores, values_matmul) -> Partial:
    """Partial from raw ``scores`` (..., n); ``values_matmul(p)`` returns p @ V (..., D)."""
    m = xp.max(scores, axis=-1)
    p = xp.exp(scores - m[..., None])
    total = xp.sum(p, axis=-1)
    return Partial(m, total, values_matmul(p) / total[..., None])


def merge(xp, parts: list[Partial]):
    """Exact softmax over the union of the positions of ``parts`` (log-sum-exp merge): the
    attention output (..., D). ``xp`` is the array module (numpy or cupy)."""
    m: Any = parts[0].m
    for part in parts[1:]:
        m = xp.maximum(m, part.m)
    num: Any = 0
    den: Any = 0
    for part in parts:
        w = xp.exp(part.m - m) * part.total
        num = num + w[..., None] * part.o
        den = den + w
    return num / den[..., None]


def per_branch(xp, q, full_k, full_v):
    """Attention of each branch's query ``q`` (k, h, D) over its own private cache ``full_k``,
    ``full_v`` (k, h, P+S, D): the output (k, h, D). ``xp`` is the array module (numpy or cupy)."""
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = xp.matmul(full_k, q[..., None])[..., 0] * scale  # (k, h, P+S)
    m = xp.max(scores, axis=-1, keepdims=True)
    p = xp.exp(scores - m)
    p /= xp.sum(p, axis=-1, keepdims=True)
    return xp.matmul(p[:, :, None, :], full_v)[:, :, 0, :]


def prefix_once(xp, q, prefix_k, prefix_v, suffix_k, suffix_v):
    """Same result, reading the shared prefix once for all k branches: (k, h, D).

    ``q`` (k, h, D); ``prefix_k``, ``prefix_v`` (h, P, D); ``suffix_k``, ``suffix_v``
    (k, h, S, D), as in the module docstring. ``xp`` is the array module (numpy or cupy).
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    qh = xp.ascontiguousarray(xp.swapaxes(q, 0, 1))  # (h, k, D): one GEMM per head over the prefix
    s_pre = xp.matmul(qh, xp.swapaxes(prefix_k, 1, 2)) * scale  # (h, k, P)
    pre = _partial(xp, s_pre, lambda p: xp.matmul(p, prefix_v))  # (h, k, D)
    pre = Partial(xp.swapaxes(pre.m, 0, 1), xp.swapaxes(pre.total, 0, 1), xp.swapaxes(pre.o, 0, 1))
    s_suf = xp.matmul(suffix_k, q[..., None])[..., 0] * scale  # (k, h, S)
    suf = _partial(xp, s_suf, lambda p: xp.matmul(p[:, :, None, :], suffix_v)[:, :, 0, :])
    return merge(xp, [pre, suf])


def make_inputs(
    xp, k: int, prefix: int, suffix: int, heads: int, head_dim: int, dtype, seed: int = 0
):
    """Random q, prefix and suffix caches, on the array module ``xp``.

    ``k`` branches [count], ``prefix`` and ``suffix`` [tokens], ``heads`` [count] of
    ``head_dim`` [elements], in the NumPy ``dtype``. Drawn with NumPy from ``seed`` and copied
    to xp, so every backend gets the same numbers.
    """
    for name, v in (
        ("k", k),
        ("prefix", prefix),
        ("suffix", suffix),
        ("heads", heads),
        ("head_dim", head_dim),
    ):
        require_count(name, v)
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return xp.asarray(rng.standard_normal(shape).astype(dtype))

    return {
        "q": normal(k, heads, head_dim),
        "prefix_k": normal(heads, prefix, head_dim),
        "prefix_v": normal(heads, prefix, head_dim),
        "suffix_k": normal(k, heads, suffix, head_dim),
        "suffix_v": normal(k, heads, suffix, head_dim),
    }


def private_caches(xp, inputs: dict):
    """(full_k, full_v): each branch's own copy of prefix + suffix, as a non-sharing server holds.

    ``inputs`` is the dict of ``make_inputs``; ``xp`` is the array module (numpy or cupy).
    """
    k = inputs["q"].shape[0]
    out = []
    for pre, suf in (("prefix_k", "suffix_k"), ("prefix_v", "suffix_v")):
        prefix = xp.broadcast_to(inputs[pre][None], (k, *inputs[pre].shape))
        out.append(xp.ascontiguousarray(xp.concatenate([prefix, inputs[suf]], axis=2)))
    return tuple(out)


def bytes_read(k: int, prefix: int, suffix: int, heads: int, head_dim: int, itemsize: int) -> dict:
    """KV bytes [B] each algorithm must read from memory (queries and outputs are negligible).

    ``k``, ``heads``, ``head_dim`` and ``itemsize`` [B] are whole numbers >= 1; ``prefix`` and
    ``suffix`` [tokens] whole numbers >= 0.
    """
    k, heads, head_dim, itemsize = (
        require_count(n, v)
        for n, v in (("k", k), ("heads", heads), ("head_dim", head_dim), ("itemsize", itemsize))
    )
    prefix = require_count("prefix", prefix, minimum=0)
    suffix = require_count("suffix", suffix, minimum=0)
    per_token = 2 * heads * head_dim * itemsize  # K and V
    return {
        "per_branch": k * (prefix + suffix) * per_token,
        "prefix_once": (prefix + k * suffix) * per_token,
    }


def predicted_speedup(k: int, prefix: int, suffix: int) -> float:
    """SPEEDUP: bytes ratio, per-branch over prefix-once (the speed-up at full bandwidth) [1].

    ``k`` >= 1 branches; ``prefix`` and ``suffix`` [tokens] >= 0, not both 0.
    """
    k = require_count("k", k)
    prefix = require_count("prefix", prefix, minimum=0)
    suffix = require_count("suffix", suffix, minimum=0)
    if prefix + suffix == 0:
        raise InvalidValueError("suffix", suffix, "> 0 when prefix is 0 (no tokens to read)")
    return _speedup(k, prefix, suffix)

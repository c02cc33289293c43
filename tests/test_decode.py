"""The whole-step decode kernel: correctness against independent references, and the suite.

References here are written separately from the kernel: a per-head loop for attention with
rotary embeddings computed as complex rotations, and a per-token loop over chosen experts.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from analysis import roofline
from analysis.errors import ConfigError, UnknownDTypeError
from analysis.measure import decode_suite, get_backend, results
from analysis.measure.decode import DecodeModel, scaled_llama_config
from analysis.models import ModelSpec, get

CPU = get_backend("numpy")


def tiny(n_kv_heads=2, n_heads=4, n_experts=0, top_k=0, d_ff=96, tied=True):
    cfg = scaled_llama_config(
        n_layers=2, d_model=64, n_heads=n_heads, n_kv_heads=n_kv_heads, d_ff=d_ff,
        vocab_size=101, max_context=64, n_experts=n_experts, top_k=top_k,
    )  # fmt: skip
    cfg["tie_word_embeddings"] = tied
    return ModelSpec.from_hf_config(cfg, name="tiny")


def normalised_max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b))))


@pytest.mark.parametrize(
    "spec",
    [tiny(), tiny(tied=False), tiny(n_kv_heads=1), tiny(n_experts=8, top_k=2, d_ff=32)],
    ids=["gqa-tied", "gqa-untied", "mqa", "moe"],
)
def test_token_by_token_decode_equals_one_causal_prefill(spec):
    tokens = np.random.default_rng(1).integers(0, spec.vocab_size, (3, 12))
    model = DecodeModel(spec, CPU, max_batch=3, max_context=16)
    full = model.prefill(tokens)
    assert full.shape == (3, 12, spec.vocab_size)
    model.reset()
    steps = np.stack([model.decode_step(tokens[:, t]) for t in range(12)], axis=1)
    assert normalised_max_diff(steps, full) <= 1e-4
    # half prefilled, the rest token by token: the same logits again
    model.reset()
    first = model.prefill(tokens[:, :5])
    rest = [model.decode_step(tokens[:, t]) for t in range(5, 12)]
    assert normalised_max_diff(np.concatenate([first, np.stack(rest, 1)], 1), full) <= 1e-4
    assert list(model.lengths) == [12, 12, 12]


def test_sequences_keep_their_own_lengths():
    spec = tiny()
    tokens = np.random.default_rng(2).integers(0, spec.vocab_size, (3, 10))
    model = DecodeModel(spec, CPU, max_batch=3, max_context=16)
    model.prefill(tokens)
    lengths = [4, 7, 9]  # keep a different prefix of each sequence, then decode one token each
    model.reset(lengths)
    nxt = np.array([5, 6, 7])
    mixed = model.decode_step(nxt)
    for b, n in enumerate(lengths):
        alone = DecodeModel(spec, CPU, max_batch=1, max_context=16)
        ref = alone.prefill(np.concatenate([tokens[b, :n], nxt[b : b + 1]])[None])[0, -1]
        assert normalised_max_diff(mixed[b], ref) <= 1e-4


def _reference_attention(model: DecodeModel, x: np.ndarray) -> np.ndarray:
    """Causal attention of layer 0 for one sequence, head by head (T, d) -> (T, d)."""
    spec, layer = model.spec, model.layers[0]
    h, hkv, hd = spec.n_heads, spec.n_kv_heads, spec.head_dim
    t = x.shape[0]
    q_all, k_all, v_all = x @ layer.wq, x @ layer.wk, x @ layer.wv
    freqs = 1.0 / 10000.0 ** (np.arange(0, hd, 2) / hd)
    rot = np.exp(1j * np.arange(t)[:, None] * freqs[None, :])  # (T, hd/2)

    def rope(v):  # halves of the head as real and imaginary parts, rotated by position
        z = (v[:, : hd // 2] + 1j * v[:, hd // 2 :]) * rot
        return np.concatenate([z.real, z.imag], axis=1)

    heads = []
    for i in range(h):
        kv = i // (h // hkv)
        q = rope(q_all[:, i * hd : (i + 1) * hd].astype(np.float64))
        k = rope(k_all[:, kv * hd : (kv + 1) * hd].astype(np.float64))
        v = v_all[:, kv * hd : (kv + 1) * hd].astype(np.float64)
        s = q @ k.T / math.sqrt(hd)
        s[np.triu_indices(t, 1)] = -np.inf
        p = np.exp(s - s.max(axis=1, keepdims=True))
        heads.append((p / p.sum(axis=1, keepdims=True)) @ v)
    return np.concatenate(heads, axis=1) @ layer.wo.astype(np.float64)


@pytest.mark.parametrize("n_kv_heads", [4, 2, 1], ids=["mha-group-1", "gqa-group-2", "mqa"])
def test_attention_equals_a_per_head_loop(n_kv_heads):
    spec = tiny(n_kv_heads=n_kv_heads)
    model = DecodeModel(spec, CPU, max_batch=1, max_context=16)
    x = np.random.default_rng(3).standard_normal((9, spec.d_model)).astype(np.float32)
    cos, sin = model._rope_tables(np.arange(9)[None])
    got = model._attention(0, x, cos, sin, np.zeros(1, dtype=np.int64), 9)
    assert normalised_max_diff(got, _reference_attention(model, x)) <= 1e-4


def test_moe_layer_equals_a_per_token_loop_over_its_chosen_experts():
    spec = tiny(n_experts=8, top_k=2, d_ff=32)
    model = DecodeModel(spec, CPU, max_batch=1, max_context=16)
    layer = model.layers[1]
    x = np.random.default_rng(4).standard_normal((13, spec.d_model)).astype(np.float32)
    got = model._moe(1, x)
    ref = np.zeros_like(x, dtype=np.float64)
    used = set()
    for i, row in enumerate(x.astype(np.float64)):
        logits = row @ layer.router
        chosen = sorted(range(8), key=lambda e: -logits[e])[:2]
        w = np.exp(logits[chosen] - max(logits[chosen]))
        w /= w.sum()
        for e, we in zip(chosen, w, strict=True):
            used.add(e)
            gate = row @ layer.w_gate[e]
            act = gate / (1 + np.exp(-gate)) * (row @ layer.w_up[e])
            ref[i] += we * (act @ layer.w_down[e])
    assert normalised_max_diff(got, ref) <= 1e-4
    assert model.touched_experts == [len(used)]


def test_kernel_holds_the_weights_the_spec_counts():
    for spec in (tiny(), tiny(tied=False), tiny(n_experts=8, top_k=2, d_ff=32)):
        model = DecodeModel(spec, CPU, max_batch=1, max_context=4)
        assert model.weight_bytes == spec.weight_bytes("fp32")


def test_kernel_refuses_what_it_does_not_build():
    with pytest.raises(ConfigError, match="latent attention"):
        DecodeModel(get("deepseek-v3"), CPU, max_batch=1, max_context=4)
    with pytest.raises(UnknownDTypeError):
        DecodeModel(tiny(), CPU, max_batch=1, max_context=4, dtype="bf16")
    model = DecodeModel(tiny(), CPU, max_batch=2, max_context=4)
    with pytest.raises(ValueError, match="max_context"):
        model.prefill(np.zeros((2, 5), dtype=int))
    with pytest.raises(ValueError, match="max_batch"):
        model.prefill(np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match="token ids"):
        model.decode_step(np.array([0, 101]))


# ---- the suite ------------------------------------------------------------------------------------
def tiny_plan() -> dict:
    sizes = decode_suite.plan(CPU, quick=True)
    sizes |= {
        "dense": dict(n_layers=2, d_model=128, n_heads=4, n_kv_heads=2, d_ff=256),
        "moe": dict(n_layers=2, d_model=128, n_heads=4, n_kv_heads=2, d_ff=64, n_experts=8,
                    top_k=2),
        "vocab_size": 500, "short_context": 16, "batches": [1, 4], "contexts": [16, 64],
        "prompt_lengths": [8], "moe_batches": [1, 16], "stream_bytes": 1 << 20, "peak_n": 128,
        "repeats": 2,
    }  # fmt: skip
    return sizes


def test_suite_runs_and_summarizes_on_tiny_shapes():
    res = decode_suite.run_plan(CPU, tiny_plan(), progress=False)
    doc = {"provenance": {"backend": "numpy", "device": {"name": "test cpu"}}, "results": res}
    s = decode_suite.summarize(doc)
    assert [p.batch for p in s.batch] == [1, 4]
    assert [p.context for p in s.context] == [16, 64]
    assert s.prefill[0].new_tokens == 8
    for p in s.batch + s.context + s.prefill + s.moe:
        assert p.measured_s > 0 and p.predicted_s > 0
        assert len(res["dense"]["batch_sweep"][0]["timing"]["times_s"]) == 2
    # one token touches exactly its k experts in each layer; 16 tokens at most all 8
    assert s.moe[0].experts_touched == 2 and s.moe[0].experts_expected == pytest.approx(2)
    assert 2 <= s.moe[1].experts_touched <= 8
    assert isinstance(s.verdict, str) and s.predicted_knee > 0 and s.measured_knee > 0
    assert "cpu_contention" in res
    # A chip whose FLOP/s dwarf its bandwidth never turns this step FLOP-bound: each sequence's
    # KV read (k (L+1) / W) then outlasts its FLOPs ((2N + a (L+1)) / F), so there is no knee.
    spec, ctx = s.dense_spec, s.batch[0].context + 1
    kv_s = spec.kv_bytes_per_token(s.dtype) * ctx / s.bandwidth
    flops = 2 * roofline.matmul_params(spec) + roofline.attention_flops_per_position(spec) * ctx
    no_knee = dataclasses.replace(s, gemm_flops=2 * flops / kv_s)
    assert no_knee.predicted_knee == math.inf


def test_predicted_knee_is_where_compute_meets_memory():
    # Independent of the suite's law: bisect forward_step's two times for a dense spec.
    spec = tiny()
    flops_s, bw = 1e11, 2e10
    knee = decode_suite._step_knee_batch(
        roofline.matmul_params(spec), spec.weight_bytes("fp32"), spec.kv_bytes_per_token("fp32"),
        roofline.attention_flops_per_position(spec), 16, flops_s, bw,
    )  # fmt: skip

    def gap(b):
        st = roofline.forward_step(spec, b, 1, 16, "fp32", "fp32")
        return st.flops / flops_s - st.bytes / bw

    lo, hi = 1e-3, 1e6
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
    assert knee == pytest.approx(lo, rel=1e-6)


def test_stored_reference_is_consistent():
    doc = results.reference("decode", "numpy")
    if doc is None:
        pytest.skip("no decode reference committed under analysis/data/measurements/")
    s = decode_suite.summarize(doc)
    res = doc["results"]
    assert res["sizes"]["dtype"] == "fp32"
    assert [p.batch for p in s.batch] == res["sizes"]["batches"]
    assert res["dense"]["weight_bytes_held"] == s.dense_spec.weight_bytes("fp32")
    assert 0.3e9 < s.dense_spec.n_params < 1e9  # "a scaled Llama of roughly 0.5-1 B"
    assert "cpu_contention" in res and "other_processes_share" in res["cpu_contention"]
    for p in s.moe:
        lo, hi = roofline.experts_touched_bounds(s.moe_spec.n_experts, 2, p.batch)
        assert lo <= p.experts_touched <= hi


# ---- the CuPy path ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gpu():
    return get_backend("cupy")


def _on_gpu(model: DecodeModel, gpu_backend) -> DecodeModel:
    """The same weights as ``model`` (NumPy), copied to the GPU, with an empty cache."""
    cp = gpu_backend.xp
    twin = DecodeModel(model.spec, gpu_backend, max_batch=model.max_batch,
                       max_context=model.max_context, dtype=model.dtype)  # fmt: skip
    twin.embed = cp.asarray(model.embed)
    twin.final_norm = cp.asarray(model.final_norm)
    twin.lm_head = None if model.lm_head is None else cp.asarray(model.lm_head)
    for mine, theirs in zip(twin.layers, model.layers, strict=True):
        for name, value in vars(theirs).items():
            setattr(mine, name, None if value is None else cp.asarray(value))
    return twin


@pytest.mark.gpu
@pytest.mark.parametrize("spec", [tiny(), tiny(n_experts=8, top_k=2, d_ff=32)], ids=["gqa", "moe"])
def test_cupy_kernel_equals_numpy_and_its_own_prefill(gpu, spec):
    tokens = np.random.default_rng(5).integers(0, spec.vocab_size, (3, 10))
    cpu_model = DecodeModel(spec, CPU, max_batch=3, max_context=16)
    want = cpu_model.prefill(tokens)
    model = _on_gpu(cpu_model, gpu)
    got = gpu.asnumpy(model.prefill(tokens))
    assert normalised_max_diff(got, want) <= 1e-4
    model.reset()
    steps = np.stack([gpu.asnumpy(model.decode_step(tokens[:, t])) for t in range(10)], axis=1)
    assert normalised_max_diff(steps, want) <= 1e-4


@pytest.mark.gpu
def test_cupy_suite_runs_on_tiny_shapes(gpu):
    sizes = tiny_plan() | {"dtype": "fp16", "stream_bytes": 1 << 24, "peak_n": 1024}
    res = decode_suite.run_plan(gpu, sizes, progress=False)
    doc = {"provenance": {"backend": "cupy", "device": {"name": "gpu"}}, "results": res}
    s = decode_suite.summarize(doc)
    assert all(p.measured_s > 0 for p in s.batch + s.context + s.prefill + s.moe)
    assert s.moe[0].experts_touched == 2

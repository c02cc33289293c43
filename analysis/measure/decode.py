"""A whole transformer forward pass, built from a ``ModelSpec``, on NumPy (CPU) or CuPy (GPU).

The kernel the decode suite times: token embedding, RMSNorm, rotary embeddings, grouped-query
attention over a preallocated KV cache, a SwiGLU MLP (or a top-k mixture of experts, computed
as grouped matmuls over only the experts the batch routes to), a final RMSNorm and the LM head
(tied or untied). Weights are seeded-random with the model's real shapes: the time of a step
depends on the shapes, not on the values.

``prefill(tokens)`` runs T new tokens of each of B sequences through the model and appends
their K and V to the cache; ``decode_step(tokens)`` is the same with T = 1. Each sequence keeps
its own length, so a batch may mix short and long contexts. The code is written once against
the array module ``xp`` (``numpy`` or ``cupy``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, InvalidValueError, UnknownDTypeError, require_positive
from ..models import ModelSpec
from .backend import Backend

DTYPES = {"fp32": "float32", "fp16": "float16"}
RMS_EPS = 1e-6
ROPE_THETA = 10000.0


def check_spec(spec: ModelSpec) -> None:
    """Refuse, for ``spec``, the features this kernel does not build (it is a Llama/Mixtral-style
    decoder): raise naming them; return None when ``spec`` fits."""
    unsupported = {
        "multi-head latent attention": spec.is_mla,
        "LayerNorm": spec.layer_norm,
        "a non-gated MLP": not spec.gated_mlp,
        "biases": spec.qkv_bias or spec.o_bias or spec.mlp_bias,
        "learned positions": bool(spec.learned_positions),
        "an embedding projection": bool(
            spec.embed_proj_dim and spec.embed_proj_dim != spec.d_model
        ),
        "shared experts": bool(spec.n_shared_experts),
        "dense layers between MoE layers": spec.n_experts > 0
        and spec.n_moe_layers != spec.n_layers,
        "a sliding window": spec.sliding_window is not None,
    }
    found = [what for what, present in unsupported.items() if present]
    if found:
        raise ConfigError(
            f"{spec.name}: the decode kernel builds Llama/Mixtral-style decoders (RMSNorm, RoPE, "
            f"GQA, SwiGLU or top-k MoE in every layer); this model has {', '.join(found)}"
        )


@dataclass
class Layer:
    """One decoder layer's arrays (NumPy or CuPy: typed Any, as the array module varies)."""

    attn_norm: Any
    wq: Any  # (d, H hd)
    wk: Any  # (d, Hkv hd)
    wv: Any  # (d, Hkv hd)
    wo: Any  # (H hd, d)
    mlp_norm: Any
    w_gate: Any  # dense (d, f) or experts (E, d, f)
    w_up: Any
    w_down: Any  # dense (f, d) or experts (E, f, d)
    router: Any = None  # (d, E) for MoE


class DecodeModel:
    """A Llama/Mixtral-style decoder with a preallocated KV cache for ``max_batch`` sequences.

    ``dtype`` is the storage and compute dtype of weights, activations and cache ('fp32' or
    'fp16'; fp16 matmuls need a GPU to be fast). Logits are returned in that dtype.
    """

    def __init__(
        self,
        spec: ModelSpec,
        backend: Backend,
        *,
        max_batch: int,
        max_context: int,
        dtype: str = "fp32",
        seed: int = 0,
    ):
        check_spec(spec)
        if dtype not in DTYPES:
            raise UnknownDTypeError(dtype, list(DTYPES), "the decode kernel")
        require_positive("max_batch", max_batch)
        require_positive("max_context", max_context)
        self.spec, self.backend, self.dtype = spec, backend, dtype
        self.xp = xp = backend.xp
        self.np_dtype = np.dtype(DTYPES[dtype])  # NumPy dtypes serve CuPy arrays too
        self.max_batch, self.max_context = int(max_batch), int(max_context)
        self.touched_experts: list[int] = []  # per MoE layer, filled by every forward pass
        rng = xp.random.default_rng(seed)
        d, hd = spec.d_model, spec.head_dim
        h, hkv = spec.n_heads, spec.n_kv_heads

        def w(*shape, fan_in):  # scaled so activations stay O(1) through the layers
            a = rng.standard_normal(shape, dtype=xp.float32)
            a *= 1.0 / math.sqrt(fan_in)
            return a.astype(self.np_dtype, copy=False)

        def ones(n):
            return xp.ones(n, dtype=self.np_dtype)

        self.embed = w(spec.vocab_size, d, fan_in=1)
        self.layers = []
        for _ in range(spec.n_layers):
            if spec.n_experts:
                e, f = spec.n_experts, spec.moe_d_ff
                mlp = {
                    "w_gate": w(e, d, f, fan_in=d),
                    "w_up": w(e, d, f, fan_in=d),
                    "w_down": w(e, f, d, fan_in=f),
                    "router": w(d, e, fan_in=d),
                }
            else:
                f = spec.d_ff
                mlp = {
                    "w_gate": w(d, f, fan_in=d),
                    "w_up": w(d, f, fan_in=d),
                    "w_down": w(f, d, fan_in=f),
                }
            self.layers.append(
                Layer(
                    attn_norm=ones(d),
                    wq=w(d, h * hd, fan_in=d),
                    wk=w(d, hkv * hd, fan_in=d),
                    wv=w(d, hkv * hd, fan_in=d),
                    wo=w(h * hd, d, fan_in=h * hd),
                    mlp_norm=ones(d),
                    **mlp,
                )
            )
        self.final_norm = ones(d)
        self.lm_head = None if spec.tied_embeddings else w(d, spec.vocab_size, fan_in=d)
        shape = (spec.n_layers, self.max_batch, hkv, self.max_context, hd)
        self.k_cache = xp.zeros(shape, dtype=self.np_dtype)
        self.v_cache = xp.zeros(shape, dtype=self.np_dtype)
        self.lengths = np.zeros(self.max_batch, dtype=np.int64)  # host-side, per sequence
        inv = 1.0 / ROPE_THETA ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
        self._inv_freq = inv  # (hd/2,)

    def with_cache(self, max_batch: int, max_context: int) -> DecodeModel:
        """The same weights (shared, not copied) with a fresh, empty cache of another size:
        ``max_batch`` [sequences] by ``max_context`` [tokens]."""
        require_positive("max_batch", max_batch)
        require_positive("max_context", max_context)
        other = object.__new__(DecodeModel)
        other.__dict__.update(self.__dict__)
        other.max_batch, other.max_context = int(max_batch), int(max_context)
        shape = (
            self.spec.n_layers,
            other.max_batch,
            self.spec.n_kv_heads,
            other.max_context,
            self.spec.head_dim,
        )
        other.k_cache = self.xp.zeros(shape, dtype=self.np_dtype)
        other.v_cache = self.xp.zeros(shape, dtype=self.np_dtype)
        other.lengths = np.zeros(other.max_batch, dtype=np.int64)
        other.touched_experts = []
        return other

    # ---- bookkeeping ---------------------------------------------------------------------
    @property
    def weight_bytes(self) -> int:
        """Bytes [B] of every weight array held (the embedding counted once when tied)."""
        arrays = [self.embed, self.final_norm] + (
            [self.lm_head] if self.lm_head is not None else []
        )
        for layer in self.layers:
            arrays += [v for v in vars(layer).values() if v is not None]
        return int(sum(a.nbytes for a in arrays))

    def reset(self, lengths=None) -> None:
        """Empty the cache (``lengths`` None) or pretend each sequence holds ``lengths`` tokens.

        Setting lengths without writing K and V is what the timing sweeps do: the cache already
        holds (zero) entries, and a step's work depends on how many it reads, not their values.
        """
        new = np.zeros(self.max_batch, dtype=np.int64)
        if lengths is not None:
            arr = np.asarray(lengths, dtype=np.int64).reshape(-1)
            if arr.size > self.max_batch or np.any(arr < 0) or np.any(arr > self.max_context):
                raise InvalidValueError(
                    "lengths", lengths, f"at most {self.max_batch} values in 0..{self.max_context}"
                )
            new[: arr.size] = arr
        self.lengths = new

    # ---- the pieces --------------------------------------------------------------------------
    def _rms_norm(self, x, weight):
        xp = self.xp
        x32 = x.astype(xp.float32, copy=False)
        scale = 1.0 / xp.sqrt(xp.mean(x32 * x32, axis=-1, keepdims=True) + RMS_EPS)
        return (x32 * scale).astype(self.np_dtype, copy=False) * weight

    def _rope_tables(self, positions: np.ndarray):
        """cos and sin (B, 1, T, hd/2) for integer positions (B, T), built on the host."""
        angles = positions[:, None, :, None].astype(np.float64) * self._inv_freq
        xp = self.xp
        cos = xp.asarray(np.cos(angles), dtype=self.np_dtype)
        sin = xp.asarray(np.sin(angles), dtype=self.np_dtype)
        return cos, sin

    def _rope(self, x, cos, sin):
        """Rotate (B, heads, T, hd) by position: the two halves of hd as (real, imaginary)."""
        half = x.shape[-1] // 2
        x1, x2 = x[..., :half], x[..., half:]
        return self.xp.concatenate((x1 * cos - x2 * sin, x2 * cos + x1 * sin), axis=-1)

    def _attention(self, li: int, x, cos, sin, starts: np.ndarray, n_new: int):
        xp, spec = self.xp, self.spec
        bsz = x.shape[0] // n_new
        h, hkv, hd = spec.n_heads, spec.n_kv_heads, spec.head_dim
        g = h // hkv
        layer = self.layers[li]
        q = (x @ layer.wq).reshape(bsz, n_new, h, hd).transpose(0, 2, 1, 3)
        k = (x @ layer.wk).reshape(bsz, n_new, hkv, hd).transpose(0, 2, 1, 3)
        v = (x @ layer.wv).reshape(bsz, n_new, hkv, hd).transpose(0, 2, 1, 3)
        q, k = self._rope(q, cos, sin), self._rope(k, cos, sin)
        kc, vc = self.k_cache[li], self.v_cache[li]
        if np.all(starts == starts[0]):  # one slice for the whole batch
            s = int(starts[0])
            kc[:bsz, :, s : s + n_new] = k
            vc[:bsz, :, s : s + n_new] = v
        else:
            for b in range(bsz):
                s = int(starts[b])
                kc[b, :, s : s + n_new] = k[b]
                vc[b, :, s : s + n_new] = v[b]
        span = int(starts.max()) + n_new  # longest sequence after this step
        keys, values = kc[:bsz, :, :span], vc[:bsz, :, :span]  # (B, Hkv, S, hd), views
        # Query heads grouped under their KV head: (B, Hkv, g T, hd), one batched matmul per
        # KV head reads its K and V once for all g query heads.
        qg = q.reshape(bsz, hkv, g * n_new, hd)
        scores = (qg @ keys.transpose(0, 1, 3, 2)).astype(xp.float32) * (1.0 / math.sqrt(hd))
        scores = scores.reshape(bsz, hkv, g, n_new, span)
        qpos = starts[:, None] + np.arange(n_new)  # (B, T) absolute positions of the new tokens
        mask = np.arange(span)[None, None, :] > qpos[:, :, None]  # (B, T, S): future or unused
        if mask.any():
            scores = xp.where(xp.asarray(mask)[:, None, None], -xp.inf, scores)
        scores -= scores.max(axis=-1, keepdims=True)
        p = xp.exp(scores)
        p /= p.sum(axis=-1, keepdims=True)
        p = p.astype(self.np_dtype, copy=False).reshape(bsz, hkv, g * n_new, span)
        out = (p @ values).reshape(bsz, h, n_new, hd).transpose(0, 2, 1, 3)
        return out.reshape(bsz * n_new, h * hd) @ layer.wo

    def _swiglu(self, x, w_gate, w_up, w_down):
        xp = self.xp
        gate = x @ w_gate
        gate32 = gate.astype(xp.float32, copy=False)
        act = (gate32 / (1.0 + xp.exp(-gate32))).astype(self.np_dtype, copy=False)
        return (act * (x @ w_up)) @ w_down

    def route(self, li: int, x):
        """Top-k experts per token and their softmax weights over the chosen logits (Mixtral).

        ``li`` is the layer's index [count], ``x`` the (N, d) hidden states; returns (chosen
        expert ids (N, k) [index], weights (N, k) [fraction], summing to 1 per token).
        """
        xp, k = self.xp, self.spec.n_experts_per_tok
        logits = (x @ self.layers[li].router).astype(xp.float32)
        chosen = xp.argsort(-logits, axis=-1)[:, :k]  # (N, k), largest first
        top = xp.take_along_axis(logits, chosen, axis=-1)
        top = xp.exp(top - top.max(axis=-1, keepdims=True))
        return chosen, (top / top.sum(axis=-1, keepdims=True)).astype(self.np_dtype)

    def _moe(self, li: int, x):
        """Grouped matmuls over the experts the batch routes to; untouched experts are not read."""
        xp, layer = self.xp, self.layers[li]
        chosen, weights = self.route(li, x)
        chosen_h = self.backend.asnumpy(chosen)
        out = xp.zeros_like(x)
        experts = np.unique(chosen_h)
        self.touched_experts.append(int(experts.size))
        for e in experts:
            rows, slot = np.nonzero(chosen_h == e)
            rows_d, slot_d = xp.asarray(rows), xp.asarray(slot)
            y = self._swiglu(x[rows_d], layer.w_gate[e], layer.w_up[e], layer.w_down[e])
            out[rows_d] += weights[rows_d, slot_d][:, None] * y  # rows are distinct per expert
        return out

    # ---- the forward pass ------------------------------------------------------------------
    def prefill(self, tokens):
        """Run new ``tokens`` (B, T) through the model after each sequence's cached ones.

        Returns logits (B, T, vocab). The K and V of the new tokens are appended to the cache
        and every sequence's length grows by T.
        """
        tok = np.asarray(self.backend.asnumpy(tokens) if self.backend.is_gpu else tokens)
        if tok.ndim != 2 or tok.shape[0] < 1 or tok.shape[1] < 1:
            raise InvalidValueError("tokens", f"shape {tok.shape}", "a (batch, new_tokens) array")
        bsz, n_new = tok.shape
        if bsz > self.max_batch:
            raise InvalidValueError(
                "tokens", f"{bsz} rows", f"at most max_batch={self.max_batch} rows"
            )
        if tok.min() < 0 or tok.max() >= self.spec.vocab_size:
            raise InvalidValueError(
                "tokens",
                f"ids {tok.min()}..{tok.max()}",
                f"token ids in 0..{self.spec.vocab_size - 1}",
            )
        starts = self.lengths[:bsz].copy()
        if int(starts.max()) + n_new > self.max_context:
            raise InvalidValueError(
                "tokens",
                f"{n_new} new tokens reaching {int(starts.max()) + n_new}",
                f"a step within the cache's max_context={self.max_context} tokens per sequence",
            )
        xp = self.xp
        self.touched_experts = []
        cos, sin = self._rope_tables(starts[:, None] + np.arange(n_new))
        x = self.embed[xp.asarray(tok.reshape(-1))]  # (B T, d): a gather, one row per token
        for li, layer in enumerate(self.layers):
            x = x + self._attention(li, self._rms_norm(x, layer.attn_norm), cos, sin, starts, n_new)
            hidden = self._rms_norm(x, layer.mlp_norm)
            if self.spec.n_experts:
                x = x + self._moe(li, hidden)
            else:
                x = x + self._swiglu(hidden, layer.w_gate, layer.w_up, layer.w_down)
        x = self._rms_norm(x, self.final_norm)
        head = self.embed.T if self.lm_head is None else self.lm_head
        logits = x @ head
        self.lengths[:bsz] += n_new
        return logits.reshape(bsz, n_new, self.spec.vocab_size)

    def decode_step(self, tokens):
        """One new token per sequence (``tokens`` of shape (B,)): logits (B, vocab)."""
        tok = np.asarray(self.backend.asnumpy(tokens) if self.backend.is_gpu else tokens)
        return self.prefill(tok.reshape(-1, 1))[:, 0]


def scaled_llama_config(
    *,
    n_layers: int,
    d_model: int,
    n_heads: int,
    n_kv_heads: int,
    d_ff: int,
    vocab_size: int,
    max_context: int,
    n_experts: int = 0,
    top_k: int = 0,
) -> dict:
    """A Llama (or, with experts, Mixtral) config.json dict for ``ModelSpec.from_hf_config``.

    ``n_layers``, ``n_heads`` and ``n_kv_heads`` [count]; ``d_model`` and ``d_ff`` (the MLP's,
    or each expert's, width) [elements]; ``vocab_size`` [tokens]; ``max_context`` [tokens];
    ``n_experts`` [count] (0: dense) of which each token uses ``top_k`` [count].

    Embeddings are tied (as in Llama 3.2 1B), so the table that is gathered for the input is
    the same one the LM head reads, and ``roofline.forward_step``'s weight bytes are exact.
    """
    cfg = {
        "model_type": "mixtral" if n_experts else "llama",
        "num_hidden_layers": n_layers,
        "hidden_size": d_model,
        "num_attention_heads": n_heads,
        "num_key_value_heads": n_kv_heads,
        "intermediate_size": d_ff,
        "vocab_size": vocab_size,
        "max_position_embeddings": max_context,
        "tie_word_embeddings": True,
    }
    if n_experts:
        cfg |= {"num_local_experts": n_experts, "num_experts_per_tok": top_k}
    return cfg

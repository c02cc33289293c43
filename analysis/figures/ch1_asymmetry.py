"""Chapter 1 figures: critical batch per chip, the H100 roofline with a model's operating
points, decode intensity against batch, and the measured GEMM sweep against its prediction."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import hardware, models, roofline
from ..measure import compare, results
from .registry import register
from .style import MARKERS, PALETTE

CHAPTER = "chapters/01-asymmetry"
SOURCE_K = 1000  # the source's "up to 1000 on H100"
DTYPE_STYLE = {
    dt: (PALETTE[i], MARKERS[i])
    for i, dt in enumerate(("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4"))
}
ROOFLINE_CHIP, ROOFLINE_MODEL, ROOFLINE_CONTEXT = "h100-sxm", "llama-3-70b", 4096
DECODE_BATCHES = (1, 8, 64, 256)
DECODE_CONTEXTS = (1024, 8192, 32768, 131072)


def _hw_sources(*fields: str) -> tuple[str, ...]:
    keys = set()
    for acc in hardware.all_accelerators():
        keys.add(acc.source("mem_bandwidth"))
        keys |= {acc.source(f"flops:{dt}") for dt in acc.dtypes}
    return tuple(sorted(keys | set(fields)))


@register(
    "ch1-critical-batch",
    title="Critical batch for every accelerator and dtype in the catalog",
    caption=(
        "Rows that must share each weight read before a matmul turns FLOP-bound, "
        "B* = F b_w / (2 W), with weights stored in the compute dtype and dense peaks. "
        "The dashed line is the source's 'up to 1000 on H100'. Matched precisions cancel: "
        "halving the bytes per weight doubles the FLOP rate, so bf16 and fp8 give the same B*."
    ),
    sources=_hw_sources("source-text"),
    chapter=CHAPTER,
    legible=True,
)
def critical_batch_figure() -> plt.Figure:
    """Draw the figure ``ch1-critical-batch``: Critical batch for every accelerator and dtype in
    the catalog."""
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    accs = hardware.all_accelerators()
    seen = set()
    for i, acc in enumerate(accs):
        dts = acc.dtypes
        for j, dt in enumerate(dts):
            color, marker = DTYPE_STYLE[dt]
            x = i + (j - (len(dts) - 1) / 2) * 0.1
            ax.scatter(
                x,
                roofline.accelerator_critical_batch(acc, dt),
                color=color,
                marker=marker,
                s=36,
                zorder=3,
                label=None if dt in seen else dt,
            )
            seen.add(dt)
    ax.axhline(SOURCE_K, color="0.3", ls="--", lw=1)
    ax.annotate(
        "source: 'up to 1000 on H100'",
        (len(accs) - 0.6, SOURCE_K),
        ha="right",
        va="bottom",
        fontsize=8,
        color="0.3",
    )
    ax.set_yscale("log")
    ax.set_xticks(range(len(accs)), [a.key for a in accs], rotation=35, ha="right")
    ax.set_ylabel("Critical batch B* (rows per weight read)")
    ax.set_title("Hundreds of sequences must share each weight read")
    ax.legend(title="compute = weight dtype", fontsize=8, ncol=4, loc="lower right")
    return fig


def _model_points() -> list[tuple[str, float]]:
    spec = models.get(ROOFLINE_MODEL)
    pts = [
        (f"decode B={b}", roofline.forward_step(spec, b, 1, ROOFLINE_CONTEXT).intensity)
        for b in DECODE_BATCHES
    ]
    pts.append(
        (
            f"prefill {ROOFLINE_CONTEXT} tokens",
            roofline.forward_step(spec, 1, ROOFLINE_CONTEXT, 0).intensity,
        )
    )
    pts.append(("decode attention (any B)", roofline.decode_attention_intensity(spec)))
    return pts


@register(
    "ch1-roofline-h100",
    title="The H100 roofline with Llama 3 70B's operating points",
    caption=(
        "Attainable dense bf16 FLOP/s against arithmetic intensity on an H100 SXM (log axes). "
        "Decode steps of Llama 3 70B at 4,096 tokens of context sit on the bandwidth slope "
        "(weights and KV read once per step, bf16); a 4,096-token prefill sits far right on the "
        "compute roof. Decode attention stays at the GQA group size whatever the batch."
    ),
    sources=("nvidia-h100-datasheet", "nvidia-hopper-whitepaper", "hf-llama3-70b"),
    chapter=CHAPTER,
    legible=True,
)
def roofline_h100_figure() -> plt.Figure:
    """Draw the figure ``ch1-roofline-h100``: The H100 roofline with Llama 3 70B's operating
    points."""
    acc = hardware.get(ROOFLINE_CHIP)
    peak, bw = acc.peak_flops("bf16"), acc.mem_bandwidth
    fig, ax = plt.subplots()
    xs = np.geomspace(0.3, 3e4, 200)
    ax.plot(xs, np.minimum(peak, xs * bw) / 1e12, color="0.2", lw=1.5, label="roofline min(F, I W)")
    ridge = peak / bw
    ax.axvline(ridge, color="0.5", ls=":", lw=1)
    ax.annotate(
        f"ridge {ridge:.0f} FLOP/B",
        (ridge, peak / 1e12 / 30),
        rotation=90,
        fontsize=8,
        ha="right",
        va="bottom",
        color="0.3",
    )
    for i, (label, inten) in enumerate(_model_points()):
        y = min(peak, inten * bw) / 1e12
        ax.scatter(
            inten,
            y,
            color=PALETTE[i % len(PALETTE)],
            marker=MARKERS[i % len(MARKERS)],
            s=45,
            zorder=3,
            label=f"{label}: {inten:.3g} FLOP/B",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Arithmetic intensity (FLOP per HBM byte)")
    ax.set_ylabel("Attainable dense bf16 (TFLOP/s)")
    ax.set_title("Decode lives on the slope, prefill on the roof (H100 SXM)")
    ax.legend(fontsize=7, loc="lower right")
    return fig


@register(
    "ch1-decode-intensity",
    title="Decode intensity of Llama 3 70B against batch size, by context length",
    caption=(
        "FLOP per HBM byte of one decode step (bf16 weights and KV cache) as the batch grows. "
        "Weights amortize over the batch, KV reads do not, so each context length has a ceiling "
        "below which the step stays memory-bound; the dashed line is the H100 SXM bf16 ridge."
    ),
    sources=("hf-llama3-70b", "nvidia-h100-datasheet", "nvidia-hopper-whitepaper"),
    chapter=CHAPTER,
    legible=True,
)
def decode_intensity_figure() -> plt.Figure:
    """Draw the figure ``ch1-decode-intensity``: Decode intensity of Llama 3 70B against batch
    size, by context length."""
    spec = models.get(ROOFLINE_MODEL)
    fig, ax = plt.subplots()
    batches = np.unique(np.geomspace(1, 4096, 49).round().astype(int))
    for i, ctx in enumerate(DECODE_CONTEXTS):
        ys = [roofline.forward_step(spec, int(b), 1, ctx).intensity for b in batches]
        ax.plot(
            batches,
            ys,
            color=PALETTE[i],
            marker=MARKERS[i],
            markevery=8,
            ms=4,
            label=f"context {ctx:,} tokens",
        )
    ridge = hardware.get(ROOFLINE_CHIP).critical_intensity("bf16")
    ax.axhline(ridge, color="0.3", ls="--", lw=1)
    ax.annotate(
        f"H100 SXM bf16 ridge {ridge:.0f} FLOP/B",
        (1.2, ridge),
        va="bottom",
        fontsize=8,
        color="0.3",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Sequences per decode step (batch B)")
    ax.set_ylabel("Intensity (FLOP per HBM byte)")
    ax.set_title("KV reads cap decode intensity (Llama 3 70B, bf16)")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def gemm_prediction_figure(doc: dict, dtypes: tuple[str, ...] | None = None) -> plt.Figure:
    """Draw the measured GEMM time per batch against the roofline prediction, one colour per
    dtype, from a roofline-suite run ``doc`` (its JSON); ``dtypes`` picks the sweeps shown
    (default: every one that ran)."""
    backend = doc["provenance"]["backend"]
    device = doc["provenance"]["device"]["name"]
    gemms = doc["results"]["gemm"]
    dtypes = dtypes or tuple(dt for dt in gemms if "error" not in gemms[dt])
    fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(9.5, 4.2))
    for i, dt in enumerate(dtypes):
        cmp_ = compare.compare_gemm(doc, dt)
        color, marker = PALETTE[i], MARKERS[i]
        bs = np.array(cmp_.batches)
        meas, pred = np.array(cmp_.measured_s), np.array(cmp_.predicted_s)
        iqr = np.array([p["timing"]["iqr_s"] for p in gemms[dt]["points"] if "error" not in p])
        flops = 2.0 * bs * cmp_.d_in * cmp_.d_out
        ax_t.errorbar(
            bs,
            meas * 1e3,
            yerr=iqr / 2 * 1e3,
            color=color,
            marker=marker,
            ms=4,
            ls="none",
            label=f"{dt} measured (median, IQR)",
        )
        ax_t.plot(
            bs,
            pred * 1e3,
            color=color,
            lw=1.2,
            label=f"{dt} predicted, median error {cmp_.median_abs_error:.0%}",
        )
        ax_f.plot(bs, flops / meas / 1e9, color=color, marker=marker, ms=4, label=f"{dt} measured")
        ax_f.plot(bs, flops / pred / 1e9, color=color, lw=1, ls="--", label=f"{dt} roofline")
        ax_f.axvline(cmp_.predicted_knee, color=color, ls=":", lw=1)
        ax_f.scatter(
            [cmp_.measured_knee],
            [cmp_.peak_flops / 1e9],
            color=color,
            marker="|",
            s=200,
            zorder=4,
            label=f"{dt} knee: predicted {cmp_.predicted_knee:.3g} (dotted), measured {cmp_.measured_knee:.3g} (bar)",
        )
    for ax in (ax_t, ax_f):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("Batch B (rows sharing one weight read)")
    ax_t.set_ylabel("Time per GEMM (ms)")
    ax_f.set_ylabel("Achieved (GFLOP/s)")
    ax_t.legend(fontsize=7, loc="upper left")
    ax_f.legend(fontsize=6, loc="lower right")
    fig.suptitle(f"GEMM sweep on {device} ({backend}): prediction from measured peak and bandwidth")
    return fig


@register(
    "ch1-gemm-prediction-cpu",
    title="GEMM time against batch on the reference CPU: measured vs predicted",
    caption=(
        "Left: median time of a (B x d)·(d x d) fp32 GEMM with weights four times the last-level "
        "cache, against the roofline prediction max(2Bd²/F, bytes/W) from the separately measured "
        "peak F (square GEMM) and streaming-read bandwidth W; nothing fitted. Right: achieved "
        "GFLOP/s with the predicted knee (dotted) and the measured knee (bar at peak)."
    ),
    sources=("this-book",),
    chapter=CHAPTER,
    legible=True,
)
def gemm_prediction_cpu_figure() -> plt.Figure:
    """Draw the figure ``ch1-gemm-prediction-cpu``: GEMM time against batch on the reference CPU:
    measured vs predicted."""
    doc = results.reference("roofline", "numpy")
    if doc is None:
        raise FileNotFoundError(
            "no stored CPU roofline reference under analysis/data/measurements/; "
            "run python -m analysis.measure --suite roofline --out ..."
        )
    return gemm_prediction_figure(doc)


def gemm_prediction_png(doc: dict) -> bytes:
    """``gemm_prediction_figure(doc)`` as PNG bytes in the book's style (for measurements not in the
    registry, such as a GPU reference that may or may not exist)."""
    import io

    from . import style
    from .registry import PNG_DPI

    with style.context():
        fig = gemm_prediction_figure(doc)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


# ---- a whole decode step and the MoE experts-touched law ----------------------------------------
MOE_MODELS = ("mixtral-8x7b", "deepseek-v3")
MOE_READ_FRACTION = 0.95  # "weight-read-complete": the batch at which 95% of experts are touched


@register(
    "ch1-moe-experts-touched",
    title="Fraction of routed expert weights a MoE decode step reads, against batch",
    caption=(
        "Expected routed experts touched per MoE layer over all experts, E(1-(1-k/E)^B)/E, for "
        "tokens routed uniformly and independently (lines); the shaded band for DeepSeek-V3 is "
        "what any routing allows, from k/E (every token picks the same experts) to min(1, Bk/E). "
        "Dots: the batch at which 95% of the experts are touched and the step reads (almost) "
        "every weight. Counts from the models' Hugging Face configs."
    ),
    sources=("hf-mixtral-8x7b", "hf-deepseek-v3"),
    chapter=CHAPTER,
    legible=True,
)
def moe_experts_touched_figure() -> plt.Figure:
    """Draw the figure ``ch1-moe-experts-touched``: Fraction of routed expert weights a MoE
    decode step reads, against batch."""
    fig, ax = plt.subplots()
    batches = np.geomspace(1, 4096, 200)
    for i, name in enumerate(MOE_MODELS):
        spec = models.get(name)
        e, k = spec.n_experts, spec.n_experts_per_tok
        frac = roofline.expected_experts_touched(e, k, batches) / e
        label = f"{models.info(name).display_name} (E={e}, k={k}), uniform routing"
        ax.plot(batches, frac, color=PALETTE[i], label=label)
        if name == "deepseek-v3":
            lo = np.full_like(batches, k / e)
            hi = np.minimum(1.0, batches * k / e)
            ax.fill_between(batches, lo, hi, color=PALETTE[i], alpha=0.15, lw=0,
                            label=f"{models.info(name).display_name}: any routing")  # fmt: skip
        b95 = roofline.weight_read_complete_batch(e, k, MOE_READ_FRACTION)
        ax.scatter([b95], [MOE_READ_FRACTION], color=PALETTE[i], marker=MARKERS[i], zorder=4)
        ax.annotate(f"95% at B = {b95:.0f}", (b95, MOE_READ_FRACTION), xytext=(6, -14),
                    textcoords="offset points", fontsize=8, color=PALETTE[i])  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("Tokens per decode step (batch B)")
    ax.set_ylabel("Routed experts touched / all experts")
    ax.set_ylim(0, 1.05)
    ax.set_title("A MoE step reads all its experts beyond a small batch")
    ax.legend(fontsize=7, loc="lower right")
    return fig


def decode_step_figure(doc: dict) -> plt.Figure:
    """Draw measured decode step times against ``roofline.forward_step``'s prediction (3 panels,
    stacked at the column's width so that the page shows them at full size), from a decode-suite
    run ``doc`` (its JSON)."""
    from ..measure import decode_suite

    s = decode_suite.summarize(doc)
    fig, (ax_d, ax_m, ax_e) = plt.subplots(3, 1, figsize=(7.0, 11.0))
    bs = np.array([p.batch for p in s.batch])
    meas = np.array([p.measured_s for p in s.batch]) * 1e3
    iqr = np.array([p.iqr_s for p in s.batch]) * 1e3
    ax_d.errorbar(bs, meas, yerr=iqr / 2, color=PALETTE[0], marker=MARKERS[0], ms=4, ls="none",
                  label="measured (median, IQR)")  # fmt: skip
    ax_d.plot(bs, [p.predicted_s * 1e3 for p in s.batch], color=PALETTE[0], lw=1.2,
              label="predicted from measured W and F")  # fmt: skip
    ax_d.axvline(s.predicted_knee, color="0.3", ls=":", lw=1,
                 label=f"knee: predicted {s.predicted_knee:.3g} (dotted)")  # fmt: skip
    ax_d.axvline(s.measured_knee, color="0.3", ls="--", lw=1,
                 label=f"knee: measured {s.measured_knee:.3g} (dashed)")  # fmt: skip
    ax_d.set_title(f"Dense ({s.dense_spec.n_params / 1e9:.2f} B params, {s.dtype})", fontsize=9)
    mb = np.array([p.batch for p in s.moe])
    ax_m.errorbar(mb, [p.measured_s * 1e3 for p in s.moe],
                  yerr=[p.iqr_s / 2 * 1e3 for p in s.moe], color=PALETTE[1], marker=MARKERS[1],
                  ms=4, ls="none", label="measured (median, IQR)")  # fmt: skip
    ax_m.plot(mb, [p.predicted_s * 1e3 for p in s.moe], color=PALETTE[1], lw=1.2,
              label="predicted (expected experts read)")  # fmt: skip
    moe = s.moe_spec
    assert moe is not None  # a stored decode run always has its MoE sweep
    e, k = moe.n_experts, moe.n_experts_per_tok
    ax_m.set_title(f"MoE ({moe.n_params / 1e9:.2f} B params, N_E={e}, k_E={k})", fontsize=9)
    grid = np.geomspace(1, mb.max(), 100)
    ax_e.plot(grid, roofline.expected_experts_touched(e, k, grid), color=PALETTE[2],
              label="N_E(1-(1-k_E/N_E)^B), uniform routing")  # fmt: skip
    ax_e.fill_between(grid, k, np.minimum(e, grid * k), color=PALETTE[2], alpha=0.15, lw=0,
                      label="any routing: k_E to min(N_E, B k_E)")  # fmt: skip
    ax_e.scatter(mb, [p.experts_touched for p in s.moe], color=PALETTE[1], marker=MARKERS[1],
                 zorder=4, label="measured (mean over layers and repeats)")  # fmt: skip
    ax_e.set_ylabel("Experts touched per layer")
    ax_e.set_title("Experts a step touched", fontsize=9)
    for ax in (ax_d, ax_m, ax_e):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("Batch B (sequences per step)")
    for ax in (ax_d, ax_m):
        ax.set_yscale("log")
        ax.set_ylabel("Time per decode step (ms)")
    for ax in (ax_d, ax_m, ax_e):
        ax.legend(fontsize=6)
    fig.suptitle(f"A whole decode step on {s.device} ({s.backend}), context "
                 f"{s.batch[0].context} tokens: measured vs predicted")  # fmt: skip
    return fig


@register(
    "ch1-decode-step-cpu",
    title="A whole decode step on the reference CPU: measured vs predicted",
    caption=(
        "Top: median time of one decode step of a scaled Llama (fp32, tied embeddings) at a "
        "128-token context against the batch, beside max(FLOPs/F, bytes/W) from "
        "roofline.forward_step with the bandwidth W and GEMM rate F measured in the same run; "
        "nothing fitted. Middle: the same for a mixture-of-experts variant, whose predicted "
        "bytes read only the experts a batch is expected to touch. Bottom: the experts each MoE "
        "step touched, against the law and its routing-independent bounds."
    ),
    sources=("this-book",),
    chapter=CHAPTER,
    legible=True,
)
def decode_step_cpu_figure() -> plt.Figure:
    """Draw the figure ``ch1-decode-step-cpu``: A whole decode step on the reference CPU:
    measured vs predicted."""
    doc = results.reference("decode", "numpy")
    if doc is None:
        raise FileNotFoundError(
            "no stored CPU decode reference under analysis/data/measurements/; "
            "run python -m analysis.measure --suite decode --out analysis/data/measurements/"
        )
    return decode_step_figure(doc)

"""Chapter 2 figures: instances against context, fleet size, KV sharing, the measured speed-up."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .. import hardware, memory, models, scenarios, sharing
from ..errors import DefinitionError, require_count, require_name
from ..measure import reference
from .registry import register
from .style import MARKERS, PALETTE

CHAPTER = "chapters/02-vram"
ACCS = ("h100-sxm", "h200", "b200")
CONTEXTS = tuple(2**i for i in range(10, 18))  # 1K .. 128K tokens
FLEET_CONTEXTS = (8192, 32_768, 131_072)
FLEET = scenarios.get("source-fleet")  # the source's fleet: Llama 3 70B, 8-GPU nodes, 40 tokens/s
if FLEET.tokens_per_s is None or FLEET.cluster_gpus is None:
    raise DefinitionError("scenario source-fleet must state its speed and its fleet size")
SPEED: float = FLEET.tokens_per_s
CLUSTER_GPUS: int = FLEET.cluster_gpus
GROUP = FLEET.n_gpus  # one 8-GPU NVLink node


def _hw_sources(keys=ACCS) -> tuple[str, ...]:
    out = set()
    for key in keys:
        acc = hardware.get(key)
        out |= {acc.source("mem_bytes"), acc.source("mem_bandwidth")}
    return tuple(sorted(out))


HYBRID_ACC = "h200"
# (catalog model, what its windowed layers do): hybrid attention against its own counterfactual.
HYBRID_MODELS = (
    ("gpt-oss-120b", "18 of 36 layers slide over 128 tokens"),
    ("llama-4-scout", "36 of 48 layers attend in 8,192-token chunks"),
)


def _per_gpu(acc: str, ctx: int, dtype: str, model="llama-3-70b") -> float:
    try:
        return memory.serving_limits(
            model, acc, ctx, group_gpus=GROUP, weight_dtype=dtype
        ).instances_per_gpu
    except memory.InfeasibleServingError:
        return np.nan


@register(
    "ch2-instances-vs-context",
    title="Instances per GPU against context: full and hybrid attention",
    caption=(
        "Top: most concurrent Llama-3-70B instances per GPU in an 8-GPU group (weights held once "
        "per group, the rest of HBM for KV caches), bf16 (solid) and fp8 weights and KV (dashed), "
        "against context on log axes. The grey line is the source's throughput-only figure: "
        "2,000 tokens/s per GPU over 40 tokens/s per instance = 50 instances per GPU. Bottom: the "
        "same count on 8 H200s in bf16 for two hybrid-attention models as released (solid) and "
        "with every layer keeping the whole context (dotted): gpt-oss-120b keeps 128 tokens in "
        "half its layers, Llama 4 Scout at most 8,192 in three layers of four."
    ),
    sources=(
        "hf-llama3-70b",
        "hf-gpt-oss-120b",
        "hf-llama4-scout",
        "source-text",
        *_hw_sources((*ACCS, HYBRID_ACC)),
    ),
    chapter=CHAPTER,
    legible=True,
)
def instances_vs_context() -> plt.Figure:
    """Draw the figure ``ch2-instances-vs-context``: Instances per GPU against context: full and
    hybrid attention."""
    # two panels stacked, each the column's width, so that the page shows them at full size
    fig, (ax, hx) = plt.subplots(2, 1, figsize=(7.0, 8.4), sharex=True)
    ctx = np.array(CONTEXTS)
    for i, acc in enumerate(ACCS):
        for dtype, ls in (("bf16", "-"), ("fp8", "--")):
            ys = [_per_gpu(acc, c, dtype) for c in CONTEXTS]
            ax.plot(
                ctx,
                ys,
                ls=ls,
                marker=MARKERS[i],
                color=PALETTE[i],
                ms=4,
                label=f"{hardware.get(acc).name}, {dtype}",
            )
    ratio = memory.SOURCE_GPU_TOKENS_PER_S.value / SPEED
    for a in (ax, hx):
        a.axhline(
            ratio,
            color="0.5",
            lw=1,
            label=(
                f"throughput-only: {memory.SOURCE_GPU_TOKENS_PER_S.value:,.0f} / {SPEED:.0f} = "
                f"{ratio:.0f} per GPU"
            ),
        )
    for j, (name, what) in enumerate(HYBRID_MODELS):
        spec = models.get(name)
        color = PALETTE[3 + j]
        for variant, ls, label in (
            (spec, "-", f"{models.info(name).display_name}: {what}"),
            (spec.with_full_attention(), ":", "same, every layer full"),
        ):
            ys = [_per_gpu(HYBRID_ACC, c, "bf16", variant) for c in CONTEXTS]
            hx.plot(ctx, ys, ls=ls, marker=MARKERS[3 + j], color=color, ms=4, label=label)
    for a in (ax, hx):
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xticks(ctx, [f"{c // 1024}K" for c in ctx])
        a.set_ylabel("Concurrent instances per GPU")
        a.tick_params(axis="x", labelbottom=True)
    hx.set_xlabel("Context per instance (tokens)")
    ax.set_title("Llama-3-70B: memory, not throughput, sets the count")
    hx.set_title(f"Hybrid attention on 8x {hardware.get(HYBRID_ACC).name}, bf16")
    ax.legend(ncol=2)
    hx.legend()
    return fig


@register(
    "ch2-fleet-vs-instances",
    title="GPUs needed for N concurrent Llama-3-70B instances at 40 tokens/s",
    caption=(
        "GPUs (8-GPU groups, bf16 weights and KV) needed for N concurrent Llama-3-70B instances "
        "at 40 tokens/s each, at 8K, 32K and 128K context, on H100s (solid) and H200s (dashed): "
        "the larger of the capacity and bandwidth requirements, the binding one named in the "
        "legend. The dotted line is the throughput-only count (N x 40 / 2,000) and the grey line "
        "a 24,000-GPU cluster."
    ),
    sources=("hf-llama3-70b", "source-text", *_hw_sources(("h100-sxm", "h200"))),
    chapter=CHAPTER,
    legible=True,
)
def fleet_vs_instances() -> plt.Figure:
    """Draw the figure ``ch2-fleet-vs-instances``: GPUs needed for N concurrent Llama-3-70B
    instances at 40 tokens/s."""
    fig, ax = plt.subplots()
    ns = np.geomspace(1e3, 1e7, 9).round().astype(int)
    for acc, ls in (("h100-sxm", "-"), ("h200", "--")):
        for i, ctx in enumerate(FLEET_CONTEXTS):
            fleets = [
                memory.fleet_size(FLEET.model, acc, int(n), ctx, SPEED, group_gpus=GROUP)
                for n in ns
            ]
            ax.plot(
                ns,
                [f.gpus for f in fleets],
                ls=ls,
                marker=MARKERS[i],
                color=PALETTE[i],
                ms=4,
                label=f"{acc.split('-')[0].upper()}, {ctx // 1024}K ({fleets[-1].binding} binds)",
            )
    tput = memory.SOURCE_GPU_TOKENS_PER_S.value
    ax.plot(ns, ns * SPEED / tput, ls=":", color="0.3", label="throughput-only (N x 40 / 2,000)")
    ax.axhline(CLUSTER_GPUS, color="0.6", lw=1)
    ax.annotate(
        f"{CLUSTER_GPUS:,} GPUs",
        (ns[-1], CLUSTER_GPUS),
        fontsize=8,
        color="0.4",
        va="top",
        ha="right",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Concurrent instances N")
    ax.set_ylabel("GPUs needed")
    ax.set_title("Fleet size is linear in N; context sets the slope")
    ax.legend(fontsize=7, ncol=2)
    return fig


@register(
    "ch2-ratio-fleet",
    title="GPUs for one million instances of a 100T-parameter model against the dynamic ratio",
    caption=(
        "Lower bound on the GPUs that hold and drive one million concurrent instances of a "
        "100-trillion-parameter model at 40 tokens/s, when each instance's KV cache is a fraction "
        "(the dynamic ratio) of the weight bytes; weights are amortized over very large groups. "
        "Solid bf16, dashed fp8. The grey line marks the source's 'on order 10M GPUs' at 1%."
    ),
    sources=("source-text", *_hw_sources()),
    chapter=CHAPTER,
    legible=True,
)
def ratio_fleet_figure() -> plt.Figure:
    """Draw the figure ``ch2-ratio-fleet``: GPUs for one million instances of a 100T-parameter
    model against the dynamic ratio."""
    fig, ax = plt.subplots()
    ratios = np.geomspace(1e-4, 1e-1, 31)
    for i, acc in enumerate(ACCS):
        for dtype, ls in (("bf16", "-"), ("fp8", "--")):
            gpus = [
                memory.ratio_fleet(
                    1e6, 1e14, r, weight_dtype=dtype, accelerator=acc, tokens_per_s=SPEED
                ).gpus
                for r in ratios
            ]
            ax.plot(
                ratios * 100,
                gpus,
                ls=ls,
                color=PALETTE[i],
                label=f"{hardware.get(acc).name}, {dtype}",
            )
    ax.axhline(1e7, color="0.6", lw=1)
    ax.axvline(1.0, color="0.6", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Dynamic ratio: per-instance KV bytes / weight bytes (%)")
    ax.set_ylabel("GPUs (lower bound)")
    ax.set_title("1M instances of a 100T model: GPUs scale with the ratio")
    ax.legend(fontsize=7, ncol=2)
    return fig


SHARE_PREFIX, SHARE_STEP, SHARE_BLOCK = 4096, 256, 16


@register(
    "ch2-sharing-vs-branching",
    title="KV memory saved by sharing across tree-search agents",
    caption=(
        "Concurrency gained (private-copy KV blocks over shared blocks, i.e. how many times more "
        "trees fit in the same memory) for tree-search agents with a 4,096-token prompt, 256 "
        "tokens per step and 16-token blocks, against the branching factor b, for depths 1 to 4 "
        "(exact closed form, checked against the prefix-tree simulator in the tests). Dotted: "
        "the wide-tree limit (P + d t) / t, a leaf's whole path over its own last step."
    ),
    sources=("vllm-paper",),
    chapter=CHAPTER,
    legible=True,
)
def sharing_vs_branching() -> plt.Figure:
    """Draw the figure ``ch2-sharing-vs-branching``: KV memory saved by sharing across
    tree-search agents."""
    fig, ax = plt.subplots()
    bs = np.arange(1, 17)
    for depth in range(1, 5):
        gains = [
            sharing.tree_gain(
                SHARE_PREFIX, int(b), depth, SHARE_STEP, block_tokens=SHARE_BLOCK
            ).concurrency_gain
            for b in bs
        ]
        ax.plot(
            bs,
            gains,
            marker=MARKERS[depth - 1],
            color=PALETTE[depth - 1],
            ms=4,
            label=f"depth d = {depth}",
        )
        limit = float(
            sharing.TREE_GAIN_LIMIT.subs(
                {sharing.Pp: SHARE_PREFIX, sharing.d: depth, sharing.t: SHARE_STEP}
            )
        )
        ax.axhline(limit, color=PALETTE[depth - 1], ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("Branching factor b")
    ax.set_ylabel("Concurrency gain (unshared / shared KV)")
    ax.set_title("Wide trees: the gain saturates at (P + d t) / t")
    ax.legend(fontsize=8)
    return fig


def _reference_points(backend: str, axis: str):
    doc = reference("sharing", backend)
    if doc is None:
        return None, []
    pts = [p for p in doc["results"]["sweeps"][axis] if "error" not in p and "skipped" not in p]
    return doc, pts


@register(
    "ch2-shared-prefix-speedup",
    title="Measured speed-up of reading a shared prefix once",
    caption=(
        "Decode attention for n branches sharing an L_p-token prefix, each with U tokens of its "
        "own: time per branch over time reading the prefix once (median of interleaved pairs, "
        "bars the quartiles), from the stored reference runs, against the bytes ratio "
        "n(L_p+U)/(L_p+nU) (line). Left: n varies; middle: L_p; right: U; the others at the base "
        "point."
    ),
    sources=("this-book",),
    chapter=CHAPTER,
    legible=True,
)
def shared_prefix_speedup() -> plt.Figure:
    """Draw the figure ``ch2-shared-prefix-speedup``: Measured speed-up of reading a shared
    prefix once."""
    fig, axes = plt.subplots(1, 3, figsize=(9.5, 3.6), sharey=True)
    labels = {
        "k": "branches n",
        "prefix": "prefix L$_p$ (tokens)",
        "suffix": "own tokens U per branch",
    }
    for ax, axis in zip(axes, ("k", "prefix", "suffix"), strict=True):
        for j, backend in enumerate(("numpy", "cupy")):
            doc, pts = _reference_points(backend, axis)
            if not pts:
                continue
            xs = [p[axis] for p in pts]
            med = np.array([p["speedup_measured"] for p in pts])
            # quartiles of the interleaved pairs' ratios, from the stored per-repeat times
            quart = np.array(
                [
                    np.percentile(
                        np.divide(p["per_branch"]["times_s"], p["prefix_once"]["times_s"]), [25, 75]
                    )
                    for p in pts
                ]
            )
            yerr = np.clip(np.stack([med - quart[:, 0], quart[:, 1] - med]), 0, None)
            name = doc["provenance"]["device"]["name"]
            ax.errorbar(
                xs,
                med,
                yerr=yerr,
                marker=MARKERS[j],
                color=PALETTE[j],
                ls="none",
                capsize=2,
                label=f"measured, {name}",
            )
            ax.plot(xs, [p["speedup_predicted"] for p in pts], color=PALETTE[j], lw=1, alpha=0.6)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel(labels[axis])
    axes[0].set_ylabel("Speed-up (per-branch / prefix-once)")
    axes[0].legend(fontsize=7)
    fig.suptitle("Reading the shared prefix once: measured against the bytes ratio (lines)")
    return fig


# ---- an SRAM-only chip: weights sharded over hundreds of chips, a fraction of an instance each ----
SRAM_CHIP = "groq-lpu"
SRAM_HBM_CHIPS = ("h100-sxm", "b200")  # the HBM chips it is set against
SRAM_MODEL, SRAM_DTYPE, SRAM_CONTEXT = "llama-3-70b", "fp8", 8192
SRAM_GROUPS = tuple(2**i for i in range(13))  # 1 .. 4,096 chips sharing one weight copy


def _sram_compute_dtype(acc: str) -> str | None:
    """Compute dtype for fp8 weights: the chip's own fp8, else fp16 (the LPU lists fp16, int8)."""
    return None if SRAM_DTYPE in hardware.get(acc).flops else "fp16"


def sram_limits(acc: str, group_chips: int) -> memory.GroupLimits:
    """``memory.serving_limits`` for the SRAM comparison: Llama-3-70B, fp8 weights and KV, 8K.

    ``acc`` is the chip's catalog name, ``group_chips`` [count] the chips sharing one weight
    copy; the limits are in [instances] per group.
    """
    require_name("acc", acc, hardware.NAMES, kind="accelerator")
    group_chips = require_count("group_chips", group_chips)
    return memory.serving_limits(
        SRAM_MODEL,
        acc,
        SRAM_CONTEXT,
        group_gpus=group_chips,
        weight_dtype=SRAM_DTYPE,
        compute_dtype=_sram_compute_dtype(acc),
    )


def sram_per_chip(acc: str, group_chips: int) -> float | None:
    """Instances per chip [count] of ``acc`` (a catalog name) in a group of ``group_chips``
    [count]; None where one does not fit."""
    try:
        return sram_limits(acc, group_chips).instances_per_gpu
    except memory.InfeasibleServingError:
        return None


def smallest_group(acc: str, max_chips: int = 1 << 16) -> int:
    """Fewest chips [count] of ``acc`` (a catalog name) whose memory holds one weight copy and
    one instance's KV; more than ``max_chips`` [count] raises ``InfeasibleServingError``.

    Found with ``memory.serving_limits`` alone (feasibility is monotone in the group size):
    doubling to a feasible size, then bisecting.
    """
    require_name("acc", acc, hardware.NAMES, kind="accelerator")
    max_chips = require_count("max_chips", max_chips)
    hi = 1
    while sram_per_chip(acc, hi) is None:
        hi *= 2
        if hi > max_chips:
            raise memory.InfeasibleServingError(f"{acc}: no group of up to {max_chips} chips")
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if sram_per_chip(acc, mid) is not None else (mid, hi)
    return hi


def sram_chips_per_instance_limit(acc: str) -> float:
    """Chips per instance [count] of ``acc`` (a catalog name) as groups grow without bound: one
    instance's KV over one chip."""
    kv = models.get(SRAM_MODEL).kv_cache_bytes(SRAM_CONTEXT, SRAM_DTYPE)
    return memory.kv_only_gpus(1, kv, acc)


@register(
    "ch2-sram-instances",
    title="An SRAM-only chip against HBM GPUs: instances per chip as weights are sharded",
    caption=(
        "Most concurrent Llama-3-70B instances (fp8 weights and KV, 8K context) per chip "
        "against the number of chips that share one weight copy, on log axes, for the Groq "
        "LPU (230 MB of on-die SRAM at 80 TB/s) and two HBM GPUs. The LPU needs hundreds of "
        "chips before one instance fits, and even in unboundedly large groups holds less than "
        "one 8K-token sequence per chip (dotted lines: memory over one instance's KV); an HBM "
        "GPU holds one copy alone and tens of sequences each."
    ),
    sources=("hf-llama3-70b", *_hw_sources((SRAM_CHIP, *SRAM_HBM_CHIPS))),
    chapter=CHAPTER,
    legible=True,
)
def sram_instances() -> plt.Figure:
    """Draw the figure ``ch2-sram-instances``: An SRAM-only chip against HBM GPUs: instances per
    chip as weights are sharded."""
    fig, ax = plt.subplots()
    colors = {SRAM_CHIP: PALETTE[3], "h100-sxm": PALETTE[0], "b200": PALETTE[2]}  # as ACCS
    for i, acc in enumerate((SRAM_CHIP, *SRAM_HBM_CHIPS)):
        color, first = colors[acc], smallest_group(acc)
        groups = sorted({first, *(g for g in SRAM_GROUPS if g >= first)})
        ys = [math.nan if (v := sram_per_chip(acc, g)) is None else v for g in groups]
        ax.plot(groups, ys, marker=MARKERS[i], color=color, ms=4, label=hardware.get(acc).name)
        ax.axhline(1 / sram_chips_per_instance_limit(acc), color=color, ls=":", lw=1)
        if acc == SRAM_CHIP:
            ax.annotate(
                f"one instance first fits\nin {first:,} chips",
                (first, sram_per_chip(acc, first)),
                xytext=(-110, 4),
                textcoords="offset points",
                fontsize=8,
                color=color,
                arrowprops={"arrowstyle": "->", "color": color, "lw": 0.8},
            )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("Chips sharing one copy of the weights")
    ax.set_ylabel("Concurrent instances per chip")
    ax.set_xticks(SRAM_GROUPS[::2], [f"{g:,}" for g in SRAM_GROUPS[::2]])
    ax.set_ylim(1e-3, 500)
    ax.set_title("Fast memory, little of it: capacity binds harder")
    ax.legend(fontsize=7, loc="center right")
    return fig


def decode_context_figure(doc: dict) -> plt.Figure:
    """Draw the measured decode step time [ms] against context [tokens] at a fixed batch,
    beside the KV law, from a decode-suite run ``doc`` (its JSON)."""
    from ..measure import decode_suite

    s = decode_suite.summarize(doc)
    fig, ax = plt.subplots()
    ctx = np.array([p.context for p in s.context])
    ax.errorbar(ctx, [p.measured_s * 1e3 for p in s.context],
                yerr=[p.iqr_s / 2 * 1e3 for p in s.context], color=PALETTE[0],
                marker=MARKERS[0], ms=4, ls="none", label="measured (median, IQR)")  # fmt: skip
    ax.plot(ctx, [p.predicted_s * 1e3 for p in s.context], color=PALETTE[0], lw=1.2,
            label="predicted: (weights + B k (L+1)) / W")  # fmt: skip
    meas_slope = s.kv_slope_measured_s_per_token * 1e6
    pred_slope = s.kv_slope_predicted_s_per_token * 1e6
    ax.text(0.03, 0.85, f"KV-read slope, µs per cached token:\nmeasured {meas_slope:.3g}, "
            f"predicted {pred_slope:.3g}", transform=ax.transAxes, fontsize=8)  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xlabel("Context L (tokens cached per sequence)")
    ax.set_ylabel("Time per decode step (ms)")
    b = s.context[0].batch
    ax.set_title(f"Decode step against context, batch {b}, on {s.device}", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="lower right")
    return fig


@register(
    "ch2-decode-context-cpu",
    title="A decode step against context on the reference CPU, beside the KV law",
    caption=(
        "Median time of one decode step of the scaled Llama (fp32) at a fixed batch as every "
        "sequence's cached context grows, against the prediction from roofline.forward_step: "
        "the weights once plus each sequence's KV, k bytes per cached token, over the bandwidth "
        "W measured in the same run. The slope is the KV read; nothing fitted."
    ),
    sources=("this-book",),
    chapter=CHAPTER,
    legible=True,
)
def decode_context_cpu_figure() -> plt.Figure:
    """Draw the figure ``ch2-decode-context-cpu``: A decode step against context on the reference
    CPU, beside the KV law."""
    doc = reference("decode", "numpy")
    if doc is None:
        raise FileNotFoundError(
            "no stored CPU decode reference under analysis/data/measurements/; "
            "run python -m analysis.measure --suite decode --out analysis/data/measurements/"
        )
    return decode_context_figure(doc)

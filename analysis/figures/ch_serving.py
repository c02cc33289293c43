"""Serving chapter figures: the frontier, its price, TTFT/TPOT against batch, the residuals."""

from __future__ import annotations

from functools import cache
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from .. import hardware, memory, prices, serving
from .. import serving_validation as V
from ..errors import require_name
from .registry import as_of, register
from .style import MARKERS, PALETTE

CHAPTER = "chapters/04-serving"
ACCS = ("h100-sxm", "h200", "b200", "mi300x")
SHORT = {"h100-sxm": "H100", "h200": "H200", "b200": "B200", "mi300x": "MI300X"}
# (model, weight dtype, KV dtype, group sizes): a dense 70B and a large MoE, both in fp8.
CASES = {
    "dense": ("llama-3-70b", "fp8", "fp8", (1, 2, 4, 8)),
    "moe": ("deepseek-v3", "fp8", "fp8", (8,)),
}
LENGTHS = (1024, 256)  # input, output tokens per request
BATCH_CASE = ("llama-3-70b", "h200", 1, "fp8", "fp8")
BATCHES = tuple(2**i for i in range(0, 11))
SPEC: dict[str, Any] = {
    "draft_tokens": 3,
    "acceptance": 0.7,
}  # an illustrative draft; see the chapter


def frontier_points(case: str, acc: str) -> tuple[serving.Prediction, ...]:
    """The frontier of ``case`` on ``acc`` (empty when the weights fit no listed group)."""
    require_name("case", case, CASES, kind="serving case")
    return _frontier_points(case, require_name("acc", acc, hardware.NAMES, kind="accelerator"))


@cache
def _frontier_points(case: str, acc: str) -> tuple[serving.Prediction, ...]:
    model, wd, kd, groups = CASES[case]
    try:
        return tuple(serving.frontier(model, acc, wd, kd, *LENGTHS, n_gpus=groups))
    except memory.InfeasibleServingError:
        return ()


def _sources(accs=ACCS, model_keys=("hf-llama3-70b", "hf-deepseek-v3")) -> tuple[str, ...]:
    keys = {*model_keys, "mlperf-inference-rules"}
    for a in accs:
        acc = hardware.get(a)
        keys |= {acc.source("mem_bandwidth"), acc.source("flops:fp8"), acc.source("mem_bytes")}
        keys |= {r.source for r in serving.efficiency(a).values()}
    return tuple(sorted(keys))


def _log_axes(ax, x_base: int = 10) -> None:
    """Log axes with plain-number major labels and no minor labels."""
    ax.set_xscale("log", base=x_base)
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())


def _tpot_limit(ax, labelled: bool = True) -> None:
    """MLPerf's interactive limit as a dotted vertical line, named in the legend (a label
    written on the plot crossed the curves of the frontier)."""
    limit = 1 / serving.MLPERF_INTERACTIVE_TPOT_S.value
    label = f"MLPerf interactive: TPOT ≤ {serving.MLPERF_INTERACTIVE_TPOT_S.value * 1e3:.0f} ms"
    ax.axvline(limit, color="0.4", lw=1, ls=":", label=label if labelled else None)


@register(
    "serving-frontier",
    legible=True,
    title="The throughput-interactivity frontier",
    caption=(
        "Predicted Pareto frontier of output tokens/s per GPU against tokens/s per user, over "
        "batch and tensor-parallel group size (1, 2, 4, 8 GPUs), for Llama-3-70B (left) and "
        "DeepSeek-V3 on 8 GPUs (right), fp8 weights and KV, 1,024 input and 256 output tokens. "
        "The dotted line is MLPerf's interactive limit (TPOT 40 ms, 25 tokens/s per user). "
        "DeepSeek-V3's 671 GB of fp8 weights do not fit in eight 80 GB H100s."
    ),
    sources=_sources(),
    chapter=CHAPTER,
)
def frontier_figure() -> plt.Figure:
    """Draw figure ``serving-frontier``: The throughput-interactivity frontier."""
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 4.2))
    for ax, (case, label) in zip(
        axes, (("dense", "Llama-3-70B"), ("moe", "DeepSeek-V3")), strict=True
    ):
        for i, acc in enumerate(ACCS):
            pts = frontier_points(case, acc)
            if not pts:
                continue
            x = [p.output_tokens_per_s_per_user for p in pts]
            y = [p.output_tokens_per_s_per_gpu for p in pts]
            ax.plot(x, y, marker=MARKERS[i], ms=3, color=PALETTE[i], label=hardware.get(acc).name)
        _tpot_limit(ax)
        _log_axes(ax)
        ax.set_xlabel("Output tokens/s per user")
        ax.set_title(label, fontsize=10)
    axes[0].set_ylabel("Output tokens/s per GPU")
    axes[0].legend(fontsize=7)
    fig.suptitle("Faster users cost throughput per GPU", fontsize=11)
    return fig


def cost_rows() -> list[tuple[str, prices.RentalRow, tuple[tuple[float, float], ...]]]:
    """(accelerator, rental row, ((tokens/s/user [tokens/s], $ per M output tokens [USD]), ...))
    for the chips with a rental price."""
    out = []
    for acc in ACCS:
        row = serving.rental_price(acc)
        pts = frontier_points("dense", acc)
        if row is None or not pts:
            continue
        usd = row.usd_per_gpu_hour
        pairs = tuple(
            (p.output_tokens_per_s_per_user, serving.usd_per_million_output_tokens(p, usd))
            for p in pts
        )
        out.append((acc, row, pairs))
    return out


@register(
    "serving-cost",
    legible=True,
    title="Dollars per million output tokens along the frontier",
    caption=(
        "Rental cost per million output tokens along the Llama-3-70B fp8 frontier of the "
        "previous figure, at the cheapest dated GPU rental price in chapter 5's catalog for "
        "each chip that has one. The dotted line is MLPerf's interactive limit. "
        + as_of("gpu-rentals")
    ),
    sources=tuple(
        sorted({*_sources(), *(r.source for a in ACCS if (r := serving.rental_price(a)))})
    ),
    chapter=CHAPTER,
)
def cost_figure() -> plt.Figure:
    """Draw figure ``serving-cost``: Dollars per million output tokens along the frontier."""
    fig, ax = plt.subplots()
    for acc, row, pairs in cost_rows():
        i = ACCS.index(acc)
        x, y = zip(*pairs, strict=True)
        label = f"{hardware.get(acc).name}, ${row.usd_per_gpu_hour:.2f}/GPU-h ({row.provider}, {row.date.isoformat()})"
        ax.plot(x, y, marker=MARKERS[i], ms=3, color=PALETTE[i], label=label)
    _tpot_limit(ax)
    _log_axes(ax)
    ax.set_xlabel("Output tokens/s per user")
    ax.set_ylabel("USD per million output tokens")
    ax.set_title("Interactivity is what the price buys")
    ax.legend(fontsize=7)
    return fig


@cache
def batch_sweep() -> dict[str, tuple]:
    """TTFT, TPOT and binding against batch for ``BATCH_CASE``, plain and with speculation."""
    model, acc, g, wd, kd = BATCH_CASE
    cap = serving.max_batch(serving._setup(model, acc, g, wd, kd), *LENGTHS)
    bs = tuple(b for b in BATCHES if b <= cap) + ((cap,) if cap not in BATCHES else ())
    plain = tuple(serving.predict(model, acc, g, wd, kd, b, *LENGTHS) for b in bs)
    spec = tuple(serving.predict(model, acc, g, wd, kd, b, *LENGTHS, **SPEC) for b in bs)
    return {"batches": bs, "plain": plain, "spec": spec}


@register(
    "serving-batch",
    legible=True,
    title="TTFT and TPOT against batch",
    caption=(
        "Predicted time to first token (1,024-token prompt) and time per output token of "
        "Llama-3-70B fp8 on one H200 against the batch, up to the largest batch that fits; the "
        "marker shows what binds each step (memory, compute). Dashed: with speculative "
        "decoding, 3 draft tokens at acceptance 0.7 and a draft costing one layer's share."
    ),
    sources=_sources(("h200",), ("hf-llama3-70b",)),
    chapter=CHAPTER,
)
def batch_figure() -> plt.Figure:
    """Draw figure ``serving-batch``: TTFT and TPOT against batch."""
    data = batch_sweep()
    bs = np.array(data["batches"])
    fig, ax = plt.subplots()
    marks = {"memory": "o", "compute": "s", "communication": "^", "capacity": "D"}
    for key, ls, lab in (("plain", "-", ""), ("spec", "--", " (speculative)")):
        preds = data[key]
        ax.plot(bs, [p.tpot_s * 1e3 for p in preds], ls=ls, color=PALETTE[0], label="TPOT" + lab)
        if key == "plain":
            ax.plot(bs, [p.ttft_s * 1e3 for p in preds], ls=ls, color=PALETTE[1], label="TTFT")
            for b, p in zip(bs, preds, strict=True):
                ax.plot(b, p.tpot_s * 1e3, marks[p.binding], color=PALETTE[0], ms=5)
    for name, m in (("memory-bound step", "o"), ("compute-bound step", "s")):
        ax.plot([], [], m, color=PALETTE[0], label=name)
    ax.axhline(serving.MLPERF_INTERACTIVE_TPOT_S.value * 1e3, color="0.4", lw=1, ls=":")
    _log_axes(ax, 2)
    ax.set_xlabel("Batch (concurrent requests)")
    ax.set_ylabel("Milliseconds")
    ax.set_title("Latency is flat until the step turns compute-bound")
    ax.legend(fontsize=7)
    return fig


REGIME_COLOURS = {
    "memory": PALETTE[0],
    "capacity": PALETTE[5],
    "compute": PALETTE[1],
    "communication": PALETTE[2],
    "speculative": PALETTE[3],
}


@register(
    "serving-residuals",
    legible=True,
    title="Predicted over measured, every published point",
    caption=(
        "Predicted over measured speed for every published serving result in the validation "
        "table (throughput: tokens/s of the group; latency: tokens/s per user, or the inverse "
        "of a batch's wall time), so that above 1 the model is too fast. Coloured by what binds "
        "the predicted step; hollow markers are the calibration subsets; the band is ±20%."
    ),
    sources=tuple(sorted({r.source for r in V.results()})),
    chapter=CHAPTER,
)
def residual_figure() -> plt.Figure:
    """Draw figure ``serving-residuals``: Predicted over measured, every published point."""
    fig, ax = plt.subplots(figsize=(9.0, 4.4))
    fitted = set(V.calibration_subset())
    order = sorted(
        V.checks(), key=lambda c: (ACCS.index(c.result.gpu), c.result.kind, c.result.source)
    )
    for i, c in enumerate(order):
        col = REGIME_COLOURS[c.regime]
        ax.plot(
            i, c.speed_ratio, "o" if c.result.kind == "throughput" else "s",
            mfc="none" if c.result.id in fitted else col, mec=col, ms=5,
        )  # fmt: skip
    ax.axhspan(0.8, 1.2, color="0.88", zorder=0)
    ax.axhline(1.0, color="0.3", lw=1)
    for regime, col in REGIME_COLOURS.items():
        ax.plot([], [], "o", color=col, label=regime)
    ax.plot([], [], "s", color="0.3", label="latency point")
    ax.plot([], [], "o", mfc="none", mec="0.3", label="calibration subset")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if v in (0.5, 2, 3) else ""))
    gpus = [c.result.gpu for c in order]
    ticks, labels = [], []
    for acc in ACCS:
        idx = [i for i, g in enumerate(gpus) if g == acc]
        if idx:
            ticks.append((idx[0] + idx[-1]) / 2)
            labels.append(SHORT[acc])
            ax.axvline(idx[-1] + 0.5, color="0.8", lw=0.8)
    ax.set_xticks(ticks, labels)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("Predicted / measured speed")
    ax.set_title("Where the serving model holds and where it misses")
    ax.legend(fontsize=7, ncol=4, loc="upper left")
    return fig

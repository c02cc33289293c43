"""Chapter 6 (physics) figures: the energy ladder, joules per token against batch, density and switching headroom."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from .. import claims, energy, hardware, models, physics, serving
from .registry import as_of, register
from .style import MARKERS, PALETTE

CHAPTER = "chapters/06-physics"
KIND_COLOR = {"limit": PALETTE[7], "switch": PALETTE[3], "op": PALETTE[0], "move": PALETTE[1]}
KIND_LABEL = {
    "limit": "physical limit / estimate",
    "switch": "per transistor switch",
    "op": "per arithmetic operation",
    "move": "per bit moved",
}
TOKEN_MODELS = ("llama-3-8b", "llama-3-70b", "llama-3.1-405b")
TOKEN_ACC, TOKEN_DTYPE, TOKEN_CONTEXT = "h100-sxm", "bf16", 1024
SHARE_MODEL, SHARE_CONTEXTS = "llama-3-70b", (0, 8192, 32768, 131072)
BATCHES = np.unique(np.round(np.geomspace(1, 4096, 61)))
# ML.ENERGY's measured configurations (model, GPUs, weight dtype) and the prompt length assumed
# for them (the post states the mean answer, 717 tokens, not the prompt).
VALIDATION_SETUPS = (("llama-3.1-8b", 1, "bf16"), ("llama-3.1-70b", 4, "bf16"),
                     ("llama-3.1-405b", 8, "fp8"))  # fmt: skip
VALIDATION_INPUT_TOKENS = 512


def _ladder_sources() -> tuple[str, ...]:
    return tuple(sorted({r.source for r in physics.ladder()}))


@register(
    "ch4-energy-ladder",
    legible=True,
    title="The energy ladder: from Landauer's limit to a DRAM access",
    caption=(
        "Energy per event on a log axis, from kT ln 2 at 300 K to reading one bit from DRAM. "
        "Arithmetic (blue; Horowitz's 45 nm figures and the H100 board at its bf16 peak) costs "
        "about as much as moving a bit one to ten millimetres on chip, and a bit from HBM costs "
        "several FP16 multiplies. The H100 'switch' rung assumes every transistor switches every "
        "cycle, so it is a lower bound on the energy per switch."
    ),
    sources=_ladder_sources(),
    chapter=CHAPTER,
)
def energy_ladder() -> plt.Figure:
    """Draw figure ``ch4-energy-ladder``:

    The energy ladder: from Landauer's limit to a DRAM access.
    """
    rungs = physics.ladder()
    fig, ax = plt.subplots(figsize=(7.6, 5.2))
    y = np.arange(len(rungs))
    ax.barh(y, [r.energy_j for r in rungs], color=[KIND_COLOR[r.kind] for r in rungs], height=0.6)
    ax.set_yticks(y, [r.label for r in rungs], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(1e-21, 1e-10)
    ax.set_xlabel("Energy per event (J, log scale)")
    handles = [Patch(color=color, label=KIND_LABEL[kind]) for kind, color in KIND_COLOR.items()]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    ax.set_title("Moving a bit costs more than computing with it")
    ax.grid(axis="y", visible=False)
    return fig


def _token_sources() -> tuple[str, ...]:
    acc = hardware.get(TOKEN_ACC)
    keys = {acc.source("tdp_w"), acc.source(f"flops:{TOKEN_DTYPE}"), acc.source("mem_bandwidth")}
    keys |= {p.source for p in energy.digitized_points()}
    keys.add(energy.mlenergy_output_tokens().source)
    keys |= {r.source for r in serving.efficiency(TOKEN_ACC).values()}
    keys |= {r.source for r in serving.constants().values()}
    keys.add(acc.source("flops:fp8"))
    return tuple(sorted(keys))


@register(
    "ch4-token-energy-vs-batch",
    legible=True,
    title="Energy per generated token against batch size, top-down, on H100s, beside ML.ENERGY's measurements",
    caption=(
        "Left: joules per generated token, top-down: each H100's 700 W TDP for the serving "
        "model's step time (solid; sourced achievable bandwidth and FLOP/s, all-reduces, per-step "
        "overheads), and for the roofline bound of the same step (dashed), shared by the batch, "
        "for the three configurations ML.ENERGY measured: Llama 3.1 8B on 1 GPU and 70B on 4 "
        "(bf16), 405B on 8 (fp8). Context: an assumed 512-token prompt plus half of the task's "
        "mean 717-token answer. Markers: measured GPU energy per output token (ML.ENERGY "
        "Benchmark v3.0, vLLM 0.11.1, digitized from the published figure; batch = max_num_seqs). "
        "Predictions at a batch the KV cannot hold stop at the largest batch that fits. The "
        "vertical line is chapter 1's critical batch in bf16. Log axes. Right: share of a "
        "token's energy charged to moving bytes (memory time over memory plus FLOP time, at the "
        "roofline bound), Llama 3 70B on one H100, by context length: the KV cache keeps memory "
        "dominant at long context whatever the batch."
    ),
    sources=_token_sources(),
    chapter=CHAPTER,
)
def token_energy_vs_batch() -> plt.Figure:
    """Draw figure ``ch4-token-energy-vs-batch``:

    Energy per generated token against batch size, top-down, on H100s, beside ML.ENERGY's measurements.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10.0, 6.6))
    out_tok = energy.mlenergy_output_tokens().value
    ctx = VALIDATION_INPUT_TOKENS + round(out_tok / 2)
    measured = energy.digitized_points()
    for i, (name, g, dtype) in enumerate(VALIDATION_SETUPS):
        setup = serving.setup(name, TOKEN_ACC, g, dtype, "bf16", compute_dtype=dtype)
        cap = serving.max_batch(setup, VALIDATION_INPUT_TOKENS, out_tok)
        bs = BATCHES[np.less_equal(BATCHES, cap)]
        t = energy.energy_per_token(name, TOKEN_ACC, bs, ctx, dtype, "bf16", n_gpus=g)
        lo = energy.energy_per_token(name, TOKEN_ACC, bs, ctx, dtype, "bf16", n_gpus=g, bound=True)
        label = f"{models.info(name).display_name}, {g} GPU{'s' if g > 1 else ''}, {dtype}"
        ax.plot(bs, t.total_j, color=PALETTE[i], label=f"{label}: predicted")
        ax.plot(bs, lo.total_j, color=PALETTE[i], ls="--", lw=1.0)
        pts = [p for p in measured if p.model == name and p.n_gpus == g]
        ax.scatter(
            [p.batch for p in pts],
            [p.j_per_token for p in pts],
            marker=MARKERS[i],
            s=28,
            zorder=4,
            edgecolor=PALETTE[i],
            facecolor="none",
            label=f"{label}: measured",
        )
    b_t = energy.energy_crossover_batch(TOKEN_ACC, TOKEN_DTYPE)
    top = ax.get_ylim()[1]
    ax.axvline(b_t, color="0.3", lw=0.8, ls="-.")
    ax.annotate(
        f"critical batch\nB = {b_t:.0f}",
        (b_t, top),
        fontsize=7,
        ha="left",
        va="top",
        xytext=(3, -3),
        textcoords="offset points",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Batch (sequences decoding together)")
    ax.set_ylabel("Energy per generated token (J)")
    ax.set_title(
        f"{hardware.get(TOKEN_ACC).name.replace('NVIDIA ', '')} at TDP, context {ctx:,}",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    for i, ctx in enumerate(SHARE_CONTEXTS):
        t = energy.energy_per_token(SHARE_MODEL, TOKEN_ACC, BATCHES, ctx, TOKEN_DTYPE, bound=True)
        ax2.plot(
            BATCHES,
            100 * t.memory_share,
            color=PALETTE[i],
            marker=MARKERS[i],
            markevery=10,
            ms=4,
            label=f"context {ctx:,}",
        )
    ax2.axhline(50, color="0.5", lw=0.8, ls="--")
    ax2.set_xscale("log")
    ax2.set_ylim(0, 100)
    ax2.set_xlabel("Batch (sequences decoding together)")
    ax2.set_ylabel("Memory share of energy per token (%)")
    ax2.set_title(f"{SHARE_MODEL}: where arithmetic takes over", fontsize=9)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    return fig


def _headroom_sources() -> tuple[str, ...]:
    keys = {"source-text", physics.constant("boltzmann_j_per_k").source}
    for row in physics.density_table():
        keys |= set(row.sources)
    for name in ("a100-sxm", "h100-sxm"):
        acc = hardware.get(name)
        keys |= {acc.source("tdp_w"), acc.source("clock_hz"), acc.source("transistors")}
    return tuple(sorted(keys))


@register(
    "ch4-density-headroom",
    legible=True,
    title="Transistor density and switching energy against the source's limits",
    caption=(
        "Left: whole-die transistor density of every catalog chip with one published die area, "
        "against the source's '~1e10 at TSMC 4N' and '~5e11 practical limit' (log axis). Right: "
        "energy per switching event if the whole TDP went into switching, against the activity "
        "factor (fraction of transistors switching per cycle), for the A100 and H100; the "
        "source's 5e-18 J holds only at activity 1, and its 2e-18 J limit sits about 700x above "
        "Landauer's kT ln 2 at 300 K. " + as_of("hardware")
    ),
    sources=_headroom_sources(),
    chapter=CHAPTER,
)
def density_headroom() -> plt.Figure:
    """Draw figure ``ch4-density-headroom``:

    Transistor density and switching energy against the source's limits.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10.0, 4.4))
    rows = physics.density_table()
    x = np.arange(len(rows))
    ax.scatter(x, [r.density_per_cm2 for r in rows], color=PALETTE[0], zorder=3)
    ax.set_xticks(x, [f"{r.accelerator}\n{r.process}" for r in rows], fontsize=7)
    for key, color, label in (
        ("C20", PALETTE[1], "source: ~1e10 at TSMC 4N"),
        ("C22", PALETTE[3], "source: ~5e11 practical limit"),
    ):
        ax.axhline(claims.get(key).claimed, color=color, ls="--", lw=1, label=label)
    ax.set_yscale("log")
    ax.set_ylim(1e9, 1e12)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylabel("Transistors per cm² (whole die)")
    ax.set_title("Density: 1.7 orders of magnitude to the claimed limit", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    activity = np.geomspace(0.01, 1.0, 50)
    for i, name in enumerate(("a100-sxm", "h100-sxm")):
        acc = hardware.get(name)
        ax2.plot(
            activity,
            physics.accelerator_switching_energy_j(name, activity),
            color=PALETTE[i],
            label=f"{acc.name.replace('NVIDIA ', '')} at {acc.tdp_w:.0f} W",
        )
    for value, color, label in (
        (claims.get("C21").claimed, PALETTE[1], "source: ~5e-18 J at 4N"),
        (claims.get("C24").assumptions["stated_j"], PALETTE[3], "source: ~2e-18 J minimum"),
    ):
        ax2.axhline(value, color=color, ls="--", lw=1, label=label)
    ax2.axhline(physics.landauer_j(300.0), color=PALETTE[7], ls=":", lw=1, label="kT ln 2 at 300 K")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("Activity factor (fraction switching per cycle)")
    ax2.set_ylabel("Energy per switching event (J)")
    ax2.set_title("Switching energy: TDP / (transistors x clock x activity)", fontsize=9)
    ax2.legend(fontsize=7, loc="upper right")
    return fig

"""Designs chapter figures: the state a sequence holds against context; N fine-tunes."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np

from .. import designs, hardware, models
from .registry import as_of, register
from .style import MARKERS, PALETTE

CHAPTER = "chapters/03-designs"
FINE_TUNE_MODEL = "llama-3.1-8b"
FINE_TUNE_CHIP = "h200"
FINE_TUNE_CONTEXT = 8192
FINE_TUNE_RANK = 16
FINE_TUNE_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128)


def _sources(names) -> tuple[str, ...]:
    out = set()
    for name in names:
        out.add(models.info(name).config_source.source)
    return tuple(sorted(out))


def _hw_sources(keys) -> tuple[str, ...]:
    out = set()
    for key in keys:
        out.add(hardware.get(key).source("mem_bytes"))
    return tuple(sorted(out))


def _short(name: str) -> str:
    """A chip's display name without vendor, package note or capacity: 'H200 SXM'."""
    return re.sub(r"\s\d+GB$", "", name.split(" (")[0].removeprefix("NVIDIA "))


@register(
    "designs-state-vs-context",
    legible=True,
    title="State bytes one sequence holds against context, design by design",
    caption=(
        "Bytes one sequence holds (its KV cache plus any constant recurrent state, bf16 KV) "
        "against its context, 1K to 1M tokens, log axes, for one real model of each design. "
        "Full-attention designs (MHA, GQA, MLA) grow linearly at every context; sliding and "
        "chunked hybrids grow with their full layers only; the Mamba-2, Gated DeltaNet and "
        "lightning-attention hybrids start from a constant state and grow with their few "
        "attention layers. DeepSeek-V3.2's sparse attention holds every token (solid) but a "
        "decode step reads at most 2,048 tokens' latents plus the indexer's keys (dotted). "
        "Grey lines: the HBM of one H100, H200 and B200. " + as_of("hardware")
    ),
    sources=(
        *_sources(d.model for d in designs.DESIGNS),
        "deepseek-v32-report",
        "vllm-mamba-state",
        *_hw_sources(designs.CHIPS),
    ),
    chapter=CHAPTER,
)
def state_vs_context() -> plt.Figure:
    """Draw figure ``designs-state-vs-context``:

    State bytes one sequence holds against context, design by design.
    """
    fig, ax = plt.subplots(figsize=(8.6, 5.2))
    ctx = np.array(designs.CONTEXTS, dtype=float)
    hybrid = {"mamba2", "deltanet", "lightning", "dsa"}
    for i, d in enumerate(designs.DESIGNS):
        color = PALETTE[i] if i < len(PALETTE) else "#882255"  # Tol's wine for the ninth
        ls = "--" if d.key in hybrid else "-"
        hold = [designs.hold_bytes(d.model, int(c)) for c in ctx]
        name = models.info(d.model).display_name
        ax.plot(
            ctx, hold, ls=ls, marker=MARKERS[i % len(MARKERS)], ms=4, color=color,
            label=f"{d.label}: {name}",
        )  # fmt: skip
        if d.key == "dsa":
            read = [designs.read_bytes(d.model, int(c)) for c in ctx]
            ax.plot(ctx, read, ls=":", color=color, lw=2, label=f"{name}: read per decode step")
    for j, chip in enumerate(designs.CHIPS):
        acc = hardware.get(chip)
        ax.axhline(acc.mem_bytes, color="0.55", lw=1, ls=(0, (4, 2 + j)))
        ax.annotate(  # labels clear of each other: alternately at the left and the right end
            f"{_short(acc.name)}: {acc.mem_bytes / 1e9:.0f} GB",
            (ctx[0] if j % 2 == 0 else ctx[-1], acc.mem_bytes),
            fontsize=8,
            color="0.3",
            ha="left" if j % 2 == 0 else "right",
            va="bottom" if chip == designs.CHIPS[-1] else "top",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ticks = ctx[::2] if len(ctx) % 2 else ctx[1::2]  # every other power of two, 1M included
    ax.set_xticks(ticks, [f"{int(c) // 1024}K" if c < 2**20 else "1M" for c in ticks])
    ax.minorticks_off()
    ax.set_xlabel("Context per sequence (tokens)")
    ax.set_ylabel("Bytes one sequence holds (bf16 KV)")
    ax.set_title("The state a sequence carries, by design")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


@register(
    "designs-fine-tunes",
    legible=True,
    title="N fine-tunes on one H200: full weight copies against LoRA adapters",
    caption=(
        "Sequences of 8,192 tokens that one H200 can hold for N fine-tunes of Llama 3.1 8B in "
        "bf16: as N full weight copies (the copies alone overflow the HBM beyond 8) and as one "
        "base copy plus N rank-16 LoRA adapters on every attention and MLP projection. Capacity "
        "from chapter 2's law: the HBM left after the static bytes over one sequence's KV cache."
    ),
    sources=(
        models.info(FINE_TUNE_MODEL).config_source.source,
        "lora-paper",
        "slora-paper",
        *_hw_sources((FINE_TUNE_CHIP,)),
    ),
    chapter=CHAPTER,
)
def fine_tunes() -> plt.Figure:
    """Draw figure ``designs-fine-tunes``:

    N fine-tunes on one H200: full weight copies against LoRA adapters.
    """
    fig, ax = plt.subplots()
    rows = [
        designs.fine_tunes(
            FINE_TUNE_MODEL, FINE_TUNE_CHIP, n, FINE_TUNE_CONTEXT, rank=FINE_TUNE_RANK
        )
        for n in FINE_TUNE_COUNTS
    ]
    ns = np.array(FINE_TUNE_COUNTS, dtype=float)
    full = [r.full_copies_instances if r.full_copies_instances else np.nan for r in rows]
    ax.plot(ns, full, marker=MARKERS[0], color=PALETTE[1], label="N full weight copies")
    ax.plot(
        ns,
        [r.adapters_instances for r in rows],
        marker=MARKERS[1],
        color=PALETTE[0],
        label=f"one base copy + N rank-{FINE_TUNE_RANK} adapters",
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(ns, [str(int(n)) for n in ns])
    ax.set_xlabel("Fine-tunes served (N)")
    ax.set_ylabel(f"{FINE_TUNE_CONTEXT // 1024}K-token sequences that fit")
    ax.set_title(
        f"{models.info(FINE_TUNE_MODEL).display_name} on one {hardware.get(FINE_TUNE_CHIP).name}"
    )
    ax.legend(fontsize=8, loc="center left")
    return fig

"""Chapter 5 (pricing) figures: API prices and their ratios, the derived cost ratio, and the cost of agents."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from .. import agents, hardware, models, prices, pricing, scenarios
from ..errors import InvalidValueError, require_count
from .registry import as_of, register
from .style import MARKERS, PALETTE

CHAPTER = "chapters/05-pricing"
PROVIDER_COLOR = {
    p: PALETTE[i]
    for i, p in enumerate(
        (
            "OpenAI",
            "Anthropic",
            "Google",
            "DeepSeek",
            "Mistral",
            "Fireworks",
            "Moonshot",
            "Together",
        )
    )
}
# Price tiers (prices.TIERS): the marker face says which rate a point is.
TIER_STYLE = {
    "standard": dict(marker="o", filled=True),
    "long-context": dict(marker="D", filled=False),
    "thinking": dict(marker="*", filled=True),
}

# Deployments compared in the chapter: (model, accelerator, GPUs, weight/compute dtype).
_CASE = scenarios.get("pricing-open-70b")  # chapter 5's worked case
DEPLOYMENTS = (
    (_CASE.model, _CASE.hardware, _CASE.n_gpus, _CASE.weight_dtype),
    ("llama-3.1-405b", "h100-sxm", 8, "fp8"),
    ("deepseek-v3", "h200", 8, "fp8"),
    ("mixtral-8x7b", "h100-sxm", 2, "bf16"),
    ("gpt-3-175b", "h100-sxm", 8, "bf16"),
)


def deployment(model: str, acc: str, n: int, dtype: str) -> pricing.Deployment:
    """``pricing.Deployment`` of catalog ``model`` on ``n`` [count] GPUs ``acc``, with weights
    and compute in ``dtype``."""
    require_count("n", n)
    return pricing.Deployment.of(model, acc, n, weight_dtype=dtype, compute_dtype=dtype)


def contexts(dep: pricing.Deployment, lo: int = 512, points: int = 40) -> np.ndarray:
    """Context lengths [tokens] from ``lo`` [tokens] to the model's window, on a geometric grid
    of ``points`` [count], where at least one sequence of deployment ``dep`` fits."""
    window = dep.model.max_context
    if window is None:
        raise InvalidValueError(
            "dep", dep.model.name, "a deployment whose model states a context window to plot up to"
        )
    grid = np.unique(np.geomspace(lo, window, points).astype(int))
    fits = [
        int(x)
        for x in grid
        if dep.mem_bytes - dep.weight_bytes >= dep.kv_bytes_per_sequence(int(x))
    ]
    return np.array(fits)


def _price_sources() -> tuple[str, ...]:
    return tuple(sorted({r.source for r in prices.api_prices()} | {"source-text"}))


def _deployment_sources() -> tuple[str, ...]:
    keys = set()
    for model, acc, _, dtype in DEPLOYMENTS:
        keys.add(models.info(model).config_source.source)
        a = hardware.get(acc)
        keys |= {a.source("mem_bandwidth"), a.source("mem_bytes"), a.source(f"flops:{dtype}")}
    return tuple(sorted(keys))


@register(
    "ch3-api-prices",
    legible=True,
    title="API list prices by date, and their output/input ratios",
    caption=(
        "Left: input (lower point) and output (upper point, joined by a line) list prices in USD "
        "per million tokens at the date each took effect, one colour per provider, log axis. "
        "Filled circles: standard rates; hollow diamonds: long-context rates (prompts above "
        "200K tokens); stars: a thinking-output rate. Right: output price over input price for "
        "the same rows, log axis; the shaded band is the source's '3x - 10x'. Data as of "
        f"{prices.data_as_of('api').isoformat()} (the newest catalogued price row)."
    ),
    sources=_price_sources(),
    chapter=CHAPTER,
)
def api_prices() -> plt.Figure:
    """Draw the figure ``ch3-api-prices``: API list prices by date, and their output/input
    ratios."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.8))
    seen = set()
    for r in prices.api_prices():
        color = PROVIDER_COLOR.get(r.provider, PALETTE[7])
        style = TIER_STYLE[r.tier]
        face = color if style["filled"] else "none"
        label = r.provider if r.provider not in seen else None
        seen.add(r.provider)
        ax.plot(
            [r.date, r.date], [r.input_usd_per_mtok, r.output_usd_per_mtok], color=color, lw=0.8
        )
        for y in (r.input_usd_per_mtok, r.output_usd_per_mtok):
            ax.scatter(
                r.date,
                y,
                marker=style["marker"],
                s=30,
                facecolor=face,
                edgecolor=color,
                label=label,
                zorder=3,
            )
            label = None
        ax2.scatter(
            r.date,
            r.output_input_ratio,
            marker=style["marker"],
            s=34,
            facecolor=face,
            edgecolor=color,
            zorder=3,
        )
        if r.tier == "thinking":
            ax2.annotate(
                f"{r.provider} {r.model}, thinking output",
                (r.date, r.output_input_ratio),
                xytext=(0, -9),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=8,
            )
    for tier, style in TIER_STYLE.items():
        ax2.scatter(
            [],
            [],
            marker=style["marker"],
            s=34,
            edgecolor="0.3",
            facecolor="0.3" if style["filled"] else "none",
            label=f"{tier} rate",
        )
    as_of = prices.data_as_of("api").isoformat()
    ax.set_yscale("log")
    ax.set_ylabel("List price (USD per million tokens)")
    ax.set_xlabel("Date the price took effect")
    ax.set_title(f"Input and output list prices (data as of {as_of})")
    ax.legend(fontsize=8, loc="lower left", ncol=2)
    ax2.axhspan(3, 10, color="0.88", zorder=0, label="source: 3x - 10x")
    ax2.set_yscale("log")
    ax2.set_ylim(0.7, 90)
    ax2.set_yticks([1, 2, 3, 5, 10, 20, 30])
    ax2.set_yticklabels(["1", "2", "3", "5", "10", "20", "30"])
    ax2.yaxis.set_minor_formatter(NullFormatter())
    ax2.set_ylabel("Output price / input price")
    ax2.set_xlabel("Date the price took effect")
    ax2.set_title("Output/input price ratio")
    ax2.legend(fontsize=8, loc="upper left", ncol=2)
    for a_ in (ax, ax2):
        a_.tick_params(axis="x", labelrotation=30, labelsize=9)
    return fig


@register(
    "ch3-cost-ratio-vs-context",
    legible=True,
    title="Derived decode utilization and output/input cost ratio against context length",
    caption=(
        "Every sequence at the same context; batch = what memory allows; step times from the "
        "serving model (sourced achievable fractions of the peaks, tensor-parallel all-reduces, "
        "per-step overheads). Left: decode FLOP utilization. Right: "
        "output over input cost per token; the shaded band spans the catalog's most common list "
        "ratios (3x - 5x). Log axes."
    ),
    sources=_deployment_sources(),
    chapter=CHAPTER,
)
def cost_ratio_vs_context() -> plt.Figure:
    """Draw the figure ``ch3-cost-ratio-vs-context``: Derived decode utilization and output/input
    cost ratio against context length."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.4))
    for i, spec in enumerate(DEPLOYMENTS):
        dep = deployment(*spec)
        xs = contexts(dep)
        util = [pricing.decode_cost(dep, 1.0, int(x)).utilization for x in xs]
        ratio = [pricing.cost_ratio(dep, int(x)) for x in xs]
        kw = dict(color=PALETTE[i], marker=MARKERS[i], markevery=6, ms=4, label=dep.label())
        ax.plot(xs, util, **kw)
        ax2.plot(xs, ratio, **kw)
    ax.set_ylabel("Decode FLOP utilization (fraction of dense peak)")
    ax2.axhspan(3, 5, color="0.85", zorder=0)
    ax2.set_ylabel("Output / input cost per token")
    for a_ in (ax, ax2):
        a_.set_xscale("log", base=2)
        a_.set_yscale("log")
        a_.set_xlabel("Context length (tokens)")
    ax.set_title("Decode utilization falls with context")
    ax2.set_title("...so the output/input cost ratio rises")
    ax.legend(fontsize=6.5, loc="lower left")
    return fig


@register(
    "ch3-source-formula",
    legible=True,
    title="The source's generation-efficiency bound against the full derivation",
    caption=(
        "x: one full-context sequence's KV over (that KV + the weights). Line: the source's "
        "bound ((KV + W)/KV)/R, read as its example evaluates it, with R = the H100's bf16 ridge. "
        "Hollow markers: the derived ceiling (2N + aL)/(kLR) with an unlimited batch; filled: the "
        "utilization with the batch that memory allows (the roofline bound of the step, as the "
        "source's formula assumes). Each model at 4 context lengths up to its "
        "window. Log axes."
    ),
    sources=_deployment_sources() + ("source-text",),
    chapter=CHAPTER,
)
def source_formula() -> plt.Figure:
    """Draw the figure ``ch3-source-formula``: The source's generation-efficiency bound against
    the full derivation."""
    fig, ax = plt.subplots()
    ridge = hardware.get("h100-sxm").critical_intensity("bf16")
    share = np.geomspace(1e-3, 1, 100)
    ax.plot(
        share,
        [min(1.0, pricing.source_formula(x, 1 - x, ridge)) for x in share],
        color="0.3",
        lw=1.2,
        label=f"source (intended), R = {ridge:.0f}",
    )
    for i, spec in enumerate(DEPLOYMENTS):
        dep = deployment(*spec)
        xs = contexts(dep, points=4)
        kv = np.array([dep.kv_bytes_per_sequence(int(x)) for x in xs], float)
        x_share = kv / (kv + dep.weight_bytes)
        ceiling = [min(1.0, pricing.decode_utilization_ceiling(dep, int(x))) for x in xs]
        actual = [pricing.decode_cost(dep, 1.0, int(x), bound=True).utilization for x in xs]
        ax.scatter(
            x_share, ceiling, facecolor="none", edgecolor=PALETTE[i], marker=MARKERS[i], s=36
        )
        ax.scatter(x_share, actual, color=PALETTE[i], marker=MARKERS[i], s=30, label=dep.label())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("One sequence's KV / (its KV + weights)")
    ax.set_ylabel("Decode FLOP utilization bound")
    ax.set_title("Where the source's bound holds: MHA, dense, unlimited batch")
    ax.legend(fontsize=6.5, loc="lower left")
    return fig


REFERENCE = ("llama-3.1-405b", "h100-sxm", 8, "fp8")
REFERENCE_CONTEXTS = (8_192, 131_072)


@register(
    "ch3-rent-sensitivity",
    legible=True,
    title="Derived cost per million tokens against the GPU rental price",
    caption=(
        "Llama 3.1 405B with fp8 weights on 8x H100 SXM, step times from the serving model: "
        "input (prefill) and "
        "output (decode) cost per million tokens at 8K and 128K context, against USD per "
        "GPU-hour. Ticks: the catalog's H100 SXM rental rows. Dotted: a host's list price for "
        "the same model. Costs scale with rent; their ratio does not. Log axes. "
        + as_of("gpu-rentals")
    ),
    sources=tuple(
        sorted(
            {r.source for r in prices.rental_rows("h100-sxm")}
            | {prices.price("llama-v3p1-405b-instruct").source, "hf-llama31-405b"}
            | set(_deployment_sources())
        )
    ),
    chapter=CHAPTER,
)
def rent_sensitivity() -> plt.Figure:
    """Draw the figure ``ch3-rent-sensitivity``: Derived cost per million tokens against the GPU
    rental price."""
    fig, ax = plt.subplots()
    dep = deployment(*REFERENCE)
    rents = np.geomspace(1, 15, 30)
    for j, ctx in enumerate(REFERENCE_CONTEXTS):
        inp = [pricing.prefill_cost(dep, float(r), ctx).usd_per_mtok for r in rents]
        out = [pricing.decode_cost(dep, float(r), ctx).usd_per_mtok for r in rents]
        ax.plot(rents, out, color=PALETTE[j], lw=1.6, label=f"output, {ctx // 1024}K context")
        ax.plot(
            rents, inp, color=PALETTE[j], lw=1.6, ls="--", label=f"input, {ctx // 1024}K context"
        )
    for row in prices.rental_rows("h100-sxm"):
        ax.axvline(row.usd_per_gpu_hour, color="0.6", lw=0.8, ymax=0.06)
    host = prices.price("llama-v3p1-405b-instruct")
    ax.axhline(
        host.output_usd_per_mtok,
        color=PALETTE[2],
        ls=":",
        lw=1.2,
        label=f"{host.provider} list price (input = output)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("GPU rent (USD per GPU-hour)")
    ax.set_ylabel("Cost (USD per million tokens)")
    ax.set_title(dep.label())
    ax.legend(fontsize=7, loc="upper left")
    return fig


def _agent_sources() -> tuple[str, ...]:
    return agents.example_setup().sources + ("bls-oews-2023-software-developers", "source-text")


@register(
    "ch3-agent-cost",
    legible=True,
    title="An agent's cumulative bill against steps under three ways of paying for its context",
    caption=(
        "The chapter's assumed loop (2,000-token prompt; 250 action + 750 observation tokens a "
        "step) at GPT-4 Turbo list prices, up to its 128K window: no caching; each provider's "
        "caching rule applied to those prices; KV kept in H100 HBM and billed as rent. Black: a "
        "median US software developer paid for the same output at the source's 9 tokens/s of "
        "thought. Log axes; slope 2 is quadratic growth, slope 1 linear."
    ),
    sources=_agent_sources(),
    chapter=CHAPTER,
)
def agent_cost() -> plt.Figure:
    """Draw the figure ``ch3-agent-cost``: An agent's cumulative bill against steps under three
    ways of paying for its context."""
    fig, ax = plt.subplots()
    ex = agents.example_setup()
    steps = np.arange(1, ex.loop.window_steps() + 1)
    for i, regime in enumerate(ex.regimes):
        totals = [agents.total_cost_usd(ex.loop, regime, int(n)) for n in steps]
        ax.plot(steps, totals, color=PALETTE[i], lw=1.6, label=regime.label)
    wage = agents.median_wage_usd_per_hour()
    human = wage * agents.thought_hours(ex.loop.action_tokens) * steps
    ax.plot(
        steps, human, color=PALETTE[7], lw=1.6, ls="--", label="human at median wage, 9 tokens/s"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Agent steps (context grows 1,000 tokens a step)")
    ax.set_ylabel("Cumulative cost (USD)")
    ax.set_title("Re-reading the context makes the bill quadratic")
    ax.legend(fontsize=7, loc="upper left")
    return fig


THOUGHT_RATES = (3.0, 5.0, 9.0, 15.0, 30.0)


@register(
    "ch3-agent-crossover",
    legible=True,
    title="When one agent step costs more than a human's thought for the same output",
    caption=(
        "Left: cost of each step per hour of output thought (the step's cost over its 250 action "
        "tokens at 9 tokens/s), against steps, with the median US software developer's hourly "
        "wage. Right: the step at which each regime passes the wage, against the assumed human "
        "thought rate; a missing point means it never passes within the 128K window."
    ),
    sources=_agent_sources(),
    chapter=CHAPTER,
)
def agent_crossover() -> plt.Figure:
    """Draw the figure ``ch3-agent-crossover``: When one agent step costs more than a human's
    thought for the same output."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.4))
    ex = agents.example_setup()
    wage = agents.median_wage_usd_per_hour()
    steps = np.arange(1, ex.loop.window_steps() + 1)
    for i, regime in enumerate(ex.regimes):
        per_hour = [
            agents.usd_per_thought_hour(
                agents.step_cost_usd(ex.loop, regime, int(n)), ex.loop.action_tokens
            )
            for n in steps
        ]
        ax.plot(steps, per_hour, color=PALETTE[i], lw=1.6, label=regime.label)
        cross = [agents.crossover_step(ex.loop, regime, wage, r) for r in THOUGHT_RATES]
        pts = [(r, c_) for r, c_ in zip(THOUGHT_RATES, cross, strict=True) if c_ is not None]
        if pts:
            ax2.plot(
                *zip(*pts, strict=True), color=PALETTE[i], marker=MARKERS[i], label=regime.label
            )
    ax.axhline(wage, color=PALETTE[7], ls="--", lw=1.2, label=f"median wage ${wage:.2f}/h")
    ax.set_yscale("log")
    ax.set_xlabel("Agent step")
    ax.set_ylabel("Step cost per hour of output thought (USD/h)")
    ax.set_title("Marginal cost, at 9 tokens/s of thought")
    ax.legend(fontsize=6.5, loc="lower right")
    ax2.axvline(float(agents.THOUGHT_TOKENS_PER_S.value), color="0.6", lw=0.8)
    ax2.set_xscale("log")
    ax2.set_xticks(THOUGHT_RATES, [f"{r:g}" for r in THOUGHT_RATES])
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax2.set_xlabel("Assumed human thought rate (tokens/s)")
    ax2.set_ylabel("Step at which the agent passes the wage")
    ax2.set_title("Sensitivity to the thought rate")
    ax2.legend(fontsize=6.5)
    return fig

"""Chapter 5 (pricing): what an agent loop costs as it runs, and when it costs more than a human.

The loop: a prompt of ``n_p`` tokens; at each step t = 1..T the model reads its whole context
C(t-1) = n_p + (t-1)(n_a + n_o), writes ``n_a`` action tokens, and the environment appends
``n_o`` observation tokens. Three ways to pay for the re-read context:

(a) no caching: every step bills its whole context as input;
(b) prompt caching: the previous request's prompt C(t-2) is a cache hit billed at a fraction h
    of the input price; the new tokens (last action + observation) are billed at w x input
    (w = 1.25 for Anthropic's cache write, 1 where a miss costs the normal price);
(c) KV retention: the server keeps the KV cache in HBM and bills rent on it, USD per byte-second
    (a GPU's rental price over its memory), for the step's duration, while new tokens are billed
    at the list input and output prices.

Each total is a sympy summation (closed form) and an independent step-by-step simulation;
the tests check that the two agree.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sympy as sp

from . import hardware, prices
from .errors import (
    InvalidValueError,
    require_count,
    require_finite_result,
    require_fraction,
    require_instance,
    require_positive,
    require_text,
)
from .latex import latex as reader_latex
from .sources import facts

# ---- sourced constants -----------------------------------------------------------------------------
THOUGHT_TOKENS_PER_S = facts()["source_thought_tokens_per_s"]  # the source's assumption
WAGE_USD_PER_YEAR = facts()["bls_software_developer_wage_usd_per_year"]
HOURS_PER_YEAR = 2080  # BLS OEWS convention: 52 weeks x 40 hours


def median_wage_usd_per_hour() -> float:
    """BLS median annual wage / 2,080 hours (US software developers, May 2023).

    Returns [USD per hour].
    """
    return float(WAGE_USD_PER_YEAR.value) / HOURS_PER_YEAR


# ---- symbols and the closed forms --------------------------------------------------------------
t, T = sp.symbols("t T", positive=True, integer=True)
n_p, n_a, n_o = sp.symbols("n_p n_a n_o", positive=True)  # prompt, action, observation tokens
pi_in, pi_out = sp.symbols("pi_in pi_out", positive=True)  # USD per input / output token
h, w = sp.symbols("h w", positive=True)  # cache-hit and cache-write price as fractions of input
rho, kappa, Delta = sp.symbols(
    "rho kappa Delta", positive=True
)  # USD/(byte s), KV bytes/token, s/step


# Holding one token's KV for one step costs rho kappa (Delta + tau): the step's generation time
# plus the time tau the agent waits on its tool while the cache stays resident. Re-reading that
# token instead costs a prefill of it, pi_pre (USD per token). Their ratio is what keeping the
# KV saves per token per step; at cost both come from the same GPU rent, at list price pi_pre is
# replaced by the list input price (which carries the provider's margin).
pi_pre, tau = sp.symbols("pi_pre tau", positive=True)  # USD per prefilled token; s waiting on tools
KV_HOLD_USD_PER_TOKEN_STEP = rho * kappa * (Delta + tau)
_kv_hold = sp.lambdify((rho, kappa, Delta, tau), KV_HOLD_USD_PER_TOKEN_STEP, "math")
REPREFILL_OVER_HOLD = pi_pre / KV_HOLD_USD_PER_TOKEN_STEP
_reprefill_over_hold = sp.lambdify((pi_pre, rho, kappa, Delta, tau), REPREFILL_OVER_HOLD, "math")
# The hold time Delta + tau at which renting costs as much as re-prefilling (ratio = 1).
HOLD_BREAKEVEN_S = sp.solve(sp.Eq(REPREFILL_OVER_HOLD, 1), tau)[0] + Delta  # pi_pre / (rho kappa)
_hold_breakeven = sp.lambdify((pi_pre, rho, kappa, Delta), HOLD_BREAKEVEN_S, "math")

# Tool wait: an ASSUMPTION, not a sourced figure. A tool call of an agent (a shell command, a
# test run, a file read, a web fetch) takes from well under a second to a minute; the chapter
# uses 5 s and shows 0-60 s.
TOOL_WAIT_S = 5.0
TOOL_WAIT_S_RANGE = (0.0, 60.0)


def context(step):
    """Tokens in the context after ``step`` steps: n_p + step (n_a + n_o)."""
    return n_p + step * (n_a + n_o)


# Input tokens read at step t, and their total over T steps.
INPUT_TOKENS_STEP = context(t - 1)
TOTAL_INPUT_TOKENS = sp.factor(sp.summation(INPUT_TOKENS_STEP, (t, 1, T)))
_total_input = sp.lambdify((n_p, n_a, n_o, T), TOTAL_INPUT_TOKENS, "math")

# Cost of step t >= 2 and of step 1 under each regime.
STEP_COST = {
    "none": (pi_in * n_p + pi_out * n_a, pi_in * context(t - 1) + pi_out * n_a),
    "cache": (
        pi_in * w * n_p + pi_out * n_a,
        pi_in * (h * context(t - 2) + w * (n_a + n_o)) + pi_out * n_a,
    ),
    "rent": (
        pi_in * n_p + pi_out * n_a + rho * kappa * Delta * context(1),
        pi_in * n_o + pi_out * n_a + rho * kappa * Delta * context(t),
    ),
}
TOTAL_COST = {
    name: sp.expand(first + sp.summation(later, (t, 2, T)))
    for name, (first, later) in STEP_COST.items()
}
REGIMES = tuple(STEP_COST)
# The quadratic coefficient: what makes a long-running agent's bill grow as T^2.
QUADRATIC_COEFF = {
    name: sp.simplify(sp.Poly(expr, T).coeff_monomial(T**2)) for name, expr in TOTAL_COST.items()
}

_ARGS = (n_p, n_a, n_o, pi_in, pi_out, h, w, rho, kappa, Delta)
_total = {name: sp.lambdify((*_ARGS, T), expr, "math") for name, expr in TOTAL_COST.items()}
_step = {
    name: (sp.lambdify(_ARGS, first, "math"), sp.lambdify((*_ARGS, t), later, "math"))
    for name, (first, later) in STEP_COST.items()
}
_slope = {
    name: sp.lambdify(_ARGS, sp.diff(later, t), "math") for name, (_, later) in STEP_COST.items()
}


def latex(expr: sp.Expr) -> str:
    """LaTeX of ``expr``, one of this module's expressions, for display in the book.

    Printed in a reader's order (:func:`analysis.latex.latex`): positive terms first, common
    factors of the negative ones taken out, no leading minus over a fraction [no unit].
    """
    return reader_latex(expr)


# ---- the loop and the regimes --------------------------------------------------------------------
def _whole(name: str, value: int, minimum: int = 0) -> int:
    return require_count(name, value, minimum=minimum)


# Steps a simulation walks one by one (the closed forms take any count a float can hold).
MAX_SIMULATED_STEPS = 10**6


def _loop(value: object) -> AgentLoop:
    return require_instance("loop", value, AgentLoop, "an AgentLoop")


def _regime(value: object) -> Regime:
    return require_instance("regime", value, Regime, "a Regime (no_cache, prompt_cache, kv_rent)")


def _row(value: object) -> prices.PriceRow:
    return require_instance("row", value, prices.PriceRow, "a prices.PriceRow")


@dataclass(frozen=True)
class AgentLoop:
    """Token counts of an observe-act loop: the prompt, and per step one action and one observation."""

    prompt_tokens: int
    action_tokens: int
    observation_tokens: int
    max_context: int | None = None  # the model's window; steps that would exceed it are refused

    def __post_init__(self):
        _whole("prompt_tokens", self.prompt_tokens, 1)
        _whole("action_tokens", self.action_tokens, 1)
        _whole("observation_tokens", self.observation_tokens, 0)
        if self.max_context is not None:
            _whole("max_context", self.max_context, 1)

    def context_after(self, steps: int) -> int:
        """Context [tokens] after ``steps`` [steps]: prompt plus each step's action and observation."""
        steps = _whole("steps", steps, 0)
        return self.prompt_tokens + steps * (self.action_tokens + self.observation_tokens)

    def max_steps(self) -> int | None:
        """Most steps whose context stays inside the window (None without a window).

        Returns [steps].
        """
        if self.max_context is None:
            return None
        return (self.max_context - self.prompt_tokens) // (
            self.action_tokens + self.observation_tokens
        )

    def window_steps(self) -> int:
        """Most steps inside the window [steps]; ValueError for a loop without a window."""
        most = self.max_steps()
        if most is None:
            raise InvalidValueError(
                "max_context", None, "a context window (a loop without one has no last step)"
            )
        return most

    def check_steps(self, steps: int) -> int:
        """``steps`` [steps] if it is a whole number inside the window, else ValueError."""
        steps = _whole("steps", steps, 1)
        most = self.max_steps()
        if most is not None and steps > most:
            raise InvalidValueError(
                "steps",
                steps,
                f"at most {most}: {steps} steps need a context of {self.context_after(steps):,} "
                f"tokens, more than the model's window of {self.max_context:,}; at most {most} "
                "steps fit",
            )
        return steps


@dataclass(frozen=True)
class Regime:
    """How re-read context is paid for: kind 'none', 'cache' or 'rent', with its prices."""

    kind: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_fraction: float = 1.0  # h
    write_fraction: float = 1.0  # w
    usd_per_byte_s: float = 0.0  # rho
    kv_bytes_per_token: float = 0.0  # kappa
    step_s: float = 0.0  # Delta
    label: str = ""

    def __post_init__(self):
        if self.kind not in REGIMES:
            raise InvalidValueError(
                "kind", self.kind, f"one of {', '.join(REGIMES)} (unknown regime {self.kind!r})"
            )
        require_positive("input_usd_per_mtok", self.input_usd_per_mtok)
        require_positive("output_usd_per_mtok", self.output_usd_per_mtok)
        require_fraction("cached_fraction", self.cached_fraction)
        require_positive("write_fraction", self.write_fraction)
        require_text("label", self.label)
        if self.kind == "rent":
            require_positive("usd_per_byte_s", self.usd_per_byte_s)
            require_positive("kv_bytes_per_token", self.kv_bytes_per_token)
            require_positive("step_s", self.step_s)

    @property
    def values(self) -> tuple[float, ...]:
        """The regime's numbers in the laws' order: prices [USD per token], fractions [fraction], rent [USD per byte-second], KV [bytes per token], step [s]."""
        return (
            self.input_usd_per_mtok / 1e6,
            self.output_usd_per_mtok / 1e6,
            self.cached_fraction,
            self.write_fraction,
            self.usd_per_byte_s,
            self.kv_bytes_per_token,
            self.step_s,
        )


def no_cache(row: prices.PriceRow) -> Regime:
    """Every input token paid at ``row``'s input price each step (no caching)."""
    _row(row)
    return Regime("none", row.input_usd_per_mtok, row.output_usd_per_mtok, label="no caching")


def prompt_cache(
    row: prices.PriceRow,
    cached_fraction: float,
    write_fraction: float | None = None,
    label: str = "",
) -> Regime:
    """Prompt caching at a read fraction h and write fraction w (None: a miss costs the input price).

    ``row``: the price row; ``cached_fraction`` (h) and ``write_fraction`` (w) [fraction] of the input price; ``label`` for plots.
    """
    _row(row)
    require_fraction("cached_fraction", cached_fraction)
    if write_fraction is not None:
        require_positive("write_fraction", write_fraction)
    require_text("label", label)
    return Regime(
        "cache",
        row.input_usd_per_mtok,
        row.output_usd_per_mtok,
        cached_fraction,
        1.0 if write_fraction is None else write_fraction,
        label=label or f"cache h={cached_fraction}",
    )


def kv_rent(
    row: prices.PriceRow,
    usd_per_byte_s: float,
    kv_bytes_per_token: float,
    step_s: float,
    label: str = "KV rent",
) -> Regime:
    """Renting the KV between steps: ``row``'s token prices, memory at ``usd_per_byte_s`` [USD per byte-second], ``kv_bytes_per_token`` [bytes], held ``step_s`` [s] per step; ``label`` for plots."""
    _row(row)
    require_text("label", label)
    return Regime(
        "rent",
        row.input_usd_per_mtok,
        row.output_usd_per_mtok,
        usd_per_byte_s=usd_per_byte_s,
        kv_bytes_per_token=kv_bytes_per_token,
        step_s=step_s,
        label=label,
    )


def usd_per_byte_s(usd_per_gpu_hour: float, accelerator: str) -> float:
    """Rent of memory: a GPU's price per second over its HBM bytes.

    ``usd_per_gpu_hour`` [USD per GPU-hour] on ``accelerator``; returns [USD per byte-second].
    """
    require_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    return usd_per_gpu_hour / 3600.0 / hardware.get(accelerator).mem_bytes


def step_seconds(action_tokens: int, tokens_per_s: float, tool_s: float = 0.0) -> float:
    """Wall time of one step: generating the action plus the tool's latency.

    ``action_tokens`` [tokens] at ``tokens_per_s`` [tokens/s], plus ``tool_s`` [s]; returns [s].
    """
    _whole("action_tokens", action_tokens, 1)
    require_positive("tokens_per_s", tokens_per_s)
    require_positive("tool_s", tool_s, allow_zero=True)
    return require_finite_result(
        action_tokens / tokens_per_s + tool_s,
        "action_tokens, tokens_per_s, tool_s",
        (action_tokens, tokens_per_s, tool_s),
    )


# ---- totals: closed form and simulation ---------------------------------------------------------
def _loop_values(loop: AgentLoop) -> tuple[int, int, int]:
    return loop.prompt_tokens, loop.action_tokens, loop.observation_tokens


def total_cost_usd(loop: AgentLoop, regime: Regime, steps: int) -> float:
    """Closed form (the sympy summation) of the bill after ``steps`` steps.

    ``loop``: the agent loop; ``regime``: how input is billed; ``steps`` [steps]; returns [USD].
    """
    steps = _loop(loop).check_steps(steps)
    _regime(regime)
    try:
        total = _total[regime.kind](*_loop_values(loop), *regime.values, steps)
    except OverflowError:
        total = math.inf
    return require_finite_result(total, "steps", steps)


def step_cost_usd(loop: AgentLoop, regime: Regime, step: int) -> float:
    """Closed form of the cost of step ``step`` alone.

    ``loop``: the agent loop; ``regime``: how input is billed; ``step`` [steps]; returns [USD].
    """
    step = _loop(loop).check_steps(step)
    first, later = _step[_regime(regime).kind]
    args = (*_loop_values(loop), *regime.values)
    try:
        cost = first(*args) if step == 1 else later(*args, step)
    except OverflowError:
        cost = math.inf
    return require_finite_result(cost, "step", step)


@dataclass(frozen=True)
class Bill:
    steps: int
    input_tokens: int  # tokens read as input over all steps (cached or not)
    output_tokens: int
    step_costs_usd: tuple[float, ...]

    @property
    def total_usd(self) -> float:
        """The whole bill [USD]: the steps' costs summed."""
        return math.fsum(self.step_costs_usd)


def simulate(loop: AgentLoop, regime: Regime, steps: int) -> Bill:
    """Run the loop step by step, tracking the context, the cached prefix and the KV held.

    ``regime``: how input is billed; ``steps`` [steps]; the bill's tokens [tokens], costs [USD].
    """
    steps = _loop(loop).check_steps(steps)
    _regime(regime)
    if steps > MAX_SIMULATED_STEPS:
        raise InvalidValueError(
            "steps", steps, f"at most {MAX_SIMULATED_STEPS:,} for a step-by-step simulation"
        )
    p_in, p_out = regime.input_usd_per_mtok / 1e6, regime.output_usd_per_mtok / 1e6
    ctx, prev_prompt, in_kv = loop.prompt_tokens, 0, 0
    costs, read = [], 0
    for _ in range(steps):
        read += ctx
        out = p_out * loop.action_tokens
        if regime.kind == "none":
            cost = p_in * ctx + out
        elif regime.kind == "cache":
            hit = prev_prompt  # the last request's prompt is a prefix of this one
            cost = p_in * (regime.cached_fraction * hit + regime.write_fraction * (ctx - hit)) + out
        else:
            fresh = ctx - in_kv  # tokens not yet in the retained KV cache
            held = ctx + loop.action_tokens + loop.observation_tokens  # context at the step's end
            cost = (
                p_in * fresh
                + out
                + regime.usd_per_byte_s * regime.kv_bytes_per_token * held * regime.step_s
            )
            in_kv = ctx + loop.action_tokens  # the action's KV was written while generating it
        costs.append(cost)
        prev_prompt = ctx
        ctx += loop.action_tokens + loop.observation_tokens
    return Bill(steps, read, steps * loop.action_tokens, tuple(costs))


def total_input_tokens(loop: AgentLoop, steps: int) -> int:
    """T n_p + (n_a + n_o) T (T - 1) / 2: input tokens read over ``steps`` steps.

    ``loop``: the agent loop; ``steps`` [steps] (T); returns [tokens].
    """
    steps = _loop(loop).check_steps(steps)
    try:
        return round(_total_input(*_loop_values(loop), steps))  # a whole number: T (...) is even
    except OverflowError:
        raise InvalidValueError(
            "steps", steps, "a step count whose input-token total fits in a float"
        ) from None


# ---- humans --------------------------------------------------------------------------------------
def thought_tokens(hours: float, tokens_per_s: float | None = None) -> float:
    """Tokens a human 'thinks' in ``hours`` at ``tokens_per_s`` (default: the source's 9 tokens/s).

    ``hours`` [hours], ``tokens_per_s`` [tokens/s]; returns [tokens].
    """
    require_positive("hours", hours)
    rate = (
        float(THOUGHT_TOKENS_PER_S.value)
        if tokens_per_s is None
        else require_positive("tokens_per_s", tokens_per_s)
    )
    return require_finite_result(
        rate * 3600.0 * hours, "hours, tokens_per_s", (hours, tokens_per_s)
    )


def thought_hours(tokens: float, tokens_per_s: float | None = None) -> float:
    """Hours of human thought that ``tokens`` equal at ``tokens_per_s``.

    ``tokens`` [tokens], ``tokens_per_s`` [tokens/s]; returns [hours].
    """
    require_positive("tokens", tokens)
    rate = (
        float(THOUGHT_TOKENS_PER_S.value)
        if tokens_per_s is None
        else require_positive("tokens_per_s", tokens_per_s)
    )
    return require_finite_result(
        tokens / rate / 3600.0, "tokens, tokens_per_s", (tokens, tokens_per_s)
    )


def usd_per_thought_hour(
    cost_usd: float, output_tokens: int, tokens_per_s: float | None = None
) -> float:
    """Price of ``output_tokens`` scaled to one hour of thought at ``tokens_per_s``.

    ``cost_usd`` [USD] of ``output_tokens`` [tokens] at ``tokens_per_s`` [tokens/s]; returns [USD per hour].
    """
    require_positive("cost_usd", cost_usd)
    _whole("output_tokens", output_tokens, 1)
    return require_finite_result(
        cost_usd / thought_hours(output_tokens, tokens_per_s),
        "cost_usd, output_tokens, tokens_per_s",
        (cost_usd, output_tokens, tokens_per_s),
    )


def crossover_step(
    loop: AgentLoop, regime: Regime, wage_usd_per_hour: float, tokens_per_s: float | None = None
) -> int | None:
    """First step whose cost per hour of output thought reaches the wage; None if never (or past the window).

    Solved from the closed form of the step cost (linear in t for every regime).
    ``loop`` and ``regime`` as in ``total_cost_usd``; ``wage_usd_per_hour`` [USD per hour]; ``tokens_per_s`` [tokens/s] of thought; returns [steps].
    """
    _loop(loop)
    _regime(regime)
    require_positive("wage_usd_per_hour", wage_usd_per_hour)
    budget = wage_usd_per_hour * thought_hours(loop.action_tokens, tokens_per_s)  # USD per step
    require_finite_result(budget, "wage_usd_per_hour", wage_usd_per_hour)
    first, later = _step[regime.kind]
    args = (*_loop_values(loop), *regime.values)
    if first(*args) >= budget:
        return 1
    at2 = later(*args, 2)
    slope = _slope[regime.kind](*args)  # the step cost is linear in t for t >= 2 (see STEP_COST)
    if at2 >= budget:
        step = 2
    elif slope <= 0:
        return None
    else:
        steps_after = (budget - at2) / slope - 1e-9
        require_finite_result(steps_after, "wage_usd_per_hour", wage_usd_per_hour)
        step = 2 + math.ceil(steps_after)
    most = loop.max_steps()
    return None if most is not None and step > most else step


def crossover_context(
    row: prices.PriceRow,
    output_tokens: int,
    wage_usd_per_hour: float,
    tokens_per_s: float | None = None,
) -> float:
    """Prompt length [tokens] at which one request's cost per hour of output thought equals the wage.

    0.0 when the output tokens alone already cost more than the wage (no prompt length is needed
    to pass it).
    ``row``: the price row; ``output_tokens`` [tokens]; ``wage_usd_per_hour`` [USD per hour]; ``tokens_per_s`` [tokens/s] of thought (default: the source's 9).
    """
    _row(row)
    _whole("output_tokens", output_tokens, 1)
    require_positive("wage_usd_per_hour", wage_usd_per_hour)
    budget = wage_usd_per_hour * thought_hours(output_tokens, tokens_per_s)
    prompt = (budget - row.output_usd_per_mtok / 1e6 * output_tokens) / (
        row.input_usd_per_mtok / 1e6
    )
    require_finite_result(
        prompt, "wage_usd_per_hour, output_tokens", (wage_usd_per_hour, output_tokens)
    )
    return max(0.0, prompt)  # 0: the output alone already costs more than the wage


# ---- the source's worked example ----------------------------------------------------------------
@dataclass(frozen=True)
class WorkedExample:
    model: str
    context_tokens: int
    output_tokens: int
    input_usd: float
    output_usd: float
    context_thought_hours: float
    output_thought_minutes: float
    usd_per_thought_minute: float
    wage_usd_per_minute: float
    source: str


def worked_example(
    model: str = "gpt-4-turbo",
    context_tokens: int = 128_000,
    output_tokens: int = 1_000,
    tokens_per_s: float | None = None,
    date=None,
) -> WorkedExample:
    """The source's GPT-4 Turbo request, recomputed from the price catalog.

    ``model``'s price row on ``date`` (default: latest); ``context_tokens`` and ``output_tokens`` [tokens]; ``tokens_per_s`` [tokens/s] of thought; costs in [USD].
    """
    row = prices.price(model, date)
    context_tokens = _whole("context_tokens", context_tokens, 1)
    output_tokens = _whole("output_tokens", output_tokens, 1)
    if row.context_window_tokens is not None and context_tokens > row.context_window_tokens:
        raise InvalidValueError(
            "context_tokens",
            context_tokens,
            f"at most {row.context_window_tokens:,}: {context_tokens:,} exceeds {model}'s "
            f"context window of {row.context_window_tokens:,} tokens",
        )
    inp = row.input_usd_per_mtok * context_tokens / 1e6
    out = row.output_usd_per_mtok * output_tokens / 1e6
    minutes = thought_hours(output_tokens, tokens_per_s) * 60
    require_finite_result(
        max(inp, out, minutes, (inp + out) / minutes),
        "context_tokens, output_tokens",
        (context_tokens, output_tokens),
    )
    return WorkedExample(
        model,
        context_tokens,
        output_tokens,
        inp,
        out,
        thought_hours(context_tokens, tokens_per_s),
        minutes,
        (inp + out) / minutes,
        median_wage_usd_per_hour() / 60,
        row.source,
    )


# ---- the chapter's example -------------------------------------------------------------------------
# Assumed loop (not sourced; the chapter shows the sensitivity): a 2,000-token task prompt, then
# per step a 250-token action and a 750-token observation, inside GPT-4 Turbo's 128K window.
EXAMPLE_LOOP = AgentLoop(
    prompt_tokens=2_000, action_tokens=250, observation_tokens=750, max_context=128_000
)
EXAMPLE_MODEL = "gpt-4-turbo"  # the source's example; its architecture is unpublished, so
KV_STAND_IN = "qwen2.5-72b"  # a 70B-class open model stands in for its KV bytes per token
# Caching rules applied to the example's prices (hypothetically: GPT-4 Turbo itself never had
# caching): OpenAI's first rule (read 0.5x), Anthropic's (read 0.1x, write 1.25x) and DeepSeek's
# latest (read 0.1x, no write surcharge), by the date each took effect.
CACHE_RULES = (
    ("OpenAI", dt.date(2024, 10, 1)),
    ("Anthropic", dt.date(2024, 8, 14)),
    ("DeepSeek", dt.date(2025, 9, 29)),
)


EXAMPLE_CONTEXT = 32_768  # context at which the stand-in's stream rate and prefill cost are taken


@dataclass(frozen=True)
class ExampleSetup:
    loop: AgentLoop
    row: prices.PriceRow
    regimes: tuple[Regime, ...]  # list prices: none, each caching rule, KV rent
    rent_usd_per_gpu_hour: float
    rent_gpu: str
    kv_bytes_per_token: int
    stream_tokens_per_s: float
    step_s: float  # generating one action [s]
    tool_wait_s: float  # the tool's latency, during which the KV stays resident [s]
    prefill_usd_per_mtok: (
        float  # re-prefilling at cost: the stand-in's roofline prefill at the rent
    )
    decode_usd_per_mtok: float  # an output token at cost, same deployment and rent
    cost_regimes: tuple[Regime, ...]  # at cost: no caching (every token re-prefilled) and KV rent
    sources: tuple[str, ...]

    @property
    def hold_s(self) -> float:
        """Seconds the KV of the context is held per step: the action plus the tool wait.

        Returns [s].
        """
        return self.step_s + self.tool_wait_s


def example_setup(
    rent_usd_per_gpu_hour: float | None = None, tool_wait_s: float = TOOL_WAIT_S
) -> ExampleSetup:
    """GPT-4 Turbo list prices under no caching, each provider's caching rule, and KV rent on an H100.

    The KV is rented on one 8x H100 replica of the stand-in model; with memory full, a decode step
    reads all of it, so each stream makes W / M tokens per second (chapter 5, memory-bound decode).
    Each step holds the KV for the action's generation plus ``tool_wait_s`` [s] (default
    ``TOOL_WAIT_S``, an assumption; range ``TOOL_WAIT_S_RANGE``). Rent default [USD/GPU-h]: the
    median H100 SXM rental row in market.yaml. ``cost_regimes`` price input and output tokens at
    the same deployment's roofline cost instead of GPT-4 Turbo's list prices.
    ``rent_usd_per_gpu_hour`` overrides that default.
    """
    from . import models, pricing

    require_positive("tool_wait_s", tool_wait_s, allow_zero=True)
    if rent_usd_per_gpu_hour is not None:
        require_positive("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour)
    row = prices.price(EXAMPLE_MODEL)
    rows = prices.rental_rows("h100-sxm")
    if rent_usd_per_gpu_hour is None:
        rent_usd_per_gpu_hour = prices.median_rent_usd_per_gpu_hour("h100-sxm")
    dep = pricing.Deployment.of(KV_STAND_IN, "h100-sxm", 8)
    decode = pricing.decode_cost(dep, rent_usd_per_gpu_hour, EXAMPLE_CONTEXT, bound=True)
    prefill = pricing.prefill_cost(dep, rent_usd_per_gpu_hour, EXAMPLE_CONTEXT, bound=True)
    stream_rate = 1.0 / decode.step_s
    step = step_seconds(EXAMPLE_LOOP.action_tokens, stream_rate)
    kv = models.get(KV_STAND_IN).kv_bytes_per_token("bf16")
    rho_ = usd_per_byte_s(rent_usd_per_gpu_hour, "h100-sxm")
    regimes = [no_cache(row)]
    keys = {row.source}
    for provider, date in CACHE_RULES:
        rule = prices.cache_rule(provider, date)
        regimes.append(
            prompt_cache(
                row,
                rule.cached_input_fraction,
                rule.cache_write_fraction,
                label=f"{provider} caching ({date:%b %Y})",
            )
        )
        keys.add(rule.source)
    regimes.append(kv_rent(row, rho_, kv, step + tool_wait_s, label="KV rent on H100 HBM"))
    at_cost = prices.PriceRow(
        "roofline",
        f"{KV_STAND_IN} on 8x h100-sxm at cost",
        row.date,
        prefill.usd_per_mtok,
        decode.usd_per_mtok,
        None,
        None,
        None,
        row.source,
    )
    cost_regimes = (
        Regime(
            "none",
            at_cost.input_usd_per_mtok,
            at_cost.output_usd_per_mtok,
            label="re-prefill at cost",
        ),
        kv_rent(at_cost, rho_, kv, step + tool_wait_s, label="KV rent at cost"),
    )
    keys |= {r.source for r in rows} | {models.info(KV_STAND_IN).config_source.source}
    return ExampleSetup(
        EXAMPLE_LOOP,
        row,
        tuple(regimes),
        rent_usd_per_gpu_hour,
        "h100-sxm",
        kv,
        stream_rate,
        step,
        tool_wait_s,
        prefill.usd_per_mtok,
        decode.usd_per_mtok,
        cost_regimes,
        tuple(sorted(keys)),
    )


@dataclass(frozen=True)
class RentVsReprefill:
    """What keeping a token's KV for one step saves against re-reading it, at cost and at list price."""

    hold_s: float  # the step's generation time plus the tool wait [s]
    hold_usd_per_mtok: float  # rent of one million tokens' KV for hold_s [USD]
    prefill_usd_per_mtok: float  # re-prefilling one million tokens at cost [USD]
    list_input_usd_per_mtok: float  # re-billing them at the list input price [USD]
    at_cost: float  # prefill at cost / rent at cost (the physics)
    at_list: float  # list input price / rent at cost (physics times the list margin)
    list_over_cost: float  # list input price / prefill at cost (the margin and everything else)
    run_at_cost: float  # whole-run bill, re-prefill at cost / KV rent at cost
    run_at_list: (
        float  # whole-run bill, no caching at list / KV rent with list prices for new tokens
    )
    breakeven_hold_s: (
        float  # hold time [s] beyond which renting the KV costs more than re-prefilling
    )


def rent_vs_reprefill(setup: ExampleSetup | None = None) -> RentVsReprefill:
    """Ratio of re-prefilling a context to renting its KV for one step, at cost and at list price.

    Per token and step: ``REPREFILL_OVER_HOLD`` = pi_pre / (rho kappa (Delta + tau)). At cost,
    pi_pre is the stand-in's roofline prefill cost at the same GPU rent that prices the memory;
    at list price it is GPT-4 Turbo's input price. The whole-run ratios use the closed-form bills
    over the example's full window.
    ``setup``: default ``example_setup()``.
    """
    if setup is not None:
        require_instance("setup", setup, ExampleSetup, "None or an ExampleSetup (example_setup())")
    setup = example_setup() if setup is None else setup
    rent = setup.regimes[-1]
    rho_, kappa_ = rent.usd_per_byte_s, rent.kv_bytes_per_token
    at_cost = _reprefill_over_hold(
        setup.prefill_usd_per_mtok / 1e6, rho_, kappa_, setup.step_s, setup.tool_wait_s
    )
    at_list = _reprefill_over_hold(
        setup.row.input_usd_per_mtok / 1e6, rho_, kappa_, setup.step_s, setup.tool_wait_s
    )
    steps = setup.loop.window_steps()
    none_c, rent_c = setup.cost_regimes
    return RentVsReprefill(
        hold_s=setup.hold_s,
        hold_usd_per_mtok=_kv_hold(rho_, kappa_, setup.step_s, setup.tool_wait_s) * 1e6,
        prefill_usd_per_mtok=setup.prefill_usd_per_mtok,
        list_input_usd_per_mtok=setup.row.input_usd_per_mtok,
        at_cost=at_cost,
        at_list=at_list,
        list_over_cost=setup.row.input_usd_per_mtok / setup.prefill_usd_per_mtok,
        run_at_cost=total_cost_usd(setup.loop, none_c, steps)
        / total_cost_usd(setup.loop, rent_c, steps),
        run_at_list=total_cost_usd(setup.loop, setup.regimes[0], steps)
        / total_cost_usd(setup.loop, rent, steps),
        breakeven_hold_s=_hold_breakeven(
            setup.prefill_usd_per_mtok / 1e6, rho_, kappa_, setup.step_s
        ),
    )

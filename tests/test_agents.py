"""Chapter 5 agents: closed forms equal the simulation; the source's arithmetic checked by hand."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from analysis import agents, prices
from analysis.agents import AgentLoop, Regime

ROW = prices.price("gpt-4-turbo")


def test_gpt4_turbo_row():
    # OpenAI DevDay 2023: $0.01 / 1K input, $0.03 / 1K output, 128K context.
    assert (ROW.input_usd_per_mtok, ROW.output_usd_per_mtok, ROW.context_window_tokens) == (
        10.0,
        30.0,
        128_000,
    )


def test_worked_example_hand_values():
    ex = agents.worked_example()
    assert ex.input_usd == pytest.approx(1.28)  # $10/M x 128,000
    assert ex.output_usd == pytest.approx(0.03)  # $30/M x 1,000
    assert ex.context_thought_hours == pytest.approx(128_000 / 9 / 3600)  # 3.95 h
    assert ex.output_thought_minutes == pytest.approx(1000 / 9 / 60)
    assert ex.usd_per_thought_minute == pytest.approx(1.31 / (1000 / 540))


def test_thought_rates_hand_values():
    assert agents.thought_tokens(1) == pytest.approx(32_400)  # 9 x 3,600
    assert agents.thought_tokens(8) == pytest.approx(259_200)
    assert agents.thought_tokens(40) == pytest.approx(1_296_000)
    assert agents.thought_tokens(1, tokens_per_s=5) == pytest.approx(18_000)


def test_wage_is_annual_over_2080_hours():
    assert agents.median_wage_usd_per_hour() == pytest.approx(63.59, abs=0.005)


def test_total_input_tokens_hand():
    loop = AgentLoop(100, 10, 20)
    # 100 + 130 + 160 = 390
    assert agents.total_input_tokens(loop, 3) == 390
    assert agents.simulate(loop, agents.no_cache(ROW), 3).input_tokens == 390


def test_no_cache_bill_hand():
    loop = AgentLoop(1000, 100, 900)
    # steps read 1,000 and 2,000 input tokens and write 100 output tokens each, at $10 / $30 per M
    expected = (3000 * 10 + 200 * 30) / 1e6
    assert agents.total_cost_usd(loop, agents.no_cache(ROW), 2) == pytest.approx(expected)


def test_quadratic_coefficients():
    assert (
        sp.simplify(agents.QUADRATIC_COEFF["none"] - agents.pi_in * (agents.n_a + agents.n_o) / 2)
        == 0
    )
    assert (
        sp.simplify(agents.QUADRATIC_COEFF["cache"] - agents.h * agents.QUADRATIC_COEFF["none"])
        == 0
    )


regimes = st.one_of(
    st.builds(lambda i, o: Regime("none", i, o), st.floats(0.01, 100), st.floats(0.01, 100)),
    st.builds(
        lambda i, o, h, w: Regime("cache", i, o, h, w),
        st.floats(0.01, 100),
        st.floats(0.01, 100),
        st.one_of(st.just(0.0), st.floats(0.01, 1.0)),
        st.floats(0.5, 2.0),
    ),
    st.builds(
        lambda i, o, r, k, d: Regime(
            "rent", i, o, usd_per_byte_s=r, kv_bytes_per_token=k, step_s=d
        ),
        st.floats(0.01, 100),
        st.floats(0.01, 100),
        st.floats(1e-16, 1e-12),
        st.floats(1e3, 1e7),
        st.floats(0.1, 100),
    ),
)
loops = st.builds(AgentLoop, st.integers(1, 20_000), st.integers(1, 2_000), st.integers(0, 5_000))


@given(loops, regimes, st.integers(1, 300))
def test_closed_form_equals_simulation(loop, regime, steps):
    bill = agents.simulate(loop, regime, steps)
    assert agents.total_cost_usd(loop, regime, steps) == pytest.approx(bill.total_usd, rel=1e-9)
    assert bill.input_tokens == agents.total_input_tokens(loop, steps)
    step = 1 + steps // 2
    assert agents.step_cost_usd(loop, regime, step) == pytest.approx(
        bill.step_costs_usd[step - 1], rel=1e-9
    )


@given(loops, regimes, st.integers(1, 200))
def test_bill_grows_with_steps(loop, regime, steps):
    assert agents.total_cost_usd(loop, regime, steps + 1) > agents.total_cost_usd(
        loop, regime, steps
    )


@given(loops, st.integers(2, 200))
def test_caching_never_costs_more_without_write_surcharge(loop, steps):
    none = agents.total_cost_usd(loop, agents.no_cache(ROW), steps)
    cached = agents.total_cost_usd(loop, agents.prompt_cache(ROW, 0.5), steps)
    assert cached <= none


@given(loops, regimes, st.floats(1.0, 500.0), st.floats(1.0, 50.0))
def test_crossover_matches_simulation(loop, regime, wage, rate):
    found = agents.crossover_step(loop, regime, wage, rate)
    budget = wage * agents.thought_hours(loop.action_tokens, rate)
    cost = agents.step_cost_usd
    if found is None:  # only when the step cost stops growing (a free cache hit) below the wage
        assert cost(loop, regime, 1000) == pytest.approx(cost(loop, regime, 2))
        assert cost(loop, regime, 2) < budget
        return
    assert cost(loop, regime, found) >= budget * (1 - 1e-6)
    if found > 1:
        assert cost(loop, regime, found - 1) < budget * (1 + 1e-6)
    if found <= 400:  # the simulation agrees on the first step that passes
        costs = agents.simulate(loop, regime, found).step_costs_usd
        assert all(c < budget * (1 + 1e-6) for c in costs[:-1])


def test_example_crossovers_move_with_thought_rate():
    ex = agents.example_setup()
    wage = agents.median_wage_usd_per_hour()
    none = ex.regimes[0]
    steps = [agents.crossover_step(ex.loop, none, wage, r) for r in (5.0, 9.0, 15.0)]
    assert steps[0] > steps[1] > steps[2]  # a faster human thinker is dearer per token


def test_crossover_context_hand():
    # wage $63.59/h, 1K output at 9 tok/s: budget 63.59 x 1000 / 32,400; minus $0.03, over $10/M
    wage = 63.59
    expected = (wage * 1000 / 32_400 - 0.03) / 10e-6
    assert agents.crossover_context(ROW, 1000, wage, 9.0) == pytest.approx(expected)


def test_crossover_context_never_negative():
    # Issue 15: crossover_context(gpt-4-turbo, 1000 output tokens, $0.5/h) returned -1456.8 tokens.
    # At $0.5/h the 1,000 output tokens ($0.03) already cost more than 1000/9 s of wage ($0.015).
    assert agents.crossover_context(ROW, 1000, 0.5) == 0.0


# ---- KV rent against re-prefill (issue 14 item 9) --------------------------------------------------
def _hand_at_cost_ratio(tool_wait_s: float) -> float:
    """Re-prefill cost / KV rent per token and step, from the catalogs by hand (no agents code).

    Prefill at cost: 8 GPUs at rent c [USD/GPU-s] for FLOPs-per-token / (8 F) seconds (compute-bound)
    = c (2N + a(L+1)/2) / F per token. Rent: c / M per byte-second, times kappa bytes, for the
    hold time = 250 action tokens x decode step + tool wait. The rent c cancels.
    """
    from analysis import hardware, models, roofline

    acc, m = hardware.get("h100-sxm"), models.get("qwen2.5-72b")
    n_gpu, ctx = 8, 32_768
    F, W, M = acc.peak_flops("bf16"), acc.mem_bandwidth, acc.mem_bytes
    N, a = roofline.matmul_params(m), roofline.attention_flops_per_position(m)
    kappa = m.kv_bytes_per_token("bf16")
    flops_per_prefill_token = 2 * N + a * (ctx + 1) / 2
    # Decode at the largest batch that fits: the step reads the weights and every sequence's KV.
    P, kv_seq = m.weight_bytes("bf16"), m.kv_cache_bytes(ctx, "bf16")
    batch = (n_gpu * M - P) // kv_seq
    decode_flops = batch * (2 * N + a * (ctx - 1))
    decode_bytes = P + batch * kappa * (ctx - 1)
    step_s = max(decode_flops / (n_gpu * F), decode_bytes / (n_gpu * W))
    hold_s = 250 * step_s + tool_wait_s
    return (flops_per_prefill_token / F) * M / (kappa * hold_s)


@pytest.mark.parametrize("tool_wait_s", [0.0, agents.TOOL_WAIT_S, 60.0])
def test_rent_vs_reprefill_at_cost_by_hand(tool_wait_s):
    r = agents.rent_vs_reprefill(agents.example_setup(tool_wait_s=tool_wait_s))
    assert r.at_cost == pytest.approx(_hand_at_cost_ratio(tool_wait_s), rel=1e-3)
    # At list price the ratio is the at-cost ratio times list price over prefill cost.
    assert r.at_list == pytest.approx(r.at_cost * r.list_over_cost)
    assert r.list_over_cost == pytest.approx(10.0 / r.prefill_usd_per_mtok)


def test_at_cost_ratio_does_not_depend_on_rent():
    lo = agents.rent_vs_reprefill(agents.example_setup(2.0))
    hi = agents.rent_vs_reprefill(agents.example_setup(12.0))
    assert lo.at_cost == pytest.approx(hi.at_cost)
    assert lo.at_list > hi.at_list  # the list price does not move with the rent


def test_breakeven_hold_makes_the_ratio_one():
    s = agents.example_setup()
    r = agents.rent_vs_reprefill(s)
    at_breakeven = agents.rent_vs_reprefill(
        agents.example_setup(tool_wait_s=r.breakeven_hold_s - s.step_s)
    )
    assert at_breakeven.at_cost == pytest.approx(1.0)
    assert r.at_cost == pytest.approx(r.breakeven_hold_s / r.hold_s)


def test_longer_tool_wait_raises_the_rent():
    bills = [
        agents.rent_vs_reprefill(agents.example_setup(tool_wait_s=w)).run_at_cost
        for w in (0.0, 5.0, 60.0)
    ]
    assert bills[0] > bills[1] > bills[2]
    lo, hi = agents.TOOL_WAIT_S_RANGE
    assert lo <= agents.TOOL_WAIT_S <= hi


def test_rent_is_not_changed_by_a_caller():
    import dataclasses

    row = prices.rental_rows("h100-sxm")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.usd_per_gpu_hour = 1000.0
    assert agents.example_setup().rent_usd_per_gpu_hour == prices.median_rent_usd_per_gpu_hour(
        "h100-sxm"
    )


# ---- errors -------------------------------------------------------------------------------------
def test_bad_inputs():
    with pytest.raises(
        ValueError, match="input_usd_per_mtok must be >= 0|input_usd_per_mtok must be > 0"
    ):
        Regime("none", -1.0, 30.0)
    with pytest.raises(ValueError, match="tokens_per_s must be > 0"):
        agents.step_seconds(100, 0.0)
    with pytest.raises(ValueError, match="tokens_per_s must be > 0"):
        agents.thought_hours(1000, 0)
    with pytest.raises(ValueError, match="unknown regime"):
        Regime("free", 1.0, 1.0)
    with pytest.raises(ValueError, match="action_tokens"):
        AgentLoop(10, 0, 5)
    with pytest.raises(ValueError, match="usd_per_byte_s"):
        Regime("rent", 1.0, 1.0, kv_bytes_per_token=1.0, step_s=1.0)


def test_context_longer_than_window():
    loop = AgentLoop(2000, 250, 750, max_context=128_000)
    assert loop.max_steps() == 126
    with pytest.raises(
        ValueError, match="more than the model's window of 128,000; at most 126 steps"
    ):
        agents.total_cost_usd(loop, agents.no_cache(ROW), 127)
    with pytest.raises(ValueError, match="exceeds gpt-4-turbo's context window of 128,000"):
        agents.worked_example(context_tokens=200_000)

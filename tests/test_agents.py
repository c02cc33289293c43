"""Chapter 3 agents: closed forms equal the simulation; the source's arithmetic checked by hand."""

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

"""KV sharing: the prefix-tree simulator against closed forms, a brute-force oracle and hand counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import sharing


def brute_force_blocks(sequences, block):
    """Independent oracle: a block is the whole prefix it closes; count distinct ones."""
    keys = set()
    for seq in sequences:
        for j in range(-(-len(seq) // block)):
            keys.add(tuple(seq[: min((j + 1) * block, len(seq))]))
    return len(keys)


def brute_force_tokens(sequences):
    return len({tuple(seq[: i + 1]) for seq in sequences for i in range(len(seq))})


sequences_st = st.lists(
    st.lists(st.integers(0, 3), min_size=1, max_size=12), min_size=1, max_size=8
)


@given(sequences_st, st.integers(1, 6))
def test_simulator_matches_brute_force(seqs, block):
    tree = sharing.count(seqs, block)
    assert tree.unique_blocks == brute_force_blocks(seqs, block)
    assert tree.unique_tokens == brute_force_tokens(seqs)
    assert tree.unshared_blocks == sum(-(-len(s) // block) for s in seqs)


@given(sequences_st, st.integers(1, 6), st.randoms(use_true_random=False))
def test_sharing_never_increases_memory_and_ignores_order(seqs, block, rnd):
    tree = sharing.count(seqs, block)
    assert tree.unique_blocks <= tree.unshared_blocks
    assert tree.unique_tokens <= tree.total_tokens
    assert tree.unique_blocks >= -(-max(map(len, seqs)) // block)  # the longest needs its own path
    shuffled = list(seqs)
    rnd.shuffle(shuffled)
    assert sharing.count(shuffled, block).unique_blocks == tree.unique_blocks


@given(
    st.integers(0, 40), st.integers(1, 4), st.integers(1, 3), st.integers(1, 20), st.integers(1, 16)
)
def test_tree_closed_form_matches_simulator(prefix, branching, depth, step, block):
    seqs = sharing.tree_sequences(prefix, branching, depth, step)
    tree = sharing.count(seqs, block)
    assert (tree.unique_blocks, tree.unshared_blocks) == sharing.tree_blocks(
        prefix, branching, depth, step, block
    )
    shared, unshared = sharing.tree_tokens(prefix, branching, depth, step)
    assert tree.unique_tokens == shared
    assert tree.total_tokens == unshared
    assert sharing.tree_saving(prefix, branching, depth, step) == pytest.approx(
        1 - shared / unshared
    )


def test_tree_hand_count():
    # prompt 32, b=2, d=2, t=16, block 16: 2 prompt blocks + 2 + 4 step blocks = 8 vs 4 x 4 = 16
    assert sharing.tree_blocks(32, 2, 2, 16, 16) == (8, 16)
    # token level: 32 + 16 x (2 + 4) = 128 vs 4 x 64 = 256
    assert sharing.tree_tokens(32, 2, 2, 16) == (128, 256)


def test_parallel_sampling_partial_prompt_block_is_copied():
    """19-token prompt, block 16: only the first prompt block is shared; each sample owns the rest."""
    tree = sharing.count(sharing.parallel_samples(19, 3, 5), 16)
    assert tree.unique_blocks == 1 + 3 * 1
    assert tree.unshared_blocks == 3 * 2


def test_fan_saving_hand_arithmetic_and_limit():
    assert sharing.fan_saving(1000, 4, 1000) == pytest.approx(3 * 1000 / (4 * 2000))
    assert sharing.FAN_SAVING_LIMIT.subs({sharing.Pp: 3, sharing.U: 1}) == sharing.sp.Rational(3, 4)
    # same memory holds n (P + U) / (P + U n) times the sequences: 4 x 2000 / 5000 = 1.6
    gain = sharing.FAN_CONCURRENCY_GAIN.subs({sharing.Pp: 1000, sharing.U: 1000, sharing.n_s: 4})
    assert float(gain) == pytest.approx(1.6)


def test_system_prompt_agents():
    # 100 agents, 8,000-token system prompt, 2,000 own tokens, block 16: 500 + 100 x 125 blocks
    tree = sharing.count(sharing.shared_system_prompt(8000, 100, 2000), 16)
    assert tree.unique_blocks == 500 + 100 * 125
    assert tree.saving == pytest.approx(1 - 13_000 / 62_500)


def test_beam_bounds_reached_by_extreme_survival():
    w, steps, prompt = 4, 30, 20
    fewest, most, unshared = sharing.beam_bounds(prompt, w, steps)
    all_from_first = np.zeros((steps, w), dtype=int)  # one beam's children always win
    own_lineage = np.tile(np.arange(w), (steps, 1))  # beams never merge
    assert (
        sharing.count(sharing.beam_sequences(prompt, w, all_from_first), 1).unique_tokens == fewest
    )
    assert sharing.count(sharing.beam_sequences(prompt, w, own_lineage), 1).unique_tokens == most
    assert (fewest, most, unshared) == (
        prompt + steps - 1 + w,
        prompt + w * steps,
        w * (prompt + steps),
    )


@given(
    st.integers(1, 30),
    st.integers(1, 6),
    st.integers(1, 25),
    st.integers(0, 10**6),
    st.integers(1, 16),
)
def test_random_beams_within_bounds(prompt, width, steps, seed, block):
    seqs = sharing.beam_sequences(prompt, width, sharing.beam_parents(width, steps, seed))
    tree = sharing.count(seqs, block)
    fewest, most, unshared = sharing.beam_bounds(prompt, width, steps, block)
    assert fewest <= tree.unique_blocks <= most <= unshared == tree.unshared_blocks


def test_ancestor_chain_rows_are_distributions():
    chain = sharing._ancestor_chain(6)
    assert np.allclose(chain[1:].sum(axis=1), 1.0)
    assert chain[2, 1] == pytest.approx(1 / 6)  # two beams pick the same parent


def test_beam_expected_tokens_matches_simulation():
    prompt, width, steps, runs = 10, 4, 40, 600
    counts = [
        sharing.count(
            sharing.beam_sequences(prompt, width, sharing.beam_parents(width, steps, i)), 1
        ).unique_tokens
        for i in range(runs)
    ]
    expected = sharing.beam_expected_tokens(prompt, width, steps)
    stderr = np.std(counts) / np.sqrt(runs)
    assert abs(np.mean(counts) - expected) < 4 * stderr
    assert sharing.beam_expected_tokens(prompt, 1, steps) == prompt + steps  # one beam: a line


def test_gain_and_concurrency():
    gain = sharing.tree_gain(32, 2, 2, 16, block_tokens=16, kv_bytes_per_token=327_680)
    assert gain.concurrency_gain == 2.0
    assert gain.saved_bytes == 8 * 16 * 327_680
    budget = 100 * 16 * 327_680  # 100 blocks
    assert sharing.trees_that_fit(budget, gain) == (12, 6)


def test_vllm_inversion_hand_arithmetic():
    # 6.1% saved with 2 samples means the prompt is 12.2% of each sequence
    assert sharing.prompt_share_for_saving(0.061, 2) == pytest.approx(0.122)
    with pytest.raises(ValueError, match="impossible"):
        sharing.prompt_share_for_saving(0.6, 2)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sharing.PrefixTree(0), "block_tokens must be an integer >= 1"),
        (lambda: sharing.PrefixTree(4).insert([]), "at least one token"),
        (lambda: sharing.tree_blocks(10, 0, 1, 1, 16), "branching must be an integer >= 1"),
        (lambda: sharing.tree_blocks(-1, 2, 1, 1, 16), "prefix_tokens must be an integer >= 0"),
        (lambda: sharing.beam_sequences(10, 3, np.zeros((4, 2), dtype=int)), r"shape \(steps, 3\)"),
        (lambda: sharing.beam_sequences(10, 3, np.full((4, 3), 3)), "parent indices"),
        (lambda: sharing.fan_saving(10, 0, 5), "n must be > 0"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_tree_gain_limit_is_path_over_last_step():
    """Wide trees: the gain tends to (P + d t) / t; at b = 1000 it is within 0.5% of it."""
    assert sharing.TREE_GAIN_LIMIT.subs(
        {sharing.Pp: 4096, sharing.d: 3, sharing.t: 256}
    ) == sharing.sp.Rational(4096 + 768, 256)
    shared, unshared = sharing.tree_tokens(4096, 1000, 3, 256)
    assert unshared / shared == pytest.approx((4096 + 768) / 256, rel=5e-3)


def test_agents_that_fit_counts_agent_by_agent():
    # Issue 14 item 7: 100-agent case d. Eight H100s (8 x 80e9 B) minus Llama 3 70B's bf16 weights
    # leave 498.9 GB; 16-token blocks of 327,680 B/token = 5,242,880 B. With sharing the 500 prompt
    # blocks are stored once and each agent adds 125; without, each agent holds 625.
    free = 8 * 80e9 - 70_553_706_496 * 2
    blocks = int(free // (16 * 327_680))
    assert (
        sharing.agents_that_fit(free, 8000, 2000, block_tokens=16, kv_bytes_per_token=327_680)
        == (
            (blocks - 500) // 125,
            blocks // 625,
        )
        == (757, 152)
    )


def test_agents_that_fit_matches_the_simulator():
    seqs = sharing.shared_system_prompt(40, 7, 9)
    tree = sharing.count(seqs, block_tokens=4)
    with_sh, without = sharing.agents_that_fit(
        tree.unique_blocks * 4, 40, 9, block_tokens=4, kv_bytes_per_token=1
    )
    assert with_sh == 7 and without < 7

"""Chapter 2: KV-cache sharing across sequences that branch from common prefixes.

A ``PrefixTree`` is a radix tree of token sequences with paged KV blocks of ``block_tokens``
tokens. Two sequences share a block when they agree on every token up to the block's end
(copy-on-write paging as in vLLM): the block is keyed by the whole prefix it closes, so a
partly filled last block is shared only by identical sequences. The tree counts the unique
blocks the live sequences need, against one private copy per sequence.

Scenarios: (a) n samples of one prompt, (b) beam search, (c) tree-search agents (branching b,
depth d, t tokens per step), (d) many agents behind one system prompt. (a), (c) and (d) are one
uniform tree with an exact closed form (``tree_blocks``); beam search depends on which beams
survive, so it has exact bounds, an exact expected token count under random (Wright-Fisher)
survival, and the simulator for blocks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import mpmath
import numpy as np
import sympy as sp

from .errors import (
    InvalidValueError,
    require_count,
    require_finite_result,
    require_fraction,
    require_instance,
    require_positive,
)


def _require_int(name: str, value: int, minimum: int = 1) -> int:
    return require_count(name, value, minimum=minimum)


# Exact counts walk the tree level by level and the simulators build every sequence: bound the
# work so that a huge argument is refused instead of running for hours (the float closed forms,
# ``tree_saving`` and ``fan_saving``, take any size).
MAX_LEVELS = 10_000  # depth of a tree, steps of a beam search, G of a generation
MAX_SEQUENCE_TOKENS = 10**7  # tokens a simulator may materialise
MAX_WIDTH = 4096  # beams (the ancestor chain is width x width)
MAX_SEEDS = 1000


def _require_levels(name: str, value: int, maximum: int = MAX_LEVELS) -> int:
    return require_count(name, value, maximum=maximum)


def _require_tree(prefix_tokens, branching, depth, step_tokens) -> tuple[int, int, int, int]:
    """Checked arguments of a uniform tree whose leaf count a float can hold."""
    prefix = _require_int("prefix_tokens", prefix_tokens, 0)
    b_ = _require_int("branching", branching)
    d_ = _require_levels("depth", depth)
    t_ = _require_int("step_tokens", step_tokens)
    if d_ * math.log2(b_) > 1000:
        raise InvalidValueError(
            "branching, depth", (b_, d_), "a tree with at most 2**1000 leaves (branching**depth)"
        )
    return prefix, b_, d_, t_


def _sequence_tokens(name: str, values: object, tokens: int) -> None:
    if tokens > MAX_SEQUENCE_TOKENS:
        raise InvalidValueError(
            name,
            values,
            f"small enough that the sequences hold at most {MAX_SEQUENCE_TOKENS:,} tokens "
            f"(they would hold {tokens:,}); use the closed forms for larger trees",
        )


# ---- the simulator --------------------------------------------------------------------------------
class _Node:
    __slots__ = ("children", "depth", "label", "terminal")

    def __init__(self, label: tuple, depth: int):
        self.label = label  # tokens on the edge into this node
        self.depth = depth  # tokens from the root to the end of this node's edge
        self.children: dict[Hashable, _Node] = {}
        self.terminal = 0  # live sequences that end exactly here


def _common_prefix(label: tuple, seq: tuple, start: int) -> int:
    """Length of the common prefix of ``label`` and ``seq[start:]`` (slice compares run in C)."""
    hi = min(len(label), len(seq) - start)
    if seq[start : start + hi] == label[:hi]:
        return hi
    lo = 1  # the first token matched (the child was found by it)
    while lo < hi:  # largest m with equal prefixes of length m: equality is monotone in m
        mid = (lo + hi + 1) // 2
        if seq[start : start + mid] == label[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class PrefixTree:
    """Radix tree of live token sequences; counts their unique paged KV blocks."""

    def __init__(self, block_tokens: int = 16):
        self.block_tokens = _require_int("block_tokens", block_tokens)
        self._root = _Node((), 0)
        self.n_sequences = 0
        self.total_tokens = 0  # what private caches would hold
        self.unshared_blocks = 0

    def insert(self, tokens: Iterable[Hashable]) -> None:
        """Add one live sequence (its prompt and every token it has generated).

        ``tokens``: the sequence's token ids, prompt first.
        """
        seq = tuple(tokens)
        if not seq:
            raise InvalidValueError("tokens", seq, "a sequence of at least one token")
        node, i = self._root, 0
        while i < len(seq):
            child = node.children.get(seq[i])
            if child is None:
                new = _Node(seq[i:], len(seq))
                node.children[seq[i]] = new
                node, i = new, len(seq)
                break
            m = _common_prefix(child.label, seq, i)
            if m < len(child.label):  # split the edge where the sequence leaves it
                mid = _Node(child.label[:m], child.depth - len(child.label) + m)
                child.label = child.label[m:]
                mid.children[child.label[0]] = child
                node.children[seq[i]] = mid
                child = mid
            node, i = child, i + m
        node.terminal += 1
        self.n_sequences += 1
        self.total_tokens += len(seq)
        self.unshared_blocks += -(-len(seq) // self.block_tokens)

    def _nodes(self):
        stack = list(self._root.children.values())
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.children.values())

    @property
    def unique_tokens(self) -> int:
        """Token positions with distinct prefixes: the KV held with sharing at block size 1.

        Returns [tokens].
        """
        return sum(len(n.label) for n in self._nodes())

    @property
    def unique_blocks(self) -> int:
        """Distinct blocks: each full block closed inside an edge, plus each partial last block.

        Returns [blocks].
        """
        size, total = self.block_tokens, 0
        for node in self._nodes():
            start = node.depth - len(node.label)
            total += node.depth // size - start // size
            if node.terminal and node.depth % size:
                total += 1
        return total

    @property
    def saving(self) -> float:
        """Fraction of private-copy blocks that sharing saves.

        Returns [fraction].
        """
        return 1 - self.unique_blocks / self.unshared_blocks


def count(sequences: Iterable[Sequence[Hashable]], block_tokens: int = 16) -> PrefixTree:
    """A PrefixTree holding ``sequences``.

    ``block_tokens`` [tokens] per paged block.
    """
    tree = PrefixTree(block_tokens)
    for seq in sequences:
        tree.insert(seq)
    return tree


# ---- scenario sequences (fresh integer tokens wherever branches differ) ----------------------------
def tree_sequences(prefix_tokens: int, branching: int, depth: int, step_tokens: int) -> list[tuple]:
    """Leaves of a uniform tree: a shared prefix, then ``depth`` levels of ``step_tokens`` each.

    ``prefix_tokens`` [tokens], ``branching`` [children]; returns the leaves' token sequences.
    """
    prefix_tokens = _require_int("prefix_tokens", prefix_tokens, 0)
    branching = _require_int("branching", branching)
    depth = _require_levels("depth", depth)
    step_tokens = _require_int("step_tokens", step_tokens)
    if depth * math.log2(branching) > 64:
        _sequence_tokens("branching, depth", (branching, depth), 2**64)
    _sequence_tokens(
        "prefix_tokens, branching, depth, step_tokens",
        (prefix_tokens, branching, depth, step_tokens),
        branching**depth * (prefix_tokens + depth * step_tokens),
    )
    fresh = itertools.count(prefix_tokens)
    level = [tuple(range(prefix_tokens))]
    for _ in range(depth):
        level = [
            seq + tuple(itertools.islice(fresh, step_tokens))
            for seq in level
            for _ in range(branching)
        ]
    return level


def parallel_samples(prompt_tokens: int, n: int, generated_tokens: int) -> list[tuple]:
    """(a) ``n`` samples of one prompt, each ``generated_tokens`` long so far.

    ``prompt_tokens`` [tokens]; returns ``n`` token sequences.
    """
    _require_int("prompt_tokens", prompt_tokens)
    _require_int("n", n)
    _require_int("generated_tokens", generated_tokens)
    return tree_sequences(prompt_tokens, n, 1, generated_tokens)


def shared_system_prompt(system_tokens: int, n_agents: int, own_tokens: int) -> list[tuple]:
    """(d) ``n_agents`` agents, each with its own context after one common system prompt.

    ``system_tokens`` and ``own_tokens`` [tokens]; returns the token sequences.
    """
    _require_int("system_tokens", system_tokens)
    _require_int("n_agents", n_agents)
    _require_int("own_tokens", own_tokens)
    return tree_sequences(system_tokens, n_agents, 1, own_tokens)


def beam_parents(width: int, steps: int, seed: int = 0) -> np.ndarray:
    """Random survival (Wright-Fisher): each step's beams pick parents uniformly at random.

    A neutral null model: real beam search selects by score, which can coalesce faster or slower.
    ``width`` [beams], ``steps`` [steps], ``seed`` of the generator; returns parent indices [beam index], shape (steps, width).
    """
    width = _require_int("width", width)
    steps = _require_levels("steps", steps)
    seed = _require_int("seed", seed, 0)
    _sequence_tokens("width, steps", (width, steps), width * steps)
    return np.random.default_rng(seed).integers(0, width, size=(steps, width))


def beam_sequences(prompt_tokens: int, width: int, parents: np.ndarray) -> list[tuple]:
    """(b) The ``width`` live beams after ``len(parents)`` steps of beam search.

    ``parents[t, j]`` is the beam of step t-1 that beam j of step t extends by one new token;
    before step 1 all beams are the prompt.
    ``prompt_tokens`` [tokens]: the prompt's length.
    """
    prompt_tokens = _require_int("prompt_tokens", prompt_tokens, 1)
    width = _require_int("width", width)
    parents = np.asarray(parents)
    if parents.ndim != 2 or parents.shape[1] != width:
        raise InvalidValueError("parents", parents, f"an array of shape (steps, {width})")
    if parents.size and (parents.min() < 0 or parents.max() >= width):
        raise InvalidValueError("parents", parents, f"parent indices in 0..{width - 1}")
    _sequence_tokens("prompt_tokens, width", (prompt_tokens, width),
                     width * (prompt_tokens + len(parents)))  # fmt: skip
    fresh = itertools.count(prompt_tokens)
    beams = [tuple(range(prompt_tokens))] * width
    for row in parents:
        beams = [beams[int(p)] + (next(fresh),) for p in row]
    return beams


# ---- closed forms -------------------------------------------------------------------------------------
# prefix tokens L_p (context every sequence shares), branching b, depth H, tokens m added per
# level, n sequences behind one prefix with U tokens of their own; j indexes the levels
Pp, b, d, t, n_s, U = sp.symbols("L_p b H m n U", positive=True)
ell = sp.Symbol("j", integer=True, positive=True)
TREE_TOKENS_SHARED = Pp + t * sp.Sum(b**ell, (ell, 1, d))  # every tree node's tokens once
TREE_TOKENS_UNSHARED = b**d * (Pp + d * t)  # every leaf holds its whole path
TREE_SAVING = 1 - TREE_TOKENS_SHARED / TREE_TOKENS_UNSHARED
# One level of n branches of U tokens each: parallel samples (a) and system prompts (d).
FAN_SAVING = sp.simplify(TREE_SAVING.subs({d: 1, b: n_s, t: U}).doit())
FAN_SAVING_LIMIT = sp.limit(FAN_SAVING, n_s, sp.oo)  # P / (P + U): the prompt's share
FAN_CONCURRENCY_GAIN = sp.simplify(
    1 / (1 - FAN_SAVING)
)  # same memory, this many times the sequences
# Concurrency gain of a tree (b > 1, geometric sum written out): with wide trees it saturates at
# a leaf's whole path over its own last step.
TREE_GAIN = TREE_TOKENS_UNSHARED / (Pp + t * (b ** (d + 1) - b) / (b - 1))
TREE_GAIN_LIMIT = sp.limit(TREE_GAIN, b, sp.oo)  # (P + d t) / t
# mpmath: b**d of a deep tree (2**1100) overflows a float, not an mpf; the saving is then a float.
_tree_saving_mp = sp.lambdify((Pp, b, d, t), TREE_SAVING.doit(), "mpmath")
_fan_saving_mp = sp.lambdify((Pp, n_s, U), FAN_SAVING, "mpmath")


def _tree_saving(*args: float) -> float:
    return float(_tree_saving_mp(*(mpmath.mpf(a) for a in args)))


def _fan_saving(*args: float) -> float:
    return float(_fan_saving_mp(*(mpmath.mpf(a) for a in args)))


def tree_tokens(
    prefix_tokens: int, branching: int, depth: int, step_tokens: int
) -> tuple[int, int]:
    """(shared, unshared) token counts of a uniform tree (exact integers).

    ``prefix_tokens`` and ``step_tokens`` [tokens], ``branching`` [children], ``depth`` [levels]; returns [tokens].
    """
    prefix_tokens, branching, depth, step_tokens = _require_tree(
        prefix_tokens, branching, depth, step_tokens
    )
    # b + b^2 + ... + b^d, exactly
    nodes = depth if branching == 1 else (branching ** (depth + 1) - branching) // (branching - 1)
    return prefix_tokens + step_tokens * nodes, branching**depth * (
        prefix_tokens + depth * step_tokens
    )


def tree_blocks(
    prefix_tokens: int, branching: int, depth: int, step_tokens: int, block_tokens: int
) -> tuple[int, int]:
    """(shared, unshared) paged blocks of a uniform tree, exactly.

    Level l holds b^l edges spanning positions (P + (l-1) t, P + l t]; each closes the full
    blocks whose last position lies in it; each leaf adds its partial last block, if any.
    ``prefix_tokens`` (P), ``step_tokens`` (t) and ``block_tokens`` [tokens], ``branching`` (b) [children], ``depth`` [levels]; returns [blocks].
    """
    prefix_tokens, branching, depth, step_tokens = _require_tree(
        prefix_tokens, branching, depth, step_tokens
    )
    block_tokens = _require_int("block_tokens", block_tokens)
    size, total_len = block_tokens, prefix_tokens + depth * step_tokens
    shared = prefix_tokens // size
    for level in range(1, depth + 1):
        end = prefix_tokens + level * step_tokens
        shared += branching**level * (end // size - (end - step_tokens) // size)
    leaves = branching**depth
    shared += leaves * (1 if total_len % size else 0)
    return shared, leaves * -(-total_len // size)


def tree_saving(prefix_tokens: float, branching: float, depth: float, step_tokens: float) -> float:
    """TREE_SAVING at block size 1: fraction of private-copy KV that sharing saves.

    ``prefix_tokens`` and ``step_tokens`` [tokens], ``branching`` [children], ``depth`` [levels]; returns [fraction].
    """
    for name, v in (
        ("prefix_tokens", prefix_tokens),
        ("branching", branching),
        ("depth", depth),
        ("step_tokens", step_tokens),
    ):
        require_positive(name, v, allow_zero=name == "prefix_tokens")
    if branching < 1:
        raise InvalidValueError("branching", branching, ">= 1 (a tree's branches per node)")
    return require_finite_result(
        _tree_saving(prefix_tokens, branching, depth, step_tokens),
        "prefix_tokens, branching, depth, step_tokens",
        (prefix_tokens, branching, depth, step_tokens),
    )


def fan_saving(prefix_tokens: float, n: float, own_tokens: float) -> float:
    """FAN_SAVING: n branches of ``own_tokens`` after a shared prefix, block size 1.

    ``prefix_tokens`` [tokens] (P), ``n`` [branches], ``own_tokens`` [tokens] (U); returns [fraction].
    """
    require_positive("prefix_tokens", prefix_tokens, allow_zero=True)
    require_positive("n", n)
    require_positive("own_tokens", own_tokens)
    return require_finite_result(
        _fan_saving(prefix_tokens, n, own_tokens),
        "prefix_tokens, n, own_tokens",
        (prefix_tokens, n, own_tokens),
    )


def prompt_share_for_saving(saving: float, n: int) -> float:
    """Invert FAN_SAVING: the prompt share P / (P + U) that gives ``saving`` with ``n`` samples.

    ``saving`` [fraction], ``n`` [samples]; returns [fraction].
    """
    n = _require_int("n", n, 2)
    require_fraction("saving", saving, open_low=True, open_high=True)
    share = saving * n / (n - 1)
    if share >= 1:
        raise InvalidValueError(
            "saving",
            saving,
            f"below {(n - 1) / n:.3g}: a saving of {saving} is impossible with n={n} samples",
        )
    return share


def beam_bounds(
    prompt_tokens: int, width: int, steps: int, block_tokens: int = 1
) -> tuple[int, int, int]:
    """(fewest, most, unshared) blocks of ``width`` beams after ``steps`` steps.

    Fewest: every survivor descends from one beam of the previous step (a trunk, then w
    tokens). Most: the beams never merge after the prompt (w private continuations).
    ``prompt_tokens`` [tokens]; ``block_tokens`` [tokens] per block; counts in [blocks].
    """
    prompt_tokens = _require_int("prompt_tokens", prompt_tokens, 1)
    width = _require_int("width", width)
    steps = _require_levels("steps", steps)
    fewest, unshared = tree_blocks(prompt_tokens + steps - 1, width, 1, 1, block_tokens)
    most, _ = tree_blocks(prompt_tokens, width, 1, steps, block_tokens)
    return fewest, most, unshared


@cache
def _ancestor_chain(width: int) -> np.ndarray:
    """T[k, j]: probability that k beams have j distinct parents when each picks one of w at random.

    j distinct parents out of w, in S(k, j) w!/(w-j)! of the w^k choices (Stirling numbers of
    the second kind).
    """
    stirling = np.zeros((width + 1, width + 1), dtype=object)
    stirling[0, 0] = 1
    for kk in range(1, width + 1):
        for j in range(1, kk + 1):
            stirling[kk, j] = j * stirling[kk - 1, j] + stirling[kk - 1, j - 1]
    chain = np.zeros((width + 1, width + 1))
    for kk in range(1, width + 1):
        for j in range(1, kk + 1):
            falling = math.perm(width, j)
            chain[kk, j] = float(stirling[kk, j] * falling) / float(width**kk)
    return chain


def beam_expected_tokens(prompt_tokens: int, width: int, steps: int) -> float:
    """Expected unique tokens of the live beams under random survival (``beam_parents``), exactly.

    Step T holds w distinct new tokens; going back one step, k lineages have j distinct parents
    with the chain's probabilities. Sum the expected number of distinct ancestors over the steps.
    ``prompt_tokens`` [tokens], ``width`` [beams], ``steps`` [steps]; returns [tokens].
    """
    prompt_tokens = _require_int("prompt_tokens", prompt_tokens, 1)
    width = require_count("width", width, maximum=MAX_WIDTH)
    steps = _require_levels("steps", steps)
    chain = _ancestor_chain(width)
    dist = np.zeros(width + 1)
    dist[width] = 1.0
    total = 0.0
    levels = np.arange(width + 1)
    for _ in range(steps):
        total += float(dist @ levels)
        dist = dist @ chain
    return prompt_tokens + total


# ---- sharing as memory and concurrency -------------------------------------------------------------
@dataclass(frozen=True)
class SharingGain:
    shared_blocks: int
    unshared_blocks: int
    block_bytes: int

    @property
    def saving(self) -> float:
        """Fraction of the private-copy KV that sharing saves [fraction]."""
        return 1 - self.shared_blocks / self.unshared_blocks

    @property
    def saved_bytes(self) -> int:
        """KV bytes that sharing saves [bytes]."""
        return (self.unshared_blocks - self.shared_blocks) * self.block_bytes

    @property
    def concurrency_gain(self) -> float:
        """How many times more such groups of sequences fit in the same KV memory.

        Returns [unitless].
        """
        return self.unshared_blocks / self.shared_blocks


def tree_gain(
    prefix_tokens: int,
    branching: int,
    depth: int,
    step_tokens: int,
    *,
    block_tokens: int = 16,
    kv_bytes_per_token: int = 1,
) -> SharingGain:
    """Memory saved and concurrency gained by sharing one uniform tree's KV.

    ``prefix_tokens``, ``step_tokens``, ``block_tokens`` [tokens], ``branching`` [children], ``depth`` [levels], ``kv_bytes_per_token`` [bytes].
    """
    kv_bytes_per_token = _require_int("kv_bytes_per_token", kv_bytes_per_token)
    block_tokens = _require_int("block_tokens", block_tokens)
    shared, unshared = tree_blocks(prefix_tokens, branching, depth, step_tokens, block_tokens)
    return SharingGain(shared, unshared, block_tokens * kv_bytes_per_token)


def trees_that_fit(kv_budget_bytes: float, gain: SharingGain) -> tuple[int, int]:
    """(with sharing, without): how many such trees a KV budget of ``kv_budget_bytes`` holds.

    ``gain``: one tree's ``SharingGain``; returns [trees].
    """
    require_positive("kv_budget_bytes", kv_budget_bytes)
    require_instance("gain", gain, SharingGain, "a SharingGain (tree_gain(...))")
    blocks = int(kv_budget_bytes // gain.block_bytes)
    return blocks // gain.shared_blocks, blocks // gain.unshared_blocks


def agents_that_fit(
    kv_budget_bytes: float,
    system_tokens: int,
    own_tokens: int,
    *,
    block_tokens: int = 16,
    kv_bytes_per_token: int = 1,
) -> tuple[int, int]:
    """(with sharing, without): agents behind one system prompt that a KV budget holds [agents].

    Counted agent by agent in paged blocks of ``block_tokens``: with sharing the prompt's full
    blocks are stored once and each agent adds its own blocks (its tail of the prompt's last
    part-filled block onwards); without sharing each agent holds its whole sequence.
    ``kv_budget_bytes`` [bytes], token counts [tokens], ``kv_bytes_per_token`` [bytes].
    ``system_tokens``: the shared prompt; ``own_tokens``: each agent's own context.
    """
    require_positive("kv_budget_bytes", kv_budget_bytes)
    _require_int("system_tokens", system_tokens, minimum=0)
    _require_int("own_tokens", own_tokens)
    _require_int("block_tokens", block_tokens)
    _require_int("kv_bytes_per_token", kv_bytes_per_token)
    blocks = int(kv_budget_bytes // (block_tokens * kv_bytes_per_token))
    shared = system_tokens // block_tokens  # full blocks every agent agrees on
    per_agent = -(-(system_tokens + own_tokens) // block_tokens)  # ceil: one agent's blocks
    own = per_agent - shared
    with_sharing = max(0, (blocks - shared) // own) if blocks >= shared else 0
    return with_sharing, blocks // per_agent


# ---- savings over a whole generation (what a serving system observes) -------------------------------
def _time_average(counts: Iterable[tuple[int, int]]) -> float:
    shared = unshared = 0
    for s_blocks, u_blocks in counts:
        shared, unshared = shared + s_blocks, unshared + u_blocks
    return 1 - shared / unshared


def parallel_saving_over_generation(
    prompt_tokens: int, n: int, generated_tokens: int, block_tokens: int = 16
) -> float:
    """Saving averaged over the generation: blocks summed over steps 1..G, shared vs private.

    ``prompt_tokens`` [tokens], ``n`` [samples], ``generated_tokens`` [tokens] (G), ``block_tokens`` [tokens]; returns [fraction].
    """
    _require_int("prompt_tokens", prompt_tokens)
    _require_int("n", n)
    generated_tokens = _require_levels("generated_tokens", generated_tokens)
    return _time_average(
        tree_blocks(prompt_tokens, n, 1, g, block_tokens) for g in range(1, generated_tokens + 1)
    )


def beam_saving_over_generation(
    prompt_tokens: int, width: int, steps: int, block_tokens: int = 16, seeds: int = 8
) -> float:
    """Saving averaged over the generation and over ``seeds`` random-survival runs (simulator).

    ``prompt_tokens`` [tokens], ``width`` [beams], ``steps`` [steps], ``block_tokens`` [tokens]; returns [fraction].
    """
    prompt_tokens = _require_int("prompt_tokens", prompt_tokens, 1)
    width = _require_int("width", width)
    steps = _require_levels("steps", steps)
    block_tokens = _require_int("block_tokens", block_tokens)
    seeds = require_count("seeds", seeds, maximum=MAX_SEEDS)
    _sequence_tokens("prompt_tokens, width, steps, seeds", (prompt_tokens, width, steps, seeds),
                     seeds * steps * width * (prompt_tokens + steps))  # fmt: skip
    savings = []
    for seed in range(seeds):
        parents = beam_parents(width, steps, seed)
        savings.append(
            _time_average(
                (lambda tr: (tr.unique_blocks, tr.unshared_blocks))(
                    count(beam_sequences(prompt_tokens, width, parents[:step]), block_tokens)
                )
                for step in range(1, steps + 1)
            )
        )
    return float(np.mean(savings))

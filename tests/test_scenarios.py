"""The named scenarios: valid catalog names, stable keys, display labels a reader can read."""

from __future__ import annotations

import pytest

from analysis import scenarios
from analysis.errors import UnknownNameError


def test_keys_are_unique_slugs():
    keys = [s.key for s in scenarios.all_scenarios()]
    assert len(keys) == len(set(keys))
    assert all(k == k.lower() and " " not in k for k in keys)


def test_label_uses_display_names_not_slugs():
    s = scenarios.get("source-example")
    assert s.label.startswith("Llama 3 70B on 2× ") and "H100" in s.label
    assert s.label.endswith(", bf16, 8K context") and "llama-3-70b" not in s.label


def test_unknown_scenario_lists_known_ones():
    with pytest.raises(UnknownNameError, match="source-example"):
        scenarios.get("bogus")


def test_bad_scenario_is_refused():
    with pytest.raises(LookupError):
        scenarios.Scenario("x", "no-such-model", "h100-sxm", 1, "bf16", "bf16", 1024, None, "")
    with pytest.raises(ValueError, match="n_gpus"):
        scenarios.Scenario("x", "llama-3-8b", "h100-sxm", 0, "bf16", "bf16", 1024, None, "")


def test_scenarios_are_frozen():
    s = scenarios.get("energy-small")
    with pytest.raises(AttributeError):
        s.n_gpus = 4  # type: ignore[misc]


def test_source_example_limits_match_a_hand_derivation():
    # Llama 3 70B (70.55 B params, bf16: 141.1 GB) on 2 x 80 GiB H100 at 8K context:
    # KV per token 80 layers x 8 KV heads x 128 dims x 2 (K, V) x 2 B = 327,680 B -> 2.684 GB.
    s = scenarios.get("source-example")
    kv = 8192 * 80 * 8 * 128 * 2 * 2
    weights = s.spec.weight_bytes("bf16")
    assert weights == pytest.approx(141.1e9, rel=2e-3)
    limits = s.limits()
    assert limits.capacity == (2 * 80 * 2**30 - weights) // kv == 11
    # At the source's 40 tokens/s a step is 25 ms: 2 x 3.35 TB/s x 25 ms = 167.5 GB per step,
    # 26.4 GB of it left for KV after the weights: 9 instances of (8,192 + 1) tokens.
    assert limits.bandwidth == int((2 * 3.35e12 / 40 - weights) / (kv + 327_680)) == 9


def test_source_scenarios_take_the_sources_numbers():
    from analysis.sources import facts

    assert (
        scenarios.get("source-example").tokens_per_s
        == facts()["source_instance_tokens_per_s"].value
    )
    assert scenarios.get("source-fleet").cluster_gpus == 24_000


def test_scenario_fields_get_typed_errors():
    from analysis.errors import InvalidValueError, UnknownDTypeError

    with pytest.raises(UnknownDTypeError, match="kv_dtype"):
        scenarios.Scenario("x", "llama-3-8b", "h100-sxm", 1, "bf16", "int3", 1024, None, "")
    with pytest.raises(InvalidValueError, match="tokens_per_s"):
        scenarios.Scenario("x", "llama-3-8b", "h100-sxm", 1, "bf16", "bf16", 1024, -1.0, "")
    with pytest.raises(InvalidValueError, match="cluster_gpus"):
        scenarios.Scenario("x", "llama-3-8b", "h100-sxm", 8, "bf16", "bf16", 1024, None, "", 4)

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

"""Bad input gets a clear error, everywhere (issue 15): a property-based sweep of the package.

Every public function and method of ``analysis`` (found by walking the package, so a new one is
covered by default) is called

* with valid-domain draws (hypothesis, derandomized, a few examples each): it must return
  without a raw exception, and without NaN or inf anywhere in a finite result; a typed refusal
  (``AnalysisError``: e.g. "the weights do not fit") is allowed;
* with each bad value of the issue (-1, 0, 0.5, NaN, +-inf, 1e308, 10**400, True, "", "bogus",
  None, [], b"", 1j) in each argument, the others held at a valid value: a value outside the
  argument's domain must raise one of the package's typed errors whose message names the
  argument; a value inside it (0.5 for a fraction, 1e308 for a positive size) may be refused
  the same way or must give a finite answer.

The domain of an argument comes from its name (``context_tokens`` is a whole number >= 1,
``kv_dtype`` a dtype, ``accelerator`` a chip name ...; see ``RULES``) or from ``OVERRIDES``.
A callable whose arguments cannot all be given a domain fails ``test_registry_is_complete``
until it is given one or listed in ``NOT_FUZZED`` with the reason.

``KNOWN_FAILURES`` names, function by function, what still fails in modules that other
branches are changing now; each entry is a strict expected failure, so a fix that makes one
clean fails the run until its entry is removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib
import inspect
import math
import pkgutil
import re
import resource
import signal
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis
from analysis.errors import AnalysisError

# ---- the bad values of the issue --------------------------------------------------------------

BAD: dict[str, Any] = {
    "-1": -1,
    "0": 0,
    "0.5": 0.5,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "1e308": 1e308,
    "10**400": 10**400,
    "True": True,
    "''": "",
    "'bogus'": "bogus",
    "None": None,
    "[]": [],
    "b''": b"",
    "1j": 1j,
}
NOT_NUMBERS = {"True", "''", "'bogus'", "None", "[]", "b''", "1j"}
ALL = set(BAD)


@dataclasses.dataclass(frozen=True)
class Kind:
    """An argument's domain: a valid example, a strategy of valid draws, and which bad values
    lie inside the domain (``may``: refusing them or answering finitely are both fine)."""

    name: str
    example: Callable[[], Any]
    draw: Callable[[], st.SearchStrategy]
    may: frozenset[str] = frozenset()

    def must_refuse(self) -> set[str]:
        return ALL - self.may


def _fixed(value):
    return lambda: value


def _sample(values):
    return lambda: st.sampled_from(list(values))


def _hf_config(name: str) -> dict:
    import json

    from analysis.sources import DATA_DIR

    return json.loads((DATA_DIR / "models" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _catalog(kind: str) -> tuple[str, ...]:
    from analysis import hardware, models, prices

    if kind == "accelerator":
        return tuple(a.name for a in hardware.all_accelerators())
    if kind == "model":
        return tuple(m.name for m in models.all_models())
    if kind == "price_model":
        return tuple(prices.models())
    if kind == "figure":
        from analysis.figures import registry

        registry._load_all()
        return tuple(sorted(registry.REGISTRY))
    raise KeyError(kind)


def _objects() -> dict[str, Callable[[], Any]]:
    """Valid instances of the package's record types, for arguments that take one."""
    from analysis import (
        agents,
        hardware,
        models,
        prices,
        pricing,
        serving,
        serving_validation,
        sharing,
    )
    from analysis.measure import backend
    from analysis.site import citation

    return {
        "deployment": lambda: pricing.Deployment.of("llama-3-8b", "h100-sxm", 1),
        "price_row": lambda: prices.price("gpt-4-turbo"),
        "agent_loop": lambda: agents.AgentLoop(1000, 100, 100),
        "regime": lambda: agents.no_cache(prices.price("gpt-4-turbo")),
        "model_spec": lambda: models.get("llama-3-8b"),
        "accelerator_obj": lambda: hardware.get("h100-sxm"),
        "backend": lambda: backend.get_backend("numpy"),
        "gain": lambda: sharing.tree_gain(64, 2, 2, 16),
        "meta": lambda: citation.book_meta(),
        "setup": lambda: serving._setup("llama-3-8b", "h100-sxm", 1, "bf16", "bf16"),
        "engine": lambda: serving.PLAIN,
        "prediction": lambda: serving.predict("llama-3-8b", "h100-sxm"),
        "serving_result": lambda: serving_validation.results()[0],
    }


POS_MAY = frozenset({"0.5", "1e308", "10**400"})
KINDS: dict[str, Kind] = {
    "real": Kind("real", _fixed(2.0), lambda: st.floats(-1e6, 1e6), POS_MAY | {"-1", "0"}),
    "positive": Kind("positive", _fixed(2.0), lambda: st.floats(1e-3, 1e6), POS_MAY),
    "nonnegative": Kind("nonnegative", _fixed(1.0), lambda: st.floats(0, 1e6), POS_MAY | {"0"}),
    "count": Kind("count", _fixed(2), lambda: st.integers(1, 6), frozenset({"1e308", "10**400"})),
    "tokens": Kind(
        "tokens", _fixed(1024), lambda: st.integers(1, 8192), frozenset({"1e308", "10**400"})
    ),
    "tokens0": Kind(
        "tokens0", _fixed(1024), lambda: st.integers(0, 8192), frozenset({"0", "1e308", "10**400"})
    ),
    "count0": Kind(
        "count0", _fixed(0), lambda: st.integers(0, 6), frozenset({"0", "1e308", "10**400"})
    ),
    "fraction": Kind("fraction", _fixed(0.5), lambda: st.floats(0, 1), frozenset({"0", "0.5"})),
    "fraction_open": Kind(
        "fraction_open", _fixed(0.5), lambda: st.floats(1e-3, 1), frozenset({"0.5"})
    ),
    # routed experts and experts per token (draws of top_k never exceed those of experts)
    "experts": Kind(
        "experts", _fixed(8), lambda: st.integers(2, 256), frozenset({"1e308", "10**400"})
    ),
    "top_k": Kind("top_k", _fixed(2), lambda: st.integers(1, 2)),
    "dtype": Kind("dtype", _fixed("bf16"), _sample(("bf16", "fp16", "fp8"))),
    # probability that a draft token is accepted: [0, 1)
    "acceptance": Kind(
        "acceptance", _fixed(0.7), lambda: st.floats(0, 0.99), frozenset({"0", "0.5"})
    ),
    # a Hugging Face config.json as a dict (the catalog's own files)
    "hf_config": Kind(
        "hf_config",
        lambda: _hf_config("llama-3-8b"),
        lambda: st.sampled_from(
            [
                "llama-3-8b",
                "mixtral-8x7b",
                "deepseek-v3",
                "gpt-oss-20b",
                "qwen3-30b-a3b",
                "llama-4-scout",
                "gpt-3-175b",
            ]
        ).map(_hf_config),
    ),
    "verdict": Kind(
        "verdict",
        _fixed("holds"),
        _sample(("holds", "holds to order of magnitude", "overstated", "understated")),
    ),
    "law_module": Kind(
        "law_module",
        _fixed("roofline"),
        _sample(("roofline", "memory", "sharing", "pricing", "agents", "energy", "physics")),
    ),
    # the notation page's rows ([] is a list of no rows: no clashes)
    "notation_rows": Kind(
        "notation_rows",
        lambda: __import__("analysis.site.notation").site.notation.rows(),
        lambda: st.sampled_from([[]]),
        frozenset({"[]"}),
    ),
    "lora_targets": Kind(
        "lora_targets", _fixed(("q", "v")), _sample((("q", "v"), ("q", "k", "v", "o"), ("down",)))
    ),
    "sympy_expr": Kind(
        "sympy_expr",
        lambda: __import__("analysis.designs").designs.HOLD_BYTES,
        lambda: st.sampled_from([__import__("analysis.designs").designs.READ_BYTES]),
    ),
    "bool": Kind("bool", _fixed(False), st.booleans, frozenset({"True"})),
    "date": Kind("date", _fixed(dt.date(2024, 6, 1)), lambda: st.dates(dt.date(2023, 1, 1))),
    "text": Kind("text", _fixed("x"), lambda: st.text(max_size=8), frozenset({"''", "'bogus'"})),
    "accelerator": Kind(
        "accelerator", _fixed("h100-sxm"), lambda: st.sampled_from(_catalog("accelerator"))
    ),
    "model": Kind("model", _fixed("llama-3-8b"), lambda: st.sampled_from(_catalog("model"))),
    "price_model": Kind(
        "price_model", _fixed("gpt-4-turbo"), lambda: st.sampled_from(_catalog("price_model"))
    ),
}
for _name, _factory in _objects().items():
    KINDS[_name] = Kind(_name, _factory, lambda f=_factory: st.builds(f))


def optional(kind: str | Kind) -> Kind:
    base = KINDS[kind] if isinstance(kind, str) else kind
    return Kind(
        f"{kind}|None", base.example, lambda: st.one_of(st.none(), base.draw()), base.may | {"None"}
    )


# ---- the domain of an argument, from its name ------------------------------------------------

RULES: list[tuple[str, str]] = [  # (regex on the argument's name, kind)
    (r"(^|_)dtype$", "dtype"),
    (r"^(accelerator|acc|gpu|hardware)$", "accelerator"),
    (r"^model$", "model"),
    (r"^(dep)$", "deployment"),
    (r"^row$", "price_row"),
    (r"^loop$", "agent_loop"),
    (r"^regime$", "regime"),
    (r"^spec$", "model_spec"),
    (r"^backend$", "backend"),
    (r"^gain$", "gain"),
    (r"^meta$", "meta"),
    (r"^date$", "date"),
    (r"^(sparse|as_printed|quick|progress|overwrite|order_of_magnitude|active|memory_bound|"
     r"bound)$",
     "bool"),
    (r"^(attention_dp|one_engine)$", "bool"),
    (r"^output_cv$", "nonnegative"),
    (r"(fraction|utilization|^share|^saving|^activity.*)$", "fraction"),
    (r"(_tokens|^context|^tokens)$", "tokens"),
    (r"^(batch|n|k|steps|step|width|depth|branching|heads|head_dim|d_in|d_out|repeats|points|"
     r"max_group|n_gpus|group_gpus|cluster_gpus|digits|n_instances|output_tokens|count|"
     r"block_tokens|seeds|itemsize|lo)$", "count"),
    (r"^(decimals|seed|warmup)$", "count0"),
    (r"(_s|_w|_j|_hz|_k|_bytes|_flops|flops|_mm2?|_usd|usd_.*|_ratio|ratio|_ram|_per_.*|"
     r"bandwidth|transistors|params|efficiency|hours|value|length_mm|work|speed|"
     r"intensity|per_token|per_position)$", "positive"),
    (r"^(unit|label|where|kind|title|path_str)$", "text"),
]  # fmt: skip

# name -> {argument: kind} where the name alone says too little (or says the wrong thing).
OVERRIDES: dict[str, dict[str, str | Kind]] = {
    "analysis.hardware.get": {"name": "accelerator"},
    "analysis.models.get": {"name": "model"},
    "analysis.models.info": {"name": "model"},
    "analysis.prices.price": {"model": "price_model", "date": optional("date"), "tier": Kind(
        "tier", _fixed("standard"), _sample(("standard",)))},
    "analysis.physics.accelerator_density_per_cm2": {"name": "accelerator"},
    "analysis.physics.accelerator_switching_energy_j": {
        "name": "accelerator", "power_w": optional("positive")},
    "analysis.physics.accelerator_j_per_flop": {"name": "accelerator"},
    "analysis.physics.constant": {"key": Kind("physics_key", _fixed("boltzmann_j_per_k"),
                                              _sample(("boltzmann_j_per_k",)))},
    "analysis.physics.latex": {"name": Kind("law", _fixed("landauer"), _sample(("landauer",)))},
    "analysis.physics.wire_energy_j": {"key": Kind("wire_key", _fixed(
        "wire_40nm_random_pj_per_bit_mm"), _sample(("wire_40nm_random_pj_per_bit_mm",)))},
    "analysis.hardware.Accelerator.source": {"field": Kind(
        "field", _fixed("mem_bandwidth"), _sample(("mem_bandwidth",)))},
    "analysis.sharing.prompt_share_for_saving": {"saving": "fraction_open"},
    "analysis.memory.context_for_share": {"share": "fraction_open"},
    "analysis.memory.ratio_from_share": {"share": "fraction_open"},
    "analysis.memory.dynamic_share": {"instances": "positive", "static_bytes": "nonnegative"},
    "analysis.pricing.prompt_cache" if False else "analysis.agents.prompt_cache": {
        "cached_fraction": "fraction", "write_fraction": optional("positive")},  # w: 1.25
    "analysis.agents.thought_tokens": {"tokens_per_s": optional("positive")},
    "analysis.agents.thought_hours": {"tokens": "positive", "tokens_per_s": optional("positive")},
    "analysis.agents.usd_per_thought_hour": {"tokens_per_s": optional("positive")},
    "analysis.agents.crossover_step": {"tokens_per_s": optional("positive")},
    "analysis.agents.crossover_context": {"tokens_per_s": optional("positive")},
    "analysis.agents.worked_example": {"model": "price_model", "tokens_per_s": optional(
        "positive"), "date": optional("date")},
    # a tool that answers at once (0 s) is inside TOOL_WAIT_S_RANGE
    "analysis.agents.example_setup": {"rent_usd_per_gpu_hour": optional("positive"),
                                      "tool_wait_s": "nonnegative"},
    "analysis.prices.rental_rows": {"gpu": optional("accelerator")},
    "analysis.prices.cache_rule": {"provider": Kind("provider", _fixed("OpenAI"), _sample((
        "OpenAI",))), "date": optional("date")},
    "analysis.pricing.prefill_cost": {"batch": optional("count")},
    "analysis.pricing.decode_cost": {"batch": optional("count")},
    "analysis.pricing.Deployment.of": {"model": "model", "n_gpus": "count"},
    "analysis.pricing.ratio_from_utilizations": {
        "prefill_utilization": "fraction_open", "decode_utilization": "fraction_open",
        "attn_flops_per_position": "nonnegative", "context_tokens": "tokens"},
    "analysis.pricing.implied_decode_utilization": {
        "prefill_utilization": "fraction_open", "price_ratio": "positive"},
    "analysis.pricing.ratio_summary": {"rows": Kind("rows", _fixed(None), st.none, frozenset(
        {"None"})), "tiers": optional(Kind("tiers", _fixed(("standard",)), _sample((
            ("standard",), ("standard", "thinking")))))},
    "analysis.pricing.source_formula": {"weight_ram": "nonnegative"},
    "analysis.memory.serving_limits": {"tokens_per_s": optional("positive")},
    "analysis.memory.min_group_gpus": {"tokens_per_s": optional("positive")},
    "analysis.memory.cluster_instances": {"tokens_per_s": optional("positive")},
    "analysis.memory.group_limits": {
        "tokens_per_s": optional("positive"), "bandwidth": optional("positive"),
        "kv_step_bytes": optional("positive"), "peak_flops": optional("positive"),
        "flops_per_token": optional("positive"), "static_bytes": "nonnegative"},
    "analysis.roofline.critical_batch": {"d_in": optional("count"), "d_out": optional("count"),
                                         "act_dtype": optional("dtype")},
    "analysis.roofline.accelerator_critical_batch": {"acc": "accelerator_obj",
                                                     "weight_dtype": optional("dtype")},
    "analysis.roofline.matmul_intensity": {"batch": "count"},
    # batch and new_tokens: fractional where serving averages over steps; context 0: first step
    "analysis.roofline.forward_step": {"batch": "positive", "new_tokens": "positive",
                                       "context": "count0"},
    "analysis.roofline.step_weight_bytes": {"tokens": "positive"},
    "analysis.roofline.expected_experts_touched": {"n_experts": "experts", "top_k": "top_k",
                                                   "batch": "positive"},
    "analysis.roofline.experts_touched_bounds": {"n_experts": "experts", "top_k": "top_k",
                                                 "batch": "positive"},
    "analysis.roofline.weight_read_complete_batch": {"n_experts": "experts", "top_k": "top_k",
                                                     "fraction": "fraction_open"},
    "analysis.roofline.moe_critical_batch": {"n_experts": "experts", "top_k": "top_k"},
    # context: cached tokens, 0 at the first decode step
    "analysis.energy.energy_per_token": {"batch": "count", "context": "count0",
                                         "kv_dtype": optional("dtype"),
                                         "power_w": optional("positive")},
    "analysis.physics.switching_energy_j": {"activity": "fraction_open"},
    "analysis.physics.ladder": {"temperature_k": "positive"},
    "analysis.physics.board_table": {"dtypes": Kind("dtypes", _fixed(("bf16",)),
                                                    _sample((("bf16",), ("bf16", "fp8"))))},
    "analysis.physics.gap": {"reference_j": "positive", "energy_j": "positive"},
    "analysis.measure.attention.bytes_read": {"prefix": "count0", "suffix": "count0"},
    "analysis.measure.attention.predicted_speedup": {"prefix": "tokens", "suffix": "count0"},
    "analysis.measure.results.reference": {
        "suite": Kind("suite", _fixed("roofline"), _sample(("roofline", "sharing", "energy"))),
        "backend_name": Kind("backend_name", _fixed("numpy"), _sample(("numpy", "cupy")))},
    "analysis.measure.results.reference_path": {
        "suite": Kind("suite", _fixed("roofline"), _sample(("roofline", "sharing", "energy"))),
        "backend_name": Kind("backend_name", _fixed("numpy"), _sample(("numpy", "cupy")))},
    "analysis.measure.backend.get_backend": {"name": optional(Kind(
        "backend_name", _fixed("numpy"), _sample(("numpy",))))},
    "analysis.measure.power.energy_above_idle_j": {"idle_w": "nonnegative",
                                                   "busy_w": "nonnegative",
                                                   "duration_s": "nonnegative"},
    "analysis.measure.power.counter_delta_uj": {"start_uj": "count0", "end_uj": "count0",
                                                "max_range_uj": "count"},
    "analysis.measure.power.RaplMeter.power_w": {"interval_s": "positive"},
    "analysis.measure.energy_suite.derive": {"idle_w": "nonnegative", "work": "positive",
                                             "energy_j": "nonnegative"},
    "analysis.sharing.tree_saving": {"prefix_tokens": "nonnegative", "branching": "positive",
                                     "depth": "positive", "step_tokens": "positive"},
    "analysis.sharing.fan_saving": {"prefix_tokens": "nonnegative", "n": "positive",
                                    "own_tokens": "positive"},
    "analysis.sharing.trees_that_fit": {"kv_budget_bytes": "positive"},
    "analysis.sharing.tree_gain": {"kv_bytes_per_token": "count", "prefix_tokens": "count0"},
    # a lower bound on a fleet: instances enter as a real number (test_memory drives 1.5)
    "analysis.memory.ratio_fleet": {"dynamic_ratio": "nonnegative", "n_instances": "positive"},
    "analysis.memory.kv_only_gpus": {"n_instances": "positive"},
    # a tree may have no shared prefix (test_sharing drives prefix 0 through the simulator)
    "analysis.sharing.tree_sequences": {"prefix_tokens": "count0", "step_tokens": "count"},
    "analysis.sharing.tree_tokens": {"prefix_tokens": "count0", "step_tokens": "count"},
    "analysis.sharing.tree_blocks": {"prefix_tokens": "count0", "step_tokens": "count"},
    "analysis.sharing.parallel_samples": {"prompt_tokens": "count", "generated_tokens": "count"},
    "analysis.sharing.beam_bounds": {"prompt_tokens": "count"},
    "analysis.sharing.beam_expected_tokens": {"prompt_tokens": "count"},
    "analysis.sharing.beam_saving_over_generation": {"prompt_tokens": "count",
                                                     "seeds": "count"},
    "analysis.sharing.parallel_saving_over_generation": {"prompt_tokens": "count",
                                                         "generated_tokens": "count"},
    "analysis.sharing.beam_parents": {"seed": "count0"},
    "analysis.claims.ledger.format_number": {"value": optional("real")},
    "analysis.figures.ch3_pricing.deployment": {"acc": "accelerator", "n": "count"},
    "analysis.figures.ch3_pricing.contexts": {"lo": "tokens", "points": "count"},
    "analysis.units.exact_bytes": {"count": "count0"},
    "analysis.site.citation.slug": {"text": "text"},
    "analysis.site.citation.bibtex_escape": {"text": "text"},
    "analysis.site.citation.bibtex": {"key": "text", "fields": Kind(
        "fields", _fixed({"title": "T"}), _sample(({"title": "T"}, {})))},
    "analysis.site.citation.page_url": {"path": "text"},
    "analysis.site.citation.cite_book": {"path": "text"},
    "analysis.site.citation.cite_page": {"path": "text"},
    "analysis.site.citation.cite_figure": {"path": "text", "fig_id": "text"},
    "analysis.site.gallery.label": {"fig_id": "text"},
    "analysis.site.pages.cite": {"key": "text"},
    "analysis.site.pages.cell": {"text": Kind("any", _fixed("x"), lambda: st.text(max_size=8),
                                              frozenset(ALL))},
    "analysis.site.pages.table": {
        "header": Kind("header", _fixed(["a", "b"]), _sample((["a", "b"], ["x"]))),
        "rows": Kind("rows", _fixed([["1", "2"]]), _sample(([],)), frozenset({"[]"}))},
    "analysis.energy.measured_record": {"key": Kind("physics_key", _fixed(
        "mlenergy_v3_llama31_8b_h100_b64_j_per_token"), _sample((
            "mlenergy_v3_llama31_8b_h100_b64_j_per_token",)))},
    "analysis.memory.instances_table": {
        "model_names": Kind("models", _fixed(("llama-3-8b",)), _sample((("llama-3-8b",),))),
        "accelerators": Kind("chips", _fixed(("h100-sxm",)), _sample((("h100-sxm",),))),
        "contexts": Kind("contexts", _fixed((4096,)), _sample(((4096,), (1024, 32768))))},
    "analysis.pricing.decode_utilization_memory_bound": {"kv_share": "fraction_open",
                                                         "ridge": "positive",
                                                         "attn_flops_per_position": "nonnegative"},
    "analysis.roofline.additive_time_s": {"nbytes": "positive"},
    "analysis.roofline.roofline_time_s": {"nbytes": "positive"},
    "analysis.sharing.shared_system_prompt": {"system_tokens": "count", "own_tokens": "count",
                                              "n_agents": "count"},
    "analysis.sources.records": {"filename": Kind("catalog_file", _fixed("physics.yaml"),
                                                  _sample(("physics.yaml", "facts.yaml")))},
    "analysis.units.si": {"value": "real"},
    "analysis.units.fmt_sig": {"value": "real"},
    "analysis.units.sci": {"value": "real"},
    "analysis.units.thousands": {"value": "real"},
    "analysis.units.pct": {"fraction": "real"},
    "analysis.models.ModelSpec.cached_tokens": {"context_tokens": "count0"},
    "analysis.models.ModelSpec.kv_cache_bytes": {"context_tokens": "count0"},
    "analysis.models.ModelSpec.layer_cached_tokens": {"context_tokens": "count0"},
    "analysis.models.ModelSpec.kv_read_bytes": {"context_tokens": "count0"},
    "analysis.energy.batch_for_memory_share": {"max_batch": "positive", "context": "count0",
                                               "share": "fraction_open"},
    "analysis.hardware.rack": {"name": Kind("rack", _fixed("gb200-nvl72"), _sample((
        "gb200-nvl72", "gb300-nvl72")))},
    "analysis.memory.released_weight_dtype": {"name": "model"},
    "analysis.prices.as_date": {"value": "date", "name": Kind(
        "argument_name", _fixed("value"), _sample(("value",)), frozenset({"''", "'bogus'"}))},
    "analysis.prices.data_as_of": {"catalog": optional(Kind("price_catalog", _fixed("api"),
                                                            _sample(("api", "rental", "cache"))))},
    "analysis.site.pages.data_as_of": {"catalog": optional(Kind(
        "price_catalog", _fixed("api"), _sample(("api", "rental", "cache"))))},
    "analysis.energy.validate": {"context": "count0", "dtype": optional("dtype"),
                                 "input_tokens": optional("count0")},
    "analysis.prices.exact": {"value": "nonnegative"},
    "analysis.sharing.agents_that_fit": {"system_tokens": "count0"},
    "analysis.agents.rent_vs_reprefill": {"setup": Kind("setup", _fixed(None), st.none,
                                                        frozenset({"None"}))},
    "analysis.models.ModelSpec.param_breakdown": {"active": "bool"},
    "analysis.agents.usd_per_byte_s": {"usd_per_gpu_hour": "positive"},
    "analysis.agents.kv_rent": {"usd_per_byte_s": "positive", "kv_bytes_per_token": "positive"},
    "analysis.agents.AgentLoop.check_steps": {"steps": "count0"},
    "analysis.agents.AgentLoop.context_after": {"steps": "count0"},
    "analysis.serving.allreduce_time_s": {"nbytes": "nonnegative", "hop_latency_s": "nonnegative"},
    "analysis.serving.alltoall_time_s": {"nbytes": "nonnegative", "hop_latency_s": "nonnegative"},
    "analysis.serving.disaggregated_split": {"prefill_tokens_per_step": "tokens"},
    "analysis.serving.frontier": {"n_gpus": Kind("gpu_groups", _fixed((1, 2)), _sample((
        (1,), (1, 2), (1, 2, 4, 8)))), "input_tokens": "tokens0"},
    "analysis.serving.latex": {"expr": "sympy_expr"},
    "analysis.serving.max_batch": {"s": "setup", "input_tokens": "tokens0"},
    "analysis.serving.mtp_accepted_tokens": {"layers": Kind("mtp_layers", _fixed(3), _sample((
        1, 2, 3, 4, 5)))},
    "analysis.serving.predict": {
        "batch": optional("count"), "input_tokens": "tokens0", "draft_tokens": "count0",
        "acceptance": optional("acceptance"), "engine_constants": optional("engine"),
        "draft_cost": optional("positive"), "accepted_tokens": optional(Kind(
            "accepted_tokens", _fixed(2.0), lambda: st.floats(1, 4), frozenset({"1e308", "10**400"})))},
    "analysis.serving.in_flight_tokens": {"input_tokens": "nonnegative",
                                          "output_tokens": "positive"},
    "analysis.serving.engine": {"family": optional(Kind("engine_family", _fixed("vllm"), _sample(
        ("tensorrt-llm", "vllm", "sglang"))))},
    "analysis.serving.flops_efficiency": {"dtype": Kind("gemm_dtype", _fixed("fp8"), _sample((
        "bf16", "fp8", "fp16")))},
    "analysis.serving.max_throughput_within": {
        "input_tokens": "tokens0", "tpot_limit_s": "positive", "ttft_limit_s": optional("positive"),
        "engine_max_batch": optional("count"), "engine_constants": optional("engine")},
    "analysis.serving_validation.calibration_subset": {"family": optional(Kind(
        "fitted_family", _fixed("vllm"), _sample(("tensorrt-llm", "vllm"))))},
    "analysis.serving_validation.engine_family": {"engine": Kind(
        "engine_name", _fixed("vLLM 0.7.3"), _sample(("TensorRT-LLM 1.0", "SGLang 0.4", "NIM 1.8")))},
    "analysis.serving.prefill_gpu_share": {"prefill_rate": "positive", "decode_rate": "positive"},
    "analysis.serving.prefill_tokens_per_step": {"batch": "positive", "input_tokens": "tokens0",
                                                 "output_tokens": "positive"},
    "analysis.serving.spec_tokens_per_step": {"acceptance": "acceptance",
                                              "draft_tokens": "count0"},
    "analysis.serving.static_batch_latency_s": {"input_tokens": "tokens0",
                                                "engine_constants": optional("engine")},
    # a step of decode_seqs sequences (fractional: averaged) at context cached tokens
    "analysis.serving.step_time": {
        "s": "setup", "decode_seqs": "nonnegative", "new_tokens": "count",
        "context": "nonnegative", "prefill_tokens": "nonnegative", "eng": optional("engine"),
        "prompt_tokens": optional("count")},
    "analysis.serving.usd_per_million_output_tokens": {"p": "prediction"},
    "analysis.serving_validation.get": {"result_id": Kind("result_id", lambda: __import__(
        "analysis.serving_validation").serving_validation.results()[0].id, lambda: st.sampled_from(
        [r.id for r in __import__("analysis.serving_validation").serving_validation.results()]))},
    "analysis.serving_validation.predict_result": {"r": "serving_result",
                                                   "eng": optional("engine")},
    "analysis.serving_validation.checks": {"plain": "bool"},
    "analysis.serving_validation.summary": {
        "kind": optional(Kind("check_kind", _fixed("tpot"), _sample(("tpot", "throughput")))),
        "held_out": "bool", "plain": "bool", "source": optional(Kind(
            "result_source", _fixed("trtllm-perf-overview-v1"), _sample(("trtllm-perf-overview-v1",
                                                                         "rocm-vllm-dev-docker"))))},
    "analysis.model.load_model": {"config_or_name": "model"},
    "analysis.model.report": {"config_or_name": "model", "hardware_name": "accelerator",
                              "context": "tokens"},
    "analysis.model.render": {"r": Kind("report", lambda: __import__("analysis.model").model.report(
        "llama-3-8b", "h100-sxm", 4096), lambda: st.sampled_from([__import__(
            "analysis.model").model.report("qwen3-8b", "h200", 32768)]))},
    "analysis.model_configs.parse_config": {"config": "hf_config", "name": optional("text")},
    "analysis.models.ModelSpec.from_hf_config": {"config": "hf_config", "name": optional("text")},
    "analysis.claims.ledger.flipped": {"verdict_a": "verdict", "verdict_b": "verdict"},
    "analysis.site.calculator.law_js": {"law": Kind("calculator_law", lambda: __import__(
        "analysis.site.calculator").site.calculator.LAWS[0], lambda: st.sampled_from(__import__(
            "analysis.site.calculator").site.calculator.LAWS))},
    "analysis.site.notation.module_symbols": {"module": "law_module"},
    "analysis.site.notation.defined_in": {"module": "law_module"},
    "analysis.site.notation.home": {"name": Kind("symbol_name", _fixed("P"), _sample((
        "P", "L", "B", "k_E")), frozenset({"''", "'bogus'"})), "used_in": "law_module"},
    "analysis.site.notation.clashes": {"all_rows": optional("notation_rows")},
    "analysis.site.notation.letter_clashes": {"all_rows": optional("notation_rows")},
    "analysis.figures.ch2_vram.sram_limits": {"group_chips": "count"},
    "analysis.figures.ch2_vram.sram_per_chip": {"group_chips": "count"},
    "analysis.figures.ch2_vram.smallest_group": {"max_chips": "count"},
    "analysis.figures.ch_serving.frontier_points": {"case": Kind("serving_case", _fixed("dense"),
                                                                _sample(("dense", "moe")))},
    "analysis.scenarios.get": {"key": Kind("scenario", lambda: __import__(
        "analysis.scenarios").scenarios.SCENARIOS[0].key, lambda: st.sampled_from([
            s.key for s in __import__("analysis.scenarios").scenarios.SCENARIOS]))},
    "analysis.designs.adapter_bytes": {"rank": "count", "targets": "lora_targets"},
    "analysis.designs.lora_io_sum": {"targets": "lora_targets"},
    "analysis.designs.fine_tunes": {"n_fine_tunes": "count", "rank": "count"},
    "analysis.designs.context_for_bytes": {"nbytes": "positive"},
    "analysis.designs.design": {"key": Kind("design_key", _fixed("gqa"), _sample((
        "mha", "gqa", "mla", "sliding", "chunked", "mamba2", "deltanet", "lightning", "dsa")))},
    "analysis.designs.latex": {"expr": "sympy_expr"},
    "analysis.designs.table": {"chip": Kind("chip", _fixed("h200"), _sample((
        "h200", "h100-sxm", "b200")))},
}  # fmt: skip

# Callables that are not driven with generated input, each with the reason. The tests named
# cover them elsewhere (figure builders draw whole figures and take seconds each).
NOT_FUZZED: dict[str, str] = {
    **{
        f"analysis.errors.require_{v}": "the validators themselves: test_input_errors"
        for v in (
            "number",
            "positive",
            "nonnegative",
            "count",
            "fraction",
            "name",
            "dtype",
            "date",
            "bool",
            "finite_result",
            "text",
            "instance",
        )
    },
    "analysis.sources.bib_entries": "reads references.bib from a path: test_catalogs",
    "analysis.agents.context": "sympy helper over a symbolic step: the closed forms built "
    "from it, test_agents.test_total_input_tokens_hand",
    "analysis.agents.latex": "LaTeX display of a sympy expression (test_agents)",
    "analysis.memory.latex": "LaTeX display of a sympy expression (test_memory)",
    "analysis.pricing.latex": "LaTeX display of a sympy expression (test_pricing)",
    "analysis.roofline.latex": "LaTeX display of a sympy expression (test_roofline)",
    "analysis.claims.catalog.claim": "decorator registering a claim builder (test_claims)",
    "analysis.claims.catalog.get": "claim lookup (test_claims)",
    "analysis.claims.ledger.numeric": "builds a ledger entry from a builder's numbers (test_claims)",
    "analysis.claims.ledger.judged": "builds a ledger entry (test_claims)",
    "analysis.claims.ledger.classify": "verdict rule (test_claims)",
    "analysis.claims.ledger.sweep": "takes a recompute callable: "
    "test_claims.test_sweep_rejects_a_range_for_an_unset_assumption_and_a_one_point_range",
    "analysis.claims.export.export": "writes the claims files (test_claims)",
    "analysis.claims.export.main": "CLI (test_claims)",
    "analysis.serving_validation.main": "CLI (argv; --write rewrites the catalog): "
    "test_cli_errors.test_serving_validation_cli_refuses_bad_arguments",
    "analysis.serving_validation.write_calibration": "rewrites serving_results.yaml: "
    "test_cli_errors.test_write_calibration_refuses_a_non_engine",
    "analysis.serving_validation.calibrate": "fits the engine constants (seconds): "
    "test_cli_errors.test_calibrate_refuses_bad_ids",
    "analysis.model.main": "CLI (argv): test_model_cli.test_bad_input_exits_2_with_one_line",
    "analysis.serving.main": "CLI (argv): test_cli_errors.test_serving_cli_refuses_bad_arguments",
    "analysis.serving_cli.main": "CLI (argv): test_cli_errors.test_serving_cli_refuses_bad_arguments",
    "analysis.figures.registry.register": "decorator (test_figures)",
    "analysis.figures.registry.spec": "figure lookup: test_fuzz.test_figure_lookup",
    "analysis.figures.registry.make": "draws a figure (seconds each): test_figures",
    "analysis.figures.registry.png_bytes": "draws a figure: test_figures",
    "analysis.figures.registry.show": "draws a figure: test_figures",
    "analysis.figures.registry.render": "draws a figure: test_figures",
    "analysis.figures.registry.render_traced": "draws a figure: test_figures",
    "analysis.claims.prose.flips": "takes a Claim record: test_claims_prose",
    "analysis.claims.prose.ledger_verdict": "a ledger id (unknown ids: test_claims_prose)",
    "analysis.figures.registry.measurements_read_by": "draws a figure: test_figures",
    "analysis.figures.registry.render_index": "takes the traced files of every figure: test_figures",
    "analysis.figures.registry.committed_measurements": "reads figures/index.json: test_figures",
    "analysis.figures.registry.measurements_by_figure": "reads figures/index.json, may draw: test_figures",
    "analysis.figures.registry.index_entry": "takes a FigureSpec: test_figures",
    "analysis.figures.registry.export_all": "writes files: test_input_errors (--only bogus)",
    "analysis.figures.ch1_asymmetry.gemm_prediction_figure": "draws a figure: test_figures",
    "analysis.figures.ch1_asymmetry.gemm_prediction_png": "draws a figure: test_figures",
    "analysis.figures.ch3_pricing.contexts": "figure helper over a Deployment: test_figures",
    "analysis.fileio.atomic_write_bytes": "writes files: test_input_errors",
    "analysis.fileio.atomic_write_json": "writes files: test_input_errors",
    "analysis.measure.attention.merge": "array kernel (xp, arrays): test_attention",
    "analysis.measure.attention.per_branch": "array kernel: test_attention",
    "analysis.measure.attention.prefix_once": "array kernel: test_attention",
    "analysis.measure.attention.make_inputs": "array kernel inputs: test_attention",
    "analysis.measure.attention.private_caches": "array kernel: test_attention",
    "analysis.measure.backend.gpu_info": "needs a CuPy module: test_gpu_roofline (GPU hosts)",
    "analysis.measure.backend.Backend.asnumpy": "array conversion: test_measure",
    "analysis.measure.energy_suite.plan": "measurement plan: test_power",
    "analysis.measure.energy_suite.availability": "probes the machine: test_power",
    "analysis.measure.energy_suite.run": "measures (seconds): test_power",
    "analysis.measure.roofline_suite.plan": "measurement plan: test_measure, test_input_errors",
    "analysis.measure.roofline_suite.run": "measures (seconds): test_measure",
    "analysis.measure.sharing_suite.measure_point": "measures: test_attention",
    "analysis.measure.sharing_suite.run": "measures (seconds): test_attention",
    "analysis.measure.suites.suite": "decorator (test_measure)",
    "analysis.measure.suites.run_suite": "measures (seconds): test_measure",
    "analysis.measure.kernels.check_gemm_dtype": "kernel dtype check: test_measure",
    "analysis.measure.kernels.to_bf16_bits": "array kernel: test_measure",
    "analysis.measure.kernels.from_bf16_bits": "array kernel: test_measure",
    "analysis.measure.kernels.random_matrix": "array kernel: test_measure",
    "analysis.measure.kernels.stream_read": "array kernel: test_measure",
    "analysis.measure.kernels.read_sum": "array kernel: test_measure",
    "analysis.measure.kernels.copy": "array kernel: test_measure",
    "analysis.measure.kernels.gemm": "array kernel: test_measure",
    "analysis.measure.power.trapezoid_energy_j": "array input (sample series): test_power",
    "analysis.measure.power.rapl_domains": "reads /sys: test_power",
    "analysis.measure.power.rapl_status": "reads /sys: test_power",
    "analysis.measure.power.RaplMeter.power_w": "reads /sys over an interval: test_power",
    "analysis.measure.results.provenance": "describes the machine: test_measure",
    "analysis.measure.results.device_slug": "describes the machine: test_measure",
    "analysis.measure.results.load": "reads a file: test_roofline",
    "analysis.measure.results.write": "writes a file: test_measure",
    "analysis.measure.suites.Progress.step": "a tqdm progress bar's label (the suites pass literals)",
    "analysis.measure.timing.time_fn": "times a callable: test_measure",
    "analysis.measure.compare.measured_knee": "array input (a measured sweep): test_roofline",
    "analysis.measure.compare.compare_gemm": "takes a measurement document: test_roofline",
    "analysis.measure.compare.summarize": "takes a measurement document: test_roofline",
    "analysis.sharing.count": "takes token sequences: test_sharing",
    "analysis.sharing.beam_sequences": "takes a parents array: test_sharing",
    "analysis.sharing.PrefixTree.insert": "takes token sequences: test_sharing",
    "analysis.sources.Sourced.from_yaml": "takes a YAML mapping: test_catalogs",
    "analysis.sources.check_source": "bib key check: test_catalogs",
    "analysis.site.citation.book_meta": "reads CITATION.cff: test_generated_pages",
    "analysis.site.gallery.figure_section": "takes a FigureSpec: test_generated_pages",
    "analysis.site.pages.write": "writes a page: test_generated_pages",
    "analysis.site.provenance.files_read_by": "draws a figure: test_generated_pages",
    # Merged last (coordinator): lookups by figure id, figure drawing from a measurement
    # document, matplotlib objects, sympy expressions, array kernels and measurement plans.
    "analysis.figures.registry.alt_text": "figure lookup by id (unknown ids: test_fuzz.test_figure_lookup)",
    "analysis.figures.registry.chapter_label": "figure lookup by id: test_figures",
    "analysis.figures.registry.gallery_label": "figure lookup by id: test_figures",
    "analysis.figures.registry.figure_md": "figure lookup by id: test_figures",
    "analysis.figures.registry.glue_figure": "draws a figure and glues it: test_figures",
    "analysis.figures.registry.as_of": "catalog badge lookup: test_generated_pages",
    "analysis.figures.ch1_asymmetry.decode_step_figure": "draws a figure from a measurement "
    "document: test_figures.test_committed_figure_is_fresh (with the stored one)",
    "analysis.figures.ch2_vram.decode_context_figure": "draws a figure from a measurement "
    "document: test_figures.test_committed_figure_is_fresh (with the stored one)",
    "analysis.figures.style.displayed_scale": "figure layout helper: test_figures",
    "analysis.figures.style.legend_overlaps_data": "takes matplotlib axes: test_figures",
    "analysis.figures.style.legible": "takes a matplotlib figure: test_figures",
    "analysis.figures.style.displayed_width_in": "takes a matplotlib figure: test_figures",
    "analysis.figures.style.drawn_texts": "takes a matplotlib figure: test_figures",
    "analysis.figures.style.text_corners": "takes a matplotlib text: test_figures",
    "analysis.figures.style.text_overlaps": "takes a matplotlib figure: test_figures",
    "analysis.figures.style.texts_over_data": "takes a matplotlib figure: test_figures",
    "analysis.latex.latex": "takes sympy expressions: test_latex",
    "analysis.latex.equation": "takes sympy expressions: test_latex",
    "analysis.claims.table.anchor": "renders the ledger table: test_claims",
    "analysis.claims.table.topic_markdown": "renders the ledger table: test_claims",
    "analysis.measure.decode.DecodeModel.decode_step": "array kernel on a built model: test_decode",
    "analysis.measure.decode.DecodeModel.prefill": "array kernel on a built model: test_decode",
    "analysis.measure.decode.DecodeModel.reset": "array kernel on a built model: test_decode",
    "analysis.measure.decode.DecodeModel.route": "array kernel on a built model: test_decode",
    "analysis.measure.decode.DecodeModel.with_cache": "allocates a model's cache: test_decode",
    "analysis.measure.decode.scaled_llama_config": "builds a config dict: test_decode",
    "analysis.measure.decode.check_spec": "takes a ModelSpec to build: test_decode",
    "analysis.measure.decode_suite.plan": "measurement plan: test_decode",
    "analysis.measure.decode_suite.run": "measures (seconds): test_decode",
    "analysis.measure.decode_suite.run_plan": "measures (seconds): test_decode",
    "analysis.measure.decode_suite.spec_from": "builds a scaled model: test_decode",
    "analysis.measure.decode_suite.summarize": "takes a measurement document: test_decode",
}

# Public callables whose arguments have no domain yet (RULES/OVERRIDES), with the module's owner:
# not fuzzed until one is given. Empty: a callable merged without a domain fails
# test_registry_is_complete, and may wait here only with its owner named. Strict: an entry whose
# arguments all have a domain, or that is no longer a public callable, fails the same test.
PENDING_DOMAINS: dict[str, str] = {}

# Strict expected failures: callables in code another branch is changing, each named with its
# owner (function -> reason). Empty: every fuzzed callable passes.
# Recorded by this sweep on the fuzz branch; each reason lists the first argument and bad value
# of each kind of failure, with (+n) for how many more arguments/values failed the same way.
# "raw X": an untyped exception (a bare ValueError counts: it is not one of the package's typed
# errors); "accepts": an out-of-domain value silently used; "error not naming": a typed error
# whose message omits the argument; "hangs on": still running after CALL_LIMIT_S.
KNOWN_FAILURES: dict[str, str] = {}


# ---- discovery -----------------------------------------------------------------------------


def _modules():
    for info in pkgutil.walk_packages(analysis.__path__, "analysis."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        yield importlib.import_module(info.name)


def _is_function(obj) -> bool:
    return inspect.isfunction(obj) or (
        callable(obj) and inspect.isfunction(getattr(obj, "__wrapped__", None))
    )


@cache
def discover() -> dict[str, tuple[Callable, str | None]]:
    """qualified name -> (function, owning class qualname or None), for every public callable."""
    found: dict[str, tuple[Callable, str | None]] = {}
    for mod in _modules():
        for name, obj in vars(mod).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                continue
            if _is_function(obj):
                found[f"{mod.__name__}.{name}"] = (obj, None)
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    func = getattr(member, "__func__", member)
                    if inspect.isfunction(func):
                        found[f"{mod.__name__}.{name}.{attr}"] = (func, f"{mod.__name__}.{name}")
    return found


def _params(func) -> list[inspect.Parameter]:
    params = list(inspect.signature(func).parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def kind_of(qualname: str, param: inspect.Parameter) -> Kind | None:
    override = OVERRIDES.get(qualname, {}).get(param.name)
    if override is not None:
        return KINDS[override] if isinstance(override, str) else override
    for pattern, kind in RULES:
        if re.search(pattern, param.name):
            if param.default is None:
                return optional(kind)
            if param.default == 0 and kind == "positive":  # a default of 0: zero is allowed
                return KINDS["nonnegative"]
            return KINDS[kind]
    return None


def fuzzed() -> list[str]:
    return sorted(
        q
        for q, (f, _) in discover().items()
        if q not in NOT_FUZZED and q not in PENDING_DOMAINS and _params(f)
    )


# Instances for methods: class qualname -> factory (the catalog's own records).
INSTANCES: dict[str, Callable[[], Any]] = {
    "analysis.hardware.Accelerator": _objects()["accelerator_obj"],
    "analysis.models.ModelSpec": _objects()["model_spec"],
    "analysis.pricing.Deployment": _objects()["deployment"],
    "analysis.agents.AgentLoop": _objects()["agent_loop"],
    # the stored CPU reference measurement's fp32 GEMM sweep against its roofline
    "analysis.measure.compare.GemmComparison": lambda: (
        __import__("analysis.measure.compare")
        .measure.compare.summarize(
            __import__("analysis.measure.results").measure.results.reference("roofline")
        )
        .gemms["fp32"]
    ),
    "analysis.hardware.Rack": lambda: __import__("analysis.hardware").hardware.rack("gb200-nvl72"),
    "analysis.scenarios.Scenario": lambda: __import__("analysis.scenarios").scenarios.get(
        "source-example"
    ),
}


def test_registry_is_complete():
    """Every public callable with arguments is fuzzed with a domain for each argument, or
    listed in NOT_FUZZED with its reason; entries for callables that no longer exist go."""
    found = discover()
    problems = []
    for q in fuzzed():
        func, owner = found[q]
        if (
            owner is not None
            and q.rsplit(".", 1)[0] not in INSTANCES
            and not isinstance(
                inspect.getattr_static(_owner_class(q), q.rsplit(".", 1)[1]), classmethod
            )
        ):
            problems.append(f"{q}: no instance factory for {owner} in INSTANCES")
        for p in _params(func):
            if kind_of(q, p) is None:
                problems.append(f"{q}: no domain for argument {p.name!r} (RULES or OVERRIDES)")
    for q in PENDING_DOMAINS:
        if q in found and all(kind_of(q, p) is not None for p in _params(found[q][0])):
            problems.append(f"{q}: every argument has a domain: remove it from PENDING_DOMAINS")
    stale = [
        q for q in [*NOT_FUZZED, *OVERRIDES, *KNOWN_FAILURES, *PENDING_DOMAINS] if q not in found
    ]
    problems += [f"{q}: listed but no longer a public callable" for q in stale]
    assert not problems, "\n".join(problems)


def test_not_fuzzed_reasons_name_tests_that_exist():
    """A reason that names a test (``test_module`` or ``test_module.test_function``) names one
    that exists, so the list cannot point at coverage that is not there."""
    tests = Path(__file__).parent
    missing = []
    for q, why in NOT_FUZZED.items():
        for module, function in re.findall(r"\b(test_\w+)(?:\.(test_\w+))?", why):
            path = tests / f"{module}.py"
            if not path.exists() or (function and f"def {function}(" not in path.read_text()):
                missing.append(f"{q}: {module}{'.' + function if function else ''}")
    assert not missing, "\n".join(missing)


def _owner_class(qualname: str):
    mod_name, cls_name, _ = qualname.rsplit(".", 2)
    return getattr(importlib.import_module(mod_name), cls_name)


def _bound(qualname: str) -> Callable:
    func, owner = discover()[qualname]
    if owner is None:
        return func
    cls = _owner_class(qualname)
    attr = qualname.rsplit(".", 1)[1]
    if isinstance(inspect.getattr_static(cls, attr), classmethod):
        return getattr(cls, attr)
    return getattr(INSTANCES[owner](), attr)


# ---- checking one call ---------------------------------------------------------------------


def _non_finite(value, depth=0) -> str | None:
    """Where a NaN or inf hides in a result (floats, arrays, containers, dataclasses), if any."""
    if depth > 6:
        return None
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(value).all():
        return "array with NaN/inf"
    if isinstance(value, Fraction | int | str | bytes | Path | type(None)):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list | tuple):
        items = list(value)[:50]
    else:
        return None
    for item in items:
        where = _non_finite(item, depth + 1)
        if where:
            return where
    return None


# A call that has used this much CPU time has hung (CPU, not wall-clock, time: a loaded
# machine slows every call down, and only a call that is itself busy this long is a hang).
CALL_LIMIT_S = 1.0


class Hung(BaseException):
    """Raised into a call that ran past CALL_LIMIT_S (a BaseException: no ``except`` eats it)."""


def _alarm(signum, frame):
    raise Hung


# Memory a single call may add: past it, allocation raises MemoryError (a failure reported for
# that call) instead of the kernel's OOM killer taking the test run, or a neighbour's process.
CALL_MEMORY_BYTES = 2**30


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def _call(func, kwargs) -> tuple[str, Any]:
    previous = signal.signal(signal.SIGPROF, _alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space_bytes() + CALL_MEMORY_BYTES
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_PROF, CALL_LIMIT_S)
    try:
        return "ok", func(**kwargs)
    except Hung:
        return "hung", None
    except AnalysisError as err:
        return "typed", err
    except Exception as err:  # RecursionError and MemoryError included
        return "raw", err
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {str(err)[:120]}"


def valid_kwargs(qualname: str) -> dict[str, Any]:
    func, _ = discover()[qualname]
    return {p.name: kind_of(qualname, p).example() for p in _params(func)}  # type: ignore[union-attr]


def check_bad_values(qualname: str) -> list[str]:
    func = _bound(qualname)
    base = valid_kwargs(qualname)
    problems = []
    for p in _params(discover()[qualname][0]):
        kind = kind_of(qualname, p)
        assert kind is not None
        for label, bad in BAD.items():
            kwargs = dict(base, **{p.name: bad})
            outcome, result = _call(func, kwargs)
            if outcome == "hung":
                problems.append(f"{p.name}={label}: still running after {CALL_LIMIT_S} s")
                return problems  # one hang is enough to know; do not wait for every value
            if outcome == "raw":
                problems.append(f"{p.name}={label}: raw {_describe(result)}")
            elif outcome == "typed":
                if p.name not in str(result) and label in kind.must_refuse():
                    problems.append(
                        f"{p.name}={label}: error does not name {p.name!r}: {_describe(result)}"
                    )
            elif label in kind.must_refuse():
                problems.append(
                    f"{p.name}={label}: accepted ({kind.name}), returned {str(result)[:60]!r}"
                )
            else:
                where = _non_finite(result)
                if where:
                    problems.append(f"{p.name}={label}: returned {where}")
    return problems


def check_valid_draws(qualname: str) -> list[str]:
    func = _bound(qualname)
    strategies = {
        p.name: kind_of(qualname, p).draw()  # type: ignore[union-attr]
        for p in _params(discover()[qualname][0])
    }
    problems: list[str] = []

    @settings(
        max_examples=4,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries(strategies))
    def run(kwargs):
        if any("still running" in p for p in problems):
            return
        outcome, result = _call(func, kwargs)
        if outcome == "hung":
            problems.append(f"valid {kwargs!r}: still running after {CALL_LIMIT_S} s")
        elif outcome == "raw":
            problems.append(f"valid {kwargs!r}: raw {_describe(result)}")
        elif outcome == "ok":
            where = _non_finite(result)
            if where:
                problems.append(f"valid {kwargs!r}: returned {where}")

    run()
    return problems


def _report(qualname: str, problems: list[str]):
    if qualname in KNOWN_FAILURES:
        if problems:
            pytest.xfail(f"known: {KNOWN_FAILURES[qualname]}")
        pytest.fail(f"{qualname} is now clean: remove it from KNOWN_FAILURES")
    assert not problems, f"{qualname}:\n  " + "\n  ".join(problems[:12])


@pytest.mark.parametrize("qualname", fuzzed())
def test_bad_values_get_typed_errors(qualname):
    _report(qualname, check_bad_values(qualname) + check_valid_draws(qualname))


def test_figure_lookup():
    from analysis.errors import UnknownNameError
    from analysis.figures import registry

    with pytest.raises(UnknownNameError, match="unknown figure 'bogus'"):
        registry.spec("bogus")
    assert registry.spec(_catalog("figure")[0]).id == _catalog("figure")[0]


# ---- catalog records are frozen -------------------------------------------------------------


def _pop_back(mapping, key):
    value = mapping.pop(key)
    return lambda: mapping.__setitem__(key, value)


def _set_back(mapping, key, value):
    old = mapping[key]
    mapping[key] = value
    return lambda: mapping.__setitem__(key, old)


def _set_all(rows, key, value):
    undos = [_set_back(row, key, value) for row in rows]
    return lambda: [undo() for undo in undos]


def _setattr_back(record, attr, value):
    """Set an attribute of a record (a frozen dataclass refuses with FrozenInstanceError)."""
    old = getattr(record, attr)
    setattr(record, attr, value)
    return lambda: object.__setattr__(record, attr, old)


def _setattr_all(records, attr, value):
    undos = [_setattr_back(r, attr, value) for r in records]
    return lambda: [undo() for undo in undos]


def _clear_back(mapping):
    old = dict(mapping)
    mapping.clear()
    return lambda: mapping.update(old)


def _mutations() -> dict[str, tuple[Callable[[], Any], Callable[[], Callable[[], None]]]]:
    """case -> (read the catalog, mutate a returned record and return how to undo it)."""
    from analysis import agents, hardware, physics, prices

    return {
        "hardware.get().flops.pop": (
            lambda: hardware.get("h100-sxm").peak_flops("bf16"),
            lambda: _pop_back(hardware.get("h100-sxm").flops, "bf16"),
        ),
        "prices.rental_rows() edit": (
            lambda: agents.example_setup().rent_usd_per_gpu_hour,
            lambda: _setattr_all(prices.rental_rows(), "usd_per_gpu_hour", 1000.0),
        ),
        "prices.cache_rule() edit": (
            lambda: dataclasses.asdict(prices.cache_rule("OpenAI")),
            lambda: _setattr_back(prices.cache_rule("OpenAI"), "cached_input_fraction", 1.0),
        ),
        "physics.constants() edit": (
            lambda: sorted(physics.constants()),
            lambda: _clear_back(physics.constants()),
        ),
    }


FROZEN_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("case", sorted(_mutations()))
def test_catalog_records_are_frozen(case):
    read, mutate = _mutations()[case]
    before = read()
    undo = None
    with contextlib.suppress(TypeError, AttributeError, dataclasses.FrozenInstanceError):
        undo = mutate()  # a frozen record refuses, and undo stays None
    try:
        after = read()
    except Exception as err:  # a broken catalog is a failed case, not a crash of the suite
        after = err
    finally:
        if undo is not None:
            undo()  # leave the shared catalog as it was for the tests that follow
    problem = undo is not None or after != before
    if case in FROZEN_KNOWN:
        if problem:
            pytest.xfail(f"known: {FROZEN_KNOWN[case]}")
        pytest.fail(f"{case} is now frozen: remove it from FROZEN_KNOWN")
    assert not problem


# ---- the issue's own examples in modules other branches own (semantic: a sweep cannot see
# that -1456.8 tokens is wrong, so each is written out) ----------------------------------------


def _refused_or(check: Callable[[Any], bool]) -> Callable[[Callable[[], Any]], bool]:
    """Passes when the call raises a typed error, or returns a value for which ``check`` holds."""

    def run(call):
        try:
            value = call()
        except AnalysisError:
            return True
        except Exception:
            return False
        return check(value)

    return run


def _names(argument: str) -> Callable[[Callable[[], Any]], bool]:
    def run(call):
        try:
            call()
        except AnalysisError as err:
            return argument in str(err)
        except Exception:
            return False
        return False

    return run


def _works(call) -> bool:
    try:
        value = call()
    except Exception:
        return False
    return _non_finite(value) is None


def _issue_cases() -> dict[str, tuple[Callable[[], Any], Callable[[Callable[[], Any]], bool]]]:
    from analysis import agents, hardware, memory, prices, pricing, roofline, sharing

    gpt4 = lambda: prices.price("gpt-4-turbo")  # noqa: E731
    return {
        "agents.crossover_context(gpt-4-turbo, 1000, 0.5) is not negative": (
            lambda: agents.crossover_context(gpt4(), 1000, 0.5),
            _refused_or(lambda v: v is None or v >= 0),
        ),
        "prices.price(name, '2024-01-01') accepts an ISO date": (
            lambda: prices.price("gpt-4-turbo", "2024-01-01"),
            _works,
        ),
        "prices.cache_rule('OpenAI', '2024-10-01') accepts an ISO date": (
            lambda: prices.cache_rule("OpenAI", "2024-10-01"),
            _works,
        ),
        "pricing.ratio_from_utilizations(n_matmul_params=0) is refused": (
            lambda: pricing.ratio_from_utilizations(0.6, 0.1, n_matmul_params=0),
            _names("n_matmul_params"),
        ),
        "pricing.ratio_from_utilizations(n_matmul_params=-1) is refused": (
            lambda: pricing.ratio_from_utilizations(0.6, 0.1, n_matmul_params=-1),
            _names("n_matmul_params"),
        ),
        "pricing.ratio_from_utilizations(context_tokens=-5) is refused": (
            lambda: pricing.ratio_from_utilizations(0.6, 0.1, context_tokens=-5),
            _names("context_tokens"),
        ),
        "pricing.implied_decode_utilization(0.5, 0.6) is not above 1": (
            lambda: pricing.implied_decode_utilization(0.5, 0.6),
            _refused_or(lambda v: 0 <= v <= 1),
        ),
        "roofline.matmul_intensity(-1, ...) is refused": (
            lambda: roofline.matmul_intensity(-1, 4096, 4096, "bf16", "bf16"),
            _names("batch"),
        ),
        "memory.serving_limits(context_tokens=0.5) names context_tokens": (
            lambda: memory.serving_limits("llama-3-8b", "h100-sxm", 0.5),
            _names("context_tokens"),
        ),
        "memory.serving_limits(context_tokens=1e308) gives a typed error": (
            lambda: memory.serving_limits("llama-3-8b", "h100-sxm", 1e308),
            _refused_or(lambda v: _non_finite(v) is None),
        ),
        "memory.serving_limits(tokens_per_s=1e308) gives a typed error or an answer": (
            lambda: memory.serving_limits("llama-3-8b", "h100-sxm", 4096, tokens_per_s=1e308),
            _refused_or(lambda v: _non_finite(v) is None),
        ),
        "memory.serving_limits(None, ...) is a TypeError naming model": (
            lambda: memory.serving_limits(None, "h100-sxm", 4096),
            _names("model"),
        ),
        "sharing.tree_saving(100, 2, 1100, 10) (valid) gives a finite saving": (
            lambda: sharing.tree_saving(100, 2, 1100, 10),
            _works,
        ),
        "hardware.get('h100-sxm').source('bogus') is an UnknownNameError": (
            lambda: hardware.get("h100-sxm").source("bogus"),
            _names("bogus"),
        ),
    }


ISSUE_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("case", sorted(_issue_cases()))
def test_issue_15_examples(case):
    call, check = _issue_cases()[case]
    ok = check(call)
    if case in ISSUE_KNOWN:
        if not ok:
            pytest.xfail(f"known: {ISSUE_KNOWN[case]}")
        pytest.fail(f"{case!r} now passes: remove it from ISSUE_KNOWN")
    assert ok, case


# ---- a config.json with one bad value: a ConfigError naming the key, or a usable spec ----------

CONFIGS = ("llama-3-8b", "mixtral-8x7b", "deepseek-v3", "deepseek-v3.2", "gpt-oss-20b",
           "qwen3-30b-a3b", "llama-4-scout", "gpt-3-175b", "nemotron-3-nano-30b-a3b",
           "qwen3-next-80b-a3b", "minimax-m1")  # fmt: skip


def _use_spec(spec) -> tuple:
    return (
        spec.n_params,
        spec.n_active_params,
        spec.kv_bytes_per_token("bf16"),
        spec.weight_bytes("bf16"),
        spec.kv_cache_bytes(4096),
        spec.kv_read_bytes(4096),
    )


@pytest.mark.parametrize("name", CONFIGS)
def test_a_config_with_one_bad_value_is_refused_or_usable(name):
    """Each key of a catalog config.json replaced by each bad value of the issue: parsing raises
    a typed error (the key's ConfigError) or gives a spec whose counts and bytes are finite."""
    import json

    from analysis import model_configs

    config = _hf_config(name)
    wrapped = isinstance(config.get("text_config"), dict)  # Llama 4: the text model's keys
    keys = list((config["text_config"] if wrapped else config).keys())
    problems = []
    for key in keys:
        for label, bad in BAD.items():
            corrupted = json.loads(json.dumps(config))
            (corrupted["text_config"] if wrapped else corrupted)[key] = bad
            outcome, result = _call(model_configs.parse_config, {"config": corrupted})
            if outcome == "ok":
                outcome, result = _call(_use_spec, {"spec": result})
            if outcome in ("raw", "hung"):
                problems.append(f"{key}={label}: {outcome} {_describe(result) if result else ''}")
            elif outcome == "ok" and _non_finite(result):
                problems.append(f"{key}={label}: {_non_finite(result)}")
    assert not problems, f"{name}:\n  " + "\n  ".join(problems[:12])

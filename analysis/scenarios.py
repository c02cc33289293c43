"""The named cases the book returns to: model x chip x group x dtypes x context.

A chapter cell asks for a scenario by name and displays what the laws say of it; the figures
and tests use the same records, so the three cannot drift apart. A scenario holds only choices
(which model, which chip, how many GPUs); every number about them comes from the catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import hardware, memory, models
from .errors import UnknownNameError, require_count, require_dtype, require_positive
from .hardware import Accelerator
from .memory import GroupLimits
from .models import ModelSpec
from .sources import facts
from .units import DTYPES

__all__ = ["SCENARIOS", "Scenario", "all_scenarios", "get"]


@dataclass(frozen=True)
class Scenario:
    """One deployment the book discusses.

    Attributes: ``key`` (stable name), ``model`` and ``hardware`` (catalog names),
    ``n_gpus`` [GPUs] holding one copy of the weights, ``weight_dtype`` and ``kv_dtype``,
    ``context_tokens`` [tokens] per sequence, ``tokens_per_s`` [tokens/s] each instance must
    generate (``None`` where speed is not part of the case), ``why`` (what the book uses it for),
    ``cluster_gpus`` [GPUs] of the whole fleet where the case is a fleet (else ``None``).
    """

    key: str
    model: str
    hardware: str
    n_gpus: int
    weight_dtype: str
    kv_dtype: str
    context_tokens: int
    tokens_per_s: float | None
    why: str
    cluster_gpus: int | None = None

    def __post_init__(self) -> None:
        models.get(self.model)  # an unknown name raises listing the known ones
        hardware.get(self.hardware)
        require_dtype("weight_dtype", self.weight_dtype, DTYPES)
        require_dtype("kv_dtype", self.kv_dtype, DTYPES)
        require_count("n_gpus", self.n_gpus)
        require_count("context_tokens", self.context_tokens)
        if self.tokens_per_s is not None:
            require_positive("tokens_per_s", self.tokens_per_s)
        if self.cluster_gpus is not None:
            require_count("cluster_gpus", self.cluster_gpus, minimum=self.n_gpus)

    def limits(self, context_tokens: int | None = None) -> GroupLimits:
        """Instances one group holds, by memory and (with a speed) bandwidth and compute.

        ``context_tokens`` [tokens] overrides the scenario's context; returns
        :func:`memory.serving_limits` of the scenario [instances per group].
        """
        return memory.serving_limits(
            self.model,
            self.hardware,
            self.context_tokens if context_tokens is None else context_tokens,
            group_gpus=self.n_gpus,
            weight_dtype=self.weight_dtype,
            kv_dtype=self.kv_dtype,
            tokens_per_s=self.tokens_per_s,
        )

    @property
    def spec(self) -> ModelSpec:
        """The model's catalog record."""
        return models.get(self.model)

    @property
    def accelerator(self) -> Accelerator:
        """The chip's catalog record."""
        return hardware.get(self.hardware)

    @property
    def label(self) -> str:
        """Display name, e.g. "Llama 3 70B on 2× H100 SXM, bf16, 8K context"."""
        ctx = self.context_tokens
        ctx_s = f"{ctx // 1024}K" if ctx % 1024 == 0 else f"{ctx:,}"
        dtypes = (
            self.weight_dtype
            if self.kv_dtype == self.weight_dtype
            else f"{self.weight_dtype} weights, {self.kv_dtype} KV"
        )
        return (
            f"{models.info(self.model).display_name} on {self.n_gpus}× "
            f"{self.accelerator.name}, {dtypes}, {ctx_s} context"
        )


# The source's own numbers (facts.yaml, quoted): the speed each instance must reach and the fleet.
_SOURCE_SPEED = float(facts()["source_instance_tokens_per_s"].value)
_SOURCE_FLEET = int(facts()["source_cluster_gpus"].value)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "source-example", "llama-3-70b", "h100-sxm", 2, "bf16", "bf16", 8192, _SOURCE_SPEED,
        "the source's example: a 70B model at the article's tokens/s per instance",
    ),
    Scenario(
        "source-fleet", "llama-3-70b", "h100-sxm", 8, "bf16", "bf16", 8192, _SOURCE_SPEED,
        "the source's GPU fleet, one 8-GPU node per weight copy", _SOURCE_FLEET,
    ),
    Scenario(
        "pricing-open-70b", "qwen2.5-72b", "h100-sxm", 8, "bf16", "bf16", 32768, None,
        "chapter 5's cost of an input and an output token on an 8-GPU node at 32K context",
    ),
    Scenario(
        "energy-small", "llama-3-8b", "h100-sxm", 1, "bf16", "bf16", 1024, None,
        "chapter 6's energy per token of a small model on one GPU",
    ),
)  # fmt: skip


def get(key: str) -> Scenario:
    """The scenario named ``key``; an unknown name raises listing the known ones."""
    keys = [s.key for s in SCENARIOS]
    if not isinstance(key, str) or key not in keys:
        raise UnknownNameError("scenario", key, keys, argument="key")
    return SCENARIOS[keys.index(key)]


def all_scenarios() -> tuple[Scenario, ...]:
    """Every named scenario, in the order the book meets them."""
    return SCENARIOS

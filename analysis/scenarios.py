"""The named cases the book returns to: model x chip x group x dtypes x context.

A chapter cell asks for a scenario by name and displays what the laws say of it; the figures
and tests use the same records, so the three cannot drift apart. A scenario holds only choices
(which model, which chip, how many GPUs); every number about them comes from the catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import hardware, models
from .errors import UnknownDTypeError, UnknownNameError
from .hardware import Accelerator
from .models import ModelSpec
from .units import DTYPES

__all__ = ["SCENARIOS", "Scenario", "all_scenarios", "get"]


@dataclass(frozen=True)
class Scenario:
    """One deployment the book discusses.

    Attributes: ``key`` (stable name), ``model`` and ``hardware`` (catalog names),
    ``n_gpus`` [GPUs] holding one copy of the weights, ``weight_dtype`` and ``kv_dtype``,
    ``context_tokens`` [tokens] per sequence, ``tokens_per_s`` [tokens/s] each instance must
    generate (``None`` where speed is not part of the case), ``why`` (what the book uses it for).
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

    def __post_init__(self) -> None:
        models.get(self.model)  # an unknown name raises listing the known ones
        hardware.get(self.hardware)
        for field in ("weight_dtype", "kv_dtype"):
            if getattr(self, field) not in DTYPES:
                raise UnknownDTypeError(getattr(self, field), list(DTYPES), f"scenario {self.key}")
        if isinstance(self.n_gpus, bool) or not isinstance(self.n_gpus, int) or self.n_gpus < 1:
            raise ValueError(
                f"scenario {self.key}: n_gpus must be an integer >= 1, got {self.n_gpus!r}"
            )
        if self.context_tokens < 1:
            raise ValueError(f"scenario {self.key}: context_tokens must be >= 1")

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


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "source-example", "llama-3-70b", "h100-sxm", 2, "bf16", "bf16", 8192, 40.0,
        "the source's example: a 70B model at the article's 40 tokens/s per instance",
    ),
    Scenario(
        "source-fleet", "llama-3-70b", "h100-sxm", 8, "bf16", "bf16", 8192, 40.0,
        "the source's 24,000-GPU fleet, one 8-GPU node per weight copy",
    ),
    Scenario(
        "pricing-open-70b", "qwen2.5-72b", "h100-sxm", 8, "bf16", "bf16", 8192, None,
        "chapter 5's cost of an input and an output token on an 8-GPU node",
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

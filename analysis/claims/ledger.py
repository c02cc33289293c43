"""The ledger's rule and record: what a claim is, and the one rule that gives its verdict.

Where the source states a number, ``verdict`` follows from ``value`` against ``claimed`` by
``classify`` (never chosen by hand). Claims whose truth turns on an interpretation carry
``depends on assumptions`` and say which assumption flips them; claims no data here can test
carry ``not checkable``. The builders live in ``claims.catalog``, the exports in ``claims.export``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..units import fmt_sig, sci

VERDICTS = (
    "holds",
    "holds to order of magnitude",
    "overstated",
    "understated",
    "depends on assumptions",
    "not checkable",
)
NUMERIC_VERDICTS = VERDICTS[:4]
TOPICS = {  # topic -> the chapter that derives it
    "asymmetry": "chapters/01-asymmetry",
    "vram": "chapters/02-vram",
    "pricing": "chapters/03-pricing",
    "physics": "chapters/04-physics",
}
HALF_DECADE = math.sqrt(10)  # "order of magnitude" = within a factor of sqrt(10) either way


@dataclass(frozen=True)
class Claim:
    id: str  # stable: C01, C02, ...
    quote: str  # a short excerpt of the source's sentence
    topic: str  # key of TOPICS
    section: str  # MyST label of the section that derives it
    assumptions: dict
    value: float | None  # the recomputed headline number
    unit: str
    claimed: float | None  # the number the source states, where it states one
    verdict: str
    why: str
    tolerance: float = 0.25  # relative band within which a stated number "holds"
    order_of_magnitude: bool = False  # the source frames it as "on order", "roughly", "around"
    comparison: str = "~"  # "~": the source states a value; "<" / ">": it states a bound
    sources: tuple[str, ...] = field(default=("source-text",))

    @property
    def chapter(self) -> str:
        return TOPICS[self.topic]

    @property
    def ratio(self) -> float | None:
        """claimed / recomputed: > 1 means the source says more than the recomputation."""
        if self.value in (None, 0) or self.claimed is None:
            return None
        return self.claimed / self.value

    def to_json(self) -> dict:
        out = asdict(self)
        out["sources"] = list(self.sources)
        out["chapter"] = self.chapter
        out["ratio"] = self.ratio
        return out


COMPARISONS = ("~", "<", ">")


def classify(
    value: float, claimed: float, tolerance: float, order_of_magnitude: bool, comparison: str = "~"
) -> str:
    """The verdict a stated number earns against its recomputation.

    A stated value ("~"): holds within ``tolerance`` (relative, either way); holds to order of
    magnitude otherwise within a factor sqrt(10) when the source frames the number as an order
    of magnitude; overstated / understated when the source's number is above / below.
    A stated bound ("value < claimed" or "value > claimed"): holds when the recomputed value
    satisfies it; otherwise the bound is understated ("<") or overstated (">").
    """
    if value <= 0 or claimed <= 0:
        raise ValueError(
            f"classify needs positive numbers, got value={value!r}, claimed={claimed!r}"
        )
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison must be one of {COMPARISONS}, got {comparison!r}")
    if comparison == "<":
        return "holds" if value < claimed else "understated"
    if comparison == ">":
        return "holds" if value > claimed else "overstated"
    factor = max(claimed / value, value / claimed)
    if factor <= 1 + tolerance:
        return "holds"
    if order_of_magnitude and factor <= HALF_DECADE:
        return "holds to order of magnitude"
    return "overstated" if claimed > value else "understated"


def numeric(
    id: str,
    quote: str,
    topic: str,
    section: str,
    *,
    value: float,
    claimed: float,
    unit: str,
    why: str,
    assumptions: dict,
    tolerance: float = 0.25,
    order_of_magnitude: bool = False,
    comparison: str = "~",
    sources: tuple[str, ...] = (),
) -> Claim:
    """A claim with a stated number or bound: its verdict is ``classify``'s, never chosen by hand."""
    verdict = classify(value, claimed, tolerance, order_of_magnitude, comparison)
    return Claim(
        id,
        quote,
        topic,
        section,
        assumptions,
        float(value),
        unit,
        float(claimed),
        verdict,
        why,
        tolerance,
        order_of_magnitude,
        comparison,
        ("source-text", *sources),
    )


def judged(
    id: str,
    quote: str,
    topic: str,
    section: str,
    *,
    verdict: str,
    value: float | None,
    unit: str,
    why: str,
    assumptions: dict,
    claimed: float | None = None,
    sources: tuple[str, ...] = (),
) -> Claim:
    """A claim whose verdict turns on interpretation or cannot be tested here."""
    if verdict not in ("depends on assumptions", "not checkable"):
        raise ValueError(
            f"judged claims are 'depends on assumptions' or 'not checkable', got {verdict!r}"
        )
    return Claim(
        id,
        quote,
        topic,
        section,
        assumptions,
        None if value is None else float(value),
        unit,
        None if claimed is None else float(claimed),
        verdict,
        why,
        sources=("source-text", *sources),
    )


def format_number(value: float | None) -> str:
    """A claim's number for a table: three significant figures, scientific outside 1e-2..1e6."""
    if value is None:
        return "—"
    if value == 0 or 1e-2 <= abs(value) < 1e6:
        return fmt_sig(value, 3)
    return sci(value, 2)

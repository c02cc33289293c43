"""The ledger's rule and record: what a claim is, and the one rule that gives its verdict.

Where the source states a number, ``verdict`` follows from ``value`` against ``claimed`` by
``classify`` (never chosen by hand). Claims whose truth turns on an interpretation carry
``depends on assumptions`` and say which assumption flips them; claims no data here can test
carry ``not checkable``. The builders live in ``claims.catalog``, the exports in ``claims.export``.

Sensitivity: a builder declares how its value is recomputed (``recompute``, a function of named
assumptions), the base point (``base``) and, for each assumption, the ordered range of plausible
values (``ranges``: low end first, high end last). The rule evaluates the value at every point of
every range, one assumption at a time, and classifies each; a numeric verdict that flips anywhere
inside a range (``flipped``: from supporting the claim to over- or understating it, or back)
becomes "depends on assumptions", and the reason names the assumption and the
point where it flips. No builder sets such a verdict by hand. Where a claim's value rests on the
state an instance carries, one range is "architecture" (the designs of ``analysis.designs``);
where it rests on a list price, one is the price date. A claim with no range to sweep (not
checkable, or a unit conversion of the source's own premise) says why in ``unswept``; a record
has exactly one of the two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from ..errors import DefinitionError, InvalidValueError, require_name, require_number
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
    "pricing": "chapters/05-pricing",
    "physics": "chapters/06-physics",
}
HALF_DECADE = math.sqrt(10)  # "order of magnitude" = within a factor of sqrt(10) either way


@dataclass(frozen=True)
class Sensitivity:
    """One assumption's range and what the claim's value and verdict do at its ends.

    ``points`` holds every evaluated point of the range as (assumption value, recomputed value,
    verdict); ``flips_at`` is the first point, from the low end, whose verdict differs from the
    base verdict (None when the verdict holds over the whole range).
    """

    assumption: str
    low: object
    high: object
    value_low: float | None
    value_high: float | None
    verdict_low: str | None
    verdict_high: str | None
    flips_at: object = None
    points: tuple = ()

    @property
    def values(self) -> list[float]:
        """The recomputed values over the range that are feasible [the claim's unit]."""
        return [v for _, v, _ in self.points if v is not None]

    @property
    def spread(self) -> float:
        """max / min of the recomputed value over the range (1 when it does not move).

        Returns [unitless].
        """
        vs = [abs(v) for v in self.values if v]
        return max(vs) / min(vs) if vs else 1.0


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
    sensitivity: tuple[Sensitivity, ...] = ()
    unswept: str = ""  # why no assumption range applies (exactly when ``sensitivity`` is empty)

    def __post_init__(self) -> None:
        if bool(self.sensitivity) == bool(self.unswept):
            raise InvalidValueError(
                "unswept",
                self.unswept,
                f"{self.id}: a claim has either a sensitivity sweep or a reason why none applies "
                f"(unswept), not {'both' if self.unswept else 'neither'}",
            )

    @property
    def swept(self) -> bool:
        """Whether the claim's value was recomputed over its assumptions' ranges."""
        return bool(self.sensitivity)

    @property
    def chapter(self) -> str:
        """The chapter that tests the claim, from its ``topic``."""
        return TOPICS[self.topic]

    @property
    def ratio(self) -> float | None:
        """claimed / recomputed: > 1 means the source says more than the recomputation.

        Returns [unitless].
        """
        if self.value in (None, 0) or self.claimed is None:
            return None
        return self.claimed / self.value

    def to_json(self) -> dict:
        """The claim as a JSON-ready dict (values in the claim's ``unit``)."""
        out = asdict(self)
        out["sources"] = list(self.sources)
        out["sensitivity"] = [
            {k: v for k, v in asdict(x).items() if k != "points"}
            | {"points": [list(p) for p in x.points]}
            for x in self.sensitivity
        ]
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
    ``value`` and ``claimed`` [the claim's unit]; ``tolerance`` [fraction]; ``order_of_magnitude`` as above; ``comparison`` one of "~", "<", ">".
    """
    if value <= 0 or claimed <= 0:
        raise InvalidValueError(
            "value, claimed", (value, claimed), "positive numbers (classify compares ratios)"
        )
    if comparison not in COMPARISONS:
        raise InvalidValueError("comparison", comparison, f"one of {', '.join(COMPARISONS)}")
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


Recompute = Callable[..., "float | None"]


def _show(x: object) -> str:
    if isinstance(x, float):
        return fmt_sig(x, 3) if 1e-2 <= abs(x) < 1e6 else sci(x, 2)
    return str(x)


SAME_SIDE = {"holds": "holds", "holds to order of magnitude": "holds"}


def flipped(verdict_a: str, verdict_b: str) -> bool:
    """Whether two numeric verdicts disagree on the claim's truth.

    "holds" and "holds to order of magnitude" agree (both support the claim, one more loosely);
    either against "overstated" or "understated", or those two against each other, disagree.
    ``verdict_a``, ``verdict_b``: two verdicts of ``classify``.
    """
    require_name("verdict_a", verdict_a, NUMERIC_VERDICTS, kind="numeric verdict")
    require_name("verdict_b", verdict_b, NUMERIC_VERDICTS, kind="numeric verdict")
    return SAME_SIDE.get(verdict_a, verdict_a) != SAME_SIDE.get(verdict_b, verdict_b)


def sweep(
    recompute: Recompute,
    base: Mapping[str, object],
    ranges: Mapping[str, Sequence[object]],
    judge: Callable[[float], str] | None = None,
) -> tuple[Sensitivity, ...]:
    """Evaluate ``recompute`` over each range, one assumption at a time, the others at ``base``.

    ``judge`` turns a value into a verdict (``classify`` with the claim's settings); without one
    the verdicts are None (claims judged by interpretation). ``recompute`` returns None where a
    point is infeasible (e.g. a model that does not fit); such points carry no verdict.
    ``ranges``: the values to try per assumption; returned values [the claim's unit].
    """
    unknown = sorted(set(ranges) - set(base))
    if unknown:
        raise InvalidValueError(
            "ranges", unknown, f"assumptions that base sets ({', '.join(sorted(base))})"
        )
    base_value = recompute(**base)
    base_verdict = judge(base_value) if (judge and base_value is not None) else None
    out = []
    for name, values in ranges.items():
        if len(values) < 2:
            raise InvalidValueError(f"ranges[{name!r}]", values, "a low and a high end (2+ values)")
        points = []
        for x in values:
            v = recompute(**{**base, name: x})
            points.append((x, None if v is None else float(v), judge(v) if judge and v else None))
        flips = next(
            (x for x, v, vd in points if base_verdict and vd and flipped(base_verdict, vd)),
            None,
        )
        out.append(
            Sensitivity(
                name,
                values[0],
                values[-1],
                points[0][1],
                points[-1][1],
                points[0][2],
                points[-1][2],
                flips,
                tuple(points),
            )
        )
    return tuple(out)


def _flip_reason(
    base: Mapping[str, object], base_verdict: str, sens: tuple[Sensitivity, ...]
) -> str:
    parts = []
    for x in sens:
        if x.flips_at is None:
            continue
        v, vd = next((v, vd) for p, v, vd in x.points if p == x.flips_at)
        parts.append(
            f"{x.assumption}: {base_verdict} at {_show(base[x.assumption])}, {vd} at "
            f"{_show(x.flips_at)} (value {_show(v)})"
        )
    return "The verdict flips inside the plausible range of " + "; of ".join(parts) + "."


def numeric(
    id: str,
    quote: str,
    topic: str,
    section: str,
    *,
    value: float | None = None,
    claimed: float,
    unit: str,
    why: str,
    assumptions: dict,
    tolerance: float = 0.25,
    order_of_magnitude: bool = False,
    comparison: str = "~",
    sources: tuple[str, ...] = (),
    recompute: Recompute | None = None,
    base: Mapping[str, object] | None = None,
    ranges: Mapping[str, Sequence[object]] | None = None,
    unswept: str = "",
) -> Claim:
    """A claim with a stated number or bound: its verdict is the rule's, never chosen by hand.

    With ``recompute``, ``base`` and ``ranges`` the value is ``recompute(**base)`` and the rule
    sweeps every range (``sweep``); a verdict that flips inside a range becomes "depends on
    assumptions", and the reason (appended to ``why``) names the assumption and the flip point.
    Without ``recompute``, ``unswept`` says why no assumption range applies.
    ``id``, ``quote``, ``topic``, ``section`` as in ``judged``; ``value`` and ``claimed`` [``unit``]; ``tolerance`` [fraction], ``order_of_magnitude`` and ``comparison`` as in ``classify``; ``sources`` are BibTeX keys.
    """
    sens: tuple[Sensitivity, ...] = ()

    def judge(v: float) -> str:
        return classify(v, claimed, tolerance, order_of_magnitude, comparison)

    if recompute is not None:
        if base is None:
            raise DefinitionError(f"{id}: recompute needs base (the assumptions at the base point)")
        computed = recompute(**base)
        if computed is None:
            raise DefinitionError(f"{id}: the base point {dict(base)} is infeasible")
        if value is not None and not math.isclose(value, computed, rel_tol=1e-12):
            raise DefinitionError(f"{id}: value {value!r} is not recompute(**base) = {computed!r}")
        value = computed
        sens = sweep(recompute, base, ranges or {}, judge)
        assumptions = {**assumptions, **base}
    if value is None:
        raise DefinitionError(f"{id}: give value or recompute")
    verdict = judge(value)
    if any(x.flips_at is not None for x in sens):
        why = f"{why} {_flip_reason(base or {}, verdict, sens)}"
        verdict = "depends on assumptions"
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
        sens,
        unswept,
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
    recompute: Recompute | None = None,
    base: Mapping[str, object] | None = None,
    ranges: Mapping[str, Sequence[object]] | None = None,
    bound: tuple[str, float] | None = None,
    unswept: str = "",
) -> Claim:
    """A claim whose verdict turns on interpretation or cannot be tested here.

    ``recompute``/``base``/``ranges`` record how its value moves. The verdict is not numeric, but
    ``bound`` = (comparison, number), when given, judges the claim's testable part at every point
    (``classify``: "<" or ">" the number); a flip of that part is named in the reason. Without a
    sweep, ``unswept`` says why no assumption range applies.
    ``id`` (C01...), ``quote`` (a short excerpt of the source), ``topic``, ``section``; ``value`` and ``claimed`` [``unit``]; ``why`` and ``assumptions`` explain it; ``sources`` are BibTeX keys.
    """
    if verdict not in ("depends on assumptions", "not checkable"):
        raise DefinitionError(
            f"judged claims are 'depends on assumptions' or 'not checkable', got {verdict!r}"
        )
    sens: tuple[Sensitivity, ...] = ()
    if recompute is not None:
        if base is None:
            raise DefinitionError(f"{id}: recompute needs base (the assumptions at the base point)")
        judge = None
        if bound is not None:
            comparison, limit = bound

            def judge(v: float) -> str:
                return classify(v, limit, 0.0, False, comparison)

        sens = sweep(recompute, base, ranges or {}, judge)
        value = recompute(**base)
        assumptions = {**assumptions, **base}
        if bound is not None:
            assumptions["testable_bound"] = list(bound)
        if judge is not None and value is not None and any(x.flips_at is not None for x in sens):
            why = f"{why} {_flip_reason(base, judge(value), sens)}"
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
        sensitivity=sens,
        unswept=unswept,
    )


def format_number(value: float | None) -> str:
    """A claim's number for a table: three significant figures, scientific outside 1e-2..1e6.

    ``value`` [any unit]; None prints as a dash.
    """
    if value is None:
        return "—"
    require_number("value", value)
    if value == 0 or 1e-2 <= abs(value) < 1e6:
        return fmt_sig(value, 3)
    return sci(value, 2)

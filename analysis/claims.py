"""The claims ledger: every quantitative claim of the source text, recomputed, with a verdict.

Each record's ``value`` is computed by the chapters' functions when the ledger is built — never a
literal — and, where the source states a number, ``verdict`` follows from ``value`` against
``claimed`` by one rule (``classify``). Claims whose truth turns on an interpretation carry
``depends on assumptions`` and say which assumption flips them; claims no data here can test
carry ``not checkable``.

``python -m analysis.claims [--out DIR]`` writes ``claims.csv`` and ``claims.json`` (default
``figures/``); a test fails when the committed exports are stale.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from .fileio import atomic_write_bytes
from .sources import ROOT
from .units import fmt_sig, sci

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


BUILDERS: list[Callable[[], Claim]] = []


def claim(func: Callable[[], Claim]) -> Callable[[], Claim]:
    BUILDERS.append(func)
    return func


@cache
def ledger() -> tuple[Claim, ...]:
    """Every claim, in id order."""
    from . import claims_catalog  # noqa: F401  (registers the builders)

    claims = tuple(sorted((build() for build in BUILDERS), key=lambda c: c.id))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {ids}")
    return claims


def get(id: str) -> Claim:
    for c in ledger():
        if c.id == id:
            return c
    from .errors import UnknownNameError

    raise UnknownNameError("claim", id, [c.id for c in ledger()])


def format_number(value: float | None) -> str:
    """A claim's number for a table: three significant figures, scientific outside 1e-2..1e6."""
    if value is None:
        return "—"
    if value == 0 or 1e-2 <= abs(value) < 1e6:
        return fmt_sig(value, 3)
    return sci(value, 2)


def by_topic() -> dict[str, list[Claim]]:
    """The ledger grouped by chapter, in chapter order."""
    return {topic: [c for c in ledger() if c.topic == topic] for topic in TOPICS}


def verdict_counts() -> dict[str, int]:
    return {v: sum(c.verdict == v for c in ledger()) for v in VERDICTS}


CSV_FIELDS = (
    "id",
    "topic",
    "chapter",
    "section",
    "quote",
    "value",
    "unit",
    "comparison",
    "claimed",
    "ratio",
    "verdict",
    "why",
    "assumptions",
    "sources",
)


def render_csv() -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in ledger():
        row = c.to_json()
        row["assumptions"] = json.dumps(row["assumptions"], sort_keys=True, ensure_ascii=False)
        row["sources"] = " ".join(row["sources"])
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in CSV_FIELDS})
    return buf.getvalue().encode()


def render_json() -> bytes:
    doc = [c.to_json() for c in ledger()]
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


EXPORTS = {"claims.csv": render_csv, "claims.json": render_json}


def export(outdir: Path = ROOT / "figures") -> list[Path]:
    paths = []
    for name, render in EXPORTS.items():
        path = Path(outdir) / name
        atomic_write_bytes(path, render())
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m analysis.claims", description="Export the claims ledger."
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "figures", help="output folder (default: figures/)"
    )
    args = parser.parse_args(argv)
    for path in export(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    # Run through the package module: builders register themselves on analysis.claims, not __main__.
    from analysis.claims import main as _main

    raise SystemExit(_main())

"""Dated API token prices (USD per million tokens), caching rules and GPU rental prices, each row sourced.

Three catalogs, all frozen records (a caller cannot change the catalog):

- ``api_prices()``: one ``PriceRow`` per (provider, model, date, tier). ``tier`` says which
  rate a row is: ``"standard"`` (the base list price), ``"long-context"`` (the rate for prompts
  above ``min_prompt_tokens``, e.g. Claude Sonnet 4's >200K tier) or ``"thinking"`` (an output
  rate that applies when the model reasons, e.g. Gemini 2.5 Flash preview's $3.50). Statistics
  choose their tiers explicitly (``pricing.ratio_summary(tiers=...)``).
- ``cache_rules()``: providers' prompt-caching rules (``CacheRule``), dated, with the cache's
  lifetime (Anthropic's 5-minute and 1-hour caches are two rules).
- ``rental_rows()``: dated GPU rental prices (``RentalRow``), USD per GPU-hour.

Prices are compared exactly: ``PriceRow.output_input_ratio_exact`` is a ``fractions.Fraction``
of the decimals written in the YAML (1.68 / 0.56 is exactly 3, not 2.9999999999999996).
Dates may be given as ``datetime.date`` or ISO strings ("2024-01-01").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Literal, overload

import yaml

from .errors import (
    CatalogError,
    InvalidTypeError,
    InvalidValueError,
    require_count,
    require_name,
    require_positive,
    require_text,
)
from .sources import DATA_DIR, check_source

TIERS = ("standard", "long-context", "thinking")


def as_date(value: object, name: str = "date") -> dt.date:
    """``value`` as a ``datetime.date``: a date, or an ISO 8601 string ("2024-01-01").

    Raises ValueError naming ``name`` for anything else (a datetime is refused too: prices
    change by the day, and a time of day would be silently dropped).
    """
    require_text("name", name)
    allowed = "a datetime.date or an ISO date string 'YYYY-MM-DD' (not a datetime)"
    if isinstance(value, dt.datetime):
        raise InvalidTypeError(name, value, allowed)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidValueError(name, value, allowed) from None
    raise InvalidTypeError(name, value, allowed)


def exact(value: float) -> Fraction:
    """The decimal ``value`` was written as in YAML, as an exact fraction [same unit] (0.56 -> 14/25).

    ``repr`` of a float is the shortest decimal that reads back as that float, which for the
    prices in the catalogs is the decimal written in the YAML.
    """
    require_positive("value", value, allow_zero=True)
    return Fraction(repr(float(value)))


# ---- API prices ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PriceRow:
    """One dated list price. Prices in USD per million tokens (MTok)."""

    provider: str
    model: str
    date: dt.date
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None
    cache_write_usd_per_mtok: float | None
    context_window_tokens: int | None
    source: str
    note: str | None = None
    tier: str = "standard"
    min_prompt_tokens: int | None = (
        None  # long-context tiers: the rate applies above this prompt length
    )

    @property
    def output_input_ratio_exact(self) -> Fraction:
        """Output price / input price [unitless], exactly, from the catalog's decimals."""
        return exact(self.output_usd_per_mtok) / exact(self.input_usd_per_mtok)

    @property
    def output_input_ratio(self) -> float:
        """Output price / input price [unitless] (the exact fraction, rounded once to a float)."""
        return float(self.output_input_ratio_exact)

    @property
    def cached_fraction(self) -> float | None:
        """Cached-read price over the input price [fraction] (None where caching is not offered)."""
        if self.cached_input_usd_per_mtok is None:
            return None
        return float(exact(self.cached_input_usd_per_mtok) / exact(self.input_usd_per_mtok))

    def label(self) -> str:
        """``model`` with its tier where the tier is not the standard one."""
        return self.model if self.tier == "standard" else f"{self.model} ({self.tier})"


@overload
def _price(row: dict, key: str, where: str, required: Literal[True]) -> float: ...
@overload
def _price(row: dict, key: str, where: str, required: Literal[False]) -> float | None: ...
def _price(row: dict, key: str, where: str, required: bool) -> float | None:
    value = row.get(key)
    if value is None:
        if required:
            raise CatalogError(f"{where}: missing {key}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CatalogError(f"{where}: {key} must be a non-negative number, got {value!r}")
    return float(value)


def _whole_or_none(row: dict, key: str, where: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogError(f"{where}: {key} must be a whole number >= 1 or null, got {value!r}")
    return value


def _parse_row(row: dict, i: int) -> PriceRow:
    where = f"prices.yaml row {i} ({row.get('provider')} {row.get('model')})"
    date = row.get("date")
    if not isinstance(date, dt.date):
        raise CatalogError(f"{where}: date must be an ISO date, got {date!r}")
    tier = row.get("tier", "standard")
    if tier not in TIERS:
        raise CatalogError(f"{where}: tier {tier!r} unknown; allowed: {', '.join(TIERS)}")
    min_prompt = _whole_or_none(row, "min_prompt_tokens", where)
    if (tier == "long-context") != (min_prompt is not None):
        raise CatalogError(f"{where}: a long-context tier (and only one) states min_prompt_tokens")
    parsed = PriceRow(
        provider=str(row["provider"]),
        model=str(row["model"]),
        date=date,
        input_usd_per_mtok=_price(row, "input_usd_per_mtok", where, True),
        output_usd_per_mtok=_price(row, "output_usd_per_mtok", where, True),
        cached_input_usd_per_mtok=_price(row, "cached_input_usd_per_mtok", where, False),
        cache_write_usd_per_mtok=_price(row, "cache_write_usd_per_mtok", where, False),
        context_window_tokens=_whole_or_none(row, "context_window_tokens", where),
        source=check_source(str(row["source"]), where),
        note=row.get("note"),
        tier=tier,
        min_prompt_tokens=min_prompt,
    )
    if parsed.input_usd_per_mtok == 0:
        raise CatalogError(f"{where}: input_usd_per_mtok must be > 0")
    return parsed


@cache
def api_prices() -> tuple[PriceRow, ...]:
    """Every dated API price row (all tiers), sorted by date, provider, model and tier."""
    raw = yaml.safe_load((DATA_DIR / "prices.yaml").read_text(encoding="utf-8"))
    rows = [_parse_row(row, i) for i, row in enumerate(raw)]
    return tuple(sorted(rows, key=lambda r: (r.date, r.provider, r.model, TIERS.index(r.tier))))


def models() -> list[str]:
    """Names of every priced model."""
    return sorted({r.model for r in api_prices()})


def providers() -> list[str]:
    """Names of every provider with a price row."""
    return sorted({r.provider for r in api_prices()})


def price(model: str, date: dt.date | str | None = None, *, tier: str = "standard") -> PriceRow:
    """The price of ``model`` in ``tier`` in force on ``date`` (default: its latest row).

    ``date``: a ``datetime.date`` or an ISO string. Raises UnknownNameError for an unknown
    model, ValueError for a tier the model does not have or a date before its first price.
    """
    require_name("model", model, models(), kind="priced model")
    if not isinstance(tier, str) or tier not in TIERS:
        raise InvalidValueError("tier", tier, f"one of {', '.join(TIERS)} (tier {tier!r} unknown)")
    rows = [r for r in api_prices() if r.model == model]
    has = sorted({r.tier for r in rows}, key=TIERS.index)
    rows = [r for r in rows if r.tier == tier]
    if not rows:
        raise InvalidValueError("tier", tier, f"one of {model!r}'s tiers: {', '.join(has)}")
    if date is not None:
        day = as_date(date)
        first = rows[0].date
        rows = [r for r in rows if r.date <= day]
        if not rows:
            raise InvalidValueError(
                "date",
                date,
                f"on or after {first.isoformat()}, {model!r}'s first {tier} price (there is no "
                f"{tier} price for {model!r} on or before {day.isoformat()})",
            )
    return rows[-1]


def data_as_of(catalog: str | None = None) -> dt.date:
    """The date of the newest row ("data as of"): of ``catalog`` ("api", "rental", "cache"), or of all."""
    newest = {
        "api": lambda: max(r.date for r in api_prices()),
        "rental": lambda: max(r.date for r in rental_rows()),
        "cache": lambda: max(r.date for r in cache_rules()),
    }
    if catalog is None:
        return max(f() for f in newest.values())
    require_name("catalog", catalog, list(newest), kind="price catalog")
    return newest[catalog]()


# ---- market: caching rules and GPU rentals ----------------------------------------------------------
@cache
def _market() -> dict:
    raw = yaml.safe_load((DATA_DIR / "market.yaml").read_text(encoding="utf-8"))
    for section, rows in raw.items():
        for i, row in enumerate(rows):
            check_source(str(row["source"]), f"market.yaml {section}[{i}]")
            if not isinstance(row.get("date"), dt.date):
                raise CatalogError(f"market.yaml {section}[{i}]: date must be an ISO date")
    return raw


@dataclass(frozen=True)
class CacheRule:
    """A provider's prompt-caching rule in force from ``date``.

    Fractions are of the uncached input price: ``cached_input_fraction`` = cache-hit read price;
    ``cache_write_fraction`` = cache-write price where writes are billed separately (else None:
    a miss costs the normal input price). ``ttl_s`` is the cache's lifetime where the rule names
    one; ``default`` is False for an option a caller must ask for (Anthropic's 1-hour cache).
    """

    provider: str
    date: dt.date
    cached_input_fraction: float
    cache_write_fraction: float | None
    min_prefix_tokens: int | None
    retention: str | None
    ttl_s: int | None
    default: bool
    source: str
    note: str | None = None


@dataclass(frozen=True)
class RentalRow:
    """A dated GPU rental price, USD per GPU-hour (an instance's price over its GPUs)."""

    gpu: str
    provider: str
    usd_per_gpu_hour: float
    date: dt.date
    kind: str
    source: str
    note: str | None = None


@cache
def cache_rules() -> tuple[CacheRule, ...]:
    """Every caching rule in market.yaml, sorted by provider and date."""
    out = []
    for i, r in enumerate(_market()["cache_rules"]):
        where = f"market.yaml cache_rules[{i}]"
        frac = r["cached_input_fraction"]
        if isinstance(frac, bool) or not isinstance(frac, int | float) or not 0 <= frac <= 1:
            raise CatalogError(f"{where}: cached_input_fraction must be in [0, 1], got {frac!r}")
        out.append(
            CacheRule(
                provider=str(r["provider"]),
                date=r["date"],
                cached_input_fraction=float(frac),
                cache_write_fraction=(
                    None if r["cache_write_fraction"] is None else float(r["cache_write_fraction"])
                ),
                min_prefix_tokens=r.get("min_prefix_tokens"),
                retention=r.get("retention"),
                ttl_s=r.get("ttl_s"),
                default=bool(r.get("default", True)),
                source=str(r["source"]),
                note=r.get("note"),
            )
        )
    return tuple(sorted(out, key=lambda c: (c.provider, c.date)))


def cache_rule(
    provider: str, date: dt.date | str | None = None, *, ttl_s: int | None = None
) -> CacheRule:
    """The provider's caching rule in force on ``date`` (default: its latest).

    ``date``: a ``datetime.date`` or an ISO string. ``ttl_s`` [s]: pick the rule for that cache
    lifetime (e.g. 3600 for Anthropic's 1-hour cache); None picks the provider's default cache.
    """
    require_name(
        "provider", provider, sorted({r.provider for r in cache_rules()}), kind="caching provider"
    )
    rules = [r for r in cache_rules() if r.provider == provider]
    day = None if date is None else as_date(date)
    if ttl_s is None:
        rules = [r for r in rules if r.default]
    else:
        require_count("ttl_s", ttl_s)
        known = sorted({r.ttl_s for r in rules if r.ttl_s is not None})
        rules = [r for r in rules if r.ttl_s == ttl_s]
        if not rules:
            raise InvalidValueError(
                "ttl_s",
                ttl_s,
                f"one of {provider}'s cache lifetimes [s]: "
                f"{', '.join(map(str, known)) or 'none stated'}",
            )
    if day is not None:
        first = min(r.date for r in rules)
        rules = [r for r in rules if r.date <= day]
        if not rules:
            raise InvalidValueError(
                "date",
                date,
                f"on or after {first.isoformat()}, {provider}'s first caching rule (there is no "
                f"caching rule for {provider} on or before {day.isoformat()})",
            )
    return rules[-1]


@cache
def _rentals() -> tuple[RentalRow, ...]:
    out = []
    for i, r in enumerate(_market()["gpu_rental_usd_per_hour"]):
        price_ = r["usd_per_gpu_hour"]
        if isinstance(price_, bool) or not isinstance(price_, int | float) or price_ <= 0:
            raise CatalogError(
                f"market.yaml gpu_rental_usd_per_hour[{i}]: usd_per_gpu_hour must be > 0"
            )
        out.append(
            RentalRow(
                gpu=str(r["gpu"]),
                provider=str(r["provider"]),
                usd_per_gpu_hour=float(price_),
                date=r["date"],
                kind=str(r["kind"]),
                source=str(r["source"]),
                note=r.get("note"),
            )
        )
    return tuple(out)


def rented_gpus() -> list[str]:
    """Canonical hardware names (analysis.hardware) with at least one rental row."""
    return sorted({r.gpu for r in _rentals()})


def rental_rows(gpu: str | None = None) -> tuple[RentalRow, ...]:
    """GPU rental prices (of ``gpu`` only, if given), cheapest first, then by date and provider."""
    rows = _rentals()
    if gpu is not None:
        require_name("gpu", gpu, rented_gpus(), kind="rented GPU")
        rows = tuple(r for r in rows if r.gpu == gpu)
    return tuple(sorted(rows, key=lambda r: (r.usd_per_gpu_hour, r.date, r.provider)))


def median_rent_usd_per_gpu_hour(gpu: str) -> float:
    """The median catalogued rent of ``gpu`` [USD per GPU-hour] (upper middle row for an even count)."""
    require_name("gpu", gpu, rented_gpus(), kind="rented GPU")
    rows = rental_rows(gpu)
    return rows[len(rows) // 2].usd_per_gpu_hour

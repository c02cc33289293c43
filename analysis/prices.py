"""Dated API token prices (USD per million tokens) and GPU rental prices, each row sourced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import yaml

from .errors import UnknownNameError
from .sources import DATA_DIR, check_source


@dataclass(frozen=True)
class PriceRow:
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

    @property
    def output_input_ratio(self) -> float:
        return self.output_usd_per_mtok / self.input_usd_per_mtok

    @property
    def cached_fraction(self) -> float | None:
        """Cached-read price as a fraction of the input price, where caching is offered."""
        if self.cached_input_usd_per_mtok is None:
            return None
        return self.cached_input_usd_per_mtok / self.input_usd_per_mtok


def _price(row: dict, key: str, where: str, required: bool) -> float | None:
    value = row.get(key)
    if value is None:
        if required:
            raise ValueError(f"{where}: missing {key}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: {key} must be a non-negative number, got {value!r}")
    return float(value)


def _parse_row(row: dict, i: int) -> PriceRow:
    where = f"prices.yaml row {i} ({row.get('provider')} {row.get('model')})"
    date = row.get("date")
    if not isinstance(date, dt.date):
        raise ValueError(f"{where}: date must be an ISO date, got {date!r}")
    return PriceRow(
        provider=str(row["provider"]),
        model=str(row["model"]),
        date=date,
        input_usd_per_mtok=_price(row, "input_usd_per_mtok", where, True),
        output_usd_per_mtok=_price(row, "output_usd_per_mtok", where, True),
        cached_input_usd_per_mtok=_price(row, "cached_input_usd_per_mtok", where, False),
        cache_write_usd_per_mtok=_price(row, "cache_write_usd_per_mtok", where, False),
        context_window_tokens=row.get("context_window_tokens"),
        source=check_source(str(row["source"]), where),
        note=row.get("note"),
    )


@cache
def api_prices() -> tuple[PriceRow, ...]:
    """Every dated API price row, sorted by date then provider and model."""
    raw = yaml.safe_load((DATA_DIR / "prices.yaml").read_text(encoding="utf-8"))
    rows = [_parse_row(row, i) for i, row in enumerate(raw)]
    return tuple(sorted(rows, key=lambda r: (r.date, r.provider, r.model)))


def models() -> list[str]:
    return sorted({r.model for r in api_prices()})


def price(model: str, date: dt.date | None = None) -> PriceRow:
    """The price of ``model`` in force on ``date`` (default: its latest row)."""
    rows = [r for r in api_prices() if r.model == model]
    if not rows:
        raise UnknownNameError("priced model", model, models())
    if date is not None:
        rows = [r for r in rows if r.date <= date]
        if not rows:
            raise ValueError(f"no price for {model!r} on or before {date.isoformat()}")
    return rows[-1]


@cache
def market() -> dict:
    """Caching rules and GPU rental prices (data/market.yaml), with sources checked."""
    raw = yaml.safe_load((DATA_DIR / "market.yaml").read_text(encoding="utf-8"))
    for section, rows in raw.items():
        for i, row in enumerate(rows):
            check_source(str(row["source"]), f"market.yaml {section}[{i}]")
    return raw

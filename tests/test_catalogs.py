"""Sources, prices and the generated appendix: every value sourced, every page fresh."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from analysis import prices
from analysis.site import appendix
from analysis.sources import BIB_PATH, DATA_DIR, bib_entries


def test_bibliography_parses_with_unique_keys():
    text = BIB_PATH.read_text()
    assert text.count("{") == text.count("}")
    assert len(bib_entries()) >= 40


def _sources_in(obj):
    if isinstance(obj, dict):
        if "source" in obj:
            yield obj["source"]
        for value in obj.values():
            yield from _sources_in(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _sources_in(value)


@pytest.mark.parametrize("name", ["hardware", "models", "prices", "market", "physics", "facts"])
def test_every_catalog_source_key_exists(name):
    data = yaml.safe_load((DATA_DIR / f"{name}.yaml").read_text())
    keys = set(bib_entries())
    sources = list(_sources_in(data))
    assert sources, f"{name}.yaml cites nothing"
    assert set(sources) <= keys, set(sources) - keys


@pytest.mark.parametrize("name", ["physics", "facts"])
def test_record_catalogs_hold_numbers_not_strings(name):
    # PyYAML reads 1.0e9 (no exponent sign) as a string; every value must be a number or null.
    data = yaml.safe_load((DATA_DIR / f"{name}.yaml").read_text())
    for key, rec in data.items():
        value = rec["value"]
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool)), (
            key,
            value,
        )


def test_price_catalog_breadth():
    rows = prices.api_prices()
    assert len({r.model for r in rows}) >= 15
    assert len({r.provider for r in rows}) >= 4
    years = {r.date.year for r in rows}
    assert {2023, 2024, 2025} <= years
    assert all(isinstance(r.date, dt.date) and r.source for r in rows)


def test_gpt4_turbo_devday_price():
    # OpenAI DevDay, 2023-11-06: GPT-4 Turbo at $0.01 / 1K input and $0.03 / 1K output tokens.
    row = prices.price("gpt-4-turbo")
    assert (row.input_usd_per_mtok, row.output_usd_per_mtok) == (10.0, 30.0)
    assert row.output_input_ratio == 3.0


def test_unknown_priced_model_lists_models():
    with pytest.raises(LookupError, match="gpt-4-turbo"):
        prices.price("gpt-9")


def test_generated_appendix_is_fresh():
    assert appendix.PAGE.read_text() == appendix.render(), (
        "run `make figures` to regenerate the appendix"
    )


def test_appendix_cites_every_accelerator_value():
    page = appendix.render()
    assert page.count("{cite:p}") > 150
    assert re.search(r"Dense peak, bf16 \| 989 TFLOP/s", page)

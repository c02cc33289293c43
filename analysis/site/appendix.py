"""Generates chapters/appendix-data-sources.md from the catalogs: never typed, always cited.

``python -m analysis.site.appendix`` rewrites the page; a test fails when the committed page is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from .. import hardware, models, prices
from ..sources import DATA_DIR, ROOT
from ..units import fmt_sig, si, thousands
from . import pages
from .pages import cell, cite, table

PAGE = ROOT / "chapters" / "appendix-data-sources.md"


_HW_UNITS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "mem_bytes": ("Memory capacity", lambda v: si(v, "B")),
    "mem_type": ("Memory type", str),
    "mem_bandwidth": ("Memory bandwidth", lambda v: si(v, "B/s")),
    "tdp_w": ("Board power (TDP)", lambda v: f"{fmt_sig(v, 4)} W"),
    "transistors": ("Transistors", lambda v: f"{fmt_sig(v / 1e9, 4)} billion"),
    "die_area_mm2": ("Die area", lambda v: f"{fmt_sig(v, 4)} mm²"),
    "process": ("Process", str),
    "clock_hz": ("Clock", lambda v: si(v, "Hz")),
}


def hardware_section() -> str:
    """The accelerators section (MyST): one table per chip of its dense peaks [FLOP/s], memory
    [B] and bandwidth [B/s] and other specs, each with its source."""
    parts = [
        "## Accelerators\n",
        pages.data_as_of("hardware").badge() + "\n",
        "Peak rates are dense (without 2:4 structured sparsity); int8 rates are OP/s. "
        "Bytes and bytes/s are decimal (1 GB = 10⁹ B). A dash marks a figure the vendor "
        "does not publish; the note says so.\n",
    ]
    for acc in hardware.all_accelerators():
        rows = []
        for dtype in acc.dtypes:
            rec = acc.flops[dtype]
            rows.append(
                [
                    f"Dense peak, {dtype}",
                    si(float(rec.value), "FLOP/s"),
                    cite(rec.source),
                    rec.note or "",
                ]
            )
        for field, (label, fmt) in _HW_UNITS.items():
            rec = acc.specs[field]
            value = "—" if rec.value is None else fmt(rec.value)
            note = (rec.note or "") + (" (estimate)" if rec.estimate else "")
            rows.append([label, value, cite(rec.source), note])
        parts.append(
            f"### {acc.name} (`{acc.key}`)\n\n"
            + table(["Quantity", "Value", "Source", "Note"], rows)
            + "\n"
        )
    return "\n".join(parts)


def models_section() -> str:
    """The models section (MyST): each catalog model's architecture and config source, and the
    parameters [count] counted here beside the published ones."""
    rows = []
    for spec in models.all_models():
        info = models.info(spec.name)
        heads = (
            f"{spec.n_heads} / {spec.n_kv_heads}"
            if not spec.is_mla
            else f"{spec.n_heads} (MLA, rank {spec.kv_lora_rank})"
        )
        experts = f"{spec.n_experts_per_tok} of {spec.n_experts}" if spec.n_experts else "dense"
        published = info.published_params
        active = info.published_active_params
        rows.append(
            [
                info.display_name,
                f"{cell(info.config_source.value)} {cite(info.config_source.source)}",
                spec.n_layers,
                thousands(spec.d_model),
                heads,
                experts,
                thousands(spec.vocab_size),
                "—" if spec.max_context is None else thousands(spec.max_context),
                f"{fmt_sig(published.value / 1e9, 4)}B {cite(published.source)}"
                + (
                    f"; active {fmt_sig(active.value / 1e9, 3)}B {cite(active.source)}"
                    if active
                    else ""
                ),
                f"{fmt_sig(spec.n_params / 1e9, 4)}B"
                + (f"; active {fmt_sig(spec.n_active_params / 1e9, 3)}B" if spec.n_experts else ""),
            ]
        )
    header = [
        "Model",
        "Config (source)",
        "Layers",
        "d_model",
        "Heads / KV heads",
        "Experts per token",
        "Vocabulary",
        "Context",
        "Published parameters",
        "Counted here",
    ]
    return (
        "## Models\n\nArchitectures are read from each model's `config.json` "
        "(`analysis/data/models/`), parameters are counted from the architecture, and the "
        "published counts are the oracles the tests compare with.\n\n" + table(header, rows) + "\n"
    )


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.3g}"


def prices_section() -> str:
    """The API prices section (MyST): every catalog row, USD per million tokens, with its source."""
    rows = [
        [
            r.date.isoformat(),
            r.provider,
            f"`{r.model}`",
            _money(r.input_usd_per_mtok),
            _money(r.output_usd_per_mtok),
            _money(r.cached_input_usd_per_mtok),
            f"{r.output_input_ratio:.3g}",
            cite(r.source),
        ]
        for r in prices.api_prices()
    ]
    header = [
        "Date",
        "Provider",
        "Model",
        "Input",
        "Output",
        "Cached input",
        "Output/input",
        "Source",
    ]
    return (
        "## API prices\n\n"
        + pages.data_as_of("api-prices").badge()
        + "\n\nUSD per million tokens, as announced on the date shown.\n\n"
        + table(header, rows)
        + "\n"
    )


def rentals_section() -> str:
    """The GPU rental prices section (MyST): every catalog row, USD per GPU-hour, with its
    source."""
    rows = [
        [
            r.date.isoformat(),
            f"`{r.gpu}`",
            r.provider,
            _money(r.usd_per_gpu_hour),
            r.kind,
            cite(r.source),
        ]
        for r in sorted(prices.rental_rows(), key=lambda r: (r.date, r.gpu, r.provider))
    ]
    return (
        "## GPU rental prices\n\n"
        + pages.data_as_of("gpu-rentals").badge()
        + "\n\nUSD per GPU-hour (an instance's listed price over its GPUs), on the date shown.\n\n"
        + table(["Date", "GPU", "Provider", "USD per GPU-hour", "Kind", "Source"], rows)
        + "\n"
    )


def _records_section(title: str, filename: str, intro: str) -> str:
    raw = yaml.safe_load((DATA_DIR / filename).read_text(encoding="utf-8"))
    rows = []
    for name, rec in raw.items():
        value = rec["value"]
        shown = (
            "—"
            if value is None
            else (fmt_sig(value, 4) if isinstance(value, int | float) else value)
        )
        note = (rec.get("note") or "") + (" (estimate)" if rec.get("estimate") else "")
        rows.append([f"`{name}`", shown, rec.get("unit", ""), cite(rec["source"]), note])
    return (
        f"## {title}\n\n{intro}\n\n"
        + table(["Name", "Value", "Unit", "Source", "Note"], rows)
        + "\n"
    )


def render() -> str:
    """The whole page chapters/appendix-data-sources.md, as MyST text."""
    sections = [
        "# Data sources\n",
        "This appendix is generated from the catalogs in `analysis/data/` by "
        "`python -m analysis.site.appendix` (run by `make figures`); a test fails if it is stale. "
        "Each value is shown with the source it is keyed to in `references.bib`.\n",
        "(appendix-verified-false)=\n"
        "A note that ends in **verified: false** marks a figure taken from the cited official "
        "document as remembered while its text could not be read when the catalog was compiled "
        "(sources accessed 2026-11-29): the value and its source are stated, but nobody has yet "
        "checked the figure against the document's text. Treat it as unconfirmed; the note goes once "
        "someone has read the source. "
        "**Data as of** gives the date of a table's newest row (for the accelerators, the "
        "release year of the newest chip).\n",
        hardware_section(),
        models_section(),
        prices_section(),
        rentals_section(),
        _records_section(
            "Physics and energy",
            "physics.yaml",
            "Constants and energy figures used by the physics chapter.",
        ),
        _records_section(
            "Other facts",
            "facts.yaml",
            "Training runs, throughput and human rates used across the chapters.",
        ),
    ]
    return "\n".join(sections)


def main() -> int:
    """Rewrite chapters/appendix-data-sources.md from :func:`render`; returns 0 [unitless], the
    CLI's exit code."""
    return pages.write(PAGE, render())


if __name__ == "__main__":
    raise SystemExit(main())

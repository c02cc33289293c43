"""Accelerator catalog: dense peak FLOP/s per dtype, memory, bandwidth, power and silicon.

Every number comes from ``data/hardware.yaml`` where it carries the BibTeX key of its source.
Peak FLOP/s are dense (no 2:4 structured sparsity). Bandwidths are decimal bytes/s (1 TB/s =
1e12 B/s). Memory capacities are bytes counted exactly: HBM is built in binary sizes and the
vendors' "80 GB" is 80 GiB = 80 x 2**30 B, so ``mem_bytes`` is the physical capacity in the unit
the source states, and ``usable_mem_bytes`` what the driver reports as allocatable where a source
gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import yaml

from .errors import (
    CatalogError,
    UnknownDTypeError,
    UnknownNameError,
    require_count,
    require_name,
    require_text,
)
from .sources import DATA_DIR, Sourced, check_source
from .units import DTYPES

NAMES = (
    "a100-sxm", "h100-sxm", "h100-pcie", "h100-nvl", "h200", "b200", "b300", "gb200", "gb300",
    "mi300x", "mi325x", "mi350x", "mi355x", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7", "gaudi3",
    "groq-lpu",
)  # fmt: skip
SPEC_FIELDS = (
    "mem_bytes", "mem_type", "mem_bandwidth", "tdp_w",
    "transistors", "die_area_mm2", "process", "clock_hz",
)  # fmt: skip
OPTIONAL_SPEC_FIELDS = ("usable_mem_bytes",)  # absent or null: the physical capacity stands in
REQUIRED_NUMBERS = ("mem_bytes", "mem_bandwidth")
SCALE_UP_FIELDS = ("name", "bandwidth", "domain")
TEXT_FIELDS = ("mem_type", "process")


def _check_number(rec: Sourced, where: str) -> None:
    """YAML reads 1.0e9 (no exponent sign) as a string: catch that and any other non-number."""
    value = rec.value
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise CatalogError(f"{where}: expected a number (write floats as 1.0e+9), got {value!r}")


@dataclass(frozen=True)
class Accelerator:
    key: str
    name: str
    vendor: str
    year: int
    flops: Mapping[str, Sourced]  # dtype -> dense FLOP/s (int8: OP/s); read-only
    specs: Mapping[str, Sourced]  # SPEC_FIELDS -> value (None where unpublished); read-only
    scale_up: Mapping[str, Sourced]  # SCALE_UP_FIELDS -> value: the chip's scale-up interconnect

    @property
    def dtypes(self) -> tuple[str, ...]:
        """The dtypes this chip has a published dense peak for, in canonical order."""
        return tuple(d for d in DTYPES if d in self.flops)

    def peak_flops(self, dtype: str) -> float:
        """Dense peak for ``dtype`` [FLOP/s] (int8: [OP/s])."""
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise UnknownDTypeError(dtype, list(DTYPES))
        if dtype not in self.flops:
            raise UnknownDTypeError(dtype, list(self.dtypes), where=self.key)
        return float(self.flops[dtype].value)

    def _number(self, field: str) -> float | None:
        value = self.specs[field].value
        return None if value is None else float(value)

    def _required_number(self, field: str) -> float:
        """A REQUIRED_NUMBERS field: the loader rejects a record without it."""
        return float(self.specs[field].value)

    @property
    def mem_bandwidth(self) -> float:
        """Memory bandwidth [bytes/s], decimal."""
        return self._required_number("mem_bandwidth")

    @property
    def mem_bytes(self) -> float:
        """Physical memory capacity [bytes], binary as built: the vendors' "80 GB" HBM is 80 GiB.

        An H100 SXM's 80 GB is 80 x 2**30 = 85,899,345,920 B. Bandwidths stay decimal bytes/s.
        """
        return self._required_number("mem_bytes")

    @property
    def usable_mem_bytes(self) -> float:
        """Driver-reported allocatable memory [bytes] where a source gives it, else ``mem_bytes``.

        nvidia-smi shows 81,559 MiB on an H100 SXM (85,520,809,984 B, 0.44% under its 80 GiB).
        """
        rec = self.specs.get("usable_mem_bytes")
        if rec is None or rec.value is None:
            return self.mem_bytes
        return float(rec.value)

    @property
    def usable_mem_known(self) -> bool:
        """Whether ``usable_mem_bytes`` comes from a driver-reported source (not the fallback)."""
        rec = self.specs.get("usable_mem_bytes")
        return rec is not None and rec.value is not None

    @property
    def tdp_w(self) -> float | None:
        """Thermal design power [W] (None where unpublished)."""
        return self._number("tdp_w")

    @property
    def transistors(self) -> float | None:
        """Transistor count [transistors] (None where unpublished)."""
        return self._number("transistors")

    @property
    def die_area_mm2(self) -> float | None:
        """Die area [mm^2] (None where unpublished)."""
        return self._number("die_area_mm2")

    @property
    def clock_hz(self) -> float | None:
        """Boost clock [Hz] (None where unpublished)."""
        return self._number("clock_hz")

    @property
    def scale_up_name(self) -> str:
        """Name of the scale-up interconnect (e.g. "NVLink 4", "PCIe Gen5 x16", "ICI")."""
        return str(self.scale_up["name"].value)

    @property
    def scale_up_bandwidth(self) -> float:
        """Scale-up bandwidth per chip [bytes/s, decimal], bidirectional aggregate as vendors quote it.

        NVLink 4 on an H100 SXM: 900 GB/s = 450 GB/s each way.
        """
        return float(self.scale_up["bandwidth"].value)

    @property
    def scale_up_bandwidth_per_direction(self) -> float:
        """Scale-up bandwidth per chip in one direction [bytes/s]: half the bidirectional figure."""
        return self.scale_up_bandwidth / 2.0

    def group_bandwidth_per_direction(self, n_gpus: int) -> float:
        """Bandwidth one chip can drive into a collective of ``n_gpus`` [GPUs] in one direction
        [bytes/s]: all of its scale-up bandwidth behind a switch, but on a switchless full mesh
        only its links to the group's other n - 1 chips."""
        n_gpus = require_count("n_gpus", n_gpus)
        if "mesh_links" not in self.scale_up or n_gpus == 1:
            return self.scale_up_bandwidth_per_direction
        links = int(self.scale_up["mesh_links"].value)
        return self.scale_up_bandwidth_per_direction * min(n_gpus - 1, links) / links

    @property
    def scale_up_domain(self) -> int:
        """Chips in one scale-up domain [count]: 8 on an HGX board, 72 in an NVL72 rack, a TPU pod."""
        return int(self.scale_up["domain"].value)

    @property
    def process(self) -> str | None:
        """Process node, as the vendor names it [text] (None where unstated)."""
        return self.specs["process"].value

    def critical_intensity(self, dtype: str) -> float:
        """Peak for ``dtype`` over memory bandwidth: the ridge of the roofline [FLOP/byte]."""
        return self.peak_flops(dtype) / self.mem_bandwidth

    def source(self, field: str) -> str:
        """BibTeX key of a spec field, or of ``flops:<dtype>``."""
        require_text("field", field)
        known = [
            *self.specs,
            *(f"flops:{d}" for d in self.flops),
            *(f"scale_up:{f}" for f in self.scale_up),
        ]
        require_name("field", field, known, kind="source field")
        if field.startswith("flops:"):
            return self.flops[field.split(":", 1)[1]].source
        if field.startswith("scale_up:"):
            return self.scale_up[field.split(":", 1)[1]].source
        return self.specs[field].source


def _parse(key: str, raw: dict) -> Accelerator:
    where = f"hardware.yaml[{key}]"
    flops = {}
    for dtype, entry in (raw.get("peak_flops") or {}).items():
        if dtype not in DTYPES:
            raise CatalogError(f"{where}: peak_flops dtype {dtype!r} not in {DTYPES}")
        rec = Sourced.from_yaml(entry, f"{where}.peak_flops.{dtype}")
        check_source(rec.source, f"{where}.peak_flops.{dtype}")
        _check_number(rec, f"{where}.peak_flops.{dtype}")
        if rec.value is None:
            continue
        if rec.value <= 0:
            raise CatalogError(f"{where}.peak_flops.{dtype}: must be > 0")
        flops[dtype] = rec
    specs = {}
    for field in SPEC_FIELDS:
        if field not in raw:
            raise CatalogError(f"{where}: missing field {field!r}")
        rec = Sourced.from_yaml(raw[field], f"{where}.{field}")
        check_source(rec.source, f"{where}.{field}")
        if field not in TEXT_FIELDS:
            _check_number(rec, f"{where}.{field}")
        specs[field] = rec
    for field in OPTIONAL_SPEC_FIELDS:
        if field in raw:
            rec = Sourced.from_yaml(raw[field], f"{where}.{field}")
            check_source(rec.source, f"{where}.{field}")
            _check_number(rec, f"{where}.{field}")
            specs[field] = rec
    for field in REQUIRED_NUMBERS:
        if specs[field].value is None or float(specs[field].value) <= 0:
            raise CatalogError(f"{where}.{field}: a positive number is required")
    usable = specs.get("usable_mem_bytes")
    if (
        usable is not None
        and usable.value is not None
        and not 0 < usable.value <= specs["mem_bytes"].value
    ):
        raise CatalogError(
            f"{where}.usable_mem_bytes: must be > 0 and <= mem_bytes "
            f"({specs['mem_bytes'].value}), got {usable.value}"
        )
    if not flops:
        raise CatalogError(f"{where}: no peak_flops")
    scale_up = _parse_scale_up(raw.get("scale_up"), f"{where}.scale_up")
    return Accelerator(
        key,
        raw["name"],
        raw["vendor"],
        int(raw["year"]),
        MappingProxyType(flops),
        MappingProxyType(specs),
        MappingProxyType(scale_up),
    )


def _parse_scale_up(raw: object, where: str) -> dict[str, Sourced]:
    """The scale-up record: a name, a positive bandwidth [bytes/s] and a whole domain size >= 1."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: missing (a mapping with {SCALE_UP_FIELDS} is required)")
    out = {}
    for field in SCALE_UP_FIELDS:
        if field not in raw:
            raise CatalogError(f"{where}: missing field {field!r}")
        rec = Sourced.from_yaml(raw[field], f"{where}.{field}")
        check_source(rec.source, f"{where}.{field}")
        out[field] = rec
    if not isinstance(out["name"].value, str) or not out["name"].value:
        raise CatalogError(f"{where}.name: a non-empty string is required")
    _check_number(out["bandwidth"], f"{where}.bandwidth")
    if out["bandwidth"].value is None or out["bandwidth"].value <= 0:
        raise CatalogError(f"{where}.bandwidth: a positive number of bytes/s is required")
    domain = out["domain"].value
    if isinstance(domain, bool) or not isinstance(domain, int) or domain < 1:
        raise CatalogError(f"{where}.domain: a whole number >= 1 is required, got {domain!r}")
    if "mesh_links" in raw:  # a switchless full mesh: one link to each peer
        rec = Sourced.from_yaml(raw["mesh_links"], f"{where}.mesh_links")
        check_source(rec.source, f"{where}.mesh_links")
        links = rec.value
        if isinstance(links, bool) or not isinstance(links, int) or not 1 <= links < domain:
            raise CatalogError(
                f"{where}.mesh_links: a whole number in [1, domain) is required, got {links!r}"
            )
        out["mesh_links"] = rec
    return out


@cache
def catalog() -> dict[str, Accelerator]:
    """Every accelerator in the catalog, keyed by canonical name, in NAMES order."""
    raw = yaml.safe_load((DATA_DIR / "hardware.yaml").read_text(encoding="utf-8"))
    missing = [n for n in NAMES if n not in raw]
    if missing:
        raise CatalogError(f"hardware.yaml lacks {missing}")
    return {name: _parse(name, raw[name]) for name in NAMES}


def get(name: str) -> Accelerator:
    """The accelerator called ``name``; an unknown name raises listing the known ones."""
    if not isinstance(name, str) or name not in catalog():
        raise UnknownNameError("accelerator", name, list(NAMES), argument="name")
    return catalog()[name]


def all_accelerators() -> list[Accelerator]:
    """Every accelerator record (one chip each), in NAMES order."""
    return list(catalog().values())


# Rack-scale systems, derived from their per-GPU records so rack and GPU numbers cannot disagree.
RACKS = {"gb200-nvl72": ("gb200", 72), "gb300-nvl72": ("gb300", 72)}


@dataclass(frozen=True)
class Rack:
    """A rack-scale system of ``n_gpus`` identical accelerators: totals are n x the per-GPU value."""

    key: str
    gpu: Accelerator
    n_gpus: int

    def peak_flops(self, dtype: str) -> float:
        """Dense peak FLOP/s of the whole rack for ``dtype`` [FLOP/s]."""
        return self.n_gpus * self.gpu.peak_flops(dtype)

    @property
    def mem_bytes(self) -> float:
        """Physical HBM of the whole rack [bytes, binary as built]."""
        return self.n_gpus * self.gpu.mem_bytes

    @property
    def mem_bandwidth(self) -> float:
        """Aggregate HBM bandwidth of the rack [bytes/s]."""
        return self.n_gpus * self.gpu.mem_bandwidth

    @property
    def scale_up_bandwidth(self) -> float:
        """Aggregate scale-up (NVLink) bandwidth of the rack [bytes/s, bidirectional]."""
        return self.n_gpus * self.gpu.scale_up_bandwidth


def rack(name: str) -> Rack:
    """The rack-scale system called ``name`` (``gb200-nvl72``, ``gb300-nvl72``)."""
    require_name("name", name, list(RACKS), kind="rack")
    gpu, n = RACKS[name]
    return Rack(name, get(gpu), n)

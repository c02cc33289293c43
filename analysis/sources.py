"""Bibliography keys and the sourced-value record shared by every catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import CatalogError, ReadOnlyError, require_name

ROOT = Path(__file__).resolve().parent.parent
BIB_PATH = ROOT / "references.bib"
DATA_DIR = Path(__file__).resolve().parent / "data"


class FrozenDict(dict):
    """A dict that refuses changes: catalogs hand these out, so no caller can alter the catalog
    that every later call reads (``copy()`` gives an ordinary, editable dict)."""

    def _refuse(self, *args: object, **kwargs: object):
        """Refuse the change (``clear``, ``pop``, ``update`` ...): whatever ``args`` and
        ``kwargs`` it was given, raise ``ReadOnlyError`` (a ``TypeError``) saying to copy the mapping first."""
        raise ReadOnlyError("this catalog mapping is read-only; copy it (dict(m)) to change a copy")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def copy(self) -> dict:
        return dict(self)

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


RECORD_CATALOGS = ("facts.yaml", "physics.yaml")  # the catalogs of {value, unit, source} records
_ENTRY = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


@dataclass(frozen=True)
class Sourced:
    """One catalog value with the BibTeX key of its source and an optional note."""

    value: Any  # a number, a string or None as the YAML states it; catalogs check the kind
    source: str
    note: str | None = None
    estimate: bool = False

    @classmethod
    def from_yaml(cls, raw: object, where: str) -> Sourced:
        """The record of one YAML entry ``raw``, a mapping with ``value`` and ``source`` (and
        optional ``note``, ``estimate``); ``where`` names the entry in the error otherwise."""
        if not isinstance(raw, dict) or "value" not in raw or "source" not in raw:
            raise CatalogError(
                f"{where}: expected a mapping with 'value' and 'source', got {raw!r}"
            )
        return cls(raw["value"], str(raw["source"]), raw.get("note"), bool(raw.get("estimate")))


@cache
def bib_entries(path: Path = BIB_PATH) -> dict[str, str]:
    """Map of BibTeX key -> entry type, read from references.bib."""
    text = path.read_text(encoding="utf-8")
    entries: dict[str, str] = {}
    for kind, key in _ENTRY.findall(text):
        if key in entries:
            raise CatalogError(f"{path.name}: duplicate BibTeX key {key!r}")
        entries[key] = kind.lower()
    return entries


def check_source(key: str, where: str) -> str:
    """Return ``key`` if references.bib defines it; otherwise raise naming ``where``, the place
    that cites it."""
    if key not in bib_entries():
        raise CatalogError(f"{where}: source key {key!r} is not defined in references.bib")
    return key


@dataclass(frozen=True)
class Record:
    """One entry of a record catalog (physics.yaml, facts.yaml): a number, its unit and source."""

    key: str
    value: float
    unit: str
    source: str
    note: str | None = None
    estimate: bool = False

    @property
    def joules(self) -> float:
        """The value in SI [J, J/bit or J/bit/mm] for energy units; pJ are converted."""
        if self.unit.startswith("pJ"):
            return self.value * 1e-12
        if self.unit.startswith("J") and "/K" not in self.unit:
            return self.value
        raise CatalogError(f"{self.key}: unit {self.unit!r} is not an energy")


def facts() -> dict[str, Record]:
    """analysis/data/facts.yaml as sourced records (value, unit, source, note): figures the book
    cites once (training runs, published measurements, the source text's own numbers)."""
    return records("facts.yaml")


def records(filename: str) -> dict[str, Record]:
    """Every entry of ``data/<filename>``, checked: a number, a unit and a known source.

    ``filename`` is one of the record catalogs in ``analysis/data/`` (e.g. ``"physics.yaml"``).
    The mapping is read-only (records are frozen): a caller cannot change the catalog.
    """
    require_name("filename", filename, RECORD_CATALOGS, kind="record catalog")
    return _records(filename)


@cache
def _records(filename: str) -> dict[str, Record]:
    raw = yaml.safe_load((DATA_DIR / filename).read_text(encoding="utf-8"))
    out = {}
    for key, entry in raw.items():
        where = f"{filename}[{key}]"
        rec = Sourced.from_yaml(entry, where)
        check_source(rec.source, where)
        if isinstance(rec.value, bool) or not isinstance(rec.value, int | float):
            raise CatalogError(
                f"{where}: expected a number (write floats as 1.0e+9), got {rec.value!r}"
            )
        if "unit" not in entry:
            raise CatalogError(f"{where}: missing 'unit'")
        out[key] = Record(key, rec.value, str(entry["unit"]), rec.source, rec.note, rec.estimate)
    return FrozenDict(out)

"""Generated book pages: the MyST helpers they share, the book's table of contents, and the one
way a generated page is written (atomically, so a reader never sees half a page)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import InvalidTypeError, InvalidValueError, UnknownNameError, require_text
from ..fileio import atomic_write_bytes
from ..sources import ROOT


def cite(key: str) -> str:
    """A parenthetical citation of BibTeX ``key``."""
    require_text("key", key)
    return f"{{cite:p}}`{key}`"


def cell(text: object) -> str:
    """``text`` (any object, as ``str``) made safe for one cell of a Markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table: ``header`` a list of strings, ``rows`` sequences of cells as long."""
    if not isinstance(header, list | tuple) or not all(isinstance(h, str) for h in header):
        raise InvalidTypeError("header", header, "a list of column titles (strings)")
    if not header:
        raise InvalidValueError("header", header, "at least one column title")
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        raise InvalidTypeError("rows", rows, "a sequence of rows")
    for i, row in enumerate(rows):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != len(header):
            raise InvalidValueError(f"rows[{i}]", row, f"a sequence of {len(header)} cells")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def toc_documents() -> list[str]:
    """Every document of the book in _toc.yml order, without suffix ('intro', 'chapters/01-asymmetry')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files += [section["file"] for section in chapter.get("sections", [])]
    return [re.sub(r"\.(md|ipynb)$", "", f) for f in files]


def write(path: Path, text: str) -> int:
    """Write a generated page ``text`` to ``path`` atomically and say so; returns 0 [unitless]
    for use as a CLI exit code."""
    atomic_write_bytes(path, text.encode())
    print(f"wrote {Path(path).relative_to(ROOT)}")
    return 0


# ---- "data as of" badges ---------------------------------------------------------------------
@dataclass(frozen=True)
class AsOf:
    """The newest row of a catalog: its date (ISO, or a year for chips) and what that row is."""

    catalog: str
    date: str
    row: str

    def badge(self) -> str:
        """The badge as MyST: '**Data as of 2025-04-14** (newest row: OpenAI gpt-4.1)'."""
        return f"**Data as of {self.date}** (newest row: {self.row})"


CATALOGS = ("api-prices", "gpu-rentals", "hardware")


def data_as_of(catalog: str) -> AsOf:
    """The newest row's date of ``catalog`` ('api-prices', 'gpu-rentals' or 'hardware').

    Prices and rentals carry the date each row was announced or listed; a chip carries its
    release year, so the hardware catalog is as new as its newest chip.
    """
    from .. import hardware, prices

    if catalog == "api-prices":
        newest = max(prices.api_prices(), key=lambda r: (r.date, r.provider, r.model))
        return AsOf(catalog, newest.date.isoformat(), f"{newest.provider} {newest.model}")
    if catalog == "gpu-rentals":
        row = max(prices.rental_rows(), key=lambda r: (r.date, r.gpu, r.provider))
        return AsOf(
            catalog, row.date.isoformat(), f"{hardware.get(row.gpu).name} at {row.provider}"
        )
    if catalog == "hardware":
        acc = max(hardware.all_accelerators(), key=lambda a: (a.year, a.key))
        return AsOf(catalog, str(acc.year), acc.name)
    raise UnknownNameError("catalog", catalog, list(CATALOGS))

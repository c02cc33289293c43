"""One citation style for the whole book: author-year labels, with a/b for the same author and year.

Text and bibliography use the same label: ``{cite:p}`key``` reads "(NVIDIA 2022a)" and the
bibliography lists that entry under "NVIDIA 2022a" (sorted by author, year, title), instead of
author-year in the text and [1], [2] in the list. The pybtex label style ``authoryear`` and the
formatting style ``book`` (plain, with those labels) are registered here; the reference style
``book`` (sphinxcontrib-bibtex's label style with round brackets) is selected in _config.yml.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx
from sphinxcontrib.bibtex import plugin as bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.label import LabelReferenceStyle


def _strip_tex(text: str) -> str:
    return re.sub(r"[{}]", "", re.sub(r"\\[a-zA-Z]+\s*", "", text)).strip()


def _surname(person) -> str:
    last = " ".join(person.prelast_names + person.last_names)
    return _strip_tex(last or " ".join(person.first_names))


def author_part(entry) -> str:
    """'Smith', 'Smith and Jones', 'Smith et al.'; the editor, organisation or key without authors."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        for field in ("organization", "institution", "publisher", "howpublished"):
            if entry.fields.get(field):
                return _strip_tex(entry.fields[field]).split(";")[0].split(",")[0][:40]
        return entry.key
    if len(people) == 1:
        return _surname(people[0])
    if len(people) == 2:
        return f"{_surname(people[0])} and {_surname(people[1])}"
    return f"{_surname(people[0])} et al."


def base_label(entry) -> str:
    year = _strip_tex(entry.fields.get("year", "")) or "n.d."
    return f"{author_part(entry)} {year}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels 'Author Year', made unique by a, b, c ... in the bibliography's sorted order."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        bases = [base_label(e) for e in entries]
        counts = Counter(bases)
        seen: Counter[str] = Counter()
        for base in bases:
            if counts[base] == 1:
                yield base
            else:
                yield base + chr(ord("a") + seen[base])
                seen[base] += 1


class BookStyle(PlainStyle):
    default_label_style = "authoryear"


@dataclasses.dataclass
class BookReferenceStyle(LabelReferenceStyle):
    """The label in round brackets: (NVIDIA 2022a), (Kaplan et al. 2020; Hoffmann et al. 2022)."""

    bracket_parenthetical: BracketStyle = dataclasses.field(
        default_factory=lambda: BracketStyle(left="(", right=")", sep="; ")
    )
    bracket_textual: BracketStyle = dataclasses.field(
        default_factory=lambda: BracketStyle(left="(", right=")", sep="; ")
    )
    bracket_author: BracketStyle = dataclasses.field(
        default_factory=lambda: BracketStyle(left="(", right=")", sep="; ")
    )
    bracket_label: BracketStyle = dataclasses.field(
        default_factory=lambda: BracketStyle(left="(", right=")", sep="; ")
    )
    bracket_year: BracketStyle = dataclasses.field(
        default_factory=lambda: BracketStyle(left="(", right=")", sep="; ")
    )


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "book", BookStyle)
bibtex_plugin.register_plugin("sphinxcontrib.bibtex.style.referencing", "book", BookReferenceStyle)


def setup(app: Sphinx) -> dict:
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

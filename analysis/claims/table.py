"""The ledger's tables for chapter 7: one per topic, each claim linked to its anchored note.

Every claim gets the anchor ``#c02`` (lower-case id) on its note below the table, and the
table's id cell links to it, so ``07-claims.html#c02`` reaches the claim, as the exports and
"Cite a claim" promise. Import order: ledger <- catalog <- table.
"""

from __future__ import annotations

from ..errors import UnknownNameError
from .catalog import by_topic
from .ledger import TOPICS, format_number

HEADER = (
    "| id | claim (source) | stated | recomputed | verdict |",
    "|---|---|---:|---:|---|",
)


def anchor(claim_id: str) -> str:
    """The MyST label and HTML id of ``claim_id`` in chapter 7: 'C02' -> 'c02'."""
    return claim_id.lower()


def topic_markdown(topic: str) -> str:
    """The MyST table of one topic's claims (``TOPICS`` keys) and, below it, one anchored note each.

    Raises UnknownNameError for a topic that is not one of ``TOPICS``.
    """
    if topic not in TOPICS:
        raise UnknownNameError("topic", topic, sorted(TOPICS))
    claims = by_topic()[topic]
    rows = list(HEADER)
    notes = []
    for c in claims:
        stated = "—" if c.claimed is None else format_number(c.claimed)
        rows.append(
            f"| [{c.id}](#{anchor(c.id)}) | “{c.quote}” | {stated} "
            f"| {format_number(c.value)} {c.unit} | **{c.verdict}** |"
        )
        notes.append(f"({anchor(c.id)})=\n**{c.id}** ({{ref}}`derivation <{c.section}>`). {c.why}")
    return "\n".join(rows) + "\n\n" + "\n\n".join(notes)

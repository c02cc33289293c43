"""Sentences the chapters print about a claim, built from its ledger record.

A chapter's verdict on a claim is the ledger's (issue 14: one ledger): these functions turn a
``Claim`` into the words a chapter glues, so that a changed recomputation changes the sentence.
"""

from __future__ import annotations

from ..units import fmt_sig
from .catalog import get
from .ledger import Claim

__all__ = ["flips", "ledger_verdict"]


def _point(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"  # a context or a count: every digit
    if isinstance(value, float):
        return fmt_sig(value, 3)
    return str(value)


def flips(claim: Claim) -> str:
    """Where the claim's verdict changes inside its assumptions' ranges, in words.

    E.g. "it flips with dtype (at bf16) and context (at 32,768)"; "" when no range flips it.
    ``claim``: a ledger record.
    """
    parts = [
        f"{s.assumption} (at {_point(s.flips_at)})"
        for s in claim.sensitivity
        if s.flips_at is not None
    ]
    return "it flips with " + " and ".join(parts) if parts else ""


def ledger_verdict(claim_id: str) -> str:
    """``"C08 depends on assumptions: it flips with dtype (at bf16) ..."`` for chapter prose.

    ``claim_id``: a ledger id such as ``"C08"`` (an unknown id raises listing the known ones).
    """
    claim = get(claim_id)
    where = flips(claim)
    held = "no assumption in its ranges flips it" if claim.sensitivity else ""
    tail = where or held
    return f"{claim.id} {claim.verdict}" + (f": {tail}" if tail else "")

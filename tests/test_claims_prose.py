"""Chapter sentences about a claim come from its ledger record."""

from __future__ import annotations

import dataclasses

import pytest

from analysis.claims import get, prose
from analysis.claims.ledger import Sensitivity
from analysis.errors import UnknownNameError


def _with(claim, sensitivity):
    return dataclasses.replace(claim, sensitivity=tuple(sensitivity))


def test_flips_names_each_flipping_assumption_and_where():
    c = get("C08")
    s_flip = Sensitivity("context", 8192, 131072, 1.1, 0.07, "understated", "holds", 32768)
    s_hold = Sensitivity("dtype", "bf16", "fp8", 0.5, 0.6, "holds", "holds", None)
    assert prose.flips(_with(c, [s_flip, s_hold])) == "it flips with context (at 32,768)"
    assert prose.flips(_with(c, [s_hold])) == ""


def test_ledger_verdict_is_the_ledgers():
    for cid in ("C02", "C08", "C10"):
        text = prose.ledger_verdict(cid)
        assert text.startswith(f"{cid} {get(cid).verdict}")
        assert ("flips with" in text) == any(s.flips_at is not None for s in get(cid).sensitivity)


def test_unknown_claim_is_refused():
    with pytest.raises(UnknownNameError):
        prose.ledger_verdict("C99")

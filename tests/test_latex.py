"""analysis.latex: laws printed in a reader's order, never a different formula."""

import pytest
import sympy as sp

from analysis import designs
from analysis.latex import equation, latex

F, W, b_w, b_a, d, f = sp.symbols("F W b_w b_a d f", positive=True)


def test_issue_example_prints_in_the_readers_order():
    # issue 18, item 10: B* = F b_w d f / (2 W d f - F b_a (d + f)); sympy's default starts
    # the denominator with its negative term
    law = F * b_w * d * f / (2 * W * d * f - F * b_a * (d + f))
    assert sp.latex(law).startswith(r"\frac{F b_{w} d f}{- F")
    assert latex(law, (F, W, b_w, b_a, d, f)) == (
        r"\frac{F b_{w} d f}{2 W d f - F b_{a} \left(d + f\right)}"
    )


def test_a_grouped_form_must_equal_the_law():
    s = {x.name: x for x in designs.DECODE_CRITICAL_BATCH.free_symbols}
    Fs, P, Ws, N, a, L, k = (s[n] for n in ["F", "P", "W", "N", "a", "L", "k"])
    form = Fs * P / (Ws * (2 * N + a * (L + 1)) - Fs * k * (L + 1))
    text = equation("B^{*}", designs.DECODE_CRITICAL_BATCH, (Fs, P, Ws, N, a, L, k), form)
    assert (
        text
        == r"B^{*} = \frac{F P}{W \left(2 N + a \left(L + 1\right)\right) - F k \left(L + 1\right)}"
    )
    with pytest.raises(ValueError, match="form="):
        latex(designs.DECODE_CRITICAL_BATCH, form=form + 1)


def test_every_symbol_of_a_law_is_printed_whatever_the_order():
    law = designs.HOLD_BYTES
    for order in ((), tuple(sorted(law.free_symbols, key=str, reverse=True))):
        text = latex(law, order)
        for sym in law.free_symbols:
            assert sp.latex(sym) in text, (sym, text)

"""analysis.latex: laws printed in a reader's order, never a different formula."""

import pytest
import sympy as sp

from analysis import agents, designs, energy, memory, physics, pricing, roofline, sharing
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


# ---- the book's laws, as each module's latex() prints them (issue 18, item 10) ----------------
def test_critical_batch_prints_as_the_issue_writes_it():
    # B* = F b_w d f / (2 W d f - F b_a (d + f)), solved by hand from
    # 2 B d f / (B b_a (d + f) + b_w d f) = F / W
    assert roofline.latex(roofline.CRITICAL_BATCH) == (
        r"\frac{F b_{w} d f}{2 W d f - F b_{a} \left(d + f\right)}"
    )


def test_bandwidth_limit_prints_its_positive_term_first():
    # (P + B k (L + 1)) / (n_g W) = 1 / v solved for B: B = (n_g W - P v) / (k v (L + 1))
    assert memory.latex(memory.BANDWIDTH_PER_GROUP) == (
        r"\frac{W n_{g} - P v}{k v \left(L + 1\right)}"
    )
    assert memory.latex(memory.DECODE_BYTES) == r"P + B k \left(L + 1\right)"


def test_context_for_a_share_has_no_leading_minus():
    # k L / (P + k L) = delta solved for L: L = P delta / (k (1 - delta)); sympy prints
    # - P delta / (k (delta - 1))
    assert sp.latex(memory.CONTEXT_FOR_SHARE).startswith("- ")
    assert memory.latex(memory.CONTEXT_FOR_SHARE) == (r"\frac{P \delta}{k \left(1 - \delta\right)}")
    # 1 / (1 - q_E) inside the logarithm, not - 1 / (q_E - 1)
    assert r"\log{\left(\frac{1}{1 - q_{E}} \right)}" in roofline.latex(
        roofline.WEIGHT_READ_COMPLETE_BATCH
    )


def _laws() -> list[tuple[str, sp.Expr]]:
    out = []
    for module in (roofline, memory, sharing, pricing, agents, energy, physics):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, sp.Expr) and not value.is_Symbol:
                out.append((f"{module.__name__}.{name}", value))
    return out


@pytest.mark.parametrize("name, law", _laws(), ids=[n for n, _ in _laws()])
def test_every_law_prints_every_symbol_and_no_leading_minus_over_a_sum(name, law):
    text = latex(law)
    for sym in law.free_symbols - law.atoms(sp.Dummy):
        if not any(sym in s.variables for s in law.atoms(sp.Sum)):
            assert sp.latex(sym) in text, (name, sym, text)
    assert r"{- " not in text, (name, text)  # no sum starts with a minus inside braces

"""Formulas printed in a reader's order: the book's LaTeX for a sympy law.

sympy prints a law's terms in its own canonical order (``\\frac{F P}{- F L k - F k + ...}``): a
leading minus, symbols sorted alphabetically. :func:`latex` prints the same expression with
products in the order of the symbols the caller names (so ``F b_w d f``, not ``F b_{w} d f``
shuffled), the positive terms of a sum first and the common factor of its negative terms taken
out (``2 W d f - F b_a (d + f)``), a quotient as one fraction with no leading minus where a
factor of its denominator can take the sign (``P d / (k (1 - d))``). The expression itself is
never changed, only printed: tests compare the printed strings of laws with hand-written ones,
and check that every symbol of every law is printed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from .errors import DefinitionError

__all__ = ["latex", "equation"]


def _negatives(expr: sp.Expr) -> int:
    """How many terms of ``expr`` print with a minus sign."""
    return sum(t.could_extract_minus_sign() for t in sp.Add.make_args(expr))


class _ReaderPrinter(LatexPrinter):
    def __init__(self, order: Sequence[sp.Symbol], **settings):
        super().__init__(settings)
        self._rank = {s: i for i, s in enumerate(order)}

    def _factor_key(self, factor: sp.Expr) -> tuple:
        if factor.is_Number:
            return (0, ())
        ranks = tuple(sorted(self._rank.get(s, len(self._rank)) for s in factor.free_symbols))
        simple = factor.is_Symbol or (factor.is_Pow and factor.base.is_Symbol)
        return (1 if simple else 2, ranks, str(factor))

    def _print_Mul(self, expr: sp.Mul) -> str:
        num, den = sp.fraction(expr)
        if den != 1:
            if not num.is_Add and num.could_extract_minus_sign():
                # - P d / (k (d - 1)) reads P d / (k (1 - d)): the sign moves into a factor of
                # the denominator when that gives it no more negative terms
                for factor in sp.Mul.make_args(den):
                    if factor.is_Add and _negatives(-factor) <= _negatives(factor):
                        num, den = -num, den / factor * sp.expand(-factor)
                        break
                else:
                    return rf"- \frac{{{self._print(-num)}}}{{{self._print(den)}}}"
            return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        coeff, factors = expr.as_coeff_mul()
        parts = [
            self._print(f) if isinstance(f, sp.Sum) else self.parenthesize(f, PRECEDENCE["Mul"])
            for f in sorted(factors, key=self._factor_key)
        ]
        body = " ".join(parts)
        if coeff == 1:
            return body
        if coeff == -1:
            return "- " + body
        return self._print(coeff) + " " + body

    def _term_key(self, term: sp.Expr) -> tuple:
        if term.is_Number:
            return (len(self._rank) + 1,)
        return tuple(sorted(self._rank.get(s, len(self._rank)) for s in term.free_symbols))

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        # Positive terms first, then the negative ones; within each, by the reader's rank of
        # their symbols, ties in sympy's own order. Negative terms with a common factor are
        # printed with it taken out: - F b_a d - F b_a f reads - F b_a (d + f).
        sympy_order = {t: i for i, t in enumerate(expr.as_ordered_terms())}
        out = ""
        for negative in (False, True):
            group = [t for t in expr.args if t.could_extract_minus_sign() == negative]
            if not group:
                continue
            common = sp.factor_terms(sp.Add(*(-t for t in group))) if negative else None
            if len(group) > 1 and isinstance(common, sp.Mul):
                group = [-common if negative else common]
            else:
                group.sort(key=lambda t: (self._term_key(t), sympy_order.get(t, 0)))
            for term in group:
                if negative:
                    out += (" - " if out else "- ") + self.parenthesize(-term, PRECEDENCE["Add"])
                else:
                    out += (" + " if out else "") + self._print(term)
        return out


def latex(expr: sp.Expr, order: Sequence[sp.Symbol] = (), form: sp.Expr | None = None) -> str:
    """``expr`` as LaTeX in a reader's order.

    Parameters
    ----------
    expr : sympy.Expr        the law, exactly as the package defines it
    order : sequence of sympy.Symbol
                             the order a reader expects the symbols in products and sums
                             (e.g. ``(F, W, b_w, b_a, d, f)``); unnamed symbols follow, by name
    form : sympy.Expr, optional
                             the same law grouped as a reader writes it (e.g. with a common
                             factor taken out); printed instead of ``expr`` once sympy proves
                             the two equal, so the book cannot show a formula it does not compute

    Returns
    -------
    str                      LaTeX of the law [no unit]

    Raises
    ------
    ValueError               ``form`` is not equal to ``expr``
    """
    if form is not None:
        if sp.simplify(form - expr) != 0:
            raise DefinitionError(
                f"form={form} is not the law {expr}: their difference does not simplify to 0"
            )
        expr = form
    return _ReaderPrinter(tuple(order)).doprint(expr)


def equation(
    lhs: str, expr: sp.Expr, order: Sequence[sp.Symbol] = (), form: sp.Expr | None = None
) -> str:
    """``lhs = <the law in a reader's order>`` as LaTeX, for a displayed (glued) equation.

    ``expr`` is the law, ``order`` and ``form`` as in :func:`latex` (the symbols' reading order;
    an equal rearrangement to print instead, checked to simplify to ``expr``).
    """
    return f"{lhs} = {latex(expr, order, form)}"

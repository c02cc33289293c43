"""Generates chapters/notation.md: every symbol of the package's sympy laws, its meaning and unit.

The symbols are not typed here: they are collected from the laws themselves (the free symbols of
every module-level sympy expression of the law modules), so a new symbol appears on the page, and
a test fails until :data:`MEANINGS` says what it means. Each row names the module whose laws use
it. A symbol printed the same way with two meanings in different modules is flagged (the first
table lists them for renaming); so is a letter that carries two meanings through its subscripts
only (``N`` parameters, ``N_tr`` transistors), which a reader can still confuse.
``python -m analysis.site.notation`` rewrites the page (``make figures``); a test fails when the
committed page is stale.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sympy as sp

from ..errors import InvalidTypeError, require_name, require_text
from ..sources import ROOT
from . import pages
from .pages import table

PAGE = ROOT / "chapters" / "notation.md"
# The law modules, in the book's order (the chapter that introduces their laws).
LAW_MODULES = {
    "roofline": "chapters/01-asymmetry",
    "memory": "chapters/02-vram",
    "sharing": "chapters/02-vram",
    "pricing": "chapters/05-pricing",
    "agents": "chapters/05-pricing",
    "energy": "chapters/06-physics",
    "physics": "chapters/06-physics",
}

# (module, printed symbol) -> (meaning, unit). Units in brackets as in the docstrings.
MEANINGS: dict[tuple[str, str], tuple[str, str]] = {
    ("roofline", "F"): ("dense peak arithmetic rate of a chip", "FLOP/s"),
    ("roofline", "W"): ("memory bandwidth of a chip", "B/s"),
    ("roofline", "N_flop"): ("arithmetic work of one kernel", "FLOP"),
    ("roofline", "N_byte"): ("memory traffic of one kernel", "B"),
    ("roofline", "I"): ("arithmetic intensity", "FLOP/B"),
    ("roofline", "B"): ("batch: sequences (rows) processed per step", "1"),
    ("roofline", "d"): ("input width of a weight matrix", "1"),
    ("roofline", "f"): ("output width of a weight matrix", "1"),
    ("roofline", "b_w"): ("bytes per weight element", "B"),
    ("roofline", "b_a"): ("bytes per activation element", "B"),
    ("roofline", "N"): (
        "parameters multiplied per token (active, without the embedding lookup)",
        "1",
    ),
    ("roofline", "P"): ("weight bytes of one model copy", "B"),
    ("roofline", "T_new"): ("new tokens per sequence in one forward step", "1"),
    ("roofline", "L"): ("cached context tokens per sequence", "1"),
    ("roofline", "k"): ("KV-cache bytes per token, all layers", "B"),
    ("roofline", "a"): ("attention FLOPs per attended position, all layers", "FLOP"),
    ("roofline", "g"): ("query heads per KV head (GQA group)", "1"),
    ("roofline", "h_d"): ("head dimension", "1"),
    ("roofline", "b_kv"): ("bytes per KV-cache element", "B"),
    ("roofline", "D"): ("training tokens", "1"),
    ("roofline", "n_gpu"): ("GPUs of a training run", "1"),
    ("roofline", "t_run"): ("wall-clock time of a training run", "s"),
    ("roofline", "F_achieved"): ("model FLOP/s achieved per chip", "FLOP/s"),
    ("roofline", "C"): ("total model FLOPs of a run", "FLOP"),
    ("memory", "M_gpu"): ("memory capacity of one GPU", "B"),
    ("memory", "u"): ("usable fraction of that memory", "1"),
    ("memory", "n_g"): ("GPUs in one serving group (one weight copy)", "1"),
    ("memory", "v"): ("decode speed of one instance", "tokens/s"),
    ("memory", "N_inst"): ("concurrent instances of a fleet", "1"),
    ("memory", "r_KV"): (
        "dynamic ratio: one instance's KV bytes over the weight bytes (the source's)",
        "1",
    ),
    ("memory", "delta"): ("one instance's KV share of (weights + that KV)", "1"),
    ("sharing", "L_p"): ("prompt (shared prefix) tokens of a search tree", "tokens"),
    ("sharing", "b"): ("branching factor of a search tree", "1"),
    ("sharing", "H"): ("depth of a search tree (levels below the prefix)", "1"),
    ("sharing", "m"): ("tokens added per tree level", "tokens"),
    ("sharing", "n"): ("sequences sharing one prefix", "1"),
    ("sharing", "U"): ("tokens of its own per sequence", "tokens"),
    ("sharing", "j"): ("level of a search tree (summation index)", "1"),
    ("pricing", "M"): ("memory capacity of a whole deployment", "B"),
    ("pricing", "s"): ("share of memory holding KV cache", "1"),
    ("pricing", "R"): ("FLOP per byte of the deployment, F / W (the source's alu_ratio)", "FLOP/B"),
    ("pricing", "c"): ("rent of the deployment", "USD/s"),
    ("pricing", "u_p"): ("achieved FLOP/s over peak in prefill", "1"),
    ("pricing", "u_d"): ("achieved FLOP/s over peak in decode", "1"),
    ("pricing", "KV_RAM"): ("the source's max_KV_cache_RAM", "B"),
    ("pricing", "W_RAM"): ("the source's weight_RAM", "B"),
    ("agents", "t"): ("turn of an agent loop", "1"),
    ("agents", "T"): ("turns of an agent loop", "1"),
    ("agents", "n_p"): ("prompt tokens of an agent", "tokens"),
    ("agents", "n_a"): ("action tokens per turn", "tokens"),
    ("agents", "n_o"): ("observation tokens per turn", "tokens"),
    ("agents", "pi_in"): ("price of an input token", "USD"),
    ("agents", "pi_out"): ("price of an output token", "USD"),
    ("agents", "h"): ("cache-hit price as a fraction of the input price", "1"),
    ("agents", "w"): ("cache-write price as a fraction of the input price", "1"),
    ("agents", "rho"): ("rent of holding KV memory", "USD/(B s)"),
    ("agents", "kappa"): ("KV-cache bytes per token", "B"),
    ("agents", "Delta"): ("time per step", "s"),
    ("agents", "pi_pre"): ("cost of prefilling one token again", "USD"),
    ("agents", "tau"): ("time the agent waits on its tool while its KV stays resident", "s"),
    ("roofline", "N_E"): ("routed experts per MoE layer", "1"),
    ("roofline", "k_E"): ("routed experts each token chooses (top-k)", "1"),
    ("roofline", "q_E"): ("fraction of the routed experts touched", "1"),
    ("roofline", "P_s"): ("weight bytes every token reads (dense and shared layers)", "B"),
    ("roofline", "P_e"): ("weight bytes of all routed experts", "B"),
    ("roofline", "r"): ("MLA latent (compressed KV) rank", "1"),
    ("roofline", "d_rope"): ("MLA rotary key dimension per head", "1"),
    ("roofline", "d_nope"): ("MLA non-rotary query/key dimension per head", "1"),
    ("roofline", "d_v"): ("MLA value dimension per head", "1"),
    ("physics", "k_B"): ("Boltzmann constant", "J/K"),
    ("physics", "T_K"): ("temperature", "K"),
    ("physics", "N_tr"): ("transistors of a die", "1"),
    ("physics", "A_mm2"): ("die area", "mm²"),
    ("physics", "P_board"): ("board power (TDP)", "W"),
    ("physics", "f_clk"): ("clock frequency", "Hz"),
    ("physics", "alpha"): ("activity factor: share of transistors switching per cycle", "1"),
    ("physics", "F"): ("dense peak arithmetic rate of a chip", "FLOP/s"),
    ("physics", "e_wire"): ("energy to move one bit one millimetre on chip", "J/(bit mm)"),
    ("physics", "ell"): ("wire length", "mm"),
    ("physics", "E"): ("an energy", "J"),
    ("physics", "E_ref"): ("a reference energy (a limit)", "J"),
    ("energy", "t_step"): (
        "one decode step's time from the serving model (serving.step_time)",
        "s",
    ),
}


@dataclass(frozen=True)
class Row:
    symbol: str  # as sympy prints it ('N_inst')
    latex: str
    module: str  # the module that defines it
    meaning: str
    unit: str
    used_in: tuple[str, ...]  # the law modules whose expressions use it


def _module(name: str, argument: str = "module"):
    require_name(argument, name, LAW_MODULES, kind="law module")
    return importlib.import_module(f"analysis.{name}")


def _rows(all_rows: object) -> list[Row]:
    """``all_rows`` if it is a list of rows; None: every row (``rows()``)."""
    if all_rows is None:
        return rows()
    if not isinstance(all_rows, list | tuple) or not all(isinstance(r, Row) for r in all_rows):
        raise InvalidTypeError("all_rows", all_rows, "a list of notation rows (rows()) or None")
    return list(all_rows)


def module_symbols(module: str) -> list[sp.Symbol]:
    """The free symbols of every module-level sympy expression of ``module``."""
    found: dict[int, sp.Symbol] = {}
    for value in vars(_module(module)).values():
        if isinstance(value, sp.Basic):
            for sym in value.free_symbols:
                if isinstance(sym, sp.Symbol):
                    found[id(sym)] = sym
    return sorted(found.values(), key=lambda sym: (str(sym), sp.srepr(sym)))


_CREATES = re.compile(r"""sp\.symbols?\(\s*["']([^"']+)["']""", re.IGNORECASE)


def defined_in(module: str) -> frozenset[str]:
    """Names that ``module``'s own source creates with ``sp.symbols``/``sp.Symbol``.

    Read from the source, not from the objects: sympy caches symbols, so ``Symbol("T",
    positive=True)`` is the same object whether it means tokens (roofline) or kelvin (physics).
    """
    return _defined_in(require_name("module", module, LAW_MODULES, kind="law module"))


@cache
def _defined_in(module: str) -> frozenset[str]:
    source = Path(inspect.getfile(_module(module))).read_text(encoding="utf-8")
    return frozenset(n for m in _CREATES.finditer(source) for n in m.group(1).split())


def home(name: str, used_in: str) -> str:
    """The module that defines symbol ``name`` as ``used_in`` uses it: itself, else the first definer."""
    require_text("name", name)
    _module(used_in, "used_in")
    if name in defined_in(used_in):
        return used_in
    return next((m for m in LAW_MODULES if name in defined_in(m)), used_in)


def rows() -> list[Row]:
    """One row per (defining module, symbol), in the book's order, with the modules that use it."""
    users: dict[tuple[str, str], list[str]] = {}
    latex: dict[tuple[str, str], str] = {}
    for module in LAW_MODULES:
        for sym in module_symbols(module):
            key = (home(str(sym), module), str(sym))
            if module not in users.setdefault(key, []):
                users[key].append(module)
            latex[key] = sp.latex(sym)
    out = []
    for key, used in users.items():
        meaning, unit = MEANINGS.get(key, ("(not yet described)", "?"))
        out.append(Row(key[1], latex[key], key[0], meaning, unit, tuple(used)))
    order = list(LAW_MODULES)
    return sorted(out, key=lambda r: (order.index(r.module), r.symbol.lower(), r.symbol))


def undocumented() -> list[tuple[str, str]]:
    """(module, symbol) pairs used by a law but missing from MEANINGS."""
    return sorted((r.module, r.symbol) for r in rows() if (r.module, r.symbol) not in MEANINGS)


def _letter(name: str) -> str:
    return re.split(r"_", name)[0]


def clashes(all_rows: list[Row] | None = None) -> dict[str, list[Row]]:
    """Symbols printed alike with more than one meaning: name -> its rows (one per meaning).

    ``all_rows``: the rows to check (default: every law symbol of the book, ``rows()``).
    """
    by_name: dict[str, dict[str, Row]] = {}
    for r in _rows(all_rows):
        by_name.setdefault(r.symbol, {}).setdefault(r.meaning, r)
    return {n: list(m.values()) for n, m in sorted(by_name.items()) if len(m) > 1}


def letter_clashes(all_rows: list[Row] | None = None) -> dict[str, list[Row]]:
    """Letters that carry different meanings only through subscripts (N, N_tr, N_inst ...).

    ``all_rows``: the rows to check (default: every law symbol of the book, ``rows()``).
    """
    by_letter: dict[str, dict[str, Row]] = {}
    all_rows = _rows(all_rows)
    for r in all_rows:
        by_letter.setdefault(_letter(r.symbol), {}).setdefault(r.symbol, r)
    exact = clashes(all_rows)
    return {
        letter: sorted(names.values(), key=lambda r: r.symbol)
        for letter, names in sorted(by_letter.items())
        if len(names) > 1 and letter not in exact
    }


def _math(latex: str) -> str:
    return f"${latex}$"


def _where(module: str) -> str:
    return f"`analysis.{module}` ({{doc}}`/{LAW_MODULES[module]}`)"


def render() -> str:
    """The notation page (markdown): every symbol with its meaning, unit and chapters."""
    all_rows = rows()
    clash = clashes(all_rows)
    letters = letter_clashes(all_rows)
    parts = [
        "# Notation\n",
        "Every symbol of the book's laws, with its meaning and unit. The list is not typed: it is "
        "collected from the sympy expressions of the law modules themselves by "
        "`python -m analysis.site.notation` (run by `make figures`), so it cannot miss a symbol "
        "that a law uses; a test fails if the page is stale or a symbol has no description. "
        "Units: B is bytes, FLOP floating-point operations, 1 a pure number.\n",
        "## Symbols with two meanings\n",
    ]
    if clash:
        parts.append(
            f"{len(clash)} symbols are printed alike but mean different things in different "
            "chapters. Read each in the chapter that uses it; they are listed here so that they "
            "can be renamed.\n"
        )
        parts.append(
            table(
                ["Symbol", "Meanings (module)"],
                [
                    [
                        _math(rs[0].latex),
                        "; ".join(f"{r.meaning} [{r.unit}] (`{r.module}`)" for r in rs),
                    ]
                    for rs in clash.values()
                ],
            )
            + "\n"
        )
    else:
        parts.append("No symbol has two meanings.\n")
    if letters:
        parts.append(
            "\nThese letters mean different things through their subscripts only:\n\n"
            + table(
                ["Letter", "Symbols"],
                [
                    [
                        _math(sp.latex(sp.Symbol(letter))),
                        "; ".join(f"{_math(r.latex)} {r.meaning}" for r in rs),
                    ]
                    for letter, rs in letters.items()
                ],
            )
            + "\n"
        )
    for module in LAW_MODULES:
        mod_rows = [r for r in all_rows if r.module == module]
        if not mod_rows:
            continue
        parts.append(f"\n## {_where(module)}\n")
        parts.append(
            table(
                ["Symbol", "Meaning", "Unit", "Used by"],
                [
                    [
                        _math(r.latex) + (" (two meanings)" if r.symbol in clash else ""),
                        r.meaning,
                        r.unit,
                        ", ".join(f"`{m}`" for m in r.used_in),
                    ]
                    for r in mod_rows
                ],
            )
            + "\n"
        )
    return "\n".join(parts)


def main() -> int:
    """Write ``chapters/notation.md``; returns the exit status [count of failures, 0]."""
    return pages.write(PAGE, render())


if __name__ == "__main__":
    raise SystemExit(main())

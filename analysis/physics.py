"""Chapter 6: what a switch, a FLOP and a moved bit cost in energy, and how far that is from limits.

Every law is one sympy expression defined here once; the chapter shows its LaTeX, and the numbers,
figures and tests use its ``sympy.lambdify`` form. Energies in joules; FLOP/s dense; die areas in
mm^2 as the vendors publish them, densities per cm^2 as the source text quotes them.

The sourced energy figures live in ``data/physics.yaml``; each carries a BibTeX key.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import hardware
from .errors import (
    AnalysisError,
    InvalidTypeError,
    InvalidValueError,
    require_finite_result,
    require_name,
    require_number,
    require_positive,
)
from .latex import latex as reader_latex
from .sources import Record, records

# ---- symbols --------------------------------------------------------------------------------------
k_B, T = sp.symbols("k_B T_K", positive=True)  # J/K, K
N_tr, A_mm2 = sp.symbols("N_tr A_mm2", positive=True)  # transistors, die area in mm^2
P_board, f_clk, alpha = sp.symbols("P_board f_clk alpha", positive=True)  # W, Hz, activity (0, 1]
F_peak = sp.Symbol("F", positive=True)  # dense peak FLOP/s
e_wire, ell = sp.symbols("e_wire ell", positive=True)  # J per bit per mm, mm
E, E_ref = sp.symbols("E E_ref", positive=True)

MM2_PER_CM2 = 100

# ---- the laws -------------------------------------------------------------------------------------
# Erasing one bit at temperature T dissipates at least k T ln 2 (Landauer 1961).
LANDAUER = k_B * T * sp.log(2)
# Whole-die average: logic, SRAM, I/O and analog all share the area.
DENSITY_PER_CM2 = MM2_PER_CM2 * N_tr / A_mm2
# If all board power went into switching, each transistor switching with probability alpha per
# cycle: energy per switching event. alpha = 1 ("dense activity") gives the smallest energy.
SWITCH_ENERGY = P_board / (N_tr * f_clk * alpha)
# Board power at the dense peak: everything the board burns, divided over its FLOPs.
ENERGY_PER_FLOP = P_board / F_peak
WIRE_ENERGY = e_wire * ell  # one bit over a wire of length ell
GAP = E / E_ref  # how many times an energy exceeds a reference (a limit)

_landauer = sp.lambdify((k_B, T), LANDAUER, "math")
_density = sp.lambdify((N_tr, A_mm2), DENSITY_PER_CM2, "math")
_switch = sp.lambdify((P_board, N_tr, f_clk, alpha), SWITCH_ENERGY, "numpy")
_per_flop = sp.lambdify((P_board, F_peak), ENERGY_PER_FLOP, "math")
_wire = sp.lambdify((e_wire, ell), WIRE_ENERGY, "numpy")

LAWS = {
    "landauer": LANDAUER, "density": DENSITY_PER_CM2, "switch_energy": SWITCH_ENERGY,
    "energy_per_flop": ENERGY_PER_FLOP, "wire_energy": WIRE_ENERGY, "gap": GAP,
}  # fmt: skip


def latex(name: str) -> str:
    """LaTeX of the law ``name`` (keys of ``LAWS``), as ``lhs = rhs`` for display."""
    lhs = {
        "landauer": r"E_{\min}",
        "density": r"\rho_{\mathrm{tr}}",
        "switch_energy": r"E_{\mathrm{switch}}",
        "energy_per_flop": r"E_{\mathrm{FLOP}}",
        "wire_energy": r"E_{\mathrm{wire}}",
        "gap": r"\mathrm{gap}",
    }
    require_name("name", name, list(LAWS), kind="law")
    return f"{lhs[name]} = {reader_latex(LAWS[name])}"


class MissingSpecError(AnalysisError, ValueError):
    """A derivation needs a chip figure that the vendor does not publish."""

    def __init__(self, accelerator: str, field: str, note: str | None):
        self.accelerator, self.field = accelerator, field
        why = f" ({note})" if note else ""
        super().__init__(
            f"{accelerator}: {field} is not published{why}; choose an accelerator that has it"
        )


# ---- sourced constants ------------------------------------------------------------------------------
Quantity = Record  # one value from physics.yaml with its unit and source


def constants() -> dict[str, Quantity]:
    """Every entry of data/physics.yaml, checked: a number, a unit and a known source."""
    return records("physics.yaml")


def constant(key: str) -> Quantity:
    """The physics.yaml entry ``key``; an unknown key raises listing the known ones."""
    table = constants()
    require_name("key", key, sorted(table), kind="physics constant")
    return table[key]


def boltzmann_j_per_k() -> float:
    """Boltzmann constant [J/K] from the catalog."""
    return constant("boltzmann_j_per_k").value


# ---- numbers from the laws ------------------------------------------------------------------------
def landauer_j(temperature_k: float = 300.0) -> float:
    """k T ln 2 [J] at ``temperature_k`` [K] (> 0)."""
    require_positive("temperature_k (kelvin)", temperature_k)
    return _landauer(boltzmann_j_per_k(), temperature_k)


def transistor_density_per_cm2(transistors: float, die_area_mm2: float) -> float:
    """Density [transistors per cm^2] from ``transistors`` and ``die_area_mm2`` [mm^2]."""
    require_positive("transistors", transistors)
    require_positive("die_area_mm2", die_area_mm2)
    return require_finite_result(
        _density(transistors, die_area_mm2),
        "transistors, die_area_mm2",
        (transistors, die_area_mm2),
    )


def switching_energy_j(power_w, transistors: float, clock_hz: float, activity=1.0):
    """Energy per switching event [J] if ``power_w`` [W] all goes into switching ``transistors`` at ``clock_hz`` [Hz]; ``activity`` [fraction] in (0, 1].

    ``power_w`` and ``activity`` may be arrays (for sensitivity sweeps).
    """
    import numpy as np

    p = _array_arg("power_w", power_w, "finite powers [W] > 0", lambda v: v > 0)
    a = _array_arg(
        "activity", activity, "fractions of transistors switching per cycle, in (0, 1]",
        lambda v: (v > 0) & (v <= 1),
    )  # fmt: skip
    require_positive("transistors", transistors)
    require_positive("clock_hz", clock_hz)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = _switch(p, transistors, clock_hz, a)
    if not np.all(np.isfinite(out)):
        raise InvalidValueError(
            "power_w, transistors, clock_hz", (power_w, transistors, clock_hz),
            "sizes whose switching energy is a finite float",
        )  # fmt: skip
    return float(out) if np.ndim(out) == 0 else out


def _array_arg(name: str, value, allowed: str, ok):
    """A number or an array of numbers (for sweeps), each finite and satisfying ``ok``."""
    import numpy as np

    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        require_number(name, value)  # the type checks of a scalar (bool, str, None, 10**400 ...)
        arr = np.asarray(float(value))
    else:
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf" or arr.size == 0:
            raise InvalidTypeError(name, value, f"a number or a non-empty array of {allowed}")
        arr = arr.astype(float)
    if not np.all(np.isfinite(arr)) or not np.all(ok(arr)):
        raise InvalidValueError(name, value, allowed)
    return arr


def energy_per_flop_j(power_w: float, flops: float) -> float:
    """Energy per FLOP [J/FLOP] at a sustained rate ``flops`` [FLOP/s] drawing ``power_w`` [W]."""
    require_positive("power_w", power_w)
    require_positive("flops (FLOP/s)", flops)
    return _per_flop(power_w, flops)


def wire_energy_j(length_mm, key: str = "wire_40nm_random_pj_per_bit_mm"):
    """Joules to move one bit over ``length_mm`` of on-chip wire, at the physics.yaml rate ``key``."""
    import numpy as np

    q = constant(key)
    if not q.unit.endswith("/bit/mm"):
        raise InvalidValueError("key", key, f"an energy per bit per mm (this one is in {q.unit})")
    length = _array_arg("length_mm", length_mm, "finite lengths [mm] > 0", lambda v: v > 0)
    with np.errstate(over="ignore"):
        out = _wire(q.joules, length)
    if not np.all(np.isfinite(out)):
        raise InvalidValueError("length_mm", length_mm, "short enough for a finite energy")
    return float(out) if np.ndim(out) == 0 else out


def gap(energy_j: float, reference_j: float) -> float:
    """How many times ``energy_j`` [J] exceeds ``reference_j`` [J]: the ratio [unitless]."""
    require_positive("energy_j", energy_j)
    require_positive("reference_j", reference_j)
    return require_finite_result(
        energy_j / reference_j, "energy_j, reference_j", (energy_j, reference_j)
    )


CMOS_LIMIT_DTYPE = "fp4"  # the precision of the Ho et al. estimate: compare only like with like


def cmos_limit_j_per_flop() -> float:
    """The Ho et al. CMOS-limit estimate [J/FLOP] (FP4): 1 / (4.7e15 FLOP/J)."""
    return 1.0 / constant("cmos_limit_flop_per_j").value


# ---- per accelerator -------------------------------------------------------------------------------
def _spec(acc: hardware.Accelerator, field: str) -> float:
    value = acc.specs[field].value
    if value is None:
        raise MissingSpecError(acc.key, field, acc.specs[field].note)
    return float(value)


def _accelerator(name: object, argument: str = "name") -> hardware.Accelerator:
    require_name(argument, name, hardware.NAMES, kind="accelerator")
    return hardware.get(name)  # type: ignore[arg-type]


def accelerator_density_per_cm2(name: str) -> float:
    """Whole-die transistor density of accelerator ``name`` [transistors per cm^2]."""
    acc = _accelerator(name)
    return transistor_density_per_cm2(_spec(acc, "transistors"), _spec(acc, "die_area_mm2"))


def accelerator_switching_energy_j(name: str, activity=1.0, power_w: float | None = None):
    """Switching energy of ``name`` [J] at its TDP (or ``power_w`` [W]) and catalog clock; ``activity`` [fraction] in (0, 1]."""
    acc = _accelerator(name)
    power = _spec(acc, "tdp_w") if power_w is None else power_w
    return switching_energy_j(power, _spec(acc, "transistors"), _spec(acc, "clock_hz"), activity)


def accelerator_j_per_flop(name: str, dtype: str) -> float:
    """Board-level energy of accelerator ``name``: TDP over the dense peak for ``dtype`` [J/FLOP]."""
    acc = _accelerator(name)
    return energy_per_flop_j(_spec(acc, "tdp_w"), acc.peak_flops(dtype))


@dataclass(frozen=True)
class BoardRow:
    accelerator: str
    name: str
    dtype: str
    tdp_w: float
    peak_flops: float
    j_per_flop: float
    gap_to_cmos_limit: float | None  # J/FLOP over the Ho et al. limit, for fp4 rows only
    sources: tuple[str, ...]  # TDP key, peak key


def board_table(dtypes: tuple[str, ...] = ("bf16", "fp8", "fp4")) -> list[BoardRow]:
    """Board-level [J/FLOP] for every catalog accelerator with a published TDP, per one of ``dtypes``.

    ``gap_to_cmos_limit`` is given only where the row's precision is the limit's (fp4): the
    published CMOS limit is for FP4 operations, and no limit for bf16 or fp8 is in the catalog.
    """
    from .units import DTYPES

    if not isinstance(dtypes, tuple | list) or not dtypes:
        raise InvalidTypeError("dtypes", dtypes, f"a non-empty tuple of {', '.join(DTYPES)}")
    for dt in dtypes:
        if not isinstance(dt, str) or dt not in DTYPES:
            raise InvalidValueError("dtypes", dtypes, f"dtype names among {', '.join(DTYPES)}")
    rows = []
    limit = cmos_limit_j_per_flop()
    for acc in hardware.all_accelerators():
        if acc.tdp_w is None:
            continue
        for dt in dtypes:
            if dt not in acc.flops:
                continue
            jpf = accelerator_j_per_flop(acc.key, dt)
            rows.append(
                BoardRow(
                    acc.key,
                    acc.name,
                    dt,
                    acc.tdp_w,
                    acc.peak_flops(dt),
                    jpf,
                    jpf / limit if dt == CMOS_LIMIT_DTYPE else None,
                    (acc.source("tdp_w"), acc.source(f"flops:{dt}")),
                )
            )
    return rows


@dataclass(frozen=True)
class DensityRow:
    accelerator: str
    process: str | None  # None where the vendor does not state the node
    transistors: float
    die_area_mm2: float
    density_per_cm2: float
    sources: tuple[str, ...]


def density_table() -> list[DensityRow]:
    """Whole-die density of each catalog accelerator that publishes one die's area."""
    rows = []
    for acc in hardware.all_accelerators():
        if acc.transistors is None or acc.die_area_mm2 is None:
            continue
        rows.append(
            DensityRow(
                acc.key,
                acc.process,
                acc.transistors,
                acc.die_area_mm2,
                accelerator_density_per_cm2(acc.key),
                (acc.source("transistors"), acc.source("die_area_mm2")),
            )
        )
    return rows


# ---- the energy ladder -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Rung:
    label: str
    energy_j: float
    kind: str  # "limit", "switch", "op", "move"
    source: str  # BibTeX key
    note: str = ""


def ladder(temperature_k: float = 300.0, accelerator: str = "h100-sxm") -> list[Rung]:
    """Energies [J] from Landauer (at ``temperature_k`` [K]) to a DRAM access on ``accelerator``, sourced, small to large."""
    require_positive("temperature_k", temperature_k)
    c = constant
    kb = c("boltzmann_j_per_k").source
    acc = _accelerator(accelerator, "accelerator")
    short = acc.name.replace("NVIDIA ", "")
    rungs = [
        Rung(f"Landauer k T ln 2 at {temperature_k:g} K", landauer_j(temperature_k), "limit", kb),
        Rung(
            f"{short}: TDP per transistor-cycle (activity 1)",
            accelerator_switching_energy_j(accelerator),
            "switch",
            acc.source("tdp_w"),
            "upper bound on activity, so a lower bound on energy per switch",
        ),
        Rung(
            "CMOS-limit estimate, per FP4 FLOP",
            cmos_limit_j_per_flop(),
            "limit",
            c("cmos_limit_flop_per_j").source,
        ),
        Rung("8-bit add (45 nm)", c("int8_add_j").joules, "op", c("int8_add_j").source),
        Rung("8-bit multiply (45 nm)", c("int8_mult_j").joules, "op", c("int8_mult_j").source),
        Rung("16-bit FP multiply (45 nm)", c("fp16_mult_j").joules, "op", c("fp16_mult_j").source),
        Rung("32-bit FP multiply (45 nm)", c("fp32_mult_j").joules, "op", c("fp32_mult_j").source),
        Rung(
            f"{short} board, per dense bf16 FLOP",
            accelerator_j_per_flop(accelerator, "bf16"),
            "op",
            acc.source("tdp_w"),
        ),
        Rung(
            "1 bit, 1 mm of on-chip wire (40 nm, random data)",
            wire_energy_j(1.0),
            "move",
            c("wire_40nm_random_pj_per_bit_mm").source,
        ),
        Rung(
            "1 bit, 10 mm of on-chip wire (40 nm, random data)",
            wire_energy_j(10.0),
            "move",
            c("wire_40nm_random_pj_per_bit_mm").source,
        ),
        Rung(
            "1 bit across a die-to-die link (5 nm)",
            c("sbd_link_5nm_pj_per_bit").joules,
            "move",
            c("sbd_link_5nm_pj_per_bit").source,
        ),
        Rung("1 bit from HBM2", c("hbm2_pj_per_bit").joules, "move", c("hbm2_pj_per_bit").source),
        Rung(
            "1 bit from DDR DRAM (45 nm era, low)",
            c("dram_read_64b_low_j").joules / 64,
            "move",
            c("dram_read_64b_low_j").source,
        ),
    ]
    return sorted(rungs, key=lambda r: r.energy_j)

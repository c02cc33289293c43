"""Dtype sizes, SI prefixes and the formatting used for numbers in the prose.

Conventions: GB, TB are decimal (1e9, 1e12 bytes); GiB is 2**30 bytes and always written GiB.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .errors import (
    InvalidTypeError,
    InvalidValueError,
    UnknownDTypeError,
    require_count,
    require_number,
)

# Bytes per element. fp4/int4 pack two values per byte; Fraction keeps counts exact.
DTYPE_BYTES: dict[str, Fraction] = {
    "fp32": Fraction(4),
    "tf32": Fraction(4),  # stored as 32-bit; tf32 is a tensor-core compute mode
    "bf16": Fraction(2),
    "fp16": Fraction(2),
    "fp8": Fraction(1),
    "int8": Fraction(1),
    "fp4": Fraction(1, 2),
    "int4": Fraction(1, 2),
}
DTYPES = tuple(DTYPE_BYTES)

MAX_DIGITS = 17  # a float holds 17 significant decimal digits; more would be invented
MAX_DECIMALS = 20

GB = 1e9
TB = 1e12
GIB = 2**30
TERA = 1e12
PETA = 1e15
PICO = 1e-12


def dtype_bytes(dtype: str) -> Fraction:
    """Bytes per element of ``dtype`` [B] (exact; 1/2 for 4-bit types)."""
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise UnknownDTypeError(dtype, list(DTYPES))
    return DTYPE_BYTES[dtype]


def exact_bytes(count: int, dtype: str) -> int:
    """Bytes [B] taken by ``count`` elements (a whole number >= 0) of ``dtype``, rounded up."""
    count = require_count("count", count, minimum=0)
    total = count * dtype_bytes(dtype)
    return int(-(-total.numerator // total.denominator))


_PREFIXES = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")]


def si(value: float, unit: str = "", digits: int = 3) -> str:
    """Format with an SI prefix and ``digits`` significant figures: si(3.35e12, 'B/s') -> '3.35 TB/s'.

    ``value`` [``unit``] -> text; ``digits`` [count]. ``value`` must be a finite number,
    ``unit`` a string and ``digits`` a whole number >= 1.
    """
    _check_format("value", value, digits)
    if not isinstance(unit, str):
        raise InvalidTypeError("unit", unit, "a string")
    if value == 0:
        return f"0 {unit}".strip()
    mag = abs(value)
    for scale, prefix in _PREFIXES:
        if mag >= scale:
            return f"{fmt_sig(value / scale, digits)} {prefix}{unit}".strip()
    return sci(value, digits) + (f" {unit}" if unit else "")


def fmt_sig(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, without scientific notation for ordinary sizes.

    [any unit] -> text in the same unit; ``digits`` [count].
    """
    _check_format("value", value, digits)
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if exponent >= digits:  # large: round to significant figures, print with separators
        return f"{round(value, digits - 1 - exponent):,.0f}"
    if exponent < -4:
        return sci(value, digits)
    return f"{value:.{digits}g}"


def sci(value: float, digits: int = 2) -> str:
    """Scientific notation for prose, ``value`` to ``digits`` significant figures:
    sci(2.87e-21) -> '2.9e-21'. [any unit] -> text in the same unit; ``digits`` [count]."""
    _check_format("value", value, digits)
    return f"{value:.{digits - 1}e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")


def thousands(value: float, decimals: int = 0) -> str:
    """``value`` with thousands separators: thousands(327680) -> '327,680' (``decimals`` >= 0).

    [any unit] -> text in the same unit; ``decimals`` [count] after the point.
    """
    require_number("value", value)
    require_count("decimals", decimals, minimum=0, maximum=MAX_DECIMALS)
    return f"{value:,.{decimals}f}"


def pct(fraction: float, digits: int = 2) -> str:
    """A fraction as a percentage with ``digits`` significant figures: pct(0.0123) -> '1.2%';
    whole percent where the figures would need an exponent: pct(0.995) -> '100%', not '1e+02%'.

    ``fraction`` [fraction] -> text [%]; ``digits`` [count].
    """
    _check_format("fraction", fraction, digits)
    if not math.isfinite(100 * fraction):
        raise InvalidValueError("fraction", fraction, "a number whose percentage is finite")
    text = fmt_sig(100 * fraction, digits)
    if "e" in text:  # whole percent, never an exponent: 125%, not 1.2e+02%
        return f"{100 * fraction:,.0f}%"
    return f"{text}%"


def _check_format(name: str, value: object, digits: object) -> None:
    """Formatters take a finite number and a whole number of significant figures >= 1."""
    require_number(name, value)
    require_count("digits", digits, minimum=1, maximum=MAX_DIGITS)

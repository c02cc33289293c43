"""The errors the package raises for bad input, and the validators that raise them.

Every message names the argument, the value it got and what is allowed. The errors subclass the
built-in ones (``ValueError``, ``TypeError``, ``LookupError``) so that ``except ValueError`` keeps
working; all of them are also :class:`AnalysisError`, so a caller can catch the package's
refusals in one clause and tell them from bugs.

The validators (``require_*``) are the one vocabulary for checking arguments:

========================  =====================================================================
``require_number``        a finite real number (int or float, not bool); huge ints refused
``require_positive``      a finite number > 0 (``allow_zero=True``: >= 0)
``require_nonnegative``   a finite number >= 0
``require_count``         a whole number (int, or an integral float) >= ``minimum``
``require_fraction``      a finite number in [0, 1] (``open_low``/``open_high`` exclude ends)
``require_name``          a string that is one of the known names (``UnknownNameError``)
``require_dtype``         a dtype name among the allowed ones (``UnknownDTypeError``)
``require_date``          a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string -> ``date``
``require_bool``          ``True`` or ``False`` (not 0, 1 or a string)
``require_instance``      an instance of a given record type (a PriceRow, a ModelSpec ...)
========================  =====================================================================
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import sys
from collections.abc import Iterable
from typing import TypeVar

_FLOAT_MAX = sys.float_info.max

_T = TypeVar("_T")


class AnalysisError(Exception):
    """Base of every error the package raises on purpose for bad input."""


class InvalidValueError(AnalysisError, ValueError):
    """An argument of the right type whose value is outside the allowed domain."""

    def __init__(self, name: str, value: object, allowed: str):
        self.argument, self.value, self.allowed = name, value, allowed
        super().__init__(f"{name} must be {allowed}, got {_show(value)}")


class InvalidTypeError(AnalysisError, TypeError, ValueError):
    """An argument of the wrong type (None, a list, a string where a number is wanted, a bool...).

    It is also a ``ValueError``: code written before the typed errors caught bad values with
    ``except ValueError``, and a wrong type is a bad value too.
    """

    def __init__(self, name: str, value: object, allowed: str):
        self.argument, self.value, self.allowed = name, value, allowed
        super().__init__(
            f"{name} must be {allowed}, got {_show(value)} of type {type(value).__name__}"
        )


class UnknownNameError(AnalysisError, LookupError):
    """A catalog lookup with a name that is not in the catalog."""

    def __init__(self, kind: str, name: object, known: Iterable[str], argument: str | None = None):
        self.name, self.known, self.argument = name, list(known), argument
        arg = f"{argument}: " if argument else ""
        super().__init__(f"{arg}unknown {kind} {name!r}; known {kind}s: {', '.join(self.known)}")


class UnknownDTypeError(AnalysisError, ValueError):
    """A dtype that is not one of the allowed names (or not supported by this chip)."""

    def __init__(
        self,
        dtype: object,
        allowed: Iterable[str],
        where: str | None = None,
        argument: str = "dtype",
    ):
        self.dtype, self.allowed, self.argument = dtype, list(allowed), argument
        context = f" for {where}" if where else ""
        super().__init__(
            f"{argument}: unknown dtype {dtype!r}{context}; allowed: {', '.join(self.allowed)}"
        )


class CatalogError(AnalysisError, ValueError):
    """A data file (a YAML catalog, references.bib, a stored result) that breaks its schema.

    The message names the file, the entry and the rule it breaks; the fix is in the data, not
    in the call.
    """


class DefinitionError(AnalysisError, ValueError):
    """The package's own definitions disagree (an id registered twice, a law and its form)."""


class MeasurementError(AnalysisError, ValueError):
    """A measurement that cannot answer the question asked of it (a failed sweep, no point on
    one side of the knee)."""


class ReadOnlyError(AnalysisError, TypeError):
    """An attempt to change a shared catalog record in place (copy it to change a copy)."""


class ConfigError(AnalysisError, ValueError):
    """A model configuration that cannot describe a supported transformer."""


class MissingConfigKeyError(ConfigError):
    def __init__(self, key: str, model_type: str):
        self.key = key
        super().__init__(f"config for model_type {model_type!r} is missing the key {key!r}")


class UnsupportedModelTypeError(ConfigError):
    def __init__(self, model_type: object, supported: list[str]):
        self.model_type, self.supported = model_type, list(supported)
        super().__init__(
            f"unsupported model_type {model_type!r}; supported: {', '.join(self.supported)}"
        )


def _show(value: object) -> str:
    """A short repr: a 400-digit integer is shown by its size, not its digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def require_number(name: str, value: object) -> float | int:
    """Return ``value`` if it is a finite real number that a float can hold; raise otherwise.

    [any unit] -> the same value. ``name`` is the argument's name, which the error message
    quotes. ``bool``, ``None``, strings, bytes, lists and complex numbers raise
    :class:`InvalidTypeError`; NaN, +-inf and integers beyond the float range (e.g.
    ``10**400``) raise :class:`InvalidValueError`.
    """
    dtype = getattr(value, "dtype", None)
    if getattr(value, "shape", None) == () and getattr(dtype, "kind", "") in ("i", "u", "f"):
        return require_number(name, value.item())  # type: ignore[attr-defined]  # 0-d array
    if not _is_real(value) or type(value).__name__ == "bool_":
        raise InvalidTypeError(name, value, "a real number (int or float)")
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise InvalidValueError(
            name, value, f"a finite number of magnitude <= {_FLOAT_MAX:.3g}"
        ) from None
    if math.isnan(as_float):
        raise InvalidValueError(name, value, "a finite number (not NaN)")
    if math.isinf(as_float):
        raise InvalidValueError(name, value, "a finite number (not infinite)")
    return value  # type: ignore[return-value]


def require_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` if it is a finite number > 0 (or >= 0 with ``allow_zero``); raise naming ``name``.

    [any unit] -> the same value; ``name`` is the argument's name, which the error quotes.
    """
    require_number(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidValueError(name, value, ">= 0" if allow_zero else "> 0")
    return value


def require_nonnegative(name: str, value: float) -> float:
    """Return ``value`` if it is a finite number >= 0 [any unit] -> the same value.

    ``name`` is the argument's name, which the error message quotes.
    """
    return require_positive(name, value, allow_zero=True)


def require_count(name: str, value: object, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` [count] if it is a whole number >= ``minimum`` (and <=
    ``maximum`` when that is given; None: no upper bound). ``name`` is the argument's name,
    which the error message quotes.

    Ints (and NumPy integers) pass; a float passes only when integral (``8192.0``); 0.5, bools,
    strings, None and integers beyond the float range (every law turns counts into floats) are
    refused.
    """
    allowed = f"an integer >= {minimum}"
    if maximum is not None:
        allowed = f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if type(value).__name__ == "bool_":
            raise InvalidTypeError(name, value, allowed)
        require_number(name, value)  # 10**400 is exact here but overflows every float after
        number = int(value)
    elif _is_real(value) and type(value).__name__ != "bool_":
        require_number(name, value)
        if not float(value).is_integer():  # type: ignore[arg-type]
            raise InvalidValueError(name, value, allowed)
        number = int(value)  # type: ignore[call-overload]
    else:
        raise InvalidTypeError(name, value, allowed)
    if number < minimum or (maximum is not None and number > maximum):
        raise InvalidValueError(name, value, allowed)
    return number


def require_fraction(
    name: str, value: float, *, open_low: bool = False, open_high: bool = False
) -> float:
    """Return ``value`` if it is a finite number in [0, 1]; ``open_low``/``open_high`` exclude 0/1.

    [fraction] -> the same value. ``name`` is the argument's name, which the error message quotes.
    """
    require_number(name, value)
    low, high = ("(0" if open_low else "[0"), ("1)" if open_high else "1]")
    too_low = value <= 0 if open_low else value < 0
    too_high = value >= 1 if open_high else value > 1
    if too_low or too_high:
        raise InvalidValueError(name, value, f"a fraction in {low}, {high}")
    return value


def require_name(name: str, value: object, known: Iterable[str], *, kind: str | None = None) -> str:
    """Return ``value`` if it is one of ``known``; a non-string is a type error, else UnknownNameError.

    ``name`` is the argument's name; ``kind`` names what the names are (e.g. "model") in the
    message (default: the argument's name).
    """
    known = list(known)
    if not isinstance(value, str):
        what = f"{kind} names" if kind else "names"
        raise InvalidTypeError(name, value, f"one of the {what} {', '.join(known)}")
    if value not in known:
        raise UnknownNameError(kind or name, value, known, argument=name)
    return value


def require_dtype(
    name: str, value: object, allowed: Iterable[str], *, where: str | None = None
) -> str:
    """Return ``value`` if it is one of the ``allowed`` dtype names; raise UnknownDTypeError.

    ``name`` is the argument's name; ``where`` says, in the message, what the dtypes are
    allowed for (e.g. a chip's name), or None.
    """
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise UnknownDTypeError(value, allowed, where, argument=name)
    return value


def require_date(name: str, value: object) -> _dt.date:
    """Return a ``datetime.date`` from ``value``: a date, a datetime or an ISO ``YYYY-MM-DD``
    string. ``name`` is the argument's name, which the error message quotes.
    """
    allowed = "a date or an ISO date string YYYY-MM-DD"
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if not isinstance(value, str):
        raise InvalidTypeError(name, value, allowed)
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValueError(name, value, allowed) from None


def require_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (a NumPy bool too); nothing else is a flag.

    ``name`` is the argument's name, which the error message quotes.
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise InvalidTypeError(name, value, "True or False")


def require_finite_result(result: float, names: str, values: object) -> float:
    """Return ``result`` if finite [any unit] -> the same value; else the inputs ``names`` =
    ``values`` were too large to represent the answer in a float, and
    :class:`InvalidValueError` says so."""
    if isinstance(result, numbers.Real):
        try:
            finite = math.isfinite(float(result))
        except OverflowError:  # an int beyond the float range
            finite = False
        if not finite:
            raise InvalidValueError(names, values, "small enough that the result is a finite float")
    return result


def require_text(name: str, value: object) -> str:
    """Return ``value`` if it is a ``str`` (empty allowed); anything else is a type error.

    ``name`` is the argument's name, which the error message quotes.
    """
    if not isinstance(value, str):
        raise InvalidTypeError(name, value, "a string")
    return value


def require_instance(name: str, value: object, cls: type[_T], what: str) -> _T:
    """Return ``value`` if it is an instance of ``cls``; else a type error naming ``what`` it must be.

    ``name`` is the argument's name, which the error message quotes.
    """
    if not isinstance(value, cls):
        raise InvalidTypeError(name, value, what)
    return value

from fractions import Fraction

import pytest

from analysis import units
from analysis.errors import UnknownDTypeError, require_positive


def test_dtype_bytes():
    assert units.dtype_bytes("bf16") == 2
    assert units.dtype_bytes("fp4") == Fraction(1, 2)
    with pytest.raises(UnknownDTypeError, match="allowed"):
        units.dtype_bytes("float16")


def test_exact_bytes_rounds_half_bytes_up():
    assert units.exact_bytes(3, "fp4") == 2
    assert units.exact_bytes(3, "fp32") == 12


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.35e12, "B/s", "3.35 TB/s"),
        (989.4e12, "FLOP/s", "989 TFLOP/s"),
        (42.95e9, "B", "43 GB"),
        (0, "W", "0 W"),
    ],
)
def test_si(value, unit, text):
    assert units.si(value, unit) == text


def test_fmt_sig_and_friends():
    assert units.fmt_sig(1_234_567, 3) == "1,230,000"
    assert units.fmt_sig(0.0123, 2) == "0.012"
    assert units.sci(2.87e-21) == "2.9e-21"
    assert units.thousands(327680) == "327,680"
    assert units.pct(0.0123) == "1.2%"


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "3", True, None])
def test_require_positive_rejects(bad):
    with pytest.raises(ValueError, match="x must"):
        require_positive("x", bad)


def test_require_positive_allows_zero_when_asked():
    assert require_positive("x", 0, allow_zero=True) == 0


def test_pct_never_prints_an_exponent():
    # the significant figures asked for, but whole percent where they would need an exponent
    assert units.pct(1.253) == "130%" and units.pct(1.253, 3) == "125%"
    assert units.pct(0.995) == "100%"  # not '1e+02%'
    assert units.pct(12.5) == "1,200%"
    assert units.pct(0.5) == "50%"

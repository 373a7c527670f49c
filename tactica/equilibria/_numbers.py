"""Exact numbers from text, with bounded size: integers, decimals with exponents, and ``a/b`` fractions.

``Fraction("1e999999999")`` computes ``10**999999999`` (it never returns) and ``float(Fraction("1e400"))`` raises
``OverflowError``; every number a game file or a profile gives us goes through :func:`parse_rational` instead,
which refuses an exponent or a digit string too long to matter before any arithmetic, and a value outside the
float64 range (payoffs are also kept as float64).
"""

from __future__ import annotations

import re
import sys
from fractions import Fraction

__all__ = ["parse_rational", "check_float_range", "MAX_DIGITS", "MAX_EXPONENT"]

#: The largest number of digits accepted in one number (Python refuses to convert longer integers anyway).
MAX_DIGITS = 1000
#: The largest decimal exponent accepted: float64 spans about 1e-324..1.8e308, so nothing beyond this changes
#: a payoff's float value, while the exact value would need a 10**exponent integer.
MAX_EXPONENT = 400

_DECIMAL = re.compile(r"([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?")
_RATIO = re.compile(r"([-+]?\d+)/([-+]?\d+)")
_FLOAT_MAX = Fraction(sys.float_info.max)


def parse_rational(text: str) -> Fraction:
    """The exact value of ``text``: ``3``, ``-1.5``, ``.5``, ``2.``, ``1e-3``, ``2.5E+4`` or ``2/3``.

    Raises:
        ValueError: not such a number, a zero denominator, more than :data:`MAX_DIGITS` digits, an exponent
            beyond +-:data:`MAX_EXPONENT`, or a magnitude above float64's largest value (about 1.8e308).
    """
    text = text.strip()
    digits = sum(c.isdigit() for c in text)
    if digits > MAX_DIGITS:
        raise ValueError(f"number {text[:20]}... has {digits} digits; at most {MAX_DIGITS} are accepted")
    ratio = _RATIO.fullmatch(text)
    if ratio:
        numerator, denominator = int(ratio.group(1)), int(ratio.group(2))
        if denominator == 0:
            raise ValueError(f"number {text!r} divides by zero")
        return check_float_range(Fraction(numerator, denominator), text)
    match = _DECIMAL.fullmatch(text)
    if not match or not (match.group(2) or match.group(3)):
        raise ValueError(f"{text!r} is not a rational number (expected e.g. 3, -1.5, 2.5e-3 or 2/3)")
    sign, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    scale = int(exponent) if exponent else 0  # at most MAX_DIGITS digits: int() is cheap
    if abs(scale) > MAX_EXPONENT:  # refuse before computing 10**scale
        if (whole + fraction).strip("0"):
            raise ValueError(
                f"number {text!r} is out of range: exponents beyond +-{MAX_EXPONENT} are not accepted "
                "(payoffs must fit a float64, at most about 1.8e308)"
            )
        return Fraction(0)
    mantissa = int((whole + fraction) or "0")
    power = scale - len(fraction)
    value = Fraction(mantissa * 10**power) if power >= 0 else Fraction(mantissa, 10**-power)
    return check_float_range(-value if sign == "-" else value, text)


def check_float_range(value: Fraction, text: object = None) -> Fraction:
    """``value`` if its magnitude fits a float64, else a ``ValueError`` naming ``text``."""
    if abs(value) > _FLOAT_MAX:
        shown = (
            text if text is not None else f"with {len(str(abs(value.numerator) // value.denominator))} digits"
        )
        raise ValueError(
            f"number {shown!s} is out of range: payoffs must fit a float64 (magnitude at most about 1.8e308)"
        )
    return value

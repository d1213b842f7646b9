"""Exact arithmetic, and the one place figures are rounded: for factors, accounting and reports alike.

Quantities arrive as exact decimal strings and factors as Decimals, but 44/12 and every ratio are
not finite decimals, so sums and comparisons use :class:`fractions.Fraction` and are exact.
Figures are rounded only when written into a report: half-even, to :data:`PLACES` places.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact
from fractions import Fraction

PLACES = 6
"""Places of a figure shown in a report."""
ZERO = Fraction(0)


def round_half_even(value: Fraction, places: int) -> Decimal:
    """``value`` rounded once, half-even, to ``places`` decimal places, as a Decimal with exactly
    that exponent. Integer arithmetic: no intermediate rounding, no context precision limit."""
    if places < 0:
        raise ValueError("places must be >= 0")
    scaled = value * 10**places
    negative = scaled < 0
    quotient, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient % 2 == 1):
        quotient += 1
    return Decimal((1 if negative and quotient else 0, tuple(int(d) for d in str(quotient)), -places))


def exact(value: Decimal | str | int | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(Decimal(value) if isinstance(value, str) else value)


def shown(value: Fraction, places: int = PLACES) -> str:
    """``value`` as a decimal string rounded once, half-even, to ``places`` places; trailing zeros
    are dropped when the rounded figure is exact.

    The same figure as formatting :func:`round_half_even`'s Decimal, in integers and one string: it
    runs for every figure of every line of a report (millions for a year of quarter-hour readings)."""
    if places < 0:
        raise ValueError("places must be >= 0")
    numerator, denominator = value.numerator, value.denominator
    quotient, remainder = divmod(abs(numerator) * 10**places, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    sign = "-" if numerator < 0 and quotient else ""
    if remainder == 0 and quotient == 0:
        return "0"
    digits = str(quotient)
    if places == 0:
        return sign + digits
    digits = digits.rjust(places + 1, "0")
    whole, fraction = digits[:-places], digits[-places:]
    if remainder == 0:  # exact: the figure as it is, without trailing zeros
        fraction = fraction.rstrip("0")
    return sign + whole + ("." + fraction if fraction else "")


EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact])
"""Decimal addition that never rounds (and would raise if it had to)."""


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum of decimal quantities: a year's readings are summed per kind and unit this way,
    in C, then converted and multiplied once, which gives the same Fraction as adding each one's."""
    total = Decimal(0)
    for value in values:
        total = EXACT.add(total, value)
    return total


def ratio(numerator: Fraction, denominator: Fraction) -> Fraction | None:
    return None if denominator == 0 else numerator / denominator


def percent(value: Fraction | None) -> str:
    return "n/a" if value is None else shown(value * 100, 2) + " %"

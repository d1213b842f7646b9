"""Exact arithmetic for accounting, and the one place figures are rounded for display.

Quantities arrive as exact decimal strings and factors as Decimals, but 44/12 and every ratio are
not finite decimals, so sums and comparisons use :class:`fractions.Fraction` and are exact.
Figures are rounded only when written into a report: half-even, to :data:`PLACES` places.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ledger.factors import round_half_even

PLACES = 6
ZERO = Fraction(0)


def exact(value: Decimal | str | int | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(Decimal(value) if isinstance(value, str) else value)


def shown(value: Fraction, places: int = PLACES) -> str:
    """``value`` as a decimal string rounded once, half-even, to ``places`` places; trailing zeros
    are dropped when the rounded figure is exact."""
    rounded = round_half_even(value, places)
    if Fraction(rounded) == value:
        return format(rounded.normalize(), "f") if rounded != 0 else "0"
    return format(rounded, "f")


def ratio(numerator: Fraction, denominator: Fraction) -> Fraction | None:
    return None if denominator == 0 else numerator / denominator


def percent(value: Fraction | None) -> str:
    return "n/a" if value is None else shown(value * 100, 2) + " %"

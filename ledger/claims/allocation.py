"""Months and exact quantities: how much of a claim falls in a period, and how a figure is printed.

Arithmetic is exact throughout. Record values are :class:`~decimal.Decimal` strings and claims
count whole serials; converting GJ to MWh (÷ 3.6) or spreading 100 certificates over 12 months has
no finite decimal form, so sums and comparisons use :class:`~fractions.Fraction` (built from the
Decimals, never from floats). Messages print a figure exactly when it has a finite decimal form
and otherwise as ``≈`` rounded to 0.000001 MWh; the comparison itself is never rounded.

Periods are ``YYYY-MM`` months, inclusive at both ends; ``YYYY-MM`` strings order like the months
they name, and :func:`_month_index` turns them into consecutive integers for month arithmetic.
:func:`allocated_units` is public (the inventory spreads certificates over months with it); the
rest serves :mod:`ledger.claims.checks`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ledger.claims.claim import RetirementClaim

_DISPLAY_DIGITS = 6  # 0.000001 MWh = 1 Wh, for figures with no finite decimal form


def allocated_units(claim: RetirementClaim, period_start: str, period_end: str) -> Fraction:
    """The part of ``claim``'s units that falls in ``period_start``..``period_end``, exactly.

    A claim says which months it covers, not how much of each, so its serial count is spread
    evenly over its consumption months: each month gets ``units / months`` and the period gets
    ``units × overlapping months / months``. A year-long claim of 1,200 MWh puts 100 MWh in each
    month; 100 MWh over Jul–Jun puts 50 MWh in Jan–Dec of the second year. The result is a
    Fraction because 100 / 12 has no finite decimal form; rounding it would let a claim pass or
    fail on the rounding.
    """
    overlap = _overlap((claim.consumption_start, claim.consumption_end), (period_start, period_end))
    if overlap is None:
        return Fraction(0)
    months = _month_count(claim.consumption_start, claim.consumption_end)
    return Fraction(claim.units * _month_count(*overlap), months)


def _overlap(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str] | None:
    """The months two inclusive ``YYYY-MM`` ranges share, or None."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start <= end else None


def _month_index(period: str) -> int:
    """Months since year 0: 2025-01 and 2024-12 are one apart."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_count(start: str, end: str) -> int:
    return _month_index(end) - _month_index(start) + 1


def _months(span: tuple[str, str]) -> str:
    return span[0] if span[0] == span[1] else f"{span[0]}..{span[1]}"


def _mwh(value: Fraction) -> str:
    """``value`` with thousands separators: exact if it has a finite decimal form, else ``≈``.

    Built from integers and decimal strings only, so no Decimal context precision applies.
    """
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        digits = 0
        while (value * 10**digits).denominator != 1:
            digits += 1
        return f"{Decimal(f'{(value * 10**digits).numerator}E-{digits}'):,f}"
    rounded = round(value * 10**_DISPLAY_DIGITS)  # Fraction rounds half to even, exactly
    return f"≈{Decimal(f'{rounded}E-{_DISPLAY_DIGITS}'):,f}"

"""Which unconfirmed factors a level rests on: a level is not confirmed over a material placeholder.

A factor set marks defaults and placeholders ``confirmed = false``. Each factor's weight is the
tCO2e of the lines that use it among the remaining emissions the level is judged on (Scope 1, Scope 2
market-based, and Scope 3 for Type II; the residual-mix factor weighs the market-based grid
electricity it prices). A factor is *material* when its weight is at least the rule file's
``[materiality] share`` of the remaining emissions; a material unconfirmed factor makes
``level_confirmed`` false and is listed by key, value, source and weight.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from ledger.accounting.inventory import Inventory
from ledger.factors import FactorSet
from ledger.numbers import ZERO, percent, ratio, shown

RESIDUAL_MIX = "grid.residual_mix"


def factor_weights(inv: Inventory, report_type: str) -> dict[str, Fraction]:
    """tCO2e of the remaining emissions each factor key enters (a line counts for each of its factors).

    Lines are summed per factor tuple as integer numerators per denominator (the lines of one kind
    share a handful of denominators), then as Fractions: a year of 10^6 lines in well under a second."""
    scopes = ("scope1", "scope2", "scope3") if report_type == "II" else ("scope1", "scope2")
    sums: dict[tuple[tuple[str, str], ...], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in inv.lines:
        if line.scope not in scopes or (line.scope == "scope2" and line.category == "grid_electricity"):
            continue  # location-based grid lines are not in the market-based remaining emissions
        result = line.result
        sums[line.factors][result.denominator] += result.numerator
    weights: dict[str, Fraction] = defaultdict(lambda: ZERO)
    for used, per_denominator in sums.items():
        total = sum((Fraction(n, d) for d, n in per_denominator.items()), ZERO)
        for key, _ in used:
            weights[key] += total
    if inv.scope2_market_electricity:
        weights[RESIDUAL_MIX] += inv.scope2_market_electricity
    return dict(weights)


def unconfirmed_factors(
    inv: Inventory, report_type: str, factors: FactorSet, remaining: Fraction, share: Fraction
) -> list[dict[str, Any]]:
    """Each unconfirmed factor the remaining emissions use, with its weight and whether it is material."""
    out = []
    for key, weight in sorted(factor_weights(inv, report_type).items()):
        factor = factors.factors.get(key)
        if factor is None or factor.confirmed:
            continue
        part = ratio(weight, remaining) if remaining else None
        material = weight > 0 and (part is None or part >= share)
        out.append({
            "key": key, "value": f"{factor.value} {factor.unit}", "source": factor.source,
            "tco2e": shown(weight), "share": "undefined" if part is None else percent(part), "material": material,
        })  # fmt: skip
    return out

"""Certificates matched to the year's grid electricity, by the evaluation's method and the other two.

The inventory's market-based Scope 2 and renewable share follow the method the evaluation names
(:mod:`ledger.claims.matching` does the matching; its ``matching.toml`` says what each method means
and why ``claim_period`` is the default); the other methods' results are computed beside it, so a
report shows what netting across claims or months would have changed. Covered electricity counts at
zero, the rest at the residual mix, month by month: each method's months add up to its year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger.claims.findings import ClaimedRetirement
from ledger.claims.matching import METHODS, EligibleUnits, Match, match, matching_rules, supplies
from ledger.numbers import ZERO, percent, ratio, shown


@dataclass(frozen=True)
class Matching:
    """The method used (``chosen``) and every method's result (``compared``, chosen included)."""

    method: str
    compared: Mapping[str, Match]

    @property
    def chosen(self) -> Match:
        return self.compared[self.method]


def match_certificates(
    method: str,
    grid: Mapping[str, Fraction],
    certificates: Sequence[ClaimedRetirement],
    eligible: EligibleUnits | None = None,
) -> Matching:
    """``certificates`` (valid claims of MWh registries) matched to ``grid`` (MWh per month of the
    year) by each method; ``eligible`` gives a claim's eligible units per month where known."""
    if method not in METHODS:
        raise ValueError(f"matching: must be one of {', '.join(METHODS)}, got {method!r}")
    supply = supplies(certificates, sorted(grid), eligible)
    return Matching(method, {m: match(m, grid, supply) for m in METHODS})


def matching_json(
    matching: Matching, *, onsite_mwh: Fraction, residual: Fraction, other_scope2: Fraction
) -> dict[str, Any]:
    """The report's ``matching``: the method, what it means and why it is the default, and each
    method's covered MWh, renewable share and market-based Scope 2 (tCO2e, heat and steam included)
    side by side."""
    rules = matching_rules()
    meta, described = rules["meta"], rules["methods"][matching.method]
    compared = []
    for name in METHODS:
        result = matching.compared[name]
        grid, covered = sum(result.grid.values(), ZERO), result.total
        compared.append({
            "method": name,
            "chosen": name == matching.method,
            "covered_mwh": shown(covered),
            "not_counted_mwh": shown(sum((e.excess for e in result.excess), ZERO)),
            "renewable_share": percent(ratio(onsite_mwh + covered, grid + onsite_mwh)),
            "scope2_market": shown((grid - covered) * residual + other_scope2),
        })  # fmt: skip
    return {
        "method": matching.method,
        "rules": f"{meta['id']}@{meta['version']}",
        "description": described["description"],
        "source": described["source"],
        "default": meta["default"],
        "why_default": meta["why_default"],
        "default_source": meta["source"],
        "compared": compared,
        "monthly_covered_mwh": {m: shown(v) for m, v in matching.chosen.covered.items()},
    }

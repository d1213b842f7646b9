"""Certificates matched to the year's grid electricity, by the evaluation's method and the other two;
green-power contracts as the certificates bundled with them.

The inventory's market-based Scope 2 and renewable share follow the method the evaluation names
(:mod:`ledger.claims.matching` does the matching; its ``matching.toml`` says what each method means
and why ``claim_period`` is the default); the other methods' results are computed beside it, so a
report shows what netting across claims or months would have changed. Covered electricity counts at
zero, the rest at the residual mix, month by month: each method's months add up to its year.

**Green-power contracts are certificates too** (绿电交易 delivers the energy with its GEC bundled,
发改能源〔2023〕1044号: the GEC is the sole proof of the attribute). A ``green_power_contract``
record's electricity counts only as far as a GEC claim bundled with that source (its signed
``bundled_with`` = the record's ``source_id``) covers it: that claim's units are the contract's
certificates, matched like any other and counted once — never again as the contract's electricity,
and the contract refuses a second claim of the same range. Green power with no bundled range is
reported as *uncertified green power* and counts for nothing.
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
    """The method used (``chosen``), every method's result (``compared``, chosen included) and the
    certificate MWh there were to match (``certificates``: what each method counts or leaves over)."""

    method: str
    compared: Mapping[str, Match]
    certificates: Fraction = ZERO

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
    return Matching(method, {m: match(m, grid, supply) for m in METHODS}, sum((s.total for s in supply), ZERO))


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
    }


def bundled_with(claim: ClaimedRetirement) -> str:
    """The ``source_id`` of the green-power contract the claim's range was delivered bundled with ("" if none)."""
    return claim.claim.details.bundled_with


def green_power(
    delivered: Mapping[str, Fraction], certificates: Sequence[ClaimedRetirement], counted: Mapping[int, Fraction]
) -> tuple[list[dict[str, Any]], Fraction]:
    """Per green-power source (``delivered``: source_id → MWh in the year), the GEC claims bundled with
    it and how much of its electricity they certify: certified = min(delivered, the bundled claims'
    counted MWh); the rest is uncertified green power, not counted. A claim whose ``bundled_with`` names
    no green-power record in its months never gets here: check 7 (:mod:`ledger.claims.bundles`) refuses
    it, so ``certificates`` (the valid ones) hold only bundles the data holds; a source with bundled
    claims and no delivery this year would still be listed (delivered 0).
    """
    bundles: dict[str, list[ClaimedRetirement]] = {}
    for c in certificates:
        if source := bundled_with(c):
            bundles.setdefault(source, []).append(c)
    found = []
    uncertified = ZERO
    for source in sorted(set(delivered) | set(bundles)):
        mwh = delivered.get(source, ZERO)
        claims = sorted(bundles.get(source, []), key=lambda c: c.claim_id)
        gec = sum((counted.get(c.claim_id, ZERO) for c in claims), ZERO)
        certified = min(mwh, gec)
        uncertified += mwh - certified
        found.append({
            "source_id": source,
            "delivered_mwh": shown(mwh),
            "bundled_claims": [c.claim_id for c in claims],
            "bundled_counted_mwh": shown(gec),
            "certified_mwh": shown(certified),
            "uncertified_mwh": shown(mwh - certified),
            "explanation": f"{shown(mwh)} MWh delivered; GEC bundled with it "
            + (f"(claims {', '.join(str(c.claim_id) for c in claims)}) counted {shown(gec)} MWh"
               if claims else "none: uncertified green power, not counted")
            + f"; certified min({shown(mwh)}, {shown(gec)}) = {shown(certified)} MWh, counted once as those GECs",
        })  # fmt: skip
    return found, uncertified

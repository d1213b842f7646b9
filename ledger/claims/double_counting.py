"""Double counting of certificates and credits, re-checked from what is on chain.

The contract refuses a claim whose serials overlap an earlier claim of the same block; everything
else that makes a renewable claim count twice is only visible next to other claims and to the
factory's anchored measurements. :func:`find_double_counting` looks for seven such patterns and
returns one :class:`Finding` per occurrence, naming the claims, the records and the figures, so an
evaluator can see why without re-deriving anything.

The checks themselves are in :mod:`ledger.claims.checks` (one function each; the seventh, a claim
bundled with green power the data does not hold, in :mod:`ledger.claims.bundles`), the exact month
allocation and figure printing in :mod:`ledger.claims.allocation`, and the types and check names
in :mod:`ledger.claims.findings`; this module decides which claims and records each check sees and
runs them in the order of :data:`CHECKS`. Every public name of those modules that callers used
from here is re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ledger.claims.allocation import allocated_units
from ledger.claims.bundles import bundles_unmatched
from ledger.claims.checks import (
    CCER,
    GEC,
    GREEN_POWER_CONTRACT,
    GRID_ELECTRICITY,
    MWH,
    ONSITE_SELF_CONSUMED,
    _gec_and_ccer,
    _generation_after_consumption,
    _onsite_certificates_sold,
    _outside_validity,
    _renewable_exceeds_consumption,
    _units_claimed_twice,
)
from ledger.claims.findings import (
    BUNDLE_UNMATCHED,
    CHECKS,
    GEC_AND_CCER,
    GENERATION_AFTER_CONSUMPTION,
    ONSITE_CERTIFICATES_SOLD,
    OUTSIDE_VALIDITY,
    REFUSING,
    RENEWABLE_EXCEEDS_CONSUMPTION,
    UNITS_CLAIMED_TWICE,
    AnchoredRecord,
    ClaimedRetirement,
    Finding,
    refused_claims,
)
from ledger.claims.matching import DEFAULT_METHOD, METHODS, EligibleUnits
from ledger.records.period import check_factory_id, check_period

__all__ = [
    "BUNDLE_UNMATCHED",
    "CCER",
    "CHECKS",
    "GEC",
    "GEC_AND_CCER",
    "GENERATION_AFTER_CONSUMPTION",
    "GREEN_POWER_CONTRACT",
    "GRID_ELECTRICITY",
    "MWH",
    "ONSITE_CERTIFICATES_SOLD",
    "ONSITE_SELF_CONSUMED",
    "OUTSIDE_VALIDITY",
    "REFUSING",
    "RENEWABLE_EXCEEDS_CONSUMPTION",
    "UNITS_CLAIMED_TWICE",
    "AnchoredRecord",
    "ClaimedRetirement",
    "Finding",
    "allocated_units",
    "find_double_counting",
    "refused_claims",
]

_NO_PROJECTS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class _Scope:
    """What one run looks at: all claims on chain, the factory's own, its records in the period."""

    factory_id: str
    period_start: str
    period_end: str
    claims: Sequence[ClaimedRetirement]
    own: Sequence[ClaimedRetirement]
    in_period: Sequence[AnchoredRecord]
    onsite_projects: Mapping[str, str]
    matching: str = DEFAULT_METHOD
    eligible: EligibleUnits | None = None


_RUN: Mapping[str, Callable[[_Scope], list[Finding]]] = MappingProxyType(
    {
        UNITS_CLAIMED_TWICE: lambda s: _units_claimed_twice(s.claims, s.factory_id),
        GEC_AND_CCER: lambda s: _gec_and_ccer(s.claims, s.factory_id),
        RENEWABLE_EXCEEDS_CONSUMPTION: lambda s: _renewable_exceeds_consumption(
            s.own, s.in_period, s.period_start, s.period_end, s.matching, s.eligible
        ),
        OUTSIDE_VALIDITY: lambda s: _outside_validity(s.own),
        GENERATION_AFTER_CONSUMPTION: lambda s: _generation_after_consumption(s.own),
        ONSITE_CERTIFICATES_SOLD: lambda s: _onsite_certificates_sold(s.claims, s.in_period, s.onsite_projects),
        BUNDLE_UNMATCHED: lambda s: bundles_unmatched(s.own, s.in_period, s.period_start, s.period_end),
    }
)
"""Each check with the inputs it is given; claims of other factories reach only checks 1, 2 and 6."""


def find_double_counting(
    *,
    factory_id: str,
    period_start: str,
    period_end: str,
    claims: Sequence[ClaimedRetirement],
    records: Sequence[AnchoredRecord],
    onsite_projects: Mapping[str, str] = _NO_PROJECTS,
    matching: str = DEFAULT_METHOD,
    eligible_units: EligibleUnits | None = None,
) -> list[Finding]:
    """Every double counting that involves ``factory_id`` in ``period_start``..``period_end``.

    ``claims`` are all claims on chain, of every factory: overlaps (check 1), GEC–CCER pairs
    (check 2) and sold on-site certificates (check 6) are only visible against other factories'
    claims. Checks 3–5 and 7 look only at the factory's own claims. ``records`` are the factory's
    anchored records; those whose month lies outside the evaluation period are ignored, so a caller
    may pass a wider set. ``onsite_projects`` maps the ``source_id`` of an on-site installation to
    the project id its certificates are issued under. ``matching`` is how certificates meet
    consumption in check 3 (:mod:`ledger.claims.matching`: an over-claim per claim period, per month
    or for the year); ``eligible_units`` gives a claim's eligible units per consumption month where
    eligibility decided them (else its units are spread evenly over its months).

    Findings come in the order of :data:`CHECKS`, then by claim ids. Raises :class:`ValueError`
    (a :class:`~ledger.records.RecordError` for the period arguments) on a malformed period, two
    claims with one id, two records with one id, or a record of another factory: each would make
    the result wrong without saying so.
    """
    check_factory_id(factory_id)
    check_period(period_start, "period_start")
    check_period(period_end, "period_end")
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    if matching not in METHODS:
        raise ValueError(f"matching: must be one of {', '.join(METHODS)}, got {matching!r}")
    _require_unique((c.claim_id for c in claims), "claim_id")
    _require_unique((r.record_id for r in records), "record_id")
    for r in records:
        if r.record.factory_id != factory_id:
            raise ValueError(f"record {r.record_id} belongs to factory {r.record.factory_id!r}, not {factory_id!r}")

    scope = _Scope(
        factory_id=factory_id,
        period_start=period_start,
        period_end=period_end,
        claims=claims,
        own=[c for c in claims if c.claim.factory_id == factory_id],
        in_period=[r for r in records if period_start <= r.record.period <= period_end],
        onsite_projects=onsite_projects,
        matching=matching,
        eligible=eligible_units,
    )
    return [finding for check in CHECKS for finding in _RUN[check](scope)]


def _require_unique(ids: Iterable[object], name: str) -> None:
    seen: set[object] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{name} {i!r} appears twice; each must name one claim or record")
        seen.add(i)

"""What :func:`~ledger.claims.double_counting.find_double_counting` reads and reports.

The inputs (a claim as recorded on chain, an anchored record), the :class:`Finding` it returns and
the names of its six checks, in one module that the checks and their callers (the inventory, the
evaluation report) share without depending on how any check works. Re-exported by
:mod:`ledger.claims.double_counting`, where callers import them from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ledger.claims.claim import RetirementClaim
from ledger.records.record import MeasurementRecord

UNITS_CLAIMED_TWICE = "units_claimed_twice"
"""Two claims on the same (registry, block) whose serial ranges share at least one serial."""
GEC_AND_CCER = "gec_and_ccer"
"""A GEC claim and a CCER claim for the same project's overlapping generation months."""
RENEWABLE_EXCEEDS_CONSUMPTION = "renewable_exceeds_consumption"
"""More renewable MWh claimed in the evaluation period than electricity metered in it."""
OUTSIDE_VALIDITY = "outside_validity"
"""A certificate claimed for consumption that starts after its registry's validity window."""
GENERATION_AFTER_CONSUMPTION = "generation_after_consumption"
"""A certificate generated only after the consumption it is claimed against had ended."""
ONSITE_CERTIFICATES_SOLD = "onsite_certificates_sold"
"""On-site generation counted as self-consumed while certificates for the same months were claimed."""

CHECKS: tuple[str, ...] = (
    UNITS_CLAIMED_TWICE,
    GEC_AND_CCER,
    RENEWABLE_EXCEEDS_CONSUMPTION,
    OUTSIDE_VALIDITY,
    GENERATION_AFTER_CONSUMPTION,
    ONSITE_CERTIFICATES_SOLD,
)
"""Every check, in the order :func:`~ledger.claims.double_counting.find_double_counting` reports them."""


@dataclass(frozen=True)
class ClaimedRetirement:
    """A claim as recorded on chain (from the contract's ``RetirementClaimed`` events)."""

    claim_id: int
    claim: RetirementClaim
    signer: str
    tx_hash: str | None = None
    status: str = "confirmed"  # or "provisional": recorded, not yet confirmed by an attestor


class AnchoredRecord(NamedTuple):
    """A measurement record already proven against its anchored Merkle root; ``record_id`` names it.
    (A named tuple: a year holds a million of them, and a frozen dataclass costs ~1 µs each to build.)"""

    record_id: str
    record: MeasurementRecord


@dataclass(frozen=True)
class Finding:
    """One occurrence of double counting: which check, why (with the figures), and who is involved.

    ``claim_ids`` are in ascending order; ``record_ids`` in the order the records were given.
    """

    check: str
    message: str
    claim_ids: tuple[int, ...]
    record_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ValueError(f"unknown check {self.check!r}; known: {', '.join(CHECKS)}")


REFUSING = frozenset(
    {UNITS_CLAIMED_TWICE, GEC_AND_CCER, OUTSIDE_VALIDITY, GENERATION_AFTER_CONSUMPTION, ONSITE_CERTIFICATES_SOLD}
)


def refused_claims(findings: Sequence[Finding]) -> frozenset[int]:
    """Claims a finding shows cannot carry their attribute: they count for nothing in the inventory.

    Renewable MWh above consumption is not among these: the inventory caps coverage at grid use,
    and the finding still blocks every level.
    """
    return frozenset(i for f in findings if f.check in REFUSING for i in f.claim_ids)

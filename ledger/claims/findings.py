"""What :func:`~ledger.claims.double_counting.find_double_counting` reads and reports.

The inputs (a claim as recorded on chain, an anchored record), the :class:`Finding` it returns and
the names of its seven checks, in one module that the checks and their callers (the inventory, the
evaluation report) share without depending on how any check works. Re-exported by
:mod:`ledger.claims.double_counting`, where callers import them from.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from ledger.claims.claim import RetirementClaim
from ledger.numbers import exact_sum, shown
from ledger.records.record import MeasurementRecord
from ledger.records.units import convert_fraction

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
BUNDLE_UNMATCHED = "bundle_unmatched"
"""A claim's ``bundled_with`` names no ``green_power_contract`` record of the factory in its months."""

CHECKS: tuple[str, ...] = (
    UNITS_CLAIMED_TWICE,
    GEC_AND_CCER,
    RENEWABLE_EXCEEDS_CONSUMPTION,
    OUTSIDE_VALIDITY,
    GENERATION_AFTER_CONSUMPTION,
    ONSITE_CERTIFICATES_SOLD,
    BUNDLE_UNMATCHED,
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


RECORD_SAMPLE = 12
"""A finding names at most this many record ids (a year's months); the records it is about are named
by :class:`ConsumptionLine` (month, source, kind, unit) instead. Listing every id would make a year of
quarter-hour readings (10^5 a month) a signed report of over a million ids."""


class ConsumptionLine(NamedTuple):
    """The records of one source, kind and unit in one month that a finding weighs, summed exactly:
    what a verifier selects from the anchored data (factory, ``period``, ``source_id``, ``kind``,
    ``unit``) and adds up to reproduce the finding, without a list of every record id."""

    period: str
    source_id: str
    kind: str
    unit: str
    records: int
    quantity: Decimal  # the exact sum of the records' values, in ``unit``
    mwh: Fraction  # ``quantity`` converted to MWh exactly
    first_record_id: str  # the first of them in the order given: where to start looking

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period, "source_id": self.source_id, "kind": self.kind, "records": self.records,
            "quantity": f"{self.quantity:f}", "unit": self.unit, "mwh": shown(self.mwh),
            "first_record_id": self.first_record_id,
        }  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One occurrence of double counting: which check, why (with the figures), and who is involved.

    ``claim_ids`` are in ascending order. ``record_ids`` name at most :data:`RECORD_SAMPLE` of the
    records the finding is about, ``record_count`` how many there are (default: ``len(record_ids)``).
    A finding that weighs consumption names it in ``consumption``: one :class:`ConsumptionLine` per
    month, source, kind and unit, in that order, whose ``records`` add up to ``record_count``; its
    ``record_ids`` are the first record of each line (:func:`consumption_finding`).
    """

    check: str
    message: str
    claim_ids: tuple[int, ...]
    record_ids: tuple[str, ...]
    record_count: int = -1
    consumption: tuple[ConsumptionLine, ...] = ()

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ValueError(f"unknown check {self.check!r}; known: {', '.join(CHECKS)}")
        if len(self.record_ids) > RECORD_SAMPLE:
            raise ValueError(f"record_ids: at most {RECORD_SAMPLE} (a sample), got {len(self.record_ids)}")
        if self.record_count == -1:
            object.__setattr__(self, "record_count", len(self.record_ids))
        if self.record_count < len(self.record_ids):
            raise ValueError(f"record_count {self.record_count} is below the {len(self.record_ids)} ids named")

    def to_json(self) -> dict[str, Any]:
        """The report's entry: the four keys reports always had, then the count and the lines."""
        return {
            "check": self.check, "message": self.message, "claim_ids": list(self.claim_ids),
            "record_ids": list(self.record_ids), "record_count": self.record_count,
            "consumption": [line.to_json() for line in self.consumption],
        }  # fmt: skip


def consumption_lines(records: Iterable[AnchoredRecord], kinds: Container[str]) -> list[ConsumptionLine]:
    """The records of ``kinds`` summed per month, source, kind and unit (exactly, then converted to
    MWh once per line), in that order: one pass, one list of values per line, no id kept but the first."""
    groups: dict[tuple[str, str, str, str], list[Decimal]] = {}
    first: dict[tuple[str, str, str, str], str] = {}
    for r in records:
        record = r.record
        if record.kind in kinds:
            key = (record.period, record.source_id, record.kind, record.unit)
            values = groups.get(key)
            if values is None:
                groups[key] = values = []
                first[key] = r.record_id
            values.append(record.quantity)
    lines = []
    for key, values in sorted(groups.items()):
        total = exact_sum(values)
        lines.append(ConsumptionLine(*key, len(values), total, convert_fraction(total, key[3], "MWh"), first[key]))
    return lines


def consumption_finding(
    check: str, message: str, claim_ids: tuple[int, ...], lines: Sequence[ConsumptionLine]
) -> Finding:
    """A finding about the records of ``lines``: their count, and the first record of each line as
    the sample (at most :data:`RECORD_SAMPLE`, one per month and source where there are that few)."""
    return Finding(
        check, message, claim_ids, tuple(line.first_record_id for line in lines[:RECORD_SAMPLE]),
        sum(line.records for line in lines), tuple(lines),
    )  # fmt: skip


REFUSING = frozenset(
    {UNITS_CLAIMED_TWICE, GEC_AND_CCER, OUTSIDE_VALIDITY, GENERATION_AFTER_CONSUMPTION, ONSITE_CERTIFICATES_SOLD,
     BUNDLE_UNMATCHED}
)  # fmt: skip


def refused_claims(findings: Sequence[Finding]) -> frozenset[int]:
    """Claims a finding shows cannot carry their attribute: they count for nothing in the inventory.

    Renewable MWh above consumption is not among these: the inventory caps coverage at grid use,
    and the finding still blocks every level.
    """
    return frozenset(i for f in findings if f.check in REFUSING for i in f.claim_ids)

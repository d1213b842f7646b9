"""Records summed into activities: what a calculation line multiplies by its factors.

Every accounting rule is linear in the quantity measured — emissions are activity × factors,
energy is activity × a calorific value — so multiplying the exact sum of a month's readings of one
source gives the same Fraction as multiplying each reading and adding the products. A year of
quarter-hour sub-meter readings (10^6 records) therefore becomes a few hundred lines, one per
month, source, kind and unit, each naming how many records it sums; the records themselves are the
month's anchored batch, where anyone can select them again by source, kind and unit and redo the
sum. The sums are exact (:func:`ledger.numbers.exact_sum`'s context): nothing is rounded before the
figures are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from ledger.numbers import EXACT
from ledger.records import MeasurementRecord


class InventoryRecord(NamedTuple):
    """One verified anchored record, with the id this service gave it and its batch's month. (A named
    tuple: a year holds a million of them, and a frozen dataclass costs ~1 µs each to build.)"""

    record_id: str
    period: str
    record: MeasurementRecord


@dataclass(frozen=True)
class Activity:
    """The records of one source, kind and unit in one month, summed exactly."""

    period: str
    source_id: str
    kind: str
    unit: str
    quantity: Decimal
    records: int
    first_record_id: str  # named when the arithmetic refuses the group (e.g. a unit it cannot read)

    @property
    def value(self) -> str:
        """The sum as measured, as a record would write it (``"18652.0"``)."""
        return format(self.quantity, "f")


def activities(records: Iterable[InventoryRecord]) -> list[Activity]:
    """The records summed per (period, source, kind, unit), in the order each group first appears
    (the records' order, so the result is reproducible)."""
    sums: dict[tuple[str, str, str, str], list[Any]] = {}  # key → [exact sum, count, first record id]
    add = EXACT.add
    for item in records:
        record = item.record
        key = (item.period, record.source_id, record.kind, record.unit)
        group = sums.get(key)
        if group is None:
            sums[key] = [record.quantity, 1, item.record_id]
        else:
            group[0] = add(group[0], record.quantity)
            group[1] += 1
    return [
        Activity(period, source_id, kind, unit, total, count, first)
        for (period, source_id, kind, unit), (total, count, first) in sums.items()
    ]

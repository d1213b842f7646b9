"""A factory's year of anchored data, as the accounting reads it.

:func:`ledger.services.year.gather_year` fills it from the chain and this service's batches, each
month's records checked against its on-chain root. ``used`` lists the batches counted, ``superseded``
the earlier revisions, ``missing`` the months with no anchored data held here — never counted as zero;
:meth:`YearData.source_gaps` the sources that do not cover a month held.

Records of a kind the annual accounting does not count (:data:`NOT_ACCOUNTED`: a certificate
project's hourly output, which says when the units were made, not what the factory used) are filed
apart in ``generation`` as the records are added, so no accounting step (activities, completeness,
double counting, park tallies, data quality) ever sees them: a month with them gives the same
figures as without.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from ledger.accounting.completeness import ServiceDates, SourceGap, source_gaps
from ledger.accounting.inventory import InventoryRecord
from ledger.records import MeasurementRecord

NOT_ACCOUNTED = frozenset({"renewable_generation"})
"""Record kinds the year's accounting leaves out (kept in :attr:`YearData.generation` for hourly matching)."""


@dataclass
class YearData:
    records: list[InventoryRecord] = field(default_factory=list)
    used: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)  # period, reason (and revision when not held)
    generation: list[InventoryRecord] = field(default_factory=list)  # NOT_ACCOUNTED kinds: hourly matching's

    def add(self, period: str, record_ids: Iterable[str], records: Iterable[MeasurementRecord]) -> None:
        """A month's verified records: those of :data:`NOT_ACCOUNTED` kinds to ``generation``, the rest
        to ``records`` (in their order)."""
        items = list(map(InventoryRecord, record_ids, repeat(period), records))
        if all(item.record.kind not in NOT_ACCOUNTED for item in items):  # the usual month: one pass, no copy
            self.records += items
            return
        for item in items:
            (self.generation if item.record.kind in NOT_ACCOUNTED else self.records).append(item)

    def source_gaps(self, service: Mapping[str, ServiceDates] | None = None) -> list[SourceGap]:
        """Each source seen in the year (or declared in ``service``) without records covering a month
        held, or its declared days in service of it, exactly once."""
        return source_gaps(self.records, [p["period"] for p in self.used], service)

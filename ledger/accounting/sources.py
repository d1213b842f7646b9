"""A factory's year of anchored data, as the accounting reads it.

:func:`ledger.services.year.gather_year` fills it from the chain and this service's batches, each
month's records checked against its on-chain root. ``used`` lists the batches counted, ``superseded``
the earlier revisions, ``missing`` the months with no anchored data held here — never counted as zero;
:meth:`YearData.source_gaps` the sources that do not cover a month held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.accounting.completeness import ServiceDates, SourceGap, source_gaps
from ledger.accounting.inventory import InventoryRecord


@dataclass
class YearData:
    records: list[InventoryRecord] = field(default_factory=list)
    used: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)  # period, reason (and revision when not held)

    def source_gaps(self, service: Mapping[str, ServiceDates] | None = None) -> list[SourceGap]:
        """Each source seen in the year (or declared in ``service``) without records covering a month
        held, or its declared days in service of it, exactly once."""
        return source_gaps(self.records, [p["period"] for p in self.used], service)

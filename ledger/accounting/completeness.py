"""Completeness per source and month: what a verifier checks before adding anything up.

A month with an anchored batch is not yet a complete month: each source (a meter, an invoice series)
seen anywhere in the year must have records in every month held, and its intervals must cover that
month — from its first instant to the first instant of the next, in the records' own UTC offset —
without a gap (a reading lost is not a reading of zero) or an overlap (the same energy counted
twice). Months with no anchored batch at all are the ``missing_months`` gate's, not repeated here.
A source's kinds are those of its first record in each month.

One finding per source and month, naming both, with the first few gaps or overlaps written out; the
``incomplete_sources`` gate counts them. Readings in order cost one comparison each; only a month
read out of order, or not covered exactly once, is sorted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.accounting.inventory import InventoryRecord
from ledger.records.period import period_bounds

SHOWN_SPANS = 3
"""Gaps or overlaps written out per finding; the rest are counted."""


@dataclass(frozen=True)
class SourceGap:
    """A source's month that is not fully covered: ``problem`` is ``no records``, ``gaps`` or ``overlaps``."""

    source_id: str
    kinds: tuple[str, ...]
    period: str
    problem: str
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"source_id": self.source_id, "kinds": list(self.kinds), "period": self.period,
                "problem": self.problem, "detail": self.detail}  # fmt: skip


def source_gaps(records: Sequence[InventoryRecord], periods_held: Iterable[str]) -> list[SourceGap]:
    """Every (source, month held) whose records do not cover the month exactly once.

    One pass follows each source's readings in the order they come: while each starts where the last
    ended, only the first start and the last end are kept. A source-month read out of order (or with
    a gap or overlap) is gathered again in full and sorted, which only such months pay for."""
    held = sorted(set(periods_held))
    first_last: dict[tuple[str, str], list[Any]] = {}  # (source, period) → [first start, covered to, kind]
    irregular: set[tuple[str, str]] = set()
    for item in records:
        r = item.record
        key = (r.source_id, item.period)
        seen = first_last.get(key)
        if seen is None:
            first_last[key] = [r.interval_start, r.interval_end, r.kind]
        elif r.interval_start == seen[1]:
            seen[1] = r.interval_end
        else:
            irregular.add(key)
    spans: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    if irregular:
        for item in records:
            key = (item.record.source_id, item.period)
            if key in irregular:
                spans[key].append((item.record.interval_start, item.record.interval_end))
    kinds: dict[str, set[str]] = defaultdict(set)
    for (source, _), seen in first_last.items():
        kinds[source].add(seen[2])
    found = []
    for source in sorted(kinds):
        source_kinds = tuple(sorted(kinds[source]))
        for period in held:
            seen = first_last.get((source, period))
            if seen is None:
                found.append(SourceGap(source, source_kinds, period, "no records",
                                       f"{source} has no record for {period}, which other sources have"))  # fmt: skip
                continue
            gap = _coverage(source, period, spans.get((source, period)) or [(seen[0], seen[1])])
            if gap is not None:
                found.append(SourceGap(source, source_kinds, period, *gap))
    return found


def _coverage(source: str, period: str, spans: list[tuple[datetime, datetime]]) -> tuple[str, str] | None:
    spans.sort()
    start, end = period_bounds(period, spans[0][0].tzinfo)
    gaps: list[tuple[datetime, datetime]] = []
    overlaps: list[tuple[datetime, datetime]] = []
    covered_to = start
    for s, e in spans:
        if s > covered_to:
            gaps.append((covered_to, s))
        elif s < covered_to:
            overlaps.append((s, min(e, covered_to)))
        covered_to = max(covered_to, e)
    if covered_to < end:
        gaps.append((covered_to, end))
    if not gaps and not overlaps:
        return None
    problem = "gaps" if gaps else "overlaps"
    parts = []
    for name, found in (("not covered", gaps), ("covered more than once", overlaps)):
        if found:
            listed = ", ".join(f"{a.isoformat()}..{b.isoformat()}" for a, b in found[:SHOWN_SPANS])
            more = f" and {len(found) - SHOWN_SPANS} more" if len(found) > SHOWN_SPANS else ""
            parts.append(f"{len(found)} interval(s) {name}: {listed}{more}")
    return problem, f"{source} in {period}: " + "; ".join(parts)

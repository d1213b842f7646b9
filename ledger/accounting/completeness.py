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

``service`` (the factory's declared service dates, :mod:`ledger.accounting.source_register`) narrows
what a source must cover to the days it was in service: a meter commissioned on 15 April owes no
record before that day, and one decommissioned owes none after. A source declared in service is
required even if it sent nothing; a record outside its declared days contradicts the declaration
and is a finding (``outside service``), so a wrong declaration cannot quietly excuse a month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ledger.accounting.inventory import InventoryRecord
from ledger.records.period import period_bounds

SHOWN_SPANS = 3
"""Gaps or overlaps written out per finding; the rest are counted."""

CHECKED = (
    "every source seen in the year or declared in the factory's source register, in every month held (only its "
    "declared days in service: source_register.excused lists what they excused): records present, intervals "
    "covering the month once"
)
"""What the report's ``evaluation.completeness.checked`` says was checked."""

ServiceDates = tuple[date | None, date | None]
"""A source's first and last day in service (both inclusive; None: open on that side)."""


@dataclass(frozen=True)
class SourceGap:
    """A source's month that is not fully covered: ``problem`` is ``no records``, ``gaps``, ``overlaps``
    or ``outside service`` (records on days its declaration says it was not in service)."""

    source_id: str
    kinds: tuple[str, ...]
    period: str
    problem: str
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"source_id": self.source_id, "kinds": list(self.kinds), "period": self.period,
                "problem": self.problem, "detail": self.detail}  # fmt: skip


def source_gaps(
    records: Sequence[InventoryRecord], periods_held: Iterable[str], service: Mapping[str, ServiceDates] | None = None
) -> list[SourceGap]:
    """Every (source, month held) whose records do not cover the month — or, for a source in
    ``service``, its days in service — exactly once.

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
    service = service or {}
    found = []
    for source in sorted(kinds.keys() | service.keys()):
        source_kinds = tuple(sorted(kinds.get(source, ())))
        dates = service.get(source)
        for period in held:
            seen = first_last.get((source, period))
            days = days_in_service(period, dates)
            if days is None:  # out of service all month: nothing owed, and nothing may be there
                if seen is not None:
                    found.append(SourceGap(source, source_kinds, period, "outside service",
                                           f"{source} has records in {period}, {_declared(dates)}"))  # fmt: skip
                continue
            if seen is None:
                found.append(SourceGap(source, source_kinds, period, "no records",
                                       f"{source} has no record for {period}, which "
                                       + ("its declaration puts in service" if dates else "other sources have")))  # fmt: skip
                continue
            gap = _coverage(source, period, spans.get((source, period)) or [(seen[0], seen[1])], days, dates)
            if gap is not None:
                found.append(SourceGap(source, source_kinds, period, *gap))
    return found


def days_in_service(period: str, dates: ServiceDates | None) -> tuple[date, date] | None:
    """The first and last day of ``period`` (``YYYY-MM``) inside ``dates``, or None if none is."""
    first = date(int(period[:4]), int(period[5:]), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    start, until = dates or (None, None)
    lo, hi = max(first, start or first), min(last, until or last)
    return (lo, hi) if lo <= hi else None


def _declared(dates: ServiceDates | None) -> str:
    start, until = dates or (None, None)
    return f"outside its declared service dates ({start or '…'}..{until or '…'})"


def _coverage(
    source: str,
    period: str,
    spans: list[tuple[datetime, datetime]],
    days: tuple[date, date] | None = None,
    dates: ServiceDates | None = None,
) -> tuple[str, str] | None:
    """Gaps and overlaps of ``spans`` over the month, or over ``days`` of it (in the records' own
    offset) when a declaration narrows it; spans outside those days are listed apart, not covered."""
    spans.sort()
    tz = spans[0][0].tzinfo
    start, end = period_bounds(period, tz)
    outside: list[tuple[datetime, datetime]] = []
    if dates is not None and days is not None:
        start = max(start, datetime.combine(days[0], time(), tz))
        end = min(end, datetime.combine(days[1] + timedelta(days=1), time(), tz))
        outside = [(s, min(e, start)) for s, e in spans if s < start] + [(max(s, end), e) for s, e in spans if e > end]
        spans = [(max(s, start), min(e, end)) for s, e in spans if min(e, end) > max(s, start)]
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
    if not gaps and not overlaps and not outside:
        return None
    problem = "gaps" if gaps else "overlaps" if overlaps else "outside service"
    parts = []
    for name, found in (("not covered", gaps), ("covered more than once", overlaps), (_declared(dates), outside)):
        if found:
            listed = ", ".join(f"{a.isoformat()}..{b.isoformat()}" for a, b in found[:SHOWN_SPANS])
            more = f" and {len(found) - SHOWN_SPANS} more" if len(found) > SHOWN_SPANS else ""
            parts.append(f"{len(found)} interval(s) {name}: {listed}{more}")
    return problem, f"{source} in {period}: " + "; ".join(parts)

"""Readings in series: intervals that must join up, meter counters differenced, totals per day or
per period, and the period every record must lie in.

A series is one (source id, kind, unit), in file order. Rows are never sorted, filled or dropped:
a gap or an overlap between one row and the row before it in its series is that row's error, a
counter that goes down (a meter replaced or rolled over) is that row's error, and with
``time.complete`` a series that does not cover the whole period says where it starts or stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from .engine import Reading
from .issues import N_, Issues
from .mapping import TimeSpec
from .timing import next_local_midnight, wire
from .values import EXACT


@dataclass(frozen=True)
class Interval:
    """A value for an interval, from one row or (aggregated) several: ``rows`` first and last."""

    source_id: str
    kind: str
    unit: str
    start: datetime
    end: datetime
    value: Decimal
    first_row: int
    last_row: int
    column: str
    index: int


def intervals(readings: Iterable[Reading], spec: TimeSpec, issues: Issues) -> list[Interval]:
    """Each series' readings as intervals, checked to join up; cumulative counters differenced.

    A reading whose cell was bad holds its series' place: the row after it is checked against its
    interval (when its time was readable), and a counter after a bad counter makes no record (its
    row before is already an error).
    """
    last: dict[tuple[str, str, str], Reading] = {}
    out: list[Interval] = []
    for reading in readings:
        key = (reading.source_id, reading.kind, reading.unit)
        before = last.get(key)
        last[key] = reading
        if reading.value is None or reading.end is None:
            continue  # its row's error is named
        if reading.readings == "cumulative":
            if before is not None and (before.value is None or before.end is None):
                continue
            made = _difference(before, reading, spec, issues)
        else:
            assert reading.start is not None
            if before is not None and before.end is not None and spec.contiguous:
                if not _joins(before, reading, issues, spec):
                    continue
            made = Interval(*key, reading.start, reading.end, reading.value, reading.row, reading.row,
                            reading.column, reading.index)  # fmt: skip
        if made is not None:
            out.append(made)
    return out


def _joins(before: Reading, reading: Reading, issues: Issues, spec: TimeSpec) -> bool:
    assert reading.start is not None and before.end is not None
    if reading.start == before.end:
        return True
    code, text = (
        ("gap", N_("gap: row %(before)s ends at %(end)s but this row starts at %(start)s (%(source)s)"))
        if reading.start > before.end
        else ("overlap", N_("overlap: row %(before)s ends at %(end)s but this row starts at %(start)s (%(source)s)"))
    )
    issues.add(code, text, row=reading.row, column=reading.column, index=reading.index, field="time",
               before=before.row, end=wire(before.end, spec.zone), start=wire(reading.start, spec.zone),
               source=reading.source_id)  # fmt: skip
    return False


def _difference(before: Reading | None, reading: Reading, spec: TimeSpec, issues: Issues) -> Interval | None:
    """The quantity between two counter readings; the first reading of a series only opens it."""
    if before is None:
        return None
    assert before.end is not None and before.value is not None and reading.end is not None and reading.value is not None
    if reading.start is None:  # instant readings: from the previous reading to this one
        start = before.end
        step = spec.step
        if spec.contiguous and step is not None and reading.end - before.end != step and not step.days:
            code = "gap" if reading.end - before.end > step else "overlap"
            issues.add(code, N_("readings %(step)s apart were expected: row %(before)s was read at %(end)s, "
                                "this row at %(start)s (%(source)s)"), row=reading.row, column=reading.column,
                       index=reading.index, field="time", step=spec.interval, before=before.row,
                       end=wire(before.end, spec.zone), start=wire(reading.end, spec.zone),
                       source=reading.source_id)  # fmt: skip
            return None
        if reading.end <= start:
            issues.add("overlap", N_("row %(before)s was read at %(end)s, not before this row (%(start)s)"),
                       row=reading.row, column=reading.column, index=reading.index, field="time",
                       before=before.row, end=wire(before.end, spec.zone), start=wire(reading.end, spec.zone))  # fmt: skip
            return None
    else:
        start = reading.start
        if not _joins(before, reading, issues, spec):
            return None
    used = EXACT.subtract(reading.value, before.value)
    if used < 0:
        issues.add("decreasing_reading", N_("the counter went down from %(before_value)s (row %(before)s) to "
                                            "%(value)s: a meter change or rollover must be split by hand"),
                   row=reading.row, column=reading.column, index=reading.index, field="value",
                   before_value=str(before.value), before=before.row, value=str(reading.value))  # fmt: skip
        return None
    return Interval(reading.source_id, reading.kind, reading.unit, start, reading.end, used, before.row,
                    reading.row, reading.column, reading.index)  # fmt: skip


def without_overlaps(items: list[Interval], spec: TimeSpec, issues: Issues) -> list[Interval]:
    """The intervals, less any that overlaps an earlier row's interval of its series (each one its
    row's error): with ``contiguous = false`` rows may leave gaps, never count a time twice."""
    by_series: dict[tuple[str, str, str], list[Interval]] = {}
    for item in items:
        by_series.setdefault((item.source_id, item.kind, item.unit), []).append(item)
    dropped: set[int] = set()
    for series in by_series.values():
        ordered = sorted(series, key=lambda i: (i.start, i.first_row))
        for before, item in zip(ordered, ordered[1:], strict=False):
            if item.start < before.end:
                later, earlier = (item, before) if item.last_row > before.last_row else (before, item)
                if id(later) in dropped:
                    continue
                dropped.add(id(later))
                issues.add("overlap", N_("overlap: row %(before)s ends at %(end)s but this row starts at %(start)s "
                                         "(%(source)s)"), row=later.last_row, column=later.column, index=later.index,
                           field="time", before=earlier.last_row, end=wire(earlier.end, spec.zone),
                           start=wire(later.start, spec.zone), source=later.source_id)  # fmt: skip
    return [item for item in items if id(item) not in dropped]


def check_period(items: list[Interval], bounds: tuple[datetime, datetime], spec: TimeSpec,
                 period: str, issues: Issues) -> list[Interval]:  # fmt: skip
    """The intervals inside the period; each one outside is its row's error. With ``complete``,
    each series must also run from the period's first instant to its last."""
    inside = []
    for item in items:
        if item.start < bounds[0] or item.end > bounds[1]:
            issues.add("outside_period", N_("%(start)s – %(end)s is not inside the period %(period)s"),
                       row=item.last_row, column=item.column, index=item.index, field="time",
                       start=wire(item.start, spec.zone), end=wire(item.end, spec.zone), period=period)  # fmt: skip
        else:
            inside.append(item)
    if spec.complete:
        first: dict[tuple[str, str, str], Interval] = {}
        final: dict[tuple[str, str, str], Interval] = {}
        for item in inside:
            first.setdefault((item.source_id, item.kind, item.unit), item)
            final[(item.source_id, item.kind, item.unit)] = item
        for key, item in first.items():
            if item.start != bounds[0]:
                issues.add("incomplete", N_("%(source)s starts at %(start)s, not at the start of %(period)s"),
                           row=item.first_row, column=item.column, index=item.index, field="time.complete",
                           source=key[0], start=wire(item.start, spec.zone), period=period)  # fmt: skip
            last = final[key]
            if last.end != bounds[1]:
                issues.add("incomplete", N_("%(source)s stops at %(end)s, before the end of %(period)s"),
                           row=last.last_row, column=last.column, index=last.index, field="time.complete",
                           source=key[0], end=wire(last.end, spec.zone), period=period)  # fmt: skip
    return inside


def aggregate(items: list[Interval], spec: TimeSpec) -> list[Interval]:
    """Consecutive intervals of a series summed per local day or per period (``row`` keeps them)."""
    if spec.aggregate == "row":
        return items
    open_: dict[tuple[str, str, str], Interval] = {}
    out: list[Interval] = []
    order: dict[tuple[str, str, str], int] = {}
    for item in items:
        key = (item.source_id, item.kind, item.unit)
        current = open_.get(key)
        same_bucket = (
            current is not None
            and current.end == item.start
            and (spec.aggregate == "period" or item.start < next_local_midnight(current.start, spec.zone))
        )
        if current is not None and same_bucket:
            open_[key] = replace(current, end=item.end, value=EXACT.add(current.value, item.value),
                                 last_row=item.last_row)  # fmt: skip
            continue
        if current is not None:
            out.append(current)
        else:
            order[key] = len(order)
        open_[key] = item
    out.extend(open_.values())
    return sorted(out, key=lambda i: (order[(i.source_id, i.kind, i.unit)], i.start))

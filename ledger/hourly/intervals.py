"""The interval check a factory runs on a month's batch before signing it: can hourly matching read
it as it stands?

Per (source, kind) of electricity (grid, on-site self-consumption, green-power contract): the
readings' resolution, their count, the first and last instant, the parts of the batch's month no
reading covers (gaps: matching leaves those hours unscored), and the errors that would stop matching
— overlapping readings, readings that straddle an hour, values finer than a mWh, a longer-than-hour
total of a source not declared ``load-profile`` — each with the indexes of its records in the batch
(``records[i]``). Unlike :func:`ledger.hourly.load.hourly_sources`, which stops at the first error, the
report lists them all, so one pass shows everything to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Context, Decimal, Inexact
from typing import Any

from ledger.hourly.errors import HourlyError
from ledger.hourly.load import (
    LOAD_PROFILE,
    NEEDS_PROFILE,
    NOT_ALIGNED,
    NOT_WHOLE_HOURS,
    OVERLAP,
    READ_KINDS,
    UNDECLARED,
    load_share,
    to_mwh,
)
from ledger.hourly.load_profiles import profile_label
from ledger.hourly.model import CHINA, HOUR
from ledger.records.batch import Batch
from ledger.records.period import period_bounds
from ledger.records.record import MeasurementRecord
from ledger.records.units import convert

MONTHLY = "monthly"
_EXACT = Context(prec=200, traps=[Inexact])


def interval_report(batch: Batch, methods: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """What hourly matching would make of ``batch``; ``methods`` is the source register by source_id.

    ``sources`` rows: source_id, kind, method, share (metered/profiled/None), hourly (``readings``,
    ``load-profile`` or ``no``), resolution (the finest reading in seconds, or ``monthly``),
    resolutions (all), records, first, last, hours_covered, gaps [{start, end}], total_kwh (exact
    decimal string), profile, errors [{problem, records, message}]. ``ok`` is True when no row has an
    error; ``ignored_records`` counts the records of other kinds (fuel, production…).
    """
    offset = _offset(batch)
    tz = timezone(offset)
    first, after = (int(d.timestamp()) for d in period_bounds(batch.period, tz))
    groups: dict[tuple[str, str], list[tuple[int, MeasurementRecord, int, int]]] = {}
    for i, record in enumerate(batch.records):
        if record.kind in READ_KINDS:
            start, end = int(record.interval_start.timestamp()), int(record.interval_end.timestamp())
            groups.setdefault((record.source_id, record.kind), []).append((i, record, start, end))
    rows = [
        _row(
            source_id,
            kind,
            sorted(found, key=lambda f: (f[2], f[3], f[0])),
            methods.get(source_id, {}),
            (first, after),
            tz,
        )  # fmt: skip
        for (source_id, kind), found in sorted(groups.items())
    ]
    return {
        "factory_id": batch.factory_id,
        "period": batch.period,
        "revision": batch.revision,
        "utc_offset": _offset_text(offset),
        "month": {"start": _iso(first, tz), "end": _iso(after, tz), "hours": (after - first) // HOUR},
        "sources": rows,
        "ignored_records": len(batch.records) - sum(len(found) for found in groups.values()),
        "ok": not any(row["errors"] for row in rows),
    }


def _row(
    source_id: str, kind: str, found: list[tuple[int, MeasurementRecord, int, int]], entry: Mapping[str, str],
    month: tuple[int, int], tz: timezone,
) -> dict[str, Any]:  # fmt: skip
    method = entry.get("method") or UNDECLARED
    errors: list[dict[str, Any]] = []
    name = {i: f"records[{i}]" for i, *_ in found}
    total = Decimal(0)
    lengths: set[int | str] = set()
    long_records = False
    latest: tuple[int, int] | None = None  # (index, end) of the reading reaching furthest so far
    for i, record, start, end in found:
        total = _EXACT.add(total, convert(record.quantity, record.unit, "kWh"))
        try:
            to_mwh(record, name[i])
        except HourlyError as e:
            errors.append(_error("not-whole-mwh", [i], e.message))
        if latest is not None and start < latest[1]:
            errors.append(_error("overlap", [latest[0], i], OVERLAP % {"first": name[latest[0]], "second": name[i]}))
        if latest is None or end > latest[1]:
            latest = (i, end)
        length = end - start
        lengths.add(MONTHLY if (start, end) == month else length)
        if length <= HOUR:
            if HOUR % length or start % length:
                errors.append(_error("not-aligned", [i], NOT_ALIGNED % {"record": name[i], "seconds": length}))
            continue
        long_records = True
        if method != LOAD_PROFILE:
            errors.append(_error("needs-load-profile", [i], NEEDS_PROFILE % {"record": name[i], "method": method}))
        elif start % HOUR or end % HOUR:
            errors.append(_error("not-whole-hours", [i], NOT_WHOLE_HOURS % {"record": name[i]}))
    holes = _gaps([(start, end) for _, _, start, end in found], month)
    seconds = sorted(x for x in lengths if isinstance(x, int))
    profile = None
    if long_records and method == LOAD_PROFILE:
        try:
            profile = profile_label(entry.get("profile"))
        except HourlyError as e:
            errors.append(_error("unknown-profile", [i for i, *_ in found], e.message))
    return {
        "source_id": source_id,
        "kind": kind,
        "method": method,
        "share": load_share(method),
        "hourly": "no" if long_records and method != LOAD_PROFILE else LOAD_PROFILE if long_records else "readings",
        "resolution": seconds[0] if seconds else MONTHLY,
        "resolutions": seconds + ([MONTHLY] if MONTHLY in lengths else []),
        "records": len(found),
        "first": found[0][1].interval_start.isoformat(),
        "last": max(found, key=lambda f: f[3])[1].interval_end.isoformat(),
        "hours_covered": str(Decimal(month[1] - month[0] - sum(b - a for a, b in holes)) / HOUR),
        "gaps": [{"start": _iso(a, tz), "end": _iso(b, tz)} for a, b in holes],
        "total_kwh": str(total),
        "profile": profile,
        "errors": errors,
    }


def _gaps(intervals: list[tuple[int, int]], month: tuple[int, int]) -> list[tuple[int, int]]:
    """The parts of ``month`` no interval covers, in order."""
    holes, cursor = [], month[0]
    for start, end in sorted(intervals):
        if start > cursor:
            holes.append((cursor, min(start, month[1])))
        cursor = max(cursor, end)
    if cursor < month[1]:
        holes.append((cursor, month[1]))
    return [(a, b) for a, b in holes if a < b]


def _error(problem: str, records: list[int], message: str) -> dict[str, Any]:
    return {"problem": problem, "records": records, "message": message}


def _offset(batch: Batch) -> timedelta:
    """The offset the month is read in: the first electricity record's (China time when there is none)."""
    for record in batch.records:
        if record.kind in READ_KINDS:
            return record.interval_start.utcoffset() or timedelta(0)
    return CHINA


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _iso(t: int, tz: timezone) -> str:
    return datetime.fromtimestamp(t, UTC).astimezone(tz).isoformat()

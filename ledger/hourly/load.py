"""A factory's load hour by hour, from its anchored records: one :class:`HourlySource` per
(source, kind) of electricity consumed (grid, on-site self-consumption) or contracted.

How a record becomes hours:

- **Readings of up to an hour** (15-min, 30-min, hourly) sum into their hour. Each must divide the
  hour and start on a multiple of its length, so it never straddles two hours: a reading split by
  guess would put energy in an hour no meter saw it in.
- **Longer records** (a month's bill) have no hours of their own. If the register declares the
  source ``load-profile``, the total is spread over the record's hours by its standard profile
  (``load_profiles.py``), largest remainder in whole mWh; otherwise matching refuses the source,
  naming the fix (declare it ``load-profile``, or send interval readings) — never spreads it silently.
- **Gaps**: an hour the source's readings do not cover completely is ``known = False`` and listed in
  ``gaps``: unknown, never zero. Its ``energy`` keeps what was read, so a source's total is its records'.
  Hours outside the days the register declares the source in service (``in_service_from`` /
  ``in_service_until``) are no gap: a meter installed in June leaves January scored.
- **Overlaps** of one source's readings of one kind count the same time twice: refused, both named.

Values convert exactly to whole mWh (a kWh figure with up to six decimals); anything finer is refused
with the record named. A source's ``method`` is its register entry's (``undeclared`` without one):
:func:`load_share` says which share of the load (metered, profiled, neither) it counts in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from ledger.hourly.errors import HourlyError
from ledger.hourly.load_profiles import profile_id, profile_label, profile_weights
from ledger.hourly.model import CONTRACT_KIND, HOUR, KWH, LOAD_KINDS, Gap, HourlySource, Span
from ledger.hourly.spread import largest_remainder
from ledger.i18n import N_
from ledger.records.record import MeasurementRecord
from ledger.records.units import convert_fraction

UNDECLARED = "undeclared"
"""A source with no register entry: its readings count as load, in neither the metered nor the profiled share."""
LOAD_PROFILE = "load-profile"
READ_KINDS = (*LOAD_KINDS, CONTRACT_KIND)
SHARES = {"metered": "metered", "utility-attested": "metered", LOAD_PROFILE: "profiled"}
"""The share of the load (results' ``load_share``) each declared method counts in; others: neither."""

NOT_WHOLE_MWH = N_("%(value)s %(unit)s of %(record)s is not a whole number of mWh (kWh with at most six decimals)")
NOT_ALIGNED = N_(
    "%(record)s is %(seconds)s s long and crosses an hour or is not aligned: a reading of up to an hour must "
    "divide the hour and start on a multiple of its length"
)
OVERLAP = N_("%(first)s and %(second)s overlap: they count the same time twice")
NEEDS_PROFILE = N_(
    "%(record)s is longer than an hour and the source is %(method)s: hourly matching cannot tell its hours. "
    "Declare the source load-profile in the source register (its total is then spread by a standard load "
    "profile), or send interval readings (15-minute or hourly)"
)
ZERO_WEIGHTS = N_("%(record)s falls only on hours %(profile)s gives no weight: it cannot be spread")
NOT_WHOLE_HOURS = N_("%(record)s: a total spread by a load profile must start and end on whole hours")


@dataclass(frozen=True)
class Reading:
    """One record of a source in the span: its batch ``label``, unix ``start``/``end`` and ``energy`` (mWh)."""

    label: str
    record: MeasurementRecord
    start: int
    end: int
    energy: int

    @property
    def name(self) -> str:
        return record_name(self.label, self.record)


def record_name(label: str, record: MeasurementRecord) -> str:
    """A record as a person finds it: ``CN-…/2025-01/r1@0x… 2025-01-01T00:15:00+08:00..2025-01-01T00:30:00+08:00``."""
    return f"{label} {record.interval_start.isoformat()}..{record.interval_end.isoformat()}"


def load_share(method: str) -> str | None:
    """``metered`` (metered, utility-attested), ``profiled`` (load-profile) or None (estimated, undeclared)."""
    return SHARES.get(method)


def to_mwh(record: MeasurementRecord, name: str) -> int:
    """The record's value in whole mWh, exactly; refused (naming ``name``) when it is finer."""
    exact = convert_fraction(record.quantity, record.unit, "kWh") * KWH
    if exact.denominator != 1:
        raise HourlyError(f"{record.source_id}.value",
                          NOT_WHOLE_MWH % {"value": record.value, "unit": record.unit, "record": name})  # fmt: skip
    return int(exact)


def readings(records: Iterable[tuple[str, MeasurementRecord]], span: Span) -> dict[tuple[str, str], list[Reading]]:
    """The records of the kinds hourly matching reads that touch ``span``, by (source_id, kind), in time order."""
    out: dict[tuple[str, str], list[Reading]] = {}
    for label, record in records:
        if record.kind not in READ_KINDS:
            continue
        start, end = int(record.interval_start.timestamp()), int(record.interval_end.timestamp())
        if end <= span.start or start >= span.end:
            continue
        energy = to_mwh(record, record_name(label, record))
        out.setdefault((record.source_id, record.kind), []).append(Reading(label, record, start, end, energy))
    for found in out.values():
        found.sort(key=lambda r: (r.start, r.end))
    return out


def check_overlaps(source_id: str, found: list[Reading]) -> None:
    """Refuses two readings (in time order) that cover the same time, naming both."""
    latest: Reading | None = None
    for reading in found:
        if latest is not None and reading.start < latest.end:
            raise HourlyError(source_id, OVERLAP % {"first": latest.name, "second": reading.name})
        if latest is None or reading.end > latest.end:
            latest = reading


def hourly_sources(
    records: Iterable[tuple[str, MeasurementRecord]], span: Span, methods: Mapping[str, Mapping[str, str]]
) -> tuple[HourlySource, ...]:
    """Each (source, kind) of electricity in ``records`` (paired with their anchored batch's label)
    as hours of ``span``; ``methods`` is the source register by source_id (``method``, ``profile``).
    Sorted by source_id, then kind."""
    return tuple(
        _source(source_id, kind, found, span, methods.get(source_id, {}))
        for (source_id, kind), found in sorted(readings(records, span).items())
    )


def _source(source_id: str, kind: str, found: list[Reading], span: Span, entry: Mapping[str, str]) -> HourlySource:
    method = entry.get("method") or UNDECLARED
    check_overlaps(source_id, found)
    energy = np.zeros(span.hours, dtype=np.int64)
    covered = np.zeros(span.hours, dtype=np.int64)  # seconds read in each hour (no overlaps: at most 3600)
    lengths: set[int] = set()
    profile: str | None = None
    for reading in found:
        length = reading.end - reading.start
        if length <= HOUR:
            if HOUR % length or reading.start % length:
                raise HourlyError(f"{source_id}.interval_start",
                                  NOT_ALIGNED % {"record": reading.name, "seconds": length})  # fmt: skip
            i = (reading.start - span.start) // HOUR
            energy[i] += reading.energy
            covered[i] += length
            lengths.add(length)
            continue
        if method != LOAD_PROFILE:
            raise HourlyError(source_id, NEEDS_PROFILE % {"record": reading.name, "method": method})
        if reading.start % HOUR or reading.end % HOUR:
            raise HourlyError(f"{source_id}.interval_start", NOT_WHOLE_HOURS % {"record": reading.name})
        name = profile_id(entry.get("profile"), f"{source_id}.profile")
        profile = profile_label(name)
        hours = length // HOUR
        weights = profile_weights(name, reading.start, hours, span.utc_offset)
        if not weights.any():
            raise HourlyError(f"{source_id}.profile", ZERO_WEIGHTS % {"record": reading.name, "profile": profile})
        shares = largest_remainder(reading.energy, weights)
        first = (reading.start - span.start) // HOUR  # negative when the record began before the span
        lo, hi = max(0, -first), min(hours, span.hours - first)
        energy[first + lo : first + hi] += shares[lo:hi]
        covered[first + lo : first + hi] += HOUR
    known = (covered == HOUR) | ~in_service(entry, span)
    batches = tuple(sorted({r.label for r in found}))
    return HourlySource(source_id, kind, method, min(lengths) if lengths else 0, energy, known,
                        gaps(known, span), profile, batches)  # fmt: skip


def in_service(entry: Mapping[str, str | None], span: Span) -> np.ndarray:
    """Per hour, whether the source was in service as the register declares it (``in_service_from``
    and ``in_service_until``: local days, both inclusive, either open). An hour outside is no gap:
    the source had nothing to read, as completeness excuses those days (its load there is the
    readings' own, usually none); a register without dates keeps every hour in service."""
    hours = np.ones(span.hours, dtype=bool)
    tz = timezone(span.utc_offset)
    first, last = entry.get("in_service_from"), entry.get("in_service_until")
    if first:
        start = int(datetime.combine(date.fromisoformat(first), time(), tz).timestamp())
        hours[: max(0, min(span.hours, -(-(start - span.start) // HOUR)))] = False
    if last:
        end = int(datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(), tz).timestamp())
        hours[max(0, min(span.hours, (end - span.start) // HOUR)) :] = False
    return hours


def gaps(known: np.ndarray, span: Span) -> tuple[Gap, ...]:
    """The runs of unknown hours as [start, end) unix seconds, consecutive hours merged."""
    edges = np.diff(np.concatenate(([0], (~known).astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return tuple(Gap(span.start + int(a) * HOUR, span.start + int(b) * HOUR) for a, b in zip(starts, ends, strict=True))

"""Generation profiles: a certificate project's hourly output in one month, read from anchored records.

A certificate (GEC, I-REC) is issued per month, so its 1-MWh units say nothing of the hour the
power was made. The project's hourly output says it: records of kind ``renewable_generation``,
one reading per hour of the generation month, ``source_id = "<REGISTRY>:<project_id>:<tier>"``
(so the tier — how the figures were obtained — is signed with them). They are anchored like any
month's batch, signed by the factory itself or by a generator or exchange registered as a site.

A profile must hold exactly one one-hour reading for every hour of its month: a missing hour is not
taken as zero output (that would move units into the other hours), so a profile with one is kept
with its ``missing`` hours named and refused by :func:`choose_profile`. Readings that are not whole
hours, or two readings for one hour, are refused outright (:class:`HourlyError` naming the batch and
source): the attestor signed something that is not a profile.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timezone

import numpy as np

from ledger.hourly.errors import HourlyError
from ledger.hourly.model import GENERATION_KIND, HOUR, KWH, TIERS, GenerationProfile
from ledger.records import MeasurementRecord, convert_fraction
from ledger.records.period import period_bounds

_REGISTRY = re.compile(r"[A-Z][A-Z0-9-]{0,31}")
_REVISION = re.compile(r"/r([0-9]+)@")
ProfileKey = tuple[str, str, str]
"""(registry, project_id, generation month ``YYYY-MM``)."""


def parse_generation_source(source_id: str, field: str = "source_id") -> tuple[str, str, str]:
    """``"<REGISTRY>:<project_id>:<tier>"`` → (registry, project_id, tier); the project id may itself
    hold ``:`` (the registry is before the first, the tier after the last). A refusal names ``field``
    and the part that is wrong."""
    parts = source_id.split(":") if isinstance(source_id, str) else []
    if len(parts) < 3:
        raise HourlyError(field, f'a generation profile\'s source is "REGISTRY:project_id:tier", got {source_id!r}')
    registry, project_id, tier = parts[0], ":".join(parts[1:-1]), parts[-1]
    if not _REGISTRY.fullmatch(registry):
        raise HourlyError(f"{field}.registry", f"must be a registry name like GEC or I-REC, got {registry!r}")
    if not project_id or project_id.strip() != project_id:
        raise HourlyError(f"{field}.project_id", f"must be the certificates' project id, got {project_id!r}")
    if tier not in TIERS:
        raise HourlyError(f"{field}.tier", f"must be one of {', '.join(TIERS)}, got {tier!r}")
    return registry, project_id, tier


def to_mwh_int(record: MeasurementRecord, field: str) -> int:
    """A reading in whole mWh, exactly; a value finer than 1 mWh is refused, never rounded."""
    mwh = convert_fraction(record.quantity, record.unit, "kWh") * KWH
    if mwh.denominator != 1:
        raise HourlyError(field, f"{record.value} {record.unit} is not a whole number of mWh")
    return int(mwh)


def generation_profiles(
    records: Iterable[tuple[str, str, MeasurementRecord]],
) -> dict[ProfileKey, list[GenerationProfile]]:
    """The profiles in ``(batch label, signer factory id, record)`` triples, by (registry, project,
    month): one per (batch, source), in the order first seen. Records of other kinds are skipped."""
    groups: dict[tuple[str, str, str], list[MeasurementRecord]] = defaultdict(list)
    for batch, attestor, record in records:
        if record.kind == GENERATION_KIND:
            groups[(batch, attestor, record.source_id)].append(record)
    out: dict[ProfileKey, list[GenerationProfile]] = defaultdict(list)
    for (batch, attestor, source_id), group in groups.items():
        profile = _profile(batch, attestor, source_id, group)
        out[(profile.registry, profile.project_id, profile.period)].append(profile)
    return dict(out)


def _profile(batch: str, attestor: str, source_id: str, records: Sequence[MeasurementRecord]) -> GenerationProfile:
    field = f"{batch}.{source_id}"
    registry, project_id, tier = parse_generation_source(source_id, field)
    period = records[0].period
    offset = records[0].interval_start.utcoffset()
    first, after = period_bounds(period, records[0].interval_start.tzinfo)
    start, hours = int(first.timestamp()), int((after - first).total_seconds()) // HOUR
    energy = np.zeros(hours, dtype=np.int64)
    seen = np.zeros(hours, dtype=bool)
    for r in records:
        begin, end = int(r.interval_start.timestamp()), int(r.interval_end.timestamp())
        when = r.interval_start.isoformat()
        if r.period != period or r.interval_start.utcoffset() != offset:
            raise HourlyError(field, f"the reading at {when} is in another month or UTC offset than the first "
                              f"({period}, {first.isoformat()}): a profile is one month in one offset")  # fmt: skip
        if end - begin != HOUR or (begin - start) % HOUR:
            raise HourlyError(field, f"the reading {when}..{r.interval_end.isoformat()} is not one whole hour: "
                              "a generation profile holds hourly readings")  # fmt: skip
        i = (begin - start) // HOUR
        if seen[i]:
            raise HourlyError(field, f"two readings for the hour from {when}: a profile has exactly one per hour")
        seen[i] = True
        energy[i] = to_mwh_int(r, f"{field}.value")
    missing = tuple(int(i) for i in np.flatnonzero(~seen))
    return GenerationProfile(registry, project_id, period, tier, attestor, batch, start, energy, missing=missing)


def revision(profile: GenerationProfile) -> int:
    """The anchored revision in the profile's batch label (``…/rN@0x…``), 0 if it names none."""
    found = _REVISION.search(profile.batch)
    return int(found.group(1)) if found else 0


def choose_profile(candidates: Sequence[GenerationProfile], claimant_factory_id: str) -> GenerationProfile:
    """The profile a claim's units are spread by, among ``candidates`` for one (registry, project,
    month): complete profiles only, then the best tier (:data:`TIERS`: a plant meter over grid
    settlement over a model), then one attested by someone other than the claimant (an independent
    signature over the factory's own word), then the latest revision, then the batch label (so the
    choice never depends on the order given). With no complete candidate, :class:`HourlyError` names
    the hours the best incomplete one misses."""
    if not candidates:
        raise HourlyError("profile", "no generation profile was given")

    def rank(p: GenerationProfile) -> tuple[int, bool, int, str]:
        return TIERS.index(p.tier), p.attestor == claimant_factory_id, -revision(p), p.batch

    complete = [p for p in candidates if not p.missing]
    if complete:
        return min(complete, key=rank)
    best = min(candidates, key=rank)
    raise HourlyError(
        "profile",
        f"the generation profile of {best.registry} project {best.project_id} for {best.period} ({best.batch}) "
        f"has no reading for {len(best.missing)} hour(s): {missing_hours_text(best)}; a missing hour is not zero "
        "output, so the profile cannot place units in hours",
    )


def missing_hours_text(profile: GenerationProfile, at_most: int = 5) -> str:
    """The profile's missing hours as local ranges (``2025-03-05T10:00+08:00..13:00``), the first
    ``at_most`` of them and how many more."""
    runs: list[tuple[int, int]] = []
    for i in profile.missing:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    tz = _offset_of(profile)
    shown = []
    for lo, hi in runs[:at_most]:
        a = datetime.fromtimestamp(profile.start + lo * HOUR, tz)
        b = datetime.fromtimestamp(profile.start + hi * HOUR, tz)
        shown.append(f"{a.isoformat(timespec='minutes')}..{b.strftime('%H:%M')}")
    more = f" and {len(runs) - at_most} more" if len(runs) > at_most else ""
    return ", ".join(shown) + more


def _offset_of(profile: GenerationProfile) -> timezone:
    """The offset the profile's month was read in: the month's first hour is the 1st, 00:00 there."""
    local = datetime(int(profile.period[:4]), int(profile.period[5:]), 1)
    utc = datetime.fromtimestamp(profile.start, UTC).replace(tzinfo=None)
    return timezone(local - utc)

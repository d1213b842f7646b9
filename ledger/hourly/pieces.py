"""A claim's 1-MWh units placed in the hours their power was made: whole, remainder and filler pieces.

A monthly certificate unit does not say its hour; the project's generation profile says how the
month's output fell over its hours. The claim's ``units`` MWh are spread over the month's hours in
proportion to the profile (:func:`spread`: whole mWh by largest remainder, so the hours add up to
exactly ``units × 10**9`` mWh, ties to the earlier hour), then the units are laid in serial order
along that cumulative series: unit *k* covers ``[k, k+1)`` MWh of it. A unit lying inside one hour
is one WHOLE piece; a unit crossing hours is REMAINDER pieces (what was left of an hour: the first
hour's rest, and any later hour used up before the unit is complete) and one FILLER piece, the one
that completes it to exactly 1 MWh. So every unit lies in its generation month
only, every piece in an hour the project produced in, and the pieces add up to the claim.

A claim over several generation months gives each month a whole number of units, in serial order,
by largest remainder on the months' profile totals (:func:`units_per_month`). The arithmetic is
numpy over the boundaries (one sort of the unit and hour ends), so a claim of 15,876 units over
744 hours costs one sort, not a loop per unit. This is the Granular Foundation's "split meter data"
idea (whole, remainder and filler parts); the ordering choices are ours and named here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ledger.hourly.errors import HourlyError
from ledger.hourly.model import HOUR, MWH, GenerationProfile, HourlySource, PieceKind, Span, Supply
from ledger.hourly.spread import largest_remainder


def spread(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` (int) split over ``weights`` (int64, ≥ 0, not all 0) in proportion, in whole units
    by largest remainder (:func:`ledger.hourly.spread.largest_remainder`), or :class:`HourlyError`
    naming the profile when it holds no output."""
    w = np.asarray(weights, dtype=np.int64)
    if not w.size or int(w.sum()) <= 0 or (w < 0).any():
        raise HourlyError("profile", "holds no output to spread the units over")
    return largest_remainder(total, w)


def split_units(
    claim_id: int, units: int, hours: np.ndarray, weights: np.ndarray, source: str, *, first_unit: int = 0
) -> Supply:
    """``units`` 1-MWh units over ``hours`` (int32 span indices, in time order) in proportion to
    ``weights`` (int64 mWh), as pieces; unit offsets start at ``first_unit`` (for a claim's later
    months). Hours given a zero share hold no piece."""
    hours = np.asarray(hours, dtype=np.int32)
    if units <= 0:
        return _empty(claim_id, source)
    if hours.shape != np.shape(weights):
        raise HourlyError("profile", "hours and weights differ in length")
    share = spread(units * MWH, weights)
    keep = share > 0
    hours, share = hours[keep], share[keep]
    ends = np.cumsum(share)  # where each hour's output ends along the claim's series
    inner = np.sort(np.concatenate((ends[:-1], np.arange(1, units, dtype=np.int64) * MWH)))
    if inner.size > 1:  # an hour ending exactly on a unit's end is one place, not two
        inner = inner[np.concatenate(([True], inner[1:] != inner[:-1]))]
    starts = np.concatenate((np.zeros(1, dtype=np.int64), inner))
    stops = np.concatenate((inner, np.array([units * MWH], dtype=np.int64)))
    unit = starts // MWH
    first = np.ones(unit.size, dtype=bool)
    first[1:] = unit[1:] != unit[:-1]
    last = np.ones(unit.size, dtype=bool)
    last[:-1] = first[1:]
    kind = np.full(unit.size, PieceKind.REMAINDER, dtype=np.int8)
    kind[last] = PieceKind.FILLER
    kind[first & last] = PieceKind.WHOLE
    return Supply(
        claim_id=claim_id,
        unit_offset=unit + first_unit,
        hour=hours[np.searchsorted(ends, starts, side="right")],
        energy=stops - starts,
        kind=kind,
        source=source,
    )


def units_per_month(units: int, totals: Sequence[int]) -> list[int]:
    """A claim's ``units`` over its generation months (in time order) in proportion to the months'
    profile totals, by largest remainder (ties: the earlier month). A month with no output gets none."""
    return [int(n) for n in spread(units, np.array(totals, dtype=np.int64))]


def split_claim(claim_id: int, units: int, months: Sequence[tuple[np.ndarray, np.ndarray, str]]) -> Supply:
    """A claim over one or more generation months, each given as (hours, weights, source) in time
    order: units to months by :func:`units_per_month`, in serial order (the first month takes the
    first serials), each month split by :func:`split_units`. ``source`` joins the months' with ``;``."""
    if not months:
        raise HourlyError("profile", "a claim needs a generation profile for each of its generation months")
    counts = units_per_month(units, [int(np.asarray(w, dtype=np.int64).sum()) for _, w, _ in months])
    parts, offset = [], 0
    for (hours, weights, source), n in zip(months, counts, strict=True):
        parts.append(split_units(claim_id, n, hours, weights, source, first_unit=offset))
        offset += n
    return Supply(
        claim_id=claim_id,
        unit_offset=np.concatenate([p.unit_offset for p in parts]),
        hour=np.concatenate([p.hour for p in parts]),
        energy=np.concatenate([p.energy for p in parts]),
        kind=np.concatenate([p.kind for p in parts]),
        source=";".join(source for _, _, source in months),
    )


def profile_hours(profile: GenerationProfile, span: Span) -> tuple[np.ndarray, np.ndarray]:
    """The profile's hours as span indices (int32) and their output (int64 mWh) — all of the month,
    also hours outside the span (negative or ≥ ``span.hours``): units are spread over the whole
    month, as generated, and only then are pieces outside the span left out (:func:`within`);
    spreading over the span's part of a month would crowd the month's units into fewer hours."""
    first = (profile.start - span.start) // HOUR
    if (profile.start - span.start) % HOUR:
        raise HourlyError("profile", f"{profile.batch}: the profile's hours do not fall on the span's hours")
    return np.arange(first, first + profile.energy.size, dtype=np.int32), profile.energy.astype(np.int64)


def contract_hours(source: HourlySource) -> tuple[np.ndarray, np.ndarray]:
    """A green-power contract's metered delivered hours (known, non-zero) and their energy: what its
    bundled certificates are split over instead of a generation profile."""
    hours = np.flatnonzero(source.known & (source.energy > 0)).astype(np.int32)
    return hours, source.energy[hours].astype(np.int64)


def within(supply: Supply, allowed: np.ndarray) -> tuple[Supply, int]:
    """The pieces in hours where ``allowed`` (bool per span hour) is True, and the mWh left out
    (pieces outside the span, or outside the months the claim may cover)."""
    inside = (supply.hour >= 0) & (supply.hour < allowed.size)
    inside[inside] = allowed[supply.hour[inside]]
    dropped = int(supply.energy[~inside].sum())
    if dropped == 0:
        return supply, 0
    kept = Supply(supply.claim_id, supply.unit_offset[inside], supply.hour[inside], supply.energy[inside],
                  supply.kind[inside], supply.source)  # fmt: skip
    return kept, dropped


def _empty(claim_id: int, source: str) -> Supply:
    return Supply(claim_id, np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int64),
                  np.zeros(0, np.int8), source)  # fmt: skip

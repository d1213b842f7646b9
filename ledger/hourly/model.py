"""The shapes hourly (24/7) matching passes between its steps: load → supply → allocation → result.

Everything is counted in whole **milliwatt-hours** (``int``): a meter's decimal kWh converts exactly
(kWh with up to six decimals), integers add without rounding, and where a total must be spread over
hours (a load profile, a certificate's generation profile) the hours are given whole mWh by largest
remainder, so they add up to exactly the total. A figure that does not convert to whole mWh is
refused with its field named, never rounded silently.

Time is a run's :class:`Span`: consecutive hours from ``start`` (unix seconds, on a whole hour).
China time is UTC+8 with no daylight saving, so its hours are UTC hours; days and months are read
in the span's ``utc_offset``. Arrays are numpy, one entry per hour of the span, index
``(t - span.start) // 3600``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum

import numpy as np

HOUR = 3600
MWH = 10**9
"""mWh in one MWh: one certificate unit (GEC, I-REC) is exactly this."""
KWH = 10**6
CHINA = timedelta(hours=8)

LOAD_KINDS = ("grid_electricity", "onsite_renewable_self_consumed")
"""What the factory consumed: the load an hour's CFE score divides by."""
CONTRACT_KIND = "green_power_contract"
GENERATION_KIND = "renewable_generation"
"""Records of a certificate project's hourly output (a generation profile), see ``generation.py``."""
TIERS = ("plant-meter", "grid-settlement", "modelled")
"""Quality tiers of a generation profile, best first."""


@dataclass(frozen=True)
class Span:
    """The hours a run covers: ``hours`` hours from ``start`` (unix seconds, a whole UTC hour)."""

    start: int
    hours: int
    utc_offset: timedelta = CHINA

    def __post_init__(self) -> None:
        if self.start % HOUR or self.hours <= 0:
            raise ValueError("a span starts on a whole hour and has at least one hour")

    @classmethod
    def year(cls, year: int, utc_offset: timedelta = CHINA) -> Span:
        """The calendar year in local time ``utc_offset`` (8,760 or 8,784 hours)."""
        tz = timezone(utc_offset)
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        return cls(int(start.timestamp()), int((end - start).total_seconds()) // HOUR, utc_offset)

    @property
    def end(self) -> int:
        return self.start + self.hours * HOUR

    def index(self, t: int) -> int:
        """The hour index of unix time ``t`` (which must lie in the span)."""
        if not self.start <= t < self.end:
            raise ValueError(f"{t} is outside the span")
        return (t - self.start) // HOUR

    def local(self, i: int) -> datetime:
        """The local start time of hour ``i``."""
        return datetime.fromtimestamp(self.start + i * HOUR, UTC).astimezone(timezone(self.utc_offset))

    def month_index(self) -> np.ndarray:
        """Per hour, its local month as ``year * 12 + month - 1`` (int32)."""
        return np.array([(d.year * 12 + d.month - 1) for d in map(self.local, range(self.hours))], dtype=np.int32)

    def day_index(self) -> np.ndarray:
        """Per hour, its local day as days since 1970-01-01 (int32)."""
        off = int(self.utc_offset.total_seconds())
        t = self.start + off + np.arange(self.hours, dtype=np.int64) * HOUR
        return (t // 86400).astype(np.int32)


@dataclass(frozen=True)
class Gap:
    """Part of a span a source has no reading for: [start, end) unix seconds."""

    start: int
    end: int


@dataclass(frozen=True)
class HourlySource:
    """One source's hourly energy over a span (``load.py`` makes these from anchored records).

    ``known[i]`` is False where the source has no reading for all of hour ``i`` (a gap): that
    hour's figure is unknown, never zero. ``method`` is the source register's declaration
    (``metered``, ``utility-attested``, ``load-profile``, ...); ``resolution`` the readings' length
    in seconds (900, 3600), or 0 for a monthly total spread by ``profile`` (``id@version``).
    """

    source_id: str
    kind: str
    method: str
    resolution: int
    energy: np.ndarray  # int64 mWh per hour
    known: np.ndarray  # bool per hour
    gaps: tuple[Gap, ...] = ()
    profile: str | None = None
    batches: tuple[str, ...] = ()  # "factory_id/period/rN@0xroot" of the anchored batches read


@dataclass(frozen=True)
class GenerationProfile:
    """A certificate project's hourly output in one generation month, from anchored records.

    Signed by ``attestor`` (the factory itself, or a generator or exchange registered as a site).
    ``energy`` covers the hours of ``period`` only (index 0 = the month's first local hour).
    """

    registry: str
    project_id: str
    period: str
    tier: str
    attestor: str
    batch: str  # "factory_id/period/rN@0xroot"
    start: int  # unix seconds of the month's first hour
    energy: np.ndarray  # int64 mWh per hour of the month
    missing: tuple[int, ...] = ()  # hours of the month with no reading: such a profile is refused, never zero-filled

    @property
    def total(self) -> int:
        return int(self.energy.sum())


class PieceKind(IntEnum):
    """How a unit's 1 MWh falls into an hour (``pieces.py``)."""

    WHOLE = 0  # the whole unit lies in this hour
    REMAINDER = 1  # part of a split unit that does not complete it: the rest of an hour's output
    FILLER = 2  # the part of a split unit, from a later hour, that completes it to exactly 1 MWh


@dataclass(frozen=True)
class Supply:
    """A claim's units as they fall into hours: parallel arrays, one entry per piece.

    A unit (``unit_offset`` from the claim's first serial) is split into pieces inside its
    generation month whose ``energy`` adds up to exactly :data:`MWH`. ``hour`` indexes the run's span
    (pieces outside it are dropped before matching and counted apart).
    """

    claim_id: int
    unit_offset: np.ndarray  # int64
    hour: np.ndarray  # int32, index in the span
    energy: np.ndarray  # int64 mWh
    kind: np.ndarray  # int8 PieceKind
    source: str  # "profile:<batch>" or "contract:<source_id>"


@dataclass(frozen=True)
class ClaimInput:
    """What matching needs to know of one on-chain claim, decided before the engine runs."""

    claim_id: int
    registry: str
    block_id: str
    serial_start: int
    serial_end: int
    project_id: str
    generation_start: str
    generation_end: str
    expiry: str  # "YYYY-MM-DD": last day the units may be used; order key 1
    vintage: str  # generation month "YYYY-MM"; order key 2
    usable: bool  # eligible, deliverable, valid, not a credit (CCER): only these supply hours
    reasons: tuple[str, ...] = ()  # why not usable (message ids), or notes
    deliverability: str = ""  # the rule that held: same_province | same_regional_grid | national | ""


@dataclass(frozen=True)
class Allocation:
    """Every piece of every usable claim and what the engine allocated to it (parallel arrays).

    Sorted in allocation order: hour, then contract pieces before certificate pieces, then expiry,
    vintage, claim's first serial, claim id, unit, piece (input order).
    ``allocated <= energy`` for each piece; per hour ``sum(allocated) <= load - onsite - contract``.
    """

    claim_index: np.ndarray  # int32 → MatchingResult.claims
    unit_offset: np.ndarray  # int64
    hour: np.ndarray  # int32
    energy: np.ndarray  # int64 mWh the piece carries
    allocated: np.ndarray  # int64 mWh of it matched to load
    kind: np.ndarray  # int8 PieceKind


@dataclass(frozen=True)
class HourTotals:
    """Per hour of the span (int64 mWh, ``known`` bool): what the engine saw and did."""

    load: np.ndarray
    grid: np.ndarray
    onsite: np.ndarray
    contract: np.ndarray  # contract energy counted (certified by its bundled GEC)
    certificates: np.ndarray  # certificate energy offered in the hour
    matched: np.ndarray  # = min(load, onsite + contract + certificates); 0 where not known (unscored)
    excess: np.ndarray  # supply the hour could not use: lost, never carried; 0 where not known
    known: np.ndarray  # False where any load source has a gap: the hour is not scored
    metered: np.ndarray  # load from metered or utility-attested sources
    profiled: np.ndarray  # load from load-profile sources


@dataclass(frozen=True)
class MatchingResult:
    """The engine's output: inputs named, hour totals, every allocation."""

    span: Span
    claims: tuple[ClaimInput, ...]
    hours: HourTotals
    allocation: Allocation
    parameters: dict[str, str] = field(default_factory=dict)  # rule ids@versions, order, residual factor...
    gaps: tuple[tuple[str, Gap], ...] = ()  # (source id, gap) of the load sources: the unscored hours' cause
    claim_sources: tuple[tuple[str, ...], ...] = ()  # per claim: the ``Supply.source`` of its pieces
    offered: tuple[int, ...] = ()  # per claim: mWh its pieces carry inside the span (usable or not)

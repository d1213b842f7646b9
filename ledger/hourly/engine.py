"""Hourly matching: each hour's load met by on-site output, then contract and certificate pieces.

Per hour of the span (design item 5):

- **load** = the sum of every :data:`~ledger.hourly.model.LOAD_KINDS` source (grid + on-site
  self-consumption); the hour is **known** only if every load source has a reading for all of it.
  An unknown hour is unscored: nothing is allocated in it and its supply is counted apart, neither
  matched nor excess (an unread hour is not an hour of zero load).
- **on-site** self-consumption is matched first and in full: it is consumption and its own supply.
- then **contract** pieces (a green-power contract's bundled GEC split over its delivered hours),
  then **certificate** pieces of usable claims, each step in the order (expiry, vintage, the claim's
  first serial, claim id, unit, piece): what expires first is used first, so nothing usable is lost
  to a later one. ``matched = min(load, supply)``; the last piece used may be allocated in part;
  what is left is **excess**, lost that hour and never carried to another (a certificate's energy
  was generated in its hour).
- pieces of claims that are not usable are never allocated: their claim is listed with its reasons.

The arithmetic is whole-array numpy on int64 mWh (no loop over hours or pieces): the pieces are
sorted once into allocation order (hour, step, claim's rank, unit, piece) by ``np.lexsort``; in a
sorted run the energy before each piece *within its hour* is the running sum minus the running sum
at the hour's first piece, so a piece gets ``clip(room − before, 0, energy)`` where ``room`` is the
hour's load left after on-site output. :mod:`ledger.hourly.loop` does the same one hour and one
piece at a time, readably; the tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ledger.hourly.errors import HourlyError
from ledger.hourly.model import (
    LOAD_KINDS,
    Allocation,
    ClaimInput,
    Gap,
    HourlySource,
    HourTotals,
    MatchingResult,
    Span,
    Supply,
)

METERED = frozenset({"metered", "utility-attested"})
"""Source methods whose load counts as metered (``measurement-methods.toml``)."""
PROFILED = frozenset({"load-profile"})
"""Source methods whose load was spread over hours by a standard profile."""
CONTRACT = "contract:"
"""``Supply.source`` prefix of a green-power contract's pieces: they supply before certificates."""


@dataclass(frozen=True)
class Inputs:
    """The engine's inputs checked and read once (shared with :mod:`ledger.hourly.loop`)."""

    claims: tuple[ClaimInput, ...]
    index: dict[int, int]  # claim id → position in ``claims``
    sources: tuple[HourlySource, ...]  # the load sources, energies as int64
    supplies: tuple[Supply, ...]
    gaps: tuple[tuple[str, Gap], ...]
    claim_sources: tuple[tuple[str, ...], ...]


def checked(
    span: Span, sources: Sequence[HourlySource], claims: Sequence[ClaimInput], supplies: Sequence[Supply]
) -> Inputs:
    """Refuse inputs the engine cannot read: arrays of the wrong length, negative energy, a supply of
    a claim not given, a claim given twice."""
    claims = tuple(claims)
    index: dict[int, int] = {}
    for i, claim in enumerate(claims):
        if claim.claim_id in index:
            raise HourlyError("claims", f"claim {claim.claim_id} is given twice")
        index[claim.claim_id] = i
    load = []
    for s in sources:
        if s.kind not in LOAD_KINDS:
            continue
        if len(s.energy) != span.hours or len(s.known) != span.hours:
            raise HourlyError("sources", f"source {s.source_id}: {len(s.energy)} hours, the span has {span.hours}")
        if len(s.energy) and int(np.min(s.energy)) < 0:
            raise HourlyError("sources", f"source {s.source_id}: negative energy")
        load.append(s)
    names: list[list[str]] = [[] for _ in claims]
    for supply in supplies:
        if supply.claim_id not in index:
            raise HourlyError("supplies", f"supply of claim {supply.claim_id}, which is not among the claims")
        n = len(supply.energy)
        if not (len(supply.unit_offset) == len(supply.hour) == len(supply.kind) == n):
            raise HourlyError("supplies", f"claim {supply.claim_id}: piece arrays of different lengths")
        if n and int(np.min(supply.energy)) < 0:
            raise HourlyError("supplies", f"claim {supply.claim_id}: negative energy")
        own = names[index[supply.claim_id]]
        if supply.source not in own:
            own.append(supply.source)
    gaps = tuple((s.source_id, g) for s in load for g in s.gaps)
    return Inputs(claims, index, tuple(load), tuple(supplies), gaps, tuple(tuple(n) for n in names))


def claim_ranks(claims: Sequence[ClaimInput]) -> np.ndarray:
    """Each claim's place in the order certificates are used: expiry, vintage, first serial, id."""
    order = sorted(range(len(claims)), key=lambda i: _order_key(claims[i]))
    ranks = np.empty(len(claims), dtype=np.int64)
    ranks[order] = np.arange(len(claims), dtype=np.int64)
    return ranks


def _order_key(claim: ClaimInput) -> tuple[str, str, int, int]:
    return (claim.expiry, claim.vintage, claim.serial_start, claim.claim_id)


def match(
    span: Span,
    sources: Sequence[HourlySource],
    claims: Sequence[ClaimInput],
    supplies: Sequence[Supply],
    parameters: Mapping[str, str] = {},  # noqa: B006 - read only
) -> MatchingResult:
    """Match every hour of ``span`` (see the module's docstring); arrays in, arrays out."""
    inputs = checked(span, sources, claims, supplies)
    hours = span.hours
    grid, onsite, known, metered, profiled = _load(hours, inputs.sources)
    load = grid + onsite
    pieces, offered = _pieces(hours, inputs)
    ranks = claim_ranks(inputs.claims)
    hour, step = pieces["hour"], pieces["step"]
    n_claims = max(len(inputs.claims), 1)
    order = np.lexsort((pieces["unit_offset"], (hour * 2 + step) * n_claims + ranks[pieces["claim_index"]]))
    p = {name: values[order] for name, values in pieces.items()}
    hour, energy = p["hour"], p["energy"]

    counts = np.bincount(hour, minlength=hours)
    starts = np.cumsum(counts) - counts
    before = np.cumsum(energy) - energy  # energy of the pieces ahead of each, from the first hour
    first = np.zeros(hours, dtype=np.int64)
    filled = counts > 0
    first[filled] = before[starts[filled]]
    room = np.where(known, grid, 0)  # what is left of the load once on-site output has met its share
    allocated = np.clip(room[hour] - (before - first[hour]), 0, energy)

    contract = _per_hour(np.where(p["step"] == 0, energy, 0), starts, counts)
    certificates = _per_hour(np.where(p["step"] == 1, energy, 0), starts, counts)
    used = np.minimum(room, contract + certificates)
    totals = HourTotals(
        load=load,
        grid=grid,
        onsite=onsite,
        contract=contract,
        certificates=certificates,
        matched=np.where(known, onsite + used, 0),
        excess=np.where(known, contract + certificates - used, 0),
        known=known,
        metered=metered,
        profiled=profiled,
    )
    allocation = Allocation(
        claim_index=p["claim_index"].astype(np.int32),
        unit_offset=p["unit_offset"],
        hour=hour.astype(np.int32),
        energy=energy,
        allocated=allocated,
        kind=p["kind"],
    )
    return MatchingResult(
        span, inputs.claims, totals, allocation, dict(parameters), inputs.gaps, inputs.claim_sources,
        tuple(int(x) for x in offered),
    )  # fmt: skip


def _load(hours: int, sources: Sequence[HourlySource]) -> tuple[np.ndarray, ...]:
    """Per hour: grid, on-site, known, metered and profiled load (int64 mWh; known bool)."""
    grid = np.zeros(hours, dtype=np.int64)
    onsite = np.zeros(hours, dtype=np.int64)
    metered = np.zeros(hours, dtype=np.int64)
    profiled = np.zeros(hours, dtype=np.int64)
    known = np.ones(hours, dtype=bool)
    for s in sources:
        energy = np.asarray(s.energy, dtype=np.int64)
        if s.kind == "grid_electricity":
            grid += energy
        else:
            onsite += energy
        if s.method in METERED:
            metered += energy
        elif s.method in PROFILED:
            profiled += energy
        known &= np.asarray(s.known, dtype=bool)
    return grid, onsite, known, metered, profiled


def _pieces(hours: int, inputs: Inputs) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The usable claims' pieces inside the span, concatenated in input order, and per claim the
    energy its pieces carry in the span (``offered``, usable or not). Pieces outside the span are
    dropped (the run covers its span only)."""
    offered = np.zeros(len(inputs.claims), dtype=np.int64)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("claim_index", "unit_offset", "hour", "energy", "kind")}
    steps: list[np.ndarray] = []
    for supply in inputs.supplies:
        i = inputs.index[supply.claim_id]
        hour = np.asarray(supply.hour, dtype=np.int64)
        inside = (hour >= 0) & (hour < hours)
        energy = np.asarray(supply.energy, dtype=np.int64)[inside]
        offered[i] += int(energy.sum())
        if not inputs.claims[i].usable:
            continue
        parts["claim_index"].append(np.full(len(energy), i, dtype=np.int64))
        parts["unit_offset"].append(np.asarray(supply.unit_offset, dtype=np.int64)[inside])
        parts["hour"].append(hour[inside])
        parts["energy"].append(energy)
        parts["kind"].append(np.asarray(supply.kind, dtype=np.int8)[inside])
        steps.append(np.full(len(energy), 0 if supply.source.startswith(CONTRACT) else 1, dtype=np.int64))
    out = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int8 if k == "kind" else np.int64)
           for k, v in parts.items()}  # fmt: skip
    out["step"] = np.concatenate(steps) if steps else np.zeros(0, dtype=np.int64)
    return out, offered


def _per_hour(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sums of ``values`` (sorted by hour) per hour, exactly in int64 (``bincount`` would go through
    float64)."""
    sums = np.zeros(len(counts), dtype=np.int64)
    filled = counts > 0
    if filled.any():
        sums[filled] = np.add.reduceat(values, starts[filled])
    return sums

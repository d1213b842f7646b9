"""Hourly matching one hour and one piece at a time: the readable reference for :mod:`ledger.hourly.engine`.

The same rules as the engine (see its docstring), written as a person would work them by hand:
for each hour, add up the load, take on-site output first, then walk that hour's pieces in order
(contracts, then certificates by expiry, vintage, first serial, claim, unit, piece) and give each
what is left of the load. Python ints, lists and dicts; no numpy arithmetic. The tests hold its
result equal to the engine's on random inputs, and the hourly benchmark times it as the baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from ledger.hourly.engine import CONTRACT, METERED, PROFILED, checked
from ledger.hourly.model import Allocation, ClaimInput, HourlySource, HourTotals, MatchingResult, Span, Supply


def match(span: Span, sources: Sequence[HourlySource], claims: Sequence[ClaimInput], supplies: Sequence[Supply],
          parameters: Mapping[str, str] = {}) -> MatchingResult:  # noqa: B006 - read only  # fmt: skip
    """Match every hour of ``span``, hour by hour: ``engine.match``'s interface and result."""
    hours, inputs = span.hours, checked(span, sources, claims, supplies)
    totals: dict[str, list[int]] = {k: [0] * hours for k in ("grid", "onsite", "metered", "profiled")}
    known = [True] * hours
    for source in inputs.sources:
        into = "grid" if source.kind == "grid_electricity" else "onsite"
        for h, (energy, read) in enumerate(zip(source.energy.tolist(), source.known.tolist(), strict=True)):
            totals[into][h] += energy
            if source.method in METERED:
                totals["metered"][h] += energy
            elif source.method in PROFILED:
                totals["profiled"][h] += energy
            known[h] = known[h] and bool(read)

    offered = [0] * len(inputs.claims)
    by_hour: dict[int, list[dict[str, int]]] = defaultdict(list)
    for supply in inputs.supplies:
        i = inputs.index[supply.claim_id]
        claim = inputs.claims[i]
        step = 0 if supply.source.startswith(CONTRACT) else 1
        for unit, hour, energy, kind in zip(supply.unit_offset.tolist(), supply.hour.tolist(),
                                            supply.energy.tolist(), supply.kind.tolist(), strict=True):  # fmt: skip
            if not 0 <= hour < hours:
                continue  # outside the run's span
            offered[i] += energy
            if claim.usable:
                by_hour[hour].append({"claim": i, "unit": unit, "hour": hour, "energy": energy, "kind": kind,
                                      "step": step, "seq": len(by_hour[hour])})  # fmt: skip

    def order(piece: dict[str, int]) -> tuple[object, ...]:
        claim = inputs.claims[piece["claim"]]
        return (piece["step"], claim.expiry, claim.vintage, claim.serial_start, claim.claim_id, piece["unit"],
                piece["seq"])  # fmt: skip

    hourly: dict[str, list[int]] = {k: [0] * hours for k in ("contract", "certificates", "matched", "excess")}
    done: list[dict[str, int]] = []
    for h in range(hours):
        pieces = sorted(by_hour.get(h, []), key=order)
        left = totals["grid"][h] if known[h] else 0  # the load on-site output did not meet
        offered_here = 0
        for piece in pieces:
            energy = piece["energy"]
            hourly["contract" if piece["step"] == 0 else "certificates"][h] += energy
            offered_here += energy
            piece["allocated"] = min(left, energy)
            left -= piece["allocated"]
            done.append(piece)
        if known[h]:
            used = min(totals["grid"][h], offered_here)
            hourly["matched"][h] = totals["onsite"][h] + used
            hourly["excess"][h] = offered_here - used

    def column(name: str, dtype: type) -> np.ndarray:
        return np.array([p[name] for p in done], dtype=dtype)

    def arr(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    grid, onsite = arr(totals["grid"]), arr(totals["onsite"])
    result_hours = HourTotals(
        load=grid + onsite, grid=grid, onsite=onsite, contract=arr(hourly["contract"]),
        certificates=arr(hourly["certificates"]), matched=arr(hourly["matched"]), excess=arr(hourly["excess"]),
        known=np.array(known, dtype=bool), metered=arr(totals["metered"]), profiled=arr(totals["profiled"]),
    )  # fmt: skip
    allocation = Allocation(
        claim_index=column("claim", np.int32), unit_offset=column("unit", np.int64), hour=column("hour", np.int32),
        energy=column("energy", np.int64), allocated=column("allocated", np.int64), kind=column("kind", np.int8),
    )  # fmt: skip
    return MatchingResult(
        span, inputs.claims, result_hours, allocation, dict(parameters), inputs.gaps, inputs.claim_sources,
        tuple(offered),
    )  # fmt: skip

"""Hourly (24/7) matching at a large factory's scale: a year of hourly load, thousands of claims.

A synthetic, seeded year (2025, China time): 50 load meters (grid meters of a two-shift plant with
a night shift, a few of them with gaps; on-site PV self-consumption; two sources spread by a load
profile) and 2,000 claims of 50–2,000 units each (GEC and I-REC; solar and wind projects, each a
generation month with a full hourly profile shaped by daylight, season, clouds and gusts; a few
green-power contracts; one in twenty not usable). The claims' units are cut into hour pieces by
``ledger/hourly/pieces.py`` (largest remainder over the month's profile, then units laid in serial
order), timed apart. Then ``engine.match`` and
``results.summarize`` are timed, and ``loop.match`` (the per-hour Python reference) on the same data
in the same run is the baseline (on the first quarter of the year, scaled by pieces, when the
whole year would take minutes); the two results are compared array for array.

The figures are for one core: ``benchmarks.run`` pins the process (``--all-cores`` lifts it), and
running this module alone pins it the same way.

Run: .venv/bin/python -m benchmarks.bench_hourly [--quick]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import TypeVar

import numpy as np

from benchmarks.common import Row
from ledger.hourly import engine, loop
from ledger.hourly.model import ClaimInput, Gap, HourlySource, MatchingResult, Span, Supply
from ledger.hourly.pieces import split_units
from ledger.hourly.results import summarize

SECTION = "hourly matching"
TARGET_SECONDS = 5.0
YEAR = 2025
T = TypeVar("T")
RESIDUAL = Fraction("0.6205")  # tCO2/MWh, a stand-in residual-mix factor: the figure does not change the time


def _local_hours(span: Span) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hour of the span: local hour of day, day of year, month (0–11)."""
    days = span.day_index()
    hour_of_day = np.arange(span.hours) % 24  # the span starts at local midnight
    return hour_of_day, days - days[0], span.month_index() % 12


def load_sources(span: Span, meters: int, rng: np.random.Generator) -> list[HourlySource]:
    """``meters`` load sources: grid meters of a plant with day and night shifts (some with a gap of
    a few hours), three on-site PV meters, two sources spread by a load profile."""
    hod, doy, _ = _local_hours(span)
    shift = np.where((hod >= 8) & (hod < 20), 1.0, 0.55) * np.where(doy % 7 == 6, 0.6, 1.0)
    daylight = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None)
    out = []
    for m in range(meters):
        if m < 3:
            kind, method = "onsite_renewable_self_consumed", "metered"
            mwh = 0.8 * daylight * rng.uniform(0.3, 1.0, span.hours)
        else:
            kind, method = "grid_electricity", "load-profile" if m < 5 else "metered"
            mwh = rng.uniform(2.0, 6.0) * shift * rng.normal(1.0, 0.08, span.hours).clip(0.5, 1.5)
        energy = np.round(mwh * 10**6).astype(np.int64) * 1000  # whole kWh, as meters read
        known = np.ones(span.hours, dtype=bool)
        gaps: tuple[Gap, ...] = ()
        if m % 10 == 9:  # a meter that lost a few hours once
            first = int(rng.integers(0, span.hours - 12))
            known[first : first + int(rng.integers(1, 12))] = False
            energy[~known] = 0
            gaps = (Gap(span.start + first * 3600, span.start + int(np.flatnonzero(known[first:])[0] + first) * 3600),)
        resolution = 0 if method == "load-profile" else 900
        out.append(HourlySource(f"meter-{m:03d}", kind, method, resolution, energy, known, gaps))
    return out


def claims_and_supplies(span: Span, count: int, rng: np.random.Generator) -> tuple[list[ClaimInput], list[Supply]]:
    """``count`` claims of 50–2,000 units (log-uniform), each a generation month of a solar or wind
    project with a full hourly profile; pieces cut by ``pieces.split_units``."""
    hod, doy, month = _local_hours(span)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(month)) + 1, [span.hours]))
    season = 1 + 0.25 * np.cos((doy - 172) / 365 * 2 * np.pi)
    solar = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None) * season
    claims: list[ClaimInput] = []
    supplies: list[Supply] = []
    serial = 10**9
    for claim_id in range(1, count + 1):
        m = int(rng.integers(0, 12))
        a, b = int(starts[m]), int(starts[m + 1])
        if rng.random() < 0.6:  # solar: daylight, season, a cloud factor per day
            clouds = np.repeat(rng.uniform(0.2, 1.0, (b - a) // 24 + 1), 24)[: b - a]
            shape = solar[a:b] * clouds
        else:  # wind: a slow random walk with a night bump
            walk = np.abs(np.cumsum(rng.normal(0, 0.15, b - a))) % 2
            shape = np.abs(1 - walk) * (1 + 0.3 * np.cos(hod[a:b] / 24 * 2 * np.pi))
        weights = np.round(shape * 10**4).astype(np.int64)
        units = int(np.exp(rng.uniform(np.log(50), np.log(2000))))
        registry = "GEC" if rng.random() < 0.8 else "I-REC"
        contract = claim_id % 100 == 0
        usable = claim_id % 20 != 7
        expiry = f"{YEAR + (2 if registry == 'GEC' else 1)}-{m + 1:02d}-28"
        claims.append(
            ClaimInput(
                claim_id, registry, f"BLK-{claim_id}", serial, serial + units - 1, f"PRJ-{claim_id % 300}",
                f"{YEAR}-{m + 1:02d}", f"{YEAR}-{m + 1:02d}", expiry, f"{YEAR}-{m + 1:02d}", usable,
                () if usable else ("hourly.not_deliverable",), "same_province" if usable else "",
            )
        )  # fmt: skip
        serial += units + int(rng.integers(0, 1000))
        source = f"contract:gpc-{claim_id}" if contract else f"profile:GEN-{claim_id % 300}/{YEAR}-{m + 1:02d}/r1"
        hours = np.arange(a, b, dtype=np.int32)
        supplies.append(split_units(claim_id, units, hours[weights > 0], weights[weights > 0], source))
    return claims, supplies


def same(a: MatchingResult, b: MatchingResult) -> bool:
    """Two results hold equal arrays (hour totals and allocation) and the same per-claim figures."""
    fields = ("load", "grid", "onsite", "contract", "certificates", "matched", "excess", "known", "metered", "profiled")
    hours = all(np.array_equal(getattr(a.hours, f), getattr(b.hours, f)) for f in fields)
    alloc = ("claim_index", "unit_offset", "hour", "energy", "allocated", "kind")
    allocation = all(np.array_equal(getattr(a.allocation, f), getattr(b.allocation, f)) for f in alloc)
    return hours and allocation and a.offered == b.offered and a.claim_sources == b.claim_sources


def first_months(span: Span, sources: list[HourlySource], supplies: list[Supply], hours: int) -> tuple:
    """The same inputs cut to the span's first ``hours`` hours (the loop's share when it is slow)."""
    part = Span(span.start, hours, span.utc_offset)
    cut = [replace(s, energy=s.energy[:hours], known=s.known[:hours],
                   gaps=tuple(g for g in s.gaps if g.start < part.end)) for s in sources]  # fmt: skip
    kept = []
    for s in supplies:
        inside = s.hour < hours
        if inside.any():
            kept.append(replace(s, unit_offset=s.unit_offset[inside], hour=s.hour[inside], energy=s.energy[inside],
                                kind=s.kind[inside]))  # fmt: skip
    return part, cut, kept


def best_of(times: int, fn: Callable[[], T]) -> tuple[float, float, T]:
    """The least wall and CPU seconds of ``times`` calls (the machine's other work only adds), and
    the last result."""
    wall, cpu = [], []
    for _ in range(times):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu), result


def run(quick: bool = False) -> list[Row]:
    meters, count = (10, 100) if quick else (50, 2000)
    rng = np.random.default_rng(17)
    span = Span.year(YEAR)
    sources = load_sources(span, meters, rng)
    build, build_cpu, (claims, supplies) = best_of(1, lambda: claims_and_supplies(span, count, rng))
    pieces = sum(len(s.energy) for s in supplies)
    units = sum(c.serial_end - c.serial_start + 1 for c in claims)

    seconds, cpu, result = best_of(3, lambda: engine.match(span, sources, claims, supplies))
    summary_seconds, summary_cpu, summary = best_of(3, lambda: summarize(result, RESIDUAL, None))
    # the loop on the whole year when quick, else on its first quarter (Jan–Mar) scaled by pieces:
    # its cost is one Python step per piece (2,000,000) and per meter-hour (438,000)
    part_hours = span.hours if quick else int(np.flatnonzero(span.month_index() == YEAR * 12 + 3)[0])
    part, part_sources, part_supplies = first_months(span, sources, supplies, part_hours)
    part_pieces = sum(len(s.energy) for s in part_supplies)
    loop_wall, loop_cpu, reference = best_of(1, lambda: loop.match(part, part_sources, claims, part_supplies))
    if not same(engine.match(part, part_sources, claims, part_supplies), reference):
        raise RuntimeError("engine and loop gave different results")
    scale = pieces / part_pieces
    baseline, baseline_cpu = loop_wall * scale, loop_cpu * scale

    size = f"{meters} meters × {span.hours:,} h, {count:,} claims"
    share = (
        "the whole year"
        if part_hours == span.hours
        else (f"its first {part_hours:,} h ({part_pieces:,} pieces: {loop_wall:.1f} s) scaled by pieces ×{scale:.2f}")
    )
    note = (f"{units:,} units in {pieces:,} hour pieces; CFE {summary['cfe']['year']}, "
            f"{summary['hours']['deficit']:,} deficit hours; best of 3, CPU {cpu:.2f} s; loop run on {share}, "
            f"CPU {baseline_cpu:.1f} s; engine and loop equal array for array there")  # fmt: skip
    return [
        Row(SECTION, f"a year matched ({size}; engine.match)", seconds, "s", baseline=baseline,
            baseline_name="loop.match (per-hour Python)", target=None if quick else TARGET_SECONDS, note=note),
        Row(SECTION, f"the same year's results JSON (results.summarize, {span.hours:,} h)", summary_seconds, "s",
            note=f"best of 3, CPU {summary_cpu:.2f} s"),
        Row(SECTION, f"units cut into hour pieces ({count:,} claims; pieces.split_units)", build, "s",
            note=f"largest remainder over each month's profile, units laid in serial order; CPU {build_cpu:.2f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    for row in run(quick="--quick" in sys.argv):
        print(row)

"""How certificates are matched to the grid electricity they make renewable: three methods, exactly.

A certificate (GEC, I-REC: one unit = one MWh) makes grid electricity renewable only if it is
matched to consumption. How close in time the match must be is the method (named in every report,
chosen per evaluation; the methods' names, texts and sources are data: ``matching.toml``):

- ``claim_period`` (the default): a claim covers only grid electricity consumed in its own declared
  consumption months, pooled over those months. What a claim has beyond the consumption left in its
  months is not counted anywhere else: it is an over-claim of its own period (an :class:`Excess`).
- ``monthly``: each claim's units are spread evenly over its months (as
  :func:`~ledger.claims.allocation.allocated_units` does), or as the eligible units per month given
  say, and each month is covered by at most its own grid use.
- ``annual``: the year's certificates cover the year's grid use, netted across claims and months.

**The order in ``claim_period``** (several claims over the same months share that consumption):
months are filled earliest first; within a month the claim whose months end first takes first,
then the one whose months start first, then the lowest claim id. A claim that could still use a
later month thus leaves this month to one that cannot, so a shortfall is reported only where the
consumption really is not there (earliest-deadline-first is optimal for consecutive months), and the
same claims always give the same result. A claim that shares none of its months with another covers
each of its months in proportion to that month's grid use (the same total, spread as consumed).

Every figure is a :class:`~fractions.Fraction`; per-month coverage always adds up to the total,
whatever the method, so monthly market-based Scope 2 adds up to the year.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from ledger.claims.allocation import _month_count
from ledger.claims.findings import ClaimedRetirement

CLAIM_PERIOD = "claim_period"
MONTHLY = "monthly"
ANNUAL = "annual"
METHODS = (CLAIM_PERIOD, MONTHLY, ANNUAL)
DEFAULT_METHOD = CLAIM_PERIOD
RULES_FILE = Path(__file__).resolve().parent / "matching.toml"
ZERO = Fraction(0)
_NAMED = 10
"""An over-claim names at most this many of the claims it shares months with (and counts the rest)."""

EligibleUnits = Mapping[int, Mapping[str, Fraction]]
"""claim id → consumption month → the claim's units eligible for that month (eligibility's say)."""


@dataclass(frozen=True)
class Supply:
    """One certificate claim as matching sees it: the units it may put on each consumption month.

    Only months of the evaluation period with units above zero are kept, so a month the claim may
    not cover (outside its declared months, or ineligible) is never in its pool.
    """

    claim_id: int
    units: Mapping[str, Fraction]

    @cached_property
    def total(self) -> Fraction:
        return sum(self.units.values(), ZERO)

    @cached_property
    def span(self) -> tuple[str, str]:
        return (min(self.units), max(self.units))


@dataclass(frozen=True)
class Excess:
    """Certificates matching could not count: ``claimed`` MWh against ``consumption`` MWh of grid
    use in ``span`` (first, last month), of which ``counted`` were counted."""

    claim_ids: tuple[int, ...]
    span: tuple[str, str]
    claimed: Fraction
    counted: Fraction
    consumption: Fraction
    sharing: tuple[int, ...] = ()  # the lowest ids of other claims whose months overlap (claim_period)
    shared_with: int = 0  # how many other claims' months overlap

    @property
    def excess(self) -> Fraction:
        return self.claimed - self.counted


@dataclass(frozen=True)
class Match:
    """What one method counts: ``covered`` MWh per month (each at most that month's grid use),
    ``counted`` MWh per claim, and every :class:`Excess`."""

    method: str
    grid: Mapping[str, Fraction]
    covered: dict[str, Fraction]
    counted: dict[int, Fraction]
    excess: list[Excess] = field(default_factory=list)

    @property
    def total(self) -> Fraction:
        return sum(self.covered.values(), ZERO)


def supplies(
    claims: Iterable[ClaimedRetirement], months: Sequence[str], eligible: EligibleUnits | None = None
) -> list[Supply]:
    """Each claim's units per month of ``months``: the eligible units given for it, else its units
    spread evenly over its declared consumption months (as :func:`~ledger.claims.allocation.allocated_units`
    spreads them). Claims with no
    unit in ``months`` are left out."""
    found = []
    for c in claims:
        given = None if eligible is None else eligible.get(c.claim_id)
        if given is not None:
            units = {m: Fraction(given[m]) for m in months if given.get(m, ZERO) > 0}
        else:  # allocated_units(claim, m, m) for each month: units ÷ its months, in each of its months
            start, end = c.claim.consumption_start, c.claim.consumption_end
            per_month = Fraction(c.claim.units, _month_count(start, end))
            units = {m: per_month for m in months if start <= m <= end and per_month > 0}
        if units:
            found.append(Supply(c.claim_id, units))
    return found


def match(method: str, grid: Mapping[str, Fraction], claims: Sequence[Supply]) -> Match:
    """Certificates ``claims`` matched to ``grid`` (MWh per month of the period) by ``method``."""
    if method not in METHODS:
        raise ValueError(f"matching: must be one of {', '.join(METHODS)}, got {method!r}")
    return {CLAIM_PERIOD: _claim_period, MONTHLY: _monthly, ANNUAL: _annual}[method](grid, claims)


def _claim_period(grid: Mapping[str, Fraction], claims: Sequence[Supply]) -> Match:
    left = {s.claim_id: s.total for s in claims}
    covered = {m: ZERO for m in grid}
    for month in sorted(grid):
        room = grid[month]
        takers = sorted((s for s in claims if month in s.units), key=lambda s: (s.span[1], s.span[0], s.claim_id))
        for s in takers:
            if room <= 0:
                break
            take = min(room, left[s.claim_id])
            left[s.claim_id] -= take
            covered[month] += take
            room -= take
    counted = {s.claim_id: s.total - left[s.claim_id] for s in claims}
    by_month: dict[str, set[int]] = {}
    for s in claims:
        for m in s.units:
            by_month.setdefault(m, set()).add(s.claim_id)
    for s in claims:  # a claim alone in its months covers each of them in proportion to its grid use
        pooled = sum((grid.get(m, ZERO) for m in s.units), ZERO)
        if pooled and all(by_month[m] == {s.claim_id} for m in s.units):
            for m in s.units:
                covered[m] = counted[s.claim_id] * grid.get(m, ZERO) / pooled
    sharing: dict[frozenset[str], list[int]] = {}  # claims with the same months share one sorted list
    excess = []
    for s in sorted(claims, key=lambda s: s.claim_id):
        if left[s.claim_id] <= 0:
            continue
        key = frozenset(s.units)
        if key not in sharing:
            sharing[key] = sorted(set().union(*(by_month[m] for m in key)))
        others = sharing[key]
        pooled = sum((grid.get(m, ZERO) for m in s.units), ZERO)
        named = tuple(i for i in others[: _NAMED + 1] if i != s.claim_id)[:_NAMED]
        excess.append(Excess((s.claim_id,), s.span, s.total, counted[s.claim_id], pooled, named, len(others) - 1))
    return Match(CLAIM_PERIOD, grid, covered, counted, excess)


def _monthly(grid: Mapping[str, Fraction], claims: Sequence[Supply]) -> Match:
    covered: dict[str, Fraction] = {}
    counted = {s.claim_id: ZERO for s in claims}
    excess = []
    for month in sorted(grid):
        here = [s for s in claims if month in s.units]
        supply = sum((s.units[month] for s in here), ZERO)
        covered[month] = min(grid[month], supply)
        for s in here:  # a month short of grid use counts each claim's part pro rata
            counted[s.claim_id] += s.units[month] * covered[month] / supply
        if supply > grid[month]:
            ids = tuple(sorted(s.claim_id for s in here))
            excess.append(Excess(ids, (month, month), supply, covered[month], grid[month]))
    return Match(MONTHLY, grid, covered, counted, excess)


def _annual(grid: Mapping[str, Fraction], claims: Sequence[Supply]) -> Match:
    consumption = sum(grid.values(), ZERO)
    supply = sum((s.total for s in claims), ZERO)
    total = min(consumption, supply)
    share = ZERO if consumption == 0 else total / consumption  # spread like the grid use, so months add up
    covered = {m: grid[m] * share for m in grid}
    counted = {s.claim_id: (ZERO if supply == 0 else s.total * total / supply) for s in claims}
    excess = []
    if supply > consumption and grid:
        ids = tuple(sorted(s.claim_id for s in claims))
        excess.append(Excess(ids, (min(grid), max(grid)), supply, total, consumption))
    return Match(ANNUAL, grid, covered, counted, excess)


@cache
def matching_rules() -> dict[str, Any]:
    """``matching.toml``: the methods' names, texts and sources, and why the default is what it is."""
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    methods = {m["id"]: m for m in data["method"]}
    if tuple(methods) != METHODS or data["matching"]["default"] != DEFAULT_METHOD:
        raise ValueError(f"{RULES_FILE}: methods must be {', '.join(METHODS)} with default {DEFAULT_METHOD}")
    return {"meta": data["matching"], "methods": methods}


def whole_unit_remainder() -> Fraction:
    """The surplus below which certificates beyond consumption are a remainder of whole units, not an
    over-claim (``whole_unit_remainder_mwh`` in ``matching.toml``)."""
    return Fraction(matching_rules()["meta"]["whole_unit_remainder_mwh"])

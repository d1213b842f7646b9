"""A factory's year at a glance, for its page: monthly electricity, energy and emissions by scope,
and renewable electricity against the levels of the rule file — from anchored data only.

The figures are the evaluation's own (:meth:`EvaluationService.inventory`: each month's latest
anchored revision, every record re-hashed and its root compared with the chain's), under one named
factor set and the national grid factor (steam at the conditions the latest evaluation was given),
so the page and a report made the same way agree to the last digit. A month without usable data is
*missing*, its figures ``None`` — never zero. Computing a year re-hashes its records, so a result is
kept while what it was computed from stands: the months' anchored roots, the chain's claims and
decisions (the contract's claim count and the claim index's statuses) and the declared steam are its
cache key.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from threading import Lock
from typing import TYPE_CHECKING, Any

from ledger.accounting.evaluation import DEFAULT_RULES, RuleSet, load_rules
from ledger.accounting.inventory import Inventory
from ledger.errors import AccountingError, IntegrityError
from ledger.factors.steam import parse_steam
from ledger.numbers import ZERO
from ledger.store import chain_claims
from ledger.store import evaluations as evaluation_rows

if TYPE_CHECKING:
    from ledger.services.evaluations import EvaluationService

DASHBOARD_FACTORS = "cn-mee-2023"
"""The factor set the page's figures use (the evaluations' default): the page names it."""
DASHBOARD_GRID = "national_average"
CACHE_SIZE = 32
SCOPES = ("scope1", "scope2_location", "scope2_market", "scope3")
ELECTRICITY = {"grid_mwh": "grid_electricity", "onsite_mwh": "onsite_renewable_self_consumed",
               "green_power_mwh": "green_power_contract"}  # fmt: skip


@dataclass(frozen=True)
class Month:
    """One month of the year: its figures, or None for each when it has no usable data."""

    period: str
    missing: str | None
    """Why the month has no usable data (no anchor, records not held here), or None."""
    revision: int | None
    records: int | None
    figures: dict[str, Fraction | None]
    """``grid_mwh``, ``onsite_mwh``, ``green_power_mwh``, ``electricity_mwh``, ``energy_tce`` and each of :data:`SCOPES`."""


@dataclass(frozen=True)
class LevelMark:
    """A level of the rule file and the renewable share it asks for."""

    report_type: str
    level: str
    minimum: Fraction
    confirmed: bool
    reached: bool


@dataclass(frozen=True)
class Renewable:
    share: Fraction | None
    """Renewable ÷ consumed electricity (on-site + valid certificates as matched, at most grid use); None: no electricity."""
    renewable_mwh: Fraction
    total_mwh: Fraction
    report_type: str
    marks: list[LevelMark]
    """The type's levels, lowest threshold first."""
    target: LevelMark | None
    """The lowest level of the type the share does not reach yet (None: every one reached)."""
    shortfall_mwh: Fraction | None
    """Renewable MWh still needed for ``target`` at this year's consumption."""


@dataclass(frozen=True)
class Dashboard:
    factory_id: str
    year: int
    factor_set: str
    grid: str
    months: list[Month]
    totals: dict[str, Fraction | None]
    """The year's figures over the months there are; ``scope3`` None when the year has no Scope 3 data."""
    missing: list[str]
    renewable: Renewable | None
    problem: str | None = None
    """Why the year could not be computed (the figures are then not evaluated), or None."""

    @property
    def complete(self) -> bool:
        return self.problem is None and not self.missing


class DashboardService:
    def __init__(self, evaluations: EvaluationService) -> None:
        self.evaluations = evaluations
        self._cache: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
        self._lock = Lock()

    def year(self, factory_id: str, year: int, anchors: Sequence[dict[str, Any]], report_type: str = "I") -> Dashboard:
        """The year's dashboard; ``anchors`` are the factory's anchored revisions as the page read them
        from the chain (``period``, ``revision``, ``root``), whose latest roots key the cache with the
        chain's claims and decisions (a claim changes market-based Scope 2 and the renewable share)."""
        latest = {a["period"]: (a["revision"], a["root"]) for a in sorted(anchors, key=lambda a: a["revision"])
                  if str(a["period"]).startswith(f"{year}-")}  # fmt: skip
        claims = claims_state(self.evaluations)
        steam = declared_steam(self.evaluations, factory_id)
        key = (factory_id, year, report_type, tuple(sorted(latest.items())), claims, json.dumps(steam, sort_keys=True))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found = self._compute(factory_id, year, report_type, steam)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _compute(self, factory_id: str, year: int, report_type: str, steam: dict[str, dict[str, Any]]) -> Dashboard:
        service = self.evaluations
        factors = service.factor_set(DASHBOARD_FACTORS, None)
        rules = load_rules(DEFAULT_RULES)
        try:
            inv, year_data, _, _ = service.inventory(factory_id, year, factors, rules, grid=DASHBOARD_GRID,
                                                     steam=parse_steam(steam))  # fmt: skip
        except (AccountingError, IntegrityError, KeyError) as exc:  # e.g. steam by mass needs its declared conditions
            months = [Month(f"{year}-{m:02d}", None, None, None, dict.fromkeys(_FIGURES)) for m in range(1, 13)]
            return Dashboard(factory_id, year, factors.label, DASHBOARD_GRID, months, dict.fromkeys(_FIGURES), [],
                             None, problem=str(exc.args[0] if exc.args else exc))  # fmt: skip
        missing = {m["period"]: str(m["reason"]) for m in year_data.missing}
        used = {u["period"]: u for u in year_data.used}
        energy: dict[str, Fraction] = {}
        for line in inv.lines:
            if line.scope == "energy":
                energy[line.period] = energy.get(line.period, ZERO) + line.result
        has_scope3 = any(line.scope == "scope3" for line in inv.lines)
        months = []
        for period, values in inv.monthly.items():
            if period in missing:
                months.append(Month(period, missing[period], None, None, dict.fromkeys(_FIGURES)))
                continue
            figures: dict[str, Fraction | None] = {name: values.get(kind, ZERO) for name, kind in ELECTRICITY.items()}
            figures["electricity_mwh"] = values.get("grid_electricity", ZERO) + values.get(
                "onsite_renewable_self_consumed", ZERO
            )
            figures["energy_tce"] = energy.get(period, ZERO)
            figures |= {scope: values.get(scope, ZERO) for scope in SCOPES}
            if not has_scope3:
                figures["scope3"] = None
            month = used.get(period, {})
            months.append(Month(period, None, month.get("revision"), month.get("records"), figures))
        return Dashboard(factory_id, year, factors.label, DASHBOARD_GRID, months, _totals(inv, has_scope3),
                         sorted(missing), renewable(inv, rules, report_type))  # fmt: skip


def claims_state(evaluations: EvaluationService) -> tuple[Any, ...]:
    """What of the chain's claims a year's figures depend on, cheaply: the contract's claim count
    (one call) and the claim index's statuses (a decision reaches it within a reconciler round). A
    new claim or decision computes the year again; a log scan of every claim per page view would not
    scale to 10^5 claims."""
    with evaluations.sessions() as session:
        indexed = chain_claims.status_counts(session)
    return (evaluations.ledger.claim_count(), indexed)


_STEAM_OF_REPORT: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
"""Report id → the steam conditions it was given: a report never changes, and it may be megabytes."""


def declared_steam(evaluations: EvaluationService, factory_id: str) -> dict[str, dict[str, Any]]:
    """The steam conditions the factory's latest evaluation was given (tonnes of steam become heat
    only at declared conditions), in the form ``POST /evaluations`` takes; none without one. A
    report is read once (:data:`_STEAM_OF_REPORT`), not on every page view."""
    with evaluations.sessions() as session:
        latest = evaluation_rows.latest_id(session, factory_id)
        if latest is None:
            return {}
        steam = _STEAM_OF_REPORT.get(latest)
        if steam is None:
            row = evaluation_rows.get(session, latest)
            declared = (json.loads(row.report).get("steam_conditions") or []) if row is not None else []
            steam = {
                c["source_id"]: {"absolute_pressure_mpa": c["absolute_pressure_mpa"]}
                | ({"saturated": True} if c.get("saturated") else {"temperature_c": c["temperature_c"]})
                for c in declared
            }
            _STEAM_OF_REPORT[latest] = steam
            while len(_STEAM_OF_REPORT) > 4 * CACHE_SIZE:
                _STEAM_OF_REPORT.popitem(last=False)
    return dict(steam)


_FIGURES = (*ELECTRICITY, "electricity_mwh", "energy_tce", *SCOPES)


def _totals(inv: Inventory, has_scope3: bool) -> dict[str, Fraction | None]:
    e = inv.electricity
    return {
        "grid_mwh": e["grid_mwh"], "onsite_mwh": e["onsite_mwh"], "green_power_mwh": e["green_power_mwh"],
        "electricity_mwh": e["total_mwh"], "energy_tce": inv.energy_tce, "scope1": inv.scope1,
        "scope2_location": inv.scope2_location, "scope2_market": inv.scope2_market,
        "scope3": inv.scope3 if has_scope3 else None,
    }  # fmt: skip


def renewable(inv: Inventory, rules: RuleSet, report_type: str) -> Renewable:
    """The year's renewable share against each level of ``report_type`` that asks for one, the next
    level not reached, and the renewable MWh it still needs."""
    total = inv.electricity.get("total_mwh", ZERO)
    got = inv.electricity.get("renewable_mwh", ZERO)
    share = inv.renewable_share
    marks = []
    for level in rules.levels:
        minimum = next((r.minimum for r in level.rules if r.metric == "renewable_share"), None)
        if level.report_type == report_type and minimum is not None:
            reached = share is not None and share >= minimum
            marks.append(LevelMark(level.report_type, level.level, minimum, level.confirmed, reached))
    marks.sort(key=lambda m: m.minimum)
    target = next((m for m in marks if not m.reached), None)
    shortfall = None if target is None or share is None else max(target.minimum * total - got, ZERO)
    return Renewable(share, got, total, report_type, marks, target, shortfall)

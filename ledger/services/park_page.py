"""The park page: the members, the park indicator (tCO2 per tce) against its band, and each member's
part of it — the same computation as ``POST /parks/evaluations`` (:mod:`ledger.services.park`), with
the default factor set, no transfers declared, and each member's steam at the conditions its latest
evaluation was given.

A park's year re-hashes every member's records, so a result is kept while what it was computed from
stands: each member's anchored revisions of the year, the chain's claims and decisions, the declared steam.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from threading import Lock
from typing import TYPE_CHECKING, Any

from ledger.accounting.evaluation import DEFAULT_RULES, load_rules
from ledger.accounting.park import band_for
from ledger.errors import AccountingError, IntegrityError
from ledger.numbers import ZERO, exact, ratio
from ledger.services.dashboard import claims_state, declared_steam
from ledger.services.park import park_with_members

if TYPE_CHECKING:
    from ledger.services.evaluations import EvaluationService

PARK_FACTORS = "cn-mee-2023"
CACHE_SIZE = 16


@dataclass(frozen=True)
class MemberPart:
    factory_id: str
    name: str | None
    emissions_tco2: Fraction
    """Scope 1 + Scope 2 location-based (the rule file's numerator)."""
    energy_tce: Fraction
    intensity: Fraction | None
    share: Fraction | None
    """Its part of the park's emissions."""
    missing: list[str]
    gaps: list[str]


@dataclass(frozen=True)
class ParkPage:
    year: int
    factor_set: str
    result: dict[str, Any] | None
    """What ``POST /parks/evaluations`` answers, or None when it could not be computed."""
    members: list[MemberPart]
    intensity: Fraction | None
    energy_tce: Fraction | None
    band_max: Fraction | None
    """The intensity the park's band allows (0.20 or 0.30 tCO2/tce), None below every band."""
    bands: list[dict[str, Any]]
    problem: str | None = None


class ParkViews:
    def __init__(self, evaluations: EvaluationService) -> None:
        self.evaluations = evaluations
        self._cache: OrderedDict[tuple[Any, ...], ParkPage] = OrderedDict()
        self._lock = Lock()

    def park(self, factory_ids: list[str], year: int) -> ParkPage:
        """The park of ``factory_ids`` for ``year``; a member listed twice or unknown is refused as by
        the API (RecordError naming ``factories[i]``, NotFound)."""
        ledger = self.evaluations.ledger
        roots = tuple(
            (f, tuple(sorted((e["period"], e["revision"]) for e in ledger.anchored_events(f)
                             if str(e["period"]).startswith(f"{year}-"))))
            for f in factory_ids
        )  # fmt: skip
        steam: dict[str, dict[str, Any]] = {}
        for factory_id in factory_ids:  # each member's steam at the conditions its latest evaluation declared
            steam |= declared_steam(self.evaluations, factory_id)
        key = (roots, year, claims_state(self.evaluations), json.dumps(steam, sort_keys=True))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found = self._compute(factory_ids, year, steam)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _compute(self, factory_ids: list[str], year: int, steam: dict[str, dict[str, Any]]) -> ParkPage:
        rules = load_rules(DEFAULT_RULES)
        bands = list(rules.park.get("bands", []))
        try:
            result, members = park_with_members(self.evaluations, factory_ids, year, factor_set=PARK_FACTORS,
                                                steam=steam)  # fmt: skip
        except (AccountingError, IntegrityError) as exc:
            return ParkPage(year, PARK_FACTORS, None, [], None, None, None, bands, problem=str(exc))
        energy = exact(result["energy_tce"])
        gross = sum((m.inventory.scope1 + m.inventory.scope2_location for m in members.values()), ZERO)
        parts = []
        for factory_id, member in members.items():
            inv = member.inventory
            emissions = inv.scope1 + inv.scope2_location
            parts.append(MemberPart(
                factory_id, self.evaluations.factories.get(factory_id).name, emissions, inv.energy_tce,
                ratio(emissions, inv.energy_tce), ratio(emissions, gross), member.missing, member.gaps,
            ))  # fmt: skip
        band = band_for(rules.park, energy)
        intensity = None if result["intensity"] == "undefined" else exact(result["intensity"])
        band_max = exact(band["max_intensity"]) if band is not None else None
        return ParkPage(year, result["factor_set"], result, parts, intensity, energy, band_max, bands)

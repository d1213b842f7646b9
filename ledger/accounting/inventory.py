"""The GHG inventory of one factory for one year, from verified anchored records.

Every figure is a list of lines, each naming the records, the activity as measured, the factors
(by key, from a named factor set) and the arithmetic, so a reader can redo it by hand:

- **Scope 1**: fuel combustion (activity × NCV × carbon content × oxidation × 44/12), CH4 and N2O
  from biomass combustion (CO2e with the set's GWP) and process emissions as stated.
- **Biogenic CO2** (biomass combustion): its own lines, in no scope and no total (GB/T 32150-2015).
- **Scope 2**: purchased heat and steam; grid electricity location-based (grid average factor) and
  market-based (electricity covered by valid certificates at zero, the residual-mix factor for the
  rest). Certificates meet consumption by the evaluation's matching method (by default each claim
  only within its own consumption months: :mod:`ledger.accounting.matching`), month by month, so
  the months add up to the year. A green-power contract's electricity counts through the GEC range
  delivered bundled with it, like any certificate; without one it is uncertified and not counted.
- **Scope 3** (Type II): transport and purchased products, activity × factor.
- **Energy** in tce (GB/T 2589): electricity at its calorific equivalent, fuels and heat via MJ/kgce.
- **Electricity**: grid, on-site renewable, green-power contracts, certificates; the renewable share.
- **Offsets and removals** (credits retired for the year) are kept apart from emissions, never netted.

Every activity × factor is :mod:`ledger.factors.arithmetic`'s (one function per record kind, units
of factors and of activity data checked there); this module keeps the bookkeeping: which line goes
to which scope and month, certificates (matched by :mod:`ledger.accounting.matching`), offsets and
removals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ledger.accounting.activities import Activity, InventoryRecord, activities
from ledger.accounting.matching import Matching, green_power, match_certificates
from ledger.claims.double_counting import ClaimedRetirement, allocated_units
from ledger.claims.eligibility import ClaimEligibility
from ledger.claims.matching import DEFAULT_METHOD, EligibleUnits
from ledger.errors import AccountingError
from ledger.factors import FactorSet, FactorUnitError
from ledger.factors.arithmetic import BIOGENIC, ActivityError, Term, basis, residual_mix, terms
from ledger.factors.steam import SteamConditions
from ledger.numbers import ZERO, exact, shown
from ledger.records import convert_fraction

ELECTRICITY = ("grid_electricity", "onsite_renewable_self_consumed", "green_power_contract")


@dataclass(frozen=True)
class Line:
    scope: str  # scope1, scope2, scope3, energy
    category: str
    period: str
    source_id: str
    records: int  # how many of the month's records of this source, kind and unit the activity sums
    activity: str  # as measured, e.g. "18652.0 Nm3"
    factors: tuple[tuple[str, str], ...]  # (key, "value unit") from the factor set
    result: Fraction  # tCO2e, or tce for energy lines
    arithmetic: str
    gases: str = "CO2"  # what result counts (Term.gases): "CO2", "CH4 as CO2e", "CO2 (biogenic)"…; "" for energy

    def to_json(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "category": self.category,
            "period": self.period,
            "source_id": self.source_id,
            "records": self.records,
            "activity": self.activity,
            "factors": [{"key": k, "value": v} for k, v in self.factors],
            "result": shown(self.result),
            "arithmetic": self.arithmetic,
            "gases": self.gases or "none (energy, tce)",
        }


@dataclass
class Inventory:
    factory_id: str
    year: int
    factor_set: str
    grid: str
    lines: list[Line] = field(default_factory=list)
    scope2_market_electricity: Fraction = ZERO
    electricity: dict[str, Fraction] = field(default_factory=dict)
    certificates: list[dict[str, object]] = field(default_factory=list)
    offsets: Fraction = ZERO
    removals: Fraction = ZERO
    credits: list[dict[str, object]] = field(default_factory=list)
    monthly: dict[str, dict[str, Fraction]] = field(default_factory=dict)
    production: dict[str, Fraction] = field(default_factory=dict)
    steam: dict[str, SteamConditions] = field(default_factory=dict)  # declared conditions per steam source
    matching: Matching | None = None
    green_power: list[dict[str, Any]] = field(default_factory=list)

    def total(self, scope: str) -> Fraction:
        return sum((line.result for line in self.lines if line.scope == scope), ZERO)

    @property
    def scope1(self) -> Fraction:
        return self.total("scope1")

    @property
    def biogenic_co2(self) -> Fraction:
        """CO2 from burning biomass: reported, never part of a scope or total."""
        return self.total(BIOGENIC)

    @property
    def scope2_other(self) -> Fraction:
        """Scope 2 from heat and steam (the same under both methods)."""
        return sum((ln.result for ln in self.lines if ln.scope == "scope2" and ln.category != "grid_electricity"), ZERO)

    @property
    def scope2_location(self) -> Fraction:
        return self.total("scope2")

    @property
    def scope2_market(self) -> Fraction:
        return self.scope2_other + self.scope2_market_electricity

    @property
    def scope3(self) -> Fraction:
        return self.total("scope3")

    @property
    def energy_tce(self) -> Fraction:
        return self.total("energy")

    @property
    def renewable_share(self) -> Fraction | None:
        total = self.electricity.get("total_mwh", ZERO)
        return None if total == 0 else self.electricity["renewable_mwh"] / total

    @property
    def onsite_reduction(self) -> Fraction:
        """The factory's own reduction from on-site renewable self-consumed, at the location-based grid
        factor. Certificates are not in it: there is no "reductions" figure that adds them
        (:mod:`ledger.accounting.floating_zero` keeps own reductions, certificates, offsets and removals apart)."""
        return self.electricity["onsite_mwh"] * self.electricity["location_factor"]


def compute_inventory(
    *,
    factory_id: str,
    year: int,
    records: Sequence[InventoryRecord],
    claims: Sequence[ClaimedRetirement],
    invalid_claims: frozenset[int],
    factors: FactorSet,
    grid: str = "national_average",
    eligibility: Mapping[int, ClaimEligibility] | None = None,
    matching: str = DEFAULT_METHOD,
    eligible_units: EligibleUnits | None = None,
    steam: Mapping[str, SteamConditions] | None = None,
) -> Inventory:
    """The inventory; ``claims`` are the factory's own, ``invalid_claims`` those a double-counting
    check refused (they count for nothing), ``eligibility`` each claim's units that count per
    consumption month and whether it is a certificate, an offset or a removal
    (:func:`ledger.claims.eligibility.assess_claims`; a claim without one is refused). Certificates
    meet grid electricity by ``matching`` (:mod:`ledger.accounting.matching`), with
    ``eligible_units`` (claim → month → units; default: those of ``eligibility``); ``steam`` the declared
    conditions of each steam source metered by mass (one without them is refused, naming the source)."""
    inv = Inventory(factory_id=factory_id, year=year, factor_set=factors.label, grid=grid, steam=dict(steam or {}))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    inv.monthly = {m: defaultdict(lambda: ZERO) for m in months}
    with _accountable():
        shared = basis(factors, grid, steam)
    per_kind: dict[str, Fraction] = defaultdict(lambda: ZERO)
    steam_sources: set[str] = set()
    delivered: dict[str, Fraction] = {}  # green power per contract (source)

    for act in activities(records):
        kind, period = act.kind, act.period
        month = inv.monthly[period]
        if kind == "production_output":
            inv.production[act.unit] = inv.production.get(act.unit, ZERO) + exact(act.quantity)
            continue
        with _accountable(act):
            products = terms(shared, act)
            if kind in ELECTRICITY:
                mwh = convert_fraction(act.quantity, act.unit, "MWh")
                per_kind[kind] += mwh
                month[kind] += mwh
                if kind == "green_power_contract":
                    delivered[act.source_id] = delivered.get(act.source_id, ZERO) + mwh
        if kind == "purchased_steam":
            steam_sources.add(act.source_id)
        activity = f"{act.value} {act.unit}"
        for term in products:
            inv.lines.append(Line(term.scope, kind, period, act.source_id, act.records, activity, term.factors,
                                  term.result, term.arithmetic, term.gases))  # fmt: skip
            if term.scope != "energy":
                month[_month_key(kind, term)] += term.result
    inv.steam = {source: c for source, c in inv.steam.items() if source in steam_sources}  # the report shows these

    # certificates, offsets and removals claimed for this year
    year_start, year_end = months[0], months[-1]
    certificates: list[ClaimedRetirement] = []
    listed: dict[int, dict[str, object]] = {}  # claim id → its entry in inv.certificates
    for claimed in claims:
        claim = claimed.claim
        units = allocated_units(claim, year_start, year_end)
        if units == 0:
            continue
        assessed = (eligibility or {}).get(claimed.claim_id)
        if assessed is None:
            raise AccountingError(f"claim {claimed.claim_id}: its eligibility was not assessed")
        counted = assessed.units_in(year_start, year_end)
        entry = {
            "claim_id": claimed.claim_id, "registry": claim.registry, "block_id": claim.block_id,
            "serials": f"{claim.serial_start}..{claim.serial_end}", "units": claim.units,
            "allocated_to_year": shown(units), "unit": claim.details.unit, "tx_hash": claimed.tx_hash,
            "consumption": f"{claim.consumption_start}..{claim.consumption_end}",
            "technology": claim.details.technology, "valid": claimed.claim_id not in invalid_claims,
        } | assessed.entry_json(claim, counted)  # fmt: skip
        if assessed.kind == "certificate":
            inv.certificates.append(entry)
            listed[claimed.claim_id] = entry
            if entry["valid"]:
                certificates.append(claimed)
                for m in months:
                    inv.monthly[m]["certificates"] += assessed.units_in(m, m)
        else:
            inv.credits.append(entry)
            if entry["valid"]:
                if assessed.kind == "removal":
                    inv.removals += counted
                else:
                    inv.offsets += counted

    grid_use = {m: inv.monthly[m]["grid_electricity"] for m in months}
    if eligible_units is None and eligibility is not None:
        eligible_units = {claim_id: assessed.months for claim_id, assessed in eligibility.items()}
    inv.matching = match_certificates(matching, grid_use, certificates, eligible_units)
    chosen = inv.matching.chosen
    for claim_id, entry in listed.items():
        entry["counted"] = shown(chosen.counted.get(claim_id, ZERO))
    inv.green_power, uncertified = green_power(delivered, certificates, chosen.counted)
    grid_mwh = per_kind["grid_electricity"]
    onsite = per_kind["onsite_renewable_self_consumed"]
    green = per_kind["green_power_contract"]
    covered = chosen.total  # a green-power contract's attribute is its bundled GEC range, matched like any
    with _accountable():
        residual = residual_mix(factors).exact
    inv.scope2_market_electricity = (grid_mwh - covered) * residual
    inv.electricity = {
        "grid_mwh": grid_mwh,
        "onsite_mwh": onsite,
        "green_power_mwh": green,
        "green_power_uncertified_mwh": uncertified,
        "certificates_mwh": inv.matching.certificates,
        "covered_mwh": covered,
        "total_mwh": grid_mwh + onsite,
        "renewable_mwh": onsite + covered,
        "location_factor": shared.location.exact,
        "residual_mix_factor": residual,
    }
    for m in months:  # covered electricity at zero, the rest at the residual mix: the months add up to the year
        month = inv.monthly[m]
        month["covered"] = chosen.covered[m]
        month["scope2_market"] = (month["grid_electricity"] - chosen.covered[m]) * residual + month["scope2_other"]
        month["scope2_location"] += month["scope2_other"]
    return inv


@contextmanager
def _accountable(activity: Activity | None = None) -> Iterator[None]:
    """Refusals of the arithmetic as :class:`AccountingError`: an activity's names the source, the
    month and its first record, a factor's names the set, the key and the unit (a user's set the
    arithmetic cannot read)."""
    try:
        yield
    except FactorUnitError as exc:
        raise AccountingError(str(exc)) from exc
    except (ActivityError, ValueError) as exc:
        if activity is None:
            raise
        raise AccountingError(
            f"record {activity.first_record_id} (source {activity.source_id}, {activity.period}, "
            f"{activity.records} record(s) of {activity.kind} in {activity.unit}): {exc}"
        ) from None


def _month_key(kind: str, term: Term) -> str:
    """Which monthly figure a product adds to: heat and steam are kept apart from grid electricity
    until the end, since the market-based figure replaces only the latter."""
    if term.scope == "scope2":
        return "scope2_location" if kind == "grid_electricity" else "scope2_other"
    return term.scope


def monthly_json(inv: Inventory) -> list[dict[str, str]]:
    keys = ("scope1", "scope2_location", "scope2_market", "scope3", "grid_electricity",
            "onsite_renewable_self_consumed", "green_power_contract", "certificates", "covered")  # fmt: skip
    return [{"period": m, **{k: shown(values.get(k, ZERO)) for k in keys}} for m, values in inv.monthly.items()]


def totals_json(inv: Inventory) -> Mapping[str, str]:
    return {
        "scope1": shown(inv.scope1),
        "scope2_location": shown(inv.scope2_location),
        "scope2_market": shown(inv.scope2_market),
        "scope3": shown(inv.scope3),
        "energy_tce": shown(inv.energy_tce),
        "offsets": shown(inv.offsets),
        "removals": shown(inv.removals),
    }

"""The GHG inventory of one factory for one year, from verified anchored records.

Every figure is a list of lines, each naming the records, the activity as measured, the factors
(by key, from a named factor set) and the arithmetic, so a reader can redo it by hand:

- **Scope 1**: fuel combustion (activity × NCV × carbon content × oxidation × 44/12) and process
  emissions as stated.
- **Scope 2**: purchased heat and steam; grid electricity location-based (grid average factor) and
  market-based (electricity covered by valid certificates and green-power contracts at zero, the
  residual-mix factor for the rest). Matching is annual, as the GHG Protocol Scope 2 Guidance does;
  the monthly view spreads the annual residual share evenly so the months add up to the year.
- **Scope 3** (Type II): transport and purchased products, activity × factor.
- **Energy** in tce (GB/T 2589): electricity at its calorific equivalent, fuels and heat via MJ/kgce.
- **Electricity**: grid, on-site renewable, green-power contracts, certificates; the renewable share.
- **Offsets and removals** (credits retired for the year) are kept apart from emissions, never netted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ledger.accounting.numbers import ZERO, exact, shown
from ledger.claims.double_counting import ClaimedRetirement, allocated_units
from ledger.claims.registries import get_registry
from ledger.factors import FactorSet
from ledger.records import MeasurementRecord, convert_fraction
from ledger.errors import AccountingError

FUELS = {"natural_gas": "10^4 Nm3", "coal": "t", "diesel": "t", "gasoline": "t"}  # activity unit of the NCV
FUEL_KEYS = {"natural_gas": "natural_gas", "coal": "raw_coal", "diesel": "diesel", "gasoline": "gasoline"}
SCOPE3 = {
    "transport_road_freight": "road_freight",
    "transport_rail_freight": "rail_freight",
    "transport_sea_freight": "sea_freight",
    "purchased_steel": "purchased_steel",
    "purchased_aluminium": "purchased_aluminium",
    "purchased_cement": "purchased_cement",
    "purchased_plastics": "purchased_plastics",
}
CO2_PER_C = Fraction(44, 12)


@dataclass(frozen=True)
class InventoryRecord:
    record_id: str
    period: str
    record: MeasurementRecord


@dataclass(frozen=True)
class Line:
    scope: str  # scope1, scope2, scope3, energy
    category: str
    period: str
    record_ids: tuple[str, ...]
    activity: str  # as measured, e.g. "18652.0 Nm3"
    factors: tuple[tuple[str, str], ...]  # (key, "value unit") from the factor set
    result: Fraction  # tCO2e, or tce for energy lines
    arithmetic: str

    def to_json(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "category": self.category,
            "period": self.period,
            "record_ids": list(self.record_ids),
            "activity": self.activity,
            "factors": [{"key": k, "value": v} for k, v in self.factors],
            "result": shown(self.result),
            "arithmetic": self.arithmetic,
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

    def total(self, scope: str) -> Fraction:
        return sum((line.result for line in self.lines if line.scope == scope), ZERO)

    @property
    def scope1(self) -> Fraction:
        return self.total("scope1")

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
    def reductions(self) -> Fraction:
        """Emissions avoided by renewable electricity, at the location-based grid factor."""
        return self.electricity.get("renewable_mwh", ZERO) * self.electricity.get("location_factor", ZERO)


def compute_inventory(
    *,
    factory_id: str,
    year: int,
    records: Sequence[InventoryRecord],
    claims: Sequence[ClaimedRetirement],
    invalid_claims: frozenset[int],
    factors: FactorSet,
    grid: str = "national_average",
    removal_technologies: Sequence[str] = (),
) -> Inventory:
    """The inventory; ``claims`` are the factory's own, ``invalid_claims`` those a double-counting
    check refused (they count for nothing)."""
    inv = Inventory(factory_id=factory_id, year=year, factor_set=factors.label, grid=grid)
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    inv.monthly = {m: defaultdict(lambda: ZERO) for m in months}  # type: ignore[misc]
    location = _factor(factors, f"grid.{grid}")
    kgce_per_kwh = _factor(factors, "energy.electricity_kgce_per_kwh")
    mj_per_kgce = _factor(factors, "energy.mj_per_kgce")
    per_kind: dict[str, Fraction] = defaultdict(lambda: ZERO)

    for item in records:
        record, rid, period = item.record, item.record_id, item.period
        kind, activity = record.kind, f"{record.value} {record.unit}"
        month = inv.monthly[period]
        if kind in ("grid_electricity", "onsite_renewable_self_consumed", "green_power_contract"):
            mwh = _to(record, "MWh", rid)
            per_kind[kind] += mwh
            month[kind] += mwh
            if kind != "green_power_contract":  # green power arrives through the grid meter
                tce = mwh * 1000 * kgce_per_kwh / 1000
                inv.lines.append(Line(
                    "energy", kind, period, (rid,), activity,
                    (("energy.electricity_kgce_per_kwh", f"{shown(kgce_per_kwh)} kgce/kWh"),), tce,
                    f"{shown(mwh)} MWh × 1000 kWh/MWh × {shown(kgce_per_kwh)} kgce/kWh ÷ 1000 = {shown(tce)} tce",
                ))  # fmt: skip
            if kind == "grid_electricity":
                t = mwh * location
                inv.lines.append(Line(
                    "scope2", kind, period, (rid,), activity, (_shown(factors, f"grid.{grid}"),), t,
                    f"{shown(mwh)} MWh × {shown(location)} tCO2/MWh = {shown(t)} tCO2 (location-based)",
                ))  # fmt: skip
                month["scope2_location"] += t
        elif kind in FUELS:
            line, tce_line = _combustion(factors, item, mj_per_kgce)
            inv.lines += [line, tce_line]
            month["scope1"] += line.result
        elif kind == "process_emissions":
            t = _to(record, "tCO2e", rid)
            inv.lines.append(Line("scope1", kind, period, (rid,), activity, (), t, f"{activity} as stated = {shown(t)} tCO2e"))
            month["scope1"] += t
        elif kind in ("purchased_heat", "purchased_steam"):
            heat = _factor(factors, "heat.purchased")
            if kind == "purchased_steam" and record.unit in ("t", "kg"):
                enthalpy = _factor(factors, "steam.enthalpy")
                gj = _to(record, "t", rid) * enthalpy
                keys = (_shown(factors, "steam.enthalpy"), _shown(factors, "heat.purchased"))
                how = f"{shown(_to(record, 't', rid))} t × {shown(enthalpy)} GJ/t = {shown(gj)} GJ; "
            else:
                gj = _to(record, "GJ", rid)
                keys, how = (_shown(factors, "heat.purchased"),), ""
            t = gj * heat
            inv.lines.append(Line("scope2", kind, period, (rid,), activity, keys, t,
                                  f"{how}{shown(gj)} GJ × {shown(heat)} tCO2/GJ = {shown(t)} tCO2"))  # fmt: skip
            tce = gj * 1000 / mj_per_kgce / 1000
            inv.lines.append(Line("energy", kind, period, (rid,), activity, (_shown(factors, "energy.mj_per_kgce"),),
                                  tce, f"{shown(gj)} GJ × 1000 ÷ {shown(mj_per_kgce)} MJ/kgce ÷ 1000 = {shown(tce)} tce"))  # fmt: skip
            month["scope2_other"] += t
        elif kind in SCOPE3:
            key = f"scope3.{SCOPE3[kind]}"
            factor = _factor(factors, key)
            factor_unit = factors.get(key).unit
            unit = "tkm" if kind.startswith("transport") else "t"
            q = _to(record, unit, rid)
            t = q * factor
            inv.lines.append(Line("scope3", kind, period, (rid,), activity, (_shown(factors, key),), t,
                                  f"{shown(q)} {unit} × {shown(factor)} {factor_unit} = {shown(t)} tCO2e"))  # fmt: skip
            month["scope3"] += t
        elif kind == "production_output":
            inv.production[record.unit] = inv.production.get(record.unit, ZERO) + exact(record.value)
        else:
            raise AccountingError(f"record {rid}: kind {kind!r} has no accounting rule")

    # certificates, offsets and removals claimed for this year
    year_start, year_end = months[0], months[-1]
    certificates = ZERO
    removal_words = [w.lower() for w in removal_technologies]
    for claimed in claims:
        claim = claimed.claim
        units = allocated_units(claim, year_start, year_end)
        if units == 0:
            continue
        entry = {
            "claim_id": claimed.claim_id, "registry": claim.registry, "block_id": claim.block_id,
            "serials": f"{claim.serial_start}..{claim.serial_end}", "units": claim.units,
            "allocated_to_year": shown(units), "unit": claim.details.unit, "tx_hash": claimed.tx_hash,
            "consumption": f"{claim.consumption_start}..{claim.consumption_end}",
            "technology": claim.details.technology, "valid": claimed.claim_id not in invalid_claims,
        }  # fmt: skip
        if get_registry(claim.registry).unit == "MWh":
            inv.certificates.append(entry)
            if entry["valid"]:
                certificates += units
                for m in months:
                    inv.monthly[m]["certificates"] += allocated_units(claim, m, m)
        else:
            is_removal = any(word in claim.details.technology.lower() for word in removal_words)
            entry["kind"] = "removal" if is_removal else "offset"
            inv.credits.append(entry)
            if entry["valid"]:
                if is_removal:
                    inv.removals += units
                else:
                    inv.offsets += units

    grid_mwh = per_kind["grid_electricity"]
    onsite = per_kind["onsite_renewable_self_consumed"]
    green = per_kind["green_power_contract"]
    covered = min(green + certificates, grid_mwh)
    residual_mix = _factor(factors, "grid.residual_mix")
    inv.scope2_market_electricity = (grid_mwh - covered) * residual_mix
    inv.electricity = {
        "grid_mwh": grid_mwh,
        "onsite_mwh": onsite,
        "green_power_mwh": green,
        "certificates_mwh": certificates,
        "covered_mwh": covered,
        "total_mwh": grid_mwh + onsite,
        "renewable_mwh": onsite + covered,
        "location_factor": location,
        "residual_mix_factor": residual_mix,
    }
    residual_share = ZERO if grid_mwh == 0 else (grid_mwh - covered) / grid_mwh
    for m in months:
        month = inv.monthly[m]
        month["scope2_market"] = month["grid_electricity"] * residual_share * residual_mix + month["scope2_other"]
        month["scope2_location"] += month["scope2_other"]
    return inv


def _combustion(factors: FactorSet, item: InventoryRecord, mj_per_kgce: Fraction) -> tuple[Line, Line]:
    record, rid, period = item.record, item.record_id, item.period
    fuel, activity = record.kind, f"{record.value} {record.unit}"
    base = f"fuel.{FUEL_KEYS[fuel]}"
    ncv, cc, ox = (_factor(factors, f"{base}.{k}") for k in ("ncv", "carbon_content", "oxidation"))
    keys = tuple(_shown(factors, f"{base}.{k}") for k in ("ncv", "carbon_content", "oxidation"))
    if record.unit in ("GJ", "MJ", "TJ", "kWh", "MWh", "GWh"):
        gj = _to(record, "GJ", rid)
        how = f"{shown(gj)} GJ"
        keys = keys[1:]
    else:
        unit = FUELS[fuel]
        try:
            q = _to(record, unit, rid)
        except AccountingError:
            raise AccountingError(
                f"record {rid}: {fuel} in {record.unit} cannot be accounted; give it in {unit} or GJ "
                "(a volume needs a density or standard conditions the factor set does not have)"
            ) from None
        gj = q * ncv
        how = f"{shown(q)} {unit} × {shown(ncv)} {factors.get(base + '.ncv').unit} = {shown(gj)} GJ; {shown(gj)} GJ"
    t = gj * cc / 1000 * ox * CO2_PER_C
    line = Line("scope1", fuel, period, (rid,), activity, keys, t,
                f"{how} × {shown(cc)} tC/TJ ÷ 1000 × {shown(ox)} × 44/12 = {shown(t)} tCO2")  # fmt: skip
    tce = gj * 1000 / mj_per_kgce / 1000
    energy = Line("energy", fuel, period, (rid,), activity, (_shown(factors, "energy.mj_per_kgce"),), tce,
                  f"{shown(gj)} GJ × 1000 ÷ {shown(mj_per_kgce)} MJ/kgce ÷ 1000 = {shown(tce)} tce")  # fmt: skip
    return line, energy


def _to(record: MeasurementRecord, unit: str, record_id: str) -> Fraction:
    try:
        return convert_fraction(record.quantity, record.unit, unit)
    except ValueError as exc:
        raise AccountingError(f"record {record_id}: {exc}") from None


def _factor(factors: FactorSet, key: str) -> Fraction:
    return Fraction(factors.get(key).value)


def _shown(factors: FactorSet, key: str) -> tuple[str, str]:
    f = factors.get(key)
    return key, f"{f.value} {f.unit}"


def monthly_json(inv: Inventory) -> list[dict[str, str]]:
    keys = ("scope1", "scope2_location", "scope2_market", "scope3", "grid_electricity",
            "onsite_renewable_self_consumed", "green_power_contract", "certificates")  # fmt: skip
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
        "reductions": shown(inv.reductions),
    }

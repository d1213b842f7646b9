"""What the inventory's figures count, stated beside them: the report parts a verifier reads first.

- ``gases``: for each total, whether it is CO2 only or CO2e and of which gases, and the GWP set that
  turned CH4 and N2O into CO2e (the set's ``gwp.*`` factors, with their source);
- ``biogenic_co2``: CO2 from burning biomass, reported and kept out of every scope and total;
- ``steam_conditions``: each steam source's declared pressure and temperature, its enthalpy
  (IAPWS-IF97) and the heat per tonne the guidelines' method gives, written out;
- ``grid_factor``: the location-based grid factor chosen (a province's names its publication); every
  other factor with its source is in the report's ``factors_used`` (:mod:`ledger.accounting.sections`);
- ``intensity``: tCO2e per unit of output (``production_output`` records), per unit as recorded;
- ``scope1_by_gas``: Scope 1 split by gas — fossil CO2, CH4 and N2O (as CO2e), emissions as stated —
  with the CO2-only figure the Chinese enterprise accounting guidelines report beside the CO2e total,
  and, for a factor set without fuel CH4/N2O factors, which fuels' CH4 and N2O it does not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from ledger.accounting.inventory import Inventory, Line
from ledger.factors import FactorSet, MissingFactor
from ledger.factors.arithmetic import BIOGENIC, FUEL_KEYS, grid_key
from ledger.factors.steam import heat_gj_per_t
from ledger.numbers import ZERO, shown

_CO2_ONLY = {"CO2", "CO2 (biogenic)"}
_TOTALS = {
    "scope1": ("scope1",),
    "scope2_location": ("scope2",),
    "scope2_market": ("scope2",),
    "scope3": ("scope3",),
    "biogenic_co2": (BIOGENIC,),
}


def statements(inv: Inventory, factors: FactorSet) -> dict[str, Any]:
    """The report's ``gases``, ``biogenic_co2``, ``steam_conditions``, ``grid_factor`` and ``intensity``."""
    return {
        "gases": gases(inv, factors),
        "biogenic_co2": {
            "total_tco2": shown(inv.biogenic_co2),
            "counted_in": "no scope and no total: reported separately (GB/T 32150-2015, GHG Protocol)",
            "sources": sorted({ln.source_id for ln in inv.lines if ln.scope == BIOGENIC}),
            "records": sum(ln.records for ln in inv.lines if ln.scope == BIOGENIC),
        },
        "steam_conditions": steam_conditions(inv, factors),
        "grid_factor": _source(factors, grid_key(inv.grid)) | {"grid": inv.grid},
        "intensity": intensity(inv),
        "scope1_by_gas": scope1_by_gas(inv, factors),
    }


def scope1_by_gas(inv: Inventory, factors: FactorSet) -> dict[str, Any]:
    """Scope 1 by gas: the CO2e total and, beside it, the CO2 of fuel combustion alone — the figure the
    Chinese enterprise GHG accounting guidelines count for fuels (CO2 only) — so that neither has to be
    recomputed. A fuel whose set has no ``fuel.<name>.ch4``/``.n2o`` is named: its CH4 and N2O are not
    counted, and the report says so rather than letting a missing gas pass as zero."""
    by: dict[str, Fraction] = {"CO2": ZERO, "CH4 as CO2e": ZERO, "N2O as CO2e": ZERO}
    stated = ZERO
    for ln in inv.lines:
        if ln.scope != "scope1":
            continue
        if ln.gases in by:
            by[ln.gases] += ln.result
        else:
            stated += ln.result  # process emissions as stated: the record says tCO2e, not which gases
    burnt = sorted({ln.category for ln in inv.lines if ln.scope == "scope1" and ln.category in FUEL_KEYS})
    missing = [k for k in burnt if f"fuel.{FUEL_KEYS[k]}.ch4" not in factors.factors]
    return {
        "co2_tco2": shown(by["CO2"]),
        "ch4_tco2e": shown(by["CH4 as CO2e"]),
        "n2o_tco2e": shown(by["N2O as CO2e"]),
        "stated_tco2e": shown(stated),
        "total_tco2e": shown(inv.scope1),
        "co2_only_tco2": shown(by["CO2"]),
        "fuel_ch4_n2o_not_counted": [
            {"kind": k, "reason": f"factor set {factors.label} has no fuel.{FUEL_KEYS[k]}.ch4 / .n2o"} for k in missing
        ],
        "note": "co2_only_tco2 is Scope 1 as the NDRC/MEE enterprise accounting guidelines count fuel combustion "
        "(CO2 only); total_tco2e adds CH4 and N2O (IPCC 2006 defaults in CO2e with the GWP set, as the GHG "
        "Protocol counts them) and emissions stated in tCO2e; biogenic CO2 is in neither",
    }  # fmt: skip


def _basis(lines: Iterable[Line]) -> dict[str, Any]:
    found = sorted({ln.gases for ln in lines})
    if not found:
        return {"basis": "nothing counted", "gases": []}
    return {"basis": "CO2 only" if set(found) <= _CO2_ONLY else "CO2e", "gases": found}


def covered(inv: Inventory) -> list[str]:
    """The gases the totals count, by name: CO2, and CH4 or N2O where a line counts them (in CO2e)."""
    found = {"CO2"} | {g.split(" ", 1)[0] for ln in inv.lines for g in [ln.gases] if g.endswith(" as CO2e")}
    return sorted(found)


def gwp_set(inv: Inventory, factors: FactorSet) -> str | None:
    """The GWP set that turned CH4 or N2O into CO2e, with its values; None when only CO2 is counted."""
    if covered(inv) == ["CO2"]:
        return None
    g = gases(inv, factors)["gwp"]
    return f"{g['set']} (CH4 {g.get('ch4')}, N2O {g.get('n2o')})"


def gases(inv: Inventory, factors: FactorSet) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: _basis(ln for ln in inv.lines if ln.scope in scopes) for name, scopes in _TOTALS.items()
    }
    out["scope2_market"] = out["scope2_market"] | {"note": "grid electricity at the residual mix: CO2 only"}
    try:
        ch4, n2o = factors.get("gwp.ch4"), factors.get("gwp.n2o")
        out["gwp"] = {"ch4": f"{ch4.value} {ch4.unit}", "n2o": f"{n2o.value} {n2o.unit}",
                      "set": ch4.note.removeprefix("GWP set: ").rstrip(".") or ch4.source, "source": ch4.source,
                      "confirmed": ch4.confirmed and n2o.confirmed}  # fmt: skip
    except MissingFactor:
        out["gwp"] = {"set": f"none: factor set {factors.label} has no gwp.* factors"}
    return out


def _source(factors: FactorSet, key: str) -> dict[str, Any]:
    try:
        f = factors.get(key)
    except MissingFactor:
        return {"key": key, "missing": True}
    return {"key": key, "value": str(f.value), "unit": f.unit, "source": f.source, "year": f.year,
            "confirmed": f.confirmed}  # fmt: skip


def steam_conditions(inv: Inventory, factors: FactorSet) -> list[dict[str, Any]]:
    """The declared conditions of each steam source, the enthalpy and the heat per tonne, written out."""
    if not inv.steam or "steam.feedwater_enthalpy" not in factors.factors:  # steam metered only in GJ
        return [declared.to_json() for _, declared in sorted(inv.steam.items())]
    feed = factors.get("steam.feedwater_enthalpy")
    out = []
    for _, declared in sorted(inv.steam.items()):
        per_t = heat_gj_per_t(declared, Fraction(feed.value))
        out.append(declared.to_json() | {
            "feedwater_kj_per_kg": str(feed.value),
            "heat_gj_per_t": shown(per_t),
            "arithmetic": f"h({declared.described}) = {declared.enthalpy_kj_per_kg} kJ/kg (IAPWS-IF97); "
                          f"({declared.enthalpy_kj_per_kg} − {feed.value}) kJ/kg ÷ 1000 = {shown(per_t)} GJ/t",
        })  # fmt: skip
    return out


def intensity(inv: Inventory) -> dict[str, Any]:
    """tCO2e per unit of output, for each unit output was recorded in, location- and market-based."""
    numerators = (
        ("Scope 1 + Scope 2 (location-based)", inv.scope1 + inv.scope2_location),
        ("Scope 1 + Scope 2 (market-based)", inv.scope1 + inv.scope2_market),
    )
    rows = []
    for unit, output in sorted(inv.production.items()):
        for what, emissions in numerators:
            value: Fraction | None = None if output == ZERO else emissions / output
            figure = "undefined (no output)" if value is None else shown(value)
            rows.append({
                "unit": unit, "output": shown(output), "emissions": what, "tco2e": shown(emissions),
                "tco2e_per_unit": figure,
                "arithmetic": f"{shown(emissions)} tCO2e ({what}) ÷ {shown(output)} {unit} = {figure} tCO2e/{unit}",
            })  # fmt: skip
    return {
        "rows": rows,
        "note": "biogenic CO2 is not in the numerator" if rows else "no production_output records: not computed",
    }

"""The "floating zero": what brings a factory's net figure towards zero, kept as separate figures.

A factory reaches zero by four different means, and a verifier must see each apart, because they are
not the same kind of thing and adding them would count one green attribute as two:

- **own reductions** — emissions the factory itself no longer causes:
  - *on-site renewable* self-consumed: its MWh did not come from the grid, valued at the
    location-based grid factor (the physical grid it displaced);
  - *efficiency* against a **declared base year**: (base-year intensity − this year's intensity) ×
    this year's output, both on gross Scope 1 + Scope 2 location-based emissions (on-site renewable
    counted as if drawn from the grid, so it is not counted twice). Without base-year data the figure
    is ``null`` with "no base year" — never 0;
- **certificates** (GEC, I-REC, green-power contracts): an instrument that lowers *market-based*
  Scope 2 (covered MWh × residual-mix factor), not a physical reduction;
- **offsets** and **removals**: credits retired for the year, never netted against emissions.

There is no "reductions" total: the report and its page show these figures side by side only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ledger.accounting.inventory import Inventory
from ledger.numbers import exact, shown
from ledger.records.errors import RecordError

NO_BASE_YEAR = "no base year"
_BASE_FIELDS = {"year", "gross_emissions_tco2e", "output", "output_unit", "source"}


@dataclass(frozen=True)
class BaseYear:
    """Base-year data as the requester declares it (not anchored: the report says so and names ``source``).

    ``gross_emissions`` is Scope 1 + Scope 2 location-based tCO2e with on-site renewable counted at the
    grid factor; ``output`` in ``output_unit`` (a production unit of the factory's records) makes the
    comparison per unit of output; without it the comparison is absolute.
    """

    year: int
    gross_emissions: Fraction
    source: str
    output: Fraction | None = None
    output_unit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year, "gross_emissions_tco2e": shown(self.gross_emissions), "source": self.source,
            "output": None if self.output is None else shown(self.output), "output_unit": self.output_unit,
            "declared": True,
        }  # fmt: skip


def parse_base_year(data: Mapping[str, Any] | None, evaluated_year: int) -> BaseYear | None:
    """``base_year`` of a request, checked; every refusal names its field (``base_year.<field>``)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise RecordError("base_year", "must be an object")
    unknown = sorted(set(data) - _BASE_FIELDS)
    if unknown:
        raise RecordError(
            f"base_year.{unknown[0]}", f"is not a base-year field (fields: {', '.join(sorted(_BASE_FIELDS))})"
        )
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year < evaluated_year:
        raise RecordError("base_year.year", f"must be a year from 2000 before the evaluated year {evaluated_year}")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RecordError("base_year.source", "name where the base-year figures come from (a report, a verification)")
    gross = _positive(data, "gross_emissions_tco2e")
    output, unit = data.get("output"), data.get("output_unit")
    if (output is None) != (unit is None):
        raise RecordError(
            "base_year.output_unit" if unit is None else "base_year.output", "give output and output_unit together"
        )
    if unit is not None and (not isinstance(unit, str) or not unit.strip()):
        raise RecordError("base_year.output_unit", "must be a unit of the factory's production records")
    return BaseYear(year, gross, source.strip(), None if output is None else _positive(data, "output"), unit)


def _positive(data: Mapping[str, Any], key: str) -> Fraction:
    value = data.get(key)
    if not isinstance(value, str):
        raise RecordError(f"base_year.{key}", "must be a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RecordError(f"base_year.{key}", f"is not a decimal number: {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise RecordError(f"base_year.{key}", "must be greater than 0")
    return exact(value)


def floating_zero(inv: Inventory, base_year: BaseYear | None) -> dict[str, Any]:
    """The four figures apart, each with its arithmetic (tCO2e, exact until :func:`shown`)."""
    e = inv.electricity  # indexed, not .get(): a figure the inventory no longer gives must fail, not read as 0
    onsite_mwh, location = e["onsite_mwh"], e["location_factor"]
    onsite = inv.onsite_reduction
    covered, residual = e["covered_mwh"], e["residual_mix_factor"]
    return {
        "own_reductions": {
            "onsite_renewable": {
                "mwh": shown(onsite_mwh), "location_factor": shown(location), "tco2e": shown(onsite),
                "arithmetic": f"{shown(onsite_mwh)} MWh self-consumed × {shown(location)} tCO2/MWh = {shown(onsite)} tCO2e",
            },
            "efficiency": _efficiency(inv, base_year, onsite),
        },
        "certificates": {
            "green_power_mwh": shown(e["green_power_mwh"]),
            "certificates_mwh": shown(e["certificates_mwh"]), "covered_mwh": shown(covered),
            "residual_mix_factor": shown(residual), "scope2_market_effect_tco2e": shown(covered * residual),
            "arithmetic": f"{shown(covered)} MWh covered × {shown(residual)} tCO2/MWh residual mix = "
                          f"{shown(covered * residual)} tCO2e less market-based Scope 2",
            "note": "an instrument lowering market-based Scope 2, not a physical reduction",
        },
        "offsets": {"tco2e": shown(inv.offsets), "note": "credits retired for the year; never netted against emissions"},
        "removals": {"tco2e": shown(inv.removals), "note": "removal credits retired for the year; never netted"},
        "summed": False,
        "note": "own reductions, certificates, offsets and removals are separate figures: no total adds them",
    }  # fmt: skip


def _efficiency(inv: Inventory, base: BaseYear | None, onsite: Fraction) -> dict[str, Any]:
    if base is None:
        return {"status": NO_BASE_YEAR, "tco2e": None, "base_year": None,
                "explanation": "no base-year data was given: efficiency is not computed (not zero)"}  # fmt: skip
    gross = inv.scope1 + inv.scope2_location + onsite
    out: dict[str, Any] = {"base_year": base.to_json(), "gross_emissions_tco2e": shown(gross)}
    gross_text = (f"gross {inv.year} = Scope 1 {shown(inv.scope1)} + Scope 2 location {shown(inv.scope2_location)} "
                  f"+ on-site {shown(onsite)} = {shown(gross)} tCO2e")  # fmt: skip
    if base.output is None:
        saved = base.gross_emissions - gross
        return out | {"status": "computed", "method": "absolute", "tco2e": shown(saved),
                      "arithmetic": f"{gross_text}; {shown(base.gross_emissions)} − {shown(gross)} = {shown(saved)} tCO2e"}  # fmt: skip
    output = inv.production.get(base.output_unit or "")
    if not output:
        return out | {"status": f"no production output in {base.output_unit} for {inv.year}", "tco2e": None,
                      "method": "intensity",
                      "explanation": f"this year's records hold no production_output in {base.output_unit}: "
                                     "the intensity cannot be compared (not zero)"}  # fmt: skip
    before, now = base.gross_emissions / base.output, gross / output
    saved = (before - now) * output
    return out | {
        "status": "computed", "method": "intensity", "output": shown(output), "output_unit": base.output_unit,
        "intensity_base": shown(before), "intensity_now": shown(now), "tco2e": shown(saved),
        "arithmetic": f"{gross_text}; ({shown(base.gross_emissions)} ÷ {shown(base.output)} − {shown(gross)} ÷ "
                      f"{shown(output)}) tCO2e/{base.output_unit} × {shown(output)} {base.output_unit} = {shown(saved)} tCO2e",
    }  # fmt: skip

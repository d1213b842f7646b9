"""Factor units: a user's set that writes the bundled factors in other units gives the same inventory.

The inventory multiplies every activity by its factors through ``ledger.factors.arithmetic``, which
reads each factor in the unit the product needs (``ledger.factors.units``). So ``cn-mee-2023``
rewritten with the coal oxidation rate as ``94 %``, the NCV in MJ/t, carbon content in kgC/GJ, the
grid factor in kgCO2/kWh, heat in kgCO2/GJ… must give exactly the same tonnes on every line, every
month and every total; and a unit that cannot be read is refused with the set, key and unit named.
Pure arithmetic: no chain, no database.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest

from ledger.accounting.inventory import AccountingError, Inventory, InventoryRecord, compute_inventory
from ledger.factors import FactorSet, FactorUnitError, combustion, load_factor_set
from ledger.factors.steam import SteamConditions
from tests.builders import inventory_record as record

YEAR = 2025
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
DEFAULT = load_factor_set("cn-mee-2023")
BUNDLED_TOML = resources.files("ledger.factors").joinpath("sets", "cn-mee-2023.toml").read_text(encoding="utf-8")

# key -> (value, unit): the same factor as in cn-mee-2023, written another way
REWRITTEN = {
    "grid.national_average": ("0.5306", "kgCO2/kWh"),  # = 0.5306 tCO2/MWh
    "grid.east": ("550.0", "kgCO2/MWh"),  # = 0.5500 tCO2/MWh
    "grid.residual_mix": ("609.6", "tCO2/GWh"),  # = 0.6096 tCO2/MWh
    "fuel.raw_coal.ncv": ("20908", "MJ/t"),
    "fuel.raw_coal.carbon_content": ("26.37", "kgC/GJ"),
    "fuel.raw_coal.oxidation": ("94", "%"),
    "fuel.diesel.ncv": ("0.042652", "TJ/t"),
    "fuel.diesel.carbon_content": ("0.0202", "tC/GJ"),
    "fuel.diesel.oxidation": ("98", "%"),
    "fuel.raw_coal.ch4": ("0.01", "kgCH4/GJ"),  # = 10 kgCH4/TJ
    "fuel.raw_coal.n2o": ("0.0000015", "tN2O/GJ"),  # = 1.5 kgN2O/TJ
    "fuel.gasoline.ncv": ("43.070", "MJ/kg"),
    "fuel.natural_gas.ncv": ("38.931", "MJ/Nm3"),
    "fuel.natural_gas.carbon_content": ("0.0153", "kgC/MJ"),
    "fuel.natural_gas.n2o": ("0.0001", "kgN2O/GJ"),  # = 0.1 kgN2O/TJ
    "heat.purchased": ("110", "kgCO2/GJ"),
    "steam.feedwater_enthalpy": ("0.08374", "MJ/kg"),  # = 83.74 kJ/kg
    "biomass.wood.co2": ("112", "tCO2/TJ"),  # = 112000 kgCO2/TJ
    "biomass.wood.ch4": ("0.03", "kgCH4/GJ"),  # = 30 kgCH4/TJ
    "biomass.wood.n2o": ("0.004", "tN2O/TJ"),  # = 4 kgN2O/TJ
    "gwp.ch4": ("0.028", "tCO2e/kgCH4"),  # = 28 tCO2e/tCH4
    "energy.mj_per_kgce": ("29.307", "GJ/tce"),
    "energy.electricity_kgce_per_kwh": ("122.9", "kgce/MWh"),
    "scope3.road_freight": ("0.1", "kgCO2e/tkm"),
    "scope3.purchased_steel": ("2.0", "kgCO2e/kg"),
    "scope3.purchased_aluminium": ("16000", "kgCO2e/t"),
}
# every kind the inventory accounts, in the units meters write
ROWS = [
    ("grid_electricity", "1352210.8", "kWh"), ("grid_electricity", "100.5", "MWh"),
    ("onsite_renewable_self_consumed", "42.123", "MWh"), ("green_power_contract", "10", "MWh"),
    ("natural_gas", "18652.0", "Nm3"), ("natural_gas", "1.5", "10^4 Nm3"), ("natural_gas", "500", "GJ"),
    ("coal", "12.345", "t"), ("coal", "800", "kg"), ("coal", "3", "TJ"), ("diesel", "2.5", "t"),
    ("gasoline", "1234", "kg"), ("purchased_steam", "120.5", "t"), ("purchased_steam", "5000", "kg"),
    ("purchased_steam", "300", "GJ"), ("purchased_heat", "77.7", "GJ"), ("purchased_heat", "10", "MWh"),
    ("process_emissions", "12.5", "tCO2e"), ("transport_road_freight", "10000", "tkm"),
    ("transport_rail_freight", "3333", "tkm"), ("purchased_steel", "12.5", "t"), ("purchased_aluminium", "800", "kg"),
    ("purchased_cement", "3", "t"), ("production_output", "100", "pcs"), ("biomass_wood", "12.5", "t"),
    ("biomass_wood", "40", "GJ"),
]  # fmt: skip


def year_of_records() -> list[InventoryRecord]:
    rows = [(p, *row) for p in MONTHS for row in ROWS]
    return [record(n, p, kind, value, unit) for n, (p, kind, value, unit) in enumerate(rows)]


def rewrite(text: str, changes: dict[str, tuple[str, str]], set_id: str = "acme-units") -> str:
    """The bundled TOML with ``[set].id`` and the given factors' value and unit replaced."""
    text, n = re.subn(r'^id = "cn-mee-2023"$', f'id = "{set_id}"', text, flags=re.M)
    assert n == 1
    for key, (value, unit) in changes.items():
        pattern = rf'(^\[{re.escape(key)}\]\nvalue = )"[^"]*"(\nunit = )"[^"]*"'
        text, n = re.subn(pattern, rf'\g<1>"{value}"\g<2>"{unit}"', text, flags=re.M)
        assert n == 1, key
    return text


def user_set(tmp_path: Path, changes: dict[str, tuple[str, str]], name: str = "acme-units.toml") -> FactorSet:
    path = tmp_path / name
    path.write_text(rewrite(BUNDLED_TOML, changes), encoding="utf-8")
    return load_factor_set(path)


STEAM = {"meter-purchased_steam": SteamConditions("meter-purchased_steam", Decimal("1.0"), None)}


def inventory(records: list[InventoryRecord], factors: FactorSet, grid: str = "national_average") -> Inventory:
    return compute_inventory(factory_id="CN-G", year=YEAR, records=records, claims=[], invalid_claims=frozenset(),
                             factors=factors, grid=grid, steam=STEAM)  # fmt: skip


def test_the_rewritten_set_really_uses_other_units(tmp_path: Path) -> None:
    user = user_set(tmp_path, REWRITTEN)
    for key, (value, unit) in REWRITTEN.items():
        assert (str(user.get(key).value), user.get(key).unit) == (value, unit)
        assert user.get(key).unit != DEFAULT.get(key).unit, key
    assert user.label == f"acme-units@{DEFAULT.version}" and user.digest != DEFAULT.digest


@pytest.mark.parametrize("grid", ["national_average", "east"])
def test_other_units_give_exactly_the_same_tonnes(tmp_path: Path, grid: str) -> None:
    records = year_of_records()
    base, user = inventory(records, DEFAULT, grid), inventory(records, user_set(tmp_path, REWRITTEN), grid)
    assert len(base.lines) == len(user.lines) > 12 * len(ROWS)
    for a, b in zip(base.lines, user.lines, strict=True):
        assert (a.scope, a.category, a.period, a.source_id, a.records, a.activity) == (
            b.scope,
            b.category,
            b.period,
            b.source_id,
            b.records,
            b.activity,
        )
        assert a.result == b.result, (a.arithmetic, b.arithmetic)
        assert [k for k, _ in a.factors] == [k for k, _ in b.factors]
    for figure in (
        "scope1",
        "scope2_location",
        "scope2_market",
        "scope3",
        "energy_tce",
        "onsite_reduction",
        "biogenic_co2",
    ):
        assert getattr(base, figure) == getattr(user, figure) > 0, figure
    assert base.electricity == user.electricity and base.production == user.production
    assert base.monthly == user.monthly
    assert base.factor_set == DEFAULT.label and user.factor_set == f"acme-units@{DEFAULT.version}"


def test_the_arithmetic_shows_the_units_as_written(tmp_path: Path) -> None:
    records = [record(1, "2025-01", "grid_electricity", "100", "MWh"), record(2, "2025-01", "purchased_heat", "10", "GJ"),
               record(3, "2025-01", "transport_road_freight", "1000", "tkm")]  # fmt: skip
    base, user = inventory(records, DEFAULT), inventory(records, user_set(tmp_path, REWRITTEN))
    assert [ln.arithmetic for ln in base.lines] == [
        "100 MWh × 1000 kWh/MWh × 0.1229 kgce/kWh ÷ 1000 = 12.29 tce",
        "100 MWh × 0.5306 tCO2/MWh = 53.06 tCO2 (location-based)",
        "10 GJ × 0.11 tCO2/GJ = 1.1 tCO2",
        "10 GJ × 1000 ÷ 29.307 MJ/kgce ÷ 1000 = 0.341215 tce",
        "1000 tkm × 0.0001 tCO2e/tkm = 0.1 tCO2e",
    ]
    assert [ln.arithmetic for ln in user.lines] == [
        "100 MWh × 1000 kWh/MWh × 122.9 kgce/MWh ÷ 1000 ÷ 1000 = 12.29 tce",
        "100 MWh × 0.5306 kgCO2/kWh = 53.06 tCO2 (location-based)",
        "10 GJ × 110 kgCO2/GJ ÷ 1000 = 1.1 tCO2",
        "10 GJ × 1000 ÷ 29.307 GJ/tce ÷ 1000 = 0.341215 tce",
        "1000 tkm × 0.1 kgCO2e/tkm ÷ 1000 = 0.1 tCO2e",
    ]
    assert user.lines[1].factors == (("grid.national_average", "0.5306 kgCO2/kWh"),)


def test_coal_oxidation_in_percent_is_not_a_hundred_times_too_much(tmp_path: Path) -> None:
    # the regression: "94" with unit "%" was multiplied as 94, giving ≈190 tCO2 for one tonne of coal
    user = user_set(tmp_path, {"fuel.raw_coal.oxidation": ("94", "%")})
    inv = inventory([record(1, "2025-01", "coal", "1", "t")], user)
    # CO2: 20.908 GJ/t × 26.37 tC/TJ ÷ 1000 × 0.94 × 44/12 = 1.9002988488 tCO2 (a finite decimal);
    # CH4: 20.908 GJ × 10 kg/TJ ÷ 10^6 = 0.00020908 t × 28 = 0.00585424 tCO2e;
    # N2O: 20.908 GJ × 1.5 kg/TJ ÷ 10^6 = 0.000031362 t × 265 = 0.00831093 tCO2e
    co2 = inv.lines[0].result
    assert (
        co2 == Fraction("1.9002988488") == inventory([record(1, "2025-01", "coal", "1", "t")], DEFAULT).lines[0].result
    )
    assert co2 == combustion(user, "raw_coal").exact, "the inventory and the derived factor agree"
    assert inv.scope1 == co2 + Fraction("0.00585424") + Fraction("0.00831093")
    assert inv.lines[0].arithmetic == (
        "1 t × 20.908 GJ/t = 20.908 GJ; 20.908 GJ × 26.37 tC/TJ ÷ 1000 × 94 % × 44/12 = 1.900299 tCO2"
    )
    default = inventory([record(1, "2025-01", "coal", "1", "t")], DEFAULT).lines[0].arithmetic
    assert default == "1 t × 20.908 GJ/t = 20.908 GJ; 20.908 GJ × 26.37 tC/TJ ÷ 1000 × 0.94 × 44/12 = 1.900299 tCO2"


def test_a_fuel_is_metered_in_the_unit_of_its_ncv_or_by_energy(tmp_path: Path) -> None:
    user = user_set(tmp_path, {"fuel.natural_gas.ncv": ("38.931", "MJ/Nm3")})
    line = inventory([record(1, "2025-01", "natural_gas", "1.5", "10^4 Nm3")], user).lines[0]
    assert line.arithmetic.startswith("15000 Nm3 × 38.931 MJ/Nm3 ÷ 1000 = 583.965 GJ; ")
    with pytest.raises(
        AccountingError,
        match=r"record rec-1 \(source meter-natural_gas, 2025-01, 1 record\(s\) of natural_gas in m3\): natural_gas in m3 cannot be accounted; give it in Nm3 or GJ",
    ):
        inventory([record(1, "2025-01", "natural_gas", "100", "m3")], user)


@pytest.mark.parametrize(
    ("key", "value", "unit", "kind", "activity"),
    [
        ("grid.national_average", "0.5306", "tCO2/t", "grid_electricity", ("100", "MWh")),
        ("grid.residual_mix", "0.6096", "tCO2e", "grid_electricity", ("100", "MWh")),
        ("fuel.raw_coal.ncv", "5000", "kcal/kg", "coal", ("1", "t")),
        ("fuel.raw_coal.carbon_content", "26.37", "tCO2/TJ", "coal", ("1", "t")),
        ("fuel.raw_coal.oxidation", "94", "1", "coal", ("1", "t")),
        ("heat.purchased", "0.11", "tCO2/t", "purchased_heat", ("10", "GJ")),
        ("steam.feedwater_enthalpy", "83.74", "tCO2/t", "purchased_steam", ("10", "t")),
        ("biomass.wood.ch4", "30", "kgCO2/TJ", "biomass_wood", ("1", "t")),
        ("gwp.n2o", "265", "tCO2e", "biomass_wood", ("1", "t")),
        ("energy.mj_per_kgce", "7000", "kcal/kgce", "purchased_heat", ("10", "GJ")),
        ("energy.electricity_kgce_per_kwh", "0.1229", "kgce", "grid_electricity", ("100", "MWh")),
        ("scope3.road_freight", "0.1", "kgCO2/tkm", "transport_road_freight", ("1000", "tkm")),
    ],
)
def test_an_unusable_unit_is_refused_naming_set_key_and_unit(
    tmp_path: Path, key: str, value: str, unit: str, kind: str, activity: tuple[str, str]
) -> None:
    user = user_set(tmp_path, {key: (value, unit)}, "bad.toml")
    with pytest.raises(AccountingError) as info:
        inventory([record(1, "2025-01", kind, *activity)], user)
    message = str(info.value)
    assert f"acme-units@{DEFAULT.version}" in message and str(tmp_path / "bad.toml") in message
    assert f"{key}:" in message and (repr(unit) in message or f"{value} {unit} is not in (0, 1]" in message)
    cause = info.value.__cause__
    assert isinstance(cause, FactorUnitError) and (cause.set_label, cause.key, cause.unit) == (
        f"acme-units@{DEFAULT.version}",
        key,
        unit,
    )

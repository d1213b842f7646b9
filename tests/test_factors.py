"""Emission-factor sets: bundled data equals the domain reference exactly, derived factors are exact,
user files are checked, and two sets compare side by side.

Reference: /work/shared/reference/zero-carbon-domain.md §2 (standard coal) and §3 (factors).
"""

from __future__ import annotations

import pickle
import shutil
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.factors import (
    NAMESPACES,
    FactorSet,
    FactorSetError,
    FactorUnitError,
    MissingFactor,
    bundled_factor_sets,
    combustion,
    combustion_factor,
    compare,
    compare_table,
    fuels,
    load_factor_set,
    loads_factor_set,
    round_half_even,
    standard_coal,
    steam,
    steam_factor,
)
from ledger.factors.steam import SteamConditions

SETS_DIR = Path(__file__).resolve().parents[1] / "ledger" / "factors" / "sets"

REGIONS = ("north", "northeast", "east", "central", "northwest", "south", "southwest")

# domain reference §3, tCO2/MWh, as strings: compared with Decimal equality AND as written
GRID = {
    "cn-mee-2023": {
        "national_average": "0.5306",
        "residual_mix": "0.6096",
        "fossil_only": "0.8273",
        "north": "0.6361",
        "northeast": "0.5122",
        "east": "0.5500",
        "central": "0.5271",
        "northwest": "0.5543",
        "south": "0.4042",
        "southwest": "0.2472",
    },
    "cn-mee-2022": {
        "national_average": "0.5366",
        "residual_mix": "0.5856",
        "fossil_only": "0.8325",
        "north": "0.6776",
        "northeast": "0.5564",
        "east": "0.5617",
        "central": "0.5395",
        "northwest": "0.5857",
        "south": "0.3869",
        "southwest": "0.2268",
    },
    "cn-mee-2021": {"national_average": "0.5568", "residual_mix": "0.5942", "fossil_only": "0.8426"},
    "cn-ets-2023": {"national_average": "0.5703", "residual_mix": "0.5856"},
}

# (key, value, unit, confirmed): the same in every bundled set
COMMON = [
    ("fuel.raw_coal.ncv", "20.908", "GJ/t", True),
    ("fuel.raw_coal.carbon_content", "26.37", "tC/TJ", True),
    ("fuel.raw_coal.oxidation", "0.94", "1", True),
    ("fuel.diesel.ncv", "42.652", "GJ/t", True),
    ("fuel.diesel.carbon_content", "20.2", "tC/TJ", True),
    ("fuel.diesel.oxidation", "0.98", "1", True),
    ("fuel.gasoline.ncv", "43.070", "GJ/t", False),
    ("fuel.gasoline.carbon_content", "18.9", "tC/TJ", False),
    ("fuel.gasoline.oxidation", "0.98", "1", False),
    ("fuel.natural_gas.ncv", "389.31", "GJ/10^4 Nm3", True),
    ("fuel.natural_gas.carbon_content", "15.3", "tC/TJ", True),
    ("fuel.natural_gas.oxidation", "0.99", "1", True),
    ("heat.purchased", "0.11", "tCO2/GJ", False),
    ("steam.feedwater_enthalpy", "83.74", "kJ/kg", True),
    ("biomass.wood.ncv", "15.6", "GJ/t", True),
    ("biomass.wood.co2", "112000", "kgCO2/TJ", True),
    ("biomass.wood.ch4", "30", "kgCH4/TJ", False),
    ("biomass.wood.n2o", "4", "kgN2O/TJ", False),
    ("gwp.ch4", "28", "tCO2e/tCH4", True),
    ("gwp.n2o", "265", "tCO2e/tN2O", False),
    ("energy.mj_per_kgce", "29.307", "MJ/kgce", True),
    ("energy.electricity_kgce_per_kwh", "0.1229", "kgce/kWh", True),
]
SCOPE3 = (
    "road_freight",
    "rail_freight",
    "sea_freight",
    "purchased_steel",
    "purchased_aluminium",
    "purchased_cement",
    "purchased_plastics",
)

MINIMAL = """
[set]
id = "acme-2024"
version = "1"
name = "ACME measured factors"

[grid.national_average]
value = "0.5306"
unit = "tCO2/MWh"
source = "MEE & NBS 2023"
year = 2023
confirmed = true
"""


def write(tmp_path: Path, text: str, name: str = "user.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> FactorSetError:
    path = write(tmp_path, text)
    with pytest.raises(FactorSetError) as info:
        load_factor_set(path)
    assert str(path) in str(info.value), "the error names the file"
    return info.value


# ---------------------------------------------------------------------------------------------
# Bundled sets
# ---------------------------------------------------------------------------------------------


def test_bundled_sets_are_listed_by_id():
    assert bundled_factor_sets() == ["cn-ets-2023", "cn-mee-2021", "cn-mee-2022", "cn-mee-2023"]
    assert sorted(p.stem for p in SETS_DIR.glob("*.toml")) == bundled_factor_sets()


@pytest.mark.parametrize("set_id", sorted(GRID))
def test_every_bundled_set_loads_with_provenance(set_id):
    fs = load_factor_set(set_id)
    assert isinstance(fs, FactorSet)
    assert fs.id == set_id and fs.label == f"{set_id}@{fs.version}"
    assert fs.origin == f"bundled:{set_id}"
    assert fs.name and fs.description and fs.updated is not None
    for key, factor in fs.factors.items():
        assert factor.key == key and key.split(".")[0] in NAMESPACES
        assert factor.unit and factor.source, key
        if factor.confirmed:
            assert factor.year is not None, f"{key}: a confirmed value names its year"
        else:
            assert factor.note, f"{key}: an unconfirmed value says why in its note"
    assert load_factor_set(set_id) is fs, "bundled sets are cached"
    assert load_factor_set(f"{set_id}@{fs.version}") is fs


@pytest.mark.parametrize("set_id", sorted(GRID))
def test_grid_factors_equal_the_reference_exactly(set_id):
    fs = load_factor_set(set_id)
    assert [k for k in fs.keys("grid") if not k.startswith("grid.province.")] == [f"grid.{n}" for n in GRID[set_id]]
    for name, expected in GRID[set_id].items():
        factor = fs.get(f"grid.{name}")
        assert factor.value == Decimal(expected) and str(factor.value) == expected, name
        assert factor.unit == "tCO2/MWh" and factor.confirmed


def test_grid_factor_years_and_ets_substitution_are_stated():
    for year in ("2021", "2022", "2023"):
        fs = load_factor_set(f"cn-mee-{year}")
        assert {f.year for f in fs.factors.values() if f.key.startswith("grid.")} == {int(year)}
        assert f"{year}年电力二氧化碳排放因子" in fs.get("grid.national_average").source
    ets = load_factor_set("cn-ets-2023")
    assert "ETS" in ets.get("grid.national_average").note
    residual = ets.get("grid.residual_mix")
    assert residual.year == 2022 and "2022" in residual.source and "2022" in residual.note
    published = load_factor_set("cn-mee-2022").get("grid.residual_mix")
    assert (residual.value, residual.unit, residual.source) == (published.value, published.unit, published.source)


@pytest.mark.parametrize("set_id", sorted(GRID))
def test_fuel_heat_steam_energy_defaults(set_id):
    fs = load_factor_set(set_id)
    for key, value, unit, confirmed in COMMON:
        factor = fs.get(key)
        assert (str(factor.value), factor.unit, factor.confirmed) == (value, unit, confirmed), key
    gasoline = fs.get("fuel.gasoline.ncv")
    assert "工业其他行业企业温室气体排放核算方法与报告指南" in gasoline.source
    assert (
        "IAPWS-IF97" in fs.get("steam.feedwater_enthalpy").note and "83.74" in fs.get("steam.feedwater_enthalpy").source
    )
    assert "0.11 tCO2/GJ" in fs.get("heat.purchased").source and "GWP-100" in fs.get("gwp.ch4").source
    assert "GB/T 2589" in fs.get("energy.electricity_kgce_per_kwh").source
    for name in SCOPE3:
        factor = fs.get(f"scope3.{name}")
        assert not factor.confirmed and "illustrative" in factor.source.lower()
        assert factor.unit == ("tCO2e/tkm" if name.endswith("freight") else "tCO2e/t")
        assert factor.value > 0


def test_non_grid_factors_are_identical_across_bundled_sets():
    sets = [load_factor_set(i) for i in bundled_factor_sets()]
    first = sets[0]
    for other in sets[1:]:
        differing = [d.key for d in compare(first, other, metadata=True)]
        assert all(key.startswith("grid.") for key in differing), (other.label, differing)


def test_activity_units_are_record_units():
    """Denominators of the factor units are canonical unit symbols of ledger.records.units, so an
    activity recorded in a measurement record can be matched to its factor."""
    from ledger.records.units import UNITS

    fs = load_factor_set("cn-mee-2023")
    for factor in fs.factors.values():
        if factor.unit in ("1",):
            continue
        denominator = factor.unit.split("/", 1)[1]
        if (
            factor.key.endswith(".carbon_content")
            or factor.key == "energy.mj_per_kgce"
            or factor.key.startswith("gwp.")
        ):
            continue  # tC/TJ and MJ/kgce are per-energy ratios, GWPs per tonne of a gas, not per-activity factors
        assert denominator in UNITS, (factor.key, factor.unit)


# ---------------------------------------------------------------------------------------------
# Derived factors: exact arithmetic, rounded once
# ---------------------------------------------------------------------------------------------


def test_combustion_factors_round_to_the_published_ones():
    fs = load_factor_set("cn-mee-2023")
    # published to 4 decimals (coal, diesel) and, for gas, 2.1622 tCO2 per 10^3 Nm3 = 21.622 per 10^4 Nm3
    assert combustion_factor(fs, "raw_coal", 4) == Decimal("1.9003")
    assert combustion_factor(fs, "diesel", 4) == Decimal("3.0959")
    assert combustion_factor(fs, "natural_gas", 3) == Decimal("21.622")
    assert round_half_even(combustion(fs, "natural_gas").exact / 10, 4) == Decimal("2.1622")
    assert combustion_factor(fs, "gasoline", 4) == Decimal("2.9251")
    assert combustion(fs, "raw_coal").unit == "tCO2/t"
    assert combustion(fs, "fuel.natural_gas").unit == "tCO2/10^4 Nm3"
    assert fuels(fs) == ["raw_coal", "diesel", "gasoline", "natural_gas"]


def test_combustion_is_exact_and_written_out():
    fs = load_factor_set("cn-mee-2023")
    coal = combustion(fs, "raw_coal")
    assert coal.exact == Fraction("20.908") * Fraction("26.37") * Fraction("0.94") * Fraction(44, 12) / 1000
    assert coal.is_exact_decimal and coal.value == Decimal("1.9002988488")
    assert coal.formula() == "20.908 GJ/t × 0.001 TJ/GJ × 26.37 tC/TJ × 0.94 × 44/12 tCO2/tC = 1.9002988488 tCO2/t"
    assert [f.key for f in coal.inputs] == [
        "fuel.raw_coal.ncv",
        "fuel.raw_coal.carbon_content",
        "fuel.raw_coal.oxidation",
    ]
    assert coal.factor_set == "cn-mee-2023@1.2"

    diesel = combustion(fs, "diesel")
    assert not diesel.is_exact_decimal, "44/12 leaves a repeating decimal"
    assert diesel.value == Decimal("3.0959096373") and diesel.value.as_tuple().exponent == -10
    assert diesel.formula().endswith("= 3.0959096373… tCO2/t")


def test_steam_and_standard_coal():
    """Saturated steam at 1.0 MPa: h = 2777.12 kJ/kg (IAPWS-IF97); (2777.12 − 83.74) ÷ 1000 = 2.69338 GJ/t;
    × 0.11 tCO2/GJ = 0.2962718 tCO2/t."""
    fs = load_factor_set("cn-mee-2023")
    declared = SteamConditions("meter-1", Decimal("1.0"), None)
    assert steam(fs, declared).exact == Fraction("0.2962718") and steam_factor(fs, declared) == Decimal("0.2962718000")
    assert steam(fs, declared).formula() == "(2777.12 kJ/kg − 83.74 kJ/kg) ÷ 1000 × 0.11 tCO2/GJ = 0.2962718 tCO2/t"
    assert standard_coal(fs, "electricity").exact == Fraction("0.1229")
    assert standard_coal(fs, "heat").exact == Fraction(1000) / Fraction("29.307")
    assert standard_coal(fs, "raw_coal").exact == Fraction("20908") / Fraction("29.307")
    assert standard_coal(fs, "raw_coal").rounded(4) == Decimal("713.4132")
    assert standard_coal(fs, "natural_gas").unit == "kgce/10^4 Nm3"


def test_round_half_even_ties_and_signs():
    assert round_half_even(Fraction(1, 8), 2) == Decimal("0.12")
    assert round_half_even(Fraction(3, 8), 2) == Decimal("0.38")
    assert round_half_even(Fraction(-3, 8), 2) == Decimal("-0.38")
    assert round_half_even(Fraction(-1, 1000), 2) == Decimal("0.00")
    assert round_half_even(Fraction(5, 2), 0) == Decimal(2)
    assert str(round_half_even(Fraction(1, 3), 4)) == "0.3333"


@given(st.fractions(max_denominator=10**12), st.integers(min_value=0, max_value=12))
def test_round_half_even_agrees_with_decimal_quantize(value, places):
    from decimal import Context

    ctx = Context(prec=200)
    expected = ctx.divide(Decimal(value.numerator), Decimal(value.denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=ctx
    )
    assert round_half_even(value, places) == expected


def test_user_ncv_in_other_energy_units_is_scaled_or_refused(tmp_path):
    text = (
        MINIMAL
        + """
[fuel.coke.ncv]
value = "28435"
unit = "MJ/t"
source = "lab report 2024-17"
confirmed = true
[fuel.coke.carbon_content]
value = "29.5"
unit = "kgC/GJ"
source = "lab report 2024-17"
confirmed = true
[fuel.coke.oxidation]
value = "93"
unit = "%"
source = "guideline default"
confirmed = false
note = "check"
"""
    )
    fs = load_factor_set(write(tmp_path, text))
    assert (
        combustion(fs, "coke").exact
        == Fraction("28.435") * Fraction("29.5") * Fraction("0.93") * Fraction(44, 12) / 1000
    )
    bad = load_factor_set(write(tmp_path, text.replace('"MJ/t"', '"kcal/kg"'), "bad.toml"))
    with pytest.raises(FactorUnitError, match=r"acme-2024@1 .*fuel\.coke\.ncv.*kcal/kg"):
        combustion(bad, "coke")


# ---------------------------------------------------------------------------------------------
# User files
# ---------------------------------------------------------------------------------------------


def test_user_file_by_path(tmp_path):
    path = write(tmp_path, MINIMAL)
    for ref in (path, str(path)):
        fs = load_factor_set(ref)
        assert fs.label == "acme-2024@1" and fs.origin == str(path) and fs.extends is None
        assert fs.get("grid.national_average").value == Decimal("0.5306")
    assert loads_factor_set(MINIMAL, "upload").digest == load_factor_set(path).digest


def test_user_file_extends_and_overrides_a_bundled_set(tmp_path):
    text = """
[set]
id = "acme-2023-measured"
version = "2024.1"
name = "cn-mee-2023 with ACME's supplier heat factor"
extends = "cn-mee-2023@1.1"

[heat.purchased]
value = "0.0921"
unit = "tCO2/GJ"
source = "ACME's heat supplier, published factor 2023"
year = 2023
confirmed = true
"""
    user = load_factor_set(write(tmp_path, text))
    base = load_factor_set("cn-mee-2023@1.1")  # a superseded version, kept: a file may still build on it
    assert base.version == "1.1" and load_factor_set("cn-mee-2023").version != "1.1"
    assert user.label == "acme-2023-measured@2024.1" and user.extends == "cn-mee-2023@1.1"
    assert user.get("heat.purchased").value == Decimal("0.0921") and user.get("heat.purchased").confirmed
    assert user.get("grid.east") == base.get("grid.east"), "everything else comes from the base"
    declared = SteamConditions("meter-1", Decimal("1.0"), None)
    assert steam(user, declared).exact == Fraction("2.69338") * Fraction("0.0921")
    assert [(d.key, d.change) for d in compare(base, user)] == [("heat.purchased", "value,source,year,confirmed,note")]
    assert user.digest != base.digest


def test_user_file_may_not_pass_itself_off_as_a_bundled_set(tmp_path):
    original = (SETS_DIR / "cn-mee-2023.toml").read_text(encoding="utf-8")
    copy = shutil.copy(SETS_DIR / "cn-mee-2023.toml", tmp_path / "copy.toml")
    assert load_factor_set(Path(copy)).digest == load_factor_set("cn-mee-2023").digest

    edited = original.replace('value = "0.5500"', 'value = "0.4500"')
    error = refused(tmp_path, edited)
    assert error.key == "set.id" and "extends" in str(error)


def test_unknown_id_and_wrong_version():
    with pytest.raises(FactorSetError, match="no bundled factor set 'cn-mee-2099'.*cn-mee-2023"):
        load_factor_set("cn-mee-2099")
    with pytest.raises(FactorSetError, match="has no version '9.9'; versions: 1.1, 1.2"):
        load_factor_set("cn-mee-2023@9.9")
    with pytest.raises(FactorSetError, match="no such file"):
        load_factor_set("/nonexistent/factors.toml")


# ---------------------------------------------------------------------------------------------
# Bad files are refused, naming the file and the key
# ---------------------------------------------------------------------------------------------


def test_float_value_is_refused(tmp_path):
    error = refused(tmp_path, MINIMAL.replace('value = "0.5306"', "value = 0.5306"))
    assert error.key == "grid.national_average"
    assert "float" in str(error) and "grid.national_average" in str(error)


def test_integer_value_is_refused_too(tmp_path):
    error = refused(tmp_path, MINIMAL.replace('value = "0.5306"', "value = 1"))
    assert error.key == "grid.national_average" and "integer" in str(error)


@pytest.mark.parametrize("bad", ["0,5306", "0.5306 tCO2/MWh", "NaN", "Infinity", "", " 0.5"])
def test_non_decimal_string_is_refused(tmp_path, bad):
    error = refused(tmp_path, MINIMAL.replace('"0.5306"', f'"{bad}"'))
    assert error.key == "grid.national_average" and "not a decimal" in str(error)


def test_missing_source_or_unit_is_refused(tmp_path):
    error = refused(tmp_path, MINIMAL.replace('source = "MEE & NBS 2023"\n', ""))
    assert error.key == "grid.national_average" and "missing source" in str(error)
    error = refused(tmp_path, MINIMAL.replace('unit = "tCO2/MWh"\n', "").replace('source = "MEE & NBS 2023"\n', ""))
    assert "missing unit, source" in str(error)
    error = refused(tmp_path, MINIMAL.replace("confirmed = true\n", ""))
    assert "missing confirmed" in str(error)


def test_unknown_namespace_and_fields_are_refused(tmp_path):
    error = refused(tmp_path, MINIMAL.replace("[grid.national_average]", "[gird.national_average]"))
    assert error.key == "gird" and "unknown table" in str(error)
    error = refused(tmp_path, MINIMAL + 'vlaue = "1"\n')
    assert error.key == "grid.national_average" and "vlaue" in str(error)
    error = refused(tmp_path, MINIMAL.replace('name = "ACME measured factors"', 'name = "x"\nowner = "me"'))
    assert error.key == "set.owner"
    error = refused(tmp_path, MINIMAL.replace("[grid.national_average]", "[grid.National-Average]"))
    assert error.key == "grid.National-Average"


def test_all_problems_are_reported_at_once(tmp_path):
    text = (
        MINIMAL.replace('value = "0.5306"', "value = 0.5306")
        + """
[scope3.road_freight]
value = "0.0001"
unit = "tCO2e/tkm"
confirmed = "no"
"""
    )
    error = refused(tmp_path, text)
    keys = [key for key, _ in error.problems]
    assert keys == ["grid.national_average", "scope3.road_freight", "scope3.road_freight"]
    assert "2 problems" not in str(error) and "3 problems" in str(error)
    assert pickle.loads(pickle.dumps(error)).problems == error.problems


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[grid.x]\nvalue='1'\nunit='u'\nsource='s'\nconfirmed=true\n", "set", "missing [set]"),
        ('[set]\nid = "a"\n', "set", "missing version, name"),
        (
            '[set]\nid = "a@b"\nversion = "1"\nname = "n"\n[heat.purchased]\nvalue="1"\nunit="u"\nsource="s"\nconfirmed=true\n',
            "set.id",
            "does not match",
        ),
        ('[set]\nid = "a"\nversion = "1"\nname = "n"\n', None, "no factors"),
        ('[set]\nid = "a"\nversion = "1"\nname = "n"\nextends = "cn-mee-2023"\n', "set.extends", "must pin a version"),
        ('[set]\nid = "a"\nversion = "1"\nname = "n"\nupdated = "2024-01-01"\n', "set.updated", "TOML date"),
        (
            '[set]\nid = "a"\nversion = "1"\nname = "n"\n[heat]\nvalue = "0.11"\nunit="u"\nsource="s"\nconfirmed=true\n',
            "heat",
            "needs a name",
        ),
        ('[set]\nid = "a"\nversion = "1"\nname = "n"\n[heat.purchased]\n', "heat.purchased", "empty table"),
        (
            '[set]\nid = "a"\nversion = "1"\nname = "n"\n[heat.purchased]\nunit="u"\nsource="s"\nconfirmed=true\n',
            "heat.purchased",
            "missing value",
        ),
        ("[set\n", None, "not valid TOML"),
    ],
)
def test_malformed_files_are_refused(tmp_path, text, key, message):
    error = refused(tmp_path, text)
    assert error.key == key and message in str(error)


# ---------------------------------------------------------------------------------------------
# Missing factors and comparison
# ---------------------------------------------------------------------------------------------


def test_missing_regional_factor_in_2021_names_set_and_key():
    fs = load_factor_set("cn-mee-2021")
    for region in REGIONS:
        with pytest.raises(MissingFactor) as info:
            fs.get(f"grid.{region}")
        error = info.value
        assert isinstance(error, KeyError)
        assert error.set_label == "cn-mee-2021@1.2" and error.key == f"grid.{region}"
        assert "cn-mee-2021@1.2" in str(error) and f"'grid.{region}'" in str(error)
        assert "grid.national_average" in error.near
    with pytest.raises(MissingFactor, match="fuel.peat.ncv"):
        combustion(fs, "peat")
    assert pickle.loads(pickle.dumps(MissingFactor("a@1", "o", "k", ("x",)))).near == ("x",)


def test_compare_2022_with_2023_lists_the_grid_keys_with_both_values():
    a, b = load_factor_set("cn-mee-2022"), load_factor_set("cn-mee-2023")
    diffs = [d for d in compare(a, b) if not d.key.startswith("grid.province.")]
    assert [d.key for d in diffs] == [f"grid.{name}" for name in GRID["cn-mee-2023"]]
    for d in diffs:
        name = d.key.split(".", 1)[1]
        assert d.a is not None and d.b is not None
        assert (str(d.a.value), str(d.b.value)) == (GRID["cn-mee-2022"][name], GRID["cn-mee-2023"][name])
        assert d.change == "value,source,year" and d.delta == Decimal(GRID["cn-mee-2023"][name]) - Decimal(
            GRID["cn-mee-2022"][name]
        )
    assert diffs[0].delta == Decimal("-0.0060")

    table = compare_table(a, b)
    assert "A = cn-mee-2022@1.2" in table and "B = cn-mee-2023@1.2" in table
    row = next(line for line in table.splitlines() if line.startswith("grid.national_average "))
    assert "0.5366 tCO2/MWh" in row and "0.5306 tCO2/MWh" in row and "-0.0060 (-1.1 %)" in row
    row = next(line for line in table.splitlines() if line.startswith("grid.residual_mix "))
    assert "+0.0240 (+4.1 %)" in row
    assert "fuel." not in table


def test_compare_keys_only_in_one_set():
    diffs = {d.key: d for d in compare(load_factor_set("cn-mee-2023"), load_factor_set("cn-mee-2021"))}
    assert diffs["grid.east"].b is None and diffs["grid.east"].change == "only_a"
    assert diffs["grid.east"].delta is None
    table = compare_table(load_factor_set("cn-mee-2021"), load_factor_set("cn-mee-2023"))
    row = next(line for line in table.splitlines() if line.startswith("grid.east "))
    assert "(absent)" in row and "0.5500 tCO2/MWh" in row
    same = compare_table(load_factor_set("cn-mee-2023"), load_factor_set("cn-mee-2023"))
    assert "no factor differs" in same
    full = compare_table(load_factor_set("cn-mee-2023"), load_factor_set("cn-mee-2023"), all_keys=True)
    assert "scope3.road_freight" in full and "* confirmed = false" in full


def test_unit_difference_is_a_difference(tmp_path):
    text = MINIMAL.replace('unit = "tCO2/MWh"', 'unit = "kgCO2/kWh"')
    diffs = compare(load_factor_set("cn-mee-2023"), load_factor_set(write(tmp_path, text)))
    by_key = {d.key: d for d in diffs}
    assert by_key["grid.national_average"].change.startswith("unit")
    assert by_key["grid.national_average"].delta is None


# ---------------------------------------------------------------------------------------------
# Provincial grid factors, biomass and GWP (issue 15, item 5)
# ---------------------------------------------------------------------------------------------

PRESS_2022 = {"cn_he": "0.7252", "cn_sx": "0.7096", "cn_tj": "0.7041", "cn_nm": "0.6849", "cn_ah": "0.6782",
              "cn_fj": "0.4092", "cn_gx": "0.4044", "cn_qh": "0.1567", "cn_sc": "0.1404", "cn_yn": "0.1073"}  # fmt: skip
"""The five highest and five lowest provinces of 2022 as a press report of the announcement gives them."""


def test_provincial_grid_factors_name_the_2022_publication_and_are_not_yet_confirmed():
    """The 30 provinces the 2022 announcement tables (every mainland province but Tibet); each names
    the announcement and the copies its value was read in, and is unconfirmed until checked against
    the announcement's own table. The ten a press report names keep its figures. No other set has
    provincial figures: a province is never the regional figure."""
    from ledger.accounting.profile import provinces
    from ledger.factors.arithmetic import basis, grid_key

    fs = load_factor_set("cn-mee-2022")
    found = {k.removeprefix("grid.province."): f for k, f in fs.factors.items() if k.startswith("grid.province.")}
    mainland = {code.lower().replace("-", "_") for code in provinces()} - {"cn_hk", "cn_mo", "cn_tw"}
    assert set(found) == mainland - {"cn_xz"} and len(found) == 30
    assert {k: str(found[k].value) for k in PRESS_2022} == PRESS_2022
    for key, factor in found.items():
        assert factor.unit == "tCO2/MWh" and factor.year == 2022 and not factor.confirmed, key
        assert "2022年电力二氧化碳排放因子" in factor.source and "公告2024年第33号" in factor.source
        assert "CO2 only" in factor.note and "unconfirmed" in factor.note
        assert ("新京报" in factor.source) == (key in PRESS_2022)
        assert len(str(factor.value).split(".")[1]) == 4, "published to four decimals"
    assert grid_key("CN-HE") == "grid.province.cn_he" and grid_key("east") == "grid.east"
    assert grid_key("cn-he") == "grid.cn-he", "only the ISO 3166-2:CN form names a province"
    assert basis(fs, "CN-YN").location.exact == Fraction("0.1073")
    assert basis(fs, "CN-SD").location.exact == Fraction("0.6410")
    with pytest.raises(MissingFactor, match="grid.province.cn_xz"):
        basis(fs, "CN-XZ")
    for other in ("cn-mee-2021", "cn-mee-2023", "cn-ets-2023"):
        assert load_factor_set(other).keys("grid.province") == []
        with pytest.raises(MissingFactor, match="grid.province.cn_he"):
            basis(load_factor_set(other), "CN-HE")
    kept = load_factor_set("cn-mee-2022@1.1")  # the version reports made before 1.2 name: its ten, unchanged
    assert {k.removeprefix("grid.province."): str(kept.get(k).value) for k in kept.keys("grid.province")} == PRESS_2022


def test_biomass_lines_keep_biogenic_co2_out_of_every_scope():
    """1 t of wood: 15.6 GJ; biogenic 15.6 × 112000 ÷ 10^6 = 1.7472 tCO2 (no scope);
    CH4 15.6 × 30 ÷ 10^6 = 0.000468 t × 28 = 0.013104 tCO2e; N2O 15.6 × 4 ÷ 10^6 = 0.0000624 t × 265
    = 0.016536 tCO2e; Scope 1 = 0.02964 tCO2e."""
    from ledger.factors.arithmetic import BIOGENIC, basis, terms
    from tests.builders import inventory_record

    fs = load_factor_set("cn-mee-2023")
    found = terms(basis(fs), inventory_record(1, "2025-01", "biomass_wood", "1", "t").record)
    assert [(t.scope, t.result, t.gases) for t in found[:3]] == [
        (BIOGENIC, Fraction("1.7472"), "CO2 (biogenic)"),
        ("scope1", Fraction("0.013104"), "CH4 as CO2e"),
        ("scope1", Fraction("0.016536"), "N2O as CO2e"),
    ]
    assert found[3].scope == "energy" and found[3].gases == ""
    assert found[1].factors == (("biomass.wood.ncv", "15.6 GJ/t"), ("biomass.wood.ch4", "30 kgCH4/TJ"),
                                ("gwp.ch4", "28 tCO2e/tCH4"))  # fmt: skip

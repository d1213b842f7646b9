"""Factor sets are versioned data (issue 15, item 5): a new version adds fuel CH4 and N2O, the old one
stays loadable so that a report naming it is recomputed with exactly the factors it was made with.

Fuel CH4 and N2O (IPCC 2006, Vol. 2, Ch. 2, Table 2.3, kg per TJ of net calorific value) with the
set's GWP (AR5: CH4 28, N2O 265), per unit of activity:

- raw coal, 1 t = 20.908 GJ: CH4 20.908 × 10 ÷ 10^6 = 0.00020908 t × 28 = 0.00585424 tCO2e;
  N2O 20.908 × 1.5 ÷ 10^6 = 0.000031362 t × 265 = 0.00831093 tCO2e
- diesel, 1 t = 42.652 GJ: CH4 42.652 × 3 ÷ 10^6 = 0.000127956 t × 28 = 0.003582768;
  N2O 42.652 × 0.6 ÷ 10^6 = 0.0000255912 t × 265 = 0.006781668
- gasoline, 1 t = 43.070 GJ: CH4 43.070 × 3 ÷ 10^6 = 0.00012921 t × 28 = 0.00361788;
  N2O 43.070 × 0.6 ÷ 10^6 = 0.000025842 t × 265 = 0.00684813
- natural gas, 1 × 10^4 Nm3 = 389.31 GJ: CH4 389.31 × 1 ÷ 10^6 = 0.00038931 t × 28 = 0.01090068;
  N2O 389.31 × 0.1 ÷ 10^6 = 0.000038931 t × 265 = 0.010316715
- natural gas metered as 500 GJ: CH4 500 × 1 ÷ 10^6 × 28 = 0.014; N2O 500 × 0.1 ÷ 10^6 × 265 = 0.01325
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from ledger.accounting.inventory import compute_inventory
from ledger.accounting.statements import scope1_by_gas
from ledger.factors import (
    FactorSetError,
    MissingFactor,
    bundled_factor_sets,
    bundled_versions,
    compare,
    load_factor_set,
)
from ledger.factors.factor_set import _sets_dir
from tests.builders import inventory_record as record

NON_CO2 = {  # kind, value, unit → (CH4, N2O) in tCO2e, from the docstring
    ("coal", "1", "t"): (Fraction("0.00585424"), Fraction("0.00831093")),
    ("diesel", "1", "t"): (Fraction("0.003582768"), Fraction("0.006781668")),
    ("gasoline", "1", "t"): (Fraction("0.00361788"), Fraction("0.00684813")),
    ("natural_gas", "1", "10^4 Nm3"): (Fraction("0.01090068"), Fraction("0.010316715")),
    ("natural_gas", "500", "GJ"): (Fraction("0.014"), Fraction("0.01325")),
}


def inventory(factor_set: str, rows: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    records = [record(i, "2025-01", kind, value, unit) for i, (kind, value, unit) in enumerate(rows)]
    return compute_inventory(factory_id="CN-V", year=2025, records=records, claims=[], invalid_claims=frozenset(),
                             factors=load_factor_set(factor_set))  # fmt: skip


def test_every_bundled_set_keeps_its_earlier_version_and_only_adds_to_it():
    """Version 1.2 adds fuel CH4/N2O (and, for 2022, provinces); no factor of 1.1 changes value or unit."""
    for set_id in bundled_factor_sets():
        assert bundled_versions(set_id) == ["1.1", "1.2"], set_id
        old, new = load_factor_set(f"{set_id}@1.1"), load_factor_set(set_id)
        assert (old.label, new.label, load_factor_set(f"{set_id}@1.2").label) == (f"{set_id}@1.1", f"{set_id}@1.2",
                                                                                  f"{set_id}@1.2")  # fmt: skip
        assert old.origin == f"bundled:{set_id}@1.1" and old.digest != new.digest
        for d in compare(old, new):
            assert d.a is None or (d.b is not None and (d.a.value, d.a.unit) == (d.b.value, d.b.unit)), d.key
        added = {d.key for d in compare(old, new) if d.a is None}
        fuel = {f"fuel.{f}.{g}" for f in ("raw_coal", "diesel", "gasoline", "natural_gas") for g in ("ch4", "n2o")}
        assert fuel <= added and all(k in fuel or k.startswith("grid.province.") for k in added), set_id
        assert not [k for k in old.factors if k.startswith("fuel.") and k.endswith((".ch4", ".n2o"))]
        for key in fuel:
            factor = new.get(key)
            assert not factor.confirmed and "Table 2.3" in factor.source and factor.year == 2006, key
    with pytest.raises(FactorSetError, match="has no version '1.0'; versions: 1.1, 1.2"):
        load_factor_set("cn-mee-2023@1.0")


def test_a_user_file_may_be_a_kept_version_verbatim_but_not_an_edit_of_it(tmp_path: Path):
    text = (_sets_dir() / "archive" / "cn-mee-2023@1.1.toml").read_text(encoding="utf-8")
    copy = tmp_path / "old.toml"
    copy.write_text(text, encoding="utf-8")
    assert load_factor_set(copy).digest == load_factor_set("cn-mee-2023@1.1").digest
    copy.write_text(text.replace('value = "0.5500"', 'value = "0.4500"'), encoding="utf-8")
    with pytest.raises(FactorSetError) as info:
        load_factor_set(copy)
    assert info.value.key == "set.id" and "extends" in str(info.value)


@pytest.mark.parametrize(("kind", "value", "unit"), list(NON_CO2))
def test_fuel_ch4_and_n2o_are_scope1_co2e_beside_the_co2(kind: str, value: str, unit: str):
    """Under 1.2 a fuel line is CO2, CH4 as CO2e and N2O as CO2e (docstring); under 1.1 CO2 alone, the
    same CO2 to the digit, and the report's ``scope1_by_gas`` names the gases 1.1 does not count."""
    old, new = inventory("cn-mee-2023@1.1", [(kind, value, unit)]), inventory("cn-mee-2023", [(kind, value, unit)])
    ch4, n2o = NON_CO2[(kind, value, unit)]
    s1 = [ln for ln in new.lines if ln.scope == "scope1"]
    assert [ln.gases for ln in s1] == ["CO2", "CH4 as CO2e", "N2O as CO2e"]
    assert [ln.result for ln in s1[1:]] == [ch4, n2o]
    assert [ln.gases for ln in old.lines if ln.scope == "scope1"] == ["CO2"]
    assert s1[0].result == old.scope1 and new.scope1 == old.scope1 + ch4 + n2o
    base = "fuel." + {"coal": "raw_coal"}.get(kind, kind)
    keys = [k for k, _ in s1[1].factors]
    assert keys == ([] if unit == "GJ" else [f"{base}.ncv"]) + [f"{base}.ch4", "gwp.ch4"]
    assert "(GWP) =" in s1[2].arithmetic and "tN2O" in s1[2].arithmetic

    by_new, by_old = (
        scope1_by_gas(new, load_factor_set("cn-mee-2023")),
        scope1_by_gas(old, load_factor_set("cn-mee-2023@1.1")),
    )
    assert by_new["co2_only_tco2"] == by_old["co2_only_tco2"] == by_old["total_tco2e"]
    assert by_new["fuel_ch4_n2o_not_counted"] == [] and by_new["total_tco2e"] != by_new["co2_only_tco2"]
    [missing] = by_old["fuel_ch4_n2o_not_counted"]
    assert missing["kind"] == kind and "cn-mee-2023@1.1 has no" in missing["reason"]


def test_a_set_with_one_gas_of_a_fuel_and_not_the_other_is_refused(tmp_path: Path):
    text = (_sets_dir() / "cn-mee-2023.toml").read_text(encoding="utf-8").replace('id = "cn-mee-2023"', 'id = "half"')
    start = text.index("[fuel.natural_gas.n2o]")
    end = text.index("\n[", start + 1)
    path = tmp_path / "half.toml"
    path.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    fs = load_factor_set(path)
    assert "fuel.natural_gas.ch4" in fs and "fuel.natural_gas.n2o" not in fs
    records = [record(1, "2025-01", "natural_gas", "1", "10^4 Nm3")]
    with pytest.raises(MissingFactor, match="half@1.2 .* has no factor 'fuel.natural_gas.n2o'"):
        compute_inventory(factory_id="CN-V", year=2025, records=records, claims=[], invalid_claims=frozenset(),
                          factors=fs)  # fmt: skip

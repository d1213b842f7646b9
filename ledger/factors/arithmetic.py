"""Activity × factor for every record kind the inventory accounts: the one place it is done.

:data:`RULES` maps a record kind to a small function that multiplies the record's quantity by the
factors of a set and writes the arithmetic out: fuel combustion (activity × NCV × carbon content ×
oxidation × 44/12, or GJ × carbon content × … when the fuel is metered by energy; and, when the set
has ``fuel.<name>.ch4`` and ``.n2o``, its CH4 and N2O as CO2e with ``gwp.*``), biomass (its CO2
biogenic, reported outside the scopes; its CH4 and N2O in Scope 1 as CO2e with the set's ``gwp.*``),
purchased heat and steam (steam metered by mass through the enthalpy at its supplier's declared
conditions, :mod:`ledger.factors.steam`, less feed water), grid electricity at the location factor
(national, regional, or a province's: :func:`grid_key`), standard coal (tce) for electricity, fuels and heat, Scope 3 quantities × factor,
and process emissions as stated. The market-based figure uses :func:`residual_mix`.

Every factor is read through :mod:`ledger.factors.units` in the unit the product needs (a grid
factor written ``0.5306 kgCO2/kWh`` is ``0.5306 tCO2/MWh``, an oxidation rate of ``94 %`` is
``0.94``), and every activity through :func:`ledger.records.convert_fraction`; a unit that cannot be
read is refused (:class:`~ledger.factors.FactorUnitError`, :class:`ActivityError`), never guessed.
The products are exact fractions; figures in the written arithmetic are rounded for display with
:func:`ledger.numbers.shown`. A factor in the unit the product needs is written as
before (``× 15.3 tC/TJ ÷ 1000``); one in another unit is written as given, followed by its scale
(``× 0.5306 kgCO2/kWh``, ``× 110 kgCO2/GJ ÷ 1000``).

Bookkeeping — which lines make a scope, which month a figure belongs to, how certificates cover
grid electricity — is :mod:`ledger.accounting.inventory`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Protocol

from ledger.numbers import shown
from ledger.records import convert_fraction

from .derived import CO2_PER_C, show_exact
from .factor_set import Factor, FactorSet
from .steam import SteamConditions
from .units import Scaled, energy_per, family, per, ratio

FUEL_KEYS: Mapping[str, str] = MappingProxyType(
    {"natural_gas": "natural_gas", "coal": "raw_coal", "diesel": "diesel", "gasoline": "gasoline"}
)
"""Record kind → fuel name in the factor set (``fuel.<name>.ncv`` …)."""

BIOMASS_KEYS: Mapping[str, str] = MappingProxyType({"biomass_wood": "wood"})
"""Record kind → biomass name in the factor set (``biomass.<name>.ncv``, ``.co2``, ``.ch4``, ``.n2o``)."""

BIOGENIC = "biogenic_co2"
"""The scope of a biomass line's CO2: reported apart, in no scope and no total (GB/T 32150-2015)."""

PROVINCE = re.compile(r"CN-[A-Z]{2}")
"""A province by its ISO 3166-2:CN code (``CN-JS``): ``grid="CN-JS"`` reads ``grid.province.cn_js``."""

SCOPE3: Mapping[str, tuple[str, str]] = MappingProxyType({
    "transport_road_freight": ("scope3.road_freight", "tkm"),
    "transport_rail_freight": ("scope3.rail_freight", "tkm"),
    "transport_sea_freight": ("scope3.sea_freight", "tkm"),
    "purchased_steel": ("scope3.purchased_steel", "t"),
    "purchased_aluminium": ("scope3.purchased_aluminium", "t"),
    "purchased_cement": ("scope3.purchased_cement", "t"),
    "purchased_plastics": ("scope3.purchased_plastics", "t"),
})  # fmt: skip
"""Record kind → (factor key, activity unit the factor is per)."""


class Measured(Protocol):
    """What a rule multiplies: a kind, a unit and an exact quantity — one record, or a month's records
    of one source summed (:class:`ledger.accounting.activities.Activity`); every rule is linear in it."""

    @property
    def kind(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def source_id(self) -> str: ...


class ActivityError(ValueError):
    """A record's quantity cannot be multiplied by its factor (a unit of another dimension, a kind
    without a rule); the inventory names the record."""


@dataclass(frozen=True)
class Term:
    """One product for a line of the inventory: activity × factors = result, written out."""

    scope: str  # scope1, scope2, scope3, energy, biogenic_co2
    result: Fraction  # tCO2(e), or tce for energy
    factors: tuple[tuple[str, str], ...]  # (key, "value unit") as written in the set
    arithmetic: str
    gases: str = "CO2"  # what the result counts: "CO2", "CH4 as CO2e", "CO2e (…)"; "" for energy


@dataclass(frozen=True)
class Basis:
    """A factor set, the grid its location-based figures use, and the factors every year's
    inventory needs, read and unit-checked once (:func:`basis`)."""

    fs: FactorSet
    grid: str
    location: Scaled  # grid.<grid> in tCO2/MWh
    kgce_per_kwh: Scaled  # energy.electricity_kgce_per_kwh in kgce/kWh
    mj_per_kgce: Scaled  # energy.mj_per_kgce in MJ/kgce
    steam: Mapping[str, SteamConditions] = field(default_factory=dict)  # source_id → declared conditions
    memo: dict[tuple[Any, ...], Scaled] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def scaled(self, read: Callable[..., Scaled], *args: Any) -> Scaled:
        """``read(fs, *args)`` once per basis: a year's inventory reads the same factors for each of
        its records (a refusal is not kept: it is raised again, naming the record)."""
        key = (read, *args)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = read(self.fs, *args)
        return found


def grid_key(grid: str) -> str:
    """The factor key of a grid choice: ``national_average`` or a region → ``grid.<grid>``, a province
    code ``CN-XX`` → ``grid.province.cn_xx``."""
    return f"grid.province.{grid.lower().replace('-', '_')}" if PROVINCE.fullmatch(grid) else f"grid.{grid}"


def basis(fs: FactorSet, grid: str = "national_average", steam: Mapping[str, SteamConditions] | None = None) -> Basis:
    """The :class:`Basis` of ``fs``; a missing factor or an unusable unit is refused here. ``steam``
    holds the declared conditions of each steam source metered by mass."""
    return Basis(
        fs,
        grid,
        per(fs, grid_key(grid), "tCO2/MWh"),
        per(fs, "energy.electricity_kgce_per_kwh", "kgce/kWh"),
        per(fs, "energy.mj_per_kgce", "MJ/kgce"),
        dict(steam or {}),
    )


def residual_mix(fs: FactorSet) -> Scaled:
    """``grid.residual_mix`` in tCO2/MWh: the market-based factor for uncovered grid electricity."""
    return per(fs, "grid.residual_mix", "tCO2/MWh")


def terms(b: Basis, record: Measured) -> tuple[Term, ...]:
    """The products of ``record`` with the factors of ``b`` (none for green-power contracts, whose
    electricity arrives through the grid meter); :class:`ActivityError` for a kind without a rule."""
    rule = RULES.get(record.kind)
    if rule is None:
        raise ActivityError(f"kind {record.kind!r} has no accounting rule")
    return rule(b, record)


# ---------------------------------------------------------------------------------------------
# Writing it out
# ---------------------------------------------------------------------------------------------


def _to(record: Measured, unit: str) -> Fraction:
    try:
        return convert_fraction(record.quantity, record.unit, unit)
    except ValueError as exc:
        raise ActivityError(str(exc)) from None


def _key(factor: Scaled | Factor) -> tuple[str, str]:
    f = factor.factor if isinstance(factor, Scaled) else factor
    return f.key, f"{f.value} {f.unit}"


def _scale(m: Fraction) -> str:
    if m.numerator == 1:
        return f"÷ {m.denominator}"
    return f"× {show_exact(m)}"


@lru_cache(maxsize=256)
def _rate(s: Scaled) -> str:
    """The factor as written, then its scale to the unit the product needs when that is not 1."""
    f = s.factor
    text = shown(Fraction(f.value)) + ("" if f.unit == "1" else f" {f.unit}")
    return text if s.scale == 1 or s.numerator == "1" else f"{text} {_scale(s.scale)}"


def _divisor(s: Scaled) -> str:
    return _rate(s) if s.scale == 1 else f"({_rate(s)})"


# ---------------------------------------------------------------------------------------------
# The rules, one per kind of record
# ---------------------------------------------------------------------------------------------


def _tce_of_gj(b: Basis, gj: Fraction) -> Term:
    tce = gj * 1000 / b.mj_per_kgce.exact / 1000
    how = f"{shown(gj)} GJ × 1000 ÷ {_divisor(b.mj_per_kgce)} ÷ 1000 = {shown(tce)} tce"
    return Term("energy", tce, (_key(b.mj_per_kgce),), how, "")


def _electricity_tce(b: Basis, record: Measured) -> tuple[Term, ...]:
    mwh = _to(record, "MWh")
    tce = mwh * 1000 * b.kgce_per_kwh.exact / 1000
    how = f"{shown(mwh)} MWh × 1000 kWh/MWh × {_rate(b.kgce_per_kwh)} ÷ 1000 = {shown(tce)} tce"
    return (Term("energy", tce, (_key(b.kgce_per_kwh),), how, ""),)


def _grid(b: Basis, record: Measured) -> tuple[Term, ...]:
    mwh = _to(record, "MWh")
    t = mwh * b.location.exact
    how = f"{shown(mwh)} MWh × {_rate(b.location)} = {shown(t)} tCO2 (location-based)"
    return (*_electricity_tce(b, record), Term("scope2", t, (_key(b.location),), how))


def _green_power(b: Basis, record: Measured) -> tuple[Term, ...]:
    _to(record, "MWh")  # counted in the bookkeeping only, but it must be electricity
    return ()


def _fuel(b: Basis, record: Measured) -> tuple[Term, ...]:
    base = f"fuel.{FUEL_KEYS[record.kind]}"
    ncv_f, carbon_f, oxidation_f = (b.fs.get(f"{base}.{k}") for k in ("ncv", "carbon_content", "oxidation"))
    carbon, oxidation = b.scaled(per, carbon_f, "tC/GJ"), b.scaled(ratio, oxidation_f)
    if family(record.unit) == "energy":
        gj = _to(record, "GJ")
        used: tuple[Factor, ...] = (carbon_f, oxidation_f)
        how = f"{shown(gj)} GJ"
    else:
        ncv = b.scaled(energy_per, ncv_f, "GJ")
        activity = ncv.denominator
        try:
            q = _to(record, activity)
        except ActivityError:
            raise ActivityError(
                f"{record.kind} in {record.unit} cannot be accounted; give it in {activity} or GJ "
                "(a volume needs a density or standard conditions the factor set does not have)"
            ) from None
        gj = q * ncv.exact
        how = f"{shown(q)} {activity} × {_rate(ncv)} = {shown(gj)} GJ; {shown(gj)} GJ"
        used = (ncv_f, carbon_f, oxidation_f)
    t = gj * carbon.exact * oxidation.exact * CO2_PER_C
    co2 = f"{how} × {_rate(carbon)} × {_rate(oxidation)} × 44/12 = {shown(t)} tCO2"
    others: tuple[Term, ...] = ()
    if f"{base}.ch4" in b.fs or f"{base}.n2o" in b.fs:  # a set without both counts fuel CO2 only, and says so
        ncv_used = tuple(_key(f) for f in used[:-2])  # the NCV, when the activity went through it
        others = _other_gases(b, base, gj, how, ncv_used)
    return Term("scope1", t, tuple(_key(f) for f in used), co2), *others, _tce_of_gj(b, gj)


def _other_gases(
    b: Basis, base: str, gj: Fraction, how: str, ncv_used: tuple[tuple[str, str], ...]
) -> tuple[Term, ...]:
    """CH4 and N2O of a combustion, in Scope 1 as CO2e: GJ × ``<base>.ch4`` / ``.n2o`` × the set's
    ``gwp.*``. Both gases or neither: a set with one of them and not the other is refused, naming it."""
    found = []
    for gas, label in (("ch4", "CH4"), ("n2o", "N2O")):
        rate, gwp = b.scaled(per, f"{base}.{gas}", f"t{label}/GJ"), b.scaled(per, f"gwp.{gas}", f"tCO2e/t{label}")
        mass = gj * rate.exact
        t = mass * gwp.exact
        text = f"{how} × {_rate(rate)} = {shown(mass, 9)} t{label}; × {_rate(gwp)} (GWP) = {shown(t)} tCO2e"
        found.append(Term("scope1", t, (*ncv_used, _key(rate), _key(gwp)), text, f"{label} as CO2e"))
    return tuple(found)


def _heat(b: Basis, record: Measured) -> tuple[Term, ...]:
    heat = b.scaled(per, "heat.purchased", "tCO2/GJ")
    if record.kind == "purchased_steam" and family(record.unit) != "energy":
        gj, how = _steam_gj(b, record)
        used: tuple[Scaled, ...] = (b.scaled(per, "steam.feedwater_enthalpy", "GJ/t"), heat)
    else:
        gj = _to(record, "GJ")
        used, how = (heat,), ""
    t = gj * heat.exact
    how += f"{shown(gj)} GJ × {_rate(heat)} = {shown(t)} tCO2"
    return Term("scope2", t, tuple(_key(s) for s in used), how), _tce_of_gj(b, gj)


def _steam_gj(b: Basis, record: Measured) -> tuple[Fraction, str]:
    """Heat of steam metered by mass: t × (h at the declared conditions − feed water) ÷ 1000."""
    declared = b.steam.get(record.source_id)
    if declared is None:
        raise ActivityError(
            f"steam source {record.source_id!r} is metered in {record.unit}: declare its supplier's steam "
            f"conditions (evaluation input steam[{record.source_id!r}]: absolute_pressure_mpa and temperature_c "
            "or saturated); no default enthalpy is assumed"
        )
    feed = b.scaled(per, "steam.feedwater_enthalpy", "GJ/t")
    h = declared.enthalpy_kj_per_kg
    q = _to(record, "t")
    gj = q * _heat_per_t(h, feed.exact)
    feed_kj = f"{shown(Fraction(feed.factor.value))} {feed.factor.unit}"
    how = (f"{shown(q)} t × ({h} kJ/kg − {feed_kj}) ÷ 1000 = {shown(gj)} GJ (h by IAPWS-IF97 at "
           f"{declared.described}, less feed water); ")  # fmt: skip
    return gj, how


@lru_cache(maxsize=256)
def _heat_per_t(h_kj_per_kg: Decimal, feed_gj_per_t: Fraction) -> Fraction:
    """GJ/t of steam: (h ÷ 1000 − feed water), once per source and year rather than once a record."""
    return Fraction(h_kj_per_kg) / 1000 - feed_gj_per_t


def _biomass(b: Basis, record: Measured) -> tuple[Term, ...]:
    """Biogenic CO2 (outside the scopes) and CH4, N2O in Scope 1 as CO2e, from the same GJ."""
    base = f"biomass.{BIOMASS_KEYS[record.kind]}"
    ncv_used: tuple[tuple[str, str], ...] = ()
    if family(record.unit) == "energy":
        gj = _to(record, "GJ")
        how = f"{shown(gj)} GJ"
    else:
        ncv = b.scaled(energy_per, f"{base}.ncv", "GJ")
        q = _to(record, ncv.denominator)
        gj = q * ncv.exact
        how, ncv_used = f"{shown(q)} {ncv.denominator} × {_rate(ncv)} = {shown(gj)} GJ; {shown(gj)} GJ", (_key(ncv),)
    co2 = b.scaled(per, f"{base}.co2", "tCO2/GJ")
    biogenic = gj * co2.exact
    found = [Term(BIOGENIC, biogenic, (*ncv_used, _key(co2)),
                  f"{how} × {_rate(co2)} = {shown(biogenic)} tCO2 (biogenic: outside the scopes and totals)",
                  "CO2 (biogenic)")]  # fmt: skip
    return (*found, *_other_gases(b, base, gj, how, ncv_used), _tce_of_gj(b, gj))


def _scope3(b: Basis, record: Measured) -> tuple[Term, ...]:
    key, unit = SCOPE3[record.kind]
    factor = b.scaled(per, key, f"tCO2e/{unit}")
    q = _to(record, unit)
    t = q * factor.exact
    how = f"{shown(q)} {unit} × {_rate(factor)} = {shown(t)} tCO2e"
    return (Term("scope3", t, (_key(factor),), how, "CO2e (gases as the factor's source counts them)"),)


def _stated(b: Basis, record: Measured) -> tuple[Term, ...]:
    t = _to(record, "tCO2e")
    return (Term("scope1", t, (), f"{record.value} {record.unit} as stated = {shown(t)} tCO2e", "CO2e (as stated)"),)


Rule = Callable[[Basis, Measured], tuple[Term, ...]]

RULES: Mapping[str, Rule] = MappingProxyType({
    "grid_electricity": _grid,
    "onsite_renewable_self_consumed": _electricity_tce,
    "green_power_contract": _green_power,
    **{kind: _fuel for kind in FUEL_KEYS},
    **{kind: _biomass for kind in BIOMASS_KEYS},
    "process_emissions": _stated,
    "purchased_heat": _heat,
    "purchased_steam": _heat,
    **{kind: _scope3 for kind in SCOPE3},
})  # fmt: skip
"""Record kind → the function that multiplies its activity by its factors."""

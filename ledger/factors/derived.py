"""Factors derived from a set's inputs, exactly: fuel combustion, purchased steam (at declared conditions), standard coal.

Arithmetic: every input is a :class:`~decimal.Decimal` parsed from its decimal string, and the
product is formed as a :class:`fractions.Fraction`, so nothing is rounded on the way. 44/12 (the
mass ratio CO2/C) has no finite decimal form, hence the fraction. :attr:`Derived.exact` keeps the
exact value for callers that go on computing (an emission = activity × factor, rounded once at the
end); :meth:`Derived.rounded` and the ``*_factor`` functions round **once**, from the exact
fraction, half-even (GB/T 8170 "四舍六入五成双"), to :data:`DEFAULT_PLACES` decimal places unless
told otherwise. :meth:`Derived.formula` writes the arithmetic out for a report::

    20.908 GJ/t × 0.001 TJ/GJ × 26.37 tC/TJ × 0.94 × 44/12 tCO2/tC = 1.9002988488 tCO2/t

Units are checked, not assumed: every input is read through :mod:`ledger.factors.units`, which
accepts a short, explicit family of units for each (NCV in MJ, GJ, TJ, kWh… per activity unit;
carbon content in tC/TJ, kgC/GJ…; oxidation as a fraction or in %) and refuses anything else with
the set, the key and the unit named, rather than silently mis-scaling a user's file. The inventory
multiplies activity data by these same readings (:mod:`ledger.factors.arithmetic`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ledger.numbers import round_half_even

from .factor_set import Factor, FactorSet
from .steam import SteamConditions
from .units import FactorUnitError, Scaled, energy_per, per, ratio

DEFAULT_PLACES = 10
"""Decimal places of the rounded derived factors (exact value: :attr:`Derived.exact`)."""

CO2_PER_C = Fraction(44, 12)
"""Molar-mass ratio CO2/C used by the Chinese accounting guidelines (44/12, not 44.0095/12.011)."""

__all__ = [
    "CO2_PER_C", "DEFAULT_PLACES", "Derived", "FactorUnitError", "combustion", "combustion_factor", "conversions",
    "fuels", "round_half_even", "show_exact", "standard_coal", "standard_coal_factor", "steam", "steam_factor",
]  # fmt: skip


def _is_finite_decimal(value: Fraction) -> bool:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def show_exact(value: Fraction) -> str:
    """``value`` written exactly: an integer, a finite decimal, or ``p/q``."""
    if value.denominator == 1:
        return str(value.numerator)
    if _is_finite_decimal(value):
        places = 0
        while (value * 10**places).denominator != 1:
            places += 1
        return format(round_half_even(value, places), "f")
    return f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True)
class Derived:
    """A factor computed from a set's inputs, kept exact, with the arithmetic written out."""

    name: str
    """What it is, e.g. ``combustion fuel.raw_coal``."""
    unit: str
    """Unit of the result, e.g. ``tCO2/t`` (per activity unit)."""
    exact: Fraction
    inputs: tuple[Factor, ...]
    """The set's factors used, in the order they appear in :attr:`steps`."""
    steps: tuple[str, ...]
    """Operands of the product, each with its unit (``"20.908 GJ/t"``, ``"44/12 tCO2/tC"``)."""
    factor_set: str
    """``id@version`` of the set the inputs came from."""

    def rounded(self, places: int = DEFAULT_PLACES) -> Decimal:
        return round_half_even(self.exact, places)

    @property
    def value(self) -> Decimal:
        """:meth:`rounded` to :data:`DEFAULT_PLACES` places."""
        return self.rounded()

    @property
    def is_exact_decimal(self) -> bool:
        """Whether :attr:`exact` has a finite decimal form (then :meth:`formula` shows it whole)."""
        return _is_finite_decimal(self.exact)

    def formula(self, places: int = DEFAULT_PLACES) -> str:
        """``a × b × … = result unit``; the result is exact when it is a finite decimal, otherwise
        rounded half-even to ``places`` places and followed by ``…``."""
        shown = show_exact(self.exact) if self.is_exact_decimal else format(self.rounded(places), "f") + "…"
        text = self.steps[0]
        for step in self.steps[1:]:
            text += f" {step}" if step.startswith("÷") else f" × {step}"
        return f"{text} = {shown} {self.unit}"


def _fuel_key(fuel: str) -> str:
    return fuel if fuel.startswith("fuel.") else "fuel." + fuel


def fuels(fs: FactorSet) -> list[str]:
    """Names of the fuels in ``fs`` that have an NCV (``raw_coal``, ``natural_gas``…)."""
    return [key[len("fuel.") : -len(".ncv")] for key in fs.keys("fuel") if key.endswith(".ncv")]


def _operand(factor: Factor) -> str:
    return f"{factor.value} {factor.unit}" if factor.unit != "1" else str(factor.value)


def conversions(scaled: Scaled) -> list[str]:
    """The steps that turn a factor's own unit into the one it is read in, for a formula:
    ``["0.001 TJ/GJ"]``, ``["0.001 tCO2/kgCO2", "1000 kWh/MWh"]``; none when the scale is 1
    (``kgC/GJ`` read as ``tC/TJ``) or for a ratio (``94 %`` says itself what it is)."""
    if scaled.scale == 1 or scaled.numerator == "1":
        return []
    own_numerator, own_denominator = scaled.own
    steps = []
    if scaled.num_scale != 1:
        steps.append(f"{show_exact(scaled.num_scale)} {scaled.numerator}/{own_numerator}")
    if scaled.den_scale != 1:
        steps.append(f"{show_exact(scaled.den_scale)} {own_denominator}/{scaled.denominator}")
    return steps


def _term(scaled: Scaled) -> list[str]:
    return [_operand(scaled.factor), *conversions(scaled)]


def _divisor(scaled: Scaled) -> str:
    term = _term(scaled)
    return "÷ " + (term[0] if len(term) == 1 else "(" + " × ".join(term) + ")")


def combustion(fs: FactorSet, fuel: str) -> Derived:
    """CO2 per activity unit of ``fuel`` (``"raw_coal"`` or ``"fuel.raw_coal"``):
    NCV × carbon content × oxidation × 44/12, with the NCV's energy unit scaled to TJ.

    The activity unit is the NCV unit's denominator (``GJ/t`` → ``tCO2/t``; ``GJ/10^4 Nm3`` →
    ``tCO2/10^4 Nm3``). Missing inputs raise :class:`~ledger.factors.MissingFactor`."""
    key = _fuel_key(fuel)
    inputs = (fs.get(key + ".ncv"), fs.get(key + ".carbon_content"), fs.get(key + ".oxidation"))
    ncv, carbon, oxidation = energy_per(fs, inputs[0], "TJ"), per(fs, inputs[1], "tC/TJ"), ratio(fs, inputs[2])
    return Derived(
        name=f"combustion {key}",
        unit=f"tCO2/{ncv.denominator}",
        exact=ncv.exact * carbon.exact * oxidation.exact * CO2_PER_C,
        inputs=inputs,
        steps=(*_term(ncv), *_term(carbon), *_term(oxidation), "44/12 tCO2/tC"),
        factor_set=fs.label,
    )


def combustion_factor(fs: FactorSet, fuel: str, places: int = DEFAULT_PLACES) -> Decimal:
    """:func:`combustion` rounded once, half-even, to ``places`` decimal places (tCO2 per the
    fuel's activity unit; the unit is :attr:`Derived.unit` of :func:`combustion`)."""
    return combustion(fs, fuel).rounded(places)


def steam(fs: FactorSet, declared: SteamConditions) -> Derived:
    """CO2 per tonne of purchased steam delivered at ``declared`` conditions: (h − feed water)
    ``steam.feedwater_enthalpy`` × ``heat.purchased`` (the guidelines' method, h by IAPWS-IF97)."""
    inputs = (fs.get("steam.feedwater_enthalpy"), fs.get("heat.purchased"))
    feed, heat = per(fs, inputs[0], "GJ/t"), per(fs, inputs[1], "tCO2/GJ")
    h = declared.enthalpy_kj_per_kg
    return Derived(
        name=f"purchased steam at {declared.described}",
        unit="tCO2/t",
        exact=(Fraction(h) / 1000 - feed.exact) * heat.exact,
        inputs=inputs,
        steps=(f"({h} kJ/kg − {_operand(inputs[0])})", "÷ 1000", *_term(heat)),
        factor_set=fs.label,
    )


def steam_factor(fs: FactorSet, declared: SteamConditions, places: int = DEFAULT_PLACES) -> Decimal:
    """:func:`steam` rounded once, half-even, to ``places`` decimal places."""
    return steam(fs, declared).rounded(places)


def standard_coal(fs: FactorSet, what: str) -> Derived:
    """Standard coal (GB/T 2589) per activity unit, in kgce.

    ``what`` is ``"electricity"`` (``energy.electricity_kgce_per_kwh``, calorific equivalent, as
    given, read in kgce/kWh), ``"heat"`` (per GJ; steam metered by mass goes through its declared
    conditions first, :func:`steam`) or a fuel name (through its NCV). Heat and fuels use ``energy.mj_per_kgce``
    (1 kgce = 29.307 MJ)."""
    if what == "electricity":
        factor = per(fs, "energy.electricity_kgce_per_kwh", "kgce/kWh")
        steps = tuple(_term(factor))
        return Derived("standard coal electricity", "kgce/kWh", factor.exact, (factor.factor,), steps, fs.label)
    rule = per(fs, "energy.mj_per_kgce", "MJ/kgce")
    if what == "heat":
        steps = ("1000 MJ/GJ", _divisor(rule))
        return Derived("standard coal heat", "kgce/GJ", Fraction(1000) / rule.exact, (rule.factor,), steps, fs.label)
    source = energy_per(fs, fs.get(_fuel_key(what) + ".ncv"), "MJ")
    scale = [f"{show_exact(source.num_scale)} MJ/{source.own[0]}"] if source.num_scale != 1 else []
    steps = (_operand(source.factor), *scale, _divisor(rule))
    return Derived(
        f"standard coal {source.factor.key}", f"kgce/{source.denominator}", source.exact / rule.exact,
        (source.factor, rule.factor), steps, fs.label,
    )  # fmt: skip


def standard_coal_factor(fs: FactorSet, what: str, places: int = DEFAULT_PLACES) -> Decimal:
    """:func:`standard_coal` rounded once, half-even, to ``places`` decimal places."""
    return standard_coal(fs, what).rounded(places)

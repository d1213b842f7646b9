"""Factors derived from a set's inputs, exactly: fuel combustion, purchased steam, standard coal.

Arithmetic: every input is a :class:`~decimal.Decimal` parsed from its decimal string, and the
product is formed as a :class:`fractions.Fraction`, so nothing is rounded on the way. 44/12 (the
mass ratio CO2/C) has no finite decimal form, hence the fraction. :attr:`Derived.exact` keeps the
exact value for callers that go on computing (an emission = activity × factor, rounded once at the
end); :meth:`Derived.rounded` and the ``*_factor`` functions round **once**, from the exact
fraction, half-even (GB/T 8170 "四舍六入五成双"), to :data:`DEFAULT_PLACES` decimal places unless
told otherwise. :meth:`Derived.formula` writes the arithmetic out for a report::

    20.908 GJ/t × 26.37 tC/TJ × 0.001 TJ/GJ × 0.94 × 44/12 tCO2/tC = 1.9002988488 tCO2/t

Units are checked, not assumed: a derivation accepts a short, explicit list of units for each input
(for example NCV in MJ, GJ or TJ per activity unit) and refuses anything else with the set, the key
and the unit named, rather than silently mis-scaling a user's file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .factor_set import Factor, FactorSet

DEFAULT_PLACES = 10
"""Decimal places of the rounded derived factors (exact value: :attr:`Derived.exact`)."""

CO2_PER_C = Fraction(44, 12)
"""Molar-mass ratio CO2/C used by the Chinese accounting guidelines (44/12, not 44.0095/12.011)."""

_ENERGY_TO_GJ: dict[str, Fraction] = {"MJ": Fraction(1, 1000), "GJ": Fraction(1), "TJ": Fraction(1000)}
_CARBON_TO_TC_PER_TJ: dict[str, Fraction] = {"tC/TJ": Fraction(1), "kgC/GJ": Fraction(1), "tC/GJ": Fraction(1000)}
_RATIO: dict[str, Fraction] = {"1": Fraction(1), "%": Fraction(1, 100)}
_HEAT_FACTOR_UNITS: dict[str, Fraction] = {"tCO2/GJ": Fraction(1), "kgCO2/GJ": Fraction(1, 1000)}


class FactorUnitError(ValueError):
    """A factor's unit is not one a derivation can use; names the set, key, unit and what it accepts."""

    def __init__(self, fs: FactorSet, factor: Factor, accepted: str) -> None:
        self.set_label = fs.label
        self.key = factor.key
        self.unit = factor.unit
        super().__init__(
            f"factor set {fs.label} ({fs.origin}): {factor.key}: unit {factor.unit!r} not usable here; accepted: {accepted}"
        )


def round_half_even(value: Fraction, places: int = DEFAULT_PLACES) -> Decimal:
    """``value`` rounded once, half-even, to ``places`` decimal places, as a Decimal with exactly
    that exponent. Integer arithmetic: no intermediate rounding, no context precision limit."""
    if places < 0:
        raise ValueError("places must be >= 0")
    scaled = value * 10**places
    negative = scaled < 0
    quotient, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient % 2 == 1):
        quotient += 1
    return Decimal((1 if negative and quotient else 0, tuple(int(d) for d in str(quotient)), -places))


def _is_finite_decimal(value: Fraction) -> bool:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _show(value: Fraction) -> str:
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
        shown = _show(self.exact) if self.is_exact_decimal else format(self.rounded(places), "f") + "…"
        text = self.steps[0]
        for step in self.steps[1:]:
            text += f" {step}" if step.startswith("÷") else f" × {step}"
        return f"{text} = {shown} {self.unit}"


def _fuel_key(fuel: str) -> str:
    return fuel if fuel.startswith("fuel.") else "fuel." + fuel


def fuels(fs: FactorSet) -> list[str]:
    """Names of the fuels in ``fs`` that have an NCV (``raw_coal``, ``natural_gas``…)."""
    return [key[len("fuel.") : -len(".ncv")] for key in fs.keys("fuel") if key.endswith(".ncv")]


def _per_energy(fs: FactorSet, factor: Factor) -> tuple[Fraction, str]:
    """For a factor in ``<energy>/<activity>`` (NCV, enthalpy): its scale to GJ and the activity unit."""
    energy, sep, activity = factor.unit.partition("/")
    energy, activity = energy.strip(), activity.strip()
    if not sep or energy not in _ENERGY_TO_GJ or not activity:
        raise FactorUnitError(fs, factor, "<MJ|GJ|TJ>/<activity unit>, e.g. GJ/t or GJ/10^4 Nm3")
    return _ENERGY_TO_GJ[energy], activity


def _ratio(fs: FactorSet, factor: Factor) -> Fraction:
    if factor.unit not in _RATIO:
        raise FactorUnitError(fs, factor, "'1' (a fraction such as 0.94) or '%'")
    ratio = Fraction(factor.value) * _RATIO[factor.unit]
    if not 0 < ratio <= 1:
        raise ValueError(
            f"factor set {fs.label} ({fs.origin}): {factor.key}: {factor.value} {factor.unit} is not in (0, 1]"
        )
    return ratio


def _operand(factor: Factor) -> str:
    return f"{factor.value} {factor.unit}" if factor.unit != "1" else str(factor.value)


def combustion(fs: FactorSet, fuel: str) -> Derived:
    """CO2 per activity unit of ``fuel`` (``"raw_coal"`` or ``"fuel.raw_coal"``):
    NCV × carbon content × oxidation × 44/12, with the NCV's energy unit scaled to TJ.

    The activity unit is the NCV unit's denominator (``GJ/t`` → ``tCO2/t``; ``GJ/10^4 Nm3`` →
    ``tCO2/10^4 Nm3``). Missing inputs raise :class:`~ledger.factors.MissingFactor`."""
    key = _fuel_key(fuel)
    ncv = fs.get(key + ".ncv")
    carbon = fs.get(key + ".carbon_content")
    oxidation = fs.get(key + ".oxidation")
    to_gj, activity = _per_energy(fs, ncv)
    if carbon.unit not in _CARBON_TO_TC_PER_TJ:
        raise FactorUnitError(fs, carbon, ", ".join(_CARBON_TO_TC_PER_TJ))
    ratio = _ratio(fs, oxidation)

    steps = [_operand(ncv)]
    energy = ncv.unit.partition("/")[0].strip()
    if energy != "TJ":
        steps.append(f"{_show(to_gj / 1000)} TJ/{energy}")
    steps.append(_operand(carbon))
    if _CARBON_TO_TC_PER_TJ[carbon.unit] != 1:
        steps.append(f"{_show(_CARBON_TO_TC_PER_TJ[carbon.unit])} GJ/TJ")
    steps.append(_operand(oxidation) if oxidation.unit == "1" else f"{oxidation.value} %")
    steps.append("44/12 tCO2/tC")
    exact = (
        Fraction(ncv.value)
        * to_gj
        / 1000
        * Fraction(carbon.value)
        * _CARBON_TO_TC_PER_TJ[carbon.unit]
        * ratio
        * CO2_PER_C
    )
    return Derived(
        name=f"combustion {key}",
        unit=f"tCO2/{activity}",
        exact=exact,
        inputs=(ncv, carbon, oxidation),
        steps=tuple(steps),
        factor_set=fs.label,
    )


def combustion_factor(fs: FactorSet, fuel: str, places: int = DEFAULT_PLACES) -> Decimal:
    """:func:`combustion` rounded once, half-even, to ``places`` decimal places (tCO2 per the
    fuel's activity unit; the unit is :attr:`Derived.unit` of :func:`combustion`)."""
    return combustion(fs, fuel).rounded(places)


def steam(fs: FactorSet) -> Derived:
    """CO2 per unit of purchased steam: ``steam.enthalpy`` (energy per tonne) × ``heat.purchased``."""
    enthalpy = fs.get("steam.enthalpy")
    heat = fs.get("heat.purchased")
    to_gj, activity = _per_energy(fs, enthalpy)
    if heat.unit not in _HEAT_FACTOR_UNITS:
        raise FactorUnitError(fs, heat, ", ".join(_HEAT_FACTOR_UNITS))
    steps = [_operand(enthalpy)]
    energy = enthalpy.unit.partition("/")[0].strip()
    if energy != "GJ":
        steps.append(f"{_show(to_gj)} GJ/{energy}")
    steps.append(_operand(heat))
    if _HEAT_FACTOR_UNITS[heat.unit] != 1:
        steps.append(f"{_show(_HEAT_FACTOR_UNITS[heat.unit])} tCO2/kgCO2")
    exact = Fraction(enthalpy.value) * to_gj * Fraction(heat.value) * _HEAT_FACTOR_UNITS[heat.unit]
    return Derived(
        name="purchased steam",
        unit=f"tCO2/{activity}",
        exact=exact,
        inputs=(enthalpy, heat),
        steps=tuple(steps),
        factor_set=fs.label,
    )


def steam_factor(fs: FactorSet, places: int = DEFAULT_PLACES) -> Decimal:
    """:func:`steam` rounded once, half-even, to ``places`` decimal places."""
    return steam(fs).rounded(places)


def standard_coal(fs: FactorSet, what: str) -> Derived:
    """Standard coal (GB/T 2589) per activity unit, in kgce.

    ``what`` is ``"electricity"`` (``energy.electricity_kgce_per_kwh``, calorific equivalent, as
    given), ``"heat"`` (per GJ), ``"steam"`` (per tonne, through ``steam.enthalpy``) or a fuel name
    (through its NCV). Heat and fuels use ``energy.mj_per_kgce`` (1 kgce = 29.307 MJ)."""
    if what == "electricity":
        factor = fs.get("energy.electricity_kgce_per_kwh")
        unit = factor.unit.replace(" ", "")
        if not unit.startswith("kgce/"):
            raise FactorUnitError(fs, factor, "kgce/<energy unit>, e.g. kgce/kWh")
        return Derived(
            "standard coal electricity", factor.unit, Fraction(factor.value), (factor,), (_operand(factor),), fs.label
        )
    rule = fs.get("energy.mj_per_kgce")
    if rule.unit.replace(" ", "") != "MJ/kgce":
        raise FactorUnitError(fs, rule, "MJ/kgce")
    if what == "heat":
        exact = Fraction(1000) / Fraction(rule.value)
        return Derived("standard coal heat", "kgce/GJ", exact, (rule,), ("1000 MJ/GJ", f"÷ {_operand(rule)}"), fs.label)
    source = fs.get("steam.enthalpy") if what == "steam" else fs.get(_fuel_key(what) + ".ncv")
    to_gj, activity = _per_energy(fs, source)
    exact = Fraction(source.value) * to_gj * 1000 / Fraction(rule.value)
    energy = source.unit.partition("/")[0].strip()
    steps = [_operand(source), f"{_show(to_gj * 1000)} MJ/{energy}", f"÷ {_operand(rule)}"]
    return Derived(f"standard coal {source.key}", f"kgce/{activity}", exact, (source, rule), tuple(steps), fs.label)


def standard_coal_factor(fs: FactorSet, what: str, places: int = DEFAULT_PLACES) -> Decimal:
    """:func:`standard_coal` rounded once, half-even, to ``places`` decimal places."""
    return standard_coal(fs, what).rounded(places)

"""The units a factor may be written in, and the exact scale that reads it in the unit arithmetic needs.

A factor's unit is ``<numerator>/<denominator>`` (``tCO2/MWh``, ``GJ/10^4 Nm3``, ``kgce/kWh``) or a
ratio (``1`` or ``%``). Each side is a symbol of one *family* (energy, mass, CO2, carbon...), and the
sizes within a family are exact: activity units come from :mod:`ledger.records.units` (so a factor
``per kWh`` and a record ``in MWh`` use the same table), and the few symbols that only factors use
(``tCO2``, ``kgC``, ``kgce``…) are listed here. A computation asks for a factor in the unit it
multiplies by (``tCO2/MWh``); a factor written ``kgCO2/kWh`` is then read with scale 1, one written
``kgC/GJ`` as carbon content in ``tC/TJ`` with scale 1, ``94 %`` as ``0.94``.

Anything outside the families is refused with :class:`FactorUnitError`, which names the set, the
key, the unit and what would have been accepted: a user's file is never silently mis-scaled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from types import MappingProxyType

from ledger.records.units import UNITS

from .factor_set import Factor, FactorSet

_FACTOR_ONLY: dict[str, tuple[str, Fraction]] = {
    "tCO2": ("co2", Fraction(1000)),
    "kgCO2": ("co2", Fraction(1)),
    "tC": ("carbon", Fraction(1000)),
    "kgC": ("carbon", Fraction(1)),
    "tce": ("standard_coal", Fraction(1000)),
    "kgce": ("standard_coal", Fraction(1)),
    "tCH4": ("ch4", Fraction(1000)),
    "kgCH4": ("ch4", Fraction(1)),
    "tN2O": ("n2o", Fraction(1000)),
    "kgN2O": ("n2o", Fraction(1)),
    "kJ": ("energy", Fraction(1, 10**6)),  # energy's base is GJ (ledger.records.units)
    "1": ("ratio", Fraction(1)),
    "%": ("ratio", Fraction(1, 100)),
}

SYMBOLS: Mapping[str, tuple[str, Fraction]] = MappingProxyType(
    {symbol: (unit.dimension, Fraction(unit.factor)) for symbol, unit in UNITS.items()} | _FACTOR_ONLY
)
"""Every symbol a factor's unit may use: ``symbol -> (family, exact size in the family's base)``."""


class FactorUnitError(ValueError):
    """A factor's unit is not one a derivation can use; names the set, key, unit and what it accepts."""

    def __init__(self, fs: FactorSet, factor: Factor, accepted: str, problem: str = "") -> None:
        self.set_label = fs.label
        self.key = factor.key
        self.unit = factor.unit
        problem = problem or f"unit {factor.unit!r} not usable here"
        super().__init__(f"factor set {fs.label} ({fs.origin}): {factor.key}: {problem}; accepted: {accepted}")


def family(symbol: str) -> str | None:
    """The family of ``symbol`` (``"energy"``, ``"co2"``…), ``None`` for an unknown symbol."""
    entry = SYMBOLS.get(symbol)
    return entry[0] if entry else None


def size_ratio(symbol: str, other: str) -> Fraction:
    """How many ``other`` one ``symbol`` is (both of one family): ``size_ratio("MWh", "kWh") == 1000``."""
    (fam, size), (other_fam, other_size) = SYMBOLS[symbol], SYMBOLS[other]
    if fam != other_fam:
        raise ValueError(f"{symbol} ({fam}) and {other} ({other_fam}) are not of one family")
    return size / other_size


def _symbols(fam: str) -> str:
    return "|".join(s for s, (f, _) in SYMBOLS.items() if f == fam)


def _split(unit: str) -> tuple[str, str] | None:
    numerator, sep, denominator = unit.partition("/")
    return (numerator.strip(), denominator.strip()) if sep else None


@dataclass(frozen=True)
class Scaled:
    """A factor read in the unit a computation multiplies by: :attr:`exact` = value × :attr:`scale`.

    ``scale`` = :attr:`num_scale` × :attr:`den_scale`: the factor's own numerator in the wanted one
    (``0.001 tCO2/kgCO2``) and the wanted denominator in the factor's own (``1000 kWh/MWh``)."""

    factor: Factor
    unit: str
    """The unit of :attr:`exact`, e.g. ``tCO2/MWh``; for :func:`energy_per` the activity is the factor's."""
    numerator: str
    denominator: str
    num_scale: Fraction
    den_scale: Fraction

    @cached_property
    def scale(self) -> Fraction:
        return self.num_scale * self.den_scale

    @cached_property
    def exact(self) -> Fraction:
        """Cached, as :attr:`scale`: the inventory multiplies every record of a year by it."""
        return Fraction(self.factor.value) * self.scale

    @property
    def own(self) -> tuple[str, str]:
        """The factor's own numerator and denominator symbols."""
        return _split(self.factor.unit) or (self.factor.unit, "")


def per(fs: FactorSet, key: str | Factor, unit: str) -> Scaled:
    """The factor ``key`` of ``fs`` read in ``unit`` (``"tCO2/MWh"``): its own unit must be a
    numerator of the same family over a denominator of the same family (``kgCO2/kWh``, ``tCO2/GJ``)."""
    factor = key if isinstance(key, Factor) else fs.get(key)
    numerator, denominator = _split(unit) or (unit, "")
    own = _split(factor.unit)
    if own is None or family(own[0]) != family(numerator) or family(own[1]) != family(denominator):
        accepted = f"<{_symbols(family(numerator) or '')}>/<{_symbols(family(denominator) or '')}>, e.g. {unit}"
        raise FactorUnitError(fs, factor, accepted)
    return Scaled(factor, unit, numerator, denominator, size_ratio(own[0], numerator), size_ratio(denominator, own[1]))


def energy_per(fs: FactorSet, key: str | Factor, energy: str = "GJ") -> Scaled:
    """An energy per activity unit (NCV, steam enthalpy) with its energy read in ``energy``; the
    activity unit is the factor's own denominator, whatever it is (``GJ/t``, ``MJ/Nm3``, ``GJ/bbl``):
    :attr:`Scaled.unit` is ``<energy>/<activity>``."""
    factor = key if isinstance(key, Factor) else fs.get(key)
    own = _split(factor.unit)
    if own is None or family(own[0]) != "energy" or not own[1]:
        raise FactorUnitError(fs, factor, f"<{_symbols('energy')}>/<activity unit>, e.g. GJ/t or GJ/10^4 Nm3")
    return Scaled(factor, f"{energy}/{own[1]}", energy, own[1], size_ratio(own[0], energy), Fraction(1))


def ratio(fs: FactorSet, key: str | Factor) -> Scaled:
    """A fraction in (0, 1] (oxidation rate) written ``1`` (``0.94``) or ``%`` (``94``); a value
    outside (0, 1] is refused as a :class:`FactorUnitError` too (``94`` with unit ``1``)."""
    factor = key if isinstance(key, Factor) else fs.get(key)
    if family(factor.unit) != "ratio":
        raise FactorUnitError(fs, factor, "'1' (a fraction such as 0.94) or '%'")
    scaled = Scaled(factor, "1", "1", "", size_ratio(factor.unit, "1"), Fraction(1))
    if not 0 < scaled.exact <= 1:  # most often a percentage written with unit "1"
        problem = f"{factor.value} {factor.unit} is not in (0, 1]"
        raise FactorUnitError(fs, factor, "a fraction in (0, 1] written '1' (0.94) or '%' (94)", problem)
    return scaled

"""Units of measure: canonical symbols, their dimension and an exact factor to the dimension's base.

The symbol set is closed on purpose. Meter exports write "kwh", "KWH", "kW·h", "万Nm3"...; accepting
spellings would make two records of the same reading hash differently, so the wire form takes one
canonical symbol per unit and anything else is refused with the list of accepted symbols.

Actual and normal (0 °C, 101.325 kPa) cubic metres are different dimensions: converting one to the
other needs the gas's temperature and pressure, which a unit table does not know.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

ENERGY = "energy"
VOLUME_ACTUAL = "volume_actual"
VOLUME_NORMAL = "volume_normal"
MASS = "mass"
COUNT = "count"
AREA = "area"
FREIGHT = "freight"  # tonne-kilometres moved, for Scope 3 transport
EMISSIONS = "emissions"  # emissions stated directly (process emissions), in CO2 equivalent


@dataclass(frozen=True)
class Unit:
    """A unit: ``value × factor`` is the quantity in the base unit of ``dimension``."""

    symbol: str
    dimension: str
    factor: Decimal


def _units(*units: Unit) -> Mapping[str, Unit]:
    return MappingProxyType({u.symbol: u for u in units})


# Energy's base is GJ so that every factor is a finite decimal: 1 kWh = 3.6 MJ = 0.0036 GJ exactly.
UNITS: Mapping[str, Unit] = _units(
    Unit("kWh", ENERGY, Decimal("0.0036")),
    Unit("MWh", ENERGY, Decimal("3.6")),
    Unit("GWh", ENERGY, Decimal("3600")),
    Unit("MJ", ENERGY, Decimal("0.001")),
    Unit("GJ", ENERGY, Decimal("1")),
    Unit("TJ", ENERGY, Decimal("1000")),
    Unit("m3", VOLUME_ACTUAL, Decimal("1")),
    Unit("L", VOLUME_ACTUAL, Decimal("0.001")),
    Unit("Nm3", VOLUME_NORMAL, Decimal("1")),
    Unit("10^4 Nm3", VOLUME_NORMAL, Decimal("10000")),
    Unit("kg", MASS, Decimal("1")),
    Unit("t", MASS, Decimal("1000")),
    Unit("pcs", COUNT, Decimal("1")),
    Unit("m2", AREA, Decimal("1")),
    Unit("tkm", FREIGHT, Decimal("1")),
    Unit("kgCO2e", EMISSIONS, Decimal("1")),
    Unit("tCO2e", EMISSIONS, Decimal("1000")),
)

DIMENSIONS: frozenset[str] = frozenset(u.dimension for u in UNITS.values())


def symbols_for(dimensions: Iterable[str]) -> tuple[str, ...]:
    """The canonical symbols of ``dimensions``, in table order (for "accepted: ..." messages)."""
    wanted = frozenset(dimensions)
    return tuple(u.symbol for u in UNITS.values() if u.dimension in wanted)


def get_unit(symbol: str) -> Unit:
    """The unit for a canonical symbol; ``ValueError`` listing all symbols otherwise."""
    unit = UNITS.get(symbol) if isinstance(symbol, str) else None
    if unit is None:
        raise ValueError(f"unknown unit {symbol!r}; accepted: {', '.join(UNITS)}")
    return unit


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """``value`` in ``from_unit`` expressed in ``to_unit``, exactly.

    Never rounds: the ratio of the two factors is applied as a fraction with enough precision for
    the exact result. If the result has no finite decimal form (e.g. 1 GJ = 277.77… kWh) a
    ``ValueError`` says so rather than returning a rounded number; use :func:`convert_fraction`.
    Units of different dimensions are refused with both units named.
    """
    ratio = _ratio(value, from_unit, to_unit)
    exact = Fraction(value) * ratio
    denominator = exact.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        raise ValueError(f"{value} {from_unit} has no exact decimal value in {to_unit}; use convert_fraction")
    # p / (2^a·5^b) = p·2^(m-a)·5^(m-b) / 10^m with m = max(a, b) <= q.bit_length(): the coefficient
    # has at most digits(p) + m digits. With Inexact trapped, any rounding would raise.
    precision = len(str(abs(exact.numerator))) + exact.denominator.bit_length() + 2
    context = Context(prec=precision, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
    return context.divide(Decimal(exact.numerator), Decimal(exact.denominator))


def convert_fraction(value: Decimal, from_unit: str, to_unit: str) -> Fraction:
    """``value`` in ``from_unit`` expressed in ``to_unit`` as an exact fraction (always exact)."""
    return Fraction(value) * _ratio(value, from_unit, to_unit)


def _ratio(value: Decimal, from_unit: str, to_unit: str) -> Fraction:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"value must be a finite Decimal, got {value!r}")
    if not (isinstance(from_unit, str) and isinstance(to_unit, str)):
        get_unit(from_unit), get_unit(to_unit)  # refused, naming the symbol
    return _unit_ratio(from_unit, to_unit)


@lru_cache(maxsize=1024)
def _unit_ratio(from_unit: str, to_unit: str) -> Fraction:
    """Cached: a year's inventory converts every record, mostly between the same few units."""
    source, target = get_unit(from_unit), get_unit(to_unit)
    if source.dimension != target.dimension:
        raise ValueError(f"cannot convert {from_unit} ({source.dimension}) to {to_unit} ({target.dimension})")
    return Fraction(source.factor) / Fraction(target.factor)

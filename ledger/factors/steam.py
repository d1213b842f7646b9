"""Steam metered by mass, turned into heat as the Chinese accounting guidelines do it.

The NDRC/MEE enterprise GHG accounting guidelines count purchased steam as heat
``mass × (specific enthalpy of the delivered steam − 83.74 kJ/kg)``: the enthalpy at the pressure and
temperature the supplier declares, less the enthalpy of feed water (20 °C) that the factory returns.
A record carries neither pressure nor temperature, so each steam source's declared conditions are an
input of the evaluation (:class:`SteamConditions`, one per ``source_id``), shown in the report beside
the arithmetic; a source metered in tonnes without them is refused, naming it: a gross figure such as
"2.78 GJ/t" would be a silent default.

The enthalpy is IAPWS-IF97's (the ``iapws`` package), rounded once to 0.01 kJ/kg as steam tables
print it, so that the rest of the arithmetic is exact decimal and a reader can redo it by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from importlib.metadata import version
from typing import Any

from ledger.records.errors import RecordError

METHOD = "IAPWS-IF97"
ENTHALPY_PLACES = Decimal("0.01")
"""kJ/kg: the enthalpy is rounded once, half-even, to two places, as steam tables give it."""
_MIN_MPA, _MAX_MPA = Decimal("0.000611657"), Decimal("100")  # IF97: triple point to 100 MPa
_MAX_C = Decimal("800")  # IF97 regions 1-3 (region 5, to 2000 °C, only below 50 MPa: not needed here)


@dataclass(frozen=True)
class SteamConditions:
    """What a steam supplier declares for one source: absolute pressure and either a temperature
    (superheated steam) or ``saturated`` (dry saturated steam at that pressure)."""

    source_id: str
    absolute_pressure_mpa: Decimal
    temperature_c: Decimal | None  # None: saturated

    @property
    def described(self) -> str:
        state = "saturated" if self.temperature_c is None else f"{self.temperature_c} °C"
        return f"{self.absolute_pressure_mpa} MPa (absolute), {state}"

    @property
    def enthalpy_kj_per_kg(self) -> Decimal:
        """h of the delivered steam by IAPWS-IF97, rounded to 0.01 kJ/kg."""
        return _enthalpy(self.absolute_pressure_mpa, self.temperature_c)

    def to_json(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "absolute_pressure_mpa": str(self.absolute_pressure_mpa),
            "temperature_c": None if self.temperature_c is None else str(self.temperature_c),
            "saturated": self.temperature_c is None,
            "enthalpy_kj_per_kg": str(self.enthalpy_kj_per_kg),
            "method": f"{METHOD} (iapws {iapws_version()})",
        }


def iapws_version() -> str:
    return version("iapws")


@lru_cache(maxsize=256)
def _enthalpy(pressure_mpa: Decimal, temperature_c: Decimal | None) -> Decimal:
    from iapws import IAPWS97  # imported on first use: it brings numpy/scipy along

    if temperature_c is None:
        steam = IAPWS97(P=float(pressure_mpa), x=1)
    else:
        steam = IAPWS97(P=float(pressure_mpa), T=float(temperature_c) + 273.15)
    return Decimal(float(steam.h)).quantize(ENTHALPY_PLACES)


def saturation_c(pressure_mpa: Decimal) -> Decimal:
    """The saturation temperature at ``pressure_mpa`` (IAPWS-IF97), °C, to 0.01."""
    from iapws import IAPWS97

    return (Decimal(float(IAPWS97(P=float(pressure_mpa), x=1).T)) - Decimal("273.15")).quantize(ENTHALPY_PLACES)


def heat_gj_per_t(conditions: SteamConditions, feedwater_kj_per_kg: Fraction) -> Fraction:
    """(h − feed water) kJ/kg = (h − feed water) ÷ 1000 GJ/t, exact."""
    return (Fraction(conditions.enthalpy_kj_per_kg) - feedwater_kj_per_kg) / 1000


def _decimal(where: str, value: Any) -> Decimal:
    if not isinstance(value, str):
        raise RecordError(where, f'write it as a decimal string, e.g. "1.0", got {type(value).__name__}')
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise RecordError(where, f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise RecordError(where, f"{value!r} is not a finite number")
    return parsed


def _or_refused(where: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - the library's own refusal, whatever its type
        raise RecordError(where, "IAPWS-IF97 gives no saturation temperature at this pressure") from None


def parse_steam(body: Mapping[str, Any] | None, field: str = "steam") -> dict[str, SteamConditions]:
    """``{source_id: {"absolute_pressure_mpa": "1.0", "temperature_c": "250" | "saturated": true}}``
    checked: the pressure inside IF97's range, exactly one of a temperature or ``saturated``, and a
    temperature above saturation (below it the "steam" would be water). Errors name the field."""
    found: dict[str, SteamConditions] = {}
    for source_id, entry in (body or {}).items():
        where = f"{field}[{source_id}]"
        if not isinstance(entry, Mapping):
            raise RecordError(where, "must be an object with absolute_pressure_mpa and temperature_c or saturated")
        unknown = sorted(set(entry) - {"absolute_pressure_mpa", "temperature_c", "saturated"})
        if unknown:
            raise RecordError(f"{where}.{unknown[0]}", "unknown field; give absolute_pressure_mpa, and "
                              "temperature_c or saturated")  # fmt: skip
        if "absolute_pressure_mpa" not in entry:
            raise RecordError(
                f"{where}.absolute_pressure_mpa", "is required (the supplier's declared absolute pressure)"
            )
        pressure = _decimal(f"{where}.absolute_pressure_mpa", entry["absolute_pressure_mpa"])
        if not _MIN_MPA <= pressure <= _MAX_MPA:
            raise RecordError(f"{where}.absolute_pressure_mpa", f"{pressure} MPa is outside IAPWS-IF97's "
                              f"{_MIN_MPA}-{_MAX_MPA} MPa (absolute: gauge pressure + 0.101325 MPa)")  # fmt: skip
        saturated = entry.get("saturated", False)
        if not isinstance(saturated, bool):
            raise RecordError(f"{where}.saturated", "must be true or false")
        has_t = entry.get("temperature_c") is not None
        if saturated == has_t:
            raise RecordError(where, "give exactly one of temperature_c (superheated) or saturated: true")
        temperature = _decimal(f"{where}.temperature_c", entry["temperature_c"]) if has_t else None
        if temperature is not None:
            if pressure > Decimal("22.064"):
                raise RecordError(f"{where}.absolute_pressure_mpa", "is above the critical pressure (22.064 MPa): "
                                  "not steam a supplier delivers")  # fmt: skip
            t_sat = _or_refused(where, saturation_c, pressure)
            if not t_sat < temperature <= _MAX_C:
                raise RecordError(f"{where}.temperature_c", f"{temperature} °C must be above the saturation "
                                  f"temperature at {pressure} MPa ({t_sat} °C) and at most {_MAX_C} °C")  # fmt: skip
        elif pressure >= Decimal("22.064"):
            raise RecordError(f"{where}.absolute_pressure_mpa", "saturated steam exists only below 22.064 MPa")
        declared = SteamConditions(source_id, pressure, temperature)
        try:
            h = declared.enthalpy_kj_per_kg
        except Exception:  # noqa: BLE001 - the library's own refusal, whatever its type
            h = None
        if h is None or not h.is_finite() or h <= 0:
            raise RecordError(where, f"IAPWS-IF97 gives no steam enthalpy at {declared.described}")
        found[source_id] = declared
    return found

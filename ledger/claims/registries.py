"""Certificate and credit registries as data: the unit one serial stands for, and validity rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ledger.records.errors import RecordError


@dataclass(frozen=True)
class Registry:
    name: str
    unit: str  # what one serial number stands for: "MWh" of renewable attribute, or "tCO2e"
    instrument: str  # "certificate" (electricity attributes) or "credit" (emission reductions)
    validity_months: int | None = None  # how long after generation a certificate may be claimed
    description: str = ""


_REGISTRIES: dict[str, Registry] = {}
REGISTRIES: Mapping[str, Registry] = MappingProxyType(_REGISTRIES)


def register_registry(registry: Registry) -> Registry:
    existing = _REGISTRIES.get(registry.name)
    if existing is not None and existing != registry:
        raise ValueError(f"registry {registry.name} is already defined differently")
    _REGISTRIES[registry.name] = registry
    return registry


def get_registry(name: object, field: str = "registry") -> Registry:
    if not isinstance(name, str) or name not in _REGISTRIES:
        raise RecordError(field, f"unknown registry {name!r}; known: {', '.join(sorted(_REGISTRIES))}")
    return _REGISTRIES[name]


for _registry in (
    Registry("GEC", "MWh", "certificate", 24, "China Green Electricity Certificate (绿证); 1 GEC = 1 MWh"),
    Registry("I-REC", "MWh", "certificate", None, "International REC Standard; 1 I-REC = 1 MWh"),
    Registry("CCER", "tCO2e", "credit", None, "China Certified Emission Reduction"),
    Registry("VCS", "tCO2e", "credit", None, "Verra Verified Carbon Unit"),
    Registry("GS", "tCO2e", "credit", None, "Gold Standard Verified Emission Reduction"),
):
    register_registry(_registry)

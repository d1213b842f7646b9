"""What this service agrees to relay: claims of at least a registry's minimum units, and no more
than a factory's hourly share. The contract decides what may be claimed; this decides what the
service pays gas for (``ZCL_CLAIM_MIN_UNITS``, ``ZCL_CLAIMS_PER_HOUR``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ledger.claims.registries import get_registry
from ledger.errors import InputError

DEFAULT_CLAIMS_PER_HOUR = 120
"""Claims one factory may have relayed per hour by one instance (a burst of a sixth of it at once);
``ZCL_CLAIMS_PER_HOUR`` (read by :mod:`ledger.config`, whose default is this number)."""


@dataclass(frozen=True)
class ClaimPolicy:
    min_units: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """The fewest units of a registry one claim may hold (1 where a registry is not named)."""
    per_hour: int | None = DEFAULT_CLAIMS_PER_HOUR
    """Relays per factory per hour; None: no limit."""

    def check_units(self, registry: str, units: int) -> None:
        """A claim below its registry's minimum is dust: refused, naming ``serial_end``."""
        least = self.min_units.get(registry, 1)
        if units < least:
            raise InputError(
                "serial_end",
                f"the claim holds {units} unit(s) of {registry}; this service relays claims of at least "
                f"{least} (ZCL_CLAIM_MIN_UNITS): claim the units together",
            )


def parse_min_units(text: str, name: str = "ZCL_CLAIM_MIN_UNITS") -> Mapping[str, int]:
    """``GEC=10,CCER=100`` → {"GEC": 10, "CCER": 100}; every registry must be known, every minimum ≥ 1."""
    minimums: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        registry, _, number = part.partition("=")
        get_registry(registry.strip(), name)
        try:
            least = int(number)
        except ValueError:
            raise InputError(name, f"{part!r} is not REGISTRY=UNITS") from None
        if least < 1:
            raise InputError(name, f"{part!r}: the minimum must be 1 or more")
        minimums[registry.strip()] = least
    return MappingProxyType(minimums)

"""The eligibility rule file (``rules/*.toml``): which certificates and credits count, as data.

Per registry the unit, the validity after generation and the countries it issues for; the market
boundary (where a certificate's power may come from for a consumer in a country); cut-off dates
(I-REC for Chinese generation after 2024-12); and whether a methodology or project-type code is a
removal or avoidance. Every entry names its ``source`` and whether it is ``confirmed``; a malformed
file is refused naming the file and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ledger.claims.registries import REGISTRIES
from ledger.rulefiles import read_rule_file

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_ELIGIBILITY = "eligibility-cn"
KINDS = ("removal", "avoidance")
_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")
_COUNTRY = re.compile(r"[A-Z]{2}")


class EligibilityRuleError(ValueError):
    """The rule file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Sourced:
    source: str
    confirmed: bool


@dataclass(frozen=True)
class RegistryRule(Sourced):
    name: str
    unit: str
    instrument: str  # "certificate" or "credit"
    validity_months: int | None
    issued_in: tuple[str, ...]  # countries the registry issues for (a serial of it proves one of them)


@dataclass(frozen=True)
class Cutoff(Sourced):
    registry: str
    generation_country: str
    last_generation_month: str


@dataclass(frozen=True)
class Methodology(Sourced):
    code: str
    registries: tuple[str, ...]
    kind: str  # "removal" or "avoidance"
    name: str


@dataclass(frozen=True)
class EligibilityRules:
    id: str
    version: str
    name: str
    consumer_country: str
    registries: Mapping[str, RegistryRule]
    markets: Mapping[str, tuple[tuple[str, ...], Sourced]]  # consumer country → generation countries
    cutoffs: tuple[Cutoff, ...]
    methodologies: tuple[Methodology, ...]

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def methodology(self, registry: str, code: str) -> Methodology | None:
        """The entry for ``code`` under ``registry``: compared without case and without a trailing
        version written after a space ("VM0047 v1.0" is VM0047), or None when it is not listed."""
        wanted = code.strip().upper().split(" ")[0] if code.strip() else ""
        return next((m for m in self.methodologies if m.code.upper() == wanted and registry in m.registries), None)


def load_eligibility(id_or_path: str | Path = DEFAULT_ELIGIBILITY) -> EligibilityRules:
    path, data = read_rule_file(id_or_path, RULES_DIR, EligibilityRuleError, "eligibility rule file")
    try:
        return _parse(data, path)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, EligibilityRuleError):
            raise
        raise EligibilityRuleError(f"{path}: {exc.__class__.__name__} {exc}") from None


def _parse(data: Mapping[str, Any], path: Path) -> EligibilityRules:
    meta = data["rule_set"]
    if meta["id"] != path.stem:
        raise EligibilityRuleError(f"{path}: rule_set.id {meta['id']!r} must equal the file's name {path.stem!r}")
    registries = {name: _registry(name, entry, path) for name, entry in data.get("registry", {}).items()}
    markets: dict[str, tuple[tuple[str, ...], Sourced]] = {}
    for i, entry in enumerate(data.get("market", [])):
        consumer = _country(entry["consumer_country"], path, f"market[{i}].consumer_country")
        countries = tuple(_country(c, path, f"market[{i}].generation_countries") for c in entry["generation_countries"])
        markets[consumer] = (countries, _sourced(entry, path, f"market[{i}]"))
    cutoffs = []
    for i, entry in enumerate(data.get("cutoff", [])):
        where = f"cutoff[{i}]"
        if entry["registry"] not in registries or not _MONTH.fullmatch(entry["last_generation_month"]):
            raise EligibilityRuleError(f"{path}: {where}: needs a registry of this file and a month YYYY-MM")
        cutoffs.append(Cutoff(**_sourced(entry, path, where).__dict__, registry=entry["registry"],
                              generation_country=_country(entry["generation_country"], path, where),
                              last_generation_month=entry["last_generation_month"]))  # fmt: skip
    methodologies = []
    for i, entry in enumerate(data.get("methodology", [])):
        where = f"methodology[{i}] {entry.get('code')!r}"
        if entry["kind"] not in KINDS or not set(entry["registries"]) <= set(registries):
            raise EligibilityRuleError(f"{path}: {where}: kind must be one of {KINDS}, registries of this file")
        methodologies.append(Methodology(**_sourced(entry, path, where).__dict__, code=entry["code"],
                                         registries=tuple(entry["registries"]), kind=entry["kind"],
                                         name=entry.get("name", "")))  # fmt: skip
    consumer = _country(meta["consumer_country"], path, "rule_set.consumer_country")
    return EligibilityRules(
        meta["id"], str(meta["version"]), meta.get("name", ""), consumer, MappingProxyType(registries),
        MappingProxyType(markets), tuple(cutoffs), tuple(methodologies),
    )  # fmt: skip


def _registry(name: str, entry: Mapping[str, Any], path: Path) -> RegistryRule:
    where = f"registry.{name}"
    known = REGISTRIES.get(name)
    if known is None or known.unit != entry["unit"] or known.instrument != entry["instrument"]:
        raise EligibilityRuleError(
            f"{path}: {where}: unit and instrument must be the registry's own (ledger.claims.registries)"
        )
    validity = entry.get("validity_months")
    if validity is not None and (not isinstance(validity, int) or isinstance(validity, bool) or validity < 1):
        raise EligibilityRuleError(f"{path}: {where}.validity_months: a whole number of months, 1 or more")
    issued_in = tuple(_country(c, path, f"{where}.issued_in") for c in entry.get("issued_in", []))
    return RegistryRule(**_sourced(entry, path, where).__dict__, name=name, unit=entry["unit"],
                        instrument=entry["instrument"], validity_months=validity, issued_in=issued_in)  # fmt: skip


def _sourced(entry: Mapping[str, Any], path: Path, where: str) -> Sourced:
    source, confirmed = entry.get("source"), entry.get("confirmed")
    if not isinstance(source, str) or not source or not isinstance(confirmed, bool):
        raise EligibilityRuleError(f"{path}: {where}: every entry needs a source and confirmed = true/false")
    return Sourced(source, confirmed)


def _country(value: object, path: Path, where: str) -> str:
    if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
        raise EligibilityRuleError(f"{path}: {where}: {value!r} is not an ISO 3166-1 alpha-2 code")
    return value

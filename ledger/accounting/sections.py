"""The parts of the report a verifier reads before signing: boundary, methodology, data quality per
source, and every factor used with its provenance.

Each builder returns plain JSON. A fact this service does not hold is ``None`` (shown as "unknown"
or "not stated"), never guessed and never a default that looks like data. The methodology names its
slots so that each later rule (matching method, gases and GWP set, Scope 3 exclusions) fills its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.accounting import statements
from ledger.accounting.inventory import Inventory, InventoryRecord
from ledger.accounting.source_register import SourceRegister, with_declarations
from ledger.claims.findings import ClaimedRetirement
from ledger.claims.matching import ANNUAL, matching_rules
from ledger.factors import FactorSet
from ledger.factors.arithmetic import FUEL_KEYS

BOUNDARY_FIELDS = (
    "legal_entity",
    "unified_social_credit_code",
    "site_address",
    "facilities",
    "province",
    "grid_region",
)
"""What a factory's profile says of its organisational boundary and location (see ``ledger.accounting.profile``)."""

STANDARDS = (
    "T/CECA-G 0171-2022 zero-carbon factory evaluation (levels and Type I/II boundary: the rule set)",
    "GHG Protocol Corporate Standard and Scope 2 Guidance (location- and market-based Scope 2)",
    "GB/T 2589 general principles for calculation of comprehensive energy consumption (energy in tce)",
)


def boundary(profile: Mapping[str, Any] | None) -> dict[str, Any]:
    """The factory's boundary as its profile stood when the report was made; a field never given is
    ``None`` ("unknown"), and ``complete`` says whether every field is known."""
    found = {k: (profile or {}).get(k) for k in BOUNDARY_FIELDS}
    unknown = [k for k, v in found.items() if v in (None, "", [])]
    return found | {"unknown": unknown, "complete": not unknown, "source": "the factory profile at evaluation time"}


def methodology(
    inv: Inventory, factors: FactorSet, rules_label: str, report_type: str, scope3: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Standards, gases, GWP set, matching method and exclusions with reasons: what exists today, with
    the slots later rules fill named (``None`` means not stated by this report). ``scope3`` is the
    evaluation's Scope 3 coverage (Type II): its excluded categories are listed with their reasons."""
    exclusions: list[dict[str, str]] = []
    if report_type == "I":
        exclusions.append({"what": "Scope 3", "reason": "outside the Type I boundary (Scope 1 and 2 only)"})
    scope3_exclusions = None
    if scope3 is not None:
        scope3_exclusions = [{"category": c["category"], "reason": c["reason"]}
                             for c in scope3.get("categories", []) if c.get("status") == "excluded"]  # fmt: skip
        exclusions += [{"what": f"Scope 3 {e['category']}", "reason": e["reason"]} for e in scope3_exclusions]
    return {
        "standards": [*STANDARDS, f"emission factors: {factors.name} ({factors.label})", f"rules: {rules_label}"],
        "gases": {"covered": statements.covered(inv), "note": _gases_note(inv)},
        "gwp_set": statements.gwp_set(inv, factors),
        "matching_method": _matching_method(inv),
        "grid_factor": inv.grid,
        "exclusions": exclusions,
        "scope3_exclusions": scope3_exclusions,
    }


def _gases_note(inv: Inventory) -> str:
    """What each kind of line counts; fuel CH4 and N2O only where the set has their factors (1.2 on)."""
    fuel_other = any(ln.scope == "scope1" and ln.category in FUEL_KEYS and ln.gases != "CO2" for ln in inv.lines)
    fuels = ("fuel combustion counts CO2 (the Chinese guidelines' method) and CH4 and N2O (IPCC 2006 defaults) in "
             "CO2e with the GWP set, its CO2 alone shown in scope1_by_gas; heat, steam and grid factors are CO2 only"
             if fuel_other else "fuel combustion, heat, steam and grid factors are CO2 only")  # fmt: skip
    return (f"{fuels}; biomass CH4 and N2O are CO2e with the GWP set; process emissions are taken as stated in "
            "tCO2e; biogenic CO2 is reported apart")  # fmt: skip


def _matching_method(inv: Inventory) -> dict[str, Any]:
    """How certificates met consumption in this inventory (:mod:`ledger.accounting.matching`), in the
    words and with the source of the matching rule file."""
    method = inv.matching.method if inv.matching is not None else ANNUAL
    described = matching_rules()["methods"][method]
    return {"method": method, "note": described["description"], "source": described["source"]}


def data_quality(
    records: Sequence[InventoryRecord],
    year: int,
    stored: Callable[[Iterable[str]], Mapping[str, bool]] | None = None,
    register: SourceRegister | None = None,
) -> list[dict[str, Any]]:
    """Per source: its kinds and units, months with records and months without, record count, how its
    figures were obtained as the factory's ``register`` declares it (``undeclared`` when it does not;
    ``None`` without a register: the records do not say), and evidence cited and held here.
    One pass over the records (a year may hold millions)."""
    by_source: dict[str, _Source] = {}
    for item in records:
        record = item.record
        source = by_source.get(record.source_id)
        if source is None:
            source = by_source[record.source_id] = _Source()
        source.records += 1
        source.periods.add(item.period)
        source.kinds.add(record.kind)
        source.units.add(record.unit)
        if record.evidence:
            source.with_evidence += 1
            source.cited.update(e.sha256 for e in record.evidence)
    cited_all = sorted({h.hex() for source in by_source.values() for h in source.cited})
    held = dict(stored(cited_all)) if stored is not None and cited_all else {}
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    out = []
    for source_id in sorted(by_source):
        source = by_source[source_id]
        out.append({
            "source_id": source_id,
            "kinds": sorted(source.kinds),
            "units": sorted(source.units),
            "records": source.records,
            "months_present": sorted(source.periods),
            "months_absent": [m for m in months if m not in source.periods],
            "measurement": None,
            "records_with_evidence": source.with_evidence,
            "records_without_evidence": source.records - source.with_evidence,
            "evidence_files": len(source.cited),
            "evidence_files_held": None if stored is None else sum(1 for h in source.cited if held.get(h.hex())),
        })  # fmt: skip
    return out if register is None else with_declarations(out, register, year)


@dataclass
class _Source:
    records: int = 0
    with_evidence: int = 0
    periods: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    cited: set[bytes] = field(default_factory=set)


def factors_used(inv: Inventory, factors: FactorSet) -> list[dict[str, Any]]:
    """Every factor the figures used (each line's, and the residual mix of market-based Scope 2), with
    its value, unit, source, year and whether the set marks it confirmed."""
    keys = {key for line in inv.lines for key, _ in line.factors} | {"grid.residual_mix"}
    out = []
    for key in sorted(keys):
        f = factors.factors.get(key)
        out.append(
            {"key": key, "value": None, "unit": None, "source": None, "year": None, "confirmed": None}
            if f is None else
            {"key": key, "value": str(f.value), "unit": f.unit, "source": f.source, "year": f.year,
             "confirmed": f.confirmed}
        )  # fmt: skip
    return out


def name_projects(inv: Inventory, claims: Sequence[ClaimedRetirement]) -> None:
    """Give each certificate and credit entry the project its claim declares (``project_id``), unless
    the entry already names one: a verifier reads the project beside the registry."""
    projects = {c.claim_id: c.claim.details.project_id for c in claims}
    for entry in (*inv.certificates, *inv.credits):
        claim_id = entry.get("claim_id")
        if "project_id" not in entry and isinstance(claim_id, int) and claim_id in projects:
            entry["project_id"] = projects[claim_id]

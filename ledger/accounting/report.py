"""The evaluation report: one JSON document whose every number traces to records and factors.

``report_hash`` is keccak256 of the report's canonical JSON (sorted keys, no spaces, UTF-8) with
the fields that are added after signing left out; it is what the evaluator signs and the chain
anchors, so anyone holding the JSON can recompute it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from eth_utils import keccak

from ledger.accounting import sections
from ledger.accounting.evaluation import RuleSet
from ledger.accounting.floating_zero import BaseYear, floating_zero
from ledger.accounting.inventory import Inventory, monthly_json, totals_json
from ledger.accounting.matching import matching_json
from ledger.accounting.source_register import SourceRegister
from ledger.accounting.source_register import report_json as register_json
from ledger.accounting.sources import YearData
from ledger.accounting.statements import statements
from ledger.claims.double_counting import Finding
from ledger.factors import FactorSet
from ledger.numbers import percent, shown

REPORT_FORMAT = "zcl-evaluation/3"
UNSIGNED_FIELDS = frozenset({
    "id", "report_hash", "status", "signature", "evaluator", "anchor", "created_at",
    "stale", "stale_because", "superseded_by",  # computed on read from the chain (ledger.services.staleness)
    "evaluator_identity",  # the evaluator's own signed profile, added with their signature
})  # fmt: skip


def build_report(
    *,
    factory_id: str,
    factory_name: str | None,
    year: int,
    report_type: str,
    inventory: Inventory,
    evaluation: dict[str, Any],
    year_data: YearData,
    findings: Sequence[Finding],
    undisclosed_claims: Sequence[int],
    factors: FactorSet,
    provisional_claims: Sequence[int] = (),
    count_provisional: bool = False,
    rules: RuleSet,
    chain: dict[str, Any],
    eligibility: dict[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
    base_year: BaseYear | None = None,
    evidence_held: Callable[[Iterable[str]], Mapping[str, bool]] | None = None,
    source_register: SourceRegister | None = None,
) -> dict[str, Any]:
    """The report; ``profile`` is the factory's location and boundary now, ``base_year`` the declared
    base year own reductions are measured against, ``evidence_held`` which cited files are stored here,
    ``source_register`` what the factory declared of its sources (methods, meters, days in service)."""
    e = inventory.electricity
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "factory_id": factory_id,
        "factory_name": factory_name,
        "year": year,
        "type": report_type,
        "chain": chain,
        "factor_set": {"id": factors.id, "version": factors.version, "name": factors.name, "label": factors.label},
        "rule_set": {"id": rules.id, "version": rules.version, "name": rules.name, "label": rules.label},
        "grid": inventory.grid,
        "rounding": "figures rounded half-even to 6 decimal places; sums and comparisons are exact",
        "periods": {"used": year_data.used, "superseded": year_data.superseded, "missing": year_data.missing},
        "totals": dict(totals_json(inventory)),
        "electricity": {
            "grid_mwh": shown(e["grid_mwh"]),
            "onsite_mwh": shown(e["onsite_mwh"]),
            "green_power_mwh": shown(e["green_power_mwh"]),
            "green_power_uncertified_mwh": shown(e["green_power_uncertified_mwh"]),
            "certificates_mwh": shown(e["certificates_mwh"]),
            "covered_mwh": shown(e["covered_mwh"]),
            "total_mwh": shown(e["total_mwh"]),
            "renewable_mwh": shown(e["renewable_mwh"]),
            "renewable_share": percent(inventory.renewable_share),
            "location_factor": shown(e["location_factor"]),
            "residual_mix_factor": shown(e["residual_mix_factor"]),
            "market_based_arithmetic": (
                f"({shown(e['grid_mwh'])} MWh grid − {shown(e['covered_mwh'])} MWh covered by valid certificates, "
                f"matched {_matched(inventory)}) × {shown(e['residual_mix_factor'])} tCO2/MWh residual mix = "
                f"{shown(inventory.scope2_market_electricity)} tCO2"
            ),
        },
        "production": {unit: shown(q) for unit, q in inventory.production.items()},
        "lines": [line.to_json() for line in inventory.lines],
        "monthly": monthly_json(inventory),
        "certificates": inventory.certificates,
        "green_power": inventory.green_power,
        "credits": inventory.credits,
        "double_counting": [f.to_json() for f in findings],  # record_ids a sample; record_count, consumption lines
        "undisclosed_claims": list(undisclosed_claims),
        "provisional_claims": {"claim_ids": list(provisional_claims), "counted": count_provisional},
        "evaluation": evaluation,
        "floating_zero": floating_zero(inventory, base_year),
        "boundary": sections.boundary(profile),
        "methodology": sections.methodology(inventory, factors, rules.label, report_type, evaluation.get("scope3")),
        "data_quality": sections.data_quality(year_data.records, year, evidence_held, source_register),
        "factors_used": sections.factors_used(inventory, factors),
    }
    if source_register is not None:  # the factory's declarations, with what they excused from completeness
        seen = [s["source_id"] for s in report["data_quality"] if s["records"]]
        report["source_register"] = register_json(source_register, seen, [p["period"] for p in year_data.used])
    if eligibility is not None:  # which certificates and credits count (ledger.claims.eligibility)
        report["eligibility"] = eligibility
    if inventory.matching is not None:
        report["matching"] = matching_json(
            inventory.matching, onsite_mwh=e["onsite_mwh"], residual=e["residual_mix_factor"],
            other_scope2=inventory.scope2_other,
        )  # fmt: skip
    report.update(statements(inventory, factors))  # gases, biogenic CO2, steam, factor sources, intensity
    _scope3_without_data(report)
    report["report_hash"] = "0x" + report_hash(report).hex()
    return report


def _matched(inventory: Inventory) -> str:
    method = inventory.matching.method if inventory.matching is not None else "annual"
    return {"claim_period": "within each claim's own months", "monthly": "month by month"}.get(method, "over the year")


def _scope3_without_data(report: dict[str, Any]) -> None:
    """A Type II year with no Scope 3 data in any category shows Scope 3 as "no data", never as 0
    (:mod:`ledger.accounting.scope3`; with some categories measured, their sum stands, marked incomplete
    in ``evaluation.scope3``)."""
    coverage = report["evaluation"].get("scope3")
    if coverage is None or any(c["status"] == "data" for c in coverage["categories"]):
        return
    if not coverage["complete"]:
        report["totals"]["scope3"] = "no data"
        for month in report["monthly"]:
            month["scope3"] = "no data"


def canonical_json(report: dict[str, Any]) -> bytes:
    body = {k: v for k, v in report.items() if k not in UNSIGNED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def report_hash(report: dict[str, Any]) -> bytes:
    return keccak(canonical_json(report))

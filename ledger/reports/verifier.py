"""The view of what a verifier reads before signing: the floating zero (own reductions, certificates,
offsets and removals, apart), boundary, methodology, data quality per source, the factory's source
register (its declarations, and what they excused), factors used, and who the evaluator is. Read defensively (:mod:`ledger.reports.fields`): an older report lacks these parts
and the page then says "not in this report"; a field ``None`` in the report is shown as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.reports.fields import as_list, get, mappings, pick

__all__ = ["verifier_view"]

_BOUNDARY = ("legal_entity", "unified_social_credit_code", "site_address", "facilities", "province", "grid_region")
_SOURCE = ("source_id", "kinds", "units", "records", "months_present", "months_absent", "measurement",
           "records_with_evidence", "records_without_evidence", "evidence_files", "evidence_files_held",
           "measured")  # fmt: skip
_DECLARED = ("method", "meter", "in_service_from", "in_service_until", "declared_by", "declared_at", "version")
_FACTOR = ("key", "value", "unit", "source", "year", "confirmed")
_IDENTITY = ("name", "organisation", "accreditation", "version", "signature", "updated_at")


def verifier_view(report: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "floating_zero": _floating_zero(report.get("floating_zero")),
        "boundary": _boundary(report.get("boundary")),
        "methodology": _methodology(report.get("methodology")),
        "data_quality": [
            {**pick(s, *_SOURCE), "months_present": as_list(get(s, "months_present")),
             "months_absent": as_list(get(s, "months_absent"))}
            for s in mappings(report.get("data_quality"))
        ] if isinstance(report.get("data_quality"), list) else None,
        "source_register": _register(report.get("source_register")),
        "factors_used": [pick(f, *_FACTOR) for f in mappings(report.get("factors_used"))]
        if isinstance(report.get("factors_used"), list) else None,
        "identity": pick(report.get("evaluator_identity"), *_IDENTITY)
        if isinstance(report.get("evaluator_identity"), Mapping) else None,
    }  # fmt: skip


def _floating_zero(zero: Any) -> dict[str, Any] | None:
    if not isinstance(zero, Mapping):
        return None
    own = get(zero, "own_reductions", {})
    efficiency = get(own, "efficiency", {})
    return {
        "onsite": pick(get(own, "onsite_renewable"), "mwh", "location_factor", "tco2e", "arithmetic"),
        "efficiency": {
            **pick(efficiency, "status", "tco2e", "method", "arithmetic", "explanation"),
            "base_year": pick(get(efficiency, "base_year"), "year", "gross_emissions_tco2e", "output", "output_unit",
                              "source") if isinstance(get(efficiency, "base_year"), Mapping) else None,
        },
        "certificates": pick(get(zero, "certificates"), "green_power_mwh", "certificates_mwh", "covered_mwh",
                             "residual_mix_factor", "scope2_market_effect_tco2e", "arithmetic", "note"),
        "offsets": pick(get(zero, "offsets"), "tco2e", "note"),
        "removals": pick(get(zero, "removals"), "tco2e", "note"),
        "note": get(zero, "note"),
    }  # fmt: skip


def _boundary(boundary: Any) -> dict[str, Any] | None:
    if not isinstance(boundary, Mapping):
        return None
    found = pick(boundary, *_BOUNDARY)
    facilities = get(boundary, "facilities")
    found["facilities"] = "; ".join(str(f) for f in facilities) if isinstance(facilities, list) and facilities else None
    return {"fields": found, "complete": get(boundary, "complete") is True, "source": get(boundary, "source")}


def _methodology(method: Any) -> dict[str, Any] | None:
    """Each slot as text, or None ("not stated in this report") when the report leaves it empty."""
    if not isinstance(method, Mapping):
        return None
    gases = get(method, "gases")
    matching = get(method, "matching_method")
    gwp = get(method, "gwp_set")
    return {
        "standards": [str(s) for s in as_list(get(method, "standards"))],
        "gases": _described(gases, ", ".join(str(g) for g in as_list(get(gases, "covered")))),
        "gwp_set": _described(gwp, str(get(gwp, "id") or get(gwp, "label") or gwp)),
        "matching_method": _described(matching, str(get(matching, "method") or matching)),
        "grid_factor": get(method, "grid_factor"),
        "exclusions": [pick(x, "what", "reason") for x in mappings(get(method, "exclusions"))],
        "scope3_exclusions": None if get(method, "scope3_exclusions") is None else
        [pick(x, "what", "reason") for x in mappings(get(method, "scope3_exclusions"))],
    }  # fmt: skip


def _described(value: Any, text: str) -> str | None:
    if value in (None, "", [], {}):
        return None
    note = get(value, "note")
    return f"{text} — {note}" if note else text


def _register(register: Any) -> dict[str, Any] | None:
    """The factory's declarations of its sources, and the months (or days) they excused from completeness."""
    if not isinstance(register, Mapping):
        return None
    sources = get(register, "sources")
    methods = get(register, "methods")
    return {
        **pick(register, "note", "entered_by", "version", "updated_at", "rule_file"),
        "sources": [{"source_id": str(sid), **pick(d, *_DECLARED)} for sid, d in sources.items()]
        if isinstance(sources, Mapping) else [],
        "methods": [{"name": str(n), **pick(m, "meaning", "measured", "confirmed")} for n, m in methods.items()]
        if isinstance(methods, Mapping) else [],
        "excused": [{**pick(x, "source_id", "because"), "months": [str(m) for m in as_list(get(x, "months"))],
                     "part_months": [pick(d, "period", "owed") for d in mappings(get(x, "part_months"))]}
                    for x in mappings(get(register, "excused"))],
    }  # fmt: skip

"""The report JSON as the view model the report template renders: decisions made here, markup there.

The report is loosely typed (see :mod:`ledger.reports.fields`), so this module reads it once,
defensively, and hands the template plain dicts and lists in which every key the template reads is
present. What the page says about the report's standing is decided here, where it can be read and
tested as code: which status banner applies, whether the report hash matches the content shown,
which level is awarded and where its thresholds come from, which months are missing.

Values stay as the report wrote them (strings, numbers, None); the template's finalizer and filters
(:mod:`ledger.reports.format`) escape and format them, so user data is escaped in one place only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.accounting.report import report_hash
from ledger.i18n import N_
from ledger.reports.fields import as_list, get, mappings, missing_periods, pick
from ledger.reports.format import TCO2E, is_zero
from ledger.reports.verifier import verifier_view

__all__ = ["build_view"]

_TYPE_TEXT = {"I": N_("Type I (Scope 1 + 2)"), "II": N_("Type II (Scope 1 + 2 + 3)")}
N_("Reports contract")  # the label of the chain's ``reports_contract`` (the page translates chain labels)
_OUTCOME = ("metric", "value", "threshold", "passed", "confirmed", "explanation")
_CLAIM = ("claim_id", "kind", "registry", "block_id", "serials", "units", "allocated_to_year", "consumption",
          "technology", "tx_hash", "valid", "counted", "project_id", "country", "region", "methodology",
          "cancellation_number", "cancellation_date", "bundled_with")  # fmt: skip
_MATCHING = ("method", "rules", "description", "source", "default", "why_default", "default_source")
_GREEN = ("source_id", "delivered_mwh", "bundled_claims", "certified_mwh", "uncertified_mwh", "explanation")
_COMPARED = ("method", "chosen", "covered_mwh", "not_counted_mwh", "renewable_share", "scope2_market")
_MONTHLY = ("scope1", "scope2_location", "scope2_market", "scope3", "grid_electricity",
            "onsite_renewable_self_consumed", "green_power_contract", "covered", "certificates")  # fmt: skip
_ELECTRICITY = ("grid_mwh", "onsite_mwh", "green_power_mwh", "green_power_uncertified_mwh", "certificates_mwh", "covered_mwh", "total_mwh",
                "renewable_mwh", "renewable_share", "location_factor", "residual_mix_factor",
                "market_based_arithmetic")  # fmt: skip
_TOTALS = ("scope1", "scope2_location", "scope2_market", "scope3", "energy_tce", "offsets", "removals")


def build_view(report: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the page shows, by section; the template's context (charts are added separately)."""
    status = report.get("status") or "draft"
    return {
        "draft": status != "anchored",
        "type_ii": report.get("type") == "II",
        "header": _header(report),
        "status": _status(report),
        "stale": _stale(report),
        "basis": _basis(report),
        "summary": _summary(report),
        "missing": sorted(missing_periods(report)),
        "monthly": _monthly(report),
        "electricity": pick(get(report, "electricity"), *_ELECTRICITY),
        "accounting": _accounting(report),
        "matching": _matching(report),
        "green_power": [pick(g, *_GREEN) for g in mappings(report.get("green_power"))],
        "evaluation": _evaluation(report),
        "traceability": _traceability(report),
        "eligibility": _eligibility_section(report),
        "footer": pick(report, "report_hash", "format", "rounding"),
        "verifier": verifier_view(report),
    }  # fmt: skip


def _header(report: Mapping[str, Any]) -> dict[str, Any]:
    """Who and what was evaluated, and the awarded level (if any) with where its thresholds come from."""
    evaluation = get(report, "evaluation", {})
    level = get(evaluation, "level", "none")
    awarded = level not in (None, "", "none")
    level_source = None
    if awarded:
        level_source = next(
            (lv.get("source") for lv in as_list(get(evaluation, "levels")) if get(lv, "level") == level), None
        )
    return {
        "name": report.get("factory_name"),
        "factory_id": report.get("factory_id"),
        "year": report.get("year"),
        "type_text": _TYPE_TEXT.get(str(report.get("type")), f"Type {report.get('type')}"),
        "level": level,
        "awarded": awarded,
        "level_confirmed": bool(get(evaluation, "level_confirmed")),
        "level_source": level_source,
        # reports made before level_status existed: an unconfirmed level was a placeholder one
        "level_status": get(evaluation, "level_status") or ("confirmed" if get(evaluation, "level_confirmed")
                                                            else "placeholder"),
        "unconfirmed_because": [str(r) for r in as_list(get(evaluation, "level_unconfirmed_because"))],
    }  # fmt: skip


def _hash_check(report: Mapping[str, Any]) -> dict[str, Any]:
    """Whether ``report_hash`` is the hash of the content shown.

    ``state`` is "match", "mismatch" (``recomputed`` says what the content hashes to), "absent" (no
    hash: nothing vouches for the content either) or "unknown" (the content cannot be hashed; ``error``
    says why).
    """
    stated = report.get("report_hash")
    if not stated:
        return {"state": "absent", "recomputed": None, "error": None}
    try:
        recomputed = "0x" + report_hash(dict(report)).hex()
    except (TypeError, ValueError) as exc:
        return {"state": "unknown", "recomputed": None, "error": str(exc)}
    state = "match" if str(stated).lower() == recomputed else "mismatch"
    return {"state": state, "recomputed": recomputed, "error": None}


def _status(report: Mapping[str, Any]) -> dict[str, Any]:
    """Signed? Anchored? And does the content still match its hash? The banner says which applies."""
    status = report.get("status")
    signature = report.get("signature")
    anchor = get(report, "anchor")
    check = _hash_check(report)
    if status == "anchored":
        banner = "anchored"
    elif signature:
        banner = "signed"
    else:
        banner = "draft"
    return {
        "status": status,
        "banner": banner,
        # the content does not match its hash, or has none: no signature or anchor vouches for it
        "tampered": check["state"] in ("mismatch", "absent"),
        "hash": check,
        "anchor": pick(anchor, "report_id", "tx_hash", "block_number") if isinstance(anchor, Mapping) else None,
        "id": report.get("id"),
        "evaluator": report.get("evaluator"),
        "report_hash": report.get("report_hash"),
        "signature": signature,
        "created_at": report.get("created_at"),
    }


def _stale(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The months corrected on chain since the report was made (the service says so on read), or None."""
    if report.get("stale") is not True:
        return None
    because = [pick(b, "period", "used_revision", "latest_revision") for b in as_list(report.get("stale_because"))]
    return {"because": because, "periods": ", ".join(str(b["period"]) for b in because),
            "superseded_by": report.get("superseded_by")}  # fmt: skip


def _basis(report: Mapping[str, Any]) -> dict[str, Any]:
    """The chain the report refers to, and the factor and rule sets it was computed with."""
    chain = get(report, "chain", {})
    rule_set = get(report, "rule_set", {})
    chain_items = [(N_("Chain id"), get(chain, "chain_id")), (N_("Contract"), get(chain, "contract"))]
    if isinstance(chain, Mapping):
        chain_items += [(str(k).replace("_", " ").capitalize(), v) for k, v in chain.items()
                        if k not in ("chain_id", "contract")]  # fmt: skip
    return {
        "chain": chain_items,
        "factor_set": pick(get(report, "factor_set", {}), "label", "name"),
        "rule_set": {
            "label": get(rule_set, "label") or get(get(report, "evaluation", {}), "rule_set"),
            "name": get(rule_set, "name"),
        },
        "grid": report.get("grid"),
        "rounding": report.get("rounding"),
        "format": report.get("format"),
    }


def _summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """The year's totals; Scope 3 is shown for Type II, and for Type I only when it is not zero."""
    totals = pick(get(report, "totals", {}), *_TOTALS)
    scope3 = totals["scope3"]
    production = get(report, "production", {})
    return {
        "totals": totals,
        "scope3": "boundary" if report.get("type") == "II" else
                  "outside" if scope3 is not None and not is_zero(scope3) else None,
        "remaining_emissions": get(get(report, "evaluation", {}), "remaining_emissions"),
        "production": list(production.items()) if isinstance(production, Mapping) else [],
    }  # fmt: skip


def _monthly(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per month; a missing month keeps only its allocated certificates (claims, not measurements)."""
    missing = missing_periods(report)
    rows = []
    for m in mappings(report.get("monthly")):
        period = str(m.get("period"))
        rows.append({
            "period": period,
            "missing": period in missing,
            "reason": missing.get(period) or "no anchored data",
            "figures": [m.get(k) for k in _MONTHLY],  # certificates last
        })  # fmt: skip
    return rows


def _matching(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The matching method and every method's result side by side; None for a report made before
    the method was a choice (it matched over the year)."""
    matching = get(report, "matching")
    if not isinstance(matching, Mapping):
        return None
    return {**pick(matching, *_MATCHING), "compared": [pick(c, *_COMPARED) for c in mappings(matching.get("compared"))]}


_CONSUMPTION = ("period", "source_id", "kind", "records", "quantity", "unit", "mwh", "first_record_id")
"""A finding's consumption line: the records of one month, source, kind and unit, counted and summed."""


def _evaluation(report: Mapping[str, Any]) -> dict[str, Any]:
    """Gates, levels with their rules, double-counting findings and claims the service cannot see."""
    ev = get(report, "evaluation", {})
    awarded = get(ev, "level")
    levels = [
        {**pick(lv, "level", "passed", "confirmed", "source"), "awarded": get(lv, "level") == awarded,
         "rules": [pick(o, *_OUTCOME) for o in as_list(get(lv, "rules"))]}
        for lv in as_list(get(ev, "levels"))
    ]  # fmt: skip
    findings = [
        {**pick(f, "check", "message", "record_count"), "claim_ids": as_list(f.get("claim_ids")),
         "record_ids": as_list(f.get("record_ids")),
         "consumption": [pick(line, *_CONSUMPTION) for line in mappings(f.get("consumption"))]}
        for f in mappings(report.get("double_counting"))
    ]  # a finding made before record_count names every record it is about in record_ids  # fmt: skip
    return {
        **pick(ev, "type", "rule_set", "level", "remaining_emissions"),
        "gates": [pick(o, *_OUTCOME) for o in as_list(get(ev, "gates"))],
        "levels": levels,
        "findings": findings,
        "undisclosed": as_list(report.get("undisclosed_claims")),
        "provisional": as_list(get(report.get("provisional_claims"), "claim_ids")),
        "provisional_counted": get(report.get("provisional_claims"), "counted") is True,
        **_data_checks(ev),
    }


def _data_checks(ev: Any) -> dict[str, Any]:
    """What blocks or qualifies a level: source-months not covered, Scope 3 coverage (Type II), the
    unconfirmed factors the remaining emissions use. ``None`` for a report made before they were checked."""
    completeness = get(ev, "completeness")
    scope3 = get(ev, "scope3")
    return {
        "completeness": None if completeness is None else [
            pick(f, "source_id", "period", "problem", "detail") for f in as_list(get(completeness, "findings"))
        ],
        "scope3": None if scope3 is None else {
            "explanation": get(scope3, "explanation"),
            "categories": [pick(c, "category", "name", "status", "reason", "tco2e", "records")
                           for c in as_list(get(scope3, "categories"))],
        },
        "unconfirmed_factors": [pick(f, "key", "value", "source", "tco2e", "share", "material")
                                for f in as_list(get(ev, "unconfirmed_factors"))],
        "materiality": pick(get(ev, "materiality", {}), "share", "confirmed", "source"),
    }  # fmt: skip


def _claims(entries: Any) -> list[dict[str, Any]]:
    """Each certificate or credit; ``eligibility`` (when the report has it) as its checks, each a
    mapping with ``check``/``passed``/``detail``, or any other value shown as text."""
    return [
        {**pick(c, *_CLAIM), "unit": str(get(c, "unit") or ""), "eligibility": _eligibility(get(c, "eligibility"))}
        for c in as_list(entries)
    ]


def _eligibility(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    items = value.items() if isinstance(value, Mapping) else enumerate(as_list(value))
    out = []
    for key, item in items:
        if isinstance(item, Mapping):
            passed = next((item[k] for k in ("passed", "ok", "eligible") if k in item), None)
            name = item.get("check") or item.get("name") or item.get("rule") or key
            detail = item.get("detail") or item.get("reason") or item.get("explanation") or item.get("message")
            out.append({"check": name, "passed": passed, "detail": detail})
        else:
            out.append({"check": key, "passed": item if isinstance(item, bool) else None,
                        "detail": None if isinstance(item, bool) else item})  # fmt: skip
    return out


def _accounting(report: Mapping[str, Any]) -> dict[str, Any]:
    """What the totals count (gases, GWP), biogenic CO2, steam conditions, factor sources, intensity:
    absent from reports made before they were reported (the section then says so)."""
    gases = get(report, "gases", {})
    return {
        "present": "gases" in report,
        "gases": [{"total": name, **pick(get(gases, name), "basis", "gases")}
                  for name in ("scope1", "scope2_location", "scope2_market", "scope3", "biogenic_co2")],
        "gwp": pick(get(gases, "gwp"), "set", "ch4", "n2o", "source", "confirmed"),
        "biogenic": pick(get(report, "biogenic_co2"), "total_tco2", "counted_in"),
        "steam": [pick(s, "source_id", "absolute_pressure_mpa", "temperature_c", "saturated", "enthalpy_kj_per_kg",
                       "heat_gj_per_t", "method", "arithmetic") for s in mappings(report.get("steam_conditions"))],
        "grid": pick(get(report, "grid_factor"), "grid", "key", "value", "unit", "source", "confirmed"),
        "intensity": [pick(r, "unit", "output", "emissions", "tco2e_per_unit", "arithmetic")
                      for r in mappings(get(get(report, "intensity"), "rows"))],
        "by_gas": _by_gas(get(report, "scope1_by_gas")),
    }  # fmt: skip


def _by_gas(section: Any) -> dict[str, Any] | None:
    """Scope 1 by gas with its CO2-only figure; None for a report made before it was reported."""
    if not isinstance(section, Mapping):
        return None
    rows = [
        ("CO₂ (fossil)", "co2_tco2", "tCO₂"),
        ("CH₄ as CO₂e", "ch4_tco2e", "tCO₂e"),
        ("N₂O as CO₂e", "n2o_tco2e", "tCO₂e"),
        ("As stated (tCO₂e)", "stated_tco2e", "tCO₂e"),
        ("Scope 1 total", "total_tco2e", "tCO₂e"),
        ("CO₂ only (Chinese guidelines)", "co2_only_tco2", "tCO₂"),
    ]
    return {
        "rows": [{"gas": label, "value": get(section, key), "unit": unit} for label, key, unit in rows],
        "not_counted": [pick(m, "kind", "reason") for m in mappings(get(section, "fuel_ch4_n2o_not_counted"))],
        "note": get(section, "note"),
    }  # fmt: skip


def _eligibility_section(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """Which certificates and credits count: the rule file, the market and the findings (a serial
    that disagrees with its claim apart, to be shown first); None for a report made before."""
    section = get(report, "eligibility")
    if not isinstance(section, Mapping):
        return None
    findings = [pick(f, "kind", "claim_id", "message") for f in mappings(get(section, "findings"))]
    return {
        "rule_set": get(get(section, "rule_set"), "label"),
        **pick(section, "consumer_country", "consumer_country_from", "effect"),
        "mismatches": [f for f in findings if f["kind"] == "serial_mismatch"],
        "findings": [f for f in findings if f["kind"] != "serial_mismatch"],
    }


def _traceability(report: Mapping[str, Any]) -> dict[str, Any]:
    """Where every figure comes from: anchored batches, calculation lines, and the claims counted."""
    periods = get(report, "periods", {})
    lines = []
    for ln in as_list(report.get("lines")):
        line = pick(
            ln, "scope", "category", "period", "source_id", "records", "activity", "result", "arithmetic", "gases"
        )
        line["unit"] = "tce" if line["scope"] == "energy" else TCO2E
        if not isinstance(line["records"], int):  # zcl-evaluation/1 listed each line's record ids
            line["records"] = len(as_list(get(ln, "record_ids")))
        line["factors"] = [pick(f, "key", "value") for f in as_list(get(ln, "factors"))]
        lines.append(line)
    return {
        "used": [pick(p, "period", "revision", "batch_id", "root", "tx_hash", "block_number", "records", "note")
                 for p in as_list(get(periods, "used"))],
        "superseded": [pick(p, "period", "revision", "root", "anchored_block", "superseded_by")
                       for p in as_list(get(periods, "superseded"))],
        "missing": [pick(p, "period", "reason") for p in as_list(get(periods, "missing"))],
        "lines": lines,
        "certificates": _claims(report.get("certificates")),
        "credits": _claims(report.get("credits")),
    }  # fmt: skip

"""The report JSON as the PDF's view model: the level card, the sections in reading order, the appendix.

An evaluator hands the PDF over, so it reads from the conclusion down: the level reached and every
indicator with pass/fail and its shortfall first, a table of contents, then the figures rounded for
reading; the exact decimal strings, as signed, are in the appendix. Decisions about the report's
standing (status, hash check, stale) are the HTML page's (:mod:`ledger.reports.view`), reused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.reports.fields import as_list, get, mappings, missing_periods
from ledger.reports.lang import N_, Gettext
from ledger.reports.reading import indicator, renewable_share, rounded, with_unit
from ledger.reports.view import build_view

__all__ = ["EXACT_TOTALS", "build_print_view"]

T = "tCO₂e"
EXACT_TOTALS = (
    ("totals", "scope1", N_("Scope 1"), T), ("totals", "scope2_location", N_("Scope 2, location-based"), T),
    ("totals", "scope2_market", N_("Scope 2, market-based"), T), ("totals", "scope3", N_("Scope 3"), T),
    ("evaluation", "remaining_emissions", N_("Remaining emissions"), T),
    ("totals", "energy_tce", N_("Comprehensive energy"), "tce"), ("totals", "offsets", N_("Offsets"), T),
    ("totals", "removals", N_("Removals"), T),
    ("electricity", "grid_mwh", N_("Grid electricity"), "MWh"),
    ("electricity", "onsite_mwh", N_("On-site renewable, self-consumed"), "MWh"),
    ("electricity", "green_power_mwh", N_("Green-power contracts"), "MWh"),
    ("electricity", "certificates_mwh", N_("Certificates"), "MWh"),
    ("electricity", "covered_mwh", N_("Grid electricity covered by certificates"), "MWh"),
    ("electricity", "total_mwh", N_("Electricity consumed"), "MWh"),
    ("electricity", "renewable_mwh", N_("Renewable electricity"), "MWh"),
)  # fmt: skip
"""The headline figures: where each is in the report, its name and unit (the first eight are emissions
and energy, the rest electricity)."""

_MONTH_COLUMNS = (("scope1", N_("Scope 1"), T), ("scope2_market", N_("Scope 2 market"), T),
                  ("scope3", N_("Scope 3"), T), ("grid_electricity", N_("Grid"), "MWh"),
                  ("onsite_renewable_self_consumed", N_("On-site"), "MWh"),
                  ("covered", N_("Covered"), "MWh"), ("certificates", N_("Certificates"), "MWh"))  # fmt: skip


HEADINGS = {
    "kicker": N_("Zero-carbon factory evaluation"), "level": N_("Level reached"),
    "emissions": N_("Emissions"), "indicators": N_("Key indicators"), "gates": N_("Gates"),
    "contents": N_("Contents"),
}  # fmt: skip
"""The level card's and contents' headings, shown in both languages: the report's first, the other after."""


def build_print_view(report: Mapping[str, Any], _: Gettext, other: Gettext) -> dict[str, Any]:
    """Everything the PDF shows, in the order it shows it; labels already translated by ``_`` (and
    the bilingual headings by ``other``, the other language's gettext, too)."""
    page = build_view(report)
    ev = get(report, "evaluation", {})
    figures = [
        {"section": section, "key": key, "name": _(name), "unit": unit,
         "exact": get(get(report, section, {}), key), "read": with_unit(get(get(report, section, {}), key), unit)}
        for section, key, name, unit in EXACT_TOTALS
    ]  # fmt: skip
    e = get(report, "electricity", {})
    share = renewable_share(report)
    return {
        "bi": {key: (_(msgid), other(msgid)) for key, msgid in HEADINGS.items()},
        "header": page["header"],
        "status": page["status"],
        "stale": page["stale"],
        "draft": page["draft"],
        "card": _card(report, figures, share, _),
        "gates": [indicator(o, report, _) for o in as_list(get(ev, "gates"))],
        "levels": [_level(lv, ev, report, _) for lv in as_list(get(ev, "levels"))],
        "emissions": figures[:8],
        "electricity": [*figures[8:], {"section": "electricity", "key": "renewable_share", "name": _("Renewable share"),
                                       "unit": "", "exact": get(e, "renewable_share"), "read": share}],
        "months": _months(report, _),
        "claims": _claims(report),
        "findings": len(mappings(report.get("double_counting"))),
        "completeness": len(as_list(get(get(ev, "completeness"), "findings"))),
        "basis": page["basis"],
        "matching": get(get(report, "matching"), "method"),
        "batches": page["traceability"]["used"],
        "outcomes_exact": _outcomes_exact(ev, _),
        "footer": _footer(report),
    }  # fmt: skip


def _card(report: Mapping[str, Any], figures: list[dict[str, Any]], share: str, _: Gettext) -> dict[str, Any]:
    """Page one: the level reached, and the four figures a reader looks for first."""
    by_key = {f["key"]: f for f in figures}
    return {
        "figures": [
            (_("Remaining emissions"), by_key["remaining_emissions"]["read"]),
            (_("Scope 1"), by_key["scope1"]["read"]),
            (_("Scope 2, market-based"), by_key["scope2_market"]["read"]),
            (_("Renewable share"), share),
            (_("Comprehensive energy"), by_key["energy_tce"]["read"]),
        ],
        "year": report.get("year"),
    }


def _level(lv: Any, ev: Any, report: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    return {
        "level": get(lv, "level"),
        "passed": get(lv, "passed") is True,
        "confirmed": get(lv, "confirmed"),
        "awarded": get(lv, "level") == get(ev, "level"),
        "rules": [indicator(o, report, _) for o in as_list(get(lv, "rules"))],
    }


def _months(report: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    """The monthly table, read (rounded) and exact; a missing month says so instead of showing zeros."""
    missing = missing_periods(report)
    rows = []
    for m in mappings(report.get("monthly")):
        period = str(m.get("period"))
        rows.append({
            "period": period,
            "missing": period in missing,
            "read": [rounded(m.get(k), 2 if unit == T else 1) for k, _n, unit in _MONTH_COLUMNS],
            "exact": [m.get(k) for k, _n, _u in _MONTH_COLUMNS],
        })  # fmt: skip
    return {"columns": [(_(name), unit) for _k, name, unit in _MONTH_COLUMNS], "rows": rows}


def _claims(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in [*as_list(report.get("certificates")), *as_list(report.get("credits"))]:
        if not isinstance(c, Mapping):
            continue
        out.append({
            "registry": c.get("registry"), "kind": c.get("kind") or "certificate", "block_id": c.get("block_id"),
            "serials": c.get("serials"), "units": c.get("units"), "unit": c.get("unit") or "",
            "counted": c.get("counted", c.get("allocated_to_year")), "valid": c.get("valid"),
            "technology": c.get("technology"),
        })  # fmt: skip
    return out


def _outcomes_exact(ev: Any, _: Gettext) -> list[dict[str, Any]]:
    """Every gate and level rule's value and threshold exactly as the report states them."""
    rows = [{"where": _("Gate"), "metric": get(o, "metric"), "value": get(o, "value"), "threshold": get(o, "threshold")}
            for o in as_list(get(ev, "gates"))]  # fmt: skip
    for lv in as_list(get(ev, "levels")):
        rows += [{"where": get(lv, "level"), "metric": get(o, "metric"), "value": get(o, "value"),
                  "threshold": get(o, "threshold")} for o in as_list(get(lv, "rules"))]  # fmt: skip
    return rows


def _footer(report: Mapping[str, Any]) -> dict[str, Any]:
    anchor = get(report, "anchor")
    return {
        "id": report.get("id"),
        "hash": report.get("report_hash"),
        "tx": get(anchor, "tx_hash"),
        "block": get(anchor, "block_number"),
    }

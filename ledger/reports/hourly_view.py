"""A matching run's page (issue 17): the run document as the view model ``templates/matching.html``
renders, and the page itself, in English or Chinese.

The headline is the year's CFE score (matched ÷ load over the scored hours) rounded **down** to two
places of a percent, the exact figure beside it, and next to it what annual matching of the same
supply would have claimed: an hourly score is only comparable to the annual share over the same
hours, so that share is computed here from the run's own totals (see :func:`annual_matching_share`).
Every other figure is the run's own decimal string; the page never recomputes a figure it shows as
the run's. Unscored hours (gaps) are listed with the source and hours that caused them, never as 0 %.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_FLOOR
from fractions import Fraction
from pathlib import Path
from threading import Lock
from typing import Any

from markupsafe import Markup

from ledger.i18n import N_
from ledger.i18n.jinja import context
from ledger.reports.fields import as_list, get, mappings, pick
from ledger.reports.hourly_charts import draw_hourly_charts, percent_down
from ledger.reports.html import environment
from ledger.reports.lang import Gettext, check_lang
from ledger.reports.reading import rounded

__all__ = ["annual_matching_share", "build_matching_view", "matching_html", "matching_summary"]

DELIVERABILITY = {
    "same_province": N_("same province"),
    "same_regional_grid": N_("same regional grid"),
    "national": N_("national"),
    "": N_("not deliverable or not checked"),
}
RULE_NAMES = {
    "deliverability": N_("Deliverability"),
    "load_profiles": N_("Load profiles"),
    "validity": N_("Certificate validity"),
    "measurement_methods": N_("Measurement methods"),
    "factor_set": N_("Factor set"),
}
STATUS = {"draft": N_("draft"), "pending": N_("signed, waiting for its anchor"), "anchored": N_("anchored")}


def annual_matching_share(results: Mapping[str, Any]) -> str | None:
    """The annual evaluation's renewable share the run carries (``annual.renewable_share``); for a run
    without it, what annual matching of the same supply would claim over the same (scored) hours:
    on-site, contract and certificate energy offered ÷ load, at most 1, rounded down to six places;
    None without scored load. Hour by hour the score can only be lower: an hour uses its own supply."""
    carried = get(results, "annual", {}).get("renewable_share")
    if carried is not None:
        return str(carried)
    totals = get(results, "totals", {})
    try:
        load = Fraction(str(totals["load_mwh"]))
        supply = sum((Fraction(str(totals.get(k) or "0")) for k in
                      ("onsite_mwh", "contract_mwh", "certificates_offered_mwh")), Fraction(0))  # fmt: skip
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None
    if load <= 0:
        return None
    ratio = min(supply / load, Fraction(1))
    return rounded(ratio, 6, ROUND_FLOOR)


def _hours_between(start: Any, end: Any) -> int | None:
    try:
        return int((datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))).total_seconds()) // 3600
    except (TypeError, ValueError):
        return None


def _local(moment: Any) -> str:
    """An ISO time of the run (local, with its offset) as the page writes it: "2025-03-10 05:00"."""
    text = str(moment or "—")
    return text[:16].replace("T", " ") if len(text) >= 16 and text[10] == "T" else text


GAP_ROWS = 50
"""Gap runs listed on the page; a year of scattered gaps is summarised beyond them."""


def _gaps(results: Mapping[str, Any]) -> dict[str, Any]:
    """The run's gaps with adjacent ones of the same source joined (a source's gap may be listed hour
    by hour), the first :data:`GAP_ROWS` of them as rows, and how many more there are."""
    joined: list[dict[str, Any]] = []
    listed = [pick(g, "source_id", "start", "end") for g in mappings(get(results, "gaps"))]
    for gap in sorted(listed, key=lambda g: (str(g["source_id"]), str(g["start"]))):
        last = joined[-1] if joined else None
        if last and last["source_id"] == gap["source_id"] and _same_time(last["end"], gap["start"]):
            last["end"] = gap["end"]
        else:
            joined.append(dict(gap))
    rows = [g | {"hours": _hours_between(g["start"], g["end"]), "start_local": _local(g["start"]),
                 "end_local": _local(g["end"])} for g in joined[:GAP_ROWS]]  # fmt: skip
    return {"rows": rows, "more": max(len(joined) - GAP_ROWS, 0)}


def _same_time(a: Any, b: Any) -> bool:
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return False


def _tiers(document: Mapping[str, Any]) -> dict[str, str]:
    """Profile batch label → its tier, from the run's inputs (a claim names the batch it was spread by)."""
    profiles = mappings(get(get(document, "inputs", {}), "profiles"))
    return {str(p.get("batch")): str(p.get("tier")) for p in profiles if p.get("batch")}


def _claims(document: Mapping[str, Any], _: Gettext) -> list[dict[str, Any]]:
    tiers = _tiers(document)
    out = []
    for c in mappings(get(get(document, "results", {}), "claims")):
        sources = [s.strip() for s in re.split(r"[,;]", str(c.get("profile") or "")) if s.strip()]  # months: ";"
        profile_tiers = sorted({tiers.get(s.removeprefix("profile:"), "") for s in sources} - {""})
        out.append({
            "claim_id": c.get("claim_id"), "usable": bool(c.get("usable")),
            "reasons": [_(str(r)) for r in as_list(c.get("reasons"))],
            "offered_mwh": c.get("offered_mwh"), "matched_mwh": c.get("matched_mwh"),
            "excess_mwh": c.get("excess_mwh"), "unscored_mwh": c.get("unscored_mwh"),
            "deliverability": _(DELIVERABILITY.get(str(c.get("deliverability") or ""), str(c.get("deliverability")))),
            "sources": sources, "tiers": profile_tiers,
        })  # fmt: skip
    return out


RULE_DIRS = tuple(Path(__file__).resolve().parents[1] / d for d in ("hourly/rules", "accounting/rules", "claims/rules"))
"""Where the bundled rule files are: a run names each as ``id@version`` (the file's ``[set]``)."""


@functools.cache
def rule_confirmed(label: str) -> bool | None:
    """Whether the bundled rule file ``id@version`` says it is confirmed (its ``[set] confirmed``);
    None when no bundled file has that id and version (the page then says nothing of it)."""
    rule_id, _at, version = str(label).partition("@")
    for folder in RULE_DIRS:
        path = folder / f"{rule_id}.toml"
        if rule_id and path.is_file():
            head = tomllib.loads(path.read_text(encoding="utf-8")).get("set", {})
            if str(head.get("id")) == rule_id and str(head.get("version")) == version:
                return bool(head.get("confirmed"))
    return None


def _rules(document: Mapping[str, Any], _: Gettext) -> list[dict[str, Any]]:
    """Each rule file as ``id@version`` and whether its content is confirmed (as the run says, else
    as the bundled file of that id and version says)."""
    out = []
    for key, value in (get(document, "rules", {}) or {}).items():
        if isinstance(value, Mapping):
            label = value.get("label") or (f"{value.get('id')}@{value.get('version')}" if value.get("id") else None)
            confirmed = value.get("confirmed")
        else:
            label, confirmed = value, rule_confirmed(str(value))
        out.append({"name": _(RULE_NAMES.get(key, key)), "label": label, "confirmed": confirmed})
    return out


_MONTH = ("load_mwh", "matched_mwh", "excess_mwh", "cfe", "deficit_hours", "unscored_hours")
_PROFILE = ("registry", "project_id", "period", "tier", "attestor", "batch")


def _months(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    months = get(results, "months", {}) or {}
    return [{"period": p, **pick(months[p], *_MONTH), "cfe_percent": percent_down(get(months[p], "cfe"))}
            for p in sorted(months)]  # fmt: skip


def _profiles(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The generation profiles the run read: objects as the run lists them, or bare batch labels."""
    listed = as_list(get(get(document, "inputs", {}), "profiles"))
    return [pick(p, *_PROFILE) if isinstance(p, Mapping) else pick({"batch": str(p)}, *_PROFILE) for p in listed]


def build_matching_view(document: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    """Everything the run's page shows, by section; labels that come from the run (reasons,
    deliverability, rule names) already translated by ``_``."""
    results = get(document, "results", {})
    cfe = get(get(results, "cfe", {}), "year")
    annual = annual_matching_share(results)
    gaps = _gaps(results)
    anchor = get(document, "anchor")
    status = str(document.get("status") or "draft")
    allocations = get(document, "allocations", {})
    claims = _claims(document, _)
    return {
        "run_id": document.get("id"), "factory_id": document.get("factory_id"), "year": document.get("year"),
        "status": status, "status_text": _(STATUS.get(status, status)), "anchored": status == "anchored",
        "anchor": anchor if isinstance(anchor, Mapping) else None, "evaluator": document.get("evaluator"),
        "report_hash": document.get("report_hash"), "format": document.get("format"),
        "created_at": document.get("created_at"), "stale": document.get("stale"),
        "cfe": cfe, "cfe_percent": percent_down(cfe), "annual": annual, "annual_percent": percent_down(annual),
        "annual_from_evaluation": get(get(results, "annual", {}), "renewable_share") is not None,
        "hours": get(results, "hours", {}), "totals": get(results, "totals", {}),
        "load_share": {k: percent_down(v) for k, v in (get(results, "load_share", {}) or {}).items()},
        "scope2": get(results, "scope2", {}), "months": _months(results), "gaps": gaps,
        "claims": claims, "first_usable": next((c for c in claims if c["usable"]), None), "rules": _rules(document, _),
        "parameters": get(document, "parameters", {}) or {},
        "inputs": {"batches": [str(b) for b in as_list(get(get(document, "inputs", {}), "batches"))],
                   "profiles": _profiles(document),
                   "claims": mappings(get(get(document, "inputs", {}), "claims"))},
        "allocations": {"root": get(allocations, "root"), "count": get(allocations, "count"),
                        "leaf_type": get(allocations, "leaf_type")},
    }  # fmt: skip


def matching_html(document: Mapping[str, Any], lang: str = "en", *, page_footer: Markup | None = None) -> str:
    """The run as one self-contained page (inline CSS and SVG) in ``lang``. With ``page_footer`` (a
    CSS ``content`` value) it is the layout WeasyPrint prints: A4, that footer on every page, no
    download link."""
    if not isinstance(document, Mapping):
        raise TypeError("document: must be a mapping (the run document as a dict)")
    speaking = context(check_lang(lang))
    _ = speaking["t"].gettext
    view = build_matching_view(document, _)
    subtitle = str(document.get("factory_name") or document.get("factory_id") or "")
    heatmap, monthly = draw_hourly_charts(get(document, "results", {}), _, annual_share=view["annual"],
                                          subtitle=subtitle)  # fmt: skip
    return (
        environment()
        .get_template("matching.html")
        .render(
            **speaking,
            v=view,
            heatmap=heatmap,
            monthly=monthly,
            pdf=page_footer is not None,
            page_footer=page_footer,
            subtitle=subtitle,
        )
    )


_SUMMARIES: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_SUMMARIES_LOCK = Lock()
SUMMARY_CACHE = 32


def matching_summary(document: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A run in brief, for the factory's page: its id and year, the year's CFE score (rounded down)
    beside annual matching of the same supply, the hour counts, and both charts, in ``lang``.

    A run's document never changes once hashed, so the drawing (a third of a second) is kept per run
    hash and language: the factory page is read far more often than a run is made."""
    key = (f"{document.get('id')}:{document.get('report_hash')}", check_lang(lang))
    stale = {"stale": document.get("stale")}  # changes with the chain: never kept
    with _SUMMARIES_LOCK:
        if key in _SUMMARIES:
            _SUMMARIES.move_to_end(key)
            return _SUMMARIES[key] | stale
    _ = context(lang)["t"].gettext
    view = build_matching_view(document, _)
    heatmap, monthly = draw_hourly_charts(get(document, "results", {}), _, annual_share=view["annual"])
    keys = ("run_id", "year", "cfe", "cfe_percent", "annual", "annual_percent", "hours", "status", "report_hash")
    summary = {key: view[key] for key in keys} | {"heatmap": heatmap, "monthly": monthly}
    with _SUMMARIES_LOCK:
        _SUMMARIES[key] = summary
        while len(_SUMMARIES) > SUMMARY_CACHE:
            _SUMMARIES.popitem(last=False)
    return summary | stale

"""Figures rounded for reading, and every failed indicator's shortfall said plainly.

The report's figures are exact decimal strings (six places); a reader wants "16,676.0 MWh" and
"12,345.68 tCO₂e", and, when a level is missed, by how much: "renewable share 99.99 %: 0.045 MWh
short of 100 %". Both are made here from the report's own figures, exactly (Fractions), for the
HTML page's headline and for the PDF; the exact strings stay in the report and in the PDF's appendix.

Figures are rounded half-even; shares are rounded down (their thresholds are minimums), so that a
share of 99.9997 % that needs 100 % reads "99.99 %", not "100.00 %", wherever it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ledger.reports.fields import as_list, get
from ledger.reports.lang import N_, Gettext

__all__ = ["METRIC_NAMES", "indicator", "next_level_gaps", "places_for", "renewable_share", "rounded", "with_unit"]

METRIC_NAMES = {
    "renewable_share": N_("renewable share"),
    "neutralisation_share": N_("neutralisation share"),
    "removal_share": N_("removal share"),
    "missing_months": N_("missing months"),
    "double_counting_findings": N_("double-counting findings"),
    "incomplete_sources": N_("incomplete source-months"),
    "scope3_categories_without_data": N_("Scope 3 categories without data"),
}
"""Each indicator's name for a reader; the metric id stays the machine's name."""

_BOUND = re.compile(r"([≥≤])\s*(-?\d+(?:\.\d+)?)\s*(%?)")
_SHORTFALL_MAX_PLACES = 6  # the report's own precision: a shortfall below it reads "less than 0.000001"


def _exact(value: Any) -> Fraction | None:
    """A report figure as an exact Fraction; None for anything that is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Fraction):
        return value
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return Fraction(d) if d.is_finite() else None


def places_for(unit: str, value: Fraction) -> int:
    """Places a figure is read to: tCO₂e and tce to 2, MWh to 3 below 100 MWh and to 1 above."""
    if unit == "MWh":
        return 3 if abs(value) < 100 else 1
    return 2


def rounded(value: Any, places: int, rounding: str = ROUND_HALF_EVEN) -> str:
    """``value`` rounded to ``places`` with thousands grouped ("12,345.68"); "—" when not a number."""
    exact = _exact(value)
    if exact is None:
        return "—" if value is None else str(value)
    return f"{_quantize(exact, places, rounding):,}"


def _quantize(value: Fraction, places: int, rounding: str) -> Decimal:
    """Rounding of an exact Fraction (no float, no context precision) to ``places``."""
    scaled = value * 10**places
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rest == 0:
        q = floor
    elif rounding == ROUND_FLOOR:
        q = floor
    elif rounding == ROUND_CEILING:
        q = floor + 1
    else:  # half-even
        q = floor + 1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1) else floor
    return Decimal(q).scaleb(-places)


def with_unit(value: Any, unit: str) -> str:
    """A figure read to its unit's places, with the unit ("16,676.0 MWh"); "—" when not a number."""
    exact = _exact(value)
    if exact is None:
        return rounded(value, 0)
    return f"{rounded(exact, places_for(unit, exact))} {unit}"


def _shortfall_text(amount: Fraction, unit: str) -> str:
    """A shortfall to its unit's places, or as many more (up to the report's 6) as it takes not to
    read as 0; rounded up, so that it never understates what is missing."""
    start = places_for(unit, amount)
    places = next((p for p in range(start, _SHORTFALL_MAX_PLACES) if amount * 10**p >= 1), _SHORTFALL_MAX_PLACES)
    return rounded(amount, places, ROUND_CEILING)


def _bounds(threshold: Any) -> list[tuple[str, Fraction, bool]]:
    """``"≥ 80 %"``, ``"≤ 0"``, ``"≥ 1 and ≤ 2"`` as (sign, bound, is_percent), exact."""
    return [(m[1], Fraction(Decimal(m[2])) / (100 if m[3] else 1), m[3] == "%")
            for m in _BOUND.finditer(str(threshold or ""))]  # fmt: skip


def _ratio_parts(metric: str, report: Mapping[str, Any]) -> tuple[Fraction | None, Fraction | None, str]:
    """A share's numerator and denominator from the report's figures, and their unit."""
    e, totals = get(report, "electricity", {}), get(report, "totals", {})
    remaining = _exact(get(get(report, "evaluation", {}), "remaining_emissions"))
    offsets, removals = _exact(get(totals, "offsets")), _exact(get(totals, "removals"))
    if metric == "renewable_share":
        return _exact(get(e, "renewable_mwh")), _exact(get(e, "total_mwh")), "MWh"
    if metric == "neutralisation_share":
        both = None if offsets is None or removals is None else offsets + removals
        return both, remaining, "tCO₂e"
    return removals, remaining, "tCO₂e"


def indicator(outcome: Mapping[str, Any], report: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    """One gate or level rule for a reader: its name, value rounded, threshold, pass/fail, and for a
    failure the shortfall in the figure's own unit, computed exactly from the report's figures."""
    metric = str(get(outcome, "metric") or "")
    name = _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else metric
    passed = get(outcome, "passed") is True
    bounds = _bounds(get(outcome, "threshold"))
    threshold = " ".join(f"{sign} {rounded(b * 100 if pct else b, 0 if (b * 100 if pct else b).denominator == 1 else 2)}"
                         f"{' %' if pct else ''}" for sign, b, pct in bounds)  # fmt: skip
    result = {"metric": metric, "name": name, "passed": passed, "confirmed": get(outcome, "confirmed"),
              "threshold": threshold or str(get(outcome, "threshold") or ""),
              "exact_value": get(outcome, "value"), "shortfall": None}  # fmt: skip
    if any(pct for _s, _b, pct in bounds):
        num, den, unit = _ratio_parts(metric, report)
        share = None if num is None or not den else num / den
        result["value"] = _share_text(share, passed, bounds)
        if not passed:
            result["shortfall"] = _ratio_shortfall(name, result["value"], num, den, unit, bounds, _)
    else:
        count = _exact(get(outcome, "value"))
        result["value"] = rounded(count, 0) if count is not None else str(get(outcome, "value") or "—")
        if not passed:
            result["shortfall"] = _count_shortfall(name, result["value"], count, bounds, _)
    return result


def _share_text(share: Fraction | None, passed: bool, bounds: list[tuple[str, Fraction, bool]]) -> str:
    if share is None:
        return "—"
    # down, as the headline does (thresholds on shares are minimums), unless it misses a maximum
    over = not passed and any(sign == "≤" and share > b for sign, b, _p in bounds)
    return f"{rounded(share * 100, 2, ROUND_CEILING if over else ROUND_FLOOR)} %"


def _ratio_shortfall(name: str, value: str, num: Fraction | None, den: Fraction | None, unit: str,
                     bounds: list[tuple[str, Fraction, bool]], _: Gettext) -> str:  # fmt: skip
    if num is None or not den:
        return _("%(indicator)s: undefined (nothing to divide by, or an unknown figure), so it cannot be met",
                 indicator=name)  # fmt: skip
    for sign, bound, _pct in bounds:
        target = rounded(bound * 100, 0 if (bound * 100).denominator == 1 else 2) + " %"
        gap = bound * den - num if sign == "≥" else num - bound * den
        if gap > 0:
            amount = f"{_shortfall_text(gap, unit)} {unit}"
            if sign == "≥":
                return _("%(indicator)s %(value)s: %(amount)s short of %(target)s", indicator=name, value=value,
                         amount=amount, target=target)  # fmt: skip
            return _("%(indicator)s %(value)s: %(amount)s over %(target)s", indicator=name, value=value,
                     amount=amount, target=target)  # fmt: skip
    return _("%(indicator)s %(value)s: misses its threshold by less than the report's rounding", indicator=name,
             value=value)  # fmt: skip


def _count_shortfall(name: str, value: str, count: Fraction | None,
                     bounds: list[tuple[str, Fraction, bool]], _: Gettext) -> str:  # fmt: skip
    if count is None:
        return _("%(indicator)s: not checked, so it cannot be met", indicator=name)
    for sign, bound, _pct in bounds:
        if sign == "≤" and count > bound:
            return _("%(indicator)s %(value)s: %(excess)s more than the %(allowed)s allowed", indicator=name,
                     value=value, excess=rounded(count - bound, 0), allowed=rounded(bound, 0))  # fmt: skip
        if sign == "≥" and count < bound:
            return _("%(indicator)s %(value)s: %(missing)s fewer than the %(needed)s needed", indicator=name,
                     value=value, missing=rounded(bound - count, 0), needed=rounded(bound, 0))  # fmt: skip
    return _("%(indicator)s %(value)s: fails", indicator=name, value=value)


def renewable_share(report: Mapping[str, Any]) -> str:
    """The renewable share for a headline, from the report's MWh, rounded down to 2 places: a share
    just short of a threshold (every threshold is a minimum) never reads as reaching it."""
    e = get(report, "electricity", {})
    renewable, total = _exact(get(e, "renewable_mwh")), _exact(get(e, "total_mwh"))
    if renewable is None or not total:
        return str(get(e, "renewable_share") or "—")
    return f"{rounded(renewable / total * 100, 2, ROUND_FLOOR)} %"


def next_level_gaps(report: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    """What stands between the report and the next level up (the lowest level when none is awarded):
    each failed gate's and that level's failed rules' shortfall, plainly."""
    ev = get(report, "evaluation", {})
    levels = [lv for lv in as_list(get(ev, "levels")) if isinstance(lv, Mapping)]
    names = [get(lv, "level") for lv in levels]
    awarded = get(ev, "level")
    at = names.index(awarded) if awarded in names else len(levels)
    target = levels[at - 1] if at > 0 else None  # levels are listed from the highest down
    failed = [o for o in as_list(get(ev, "gates")) if get(o, "passed") is not True]
    if target is not None:
        failed += [o for o in as_list(get(target, "rules")) if get(o, "passed") is not True]
    return {
        "level": get(target, "level") if target is not None else None,
        "gaps": [indicator(o, report, _)["shortfall"] for o in failed],
    }

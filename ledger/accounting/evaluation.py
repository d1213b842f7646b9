"""Zero-carbon levels and the park indicator, from a rule file, each outcome explained by its figures.

The rules are data (``rules/*.toml``); this module only knows how to compute the metrics they name:

- ``renewable_share``: renewable electricity (on-site + green power + valid certificates, capped at
  grid use) ÷ electricity consumed (grid + on-site);
- ``neutralisation_share``: (offsets + removals) ÷ remaining emissions;
- ``removal_share``: removals ÷ remaining emissions;
- ``missing_months``, ``double_counting_findings``: counts.

Remaining emissions are Scope 1 + Scope 2 market-based for Type I, plus Scope 3 for Type II. A
level is awarded only when all its rules and every gate pass; the highest such level is the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ledger.accounting.inventory import Inventory
from ledger.numbers import ZERO, exact, percent, ratio, shown
from ledger.rulefiles import read_rule_file

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_RULES = "t-ceca-g-0171-2022"
RATIO_METRICS = ("renewable_share", "neutralisation_share", "removal_share")


class RuleFileError(ValueError):
    """A rule file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    metric: str
    minimum: Fraction | None
    maximum: Fraction | None
    confirmed: bool
    source: str


@dataclass(frozen=True)
class Level:
    report_type: str
    level: str
    confirmed: bool
    source: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    name: str
    gates: tuple[Rule, ...]
    levels: tuple[Level, ...]
    park: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"


def load_rules(id_or_path: str | Path = DEFAULT_RULES) -> RuleSet:
    path, data = read_rule_file(id_or_path, RULES_DIR, RuleFileError, "rule file")

    def rule(entry: Mapping[str, Any], where: str, default_confirmed: bool, default_source: str) -> Rule:
        metric = entry.get("metric")
        if metric not in (*RATIO_METRICS, "missing_months", "double_counting_findings"):
            raise RuleFileError(f"{path}: {where}: unknown metric {metric!r}")
        bounds = {}
        for key in ("min", "max"):
            if key in entry:
                if not isinstance(entry[key], str):
                    raise RuleFileError(f'{path}: {where}.{key}: write thresholds as strings, e.g. "0.8"')
                bounds[key] = exact(Decimal(entry[key]))
        return Rule(metric, bounds.get("min"), bounds.get("max"), entry.get("confirmed", default_confirmed),
                    entry.get("source", default_source))  # fmt: skip

    try:
        meta = data["rule_set"]
        levels = tuple(
            Level(
                lv["type"], lv["level"], lv["confirmed"], lv["source"],
                tuple(rule(r, f"level {lv['type']} {lv['level']}", lv["confirmed"], lv["source"]) for r in lv["rules"]),
            )
            for lv in data.get("level", [])
        )  # fmt: skip
        gates = tuple(rule(g, "gate", True, "") for g in data.get("gate", []))
        return RuleSet(meta["id"], str(meta["version"]), meta.get("name", ""),
                       gates, levels, data.get("park", {}))  # fmt: skip
    except KeyError as exc:
        raise RuleFileError(f"{path}: missing {exc.args[0]!r}") from None


@dataclass(frozen=True)
class Outcome:
    metric: str
    passed: bool
    value: str
    threshold: str
    confirmed: bool
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def metrics(inv: Inventory, report_type: str, missing_months: int, findings: int) -> dict[str, Any]:
    """Each metric with the figures behind it (numerator, denominator, how)."""
    remaining = inv.scope1 + inv.scope2_market + (inv.scope3 if report_type == "II" else ZERO)
    scope = "Scope 1 + Scope 2 (market-based)" + (" + Scope 3" if report_type == "II" else "")
    e = inv.electricity
    neutral = inv.offsets + inv.removals
    return {
        "remaining_emissions": remaining,
        "renewable_share": (
            inv.renewable_share,
            f"renewable {shown(e['renewable_mwh'])} MWh (on-site {shown(e['onsite_mwh'])} + green power and valid "
            f"certificates {shown(e['covered_mwh'])}) ÷ consumed {shown(e['total_mwh'])} MWh (grid "
            f"{shown(e['grid_mwh'])} + on-site {shown(e['onsite_mwh'])})",
        ),
        "neutralisation_share": (
            Fraction(1) if remaining == 0 else ratio(neutral, remaining),
            f"offsets {shown(inv.offsets)} + removals {shown(inv.removals)} = {shown(neutral)} tCO2e ÷ remaining "
            f"{shown(remaining)} tCO2e ({scope})",
        ),
        "removal_share": (
            Fraction(1) if remaining == 0 else ratio(inv.removals, remaining),
            f"removals {shown(inv.removals)} tCO2e ÷ remaining {shown(remaining)} tCO2e ({scope})",
        ),
        "missing_months": (Fraction(missing_months), f"{missing_months} month(s) without an anchored batch"),
        "double_counting_findings": (Fraction(findings), f"{findings} double-counting finding(s)"),
    }


def _outcome(r: Rule, values: Mapping[str, Any]) -> Outcome:
    value, how = values[r.metric]
    is_ratio = r.metric in RATIO_METRICS
    fmt = percent if is_ratio else (lambda v: shown(v))  # noqa: E731
    passed = (
        value is not None and (r.minimum is None or value >= r.minimum) and (r.maximum is None or value <= r.maximum)
    )
    threshold = " and ".join(
        x for x in (f"≥ {fmt(r.minimum)}" if r.minimum is not None else "",
                    f"≤ {fmt(r.maximum)}" if r.maximum is not None else "") if x
    )  # fmt: skip
    shown_value = "undefined (nothing to divide by)" if value is None else fmt(value)
    return Outcome(r.metric, passed, shown_value, threshold, r.confirmed,
                   f"{r.metric} = {shown_value}: {how}; needs {threshold} → {'pass' if passed else 'fail'}")  # fmt: skip


def evaluate(inv: Inventory, rules: RuleSet, report_type: str, missing_months: int, findings: int) -> dict[str, Any]:
    if report_type not in ("I", "II"):
        raise ValueError(f"type: must be I or II, got {report_type!r}")
    values = metrics(inv, report_type, missing_months, findings)
    gates = [_outcome(g, values) for g in rules.gates]
    levels = []
    awarded = None
    for level in (lv for lv in rules.levels if lv.report_type == report_type):
        outcomes = [_outcome(r, values) for r in level.rules]
        passed = all(o.passed for o in outcomes) and all(g.passed for g in gates)
        levels.append({"level": level.level, "confirmed": level.confirmed, "source": level.source,
                       "passed": passed, "rules": [o.to_json() for o in outcomes]})  # fmt: skip
        if passed and awarded is None:
            awarded = level
    return {
        "type": report_type,
        "rule_set": rules.label,
        "level": awarded.level if awarded else "none",
        "level_confirmed": awarded.confirmed if awarded else None,
        "remaining_emissions": shown(values["remaining_emissions"]),
        "gates": [g.to_json() for g in gates],
        "levels": levels,
    }


def evaluate_park(
    members: Sequence[Inventory], rules: RuleSet, missing_months: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The park's tCO2 per tce against the band its annual energy use falls in.

    ``missing_months`` (member → the months it has no usable data for) makes the verdict
    ``incomplete``, never a pass: a missing month is not a month of zero emissions, and the
    figure over the months there are is shown for what it is."""
    missing = {member: list(months) for member, months in (missing_months or {}).items() if months}
    park = rules.park
    numerator_terms = [t.strip() for t in str(park.get("numerator", "scope1 + scope2_location")).split("+")]
    emissions = sum((sum((getattr(inv, t) for t in numerator_terms), ZERO) for inv in members), ZERO)
    energy = sum((inv.energy_tce for inv in members), ZERO)
    band = next(
        (b for b in park.get("bands", [])
         if energy >= exact(b["min_tce"]) and ("max_tce" not in b or energy < exact(b["max_tce"]))),
        None,
    )  # fmt: skip
    intensity = ratio(emissions, energy)
    if band is None:
        passed, threshold = False, "no band: the park's annual energy use is below every band's minimum"
    else:
        limit = exact(band["max_intensity"])
        passed = intensity is not None and intensity <= limit
        threshold = f"≤ {band['max_intensity']} tCO2/tce for {band['min_tce']}" + (
            f"-{band['max_tce']} tce" if "max_tce" in band else "+ tce"
        )
    verdict = "incomplete" if missing else ("pass" if passed else "fail")
    passed = passed and not missing
    gaps = "; ".join(f"{member} lacks {', '.join(months)}" for member, months in sorted(missing.items()))
    return {
        "members": [inv.factory_id for inv in members],
        "source": park.get("source", ""),
        "numerator": " + ".join(numerator_terms),
        "numerator_confirmed": park.get("numerator_confirmed", False),
        "emissions_tco2": shown(emissions),
        "energy_tce": shown(energy),
        "intensity": "undefined" if intensity is None else shown(intensity),
        "threshold": threshold,
        "passed": passed,
        "verdict": verdict,
        "missing_months": missing,
        "explanation": f"{shown(emissions)} tCO2 ({' + '.join(numerator_terms)}) ÷ {shown(energy)} tce = "
        f"{'undefined' if intensity is None else shown(intensity)} tCO2/tce; {threshold} → {verdict}"
        + (f" (months without usable data: {gaps})" if missing else ""),
    }

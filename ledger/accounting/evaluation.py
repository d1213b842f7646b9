"""Zero-carbon levels and the park indicator, from a rule file, each outcome explained by its figures.

The rules are data (``rules/*.toml``); this module only knows how to compute the metrics they name:

- ``renewable_share``: renewable electricity (on-site + green power + valid certificates, capped at
  grid use) ÷ electricity consumed (grid + on-site);
- ``neutralisation_share``: (offsets + removals) ÷ remaining emissions;
- ``removal_share``: removals ÷ remaining emissions;
- ``missing_months``, ``double_counting_findings``, ``incomplete_sources`` (source-months not
  covered, :mod:`ledger.accounting.completeness`), ``scope3_categories_without_data`` (Type II,
  :mod:`ledger.accounting.scope3`): counts.

Remaining emissions are Scope 1 + Scope 2 market-based for Type I, plus Scope 3 for Type II (unknown,
never zero, while a Scope 3 category has neither data nor a reasoned exclusion). A level is awarded
only when all its rules and every gate of its type pass; the highest such level is the result. It is
``level_confirmed`` only when its thresholds are the standard's (not a placeholder) and no material
factor is unconfirmed (:mod:`ledger.accounting.materiality`); ``level_status`` and
``level_unconfirmed_because`` say which applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ledger.accounting.inventory import Inventory
from ledger.accounting.materiality import unconfirmed_factors
from ledger.accounting.scope3 import Exclusion, Scope3Category, scope3_coverage
from ledger.factors import FactorSet
from ledger.numbers import ZERO, exact, percent, ratio, shown
from ledger.rulefiles import read_rule_file

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_RULES = "t-ceca-g-0171-2022"
RATIO_METRICS = ("renewable_share", "neutralisation_share", "removal_share")
COUNT_METRICS = ("missing_months", "double_counting_findings", "incomplete_sources", "scope3_categories_without_data")


class RuleFileError(ValueError):
    """A rule file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    metric: str
    minimum: Fraction | None
    maximum: Fraction | None
    confirmed: bool
    source: str
    report_type: str | None = None  # a gate of one type only (None: every type)


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
    scope3_categories: tuple[Scope3Category, ...] = ()
    materiality: Mapping[str, Any] = field(default_factory=dict)

    @property
    def material_share(self) -> Fraction:
        return exact(str(self.materiality.get("share", "0")))

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"


def load_rules(id_or_path: str | Path = DEFAULT_RULES) -> RuleSet:
    path, data = read_rule_file(id_or_path, RULES_DIR, RuleFileError, "rule file")

    def rule(entry: Mapping[str, Any], where: str, default_confirmed: bool, default_source: str) -> Rule:
        metric = entry.get("metric")
        if metric not in (*RATIO_METRICS, *COUNT_METRICS):
            raise RuleFileError(f"{path}: {where}: unknown metric {metric!r}")
        bounds = {}
        for key in ("min", "max"):
            if key in entry:
                if not isinstance(entry[key], str):
                    raise RuleFileError(f'{path}: {where}.{key}: write thresholds as strings, e.g. "0.8"')
                bounds[key] = exact(Decimal(entry[key]))
        return Rule(metric, bounds.get("min"), bounds.get("max"), entry.get("confirmed", default_confirmed),
                    entry.get("source", default_source), entry.get("type"))  # fmt: skip

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
        scope3 = tuple(
            Scope3Category(c["id"], c.get("name", c["id"]), tuple(c["kinds"]), c["source"], c.get("confirmed", False))
            for c in data.get("scope3_category", [])
        )
        return RuleSet(meta["id"], str(meta["version"]), meta.get("name", ""),
                       gates, levels, data.get("park", {}),
                       scope3, data.get("materiality", {}))  # fmt: skip
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


def metrics(
    inv: Inventory, report_type: str, missing_months: int, findings: int,
    incomplete_sources: int | None = None, scope3_missing: Sequence[str] = (),
) -> dict[str, Any]:  # fmt: skip
    """Each metric with the figures behind it (numerator, denominator, how). ``remaining_emissions``
    is None while Scope 3 counts and a category of it has no data: unknown, not zero."""
    scope3_unknown = report_type == "II" and bool(scope3_missing)
    known = inv.scope1 + inv.scope2_market + (inv.scope3 if report_type == "II" else ZERO)
    remaining = None if scope3_unknown else known
    scope = "Scope 1 + Scope 2 (market-based)" + (" + Scope 3" if report_type == "II" else "")
    shown_remaining = (
        f"unknown ({shown(known)} tCO2e known; Scope 3 has no data for {', '.join(scope3_missing)})"
        if remaining is None else f"{shown(remaining)} tCO2e"
    )  # fmt: skip
    e = inv.electricity
    neutral = inv.offsets + inv.removals

    def share(part: Fraction) -> Fraction | None:
        return None if remaining is None else Fraction(1) if remaining == 0 else ratio(part, remaining)

    return {
        "remaining_emissions": remaining,
        "renewable_share": (
            inv.renewable_share,
            f"renewable {shown(e['renewable_mwh'])} MWh (on-site {shown(e['onsite_mwh'])} + green power and valid "
            f"certificates {shown(e['covered_mwh'])}) ÷ consumed {shown(e['total_mwh'])} MWh (grid "
            f"{shown(e['grid_mwh'])} + on-site {shown(e['onsite_mwh'])})",
        ),
        "neutralisation_share": (
            share(neutral),
            f"offsets {shown(inv.offsets)} + removals {shown(inv.removals)} = {shown(neutral)} tCO2e ÷ remaining "
            f"{shown_remaining} ({scope})",
        ),
        "removal_share": (
            share(inv.removals),
            f"removals {shown(inv.removals)} tCO2e ÷ remaining {shown_remaining} ({scope})",
        ),
        "missing_months": (Fraction(missing_months), f"{missing_months} month(s) without an anchored batch"),
        "double_counting_findings": (Fraction(findings), f"{findings} double-counting finding(s)"),
        "incomplete_sources": (
            None if incomplete_sources is None else Fraction(incomplete_sources),
            "not checked (no records given)"
            if incomplete_sources is None
            else f"{incomplete_sources} source-month(s) with no records, gaps or overlaps in the months held",
        ),  # fmt: skip
        "scope3_categories_without_data": (
            Fraction(len(scope3_missing)),
            f"{len(scope3_missing)} Scope 3 categories with neither activity data nor a reasoned exclusion"
            + (f" ({', '.join(scope3_missing)})" if scope3_missing else ""),
        ),
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
    shown_value = "undefined (nothing to divide by, or an unknown figure)" if value is None else fmt(value)
    return Outcome(r.metric, passed, shown_value, threshold, r.confirmed,
                   f"{r.metric} = {shown_value}: {how}; needs {threshold} → {'pass' if passed else 'fail'}")  # fmt: skip


def evaluate(
    inv: Inventory,
    rules: RuleSet,
    report_type: str,
    missing_months: int,
    findings: int,
    *,
    incomplete_sources: int | None = None,
    scope3_exclusions: Sequence[Exclusion] = (),
    factors: FactorSet | None = None,
) -> dict[str, Any]:
    """The outcome of every gate and level. ``incomplete_sources`` (from :func:`source_gaps`) and
    ``factors`` (the set ``inv`` was computed with) left out are *not checked*: the gate fails and the
    level is not confirmed, rather than either being assumed."""
    if report_type not in ("I", "II"):
        raise ValueError(f"type: must be I or II, got {report_type!r}")
    coverage = scope3_coverage(inv, rules.scope3_categories, scope3_exclusions) if report_type == "II" else None
    values = metrics(inv, report_type, missing_months, findings, incomplete_sources,
                     coverage.without_data if coverage else ())  # fmt: skip
    gates = [_outcome(g, values) for g in rules.gates if g.report_type in (None, report_type)]
    levels = []
    awarded = None
    for level in (lv for lv in rules.levels if lv.report_type == report_type):
        outcomes = [_outcome(r, values) for r in level.rules]
        passed = all(o.passed for o in outcomes) and all(g.passed for g in gates)
        levels.append({"level": level.level, "confirmed": level.confirmed, "source": level.source,
                       "passed": passed, "rules": [o.to_json() for o in outcomes]})  # fmt: skip
        if passed and awarded is None:
            awarded = level
    remaining = values["remaining_emissions"]
    weighed = inv.scope1 + inv.scope2_market + (inv.scope3 if report_type == "II" else ZERO)
    unconfirmed = [] if factors is None else unconfirmed_factors(inv, report_type, factors, weighed,
                                                                   rules.material_share)  # fmt: skip
    because = _unconfirmed_because(awarded, factors, unconfirmed, rules)
    result = {
        "type": report_type,
        "rule_set": rules.label,
        "level": awarded.level if awarded else "none",
        "level_confirmed": (not because) if awarded else None,
        "remaining_emissions": "unknown" if remaining is None else shown(remaining),
        "gates": [g.to_json() for g in gates],
        "levels": levels,
        "level_status": "none" if awarded is None else "confirmed" if not because else
                        "placeholder" if not awarded.confirmed else "unconfirmed factors",
        "level_unconfirmed_because": because,
        "unconfirmed_factors": unconfirmed,
        "materiality": {"share": str(rules.materiality.get("share", "0")),
                        "confirmed": bool(rules.materiality.get("confirmed", False)),
                        "source": str(rules.materiality.get("source", ""))},
    }  # fmt: skip
    if coverage is not None:
        result["scope3"] = coverage.to_json()
    return result


def _unconfirmed_because(
    awarded: Level | None, factors: FactorSet | None, unconfirmed: list[dict[str, Any]], rules: RuleSet
) -> list[str]:
    """Why the awarded level is not a confirmed one (empty when it is, or when nothing is awarded)."""
    if awarded is None:
        return []
    because = []
    if not awarded.confirmed:
        because.append(f"{awarded.level} Type {awarded.report_type} is a placeholder: its thresholds are not the "
                       f"standard's published text ({awarded.source})")  # fmt: skip
    if factors is None:
        because.append("the factor set was not given: whether its factors are confirmed was not checked")
    material = [f for f in unconfirmed if f["material"]]
    if material:
        because.append(
            f"material factors marked confirmed = false in {factors.label if factors else 'the factor set'} "
            f"(each ≥ {percent(rules.material_share)} of the remaining emissions): "
            + "; ".join(f"{f['key']} = {f['value']} ({f['share']}, {f['source']})" for f in material)
        )
    return because


NOT_CONFIRMED = " (not confirmed)"


def anchored_level(evaluation: Mapping[str, Any]) -> str:
    """The level as the evaluator signs it and the chain keeps it: a level that is not confirmed (a
    placeholder's thresholds, a material unconfirmed factor) says so there too, so that nobody reading
    the chain alone takes an unconfirmed "6★" for a confirmed one. Reports made before
    ``level_confirmed`` existed carry their level as it was."""
    level = str(evaluation["level"])
    return level + NOT_CONFIRMED if evaluation.get("level_confirmed") is False else level

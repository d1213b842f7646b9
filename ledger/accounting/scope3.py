"""Scope 3 coverage for Type II: a category with neither data nor a reasoned exclusion is "no data".

The categories and the record kinds that feed each are the rule file's (``[[scope3_category]]``). A
category is *covered* when the year has at least one record of one of its kinds (a metered zero is
data), *excluded* when the evaluation names it with a reason, and otherwise *no data*: its emissions
are unknown, never zero, so the Type II remaining emissions are unknown too and no Type II level can
be awarded (the ``scope3_categories_without_data`` gate says why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.accounting.inventory import Inventory
from ledger.numbers import ZERO, shown
from ledger.records.errors import RecordError

MIN_REASON = 10
"""Characters an exclusion's reason needs at least: "n/a" is not a reason a verifier can weigh."""


@dataclass(frozen=True)
class Scope3Category:
    id: str
    name: str
    kinds: tuple[str, ...]
    source: str
    confirmed: bool


@dataclass(frozen=True)
class Exclusion:
    """A Scope 3 category left out of the boundary on purpose, with the reason (part of the report)."""

    category: str
    reason: str


def parse_exclusions(
    entries: Sequence[Mapping[str, Any]], categories: Sequence[Scope3Category], report_type: str
) -> tuple[Exclusion, ...]:
    """The request's ``scope3_exclusions``, checked: a known category, once, with a reason; Type II only."""
    known = {c.id for c in categories}
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        field = f"scope3_exclusions[{i}]"
        if report_type != "II":
            raise RecordError(field, "Scope 3 exclusions apply to Type II only")
        category, reason = entry.get("category"), entry.get("reason")
        if category not in known:
            raise RecordError(f"{field}.category", f"unknown Scope 3 category {category!r}; known: {sorted(known)}")
        if category in seen:
            raise RecordError(f"{field}.category", f"{category!r} is excluded more than once")
        if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
            raise RecordError(f"{field}.reason", f"say why {category!r} is excluded (at least {MIN_REASON} characters)")
        seen.add(category)
        out.append(Exclusion(category, reason.strip()))
    return tuple(out)


@dataclass(frozen=True)
class Scope3Coverage:
    categories: tuple[dict[str, Any], ...]

    @property
    def without_data(self) -> list[str]:
        return [c["category"] for c in self.categories if c["status"] == "no data"]

    @property
    def has_data(self) -> bool:
        return any(c["status"] == "data" for c in self.categories)

    def to_json(self) -> dict[str, Any]:
        missing = self.without_data
        return {
            "complete": not missing,
            "categories": list(self.categories),
            "explanation": (
                "every Scope 3 category has activity data or a reasoned exclusion" if not missing else
                f"no activity data and no exclusion for {', '.join(missing)}: Scope 3 is unknown (not zero), "
                "so the Type II remaining emissions are unknown and no Type II level can be awarded"
            ),
        }  # fmt: skip


def scope3_coverage(
    inv: Inventory, categories: Sequence[Scope3Category], exclusions: Sequence[Exclusion]
) -> Scope3Coverage:
    excluded = {e.category: e.reason for e in exclusions}
    rows = []
    for c in categories:
        lines = [ln for ln in inv.lines if ln.scope == "scope3" and ln.category in c.kinds]
        row: dict[str, Any] = {"category": c.id, "name": c.name, "kinds": list(c.kinds), "source": c.source}
        if lines:
            if c.id in excluded:
                raise RecordError("scope3_exclusions", f"{c.id!r} has activity data for {inv.year}: it is counted, "
                                  "not excluded (leave it out of scope3_exclusions)")  # fmt: skip
            row |= {"status": "data", "records": sum(ln.records for ln in lines),
                    "tco2e": shown(sum((ln.result for ln in lines), ZERO))}  # fmt: skip
        elif c.id in excluded:
            row |= {"status": "excluded", "reason": excluded[c.id]}
        else:
            row |= {"status": "no data"}
        rows.append(row)
    return Scope3Coverage(tuple(rows))

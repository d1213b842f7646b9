"""Deliverability: could a certificate's power have reached the factory in the hour it is matched to?

Annual matching asks only for the same market (a Chinese GEC for a Chinese factory). Hourly matching
claims more — that the power was there in that hour — so the generator must be on a grid that can
deliver to the factory. The levels (same province, same regional grid, national), the one required
by default and the province → regional grid map are data, ``rules/deliverability.toml``, each with its
source and whether it is confirmed; a run names the file's ``id@version``.

Where the generator is comes from the claim's signed ``region`` (ISO 3166-2, e.g. ``CN-JS``); where
the factory is, from its profile's ``province``. Nothing is guessed: a claim with no region meets
only the national level (and only if its country is CN), a factory with no province only national.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ledger.hourly.errors import HourlyError
from ledger.rulefiles import read_rule_file

RULES_DIR = Path(__file__).parent / "rules"
LEVELS = ("same_province", "same_regional_grid", "national")
"""Narrowest first: a level holds whenever a narrower one does."""


class DeliverabilityRuleError(ValueError):
    """A deliverability rule file that is not well formed (names the file and the entry)."""


@dataclass(frozen=True)
class Level:
    name: str
    rank: int
    meaning: str
    source: str
    confirmed: bool


@dataclass(frozen=True)
class Grid:
    key: str
    name: str
    provinces: tuple[str, ...]
    source: str
    confirmed: bool


@dataclass(frozen=True)
class DeliverabilityRule:
    id: str
    version: str
    required: str  # the level a claim must meet by default
    why: str
    levels: Mapping[str, Level]
    grids: Mapping[str, Grid]
    province_grid: Mapping[str, str]  # ISO 3166-2:CN → grid key
    confirmed: bool

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def with_required(self, level: str) -> DeliverabilityRule:
        """The same rule with another required level (a run's choice, named in the run)."""
        if level not in LEVELS:
            raise HourlyError("deliverability", f"must be one of {', '.join(LEVELS)}, got {level!r}")
        return DeliverabilityRule(self.id, self.version, level, "chosen for the run", self.levels, self.grids,
                                  self.province_grid, self.confirmed)  # fmt: skip


@cache
def load_deliverability(id_or_path: str | Path = "deliverability") -> DeliverabilityRule:
    """The rule file (bundled id or a path), checked: every level present, the required one among
    them, no province in two grids."""
    path, data = read_rule_file(id_or_path, RULES_DIR, DeliverabilityRuleError, "deliverability rule file")
    try:
        return _parse(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise DeliverabilityRuleError(f"{path}: {exc}") from None


def _parse(data: Mapping[str, Any]) -> DeliverabilityRule:
    head, required = data["set"], data["required"]
    levels = {
        name: Level(name, int(e["rank"]), str(e["meaning"]), str(e["source"]), bool(e["confirmed"]))
        for name, e in data["level"].items()
    }
    if tuple(sorted(levels, key=lambda n: levels[n].rank)) != LEVELS:
        raise ValueError(f"[level.*] must be {', '.join(LEVELS)}, ranked in that order")
    if required["level"] not in levels:
        raise ValueError(f"[required].level {required['level']!r} is not a level")
    grids: dict[str, Grid] = {}
    province_grid: dict[str, str] = {}
    for key, e in data["grid"].items():
        grids[key] = Grid(key, str(e["name"]), tuple(e["provinces"]), str(e["source"]), bool(e["confirmed"]))
        for code in grids[key].provinces:
            if code in province_grid:
                raise ValueError(f"{code} is in [grid.{province_grid[code]}] and [grid.{key}]")
            province_grid[code] = key
    return DeliverabilityRule(str(head["id"]), str(head["version"]), str(required["level"]), str(required["why"]),
                              levels, grids, province_grid, bool(head["confirmed"]))  # fmt: skip


def narrowest_level(
    rule: DeliverabilityRule, factory_province: str | None, generator_region: str, generator_country: str = ""
) -> str:
    """The narrowest level that holds between the factory and the generator, or ``""`` if none does
    (the generator off the mainland grids, or its place unknown and its country not CN)."""
    grid_of = rule.province_grid
    if generator_region:
        if generator_region not in grid_of:
            return ""
        if factory_province == generator_region:
            return "same_province"
        if factory_province is not None and grid_of.get(factory_province) == grid_of[generator_region]:
            return "same_regional_grid"
        return "national" if factory_province is None or factory_province in grid_of else ""
    if generator_country == "CN" and (factory_province is None or factory_province in grid_of):
        return "national"
    return ""


def deliverability(
    rule: DeliverabilityRule, factory_province: str | None, generator_region: str, generator_country: str = ""
) -> tuple[bool, str]:
    """Whether the claim meets the rule's required level, and the narrowest level that holds (``""``
    if none). ``generator_country`` matters only when ``generator_region`` is ``""``."""
    level = narrowest_level(rule, factory_province, generator_region, generator_country or generator_region[:2])
    ok = bool(level) and rule.levels[level].rank <= rule.levels[rule.required].rank
    return ok, level


def rule_json(rule: DeliverabilityRule) -> dict[str, Any]:
    """What a run records of the rule: its label, the required level, why, and whether confirmed."""
    return {"rule": rule.label, "required": rule.required, "why": rule.why, "confirmed": rule.confirmed,
            "level_confirmed": rule.levels[rule.required].confirmed}  # fmt: skip

"""The eligibility rule file: every entry sourced, malformed files refused naming the entry, and the
methodology codes looked up exactly (never by words)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.claims.eligibility_rules import RULES_DIR, EligibilityRuleError, load_eligibility

BUNDLED = (RULES_DIR / "eligibility-cn.toml").read_text(encoding="utf-8")


def test_the_bundled_rules_name_a_source_for_every_entry() -> None:
    rules = load_eligibility()
    assert rules.label == "eligibility-cn@1" and rules.consumer_country == "CN"
    entries = [
        *rules.registries.values(),
        *rules.cutoffs,
        *rules.methodologies,
        *(s for _, s in rules.markets.values()),
    ]
    assert entries and all(e.source for e in entries)
    assert rules.registries["GEC"].validity_months == 24 and rules.registries["GEC"].issued_in == ("CN",)
    assert rules.markets["CN"][0] == ("CN",)


@pytest.mark.parametrize(
    ("registry", "code", "kind"),
    [("VCS", "VM0047", "removal"), ("VCS", "vm0047 v1.0", "removal"), ("VCS", "VM0048", "avoidance"),
     ("VCS", "VM0007", "avoidance"), ("GS", "ACM0002", "avoidance"), ("CCER", "CCER-14-001-V01", "removal"),
     ("VCS", "VM9999", None), ("GS", "VM0047", None), ("VCS", "", None), ("VCS", "forest ARR", None)],
)  # fmt: skip
def test_methodologies_are_looked_up_by_code_for_their_registry(registry: str, code: str, kind: str | None) -> None:
    found = load_eligibility().methodology(registry, code)
    assert (found.kind if found else None) == kind


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('consumer_country = "CN"\nupdated', 'consumer_country = "China"\nupdated', "rule_set.consumer_country"),
        ('kind = "removal"\nname = "Afforestation', 'kind = "sink"\nname = "Afforestation', "methodology[0] 'VM0047'"),
        ('last_generation_month = "2024-12"', 'last_generation_month = "2024-13"', "cutoff[0]"),
        ("validity_months = 24", "validity_months = 0", "registry.GEC.validity_months"),
        ('[registry.GEC]\nunit = "MWh"', '[registry.GEC]\nunit = "kWh"', "registry.GEC"),
        ("confirmed = true\n\n[registry.I-REC]", "\n[registry.I-REC]", "registry.GEC"),
    ],
)
def test_a_malformed_rule_file_is_refused_naming_the_entry(tmp_path: Path, old: str, new: str, named: str) -> None:
    assert BUNDLED.count(old) == 1
    path = tmp_path / "eligibility-cn.toml"
    path.write_text(BUNDLED.replace(old, new), encoding="utf-8")
    with pytest.raises(EligibilityRuleError, match=named.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load_eligibility(path)


def test_an_unknown_rule_file_names_the_bundled_ones() -> None:
    with pytest.raises(EligibilityRuleError, match="bundled: eligibility-cn"):
        load_eligibility("eligibility-xx")

"""Whether each retired certificate or credit counts, and for how much of which consumption month.

For every claim, a checklist a verifier can follow ({check, passed, detail, source}), run against
the rule file (:mod:`ledger.claims.eligibility_rules`) with the facts the serial encodes governing
over the declared ones (:mod:`ledger.claims.serial_facts`):

- ``registry`` and ``unit``: the registry is in the rule file, the claim is in its unit;
- ``serial``: the serial's project, production month and country against the declared ones (a
  disagreement is a finding shown prominently; the serial's facts are used from then on);
- certificates: ``market_boundary`` (the power was generated in a country of the consumer's
  market), ``cutoff`` (not after a registry's cut-off for that country), ``validity`` per consumption
  month (a month more than ``validity_months`` after generation gets none of the claim's units);
- credits: ``methodology`` (removal or avoidance by code; an unknown code is a finding and counts as
  avoidance, never as a removal);
- ``cancellation``: the retirement statement's number and date, not before the generation.

A claim's units are spread evenly over its consumption months (as :func:`allocated_units` does); a
failed check other than ``serial`` and ``methodology`` takes all of them, ``validity`` the months it
fails. What is left is what the inventory counts; the rest counts for nothing, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ledger.claims.allocation import _month_count, _month_index, _month_text, _months, allocated_units
from ledger.claims.claim import RetirementClaim
from ledger.claims.eligibility_rules import EligibilityRules, RegistryRule, load_eligibility
from ledger.claims.findings import ClaimedRetirement
from ledger.claims.serial_facts import serial_facts
from ledger.numbers import shown
from ledger.records.errors import RecordError

SERIAL_MISMATCH = "serial_mismatch"
INELIGIBLE = "ineligible"
PARTLY_ELIGIBLE = "partly_eligible"
UNKNOWN_METHODOLOGY = "unknown_methodology"
INFORMATIVE = frozenset({"serial", "methodology"})  # failing these does not take units away


@dataclass(frozen=True)
class Check:
    check: str
    passed: bool
    detail: str
    source: str

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "passed": self.passed, "detail": self.detail, "source": self.source}


@dataclass(frozen=True)
class EligibilityFinding:
    kind: str  # SERIAL_MISMATCH, INELIGIBLE, PARTLY_ELIGIBLE, UNKNOWN_METHODOLOGY
    claim_id: int
    message: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "claim_id": self.claim_id, "message": self.message}


@dataclass(frozen=True)
class ClaimEligibility:
    """One claim's result: the units it counts per consumption month, and why."""

    claim_id: int
    kind: str  # "certificate", "offset" or "removal"
    months: Mapping[str, Fraction]  # consumption month → units counted there
    checklist: tuple[Check, ...]
    findings: tuple[EligibilityFinding, ...]

    def units_in(self, start: str, end: str) -> Fraction:
        """The units counted for consumption months ``start``..``end``."""
        return sum((units for month, units in self.months.items() if start <= month <= end), Fraction(0))

    def entry_json(self, claim: RetirementClaim, counted: Fraction) -> dict[str, object]:
        """What the report's certificate or credit entry adds: the claim's signed facts, the units
        counted (``counted``, for the evaluation's year) and the checklist."""
        d = claim.details
        return {
            "kind": self.kind, "project_id": d.project_id, "country": d.country, "region": d.region,
            "methodology": d.methodology, "cancellation_number": d.cancellation_number,
            "cancellation_date": d.cancellation_date, "bundled_with": d.bundled_with, "counted": shown(counted),
            "eligibility": [c.to_json() for c in self.checklist],
        }  # fmt: skip


def assess_claims(
    claims: Sequence[ClaimedRetirement], rules: EligibilityRules, consumer_country: str
) -> dict[int, ClaimEligibility]:
    """Every claim's eligibility for a consumer in ``consumer_country``, by claim id."""
    return {c.claim_id: assess(c, rules, consumer_country) for c in claims}


def assess(claimed: ClaimedRetirement, rules: EligibilityRules, consumer_country: str) -> ClaimEligibility:
    claim, details, cid = claimed.claim, claimed.claim.details, claimed.claim_id
    months = {
        _month_text(i): allocated_units(claim, _month_text(i), _month_text(i))
        for i in range(_month_index(claim.consumption_start), _month_index(claim.consumption_end) + 1)
    }
    registry = rules.registries.get(claim.registry)
    if registry is None:
        check = Check("registry", False, f"{claim.registry} is not a registry of {rules.label}", rules.label)
        finding = EligibilityFinding(INELIGIBLE, cid, f"claim {cid} counts for nothing: {check.detail}")
        return _result(claimed, "offset", {m: Fraction(0) for m in months}, [check], [finding])
    label = f"{registry.name} {claim.serial_start}..{claim.serial_end} (claim {cid})"
    checks = [Check("registry", True, f"{registry.name}: {registry.instrument} of 1 {registry.unit}", registry.source)]
    checks.append(Check("unit", details.unit == registry.unit, f"claimed in {details.unit}; {registry.name} counts "
                        f"{registry.unit}", registry.source))  # fmt: skip
    findings: list[EligibilityFinding] = []
    country, generated = _serial_check(claimed, registry, checks, findings)
    kind = "certificate"
    if registry.instrument == "certificate":
        _market(country, consumer_country, rules, checks)
        _cutoff(registry.name, country, generated, rules, checks)
        months = _validity(registry, generated, months, checks)
    else:
        kind = _methodology(claimed, rules, checks, findings)
    checks.append(_cancellation(claimed, generated))
    blocking = [c for c in checks if not c.passed and c.check not in INFORMATIVE and c.check != "validity"]
    if blocking:
        months = {m: Fraction(0) for m in months}
    counted, allocated = sum(months.values(), Fraction(0)), Fraction(claim.units)
    if counted == 0:
        reasons = "; ".join(c.detail for c in checks if not c.passed and c.check not in INFORMATIVE)
        findings.append(EligibilityFinding(INELIGIBLE, cid, f"{label} counts for nothing: {reasons}"))
    elif counted < allocated:
        findings.append(EligibilityFinding(PARTLY_ELIGIBLE, cid, f"{label}: {shown(counted)} of {claim.units:,} "
                                           f"{registry.unit} count; {next(c.detail for c in checks if c.check == 'validity')}"))  # fmt: skip
    return _result(claimed, kind, months, checks, findings)


def _result(claimed: ClaimedRetirement, kind: str, months: Mapping[str, Fraction], checks: list[Check],
            findings: list[EligibilityFinding]) -> ClaimEligibility:  # fmt: skip
    return ClaimEligibility(claimed.claim_id, kind, dict(months), tuple(checks), tuple(findings))


def _serial_check(
    claimed: ClaimedRetirement, registry: RegistryRule, checks: list[Check], findings: list[EligibilityFinding]
) -> tuple[str, tuple[str, str]]:
    """The governing country and generation months; a disagreement of the serial with the claim is a finding."""
    claim, details = claimed.claim, claimed.claim.details
    facts = serial_facts(claim)
    issued_country = registry.issued_in[0] if len(registry.issued_in) == 1 else None
    serial_country = facts.country or issued_country
    declared_generation = (details.generation_start, details.generation_end)
    pairs = [
        ("project", details.project_id, facts.project_id),
        ("production month", _months(declared_generation), facts.production_month),
        ("country", details.country, serial_country),
    ]
    known = [(name, declared, encoded) for name, declared, encoded in pairs if encoded is not None]
    wrong = [f"declared {name} {declared} but the serial says {encoded}" for name, declared, encoded in known
             if declared != encoded]  # fmt: skip
    if known:
        said = ", ".join(f"{name} {encoded}" for name, encoded in ((n, e) for n, _, e in known))
        detail = ("; ".join(wrong) + ": the serial governs") if wrong else f"the serial agrees: {said}"
        checks.append(Check("serial", not wrong, detail, "ledger/claims/serials.py (serial layout and its sources)"))
        if wrong:
            findings.append(EligibilityFinding(SERIAL_MISMATCH, claimed.claim_id, f"{claim.registry} claim "
                                               f"{claimed.claim_id} {claim.block_id}: {detail}"))  # fmt: skip
    month = facts.production_month
    return serial_country or details.country, (month, month) if month else declared_generation


def _market(country: str, consumer: str, rules: EligibilityRules, checks: list[Check]) -> None:
    market = rules.markets.get(consumer)
    if market is None:
        checks.append(Check("market_boundary", False, f"{rules.label} defines no market for a consumer in {consumer}",
                            rules.label))  # fmt: skip
        return
    countries, sourced = market
    inside = country in countries
    checks.append(Check("market_boundary", inside, f"generated in {country}; a consumer in {consumer} may count "
                        f"certificates of power generated in {', '.join(countries)}", sourced.source))  # fmt: skip


def _cutoff(registry: str, country: str, generated: tuple[str, str], rules: EligibilityRules,
            checks: list[Check]) -> None:  # fmt: skip
    for cut in rules.cutoffs:
        if cut.registry == registry and cut.generation_country == country:
            after = generated[1] > cut.last_generation_month
            checks.append(Check("cutoff", not after, f"{registry} for generation in {country} counts up to "
                                f"{cut.last_generation_month}; generated {_months(generated)}", cut.source))  # fmt: skip


def _validity(registry: RegistryRule, generated: tuple[str, str], months: dict[str, Fraction],
              checks: list[Check]) -> dict[str, Fraction]:  # fmt: skip
    """Per consumption month: a month more than ``validity_months`` after the (last) generation month
    gets none of the claim's units."""
    if registry.validity_months is None:
        return months
    last = _month_text(_month_index(generated[1]) + registry.validity_months)
    late = [m for m in months if m > last]
    lost = sum((months[m] for m in late), Fraction(0))
    detail = f"generated {_months(generated)}: valid {registry.validity_months} months, for consumption up to {last}"
    if late:
        span = _months((late[0], late[-1]))
        detail += f"; {shown(lost)} {registry.unit} allocated to {span} ({_month_count(late[0], late[-1])} months) do not count"
    checks.append(Check("validity", not late, detail, registry.source))
    return {m: (Fraction(0) if m in late else units) for m, units in months.items()}


def _methodology(claimed: ClaimedRetirement, rules: EligibilityRules, checks: list[Check],
                 findings: list[EligibilityFinding]) -> str:  # fmt: skip
    claim = claimed.claim
    code = claim.details.methodology
    entry = rules.methodology(claim.registry, code)
    if entry is None:
        detail = f"{claim.registry} methodology {code or '(none)'} is not in {rules.label}: counted as avoidance (an offset), never as a removal"
        checks.append(Check("methodology", False, detail, rules.label))
        findings.append(
            EligibilityFinding(UNKNOWN_METHODOLOGY, claimed.claim_id, f"claim {claimed.claim_id}: {detail}")
        )
        return "offset"
    kind = "removal" if entry.kind == "removal" else "offset"
    confirmed = "" if entry.confirmed else " (classification not confirmed)"
    checks.append(Check("methodology", True, f"{entry.code} {entry.name}: {entry.kind}{confirmed}", entry.source))
    return kind


def _cancellation(claimed: ClaimedRetirement, generated: tuple[str, str]) -> Check:
    d = claimed.claim.details
    dated = d.cancellation_date[:7] >= generated[0]
    detail = f"statement {d.cancellation_number} of {d.cancellation_date}, sha256 {d.evidence_sha256.hex()}"
    if not dated:
        detail += f": dated before the generation ({_months(generated)})"
    return Check("cancellation", dated, detail, "the registry's retirement statement, cited by the claim")


def assess_year(
    own: Sequence[ClaimedRetirement], year: int, consumer_country: str | None
) -> tuple[dict[int, ClaimEligibility], dict[str, object]]:
    """The eligibility of the factory's claims for consumption in ``year`` under the bundled rules,
    for a consumer in ``consumer_country`` (None: the rule file's), and the report's section on it."""
    rules = load_eligibility()
    country = check_consumer_country(consumer_country, rules)
    first, last = f"{year}-01", f"{year}-12"
    in_year = [c for c in own if c.claim.consumption_start <= last and c.claim.consumption_end >= first]
    assessed = assess_claims(in_year, rules, country)
    return assessed, eligibility_section(rules, country, consumer_country is None, assessed.values())


def check_consumer_country(value: str | None, rules: EligibilityRules) -> str:
    """The consumer's market: the evaluation's ``consumer_country``, or the rule file's default."""
    if value is None:
        return rules.consumer_country
    if not isinstance(value, str) or len(value) != 2 or not value.isascii() or not value.isupper():
        raise RecordError("consumer_country", f'must be an ISO 3166-1 alpha-2 code like "CN", got {value!r}')
    return value


def eligibility_section(
    rules: EligibilityRules, consumer_country: str, defaulted: bool, results: Iterable[ClaimEligibility]
) -> dict[str, object]:
    """The report's ``eligibility`` entry: the rule file, the market, the findings (a serial that
    disagrees with its claim first) and the claims that count for nothing, with the reason."""
    ordered = sorted(results, key=lambda r: r.claim_id)
    findings = [f for r in ordered for f in r.findings]
    findings.sort(key=lambda f: (f.kind != SERIAL_MISMATCH, f.claim_id))
    return {
        "rule_set": {"id": rules.id, "version": rules.version, "name": rules.name, "label": rules.label},
        "consumer_country": consumer_country,
        "consumer_country_from": "the rule file's default" if defaulted else "the evaluation's input",
        "findings": [f.to_json() for f in findings],
        "ineligible_claims": [{"claim_id": f.claim_id, "reason": f.message} for f in findings if f.kind == INELIGIBLE],
        "effect": "an ineligible claim, or the part of one outside its validity, counts for nothing; these "
        "findings are not double counting and do not block the double-counting gate",
    }

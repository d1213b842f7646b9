"""Evaluations as a service: compute a factory's year from the chain, store the report, and anchor
it once an accredited evaluator has signed its hash.

The report is computed here from anchored data only; the evaluator signs the report hash (EIP-712)
with their own key, and the contract accepts it only from a holder of EVALUATOR_ROLE. The signed
report travels the lifecycle of :mod:`ledger.services.lifecycle` like a batch or a claim: kept
``pending`` with its signature before it is relayed, so neither a crash nor a chain that is away
loses the evaluator's signature.

The relay's part is :mod:`ledger.services.report_relay`, the park indicator
:mod:`ledger.services.park`, and what a stored report shows (status, list line, staleness)
:mod:`ledger.services.evaluation_views`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy.orm import Session, sessionmaker

from ledger.accounting.completeness import CHECKED as COMPLETENESS_CHECKED
from ledger.accounting.evaluation import DEFAULT_RULES, RuleSet, anchored_level, evaluate, load_rules
from ledger.accounting.floating_zero import parse_base_year
from ledger.accounting.inventory import Inventory, compute_inventory
from ledger.accounting.report import build_report
from ledger.accounting.scope3 import parse_exclusions
from ledger.accounting.sections import name_projects
from ledger.accounting.sources import YearData
from ledger.chain.client import LedgerClient
from ledger.chain.signatures import check_signature
from ledger.claims.double_counting import find_double_counting, refused_claims
from ledger.claims.eligibility import assess_year
from ledger.claims.findings import ClaimedRetirement
from ledger.claims.matching import DEFAULT_METHOD, METHODS
from ledger.eip712 import ReportCommit
from ledger.eip712.typed_data import v_problem
from ledger.errors import Conflict, Forbidden, NotFound
from ledger.evidence import EvidenceStore
from ledger.factors import FactorSet, bundled_factor_set, loads_factor_set
from ledger.factors.steam import SteamConditions, parse_steam
from ledger.gc_pause import collector_paused
from ledger.records.errors import RecordError
from ledger.services import evaluation_views as views
from ledger.services import staleness
from ledger.services.claims import ClaimService
from ledger.services.factories import FactoryService
from ledger.services.lifecycle import Lifecycle
from ledger.services.matching_views import is_run, report_commit
from ledger.services.park import evaluate_members
from ledger.services.report_relay import Anchored, ReportRelay
from ledger.services.year import YearSource, gather_year
from ledger.store import evaluations as rows
from ledger.store import evaluators as evaluator_rows
from ledger.store.evaluations import ANCHORED, DRAFT, PENDING
from ledger.store.models import EvaluationRow

DEFAULT_FACTORS = "cn-mee-2023"
Gathered = tuple[YearData, list[ClaimedRetirement], list[int], list[Any]]
"""A factory's anchored year, the claims on chain (with details held here; the ids of those without) and
the double-counting findings: :meth:`EvaluationService.year_and_findings`."""
MAX_FACTORS_TOML_BYTES = 64 * 1024
"""The largest factor set a request may send as text (the bundled ones are about 12 KiB)."""


class EvaluationService:
    def __init__(
        self, ledger: LedgerClient, sessions: sessionmaker[Session], factories: FactoryService, year: YearSource,
        claims: ClaimService,
    ) -> None:  # fmt: skip
        self.ledger = ledger
        self.sessions = sessions
        self.factories = factories
        self.year = year
        self.claims = claims
        self.evidence: EvidenceStore | None = None  # set by build_services: which cited files are held here
        self.lifecycle: Lifecycle[EvaluationRow, Anchored, dict[str, Any]] = Lifecycle(ReportRelay(self))

    def factor_set(self, factor_set: str | None, factors_toml: str | None) -> FactorSet:
        """A bundled set by id, or the caller's own as TOML text: never a path. A request reaches
        no file of the server's (the CLI reads a user's file itself and sends its text)."""
        if factor_set is not None and factors_toml is not None:
            raise RecordError("factors_toml", "send either factor_set (a bundled id) or factors_toml, not both")
        if factors_toml is not None and len(factors_toml.encode("utf-8")) > MAX_FACTORS_TOML_BYTES:
            raise RecordError("factors_toml", f"is over the limit of {MAX_FACTORS_TOML_BYTES} bytes")
        try:
            if factors_toml is not None:
                return loads_factor_set(factors_toml, "request body factors_toml")
            return bundled_factor_set(factor_set or DEFAULT_FACTORS)
        except Exception as exc:  # FactorSetError / MissingFactor: both name the key
            raise RecordError("factors_toml" if factors_toml is not None else "factor_set", str(exc)) from None

    def inventory(
        self,
        factory_id: str,
        year: int,
        factors: FactorSet,
        rules: RuleSet,
        grid: str = "national_average",
        onsite_projects: Mapping[str, str] | None = None,
        count_provisional: bool = False,
        consumer_country: str | None = None,
        matching: str = DEFAULT_METHOD,
        steam: Mapping[str, SteamConditions] | None = None,
        gathered: Gathered | None = None,
    ) -> tuple[Inventory, Any, list[Any], dict[str, Any]]:
        """The inventory from anchored data, with the year's sources, findings, and what it did not count:
        ``undisclosed`` (details not held here), ``provisional`` (own claims no attestor confirmed; counted
        only with ``count_provisional``, a local demo), and ``eligibility`` (:func:`assess_year`'s section).
        ``gathered``: :meth:`year_and_findings` already read (same ``onsite_projects`` and ``matching``),
        so a caller that reads the year itself does not read it twice."""
        self.factories.get(factory_id)  # 404 for an unknown factory
        return self._inventory(factory_id, year, factors, rules, grid, onsite_projects, count_provisional,
                               consumer_country, matching, steam, gathered)  # fmt: skip

    def _inventory(
        self, factory_id: str, year: int, factors: FactorSet, rules: RuleSet, grid: str,
        onsite_projects: Mapping[str, str] | None, count_provisional: bool, consumer_country: str | None,
        matching: str, steam: Mapping[str, SteamConditions] | None, gathered: Gathered | None = None,
    ) -> tuple[Inventory, Any, list[Any], dict[str, Any]]:  # fmt: skip
        """:meth:`inventory` of a factory known to be registered."""
        year_data, known, undisclosed, findings = gathered or self.year_and_findings(
            factory_id, year, onsite_projects, matching
        )
        own = [c for c in known if c.claim.factory_id == factory_id]
        provisional = [c.claim_id for c in own if c.status != "confirmed"]
        if not count_provisional:
            own = [c for c in own if c.status == "confirmed"]
        assessed, section = assess_year(own, year, consumer_country)
        inv = compute_inventory(
            factory_id=factory_id, year=year, records=year_data.records, claims=own,
            invalid_claims=refused_claims(findings), factors=factors, grid=grid, matching=matching, eligibility=assessed,
            steam=steam,
        )  # fmt: skip
        name_projects(inv, own)
        uncounted = {"undisclosed": undisclosed, "provisional": provisional, "eligibility": section}
        return inv, year_data, findings, uncounted

    def year_and_findings(
        self, factory_id: str, year: int, onsite_projects: Mapping[str, str] | None = None,
        matching: str = DEFAULT_METHOD,
    ) -> Gathered:  # fmt: skip
        """The factory's anchored year, every claim on chain (with details held here, and the ids of those
        without), and the double-counting findings over them: what both an evaluation and a matching run read."""
        year_data = gather_year(self.year, factory_id, year)
        known, undisclosed = self.claims.claimed_retirements()
        findings = find_double_counting(
            factory_id=factory_id, period_start=f"{year}-01", period_end=f"{year}-12", claims=known,
            records=year_data.records,
            onsite_projects=dict(onsite_projects or {}), matching=matching,
        )  # fmt: skip
        return year_data, known, undisclosed, findings

    @collector_paused()
    def create(
        self,
        factory_id: str,
        year: int,
        report_type: str,
        *,
        factor_set: str | None = None,
        factors_toml: str | None = None,
        grid: str = "national_average",
        onsite_projects: Mapping[str, str] | None = None,
        count_provisional: bool = False,
        steam: Mapping[str, Any] | None = None,
        consumer_country: str | None = None,
        matching: str = DEFAULT_METHOD,
        scope3_exclusions: Sequence[Mapping[str, Any]] = (),
        base_year: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A draft report; ``steam``: steam source → its supplier's declared conditions (:func:`parse_steam`);
        ``scope3_exclusions`` (Type II): ``{category, reason}`` of Scope 3 categories left out on purpose;
        ``base_year``: declared base-year data for own reductions by efficiency (absent: "no base year")."""
        if report_type not in ("I", "II"):
            raise RecordError("type", f'must be "I" or "II", got {report_type!r}')
        if matching not in METHODS:
            raise RecordError("matching", f"must be one of {', '.join(METHODS)}, got {matching!r}")
        if not 2000 <= year <= 2200:
            raise RecordError("year", f"must be from 2000 to 2200, got {year}")
        base = parse_base_year(base_year, year)
        factors = self.factor_set(factor_set, factors_toml)
        rules = load_rules(DEFAULT_RULES)
        exclusions = parse_exclusions(scope3_exclusions, rules.scope3_categories, report_type)
        factory = self.factories.get(factory_id)  # 404 for an unknown factory, before a year is gathered
        try:
            inv, year_data, findings, uncounted = self._inventory(
                factory_id, year, factors, rules, grid, onsite_projects, count_provisional, consumer_country, matching,
                parse_steam(steam),
            )  # fmt: skip
        except KeyError as exc:  # MissingFactor names the set and the key; a province's grid factor names the grid
            field = "grid" if str(getattr(exc, "key", "")).startswith("grid.province.") else "factor_set"
            raise RecordError(field, str(exc.args[0] if exc.args else exc)) from None
        gaps = year_data.source_gaps(factory.source_register.service_dates())  # declared days in service
        evaluation = evaluate(inv, rules, report_type, len(year_data.missing), len(findings),
                              incomplete_sources=len(gaps), scope3_exclusions=exclusions, factors=factors)  # fmt: skip
        evaluation["completeness"] = {
            "checked": COMPLETENESS_CHECKED,
            "findings": [g.to_json() for g in gaps],
        }  # fmt: skip
        domain = self.ledger.domain()
        report = build_report(
            factory_id=factory_id, factory_name=factory.name, year=year, report_type=report_type, inventory=inv,
            evaluation=evaluation, year_data=year_data, findings=findings, undisclosed_claims=uncounted["undisclosed"],
            provisional_claims=uncounted["provisional"], count_provisional=count_provisional,
            factors=factors, rules=rules, eligibility=uncounted["eligibility"],
            chain={"chain_id": domain.chain_id, "contract": domain.verifying_contract},
            profile=factory.profile, base_year=base, source_register=factory.source_register,
            evidence_held=self.evidence.status if self.evidence is not None else None,
        )  # fmt: skip
        row = EvaluationRow(
            id=str(uuid.uuid4()), factory_id=factory_id, year=year, report_type=report_type,
            level=evaluation["level"], report_hash=report["report_hash"],
            report=json.dumps(report, sort_keys=True, ensure_ascii=False), status=DRAFT,
            revisions=json.dumps(staleness.revisions_of(report["periods"])),
            level_confirmation=json.dumps(views.level_confirmation(evaluation), ensure_ascii=False),
            factor_set=views.factor_set_label(report), created_at=datetime.now(UTC),
        )  # fmt: skip
        with self.sessions.begin() as session:
            rows.add(session, row)
        return self.get(row.id)

    def get(self, evaluation_id: str) -> dict[str, Any]:
        """The report with its status, and whether the chain has since corrected a month it used
        (``stale``, ``stale_because``, ``superseded_by``: computed now, never part of the signed JSON)."""
        report = self._stored(evaluation_id)
        with self.sessions() as session:  # the row's own year and type: a matching run's document has no "type"
            found = rows.list_for(session, report["factory_id"])
            own = next((r.year, r.report_type) for r in found if r.id == evaluation_id)
            siblings = [views.brief(r) for r in found if (r.year, r.report_type) == own]
        return report | self._freshness(siblings).get(evaluation_id, staleness.UNKNOWN)

    def _stored(self, evaluation_id: str) -> dict[str, Any]:
        with self.sessions() as session:
            row = rows.get(session, evaluation_id)
            if row is None:
                raise NotFound(f"no evaluation {evaluation_id}")
            return views.with_status(row)

    def list_for(self, factory_id: str) -> list[dict[str, Any]]:
        """The factory's evaluations, oldest first, each marked stale or not (the chain asked once a month),
        whether its level is a placeholder of the rule file, and whether it is confirmed and why not
        (:func:`views.list_item`)."""
        with self.sessions() as session:
            found = rows.list_for(session, factory_id)
            placeholders = {(lv.report_type, lv.level) for lv in load_rules(DEFAULT_RULES).levels if not lv.confirmed}
            listed = [views.list_item(r, placeholders) for r in found]
            fresh = self._freshness([views.brief(r) for r in found])
        return [e | fresh.get(str(e["id"]), staleness.UNKNOWN) for e in listed]

    def _freshness(self, reports: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return views.freshness(reports, self.ledger.revision_count)

    def commit_for(self, evaluation_id: str, evaluator: str) -> ReportCommit:
        report = self._stored(evaluation_id)
        if is_run(report):  # an hourly matching run (report type "H"), relayed like any report
            return report_commit(report, evaluator)
        return ReportCommit(
            factory_id=report["factory_id"], year=report["year"], report_type=report["type"],
            level=anchored_level(report["evaluation"]), report_hash=bytes.fromhex(report["report_hash"][2:]),
            factor_set=report["factor_set"]["label"], rule_set=report["rule_set"]["label"], evaluator=evaluator,
        )  # fmt: skip

    def typed_data(self, evaluation_id: str, evaluator: str) -> dict[str, Any]:
        """The EIP-712 message the evaluator signs (what a wallet's eth_signTypedData_v4 takes)."""
        message = self.commit_for(evaluation_id, evaluator).typed_data(self.ledger.domain())
        message["message"]["reportHash"] = "0x" + bytes(message["message"]["reportHash"]).hex()
        return message

    def sign(self, evaluation_id: str, evaluator: str, signature: bytes) -> dict[str, Any]:
        """Anchor the report with the evaluator's signature of its hash."""
        current = self._stored(evaluation_id)
        if current["status"] in (ANCHORED, PENDING):
            if current.get("signature") == "0x" + signature.hex():
                if current["status"] == PENDING:
                    self.lifecycle.retry(self._row(evaluation_id))
                return self.get(evaluation_id)
            if current["status"] == PENDING:
                raise Conflict(f"evaluation {evaluation_id} is already signed and waiting for its anchor")
            raise Conflict(f"evaluation {evaluation_id} is already anchored as report {current['anchor']['report_id']}")
        commit = self.commit_for(evaluation_id, evaluator)
        if (problem := v_problem(signature)) is not None:
            raise RecordError("signature", problem)
        check = check_signature(self.ledger, commit.evaluator, commit, signature)  # as the contract will
        if check.recovered is None and not check.valid:
            raise RecordError(
                "signature", "not a valid 65-byte ECDSA signature, nor one the evaluator accepts as a contract wallet"
            )
        if not check.valid:
            raise Forbidden(f"the signature was made by {check.recovered}, not by the evaluator {commit.evaluator}")
        if not self.ledger.is_evaluator(commit.evaluator):
            raise Forbidden(f"{commit.evaluator} does not hold the evaluator role on chain")
        with self.lifecycle.in_flight(evaluation_id):
            with self.sessions.begin() as session:
                profile = evaluator_rows.get(session, to_checksum_address(commit.evaluator))
                identity = None if profile is None else json.dumps(evaluator_rows.as_json(profile), ensure_ascii=False)
                rows.mark_pending(session, evaluation_id, commit.evaluator, "0x" + signature.hex(), identity)
            return self.lifecycle.relay(self._row(evaluation_id))

    def reconcile(self) -> int:
        """Finish every signed report still waiting for its anchor; returns how many were anchored."""
        return self.lifecycle.reconcile()

    def watch(self, *, everything: bool | None = None) -> int:
        """Re-check anchored reports against the chain (:meth:`Lifecycle.watch`)."""
        return self.lifecycle.watch(everything=everything)

    def _row(self, evaluation_id: str) -> EvaluationRow:
        with self.sessions() as session:
            row = rows.get(session, evaluation_id)
        assert row is not None
        return row

    @collector_paused()
    def park(
        self, factory_ids: Sequence[str], year: int, *, factor_set: str | None = None, factors_toml: str | None = None,
        transfers: Sequence[Mapping[str, str]] = (), steam: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The park indicator for a set of factories forming a park, each counted once; ``transfers``
        (``{from_factory, to_factory, source_id}``: energy one member sells another, metered at the
        buyer by ``source_id``) are netted out of both the emissions and the tce; ``steam`` as for create
        (:mod:`ledger.services.park`)."""
        return evaluate_members(self, factory_ids, year, factor_set=factor_set, factors_toml=factors_toml,
                                transfers=transfers, steam=steam)  # fmt: skip

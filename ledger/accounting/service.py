"""Evaluations as a service: compute a factory's year from the chain, store the report, and anchor
it once an accredited evaluator has signed its hash.

The report is computed here from anchored data only; the evaluator signs the report hash (EIP-712)
with their own key, and the contract accepts it only from a holder of EVALUATOR_ROLE.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger.accounting.evaluation import DEFAULT_RULES, RuleSet, evaluate, evaluate_park, load_rules
from ledger.accounting.inventory import Inventory, compute_inventory
from ledger.accounting.report import build_report, report_hash
from ledger.accounting.sources import gather_year
from ledger.errors import IntegrityError
from ledger.chain import errors as chain_errors
from ledger.eip712.evaluation_report import ReportCommit, recover_report_signer, typed_data
from ledger.claims.double_counting import AnchoredRecord, find_double_counting, refused_claims
from ledger.claims.service import ClaimService
from ledger.factors import FactorSet, load_factor_set, loads_factor_set
from ledger.errors import Conflict, Forbidden, NotFound
from ledger.notary import Notary
from ledger.records.errors import RecordError
from ledger.store.models import EvaluationRow

DEFAULT_FACTORS = "cn-mee-2023"
DRAFT, ANCHORED = "draft", "anchored"


class EvaluationService:
    def __init__(self, notary: Notary, claims: ClaimService, sessions: sessionmaker[Session]) -> None:
        self.notary = notary
        self.claims = claims
        self.sessions = sessions

    def factor_set(self, factor_set: str | None, factors_toml: str | None) -> FactorSet:
        try:
            if factors_toml is not None:
                return loads_factor_set(factors_toml, "request body factors_toml")
            return load_factor_set(factor_set or DEFAULT_FACTORS)
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
    ) -> tuple[Inventory, Any, list[Any], list[int]]:
        """The inventory from anchored data, with the year's sources, findings and undisclosed claims."""
        self.notary.get_factory(factory_id)  # 404 for an unknown factory
        year_data = gather_year(self.notary, factory_id, year)
        known, undisclosed = self.claims.claimed_retirements()
        findings = find_double_counting(
            factory_id=factory_id, period_start=f"{year}-01", period_end=f"{year}-12", claims=known,
            records=[AnchoredRecord(r.record_id, r.record) for r in year_data.records],
            onsite_projects=dict(onsite_projects or {}),
        )  # fmt: skip
        own = [c for c in known if c.claim.factory_id == factory_id]
        inv = compute_inventory(
            factory_id=factory_id, year=year, records=year_data.records, claims=own,
            invalid_claims=refused_claims(findings), factors=factors, grid=grid,
            removal_technologies=rules.removal_technologies,
        )  # fmt: skip
        return inv, year_data, findings, undisclosed

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
    ) -> dict[str, Any]:
        if report_type not in ("I", "II"):
            raise RecordError("type", f"must be \"I\" or \"II\", got {report_type!r}")
        if not 2000 <= year <= 2200:
            raise RecordError("year", f"must be from 2000 to 2200, got {year}")
        factors = self.factor_set(factor_set, factors_toml)
        rules = load_rules(DEFAULT_RULES)
        try:
            inv, year_data, findings, undisclosed = self.inventory(factory_id, year, factors, rules, grid, onsite_projects)
        except KeyError as exc:  # MissingFactor names the set and the key
            raise RecordError("factor_set", str(exc.args[0] if exc.args else exc)) from None
        evaluation = evaluate(inv, rules, report_type, len(year_data.missing), len(findings))
        factory = self.notary.get_factory(factory_id)
        domain = self.notary.domain
        report = build_report(
            factory_id=factory_id, factory_name=factory.name, year=year, report_type=report_type, inventory=inv,
            evaluation=evaluation, year_data=year_data, findings=findings, undisclosed_claims=undisclosed,
            factors=factors, rules=rules,
            chain={"chain_id": domain.chain_id, "contract": domain.verifying_contract},
        )  # fmt: skip
        row = EvaluationRow(
            id=str(uuid.uuid4()), factory_id=factory_id, year=year, report_type=report_type,
            level=evaluation["level"], report_hash=report["report_hash"],
            report=json.dumps(report, sort_keys=True, ensure_ascii=False), status=DRAFT,
            created_at=datetime.now(UTC),
        )  # fmt: skip
        with self.sessions.begin() as session:
            session.add(row)
        return self.get(row.id)

    def get(self, evaluation_id: str) -> dict[str, Any]:
        with self.sessions() as session:
            row = session.get(EvaluationRow, evaluation_id)
            if row is None:
                raise NotFound(f"no evaluation {evaluation_id}")
            return _with_status(row)

    def list_for(self, factory_id: str) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(
                select(EvaluationRow).where(EvaluationRow.factory_id == factory_id).order_by(EvaluationRow.created_at)
            ).all()
            return [
                {"id": r.id, "year": r.year, "type": r.report_type, "level": r.level, "status": r.status,
                 "report_hash": r.report_hash, "tx_hash": r.tx_hash}
                for r in rows
            ]  # fmt: skip

    def commit_for(self, evaluation_id: str, evaluator: str) -> ReportCommit:
        report = self.get(evaluation_id)
        return ReportCommit(
            factory_id=report["factory_id"], year=report["year"], report_type=report["type"],
            level=report["evaluation"]["level"], report_hash=bytes.fromhex(report["report_hash"][2:]),
            factor_set=report["factor_set"]["label"], rule_set=report["rule_set"]["label"], evaluator=evaluator,
        )  # fmt: skip

    def typed_data(self, evaluation_id: str, evaluator: str) -> dict[str, Any]:
        """The EIP-712 message the evaluator signs (what a wallet's eth_signTypedData_v4 takes)."""
        message = typed_data(self.notary.domain, self.commit_for(evaluation_id, evaluator))
        message["message"]["reportHash"] = "0x" + bytes(message["message"]["reportHash"]).hex()
        return message

    def sign(self, evaluation_id: str, evaluator: str, signature: bytes) -> dict[str, Any]:
        """Anchor the report with the evaluator's signature of its hash."""
        current = self.get(evaluation_id)
        if current["status"] == ANCHORED:
            if current["signature"] == "0x" + signature.hex():
                return current
            raise Conflict(f"evaluation {evaluation_id} is already anchored as report {current['anchor']['report_id']}")
        commit = self.commit_for(evaluation_id, evaluator)
        try:
            signer = recover_report_signer(self.notary.domain, commit, signature)
        except Exception:  # malformed signature bytes
            raise RecordError("signature", "not a valid 65-byte ECDSA signature") from None
        if signer.lower() != commit.evaluator.lower():
            raise Forbidden(f"the signature was made by {signer}, not by the evaluator {commit.evaluator}")
        if not self.notary.ledger.is_evaluator(commit.evaluator):
            raise Forbidden(f"{commit.evaluator} does not hold the evaluator role on chain")
        try:
            report_id, tx = self.notary.ledger.anchor_report(commit, signature)
        except chain_errors.ReportAlreadyAnchored as exc:
            raise Conflict(f"this report hash is already anchored as report {exc.reportId}") from exc
        except chain_errors.ContractRevert as exc:
            raise Forbidden(f"the contract refused the report: {exc}") from exc
        with self.sessions.begin() as session:
            row = session.get(EvaluationRow, evaluation_id)
            assert row is not None
            row.status, row.evaluator, row.signature = ANCHORED, commit.evaluator, "0x" + signature.hex()
            row.report_id, row.tx_hash, row.block_number = report_id, tx.tx_hash, tx.block_number
        return self.get(evaluation_id)

    def park(
        self, factory_ids: Sequence[str], year: int, *, factor_set: str | None = None, factors_toml: str | None = None
    ) -> dict[str, Any]:
        """The park indicator for a set of factories forming a park."""
        if not factory_ids:
            raise RecordError("factories", "name at least one factory")
        factors = self.factor_set(factor_set, factors_toml)
        rules = load_rules(DEFAULT_RULES)
        members = []
        missing: dict[str, list[str]] = {}
        for factory_id in factory_ids:
            inv, year_data, _, _ = self.inventory(factory_id, year, factors, rules)
            members.append(inv)
            if year_data.missing:
                missing[factory_id] = [m["period"] for m in year_data.missing]
        result = evaluate_park(members, rules)
        return result | {"year": year, "factor_set": factors.label, "rule_set": rules.label, "missing_months": missing}


def _with_status(row: EvaluationRow) -> dict[str, Any]:
    report = json.loads(row.report)
    report |= {"id": row.id, "status": row.status, "created_at": row.created_at.isoformat()}
    if row.status == ANCHORED:
        report |= {
            "evaluator": row.evaluator,
            "signature": row.signature,
            "anchor": {"report_id": row.report_id, "tx_hash": row.tx_hash, "block_number": row.block_number},
        }
    if "0x" + report_hash(report).hex() != row.report_hash:
        raise IntegrityError(f"evaluation {row.id}: the stored report no longer matches its hash {row.report_hash}")
    return report

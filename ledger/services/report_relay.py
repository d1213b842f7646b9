"""The evaluation report's part of the relay lifecycle (:mod:`ledger.services.lifecycle`): how a
signed report is sent (``anchorReport``), how the chain is asked whether it already holds it, and how
its row moves (pending → anchored, or back to draft when the contract refuses it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.chain import errors as chain_errors
from ledger.chain.errors import ChainUnavailable, ContractRevert
from ledger.eip712 import ReportCommit
from ledger.errors import Forbidden, Unavailable
from ledger.services.lifecycle import Other, StoredRelay
from ledger.store import evaluations as rows
from ledger.store import tracking
from ledger.store.evaluations import ANCHORED, PENDING
from ledger.store.models import EvaluationRow

if TYPE_CHECKING:
    from ledger.services.evaluations import EvaluationService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anchored:
    """A report the chain holds: its id, and the transaction and block that anchored it."""

    report_id: int
    tx_hash: str | None
    block_number: int


class ReportRelay(StoredRelay):
    """The report's part of the lifecycle: ``anchorReport`` relays it; the chain holds it when a
    report of that factory, year and type has the same hash and evaluator (whoever relayed it)."""

    name = "report"
    model = EvaluationRow
    pending_status = PENDING

    def __init__(self, service: EvaluationService) -> None:
        self.service = service
        self.ledger = service.ledger
        self.sessions = service.sessions

    def call(self, row: EvaluationRow) -> Any:
        signature = bytes.fromhex((row.signature or "")[2:])
        return self.ledger.contract.functions.anchorReport(self._commit(row).as_tuple(), signature)

    def sent(self, row: EvaluationRow, receipt: Any) -> Anchored:
        return Anchored(
            self.ledger.report_id_of(receipt), "0x" + receipt["transactionHash"].hex(), receipt["blockNumber"]
        )

    def on_chain(self, row: EvaluationRow) -> Anchored | Other | None:
        commit = self._commit(row)
        for report_id in self.ledger.reports_for(commit.factory_id, commit.year, commit.report_type):
            found = self.ledger.get_report(report_id)
            if found.report_hash != commit.report_hash:
                continue
            tx = self.ledger.report_tx(report_id, found.anchored_block)
            if found.evaluator.lower() == commit.evaluator.lower():
                return Anchored(report_id, tx, found.anchored_block)
            what = {
                "report_id": report_id,
                "evaluator": found.evaluator,
                "block_number": found.anchored_block,
                "tx_hash": tx,
            }
            return Other(what, f"this report hash is anchored as report {report_id} by evaluator {found.evaluator}")
        return None

    def still_held(self, row: EvaluationRow) -> Anchored | Other | None:
        if row.report_id is not None:
            try:
                found = self.ledger.get_report(row.report_id)
            except chain_errors.UnknownReport:
                found = None
            if (
                found is not None
                and "0x" + found.report_hash.hex() == row.report_hash
                and found.anchored_block == row.block_number
            ):
                return Anchored(row.report_id, row.tx_hash, found.anchored_block)
        return self.on_chain(row)

    def confirm(self, row: EvaluationRow, found: Anchored, final: bool) -> dict[str, Any]:
        with self.sessions.begin() as session:
            rows.mark_anchored(session, row.id, found.report_id, found.tx_hash, found.block_number, final)
        return self.service.get(row.id)

    def unsent(self, row: EvaluationRow, exc: ChainUnavailable) -> dict[str, Any]:
        raise Unavailable(
            f"report {row.id} is signed and stored but not yet anchored ({exc}); it will be finished"
        ) from exc

    def refused(self, row: EvaluationRow, exc: ContractRevert) -> dict[str, Any]:
        self.refused_later(row, exc)
        raise Forbidden(f"the contract refused the report: {exc}") from exc

    def refused_later(self, row: EvaluationRow, reason: str | ContractRevert) -> None:
        log.warning("signed report %s is a draft again: the contract refused it: %s", row.id, reason)
        with self.sessions.begin() as session:
            rows.back_to_draft(session, row.id, f"the contract refused the signed report: {reason}")

    def pending(self) -> list[EvaluationRow]:
        with self.sessions() as session:
            return list(rows.pending(session))

    def confirmed(self, *, recent_from: int | None, after: str | None, limit: int) -> list[EvaluationRow]:
        with self.sessions() as session:
            return list(
                tracking.confirmed(session, EvaluationRow, ANCHORED, recent_from=recent_from, after=after, limit=limit)
            )

    def blocker(self, row: EvaluationRow) -> None:
        return None  # the evaluator's role is the contract's to check

    def _commit(self, row: EvaluationRow) -> ReportCommit:
        return self.service.commit_for(row.id, row.evaluator or "")

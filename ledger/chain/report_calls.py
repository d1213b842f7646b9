"""The contract's evaluation reports, as :class:`~ledger.chain.client.LedgerClient` calls them: relay
an evaluator-signed report, read one back, find a factory's reports. Appointing evaluators is a
role change (the client's ``grant_evaluator``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from ledger.chain.calls import ContractCalls
from ledger.chain.transactions import TxResult, result_of
from ledger.eip712 import ReportCommit


@dataclass(frozen=True)
class OnChainReport:
    """One anchored report, as the contract stores it."""

    report_id: int
    factory_id: str
    year: int
    report_type: str
    level: str
    report_hash: bytes
    factor_set: str
    rule_set: str
    evaluator: str
    anchored_at: int
    anchored_block: int


class ReportCalls(ContractCalls):
    """Report methods of the ledger client (a mixin: it uses the client's call and send plumbing)."""

    def anchor_report(self, commit: ReportCommit, signature: bytes) -> tuple[int, TxResult]:
        """Relay an evaluator-signed report; returns the new report id and the transaction."""
        receipt = self._send(self.contract.functions.anchorReport(commit.as_tuple(), signature))
        return self.report_id_of(receipt), result_of(receipt)

    def report_digest(self, commit: ReportCommit) -> bytes:
        """The digest the contract expects the evaluator to have signed."""
        return bytes(self._call(self.contract.functions.hashReport(commit.as_tuple())))

    def get_report(self, report_id: int) -> OnChainReport:
        """One anchored report; :class:`~ledger.chain.errors.UnknownReport` when there is none."""
        (report_hash, evaluator, anchored_at, anchored_block, year, factory_id, report_type, level, factor_set,
         rule_set) = self._call(self.contract.functions.getReport(report_id))  # fmt: skip
        return OnChainReport(
            report_id, factory_id, year, report_type, level, bytes(report_hash), factor_set, rule_set,
            to_checksum_address(evaluator), anchored_at, anchored_block,
        )  # fmt: skip

    def report_tx(self, report_id: int, anchored_block: int) -> str | None:
        """The transaction that anchored a report, from its ``ReportAnchored`` event in its block."""
        return self._event_tx(self.contract.events.ReportAnchored, anchored_block, {"reportId": report_id})

    def reports_for(self, factory_id: str, year: int, report_type: str) -> list[int]:
        """The ids of a factory's reports of one type for one year, oldest first."""
        return list(self._call(self.contract.functions.reportsFor(factory_id, year, report_type)))

    def report_count(self) -> int:
        return self._call(self.contract.functions.reportCount())

    def report_id_of(self, receipt: Any) -> int:
        (event,) = self.contract.events.ReportAnchored().process_receipt(receipt)
        return int(event["args"]["reportId"])

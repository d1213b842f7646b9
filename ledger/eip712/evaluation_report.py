"""``EvaluationReport``: what an evaluator signs to anchor a zero-carbon evaluation report.

The Python twin of ``EvaluationReports.ReportCommit``. The evaluator signs the hash of its report
together with the factory, year, report type ("I" or "II" for an evaluation, "H" for an hourly
matching run: ``ledger.hourly.run``), level, factor set and rule set, and its
own address, so the signature names its author. The contract checks that signature against that
address and requires the address to hold ``EVALUATOR_ROLE`` when the report is anchored; the type
here must match ``EvaluationReports.EVALUATION_REPORT_TYPEHASH`` exactly (a test compares our digest
with the contract's ``hashReport``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import StructTypes, TypedMessage

REPORT_TYPES: StructTypes = {
    "EvaluationReport": [
        {"name": "factoryId", "type": "string"},
        {"name": "year", "type": "uint16"},
        {"name": "reportType", "type": "string"},
        {"name": "level", "type": "string"},
        {"name": "reportHash", "type": "bytes32"},
        {"name": "factorSet", "type": "string"},
        {"name": "ruleSet", "type": "string"},
        {"name": "evaluator", "type": "address"},
    ],
}
REPORT_TYPE_STRING = (
    "EvaluationReport(string factoryId,uint16 year,string reportType,string level,bytes32 reportHash,"
    "string factorSet,string ruleSet,address evaluator)"
)


@dataclass(frozen=True)
class ReportCommit(TypedMessage):
    """One evaluation report, as its evaluator signs it.

    Only what the ABI needs is checked here (sizes of the fixed types); what a report may say
    (type "I", "II" or "H", a year from 2000 to 2200, a non-zero hash, ...) is the contract's to
    refuse; which types an evaluation may have is the evaluation service's (only "I" and "II").
    """

    PRIMARY_TYPE: ClassVar[str] = "EvaluationReport"
    TYPES: ClassVar[StructTypes] = REPORT_TYPES

    factory_id: str
    year: int
    report_type: str
    level: str
    report_hash: bytes
    factor_set: str
    rule_set: str
    evaluator: str

    def __post_init__(self) -> None:
        if not isinstance(self.report_hash, bytes) or len(self.report_hash) != 32:
            raise ValueError("report_hash: must be 32 bytes")
        if not 0 <= self.year < 2**16:
            raise ValueError("year: must fit in uint16")
        if not is_address(self.evaluator):
            raise ValueError("evaluator: must be an address")
        object.__setattr__(self, "evaluator", to_checksum_address(self.evaluator))

    def as_message(self) -> dict[str, Any]:
        return {
            "factoryId": self.factory_id,
            "year": self.year,
            "reportType": self.report_type,
            "level": self.level,
            "reportHash": self.report_hash,
            "factorSet": self.factor_set,
            "ruleSet": self.rule_set,
            "evaluator": self.evaluator,
        }

    def as_tuple(self) -> tuple[str, int, str, str, bytes, str, str, str]:
        """The ABI tuple for ``anchorReport`` and ``hashReport``."""
        return (
            self.factory_id,
            self.year,
            self.report_type,
            self.level,
            self.report_hash,
            self.factor_set,
            self.rule_set,
            self.evaluator,
        )


def typed_data(domain: LedgerDomain, commit: ReportCommit) -> dict[str, Any]:
    """The full EIP-712 message, as wallets' ``eth_signTypedData_v4`` takes it."""
    return commit.typed_data(domain)


def report_digest(domain: LedgerDomain, commit: ReportCommit) -> bytes:
    return commit.digest(domain)


def sign_report(signer: LocalAccount, domain: LedgerDomain, commit: ReportCommit) -> bytes:
    """The evaluator's 65-byte signature (r ‖ s ‖ v) over ``commit`` in ``domain``."""
    return commit.sign(signer, domain)


def recover_report_signer(domain: LedgerDomain, commit: ReportCommit, signature: bytes) -> str:
    """The address whose key made ``signature`` over ``commit`` (checksummed)."""
    return commit.recover(domain, signature)

"""Every EIP-712 message the contract checks, one small typed module each, side by side with the
Solidity structs they twin: ``BatchCommit`` (batch_commit), ``RetirementClaim`` + ``ClaimDetails``
(retirement_claim), ``EvaluationReport`` (evaluation_report) and ``SignerRotation``
(signer_rotation), and ``EvaluatorProfile`` (evaluator_profile, checked by the service only), in the domain of one deployed
contract (domain). :mod:`~ledger.eip712.typed_data` digests, signs and recovers them all.

This package depends on nothing of the ledger's: the chain adapter and the domain packages (records,
claims, accounting) import it, never the other way round.
"""

from ledger.eip712.batch_commit import BatchCommit
from ledger.eip712.domain import LedgerDomain
from ledger.eip712.evaluation_report import ReportCommit
from ledger.eip712.evaluator_profile import EvaluatorProfile
from ledger.eip712.retirement_claim import ClaimDetails, RetirementClaim, details_hash
from ledger.eip712.signer_rotation import SignerRotation
from ledger.eip712.typed_data import TypedMessage, digest, recover, sign

__all__ = [
    "BatchCommit",
    "ClaimDetails",
    "EvaluatorProfile",
    "LedgerDomain",
    "ReportCommit",
    "RetirementClaim",
    "SignerRotation",
    "TypedMessage",
    "details_hash",
    "digest",
    "recover",
    "sign",
]

"""``BatchCommit``: what a factory signs to anchor one revision of a month's batch.

The Python twin of ``BatchAnchors.BatchCommit``. The contract verifies the signature itself, so the
type here must match ``BatchAnchors.BATCH_COMMIT_TYPEHASH`` exactly; a test compares our digest with
the contract's ``hashBatchCommit`` and checks eth-account against EIP-712's published example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount

from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import StructTypes, TypedMessage

BATCH_COMMIT_TYPE = [
    {"name": "factoryId", "type": "string"},
    {"name": "period", "type": "string"},
    {"name": "revision", "type": "uint32"},
    {"name": "root", "type": "bytes32"},
    {"name": "leafCount", "type": "uint64"},
    {"name": "uri", "type": "string"},
]


@dataclass(frozen=True)
class BatchCommit(TypedMessage):
    """One revision of one period's batch, as the factory signs it."""

    PRIMARY_TYPE: ClassVar[str] = "BatchCommit"
    TYPES: ClassVar[StructTypes] = {"BatchCommit": BATCH_COMMIT_TYPE}

    factory_id: str
    period: str
    revision: int
    root: bytes
    leaf_count: int
    uri: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise ValueError("root: must be 32 bytes")
        if not 0 <= self.revision < 2**32:
            raise ValueError("revision: must fit in uint32")
        if not 0 <= self.leaf_count < 2**64:
            raise ValueError("leaf_count: must fit in uint64")

    def as_message(self) -> dict[str, Any]:
        return {
            "factoryId": self.factory_id,
            "period": self.period,
            "revision": self.revision,
            "root": self.root,
            "leafCount": self.leaf_count,
            "uri": self.uri,
        }

    def as_tuple(self) -> tuple[str, str, int, bytes, int, str]:
        """The ABI tuple for ``commitBatch``."""
        return (self.factory_id, self.period, self.revision, self.root, self.leaf_count, self.uri)


def typed_data(domain: LedgerDomain, commit: BatchCommit) -> dict[str, Any]:
    """The full EIP-712 message, as wallets' ``eth_signTypedData_v4`` takes it."""
    return commit.typed_data(domain)


def commit_digest(domain: LedgerDomain, commit: BatchCommit) -> bytes:
    return commit.digest(domain)


def sign_commit(signer: LocalAccount, domain: LedgerDomain, commit: BatchCommit) -> bytes:
    """The factory's 65-byte signature (r ‖ s ‖ v) over ``commit`` in ``domain``."""
    return commit.sign(signer, domain)


def recover_commit_signer(domain: LedgerDomain, commit: BatchCommit, signature: bytes) -> str:
    """The address whose key made ``signature`` over ``commit`` (checksummed)."""
    return commit.recover(domain, signature)

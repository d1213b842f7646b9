"""The EIP-712 ``BatchCommit`` a factory signs to anchor a batch, and its domain.

The contract verifies these signatures itself, so the type string here must match
``BatchAnchors.BATCH_COMMIT_TYPEHASH`` exactly; a test compares our digest with the contract's
``hashBatchCommit`` and checks eth-account against EIP-712's published example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from ledger.chain.typed_data import digest as typed_data_digest
from ledger.chain.typed_data import recover as typed_data_recover
from ledger.chain.typed_data import sign as typed_data_sign

DOMAIN_NAME = "CarbonLedger"
DOMAIN_VERSION = "1"

EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
BATCH_COMMIT_TYPE = [
    {"name": "factoryId", "type": "string"},
    {"name": "period", "type": "string"},
    {"name": "revision", "type": "uint32"},
    {"name": "root", "type": "bytes32"},
    {"name": "leafCount", "type": "uint64"},
    {"name": "uri", "type": "string"},
]


@dataclass(frozen=True)
class LedgerDomain:
    """The EIP-712 domain of one deployed CarbonLedger: signatures are valid for it alone."""

    chain_id: int
    verifying_contract: str
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


@dataclass(frozen=True)
class BatchCommit:
    """One revision of one period's batch, as the factory signs it."""

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
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "BatchCommit": BATCH_COMMIT_TYPE},
        "primaryType": "BatchCommit",
        "domain": domain.as_dict(),
        "message": commit.as_message(),
    }


def commit_digest(domain: LedgerDomain, commit: BatchCommit) -> bytes:
    return typed_data_digest(typed_data(domain, commit))


def sign_commit(signer: LocalAccount, domain: LedgerDomain, commit: BatchCommit) -> bytes:
    """The factory's 65-byte signature (r ‖ s ‖ v) over ``commit`` in ``domain``."""
    return typed_data_sign(signer, typed_data(domain, commit))


def recover_commit_signer(domain: LedgerDomain, commit: BatchCommit, signature: bytes) -> str:
    """The address whose key made ``signature`` over ``commit`` (checksummed)."""
    return typed_data_recover(typed_data(domain, commit), signature)

"""``RetirementClaim`` and its nested ``ClaimDetails``: what a factory signs to claim retired units.

The Python twin of ``RetirementClaims.ClaimCommit``. The descriptive fields are a nested
``ClaimDetails`` struct; the contract receives only the details' struct hash — which is exactly how
EIP-712 encodes a nested struct member — so a wallet shows everything and the chain stores 32 bytes.
Parsing a claim from its JSON form (and its rules) is the claims package's: this is only the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import StructTypes, TypedMessage

CLAIM_TYPES: StructTypes = {
    "RetirementClaim": [
        {"name": "factoryId", "type": "string"},
        {"name": "registry", "type": "string"},
        {"name": "blockId", "type": "string"},
        {"name": "serialStart", "type": "uint128"},
        {"name": "serialEnd", "type": "uint128"},
        {"name": "consumptionStart", "type": "string"},
        {"name": "consumptionEnd", "type": "string"},
        {"name": "details", "type": "ClaimDetails"},
    ],
    "ClaimDetails": [
        {"name": "projectId", "type": "string"},
        {"name": "technology", "type": "string"},
        {"name": "quantity", "type": "string"},
        {"name": "unit", "type": "string"},
        {"name": "generationStart", "type": "string"},
        {"name": "generationEnd", "type": "string"},
        {"name": "purpose", "type": "string"},
        {"name": "evidenceSha256", "type": "bytes32"},
        {"name": "country", "type": "string"},
        {"name": "region", "type": "string"},
        {"name": "methodology", "type": "string"},
        {"name": "cancellationNumber", "type": "string"},
        {"name": "cancellationDate", "type": "string"},
        {"name": "bundledWith", "type": "string"},
    ],
}
DETAILS_TYPEHASH = keccak(
    text="ClaimDetails(string projectId,string technology,string quantity,string unit,string generationStart,"
    "string generationEnd,string purpose,bytes32 evidenceSha256,string country,string region,string methodology,"
    "string cancellationNumber,string cancellationDate,string bundledWith)"
)
_DETAIL_TEXTS = (
    "project_id", "technology", "quantity", "unit", "generation_start", "generation_end", "purpose",
)  # fmt: skip
_DETAIL_FACTS = ("country", "region", "methodology", "cancellation_number", "cancellation_date", "bundled_with")


@dataclass(frozen=True)
class ClaimDetails:
    project_id: str
    technology: str
    quantity: str
    unit: str
    generation_start: str
    generation_end: str
    purpose: str
    evidence_sha256: bytes
    # What eligibility needs (signed, so a verifier sees what the factory declared):
    country: str = ""  # ISO 3166-1 alpha-2 of the generation (required by parse_claim)
    region: str = ""  # ISO 3166-2 subdivision of the generation, e.g. "CN-GD"; "" when unknown
    methodology: str = ""  # the registry's methodology / project-type code; "" only for certificates
    cancellation_number: str = ""  # the retirement (cancellation) statement's number
    cancellation_date: str = ""  # its date, YYYY-MM-DD
    bundled_with: str = ""  # source_id of the green_power_contract record this range came bundled with

    def as_message(self) -> dict[str, Any]:
        return {
            "projectId": self.project_id,
            "technology": self.technology,
            "quantity": self.quantity,
            "unit": self.unit,
            "generationStart": self.generation_start,
            "generationEnd": self.generation_end,
            "purpose": self.purpose,
            "evidenceSha256": self.evidence_sha256,
            "country": self.country,
            "region": self.region,
            "methodology": self.methodology,
            "cancellationNumber": self.cancellation_number,
            "cancellationDate": self.cancellation_date,
            "bundledWith": self.bundled_with,
        }


@dataclass(frozen=True)
class RetirementClaim(TypedMessage):
    PRIMARY_TYPE: ClassVar[str] = "RetirementClaim"
    TYPES: ClassVar[StructTypes] = CLAIM_TYPES

    factory_id: str
    registry: str
    block_id: str
    serial_start: int
    serial_end: int
    consumption_start: str
    consumption_end: str
    details: ClaimDetails

    @property
    def units(self) -> int:
        return self.serial_end - self.serial_start + 1

    def as_message(self) -> dict[str, Any]:
        return {
            "factoryId": self.factory_id,
            "registry": self.registry,
            "blockId": self.block_id,
            "serialStart": self.serial_start,
            "serialEnd": self.serial_end,
            "consumptionStart": self.consumption_start,
            "consumptionEnd": self.consumption_end,
            "details": self.details.as_message(),
        }

    def as_commit(self) -> tuple[str, str, str, int, int, str, str, bytes]:
        """The ABI tuple for ``claimRetirement``: the details travel as their struct hash."""
        return (
            self.factory_id,
            self.registry,
            self.block_id,
            self.serial_start,
            self.serial_end,
            self.consumption_start,
            self.consumption_end,
            details_hash(self.details),
        )

    def to_json(self) -> dict[str, Any]:
        d = self.details
        return {
            "factory_id": self.factory_id,
            "registry": self.registry,
            "block_id": self.block_id,
            "serial_start": str(self.serial_start),
            "serial_end": str(self.serial_end),
            "consumption_start": self.consumption_start,
            "consumption_end": self.consumption_end,
            "project_id": d.project_id,
            "technology": d.technology,
            "quantity": d.quantity,
            "unit": d.unit,
            "generation_start": d.generation_start,
            "generation_end": d.generation_end,
            "purpose": d.purpose,
            "evidence_sha256": d.evidence_sha256.hex(),
            "country": d.country,
            "region": d.region,
            "methodology": d.methodology,
            "cancellation_number": d.cancellation_number,
            "cancellation_date": d.cancellation_date,
            "bundled_with": d.bundled_with,
        }


def details_hash(details: ClaimDetails) -> bytes:
    """EIP-712 hashStruct of the details (what the contract stores and the outer struct encodes)."""
    texts = [keccak(text=getattr(details, name)) for name in _DETAIL_TEXTS]
    facts = [keccak(text=getattr(details, name)) for name in _DETAIL_FACTS]
    words = [DETAILS_TYPEHASH, *texts, details.evidence_sha256, *facts]
    return keccak(encode(["bytes32"] * len(words), words))


def typed_data(domain: LedgerDomain, claim: RetirementClaim) -> dict[str, Any]:
    """The full EIP-712 message, as wallets' ``eth_signTypedData_v4`` takes it."""
    return claim.typed_data(domain)


def claim_digest(domain: LedgerDomain, claim: RetirementClaim) -> bytes:
    return claim.digest(domain)


def sign_claim(signer: LocalAccount, domain: LedgerDomain, claim: RetirementClaim) -> bytes:
    return claim.sign(signer, domain)


def recover_claim_signer(domain: LedgerDomain, claim: RetirementClaim, signature: bytes) -> str:
    return claim.recover(domain, signature)

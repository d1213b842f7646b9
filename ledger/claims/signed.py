"""The signed claim: what a factory produces with ``zcl claim sign`` and the service accepts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.claims.claim import parse_claim
from ledger.eip712 import LedgerDomain, RetirementClaim
from ledger.records.errors import RecordError
from ledger.signing import check_named_signer, parse_envelope

SIGNED_KEYS = frozenset({"signature", "signer", "chain_id", "contract"})


@dataclass(frozen=True)
class SignedClaim:
    claim: RetirementClaim
    signature: bytes
    chain_id: int
    contract: str

    @property
    def domain(self) -> LedgerDomain:
        return LedgerDomain(chain_id=self.chain_id, verifying_contract=self.contract)

    def recovered_signer(self) -> str:
        try:
            return self.claim.recover(self.domain, self.signature)
        except Exception as exc:  # malformed r/s/v of the right length
            raise RecordError("signature", f"not a valid ECDSA signature ({exc.__class__.__name__})") from None

    def to_json(self) -> dict[str, Any]:
        return self.claim.to_json() | {
            "signature": "0x" + self.signature.hex(),
            "signer": self.recovered_signer(),
            "chain_id": self.chain_id,
            "contract": self.contract,
        }


def parse_signed_claim(data: Mapping[str, Any]) -> SignedClaim:
    claim = parse_claim(data, extra_keys=SIGNED_KEYS)
    envelope = parse_envelope(data)
    signed = SignedClaim(claim, envelope.signature, envelope.chain_id, envelope.contract)
    check_named_signer(data, signed.recovered_signer())
    return signed


def sign_claim_json(claim: RetirementClaim, signature: bytes, domain: LedgerDomain) -> dict[str, Any]:
    return SignedClaim(claim, signature, domain.chain_id, domain.verifying_contract).to_json()

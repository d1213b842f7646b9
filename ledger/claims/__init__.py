"""Retirement claims of green certificates and carbon credits, which no unit may appear in twice."""

from ledger.claims.claim import (
    CLAIM_TYPES,
    ClaimDetails,
    RetirementClaim,
    claim_digest,
    details_hash,
    parse_claim,
    recover_claim_signer,
    sign_claim,
)
from ledger.claims.registries import REGISTRIES, Registry, get_registry, register_registry
from ledger.claims.serials import SerialRange, parse_serial

__all__ = [
    "CLAIM_TYPES",
    "REGISTRIES",
    "ClaimDetails",
    "Registry",
    "SerialRange",
    "RetirementClaim",
    "claim_digest",
    "details_hash",
    "get_registry",
    "parse_claim",
    "parse_serial",
    "recover_claim_signer",
    "register_registry",
    "sign_claim",
]

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

__all__ = [
    "CLAIM_TYPES",
    "REGISTRIES",
    "ClaimDetails",
    "Registry",
    "RetirementClaim",
    "claim_digest",
    "details_hash",
    "get_registry",
    "parse_claim",
    "recover_claim_signer",
    "register_registry",
    "sign_claim",
]

"""Retirement claims on the wire: a claim as this service recorded it, as the chain records it,
and the buyer's certificate lookup. Serial numbers are strings: they exceed 2^53."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import Out


class ClaimDetailsOut(Out):
    """The signed claim as the factory sent it (without the signature): the details travel to the
    chain only as a hash, so this is where they can be read. Stored with sorted keys, so the fields
    are declared in that order and the answer's key order stays as it was."""

    block_id: str
    bundled_with: str = Field(
        "", description='source_id of the green_power_contract record this range came bundled with; "" if unbundled'
    )
    cancellation_date: str = Field("", description="the retirement statement's date, YYYY-MM-DD")
    cancellation_number: str = Field("", description="the retirement (cancellation) statement's number")
    consumption_end: str
    consumption_start: str
    country: str = Field("", description="ISO 3166-1 alpha-2 country of the generation")
    evidence_sha256: str = Field(description="64 hex digits, no 0x")
    factory_id: str
    generation_end: str
    generation_start: str
    methodology: str = Field(
        "", description='the registry\'s methodology or project-type code; may be "" for certificates'
    )
    project_id: str
    purpose: str
    quantity: str = Field(description="exact decimal string")
    region: str = Field("", description='ISO 3166-2 subdivision of the generation, e.g. "CN-GD"; "" when unknown')
    registry: str
    serial_end: str
    serial_start: str
    technology: str
    unit: str


class ClaimRecordOut(Out):
    """A claim as this service recorded it when it relayed it (``id`` is the service's own)."""

    id: str
    claim_id: int | None = Field(description="the chain's claim id; null until confirmed")
    status: str = Field(
        description="`claimed`; `pending` until the chain holds it; `conflict` when another claim holds its "
        "units (see `conflict`); `rejected` when the contract refused it (see `reason`). Never deleted."
    )
    factory_id: str
    registry: str
    block_id: str
    serial_start: str
    serial_end: str
    consumption_start: str
    consumption_end: str
    signer: str
    tx_hash: str | None
    block_number: int | None
    final: bool = Field(description="claimed under ZCL_CONFIRMATIONS blocks: a reorg can no longer take it")
    attestation: str | None = Field(
        description="null until claimed; on chain: `provisional` (recorded; holds its units; not counted by evaluations) until an "
        "attestor confirms it after checking the cancellation statement (`confirmed`), or the arbiter revokes it "
        "(`revoked`: its units are free again)"
    )
    conflict: dict[str, Any] | None = Field(description="the claim on chain that holds its units instead")
    reason: str | None
    details: ClaimDetailsOut


class ClaimOnChainOut(Out):
    """A claim as the chain records it, with its transaction and, when it was relayed here, its details."""

    claim_id: int
    status: str
    attestation: str = Field(
        description="on chain: `provisional` (recorded; holds its units; not counted by evaluations) until an "
        "attestor confirms it after checking the cancellation statement (`confirmed`), or the arbiter revokes it "
        "(`revoked`: its units are free again)"
    )
    decided_by: str | None = Field(description="the attestor who confirmed it, or the arbiter who revoked it")
    decided_at: int | None = Field(description="unix time of the decision")
    reason_hash: str | None = Field(description="a revocation's reason hash (the written reason is kept off chain)")
    factory_id: str
    registry: str
    block_id: str
    serial_start: str
    serial_end: str
    consumption_start: str
    consumption_end: str
    signer: str
    details_hash: str
    claimed_at: int = Field(description="the block's unix time")
    block_number: int
    tx_hash: str | None
    details: ClaimDetailsOut | None = Field(description="null when the claim was relayed by another service")


ClaimSubmitOut = ClaimRecordOut | ClaimOnChainOut
"""``POST /claims`` answers with the claim as recorded here, or, when the same signed claim was sent
twice at once and the other request won, as the chain records it."""


class CertificateClaimOut(ClaimOnChainOut):
    """A claim over units a buyer looked up, with the part of the looked-up range it holds."""

    overlap_start: str = Field(description="the first looked-up unit this claim holds (or held)")
    overlap_end: str = Field(description="the last looked-up unit this claim holds (or held)")
    overlap_units: int = Field(description="how many looked-up units it holds (or held)")


class UnclaimedRangeOut(Out):
    serial_start: str
    serial_end: str
    units: int


class CertificateStatusOut(Out):
    """The buyer's check of a serial, or of a block id and unit range (CCER's only way): whether any
    unit is retired, by whom, for when; which units are free; which claims over them were revoked."""

    registry: str
    block_id: str
    serial_start: str
    serial_end: str
    unit: str = Field(description="what one unit stands for in this registry: MWh or tCO2e")
    units: int
    claimed: bool
    units_claimed: int = Field(description="units held by live claims (provisional or confirmed)")
    units_confirmed: int = Field(description="of those, units held by claims an attestor confirmed")
    units_unclaimed: int = Field(description="units no live claim holds")
    unclaimed: list[UnclaimedRangeOut] = Field(description="the looked-up units no live claim holds, as ranges")
    claims: list[CertificateClaimOut] = Field(description="the live claims holding looked-up units, in serial order")
    revoked_claims: list[CertificateClaimOut] = Field(
        description="claims over looked-up units that the arbiter revoked (their units are free again), as far as "
        "this service's index of the chain's events has followed them"
    )
    contract: str
    chain_id: int

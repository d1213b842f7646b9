"""Proofs on the wire: one record's self-contained proof bundle (what `zcl verify` and
`POST /verify` take) and a verification's outcome. A batch's streamed proofs are NDJSON, described
where that route declares its media type."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Out, TxOut


class SignedEvidenceOut(Out):
    """An evidence reference as the record carries it (keys in the stored, sorted order)."""

    file_name: str
    media_type: str
    sha256: str


class RecordBodyOut(Out):
    """The record exactly as signed and stored. The stored JSON has sorted keys, so the fields are
    declared in that order and the bundle's key order stays as it was."""

    evidence: list[SignedEvidenceOut]
    factory_id: str
    interval_end: str
    interval_start: str
    kind: str
    period: str
    salt: str
    source_id: str
    unit: str
    value: str = Field(description="exact decimal string")


class ProofBundleOut(Out):
    """Everything needed to check one record against the chain without trusting this service."""

    format: str = Field(examples=["zcl-proof-bundle/1"])
    chain_id: int
    contract: str
    factory_id: str
    period: str
    revision: int
    record_id: str
    record: RecordBodyOut
    record_hash: str
    leaf: str
    proof: list[str] = Field(description="sibling hashes from the leaf up, 0x-hex")
    root: str
    leaf_count: int
    uri: str
    batch_signature: str
    signer: str
    anchor: TxOut


class CheckOut(Out):
    name: str
    ok: bool | None
    detail: str


class VerificationOut(Out):
    valid: bool
    superseded_by: int | None
    checks: list[CheckOut]
    could_not_check: bool = Field(
        False, description="a check failed because the node did not answer, not because of the bundle: retry"
    )

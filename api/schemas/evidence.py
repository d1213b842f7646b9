"""Evidence files on the wire: what is recorded of a stored file, the presence check, and which of
a batch's evidence is here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from api.schemas.common import Out

MAX_STATUS_HASHES = 10_000
"""Hashes one presence check may ask about."""


class EvidenceOut(Out):
    sha256: str = Field(description="sha256 of the file, 64 lower-case hex digits")
    size: int
    media_type: str = Field(description="as the file's first citation (a batch's record, else a claim) gives it")
    file_name: str = Field(
        description="as the file's first citation gives it, when it was stored; never the uploader's"
    )


class EvidenceMetaOut(EvidenceOut):
    stored_at: str
    present: bool = Field(description="the file is in the store with its recorded size")


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hashes: list[StrictStr] = Field(max_length=MAX_STATUS_HASHES, description="sha256 hex digests")


class RecordEvidenceRefOut(Out):
    """One evidence reference of a record, and whether its file is here."""

    sha256: str
    file_name: str
    media_type: str
    present: bool


class RecordEvidenceOut(Out):
    record_id: str
    position: int
    source_id: str
    kind: str
    evidence: list[RecordEvidenceRefOut]


class MissingEvidenceOut(Out):
    sha256: str
    file_name: str = Field(description="the name the first record referencing it gave")


class BatchEvidenceOut(Out):
    """Every evidence reference of a batch's records; nothing is left out, a missing file is listed
    with `present: false` and in `missing`."""

    batch_id: str
    factory_id: str
    period: str
    revision: int
    complete: bool = Field(description="every referenced file is here")
    referenced: int = Field(description="distinct files referenced")
    missing: list[MissingEvidenceOut]
    records: list[RecordEvidenceOut]

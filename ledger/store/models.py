"""Tables. Quantities are kept as the exact decimal strings the factory signed, never as floats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ChainTracked:
    """What every relayed row keeps about its way to the chain (see :mod:`ledger.services.lifecycle`).

    ``tx_hash``/``tx_nonce``/``tx_sent_at`` name the one transaction in flight for a pending row (a
    second copy is never sent while it can still be mined; it is replaced by the same nonce); once
    confirmed, ``tx_hash`` and ``block_number`` are the transaction and block the chain's event names,
    whoever relayed it. ``final`` is set when ``ZCL_CONFIRMATIONS`` blocks lie on top and the watcher
    found the content still there. ``conflict`` names what the chain holds instead (JSON), ``reason``
    why the contract refused the row; neither row is ever deleted.
    """

    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    tx_nonce: Mapped[int | None] = mapped_column(BigInteger)
    tx_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    final: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    conflict: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class FactoryRow(Base):
    """What the service knows of a factory beyond the chain: its name and registration tx.

    The signer is never stored here: the chain's registry is the only authority for it.
    """

    __tablename__ = "factories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    registered_tx: Mapped[str | None] = mapped_column(String(66))
    registered_block: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the profile (0013): location and boundary; NULL is unknown (factories registered before 0013 start so)
    province: Mapped[str | None] = mapped_column(String(8))
    grid_region: Mapped[str | None] = mapped_column(String(32))
    legal_entity: Mapped[str | None] = mapped_column(String(200))
    unified_social_credit_code: Mapped[str | None] = mapped_column(String(18))
    site_address: Mapped[str | None] = mapped_column(String(200))
    facilities: Mapped[str | None] = mapped_column(Text)  # JSON list of names
    profile_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the source register (0015): JSON {version, updated_at, sources: {source_id: declaration}}; NULL: none declared
    source_register: Mapped[str | None] = mapped_column(Text)


Index("ix_factories_id_lower", func.lower(FactoryRow.id), unique=True)  # ids differing only in case are one


class BatchRow(ChainTracked, Base):
    """One signed batch revision. ``status`` is ``pending`` until the chain holds its root.

    ``slot`` is empty for the row that speaks for its revision; a rejected row that a new submission
    of the same revision replaces keeps its data and moves aside (``slot`` = its own id).
    """

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("factory_id", "period", "revision", "slot", name="uq_batch_revision"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    factory_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7))
    revision: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(66))
    leaf_count: Mapped[int] = mapped_column(Integer)
    uri: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(42))
    status: Mapped[str] = mapped_column(String(16))
    slot: Mapped[str] = mapped_column(String(36), default="", server_default="")
    anchored_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    records: Mapped[list[RecordRow]] = relationship(
        back_populates="batch", order_by="RecordRow.position", cascade="all, delete-orphan"
    )


class RecordRow(Base):
    """One measurement record, with its canonical JSON (what was hashed) and queryable columns."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("batch_id", "position", name="uq_record_position"),
        Index("ix_records_kind_source", "kind", "source_id"),  # generation profiles across factories (0018)
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    record_hash: Mapped[str] = mapped_column(String(66), index=True)
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    interval_start: Mapped[str] = mapped_column(String(32))
    interval_end: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)

    batch: Mapped[BatchRow] = relationship(back_populates="records")


class BatchTreeRow(Base):
    """A batch's Merkle tree as built when it was stored (:meth:`ledger.merkle.MerkleTree.stored`),
    so pages and proofs need not rebuild it from every record hash: ``nodes`` (``2n - 1`` hashes, the
    root first), ``positions`` (record position -> node, little-endian 64-bit words) and ``digest``
    (sha256 of both, hex), which catches a damaged row before a proof is served from it."""

    __tablename__ = "batch_trees"

    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True)
    nodes: Mapped[bytes] = mapped_column(LargeBinary)
    positions: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))


class ClaimRow(ChainTracked, Base):
    """A retirement claim this service relayed. Serials are zero-padded to 39 digits, so comparing
    the strings compares the numbers (up to 2**128 - 1) in any database."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("claim_id", name="uq_claim_chain_id"),
        UniqueConstraint("signature", name="uq_claim_signature"),
        Index("ix_claims_block_serial", "registry", "block_id", "serial_start"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(BigInteger)
    factory_id: Mapped[str] = mapped_column(String(64), index=True)
    registry_name: Mapped[str] = mapped_column("registry", String(32))
    block_id: Mapped[str] = mapped_column(String(128))
    serial_start: Mapped[str] = mapped_column(String(39))
    serial_end: Mapped[str] = mapped_column(String(39))
    consumption_start: Mapped[str] = mapped_column(String(7))
    consumption_end: Mapped[str] = mapped_column(String(7))
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(42))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EvaluationRow(ChainTracked, Base):
    """An evaluation report: its canonical JSON, and once signed, the evaluator and the anchor."""

    __tablename__ = "evaluations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    factory_id: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    report_type: Mapped[str] = mapped_column(String(2))
    level: Mapped[str] = mapped_column(String(16))
    report_hash: Mapped[str] = mapped_column(String(66))
    report: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    evaluator: Mapped[str | None] = mapped_column(String(42))
    signature: Mapped[str | None] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # {period: revision used (0: missing)}, to tell a stale report without reading ``report`` (0012)
    revisions: Mapped[str | None] = mapped_column(Text)
    # the evaluator's signed identity as it stood when they signed this report (JSON, 0013)
    evaluator_identity: Mapped[str | None] = mapped_column(Text)
    # {level_confirmed, level_status, level_unconfirmed_because} of the report's evaluation (JSON, 0014)
    level_confirmation: Mapped[str | None] = mapped_column(Text)
    factor_set: Mapped[str | None] = mapped_column(String(80))  # id@version, kept beside the report (0016)


class MatchingAllocationRow(Base):
    """A matching run's pieces and what it allocated to each (``np.savez_compressed`` of the
    :class:`~ledger.hourly.model.Allocation` arrays) and the claims it read (JSON), so a proof of one
    unit's hour is served without re-running the year; ``leaf_count`` and ``root`` are checked against
    the rebuilt tree before a proof leaves (0018)."""

    __tablename__ = "matching_allocations"

    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    arrays: Mapped[bytes] = mapped_column(LargeBinary)
    claims: Mapped[str] = mapped_column(Text)
    leaf_count: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(66))


class EvaluatorProfileRow(Base):
    """An evaluator's identity (name, organisation, accreditation number), as the evaluator's own key
    signed it (EIP-712 ``EvaluatorProfile``). ``version`` counts the signed profiles of the address, so
    an older signed profile cannot be replayed over a newer one."""

    __tablename__ = "evaluator_profiles"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    accreditation: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EvidenceRow(Base):
    """A stored evidence file (``<evidence dir>/<sha256[0:2]>/<sha256>``): its size, and the file name
    and media type its first citation gave it when it was stored (:class:`EvidenceCitationRow`; files
    stored before citations were recorded keep the ones they were uploaded with)."""

    __tablename__ = "evidence"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChainClaimRow(Base):
    """Every retirement claim on chain, whoever relayed it, as the events announced it: an index for
    position hints and buyers' lookups. The chain stays the judge — a hint from here is checked by
    the contract, and a lookup's answer is read from it — so a row a reorg made stale costs a
    longer walk, never a wrong answer."""

    __tablename__ = "chain_claims"
    __table_args__ = (
        Index("ix_chain_claims_block_serial", "registry", "block_id", "serial_start"),
        Index("ix_chain_claims_block_status", "registry", "block_id", "status", "serial_start"),  # revoked (0017)
    )

    claim_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    factory_id: Mapped[str] = mapped_column(String(64))
    registry_name: Mapped[str] = mapped_column("registry", String(128))
    block_id: Mapped[str] = mapped_column(String(128))
    serial_start: Mapped[str] = mapped_column(String(39))
    serial_end: Mapped[str] = mapped_column(String(39))
    status: Mapped[str] = mapped_column(String(16))
    claimed_block: Mapped[int] = mapped_column(BigInteger)


class ChainCursorRow(Base):
    """How far a follower of the chain's events has read (the first block it has not)."""

    __tablename__ = "chain_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_block: Mapped[int] = mapped_column(BigInteger)


class EvidenceCitationRow(Base):
    """Who cites an evidence file, and the name and media type they give it: a stored batch (one row
    per distinct sha256 among its records' evidence) or a stored claim (its retirement statement).

    Written in the transaction that stores the batch or claim; the evidence store takes only bytes
    cited here and records them under their first citation's name (a batch's before a claim's).
    """

    __tablename__ = "evidence_citations"
    __table_args__ = (CheckConstraint("(batch_id IS NULL) <> (claim_id IS NULL)", name="ck_citation_one_citer"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    claim_id: Mapped[str | None] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))

"""Batches: accept a factory-signed month, anchor it through the lifecycle, read it back.

The database pre-checks give fast, friendly answers (an identical resubmission, a revision the chain
already holds, a gap); the contract decides. A batch is stored ``pending`` before its commit is
relayed (:mod:`ledger.services.lifecycle`); when the chain does not answer, it stays queued and the
reconciler anchors it later, after checking its signer there.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError as DuplicateRow
from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient
from ledger.chain.errors import ChainUnavailable, ContractRevert
from ledger.chain.signatures import check_signature
from ledger.eip712 import BatchCommit, LedgerDomain
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.merkle import MerkleTree
from ledger.records import check_factory_id, check_period
from ledger.services.auth import authenticate
from ledger.services.lifecycle import WAIT, Lifecycle, Marker, Other, StoredRelay
from ledger.services.trees import BatchTrees
from ledger.services.views import BatchSummary, BatchView, RecordView, batch_summary, batch_view
from ledger.signing import SignedBatch
from ledger.store import batches as rows
from ledger.store import tracking
from ledger.store.batches import ANCHORED, PENDING, REJECTED
from ledger.store.models import BatchRow
from ledger.store.spool import RecordSpool
from ledger.store.tracking import CONFLICT
from ledger.streamed import StreamEnvelope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnchorTx:
    """Where the chain holds a batch: the transaction that anchored it (None when its event cannot be
    found) and its block."""

    tx_hash: str | None
    block_number: int


@dataclass(frozen=True)
class Admitted:
    """A streamed batch's envelope, authenticated: the signer the contract will record, and whether
    the chain did not answer (the batch is then queued, its signer checked when the chain is back)."""

    envelope: StreamEnvelope
    signer: str
    queued: bool


class BatchService:
    def __init__(
        self, ledger: LedgerClient, sessions: sessionmaker[Session], trees: BatchTrees, *, wait_timeout: float = 120.0
    ) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.trees = trees
        self.wait_timeout = wait_timeout
        self.relay = BatchRelay(self)
        self.lifecycle: Lifecycle[BatchRow, AnchorTx, bool] = Lifecycle(self.relay)

    def submit(self, signed: SignedBatch, *, limit: int | None = None) -> tuple[BatchView, bool]:
        """Store and anchor a signed batch. Returns the batch (with its first ``limit`` records,
        all when None) and whether this call created it.

        When the chain does not answer (on the signer check or the send) the batch is still
        accepted: it is stored ``pending`` (status in the returned view) and anchored by the
        reconciler when the chain is back, after its signer is checked there.
        """
        signer, queued = self._admit(signed.commit, signed.domain, signed.signature, signed.recovered_signer)
        return self._store(
            signed.commit, signed.signature, signer, queued, signed.tree,
            lambda session, batch_id: rows.insert_batch(session, batch_id, signed, signer), limit,
        )  # fmt: skip

    def admit_stream(self, envelope: StreamEnvelope) -> Admitted:
        """Authenticate a streamed batch from its envelope alone, before any record is read: the
        same checks as :meth:`submit` (signed for this chain and contract, by the factory's registered
        signer or its ERC-1271 wallet), so junk costs a line, not a body."""
        signer, queued = self._admit(envelope.commit, envelope.domain, envelope.signature, envelope.recovered_signer)
        return Admitted(envelope, signer, queued)

    def submit_stream(
        self, admitted: Admitted, tree: MerkleTree, records: RecordSpool, *, limit: int | None = None
    ) -> tuple[BatchView, bool]:
        """Store and anchor a streamed batch admitted by :meth:`admit_stream`, whose spooled records
        gave ``tree`` with the signed root: as :meth:`submit`, the records inserted from the spool."""
        commit = admitted.envelope.commit
        return self._store(
            commit, admitted.envelope.signature, admitted.signer, admitted.queued, tree,
            lambda session, batch_id: rows.insert_streamed(session, batch_id, commit, admitted.envelope.signature,
                                                           admitted.signer, records.columns()),
            limit,
        )  # fmt: skip

    def _admit(
        self, commit: BatchCommit, domain: LedgerDomain, signature: bytes, recovered: Callable[[], str]
    ) -> tuple[str, bool]:
        """The signer the contract will record, and whether the batch is queued (chain unavailable)."""
        try:
            signer = authenticate(
                self.ledger, domain, commit.factory_id, recovered(), "batch", message=commit, signature=signature
            )
        except ChainUnavailable as exc:
            if self.ledger.domain_if_read is None:  # the domain was never read: cannot check what was signed for
                raise Unavailable(f"the chain does not answer ({exc}); try again later") from exc
            log.warning("chain unavailable; batch of %s %s queued: %s", commit.factory_id, commit.period, exc)
            return recovered(), True
        return signer, False

    def _store(
        self, batch: BatchCommit, signature: bytes, signer: str, queued: bool, tree: MerkleTree | None,
        insert: Callable[[Session, str], None], limit: int | None,
    ) -> tuple[BatchView, bool]:  # fmt: skip
        """What :meth:`submit` and :meth:`submit_stream` share once the signer is known: the
        database and chain pre-checks, the row (``insert`` writes it), and the lifecycle."""
        existing = self._find(batch.factory_id, batch.period, batch.revision)
        if existing is not None and existing.status == REJECTED:
            self._move_aside(existing.id)  # a rejected batch keeps its data but gives its revision back
            existing = None
        if existing is not None:
            return self._resubmitted(existing, batch.root, signature, limit), False
        already_anchored = False
        if not queued:
            try:
                on_chain = self.ledger.revision_count(batch.factory_id, batch.period)
            except ChainUnavailable:
                queued = True
        if not queued:
            if batch.revision <= on_chain:
                slot = self.ledger.anchor_slot(batch.factory_id, batch.period, batch.revision)
                if slot is None or slot[0] != batch.root:
                    held = f" with root 0x{slot[0].hex()}" if slot else ""
                    raise Conflict(
                        f"revision {batch.revision} of {batch.factory_id} {batch.period} is already anchored on chain"
                        f"{held}, not this batch's root 0x{batch.root.hex()}"
                    )
                already_anchored = True  # relayed by someone else (another instance, or a copy of our call)
            elif batch.revision != on_chain + 1:
                raise Conflict(
                    f"revision {batch.revision} of {batch.factory_id} {batch.period} leaves a gap: "
                    f"the next revision is {on_chain + 1}"
                )

        batch_id = str(uuid.uuid4())
        with self.lifecycle.in_flight(batch_id):
            try:
                with self.sessions.begin() as session:
                    insert(session, batch_id)
                    if tree is not None and tree.root == batch.root:
                        self.trees.save(session, batch_id, tree)  # so no view need rebuild it
            except DuplicateRow:
                existing = self._find(batch.factory_id, batch.period, batch.revision)
                if existing is None:
                    raise
                return self._resubmitted(existing, batch.root, signature, limit), False
            if tree is not None and tree.root == batch.root:
                self.trees.remember(batch_id, tree)
            if queued:
                self.lifecycle.stored()
            elif already_anchored:
                self.lifecycle.stored()
                self.lifecycle.settle(self.row(batch_id))
            else:
                self.lifecycle.relay(self.row(batch_id))
            return self.get(batch_id, limit=limit), True

    def _resubmitted(self, existing: BatchView, root: bytes, signature: bytes, limit: int | None) -> BatchView:
        """An identical resubmission gets the same answer — after a look at the chain, so a batch whose
        anchor is gone is anchored again; anything else for that revision conflicts."""
        same = existing.root == "0x" + root.hex() and existing.signature == "0x" + signature.hex()
        if not same:
            raise Conflict(
                f"revision {existing.revision} of {existing.factory_id} {existing.period} is already batch "
                f"{existing.id} with root {existing.root}"
            )
        if existing.status == CONFLICT:
            raise Conflict(existing.reason or f"batch {existing.id} conflicts with the chain")
        if existing.status == ANCHORED:
            try:
                self.lifecycle.recheck(self.row(existing.id))  # still there? (a reorg may have taken it)
            except ChainUnavailable:
                pass  # answer from the database, which says what it last saw
            existing = self.get(existing.id, limit=0)
        if existing.status == PENDING and not self._may_be_anchoring(existing.id):
            try:
                self.lifecycle.retry(self.row(existing.id))
            except ChainUnavailable:
                pass  # still queued: the reconciler anchors it when the chain is back
            existing = self.get(existing.id, limit=0)
        deadline = time.monotonic() + self.wait_timeout
        while existing.status == PENDING and self._may_be_anchoring(existing.id) and time.monotonic() < deadline:
            time.sleep(0.1)  # the first submission, here or on another instance, is anchoring it right now
            existing = self.get(existing.id, limit=0)
        if existing.status == PENDING and self._may_be_anchoring(existing.id):
            raise Unavailable(f"batch {existing.id} is still waiting for its anchor; ask again later")
        if existing.status == CONFLICT:
            raise Conflict(existing.reason or f"batch {existing.id} conflicts with the chain")
        return self.get(existing.id, limit=limit)  # anchored, or queued for the reconciler (202)

    def _may_be_anchoring(self, batch_id: str) -> bool:
        """Whether a submission may be anchoring this batch now: in this process, or — for a row
        younger than the wait timeout — on another instance sharing the database."""
        if self.lifecycle.is_in_flight(batch_id):
            return True
        with self.sessions() as session:
            created = rows.created_at(session, batch_id)
        return self.lifecycle.may_be_relaying(batch_id, created, self.wait_timeout)

    def reconcile(self) -> int:
        """Finish every pending batch from the chain; returns how many were anchored.

        A batch already on chain (by content) is marked anchored; one that is not is checked against
        the factory's registered signer and its signed commit resent, unless its transaction is still
        in flight. A batch whose revision holds another root is marked ``conflict``; one whose signer
        is not the factory's, or that the contract refuses, ``rejected``. Nothing is deleted.
        """
        return self.lifecycle.reconcile()

    def watch(self, *, everything: bool | None = None) -> int:
        """Re-check anchored batches against the chain (:meth:`Lifecycle.watch`)."""
        return self.lifecycle.watch(everything=everything)

    # --- reads ----------------------------------------------------------------------------------

    def row(self, batch_id: str) -> BatchRow:
        with self.sessions() as session:
            row = rows.get(session, batch_id)
        if row is None:
            raise NotFound(f"no batch {batch_id}")
        return row

    def _find(self, factory_id: str, period: str, revision: int) -> BatchView | None:
        """The batch of that revision, without its records."""
        with self.sessions() as session:
            row = rows.find_revision(session, factory_id, period, revision)
            return batch_view(row, [], 0) if row else None

    def get(self, batch_id: str, *, offset: int = 0, limit: int | None = None) -> BatchView:
        """The batch with its records from position ``offset`` on, ``limit`` of them (all when None)."""
        with self.sessions() as session:
            row = rows.get(session, batch_id)
            if row is None:
                raise NotFound(f"no batch {batch_id}")
            records: list[RecordView] = []
            if limit is None or limit > 0:
                records = [RecordView(**r._asdict()) for r in rows.record_page(session, batch_id, offset, limit)]
            view = batch_view(row, records, offset)
        return view

    def list_for(self, factory_id: str, period: str | None = None) -> list[BatchSummary]:
        """The factory's batches without their records (a month may hold a million)."""
        check_factory_id(factory_id)
        if period is not None:
            check_period(period)
        with self.sessions() as session:
            return [batch_summary(r) for r in rows.list_for(session, factory_id, period)]

    def record_bodies(self, batch_id: str, *, offset: int = 0, limit: int | None = None) -> list[str]:
        """The canonical JSON of each record of a batch, in batch order (what was hashed), from
        position ``offset`` on, ``limit`` of them (all when None)."""
        with self.sessions() as session:
            return rows.record_bodies(session, batch_id, offset, limit)

    def _move_aside(self, batch_id: str) -> None:
        with self.sessions.begin() as session:
            rows.move_aside(session, batch_id)


class BatchRelay(StoredRelay):
    """The batch's part of the lifecycle: ``commitBatch`` relays it; the chain holds it when the
    revision's anchored root is the batch's root (the transaction is read from the revision's
    ``BatchAnchored`` event, whoever sent it); another root there is a conflict."""

    name = "batch"
    model = BatchRow
    pending_status = PENDING

    def __init__(self, service: BatchService) -> None:
        self.service = service
        self.ledger = service.ledger
        self.sessions = service.sessions

    def call(self, row: BatchRow) -> Any:
        return self.ledger.contract.functions.commitBatch(_commit_of(row).as_tuple(), bytes.fromhex(row.signature[2:]))

    def sent(self, row: BatchRow, receipt: Any) -> AnchorTx:
        return AnchorTx("0x" + receipt["transactionHash"].hex(), int(receipt["blockNumber"]))

    def on_chain(self, row: BatchRow) -> AnchorTx | Other | None:
        return self._held(row, None)

    def still_held(self, row: BatchRow) -> AnchorTx | Other | None:
        return self._held(row, row.block_number)

    def _held(self, row: BatchRow, known_block: int | None) -> AnchorTx | Other | None:
        """What the revision's slot holds: one ``getAnchor``, and the event's tx unless the block is
        the one already known."""
        slot = self.ledger.anchor_slot(row.factory_id, row.period, row.revision)
        if slot is None:
            return None
        root, signer, block = slot
        if "0x" + root.hex() != row.root:
            return self._other(row, root, signer, block)
        if block == known_block:
            return AnchorTx(row.tx_hash, block)
        return AnchorTx(self.ledger.anchored_tx(row.factory_id, row.period, row.revision, block), block)

    def _other(self, row: BatchRow, root: bytes, signer: str, block: int) -> Other:
        tx = self.ledger.anchored_tx(row.factory_id, row.period, row.revision, block)
        what = {"root": "0x" + root.hex(), "signer": signer, "block_number": block, "tx_hash": tx}
        return Other(
            what,
            f"revision {row.revision} of {row.factory_id} {row.period} is anchored on chain with root 0x{root.hex()} "
            f"(signer {signer}, block {block}, tx {tx}); batch {row.id} with root {row.root} is kept as a conflict",
        )

    def confirm(self, row: BatchRow, found: AnchorTx, final: bool) -> bool:
        anchored_at = row.anchored_at
        if found.block_number != row.block_number or anchored_at is None:
            anchored_at = self.ledger.block_time(found.block_number)
        with self.sessions.begin() as session:
            rows.mark_anchored(session, row.id, found.tx_hash, found.block_number, anchored_at, final)
        return True

    def unsent(self, row: BatchRow, exc: ChainUnavailable) -> bool:
        log.warning("batch %s queued: the chain does not answer: %s", row.id, exc)
        return False  # pending: the reconciler anchors it when the chain is back

    def refused(self, row: BatchRow, exc: ContractRevert) -> bool:
        self.refused_later(row, exc)
        if isinstance(exc, chain_errors.InvalidCommitSignature):
            raise Forbidden(f"the contract refused the signature: {exc}") from exc
        raise Conflict(f"the contract refused the batch: {exc}") from exc

    def refused_later(self, row: BatchRow, reason: str | ContractRevert) -> None:
        if isinstance(reason, chain_errors.InvalidCommitSignature):
            reason = f"the contract refused the signature: {reason}"
        elif isinstance(reason, ContractRevert):
            reason = f"the contract refused the batch: {reason}"
        log.warning("batch %s rejected (kept): %s", row.id, reason)
        with self.sessions.begin() as session:
            rows.mark_rejected(session, row.id, reason)

    def pending(self) -> list[BatchRow]:
        with self.sessions() as session:
            return list(rows.pending(session))

    def confirmed(self, *, recent_from: int | None, after: str | None, limit: int) -> list[BatchRow]:
        with self.sessions() as session:
            return list(
                tracking.confirmed(session, BatchRow, ANCHORED, recent_from=recent_from, after=after, limit=limit)
            )

    def blocker(self, row: BatchRow) -> str | Marker | None:
        count = self.ledger.revision_count(row.factory_id, row.period)
        if row.revision != count + 1:
            with self.sessions() as session:
                if rows.has_pending_before(session, row):
                    return WAIT  # an earlier revision is still waiting; this one follows it
            return f"revision {row.revision} leaves a gap: the chain's next revision is {count + 1}"
        try:
            registered = self.ledger.current_signer(row.factory_id)
        except chain_errors.UnknownFactory:
            return f"factory {row.factory_id} is not registered"
        if registered.lower() == row.signer.lower():
            return None
        if check_signature(self.ledger, registered, _commit_of(row), bytes.fromhex(row.signature[2:])).valid:
            return None  # a contract-wallet signer (ERC-1271) accepts its owner's signature
        return f"signed by {row.signer}, but factory {row.factory_id}'s registered signer is {registered}"


def _commit_of(row: BatchRow) -> BatchCommit:
    return BatchCommit(row.factory_id, row.period, row.revision, bytes.fromhex(row.root[2:]), row.leaf_count, row.uri)


__all__ = ["ANCHORED", "CONFLICT", "PENDING", "REJECTED", "AnchorTx", "BatchRelay", "BatchService"]

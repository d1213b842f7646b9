"""Batches: accept a factory-signed month, anchor it through the lifecycle, read it back.

The database pre-checks give fast, friendly answers (an identical resubmission, a revision the chain
already holds, a gap); the contract decides. A batch is stored ``pending`` before its commit is
relayed (:mod:`ledger.services.lifecycle`); when the chain does not answer, it stays queued and the
reconciler anchors it later, after checking its signer there.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError as DuplicateRow
from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient
from ledger.chain.errors import ChainUnavailable, ContractRevert
from ledger.eip712 import BatchCommit
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.records import check_factory_id, check_period
from ledger.services.auth import authenticate
from ledger.services.lifecycle import LOST, WAIT, Lifecycle, Marker
from ledger.services.trees import TreeCache
from ledger.services.views import BatchSummary, BatchView, RecordView, batch_summary, batch_view
from ledger.signing import SignedBatch
from ledger.store import batches as rows
from ledger.store.batches import ANCHORED, PENDING, REJECTED
from ledger.store.models import BatchRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnchorTx:
    """The transaction that anchored a batch (None when its event cannot be found)."""

    tx_hash: str | None


class BatchService:
    def __init__(
        self, ledger: LedgerClient, sessions: sessionmaker[Session], trees: TreeCache, *, wait_timeout: float = 120.0
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
        batch = signed.batch
        queued = False
        try:
            signer = authenticate(
                self.ledger, signed.domain, batch.factory_id, signed.recovered_signer(), "batch",
                message=signed.commit, signature=signed.signature,
            )  # fmt: skip
        except ChainUnavailable as exc:
            if self.ledger.domain_if_read is None:  # the domain was never read: cannot check what was signed for
                raise Unavailable(f"the chain does not answer ({exc}); try again later") from exc
            log.warning("chain unavailable; batch of %s %s queued: %s", batch.factory_id, batch.period, exc)
            signer, queued = signed.recovered_signer(), True

        existing = self._find(batch.factory_id, batch.period, batch.revision)
        if existing is not None and existing.status == REJECTED:
            self.drop(existing.id)  # a rejected queued batch gives its revision back
            existing = None
        if existing is not None:
            return self._resubmitted(existing, signed, limit), False
        if not queued:
            try:
                on_chain = self.ledger.revision_count(batch.factory_id, batch.period)
            except ChainUnavailable:
                queued = True
        if not queued:
            if batch.revision <= on_chain:
                raise Conflict(
                    f"revision {batch.revision} of {batch.factory_id} {batch.period} is already anchored on chain "
                    "(by another service, or this is a replay)"
                )
            if batch.revision != on_chain + 1:
                raise Conflict(
                    f"revision {batch.revision} of {batch.factory_id} {batch.period} leaves a gap: "
                    f"the next revision is {on_chain + 1}"
                )

        batch_id = str(uuid.uuid4())
        with self.lifecycle.in_flight(batch_id):
            try:
                with self.sessions.begin() as session:
                    rows.insert_batch(session, batch_id, signed, signer)
            except DuplicateRow:
                existing = self._find(batch.factory_id, batch.period, batch.revision)
                if existing is None:
                    raise
                return self._resubmitted(existing, signed, limit), False
            if signed.tree is not None:
                self.trees.remember(batch_id, signed.tree)
            if queued:
                self.lifecycle.stored()
            else:
                self.lifecycle.relay(self._row(batch_id))
            return self.get(batch_id, limit=limit), True

    def _resubmitted(self, existing: BatchView, signed: SignedBatch, limit: int | None) -> BatchView:
        """An identical resubmission gets the same answer; anything else for that revision conflicts."""
        same = existing.root == "0x" + signed.root.hex() and existing.signature == "0x" + signed.signature.hex()
        if not same:
            raise Conflict(
                f"revision {existing.revision} of {existing.factory_id} {existing.period} is already batch "
                f"{existing.id} with root {existing.root}"
            )
        deadline = time.monotonic() + self.wait_timeout
        while existing.status == PENDING and self._may_be_anchoring(existing.id) and time.monotonic() < deadline:
            time.sleep(0.1)  # the first submission, here or on another instance, is anchoring it right now
            existing = self.get(existing.id, limit=0)
        if existing.status == PENDING and self._may_be_anchoring(existing.id):
            raise Unavailable(f"batch {existing.id} is still waiting for its anchor; ask again later")
        return self.get(existing.id, limit=limit)  # anchored, or queued for the reconciler (202)

    def _may_be_anchoring(self, batch_id: str) -> bool:
        """Whether a submission may be anchoring this batch now: in this process, or — for a row
        younger than the wait timeout — on another instance sharing the database."""
        if self.lifecycle.is_in_flight(batch_id):
            return True
        with self.sessions() as session:
            created = rows.created_at(session, batch_id)
        return created is not None and (datetime.now(UTC) - created).total_seconds() < self.wait_timeout

    def reconcile(self) -> int:
        """Finish every pending batch from the chain; returns how many were anchored.

        A batch already on chain is marked anchored; one that is not is checked against the
        factory's registered signer and its signed commit resent. A batch the chain can no longer
        take (another root holds its revision) is dropped; one whose signer is not the factory's,
        or that the contract refuses, is marked ``rejected``.
        """
        return self.lifecycle.reconcile()

    # --- reads ----------------------------------------------------------------------------------

    def _row(self, batch_id: str) -> BatchRow:
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
        if view.status == REJECTED:
            reason = self.relay.reasons.get(batch_id) or (
                f"refused when the chain came back (signed by {view.signer}; check factory {view.factory_id}'s "
                "registered signer)"
            )
            view = dataclasses.replace(view, reason=reason)
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

    def record_hashes(self, batch_id: str) -> list[bytes]:
        """Every stored record hash of a batch, in batch order: enough to rebuild its tree from the
        database (not from a cache), which is what a page that says "records give the root" must do."""
        with self.sessions() as session:
            return [bytes.fromhex(h[2:]) for h in rows.record_hashes(session, batch_id)]

    def drop(self, batch_id: str) -> None:
        with self.sessions.begin() as session:
            rows.delete_batch(session, batch_id)
        self.trees.forget(batch_id)


class BatchRelay:
    """The batch's part of the lifecycle: ``commitBatch`` relays it; the chain holds it when the
    revision's anchored root is the batch's root."""

    name = "batch"

    def __init__(self, service: BatchService) -> None:
        self.service = service
        self.ledger = service.ledger
        self.reasons: dict[str, str] = {}  # why a batch was rejected, for as long as this process runs

    def send(self, row: BatchRow) -> AnchorTx:
        return AnchorTx(self.ledger.commit_batch(_commit_of(row), bytes.fromhex(row.signature[2:])).tx_hash)

    def confirm(self, row: BatchRow, sent: AnchorTx) -> bool:
        anchor = self.ledger.get_anchor(row.factory_id, row.period, row.revision)
        with self.service.sessions.begin() as session:
            rows.mark_anchored(session, row.id, sent.tx_hash, anchor.anchored_block, anchor.anchored_at)
        return True

    def unsent(self, row: BatchRow, exc: ChainUnavailable) -> bool:
        log.warning("batch %s queued: the chain does not answer: %s", row.id, exc)
        return False  # pending: the reconciler anchors it when the chain is back

    def refused(self, row: BatchRow, exc: ContractRevert) -> bool:
        self.service.drop(row.id)
        if isinstance(exc, chain_errors.InvalidCommitSignature):
            raise Forbidden(f"the contract refused the signature: {exc}") from exc
        raise Conflict(f"the contract refused the batch: {exc}") from exc

    def pending(self) -> list[BatchRow]:
        with self.service.sessions() as session:
            return list(rows.pending(session))

    def held(self, row: BatchRow) -> AnchorTx | Marker | None:
        if self.ledger.revision_count(row.factory_id, row.period) < row.revision:
            return None
        anchor = self.ledger.get_anchor(row.factory_id, row.period, row.revision)
        if "0x" + anchor.root.hex() != row.root:
            log.warning("batch %s lost its revision to another root on chain; dropping it", row.id)
            self.service.drop(row.id)
            return LOST
        return AnchorTx(self._anchor_tx(row))

    def blocker(self, row: BatchRow) -> str | Marker | None:
        count = self.ledger.revision_count(row.factory_id, row.period)
        if row.revision != count + 1:
            with self.service.sessions() as session:
                if rows.has_pending_before(session, row):
                    return WAIT  # an earlier revision is still waiting; this one follows it
            return f"revision {row.revision} leaves a gap: the chain's next revision is {count + 1}"
        try:
            registered = self.ledger.current_signer(row.factory_id)
        except chain_errors.UnknownFactory:
            return f"factory {row.factory_id} is not registered"
        if registered.lower() != row.signer.lower():
            return f"signed by {row.signer}, but factory {row.factory_id}'s registered signer is {registered}"
        return None

    def refused_later(self, row: BatchRow, reason: str | ContractRevert) -> None:
        if isinstance(reason, chain_errors.InvalidCommitSignature):
            reason = f"the contract refused the signature: {reason}"
        elif isinstance(reason, ContractRevert):
            reason = f"the contract refused the batch: {reason}"
        log.warning("batch %s rejected: %s", row.id, reason)
        self.reasons[row.id] = reason
        with self.service.sessions.begin() as session:
            rows.mark_rejected(session, row.id)

    def _anchor_tx(self, row: BatchRow) -> str | None:
        for event in self.ledger.anchored_events(row.factory_id):
            if event["period"] == row.period and event["revision"] == row.revision:
                return str(event["tx_hash"])
        return None


def _commit_of(row: BatchRow) -> BatchCommit:
    return BatchCommit(row.factory_id, row.period, row.revision, bytes.fromhex(row.root[2:]), row.leaf_count, row.uri)


__all__ = ["ANCHORED", "PENDING", "REJECTED", "AnchorTx", "BatchRelay", "BatchService"]

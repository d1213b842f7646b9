"""The notary: registers factories, accepts signed batches, anchors them, and hands out proofs.

A batch is written to the database as ``pending`` before its transaction is sent and marked
``anchored`` once the chain has it, so a crash in between loses nothing: :meth:`Notary.reconcile`
(run at start-up) finds pending batches and finishes them from the chain, resending the factory's
signed commit if it never landed. The database pre-checks give fast, friendly answers; the
contract decides.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ledger import faults
from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient
from ledger.chain.commit import BatchCommit, LedgerDomain
from ledger.chain.errors import ChainUnavailable, ContractRevert, TransactionTimeout
from ledger.merkle import MerkleTree
from ledger.records import RecordError, check_factory_id, check_period
from ledger.signing import SignedBatch
from ledger.store.models import BatchRow, FactoryRow, RecordRow

log = logging.getLogger(__name__)

PENDING, ANCHORED, REJECTED = "pending", "anchored", "rejected"
BUNDLE_FORMAT = "zcl-proof-bundle/1"


class NotaryError(Exception):
    """Base of the notary's refusals; the API maps each subclass to an HTTP status."""


class NotFound(NotaryError):
    pass


class Forbidden(NotaryError):
    pass


class Conflict(NotaryError):
    pass


class Unavailable(NotaryError):
    """The chain did not answer or confirm in time; the batch is kept and will be finished."""


def authenticate(ledger: LedgerClient, signed_for: LedgerDomain, factory_id: str, signer: str, what: str) -> str:
    """Check a factory-signed submission before it costs gas: signed for this chain and contract,
    by the factory's current key in the on-chain registry. Returns the signer."""
    domain = ledger.domain()
    if (signed_for.chain_id, signed_for.verifying_contract.lower()) != (
        domain.chain_id, domain.verifying_contract.lower(),
    ):  # fmt: skip
        raise RecordError(
            "contract",
            f"signed for chain {signed_for.chain_id} contract {signed_for.verifying_contract}; this service "
            f"writes to chain {domain.chain_id} contract {domain.verifying_contract}",
        )
    try:
        registered = ledger.current_signer(factory_id)
    except chain_errors.UnknownFactory:
        raise RecordError("factory_id", f"factory {factory_id} is not registered") from None
    if signer.lower() != registered.lower():
        raise Forbidden(f"the {what} is signed by {signer}, but factory {factory_id}'s registered signer is {registered}")
    return signer


@dataclass(frozen=True)
class FactoryView:
    id: str
    name: str | None
    signer: str
    signer_history: list[dict[str, Any]]
    registered_tx: str | None


@dataclass(frozen=True)
class RecordView:
    id: str
    position: int
    record_hash: str
    source_id: str
    kind: str
    value: str
    unit: str
    interval_start: str
    interval_end: str


@dataclass(frozen=True)
class BatchView:
    id: str
    factory_id: str
    period: str
    revision: int
    root: str
    leaf_count: int
    uri: str
    signer: str
    signature: str
    status: str
    tx_hash: str | None
    block_number: int | None
    anchored_at: int | None
    records: list[RecordView]
    reason: str | None = None  # why a queued batch was rejected when the chain came back


@dataclass(frozen=True)
class BatchSummary:
    id: str
    period: str
    revision: int
    root: str
    leaf_count: int
    status: str
    tx_hash: str | None
    block_number: int | None


class Notary:
    def __init__(self, ledger: LedgerClient, sessions: sessionmaker[Session], *, wait_timeout: float = 120.0) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.wait_timeout = wait_timeout
        self._trees: OrderedDict[str, MerkleTree] = OrderedDict()
        self._trees_lock = threading.Lock()
        self._in_flight: set[str] = set()  # batches a request is anchoring right now
        self._in_flight_lock = threading.Lock()
        self._reconcile_lock = threading.Lock()
        self._reasons: dict[str, str] = {}

    @property
    def domain(self) -> LedgerDomain:
        return self.ledger.domain()

    # --- factories --------------------------------------------------------------------------

    def register_factory(self, factory_id: str, name: str, signer: str) -> FactoryView:
        check_factory_id(factory_id)
        if not name.strip() or len(name) > 200:
            raise RecordError("name", "must be 1-200 characters")
        try:
            tx = self.ledger.register_factory(factory_id, signer)
        except chain_errors.FactoryAlreadyRegistered as exc:
            raise Conflict(f"factory {factory_id} is already registered on chain") from exc
        except chain_errors.InvalidSignerAddress:
            raise RecordError("signer", "cannot be the zero address") from None
        with self.sessions.begin() as session:
            session.merge(
                FactoryRow(
                    id=factory_id,
                    name=name.strip(),
                    registered_tx=tx.tx_hash,
                    registered_block=tx.block_number,
                    created_at=datetime.now(UTC),
                )
            )
        return self.get_factory(factory_id)

    def rotate_signer(self, factory_id: str, new_signer: str) -> FactoryView:
        try:
            self.ledger.rotate_signer(factory_id, new_signer)
        except chain_errors.UnknownFactory:
            raise NotFound(f"factory {factory_id} is not registered") from None
        except chain_errors.SignerUnchanged:
            raise Conflict(f"{new_signer} is already factory {factory_id}'s signer") from None
        except chain_errors.InvalidSignerAddress:
            raise RecordError("signer", "cannot be the zero address") from None
        return self.get_factory(factory_id)

    def list_factories(self) -> list[dict[str, Any]]:
        """The factories registered through this service, with their batch count and latest period."""
        with self.sessions() as session:
            factories = session.scalars(select(FactoryRow).order_by(FactoryRow.id)).all()
            counts = dict(
                session.execute(select(BatchRow.factory_id, func.count()).group_by(BatchRow.factory_id)).all()
            )
            latest = dict(
                session.execute(select(BatchRow.factory_id, func.max(BatchRow.period)).group_by(BatchRow.factory_id)).all()
            )
        return [
            {"id": f.id, "name": f.name, "registered_tx": f.registered_tx, "batches": counts.get(f.id, 0),
             "latest": latest.get(f.id)}
            for f in factories
        ]  # fmt: skip

    def get_factory(self, factory_id: str) -> FactoryView:
        try:
            history = self.ledger.signer_history(factory_id)
        except chain_errors.UnknownFactory:
            raise NotFound(f"factory {factory_id} is not registered") from None
        with self.sessions() as session:
            row = session.get(FactoryRow, factory_id)
        return FactoryView(
            id=factory_id,
            name=row.name if row else None,
            signer=history[-1].signer,
            signer_history=[
                {"signer": e.signer, "valid_from_block": e.valid_from_block, "valid_from_time": e.valid_from_time}
                for e in history
            ],
            registered_tx=row.registered_tx if row else None,
        )

    # --- batches ----------------------------------------------------------------------------

    def submit_batch(self, signed: SignedBatch) -> tuple[BatchView, bool]:
        """Store and anchor a signed batch. Returns the batch and whether this call created it.

        When the chain does not answer (on the signer check or the send) the batch is still
        accepted: it is stored ``pending`` (status in the returned view) and anchored by
        :meth:`reconcile` when the chain is back, after its signer is checked there.
        """
        batch = signed.batch
        queued = False
        try:
            signer = authenticate(self.ledger, signed.domain, batch.factory_id, signed.recovered_signer(), "batch")
        except ChainUnavailable as exc:
            if self.ledger._domain is None:  # the domain was never read: cannot check what was signed for
                raise Unavailable(f"the chain does not answer ({exc}); try again later") from exc
            log.warning("chain unavailable; batch of %s %s queued: %s", batch.factory_id, batch.period, exc)
            signer, queued = signed.recovered_signer(), True

        existing = self._find_batch(batch.factory_id, batch.period, batch.revision)
        if existing is not None and existing.status == REJECTED:
            self._drop(existing.id)  # a rejected queued batch gives its revision back
            existing = None
        if existing is not None:
            return self._resubmitted(existing, signed), False
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
        with self._in_flight_lock:
            self._in_flight.add(batch_id)
        try:
            try:
                with self.sessions.begin() as session:
                    session.add(self._new_row(batch_id, signed, signer))
            except IntegrityError:
                existing = self._find_batch(batch.factory_id, batch.period, batch.revision)
                if existing is None:
                    raise
                return self._resubmitted(existing, signed), False
            faults.crash_point("batch.stored")
            if queued:
                return self.get_batch(batch_id), True
            return self._anchor(batch_id, signed), True
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(batch_id)

    def _resubmitted(self, existing: BatchView, signed: SignedBatch) -> BatchView:
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
            existing = self.get_batch(existing.id)
        if existing.status == PENDING and self._may_be_anchoring(existing.id):
            raise Unavailable(f"batch {existing.id} is still waiting for its anchor; ask again later")
        return existing  # anchored, or queued for the reconciler (the caller answers 202)

    def _may_be_anchoring(self, batch_id: str) -> bool:
        """Whether a submission may be anchoring this batch now: in this process, or — for a row
        younger than the wait timeout — on another instance sharing the database."""
        if self._is_in_flight(batch_id):
            return True
        with self.sessions() as session:
            created = session.scalar(select(BatchRow.created_at).where(BatchRow.id == batch_id))
        if created is None:
            return False
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        return (datetime.now(UTC) - created).total_seconds() < self.wait_timeout

    def _is_in_flight(self, batch_id: str) -> bool:
        with self._in_flight_lock:
            return batch_id in self._in_flight

    def _new_row(self, batch_id: str, signed: SignedBatch, signer: str) -> BatchRow:
        batch = signed.batch
        row = BatchRow(
            id=batch_id,
            factory_id=batch.factory_id,
            period=batch.period,
            revision=batch.revision,
            root="0x" + signed.root.hex(),
            leaf_count=signed.leaf_count,
            uri=batch.uri,
            signature="0x" + signed.signature.hex(),
            signer=signer,
            status=PENDING,
            created_at=datetime.now(UTC),
        )
        for position, (record, record_hash) in enumerate(zip(batch.records, batch.record_hashes(), strict=True)):
            body = record.to_json()
            row.records.append(
                RecordRow(
                    id=str(uuid.uuid4()),
                    position=position,
                    record_hash="0x" + record_hash.hex(),
                    source_id=record.source_id,
                    kind=record.kind,
                    value=record.value,
                    unit=record.unit,
                    interval_start=body["interval_start"],
                    interval_end=body["interval_end"],
                    body=json.dumps(body, sort_keys=True, ensure_ascii=False),
                )
            )
        return row

    def _anchor(self, batch_id: str, signed: SignedBatch) -> BatchView:
        try:
            with faults.scope("batch"):
                tx = self.ledger.commit_batch(signed.commit, signed.signature)
        except ChainUnavailable as exc:
            log.warning("batch %s queued: the chain does not answer: %s", batch_id, exc)
            return self.get_batch(batch_id)  # pending: the reconciler anchors it when the chain is back
        except TransactionTimeout as exc:
            log.warning("batch %s kept pending: %s", batch_id, exc)
            raise Unavailable(f"batch {batch_id} is stored but not yet anchored ({exc}); it will be finished") from exc
        except ContractRevert as exc:
            self._drop(batch_id)
            if isinstance(exc, chain_errors.InvalidCommitSignature):
                raise Forbidden(f"the contract refused the signature: {exc}") from exc
            raise Conflict(f"the contract refused the batch: {exc}") from exc
        faults.crash_point("batch.mined")
        self._mark_anchored(batch_id, tx.tx_hash)
        return self.get_batch(batch_id)

    def _mark_anchored(self, batch_id: str, tx_hash: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(BatchRow, batch_id)
            assert row is not None
            anchor = self.ledger.get_anchor(row.factory_id, row.period, row.revision)
            row.status, row.tx_hash = ANCHORED, tx_hash
            row.block_number, row.anchored_at = anchor.anchored_block, anchor.anchored_at

    def _drop(self, batch_id: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(BatchRow, batch_id)
            if row is not None:
                session.delete(row)

    def reconcile(self) -> int:
        """Finish every pending batch from the chain; returns how many were finished.

        A batch already on chain is marked anchored; one that is not is checked against the
        factory's registered signer and its signed commit resent. A batch the chain can no longer
        take (another root holds its revision) is dropped; one whose signer is not the factory's,
        or that the contract refuses, is marked ``rejected``. ChainUnavailable propagates: the
        rest stays pending for the next round. Batches a request is anchoring are left to it.
        """
        with self._reconcile_lock:
            with self.sessions() as session:
                pending = session.scalars(
                    select(BatchRow)
                    .where(BatchRow.status == PENDING)
                    .order_by(BatchRow.factory_id, BatchRow.period, BatchRow.revision)
                    .options(selectinload(BatchRow.records))
                ).all()
            finished = 0
            for row in pending:
                if self._is_in_flight(row.id):
                    continue
                if self._finish(row):
                    finished += 1
            return finished

    def _finish(self, row: BatchRow) -> bool:
        count = self.ledger.revision_count(row.factory_id, row.period)
        if count >= row.revision:
            anchor = self.ledger.get_anchor(row.factory_id, row.period, row.revision)
            if "0x" + anchor.root.hex() != row.root:
                log.warning("batch %s lost its revision to another root on chain; dropping it", row.id)
                self._drop(row.id)
                return False
            self._mark_anchored(row.id, self._anchor_tx(row))
            return True
        if row.revision != count + 1:
            if self._has_pending_before(row):
                return False  # an earlier revision is still waiting; this one follows it
            return self._reject(row, f"revision {row.revision} leaves a gap: the chain's next revision is {count + 1}")
        try:
            registered = self.ledger.current_signer(row.factory_id)
        except chain_errors.UnknownFactory:
            return self._reject(row, f"factory {row.factory_id} is not registered")
        if registered.lower() != row.signer.lower():
            return self._reject(
                row, f"signed by {row.signer}, but factory {row.factory_id}'s registered signer is {registered}"
            )
        try:
            with faults.scope("batch"):
                tx = self.ledger.commit_batch(_commit_of(row), bytes.fromhex(row.signature[2:]))
        except ContractRevert as exc:
            if isinstance(exc, chain_errors.InvalidCommitSignature):
                return self._reject(row, f"the contract refused the signature: {exc}")
            return self._reject(row, f"the contract refused the batch: {exc}")
        faults.crash_point("batch.mined")
        self._mark_anchored(row.id, tx.tx_hash)
        return True

    def _has_pending_before(self, row: BatchRow) -> bool:
        with self.sessions() as session:
            return session.scalar(
                select(func.count()).select_from(BatchRow).where(
                    BatchRow.factory_id == row.factory_id, BatchRow.period == row.period,
                    BatchRow.revision < row.revision, BatchRow.status == PENDING,
                )
            ) > 0  # fmt: skip

    def _reject(self, row: BatchRow, reason: str) -> bool:
        log.warning("batch %s rejected: %s", row.id, reason)
        self._reasons[row.id] = reason
        with self.sessions.begin() as session:
            stored = session.get(BatchRow, row.id)
            if stored is not None:
                stored.status = REJECTED
        return False

    def _anchor_tx(self, row: BatchRow) -> str | None:
        for event in self.ledger.anchored_events(row.factory_id):
            if event["period"] == row.period and event["revision"] == row.revision:
                return str(event["tx_hash"])
        return None

    def _find_batch(self, factory_id: str, period: str, revision: int) -> BatchView | None:
        with self.sessions() as session:
            row = session.scalars(
                select(BatchRow)
                .where(BatchRow.factory_id == factory_id, BatchRow.period == period, BatchRow.revision == revision)
                .options(selectinload(BatchRow.records))
            ).one_or_none()
            return _batch_view(row) if row else None

    def get_batch(self, batch_id: str) -> BatchView:
        with self.sessions() as session:
            row = session.get(BatchRow, batch_id, options=[selectinload(BatchRow.records)])
            if row is None:
                raise NotFound(f"no batch {batch_id}")
            view = _batch_view(row)
        if view.status == REJECTED:
            reason = self._reasons.get(batch_id) or (
                f"refused when the chain came back (signed by {view.signer}; check factory {view.factory_id}'s "
                "registered signer)"
            )
            view = dataclasses.replace(view, reason=reason)
        return view

    def list_batches(self, factory_id: str, period: str | None = None) -> list[BatchSummary]:
        """The factory's batches without their records (a month may hold a million)."""
        check_factory_id(factory_id)
        query = select(BatchRow).where(BatchRow.factory_id == factory_id)
        if period is not None:
            check_period(period)
            query = query.where(BatchRow.period == period)
        query = query.order_by(BatchRow.period, BatchRow.revision)
        with self.sessions() as session:
            return [
                BatchSummary(r.id, r.period, r.revision, r.root, r.leaf_count, r.status, r.tx_hash, r.block_number)
                for r in session.scalars(query).all()
            ]

    def record_bodies(self, batch_id: str) -> list[str]:
        """The canonical JSON of each record of a batch, in batch order (what was hashed)."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(RecordRow.body).where(RecordRow.batch_id == batch_id).order_by(RecordRow.position)
                )
            )

    # --- proofs -----------------------------------------------------------------------------

    def proof_bundle(self, record_id: str) -> dict[str, Any]:
        """A self-contained proof that a record was anchored: everything `zcl verify` needs."""
        with self.sessions() as session:
            record = session.get(RecordRow, record_id)
            if record is None:
                raise NotFound(f"no record {record_id}")
            batch = session.get(BatchRow, record.batch_id)
            assert batch is not None
            if batch.status != ANCHORED:
                raise Unavailable(f"record {record_id}'s batch {batch.id} is not anchored yet")
            tree = self._tree(batch.id, session)
        return {
            "format": BUNDLE_FORMAT,
            "chain_id": self.domain.chain_id,
            "contract": self.domain.verifying_contract,
            "factory_id": batch.factory_id,
            "period": batch.period,
            "revision": batch.revision,
            "record_id": record.id,
            "record": json.loads(record.body),
            "record_hash": record.record_hash,
            "leaf": "0x" + tree.leaf(record.position).hex(),
            "proof": ["0x" + node.hex() for node in tree.proof(record.position)],
            "root": batch.root,
            "leaf_count": batch.leaf_count,
            "uri": batch.uri,
            "batch_signature": batch.signature,
            "signer": batch.signer,
            "anchor": {"tx_hash": batch.tx_hash, "block_number": batch.block_number},
        }

    def _tree(self, batch_id: str, session: Session) -> MerkleTree:
        with self._trees_lock:
            tree = self._trees.get(batch_id)
            if tree is not None:
                self._trees.move_to_end(batch_id)
                return tree
        hashes: Sequence[str] = session.scalars(
            select(RecordRow.record_hash).where(RecordRow.batch_id == batch_id).order_by(RecordRow.position)
        ).all()
        tree = MerkleTree.build([bytes.fromhex(h[2:]) for h in hashes])
        with self._trees_lock:
            self._trees[batch_id] = tree
            while len(self._trees) > 16:
                self._trees.popitem(last=False)
        return tree


def _commit_of(row: BatchRow) -> BatchCommit:
    return BatchCommit(row.factory_id, row.period, row.revision, bytes.fromhex(row.root[2:]), row.leaf_count, row.uri)


def _batch_view(row: BatchRow) -> BatchView:
    return BatchView(
        id=row.id,
        factory_id=row.factory_id,
        period=row.period,
        revision=row.revision,
        root=row.root,
        leaf_count=row.leaf_count,
        uri=row.uri,
        signer=row.signer,
        signature=row.signature,
        status=row.status,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
        anchored_at=row.anchored_at,
        records=[
            RecordView(
                r.id, r.position, r.record_hash, r.source_id, r.kind, r.value, r.unit, r.interval_start, r.interval_end
            )
            for r in row.records
        ],
    )


class Reconciler:
    """A daemon thread that runs ``steps`` (each a reconcile returning how many it finished) every
    ``interval`` seconds until :meth:`stop`. A chain that does not answer is logged and retried."""

    def __init__(self, steps: Sequence[Any], interval: float) -> None:
        self.steps, self.interval = list(steps), interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zcl-reconciler", daemon=True)

    def start(self) -> Reconciler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for step in self.steps:
                if self._stop.is_set():
                    return
                try:
                    finished = step()
                except ChainUnavailable as exc:
                    log.info("reconcile: the chain does not answer yet (%s)", exc)
                    break
                except Exception:  # keep the loop alive whatever one round hits
                    log.exception("reconcile round failed")
                    continue
                if finished:
                    log.warning("reconcile: finished %d pending item(s)", finished)

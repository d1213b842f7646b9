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
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger import faults
from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient
from ledger.eip712 import BatchCommit, LedgerDomain
from ledger.chain.errors import ChainUnavailable, ContractRevert, TransactionTimeout
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.merkle import MerkleTree
from ledger.records import MeasurementRecord, RecordError, check_factory_id, check_period
from ledger.signing import SignedBatch
from ledger.store.models import BatchRow, FactoryRow, RecordRow

log = logging.getLogger(__name__)

PENDING, ANCHORED, REJECTED = "pending", "anchored", "rejected"
BUNDLE_FORMAT = "zcl-proof-bundle/1"
INSERT_CHUNK = 5000
"""Records per INSERT executemany: few round trips, bounded parameter lists."""
PROOF_CHUNK = 2000
"""Proof lines per piece of a streamed proofs response."""
TREE_CACHE_LEAVES = 4_000_000
"""Leaves kept across the cached trees (about 130 bytes each); the newest tree always stays."""
_BODY_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_RECORD_TABLE = RecordRow.__table__
_BATCH_TABLE = BatchRow.__table__


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
    record_count: int = 0  # all the batch's records; ``records`` may be one page of them
    offset: int = 0  # the position of ``records[0]``
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
        self._tree_leaves = 0
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

    def submit_batch(self, signed: SignedBatch, *, limit: int | None = None) -> tuple[BatchView, bool]:
        """Store and anchor a signed batch. Returns the batch (with its first ``limit`` records,
        all when None) and whether this call created it.

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

        batch_id = _new_id()
        with self._in_flight_lock:
            self._in_flight.add(batch_id)
        try:
            try:
                with self.sessions.begin() as session:
                    self._store(session, batch_id, signed, signer)
            except IntegrityError:
                existing = self._find_batch(batch.factory_id, batch.period, batch.revision)
                if existing is None:
                    raise
                return self._resubmitted(existing, signed, limit), False
            if signed.tree is not None:
                self._remember_tree(batch_id, signed.tree)
            faults.crash_point("batch.stored")
            if not queued:
                self._anchor(batch_id, signed)
            return self.get_batch(batch_id, limit=limit), True
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(batch_id)

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
            existing = self.get_batch(existing.id, limit=0)
        if existing.status == PENDING and self._may_be_anchoring(existing.id):
            raise Unavailable(f"batch {existing.id} is still waiting for its anchor; ask again later")
        return self.get_batch(existing.id, limit=limit)  # anchored, or queued for the reconciler (202)

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

    def _store(self, session: Session, batch_id: str, signed: SignedBatch, signer: str) -> None:
        """The batch row and its records, in bulk: one executemany per :data:`INSERT_CHUNK` records
        rather than an ORM object and a round trip each. Portable Core: SQLite and PostgreSQL."""
        batch = signed.batch
        session.execute(
            insert(_BATCH_TABLE),
            {
                "id": batch_id, "factory_id": batch.factory_id, "period": batch.period, "revision": batch.revision,
                "root": "0x" + signed.root.hex(), "leaf_count": signed.leaf_count, "uri": batch.uri,
                "signature": "0x" + signed.signature.hex(), "signer": signer, "status": PENDING,
                "created_at": datetime.now(UTC),
            },
        )  # fmt: skip
        records, hashes = batch.records, batch.record_hashes()
        statement = insert(_RECORD_TABLE)
        ids = _record_ids(len(records))
        for first in range(0, len(records), INSERT_CHUNK):
            chunk = records[first : first + INSERT_CHUNK]
            session.execute(
                statement,
                [
                    _record_values(next(ids), batch_id, first + i, record, hashes[first + i])
                    for i, record in enumerate(chunk)
                ],
            )

    def _anchor(self, batch_id: str, signed: SignedBatch) -> None:
        try:
            with faults.scope("batch"):
                tx = self.ledger.commit_batch(signed.commit, signed.signature)
        except ChainUnavailable as exc:
            log.warning("batch %s queued: the chain does not answer: %s", batch_id, exc)
            return  # pending: the reconciler anchors it when the chain is back
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

    def _mark_anchored(self, batch_id: str, tx_hash: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(BatchRow, batch_id)
            assert row is not None
            anchor = self.ledger.get_anchor(row.factory_id, row.period, row.revision)
            row.status, row.tx_hash = ANCHORED, tx_hash
            row.block_number, row.anchored_at = anchor.anchored_block, anchor.anchored_at

    def _drop(self, batch_id: str) -> None:
        with self.sessions.begin() as session:  # two statements, not an ORM delete per record
            session.execute(delete(_RECORD_TABLE).where(_RECORD_TABLE.c.batch_id == batch_id))
            session.execute(delete(_BATCH_TABLE).where(_BATCH_TABLE.c.id == batch_id))
        self._forget_tree(batch_id)

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
        """The batch of that revision, without its records."""
        with self.sessions() as session:
            row = session.scalars(
                select(BatchRow).where(
                    BatchRow.factory_id == factory_id, BatchRow.period == period, BatchRow.revision == revision
                )
            ).one_or_none()
            return _batch_view(row, [], 0) if row else None

    def get_batch(self, batch_id: str, *, offset: int = 0, limit: int | None = None) -> BatchView:
        """The batch with its records from position ``offset`` on, ``limit`` of them (all when None)."""
        with self.sessions() as session:
            row = session.get(BatchRow, batch_id)
            if row is None:
                raise NotFound(f"no batch {batch_id}")
            records: list[RecordView] = []
            if limit is None or limit > 0:
                c = _RECORD_TABLE.c
                query = (
                    select(c.id, c.position, c.record_hash, c.source_id, c.kind, c.value, c.unit,
                           c.interval_start, c.interval_end)
                    .where(c.batch_id == batch_id, c.position >= offset)
                    .order_by(c.position)
                )  # fmt: skip
                if limit is not None:
                    query = query.limit(limit)
                records = [RecordView(*r) for r in session.execute(query)]
            view = _batch_view(row, records, offset)
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

    def record_bodies(self, batch_id: str, *, offset: int = 0, limit: int | None = None) -> list[str]:
        """The canonical JSON of each record of a batch, in batch order (what was hashed), from
        position ``offset`` on, ``limit`` of them (all when None)."""
        query = (
            select(RecordRow.body)
            .where(RecordRow.batch_id == batch_id, RecordRow.position >= offset)
            .order_by(RecordRow.position)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.sessions() as session:
            return list(session.scalars(query))

    def record_hashes(self, batch_id: str) -> list[bytes]:
        """Every stored record hash of a batch, in batch order: enough to rebuild its tree from the
        database (not from a cache), which is what a page that says "records give the root" must do."""
        with self.sessions() as session:
            return [
                bytes.fromhex(h[2:])
                for h in session.scalars(
                    select(RecordRow.record_hash).where(RecordRow.batch_id == batch_id).order_by(RecordRow.position)
                )
            ]

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
        tree = self._tree(batch.id)
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

    def proofs(self, batch_id: str) -> tuple[BatchView, Iterator[bytes]]:
        """Every record's proof, from one tree: the batch, and NDJSON pieces of :data:`PROOF_CHUNK`
        lines ``{"record_id", "index", "record_hash", "leaf", "proof"}`` in record order.

        The batch is checked (it exists and is anchored) before anything streams, so a refusal
        is an HTTP status rather than a broken body.
        """
        batch = self.get_batch(batch_id, limit=0)
        if batch.status != ANCHORED:
            raise Unavailable(f"batch {batch_id} is {batch.status}, not anchored: it has no proofs yet")
        with self.sessions() as session:
            c = _RECORD_TABLE.c
            rows = session.execute(
                select(c.id, c.record_hash).where(c.batch_id == batch_id).order_by(c.position)
            ).all()
            tree = self._tree(batch_id, [h for _, h in rows])
        return batch, _proof_lines(tree, rows)

    def _tree(self, batch_id: str, hashes: Sequence[str] | None = None) -> MerkleTree:
        """The batch's tree, from the cache or built from ``hashes`` (hex, in batch order; read from
        the database when not given)."""
        with self._trees_lock:
            tree = self._trees.get(batch_id)
            if tree is not None:
                self._trees.move_to_end(batch_id)
                return tree
        leaves = self.record_hashes(batch_id) if hashes is None else [bytes.fromhex(h[2:]) for h in hashes]
        tree = MerkleTree.build(leaves)
        self._remember_tree(batch_id, tree)
        return tree

    def _remember_tree(self, batch_id: str, tree: MerkleTree) -> None:
        with self._trees_lock:
            if batch_id in self._trees:
                return
            self._trees[batch_id] = tree
            self._tree_leaves += tree.leaf_count
            while len(self._trees) > 16 or (self._tree_leaves > TREE_CACHE_LEAVES and len(self._trees) > 1):
                _, old = self._trees.popitem(last=False)
                self._tree_leaves -= old.leaf_count

    def _forget_tree(self, batch_id: str) -> None:
        with self._trees_lock:
            old = self._trees.pop(batch_id, None)
            if old is not None:
                self._tree_leaves -= old.leaf_count


def _commit_of(row: BatchRow) -> BatchCommit:
    return BatchCommit(row.factory_id, row.period, row.revision, bytes.fromhex(row.root[2:]), row.leaf_count, row.uri)


def _new_id() -> str:
    """A random (version 4) UUID."""
    return str(uuid.uuid4())


def _record_ids(n: int) -> Iterator[str]:
    """Ids for a batch's ``n`` records: UUID-shaped (version 8, RFC 9562's custom layout), 72 random
    bits per batch followed by the position. Ascending within a batch, they are appended to the
    primary-key index rather than scattered over it, which makes a big batch's insert faster."""
    r = os.urandom(10).hex()
    prefix = f"{r[:8]}-{r[8:12]}-8{r[12:15]}-{'89ab'[int(r[15], 16) & 3]}{r[16:19]}-"
    return (f"{prefix}{position:012x}" for position in range(n))


def _record_values(
    record_id: str, batch_id: str, position: int, record: MeasurementRecord, record_hash: bytes
) -> dict[str, Any]:
    body = record.to_json()
    return {
        "id": record_id,
        "batch_id": batch_id,
        "position": position,
        "record_hash": "0x" + record_hash.hex(),
        "source_id": record.source_id,
        "kind": record.kind,
        "value": record.value,
        "unit": record.unit,
        "interval_start": body["interval_start"],
        "interval_end": body["interval_end"],
        "body": _BODY_ENCODER.encode(body),
    }


def _proof_lines(tree: MerkleTree, rows: Sequence[Any]) -> Iterator[bytes]:
    """NDJSON proof lines, :data:`PROOF_CHUNK` at a time. Every value is an id, a number or hex,
    so the lines are formatted directly rather than through a JSON encoder."""
    proof, leaf = tree.proof, tree.leaf
    for first in range(0, len(rows), PROOF_CHUNK):
        lines = []
        for index in range(first, min(first + PROOF_CHUNK, len(rows))):
            record_id, record_hash = rows[index]
            steps = proof(index)
            path = '"0x' + '","0x'.join([step.hex() for step in steps]) + '"' if steps else ""
            lines.append(
                f'{{"record_id":"{record_id}","index":{index},"record_hash":"{record_hash}",'
                f'"leaf":"0x{leaf(index).hex()}","proof":[{path}]}}\n'
            )
        yield "".join(lines).encode()


def _batch_view(row: BatchRow, records: list[RecordView], offset: int) -> BatchView:
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
        records=records,
        record_count=row.leaf_count,
        offset=offset,
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

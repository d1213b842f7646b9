"""The one lifecycle of everything this service relays: pending row → relay → confirm → watch.

A batch, a retirement claim and an evaluation report all travel the same way, and the chain is the
judge of where each one is, **by content**: a row is confirmed when the contract holds *its* root
(claim, report hash) — whoever relayed it, in whichever transaction — and a revert of our own copy
is never a verdict by itself. The signed item is written as ``pending`` before its transaction is
sent; the transaction's hash and nonce are written before it leaves, so there is only ever one
transaction in flight per row: while it can still be mined it is waited for, or replaced by the same
nonce with higher fees, never sent a second time. Nothing is deleted: a row whose place on chain is
held by other content becomes ``conflict`` with both sides named, one the contract refuses keeps
its data and the reason.
::

    submit ─ store pending ─► [kind.stored] ─ record tx, send ─► [kind.sent] ─ receipt ─► [kind.mined] ─ confirm
                                               │ chain unreachable → kind.unsent (queue, or 503)
                                               │ no receipt in time → 503; the row and its tx stay pending
                                               └ revert → look at the chain: ours → confirm
                                                                             other content → conflict (409)
                                                                             neither → kind.refused (403/409)
    reconcile, per pending row not in flight:
        on chain: ours → confirm | other → conflict
        its tx in the pool → wait, or replace it (same nonce, higher fee) once older than the timeout
        kind.blocker → WAIT | refuse ; send → confirm | (revert → look at the chain as above)
    watch, per confirmed row (not final: every round; all of them: at start and every few minutes):
        still ours → final once ZCL_CONFIRMATIONS blocks are on top | gone → pending, sent again
        | other content → conflict

The bracketed names are :mod:`ledger.faults` crash points (``batch.stored``, ``claim.mined``, …).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker

from ledger import faults
from ledger.chain.client import LedgerClient
from ledger.chain.errors import ChainUnavailable, ContractRevert, TransactionTimeout
from ledger.errors import Conflict, Unavailable
from ledger.store import tracking

log = logging.getLogger(__name__)

FULL_WATCH_SECONDS = 300.0
"""How often the watcher re-checks every confirmed row, not only recent ones."""
RECENT_BLOCKS = 64
"""Rows confirmed in this many newest blocks are re-checked every round, final or not: a reorg on a
chain counted as final at 0 confirmations (the local one) is caught in seconds, not minutes."""


class Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


WAIT = Marker("WAIT")
"""From :meth:`RelayKind.blocker`: not now (an earlier item must go first); leave the row pending."""


@dataclass(frozen=True)
class Other:
    """The chain holds other content where this row belongs: what it holds, for people and the API."""

    what: dict[str, Any]
    message: str


class Tracked(Protocol):
    """The columns the lifecycle reads on every relayed row (:class:`~ledger.store.models.ChainTracked`)."""

    @property
    def id(self) -> str: ...
    @property
    def tx_hash(self) -> str | None: ...
    @property
    def tx_nonce(self) -> int | None: ...
    @property
    def tx_sent_at(self) -> datetime | None: ...
    @property
    def block_number(self) -> int | None: ...
    @property
    def final(self) -> bool: ...


class Found(Protocol):
    """What the chain says about a confirmed row: at least the block that holds it."""

    @property
    def block_number(self) -> int | None: ...


Row = TypeVar("Row")  # a BatchRow, ClaimRow or EvaluationRow: each is :class:`Tracked`
Sent = TypeVar("Sent", bound=Found)
Result = TypeVar("Result")
Result_co = TypeVar("Result_co", covariant=True)


class RelayKind(Protocol[Row, Sent, Result_co]):
    """What one kind of relayed item supplies to :class:`Lifecycle`."""

    name: str
    """``batch``, ``claim`` or ``report``: names the fault points and the log lines."""
    ledger: LedgerClient

    def call(self, row: Row) -> Any:
        """The contract call that relays the signed item."""

    def sent(self, row: Row, receipt: Any) -> Sent:
        """What the chain holds after our transaction succeeded (its receipt)."""

    def on_chain(self, row: Row) -> Sent | Other | None:
        """By content: the chain holds this row (where), other content in its place, or neither."""

    def still_held(self, row: Row) -> Sent | Other | None:
        """:meth:`on_chain` for a confirmed row, as cheaply as the kind can (the watcher's check)."""

    def confirm(self, row: Row, found: Sent, final: bool) -> Result_co:
        """Mark the row confirmed where the chain holds it (or refresh a confirmed row's place)."""

    def record_tx(self, row: Row, tx_hash: str | None, nonce: int | None) -> None:
        """Write (or clear) the row's one transaction in flight."""

    def conflicted(self, row: Row, other: Other) -> None:
        """Mark the row ``conflict``, naming what the chain holds instead; nothing is deleted."""

    def reopen(self, row: Row) -> None:
        """The chain no longer holds the confirmed row: back to ``pending``, to be sent again."""

    def unsent(self, row: Row, exc: ChainUnavailable) -> Result_co:
        """On submit, the chain did not answer the send: keep the row pending and say so (or raise)."""

    def refused(self, row: Row, exc: ContractRevert) -> Result_co:
        """On submit, the contract refused the item and the chain holds nothing in its place:
        mark the row refused, and answer (or raise)."""

    def refused_later(self, row: Row, reason: str | ContractRevert) -> None:
        """While reconciling, the row cannot be anchored: mark it refused (kept), and log why."""

    def pending(self) -> Sequence[Row]:
        """Every pending row, in the order they must be sent."""

    def confirmed(self, *, recent_from: int | None, after: str | None, limit: int) -> Sequence[Row]:
        """Confirmed rows by id after ``after``: all of them, or (``recent_from`` given) those not
        final or confirmed in block ``recent_from`` or later."""

    def blocker(self, row: Row) -> str | Marker | None:
        """Why the row cannot be sent now: a reason to refuse it, :data:`WAIT`, or None to send."""


class StoredRelay:
    """The part of a :class:`RelayKind` that is the same for every table: the transaction in flight,
    conflicts and reopening are columns of :class:`~ledger.store.models.ChainTracked`."""

    model: Any
    pending_status: str
    sessions: sessionmaker[Session]

    def record_tx(self, row: Any, tx_hash: str | None, nonce: int | None) -> None:
        with self.sessions.begin() as session:
            tracking.record_tx(session, self.model, row.id, tx_hash, nonce)
        row.tx_hash, row.tx_nonce = tx_hash, nonce

    def conflicted(self, row: Any, other: Other) -> None:
        with self.sessions.begin() as session:
            tracking.mark_conflict(session, self.model, row.id, other.what, other.message)

    def reopen(self, row: Any) -> None:
        with self.sessions.begin() as session:
            tracking.reopen(session, self.model, row.id, self.pending_status)


class Lifecycle(Generic[Row, Sent, Result]):
    """Runs :class:`RelayKind` items through the lifecycle; one instance per kind per process."""

    def __init__(self, kind: RelayKind[Row, Sent, Result], *, full_watch_seconds: float = FULL_WATCH_SECONDS) -> None:
        self.kind = kind
        self.ledger = kind.ledger
        self.full_watch_seconds = full_watch_seconds
        self._last_full_watch: float | None = None
        self._in_flight: set[str] = set()  # rows a request is relaying right now
        self._in_flight_lock = threading.Lock()
        self._reconcile_lock = threading.Lock()

    @contextmanager
    def in_flight(self, row_id: str) -> Iterator[None]:
        """While a request stores and relays ``row_id``, the reconciler leaves it alone."""
        with self._in_flight_lock:
            self._in_flight.add(row_id)
        try:
            yield
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(row_id)

    def is_in_flight(self, row_id: str) -> bool:
        with self._in_flight_lock:
            return row_id in self._in_flight

    def stored(self) -> None:
        """A pending row is committed and will not be sent now (queued for the reconciler)."""
        faults.crash_point(f"{self.kind.name}.stored")

    def is_final(self, block_number: int | None, head: int | None = None) -> bool:
        """Whether ``ZCL_CONFIRMATIONS`` blocks lie on top of ``block_number``."""
        confirmations = self.ledger.confirmations
        if confirmations <= 0:
            return True
        if block_number is None:
            return False
        return (self.ledger.head() if head is None else head) >= block_number + confirmations

    # --- submit -----------------------------------------------------------------------------

    def relay(self, row: Row) -> Result:
        """Send a freshly stored pending row and confirm it: the submit path."""
        name, kind = self.kind.name, self.kind
        self.stored()
        try:
            with faults.scope(name):
                found = self._send(row)
        except ChainUnavailable as exc:
            return kind.unsent(row, exc)
        except TransactionTimeout as exc:
            log.warning("%s %s kept pending, its transaction in flight: %s", name, _t(row).id, exc)
            raise Unavailable(
                f"{name} {_t(row).id} is stored but not yet confirmed on chain ({exc}); it will be finished"
            ) from exc
        except ContractRevert as exc:
            held = kind.on_chain(row)  # the chain first: a copy relayed by anyone else may hold it
            if held is None:
                return kind.refused(row, exc)
            if isinstance(held, Other):
                kind.conflicted(row, held)
                raise Conflict(held.message) from exc
            found = held
        faults.crash_point(f"{name}.mined")
        return kind.confirm(row, found, self.is_final(found.block_number))

    # --- reconcile --------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Finish every pending row from the chain; returns how many were confirmed.

        :class:`~ledger.chain.errors.ChainUnavailable` propagates: the rest stays pending for the
        next round. Rows a request is relaying right now are left to it.
        """
        with self._reconcile_lock:
            finished = 0
            for row in self.kind.pending():
                if self.is_in_flight(_t(row).id):
                    continue
                if self.finish(row):
                    finished += 1
            return finished

    def retry(self, row: Row) -> bool:
        """Finish one pending row now (a client asked again), unless a request or the reconciler is at it."""
        with self._reconcile_lock:
            if self.is_in_flight(_t(row).id):
                return False
            with self.in_flight(_t(row).id):
                return self.finish(row)

    def finish(self, row: Row) -> bool:
        """One pending row: confirm what the chain holds, wait for its transaction in flight, else
        send it if it may be sent. Callers hold the reconcile lock (:meth:`reconcile`, :meth:`retry`)."""
        kind = self.kind
        if self.settle(row):
            return True
        replacing, in_flight = None, _t(row).tx_hash
        if in_flight is not None and _t(row).tx_nonce is not None:
            state = self.ledger.tx_state(in_flight)
            if state.in_pool:
                if not self._overdue(row):
                    return False  # one transaction in flight: wait for it
                replacing = in_flight  # replace it by its nonce with a higher fee, never a second copy
            elif state.receipt is not None and state.receipt["status"] == 1:
                return False  # mined just now, after we looked: the next round confirms it
        if replacing is None:
            blocker = kind.blocker(row)
            if blocker is WAIT:
                return False
            if isinstance(blocker, str):
                kind.refused_later(row, blocker)
                return False
        try:
            with faults.scope(kind.name):
                found = self._send(row, replacing=replacing)
        except TransactionTimeout as exc:
            log.info("%s %s: its transaction is not mined yet (%s); waiting for it", kind.name, _t(row).id, exc)
            return False
        except ChainUnavailable as exc:
            if replacing is None:
                raise
            # the replaced transaction was mined (or dropped) while we bumped it: look again next round
            log.info(
                "%s %s: replacing its transaction failed (%s); looking again next round", kind.name, _t(row).id, exc
            )
            return False
        except ContractRevert as exc:
            if self.settle(row):
                return True
            kind.refused_later(row, exc)
            return False
        faults.crash_point(f"{kind.name}.mined")
        kind.confirm(row, found, self.is_final(found.block_number))
        return True

    def settle(self, row: Row) -> bool:
        """Confirm the row, or mark it conflicting, from what the chain holds; False when it holds neither.
        For a row the caller holds :meth:`in_flight` (or the reconcile lock)."""
        held = self.kind.on_chain(row)
        if held is None:
            return False
        if isinstance(held, Other):
            self.kind.conflicted(row, held)
            log.warning("%s %s conflicts with the chain: %s", self.kind.name, _t(row).id, held.message)
            return False
        self.kind.confirm(row, held, self.is_final(held.block_number))
        return True

    def _overdue(self, row: Row) -> bool:
        sent_at = _t(row).tx_sent_at
        return sent_at is None or _age(sent_at) >= self.ledger.receipt_timeout

    def may_be_relaying(self, row_id: str, created_at: datetime | None, within: float) -> bool:
        """Whether a request may be relaying a pending row now: in this process, or — for a row created
        less than ``within`` seconds ago — on another instance sharing the database."""
        if self.is_in_flight(row_id):
            return True
        return created_at is not None and _age(created_at) < within

    def _send(self, row: Row, *, replacing: str | None = None) -> Sent:
        """Record, send, await: the row's transaction is written before it leaves."""
        kind = self.kind
        sent = self.ledger.broadcast(
            kind.call(row), record=lambda tx: kind.record_tx(row, tx.tx_hash, tx.nonce), replacing=replacing
        )
        return kind.sent(row, self.ledger.receipt(sent.tx_hash))

    # --- watch ------------------------------------------------------------------------------

    def watch(self, *, everything: bool | None = None, page: int = 500) -> int:
        """Re-check confirmed rows against the chain; returns how many changed state.

        Rows not yet final, or confirmed in the last :data:`RECENT_BLOCKS` blocks, are checked every
        call; every row (one cheap read each, ``page`` rows at a time) on the first call and every
        :attr:`full_watch_seconds` after, or when ``everything``.
        A row still held becomes final once buried deep enough; one the chain no longer holds goes
        back to ``pending`` (the reconciler sends its stored signed item again); one whose place
        holds other content becomes ``conflict``.
        """
        now = time.monotonic()
        if everything is None:
            everything = self._last_full_watch is None or now - self._last_full_watch >= self.full_watch_seconds
        kind, changed, after = self.kind, 0, None
        head = self.ledger.head()
        recent_from = None if everything else max(0, head - RECENT_BLOCKS)
        while True:
            rows = kind.confirmed(recent_from=recent_from, after=after, limit=page)
            for row in rows:
                with self._reconcile_lock:  # row by row: a long pass never holds up a client's retry
                    if not self.is_in_flight(_t(row).id):
                        changed += self._watch_one(row, head)
            if len(rows) < page:
                break
            after = _t(rows[-1]).id
        if everything:
            self._last_full_watch = now
        return changed

    def recheck(self, row: Row) -> None:
        """Watch one confirmed row now (a client resubmitted it): a row whose anchor is gone goes back
        to pending, and the caller may then :meth:`retry` it."""
        with self._reconcile_lock:
            if not self.is_in_flight(_t(row).id):
                self._watch_one(row, self.ledger.head())

    def _watch_one(self, row: Row, head: int) -> int:
        kind = self.kind
        held = kind.still_held(row)
        if held is None:
            log.warning(
                "%s %s: the chain no longer holds it (block %s reorganised away, or a local chain lost it); "
                "pending again, to be sent from its stored signature",
                kind.name, _t(row).id, _t(row).block_number,
            )  # fmt: skip
            kind.reopen(row)
            return 1
        if isinstance(held, Other):
            log.warning(
                "%s %s: the chain now holds other content in its place: %s", kind.name, _t(row).id, held.message
            )
            kind.conflicted(row, held)
            return 1
        final = self.is_final(held.block_number, head)
        if held.block_number == _t(row).block_number and final == _t(row).final:
            return 0
        kind.confirm(row, held, final)
        return 1


def _age(when: datetime) -> float:
    """Seconds since ``when`` (a naive time from the database is UTC)."""
    return (datetime.now(UTC) - (when if when.tzinfo else when.replace(tzinfo=UTC))).total_seconds()


def _t(row: object) -> Tracked:
    """Every relayed row is a :class:`~ledger.store.models.ChainTracked` table row."""
    return cast(Tracked, row)

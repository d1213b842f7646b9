"""The one lifecycle of everything this service relays: pending row → relay → confirm → reconcile.

A batch, a retirement claim and an evaluation report all travel the same way. The signed item is
written to the database as ``pending`` **before** its transaction is sent, and marked confirmed once
the chain has it, so a crash in between loses nothing: :meth:`Lifecycle.reconcile` (at start-up and
every few seconds) finds pending rows and finishes them from the chain — confirming what the chain
already holds, resending what it does not, and giving up on what it can no longer take.

What differs per kind (which contract call relays it, what "the chain holds it" means, what a
refusal does to the row) is a :class:`RelayKind`; the order of the steps, the fault points, the
in-flight bookkeeping and the reconcile loop are written here once.
::

    submit ─ store pending ─► [kind.stored] ─ send ─► [kind.sent] ─ receipt ─► [kind.mined] ─ confirm
                                                │ chain unreachable → kind.unsent (queue, or 503)
                                                │ no receipt in time → 503, the row stays pending
                                                └ contract refuses  → kind.refused (drop/reject + 403/409)
    reconcile, per pending row not in flight:
        kind.held → confirm | LOST (dropped) ; kind.blocker → WAIT | reject ; send → confirm | kind.refused_later

The bracketed names are :mod:`ledger.faults` crash points (``batch.stored``, ``claim.mined``, …).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, Protocol, TypeVar

from ledger import faults
from ledger.chain.errors import ChainUnavailable, ContractRevert, TransactionTimeout
from ledger.errors import Unavailable

log = logging.getLogger(__name__)


class Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


LOST = Marker("LOST")
"""From :meth:`RelayKind.held`: the chain holds other content in this row's place; the kind has
already dealt with the row (dropped it), and there is nothing to send."""
WAIT = Marker("WAIT")
"""From :meth:`RelayKind.blocker`: not now (an earlier item must go first); leave the row pending."""


Row = TypeVar("Row")
Sent = TypeVar("Sent")
Result = TypeVar("Result")
Result_co = TypeVar("Result_co", covariant=True)


class RelayKind(Protocol[Row, Sent, Result_co]):
    """What one kind of relayed item supplies to :class:`Lifecycle`."""

    name: str
    """``batch``, ``claim`` or ``report``: names the fault points and the log lines."""

    def send(self, row: Row) -> Sent:
        """Relay the signed item (one transaction, receipt awaited)."""

    def confirm(self, row: Row, sent: Sent) -> Result_co | None:
        """Mark the row confirmed; None when another row already holds that chain entry (dropped)."""

    def unsent(self, row: Row, exc: ChainUnavailable) -> Result_co:
        """On submit, the chain did not answer the send: keep the row pending and say so (or raise)."""

    def refused(self, row: Row, exc: ContractRevert) -> Result_co:
        """On submit, the contract refused the item: drop or reject the row, and answer (or raise)."""

    def pending(self) -> Sequence[Row]:
        """Every pending row, in the order they must be sent."""

    def held(self, row: Row) -> Sent | Marker | None:
        """What the chain holds in this row's place: its confirmation, :data:`LOST`, or None."""

    def blocker(self, row: Row) -> str | Marker | None:
        """Why the row cannot be sent now: a reason to reject it, :data:`WAIT`, or None to send."""

    def refused_later(self, row: Row, reason: str | ContractRevert) -> None:
        """While reconciling, the row cannot be anchored: drop or reject it, and log why."""


class Lifecycle(Generic[Row, Sent, Result]):
    """Runs :class:`RelayKind` items through the lifecycle; one instance per kind per process."""

    def __init__(self, kind: RelayKind[Row, Sent, Result]) -> None:
        self.kind = kind
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

    def relay(self, row: Row) -> Result:
        """Send a freshly stored pending row and confirm it: the submit path."""
        name = self.kind.name
        self.stored()
        try:
            with faults.scope(name):
                sent = self.kind.send(row)
        except ChainUnavailable as exc:
            return self.kind.unsent(row, exc)
        except TransactionTimeout as exc:
            log.warning("%s %s kept pending: %s", name, _id(row), exc)
            raise Unavailable(
                f"{name} {_id(row)} is stored but not yet confirmed on chain ({exc}); it will be finished"
            ) from exc
        except ContractRevert as exc:
            return self.kind.refused(row, exc)
        faults.crash_point(f"{name}.mined")
        confirmed = self.kind.confirm(row, sent)
        if confirmed is None:
            raise Unavailable(f"{name} {_id(row)} was confirmed by another request; ask again")
        return confirmed

    def reconcile(self) -> int:
        """Finish every pending row from the chain; returns how many were confirmed.

        :class:`~ledger.chain.errors.ChainUnavailable` propagates: the rest stays pending for the
        next round. Rows a request is relaying right now are left to it.
        """
        with self._reconcile_lock:
            finished = 0
            for row in self.kind.pending():
                if self.is_in_flight(_id(row)):
                    continue
                if self.finish(row):
                    finished += 1
            return finished

    def retry(self, row: Row) -> bool:
        """Finish one pending row now (a client asked again), unless a request or the reconciler is at it."""
        with self._reconcile_lock:
            if self.is_in_flight(_id(row)):
                return False
            with self.in_flight(_id(row)):
                return self.finish(row)

    def finish(self, row: Row) -> bool:
        """One pending row: confirm what the chain holds, else send it again if it may be sent.
        Callers hold the reconcile lock (:meth:`reconcile`, :meth:`retry`)."""
        kind = self.kind
        held = kind.held(row)
        if held is LOST:
            return False
        if held is not None:
            return kind.confirm(row, held) is not None  # type: ignore[arg-type]
        blocker = kind.blocker(row)
        if blocker is WAIT:
            return False
        if isinstance(blocker, str):
            kind.refused_later(row, blocker)
            return False
        try:
            with faults.scope(kind.name):
                sent = kind.send(row)
        except ContractRevert as exc:
            kind.refused_later(row, exc)
            return False
        faults.crash_point(f"{kind.name}.mined")
        return kind.confirm(row, sent) is not None


def _id(row: object) -> str:
    """Every pending row — a batch, claim or evaluation row — has a string primary key ``id``."""
    return str(getattr(row, "id"))  # noqa: B009 (rows of three tables; no common type to name)

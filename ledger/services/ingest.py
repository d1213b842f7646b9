"""A streamed batch on its way in, with bounded work before it is authenticated.

Line 1 (the envelope) is authenticated by :meth:`BatchService.admit_stream` as soon as it is read,
before any record is parsed; records are then parsed one line at a time, their rows spooled to disk
(:class:`~ledger.store.spool.RecordSpool`) and only their 32-byte hashes kept; once the body has
ended and the tree gives the signed root, the batch is stored from the spool and anchored. A
refusal at any point stores nothing. :class:`StreamGate` bounds how many streams one client has open.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.errors import RateLimited
from ledger.services.batches import Admitted, BatchService
from ledger.services.views import BatchView
from ledger.signing import DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_RECORDS
from ledger.store.spool import RecordSpool
from ledger.streamed import HashedBatchStream, StreamEnvelope

DEFAULT_MAX_STREAMS_PER_CLIENT = 2


class TooManyStreams(RateLimited):
    """The client already has as many streams open as it may (429; come back in 5 s)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 5)

    def __reduce__(self) -> tuple[type[TooManyStreams], tuple[str]]:  # type: ignore[override]
        return (type(self), (str(self),))


class StreamedBatch:
    """Feed it the body's bytes in order, then :meth:`submit`; :meth:`close` removes the spool."""

    def __init__(
        self, batches: BatchService, *, max_records: int = DEFAULT_MAX_RECORDS,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, spool_dir: Path | None = None,
    ) -> None:  # fmt: skip
        self.batches = batches
        self.spool = RecordSpool(spool_dir)
        self.admitted: Admitted | None = None
        self.parser = HashedBatchStream(
            on_record=self.spool.add, on_envelope=self._admit, max_records=max_records, max_line_bytes=max_line_bytes
        )

    def _admit(self, envelope: StreamEnvelope) -> None:
        self.admitted = self.batches.admit_stream(envelope)

    def feed(self, chunk: bytes) -> None:
        self.parser.feed(chunk)

    def submit(self, *, limit: int | None = None) -> tuple[BatchView, bool]:
        """Once the body has ended: check the records give the signed root, then store and anchor."""
        envelope, tree = self.parser.finish()
        assert self.admitted is not None and self.admitted.envelope is envelope
        return self.batches.submit_stream(self.admitted, tree, self.spool, limit=limit)

    def close(self) -> None:
        self.spool.close()


class StreamGate:
    """At most ``per_client`` streams open at once per client (its address): a client cannot make
    the service spool and hash many bodies at once."""

    def __init__(self, per_client: int = DEFAULT_MAX_STREAMS_PER_CLIENT) -> None:
        self.per_client = per_client
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def enter(self, client: str) -> Iterator[None]:
        with self._lock:
            if self._open.get(client, 0) >= self.per_client:
                raise TooManyStreams(
                    f"{client} already has {self.per_client} batch streams open (ZCL_MAX_STREAMS_PER_CLIENT); "
                    "try again when one has finished"
                )
            self._open[client] = self._open.get(client, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._open[client] - 1
                if left:
                    self._open[client] = left
                else:
                    del self._open[client]

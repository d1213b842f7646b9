"""The streamed form of a signed batch (:data:`~ledger.signing.NDJSON`): line 1 the envelope, then
one record per line, read as the bytes arrive.

The envelope is parsed — and handed to ``on_envelope``, where the service authenticates it — before
any record is read, so a stream from an unknown factory, for another chain, or with a record count
over the limit is refused within its first line. Two readers share the line handling:
:class:`SignedBatchStream` keeps the records (a client's or a test's whole batch in memory), and
:class:`HashedBatchStream` keeps only their 32-byte hashes and hands each parsed record to
``on_record`` (the service spools it to disk), so memory does not grow with the records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.eip712.batch_commit import BatchCommit, recover_commit_signer
from ledger.eip712.domain import LedgerDomain
from ledger.merkle import MerkleTree
from ledger.records import BatchError, MeasurementRecord, RecordError
from ledger.records.batch import BatchBuilder
from ledger.signing import (
    DEFAULT_MAX_LINE_BYTES,
    DEFAULT_MAX_RECORDS,
    ENVELOPE_KEYS,
    SignedBatch,
    _hex_bytes,
    _signed,
    check_named_signer,
    parse_envelope,
)  # fmt: skip


@dataclass(frozen=True)
class StreamEnvelope:
    """Line 1 of a streamed batch: what was signed, checked field by field, without the records."""

    data: Mapping[str, Any]
    header: BatchBuilder  # the batch header, checked (factory id, period, revision, uri)
    root: bytes
    leaf_count: int
    signature: bytes
    chain_id: int
    contract: str

    @property
    def commit(self) -> BatchCommit:
        h = self.header
        return BatchCommit(h.factory_id, h.period, h.revision, self.root, self.leaf_count, h.uri)

    @property
    def domain(self) -> LedgerDomain:
        return LedgerDomain(chain_id=self.chain_id, verifying_contract=self.contract)

    def recovered_signer(self) -> str:
        """The address that made the signature; the envelope's ``signer``, if named, must be it."""
        try:
            recovered = recover_commit_signer(self.domain, self.commit, self.signature)
        except Exception as exc:  # malformed r/s/v of the right length
            raise RecordError("signature", f"not a valid ECDSA signature ({exc.__class__.__name__})") from None
        check_named_signer(self.data, recovered)
        return recovered


def parse_stream_envelope(line: bytes, number: int, max_records: int) -> StreamEnvelope:
    try:
        data = json.loads(_shallow(line))
    except (ValueError, RecursionError):
        raise BatchError("batch", f"line {number} must be the signed envelope as one JSON object") from None
    if not isinstance(data, dict):
        raise BatchError(
            "batch", f"line {number} must be the signed envelope, a JSON object, got {type(data).__name__}"
        )
    if "records" in data:
        raise BatchError("records", "a streamed batch sends its records one per line after the envelope, not in it")
    for key in data:
        if key not in ENVELOPE_KEYS:
            raise BatchError(str(key), f"unknown field; expected {', '.join(sorted(ENVELOPE_KEYS))}")
    for key in ("factory_id", "period", "revision", "root", "leaf_count", "signature", "chain_id", "contract"):
        if key not in data:
            raise BatchError(key, "is required")
    header = BatchBuilder(data["factory_id"], data["period"], data["revision"], data.get("uri", ""))
    root = _hex_bytes(data, "root", 32)
    envelope = parse_envelope(data)
    leaf_count = data["leaf_count"]
    if type(leaf_count) is not int:
        raise RecordError("leaf_count", "must be an integer")
    if not 1 <= leaf_count <= max_records:
        raise RecordError("leaf_count", f"must be between 1 and {max_records} (records in one batch), got {leaf_count}")
    named = data.get("signer")
    if named is not None and not isinstance(named, str):
        raise RecordError("signer", "must be a string")
    return StreamEnvelope(data, header, root, leaf_count, envelope.signature, envelope.chain_id, envelope.contract)


class _LineStream:
    """Splits the body into lines as chunks arrive: the envelope first, then records, each decoded
    to JSON (errors name ``records[i]`` and end with ``(line n)``); blank lines may only end it."""

    def __init__(
        self, *, max_records: int, max_line_bytes: int, on_envelope: Callable[[StreamEnvelope], None] | None
    ) -> None:
        self.max_records = max_records
        self.max_line_bytes = max_line_bytes
        self.on_envelope = on_envelope
        self.envelope: StreamEnvelope | None = None
        self.records = 0  # records read so far
        self._tail = b""
        self._lines = 0  # lines read so far, blank ones included
        self._blank_at = 0  # the first blank line, which only more blank lines may follow

    def feed(self, chunk: bytes) -> None:
        lines = (self._tail + chunk if self._tail else chunk).split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > self.max_line_bytes:
            self._too_long(self._lines + len(lines) + 1)
        for line in lines:
            self._line(line)

    def _end(self) -> StreamEnvelope:
        """The last line, then the count check: what both readers do when the body has ended."""
        if self._tail:
            tail, self._tail = self._tail, b""
            self._line(tail)
        if self.envelope is None:
            raise BatchError("batch", "the body is empty: line 1 must be the signed envelope, then one record per line")
        if self.records != self.envelope.leaf_count:
            raise RecordError("leaf_count", f"is {self.envelope.leaf_count} but the batch has {self.records} records")
        return self.envelope

    def _record(self, item: object, index: int) -> None:
        raise NotImplementedError

    def _line(self, line: bytes) -> None:
        self._lines += 1
        number = self._lines
        if len(line) > self.max_line_bytes:
            self._too_long(number)
        if not line.strip():
            self._blank_at = self._blank_at or number
            return
        if self._blank_at:
            raise BatchError("batch", f"line {self._blank_at} is blank: blank lines may only end the body")
        if self.envelope is None:
            envelope = parse_stream_envelope(line, number, self.max_records)
            if self.on_envelope is not None:
                self.on_envelope(envelope)  # the service authenticates it before any record is read
            self.envelope = envelope
            return
        index = self.records
        if index >= self.envelope.leaf_count:
            raise RecordError(
                f"records[{index}]", f"is one more record than leaf_count {self.envelope.leaf_count} (line {number})"
            )
        try:
            item = json.loads(_shallow(line))
        except UnicodeDecodeError:
            raise RecordError(f"records[{index}]", f"is not valid UTF-8 (line {number})") from None
        except (ValueError, RecursionError) as e:
            msg = f"{e.msg} at column {e.colno}" if isinstance(e, json.JSONDecodeError) else str(e) or "too deep"
            raise RecordError(f"records[{index}]", f"is not valid JSON: {msg} (line {number})") from None
        try:
            self._record(item, index)
        except RecordError as e:
            raise _at_line(e, number) from None
        self.records += 1

    def _too_long(self, number: int) -> None:
        where = f"records[{self.records}]" if self.envelope is not None else "batch"
        raise RecordError(where, f"line {number} is longer than {self.max_line_bytes} bytes")


class SignedBatchStream(_LineStream):
    """Parses a streamed signed batch into a :class:`SignedBatch` held in memory, chunk by chunk."""

    def __init__(
        self, *, max_records: int = DEFAULT_MAX_RECORDS, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        on_envelope: Callable[[StreamEnvelope], None] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(max_records=max_records, max_line_bytes=max_line_bytes, on_envelope=on_envelope)
        self._builder: BatchBuilder | None = None

    def _record(self, item: object, index: int) -> None:
        if self._builder is None:
            assert self.envelope is not None
            h = self.envelope.header
            self._builder = BatchBuilder(h.factory_id, h.period, h.revision, h.uri)
        self._builder.add(item)

    def finish(self) -> SignedBatch:
        """The signed batch, once the body has ended: its records give the signed root."""
        envelope = self._end()
        assert self._builder is not None
        try:
            batch = self._builder.build()
        except RecordError as e:  # a duplicate: records[i] is on line i + 2
            raise _at_line(e, _line_of(e.field)) from None
        return _signed(batch, envelope.data, envelope.root, parse_envelope(envelope.data))


class HashedBatchStream(_LineStream):
    """Parses a streamed signed batch keeping only each record's 32-byte hash (32 MB per million):
    each parsed record goes to ``on_record`` with its hash, and :meth:`finish` builds the tree and
    checks it gives the signed root, with no record held."""

    def __init__(
        self, *, on_record: Callable[[MeasurementRecord, bytes], None], max_records: int = DEFAULT_MAX_RECORDS,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, on_envelope: Callable[[StreamEnvelope], None] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(max_records=max_records, max_line_bytes=max_line_bytes, on_envelope=on_envelope)
        self.on_record = on_record
        self._hashes = bytearray()

    def _record(self, item: object, index: int) -> None:
        assert self.envelope is not None
        record, digest = self.envelope.header.parse(item, index)
        self._hashes += digest
        self.on_record(record, digest)

    def finish(self) -> tuple[StreamEnvelope, MerkleTree]:
        """The envelope and the records' tree, once the body has ended and the tree gives its root."""
        envelope = self._end()
        tree = MerkleTree.from_packed(self._hashes)
        self._hashes = bytearray()
        duplicate = tree.first_duplicate()
        if duplicate is not None:
            i, j = duplicate
            raise RecordError(f"records[{i}]", f"duplicates records[{j}] (line {i + 2})")
        if tree.root != envelope.root:
            raise RecordError("root", f"does not match the records: they give 0x{tree.root.hex()}")
        envelope.recovered_signer()  # a named signer must be the one that signed
        return envelope, tree


MAX_DEPTH = 32
"""Nesting a line may have (a record has 3). Deeper JSON is refused before it is decoded: the
recursion limit some dependencies raise (py_ecc: 100,000) lets the decoder overflow the C stack."""
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


def _shallow(line: bytes) -> bytes:
    """``line`` if its JSON nests at most :data:`MAX_DEPTH` deep; ValueError otherwise."""
    if line.count(b"[") + line.count(b"{") <= MAX_DEPTH:
        return line  # the common case: too few brackets to nest deeper, in strings or not
    depth = 0
    for token in _NESTING.finditer(line):
        first = token[0][:1]
        if first in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH}")
        elif first in b"]}":
            depth -= 1
    return line


def _line_of(field: str) -> int | None:
    """The line of ``records[i]``: i + 2 (the envelope is line 1)."""
    index = field[len("records[") : -1] if field.startswith("records[") else ""
    return int(index) + 2 if index.isdigit() else None


def _at_line(error: RecordError, number: int | None) -> RecordError:
    return type(error)(error.field, f"{error.message} (line {number})" if number else error.message)

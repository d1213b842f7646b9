"""The signed batch: what a factory produces with ``zcl batch sign`` and the service accepts.

The factory computes the Merkle root over its records' hashes and signs the EIP-712 BatchCommit
for it; the records travel with the signature so the service can recompute the root and refuse a
batch whose records do not match what was signed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.eip712.batch_commit import BatchCommit, recover_commit_signer, sign_commit
from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import v_problem
from ledger.merkle import MerkleTree
from ledger.records import Batch, BatchError, RecordError, parse_batch
from ledger.records.batch import BatchBuilder

SIGNED_KEYS = frozenset({"root", "leaf_count", "signature", "signer", "chain_id", "contract"})
NDJSON = "application/x-ndjson"
"""The media type of a streamed signed batch: the envelope on line 1, then one record per line."""
ENVELOPE_KEYS = frozenset({"factory_id", "period", "revision", "uri"}) | SIGNED_KEYS
DEFAULT_MAX_RECORDS = 1_000_000
DEFAULT_MAX_LINE_BYTES = 1024 * 1024
"""Far above the largest valid record (32 evidence entries of 255-character names, all escaped)."""


@dataclass(frozen=True)
class SignedBatch:
    batch: Batch
    root: bytes
    leaf_count: int
    signature: bytes
    chain_id: int
    contract: str
    tree: MerkleTree | None = field(default=None, compare=False, repr=False)
    """The tree the root was checked with, kept so the service need not build it again for proofs."""

    @property
    def commit(self) -> BatchCommit:
        b = self.batch
        return BatchCommit(b.factory_id, b.period, b.revision, self.root, self.leaf_count, b.uri)

    @property
    def domain(self) -> LedgerDomain:
        return LedgerDomain(chain_id=self.chain_id, verifying_contract=self.contract)

    def recovered_signer(self) -> str:
        """The address that made the signature (whoever it is; the registry decides if it counts)."""
        try:
            return recover_commit_signer(self.domain, self.commit, self.signature)
        except Exception as exc:  # malformed r/s/v of the right length
            raise RecordError("signature", f"not a valid ECDSA signature ({exc.__class__.__name__})") from None

    def to_json(self) -> dict[str, Any]:
        return self.batch.to_json() | {
            "root": "0x" + self.root.hex(),
            "leaf_count": self.leaf_count,
            "signature": "0x" + self.signature.hex(),
            "signer": self.recovered_signer(),
            "chain_id": self.chain_id,
            "contract": self.contract,
        }

    def ndjson_lines(self) -> Iterator[str]:
        """The streamed form (:data:`NDJSON`): the envelope, then each record, one JSON per line."""
        envelope = self.to_json()
        del envelope["records"]
        yield json.dumps(envelope, ensure_ascii=False) + "\n"
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        for record in self.batch.records:
            yield dumps(record.to_json(include_context=False)) + "\n"


def sign_batch(batch: Batch, signer: LocalAccount, domain: LedgerDomain) -> SignedBatch:
    tree = MerkleTree.build(batch.record_hashes())
    commit = BatchCommit(batch.factory_id, batch.period, batch.revision, tree.root, tree.leaf_count, batch.uri)
    return SignedBatch(
        batch=batch,
        root=tree.root,
        leaf_count=tree.leaf_count,
        signature=sign_commit(signer, domain, commit),
        chain_id=domain.chain_id,
        contract=domain.verifying_contract,
        tree=tree,
    )


@dataclass(frozen=True)
class Envelope:
    """What every signed submission carries beside its content: the signature and its domain."""

    signature: bytes
    chain_id: int
    contract: str


def parse_envelope(data: Mapping[str, Any]) -> Envelope:
    signature = _hex_bytes(data, "signature", None)
    if len(signature) != 65:
        raise RecordError("signature", f"must be 65 bytes (r ‖ s ‖ v), got {len(signature)}")
    if (problem := v_problem(signature)) is not None:
        raise RecordError("signature", problem)
    chain_id = data.get("chain_id")
    if type(chain_id) is not int or chain_id <= 0:
        raise RecordError("chain_id", "must be a positive integer")
    _hex_bytes(data, "contract", 20)
    return Envelope(signature, chain_id, data["contract"])


def check_named_signer(data: Mapping[str, Any], recovered: str) -> None:
    """A submission may name its signer; if it does, the signature must be that signer's."""
    named = data.get("signer")
    if named is not None and (not isinstance(named, str) or named.lower() != recovered.lower()):
        raise RecordError("signer", f"the signature was made by {recovered}, not {named}")


def parse_signed_batch(data: Mapping[str, Any]) -> SignedBatch:
    """Parse and check a signed batch: the records, and that their root is the one signed."""
    batch = parse_batch(data, extra_keys=SIGNED_KEYS)
    root = _hex_bytes(data, "root", 32)
    envelope = parse_envelope(data)
    leaf_count = data.get("leaf_count")
    if type(leaf_count) is not int:
        raise RecordError("leaf_count", "must be an integer")
    if leaf_count != len(batch.records):
        raise RecordError("leaf_count", f"is {leaf_count} but the batch has {len(batch.records)} records")
    return _signed(batch, data, root, envelope)


def _signed(batch: Batch, data: Mapping[str, Any], root: bytes, envelope: Envelope) -> SignedBatch:
    """The batch as signed, once its records are shown to give the signed root: the last checks,
    the same for a JSON body and a stream."""
    tree = MerkleTree.build(batch.record_hashes())
    if tree.root != root:
        raise RecordError("root", f"does not match the records: they give 0x{tree.root.hex()}")
    signed = SignedBatch(
        batch, root, len(batch.records), envelope.signature, envelope.chain_id, envelope.contract, tree
    )
    check_named_signer(data, signed.recovered_signer())
    return signed


class SignedBatchStream:
    """Parses a signed batch streamed as :data:`NDJSON`, chunk by chunk as it arrives.

    Line 1 is the envelope: every key of the signed batch but ``records``. Each following line is
    one record in the batch's wire form. Records are parsed and hashed line by line, so what is
    held is the parsed records (what the service stores), never the body. Errors name the field
    as the JSON form does (``records[41].value``) and end with the line, ``(line 43)``; blank
    lines may only end the body.
    """

    def __init__(self, *, max_records: int = DEFAULT_MAX_RECORDS, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self.max_records = max_records
        self.max_line_bytes = max_line_bytes
        self._tail = b""
        self._lines = 0  # lines read so far, blank ones included
        self._blank_at = 0  # the first blank line, which only more blank lines may follow
        self._envelope: dict[str, Any] | None = None
        self._builder: BatchBuilder | None = None
        self._leaf_count = 0

    @property
    def records(self) -> int:
        """Records parsed so far."""
        return len(self._builder) if self._builder is not None else 0

    def feed(self, chunk: bytes) -> None:
        lines = (self._tail + chunk if self._tail else chunk).split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > self.max_line_bytes:
            self._too_long(self._lines + len(lines) + 1)
        for line in lines:
            self._line(line)

    def finish(self) -> SignedBatch:
        """The signed batch, once the body has ended: its records give the signed root."""
        if self._tail:
            tail, self._tail = self._tail, b""
            self._line(tail)
        if self._builder is None or self._envelope is None:
            raise BatchError("batch", "the body is empty: line 1 must be the signed envelope, then one record per line")
        if len(self._builder) != self._leaf_count:
            raise RecordError("leaf_count", f"is {self._leaf_count} but the batch has {len(self._builder)} records")
        try:
            batch = self._builder.build()
        except RecordError as e:  # a duplicate: records[i] is on line i + 2
            index = e.field[len("records[") : -1] if e.field.startswith("records[") else ""
            raise _at_line(e, int(index) + 2 if index.isdigit() else None) from None
        envelope = self._envelope
        return _signed(batch, envelope, _hex_bytes(envelope, "root", 32), parse_envelope(envelope))

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
        builder = self._builder
        if builder is None:
            self._read_envelope(line, number)
            return
        index = len(builder)
        if index >= self._leaf_count:
            raise RecordError(
                f"records[{index}]", f"is one more record than leaf_count {self._leaf_count} (line {number})"
            )
        try:
            item = json.loads(_shallow(line))
        except UnicodeDecodeError:
            raise RecordError(f"records[{index}]", f"is not valid UTF-8 (line {number})") from None
        except (ValueError, RecursionError) as e:
            msg = f"{e.msg} at column {e.colno}" if isinstance(e, json.JSONDecodeError) else str(e) or "too deep"
            raise RecordError(f"records[{index}]", f"is not valid JSON: {msg} (line {number})") from None
        try:
            builder.add(item)
        except RecordError as e:
            raise _at_line(e, number) from None

    def _read_envelope(self, line: bytes, number: int) -> None:
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
        builder = BatchBuilder(data["factory_id"], data["period"], data["revision"], data.get("uri", ""))
        _hex_bytes(data, "root", 32)
        parse_envelope(data)
        leaf_count = data["leaf_count"]
        if type(leaf_count) is not int:
            raise RecordError("leaf_count", "must be an integer")
        if not 1 <= leaf_count <= self.max_records:
            raise RecordError(
                "leaf_count", f"must be between 1 and {self.max_records} (records in one batch), got {leaf_count}"
            )
        named = data.get("signer")
        if named is not None and not isinstance(named, str):
            raise RecordError("signer", "must be a string")
        self._envelope, self._builder, self._leaf_count = data, builder, leaf_count

    def _too_long(self, number: int) -> None:
        where = f"records[{self.records}]" if self._builder is not None else "batch"
        raise RecordError(where, f"line {number} is longer than {self.max_line_bytes} bytes")


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


def _at_line(error: RecordError, number: int | None) -> RecordError:
    return type(error)(error.field, f"{error.message} (line {number})" if number else error.message)


def _hex_bytes(data: Mapping[str, Any], key: str, length: int | None) -> bytes:
    value = data.get(key)
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RecordError(key, "must be a 0x-prefixed hex string")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise RecordError(key, "is not valid hex") from None
    if length is not None and len(raw) != length:
        raise RecordError(key, f"must be {length} bytes, got {len(raw)}")
    return raw

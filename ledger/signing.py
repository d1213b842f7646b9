"""The signed batch: what a factory produces with ``zcl batch sign`` and the service accepts.

The factory computes the Merkle root over its records' hashes and signs the EIP-712 BatchCommit
for it; the records travel with the signature so the service can recompute the root and refuse a
batch whose records do not match what was signed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.eip712.batch_commit import BatchCommit, recover_commit_signer, sign_commit
from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import v_problem
from ledger.merkle import MerkleTree
from ledger.records import Batch, RecordError, parse_batch

SIGNED_KEYS = frozenset({"root", "leaf_count", "signature", "signer", "chain_id", "contract"})
NDJSON = "application/x-ndjson"
"""The media type of a streamed signed batch: the envelope on line 1, then one record per line
(:mod:`ledger.streamed` reads it)."""
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

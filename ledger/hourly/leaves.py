"""One Merkle leaf per piece of a matching run's allocation, so a claim's hour can be proven alone.

A run allocates millions of pieces (a year of certificates split into hours); its report anchors
only their Merkle root. Each leaf is the EIP-712 struct hash of :data:`LEAF_TYPE`, built exactly as
a batch record's leaf is (``hashStruct`` → OpenZeppelin StandardMerkleTree, :mod:`ledger.merkle`),
so the tools that prove a record prove a piece: anyone holding the piece's fields and its proof
recomputes the leaf, folds the proof and compares with the root the anchored run document names.
Every piece is a leaf, allocated or not (``allocated`` may be 0), in :class:`Allocation` order, so
the count of leaves is the count of pieces offered and an omitted piece changes the root.

The struct hashes are built row-wise with numpy (one 320-byte ABI encoding per piece: the words
that do not vary per claim are looked up, the integers written big-endian) and hashed by the
native keccak (``ledger.keccak``) over slices of that one buffer; no per-field Python object is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from eth_utils import keccak as _keccak_text

from ledger.hourly.errors import HourlyError
from ledger.hourly.model import HOUR, Allocation, ClaimInput, MatchingResult, PieceKind
from ledger.keccak import keccak256
from ledger.merkle import MerkleTree

LEAF_TYPE = (
    "HourAllocation(string factoryId,uint256 claimId,string registry,string blockId,uint256 serial,"
    "uint64 hourStart,uint64 energy,uint64 allocated,uint8 piece)"
)
"""The EIP-712 type of one piece: energy and allocated in mWh, hourStart unix seconds (the hour's
first second), serial the unit's serial number, piece a :class:`PieceKind`."""
LEAF_TYPES = {
    "HourAllocation": [
        {"name": "factoryId", "type": "string"},
        {"name": "claimId", "type": "uint256"},
        {"name": "registry", "type": "string"},
        {"name": "blockId", "type": "string"},
        {"name": "serial", "type": "uint256"},
        {"name": "hourStart", "type": "uint64"},
        {"name": "energy", "type": "uint64"},
        {"name": "allocated", "type": "uint64"},
        {"name": "piece", "type": "uint8"},
    ]
}
LEAF_TYPEHASH = keccak256(LEAF_TYPE.encode())
WORDS = 10
ROW = 32 * WORDS
U64 = 2**64
CHUNK = 65_536
FIELDS = ("factory_id", "claim_id", "registry", "block_id", "serial", "hour_start", "energy", "allocated", "piece")
"""A piece's fields as the bundle writes them (``leaf_fields``): uint256s as decimal strings."""


def _rows(result: MatchingResult, factory_id: str, part: slice) -> np.ndarray:
    """The ABI encodings ``hashStruct`` hashes, of the pieces in ``part``: an ``(n, 320)`` uint8 array."""
    alloc = _sliced(result, part)
    n = len(alloc.hour)
    claims = result.claims
    if any(not 0 <= c.claim_id < U64 for c in claims):
        raise HourlyError("claim_id", "must be from 0 to 2**64 - 1 (an on-chain claim id)")
    rows = np.zeros((n, WORDS, 32), dtype=np.uint8)
    rows[:, 0] = np.frombuffer(LEAF_TYPEHASH, dtype=np.uint8)
    rows[:, 1] = np.frombuffer(_keccak_text(text=factory_id), dtype=np.uint8)
    index = alloc.claim_index.astype(np.intp)
    ids = np.array([c.claim_id for c in claims], dtype=">u8")
    registries = np.array([list(_keccak_text(text=c.registry)) for c in claims], dtype=np.uint8).reshape(-1, 32)
    blocks = np.array([list(_keccak_text(text=c.block_id)) for c in claims], dtype=np.uint8).reshape(-1, 32)
    rows[:, 2, 24:] = ids.view(np.uint8).reshape(-1, 8)[index]
    rows[:, 3] = registries[index]
    rows[:, 4] = blocks[index]
    rows[:, 5] = _serial_words(claims, index, alloc.unit_offset)
    if len(alloc.hour) and (alloc.hour.min() < 0 or alloc.hour.max() >= result.span.hours):
        raise HourlyError("allocation.hour", "a piece lies outside the run's span")
    if np.any(alloc.energy < 0) or np.any(alloc.allocated < 0) or np.any(alloc.allocated > alloc.energy):
        raise HourlyError("allocation.allocated", "must be from 0 to the piece's energy")
    starts = result.span.start + alloc.hour.astype(np.int64) * HOUR
    for word, values in ((6, starts), (7, alloc.energy), (8, alloc.allocated)):
        rows[:, word, 24:] = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    rows[:, 9, 31] = alloc.kind.astype(np.uint8)
    return rows.reshape(n, ROW)


def _sliced(result: MatchingResult, part: slice) -> Allocation:
    a = result.allocation
    return Allocation(
        a.claim_index[part], a.unit_offset[part], a.hour[part], a.energy[part], a.allocated[part], a.kind[part]
    )


def _serial_words(claims: Sequence[ClaimInput], index: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``serial_start + unit_offset`` per piece as 32-byte big-endian words, exactly (serials may
    exceed 64 bits: four 64-bit limbs, the offset added to the lowest with its carry)."""
    starts = [c.serial_start for c in claims]
    if any(not 0 <= s < 2**256 - U64 for s in starts):
        raise HourlyError("serial_start", "must be a uint256")
    limbs = np.array([[(s >> (64 * k)) % U64 for k in (3, 2, 1, 0)] for s in starts], dtype=np.uint64).reshape(-1, 4)
    words = limbs[index].copy()
    if np.any(offsets < 0):
        raise HourlyError("allocation.unit_offset", "must not be negative")
    low = words[:, 3] + offsets.astype(np.uint64)
    carry = low < words[:, 3]
    words[:, 3] = low
    for k in (2, 1, 0):
        words[:, k] += carry.astype(np.uint64)
        carry &= words[:, k] == 0
    return words.astype(">u8").view(np.uint8).reshape(-1, 32)


def packed_hashes(result: MatchingResult, factory_id: str) -> bytes:
    """Every piece's struct hash, concatenated (``32 * n`` bytes): what the tree is built from.

    Encoded a chunk of pieces at a time (20 MB of rows, not 320 MB per million pieces) and hashed
    straight from the rows' buffer."""
    n = len(result.allocation.hour)
    hashes: list[bytes] = []
    for first in range(0, n, CHUNK):
        rows = memoryview(_rows(result, factory_id, slice(first, first + CHUNK)).data).cast("B")
        hashes.extend(map(keccak256, (rows[k : k + ROW] for k in range(0, len(rows), ROW))))
    return b"".join(hashes)


def allocation_hashes(result: MatchingResult, factory_id: str) -> list[bytes]:
    """Every piece's ``hashStruct(HourAllocation)``, in allocation order (the Merkle record hashes)."""
    packed = packed_hashes(result, factory_id)
    return [packed[k : k + 32] for k in range(0, len(packed), 32)]


def allocation_tree(result: MatchingResult, factory_id: str) -> MerkleTree:
    """The run's allocation tree, laid out as a batch's (OZ StandardMerkleTree, ``bytes32`` leaves).

    A run with no piece has no tree: HourlyError (the run document then names no root)."""
    if len(result.allocation.hour) == 0:
        raise HourlyError("allocation", "a run with no certificate piece has no allocation tree")
    return MerkleTree.from_packed(packed_hashes(result, factory_id))


def allocation_proof(tree: MerkleTree, index: int) -> list[bytes]:
    """The proof of piece ``index`` (allocation order) to the tree's root."""
    return tree.proof(index)


def leaf_fields(result: MatchingResult, factory_id: str, index: int) -> dict[str, Any]:
    """Piece ``index``'s fields as a bundle writes them (uint256s as decimal strings)."""
    alloc = result.allocation
    if not 0 <= index < len(alloc.hour):
        raise IndexError(f"piece index {index} out of range for {len(alloc.hour)} pieces")
    claim = result.claims[int(alloc.claim_index[index])]
    return {
        "factory_id": factory_id,
        "claim_id": str(claim.claim_id),
        "registry": claim.registry,
        "block_id": claim.block_id,
        "serial": str(claim.serial_start + int(alloc.unit_offset[index])),
        "hour_start": result.span.start + int(alloc.hour[index]) * HOUR,
        "energy": int(alloc.energy[index]),
        "allocated": int(alloc.allocated[index]),
        "piece": int(alloc.kind[index]),
    }


def _uint(fields: Mapping[str, Any], name: str, bits: int) -> int:
    value = raw = fields.get(name)
    if bits == 256:  # JSON strings, canonical decimal: one piece has one written form
        text = value if isinstance(value, str) and value.isascii() and value.isdigit() else None
        value = int(text) if text is not None and str(int(text)) == text else None
    if type(value) is not int or not 0 <= value < 2**bits:
        kind = "a decimal string of a uint256" if bits == 256 else f"an integer from 0 to 2**{bits} - 1"
        raise HourlyError(name, f"must be {kind}, got {raw!r}")
    return value


def _text(fields: Mapping[str, Any], name: str) -> bytes:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise HourlyError(name, f"must be a non-empty string, got {value!r}")
    return _keccak_text(text=value)


def allocation_hash(fields: Mapping[str, Any]) -> bytes:
    """``hashStruct(HourAllocation)`` of one piece's fields as :func:`leaf_fields` writes them;
    HourlyError naming a field that is missing or out of its ABI type's range."""
    if not isinstance(fields, Mapping):
        raise HourlyError("fields", f"must be an object, got {type(fields).__name__}")
    if unknown := sorted(set(fields) - set(FIELDS)):
        raise HourlyError(unknown[0], "is not a field of HourAllocation")
    piece = _uint(fields, "piece", 8)
    if piece not in set(PieceKind):
        raise HourlyError("piece", f"must be one of {[int(k) for k in PieceKind]}, got {piece}")
    if _uint(fields, "allocated", 64) > _uint(fields, "energy", 64):
        raise HourlyError("allocated", "must not exceed the piece's energy")
    words = (
        LEAF_TYPEHASH,
        _text(fields, "factory_id"),
        _uint(fields, "claim_id", 256).to_bytes(32, "big"),
        _text(fields, "registry"),
        _text(fields, "block_id"),
        _uint(fields, "serial", 256).to_bytes(32, "big"),
        _uint(fields, "hour_start", 64).to_bytes(32, "big"),
        _uint(fields, "energy", 64).to_bytes(32, "big"),
        _uint(fields, "allocated", 64).to_bytes(32, "big"),
        piece.to_bytes(32, "big"),
    )
    return keccak256(b"".join(words))

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
Measured on a million pieces (2 shared cores): 0.15 s to encode, 2.5 s to hash (one keccak call per
piece from Python), 2.4 s to build the tree (in C).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from eth_utils import keccak as _keccak_text

from ledger.hourly.errors import HourlyError
from ledger.hourly.model import HOUR, ClaimInput, MatchingResult, PieceKind
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
ROW = 320
U64 = 2**64
CHUNK = 65_536
FIELDS = ("factory_id", "claim_id", "registry", "block_id", "serial", "hour_start", "energy", "allocated", "piece")
"""A piece's fields as the bundle writes them (``leaf_fields``): uint256s as decimal strings."""


ROW_TYPE = np.dtype([
    ("typehash", "V32"), ("factory", "V32"), ("claim_pad", "V24"), ("claim", ">u8"), ("registry", "V32"),
    ("block", "V32"), ("serial", ">u8", (4,)), ("hour_pad", "V24"), ("hour", ">u8"), ("energy_pad", "V24"),
    ("energy", ">u8"), ("allocated_pad", "V24"), ("allocated", ">u8"), ("piece_pad", "V31"), ("piece", "u1"),
])  # fmt: skip
"""One piece's ``hashStruct`` input, the ten ABI words as numpy writes them (big-endian, zero-padded)."""


@dataclass(frozen=True)
class _Claims:
    """The words a piece takes from its claim, one row per claim, computed once for all the pieces."""

    ids: np.ndarray  # >u8
    registries: np.ndarray  # V32: keccak of the registry
    blocks: np.ndarray  # V32: keccak of the block id
    serials: np.ndarray  # (claims, 4) uint64 limbs of serial_start, most significant first

    @classmethod
    def of(cls, claims: Sequence[ClaimInput]) -> _Claims:
        if any(not 0 <= c.claim_id < U64 for c in claims):
            raise HourlyError("claim_id", "must be from 0 to 2**64 - 1 (an on-chain claim id)")
        if any(not 0 <= c.serial_start < 2**256 - U64 for c in claims):
            raise HourlyError("serial_start", "must be a uint256")
        return cls(
            np.array([c.claim_id for c in claims], dtype=">u8"),
            np.array([_keccak_text(text=c.registry) for c in claims], dtype="V32"),
            np.array([_keccak_text(text=c.block_id) for c in claims], dtype="V32"),
            np.array([[(c.serial_start >> (64 * k)) % U64 for k in (3, 2, 1, 0)] for c in claims], dtype=np.uint64),
        )


def _check(result: MatchingResult) -> None:
    a = result.allocation
    if len(a.hour) and (a.hour.min() < 0 or a.hour.max() >= result.span.hours):
        raise HourlyError("allocation.hour", "a piece lies outside the run's span")
    if np.any(a.energy < 0) or np.any(a.allocated < 0) or np.any(a.allocated > a.energy):
        raise HourlyError("allocation.allocated", "must be from 0 to the piece's energy")
    if np.any(a.unit_offset < 0):
        raise HourlyError("allocation.unit_offset", "must not be negative")


def _rows(result: MatchingResult, claims: _Claims, part: slice, out: np.ndarray) -> np.ndarray:
    """The ``hashStruct`` inputs of the pieces in ``part``, written over the first rows of ``out``
    (:func:`_buffer`: its constant words and zero padding are never written again)."""
    a = result.allocation
    index = a.claim_index[part].astype(np.intp)
    rows = out[: len(index)]
    rows["claim"] = claims.ids[index]
    rows["registry"] = claims.registries[index]
    rows["block"] = claims.blocks[index]
    rows["serial"] = _serial_words(claims.serials[index], a.unit_offset[part])
    rows["hour"] = result.span.start + a.hour[part].astype(np.int64) * HOUR
    rows["energy"] = a.energy[part]
    rows["allocated"] = a.allocated[part]
    rows["piece"] = a.kind[part]
    return rows


def _buffer(size: int, factory: bytes) -> np.ndarray:
    """Rows for a chunk of pieces, reused chunk after chunk (a fresh 20 MB array each time is a fresh
    mapping whose pages fault in again): zero padding, the type hash and the factory filled once."""
    rows = np.zeros(size, dtype=ROW_TYPE)
    rows["typehash"] = np.void(LEAF_TYPEHASH)
    rows["factory"] = np.void(factory)
    return rows


def _serial_words(words: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``serial_start + unit_offset`` per piece as four 64-bit limbs, exactly (serials may exceed 64
    bits: the offset is added to the lowest limb, its carry to the next)."""
    low = words[:, 3] + offsets.astype(np.uint64)
    carry = low < words[:, 3]
    words[:, 3] = low
    for k in (2, 1, 0):
        words[:, k] += carry.astype(np.uint64)
        carry &= words[:, k] == 0
    return words


def packed_hashes(result: MatchingResult, factory_id: str) -> bytes:
    """Every piece's struct hash, concatenated (``32 * n`` bytes): what the tree is built from.

    Encoded a chunk of pieces at a time (20 MB of rows, not 320 MB per million pieces) and hashed
    straight from the rows' buffer."""
    _check(result)
    claims, n = _Claims.of(result.claims), len(result.allocation.hour)
    buffer = _buffer(min(n, CHUNK), _keccak_text(text=factory_id))
    hashes: list[bytes] = []
    for first in range(0, n, CHUNK):
        rows = memoryview(_rows(result, claims, slice(first, first + CHUNK), buffer).data).cast("B")
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

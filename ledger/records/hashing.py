"""The record hash: the EIP-712 ``hashStruct`` of a :class:`MeasurementRecord`, used as a Merkle leaf.

It is the struct hash only, without ``0x1901`` and a domain: a record belongs to a factory and a
period (both inside the struct), not to one deployment, and the batch commit that anchors the root
is what is signed under the ledger's domain. Using EIP-712's encoding anyway means a wallet or a
contract can rebuild the same hash from the same typed message (tests check this against
eth-account).

The encoding is done by hand because it runs for every record of a batch (up to a million): every
member of both structs is a static 32-byte ABI word (strings and the array are hashed first), so
``abi.encode`` is plain concatenation; and the strings that repeat across a batch (factory id,
period, source id, kind, unit, media type) have their hashes cached, since each keccak call costs
microseconds of FFI overhead while a cache hit costs a dict lookup.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from ledger.keccak import keccak256 as keccak

from .record import UNIX_EPOCH, EvidenceRef, MeasurementRecord

EVIDENCE_TYPE: list[dict[str, str]] = [
    {"name": "sha256", "type": "bytes32"},
    {"name": "fileName", "type": "string"},
    {"name": "mediaType", "type": "string"},
]
MEASUREMENT_RECORD_TYPE: list[dict[str, str]] = [
    {"name": "factoryId", "type": "string"},
    {"name": "period", "type": "string"},
    {"name": "sourceId", "type": "string"},
    {"name": "kind", "type": "string"},
    {"name": "value", "type": "string"},
    {"name": "unit", "type": "string"},
    {"name": "intervalStart", "type": "uint64"},
    {"name": "intervalEnd", "type": "uint64"},
    {"name": "evidence", "type": "Evidence[]"},
    {"name": "salt", "type": "bytes32"},
]
RECORD_TYPES: dict[str, list[dict[str, str]]] = {
    "MeasurementRecord": MEASUREMENT_RECORD_TYPE,
    "Evidence": EVIDENCE_TYPE,
}
"""The types in eth-account's ``types`` format (add ``EIP712Domain`` to sign a full message)."""


def _struct(name: str, members: list[dict[str, str]]) -> str:
    return f"{name}(" + ",".join(f"{m['type']} {m['name']}" for m in members) + ")"


EVIDENCE_TYPE_STRING = _struct("Evidence", EVIDENCE_TYPE)
# encodeType: the primary type, then referenced struct types sorted by name (only Evidence here)
RECORD_TYPE_STRING = _struct("MeasurementRecord", MEASUREMENT_RECORD_TYPE) + EVIDENCE_TYPE_STRING

EVIDENCE_TYPEHASH: bytes = keccak(EVIDENCE_TYPE_STRING.encode())
RECORD_TYPEHASH: bytes = keccak(RECORD_TYPE_STRING.encode())

_EMPTY_ARRAY_HASH = keccak(b"")
_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=65536)
def _text_hash_cached(text: str) -> bytes:
    return keccak(text.encode("utf-8"))


def _text_hash(text: str) -> bytes:
    return keccak(text.encode("utf-8"))


def unix_seconds(moment: datetime) -> int:
    """Whole seconds since 1970-01-01T00:00:00Z, computed without floats."""
    return (moment - UNIX_EPOCH) // _SECOND


_SECONDS_WORDS: dict[datetime, bytes] = {}


def _seconds_word(moment: datetime) -> bytes:
    """``unix_seconds(moment)`` as its 32-byte ABI word, remembered: a month of quarter-hour readings
    has ~3,000 distinct instants shared by all its meters. Equal datetimes are the same instant (in
    any zone), so they share a word."""
    word = _SECONDS_WORDS.get(moment)
    if word is None:
        if len(_SECONDS_WORDS) > 65536:
            _SECONDS_WORDS.clear()
        word = _SECONDS_WORDS[moment] = unix_seconds(moment).to_bytes(32, "big")
    return word


def evidence_hash(ref: EvidenceRef) -> bytes:
    """``hashStruct(Evidence)``."""
    return keccak(EVIDENCE_TYPEHASH + ref.sha256 + _text_hash(ref.file_name) + _text_hash_cached(ref.media_type))


def record_hash(record: MeasurementRecord) -> bytes:
    """``hashStruct(MeasurementRecord)``: the record's 32-byte Merkle leaf."""
    if record.evidence:
        evidence = keccak(b"".join([evidence_hash(e) for e in record.evidence]))
    else:
        evidence = _EMPTY_ARRAY_HASH
    return keccak(
        b"".join(
            (
                RECORD_TYPEHASH,
                _text_hash_cached(record.factory_id),
                _text_hash_cached(record.period),
                _text_hash_cached(record.source_id),
                _text_hash_cached(record.kind),
                _text_hash(record.value),
                _text_hash_cached(record.unit),
                _seconds_word(record.interval_start),
                _seconds_word(record.interval_end),
                evidence,
                record.salt,
            )
        )
    )


def record_message(record: MeasurementRecord) -> dict[str, Any]:
    """The record as an EIP-712 ``message`` for :data:`RECORD_TYPES` (bytes as ``bytes``)."""
    return {
        "factoryId": record.factory_id,
        "period": record.period,
        "sourceId": record.source_id,
        "kind": record.kind,
        "value": record.value,
        "unit": record.unit,
        "intervalStart": unix_seconds(record.interval_start),
        "intervalEnd": unix_seconds(record.interval_end),
        "evidence": [{"sha256": e.sha256, "fileName": e.file_name, "mediaType": e.media_type} for e in record.evidence],
        "salt": record.salt,
    }

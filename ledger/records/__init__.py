"""Measurement records and batches: the canonical data a factory signs, and its record hashes.

A factory's monthly batch is a list of :class:`MeasurementRecord`; each record's EIP-712 struct
hash (:func:`record_hash`) is a Merkle leaf of the root anchored on chain. This package decides
what a valid record is (exact decimal strings, canonical units, offsets on every timestamp,
intervals inside the period) and how it hashes; nothing here touches the chain.
"""

from .batch import Batch, parse_batch
from .errors import BatchError, RecordError
from .hashing import (
    EVIDENCE_TYPEHASH,
    RECORD_TYPEHASH,
    RECORD_TYPES,
    evidence_hash,
    record_hash,
    record_message,
    unix_seconds,
)
from .kinds import QUANTITY_KINDS, QuantityKind, register_kind
from .parsing import parse_record
from .period import check_factory_id, check_period, period_bounds
from .record import EvidenceRef, MeasurementRecord, new_salt
from .units import UNITS, Unit, convert, convert_fraction

__all__ = [
    "EVIDENCE_TYPEHASH",
    "QUANTITY_KINDS",
    "RECORD_TYPEHASH",
    "RECORD_TYPES",
    "UNITS",
    "Batch",
    "BatchError",
    "EvidenceRef",
    "MeasurementRecord",
    "QuantityKind",
    "RecordError",
    "Unit",
    "check_factory_id",
    "check_period",
    "convert",
    "convert_fraction",
    "evidence_hash",
    "new_salt",
    "parse_batch",
    "parse_record",
    "period_bounds",
    "record_hash",
    "record_message",
    "register_kind",
    "unix_seconds",
]

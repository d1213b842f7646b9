"""Stored record bodies back to records and their Merkle leaves, a month at a time.

An evaluation counts a record only if its stored body still hashes to a leaf of the root the chain
anchored, so every body of a year (up to a million and more) is read and hashed again. Read one by
one (``json.loads``, :func:`~ledger.records.parse_record`, :func:`~ledger.records.record_hash`)
that costs ~40 µs a record, most of it checking again the same few sources, kinds, units and
quarter-hours. Here a month's bodies are decoded in one call, and each distinct part is checked
once — by the full parse of the first record that carries it — and remembered with the hash words
it contributes. A later body made only of remembered parts (plus a value and salt checked here)
gives the same record and leaf as the full path; any other body takes the full path, so a body
altered into something invalid raises the same :class:`~ledger.records.RecordError`, and one
altered into another valid record hashes differently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ledger.keccak import keccak256 as keccak

from .hashing import _EMPTY_ARRAY_HASH, RECORD_TYPEHASH, _seconds_word, _text_hash_cached, record_hash
from .parsing import _RECORD_KEY_SET, _RECORD_KEY_SET_WITH_CONTEXT, parse_record
from .record import _VALUE, MAX_FRACTION_DIGITS, MAX_VALUE_LENGTH, MeasurementRecord

_new_record = object.__new__
_BOUNDED_VALUE = re.compile(_VALUE.pattern.replace("([0-9]+)", f"[0-9]{{1,{MAX_FRACTION_DIGITS}}}")).fullmatch
"""The record rule for a value (:data:`~ledger.records.record._VALUE`, at most MAX_FRACTION_DIGITS
fractional digits) as one match."""


def rehash_bodies(
    bodies: Sequence[str], *, factory_id: str, period: str
) -> tuple[list[bytes], list[MeasurementRecord]]:
    """Each body's leaf hash and record, in order, for bodies stored for ``factory_id``'s ``period``.

    Raises :class:`~ledger.records.RecordError` (path ``records[i]...``) for the first body that is
    no longer a valid record of that month.
    """
    decoded = _decoded(bodies)
    month = _Month(factory_id, period)
    hashes: list[bytes] = []
    records: list[MeasurementRecord] = []
    fast = month.fast
    for i, data in enumerate(decoded):
        found = fast(data)
        if found is None:
            found = month.slow(data, f"records[{i}]")
        hashes.append(found[0])
        records.append(found[1])
    return hashes, records


def _decoded(bodies: Sequence[str]) -> list[Any]:
    """Every body decoded, in one call when the joined array splits back into as many values (a body
    altered to hold "1,2" would not; one altered to span two others could, but every leaf is still
    compared with its stored hash and the chain's root, so nothing unsigned is counted)."""
    try:
        decoded = json.loads("[" + ",".join(bodies) + "]") if bodies else []
    except ValueError:
        decoded = []
    if len(decoded) != len(bodies):
        decoded = [json.loads(body) for body in bodies]
    return decoded


class _Month:
    """The parts of one month's records that passed the full checks, with their hash words."""

    def __init__(self, factory_id: str, period: str) -> None:
        self.factory_id = factory_id
        self.period = period
        self.prefix = RECORD_TYPEHASH + _text_hash_cached(factory_id) + _text_hash_cached(period)
        self.starts: dict[str, tuple[datetime, bytes]] = {}
        self.ends: dict[str, tuple[datetime, bytes]] = {}
        self.sources: dict[str, bytes] = {}
        self.kind_units: dict[tuple[str, str], bytes] = {}  # -> kind hash + unit hash (the value hash goes between)

    def slow(self, data: Any, path: str) -> tuple[bytes, MeasurementRecord]:
        """The full parse and hash, remembering what the record proved good."""
        record = parse_record(data, factory_id=self.factory_id, period=self.period, path=path)
        start_text, end_text = data["interval_start"], data["interval_end"]
        if type(start_text) is str and type(end_text) is str:
            self.starts[start_text] = (record.interval_start, _seconds_word(record.interval_start))
            self.ends[end_text] = (record.interval_end, _seconds_word(record.interval_end))
        self.sources[record.source_id] = _text_hash_cached(record.source_id)
        self.kind_units[(record.kind, record.unit)] = _text_hash_cached(record.kind) + _text_hash_cached(record.unit)
        return record_hash(record), record

    def fast(self, data: Any) -> tuple[bytes, MeasurementRecord] | None:
        """The leaf and record when every part of ``data`` is remembered; None otherwise."""
        if type(data) is not dict:
            return None
        keys = data.keys()
        if keys != _RECORD_KEY_SET and (
            keys != _RECORD_KEY_SET_WITH_CONTEXT or data["factory_id"] != self.factory_id or data["period"] != self.period
        ):  # fmt: skip
            return None
        source_id, kind, unit, value = data["source_id"], data["kind"], data["unit"], data["value"]
        salt_text, evidence = data["salt"], data["evidence"]
        if (
            type(value) is not str or type(salt_text) is not str or evidence != []
            or len(value) > MAX_VALUE_LENGTH or len(salt_text) != 66 or salt_text[:2] != "0x"
        ):  # fmt: skip
            return None
        try:
            start = self.starts.get(data["interval_start"])
            end = self.ends.get(data["interval_end"])
            source_hash = self.sources.get(source_id)
            kind_unit_hash = self.kind_units.get((kind, unit))
        except TypeError:  # an unhashable part (a list, an object): the full path names it
            return None
        if start is None or end is None or source_hash is None or kind_unit_hash is None:
            return None
        if not end[1] > start[1]:  # big-endian words of equal length: bytes order is number order
            return None
        if _BOUNDED_VALUE(value) is None:
            return None
        try:
            salt = bytes.fromhex(salt_text[2:])
        except ValueError:
            return None
        if len(salt) != 32:  # whitespace is skipped by fromhex: fewer bytes
            return None
        leaf = keccak(
            self.prefix + source_hash + kind_unit_hash[:32] + keccak(value.encode()) + kind_unit_hash[32:]
            + start[1] + end[1] + _EMPTY_ARRAY_HASH + salt
        )  # fmt: skip
        record = _new_record(MeasurementRecord)
        object.__setattr__(record, "__dict__", {
            "factory_id": self.factory_id, "period": self.period, "source_id": source_id, "kind": kind,
            "value": value, "unit": unit, "interval_start": start[0], "interval_end": end[0], "evidence": (),
            "salt": salt,
        })  # fmt: skip
        return leaf, record

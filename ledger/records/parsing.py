"""From the JSON wire form to a :class:`~ledger.records.record.MeasurementRecord`.

:func:`parse_record` checks the shape of the wire object (known keys, required keys, the batch's
factory and period), turns strings into Python values (offset-aware datetimes, 32-byte salts and
digests, evidence references) and lets the dataclasses check the rules; any
:class:`~ledger.records.RecordError` comes out with its path under the caller's ``path``
(``records[3].value``). A batch parses a hundred thousand records, so a record made of parts that
already passed the full checks takes a fast path here that gives the same record or none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .errors import RecordError
from .kinds import QUANTITY_KINDS
from .period import check_factory_id, check_period, period_bounds
from .record import (
    _CONTEXT_KEYS,
    _EVIDENCE_KEYS,
    _HEX32,
    _RECORD_KEYS,
    _VALUE,
    MAX_EVIDENCE,
    MAX_FRACTION_DIGITS,
    MAX_VALUE_LENGTH,
    SALT_LENGTH,
    EvidenceRef,
    MeasurementRecord,
)

_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"  # date and time, whole seconds
    r"(\.[0-9]+)?"  # fractional seconds: matched only to be refused with a clear message
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"  # offset (fromisoformat alone takes +08:61)
)
_DATETIME_HINT = "like 2025-01-01T00:00:00+08:00"


def parse_record(data: Mapping[str, Any], *, factory_id: str, period: str, path: str = "record") -> MeasurementRecord:
    """The record in ``data`` (JSON wire form) for ``factory_id``'s ``period``.

    Raises :class:`RecordError` whose ``field`` is ``{path}.{name}`` for the first rule broken.
    """
    fast = _parse_fast(data, factory_id, period)
    if fast is not None:
        return fast
    record = _parse_checked(data, factory_id=factory_id, period=period, path=path)
    _learn(data, record)
    return record


def _parse_checked(data: Mapping[str, Any], *, factory_id: str, period: str, path: str) -> MeasurementRecord:
    check_factory_id(factory_id)
    check_period(period)
    if not isinstance(data, Mapping):
        raise RecordError(path, f"must be an object, got {type(data).__name__}")
    for key in data:
        if key not in _RECORD_KEYS and key not in _CONTEXT_KEYS:
            raise RecordError(f"{path}.{key}", f"unknown field; expected {', '.join(_CONTEXT_KEYS + _RECORD_KEYS)}")
    for key, expected in (("factory_id", factory_id), ("period", period)):
        if key in data and data[key] != expected:
            raise RecordError(f"{path}.{key}", f"is {data[key]!r} but the batch is for {expected!r}")
    for key in _RECORD_KEYS:
        if key not in data:
            raise RecordError(f"{path}.{key}", "is required")
    interval_start = _parse_datetime(data["interval_start"], f"{path}.interval_start")
    interval_end = _parse_datetime(data["interval_end"], f"{path}.interval_end")
    evidence = _parse_evidence_list(data["evidence"], f"{path}.evidence")
    salt = _parse_hex32(data["salt"], f"{path}.salt", prefix_required=True)
    try:
        return MeasurementRecord(
            factory_id=factory_id,
            period=period,
            source_id=data["source_id"],
            kind=data["kind"],
            value=data["value"],
            unit=data["unit"],
            interval_start=interval_start,
            interval_end=interval_end,
            evidence=evidence,
            salt=salt,
        )
    except RecordError as e:
        raise e.rebased("record", path) from None


# --- the fast path: a record like the ones before it ----------------------------------------
#
# A month of sub-meter readings repeats the same few meters, kinds, units and quarter-hours a
# hundred thousand times; checking each from scratch is most of the cost of a batch. Values that
# passed the full checks are remembered, and a record made only of remembered values (plus a
# value and salt checked here) is built without repeating them. Anything else - including every
# record that breaks a rule - takes the full path, so errors and their order are unchanged.

_CACHE_LIMIT = 65536
_good_contexts: set[tuple[str, str]] = set()
_good_sources: set[str] = set()
_good_kind_units: dict[tuple[str, str], bool] = {}  # (kind, unit) -> kind is consumption
_good_instants: dict[str, datetime] = {}  # wire text -> its checked, aware datetime
_bounds_cache: dict[tuple[str, Any], tuple[datetime, datetime]] = {}
_RECORD_KEY_SET = frozenset(_RECORD_KEYS)
_RECORD_KEY_SET_WITH_CONTEXT = frozenset(_RECORD_KEYS + _CONTEXT_KEYS)
_new_record = object.__new__


def _parse_fast(data: object, factory_id: str, period: str) -> MeasurementRecord | None:
    """The record, if every part of it is known good; None sends it down the full path."""
    if type(data) is not dict or (factory_id, period) not in _good_contexts:
        return None
    keys = data.keys()
    if keys != _RECORD_KEY_SET and (
        keys != _RECORD_KEY_SET_WITH_CONTEXT or data["factory_id"] != factory_id or data["period"] != period
    ):
        return None
    start_text, end_text = data["interval_start"], data["interval_end"]
    source_id, kind, unit, value = data["source_id"], data["kind"], data["unit"], data["value"]
    salt_text, evidence_items = data["salt"], data["evidence"]
    if (
        type(start_text) is not str or type(end_text) is not str or type(source_id) is not str
        or type(kind) is not str or type(unit) is not str or type(value) is not str
        or type(salt_text) is not str or type(evidence_items) is not list
        or len(value) > MAX_VALUE_LENGTH or len(salt_text) != 66 or salt_text[:2] != "0x"
    ):  # fmt: skip
        return None
    start = _good_instants.get(start_text)
    end = _good_instants.get(end_text)
    consumption = _good_kind_units.get((kind, unit))
    if start is None or end is None or consumption is None or source_id not in _good_sources:
        return None
    match = _VALUE.fullmatch(value)
    if match is None or (match.group(1) is not None and len(match.group(1)) > MAX_FRACTION_DIGITS):
        return None
    if not end > start:
        return None
    bounds = _bounds_cache.get((period, start.tzinfo))
    if bounds is None or not bounds[0] <= start < bounds[1]:
        return None
    bounds = _bounds_cache.get((period, end.tzinfo))
    if bounds is None or not bounds[0] < end <= bounds[1]:
        return None
    try:
        salt = bytes.fromhex(salt_text[2:])
    except ValueError:
        return None
    if len(salt) != SALT_LENGTH:  # whitespace is skipped by fromhex: fewer bytes
        return None
    if evidence_items:
        try:
            evidence = _parse_evidence_list(evidence_items, "evidence")
        except RecordError:
            return None
    else:
        evidence = ()
    record = _new_record(MeasurementRecord)
    record.__dict__.update(
        factory_id=factory_id, period=period, source_id=source_id, kind=kind, value=value, unit=unit,
        interval_start=start, interval_end=end, evidence=evidence, salt=salt,
    )  # fmt: skip
    return record


def _learn(data: Mapping[str, Any], record: MeasurementRecord) -> None:
    """Remember the parts of a record that passed the full checks."""
    for cache in (_good_instants, _good_sources, _good_contexts, _bounds_cache):
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
    _good_contexts.add((record.factory_id, record.period))
    _good_sources.add(record.source_id)
    _good_kind_units[(record.kind, record.unit)] = QUANTITY_KINDS[record.kind].consumption
    _good_instants[data["interval_start"]] = record.interval_start
    _good_instants[data["interval_end"]] = record.interval_end
    for moment in (record.interval_start, record.interval_end):
        key = (record.period, moment.tzinfo)
        if key not in _bounds_cache:
            _bounds_cache[key] = period_bounds(record.period, moment.tzinfo)


# --- wire parsing: JSON values to Python values -----------------------------------------------


def _parse_datetime(text: object, field: str) -> datetime:
    if not isinstance(text, str):
        raise RecordError(field, f"must be an ISO 8601 date-time string {_DATETIME_HINT}")
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise RecordError(field, f"must be an ISO 8601 date-time {_DATETIME_HINT}, got {text!r}")
    if match.group(2):
        raise RecordError(field, f"fractional seconds are not allowed, got {text!r}")
    if match.group(3) is None:
        raise RecordError(field, f"must carry an explicit UTC offset (naive times are ambiguous) {_DATETIME_HINT}")
    if match.group(3) == "-00:00":
        raise RecordError(field, "offset -00:00 means 'local offset unknown' (RFC 3339); give the offset")
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise RecordError(field, f"is not a valid date-time ({e}), got {text!r}") from None


def _parse_hex32(text: object, field: str, *, prefix_required: bool) -> bytes:
    if prefix_required:
        expected = '"0x" followed by 64 hex digits'
    else:
        expected = "64 hex digits (optionally 0x-prefixed)"
    if not isinstance(text, str):
        raise RecordError(field, f"must be a string of {expected}")
    digits = text[2:] if text.startswith("0x") else text
    if (prefix_required and digits is text) or not _HEX32.fullmatch(digits):
        raise RecordError(field, f"must be {expected} (32 bytes), got {text!r}")
    return bytes.fromhex(digits)


def _parse_evidence_list(items: object, field: str) -> tuple[EvidenceRef, ...]:
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes, bytearray)):
        raise RecordError(field, f"must be a list, got {type(items).__name__}")
    if len(items) > MAX_EVIDENCE:
        raise RecordError(field, f"at most {MAX_EVIDENCE} items, got {len(items)}")
    return tuple(_parse_evidence(item, f"{field}[{i}]") for i, item in enumerate(items))


def _parse_evidence(item: object, path: str) -> EvidenceRef:
    if not isinstance(item, Mapping):
        raise RecordError(path, f"must be an object, got {type(item).__name__}")
    for key in item:
        if key not in _EVIDENCE_KEYS:
            raise RecordError(f"{path}.{key}", f"unknown field; expected {', '.join(_EVIDENCE_KEYS)}")
    for key in _EVIDENCE_KEYS:
        if key not in item:
            raise RecordError(f"{path}.{key}", "is required")
    sha256 = _parse_hex32(item["sha256"], f"{path}.sha256", prefix_required=False)
    try:
        return EvidenceRef(sha256=sha256, file_name=item["file_name"], media_type=item["media_type"])
    except RecordError as e:
        raise e.rebased("evidence", path) from None

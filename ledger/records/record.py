"""One measurement record: what a meter (or an invoice) says a factory used or made in an interval.

Records are signed and hashed, so everything here is about one canonical form:

* ``value`` stays the exact decimal string the meter gave. ``1234.50`` and ``1234.5`` are equal
  numbers but different statements of precision, and they hash differently. No sign, exponent or
  float ever enters; :attr:`MeasurementRecord.quantity` gives the :class:`~decimal.Decimal`.
* Timestamps carry their UTC offset and whole seconds, because they are hashed as unix seconds and
  a naive time would mean a different instant on every machine.
* Each timestamp, read as wall time in its own offset, must lie in the record's period: a Shanghai
  meter's interval ending at 2025-02-01T00:00:00+08:00 belongs to January.
* ``salt`` is 32 random bytes so that a record hash published as a Merkle leaf does not let anyone
  confirm a guessed reading by hashing candidates.

The dataclasses check themselves on construction (error paths start with ``record`` or
``evidence``); :func:`parse_record` turns the JSON wire form into them and moves the error paths
under the caller's ``path`` (``records[3].value``).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .errors import RecordError
from .kinds import QUANTITY_KINDS
from .period import check_factory_id, check_period, period_bounds
from .units import UNITS, symbols_for

MAX_SOURCE_ID_LENGTH = 128
MAX_VALUE_LENGTH = 64
MAX_FRACTION_DIGITS = 18
MAX_EVIDENCE = 32
MAX_FILE_NAME_LENGTH = 255
MAX_UTC_OFFSET = timedelta(hours=14)
"""Real offsets run from -12:00 to +14:00; more slack would only widen what "in the period" means."""
SALT_LENGTH = 32

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_VALUE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.([0-9]+))?")
_VALUE_HINT = 'must be a decimal string like "1234.5"'
# RFC 6838 restricted-name, for both the type and the subtype; no parameters.
_MEDIA_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(f"{_MEDIA_NAME}/{_MEDIA_NAME}")
_HEX32 = re.compile(r"[0-9a-fA-F]{64}")
_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"  # date and time, whole seconds
    r"(\.[0-9]+)?"  # fractional seconds: matched only to be refused with a clear message
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"  # offset (fromisoformat alone takes +08:61)
)
_DATETIME_HINT = "like 2025-01-01T00:00:00+08:00"
# characters that make a file name lie about itself: controls, bidi overrides and other format
# characters, surrogates, line and paragraph separators
_BAD_FILE_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_RECORD_KEYS = (
    "source_id",
    "kind",
    "value",
    "unit",
    "interval_start",
    "interval_end",
    "evidence",
    "salt",
)
_CONTEXT_KEYS = ("factory_id", "period")
_EVIDENCE_KEYS = ("sha256", "file_name", "media_type")


@dataclass(frozen=True)
class EvidenceRef:
    """A document backing a record (meter photo, invoice PDF), pinned by its SHA-256."""

    sha256: bytes
    file_name: str
    media_type: str

    def __post_init__(self) -> None:
        _check_evidence(self, "evidence")

    def to_json(self) -> dict[str, str]:
        return {"sha256": self.sha256.hex(), "file_name": self.file_name, "media_type": self.media_type}


@dataclass(frozen=True)
class MeasurementRecord:
    """One reading of one source for one interval, inside one factory's period."""

    factory_id: str
    period: str
    source_id: str
    kind: str
    value: str
    unit: str
    interval_start: datetime
    interval_end: datetime
    evidence: tuple[EvidenceRef, ...]
    salt: bytes

    def __post_init__(self) -> None:
        _check_record(self, "record")

    @property
    def quantity(self) -> Decimal:
        """``value`` as an exact Decimal (``Decimal("1234.50")`` keeps its exponent)."""
        return Decimal(self.value)

    def to_json(self, *, include_context: bool = True) -> dict[str, Any]:
        """The wire form; ``include_context=False`` leaves out factory_id and period (as a batch does)."""
        out: dict[str, Any] = {}
        if include_context:
            out["factory_id"] = self.factory_id
            out["period"] = self.period
        out.update(
            source_id=self.source_id,
            kind=self.kind,
            value=self.value,
            unit=self.unit,
            interval_start=self.interval_start.isoformat(),
            interval_end=self.interval_end.isoformat(),
            evidence=[e.to_json() for e in self.evidence],
            salt="0x" + self.salt.hex(),
        )
        return out


def new_salt() -> bytes:
    """32 bytes from the OS's CSPRNG, for a new record's ``salt``."""
    return secrets.token_bytes(SALT_LENGTH)


def parse_record(
    data: Mapping[str, Any], *, factory_id: str, period: str, path: str = "record"
) -> MeasurementRecord:
    """The record in ``data`` (JSON wire form) for ``factory_id``'s ``period``.

    Raises :class:`RecordError` whose ``field`` is ``{path}.{name}`` for the first rule broken.
    """
    fast = _parse_fast(data, factory_id, period)
    if fast is not None:
        return fast
    record = _parse_checked(data, factory_id=factory_id, period=period, path=path)
    _learn(data, record)
    return record


def _parse_checked(
    data: Mapping[str, Any], *, factory_id: str, period: str, path: str
) -> MeasurementRecord:
    check_factory_id(factory_id)
    check_period(period)
    if not isinstance(data, Mapping):
        raise RecordError(path, f"must be an object, got {type(data).__name__}")
    for key in data:
        if key not in _RECORD_KEYS and key not in _CONTEXT_KEYS:
            raise RecordError(
                f"{path}.{key}", f"unknown field; expected {', '.join(_CONTEXT_KEYS + _RECORD_KEYS)}"
            )
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
        raise RecordError(
            field, f"must carry an explicit UTC offset (naive times are ambiguous) {_DATETIME_HINT}"
        )
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


# --- the rules, on Python values --------------------------------------------------------------


def _check_evidence(ref: EvidenceRef, path: str) -> None:
    if not isinstance(ref.sha256, bytes) or len(ref.sha256) != 32:
        raise RecordError(f"{path}.sha256", "must be 32 bytes")
    name = ref.file_name
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_FILE_NAME_LENGTH:
        raise RecordError(f"{path}.file_name", f"must be a string of 1-{MAX_FILE_NAME_LENGTH} characters")
    if "/" in name or "\\" in name:
        raise RecordError(f"{path}.file_name", f"must be a bare file name without '/' or '\\', got {name!r}")
    if any(unicodedata.category(c) in _BAD_FILE_NAME_CATEGORIES for c in name):
        raise RecordError(f"{path}.file_name", f"must not contain control or format characters, got {name!r}")
    if not isinstance(ref.media_type, str) or not _MEDIA_TYPE.fullmatch(ref.media_type):
        raise RecordError(
            f"{path}.media_type",
            f"must be a media type like application/pdf (RFC 6838, no parameters), got {ref.media_type!r}",
        )


def _check_record(r: MeasurementRecord, path: str) -> None:
    check_factory_id(r.factory_id, f"{path}.factory_id")
    check_period(r.period, f"{path}.period")
    _check_source_id(r.source_id, f"{path}.source_id")

    kind = QUANTITY_KINDS.get(r.kind) if isinstance(r.kind, str) else None
    if kind is None:
        raise RecordError(f"{path}.kind", f"unknown kind {r.kind!r}; known: {', '.join(QUANTITY_KINDS)}")

    _check_value(r.value, kind.consumption, f"{path}.value")

    unit = UNITS.get(r.unit) if isinstance(r.unit, str) else None
    if unit is None or unit.dimension not in kind.dimensions:
        accepted = ", ".join(symbols_for(kind.dimensions))
        what = f"unknown unit {r.unit!r}" if unit is None else f"{r.unit!r} measures {unit.dimension}"
        raise RecordError(f"{path}.unit", f"{what}; accepted for {kind.name}: {accepted}")

    start_field, end_field = f"{path}.interval_start", f"{path}.interval_end"
    _check_instant(r.interval_start, start_field)
    _check_instant(r.interval_end, end_field)
    if r.interval_end <= r.interval_start:
        raise RecordError(
            end_field,
            f"must be after interval_start ({r.interval_end.isoformat()} <= {r.interval_start.isoformat()})",
        )
    first, after = _bounds(r.period, r.interval_start, start_field)
    if not first <= r.interval_start < after:
        raise RecordError(
            start_field,
            f"{r.interval_start.isoformat()} is outside period {r.period} "
            f"[{first.isoformat()}, {after.isoformat()}) in its own offset",
        )
    first, after = _bounds(r.period, r.interval_end, end_field)
    if not first < r.interval_end <= after:
        raise RecordError(
            end_field,
            f"{r.interval_end.isoformat()} is outside period {r.period} "
            f"({first.isoformat()}, {after.isoformat()}] in its own offset",
        )

    if not isinstance(r.evidence, tuple):
        got = type(r.evidence).__name__
        raise RecordError(f"{path}.evidence", f"must be a tuple of EvidenceRef, got {got}")
    if len(r.evidence) > MAX_EVIDENCE:
        raise RecordError(f"{path}.evidence", f"at most {MAX_EVIDENCE} items, got {len(r.evidence)}")
    for i, ref in enumerate(r.evidence):
        if not isinstance(ref, EvidenceRef):
            raise RecordError(f"{path}.evidence[{i}]", f"must be an EvidenceRef, got {type(ref).__name__}")

    if not isinstance(r.salt, bytes) or len(r.salt) != SALT_LENGTH:
        raise RecordError(f"{path}.salt", f"must be {SALT_LENGTH} bytes")


def _check_source_id(source_id: object, field: str) -> None:
    if not isinstance(source_id, str) or not 1 <= len(source_id) <= MAX_SOURCE_ID_LENGTH:
        raise RecordError(field, f"must be a string of 1-{MAX_SOURCE_ID_LENGTH} characters")
    if not source_id.isprintable() or source_id.strip() != source_id:
        raise RecordError(
            field, f"must be printable, without leading or trailing whitespace, got {source_id!r}"
        )


def _check_value(value: object, consumption: bool, field: str) -> None:
    if not isinstance(value, str):
        raise RecordError(field, f"{_VALUE_HINT}, got {type(value).__name__} {value!r}")
    if len(value) > MAX_VALUE_LENGTH:
        raise RecordError(field, f"at most {MAX_VALUE_LENGTH} characters, got {len(value)}")
    match = _VALUE.fullmatch(value)
    if match is None:
        if value.startswith("-") and _VALUE.fullmatch(value[1:]):
            what = "consumption" if consumption else "a measured quantity"
            raise RecordError(field, f"{what} cannot be negative, got {value!r}")
        raise RecordError(
            field, f"{_VALUE_HINT} (no sign, exponent or leading zeros), got {value!r}"
        )
    fraction = match.group(1)
    if fraction is not None and len(fraction) > MAX_FRACTION_DIGITS:
        raise RecordError(field, f"at most {MAX_FRACTION_DIGITS} fractional digits, got {len(fraction)}")


def _check_instant(moment: object, field: str) -> None:
    if not isinstance(moment, datetime):
        raise RecordError(field, f"must be a datetime, got {type(moment).__name__}")
    offset = moment.utcoffset()
    if offset is None:
        raise RecordError(field, "must carry a UTC offset (naive times are ambiguous)")
    if offset % timedelta(minutes=1) or abs(offset) > MAX_UTC_OFFSET:
        raise RecordError(field, f"UTC offset must be whole minutes within ±14:00, got {offset}")
    if moment.microsecond:
        raise RecordError(field, "fractional seconds are not allowed")
    if moment < UNIX_EPOCH:
        raise RecordError(field, "must not be before 1970-01-01T00:00:00Z (hashed as unsigned unix seconds)")


def _bounds(period: str, moment: datetime, field: str) -> tuple[datetime, datetime]:
    try:
        return period_bounds(period, moment.tzinfo)
    except RecordError as e:
        raise RecordError(field, e.message) from None

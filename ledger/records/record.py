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
``evidence``); :func:`~ledger.records.parse_record` (in :mod:`ledger.records.parsing`) turns the
JSON wire form into them and moves the error paths under the caller's ``path``
(``records[3].value``). The limits, patterns and keys of the wire form stay here, next to the
rules that use them, because :mod:`ledger.records.spec` publishes them to the web client.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_VALUE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.([0-9]+))?")
_VALUE_HINT = 'must be a decimal string like "1234.5"'
# RFC 6838 restricted-name, for both the type and the subtype; no parameters.
_MEDIA_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(f"{_MEDIA_NAME}/{_MEDIA_NAME}")
_HEX32 = re.compile(r"[0-9a-fA-F]{64}")
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
        raise RecordError(field, f"must be printable, without leading or trailing whitespace, got {source_id!r}")


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
        raise RecordError(field, f"{_VALUE_HINT} (no sign, exponent or leading zeros), got {value!r}")
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

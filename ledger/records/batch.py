"""A batch: one revision of one factory's records for one period, whose record hashes become the
Merkle leaves of the root the factory signs and anchors.

The batch header mirrors the on-chain ``BatchCommit`` rules (factory id, period, revision in
uint32 from 1, URI at most 512 bytes) so that a batch accepted here is not refused on chain for a
header reason. Two records with the same hash would be the same leaf twice — the same reading
counted twice — so duplicates are refused; different salts make genuinely repeated readings distinct.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import BatchError, RecordError
from .hashing import record_hash
from .parsing import parse_record
from .period import check_factory_id, check_period
from .record import MeasurementRecord

MAX_URI_BYTES = 512
"""``BatchAnchors.MAX_URI_LENGTH`` (bytes of UTF-8)."""
MAX_REVISION = 2**32 - 1

_BATCH_KEYS = frozenset({"factory_id", "period", "revision", "uri", "records"})
_REQUIRED_KEYS = ("factory_id", "period", "revision", "records")


@dataclass(frozen=True)
class Batch:
    """The records of one revision of one factory's period, in leaf order."""

    factory_id: str
    period: str
    revision: int
    uri: str
    records: tuple[MeasurementRecord, ...]

    def __post_init__(self) -> None:
        try:
            check_factory_id(self.factory_id)
            check_period(self.period)
        except RecordError as e:
            raise BatchError(e.field, e.message) from None
        _check_revision(self.revision)
        _check_uri(self.uri)
        if not isinstance(self.records, tuple):
            got = type(self.records).__name__
            raise BatchError("records", f"must be a tuple of MeasurementRecord, got {got}")
        if not self.records:
            raise BatchError("records", "must contain at least one record")
        for i, record in enumerate(self.records):
            if not isinstance(record, MeasurementRecord):
                raise BatchError(f"records[{i}]", f"must be a MeasurementRecord, got {type(record).__name__}")
            for name in ("factory_id", "period"):
                mine, theirs = getattr(record, name), getattr(self, name)
                if mine != theirs:
                    raise BatchError(f"records[{i}].{name}", f"is {mine!r} but the batch is for {theirs!r}")
        hashes = tuple(record_hash(r) for r in self.records)
        _check_unique(hashes)
        # the hashes are needed for the duplicate check anyway; keep them (not a dataclass field)
        object.__setattr__(self, "_record_hashes", hashes)

    @classmethod
    def _assembled(
        cls, factory_id: str, period: str, revision: int, uri: str,
        records: tuple[MeasurementRecord, ...], hashes: tuple[bytes, ...],
    ) -> Batch:  # fmt: skip
        """A batch from records :class:`BatchBuilder` has already checked and hashed: the checks
        of ``__post_init__`` would repeat its work record by record."""
        batch = object.__new__(cls)
        batch.__dict__.update(
            factory_id=factory_id, period=period, revision=revision, uri=uri, records=records, _record_hashes=hashes
        )
        return batch

    def record_hashes(self) -> list[bytes]:
        """The records' EIP-712 struct hashes, in record order: the Merkle leaves."""
        hashes: tuple[bytes, ...] = self.__dict__["_record_hashes"]
        return list(hashes)

    def to_json(self) -> dict[str, Any]:
        """The wire form; records leave out factory_id and period, which the batch states once."""
        return {
            "factory_id": self.factory_id,
            "period": self.period,
            "revision": self.revision,
            "uri": self.uri,
            "records": [r.to_json(include_context=False) for r in self.records],
        }


def parse_batch(data: Mapping[str, Any], *, extra_keys: frozenset[str] = frozenset()) -> Batch:
    """The batch in ``data`` (JSON wire form).

    ``extra_keys`` names top-level keys that a wrapper owns (a signed envelope's ``root``,
    ``signature``…); they are ignored here. Any other unknown key is an error. Errors are
    :class:`RecordError` (:class:`BatchError` for header and batch-wide rules) with paths like
    ``factory_id`` or ``records[3].unit``.
    """
    if not isinstance(data, Mapping):
        raise BatchError("batch", f"must be an object, got {type(data).__name__}")
    for key in data:
        if key not in _BATCH_KEYS and key not in extra_keys:
            raise BatchError(str(key), f"unknown field; expected {', '.join(sorted(_BATCH_KEYS))}")
    for key in _REQUIRED_KEYS:
        if key not in data:
            raise BatchError(key, "is required")
    try:
        factory_id = check_factory_id(data["factory_id"])
        period = check_period(data["period"])
    except RecordError as e:
        raise BatchError(e.field, e.message) from None
    _check_revision(data["revision"])
    uri = data.get("uri", "")
    _check_uri(uri)
    items = data["records"]
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes, bytearray)):
        raise BatchError("records", f"must be a list, got {type(items).__name__}")
    if not items:
        raise BatchError("records", "must contain at least one record")
    builder = BatchBuilder(factory_id, period, data["revision"], uri)
    for item in items:
        builder.add(item)
    return builder.build()


class BatchBuilder:
    """Assembles a batch one wire record at a time, for a batch that arrives as a stream.

    Each record is parsed and hashed as it is added, so a caller holds only the records, never
    the wire form of the whole batch. The result is the :class:`Batch` that :func:`parse_batch`
    gives for the same records, with the same errors in the same order: a record's own error
    when it is added, a duplicate (found on the way) only at :meth:`build`, after every record
    has been checked on its own.
    """

    def __init__(self, factory_id: object, period: object, revision: object, uri: object = "") -> None:
        try:
            self.factory_id = check_factory_id(factory_id)
            self.period = check_period(period)
        except RecordError as e:
            raise BatchError(e.field, e.message) from None
        _check_revision(revision)
        _check_uri(uri)
        self.revision: int = revision  # type: ignore[assignment]
        self.uri: str = uri  # type: ignore[assignment]
        self._records: list[MeasurementRecord] = []
        self._hashes: list[bytes] = []
        self._first_seen: dict[bytes, int] = {}
        self._duplicate: tuple[int, int] | None = None

    def __len__(self) -> int:
        return len(self._records)

    def parse(self, item: object, index: int) -> tuple[MeasurementRecord, bytes]:
        """Parse and hash record ``index`` of this batch (``records[index]`` in errors), keeping nothing."""
        record = parse_record(item, factory_id=self.factory_id, period=self.period, path=f"records[{index}]")  # type: ignore[arg-type]
        return record, record_hash(record)

    def add(self, item: object) -> bytes:
        """Parse and hash the next record (``records[i]`` in errors); returns its hash."""
        i = len(self._records)
        record, digest = self.parse(item, i)
        j = self._first_seen.setdefault(digest, i)
        if j != i and self._duplicate is None:
            self._duplicate = (i, j)
        self._records.append(record)
        self._hashes.append(digest)
        return digest

    def build(self) -> Batch:
        if not self._records:
            raise BatchError("records", "must contain at least one record")
        if self._duplicate is not None:
            i, j = self._duplicate
            raise BatchError(f"records[{i}]", f"duplicates records[{j}]")
        return Batch._assembled(
            self.factory_id, self.period, self.revision, self.uri, tuple(self._records), tuple(self._hashes)
        )


def _check_revision(revision: object) -> None:
    # bool is an int subclass; a JSON true must not pass as revision 1
    if type(revision) is not int:
        raise BatchError("revision", f"must be an integer, got {type(revision).__name__} {revision!r}")
    if not 1 <= revision <= MAX_REVISION:
        raise BatchError("revision", f"must be between 1 and {MAX_REVISION}, got {revision}")


def _check_uri(uri: object) -> None:
    if not isinstance(uri, str):
        raise BatchError("uri", f"must be a string, got {type(uri).__name__}")
    try:
        size = len(uri.encode("utf-8"))
    except UnicodeEncodeError:
        raise BatchError("uri", "must be valid Unicode (no lone surrogates)") from None
    if size > MAX_URI_BYTES:
        raise BatchError("uri", f"must be at most {MAX_URI_BYTES} bytes of UTF-8, got {size}")


def _check_unique(hashes: Iterable[bytes]) -> None:
    first_seen: dict[bytes, int] = {}
    for i, h in enumerate(hashes):
        j = first_seen.setdefault(h, i)
        if j != i:
            raise BatchError(f"records[{i}]", f"duplicates records[{j}]")

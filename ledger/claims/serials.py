"""Registry serial numbers → ``(registry, block_id, start..end)``, the key the claims contract checks.

On chain a claim is keyed by ``(registry, block_id)`` with an inclusive integer range ``start..end``
and the contract refuses overlaps *within one block*. So the one rule every format below obeys is:
**two serials that can denote the same unit must give the same ``block_id``** (or overlap goes
unseen). Where a part of a serial is not proven stable for the same units, it is left out of
``block_id``: merging two blocks can only cause a visible refusal, splitting one hides a double claim.

A serial is read by its registry's format (:mod:`ledger.claims.serial_formats`: VCS, GS, GEC,
I-REC, each with its sources); a registry without a published one (CCER) is looked up and claimed
by block id and unit range (:func:`block_range`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ledger.claims.registries import REGISTRIES, get_registry
from ledger.records.errors import RecordError

MAX_SERIAL = 2**128 - 1  # the contract's uint128
MAX_BLOCK_ID = 128  # the contract's MAX_ID_LENGTH (bytes; every block id here is ASCII)
RANGE_SEPARATOR = ".."  # START..END for the per-unit formats (GEC, I-REC)


@dataclass(frozen=True)
class SerialRange:
    """Units ``start..end`` (inclusive) of issuance block ``block_id`` of ``registry``."""

    registry: str
    block_id: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end <= MAX_SERIAL:
            raise RecordError("serial", f"range {self.start}..{self.end} is not within 0..2**128-1 in order")
        if not self.block_id or len(self.block_id.encode()) > MAX_BLOCK_ID:
            raise RecordError("serial", f"block id must be 1-{MAX_BLOCK_ID} bytes, got {len(self.block_id.encode())}")

    @property
    def units(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class SerialFormat:
    """How one registry writes serials: ``detect`` recognises the shape (cheaply, so that a
    malformed serial of that registry still gets that registry's precise error), ``parse`` reads it
    (raising :class:`RecordError` on field ``serial``)."""

    registry: str
    description: str  # for "expected one of ...", e.g. 'Verra "0001-000001-000100-VCS-VCU-..."'
    detect: Callable[[str], bool]
    parse: Callable[[str], SerialRange]


_FORMATS: dict[str, SerialFormat] = {}
SERIAL_FORMATS: Mapping[str, SerialFormat] = MappingProxyType(_FORMATS)


def register_serial_format(fmt: SerialFormat, *, replace: bool = False) -> SerialFormat:
    """Add (or with ``replace=True``, swap) the serial format of a registry defined in ``registries``."""
    if fmt.registry not in REGISTRIES:
        raise ValueError(f"registry {fmt.registry!r} is not defined; register_registry it first")
    if fmt.registry in _FORMATS and _FORMATS[fmt.registry] != fmt and not replace:
        raise ValueError(f"a serial format for {fmt.registry} is already registered")
    _FORMATS[fmt.registry] = fmt
    return fmt


def parse_serial(text: str, registry: str | None = None) -> SerialRange:
    """The registry, block and unit range a serial denotes.

    With ``registry`` None the format is recognised from the text; otherwise the text must be in
    that registry's format. Errors are ``RecordError("serial", ...)`` naming the part that is wrong
    (``RecordError("registry", ...)`` for a registry that does not exist).
    """
    if not isinstance(text, str):
        raise RecordError("serial", "must be a string")
    text = text.strip()
    if not text:
        raise RecordError("serial", "is empty")
    if registry is not None:
        get_registry(registry)
        fmt = _FORMATS.get(registry)
        if fmt is None:
            with_formats = ", ".join(sorted(_FORMATS))
            raise RecordError(
                "serial",
                f"no serial format is known for {registry} (only {with_formats}); "
                "give block_id, serial_start and serial_end instead",
            )
        return _checked(fmt, fmt.parse(text))
    for fmt in _FORMATS.values():
        if fmt.detect(text):
            return _checked(fmt, fmt.parse(text))
    expected = "; ".join(f.description for f in _FORMATS.values())
    raise RecordError("serial", f"unknown format; expected one of: {expected}")


def _checked(fmt: SerialFormat, parsed: SerialRange) -> SerialRange:
    if parsed.registry != fmt.registry:  # a registered parser that mislabels its result
        raise ValueError(f"the {fmt.registry} serial parser returned registry {parsed.registry!r}")
    return parsed


def block_range(
    registry: str,
    block_id: str,
    first: str | int,
    last: str | int,
    *,
    fields: tuple[str, str, str] = ("block", "first", "last"),
) -> SerialRange:
    """Units ``first..last`` of block ``block_id``, as a registry without a serial format (CCER)
    names them, and as any registry's units can be named: the block id as the claim gave it and the
    two unit numbers as whole decimals. Errors name ``fields`` (the block's, the first's, the
    last's), since the API's query parameters and the CLI's options call them differently."""
    block_field, first_field, last_field = fields
    get_registry(registry)
    if not isinstance(block_id, str) or not block_id.strip():
        raise RecordError(block_field, "is empty: give the block id as the registry shows it")
    block_id = block_id.strip()
    if len(block_id.encode()) > MAX_BLOCK_ID:
        raise RecordError(block_field, f"must be at most {MAX_BLOCK_ID} bytes, got {len(block_id.encode())}")
    start, end = _whole(first_field, first), _whole(last_field, last)
    if end < start:
        raise RecordError(last_field, f"must not be below {first_field} ({end} < {start})")
    return SerialRange(registry, block_id, start, end)


def _whole(field: str, value: str | int) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,39}", text) or int(text) > MAX_SERIAL:
        raise RecordError(field, f'must be a whole number from 0 to 2**128-1, got "{text}"')
    return int(text)


# The built-in formats register themselves with the table above.
from ledger.claims import serial_formats as _builtin_formats  # noqa: E402, F401

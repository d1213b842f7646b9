"""A retirement claim from its JSON form, checked field by field.

The signed message itself — ``RetirementClaim`` with its nested ``ClaimDetails``, their EIP-712
types and the details' struct hash — is :mod:`ledger.eip712.retirement_claim`; this module holds the
rules a claim's fields must follow (registries, serials, periods, quantities) and names the field
that breaks one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.claims.claim_facts import FACT_KEYS, parse_facts
from ledger.claims.registries import get_registry
from ledger.eip712.retirement_claim import (
    CLAIM_TYPES,
    ClaimDetails,
    RetirementClaim,
    claim_digest,
    details_hash,
    recover_claim_signer,
    sign_claim,
    typed_data,
)
from ledger.records.errors import RecordError
from ledger.records.period import check_factory_id, check_period

__all__ = [
    "CLAIM_KEYS",
    "CLAIM_TYPES",
    "ClaimDetails",
    "RetirementClaim",
    "claim_digest",
    "details_hash",
    "parse_claim",
    "recover_claim_signer",
    "sign_claim",
    "typed_data",
]

_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
_ID = re.compile(r"[^\x00-\x1f\x7f]{1,128}")
MAX_SERIAL = 2**128 - 1


CLAIM_KEYS = frozenset(
    {
        "factory_id", "registry", "block_id", "serial_start", "serial_end", "serial", "consumption_start",
        "consumption_end", "project_id", "technology", "quantity", "unit", "generation_start", "generation_end",
        "purpose", "evidence_sha256", *FACT_KEYS,
    }
)  # fmt: skip


def parse_claim(data: Mapping[str, Any], *, extra_keys: frozenset[str] = frozenset()) -> RetirementClaim:
    """A claim from its JSON form; errors name the field.

    The units may be given as ``registry`` + ``block_id`` + ``serial_start``/``serial_end`` (decimal
    strings), or as the registry's own ``serial`` string, which is parsed into those.
    """
    if not isinstance(data, Mapping):
        raise RecordError("claim", "must be a JSON object")
    unknown = sorted(set(data) - CLAIM_KEYS - extra_keys)
    if unknown:
        raise RecordError(unknown[0], "is not a claim field")
    fields = dict(data)
    if "serial" in fields:
        from ledger.claims.serials import parse_serial

        parsed = parse_serial(_text(fields, "serial", 200), registry=fields.get("registry"))
        for key, value in (
            ("registry", parsed.registry), ("block_id", parsed.block_id),
            ("serial_start", str(parsed.start)), ("serial_end", str(parsed.end)),
        ):  # fmt: skip
            given = fields.get(key)
            if given is not None and not _same(key, given, value):
                raise RecordError(key, f"{given!r} disagrees with the serial, which gives {value!r}")
            fields[key] = value
    factory_id = check_factory_id(_text(fields, "factory_id", 64))
    registry = get_registry(fields.get("registry"))
    block_id = _text(fields, "block_id", 128)
    start, end = _serial(fields, "serial_start"), _serial(fields, "serial_end")
    if start > end:
        raise RecordError("serial_end", f"must not be below serial_start ({end} < {start})")
    consumption_start = check_period(_text(fields, "consumption_start", 7), "consumption_start")
    consumption_end = check_period(_text(fields, "consumption_end", 7), "consumption_end")
    if consumption_end < consumption_start:
        raise RecordError("consumption_end", f"{consumption_end} is before consumption_start {consumption_start}")
    generation_start = check_period(_text(fields, "generation_start", 7), "generation_start")
    generation_end = check_period(_text(fields, "generation_end", 7), "generation_end")
    if generation_end < generation_start:
        raise RecordError("generation_end", f"{generation_end} is before generation_start {generation_start}")
    quantity = _text(fields, "quantity", 40)
    if not _DECIMAL.fullmatch(quantity):
        raise RecordError("quantity", f'must be a decimal string like "100", got {quantity!r}')
    unit = _text(fields, "unit", 16)
    if unit != registry.unit:
        raise RecordError("unit", f"{registry.name} units are {registry.unit}, not {unit!r}")
    if Decimal(quantity) != end - start + 1:
        raise RecordError(
            "quantity", f"{quantity} {unit} does not match serials {start}..{end} ({end - start + 1} units)"
        )
    evidence = _text(fields, "evidence_sha256", 66).removeprefix("0x")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", evidence):
        raise RecordError("evidence_sha256", "must be the sha256 of the retirement statement, 64 hex characters")
    return RetirementClaim(
        factory_id=factory_id,
        registry=registry.name,
        block_id=block_id,
        serial_start=start,
        serial_end=end,
        consumption_start=consumption_start,
        consumption_end=consumption_end,
        details=ClaimDetails(
            project_id=_text(fields, "project_id", 128),
            technology=_text(fields, "technology", 64),
            quantity=quantity,
            unit=unit,
            generation_start=generation_start,
            generation_end=generation_end,
            purpose=_text(fields, "purpose", 256),
            evidence_sha256=bytes.fromhex(evidence),
            **parse_facts(fields, registry),
        ),
    )


def _same(key: str, given: Any, parsed: str) -> bool:
    """Whether an explicit field agrees with the serial (serial numbers compare as numbers)."""
    if key in ("serial_start", "serial_end") and isinstance(given, (str, int)) and not isinstance(given, bool):
        return str(given).isdigit() and int(given) == int(parsed)
    return str(given) == parsed


def _text(fields: Mapping[str, Any], key: str, max_length: int) -> str:
    value = fields.get(key)
    if not isinstance(value, str):
        raise RecordError(key, "is required (a string)" if value is None else "must be a string")
    if not _ID.fullmatch(value) or len(value) > max_length or value != value.strip():
        raise RecordError(key, f"must be 1-{max_length} printable characters without surrounding spaces")
    return value


def _serial(fields: Mapping[str, Any], key: str) -> int:
    value = fields.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(key, "must be a serial number (a decimal string)")
    text = str(value)
    if not re.fullmatch(r"0|[1-9][0-9]{0,38}", text) or int(text) > MAX_SERIAL:
        raise RecordError(key, f"must be a whole number from 0 to 2**128-1, got {text!r}")
    return int(text)

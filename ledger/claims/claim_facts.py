"""The facts a claim carries for eligibility, checked field by field (errors name the field).

Where the power or the reduction came from (``country``, ``region``), under which registry
methodology or project type (``methodology``), which retirement statement proves it
(``cancellation_number``, ``cancellation_date``) and, for a GEC range delivered with green power, the
``green_power_contract`` record it came bundled with (``bundled_with``). They are part of the signed
``ClaimDetails``, so a verifier sees exactly what the factory declared; whether they make the claim
count is :mod:`ledger.claims.eligibility`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ledger.claims.registries import Registry
from ledger.records.errors import RecordError

FACT_KEYS = ("country", "region", "methodology", "cancellation_number", "cancellation_date", "bundled_with")

_COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2
_REGION = re.compile(r"([A-Z]{2})-[A-Z0-9]{1,3}")  # ISO 3166-2, e.g. CN-GD, VN-SG
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TEXT = re.compile(r"[^\x00-\x1f\x7f]+")


def parse_facts(fields: Mapping[str, Any], registry: Registry) -> dict[str, str]:
    """The eligibility facts of a claim's JSON form, as ``ClaimDetails`` keyword arguments."""
    country = _string(fields, "country", required=True)
    if not _COUNTRY.fullmatch(country):
        raise RecordError("country", f'must be an ISO 3166-1 alpha-2 code like "CN", got {country!r}')
    region = _string(fields, "region")
    match = _REGION.fullmatch(region)
    if region and (match is None or match.group(1) != country):
        raise RecordError(
            "region", f'must be "" or an ISO 3166-2 code of {country} like "{country}-GD", got {region!r}'
        )
    methodology = _string(fields, "methodology", required=registry.instrument == "credit", max_length=64)
    date = _string(fields, "cancellation_date", required=True, max_length=10)
    try:
        if not _DATE.fullmatch(date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError:
        raise RecordError("cancellation_date", f"must be a date YYYY-MM-DD, got {date!r}") from None
    return {
        "country": country,
        "region": region,
        "methodology": methodology,
        "cancellation_number": _string(fields, "cancellation_number", required=True),
        "cancellation_date": date,
        "bundled_with": _string(fields, "bundled_with"),
    }


def _string(fields: Mapping[str, Any], key: str, *, required: bool = False, max_length: int = 128) -> str:
    """A printable string without surrounding spaces; "" (or absent) only where not ``required``."""
    value = fields.get(key, "")
    if not isinstance(value, str):
        raise RecordError(key, "must be a string")
    if not value:
        if required:
            raise RecordError(key, "is required (a non-empty string)")
        return ""
    if not _TEXT.fullmatch(value) or len(value) > max_length or value != value.strip():
        raise RecordError(key, f"must be 1-{max_length} printable characters without surrounding spaces")
    return value

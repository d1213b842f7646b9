"""Factory ids and reporting periods, checked exactly as the contracts check them.

``FactoryRegistry._checkFactoryId`` and ``Periods.isValid`` decide on chain what a factory id and a
period are; a batch that passes here but reverts there (or the reverse) would be a bug, so the
rules are mirrored byte for byte, not "improved".
"""

from __future__ import annotations

import datetime as _dt
import re

from .errors import RecordError

MAX_FACTORY_ID_LENGTH = 64
"""``FactoryRegistry.MAX_FACTORY_ID_LENGTH``."""

# ASCII only (explicit classes, not \d or \w, which match other scripts' digits and letters), so a
# length in characters equals the contract's length in bytes.
_FACTORY_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PERIOD = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")


def check_factory_id(text: object, field: str = "factory_id") -> str:
    """``text`` if it is 1–64 characters of ``A-Z a-z 0-9 . _ : -``; :class:`RecordError` otherwise."""
    if not isinstance(text, str):
        raise RecordError(field, f"must be a string, got {type(text).__name__}")
    if not _FACTORY_ID.fullmatch(text):
        raise RecordError(
            field,
            f"must be 1-{MAX_FACTORY_ID_LENGTH} characters of A-Z a-z 0-9 . _ : -, got {text!r}",
        )
    return text


def check_period(text: object, field: str = "period") -> str:
    """``text`` if it is ``YYYY-MM`` (seven characters, digits and a dash, month 01–12)."""
    if not isinstance(text, str):
        raise RecordError(field, f"must be a string, got {type(text).__name__}")
    if not _PERIOD.fullmatch(text):
        raise RecordError(field, f"must be YYYY-MM with month 01-12, got {text!r}")
    return text


def period_bounds(period: str, tzinfo: _dt.tzinfo | None) -> tuple[_dt.datetime, _dt.datetime]:
    """``[first instant of the month, first instant of the next month)`` as wall time in ``tzinfo``.

    The contract accepts years 0000–9999; Python's datetimes cannot represent 0000-01-01 or the
    month after 9999-12, so those two edges raise :class:`RecordError` on ``period``.
    """
    check_period(period)
    year, month = int(period[:4]), int(period[5:])
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        return (
            _dt.datetime(year, month, 1, tzinfo=tzinfo),
            _dt.datetime(next_year, next_month, 1, tzinfo=tzinfo),
        )
    except ValueError:
        raise RecordError("period", f"{period} is outside the dates this ledger can represent") from None

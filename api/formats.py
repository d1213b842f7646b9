"""Jinja filters that turn the services' exact values into what a page shows: numbers the
translator formats (``t.number``), the exact value for a title attribute, shortened hashes, ISO
instants. Formatting for the reader's language is the translator's; these only convert."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from jinja2 import Environment

from ledger.numbers import PLACES, round_half_even, shown


def dec(value: Any) -> Decimal | None:
    """A figure as a Decimal for ``t.number``: a Fraction rounded half-even to the report's places."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return round_half_even(value, PLACES)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def exact(value: Any) -> str:
    """The value as the report writes it: a Fraction to the report's 6 places, anything else as it is."""
    if isinstance(value, Fraction):
        return shown(value)
    return str(value)


def percent(value: Any) -> Decimal | None:
    """A ratio (Fraction) in percent, for ``t.percent``."""
    if value is None:
        return None
    return round_half_even(Fraction(value) * 100, PLACES)


def short(value: Any) -> str:
    """``0x12ab…9f3c``: enough to tell hashes apart on a page; the whole value stays in a title and a copy button."""
    text = str(value or "")
    return text if len(text) <= 14 else f"{text[:6]}…{text[-4:]}"


def places(value: Any) -> int:
    """How many decimals a decimal string has ("12.50" → 2): a record's value is shown to its own precision."""
    text = str(value)
    return len(text.split(".", 1)[1]) if "." in text else 0


def iso(value: Any) -> str:
    """An instant (unix seconds, a datetime or its ISO text) in ISO 8601 UTC, for ``<time datetime>``."""
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def instant(value: Any) -> Any:
    """An ISO text as a datetime (``t.datetime`` takes unix seconds or datetimes); anything else unchanged."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def install(env: Environment) -> None:
    env.filters.update(dec=dec, exact=exact, percent=percent, short=short, places=places, iso=iso, instant=instant)

"""Errors of hourly matching: a :class:`~ledger.records.errors.RecordError` naming the field, so the
API and the CLI show it (in the reader's language) like any bad record or claim."""

from __future__ import annotations

from ledger.records.errors import RecordError


class HourlyError(RecordError):
    """Input hourly matching cannot use as given: ``field`` names what, ``message`` says why."""

"""Errors raised when measurement records or batches break a rule.

Every error carries the path of the offending field (``records[3].evidence[0].sha256``) separately
from the message, so that an API can point at the field and a person reading a log sees both at once.
Both are :class:`ledger.errors.InputError` (and so :class:`ValueError`): callers that only care "is
this input bad" need not import anything from here.
"""

from __future__ import annotations

from ledger.errors import InputError


class RecordError(InputError):
    """A record (or one of its fields) breaks a rule; ``field`` says where, ``message`` says why."""

    def rebased(self, old_prefix: str, new_prefix: str) -> RecordError:
        """The same error with the leading ``old_prefix`` of its path replaced by ``new_prefix``.

        A record checks itself under the path ``record``; the parser that knows the record is
        ``records[3]`` of a batch moves the error there without re-implementing the checks.
        """
        field = self.field
        if field == old_prefix or field.startswith((old_prefix + ".", old_prefix + "[")):
            field = new_prefix + field[len(old_prefix) :]
        return type(self)(field, self.message)


class BatchError(RecordError):
    """A rule about the batch as a whole (its header, an empty record list, a duplicate record)."""

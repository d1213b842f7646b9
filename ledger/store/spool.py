"""A streamed batch's records on disk between parsing and storing, so memory does not grow with them.

Each record is written as it is parsed — its row's columns (:func:`~ledger.store.batches.record_columns`),
one JSON array per line — and read back once the records are shown to give the signed root. The
file is anonymous (unlinked as it is created, on POSIX), so nothing is left behind by a refused
stream, a dropped connection or a killed process.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ledger.records import MeasurementRecord
from ledger.store.batches import record_columns

_COLUMNS = ("record_hash", "source_id", "kind", "value", "unit", "interval_start", "interval_end", "body")
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class RecordSpool:
    def __init__(self, directory: Path | None = None) -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(mode="w+b", dir=directory, prefix="zcl-stream-")
        self.count = 0
        self.bytes = 0

    def add(self, record: MeasurementRecord, record_hash: bytes) -> None:
        values = record_columns(record, record_hash)
        line = _ENCODE([values[c] for c in _COLUMNS]).encode() + b"\n"
        self._file.write(line)
        self.count += 1
        self.bytes += len(line)

    def columns(self) -> Iterator[dict[str, Any]]:
        """Every spooled record's columns, in the order they were added."""
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield dict(zip(_COLUMNS, json.loads(line), strict=True))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RecordSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""One import end to end: bytes and a mapping in; batch records, every problem, and a summary out.

The records are exactly a ``batch.json``'s records (without salts, which ``zcl batch sign`` adds),
each checked against :mod:`ledger.records`' rules here, so a preview without errors is a batch the
service accepts. With ``evidence.cite_file`` every record cites the imported file itself, by its
sha256: the export is the evidence of the figures taken from it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.i18n import Translator
from ledger.records import RecordError, check_factory_id, check_period, parse_record, period_bounds

from .engine import Columns, Reading, read_row, row_interval, skipped
from .issues import N_, ImportIssue, Issues
from .mapping import ImportMapping
from .series import Interval, aggregate, intervals, without_overlaps
from .series import check_period as inside_period
from .tables import Table, read_table
from .timing import wire
from .values import EXACT, canonical_text

MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_ZERO_SALT = "0x" + "00" * 32  # only to check a record's other fields; never written


@dataclass
class ImportResult:
    """What an import made and found. ``records`` are batch.json records; ``ok`` means no issue."""

    file: str
    factory_id: str | None
    period: str | None
    rows: int = 0
    skipped: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    dropped: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def ok(self) -> bool:
        return not self.issues and not self.dropped and bool(self.records)

    def by_source(self) -> list[dict[str, Any]]:
        """Per source, kind and unit: the exact total (a decimal string) and the record count."""
        totals: dict[tuple[str, str, str], list[Any]] = {}
        for record in self.records:
            entry = totals.setdefault((record["source_id"], record["kind"], record["unit"]), [Decimal(0), 0])
            entry[0] = EXACT.add(entry[0], Decimal(record["value"]))
            entry[1] += 1
        return [{"source": s, "kind": k, "unit": u, "total": canonical_text(t), "count": n}
                for (s, k, u), (t, n) in totals.items()]  # fmt: skip

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "records": len(self.records), "by_source": self.by_source()}

    def to_json(self, t: Translator | None = None) -> dict[str, Any]:
        """What a preview shows (the API's answer, ``zcl batch import --json``), messages in ``t``'s
        language (English without one)."""
        return {
            "factory_id": self.factory_id,
            "period": self.period,
            "records": self.records,
            "errors": [issue.to_json(t) for issue in self.issues],
            "errors_not_listed": self.dropped,
            "summary": self.summary(),
        }

    def batch(self, revision: int = 1) -> dict[str, Any]:
        """The batch.json a clean import writes (``zcl batch sign`` adds the salts)."""
        return {"factory_id": self.factory_id, "period": self.period, "revision": revision, "uri": "",
                "records": self.records}  # fmt: skip


def import_file(
    data: bytes, file_name: str, mapping: ImportMapping, *, factory_id: str | None = None, period: str | None = None
) -> ImportResult:
    """Import ``data`` (the bytes of ``file_name``, CSV or XLSX) with ``mapping``.

    ``factory_id`` falls back to the mapping's; ``period`` (``YYYY-MM``) to the local month the
    first record starts in, and then every record must lie in it. Bad arguments raise
    :class:`RecordError`; bad rows are collected in the result's ``issues``.
    """
    name = re.split(r"[\\/]", file_name)[-1] or "upload"
    factory = factory_id or mapping.factory_id
    if factory is not None:
        check_factory_id(factory)
    if period is not None:
        check_period(period)
    result = ImportResult(file=name, factory_id=factory, period=period)
    issues = Issues(name)
    table = read_table(data, name, mapping.file, issues)
    if table is not None:
        result.encoding, result.delimiter, result.sheet = table.encoding, table.delimiter, table.sheet
        made = _intervals(table, mapping, result, issues)
        if made:
            _records(made, data, name, table, mapping, result, issues)
    if factory is None:
        issues.add("no_factory", N_("no factory id: give --factory (or factory_id in the mapping)"), field="factory_id")
    # in row order, as a person goes down the sheet (file-wide problems first); stable, so a row's
    # problems keep the order they were found in
    result.issues = sorted(issues.items, key=lambda issue: issue.row or 0)
    result.dropped = issues.dropped
    return result


def _intervals(table: Table, mapping: ImportMapping, result: ImportResult, issues: Issues) -> list[Interval]:
    columns = Columns(table, mapping, issues)
    if not columns.ok:
        return []
    zone = mapping.time.zone
    bounds = period_bounds(result.period, zone) if result.period else None
    readings: list[Reading] = []
    rows = reversed(table.rows) if mapping.time.order == "descending" else table.rows
    for row in rows:
        if skipped(row, mapping, columns):
            result.skipped += 1
            continue
        result.rows += 1
        interval = row_interval(row, mapping, columns, bounds, issues)
        readings += read_row(row, interval, mapping, columns, issues)
    if result.rows == 0:
        issues.add("no_rows", N_("no data rows below the header"), row=table.header_row)
    made = intervals(readings, mapping.time, issues)
    if made and result.period is None:
        first = min(made, key=lambda i: i.start).start.astimezone(zone)
        result.period = f"{first.year:04d}-{first.month:02d}"
    if not made or result.period is None:
        return []
    made = without_overlaps(made, mapping.time, issues)
    inside = inside_period(made, period_bounds(result.period, zone), mapping.time, result.period, issues)
    return aggregate(inside, mapping.time)


def _records(
    made: list[Interval], data: bytes, name: str, table: Table, mapping: ImportMapping,
    result: ImportResult, issues: Issues,
) -> None:  # fmt: skip
    evidence = []
    if mapping.cite_file:
        form = "xlsx" if table.sheet is not None else "csv"
        evidence = [{"sha256": hashlib.sha256(data).hexdigest(), "file_name": name, "media_type": MEDIA_TYPES[form]}]
    zone = mapping.time.zone
    for item in made:
        record = {
            "source_id": item.source_id, "kind": item.kind, "value": canonical_text(item.value), "unit": item.unit,
            "interval_start": wire(item.start, zone), "interval_end": wire(item.end, zone),
            "evidence": [dict(e) for e in evidence],
        }  # fmt: skip
        try:
            parse_record(record | {"salt": _ZERO_SALT}, factory_id=result.factory_id or "check",
                         period=result.period or "", path="record")  # fmt: skip
        except RecordError as exc:
            where = exc.field.removeprefix("record.")
            issues.add("record", N_("the record from this row is refused: %(path)s: %(error)s"),
                       row=item.last_row, column=item.column, index=item.index, field=where, path=where,
                       error=exc.message)  # fmt: skip
            continue
        result.records.append(record)

"""From a table to readings: columns resolved by header (or letter), each row's interval and each
value cell read exactly; every problem collected with its row and column.

A reading is one value of one series (source id, kind, record unit) for one row. What readings
mean together — intervals that must join up, meter counters to difference, totals per day or
period — is :mod:`ledger.imports.series`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ledger.records import convert

from .issues import N_, Issues
from .mapping import ColumnSpec, ImportMapping, is_letter
from .tables import Row, Table
from .timing import TimeError, advance, localize, parse_date_and_time, parse_instant, wire
from .values import EXACT, NumberError, parse_number, scale


@dataclass(frozen=True)
class Reading:
    """One value cell: the series it belongs to, where it is, its interval (UTC) and value.

    ``start`` is None for an instant reading (a meter counter read at ``end``); ``value`` is in the
    series' record unit, multiplied and converted, exact. A cell that could not be read is kept as
    a reading with ``value`` None (and ``end`` None when the row's time was bad), so the row after
    it is not also blamed for a gap.
    """

    source_id: str
    kind: str
    unit: str
    readings: str
    row: int
    column: str
    index: int
    start: datetime | None
    end: datetime | None
    value: Decimal | None


class Columns:
    """Header names and letters → 0-based column indices, with the problems of resolving them."""

    def __init__(self, table: Table, mapping: ImportMapping, issues: Issues) -> None:
        self.table, self.issues = table, issues
        self.index: dict[str, int] = {}
        self.ok = True
        positions: dict[str, list[int]] = {}
        for i, header in enumerate(table.headers):
            positions.setdefault(_norm(header), []).append(i)
        seen: set[str] = set()
        for reference, field in mapping.referenced_columns():
            if reference in seen:
                continue  # resolved, or its problem named, once
            seen.add(reference)
            found = positions.get(_norm(reference), [])
            if len(found) > 1:
                issues.add("ambiguous_column", N_("%(column)s names %(count)s columns; name it by letter"),
                           row=table.header_row, column=reference, field=field, count=len(found))  # fmt: skip
                self.ok = False
            elif found:
                self.index[reference] = found[0]
            elif is_letter(reference) and _letter_index(reference) < len(table.headers):
                self.index[reference] = _letter_index(reference)
            else:
                issues.add("column_missing", N_("no column %(column)s; the header row has %(headers)s"),
                           row=table.header_row, column=reference, field=field,
                           headers=", ".join(h for h in table.headers if h))  # fmt: skip
                self.ok = False
        if not mapping.file.ignore_others:
            self._unmapped(mapping)

    def _unmapped(self, mapping: ImportMapping) -> None:
        used = set(self.index.values())
        ignored = {_norm(name) for name in mapping.file.ignore}
        ignored_letters = {name for name in mapping.file.ignore if is_letter(name)}
        for i, header in enumerate(self.table.headers):
            if i in used or not header or _norm(header) in ignored or _letter(i) in ignored_letters:
                continue
            self.issues.add("unmapped_column", N_("the column %(column)s is neither mapped nor in file.ignore"),
                            row=self.table.header_row, column=header, index=i, field="file.ignore")  # fmt: skip
            self.ok = False

    def at(self, reference: str) -> int:
        return self.index[reference]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _letter_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - ord("A") + 1
    return index - 1


def _letter(index: int) -> str:
    from .issues import column_letter

    return column_letter(index)


def row_interval(
    row: Row, mapping: ImportMapping, columns: Columns, bounds: tuple[datetime, datetime] | None, issues: Issues
) -> tuple[datetime | None, datetime] | None:
    """The row's interval in UTC (start None for an instant reading); None after recording why not."""
    spec = mapping.time
    if spec.whole_period:
        if bounds is None:
            issues.add("no_period", N_("time.whole_period needs the period (give --period / period)"),
                       row=row.number, field="period")  # fmt: skip
            return None
        return bounds
    try:
        if spec.column is not None:
            reference = spec.column
            if spec.date_column is not None:
                date_cell = row.cells[columns.at(spec.date_column)]
                instant = parse_date_and_time(date_cell, row.cells[columns.at(reference)], spec)
            else:
                instant = parse_instant(row.cells[columns.at(reference)], spec)
            if spec.label == "instant":
                return None, instant
            return (instant, advance(instant, spec)) if spec.label == "start" else (advance(instant, spec, -1), instant)
        assert spec.start_column is not None and spec.end_column is not None
        reference = spec.start_column
        start = parse_instant(row.cells[columns.at(reference)], spec)
        reference = spec.end_column
        end = parse_instant(row.cells[columns.at(reference)], spec)
        if spec.end_inclusive:
            local = end.astimezone(spec.zone).replace(tzinfo=None)
            if local.time() != datetime.min.time():
                raise TimeError("bad_timestamp", N_("end_inclusive takes a date without a time, got %(value)s"),
                                value=local.isoformat(sep=" "))  # fmt: skip
            end = localize(local + timedelta(days=1), spec.zone)
    except TimeError as exc:
        issues.add(exc.code, exc.text, row=row.number, column=reference, index=columns.at(reference),
                   field="time", **exc.params)  # fmt: skip
        return None
    if end <= start:
        issues.add("bad_interval", N_("the interval ends (%(end)s) before or when it starts (%(start)s)"),
                   row=row.number, column=spec.end_column, index=columns.at(spec.end_column), field="time",
                   start=wire(start, spec.zone), end=wire(end, spec.zone))  # fmt: skip
        return None
    return start, end


def skipped(row: Row, mapping: ImportMapping, columns: Columns) -> bool:
    """Is this a total or note line the mapping's file.skip rules name?"""
    for rule in mapping.file.skip:
        cell = row.cells[columns.at(rule.column)]
        if cell is not None and _norm(str(cell)) in {_norm(v) for v in rule.values}:
            return True
    return False


def read_row(
    row: Row, interval: tuple[datetime | None, datetime] | None, mapping: ImportMapping, columns: Columns,
    issues: Issues,
) -> list[Reading]:  # fmt: skip
    """The readings of one row, one per value column (an empty cell the mapping skips gives none);
    with ``interval`` None (the row's time was bad) only placeholders, and no more errors."""
    out = []
    start, end = interval if interval is not None else (None, None)
    for i, spec in enumerate(mapping.columns):
        index = columns.at(spec.column)
        raw = row.cells[index]
        if (raw is None or (isinstance(raw, str) and not raw.strip())) and spec.empty == "skip":
            continue
        value: Decimal | None = None
        try:
            source_id = _source_id(row, spec, columns)
        except _CellError as exc:
            if interval is not None:
                _report(exc, row, i, spec, columns, issues)
            continue  # no series to hold a place in
        if interval is not None:
            try:
                value = _value(row, index, spec, columns, mapping)
            except _CellError as exc:
                _report(exc, row, i, spec, columns, issues)
        out.append(Reading(source_id, spec.kind, spec.record_unit, spec.readings, row.number, spec.column, index,
                           start, end, value))  # fmt: skip
    return out


def _value(row: Row, index: int, spec: ColumnSpec, columns: Columns, mapping: ImportMapping) -> Decimal:
    value = _number(row, index, mapping)
    multiplier = spec.multiplier
    if spec.multiplier_column is not None:
        multiplier = _number(row, columns.at(spec.multiplier_column), mapping, spec.multiplier_column)
    if spec.equals_sum_of:
        _check_sum(row, spec, value, columns, mapping)
    return _in_record_unit(scale(EXACT.multiply(value, multiplier), spec.factor), spec)


def _report(exc: _CellError, row: Row, i: int, spec: ColumnSpec, columns: Columns, issues: Issues) -> None:
    column = exc.column or spec.column
    issues.add(exc.code, exc.text, row=row.number, column=column, index=columns.at(column), field=f"columns[{i}]",
               **exc.params)  # fmt: skip


class _CellError(ValueError):
    def __init__(self, code: str, text: str, column: str | None = None, **params: object) -> None:
        super().__init__(text)
        self.code, self.text, self.column, self.params = code, text, column, params


def _number(row: Row, index: int, mapping: ImportMapping, column: str | None = None) -> Decimal:
    try:
        return parse_number(row.cells[index], decimal=mapping.file.decimal, thousands=mapping.file.thousands,
                            places=row.places[index])  # fmt: skip
    except NumberError as exc:
        raise _CellError(exc.code, exc.text, column, **exc.params) from None


def _source_id(row: Row, spec: ColumnSpec, columns: Columns) -> str:
    text = spec.source_id
    for name in spec.source_columns:
        cell = row.cells[columns.at(name)]
        part = "" if cell is None else (str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell))
        if not part.strip():
            raise _CellError("empty", N_("the cell is empty; the source id needs it"), name)
        text = text.replace("{" + name + "}", part.strip())
    return text


def _check_sum(row: Row, spec: ColumnSpec, value: Decimal, columns: Columns, mapping: ImportMapping) -> None:
    parts = [_number(row, columns.at(name), mapping, name) for name in spec.equals_sum_of]
    total = sum(parts, Decimal(0))
    if EXACT.subtract(total, value) != 0:
        raise _CellError("sum_mismatch", N_("%(value)s is not the sum of %(columns)s (%(total)s)"),
                         value=str(value), columns=" + ".join(spec.equals_sum_of), total=str(total))  # fmt: skip


def _in_record_unit(value: Decimal, spec: ColumnSpec) -> Decimal:
    from .mapping import resolve_unit

    symbol = resolve_unit(spec.unit)
    assert symbol is not None
    if symbol[0] == spec.record_unit:
        return value
    try:
        return convert(value, symbol[0], spec.record_unit)
    except ValueError:
        raise _CellError("not_exact", N_("%(value)s %(unit)s has no exact decimal value in %(to)s"),
                         value=str(value), unit=symbol[0], to=spec.record_unit) from None  # fmt: skip

"""The mapping: how one kind of export becomes records. A TOML file on the command line, the same
structure as JSON over the API; checked whole before any row is read.

Every field of every table is known here; an unknown key, a wrong type or an impossible combination
is a :class:`MappingError` naming the field (``mapping.columns[1].unit``), because a mapping that
is quietly half-understood imports the wrong numbers. See ``examples/import-templates/README.md``
for each field with an example.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.records import QUANTITY_KINDS, UNITS, check_factory_id
from ledger.records.errors import RecordError
from ledger.records.units import get_unit

from .issues import N_, MappingError
from .values import SEPARATORS, resolve_unit

INTERVALS = {"5min": timedelta(minutes=5), "15min": timedelta(minutes=15), "30min": timedelta(minutes=30),
             "1h": timedelta(hours=1), "1d": timedelta(days=1)}  # fmt: skip
"""Fixed interval lengths a single timestamp column may label (``1d`` in local days, DST-safe)."""
LABELS = ("start", "end", "instant")
AGGREGATES = ("row", "day", "period")
READINGS = ("interval", "cumulative")
_COLUMN_LETTERS = re.compile(r"[A-Z]{1,3}")
_TEMPLATE_PART = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class SkipRule:
    """Rows whose ``column`` holds one of ``values`` (a total line: 合计, total) are not data."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FileSpec:
    format: str | None  # csv | xlsx | None: from the file name
    encoding: str  # auto | utf-8 | gbk | gb18030 | utf-16
    delimiter: str  # auto | , | ; | \t | |
    sheet: str | None
    header_row: int
    decimal: str
    thousands: str
    skip: tuple[SkipRule, ...]
    ignore: tuple[str, ...]
    ignore_others: bool


@dataclass(frozen=True)
class TimeSpec:
    timezone: str
    format: str  # a strptime pattern, or "iso"
    column: str | None
    date_column: str | None  # a separate date column: ``column`` then holds the time of day
    label: str | None
    interval: str | None
    start_column: str | None
    end_column: str | None
    end_inclusive: bool
    whole_period: bool
    contiguous: bool
    complete: bool
    aggregate: str
    order: str  # ascending (oldest row first) | descending (newest first, as some portals export)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def step(self) -> timedelta | None:
        return INTERVALS[self.interval] if self.interval else None


@dataclass(frozen=True)
class ColumnSpec:
    """One column of values: the series of records it makes."""

    column: str
    source_id: str  # constant, or a template naming columns: "meter-{表号}"
    kind: str
    unit: str  # as the file states it (an alias such as 万kWh is fine)
    record_unit: str  # canonical symbol the records carry
    factor: Decimal  # the alias's factor: 万kWh → 10000
    readings: str
    multiplier: Decimal
    multiplier_column: str | None
    equals_sum_of: tuple[str, ...]
    empty: str  # error | skip

    @property
    def source_columns(self) -> tuple[str, ...]:
        return tuple(_TEMPLATE_PART.findall(self.source_id))


@dataclass(frozen=True)
class ImportMapping:
    name: str
    title: str
    factory_id: str | None
    file: FileSpec
    time: TimeSpec
    columns: tuple[ColumnSpec, ...]
    cite_file: bool

    def referenced_columns(self) -> list[tuple[str, str]]:
        """Every column the mapping names, with the mapping field that names it."""
        t = self.time
        out = [(c, f"time.{k}") for k, c in (("column", t.column), ("date_column", t.date_column),
                                               ("start_column", t.start_column),
                                               ("end_column", t.end_column)) if c]  # fmt: skip
        for i, spec in enumerate(self.columns):
            out.append((spec.column, f"columns[{i}].column"))
            out += [(c, f"columns[{i}].source_id") for c in spec.source_columns]
            if spec.multiplier_column:
                out.append((spec.multiplier_column, f"columns[{i}].multiplier_column"))
            out += [(c, f"columns[{i}].equals_sum_of") for c in spec.equals_sum_of]
        out += [(rule.column, f"file.skip[{i}].column") for i, rule in enumerate(self.file.skip)]
        return out


def load_mapping_text(text: str, *, json_text: bool = False) -> ImportMapping:
    """A mapping from TOML text (or JSON text with ``json_text``); :class:`MappingError` if wrong."""
    import json

    try:
        data = json.loads(text) if json_text else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise MappingError("", N_("not valid %(syntax)s: %(error)s"), syntax="JSON" if json_text else "TOML",
                           error=str(exc)) from None  # fmt: skip
    return parse_mapping(data)


def parse_mapping(data: object) -> ImportMapping:
    """The mapping in ``data`` (parsed TOML or JSON)."""
    top = _table(data, "", {"name", "title", "description", "factory_id", "file", "time", "columns", "evidence"})
    factory_id = _opt_str(top, "factory_id", "")
    if factory_id:
        try:
            check_factory_id(factory_id)
        except RecordError as exc:
            raise MappingError("factory_id", "%(error)s", error=exc.message) from None
    columns = top.get("columns")
    if not isinstance(columns, list) or not columns:
        raise MappingError("columns", N_("must be a list of at least one column of values"))
    evidence = _table(top.get("evidence", {}), "evidence", {"cite_file"})
    mapping = ImportMapping(
        name=_opt_str(top, "name", "") or "",
        title=_opt_str(top, "title", "") or "",
        factory_id=factory_id or None,
        file=parse_file_spec(top.get("file", {})),
        time=_time(_table(top.get("time"), "time", set(TimeSpec.__dataclass_fields__))),
        columns=tuple(_column(c, f"columns[{i}]") for i, c in enumerate(columns)),
        cite_file=_bool(evidence, "cite_file", True, "evidence."),
    )
    if mapping.time.label == "instant" and any(c.readings != "cumulative" for c in mapping.columns):
        raise MappingError("time.label", N_('"instant" timestamps need cumulative readings in every column '
                                            '(an interval value needs its interval)'))  # fmt: skip
    return mapping


def parse_file_spec(data: object) -> FileSpec:
    """A mapping's ``file`` table alone (how to read the file), errors under ``mapping.file``."""
    return _file(_table(data, "file", set(FileSpec.__dataclass_fields__)))


def _table(data: object, path: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(data, MappingABC):
        raise MappingError(path, N_("must be a table (an object)"))
    for key in data:
        if key not in keys:
            where = f"{path}.{key}" if path else str(key)
            raise MappingError(where, N_("unknown field; expected one of %(keys)s"), keys=", ".join(sorted(keys)))
    return dict(data)


def _opt_str(data: dict[str, Any], key: str, path: str, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise MappingError(f"{path}{key}", N_("must be a string"))
    return value


def _str(data: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
    value = _opt_str(data, key, path, default)
    if not value:
        raise MappingError(f"{path}{key}", N_("is required"))
    return value


def _bool(data: dict[str, Any], key: str, default: bool, path: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise MappingError(f"{path}{key}", N_("must be true or false"))
    return value


def _choice(data: dict[str, Any], key: str, path: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = _opt_str(data, key, path, default)
    if value is not None and value not in choices:
        raise MappingError(f"{path}{key}", N_("must be one of %(choices)s, got %(value)s"),
                           choices=", ".join(choices), value=repr(value))  # fmt: skip
    return value


def _names(data: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise MappingError(f"{path}{key}", N_("must be a list of column names"))
    return tuple(value)


def _file(data: dict[str, Any]) -> FileSpec:
    p = "file."
    header_row = data.get("header_row", 1)
    if type(header_row) is not int or not 1 <= header_row <= 1000:
        raise MappingError("file.header_row", N_("must be a row number from 1 to 1000"))
    decimal = _choice(data, "decimal", p, (".", ","), ".") or "."
    thousands = _choice(data, "thousands", p, tuple(SEPARATORS), "") or ""
    if thousands == decimal:
        raise MappingError("file.thousands", N_("must differ from the decimal mark"))
    skip = data.get("skip", [])
    if not isinstance(skip, list):
        raise MappingError("file.skip", N_("must be a list of {column, values} tables"))
    rules = []
    for i, item in enumerate(skip):
        rule = _table(item, f"file.skip[{i}]", {"column", "values"})
        rules.append(SkipRule(_str(rule, "column", f"file.skip[{i}]."), _names(rule, "values", f"file.skip[{i}].")))
    return FileSpec(
        format=_choice(data, "format", p, ("csv", "xlsx"), None),
        encoding=_choice(data, "encoding", p, ("auto", "utf-8", "gbk", "gb18030", "utf-16"), "auto") or "auto",
        delimiter=_choice(data, "delimiter", p, ("auto", ",", ";", "\t", "|"), "auto") or "auto",
        sheet=_opt_str(data, "sheet", p),
        header_row=header_row,
        decimal=decimal,
        thousands=thousands,
        skip=tuple(rules),
        ignore=_names(data, "ignore", p),
        ignore_others=_bool(data, "ignore_others", False, p),
    )


def _time(data: dict[str, Any]) -> TimeSpec:
    p = "time."
    zone = _str(data, "timezone", p)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError("time.timezone", N_("unknown time zone %(zone)s (e.g. Asia/Shanghai)"),
                           zone=repr(zone)) from None  # fmt: skip
    spec = TimeSpec(
        timezone=zone,
        format=_str(data, "format", p, "iso"),
        column=_opt_str(data, "column", p),
        date_column=_opt_str(data, "date_column", p),
        label=_choice(data, "label", p, LABELS, None),
        interval=_choice(data, "interval", p, tuple(INTERVALS), None),
        start_column=_opt_str(data, "start_column", p),
        end_column=_opt_str(data, "end_column", p),
        end_inclusive=_bool(data, "end_inclusive", False, p),
        whole_period=_bool(data, "whole_period", False, p),
        contiguous=_bool(data, "contiguous", True, p),
        complete=_bool(data, "complete", False, p),
        aggregate=_choice(data, "aggregate", p, AGGREGATES, "row") or "row",
        order=_choice(data, "order", p, ("ascending", "descending"), "ascending") or "ascending",
    )
    modes = [bool(spec.column), bool(spec.start_column or spec.end_column), spec.whole_period]
    if sum(modes) != 1:
        raise MappingError("time", N_("give exactly one of: column (with label), start_column and end_column, "
                                      "or whole_period = true"))  # fmt: skip
    if spec.date_column and not spec.column:
        raise MappingError("time.date_column", N_("goes with time.column, which then holds the time of day"))
    if spec.column and spec.label is None:
        raise MappingError("time.label", N_("is required with time.column: start, end or instant"))
    if spec.label in ("start", "end") and spec.interval is None:
        raise MappingError("time.interval", N_("is required when the timestamp labels an interval's %(label)s"),
                           label=spec.label)  # fmt: skip
    if (spec.start_column is None) != (spec.end_column is None):
        raise MappingError("time.end_column" if spec.end_column is None else "time.start_column",
                           N_("start_column and end_column go together"))  # fmt: skip
    if spec.format != "iso" and "%" not in spec.format:
        raise MappingError("time.format", N_('must be "iso" or a strptime pattern such as %(example)s'),
                           example="%Y-%m-%d %H:%M")  # fmt: skip
    return spec


def _column(data: object, path: str) -> ColumnSpec:
    d = _table(data, path, {"column", "source_id", "kind", "unit", "record_unit", "readings", "multiplier",
                            "multiplier_column", "equals_sum_of", "empty"})  # fmt: skip
    p = path + "."
    kind = _str(d, "kind", p)
    if kind not in QUANTITY_KINDS:
        raise MappingError(f"{p}kind", N_("unknown kind %(kind)s; known: %(known)s"), kind=repr(kind),
                           known=", ".join(QUANTITY_KINDS))  # fmt: skip
    unit_text = _str(d, "unit", p)
    resolved = resolve_unit(unit_text)
    if resolved is None:
        raise MappingError(f"{p}unit", N_("unknown unit %(unit)s; accepted: %(known)s and spellings such as "
                                          "万kWh, 度, 吨, 万Nm3"), unit=repr(unit_text), known=", ".join(UNITS))  # fmt: skip
    record_unit = _str(d, "record_unit", p, resolved[0])
    if record_unit not in UNITS:
        raise MappingError(f"{p}record_unit", N_("must be a canonical unit: %(known)s"), known=", ".join(UNITS))
    dimensions = QUANTITY_KINDS[kind].dimensions
    for field, symbol in (("unit", resolved[0]), ("record_unit", record_unit)):
        if get_unit(symbol).dimension not in dimensions:
            raise MappingError(f"{p}{field}", N_("%(unit)s is not a unit of %(kind)s"), unit=symbol, kind=kind)
    if get_unit(resolved[0]).dimension != get_unit(record_unit).dimension:
        raise MappingError(f"{p}record_unit", N_("cannot convert %(unit)s to %(to)s"), unit=unit_text, to=record_unit)
    multiplier_text = d.get("multiplier", "1")
    try:
        if not isinstance(multiplier_text, str):
            raise InvalidOperation
        multiplier = Decimal(multiplier_text)
        if not multiplier.is_finite() or multiplier <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise MappingError(f"{p}multiplier", N_('must be a positive decimal string such as "2000"')) from None
    return ColumnSpec(
        column=_str(d, "column", p),
        source_id=_str(d, "source_id", p),
        kind=kind,
        unit=unit_text,
        record_unit=record_unit,
        factor=resolved[1],
        readings=_choice(d, "readings", p, READINGS, "interval") or "interval",
        multiplier=multiplier,
        multiplier_column=_opt_str(d, "multiplier_column", p),
        equals_sum_of=_names(d, "equals_sum_of", p),
        empty=_choice(d, "empty", p, ("error", "skip"), "error") or "error",
    )


def to_json(mapping: ImportMapping) -> dict[str, Any]:
    """The mapping as the API and the web page exchange it (the same keys as the TOML)."""
    from dataclasses import asdict

    file = asdict(mapping.file)
    file["skip"] = [{"column": r.column, "values": list(r.values)} for r in mapping.file.skip]
    file["ignore"] = list(mapping.file.ignore)
    columns = []
    for c in mapping.columns:
        item = asdict(c)
        item.pop("factor")
        item["multiplier"] = str(c.multiplier)
        item["equals_sum_of"] = list(c.equals_sum_of)
        columns.append({k: v for k, v in item.items() if v is not None})
    out: dict[str, Any] = {"name": mapping.name, "title": mapping.title}
    if mapping.factory_id:
        out["factory_id"] = mapping.factory_id
    out["file"] = {k: v for k, v in file.items() if v is not None}
    out["time"] = {k: v for k, v in asdict(mapping.time).items() if v is not None}
    out["columns"] = columns
    out["evidence"] = {"cite_file": mapping.cite_file}
    return out


def is_letter(reference: str) -> bool:
    """A reference like ``C`` or ``AB`` may name a column by its letter (a header of that name wins)."""
    return bool(_COLUMN_LETTERS.fullmatch(reference))

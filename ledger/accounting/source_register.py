"""A factory's source register: what the factory declares of each source (a meter, an invoice series)
that its signed records do not say — how the figures were obtained, which meter, and the days the
source was in service.

The records carry a ``source_id`` and a value, never whether the value was read from a meter or
worked out; a verifier weighs a metered figure differently from an estimate. So the factory
declares it, per ``source_id``:

- ``method``: one of ``rules/measurement-methods.toml`` (``metered``, ``utility-attested``,
  ``load-profile``, ``estimated``; the file says what each means and whether it is a reading);
- ``meter``: the meter's id or a description (optional);
- ``in_service_from`` / ``in_service_until``: the first and last day in service (both inclusive,
  either optional). Completeness owes no month, or part of one, outside them
  (:func:`ledger.accounting.completeness.source_gaps`), and the report lists what was excused so;
- ``declared_by``: who at the factory declared it (optional; a name or role);
- ``profile``: for a ``load-profile`` source only, the standard profile its monthly totals are spread
  by in hourly matching (a name in ``ledger/hourly/rules/load-profiles.toml``; absent: the file's
  default, ``flat``). Shown only when declared, so registers and reports made before it read the same.

These are declarations, not anchored data: the register keeps each entry's time and the register's
version, and the report names them beside what they excused. A source with no entry is
``undeclared`` — never taken as metered.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ledger.accounting.completeness import ServiceDates, days_in_service
from ledger.records.errors import RecordError
from ledger.records.names import check_factory_name
from ledger.records.record import MAX_SOURCE_ID_LENGTH

METHODS_FILE = Path(__file__).parent / "rules" / "measurement-methods.toml"
PROFILES_FILE = Path(__file__).parents[1] / "hourly" / "rules" / "load-profiles.toml"
"""Read as data, not imported: hourly matching sits above accounting, the file is the contract."""
UNDECLARED = "undeclared"
"""A source the factory declared nothing for (distinct from ``None``: a report made before registers)."""
MAX_SOURCES = 1000
ENTRY_FIELDS = ("method", "meter", "in_service_from", "in_service_until", "declared_by", "profile")
ENTERED_BY = "the service's admin, through PATCH /factories/{id}/profile (admin token); not signed by the factory's key"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Method:
    name: str
    meaning: str
    measured: bool
    source: str
    confirmed: bool


@cache
def measurement_methods() -> tuple[str, dict[str, Method]]:
    """``id@version`` of the rule file, and its methods by name."""
    data = tomllib.loads(METHODS_FILE.read_text(encoding="utf-8"))
    methods = {
        name: Method(name, m["meaning"], bool(m["measured"]), m["source"], bool(m["confirmed"]))
        for name, m in data["method"].items()
    }
    if UNDECLARED in methods:
        raise ValueError(f"{METHODS_FILE}: {UNDECLARED!r} is the absence of a declaration, not a method")
    return f"{data['set']['id']}@{data['set']['version']}", methods


@cache
def load_profile_names() -> tuple[str, ...]:
    """The profiles a ``load-profile`` source may name (``[profile.NAME]`` of the hourly rule file)."""
    return tuple(tomllib.loads(PROFILES_FILE.read_text(encoding="utf-8"))["profile"])


@dataclass(frozen=True)
class Declared:
    """One source's entry: what was declared, when (``declared_at``, set here) and in which register
    ``version``."""

    method: str
    meter: str | None
    in_service_from: date | None
    in_service_until: date | None
    declared_by: str | None
    declared_at: str
    version: int
    profile: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"method": self.method, "meter": self.meter,
               "in_service_from": _iso(self.in_service_from), "in_service_until": _iso(self.in_service_until),
               "declared_by": self.declared_by, "declared_at": self.declared_at, "version": self.version}  # fmt: skip
        return out | ({"profile": self.profile} if self.profile is not None else {})


@dataclass(frozen=True)
class SourceRegister:
    """Every declared source by id; ``version`` counts the changes, ``updated_at`` is the last one's."""

    sources: Mapping[str, Declared]
    version: int = 0
    updated_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> SourceRegister:
        if not data:
            return cls({})
        sources = {
            sid: Declared(e["method"], e.get("meter"), _day(e.get("in_service_from")), _day(e.get("in_service_until")),
                          e.get("declared_by"), e["declared_at"], int(e["version"]), e.get("profile"))
            for sid, e in data.get("sources", {}).items()
        }  # fmt: skip
        return cls(sources, int(data.get("version", 0)), data.get("updated_at"))

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "updated_at": self.updated_at,
                "sources": {sid: self.sources[sid].to_json() for sid in sorted(self.sources)}}  # fmt: skip

    def changed(self, changes: Mapping[str, Mapping[str, Any] | None] | None, now: str) -> SourceRegister:
        """The register after ``changes`` (checked by :func:`parse_sources`): each source named is
        declared anew (None withdraws it); ``None`` for the whole withdraws every source."""
        if changes is None:
            return SourceRegister({}, self.version + 1, now) if self.sources else self
        if not changes:
            return self
        version = self.version + 1
        sources = dict(self.sources)
        for sid, entry in changes.items():
            if entry is None:
                sources.pop(sid, None)
            else:
                sources[sid] = Declared(entry["method"], entry.get("meter"), entry.get("in_service_from"),
                                        entry.get("in_service_until"), entry.get("declared_by"), now, version,
                                        entry.get("profile"))  # fmt: skip
        return SourceRegister(sources, version, now)

    def service_dates(self) -> dict[str, ServiceDates]:
        """Every declared source's days in service (open sides None), for completeness: a declared
        source is owed records on its days in service even if it sent none."""
        return {sid: (d.in_service_from, d.in_service_until) for sid, d in self.sources.items()}


def parse_sources(data: Any, field: str = "sources") -> dict[str, dict[str, Any] | None] | None:
    """The register changes ``data`` gives, checked: source id → its declaration (None withdraws it);
    a refusal names ``<field>.<source id>.<key>``."""
    if data is None:
        return None
    if not isinstance(data, Mapping) or len(data) > MAX_SOURCES:
        raise RecordError(field, f"must be an object of at most {MAX_SOURCES} source ids, each to its declaration")
    _, methods = measurement_methods()
    out: dict[str, dict[str, Any] | None] = {}
    for sid, entry in data.items():
        name = f"{field}.{sid}"
        if not isinstance(sid, str) or not 1 <= len(sid) <= MAX_SOURCE_ID_LENGTH or not sid.isprintable() \
                or sid.strip() != sid:  # fmt: skip
            raise RecordError(name, f"a source id is 1-{MAX_SOURCE_ID_LENGTH} printable characters, as in the records")
        if entry is None:
            out[sid] = None
            continue
        if not isinstance(entry, Mapping):
            raise RecordError(name, f"must be an object ({', '.join(ENTRY_FIELDS)})")
        unknown = sorted(set(entry) - set(ENTRY_FIELDS))
        if unknown:
            raise RecordError(f"{name}.{unknown[0]}", f"is not a field of a declaration ({', '.join(ENTRY_FIELDS)})")
        method = entry.get("method")
        if method not in methods:
            raise RecordError(f"{name}.method", f"must be one of {', '.join(methods)} (got {method!r})")
        checked: dict[str, Any] = {"method": method}
        for key in ("meter", "declared_by"):
            if entry.get(key) is not None:
                checked[key] = check_factory_name(entry[key], f"{name}.{key}")
        for key in ("in_service_from", "in_service_until"):
            checked[key] = _parse_day(entry.get(key), f"{name}.{key}")
        if checked["in_service_from"] and checked["in_service_until"] and \
                checked["in_service_until"] < checked["in_service_from"]:  # fmt: skip
            raise RecordError(f"{name}.in_service_until", f"is before in_service_from ({checked['in_service_from']})")
        if entry.get("profile") is not None:
            checked["profile"] = _parse_profile(entry["profile"], method, f"{name}.profile")
        out[sid] = checked
    return out


def _parse_profile(value: Any, method: str, field: str) -> str:
    if method != "load-profile":
        raise RecordError(field, f"only a load-profile source is spread by a profile (this one is {method})")
    if value not in load_profile_names():
        raise RecordError(field, f"must be one of {', '.join(load_profile_names())} (got {value!r})")
    return str(value)


def _parse_day(value: Any, field: str) -> date | None:
    if value is None:
        return None
    try:
        if isinstance(value, str) and _DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise RecordError(field, f"must be a date YYYY-MM-DD, got {value!r}")


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def with_declarations(rows: list[dict[str, Any]], register: SourceRegister, year: int) -> list[dict[str, Any]]:
    """Data quality per source (:func:`ledger.accounting.sections.data_quality`) with each source's
    declared method (``undeclared`` when none), whether that method is a reading, its meter and days in
    service; a declared source in service during ``year`` that sent nothing gets a row of its own."""
    label, methods = measurement_methods()
    seen = {row["source_id"] for row in rows}
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    silent = [sid for sid, d in register.sources.items() if sid not in seen
              and any(days_in_service(m, (d.in_service_from, d.in_service_until)) for m in months)]  # fmt: skip
    rows = rows + [
        {"source_id": sid, "kinds": [], "units": [], "records": 0, "months_present": [], "months_absent": months,
         "records_with_evidence": 0, "records_without_evidence": 0, "evidence_files": 0, "evidence_files_held": None}
        for sid in silent
    ]  # fmt: skip
    for row in rows:
        declared = register.sources.get(row["source_id"])
        row["measurement"] = UNDECLARED if declared is None else declared.method
        row["measured"] = None if declared is None else methods[declared.method].measured
        row["declaration"] = None if declared is None else declared.to_json() | {"methods": label}
    return sorted(rows, key=lambda r: r["source_id"])


def excused(register: SourceRegister, sources: Iterable[str], periods_held: Iterable[str]) -> list[dict[str, Any]]:
    """Per source, the months held (or the days of them) its declared service dates excuse from
    completeness: what a verifier must see was owed nothing because the factory said so."""
    held = sorted(set(periods_held))
    seen = set(sources)
    out = []
    for sid in sorted(register.sources):
        declared = register.sources[sid]
        dates = (declared.in_service_from, declared.in_service_until)
        months, days = [], []
        for period in held:
            inside = days_in_service(period, dates)
            if inside is None:
                months.append(period)
            elif days_in_service(period, None) != inside:
                days.append({"period": period, "owed": f"{inside[0].isoformat()}..{inside[1].isoformat()}"})
        if (months or days) and (sid in seen or len(months) < len(held)):  # not a source long gone and silent
            out.append({
                "source_id": sid, "months": months, "part_months": days,
                "because": f"declared in service {_iso(dates[0]) or '…'}..{_iso(dates[1]) or '…'} "
                           f"(register version {declared.version}, {declared.declared_at})",
            })  # fmt: skip
    return out


def report_json(register: SourceRegister, sources: Iterable[str], periods_held: Iterable[str]) -> dict[str, Any]:
    """The report's ``source_register``: the declarations as they stood, who entered them and when,
    the methods' meanings, and what they excused from completeness."""
    label, methods = measurement_methods()
    return {
        "note": "the factory's own declarations, not anchored data: a verifier weighs them and asks for evidence "
                "(meter certificates, commissioning and decommissioning records)",
        "entered_by": ENTERED_BY,
        "version": register.version,
        "updated_at": register.updated_at,
        "rule_file": label,
        "methods": {n: {"meaning": m.meaning, "measured": m.measured, "source": m.source, "confirmed": m.confirmed}
                    for n, m in methods.items()},
        "sources": register.to_json()["sources"],
        "excused": excused(register, sources, periods_held),
    }  # fmt: skip

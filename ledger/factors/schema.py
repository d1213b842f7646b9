"""The rules a factor-set TOML file must follow, checked on the parsed tables.

Every check appends ``(key, message)`` to a shared ``problems`` list instead of raising, so that
:func:`ledger.factors.factor_set.loads_factor_set` can report every problem in a file at once;
the fields, patterns and messages here are the file format that
:mod:`ledger.factors.factor_set` documents.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import Factor

_SET_REQUIRED = ("id", "version", "name")
_SET_OPTIONAL = ("description", "published", "updated", "extends")
_FACTOR_REQUIRED = ("value", "unit", "source", "confirmed")
_FACTOR_OPTIONAL = ("year", "note")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_]*")
_SET_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}")


def _check_header(header: dict[str, Any], problems: list[tuple[str | None, str]]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in header:
        if name not in _SET_REQUIRED + _SET_OPTIONAL:
            problems.append((f"set.{name}", f"unknown field; [set] has {', '.join(_SET_REQUIRED + _SET_OPTIONAL)}"))
    missing = [name for name in _SET_REQUIRED if name not in header]
    if missing:
        problems.append(("set", "missing " + ", ".join(missing)))
    patterns = {"id": _SET_ID, "version": _VERSION}
    for name in ("id", "version", "name", "description", "extends"):
        if name not in header:
            continue
        value = header[name]
        if not isinstance(value, str):
            problems.append((f"set.{name}", f"must be a string, got {_toml_type(value)}"))
        elif name in patterns and not patterns[name].fullmatch(value):
            problems.append((f"set.{name}", f"{value!r} does not match {patterns[name].pattern}"))
        elif name in ("name",) and not value.strip():
            problems.append((f"set.{name}", "must not be empty"))
        else:
            meta[name] = value
    for name in ("published", "updated"):
        if name in header:
            value = header[name]
            if type(value) is not date:  # a TOML datetime is a date subclass: refuse it too
                problems.append((f"set.{name}", f"must be a TOML date like 2024-12-20, got {_toml_type(value)}"))
            else:
                meta[name] = value
    return meta


def _walk(
    table: dict[str, Any], path: list[str], out: dict[str, Factor], problems: list[tuple[str | None, str]]
) -> None:
    key = ".".join(path)
    fields = _FACTOR_REQUIRED + _FACTOR_OPTIONAL
    if any(name in table and not isinstance(table[name], dict) for name in fields):
        if len(path) < 2:
            problems.append((key, "a factor needs a name inside its namespace, e.g. [heat.purchased]"))
            return
        factor = _check_factor(key, table, problems)
        if factor is not None:
            out[key] = factor
        return
    if not table:
        problems.append((key, "empty table; a factor needs " + ", ".join(_FACTOR_REQUIRED)))
        return
    for name, content in table.items():
        sub = f"{key}.{name}"
        if not _SEGMENT.fullmatch(name):
            problems.append((sub, f"key segment {name!r} must match {_SEGMENT.pattern}"))
        elif isinstance(content, dict):
            _walk(content, path + [name], out, problems)
        else:
            problems.append((sub, f"expected a factor table, got {_toml_type(content)}"))


def _check_factor(key: str, table: dict[str, Any], problems: list[tuple[str | None, str]]) -> Factor | None:
    start = len(problems)
    allowed = _FACTOR_REQUIRED + _FACTOR_OPTIONAL
    unknown = [name for name in table if name not in allowed]
    if unknown:
        problems.append((key, f"unknown field(s) {', '.join(unknown)}; a factor has {', '.join(allowed)}"))
    missing = [name for name in _FACTOR_REQUIRED if name not in table]
    if missing:
        problems.append((key, "missing " + ", ".join(missing)))

    value = _check_value(key, table.get("value"), problems)
    for name in ("unit", "source"):
        if name in table:
            text = table[name]
            if not isinstance(text, str):
                problems.append((key, f"{name} must be a string, got {_toml_type(text)}"))
            elif not text.strip():
                problems.append((key, f"{name} must not be empty"))
    confirmed = table.get("confirmed")
    if "confirmed" in table and type(confirmed) is not bool:
        problems.append((key, f"confirmed must be true or false, got {_toml_type(confirmed)}"))
    year = table.get("year")
    if "year" in table and (type(year) is not int or not 1900 <= year <= 2200):
        problems.append((key, f"year must be an integer year, got {year!r}"))
    note = table.get("note", "")
    if not isinstance(note, str):
        problems.append((key, f"note must be a string, got {_toml_type(note)}"))
    if len(problems) > start or value is None:
        return None
    return Factor(
        key=key,
        value=value,
        unit=table["unit"].strip(),
        source=table["source"].strip(),
        year=year,
        confirmed=confirmed is True,  # checked above to be a bool
        note=note.strip(),
    )


def _check_value(key: str, value: Any, problems: list[tuple[str | None, str]]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        problems.append(
            (key, f'value is a TOML float ({value!r}); write it as a string, value = "...", so that it stays exact')
        )
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        problems.append((key, f'value is a TOML integer ({value}); write it as a string, value = "{value}"'))
        return None
    if not isinstance(value, str):
        problems.append((key, f"value must be a decimal string, got {_toml_type(value)}"))
        return None
    if not _DECIMAL.fullmatch(value):
        problems.append((key, f"value {value!r} is not a decimal number"))
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        problems.append((key, f"value {value!r} is not a decimal number"))
        return None


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, date):
        return "a date/time"
    return type(value).__name__

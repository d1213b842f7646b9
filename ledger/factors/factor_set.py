"""Emission-factor sets: versioned TOML data files, never constants in code.

A factor set is one TOML file. The bundled ones live in ``ledger/factors/sets/<id>.toml`` and are
loaded by id (``"cn-mee-2023"``); a user's own file is loaded by path. Every result that uses a
factor names the set as ``id@version`` (:attr:`FactorSet.label`), and :attr:`FactorSet.digest`
pins its exact content.

File format::

    [set]
    id = "cn-mee-2023"          # = the file name for bundled sets; [a-z0-9._-], no "@"
    version = "1.0"             # bump on any change of a value, unit or source
    name = "MEE/NBS 2023 electricity CO2 emission factors"
    description = "..."         # optional
    published = 2024-12-20      # optional TOML date: when the source was published
    updated = 2026-11-21        # optional TOML date: when this file last changed
    extends = "cn-mee-2023@1.0" # optional: start from a bundled set (pinned version), then
                                # add or override factors; only in user files

    [grid.national_average]     # key "grid.national_average": <namespace>.<name>[.<name>...]
    value = "0.5306"            # a decimal STRING; a TOML float (or integer) is refused
    unit = "tCO2/MWh"
    source = "MEE & NBS, ..."   # the document the value comes from
    year = 2023                 # optional: the year the value is for
    confirmed = true            # required: false = default/placeholder to be checked/replaced
    note = "..."                # optional

Namespaces are closed (:data:`NAMESPACES`); key segments are lower snake case. Loading checks the
whole file and raises one :class:`FactorSetError` listing every problem, each with the file and the
factor key, so that a person editing the file can fix all of them at once.

A user file may not take the id of a bundled set unless its content is identical: a result labelled
``cn-mee-2023@1.0`` must mean the published figures, not someone's edit of them. To adjust a bundled
set, give the file its own id and ``extends = "cn-mee-2023@1.0"``.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

NAMESPACES: tuple[str, ...] = ("grid", "fuel", "heat", "steam", "energy", "scope3")
"""The factor namespaces a file may use (its top-level tables besides ``[set]``)."""

_SET_REQUIRED = ("id", "version", "name")
_SET_OPTIONAL = ("description", "published", "updated", "extends")
_FACTOR_REQUIRED = ("value", "unit", "source", "confirmed")
_FACTOR_OPTIONAL = ("year", "note")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_]*")
_SET_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}")

_SETS_PACKAGE = __package__ or "ledger.factors"
BUNDLED_PREFIX = "bundled:"


class FactorSetError(ValueError):
    """A factor-set file is unusable; ``problems`` lists ``(key, message)`` pairs.

    ``origin`` is the file (a path, or ``bundled:<id>``); ``key`` is the first problem's factor key
    (``grid.east``, ``set.version``) or ``None`` for a problem with the file as a whole.
    """

    def __init__(self, origin: str, problems: Iterable[tuple[str | None, str]]) -> None:
        self.origin = origin
        self.problems: list[tuple[str | None, str]] = list(problems)
        if not self.problems:
            raise ValueError("FactorSetError needs at least one problem")
        self.key = self.problems[0][0]
        super().__init__(str(self))

    @classmethod
    def one(cls, origin: str, key: str | None, message: str) -> FactorSetError:
        return cls(origin, [(key, message)])

    def __str__(self) -> str:
        lines = [f"{key}: {message}" if key else message for key, message in self.problems]
        if len(lines) == 1:
            return f"{self.origin}: {lines[0]}"
        return f"{self.origin}: {len(lines)} problems:\n" + "\n".join("  " + line for line in lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.origin, self.problems))


class MissingFactor(KeyError):
    """A set has no factor under ``key``: never a silent fallback to another set or a default."""

    def __init__(self, set_label: str, origin: str, key: str, near: Iterable[str] = ()) -> None:
        self.set_label = set_label
        self.origin = origin
        self.key = key
        self.near = tuple(near)
        super().__init__(key)

    def __str__(self) -> str:
        message = f"factor set {self.set_label} ({self.origin}) has no factor {self.key!r}"
        if self.near:
            message += "; near: " + ", ".join(self.near)
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.set_label, self.origin, self.key, self.near))


@dataclass(frozen=True)
class Factor:
    """One value with its unit and provenance. ``value`` is exact: parsed from a decimal string."""

    key: str
    value: Decimal
    unit: str
    source: str
    year: int | None
    confirmed: bool
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise ValueError(f"factor {self.key!r}: value must be a finite Decimal, got {self.value!r}")

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready dict; ``value`` as written (``"0.5500"`` keeps its zeros)."""
        return {
            "value": str(self.value),
            "unit": self.unit,
            "source": self.source,
            "year": self.year,
            "confirmed": self.confirmed,
            "note": self.note,
        }


@dataclass(frozen=True)
class FactorSet:
    """A named, versioned set of factors. Look values up with :meth:`get`, never ``factors[...]``
    with a fallback: a missing factor is an error naming the set and the key."""

    id: str
    version: str
    name: str
    description: str
    factors: Mapping[str, Factor] = field(hash=False)
    origin: str
    published: date | None = None
    updated: date | None = None
    extends: str | None = None
    """``id@version`` of the bundled set this one was built on, if any."""

    @property
    def label(self) -> str:
        """``id@version``: what every result names."""
        return f"{self.id}@{self.version}"

    def get(self, key: str) -> Factor:
        """The factor under ``key``; :class:`MissingFactor` (a ``KeyError``) naming set and key."""
        factor = self.factors.get(key)
        if factor is None:
            raise MissingFactor(self.label, self.origin, key, _near_keys(key, self.factors))
        return factor

    def __contains__(self, key: object) -> bool:
        return key in self.factors

    def keys(self, prefix: str = "") -> list[str]:
        """Factor keys in file order, optionally only those under ``prefix`` (``"grid"``)."""
        if not prefix:
            return list(self.factors)
        stem = prefix.rstrip(".") + "."
        return [k for k in self.factors if k.startswith(stem)]

    def unconfirmed(self) -> list[str]:
        """Keys of factors marked ``confirmed = false``: defaults a report should flag."""
        return [k for k, f in self.factors.items() if not f.confirmed]

    def canonical(self) -> dict[str, Any]:
        """The set's content as a JSON-ready dict (everything but ``origin``)."""
        return {
            "set": {
                "id": self.id,
                "version": self.version,
                "name": self.name,
                "description": self.description,
                "published": self.published.isoformat() if self.published else None,
                "updated": self.updated.isoformat() if self.updated else None,
                "extends": self.extends,
            },
            "factors": {key: f.canonical() for key, f in self.factors.items()},
        }

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of :meth:`canonical` as sorted, compact UTF-8 JSON.

        Two sets with the same digest have the same header and the same factors with the same
        values as written; where the file came from (``origin``) is not part of it.
        """
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _near_keys(key: str, keys: Iterable[str], limit: int = 8) -> list[str]:
    keys = list(keys)
    near = difflib.get_close_matches(key, keys, n=5, cutoff=0.6)
    namespace = key.split(".", 1)[0] + "."
    near += [k for k in keys if k.startswith(namespace) and k not in near]
    return near[:limit]


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _sets_dir() -> Any:
    return resources.files(_SETS_PACKAGE).joinpath("sets")


def bundled_factor_sets() -> list[str]:
    """Ids of the factor sets shipped with the package, sorted."""
    return sorted(
        entry.name[: -len(".toml")]
        for entry in _sets_dir().iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


@functools.cache
def _load_bundled(set_id: str) -> FactorSet:
    origin = BUNDLED_PREFIX + set_id
    text = _sets_dir().joinpath(set_id + ".toml").read_text(encoding="utf-8")
    fs = _parse(text, origin, bundled=True)
    if fs.id != set_id:
        raise FactorSetError.one(
            origin, "set.id", f"is {fs.id!r}, but a bundled set's id must equal its file name {set_id!r}"
        )
    return fs


def _split_label(text: str) -> tuple[str, str | None]:
    set_id, sep, version = text.partition("@")
    return set_id, (version if sep else None)


def _bundled_by_label(text: str, origin: str, key: str | None) -> FactorSet:
    set_id, version = _split_label(text)
    bundled = bundled_factor_sets()
    if set_id not in bundled:
        raise FactorSetError.one(origin, key, f"no bundled factor set {set_id!r}; bundled: {', '.join(bundled)}")
    fs = _load_bundled(set_id)
    if version is not None and version != fs.version:
        raise FactorSetError.one(
            origin, key, f"bundled factor set {set_id!r} is version {fs.version!r}, not {version!r}"
        )
    return fs


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".toml")


def load_factor_set(id_or_path: str | Path) -> FactorSet:
    """A bundled set by id (``"cn-mee-2023"``, or ``"cn-mee-2023@1.0"`` to insist on a version),
    or a user's TOML file by path (a :class:`~pathlib.Path`, or a string containing ``/`` or
    ending in ``.toml``). Raises :class:`FactorSetError` naming the file and the key at fault."""
    if isinstance(id_or_path, Path):
        return _load_path(id_or_path)
    if not isinstance(id_or_path, str):
        raise TypeError(f"expected a factor-set id or a path, got {type(id_or_path).__name__}")
    if _looks_like_path(id_or_path):
        return _load_path(Path(id_or_path))
    return _bundled_by_label(id_or_path, id_or_path, None)


def loads_factor_set(text: str, origin: str = "<string>") -> FactorSet:
    """A user's factor set from TOML text (for example an uploaded file); ``origin`` names it in
    errors and in :attr:`FactorSet.origin`."""
    return _parse(text, origin, bundled=False)


def _load_path(path: Path) -> FactorSet:
    origin = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FactorSetError.one(origin, None, "no such file") from None
    except OSError as exc:
        raise FactorSetError.one(origin, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FactorSetError.one(origin, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return _parse(text, origin, bundled=False)


def _parse(text: str, origin: str, *, bundled: bool) -> FactorSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FactorSetError.one(origin, None, f"not valid TOML: {exc}") from None

    problems: list[tuple[str | None, str]] = []
    header = data.get("set")
    if not isinstance(header, dict):
        problems.append(("set", "missing [set] table (id, version, name)"))
        header = None
    for top, content in data.items():
        if top == "set":
            continue
        if top not in NAMESPACES:
            problems.append((top, f"unknown table; a factor set has [set] and the namespaces {', '.join(NAMESPACES)}"))
        elif not isinstance(content, dict):
            problems.append((top, "must be a table of factors"))

    meta = _check_header(header, problems) if header is not None else {}
    factors: dict[str, Factor] = {}
    for top, content in data.items():
        if top in NAMESPACES and isinstance(content, dict):
            _walk(content, [top], factors, problems)

    base: FactorSet | None = None
    extends = meta.get("extends")
    if extends is not None and not problems:
        if bundled:
            problems.append(("set.extends", "bundled sets are complete files and do not extend others"))
        elif _split_label(extends)[1] is None:
            problems.append(
                ("set.extends", f"must pin a version, e.g. {extends + '@' + _load_bundled_version(extends)!r}")
            )
        else:
            try:
                base = _bundled_by_label(extends, origin, "set.extends")
            except FactorSetError as exc:
                problems.extend(exc.problems)
    if not factors and base is None and not problems:
        problems.append((None, "no factors"))
    if problems:
        raise FactorSetError(origin, problems)

    merged: dict[str, Factor] = dict(base.factors) if base is not None else {}
    merged.update(factors)
    fs = FactorSet(
        id=meta["id"],
        version=meta["version"],
        name=meta["name"],
        description=meta.get("description", ""),
        factors=MappingProxyType(merged),
        origin=origin,
        published=meta.get("published"),
        updated=meta.get("updated"),
        extends=base.label if base is not None else None,
    )
    if not bundled and fs.id in bundled_factor_sets():
        official = _load_bundled(fs.id)
        if fs.digest != official.digest:
            raise FactorSetError.one(
                origin,
                "set.id",
                f"{fs.id!r} is a bundled factor set and this file differs from it; give your set its own "
                f"id (it may start from the bundled one with extends = {official.label!r})",
            )
    return fs


def _load_bundled_version(set_id: str) -> str:
    try:
        return _load_bundled(set_id).version if set_id in bundled_factor_sets() else "<version>"
    except FactorSetError:
        return "<version>"


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
        confirmed=confirmed,
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

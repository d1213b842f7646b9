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

Versions are kept. ``sets/<id>.toml`` is the current version of a bundled set; a version it
superseded stays, unchanged, as ``sets/archive/<id>@<version>.toml``, so that a report that names
``cn-mee-2023@1.1`` is recomputed with exactly the factors it was made with (a new factor or value is
a new version, never an edit of an old one). ``"cn-mee-2023"`` without a version is the current one.

This module reads files and keeps the bundled sets; what a factor and a set are lives in
:mod:`ledger.factors.model` and the per-field rules of the format in :mod:`ledger.factors.schema`.
Their public names are re-exported here, where callers have always imported them from.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .model import Factor, FactorSet, FactorSetError, MissingFactor
from .schema import _check_header, _walk

__all__ = [
    "BUNDLED_PREFIX",
    "NAMESPACES",
    "Factor",
    "FactorSet",
    "FactorSetError",
    "MissingFactor",
    "bundled_factor_set",
    "bundled_factor_sets",
    "bundled_versions",
    "load_factor_set",
    "loads_factor_set",
]

NAMESPACES: tuple[str, ...] = ("grid", "fuel", "biomass", "gwp", "heat", "steam", "energy", "scope3")
"""The factor namespaces a file may use (its top-level tables besides ``[set]``)."""

_SETS_PACKAGE = __package__ or "ledger.factors"
BUNDLED_PREFIX = "bundled:"
_BUNDLED_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def _sets_dir() -> Any:
    return resources.files(_SETS_PACKAGE).joinpath("sets")


def bundled_factor_sets() -> list[str]:
    """Ids of the factor sets shipped with the package, sorted."""
    return sorted(
        entry.name[: -len(".toml")]
        for entry in _sets_dir().iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def _archived(set_id: str) -> dict[str, Any]:
    """Superseded versions of ``set_id`` kept in ``sets/archive``: version → file."""
    archive = _sets_dir().joinpath("archive")
    if not archive.is_dir():
        return {}
    prefix = set_id + "@"
    return {
        entry.name[len(prefix) : -len(".toml")]: entry
        for entry in archive.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(".toml") and entry.is_file()
    }


def bundled_versions(set_id: str) -> list[str]:
    """Every version of the bundled set ``set_id`` that can be loaded: the superseded ones kept in the
    archive, then the current one (last)."""
    if set_id not in bundled_factor_sets():
        return []
    current = _load_bundled(set_id).version
    return [*sorted(v for v in _archived(set_id) if v != current), current]


@functools.cache
def _load_bundled(set_id: str, version: str | None = None) -> FactorSet:
    """The current version of a bundled set, or with ``version`` one kept in the archive."""
    if version is None:
        origin, entry = BUNDLED_PREFIX + set_id, _sets_dir().joinpath(set_id + ".toml")
    else:
        origin, entry = f"{BUNDLED_PREFIX}{set_id}@{version}", _archived(set_id)[version]
    fs = _parse(entry.read_text(encoding="utf-8"), origin, bundled=True)
    if fs.id != set_id:
        raise FactorSetError.one(
            origin, "set.id", f"is {fs.id!r}, but a bundled set's id must equal its file name {set_id!r}"
        )
    if version is not None and fs.version != version:
        raise FactorSetError.one(origin, "set.version", f"is {fs.version!r}, but its archive file names {version!r}")
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
    if version is None or version == fs.version:
        return fs
    if version in _archived(set_id):
        return _load_bundled(set_id, version)
    raise FactorSetError.one(
        origin, key, f"bundled factor set {set_id!r} has no version {version!r}; versions: "
        f"{', '.join(bundled_versions(set_id))} (current {fs.version!r})",
    )  # fmt: skip


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


def bundled_factor_set(label: str, key: str | None = None) -> FactorSet:
    """A bundled set by id or ``id@version``, and nothing else: never a path, never the disk
    beyond the package's own sets. What a network request may name (a request must not learn
    whether a file exists on the server, nor make it read ``/dev/zero``)."""
    set_id, _ = _split_label(label)
    if _looks_like_path(label) or not _BUNDLED_ID.fullmatch(set_id):
        raise FactorSetError.one(  # the value is not echoed: the answer is the same for every such value
            "factor_set", key, f"is not a bundled factor set id; bundled: {', '.join(bundled_factor_sets())} "
            "(send a factor set of your own as TOML text instead)",
        )  # fmt: skip
    return _bundled_by_label(label, label, key)


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
        if fs.version != official.version and fs.version in _archived(fs.id):
            official = _load_bundled(fs.id, fs.version)  # a kept version, e.g. the file a report was made with
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

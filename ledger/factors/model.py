"""The factor-set model: :class:`Factor`, :class:`FactorSet` and the two errors a caller sees.

Kept apart from :mod:`ledger.factors.factor_set` (which reads and checks the TOML files) so that
code doing arithmetic with factors (:mod:`~ledger.factors.derived`, :mod:`~ledger.factors.units`,
:mod:`~ledger.factors.compare`) depends only on what a factor *is*, not on how a file is parsed.
Everything here is re-exported by :mod:`ledger.factors.factor_set` and :mod:`ledger.factors`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


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

"""The standard load profiles (``rules/load-profiles.toml``): how a monthly total of a source with
no interval meter, declared ``load-profile`` in the source register, is spread over its hours.

A profile is 24 integer weights per day type (weekday; weekend = Saturday and Sunday), read in local
time. Integers keep the spread exact: an hour gets ``total × weight / Σ weights`` by largest remainder
(:func:`ledger.hourly.spread.largest_remainder`). ``flat`` (every hour the same) is the file's default
and the neutral fallback: a source whose register entry names no profile gets it, so a factory that
says nothing of its shifts is given no shape that would flatter its night hours.

A run names the file (``load-profiles@1``) and, per source, the profile it used
(``load-profiles@1/cn-industrial-two-shift``): change a weight and the version changes with it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np

from ledger.hourly.errors import HourlyError
from ledger.hourly.model import CHINA, HOUR
from ledger.i18n import N_

PROFILES_FILE = Path(__file__).parent / "rules" / "load-profiles.toml"
DAY = 86400
UNKNOWN = N_("unknown load profile %(name)s; known: %(known)s")
THURSDAY = 3
"""1970-01-01 (day 0 of unix time) was a Thursday; Monday is 0 as in :meth:`datetime.weekday`."""


@dataclass(frozen=True)
class LoadProfile:
    """One profile of the file: ``weekday``/``weekend`` are its 24 weights per day type."""

    id: str
    name: str
    meaning: str
    source: str
    confirmed: bool
    weekday: tuple[int, ...]
    weekend: tuple[int, ...]


@dataclass(frozen=True)
class ProfileSet:
    """The file: ``label`` is its ``id@version``, ``default`` the profile of a source that names none."""

    label: str
    default: str
    profiles: dict[str, LoadProfile]
    source: str
    confirmed: bool


@cache
def load_profiles() -> ProfileSet:
    """The bundled profile file, checked: every day type 24 non-negative integers, not all zero."""
    data = tomllib.loads(PROFILES_FILE.read_text(encoding="utf-8"))
    head = data["set"]
    profiles = {}
    for name, entry in data["profile"].items():
        weekday = _weights(entry["weekday"], f"profile.{name}.weekday")
        weekend = _weights(entry.get("weekend", entry["weekday"]), f"profile.{name}.weekend")
        profiles[name] = LoadProfile(name, entry["name"], entry["meaning"], entry["source"], bool(entry["confirmed"]),
                                     weekday, weekend)  # fmt: skip
    if head["default"] not in profiles:
        raise ValueError(f"{PROFILES_FILE}: default {head['default']!r} is not a profile of the file")
    return ProfileSet(f"{head['id']}@{head['version']}", head["default"], profiles, head["source"],
                      bool(head["confirmed"]))  # fmt: skip


def _weights(values: object, where: str) -> tuple[int, ...]:
    if not isinstance(values, list) or len(values) != 24 or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values) or not any(values):  # fmt: skip
        raise ValueError(f"{PROFILES_FILE}: {where} must be 24 non-negative integers, not all zero")
    return tuple(values)


def profile_id(name: str | None, field: str = "profile") -> str:
    """The profile ``name`` (the file's default when None); an unknown name is refused, listing the known."""
    profiles = load_profiles()
    chosen = profiles.default if name is None else name
    if chosen not in profiles.profiles:
        raise HourlyError(field, UNKNOWN % {"name": repr(chosen), "known": ", ".join(profiles.profiles)})
    return chosen


def profile_label(name: str | None) -> str:
    """What a run records for a source spread by ``name``: ``load-profiles@1/flat``."""
    return f"{load_profiles().label}/{profile_id(name)}"


def profile_weights(name: str | None, start: int, hours: int, utc_offset: timedelta = CHINA) -> np.ndarray:
    """The weights (int64) of the ``hours`` hours from unix time ``start`` (a whole hour), each by its
    local hour of day and day type in ``utc_offset``; ``None`` is the file's default profile."""
    if start % HOUR or hours <= 0:
        raise ValueError("profile weights start on a whole hour and cover at least one hour")
    profile = load_profiles().profiles[profile_id(name)]
    local = start + int(utc_offset.total_seconds()) + np.arange(hours, dtype=np.int64) * HOUR
    day, hour = np.divmod(local, DAY)
    hour //= HOUR
    weekend = (day + THURSDAY) % 7 >= 5
    table = np.array([profile.weekday, profile.weekend], dtype=np.int64)
    return table[weekend.astype(np.int64), hour]

"""A factory's profile: where it is (province, grid region) and what its boundary holds (the legal
entity, its unified social credit code, the site address, the facilities included).

Location decides which certificates are deliverable to the factory and which regional grid factor
applies; the boundary is what a verifier checks the inventory against. Nothing here is guessed: a
field never given stays ``None`` and the report shows it as unknown.

- ``province`` is an ISO 3166-2:CN code (``CN-JS``), from ``rules/cn-provinces.toml``;
- ``grid_region`` is a regional grid key of the bundled factor sets (``east``, ``north`` …, the
  ``grid.<region>`` entries that are not national figures);
- ``unified_social_credit_code`` is the 18-character code of GB 32100-2015 (统一社会信用代码), its
  check character verified (``91350100M000100Y43``, widely cited as its example, passes);
- ``sources`` changes the source register (:mod:`ledger.accounting.source_register`): per source id,
  how its figures are obtained, its meter and its days in service.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ledger.accounting.source_register import parse_sources
from ledger.factors import bundled_factor_set, bundled_factor_sets
from ledger.records.errors import RecordError
from ledger.records.names import check_factory_name

PROFILE_FIELDS = ("province", "grid_region", "legal_entity", "unified_social_credit_code", "site_address", "facilities",
                  "sources")  # fmt: skip
NATIONAL_GRID_KEYS = frozenset({"national_average", "residual_mix", "fossil_only"})
"""``grid.*`` keys that are national figures, not a region a factory can be in."""
MAX_FACILITIES = 100
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^(i-1) mod 31


@cache
def provinces() -> dict[str, str]:
    """ISO 3166-2:CN code → English name."""
    data = tomllib.loads((Path(__file__).parent / "rules" / "cn-provinces.toml").read_text(encoding="utf-8"))
    return {code: entry["name"] for code, entry in data["province"].items()}


@cache
def grid_regions() -> tuple[str, ...]:
    """The regional grid keys any bundled factor set publishes, sorted."""
    keys = {
        key.removeprefix("grid.")
        for set_id in bundled_factor_sets()
        for key in bundled_factor_set(set_id).factors
        if key.startswith("grid.") and not key.startswith("grid.province.")  # a province is the profile's own field
    }
    return tuple(sorted(keys - NATIONAL_GRID_KEYS))


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a unified social credit code, or None."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = next((c for c in code if c not in _USCC_CHARS), None)
    if bad is not None:
        return f"{bad!r} is not a character of GB 32100-2015 (digits and capitals but I, O, S, V, Z)"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"check character is {code[17]!r}, the first 17 characters give {expected!r}"
    return None


def parse_profile(data: Mapping[str, Any], field: str = "profile") -> dict[str, Any]:
    """The profile fields ``data`` gives, checked (``None`` clears one); a refusal names
    ``<field>.<key>`` (``<key>`` when ``field`` is empty: the body is the profile). Keys not given are
    not in the answer, so an update changes only what it names."""
    prefix = f"{field}." if field else ""
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise RecordError(f"{prefix}{unknown[0]}", f"is not a profile field ({', '.join(PROFILE_FIELDS)})")
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if value is None:
            out[key] = None
        elif key == "province":
            code = str(value).strip().upper() if isinstance(value, str) else value
            if code not in provinces():
                raise RecordError(name, f"must be an ISO 3166-2:CN code such as CN-JS, got {value!r}")
            out[key] = code
        elif key == "grid_region":
            if value not in grid_regions():
                raise RecordError(name, f"must be a regional grid of the factor sets ({', '.join(grid_regions())})")
            out[key] = value
        elif key == "unified_social_credit_code":
            code = check_factory_name(value, name).upper()
            if (problem := uscc_problem(code)) is not None:
                raise RecordError(name, problem)
            out[key] = code
        elif key == "sources":
            out[key] = parse_sources(value, name)
        elif key == "facilities":
            if not isinstance(value, list) or len(value) > MAX_FACILITIES:
                raise RecordError(name, f"must be a list of at most {MAX_FACILITIES} facility names")
            out[key] = [check_factory_name(v, f"{name}[{i}]") for i, v in enumerate(value)]
        else:
            out[key] = check_factory_name(value, name)
    return out

"""Reading the report JSON defensively, for the page and its charts.

A page is rendered for whatever the report holds: a draft, a sparse or older report, or one edited
by hand (the page then says its hash does not match). So nothing here assumes a field exists or has
the expected type; an absent or malformed part reads as None or as an empty list and the page shows
"—" or "none" for it. :func:`pick` gives every key the template reads, because the template runs
with ``StrictUndefined`` so that a typo in it fails loudly instead of printing nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["as_list", "get", "mappings", "missing_periods", "pick"]


def get(mapping: Any, key: str, default: Any = None) -> Any:
    """``mapping[key]`` when ``mapping`` is a mapping that has it, else ``default``."""
    return mapping.get(key, default) if isinstance(mapping, Mapping) else default


def as_list(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a string included) as an empty list."""
    return list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else []


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The entries of a JSON array that are objects; the rest are skipped."""
    return [v for v in as_list(value) if isinstance(v, Mapping)]


def pick(mapping: Any, *keys: str) -> dict[str, Any]:
    """``keys`` of ``mapping``, each present (None when absent, all None when it is not a mapping)."""
    return {k: get(mapping, k) for k in keys}


def missing_periods(report: Mapping[str, Any]) -> dict[str, str]:
    """Months the report lists as missing (no anchored data), with the reason given ("" when none)."""
    missing = as_list(get(get(report, "periods"), "missing"))
    return {str(get(m, "period")): str(get(m, "reason", "") or "") for m in missing}

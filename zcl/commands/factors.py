"""``zcl factors``: list the bundled emission factor sets and compare two side by side (locally,
without the service)."""

from __future__ import annotations

import argparse
from typing import Any

from zcl.commands.common import group
from zcl.output import emit
from zcl.tables import table
from zcl.text import _


def register(subparsers: Any) -> None:
    factors = group(subparsers, "factors", _("emission factor sets"))
    factors.add_parser("list", help=_("the bundled factor sets and their kept versions")).set_defaults(
        handler=_factors_list
    )
    compare = factors.add_parser("compare", help=_("two factor sets side by side"))
    compare.add_argument("a", help=_("id or .toml file"))
    compare.add_argument("b", help=_("id or .toml file"))
    compare.set_defaults(handler=_factors_compare)


def _factors_list(args: argparse.Namespace) -> int:
    """Each bundled set's current version, then the earlier versions kept for the reports that name them."""
    from ledger.factors import bundled_factor_sets, bundled_versions, load_factor_set

    listed: list[dict[str, Any]] = []
    for set_id in bundled_factor_sets():
        factors = load_factor_set(set_id)
        kept = [f"{set_id}@{v}" for v in bundled_versions(set_id) if v != factors.version]
        listed.append({"id": set_id, "label": factors.label, "name": factors.name, "version": factors.version,
                       "factors": len(factors.factors), "kept": kept})  # fmt: skip
    rows = [[f["label"], f["name"], str(f["factors"]), ", ".join(f["kept"]) or "-"] for f in listed]
    emit(args, listed, table([_("factor set"), _("name"), _("factors"), _("earlier versions kept")], rows,
                             numeric=[False, False, True]))  # fmt: skip
    return 0


def _factors_compare(args: argparse.Namespace) -> int:
    """Side by side; ``--json`` lists each differing factor with both values as exact decimal strings."""
    from ledger.factors import compare, compare_table, load_factor_set

    a, b = load_factor_set(args.a), load_factor_set(args.b)
    if not args.json:
        print(compare_table(a, b), end="")
        return 0
    emit(args, {"a": a.label, "b": b.label, "differences": [
        {"key": d.key, "a": _factor(d.a), "b": _factor(d.b), "change": d.change} for d in compare(a, b)
    ]})  # fmt: skip
    return 0


def _factor(factor: Any) -> dict[str, Any] | None:
    if factor is None:
        return None
    return {"value": str(factor.value), "unit": factor.unit, "source": factor.source, "year": factor.year,
            "confirmed": factor.confirmed}  # fmt: skip

"""``zcl factors``: list the bundled emission factor sets and compare two side by side (locally,
without the service)."""

from __future__ import annotations

import argparse
from typing import Any

from zcl.commands.common import group


def register(subparsers: Any) -> None:
    factors = group(subparsers, "factors", "emission factor sets")
    factors.add_parser("list", help="the bundled factor sets and their kept versions").set_defaults(
        handler=_factors_list
    )
    compare = factors.add_parser("compare", help="two factor sets side by side")
    compare.add_argument("a", help="id or .toml file")
    compare.add_argument("b", help="id or .toml file")
    compare.set_defaults(handler=_factors_compare)


def _factors_list(args: argparse.Namespace) -> int:
    """Each bundled set's current version, then the earlier versions kept for the reports that name them."""
    from ledger.factors import bundled_factor_sets, bundled_versions, load_factor_set

    for set_id in bundled_factor_sets():
        factors = load_factor_set(set_id)
        kept = [f"{set_id}@{v}" for v in bundled_versions(set_id) if v != factors.version]
        print(f"{factors.label:<24} {factors.name}" + (f"  (kept: {', '.join(kept)})" if kept else ""))
    return 0


def _factors_compare(args: argparse.Namespace) -> int:
    from ledger.factors import compare_table, load_factor_set

    print(compare_table(load_factor_set(args.a), load_factor_set(args.b)))
    return 0

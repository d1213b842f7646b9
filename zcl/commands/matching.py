"""``zcl matching``: hourly (24/7) matching runs of a factory's year (issue 17). ``run`` computes one
from anchored data (with ``--key``, the evaluator signs it and the report relay anchors it, as for
``zcl evaluate``); ``show`` prints it; ``proof`` and ``export`` fetch the signed bundle of a claim's
pieces (one unit, one hour, or all of them) that ``zcl verify`` checks against the chain."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ledger.config import Settings
from zcl.commands.common import group, service_for
from zcl.output import print_json, write_json
from zcl.password import unlock
from zcl.render import grouped
from zcl.tables import block, table
from zcl.text import _, error_text


def register(subparsers: Any) -> None:
    matching = group(subparsers, "matching", _("hourly (24/7) matching: runs, proofs and signed matching claims"))
    run = matching.add_parser("run", help=_("match a factory's year hour by hour; with --key, sign and anchor it"))
    run.add_argument("factory_id")
    run.add_argument("--year", type=int, required=True)
    run.add_argument("--factors", help=_("a bundled factor set id (default cn-mee-2023)"))
    run.add_argument("--key", type=Path, help=_("the evaluator's key file: sign the run and anchor it"))
    run.add_argument("--password-file", type=Path, help=_("default: ZCL_KEY_PASSWORD"))
    run.set_defaults(handler=_run)
    show = matching.add_parser("show", help=_("a matching run: CFE score, months, claims, anchor"))
    show.add_argument("run_id")
    show.set_defaults(handler=_show)
    proof = matching.add_parser("proof", help=_("the signed proof of a claim's pieces: one unit, one hour, or all"))
    proof.add_argument("run_id")
    proof.add_argument("--claim", type=int, required=True)
    proof.add_argument("--serial", help=_("one unit's serial number"))
    proof.add_argument("--hour", metavar="ISO", help=_("an hour's start with its offset (2025-07-01T13:00+08:00)"))
    proof.add_argument("-o", "--out", type=Path, metavar="FILE", help=_("write the bundle to FILE"))
    proof.set_defaults(handler=_proof)
    export = matching.add_parser("export", help=_("the signed matching claim: every piece of a claim, with proofs"))
    export.add_argument("run_id")
    export.add_argument("--claim", type=int, required=True)
    export.add_argument("-o", "--out", type=Path, metavar="FILE", help=_("write the bundle to FILE"))
    export.set_defaults(handler=_export)


def _run(args: argparse.Namespace) -> int:
    from ledger.eip712.typed_data import sign as sign_typed_data

    service = service_for(args, Settings.from_env())
    query = f"year={args.year}" + (f"&factor_set={args.factors}" if args.factors else "")
    found = service.post(f"/factories/{args.factory_id}/matching?{query}", None)
    if args.key is not None:  # signed as any report: the evaluations' typed data and signature
        evaluator = unlock(args.key, args.password_file)
        message = service.get(f"/evaluations/{found['id']}/typed-data", evaluator=evaluator.address)
        message["message"]["reportHash"] = bytes.fromhex(message["message"]["reportHash"][2:])
        signature = sign_typed_data(evaluator, message)
        service.post(
            f"/evaluations/{found['id']}/signature",
            {"evaluator": evaluator.address, "signature": "0x" + signature.hex()},
        )
        found = service.get(f"/matching/{found['id']}")
    return _print_run(args, found)


def _show(args: argparse.Namespace) -> int:
    return _print_run(args, service_for(args, Settings.from_env()).get(f"/matching/{args.run_id}"))


def _proof(args: argparse.Namespace) -> int:
    bundle = service_for(args, Settings.from_env()).get(
        f"/matching/{args.run_id}/proof", claim=args.claim, serial=args.serial, hour=args.hour
    )
    return _print_bundle(args, bundle)


def _export(args: argparse.Namespace) -> int:
    text = service_for(args, Settings.from_env()).get_text(f"/matching/{args.run_id}/claims/{args.claim}.json")
    return _print_bundle(args, json.loads(text))


def _print_run(args: argparse.Namespace, run: dict[str, Any]) -> int:
    if args.json:
        print_json(run)
        return 0
    results = run["results"]
    cfe = results["cfe"]["year"]
    rows = [
        (_("matching run"), run["id"]),
        (_("factory"), f"{run['factory_id']} {run['year']}"),
        (_("status"), _(run["status"])),  # draft, pending, anchored: the catalogs have them
        (_("CFE score"), _percent(cfe) if cfe is not None else _("no scored hour")),
        (_("hours"), _("%(scored)s scored, %(deficit)s deficit, %(unscored)s unscored", **results["hours"])),
        (_("load"), f"{grouped(results['totals']['load_mwh'])} MWh"),
        (_("matched"), f"{grouped(results['totals']['matched_mwh'])} MWh"),
        (_("scope 2 market"), _("%(hourly)s tCO2 hourly, %(annual)s tCO2 annual", hourly=results["scope2"]["market_hourly_tco2"],
                                 annual=results["scope2"]["market_annual_tco2"] or "—")),
        (_("hash"), run["report_hash"]),
    ]  # fmt: skip
    if run.get("anchor"):
        a = run["anchor"]
        rows.append((_("anchored"), _("report %(id)s tx %(tx)s block %(block)s", id=a["report_id"], tx=a["tx_hash"],
                                      block=a["block_number"])))  # fmt: skip
    if run.get("stale"):
        rows.append((_("STALE"), ", ".join(b["period"] for b in run["stale_because"])))
    print(block(rows))
    print()
    months = [
        (m, grouped(v["load_mwh"]), grouped(v["matched_mwh"]), _percent(v["cfe"]) if v["cfe"] is not None else "—",
         str(v["deficit_hours"]), str(v["unscored_hours"]))
        for m, v in sorted(results["months"].items())
    ]  # fmt: skip
    headers = [_("month"), _("load MWh"), _("matched MWh"), _("CFE"), _("deficit hours"), _("unscored hours")]
    print(table(headers, months, [False, True, True, True, True, True]))
    claims = [
        (str(c["claim_id"]), _("yes") if c["usable"] else _("no"), grouped(c["offered_mwh"]), grouped(c["matched_mwh"]),
         "; ".join(error_text(r) for r in c["reasons"]))
        for c in results["claims"]
    ]  # fmt: skip
    if claims:
        print()
        print(table([_("claim"), _("usable"), _("offered MWh"), _("matched MWh"), _("why not")], claims,
                    [True, False, True, True, False]))  # fmt: skip
    for gap in results.get("gaps", [])[:20]:
        print(
            _("gap        %(source)s %(start)s – %(end)s", source=gap["source_id"], start=gap["start"], end=gap["end"])
        )
    return 0


def _print_bundle(args: argparse.Namespace, bundle: dict[str, Any]) -> int:
    if args.out is not None:
        write_json(args.out, bundle)
    if args.json:
        print_json(bundle)
        return 0
    if args.out is None:
        print_json(bundle)
        return 0
    pieces = bundle.get("pieces", [])
    print(_("%(n)s pieces of claim %(claim)s written to %(file)s", n=len(pieces), claim=bundle["claim"]["claim_id"],
            file=str(args.out)))  # fmt: skip
    return 0


def _percent(fraction: str) -> str:
    from decimal import ROUND_DOWN, Decimal

    return f"{(Decimal(fraction) * 100).quantize(Decimal('0.01'), rounding=ROUND_DOWN)} %"

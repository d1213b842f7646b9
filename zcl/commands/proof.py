"""``zcl proof``, ``zcl verify`` and ``zcl anchor``: fetch a record's proof bundle from the
service, verify a bundle against the chain alone, and read anchored batches from the chain."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledger.chain.deployment import read_deployment
from ledger.chain.session import connect, endpoint_url, web3_for
from ledger.config import Settings
from ledger.errors import SetupError, Unavailable
from ledger.records import RecordError
from zcl.commands.common import group, service_for
from zcl.output import emit, json_default, print_json, read_json, write_json
from zcl.render import grid
from zcl.text import _

ANCHOR_COLUMNS = ("revision", "anchored_at", "anchored_block", "leaf_count", "signer", "root", "uri")


def register(subparsers: Any) -> None:
    proof = subparsers.add_parser("proof", help=_("fetch a record's proof bundle"))
    proof.add_argument("record_id")
    proof.add_argument("--out", type=Path, required=True, metavar="PROOF.json")
    proof.set_defaults(handler=_proof)

    verify = subparsers.add_parser("verify", help=_("verify a proof bundle against the chain alone"))
    verify.add_argument("proof_file", type=Path, metavar="PROOF.json")
    verify.add_argument("--rpc-url", help=_("a node of your choice (default: ZCL_RPC_URL or the local chain)"))
    verify.add_argument(
        "--contract",
        help=_("the authoritative CarbonLedger (default: ZCL_CONTRACT_ADDRESS or the data directory's deployment)"),
    )
    verify.add_argument(
        "--evidence",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help=_("files whose sha256 must be among the record's evidence"),
    )
    verify.set_defaults(handler=_verify)

    anchor = group(subparsers, "anchor", _("read anchored batches from the chain"))
    anchor_show = anchor.add_parser("show", help=_("every revision anchored for a factory and period"))
    anchor_show.add_argument("factory_id")
    anchor_show.add_argument("period", help=_("YYYY-MM"))
    anchor_show.set_defaults(handler=_anchor_show)


def _proof(args: argparse.Namespace) -> int:
    bundle = service_for(args, Settings.from_env()).get(f"/records/{args.record_id}/proof")
    write_json(args.out, bundle)
    print(
        f"wrote {args.out}: record {bundle['record_id']} of {bundle['factory_id']} {bundle['period']} "
        f"revision {bundle['revision']}"
    )
    return 0


VALID, INVALID, UNCHECKED = 0, 1, 3
"""``zcl verify``'s exit codes: the bundle verifies; it (or its record) does not; it could not be
checked (the node did not answer, a file named is missing or unreadable): try again."""


def _verify(args: argparse.Namespace) -> int:
    from ledger.hourly import bundle as hourly
    from ledger.verify import verify_bundle

    try:
        bundle, w3, expected = _verify_inputs(args)
    except (OSError, Unavailable, SetupError) as exc:
        print(_("zcl: could not check: %(reason)s", reason=_reason(exc)), file=sys.stderr)
        return UNCHECKED
    run = bundle.get("type") == hourly.TYPE  # a signed matching claim: pieces of an anchored matching run
    if run and args.evidence:
        raise RecordError("--evidence", _("a matching claim has no evidence files: check them with a record's bundle"))
    if run:
        report = hourly.verify_bundle(bundle, w3, expected_contract=expected)
    else:
        report = verify_bundle(bundle, w3, expected_contract=expected, evidence_files=args.evidence)
    if args.json:
        print_json(report.to_json())
    failure = report.first_failure
    if failure is not None:
        detail = " ".join(failure.detail.split())
        if report.could_not_check:
            print(_("zcl: could not check: %(check)s: %(detail)s", check=failure.name, detail=detail), file=sys.stderr)
            return UNCHECKED
        print(_("zcl: invalid: %(check)s: %(detail)s", check=failure.name, detail=detail), file=sys.stderr)
        return INVALID
    if not args.json:
        for check in report.checks:
            print(f"ok  {check.name:<12} {check.detail}")
        if run:
            state = (_("superseded by matching run %(n)s", n=report.superseded_by) if report.superseded_by
                     else _("latest matching run"))  # fmt: skip
        else:
            state = (_("superseded by revision %(n)s", n=report.superseded_by) if report.superseded_by
                     else _("latest revision"))  # fmt: skip
        print(_("valid (%(state)s)", state=state))
    return VALID


def _verify_inputs(args: argparse.Namespace) -> tuple[dict[str, Any], Any, str | None]:
    """The bundle, a client for the node and the authoritative contract, or the error that keeps
    the check from being made (a file missing, no node configured)."""
    settings = Settings.from_env()
    bundle = read_json(args.proof_file)
    if not isinstance(bundle, dict):
        raise RecordError(str(args.proof_file), "must be a JSON object (a proof bundle)")
    for file in args.evidence:
        if not file.is_file():
            raise FileNotFoundError(2, "no such file", str(file))
    rpc_url = args.rpc_url or settings.rpc_url or endpoint_url(settings)
    expected = args.contract or settings.contract_address
    if expected is None:
        record = read_deployment(settings.deployment_file)
        anchor = bundle.get("anchor")  # a matching claim names its chain in its anchor
        chain_id = (
            anchor.get("chain_id") if "chain_id" not in bundle and isinstance(anchor, dict) else bundle.get("chain_id")
        )
        if record is not None and record.chain_id == chain_id:
            expected = record.address
    return bundle, web3_for(rpc_url), expected


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc)


def _anchor_show(args: argparse.Namespace) -> int:
    ledger = connect(Settings.from_env(), with_operator=False).ledger
    anchors = [asdict(a) for a in ledger.anchors(args.factory_id, args.period)]
    emit(args, anchors, grid(json.loads(json.dumps(anchors, default=json_default)), ANCHOR_COLUMNS) if anchors else
         _("no revision of %(factory)s %(period)s is anchored", factory=args.factory_id, period=args.period))  # fmt: skip
    return 0

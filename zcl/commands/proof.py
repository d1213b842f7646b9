"""``zcl proof``, ``zcl verify`` and ``zcl anchor``: fetch a record's proof bundle from the
service, verify a bundle against the chain alone, and read anchored batches from the chain."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledger.chain.deployment import read_deployment
from ledger.chain.session import connect, endpoint_url, web3_for
from ledger.config import Settings
from ledger.records import RecordError
from zcl.commands.common import group, service_for
from zcl.output import print_json, read_json, write_json


def register(subparsers: Any) -> None:
    proof = subparsers.add_parser("proof", help="fetch a record's proof bundle")
    proof.add_argument("record_id")
    proof.add_argument("--out", type=Path, required=True, metavar="PROOF.json")
    proof.set_defaults(handler=_proof)

    verify = subparsers.add_parser("verify", help="verify a proof bundle against the chain alone")
    verify.add_argument("proof_file", type=Path, metavar="PROOF.json")
    verify.add_argument("--rpc-url", help="a node of your choice (default: ZCL_RPC_URL or the local chain)")
    verify.add_argument(
        "--contract",
        help="the authoritative CarbonLedger (default: ZCL_CONTRACT_ADDRESS or the data directory's deployment)",
    )
    verify.add_argument(
        "--evidence",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help="files whose sha256 must be among the record's evidence",
    )
    verify.add_argument("--json", action="store_true", help="print the whole report as JSON")
    verify.set_defaults(handler=_verify)

    anchor = group(subparsers, "anchor", "read anchored batches from the chain")
    anchor_show = anchor.add_parser("show", help="every revision anchored for a factory and period")
    anchor_show.add_argument("factory_id")
    anchor_show.add_argument("period", help="YYYY-MM")
    anchor_show.set_defaults(handler=_anchor_show)


def _proof(args: argparse.Namespace) -> int:
    bundle = service_for(args, Settings.from_env()).get(f"/records/{args.record_id}/proof")
    write_json(args.out, bundle)
    print(
        f"wrote {args.out}: record {bundle['record_id']} of {bundle['factory_id']} {bundle['period']} "
        f"revision {bundle['revision']}"
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ledger.verify import verify_bundle

    settings = Settings.from_env()
    bundle = read_json(args.proof_file)
    if not isinstance(bundle, dict):
        raise RecordError(str(args.proof_file), "must be a JSON object (a proof bundle)")
    rpc_url = args.rpc_url or settings.rpc_url or endpoint_url(settings)
    expected = args.contract or settings.contract_address
    if expected is None:
        record = read_deployment(settings.deployment_file)
        if record is not None and record.chain_id == bundle.get("chain_id"):
            expected = record.address
    report = verify_bundle(bundle, web3_for(rpc_url), expected_contract=expected, evidence_files=args.evidence)
    if args.json:
        print_json(report.to_json())
    failure = report.first_failure
    if failure is not None:
        print(f"zcl: invalid: {failure.name}: {' '.join(failure.detail.split())}", file=sys.stderr)
        return 1
    if not args.json:
        for check in report.checks:
            print(f"ok  {check.name:<12} {check.detail}")
        state = f"superseded by revision {report.superseded_by}" if report.superseded_by else "latest revision"
        print(f"valid ({state})")
    return 0


def _anchor_show(args: argparse.Namespace) -> int:
    ledger = connect(Settings.from_env(), with_operator=False).ledger
    print_json([asdict(a) for a in ledger.anchors(args.factory_id, args.period)])
    return 0

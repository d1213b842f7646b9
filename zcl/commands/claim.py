"""``zcl claim`` and ``zcl certificate``: sign and submit retirement claims of green certificates
and carbon credits, and look up whether a serial (or range) is retired, by whom and for when."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.keys import load_key_file, read_password
from zcl.commands.common import group, service_for, signing_domain, signing_options
from zcl.output import print_json, read_json, write_json


def register(subparsers: Any) -> None:
    claim = group(subparsers, "claim", "sign and submit retirement claims of certificates and credits")
    claim_sign = claim.add_parser("sign", help="sign a retirement claim with the factory's key")
    claim_sign.add_argument("claim_file", type=Path, metavar="CLAIM.json")
    signing_options(claim_sign)
    claim_sign.set_defaults(handler=_claim_sign)
    claim_submit = claim.add_parser("submit", help="submit a signed claim; refused if any unit was claimed before")
    claim_submit.add_argument("signed_file", type=Path, metavar="SIGNED.json")
    claim_submit.set_defaults(handler=_claim_submit)

    certificate = group(subparsers, "certificate", "look up certificates and credits")
    status = certificate.add_parser("status", help="is this serial (or range) retired, by whom, for which period")
    status.add_argument("--registry", required=True, help="GEC, I-REC, CCER, VCS, GS")
    status.add_argument("--serial", required=True, help="the registry's serial, or START..END")
    status.set_defaults(handler=_certificate_status)


def _claim_sign(args: argparse.Namespace) -> int:
    from ledger.claims import parse_claim, sign_claim
    from ledger.claims.signed import sign_claim_json

    claim = parse_claim(read_json(args.claim_file))
    signer = load_key_file(args.key, read_password(args.password_file))
    domain = signing_domain(args)
    write_json(args.out, sign_claim_json(claim, sign_claim(signer, domain, claim), domain))
    print(
        f"signed claim of {claim.registry} block {claim.block_id} serials {claim.serial_start}..{claim.serial_end} "
        f"({claim.units} {claim.details.unit}) for {claim.factory_id}, consumption "
        f"{claim.consumption_start}..{claim.consumption_end}"
    )
    print(f"signer {signer.address}")
    return 0


def _claim_submit(args: argparse.Namespace) -> int:
    claim = service_for(args, Settings.from_env()).post("/claims", read_json(args.signed_file))
    print(f"claim  {claim['claim_id']} {claim['status']} tx {claim['tx_hash']} block {claim['block_number']}")
    print(
        f"units  {claim['registry']} {claim['block_id']} {claim['serial_start']}..{claim['serial_end']} "
        f"for {claim['factory_id']}, consumption {claim['consumption_start']}..{claim['consumption_end']}"
    )
    return 0


def _certificate_status(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    service = service_for(args, Settings.from_env())
    status = service.get(f"/certificates/{quote(args.registry, safe='')}/{quote(args.serial, safe='')}")
    print_json(status)
    return 0

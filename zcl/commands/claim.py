"""``zcl claim``: sign and submit retirement claims of green certificates
and carbon credits, and confirm or revoke them (the buyers' lookup is :mod:`zcl.commands.certificate`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.keys import load_key_file, read_password
from zcl.commands.certificate import register_claim_certificate
from zcl.commands.common import group, role_ledger, service_for, signing_domain, signing_options
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

    confirm = claim.add_parser(
        "confirm", help="attestor: confirm a provisional claim after checking its cancellation statement"
    )
    confirm.add_argument("claim_id", type=int)
    confirm.add_argument(
        "--statement",
        type=Path,
        required=True,
        help="the registry's cancellation statement; its sha256 must be the one the claim cites",
    )
    _role_key_options(confirm, "attestor")
    confirm.set_defaults(handler=_claim_confirm)
    revoke = claim.add_parser("revoke", help="arbiter (admin): revoke a claim and free its units, with a reason")
    revoke.add_argument("claim_id", type=int)
    revoke.add_argument("--reason", required=True, help="the written reason; its sha256 goes on chain")
    _role_key_options(revoke, "admin")
    revoke.set_defaults(handler=_claim_revoke)

    register_claim_certificate(claim)


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
    state = claim.get("attestation")
    if state == "provisional":
        print("state  provisional: it holds its units, but counts in no evaluation until an attestor confirms it "
              "(zcl claim confirm)")  # fmt: skip
    elif state is not None:
        print(f"state  {state}")
    return 0


def _role_key_options(parser: argparse.ArgumentParser, role: str) -> None:
    parser.add_argument("--key", type=Path, help=f"the {role}'s key file (default: ZCL_{role.upper()}_KEY_FILE, "
                        f"else data/keys/{role}.key)")  # fmt: skip
    parser.add_argument("--password-file", type=Path, help="default: ZCL_KEY_PASSWORD, or the local key's own file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _claim_confirm(args: argparse.Namespace) -> int:
    import hashlib

    from ledger.claims import parse_claim
    from ledger.eip712 import details_hash
    from ledger.errors import InputError

    ledger = role_ledger("attestor", args.key, args.password_file)
    on_chain = ledger.get_claim(args.claim_id)
    shown = service_for(args, Settings.from_env()).get(f"/claims/{args.claim_id}")
    if shown.get("details") is None:
        raise InputError("claim_id", f"claim {args.claim_id}'s details are not held by this service, so the "
                         "statement it cites cannot be checked here")  # fmt: skip
    details = parse_claim(shown["details"]).details
    if details_hash(details) != on_chain.details_hash:
        raise InputError("claim_id", f"claim {args.claim_id}: the service's details do not hash to what the chain "
                         "recorded")  # fmt: skip
    statement = hashlib.sha256(args.statement.read_bytes()).digest()
    if statement != details.evidence_sha256:
        raise InputError(
            "--statement",
            f"{args.statement}: sha256 {statement.hex()} is not the statement claim {args.claim_id} "
            f"cites ({details.evidence_sha256.hex()})",
        )
    tx = ledger.confirm_claim(args.claim_id, on_chain.details_hash)
    result = {"claim_id": args.claim_id, "attestation": "confirmed", "attestor": ledger.sender.address,
              "tx_hash": tx.tx_hash, "block_number": tx.block_number}  # fmt: skip
    if args.json:
        print_json(result)
    else:
        print(f"confirmed  claim {args.claim_id} of {on_chain.factory_id}: {on_chain.registry} {on_chain.block_id} "
              f"{on_chain.serial_start}..{on_chain.serial_end}")  # fmt: skip
        print(f"attestor   {ledger.sender.address}, tx {tx.tx_hash} block {tx.block_number}")
    return 0


def _claim_revoke(args: argparse.Namespace) -> int:
    import hashlib

    ledger = role_ledger("admin", args.key, args.password_file)
    reason = hashlib.sha256(args.reason.encode("utf-8")).digest()
    tx = ledger.revoke_claim(args.claim_id, reason)
    result = {"claim_id": args.claim_id, "attestation": "revoked", "reason_sha256": reason.hex(),
              "arbiter": ledger.sender.address, "tx_hash": tx.tx_hash, "block_number": tx.block_number}  # fmt: skip
    if args.json:
        print_json(result)
    else:
        print(f"revoked    claim {args.claim_id}; its units are free again")
        print(f"reason     sha256 {reason.hex()} (keep the text: only its hash is on chain)")
        print(f"arbiter    {ledger.sender.address}, tx {tx.tx_hash} block {tx.block_number}")
    return 0

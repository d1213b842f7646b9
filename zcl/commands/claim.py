"""``zcl claim``: sign and submit retirement claims of green certificates and carbon credits, and
confirm or revoke them (the buyers' lookup and the certificate PDF are :mod:`zcl.commands.certificate`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.config import Settings
from ledger.errors import InputError
from zcl.commands.certificate import register_claim_certificate
from zcl.commands.common import group, role_ledger, service_for, signing_domain, signing_options
from zcl.output import emit, read_json, write_json
from zcl.password import unlock
from zcl.text import _


def register(subparsers: Any) -> None:
    claim = group(subparsers, "claim", _("sign and submit retirement claims of certificates and credits"))
    claim_sign = claim.add_parser("sign", help=_("sign a retirement claim with the factory's key"))
    claim_sign.add_argument("claim_file", type=Path, metavar="CLAIM.json")
    signing_options(claim_sign)
    claim_sign.set_defaults(handler=_claim_sign)
    claim_submit = claim.add_parser("submit", help=_("submit a signed claim; refused if any unit was claimed before"))
    claim_submit.add_argument("signed_file", type=Path, metavar="SIGNED.json")
    claim_submit.add_argument(
        "--evidence", type=Path, action="append", default=[], metavar="FILE",
        help=_("the registry's cancellation (retirement) statement the claim cites: checked against the claim's "
               "evidence_sha256, then uploaded once the claim is recorded (repeatable)"),
    )  # fmt: skip
    claim_submit.set_defaults(handler=_claim_submit)

    confirm = claim.add_parser(
        "confirm", help=_("attestor: confirm a provisional claim after checking its cancellation statement")
    )
    confirm.add_argument("claim_id", type=int)
    confirm.add_argument(
        "--statement",
        type=Path,
        required=True,
        help=_("the registry's cancellation statement; its sha256 must be the one the claim cites"),
    )
    _role_key_options(confirm, "attestor")
    confirm.set_defaults(handler=_claim_confirm)
    revoke = claim.add_parser("revoke", help=_("arbiter (admin): revoke a claim and free its units, with a reason"))
    revoke.add_argument("claim_id", type=int)
    revoke.add_argument("--reason", required=True, help=_("the written reason; its sha256 goes on chain"))
    _role_key_options(revoke, "admin")
    revoke.set_defaults(handler=_claim_revoke)

    register_claim_certificate(claim)


def _claim_sign(args: argparse.Namespace) -> int:
    from ledger.claims import parse_claim, sign_claim
    from ledger.claims.signed import sign_claim_json

    claim = parse_claim(read_json(args.claim_file))
    signer = unlock(args.key, args.password_file)
    domain = signing_domain(args)
    write_json(args.out, sign_claim_json(claim, sign_claim(signer, domain, claim), domain))
    print(_("signed claim of %(registry)s block %(block_id)s serials %(first)s..%(last)s (%(units)s %(unit)s) for "
            "%(factory)s, consumption %(start)s..%(end)s", registry=claim.registry, block_id=claim.block_id,
            first=claim.serial_start, last=claim.serial_end, units=f"{claim.units:,}", unit=claim.details.unit,
            factory=claim.factory_id, start=claim.consumption_start, end=claim.consumption_end))  # fmt: skip
    print(_("signer %(address)s", address=signer.address))
    return 0


def _claim_submit(args: argparse.Namespace) -> int:
    signed = read_json(args.signed_file)
    statements = _statements(args.evidence, signed)  # checked before anything is sent
    service = service_for(args, Settings.from_env())
    code, claim = service.submit("/claims", signed)
    emit(args, claim, _submitted(claim, resubmitted=code == 200))  # said before the uploads: the claim stands
    for file in statements:
        status, answer = service.upload("/evidence", file)
        if not args.json:
            state = _("stored") if status == 201 else _("already stored")
            print(_("statement %(file)s sha256 %(sha256)s: %(state)s as %(name)s", file=str(file),
                    sha256=answer["sha256"], state=state, name=answer["file_name"]))  # fmt: skip
    return 0


def _submitted(claim: dict[str, Any], *, resubmitted: bool) -> str:
    """The claim line (one format in every language, for ``awk '/^claim/'``), its units and its state;
    an identical resubmission says so first."""
    lines = []
    if resubmitted:
        lines.append(_("already submitted (same claim): recorded in block %(block)s; this identical resubmission "
                       "sent nothing new to the chain", block=claim["block_number"]))  # fmt: skip
    lines.append(f"claim  {claim['claim_id']} {claim['status']} tx {claim['tx_hash']} block {claim['block_number']}")
    lines.append(_("units  %(registry)s %(block_id)s %(first)s..%(last)s for %(factory)s, consumption "
                   "%(start)s..%(end)s", registry=claim["registry"], block_id=claim["block_id"],
                   first=claim["serial_start"], last=claim["serial_end"], factory=claim["factory_id"],
                   start=claim["consumption_start"], end=claim["consumption_end"]))  # fmt: skip
    state = claim.get("attestation")
    if state == "provisional":
        lines.append(_("state  provisional: it holds its units, but counts in no evaluation until an attestor "
                       "confirms it (zcl claim confirm)"))  # fmt: skip
    elif state is not None:
        lines.append(_("state  %(state)s", state=state))
    return "\n".join(lines)


def _statements(files: list[Path], signed: Any) -> list[Path]:
    """The ``--evidence`` files, each of which must be the statement the claim cites: the service
    keeps only cited files, so a wrong one is refused here, before the claim is sent."""
    from ledger.evidence import file_sha256

    cited = str(signed.get("evidence_sha256", "") if isinstance(signed, dict) else "").lower().removeprefix("0x")
    for file in files:
        digest = file_sha256(file)
        if digest != cited:
            raise InputError("--evidence", _(
                "%(file)s: sha256 %(digest)s is not the statement this claim cites (evidence_sha256 %(cited)s); "
                "the service keeps only the cited statement: give that file, or sign the claim again citing this "
                "one", file=str(file), digest=digest, cited=cited or _("(none)")))  # fmt: skip
    return files


def _role_key_options(parser: argparse.ArgumentParser, role: str) -> None:
    parser.add_argument("--key", type=Path, help=_("the %(role)s's key file (default: %(variable)s, else %(file)s)",
                        role=role, variable=f"ZCL_{role.upper()}_KEY_FILE", file=f"data/keys/{role}.key"))  # fmt: skip
    parser.add_argument("--password-file", type=Path, help=_("default: ZCL_KEY_PASSWORD, or the local key's own file"))


def _claim_confirm(args: argparse.Namespace) -> int:
    import hashlib

    from ledger.claims import parse_claim
    from ledger.eip712 import details_hash

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
        emit(args, result)
    else:
        print(_("confirmed  claim %(id)s of %(factory)s: %(registry)s %(block_id)s %(first)s..%(last)s",
                id=args.claim_id, factory=on_chain.factory_id, registry=on_chain.registry, block_id=on_chain.block_id,
                first=on_chain.serial_start, last=on_chain.serial_end))  # fmt: skip
        print(_("attestor   %(address)s, tx %(tx)s block %(block)s", address=ledger.sender.address, tx=tx.tx_hash,
                block=tx.block_number))  # fmt: skip
    return 0


def _claim_revoke(args: argparse.Namespace) -> int:
    import hashlib

    ledger = role_ledger("admin", args.key, args.password_file)
    reason = hashlib.sha256(args.reason.encode("utf-8")).digest()
    tx = ledger.revoke_claim(args.claim_id, reason)
    result = {"claim_id": args.claim_id, "attestation": "revoked", "reason_sha256": reason.hex(),
              "arbiter": ledger.sender.address, "tx_hash": tx.tx_hash, "block_number": tx.block_number}  # fmt: skip
    if args.json:
        emit(args, result)
    else:
        print(_("revoked    claim %(id)s; its units are free again", id=args.claim_id))
        print(_("reason     sha256 %(sha256)s (keep the text: only its hash is on chain)", sha256=reason.hex()))
        print(_("arbiter    %(address)s, tx %(tx)s block %(block)s", address=ledger.sender.address, tx=tx.tx_hash,
                block=tx.block_number))  # fmt: skip
    return 0

"""``zcl role`` and ``zcl evaluator``: grant, revoke and show the contract's roles, sent with the
admin's own key straight to the chain.

The service holds no admin key (it relays with a key that holds no role and registers with the
registrar's), so appointing a registrar, an attestor or an evaluator is done here, by whoever holds
the admin key file (``ZCL_ADMIN_KEY_FILE``; the local chain's is ``data/keys/admin.key``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from eth_utils import is_address, to_checksum_address

from ledger.chain.client import ROLES, LedgerClient
from ledger.chain.session import connect
from ledger.config import Settings
from ledger.eip712 import EvaluatorProfile, LedgerDomain
from ledger.records import RecordError
from zcl.commands.common import group, role_ledger, service_for
from zcl.output import emit
from zcl.password import unlock
from zcl.text import N_, _


def register(subparsers: Any) -> None:
    role = group(subparsers, "role", _("grant, revoke and show the contract's roles (admin key)"))
    for action, help_text in (("grant", N_("give ADDRESS a role (sent with the admin key)")),
                              ("revoke", N_("withdraw a role from ADDRESS (sent with the admin key)"))):  # fmt: skip
        parser = role.add_parser(action, help=_(help_text))
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("address")
        parser.set_defaults(handler=_role_change, action=action)
    show = role.add_parser("show", help=_("which roles ADDRESS holds (no key needed)"))
    show.add_argument("address")
    show.set_defaults(handler=_role_show)

    evaluator = group(subparsers, "evaluator", _("appoint evaluators (admin key); their signed identity"))
    appoint = evaluator.add_parser("grant", help=_("grant the evaluator role on chain (sent with the admin key)"))
    appoint.add_argument("address")
    appoint.set_defaults(handler=_evaluator_grant)
    profile = evaluator.add_parser(
        "profile", help=_("set your name, organisation and accreditation number, signed with your evaluator key")
    )
    profile.add_argument("--key", type=Path, required=True, help=_("the evaluator's key file: it signs the profile"))
    profile.add_argument("--password-file", type=Path, help=_("default: ZCL_KEY_PASSWORD"))
    profile.add_argument("--name", required=True)
    profile.add_argument("--organisation", required=True)
    profile.add_argument("--accreditation", required=True, help=_("accreditation number, e.g. a CNAS number"))
    profile.set_defaults(handler=_evaluator_profile)
    show = evaluator.add_parser("show", help=_("an evaluator's signed identity"))
    show.add_argument("address")
    show.set_defaults(handler=_evaluator_show)


def admin_ledger(settings: Settings) -> LedgerClient:
    """The contract, written with the admin's key (its file and password from the settings)."""
    ledger: LedgerClient = role_ledger("admin")
    return ledger


def _address(text: str) -> str:
    if not is_address(text):
        raise RecordError("address", f"must be a 0x-prefixed 20-byte address, got {text!r}")
    return to_checksum_address(text)


def _role_change(args: argparse.Namespace) -> int:
    address = _address(args.address)
    ledger = admin_ledger(Settings.from_env())
    tx = (ledger.grant_role if args.action == "grant" else ledger.revoke_role)(args.role, address)
    emit(args, {"address": address, "role": args.role, "holds": ledger.has_role(args.role, address),
                "tx_hash": tx.tx_hash, "block_number": tx.block_number})  # fmt: skip
    return 0


def _role_show(args: argparse.Namespace) -> int:
    address = _address(args.address)
    ledger = connect(Settings.from_env(), with_operator=False).ledger
    emit(args, {"address": address, "roles": [role for role in sorted(ROLES) if ledger.has_role(role, address)]})
    return 0


def _evaluator_grant(args: argparse.Namespace) -> int:
    address = _address(args.address)
    ledger = admin_ledger(Settings.from_env())
    tx = ledger.grant_evaluator(address)
    emit(args, {"address": address, "evaluator": ledger.is_evaluator(address), "tx_hash": tx.tx_hash})
    return 0


def _evaluator_profile(args: argparse.Namespace) -> int:
    """Sign the profile here with the evaluator's key, at the version and domain the service names,
    over the fields given here (never a message the service rewrote)."""
    service = service_for(args, Settings.from_env())
    key = unlock(args.key, args.password_file)
    fields = {"name": args.name, "organisation": args.organisation, "accreditation": args.accreditation}
    typed = service.get(f"/evaluators/{key.address}/profile/typed-data", **fields)
    message = EvaluatorProfile(key.address, version=int(typed["message"]["version"]), **fields)
    domain = LedgerDomain(chain_id=typed["domain"]["chainId"], verifying_contract=typed["domain"]["verifyingContract"])
    signature = message.sign(key, domain)
    body = fields | {"version": message.version, "signature": "0x" + signature.hex()}
    emit(args, service.put(f"/evaluators/{key.address}/profile", body))
    return 0


def _evaluator_show(args: argparse.Namespace) -> int:
    emit(args, service_for(args, Settings.from_env()).get(f"/evaluators/{_address(args.address)}/profile"))
    return 0

"""``zcl factory``: register factories (through the service, which registers with the registrar's
key), rotate their signers, and show a factory with its signer history.

A rotation needs the consent of the factory's current key: ``--key`` signs the EIP-712
``SignerRotation`` here, and the service relays it. A lost key is replaced only by the admin:
``--forced --reason`` sends the rotation with the admin's key straight to the chain, where it is
marked forced for every reader, with the SHA-256 of the reason (kept off chain) beside it.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from ledger.config import ConfigError, Settings
from ledger.eip712 import LedgerDomain, SignerRotation
from zcl.commands.common import group, service_for
from zcl.commands.role import admin_ledger
from zcl.output import emit
from zcl.password import unlock
from zcl.text import _


def register(subparsers: Any) -> None:
    factory = group(subparsers, "factory", _("register factories and rotate their signers"))
    register = factory.add_parser("register", help=_("register a factory and its signer on chain (admin token)"))
    register.add_argument("--id", required=True, dest="factory_id")
    register.add_argument("--name", required=True)
    register.add_argument("--signer", required=True, help=_("the factory's signing address (0x…)"))
    _profile_arguments(register)
    register.set_defaults(handler=_factory_register)
    update = factory.add_parser(
        "update", help=_("change a factory's location or boundary (admin token); only the options given change")
    )
    update.add_argument("--id", required=True, dest="factory_id")
    _profile_arguments(update)
    update.add_argument("--clear", action="append", default=[], choices=_PROFILE_OPTIONS, metavar="FIELD",
                        help=_("make a field unknown again (repeatable): %(fields)s", fields=", ".join(_PROFILE_OPTIONS)))  # fmt: skip
    update.set_defaults(handler=_factory_update)
    source = factory.add_parser(
        "source", help=_("declare a source in the factory's source register (admin token): how its figures are "
        "obtained, its meter, its days in service; or --withdraw the declaration")
    )  # fmt: skip
    source.add_argument("--id", required=True, dest="factory_id")
    source.add_argument("source_id", help=_("the source_id its records carry"))
    how_obtained = source.add_mutually_exclusive_group(required=True)
    how_obtained.add_argument("--method", help=_("metered, utility-attested, load-profile or estimated "
                              "(ledger/accounting/rules/measurement-methods.toml)"))  # fmt: skip
    how_obtained.add_argument("--withdraw", action="store_true", help=_("withdraw the source's declaration"))
    source.add_argument("--meter", help=_("the meter's id or a description"))
    source.add_argument("--in-service-from", help=_("first day in service, YYYY-MM-DD"))
    source.add_argument("--in-service-until", help=_("last day in service (inclusive), YYYY-MM-DD"))
    source.add_argument("--declared-by", help=_("who at the factory declares it (a name or role)"))
    source.add_argument("--profile", help=_("a load-profile source's standard load profile for hourly matching "
                                            "(ledger/hourly/rules/load-profiles.toml; default flat)"))  # fmt: skip
    source.set_defaults(handler=_factory_source)
    rotate = factory.add_parser(
        "rotate", help=_("replace a factory's signer, signed by its current key (or --forced by the admin)")
    )
    rotate.add_argument("--id", required=True, dest="factory_id")
    rotate.add_argument("--signer", required=True, help=_("the new signing address (0x…)"))
    how = rotate.add_mutually_exclusive_group(required=True)
    how.add_argument("--key", type=Path, help=_("the factory's current key file: it signs the rotation"))
    how.add_argument(
        "--forced", action="store_true", help=_("a lost key: the admin's key replaces it (needs --reason)")
    )
    rotate.add_argument("--password-file", type=Path, help=_("for --key; default: ZCL_KEY_PASSWORD"))
    rotate.add_argument("--reason", help=_("with --forced: why (its SHA-256 goes on chain; keep the text)"))
    rotate.set_defaults(handler=_factory_rotate)
    show = factory.add_parser("show", help=_("a factory's name, signer and signer history"))
    show.add_argument("factory_id")
    show.set_defaults(handler=_factory_show)


FACTORY = {"sources": ["sources", "method", "meter", "in_service_from", "in_service_until", "declared_by", "profile",
                       "version"]}  # fmt: skip
"""How a factory answer is shown: its source register one row per source."""

_PROFILE_OPTIONS = ("province", "grid_region", "legal_entity", "unified_social_credit_code", "site_address",
                    "facilities")  # fmt: skip


def _profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--province", help=_("ISO 3166-2:CN code, e.g. CN-JS"))
    parser.add_argument("--grid-region", help=_("regional grid key of the factor sets: east, north, central, …"))
    parser.add_argument("--legal-entity", help=_("the legal entity's registered name"))
    parser.add_argument(
        "--uscc", dest="unified_social_credit_code", help=_("unified social credit code (18 characters)")
    )
    parser.add_argument("--site-address", help=_("the site's address"))
    parser.add_argument("--facility", action="append", dest="facilities",
                        help=_("a facility inside the boundary (repeat for each; given at all, it replaces the list)"))  # fmt: skip


def _profile(args: argparse.Namespace) -> dict[str, Any]:
    given = {k: getattr(args, k) for k in _PROFILE_OPTIONS if getattr(args, k) is not None}
    return given | {k: None for k in getattr(args, "clear", [])}


def _factory_register(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env(), admin=True)
    body: dict[str, Any] = {"id": args.factory_id, "name": args.name, "signer": args.signer}
    if profile := _profile(args):
        body["profile"] = profile
    emit(args, service.post("/factories", body), columns=FACTORY)
    return 0


def _factory_update(args: argparse.Namespace) -> int:
    profile = _profile(args)
    if not profile:
        raise ConfigError("name at least one field to change (--province, --grid-region, … or --clear FIELD)")
    service = service_for(args, Settings.from_env(), admin=True)
    emit(args, service.patch(f"/factories/{args.factory_id}/profile", profile), columns=FACTORY)
    return 0


def _factory_source(args: argparse.Namespace) -> int:
    """Declare (or withdraw) one source: a declaration sent replaces the source's whole entry."""
    details = ("meter", "in_service_from", "in_service_until", "declared_by", "profile")
    if args.withdraw and any(getattr(args, k) is not None for k in details):
        raise ConfigError(
            "--withdraw takes no --meter, --in-service-from, --in-service-until, --declared-by or --profile"
        )
    entry = None if args.withdraw else {"method": args.method} | {
        k: getattr(args, k) for k in details if getattr(args, k) is not None
    }  # fmt: skip
    service = service_for(args, Settings.from_env(), admin=True)
    emit(
        args,
        service.patch(f"/factories/{args.factory_id}/profile", {"sources": {args.source_id: entry}}),
        columns=FACTORY,
    )
    return 0


def _factory_rotate(args: argparse.Namespace) -> int:
    if args.forced:
        return _forced_rotation(args)
    if args.reason is not None:
        raise ConfigError("--reason: only a --forced rotation takes a reason")
    settings = Settings.from_env()
    service = service_for(args, settings)
    current = unlock(args.key, args.password_file)
    typed = service.get(f"/factories/{args.factory_id}/rotation", signer=args.signer)
    # sign what we asked for, at the service's epoch and domain: never a message the service rewrote
    rotation = SignerRotation(args.factory_id, args.signer, int(typed["message"]["epoch"]))
    domain = LedgerDomain(chain_id=typed["domain"]["chainId"], verifying_contract=typed["domain"]["verifyingContract"])
    signature = rotation.sign(current, domain)
    factory = service.post(
        f"/factories/{args.factory_id}/signer", {"signer": rotation.new_signer, "signature": "0x" + signature.hex()}
    )
    emit(args, factory, columns=FACTORY)
    return 0


def _forced_rotation(args: argparse.Namespace) -> int:
    if not args.reason or not args.reason.strip():
        raise ConfigError("--reason: a forced rotation needs a written reason (its SHA-256 goes on chain)")
    if args.password_file is not None:
        raise ConfigError("--password-file: a forced rotation uses the admin key (ZCL_ADMIN_KEY_FILE)")
    reason_hash = hashlib.sha256(args.reason.encode("utf-8")).digest()
    ledger = admin_ledger(Settings.from_env())
    tx = ledger.force_rotate_signer(args.factory_id, args.signer, reason_hash)
    emit(args, {
        "factory_id": args.factory_id, "signer": to_checksum_address(args.signer), "forced": True,
        "reason_sha256": "0x" + reason_hash.hex(), "tx_hash": tx.tx_hash, "block_number": tx.block_number,
    })  # fmt: skip
    return 0


def _factory_show(args: argparse.Namespace) -> int:
    emit(args, service_for(args, Settings.from_env()).get(f"/factories/{args.factory_id}"), columns=FACTORY)
    return 0

"""``zcl factory``: register factories and rotate their signers on chain, through the service
(admin token), and show a factory with its signer history."""

from __future__ import annotations

import argparse
from typing import Any

from ledger.config import Settings
from zcl.commands.common import group, service_for
from zcl.output import print_json


def register(subparsers: Any) -> None:
    factory = group(subparsers, "factory", "register factories and rotate their signers (through the service)")
    register = factory.add_parser("register", help="register a factory and its signer on chain (admin token)")
    register.add_argument("--id", required=True, dest="factory_id")
    register.add_argument("--name", required=True)
    register.add_argument("--signer", required=True, help="the factory's signing address (0x…)")
    register.set_defaults(handler=_factory_register)
    rotate = factory.add_parser("rotate", help="replace a factory's signer; the old key stays in the history")
    rotate.add_argument("--id", required=True, dest="factory_id")
    rotate.add_argument("--signer", required=True, help="the new signing address (0x…)")
    rotate.set_defaults(handler=_factory_rotate)
    show = factory.add_parser("show", help="a factory's name, signer and signer history")
    show.add_argument("factory_id")
    show.set_defaults(handler=_factory_show)


def _factory_register(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env(), admin=True)
    print_json(service.post("/factories", {"id": args.factory_id, "name": args.name, "signer": args.signer}))
    return 0


def _factory_rotate(args: argparse.Namespace) -> int:
    service = service_for(args, Settings.from_env(), admin=True)
    print_json(service.post(f"/factories/{args.factory_id}/signer", {"signer": args.signer}))
    return 0


def _factory_show(args: argparse.Namespace) -> int:
    print_json(service_for(args, Settings.from_env()).get(f"/factories/{args.factory_id}"))
    return 0

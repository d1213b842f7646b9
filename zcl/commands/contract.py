"""``zcl contract``: compile the contracts (developers), deploy CarbonLedger to a chain once, and
show the recorded deployment with the chain's EIP-712 domain."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from ledger.chain.deployment import open_ledger, read_deployment
from ledger.chain.session import connect, operator_password_file, role_addresses, web3_for
from ledger.config import ConfigError, Settings
from ledger.keys import load_operator_key
from zcl.commands.common import group
from zcl.output import emit
from zcl.text import _


def register(subparsers: Any) -> None:
    contract = group(subparsers, "contract", _("compile, deploy and inspect the contract"))
    compile_ = contract.add_parser("compile", help=_("recompile contracts/ into ledger/artifacts (developers)"))
    compile_.add_argument("--check", action="store_true", help=_("only check that the committed artifacts are fresh"))
    compile_.set_defaults(handler=_contract_compile)
    contract.add_parser("deploy", help=_("deploy CarbonLedger to ZCL_RPC_URL and record it (once)")).set_defaults(
        handler=_contract_deploy
    )
    contract.add_parser("info", help=_("the recorded deployment and the chain's EIP-712 domain")).set_defaults(
        handler=_contract_info
    )


def _contract_compile(args: argparse.Namespace) -> int:
    from ledger.chain import compiler  # only developers have the npm compiler
    from ledger.chain.artifacts import ARTIFACTS_DIR

    fresh = compiler.compile_contracts()
    if args.check:
        stale = [
            name
            for name, artifact in fresh.items()
            if not (ARTIFACTS_DIR / f"{name}.json").exists()
            or (ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8") != compiler.artifact_json(artifact)
        ]
        if stale:
            print(_("zcl: committed artifacts differ from a fresh compile: %(names)s", names=", ".join(stale)),
                  file=sys.stderr)  # fmt: skip
            return 1
        print(_("artifacts match a fresh compile"))
        return 0
    for path in compiler.write_artifacts(fresh):
        print(_("wrote %(file)s", file=str(path)))
    return 0


def _contract_deploy(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.rpc_url is None:
        raise ConfigError("ZCL_RPC_URL: set it to deploy to a chain (the local chain deploys itself in `zcl serve`)")
    w3 = web3_for(settings.rpc_url)
    operator = load_operator_key(settings.key_file("relayer"), operator_password_file(settings))
    ledger, record, deployed_now = open_ledger(
        w3, operator, settings.deployment_file, receipt_timeout=settings.receipt_timeout,
        roles=role_addresses(settings),
    )  # fmt: skip
    emit(args, {"address": ledger.address, "deployed_now": deployed_now, "record": asdict(record) if record else None})
    return 0


def _contract_info(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    record = read_deployment(settings.deployment_file)
    session = connect(settings, with_operator=False)
    emit(
        args,
        {
            "rpc_url": session.rpc_url,
            "address": session.ledger.address,
            "record": asdict(record) if record else None,
            "eip712_domain": session.ledger.domain().as_dict(),
        },
    )
    return 0

"""``zcl``: the ledger's command line.

Chain commands use ``ZCL_RPC_URL`` when set, else the local chain a running ``zcl serve`` started
in the data directory (``ZCL_DATA_DIR``, default ``./data``). Errors print one line naming what is
wrong and exit with status 1 (2 for bad usage); keys are read from files and never printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledger.chain.anvil import AnvilError
from ledger.chain.deployment import DeploymentError, open_ledger, read_deployment
from ledger.chain.errors import LedgerError
from ledger.chain.session import connect, serve_chain, web3_for
from ledger.config import ConfigError, Settings
from ledger.keys import KeyFileError, load_key_file, new_key_file

log = logging.getLogger("zcl")
USER_ERRORS = (ConfigError, KeyFileError, LedgerError, DeploymentError, AnvilError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except USER_ERRORS as exc:
        print(f"zcl: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zcl", description="Blockchain-anchored carbon data ledger.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the local chain (or use ZCL_RPC_URL) with the contract deployed")
    serve.set_defaults(handler=_serve)

    key = commands.add_parser("key", help="create and inspect key files").add_subparsers(metavar="ACTION")
    key_new = key.add_parser("new", help="write a new random private key to a file (mode 0600)")
    key_new.add_argument("--out", type=Path, required=True, help="file to create; never overwritten")
    key_new.set_defaults(handler=_key_new)
    key_address = key.add_parser("address", help="print the address of a key file")
    key_address.add_argument("file", type=Path)
    key_address.set_defaults(handler=_key_address)

    contract = commands.add_parser("contract", help="compile, deploy and inspect the contract").add_subparsers(
        metavar="ACTION"
    )
    compile_ = contract.add_parser("compile", help="recompile contracts/ into ledger/artifacts (developers)")
    compile_.add_argument("--check", action="store_true", help="only check that the committed artifacts are fresh")
    compile_.set_defaults(handler=_contract_compile)
    deploy = contract.add_parser("deploy", help="deploy CarbonLedger to ZCL_RPC_URL and record it in the data dir")
    deploy.set_defaults(handler=_contract_deploy)
    info = contract.add_parser("info", help="show the recorded deployment and the chain's EIP-712 domain")
    info.set_defaults(handler=_contract_info)

    factory = commands.add_parser("factory", help="register factories and rotate their signers").add_subparsers(
        metavar="ACTION"
    )
    for name, help_text, handler in (
        ("register", "register a factory with its signer address (registrar role)", _factory_register),
        ("rotate", "replace a factory's signer; the old key stays in the history", _factory_rotate),
    ):
        sub = factory.add_parser(name, help=help_text)
        sub.add_argument("factory_id")
        sub.add_argument("--signer", required=True, help="the factory's signing address (0x…)")
        sub.set_defaults(handler=handler)
    show = factory.add_parser("show", help="a factory's current signer and signer history")
    show.add_argument("factory_id")
    show.set_defaults(handler=_factory_show)

    anchor = commands.add_parser("anchor", help="read anchored batches").add_subparsers(metavar="ACTION")
    anchor_show = anchor.add_parser("show", help="every revision anchored for a factory and period")
    anchor_show.add_argument("factory_id")
    anchor_show.add_argument("period", help="YYYY-MM")
    anchor_show.set_defaults(handler=_anchor_show)
    return parser


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with serve_chain(settings) as session:
        ledger = session.ledger
        print(f"chain      {session.rpc_url} (chain id {ledger.chain_id}{', local anvil' if session.local else ''})")
        state = f"deployed now in block {session.deployment.block_number}" if session.deployed_now else "recorded"
        print(f"contract   CarbonLedger at {ledger.address} ({state})")
        print(f"operator   {session.operator.address} (key file {settings.operator_key_file})")
        print(f"data dir   {settings.data_dir}")
        print("ready; Ctrl-C stops" + (" and saves the chain state" if session.local else ""), flush=True)
        stop.wait()
    print("stopped")
    return 0


def _key_new(args: argparse.Namespace) -> int:
    account = new_key_file(args.out)
    print(account.address)
    return 0


def _key_address(args: argparse.Namespace) -> int:
    print(load_key_file(args.file).address)
    return 0


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
            print(f"zcl: committed artifacts differ from a fresh compile: {', '.join(stale)}", file=sys.stderr)
            return 1
        print("artifacts match a fresh compile")
        return 0
    for path in compiler.write_artifacts(fresh):
        print(f"wrote {path}")
    return 0


def _contract_deploy(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.rpc_url is None:
        raise ConfigError("ZCL_RPC_URL: set it to deploy to a chain (the local chain deploys itself in `zcl serve`)")
    w3 = web3_for(settings.rpc_url)
    operator = load_key_file(settings.operator_key_file)
    ledger, record, deployed_now = open_ledger(
        w3, operator, settings.deployment_file, receipt_timeout=settings.receipt_timeout
    )
    _print_json({"address": ledger.address, "deployed_now": deployed_now, "record": asdict(record) if record else None})
    return 0


def _contract_info(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    record = read_deployment(settings.deployment_file)
    session = connect(settings, with_operator=False)
    domain = session.ledger.domain()
    _print_json(
        {
            "rpc_url": session.rpc_url,
            "address": session.ledger.address,
            "record": asdict(record) if record else None,
            "eip712_domain": domain.as_dict(),
        }
    )
    return 0


def _factory_register(args: argparse.Namespace) -> int:
    tx = connect(Settings.from_env()).ledger.register_factory(args.factory_id, args.signer)
    _print_json({"factory_id": args.factory_id, "signer": args.signer, **asdict(tx)})
    return 0


def _factory_rotate(args: argparse.Namespace) -> int:
    tx = connect(Settings.from_env()).ledger.rotate_signer(args.factory_id, args.signer)
    _print_json({"factory_id": args.factory_id, "signer": args.signer, **asdict(tx)})
    return 0


def _factory_show(args: argparse.Namespace) -> int:
    ledger = connect(Settings.from_env(), with_operator=False).ledger
    _print_json(
        {
            "factory_id": args.factory_id,
            "current_signer": ledger.current_signer(args.factory_id),
            "signer_history": [asdict(e) for e in ledger.signer_history(args.factory_id)],
        }
    )
    return 0


def _anchor_show(args: argparse.Namespace) -> int:
    ledger = connect(Settings.from_env(), with_operator=False).ledger
    _print_json([asdict(a) for a in ledger.anchors(args.factory_id, args.period)])
    return 0


if __name__ == "__main__":
    sys.exit(main())

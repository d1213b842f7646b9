"""What several command groups share: a command with actions, the factory-signing options, the
service client (with the admin token when asked for), and the EIP-712 domain to sign for."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.config import ConfigError, Settings
from ledger.eip712.domain import LedgerDomain
from zcl.service_client import ServiceClient
from zcl.text import _, current


def group(subparsers: Any, name: str, help_text: str) -> Any:
    """A command with actions (``zcl batch sign``): the subparsers its actions are added to."""
    return subparsers.add_parser(name, help=help_text).add_subparsers(metavar="ACTION")


def signing_options(parser: argparse.ArgumentParser) -> None:
    """What every factory-signing command takes: the key, where to write, and the domain."""
    parser.add_argument("--key", type=Path, required=True, help=_("the factory's key file"))
    parser.add_argument("--password-file", type=Path, help=_("default: ZCL_KEY_PASSWORD"))
    parser.add_argument("--out", type=Path, required=True, metavar="SIGNED.json")
    parser.add_argument("--chain-id", type=int, help=_("with --contract: sign without asking the service"))
    parser.add_argument("--contract", help=_("the CarbonLedger address to sign for"))


def service_for(args: argparse.Namespace, settings: Settings, *, admin: bool = False) -> ServiceClient:
    """A client for the service at ``--api`` (or ``ZCL_API_URL``); with ``admin``, carrying the admin token."""
    token = None
    if admin:
        token = settings.admin_token
        if token is None and settings.admin_token_file.exists():
            token = settings.admin_token_file.read_text(encoding="utf-8").strip()
        if not token:
            raise ConfigError(f"ZCL_ADMIN_TOKEN: not set, and {settings.admin_token_file} does not exist")
    language = "en" if getattr(args, "json", False) else current().lang  # --json stays English
    return ServiceClient(args.api or settings.api_url, token, language=language)


def signing_domain(args: argparse.Namespace) -> LedgerDomain:
    """The EIP-712 domain to sign for: given on the command line, or the service's."""
    if (args.chain_id is None) != (args.contract is None):
        raise ConfigError("--chain-id and --contract go together")
    if args.chain_id is not None:
        return LedgerDomain(chain_id=args.chain_id, verifying_contract=args.contract)
    chain = service_for(args, Settings.from_env()).get("/chain")
    return LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])


def role_ledger(role: str, key: Path | None = None, password_file: Path | None = None) -> Any:
    """The contract, written with a role's key (``admin``, ``attestor``): ``key`` when given (its
    password from ``password_file`` or ``ZCL_KEY_PASSWORD``), else the role's key file from the
    settings. The key signs here; only the transaction leaves the process."""
    from ledger.chain.session import connect
    from zcl.password import unlock

    settings = Settings.from_env()
    if key is None:
        return connect(settings, acting_as=role).ledger
    return connect(settings, with_operator=False).ledger.acting_as(unlock(key, password_file))

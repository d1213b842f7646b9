"""``zcl``: the ledger's command line.

Service commands talk to the API at ``--api`` / ``ZCL_API_URL`` (default http://127.0.0.1:8000).
Chain commands use ``ZCL_RPC_URL`` when set, else the local chain a running ``zcl serve`` started
in the data directory (``ZCL_DATA_DIR``, default ``./data``). Errors print one line naming what is
wrong and exit 1 (2 for bad usage, 130 for Ctrl-C): :data:`EXIT_CODES` is the one table of which
error ends a command with which code. Keys are read from files and never printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import metadata

from ledger.errors import ZclError
from ledger.factors import FactorSetError
from zcl.commands import (
    batch,
    certificate,
    claim,
    contract,
    evaluate,
    evidence,
    factors,
    factory,
    key,
    proof,
    role,
    serve,
)
from zcl.service_client import ServiceError

log = logging.getLogger("zcl")

USAGE = 2
"""The exit code for bad usage: argparse exits with it itself, and ``main`` returns it when no command is given."""

EXIT_CODES: dict[type[BaseException], int] = {
    ZclError: 1,  # every error of ledger.errors' tree: bad input, settings, keys, the chain, the deployment
    FactorSetError: 1,  # a factor-set file named on the command line
    ServiceError: 1,  # the service refused or did not answer; the line carries its status and message
    OSError: 1,  # a file named on the command line
    KeyboardInterrupt: 130,
}
"""Every error a command may end with, and its exit code; the first class (in this order) that
matches decides. Any other exception is a bug, and ends with its traceback."""

COMMAND_GROUPS = (serve, key, contract, role, factory, batch, claim, certificate, evaluate, factors, evidence, proof)
"""The command modules, in the order ``zcl --help`` lists them; each has ``register(subparsers)``."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not hasattr(args, "handler"):
        parser.print_help()
        return USAGE
    try:
        return int(args.handler(args) or 0)
    except tuple(EXIT_CODES) as exc:
        matched = next(cls for cls in EXIT_CODES if isinstance(exc, cls))
        message = _error_line(matched, exc)
        if message is not None:
            print(message, file=sys.stderr)
        return EXIT_CODES[matched]


def _error_line(matched: type[BaseException], exc: BaseException) -> str | None:
    """The one line an error prints: the file and the reason for an OSError, nothing for Ctrl-C."""
    if matched is KeyboardInterrupt:
        return None
    if matched is OSError:
        assert isinstance(exc, OSError)
        return f"zcl: {exc.filename or ''}: {exc.strerror or exc}"
    return f"zcl: {exc}"


def _installed_version() -> str:
    """The installed package's version (pyproject.toml's), or "unknown" when run from an uninstalled tree."""
    try:
        return metadata.version("zero-carbon-ledger")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zcl", description="Blockchain-anchored carbon data ledger.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action="version", version=f"zcl {_installed_version()}")
    parser.add_argument("--api", help="the service's URL (default: ZCL_API_URL or http://127.0.0.1:8000)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser

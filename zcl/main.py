"""``zcl``: the ledger's command line.

Service commands talk to the API at ``--api`` / ``ZCL_API_URL`` (default http://127.0.0.1:8000).
Chain commands use ``ZCL_RPC_URL`` when set, else the local chain a running ``zcl serve`` started
in the data directory (``ZCL_DATA_DIR``, default ``./data``). Errors print one line naming what is
wrong and exit 1 (2 for bad usage, 130 for Ctrl-C; ``zcl verify`` returns 3 itself when it could
not check): :data:`EXIT_CODES` is the one table of which error ends a command with which code. Keys
are read from files and never printed.

Output is for a person (:mod:`zcl.render`, in the language :mod:`zcl.text` chose) unless ``--json``
asks for the service's answer as it is.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from typing import Any

from ledger.errors import ZclError
from ledger.factors import FactorSetError
from zcl import text
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
    matching,
    proof,
    role,
    serve,
)
from zcl.service_client import ServiceError
from zcl.text import LANGUAGES, _

log = logging.getLogger("zcl")

USAGE = 2
"""The exit code for bad usage: argparse exits with it itself, and ``main`` returns it when no command is given."""

EXIT_CODES: dict[type[BaseException], int] = {
    ZclError: 1,  # every error of ledger.errors' tree: bad input, settings, keys, the chain, the deployment
    FactorSetError: 1,  # a factor-set file named on the command line
    ServiceError: 1,  # the service refused or did not answer; the line carries its status and message
    BrokenPipeError: 141,  # the reader of stdout went away (`zcl … | head`): 128 + SIGPIPE, nothing printed
    OSError: 1,  # a file named on the command line
    KeyboardInterrupt: 130,
}
"""Every error a command may end with, and its exit code; the first class (in this order) that
matches decides. Any other exception is a bug, and ends with its traceback."""

COMMAND_GROUPS = (
    serve,
    key,
    contract,
    role,
    factory,
    batch,
    claim,
    certificate,
    evaluate,
    matching,
    factors,
    evidence,
    proof,
)
"""The command modules, in the order ``zcl --help`` lists them; each has ``register(subparsers)``."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    text.choose(text.lang_from_argv(argv))  # before the parser: its help texts are in that language
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
    if matched in (KeyboardInterrupt, BrokenPipeError):
        return None
    if matched is OSError:
        assert isinstance(exc, OSError)
        return f"zcl: {exc.filename or ''}: {exc.strerror or exc}"
    if isinstance(exc, ServiceError):  # in the reader's language from the service; the catalog for an older one
        return f"zcl: {exc.status}: {text.error_text(exc.message)}"
    return f"zcl: {text.error(exc)}"


def _installed_version() -> str:
    """The installed package's version (pyproject.toml's), or "unknown" when run from an uninstalled tree."""
    try:
        return metadata.version("zero-carbon-ledger")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zcl", description=_("Blockchain-anchored carbon data ledger."))
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log progress to stderr"))
    parser.add_argument("--version", action="version", version=f"zcl {_installed_version()}")
    parser.add_argument("--api", help=_("the service's URL (default: ZCL_API_URL or http://127.0.0.1:8000)"))
    _output_options(parser, False, None)
    commands = parser.add_subparsers(title=_("commands"), metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    for leaf in _leaves(parser):
        _output_options(leaf, argparse.SUPPRESS, argparse.SUPPRESS)
    return parser


def _output_options(parser: argparse.ArgumentParser, json_default: Any, lang_default: Any) -> None:
    """``--json`` and ``--lang``, on ``zcl`` itself and on every command, so either place works. On a
    command their defaults are SUPPRESS: absent there, the value given before the command stands.
    A command with a ``--json FILE`` option of its own (``evaluate``) keeps it."""
    if "--json" not in parser._option_string_actions:
        parser.add_argument("--json", action="store_true", default=json_default,
                            help=_("print the service's answer as JSON, unchanged, for scripts"))  # fmt: skip
    parser.add_argument("--lang", choices=LANGUAGES, default=lang_default,
                        help=_("language of the messages (default: LANGUAGE, LC_ALL, LC_MESSAGES or LANG)"))  # fmt: skip


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser under ``parser`` that runs a command (it has no actions of its own)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                children = list(_leaves(child))
                yield from children or [child]

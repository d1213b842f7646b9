"""``zcl key``: create encrypted key files and read their addresses (no password needed for that)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.keys import KeyFileError, key_file_address, new_key_file
from zcl.commands.common import group
from zcl.password import new_password
from zcl.text import _


def register(subparsers: Any) -> None:
    key = group(subparsers, "key", _("create and inspect key files"))
    key_new = key.add_parser("new", help=_("create an encrypted keystore (mode 0600); prints its address"))
    key_new.add_argument("--out", type=Path, required=True, help=_("file to create; never overwritten"))
    key_new.add_argument(
        "--password-file", type=Path, help=_("file whose first line is the password (default: ZCL_KEY_PASSWORD)")
    )
    key_new.set_defaults(handler=_key_new)
    key_address = key.add_parser("address", help=_("print the address of a key file (no password needed)"))
    key_address.add_argument("file", type=Path)
    key_address.set_defaults(handler=_key_address)


def _key_new(args: argparse.Namespace) -> int:
    password = new_password(args.out, args.password_file)
    if password is None:
        raise KeyFileError(_("password: give --password-file FILE or set ZCL_KEY_PASSWORD to encrypt the key"))
    print(new_key_file(args.out, password).address)
    return 0


def _key_address(args: argparse.Namespace) -> int:
    print(key_file_address(args.file))
    return 0

"""Unlocking a key file: the password from ``--password-file`` or ``ZCL_KEY_PASSWORD``, else, when
a person sits at a terminal, asked for with :func:`getpass.getpass` (never echoed, never logged,
never part of a message). Without a terminal (a script, a pipe) nothing is asked: the key loader's
own error says which option or variable to give."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from eth_account.signers.local import LocalAccount

from ledger.keys import KeyFileError, load_key_file, read_password
from zcl.text import _


def unlock(key: Path, password_file: Path | None) -> LocalAccount:
    """The account in ``key``; a keystore's password is asked for on a terminal when none is given."""
    password = read_password(password_file)
    if password is None and _is_keystore(key) and _interactive():
        password = getpass.getpass(_("Password for %(file)s: ", file=str(key)))
    return load_key_file(key, password)


def new_password(out: Path, password_file: Path | None) -> str | None:
    """The password for a new keystore: given, or typed twice on a terminal; None when neither."""
    password = read_password(password_file)
    if password is not None or not _interactive():
        return password
    first = getpass.getpass(_("New password for %(file)s: ", file=str(out)))
    if getpass.getpass(_("The same password again: ")) != first:
        raise KeyFileError(_("password: the two passwords differ; nothing was written"))
    return first


def _is_keystore(key: Path) -> bool:
    """Whether ``key`` looks like an encrypted keystore (a plain hex key needs no password); an
    unreadable file is left to the loader, which names the problem."""
    try:
        with key.open("rb") as file:
            return file.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


def _interactive() -> bool:
    return sys.stdin.isatty()

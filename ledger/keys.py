"""Private key files: a hex key on one line, readable by its owner only.

Keys never pass through logs or command lines; commands take the path of a key file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount


class KeyFileError(ValueError):
    """A key file is missing, unreadable, or does not hold a private key."""


def new_key_file(path: Path) -> LocalAccount:
    """Create a new random key at ``path`` (mode 0600); never overwrites an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    account = Account.create()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("0x" + bytes(account.key).hex() + "\n")
    return account


def load_key_file(path: Path) -> LocalAccount:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (create one with `zcl key new --out {path}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot read key file: {exc.__class__.__name__}") from None
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: readable by others; run `chmod 600 {path}`")
    try:
        return Account.from_key(text)
    except (ValueError, TypeError):
        # the message must not echo the file's content: it is meant to be a secret
        raise KeyFileError(f"{path}: does not hold a 32-byte hex private key") from None


def load_or_create_key_file(path: Path) -> tuple[LocalAccount, bool]:
    """The key at ``path``, creating it first if absent; also says whether it was created."""
    if path.exists():
        return load_key_file(path), False
    return new_key_file(path), True

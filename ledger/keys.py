"""Private key files.

Factories' and evaluators' keys are encrypted Ethereum keystores (the JSON "v3" format wallets
use), unlocked with a password from a file or ``ZCL_KEY_PASSWORD``. The local chain's operator key,
which the service must unlock unattended, is created as a keystore too, with a random password in
a file next to it (both mode 0600) unless ``ZCL_KEY_PASSWORD`` is set; an older plain hex operator
key keeps working, with a warning to convert it. Keys and passwords never pass through logs or
command lines, and errors never echo a file's content.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from ledger.errors import SetupError

log = logging.getLogger("ledger.keys")


class KeyFileError(SetupError, ValueError):
    """A key file is missing, unreadable, locked, or does not hold a private key."""


def read_password(password_file: Path | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The keystore password: the file's first line if given, else ``ZCL_KEY_PASSWORD``, else None."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0] if password_file.stat().st_size else ""
        except OSError as exc:
            raise KeyFileError(f"--password-file {password_file}: cannot read it ({exc.strerror})") from None
    return environ.get("ZCL_KEY_PASSWORD")


def new_key_file(path: Path, password: str | None = None) -> LocalAccount:
    """Create a new random key at ``path`` (mode 0600); a keystore when a password is given.

    Never overwrites an existing file.
    """
    if password is not None and len(password) < 8:
        raise KeyFileError("password: use at least 8 characters")
    account = Account.create()
    if password is None:
        content = "0x" + bytes(account.key).hex() + "\n"
    else:
        content = json.dumps(Account.encrypt(account.key, password)) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(content)
    return account


def key_file_address(path: Path) -> str:
    """The address of a key file; a keystore names it in the clear, so no password is needed."""
    text = _read(path)
    if text.startswith("{"):
        try:
            return to_checksum_address(json.loads(text)["address"])
        except (ValueError, KeyError, TypeError):
            raise KeyFileError(f"{path}: not a keystore with an address") from None
    return _from_hex(path, text).address


def load_key_file(path: Path, password: str | None = None) -> LocalAccount:
    text = _read(path)
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: readable by others; run `chmod 600 {path}`")
    if not text.startswith("{"):
        return _from_hex(path, text)
    if password is None:
        raise KeyFileError(f"{path}: is an encrypted keystore; give --password-file or set ZCL_KEY_PASSWORD")
    try:
        keystore = json.loads(text)
    except ValueError:
        raise KeyFileError(f"{path}: not a valid keystore (bad JSON)") from None
    try:
        return Account.from_key(Account.decrypt(keystore, password))
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeyFileError(f"{path}: wrong password") from None
        raise KeyFileError(f"{path}: not a valid keystore") from None
    except (KeyError, TypeError):
        raise KeyFileError(f"{path}: not a valid keystore") from None


def load_or_create_key_file(path: Path) -> tuple[LocalAccount, bool]:
    """The plain key at ``path``, creating it first if absent; also says whether it was created."""
    if path.exists():
        return load_key_file(path), False
    return new_key_file(path), True


def operator_password(password_file: Path, environ: Mapping[str, str] = os.environ) -> str | None:
    """The operator keystore's password: ``password_file`` when it exists, else ``ZCL_KEY_PASSWORD``."""
    if password_file.exists():
        return read_password(password_file, environ)
    return environ.get("ZCL_KEY_PASSWORD")


def load_operator_key(path: Path, password_file: Path, environ: Mapping[str, str] = os.environ) -> LocalAccount:
    """The operator key at ``path``: a keystore unlocked with :func:`operator_password`, or (older data
    directories) a plain hex key, accepted with a warning to convert it."""
    if not _read(path).startswith("{"):
        account = load_key_file(path)
        log.warning(
            "operator key %s is a plain hex key; convert it to an encrypted keystore "
            "(zcl key new, then move the funds and roles to it)", path,
        )  # fmt: skip
        return account
    return load_key_file(path, operator_password(password_file, environ))


def load_or_create_operator_key(
    path: Path, password_file: Path, environ: Mapping[str, str] = os.environ
) -> tuple[LocalAccount, bool]:
    """The local chain's operator key, created first if absent as a keystore (mode 0600) whose password
    is ``ZCL_KEY_PASSWORD`` or, without it, a random one written to ``password_file`` (mode 0600).
    Also says whether the key was created."""
    if path.exists():
        return load_operator_key(path, password_file, environ), False
    password = operator_password(password_file, environ)
    if password is None:
        password = secrets.token_urlsafe(32)
        _write_private(password_file, password + "\n")
    return new_key_file(path, password), True


def _write_private(path: Path, content: str) -> None:
    """Write a new file only its owner can read; never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite it") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(content)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (create one with `zcl key new --out {path}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot read key file: {exc.__class__.__name__}") from None


def _from_hex(path: Path, text: str) -> LocalAccount:
    try:
        return Account.from_key(text)
    except (ValueError, TypeError):
        raise KeyFileError(f"{path}: does not hold a 32-byte hex private key or a keystore") from None

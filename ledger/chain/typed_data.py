"""EIP-712 digests, signatures and recovery for a full typed-data message (eth-account underneath).

Every signed message of the ledger (batch commits, retirement claims) is built as the full
``eth_signTypedData_v4`` message a wallet would show, then goes through these three functions.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address


def digest(message: dict[str, Any]) -> bytes:
    """The 32-byte digest that is signed: keccak256(0x1901 ‖ domainSeparator ‖ structHash)."""
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(signer: LocalAccount, message: dict[str, Any]) -> bytes:
    """The 65-byte signature (r ‖ s ‖ v) of ``message`` by ``signer``."""
    return bytes(signer.sign_typed_data(full_message=message).signature)


def recover(message: dict[str, Any], signature: bytes) -> str:
    """The address whose key made ``signature`` over ``message`` (checksummed)."""
    return to_checksum_address(Account.recover_message(encode_typed_data(full_message=message), signature=signature))

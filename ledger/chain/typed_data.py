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


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""The order of secp256k1's group; a signature's s above half of it is the malleable twin."""


def recover(message: dict[str, Any], signature: bytes) -> str:
    """The address whose key made ``signature`` over ``message`` (checksummed).

    The high-s twin (n − s, v flipped) of a valid signature recovers the same key, but it is refused
    here, as OpenZeppelin's ECDSA refuses it on chain: only the canonical low-s form is accepted.
    """
    if len(signature) == 65 and int.from_bytes(signature[32:64], "big") > SECP256K1_N // 2:
        raise ValueError("signature: high-s (malleable) form; use the low-s form")
    return to_checksum_address(Account.recover_message(encode_typed_data(full_message=message), signature=signature))

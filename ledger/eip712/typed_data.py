"""The one EIP-712 helper: digest, sign and recover a typed message (eth-account underneath).

Every message the contract checks is a small frozen dataclass (:class:`TypedMessage`) that knows its
primary type, its struct types and how to write itself as an EIP-712 ``message``; everything else —
the full ``eth_signTypedData_v4`` document a wallet shows, its digest, a signature and the signer a
signature recovers to — is done here once, for all of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from ledger.eip712.domain import EIP712_DOMAIN_TYPE, LedgerDomain

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ACCEPTED_V = (27, 28)
"""The recovery ids OpenZeppelin's ECDSA (so the contract) takes; 0 and 1, which other libraries
write, are refused everywhere rather than normalised: one signature has one byte form."""


def v_problem(signature: bytes) -> str | None:
    """Why a 65-byte signature's ``v`` is not one the contract takes, or None."""
    if len(signature) == 65 and signature[64] not in ACCEPTED_V:
        return f"v must be 27 or 28, as the contract's ECDSA takes, got {signature[64]}"
    return None


"""The order of secp256k1's group; a signature's s above half of it is the malleable twin."""

StructTypes = dict[str, list[dict[str, str]]]


class TypedMessage:
    """Mixin for a message the contract checks: subclasses set :attr:`PRIMARY_TYPE` and :attr:`TYPES`
    (the primary struct first, then any nested ones) and implement :meth:`as_message`."""

    PRIMARY_TYPE: ClassVar[str]
    TYPES: ClassVar[StructTypes]

    def as_message(self) -> dict[str, Any]:
        raise NotImplementedError

    def typed_data(self, domain: LedgerDomain) -> dict[str, Any]:
        """The full EIP-712 document, as wallets' ``eth_signTypedData_v4`` takes it."""
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **self.TYPES},
            "primaryType": self.PRIMARY_TYPE,
            "domain": domain.as_dict(),
            "message": self.as_message(),
        }

    def digest(self, domain: LedgerDomain) -> bytes:
        return digest(self.typed_data(domain))

    def sign(self, signer: LocalAccount, domain: LedgerDomain) -> bytes:
        """``signer``'s 65-byte signature (r ‖ s ‖ v) over this message in ``domain``."""
        return sign(signer, self.typed_data(domain))

    def recover(self, domain: LedgerDomain, signature: bytes) -> str:
        """The address whose key made ``signature`` over this message in ``domain`` (checksummed)."""
        return recover(self.typed_data(domain), signature)


def digest(message: dict[str, Any]) -> bytes:
    """The 32-byte digest that is signed: keccak256(0x1901 ‖ domainSeparator ‖ structHash)."""
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(signer: LocalAccount, message: dict[str, Any]) -> bytes:
    """The 65-byte signature (r ‖ s ‖ v) of ``message`` by ``signer``."""
    return bytes(signer.sign_typed_data(full_message=message).signature)


def recover(message: dict[str, Any], signature: bytes) -> str:
    """The address whose key made ``signature`` over ``message`` (checksummed).

    The high-s twin (n − s, v flipped) of a valid signature recovers the same key, but it is refused
    here, as OpenZeppelin's ECDSA refuses it on chain: only the canonical low-s form is accepted.
    """
    if len(signature) == 65 and int.from_bytes(signature[32:64], "big") > SECP256K1_N // 2:
        raise ValueError("signature: high-s (malleable) form; use the low-s form")
    if (problem := v_problem(signature)) is not None:
        raise ValueError(f"signature: {problem}")
    return to_checksum_address(Account.recover_message(encode_typed_data(full_message=message), signature=signature))

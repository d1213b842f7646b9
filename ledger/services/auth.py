"""Who may submit: a factory-signed item is checked before it costs gas."""

from __future__ import annotations

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient
from ledger.eip712 import LedgerDomain, TypedMessage
from ledger.errors import Forbidden
from ledger.records import RecordError


def authenticate(
    ledger: LedgerClient,
    signed_for: LedgerDomain,
    factory_id: str,
    signer: str,
    what: str,
    *,
    message: TypedMessage | None = None,
    signature: bytes | None = None,
) -> str:
    """Check a factory-signed submission before it costs gas: signed for this chain and contract, by
    the factory's current signer in the on-chain registry, as the contract will check it.

    ``signer`` is the key the signature recovers to. When it is not the registered signer, and the
    signed ``message`` and its ``signature`` are given, the registered signer is asked as a contract
    wallet (ERC-1271), as the contract asks it. Returns the registered signer: the address the
    contract will record for the item.
    """
    domain = ledger.domain()
    if (signed_for.chain_id, signed_for.verifying_contract.lower()) != (
        domain.chain_id, domain.verifying_contract.lower(),
    ):  # fmt: skip
        raise RecordError(
            "contract",
            f"signed for chain {signed_for.chain_id} contract {signed_for.verifying_contract}; this service "
            f"writes to chain {domain.chain_id} contract {domain.verifying_contract}",
        )
    try:
        registered = ledger.current_signer(factory_id)
    except chain_errors.UnknownFactory:
        raise RecordError("factory_id", f"factory {factory_id} is not registered") from None
    if signer.lower() == registered.lower():
        return registered
    if message is not None and signature is not None:
        if ledger.wallet_accepts(registered, message.digest(domain), signature):
            return registered
    raise Forbidden(f"the {what} is signed by {signer}, but factory {factory_id}'s registered signer is {registered}")

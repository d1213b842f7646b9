"""Whether an address signed a message, decided as the contract decides it.

The contract (OpenZeppelin's ``SignatureChecker``) accepts a signature for a signer when it recovers
to that signer by canonical ECDSA, or, failing that, when the signer is a contract wallet whose
ERC-1271 ``isValidSignature`` says yes. Checking the same way here is what lets the service accept,
and the verifiers call valid, exactly what the contract accepts: EOAs through eth-account's recovery,
contract wallets by asking them on chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_keys.exceptions import BadSignature

from ledger.chain.client import LedgerClient
from ledger.eip712.typed_data import TypedMessage


@dataclass(frozen=True)
class SignatureCheck:
    signer: str
    """The address that had to have signed."""
    recovered: str | None
    """The key the signature recovers to by ECDSA (None when it recovers none)."""
    by_wallet: bool
    """Whether ``signer``, a contract wallet, accepted the signature (ERC-1271)."""

    @property
    def by_key(self) -> bool:
        return self.recovered is not None and self.recovered.lower() == self.signer.lower()

    @property
    def valid(self) -> bool:
        return self.by_key or self.by_wallet


def check_signature(ledger: LedgerClient, signer: str, message: TypedMessage, signature: bytes) -> SignatureCheck:
    """Whether ``signer`` signed ``message`` under the contract's EIP-712 domain.

    The wallet is asked only when ECDSA does not already name ``signer`` (as the contract does), so an
    EOA costs no request. ChainUnavailable when the node does not answer.
    """
    domain = ledger.domain()
    recovered: str | None = None
    if len(signature) == 65 and signature[64] in (27, 28):  # OpenZeppelin's ECDSA takes v = 27 or 28 only
        try:
            recovered = message.recover(domain, signature)
        except (BadSignature, ValueError):  # no key: r off the curve, r = s = 0, or the high-s twin
            recovered = None
    check = SignatureCheck(signer, recovered, by_wallet=False)
    if check.by_key:
        return check
    return SignatureCheck(signer, recovered, ledger.wallet_accepts(signer, message.digest(domain), signature))

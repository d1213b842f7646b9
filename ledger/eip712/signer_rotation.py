"""``SignerRotation``: what a factory's current key signs to hand its signing power to a new key.

The Python twin of ``FactoryRegistry.SIGNER_ROTATION_TYPEHASH``. ``epoch`` is the number of signer
epochs the factory had before the rotation (the length of ``signerHistory``), so one signature
rotates once: replayed after the rotation, or after a later one back to the same key, it names an
epoch that has passed. The registrar cannot change a factory's key at all; only this signature, or
the admin's forced rotation for a lost key (marked *forced* on chain), can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from eth_utils import is_address, to_checksum_address

from ledger.eip712.typed_data import StructTypes, TypedMessage

ROTATION_TYPES: StructTypes = {
    "SignerRotation": [
        {"name": "factoryId", "type": "string"},
        {"name": "newSigner", "type": "address"},
        {"name": "epoch", "type": "uint256"},
    ],
}
ROTATION_TYPE_STRING = "SignerRotation(string factoryId,address newSigner,uint256 epoch)"


@dataclass(frozen=True)
class SignerRotation(TypedMessage):
    """A factory's current key consenting to ``new_signer`` as its successor, at signer epoch ``epoch``."""

    PRIMARY_TYPE: ClassVar[str] = "SignerRotation"
    TYPES: ClassVar[StructTypes] = ROTATION_TYPES

    factory_id: str
    new_signer: str
    epoch: int

    def __post_init__(self) -> None:
        if not is_address(self.new_signer):
            raise ValueError("new_signer: must be an address")
        if not 0 <= self.epoch < 2**256:
            raise ValueError("epoch: must fit in uint256")
        object.__setattr__(self, "new_signer", to_checksum_address(self.new_signer))

    def as_message(self) -> dict[str, Any]:
        return {"factoryId": self.factory_id, "newSigner": self.new_signer, "epoch": self.epoch}

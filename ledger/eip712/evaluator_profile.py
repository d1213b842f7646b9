"""``EvaluatorProfile``: what an evaluator's own key signs to say who stands behind the address.

Not a contract message: the service checks it, in the contract's EIP-712 domain so that a signature
made for one deployment is no profile for another. The evaluator signs it (not the admin) so that no
one can put a name, an organisation or an accreditation number beside an address whose key did not
assert them; the name shown next to a signed report is then the statement of the same key that signed
the report. ``version`` counts the address's signed profiles (1 for the first): a profile replayed
after a newer one names a version that has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from eth_utils import is_address, to_checksum_address

from ledger.eip712.typed_data import StructTypes, TypedMessage

PROFILE_TYPES: StructTypes = {
    "EvaluatorProfile": [
        {"name": "evaluator", "type": "address"},
        {"name": "name", "type": "string"},
        {"name": "organisation", "type": "string"},
        {"name": "accreditation", "type": "string"},
        {"name": "version", "type": "uint256"},
    ],
}


@dataclass(frozen=True)
class EvaluatorProfile(TypedMessage):
    """``evaluator``'s identity, version ``version`` of its signed profiles."""

    PRIMARY_TYPE: ClassVar[str] = "EvaluatorProfile"
    TYPES: ClassVar[StructTypes] = PROFILE_TYPES

    evaluator: str
    name: str
    organisation: str
    accreditation: str
    version: int

    def __post_init__(self) -> None:
        if not is_address(self.evaluator):
            raise ValueError("evaluator: must be an address")
        if not 0 < self.version < 2**256:
            raise ValueError("version: must be a positive uint256")
        object.__setattr__(self, "evaluator", to_checksum_address(self.evaluator))

    def as_message(self) -> dict[str, Any]:
        return {"evaluator": self.evaluator, "name": self.name, "organisation": self.organisation,
                "accreditation": self.accreditation, "version": self.version}  # fmt: skip

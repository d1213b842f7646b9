"""Evaluators' identities: name, organisation and accreditation number (e.g. a CNAS number) beside
the address that holds the evaluator role.

Who may set one: **the evaluator, with a signature of their own key** (EIP-712 ``EvaluatorProfile``,
checked as the contract checks a report's signature, contract wallets included) — not the admin. The
identity is shown next to a signed report as the signer's own statement; if the admin (or this
service's token) could write it, anyone holding the token could put a real verifier's name beside a
key that verifier never held. Only an address holding the evaluator role on chain may set one (the
admin's part is the appointment, which the chain records). The identity an evaluator had when they
signed a report is kept with that report, so a later change does not rewrite what it showed.
"""

from __future__ import annotations

from typing import Any

from eth_utils import is_address, to_checksum_address
from sqlalchemy.orm import Session, sessionmaker

from ledger.chain.client import LedgerClient
from ledger.chain.signatures import check_signature
from ledger.eip712 import EvaluatorProfile
from ledger.eip712.typed_data import v_problem
from ledger.errors import Conflict, Forbidden, NotFound
from ledger.records.errors import RecordError
from ledger.records.names import check_factory_name
from ledger.store import evaluators as rows

FIELDS = ("name", "organisation", "accreditation")


class EvaluatorService:
    def __init__(self, ledger: LedgerClient, sessions: sessionmaker[Session]) -> None:
        self.ledger = ledger
        self.sessions = sessions

    def get(self, address: str) -> dict[str, Any]:
        """The evaluator's signed identity; 404 when the address has none."""
        found = self.identity(_address(address))
        if found is None:
            raise NotFound(f"evaluator {address} has signed no profile")
        return found

    def identity(self, address: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = rows.get(session, to_checksum_address(address))
            return None if row is None else rows.as_json(row)

    def message(self, address: str, name: Any, organisation: Any, accreditation: Any) -> EvaluatorProfile:
        """The profile the evaluator's key signs next: the fields checked, at the next version."""
        address = _address(address)
        fields = {k: check_factory_name(v, k) for k, v in zip(FIELDS, (name, organisation, accreditation), strict=True)}
        current = self.identity(address)
        return EvaluatorProfile(address, version=(current["version"] if current else 0) + 1, **fields)

    def typed_data(self, address: str, name: Any, organisation: Any, accreditation: Any) -> dict[str, Any]:
        """What a wallet's eth_signTypedData_v4 takes to sign the profile."""
        return self.message(address, name, organisation, accreditation).typed_data(self.ledger.domain())

    def set(self, address: str, fields: dict[str, Any], version: int, signature: bytes) -> dict[str, Any]:
        """Store the profile ``address``'s key signed at ``version`` (the next one)."""
        expected = self.message(address, *(fields.get(k) for k in FIELDS))
        if version != expected.version:
            raise Conflict(f"version {version} is not the next profile version of {expected.evaluator} "
                           f"({expected.version}): a profile is never replayed over a newer one")  # fmt: skip
        if (problem := v_problem(signature)) is not None:
            raise RecordError("signature", problem)
        check = check_signature(self.ledger, expected.evaluator, expected, signature)
        if not check.valid:
            raise Forbidden(f"the profile is not signed by {expected.evaluator}'s key"
                            + (f" (signed by {check.recovered})" if check.recovered else ""))  # fmt: skip
        if not self.ledger.is_evaluator(expected.evaluator):
            raise Forbidden(f"{expected.evaluator} does not hold the evaluator role on chain")
        with self.sessions.begin() as session:
            stored = rows.get(session, expected.evaluator)
            if (stored.version if stored is not None else 0) != version - 1:  # another was stored meanwhile
                raise Conflict(f"a profile version {version} of {expected.evaluator} was stored meanwhile")
            rows.save(session, expected.evaluator, {k: getattr(expected, k) for k in FIELDS}, version,
                      "0x" + signature.hex())  # fmt: skip
        return self.get(expected.evaluator)


def _address(address: str) -> str:
    if not is_address(address):
        raise RecordError("evaluator", "must be a 0x-prefixed 20-byte address")
    return to_checksum_address(address)

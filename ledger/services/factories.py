"""Factories: registered on chain (the only authority for their signer), named here.

Two keys act here, each for its own job: the registrar's registers a factory (and can do nothing
else to it), and the relayer's carries a rotation its factory's current key signed. The service
holds no key that can change a factory's signer on its own: a lost key is replaced by the admin's
forced rotation, sent with the admin's key outside the service (``zcl factory rotate --forced``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy.exc
from sqlalchemy.orm import Session, sessionmaker

from ledger.accounting.profile import parse_profile
from ledger.accounting.source_register import SourceRegister
from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient, SignerEpoch
from ledger.eip712.typed_data import v_problem
from ledger.errors import Conflict, Forbidden, NotFound, Unavailable
from ledger.records import RecordError, check_factory_id
from ledger.records.names import check_factory_name
from ledger.services.views import FactoryView
from ledger.store import batches as batch_rows
from ledger.store import factories as factory_rows


class FactoryService:
    """``ledger`` reads and relays (the relayer's key); ``registrar`` registers, or is None when this
    service was started without the registrar's key (registration then answers 503)."""

    def __init__(
        self, ledger: LedgerClient, sessions: sessionmaker[Session], registrar: LedgerClient | None = None
    ) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.registrar = registrar

    def register(
        self, factory_id: str, name: str, signer: str, profile: Mapping[str, Any] | None = None
    ) -> FactoryView:
        """Register on chain and keep the name and ``profile`` (location and boundary; what it leaves
        out stays unknown) here."""
        check_factory_id(factory_id)
        name = check_factory_name(name)
        checked = parse_profile(profile or {})
        if self.registrar is None:
            raise Unavailable(
                "this service holds no registrar key, so it registers no factories: start it with "
                "ZCL_REGISTRAR_KEY_FILE (the local chain creates one in data/keys/registrar.key)"
            )
        with self.sessions() as session:
            existing = factory_rows.same_but_case(session, factory_id)
        if existing is not None:
            raise Conflict(f"factory {existing} is already registered; ids that differ only in case are one factory")
        try:
            tx = self.registrar.register_factory(factory_id, signer)
        except chain_errors.FactoryAlreadyRegistered as exc:
            raise Conflict(f"factory {factory_id} is already registered on chain") from exc
        except chain_errors.InvalidSignerAddress:
            raise RecordError("signer", "cannot be the zero address") from None
        try:
            with self.sessions.begin() as session:
                factory_rows.save(session, factory_id, name, tx.tx_hash, tx.block_number, _stored(checked, None))
        except sqlalchemy.exc.IntegrityError:  # the index on lower(id): a same-but-case id won a race
            raise Conflict(f"a factory id equal to {factory_id} but for case was registered meanwhile") from None
        return self.get(factory_id)

    def update_profile(self, factory_id: str, changes: Mapping[str, Any]) -> FactoryView:
        """Change the profile fields ``changes`` names (None makes one unknown again); the rest stay.
        ``sources`` declares the sources it names anew (None withdraws one) and leaves the others.
        Only for a factory registered through this service (its name and profile are kept here)."""
        checked = parse_profile(changes, field="")  # the request's body is the profile
        self.get(factory_id)  # 404 unless registered on chain
        with self.sessions.begin() as session:
            row = factory_rows.get(session, factory_id, for_update=True)
            if row is None:
                raise NotFound(f"factory {factory_id} is registered on chain but not through this service")
            factory_rows.update_profile(session, factory_id, _stored(checked, row.source_register))
        return self.get(factory_id)

    def rotation_typed_data(self, factory_id: str, new_signer: str) -> dict[str, Any]:
        """The EIP-712 ``SignerRotation`` the factory's current key signs to hand over to ``new_signer``
        (what a wallet's eth_signTypedData_v4 takes), at the factory's current epoch."""
        try:
            rotation = self.ledger.rotation(factory_id, new_signer)
        except chain_errors.UnknownFactory:
            raise NotFound(f"factory {factory_id} is not registered") from None
        except ValueError:
            raise RecordError("signer", "must be a 0x-prefixed 20-byte address") from None
        return rotation.typed_data(self.ledger.domain())

    def rotate_signer(self, factory_id: str, new_signer: str, signature: bytes) -> FactoryView:
        """Relay a rotation the factory's current key signed; the contract checks the signature."""
        if len(signature) != 65:
            raise RecordError("signature", f"must be 65 bytes (r, s, v), got {len(signature)}")
        if (problem := v_problem(signature)) is not None:
            raise RecordError("signature", problem)
        try:
            self.ledger.rotate_signer(factory_id, new_signer, signature)
        except chain_errors.UnknownFactory:
            raise NotFound(f"factory {factory_id} is not registered") from None
        except chain_errors.SignerUnchanged:
            raise Conflict(f"{new_signer} is already factory {factory_id}'s signer") from None
        except chain_errors.InvalidSignerAddress:
            raise RecordError("signer", "cannot be the zero address") from None
        except chain_errors.InvalidRotationSignature as exc:
            raise Forbidden(
                f"the rotation is not signed by factory {factory_id}'s current key {exc.expectedSigner} "
                f"over this factory, new signer and epoch (GET /factories/{factory_id}/rotation?signer={new_signer})"
            ) from None
        return self.get(factory_id)

    def list_all(self) -> list[dict[str, Any]]:
        """The factories registered through this service, with their batch count and latest period."""
        with self.sessions() as session:
            factories = factory_rows.all_factories(session)
            counts, latest = batch_rows.counts_and_latest(session)
        return [
            {"id": f.id, "name": f.name, "registered_tx": f.registered_tx, "batches": counts.get(f.id, 0),
             "latest": latest.get(f.id)}
            for f in factories
        ]  # fmt: skip

    def get(self, factory_id: str) -> FactoryView:
        try:
            history = self.ledger.signer_history(factory_id)
        except chain_errors.UnknownFactory:
            raise NotFound(f"factory {factory_id} is not registered") from None
        with self.sessions() as session:
            row = factory_rows.get(session, factory_id)
        return FactoryView(
            id=factory_id,
            name=row.name if row else None,
            signer=history[-1].signer,
            signer_history=[epoch_json(e) for e in history],
            registered_tx=row.registered_tx if row else None,
            profile=_with_register(factory_rows.profile_of(row)),
        )


def _stored(checked: dict[str, Any], register_json: str | None) -> dict[str, Any]:
    """The profile columns to write: a ``sources`` change becomes the whole register after it (each
    declaration stamped with its time and the register's new version)."""
    if "sources" not in checked:
        return checked
    current = SourceRegister.from_json(json.loads(register_json) if register_json else None)
    changes = checked.pop("sources")
    return checked | {"source_register": current.changed(changes, datetime.now(UTC).isoformat()).to_json()}


def _with_register(profile: dict[str, Any]) -> dict[str, Any]:
    """The register always in one shape: nothing declared is version 0 with no sources."""
    return profile | {"source_register": SourceRegister.from_json(profile.get("source_register")).to_json()}


def epoch_json(epoch: SignerEpoch) -> dict[str, Any]:
    """A signer epoch as the API and the pages show it; ``forced``: put in force by the admin without
    the previous key's signature."""
    return {"signer": epoch.signer, "valid_from_block": epoch.valid_from_block,
            "valid_from_time": epoch.valid_from_time, "forced": epoch.forced}  # fmt: skip

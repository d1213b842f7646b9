"""Factories: registered on chain (the only authority for their signer), named here."""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc
from sqlalchemy.orm import Session, sessionmaker

from ledger.chain import errors as chain_errors
from ledger.chain.client import LedgerClient
from ledger.errors import Conflict, NotFound
from ledger.records import RecordError, check_factory_id
from ledger.records.names import check_factory_name
from ledger.services.views import FactoryView
from ledger.store import batches as batch_rows
from ledger.store import factories as factory_rows


class FactoryService:
    def __init__(self, ledger: LedgerClient, sessions: sessionmaker[Session]) -> None:
        self.ledger = ledger
        self.sessions = sessions

    def register(self, factory_id: str, name: str, signer: str) -> FactoryView:
        check_factory_id(factory_id)
        name = check_factory_name(name)
        with self.sessions() as session:
            existing = factory_rows.same_but_case(session, factory_id)
        if existing is not None:
            raise Conflict(f"factory {existing} is already registered; ids that differ only in case are one factory")
        try:
            tx = self.ledger.register_factory(factory_id, signer)
        except chain_errors.FactoryAlreadyRegistered as exc:
            raise Conflict(f"factory {factory_id} is already registered on chain") from exc
        except chain_errors.InvalidSignerAddress:
            raise RecordError("signer", "cannot be the zero address") from None
        try:
            with self.sessions.begin() as session:
                factory_rows.save(session, factory_id, name, tx.tx_hash, tx.block_number)
        except sqlalchemy.exc.IntegrityError:  # the index on lower(id): a same-but-case id won a race
            raise Conflict(f"a factory id equal to {factory_id} but for case was registered meanwhile") from None
        return self.get(factory_id)

    def rotate_signer(self, factory_id: str, new_signer: str) -> FactoryView:
        try:
            self.ledger.rotate_signer(factory_id, new_signer)
        except chain_errors.UnknownFactory:
            raise NotFound(f"factory {factory_id} is not registered") from None
        except chain_errors.SignerUnchanged:
            raise Conflict(f"{new_signer} is already factory {factory_id}'s signer") from None
        except chain_errors.InvalidSignerAddress:
            raise RecordError("signer", "cannot be the zero address") from None
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
            signer_history=[
                {"signer": e.signer, "valid_from_block": e.valid_from_block, "valid_from_time": e.valid_from_time}
                for e in history
            ],
            registered_tx=row.registered_tx if row else None,
        )

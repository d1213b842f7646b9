"""SQL for what the service knows of a factory beyond the chain: its name and registration tx."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.store.models import FactoryRow


def save(session: Session, factory_id: str, name: str, tx_hash: str, block: int) -> None:
    session.merge(
        FactoryRow(
            id=factory_id, name=name, registered_tx=tx_hash, registered_block=block, created_at=datetime.now(UTC)
        )
    )


def get(session: Session, factory_id: str) -> FactoryRow | None:
    return session.get(FactoryRow, factory_id)


def all_factories(session: Session) -> Sequence[FactoryRow]:
    return session.scalars(select(FactoryRow).order_by(FactoryRow.id)).all()


def same_but_case(session: Session, factory_id: str) -> str | None:
    """The stored id equal to ``factory_id`` but for case (``CN-1`` for ``cn-1``), if any."""
    return session.scalar(
        select(FactoryRow.id).where(func.lower(FactoryRow.id) == factory_id.lower(), FactoryRow.id != factory_id)
    )

"""SQL for what the service knows of a factory beyond the chain: its name, registration tx and profile
(location and boundary; a field never given is NULL, read as unknown), and its source register (JSON
kept as the accounting made it: :mod:`ledger.accounting.source_register`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.store.models import FactoryRow

PROFILE_COLUMNS = (
    "province",
    "grid_region",
    "legal_entity",
    "unified_social_credit_code",
    "site_address",
    "facilities",
    "source_register",
)
_JSON_COLUMNS = frozenset({"facilities", "source_register"})


def save(session: Session, factory_id: str, name: str, tx_hash: str, block: int,
         profile: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    row = FactoryRow(
        id=factory_id, name=name, registered_tx=tx_hash, registered_block=block, created_at=datetime.now(UTC)
    )
    session.merge(_with_profile(row, profile or {}))


def update_profile(session: Session, factory_id: str, changes: Mapping[str, Any]) -> bool:
    """Set the profile fields ``changes`` names (None clears one); False when the factory has no row."""
    row = session.get(FactoryRow, factory_id)
    if row is None:
        return False
    _with_profile(row, changes)
    return True


def profile_of(row: FactoryRow | None) -> dict[str, Any]:
    """The profile as stored: every field, None where unknown."""
    found: dict[str, Any] = {k: getattr(row, k) if row is not None else None for k in PROFILE_COLUMNS}
    for key in _JSON_COLUMNS:
        if found[key] is not None:
            found[key] = json.loads(found[key])
    found["updated_at"] = row.profile_updated_at.isoformat() if row is not None and row.profile_updated_at else None
    return found


def _with_profile(row: FactoryRow, changes: Mapping[str, Any]) -> FactoryRow:
    for key, value in changes.items():
        if key not in PROFILE_COLUMNS:
            raise KeyError(key)
        setattr(
            row, key, json.dumps(value, ensure_ascii=False) if key in _JSON_COLUMNS and value is not None else value
        )
    if changes:
        row.profile_updated_at = datetime.now(UTC)
    return row


def get(session: Session, factory_id: str, *, for_update: bool = False) -> FactoryRow | None:
    """The row; ``for_update`` locks it for the transaction (PostgreSQL), so a read-modify-write of the
    source register does not lose a concurrent change."""
    return session.get(FactoryRow, factory_id, with_for_update=for_update)


def all_factories(session: Session) -> Sequence[FactoryRow]:
    return session.scalars(select(FactoryRow).order_by(FactoryRow.id)).all()


def same_but_case(session: Session, factory_id: str) -> str | None:
    """The stored id equal to ``factory_id`` but for case (``CN-1`` for ``cn-1``), if any."""
    return session.scalar(
        select(FactoryRow.id).where(func.lower(FactoryRow.id) == factory_id.lower(), FactoryRow.id != factory_id)
    )

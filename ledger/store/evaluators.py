"""SQL for evaluators' signed identities: one row per address, replaced only by a newer signed version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ledger.store.models import EvaluatorProfileRow


def get(session: Session, address: str) -> EvaluatorProfileRow | None:
    return session.get(EvaluatorProfileRow, address)


def save(session: Session, address: str, fields: dict[str, Any], version: int, signature: str) -> None:
    session.merge(EvaluatorProfileRow(address=address, version=version, signature=signature,
                                      updated_at=datetime.now(UTC), **fields))  # fmt: skip


def as_json(row: EvaluatorProfileRow) -> dict[str, Any]:
    return {"address": row.address, "name": row.name, "organisation": row.organisation,
            "accreditation": row.accreditation, "version": row.version, "signature": row.signature,
            "updated_at": row.updated_at.isoformat()}  # fmt: skip

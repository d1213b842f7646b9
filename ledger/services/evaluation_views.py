"""What the evaluation service shows of a stored report: the report with its status (checked against
its hash), the brief a list and staleness read without the report's JSON, and whether each is stale."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ledger.accounting.report import report_hash
from ledger.chain.errors import ChainUnavailable
from ledger.errors import IntegrityError
from ledger.services import staleness
from ledger.store.evaluations import ANCHORED, PENDING
from ledger.store.models import EvaluationRow

log = logging.getLogger(__name__)


def brief(row: EvaluationRow) -> dict[str, Any]:
    """What staleness needs of a stored report: its months' revisions, kept beside it since 0012 (a
    year of 10^5-record months makes a report of megabytes; a list need not read them all)."""
    if row.revisions is not None:
        revisions = json.loads(row.revisions)
    else:  # stored before 0012
        revisions = staleness.revisions_of(json.loads(row.report).get("periods") or {})
    return {"id": row.id, "factory_id": row.factory_id, "year": row.year, "type": row.report_type,
            "status": row.status, "revisions": revisions}  # fmt: skip


LEVEL_KEYS = ("level_confirmed", "level_status", "level_unconfirmed_because")
"""What the report's evaluation says of its level's confirmation: kept beside the report (0014)."""


def level_confirmation(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """Whether the level is confirmed (None: no level), ``level_status`` and the reasons it is not."""
    return {key: evaluation.get(key) for key in LEVEL_KEYS}


def factor_set_label(report: Mapping[str, Any]) -> str | None:
    """``id@version`` of the factor set a report was computed with (None for a park's report, which names none)."""
    factors = report.get("factor_set")
    return f"{factors['id']}@{factors['version']}" if isinstance(factors, Mapping) and factors.get("id") else None


def list_item(row: EvaluationRow, placeholders: Collection[tuple[str, str]]) -> dict[str, Any]:
    """One line of a factory's evaluations list; ``placeholders``: the (type, level) pairs whose
    thresholds are the rule file's placeholders. A level resting on a material unconfirmed factor is
    ``level_confirmed`` false here as in the report, so no list shows it as a confirmed level."""
    if row.level_confirmation is not None:
        level = json.loads(row.level_confirmation)
    else:  # stored before 0014
        level = level_confirmation(json.loads(row.report).get("evaluation") or {})
    factor_set = row.factor_set if row.factor_set is not None else factor_set_label(json.loads(row.report))
    return {"id": row.id, "year": row.year, "type": row.report_type, "level": row.level, "status": row.status,
            "report_hash": row.report_hash, "tx_hash": row.tx_hash, "created_at": row.created_at.isoformat(),
            "factor_set": factor_set, "level_placeholder": (row.report_type, row.level) in placeholders} | level  # fmt: skip


def freshness(reports: Sequence[dict[str, Any]], revision_count: staleness.Latest) -> dict[str, dict[str, Any]]:
    """:func:`staleness.freshness`, or nothing (each report then shows "unknown") while the chain is away."""
    try:
        return staleness.freshness(reports, staleness.cached(revision_count))
    except ChainUnavailable as exc:
        log.warning("whether evaluations are stale is unknown: %s", exc)
        return {}


def with_status(row: EvaluationRow) -> dict[str, Any]:
    """The stored report with its status (and signature, anchor and the evaluator's identity once signed);
    refused when its JSON no longer gives the hash stored beside it."""
    report = json.loads(row.report)
    report |= {"id": row.id, "status": row.status, "created_at": row.created_at.isoformat()}
    if row.status in (PENDING, ANCHORED) and row.evaluator is not None:
        report["evaluator_identity"] = json.loads(row.evaluator_identity) if row.evaluator_identity else None
    if row.status == PENDING:
        report |= {"evaluator": row.evaluator, "signature": row.signature}
    if row.status == ANCHORED:
        report |= {
            "evaluator": row.evaluator,
            "signature": row.signature,
            "anchor": {
                "report_id": row.report_id,
                "tx_hash": row.tx_hash,
                "block_number": row.block_number,
                "final": bool(row.final),
            },
        }
    if "0x" + report_hash(report).hex() != row.report_hash:
        raise IntegrityError(f"evaluation {row.id}: the stored report no longer matches its hash {row.report_hash}")
    return report

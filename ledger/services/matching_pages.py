"""What the pages read of matching runs (issue 17): one run's document for its page and PDF, and a
factory's latest anchored run for its dashboard.

A run is an evaluation row of report type "H" whose document has the run format
(``zcl-hourly-matching/1``); it is read as any stored report is, with its status and anchor, and
refused when its JSON no longer gives the hash stored beside it (:func:`evaluation_views.with_status`).
The dashboard shows an anchored run only: a draft is the evaluator's work in progress, and a factory
without an anchored run has no hourly score (the page says so; it never shows 0 %).
"""

from __future__ import annotations

from typing import Any

from ledger.errors import NotFound
from ledger.services import staleness
from ledger.services.evaluation_views import brief, freshness, with_status
from ledger.services.evaluations import EvaluationService
from ledger.services.matching_views import REPORT_TYPE, is_run
from ledger.store import evaluations as rows
from ledger.store.evaluations import ANCHORED


def matching_run(evaluations: EvaluationService, run_id: str) -> dict[str, Any]:
    """The run document with its status (and signature and anchor once signed) and whether the chain
    has since corrected a month it read (``stale``, ``stale_because``, ``superseded_by``, as for a
    report: None when the chain cannot be asked); NotFound when no run has that id (an evaluation
    report is not a run)."""
    with evaluations.sessions() as session:
        row = rows.get(session, run_id)
        if row is None or row.report_type != REPORT_TYPE:
            raise NotFound(f"No matching run {run_id} is held by this service.")
        document = with_status(row)
        siblings = [brief(r) for r in rows.list_for(session, row.factory_id)
                    if r.report_type == REPORT_TYPE and r.year == row.year]  # fmt: skip
    if not is_run(document):
        raise NotFound(f"No matching run {run_id} is held by this service.")
    return document | freshness(siblings, evaluations.ledger.revision_count).get(run_id, staleness.UNKNOWN)


def latest_anchored_run(evaluations: EvaluationService, factory_id: str) -> dict[str, Any] | None:
    """The factory's newest anchored run (its document, as :func:`matching_run`), or None."""
    with evaluations.sessions() as session:
        found = [
            r.id for r in rows.list_for(session, factory_id) if r.report_type == REPORT_TYPE and r.status == ANCHORED
        ]
    return matching_run(evaluations, found[-1]) if found else None

"""What the service makes of a stored matching run (issue 17): a run is an evaluation row of report
type "H" whose document is the hourly run document (:mod:`ledger.hourly.run`), so the evaluation
service signs, relays and checks it as it does a report; this module says how a run document is told
apart (an evaluation report has no ``format`` of the hourly kind)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.hourly.run import FORMAT, REPORT_TYPE, cfe_level, report_commit

__all__ = ["REPORT_TYPE", "cfe_level", "is_run", "report_commit"]


def is_run(report: Mapping[str, Any]) -> bool:
    """Whether a stored document is a matching run's."""
    return report.get("format") == FORMAT

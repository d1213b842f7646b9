"""What the service makes of a stored matching run (issue 17): a run is an evaluation row of report
type "H" whose document is the hourly run document (:mod:`ledger.hourly.run`), so the evaluation
service signs, relays and checks it as it does a report; this module says how a run document is told
apart and what its evaluator signs (``EvaluationReport`` with reportType "H")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ledger.eip712 import ReportCommit

RUN_FORMAT = "zcl-hourly-matching/1"
REPORT_TYPE = "H"
RULE_SET = "hourly-matching@1"


def is_run(report: Mapping[str, Any]) -> bool:
    """Whether a stored document is a matching run's (an evaluation report has no ``format``)."""
    return str(report.get("format", "")).startswith("zcl-hourly-matching/")


def level_of(results: Mapping[str, Any]) -> str:
    """The level the chain keeps: the year's CFE score rounded down to 2 places ("CFE 41.27%"), or
    "CFE —" when no hour of the year could be scored (never 0 %)."""
    cfe = results.get("cfe", {}).get("year")
    if cfe is None:
        return "CFE —"
    percent = (Decimal(cfe) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"CFE {percent}%"


def run_commit(report: Mapping[str, Any], evaluator: str) -> ReportCommit:
    """The ``EvaluationReport`` an evaluator signs for a run: the document's hash, its CFE level, the
    factor set the hourly market-based Scope 2 used, and the matching rules' id."""
    return ReportCommit(
        factory_id=report["factory_id"], year=int(report["year"]), report_type=REPORT_TYPE,
        level=level_of(report["results"]), report_hash=bytes.fromhex(str(report["report_hash"])[2:]),
        factor_set=str(report["rules"]["factor_set"]), rule_set=RULE_SET, evaluator=evaluator,
    )  # fmt: skip

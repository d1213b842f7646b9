"""A matching run's document: what was read, which rules held, what came out, and the allocation root.

The document is to hourly matching what the evaluation report is to the annual evaluation: one
canonical JSON whose keccak the evaluator signs and the chain anchors (``EvaluationReports`` with
report type "H"), hashed exactly as an evaluation report is (:func:`ledger.accounting.report.report_hash`:
sorted keys, no spaces, UTF-8, the fields added after signing left out), so one tool recomputes
both. It names its inputs by their anchored roots and its rules by ``id@version``, carries the
results (``results.py``'s summary) and commits to every piece through the allocation tree's root.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from ledger.accounting.report import report_hash
from ledger.eip712 import ReportCommit
from ledger.hourly.errors import HourlyError
from ledger.hourly.leaves import LEAF_TYPE

FORMAT = "zcl-hourly-matching/1"
REPORT_TYPE = "H"
RULE_SET = "hourly-matching@1"
INPUT_KEYS = ("batches", "profiles", "claims")
RULE_KEYS = ("deliverability", "load_profiles", "validity", "measurement_methods", "factor_set")
PARAMETER_KEYS = ("order", "unit")
NO_SCORE = "CFE —"
"""The level of a run with no scored load: the chain's level field may not be empty."""
EMPTY_ROOT = bytes(32)
"""The allocation root of a run with no certificate piece (on-site output only, or nothing usable):
such a run still has a score; it commits to no piece, so nothing can be proven against it."""


def _require(section: str, value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise HourlyError(section, f"must be an object, got {type(value).__name__}")
    if missing := [k for k in keys if k not in value]:
        raise HourlyError(f"{section}.{missing[0]}", "is required")
    return dict(value)


def run_document(
    factory_id: str,
    year: int,
    result_summary: Mapping[str, Any],
    inputs: Mapping[str, Any],
    rules: Mapping[str, Any],
    parameters: Mapping[str, Any],
    root: bytes,
    count: int,
) -> dict[str, Any]:
    """The run document (design item 8), ready to hash.

    ``result_summary`` is ``results.summarize(...)``; ``inputs`` names the anchored batches and
    profiles read and the claims with their details hashes; ``rules`` the rule files and the factor
    set as ``id@version``; ``root``/``count`` the allocation tree's root and leaf count.
    """
    if not isinstance(root, bytes) or len(root) != 32:
        raise HourlyError("allocations.root", "must be 32 bytes")
    if type(count) is not int or count < 0:
        raise HourlyError("allocations.count", f"must be a non-negative integer, got {count!r}")
    if (count == 0) != (root == EMPTY_ROOT):
        raise HourlyError("allocations.root", "is 32 zero bytes exactly when the run has no piece")
    if type(year) is not int or not 2000 <= year <= 2200:
        raise HourlyError("year", f"must be from 2000 to 2200, got {year!r}")
    summary = _require("results", result_summary, ("span", "cfe"))
    rule_ids = _require("rules", rules, RULE_KEYS)
    for key in RULE_KEYS:
        if not isinstance(rule_ids[key], str) or "@" not in rule_ids[key]:
            raise HourlyError(f"rules.{key}", f"must be id@version, got {rule_ids[key]!r}")
    return {
        "format": FORMAT,
        "factory_id": factory_id,
        "year": year,
        "span": summary["span"],
        "inputs": _require("inputs", inputs, INPUT_KEYS),
        "rules": rule_ids,
        "parameters": _require("parameters", parameters, PARAMETER_KEYS),
        "results": summary,
        "allocations": {"root": "0x" + root.hex(), "count": count, "leaf_type": LEAF_TYPE},
    }


def document_hash(doc: Mapping[str, Any]) -> bytes:
    """keccak256 of the document's canonical JSON: what the evaluator signs as ``reportHash``."""
    return report_hash(dict(doc))


def cfe_level(cfe: str | None) -> str:
    """The level the chain records: the year's CFE as a percentage rounded down to 2 places
    ("0.412789" → "CFE 41.27%"), never up, so the anchored label never claims more than the run
    found; "CFE —" when no hour was scored."""
    if cfe is None:
        return NO_SCORE
    try:
        value = Decimal(cfe)
    except (InvalidOperation, TypeError):
        raise HourlyError("results.cfe.year", f"must be a decimal string, got {cfe!r}") from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise HourlyError("results.cfe.year", f"must be from 0 to 1, got {cfe!r}")
    return f"CFE {(value * 100).quantize(Decimal('0.01'), rounding=ROUND_DOWN)}%"


def report_commit(doc: Mapping[str, Any], evaluator: str) -> ReportCommit:
    """What the evaluator signs to anchor the run: report type "H", its CFE as the level."""
    return ReportCommit(
        factory_id=doc["factory_id"],
        year=doc["year"],
        report_type=REPORT_TYPE,
        level=cfe_level(doc["results"]["cfe"].get("year")),
        report_hash=document_hash(doc),
        factor_set=doc["rules"]["factor_set"],
        rule_set=RULE_SET,
        evaluator=evaluator,
    )

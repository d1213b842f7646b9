"""Whether an evaluation report still describes what the chain holds.

A report records the batch revision it used for each month (``periods.used``) and the months it had
no data for (``periods.missing``). Once a month is corrected (a newer revision anchored) or a missing
month arrives (a first revision), the report describes data the chain has since replaced: it is
*stale*, however it was signed and anchored. This is decided on read, from the chain's
``revisionCount`` (one call per period, cached for the request), and never written into the signed
report JSON: its hash, which the evaluator signed and the chain anchored, must not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Latest = Callable[[str, str], int]
"""The latest revision the chain holds for (factory id, period); 0 when none."""


def cached(revision_count: Latest) -> Latest:
    """``revision_count`` asked once per (factory, period): a list shows many reports of the same months."""
    seen: dict[tuple[str, str], int] = {}

    def latest(factory_id: str, period: str) -> int:
        key = (factory_id, period)
        if key not in seen:
            seen[key] = revision_count(factory_id, period)
        return seen[key]

    return latest


def revisions_of(periods: Mapping[str, Any]) -> dict[str, int]:
    """The revision a report used for each month it names: ``periods.used``, and ``periods.missing``
    as 0 (or, for a month held on chain but not here, the revision it could not read). Small enough
    to store beside the report, so that a list need not parse every report."""
    used: dict[str, int] = {str(p["period"]): int(p["revision"]) for p in periods.get("used", [])}
    for missing in periods.get("missing", []):
        used.setdefault(str(missing["period"]), int(missing.get("revision") or 0))
    return dict(sorted(used.items()))


def stale_because(factory_id: str, revisions: Mapping[str, int], latest: Latest) -> list[dict[str, Any]]:
    """Each period whose latest revision on chain is newer than the one the report used (0 when it
    listed the month as missing), as ``{period, used_revision, latest_revision}``, in period order.
    A key ``other_factory/YYYY-MM`` is another site's month the report read (a matching run's
    generation profile, signed by a generator): its correction makes the report stale too."""
    found = []
    for period in sorted(revisions):
        owner, _, month = period.rpartition("/")
        now = latest(owner or factory_id, month)
        if now > revisions[period]:
            found.append({"period": period, "used_revision": revisions[period], "latest_revision": now})
    return found


def freshness(reports: Sequence[Mapping[str, Any]], latest: Latest) -> dict[str, dict[str, Any]]:
    """For one factory's reports (oldest first; each with ``id``, ``factory_id``, ``year``, ``type``,
    ``status`` and ``revisions``, see :func:`revisions_of`): report id → ``stale``, ``stale_because`` and
    ``superseded_by``, the newest later report of the same year and type that is not stale itself
    (an anchored one before a draft), or None."""
    because = {str(r["id"]): stale_because(str(r["factory_id"]), r["revisions"], latest) for r in reports}
    out: dict[str, dict[str, Any]] = {}
    for i, report in enumerate(reports):
        reasons = because[str(report["id"])]
        newer = [
            r for r in reports[i + 1 :]
            if (r["year"], r["type"]) == (report["year"], report["type"]) and not because[str(r["id"])]
        ]  # fmt: skip
        anchored = [r for r in newer if r.get("status") == "anchored"]
        superseded_by = str((anchored or newer)[-1]["id"]) if reasons and newer else None
        out[str(report["id"])] = {"stale": bool(reasons), "stale_because": reasons, "superseded_by": superseded_by}
    return out


UNKNOWN: dict[str, Any] = {"stale": None, "stale_because": [], "superseded_by": None}
"""What a report shows when the chain cannot be asked: neither fresh nor stale is known."""

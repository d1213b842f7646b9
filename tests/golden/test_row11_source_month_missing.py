"""Issue 15, row 11: one meter's December record missing (11 of 12 months for that source) still gave
6★; a source must have data for every month held, its intervals covering the month."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from tests.builders import EXAMPLE_STEAM, EXAMPLES, FACTORY_ID, attest, claim_json, example_batch, register_factory
from tests.conftest import Service
from tests.golden import world
from tests.golden.monthly import submit

SMALL_METER = "meter-3205-04K-1190"  # the example's second grid meter (38,216 kWh in January)
MAIN_METER = "meter-3205-10K-0457"


def evaluate(service: Service) -> dict[str, Any]:
    """Certificates matched over the year (``annual``): by the default ``claim_period`` the example year
    has no level for its certificates alone (row 7), which would hide what this row is about."""
    return world.evaluate(service, FACTORY_ID, matching="annual", steam=EXAMPLE_STEAM)


def test_a_meter_without_its_december_record_blocks_every_level(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """The example year (6 sources, one record each a month, with its GEC and CCER claims) is 6★ with its
    certificates matched over the year.

    Revision 2 of December drops the record of the small grid meter meter-3205-04K-1190. December still
    has an anchored batch (periods.missing stays empty, the missing_months gate passes), but that source
    now has records for 11 of the 12 months held: one completeness finding, naming the source and
    2025-12 ("no records"); the incomplete_sources gate (max 0) fails: 1 > 0 → no level.

    Revision 3 of December restores the meter but has the main meter's reading end on 2025-12-31 00:00
    (+08:00) instead of 2026-01-01 00:00: its intervals leave 2025-12-31T00:00+08:00..2026-01-01T00:00+08:00
    uncovered, one day of 31 → one finding ("gaps"), still no level. The reading's kWh are counted as
    given; the uncovered day is never counted as zero consumption.
    """
    factory = new_account()
    register_factory(service.http, factory, FACTORY_ID)
    for month in range(1, 13):
        submit(service, factory, example_batch(month=f"2025-{month:02d}"))
    for name in ("gec-2025-01", "gec-2025-02-12", "ccer-2025"):
        body = claim_json(service.ledger, factory, json.loads((EXAMPLES / "claims" / f"{name}.json").read_text()))
        response = service.http.post("/claims", json=body)
        assert response.status_code == 201, response.text
        attest(service.ledger, response.json()["claim_id"])

    complete = evaluate(service)
    assert complete["evaluation"]["level"] == "6★" and complete["evaluation"]["completeness"]["findings"] == []

    december = example_batch(revision=2, month="2025-12")
    december["records"] = [r for r in december["records"] if r["source_id"] != SMALL_METER]
    assert len(december["records"]) == 5
    submit(service, factory, december)
    report = evaluate(service)
    ev = report["evaluation"]
    assert report["periods"]["missing"] == [] and ev["level"] == "none"
    assert ev["completeness"]["findings"] == [{
        "source_id": SMALL_METER, "kinds": ["grid_electricity"], "period": "2025-12", "problem": "no records",
        "detail": f"{SMALL_METER} has no record for 2025-12, which other sources have",
    }]  # fmt: skip
    gates = {g["metric"]: g for g in ev["gates"]}
    assert gates["missing_months"]["passed"] and gates["incomplete_sources"]["value"] == "1"
    assert not gates["incomplete_sources"]["passed"] and not any(lv["passed"] for lv in ev["levels"])
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert SMALL_METER in page and "no records" in page

    short = example_batch(revision=3, month="2025-12", interval_end="2025-12-31T00:00:00+08:00")
    assert short["records"][0]["source_id"] == MAIN_METER
    submit(service, factory, short)
    ev = evaluate(service)["evaluation"]
    assert ev["level"] == "none"
    assert [(f["source_id"], f["period"], f["problem"]) for f in ev["completeness"]["findings"]] == [
        (MAIN_METER, "2025-12", "gaps")
    ]
    assert (
        "1 interval(s) not covered: 2025-12-31T00:00:00+08:00..2026-01-01T00:00:00+08:00"
        in (ev["completeness"]["findings"][0]["detail"])
    )

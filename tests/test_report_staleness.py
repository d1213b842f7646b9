"""Issue 15, row 14: a report the chain has since corrected is marked stale wherever it is shown.

A 6★ report is anchored; then March is corrected (revision 2). The report's figures describe data the
chain has replaced, so the API, the report page and the factory page say so, naming the month, and a
new evaluation of the corrected year supersedes it. Staleness is computed on read: the signed JSON,
and so its hash, is unchanged. A report that listed a month as missing is stale once that month
arrives. Everything goes through the API as a user would call it, on a real chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.accounting.report import report_hash
from ledger.store.models import EvaluationRow
from tests.builders import batch_json, register_factory, sign_report
from tests.conftest import Service
from tests.test_evaluation_service import FACTORY, evaluate, month_batch, year  # noqa: F401 (the fixture)


def listed(service: Service, factory_id: str) -> dict[str, dict[str, Any]]:
    response = service.http.get(f"/factories/{factory_id}/evaluations")
    assert response.status_code == 200, response.text
    return {e["id"]: e for e in response.json()}


def test_an_anchored_report_is_stale_once_a_month_it_used_is_corrected(
    service: Service,
    year: dict[str, Any],  # noqa: F811
) -> None:
    old = sign_report(
        service.http, evaluate(service, matching="annual")["id"], year["evaluator"]
    )  # 6★ when netted over the year
    assert old["status"] == "anchored" and old["evaluation"]["level"] == "6★"
    assert old["stale"] is False and old["stale_because"] == [] and old["superseded_by"] is None
    assert listed(service, FACTORY)[old["id"]]["stale"] is False
    assert "STALE" not in service.http.get(f"/evaluations/{old['id']}/report.html").text

    year["submit"](month_batch(3, revision=2, value="1352210.8"))  # March corrected: revision 2

    shown = service.http.get(f"/evaluations/{old['id']}").json()
    assert shown["stale"] is True and shown["status"] == "anchored"
    assert shown["stale_because"] == [{"period": "2025-03", "used_revision": 1, "latest_revision": 2}]
    assert shown["superseded_by"] is None  # no newer evaluation yet
    # computed on read: the signed JSON and its hash are what the chain anchored
    assert shown["report_hash"] == old["report_hash"] == "0x" + report_hash(shown).hex()
    on_chain = service.ledger.get_report(old["anchor"]["report_id"])
    assert "0x" + on_chain.report_hash.hex() == old["report_hash"]
    page = service.http.get(f"/evaluations/{old['id']}/report.html").text
    assert "STALE — the chain has corrected data this report used: 2025-03." in page
    assert "revision 1 used, revision 2 anchored since" in page and "<title>[STALE] " in page
    assert "does NOT match the report hash" not in page  # the stale fields are not hashed content

    new = evaluate(service)
    assert new["stale"] is False and new["stale_because"] == [] and new["superseded_by"] is None
    march = next(p for p in new["periods"]["used"] if p["period"] == "2025-03")
    assert march["revision"] == 2
    shown = service.http.get(f"/evaluations/{old['id']}").json()
    assert shown["stale"] is True and shown["superseded_by"] == new["id"]
    assert new["id"] in service.http.get(f"/evaluations/{old['id']}/report.html").text
    everything = listed(service, FACTORY)
    assert everything[old["id"]]["stale"] is True and everything[old["id"]]["superseded_by"] == new["id"]
    assert everything[old["id"]]["stale_because"][0]["period"] == "2025-03"
    assert everything[new["id"]]["stale"] is False
    factory_page = service.http.get(f"/factory/{FACTORY}").text
    assert factory_page.count("STALE: 2025-03 corrected") == 1 and f"superseded by {new['id'][:8]}" in factory_page


def test_a_report_that_listed_a_month_missing_is_stale_once_it_arrives(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    factory = new_account()
    register_factory(service.http, factory, FACTORY)
    for month in range(1, 12):  # December is not notarized yet
        response = service.http.post("/batches", json=batch_json(service.ledger, factory, month_batch(month)))
        assert response.status_code == 201, response.text
    early = evaluate(service)
    assert [m["period"] for m in early["periods"]["missing"]] == ["2025-12"] and early["stale"] is False

    response = service.http.post("/batches", json=batch_json(service.ledger, factory, month_batch(12)))
    assert response.status_code == 201, response.text
    shown = service.http.get(f"/evaluations/{early['id']}").json()
    assert shown["stale_because"] == [{"period": "2025-12", "used_revision": 0, "latest_revision": 1}]
    assert shown["stale"] is True and shown["report_hash"] == early["report_hash"]
    assert "2025-12: missing when evaluated, revision 1 anchored since" in " ".join(
        service.http.get(f"/evaluations/{early['id']}/report.html").text.split()
    )
    with service.services.sessions.begin() as session:  # as a report stored before migration 0012 is
        row = session.get(EvaluationRow, early["id"])
        assert row is not None and json.loads(row.revisions or "{}")["2025-12"] == 0
        row.revisions = None
    assert listed(service, FACTORY)[early["id"]]["stale_because"] == shown["stale_because"]  # read from its JSON
    other_type = evaluate(service, type="II")  # a Type II report does not supersede a Type I one
    assert other_type["stale"] is False
    assert service.http.get(f"/evaluations/{early['id']}").json()["superseded_by"] is None

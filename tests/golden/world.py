"""A golden case's world, built through the API as a user builds it: a factory registers, submits a
year of grid electricity (one signed batch a month), signs its claims, an attestor confirms them, and
the evaluation is created over HTTP. Each helper asserts the answer it expects on the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.records import new_salt
from tests.builders import CLAIM_PROJECT, attest, batch_json, claim_json, register_factory
from tests.conftest import Service

YEAR = 2025
PROJECT = CLAIM_PROJECT
"""The example offshore wind farm's GEC project code (17 digits, the start of each of its serials)."""


def factory_with_grid_year(
    service: Service, new_account: Callable[[], LocalAccount], factory_id: str, mwh_per_month: str = "100"
) -> LocalAccount:
    """A registered factory with 2025 anchored: ``mwh_per_month`` MWh of grid electricity each month."""
    key = new_account()
    register_factory(service.http, key, factory_id, name=f"golden {factory_id}")
    for month in range(1, 13):
        end = f"{YEAR + (month == 12)}-{month % 12 + 1:02d}-01T00:00:00+08:00"
        batch = {
            "factory_id": factory_id, "period": f"{YEAR}-{month:02d}", "revision": 1, "uri": "",
            "records": [{
                "source_id": "meter-grid", "kind": "grid_electricity", "value": mwh_per_month, "unit": "MWh",
                "interval_start": f"{YEAR}-{month:02d}-01T00:00:00+08:00", "interval_end": end,
                "evidence": [], "salt": "0x" + new_salt().hex(),
            }],
        }  # fmt: skip
        response = service.http.post("/batches", json=batch_json(service.ledger, key, batch))
        assert response.status_code == 201, response.text
    return key


def claim_body(factory_id: str, **fields: Any) -> dict[str, Any]:
    """A claim's JSON with the facts every claim carries; ``fields`` give the rest (serial, registry, …)."""
    return {
        "factory_id": factory_id, "technology": "offshore wind", "purpose": "golden case",
        "evidence_sha256": "ab" * 32, "country": "CN", "region": "", "methodology": "",
        "cancellation_number": "CXL-0001", "cancellation_date": "2025-12-31", "bundled_with": "",
    } | fields  # fmt: skip


def gec_claim(
    factory_id: str, serial_month: str, units: int, consumption: tuple[str, str], *,
    declared_month: str | None = None, project_id: str = PROJECT,
) -> dict[str, Any]:  # fmt: skip
    """A claim of GEC serials 1..``units`` of the example project's production month ``serial_month``
    (``YYYY-MM``), declaring ``project_id`` and generation in ``declared_month`` (default: the serial's)."""
    month, declared = serial_month.replace("-", ""), declared_month or serial_month
    return claim_body(
        factory_id, registry="GEC", serial=f"{PROJECT}{month}{1:07d}11..{PROJECT}{month}{units:07d}11",
        project_id=project_id, quantity=str(units), unit="MWh", region="CN-JS", generation_start=declared,
        generation_end=declared, consumption_start=consumption[0], consumption_end=consumption[1],
    )  # fmt: skip


def claimed(service: Service, key: LocalAccount, body: dict[str, Any]) -> int:
    """``body`` signed by the factory, submitted, and confirmed by an attestor; the chain's claim id."""
    response = service.http.post("/claims", json=claim_json(service.ledger, key, body))
    assert response.status_code == 201, response.text
    claim_id = int(response.json()["claim_id"])
    attest(service.ledger, claim_id)
    return claim_id


def evaluate(service: Service, factory_id: str, **body: Any) -> dict[str, Any]:
    response = service.http.post("/evaluations", json={"factory_id": factory_id, "year": YEAR, "type": "I"} | body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def entry(report: dict[str, Any], claim_id: int) -> dict[str, Any]:
    """The report's certificate or credit entry of ``claim_id``."""
    return next(e for e in report["certificates"] + report["credits"] if e["claim_id"] == claim_id)


def checks(report: dict[str, Any], claim_id: int) -> dict[str, dict[str, Any]]:
    """The claim's eligibility checklist, by check name."""
    return {c["check"]: c for c in entry(report, claim_id)["eligibility"]}

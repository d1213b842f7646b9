"""Hourly (24/7) matching as a service (issue 17), on a real anvil and database: a factory's hourly
meter month and a generation profile anchored by an attestor site, a GEC claim and a CCER claim;
the run is computed from anchored data only, signed by an evaluator and anchored as report type "H";
a unit's proof verifies from the bundle and the chain alone, and the signed matching claim holds
every piece of its claim.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.accounting.report import report_hash
from ledger.hourly.model import MWH
from tests.builders import (
    ADMIN,
    CLAIM_PROJECT,
    attest,
    batch_json,
    claim_json,
    hourly_month,
    month_of,
    register_factory,
    sign_report,
)
from tests.conftest import Service

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FACTORY = "CN-JS-SZ-0017"
SITE = "GEN-JS-PV-0017"
CHINA = timezone(timedelta(hours=8))
GENERATION = f"GEC:{CLAIM_PROJECT}:plant-meter"
UNITS = 300


def factory_load(hour: int) -> str:
    """2 MWh an hour on the day shift (08–20), 0.8 MWh on the night shift."""
    return "2000" if 8 <= hour < 20 else "800"


def pv_output(hour: int) -> str:
    """A clear-sky PV shape: nothing at night, 5 MWh at noon."""
    return str(max(0, 5000 - 1000 * abs(hour - 12))) if 6 <= hour <= 18 else "0"


def gec_serial(seq: int) -> str:
    return f"{CLAIM_PROJECT}202507{seq:07d}11"


@pytest.fixture
def hourly(service: Service, new_account: Callable[[], LocalAccount]) -> dict[str, Any]:
    """July 2025 metered hourly at the factory, the PV project's output anchored by its site, a GEC
    claim of 300 units generated in July and the example CCER claim, both attested; an evaluator."""
    factory, site, evaluator = new_account(), new_account(), new_account()
    register_factory(service.http, factory, FACTORY, name="Suzhou 24/7 Components")
    register_factory(service.http, site, SITE, name="Jiangsu PV plant (generator)")
    declared = {"province": "CN-JS", "sources": {"grid-main": {"method": "metered"}}}
    patched = service.http.patch(f"/factories/{FACTORY}/profile", json=declared, headers=ADMIN)
    assert patched.status_code == 200, patched.text
    domain = service.ledger.domain()

    def submit(key: LocalAccount, data: dict[str, Any]) -> None:
        response = service.http.post("/batches", json=batch_json(domain, key, data))
        assert response.status_code == 201, response.text

    submit(factory, hourly_month(FACTORY, "2025-07", "grid-main", "grid_electricity", factory_load))
    submit(site, hourly_month(SITE, "2025-07", GENERATION, "renewable_generation", pv_output))
    example = json.loads((EXAMPLES / "claims" / "gec-2025-01.json").read_text())
    gec = example | {
        "factory_id": FACTORY, "serial": f"{gec_serial(1)}..{gec_serial(UNITS)}", "quantity": str(UNITS),
        "generation_start": "2025-07", "generation_end": "2025-07", "consumption_start": "2025-07",
        "consumption_end": "2025-07", "cancellation_number": "GEC-ZX-2025-0717-000001",
    }  # fmt: skip
    ccer = json.loads((EXAMPLES / "claims" / "ccer-2025.json").read_text()) | {"factory_id": FACTORY}
    ids = {}
    for name, body in (("gec", gec), ("ccer", ccer)):
        response = service.http.post("/claims", json=claim_json(domain, factory, body))
        assert response.status_code == 201, response.text
        ids[name] = response.json()["claim_id"]
        attest(service.ledger, ids[name])
    service.ledger.grant_evaluator(evaluator.address)
    return {"factory": factory, "site": site, "evaluator": evaluator, "claims": ids, "submit": submit}


def run(service: Service, year: int = 2025) -> dict[str, Any]:
    response = service.http.post(f"/factories/{FACTORY}/matching", params={"year": year})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_run_is_anchored_as_report_type_h_and_a_units_proof_verifies(
    service: Service, hourly: dict[str, Any]
) -> None:
    from ledger.hourly.bundle import verify_bundle

    draft = run(service)
    assert draft["status"] == "draft" and "0x" + report_hash(draft).hex() == draft["report_hash"]
    results = draft["results"]
    claims = {c["claim_id"]: c for c in results["claims"]}
    gec, ccer = claims[hourly["claims"]["gec"]], claims[hourly["claims"]["ccer"]]
    assert gec["usable"] and Decimal(gec["offered_mwh"]) == UNITS
    assert not ccer["usable"] and ccer["reasons"], "a credit never supplies electricity"
    # July's hours are scored; the rest of the year has no reading: unscored, never counted as zero
    assert results["hours"]["scored"] == 31 * 24 and results["hours"]["unscored"] == 8760 - 31 * 24
    load, matched = results["hourly"]["load"], results["hourly"]["matched"]
    assert all(0 <= m <= ld for m, ld in zip(matched, load, strict=True))
    assert Decimal(sum(matched)) / MWH == Decimal(results["totals"]["matched_mwh"]) <= UNITS
    assert Decimal(results["totals"]["certificates_offered_mwh"]) == UNITS

    anchored = sign_report(service.http, draft["id"], hourly["evaluator"])
    assert anchored["status"] == "anchored"
    on_chain = service.ledger.get_report(anchored["anchor"]["report_id"])
    assert on_chain.report_type == "H" and "0x" + on_chain.report_hash.hex() == draft["report_hash"]
    assert service.http.get(f"/matching/{draft['id']}").json()["status"] == "anchored"

    serial = gec_serial(150)
    response = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": gec["claim_id"], "serial": serial})
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["type"] == "zcl-hourly-allocation/1"
    pieces = [p["fields"] for p in bundle["pieces"]]
    assert {p["serial"] for p in pieces} == {"150"}, "the unit's number in its block, as the chain holds the claim"
    assert sum(p["energy"] for p in pieces) == MWH, "a unit's pieces add up to exactly 1 MWh"
    assert verify_bundle(bundle, service.w3).valid

    tampered = json.loads(json.dumps(bundle))  # a piece claims more of its hour than the run allocated
    first = tampered["pieces"][0]["fields"]
    first["allocated"] = first["energy"] if first["allocated"] != first["energy"] else first["energy"] - 1
    assert not verify_bundle(tampered, service.w3).valid


def test_the_signed_matching_claim_holds_every_piece_of_the_claim(service: Service, hourly: dict[str, Any]) -> None:
    draft = run(service)
    gec = hourly["claims"]["gec"]
    early = service.http.get(f"/matching/{draft['id']}/claims/{gec}.json")
    assert early.status_code == 409, "a draft's proof would prove nothing: it is not anchored"
    sign_report(service.http, draft["id"], hourly["evaluator"])
    response = service.http.get(f"/matching/{draft['id']}/claims/{gec}.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    exported = response.json()
    units: dict[int, int] = {}
    for piece in (p["fields"] for p in exported["pieces"]):
        units[int(piece["serial"])] = units.get(int(piece["serial"]), 0) + piece["energy"]
    assert sorted(units) == list(range(1, UNITS + 1)), "every unit of the claim"
    assert set(units.values()) == {MWH}, "each unit whole: its pieces add up to 1 MWh"
    matched = next(c for c in draft["results"]["claims"] if c["claim_id"] == gec)["matched_mwh"]
    assert Decimal(sum(p["fields"]["allocated"] for p in exported["pieces"])) / MWH == Decimal(matched)
    ccer = hourly["claims"]["ccer"]
    refused = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": ccer})
    assert refused.status_code == 422 and "claim" in refused.text


def test_a_metered_source_with_only_a_monthly_total_is_named(service: Service, hourly: dict[str, Any]) -> None:
    """August's grid is one monthly figure, but the register says the meter is read hourly (metered):
    hourly matching cannot spread it by guess, and says which source and what to do."""
    hourly["submit"](
        hourly["factory"], month_of(FACTORY, "2025-08", [("grid-main", "grid_electricity", "1200", "MWh")])
    )
    response = service.http.post(f"/factories/{FACTORY}/matching", params={"year": 2025})
    assert response.status_code == 422, response.text
    assert "grid-main" in response.text and "load-profile" in response.text
    zh = service.http.post(
        f"/factories/{FACTORY}/matching", params={"year": 2025}, headers={"Accept-Language": "zh-CN"}
    )
    assert zh.status_code == 422 and "grid-main" in zh.text


def test_unknown_runs_and_bad_parameters_name_what_is_wrong(service: Service, hourly: dict[str, Any]) -> None:
    assert service.http.get("/matching/no-such-run").status_code == 404
    assert service.http.post("/factories/NO-SUCH/matching", params={"year": 2025}).status_code == 404
    bad_year = service.http.post(f"/factories/{FACTORY}/matching", params={"year": 1999})
    assert bad_year.status_code == 422 and "year" in bad_year.text
    draft = run(service)
    sign_report(service.http, draft["id"], hourly["evaluator"])
    gec = hourly["claims"]["gec"]
    for params, field in (({"serial": "301"}, "serial"), ({"serial": "x1"}, "serial"), ({"hour": "2025-07-01T13:00"}, "hour"),
                          ({"hour": "2024-07-01T13:00+08:00"}, "hour")):  # fmt: skip
        answer = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": gec} | params)
        assert answer.status_code == 422 and field in answer.text, (params, answer.text)
    noon = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": gec, "hour": "2025-07-01T12:00+08:00"})
    assert noon.status_code == 200, noon.text
    start = int(datetime(2025, 7, 1, 12, tzinfo=CHINA).timestamp())
    assert {p["fields"]["hour_start"] for p in noon.json()["pieces"]} == {start}


def test_a_corrected_month_makes_the_run_stale_and_the_factory_pages_stay_whole(
    service: Service, hourly: dict[str, Any]
) -> None:
    """A run is an evaluation of type "H": it is listed with the factory's evaluations (its CFE as the
    level), and once July is corrected on chain it is stale as any report would be, and again when
    the generator corrects the July profile the run read. The factory's
    pages keep reading their level from the Type I/II evaluations."""
    draft = run(service)
    anchored = sign_report(service.http, draft["id"], hourly["evaluator"])
    listed = service.http.get(f"/factories/{FACTORY}/evaluations").json()
    (line,) = [e for e in listed if e["id"] == draft["id"]]
    assert line["type"] == "H" and line["level"] == service.ledger.get_report(anchored["anchor"]["report_id"]).level
    assert line["level"].startswith("CFE ") and line["stale"] is False
    assert service.http.get(f"/evaluations/{draft['id']}").json()["report_hash"] == draft["report_hash"]

    corrected = hourly_month(FACTORY, "2025-07", "grid-main", "grid_electricity", lambda hour: "1000")
    hourly["submit"](hourly["factory"], corrected | {"revision": 2})
    now = service.http.get(f"/matching/{draft['id']}").json()
    assert now["stale"] is True and now["stale_because"] == [
        {"period": "2025-07", "used_revision": 1, "latest_revision": 2}
    ]
    # the generator correcting the profile the run read makes it stale too, the site's month named
    profile = hourly_month(
        SITE, "2025-07", GENERATION, "renewable_generation", lambda hour: str(2 * int(pv_output(hour)))
    )
    hourly["submit"](hourly["site"], profile | {"revision": 2})
    assert service.http.get(f"/matching/{draft['id']}").json()["stale_because"] == [
        {"period": "2025-07", "used_revision": 1, "latest_revision": 2},
        {"period": f"{SITE}/2025-07", "used_revision": 1, "latest_revision": 2},
    ]
    assert service.http.get(f"/factory/{FACTORY}").status_code == 200
    assert service.http.get(f"/evaluations/{draft['id']}/report.html").status_code == 404, "a run is not a report"
    assert service.http.get("/").status_code == 200


def test_a_gec_bundled_with_a_green_power_contract_is_split_over_its_delivered_hours(
    service: Service, hourly: dict[str, Any]
) -> None:
    """August: the factory's green-power contract delivers 0.5 MWh an hour from midnight to 06:00 only,
    and 100 GEC came bundled with it (no generation profile of the project is anchored for August).
    The units are laid over the contract's delivered hours, so every piece lies before 06:00."""
    patched = service.http.patch(
        f"/factories/{FACTORY}/profile", json={"sources": {"gpc-wind": {"method": "metered"}}}, headers=ADMIN
    )
    assert patched.status_code == 200, patched.text
    august = hourly_month(FACTORY, "2025-08", "grid-main", "grid_electricity", factory_load)
    delivered = hourly_month(FACTORY, "2025-08", "gpc-wind", "green_power_contract", lambda h: "500" if h < 6 else "0")
    hourly["submit"](hourly["factory"], august | {"records": august["records"] + delivered["records"]})
    example = json.loads((EXAMPLES / "claims" / "gec-2025-01.json").read_text())
    serial = f"{CLAIM_PROJECT}202508{{:07d}}11"
    bundled = example | {
        "factory_id": FACTORY, "serial": f"{serial.format(1)}..{serial.format(100)}", "quantity": "100",
        "generation_start": "2025-08", "generation_end": "2025-08", "consumption_start": "2025-08",
        "consumption_end": "2025-08", "cancellation_number": "GEC-ZX-2025-0817-000002", "bundled_with": "gpc-wind",
    }  # fmt: skip
    response = service.http.post("/claims", json=claim_json(service.ledger.domain(), hourly["factory"], bundled))
    assert response.status_code == 201, response.text
    claim_id = response.json()["claim_id"]
    attest(service.ledger, claim_id)

    draft = run(service)
    entry = next(c for c in draft["results"]["claims"] if c["claim_id"] == claim_id)
    assert entry["usable"] and Decimal(entry["offered_mwh"]) == 100, entry
    sign_report(service.http, draft["id"], hourly["evaluator"])
    pieces = service.http.get(f"/matching/{draft['id']}/claims/{claim_id}.json").json()["pieces"]
    hours = {datetime.fromtimestamp(p["fields"]["hour_start"], CHINA).hour for p in pieces}
    assert hours <= set(range(6)) and sum(p["fields"]["energy"] for p in pieces) == 100 * MWH


def test_a_damaged_stored_allocation_is_refused_never_proven(service: Service, hourly: dict[str, Any]) -> None:
    """The stored arrays give the tree a proof is cut from; one allocated mWh changed in storage no
    longer gives the root the evaluator signed, and the service refuses rather than serve a proof."""
    from ledger.hourly import pipeline
    from ledger.store import matching as stored

    draft = run(service)
    sign_report(service.http, draft["id"], hourly["evaluator"])
    with service.services.sessions.begin() as session:
        kept = stored.load(session, draft["id"])
        assert kept is not None and kept.root == draft["allocations"]["root"]
        allocation = pipeline.unpack_allocation(kept.arrays)
        allocation.allocated[0] += 1 if allocation.allocated[0] < allocation.energy[0] else -1
        stored.save(session, draft["id"], kept._replace(arrays=pipeline.pack_allocation(allocation)))
    response = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": hourly["claims"]["gec"]})
    assert response.status_code == 500 and "no longer gives its root" in response.text

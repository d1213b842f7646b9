"""The source register through the API as the admin sets it for a factory: per source its measurement
method, meter and days in service; refused naming the field; shown on the factory page; and in a
report, the declared method per source ("undeclared" apart from unknown), months outside a source's
declared service excused from completeness and listed as such, and who declared what, when."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.accounting.source_register import SourceRegister, measurement_methods
from tests.builders import ADMIN
from tests.conftest import Service
from tests.golden import world
from tests.golden.monthly import factory_with_months, month_batch, submit
from tests.test_factory_profile import old_factory_migrated

FACTORY = "CN-JS-SRC-01"
GRID = ("grid-main", "grid_electricity", "100000", "kWh")
HALL = ("meter-hall-B", "grid_electricity", "20000", "kWh")
GAS = ("boiler-gas", "natural_gas", "1000", "Nm3")
PV = ("pv-new", "onsite_renewable_self_consumed", "10000", "kWh")
REGISTER = {
    "grid-main": {"method": "utility-attested", "meter": "State Grid revenue meter 3205-10K-0457",
                  "declared_by": "Wang Fang, energy manager"},
    "boiler-gas": {"method": "estimated", "in_service_until": "2025-09-30"},
    "pv-new": {"method": "metered", "meter": "inverter meter PV-1", "in_service_from": "2025-04-15"},
}  # fmt: skip


def _patch(service: Service, body: dict[str, Any]) -> Any:
    return service.http.patch(f"/factories/{FACTORY}/profile", json=body, headers=ADMIN)


def _register_of(service: Service) -> dict[str, Any]:
    return dict(service.http.get(f"/factories/{FACTORY}").json()["profile"]["source_register"])


def _year(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    """The factory's 2025: the grid and hall B meters every month; the gas boiler January to September
    (taken out of service after); the rooftop PV from 15 April (its April record covers 15–30 April)."""
    key = factory_with_months(service, new_account, FACTORY, [GRID, HALL], months=())
    for month in range(1, 13):
        readings = [GRID, HALL] + ([GAS] if month <= 9 else []) + ([PV] if month >= 4 else [])
        batch = month_batch(FACTORY, f"2025-{month:02d}", readings)
        if month == 4:
            pv = next(r for r in batch["records"] if r["source_id"] == "pv-new")
            pv["interval_start"], pv["value"] = "2025-04-15T00:00:00+08:00", "5000"
        submit(service, key, batch)


def test_the_register_is_declared_per_source_edited_and_refused_naming_the_field(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    factory_with_months(service, new_account, FACTORY, [GRID], months=())
    assert _register_of(service) == {"version": 0, "updated_at": None, "sources": {}}  # nothing declared
    assert "Nothing declared: every source is undeclared" in service.http.get(f"/factory/{FACTORY}").text
    response = _patch(service, {"sources": REGISTER})
    assert response.status_code == 200, response.text
    register = response.json()["profile"]["source_register"]
    assert register["version"] == 1 and set(register["sources"]) == set(REGISTER)
    grid = register["sources"]["grid-main"]
    assert grid["method"] == "utility-attested" and grid["declared_by"] == "Wang Fang, energy manager"
    assert grid["in_service_from"] is None and grid["declared_at"] == register["updated_at"] and grid["version"] == 1
    assert register["sources"]["pv-new"]["in_service_from"] == "2025-04-15"
    # a source sent again is declared anew (its entry replaced); the others stay; null withdraws one
    pv_declared = {"method": "load-profile", "profile": "cn-industrial-two-shift"}
    response = _patch(service, {"sources": {"pv-new": pv_declared, "boiler-gas": None}})
    assert response.status_code == 200, response.text
    register = _register_of(service)
    assert register["version"] == 2 and set(register["sources"]) == {"grid-main", "pv-new"}
    assert register["sources"]["pv-new"] == register["sources"]["pv-new"] | {
        "method": "load-profile", "meter": None, "in_service_from": None, "version": 2,
        "profile": "cn-industrial-two-shift"}  # fmt: skip
    assert register["sources"]["grid-main"].get("profile") is None  # none declared: hourly matching's default
    assert register["sources"]["grid-main"]["version"] == 1  # untouched, as declared then
    assert _patch(service, {"legal_entity": "Src Co."}).json()["profile"]["source_register"] == register
    page = service.http.get(f"/factory/{FACTORY}").text
    assert "<h2>Source register</h2>" in page and "State Grid revenue meter 3205-10K-0457" in page
    assert "load-profile" in page and "Wang Fang, energy manager" in page
    assert service.http.patch(f"/factories/{FACTORY}/profile", json={"sources": REGISTER}).status_code in (401, 403)
    assert _register_of(service) == register  # nothing changed by the refused request
    cleared = _patch(service, {"sources": None}).json()["profile"]["source_register"]
    assert cleared["version"] == 3 and cleared["sources"] == {}  # every declaration withdrawn, the change counted


def test_sources_declared_at_registration(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    body = {"id": FACTORY, "name": "Src", "signer": new_account().address,
            "profile": {"province": "CN-JS", "sources": {"grid-main": {"method": "metered"}}}}  # fmt: skip
    response = service.http.post("/factories", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    register = response.json()["profile"]["source_register"]
    assert register["version"] == 1 and register["sources"]["grid-main"]["method"] == "metered"
    bad = service.http.post("/factories", json=body | {"id": "CN-JS-SRC-02", "profile": {"sources": {"m": {}}}},
                            headers=ADMIN)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "profile", "sources", "m", "method"]
    assert service.http.get("/factories/CN-JS-SRC-02").status_code == 404  # nothing registered


@pytest.mark.parametrize(
    ("entry", "loc", "says"),
    [
        ({"method": "guessed"}, ["sources", "meter-01", "method"], "metered, utility-attested"),
        ({"method": "metered", "in_service_from": "2025-13-01"}, ["sources", "meter-01", "in_service_from"],
         "YYYY-MM-DD"),
        ({"method": "metered", "in_service_from": "2025-05-01", "in_service_until": "2025-04-30"},
         ["sources", "meter-01", "in_service_until"], "before in_service_from"),
        ({"method": "metered", "meter": "a\u202eb"}, ["sources", "meter-01", "meter"], "bidirectional"),
        ({"method": "metered", "methd": "x"}, ["sources", "meter-01", "methd"], "xtra"),
        ({"meter": "M-1"}, ["sources", "meter-01", "method"], "equired"),
        ({"method": "metered", "profile": "flat"}, ["sources", "meter-01", "profile"], "only a load-profile source"),
        ({"method": "load-profile", "profile": "night-owl"}, ["sources", "meter-01", "profile"], "must be one of flat"),
    ],
)  # fmt: skip
def test_a_bad_declaration_is_refused_naming_the_field_and_nothing_changes(
    service: Service, new_account: Callable[[], LocalAccount], entry: dict[str, Any], loc: list[str], says: str
) -> None:
    factory_with_months(service, new_account, FACTORY, [GRID], months=())
    assert _patch(service, {"sources": {"grid-main": {"method": "metered"}}}).status_code == 200
    before = _register_of(service)
    response = _patch(service, {"sources": {"meter-01": entry}, "province": "CN-ZJ"})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][1:] == loc, detail
    assert says in detail["msg"], detail
    assert _register_of(service) == before
    assert service.http.get(f"/factories/{FACTORY}").json()["profile"]["province"] is None


def test_declared_service_dates_excuse_months_and_the_report_names_the_declarations(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """Twelve months held. Without a register, completeness owes every source every month:
    pv-new has no record in 2025-01, -02, -03 (3 × "no records") and its April record covers only
    2025-04-15..2025-05-01, leaving 2025-04-01T00:00+08:00..2025-04-15T00:00+08:00 uncovered (1 × "gaps");
    boiler-gas has no record in 2025-10, -11, -12 (3 × "no records"): 3 + 1 + 3 = 7 findings, the
    incomplete_sources gate (max 0) fails with 7.

    With the register (pv-new in service from 2025-04-15, boiler-gas until 2025-09-30): pv-new owes
    nothing in January–March and only 2025-04-15..2025-04-30 of April, which its record covers;
    boiler-gas owes nothing in October–December: 0 findings, the gate passes with 0, and the report lists
    exactly those months as excused by the declaration. The figures do not change: the gate counts.

    Data quality: grid-main utility-attested (a reading), boiler-gas estimated (not a reading), pv-new
    metered, meter-hall-B undeclared (declared nothing: neither null nor metered).
    """
    _year(service, new_account)
    before = world.evaluate(service, FACTORY)
    gates = {g["metric"]: g for g in before["evaluation"]["gates"]}
    assert gates["incomplete_sources"]["value"] == "7" and not gates["incomplete_sources"]["passed"]
    assert sorted((f["source_id"], f["period"], f["problem"]) for f in before["evaluation"]["completeness"]["findings"]) == [
        ("boiler-gas", "2025-10", "no records"), ("boiler-gas", "2025-11", "no records"),
        ("boiler-gas", "2025-12", "no records"), ("pv-new", "2025-01", "no records"),
        ("pv-new", "2025-02", "no records"), ("pv-new", "2025-03", "no records"), ("pv-new", "2025-04", "gaps"),
    ]  # fmt: skip
    assert {s["measurement"] for s in before["data_quality"]} == {"undeclared"}
    assert before["source_register"]["version"] == 0 and before["source_register"]["excused"] == []

    assert _patch(service, {"sources": REGISTER}).status_code == 200
    declared_at = _register_of(service)["updated_at"]
    report = world.evaluate(service, FACTORY)
    ev = report["evaluation"]
    gates = {g["metric"]: g for g in ev["gates"]}
    assert ev["completeness"]["findings"] == [] and gates["incomplete_sources"]["value"] == "0"
    assert gates["incomplete_sources"]["passed"]
    assert report["totals"] == before["totals"]  # the declaration excuses months; it adds or removes nothing
    register = report["source_register"]
    assert register["excused"] == [
        {"source_id": "boiler-gas", "months": ["2025-10", "2025-11", "2025-12"], "part_months": [],
         "because": f"declared in service …..2025-09-30 (register version 1, {declared_at})"},
        {"source_id": "pv-new", "months": ["2025-01", "2025-02", "2025-03"],
         "part_months": [{"period": "2025-04", "owed": "2025-04-15..2025-04-30"}],
         "because": f"declared in service 2025-04-15..… (register version 1, {declared_at})"},
    ]  # fmt: skip
    assert register["version"] == 1 and register["updated_at"] == declared_at
    assert "admin" in register["entered_by"] and "declarations" in register["note"]
    assert register["rule_file"] == measurement_methods()[0] == "measurement-methods@1"
    assert register["sources"]["grid-main"]["declared_by"] == "Wang Fang, energy manager"
    quality = {s["source_id"]: s for s in report["data_quality"]}
    assert {k: (q["measurement"], q["measured"]) for k, q in quality.items()} == {
        "grid-main": ("utility-attested", True), "boiler-gas": ("estimated", False),
        "pv-new": ("metered", True), "meter-hall-B": ("undeclared", None),
    }  # fmt: skip
    assert quality["pv-new"]["declaration"]["in_service_from"] == "2025-04-15"
    assert quality["meter-hall-B"]["declaration"] is None
    kept = service.http.get(f"/evaluations/{before['id']}").json()
    assert kept["source_register"]["version"] == 0  # a report keeps the register it was made with

    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "<h2>Source register (the factory&#39;s declarations)</h2>" in page or \
        "<h2>Source register (the factory's declarations)</h2>" in page  # fmt: skip
    assert "2025-10, 2025-11, 2025-12" in page and "2025-04: 2025-04-15..2025-04-30" in page
    assert "Wang Fang, energy manager" in page and "undeclared" in page
    assert "estimated <small>(not a reading)</small>" in page and "utility-attested</td>" in page


def test_records_outside_the_declared_days_and_a_declared_source_that_sent_nothing_are_findings(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """The same year, with boiler-gas declared out of service after 2025-08-31 although it has a
    September record, and a declared meter that sent nothing all year:

    - boiler-gas, 2025-09: "outside service" (a record the declaration says cannot be): 1 finding;
    - meter-silent (metered, no dates: in service all year): "no records" in each of the 12 months held;

    7 - 7 excused + 1 + 12 = 13 findings; the gate fails with 13. A declaration the records contradict
    excuses nothing quietly. meter-silent gets a data-quality row of its own: 0 records, 12 months absent.
    """
    _year(service, new_account)
    changed = REGISTER | {"boiler-gas": {"method": "estimated", "in_service_until": "2025-08-31"},
                          "meter-silent": {"method": "metered"}}  # fmt: skip
    assert _patch(service, {"sources": changed}).status_code == 200
    report = world.evaluate(service, FACTORY)
    findings = report["evaluation"]["completeness"]["findings"]
    gates = {g["metric"]: g for g in report["evaluation"]["gates"]}
    assert gates["incomplete_sources"]["value"] == "13" and len(findings) == 13
    outside = [f for f in findings if f["source_id"] == "boiler-gas"]
    assert outside == [{
        "source_id": "boiler-gas", "kinds": ["natural_gas"], "period": "2025-09", "problem": "outside service",
        "detail": "boiler-gas has records in 2025-09, outside its declared service dates (…..2025-08-31)",
    }]  # fmt: skip
    silent = [f for f in findings if f["source_id"] == "meter-silent"]
    assert [f["period"] for f in silent] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert silent[0]["problem"] == "no records" and "its declaration puts in service" in silent[0]["detail"]
    row = next(s for s in report["data_quality"] if s["source_id"] == "meter-silent")
    assert (row["records"], len(row["months_absent"]), row["measurement"]) == (0, 12, "metered")


def test_part_of_a_month_in_service_is_checked_to_the_day(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """pv-new declared in service from 2025-04-20, but its April record starts 2025-04-15: the part
    2025-04-15T00:00+08:00..2025-04-20T00:00+08:00 is outside the declared days ("outside service");
    declared from 2025-04-10 instead, 2025-04-10..2025-04-15 is owed and not covered ("gaps")."""
    _year(service, new_account)
    for start, problem, detail in (
        ("2025-04-20", "outside service", "1 interval(s) outside its declared service dates (2025-04-20..…): "
                                          "2025-04-15T00:00:00+08:00..2025-04-20T00:00:00+08:00"),
        ("2025-04-10", "gaps", "1 interval(s) not covered: 2025-04-10T00:00:00+08:00..2025-04-15T00:00:00+08:00"),
    ):  # fmt: skip
        pv = {"method": "metered", "in_service_from": start}
        assert _patch(service, {"sources": REGISTER | {"pv-new": pv}}).status_code == 200
        findings = world.evaluate(service, FACTORY)["evaluation"]["completeness"]["findings"]
        assert [(f["source_id"], f["period"], f["problem"]) for f in findings] == [("pv-new", "2025-04", problem)]
        assert findings[0]["detail"] == f"pv-new in 2025-04: {detail}"


def test_migration_0015_leaves_existing_factories_with_nothing_declared(tmp_path: Path) -> None:
    """A factory stored before 0015 has no register (NULL: every source undeclared); down to 0014 and up
    again, ids that differ only in case are still one factory (SQLite rebuilds the table on the way down)."""
    assert old_factory_migrated(tmp_path, "0014")["source_register"] is None
    assert SourceRegister.from_json(None) == SourceRegister({}, 0, None)


def test_a_park_member_owes_only_its_declared_days(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    """The year above as a one-member park: undeclared, its 7 source-months (pv-new 2025-01..-04, boiler-gas
    2025-10..-12) make the verdict "incomplete"; with the register declared, none is owed, so the verdict
    is decided by the figures, not by completeness."""
    _year(service, new_account)
    body = {"factories": [FACTORY], "year": 2025, "transfers": []}
    before = service.http.post("/parks/evaluations", json=body).json()
    assert before["verdict"] == "incomplete" and len(before["incomplete_sources"][FACTORY]) == 7
    assert "pv-new 2025-04 (gaps)" in before["incomplete_sources"][FACTORY]
    assert _patch(service, {"sources": REGISTER}).status_code == 200
    after = service.http.post("/parks/evaluations", json=body).json()
    assert after["incomplete_sources"] == {} and after["verdict"] in ("pass", "fail")

"""Evaluations over HTTP, from the example factory's anchored year: computed from the chain, signed by
an evaluator, anchored under the evaluator role."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.accounting.report import report_hash
from ledger.eip712.typed_data import sign as sign_typed_data
from tests.builders import EXAMPLE_STEAM, attest, batch_json, claim_json, example_batch, register_factory, sign_report
from tests.conftest import Service
from tests.wallets import deploy_wallet

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FACTORY = "CN-JS-SZ-0001"


def month_batch(month: int, revision: int = 1, **first_record: str) -> dict[str, Any]:
    return example_batch(revision=revision, month=f"2025-{month:02d}", **first_record)


@pytest.fixture
def year(service: Service, new_account: Callable[[], LocalAccount]) -> dict[str, Any]:
    """The example year notarized and its claims made; returns the factory and evaluator keys."""
    factory, evaluator = new_account(), new_account()
    register_factory(service.http, factory, FACTORY, name="Suzhou Precision Components Co., Ltd.")
    domain = service.ledger.domain()

    def submit(data: dict[str, Any]) -> dict[str, Any]:
        response = service.http.post("/batches", json=batch_json(domain, factory, data))
        assert response.status_code == 201, response.text
        return dict(response.json())

    for month in range(1, 13):
        submit(month_batch(month))
    for name in ("gec-2025-01", "gec-2025-02-12", "ccer-2025"):
        body = claim_json(domain, factory, json.loads((EXAMPLES / "claims" / f"{name}.json").read_text()))
        response = service.http.post("/claims", json=body)
        assert response.status_code == 201 and response.json()["attestation"] == "provisional"
        attest(service.ledger, response.json()["claim_id"])
    service.ledger.grant_evaluator(evaluator.address)  # with the admin key (the test ledger has one key)
    return {"factory": factory, "evaluator": evaluator, "submit": submit}


def evaluate(service: Service, **body: Any) -> dict[str, Any]:
    response = service.http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM} | body
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_example_year_is_type_i_six_stars_and_every_number_traces(service: Service, year: dict[str, Any]) -> None:
    """Netted over the year (``annual``) the example year is 6★; by default (``claim_period``) it is not:
    tests/golden/test_row07_example_year_matching.py."""
    report = evaluate(service, matching="annual")
    assert report["status"] == "draft" and report["evaluation"]["level"] == "6★"
    assert report["matching"]["method"] == "annual"
    assert report["factor_set"]["label"] == "cn-mee-2023@1.2" and report["rule_set"]["label"] == "t-ceca-g-0171-2022@2"
    assert [p["period"] for p in report["periods"]["used"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert report["periods"]["missing"] == [] and report["double_counting"] == []
    # every line sums one source's records of one kind and unit in the month's anchored batch: the
    # counts and the activities agree with the batches the report lists, redone from their records
    for used in report["periods"]["used"]:
        records = service.http.get(f"/batches/{used['batch_id']}").json()["records"]
        sums: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
        for r in records:
            key = (r["source_id"], r["kind"], r["unit"])
            total, n = sums.get(key, (Decimal(0), 0))
            sums[key] = (total + Decimal(r["value"]), n + 1)
        lines = [ln for ln in report["lines"] if ln["period"] == used["period"]]
        for ln in lines:
            value, unit = ln["activity"].split(" ", 1)
            assert sums[(ln["source_id"], ln["category"], unit)] == (Decimal(value), ln["records"]), ln
        counted = {(ln["source_id"], ln["category"], ln["activity"].split(" ", 1)[1]) for ln in lines}
        assert counted | {k for k in sums if k[1] == "production_output"} == set(sums)
    # the totals are the sums of their lines (6-place rounding of exact sums)
    scope1 = sum(Decimal(ln["result"]) for ln in report["lines"] if ln["scope"] == "scope1")
    assert abs(scope1 - Decimal(report["totals"]["scope1"])) < Decimal("0.00001")
    # grid 16,676 MWh all covered by 800 + 15,876 GEC: market-based electricity is 0, only steam remains
    assert report["electricity"]["grid_mwh"] == "16676" and report["electricity"]["covered_mwh"] == "16676"
    steam = sum(
        Decimal(ln["result"])
        for ln in report["lines"]
        if ln["category"] == "purchased_steam" and ln["scope"] == "scope2"
    )
    assert abs(Decimal(report["totals"]["scope2_market"]) - steam) < Decimal("0.00001")
    assert report["totals"]["removals"] == "1900" and report["totals"]["offsets"] == "0"
    # every claim of the example year is eligible: the CCER is a removal by its methodology code
    assert report["eligibility"]["findings"] == [] and report["eligibility"]["rule_set"]["label"] == "eligibility-cn@1"
    (ccer,) = report["credits"]
    assert ccer["kind"] == "removal" and ccer["methodology"] == "CCER-14-001-V01" and ccer["counted"] == "1900"
    assert all(check["passed"] for e in report["certificates"] + report["credits"] for check in e["eligibility"])
    assert "0x" + report_hash(report).hex() == report["report_hash"]


def test_only_confirmed_claims_count_and_a_revoked_one_counts_for_nothing(
    service: Service, year: dict[str, Any]
) -> None:
    """The finding: any registered factory could claim another's certificates. Now a claim counts only
    once an attestor confirmed it; a provisional one is listed (or counted on request, said in the
    report); a revoked one frees its units and is gone from the evaluation."""
    claims = [c for c in service.ledger.claimed_events()]
    gec_jan = next(c["claim_id"] for c in claims if c["commit"]["blockId"].endswith("202501"))
    service.ledger.revoke_claim(gec_jan, b"\x11" * 32)  # the arbiter: the 800 January GEC were not the factory's
    body = claim_json(service.ledger, year["factory"], json.loads((EXAMPLES / "claims" / "gec-2025-01.json").read_text())
                      | {"purpose": "Scope 2 market-based claim, 2025 (resubmitted)"})  # fmt: skip
    response = service.http.post("/claims", json=body)  # the units are free: a new signed claim takes them
    assert response.status_code == 201 and response.json()["attestation"] == "provisional", response.text
    provisional = response.json()["claim_id"]

    report = evaluate(service, matching="annual")  # the year's totals, netted: 6★ only with every claim counted
    assert report["provisional_claims"] == {"claim_ids": [provisional], "counted": False}
    assert report["electricity"]["covered_mwh"] == "15876"  # January's 800 MWh are not covered
    assert report["evaluation"]["level"] != "6★" and gec_jan not in report["undisclosed_claims"]
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "not yet confirmed by an attestor" in page and str(provisional) in page

    demo = evaluate(service, count_provisional_claims=True, matching="annual")
    assert demo["provisional_claims"] == {"claim_ids": [provisional], "counted": True}
    assert demo["electricity"]["covered_mwh"] == "16676" and demo["evaluation"]["level"] == "6★"
    assert "not one a verifier would sign" in service.http.get(f"/evaluations/{demo['id']}/report.html").text

    attest(service.ledger, provisional)
    assert evaluate(service, matching="annual")["electricity"]["covered_mwh"] == "16676"


def test_an_evaluator_signs_and_the_chain_anchors_the_report(service: Service, year: dict[str, Any],
                                                             new_account: Callable[[], LocalAccount]) -> None:  # fmt: skip
    report = evaluate(service, matching="annual")  # 6★ (netted over the year) to see the level anchored
    evaluator: LocalAccount = year["evaluator"]

    def sign_as(account: LocalAccount, named: str, low_v: bool = False) -> Any:
        message = service.http.get(f"/evaluations/{report['id']}/typed-data", params={"evaluator": named}).json()
        message["message"]["reportHash"] = bytes.fromhex(message["message"]["reportHash"][2:])
        raw = sign_typed_data(account, message)
        signature = "0x" + (raw[:64] + bytes([raw[64] - 27]) if low_v else raw).hex()
        return service.http.post(
            f"/evaluations/{report['id']}/signature", json={"evaluator": named, "signature": signature}
        )

    outsider = new_account()
    refused = sign_as(evaluator, evaluator.address, low_v=True)  # v 0/1: refused as the contract refuses it
    assert refused.status_code == 422 and "v must be 27 or 28" in refused.json()["detail"][0]["msg"], refused.text
    assert sign_as(outsider, outsider.address).status_code == 403  # no evaluator role
    assert sign_as(outsider, evaluator.address).status_code == 403  # not the named evaluator's signature
    signed = sign_as(evaluator, evaluator.address)
    assert signed.status_code == 200, signed.text
    anchored = signed.json()
    assert anchored["status"] == "anchored" and anchored["evaluator"] == evaluator.address
    on_chain = service.ledger.get_report(anchored["anchor"]["report_id"])
    assert "0x" + on_chain.report_hash.hex() == report["report_hash"]
    # the example year's 6★ rests on the unconfirmed steam factor: the chain says so beside the level
    assert report["evaluation"]["level_confirmed"] is False and on_chain.level == "6★ (not confirmed)"
    assert on_chain.factor_set == "cn-mee-2023@1.2" and on_chain.evaluator == evaluator.address
    assert sign_as(evaluator, evaluator.address).json()["anchor"] == anchored["anchor"]  # idempotent
    page = service.http.get(f"/evaluations/{report['id']}/report.html")
    assert page.status_code == 200 and "6★" in page.text and anchored["anchor"]["tx_hash"] in page.text
    assert page.text.count("<svg") >= 3


def test_a_missing_month_and_a_superseded_revision_are_reported(service: Service, year: dict[str, Any]) -> None:
    year["submit"](month_batch(3, revision=2, value="1352210.8"))
    report = evaluate(service, year=2025)
    march = next(p for p in report["periods"]["used"] if p["period"] == "2025-03")
    assert march["revision"] == 2
    assert [(s["period"], s["revision"], s["superseded_by"]) for s in report["periods"]["superseded"]] == [
        ("2025-03", 1, 2)
    ]
    empty = evaluate(service, year=2024)
    assert len(empty["periods"]["missing"]) == 12 and empty["evaluation"]["level"] == "none"
    gate = next(g for g in empty["evaluation"]["gates"] if g["metric"] == "missing_months")
    assert not gate["passed"] and gate["value"] == "12"


def test_factor_sets_are_named_and_change_the_result(service: Service, year: dict[str, Any]) -> None:
    a = evaluate(service, factor_set="cn-mee-2023")
    b = evaluate(service, factor_set="cn-ets-2023")
    assert (a["factor_set"]["label"], b["factor_set"]["label"]) == ("cn-mee-2023@1.2", "cn-ets-2023@1.2")
    # location-based: 16,676 MWh × 0.5306 = 8,848.2856 vs × 0.5703 = 9,510.3228 (+ steam, the same in both)
    delta = Decimal(b["totals"]["scope2_location"]) - Decimal(a["totals"]["scope2_location"])
    assert delta == Decimal("16676") * (Decimal("0.5703") - Decimal("0.5306"))
    own = (Path(__file__).resolve().parents[1] / "ledger" / "factors" / "sets" / "cn-mee-2023.toml").read_text()
    custom = own.replace('id = "cn-mee-2023"', 'id = "my-factors"').replace('value = "0.11"', 'value = "0.09"')
    c = evaluate(service, factors_toml=custom)
    assert c["factor_set"]["id"] == "my-factors"
    assert Decimal(c["totals"]["scope2_market"]) < Decimal(a["totals"]["scope2_market"])  # steam at 0.09 tCO2/GJ
    bad = service.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I",
                                                  "factors_toml": custom.replace('value = "0.09"', "value = 0.09")})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "factors_toml"]


def test_bad_requests_name_the_field(service: Service, year: dict[str, Any]) -> None:
    for body, field in (({"type": "III"}, "type"), ({"type": "H"}, "type"),  # "H" is a matching run, not an evaluation
                        ({"year": 1999}, "year"), ({"factor_set": "nope"}, "factor_set")):  # fmt: skip
        response = service.http.post(
            "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM} | body
        )
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", field], response.text
    assert (
        service.http.post("/evaluations", json={"factory_id": "CN-NONE", "year": 2025, "type": "I"}).status_code == 404
    )
    assert service.http.get("/evaluations/nope").status_code == 404


def test_a_contract_wallet_evaluator_signs_through_its_owner(
    service: Service, year: dict[str, Any], new_account: Callable[[], LocalAccount]
) -> None:
    """An evaluator that is a contract wallet (ERC-1271) signs with its owner's key, as the contract
    accepts it; another key is refused naming the wallet."""
    owner = Account.create()
    wallet = deploy_wallet(service.w3, new_account(), owner.address)
    service.ledger.grant_evaluator(wallet)  # with the admin key (the test ledger has one key)
    report = evaluate(service)
    message = service.http.get(f"/evaluations/{report['id']}/typed-data", params={"evaluator": wallet}).json()
    message["message"]["reportHash"] = bytes.fromhex(message["message"]["reportHash"][2:])

    def sign_with(key: LocalAccount) -> Any:
        signature = "0x" + sign_typed_data(key, message).hex()
        return service.http.post(
            f"/evaluations/{report['id']}/signature", json={"evaluator": wallet, "signature": signature}
        )

    refused = sign_with(Account.create())
    assert refused.status_code == 403 and wallet in refused.json()["detail"], refused.text
    signed = sign_with(owner)
    assert signed.status_code == 200 and signed.json()["status"] == "anchored", signed.text
    assert service.ledger.get_report(signed.json()["anchor"]["report_id"]).evaluator == wallet


def test_factor_set_over_the_api_is_a_bundled_id_never_a_path(service: Service, year: dict[str, Any],
                                                              tmp_path: Path) -> None:  # fmt: skip
    """No file-existence oracle: a path to a real factor-set file, to a file that does not exist, to
    /etc/passwd or /dev/zero all get the same 422 naming factor_set and listing the bundled ids."""
    own = tmp_path / "mine.toml"
    own.write_text((EXAMPLES.parent / "ledger" / "factors" / "sets" / "cn-mee-2023.toml").read_text())
    answers = []
    for value in (str(own), str(tmp_path / "absent.toml"), "/etc/passwd", "../x.toml", "/dev/zero", "a\\b", "x.toml"):
        for path in ("/evaluations", "/parks/evaluations"):
            body = {"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM} if path == "/evaluations" else {
                "factories": [FACTORY], "year": 2025}  # fmt: skip
            started = time.monotonic()
            response = service.http.post(path, json=body | {"factor_set": value})
            assert time.monotonic() - started < 2, value  # /dev/zero is never read
            assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "factor_set"]
            answers.append(response.json())
    assert all(a == answers[0] for a in answers), answers
    assert "cn-ets-2023, cn-mee-2021, cn-mee-2022, cn-mee-2023" in answers[0]["detail"][0]["msg"]
    # a superseded version stays available: a report that names it is recomputed with its factors
    # (1.1 counts the natural gas as CO2 only; 1.2 adds its CH4 and N2O, and says which it counts)
    kept, current = evaluate(service, factor_set="cn-mee-2023@1.1"), evaluate(service, factor_set="cn-mee-2023")
    assert (kept["factor_set"]["label"], current["factor_set"]["label"]) == ("cn-mee-2023@1.1", "cn-mee-2023@1.2")
    assert kept["methodology"]["gwp_set"] is None and kept["gases"]["scope1"]["basis"] == "CO2 only"
    assert [m["kind"] for m in kept["scope1_by_gas"]["fuel_ch4_n2o_not_counted"]] == ["natural_gas"]
    assert (
        kept["scope1_by_gas"]["co2_only_tco2"] == current["scope1_by_gas"]["co2_only_tco2"] == kept["totals"]["scope1"]
    )
    assert Decimal(current["totals"]["scope1"]) > Decimal(kept["totals"]["scope1"])
    page = service.http.get(f"/evaluations/{current['id']}/report.html").text
    assert "Scope 1 by gas" in page and "CO₂ only (Chinese guidelines)" in page and "N₂O as CO₂e" in page
    old_page = service.http.get(f"/evaluations/{kept['id']}/report.html").text
    assert "CH₄ and N₂O not counted" in old_page and "cn-mee-2023@1.1 has no fuel.natural_gas.ch4" in old_page
    # the same content as text is fine; over 64 KiB, or both at once, is a 422 naming factors_toml
    assert evaluate(service, factors_toml=own.read_text())["factor_set"]["label"] == "cn-mee-2023@1.2"
    for extra in ({"factors_toml": own.read_text() + "#" * 65536}, {"factors_toml": "", "factor_set": "cn-mee-2023"}):
        response = service.http.post(
            "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM} | extra
        )
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "factors_toml"]


def test_a_park_counts_each_member_once_and_is_not_a_pass_with_months_missing(
    service: Service, year: dict[str, Any]
) -> None:
    for members in ([FACTORY] * 4, [FACTORY, FACTORY.lower()]):
        response = service.http.post(
            "/parks/evaluations", json={"factories": members, "year": 2025, "steam": EXAMPLE_STEAM}
        )
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["body", "factories", 1] and "listed more than once" in detail["msg"]
    complete = service.http.post(
        "/parks/evaluations", json={"factories": [FACTORY], "year": 2025, "steam": EXAMPLE_STEAM}
    ).json()
    assert complete["missing_months"] == {} and complete["verdict"] in ("pass", "fail")
    empty = service.http.post(
        "/parks/evaluations", json={"factories": [FACTORY], "year": 2024, "steam": EXAMPLE_STEAM}
    ).json()
    assert empty["verdict"] == "incomplete" and not empty["passed"]
    assert len(empty["missing_months"][FACTORY]) == 12 and "months without usable data" in empty["explanation"]


def _profile_body(service: Service, signer: LocalAccount, address: str, **fields: str) -> dict[str, Any]:
    """The evaluator profile ``signer`` signs for ``address`` at the version the service names."""
    typed = service.http.get(f"/evaluators/{address}/profile/typed-data", params=fields)
    assert typed.status_code == 200, typed.text
    signature = sign_typed_data(signer, typed.json())
    return fields | {"version": typed.json()["message"]["version"], "signature": "0x" + signature.hex()}


def test_the_evaluators_identity_is_signed_by_their_key_and_shown_beside_the_address(
    service: Service, year: dict[str, Any], new_account: Callable[[], LocalAccount]
) -> None:
    """Only the evaluator's own key sets their name, organisation and accreditation number; a signed
    report shows the identity it was signed with, outside the hashed content."""
    evaluator, outsider = year["evaluator"], new_account()
    who = {"name": "Li Wei", "organisation": "CQC Carbon Verification", "accreditation": "CNAS C001-M"}
    address = evaluator.address
    assert service.http.get(f"/evaluators/{address}/profile").status_code == 404
    forged = service.http.put(f"/evaluators/{address}/profile", json=_profile_body(service, outsider, address, **who))
    assert forged.status_code == 403, forged.text  # another key cannot name this address
    no_role = service.http.put(f"/evaluators/{outsider.address}/profile",
                               json=_profile_body(service, outsider, outsider.address, **who))  # fmt: skip
    assert no_role.status_code == 403 and "evaluator role" in no_role.text
    first = _profile_body(service, evaluator, address, **who)
    stored = service.http.put(f"/evaluators/{address}/profile", json=first)
    assert stored.status_code == 200 and stored.json()["version"] == 1, stored.text
    assert service.http.put(f"/evaluators/{address}/profile", json=first).status_code == 409  # no replay

    report = evaluate(service)
    anchored = sign_report(service.http, report["id"], evaluator)
    identity = anchored["evaluator_identity"]
    assert {k: identity[k] for k in who} == who and identity["version"] == 1
    assert "0x" + report_hash(anchored).hex() == report["report_hash"]  # not part of the signed content
    newer = _profile_body(service, evaluator, address, **(who | {"organisation": "Another Body"}))
    assert service.http.put(f"/evaluators/{address}/profile", json=newer).json()["version"] == 2
    kept = service.http.get(f"/evaluations/{report['id']}").json()["evaluator_identity"]
    assert kept["organisation"] == "CQC Carbon Verification"  # as it was when the report was signed
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "Li Wei · CQC Carbon Verification · accreditation CNAS C001-M" in page and address in page


def test_the_report_states_boundary_methodology_data_quality_and_every_factor(
    service: Service, year: dict[str, Any]
) -> None:
    """The example year: six sources, all twelve months each, every record citing evidence (none of the
    files uploaded here); the factors are the set's, with source, year and confirmed flag."""
    report = evaluate(service)
    assert report["boundary"]["complete"] is False  # registered without a profile: unknown, never guessed
    method = report["methodology"]
    assert any("T/CECA-G 0171-2022" in s for s in method["standards"])
    # the natural gas's CH4 and N2O (cn-mee-2023 1.2) are CO2e with the set's GWP
    assert method["gwp_set"] == "IPCC AR5 GWP-100 (CH4 28 tCO2e/tCH4, N2O 265 tCO2e/tN2O)"
    assert method["gases"]["covered"] == ["CH4", "CO2", "N2O"] and "IPCC 2006" in method["gases"]["note"]
    assert method["exclusions"] == [{"what": "Scope 3", "reason": "outside the Type I boundary (Scope 1 and 2 only)"}]
    sources = {s["source_id"]: s for s in report["data_quality"]}
    batch = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text())
    assert set(sources) == {r["source_id"] for r in batch["records"]}
    grid = sources["meter-3205-10K-0457"]
    assert grid["records"] == 12 and grid["months_absent"] == [] and len(grid["months_present"]) == 12
    assert grid["records_without_evidence"] == 0 and grid["evidence_files_held"] == 0
    assert grid["measurement"] == "undeclared" and grid["measured"] is None  # no register: declared nothing
    factors = {f["key"]: f for f in report["factors_used"]}
    assert factors["grid.national_average"]["value"] == "0.5306" and factors["grid.residual_mix"]["value"] == "0.6096"
    assert factors["grid.national_average"]["year"] == 2023 and factors["grid.national_average"]["confirmed"] is True
    assert all(f["source"] for f in factors.values())
    assert {c["project_id"] for c in report["certificates"]} == {"11320520230900017"}
    assert {c["project_id"] for c in report["credits"]} == {"CCER-14-2024-0031"}
    page = service.http.get(f"/evaluations/{report['id']}/report.html").text
    assert "CCER-14-2024-0031" in page
    for section in ("Boundary", "Methodology", "Data quality per source", "Factors used"):
        assert f"<h2>{section}</h2>" in page, section
    assert "meter-3205-10K-0457" in page and "not stated in this report" in page

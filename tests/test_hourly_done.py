"""Issue 17's "done when": the example factory's year, with its hourly meter data and its
certificates' generation profiles (examples/hourly/), matched hour by hour, scores a CFE below the
100 % that annual matching gives it, with deficit hours; anchored and matched by the service, it
scores the same, and one unit's allocation to its hours verifies against the chain (``zcl verify``,
and the bundle check the browser's /verify page ports).

Through the library, the path is the one a matching run takes (:func:`ledger.hourly.pipeline.compute`:
load → generation profiles → claim inputs → pieces → engine → summary → allocation root → run
document), fed from the example files instead of the chain: the factory's revision-2 batches, its
source register, its claims and the wind farm's two months. None of the example's claims is refused
by a double-counting finding (its only finding, the Feb–Dec claim's excess under ``claim_period``,
refuses nothing: tests/golden/test_row07_example_year_matching.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.accounting.inventory import InventoryRecord, compute_inventory
from ledger.claims import parse_claim
from ledger.claims.eligibility import assess_year
from ledger.claims.findings import ClaimedRetirement
from ledger.factors import load_factor_set
from ledger.factors.arithmetic import residual_mix
from ledger.factors.steam import parse_steam
from ledger.hourly import pipeline
from ledger.hourly.bundle import CHECK_NAMES
from ledger.hourly.model import CHINA, MWH, Span
from ledger.merkle import MerkleTree
from ledger.numbers import shown
from ledger.records import Batch, parse_batch
from tests.builders import EXAMPLE_STEAM, EXAMPLES, FACTORY_ID, sign_report
from tests.conftest import Service
from tests.hourly_example import anchor_hourly_year, batches, generate, revision_two
from tests.test_browser import CHROMIUM, browser, page, shot  # noqa: F401 (fixtures)
from tests.test_cli import base_env, zcl
from tests.test_evaluation_service import year  # noqa: F401 (the fixture)

YEAR = 2025
FACTORS = load_factor_set("cn-mee-2023")


def label(batch: Batch) -> str:
    """``factory/period/rN@0xroot``, as a run names a batch it read."""
    root = MerkleTree.build(batch.record_hashes()).root.hex()
    return f"{batch.factory_id}/{batch.period}/r{batch.revision}@0x{root}"


@functools.cache
def example_year() -> dict[str, Any]:
    """The matching run's summary of the example year, and the annual evaluation's figures beside it."""
    months = [parse_batch(batches.salted(revision_two(period))) for period in batches.MONTHS]
    records = [(name, r) for b, name in ((b, label(b)) for b in months) for r in b.records]
    site = [parse_batch(batches.salted(batches.generation_batch(p))) for p in batches.GENERATION_MONTHS]
    claims = [
        ClaimedRetirement(n, parse_claim(json.loads((EXAMPLES / "claims" / f"{name}.json").read_text())),
                          "0x" + "12" * 20, "0x" + "34" * 32)
        for n, name in enumerate(("gec-2025-01", "gec-2025-02-12", "ccer-2025"), 1)
    ]  # fmt: skip
    assessed, _ = assess_year(claims, YEAR, None)
    annual = compute_inventory(
        factory_id=FACTORY_ID, year=YEAR, records=[InventoryRecord(f"r{i}", r.period, r) for i, (_, r) in
                                                   enumerate(records)],
        claims=claims, invalid_claims=frozenset(), factors=FACTORS, eligibility=assessed, matching="annual",
        steam=parse_steam(EXAMPLE_STEAM),
    )  # fmt: skip
    register = batches.register()
    computed = pipeline.compute(
        pipeline.Inputs(
            factory_id=FACTORY_ID, year=YEAR, records=records, register=register["sources"],
            province=register["province"], claims=claims, eligibility=assessed, refused=frozenset(),
            generation=[(name, b.factory_id, r) for b, name in ((b, label(b)) for b in site) for r in b.records],
            residual_factor=residual_mix(FACTORS).exact, factor_set=f"{FACTORS.id}@{FACTORS.version}",
            annual_market_tco2=shown(annual.scope2_market_electricity), annual_renewable_share=annual.renewable_share,
        )
    )  # fmt: skip
    summary = computed.document["results"]
    return {"summary": summary, "annual": annual}


def test_the_example_year_scores_below_its_annual_hundred_percent_with_deficit_hours() -> None:
    run, annual = example_year()["summary"], example_year()["annual"]
    assert annual.renewable_share == 1 == Decimal(run["annual"]["renewable_share"])  # annual matching: 100 %
    year_cfe = Decimal(run["cfe"]["year"])
    assert 0 < year_cfe < 1
    assert run["hours"]["deficit"] > 0 and run["hours"]["scored"] == Span.year(YEAR).hours
    assert run["hours"]["unscored"] == 0  # every load source covers every hour (the office by its profile)
    # the two GEC claims supplied hours, June's only in June: other months get PV and nothing else
    used = {c["claim_id"]: c for c in run["claims"]}
    assert used[1]["usable"] and used[2]["usable"] and not used[3]["usable"]  # the CCER supplies no electricity
    assert Decimal(used[2]["matched_mwh"]) < Decimal(used[2]["offered_mwh"])
    assert Decimal(run["totals"]["unusable_excess_mwh"]) > 0
    june = run["cfe"]["months"]["2025-06"]
    assert all(
        Decimal(cfe) < Decimal(june) for m, cfe in run["cfe"]["months"].items() if m not in ("2025-01", "2025-06")
    )
    # the load is the annual accounting's consumption, to the mWh; the office meter's share is profiled
    assert Decimal(run["totals"]["load_mwh"]) == Decimal(shown(annual.electricity["total_mwh"], 9))
    assert 0 < Decimal(run["load_share"]["profiled"]) < Decimal("0.05")
    assert Decimal(run["scope2"]["market_hourly_tco2"]) > Decimal(run["scope2"]["market_annual_tco2"])


@pytest.mark.e2e  # `zcl verify` runs as a subprocess, the /verify page in Chromium
def test_the_example_year_through_the_service_scores_as_the_library_and_a_unit_verifies(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    served: Service,  # the service on uvicorn: the browser reads the chain through its /rpc
    service: Service,
    year: dict[str, Any],  # noqa: F811
    new_account: Callable[[], LocalAccount],
) -> None:
    """The same year anchored (revision 1 and the claims by the ``year`` fixture, then the register,
    revision 2 of every month and the wind farm's months signed by its own key), matched by the
    service from what is on chain: the results are the library's, and one June unit's allocation to
    its hours verifies from its bundle and the chain alone."""
    from ledger.hourly.bundle import verify_bundle

    anchor_hourly_year(service.http, service.ledger, year["factory"], new_account())
    response = service.http.post(f"/factories/{FACTORY_ID}/matching", params={"year": YEAR})
    assert response.status_code == 201, response.text
    draft = response.json()
    ours = example_year()["summary"]
    for key in ("cfe", "hours", "totals", "load_share"):
        assert draft["results"][key] == ours[key], key
    assert Decimal(draft["results"]["cfe"]["year"]) < 1 and draft["results"]["hours"]["deficit"] > 0
    sign_report(service.http, draft["id"], year["evaluator"])
    june = next(c["claim_id"] for c in draft["results"]["claims"] if Decimal(c["offered_mwh"]) == 15876)
    # a unit of the June claim that met load: one in the first June hour the run matched in full
    span, hourly = Span.year(YEAR), draft["results"]["hourly"]
    full = next(i for i, (ld, m) in enumerate(zip(hourly["load"], hourly["matched"], strict=True))
                if span.local(i).month == 6 and 0 < ld == m)  # fmt: skip
    hour = span.local(full).isoformat(timespec="minutes")
    in_hour = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": june, "hour": hour})
    assert in_hour.status_code == 200, in_hour.text
    serial = next(p["fields"]["serial"] for p in in_hour.json()["pieces"] if p["fields"]["allocated"] > 0)
    full_serial = f"{generate.PROJECT}202506{int(serial):07d}11"
    proof = service.http.get(f"/matching/{draft['id']}/proof", params={"claim": june, "serial": full_serial})
    assert proof.status_code == 200, proof.text
    bundle = proof.json()
    assert sum(p["fields"]["energy"] for p in bundle["pieces"]) == MWH
    assert any(p["fields"]["allocated"] > 0 for p in bundle["pieces"])
    assert {datetime.fromtimestamp(p["fields"]["hour_start"], timezone(CHINA)).month for p in bundle["pieces"]} == {6}
    assert verify_bundle(bundle, service.w3).valid
    (tmp_path / "unit.json").write_text(json.dumps(bundle), encoding="utf-8")
    node = ("--rpc-url", service.w3.provider.endpoint_uri, "--contract", service.ledger.address)  # type: ignore[attr-defined]
    zcl("verify", "unit.json", *node, env=base_env(LANG="C.UTF-8"), cwd=tmp_path, code=0)
    # and in the browser, from nothing but the bundle and the chain (over the service's read-only /rpc)
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed: the /verify page was not checked")
    tab = request.getfixturevalue("page")
    base = str(served.http.base_url).rstrip("/")
    verify_on_page(tab, {"base": base}, bundle, lang="zh-CN")
    assert tab.get_attribute("#verdict", "class") == "valid", tab.inner_text("#verdict")
    checks = tab.query_selector_all("li.check")
    assert [c.get_attribute("data-check") for c in checks] == list(CHECK_NAMES)
    assert all("ok" in (c.get_attribute("class") or "").split() for c in checks), [c.inner_text() for c in checks]
    # a piece whose allocation is changed by one mWh fails at the root (more than its energy would
    # already fail at "pieces"), and the signature is not reached
    tampered = json.loads(json.dumps(bundle))
    fields = tampered["pieces"][0]["fields"]
    fields["allocated"] += -1 if fields["allocated"] == fields["energy"] else 1
    verify_on_page(tab, {"base": base}, tampered, lang="zh-CN")
    assert tab.get_attribute("#verdict", "class") == "invalid"
    failed = tab.query_selector("li.check.fail")
    assert failed is not None and failed.get_attribute("data-check") == "root", tab.inner_text("#verdict")
    assert tab.inner_text("#verdict").startswith("无效：检查“证明可推到运行的根”未通过。")
    shot(tab, "verify-hourly-example-unit")


def verify_on_page(page: Any, site: dict[str, Any], bundle: dict[str, Any], lang: str = "en") -> None:  # noqa: F811
    """Pastes ``bundle`` into the /verify page and waits for its verdict."""
    page.goto(f"{site['base']}/verify?lang={lang}")
    page.fill("#bundle-input", json.dumps(bundle))
    page.click("#verify-button")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=60_000)

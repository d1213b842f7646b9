"""A buyer in a real browser (Debian's Chromium, headless, driven by Playwright) against `zcl serve`
with its own anvil: looks up a CCER block and range in Chinese, sees who claimed it, opens the
claim's page and watches the browser check the claim against the chain; and the API docs (/docs,
/redoc) render with every request to anywhere but this machine refused. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from ledger.claims import parse_claim, sign_claim
from ledger.claims.signed import sign_claim_json
from ledger.eip712.domain import LedgerDomain
from tests import test_browser
from tests.test_browser import CHROMIUM, EXAMPLES, SHOTS, shot

browser = test_browser.browser  # the same Chromium and `zcl serve`; a page fails its test on any console error
page = test_browser.page
site = test_browser.site

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]
FACTORY = "CN-FJ-0001"
CCER = json.loads((EXAMPLES / "claims" / "ccer-2025.json").read_text()) | {"factory_id": FACTORY}  # …-B03, 1..1900
CLAIM_CHECKS = ["chain", "contract", "claim", "facts", "state", "details", "transaction", "time", "signer"]


@pytest.fixture(scope="module")
def claimed(site: dict[str, Any]) -> dict[str, Any]:
    """On the browser tests' `zcl serve`: a factory of its own and its CCER claim over units 1..1900."""
    from eth_account import Account

    http, factory = site["http"], Account.create()
    registered = http.post("/factories", json={"id": FACTORY, "name": "福建示例林业碳汇有限公司",
                           "signer": factory.address}, headers=site["admin"])  # fmt: skip
    assert registered.status_code == 201, registered.text
    chain = http.get("/chain").json()
    domain = LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])
    claim = parse_claim(CCER)
    submitted = http.post("/claims", json=sign_claim_json(claim, sign_claim(factory, domain, claim), domain))
    assert submitted.status_code == 201, submitted.text
    return dict(submitted.json())


def test_a_buyer_looks_up_a_ccer_block_and_checks_the_claim_in_the_browser(
    page: Any, site: dict[str, Any], claimed: dict[str, Any]
) -> None:
    claim_id = claimed["claim_id"]
    page.goto(f"{site['base']}/certificates?lang=zh-CN")
    page.select_option("#registry", "CCER")
    # CCER has no serial: the form switches to block and range, labelled for CCER
    assert page.is_checked("#by-block") and page.is_disabled("#by-serial") and page.is_visible("#block")
    assert not page.is_visible("#serial")
    assert "核证自愿减排量" in page.inner_text("#block-label")
    page.fill("#block", CCER["block_id"])
    page.fill("#first", "1001")
    page.fill("#last", "2500")
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-result")
    assert page.get_attribute("#lookup-result", "data-claimed") == "true"
    row = page.locator(f'#lookup-claims tr[data-claim-id="{claim_id}"]')
    assert row.locator(".claimant").inner_text() == FACTORY
    assert "1001..1900" in row.inner_text() and "900 tCO2e" in row.inner_text()
    assert "1901..2500" in page.inner_text("#units-unclaimed")  # the units no one claimed
    assert page.evaluate("getComputedStyle(document.querySelector('#lookup-claims')).display") == "table"  # desktop
    assert "已注销" in page.inner_text("#lookup-result")
    shot(page, "buyer-ccer-lookup-zh")

    row.locator("a.claim-link").click()
    page.wait_for_url(f"**/claim/{claim_id}")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=30_000)
    assert page.get_attribute("#verdict", "class") == "valid", page.inner_text("main")
    checks = page.query_selector_all("li.check")
    assert [c.get_attribute("data-check") for c in checks] == CLAIM_CHECKS
    assert all(c.get_attribute("class") == "check ok" for c in checks), [c.inner_text() for c in checks]
    assert "已验证" in page.inner_text("#verdict")  # the checks speak the reader's language (the cookie)
    assert CCER["factory_id"] in page.inner_text('li.check[data-check="facts"]')
    shot(page, "buyer-claim-verified-zh")

    certificate = page.request.get(site["base"] + (page.get_attribute("#certificate-zh", "href") or ""))
    assert certificate.ok and certificate.headers["content-type"] == "application/pdf"


def test_a_page_that_misstates_the_claim_fails_its_check(
    page: Any, site: dict[str, Any], claimed: dict[str, Any]
) -> None:
    """The browser trusts the chain, not the page: a claimant changed in the page (its text and its
    data) is caught, and the chain's claimant is written in its place."""
    claim_id = claimed["claim_id"]

    def misstate(route: Any) -> None:
        html = route.fetch().text()
        route.fulfill(body=html.replace(FACTORY, "CN-SOMEONE-ELSE"), content_type="text/html; charset=utf-8")

    page.route(re.compile(rf"/claim/{claim_id}\?lang=en$"), misstate)
    page.goto(f"{site['base']}/claim/{claim_id}?lang=en")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=30_000)
    assert page.get_attribute("#verdict", "class") == "invalid"
    failed = page.query_selector("li.check.fail")
    assert failed is not None and failed.get_attribute("data-check") == "facts"
    assert "CN-SOMEONE-ELSE" in failed.inner_text() and "Not verified" in page.inner_text("#verdict")
    # what the reader is left looking at is the chain's claimant, read by the browser
    assert page.inner_text("#claimant") == FACTORY and "from-chain" in (page.get_attribute("#claimant", "class") or "")
    assert "CN-SOMEONE-ELSE" not in page.inner_text("h1")
    shot(page, "buyer-claim-misstated")


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id]")])
def test_the_api_docs_render_offline(browser: Any, site: dict[str, Any], path: str, ready: str) -> None:
    """Swagger UI and ReDoc come from this service: with every request to another host refused
    (as on a machine without internet), the docs still render the API's title and operations."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    outside: list[str] = []

    def only_this_machine(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_machine)
    docs = context.new_page()
    problems: list[str] = []
    docs.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    docs.on("pageerror", lambda exc: problems.append(str(exc)))
    docs.goto(f"{site['base']}{path}")
    docs.wait_for_selector(ready, timeout=30_000)
    text = docs.inner_text("body")
    assert "Zero-carbon ledger" in text and "/certificates/{registry}" in text, text[:2000]
    docs.screenshot(path=str(SHOTS / f"browser-docs-offline{path.replace('/', '-')}.png"))  # the first screen
    context.close()
    assert outside == [] and problems == [], (outside, problems)

"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download),
against `zcl serve` with its own anvil. Screenshots go to test-artifacts/."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.funding import fund_on_anvil
from ledger.claims import parse_claim, sign_claim
from ledger.claims.signed import sign_claim_json
from ledger.config import Settings
from ledger.eip712.domain import LedgerDomain
from ledger.records import new_salt, parse_batch
from ledger.signing import sign_batch
from tests.builders import batch_json, claim_body, claim_json, example_batch, register_factory
from tests.serving import zcl_serve
from tests.signers import anchor_then_rotate_in_one_block, first_bundle, wallet_factory
from tests.wallets import disable_wallet

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts"
EXAMPLES = ROOT / "examples"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`zcl serve` on a free port with its own anvil, holding one anchored month and one claim."""
    data = tmp_path_factory.mktemp("site")
    with zcl_serve(data / "data") as (base, token):
        yield from _site(data, base, token)


def _site(data: Path, base: str, token: str) -> Iterator[dict[str, Any]]:
    http = httpx.Client(base_url=base, timeout=60)
    factory: LocalAccount = Account.create()
    assert http.post("/factories", json={"id": "CN-JS-SZ-0001", "name": "Suzhou Precision Components Co., Ltd.",
                     "signer": factory.address}, headers={"Authorization": f"Bearer {token}"}).status_code == 201  # fmt: skip
    chain = http.get("/chain").json()
    domain = LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])
    batch_data = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text())
    for record in batch_data["records"]:
        record["salt"] = "0x" + new_salt().hex()
    batch = http.post("/batches", json=sign_batch(parse_batch(batch_data), factory, domain).to_json()).json()
    claim = parse_claim(json.loads((EXAMPLES / "claims" / "gec-2025-01.json").read_text()))
    assert (
        http.post("/claims", json=sign_claim_json(claim, sign_claim(factory, domain, claim), domain)).status_code == 201
    )
    bundle = http.get(f"/records/{batch['records'][0]['id']}/proof").json()
    chain_url = Settings.from_env({"ZCL_DATA_DIR": str(data / "data")}).endpoint_file.read_text()
    yield {"base": base, "batch": batch, "bundle": bundle, "http": http, "admin": {"Authorization": f"Bearer {token}"},
           "anvil": json.loads(chain_url)["rpc_url"]}  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()
    assert problems == [], problems  # no console errors on any page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"browser-{name}.png"), full_page=True)


def verify(page: Any, site: dict[str, Any], bundle: dict[str, Any]) -> None:
    page.goto(f"{site['base']}/verify")
    page.fill("#bundle-input", json.dumps(bundle))
    page.click("#verify-button")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=30_000)


def test_a_valid_bundle_turns_every_check_green(page: Any, site: dict[str, Any]) -> None:
    """Through the service's read-only proxy: the page never talks to the local anvil itself."""
    chain_requests: list[str] = []
    page.on("request", lambda r: chain_requests.append(r.url) if r.method == "POST" else None)
    verify(page, site, site["bundle"])
    assert set(chain_requests) == {f"{site['base']}/rpc"}, chain_requests
    anvil_port = site["anvil"].rsplit(":", 1)[1]
    assert anvil_port not in page.content()
    assert page.get_attribute("#verdict", "class") == "valid"
    checks = page.query_selector_all("li.check")
    names = [c.get_attribute("data-check") for c in checks]
    assert names[:5] == ["bundle", "record", "record_hash", "leaf", "root"] and "signature" in names
    assert all("ok" in (c.get_attribute("class") or "").split() for c in checks), [c.inner_text() for c in checks]
    shot(page, "verify-valid")


def test_a_tampered_bundle_turns_the_failing_check_red(page: Any, site: dict[str, Any]) -> None:
    tampered = copy.deepcopy(site["bundle"])
    tampered["record"]["value"] = "1286420.5"
    verify(page, site, tampered)
    assert page.get_attribute("#verdict", "class") == "invalid"
    failed = page.query_selector("li.check.fail")
    assert failed is not None and failed.get_attribute("data-check") == "record_hash"
    assert page.query_selector('li.check[data-check="signature"]').get_attribute("class").split()[-1] == "skipped"
    shot(page, "verify-tampered")


def test_verify_by_record_id(page: Any, site: dict[str, Any]) -> None:
    record_id = site["batch"]["records"][3]["id"]
    page.goto(f"{site['base']}/verify?record={record_id}")
    assert page.input_value("#record-id") == record_id
    page.click("#verify-button")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=30_000)
    assert page.get_attribute("#verdict", "class") == "valid"


def test_certificate_lookup_claimed_and_unclaimed(page: Any, site: dict[str, Any]) -> None:
    page.goto(f"{site['base']}/certificates")
    page.select_option("#registry", "GEC")
    page.fill("#serial", "11320520230900017202501000450011")
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-result")
    assert page.get_attribute("#lookup-result", "data-claimed") == "true"
    assert "CN-JS-SZ-0001" in page.inner_text("main") and "2025-01" in page.inner_text("main")
    # the signed eligibility facts: where the power was generated and the retirement statement's number
    assert "CN · CN-JS" in page.inner_text("main") and "GEC-ZX-2025-1218-000431" in page.inner_text("main")
    shot(page, "certificate-claimed")
    page.fill("#serial", "11320520230900017202501009999911")
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-result")
    assert page.get_attribute("#lookup-result", "data-claimed") == "false"
    shot(page, "certificate-unclaimed")


def test_factory_and_batch_pages_on_a_phone(browser: Any, site: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(f"{site['base']}/factory/CN-JS-SZ-0001")
    assert "2025-01" in phone.inner_text("main")
    shot(phone, "phone-factory")
    phone.click('a[href^="/batch/"]')
    phone.wait_for_url("**/batch/**")
    assert phone.inner_text("main").count("proven against chain") == 6
    # the page is no wider than the phone: tables scroll inside their wrapper
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shot(phone, "phone-batch")
    phone.goto(f"{site['base']}/")
    assert "CN-JS-SZ-0001" in phone.inner_text("main")
    context.close()
    assert errors == []


def test_same_block_rotations_and_wallet_signers_are_valid_in_the_browser(page: Any, site: dict[str, Any]) -> None:
    """The browser checks the signer the contract recorded for the anchor: a rotation later in the
    anchor's block changes nothing, and a contract wallet is asked through ERC-1271 (eth_call)."""
    http, admin = site["http"], site["admin"]
    config = json.loads(re.search(r'<script id="zcl-config"[^>]*>(.*?)</script>', http.get("/verify").text, re.S)[1])
    assert config["rpcUrl"] == "/rpc"  # the page is given the proxy; the test sets up through anvil itself
    w3 = Web3(Web3.HTTPProvider(site["anvil"], request_kwargs={"timeout": 30}))
    chain = http.get("/chain").json()
    domain = LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])

    key = Account.create()
    register_factory(http, key, "CN-ROTATE-0001", "Rotating works", admin)
    rotated = anchor_then_rotate_in_one_block(http, w3, domain, "CN-ROTATE-0001", key, Account.create().address)

    deployer = Account.create()
    fund_on_anvil(w3, deployer.address)
    owner, wallet = wallet_factory(http, w3, deployer, "CN-WALLET-0001", admin)
    submitted = http.post("/batches", json=batch_json(domain, owner, example_batch("CN-WALLET-0001")))
    assert submitted.status_code == 201, submitted.text
    claimed = http.post("/claims", json=claim_json(domain, owner, claim_body("CN-WALLET-0001", 1, 100)))
    assert claimed.status_code == 201 and claimed.json()["signer"] == wallet, claimed.text
    by_wallet = first_bundle(http, submitted.json())

    for name, bundle, said in (("rotated", rotated, "same block"), ("wallet", by_wallet, "ERC-1271")):
        verify(page, site, bundle)
        assert page.get_attribute("#verdict", "class") == "valid", page.inner_text("main")
        assert said in page.inner_text('li.check[data-check="signature"]')
        shot(page, f"verify-{name}")
    disable_wallet(w3, deployer, wallet)
    verify(page, site, by_wallet)
    assert page.get_attribute("#verdict", "class") == "invalid"
    assert page.query_selector("li.check.fail").get_attribute("data-check") == "signature"


def test_the_pages_run_under_their_content_security_policy(page: Any, site: dict[str, Any]) -> None:
    """The CSP forbids inline script: the pages still work (the page fixture fails on any console
    error, which is where a blocked script or style is reported), and Enter in the record field,
    once an inline ``onsubmit``, does not leave the page."""
    for path in ("/", "/factory/CN-JS-SZ-0001", "/certificates", "/verify"):
        response = page.goto(f"{site['base']}{path}")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
    assert page.evaluate("typeof window.zcl") == "object"  # /static/zcl.js ran
    page.fill("#record-id", "no-such-record")
    page.press("#record-id", "Enter")
    page.wait_for_timeout(300)
    assert page.url == f"{site['base']}/verify"
    page.goto(f"{site['base']}/verify")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.pwned=1\">')")
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None  # an injected handler does not run
    page.problems.clear()  # the refused handler is reported on the console, as it should be
    page.goto(f"{site['base']}/docs")  # Swagger UI, from this origin, under the same CSP
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    assert "/batches" in page.inner_text("#swagger-ui")

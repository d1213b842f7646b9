"""A signed matching claim verified on the /verify page in a real browser (Debian's Chromium), against
`zcl serve` with its own anvil, over the service's read-only RPC proxy.

The run is anchored here, as the evaluator would: the example GEC claim retired on chain, pieces of
it allocated to hours, the allocation tree's root in the run
document, the document's hash signed by an evaluator and anchored as an "H" report.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.claims import parse_claim
from ledger.config import Settings
from ledger.hourly import leaves
from ledger.hourly.bundle import CHECK_NAMES, allocation_bundle, verify_bundle
from ledger.hourly.model import MWH, PieceKind
from ledger.hourly.run import report_commit
from tests.serving import ZCL, clean_env, zcl_serve
from tests.test_browser import CHROMIUM, browser, page, shot  # noqa: F401 (fixtures)
from tests.test_hourly_proof import SPAN, claim, document, result

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]
ROOT = Path(__file__).resolve().parents[1]
FACTORY = "CN-JS-SZ-0001"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("hourly") / "data"
    with zcl_serve(data) as (base, token):
        http = httpx.Client(base_url=base, timeout=60)
        factory, evaluator = Account.create(), Account.create()
        assert http.post("/factories", json={"id": FACTORY, "name": "Suzhou Precision Components Co., Ltd.",
                         "signer": factory.address}, headers={"Authorization": f"Bearer {token}"}).status_code == 201  # fmt: skip
        subprocess.run([ZCL, "evaluator", "grant", evaluator.address], env=clean_env(data), check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        chain = http.get("/chain").json()
        rpc = json.loads(Settings.from_env({"ZCL_DATA_DIR": str(data)}).endpoint_file.read_text())["rpc_url"]
        w3 = Web3(Web3.HTTPProvider(rpc))
        relayer = Account.create()
        fund_on_anvil(w3, relayer.address)
        ledger = LedgerClient(w3, chain["contract"], relayer)
        retirement = parse_claim(json.loads((ROOT / "examples" / "claims" / "gec-2025-01.json").read_text()))
        claim_id, _ = ledger.claim_retirement(retirement, retirement.sign(factory, ledger.domain()))
        held = claim(claim_id, retirement.serial_start, "GEC", retirement.block_id)
        hour = SPAN.index(1735693200 + 3600 * 24 * 3)  # 2025-01-04 09:00 +08:00
        run = result((held,), [
            (0, 0, hour, MWH, MWH, PieceKind.WHOLE),
            (0, 1, hour + 1, 300_000_000, 300_000_000, PieceKind.REMAINDER),
            (0, 1, hour + 2, 700_000_000, 100_000_000, PieceKind.FILLER),
        ])  # fmt: skip
        tree = leaves.allocation_tree(run, FACTORY)
        doc = document(tree.root, 3, "0.874512", FACTORY)
        commit = report_commit(doc, evaluator.address)
        signature = commit.sign(evaluator, ledger.domain())
        report_id, tx = ledger.anchor_report(commit, signature)
        anchor = {"report_id": report_id, "tx_hash": tx.tx_hash, "chain_id": chain["chain_id"],
                  "contract": chain["contract"], "evaluator": evaluator.address}  # fmt: skip
        pieces = [(leaves.leaf_fields(run, FACTORY, i), leaves.allocation_proof(tree, i)) for i in range(3)]
        bundle = json.loads(json.dumps(allocation_bundle(doc, signature, anchor, held, pieces)))
        assert verify_bundle(bundle, w3, expected_contract=chain["contract"]).valid  # the Python verifier agrees
        served = http.post("/verify", json=bundle).json()  # and the service's
        assert served["valid"] and [c["name"] for c in served["checks"]] == list(CHECK_NAMES), served
        yield {"base": base, "bundle": bundle}


def verify_on_page(page: Any, site: dict[str, Any], bundle: dict[str, Any], lang: str = "en") -> None:  # noqa: F811
    page.goto(f"{site['base']}/verify?lang={lang}")
    page.fill("#bundle-input", json.dumps(bundle))
    page.click("#verify-button")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=60_000)


def test_a_matching_claim_verifies_on_the_verify_page(page: Any, site: dict[str, Any]) -> None:  # noqa: F811
    chain_requests: list[str] = []
    page.on("request", lambda r: chain_requests.append(r.url) if r.method == "POST" else None)
    verify_on_page(page, site, site["bundle"])
    assert set(chain_requests) == {f"{site['base']}/rpc"}, chain_requests
    assert page.get_attribute("#verdict", "class") == "valid", page.inner_text("#verdict")
    checks = page.query_selector_all("li.check")
    assert [c.get_attribute("data-check") for c in checks] == list(CHECK_NAMES)
    assert all("ok" in (c.get_attribute("class") or "").split() for c in checks), [c.inner_text() for c in checks]
    report = site["bundle"]["anchor"]["report_id"]
    assert page.inner_text("#verdict").startswith(
        f"Valid: the pieces are allocated in matching run {report} of {FACTORY} 2025"
    )
    assert "1400000000 mWh allocated" in page.inner_text('li.check[data-check="pieces"]')
    shot(page, "verify-hourly-valid")


def test_a_changed_piece_fails_the_root_check_in_chinese(page: Any, site: dict[str, Any]) -> None:  # noqa: F811
    tampered = copy.deepcopy(site["bundle"])
    tampered["pieces"][2]["fields"]["allocated"] = 700_000_000  # claim the whole filler
    verify_on_page(page, site, tampered, lang="zh-CN")
    assert page.get_attribute("#verdict", "class") == "invalid"
    failed = page.query_selector("li.check.fail")
    assert failed is not None and failed.get_attribute("data-check") == "root"
    assert page.inner_text("#verdict").startswith("无效：检查“证明可推到运行的根”未通过。")
    assert page.query_selector('li.check[data-check="signature"]').get_attribute("class").split()[-1] == "skipped"
    shot(page, "verify-hourly-tampered")

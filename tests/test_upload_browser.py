"""The factory's upload page in a real browser (Debian's Chromium via Playwright, against `zcl serve`
with its own anvil), as a person who reads Chinese uses it: choose the EMS export, map its columns,
preview (a file with a bad row names the row and the column), attach a bill, sign with the key file
`zcl key new` made — decrypted in the page — submit, and follow a proof link that verifies.

Every request the page makes is recorded: neither the password, nor the private key, nor the key
file's text travels in any of them, and localStorage holds mappings only. The signature the page
sent is the one ledger.signing makes in Python for the same batch. Screenshots for the README's
guide go to test-artifacts/guide-upload-*-zh.png."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.eip712.domain import LedgerDomain
from ledger.keys import load_key_file
from ledger.records import parse_batch
from ledger.signing import sign_batch
from tests.serving import ZCL, clean_env, zcl_serve
from tests.test_browser import CHROMIUM, EXAMPLES, SHOTS, browser  # noqa: F401 - the module's browser fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]
FACTORY = "CN-JS-SZ-0001"
PASSWORD = "correct horse battery staple 电表"
TEMPLATES = Path(__file__).resolve().parents[1] / "examples" / "import-templates"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`zcl serve` with its own anvil, the example factory registered with a key from `zcl key new`."""
    data = tmp_path_factory.mktemp("upload")
    keystore = data / "suzhou.json"
    env = clean_env(data / "data") | {"ZCL_KEY_PASSWORD": PASSWORD}
    made = subprocess.run(
        [ZCL, "key", "new", "--out", str(keystore)], env=env, capture_output=True, text=True, check=True
    )
    address = made.stdout.split()[-1]
    with zcl_serve(data / "data") as (base, token):
        http = httpx.Client(base_url=base, timeout=60)
        registered = http.post("/factories", json={"id": FACTORY, "name": "苏州精密零部件有限公司", "signer": address},
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert registered.status_code == 201, registered.text
        yield {"base": base, "http": http, "keystore": keystore, "address": address, "tmp": data}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 - the browser fixture of tests.test_browser
    """A zh-CN reader's page; every request it sends is kept (URL, headers and body)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})  # fmt: skip
    context.add_init_script(RECORD_BODIES)
    page = context.new_page()
    problems: list[str] = []
    sent: list[tuple[str, str, bytes]] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("request", lambda r: sent.append((r.url, json.dumps(r.headers), r.post_data_buffer or b"")))
    page.problems = problems  # type: ignore[attr-defined]
    page.sent = sent  # type: ignore[attr-defined]
    yield page
    context.close()
    assert problems == [], problems


# Playwright sees no body of a request whose body is a Blob or a FormData with files, so the page's
# own hand-over to the network is recorded too: every body given to XMLHttpRequest.send or fetch,
# read out in full (strings, Blobs and each FormData entry, files included).
RECORD_BODIES = """
(() => {
  const log = (window.__bodies = []);
  const read = async (body) => {
    if (body === undefined || body === null) return '';
    if (typeof body === 'string') return body;
    if (body instanceof Blob) return await body.text();
    if (body instanceof FormData) {
      const parts = [];
      for (const [name, value] of body.entries()) parts.push(name + '=' + (typeof value === 'string' ? value : await value.text()));
      return parts.join('\\n');
    }
    return String(body);
  };
  const send = XMLHttpRequest.prototype.send;
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) { this.__url = String(url); return open.call(this, method, url, ...rest); };
  XMLHttpRequest.prototype.send = function (body) { log.push(read(body).then((text) => [this.__url, text])); return send.call(this, body); };
  const fetch = window.fetch;
  window.fetch = function (input, init = {}) { log.push(read(init.body).then((text) => [String(input.url || input), text])); return fetch.call(this, input, init); };
})();
"""


def bodies(page: Any) -> list[tuple[str, str]]:
    """Every request body the page handed to the network, as text, with its URL."""
    return [tuple(item) for item in page.evaluate("Promise.all(window.__bodies)")]


def shot(page: Any, step: int | str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"guide-upload-{step}-zh.png"), full_page=True)


def sign_and_submit(page: Any, site: dict[str, Any], signed_shot: int | str) -> dict[str, Any]:
    """Sign with the key file and its password, submit, and wait for the anchor; returns what the
    page sent to POST /batches (the signed batch, from its NDJSON lines)."""
    page.set_input_files("#keystore-file", str(site["keystore"]))
    page.fill("#password", PASSWORD)
    page.click("#sign-button")
    page.wait_for_selector("#sign-status.ok, #sign-status.fail", timeout=180_000)
    assert "ok" in page.get_attribute("#sign-status", "class"), page.inner_text("#sign-status")
    assert page.input_value("#password") == ""  # the password is not kept in the form either
    shot(page, signed_shot)
    page.click("#submit-button")
    page.wait_for_selector("#submit-status.ok, #submit-status.fail", timeout=120_000)
    assert "ok" in page.get_attribute("#submit-status", "class"), page.inner_text("#submit-status")
    page.wait_for_selector("#step-result:not([hidden]) a.proof-link", timeout=60_000)
    posted = [body for url, body in bodies(page) if url.endswith("/batches")]
    assert len(posted) == 1
    envelope, *records = (json.loads(line) for line in posted[0].splitlines())
    return envelope | {"records": records}


def assert_no_secret_left_the_page(page: Any, site: dict[str, Any], uploaded: bool = True) -> None:
    """No request carried the password, the key (in any spelling) or the key file; storage holds no key."""
    key = load_key_file(site["keystore"], PASSWORD).key.hex()
    keystore_text = site["keystore"].read_text()
    ciphertext = json.loads(keystore_text)["crypto"]["ciphertext"]
    secrets = [PASSWORD, key, key.upper(), keystore_text.strip(), ciphertext]
    handed = bodies(page)
    assert page.sent and (not uploaded or any(url.endswith("/evidence") for url, _ in handed)), "not recorded"
    for url, headers, body in page.sent:
        text = url + headers + body.decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in text, f"a secret travelled in a request to {url}"
    for url, body in handed:
        for secret in secrets:
            assert secret not in body, f"a secret was in the body sent to {url}"
    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))") + page.evaluate(
        "JSON.stringify(Object.entries(sessionStorage))"
    )
    for secret in secrets:
        assert secret not in stored
    assert all(k.startswith("zcl-upload-mapping:") for k, _ in json.loads(page.evaluate(
        "JSON.stringify(Object.entries(localStorage))")))  # fmt: skip


def assert_python_signs_the_same(site: dict[str, Any], sent: dict[str, Any]) -> None:
    chain = site["http"].get("/chain").json()
    domain = LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])
    batch = {k: sent[k] for k in ("factory_id", "period", "revision", "uri", "records")}
    python = sign_batch(parse_batch(batch), load_key_file(site["keystore"], PASSWORD), domain).to_json()
    assert (sent["root"], sent["signature"]) == (python["root"], python["signature"])
    assert sent["signer"] == site["address"] == python["signer"]


def verify_first_proof(page: Any) -> None:
    page.click("a.proof-link >> nth=0")
    page.wait_for_url("**/verify?record=*")
    page.click("#verify-button")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=60_000)
    assert page.get_attribute("#verdict", "class") == "valid", page.inner_text("main")


def test_a_batch_json_is_signed_in_the_page_and_anchored(page: Any, site: dict[str, Any]) -> None:
    """Records already made (a batch.json, as `zcl batch import` writes): evidence, sign, submit."""
    page.goto(f"{site['base']}/upload?factory={FACTORY}")
    page.set_input_files("#data-file", str(EXAMPLES / "2025-02" / "batch.json"))
    page.wait_for_selector("#preview-status.ok")
    assert page.input_value("#period") == "2025-02" and page.input_value("#revision") == "1"
    bill = EXAMPLES / "2025-02" / "evidence" / "state-grid-bill-2025-02.pdf"
    page.set_input_files("#evidence-files", str(bill))
    page.wait_for_selector("#evidence-list tr")
    page.select_option("#evidence-list select.cited-by", "meter-3205-10K-0457")
    sent = sign_and_submit(page, site, signed_shot="json-signed")
    assert_python_signs_the_same(site, sent)
    grid = [r for r in sent["records"] if r["source_id"] == "meter-3205-10K-0457"]
    assert grid and all(r["salt"].startswith("0x") and len(r["salt"]) == 66 for r in sent["records"])
    sha = grid[0]["evidence"][0]["sha256"]
    meta = site["http"].get(f"/evidence/{sha}/meta").json()
    assert meta["present"] is True and meta["file_name"] == bill.name  # uploaded once the batch was stored
    assert page.locator("a.proof-link").count() == len(sent["records"])
    assert_no_secret_left_the_page(page, site)
    verify_first_proof(page)


def test_a_wrong_key_file_or_password_is_refused_in_the_page(page: Any, site: dict[str, Any]) -> None:
    page.goto(f"{site['base']}/upload?factory={FACTORY}")
    page.set_input_files("#data-file", str(EXAMPLES / "2025-03" / "batch.json"))
    page.wait_for_selector("#preview-status.ok")
    page.set_input_files("#keystore-file", str(site["keystore"]))
    page.fill("#password", "not the password")
    page.click("#sign-button")
    page.wait_for_selector("#sign-status.fail", timeout=180_000)
    assert "密码错误" in page.inner_text("#sign-status")
    other = site["tmp"] / "other.json"
    env = clean_env(site["tmp"] / "data") | {"ZCL_KEY_PASSWORD": PASSWORD}
    subprocess.run([ZCL, "key", "new", "--out", str(other)], env=env, check=True, capture_output=True)
    page.set_input_files("#keystore-file", str(other))
    page.fill("#password", PASSWORD)
    page.click("#sign-button")
    page.wait_for_selector("#sign-status.fail:has-text('签名人')", timeout=30_000)
    assert page.is_disabled("#submit-button")
    assert not [url for url, _, _ in page.sent if url.endswith("/batches")]
    assert_no_secret_left_the_page(page, site, uploaded=False)


def test_a_chinese_reader_uploads_the_ems_export_end_to_end(page: Any, site: dict[str, Any]) -> None:
    from ledger.imports import load_mapping_text, templates
    from ledger.imports.mapping import to_json

    sample = (TEMPLATES / "ems-15min" / "sample.csv").read_bytes()
    good = site["tmp"] / "ems-2025-01.csv"
    good.write_bytes(sample)
    lines = sample.split(b"\n")
    lines[4] = lines[4].replace(b",", b",abc", 1)  # row 5, column B: not a number
    bad = site["tmp"] / "ems-2025-01-bad.csv"
    bad.write_bytes(b"\n".join(lines))

    page.goto(f"{site['base']}/factory/{FACTORY}")
    page.click("#upload-link")
    page.wait_for_url(f"**/upload?factory={FACTORY}")
    assert "上传月度数据" in page.inner_text("h1")
    page.fill("#period", "2025-01")
    page.select_option("#template", "template:ems-15min")
    page.set_input_files("#data-file", str(bad))
    page.wait_for_selector("#step-mapping:not([hidden]) #mapping-rows tr")
    assert page.locator("#mapping-rows tr").count() == 3  # the CSV's header, read in the page
    assert page.input_value('#mapping-rows tr[data-column="时间"] select.role') == "time"
    shot(page, 1)

    with page.expect_download() as download:
        page.click("#download-toml")
    toml = Path(download.value.path()).read_text(encoding="utf-8")
    shipped = next(tpl for tpl in templates() if tpl.name == "ems-15min").mapping
    assert to_json(load_mapping_text(toml)) == to_json(shipped) | {"factory_id": FACTORY}  # what the CLI reads

    page.click("#preview-button")
    page.wait_for_selector("#preview-status.fail", timeout=60_000)
    bad_row = page.locator('tr.row-error[data-row="5"][data-column="B"]')
    assert bad_row.count() == 1 and "abc" in bad_row.inner_text() and "ems-2025-01-bad.csv" in bad_row.inner_text()
    assert page.is_hidden("#step-sign")  # nothing is signed while rows are refused
    shot(page, 2)

    page.set_input_files("#data-file", str(good))
    page.click("#preview-button")
    page.wait_for_selector("#preview-status.ok", timeout=60_000)
    assert page.locator("tr.row-error").count() == 0
    assert "62" in page.inner_text("#preview-status")  # two meters × 31 days
    assert "52" in page.inner_text("#preview-records tr.more")  # the first ten shown
    assert "1286420.4" in page.inner_text("#preview-summary")
    saved = json.loads(page.evaluate(f"localStorage.getItem('zcl-upload-mapping:{FACTORY}:ems-15min')"))
    assert saved["columns"][0]["source_id"] == "meter-3205-10K-0457"  # kept for this factory and source
    later = page.context.new_page()  # the next visit offers it, under its source name
    later.goto(f"{site['base']}/upload?factory={FACTORY}")
    later.wait_for_selector('#template option[value="saved:ems-15min"]', state="attached")
    later.close()
    shot(page, 3)

    bill = EXAMPLES / "2025-01" / "evidence" / "state-grid-bill-2025-01.pdf"
    page.set_input_files("#evidence-files", str(bill))
    page.wait_for_selector("#evidence-list tr")
    shot(page, 4)
    sent = sign_and_submit(page, site, signed_shot=5)
    assert "已上链" in page.inner_text("#submit-status")
    assert page.inner_text("#anchor-tx").startswith("0x") and page.inner_text("#anchor-block").isdigit()
    shot(page, 6)

    assert_python_signs_the_same(site, sent)
    assert len(sent["records"]) == 62 and sent["period"] == "2025-01"
    cited = {e["file_name"]: e["sha256"] for r in sent["records"] for e in r["evidence"]}
    assert set(cited) == {good.name, bill.name}  # the export itself (cite_file) and the attached bill
    for name, sha in cited.items():
        meta = site["http"].get(f"/evidence/{sha}/meta").json()
        assert meta["present"] is True and meta["file_name"] == name
    assert page.locator("a.proof-link").count() == 62
    assert_no_secret_left_the_page(page, site)
    verify_first_proof(page)
    shot(page, 7)


def test_a_workbook_s_columns_are_read_in_the_page_and_edited(page: Any, site: dict[str, Any]) -> None:
    """An XLSX's header row (row 3 of sheet 产量) is listed as a CSV's is; a source id edited in the
    table is the mapping the preview uses."""
    page.goto(f"{site['base']}/upload?factory={FACTORY}&period=2025-01")
    page.select_option("#template", "template:production-sheet")
    page.set_input_files("#data-file", str(TEMPLATES / "production-sheet" / "sample.xlsx"))
    page.wait_for_selector("#mapping-rows tr")
    columns = page.eval_on_selector_all("#mapping-rows tr", "rows => rows.map(r => r.dataset.column)")
    assert columns == ["日期", "CNC-A产量(吨)", "CNC-B产量(吨)", "STAMP-1产量(吨)", "合计(吨)", "备注"]
    total = '#mapping-rows tr[data-column="合计(吨)"]'
    assert page.input_value(f"{total} select.role") == "value"
    page.fill(f"{total} input.source-id", "production-all-lines")
    page.dispatch_event(f"{total} input.source-id", "change")
    assert json.loads(page.input_value("#mapping-json"))["columns"][0]["source_id"] == "production-all-lines"
    page.click("#preview-button")
    page.wait_for_selector("#preview-status.ok", timeout=60_000)
    assert page.inner_text("#preview-records tr.record td >> nth=0") == "production-all-lines"


def test_the_page_is_linked_and_configured_for_the_factory_only(site: dict[str, Any]) -> None:
    """The page carries the factory's registered signer and the chain's domain (what the script
    checks a key file against and signs for); an unknown factory is a 404."""
    page = site["http"].get(f"/upload?factory={FACTORY}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "上传月度数据" in page.text
    config = json.loads(re.search(r'<script id="upload-config"[^>]*>(.*?)</script>', page.text, re.S)[1])
    chain = site["http"].get("/chain").json()
    assert config["signer"] == site["address"] and config["factoryId"] == FACTORY
    assert (config["chainId"], config["contract"]) == (chain["chain_id"], chain["contract"])
    assert f'href="/upload?factory={FACTORY}"' in site["http"].get(f"/factory/{FACTORY}").text
    assert site["http"].get("/upload?factory=CN-NOPE-0001").status_code == 404


def test_the_upload_page_fits_a_phone(browser: Any, site: dict[str, Any]) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})  # fmt: skip
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(f"{site['base']}/upload?factory={FACTORY}&period=2025-01")
    phone.select_option("#template", "template:ems-15min")
    phone.set_input_files("#data-file", str(TEMPLATES / "ems-15min" / "sample.csv"))
    phone.wait_for_selector("#mapping-rows tr")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # tables scroll in their wrapper
    shot(phone, "phone")
    context.close()
    assert errors == []

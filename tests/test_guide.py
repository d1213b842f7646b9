"""The README's user guide, lived by people who read only Chinese (issue 16's "done when").

One service (`zcl serve`, its own anvil) and one story, in order:

1. the energy manager notarizes January from the EMS's CSV export on the upload page — mapped with
   the shipped template, signed in the browser with the factory's key file — and adds the month's
   other sources as revision 2 (a correction is a new revision), then the rest of the year with the
   CLI, which answers in Chinese (``LANG=zh_CN.UTF-8``);
2. claims the year's green certificates (GEC) and CCER credits, each with its cancellation statement
   (``zcl claim submit --evidence``), which the attestor confirms;
3. the evaluator evaluates the year and anchors the report; the factory page lists it, and the PDF
   downloaded from the report page carries the factory's Chinese name and 范围一;
4. a buyer looks the CCER block up on the certificates page and checks the claim in the browser.

Screenshots for the README's guide: test-artifacts/guide-zh-*.png.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.serving import ZCL, clean_env, zcl_serve
from tests.test_browser import CHROMIUM, EXAMPLES, SHOTS, browser  # noqa: F401 - the module's browser fixture
from tests.test_upload_browser import RECORD_BODIES, sign_and_submit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]
FACTORY = "CN-JS-SZ-0001"
NAME = "苏州精密零部件有限公司"
PASSWORD = "correct horse battery staple 电表"
TEMPLATES = Path(__file__).resolve().parents[1] / "examples" / "import-templates"
CLAIMS = EXAMPLES / "claims"
STATEMENTS = {
    "gec-2025-01": "gec-cancellation-statement-2025.pdf",
    "gec-2025-02-12": "gec-cancellation-statement-2025-02-12.pdf",
    "ccer-2025": "ccer-cancellation-statement-2025.pdf",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The service, and the shell of a person whose locale is Chinese, pointed at it."""
    data = tmp_path_factory.mktemp("guide")
    with zcl_serve(data / "data") as (base, _token):
        env = clean_env(data / "data") | {"LANG": "zh_CN.UTF-8", "ZCL_API_URL": base, "ZCL_KEY_PASSWORD": PASSWORD}
        yield {"base": base, "env": env, "tmp": data, "http": httpx.Client(base_url=base, timeout=120)}


def zcl(world: dict[str, Any], *args: str) -> str:
    done = subprocess.run([ZCL, *args], env=world["env"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"zcl {' '.join(args)}: {done.stderr}{done.stdout}"
    return done.stdout


def shot(page: Any, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"guide-zh-{name}.png"), full_page=full_page)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 - the browser fixture of tests.test_browser
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})  # fmt: skip
    context.add_init_script(RECORD_BODIES)  # what sign_and_submit reads the submitted batch from
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield page
    context.close()
    assert problems == [], problems


def test_a_chinese_reader_notarizes_claims_evaluates_and_a_buyer_checks(page: Any, world: dict[str, Any]) -> None:
    tmp = world["tmp"]
    keystore = tmp / "suzhou.json"
    zcl(world, "key", "new", "--out", str(keystore))
    address = zcl(world, "key", "address", str(keystore)).strip().split()[-1]
    registered = zcl(world, "factory", "register", "--id", FACTORY, "--name", NAME, "--signer", address)
    assert NAME in registered and "签名者" in registered  # the CLI answers in the reader's language

    # 1. January from the EMS export, on the upload page, signed in the browser
    page.goto(f"{world['base']}/factory/{FACTORY}")
    assert NAME in page.inner_text("h1")
    page.click("#upload-link")
    page.wait_for_url(f"**/upload?factory={FACTORY}")
    page.fill("#period", "2025-01")
    page.select_option("#template", "template:ems-15min")
    page.set_input_files("#data-file", str(TEMPLATES / "ems-15min" / "sample.csv"))
    page.wait_for_selector("#step-mapping:not([hidden]) #mapping-rows tr")
    page.click("#preview-button")
    page.wait_for_selector("#preview-status.ok", timeout=60_000)
    shot(page, "1-preview")
    page.set_input_files("#evidence-files", str(EXAMPLES / "2025-01" / "evidence" / "state-grid-bill-2025-01.pdf"))
    page.wait_for_selector("#evidence-list tr")
    site = {"keystore": keystore, "http": world["http"]}
    sent = sign_and_submit(page, site | {"address": address}, signed_shot="guide-signed")
    assert sent["period"] == "2025-01" and sent["revision"] == 1
    assert "已上链" in page.inner_text("#submit-status")
    shot(page, "2-anchored")

    # ... the month's other sources as revision 2, and the rest of the year, with the CLI
    january = json.loads((EXAMPLES / "2025-01" / "batch.json").read_text(encoding="utf-8")) | {"revision": 2}
    (tmp / "2025-01").mkdir()
    (tmp / "2025-01" / "batch.json").write_text(json.dumps(january, ensure_ascii=False), encoding="utf-8")
    for month, batch in [("01", tmp / "2025-01" / "batch.json")] + [
        (f"{m:02d}", EXAMPLES / f"2025-{m:02d}" / "batch.json") for m in range(2, 13)
    ]:
        signed = tmp / f"signed-2025-{month}.json"
        zcl(world, "batch", "sign", str(batch), "--key", str(keystore), "--out", str(signed))
        said = zcl(
            world, "batch", "submit", str(signed), "--evidence-dir", str(EXAMPLES / f"2025-{month}" / "evidence")
        )
        # the data lines stay as scripts read them (`awk '/^batch/'`); what is said to the person is Chinese
        assert said.startswith("batch ") and " anchored " in said.splitlines()[0], said
        assert "已上传佐证材料" in said, said

    # 2. the year's certificates and credits, each with its cancellation statement
    for name, statement in STATEMENTS.items():
        signed = tmp / f"claim-{name}.json"
        zcl(world, "claim", "sign", str(CLAIMS / f"{name}.json"), "--key", str(keystore), "--out", str(signed))
        claim = json.loads(zcl(world, "claim", "submit", str(signed), "--evidence", str(CLAIMS / statement), "--json"))
        zcl(world, "claim", "confirm", str(claim["claim_id"]), "--statement", str(CLAIMS / statement))

    # 3. the evaluator evaluates the year and anchors the report
    evaluator = tmp / "evaluator.json"
    zcl(world, "key", "new", "--out", str(evaluator))
    zcl(world, "evaluator", "grant", zcl(world, "key", "address", str(evaluator)).strip().split()[-1])
    zcl(world, "evaluator", "profile", "--key", str(evaluator), "--name", "李伟", "--organisation", "示例认证有限公司",
        "--accreditation", "CNAS C000-M")  # fmt: skip
    evaluated = zcl(world, "evaluate", "--factory", FACTORY, "--year", "2025", "--type", "I", "--matching", "annual",
                    "--steam", "meter-steam-ST-2210=1.0:saturated", "--key", str(evaluator),
                    "--out", str(tmp / "report-2025.html"))  # fmt: skip
    assert "范围一" in evaluated, evaluated
    listed = world["http"].get(f"/factories/{FACTORY}/evaluations").json()
    assert [e["status"] for e in listed] == ["anchored"] and listed[0]["factor_set"]

    page.goto(f"{world['base']}/factory/{FACTORY}")
    page.wait_for_selector("#evaluations")
    assert "已上链" in page.inner_text("#evaluations")
    shot(page, "3-factory")
    page.click(f'#evaluations a[href="/evaluations/{listed[0]["id"]}/report.html"]')
    page.wait_for_url("**/report.html")
    shot(page, "4-report", full_page=False)  # its first screen: the report runs to many
    pdf_link = page.get_attribute("a[href$='report.pdf?lang=zh-CN']", "href")
    assert pdf_link is not None
    pdf = page.request.get(world["base"] + pdf_link)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert NAME in text and "范围一" in text and listed[0]["report_hash"] in text.replace("\n", "")

    # 4. a buyer checks the CCER block the factory retired
    ccer = json.loads((CLAIMS / "ccer-2025.json").read_text(encoding="utf-8"))
    page.goto(f"{world['base']}/certificates")
    page.select_option("#registry", "CCER")
    page.fill("#block", ccer["block_id"])
    page.fill("#first", ccer["serial_start"])
    page.fill("#last", ccer["serial_end"])
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-result")
    assert page.get_attribute("#lookup-result", "data-claimed") == "true"
    assert "已注销" in page.inner_text("#lookup-result")
    assert FACTORY in page.inner_text("#lookup-claims")
    shot(page, "5-buyer")
    page.click("#lookup-claims a.claim-link >> nth=0")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=60_000)
    assert page.get_attribute("#verdict", "class") == "valid", page.inner_text("main")
    shot(page, "6-claim-verified")

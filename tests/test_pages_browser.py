"""The factory dashboard, the park page and the verify page in a real browser (Debian's Chromium via
Playwright, against `zcl serve`), in Chinese and English, on a phone (390 × 844) and a desktop: the
key figures appear formatted for the reader, nothing is wider than the screen, a copy button copies
the whole hash, and a superseded revision is shown as such. Screenshots for the README's user guide
go to test-artifacts/ (guide-*.png)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from eth_account import Account

from ledger.claims import parse_claim, sign_claim
from ledger.claims.signed import sign_claim_json
from ledger.eip712.domain import LedgerDomain
from tests.builders import EXAMPLE_STEAM, batch_json, example_batch
from tests.golden.monthly import month_batch
from tests.serving import zcl_serve
from tests.test_browser import CHROMIUM, EXAMPLES, SHOTS, browser  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]
FACTORY, NEIGHBOUR = "CN-JS-SZ-0001", "CN-JS-SZ-0002"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
LANGUAGES = {"zh": "zh-CN,zh;q=0.9", "en": "en-GB,en;q=0.9"}


def _neighbour_month(month: int) -> list[tuple[str, str, str, str]]:
    """A big neighbour: with it the park uses over 200,000 tce a year, the first band's floor."""
    return [("grid-main", "grid_electricity", f"{150_000_000 + 500_000 * month}", "kWh"),
            ("gas-boiler", "natural_gas", f"{640_000 + 1000 * month}", "Nm3")]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`zcl serve` holding the example factory's year (March corrected after its evaluation, so that
    report is stale), its claims, and a neighbour factory: a park of two."""
    with zcl_serve(tmp_path_factory.mktemp("dashboard") / "data") as (base, token):
        yield from _site(base, {"Authorization": f"Bearer {token}"})


def _site(base: str, admin: dict[str, str]) -> Iterator[dict[str, Any]]:
    http = httpx.Client(base_url=base, timeout=120)
    chain = http.get("/chain").json()
    domain = LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])
    keys = {FACTORY: Account.create(), NEIGHBOUR: Account.create()}
    names = {FACTORY: "苏州精密零部件有限公司", NEIGHBOUR: "苏州园区热电有限公司"}
    for factory_id, key in keys.items():
        body = {"id": factory_id, "name": names[factory_id], "signer": key.address}
        assert http.post("/factories", json=body, headers=admin).status_code == 201

    def submit(data: dict[str, Any], key: Any) -> dict[str, Any]:
        response = http.post("/batches", json=batch_json(domain, key, data))
        assert response.status_code == 201, response.text
        return dict(response.json())

    batches = {m: submit(example_batch(FACTORY, month=f"2025-{m:02d}"), keys[FACTORY]) for m in range(1, 13)}
    for m in range(1, 13):
        submit(month_batch(NEIGHBOUR, f"2025-{m:02d}", _neighbour_month(m)), keys[NEIGHBOUR])
    for name in ("gec-2025-01", "gec-2025-02-12", "ccer-2025"):
        claim = parse_claim(json.loads((EXAMPLES / "claims" / f"{name}.json").read_text()))
        signed = sign_claim_json(claim, sign_claim(keys[FACTORY], domain, claim), domain)
        assert http.post("/claims", json=signed).status_code == 201
    evaluated = http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM}
    )
    assert evaluated.status_code == 201, evaluated.text
    march = example_batch(FACTORY, 2, month="2025-03", value="1300000.0")  # the main meter's reading corrected
    submit(march, keys[FACTORY])
    superseded = http.get(f"/records/{batches[3]['records'][1]['id']}/proof").json()
    months = [march if m == 3 else example_batch(FACTORY, month=f"2025-{m:02d}") for m in range(1, 13)]
    yield {"base": base, "http": http, "evaluation": evaluated.json(), "superseded_bundle": superseded,
           "electricity_mwh": _electricity_mwh(months)}  # fmt: skip


def _electricity_mwh(months: list[dict[str, Any]]) -> Decimal:
    kinds = ("grid_electricity", "onsite_renewable_self_consumed")
    kwh = sum(Decimal(r["value"]) for batch in months for r in batch["records"] if r["kind"] in kinds)
    return kwh / 1000


def _page(browser: Any, lang: str, device: dict[str, Any], **options: Any) -> tuple[Any, Any, list[str]]:  # noqa: F811
    context = browser.new_context(**device, extra_http_headers={"Accept-Language": LANGUAGES[lang]},
                                  locale="zh-CN" if lang == "zh" else "en-GB", **options)  # fmt: skip
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return context, page, problems


def _no_horizontal_overflow(page: Any) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"the page is {width}px wide on a {inner}px screen"


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_factory_dashboard_shows_formatted_figures(
    browser: Any,  # noqa: F811
    site: dict[str, Any],
    lang: str,
    device: str,
) -> None:
    context, page, problems = _page(browser, lang, PHONE if device == "phone" else DESKTOP)
    page.goto(f"{site['base']}/factory/{FACTORY}?year=2025")
    main = page.inner_text("main")
    total = f"{site['electricity_mwh'].quantize(Decimal('0.1')):,} MWh"  # grouped, one decimal
    assert page.inner_text('#totals [data-figure="electricity_mwh"]') == total
    exact = page.get_attribute('#totals [data-figure="electricity_mwh"] .figure', "title")
    assert exact is not None and Decimal(exact.split()[0]) == site["electricity_mwh"]  # the exact value on hover
    words = {
        "zh": ("范围一", "可再生能源电力占比", "已过时", "因子集"),
        "en": ("Scope 1", "Renewable share", "STALE", "Factor set"),
    }
    for word in words[lang]:
        assert word in main or word in page.content(), word
    stale = page.locator(f'#evaluations tr[data-id="{site["evaluation"]["id"]}"]')
    assert "stale-row" in (stale.get_attribute("class") or "") and "2025-03" in stale.inner_text()
    assert page.locator("#months tbody tr").count() == 12 and page.locator("#anchored tr.superseded-row").count() == 1
    assert page.locator("svg.chart").count() == 3
    claims = page.locator("#claims tbody tr")
    assert claims.count() == 3 and claims.first.get_attribute("data-state") == "provisional"  # none attested yet
    assert f"{4800 - 4001 + 1:,}" in claims.first.inner_text()  # the units of serials 4001..4800
    assert "0x" not in page.inner_text("#year")  # figures, not hashes
    _no_horizontal_overflow(page)
    if device == "desktop":
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"guide-factory-{lang}.png"), full_page=True)
    else:
        page.screenshot(path=str(SHOTS / f"browser-phone-factory-{lang}.png"), full_page=True)
    context.close()
    assert problems == []


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_park_page_shows_the_indicator_against_its_band(
    browser: Any,  # noqa: F811
    site: dict[str, Any],
    lang: str,
    device: str,
) -> None:
    park = site["http"].post("/parks/evaluations", json={"factories": [FACTORY, NEIGHBOUR], "year": 2025,
                                                         "steam": EXAMPLE_STEAM}).json()  # fmt: skip
    context, page, problems = _page(browser, lang, PHONE if device == "phone" else DESKTOP)
    page.goto(f"{site['base']}/park")
    page.fill("#park-factories", f"{FACTORY}, {NEIGHBOUR}")
    page.fill("#park-year", "2025")
    page.click("#park-button")
    page.wait_for_selector("#park-figures")
    intensity = Decimal(park["intensity"]).quantize(Decimal("0.001"))
    assert page.inner_text('#park-figures [data-figure="intensity"]') == f"{intensity} tCO2/tce"
    assert page.get_attribute("#park-verdict", "data-verdict") == park["verdict"]
    energy = Decimal(park["energy_tce"]).quantize(Decimal("0.1"))
    assert page.inner_text('#park-figures [data-figure="energy"]') == f"{energy:,} tce"
    assert page.locator("#members tbody tr").count() == 2
    assert 200_000 <= Decimal(park["energy_tce"]) < 1_000_000  # the first band: at most 0.20 tCO2/tce
    assert page.inner_text('#park-figures [data-figure="band"]') == "≤ 0.20 tCO2/tce"
    assert ("零碳园区" if lang == "zh" else "Zero-carbon park") in page.inner_text("main")
    _no_horizontal_overflow(page)
    if device == "desktop" and lang == "zh":
        page.screenshot(path=str(SHOTS / "guide-park-zh.png"), full_page=True)
    context.close()
    assert problems == []


def test_a_copy_button_copies_the_whole_hash(browser: Any, site: dict[str, Any]) -> None:  # noqa: F811
    context, page, problems = _page(browser, "en", DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{site['base']}/factory/{FACTORY}")
    cell = page.locator("#anchored tbody tr").first.locator(".hash").first
    short = cell.locator("code.short").inner_text()
    full = cell.locator("button.copy").get_attribute("data-copy")
    assert full is not None and len(full) == 66 and short == f"{full[:6]}…{full[-4:]}"
    cell.locator("button.copy").click()
    page.wait_for_function("document.querySelector('#anchored button.copy.done') !== null")
    assert page.evaluate("navigator.clipboard.readText()") == full
    context.close()
    assert problems == []


def test_without_the_clipboard_the_whole_hash_is_selected(browser: Any, site: dict[str, Any]) -> None:  # noqa: F811
    context, page, problems = _page(browser, "zh", PHONE)
    page.goto(f"{site['base']}/factory/{FACTORY}")
    page.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined})")  # no Clipboard API
    button = page.locator("#anchored tbody tr").first.locator("button.copy").first
    full = button.get_attribute("data-copy")
    button.click()
    assert page.evaluate("String(window.getSelection())") == full
    context.close()
    assert problems == []


def test_the_verify_page_explains_the_checks_and_marks_a_superseded_revision(
    browser: Any,  # noqa: F811
    site: dict[str, Any],
) -> None:
    context, page, problems = _page(browser, "zh", DESKTOP)
    page.goto(f"{site['base']}/verify")
    page.fill("#bundle-input", json.dumps(site["superseded_bundle"]))
    page.click("#verify-button")
    page.wait_for_selector("#verdict.valid, #verdict.invalid", timeout=30_000)
    assert page.get_attribute("#verdict", "class") == "valid"
    banner = page.locator("#superseded")
    assert banner.is_visible() and "被第 2 版取代" in banner.inner_text()
    assert banner.locator("a").get_attribute("href") == f"/factory/{FACTORY}?year=2025#anchors"
    signature = page.locator('li.check[data-check="signature"]')
    assert "工厂已签名" in signature.inner_text() and "本服务不可能伪造" in signature.inner_text()
    assert page.locator("li.check.ok").count() == page.locator("li.check").count() >= 11
    page.screenshot(path=str(SHOTS / "guide-verify-zh.png"), full_page=True)
    tampered = json.loads(json.dumps(site["superseded_bundle"]))
    tampered["record"]["value"] = "36903.0"  # one digit changed
    page.fill("#bundle-input", json.dumps(tampered))
    page.click("#verify-button")
    page.wait_for_selector("#verdict.invalid", timeout=30_000)
    failed = page.locator("li.check.fail")
    assert failed.get_attribute("data-check") == "record_hash" and not banner.is_visible()
    assert failed.locator(".meaning").inner_text() == "若失败：记录在求哈希后被改动：其数字不是上链时的数字。"
    assert page.inner_text("#verdict").startswith("无效：检查“记录可算出其哈希”未通过。")
    context.close()
    assert problems == []

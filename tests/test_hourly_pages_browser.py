"""A matching run's page and the factory page's hourly section in a real browser (Debian's Chromium via
Playwright, against the app under uvicorn), in Chinese and English, on a phone (390 × 844) and a
desktop: the headline, the heat-map and the monthly chart are shown, nothing is wider than the screen,
and the page raises no console error (its CSP allows the heat-map's data: raster)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.reports.hourly_charts import percent_down
from ledger.store import evaluations as rows
from tests.builders import FACTORY_ID
from tests.conftest import Service
from tests.hourly_page_builders import run_document
from tests.test_browser import CHROMIUM, SHOTS, browser  # noqa: F401 (the fixture)
from tests.test_hourly_pages import _store
from tests.test_pages_browser import DESKTOP, PHONE, _no_horizontal_overflow, _page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./scripts/setup installs it)"),
]


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_run_page_and_the_factory_section_fit_the_screen(
    browser: Any,  # noqa: F811
    served: Service,
    factory: LocalAccount,
    new_account: Callable[[], LocalAccount],
    lang: str,
    device: str,
) -> None:
    document = run_document(FACTORY_ID)
    run_id = _store(served, document, rows.ANCHORED)
    base = str(served.http.base_url).rstrip("/")
    context, page, problems = _page(browser, lang, PHONE if device == "phone" else DESKTOP)
    page.goto(f"{base}/matching/{run_id}")
    headline = page.inner_text("#headline [data-cfe]")
    shown = percent_down(document["results"]["cfe"]["year"])
    assert headline == (f"{shown}%" if lang == "zh" else f"{shown} %"), headline
    assert ("逐时（24/7）匹配运行" if lang == "zh" else "Hourly (24/7) matching run") in page.text_content("main")
    assert page.locator("figure.chart svg").count() == 2
    box = page.locator("figure.chart svg").first.bounding_box()
    assert box is not None and box["width"] > 300  # the heat-map is drawn at the page's width
    assert page.locator("tr[data-period]").count() == 12
    _no_horizontal_overflow(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"browser-{device}-matching-{lang}.png"), full_page=True)
    page.goto(f"{base}/factory/{FACTORY_ID}")
    assert page.locator("#hourly .hourly-charts svg").count() == 2
    assert page.get_attribute("#hourly-run-link", "href") == f"/matching/{run_id}"
    _no_horizontal_overflow(page)
    assert problems == [], problems
    context.close()

"""The PDF report an evaluator hands over, and Chinese in its charts.

The example factory's year is notarized over real anvil under a Chinese name, evaluated by the
service, and fetched as a PDF through the API (``?lang=``, ``Accept-Language``) and ``zcl evaluation
pdf`` against the service under uvicorn; the text is read back with pypdf. Units check the font the
charts draw Chinese with, and the shortfall wording on figures built to miss a threshold narrowly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from eth_account.signers.local import LocalAccount
from matplotlib import font_manager
from pypdf import PdfReader

from ledger.i18n import translator
from ledger.reports.charts import draw_charts
from ledger.reports.fonts import CJK_FAMILY, ensure_cjk_font
from ledger.reports.html import render_html
from ledger.reports.pdf import SECTIONS
from ledger.reports.reading import indicator, next_level_gaps
from tests.builders import EXAMPLE_STEAM, attest, batch_json, claim_json, example_batch, register_factory
from tests.conftest import Service
from tests.test_report_html import make_report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ZCL = Path(sys.executable).with_name("zcl")
FACTORY = "CN-JS-SZ-0001"
NAME = "苏州精密零部件有限公司"
needs_cjk = pytest.mark.skipif(ensure_cjk_font() is None, reason=f"{CJK_FAMILY} is not installed (./scripts/setup)")


def _chart_warnings(report: dict[str, Any], fonts: list[str] | None = None) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fonts is None:
            draw_charts(report, translator("zh-CN").gettext)
        else:  # the charts as they were drawn before: matplotlib's own font only
            with matplotlib.rc_context({"font.family": fonts}):
                from ledger.reports import charts

                charts._chart_emissions(report, translator("zh-CN").gettext)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@needs_cjk
def test_charts_draw_a_chinese_factory_name_with_noto_sans_cjk() -> None:
    report = make_report("draft", factory_name=NAME)
    found = font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILY), fallback_to_default=False)
    assert "NotoSansCJK" in Path(found).name
    assert _chart_warnings(report) == []  # every glyph of the name and the zh-CN labels was found
    # the same chart with DejaVu Sans alone misses the glyphs: the check above can fail
    assert any("苏" in w or "32" in w for w in _chart_warnings(report, ["DejaVu Sans"]))
    svg = draw_charts(report, translator("zh-CN").gettext)[0]
    assert 'aria-label="各月分范围排放"' in svg


def _outcome(threshold: str, passed: bool, metric: str = "renewable_share") -> dict[str, Any]:
    return {"metric": metric, "threshold": threshold, "passed": passed, "value": "100.00 %", "confirmed": True}


def test_a_narrow_miss_is_said_with_its_shortfall_and_never_rounded_onto_the_threshold() -> None:
    report = {"electricity": {"renewable_mwh": "16675.955", "total_mwh": "16676"}}
    en = indicator(_outcome("≥ 100 %", False), report, translator("en").gettext)
    assert en["value"] == "99.99 %"  # 99.99973 %: not "100.00 %"
    assert en["shortfall"] == "renewable share 99.99 %: 0.045 MWh short of 100 %"
    zh = indicator(_outcome("≥ 100 %", False), report, translator("zh-CN").gettext)
    assert zh["shortfall"] == "可再生能源电力占比 99.99 %：距 100 % 还差 0.045 MWh"
    assert indicator(_outcome("≥ 80 %", True), report, translator("en").gettext)["shortfall"] is None
    neutral = {"totals": {"offsets": "100", "removals": "899.5"}, "evaluation": {"remaining_emissions": "1000"}}
    short = indicator(_outcome("≥ 100 %", False, "neutralisation_share"), neutral, translator("en").gettext)
    assert short["shortfall"] == "neutralisation share 99.95 %: 0.50 tCO₂e short of 100 %"
    months = indicator({"metric": "missing_months", "threshold": "≤ 0", "passed": False, "value": "2"}, {},
                       translator("en").gettext)  # fmt: skip
    assert months["shortfall"] == "missing months 2: 2 more than the 0 allowed"


def test_the_html_headline_is_rounded_and_names_what_the_next_level_lacks() -> None:
    report = make_report("draft")
    page = render_html(report)
    head = page[page.index('<section id="summary">') : page.index('<section id="charts">')]
    assert not re.search(r">\s*-?[\d,]+\.\d{4,}", head), "a headline figure with more than 3 places"
    scope1 = Decimal(report["totals"]["scope1"]).quantize(Decimal("0.01"))
    assert f"{scope1:,} tCO₂e" in head and f'title="{report["totals"]["scope1"]}"' in head
    gaps = next_level_gaps(report, translator("en").gettext)
    assert gaps["level"] == "3★" and gaps["gaps"]
    for gap in gaps["gaps"]:
        assert gap in page
    assert "missing months 1: 1 more than the 0 allowed" in gaps["gaps"]
    chinese = render_html(report, "zh-CN")
    assert "范围一" in chinese and '<html lang="zh-CN">' in chinese


@pytest.fixture
def chinese_year(served: Service, new_account: Callable[[], LocalAccount]) -> dict[str, Any]:
    """The example year notarized under a Chinese name, its claims made and attested, and evaluated
    netted over the year (``annual``, 6★ as it is) with 45 kWh more grid use in January than the
    bill: the certificates no longer cover it all, and the year misses 6★ by 0.045 MWh."""
    factory = new_account()
    register_factory(served.http, factory, FACTORY, name=NAME)
    domain = served.ledger.domain()
    for month in range(1, 13):
        data = example_batch(month=f"2025-{month:02d}", **({"value": "1286465.4"} if month == 1 else {}))
        response = served.http.post("/batches", json=batch_json(domain, factory, data))
        assert response.status_code == 201, response.text
    for name in ("gec-2025-01", "gec-2025-02-12", "ccer-2025"):
        body = claim_json(domain, factory, json.loads((EXAMPLES / "claims" / f"{name}.json").read_text()))
        response = served.http.post("/claims", json=body)
        assert response.status_code == 201, response.text
        attest(served.ledger, response.json()["claim_id"])
    response = served.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I",
                                                      "steam": EXAMPLE_STEAM, "matching": "annual"})  # fmt: skip
    assert response.status_code == 201, response.text
    return dict(response.json())


def _pages(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _contents(pages: list[str], titles: list[str]) -> dict[str, int]:
    """The contents page's entries: each section title with the page number it gives."""
    toc = _flat(pages[1])
    found = {}
    for title in titles:
        m = re.search(re.escape(title) + r" ?\.+ ?(\d+)", toc)
        assert m, f"{title!r} not in the contents: {toc[:400]}"
        found[title] = int(m.group(1))
    return found


@needs_cjk
def test_the_pdf_report_in_chinese_and_english(chinese_year: dict[str, Any], served: Service, tmp_path: Path) -> None:
    report = chinese_year
    six = next(lv for lv in report["evaluation"]["levels"] if lv["level"] == "6★")
    share = next(r for r in six["rules"] if r["metric"] == "renewable_share")
    assert not share["passed"] and report["evaluation"]["level"] == "5★"
    e = report["electricity"]
    short = (Decimal(e["total_mwh"]) - Decimal(e["renewable_mwh"])).quantize(Decimal("0.001"), ROUND_CEILING)
    assert short == Decimal("0.045")
    timings = {}
    for lang, title_of in (("zh-CN", translator("zh-CN").gettext), ("en", translator("en").gettext)):
        started = time.perf_counter()
        response = served.http.get(f"/evaluations/{report['id']}/report.pdf", params={"lang": lang})
        timings[lang] = time.perf_counter() - started
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert f"{report['id']}-{lang}.pdf" in response.headers["content-disposition"]
        reader, pages = _pages(response.content)
        first = _flat(pages[0])
        # page one is the level card: the factory's Chinese name, the level, every indicator
        assert NAME in first and title_of("Level reached") in first and title_of("Key indicators") in first
        assert "达到等级" in first and "Level reached" in first  # its headings in both languages
        assert f"{short:,} MWh" in first, first
        sentence = title_of(
            "%(indicator)s %(value)s: %(amount)s short of %(target)s",
            indicator=title_of("renewable share"),
            value="99.99 %",
            amount="0.045 MWh",
            target="100 %",
        )
        assert sentence in first and "100.00 %" not in first  # 99.9997 %: never rounded onto the threshold
        assert title_of("Page %(page)s of %(pages)s", page=1, pages=len(pages)) in first
        assert report["report_hash"][:40] in first.replace(" ", "")  # the footer: report hash
        # the contents: every section, with the page its heading is on; bookmarks for each
        titles = [title_of(t) for _, t in SECTIONS]
        for title, number in _contents(pages, titles).items():
            assert any(line.strip() == title for line in pages[number - 1].splitlines()), (title, number)
        outline = [item.title for item in reader.outline if not isinstance(item, list)]
        assert set(titles) <= set(outline)
        # the appendix: exact values as the report states them
        appendix = _flat(" ".join(pages[_contents(pages, titles)[titles[-1]] - 1 :]))
        for exact in (
            report["totals"]["scope1"],
            report["electricity"]["renewable_mwh"],
            report["totals"]["energy_tce"],
        ):
            assert exact in appendix.replace(" ", "") or exact in appendix, exact
        if lang == "zh-CN":
            assert "范围一" in first and "碳排放" in first
            assert "范围一" in " ".join(pages)
        else:
            assert "Scope 1" in first and "Emissions" in first
    # no ?lang= (and no language cookie from the requests above): the Accept-Language header chooses
    served.http.cookies.clear()
    chosen = served.http.get(f"/evaluations/{report['id']}/report.pdf", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chosen.status_code == 200 and "zh-CN.pdf" in chosen.headers["content-disposition"]
    assert "达到等级" in _flat(_pages(chosen.content)[1][0]).split("Level reached")[0]
    # the HTML report links to the PDF
    page = served.http.get(f"/evaluations/{report['id']}/report.html", params={"lang": "en"}).text
    assert f'href="/evaluations/{report["id"]}/report.pdf?lang=en"' in page
    assert f"{short:,} MWh short of 100 %" in page
    # zcl evaluation pdf writes the same document
    out = tmp_path / "out" / "report.pdf"
    env = {**os.environ, "ZCL_API_URL": str(served.http.base_url), "LANG": "zh_CN.UTF-8"}
    done = subprocess.run([str(ZCL), "evaluation", "pdf", report["id"], "-o", str(out)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert NAME in _pages(out.read_bytes())[1][0] and "达到等级" in _pages(out.read_bytes())[1][0]
    assert "zh-CN" in done.stdout and not list(out.parent.glob(".*partial"))
    missing = subprocess.run([str(ZCL), "evaluation", "pdf", "no-such-id", "-o", str(tmp_path / "x.pdf"), "--lang",
                              "en"], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode != 0 and "404" in missing.stderr and not (tmp_path / "x.pdf").exists()
    print(f"\nPDF render over HTTP: {', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}")

"""Issue 17, item 5: what people read of an hourly matching run — the heat-map and monthly chart, the
run's page and PDF, and the factory page's section — in English and Chinese, from a run shaped as
design items 6 and 8 have it (:mod:`tests.hourly_page_builders`: a day and a night shift, a solar
certificate with noon excess and night deficits, a 36-hour meter gap, a 48-hour shutdown)."""

from __future__ import annotations

import json
import re
import time
import tomllib
import uuid
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.routing import APIRoute
from pypdf import PdfReader

from ledger.i18n import translator
from ledger.reports.fonts import cjk_font_files
from ledger.reports.hourly_charts import CMAP, GAP_RGBA, SCALE, draw_hourly_charts, hour_grid, percent_down
from ledger.reports.hourly_view import annual_matching_share, build_matching_view, matching_html, matching_summary
from ledger.reports.pdf import matching_pdf
from ledger.store import evaluations as rows
from ledger.store.models import EvaluationRow
from tests.builders import FACTORY_ID
from tests.conftest import Service
from tests.golden.monthly import month_batch, submit
from tests.hourly_page_builders import GAP, HOURS, SHUTDOWN, START, created, results, run_document

ZH, EN = translator("zh-CN").gettext, translator("en").gettext
needs_cjk = pytest.mark.skipif(not cjk_font_files(), reason="Noto Sans CJK SC is not installed")


def _comments(svg: str) -> list[str]:
    """The texts matplotlib drew (as glyph paths), which it writes beside them as comments."""
    return re.findall(r"<!-- (.*?) -->", svg)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.unit
def test_the_heatmap_lays_out_every_hour_and_counts_gaps_and_hours_without_load_apart() -> None:
    r = results()
    grid = hour_grid(r)
    assert grid.days == 365 and grid.count(0) == 0  # 2025 from local midnight: every cell is an hour
    assert grid.count(1) == r["hours"]["unscored"] == 36  # the meter gap
    assert grid.count(2) == 48  # the shutdown: scored, no load, not 0 %
    assert grid.count(3) == HOURS - 36 - 48
    gap_day = (GAP[0].date() - START.date()).days
    assert grid.gap_runs() == [(gap_day, 5, 19), (gap_day + 1, 0, 17)]  # 05:00 to 17:00 next day
    image = grid.rgba()
    assert image.shape == (24 * SCALE, 365 * SCALE, 4)
    assert tuple(image[5 * SCALE, gap_day * SCALE]) == GAP_RGBA
    shut = (SHUTDOWN[0].date() - START.date()).days
    assert tuple(image[3 * SCALE, shut * SCALE]) == (1.0, 1.0, 1.0, 1.0)
    june = 170
    assert np.allclose(image[12 * SCALE, june * SCALE], CMAP(1.0))  # solar noon: load fully matched
    assert np.allclose(image[2 * SCALE, june * SCALE], CMAP(0.0))  # night: nothing matched, a deficit hour


@pytest.mark.unit
@needs_cjk
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_charts_in_both_languages_name_gaps_in_the_legend_and_stay_small(lang: str) -> None:
    t = translator(lang).gettext
    r = results()
    started = time.process_time()
    heatmap, monthly = draw_hourly_charts(r, t, annual_share="0.565916", subtitle="苏州精密零部件有限公司")
    spent = time.process_time() - started
    texts = _comments(heatmap)
    assert t("unscored hours (gaps, not 0 %%): %(n)s", n="36") in texts
    assert t("hours without load: %(n)s", n="48") in texts
    assert t("CFE score of each hour, %(year)s", year=2025) in texts and t("Hour of the day") in texts
    assert [t(m) for m in ("Jan", "Jun", "Dec")] == [x for x in texts if x in {t("Jan"), t("Jun"), t("Dec")}]
    assert "<image" in heatmap and heatmap.count("<image") == 2  # the hours and the colour scale: rasters
    months = _comments(monthly)
    assert t("annual matching of the same supply: %(share)s %%", share="56.59") in months
    assert t("CFE score of the year: %(share)s %%", share=percent_down(r["cfe"]["year"])) in months
    assert "苏州精密零部件有限公司" in " ".join(months)
    if lang == "zh-CN":
        assert "未计分小时（数据缺口，不计为 0%）：36" in texts and "3月" in texts
    assert len(heatmap.encode()) < 150_000 and len(monthly.encode()) < 150_000, (len(heatmap), len(monthly))
    assert spent < 3.0, spent  # ~0.7 s of CPU for both on this machine; a rectangle per hour took seconds


@pytest.mark.unit
def test_a_month_without_a_scored_hour_is_a_hatched_slot_not_a_zero_bar() -> None:
    r = results()
    r["months"]["2025-02"]["cfe"] = None
    _heat, monthly = draw_hourly_charts(r)
    assert "no scored hour with load" in _comments(monthly)
    labels = [c for c in _comments(monthly) if re.fullmatch(r"\d+\.\d", c)]
    assert len(labels) == 11  # February has no bar label: it is a hatched slot, not a 0 % bar


@pytest.mark.unit
def test_the_annual_share_is_the_same_supply_over_the_same_hours_capped_and_rounded_down() -> None:
    """Worked example: load 9 MWh, on-site 1, contract 2 and certificates 3.5 offered: annual matching
    claims (1 + 2 + 3.5) / 9 = 0.7222…, shown rounded down as 0.722222; with 12 MWh of certificates
    it would claim more than the load, so it is capped at 1."""
    totals = {"load_mwh": "9", "onsite_mwh": "1", "contract_mwh": "2", "certificates_offered_mwh": "3.5"}
    assert annual_matching_share({"totals": totals}) == "0.722222"
    assert annual_matching_share({"totals": totals | {"certificates_offered_mwh": "12"}}) == "1.000000"
    assert annual_matching_share({"totals": totals | {"load_mwh": "0"}}) is None


@pytest.mark.unit
@needs_cjk
def test_the_headline_is_rounded_down_never_onto_100_percent() -> None:
    document = run_document() | {"id": "r-1", "status": "draft"}
    document["results"]["cfe"]["year"] = "0.999990"
    assert percent_down("0.999990") == "99.99" and percent_down("0.999999", 1) == "99.9"
    for lang, shown in (("en", "99.99 %"), ("zh-CN", "99.99%")):
        page = matching_html(document, lang)
        headline = re.search(r'<section class="headline" id="headline">(.*?)</section>', page, re.S)
        assert headline and shown in headline.group(1) and "100.00" not in headline.group(1)
        assert 'data-cfe="0.999990"' in page and "0.999990" in headline.group(1)  # the exact value beside it


@pytest.mark.unit
@needs_cjk
def test_the_run_page_in_chinese_and_english() -> None:
    document = run_document() | {"id": "run-1", "status": "draft", "factory_name": "苏州精密零部件有限公司"}
    r = document["results"]
    pages = {lang: matching_html(document, lang) for lang in ("en", "zh-CN")}
    zh = pages["zh-CN"]
    for heading in ("逐时（24/7）匹配运行", "全年无碳能源得分（逐时）", "缺口小时", "未计分小时（数据缺口）",
                    "范围二（基于市场）：逐时与全年对照", "证书与购电合同", "输入与规则", "分配与上链",
                    "如何核验一个单位的某一小时", "发电曲线", "可输送性"):  # fmt: skip
        assert heading in zh, heading
    assert '<html lang="zh-CN">' in zh and "同一区域电网" in zh  # deliverability translated
    for lang, page in pages.items():
        t = translator(lang)
        view = build_matching_view(document, t.gettext)
        assert f'data-figure="deficit">{t.number(r["hours"]["deficit"], 0)}<' in page
        assert f'data-figure="unscored">{t.number(36, 0)}<' in page
        gap_row = re.search(r"<tr><td><span class=\"mono\">grid-main</span></td>.*?</tr>", page)
        assert gap_row and "<td>36</td>" in gap_row.group(0) and ">2025-03-10 05:00<" in gap_row.group(0)
        claim8 = re.search(r'<tr data-claim="8">.*?</tr>', page, re.S)
        assert claim8 and t.gettext("not usable") in claim8.group(0)
        assert "a credit, not a certificate: it supplies no electricity" in claim8.group(0) or lang == "zh-CN"
        claim7 = re.search(r'<tr data-claim="7">.*?</tr>', page, re.S)
        assert claim7 and "plant-meter" in claim7.group(0)  # the profile's tier, from the run's inputs
        assert "zcl matching proof run-1 --claim 7" in page and 'href="/verify"' in page
        assert 'href="/matching/run-1/claims/7.json"' in page and 'href="/matching/run-1/report.pdf?lang=' in page
        assert document["allocations"]["root"] in page and document["report_hash"] in page
        assert all(rule["label"] in page for rule in view["rules"])
        methods = re.search(r'<tr data-rule="measurement-methods@1">.*?</tr>', page, re.S)
        assert methods and t.gettext("confirmed") in methods.group(0)  # as the bundled rule file says
        assert len(view["months"]) == 12 and view["months"][2]["unscored_hours"] == 36
        assert 'data-period="2025-03"' in page
    assert "Deficit hours" in pages["en"] and "6,891" not in zh.split("headline")[0]


@pytest.mark.unit
@needs_cjk
def test_the_pdf_in_chinese_reads_back_with_its_headline_and_the_heatmap_raster() -> None:
    document = run_document() | {"id": "run-1", "status": "draft", "factory_name": "苏州精密零部件有限公司"}
    reader = PdfReader(BytesIO(matching_pdf(document, "zh-CN")))
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    assert "苏州精密零部件有限公司" in text and "全年无碳能源得分（逐时）" in text
    assert f"{percent_down(document['results']['cfe']['year'])}%" in text
    assert "如何核验一个单位的某一小时" in text and "未计分小时（数据缺口）" in text
    assert ZH("Page %(page)s of %(pages)s", page=1, pages=len(reader.pages)) in text
    assert document["report_hash"][:30] in text.replace(" ", "")  # the footer names the run
    images = [name for page in reader.pages[:2] for name in (page["/Resources"].get("/XObject") or {})]
    assert images, "the heat-map's raster (a data: URL inside its SVG) is in the PDF"


def _store(service: Service, document: dict[str, Any], status: str = rows.DRAFT, revisions: str = "{}") -> str:
    """The run stored as the matching service stores one: an evaluation row of type "H" (``revisions``:
    the months it read, period → revision, 0 for a month it found missing)."""
    row = EvaluationRow(
        id=str(uuid.uuid4()), factory_id=document["factory_id"], year=document["year"], report_type="H",
        level="CFE " + (percent_down(document["results"]["cfe"]["year"]) or "—") + "%",
        report_hash=document["report_hash"], report=json.dumps(document, sort_keys=True, ensure_ascii=False),
        status=rows.DRAFT, created_at=created(), revisions=revisions, level_confirmation="{}", factor_set="cn-mee-2023@1",
    )  # fmt: skip
    with service.services.evaluations.sessions.begin() as session:
        rows.add(session, row)
    if status == rows.ANCHORED:  # as the report relay marks it once the chain holds the hash
        with service.services.evaluations.sessions.begin() as session:
            rows.mark_pending(session, row.id, "0x" + "11" * 20, "0x" + "22" * 65)
            rows.mark_anchored(session, row.id, 3, "0x" + "33" * 32, 42, True)
    return row.id


@needs_cjk
def test_the_run_page_pdf_and_factory_section_are_served(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    http = service.http
    html, json_accept = {"Accept": "text/html,application/xhtml+xml"}, {"Accept": "application/json"}
    factory_zh = http.get(f"/factory/{FACTORY_ID}", headers={"Accept-Language": "zh-CN"})
    assert factory_zh.status_code == 200
    assert 'id="no-hourly-run"' in factory_zh.text and "尚无已上链的逐时匹配运行" in factory_zh.text
    section = factory_zh.text.split('id="hourly"')[1].split("</section>")[0]
    assert "%" not in section and "<svg" not in section  # no score, and never 0 %

    draft = _store(service, run_document(FACTORY_ID))
    page = http.get(f"/matching/{draft}", headers=html | {"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "逐时（24/7）匹配运行" in page.text and "草稿" in page.text
    assert http.get(f"/matching/{draft}/page", params={"lang": "en"}).text.count("Hourly (24/7) matching run") == 1
    as_json = http.get(f"/matching/{draft}", headers=json_accept)  # not a page: left to the run's JSON route
    assert not as_json.headers["content-type"].startswith("text/html")
    missing = http.get(f"/matching/{uuid.uuid4()}", headers=html)
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    pdf = http.get(f"/matching/{draft}/report.pdf", params={"lang": "zh-CN"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f"{draft}-zh-CN.pdf" in pdf.headers["content-disposition"]
    assert "全年无碳能源得分（逐时）" in _flat(PdfReader(BytesIO(pdf.content)).pages[0].extract_text())
    # a draft is not shown on the factory page: only an anchored run is the factory's score
    assert 'id="no-hourly-run"' in http.get(f"/factory/{FACTORY_ID}", headers=html).text

    anchored = _store(service, run_document(FACTORY_ID), rows.ANCHORED, revisions='{"2025-12": 0}')
    factory_en = http.get(f"/factory/{FACTORY_ID}", params={"lang": "en"}).text  # the cookie holds zh-CN
    assert 'id="no-hourly-run"' not in factory_en and f'href="/matching/{anchored}"' in factory_en
    cfe = run_document(FACTORY_ID)["results"]["cfe"]["year"]
    assert f'data-figure="cfe" title="{cfe}">{percent_down(cfe)} %<' in factory_en
    assert factory_en.count("<svg") >= 2 and "CFE score of each hour, 2025" in factory_en
    run_page = http.get(f"/matching/{anchored}", headers=html, params={"lang": "en"}).text
    assert "#3 · block 42 · final" in run_page and "0x" + "33" * 32 in run_page
    stale = "STALE: a month it used was corrected since"
    assert stale not in factory_en and stale not in run_page
    # December, missing when the run was made, is anchored since: the run no longer describes the chain
    submit(service, factory, month_batch(FACTORY_ID, "2025-12", [("grid-main", "grid_electricity", "1000", "kWh")]))
    assert stale in http.get(f"/factory/{FACTORY_ID}", params={"lang": "en"}).text
    assert stale in http.get(f"/matching/{anchored}/page", params={"lang": "en"}).text


@pytest.mark.unit
def test_the_page_route_takes_html_requests_only_and_leaves_the_rest_to_the_json_route() -> None:
    """``GET /matching/{id}`` is both the run's JSON and, for a browser, its page: the page's route
    matches only a request asking for HTML; the JSON route after it answers the others."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from api.routes.matching_pages import HtmlRoute

    app = FastAPI()
    app.router.route_class = HtmlRoute
    app.get("/matching/{run_id}")(lambda run_id: {"page": run_id})
    app.router.route_class = APIRoute
    app.get("/matching/{run_id}")(lambda run_id: {"json": run_id})
    with TestClient(app) as http:
        assert http.get("/matching/a", headers={"Accept": "text/html,*/*;q=0.8"}).json() == {"page": "a"}
        assert http.get("/matching/a", headers={"Accept": "application/json"}).json() == {"json": "a"}
        assert http.get("/matching/a").json() == {"json": "a"}  # no Accept (curl, scripts): the JSON


@pytest.mark.unit
def test_the_factory_pages_summary_is_drawn_once_per_run_and_language() -> None:
    document = run_document() | {"id": "run-s", "status": "anchored"}
    first = matching_summary(document, "zh-CN")
    assert matching_summary(document, "zh-CN")["heatmap"] is first["heatmap"]  # kept: the run never changes
    english = matching_summary(document, "en")
    assert english is not first and "CFE score of each hour, 2025" in english["heatmap"]
    assert "2025 年每小时的无碳能源得分" in first["heatmap"]
    assert first["cfe_percent"] == percent_down(document["results"]["cfe"]["year"])
    changed = document | {"report_hash": "0x" + "00" * 32}
    assert matching_summary(changed, "zh-CN") is not first  # another run: drawn anew


@pytest.mark.unit
def test_a_leap_year_has_366_columns_and_a_span_from_mid_day_leaves_earlier_cells_outside() -> None:
    def shaped(start: str, hours: int) -> dict[str, Any]:
        known = np.ones(hours, dtype=bool)
        return {"span": {"start": start, "hours": hours, "utc_offset": "+08:00"},
                "hourly": {"load": [5] * hours, "matched": [1] * hours,
                           "known": np.packbits(known, bitorder="big").tobytes().hex()}}  # fmt: skip

    leap = hour_grid(shaped("2024-01-01T00:00:00+08:00", 8784))
    assert leap.days == 366 and leap.count(3) == 8784 and np.allclose(leap.cfe, 0.2)
    part = hour_grid(shaped("2025-07-01T13:00:00+08:00", 30))  # 13:00 on day one to 18:00 on day two
    assert part.days == 2 and part.count(3) == 30 and part.count(0) == 48 - 30
    assert part.state[13, 0] == 3 and part.state[12, 0] == 0 and part.state[18, 1] == 3 and part.state[19, 1] == 0
    with pytest.raises(ValueError, match="do not cover"):
        hour_grid(
            shaped("2025-07-01T13:00:00+08:00", 30) | {"span": {"start": "2025-07-01T13:00:00+08:00", "hours": 31}}
        )


@pytest.mark.unit
def test_a_rule_is_confirmed_as_its_bundled_file_of_that_version_says() -> None:
    from ledger.reports.hourly_view import RULE_DIRS, rule_confirmed

    path = next(d / "measurement-methods.toml" for d in RULE_DIRS if (d / "measurement-methods.toml").is_file())
    head = tomllib.loads(path.read_text(encoding="utf-8"))["set"]
    assert rule_confirmed(f"measurement-methods@{head['version']}") is bool(head["confirmed"])
    assert rule_confirmed(f"measurement-methods@{head['version']}9") is None  # another version: not ours to say
    assert rule_confirmed("no-such-rules@1") is None and rule_confirmed("") is None


@pytest.mark.unit
def test_a_sparse_run_renders_with_dashes_not_errors() -> None:
    """A run from an older or partial writer (profiles as bare labels, a month without its excess, no
    gaps or claims): the page shows what there is and "—" for the rest."""
    document = run_document() | {"id": "run-x", "status": "draft"}
    document["inputs"]["profiles"] = ["GEN-JS-PV-0001/2025-01/r1@0xab"]
    del document["results"]["months"]["2025-05"]["excess_mwh"]
    document["results"]["claims"] = []
    tiers = run_document()
    tiers["inputs"]["profiles"].append(
        tiers["inputs"]["profiles"][0]
        | {"period": "2025-02", "tier": "modelled", "batch": "GEN-JS-PV-0001/2025-02/r1@0xcd"}
    )
    tiers["results"]["claims"][0]["profile"] += ";profile:GEN-JS-PV-0001/2025-02/r1@0xcd"  # a second month
    claim = build_matching_view(tiers, EN)["claims"][0]
    assert claim["tiers"] == ["modelled", "plant-meter"] and len(claim["sources"]) == 2
    page = matching_html(document, "en")
    assert "GEN-JS-PV-0001/2025-01/r1@0xab" in page
    assert 'id="gaps-more"' not in page
    may = re.search(r'<tr data-period="2025-05">.*?</tr>', page, re.S)
    assert may and "<td>—</td>" in may.group(0)
    nothing = run_document() | {"id": "run-0", "status": "draft"}
    nothing["results"]["cfe"]["year"] = None
    for month in nothing["results"]["months"].values():
        month["cfe"] = None
    zh = matching_html(nothing, "zh-CN")
    headline = re.search(r'<section class="headline" id="headline">(.*?)</section>', zh, re.S)
    assert headline and 'data-cfe="none"' in headline.group(1) and "无碳能源 —" in headline.group(1)
    assert "0.00%" not in zh and zh.count("无计分负荷") == 12  # no score is never 0 %


@pytest.mark.unit
def test_gaps_listed_hour_by_hour_are_joined_and_a_long_list_is_cut_with_its_count() -> None:
    """The 36-hour gap as 36 one-hour gaps reads as one row of 36 hours; 60 separate one-hour gaps of
    another source (every other hour) are 60 rows: the first 50 shown, "10 more" said."""
    document = run_document() | {"id": "run-g", "status": "draft"}
    hours = [GAP[0] + timedelta(hours=i) for i in range(37)]
    apart = [GAP[0] + timedelta(days=30, hours=2 * i) for i in range(61)]
    document["results"]["gaps"] = [
        *({"source_id": "grid-main", "start": a.isoformat(), "end": b.isoformat()} for a, b in pairwise(hours)),
        *({"source_id": "pv-roof", "start": a.isoformat(), "end": (a + timedelta(hours=1)).isoformat()} for a in apart[:60]),
    ]  # fmt: skip
    view = build_matching_view(document, EN)
    first = view["gaps"]["rows"][0]
    assert (first["source_id"], first["hours"], first["start_local"], first["end_local"]) == (
        "grid-main", 36, "2025-03-10 05:00", "2025-03-11 17:00")  # fmt: skip
    assert len(view["gaps"]["rows"]) == 50 and view["gaps"]["more"] == 61 - 50
    page = matching_html(document, "zh-CN")
    assert "另有 11 个数据缺口" in page

"""Issue 16, item 3: the factory dashboard and the park page show figures, not hashes — computed from
anchored data only, equal to the records' own sums, a missing month shown as missing (never 0), a
report whose data was corrected since marked stale, in English and in Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from eth_account.signers.local import LocalAccount

from ledger.factors import bundled_factor_set
from ledger.numbers import shown
from ledger.services.dashboard import DASHBOARD_FACTORS
from tests.builders import claim_body, claim_json
from tests.conftest import Service
from tests.golden.monthly import factory_with_months, month_batch, submit

FACTORY, OTHER = "CN-JS-DASH-01", "CN-JS-DASH-02"
ZH, EN = {"Accept-Language": "zh-CN"}, {"Accept-Language": "en"}


def readings(month: int) -> list[tuple[str, str, str, str]]:
    """A month of a small factory, each month's figures different (so a sum is not 12 × one month)."""
    return [
        ("grid-main", "grid_electricity", f"{100000 + 1234.5 * month}", "kWh"),
        ("grid-aux", "grid_electricity", f"{2000.25 * month}", "kWh"),
        ("pv-roof", "onsite_renewable_self_consumed", f"{15000 + 10 * month}", "kWh"),
        ("gas-boiler", "natural_gas", f"{1000 + month}", "Nm3"),
    ]


def months_of(
    service: Service, new_account: Callable[[], LocalAccount], factory_id: str, months: range
) -> LocalAccount:
    key = new_account()
    factory_with_months(service, lambda: key, factory_id, [], months=())
    for month in months:
        submit(service, key, month_batch(factory_id, f"2025-{month:02d}", readings(month)))
    return key


def mwh(kind: str, month: int) -> Fraction:
    return sum((Fraction(Decimal(v)) / 1000 for _, k, v, _ in readings(month) if k == kind), Fraction(0))


def test_the_dashboard_sums_the_anchored_records_and_leaves_missing_months_missing(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    months_of(service, new_account, FACTORY, range(1, 11))  # November and December not notarized
    page = service.services.pages.factory_dashboard(FACTORY, 2025)
    d = page.dashboard
    assert d is not None and d.problem is None and d.factor_set.startswith(DASHBOARD_FACTORS)
    assert d.missing == ["2025-11", "2025-12"] and not d.complete
    factor = Fraction(bundled_factor_set(DASHBOARD_FACTORS).get("grid.national_average").value)
    for month in d.months:
        n = int(month.period[-2:])
        if n > 10:
            assert month.missing and all(v is None for v in month.figures.values()), month
            continue
        grid, pv = mwh("grid_electricity", n), mwh("onsite_renewable_self_consumed", n)
        assert month.figures["grid_mwh"] == grid and month.figures["onsite_mwh"] == pv
        assert month.figures["electricity_mwh"] == grid + pv
        assert month.figures["scope2_location"] == grid * factor  # exactly: no rounding before the page
        assert month.revision == 1 and month.records == 4
        assert month.figures["scope3"] is None  # no Scope 3 data: "no data", not 0
    assert d.totals["grid_mwh"] == sum(mwh("grid_electricity", n) for n in range(1, 11))
    assert d.totals["scope2_location"] == sum(m.figures["scope2_location"] for m in d.months if not m.missing)
    assert d.totals["energy_tce"] == sum(m.figures["energy_tce"] for m in d.months if not m.missing)
    r = d.renewable
    assert r is not None and r.share == r.renewable_mwh / r.total_mwh and r.target is not None
    assert r.shortfall_mwh == r.target.minimum * r.total_mwh - r.renewable_mwh > 0

    # the same figures as an evaluation's report of the same year, to its 6 places
    report = service.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I"}).json()
    assert Decimal(report["totals"]["scope2_location"]) == round(Decimal(d.totals["scope2_location"].numerator)
                                                                 / d.totals["scope2_location"].denominator, 6)  # fmt: skip

    html = service.http.get(f"/factory/{FACTORY}?year=2025", headers=EN).text
    november = re.search(r'<tr data-period="2025-11".*?</tr>', html, re.S)
    assert november is not None and "not evaluated" in november[0] and ">0<" not in november[0]
    assert "2 months have no usable data" in html
    total = d.totals["grid_mwh"] + d.totals["onsite_mwh"]
    shown = f"{round(Decimal(total.numerator) / total.denominator, 1):,} MWh"
    assert 'data-figure="electricity_mwh"><span class="figure" title="' in html and shown in html, shown
    zh = service.http.get(f"/factory/{FACTORY}?year=2025", headers=ZH).text
    assert "未评价" in zh and shown in zh and "范围一" in zh
    empty = service.http.get(f"/factory/{FACTORY}?year=2024", headers=EN)  # a year with nothing anchored
    assert empty.status_code == 200 and "12 months have no usable data" in empty.text
    assert "No electricity use in the anchored months" in empty.text
    unknown = service.http.get("/park?factories=NO-SUCH-FACTORY&year=2025", headers=EN)
    assert unknown.status_code == 422 and "NO-SUCH-FACTORY" in unknown.text


def test_a_corrected_month_marks_the_report_stale_and_the_old_revision_superseded(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    key = months_of(service, new_account, FACTORY, range(1, 13))
    old = service.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I"}).json()
    first_view = service.services.pages.factory_dashboard(FACTORY, 2025).dashboard
    assert first_view is not None and first_view.complete
    assert service.services.pages.factory_dashboard(FACTORY, 2025).dashboard is first_view  # kept, not recomputed
    claimed = service.http.post("/claims", json=claim_json(service.ledger, key, claim_body(FACTORY, 1, 100)))
    assert claimed.status_code == 201, claimed.text
    before = service.services.pages.factory_dashboard(FACTORY, 2025).dashboard
    assert before is not None and before is not first_view  # a new claim on chain: computed again
    listed = re.search(r'<tr data-state="provisional">.*?</tr>', service.http.get(f"/factory/{FACTORY}").text, re.S)
    assert listed is not None and '<td class="num">100</td>' in listed[0] and "GEC" in listed[0]
    first = service.http.get(f"/factories/{FACTORY}/batches").json()
    march = next(b for b in first if b["period"] == "2025-03")
    corrected = [(s, k, str(Decimal(v) * 2), u) for s, k, v, u in readings(3)]
    submit(service, key, month_batch(FACTORY, "2025-03", corrected, revision=2))

    after = service.services.pages.factory_dashboard(FACTORY, 2025).dashboard
    assert after is not None and after is not before  # the cache follows the anchored roots
    third = next(m for m in after.months if m.period == "2025-03")
    assert third.revision == 2 and third.figures["grid_mwh"] == 2 * mwh("grid_electricity", 3)

    for headers, stale_word in ((EN, "STALE: 2025-03 corrected"), (ZH, "已过时")):
        html = service.http.get(f"/factory/{FACTORY}", headers=headers).text
        row = re.search(rf'<tr data-id="{old["id"]}" class="stale-row">.*?</tr>', html, re.S)
        assert row is not None and stale_word in row[0], html[-3000:]
        assert DASHBOARD_FACTORS in row[0]  # the factor set is listed
    old_batch = service.http.get(f"/batch/{march['id']}", headers=EN).text
    assert 'id="superseded-banner"' in old_batch and "Superseded by revision 2." in old_batch
    latest = next(b for b in service.http.get(f"/factories/{FACTORY}/batches").json()
                  if b["period"] == "2025-03" and b["revision"] == 2)  # fmt: skip
    assert f'href="/batch/{latest["id"]}"' in old_batch
    assert 'id="latest-banner"' in service.http.get(f"/batch/{latest['id']}", headers=EN).text
    assert "被第 2 版取代" in service.http.get(f"/batch/{march['id']}", headers=ZH).text


def test_the_park_page_shows_the_indicator_against_its_band_and_each_member(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    months_of(service, new_account, FACTORY, range(1, 13))
    months_of(service, new_account, OTHER, range(1, 13))
    api = service.http.post("/parks/evaluations", json={"factories": [FACTORY, OTHER], "year": 2025}).json()
    park = service.services.pages.parks.park([FACTORY, OTHER], 2025)
    assert park.problem is None and park.result is not None
    assert park.result["intensity"] == api["intensity"] and park.result["verdict"] == api["verdict"]
    assert shown(sum((p.emissions_tco2 for p in park.members), Fraction(0))) == api["emissions_tco2"]
    assert sum(p.share for p in park.members if p.share is not None) == 1
    html = service.http.get(f"/park?factories={FACTORY},{OTHER}&year=2025", headers=EN).text
    intensity = round(Decimal(api["intensity"]), 3)
    assert f"{intensity} tCO2/tce" in html and 'data-verdict="' + api["verdict"] in html
    assert html.count('<tr data-factory="') == 2
    zh = service.http.get(f"/park?factories={FACTORY}，{OTHER}&year=2025", headers=ZH).text  # a Chinese comma too
    assert "园区" in zh and f"{intensity} tCO2/tce" in zh
    typed = service.http.get(f"/park?factories={FACTORY}&year=２０２５", headers=EN)  # full-width digits, as typed
    assert typed.status_code == 200 and f"{intensity} tCO2/tce" in typed.text
    wrong = service.http.get(f"/park?factories={FACTORY}&year=last", headers=ZH)
    assert wrong.status_code == 422 and "年份须为 2000 至 2200 之间的年份" in wrong.text
    twice = service.http.get(f"/park?factories={FACTORY},{FACTORY.lower()}&year=2025", headers=EN)
    assert twice.status_code == 422 and "factories[1]" in twice.text


def test_home_lists_factories_with_their_latest_month_and_level(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    months_of(service, new_account, FACTORY, range(1, 3))
    html = service.http.get("/", headers=EN).text
    row = re.search(rf'<tr data-factory="{FACTORY}">.*?</tr>', html, re.S)
    assert row is not None and "2025-02" in row[0] and "none yet" in row[0]
    service.http.post("/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I"})
    row = re.search(rf'<tr data-factory="{FACTORY}">.*?</tr>', service.http.get("/", headers=EN).text, re.S)
    assert row is not None and "2025 · Type I · none" in row[0]
    assert not re.search(r"0x[0-9a-f]{40}", row[0])  # no hash on the home page
    zh = service.http.get("/", headers=ZH).text
    assert '<a href="/park">园区</a>' in zh and '<a href="/verify">验证证明包</a>' in zh  # links, not escaped text
    assert "<code>/rpc</code>" in service.http.get("/verify", headers=ZH).text

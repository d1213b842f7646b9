"""The HTML rendering of an evaluation report: figures, charts, missing months, escaping, status.

The reports are built by hand (no chain, no database) but add up the way ``compute_inventory`` adds
them up, with the cn-mee-2023 factors: a Type I draft for 2024 with March missing, a certificate,
an offset and a removal credit and one double-counting finding (no level), and a Type I report for
the same factory that is complete, anchored and 6★.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
import subprocess
import uuid
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from ledger.accounting.report import report_hash
from ledger.numbers import percent, shown
from ledger.reports import render_html

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")

YEAR = 2024
LOCATION = Fraction("0.5306")  # grid.national_average, cn-mee-2023
RESIDUAL = Fraction("0.6096")  # grid.residual_mix
KGCE_PER_KWH = Fraction("0.1229")
MJ_PER_KGCE = Fraction("29.307")
NG_NCV, NG_CC, NG_OX = Fraction("389.31"), Fraction("15.3"), Fraction("0.99")
ROAD = Fraction("0.0001")  # tCO2e/tkm
NAME = "苏州绿源电机有限公司 (Suzhou Lüyuan Motors)"
FACTORY = "CN-JS-SZ-0042"
TX_ANCHOR = "0x" + "ab" * 32
EVALUATOR = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def _hex(*parts: object) -> str:
    """A made-up 32-byte hash, the same on every run."""
    return "0x" + uuid.uuid5(uuid.NAMESPACE_DNS, "/".join(map(str, parts))).hex * 2


def _claim(claim_id: int, registry: str, units: int, technology: str, *, valid: bool = True, kind: str | None = None,
           consumption: str = f"{YEAR}-01..{YEAR}-12") -> dict[str, Any]:  # fmt: skip
    entry: dict[str, Any] = {
        "claim_id": claim_id, "registry": registry, "block_id": f"{registry}-{2023}-{claim_id:05d}",
        "serials": f"{1_000_000 + claim_id * 10_000}..{1_000_000 + claim_id * 10_000 + units - 1}", "units": units,
        "allocated_to_year": str(units), "unit": "MWh" if registry in ("GEC", "I-REC") else "tCO2e",
        "tx_hash": _hex("claim", claim_id), "consumption": consumption, "technology": technology, "valid": valid,
    }  # fmt: skip
    if kind:
        entry["kind"] = kind
    return entry


def make_report(variant: str = "draft", factory_name: str | None = NAME) -> dict[str, Any]:
    """A report as ``build_report`` would write it (plus the service's fields when anchored)."""
    anchored = variant == "anchored"
    months = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    missing = set() if anchored else {f"{YEAR}-03"}
    green_per_month = Fraction(400 if anchored else 250)
    certificates = [_claim(7, "GEC", 6000 if anchored else 1200, "solar PV, Qinghai Golmud 200 MW")]
    if not anchored:
        certificates.append(_claim(9, "GEC", 150, "wind, Inner Mongolia", valid=False,
                                   consumption=f"{YEAR}-10..{YEAR}-12"))  # fmt: skip
    credits = [
        _claim(11, "CCER", 500 if anchored else 300, "landfill gas recovery", kind="offset"),
        _claim(12, "VCS", 200 if anchored else 80, "afforestation, Yunnan <b>mixed</b> broadleaf", kind="removal"),
    ]
    cert_total = sum(Fraction(c["units"]) for c in certificates if c["valid"])

    lines: list[dict[str, Any]] = []
    monthly = []
    per: dict[str, Fraction] = {k: Fraction(0) for k in ("grid", "onsite", "green", "s1", "s2l", "s3", "tce")}
    used = []
    block = 18_400
    for i, period in enumerate(months, start=1):
        row = {"grid": Fraction(0), "onsite": Fraction(0), "green": Fraction(0), "s1": Fraction(0), "s3": Fraction(0)}
        if period not in missing:
            grid, onsite = Fraction(780 + 15 * i), Fraction(160 + 20 * min(i, 13 - i))
            gas = Fraction(24 + i % 3, 10)  # 10^4 Nm3
            freight = Fraction(0) if anchored else Fraction(100_000 + 5_000 * i)  # tkm, outside Type I
            rid = {k: _id(variant, period, k) for k in ("grid", "onsite", "green", "gas", "freight")}
            gj = gas * NG_NCV
            s1 = gj * NG_CC / 1000 * NG_OX * Fraction(44, 12)
            s2l = grid * LOCATION
            tce_el = (grid + onsite) * KGCE_PER_KWH
            tce_gas = gj / MJ_PER_KGCE
            lines += [
                {"scope": "scope1", "category": "natural_gas", "period": period, "record_ids": [rid["gas"]],
                 "activity": f"{shown(gas)} 10^4 Nm3",
                 "factors": [{"key": "fuel.natural_gas.ncv", "value": "389.31 GJ/10^4 Nm3"},
                             {"key": "fuel.natural_gas.carbon_content", "value": "15.3 tC/TJ"},
                             {"key": "fuel.natural_gas.oxidation", "value": "0.99 1"}],
                 "result": shown(s1),
                 "arithmetic": f"{shown(gas)} 10^4 Nm3 × 389.31 GJ/10^4 Nm3 = {shown(gj)} GJ; {shown(gj)} GJ × 15.3 "
                               f"tC/TJ ÷ 1000 × 0.99 × 44/12 = {shown(s1)} tCO2"},
                {"scope": "energy", "category": "natural_gas", "period": period, "record_ids": [rid["gas"]],
                 "activity": f"{shown(gas)} 10^4 Nm3",
                 "factors": [{"key": "energy.mj_per_kgce", "value": "29.307 MJ/kgce"}],
                 "result": shown(tce_gas),
                 "arithmetic": f"{shown(gj)} GJ × 1000 ÷ 29.307 MJ/kgce ÷ 1000 = {shown(tce_gas)} tce"},
                {"scope": "scope2", "category": "grid_electricity", "period": period, "record_ids": [rid["grid"]],
                 "activity": f"{shown(grid)} MWh",
                 "factors": [{"key": "grid.national_average", "value": "0.5306 tCO2/MWh"}],
                 "result": shown(s2l),
                 "arithmetic": f"{shown(grid)} MWh × 0.5306 tCO2/MWh = {shown(s2l)} tCO2 (location-based)"},
                {"scope": "energy", "category": "grid_electricity", "period": period, "record_ids": [rid["grid"]],
                 "activity": f"{shown(grid)} MWh",
                 "factors": [{"key": "energy.electricity_kgce_per_kwh", "value": "0.1229 kgce/kWh"}],
                 "result": shown(grid * KGCE_PER_KWH),
                 "arithmetic": f"{shown(grid)} MWh × 1000 kWh/MWh × 0.1229 kgce/kWh ÷ 1000 = "
                               f"{shown(grid * KGCE_PER_KWH)} tce"},
                {"scope": "energy", "category": "onsite_renewable_self_consumed", "period": period,
                 "record_ids": [rid["onsite"]], "activity": f"{shown(onsite)} MWh",
                 "factors": [{"key": "energy.electricity_kgce_per_kwh", "value": "0.1229 kgce/kWh"}],
                 "result": shown(onsite * KGCE_PER_KWH),
                 "arithmetic": f"{shown(onsite)} MWh × 1000 kWh/MWh × 0.1229 kgce/kWh ÷ 1000 = "
                               f"{shown(onsite * KGCE_PER_KWH)} tce"},
            ]  # fmt: skip
            if freight:
                s3 = freight * ROAD
                lines.append({"scope": "scope3", "category": "transport_road_freight", "period": period,
                              "record_ids": [rid["freight"]], "activity": f"{shown(freight)} tkm",
                              "factors": [{"key": "scope3.road_freight", "value": "0.0001 tCO2e/tkm"}],
                              "result": shown(s3),
                              "arithmetic": f"{shown(freight)} tkm × 0.0001 tCO2e/tkm = {shown(s3)} tCO2e",
                              })  # fmt: skip
                row["s3"] = s3
            row.update(grid=grid, onsite=onsite, green=green_per_month, s1=s1)
            per["tce"] += tce_el + tce_gas
            block += 170 + i
            used.append({"period": period, "revision": 2 if period == f"{YEAR}-05" else 1,
                         "batch_id": _id(variant, "batch", period), "root": _hex("root", variant, period),
                         "tx_hash": _hex("tx", variant, period), "block_number": block,
                         "records": 5 if freight else 4})  # fmt: skip
        for k in ("grid", "onsite", "green", "s1", "s3"):
            per[k] += row[k]
        per["s2l"] += row["grid"] * LOCATION
        monthly.append(row)

    covered = min(per["green"] + cert_total, per["grid"])
    s2m = (per["grid"] - covered) * RESIDUAL
    residual_share = (per["grid"] - covered) / per["grid"]
    renewable = per["onsite"] + covered
    total = per["grid"] + per["onsite"]
    offsets = sum((Fraction(c["units"]) for c in credits if c["kind"] == "offset"), Fraction(0))
    removals = sum((Fraction(c["units"]) for c in credits if c["kind"] == "removal"), Fraction(0))
    remaining = per["s1"] + s2m
    share = renewable / total
    neutral = (offsets + removals) / remaining
    findings = [] if anchored else [{
        "check": "outside_validity",
        "message": "claim 9 (GEC GEC-2023-00009, 150 MWh) generated 2021-06..2021-08 is claimed for consumption "
                   "2024-10..2024-12, more than 24 months after generation",
        "claim_ids": [9], "record_ids": [],
    }]  # fmt: skip
    missing_list = [{"period": p, "reason": "no batch anchored on chain"} for p in sorted(missing)]

    def outcome(metric: str, value: Fraction, minimum: Fraction, how: str, confirmed: bool) -> dict[str, Any]:
        passed = value >= minimum
        return {"metric": metric, "passed": passed, "value": percent(value), "threshold": f"≥ {percent(minimum)}",
                "confirmed": confirmed,
                "explanation": f"{metric} = {percent(value)}: {how}; needs ≥ {percent(minimum)} → "
                               f"{'pass' if passed else 'fail'}"}  # fmt: skip

    def gate(metric: str, count: int, what: str) -> dict[str, Any]:
        return {"metric": metric, "passed": count == 0, "value": str(count), "threshold": "≤ 0", "confirmed": True,
                "explanation": f"{metric} = {count}: {count} {what}; needs ≤ 0 → "
                               f"{'pass' if count == 0 else 'fail'}"}  # fmt: skip

    how_share = (f"renewable {shown(renewable)} MWh (on-site {shown(per['onsite'])} + green power and valid "
                 f"certificates {shown(covered)}) ÷ consumed {shown(total)} MWh (grid {shown(per['grid'])} + on-site "
                 f"{shown(per['onsite'])})")  # fmt: skip
    how_neutral = (f"offsets {shown(offsets)} + removals {shown(removals)} = {shown(offsets + removals)} tCO2e ÷ "
                   f"remaining {shown(remaining)} tCO2e (Scope 1 + Scope 2 (market-based))")  # fmt: skip
    gates = [gate("missing_months", len(missing), "month(s) without an anchored batch"),
             gate("double_counting_findings", len(findings), "double-counting finding(s)")]  # fmt: skip
    levels = []
    for name, minimum, confirmed, source in (
        ("6★", Fraction(1), True, ("T/CECA-G 0171-2022, 6★ Type I: 100% renewable electricity and 100% of "
                                   "remaining emissions offset")),
        ("5★", Fraction("0.8"), False, "placeholder: threshold not public"),
        ("4★", Fraction("0.6"), False, "placeholder: threshold not public"),
        ("3★", Fraction("0.4"), False, "placeholder: threshold not public"),
    ):  # fmt: skip
        rules = [outcome("renewable_share", share, minimum, how_share, confirmed),
                 outcome("neutralisation_share", neutral, Fraction(1), how_neutral, confirmed)]  # fmt: skip
        passed = all(r["passed"] for r in rules) and all(g["passed"] for g in gates)
        levels.append({"level": name, "confirmed": confirmed, "source": source, "passed": passed, "rules": rules})
    awarded = next((lv for lv in levels if lv["passed"]), None)
    assert (awarded is not None) == anchored and (awarded is None or awarded["level"] == "6★")

    report: dict[str, Any] = {
        "format": "zcl-evaluation/1",
        "factory_id": FACTORY,
        "factory_name": factory_name,
        "year": YEAR,
        "type": "I",
        "chain": {"chain_id": 31337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                  "reports_contract": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"},
        "factor_set": {"id": "cn-mee-2023", "version": "1.0", "name": "MEE/NBS 2023 electricity CO2 emission factors",
                       "label": "cn-mee-2023@1.1"},
        "rule_set": {"id": "t-ceca-g-0171-2022", "version": "1",
                     "name": ("T/CECA-G 0171-2022 zero-carbon factory levels "
                              "(6★ as published; 3★-5★ placeholders)"),
                     "label": "t-ceca-g-0171-2022@1"},
        "grid": "national_average",
        "rounding": "figures rounded half-even to 6 decimal places; sums and comparisons are exact",
        "periods": {
            "used": used,
            "superseded": [{"period": f"{YEAR}-05", "revision": 1, "root": _hex("old-root", variant),
                            "anchored_block": 18_900, "superseded_by": 2}],
            "missing": missing_list,
        },
        "totals": {
            "scope1": shown(per["s1"]), "scope2_location": shown(per["s2l"]), "scope2_market": shown(s2m),
            "scope3": shown(per["s3"]), "energy_tce": shown(per["tce"]), "offsets": shown(offsets),
            "removals": shown(removals),
        },
        "electricity": {
            "grid_mwh": shown(per["grid"]), "onsite_mwh": shown(per["onsite"]), "green_power_mwh": shown(per["green"]),
            "certificates_mwh": shown(cert_total), "covered_mwh": shown(covered), "total_mwh": shown(total),
            "renewable_mwh": shown(renewable), "renewable_share": percent(share),
            "location_factor": shown(LOCATION), "residual_mix_factor": shown(RESIDUAL),
            "market_based_arithmetic": (
                f"({shown(per['grid'])} MWh grid − {shown(covered)} MWh covered by green power and valid "
                f"certificates) × {shown(RESIDUAL)} tCO2/MWh residual mix = {shown(s2m)} tCO2"),
        },
        "production": {"unit": str(48_000 + (2_000 if anchored else 0))},
        "lines": lines,
        "monthly": [
            {"period": p, "scope1": shown(r["s1"]), "scope2_location": shown(r["grid"] * LOCATION),
             "scope2_market": shown(r["grid"] * residual_share * RESIDUAL), "scope3": shown(r["s3"]),
             "grid_electricity": shown(r["grid"]), "onsite_renewable_self_consumed": shown(r["onsite"]),
             "green_power_contract": shown(r["green"]), "certificates": shown(cert_total / 12)}
            for p, r in zip(months, monthly, strict=True)
        ],
        "certificates": certificates,
        "credits": credits,
        "double_counting": findings,
        "undisclosed_claims": [] if anchored else [14],
        "evaluation": {
            "type": "I", "rule_set": "t-ceca-g-0171-2022@1",
            "level": awarded["level"] if awarded else "none",
            "level_confirmed": awarded["confirmed"] if awarded else None,
            "remaining_emissions": shown(remaining), "gates": gates, "levels": levels,
        },
    }  # fmt: skip
    report["report_hash"] = "0x" + report_hash(report).hex()
    if anchored:
        report.update({
            "id": _id("report", variant), "status": "anchored", "evaluator": EVALUATOR,
            "signature": "0x" + "5c" * 64 + "1b",
            "anchor": {"report_id": 3, "tx_hash": TX_ANCHOR, "block_number": 20_512},
        })  # fmt: skip
    else:
        report.update({"id": _id("report", variant), "status": "draft"})
    return report


@pytest.fixture(scope="module")
def draft() -> dict[str, Any]:
    return make_report("draft")


@pytest.fixture(scope="module")
def anchored() -> dict[str, Any]:
    return make_report("anchored")


@pytest.fixture(scope="module")
def draft_html(draft: dict[str, Any]) -> str:
    return render_html(draft)


@pytest.fixture(scope="module")
def anchored_html(anchored: dict[str, Any]) -> str:
    return render_html(anchored)


def _text(page: str) -> str:
    """The page's visible text, roughly: tags and the SVG charts removed, entities left as they are."""
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.DOTALL)
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.DOTALL)
    page = page.replace("<wbr>", "")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page).replace("&nbsp;", " "))


def _grouped(value: str) -> str:
    whole, _, frac = value.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def test_summary_figures_appear_with_units(draft: dict[str, Any], draft_html: str) -> None:
    text = _text(draft_html)
    totals, e = draft["totals"], draft["electricity"]
    # headline figures are rounded for reading (2 places), the exact figure in the tooltip
    for key in ("scope1", "scope2_location", "scope2_market", "offsets", "removals"):
        read = Decimal(totals[key]).quantize(Decimal("0.01"))
        assert f"{read:,} tCO₂e" in text and f'title="{totals[key]}"' in draft_html, key
    assert f"{Decimal(totals['energy_tce']).quantize(Decimal('0.01')):,} tce" in text
    assert f'title="{e["renewable_share"]}"' in draft_html and e["renewable_share"].endswith(" %")
    assert f'title="{draft["evaluation"]["remaining_emissions"]}"' in draft_html
    # Type I with Scope 3 on record: shown, but outside the boundary
    assert not draft["totals"]["scope3"].startswith("0")
    assert "outside the Type I boundary" in text
    # every calculation line's result and arithmetic is on the page
    for line in draft["lines"]:
        assert line["arithmetic"] in text
        assert _grouped(line["result"]) in text
    assert draft["electricity"]["market_based_arithmetic"] in text


def test_type_i_without_scope3_leaves_it_out(anchored: dict[str, Any], anchored_html: str) -> None:
    assert anchored["totals"]["scope3"] == "0"
    assert "outside the Type I boundary" not in _text(anchored_html)


def test_three_inline_svg_charts_and_nothing_external(draft_html: str) -> None:
    assert draft_html.count("<svg") == 3
    for title in ("Monthly emissions by scope", "Electricity mix per month",
                  "Own reductions, certificates, offsets and removals (apart) vs remaining emissions"):  # fmt: skip
        assert f'aria-label="{title}"' in draft_html
    assert "<script" not in draft_html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", draft_html, flags=re.IGNORECASE)
    assert "<link" not in draft_html and "@import" not in draft_html
    # ids are unique across the three charts
    ids = re.findall(r'\bid="([^"]+)"', draft_html)
    assert len(ids) == len(set(ids)) and ids


def test_missing_month_is_labelled_not_zero(draft_html: str) -> None:
    text = _text(draft_html)
    assert "2024-03" in text and "no batch anchored on chain" in text
    assert "not counted as zero" in text
    assert "MISSING are months without anchored data (2024-03)" in text
    # the charts draw it: the hatched legend entry and the in-plot label (text is drawn as glyphs, and
    # matplotlib keeps the string in an SVG comment)
    svgs = re.findall(r"<svg.*?</svg>", draft_html, flags=re.DOTALL)
    for svg in svgs[:2]:
        assert "<!-- MISSING -->" in svg and "missing month (no anchored data)" in svg


def test_complete_year_has_no_missing_marks(anchored_html: str) -> None:
    assert "MISSING" not in anchored_html
    assert "missing month (no anchored data)" not in anchored_html


def test_user_strings_are_escaped() -> None:
    evil = 'Evil <script>alert(1)</script> & "Co"'
    report = make_report("draft", factory_name=evil)
    report["credits"][0]["technology"] = "<img src=x onerror=alert(2)>"
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>mixed</b>" not in page and "&lt;b&gt;mixed&lt;/b&gt;" in page
    assert "<title>[DRAFT] Zero-carbon evaluation — Evil &lt;script&gt;" in page
    assert "<script" not in page.lower()


def test_anchored_shows_anchor_and_signature(anchored: dict[str, Any], anchored_html: str) -> None:
    text = _text(anchored_html)
    assert "Signed and anchored on chain." in text
    assert TX_ANCHOR in text and anchored["id"] in text and "on-chain report #3" in text
    assert EVALUATOR in text and anchored["report_hash"] in text and anchored["signature"] in text
    assert "20,512" in text  # anchor block
    assert "NOT anchored" not in text and "DRAFT" not in text
    # the awarded level, big, with its thresholds confirmed
    assert '<div class="level" aria-label="awarded level">6★</div>' in anchored_html
    assert "thresholds confirmed" in text
    assert "matches this report's content" in text
    assert "31337" in text and anchored["chain"]["contract"] in text
    assert "cn-mee-2023@1.1" in text and "t-ceca-g-0171-2022@1" in text


def test_draft_says_not_signed_or_anchored(draft: dict[str, Any], draft_html: str) -> None:
    text = _text(draft_html)
    assert "DRAFT — NOT signed and NOT anchored on chain." in text
    assert "<title>[DRAFT]" in draft_html
    assert "no level" in text and "Signed and anchored" not in text
    assert TX_ANCHOR not in text
    assert draft["report_hash"] in text


def test_signed_but_not_anchored() -> None:
    report = make_report("draft")
    report.update(status="signed", signature="0x" + "11" * 65, evaluator=EVALUATOR)
    text = _text(render_html(report))
    assert "Signed but NOT anchored on chain." in text and EVALUATOR in text


def test_placeholder_level_is_marked() -> None:
    report = make_report("anchored")
    report["evaluation"].update(level="5★", level_confirmed=False)
    text = _text(render_html(report))
    assert "placeholder thresholds" in text and "provisional" in text


def test_tampered_report_hash_is_flagged(anchored: dict[str, Any]) -> None:
    report = copy.deepcopy(anchored)
    report["totals"]["scope1"] = "0"
    text = _text(render_html(report))
    assert "does NOT match this report's content" in text
    assert "The content shown does NOT match the report hash." in text
    assert "does NOT match the report hash" not in _text(render_html(anchored))


def test_evaluation_findings_and_traceability(draft: dict[str, Any], draft_html: str) -> None:
    text = _text(draft_html)
    for outcome in draft["evaluation"]["gates"] + [r for lv in draft["evaluation"]["levels"] for r in lv["rules"]]:
        assert html.escape(outcome["explanation"]) in text
    assert text.count("placeholder") >= 3 and "confirmed" in text
    finding = draft["double_counting"][0]
    assert finding["message"] in text and "outside_validity" in text
    assert "Claim 14 is on chain" in text
    for p in draft["periods"]["used"]:
        assert p["batch_id"] in text and p["root"] in text and p["tx_hash"] in text
    assert draft["periods"]["superseded"][0]["root"] in text
    for claim in draft["certificates"] + draft["credits"]:
        assert claim["tx_hash"] in text and claim["serials"] in text
    assert "not valid" in text  # claim 9
    assert "removal" in text and "offset" in text


def test_no_findings_says_none(anchored_html: str) -> None:
    text = _text(anchored_html)
    assert "No double counting found." in text
    assert "Every claim on chain has its details disclosed here." in text


def test_deterministic(draft: dict[str, Any], anchored: dict[str, Any]) -> None:
    assert render_html(draft) == render_html(draft)
    assert render_html(anchored) == render_html(copy.deepcopy(anchored))


def test_concurrent_renders_agree(anchored: dict[str, Any], anchored_html: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda _: render_html(anchored), range(4)))
    assert all(page == anchored_html for page in pages)


def test_sparse_report_still_renders() -> None:
    """A report missing optional parts (no monthly data, no chain) renders, saying what is absent."""
    page = render_html({"factory_id": "F-1", "year": 2024, "type": "II", "evaluation": {"level": "none"}})
    assert page.count("<svg") == 3 and "no monthly data in this report" in page
    assert "DRAFT — NOT signed and NOT anchored" in page
    # made before the matching method was a choice: the page says how it matched, and shows no method table
    assert "matched certificates to consumption over the year (annual)" in " ".join(page.split())
    assert "How certificates were matched to consumption" not in page
    with pytest.raises(TypeError):
        render_html(["not", "a", "report"])  # type: ignore[arg-type]


@pytest.mark.e2e  # Chromium takes the screenshot
def test_example_artifact(anchored_html: str) -> None:
    """The anchored example for people to look at; a screenshot when Debian's chromium is there."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    page = ARTIFACTS_DIR / "report-example.html"
    page.write_text(anchored_html, encoding="utf-8")
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("chromium is not installed at /usr/bin/chromium: no screenshot")
    png = ARTIFACTS_DIR / "report-example.png"
    png.unlink(missing_ok=True)
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={png}", "--window-size=1200,3000", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

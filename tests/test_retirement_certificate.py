"""A claim's printable retirement certificate: a PDF in Chinese or English whose text carries the
claim's facts and whose QR code, read back from the rendered page, leads to the claim's page."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from eth_account.signers.local import LocalAccount
from pypdf import PdfReader

from ledger.config import ConfigError, Settings
from ledger.reports.retirement import certificate_pdf, qr_code
from tests.builders import claim_json, register_factory
from tests.conftest import Service

CCER = json.loads((Path(__file__).resolve().parents[1] / "examples" / "claims" / "ccer-2025.json").read_text())


def qr_texts(pdf: bytes) -> list[str]:
    """Every QR code on the PDF's first page, as a phone would read it: the page drawn, then decoded."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def claimed(service: Service, new_account: Callable[[], LocalAccount]) -> dict[str, Any]:
    key = new_account()
    register_factory(service.http, key, "CN-FJ-0001", name="福建示例林业碳汇有限公司")
    body = CCER | {"factory_id": "CN-FJ-0001", "serial_start": "101", "serial_end": "1100", "quantity": "1000"}
    response = service.http.post("/claims", json=claim_json(service.ledger, key, body))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_chinese_certificate_states_the_claim_and_its_qr_code_leads_to_the_claim_page(
    service: Service, claimed: dict[str, Any]
) -> None:
    claim_id = claimed["claim_id"]
    response = service.http.get(f"/claims/{claim_id}/certificate.pdf", params={"lang": "zh-CN"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for label in (
        "注销证明",
        "声明方",
        "登记机构",
        "签发批次",
        "单位（编号范围）",
        "数量",
        "对应消费期",
        "声明编号",
        "交易",
        "合约",
        "链 ID",
    ):
        assert label in text, label
    assert "福建示例林业碳汇有限公司" in text and "CN-FJ-0001" in text  # the claimant, in Chinese glyphs
    assert CCER["block_id"] in text and "101..1100" in text and "1,000 tCO2e" in text
    assert claimed["tx_hash"] in text.replace("\n", "") and "待确认" in text  # not confirmed yet, and it says so
    chain = service.http.get("/chain").json()
    assert chain["contract"] in text.replace("\n", "") and str(chain["chain_id"]) in text
    url = f"http://testserver/claim/{claim_id}"  # the address this request came to
    assert url in text.replace("\n", "")
    assert qr_texts(response.content) == [url]

    english = service.http.get(f"/claims/{claim_id}/certificate.pdf", params={"lang": "en"})
    text = pdf_text(english.content)
    assert "Retirement certificate" in text and "Provisional" in text and "101..1100" in text
    assert qr_texts(english.content) == [url]


def test_the_public_address_goes_into_the_qr_code(service: Service, claimed: dict[str, Any]) -> None:
    """Behind a proxy the request's own address is not the reader's: ZCL_PUBLIC_URL is used instead."""
    service.http.app.state.public_url = "https://ledger.example.org"  # type: ignore[attr-defined]
    try:
        pdf = service.http.get(
            f"/claims/{claimed['claim_id']}/certificate.pdf", headers={"Accept-Language": "zh-CN"}
        ).content
    finally:
        service.http.app.state.public_url = None  # type: ignore[attr-defined]
    assert qr_texts(pdf) == [f"https://ledger.example.org/claim/{claimed['claim_id']}"]
    assert "注销证明" in pdf_text(pdf)  # the reader's language, without ?lang=


def test_what_is_drawn_is_segnos_code_for_the_url(service: Service, claimed: dict[str, Any]) -> None:
    url = "https://ledger.example.org/claim/7"
    claim = service.http.get(f"/claims/{claimed['claim_id']}").json() | {"contract": "0x" + "ab" * 20, "chain_id": 1}
    pdf = certificate_pdf(claim, url=url, unit="tCO2e", lang="en")
    (read,) = zxingcpp.read_barcodes(pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil())
    assert read.text == url
    assert read.symbology_identifier == "]Q1" and qr_code(url).designator.endswith("-M")  # error correction M


def test_a_certificate_of_no_claim_or_in_another_language_is_refused(service: Service) -> None:
    assert service.http.get("/claims/424242/certificate.pdf").status_code == 404
    assert service.http.get("/claims/1/certificate.pdf", params={"lang": "fr"}).status_code == 422


def test_the_public_address_setting() -> None:
    assert (
        Settings.from_env({"ZCL_PUBLIC_URL": "https://ledger.example.org/"}).public_url == "https://ledger.example.org"
    )
    assert Settings.from_env({}).public_url is None
    with pytest.raises(ConfigError, match="ZCL_PUBLIC_URL"):
        Settings.from_env({"ZCL_PUBLIC_URL": "ledger.example.org"})

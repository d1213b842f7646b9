"""Issue 14, items 7 and 8 (part): security headers on every page, factory names and ids that cannot
disguise themselves, and one rule for a signature's v everywhere."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain import errors as chain_errors
from ledger.claims import parse_claim, sign_claim
from ledger.claims.signed import sign_claim_json
from ledger.signing import parse_signed_batch
from tests.builders import FACTORY_ID, batch_json, claim_body, example_batch
from tests.conftest import ADMIN, Service


def names(response: httpx.Response, field: str) -> str:
    """The message of a 422 naming ``field`` (fails the test otherwise)."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][:2] == ["body", field], response.text
    return str(detail["msg"])


def test_every_page_sends_csp_frame_referrer_and_nosniff_headers(service: Service, factory: LocalAccount) -> None:
    batch = service.http.post("/batches", json=batch_json(service.ledger, factory, example_batch()))
    assert batch.status_code == 201, batch.text
    pages = ["/", f"/factory/{FACTORY_ID}", f"/batch/{batch.json()['id']}", "/verify", "/certificates",
             "/no-such-page", "/docs", "/factories", "/static/zcl.js"]  # fmt: skip
    for path in pages:
        response = service.http.get(path)
        headers = response.headers
        csp = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert csp["script-src"].split()[0] == "'self'" and "'unsafe-inline'" not in csp["script-src"], path
        assert (csp["object-src"], csp["frame-ancestors"], csp["base-uri"]) == ("'none'", "'none'", "'none'"), path
        assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer", path
        assert headers["x-content-type-options"] == "nosniff", path
        if "text/html" in headers.get("content-type", ""):
            # no inline script or handler would run under this CSP: the pages have none
            scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
            assert all("src=" in attrs or 'type="application/json"' in attrs for attrs, _ in scripts), path
            assert all(not body.strip() for attrs, body in scripts if "src=" in attrs), path
            assert not re.search(r"\son[a-z]+\s*=", response.text), path
    docs = service.http.get("/docs")
    assert docs.status_code == 200 and '<script src="/static/docs.js">' in docs.text
    # Swagger UI is served from here (web/build.mjs copies the pinned swagger-ui-dist): no CDN, no exception
    assert re.findall(r'(?:src|href)="(https?:[^"]+)"', docs.text) == []
    for asset in ("/static/docs.js", "/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css"):
        assert service.http.get(asset).status_code == 200, asset


def register(service: Service, account: LocalAccount, factory_id: str, name: str) -> httpx.Response:
    return service.http.post("/factories", json={"id": factory_id, "name": name, "signer": account.address},
                             headers=ADMIN)  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["Line one\nLine two", "Tab\there", "Bell\x07", "Del\x7f", "Evil\u202ecod.exe", "Iso\u2066late\u2069",
     "Mark\u200e", "Mark\u200f", "Arabic\u061cmark", "Embed\u202a", "Pop\u202c"],
)  # fmt: skip
def test_a_factory_name_with_control_or_bidi_characters_is_refused(
    service: Service, new_account: Callable[[], LocalAccount], name: str
) -> None:
    message = names(register(service, new_account(), "CN-NAME-0001", name), "name")
    assert "U+" in message
    assert service.http.get("/factories/CN-NAME-0001").status_code == 404  # nothing registered on chain


def test_factory_names_are_nfc_and_ids_unique_whatever_their_case(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    decomposed = "Usine Cafe\u0301 Ltd"  # e + combining acute: "é" in two code points
    response = register(service, new_account(), "CN-JS-SZ-0001", decomposed)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == unicodedata.normalize("NFC", decomposed) == "Usine Café Ltd"
    for clash in ("cn-js-sz-0001", "Cn-Js-Sz-0001"):
        response = register(service, new_account(), clash, "Another")
        assert response.status_code == 409 and "CN-JS-SZ-0001" in response.json()["detail"], response.text
        assert service.http.get(f"/factories/{clash}").status_code == 404  # not registered on chain either
    assert register(service, new_account(), "CN-JS-SZ-0001", "Again").status_code == 409


def test_a_signature_with_v_0_or_1_is_refused_by_the_service_as_by_the_contract(
    service: Service, factory: LocalAccount
) -> None:
    v_from = {27: 0, 28: 1}
    body = batch_json(service.ledger, factory, example_batch())
    signature = bytes.fromhex(body["signature"][2:])
    low_v = signature[:64] + bytes([v_from[signature[64]]])
    for sent in (body, {k: v for k, v in body.items() if k != "signer"}):
        message = names(service.http.post("/batches", json=sent | {"signature": "0x" + low_v.hex()}), "signature")
        assert "v must be 27 or 28" in message
    with pytest.raises(chain_errors.InvalidCommitSignature):
        service.ledger.commit_batch(parse_signed_batch(body).commit, low_v)  # the contract agrees

    claim = parse_claim(claim_body(FACTORY_ID, 1, 10))
    domain = service.ledger.domain()
    claim_json = sign_claim_json(claim, sign_claim(factory, domain, claim), domain)
    raw = bytes.fromhex(claim_json["signature"][2:])
    low_v = raw[:64] + bytes([v_from[raw[64]]])
    message = names(service.http.post("/claims", json=claim_json | {"signature": "0x" + low_v.hex()}), "signature")
    assert "v must be 27 or 28" in message
    assert service.http.post("/batches", json=body).status_code == 201  # v = 27/28 as signed is fine

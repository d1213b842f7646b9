"""The buyers' lookup for every registry: by serial, or by block id and unit range (CCER's only way),
over the API and the page; revoked claims shown apart; the claim page; the lookup's arithmetic."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from pypdf import PdfReader

from ledger.claims.serials import SerialRange, block_range, parse_serial
from ledger.records.errors import RecordError
from ledger.services.certificates import unclaimed
from tests.builders import claim_body, claim_json, gec, register_factory
from tests.conftest import Service

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "claims"
CCER = json.loads((EXAMPLES / "ccer-2025.json").read_text())  # block CCER-14-2024-0031-V2024-B03, units 1..1900
BLOCK = CCER["block_id"]


@pytest.fixture
def register(service: Service, new_account: Callable[[], LocalAccount]) -> Callable[[str], LocalAccount]:
    def make(factory_id: str) -> LocalAccount:
        key = new_account()
        register_factory(service.http, key, factory_id, name=f"{factory_id} works")
        return key

    return make


def ccer(factory_id: str, first: int, last: int) -> dict[str, Any]:
    return CCER | {"factory_id": factory_id, "serial_start": str(first), "serial_end": str(last),
                   "quantity": str(last - first + 1)}  # fmt: skip


def lookup(service: Service, registry: str, **params: str) -> dict[str, Any]:
    response = service.http.get(f"/certificates/{registry}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_ccer_block_range_shows_each_claim_the_units_it_holds_and_the_units_left(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    a, b = register("CN-CCER-A"), register("CN-CCER-B")
    first = service.http.post("/claims", json=claim_json(service.ledger, a, ccer("CN-CCER-A", 1, 1000)))
    second = service.http.post("/claims", json=claim_json(service.ledger, b, ccer("CN-CCER-B", 1201, 1500)))
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)

    found = lookup(service, "CCER", block=BLOCK, first="901", last="1600")
    assert (found["registry"], found["block_id"], found["unit"]) == ("CCER", BLOCK, "tCO2e")
    assert (found["serial_start"], found["serial_end"], found["units"]) == ("901", "1600", 700)
    assert found["claimed"] and found["units_claimed"] == 100 + 300 and found["units_unclaimed"] == 300
    assert found["unclaimed"] == [
        {"serial_start": "1001", "serial_end": "1200", "units": 200},
        {"serial_start": "1501", "serial_end": "1600", "units": 100},
    ]
    one, two = found["claims"]
    assert (one["factory_id"], one["overlap_start"], one["overlap_end"], one["overlap_units"]) == (
        "CN-CCER-A", "901", "1000", 100)  # fmt: skip
    assert (one["serial_start"], one["serial_end"]) == ("1", "1000")  # the claim's own range, apart
    assert (two["factory_id"], two["overlap_start"], two["overlap_end"], two["overlap_units"]) == (
        "CN-CCER-B", "1201", "1500", 300)  # fmt: skip
    for shown, answer in ((one, first.json()), (two, second.json())):
        assert shown["claim_id"] == answer["claim_id"] and shown["tx_hash"] == answer["tx_hash"]
        assert shown["block_number"] == answer["block_number"] and shown["attestation"] == "provisional"
        assert (shown["consumption_start"], shown["consumption_end"]) == ("2025-01", "2025-12")
        assert shown["claimed_at"] == service.ledger.block_time(answer["block_number"])
    assert found["revoked_claims"] == []

    # a block no one claimed from, and a range between the two claims
    assert not lookup(service, "CCER", block=BLOCK, first="1001", last="1200")["claimed"]
    other = lookup(service, "CCER", block=BLOCK + "-X", first="1", last="5")
    assert not other["claimed"] and other["unclaimed"] == [{"serial_start": "1", "serial_end": "5", "units": 5}]


def test_every_registry_can_be_looked_up_by_block_and_range_as_well_as_by_serial(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    key = register("CN-GEC-0001")
    assert (
        service.http.post(
            "/claims", json=claim_json(service.ledger, key, claim_body("CN-GEC-0001", 4001, 4800))
        ).status_code
        == 201
    )
    by_serial = lookup(service, "GEC", serial=f"{gec(4701)}..{gec(4900)}")
    old_path = service.http.get(f"/certificates/GEC/{gec(4701)}..{gec(4900)}").json()
    by_block = lookup(service, "GEC", block=by_serial["block_id"], first="4701", last="4900")
    assert by_serial == old_path == by_block  # the same units, asked three ways
    assert by_block["units_claimed"] == 100 and by_block["unclaimed"] == [
        {"serial_start": "4801", "serial_end": "4900", "units": 100}
    ]


def test_a_revoked_claim_is_listed_apart_and_frees_its_units(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    squatter, owner = register("CN-SQUAT"), register("CN-OWNER")
    squat = service.http.post("/claims", json=claim_json(service.ledger, squatter, ccer("CN-SQUAT", 1, 1900))).json()
    service.ledger.revoke_claim(squat["claim_id"], b"\x5a" * 32)
    service.services.claims.index.follow()
    owned = service.http.post("/claims", json=claim_json(service.ledger, owner, ccer("CN-OWNER", 1, 500)))
    assert owned.status_code == 201, owned.text
    found = lookup(service, "CCER", block=BLOCK, first="1", last="1900")
    assert [c["factory_id"] for c in found["claims"]] == ["CN-OWNER"] and found["units_claimed"] == 500
    (revoked,) = found["revoked_claims"]
    assert revoked["claim_id"] == squat["claim_id"] and revoked["attestation"] == "revoked"
    assert (revoked["overlap_start"], revoked["overlap_end"], revoked["overlap_units"]) == ("1", "1900", 1900)
    assert found["unclaimed"] == [{"serial_start": "501", "serial_end": "1900", "units": 1400}]

    page = service.http.get("/certificates", params={"registry": "CCER", "block": BLOCK, "first": "1", "last": "1900"})
    assert page.status_code == 200
    rows = re.findall(r'<tr data-claim-id="(\d+)" data-attestation="(\w+)">', page.text)
    assert rows == [(str(owned.json()["claim_id"]), "provisional"), (str(squat["claim_id"]), "revoked")]
    # the revoked claim's own page and certificate say so
    claim_page = service.http.get(f"/claim/{squat['claim_id']}", headers={"Accept-Language": "zh-CN"}).text
    assert 'data-attestation="revoked"' in claim_page and "已被仲裁方" in claim_page
    pdf = service.http.get(f"/claims/{squat['claim_id']}/certificate.pdf?lang=zh-CN").content
    assert "已被仲裁方撤销" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("registry", "params", "field"),
    [
        ("CCER", {}, "serial"),
        ("CCER", {"serial": "1..5", "block": BLOCK, "first": "1", "last": "5"}, "serial"),
        ("CCER", {"block": BLOCK, "first": "1"}, "last"),
        ("CCER", {"block": BLOCK, "first": "9", "last": "5"}, "last"),
        ("CCER", {"block": BLOCK, "first": "one", "last": "5"}, "first"),
        ("CCER", {"block": "  ", "first": "1", "last": "5"}, "block"),
        ("CCER", {"serial": "1..5"}, "serial"),  # no serial format: the message says to give the block
        ("NOPE", {"block": BLOCK, "first": "1", "last": "5"}, "registry"),
    ],
)
def test_a_bad_lookup_names_its_field(service: Service, registry: str, params: dict[str, str], field: str) -> None:
    response = service.http.get(f"/certificates/{registry}", params=params)
    assert response.status_code == 422, response.text
    assert field in json.dumps(response.json()["detail"]), response.json()


def test_the_lookup_page_by_block_in_chinese_links_each_claim_to_its_page(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    key = register("CN-CCER-A")
    claim_id = service.http.post("/claims", json=claim_json(service.ledger, key, ccer("CN-CCER-A", 1, 1000))).json()[
        "claim_id"
    ]
    params = {"registry": "CCER", "block": BLOCK, "first": "1", "last": "1900"}
    page = service.http.get("/certificates", params=params, headers={"Accept-Language": "zh-CN"}).text
    assert f'href="/claim/{claim_id}"' in page and "CN-CCER-A" in page and 'data-claimed="true"' in page
    assert "核证自愿减排量" in page  # the labels in the reader's language
    labels = json.loads(re.search(r'<script id="lookup-labels"[^>]*>(.*?)</script>', page, re.S)[1])
    assert labels["CCER"]["has_serial"] is False and labels["GEC"]["has_serial"] is True
    assert 'id="by-serial" disabled' in page and 'id="by-block" checked' in page  # CCER: by block only

    claim_page = service.http.get(f"/claim/{claim_id}")
    assert claim_page.status_code == 200 and "CN-CCER-A" in claim_page.text
    shown = json.loads(re.search(r'<script id="zcl-claim"[^>]*>(.*?)</script>', claim_page.text, re.S)[1])
    assert shown == service.http.get(f"/claims/{claim_id}").json()
    assert service.http.get("/claim/999").status_code == 404


def test_block_range_and_the_units_left() -> None:
    assert block_range("CCER", f" {BLOCK} ", "1", 1900) == SerialRange("CCER", BLOCK, 1, 1900)
    assert block_range("GEC", "11320520230900017-202501", "4001", "4800") == parse_serial(f"{gec(4001)}..{gec(4800)}")
    with pytest.raises(RecordError) as too_long:
        block_range("CCER", "x" * 129, "1", "2")
    assert too_long.value.field == "block"
    with pytest.raises(RecordError) as too_big:
        block_range("CCER", BLOCK, "1", str(2**128), fields=("--block", "--range", "--range"))
    assert too_big.value.field == "--range"
    assert unclaimed(1, 10, []) == [(1, 10)]
    assert unclaimed(1, 10, [(0, 3), (5, 5), (9, 20)]) == [(4, 4), (6, 8)]
    assert unclaimed(5, 6, [(1, 10)]) == []
    assert unclaimed(5, 9, [(7, 7), (1, 2)]) == [(5, 6), (8, 9)]

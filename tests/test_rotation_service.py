"""Keys with one job each, through the service (issue 14, item 3): the service registers with the
registrar's key and relays with a key that holds no role; a factory's key changes only by a rotation
its current key signed (the API hands out the EIP-712 message and relays the signature) or by the
admin's forced rotation, which the API, the factory page and the evaluation report all show. The
finding replayed: the registrar's key alone cannot rotate a factory's key nor anchor in its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi.testclient import TestClient
from web3 import Web3

from api.compose import compose
from ledger.chain.client import LedgerClient
from ledger.chain.errors import AccessControlUnauthorizedAccount
from tests.builders import ADMIN, EXAMPLE_STEAM, batch_json, example_batch, register_factory, signed_rotation

FACTORY = "CN-KEYS-0001"
NewAccount = Callable[[], LocalAccount]


@dataclass
class Split:
    """The app over a ledger deployed with one key per role; ``http`` calls it in process."""

    http: TestClient
    relayer: LedgerClient
    registrar: LedgerClient
    admin: LedgerClient


def _split(w3: Web3, new_account: NewAccount, database_url: str, registrar_key: bool) -> Iterator[Split]:
    admin, registrar, attestor, relayer = (new_account() for _ in range(4))
    deployed, _ = LedgerClient.deploy(w3, admin, registrar=registrar.address, attestor=attestor.address)
    relaying = deployed.acting_as(relayer)
    composed = compose(
        relaying, database_url, admin_token="test-admin-token", wait_timeout=30,
        registrar=registrar if registrar_key else None,
    )  # fmt: skip
    with TestClient(composed.app, raise_server_exceptions=False) as http:
        yield Split(http, relaying, deployed.acting_as(registrar), deployed)
    composed.close()


@pytest.fixture
def split(w3: Web3, new_account: NewAccount, database_url: str) -> Iterator[Split]:
    yield from _split(w3, new_account, database_url, registrar_key=True)


def test_registration_uses_the_registrar_key_and_the_relayer_holds_no_role(w3: Web3, split: Split) -> None:
    factory = split.relayer.w3.eth.account.create()
    response = split.http.post("/factories", json={"id": FACTORY, "name": "Keys", "signer": factory.address},
                               headers=ADMIN)  # fmt: skip
    assert response.status_code == 201, response.text
    assert w3.eth.get_transaction(response.json()["registered_tx"])["from"] == split.registrar.sender.address  # type: ignore[union-attr]
    relayer = split.relayer.sender.address  # type: ignore[union-attr]
    assert not any(split.relayer.has_role(role, relayer) for role in ("admin", "registrar", "attestor", "evaluator"))


def test_without_the_registrar_key_registration_answers_503(
    w3: Web3, new_account: NewAccount, database_url: str
) -> None:
    for service in _split(w3, new_account, database_url, registrar_key=False):
        body = {"id": FACTORY, "name": "Keys", "signer": new_account().address}
        response = service.http.post("/factories", json=body, headers=ADMIN)
        assert response.status_code == 503 and "registrar key" in response.json()["detail"], response.text
        assert not service.admin.is_registered(FACTORY)
        assert service.http.get("/chain").status_code == 200  # the rest of the service works


def test_a_rotation_signed_by_the_current_key_relayed_once(split: Split, new_account: NewAccount) -> None:
    a, b, stranger = new_account(), new_account(), new_account()
    register_factory(split.http, a, FACTORY)

    typed = split.http.get(f"/factories/{FACTORY}/rotation", params={"signer": b.address}).json()
    assert typed["primaryType"] == "SignerRotation"
    assert typed["message"] == {"factoryId": FACTORY, "newSigner": b.address, "epoch": 1}
    assert typed["domain"]["verifyingContract"] == split.relayer.address

    forged = signed_rotation(split.http, FACTORY, stranger, b.address)
    refused = split.http.post(f"/factories/{FACTORY}/signer", json=forged, headers=ADMIN)  # the token changes nothing
    assert refused.status_code == 403 and a.address in refused.json()["detail"], refused.text

    consent = signed_rotation(split.http, FACTORY, a, b.address)
    rotated = split.http.post(f"/factories/{FACTORY}/signer", json=consent)  # no admin token: the signature authorizes
    assert rotated.status_code == 200, rotated.text
    assert [(e["signer"], e["forced"]) for e in rotated.json()["signer_history"]] == [
        (a.address, False),
        (b.address, False),
    ]
    again = split.http.post(f"/factories/{FACTORY}/signer", json=consent)
    assert again.status_code == 409 and b.address in again.json()["detail"], again.text

    back = split.http.post(f"/factories/{FACTORY}/signer", json=signed_rotation(split.http, FACTORY, b, a.address))
    assert back.status_code == 200, back.text
    replayed = split.http.post(f"/factories/{FACTORY}/signer", json=consent)  # a's consent named epoch 1: spent
    assert replayed.status_code == 403 and a.address in replayed.json()["detail"], replayed.text
    assert [e.signer for e in split.admin.signer_history(FACTORY)] == [a.address, b.address, a.address]


def test_rotation_errors_name_the_field_or_the_factory(split: Split, new_account: NewAccount) -> None:
    a = new_account()
    register_factory(split.http, a, FACTORY)
    body = signed_rotation(split.http, FACTORY, a, new_account().address)
    assert split.http.get("/factories/CN-NONE/rotation", params={"signer": a.address}).status_code == 404
    assert split.http.post("/factories/CN-NONE/signer", json=body).status_code == 404
    bad = split.http.get(f"/factories/{FACTORY}/rotation", params={"signer": "0x12"})
    assert bad.status_code == 422 and "signer" in bad.text
    for signature in ("0xzz", "0x" + "11" * 64, body["signature"][:-2] + "01"):
        response = split.http.post(f"/factories/{FACTORY}/signer", json=body | {"signature": signature})
        assert response.status_code == 422 and "signature" in response.text, (signature, response.text)
    assert split.admin.current_signer(FACTORY) == a.address


def test_registrar_power_alone_cannot_take_over_a_factory(split: Split, new_account: NewAccount) -> None:
    """The finding replayed through the service: whoever holds the registrar's key tries to rotate a
    factory's key to their own and to anchor a forged correction through the public /batches."""
    factory, attacker = new_account(), new_account()
    register_factory(split.http, factory, FACTORY)
    domain = split.relayer.domain()
    assert split.http.post("/batches", json=batch_json(domain, factory, example_batch(FACTORY))).status_code == 201
    registrar_key = split.registrar.sender
    assert registrar_key is not None

    by_registrar = signed_rotation(split.http, FACTORY, registrar_key, attacker.address)
    refused = split.http.post(f"/factories/{FACTORY}/signer", json=by_registrar, headers=ADMIN)
    assert refused.status_code == 403 and factory.address in refused.json()["detail"], refused.text
    with pytest.raises(AccessControlUnauthorizedAccount):
        split.registrar.force_rotate_signer(FACTORY, attacker.address, keccak(text="take over"))

    forged = split.http.post("/batches", json=batch_json(domain, attacker, example_batch(FACTORY, revision=2)))
    assert forged.status_code == 403 and attacker.address in forged.json()["detail"], forged.text
    assert split.admin.revision_count(FACTORY, "2025-01") == 1
    assert split.admin.current_signer(FACTORY) == factory.address


def test_a_forced_rotation_shows_in_the_api_the_page_and_the_evaluation(split: Split, new_account: NewAccount) -> None:
    lost, replacement = new_account(), new_account()
    register_factory(split.http, lost, FACTORY)
    domain = split.relayer.domain()
    january = batch_json(domain, lost, example_batch(FACTORY))
    assert split.http.post("/batches", json=january).status_code == 201
    tx = split.admin.force_rotate_signer(FACTORY, replacement.address, keccak(text="key lost"))
    february = batch_json(domain, replacement, example_batch(FACTORY, month="2025-02"))
    assert split.http.post("/batches", json=february).status_code == 201, "the forced key signs from now on"

    history = split.http.get(f"/factories/{FACTORY}").json()["signer_history"]
    assert [(e["signer"], e["forced"]) for e in history] == [(lost.address, False), (replacement.address, True)]
    page = split.http.get(f"/factory/{FACTORY}").text
    assert page.count("forced by the admin") == 1
    assert page.index(replacement.address) < page.index("forced by the admin")

    evaluation = split.http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM}
    )
    assert evaluation.status_code == 201, evaluation.text
    used = {p["period"]: p for p in evaluation.json()["periods"]["used"]}
    note = f"signed under a key the admin forced in block {tx.block_number}"
    assert "note" not in used["2025-01"] and used["2025-02"]["note"] == note
    report = split.http.get(f"/evaluations/{evaluation.json()['id']}/report.html").text
    assert report.count(note) == 1


def test_the_admin_route_for_evaluators_is_gone(split: Split, new_account: NewAccount) -> None:
    someone = new_account().address
    assert split.http.post("/evaluators", json={"address": someone}, headers=ADMIN).status_code in (404, 405)
    assert not split.admin.is_evaluator(someone)


def test_typed_data_route_is_in_the_openapi_document(split: Split, tmp_path: Path) -> None:
    paths = split.http.get("/openapi.json").json()["paths"]
    assert "get" in paths["/factories/{factory_id}/rotation"]
    assert "/evaluators" not in paths
    signer_in = split.http.get("/openapi.json").json()["components"]["schemas"]["SignerIn"]
    assert set(signer_in["required"]) == {"signer", "signature"}

"""A signed evaluation report travels the same lifecycle as a batch or a claim.

The evaluator's signature is stored with the report as ``pending`` before the report is relayed,
so a crash at any step loses nothing: the reconciler anchors it (the chain does not hold it yet),
confirms it with the transaction that did (the chain already holds it), or turns it back into a
draft to be signed anew (the contract refuses it now). The crashes are made the way a crash leaves
the database: the pending row is written by the storage module itself, and the relay is sent, or
not, straight to the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.eip712 import ReportCommit
from ledger.store import evaluations as evaluation_rows
from tests.builders import EXAMPLE_STEAM, FACTORY_ID, batch_json, example_batch, register_factory
from tests.conftest import Service

FACTORY = FACTORY_ID


@pytest.fixture
def draft(service: Service, new_account: Callable[[], LocalAccount]) -> dict[str, Any]:
    """A draft evaluation of a factory with one anchored month, an appointed evaluator, and its
    signature of the report (not yet submitted)."""
    factory, evaluator = new_account(), new_account()
    register_factory(service.http, factory, FACTORY)
    assert service.http.post("/batches", json=batch_json(service.ledger, factory, example_batch())).status_code == 201
    service.ledger.grant_evaluator(evaluator.address)  # with the admin key (the test ledger has one key)
    report = service.http.post(
        "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM}
    ).json()
    commit: ReportCommit = service.services.evaluations.commit_for(report["id"], evaluator.address)
    signature = commit.sign(evaluator, service.ledger.domain())
    return {"id": report["id"], "evaluator": evaluator, "commit": commit, "signature": signature}


def _crash_after_storing(service: Service, draft: dict[str, Any]) -> None:
    with service.services.sessions.begin() as session:
        evaluation_rows.mark_pending(session, draft["id"], draft["evaluator"].address, "0x" + draft["signature"].hex())


def test_a_report_left_pending_before_its_relay_is_anchored_by_the_reconciler(
    service: Service, draft: dict[str, Any]
) -> None:
    _crash_after_storing(service, draft)
    pending = service.http.get(f"/evaluations/{draft['id']}").json()
    assert pending["status"] == "pending" and pending["signature"] == "0x" + draft["signature"].hex()
    assert service.ledger.reports_for(FACTORY, 2025, "I") == []

    assert service.services.evaluations.reconcile() == 1
    anchored = service.http.get(f"/evaluations/{draft['id']}").json()
    assert anchored["status"] == "anchored" and anchored["anchor"]["tx_hash"].startswith("0x")
    on_chain = service.ledger.get_report(anchored["anchor"]["report_id"])
    assert on_chain.report_hash == draft["commit"].report_hash and on_chain.evaluator == draft["evaluator"].address
    assert service.services.evaluations.reconcile() == 0


def test_a_report_the_chain_already_holds_is_confirmed_with_the_transaction_that_anchored_it(
    service: Service, draft: dict[str, Any]
) -> None:
    _crash_after_storing(service, draft)
    report_id, tx = service.ledger.anchor_report(draft["commit"], draft["signature"])  # mined; the row never marked

    assert service.services.evaluations.reconcile() == 1
    anchored = service.http.get(f"/evaluations/{draft['id']}").json()
    assert anchored["status"] == "anchored"
    assert anchored["anchor"] == {
        "report_id": report_id,
        "tx_hash": tx.tx_hash,
        "block_number": tx.block_number,
        "final": True,
    }
    assert service.ledger.reports_for(FACTORY, 2025, "I") == [report_id]  # not anchored a second time


def test_a_report_the_contract_now_refuses_becomes_a_draft_again(service: Service, draft: dict[str, Any]) -> None:
    _crash_after_storing(service, draft)
    service.ledger.revoke_evaluator(draft["evaluator"].address)  # the role went while the report waited

    assert service.services.evaluations.reconcile() == 0
    back = service.http.get(f"/evaluations/{draft['id']}").json()
    assert back["status"] == "draft" and "signature" not in back and "evaluator" not in back
    assert service.ledger.reports_for(FACTORY, 2025, "I") == []


def test_signing_the_same_pending_report_again_finishes_it(service: Service, draft: dict[str, Any]) -> None:
    _crash_after_storing(service, draft)
    body = {"evaluator": draft["evaluator"].address, "signature": "0x" + draft["signature"].hex()}
    answer = service.http.post(f"/evaluations/{draft['id']}/signature", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "anchored" and len(service.ledger.reports_for(FACTORY, 2025, "I")) == 1


def test_a_report_a_reorg_took_is_anchored_again_from_its_stored_signature(
    service: Service, draft: dict[str, Any]
) -> None:
    """The chain is the truth for reports too: the watcher sees the anchor gone (a depth-1 reorg of
    the block that held it), makes the report pending again, and the reconciler re-sends it."""
    body = {"evaluator": draft["evaluator"].address, "signature": "0x" + draft["signature"].hex()}
    first = service.http.post(f"/evaluations/{draft['id']}/signature", json=body).json()
    assert first["status"] == "anchored" and first["anchor"]["final"] is True
    service.w3.provider.make_request("anvil_reorg", [1, []])  # type: ignore[arg-type]
    assert service.ledger.reports_for(FACTORY, 2025, "I") == []

    assert service.services.evaluations.watch() == 1
    lost = service.http.get(f"/evaluations/{draft['id']}").json()
    assert lost["status"] == "pending" and lost["signature"] == body["signature"]
    assert service.services.evaluations.reconcile() == 1
    again = service.http.get(f"/evaluations/{draft['id']}").json()
    assert again["status"] == "anchored" and again["anchor"]["tx_hash"] == service.ledger.report_tx(
        again["anchor"]["report_id"], again["anchor"]["block_number"]
    )
    on_chain = service.ledger.get_report(again["anchor"]["report_id"])
    assert (
        on_chain.report_hash == draft["commit"].report_hash
        and on_chain.anchored_block == again["anchor"]["block_number"]
    )
    assert service.services.evaluations.watch() == 0

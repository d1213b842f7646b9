"""The service end to end over real HTTP: uvicorn on loopback, a real SQLite file, a real anvil."""

from __future__ import annotations

import copy
import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.eip712.batch_commit import sign_commit
from ledger.signing import parse_signed_batch
from ledger.store import batches as batch_rows
from ledger.store.db import make_engine, migrate
from ledger.store.models import Base, BatchRow, RecordRow
from ledger.verify import verify_bundle
from tests.builders import batch_json, example_batch
from tests.conftest import ADMIN, Service

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "2025-01"


def submit(service: Service, body: dict[str, Any]) -> httpx.Response:
    return service.http.post("/batches", json=body)


def test_register_needs_the_admin_token(service: Service, new_account: Callable[[], LocalAccount]) -> None:
    body = {"id": "CN-X", "name": "X", "signer": new_account().address}
    assert service.http.post("/factories", json=body).status_code == 401
    assert service.http.post("/factories", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert not service.ledger.is_registered("CN-X")
    assert service.http.post("/factories", json=body, headers=ADMIN).status_code == 201
    shown = service.http.get("/factories/CN-X").json()
    assert shown["name"] == "X" and shown["signer"] == body["signer"] and shown["registered_tx"].startswith("0x")
    assert service.http.post("/factories", json=body, headers=ADMIN).status_code == 409
    assert service.http.get("/factories/CN-NONE").status_code == 404
    bad = service.http.post("/factories", json=body | {"id": "has space"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] in ("factory_id", "id")


def test_a_month_is_stored_anchored_and_listed(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, example_batch())
    response = submit(service, body)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["status"] == "anchored" and batch["leaf_count"] == 6 and len(batch["records"]) == 6
    anchor = service.ledger.get_anchor("CN-JS-SZ-0001", "2025-01", 1)
    assert batch["root"] == "0x" + anchor.root.hex() == body["root"]
    assert batch["block_number"] == anchor.anchored_block and batch["signer"] == factory.address
    assert service.w3.eth.get_transaction_receipt(batch["tx_hash"])["status"] == 1
    assert [r["value"] for r in batch["records"]] == [r["value"] for r in body["records"]]

    assert service.http.get(f"/batches/{batch['id']}").json() == batch
    listed = service.http.get("/factories/CN-JS-SZ-0001/batches", params={"period": "2025-01"}).json()
    assert [b["id"] for b in listed] == [batch["id"]]
    assert service.http.get("/factories/CN-JS-SZ-0001/batches", params={"period": "2025-02"}).json() == []
    assert service.http.get("/batches/no-such-batch").status_code == 404

    again = submit(service, body)
    assert again.status_code == 200 and again.json()["id"] == batch["id"]  # idempotent


def test_wrong_key_replay_and_second_revision_1_are_refused(
    service: Service, factory: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    intruder = new_account()
    forged = submit(service, batch_json(service.ledger, intruder, example_batch()))
    assert forged.status_code == 403 and intruder.address in forged.json()["detail"]

    assert submit(service, batch_json(service.ledger, factory, example_batch())).status_code == 201
    other = submit(service, batch_json(service.ledger, factory, example_batch(value="1.0")))
    assert other.status_code == 409 and "already batch" in other.json()["detail"]

    # the factory's own commit anchored on chain without this service (another relayer), then offered
    # here: the chain holds exactly its root, so it is accepted as anchored, with the other relayer's tx
    march = batch_json(service.ledger, factory, example_batch() | {"period": "2025-03"} | _march_intervals())
    commit = parse_signed_batch(march)
    relayed = service.ledger.commit_batch(commit.commit, commit.signature)
    replay = submit(service, march)
    assert replay.status_code == 201, replay.text
    assert replay.json()["status"] == "anchored" and replay.json()["tx_hash"] == relayed.tx_hash
    assert replay.json()["block_number"] == relayed.block_number
    # another root for a revision the chain holds is refused, naming the root the chain holds
    held = parse_signed_batch(batch_json(service.ledger, factory, _april(example_batch())))
    service.ledger.commit_batch(held.commit, held.signature)
    replay = submit(service, batch_json(service.ledger, factory, _april(example_batch(value="2.0"))))
    assert replay.status_code == 409, replay.text
    assert "already anchored on chain with root 0x" + held.root.hex() in replay.json()["detail"]

    gap = submit(service, batch_json(service.ledger, factory, example_batch(revision=3)))
    assert gap.status_code == 409 and "next revision is 2" in gap.json()["detail"]
    with service.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BatchRow)) == 2


def _april(data: dict[str, Any]) -> dict[str, Any]:
    for record in data["records"]:
        record["interval_start"] = "2025-04-01T00:00:00+08:00"
        record["interval_end"] = "2025-05-01T00:00:00+08:00"
    return data | {"period": "2025-04"}


def _march_intervals() -> dict[str, Any]:
    data = example_batch()
    for record in data["records"]:
        record["interval_start"] = "2025-03-01T00:00:00+08:00"
        record["interval_end"] = "2025-04-01T00:00:00+08:00"
    return {"records": data["records"]}


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        ({"value": 12.5}, ["records", 0, "value"], "string"),
        ({"value": "-5"}, ["records", 0, "value"], "negative"),
        ({"value": "NaN"}, ["records", 0, "value"], "decimal"),
        ({"unit": "kW"}, ["records", 0, "unit"], "kWh"),
        ({"kind": "moonlight"}, ["records", 0, "kind"], "moonlight"),
        ({"interval_end": "2025-02-02T00:00:00+08:00"}, ["records", 0, "interval_end"], "period"),
        ({"interval_start": "2025-01-01T00:00:00"}, ["records", 0, "interval_start"], "offset"),
        ({"salt": "0x1234"}, ["records", 0, "salt"], "32 bytes"),
        ({"surprise": 1}, ["records", 0, "surprise"], ""),
    ],
)
def test_bad_input_is_422_naming_the_field(
    service: Service, factory: LocalAccount, change: dict[str, Any], location: list[Any], message: str
) -> None:
    body = batch_json(service.ledger, factory, example_batch())
    body["records"][0].update(change)
    response = submit(service, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][1:] == location
    assert message.lower() in detail["msg"].lower()


def test_records_that_do_not_match_the_signed_root_are_refused(service: Service, factory: LocalAccount) -> None:
    body = batch_json(service.ledger, factory, example_batch())
    body["records"][1]["value"] = "38216.1"  # a valid record, but not the one that was signed
    response = submit(service, body)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "root"]
    body = batch_json(service.ledger, factory, example_batch())
    body["leaf_count"] = 7
    assert submit(service, body).json()["detail"][0]["loc"] == ["body", "leaf_count"]


def bundle_for(service: Service, batch: dict[str, Any], position: int = 0) -> dict[str, Any]:
    response = service.http.get(f"/records/{batch['records'][position]['id']}/proof")
    assert response.status_code == 200, response.text
    return response.json()


def test_every_record_has_a_bundle_that_verifies(service: Service, factory: LocalAccount) -> None:
    batch = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    for position in range(6):
        bundle = bundle_for(service, batch, position)
        assert bundle["record_id"] == batch["records"][position]["id"]
        assert bundle["anchor"] == {"tx_hash": batch["tx_hash"], "block_number": batch["block_number"]}
        report = verify_bundle(bundle, service.w3, expected_contract=service.ledger.address)
        assert report.valid, report.to_json()
    served = service.http.post("/verify", json=bundle).json()
    assert served["valid"] and [c["name"] for c in served["checks"]][:3] == ["bundle", "record", "record_hash"]
    assert service.http.get("/records/nope/proof").status_code == 404


def _flip(hex_string: str, at: int = -1) -> str:
    chars = list(hex_string)
    chars[at] = "0" if chars[at] != "0" else "1"
    return "".join(chars)


TAMPERINGS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("value", lambda b: b["record"].update(value="1286420.5"), "record_hash"),
    ("unit", lambda b: b["record"].update(unit="MWh"), "record_hash"),
    ("source", lambda b: b["record"].update(source_id="meter-other"), "record_hash"),
    ("interval", lambda b: b["record"].update(interval_end="2025-01-31T00:00:00+08:00"), "record_hash"),
    ("salt", lambda b: b["record"].update(salt=_flip(b["record"]["salt"])), "record_hash"),
    ("evidence", lambda b: b["record"]["evidence"][0].update(file_name="other.pdf"), "record_hash"),
    ("record_hash", lambda b: b.update(record_hash=_flip(b["record_hash"])), "record_hash"),
    ("leaf", lambda b: b.update(leaf=_flip(b["leaf"])), "leaf"),
    ("proof", lambda b: b["proof"].__setitem__(0, _flip(b["proof"][0])), "root"),
    ("proof order", lambda b: b["proof"].reverse(), "root"),
    ("root", lambda b: b.update(root=_flip(b["root"])), "root"),
    ("revision", lambda b: b.update(revision=2), "anchor"),
    ("period", lambda b: b.update(period="2025-02"), "record"),
    ("signature", lambda b: b.update(batch_signature=_flip(b["batch_signature"], 70)), "signature"),
    ("chain", lambda b: b.update(chain_id=1), "chain"),
    ("contract", lambda b: b.update(contract="0x" + "11" * 20), "contract"),
    ("tx", lambda b: b["anchor"].update(tx_hash=_flip(b["anchor"]["tx_hash"])), "transaction"),
]


@pytest.mark.parametrize(("what", "tamper", "failed_check"), TAMPERINGS, ids=[t[0] for t in TAMPERINGS])
def test_tampering_fails_the_right_check(
    service: Service, factory: LocalAccount, what: str, tamper: Callable[[dict[str, Any]], None], failed_check: str
) -> None:
    batch = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    bundle = bundle_for(service, batch)
    assert verify_bundle(copy.deepcopy(bundle), service.w3).valid
    tamper(bundle)
    report = verify_bundle(bundle, service.w3)
    assert not report.valid
    assert report.first_failure is not None and report.first_failure.name == failed_check, report.to_json()
    served = service.http.post("/verify", json=bundle).json()
    assert not served["valid"] and next(c for c in served["checks"] if c["ok"] is False)["name"] in (
        failed_check,
        "contract",  # the service pins its own contract, so a foreign address fails there too
    )


def test_a_fake_ledger_is_refused_when_the_contract_is_pinned(
    service: Service, factory: LocalAccount, w3: Web3, new_account: Callable[[], LocalAccount]
) -> None:
    """Anyone can deploy a CarbonLedger and anchor a fake month there; pinning the real one stops it."""
    batch = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    bundle = bundle_for(service, batch)
    forger = new_account()
    fake, _ = LedgerClient.deploy(w3, forger)
    fake.register_factory("CN-JS-SZ-0001", forger.address)
    commit = parse_signed_batch(batch_json(service.ledger, factory, example_batch()))
    fake_commit = sign_commit(forger, fake.domain(), commit.commit)
    fake.commit_batch(commit.commit, fake_commit)
    assert verify_bundle(bundle, w3, expected_contract=service.ledger.address).valid
    forged = copy.deepcopy(bundle) | {"contract": fake.address}
    report = verify_bundle(forged, w3, expected_contract=service.ledger.address)
    assert report.first_failure is not None and report.first_failure.name == "contract"


def test_a_superseded_revision_still_verifies_and_says_so(service: Service, factory: LocalAccount) -> None:
    first = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    bundle = bundle_for(service, first)
    second = submit(service, batch_json(service.ledger, factory, example_batch(revision=2, value="1286421.0")))
    assert second.status_code == 201, second.text
    report = verify_bundle(bundle, service.w3)
    assert report.valid and report.superseded_by == 2
    assert verify_bundle(bundle_for(service, second.json()), service.w3).superseded_by is None
    revisions = service.http.get("/factories/CN-JS-SZ-0001/batches").json()
    assert [(b["period"], b["revision"]) for b in revisions] == [("2025-01", 1), ("2025-01", 2)]


def test_evidence_files_are_checked_against_the_record(service: Service, factory: LocalAccount, tmp_path: Path) -> None:
    batch = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    bundle = bundle_for(service, batch)
    bill = EXAMPLE / "evidence" / "state-grid-bill-2025-01.pdf"
    photo = EXAMPLE / "evidence" / "grid-meter-photo-2025-01-31.png"
    assert verify_bundle(bundle, service.w3, evidence_files=[bill, photo]).valid
    altered = tmp_path / bill.name
    altered.write_bytes(bill.read_bytes().replace(b"1,286,420.4", b"1,286,000.4"))
    report = verify_bundle(bundle, service.w3, evidence_files=[altered])
    assert report.first_failure is not None and report.first_failure.name == "evidence"
    assert bill.name in report.first_failure.detail


@pytest.mark.usefixtures("served")  # clients on their own connections, from threads
def test_concurrent_submissions_lose_and_duplicate_nothing(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    factories = {}
    for n in range(3):
        account = new_account()
        factory_id = f"CN-CONC-{n}"
        assert (
            service.http.post(
                "/factories", json={"id": factory_id, "name": factory_id, "signer": account.address}, headers=ADMIN
            ).status_code
            == 201
        )
        factories[factory_id] = account
    bodies = [
        batch_json(service.ledger, account, example_batch(factory_id)) for factory_id, account in factories.items()
    ]
    # each body four times, all at once: 12 requests for 3 batches
    jobs = [body for body in bodies for _ in range(4)]
    results: list[httpx.Response | None] = [None] * len(jobs)
    base = str(service.http.base_url)

    def post(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            results[i] = client.post("/batches", json=jobs[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(r is not None for r in results)
    codes = sorted(r.status_code for r in results if r is not None)
    assert codes == [200] * 9 + [201] * 3, [r.text for r in results if r is not None and r.status_code >= 300]
    ids = {r.json()["id"] for r in results if r is not None}
    assert len(ids) == 3
    with service.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BatchRow)) == 3
        assert session.scalar(select(func.count()).select_from(RecordRow)) == 18
    for factory_id in factories:
        assert service.ledger.revision_count(factory_id, "2025-01") == 1


def test_a_batch_left_pending_by_a_crash_is_finished_at_start(service: Service, factory: LocalAccount) -> None:
    """Two crashes: before the transaction was sent, and after it was mined but before it was recorded."""
    services = service.services
    before = parse_signed_batch(batch_json(service.ledger, factory, example_batch()))
    after_body = batch_json(service.ledger, factory, example_batch() | {"period": "2025-03"} | _march_intervals())
    after = parse_signed_batch(after_body)
    with services.sessions.begin() as session:
        batch_rows.insert_batch(session, "crash-before-send", before, factory.address)
        batch_rows.insert_batch(session, "crash-after-mine", after, factory.address)
    tx = service.ledger.commit_batch(after.commit, after.signature)

    assert service.http.get("/batches/crash-before-send").json()["status"] == "pending"
    assert services.batches.reconcile() == 2
    for batch_id in ("crash-before-send", "crash-after-mine"):
        batch = service.http.get(f"/batches/{batch_id}").json()
        assert batch["status"] == "anchored" and batch["tx_hash"] and batch["block_number"]
        assert verify_bundle(bundle_for(service, batch), service.w3).valid
    assert service.http.get("/batches/crash-after-mine").json()["tx_hash"] == tx.tx_hash
    assert services.batches.reconcile() == 0


def test_migrations_build_exactly_the_models_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_openapi_docs_are_served(service: Service) -> None:
    assert service.http.get("/docs").status_code == 200
    paths = service.http.get("/openapi.json").json()["paths"]
    for path in ("/factories", "/batches", "/batches/{batch_id}", "/records/{record_id}/proof", "/verify"):
        assert path in paths


def test_openzeppelins_library_computes_the_same_root(service: Service, factory: LocalAccount) -> None:
    batch = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    script = Path(__file__).resolve().parents[1] / "scripts" / "oz-root.mjs"
    run = subprocess.run(["node", str(script)], input=json.dumps(batch), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == batch["root"]
    batch["root"] = "0x" + "00" * 32
    mismatch = subprocess.run(
        ["node", str(script)], input=json.dumps(batch), capture_output=True, text=True, timeout=60
    )
    assert mismatch.returncode == 1 and "differs" in mismatch.stderr


def test_a_signature_that_recovers_no_key_fails_the_signature_check(service: Service, factory: LocalAccount) -> None:
    batch = submit(service, batch_json(service.ledger, factory, example_batch())).json()
    bundle = bundle_for(service, batch)
    bundle["batch_signature"] = "0x" + "00" * 64 + "1b"  # r = s = 0: no key recovers from it
    report = verify_bundle(bundle, service.w3)
    assert report.first_failure is not None and report.first_failure.name == "signature"
    assert "recovers no key" in report.first_failure.detail
    assert service.http.post("/verify", json=bundle).json()["valid"] is False

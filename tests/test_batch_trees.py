"""A batch's Merkle tree is persisted when the batch is stored, so its page and its proofs need not
rebuild it from every record hash, and only a tree whose root is the batch's is ever used.

Against the real service (a real database, a real anvil). Whether a view rebuilt the tree is read from
the SQL the database was sent: a rebuild is the one query for every record hash of the batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, update

from api.compose import compose
from ledger.keccak import Backend
from ledger.merkle import MerkleTree, verify
from ledger.services.pages import RECORDS_PER_PAGE
from ledger.services.trees import stored_digest
from ledger.store.models import BatchTreeRow, RecordRow
from ledger.verify import verify_bundle
from tests.builders import batch_json
from tests.conftest import Service
from tests.test_bulk_ingest import ndjson, post_stream, readings

N = 1234


@contextmanager
def rebuilds(engine: Engine) -> Iterator[list[str]]:
    """The statements that read every record hash of a batch (a tree rebuild) while inside."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if " ".join(statement.split()).startswith("SELECT records.record_hash FROM records WHERE"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _stored(service: Service, batch_id: str) -> tuple[bytes, bytes, str]:
    with service.services.sessions() as session:
        row = session.get(BatchTreeRow, batch_id)
        assert row is not None, f"batch {batch_id} has no persisted tree"
        return bytes(row.nodes), bytes(row.positions), row.digest


def _set_tree(service: Service, batch_id: str, **values: Any) -> None:
    with service.services.sessions.begin() as session:
        session.execute(update(BatchTreeRow).where(BatchTreeRow.batch_id == batch_id).values(**values))


@pytest.fixture
def batch(service: Service, factory: LocalAccount) -> dict[str, Any]:
    body = batch_json(service.ledger, factory, readings(N))
    stored = post_stream(service.http, ndjson(body))
    assert stored.status_code == 201 and stored.json()["status"] == "anchored"
    return stored.json()


def _chain_root(service: Service, batch: dict[str, Any]) -> bytes:
    return service.ledger.get_anchor(batch["factory_id"], batch["period"], batch["revision"]).root


def _record(service: Service, batch: dict[str, Any], position: int) -> dict[str, Any]:
    answer = service.http.get(f"/batches/{batch['id']}", params={"offset": position, "limit": 1})
    return answer.json()["records"][0]


def test_the_tree_is_stored_with_the_batch_and_a_restarted_service_reads_it(
    service: Service, batch: dict[str, Any], tmp_path: Any
) -> None:
    nodes, positions, _ = _stored(service, batch["id"])
    assert "0x" + nodes[:32].hex() == batch["root"] and len(positions) == 8 * N
    chain_root = _chain_root(service, batch)

    # a second service on the same database: nothing in its memory, as after a restart
    again = compose(service.ledger, service.database_url, admin_token="t", evidence_dir=tmp_path / "evidence")
    try:
        with TestClient(again.app) as http, rebuilds(again.engine) as seen:
            page = http.get(f"/batch/{batch['id']}", params={"offset": 1000})
            assert page.text.count("proven against chain") == N - 1000
            assert "records give the on-chain root" in page.text
            for position in (0, 617, N - 1):
                record = _record(service, batch, position)
                bundle = http.get(f"/records/{record['id']}/proof").json()
                proof = [bytes.fromhex(p[2:]) for p in bundle["proof"]]
                assert verify(chain_root, bytes.fromhex(record["record_hash"][2:]), proof)
                assert verify_bundle(bundle, service.w3).valid
            lines = http.get(f"/batches/{batch['id']}/proofs", params={"offset": 1200, "limit": 34}).text.splitlines()
            assert len(lines) == 34
            assert (
                len(http.get(f"/batches/{batch['id']}", params={"offset": 600, "limit": 100}).json()["records"]) == 100
            )
        assert seen == []  # neither the pages nor a proof rebuilt the tree
    finally:
        again.close()


def test_a_batch_without_a_persisted_tree_gets_it_rebuilt_once(service: Service, batch: dict[str, Any]) -> None:
    """As a batch stored before trees were persisted: its first view rebuilds and persists the tree."""
    stored = _stored(service, batch["id"])
    with service.services.sessions.begin() as session:
        session.delete(session.get(BatchTreeRow, batch["id"]))
    service.services.batches.trees.cache.forget(batch["id"])
    engine = service.services.sessions.kw["bind"]
    with rebuilds(engine) as seen:
        assert service.http.get(f"/batch/{batch['id']}").text.count("proven against chain") == RECORDS_PER_PAGE
        assert len(seen) == 1
        assert _stored(service, batch["id"]) == stored  # the same tree, bit for bit
        service.services.batches.trees.cache.forget(batch["id"])
        service.http.get(f"/batch/{batch['id']}")
        assert len(seen) == 1  # the second view read the persisted tree


@pytest.mark.parametrize("damage", ["inner node", "positions", "digest", "root"])
def test_a_damaged_persisted_tree_is_detected_and_rebuilt(service: Service, batch: dict[str, Any], damage: str) -> None:
    nodes, positions, digest = stored = _stored(service, batch["id"])
    if damage == "inner node":
        _set_tree(service, batch["id"], nodes=nodes[:64] + bytes([nodes[64] ^ 1]) + nodes[65:])
    elif damage == "positions":
        _set_tree(service, batch["id"], positions=positions[8:] + positions[:8])
    elif damage == "digest":
        _set_tree(service, batch["id"], digest="0" * 64)
    else:  # another batch's tree, whole and with its own digest: only its root tells it apart
        other = MerkleTree.build([bytes([i]) * 32 for i in range(1, 6)])
        other_nodes, other_positions = other.stored()
        _set_tree(service, batch["id"], nodes=other_nodes, positions=other_positions,
                  digest=stored_digest(other_nodes, other_positions))  # fmt: skip
    assert _stored(service, batch["id"]) != stored
    service.services.batches.trees.cache.forget(batch["id"])
    record = _record(service, batch, 700)
    with rebuilds(service.services.sessions.kw["bind"]) as seen:
        bundle = service.http.get(f"/records/{record['id']}/proof")
        assert bundle.status_code == 200 and verify_bundle(bundle.json(), service.w3).valid
        assert len(seen) == 1
    assert _stored(service, batch["id"]) == stored  # repaired


def test_a_cached_tree_whose_root_is_not_the_batchs_is_never_used(service: Service, batch: dict[str, Any]) -> None:
    trees = service.services.batches.trees
    wrong = MerkleTree.build([bytes([7]) * 32] * 3)
    trees.cache.forget(batch["id"])
    trees.cache.remember(batch["id"], wrong)
    tree = trees.get(batch["id"], batch["root"])
    assert tree is not wrong and "0x" + tree.root.hex() == batch["root"]
    assert trees.cache.peek(batch["id"]) is tree


def test_records_that_no_longer_give_the_root_get_no_proof_and_no_tree(service: Service, batch: dict[str, Any]) -> None:
    with service.services.sessions.begin() as session:
        session.delete(session.get(BatchTreeRow, batch["id"]))
        row = session.scalars(
            select(RecordRow).where(RecordRow.batch_id == batch["id"], RecordRow.position == 900)
        ).one()
        row.record_hash = "0x" + "ab" * 32
    service.services.batches.trees.cache.forget(batch["id"])
    record = _record(service, batch, 3)
    answer = service.http.get(f"/records/{record['id']}/proof")
    assert answer.status_code == 500 and batch["root"] in answer.json()["detail"]
    assert service.http.get(f"/batches/{batch['id']}/proofs").status_code == 500
    assert "records do NOT give the on-chain root" in service.http.get(f"/batch/{batch['id']}").text
    with service.services.sessions() as session:
        assert session.get(BatchTreeRow, batch["id"]) is None  # a tree that is not the batch's is never kept


def test_a_tampered_record_on_the_page_is_not_proven_though_the_tree_is_whole(
    service: Service, batch: dict[str, Any]
) -> None:
    with service.services.sessions.begin() as session:
        row = session.scalars(select(RecordRow).where(RecordRow.batch_id == batch["id"], RecordRow.position == 7)).one()
        row.record_hash = "0x" + "ab" * 32
        record_id = row.id
    page = service.http.get(f"/batch/{batch['id']}").text
    assert page.count("not proven") == 1 and "records do NOT give the on-chain root" in page
    assert service.http.get(f"/records/{record_id}/proof").status_code == 500  # its proof would not verify


@pytest.mark.parametrize("backend", ["native", "python"])
def test_the_stored_form_round_trips_and_a_wrong_shape_is_refused(backend: Backend) -> None:
    tree = MerkleTree.build([bytes([i % 251]) * 32 for i in range(1000)], backend=backend)
    nodes, positions = tree.stored()
    again = MerkleTree.from_stored(nodes, positions)
    assert again.root == tree.root and again.proofs() == tree.proofs()
    with pytest.raises(ValueError, match="positions"):
        MerkleTree.from_stored(nodes, positions[:-3])
    with pytest.raises(ValueError, match="nodes must be"):
        MerkleTree.from_stored(nodes[:-32], positions)
    with pytest.raises(ValueError, match="point at the leaves"):
        MerkleTree.from_stored(nodes, (0).to_bytes(8, "little") + positions[8:])

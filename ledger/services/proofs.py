"""Proofs: a self-contained bundle per record, or every record's proof of a batch as one stream."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ledger.chain.client import LedgerClient
from ledger.errors import Conflict, IntegrityError, NotFound, Unavailable
from ledger.merkle import MerkleTree
from ledger.merkle.proof import verify as verify_proof
from ledger.services.batches import BatchService
from ledger.services.trees import BatchTrees
from ledger.services.views import BatchView
from ledger.store import batches as rows
from ledger.store.batches import ANCHORED, PENDING

BUNDLE_FORMAT = "zcl-proof-bundle/1"
PROOF_CHUNK = 2000
"""Proof lines per piece of a streamed proofs response."""


class ProofService:
    def __init__(self, ledger: LedgerClient, batches: BatchService, trees: BatchTrees) -> None:
        self.ledger = ledger
        self.batches = batches
        self.sessions = batches.sessions
        self.trees = trees

    def bundle(self, record_id: str) -> dict[str, Any]:
        """A self-contained proof that a record was anchored: everything `zcl verify` needs."""
        with self.sessions() as session:
            record = rows.get_record(session, record_id)
            if record is None:
                raise NotFound(f"no record {record_id}")
            batch = rows.get(session, record.batch_id)
            assert batch is not None
            _check_provable(batch.id, batch.status, batch.reason)
        tree = self._tree(batch.id, batch.root)
        proof = tree.proof(record.position)
        if not verify_proof(tree.root, bytes.fromhex(record.record_hash[2:]), proof):
            raise IntegrityError(
                f"record {record.id}'s stored hash is not leaf {record.position} of batch {batch.id}'s tree "
                f"(root {batch.root}): its proof would not verify"
            )
        domain = self.ledger.domain()
        return {
            "format": BUNDLE_FORMAT,
            "chain_id": domain.chain_id,
            "contract": domain.verifying_contract,
            "factory_id": batch.factory_id,
            "period": batch.period,
            "revision": batch.revision,
            "record_id": record.id,
            "record": json.loads(record.body),
            "record_hash": record.record_hash,
            "leaf": "0x" + tree.leaf(record.position).hex(),
            "proof": ["0x" + node.hex() for node in proof],
            "root": batch.root,
            "leaf_count": batch.leaf_count,
            "uri": batch.uri,
            "batch_signature": batch.signature,
            "signer": batch.signer,
            "anchor": {"tx_hash": batch.tx_hash, "block_number": batch.block_number, "final": bool(batch.final)},
        }

    def stream(self, batch_id: str, *, offset: int = 0, limit: int | None = None) -> tuple[BatchView, Iterator[bytes]]:
        """Records' proofs, from one tree: the batch, and NDJSON pieces of :data:`PROOF_CHUNK` lines
        ``{"record_id", "index", "record_hash", "leaf", "proof"}`` in record order, from position
        ``offset`` on, ``limit`` of them (all when None): a big batch's proofs come a page at a time.

        The batch is checked (it exists and is anchored) before anything streams, so a refusal
        is an HTTP status rather than a broken body.
        """
        batch = self.batches.get(batch_id, limit=0)
        _check_provable(batch_id, batch.status, batch.reason)
        with self.sessions() as session:
            found = rows.record_ids_and_hashes(session, batch_id, offset, limit)
        return batch, _proof_lines(self._tree(batch_id, batch.root), found, offset)

    def _tree(self, batch_id: str, root: str) -> MerkleTree:
        """The batch's tree, whose root must be the batch's: a proof from any other would not verify."""
        tree = self.trees.get(batch_id, root)
        if "0x" + tree.root.hex() != root:
            raise IntegrityError(
                f"batch {batch_id}'s stored record hashes give root 0x{tree.root.hex()}, not its root {root}: no proofs"
            )
        return tree


def _check_provable(batch_id: str, status: str, reason: str | None) -> None:
    """Proofs are handed out only while the chain holds the batch's root. A pending batch (never
    anchored yet, or whose anchor a reorg took and which is being sent again) is 503 with
    ``Retry-After``; one the chain will never hold is 409. A proof of an anchored batch that is not
    final yet carries ``"final": false``."""
    if status == ANCHORED:
        return
    if status == PENDING:
        raise Unavailable(f"batch {batch_id} is pending (not anchored yet, or being anchored again): no proofs yet")
    raise Conflict(f"batch {batch_id} is {status}: the chain does not hold its root, so it has no proofs ({reason})")


def _proof_lines(tree: MerkleTree, found: Sequence[Any], offset: int = 0) -> Iterator[bytes]:
    """NDJSON proof lines of the records ``found`` (record ``offset`` first), :data:`PROOF_CHUNK` at a
    time. Every value is an id, a number or hex, so the lines are formatted directly rather than
    through a JSON encoder."""
    proof, leaf = tree.proof, tree.leaf
    for first in range(0, len(found), PROOF_CHUNK):
        lines = []
        for at in range(first, min(first + PROOF_CHUNK, len(found))):
            record_id, record_hash = found[at]
            index = offset + at
            steps = proof(index)
            path = '"0x' + '","0x'.join([step.hex() for step in steps]) + '"' if steps else ""
            lines.append(
                f'{{"record_id":"{record_id}","index":{index},"record_hash":"{record_hash}",'
                f'"leaf":"0x{leaf(index).hex()}","proof":[{path}]}}\n'
            )
        yield "".join(lines).encode()

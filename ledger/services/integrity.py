"""Do a batch's stored records still give the root the chain anchored? One check, two depths.

The evaluation re-hashes every stored record body (``rehash=True``): only records that hash to
their stored hash, under a root the chain anchored, may be counted. The batch page takes the batch's
persisted tree (``rehash=False``, :class:`~ledger.services.trees.BatchTrees`: rebuilt from the stored
hashes only when it is missing or not the batch's) and proves the records it shows against the chain.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from ledger.chain.client import Anchor, LedgerClient
from ledger.chain.errors import UnknownRevision
from ledger.errors import IntegrityError
from ledger.merkle import MerkleTree
from ledger.records import MeasurementRecord
from ledger.records.rehash import rehash_bodies
from ledger.services.batches import BatchService
from ledger.services.trees import BatchTrees
from ledger.services.views import BatchView
from ledger.store import batches as rows
from ledger.store.batches import ANCHORED


@dataclass(frozen=True)
class CheckedBatch:
    batch: BatchView
    """The batch, without its records."""
    tree: MerkleTree
    """The batch's tree: persisted (or rebuilt from the stored hashes), or of the bodies' hashes when re-hashed."""
    chain_root: bytes | None
    """The root the chain holds for the batch's revision; None while it is not anchored."""
    anchor: Anchor | None = None
    """Everything the chain anchored for the revision (when re-hashed and anchored)."""
    record_ids: list[str] = field(default_factory=list)
    """The stored records' ids in batch order, when the bodies were re-hashed."""
    records: list[MeasurementRecord] = field(default_factory=list)
    """The records the bodies give, in batch order, when re-hashed."""
    altered: str | None = None
    """The first record whose body no longer hashes to its stored hash (re-hashed only)."""

    @property
    def root_matches(self) -> bool | None:
        return None if self.chain_root is None else self.tree.root == self.chain_root and self.altered is None

    def raise_unless_intact(self) -> None:
        """Refuse loudly: stored data that no longer matches the chain must not be evaluated."""
        b = self.batch
        if self.altered is not None:
            raise IntegrityError(f"record {self.altered} of batch {b.id} no longer hashes to its stored hash")
        if self.chain_root is None:
            raise IntegrityError(f"batch {b.id} ({b.period} revision {b.revision}) is not anchored")
        if self.tree.root != self.chain_root:
            raise IntegrityError(
                f"batch {b.id} ({b.period} revision {b.revision}): its records give root 0x{self.tree.root.hex()}, "
                f"but the chain anchored 0x{self.chain_root.hex()}"
            )


class BatchIntegrity:
    def __init__(self, ledger: LedgerClient, batches: BatchService, trees: BatchTrees) -> None:
        self.ledger = ledger
        self.batches = batches
        self.trees = trees

    def check(self, batch_id: str, *, rehash: bool) -> CheckedBatch:
        """The batch's stored records against its anchored root; ``rehash`` re-hashes every body,
        otherwise the batch's persisted tree stands for its stored hashes."""
        batch = self.batches.get(batch_id, limit=0)
        record_ids: list[str] = []
        records: list[MeasurementRecord] = []
        altered = None
        if rehash:
            with self.batches.sessions() as session:
                record_ids, stored_hashes, bodies = rows.stored_records(session, batch_id)
            hashes, records = rehash_bodies(bodies, factory_id=batch.factory_id, period=batch.period)
            altered = _first_altered(record_ids, stored_hashes, hashes)
            tree = MerkleTree.build(hashes)
        else:
            tree = self.trees.get(batch_id, batch.root)
        anchor, chain_root = None, None
        if batch.status == ANCHORED:
            if rehash:
                with suppress(UnknownRevision):
                    anchor = self.ledger.get_anchor(batch.factory_id, batch.period, batch.revision)
                chain_root = anchor.root if anchor is not None else None
            else:  # the page needs the root alone: one call, no event or block lookups
                slot = self.ledger.anchor_slot(batch.factory_id, batch.period, batch.revision)
                chain_root = slot[0] if slot is not None else None
            if chain_root is None:  # a reorg took it before the watcher noticed: notice now
                self.batches.lifecycle.recheck(self.batches.row(batch_id))
                batch = self.batches.get(batch_id, limit=0)
        return CheckedBatch(batch, tree, chain_root, anchor, record_ids, records, altered)


def _first_altered(record_ids: list[str], stored: list[str], computed: list[bytes]) -> str | None:
    """The first record whose body no longer hashes to its stored hash (compared all at once first, in
    two joined strings: a year has a million)."""
    if not computed or "|".join(stored) == "0x" + b"".join(computed).hex("|", 32).replace("|", "|0x"):
        return None
    return next(i for i, s, c in zip(record_ids, stored, computed, strict=True) if s != "0x" + c.hex())

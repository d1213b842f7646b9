"""The index of every claim on chain: followed from the contract's events, used for position hints.

Each reconciler round reads ``RetirementClaimed``, ``ClaimConfirmed`` and ``ClaimRevoked`` from the
cursor to the head, a page of blocks at a time, re-reading the last :data:`REORG_MARGIN` blocks so
that events a reorg moved are picked up again. The index is a guide, not a judge: a hint from it
is checked by the contract and a lookup's answer is read from the chain, so a stale row costs a
longer walk, never a wrong answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ledger.chain.client import LedgerClient
from ledger.store import chain_claims as index

CURSOR = "claims"
REORG_MARGIN = 64
BLOCKS_PER_PAGE = 5000
ROWS_PER_WRITE = 500


class ClaimIndex:
    def __init__(self, ledger: LedgerClient, sessions: sessionmaker[Session]) -> None:
        self.ledger = ledger
        self.sessions = sessions

    def follow(self) -> int:
        """Read the events since the last round into the index; returns how many were read."""
        head = self.ledger.head()
        with self.sessions() as session:
            start = max(self.ledger.deployed_block, index.cursor(session, CURSOR) - REORG_MARGIN)
        seen = 0
        while start <= head:
            end = min(head, start + BLOCKS_PER_PAGE - 1)
            claimed = self.ledger.claimed_events(start, end)
            decided = self.ledger.decision_events(start, end)
            for first in range(0, len(claimed), ROWS_PER_WRITE):
                with self.sessions.begin() as session:
                    index.upsert(session, [_indexed(e) for e in claimed[first : first + ROWS_PER_WRITE]])
            with self.sessions.begin() as session:
                for claim_id, status in decided:
                    index.set_status(session, claim_id, status)
                index.set_cursor(session, CURSOR, end + 1)
            seen += len(claimed) + len(decided)
            start = end + 1
        return seen

    def near(self, registry: str, block_id: str, serial: int) -> list[int]:
        """Position hints for ``serial``: the indexed live claims of the block starting last at or
        before it, nearest first (a few, in case the nearest was revoked since the index looked)."""
        with self.sessions() as session:
            return index.live_before(session, registry, block_id, serial, limit=3)

    def statuses(self, claim_ids: list[int]) -> dict[int, str]:
        with self.sessions() as session:
            return index.statuses(session, claim_ids)


def _indexed(event: dict[str, Any]) -> tuple[int, str, str, str, int, int, int]:
    commit = event["commit"]
    return (
        int(event["claim_id"]), commit["factoryId"], commit["registry"], commit["blockId"],
        int(commit["serialStart"]), int(commit["serialEnd"]), int(event["block"]),
    )  # fmt: skip

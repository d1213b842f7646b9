"""The claim checks that must scale to a million claims give the same answers as the slow ways.

The database pre-check is one index seek instead of a scan of the block, and the units-claimed-twice
rule is a sweep instead of comparing pairs; both are compared here with brute force over random
cases (touching, nested, equal and disjoint ranges; pending rows beside confirmed ones), and the
sweep with the previous implementation message for message.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert
from sqlalchemy.orm import Session, sessionmaker

from ledger.claims import ClaimDetails, RetirementClaim
from ledger.claims.checks import _twice
from ledger.claims.double_counting import (
    UNITS_CLAIMED_TWICE,
    ClaimedRetirement,
    Finding,
    find_double_counting,
)
from ledger.store.claims import CLAIMED, PENDING, confirmed_overlap, serial_key
from ledger.store.models import ClaimRow

FACTORY = "cn.js.suzhou:F-001"
OTHERS = ("cn.gd.shenzhen:F-009", "cn.zj.ningbo:F-002")
DETAILS = ClaimDetails("P-1", "wind", "1", "MWh", "2024-07", "2024-12", "test", b"\xab" * 32)


def claimed(claim_id: int, factory_id: str, block_id: str, start: int, end: int) -> ClaimedRetirement:
    claim = RetirementClaim(factory_id, "GEC", block_id, start, end, "2025-01", "2025-12", DETAILS)
    return ClaimedRetirement(claim_id, claim, "0x" + "00" * 20)


# --- the database pre-check -------------------------------------------------------------------


def store(sessions: sessionmaker[Session], rows: Sequence[tuple[str, int, int, str]]) -> None:
    """Rows of (block id, start, end, status) as the service stores them."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.execute(
            insert(ClaimRow.__table__),
            [
                {
                    "id": f"row-{i}",
                    "claim_id": i + 1 if status == CLAIMED else None,
                    "factory_id": FACTORY,
                    "registry": "GEC",
                    "block_id": block,
                    "serial_start": serial_key(start),
                    "serial_end": serial_key(end),
                    "consumption_start": "2025-01",
                    "consumption_end": "2025-12",
                    "body": "{}",
                    "signature": f"0x{i:0130x}",
                    "signer": "0x" + "00" * 20,
                    "status": status,
                    "created_at": now,
                }  # fmt: skip
                for i, (block, start, end, status) in enumerate(rows)
            ],
        )


def random_rows(rng: random.Random) -> list[tuple[str, int, int, str]]:
    """Per block, disjoint confirmed ranges (as the contract leaves them), some touching, and pending
    rows anywhere, overlapping or not (the pre-check must not count those)."""
    rows = []
    for block in ("B-1", "B-2", "B-3"):
        cursor = rng.randrange(0, 5)
        for _ in range(rng.randrange(0, 40)):
            start = cursor + rng.choice((0, 0, 1, 3))
            end = start + rng.choice((0, 1, 5, 20))
            rows.append((block, start, end, CLAIMED))
            cursor = end + 1
        for _ in range(rng.randrange(0, 5)):
            start = rng.randrange(0, cursor + 10)
            rows.append((block, start, start + rng.randrange(0, 30), PENDING))
    return rows


def test_the_pre_check_finds_exactly_the_confirmed_claim_a_range_overlaps(sessions: sessionmaker[Session]) -> None:
    rng = random.Random(8)
    rows = random_rows(rng)
    store(sessions, rows)
    confirmed: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for block, start, end, status in rows:
        if status == CLAIMED:
            confirmed[block].append((start, end))
    hits = 0
    with sessions() as session:
        for _ in range(1500):
            block = rng.choice(("B-1", "B-2", "B-3", "B-4"))
            start = rng.randrange(0, 700)
            end = start + rng.choice((0, 0, 1, 4, 30, 300))
            expected = [(s, e) for s, e in confirmed[block] if s <= end and start <= e]
            found = confirmed_overlap(session, "GEC", block, start, end)
            assert len(expected) <= 1 or found is not None
            if not expected:
                assert found is None, (block, start, end)
                continue
            hits += 1
            assert found is not None and found.status == CLAIMED and found.block_id == block
            assert (int(found.serial_start), int(found.serial_end)) in expected
            assert found.registry_name == "GEC"
    assert 300 < hits < 1200  # both answers were exercised


def test_the_pre_check_ignores_other_registries_and_edges(sessions: sessionmaker[Session]) -> None:
    store(sessions, [("B-1", 100, 200, CLAIMED), ("B-1", 201, 201, PENDING), ("B-1", 300, 300, CLAIMED)])
    with sessions() as session:
        for start, end, expected in [
            (99, 99, None), (99, 100, 100), (200, 200, 100), (201, 201, None), (201, 299, None),
            (150, 350, 300), (0, 10**30, 300), (300, 300, 300), (301, 2**128 - 1, None),
        ]:  # fmt: skip
            found = confirmed_overlap(session, "GEC", "B-1", start, end)
            assert (int(found.serial_start) if found else None) == expected, (start, end)
        assert confirmed_overlap(session, "I-REC", "B-1", 100, 200) is None


def test_the_pre_check_is_an_index_search_not_a_table_scan(sessions: sessionmaker[Session]) -> None:
    store(sessions, [("B-1", 100, 200, CLAIMED), ("B-2", 100, 200, CLAIMED)])
    statements: list[str] = []
    with sessions() as session:
        engine = session.get_bind()

        def capture(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", capture)
        try:
            assert confirmed_overlap(session, "GEC", "B-1", 150, 150) is not None
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        (statement,) = statements
        params = ("GEC", "B-1", CLAIMED, serial_key(150), 1, 0)
        plan = " ".join(
            str(r[-1]) for r in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
        )
    assert "SEARCH claims USING INDEX ix_claims_block_serial" in plan and "registry=? AND block_id=?" in plan, plan
    assert "SCAN claims" not in plan, plan


# --- rule 1: units claimed twice --------------------------------------------------------------


def previous_rule(claims: Sequence[ClaimedRetirement], factory_id: str) -> list[Finding]:
    """The rule as it was before the sweep (sorted pairs, slice per claim), kept as the reference."""
    blocks: dict[tuple[str, str], list[ClaimedRetirement]] = defaultdict(list)
    for c in claims:
        blocks[(c.claim.registry, c.claim.block_id)].append(c)
    findings: list[Finding] = []
    for (registry, block_id), members in blocks.items():
        members.sort(key=lambda c: (c.claim.serial_start, c.claim_id))
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if b.claim.serial_start > a.claim.serial_end:
                    break
                if factory_id not in (a.claim.factory_id, b.claim.factory_id):
                    continue
                findings.append(_twice(registry, block_id, a, b))  # the same message; pairs are what differ
    return sorted(findings, key=lambda f: f.claim_ids)


def rule_1(claims: Sequence[ClaimedRetirement], factory_id: str = FACTORY) -> list[Finding]:
    findings = find_double_counting(
        factory_id=factory_id, period_start="2025-01", period_end="2025-12", claims=claims, records=[]
    )
    return [f for f in findings if f.check == UNITS_CLAIMED_TWICE]


claim_lists = st.lists(
    st.tuples(
        st.sampled_from((FACTORY, *OTHERS)), st.sampled_from(("B-1", "B-2")),
        st.integers(0, 60), st.integers(0, 25),
    ),
    max_size=40,
).flatmap(
    lambda specs: st.permutations(
        [claimed(i + 1, f, b, start, start + length) for i, (f, b, start, length) in enumerate(specs)]
    )
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(claims=claim_lists)
def test_the_sweep_reports_what_every_pair_and_the_previous_rule_report(claims: list[ClaimedRetirement]) -> None:
    found = rule_1(claims)
    assert found == previous_rule(claims, FACTORY)
    pairs = sorted(
        (min(a.claim_id, b.claim_id), max(a.claim_id, b.claim_id))
        for i, a in enumerate(claims)
        for b in claims[i + 1 :]
        if a.claim.block_id == b.claim.block_id
        and a.claim.serial_start <= b.claim.serial_end
        and b.claim.serial_start <= a.claim.serial_end
        and FACTORY in (a.claim.factory_id, b.claim.factory_id)
    )
    assert [f.claim_ids for f in found] == pairs


def test_a_block_of_200_000_claims_is_swept_not_compared_pairwise() -> None:
    """Disjoint claims of others and the factory's own claims, one overlapping: the previous rule
    copied the rest of the block for every claim (2·10^10 element copies here, about half a
    minute on the development machine); the sweep takes about a second."""
    claims = [claimed(i + 1, OTHERS[i % 2] if i % 100 else FACTORY, "B-1", 10 * i, 10 * i + 9) for i in range(200_000)]
    claims.append(claimed(200_001, OTHERS[0], "B-1", 1005, 1005))  # inside the factory's claim 101 (1000..1009)
    start = time.perf_counter()
    found = rule_1(claims)
    assert time.perf_counter() - start < 5.0
    assert [f.claim_ids for f in found] == [(101, 200_001)]
    assert "overlap in 1005..1005: 1 unit claimed twice" in found[0].message

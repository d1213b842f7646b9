"""Claim overlap checks at scale: the service's database pre-check, the contract's check, and the
double-counting re-check, each at the sizes the issue names.

(i) 10^6 confirmed claim rows (quick: 10^4) bulk-inserted into a fresh SQLite database built by our
migrations, spread over registry blocks with a skewed size distribution (most blocks hold a few
claims, a handful hold hundreds); p50/p99 of :func:`ledger.store.claims.confirmed_overlap` over
random hit and miss probes, each answer checked against the in-memory truth. The baseline is the
pre-check as it was before (every row of the block whose range overlaps, no ordering), on the same
database in the same run.

(ii) The contract at 10^5 claims on one block: claim and lookup gas, buyer lookups through the
service (:mod:`benchmarks.bench_claims_chain`).

(iii) :func:`~ledger.claims.double_counting.find_double_counting` over 10^6 claimed retirements.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eth_utils import keccak
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_claims_chain import chain_rows
from benchmarks.common import Row, percentile, timed
from ledger.claims import ClaimDetails, RetirementClaim
from ledger.claims.checks import _units_claimed_twice
from ledger.claims.double_counting import ClaimedRetirement, find_double_counting
from ledger.store.claims import CLAIMED, confirmed_overlap, serial_key
from ledger.store.db import make_engine, migrate, session_factory
from ledger.store.models import ClaimRow

SECTION = "claim check"
TARGET_MS = 5.0
CLAIM_OVERLAPS = "0x" + keccak(text="ClaimOverlaps(uint256,string,uint128,uint128)")[:4].hex()
FACTORIES = [f"cn.js.suzhou:F-{i:03d}" for i in range(1, 401)]


@dataclass(frozen=True)
class Block:
    registry: str
    block_id: str
    ranges: tuple[tuple[int, int], ...]  # disjoint, ascending, as the contract leaves them


def block_sizes(total: int, rng: random.Random) -> list[int]:
    """Claims per block: a few busy blocks (hundreds), the rest 1 + geometric (mean ≈ 4)."""
    busy = [s for s in (800, 600, 500, 500, 400, 300, 300, 200, 200, 200) if s * 20 <= total] or [max(2, total // 20)]
    sizes, left = list(busy), total - sum(busy)
    while left > 0:
        size = 1
        while rng.random() < 0.75 and size < 100:
            size += 1
        size = min(size, left)
        sizes.append(size)
        left -= size
    rng.shuffle(sizes)
    return sizes


def make_blocks(total: int, rng: random.Random) -> list[Block]:
    """Realistic block ids per registry, and disjoint ranges with gaps (so probes can miss inside)."""
    blocks = []
    for i, size in enumerate(block_sizes(total, rng)):
        kind = rng.random()
        if kind < 0.7:
            registry, block_id = "GEC", f"{32050020230900000 + i * 7:017d}-{2023 + i % 3}{1 + i % 12:02d}"
        elif kind < 0.8:
            registry, block_id = "I-REC", f"I-REC-0000-{i // 100:04d}-{i % 100:02d}xx-xxxx"
        elif kind < 0.9:
            registry, block_id = "CCER", f"CCER-{100000 + i}-2024"
        else:
            registry, block_id = "VCS", f"VCS-VCU-261-VER-CN-1-{1000 + i}-01012023-31122023"
        ranges, cursor = [], rng.randrange(1, 1000)
        for _ in range(size):
            start = cursor + rng.randrange(0, 50)
            end = start + rng.randrange(0, 2000)
            ranges.append((start, end))
            cursor = end + 1
        blocks.append(Block(registry, block_id, tuple(ranges)))
    return blocks


def claim_rows(blocks: Sequence[Block], rng: random.Random) -> Iterator[dict[str, object]]:
    """Rows as the service stores a confirmed claim: its JSON body, signature, transaction."""
    now = datetime.now(UTC)
    claim_id = 0
    for block in blocks:
        unit = "MWh" if block.registry in ("GEC", "I-REC") else "tCO2e"
        for start, end in block.ranges:
            claim_id += 1
            factory = FACTORIES[rng.randrange(len(FACTORIES))]
            body = {
                "factory_id": factory, "registry": block.registry, "block_id": block.block_id,
                "serial_start": str(start), "serial_end": str(end), "consumption_start": "2025-01",
                "consumption_end": "2025-12", "project_id": block.block_id[:17], "technology": "wind",
                "quantity": str(end - start + 1), "unit": unit, "generation_start": "2024-07",
                "generation_end": "2024-12", "purpose": "zero-carbon factory evaluation 2025",
                "evidence_sha256": f"{claim_id:064x}", "country": "CN", "methodology": "ACM0002",
                "cancellation_number": f"CXL-{claim_id}", "cancellation_date": "2025-12-31",
            }  # fmt: skip
            yield {
                "id": f"{claim_id:08x}-0000-4000-8000-{claim_id:012x}", "claim_id": claim_id,
                "factory_id": factory, "registry": block.registry, "block_id": block.block_id,
                "serial_start": serial_key(start), "serial_end": serial_key(end),
                "consumption_start": "2025-01", "consumption_end": "2025-12",
                "body": json.dumps(body, sort_keys=True), "signature": "0x" + f"{claim_id:0130x}",
                "signer": "0x" + f"{claim_id:040x}", "status": CLAIMED, "tx_hash": "0x" + f"{claim_id:064x}",
                "block_number": 1000 + claim_id, "created_at": now,
            }  # fmt: skip


def bulk_insert(sessions: sessionmaker[Session], rows: Iterator[dict[str, object]], chunk: int = 20_000) -> int:
    """One transaction, executemany in chunks (no ORM objects, no per-row round trips)."""
    count = 0
    with sessions.begin() as session:
        buffer: list[dict[str, object]] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) == chunk:
                session.execute(insert(ClaimRow.__table__), buffer)
                count += len(buffer)
                buffer.clear()
        if buffer:
            session.execute(insert(ClaimRow.__table__), buffer)
            count += len(buffer)
    return count


def previous_check(session: Session, registry: str, block_id: str, start: int, end: int) -> ClaimRow | None:
    """The pre-check as it was: any confirmed row of the block whose range overlaps, found through
    the index it had, (registry, block_id) (forced on SQLite, so a newer index cannot help it)."""
    return session.scalars(
        select(ClaimRow)
        .with_hint(ClaimRow, "INDEXED BY ix_claims_block", "sqlite")
        .where(
            ClaimRow.registry_name == registry,
            ClaimRow.block_id == block_id,
            ClaimRow.status == CLAIMED,
            ClaimRow.serial_start <= serial_key(end),
            ClaimRow.serial_end >= serial_key(start),
        )
    ).first()


def query_plan(sessions: sessionmaker[Session], probe: Probe) -> str:
    """SQLite's plan for the pre-check's query, so a row says which index the figures came from."""
    registry, block_id, start, end, _ = probe
    with sessions() as session:
        captured: list[str] = []

        def capture(conn: object, cursor: object, statement: str, params: object, context: object, many: bool) -> None:
            captured.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            confirmed_overlap(session, registry, block_id, start, end)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        params = (registry, block_id, CLAIMED, serial_key(end), 1, 0)
        rows = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + captured[-1], params).all()
    return "; ".join(str(r[-1]) for r in rows)


Probe = tuple[str, str, int, int, bool]  # registry, block id, start, end, expected hit


def make_probes(blocks: Sequence[Block], count: int, rng: random.Random) -> list[Probe]:
    """Half hits (inside or straddling a claim), half misses (a gap, past the end, an unknown block).

    Blocks are picked in proportion to their claims, so busy blocks are probed as often as they
    would be claimed against; every tenth probe goes to the busiest block (its worst case).
    """
    weights = [len(b.ranges) for b in blocks]
    busiest = max(blocks, key=lambda b: len(b.ranges))
    probes: list[Probe] = []
    for i in range(count):
        block = busiest if i % 10 == 0 else rng.choices(blocks, weights)[0]
        k = rng.randrange(len(block.ranges))
        start, end = block.ranges[k]
        if i % 2 == 0:  # hit
            lo = rng.randint(start, end)
            probes.append((block.registry, block.block_id, lo, lo + rng.randrange(0, 3000), True))
            continue
        shape = i % 6
        if shape == 1:  # past the block's last claim: the common case of a new claim
            last = block.ranges[-1][1]
            probes.append((block.registry, block.block_id, last + 1, last + 1 + rng.randrange(0, 3000), False))
        elif shape == 3 and k + 1 < len(block.ranges) and block.ranges[k + 1][0] > end + 1:  # a gap inside
            probes.append((block.registry, block.block_id, end + 1, block.ranges[k + 1][0] - 1, False))
        else:  # a block nobody claimed from yet
            probes.append((block.registry, block.block_id + "-X", start, end, False))
    return probes


def latencies(
    check: Callable[[Session, str, str, int, int], ClaimRow | None],
    sessions: sessionmaker[Session],
    probes: Sequence[Probe],
) -> list[float]:
    """Milliseconds per probe, each opening its session as ``ClaimService.submit`` does; answers checked."""
    samples = []
    for registry, block_id, start, end, expected in probes:
        t = time.perf_counter()
        with sessions() as session:
            found = check(session, registry, block_id, start, end)
        samples.append((time.perf_counter() - t) * 1e3)
        if (found is not None) != expected:
            raise AssertionError(f"{check.__name__} answered {found} for {registry} {block_id} {start}..{end}")
    return samples


def database_rows(quick: bool) -> list[Row]:
    total = 10_000 if quick else 1_000_000
    rng = random.Random(8)
    blocks = make_blocks(total, rng)
    with tempfile.TemporaryDirectory(prefix="bench-claims-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        migrate(engine)
        with engine.begin() as conn:  # the index the previous query used, for the baseline only
            conn.exec_driver_sql("CREATE INDEX ix_claims_block ON claims (registry, block_id)")
        sessions = session_factory(engine)
        insert_s, inserted = timed(lambda: bulk_insert(sessions, claim_rows(blocks, rng)))
        probes = make_probes(blocks, 2000, rng)
        plan = query_plan(sessions, probes[0])
        latencies(confirmed_overlap, sessions, probes[:200])  # warm the page cache and the pool
        ours = latencies(confirmed_overlap, sessions, probes)
        before = latencies(previous_check, sessions, probes)
        engine.dispose()
    busiest = max(len(b.ranges) for b in blocks)
    hits = sum(p[4] for p in probes)
    scope = (
        f"{inserted:,} confirmed claims in {len(blocks):,} blocks (largest {busiest}), SQLite from our "
        f"migrations; {len(probes):,} probes ({hits} hits, {len(probes) - hits} misses, 1 in 10 on the "
        f"largest block), each a fresh session + the query, answers checked"
    )
    label = f"{total:,} claims" if quick else "10^6 claims"
    return [
        Row(
            SECTION,
            f"DB pre-check p50, {label}",
            percentile(ours, 50),
            "ms",
            percentile(before, 50),
            "previous query and index (registry, block_id)",
            note=scope,
        ),
        Row(
            SECTION,
            f"DB pre-check p99, {label}",
            percentile(ours, 99),
            "ms",
            percentile(before, 99),
            "previous query and index (registry, block_id)",
            target=TARGET_MS,
            note=f"the newest claim starting at or before the range; SQLite plan: {plan}",
        ),
        Row(
            SECTION,
            f"bulk insert, {label}",
            inserted / insert_s,
            "rows/s",
            higher_is_better=True,
            note=f"{insert_s:.1f} s, one transaction, executemany in 20,000-row chunks",
        ),
    ]


# --- (iii) the double-counting re-check over every claim ----------------------------------------


def claimed_retirements(blocks: Sequence[Block], rng: random.Random) -> list[ClaimedRetirement]:
    """One ClaimedRetirement per range, built directly (parsing 10^6 JSON claims is not the point).

    A GEC block's project also issues CCER credits for some of the same generation (one in 50), and
    one claim in 1,000 is FACTORIES[0] re-claiming a unit of the claim before it, so rule 1 and
    rule 2 have findings for that factory.
    """
    out: list[ClaimedRetirement] = []
    details: dict[tuple[str, str], ClaimDetails] = {}
    for block in blocks:
        unit = "MWh" if block.registry in ("GEC", "I-REC") else "tCO2e"
        project = block.block_id[:17]
        for start, end in block.ranges:
            claim_id = len(out) + 1
            factory = FACTORIES[rng.randrange(len(FACTORIES))]
            if claim_id % 1_000 == 0 and out and out[-1].claim.block_id == block.block_id:
                start, factory = out[-1].claim.serial_end, FACTORIES[0]  # one serial claimed twice
            key = (project, unit)
            if key not in details:
                details[key] = ClaimDetails(
                    project,
                    "wind",
                    "1",
                    unit,
                    "2024-07",
                    "2024-12",
                    "zero-carbon factory evaluation 2025",
                    b"\xab" * 32,
                )
            claim = RetirementClaim(
                factory, block.registry, block.block_id, start, end, "2025-01", "2025-12", details[key]
            )
            out.append(ClaimedRetirement(claim_id, claim, "0x" + "00" * 20))
            if block.registry == "GEC" and claim_id % 50 == 0:
                ccer = RetirementClaim(
                    claim.factory_id,
                    "CCER",
                    f"CCER-{project}-2024",
                    start,
                    end,
                    "2025-01",
                    "2025-12",
                    ClaimDetails(
                        project, "wind", "1", "tCO2e", "2024-10", "2025-03", "emission reductions", b"\xab" * 32
                    ),
                )
                out.append(ClaimedRetirement(len(out) + 1, ccer, "0x" + "00" * 20))
    return out


def previous_rule_1(claims: Sequence[ClaimedRetirement], factory_id: str) -> int:
    """Rule 1 as it was before the sweep (sorted, each claim against a slice of the rest of its
    block, stopping at the first that starts past it): the baseline, counting findings."""
    blocks: dict[tuple[str, str], list[RetirementClaim]] = defaultdict(list)
    for c in claims:
        blocks[(c.claim.registry, c.claim.block_id)].append(c.claim)
    found = 0
    for members in blocks.values():
        members.sort(key=lambda c: c.serial_start)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if b.serial_start > a.serial_end:
                    break
                if factory_id in (a.factory_id, b.factory_id):
                    found += 1
    return found


def rule_1_row(figure: str, claims: Sequence[ClaimedRetirement], factory: str, note: str) -> Row:
    seconds, twice = timed(lambda: _units_claimed_twice(claims, factory))
    before_s, before = timed(lambda: previous_rule_1(claims, factory))
    if len(twice) != before:  # type: ignore[arg-type]
        raise AssertionError(f"rule 1 found {len(twice)} overlaps, the previous rule {before}")  # type: ignore[arg-type]
    return Row(
        SECTION,
        figure,
        seconds,
        "s",
        before_s,
        "previous rule (sorted pairs, a list slice per claim)",
        note=f"{note}; {before:,} overlap(s) found by both",
    )


def double_counting_rows(quick: bool) -> list[Row]:
    total, busy = (10_000, 10_000) if quick else (1_000_000, 100_000)
    rng = random.Random(9)
    claims = claimed_retirements(make_blocks(total, rng), rng)
    factory = FACTORIES[0]
    seconds, findings = timed(
        lambda: find_double_counting(
            factory_id=factory, period_start="2025-01", period_end="2025-12", claims=claims, records=[]
        )
    )
    label = f"{len(claims):,}" if quick else "10^6"
    kinds = sorted({f.check for f in findings})  # type: ignore[attr-defined]
    details = claims[0].claim.details
    one_block = [  # one block sold in small lots: other factories' disjoint claims, one re-claim of ours
        ClaimedRetirement(
            i + 1,
            RetirementClaim(
                FACTORIES[i % 3], "GEC", "32050020230900017-202501", 10 * i, 10 * i + 9, "2025-01", "2025-12", details
            ),
            "0x" + "00" * 20,
        )
        for i in range(busy)
    ]
    one_block.append(
        ClaimedRetirement(
            busy + 1,
            RetirementClaim(FACTORIES[1], "GEC", "32050020230900017-202501", 5, 5, "2025-01", "2025-12", details),
            "0x" + "00" * 20,
        )
    )
    return [
        Row(
            SECTION,
            f"find_double_counting, {label} claimed retirements",
            seconds,
            "s",
            note=f"{len(claims):,} claims of {len(FACTORIES)} factories, all six checks for one factory "
            f"({len(findings):,} findings: {', '.join(kinds)}); inputs built untimed",
        ),  # type: ignore[arg-type]
        rule_1_row(
            f"rule 1 (units claimed twice), {label} claims",
            claims,
            factory,
            "skewed blocks as in the DB figures, one claim in 1,000 overlapping",
        ),
        rule_1_row(
            f"rule 1, one block of {busy:,} claims",
            one_block,
            factory,
            "one block sold in 10-unit lots, one unit re-claimed",
        ),
    ]


def run(quick: bool = False) -> list[Row]:
    return [*database_rows(quick), *chain_rows(quick), *double_counting_rows(quick)]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)

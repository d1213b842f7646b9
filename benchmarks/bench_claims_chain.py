"""The claims contract at 10^5 claims on one issuance block: claim gas, lookup gas, buyer lookups.

A real anvil (block gas limit raised to :data:`~benchmarks.claim_filler.BLOCK_GAS` for the filling
batches) with the committed CarbonLedger. One GEC block gets:

- its 1st, 2nd and 10,001st claim (quick: 1,001st) as real ``claimRetirement`` transactions, signed
  by a factory's key and relayed by :class:`~ledger.chain.client.LedgerClient` with the exact
  position hint (checked against the chain's ``precedingClaim``); each goes into a gap between other
  claims (the middle, a quarter, three quarters of the block), not at its end. Their gas must agree
  within :data:`GAS_SPREAD` or the benchmark fails;
- the claims in between and after, up to 10^5 (quick: 10^4), relayed many per transaction by a
  benchmark-only ERC-1271 factory wallet (:class:`~benchmarks.claim_filler.Filler`) through the
  ledger's own ``claimRetirement``, each hinted with the claim it relayed before (exact, or one step
  short where a measured claim sits between).

The baseline is the previous contract (commit :data:`~benchmarks.claim_filler.PREVIOUS`, every claim
scanning its block), compiled from git and deployed on the same anvil: its 1st and Nth claim on one
block, filled the same way. Then the service (``compose``, uvicorn, SQLite) indexes the claims
(``ClaimIndex.follow``, timed) and answers ``GET /certificates/GEC/<serial>`` for random single
serials and ``START..END`` ranges, hits and misses, each answer checked against the truth kept here.
"""

from __future__ import annotations

import bisect
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import Contract

from api.compose import compose
from benchmarks.claim_filler import BLOCK_GAS, PREVIOUS, Filler, deploy_previous, send
from benchmarks.common import Row, percentile
from benchmarks.serving import serving
from ledger.chain.anvil import Anvil
from ledger.chain.client import LedgerClient
from ledger.chain.funding import fund_on_anvil
from ledger.chain.session import web3_for
from ledger.claims import RetirementClaim, parse_claim, sign_claim
from ledger.eip712 import LedgerDomain

SECTION = "claim check"
GAS_SPREAD = 0.10
"""The most a later claim's gas may differ from the block's first claim's (issue 14: within 10%)."""
LOOKUP_TARGET_MS = 50.0
PROJECT, MONTH = "32050020230900017", "202501"
BLOCK = f"{PROJECT}-{MONTH}"
OTHER_BLOCK = f"{PROJECT}-202502"
STRIDE, FILL_WIDTH, CLAIM_WIDTH = 60, 50, 5
"""Filled claims take serials 60s+1..60s+50 of slot s; measured claims 5 units of the gap after."""
FACTORY, FILLER = "CN-BENCH-1", "CN-BENCH-FILL"
TOKEN = "bench-admin-token"
PRUNE_HISTORY = 4
"""Past states anvil keeps: a copy of a state holding 10^5 claims per mined block filled the memory."""


def chain_claim(factory_id: str, block_id: str, start: int, end: int) -> RetirementClaim:
    return parse_claim(
        {
            "factory_id": factory_id, "registry": "GEC", "block_id": block_id,
            "serial_start": str(start), "serial_end": str(end),
            "consumption_start": "2025-01", "consumption_end": "2025-12", "project_id": block_id[:17],
            "technology": "wind", "quantity": str(end - start + 1), "unit": "MWh",
            "generation_start": "2024-07", "generation_end": "2024-12",
            "purpose": "Scope 2 market-based claim, 2025", "evidence_sha256": "ab" * 32,
            "country": "CN", "cancellation_number": "CXL-1", "cancellation_date": "2025-12-31",
        }
    )  # fmt: skip


def gap_claim(slot: int, block_id: str = BLOCK) -> RetirementClaim:
    """A measured claim: 5 units in the gap after filled slot ``slot``."""
    start = STRIDE * slot + FILL_WIDTH + 1
    return chain_claim(FACTORY, block_id, start, start + CLAIM_WIDTH - 1)


def fill_commit(slot: int) -> tuple[Any, ...]:
    return chain_claim(FILLER, BLOCK, STRIDE * slot + 1, STRIDE * slot + FILL_WIDTH).as_commit()


@dataclass
class Truth:
    """The block's claims as ``(start, end, claim id)``, sorted: exact hints and expected answers."""

    starts: list[int] = field(default_factory=list)
    claims: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, start: int, end: int, claim_id: int) -> None:
        i = bisect.bisect(self.starts, start)
        self.starts.insert(i, start)
        self.claims.insert(i, (start, end, claim_id))

    def add_filled(self, first_slot: int, count: int, last_id: int) -> None:
        for k in range(count):
            slot = first_slot + k
            self.add(STRIDE * slot + 1, STRIDE * slot + FILL_WIDTH, last_id - count + 1 + k)

    def hint(self, serial: int) -> int:
        """The claim starting last at or before ``serial`` (0: none): the exact position hint."""
        i = bisect.bisect(self.starts, serial)
        return self.claims[i - 1][2] if i else 0

    def holders(self, start: int, end: int) -> list[tuple[int, int]]:
        """``(claim id, units of start..end it holds)`` in serial order."""
        i = max(0, bisect.bisect(self.starts, start) - 1)
        found = []
        while i < len(self.claims) and self.claims[i][0] <= end:
            s, e, claim_id = self.claims[i]
            if e >= start:
                found.append((claim_id, min(e, end) - max(s, start) + 1))
            i += 1
        return found


def relay(ledger: LedgerClient, key: LocalAccount, truth: Truth, claim: RetirementClaim) -> int:
    """A real claim with the exact hint (which the chain must agree is exact); returns its gas."""
    exact = truth.hint(claim.serial_start)
    found = ledger.position_hint(claim.registry, claim.block_id, claim.serial_start, exact)
    if found != exact:
        raise AssertionError(f"the chain's position hint for {claim.serial_start} is {found}, ours {exact}")
    claim_id, tx = ledger.claim_retirement(claim, sign_claim(key, ledger.domain(), claim), exact)
    truth.add(claim.serial_start, claim.serial_end, claim_id)
    return tx.gas_used


def relay_previous(
    w3: Web3, previous: Contract, relayer: LocalAccount, key: LocalAccount, claim: RetirementClaim
) -> int:
    """A real claim on the previous contract (no hint); returns its gas."""
    domain = LedgerDomain(
        chain_id=w3.eth.chain_id, verifying_contract=previous.address, name="CarbonLedger", version="1"
    )
    signature = sign_claim(key, domain, claim)
    return int(send(w3, relayer, previous.functions.claimRetirement(claim.as_commit(), signature))["gasUsed"])


@dataclass(frozen=True)
class Gas:
    first: int
    second: int
    nth: int
    n: int


def ours(
    ledger: LedgerClient, filler: Filler, key: LocalAccount, truth: Truth, n: int, total: int
) -> tuple[Gas, float]:
    """The 1st, 2nd and ``n``th claim of the block (asserted within GAS_SPREAD), then filled to
    ``total`` claims; returns the gas and the seconds the filling took."""
    first = relay(ledger, key, truth, gap_claim(n // 2))
    second = relay(ledger, key, truth, gap_claim(n // 4))
    t = time.perf_counter()
    last = filler.fill(ledger.contract, fill_commit(0), n - 3, STRIDE, truth.hint(1))
    truth.add_filled(0, n - 3, last)
    nth = relay(ledger, key, truth, gap_claim(3 * n // 4))
    gas = Gas(first, second, nth, n)
    spread = max(abs(g - first) / first for g in (second, nth))
    if spread > GAS_SPREAD:
        raise AssertionError(f"claim gas 1st {first:,}, 2nd {second:,}, {ordinal(n)} {nth:,}: {spread:.1%} apart")
    more = total - n
    last = filler.fill(ledger.contract, fill_commit(n - 3), more, STRIDE, truth.hint(STRIDE * (n - 3) + 1))
    truth.add_filled(n - 3, more, last)
    return gas, time.perf_counter() - t


def previous_gas(w3: Web3, operator: LocalAccount, filler: Filler, key: LocalAccount, n: int) -> tuple[Gas, int]:
    """The previous contract's 1st, 2nd and ``n``th claim of one block, filled the same way; and the
    gas of its ``claimOf`` at ``n`` claims."""
    previous = deploy_previous(w3, operator)
    for factory_id, signer in ((FACTORY, key.address), (FILLER, filler.address)):
        send(w3, operator, previous.functions.registerFactory(factory_id, signer))
    first = relay_previous(w3, previous, operator, key, gap_claim(n // 2))
    second = relay_previous(w3, previous, operator, key, gap_claim(n // 4))
    filler.fill(previous, fill_commit(0), n - 3, STRIDE, 0, previous=True, gas_per_earlier=3_000, earlier=2)
    nth = relay_previous(w3, previous, operator, key, gap_claim(3 * n // 4))
    lookup = int(previous.functions.claimOf("GEC", BLOCK, STRIDE * (n // 3) + 1).estimate_gas())
    return Gas(first, second, nth, n), lookup


def ordinal(n: int) -> str:
    """``1,001st``, ``10,002nd``, ``11th``."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def gec_serial(sequence: int) -> str:
    return f"{PROJECT}{MONTH}{sequence:07d}11"


Probe = tuple[str, int, int]  # the serial as a buyer types it, first and last unit


def lookup_probes(truth: Truth, count: int, rng: random.Random) -> list[Probe]:
    """Single serials (inside a claim, in a gap) and ranges (across a gap: two claims; inside a gap;
    past the last claim), over the whole block."""
    top = truth.claims[-1][1]
    probes = []
    for i in range(count):
        s, e, _ = truth.claims[rng.randrange(len(truth.claims))]
        kind = i % 5
        if kind in (0, 1):
            a = b = rng.randint(s, e)
        elif kind == 2:
            a = b = e + 1 if truth.holders(e + 1, e + 1) == [] else top + 1
        elif kind == 3:
            a, b = rng.randint(s, e), e + STRIDE
        else:
            a, b = (e + 1, e + 2) if i % 2 else (top + 1, top + 100)
        text = gec_serial(a) if a == b else f"{gec_serial(a)}..{gec_serial(b)}"
        probes.append((text, a, b))
    return probes


def lookups(http: httpx.Client, truth: Truth, probes: list[Probe]) -> list[float]:
    """Milliseconds per ``GET /certificates/GEC/<serial>``; each answer checked against ``truth``."""
    samples = []
    for text, a, b in probes:
        t = time.perf_counter()
        response = http.get(f"/certificates/GEC/{text}")
        samples.append((time.perf_counter() - t) * 1e3)
        response.raise_for_status()
        got = response.json()
        expected = truth.holders(a, b)
        if (
            [c["claim_id"] for c in got["claims"]] != [claim_id for claim_id, _ in expected]
            or got["units_claimed"] != sum(units for _, units in expected)
            or got["claimed"] != bool(expected)
        ):
            raise AssertionError(f"GET /certificates/GEC/{text}: {got}, expected {expected}")
    return samples


def service_lookups(
    ledger: LedgerClient, tmp: Path, truth: Truth, quick: bool
) -> tuple[list[float], list[float], float, int, int]:
    """Lookups without the index (walking from the block's first claim), the index's first follow
    (seconds, events), then lookups with it; the same service, database and probes. ``ledger``
    talks to the chain as the service's own does (:func:`~ledger.chain.session.web3_for`)."""
    rng = random.Random(14)
    probes = lookup_probes(truth, 200, rng)
    unindexed = probes[: 200 if quick else 40]
    composed = compose(ledger, f"sqlite:///{tmp / 'ledger.db'}", admin_token=TOKEN)
    try:
        with serving(composed.app) as url, httpx.Client(base_url=url, timeout=600) as http:
            before = lookups(http, truth, unindexed)
            t = time.perf_counter()
            events = composed.services.claims.index.follow()
            follow_s = time.perf_counter() - t
            lookups(http, truth, probes[:20])  # warm the connection pool and the page cache
            after = lookups(http, truth, probes)
    finally:
        composed.close()
    return after, before, follow_s, events, len(unindexed)


def chain_rows(quick: bool) -> list[Row]:
    n, total = (1_001, 10_000) if quick else (10_001, 100_000)
    with (
        tempfile.TemporaryDirectory(prefix="bench-claims-chain-") as tmp_dir,
        Anvil(log_file=Path(tmp_dir) / "anvil.log", prune_history=PRUNE_HISTORY) as anvil,
    ):
        tmp = Path(tmp_dir)
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 600}))
        w3.provider.make_request("evm_setBlockGasLimit", [hex(BLOCK_GAS)])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        operator, key = Account.create(), Account.create()
        fund_on_anvil(w3, operator.address, 10**24)
        ledger, _ = LedgerClient.deploy(w3, operator)
        filler = Filler(w3, operator)
        ledger.register_factory(FACTORY, key.address)
        ledger.register_factory(FILLER, filler.address)
        other = Truth()
        relay(ledger, key, other, gap_claim(0, OTHER_BLOCK))  # a 1-claim block, and the contract's first claim
        t = time.perf_counter()  # the previous contract first, while the chain's state is small
        before, previous_lookup = previous_gas(w3, operator, filler, key, n)
        previous_s = time.perf_counter() - t
        truth = Truth()
        gas, fill_s = ours(ledger, filler, key, truth, n, total)
        serial = STRIDE * (total // 3) + 1
        lookup_gas = int(ledger.contract.functions.claimOf("GEC", BLOCK, serial, truth.hint(serial)).estimate_gas())
        one_serial = other.claims[0][0]
        one_gas = int(
            ledger.contract.functions.claimOf("GEC", OTHER_BLOCK, one_serial, other.hint(one_serial)).estimate_gas()
        )
        served = LedgerClient(web3_for(anvil.rpc_url), ledger.address, operator)  # as `zcl serve` connects
        served.deployed_block = ledger.deployed_block
        after, unindexed, follow_s, events, unindexed_n = service_lookups(served, tmp, truth, quick)
    return rows(gas, before, lookup_gas, one_gas, previous_lookup, fill_s, previous_s, total,
                after, unindexed, follow_s, events, unindexed_n)  # fmt: skip


def rows(
    gas: Gas, before: Gas, lookup_gas: int, one_gas: int, previous_lookup: int, fill_s: float, previous_s: float,
    total: int, after: list[float], unindexed: list[float], follow_s: float, events: int, unindexed_n: int,
) -> list[Row]:  # fmt: skip
    n = ordinal(gas.n)
    label = f"{total:,}" if total != 100_000 else "10^5"
    previous = f"previous contract ({PREVIOUS}), its {ordinal(before.n)} claim"
    per_earlier = (before.nth - before.first) / (before.n - 1)
    return [
        Row(SECTION, "claimRetirement gas, 1st claim of a block", gas.first, "gas", before.first,
            f"previous contract ({PREVIOUS}), its 1st",
            note="real tx, factory-signed, relayed by LedgerClient with the exact position hint"),
        Row(SECTION, "claimRetirement gas, 2nd claim of a block", gas.second, "gas", before.second,
            f"previous contract ({PREVIOUS}), its 2nd", note="inserted before the 1st (a new head)"),
        Row(SECTION, f"claimRetirement gas, {n} claim of a block", gas.nth, "gas", before.nth, previous,
            target=gas.first * (1 + GAS_SPREAD),
            note=f"into a gap at 3/4 of the block, exact hint; {(gas.nth - gas.first) / gas.first:+.1%} vs the 1st "
            f"(asserted within {GAS_SPREAD:.0%}); the previous contract adds {per_earlier:,.0f} gas per earlier "
            f"claim of the block (its {ordinal(before.n)} costs {before.nth / 30e6:.0%} of a 30M-gas block)"),
        Row(SECTION, f"claimOf gas with hint, block of {label} claims", lookup_gas, "gas", previous_lookup,
            f"previous contract's claimOf, block of {before.n:,}", target=one_gas * (1 + GAS_SPREAD),
            note=f"eth_estimateGas; on a 1-claim block {one_gas:,} gas"),
        Row(SECTION, f"claims filled into one block, {label}", total / fill_s, "claims/s", higher_is_better=True,
            note=f"{fill_s:.0f} s: a benchmark-only ERC-1271 factory wallet relaying many claimRetirement calls "
            f"per tx (exact hints); the previous contract took {previous_s:.0f} s for {before.n:,}"),
        Row(SECTION, f"claim index follow, {label} claims", follow_s, "s",
            note=f"ClaimIndex.follow(): {events:,} events read from anvil into SQLite, first round"),
        Row(SECTION, f"buyer lookup p50, block of {label} claims", percentile(after, 50), "ms",
            percentile(unindexed, 50), "same service before the index (walk from the first claim)",
            note=f"GET /certificates/GEC/<serial> over uvicorn, {len(after)} random serials and START..END ranges "
            f"(hits, gaps, two-claim ranges, past the end), each answer checked"),
        Row(SECTION, f"buyer lookup p99, block of {label} claims", percentile(after, 99), "ms",
            percentile(unindexed, 99), "same service before the index (walk from the first claim)",
            target=LOOKUP_TARGET_MS,
            note=f"baseline: the first {unindexed_n} probes before ClaimIndex.follow(), so the chain walks the "
            "block from its first claim (the previous contract's lookup is not comparable: its service "
            "is gone)"),
    ]  # fmt: skip

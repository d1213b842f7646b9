"""The chain is the truth (issue 13): reorgs, a slow chain, front-running and two instances, on a
real anvil whose mining and pool the test controls (:mod:`tests.chaos`).

Each test owns its anvil (automine goes off) and runs its trials over one service composed with a
short receipt timeout, as ``ZCL_RECEIPT_TIMEOUT`` would set it. After every trial the chain and the
database must agree (:mod:`tests.agreement`): every accepted batch and claim on chain exactly once
and in the database, nothing the database calls anchored missing on chain, every proof handed out
verifying. A trial's findings are counted, not raised at once, so that a failing run says how often;
each test prints one line of figures and writes it to ``test-artifacts/chain-truth.txt`` (for the
README's Reliability table), and every finding to ``test-artifacts/chain-truth/<scenario>.txt``.
A short run by default; 20 trials each under ``--all``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from api.compose import compose
from ledger.chain.anvil import Anvil
from ledger.chain.client import LedgerClient
from ledger.services import Services
from tests.agreement import Accepted, Findings, agree, chain_root
from tests.builders import batch_json, claim_body, claim_json, example_batch, register_factory
from tests.chaos import Chain, PoolWatch, batch_calldata, claim_calldata, in_thread, rounds
from tests.conftest import ARTIFACTS_DIR, Service

RECEIPT_TIMEOUT = 1.0
"""Seconds the service waits for a receipt (``ZCL_RECEIPT_TIMEOUT``): far shorter than a slow block."""
SHORT, LONG = 2, 20
TRIALS = [pytest.param(SHORT, id="short"), pytest.param(LONG, id="x20", marks=pytest.mark.long)]
"""Trials per test: a short run in the default suite, 20 under ``--all``."""
FIGURES = ARTIFACTS_DIR / "chain-truth.txt"


# --- fixtures: the test's own anvil, and the service over it with a short receipt timeout ---------


@pytest.fixture
def rpc_url(tmp_path: Path) -> Iterator[str]:
    """This test's own anvil (overrides the session's: automine goes off here)."""
    with Anvil(log_file=tmp_path / "anvil.log") as anvil:
        yield anvil.rpc_url


@pytest.fixture
def w3(rpc_url: str) -> Web3:
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture
def chain(w3: Web3) -> Chain:
    return Chain(w3)


def composed_service(
    ledger: LedgerClient, sender: LocalAccount, database_url: str, evidence: Path, registrar: LocalAccount | None = None
) -> tuple[Any, TestClient]:
    """The app over ``ledger``'s contract, relaying with ``sender`` and a short receipt timeout; with
    ``registrar``, it registers factories too."""
    relayer = LedgerClient(ledger.w3, ledger.address, sender, receipt_timeout=RECEIPT_TIMEOUT)
    composition = compose(
        relayer, database_url, admin_token="test-admin-token", evidence_dir=evidence, wait_timeout=RECEIPT_TIMEOUT,
        registrar=registrar,
    )  # fmt: skip
    return composition, TestClient(composition.app, raise_server_exceptions=False)


@pytest.fixture
def service(
    tmp_path: Path, w3: Web3, ledger: LedgerClient, operator: LocalAccount, database_url: str
) -> Iterator[Service]:
    composition, http = composed_service(ledger, operator, database_url, tmp_path / "evidence", operator)
    with http:
        yield Service(http, composition.services, ledger, w3, tmp_path / "ledger.db", database_url)
    composition.close()


# --- counting -------------------------------------------------------------------------------------


ITEM = re.compile(r"(?:batch|claim) [^:(]*")
"""The item a finding names (``batch CN-X 2025-01 r1``, ``claim CN-X <block> 1..100``)."""


@dataclass
class Tally:
    """Trials of one scenario and what went wrong in them, for the figures line: ``lost`` and
    ``wrong`` count distinct items (batches and claims), ``other`` counts findings."""

    scenario: str
    trials: int = 0
    items: int = 0
    findings: Findings = field(default_factory=Findings)
    failed_trials: int = 0
    _seen: set[str] = field(default_factory=set)

    def record(self, found: Findings, items: int) -> None:
        """Count a trial; a finding an earlier trial already made (a row it left wrong, seen again
        by the whole-database check) is not counted again."""
        self.trials += 1
        self.items += items
        fresh = Findings(*[[x for x in part if x not in self._seen] for part in (found.lost, found.wrong, found.other)])
        self._seen.update([*found.lost, *found.wrong, *found.other])
        self.failed_trials += bool(fresh)
        tag = f"[t{self.trials}]"
        self.findings.add(Findings(*[[f"{tag} {x}" for x in part] for part in (fresh.lost, fresh.wrong, fresh.other)]))

    @staticmethod
    def _items(findings: list[str]) -> int:
        """Distinct items named (once each, whichever trial and check found them; an instance's
        name before the item keeps two databases' losses apart)."""
        untagged = [x.split("] ", 1)[1] for x in findings]
        return len({x[: m.end()].strip() if (m := ITEM.search(x)) else x for x in untagged})

    def line(self) -> str:
        f = self.findings
        verdict = "all agree" if not f else f"{self.failed_trials}/{self.trials} trials failed"
        return (
            f"{self.scenario}: {self.trials} trials, {self.items} items; lost {self._items(f.lost)}, "
            f"wrong {self._items(f.wrong)}, other {len(f.other)} — {verdict}"
        )

    def finish(self) -> None:
        """Print and save the figures line, then fail with every finding if there is one."""
        line = self.line()
        print(f"\n[chain-truth] {line}")
        FIGURES.parent.mkdir(exist_ok=True)
        old = FIGURES.read_text().splitlines() if FIGURES.exists() else []
        kept = [x for x in old if x.split(":")[0] != self.scenario]
        FIGURES.write_text("\n".join(sorted([*kept, line])) + "\n", encoding="utf-8")
        listed = sorted([*self.findings.lost, *self.findings.wrong, *self.findings.other], key=_trial_number)
        details = (
            FIGURES.parent / "chain-truth" / (re.sub(r"[^a-z0-9]+", "-", self.scenario.lower()).strip("-") + ".txt")
        )
        details.parent.mkdir(exist_ok=True)
        details.write_text("\n".join([line, *listed]) + "\n", encoding="utf-8")
        if self.findings:
            pytest.fail(f"{line}\n  " + "\n  ".join(listed[:40]), pytrace=False)


def label(trials: int) -> str:
    """The figures line's suffix: the long runs are kept apart from the short ones."""
    return "" if trials == SHORT else f" x{trials}"


def _trial_number(finding: str) -> int:
    return int(finding[2 : finding.index("]")])


def trial(tally: Tally, chain: Chain, run: Callable[[Findings], int]) -> None:
    """One trial: ``run`` notes findings and returns how many items it submitted. An exception ends
    the trial as a finding (the next trial starts with automine on again)."""
    found = Findings()
    items = 0
    try:
        items = run(found)
    except Exception as exc:  # noqa: BLE001 - counted, and every finding is shown at the end
        found.other.append(f"trial aborted: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        chain.interval_mining(0)
        chain.automine(True)
    tally.record(found, items)


def run(scenario: str, trials: int, chain: Chain, one: Callable[[int, Findings], int]) -> None:
    """``trials`` trials of a scenario (``one(n, findings)`` is trial ``n``); then its figures."""
    tally = Tally(scenario + label(trials))
    for n in range(trials):
        trial(tally, chain, lambda found, n=n: one(n, found))  # type: ignore[misc]
    tally.finish()


# --- building blocks ------------------------------------------------------------------------------


class Desk:
    """Factories, signed batches and claims for one test's trials: fresh ids and serials each time."""

    def __init__(self, service: Service, new_account: Callable[[], LocalAccount], tag: str) -> None:
        self.service, self.new_account, self.tag = service, new_account, tag
        self.count = 0

    def factory(self) -> tuple[str, LocalAccount]:
        self.count += 1
        factory_id, key = f"CN-{self.tag}-{self.count:03d}", self.new_account()
        register_factory(self.service.http, key, factory_id, factory_id)
        return factory_id, key

    def batch(self, factory_id: str, key: LocalAccount, revision: int = 1) -> dict[str, Any]:
        return batch_json(self.service.ledger, key, example_batch(factory_id, revision))

    def claim(self, factory_id: str, key: LocalAccount) -> dict[str, Any]:
        first = 1000 * self.count + 1
        return claim_json(self.service.ledger, key, claim_body(factory_id, first, first + 99))


def status_of(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any] | None:
    """The service's batch for that signed body (GET /factories/{id}/batches), None when it has none."""
    listed = http.get(f"/factories/{body['factory_id']}/batches", params={"period": body["period"]}).json()
    return next((b for b in listed if b["revision"] == body["revision"] and b["root"] == body["root"]), None)


def expect(found: Findings, what: str, response: httpx.Response, codes: tuple[int, ...], status: str | None) -> None:
    if response.status_code not in codes:
        found.other.append(f"{what}: answered {response.status_code} {response.text[:160]}")
    elif status is not None and response.json().get("status") != status:
        found.other.append(f"{what}: status {response.json().get('status')!r}, not {status!r}")


def page_answers(found: Findings, http: httpx.Client, batch: dict[str, Any] | None) -> None:
    if batch is not None and (page := http.get(f"/batch/{batch['id']}")).status_code >= 500:
        found.other.append(f"GET /batch/{batch['id']} answered {page.status_code}")


def settle(services: Services, chain: Chain, n: int = 3) -> list[str]:
    """Mine what is pooled, then ``n`` reconciler rounds with automine on."""
    chain.automine(True)
    chain.mine(1)
    return rounds(services, n)


# --- a. reorgs ------------------------------------------------------------------------------------

STAGES = ["sent", "mined", "revision2"]


def reorg_trial(service: Service, chain: Chain, desk: Desk, stage: str, depth: int, path: str, found: Findings) -> int:
    """Anchor (stage ``sent``: only send) a batch, reorganise ``depth`` blocks away, then let the
    service find out: by the same signed batch resubmitted (``path`` ``resubmit``) or by the
    reconciler's rounds with the chain not mining (``watch``: its proofs must not pass as final)."""
    http, services = service.http, service.services
    factory_id, key = desk.factory()
    chain.mine(depth + 1)  # padding: the reorg removes only what this trial anchors (and empty blocks)
    accepted = [desk.batch(factory_id, key)]
    if stage == "sent":
        with chain.manual():
            answer = in_thread(lambda: http.post("/batches", json=accepted[0]))
            chain.wait_for(batch_calldata(service.ledger, accepted[0]))
            chain.reorg(depth)  # under the pooled commit
            chain.mine(1)
            expect(found, "submit", answer(30), (201,), "anchored")
    else:
        expect(found, "submit", http.post("/batches", json=accepted[0]), (201,), "anchored")
        if stage == "revision2":
            accepted.append(desk.batch(factory_id, key, 2))
            expect(found, "revision 2", http.post("/batches", json=accepted[1]), (201,), "anchored")
        chain.reorg(depth)
        page_answers(found, http, status_of(http, accepted[0]))
        if path == "resubmit":
            for body in accepted:
                resubmitted(found, service, body)
            rounds(services, 2)
        else:
            with chain.manual():
                rounds(services, 1)
                unsettled = agree(services, service.ledger, Accepted(accepted), http, settled=False)
                found.wrong += unsettled.wrong
                found.other += unsettled.other
                for body in accepted:
                    shown = status_of(http, body)
                    held = chain_root(service.ledger, factory_id, body["period"], body["revision"]) == body["root"]
                    if shown and shown["status"] == "anchored" and shown.get("final", True) is not False and not held:
                        name = f"batch {factory_id} {body['period']} r{body['revision']}"
                        found.wrong.append(f"{name}: shown anchored and final, its anchor gone: {shown}")
            settle(services, chain)
    page_answers(found, http, status_of(http, accepted[0]))
    following = desk.batch(factory_id, key, len(accepted) + 1)
    expect(
        found,
        f"revision {len(accepted) + 1} after the reorg",
        http.post("/batches", json=following),
        (201,),
        "anchored",
    )
    accepted.append(following)
    rounds(services, 1)
    found.add(agree(services, service.ledger, Accepted(accepted), http))
    return len(accepted)


def resubmitted(found: Findings, service: Service, body: dict[str, Any]) -> None:
    """The same signed batch again, its anchor gone: re-anchored, or answered as not anchored yet."""
    again = service.http.post("/batches", json=body)
    name = f"batch {body['factory_id']} {body['period']} r{body['revision']}"
    expect(found, f"{name} resubmitted after the reorg", again, (200, 201, 202), None)
    held = chain_root(service.ledger, body["factory_id"], body["period"], body["revision"]) == body["root"]
    if again.status_code in (200, 201) and again.json().get("status") == "anchored" and not held:
        found.wrong.append(f"{name}: resubmitted, answered {again.status_code} anchored, the chain holds no such root")


@pytest.mark.parametrize("trials", TRIALS)
@pytest.mark.parametrize("stage", STAGES)
def test_reorgs_at_each_stage_leave_chain_and_database_agreeing(
    service: Service, chain: Chain, new_account: Callable[[], LocalAccount], stage: str, trials: int
) -> None:
    desk = Desk(service, new_account, "REORG")
    run(
        f"reorg after {stage} (depth 1-3)",
        trials,
        chain,
        lambda n, found: reorg_trial(service, chain, desk, stage, n % 3 + 1, ("resubmit", "watch")[n % 2], found),
    )


# --- b. a slow chain --------------------------------------------------------------------------------


def slow_trial(service: Service, chain: Chain, desk: Desk, mine_during: str, found: Findings) -> int:
    """Submit a batch and a claim while nothing is mined (receipts time out), run reconciler rounds,
    then mine while the reconciler is at ``mine_during`` (``batches`` or ``claims``)."""
    http, services, ledger = service.http, service.services, service.ledger
    factory_id, key = desk.factory()
    batch, claim = desk.batch(factory_id, key), desk.claim(factory_id, key)
    calldata = {"batch": batch_calldata(ledger, batch), "claim": claim_calldata(ledger, claim)}
    with chain.manual(), PoolWatch(chain, calldata) as pool:
        expect(found, "batch on a slow chain", http.post("/batches", json=batch), (202, 503), None)
        expect(found, "claim on a slow chain", http.post("/claims", json=claim), (202, 503), None)
        rounds(services, 1)
        for name, step in ((n, getattr(services, n).reconcile) for n in ("batches", "claims")):
            if name != mine_during:
                rounds_of_one(step)
                continue
            item = {"batches": "batch", "claims": "claim"}[name]
            sent_before = pool.sent(item)
            running = in_thread(step)
            deadline = time.monotonic() + RECEIPT_TIMEOUT / 2
            while pool.sent(item) == sent_before and time.monotonic() < deadline:
                time.sleep(0.02)
            chain.mine(1)  # while the reconciler waits for its receipt
            rounds_of_one(lambda: running(30))
    settle(services, chain)
    for item, most in pool.most.items():
        if most > 1:
            found.other.append(f"{item} of {factory_id}: {most} copies pooled at once ({pool.sent(item)} sent in all)")
    found.add(agree(services, ledger, Accepted([batch], [claim]), http))
    return 2


def rounds_of_one(step: Callable[[], Any]) -> None:
    try:
        step()
    except Exception:  # noqa: BLE001 - a timed-out round, as the reconciler thread sees it
        pass


@pytest.mark.parametrize("trials", TRIALS)
def test_a_slow_chain_never_pools_two_copies_and_loses_nothing(
    service: Service, chain: Chain, new_account: Callable[[], LocalAccount], trials: int
) -> None:
    desk = Desk(service, new_account, "SLOW")
    run(
        f"slow chain, receipt timeout {RECEIPT_TIMEOUT:g} s",
        trials,
        chain,
        lambda n, found: slow_trial(service, chain, desk, ("batches", "claims")[n % 2], found),
    )


# --- c. front-running -------------------------------------------------------------------------------


def front_run_trial(service: Service, chain: Chain, desk: Desk, found: Findings) -> int:
    """Another account copies our pooled commit and claim and gets each mined first."""
    http, services, ledger = service.http, service.services, service.ledger
    factory_id, key = desk.factory()
    batch, claim = desk.batch(factory_id, key), desk.claim(factory_id, key)
    relayer = desk.new_account()
    for path, body, calldata, status in (
        ("/batches", batch, batch_calldata(ledger, batch), "anchored"),
        ("/claims", claim, claim_calldata(ledger, claim), "claimed"),
    ):
        with chain.manual():
            answer = in_thread(lambda path=path, body=body: http.post(path, json=body))  # type: ignore[misc]
            ours = chain.wait_for(calldata)[0].hash
            copy = chain.front_run(calldata, relayer)
            chain.mine(1)
            response = answer(30)
        first, second = chain.order_in_block(copy, ours)
        if first is None or (second is not None and second < first):
            found.other.append(f"{path}: the copy was not mined first ({first} vs {second}): fault not made")
        expect(found, f"{path} front-run", response, (200, 201), status)
        if response.status_code in (200, 201) and response.json().get("tx_hash") != copy:
            found.wrong.append(f"{path}: tx_hash {response.json().get('tx_hash')}, the chain's is {copy}")
    rounds(services, 1)
    found.add(agree(services, ledger, Accepted([batch], [claim]), http))
    return 2


@pytest.mark.parametrize("trials", TRIALS)
def test_front_running_is_anchored_by_content(
    service: Service, chain: Chain, new_account: Callable[[], LocalAccount], trials: int
) -> None:
    desk = Desk(service, new_account, "FRONT")
    run(
        "front-running by another account", trials, chain, lambda n, found: front_run_trial(service, chain, desk, found)
    )


# --- d. two instances with separate databases ---------------------------------------------------------


@pytest.fixture
def twin(tmp_path: Path, w3: Web3, ledger: LedgerClient, new_account: Callable[[], LocalAccount]) -> Iterator[Service]:
    """A second instance over the same contract: its own database (SQLite) and its own relaying key."""
    database_url = f"sqlite:///{tmp_path / 'twin.db'}"
    composition, http = composed_service(ledger, new_account(), database_url, tmp_path / "twin-evidence")
    with http:
        yield Service(http, composition.services, ledger, w3, tmp_path / "twin.db", database_url)
    composition.close()


def twin_trial(service: Service, twin: Service, chain: Chain, desk: Desk, at_once: bool, found: Findings) -> int:
    """The same signed batch and claim to both instances: in turn, or at once with one block for both."""
    ledger = service.ledger
    factory_id, key = desk.factory()
    batch, claim = desk.batch(factory_id, key), desk.claim(factory_id, key)
    for path, body, calldata, status in (
        ("/batches", batch, batch_calldata(ledger, batch), "anchored"),
        ("/claims", claim, claim_calldata(ledger, claim), "claimed"),
    ):
        if at_once:
            with chain.manual():
                answers = [in_thread(lambda s=s, path=path, body=body: s.http.post(path, json=body))  # type: ignore[misc]
                           for s in (service, twin)]  # fmt: skip
                try:
                    chain.wait_for(calldata, 2, timeout=RECEIPT_TIMEOUT)
                except AssertionError:
                    pass  # an instance that waits rather than send a second copy is fine
                chain.mine(1)
                responses = [answer(30) for answer in answers]
        else:
            responses = [s.http.post(path, json=body) for s in (service, twin)]
        for name, response in zip(("first", "second"), responses, strict=True):
            expect(found, f"{path} to the {name} instance", response, (200, 201), status)
    for each in (service, twin):
        rounds(each.services, 1)
    for name, each in (("first", service), ("second", twin)):
        seen = agree(each.services, ledger, Accepted([batch], [claim]), each.http)
        found.add(Findings(*[[f"{name} instance: {x}" for x in part] for part in (seen.lost, seen.wrong, seen.other)]))
    return 2


@pytest.mark.parametrize("trials", TRIALS)
def test_two_instances_with_separate_databases_both_hold_the_item(
    service: Service, twin: Service, chain: Chain, new_account: Callable[[], LocalAccount], trials: int
) -> None:
    desk = Desk(service, new_account, "TWIN")
    run(
        "two instances, separate databases",
        trials,
        chain,
        lambda n, found: twin_trial(service, twin, chain, desk, n % 2 == 1, found),
    )

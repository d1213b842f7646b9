"""How the client sends: receipts awaited with a timeout, races decided by the chain."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.anvil import free_loopback_port
from ledger.chain.client import LedgerClient
from ledger.chain.errors import ChainUnavailable, LedgerError, RevisionAlreadyAnchored, TransactionTimeout
from ledger.eip712.batch_commit import BatchCommit, sign_commit


@pytest.fixture
def manual_mining(w3: Web3) -> Iterator[Callable[[], None]]:
    """Turns anvil's automine off for the test, handing it a function that mines one block."""
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield lambda: w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def test_a_missing_receipt_times_out_naming_the_transaction(
    w3: Web3, ledger: LedgerClient, operator: LocalAccount, manual_mining: Callable[[], None]
) -> None:
    impatient = LedgerClient(w3, ledger.address, operator, receipt_timeout=0.5)
    with pytest.raises(TransactionTimeout) as raised:
        impatient.register_factory("CN-SLOW", operator.address)
    tx_hash = raised.value.tx_hash
    assert tx_hash in str(raised.value) and "may still be mined" in str(raised.value)
    manual_mining()
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1  # it was sent, not lost
    assert ledger.is_registered("CN-SLOW")


def test_two_commits_of_one_revision_in_one_block_the_chain_keeps_one(
    w3: Web3, ledger: LedgerClient, new_account: Callable[[], LocalAccount], manual_mining: Callable[[], None]
) -> None:
    factory = new_account()
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    ledger.register_factory("CN-RACE", factory.address)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    domain = ledger.domain()
    commits = [BatchCommit("CN-RACE", "2025-03", 1, bytes([n]) * 32, 10) for n in (1, 2)]
    # two relayers, each with a valid factory signature: both pass estimation before either is mined
    relayers = [LedgerClient(w3, ledger.address, new_account(), receipt_timeout=30) for _ in commits]
    outcomes: list[object] = [None, None]

    def relay(i: int) -> None:
        try:
            outcomes[i] = relayers[i].commit_batch(commits[i], sign_commit(factory, domain, commits[i]))
        except LedgerError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=relay, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(w3.provider.make_request("txpool_content", [])["result"]["pending"]) < 2:  # type: ignore[arg-type]
        assert time.monotonic() < deadline, "the two commits never reached the pool"
        time.sleep(0.05)
    manual_mining()
    for thread in threads:
        thread.join(timeout=30)

    failures = [o for o in outcomes if isinstance(o, LedgerError)]
    assert len(failures) == 1, outcomes
    assert isinstance(failures[0], RevisionAlreadyAnchored)
    winner = commits[outcomes.index(next(o for o in outcomes if not isinstance(o, LedgerError)))]
    assert ledger.revision_count("CN-RACE", "2025-03") == 1
    assert ledger.get_anchor("CN-RACE", "2025-03", 1).root == winner.root


def test_a_node_that_does_not_answer_is_reported_as_such(ledger: LedgerClient, operator: LocalAccount) -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}"
    dead = LedgerClient(Web3(Web3.HTTPProvider(url)), ledger.address, operator)
    with pytest.raises(ChainUnavailable, match=f"the chain at {url} did not answer"):
        dead.is_registered("CN-X")
    with pytest.raises(ChainUnavailable, match=url):
        dead.register_factory("CN-X", operator.address)

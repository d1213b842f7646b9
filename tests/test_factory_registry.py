"""FactoryRegistry: registration, roles, id rules, and the append-only history of signing keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.types import TxReceipt

from ledger.chain.client import LedgerClient
from ledger.chain.errors import (
    AccessControlUnauthorizedAccount,
    FactoryAlreadyRegistered,
    InvalidFactoryId,
    InvalidSignerAddress,
    SignerUnchanged,
    UnknownFactory,
)
from ledger.eip712.batch_commit import BatchCommit, sign_commit

NewAccount = Callable[[], LocalAccount]
ZERO_ADDRESS = "0x" + "00" * 20
REGISTRAR_ROLE_HEX = "0x" + keccak(text="REGISTRAR_ROLE").hex()
FACTORY = "91310000MA1FL0001X"


def _receipt(w3: Web3, tx_hash: str) -> TxReceipt:
    return w3.eth.get_transaction_receipt(tx_hash)


def test_register_emits_event_and_sets_signer(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    key = new_account()
    assert not ledger.is_registered(FACTORY)

    tx = ledger.register_factory(FACTORY, key.address)

    assert ledger.is_registered(FACTORY)
    assert ledger.current_signer(FACTORY) == key.address
    (event,) = ledger.contract.events.FactoryRegistered().process_receipt(_receipt(w3, tx.tx_hash))
    assert event["args"]["factoryKey"] == keccak(text=FACTORY)
    assert event["args"]["factoryId"] == FACTORY
    assert event["args"]["signer"] == key.address
    assert event["address"] == ledger.address


@pytest.mark.parametrize("action", ["register", "rotate"])
def test_only_registrar_may_register_or_rotate(
    w3: Web3, ledger: LedgerClient, new_account: NewAccount, action: str
) -> None:
    ledger.register_factory(FACTORY, new_account().address)
    stranger = new_account()
    as_stranger = LedgerClient(w3, ledger.address, stranger)
    assert not ledger.is_registrar(stranger.address)

    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        if action == "register":
            as_stranger.register_factory("other-factory", new_account().address)
        else:
            as_stranger.rotate_signer(FACTORY, new_account().address)

    assert info.value.account == stranger.address
    assert info.value.neededRole == REGISTRAR_ROLE_HEX
    assert not ledger.is_registered("other-factory")


def test_granted_registrar_may_register_and_rotate(
    w3: Web3, ledger: LedgerClient, operator: LocalAccount, new_account: NewAccount
) -> None:
    second = new_account()
    assert ledger.is_registrar(operator.address)
    ledger.grant_registrar(second.address)
    assert ledger.is_registrar(second.address)

    as_second = LedgerClient(w3, ledger.address, second)
    first_key, next_key = new_account(), new_account()
    as_second.register_factory(FACTORY, first_key.address)
    as_second.rotate_signer(FACTORY, next_key.address)

    assert ledger.current_signer(FACTORY) == next_key.address


@pytest.mark.parametrize(
    "factory_id",
    ["", "a" * 65, "has space", "fabrik-\u00e4", "slash/id", "tab\tid", "id\x00"],
    ids=["empty", "65-chars", "space", "non-ascii", "slash", "tab", "nul"],
)
def test_invalid_factory_id(ledger: LedgerClient, new_account: NewAccount, factory_id: str) -> None:
    with pytest.raises(InvalidFactoryId) as info:
        ledger.register_factory(factory_id, new_account().address)
    assert info.value.factoryId == factory_id


@pytest.mark.parametrize("factory_id", ["a" * 64, "Z", "0", "plant.01_line:A-9", "AZaz09._:-"])
def test_valid_factory_id_accepted(ledger: LedgerClient, new_account: NewAccount, factory_id: str) -> None:
    key = new_account()
    ledger.register_factory(factory_id, key.address)
    assert ledger.current_signer(factory_id) == key.address


def test_factory_already_registered(ledger: LedgerClient, new_account: NewAccount) -> None:
    first = new_account()
    ledger.register_factory(FACTORY, first.address)
    with pytest.raises(FactoryAlreadyRegistered) as info:
        ledger.register_factory(FACTORY, new_account().address)
    assert info.value.factoryId == FACTORY
    assert ledger.current_signer(FACTORY) == first.address


def test_zero_signer_rejected_on_register_and_rotate(ledger: LedgerClient, new_account: NewAccount) -> None:
    with pytest.raises(InvalidSignerAddress) as info:
        ledger.register_factory(FACTORY, ZERO_ADDRESS)
    assert int(info.value.signer, 16) == 0
    assert not ledger.is_registered(FACTORY)

    key = new_account()
    ledger.register_factory(FACTORY, key.address)
    with pytest.raises(InvalidSignerAddress) as info:
        ledger.rotate_signer(FACTORY, ZERO_ADDRESS)
    assert int(info.value.signer, 16) == 0
    assert ledger.current_signer(FACTORY) == key.address


def test_unknown_factory(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    missing = "never-registered"
    key = new_account()
    checks: list[Callable[[], object]] = [
        lambda: ledger.rotate_signer(missing, key.address),
        lambda: ledger.current_signer(missing),
        lambda: ledger.signer_history(missing),
        lambda: ledger.signer_at(missing, w3.eth.block_number),
    ]
    for check in checks:
        with pytest.raises(UnknownFactory) as info:
            check()
        assert info.value.factoryId == missing

    commit = BatchCommit(missing, "2025-01", 1, keccak(text="root"), 3)
    with pytest.raises(UnknownFactory) as info:
        ledger.commit_batch(commit, sign_commit(key, ledger.domain(), commit))
    assert info.value.factoryId == missing


def test_signer_unchanged(ledger: LedgerClient, new_account: NewAccount) -> None:
    key = new_account()
    ledger.register_factory(FACTORY, key.address)
    with pytest.raises(SignerUnchanged) as info:
        ledger.rotate_signer(FACTORY, key.address)
    assert info.value.factoryId == FACTORY
    assert info.value.signer == key.address
    assert len(ledger.signer_history(FACTORY)) == 1


def test_rotation_history_and_signer_at(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    keys = [new_account() for _ in range(3)]
    txs = [ledger.register_factory(FACTORY, keys[0].address)]
    txs += [ledger.rotate_signer(FACTORY, key.address) for key in keys[1:]]
    blocks = [tx.block_number for tx in txs]

    history = ledger.signer_history(FACTORY)
    assert [epoch.signer for epoch in history] == [key.address for key in keys]
    assert [epoch.valid_from_block for epoch in history] == blocks
    assert blocks == sorted(set(blocks))  # strictly increasing
    assert [epoch.valid_from_time for epoch in history] == [w3.eth.get_block(b)["timestamp"] for b in blocks]
    assert ledger.current_signer(FACTORY) == keys[2].address

    assert ledger.signer_at(FACTORY, 0) is None
    assert ledger.signer_at(FACTORY, blocks[0] - 1) is None
    for i, block in enumerate(blocks):
        assert ledger.signer_at(FACTORY, block) == keys[i].address
        if i > 0:
            assert ledger.signer_at(FACTORY, block - 1) == keys[i - 1].address
    assert ledger.signer_at(FACTORY, blocks[-1] + 1_000_000) == keys[2].address


def test_signer_rotated_event(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    old, new = new_account(), new_account()
    ledger.register_factory(FACTORY, old.address)
    tx = ledger.rotate_signer(FACTORY, new.address)

    (event,) = ledger.contract.events.SignerRotated().process_receipt(_receipt(w3, tx.tx_hash))
    assert event["args"]["factoryKey"] == keccak(text=FACTORY)
    assert event["args"]["factoryId"] == FACTORY
    assert event["args"]["previousSigner"] == old.address
    assert event["args"]["newSigner"] == new.address


def test_rotating_back_to_an_earlier_key_appends(ledger: LedgerClient, new_account: NewAccount) -> None:
    """Only the key in force counts as unchanged; an older key may return, as a new epoch."""
    a, b = new_account(), new_account()
    ledger.register_factory(FACTORY, a.address)
    ledger.rotate_signer(FACTORY, b.address)
    ledger.rotate_signer(FACTORY, a.address)
    assert [e.signer for e in ledger.signer_history(FACTORY)] == [a.address, b.address, a.address]

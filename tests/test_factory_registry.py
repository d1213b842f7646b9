"""FactoryRegistry: registration, roles, id rules, and the append-only history of signing keys, which
changes only by a rotation its current key signed or, for a lost key, by the admin (marked forced)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.types import TxReceipt

from ledger.chain.client import LedgerClient
from ledger.chain.errors import (
    AccessControlUnauthorizedAccount,
    FactoryAlreadyRegistered,
    InvalidCommitSignature,
    InvalidFactoryId,
    InvalidRotationSignature,
    InvalidSignerAddress,
    ReasonRequired,
    SignerUnchanged,
    UnknownFactory,
)
from ledger.eip712.batch_commit import BatchCommit, sign_commit
from tests.builders import rotate_on_chain

NewAccount = Callable[[], LocalAccount]
ZERO_ADDRESS = "0x" + "00" * 20
REGISTRAR_ROLE_HEX = "0x" + keccak(text="REGISTRAR_ROLE").hex()
ADMIN_ROLE_HEX = "0x" + "00" * 32
FACTORY = "91310000MA1FL0001X"
REASON = keccak(text="the factory's signed request of 2025-03-02: key lost with a laptop")


@dataclass
class Split:
    """A ledger deployed as ``zcl serve`` deploys it: one key per role, and a relayer with none."""

    admin: LedgerClient
    registrar: LedgerClient
    relayer: LedgerClient


@pytest.fixture
def split(w3: Web3, new_account: NewAccount) -> Split:
    admin, registrar, attestor, relayer = (new_account() for _ in range(4))
    deployed, _ = LedgerClient.deploy(w3, admin, registrar=registrar.address, attestor=attestor.address)
    return Split(deployed, deployed.acting_as(registrar), deployed.acting_as(relayer))


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


def test_only_registrar_may_register(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    stranger = new_account()
    as_stranger = LedgerClient(w3, ledger.address, stranger)
    assert not ledger.is_registrar(stranger.address)

    with pytest.raises(AccessControlUnauthorizedAccount) as info:
        as_stranger.register_factory("other-factory", new_account().address)

    assert info.value.account == stranger.address
    assert info.value.neededRole == REGISTRAR_ROLE_HEX
    assert not ledger.is_registered("other-factory")


def test_granted_registrar_may_register_but_not_rotate(
    w3: Web3, ledger: LedgerClient, operator: LocalAccount, new_account: NewAccount
) -> None:
    second = new_account()
    assert ledger.is_registrar(operator.address)
    ledger.grant_registrar(second.address)
    assert ledger.is_registrar(second.address)

    as_second = LedgerClient(w3, ledger.address, second)
    first_key, next_key = new_account(), new_account()
    as_second.register_factory(FACTORY, first_key.address)
    with pytest.raises(InvalidRotationSignature) as info:
        rotate_on_chain(as_second, FACTORY, second, next_key.address)  # signed by the registrar: no

    assert info.value.expectedSigner == first_key.address
    assert ledger.current_signer(FACTORY) == first_key.address


def test_registrar_power_alone_cannot_take_over_a_factory(split: Split, new_account: NewAccount) -> None:
    """Issue 14's finding replayed on the contract: the registrar's key (and the relayer's) try to put
    their own key in a factory's place and anchor a forged correction; every path is refused."""
    factory, attacker = new_account(), new_account()
    split.registrar.register_factory(FACTORY, factory.address)
    commit = BatchCommit(FACTORY, "2025-01", 1, keccak(text="true month"), 3)
    split.relayer.commit_batch(commit, sign_commit(factory, split.relayer.domain(), commit))

    for client, key in ((split.registrar, split.registrar.sender), (split.relayer, attacker)):
        assert key is not None
        with pytest.raises(InvalidRotationSignature) as bad:
            rotate_on_chain(client, FACTORY, key, attacker.address)
        assert bad.value.expectedSigner == factory.address
        with pytest.raises(AccessControlUnauthorizedAccount) as refused:
            client.force_rotate_signer(FACTORY, attacker.address, REASON)
        assert refused.value.neededRole == ADMIN_ROLE_HEX
    with pytest.raises(FactoryAlreadyRegistered):
        split.registrar.register_factory(FACTORY, attacker.address)
    assert not split.registrar.has_role("admin", split.registrar.sender.address)  # type: ignore[union-attr]

    forged = BatchCommit(FACTORY, "2025-01", 2, keccak(text="forged correction"), 3)
    with pytest.raises(InvalidCommitSignature) as info:
        split.registrar.commit_batch(forged, sign_commit(attacker, split.registrar.domain(), forged))
    assert info.value.expectedSigner == factory.address
    assert split.admin.revision_count(FACTORY, "2025-01") == 1
    assert [(e.signer, e.forced) for e in split.admin.signer_history(FACTORY)] == [(factory.address, False)]


def test_a_rotation_signed_by_the_current_key_is_relayed_by_anyone_once(split: Split, new_account: NewAccount) -> None:
    a, b = new_account(), new_account()
    split.registrar.register_factory(FACTORY, a.address)
    rotation = split.relayer.rotation(FACTORY, b.address)
    assert rotation.epoch == 1
    assert split.relayer.rotation_digest(rotation) == rotation.digest(split.relayer.domain())  # the Python twin
    signature = rotation.sign(a, split.relayer.domain())

    split.relayer.rotate_signer(FACTORY, b.address, signature)  # the relayer holds no role
    assert split.admin.current_signer(FACTORY) == b.address
    with pytest.raises(SignerUnchanged):
        split.relayer.rotate_signer(FACTORY, b.address, signature)

    rotate_on_chain(split.relayer, FACTORY, b, a.address)  # back to a, as epoch 2
    with pytest.raises(InvalidRotationSignature) as info:  # a's old consent names epoch 1: spent
        split.relayer.rotate_signer(FACTORY, b.address, signature)
    assert info.value.expectedSigner == a.address
    assert [e.signer for e in split.admin.signer_history(FACTORY)] == [a.address, b.address, a.address]


def test_the_admin_forces_a_lost_keys_replacement_marked_forced(
    w3: Web3, split: Split, new_account: NewAccount
) -> None:
    lost, replacement = new_account(), new_account()
    split.registrar.register_factory(FACTORY, lost.address)
    with pytest.raises(ReasonRequired):
        split.admin.force_rotate_signer(FACTORY, replacement.address, b"\x00" * 32)
    with pytest.raises(UnknownFactory):
        split.admin.force_rotate_signer("never-registered", replacement.address, REASON)

    tx = split.admin.force_rotate_signer(FACTORY, replacement.address, REASON)

    history = split.admin.signer_history(FACTORY)
    assert [(e.signer, e.forced) for e in history] == [(lost.address, False), (replacement.address, True)]
    assert history[-1].valid_from_block == tx.block_number
    (event,) = split.admin.contract.events.SignerForceRotated().process_receipt(_receipt(w3, tx.tx_hash))
    assert event["args"]["previousSigner"] == lost.address and event["args"]["newSigner"] == replacement.address
    assert event["args"]["admin"] == split.admin.sender.address  # type: ignore[union-attr]
    assert event["args"]["reasonHash"] == REASON
    # the replacement key rotates on by its own signature, an ordinary epoch again
    successor = new_account()
    rotate_on_chain(split.relayer, FACTORY, replacement, successor.address)
    assert [e.forced for e in split.admin.signer_history(FACTORY)] == [False, True, False]


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
        rotate_on_chain(ledger, FACTORY, key, ZERO_ADDRESS)
    assert int(info.value.signer, 16) == 0
    assert ledger.current_signer(FACTORY) == key.address


def test_unknown_factory(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    missing = "never-registered"
    key = new_account()
    checks: list[Callable[[], object]] = [
        lambda: ledger.rotate_signer(missing, key.address, b"\x01" * 65),
        lambda: ledger.force_rotate_signer(missing, key.address, REASON),
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
        rotate_on_chain(ledger, FACTORY, key, key.address)
    assert info.value.factoryId == FACTORY
    assert info.value.signer == key.address
    assert len(ledger.signer_history(FACTORY)) == 1


def test_rotation_history_and_signer_at(w3: Web3, ledger: LedgerClient, new_account: NewAccount) -> None:
    keys = [new_account() for _ in range(3)]
    txs = [ledger.register_factory(FACTORY, keys[0].address)]
    txs += [rotate_on_chain(ledger, FACTORY, old, new.address) for old, new in zip(keys, keys[1:], strict=False)]
    blocks = [tx.block_number for tx in txs]

    history = ledger.signer_history(FACTORY)
    assert [epoch.signer for epoch in history] == [key.address for key in keys]
    assert not any(epoch.forced for epoch in history)
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
    tx = rotate_on_chain(ledger, FACTORY, old, new.address)

    (event,) = ledger.contract.events.SignerRotated().process_receipt(_receipt(w3, tx.tx_hash))
    assert event["args"]["factoryKey"] == keccak(text=FACTORY)
    assert event["args"]["factoryId"] == FACTORY
    assert event["args"]["previousSigner"] == old.address
    assert event["args"]["newSigner"] == new.address


def test_rotating_back_to_an_earlier_key_appends(ledger: LedgerClient, new_account: NewAccount) -> None:
    """Only the key in force counts as unchanged; an older key may return, as a new epoch."""
    a, b = new_account(), new_account()
    ledger.register_factory(FACTORY, a.address)
    rotate_on_chain(ledger, FACTORY, a, b.address)
    rotate_on_chain(ledger, FACTORY, b, a.address)
    assert [e.signer for e in ledger.signer_history(FACTORY)] == [a.address, b.address, a.address]

"""BatchAnchors: signed, append-only revisions of monthly batch roots, and record verification."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.chain.errors import (
    EmptyBatch,
    InvalidCommitSignature,
    InvalidPeriod,
    LeafCountTooLarge,
    RevisionAlreadyAnchored,
    RevisionGap,
    UnknownFactory,
    UnknownRevision,
    UriTooLong,
    ZeroRoot,
)
from ledger.eip712.batch_commit import BatchCommit, sign_commit
from ledger.eip712.domain import LedgerDomain
from tests.builders import rotate_on_chain
from tests.wallets import deploy_wallet, disable_wallet

NewAccount = Callable[[], LocalAccount]
GasReport = dict[str, list[int]]
FACTORY = "91310000MA1FL0001X"
PERIOD = "2025-03"


@pytest.fixture
def factory_key(ledger: LedgerClient) -> LocalAccount:
    """The key registered for FACTORY; it signs but never sends (it need not be funded)."""
    key = Account.create()
    ledger.register_factory(FACTORY, key.address)
    return key


def make_commit(revision: int = 1, *, seed: str = "batch", **changes: object) -> BatchCommit:
    commit = BatchCommit(FACTORY, PERIOD, revision, keccak(text=f"{seed}-{revision}"), 10 + revision)
    return replace(commit, **changes) if changes else commit


def signed(ledger: LedgerClient, key: LocalAccount, commit: BatchCommit) -> tuple[BatchCommit, bytes]:
    return commit, sign_commit(key, ledger.domain(), commit)


# --- anchoring and reading back ---------------------------------------------------------------


def test_commit_and_correct_then_read_back(
    w3: Web3, ledger: LedgerClient, factory_key: LocalAccount, gas_report: GasReport
) -> None:
    first = make_commit(1, uri="ipfs://bafy-first")
    second = make_commit(2, uri="")
    assert ledger.revision_count(FACTORY, PERIOD) == 0

    tx1 = ledger.commit_batch(*signed(ledger, factory_key, first))
    assert ledger.revision_count(FACTORY, PERIOD) == 1
    tx2 = ledger.commit_batch(*signed(ledger, factory_key, second))
    assert ledger.revision_count(FACTORY, PERIOD) == 2
    gas_report.setdefault("commitBatch (rev 1)", []).append(tx1.gas_used)
    gas_report.setdefault("commitBatch (correction)", []).append(tx2.gas_used)
    # issue 8's target: at most 0.1 gas per record for a batch of 10^6 records, whatever its size
    assert tx1.gas_used <= 100_000 and tx2.gas_used <= 100_000

    anchors = ledger.anchors(FACTORY, PERIOD)
    assert anchors == [ledger.get_anchor(FACTORY, PERIOD, 1), ledger.get_anchor(FACTORY, PERIOD, 2)]
    for anchor, commit, tx in zip(anchors, (first, second), (tx1, tx2), strict=True):
        assert (anchor.factory_id, anchor.period, anchor.revision) == (FACTORY, PERIOD, commit.revision)
        assert anchor.root == commit.root
        assert anchor.leaf_count == commit.leaf_count
        assert anchor.uri == commit.uri
        assert anchor.signer == factory_key.address
        assert anchor.anchored_block == tx.block_number
        assert anchor.anchored_at == w3.eth.get_block(tx.block_number)["timestamp"]
    assert anchors[0].root != anchors[1].root  # the correction did not overwrite revision 1
    assert ledger.revision_count(FACTORY, "2025-04") == 0


def test_batch_anchored_event(w3: Web3, ledger: LedgerClient, factory_key: LocalAccount) -> None:
    commit = make_commit(1, uri="https://example.org/batches/2025-03.jsonl")
    tx = ledger.commit_batch(*signed(ledger, factory_key, commit))

    receipt = w3.eth.get_transaction_receipt(tx.tx_hash)
    (event,) = ledger.contract.events.BatchAnchored().process_receipt(receipt)
    args = event["args"]
    assert args["factoryKey"] == keccak(text=FACTORY)
    assert args["periodKey"] == keccak(text=PERIOD)
    assert args["revision"] == 1
    assert args["factoryId"] == FACTORY
    assert args["period"] == PERIOD
    assert args["root"] == commit.root
    assert args["leafCount"] == commit.leaf_count
    assert args["signer"] == factory_key.address
    assert args["uri"] == commit.uri
    # the three indexed fields are topics 1-3, in declaration order
    assert [bytes(t) for t in receipt["logs"][0]["topics"][1:]] == [
        keccak(text=FACTORY),
        keccak(text=PERIOD),
        (1).to_bytes(32, "big"),
    ]


def test_gas_with_64_char_uri(ledger: LedgerClient, factory_key: LocalAccount, gas_report: GasReport) -> None:
    commit = make_commit(1, uri="ipfs://" + "b" * 57)
    assert len(commit.uri) == 64
    tx = ledger.commit_batch(*signed(ledger, factory_key, commit))
    assert ledger.get_anchor(FACTORY, PERIOD, 1).uri == commit.uri
    gas_report.setdefault("commitBatch (64-char uri)", []).append(tx.gas_used)
    assert tx.gas_used <= 100_000  # the URI is only logged, so its length costs log and calldata gas alone


def test_stored_anchor_is_two_slots_of_fields(w3: Web3, ledger: LedgerClient, factory_key: LocalAccount) -> None:
    """getAnchor returns what the contract stores; the client adds the URI from the event and the
    time from the block."""
    commit = make_commit(1, uri="ipfs://bafy-stored")
    tx = ledger.commit_batch(*signed(ledger, factory_key, commit))

    raw = ledger.contract.functions.getAnchor(FACTORY, PERIOD, 1).call()
    assert tuple(raw) == (commit.root, factory_key.address, tx.block_number, commit.leaf_count)
    assert [o["name"] for o in ledger.contract.get_function_by_name("getAnchor").abi["outputs"][0]["components"]] == [
        "root",
        "signer",
        "anchoredBlock",
        "leafCount",
    ]
    anchor = ledger.get_anchor(FACTORY, PERIOD, 1)
    assert anchor.uri == commit.uri
    assert anchor.anchored_at == w3.eth.get_block(tx.block_number)["timestamp"]
    assert ledger.anchored_uri(FACTORY, PERIOD, 1, tx.block_number) == commit.uri


def test_revision_count_is_found_by_search(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    """No count is stored: revisionCount doubles then bisects over the contiguous revisions."""
    counts = []
    for revision in range(1, 10):
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(revision)))
        counts.append(ledger.revision_count(FACTORY, PERIOD))
    assert counts == list(range(1, 10))
    assert ledger.revision_count(FACTORY, "2025-04") == 0
    assert ledger.revision_count("never-registered", PERIOD) == 0

    with pytest.raises(RevisionGap) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(17)))
    assert (info.value.expected, info.value.given) == (10, 17)
    with pytest.raises(RevisionAlreadyAnchored) as already:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(8, seed="late")))
    assert already.value.revision == 8
    assert ledger.get_anchor(FACTORY, PERIOD, 8).root == make_commit(8).root


def test_registry_gas(ledger: LedgerClient, new_account: NewAccount, gas_report: GasReport) -> None:
    first = new_account()
    register = ledger.register_factory(FACTORY, first.address)
    rotate = rotate_on_chain(ledger, FACTORY, first, new_account().address)
    assert register.gas_used > 21_000 and rotate.gas_used > 21_000
    gas_report.setdefault("registerFactory", []).append(register.gas_used)
    gas_report.setdefault("rotateSigner", []).append(rotate.gas_used)


# --- rejections -------------------------------------------------------------------------------


def test_second_revision_1_rejected(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1)))
    rival = make_commit(1, seed="rival")

    with pytest.raises(RevisionAlreadyAnchored) as info:
        ledger.commit_batch(*signed(ledger, factory_key, rival))

    assert (info.value.factoryId, info.value.period, info.value.revision) == (FACTORY, PERIOD, 1)
    assert ledger.get_anchor(FACTORY, PERIOD, 1).root == make_commit(1).root


def test_exact_replay_rejected(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    commit, signature = signed(ledger, factory_key, make_commit(1))
    ledger.commit_batch(commit, signature)
    with pytest.raises(RevisionAlreadyAnchored) as info:
        ledger.commit_batch(commit, signature)
    assert (info.value.factoryId, info.value.period, info.value.revision) == (FACTORY, PERIOD, 1)
    assert ledger.revision_count(FACTORY, PERIOD) == 1


def test_revision_gap(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    with pytest.raises(RevisionGap) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(0)))
    assert (info.value.factoryId, info.value.period) == (FACTORY, PERIOD)
    assert (info.value.expected, info.value.given) == (1, 0)

    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1)))
    with pytest.raises(RevisionGap) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(3)))
    assert (info.value.expected, info.value.given) == (2, 3)
    assert ledger.revision_count(FACTORY, PERIOD) == 1


def test_zero_root(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    with pytest.raises(ZeroRoot) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, root=bytes(32))))
    assert info.value.arguments == {}


def test_empty_batch(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    with pytest.raises(EmptyBatch):
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, leaf_count=0)))
    assert ledger.revision_count(FACTORY, PERIOD) == 0


@pytest.mark.parametrize("period", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", "2025-0a", "2025-01 ", ""])
def test_invalid_period(ledger: LedgerClient, factory_key: LocalAccount, period: str) -> None:
    with pytest.raises(InvalidPeriod) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, period=period)))
    assert info.value.period == period


@pytest.mark.parametrize("period", ["2025-12", "2025-01", "0000-10"])
def test_valid_period_accepted(ledger: LedgerClient, factory_key: LocalAccount, period: str) -> None:
    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, period=period)))
    assert ledger.revision_count(FACTORY, period) == 1


def test_leaf_count_limit(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    """The signed type is uint64; the stored anchor keeps 48 bits, so more is refused, not truncated."""
    with pytest.raises(LeafCountTooLarge) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, leaf_count=2**48)))
    assert info.value.leafCount == 2**48
    with pytest.raises(LeafCountTooLarge):
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, leaf_count=2**64 - 1)))
    assert ledger.revision_count(FACTORY, PERIOD) == 0

    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, leaf_count=2**48 - 1)))
    assert ledger.get_anchor(FACTORY, PERIOD, 1).leaf_count == 2**48 - 1
    assert ledger.contract.functions.MAX_LEAF_COUNT().call() == 2**48 - 1


def test_uri_length_limit(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    with pytest.raises(UriTooLong) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, uri="u" * 513)))
    assert info.value.length == 513

    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, uri="u" * 512)))
    assert ledger.get_anchor(FACTORY, PERIOD, 1).uri == "u" * 512


def test_unknown_factory_commit(ledger: LedgerClient) -> None:
    commit = make_commit(1, factory_id="not-registered")
    with pytest.raises(UnknownFactory) as info:
        ledger.commit_batch(*signed(ledger, Account.create(), commit))
    assert info.value.factoryId == "not-registered"


def test_unknown_revision(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1)))
    for factory_id, period, revision in [(FACTORY, PERIOD, 0), (FACTORY, PERIOD, 2), (FACTORY, "2025-04", 1)]:
        with pytest.raises(UnknownRevision) as info:
            ledger.get_anchor(factory_id, period, revision)
        assert (info.value.factoryId, info.value.period, info.value.revision) == (factory_id, period, revision)


# --- signatures -------------------------------------------------------------------------------


def test_signature_by_random_key(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(*signed(ledger, Account.create(), make_commit(1)))
    assert info.value.factoryId == FACTORY
    assert info.value.expectedSigner == factory_key.address


def test_valid_signature_over_other_commit(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    commit = make_commit(1)
    _, other_signature = signed(ledger, factory_key, make_commit(1, root=keccak(text="another root")))
    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(commit, other_signature)
    assert info.value.expectedSigner == factory_key.address


@pytest.mark.parametrize(
    "signature",
    [os.urandom(65), bytes(65), b"\xff" * 65, b"", os.urandom(64)],
    ids=["random-65", "zero-65", "ff-65", "empty", "random-64"],
)
def test_garbage_signature(ledger: LedgerClient, factory_key: LocalAccount, signature: bytes) -> None:
    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(make_commit(1), signature)
    assert info.value.expectedSigner == factory_key.address
    assert ledger.revision_count(FACTORY, PERIOD) == 0


def test_any_funded_account_may_relay(
    w3: Web3, ledger: LedgerClient, factory_key: LocalAccount, new_account: NewAccount
) -> None:
    relayer = new_account()
    as_relayer = LedgerClient(w3, ledger.address, relayer)
    assert not ledger.is_registrar(relayer.address)

    tx = as_relayer.commit_batch(*signed(ledger, factory_key, make_commit(1)))

    assert w3.eth.get_transaction(tx.tx_hash)["from"] == relayer.address
    assert ledger.get_anchor(FACTORY, PERIOD, 1).signer == factory_key.address


def test_rotation_switches_the_accepted_key(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    old_commit, old_signature = signed(ledger, factory_key, make_commit(1))
    ledger.commit_batch(old_commit, old_signature)
    new_key = Account.create()
    rotate_on_chain(ledger, FACTORY, factory_key, new_key.address)

    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(*signed(ledger, factory_key, make_commit(2)))
    assert info.value.expectedSigner == new_key.address

    ledger.commit_batch(*signed(ledger, new_key, make_commit(2)))
    assert [a.signer for a in ledger.anchors(FACTORY, PERIOD)] == [factory_key.address, new_key.address]

    # revision 1 stays checkable against the key of its own epoch, not the current one
    assert ledger.is_anchor_signature_valid(FACTORY, PERIOD, 1, old_signature)
    _, new_key_over_rev1 = signed(ledger, new_key, old_commit)
    assert not ledger.is_anchor_signature_valid(FACTORY, PERIOD, 1, new_key_over_rev1)
    _, rev2_signature = signed(ledger, new_key, make_commit(2))
    assert ledger.is_anchor_signature_valid(FACTORY, PERIOD, 2, rev2_signature)
    assert not ledger.is_anchor_signature_valid(FACTORY, PERIOD, 2, old_signature)


def test_anchor_signature_is_checked_with_the_logged_uri(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    """The contract takes the URI from the caller: the signature holds with the anchored URI only,
    and no URI makes a signature over another root hold."""
    commit, signature = signed(ledger, factory_key, make_commit(1, uri="https://example.org/b.jsonl"))
    ledger.commit_batch(commit, signature)
    check = ledger.contract.functions.isAnchorSignatureValid
    assert check(FACTORY, PERIOD, 1, commit.uri, signature).call()
    assert not check(FACTORY, PERIOD, 1, "https://example.org/other.jsonl", signature).call()
    assert not check(FACTORY, PERIOD, 1, "", signature).call()
    _, other_root = signed(ledger, factory_key, make_commit(1, root=keccak(text="other"), uri=commit.uri))
    assert not check(FACTORY, PERIOD, 1, commit.uri, other_root).call()
    assert ledger.is_anchor_signature_valid(FACTORY, PERIOD, 1, signature)
    with pytest.raises(UnknownRevision):
        ledger.is_anchor_signature_valid(FACTORY, PERIOD, 2, signature)


# --- domain binding ---------------------------------------------------------------------------


def test_signature_for_other_chain_rejected(w3: Web3, ledger: LedgerClient, factory_key: LocalAccount) -> None:
    commit = make_commit(1)
    foreign = LedgerDomain(chain_id=w3.eth.chain_id + 1, verifying_contract=ledger.address)
    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(commit, sign_commit(factory_key, foreign, commit))
    assert info.value.expectedSigner == factory_key.address


def test_signature_bound_to_its_contract(
    w3: Web3, ledger: LedgerClient, operator: LocalAccount, factory_key: LocalAccount, gas_report: GasReport
) -> None:
    other, deploy = LedgerClient.deploy(w3, operator)
    gas_report.setdefault("deploy", []).append(deploy.gas_used)
    assert other.address != ledger.address
    other.register_factory(FACTORY, factory_key.address)
    commit = make_commit(1)
    for_other = sign_commit(factory_key, other.domain(), commit)

    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(commit, for_other)
    assert info.value.expectedSigner == factory_key.address

    other.commit_batch(commit, for_other)
    assert other.get_anchor(FACTORY, PERIOD, 1).root == commit.root
    assert ledger.revision_count(FACTORY, PERIOD) == 0


# --- record verification ----------------------------------------------------------------------


def leaf_of(record_hash: bytes) -> bytes:
    return keccak(keccak(encode(["bytes32"], [record_hash])))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def standard_tree(record_hashes: list[bytes]) -> tuple[bytes, dict[bytes, list[bytes]]]:
    """OpenZeppelin StandardMerkleTree layout: root, and each record hash's proof.

    Leaves sorted ascending sit at the end of a heap-shaped array in reverse order
    (tree[n-1-i] = sorted[i]); node i = hash_pair(tree[2i+1], tree[2i+2]).
    """
    leaves = sorted(leaf_of(h) for h in record_hashes)
    size = 2 * len(leaves) - 1
    tree: list[bytes] = [b""] * size
    for i, leaf in enumerate(leaves):
        tree[size - 1 - i] = leaf
    for i in range(size - len(leaves) - 1, -1, -1):
        tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
    proofs = {}
    for h in record_hashes:
        index, proof = tree.index(leaf_of(h)), []
        while index > 0:
            proof.append(tree[index - 1] if index % 2 == 0 else tree[index + 1])
            index = (index - 1) // 2
        proofs[h] = proof
    return tree[0], proofs


def test_record_leaf_matches_independent_encoding(ledger: LedgerClient) -> None:
    for h in [bytes(32), b"\xff" * 32, keccak(text="record")]:
        assert ledger.record_leaf(h) == leaf_of(h)


def test_tree_helper_against_known_shapes() -> None:
    """Pin the helper to hand-derived roots so a bug in it cannot hide a bug in the contract."""
    a, b, c = (keccak(text=f"r{i}") for i in range(3))
    la, lb, lc = sorted([leaf_of(a), leaf_of(b), leaf_of(c)])
    assert standard_tree([a])[0] == leaf_of(a)
    assert standard_tree([a, b])[0] == keccak(min(leaf_of(a), leaf_of(b)) + max(leaf_of(a), leaf_of(b)))
    assert standard_tree([a, b, c])[0] == hash_pair(hash_pair(lb, la), lc)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_verify_record(ledger: LedgerClient, size: int) -> None:
    records = [keccak(text=f"record-{size}-{i}") for i in range(size)]
    root, proofs = standard_tree(records)
    outsider = keccak(text="not in the batch")

    assert sorted(len(p) for p in proofs.values()) == {1: [0], 2: [1, 1], 3: [1, 2, 2]}[size]
    for h in records:
        proof = proofs[h]
        assert ledger.verify_record(root, h, proof)
        # the leaf is hashed twice, so a leaf (or inner node) passed as a record hash must fail
        assert not ledger.verify_record(root, leaf_of(h), proof)
        assert not ledger.verify_record(root, outsider, proof)
        assert not ledger.verify_record(keccak(root), h, proof)
        assert not ledger.verify_record(root, h, [*proof, keccak(text="extra")])
        if proof:
            tampered = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            assert not ledger.verify_record(root, h, tampered)
            assert not ledger.verify_record(root, h, proof[:-1])


def test_verify_anchored_record(ledger: LedgerClient, factory_key: LocalAccount) -> None:
    records = [keccak(text=f"anchored-{i}") for i in range(3)]
    root, proofs = standard_tree(records)
    ledger.commit_batch(*signed(ledger, factory_key, make_commit(1, root=root, leaf_count=3)))
    corrected_root, corrected_proofs = standard_tree(records[:2])
    ledger.commit_batch(*signed(ledger, factory_key, make_commit(2, root=corrected_root, leaf_count=2)))

    for h in records:
        assert ledger.verify_anchored_record(FACTORY, PERIOD, 1, h, proofs[h])
        assert not ledger.verify_anchored_record(FACTORY, PERIOD, 2, h, proofs[h])
    for h in records[:2]:
        assert ledger.verify_anchored_record(FACTORY, PERIOD, 2, h, corrected_proofs[h])
    assert not ledger.verify_anchored_record(FACTORY, PERIOD, 1, keccak(text="forged"), proofs[records[0]])
    with pytest.raises(UnknownRevision):
        ledger.verify_anchored_record(FACTORY, PERIOD, 3, records[0], proofs[records[0]])


# --- contract signers (ERC-1271) --------------------------------------------------------------


def test_contract_wallet_signer(w3: Web3, ledger: LedgerClient, operator: LocalAccount) -> None:
    """ECDSA is tried first for gas; a contract signer is still asked through ERC-1271 when it fails."""
    owner = Account.create()
    wallet = deploy_wallet(w3, operator, owner.address)
    ledger.register_factory(FACTORY, wallet)

    commit, by_owner = signed(ledger, owner, make_commit(1))
    with pytest.raises(InvalidCommitSignature) as info:
        ledger.commit_batch(*signed(ledger, Account.create(), commit))
    assert info.value.expectedSigner == wallet
    ledger.commit_batch(commit, by_owner)
    assert ledger.get_anchor(FACTORY, PERIOD, 1).signer == wallet
    assert ledger.is_anchor_signature_valid(FACTORY, PERIOD, 1, by_owner)
    # the client asks a wallet as the contract does: yes from the wallet, no from a key's address (no
    # code), from a contract without isValidSignature (a revert), or for another key's signature
    digest = ledger.commit_digest(commit)
    assert ledger.wallet_accepts(wallet, digest, by_owner)
    assert not ledger.wallet_accepts(owner.address, digest, by_owner)
    assert not ledger.wallet_accepts(ledger.address, digest, by_owner)
    assert not ledger.wallet_accepts(wallet, digest, signed(ledger, Account.create(), commit)[1])
    assert ledger.has_code(wallet) and not ledger.has_code(owner.address)

    # an ERC-1271 answer can change (unlike ECDSA): a disabled wallet no longer vouches
    disable_wallet(w3, operator, wallet)
    assert not ledger.is_anchor_signature_valid(FACTORY, PERIOD, 1, by_owner)
    with pytest.raises(InvalidCommitSignature):
        ledger.commit_batch(*signed(ledger, owner, make_commit(2)))

"""EIP-712: eth-account against the EIP's own example, and our BatchCommit against the contract."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3 import Web3

from ledger.chain.client import LedgerClient
from ledger.eip712.batch_commit import (
    BATCH_COMMIT_TYPE,
    BatchCommit,
    commit_digest,
    recover_commit_signer,
    sign_commit,
)
from ledger.eip712.domain import LedgerDomain

DOMAIN_TYPE_STRING = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"

MAIL = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}


def test_eth_account_matches_eip712_mail_example() -> None:
    """The EIP's published vectors: if eth-account drifts from the spec, nothing else here means anything."""
    signable = encode_typed_data(full_message=MAIL)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert digest.hex() == "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
    # the EIP's intermediate values too: domain separator and the Mail struct hash
    assert signable.header.hex() == "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f"
    assert signable.body.hex() == "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"

    cow = Account.from_key(keccak(text="cow"))
    assert cow.address == "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    signed = cow.sign_typed_data(full_message=MAIL)
    assert signed.v == 28
    assert signed.r == 0x4355C47D63924E8A72E509B65029052EB6C299D53A04E167C5775FD466751C9D
    assert signed.s == 0x07299936D304C153F6443DFA05F40FF007D72911B6F72307F996231605B91562


def _type_string() -> str:
    return "BatchCommit(" + ",".join(f"{f['type']} {f['name']}" for f in BATCH_COMMIT_TYPE) + ")"


def _independent_digest(domain: LedgerDomain, commit: BatchCommit) -> bytes:
    """The digest from the EIP-712 definitions alone, with eth-abi and keccak, no eth-account."""
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=DOMAIN_TYPE_STRING),
                keccak(text=domain.name),
                keccak(text=domain.version),
                domain.chain_id,
                domain.verifying_contract,
            ],
        )
    )
    struct_hash = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint32", "bytes32", "uint64", "bytes32"],
            [
                keccak(text=_type_string()),
                keccak(text=commit.factory_id),
                keccak(text=commit.period),
                commit.revision,
                commit.root,
                commit.leaf_count,
                keccak(text=commit.uri),
            ],
        )
    )
    return keccak(b"\x19\x01" + separator + struct_hash)


COMMITS = [
    BatchCommit("F1", "2025-01", 1, keccak(text="a"), 1),
    BatchCommit("91310000MA1FL0001X", "2025-12", 7, keccak(text="b"), 1_000, "ipfs://bafy"),
    BatchCommit("plant.01_line:A-9", "2024-02", 2, b"\xff" * 32, 5, "https://example.org/" + "x" * 492),
    BatchCommit("F1", "2025-06", 2**32 - 1, b"\x00" * 31 + b"\x01", 2**64 - 1, ""),
    # the contract hashes whatever it is given; validation happens only in commitBatch
    BatchCommit("", "", 0, bytes(32), 0, ""),
]


@pytest.mark.parametrize("commit", COMMITS, ids=["minimal", "typical", "long-uri", "max-ints", "all-empty"])
def test_commit_digest_matches_contract(ledger: LedgerClient, w3: Web3, commit: BatchCommit) -> None:
    domain = LedgerDomain(chain_id=w3.eth.chain_id, verifying_contract=ledger.address)
    ours = commit_digest(domain, commit)
    assert ours == ledger.commit_digest(commit)
    assert ours == _independent_digest(domain, commit)


def test_digest_depends_on_every_field(ledger: LedgerClient, w3: Web3) -> None:
    domain = LedgerDomain(chain_id=w3.eth.chain_id, verifying_contract=ledger.address)
    base = COMMITS[1]
    variants = [
        BatchCommit("91310000MA1FL0001Y", base.period, base.revision, base.root, base.leaf_count, base.uri),
        BatchCommit(base.factory_id, "2025-11", base.revision, base.root, base.leaf_count, base.uri),
        BatchCommit(base.factory_id, base.period, 8, base.root, base.leaf_count, base.uri),
        BatchCommit(base.factory_id, base.period, base.revision, keccak(text="c"), base.leaf_count, base.uri),
        BatchCommit(base.factory_id, base.period, base.revision, base.root, 1_001, base.uri),
        BatchCommit(base.factory_id, base.period, base.revision, base.root, base.leaf_count, "ipfs://bafz"),
    ]
    digests = {ledger.commit_digest(c) for c in [base, *variants]}
    assert len(digests) == 1 + len(variants)
    assert all(commit_digest(domain, c) == ledger.commit_digest(c) for c in variants)


def test_typehash_matches_type_definition(ledger: LedgerClient) -> None:
    onchain = bytes(ledger.contract.functions.BATCH_COMMIT_TYPEHASH().call())
    assert onchain == keccak(text=_type_string())
    assert _type_string() == (
        "BatchCommit(string factoryId,string period,uint32 revision,bytes32 root,uint64 leafCount,string uri)"
    )


def test_domain_read_from_chain(ledger: LedgerClient, w3: Web3) -> None:
    domain = ledger.domain()
    assert domain == LedgerDomain(chain_id=w3.eth.chain_id, verifying_contract=ledger.address)
    assert (domain.name, domain.version) == ("CarbonLedger", "1")
    fields, *_ = ledger.contract.functions.eip712Domain().call()
    assert fields == b"\x0f"  # ERC-5267: name, version, chainId, verifyingContract; no salt


def test_recover_commit_signer(ledger: LedgerClient) -> None:
    domain = ledger.domain()
    key = Account.create()
    commit = COMMITS[1]
    signature = sign_commit(key, domain, commit)
    assert len(signature) == 65
    assert recover_commit_signer(domain, commit, signature) == key.address
    other = BatchCommit(commit.factory_id, commit.period, commit.revision + 1, commit.root, commit.leaf_count)
    assert recover_commit_signer(domain, other, signature) != key.address
    foreign = LedgerDomain(chain_id=domain.chain_id + 1, verifying_contract=domain.verifying_contract)
    assert recover_commit_signer(foreign, commit, signature) != key.address


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"root": b"\x01" * 31}, "root"),
        ({"root": b"\x01" * 33}, "root"),
        ({"root": "0x" + "01" * 32}, "root"),
        ({"revision": -1}, "revision"),
        ({"revision": 2**32}, "revision"),
        ({"leaf_count": 2**64}, "leaf_count"),
        ({"leaf_count": -1}, "leaf_count"),
    ],
)
def test_batch_commit_rejects_out_of_range(kwargs: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {
        "factory_id": "F1",
        "period": "2025-01",
        "revision": 1,
        "root": keccak(text="r"),
        "leaf_count": 1,
    }
    with pytest.raises(ValueError, match=rf"^{field}\b"):
        BatchCommit(**(fields | kwargs))  # type: ignore[arg-type]

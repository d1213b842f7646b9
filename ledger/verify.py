"""Verify a proof bundle against the chain alone.

Nothing in the bundle is taken on trust: the record hash, the leaf and the root are recomputed
from the record and the proof; the anchor and the transaction are read from the chain; the signature
is checked against the anchor as stored on chain (with the URI its ``BatchAnchored`` event logged,
since the contract keeps the URI in the log only) and against the signer the contract recorded for
that anchor: by ECDSA for a key, by asking it (ERC-1271) for a contract wallet, as the contract's
``isAnchorSignatureValid`` does. The registry's key history only explains: ``signerAt`` of the
anchor's block is the key at the *end* of that block, which a rotation later in the same block has
already replaced. The contract itself is checked too: its code must be CarbonLedger's, and when the
verifier knows which deployment is authoritative (``expected_contract``) it must be that one, since
anyone can deploy a CarbonLedger of their own and register a fake factory there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import ProviderConnectionError, TimeExhausted, Web3Exception

from ledger.chain.client import Anchor, LedgerClient, SignerEpoch
from ledger.chain.errors import LedgerError
from ledger.chain.signatures import SignatureCheck, check_signature
from ledger.eip712.batch_commit import BatchCommit
from ledger.eip712.typed_data import v_problem
from ledger.errors import Unavailable
from ledger.merkle import leaf_hash
from ledger.merkle.proof import process_proof
from ledger.records import MeasurementRecord, RecordError, parse_record, record_hash

BUNDLE_FIELDS = (
    "chain_id", "contract", "factory_id", "period", "revision", "record", "record_hash", "leaf", "proof", "root",
    "batch_signature", "anchor",
)  # fmt: skip


UNANSWERED = (OSError, ProviderConnectionError, TimeExhausted, Unavailable)
"""What makes a check impossible rather than failed: the node did not answer (a refused connection
is an OSError), or a named file could not be read. The bundle is then neither valid nor invalid."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: skipped because an earlier check failed
    detail: str


@dataclass
class VerificationReport:
    checks: list[Check] = field(default_factory=list)
    superseded_by: int | None = None
    could_not_check: bool = False  # a check failed for want of an answer (node, file), not on the bundle's content

    @property
    def valid(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if c.ok is False), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "superseded_by": self.superseded_by,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "could_not_check": self.could_not_check,
        }


class _Failed(Exception):
    pass


class _Run:
    """Runs checks in order; after the first failure the rest are reported as skipped."""

    def __init__(self) -> None:
        self.report = VerificationReport()
        self.failed = False

    def check(self, name: str, test: Callable[[], str]) -> None:
        if self.failed:
            self.report.checks.append(Check(name, None, "skipped: an earlier check failed"))
            return
        try:
            self.report.checks.append(Check(name, True, test()))
        except (_Failed, RecordError, LedgerError, Web3Exception, OSError, ValueError, KeyError, TypeError) as exc:
            self.failed = True
            self.report.could_not_check = isinstance(exc, UNANSWERED)
            self.report.checks.append(Check(name, False, str(exc) or exc.__class__.__name__))


def verify_bundle(
    bundle: Mapping[str, Any],
    w3: Web3,
    *,
    expected_contract: str | None = None,
    evidence_files: Sequence[Path] = (),
) -> VerificationReport:
    run = _Run()
    state: dict[str, Any] = {}

    def fields() -> str:
        missing = [name for name in BUNDLE_FIELDS if name not in bundle]
        if missing:
            raise _Failed(f"the bundle lacks {', '.join(missing)}")
        if type(bundle["chain_id"]) is not int:
            raise _Failed("chain_id must be an integer")
        if type(bundle["revision"]) is not int or not 1 <= bundle["revision"] < 2**32:
            raise _Failed("revision must be an integer from 1 to 2**32 - 1")
        if not isinstance(bundle["proof"], list):
            raise _Failed("proof must be a list of 32-byte hex strings")
        if not isinstance(bundle["anchor"], Mapping) or not isinstance(bundle["anchor"].get("tx_hash"), str):
            raise _Failed("anchor must be an object with a tx_hash")
        return f"record of {bundle['factory_id']} {bundle['period']} revision {bundle['revision']}"

    def record() -> str:
        state["record"] = parse_record(bundle["record"], factory_id=bundle["factory_id"], period=bundle["period"])
        return f"{state['record'].kind} {state['record'].value} {state['record'].unit} from {state['record'].source_id}"

    def hash_() -> str:
        state["record_hash"] = record_hash(state["record"])
        if "0x" + state["record_hash"].hex() != str(bundle["record_hash"]).lower():
            raise _Failed(f"the record hashes to 0x{state['record_hash'].hex()}, not {bundle['record_hash']}")
        return "0x" + state["record_hash"].hex()

    def leaf() -> str:
        state["leaf"] = leaf_hash(state["record_hash"])
        if "0x" + state["leaf"].hex() != str(bundle["leaf"]).lower():
            raise _Failed(f"the record's leaf is 0x{state['leaf'].hex()}, not {bundle['leaf']}")
        return "0x" + state["leaf"].hex()

    def root() -> str:
        proof = [_bytes32(p, "proof") for p in bundle["proof"]]
        computed = process_proof(state["leaf"], proof)
        if "0x" + computed.hex() != str(bundle["root"]).lower():
            raise _Failed(f"the proof leads to 0x{computed.hex()}, not to the bundle's root {bundle['root']}")
        state["root"] = computed
        return f"{len(proof)} proof steps lead to 0x{computed.hex()}"

    def chain() -> str:
        return check_chain(w3, bundle["chain_id"])

    def contract() -> str:
        state["ledger"], said = check_contract(w3, bundle["contract"], expected_contract)
        return said

    def anchor() -> str:
        ledger: LedgerClient = state["ledger"]
        found: Anchor = ledger.get_anchor(bundle["factory_id"], bundle["period"], int(bundle["revision"]))
        state["anchor"] = found
        if found.root != state["root"]:
            raise _Failed(f"the chain anchors root 0x{found.root.hex()} for this revision, not 0x{state['root'].hex()}")
        return f"anchored in block {found.anchored_block} at {found.anchored_at} (unix time)"

    def signature() -> str:
        ledger: LedgerClient = state["ledger"]
        found: Anchor = state["anchor"]
        commit = BatchCommit(found.factory_id, found.period, found.revision, found.root, found.leaf_count, found.uri)
        raw = _hex(bundle["batch_signature"], "batch_signature")
        if len(raw) != 65:
            raise _Failed(f"batch_signature must be 65 bytes (r, s, v), got {len(raw)}")
        check = check_signature(ledger, found.signer, commit, raw)
        epochs = ledger.signer_history(found.factory_id)
        if not check.valid:
            raise _Failed(_refusal(check, ledger.has_code(found.signer), epochs, raw))
        how = (
            f"the contract wallet {found.signer} accepts it (ERC-1271)"
            if check.by_wallet
            else f"signed by {found.signer}"
        )
        return f"{how}, the signer the contract recorded for this anchor: {_epoch_of(epochs, found)}"

    def transaction() -> str:
        found: Anchor = state["anchor"]
        tx_hash = bundle["anchor"].get("tx_hash")
        receipt = w3.eth.get_transaction_receipt(tx_hash)
        ledger: LedgerClient = state["ledger"]
        events = ledger.contract.events.BatchAnchored().process_receipt(receipt)
        if receipt["blockNumber"] != found.anchored_block or not any(
            e["address"] == ledger.address
            and e["args"]["root"] == found.root
            and e["args"]["revision"] == found.revision
            and e["args"]["factoryId"] == found.factory_id
            and e["args"]["period"] == found.period
            for e in events
        ):
            raise _Failed(f"transaction {tx_hash} did not anchor this revision")
        return f"{tx_hash} in block {receipt['blockNumber']}"

    def revision() -> str:
        latest = state["ledger"].revision_count(bundle["factory_id"], bundle["period"])
        if latest > int(bundle["revision"]):
            run.report.superseded_by = latest
            return f"revision {bundle['revision']} is valid but superseded: the latest is revision {latest}"
        return f"revision {bundle['revision']} is the latest"

    def evidence() -> str:
        rec: MeasurementRecord = state["record"]
        listed = {e.sha256 for e in rec.evidence}
        for path in evidence_files:
            digest = hashlib.sha256(path.read_bytes()).digest()
            if digest not in listed:
                raise _Failed(f"{path.name}: sha256 {digest.hex()} is not among the record's evidence")
        return f"{len(evidence_files)} file(s) match the record's evidence hashes"

    for name, test in (
        ("bundle", fields), ("record", record), ("record_hash", hash_), ("leaf", leaf), ("root", root),
        ("chain", chain), ("contract", contract), ("anchor", anchor), ("signature", signature),
        ("transaction", transaction), ("revision", revision),
    ):  # fmt: skip
        run.check(name, test)
    if evidence_files:
        run.check("evidence", evidence)
    return run.report


def check_chain(w3: Web3, chain_id: int) -> str:
    """The ``chain`` check: the node is the chain the bundle names."""
    found = w3.eth.chain_id
    if found != chain_id:
        raise _Failed(f"the node is chain {found}, the bundle is for chain {chain_id}")
    return f"chain id {found}"


def check_contract(w3: Web3, named: str, expected_contract: str | None) -> tuple[LedgerClient, str]:
    """The ``contract`` check: the bundle's address holds CarbonLedger's code (and is the
    authoritative ledger when the verifier knows it); the client to read it, and the detail."""
    address = to_checksum_address(named)
    if expected_contract is not None and address != to_checksum_address(expected_contract):
        raise _Failed(f"the bundle names contract {address}, but the authoritative ledger is {expected_contract}")
    ledger = LedgerClient(w3, address)
    if not ledger.has_expected_code():
        raise _Failed(f"{address} does not hold the CarbonLedger contract")
    pinned = "" if expected_contract else " (taken from the bundle: pass the authoritative address to pin it)"
    return ledger, f"CarbonLedger at {address}{pinned}"


def _epoch_of(epochs: Sequence[SignerEpoch], anchor: Anchor) -> str:
    """Where the anchor's signer stands in the factory's key history (an explanation, not a test:
    the contract recorded the signer in force when the anchor's transaction ran)."""
    block = anchor.anchored_block
    index = max(
        (i for i, e in enumerate(epochs) if e.signer == anchor.signer and e.valid_from_block <= block), default=None
    )
    if index is None:
        return f"the factory's registry has no epoch of it at block {block}"
    since = f"the factory's signer from block {epochs[index].valid_from_block}"
    if epochs[index].forced:
        since += " (forced by the admin, without the previous key's signature)"
    if index + 1 == len(epochs):
        return since
    after = epochs[index + 1]
    if after.valid_from_block == block:
        return f"{since}; the factory rotated to {after.signer} later in the same block {block}, after this anchor"
    return f"{since} until its rotation to {after.signer} in block {after.valid_from_block}"


def _refusal(check: SignatureCheck, wallet: bool, epochs: Sequence[SignerEpoch], raw: bytes) -> str:
    """Why the signature is not the recorded signer's, with the recovered key's place in the history."""
    stored = check.signer
    if check.recovered is None and (problem := v_problem(raw)) is not None:
        said = f"batch_signature: {problem}"
    elif check.recovered is None:
        said = "batch_signature recovers no key (not a valid ECDSA signature)"
    else:
        said = f"the batch signature recovers {check.recovered}"
        spans = [e for e in epochs if e.signer == check.recovered]
        if spans:
            said += f" (the factory's signer from block {spans[0].valid_from_block})"
    said += f", but the contract recorded {stored} as this anchor's signer"
    return said + (", a contract wallet that does not accept it (ERC-1271)" if wallet else "")


def _hex(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise _Failed(f"{name} must be 0x-prefixed hex")
    return bytes.fromhex(value[2:])


def _bytes32(value: Any, name: str) -> bytes:
    raw = _hex(value, name)
    if len(raw) != 32:
        raise _Failed(f"{name}: every element must be 32 bytes")
    return raw

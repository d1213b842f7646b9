"""A signed matching claim: pieces of one claim's units, proven to hours of an anchored matching run.

The bundle (``zcl-hourly-allocation/1``) carries the run document, the evaluator's signature and
the run's anchor, the claim, and for each piece its leaf fields and Merkle proof. Verifying it takes
nothing on trust, as a record's proof bundle (``ledger.verify``): the document's hash is recomputed,
each piece's leaf is recomputed from its fields and folded up its proof to the root the document
names, and the chain is asked whether it anchored that document hash as an "H" report signed by
the evaluator it names, in the transaction the bundle names, and whether the claim the pieces cite
holds their serials. The checks and the report have the shapes of ``ledger.verify``'s, so the CLI,
the API and the browser show both kinds alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from eth_utils import is_address, to_checksum_address
from web3 import Web3

from ledger.chain.client import LedgerClient, OnChainReport
from ledger.chain.signatures import check_signature
from ledger.eip712 import ReportCommit
from ledger.hourly.errors import HourlyError
from ledger.hourly.leaves import allocation_hash
from ledger.hourly.model import ClaimInput
from ledger.hourly.run import FORMAT, REPORT_TYPE, document_hash
from ledger.merkle import leaf_hash
from ledger.merkle.proof import process_proof
from ledger.verify import VerificationReport, _bytes32, _Failed, _hex, _Run, check_chain, check_contract

TYPE = "zcl-hourly-allocation/1"
BUNDLE_FIELDS = ("type", "document", "document_hash", "anchor", "evaluator", "signature", "claim", "pieces")
ANCHOR_FIELDS = ("report_id", "tx_hash", "chain_id", "contract")
CLAIM_FIELDS = ("claim_id", "registry", "block_id", "serial_start", "serial_end")
CHECK_NAMES = (
    "bundle", "document", "pieces", "root", "chain", "contract", "report", "signature", "transaction", "claim",
    "latest",
)  # fmt: skip


def _claim_json(claim: Mapping[str, Any] | ClaimInput) -> dict[str, str]:
    data = dataclasses.asdict(claim) if isinstance(claim, ClaimInput) else dict(claim)
    if missing := [k for k in CLAIM_FIELDS if k not in data]:
        raise HourlyError(f"claim.{missing[0]}", "is required")
    return {k: str(data[k]) for k in CLAIM_FIELDS}


def allocation_bundle(
    doc: Mapping[str, Any],
    signature: bytes,
    anchor: Mapping[str, Any],
    claim: Mapping[str, Any] | ClaimInput,
    pieces: Sequence[tuple[Mapping[str, Any], Sequence[bytes]]],
) -> dict[str, Any]:
    """The bundle of ``pieces`` (each ``(leaf_fields(...), allocation_proof(...))``) of ``claim``.

    ``anchor``: ``report_id``, ``tx_hash``, ``chain_id``, ``contract`` and ``evaluator`` of the
    run's anchored report; ``signature`` the evaluator's over the run's :func:`report_commit`.
    """
    if missing := [k for k in (*ANCHOR_FIELDS, "evaluator") if k not in anchor]:
        raise HourlyError(f"anchor.{missing[0]}", "is required")
    if not pieces:
        raise HourlyError("pieces", "a bundle proves at least one piece")
    return {
        "type": TYPE,
        "document": dict(doc),
        "document_hash": "0x" + document_hash(doc).hex(),
        "anchor": {k: anchor[k] for k in ANCHOR_FIELDS},
        "evaluator": to_checksum_address(anchor["evaluator"]),
        "signature": "0x" + bytes(signature).hex(),
        "claim": _claim_json(claim),
        "pieces": [
            {"fields": dict(fields), "proof": ["0x" + bytes(p).hex() for p in proof]} for fields, proof in pieces
        ],
    }


def verify_bundle(bundle: Mapping[str, Any], w3: Web3, *, expected_contract: str | None = None) -> VerificationReport:
    """Every check of ``bundle`` against the chain ``w3`` reads, in order; the first failure skips the
    rest, and a node that does not answer makes the report ``could_not_check``."""
    run = _Run()
    state: dict[str, Any] = {}

    def fields() -> str:
        if not isinstance(bundle, Mapping):
            raise _Failed("the bundle must be a JSON object")
        if missing := [name for name in BUNDLE_FIELDS if name not in bundle]:
            raise _Failed(f"the bundle lacks {', '.join(missing)}")
        if bundle["type"] != TYPE:
            raise _Failed(f"type must be {TYPE}, got {bundle['type']!r}")
        anchor = bundle["anchor"]
        if not isinstance(anchor, Mapping) or any(k not in anchor for k in ANCHOR_FIELDS):
            raise _Failed(f"anchor must be an object with {', '.join(ANCHOR_FIELDS)}")
        if type(anchor["report_id"]) is not int or anchor["report_id"] < 1 or type(anchor["chain_id"]) is not int:
            raise _Failed("anchor.report_id and anchor.chain_id must be positive integers")
        if not isinstance(bundle["pieces"], list) or not bundle["pieces"]:
            raise _Failed("pieces must be a non-empty list")
        doc = bundle["document"]
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            raise _Failed(f"document must be a matching run document ({FORMAT})")
        if not is_address(bundle["evaluator"]):
            raise _Failed("evaluator must be an address")
        return f"{len(bundle['pieces'])} piece(s) of the {doc.get('year')} matching run of {doc.get('factory_id')}"

    def document() -> str:
        computed = document_hash(bundle["document"])
        if "0x" + computed.hex() != str(bundle["document_hash"]).lower():
            raise _Failed(f"the document hashes to 0x{computed.hex()}, not {bundle['document_hash']}")
        state["hash"] = computed
        allocations = bundle["document"].get("allocations")
        if not isinstance(allocations, Mapping):
            raise _Failed("the document names no allocation root")
        state["root"] = _bytes32(allocations.get("root"), "document.allocations.root")
        return "0x" + computed.hex()

    def pieces() -> str:
        claim = _claim(bundle["claim"])
        doc = bundle["document"]
        state["claim"] = claim
        leaves = []
        for i, piece in enumerate(bundle["pieces"]):
            if not isinstance(piece, Mapping) or not isinstance(piece.get("fields"), Mapping):
                raise _Failed(f"pieces[{i}] must be an object with fields and proof")
            f = piece["fields"]
            try:
                leaves.append(leaf_hash(allocation_hash(f)))
            except HourlyError as exc:
                raise _Failed(f"pieces[{i}].fields.{exc.field}: {exc.message}") from None
            if f["factory_id"] != doc.get("factory_id"):
                raise _Failed(f"pieces[{i}] is of factory {f['factory_id']}, the run of {doc.get('factory_id')}")
            if (int(f["claim_id"]), f["registry"], f["block_id"]) != (claim.claim_id, claim.registry, claim.block_id):
                raise _Failed(
                    f"pieces[{i}] is of claim {f['claim_id']} ({f['registry']} {f['block_id']}), not the bundle's"
                )
            if not claim.serial_start <= int(f["serial"]) <= claim.serial_end:
                raise _Failed(f"pieces[{i}]'s serial {f['serial']} is outside the claim's units")
        state["leaves"] = leaves
        allocated = sum(int(p["fields"]["allocated"]) for p in bundle["pieces"])
        return f"{len(leaves)} piece(s) of claim {claim.claim_id}, {allocated} mWh allocated"

    def root() -> str:
        for i, (leaf, piece) in enumerate(zip(state["leaves"], bundle["pieces"], strict=True)):
            proof = piece.get("proof")
            if not isinstance(proof, list):
                raise _Failed(f"pieces[{i}].proof must be a list of 32-byte hex strings")
            computed = process_proof(leaf, [_bytes32(p, f"pieces[{i}].proof") for p in proof])
            if computed != state["root"]:
                raise _Failed(
                    f"pieces[{i}]'s proof leads to 0x{computed.hex()}, not to the run's root 0x{state['root'].hex()}"
                )
        return f"every piece's proof leads to the run's root 0x{state['root'].hex()}"

    def chain() -> str:
        return check_chain(w3, bundle["anchor"]["chain_id"])

    def contract() -> str:
        state["ledger"], said = check_contract(w3, bundle["anchor"]["contract"], expected_contract)
        return said

    def report() -> str:
        found: OnChainReport = state["ledger"].get_report(bundle["anchor"]["report_id"])
        doc = bundle["document"]
        state["report"] = found
        if found.report_hash != state["hash"]:
            raise _Failed(f"report {found.report_id} anchors hash 0x{found.report_hash.hex()}, not the document's")
        said = (found.report_type, found.factory_id, found.year)
        if said != (REPORT_TYPE, doc.get("factory_id"), doc.get("year")):
            raise _Failed(f"report {found.report_id} is type {said[0]} of {said[1]} {said[2]}, not this run")
        return f"report {found.report_id}, level {found.level}, anchored in block {found.anchored_block}"

    def signature() -> str:
        ledger: LedgerClient = state["ledger"]
        found: OnChainReport = state["report"]
        if to_checksum_address(bundle["evaluator"]) != found.evaluator:
            raise _Failed(f"the bundle names evaluator {bundle['evaluator']}, the chain {found.evaluator}")
        commit = ReportCommit(
            found.factory_id, found.year, found.report_type, found.level, found.report_hash, found.factor_set,
            found.rule_set, found.evaluator,
        )  # fmt: skip
        raw = _hex(bundle["signature"], "signature")
        check = check_signature(ledger, found.evaluator, commit, raw)
        if not check.valid:
            raise _Failed(f"the signature recovers {check.recovered or 'no key'}, not the evaluator {found.evaluator}")
        role = "holds" if ledger.has_role("evaluator", found.evaluator) else "no longer holds"
        return f"signed by {found.evaluator}, an evaluator when anchored (it {role} the role now)"

    def transaction() -> str:
        ledger: LedgerClient = state["ledger"]
        found: OnChainReport = state["report"]
        tx_hash = bundle["anchor"]["tx_hash"]
        receipt = w3.eth.get_transaction_receipt(tx_hash)
        events = ledger.contract.events.ReportAnchored().process_receipt(receipt)
        if receipt["blockNumber"] != found.anchored_block or not any(
            e["address"] == ledger.address and e["args"]["reportId"] == found.report_id for e in events
        ):
            raise _Failed(f"transaction {tx_hash} did not anchor report {found.report_id}")
        return f"{tx_hash} in block {receipt['blockNumber']}"

    def claim_on_chain() -> str:
        claim: ClaimInput = state["claim"]
        held = state["ledger"].get_claim(claim.claim_id)
        said = (held.registry, held.block_id, held.factory_id)
        if said != (claim.registry, claim.block_id, bundle["document"]["factory_id"]):
            raise _Failed(f"claim {claim.claim_id} on chain is {said[0]} {said[1]} of {said[2]}, not the bundle's")
        serials = [int(p["fields"]["serial"]) for p in bundle["pieces"]]
        if not all(held.serial_start <= s <= held.serial_end for s in serials):
            raise _Failed(
                f"claim {claim.claim_id} holds units {held.serial_start}-{held.serial_end}, not every piece's"
            )
        if not held.live:
            raise _Failed(f"claim {claim.claim_id} is {held.status}: it holds no units")
        return f"claim {claim.claim_id} ({held.status}) holds units {held.serial_start}-{held.serial_end}"

    def latest() -> str:
        found: OnChainReport = state["report"]
        series = state["ledger"].reports_for(found.factory_id, found.year, REPORT_TYPE)
        if series and series[-1] > found.report_id:
            run.report.superseded_by = series[-1]
            return f"run {found.report_id} is valid but superseded: the latest run is report {series[-1]}"
        return f"report {found.report_id} is the latest run of {found.factory_id} {found.year}"

    for name, test in zip(CHECK_NAMES, (
        fields, document, pieces, root, chain, contract, report, signature, transaction, claim_on_chain, latest,
    ), strict=True):  # fmt: skip
        run.check(name, test)
    return run.report


def _claim(data: Any) -> ClaimInput:
    if not isinstance(data, Mapping) or any(k not in data for k in CLAIM_FIELDS):
        raise _Failed(f"claim must be an object with {', '.join(CLAIM_FIELDS)}")
    try:
        numbers = [int(str(data[k])) for k in ("claim_id", "serial_start", "serial_end")]
    except ValueError:
        raise _Failed("claim.claim_id, serial_start and serial_end must be decimal integers") from None
    return ClaimInput(numbers[0], str(data["registry"]), str(data["block_id"]), numbers[1], numbers[2],
                      "", "", "", "", "", usable=True)  # fmt: skip

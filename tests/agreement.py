"""The chain and the database agree: the invariants of issue 13, checked after every fault.

:func:`agree` compares one service's database with what the chain holds, by content, and returns
its :class:`Findings` in the issue's terms:

- **lost**: a signed batch or claim the service accepted is not on chain, or has no row in the
  database (deleted, or never stored);
- **wrong**: the database says anchored/claimed and the chain disagrees (no anchor, another root,
  another transaction or block, another claim), or a proof the service hands out fails
  (``zcl verify``'s checks or the contract's ``verifyAnchoredRecord``) without saying it is not final;
- **other**: anything else the issue forbids: an item anchored twice, a row the chain holds but the
  database calls pending/rejected, a proof withheld once everything is settled.

The test keeps the list of what it submitted (:class:`Accepted`): the database alone cannot show a
deleted row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from ledger.chain.client import LedgerClient
from ledger.chain.errors import LedgerError
from ledger.claims import parse_claim
from ledger.claims.signed import parse_signed_claim
from ledger.eip712 import RetirementClaim, details_hash
from ledger.services import Services
from ledger.store.models import BatchRow, ClaimRow
from ledger.verify import verify_bundle

ANCHORED, CLAIMED = "anchored", "claimed"
ClaimKey = tuple[str, str, str, int, int, str, str, bytes]


@dataclass
class Accepted:
    """What a test submitted and the service must end up holding, anchored: signed JSON bodies."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lost or self.wrong or self.other)

    def add(self, more: Findings) -> None:
        self.lost += more.lost
        self.wrong += more.wrong
        self.other += more.other

    def __str__(self) -> str:
        parts = [
            f"{name}: " + "; ".join(items) for name in ("lost", "wrong", "other") if (items := getattr(self, name))
        ]
        return " | ".join(parts) or "agree"


def agree(
    services: Services, ledger: LedgerClient, accepted: Accepted, http: httpx.Client | None = None,
    *, settled: bool = True,
) -> Findings:  # fmt: skip
    """Compare the service's database (``services``) with the chain (read through ``ledger``).

    With ``http`` the proofs of every accepted batch are fetched and verified too. ``settled``:
    everything has been mined and reconciled, so every accepted item must be anchored in the
    database as well as on chain, and its proofs served.
    """
    found = Findings()
    _batches(services, ledger, accepted.batches, found, settled)
    _claims(services, ledger, accepted.claims, found, settled)
    if http is not None:
        for body in accepted.batches:
            _proofs(services, ledger, http, body, found, settled)
    return found


def assert_agree(
    services: Services, ledger: LedgerClient, accepted: Accepted, http: httpx.Client | None = None
) -> None:
    found = agree(services, ledger, accepted, http)
    assert not found, str(found)


# --- batches ------------------------------------------------------------------------------------


def _batch_rows(services: Services) -> list[BatchRow]:
    with services.sessions() as session:
        return list(session.scalars(select(BatchRow)))


def _anchor_events(ledger: LedgerClient, factory_id: str, period: str, revision: int) -> list[dict[str, Any]]:
    return [
        e for e in ledger.anchored_events(factory_id) if e["period"] == period and int(e["revision"]) == revision
    ]  # fmt: skip


def chain_root(ledger: LedgerClient, factory_id: str, period: str, revision: int) -> str | None:
    """The root the contract holds for that revision, None when it holds none."""
    if ledger.revision_count(factory_id, period) < revision:
        return None
    return "0x" + ledger.get_anchor(factory_id, period, revision).root.hex()


def _batches(
    services: Services, ledger: LedgerClient, bodies: Iterable[dict[str, Any]], found: Findings, settled: bool
) -> None:
    rows = _batch_rows(services)
    by_key = {(r.factory_id, r.period, r.revision): r for r in rows}
    for body in bodies:
        key = (body["factory_id"], body["period"], int(body["revision"]))
        name = f"batch {key[0]} {key[1]} r{key[2]}"
        root = body["root"].lower()
        row = by_key.get(key)
        if row is None:
            found.lost.append(f"{name}: no row in the database (deleted, or never stored)")
        elif row.root.lower() != root:
            found.lost.append(f"{name}: the database holds root {row.root}, not the accepted {root}")
        events = [e for e in _anchor_events(ledger, *key) if "0x" + bytes(e["root"]).hex() == root]
        on_chain = chain_root(ledger, *key)
        if on_chain != root:
            found.lost.append(f"{name}: not on chain (the contract holds {on_chain or 'no root'} for it)")
        if len(events) > 1:
            found.other.append(f"{name}: anchored {len(events)} times")
        if settled and row is not None and on_chain == root and row.status != ANCHORED:
            found.other.append(f"{name}: on chain, but the database says {row.status!r}")
    for row in rows:
        if row.status == ANCHORED:
            _anchored_row(ledger, row, found)


def _anchored_row(ledger: LedgerClient, row: BatchRow, found: Findings) -> None:
    """A row the database calls anchored: the chain holds its root, in the transaction and block named."""
    name = f"batch {row.factory_id} {row.period} r{row.revision} (row {row.id})"
    on_chain = chain_root(ledger, row.factory_id, row.period, row.revision)
    if on_chain != row.root.lower():
        found.wrong.append(f"{name}: the database says anchored, the chain holds {on_chain or 'no root'}")
        return
    events = _anchor_events(ledger, row.factory_id, row.period, row.revision)
    if len(events) != 1 or events[0]["tx_hash"] != row.tx_hash or events[0]["block"] != row.block_number:
        seen = [(e["tx_hash"], e["block"]) for e in events]
        found.wrong.append(f"{name}: the database names tx {row.tx_hash} block {row.block_number}, the chain {seen}")


# --- claims -------------------------------------------------------------------------------------


def _claim_key(body: dict[str, Any]) -> ClaimKey:
    """A signed claim's content, as the contract keeps it (the details as their hash)."""
    return _content(parse_signed_claim(body).claim)


def _content(claim: RetirementClaim) -> ClaimKey:
    return (
        claim.factory_id, claim.registry, claim.block_id, claim.serial_start, claim.serial_end,
        claim.consumption_start, claim.consumption_end, details_hash(claim.details),
    )  # fmt: skip


def _event_key(commit: Any) -> ClaimKey:
    return (
        commit["factoryId"], commit["registry"], commit["blockId"], int(commit["serialStart"]),
        int(commit["serialEnd"]), commit["consumptionStart"], commit["consumptionEnd"], bytes(commit["detailsHash"]),
    )  # fmt: skip


def _row_key(row: ClaimRow) -> ClaimKey:
    return _content(parse_claim(json.loads(row.body)))


def _claim_name(key: ClaimKey) -> str:
    return f"claim {key[0]} {key[2]} {key[3]}..{key[4]}"


def _claims(
    services: Services, ledger: LedgerClient, bodies: Iterable[dict[str, Any]], found: Findings, settled: bool
) -> None:
    with services.sessions() as session:
        rows = list(session.scalars(select(ClaimRow)))
    events = ledger.claimed_events()
    for body in bodies:
        key = _claim_key(body)
        name = _claim_name(key)
        mine = [r for r in rows if _row_key(r) == key]
        held = [e for e in events if _event_key(e["commit"]) == key]
        if not mine:
            found.lost.append(f"{name}: no row in the database (deleted, or never stored)")
        if not held:
            found.lost.append(f"{name}: not on chain")
        elif len(held) > 1:
            found.other.append(f"{name}: claimed {len(held)} times on chain (ids {[e['claim_id'] for e in held]})")
        if len(mine) > 1:
            found.other.append(f"{name}: {len(mine)} rows in the database")
        if settled and held and mine and all(r.status != CLAIMED for r in mine):
            found.other.append(f"{name}: on chain, but the database says {[r.status for r in mine]}")
    for row in rows:
        if row.status == CLAIMED:
            _claimed_row(ledger, row, events, found)


def _claimed_row(ledger: LedgerClient, row: ClaimRow, events: list[dict[str, Any]], found: Findings) -> None:
    name = f"{_claim_name(_row_key(row))} (row {row.id}, claim {row.claim_id})"
    try:
        held = ledger.get_claim(int(row.claim_id or 0))
    except LedgerError as exc:
        found.wrong.append(f"{name}: the database says claimed, the chain has no such claim ({exc})")
        return
    chain_key = (
        held.factory_id, held.registry, held.block_id, held.serial_start, held.serial_end, held.consumption_start,
        held.consumption_end, held.details_hash,
    )  # fmt: skip
    if chain_key != _row_key(row):
        found.wrong.append(f"{name}: the chain's claim {row.claim_id} is another claim ({held.factory_id})")
        return
    event = next((e for e in events if e["claim_id"] == row.claim_id), None)
    if event is None or event["tx_hash"] != row.tx_hash or event["block"] != row.block_number:
        seen = (event["tx_hash"], event["block"]) if event else None
        found.wrong.append(f"{name}: the database names tx {row.tx_hash} block {row.block_number}, the chain {seen}")


# --- proofs -------------------------------------------------------------------------------------


def not_final(bundle: dict[str, Any]) -> bool:
    """Whether a bundle says it is not final (the service's own words for it, whichever it uses)."""
    return bundle.get("final") is False or bundle.get("status") not in (None, ANCHORED, "final")


def _proofs(
    services: Services, ledger: LedgerClient, http: httpx.Client, body: dict[str, Any], found: Findings, settled: bool
) -> None:
    key = (body["factory_id"], body["period"], int(body["revision"]))
    with services.sessions() as session:
        row = session.scalars(
            select(BatchRow).where(
                BatchRow.factory_id == key[0], BatchRow.period == key[1], BatchRow.revision == key[2]
            )
        ).first()
    if row is None:
        return  # counted as lost already
    page = http.get(f"/batches/{row.id}", params={"limit": 10_000})
    if page.status_code != 200:
        found.other.append(f"GET /batches/{row.id} answered {page.status_code}")
        return
    records = page.json()["records"]
    failures, refusals = [], []
    for record in records:
        answer = http.get(f"/records/{record['id']}/proof")
        if answer.status_code == 503:
            if settled:
                refusals.append("withheld (503) although everything is mined and reconciled")
            elif "retry-after" not in answer.headers:
                refusals.append("503 without Retry-After")
        elif answer.status_code != 200:
            refusals.append(f"answered {answer.status_code}")
        elif not not_final(bundle := answer.json()) and (failure := proof_failure(ledger, bundle)):
            failures.append(failure)
    where = f"batch {key[0]} {key[1]} r{key[2]}"
    if failures:
        found.wrong.append(f"{where}: {len(failures)} of {len(records)} proofs fail ({failures[0]})")
    if refusals:
        found.other.append(f"{where}: {len(refusals)} of {len(records)} proofs {refusals[0]}")


def proof_failure(ledger: LedgerClient, bundle: dict[str, Any]) -> str | None:
    """Why a proof bundle fails (``zcl verify``'s checks, then the contract's own), None when it holds."""
    report = verify_bundle(bundle, ledger.w3, expected_contract=ledger.address)
    if not report.valid:
        failed = report.first_failure
        return f"zcl verify: {failed.name}: {failed.detail}" if failed else "zcl verify: invalid"
    try:
        held = ledger.verify_anchored_record(
            bundle["factory_id"], bundle["period"], int(bundle["revision"]), _hex(bundle["record_hash"]),
            [_hex(p) for p in bundle["proof"]],
        )  # fmt: skip
    except LedgerError as exc:
        return f"verifyAnchoredRecord: {type(exc).__name__}"
    return None if held else "verifyAnchoredRecord: false"


def _hex(value: str) -> bytes:
    return bytes.fromhex(value[2:])

"""View models of the pages people read: everything a template shows, fetched in one place.

Page routes only call these and render; what a page needs from the chain is read through the
chain client, so a chain that does not answer is a 503 like everywhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ledger.chain.client import LedgerClient
from ledger.evidence import EvidenceStore
from ledger.merkle.proof import verify as verify_proof
from ledger.services.batches import BatchService
from ledger.services.claims import ClaimService
from ledger.services.dashboard import Dashboard, DashboardService
from ledger.services.evaluations import EvaluationService
from ledger.services.factories import FactoryService
from ledger.services.integrity import BatchIntegrity
from ledger.services.park_page import ParkViews
from ledger.services.views import BatchView, FactoryView
from ledger.store import claims as claim_rows
from ledger.store import evaluations as evaluation_rows
from ledger.store.batches import ANCHORED
from ledger.store.evaluations import LEVEL_TYPES

RECORDS_PER_PAGE = 500
"""Records per batch page: a month of 15-minute readings is 10^5 rows, too many for one page."""


@dataclass(frozen=True)
class FactoryPage:
    factory: FactoryView
    anchors: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    claims: list[dict[str, Any]] = field(default_factory=list)
    dashboard: Dashboard | None = None
    years: list[int] = field(default_factory=list)
    """The years with an anchored month, newest first (the page's year choice)."""


@dataclass(frozen=True)
class BatchPage:
    batch: BatchView
    records: list[dict[str, Any]]
    root_matches: bool | None
    superseded_by: int | None
    pages: dict[str, int | None]
    latest_batch_id: str | None = None
    """The batch of the latest revision when this one is superseded and that one is held here."""


class PageViews:
    def __init__(
        self, ledger: LedgerClient, factories: FactoryService, batches: BatchService, integrity: BatchIntegrity,
        evaluations: EvaluationService, evidence: EvidenceStore | None, claims: ClaimService | None = None,
    ) -> None:  # fmt: skip
        self.claims = claims
        self.dashboards = DashboardService(evaluations)
        self.parks = ParkViews(evaluations)
        self.ledger = ledger
        self.factories = factories
        self.batches = batches
        self.integrity = integrity
        self.evaluations = evaluations
        self.evidence = evidence

    def chain(self) -> dict[str, Any]:
        domain = self.ledger.domain()
        return {"chain_id": domain.chain_id, "contract": domain.verifying_contract}

    def home(self) -> list[dict[str, Any]]:
        """The factories registered here, each with its latest period and its latest evaluation's
        year, type, level and whether that level is confirmed (read from the stored rows: no report
        is loaded and the chain is not asked)."""
        listed = self.factories.list_all()
        with self.evaluations.sessions() as session:
            for item in listed:
                rows = [r for r in evaluation_rows.list_for(session, item["id"]) if r.report_type in LEVEL_TYPES]
                item["evaluation"] = None
                if rows:
                    last = rows[-1]
                    confirmed = json.loads(last.level_confirmation or "{}").get("level_confirmed")
                    item["evaluation"] = {"id": last.id, "year": last.year, "type": last.report_type,
                                          "level": last.level, "status": last.status, "level_confirmed": confirmed}  # fmt: skip
        return listed

    def factory_dashboard(self, factory_id: str, year: int | None = None) -> FactoryPage:
        """:meth:`factory` with its claims and the year's figures (``year``: the latest anchored one
        by default)."""
        page = self.factory(factory_id)
        years = sorted({int(a["period"][:4]) for a in page.anchors}, reverse=True)
        chosen = year if year is not None else (years[0] if years else None)
        typed = [e["type"] for e in page.evaluations if e["type"] in LEVEL_TYPES]  # a matching run ("H") has no level
        report_type = typed[-1] if typed else "I"
        dashboard = None if chosen is None else self.dashboards.year(factory_id, chosen, page.anchors, report_type)
        return FactoryPage(page.factory, page.anchors, page.evaluations, self.claims_of(factory_id), dashboard, years)

    def claims_of(self, factory_id: str) -> list[dict[str, Any]]:
        """The claims relayed here for the factory, oldest first, each with its ``state``: pending,
        refused, or on chain provisional, confirmed or revoked, and its units."""
        if self.claims is None:
            return []
        with self.evaluations.sessions() as session:
            found = claim_rows.for_factory(session, factory_id)
        out = []
        for row in found:
            item = self.claims.row_json(row)
            item["state"] = item["attestation"] or ("refused" if row.status == claim_rows.REJECTED else row.status)
            item["units"] = int(item["serial_end"]) - int(item["serial_start"]) + 1
            out.append(item)
        return out

    def factory(self, factory_id: str) -> FactoryPage:
        """The factory, every anchored month read from the chain's events, and its evaluations."""
        factory = self.factories.get(factory_id)
        held = {(b.period, b.revision): b.id for b in self.batches.list_for(factory_id)}
        events = self.ledger.anchored_events(factory_id)
        latest: dict[str, int] = {}
        for event in events:
            latest[event["period"]] = max(latest.get(event["period"], 0), event["revision"])
        times: dict[int, int] = {}
        anchors = []
        for event in sorted(events, key=lambda e: (e["period"], e["revision"])):
            block = event["block"]
            if block not in times:
                times[block] = self.ledger.block_time(block)
            anchors.append({
                "period": event["period"], "revision": event["revision"], "root": "0x" + bytes(event["root"]).hex(),
                "leaf_count": event["leafCount"], "tx_hash": event["tx_hash"], "block": block, "time": times[block],
                "latest": event["revision"] == latest[event["period"]],
                "batch_id": held.get((event["period"], event["revision"])),
            })  # fmt: skip
        return FactoryPage(factory, anchors, self.evaluations.list_for(factory_id))

    def batch(self, batch_id: str, offset: int = 0) -> BatchPage:
        """A page of a batch's records, each with its evidence and whether its proof holds against
        the anchored root: the proof from the batch's persisted tree, led from the record's stored
        hash. The root matches when that tree's root is the chain's and every record shown proves
        (every stored body is re-hashed where it counts: by an evaluation)."""
        batch = self.batches.get(batch_id, offset=offset, limit=RECORDS_PER_PAGE)
        bodies = [json.loads(b) for b in self.batches.record_bodies(batch_id, offset=offset, limit=RECORDS_PER_PAGE)]
        checked = self.integrity.check(batch_id, rehash=False)
        if checked.batch.status != batch.status:  # the check found the chain had lost its anchor
            batch = self.batches.get(batch_id, offset=offset, limit=RECORDS_PER_PAGE)
        store = self.evidence
        refs = [e["sha256"] for body in bodies for e in body.get("evidence", [])]
        present = store.status(refs) if store is not None and refs else {}
        superseded_by = None
        if batch.status == ANCHORED:
            latest = self.ledger.revision_count(batch.factory_id, batch.period)
            superseded_by = latest if latest > batch.revision else None
        latest_batch_id = None
        if superseded_by is not None:
            held = self.batches.list_for(batch.factory_id, batch.period)
            latest_batch_id = next((b.id for b in held if b.revision == superseded_by), None)
        chain_root = checked.chain_root
        records = []
        for row, body in zip(batch.records, bodies, strict=True):
            record_hash = bytes.fromhex(row.record_hash[2:])
            proven = chain_root is not None and verify_proof(chain_root, record_hash, checked.tree.proof(row.position))
            evidence = [
                {
                    "sha256": e["sha256"],
                    "file_name": e["file_name"],
                    "present": present.get(e["sha256"]) if store else None,
                }
                for e in body.get("evidence", [])
            ]
            records.append(vars(row) | {"evidence": evidence, "proven": proven})  # flat: no deep asdict copy
        pages = {
            "first": batch.offset + 1 if records else 0,
            "last": batch.offset + len(records),
            "previous": max(batch.offset - RECORDS_PER_PAGE, 0) if batch.offset > 0 else None,
            "next": batch.offset + len(records) if batch.offset + len(records) < batch.record_count else None,
        }
        root_matches = checked.root_matches
        if root_matches:
            root_matches = all(r["proven"] for r in records)
        return BatchPage(batch, records, root_matches, superseded_by, pages, latest_batch_id)

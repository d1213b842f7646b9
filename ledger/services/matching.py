"""Hourly (24/7) matching as a service (issue 17): gather a factory's anchored year, the generation
profiles of the certificates it claimed and its claims as the chain holds them; match them hour by
hour; store the run as an evaluation row of report type "H" so that the evaluator signs it, the report
relay anchors it, and chain truth, reorgs and staleness apply as to any report.

Only anchored data is read, each batch checked against its on-chain root (:func:`read_month`). A run
is stale once the chain corrects a month of the factory's own it read (its ``revisions``, as a report's);
a generator's profile corrected later is not yet watched that way: the run names the batch it read.
The hourly rules are the domain's (:mod:`ledger.hourly`); this module only fetches and stores. The
allocation's every piece is kept (:mod:`ledger.store.matching`) so that a proof of one unit's hour,
or the signed matching claim of a whole claim, is served without re-running the year
(:mod:`ledger.services.matching_proofs`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from ledger.accounting.evaluation import DEFAULT_RULES, load_rules
from ledger.claims.eligibility import assess_year
from ledger.claims.findings import ClaimedRetirement, refused_claims
from ledger.errors import AccountingError, Conflict, IntegrityError, NotFound
from ledger.factors import FactorSet
from ledger.factors.arithmetic import residual_mix
from ledger.factors.steam import parse_steam
from ledger.gc_pause import collector_paused
from ledger.hourly import pipeline
from ledger.hourly.claim_inputs import generation_months
from ledger.hourly.model import GENERATION_KIND, TIERS
from ledger.hourly.supply import months_between
from ledger.numbers import shown
from ledger.records.errors import RecordError
from ledger.records.record import MeasurementRecord
from ledger.services import evaluation_views as views
from ledger.services import matching_proofs, staleness
from ledger.services.dashboard import declared_steam
from ledger.services.evaluations import EvaluationService, Gathered
from ledger.services.matching_views import REPORT_TYPE, cfe_level, is_run
from ledger.services.year import read_month
from ledger.store import evaluations as rows
from ledger.store import matching as stored
from ledger.store.evaluations import ANCHORED, DRAFT
from ledger.store.models import EvaluationRow

log = logging.getLogger(__name__)
NO_LEVEL = views.level_confirmation({})
"""A run has a CFE score, not a level: nothing to confirm (kept beside it as a report's, 0014)."""


def batch_label(factory_id: str, used: Mapping[str, Any]) -> str:
    """``factory_id/period/rN@0xroot``: how a run names a batch it read (the root is what the chain holds)."""
    return f"{factory_id}/{used['period']}/r{used['revision']}@{used['root']}"


def profile_revisions(document: Mapping[str, Any]) -> dict[str, int]:
    """The generation profiles' batches a run read, as ``site/YYYY-MM`` → revision: a generator that
    corrects its month makes the run stale, as a factory's own correction does."""
    out: dict[str, int] = {}
    for profile in document["inputs"]["profiles"]:
        site, period, rest = str(profile["batch"]).split("/", 2)
        out[f"{site}/{period}"] = int(rest.split("@", 1)[0].removeprefix("r"))
    return out


class MatchingService:
    """Matching runs over the evaluation service's parts (chain, sessions, factories, year, claims)."""

    def __init__(self, evaluations: EvaluationService) -> None:
        self.evaluations = evaluations
        self.sessions = evaluations.sessions
        self.ledger = evaluations.ledger

    @collector_paused()
    def run(
        self, factory_id: str, year: int, *, factor_set: str | None = None, consumer_country: str | None = None
    ) -> dict[str, Any]:
        """A draft run of the factory's ``year``: its document, stored with every allocation; the
        evaluator signs it as any report (``EvaluationService.typed_data`` / ``sign``)."""
        if not 2000 <= year <= 2200:
            raise RecordError("year", f"must be from 2000 to 2200, got {year}")
        factors = self.evaluations.factor_set(factor_set, None)
        factory = self.evaluations.factories.get(factory_id)  # 404 for an unknown factory
        gathered = self.evaluations.year_and_findings(factory_id, year)
        year_data, known, _undisclosed, findings = gathered
        annual, annual_share = self._annual(factory_id, year, factors, gathered)
        labels = {u["period"]: batch_label(factory_id, u) for u in year_data.used}
        own = [c for c in known if c.claim.factory_id == factory_id and c.status == "confirmed"]  # as annually counted
        assessed, _section = assess_year(own, year, consumer_country)
        register = {sid: entry.to_json() for sid, entry in factory.source_register.sources.items()}
        inputs = pipeline.Inputs(
            factory_id=factory_id, year=year, records=[(labels[r.period], r.record) for r in year_data.records],
            register=register, province=factory.province, claims=own, eligibility=assessed,
            refused=frozenset(refused_claims(findings)), generation=self._generation(own),
            residual_factor=residual_mix(factors).exact, factor_set=f"{factors.id}@{factors.version}",
            annual_market_tco2=annual, annual_renewable_share=annual_share,
        )  # fmt: skip
        computed = pipeline.compute(inputs)
        document = computed.document
        allocation = stored.StoredAllocation(
            pipeline.pack_allocation(computed.result.allocation), pipeline.claims_json(computed.result.claims),
            computed.leaf_count, computed.root,
        )  # fmt: skip
        periods = {"used": year_data.used, "missing": year_data.missing}
        row = EvaluationRow(
            id=str(uuid.uuid4()), factory_id=factory_id, year=year, report_type=REPORT_TYPE,
            level=cfe_level(document["results"]["cfe"]["year"]), report_hash=document["report_hash"],
            report=json.dumps(document, sort_keys=True, ensure_ascii=False), status=DRAFT,
            revisions=json.dumps(staleness.revisions_of(periods) | profile_revisions(document)), level_confirmation=json.dumps(NO_LEVEL),
            factor_set=f"{factors.id}@{factors.version}", created_at=datetime.now(UTC),
        )  # fmt: skip
        with self.sessions.begin() as session:
            rows.add(session, row)
            session.flush()  # the allocation's foreign key needs the row
            stored.save(session, row.id, allocation)
        return self.get(row.id)

    def get(self, evaluation_id: str) -> dict[str, Any]:
        """The run document with its status, signature, anchor and staleness (as a report's)."""
        run = self.evaluations.get(evaluation_id)
        if not is_run(run):
            raise NotFound(f"evaluation {evaluation_id} is not a matching run")
        return run

    def allocation_bundle_for(
        self, evaluation_id: str, claim_id: int, serial: str | None = None, hour: str | None = None
    ) -> dict[str, Any]:
        """The signed proof bundle of a claim's pieces in an anchored run (:func:`matching_proofs.bundle_of`):
        of one unit (``serial``: as its registry writes it, or its number in the block), of one hour
        (``hour``: its start, ISO 8601 with the offset), or all of them."""
        run = self.get(evaluation_id)
        if run["status"] != ANCHORED:
            raise Conflict(f"matching run {evaluation_id} is {run['status']}: a proof needs its anchor on chain")
        with self.sessions() as session:
            kept = stored.load(session, evaluation_id)
        if kept is None:
            raise IntegrityError(f"matching run {evaluation_id}: its allocation is not stored")
        return matching_proofs.bundle_of(run, kept, self.ledger.domain(), claim_id, serial, hour)

    def matching_claim_export(self, evaluation_id: str, claim_id: int) -> dict[str, Any]:
        """The signed matching claim: the bundle with every piece of the claim, for its holder to hand on."""
        return self.allocation_bundle_for(evaluation_id, claim_id)

    def _annual(
        self, factory_id: str, year: int, factors: FactorSet, gathered: Gathered
    ) -> tuple[str | None, Fraction | None]:
        """The year's market-based Scope 2 and renewable share as an evaluation computes them (steam by
        mass at the conditions the factory's latest evaluation declared), shown beside the hourly
        figures; None, None when the annual accounting cannot be done (a steam source without declared conditions, a factor the set lacks):
        the hourly run needs only the electricity and the claims."""
        steam = parse_steam(declared_steam(self.evaluations, factory_id))
        try:
            inv, _year, _findings, _uncounted = self.evaluations.inventory(
                factory_id, year, factors, load_rules(DEFAULT_RULES), steam=steam, gathered=gathered
            )
        except (AccountingError, RecordError, KeyError) as exc:
            log.info("matching %s %s: no annual market-based figure: %s", factory_id, year, exc)
            return None, None
        return shown(inv.scope2_market_electricity), inv.renewable_share

    def _generation(self, claims: Sequence[ClaimedRetirement]) -> list[tuple[str, str, MeasurementRecord]]:
        """Every anchored batch, of any factory (the claimant's own, or a generator's or exchange's
        registered as a site), holding hourly output of a claimed project in one of its generation
        months: its latest revision on chain only, each checked against its root; as ``(batch label,
        attestor, record)``."""
        wanted = {f"{c.claim.registry}:{c.claim.details.project_id}:{tier}" for c in claims for tier in TIERS}
        periods = {m for c in claims for m in months_between(*generation_months(c.claim))}  # as the serial says
        with self.sessions() as session:
            found = stored.batches_with_sources(session, GENERATION_KIND, wanted, periods)
        out = []
        for factory_id, period in dict.fromkeys((f, p) for f, p, _r in found):
            month = read_month(self.evaluations.year, factory_id, period)
            if month.used is None:  # the chain holds no revision of it, or a newer one not held here
                continue
            label = batch_label(factory_id, month.used)
            out += [
                (label, factory_id, r) for r in month.records if r.kind == GENERATION_KIND and r.source_id in wanted
            ]
        return out


__all__ = ["MatchingService", "batch_label"]

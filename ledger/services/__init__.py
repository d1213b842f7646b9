"""The service's use cases, one module per job, over the chain client and the storage package.

``factories`` registers and names factories; ``batches`` accepts and anchors signed months;
``proofs`` hands out proofs; ``claims`` relays retirement claims and answers buyers; ``evaluations``
computes, stores and anchors reports (``park``: the park indicator over several factories; ``matching``: hourly matching runs, stored as
reports of type "H"); all three
relayed kinds travel one ``lifecycle`` (pending row → relay → confirm → reconcile), which the
``reconciler`` thread drives. ``integrity`` is the one
check that stored records give the anchored root; ``year`` gathers a factory's verified year;
``pages`` builds what the HTML pages show (``dashboard``: a factory's year
in figures; ``park_page``: the park indicator with each member's part). :func:`build_services` makes one instance of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ledger.chain.client import LedgerClient
from ledger.claims.policy import ClaimPolicy
from ledger.eip712 import LedgerDomain
from ledger.evidence import DEFAULT_MAX_BYTES, DEFAULT_QUOTA_BYTES, EvidenceStore
from ledger.services.batches import BatchService
from ledger.services.claims import ClaimService
from ledger.services.evaluations import EvaluationService
from ledger.services.evaluators import EvaluatorService
from ledger.services.factories import FactoryService
from ledger.services.integrity import BatchIntegrity
from ledger.services.matching import MatchingService
from ledger.services.pages import PageViews
from ledger.services.proofs import ProofService
from ledger.services.trees import BatchTrees
from ledger.services.year import YearSource


@dataclass(frozen=True)
class Services:
    """One instance of each service, sharing one chain client and one session factory."""

    ledger: LedgerClient
    sessions: sessionmaker[Session]
    factories: FactoryService
    batches: BatchService
    proofs: ProofService
    claims: ClaimService
    evaluations: EvaluationService
    integrity: BatchIntegrity
    pages: PageViews
    evidence: EvidenceStore | None
    """None when the service keeps no evidence files (the /evidence routes then answer 503)."""
    evaluators: EvaluatorService
    matching: MatchingService
    """Hourly matching runs: evaluations of report type "H", relayed by the evaluations' lifecycle."""

    @property
    def domain(self) -> LedgerDomain:
        return self.ledger.domain()

    @property
    def reconcile_steps(self) -> list[Callable[[], int]]:
        """What the reconciler runs each round, in order: each relayed kind's watch (confirmed rows
        the chain may have lost), then its reconcile (pending rows, including those just lost); first of
        all the claims index follows the chain's claim events (position hints, attestation states)."""
        kinds = (self.batches, self.claims, self.evaluations)
        return [self.claims.index.follow] + [kind.watch for kind in kinds] + [kind.reconcile for kind in kinds]

    def reconcile(self) -> tuple[int, int, int]:
        """Finish everything pending (batches, claims, reports); how many of each were finished."""
        return self.batches.reconcile(), self.claims.reconcile(), self.evaluations.reconcile()

    def watch(self, *, everything: bool | None = None) -> tuple[int, int, int]:
        """Re-check confirmed batches, claims and reports against the chain; how many changed."""
        return (
            self.batches.watch(everything=everything),
            self.claims.watch(everything=everything),
            self.evaluations.watch(everything=everything),
        )


def build_services(
    ledger: LedgerClient,
    sessions: sessionmaker[Session],
    *,
    wait_timeout: float = 120.0,
    evidence_dir: Path | None = None,
    evidence_max_bytes: int = DEFAULT_MAX_BYTES,
    evidence_quota_bytes: int = DEFAULT_QUOTA_BYTES,
    claim_policy: ClaimPolicy | None = None,
    registrar: LedgerClient | None = None,
) -> Services:
    """``ledger`` relays with a key that holds no role; ``registrar`` (the same contract, sent with the
    registrar's key) registers factories, or None: a service that registers none."""
    trees = BatchTrees(sessions)
    factories = FactoryService(ledger, sessions, registrar)
    batches = BatchService(ledger, sessions, trees, wait_timeout=wait_timeout)
    integrity = BatchIntegrity(ledger, batches, trees)
    claims = ClaimService(ledger, sessions, wait_timeout=wait_timeout, policy=claim_policy)
    evaluations = EvaluationService(ledger, sessions, factories, YearSource(ledger, batches, integrity), claims)
    evidence = (
        EvidenceStore(evidence_dir, sessions, evidence_max_bytes, evidence_quota_bytes)
        if evidence_dir is not None
        else None
    )
    evaluations.evidence = evidence
    return Services(
        ledger=ledger, sessions=sessions, factories=factories, batches=batches,
        proofs=ProofService(ledger, batches, trees), claims=claims, evaluations=evaluations, integrity=integrity,
        pages=PageViews(ledger, factories, batches, integrity, evaluations, evidence, claims), evidence=evidence,
        evaluators=EvaluatorService(ledger, sessions), matching=MatchingService(evaluations),
    )  # fmt: skip


__all__ = ["Services", "build_services"]

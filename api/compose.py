"""The composition root: settings → database → chain client → services → app, in one place.

``zcl serve``, the tests and the benchmarks all build the service here, so each service exists once
per process (one lifecycle per relayed kind, one in-flight set, one tree cache) and the reconciler
drives the same instances the requests use.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import DEFAULT_MAX_STREAM_BYTES, create_app
from ledger.chain.client import LedgerClient
from ledger.claims.policy import ClaimPolicy, parse_min_units
from ledger.config import ConfigError, Settings
from ledger.errors import InputError
from ledger.evidence import DEFAULT_MAX_BYTES, DEFAULT_QUOTA_BYTES
from ledger.services import Services, build_services
from ledger.services.ingest import DEFAULT_MAX_STREAMS_PER_CLIENT
from ledger.services.reconciler import Reconciler
from ledger.signing import DEFAULT_MAX_RECORDS
from ledger.store.db import make_engine, migrate, session_factory


@dataclass
class Composition:
    engine: Engine
    services: Services
    app: FastAPI

    def reconciler(self, interval: float) -> Reconciler:
        """A reconciler over this composition's services (not started)."""
        return Reconciler(self.services.reconcile_steps, interval)

    def close(self) -> None:
        self.app.state.rpc_proxy.close()
        self.engine.dispose()


def compose(
    ledger: LedgerClient,
    database_url: str,
    *,
    admin_token: str,
    evidence_dir: Path | None = None,
    evidence_max_bytes: int = DEFAULT_MAX_BYTES,
    evidence_quota_bytes: int = DEFAULT_QUOTA_BYTES,
    wait_timeout: float = 120.0,
    public_rpc_url: str | None = None,
    public_url: str | None = None,
    max_batch_records: int | None = None,
    max_stream_bytes: int | None = None,
    claim_policy: ClaimPolicy | None = None,
    max_streams_per_client: int | None = None,
    spool_dir: Path | None = None,
    registrar: LocalAccount | None = None,
) -> Composition:
    """The database (migrated to the newest schema), one instance of each service, and the app.

    ``ledger`` sends with the relayer's key; ``registrar`` is the key that registers factories (None:
    ``POST /factories`` answers 503). A test chain deployed with one key passes that key for both.
    """
    engine = make_engine(database_url)
    migrate(engine)
    services = build_services(
        ledger, session_factory(engine), wait_timeout=wait_timeout, evidence_dir=evidence_dir,
        evidence_max_bytes=evidence_max_bytes, evidence_quota_bytes=evidence_quota_bytes, claim_policy=claim_policy,
        registrar=ledger.acting_as(registrar) if registrar is not None else None,
    )  # fmt: skip
    app = create_app(
        services, admin_token, public_rpc_url=public_rpc_url, public_url=public_url,
        max_batch_records=max_batch_records or DEFAULT_MAX_RECORDS,
        max_stream_bytes=max_stream_bytes or DEFAULT_MAX_STREAM_BYTES,
        max_streams_per_client=max_streams_per_client or DEFAULT_MAX_STREAMS_PER_CLIENT, spool_dir=spool_dir,
    )  # fmt: skip
    return Composition(engine, services, app)


def claim_policy_from(settings: Settings) -> ClaimPolicy:
    """``ZCL_CLAIM_MIN_UNITS`` and ``ZCL_CLAIMS_PER_HOUR`` as the claims service takes them."""
    try:
        return ClaimPolicy(parse_min_units(settings.claim_min_units), settings.claims_per_hour)
    except InputError as exc:
        raise ConfigError(str(exc)) from None


def compose_from_settings(
    settings: Settings, ledger: LedgerClient, *, admin_token: str, registrar: LocalAccount | None = None
) -> Composition:
    """:func:`compose` as ``zcl serve`` runs it: everything from the environment's settings. Browsers
    verify against ``ZCL_PUBLIC_RPC_URL``, else the service's read-only proxy (never the chain
    endpoint the service itself uses: a local anvil answers cheat methods)."""
    ledger.confirmations = settings.confirmations_for(ledger.chain_id)
    return compose(
        ledger, settings.database_url, admin_token=admin_token, evidence_dir=settings.evidence_dir,
        evidence_max_bytes=settings.evidence_max_bytes, evidence_quota_bytes=settings.evidence_quota_bytes,
        wait_timeout=settings.receipt_timeout,
        public_rpc_url=settings.public_rpc_url, public_url=settings.public_url, max_batch_records=settings.max_batch_records,
        max_stream_bytes=settings.max_stream_bytes, max_streams_per_client=settings.max_streams_per_client,
        spool_dir=settings.spool_dir, claim_policy=claim_policy_from(settings), registrar=registrar,
    )  # fmt: skip


def freeze_heap() -> None:
    """Before serving: collect once, then move every object alive (the imports, the composed services
    and app: about 250,000) out of the collector's sight, since they live as long as the process. A
    full collection otherwise scans them all every few dozen requests, a 130–320 ms pause that was
    the p99 of a 10^5-record batch page (see ``benchmarks/bench_batchpage.py``)."""
    gc.collect()
    gc.freeze()

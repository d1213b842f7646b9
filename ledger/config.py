"""Settings read from the environment, with defaults that run a local chain in ``./data``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import SetupError

DEV_CHAIN_IDS = frozenset({31337, 1337})
"""Chain ids of local development chains (anvil and Hardhat; Ganache)."""
REMOTE_CONFIRMATIONS = 12
"""Default blocks on top of an anchor on any other chain, before it counts as final."""


class ConfigError(SetupError, ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    rpc_url: str | None
    operator_key_file: Path  # the relayer's key: pays for transactions, holds no role
    contract_address: str | None
    receipt_timeout: float
    database_url: str
    api_url: str
    admin_token: str | None
    evidence_max_bytes: int = 25 * 1024 * 1024
    evidence_quota_bytes: int = 50 * 1024**3  # ZCL_EVIDENCE_QUOTA_BYTES: all evidence files together
    public_rpc_url: str | None = None  # ZCL_PUBLIC_RPC_URL: the chain endpoint browsers verify against
    public_url: str | None = None  # ZCL_PUBLIC_URL: this service's address for readers (QR codes); None: the request's
    confirmations: int | None = None  # ZCL_CONFIRMATIONS; None: see :meth:`confirmations_for`
    reconcile_seconds: float = 5.0  # ZCL_RECONCILE_SECONDS: how often pending batches and claims are retried
    max_batch_records: int | None = None  # ZCL_MAX_BATCH_RECORDS; None: the API's default (1,000,000)
    max_stream_bytes: int | None = None  # ZCL_MAX_STREAM_BYTES; None: the API's default (4 GiB)
    claim_min_units: str = ""  # ZCL_CLAIM_MIN_UNITS, e.g. GEC=10,CCER=100 (parsed by ledger.claims.policy)
    claims_per_hour: int | None = 120  # ZCL_CLAIMS_PER_HOUR per factory; 0: no limit
    max_streams_per_client: int | None = None  # ZCL_MAX_STREAMS_PER_CLIENT; None: the API's default (2)
    registrar_key_file: Path | None = None  # ZCL_REGISTRAR_KEY_FILE; None: <data>/keys/registrar.key
    admin_key_file: Path | None = None  # ZCL_ADMIN_KEY_FILE; None: <data>/keys/admin.key
    attestor_key_file: Path | None = None  # ZCL_ATTESTOR_KEY_FILE; None: <data>/keys/attestor.key

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        data_dir = Path(environ.get("ZCL_DATA_DIR", "data")).expanduser().resolve()
        key_file = environ.get("ZCL_RELAYER_KEY_FILE") or environ.get("ZCL_OPERATOR_KEY_FILE")
        timeout_text = environ.get("ZCL_RECEIPT_TIMEOUT", "120")
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise ConfigError(f"ZCL_RECEIPT_TIMEOUT: {timeout_text!r} is not a number of seconds") from None
        if timeout <= 0:
            raise ConfigError(f"ZCL_RECEIPT_TIMEOUT: must be positive, got {timeout_text}")
        rpc_url = environ.get("ZCL_RPC_URL") or None
        if rpc_url is not None and not rpc_url.startswith(("http://", "https://")):
            raise ConfigError(f"ZCL_RPC_URL: {rpc_url!r} is not an http(s) URL")
        api_url = environ.get("ZCL_API_URL", "http://127.0.0.1:8000").rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"ZCL_API_URL: {api_url!r} is not an http(s) URL")
        evidence_max_bytes = _positive_int(environ, "ZCL_EVIDENCE_MAX_BYTES", "bytes") or 25 * 1024 * 1024
        conf_text = environ.get("ZCL_CONFIRMATIONS") or None
        confirmations = None
        if conf_text is not None:
            try:
                confirmations = int(conf_text)
            except ValueError:
                raise ConfigError(f"ZCL_CONFIRMATIONS: {conf_text!r} is not a whole number of blocks") from None
            if confirmations < 0:
                raise ConfigError(f"ZCL_CONFIRMATIONS: must be 0 or more, got {conf_text}")
        every_text = environ.get("ZCL_RECONCILE_SECONDS") or "5"
        try:
            reconcile_seconds = float(every_text)
        except ValueError:
            raise ConfigError(f"ZCL_RECONCILE_SECONDS: {every_text!r} is not a number of seconds") from None
        if not reconcile_seconds > 0:
            raise ConfigError(f"ZCL_RECONCILE_SECONDS: must be positive, got {every_text}")
        per_hour_text = environ.get("ZCL_CLAIMS_PER_HOUR") or "120"
        if not per_hour_text.isdigit():
            raise ConfigError(f"ZCL_CLAIMS_PER_HOUR: {per_hour_text!r} is not a whole number of claims (0: no limit)")
        return cls(
            claim_min_units=environ.get("ZCL_CLAIM_MIN_UNITS") or "",
            claims_per_hour=int(per_hour_text) or None,
            max_batch_records=_positive_int(environ, "ZCL_MAX_BATCH_RECORDS", "records"),
            max_stream_bytes=_positive_int(environ, "ZCL_MAX_STREAM_BYTES", "bytes"),
            max_streams_per_client=_positive_int(environ, "ZCL_MAX_STREAMS_PER_CLIENT", "streams"),
            data_dir=data_dir,
            rpc_url=rpc_url,
            operator_key_file=Path(key_file).expanduser().resolve() if key_file else data_dir / "keys" / "relayer.key",
            registrar_key_file=_path(environ, "ZCL_REGISTRAR_KEY_FILE"),
            admin_key_file=_path(environ, "ZCL_ADMIN_KEY_FILE"),
            attestor_key_file=_path(environ, "ZCL_ATTESTOR_KEY_FILE"),
            contract_address=environ.get("ZCL_CONTRACT_ADDRESS") or None,
            receipt_timeout=timeout,
            database_url=environ.get("ZCL_DATABASE_URL") or f"sqlite:///{data_dir / 'ledger.db'}",
            api_url=api_url,
            admin_token=environ.get("ZCL_ADMIN_TOKEN") or None,
            public_rpc_url=environ.get("ZCL_PUBLIC_RPC_URL") or None,
            public_url=_public_url(environ),
            evidence_max_bytes=evidence_max_bytes,
            evidence_quota_bytes=_positive_int(environ, "ZCL_EVIDENCE_QUOTA_BYTES", "bytes") or 50 * 1024**3,
            confirmations=confirmations,
            reconcile_seconds=reconcile_seconds,
        )

    def confirmations_for(self, chain_id: int) -> int:
        """Blocks on top of an anchor before it counts as final: ``ZCL_CONFIRMATIONS`` when set, else
        0 on a development chain (anvil, Hardhat: one node, no reorgs but those a test makes) and
        :data:`REMOTE_CONFIRMATIONS` on any other."""
        if self.confirmations is not None:
            return self.confirmations
        return 0 if chain_id in DEV_CHAIN_IDS else REMOTE_CONFIRMATIONS

    def key_file(self, role: str) -> Path:
        """The key file of a role: ``relayer`` (pays for transactions, holds no role), ``registrar``
        (registers factories), ``admin`` (grants roles, revokes claims, forces a lost key's rotation)
        or ``attestor`` (confirms claims). Its environment variable, else ``<data>/keys/<role>.key``."""
        chosen = {"relayer": self.operator_key_file, "registrar": self.registrar_key_file,
                  "admin": self.admin_key_file, "attestor": self.attestor_key_file}[role]  # fmt: skip
        return chosen or self.data_dir / "keys" / f"{role}.key"

    def password_file(self, role: str) -> Path:
        """Where a locally created role key's generated password is kept (mode 0600)."""
        return self.data_dir / "keys" / f"{role}.password"

    @property
    def chain_dir(self) -> Path:
        return self.data_dir / "chain"

    @property
    def anvil_state_file(self) -> Path:
        return self.chain_dir / "anvil-state.json"

    @property
    def anvil_log_file(self) -> Path:
        return self.chain_dir / "anvil.log"

    @property
    def endpoint_file(self) -> Path:
        """Written by `zcl serve` while it runs a local chain, so other commands find it."""
        return self.chain_dir / "endpoint.json"

    @property
    def deployment_file(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def admin_token_file(self) -> Path:
        """Where `zcl serve` keeps a generated admin token when ZCL_ADMIN_TOKEN is not set."""
        return self.data_dir / "keys" / "admin-token"

    @property
    def spool_dir(self) -> Path:
        """Where streamed batches' records wait on disk (anonymous files) until they are stored."""
        return self.data_dir / "spool"

    @property
    def evidence_dir(self) -> Path:
        """The evidence files, content-addressed: ``<sha256[0:2]>/<sha256>``."""
        return self.data_dir / "evidence"


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    text = environ.get(name) or ""
    return Path(text).expanduser().resolve() if text else None


def _positive_int(environ: Mapping[str, str], name: str, what: str) -> int | None:
    """An optional whole positive number; unset or empty means "the default", which is None."""
    text = environ.get(name) or ""
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a whole number of {what}") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be positive, got {text}")
    return value


def _public_url(environ: Mapping[str, str]) -> str | None:
    """``ZCL_PUBLIC_URL``: where readers reach this service (the base of the links printed in PDFs)."""
    url = (environ.get("ZCL_PUBLIC_URL") or "").rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"ZCL_PUBLIC_URL: {url!r} is not an http(s) URL")
    return url or None

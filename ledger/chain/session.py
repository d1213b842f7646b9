"""Getting a chain to talk to: the configured one, or a local anvil kept in the data directory.

``ZCL_RPC_URL`` names an existing chain and nothing is launched. Without it, `zcl serve` starts
anvil with its state file in the data directory (owned by the serving process, saved while it
runs, see :mod:`ledger.chain.anvil_state`) and writes the endpoint where the other `zcl` commands
look for it.

Each power has its own key (:data:`ROLE_KEYS`). On the local chain `zcl serve` creates all four on
first start, each an encrypted keystore with its own generated password, deploys the contract
with the admin, registrar and attestor named in its constructor, and then unlocks only what the
service does: the relayer's key (it pays for relaying; it holds no role) and the registrar's (the
admin API registers factories). The admin's and the attestor's keys are unlocked only by the `zcl`
commands that act in those roles (:func:`connect` with ``acting_as``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import RPCEndpoint

from ledger.chain.anvil import Anvil, rpc_answers
from ledger.chain.client import LedgerClient
from ledger.chain.deployment import Deployment, open_ledger
from ledger.chain.errors import ChainUnavailable
from ledger.chain.funding import fund_on_anvil, is_anvil
from ledger.config import Settings
from ledger.keys import KeyFileError, key_file_address, load_operator_key, load_or_create_operator_key

ROLE_KEYS = ("relayer", "registrar", "admin", "attestor")
"""The keys a deployment uses, one job each."""


@dataclass
class LedgerSession:
    w3: Web3
    rpc_url: str
    ledger: LedgerClient
    deployment: Deployment | None
    deployed_now: bool
    operator: LocalAccount  # the relayer
    local: bool
    registrar: LocalAccount | None = None


def web3_for(url: str) -> Web3:
    """A client for ``url`` that asks the chain id once: web3 checks it before every call and every
    estimate, which otherwise costs one or two ``eth_chainId`` round trips each (a buyer's lookup made
    ten of them to five calls). A chain's id does not change under a running service."""
    provider = Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": 30},
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    return Web3(provider)


@contextmanager
def serve_chain(settings: Settings) -> Iterator[LedgerSession]:
    """The chain and contract for a running service; launches and stops anvil when local."""
    anvil: Anvil | None = None
    rpc_url = settings.rpc_url
    if rpc_url is None:
        anvil = Anvil(state_file=settings.anvil_state_file, log_file=settings.anvil_log_file).start()
        rpc_url = anvil.rpc_url
    try:
        w3 = web3_for(rpc_url)
        if rpc_answers(rpc_url, timeout=5) is None:
            raise ChainUnavailable(f"ZCL_RPC_URL={rpc_url} does not answer eth_chainId")
        if anvil is not None:
            addresses: dict[str, str | None] = {role: _created_key(settings, role) for role in ROLE_KEYS}
            for address in addresses.values():
                fund_on_anvil(w3, str(address))
        else:
            addresses = role_addresses(settings)
        operator = load_operator_key(settings.key_file("relayer"), settings.password_file("relayer"))
        ledger, deployment, deployed_now = open_ledger(
            w3,
            operator,
            settings.deployment_file,
            address=settings.contract_address,
            receipt_timeout=settings.receipt_timeout,
            before_record=anvil.save if anvil is not None else None,
            roles=addresses,
        )
        registrar = None
        if addresses["registrar"] is not None:
            registrar = load_operator_key(settings.key_file("registrar"), settings.password_file("registrar"))
        if anvil is not None:
            _write_endpoint(settings, rpc_url)
        yield LedgerSession(w3, rpc_url, ledger, deployment, deployed_now, operator, anvil is not None, registrar)
    finally:
        if anvil is not None:
            settings.endpoint_file.unlink(missing_ok=True)
            anvil.stop()


def connect(settings: Settings, *, with_operator: bool = True, acting_as: str | None = None) -> LedgerSession:
    """The chain and contract for a one-off command: ``ZCL_RPC_URL`` or the running `zcl serve`.

    ``acting_as`` names the role whose key sends this command's transactions (``admin``,
    ``attestor``), unlocked from its key file; otherwise the relayer's key does, when asked for.
    """
    rpc_url = settings.rpc_url or endpoint_url(settings)
    if rpc_answers(rpc_url, timeout=5) is None:
        raise ChainUnavailable(f"the chain at {rpc_url} does not answer")
    w3 = web3_for(rpc_url)
    role = acting_as or "relayer"
    operator = (
        load_operator_key(settings.key_file(role), settings.password_file(role)) if with_operator or acting_as else None
    )
    ledger, deployment, _ = open_ledger(
        w3,
        operator,
        settings.deployment_file,
        address=settings.contract_address,
        deploy_if_missing=False,
        receipt_timeout=settings.receipt_timeout,
    )
    return LedgerSession(w3, rpc_url, ledger, deployment, False, operator, is_anvil(w3))  # type: ignore[arg-type]


def operator_password_file(settings: Settings) -> Path:
    """Where the local relayer keystore's generated password is kept (mode 0600)."""
    return settings.password_file("relayer")


def _created_key(settings: Settings, role: str) -> str:
    """The address of a role's local key, creating the keystore first (own generated password)."""
    path = settings.key_file(role)
    if path.exists():
        return key_file_address(path)
    account, _ = load_or_create_operator_key(path, settings.password_file(role))
    return str(account.address)


def role_addresses(settings: Settings) -> dict[str, str | None]:
    """The role keys' addresses on a configured chain, read without passwords: the relayer's is
    required, the others optional (a service without the registrar's key registers no factories)."""
    found: dict[str, str | None] = {}
    for role in ROLE_KEYS:
        path = settings.key_file(role)
        if role != "relayer" and not path.exists():
            found[role] = None
            continue
        try:
            found[role] = key_file_address(path)
        except KeyFileError as exc:
            raise KeyFileError(f"{role} key: {exc}") from None
    return found


def _write_endpoint(settings: Settings, rpc_url: str) -> None:
    settings.chain_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.endpoint_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rpc_url": rpc_url, "pid": os.getpid()}) + "\n", encoding="utf-8")
    os.replace(tmp, settings.endpoint_file)


def endpoint_url(settings: Settings) -> str:
    """The RPC URL of the local chain a running `zcl serve` started for this data directory."""
    try:
        return str(json.loads(settings.endpoint_file.read_text(encoding="utf-8"))["rpc_url"])
    except FileNotFoundError:
        raise ChainUnavailable(
            "no chain: start the local one with ./scripts/serve, or set ZCL_RPC_URL to a node"
        ) from None
    except (ValueError, KeyError) as exc:
        raise ChainUnavailable(f"{settings.endpoint_file}: unreadable ({exc})") from None

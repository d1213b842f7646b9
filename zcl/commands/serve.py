"""``zcl serve``: run the service: the chain (a local anvil, or ``ZCL_RPC_URL``), the contract
(deployed once and recorded), the database, recovery of work left pending, and the HTTP API."""

from __future__ import annotations

import argparse
import secrets
import signal
import socket
from typing import Any

from ledger.chain.session import LedgerSession, role_addresses, serve_chain
from ledger.config import ConfigError, Settings
from zcl.text import _


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help=_("run the service: local chain (or ZCL_RPC_URL), contract, API"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to listen on (default 8000)"))
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.compose import compose_from_settings, freeze_heap
    from ledger.chain.errors import ChainUnavailable

    settings = Settings.from_env()
    _check_port(args.host, args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    admin_token = settings.admin_token or _admin_token(settings)
    with serve_chain(settings) as session:
        ledger = session.ledger
        composed = compose_from_settings(settings, ledger, admin_token=admin_token, registrar=session.registrar)
        ledger.domain()  # read now, so batches can be queued while the chain is unreachable
        try:
            finished, finished_claims, finished_reports = composed.services.reconcile()
        except ChainUnavailable as exc:
            finished = finished_claims = finished_reports = 0
            print(f"recovery   postponed: {exc}")
        deployment = session.deployment
        state = (
            f"deployed now in block {deployment.block_number}" if session.deployed_now and deployment else "recorded"
        )
        print(f"chain      {session.rpc_url} (chain id {ledger.chain_id}{', local anvil' if session.local else ''})")
        print(f"contract   CarbonLedger at {ledger.address} ({state})")
        _print_keys(settings, session)
        print(f"database   {composed.engine.url.render_as_string(hide_password=True)}")
        print(f"evidence   {settings.evidence_dir} (files up to {settings.evidence_max_bytes} bytes, "
              f"{settings.evidence_quota_bytes} in all)")  # fmt: skip
        if finished or finished_claims or finished_reports:
            print(f"recovered  {finished} batch(es), {finished_claims} claim(s) and {finished_reports} report(s) "
                  "left pending by an earlier stop")  # fmt: skip
        if ledger.confirmations:
            print(f"final      after {ledger.confirmations} block(s) on top of an anchor (ZCL_CONFIRMATIONS)")
        if settings.admin_token is None:
            print(f"admin      token in {settings.admin_token_file} (or set ZCL_ADMIN_TOKEN)")
        print(f"browsers   verify against {settings.public_rpc_url or '/rpc (read-only proxy of this chain)'}")
        print(f"api        http://{args.host}:{args.port} (docs at /docs)", flush=True)
        ready = "ready; Ctrl-C stops" + (" and saves the chain state" if session.local else "")

        class Server(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:  # only now does the port accept connections
                    print(ready, flush=True)

        config = uvicorn.Config(composed.app, host=args.host, port=args.port, log_level="warning", access_log=False)
        freeze_heap()
        reconciler = composed.reconciler(settings.reconcile_seconds).start()
        try:
            Server(config).run()
        except KeyboardInterrupt:
            pass  # uvicorn re-raises the signal it stopped for; the chain still stops cleanly below
        finally:
            reconciler.stop()
    composed.close()
    print("stopped")
    return 0


ROLE_JOBS = {
    "relayer": "pays for relaying; holds no role",
    "registrar": "registers factories",
    "admin": "grants roles, forces a lost key's rotation: not loaded by the service",
    "attestor": "confirms claims: not loaded by the service",
}


def _print_keys(settings: Settings, session: LedgerSession) -> None:
    """Each role's key: its address, file and job; which ones this service unlocked."""
    addresses = role_addresses(settings)
    for role, job in ROLE_JOBS.items():
        if role == "registrar" and session.registrar is None:
            print(f"{role:<10} none: this service registers no factories (set ZCL_REGISTRAR_KEY_FILE)")
            continue
        if addresses[role] is None:
            print(f"{role:<10} none ({settings.key_file(role)} does not exist)")
        else:
            print(f"{role:<10} {addresses[role]} ({job}; key file {settings.key_file(role)})")


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM stops like Ctrl-C, so anvil is stopped and its state saved either way."""
    raise KeyboardInterrupt


def _check_port(host: str, port: int) -> None:
    """Refuse a busy port before deploying anything or claiming to be ready."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise ConfigError(f"--port {port}: cannot listen on {host} ({exc.strerror})") from None


def _admin_token(settings: Settings) -> str:
    path = settings.admin_token_file
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token + "\n", encoding="utf-8")
    return token

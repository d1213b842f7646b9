"""``zcl``: the ledger's command line.

Service commands talk to the API at ``--api`` / ``ZCL_API_URL`` (default http://127.0.0.1:8000).
Chain commands use ``ZCL_RPC_URL`` when set, else the local chain a running ``zcl serve`` started
in the data directory (``ZCL_DATA_DIR``, default ``./data``). Errors print one line naming what is
wrong and exit 1 (2 for bad usage); keys are read from files and never printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledger.chain.anvil import AnvilError
from ledger.eip712.domain import LedgerDomain
from ledger.chain.deployment import DeploymentError, open_ledger, read_deployment
from ledger.chain.errors import LedgerError
from ledger.chain.session import (
    connect,
    endpoint_url,
    operator_password_file,
    serve_chain,
    web3_for,
)
from ledger.config import ConfigError, Settings
from ledger.keys import (
    KeyFileError,
    key_file_address,
    load_key_file,
    load_operator_key,
    new_key_file,
    read_password,
)
from ledger.records import RecordError, new_salt, parse_batch
from ledger.service_client import ServiceClient, ServiceError
from ledger.signing import sign_batch

log = logging.getLogger("zcl")
USER_ERRORS = (ConfigError, KeyFileError, LedgerError, DeploymentError, AnvilError, ServiceError, RecordError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except USER_ERRORS as exc:
        print(f"zcl: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file named on the command line
        print(f"zcl: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zcl", description="Blockchain-anchored carbon data ledger.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--api", help="the service's URL (default: ZCL_API_URL or http://127.0.0.1:8000)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the service: local chain (or ZCL_RPC_URL), contract, API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.set_defaults(handler=_serve)

    key = _group(commands, "key", "create and inspect key files")
    key_new = key.add_parser("new", help="create an encrypted keystore (mode 0600); prints its address")
    key_new.add_argument("--out", type=Path, required=True, help="file to create; never overwritten")
    key_new.add_argument("--password-file", type=Path, help="file whose first line is the password "
                         "(default: ZCL_KEY_PASSWORD)")
    key_new.set_defaults(handler=_key_new)
    key_address = key.add_parser("address", help="print the address of a key file (no password needed)")
    key_address.add_argument("file", type=Path)
    key_address.set_defaults(handler=_key_address)

    contract = _group(commands, "contract", "compile, deploy and inspect the contract")
    compile_ = contract.add_parser("compile", help="recompile contracts/ into ledger/artifacts (developers)")
    compile_.add_argument("--check", action="store_true", help="only check that the committed artifacts are fresh")
    compile_.set_defaults(handler=_contract_compile)
    contract.add_parser("deploy", help="deploy CarbonLedger to ZCL_RPC_URL and record it (once)").set_defaults(
        handler=_contract_deploy
    )
    contract.add_parser("info", help="the recorded deployment and the chain's EIP-712 domain").set_defaults(
        handler=_contract_info
    )

    factory = _group(commands, "factory", "register factories and rotate their signers (through the service)")
    register = factory.add_parser("register", help="register a factory and its signer on chain (admin token)")
    register.add_argument("--id", required=True, dest="factory_id")
    register.add_argument("--name", required=True)
    register.add_argument("--signer", required=True, help="the factory's signing address (0x…)")
    register.set_defaults(handler=_factory_register)
    rotate = factory.add_parser("rotate", help="replace a factory's signer; the old key stays in the history")
    rotate.add_argument("--id", required=True, dest="factory_id")
    rotate.add_argument("--signer", required=True, help="the new signing address (0x…)")
    rotate.set_defaults(handler=_factory_rotate)
    show = factory.add_parser("show", help="a factory's name, signer and signer history")
    show.add_argument("factory_id")
    show.set_defaults(handler=_factory_show)

    batch = _group(commands, "batch", "sign, submit and inspect monthly batches")
    sign = batch.add_parser("sign", help="sign a batch with the factory's key (offline but for the chain id); an "
                            'evidence entry may be {"path": FILE} (relative to BATCH.json), hashed here')
    sign.add_argument("batch_file", type=Path, metavar="BATCH.json")
    _signing_options(sign)
    sign.add_argument("--format", choices=("json", "ndjson"),
                      help="json (default), or ndjson: the envelope on line 1, then one record per line, for "
                      "`batch submit` to stream (the default when --out ends in .ndjson)")
    sign.set_defaults(handler=_batch_sign)
    submit = batch.add_parser("submit", help="submit a signed batch; prints the batch id and its records' ids (a "
                              ".ndjson file is streamed with a progress bar on stderr, and only counted)")
    submit.add_argument("signed_file", type=Path, metavar="SIGNED.json|SIGNED.ndjson")
    submit.add_argument("--evidence-dir", type=Path, metavar="DIR",
                        help="first upload the files in DIR that the batch's records cite; afterwards list the "
                        "cited files the service still lacks")
    submit.set_defaults(handler=_batch_submit)
    batch_show = batch.add_parser("show", help="a batch, its anchor and a page of its records")
    batch_show.add_argument("batch_id")
    batch_show.add_argument("--offset", type=int, help="the first record to list (default 0)")
    batch_show.add_argument("--limit", type=int, help="records to list (default 1000, at most 10000)")
    batch_show.set_defaults(handler=_batch_show)
    batch_proofs = batch.add_parser("proofs", help="every record's Merkle proof, as NDJSON (one per line)")
    batch_proofs.add_argument("batch_id")
    batch_proofs.add_argument("--out", type=Path, required=True, metavar="PROOFS.ndjson")
    batch_proofs.set_defaults(handler=_batch_proofs)
    batch_list = batch.add_parser("list", help="a factory's batches")
    batch_list.add_argument("factory_id")
    batch_list.add_argument("--period", help="YYYY-MM")
    batch_list.set_defaults(handler=_batch_list)

    claim = _group(commands, "claim", "sign and submit retirement claims of certificates and credits")
    claim_sign = claim.add_parser("sign", help="sign a retirement claim with the factory's key")
    claim_sign.add_argument("claim_file", type=Path, metavar="CLAIM.json")
    _signing_options(claim_sign)
    claim_sign.set_defaults(handler=_claim_sign)
    claim_submit = claim.add_parser("submit", help="submit a signed claim; refused if any unit was claimed before")
    claim_submit.add_argument("signed_file", type=Path, metavar="SIGNED.json")
    claim_submit.set_defaults(handler=_claim_submit)

    certificate = _group(commands, "certificate", "look up certificates and credits")
    status = certificate.add_parser("status", help="is this serial (or range) retired, by whom, for which period")
    status.add_argument("--registry", required=True, help="GEC, I-REC, CCER, VCS, GS")
    status.add_argument("--serial", required=True, help="the registry's serial, or START..END")
    status.set_defaults(handler=_certificate_status)

    evaluate = commands.add_parser("evaluate", help="evaluate a factory's year; with --key, sign and anchor it")
    evaluate.add_argument("--factory", required=True)
    evaluate.add_argument("--year", type=int, required=True)
    evaluate.add_argument("--type", required=True, choices=["I", "II"])
    evaluate.add_argument("--factors", help="a bundled factor set id (default cn-mee-2023) or a factor-set .toml file")
    evaluate.add_argument("--grid", default="national_average", help="grid factor for location-based Scope 2")
    evaluate.add_argument("--key", type=Path, help="the evaluator's key file: sign the report hash and anchor it")
    evaluate.add_argument("--password-file", type=Path, help="default: ZCL_KEY_PASSWORD")
    evaluate.add_argument("--out", type=Path, required=True, metavar="report.html")
    evaluate.add_argument("--json", type=Path, metavar="report.json", help="also write the report JSON")
    evaluate.set_defaults(handler=_evaluate)

    evaluator = _group(commands, "evaluator", "appoint evaluators (admin)")
    appoint = evaluator.add_parser("grant", help="grant the evaluator role on chain")
    appoint.add_argument("address")
    appoint.set_defaults(handler=_evaluator_grant)

    park = _group(commands, "park", "the zero-carbon park indicator")
    park_eval = park.add_parser("evaluate", help="tCO2 per tce of a set of factories against the 0.20/0.30 bands")
    park_eval.add_argument("--factory", action="append", required=True, help="repeat for each member")
    park_eval.add_argument("--year", type=int, required=True)
    park_eval.add_argument("--factors", help="a bundled factor set id or a .toml file")
    park_eval.set_defaults(handler=_park_evaluate)

    factors = _group(commands, "factors", "emission factor sets")
    factors.add_parser("list", help="the bundled factor sets").set_defaults(handler=_factors_list)
    compare = factors.add_parser("compare", help="two factor sets side by side")
    compare.add_argument("a", help="id or .toml file")
    compare.add_argument("b", help="id or .toml file")
    compare.set_defaults(handler=_factors_compare)

    evidence = _group(commands, "evidence", "upload and fetch the documents records cite")
    upload = evidence.add_parser("upload", help="store files in the service; prints sha256, name, size and "
                                 "whether it was new")
    upload.add_argument("files", type=Path, nargs="+", metavar="FILE")
    upload.add_argument("--media-type", help="for every FILE (default: guessed from each file's name)")
    upload.set_defaults(handler=_evidence_upload)
    get = evidence.add_parser("get", help="fetch a file by its sha256 (checked before it is written)")
    get.add_argument("sha256", metavar="SHA256")
    get.add_argument("--out", type=Path, required=True, metavar="FILE")
    get.set_defaults(handler=_evidence_get)

    proof = commands.add_parser("proof", help="fetch a record's proof bundle")
    proof.add_argument("record_id")
    proof.add_argument("--out", type=Path, required=True, metavar="PROOF.json")
    proof.set_defaults(handler=_proof)

    verify = commands.add_parser("verify", help="verify a proof bundle against the chain alone")
    verify.add_argument("proof_file", type=Path, metavar="PROOF.json")
    verify.add_argument("--rpc-url", help="a node of your choice (default: ZCL_RPC_URL or the local chain)")
    verify.add_argument("--contract", help="the authoritative CarbonLedger (default: ZCL_CONTRACT_ADDRESS or "
                        "the data directory's deployment)")
    verify.add_argument("--evidence", type=Path, nargs="+", default=[], metavar="FILE",
                        help="files whose sha256 must be among the record's evidence")
    verify.add_argument("--json", action="store_true", help="print the whole report as JSON")
    verify.set_defaults(handler=_verify)

    anchor = _group(commands, "anchor", "read anchored batches from the chain")
    anchor_show = anchor.add_parser("show", help="every revision anchored for a factory and period")
    anchor_show.add_argument("factory_id")
    anchor_show.add_argument("period", help="YYYY-MM")
    anchor_show.set_defaults(handler=_anchor_show)
    return parser


def _signing_options(parser: argparse.ArgumentParser) -> None:
    """What every factory-signing command takes: the key, where to write, and the domain."""
    parser.add_argument("--key", type=Path, required=True, help="the factory's key file")
    parser.add_argument("--password-file", type=Path, help="default: ZCL_KEY_PASSWORD")
    parser.add_argument("--out", type=Path, required=True, metavar="SIGNED.json")
    parser.add_argument("--chain-id", type=int, help="with --contract: sign without asking the service")
    parser.add_argument("--contract", help="the CarbonLedger address to sign for")


def _group(commands: Any, name: str, help_text: str) -> Any:
    return commands.add_parser(name, help=help_text).add_subparsers(metavar="ACTION")


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordError(str(path), f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def _service(args: argparse.Namespace, settings: Settings, *, admin: bool = False) -> ServiceClient:
    token = None
    if admin:
        token = settings.admin_token
        if token is None and settings.admin_token_file.exists():
            token = settings.admin_token_file.read_text(encoding="utf-8").strip()
        if not token:
            raise ConfigError(f"ZCL_ADMIN_TOKEN: not set, and {settings.admin_token_file} does not exist")
    return ServiceClient(args.api or settings.api_url, token)


# --- serve ------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.compose import compose_from_settings
    from ledger.chain.errors import ChainUnavailable

    settings = Settings.from_env()
    _check_port(args.host, args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    admin_token = settings.admin_token or _admin_token(settings)
    with serve_chain(settings) as session:
        ledger = session.ledger
        composed = compose_from_settings(settings, ledger, admin_token=admin_token, public_rpc_url=session.rpc_url)
        ledger.domain()  # read now, so batches can be queued while the chain is unreachable
        try:
            finished, finished_claims, finished_reports = composed.services.reconcile()
        except ChainUnavailable as exc:
            finished = finished_claims = finished_reports = 0
            print(f"recovery   postponed: {exc}")
        state = f"deployed now in block {session.deployment.block_number}" if session.deployed_now else "recorded"
        print(f"chain      {session.rpc_url} (chain id {ledger.chain_id}{', local anvil' if session.local else ''})")
        print(f"contract   CarbonLedger at {ledger.address} ({state})")
        print(f"operator   {session.operator.address} (key file {settings.operator_key_file})")
        print(f"database   {composed.engine.url.render_as_string(hide_password=True)}")
        print(f"evidence   {settings.evidence_dir} (files up to {settings.evidence_max_bytes} bytes)")
        if finished or finished_claims or finished_reports:
            print(f"recovered  {finished} batch(es), {finished_claims} claim(s) and {finished_reports} report(s) "
                  "left pending by an earlier stop")  # fmt: skip
        if settings.confirmations:
            print(f"confirms   {settings.confirmations} block(s) on top of each transaction")
        if settings.admin_token is None:
            print(f"admin      token in {settings.admin_token_file} (or set ZCL_ADMIN_TOKEN)")
        print(f"api        http://{args.host}:{args.port} (docs at /docs)", flush=True)
        ready = "ready; Ctrl-C stops" + (" and saves the chain state" if session.local else "")

        class Server(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:  # only now does the port accept connections
                    print(ready, flush=True)

        config = uvicorn.Config(composed.app, host=args.host, port=args.port, log_level="warning", access_log=False)
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


# --- keys -------------------------------------------------------------------------------------


def _key_new(args: argparse.Namespace) -> int:
    password = read_password(args.password_file)
    if password is None:
        raise KeyFileError("password: give --password-file FILE or set ZCL_KEY_PASSWORD to encrypt the key")
    print(new_key_file(args.out, password).address)
    return 0


def _key_address(args: argparse.Namespace) -> int:
    print(key_file_address(args.file))
    return 0


# --- contract ---------------------------------------------------------------------------------


def _contract_compile(args: argparse.Namespace) -> int:
    from ledger.chain import compiler  # only developers have the npm compiler
    from ledger.chain.artifacts import ARTIFACTS_DIR

    fresh = compiler.compile_contracts()
    if args.check:
        stale = [
            name
            for name, artifact in fresh.items()
            if not (ARTIFACTS_DIR / f"{name}.json").exists()
            or (ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8") != compiler.artifact_json(artifact)
        ]
        if stale:
            print(f"zcl: committed artifacts differ from a fresh compile: {', '.join(stale)}", file=sys.stderr)
            return 1
        print("artifacts match a fresh compile")
        return 0
    for path in compiler.write_artifacts(fresh):
        print(f"wrote {path}")
    return 0


def _contract_deploy(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.rpc_url is None:
        raise ConfigError("ZCL_RPC_URL: set it to deploy to a chain (the local chain deploys itself in `zcl serve`)")
    w3 = web3_for(settings.rpc_url)
    operator = load_operator_key(settings.operator_key_file, operator_password_file(settings))
    ledger, record, deployed_now = open_ledger(
        w3, operator, settings.deployment_file, receipt_timeout=settings.receipt_timeout
    )
    _print_json({"address": ledger.address, "deployed_now": deployed_now, "record": asdict(record) if record else None})
    return 0


def _contract_info(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    record = read_deployment(settings.deployment_file)
    session = connect(settings, with_operator=False)
    _print_json(
        {
            "rpc_url": session.rpc_url,
            "address": session.ledger.address,
            "record": asdict(record) if record else None,
            "eip712_domain": session.ledger.domain().as_dict(),
        }
    )
    return 0


# --- factories --------------------------------------------------------------------------------


def _factory_register(args: argparse.Namespace) -> int:
    service = _service(args, Settings.from_env(), admin=True)
    _print_json(service.post("/factories", {"id": args.factory_id, "name": args.name, "signer": args.signer}))
    return 0


def _factory_rotate(args: argparse.Namespace) -> int:
    service = _service(args, Settings.from_env(), admin=True)
    _print_json(service.post(f"/factories/{args.factory_id}/signer", {"signer": args.signer}))
    return 0


def _factory_show(args: argparse.Namespace) -> int:
    _print_json(_service(args, Settings.from_env()).get(f"/factories/{args.factory_id}"))
    return 0


# --- batches and proofs -----------------------------------------------------------------------


def _batch_sign(args: argparse.Namespace) -> int:
    data = _read_json(args.batch_file)
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise RecordError("records", f"{args.batch_file} must be a JSON object with a list of records")
    _hash_evidence_paths(data["records"], args.batch_file.parent)
    for record in data["records"]:
        if isinstance(record, dict) and "salt" not in record:
            record["salt"] = "0x" + new_salt().hex()  # the factory's secret blinding; kept in SIGNED.json
    batch = parse_batch(data)
    signer = load_key_file(args.key, read_password(args.password_file))
    signed = sign_batch(batch, signer, _domain(args))
    if (args.format or ("ndjson" if args.out.suffix == ".ndjson" else "json")) == "ndjson":
        _write_lines(args.out, signed.ndjson_lines())
    else:
        _write_json(args.out, signed.to_json())
    print(f"signed {len(batch.records)} records of {batch.factory_id} {batch.period} revision {batch.revision}")
    print(f"root   0x{signed.root.hex()}")
    print(f"signer {signer.address}")
    return 0


def _batch_submit(args: argparse.Namespace) -> int:
    service = _service(args, Settings.from_env())
    streamed = args.signed_file.suffix in (".ndjson", ".jsonl")
    signed = _read_ndjson_records(args.signed_file) if streamed and args.evidence_dir else None
    if not streamed:
        signed = _read_json(args.signed_file)
    cited = _cited_evidence(signed)
    uploaded: list[str] = []
    if args.evidence_dir is not None:
        uploaded = _upload_cited(service, args.evidence_dir, cited)
    if streamed:
        batch = _stream_batch(service, args.signed_file)
    else:
        batch = service.post("/batches", signed)
    print(f"batch  {batch['id']} {batch['status']} tx {batch['tx_hash']} block {batch['block_number']}")
    if streamed:
        print(f"records {batch['record_count']} (list them with: zcl batch show {batch['id']} --offset N)")
    else:
        for record in _all_records(service, batch):
            print(f"record {record['id']} {record['source_id']} {record['kind']} {record['value']} {record['unit']}")
    if args.evidence_dir is not None and cited:
        for sha256 in uploaded:
            print(f"uploaded evidence {sha256} {cited[sha256]['file_name']}")
        present = service.post("/evidence/status", {"hashes": list(cited)})
        for sha256, ref in cited.items():
            if not present.get(sha256):  # the batch is anchored all the same; the file can follow
                print(f"missing evidence {sha256} {ref['file_name']}")
    return 0


def _stream_batch(service: ServiceClient, path: Path) -> Any:
    """POST a signed .ndjson batch as it is read from disk, with progress on stderr."""
    from ledger.signing import NDJSON

    with path.open("rb") as file:
        first = file.readline()
        try:
            total = int(json.loads(first).get("leaf_count"))
        except (ValueError, TypeError, AttributeError):
            total = 0  # the service names what is wrong with the envelope
        file.seek(0)
        progress = _Progress(path.stat().st_size, total)

        def chunks() -> Any:
            while piece := file.read(1024 * 1024):
                progress.advance(len(piece), piece.count(b"\n"))
                yield piece
            progress.sent()

        try:
            return service.post_stream("/batches", chunks(), NDJSON)
        finally:
            progress.close()


class _Progress:
    """Bytes and records sent, on stderr: a rich bar on a terminal (when rich is installed), else a
    plain line every few seconds. Only counts are printed."""

    def __init__(self, total_bytes: int, total_records: int) -> None:
        self.total_bytes, self.total_records = total_bytes, total_records
        self.bytes = self.lines = 0
        self.last = 0.0
        self.bar: Any = None
        if sys.stderr.isatty():
            try:
                from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
            except ImportError:
                pass
            else:
                self.bar = Progress(TextColumn("[bold]upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                    TextColumn("{task.fields[records]}"), transient=False)  # fmt: skip
                self.bar.start()
                self.task = self.bar.add_task("upload", total=total_bytes, records="")

    @property
    def records(self) -> int:
        return max(self.lines - 1, 0)  # line 1 is the envelope

    def advance(self, size: int, lines: int) -> None:
        import time

        self.bytes += size
        self.lines += lines
        text = f"{self.records:,} of {self.total_records:,} records"
        if self.bar is not None:
            self.bar.update(self.task, completed=self.bytes, records=text)
        elif time.monotonic() - self.last >= 2.0 or self.bytes >= self.total_bytes:
            self.last = time.monotonic()
            print(f"zcl: sent {self.bytes / 1e6:,.1f} of {self.total_bytes / 1e6:,.1f} MB ({text})", file=sys.stderr)

    def sent(self) -> None:
        self.close()
        print(f"zcl: sent {self.records:,} records; the service is storing and anchoring them", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _read_ndjson_records(path: Path) -> dict[str, Any]:
    """The records of a signed .ndjson batch as a JSON batch's ``records`` (for the evidence they cite)."""
    records = []
    with path.open("rb") as file:
        file.readline()
        for number, line in enumerate(file, start=2):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise RecordError(str(path), f"line {number} is not valid JSON") from None
    return {"records": records}


def _all_records(service: ServiceClient, batch: Any) -> list[Any]:
    """Every record of a batch answer, following its pages."""
    records = list(batch["records"])
    offset = batch.get("next_offset")
    while offset is not None:
        page = service.get(f"/batches/{batch['id']}", offset=offset, limit=10_000)
        records += page["records"]
        offset = page["next_offset"]
    return records


def _write_lines(path: Path, lines: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as file:
        file.writelines(lines)
    tmp.replace(path)


def _hash_evidence_paths(records: list[Any], base: Path) -> None:
    """Replace each evidence entry ``{"path": FILE[, "media_type": T]}`` by the canonical
    ``{sha256, file_name, media_type}`` of that file (``FILE`` relative to ``base``)."""
    from ledger.evidence import file_sha256, guess_media_type

    for i, record in enumerate(records):
        evidence = record.get("evidence") if isinstance(record, dict) else None
        if not isinstance(evidence, list):
            continue  # parse_batch names what is wrong
        for j, entry in enumerate(evidence):
            if not isinstance(entry, dict) or "path" not in entry:
                continue
            field = f"records[{i}].evidence[{j}]"
            for key in entry:
                if key not in ("path", "media_type"):
                    raise RecordError(f"{field}.{key}", "unknown field next to path; expected path and media_type")
            if not isinstance(entry["path"], str) or not entry["path"]:
                raise RecordError(f"{field}.path", "must be a file path (relative to the batch file)")
            file = base / entry["path"]
            if not file.is_file():
                raise RecordError(f"{field}.path", f"{entry['path']}: no such file (looked for {file})")
            evidence[j] = {
                "sha256": file_sha256(file),
                "file_name": file.name,
                "media_type": entry.get("media_type") or guess_media_type(file.name),
            }


def _cited_evidence(signed: Any) -> dict[str, dict[str, str]]:
    """The evidence a (signed) batch's records cite, by sha256, first citation first. Entries that
    are not well formed are skipped here: the service names them."""
    from ledger.evidence import check_sha256

    cited: dict[str, dict[str, str]] = {}
    records = signed.get("records") if isinstance(signed, dict) else None
    for record in records if isinstance(records, list) else []:
        evidence = record.get("evidence") if isinstance(record, dict) else None
        for ref in evidence if isinstance(evidence, list) else []:
            try:
                sha256 = check_sha256(ref.get("sha256") if isinstance(ref, dict) else None)
            except RecordError:
                continue
            cited.setdefault(sha256, {"file_name": str(ref.get("file_name")), "media_type": str(ref.get("media_type"))})
    return cited


def _upload_cited(service: ServiceClient, directory: Path, cited: dict[str, dict[str, str]]) -> list[str]:
    """Upload the files of ``directory`` that the batch cites and the service lacks; returns their hashes."""
    from ledger.evidence import file_sha256

    if not directory.is_dir():
        raise RecordError("--evidence-dir", f"{directory} is not a directory")
    if not cited:
        return []
    present = service.post("/evidence/status", {"hashes": list(cited)})
    uploaded: list[str] = []
    for file in sorted(p for p in directory.iterdir() if p.is_file()):
        sha256 = file_sha256(file)
        if sha256 not in cited or present.get(sha256) or sha256 in uploaded:
            continue
        ref = cited[sha256]
        service.upload("/evidence", file, file_name=file.name, media_type=ref["media_type"],
                       data={"media_type": ref["media_type"]})  # fmt: skip
        uploaded.append(sha256)
    return uploaded


def _batch_show(args: argparse.Namespace) -> int:
    _print_json(_service(args, Settings.from_env()).get(f"/batches/{args.batch_id}", offset=args.offset,
                                                         limit=args.limit))  # fmt: skip
    return 0


def _batch_proofs(args: argparse.Namespace) -> int:
    service = _service(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("wb") as out:
        headers = service.download(f"/batches/{args.batch_id}/proofs", out)
    tmp.replace(args.out)
    print(f"proofs {headers.get('x-zcl-leaf-count')} of root {headers.get('x-zcl-root')} in {args.out}")
    return 0


def _batch_list(args: argparse.Namespace) -> int:
    _print_json(_service(args, Settings.from_env()).get(f"/factories/{args.factory_id}/batches", period=args.period))
    return 0


def _domain(args: argparse.Namespace) -> LedgerDomain:
    """The EIP-712 domain to sign for: given on the command line, or the service's."""
    if (args.chain_id is None) != (args.contract is None):
        raise ConfigError("--chain-id and --contract go together")
    if args.chain_id is not None:
        return LedgerDomain(chain_id=args.chain_id, verifying_contract=args.contract)
    chain = _service(args, Settings.from_env()).get("/chain")
    return LedgerDomain(chain_id=chain["chain_id"], verifying_contract=chain["contract"])


def _claim_sign(args: argparse.Namespace) -> int:
    from ledger.claims import parse_claim, sign_claim
    from ledger.claims.signed import sign_claim_json

    claim = parse_claim(_read_json(args.claim_file))
    signer = load_key_file(args.key, read_password(args.password_file))
    domain = _domain(args)
    _write_json(args.out, sign_claim_json(claim, sign_claim(signer, domain, claim), domain))
    print(f"signed claim of {claim.registry} block {claim.block_id} serials {claim.serial_start}..{claim.serial_end} "
          f"({claim.units} {claim.details.unit}) for {claim.factory_id}, consumption "
          f"{claim.consumption_start}..{claim.consumption_end}")
    print(f"signer {signer.address}")
    return 0


def _claim_submit(args: argparse.Namespace) -> int:
    claim = _service(args, Settings.from_env()).post("/claims", _read_json(args.signed_file))
    print(f"claim  {claim['claim_id']} {claim['status']} tx {claim['tx_hash']} block {claim['block_number']}")
    print(f"units  {claim['registry']} {claim['block_id']} {claim['serial_start']}..{claim['serial_end']} "
          f"for {claim['factory_id']}, consumption {claim['consumption_start']}..{claim['consumption_end']}")
    return 0


def _certificate_status(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    service = _service(args, Settings.from_env())
    status = service.get(f"/certificates/{quote(args.registry, safe='')}/{quote(args.serial, safe='')}")
    _print_json(status)
    return 0


def _factor_choice(value: str | None) -> dict[str, str]:
    """A factor set for the service: a bundled id, or the text of a local .toml file."""
    if value is None:
        return {}
    if value.endswith(".toml") or "/" in value:
        return {"factors_toml": Path(value).read_text(encoding="utf-8")}
    return {"factor_set": value}


def _evaluate(args: argparse.Namespace) -> int:
    from ledger.eip712.typed_data import sign as sign_typed_data

    settings = Settings.from_env()
    service = _service(args, settings)
    body = {"factory_id": args.factory, "year": args.year, "type": args.type, "grid": args.grid}
    report = service.post("/evaluations", body | _factor_choice(args.factors))
    if args.key is not None:
        evaluator = load_key_file(args.key, read_password(args.password_file))
        message = service.get(f"/evaluations/{report['id']}/typed-data", evaluator=evaluator.address)
        message["message"]["reportHash"] = bytes.fromhex(message["message"]["reportHash"][2:])
        signature = sign_typed_data(evaluator, message)
        report = service.post(
            f"/evaluations/{report['id']}/signature", {"evaluator": evaluator.address, "signature": "0x" + signature.hex()}
        )
    page = service.get_text(f"/evaluations/{report['id']}/report.html")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    if args.json is not None:
        _write_json(args.json, report)
    totals, evaluation = report["totals"], report["evaluation"]
    print(f"evaluation {report['id']} {report['factory_id']} {report['year']} Type {report['type']}: "
          f"level {evaluation['level']} ({report['status']})")
    print(f"factors    {report['factor_set']['label']}  rules {report['rule_set']['label']}")
    print(f"scope 1    {totals['scope1']} tCO2e   scope 2 {totals['scope2_market']} (market) / "
          f"{totals['scope2_location']} (location)   scope 3 {totals['scope3']}")
    print(f"renewable  {report['electricity']['renewable_share']}   offsets {totals['offsets']}   "
          f"removals {totals['removals']}   energy {totals['energy_tce']} tce")
    for period in report["periods"]["missing"]:
        print(f"missing    {period['period']}: {period['reason']}")
    for finding in report["double_counting"]:
        print(f"finding    {finding['check']}: {finding['message']}")
    if report["status"] == "anchored":
        print(f"anchored   report {report['anchor']['report_id']} tx {report['anchor']['tx_hash']} "
              f"block {report['anchor']['block_number']}, signed by {report['evaluator']}")
    print(f"report     {args.out} (hash {report['report_hash']})")
    return 0


def _evaluator_grant(args: argparse.Namespace) -> int:
    _print_json(_service(args, Settings.from_env(), admin=True).post("/evaluators", {"address": args.address}))
    return 0


def _park_evaluate(args: argparse.Namespace) -> int:
    body = {"factories": args.factory, "year": args.year} | _factor_choice(args.factors)
    result = _service(args, Settings.from_env()).post("/parks/evaluations", body)
    _print_json(result)
    return 0 if result["passed"] else 1


def _factors_list(args: argparse.Namespace) -> int:
    from ledger.factors import bundled_factor_sets, load_factor_set

    for set_id in bundled_factor_sets():
        factors = load_factor_set(set_id)
        print(f"{factors.label:<24} {factors.name}")
    return 0


def _factors_compare(args: argparse.Namespace) -> int:
    from ledger.factors import compare_table, load_factor_set

    print(compare_table(load_factor_set(args.a), load_factor_set(args.b)))
    return 0


def _evidence_upload(args: argparse.Namespace) -> int:
    from ledger.evidence import check_media_type, file_sha256, guess_media_type

    if args.media_type is not None:
        check_media_type(args.media_type, "--media-type")
    service = _service(args, Settings.from_env())
    for file in args.files:
        local = file_sha256(file)  # also: the file is readable, before anything is sent
        media_type = args.media_type or guess_media_type(file.name)
        code, stored = service.upload(
            "/evidence", file, media_type=media_type, data={"media_type": args.media_type} if args.media_type else None
        )
        if stored["sha256"] != local:
            raise ServiceError(code, f"{file}: the service stored sha256 {stored['sha256']}, but the file hashes "
                               f"to {local}")  # fmt: skip
        print(f"{local}  {file.name}  {stored['size']}  {'stored' if code == 201 else 'already stored'}")
    return 0


def _evidence_get(args: argparse.Namespace) -> int:
    import hashlib
    import os
    import tempfile

    from ledger.evidence import check_sha256

    sha256 = check_sha256(args.sha256)
    service = _service(args, Settings.from_env())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=args.out.parent, prefix=f".{args.out.name}.")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            headers = service.download(f"/evidence/{sha256}", out)
        digest = hashlib.sha256()
        with tmp.open("rb") as written:
            while chunk := written.read(1024 * 1024):
                digest.update(chunk)
        if digest.hexdigest() != sha256:  # trust the bytes, not the service
            raise ServiceError(200, f"the service sent a file that hashes to {digest.hexdigest()}, not {sha256}; "
                               f"{args.out} was not written")  # fmt: skip
        tmp.replace(args.out)
    finally:
        tmp.unlink(missing_ok=True)
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {sha256} {size} bytes {headers.get('content-type', '')}".rstrip())
    return 0


def _proof(args: argparse.Namespace) -> int:
    bundle = _service(args, Settings.from_env()).get(f"/records/{args.record_id}/proof")
    _write_json(args.out, bundle)
    print(f"wrote {args.out}: record {bundle['record_id']} of {bundle['factory_id']} {bundle['period']} "
          f"revision {bundle['revision']}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ledger.verify import verify_bundle

    settings = Settings.from_env()
    bundle = _read_json(args.proof_file)
    if not isinstance(bundle, dict):
        raise RecordError(str(args.proof_file), "must be a JSON object (a proof bundle)")
    rpc_url = args.rpc_url or settings.rpc_url or endpoint_url(settings)
    expected = args.contract or settings.contract_address
    if expected is None:
        record = read_deployment(settings.deployment_file)
        if record is not None and record.chain_id == bundle.get("chain_id"):
            expected = record.address
    report = verify_bundle(bundle, web3_for(rpc_url), expected_contract=expected, evidence_files=args.evidence)
    if args.json:
        _print_json(report.to_json())
    failure = report.first_failure
    if failure is not None:
        print(f"zcl: invalid: {failure.name}: {' '.join(failure.detail.split())}", file=sys.stderr)
        return 1
    if not args.json:
        for check in report.checks:
            print(f"ok  {check.name:<12} {check.detail}")
        state = f"superseded by revision {report.superseded_by}" if report.superseded_by else "latest revision"
        print(f"valid ({state})")
    return 0


def _anchor_show(args: argparse.Namespace) -> int:
    ledger = connect(Settings.from_env(), with_operator=False).ledger
    _print_json([asdict(a) for a in ledger.anchors(args.factory_id, args.period)])
    return 0


if __name__ == "__main__":
    sys.exit(main())

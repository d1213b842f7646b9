"""Keys with one job each (issue 14, item 3), as a user meets them: `zcl serve` on its local chain
creates the relayer's, the registrar's, the admin's and the attestor's keys apart, unlocks only the
relayer's and the registrar's, and the relayer holds no role; a factory's key changes by its own
signature (`zcl factory rotate --key`) or, lost, by the admin's forced rotation (`--forced`), which
the API and the factory page show; roles are granted with the admin's key (`zcl role`, `zcl
evaluator grant`), never through the service.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.chain.anvil import free_loopback_port
from ledger.chain.session import connect
from ledger.config import Settings
from ledger.keys import KeyFileError, key_file_address
from tests.test_cli import ADDRESS, PASSWORD, Service, base_env, one_error_line, zcl

pytestmark = pytest.mark.e2e  # `zcl serve` and `zcl` subprocesses
ROLES = ("relayer", "registrar", "admin", "attestor")
FACTORY = "CN-ROTATE-0001"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("roles")
    port = free_loopback_port()
    service = Service(
        workdir, port, base_env(ZCL_DATA_DIR=str(workdir / "data"), ZCL_API_URL=f"http://127.0.0.1:{port}")
    )
    service.start()
    yield service
    if service.process is not None:
        assert service.stop() == 0


@pytest.fixture(scope="module")
def env(served: Service) -> dict[str, str]:
    return served.env | {"ZCL_KEY_PASSWORD": PASSWORD}


def _keys(served: Service) -> dict[str, Path]:
    return {role: served.workdir / "data" / "keys" / f"{role}.key" for role in ROLES}


def _addresses(served: Service) -> dict[str, str]:
    return {role: key_file_address(path).lower() for role, path in _keys(served).items()}


def _json(*args: str, env: dict[str, str], cwd: Path) -> Any:
    return json.loads(zcl("--json", *args, env=env, cwd=cwd).stdout)


def test_serve_creates_four_keys_apart_each_with_its_own_password(served: Service) -> None:
    keys_dir = served.workdir / "data" / "keys"
    passwords = []
    for role, path in _keys(served).items():
        password_file = keys_dir / f"{role}.password"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, role
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600, role
        assert json.loads(path.read_text())["crypto"]["kdf"] == "scrypt", role
        passwords.append(password_file.read_text().strip())
    assert len(set(passwords)) == 4 and all(len(p) >= 32 for p in passwords)
    addresses = _addresses(served)
    assert len(set(addresses.values())) == 4, addresses

    banner = "\n".join(served.banner)
    for role, address in addresses.items():
        line = re.search(rf"^{role} +(0x[0-9a-fA-F]{{40}}) \((.*)\)$", banner, re.M)
        assert line and line[1].lower() == address, banner
    assert "holds no role" in banner and banner.count("not loaded by the service") == 2


def test_the_relayer_holds_no_role_and_each_role_its_own_key(served: Service, env: dict[str, str]) -> None:
    addresses = _addresses(served)
    relayer = _json("role", "show", addresses["relayer"], env=env, cwd=served.workdir)
    assert relayer["roles"] == []
    for role in ("registrar", "admin", "attestor"):
        assert _json("role", "show", addresses[role], env=env, cwd=served.workdir)["roles"] == [role]


def test_a_rotation_signed_by_the_current_key_then_a_forced_one(served: Service, env: dict[str, str]) -> None:
    cwd = served.workdir
    old, new, third = (zcl("key", "new", "--out", f"data/keys/f-{n}.json", env=env, cwd=cwd).stdout.strip()
                       for n in ("old", "new", "third"))  # fmt: skip
    zcl("factory", "register", "--id", FACTORY, "--name", "Rotating works", "--signer", old, env=env, cwd=cwd)

    rotated = _json("factory", "rotate", "--id", FACTORY, "--signer", new, "--key", "data/keys/f-old.json",
                    env=env, cwd=cwd)  # fmt: skip
    assert [(e["signer"], e["forced"]) for e in rotated["signer_history"]] == [(old, False), (new, False)]
    # the old key no longer rotates: the service answers 403 naming the key in force
    refused = zcl("factory", "rotate", "--id", FACTORY, "--signer", third, "--key", "data/keys/f-old.json",
                  env=env, cwd=cwd, code=1)  # fmt: skip
    line = one_error_line(refused)
    assert line.startswith("zcl: 403: ") and new in line, line

    no_reason = zcl("factory", "rotate", "--id", FACTORY, "--signer", third, "--forced", env=env, cwd=cwd, code=1)
    assert "--reason" in one_error_line(no_reason)
    reason = "2025-03-02: the factory's letter reports its key lost with a laptop"
    forced = _json("factory", "rotate", "--id", FACTORY, "--signer", third, "--forced", "--reason", reason,
                   env=env, cwd=cwd)  # fmt: skip
    assert forced["forced"] is True and forced["signer"] == third
    assert forced["reason_sha256"] == "0x" + hashlib.sha256(reason.encode()).hexdigest()

    shown = _json("factory", "show", FACTORY, env=env, cwd=cwd)
    history = shown["signer_history"]
    assert [(e["signer"], e["forced"]) for e in history] == [(old, False), (new, False), (third, True)]
    assert history[-1]["valid_from_block"] == forced["block_number"]
    page = httpx.get(f"{served.url}/factory/{FACTORY}", timeout=30).text
    assert page.count("forced by the admin") == 1
    # the signer is shown shortened, the whole address in its title and copy button
    shown_at = (
        rf'data-copy="{third}"[^\n]*\n[^\n]*</span> from block {forced["block_number"]} [^\n]*forced by the admin'
    )
    assert re.search(shown_at, page)


def test_the_registrar_alone_cannot_force_a_rotation(served: Service, env: dict[str, str], tmp_path: Path) -> None:
    """The finding's attack with the registrar's key in the admin's place: the contract refuses."""
    keys_dir = served.workdir / "data" / "keys"
    endpoint = json.loads(Settings.from_env(served.env).endpoint_file.read_text())["rpc_url"]
    contract = httpx.get(f"{served.url}/chain", timeout=30).json()["contract"]
    registrar_as_admin = env | {
        "ZCL_DATA_DIR": str(tmp_path / "elsewhere"), "ZCL_RPC_URL": endpoint, "ZCL_CONTRACT_ADDRESS": contract,
        "ZCL_ADMIN_KEY_FILE": str(keys_dir / "registrar.key"),
        "ZCL_KEY_PASSWORD": (keys_dir / "registrar.password").read_text().strip(),
    }  # fmt: skip
    attacker = "0x" + "66" * 20
    refused = zcl("factory", "rotate", "--id", FACTORY, "--signer", attacker, "--forced", "--reason", "take over",
                  env=registrar_as_admin, cwd=served.workdir, code=1)  # fmt: skip
    assert "AccessControlUnauthorizedAccount" in one_error_line(refused)
    assert _json("factory", "show", FACTORY, env=env, cwd=served.workdir)["signer"].lower() != attacker


def test_roles_are_granted_and_revoked_with_the_admin_key(served: Service, env: dict[str, str]) -> None:
    cwd = served.workdir
    someone = zcl("key", "new", "--out", "data/keys/someone.json", env=env, cwd=cwd).stdout.strip()
    granted = _json("evaluator", "grant", someone, env=env, cwd=cwd)
    assert granted["evaluator"] is True and ADDRESS.fullmatch(granted["address"])
    assert _json("role", "grant", "--role", "attestor", someone, env=env, cwd=cwd)["holds"] is True
    assert _json("role", "show", someone, env=env, cwd=cwd)["roles"] == ["attestor", "evaluator"]
    assert _json("role", "revoke", "--role", "attestor", someone, env=env, cwd=cwd)["holds"] is False
    assert _json("role", "show", someone, env=env, cwd=cwd)["roles"] == ["evaluator"]
    bad = zcl("role", "grant", "--role", "registrar", "0x12", env=env, cwd=cwd, code=1)
    assert "address" in one_error_line(bad)


def test_serve_needs_neither_the_admin_nor_the_attestor_password(
    served: Service, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service unlocks only the relayer's and the registrar's keys: with the admin's and the
    attestor's passwords gone it starts and registers; only the admin's own commands need them."""
    keys_dir = served.workdir / "data" / "keys"
    assert served.stop() == 0
    for role in ("admin", "attestor"):
        (keys_dir / f"{role}.password").rename(keys_dir / f"{role}.password.away")
    try:
        served.start()
        address = zcl("key", "new", "--out", "data/keys/late.json", env=env, cwd=served.workdir).stdout.strip()
        zcl("factory", "register", "--id", "CN-LATE-0001", "--name", "Late", "--signer", address,
            env=env, cwd=served.workdir)  # fmt: skip
        monkeypatch.delenv("ZCL_KEY_PASSWORD", raising=False)
        settings = Settings.from_env(served.env)
        with pytest.raises(KeyFileError, match="admin.key"):
            connect(settings, acting_as="admin")
    finally:
        for role in ("admin", "attestor"):
            (keys_dir / f"{role}.password.away").rename(keys_dir / f"{role}.password")

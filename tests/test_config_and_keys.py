"""Settings from the environment and key files: errors name the variable or file, never the secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.config import ConfigError, Settings
from ledger.keys import KeyFileError, load_key_file, load_or_create_key_file, new_key_file


def test_defaults_put_everything_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"ZCL_DATA_DIR": str(tmp_path)})
    assert settings.rpc_url is None and settings.contract_address is None
    assert settings.operator_key_file == tmp_path / "keys" / "relayer.key"
    for role in ("relayer", "registrar", "admin", "attestor"):
        assert settings.key_file(role) == tmp_path / "keys" / f"{role}.key"
        assert settings.password_file(role) == tmp_path / "keys" / f"{role}.password"
    assert settings.anvil_state_file.parent == tmp_path / "chain"
    assert settings.deployment_file == tmp_path / "deployment.json"


def test_each_role_key_file_has_its_own_variable(tmp_path: Path) -> None:
    env = {"ZCL_DATA_DIR": str(tmp_path), "ZCL_RELAYER_KEY_FILE": str(tmp_path / "r.key"),
           "ZCL_REGISTRAR_KEY_FILE": str(tmp_path / "g.key"), "ZCL_ADMIN_KEY_FILE": str(tmp_path / "a.key"),
           "ZCL_ATTESTOR_KEY_FILE": str(tmp_path / "t.key")}  # fmt: skip
    settings = Settings.from_env(env)
    files = {role: settings.key_file(role) for role in ("relayer", "registrar", "admin", "attestor")}
    assert files == {"relayer": tmp_path / "r.key", "registrar": tmp_path / "g.key", "admin": tmp_path / "a.key",
                     "attestor": tmp_path / "t.key"}  # fmt: skip
    # the relayer's older name still works, and the newer one wins when both are set
    old = Settings.from_env({"ZCL_DATA_DIR": str(tmp_path), "ZCL_OPERATOR_KEY_FILE": str(tmp_path / "o.key")})
    assert old.key_file("relayer") == tmp_path / "o.key"
    both = Settings.from_env(env | {"ZCL_OPERATOR_KEY_FILE": str(tmp_path / "o.key")})
    assert both.key_file("relayer") == tmp_path / "r.key"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ZCL_RPC_URL", "localhost:8545"), ("ZCL_RECEIPT_TIMEOUT", "soon"), ("ZCL_RECEIPT_TIMEOUT", "0")],
)
def test_bad_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def test_a_new_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "factory.key"
    account = new_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key_file(path).address == account.address
    with pytest.raises(KeyFileError, match="already exists"):
        new_key_file(path)
    assert load_key_file(path).address == account.address
    assert load_or_create_key_file(path) == (load_key_file(path), False)


def test_key_file_errors_do_not_echo_the_content(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    secret = "0x" + "zz" * 32
    path.write_text(secret)
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as raised:
        load_key_file(path)
    assert "32-byte hex" in str(raised.value) and secret not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "open.key"
    new_key_file(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_key_file(path)


def test_a_missing_key_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="zcl key new"):
        load_key_file(tmp_path / "missing.key")

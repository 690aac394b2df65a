"""The office passphrase stays out of the data folder in production (security issue 10).

`qingfeng init --production` writes it nowhere; the office and the worker read it from the
environment or a file outside the data folder, and refuse one kept inside that folder unless
one-machine mode (`make run`) says a throw-away machine is meant.
"""
import os

import pytest
from click.testing import CliRunner

from config.data import ConfigError
from config.office_settings import triage_settings_from_env
from triage.cli import main
from triage.keys import load_office_private_key, private_key_path

PASSPHRASE = "a passphrase the operator keeps in a vault"


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A data folder to initialise, with no QINGFENG_ variable but QINGFENG_DATA_DIR set."""
    for name in list(os.environ):
        if name.startswith("QINGFENG_") or name == "REDIS_URL":
            monkeypatch.delenv(name)
    if os.geteuid() == 0:
        monkeypatch.setenv("QINGFENG_ALLOW_ROOT", "1")  # serve refuses root otherwise
    folder = tmp_path / "var"
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(folder))
    return folder


def _init(*args: str):
    return CliRunner().invoke(main, ["init", *args])


def _files_holding(folder, secret: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_production_init_writes_no_passphrase_anywhere(data, monkeypatch):
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    result = _init("--production")
    assert result.exit_code == 0, result.output
    assert not (data / "secrets" / "office_passphrase").exists()
    assert _files_holding(data, PASSPHRASE) == []
    load_office_private_key(private_key_path(triage_settings_from_env().paths), PASSPHRASE.encode())
    # It says what to keep where, and the generated secrets it left in secrets/ to hand over.
    assert "口令" in result.output and "QINGFENG_OFFICE_SECRET_KEY" in result.output
    assert "QINGFENG_AUDIT_ANCHOR_FILE" in result.output
    assert str(data / "secrets" / "receipt_pepper") in result.output


def test_production_init_without_a_passphrase_writes_nothing(data):
    result = _init("--production")
    assert result.exit_code == 1
    assert "QINGFENG_OFFICE_PASSPHRASE" in result.output and "生产模式" in result.output
    assert not data.exists()


def test_production_init_refuses_a_passphrase_left_beside_the_key(data, monkeypatch):
    assert _init().exit_code == 0
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    result = _init("--production")
    assert result.exit_code == 1 and "office_passphrase" in result.output


def test_plain_init_keeps_the_one_machine_convenience_and_says_so(data):
    result = _init()
    assert result.exit_code == 0, result.output
    assert (data / "secrets" / "office_passphrase").exists()
    assert "one machine only" in result.output and "--production" in result.output


def test_the_office_and_the_worker_refuse_a_passphrase_in_the_data_folder(data, monkeypatch):
    import triage

    assert _init().exit_code == 0
    with pytest.raises(ConfigError, match="QINGFENG_ONE_MACHINE") as refused:
        triage_settings_from_env()
    assert "数据目录" in str(refused.value) and "QINGFENG_OFFICE_PASSPHRASE_FILE" in str(refused.value)
    with pytest.raises(ConfigError, match="office_passphrase"):
        triage.create_app()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    worker = CliRunner().invoke(main, ["worker", "--burst"])
    assert worker.exit_code != 0 and isinstance(worker.exception, ConfigError)
    # Giving the passphrase in the environment does not make the copy beside the key harmless.
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    with pytest.raises(ConfigError, match="office_passphrase"):
        triage_settings_from_env()


def test_one_machine_mode_accepts_the_passphrase_beside_the_key(data, monkeypatch):
    assert _init().exit_code == 0
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")
    settings = triage_settings_from_env()
    assert settings.office_passphrase == (data / "secrets" / "office_passphrase").read_bytes().strip()
    load_office_private_key(private_key_path(settings.paths), settings.office_passphrase)


def test_serve_says_where_the_passphrase_is_in_one_machine_mode(data, monkeypatch):
    import triage.cli
    import triage.server

    assert _init().exit_code == 0
    monkeypatch.setattr(triage.server, "serve", lambda *args: None)
    monkeypatch.setattr(triage.server, "port_problem", lambda host, port: None)
    monkeypatch.setattr(triage.cli, "train_in_background", lambda paths: None)
    monkeypatch.setattr(triage.cli, "setup_logging", lambda paths: None)
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 0, result.output
    notice = [line for line in result.output.splitlines() if "office_passphrase" in line]
    assert len(notice) == 1 and "copy of the data folder" in notice[0] and "复制" in notice[0]


def test_a_passphrase_file_inside_the_data_folder_is_refused(data, tmp_path, monkeypatch):
    inside = data / "passphrase.txt"
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE_FILE", str(inside))
    result = _init("--production")
    assert result.exit_code == 1 and "inside the data folder" in result.output
    assert "数据目录" in result.output
    # Through a link from outside, and for the office as well.
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", PASSPHRASE)
    assert _init("--production").exit_code == 0
    inside.write_text(PASSPHRASE)
    link = tmp_path / "outside-link"
    link.symlink_to(inside)
    monkeypatch.delenv("QINGFENG_OFFICE_PASSPHRASE")
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE_FILE", str(link))
    with pytest.raises(ConfigError, match="inside the data folder"):
        triage_settings_from_env()
    monkeypatch.setenv("QINGFENG_ONE_MACHINE", "1")  # one machine or not: a named file is outside
    with pytest.raises(ConfigError, match="inside the data folder"):
        triage_settings_from_env()


def test_the_passphrase_from_a_file_outside_works(data, tmp_path, monkeypatch):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "office_passphrase").write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE_FILE", str(vault / "office_passphrase"))
    result = _init("--production")
    assert result.exit_code == 0, result.output
    assert _files_holding(data, PASSPHRASE) == []
    settings = triage_settings_from_env()
    assert settings.office_passphrase == PASSPHRASE.encode()
    load_office_private_key(private_key_path(settings.paths), settings.office_passphrase)
    (vault / "office_passphrase").unlink()
    with pytest.raises(ConfigError, match="QINGFENG_OFFICE_PASSPHRASE_FILE"):
        triage_settings_from_env()

"""`qingfeng init` prepares a data folder idempotently; `keys init` never overwrites keys."""
import os

from click.testing import CliRunner
from sqlalchemy import inspect

from models.session import make_engine
from triage.cli import main


def test_init_creates_everything_once(tmp_path, monkeypatch):
    data = tmp_path / "var"
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(data))
    for name in ("QINGFENG_DATABASE_URL", "REDIS_URL", "QINGFENG_OFFICE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert (data / "keys" / "office.pub").exists() and (data / "keys" / "office.key").exists()
    for secret in ("portal_secret_key", "office_secret_key", "receipt_pepper", "office_passphrase"):
        assert oct((data / "secrets" / secret).stat().st_mode & 0o777) == "0o600"
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    engine = make_engine(f"sqlite:///{data / 'qingfeng.db'}")
    assert {"reports", "receipts", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    key_before = (data / "keys" / "office.key").read_bytes()
    pepper_before = (data / "secrets" / "receipt_pepper").read_bytes()
    second = runner.invoke(main, ["init"])
    assert second.exit_code == 0, second.output
    assert (data / "keys" / "office.key").read_bytes() == key_before
    assert (data / "secrets" / "receipt_pepper").read_bytes() == pepper_before
    again = runner.invoke(main, ["keys", "init"])
    assert (data / "keys" / "office.key").read_bytes() == key_before and again.exit_code == 0


def test_passphrase_from_environment_is_not_written(tmp_path, monkeypatch):
    data = tmp_path / "var"
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(data))
    monkeypatch.setenv("QINGFENG_OFFICE_PASSPHRASE", "an operator chosen passphrase")
    monkeypatch.delenv("QINGFENG_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert not (data / "secrets" / "office_passphrase").exists()


def test_missing_secrets_stop_the_portal_with_a_clear_message(tmp_path, monkeypatch):
    import pytest

    from config.data import ConfigError
    from config.settings import portal_settings_from_env

    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path / "empty"))
    for name in list(os.environ):
        if name.startswith("QINGFENG_") and name != "QINGFENG_DATA_DIR":
            monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match="qingfeng init"):
        portal_settings_from_env()

"""Settings of the back office and the triage workers: what only they may read.

Kept apart from config/settings.py because they name the office passphrase, which unlocks the
office private key: the portal imports config.settings, never this module (P1; checked by
tests/test_layers.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.data import ConfigError
from config.settings import (CommonSettings, KdfParams, Paths, common_fields,
                             cookie_secure_from_env, data_paths, env_value, read_secret)

__all__ = ["TriageSettings", "given_passphrase", "one_machine_mode", "passphrase_beside_key",
           "read_office_passphrase", "read_passphrase_file", "triage_settings_from_env"]


@dataclass(frozen=True)
class TriageSettings(CommonSettings):
    secret_key: bytes = field(default=b"", repr=False)
    csrf_enabled: bool = True
    office_passphrase: bytes | None = field(default=None, repr=False)
    ratelimit_storage: str = "memory://"
    password_kdf: KdfParams = KdfParams(n=2**15, r=8, p=1)
    session_idle_minutes: int = 15
    # A session ends this long after its login, however active (a stolen cookie expires too).
    session_max_hours: int = 10
    # Session cookie sent over HTTPS only; off only for plain http on localhost (`make run`).
    cookie_secure: bool = True
    # Login limits (triage/login_throttle.py): failures of one client on one account, and of one
    # client on any account, within `lockout_minutes` refuse that client for `lockout_minutes`;
    # failures on one account from anywhere within an hour lock it for `account_lock_minutes`.
    max_failed_logins: int = 5
    max_failed_logins_per_client: int = 20
    lockout_minutes: int = 15
    account_lock_failures: int = 100
    account_lock_minutes: int = 60
    audit_anchor_file: Path | None = None  # None: <data>/logs/audit-anchors.log

    @property
    def audit_anchor_path(self) -> Path:
        """Where audit anchors are appended (QINGFENG_AUDIT_ANCHOR_FILE): best on write-once or
        off-host storage, out of reach of whoever can write to the database."""
        return self.audit_anchor_file or self.paths.logs / "audit-anchors.log"


def triage_settings_from_env() -> TriageSettings:
    """Settings of the back office and the worker."""
    paths = data_paths()
    common = common_fields(paths)
    passphrase = read_office_passphrase(paths)
    anchors = env_value("AUDIT_ANCHOR_FILE")
    return TriageSettings(
        **common,
        secret_key=read_secret(paths, "office_secret_key", "OFFICE_SECRET_KEY"),
        office_passphrase=passphrase.encode() if passphrase else None,
        audit_anchor_file=Path(anchors) if anchors else None,
        ratelimit_storage=common["redis_url"] or "memory://",
        session_max_hours=int(env_value("SESSION_MAX_HOURS") or TriageSettings.session_max_hours),
        cookie_secure=cookie_secure_from_env(),
    )


def one_machine_mode() -> bool:
    """`make run` (QINGFENG_ONE_MACHINE=1): everything on one machine, where the passphrase may
    sit beside the key for convenience."""
    return env_value("ONE_MACHINE") == "1"


def passphrase_beside_key(paths: Paths) -> Path:
    """Where `qingfeng init` (without --production) keeps the passphrase it generated."""
    return paths.secrets / "office_passphrase"


def read_office_passphrase(paths: Paths) -> str | None:
    """The passphrase of the office private key: QINGFENG_OFFICE_PASSPHRASE, else the file named
    by QINGFENG_OFFICE_PASSPHRASE_FILE (outside the data folder), else secrets/office_passphrase
    in one-machine mode only. Outside that mode a passphrase file in the data folder stops
    startup: a copy of the folder alone would open every report and contact."""
    beside = passphrase_beside_key(paths)
    if beside.exists() and not one_machine_mode():
        raise ConfigError(
            f"the office passphrase is stored in the data folder ({beside}): a copy of the folder "
            "alone would open every report. Give it as QINGFENG_OFFICE_PASSPHRASE or in a file "
            f"outside {paths.root} named by QINGFENG_OFFICE_PASSPHRASE_FILE, then delete {beside} "
            "(trying it on one machine: QINGFENG_ONE_MACHINE=1, as `make run` does) / "
            f"办公室口令存放在数据目录中（{beside}）：仅复制该目录即可打开全部举报。请改用环境变量 "
            "QINGFENG_OFFICE_PASSPHRASE，或用 QINGFENG_OFFICE_PASSPHRASE_FILE 指定数据目录之外的"
            "口令文件，然后删除该文件（仅单机试用可设 QINGFENG_ONE_MACHINE=1，make run 即如此）")
    given = given_passphrase(paths)
    if given:
        return given
    return beside.read_text().strip() if beside.exists() else None


def given_passphrase(paths: Paths) -> str | None:
    """The passphrase the operator gives: QINGFENG_OFFICE_PASSPHRASE, else the file named by
    QINGFENG_OFFICE_PASSPHRASE_FILE (refused inside the data folder); None when neither."""
    value = env_value("OFFICE_PASSPHRASE")
    if value:
        return value
    named = env_value("OFFICE_PASSPHRASE_FILE")
    return read_passphrase_file(paths, Path(named)) if named else None


def read_passphrase_file(paths: Paths, named: Path) -> str:
    """The passphrase in `named`, refused when that file lies inside the data folder (links
    followed): a copy of the folder would then carry the passphrase with the key."""
    path, root = named.expanduser().resolve(), paths.root.resolve()
    if path.is_relative_to(root):
        raise ConfigError(
            f"QINGFENG_OFFICE_PASSPHRASE_FILE names {path}, inside the data folder {root}: a copy "
            "of the folder would carry the passphrase with the key; keep the file outside it / "
            f"QINGFENG_OFFICE_PASSPHRASE_FILE 指向的 {path} 位于数据目录 {root} 之内：复制该目录"
            "即连同口令与私钥一并带走；请把口令文件放到数据目录之外")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"QINGFENG_OFFICE_PASSPHRASE_FILE {path}: {exc.strerror} / "
                          f"无法读取口令文件 {path}") from exc
    if not value:
        raise ConfigError(f"QINGFENG_OFFICE_PASSPHRASE_FILE {path} is empty / 口令文件 {path} 为空")
    return value

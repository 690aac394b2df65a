"""Settings of the back office and the triage workers: what only they may read.

Kept apart from config/settings.py because they name the office passphrase, which unlocks the
office private key: the portal imports config.settings, never this module (P1; checked by
tests/test_layers.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from config.settings import CommonSettings, KdfParams, common_fields, env_value, read_secret, data_paths

__all__ = ["TriageSettings", "triage_settings_from_env"]


@dataclass(frozen=True)
class TriageSettings(CommonSettings):
    secret_key: bytes = field(default=b"", repr=False)
    csrf_enabled: bool = True
    office_passphrase: bytes | None = field(default=None, repr=False)
    ratelimit_storage: str = "memory://"
    password_kdf: KdfParams = KdfParams(n=2**15, r=8, p=1)
    session_idle_minutes: int = 15
    max_failed_logins: int = 5
    lockout_minutes: int = 15


def triage_settings_from_env() -> TriageSettings:
    """Settings of the back office and the worker."""
    paths = data_paths()
    common = common_fields(paths)
    passphrase = env_value("OFFICE_PASSPHRASE")
    passphrase_file = paths.secrets / "office_passphrase"
    if passphrase is None and passphrase_file.exists():
        passphrase = passphrase_file.read_text().strip()
    return TriageSettings(
        **common,
        secret_key=read_secret(paths, "office_secret_key", "OFFICE_SECRET_KEY"),
        office_passphrase=passphrase.encode() if passphrase else None,
        ratelimit_storage=common["redis_url"] or "memory://",
    )

"""Process settings, read from the environment (prefix QINGFENG_) and the data folder.

Read in factories and CLI commands only, never at import time. A missing secret stops startup
with a message that says how to create it; there is no literal fallback.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from config.data import ConfigError


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost of the receipt-code hash (see README, "Receipt codes")."""

    n: int = 2**14
    r: int = 8
    p: int = 1

    @property
    def maxmem(self) -> int:
        return 128 * self.n * self.r * self.p + 1024 * 1024


@dataclass(frozen=True)
class Paths:
    """The layout of the data folder (QINGFENG_DATA_DIR, default ./var)."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "qingfeng.db"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def office_public_key(self) -> Path:
        return self.keys / "office.pub"

    @property
    def office_private_key(self) -> Path:
        return self.keys / "office.key"


@dataclass(frozen=True)
class CommonSettings:
    paths: Paths
    database_url: str
    redis_url: str | None
    jurisdiction: str
    receipt_kdf: KdfParams
    receipt_pepper: bytes = field(repr=False)
    # "rq" when REDIS_URL is set, "thread" in-process, "inline" (tests: run at once).
    triage_mode: str = "thread"
    testing: bool = False


@dataclass(frozen=True)
class PortalSettings(CommonSettings):
    secret_key: bytes = field(default=b"", repr=False)
    csrf_enabled: bool = True
    submissions_per_day: str = "5 per day"
    lookups_per_client: str = "10 per minute;60 per day"
    lookups_global: str = "600 per minute"
    api_per_client: str = "30 per minute"
    ratelimit_storage: str = "memory://"
    max_description: int = 5000
    max_attachments: int = 5
    max_attachment_bytes: int = 10 * 1024 * 1024


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


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"QINGFENG_{name}", default)


def _secret(paths: Paths, name: str, env: str) -> bytes:
    """A secret from the environment (hex) or from data/secrets/<name>; stop if neither."""
    value = _env(env)
    if value:
        return bytes.fromhex(value) if _is_hex(value) else value.encode()
    path = paths.secrets / name
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    raise ConfigError(
        f"secret '{name}' missing: set QINGFENG_{env} or run 'qingfeng init' (creates {path})"
    )


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return len(value) >= 32


def _common(paths: Paths) -> dict:
    database_url = _env("DATABASE_URL") or f"sqlite:///{paths.database}"
    redis_url = os.environ.get("REDIS_URL") or _env("REDIS_URL")
    kdf = KdfParams(
        n=int(_env("RECEIPT_SCRYPT_N", str(KdfParams.n))),
        r=int(_env("RECEIPT_SCRYPT_R", str(KdfParams.r))),
        p=int(_env("RECEIPT_SCRYPT_P", str(KdfParams.p))),
    )
    return dict(
        paths=paths,
        database_url=database_url,
        redis_url=redis_url,
        jurisdiction=_env("JURISDICTION", "changjiang"),
        receipt_kdf=kdf,
        receipt_pepper=_secret(paths, "receipt_pepper", "RECEIPT_PEPPER"),
        triage_mode="rq" if redis_url else _env("TRIAGE_MODE", "thread"),
    )


def data_paths() -> Paths:
    """The data folder from QINGFENG_DATA_DIR (default ./var), as an absolute path."""
    return Paths(Path(_env("DATA_DIR", "var")).resolve())


def portal_settings_from_env() -> PortalSettings:
    """Settings of the public portal. Holds no private key (P1)."""
    paths = data_paths()
    common = _common(paths)
    storage = common["redis_url"] or "memory://"
    limits = {
        field_name: value
        for field_name, env in (
            ("submissions_per_day", "LIMIT_SUBMISSIONS"),
            ("lookups_per_client", "LIMIT_LOOKUPS"),
            ("lookups_global", "LIMIT_LOOKUPS_GLOBAL"),
            ("api_per_client", "LIMIT_API"),
        )
        if (value := _env(env))
    }
    return PortalSettings(
        **common,
        **limits,
        secret_key=_secret(paths, "portal_secret_key", "PORTAL_SECRET_KEY"),
        ratelimit_storage=storage,
    )


def triage_settings_from_env() -> TriageSettings:
    """Settings of the back office and the worker."""
    paths = data_paths()
    common = _common(paths)
    passphrase = _env("OFFICE_PASSPHRASE")
    passphrase_file = paths.secrets / "office_passphrase"
    if passphrase is None and passphrase_file.exists():
        passphrase = passphrase_file.read_text().strip()
    return TriageSettings(
        **common,
        secret_key=_secret(paths, "office_secret_key", "OFFICE_SECRET_KEY"),
        office_passphrase=passphrase.encode() if passphrase else None,
        ratelimit_storage=common["redis_url"] or "memory://",
    )

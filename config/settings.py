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


@dataclass(frozen=True)
class CommonSettings:
    paths: Paths
    database_url: str
    redis_url: str | None
    jurisdiction: str
    receipt_kdf: KdfParams
    receipt_pepper: bytes = field(repr=False)
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
    # Session cookie sent over HTTPS only; off only for plain http on localhost (`make run`).
    cookie_secure: bool = True


def env_value(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"QINGFENG_{name}", default)


def cookie_secure_from_env() -> bool:
    """QINGFENG_COOKIE_SECURE: on unless "0", "false", "no" or "off" (plain http on localhost)."""
    return (env_value("COOKIE_SECURE") or "1").strip().lower() not in ("0", "false", "no", "off")


def read_secret(paths: Paths, name: str, env: str) -> bytes:
    """A secret from the environment (hex) or from data/secrets/<name>; stop if neither."""
    value = env_value(env)
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


def common_fields(paths: Paths) -> dict:
    database_url = env_value("DATABASE_URL") or f"sqlite:///{paths.database}"
    redis_url = os.environ.get("REDIS_URL") or env_value("REDIS_URL")
    kdf = KdfParams(
        n=int(env_value("RECEIPT_SCRYPT_N", str(KdfParams.n))),
        r=int(env_value("RECEIPT_SCRYPT_R", str(KdfParams.r))),
        p=int(env_value("RECEIPT_SCRYPT_P", str(KdfParams.p))),
    )
    return dict(
        paths=paths,
        database_url=database_url,
        redis_url=redis_url,
        jurisdiction=env_value("JURISDICTION", "changjiang"),
        receipt_kdf=kdf,
        receipt_pepper=read_secret(paths, "receipt_pepper", "RECEIPT_PEPPER"),
    )


def data_paths() -> Paths:
    """The data folder from QINGFENG_DATA_DIR (default ./var), as an absolute path."""
    return Paths(Path(env_value("DATA_DIR", "var")).resolve())


def portal_settings_from_env() -> PortalSettings:
    """Settings of the public portal. Holds no private key (P1)."""
    paths = data_paths()
    common = common_fields(paths)
    storage = common["redis_url"] or "memory://"
    limits = {
        field_name: value
        for field_name, env in (
            ("submissions_per_day", "LIMIT_SUBMISSIONS"),
            ("lookups_per_client", "LIMIT_LOOKUPS"),
            ("lookups_global", "LIMIT_LOOKUPS_GLOBAL"),
            ("api_per_client", "LIMIT_API"),
        )
        if (value := env_value(env))
    }
    return PortalSettings(
        **common,
        **limits,
        secret_key=read_secret(paths, "portal_secret_key", "PORTAL_SECRET_KEY"),
        ratelimit_storage=storage,
        cookie_secure=cookie_secure_from_env(),
    )

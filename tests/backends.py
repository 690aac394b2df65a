"""The database and Redis the tests run against.

SQLite always; PostgreSQL and Redis on 127.0.0.1 when reachable. In CI (CI=true) they must be
reachable: a missing service fails the run instead of silently skipping its tests.
"""
from __future__ import annotations

import os
import secrets
from functools import lru_cache

import pytest

PG_ADMIN_URL = os.environ.get("QINGFENG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("QINGFENG_TEST_REDIS", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@lru_cache(maxsize=1)
def postgres_reason() -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} unreachable: {type(exc).__name__}"


@lru_cache(maxsize=1)
def redis_reason() -> str | None:
    """None if Redis answers, else why not."""
    try:
        from redis import Redis

        Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:
        return f"Redis at {REDIS_TEST_URL} unreachable: {type(exc).__name__}"


def require(reason: str | None) -> None:
    """Skip (outside CI) or fail (in CI) when a service is missing."""
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason}; CI must run these tests against the local service")
    pytest.skip(reason)


class PostgresDatabases:
    """Creates throw-away databases on the local server and drops them at the end."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        import psycopg

        name = f"qingfeng_test_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def service_env(**values: str) -> dict[str, str]:
    """The environment for a `qingfeng` subprocess: this one without any QINGFENG_ setting or
    REDIS_URL, plus `values`. These machines run everything as root, and the commands refuse
    root outside one-machine mode: the tests say so explicitly (QINGFENG_ALLOW_ROOT)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("QINGFENG_") and k != "REDIS_URL"}
    if os.geteuid() == 0:
        env["QINGFENG_ALLOW_ROOT"] = "1"
    return env | values

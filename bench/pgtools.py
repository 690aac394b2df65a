"""Shared pieces of the benchmarks: a throw-away PostgreSQL database, percentiles."""
from __future__ import annotations

import secrets
import sys

HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN = f"host={HOST} port={PG_PORT} user=postgres dbname=postgres connect_timeout=5"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def create_database() -> str | None:
    """A fresh database on the local PostgreSQL; None if it cannot be reached."""
    try:
        import psycopg
    except ImportError:
        print("psycopg is not installed in this environment", file=sys.stderr)
        return None
    name = f"qingfeng_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL at {HOST}:{PG_PORT} is unreachable: {str(exc).strip()}", file=sys.stderr)
        return None
    return name


def drop_database(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"dropped database {name}")
    except psycopg.Error as exc:
        print(f"WARNING: could not drop database {name}: {exc}", file=sys.stderr)

"""Declarative base with a naming convention, so Alembic can name and drop constraints."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (stored as such on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


def hour_now() -> datetime:
    """Now rounded down to the hour: reporter-side times are stored coarse, so they cannot be
    matched against a network log to find who submitted."""
    return utcnow().replace(minute=0, second=0, microsecond=0)

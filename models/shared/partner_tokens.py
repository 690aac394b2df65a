"""Issuing, checking and revoking partner tokens (models/partner.py) for the public API.

A token reads `qfp.<key id>.<secret>`. The key id finds the row; the database holds only
HMAC-SHA256 of the whole token under a key derived from the portal secret key, compared in
constant time. Shown once by `qingfeng token add`, never again.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.base import hour_now, utcnow
from models.partner import PartnerToken
from models.vocabulary import CHANNELS

PREFIX = "qfp"
_PURPOSE = b"qingfeng/v1/partner-token"


class TokenRefused(ValueError):
    """A token could not be issued or revoked; the message says why."""


def _digest(secret_key: bytes, token: str) -> bytes:
    key = hmac.new(secret_key, _PURPOSE, hashlib.sha256).digest()  # not the rate-limit key
    return hmac.new(key, token.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def issue_token(session: Session, secret_key: bytes, name: str, channels: list[str]) -> str:
    """A new token for `name` limited to `channels` (added to the session); returns the token,
    which exists nowhere else once shown."""
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise TokenRefused(f"unknown channel(s): {', '.join(unknown)}; known: {', '.join(CHANNELS)}")
    if not name.strip() or not channels:
        raise TokenRefused("a token needs a name and at least one channel")
    if session.scalar(select(PartnerToken).where(PartnerToken.name == name)) is not None:
        raise TokenRefused(f"a token named {name} exists (names stay taken after revocation)")
    key_id = secrets.token_hex(6)
    token = f"{PREFIX}.{key_id}.{secrets.token_urlsafe(32)}"
    session.add(PartnerToken(name=name, key_id=key_id, digest=_digest(secret_key, token),
                             channels=list(dict.fromkeys(channels))))
    return token


def find_token(session: Session, secret_key: bytes, presented: str) -> PartnerToken | None:
    """The live token row for `presented`, or None (unknown, altered or revoked)."""
    parts = presented.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    row = session.scalar(select(PartnerToken).where(PartnerToken.key_id == parts[1]))
    expected = row.digest if row is not None else bytes(32)
    matches = hmac.compare_digest(expected, _digest(secret_key, presented))
    return row if row is not None and matches and row.revoked_at is None else None


def record_use(session: Session, token: PartnerToken) -> None:
    """Count one use, in SQL so concurrent requests do not lose counts; the last use is kept
    to the hour only, like every time on the reporter's side."""
    session.execute(update(PartnerToken).where(PartnerToken.id == token.id)
                    .values(uses=PartnerToken.uses + 1, last_used_at=hour_now()))


def revoke_token(session: Session, name: str) -> PartnerToken:
    """Revoke the live token called `name`; raises TokenRefused if there is none."""
    row = session.scalar(select(PartnerToken).where(PartnerToken.name == name))
    if row is None or row.revoked_at is not None:
        raise TokenRefused(f"no live token named {name}")
    row.revoked_at = utcnow()
    return row


def list_tokens(session: Session) -> list[PartnerToken]:
    """Every token ever issued, the newest first (revoked ones stay, as a record)."""
    return list(session.scalars(select(PartnerToken).order_by(PartnerToken.id.desc())))

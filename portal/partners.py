"""Who calls the API: an anonymous citizen, or a partner with a Bearer token (`qingfeng token`).

Anonymous callers may submit under the citizen channel (网络) only, so a public tip can never
appear in the queue as an official referral; a partner may use its token's channels.
"""
from __future__ import annotations

from flask import current_app, g, request

from models.partner import PartnerToken
from models.session import request_session
from models.shared.partner_tokens import find_token, record_use
from models.vocabulary import WEB_CHANNEL
from portal import texts


class TokenRejected(Exception):
    """An Authorization header came with a token that is not live (unknown, altered, revoked)."""


def _presented() -> PartnerToken | None | bool:
    """The live token sent, None when none was sent, False when one was sent but is no good."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    found = find_token(request_session(), current_app.config["SECRET_KEY"], token.strip())
    return found or False


def partner() -> PartnerToken | None:
    """The calling partner, or None for an anonymous caller; raises TokenRejected for a bad
    token (checked once per request)."""
    if "qf_partner" not in g:
        g.qf_partner = _presented()
    if g.qf_partner is False:
        raise TokenRejected()
    return g.qf_partner


def is_partner() -> bool:
    """For the limiter: a live partner token came with the request."""
    try:
        return partner() is not None
    except TokenRejected:
        return False


def count_use(token: PartnerToken) -> None:
    """Every request made with a live token counts on its row (the last use to the hour)."""
    session = request_session()
    record_use(session, token)
    session.commit()


def channel_refusal(channel: str, token: PartnerToken | None) -> str | None:
    """Why `channel` is refused to this caller (Chinese), or None when allowed."""
    if channel == WEB_CHANNEL or (token is not None and channel in token.channels):
        return None
    if token is None:
        return texts.CHANNEL_NEEDS_TOKEN.format(channel=channel)
    return texts.CHANNEL_NOT_IN_TOKEN.format(channel=channel, allowed="、".join(token.channels))

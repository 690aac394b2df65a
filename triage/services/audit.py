"""Append to and verify the keyed, hash-chained audit trail (P5).

Each row's hash covers its own fields and the previous row's hash, so editing, deleting or
reordering any row breaks the chain from that row on; `verify` finds where. The hash is an
HMAC-SHA256 under the audit key, derived from the office secret key (secrets/ or the
environment, never the database): whoever can write to the database alone cannot recompute the
chain after an edit. Deleting the last rows leaves a shorter chain that is still whole: the
anchors written outside the database (triage/services/audit_anchors.py) catch that.

Rows written before keyed hashes carry plain sha256 (scheme "sha256") and still verify; a chain
may switch from plain to keyed once, never back.

The key: given to `record` and `verify`, or the process's own — installed by the command line
and the worker with `install_audit_key`, and inside the office app that app's (from its
settings, installed on first use, so code running after a request in the same process agrees).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.office_settings import TriageSettings
from models.audit import AuditEvent
from models.base import utcnow

GENESIS = "0" * 64
PLAIN, KEYED = "sha256", "hmac1"
AUDIT_INFO = b"qingfeng/v1/audit"

_installed: bytes | None = None


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user name and role, or the system itself."""

    name: str
    role: str


SYSTEM = Actor("system", "system")


class AuditKeyMissing(RuntimeError):
    """The chain is keyed and this process has no audit key: a plain row would break it."""


@lru_cache(maxsize=8)
def audit_key(secret_key: bytes) -> bytes:
    """The audit key: HKDF-SHA256 of the office secret key, so it is never stored anywhere and
    changes with nothing but that key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUDIT_INFO).derive(secret_key)


def install_audit_key(secret_key: bytes) -> bytes:
    """Make the audit key of `secret_key` (the office secret key) this process's; returns it."""
    global _installed
    _installed = audit_key(secret_key)
    return _installed


def current_key() -> bytes | None:
    """Inside the office app, that app's audit key (installed); else the installed one."""
    global _installed
    secret = _office_app_secret()
    if secret:
        _installed = audit_key(secret)
    return _installed


def _office_app_secret() -> bytes | None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    settings = current_app.config.get("QINGFENG")
    # The portal's settings carry the portal's secret: never an audit key.
    return settings.secret_key if isinstance(settings, TriageSettings) else None


def _body(event: AuditEvent) -> bytes:
    fields = [event.at.isoformat(), event.actor, event.role, event.action, event.target,
              event.outcome, event.detail, event.prev_hash]
    if event.scheme == KEYED:
        fields.insert(0, KEYED)  # binds the scheme: a keyed row cannot pass for a plain one
    return json.dumps(fields, ensure_ascii=False).encode()


def digest(event: AuditEvent, key: bytes | None) -> str | None:
    """The hash `event` should carry under its scheme; None when it cannot be computed."""
    if event.scheme == PLAIN:
        return hashlib.sha256(_body(event)).hexdigest()
    if event.scheme == KEYED and key:
        return hmac.new(key, _body(event), hashlib.sha256).hexdigest()
    return None


def record(session: Session, actor: Actor, action: str, target: str, outcome: str = "ok",
           detail: str = "", key: bytes | None = None) -> AuditEvent:
    """Append one event (flushed in the caller's transaction; retried if another writer won).

    Keyed under `key` or the process's audit key; without one, a plain row, allowed only while
    the chain has no keyed row (tests and pre-key installations), else AuditKeyMissing."""
    key = key or current_key()
    for _ in range(5):
        tail = session.execute(select(AuditEvent.hash, AuditEvent.scheme)
                               .order_by(AuditEvent.id.desc()).limit(1)).first()
        if key is None and tail is not None and tail.scheme != PLAIN:
            raise AuditKeyMissing("the audit trail is keyed and this process has no audit key "
                                  "(QINGFENG_OFFICE_SECRET_KEY or secrets/office_secret_key)")
        event = AuditEvent(at=utcnow().replace(microsecond=0), actor=actor.name, role=actor.role,
                           action=action, target=target, outcome=outcome, detail=detail,
                           prev_hash=tail.hash if tail else GENESIS,
                           scheme=KEYED if key else PLAIN)
        event.hash = digest(event, key)
        try:
            with session.begin_nested():
                session.add(event)
            return event
        except IntegrityError:
            continue
    raise RuntimeError("audit trail busy: could not append")


def verify(session: Session, key: bytes | None = None) -> list[str]:
    """Problems found walking the chain from the start, in English and Chinese; empty when
    intact. Events cut off at the end leave a whole chain: the anchors find those."""
    key = key or current_key()
    problems: list[str] = []
    previous, unchecked = None, 0
    rows = select(AuditEvent).order_by(AuditEvent.id).execution_options(populate_existing=True)
    for event in session.scalars(rows):
        problems.extend(_check_link(event, previous))
        problems.extend(_check_hash(event, key))
        if event.scheme == KEYED and not key:
            unchecked += 1
        previous = event
    if unchecked:
        problems.append(f"{unchecked} keyed event(s) not checked: no audit key "
                        f"(QINGFENG_OFFICE_SECRET_KEY) / 缺少审计密钥，{unchecked} 条记录无法核验")
    return problems


def _say(event_id: int, english: str, chinese: str) -> str:
    return f"event {event_id}: {english} / 第 {event_id} 条记录{chinese}"


def _check_link(event: AuditEvent, previous: AuditEvent | None) -> list[str]:
    problems = []
    if event.prev_hash != (previous.hash if previous else GENESIS):
        problems.append(_say(event.id, "does not follow the event before it (events deleted, "
                             "inserted or moved)", "与前一条接不上（有记录被删、插或挪动）"))
    if previous is not None and previous.scheme == KEYED and event.scheme == PLAIN:
        # The one switch allowed is plain -> keyed; back means someone recomputed without the key.
        problems.append(_say(event.id, "plain sha256 after a keyed event: the chain was "
                             "recomputed without the key", "在带密钥的记录之后改用无密钥哈希：链条被重算"))
    return problems


def _check_hash(event: AuditEvent, key: bytes | None) -> list[str]:
    if event.scheme not in (PLAIN, KEYED):
        return [_say(event.id, f"unknown hash scheme {event.scheme!r}",
                     f"的哈希方式 {event.scheme!r} 未知")]
    wanted = digest(event, key)
    if wanted is None or hmac.compare_digest(wanted, event.hash or ""):
        return []
    return [_say(event.id, "its content was changed", "的内容被改动")]

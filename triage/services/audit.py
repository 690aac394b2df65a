"""Append to and verify the hash-chained audit trail (P5).

Each row's hash covers its own fields and the previous row's hash, so editing, deleting or
reordering any row breaks the chain from that row on; `verify` finds where.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.base import utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user name and role, or the system itself."""

    name: str
    role: str


SYSTEM = Actor("system", "system")


def _digest(event: AuditEvent) -> str:
    body = json.dumps([event.at.isoformat(), event.actor, event.role, event.action, event.target,
                       event.outcome, event.detail, event.prev_hash], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def record(session: Session, actor: Actor, action: str, target: str, outcome: str = "ok",
           detail: str = "") -> AuditEvent:
    """Append one event (flushed in the caller's transaction; retried if another writer won)."""
    for _ in range(5):
        last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        event = AuditEvent(at=utcnow().replace(microsecond=0), actor=actor.name, role=actor.role,
                           action=action, target=target, outcome=outcome, detail=detail,
                           prev_hash=last or GENESIS)
        event.hash = _digest(event)
        try:
            with session.begin_nested():
                session.add(event)
            return event
        except IntegrityError:
            continue
    raise RuntimeError("audit trail busy: could not append")


def verify(session: Session) -> list[str]:
    """Problems found walking the chain from the start; empty when intact."""
    problems, expected = [], GENESIS
    rows = select(AuditEvent).order_by(AuditEvent.id).execution_options(populate_existing=True)
    for event in session.scalars(rows):
        if event.prev_hash != expected:
            problems.append(f"event {event.id}: does not follow the event before it")
        if _digest(event) != event.hash:
            problems.append(f"event {event.id}: its content was changed")
        expected = event.hash
    return problems
